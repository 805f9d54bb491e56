//! The control surface a test drives the mock through, under a reserved prefix
//! (`/__admin` unless configured; a contract with paths under it is refused at
//! start-up): the session's state as JSON, replacing it, and resetting state and
//! rule sequences for one session or all. Answers are mimeo's own, never the
//! contract's, and errors carry the `mimeo-error` header.

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::session;
use super::State;
use crate::http::server::{read_body, BodyError};
use crate::respond::{Built, MOCK_ERROR_HEADER};

/// Answers a request under the admin prefix (`rest` is the path after it).
pub(super) async fn answer(state: &State, parts: &Parts, body: Incoming, rest: &str) -> Built {
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let session = param("session")
        .map(str::to_string)
        .unwrap_or_else(|| session::key(&parts.headers));
    match (rest, &parts.method) {
        ("/state", &Method::GET) => match &state.sim {
            Some(sim) => ok(sim.dump(&session)),
            None => not_stateful(),
        },
        ("/state", &Method::PUT) => {
            let Some(sim) = &state.sim else {
                return not_stateful();
            };
            let bytes = match read_body(&parts.headers, body, state.opts.max_body).await {
                Ok(b) => b,
                Err(BodyError::TooLarge) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "invalid-state",
                        &format!("the state is larger than {} bytes", state.opts.max_body),
                    )
                }
                Err(BodyError::Unreadable(e)) => {
                    return error(StatusCode::BAD_REQUEST, "invalid-state", &e)
                }
            };
            let value: Value = match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "invalid-state",
                        &format!("the state is not JSON: {e}"),
                    )
                }
            };
            match sim.load(&session, &value) {
                Ok(()) => ok(json!({"session": session, "loaded": true})),
                Err(errors) => {
                    let list: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                    let mut built = error(
                        StatusCode::BAD_REQUEST,
                        "invalid-state",
                        &format!("the state was refused: {}", list.join("; ")),
                    );
                    built.body = Bytes::from(
                        json!({"mimeo_error": "invalid-state", "message": "the state was refused", "errors": list})
                            .to_string(),
                    );
                    built
                }
            }
        }
        ("/reset", &Method::POST) => {
            let all = param("all") == Some("true");
            let which = (!all).then_some(session.as_str());
            if let Some(sim) = &state.sim {
                sim.reset(which);
            }
            state.counters.reset(which);
            ok(json!({"reset": if all { "all" } else { session.as_str() }}))
        }
        ("/state", _) => not_allowed("GET, PUT"),
        ("/reset", _) => not_allowed("POST"),
        _ => error(
            StatusCode::NOT_FOUND,
            "unknown-admin",
            &format!(
                "{}{rest} is not an admin endpoint; they are GET and PUT {p}/state, POST {p}/reset",
                state.admin_prefix,
                p = state.admin_prefix
            ),
        ),
    }
}

fn ok(value: Value) -> Built {
    Built {
        status: StatusCode::OK,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body: Bytes::from(value.to_string()),
    }
}

fn error(status: StatusCode, kind: &'static str, message: &str) -> Built {
    Built {
        status,
        headers: vec![
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                HeaderName::from_static(MOCK_ERROR_HEADER),
                HeaderValue::from_static(kind),
            ),
        ],
        body: Bytes::from(json!({"mimeo_error": kind, "message": message}).to_string()),
    }
}

fn not_stateful() -> Built {
    error(
        StatusCode::NOT_FOUND,
        "not-stateful",
        "the mock runs without a state model (start it with --stateful); there is no state",
    )
}

fn not_allowed(allow: &'static str) -> Built {
    let mut built = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "unknown-admin",
        &format!("this admin endpoint takes {allow}"),
    );
    built.headers.push((ALLOW, HeaderValue::from_static(allow)));
    built
}
