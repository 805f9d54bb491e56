//! Implementations of the Memory API written for the differential tests: a
//! small hyper server in front of a stateful mimeo mock (which holds the
//! state), passing every exchange through and changing the answers in one
//! chosen way. `Faithful` changes nothing; the others deviate the way real
//! implementations do.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use mimeo::state::{StateModel, StateOptions};
use mimeo::{MockServer, ServeOptions};
use serde_json::Value;

/// How the implementation deviates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly the mock's answers.
    Faithful,
    /// Lists values newest first (the schema still holds).
    NewestFirst,
    /// Stores emails as given, only trimmed: no lower-casing (the schema still holds).
    KeepsCase,
    /// `values` comes back as one string instead of an array: breaks the schema.
    BreaksSchema,
    /// Every 202 carries a fresh request id in its message (the schema still holds).
    FreshIds,
    /// Conventions the documents leave open, its own: error codes of its own
    /// (520041), `Allow` in another order with HEAD, operation ids shaped as
    /// UUIDs (header, Location, statusUrl), absolute URLs in redirect bodies.
    OwnConventions,
}

/// A running implementation: its URL, and the mock behind it (kept alive while
/// the implementation runs).
pub struct Deviant {
    pub url: String,
    _state: MockServer,
}

/// Starts an implementation in `mode` on 127.0.0.1:0, demanding `auth`.
pub async fn start(mode: Mode, auth: Option<(String, String)>) -> Deviant {
    let contract = super::contract();
    let model = StateModel::for_contract(&contract).expect("the shipped model");
    let inner = MockServer::start(
        contract,
        ServeOptions {
            auth,
            stateful: Some((Arc::new(model), StateOptions::default())),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("mock starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let upstream = inner.url();
    let cases: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, cases, counter) = (upstream.clone(), cases.clone(), counter.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    forward(req, mode, upstream.clone(), cases.clone(), counter.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Deviant { url, _state: inner }
}

async fn forward(
    req: Request<Incoming>,
    mode: Mode,
    upstream: String,
    cases: Arc<Mutex<HashMap<String, String>>>,
    counter: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if mode == Mode::KeepsCase && parts.method == hyper::Method::POST {
        // Remember how each email was written, to give it back that way.
        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
            if let Some(value) = v.get("value").and_then(Value::as_str) {
                let trimmed = value.trim().to_string();
                cases
                    .lock()
                    .unwrap()
                    .insert(trimmed.to_lowercase(), trimmed);
            }
        }
    }
    let uri = format!(
        "{upstream}{}",
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut out = Request::builder().method(parts.method.clone()).uri(uri);
    // Host is passed on, as a reverse proxy does: redirects name this server.
    for (k, v) in &parts.headers {
        out = out.header(k, v);
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let answer = client
        .request(out.body(Full::new(body)).expect("request"))
        .await
        .expect("the mock answers");
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    // OwnConventions: the mock's operation id, as a UUID of its own.
    let own_id = format!(
        "9f1c2a7e-0000-4000-8000-{:012x}",
        counter.fetch_add(1, Ordering::SeqCst)
    );
    let op_id = parts
        .headers
        .get("operation-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let own = |text: &str| match (&op_id, mode) {
        (Some(id), Mode::OwnConventions) => text.replace(id.as_str(), &own_id),
        _ => text.to_string(),
    };
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(mut v) => {
            change(&mut v, parts.status.as_u16(), mode, &cases, &counter);
            Bytes::from(own(&serde_json::to_string(&v).expect("JSON")))
        }
        Err(_) => body,
    };
    let mut resp = Response::builder().status(parts.status);
    for (k, v) in &parts.headers {
        if k != hyper::header::CONTENT_LENGTH && k != hyper::header::TRANSFER_ENCODING {
            let text = v.to_str().unwrap_or_default();
            match (mode, k.as_str()) {
                (Mode::OwnConventions, "allow") => {
                    let mut m: Vec<&str> = text.split(',').map(str::trim).collect();
                    m.reverse();
                    m.push("HEAD");
                    resp = resp.header(k, m.join(","));
                }
                (Mode::OwnConventions, "operation-id" | "location") => {
                    resp = resp.header(k, own(text));
                }
                _ => resp = resp.header(k, v),
            }
        }
    }
    Ok(resp.body(Full::new(body)).expect("response"))
}

fn change(
    v: &mut Value,
    status: u16,
    mode: Mode,
    cases: &Mutex<HashMap<String, String>>,
    counter: &AtomicU64,
) {
    match mode {
        Mode::Faithful => {}
        Mode::FreshIds if status == 202 => {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            v["message"] = Value::String(format!("Accepted (request {n:08x})."));
        }
        Mode::FreshIds => {}
        Mode::OwnConventions => {
            if status >= 400 && v.get("code").is_some() {
                v["code"] = Value::from(520_041);
                v["more_info"] = Value::from("https://www.twilio.com/docs/api/errors/520041");
            }
            if let Some(Value::String(uri)) = v.get_mut("uri") {
                if uri.starts_with('/') {
                    *uri = format!("https://memory.example.com{uri}");
                }
            }
        }
        Mode::NewestFirst | Mode::KeepsCase | Mode::BreaksSchema => {
            for values in value_lists(v) {
                match mode {
                    Mode::NewestFirst => {
                        if let Value::Array(items) = values {
                            items.reverse();
                        }
                    }
                    Mode::KeepsCase => {
                        if let Value::Array(items) = values {
                            let cases = cases.lock().unwrap();
                            for item in items {
                                if let Some(original) = item.as_str().and_then(|s| cases.get(s)) {
                                    *item = Value::String(original.clone());
                                }
                            }
                        }
                    }
                    _ => {
                        let joined: Vec<String> = values
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|i| i.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default();
                        *values = Value::String(joined.join(","));
                    }
                }
            }
        }
    }
}

/// The `values` arrays of a fetch (`/values`) or a list (`/identifiers/*/values`).
fn value_lists(v: &mut Value) -> Vec<&mut Value> {
    if v.get("values").is_some() {
        return v.get_mut("values").into_iter().collect();
    }
    match v.get_mut("identifiers") {
        Some(Value::Array(list)) => list
            .iter_mut()
            .filter_map(|e| e.get_mut("values"))
            .collect(),
        _ => Vec::new(),
    }
}
