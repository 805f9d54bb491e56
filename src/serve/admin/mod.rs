//! The control surface a test drives the mock through, under a reserved prefix
//! (`/__admin` unless configured; a contract with paths under it is refused at
//! start-up): the session's state as JSON, replacing it, resetting state, rule
//! sequences, chaos draws and the journal for one session or all; the request
//! journal ([`requests`]); the verdict so far; health for readiness probes; and
//! a shutdown that writes the reports as SIGTERM would. Answers are mimeo's own,
//! never the contract's, and errors carry the `mimeo-error` header. Admin
//! requests are neither journaled nor judged.

mod requests;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::session;
use super::State;
use crate::http::server::BodyError;
use crate::respond::{Built, MOCK_ERROR_HEADER};

/// The endpoints, for the message on an unknown one.
const ENDPOINTS: &str = "GET/PUT /state, POST /reset, GET /health, GET /verdict, POST /shutdown, GET/DELETE /requests, GET /requests/{id}, POST /requests/count, /requests/find, /requests/remove, GET /requests/unmatched, /requests/unmatched/near-misses";

/// The decoded query of an admin request.
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    fn of(parts: &Parts) -> Query {
        Query(
            parts
                .uri
                .query()
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A yes-or-no parameter: `true`, `1` or bare (`?invalid`) is yes, `false`
    /// or `0` no, absent no. Anything else is a 400 rather than a quiet "no",
    /// which for a filter would list every entry as if it had matched.
    pub(super) fn flag(&self, name: &str) -> Result<bool, Built> {
        match self.get(name) {
            None | Some("false" | "0") => Ok(false),
            Some("true" | "1" | "") => Ok(true),
            Some(other) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid-admin-request",
                &format!("{name}=`{other}` is not a boolean; give true or false (or 1 or 0)"),
            )),
        }
    }

    /// Refuses a parameter `endpoint` does not take: a misspelt filter
    /// (`invlid=true`) would otherwise be ignored and every entry listed.
    pub(super) fn only(&self, endpoint: &str, known: &[&str]) -> Result<(), Built> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid-admin-request",
                &format!(
                    "unknown query parameter `{k}`; {endpoint} takes {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )),
        }
    }
}

/// Answers a request under the admin prefix (`rest` is the path after it).
pub(in crate::serve) async fn answer(
    state: &State,
    parts: &Parts,
    body: Incoming,
    rest: &str,
) -> Built {
    // HEAD is answered wherever GET is (RFC 9110 9.1; readiness probes such
    // as `wait-on` send it): hyper leaves the body out.
    let method = match parts.method {
        Method::HEAD => &Method::GET,
        ref m => m,
    };
    let query = Query::of(parts);
    let session = query
        .get("session")
        .map(|s| session::named(s).into_owned())
        .unwrap_or_else(|| session::key(&parts.headers));
    if let Some(sub) = rest.strip_prefix("/requests") {
        let body = if matches!(method, &Method::POST) {
            match read_admin_body(state, parts, body).await {
                Ok(b) => b,
                Err(e) => return e,
            }
        } else {
            Bytes::new()
        };
        return requests::answer(state, method, sub, &query, &body);
    }
    // A misspelt parameter (`?sesion=ci-7`) would act on the caller's own
    // session and answer 200: refused instead, as the journal's filters are.
    // (Others, health above all, take whatever a probe adds.)
    // (A method the endpoint does not take is its 405, checked below.)
    let known: Option<&[&str]> = match (rest, method) {
        ("/state", &Method::GET | &Method::PUT) => Some(&["session"]),
        ("/reset", &Method::POST) => Some(&["session", "all"]),
        _ => None,
    };
    if let Some(known) = known {
        let endpoint = format!("{method} {rest}");
        if let Err(e) = query.only(&endpoint, known) {
            return e;
        }
    }
    match (rest, method) {
        ("/state", &Method::GET) => match &state.sim {
            Some(sim) => ok(sim.dump(&session)),
            None => not_stateful(),
        },
        ("/state", &Method::PUT) => {
            let Some(sim) = &state.sim else {
                return not_stateful();
            };
            // A session's state may hold more than a request body may (4 MiB
            // of documents, written out with their keys): what GET gave, PUT
            // takes back, one state at a time.
            // (Never closed: the permit is held until the state is loaded.)
            let _one_at_a_time = state.state_loads.acquire().await;
            let limit = state.opts.max_body.max(MAX_STATE_BODY);
            let bytes = match read_admin_body_within(state, parts, body, limit).await {
                Ok(b) => b,
                Err(e) => return e,
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
            let all = match query.flag("all") {
                Ok(a) => a,
                Err(e) => return e,
            };
            let which = (!all).then_some(session.as_str());
            state.reset(which);
            ok(json!({"reset": if all { "all" } else { session.as_str() }}))
        }
        ("/health", &Method::GET) => ok(json!({
            "status": "healthy",
            "message": "mimeo is ok",
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeInSeconds": state.started.elapsed().as_secs(),
            "timestamp": crate::journal::view::timestamp(std::time::SystemTime::now()),
            "contract": format!("{} {}", state.contract.title(), state.contract.version()),
            "operations": state.contract.operations().len(),
            "stateful": state.sim.is_some(),
            "journal": {
                "enabled": state.journal.is_some(),
                "size": state.journal.as_ref().map_or(0, |j| j.len()),
                "capacity": state.opts.journal_size,
            },
        })),
        ("/verdict", &Method::GET) => ok(serde_json::to_value(
            state.verdicts.verdict(&state.contract),
        )
        .unwrap_or(Value::Null)),
        ("/shutdown", &Method::POST) => {
            // The server stops accepting once this answer is out; requests in
            // flight finish, then `mimeo serve` writes its reports and exits.
            let _ = state.stop.send(true);
            ok(json!({"shutdown": true}))
        }
        ("/state", _) => not_allowed("GET, HEAD, PUT"),
        ("/reset" | "/shutdown", _) => not_allowed("POST"),
        ("/health" | "/verdict", _) => not_allowed("GET, HEAD"),
        _ => unknown(state, rest),
    }
}

/// The largest state `PUT /state` reads (at least `--max-body-size`): a
/// session's own bounds (4 MiB of documents, 20,000 values) written out as
/// `GET /state` gives them, with room. One is read at a time.
const MAX_STATE_BODY: usize = 16 * 1024 * 1024;

async fn read_admin_body(state: &State, parts: &Parts, body: Incoming) -> Result<Bytes, Built> {
    read_admin_body_within(state, parts, body, state.opts.max_body).await
}

async fn read_admin_body_within(
    state: &State,
    parts: &Parts,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, Built> {
    let read =
        crate::http::server::read_decoded(&parts.headers, body, limit, state.opts.body_timeout)
            .await;
    match read {
        Ok(b) => Ok(b),
        Err(BodyError::TooLarge) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid-admin-request",
            &format!("the body is larger than {limit} bytes"),
        )),
        Err(BodyError::Unreadable(e)) => {
            Err(error(StatusCode::BAD_REQUEST, "invalid-admin-request", &e))
        }
        Err(BodyError::Coded(e)) => Err(error(
            StatusCode::BAD_REQUEST,
            "invalid-admin-request",
            &e.to_string(),
        )),
        Err(BodyError::TimedOut) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "invalid-admin-request",
            "the body did not arrive in time",
        )),
    }
}

pub(super) fn unknown(state: &State, rest: &str) -> Built {
    error(
        StatusCode::NOT_FOUND,
        "unknown-admin",
        &format!(
            "{}{rest} is not an admin endpoint; under {} they are {ENDPOINTS}",
            state.admin_prefix, state.admin_prefix
        ),
    )
}

pub(super) fn ok(value: Value) -> Built {
    Built {
        status: StatusCode::OK,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body: Bytes::from(value.to_string()),
    }
}

pub(super) fn error(status: StatusCode, kind: &'static str, message: &str) -> Built {
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

pub(super) fn not_allowed(allow: &'static str) -> Built {
    let mut built = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "unknown-admin",
        &format!("this admin endpoint takes {allow}"),
    );
    built.headers.push((ALLOW, HeaderValue::from_static(allow)));
    built
}
