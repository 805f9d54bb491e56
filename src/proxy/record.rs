//! Recording: the proxy's exchanges written as scenario files that `mimeo replay`
//! reads (the format of `conformance/README.md`).
//!
//! Exchanges are grouped into sessions, one per client address, that end after an
//! idle gap (or one session for the whole run). A session is written when it ends
//! and at shutdown, atomically, then loaded back with the scenario loader: a file
//! that does not load is a recorder bug and is reported loudly.
//!
//! What a recording holds: each request as the client sent it, with the values of
//! path parameters turned into variables (defaults: the recorded values), and the
//! status observed as the expectation. What it never holds: credentials. The
//! `Authorization` and `Cookie` headers, and any header or query parameter whose
//! name or value looks like a secret, are left out; the step says `auth:` instead,
//! and every credential the client sent is scrubbed from the text as a last guard.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use bytes::Bytes;
use hyper::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use hyper::Method;
use indexmap::IndexMap;
use percent_encoding::percent_decode_str;
use regex::Regex;
use serde_json::Value;

use super::forward::is_hop_by_hop;
use super::lock;
use crate::contract::{Contract, Operation, ParamIn};
use crate::routing::RouteMatch;
use crate::snapshot::{write_new, Secrets};

/// Where and how to record.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The directory the scenario files go to (created if missing).
    pub dir: PathBuf,
    /// A client's session ends after this long without a request; `None` records
    /// one scenario for the whole run.
    pub session_gap: Option<Duration>,
}

impl RecordOptions {
    /// Where and how the recording goes, for the start-up banner.
    pub fn describe(&self) -> String {
        let dir = self.dir.display();
        match self.session_gap {
            Some(gap) => format!(
                "{dir} (one scenario per client session; a session ends after {} idle)",
                crate::replay::http::format_duration(gap)
            ),
            None => format!("{dir} (one scenario for the whole run)"),
        }
    }
}

/// One scenario file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The file.
    pub file: PathBuf,
    /// Steps in it.
    pub steps: usize,
}

/// One exchange the target answered, as the recorder keeps it.
pub(crate) struct Exchange {
    /// Arrival order.
    pub seq: u64,
    /// The client's address (sessions are per client).
    pub client: IpAddr,
    /// When the request arrived.
    pub at: SystemTime,
    pub method: Method,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The query as sent, without `?`.
    pub query: Option<String>,
    /// The client's headers, as sent.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The target's status.
    pub status: u16,
    /// What in the answer changes from run to run.
    pub volatile: Volatile,
}

/// Volatile values seen in an answer, each needing a redaction rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Volatile {
    /// Documented headers whose values change per request (`Operation-Id`, `Retry-After`).
    headers: [bool; VOLATILE_HEADERS.len()],
    /// `mem_operation_...` identifiers.
    operation_ids: bool,
    /// ISO-8601 timestamps.
    timestamps: bool,
}

/// Response headers whose values change from request to request, with what replaces
/// them in snapshots.
const VOLATILE_HEADERS: [(&str, &str); 4] = [
    ("Operation-Id", "[operation-id]"),
    ("Retry-After", "[retry-after]"),
    ("ETag", "[etag]"),
    ("Last-Modified", "[last-modified]"),
];

const OPERATION_ID: &str = "mem_operation_[0-9a-z]{26}";
const TIMESTAMP: &str =
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})";

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid built-in pattern"))
}

fn operation_id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, OPERATION_ID)
}

fn timestamp_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, TIMESTAMP)
}

impl Volatile {
    /// Looks through an answer of `op` (when known) for values that change per run.
    pub fn scan(op: Option<&Operation>, status: u16, headers: &HeaderMap, body: &[u8]) -> Volatile {
        let mut v = Volatile::default();
        let documented = op.and_then(|o| o.response_for(status));
        for (i, (name, _)) in VOLATILE_HEADERS.iter().enumerate() {
            v.headers[i] = headers.contains_key(*name)
                && documented
                    .is_some_and(|r| r.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)));
        }
        let body = String::from_utf8_lossy(body);
        let texts = headers
            .iter()
            .filter(|(n, _)| *n != hyper::header::DATE)
            .filter_map(|(_, v)| v.to_str().ok())
            .chain(std::iter::once(body.as_ref()));
        for text in texts {
            v.operation_ids |= operation_id_re().is_match(text);
            v.timestamps |= timestamp_re().is_match(text);
        }
        v
    }

    fn merge(&mut self, other: &Volatile) {
        for (a, b) in self.headers.iter_mut().zip(other.headers) {
            *a |= b;
        }
        self.operation_ids |= other.operation_ids;
        self.timestamps |= other.timestamps;
    }
}

/// Request headers a recording never keeps: the connection's own, what the replay
/// client sets itself, and credentials.
const NOT_RECORDED: [&str; 7] = [
    "host",
    "content-length",
    "authorization",
    "cookie",
    "user-agent",
    "accept-encoding",
    "expect",
];

struct Session {
    /// `None` when every client shares one session (`--one-scenario`).
    client: Option<IpAddr>,
    started: SystemTime,
    last: Instant,
    exchanges: Vec<Exchange>,
}

/// Collects exchanges into sessions and writes them.
pub(crate) struct Recorder {
    contract: Arc<Contract>,
    opts: RecordOptions,
    target: String,
    quiet: bool,
    open: Mutex<Vec<Session>>,
    next: AtomicUsize,
    written: Mutex<Vec<Recording>>,
    errors: Mutex<Vec<String>>,
}

impl Recorder {
    /// A recorder writing to `opts.dir` (created now, so a bad directory stops the start).
    pub fn new(
        contract: Arc<Contract>,
        opts: RecordOptions,
        target: &str,
        quiet: bool,
    ) -> Result<Recorder, String> {
        std::fs::create_dir_all(&opts.dir)
            .map_err(|e| format!("--record {}: {e}", opts.dir.display()))?;
        Ok(Recorder {
            contract,
            opts,
            target: target.to_string(),
            quiet,
            open: Mutex::new(Vec::new()),
            next: AtomicUsize::new(1),
            written: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        })
    }

    /// How often idle sessions are looked for: a quarter of the gap, between 10 ms and 1 s.
    pub fn tick(&self) -> Option<Duration> {
        self.opts
            .session_gap
            .map(|g| (g / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)))
    }

    /// Adds an answered exchange to its client's session; a session of that client
    /// that has been idle longer than the gap ends first and is written.
    pub fn add(&self, exchange: Exchange) {
        let now = Instant::now();
        let key = self.opts.session_gap.map(|_| exchange.client);
        let mut ended = None;
        {
            let mut open = lock(&self.open);
            if let Some(gap) = self.opts.session_gap {
                if let Some(i) = open
                    .iter()
                    .position(|s| s.client == key && now.duration_since(s.last) > gap)
                {
                    ended = Some(open.remove(i));
                }
            }
            match open.iter_mut().find(|s| s.client == key) {
                Some(s) => {
                    s.last = now;
                    s.exchanges.push(exchange);
                }
                None => open.push(Session {
                    client: key,
                    started: exchange.at,
                    last: now,
                    exchanges: vec![exchange],
                }),
            }
        }
        if let Some(s) = ended {
            self.write(s, true);
        }
    }

    /// Writes the sessions that have been idle longer than the gap.
    pub fn flush_idle(&self) {
        let Some(gap) = self.opts.session_gap else {
            return;
        };
        let now = Instant::now();
        let ended: Vec<Session> = {
            let mut open = lock(&self.open);
            let (ended, still) = std::mem::take(&mut *open)
                .into_iter()
                .partition(|s| now.duration_since(s.last) > gap);
            *open = still;
            ended
        };
        ended.into_iter().for_each(|s| self.write(s, true));
    }

    /// Writes every open session (at shutdown, where the summary lists the files).
    pub fn flush_all(&self) {
        let all = std::mem::take(&mut *lock(&self.open));
        all.into_iter().for_each(|s| self.write(s, false));
    }

    /// The files written so far.
    pub fn written(&self) -> Vec<Recording> {
        lock(&self.written).clone()
    }

    /// Recordings that could not be written or do not load.
    pub fn errors(&self) -> Vec<String> {
        lock(&self.errors).clone()
    }

    /// Writes one session; `announce` logs the file (unless quiet).
    fn write(&self, mut session: Session, announce: bool) {
        session.exchanges.sort_by_key(|e| e.seq);
        let stamp = Utc::of(session.started).compact();
        // Another proxy may record into the same directory: a name taken between
        // choosing it and writing it is skipped, never overwritten.
        let path = loop {
            let path = self.free_path(&stamp);
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rendered = render(&self.contract, &session.exchanges, &name, &self.target);
            if rendered.steps == 0 {
                self.error(format!(
                    "a session of {} exchange(s) had nothing a scenario can hold; no file written",
                    session.exchanges.len()
                ));
                return;
            }
            match write_new(&path, &rendered.text) {
                Ok(()) => break (path, rendered.steps),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    self.error(format!("cannot write {}: {e}", path.display()));
                    return;
                }
            }
        };
        let (path, steps) = path;
        if let Err(errors) = crate::scenario::from_file(&path, &self.contract) {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            self.error(format!(
                "BUG: the recording {} does not load as a scenario; please report it: {}",
                path.display(),
                list.join("; ")
            ));
        }
        if announce && !self.quiet {
            eprintln!("mimeo proxy: recorded {} ({} steps)", path.display(), steps);
        }
        lock(&self.written).push(Recording { file: path, steps });
    }

    fn error(&self, message: String) {
        eprintln!("mimeo proxy: recording: {message}");
        lock(&self.errors).push(message);
    }

    /// `session-<stamp>-<n>.yaml` that does not exist yet.
    fn free_path(&self, stamp: &str) -> PathBuf {
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let path = self.opts.dir.join(format!("session-{stamp}-{n}.yaml"));
            if !path.exists() {
                return path;
            }
        }
    }
}

/// A scenario's text and how many steps it has.
pub(crate) struct Rendered {
    pub text: String,
    pub steps: usize,
}

/// A path segment of a recorded request.
enum Segment<'a> {
    /// Written as sent.
    Raw(&'a str),
    /// A path parameter's valid value, which becomes a variable.
    Param { name: &'a str, value: String },
}

/// How a request relates to the contract.
struct Routed<'a> {
    /// The operation that serves it.
    operation: Option<&'a Operation>,
    segments: Vec<Segment<'a>>,
}

fn route<'a>(contract: &'a Contract, method: &Method, path: &'a str) -> Routed<'a> {
    let (operation, params_of) = match contract.router.find(method, path) {
        RouteMatch::Found { operation, .. } => {
            let op = &contract.operations[operation];
            (Some(op), Some(op))
        }
        // Another method's operation names the parameters of this path.
        RouteMatch::MethodNotAllowed { template, .. } => (
            None,
            contract.operations.iter().find(|o| o.path == template),
        ),
        RouteMatch::NotFound => (None, None),
    };
    let raw: Vec<&str> = path.split('/').collect();
    let segments = match params_of {
        Some(op) if op.path.split('/').count() == raw.len() => op
            .path
            .split('/')
            .zip(&raw)
            .map(|(t, r)| match param_segment(contract, op, t, r) {
                Some((name, value)) => Segment::Param { name, value },
                None => Segment::Raw(r),
            })
            .collect(),
        _ => raw.iter().map(|r| Segment::Raw(r)).collect(),
    };
    Routed {
        operation,
        segments,
    }
}

/// `(parameter, value)` when template segment `t` is one whole parameter and the
/// raw segment `r` holds a value that keeps its schema. Values that break the
/// contract stay literal: as variables, `--var` would make the request valid.
fn param_segment<'a>(
    contract: &Contract,
    op: &'a Operation,
    t: &str,
    r: &str,
) -> Option<(&'a str, String)> {
    let name = t.strip_prefix('{')?.strip_suffix('}')?;
    if name.contains(['{', '}']) {
        return None;
    }
    let p = op.params_in(ParamIn::Path).find(|p| p.name == name)?;
    let value = percent_decode_str(r).decode_utf8().ok()?.into_owned();
    if value.is_empty() {
        return None;
    }
    let valid = match p.schema {
        None => true,
        Some(s) => crate::validate::parse_text(&p.kind, &value)
            .is_ok_and(|v| contract.schemas.is_valid(s, &v)),
    };
    valid.then_some((p.name.as_str(), value))
}

/// Variables of a session: each distinct value of a path parameter.
#[derive(Default)]
struct Vars {
    /// Variable name to recorded value, in order of first use.
    values: IndexMap<String, String>,
    /// (parameter, value) to variable name.
    names: Vec<(String, String, String)>,
    /// Every value, longest first, as one pattern (built by `seal`).
    pattern: Option<Regex>,
}

impl Vars {
    fn name_for(&mut self, param: &str, value: &str) -> String {
        if let Some((_, _, var)) = self.names.iter().find(|(p, v, _)| p == param && v == value) {
            return var.clone();
        }
        let base = var_base(param);
        let var = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                }
            })
            .find(|v| !self.values.contains_key(v))
            .unwrap_or(base);
        self.values.insert(var.clone(), value.to_string());
        self.names
            .push((param.to_string(), value.to_string(), var.clone()));
        var
    }

    /// Prepares substitution; long values may be found inside longer text.
    fn seal(&mut self) {
        let mut long: Vec<&String> = self.values.values().filter(|v| v.len() >= 8).collect();
        long.sort_by_key(|v| std::cmp::Reverse(v.len()));
        if !long.is_empty() {
            let alternation: Vec<String> = long.iter().map(|v| regex::escape(v)).collect();
            self.pattern = Regex::new(&alternation.join("|")).ok();
        }
    }

    fn var_of(&self, value: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, v)| v.as_str() == value)
            .map(|(k, _)| k.as_str())
    }

    /// `text` with recorded values replaced by `{{var}}`: a whole value of any
    /// length, and values of 8 characters or more inside longer text.
    fn substitute(&self, text: &str) -> String {
        if let Some(var) = self.var_of(text) {
            return format!("{{{{{var}}}}}");
        }
        match &self.pattern {
            Some(re) => re
                .replace_all(text, |c: &regex::Captures<'_>| {
                    format!("{{{{{}}}}}", self.var_of(&c[0]).unwrap_or_default())
                })
                .into_owned(),
            None => text.to_string(),
        }
    }
}

/// A variable name from a parameter name: letters, digits and `_`.
fn var_base(param: &str) -> String {
    let mut s: String = param
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

/// A YAML double-quoted string (JSON's escapes are YAML's, plus the characters
/// YAML does not allow unescaped).
fn q(s: &str) -> String {
    escape_unprintable(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
}

fn escape_unprintable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `value` as block YAML after `prefix` (`key:` or `-`), every string quoted.
fn yaml(out: &mut String, indent: usize, prefix: &str, value: &Value) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str(&format!("{prefix}\n"));
            for (k, v) in map {
                yaml(out, indent + 2, &format!("{pad}  {}:", q(k)), v);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{prefix}\n"));
            for v in items {
                yaml(out, indent + 2, &format!("{pad}  -"), v);
            }
        }
        Value::Object(_) => out.push_str(&format!("{prefix} {{}}\n")),
        Value::Array(_) => out.push_str(&format!("{prefix} []\n")),
        Value::String(s) => out.push_str(&format!("{prefix} {}\n", q(s))),
        other => out.push_str(&format!("{prefix} {other}\n")),
    }
}

/// Every string of a JSON value with `f` applied.
fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn any_string(value: &Value, f: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().any(|v| any_string(v, f)),
        Value::Object(map) => map.iter().any(|(k, v)| f(k) || any_string(v, f)),
        _ => false,
    }
}

/// The credentials in an `Authorization` value: the header itself, the token after
/// the scheme, and for Basic the decoded SID and token.
fn credentials(value: &str, out: &mut Vec<String>) {
    out.push(value.to_string());
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return;
    };
    let token = token.trim();
    out.push(token.to_string());
    if scheme.eq_ignore_ascii_case("basic") {
        if let Some((sid, secret)) = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .as_deref()
            .and_then(|t| t.split_once(':'))
        {
            out.extend(Secrets::basic(sid, secret));
        }
    }
}

/// A request body as a step holds it.
enum RecordedBody {
    /// `body:`, sent as JSON.
    Json(Value),
    /// `raw_body:`, sent exactly as written.
    Text(String),
}

/// Why an exchange whose text holds `{{` is left out: a scenario would read it as a
/// placeholder.
const BRACES: &str = "contains `{{`, which a scenario cannot express";

/// The body: JSON when the request said so and it is; otherwise the text as sent.
/// Recorded values become `{{var}}`.
fn request_body(ex: &Exchange, vars: &Vars) -> Result<Option<RecordedBody>, &'static str> {
    if ex.body.is_empty() {
        return Ok(None);
    }
    let json_type = ex
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        });
    match serde_json::from_slice::<Value>(&ex.body) {
        Ok(v) if json_type => {
            if any_string(&v, &|s| s.contains("{{")) {
                return Err(BRACES);
            }
            Ok(Some(RecordedBody::Json(map_strings(&v, &|s| {
                vars.substitute(s)
            }))))
        }
        _ => match std::str::from_utf8(&ex.body) {
            Ok(text) if text.contains("{{") => Err(BRACES),
            Ok(text) => Ok(Some(RecordedBody::Text(vars.substitute(text)))),
            Err(_) => Err("is not text"),
        },
    }
}

/// A value left out as a credential is also scrubbed from the whole file, unless
/// it is so short it would match unrelated text.
fn scrub_too(secrets: &mut Vec<String>, value: &str) {
    if value.len() >= 8 {
        secrets.push(value.to_string());
    }
}

/// One step's YAML, or why the exchange cannot be a step.
fn step(
    ex: &Exchange,
    routed: &Routed<'_>,
    vars: &Vars,
    secrets: &mut Vec<String>,
    needs_mock: &mut bool,
) -> Result<String, String> {
    let mut notes = Vec::new();
    let mut out = String::new();
    let sent_auth = ex.headers.get(AUTHORIZATION);
    for v in ex
        .headers
        .get_all(AUTHORIZATION)
        .iter()
        .chain(ex.headers.get_all("proxy-authorization"))
    {
        credentials(&String::from_utf8_lossy(v.as_bytes()), secrets);
    }
    for v in ex.headers.get_all(COOKIE).iter() {
        let text = String::from_utf8_lossy(v.as_bytes());
        scrub_too(secrets, &text);
        for (_, value) in text.split(';').filter_map(|c| c.split_once('=')) {
            scrub_too(secrets, value.trim());
        }
    }

    // The path: parameters as variables; outside the contract, segments that hold a
    // recorded value.
    let mut path = String::new();
    for (i, seg) in routed.segments.iter().enumerate() {
        if i > 0 {
            path.push('/');
        }
        match seg {
            Segment::Param { name, value } => {
                let var = vars
                    .names
                    .iter()
                    .find(|(p, v, _)| p == name && v == value)
                    .map(|(_, _, var)| var.as_str())
                    .unwrap_or_default();
                path.push_str(&format!("{{{{{var}}}}}"));
            }
            Segment::Raw(r) => {
                if r.contains("{{") {
                    return Err(format!("its path {BRACES}"));
                }
                let decoded = percent_decode_str(r).decode_utf8_lossy();
                match vars.var_of(&decoded).filter(|_| routed.operation.is_none()) {
                    Some(var) => path.push_str(&format!("{{{{{var}}}}}")),
                    None => path.push_str(r),
                }
            }
        }
    }

    // The query, decoded, secrets left out.
    let mut query: IndexMap<String, Vec<String>> = IndexMap::new();
    for (k, v) in form_urlencoded::parse(ex.query.as_deref().unwrap_or("").as_bytes()) {
        if crate::secrets::secret_name(&k) || crate::secrets::secret_value(&v) {
            scrub_too(secrets, &v);
            notes.push(format!("query parameter {k} (it looks like a credential)"));
            continue;
        }
        if k.contains("{{") || v.contains("{{") {
            return Err(format!("its query {BRACES}"));
        }
        *needs_mock |= k.starts_with("__");
        query
            .entry(k.into_owned())
            .or_default()
            .push(vars.substitute(&v));
    }

    // Headers: the client's, minus the connection's, credentials and what replay sets.
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &ex.headers {
        let n = name.as_str();
        if NOT_RECORDED.contains(&n) || is_hop_by_hop(name, &[]) {
            continue;
        }
        let Ok(text) = value.to_str() else {
            notes.push(format!("header {n} (not text)"));
            continue;
        };
        if crate::secrets::secret_name(n) || crate::secrets::secret_value(text) {
            scrub_too(secrets, text);
            notes.push(format!("header {n} (it looks like a credential)"));
            continue;
        }
        if text.contains("{{") {
            return Err(format!("its header {n} {BRACES}"));
        }
        *needs_mock |= n == "prefer";
        headers.push((n.to_string(), vars.substitute(text)));
    }

    let body = request_body(ex, vars).map_err(|why| format!("its body {why}"))?;

    let operation = routed.operation;
    let what = operation.map_or_else(|| "outside the contract".to_string(), Operation::name);
    out.push_str(&format!("  # {what}: {} observed\n", ex.status));
    for n in &notes {
        out.push_str(&format!("  # not recorded: {n}\n"));
    }
    let auth = match (sent_auth.is_some(), ex.status) {
        (true, 401) => "invalid",
        (true, _) => "default",
        (false, _) => "none",
    };
    out.push_str(&format!("  - auth: {auth}\n"));
    if operation.is_none() {
        out.push_str("    outside_contract: true\n");
    }
    out.push_str("    request:\n");
    out.push_str(&format!("      method: {}\n", q(ex.method.as_str())));
    out.push_str(&format!("      path: {}\n", q(&path)));
    if !query.is_empty() {
        out.push_str("      query:\n");
        for (k, values) in &query {
            let list: Vec<String> = values.iter().map(|v| q(v)).collect();
            match list.as_slice() {
                [one] => out.push_str(&format!("        {}: {one}\n", q(k))),
                many => out.push_str(&format!("        {}: [{}]\n", q(k), many.join(", "))),
            }
        }
    }
    if !headers.is_empty() {
        out.push_str("      headers:\n");
        for (k, v) in &headers {
            out.push_str(&format!("        {}: {}\n", q(k), q(v)));
        }
    }
    match body {
        Some(RecordedBody::Json(v)) => yaml(&mut out, 6, "      body:", &v),
        Some(RecordedBody::Text(text)) => out.push_str(&format!("      raw_body: {}\n", q(&text))),
        None => {}
    }
    match operation {
        Some(op) if !op.documents(ex.status) => out.push_str(&format!(
            "    # {} is not documented for {}: no expectation is written, and replay's status_documented check will report it\n",
            ex.status,
            op.name()
        )),
        _ => out.push_str(&format!("    expect:\n      status: {}\n", ex.status)),
    }
    Ok(out)
}

/// A session's exchanges (in order) as a scenario file named `name`.
pub(crate) fn render(
    contract: &Contract,
    exchanges: &[Exchange],
    name: &str,
    target: &str,
) -> Rendered {
    let routed: Vec<Routed<'_>> = exchanges
        .iter()
        .map(|e| route(contract, &e.method, &e.path))
        .collect();
    let mut vars = Vars::default();
    for r in &routed {
        for seg in &r.segments {
            if let Segment::Param { name, value } = seg {
                vars.name_for(name, value);
            }
        }
    }
    vars.seal();

    let mut secrets = Vec::new();
    let mut needs_mock = false;
    let mut volatile = Volatile::default();
    let mut steps = String::new();
    let mut count = 0;
    for (i, (ex, r)) in exchanges.iter().zip(&routed).enumerate() {
        match step(ex, r, &vars, &mut secrets, &mut needs_mock) {
            Ok(text) => {
                if count > 0 {
                    steps.push('\n');
                }
                steps.push_str(&text);
                volatile.merge(&ex.volatile);
                count += 1;
            }
            Err(why) => {
                steps.push_str(&format!(
                    "  # exchange {} ({} {}) is not recorded: {why}\n",
                    i + 1,
                    ex.method,
                    ex.status
                ));
            }
        }
    }

    let first = exchanges.first().map_or(SystemTime::now(), |e| e.at);
    let last = exchanges.last().map_or(first, |e| e.at);
    let mut text = String::new();
    text.push_str(&format!(
        "# Recorded by `mimeo proxy` from {target}: {} exchange(s), {} to {}.\n",
        exchanges.len(),
        Utc::of(first).iso(),
        Utc::of(last).iso()
    ));
    text.push_str(
        "# No credentials are kept: each step says which `auth` it used, and replay sends\n\
         # its own (--auth SID:TOKEN). Replay against another store with --var NAME=VALUE.\n",
    );
    text.push_str(&format!("name: {}\n", q(name)));
    if needs_mock {
        text.push_str("needs: mock  # it steers the mock with Prefer or __ query controls\n");
    }
    if !vars.values.is_empty() {
        text.push_str("vars:\n");
        for (k, v) in &vars.values {
            text.push_str(&format!("  {k}: {}\n", q(v)));
        }
    }
    let mut rules = Vec::new();
    for (i, (header, with)) in VOLATILE_HEADERS.iter().enumerate() {
        if volatile.headers[i] {
            rules.push(format!(
                "  - header: {}\n    with: {}\n",
                q(header),
                q(with)
            ));
        }
    }
    if volatile.operation_ids {
        rules.push(format!(
            "  - matching: {}\n    with: {}\n",
            q(OPERATION_ID),
            q("[operation]")
        ));
    }
    if volatile.timestamps {
        rules.push(format!(
            "  - matching: {}\n    with: {}\n",
            q(TIMESTAMP),
            q("[timestamp]")
        ));
    }
    if !rules.is_empty() {
        text.push_str("redact:\n");
        rules.iter().for_each(|r| text.push_str(r));
    }
    text.push_str("steps:\n");
    text.push_str(&steps);
    // The last guard: nothing the client sent as a credential survives, wherever it went.
    let text = Secrets::new(secrets).scrub(&text);
    Rendered { text, steps: count }
}

/// A UTC time, for file names and comments.
pub(crate) struct Utc {
    date: (i64, u32, u32),
    time: (u64, u64, u64),
}

impl Utc {
    /// Splits a system time into a UTC date and time of day.
    pub fn of(t: SystemTime) -> Utc {
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            date: (year, month, day),
            time: (rem / 3600, rem % 3600 / 60, rem % 60),
        }
    }

    /// `20250102T030405Z`.
    pub fn compact(&self) -> String {
        let ((y, mo, d), (h, mi, s)) = (self.date, self.time);
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    /// `2025-01-02T03:04:05Z`.
    pub fn iso(&self) -> String {
        let ((y, mo, d), (h, mi, s)) = (self.date, self.time);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661); // 2000-02-29
        assert_eq!(Utc::of(t).iso(), "2000-02-29T01:01:01Z");
        assert_eq!(Utc::of(t).compact(), "20000229T010101Z");
        assert_eq!(
            Utc::of(SystemTime::UNIX_EPOCH).iso(),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn secrets_by_name_and_shape() {
        assert!(crate::secrets::secret_name("X-Api-Key"));
        assert!(crate::secrets::secret_name("access_token"));
        assert!(!crate::secrets::secret_name("Prefer"));
        assert!(crate::secrets::secret_value("Bearer abc.def"));
        assert!(crate::secrets::secret_value(
            "AC0123456789abcdef0123456789abcdef"
        ));
        assert!(crate::secrets::secret_value(
            "0123456789abcdef0123456789abcdef"
        ));
        assert!(!crate::secrets::secret_value(
            "mem_store_00000000000000000000000000"
        ));
        assert!(!crate::secrets::secret_value("application/json"));
    }

    #[test]
    fn quoting_is_yaml_safe() {
        assert_eq!(q("yes"), "\"yes\"");
        assert_eq!(q("{{x}}"), "\"{{x}}\"");
        assert_eq!(q("a\u{85}b\"c"), "\"a\\u0085b\\\"c\"");
    }

    #[test]
    fn second_values_get_numbered_variables() {
        let mut vars = Vars::default();
        assert_eq!(vars.name_for("profileId", "mem_profile_a"), "profileId");
        assert_eq!(vars.name_for("profileId", "mem_profile_b"), "profileId2");
        assert_eq!(vars.name_for("profileId", "mem_profile_a"), "profileId");
        assert_eq!(vars.name_for("id-type", "email"), "id_type");
        vars.seal();
        assert_eq!(vars.substitute("email"), "{{id_type}}");
        assert_eq!(vars.substitute("emails"), "emails");
        assert_eq!(vars.substitute("/x/mem_profile_b/y"), "/x/{{profileId2}}/y");
    }

    fn exchange(
        seq: u64,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
        status: u16,
    ) -> Exchange {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Exchange {
            seq,
            client: IpAddr::from([127, 0, 0, 1]),
            at: SystemTime::UNIX_EPOCH,
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            path,
            query,
            headers: map,
            body: Bytes::from(body.to_string()),
            status,
            volatile: Volatile::default(),
        }
    }

    const IDS: &str = "/v1/Stores/mem_store_00000000000000000000000000/Profiles/mem_profile_00000000000000000000000000/Identifiers";

    #[test]
    fn what_a_scenario_cannot_hold_is_left_out_and_said_so() {
        let contract = Contract::embedded().unwrap();
        let bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig";
        let json = [
            ("content-type", "application/json"),
            ("authorization", bearer),
        ];
        let exchanges = [
            // A placeholder-like string cannot be written (there is no escape).
            exchange(
                0,
                "POST",
                IDS,
                &json,
                r#"{"idType":"email","value":"{{x}}"}"#,
                202,
            ),
            // Not JSON although it says so: sent as written.
            exchange(1, "POST", IDS, &json, r#"{"idType": "#, 400),
            // A 418 is not documented: no expectation, a comment instead.
            exchange(
                2,
                "GET",
                &format!(
                    "{IDS}?sig=0123456789abcdef0123456789abcdef&page=2&session=true&flag=true"
                ),
                &[],
                "",
                418,
            ),
            // The bearer token echoed in a body is scrubbed all the same.
            exchange(
                3,
                "POST",
                IDS,
                &json,
                &format!(r#"{{"idType":"note","value":"{bearer}"}}"#),
                202,
            ),
        ];
        let r = render(&contract, &exchanges, "unit", "http://target");
        let text = &r.text;
        assert_eq!(r.steps, 3, "{text}");
        assert!(
            text.contains("# exchange 1 (POST 202) is not recorded: its body contains `{{`"),
            "{text}"
        );
        assert!(text.contains("raw_body: \"{\\\"idType\\\": \""), "{text}");
        assert!(
            text.contains("# 418 is not documented for ListProfileIdentifiers"),
            "{text}"
        );
        assert!(text.contains("not recorded: query parameter sig"), "{text}");
        assert!(text.contains("\"page\": \"2\""), "{text}");
        // A short value left out is not scrubbed elsewhere: it would hit `true` everywhere.
        assert!(
            text.contains("not recorded: query parameter session"),
            "{text}"
        );
        assert!(text.contains("\"flag\": \"true\""), "{text}");
        assert!(!text.contains("eyJ"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert_eq!(text.matches("auth: default").count(), 2, "{text}");
        crate::scenario::from_text("unit.yaml", text, &contract)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    }

    #[test]
    fn file_names_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let contract = Arc::new(Contract::embedded().unwrap());
        let opts = RecordOptions {
            dir: dir.path().to_path_buf(),
            session_gap: None,
        };
        let recorder = Recorder::new(contract, opts, "http://t", true).unwrap();
        std::fs::write(dir.path().join("session-S-1.yaml"), "taken").unwrap();
        std::fs::write(dir.path().join("session-S-2.yaml"), "taken").unwrap();
        assert_eq!(recorder.free_path("S"), dir.path().join("session-S-3.yaml"));
        assert_eq!(recorder.free_path("S"), dir.path().join("session-S-4.yaml"));
    }

    #[test]
    fn bodies_are_written_as_block_yaml_that_reads_back_the_same() {
        let value = serde_json::json!({
            "a": [{"b": 1, "yes": "no"}, [2, "3"], [], {}],
            "c": {"d": null, "e": true, "f": 1.5, "g": "line\nbreak: # not a comment"},
            "": "empty key"
        });
        let mut out = String::new();
        yaml(&mut out, 0, "body:", &value);
        let back: IndexMap<String, Value> = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(back["body"], value, "{out}");
    }
}
