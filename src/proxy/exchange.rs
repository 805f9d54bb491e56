//! One exchange with the target: the request sent on, the answer checked
//! against the contract (inline, or on a blocking thread when large), and the
//! exchange recorded; what it found is kept for the log and the summary.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::forward::{has, Answer, CheckMemory};
use super::record::{Exchange, Volatile};
use super::{ProxyAnswer, State, CHECK_INLINE};
use crate::checks::{check_response_of, AnswerBody, Check, Checked};
use crate::contract::{Contract, Operation};
use crate::respond::Built;

/// Who answered the client.
pub(super) enum Answered {
    /// The target.
    Target(Box<Answer>),
    /// The proxy itself: the response, what kind of answer, and why.
    Proxy(Built, ProxyAnswer, String),
}

/// What an exchange found: every violation listed (at most 20 per check), the
/// ones counted but not listed, and why the answer's body was not checked.
#[derive(Default)]
pub(super) struct Findings {
    /// Each violation listed: the check, the rule it broke, and what is wrong.
    pub(super) listed: Vec<(Check, String, String)>,
    /// Where a list was cut: the check, `and N more ...`, and N.
    pub(super) more: Vec<(Check, String, usize)>,
    /// Why the answer's body was not checked, if it was not.
    pub(super) unchecked: Option<String>,
}

impl Findings {
    pub(super) fn push(&mut self, check: Check, rule: String, message: String) {
        self.listed.push((check, rule, message));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Violations found, listed or not.
    pub(super) fn total(&self) -> usize {
        self.listed.len() + self.more.iter().map(|(_, _, n)| n).sum::<usize>()
    }
}

/// The checks of an answer of operation `op` (none for a request no operation
/// serves), and its volatile values when it is recorded.
fn judge(
    contract: &Contract,
    method: &hyper::Method,
    op: Option<&Operation>,
    status: u16,
    headers: &hyper::HeaderMap,
    bytes: &[u8],
    recording: bool,
) -> (Option<Checked>, Volatile) {
    let checked = op.map(|op| {
        let answer = AnswerBody::new(bytes);
        check_response_of(contract, method, op, status, headers, &answer, None)
    });
    let volatile = if recording {
        Volatile::scan(contract, op, status, headers, bytes)
    } else {
        Volatile::default()
    };
    (checked, volatile)
}

/// Sends the request on, checks the answer, and records the exchange.
#[allow(clippy::too_many_arguments)]
pub(super) async fn forward(
    state: &Arc<State>,
    parts: &hyper::http::request::Parts,
    body: Bytes,
    operation: Option<&Operation>,
    peer: SocketAddr,
    at: SystemTime,
    seq: u64,
    found: &mut Findings,
) -> Answered {
    let sent_body = (!body.is_empty() || has(&parts.headers, &hyper::header::CONTENT_LENGTH))
        .then(|| body.clone());
    let mut answer = match state
        .target
        .send(
            &parts.method,
            parts.uri.path_and_query(),
            &parts.headers,
            sent_body,
            &state.memory,
        )
        .await
    {
        Ok(a) => a,
        Err(f) => {
            let kind = if f.status == 504 {
                ProxyAnswer::TargetTimeout
            } else {
                ProxyAnswer::TargetUnreachable
            };
            let built = state
                .responder
                .error(&state.contract, None, f.status, &f.message);
            return Answered::Proxy(built, kind, f.message);
        }
    };
    // This proxy's own answer, come back through a loop: not the target's, so it
    // is neither checked nor recorded.
    if state.target.looped(&answer.headers) {
        let built = Built {
            status: answer.status,
            headers: answer
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            body: answer.body,
        };
        let msg = "this request came back to the proxy (its own 508)".to_string();
        return Answered::Proxy(built, ProxyAnswer::LoopDetected, msg);
    }
    let status = answer.status.as_u16();
    found.unchecked = answer.unchecked.clone();
    // Parsing the body takes memory too: that is taken from the budget first.
    let parse = CheckMemory::parse_estimate(&answer.body);
    if found.unchecked.is_none() && !state.memory.take(parse, &mut answer.held) {
        found.unchecked = Some(state.memory.exhausted());
    }
    let body_checked = found.unchecked.is_none();
    let (checked, volatile) = {
        let bytes = if body_checked {
            answer.body.clone()
        } else {
            Bytes::new()
        };
        let op = operation.map(|o| o.index);
        // Only a recording needs the answer's volatile values.
        let recording = state.recorder.is_some();
        if bytes.len() <= CHECK_INLINE {
            judge(
                &state.contract,
                &parts.method,
                operation,
                status,
                &answer.headers,
                &bytes,
                recording,
            )
        } else {
            // A large body is checked on a blocking thread, a few at a time
            // (with its own copy of the headers).
            let (contract, headers) = (state.contract.clone(), answer.headers.clone());
            let method = parts.method.clone();
            let permit = state.heavy.clone().acquire_owned().await;
            let done = tokio::task::spawn_blocking(move || {
                let op = op.map(|i| contract.op(i));
                judge(&contract, &method, op, status, &headers, &bytes, recording)
            })
            .await;
            drop(permit);
            match done {
                Ok(d) => d,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    };
    if let Some(checked) = checked {
        // A check whose list was cut ends with its "and N more" failure.
        let last_of = |check: Check| checked.failures.iter().rposition(|f| f.check == check);
        let cut: Vec<(usize, usize)> = checked
            .unlisted
            .iter()
            .filter_map(|&(check, n)| last_of(check).map(|i| (i, n)))
            .collect();
        for (i, f) in checked.failures.iter().enumerate() {
            // A body not held whole is not judged: it would never parse.
            let body_check = matches!(f.check, Check::BodySchema | Check::UndocumentedFields);
            if body_check && !body_checked {
                continue;
            }
            match cut.iter().find(|(at, _)| *at == i) {
                Some(&(_, n)) => found.more.push((f.check, f.message.clone(), n)),
                None => found.push(f.check, f.check.name().to_string(), f.message.clone()),
            }
        }
    }
    // Only the body bytes stay held until they are sent.
    if body_checked {
        let keep = answer.body.len();
        if let Some(held) = &mut answer.held {
            if held.num_permits() > keep {
                drop(held.split(held.num_permits() - keep));
            }
        }
    }
    if let Some(recorder) = &state.recorder {
        recorder.add(Exchange {
            seq,
            client: peer.ip(),
            at,
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers.clone(),
            body,
            status,
            volatile,
        });
    }
    Answered::Target(Box::new(answer))
}
