//! The floor of a validating mock: the least work any mock must do to answer
//! the benchmark's mix correctly while checking requests against the contract,
//! written as plainly as possible on the same hyper, runtime and connection
//! settings as `mimeo serve` (and `bare_hyper`). Its throughput, beside the bare
//! server's, is how close to the bare ceiling a mock that validates can get on
//! this machine; the rest of mimeo's gap to it is mimeo's own extra work.
//!
//! Per request it routes by method and path (matchit, over the contract's
//! templates), checks every declared path and query parameter and a JSON body
//! against their schemas (jsonschema, compiled at start with `$ref`s inlined),
//! and answers 400 when a check failed, else the status `Prefer: code=N` names
//! when the operation documents it, else its lowest 2xx, each with the
//! documented example (or `{}`). Nothing else: no log line, no journal, no
//! sessions, no header parameters, no content negotiation, no error details, no
//! percent-decoding. So it is generous to the target: the real floor is higher.
//!
//! Two features the targets keep on can be added, each in its plainest form, to
//! show what they cost on top: `--journal` keeps the last 10,000 requests
//! (method, status, time, and the target, headers and body copied into one
//! buffer, pushed under one lock, as a journal a test reads back must hold
//! them; moving hyper's own parts in instead keeps each request's whole read
//! buffer alive, and a ring that turns over on every request then costs more
//! in memory than the copy does in instructions), and `--log` writes one line
//! per request (`secs.millis METHOD /path?query -> STATUS micros`) to stderr
//! from a thread of its own every 10 ms, with no redaction and no escaping.
//!
//! `--state` shows the least a *stateful* mock of the identifier operations
//! costs (the stateful mix, benches/stateful.lua): answers come from one store
//! under one lock, per (`X-Mimeo-Session` or `default`, store, profile) a list
//! of idTypes, each with its values in the order added. Create adds a value
//! (one already held is not added twice; the oldest goes past 100 values; a
//! 51st idType is a 400), 202 with the documented example; List answers 200
//! `{identifiers:[{idType, values}]}` (empty when none); Fetch 200 `{idType,
//! values}` or 404; Patch replaces `oldValue` by `newValue` in place, 202, or
//! 404 when the old value is absent, 409 when the new one is already held, 400
//! when the body's idType is not the path's; Delete removes the oldest value,
//! every value with `removeAll=true`, 202, or 404 when none. Error bodies are
//! the documented examples. No normalization, no limits from settings, no
//! merging of profiles: again generous to the target.
//!
//! `cargo run --release --example floor -- PORT SPEC [WORKERS] [--journal] [--log] [--state]`
//! (binds 127.0.0.1).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;

/// One declared path or query parameter, compiled.
struct Param {
    name: String,
    in_path: bool,
    required: bool,
    /// The schema's `type`, to read the text as that JSON type.
    kind: String,
    schema: jsonschema::Validator,
}

/// One operation, compiled.
struct Op {
    /// The operationId, for `--state`.
    id: String,
    params: Vec<Param>,
    body: Option<(bool, jsonschema::Validator)>,
    /// Documented statuses and their example bodies.
    answers: HashMap<u16, Bytes>,
    default: u16,
}

struct Api {
    router: matchit::Router<usize>,
    paths: Vec<HashMap<Method, Op>>,
    /// `--journal`: the last [`JOURNAL_SIZE`] requests.
    journal: Option<Mutex<VecDeque<Entry>>>,
    /// `--log`: log lines waiting for the writer thread.
    log: Option<Arc<Mutex<Vec<u8>>>>,
    /// `--state`: per (session, store, profile), its idTypes and their values.
    state: Option<Mutex<HashMap<Profile, Identifiers>>>,
}

type Profile = (String, String, String);
type Identifiers = Vec<(String, Vec<String>)>;

/// The contract's bounds on a profile's idTypes and on one idType's values.
const MAX_ID_TYPES: usize = 50;
const MAX_VALUES: usize = 100;

/// As many requests as `mimeo serve` journals by default.
const JOURNAL_SIZE: usize = 10_000;

/// One journaled request (fields kept to be read back, as a journal's are).
#[allow(dead_code)]
struct Entry {
    at: SystemTime,
    method: Method,
    status: u16,
    /// The target (path and query) and `\n`, then `name: value\n` for each
    /// header, `\n`, the body.
    copied: Box<[u8]>,
}

/// The request's target, headers and body in one buffer (see [`Entry`]).
fn copied(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Box<[u8]> {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let len = target.len()
        + 2
        + headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 3)
            .sum::<usize>()
        + body.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(target.as_bytes());
    out.push(b'\n');
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out.into_boxed_slice()
}

/// `value` with every local `$ref` replaced by what it points to (the contract
/// has no recursive schemas; the bound on nesting, refs followed included,
/// keeps a bad one finite).
fn inline(value: &Value, doc: &Value, depth: usize) -> Value {
    assert!(depth < 64, "$ref nesting too deep");
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let target = r
                    .strip_prefix('#')
                    .and_then(|p| doc.pointer(p))
                    .unwrap_or_else(|| panic!("unresolved $ref {r}"));
                return inline(target, doc, depth + 1);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline(v, doc, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| inline(v, doc, depth + 1)).collect())
        }
        other => other.clone(),
    }
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("a schema jsonschema compiles")
}

fn op(path_item: &Value, operation: &Value) -> Op {
    let declared = path_item["parameters"].as_array().into_iter().flatten();
    let params = declared
        .chain(operation["parameters"].as_array().into_iter().flatten())
        .filter(|p| matches!(p["in"].as_str(), Some("path" | "query")))
        .map(|p| Param {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            in_path: p["in"] == "path",
            required: p["required"] == true,
            kind: p["schema"]["type"].as_str().unwrap_or("string").to_string(),
            schema: compile(&p["schema"]),
        })
        .collect();
    let body = operation["requestBody"]["content"]["application/json"]["schema"]
        .is_object()
        .then(|| {
            let b = &operation["requestBody"];
            (
                b["required"] == true,
                compile(&b["content"]["application/json"]["schema"]),
            )
        });
    let mut answers = HashMap::new();
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let Ok(code) = status.parse::<u16>() else {
            continue;
        };
        let media = &response["content"]["application/json"];
        let example = media
            .get("example")
            .or_else(|| media["examples"].as_object()?.values().next()?.get("value"))
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        answers.insert(code, Bytes::from(example.to_string()));
    }
    let default = answers
        .keys()
        .copied()
        .filter(|c| (200..300).contains(c))
        .min()
        .unwrap_or(200);
    Op {
        id: operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        params,
        body,
        answers,
        default,
    }
}

fn load(spec: &str, journal: bool, log: bool, state: bool) -> Api {
    let text = std::fs::read_to_string(spec).expect("read the contract");
    let raw: Value = serde_yaml::from_str(&text).expect("a YAML contract");
    let doc = inline(&raw, &raw, 0);
    let mut router = matchit::Router::new();
    let mut paths = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let mut ops = HashMap::new();
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if let Some(operation) = item.get(method) {
                let m =
                    Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("a method");
                ops.insert(m, op(item, operation));
            }
        }
        router
            .insert(template.as_str(), paths.len())
            .expect("a template matchit takes");
        paths.push(ops);
    }
    Api {
        router,
        paths,
        journal: journal.then(|| Mutex::new(VecDeque::with_capacity(JOURNAL_SIZE))),
        log: log.then(|| {
            let pending = Arc::new(Mutex::new(Vec::new()));
            let shared = pending.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_millis(10));
                let batch = std::mem::take(&mut *shared.lock().expect("log lock"));
                if !batch.is_empty() {
                    let _ = std::io::stderr().lock().write_all(&batch);
                }
            });
            pending
        }),
        state: state.then(|| Mutex::new(HashMap::new())),
    }
}

/// A parameter's text as the JSON value its schema's type reads.
fn typed(text: &str, kind: &str) -> Value {
    match kind {
        "integer" | "number" => text
            .parse::<serde_json::Number>()
            .map_or_else(|_| Value::from(text), Value::Number),
        "boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::from(text),
        },
        _ => Value::from(text),
    }
}

fn reply(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    api: Arc<Api>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let at = SystemTime::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (status, answer) = decide(&api, &parts, &body);
    if let Some(log) = &api.log {
        let since = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let mut pending = log.lock().expect("log lock");
        let _ = writeln!(
            pending,
            "{}.{:03} {} {} -> {status} {}us",
            since.as_secs(),
            since.subsec_millis(),
            parts.method,
            parts.uri.path_and_query().map_or("/", |p| p.as_str()),
            started.elapsed().as_micros()
        );
    }
    if let Some(journal) = &api.journal {
        let entry = Entry {
            at,
            method: parts.method,
            status,
            copied: copied(&parts.uri, &parts.headers, &body),
        };
        let mut journal = journal.lock().expect("journal lock");
        if journal.len() == JOURNAL_SIZE {
            journal.pop_front();
        }
        journal.push_back(entry);
    }
    Ok(reply(status, answer))
}

/// The status and body the request gets.
fn decide(api: &Api, parts: &hyper::http::request::Parts, body: &Bytes) -> (u16, Bytes) {
    let Ok(found) = api.router.at(parts.uri.path()) else {
        return (404, Bytes::from_static(b"{}"));
    };
    let Some(op) = api.paths[*found.value].get(&parts.method) else {
        return (405, Bytes::from_static(b"{}"));
    };
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mut valid = op.params.iter().all(|p| {
        let text = if p.in_path {
            found.params.get(&p.name)
        } else {
            query
                .iter()
                .find(|(k, _)| *k == p.name)
                .map(|(_, v)| v.as_str())
        };
        match text {
            Some(text) => p.schema.is_valid(&typed(text, &p.kind)),
            None => !p.required,
        }
    });
    let mut json = Value::Null;
    if let Some((required, schema)) = &op.body {
        valid &= if body.is_empty() {
            !required
        } else {
            json = serde_json::from_slice(body).unwrap_or(Value::Null);
            schema.is_valid(&json)
        };
    }
    if let (true, Some(state)) = (valid, &api.state) {
        let param = |name| found.params.get(name).unwrap_or_default().to_string();
        let session = parts.headers.get("x-mimeo-session");
        let session = session.and_then(|v| v.to_str().ok()).unwrap_or("default");
        let key = (session.to_string(), param("storeId"), param("profileId"));
        let all = query.iter().any(|(k, v)| k == "removeAll" && v == "true");
        let mut store = state.lock().expect("state lock");
        let status = stateful(
            &op.id,
            store.entry(key).or_default(),
            &param("idType"),
            &json,
            all,
        );
        let body = match status {
            (code, None) => op.answers.get(&code).cloned(),
            (_, Some(body)) => Some(Bytes::from(body.to_string())),
        };
        return (status.0, body.unwrap_or_else(|| Bytes::from_static(b"{}")));
    }
    let preferred = parts
        .headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split([',', ';'])
                .find_map(|p| p.trim().strip_prefix("code=")?.parse::<u16>().ok())
        })
        .filter(|c| op.answers.contains_key(c));
    let status = match (valid, preferred) {
        (false, _) => 400,
        (true, Some(code)) => code,
        (true, None) => op.default,
    };
    let body = op
        .answers
        .get(&status)
        .cloned()
        .unwrap_or_else(|| Bytes::from_static(b"{}"));
    (status, body)
}

/// `--state`: what `op` does to one profile's identifiers; the status, and the
/// body when it is not the documented example.
fn stateful(
    op: &str,
    ids: &mut Identifiers,
    id_type: &str,
    body: &Value,
    all: bool,
) -> (u16, Option<Value>) {
    let text = |field: &str| body[field].as_str().unwrap_or_default().to_string();
    let at = ids.iter().position(|(t, _)| t == id_type);
    match op {
        "CreateProfileIdentifier" => {
            let (id_type, value) = (text("idType"), text("value"));
            let at = match ids.iter().position(|(t, _)| *t == id_type) {
                Some(at) => at,
                None if ids.len() >= MAX_ID_TYPES => return (400, None),
                None => {
                    ids.push((id_type, Vec::new()));
                    ids.len() - 1
                }
            };
            let values = &mut ids[at].1;
            if !values.contains(&value) {
                if values.len() >= MAX_VALUES {
                    values.remove(0);
                }
                values.push(value);
            }
            (202, None)
        }
        "ListProfileIdentifiers" => {
            let list: Vec<Value> = ids
                .iter()
                .map(|(t, vs)| serde_json::json!({"idType": t, "values": vs}))
                .collect();
            (200, Some(serde_json::json!({ "identifiers": list })))
        }
        "FetchProfileIdentifier" => match at {
            Some(at) => (
                200,
                Some(serde_json::json!({"idType": id_type, "values": ids[at].1})),
            ),
            None => (404, None),
        },
        "PatchProfileIdentifier" => {
            let (old, new) = (text("oldValue"), text("newValue"));
            if text("idType") != id_type {
                return (400, None);
            }
            let Some(values) = at.map(|at| &mut ids[at].1) else {
                return (404, None);
            };
            let Some(pos) = values.iter().position(|v| *v == old) else {
                return (404, None);
            };
            if values.contains(&new) {
                return (409, None);
            }
            values[pos] = new;
            (202, None)
        }
        "DeleteProfileIdentifier" => {
            let Some(at) = at else {
                return (404, None);
            };
            if all || ids[at].1.len() <= 1 {
                ids.remove(at);
            } else {
                ids[at].1.remove(0);
            }
            (202, None)
        }
        _ => (200, None),
    }
}

fn main() {
    let (flags, mut args): (Vec<String>, Vec<String>) =
        std::env::args().skip(1).partition(|a| a.starts_with("--"));
    let usage = "usage: floor PORT SPEC [WORKERS] [--journal] [--log] [--state]";
    let known = ["--journal", "--log", "--state"];
    assert!(
        flags.iter().all(|f| known.contains(&f.as_str())) && (2..=3).contains(&args.len()),
        "{usage}"
    );
    let workers = args.get(2).map(|w| w.parse().expect(usage));
    args.truncate(2);
    let port: u16 = args[0].parse().expect(usage);
    let on = |flag: &str| flags.iter().any(|f| f == flag);
    let api = Arc::new(load(&args[1], on("--journal"), on("--log"), on("--state")));
    let runtime = mimeo::runtime(workers).expect("runtime");
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = TcpListener::bind(addr).await.expect("bind");
        println!("floor: listening on http://{addr}");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let api = api.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| answer(req, api.clone())),
                    )
                    .await;
            });
        }
    });
}
