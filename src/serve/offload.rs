//! Work taken off the async workers: checking a request whose body is large,
//! and answering one that asks for generated data. Both run on a blocking
//! thread, a few at a time (the `heavy` semaphore), on an owned copy of the
//! request head, so a slow request never stalls the others.

use std::sync::Arc;

use bytes::Bytes;
use hyper::http::request::Parts;
use serde_json::Value;

use super::heads::{Heads, Known};
use super::pipeline::{choose_and_respond, Outcome};
use super::State;
use crate::contract::Operation;
use crate::http::intake::{Intake, Route};
use crate::journal::Why;
use crate::respond::prefer;
use crate::support::limits::Capped;
use crate::validate::Violation;

/// Request bodies up to this size are validated on the async worker; larger ones
/// on a blocking thread, so a large body never stalls other requests.
pub(super) const CHECK_INLINE: usize = 64 * 1024;

/// The request head again, owned, for work on another thread; its method is the
/// operation's (a `HEAD` is routed as the `GET` it stands for).
fn owned_head(parts: &Parts, operation: &Operation) -> Parts {
    let (mut copy, ()) = hyper::Request::new(()).into_parts();
    copy.method = operation.method.clone();
    copy.uri = parts.uri.clone();
    copy.version = parts.version;
    copy.headers = parts.headers.clone();
    copy
}

/// Validates a request with a large body on a blocking thread (a few at a time,
/// as generation is), so the async workers keep serving meanwhile.
pub(super) async fn validate_off_the_workers(
    state: &Arc<State>,
    parts: &Parts,
    operation: &Operation,
    body: Bytes,
) -> (Capped<Violation>, Option<Value>) {
    let copy = owned_head(parts, operation);
    let permit = state.heavy.clone().acquire_owned().await;
    let state = Arc::clone(state);
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut intake = Intake::with_body(&state.contract, &copy, &copy.method, &body);
        // As on the worker: mimeo's own `__` controls are not the request's.
        let _ = prefer::parse(copy.headers.get_all(prefer::PREFER), &mut intake.query);
        intake.check(&state.contract, &copy, &body)
    })
    .await;
    done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Answers a request that asks for fresh data on a blocking thread, a few at a
/// time: generating is CPU work (bounded in size and time), and it must not hold
/// up the requests the async workers are serving meanwhile.
pub(super) async fn off_the_workers(
    state: &Arc<State>,
    parts: &Parts,
    operation: &Operation,
    body: &Bytes,
    json: Option<Value>,
    prefer: prefer::Prefer,
    session: &str,
) -> Outcome {
    let copy = owned_head(parts, operation);
    let body = body.clone();
    let session = session.to_string();
    let permit = state.heavy.clone().acquire_owned().await;
    let state = Arc::clone(state);
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let contract = &*state.contract;
        let mut intake = Intake::with_body(contract, &copy, &copy.method, &body);
        let heads = Heads::of(&copy.headers);
        let _ = prefer::parse(heads.all(Known::Prefer), &mut intake.query);
        match &intake.route {
            Route::Operation(op, params) => choose_and_respond(
                &state,
                op,
                &copy,
                &heads,
                params,
                &intake.query,
                json.as_ref(),
                &prefer,
                &session,
                intake.served,
            ),
            _ => Outcome::plain(
                state.responder.error(contract, None, 404, "not found"),
                Why::NotFound,
            ),
        }
    })
    .await;
    done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}
