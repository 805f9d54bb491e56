//! A request from arrival to the last byte: admin requests and CORS preflights
//! are answered apart; every other request goes through the [`pipeline`], is
//! counted for the verdict, logged (timestamp, session, request, status, why)
//! and journaled (its head and body copied compactly; redaction waits until
//! someone reads the journal), then waits its delay and arms its fault: a
//! client that gives up during the delay has still been recorded.
//!
//! [`pipeline`]: super::pipeline

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION};
use hyper::http::request::Parts;
use hyper::{Request, Response};

use super::chaos::Spot;
use super::heads::{Heads, Known};
use super::pipeline::{answer, Outcome};
use super::session::{self, stable_hash};
use super::{admin, cors, under, State};
use crate::http::body::MockBody;
use crate::http::faulty::Conn;
use crate::http::log::{push_decimal, push_millis};
use crate::http::server::Unreadable;
use crate::journal::view::{push_timestamp, timestamp};
use crate::journal::{Entry, Head, Redactor, Why};
use crate::verdict::Found;

pub(super) async fn handle(
    state: &Arc<State>,
    req: Request<Incoming>,
    conn: Arc<Conn>,
) -> Response<MockBody> {
    let started = Instant::now();
    let at = SystemTime::now();
    let (parts, body) = req.into_parts();
    if let Some(rest) = under(parts.uri.path(), &state.admin_prefix) {
        // Boxed: the admin answer's future is large and rare; inline, it would
        // grow every request's future, which hyper moves into place.
        let built = Box::pin(admin::answer(state, &parts, body, rest)).await;
        if state.opts.log {
            let line = format!(
                "{} {} {} -> {} {:.2}ms (admin)\n",
                timestamp(at),
                parts.method,
                parts.uri.path(),
                built.status.as_u16(),
                started.elapsed().as_secs_f64() * 1e3
            );
            state.log.push(|buf| buf.extend_from_slice(line.as_bytes()));
        }
        let mut response = Response::new(MockBody::full(built.body));
        *response.status_mut() = built.status;
        response.headers_mut().extend(built.headers);
        return response;
    }
    let heads = Heads::of(&parts.headers);
    let session = session::shared_key_of(
        heads.get(Known::Session),
        &parts.headers,
        &state.default_session,
    );
    let mut outcome = if state.opts.cors && super::cors::is_preflight(&parts.method, &parts.headers)
    {
        Outcome::plain(cors::preflight(&parts.headers), Why::Preflight)
    } else {
        answer(state, &parts, &heads, body, &session).await
    };
    let judged = !matches!(outcome.why, Why::Preflight);
    if judged && outcome.shape.delay.is_none() {
        // The server-wide delay applies to every answer, errors included, as a
        // slow network would.
        if let Some(latency) = &state.opts.latency {
            outcome.shape.delay = Some(if latency.is_random() {
                let slot = state.opts.rules.len();
                let n = state
                    .counters
                    .session(&session)
                    .of(slot)
                    .fetch_add(1, Ordering::Relaxed);
                Spot {
                    seed: state.opts.seed,
                    session: stable_hash(&session),
                    slot,
                    n,
                }
                .delay(latency)
            } else {
                (latency.min(), false)
            });
        }
    }
    let delay = outcome.shape.delay.map(|(d, _)| d).filter(|d| !d.is_zero());
    // The request is counted, logged and journaled before its delay is
    // waited out: a client that gives up during the delay (a test of its
    // timeout) has still sent it, and its state change has happened. The
    // time shown is the answer's: the work so far plus the delay.
    let elapsed = started.elapsed() + delay.unwrap_or_default();
    let fault = outcome.shape.fault;
    let status = outcome.built.status.as_u16();
    if judged {
        count(
            state,
            &parts,
            &outcome,
            &session,
            fault.is_none().then_some(status),
        );
    }
    if state.opts.log {
        log(state, &parts, &outcome, &session, at, elapsed);
    }

    let mut response = Response::new(match outcome.shape.dribble {
        Some(d) => MockBody::dribbled(outcome.built.body, d),
        None => MockBody::full(outcome.built.body),
    });
    *response.status_mut() = outcome.built.status;
    let headers = response.headers_mut();
    for (name, value) in outcome.built.headers {
        headers.append(name, value);
    }
    if outcome.close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if state.opts.cors && judged {
        if let Some(origin) = heads.get(Known::Origin) {
            cors::decorate(headers, origin);
        }
    }

    if let Some(journal) = &state.journal {
        let mut drawn = std::mem::take(&mut outcome.shape.drawn);
        drawn.delay = outcome.shape.delay;
        journal.push(Entry {
            id: journal.next_id(),
            at,
            peer: conn.peer.ip(),
            session,
            body_len: outcome.body.len(),
            head: Head::copy(&parts.uri, &parts.headers, &outcome.body),
            method: parts.method,
            operation: outcome.operation,
            violations: outcome.violations,
            status: if fault.is_some() { 0 } else { status },
            why: outcome.why,
            drawn: (!drawn.is_empty()).then(|| Box::new(drawn)),
            elapsed,
        });
    }
    if let Some(delay) = delay {
        // A client that gives up during the delay (a test of its own timeout)
        // is let go: its connection ends now, not when the delay does.
        conn.answering(false);
        // Boxed, as other rare waits are (see `pipeline::answer`).
        Box::pin(tokio::time::sleep(delay)).await;
    }
    if let Some(f) = fault {
        conn.arm(f);
    }
    response
}

/// Counts the request for the verdict; only one that broke the contract (or
/// that no operation serves) pays for redaction.
fn count(state: &State, parts: &Parts, outcome: &Outcome, session: &str, status: Option<u16>) {
    let contract = &*state.contract;
    let op = outcome.operation.map(|i| contract.op(i));
    let unknown = match outcome.why {
        Why::NotFound => Some("no operation of the contract has this path".to_string()),
        Why::MethodNotAllowed => Some(format!(
            "no operation of the contract takes {} on this path",
            parts.method
        )),
        _ => None,
    };
    if outcome.violations.is_empty() && unknown.is_none() {
        state
            .verdicts
            .record(op, status, [], || (String::new(), String::new()));
        return;
    }
    // Made when the verdict lists a failure (the first ones only).
    let r = std::cell::OnceCell::new();
    let r = || {
        r.get_or_init(|| {
            Redactor::new(&contract.profile, &state.secrets, &parts.headers)
                .with_query(parts.uri.query())
                .with_form(
                    &outcome.body,
                    crate::http::intake::is_url_encoded(&parts.headers),
                )
        })
    };
    let found = outcome
        .violations
        .iter()
        .map(|v| Found {
            check: "request_valid",
            rule: &v.rule,
            message: Box::new(move || r().message(&v.text())),
        })
        .chain(unknown.map(|message| Found {
            check: "unknown",
            rule: "unknown",
            message: Box::new(|| message),
        }));
    state.verdicts.record(op, status, found, || {
        let shown = crate::journal::shown(
            &contract.profile,
            &state.secrets,
            &parts.headers,
            &parts.uri,
            session,
            r,
        );
        (
            format!("{} {}", parts.method, shown.target),
            shown.session.to_string(),
        )
    });
    state.verdicts.add_unlisted(op, outcome.unlisted);
}

/// A request hyper could not read (see [`Unreadable`]): counted by the
/// verdict as a broken request, and logged. It has no operation, session or
/// journal entry: nothing of it was read.
pub(super) fn unreadable(state: &State, peer: std::net::SocketAddr, u: Unreadable) {
    state.verdicts.record(None, u.status, [u.found()], || {
        (
            format!("(unread request from {})", peer.ip()),
            String::new(),
        )
    });
    state.log.push(|buf| {
        push_timestamp(buf, SystemTime::now());
        buf.extend_from_slice(b" [-] ");
        u.push_outcome(buf);
    });
}

/// `TIME [session] GET /path?query -> 200 0.01ms (why)`, written with little
/// formatting machinery: this runs for every request.
fn log(
    state: &State,
    parts: &Parts,
    outcome: &Outcome,
    session: &Arc<str>,
    at: SystemTime,
    elapsed: std::time::Duration,
) {
    let micros = elapsed.as_micros();
    // Every text goes through the redactor, the path too (a token can be a
    // segment of it), as the journal's views do; the target and session as
    // shown are kept per thread (see `journal::shown`), so the redactor is
    // made when they are not, or the line has a reason.
    let form = crate::http::intake::is_url_encoded(&parts.headers);
    let r = std::cell::OnceCell::new();
    let r = || {
        r.get_or_init(|| {
            Redactor::new(&state.contract.profile, &state.secrets, &parts.headers)
                .with_query(parts.uri.query())
                .with_form(&outcome.body, form)
        })
    };
    let shown = crate::journal::shown(
        &state.contract.profile,
        &state.secrets,
        &parts.headers,
        &parts.uri,
        session,
        r,
    );
    let mut preferred = None;
    let why = match &outcome.why {
        Why::Default => None,
        Why::Prefer(_) => {
            let reason = || {
                (outcome.why)
                    .reason(&state.opts.rules, |t| r().message(t))
                    .to_string()
            };
            preferred = Some(crate::journal::preferred(
                &state.contract.profile,
                &state.secrets,
                &parts.headers,
                &parts.uri,
                form,
                reason,
            ));
            None
        }
        Why::Invalid => {
            // `N violation(s): A; B; and M more`, each redacted.
            let mut why = (outcome.violations.len() + outcome.unlisted).to_string();
            why.push_str(" violation(s): ");
            for (i, v) in outcome.violations.iter().enumerate() {
                if i > 0 {
                    why.push_str("; ");
                }
                why.push_str(&r().message(&v.text()));
            }
            if outcome.unlisted > 0 {
                why.push_str("; and ");
                why.push_str(&outcome.unlisted.to_string());
                why.push_str(" more");
            }
            Some(why)
        }
        other => Some(
            other
                .reason(&state.opts.rules, |t| r().message(t))
                .to_string(),
        ),
    };
    let why = preferred.as_deref().or(why.as_deref());
    state.log.push(|buf| {
        push_timestamp(buf, at);
        buf.extend_from_slice(b" [");
        buf.extend_from_slice(shown.session.as_bytes());
        buf.extend_from_slice(b"] ");
        buf.extend_from_slice(parts.method.as_str().as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(shown.target.as_bytes());
        buf.extend_from_slice(b" -> ");
        match outcome.shape.fault {
            Some(f) => {
                buf.extend_from_slice(b"fault ");
                buf.extend_from_slice(f.name().as_bytes());
            }
            None => push_decimal(buf, u64::from(outcome.built.status.as_u16())),
        }
        buf.push(b' ');
        push_millis(buf, micros);
        if let Some(why) = why {
            buf.extend_from_slice(b" (");
            buf.extend_from_slice(why.as_bytes());
            buf.push(b')');
        }
        buf.push(b'\n');
    });
}
