//! One request through the mock: route it (`HEAD` as `GET`), read the body
//! (bounded), check auth, validate, check `Accept`, then choose the answer
//! (`Prefer`, then a rule, then the state model, then the default) and how it is
//! sent (delay, dribble, fault). What happened is an [`Outcome`]; [`super::finish`]
//! sends it, counts it, logs it and journals it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ACCEPT_ENCODING, ALLOW};
use hyper::http::request::Parts;

use super::chaos::{self, Picked};
use super::heads::{Heads, Known};
use super::offload::{off_the_workers, validate_off_the_workers, CHECK_INLINE};
use super::session::stable_hash;
use super::State;
use crate::contract::{OpIndex, Operation, UNCOMPILABLE};
use crate::http::coding::{self, CodingError};
use crate::http::intake::{invalid_request_status, violation_list, Intake, Route};
use crate::http::server::BodyError;
use crate::journal::{Drawn, Why};
use crate::respond::fault::{Dribble, Fault};
use crate::respond::rules::segments;
use crate::respond::{
    bodiless, negotiate, prefer, Built, Choice, ChoiceError, MockError, RequestInfo,
};
use crate::state::SimOutcome;
use crate::validate::{Place, Violation};
use serde_json::Value;

/// What the mock decided for a request.
pub(super) struct Outcome {
    pub(super) built: Built,
    pub(super) why: Why,
    /// Close the connection after answering (the body was not read whole).
    pub(super) close: bool,
    pub(super) operation: Option<OpIndex>,
    pub(super) violations: Vec<Violation>,
    /// Violations found beyond those listed (a request breaks at most so many
    /// rules in the journal and the log; the rest are counted).
    pub(super) unlisted: usize,
    /// The request body as read (empty when it was not read).
    pub(super) body: Bytes,
    pub(super) shape: Shape,
}

/// How the answer is sent, when a rule or `Prefer` says.
#[derive(Default)]
pub(super) struct Shape {
    /// The delay, and whether it was drawn.
    pub(super) delay: Option<(Duration, bool)>,
    pub(super) dribble: Option<Dribble>,
    pub(super) fault: Option<Fault>,
    pub(super) drawn: Drawn,
}

impl Outcome {
    pub(super) fn plain(built: Built, why: Why) -> Outcome {
        Outcome {
            built,
            why,
            close: false,
            operation: None,
            violations: Vec::new(),
            unlisted: 0,
            body: Bytes::new(),
            shape: Shape::default(),
        }
    }

    fn of(mut self, op: &Operation) -> Outcome {
        self.operation = Some(op.index);
        self
    }
}

pub(super) async fn answer(
    state: &Arc<State>,
    parts: &Parts,
    heads: &Heads<'_>,
    body: Incoming,
    session: &str,
) -> Outcome {
    let contract = &*state.contract;
    let mut intake = Intake::new(contract, parts);
    // The body, read (`Ok`) or still to be read (`Err`).
    let body = if let Route::NeedsBody = intake.route {
        // A form body names the operation (AWS's query protocol posts its
        // `Action` there): read first, within the same limits, and routed again.
        match state.read_body(&parts.headers, body).await {
            Ok(read) => {
                intake = Intake::with_body(contract, parts, &parts.method, &read);
                Ok(read)
            }
            Err(e) => return unreadable(state, None, e),
        }
    } else {
        Err(body)
    };
    intake.head_as_get(contract, parts, body.as_deref().unwrap_or_default());
    // A body read to route the request is journaled whatever the answer.
    let read_for_routing = || body.as_ref().ok().cloned().unwrap_or_default();
    let (operation, path_params) = match &intake.route {
        Route::NotFound | Route::NeedsBody => {
            let msg = format!("The requested resource {} was not found", parts.uri.path());
            let mut out = Outcome::plain(
                state.responder.error(contract, None, 404, &msg),
                Why::NotFound,
            );
            out.body = read_for_routing();
            return out;
        }
        Route::MethodNotAllowed { allow, template } => {
            // `Allow` lists the documented methods; HEAD is answered as a courtesy.
            let msg = format!(
                "Method {} is not allowed on {template}; allowed: {allow}",
                parts.method
            );
            let mut built = state.responder.error(contract, None, 405, &msg);
            built.headers.push((
                ALLOW,
                HeaderValue::from_str(allow).unwrap_or(HeaderValue::from_static("")),
            ));
            let mut out = Outcome::plain(built, Why::MethodNotAllowed);
            out.body = read_for_routing();
            return out;
        }
        Route::Operation(op, params) => (*op, params),
    };

    let body = match body {
        Ok(read) => read,
        Err(unread) => match state.read_body(&parts.headers, unread).await {
            Ok(read) => read,
            Err(e) => return unreadable(state, Some(operation), e),
        },
    };

    // Credentials first, as Prism does: a request without them is 401 whatever
    // else it asks (the `__` controls are taken out of the query before either).
    let prefer = prefer::parse(heads.all(Known::Prefer), &mut intake.query);
    if let Some((built, why)) = super::auth::refuse(state, operation, parts, &intake.query) {
        let mut out = Outcome::plain(built, Why::Auth(why));
        out.body = body;
        return out.of(operation);
    }
    let prefer = match prefer {
        Ok(p) => p,
        Err(msg) => {
            let built =
                state
                    .responder
                    .mock_error(contract, operation, MockError::InvalidPrefer, &msg);
            let mut out = Outcome::plain(built, Why::Mock(MockError::InvalidPrefer, msg.into()));
            out.body = body;
            return out.of(operation);
        }
    };

    // The body is read once: validation parses it, and the state model gets it.
    let (violations, mut json) = if body.len() > CHECK_INLINE {
        Box::pin(validate_off_the_workers(
            state,
            parts,
            operation,
            body.clone(),
        ))
        .await
    } else {
        intake.check(contract, parts, &body)
    };
    if json.is_none() && state.sim.is_some() && !body.is_empty() {
        // A body validation did not read (a media type it leaves alone, such as
        // `application/*`): the state model still takes it when it is JSON.
        json = serde_json::from_slice(&body).ok();
    }
    if violations.is_empty() {
        if let Some(v) = not_acceptable(operation, heads.text(Known::Accept), prefer.code) {
            let msg = format!("Not acceptable: {v}");
            let built = state.responder.error(contract, Some(operation), 406, &msg);
            let mut out = Outcome::plain(built, Why::NotAcceptable);
            out.violations.push(v);
            out.body = body;
            return out.of(operation);
        }
    }
    // (Counted violations beyond those listed may be of any kind.)
    let only_uncheckable = violations.more == 0
        && !violations.open
        && violations.items.iter().all(|v| v.rule == UNCOMPILABLE);
    if !violations.is_empty() && only_uncheckable {
        // Only a schema mimeo cannot compile stands in the way: the request may
        // well be valid, so it is not told it is not (a 400 would send its
        // author looking for a mistake that is the contract's).
        let msg = format!(
            "The request cannot be checked: {}",
            violation_list(&violations)
        );
        let built =
            state
                .responder
                .mock_error(contract, operation, MockError::UncheckableSchema, &msg);
        let mut out = Outcome::plain(built, Why::Mock(MockError::UncheckableSchema, msg.into()));
        out.body = body;
        return out.of(operation);
    }
    if !violations.is_empty() {
        let msg = format!("Invalid request: {}", violation_list(&violations));
        let status = invalid_request_status(operation);
        let built = state.responder.error_listing(
            contract,
            Some(operation),
            status,
            &msg,
            &violations.items,
        );
        let mut out = Outcome::plain(built, Why::Invalid);
        out.unlisted = violations.total() - violations.items.len();
        out.violations = violations.items;
        out.body = body;
        return out.of(operation);
    }

    if prefer.dynamic.unwrap_or(state.opts.dynamic) {
        let mut out = Box::pin(off_the_workers(
            state, parts, operation, &body, json, prefer, session,
        ))
        .await;
        out.body = body;
        return out.of(operation);
    }

    let mut out = choose_and_respond(
        state,
        operation,
        parts,
        heads,
        path_params,
        &intake.query,
        json.as_ref(),
        &prefer,
        session,
        intake.served,
    );
    out.body = body;
    out.of(operation)
}

/// The answer when the request body cannot be read whole: too large, too
/// slow or broken. The connection is closed after it, the rest unread.
fn unreadable(state: &State, operation: Option<&Operation>, e: BodyError) -> Outcome {
    let contract = &*state.contract;
    let (status, msg, why) = match e {
        BodyError::TooLarge => {
            let msg = format!(
                "The request body is larger than {} bytes",
                state.opts.max_body
            );
            (413, msg, Why::TooLarge)
        }
        BodyError::TimedOut => {
            let within = crate::support::duration::format(state.opts.body_timeout);
            let msg = format!("The request body did not arrive within {within}");
            (
                408,
                msg,
                Why::Unreadable(format!("it did not arrive within {within}").into()),
            )
        }
        BodyError::Unreadable(e) => {
            let msg = format!("The request body could not be read: {e}");
            let why = Why::Unreadable(msg.clone().into());
            (400, msg, why)
        }
        // RFC 9110 §15.5.16: a coding the server does not read is 415, with
        // `Accept-Encoding` naming those it does.
        BodyError::Coded(e) => {
            let status = match e {
                CodingError::Unsupported(_) => 415,
                _ => 400,
            };
            let msg = format!("The request body could not be read: {e}");
            let why = Why::Unreadable(msg.clone().into());
            (status, msg, why)
        }
    };
    let mut built = state.responder.error(contract, operation, status, &msg);
    if status == 415 {
        built
            .headers
            .push((ACCEPT_ENCODING, HeaderValue::from_static(coding::READABLE)));
    }
    let mut out = Outcome::plain(built, why);
    out.operation = operation.map(|op| op.index);
    out.close = true;
    out
}

/// The violation when the request's `Accept` admits none of the media types
/// of the responses it may get: the one `Prefer: code=` asks for, else the
/// operation's success and redirect responses (errors are sent whatever
/// `Accept` says). Checked before the state model runs, so a 406 changes no
/// state. There is no exception for an operation with a single media type: a
/// client that says it cannot read it is told so rather than sent it anyway.
fn not_acceptable(op: &Operation, accept: Option<&str>, code: Option<u16>) -> Option<Violation> {
    let accept = accept?;
    let candidates: Vec<&crate::contract::Response> = match code {
        Some(c) => op.response_for(c).into_iter().collect(),
        None => op
            .responses
            .iter()
            .filter(|r| r.status.representative() < 400)
            .collect(),
    };
    let candidates: Vec<_> = candidates
        .into_iter()
        .filter(|r| !r.content.is_empty() && !bodiless(r.status.representative()))
        .collect();
    if candidates.is_empty()
        || candidates
            .iter()
            .any(|r| negotiate::choose(Some(accept), &r.content).is_some())
    {
        return None;
    }
    let mut names: Vec<&str> = candidates
        .iter()
        .flat_map(|r| r.content.iter().map(|m| m.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    Some(Violation {
        place: Place::Header,
        name: "Accept".into(),
        rule: "accept".into(),
        message: format!(
            "`{accept}` admits none of the media types {} documents: {}",
            op.name(),
            names.join(", ")
        ),
    })
}

/// The answer when the chosen response cannot be produced: the contract's 406
/// when no documented media type fits `Accept`, else mimeo's own error.
fn refused(state: &State, operation: &Operation, e: ChoiceError) -> Outcome {
    let contract = &*state.contract;
    if e.kind == MockError::NotAcceptable {
        let msg = format!("Not acceptable: {}", e.message);
        let built = state.responder.error(contract, Some(operation), 406, &msg);
        let mut out = Outcome::plain(built, Why::NotAcceptable);
        out.violations.push(Violation {
            place: Place::Header,
            name: "Accept".into(),
            rule: "accept".into(),
            message: e.message,
        });
        return out;
    }
    Outcome::plain(
        state
            .responder
            .mock_error(contract, operation, e.kind, &e.message),
        Why::Mock(e.kind, e.message.into()),
    )
}

/// Picks the answer: `Prefer` first, then a rule, then the state model (in
/// stateful mode), then the operation's default. A forced answer changes no
/// state. Delays, dribbles and faults come from `Prefer`, else from the rule.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_and_respond(
    state: &State,
    operation: &Operation,
    parts: &Parts,
    heads: &Heads<'_>,
    path_params: &[(&str, Result<Cow<'_, str>, String>)],
    query: &[(Cow<'_, str>, Cow<'_, str>)],
    json: Option<&Value>,
    prefer: &prefer::Prefer,
    session: &str,
    served: &str,
) -> Outcome {
    let contract = &*state.contract;
    // `Prefer` wins over rules: a request whose status (or fault) it chooses
    // meets only the rules that shape an answer (delay, dribble), and takes no
    // step of a sequence and no draw from a rule that chooses one (the next
    // plain request gets what it would have got). `example=` alone picks among
    // the examples of the status a rule gives.
    let preferred = prefer.code.is_some() || prefer.fault.is_some();
    let picked = match state.opts.rules.as_slice() {
        [] => Picked::default(),
        rules => chaos::pick(
            rules,
            &state.counters.session(session),
            state.opts.seed,
            stable_hash(session),
            &operation.method,
            // (Rules name the document's paths, without a servers base path.)
            &segments(served),
            preferred,
        ),
    };
    let rule = picked.rule.map(|(_, r)| r);
    let rule_index = picked.rule.map(|(i, _)| i);
    let mut shape = Shape {
        drawn: picked.drawn,
        ..Shape::default()
    };
    shape.delay = match (prefer.delay, rule.and_then(|r| r.delay), picked.spot) {
        (Some(d), _, _) => Some((d, false)),
        (None, Some(l), Some(spot)) => Some(spot.delay(&l)),
        _ => None,
    };
    shape.dribble = prefer.dribble.or_else(|| rule.and_then(|r| r.dribble));
    if let Some(d) = shape.dribble {
        shape.drawn.dribble = Some(d);
    }
    let fault = match (prefer.fault, rule.and_then(|r| r.fault)) {
        (Some(f), _) => Some((f, None)),
        (None, Some(f)) => Some((f, rule_index)),
        _ => None,
    };
    if let Some((fault, rule)) = fault {
        shape.fault = Some(fault);
        let mut out = Outcome::plain(
            crate::respond::finish(hyper::StatusCode::OK, Vec::new(), None),
            Why::Fault { fault, rule },
        );
        out.shape = shape;
        return out;
    }

    // The mock's own URLs (Location) name the host the client used, when that is
    // a host: a `Host` that is not one (too long for DNS, spaces, a path, user
    // information) would make them malformed, or longer than the contract
    // allows; they name the mock's own address instead.
    let host = match heads.text(Known::Host) {
        Some(h) if is_authority(h) => Cow::Borrowed(h),
        _ => Cow::Owned(state.addr.to_string()),
    };
    // Looked up only when a body is generated.
    // (The default session's numbers are what every body's were before they
    // were numbered per session: a seeded run of one client is unchanged.)
    let draw = || {
        let n = state.counters.session(session).next_generated();
        let own = if session == super::session::DEFAULT_SESSION {
            0
        } else {
            stable_hash(session)
        };
        own.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    };
    let info = RequestInfo {
        path_params,
        host: &host,
        query: parts.uri.query(),
        accept: heads.text(Known::Accept),
        accept_encoding: heads.text(Known::AcceptEncoding),
        draw: Some(&draw),
    };
    // In a stateful run a sequence's success step is the model's to answer:
    // `429,429,202` throttles twice, then really adds (a made-up 202 lost the
    // write, and every later one, the last step staying).
    let success_step = picked
        .step
        .is_some_and(|(code, _)| (200..300).contains(&code))
        && rule.is_some_and(|r| r.statuses.len() > 1 && r.example.is_none() && r.fault.is_none());
    let forced = prefer.code.is_some()
        || prefer.example.is_some()
        || (rule.is_some_and(|r| r.chooses()) && !success_step);
    if let (Some(sim), false) = (&state.sim, forced) {
        let decoded: Vec<(&str, &str)> = path_params
            .iter()
            .filter_map(|(n, v)| v.as_deref().ok().map(|v| (*n, v)))
            .collect();
        if let Some(outcome) = sim.handle(
            session,
            operation,
            &decoded,
            query,
            json,
            info.accept,
            Instant::now(),
        ) {
            let mut out = simulated(state, operation, outcome, &info);
            // A rule that applied is named, as without the model: a sequence's
            // step the model answered is still the rule's step, and a rule that
            // only shaped the answer (a delay, a dribble) still shaped it, unless
            // the request's own `Prefer` did (its delay wins over the rule's).
            let named = success_step || prefer.is_empty();
            if let (Some(index), Why::State(said), true) = (rule_index, &mut out.why, named) {
                out.why = Why::Rule {
                    index,
                    step: picked
                        .step
                        .filter(|_| success_step)
                        .map(|(_, step)| (step, rule.map_or(1, |r| r.statuses.len()))),
                    state: said.take(),
                };
            }
            out.shape = shape;
            return out;
        }
    }
    let (mut status, mut why) = match (prefer.code, picked.step) {
        (Some(code), _) => (code, Why::Prefer(Box::new(prefer.clone()))),
        (None, Some((code, step))) => (
            code,
            Why::Rule {
                index: rule_index.unwrap_or_default(),
                step: Some((step, rule.map_or(1, |r| r.statuses.len()))),
                state: None,
            },
        ),
        (None, None) => (state.responder.default_status(operation), Why::Default),
    };
    if !matches!(why, Why::Default)
        && state
            .responder
            .is_canonical(contract, operation, status, &info, parts.uri.path())
    {
        // The URL a redirect points at is never redirected itself: a client that
        // follows it (resending its Prefer) gets an answer, not a loop.
        status = state.responder.default_status(operation);
        why = Why::Default;
    }
    if matches!(why, Why::Default) {
        if !prefer.is_empty() {
            why = Why::Prefer(Box::new(prefer.clone()));
        } else if let Some(index) = rule_index {
            why = Why::Rule {
                index,
                step: None,
                state: None,
            };
        }
    }
    // A rule's example belongs to the statuses the rule was checked against, so it
    // applies only when Prefer did not pick the status.
    let example = prefer.example.as_deref().or_else(|| {
        rule.filter(|_| prefer.code.is_none())
            .and_then(|r| r.example.as_deref())
    });
    let choice = Choice {
        status,
        example,
        dynamic: prefer.dynamic.unwrap_or(state.opts.dynamic),
        ..Choice::default()
    };
    let mut out = match state.responder.respond(contract, operation, choice, &info) {
        Ok(built) => Outcome::plain(built, why),
        Err(e) => refused(state, operation, e),
    };
    out.shape = shape;
    out
}

/// The answer the state model decided.
fn simulated(
    state: &State,
    operation: &Operation,
    outcome: SimOutcome,
    info: &RequestInfo<'_>,
) -> Outcome {
    let contract = &*state.contract;
    // The state's body is handed on, not copied: the outcome is not needed after.
    let mut outcome = outcome;
    let (choice, why) = match &mut outcome {
        SimOutcome::Respond {
            status,
            body,
            location,
            checked,
        } => (
            Choice {
                status: *status,
                body: body.take(),
                checked: *checked,
                location: location.as_deref(),
                ..Choice::default()
            },
            Why::State(None),
        ),
        SimOutcome::Redirect {
            status,
            param,
            canonical,
        } => (
            Choice {
                status: *status,
                redirect_to: Some((param, canonical)),
                ..Choice::default()
            },
            Why::State(Some(format!("merged into {canonical}").into())),
        ),
        SimOutcome::Error { status, message } => {
            let built = state
                .responder
                .error(contract, Some(operation), *status, message);
            return Outcome::plain(built, Why::State(Some(message.as_str().into())));
        }
        SimOutcome::Refused { message } => {
            return Outcome::plain(
                state
                    .responder
                    .mock_error(contract, operation, MockError::StateLimit, message),
                Why::Mock(MockError::StateLimit, message.as_str().into()),
            )
        }
        SimOutcome::Unanswerable { message } => {
            return Outcome::plain(
                state.responder.mock_error(
                    contract,
                    operation,
                    MockError::InvalidResponse,
                    message,
                ),
                Why::Mock(MockError::InvalidResponse, message.as_str().into()),
            )
        }
    };
    match state.responder.respond(contract, operation, choice, info) {
        Ok(mut built) => {
            state
                .fresh
                .renew(contract, operation, state.opts.seed, &mut built);
            Outcome::plain(built, why)
        }
        Err(e) => refused(state, operation, e),
    }
}

/// Whether a `Host` value is a host (and port) a URL can carry: at most 261
/// characters (a DNS name's 253, a port), a registered name or IPv4 address
/// (RFC 3986 §3.2.2's characters, no `%`) or a bracketed IP literal, then at
/// most one `:` and digits. Checked by byte: this runs for every request.
fn is_authority(host: &str) -> bool {
    if host.is_empty() || host.len() > 261 {
        return false;
    }
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((literal, after))
                if !literal.is_empty()
                    && literal
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b)) =>
            {
                match after {
                    "" => return true,
                    _ => ("x", after.strip_prefix(':')),
                }
            }
            _ => return false,
        },
        // A byte search: `split_once(':')` sets up a char searcher, more work
        // than the rest of this check (run on every request).
        None => match memchr::memchr(b':', host.as_bytes()) {
            Some(at) => (&host[..at], Some(&host[at + 1..])),
            None => (host, None),
        },
    };
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b))
        && match port {
            None => !host.starts_with('['),
            Some(p) => port_ok(p),
        }
}

#[cfg(test)]
mod tests {
    use super::is_authority;

    #[test]
    fn a_host_is_a_name_or_address_and_a_port() {
        for good in [
            "127.0.0.1:4010",
            "mock.test",
            "mock.test:80",
            "[::1]",
            "[::1]:8080",
            "a_b-c.d",
        ] {
            assert!(is_authority(good), "{good}");
        }
        let long = "h".repeat(300);
        for bad in [
            "",
            long.as_str(),
            "a b",
            "evil.com/path?x=",
            "u:p@evil.com",
            "a:b:c",
            "host:abc",
            "host:",
            "[::1",
            "[]",
            "[::1]x",
            "%41",
            "host:123456",
        ] {
            assert!(!is_authority(bad), "{bad}");
        }
    }
}
