//! The validating proxy: `mimeo proxy --target URL`.
//!
//! Every request is forwarded to the target and its answer sent back unchanged
//! (status, headers except hop-by-hop ones, body bytes). On the way, the request is
//! validated against the contract ([`crate::validate`], reported as `request_valid`)
//! and the answer goes through the same named checks as `mimeo replay`
//! ([`crate::checks`]). A request no operation serves is forwarded and reported as
//! `unknown`. With `strict`, a request that breaks the contract is answered by the
//! proxy with the contract's 400 and not forwarded. A target that cannot be reached
//! gets the client a 502, one that does not answer within the timeout a 504, both
//! in the contract's error shape with a `mimeo-error` header.
//!
//! With `record`, the exchanges the target answered are written as scenario files
//! (see [`RecordOptions`]). [`ProxyServer`] is the in-process handle, like
//! [`crate::serve::MockServer`]; `mimeo proxy` wraps it.

mod forward;
mod record;
mod summary;

use std::borrow::Cow;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION};
use hyper::{Request, Response, Uri};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::checks::run_checks;
use crate::contract::{Contract, Operation};
use crate::respond::{Built, Responder, MOCK_ERROR_HEADER};
use crate::routing::RouteMatch;
use crate::serve::{
    bind, invalid_request_status, read_body, serve_connections, BodyError, ServeError,
};
use crate::validate::{validate_request, RequestParts};
use forward::{Answer, ProxyBody, Target};
use record::{Exchange, Recorder, Volatile};

pub use forward::MAX_CHECKED_BODY;
pub use record::{RecordOptions, Recording};
pub use summary::{CheckCount, Summary, REQUEST_VALID, UNKNOWN};

/// How the proxy behaves. [`ProxyOptions::new`] gives what `mimeo proxy --target URL`
/// does, except that the port is 0 (any free one) and nothing is logged per request.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Base URL of the target, e.g. `https://memory.twilio.com`.
    pub target: String,
    /// Address to bind.
    pub host: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// How long the target may take to answer; then the client gets a 504.
    pub timeout: Duration,
    /// Answer requests that break the contract with its 400 instead of forwarding them.
    pub strict: bool,
    /// No per-request log lines.
    pub quiet: bool,
    /// Largest accepted request body in bytes (larger: 413 from the proxy).
    pub max_body: usize,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
    /// Record the exchanges as scenario files.
    pub record: Option<RecordOptions>,
}

impl ProxyOptions {
    /// Defaults for a proxy in front of `target`.
    pub fn new(target: impl Into<String>) -> ProxyOptions {
        ProxyOptions {
            target: target.into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            timeout: Duration::from_secs(10),
            strict: false,
            quiet: true,
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            record: None,
        }
    }
}

/// Why the proxy did not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The address could not be bound.
    #[error(transparent)]
    Listen(#[from] ServeError),
    /// The target URL is not usable.
    #[error("{0}")]
    Target(String),
    /// The recording directory cannot be created.
    #[error("{0}")]
    Record(String),
}

struct State {
    contract: Arc<Contract>,
    responder: Responder,
    target: Target,
    strict: bool,
    quiet: bool,
    max_body: usize,
    recorder: Option<Arc<Recorder>>,
    summary: Mutex<Summary>,
    seq: AtomicU64,
}

/// A running proxy. Dropping it stops the proxy (open recordings are still written
/// while the runtime lives); [`ProxyServer::shutdown`] also waits for that.
pub struct ProxyServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Arc<State>,
}

impl ProxyServer {
    /// Checks the target URL, creates the recording directory, binds, and starts
    /// serving on the current tokio runtime.
    pub async fn start(
        contract: Arc<Contract>,
        opts: ProxyOptions,
    ) -> Result<ProxyServer, ProxyError> {
        let target = Target::new(&opts.target, opts.timeout).map_err(ProxyError::Target)?;
        let recorder = match opts.record.clone() {
            Some(r) => Some(Arc::new(
                Recorder::new(contract.clone(), r, target.base(), opts.quiet)
                    .map_err(ProxyError::Record)?,
            )),
            None => None,
        };
        let (listener, addr) = bind(opts.host, opts.port).await?;
        // Only its error shapes are used: the proxy's own answers look like the API's.
        let (responder, _) = Responder::new(&contract, 0, false);
        let state = Arc::new(State {
            contract,
            responder,
            target,
            strict: opts.strict,
            quiet: opts.quiet,
            max_body: opts.max_body,
            recorder,
            summary: Mutex::new(Summary::default()),
            seq: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, state.clone(), opts.header_timeout, stopped));
        Ok(ProxyServer {
            addr,
            stop: Some(stop),
            task: Some(task),
            state,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The target's base URL.
    pub fn target(&self) -> &str {
        self.state.target.base()
    }

    /// What the proxy has seen so far.
    pub fn summary(&self) -> Summary {
        let mut s = lock(&self.state.summary).clone();
        if let Some(r) = &self.state.recorder {
            s.recordings = r.written();
            s.recording_errors = r.errors();
        }
        s
    }

    /// Stops accepting, lets requests in flight finish (up to 10 s), writes the
    /// open recordings, and returns the summary.
    pub async fn shutdown(mut self) -> Summary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.summary()
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A poisoned lock still holds usable counts and sessions: a panic elsewhere must
/// not lose a recording.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn run(
    listener: TcpListener,
    state: Arc<State>,
    header_timeout: Duration,
    stopped: oneshot::Receiver<()>,
) {
    // Sessions that went idle are written while the proxy runs.
    let ticker = state.recorder.as_ref().and_then(|r| {
        let every = r.tick()?;
        let r = r.clone();
        Some(tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                r.flush_idle();
            }
        }))
    });
    let serving = state.clone();
    serve_connections(listener, header_timeout, stopped, move |req, peer| {
        let state = serving.clone();
        async move { handle(&state, req, peer).await }
    })
    .await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(r) = &state.recorder {
        r.flush_all();
    }
}

/// Who answered the client.
enum Answered {
    /// The target.
    Target(Answer),
    /// The proxy itself: the response, the `mimeo-error` value, and why.
    Proxy(Built, &'static str, String),
}

async fn handle(state: &State, req: Request<Incoming>, peer: SocketAddr) -> Response<ProxyBody> {
    let started = Instant::now();
    let at = SystemTime::now();
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let contract = &*state.contract;
    let (parts, body) = req.into_parts();
    let line = format!("{} {}", parts.method, logged(&parts.uri));
    // (check, message) for every violation of this exchange.
    let mut found: Vec<(&'static str, String)> = Vec::new();
    let (operation, path_params) = match contract.router.find(&parts.method, parts.uri.path()) {
        RouteMatch::Found { operation, params } => (Some(&contract.operations[operation]), params),
        RouteMatch::MethodNotAllowed { allow, template } => {
            found.push((
                UNKNOWN,
                format!(
                    "{template} has no {} operation (it allows {allow})",
                    parts.method
                ),
            ));
            (None, Vec::new())
        }
        RouteMatch::NotFound => {
            found.push((UNKNOWN, "no operation of the contract has this path".into()));
            (None, Vec::new())
        }
    };

    let looped = state.target.looped(&parts.headers);
    let answered = match read_body(&parts.headers, body, state.max_body).await {
        _ if looped => {
            let msg = format!(
                "mimeo proxy: this request came back to the proxy; the target {} leads to the proxy itself",
                state.target.base()
            );
            let built = state.responder.error(contract, operation, 508, &msg);
            Answered::Proxy(built, "loop-detected", msg)
        }
        Err(BodyError::TooLarge) => {
            let msg = format!("The request body is larger than {} bytes", state.max_body);
            let built = state.responder.error(contract, operation, 413, &msg);
            Answered::Proxy(built, "request-too-large", msg)
        }
        Err(BodyError::Unreadable(e)) => {
            let msg = format!("The request body could not be read: {e}");
            let built = state.responder.error(contract, operation, 400, &msg);
            Answered::Proxy(built, "request-unreadable", msg)
        }
        Ok(body) => {
            let mut invalid = Vec::new();
            if let Some(op) = operation {
                let query: Vec<(Cow<'_, str>, Cow<'_, str>)> = parts
                    .uri
                    .query()
                    .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
                    .unwrap_or_default();
                invalid = validate_request(
                    contract,
                    op,
                    &RequestParts {
                        path: &path_params,
                        query: &query,
                        headers: &parts.headers,
                        body: &body,
                    },
                )
                .iter()
                .map(ToString::to_string)
                .collect();
            }
            found.extend(invalid.iter().map(|v| (REQUEST_VALID, v.clone())));
            match operation {
                Some(op) if state.strict && !invalid.is_empty() => {
                    let msg = format!("Invalid request: {}", invalid.join("; "));
                    let status = invalid_request_status(op);
                    let built = state.responder.error(contract, Some(op), status, &msg);
                    Answered::Proxy(built, "request-invalid", "refused (--strict)".into())
                }
                _ => forward(state, &parts, body, operation, peer, at, seq, &mut found).await,
            }
        }
    };

    let status = match &answered {
        Answered::Target(a) => a.status.as_u16(),
        Answered::Proxy(b, _, _) => b.status.as_u16(),
    };
    {
        let mut s = lock(&state.summary);
        s.exchanges += 1;
        match &answered {
            Answered::Target(_) => s.forwarded += 1,
            Answered::Proxy(_, kind, _) if kind.starts_with("target-") => s.target_errors += 1,
            Answered::Proxy(..) => s.refused += 1,
        }
        if !found.is_empty() {
            s.with_violations += 1;
        }
        for (check, message) in &found {
            s.add(check, &line, message);
        }
    }
    if !state.quiet {
        let mut text = format!(
            "{line} -> {status} {:.2}ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        if let Some(op) = operation {
            text.push(' ');
            text.push_str(&op.name());
        }
        if let Answered::Proxy(_, _, why) = &answered {
            text.push_str(&format!(" [answered by the proxy: {why}]"));
        }
        if !found.is_empty() {
            let list: Vec<String> = found.iter().map(|(c, m)| format!("{c}: {m}")).collect();
            text.push_str(&format!(
                " ({} violation(s): {})",
                found.len(),
                list.join("; ")
            ));
        }
        text.push('\n');
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    match answered {
        Answered::Target(a) => {
            let mut response = Response::new(ProxyBody::streamed(a.body, a.rest));
            *response.status_mut() = a.status;
            *response.headers_mut() = a.headers;
            response
        }
        Answered::Proxy(built, kind, _) => {
            let close = kind.starts_with("request-") && kind != "request-invalid";
            let mut response = Response::new(ProxyBody::full(built.body));
            *response.status_mut() = built.status;
            let headers = response.headers_mut();
            for (name, value) in built.headers {
                headers.append(name, value);
            }
            headers.insert(
                HeaderName::from_static(MOCK_ERROR_HEADER),
                HeaderValue::from_static(kind),
            );
            if close {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}

/// Sends the request on, checks the answer, and records the exchange.
#[allow(clippy::too_many_arguments)]
async fn forward(
    state: &State,
    parts: &hyper::http::request::Parts,
    body: Bytes,
    operation: Option<&Operation>,
    peer: SocketAddr,
    at: SystemTime,
    seq: u64,
    found: &mut Vec<(&'static str, String)>,
) -> Answered {
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let sent_body = (!body.is_empty() || parts.headers.contains_key(hyper::header::CONTENT_LENGTH))
        .then(|| body.clone());
    let answer = match state
        .target
        .send(&parts.method, path_and_query, &parts.headers, sent_body)
        .await
    {
        Ok(a) => a,
        Err(f) => {
            let kind = if f.status == 504 {
                "target-timeout"
            } else {
                "target-unreachable"
            };
            let built = state
                .responder
                .error(&state.contract, None, f.status, &f.message);
            return Answered::Proxy(built, kind, f.message);
        }
    };
    let status = answer.status.as_u16();
    if let Some(op) = operation {
        let checked = run_checks(
            &state.contract,
            op,
            status,
            &answer.headers,
            &answer.body,
            None,
        );
        for f in checked.failures {
            // A body cut at the limit is not judged: it would never parse.
            let body_check = matches!(f.check, "body_schema" | "undocumented_fields");
            if !(body_check && answer.rest.is_some()) {
                found.push((f.check, f.message));
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
            volatile: Volatile::scan(operation, status, &answer.headers, &answer.body),
        });
    }
    Answered::Target(answer)
}

/// The request target for the log, with values of query parameters that look like
/// credentials hidden.
fn logged(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_string();
    };
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        form_urlencoded::parse(query.as_bytes()).collect();
    let secret =
        |k: &str, v: &str| crate::secrets::secret_name(k) || crate::secrets::secret_value(v);
    if !pairs.iter().any(|(k, v)| secret(k, v)) {
        return format!("{path}?{query}");
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        s.append_pair(k, if secret(k, v) { "[redacted]" } else { v });
    }
    format!("{path}?{}", s.finish())
}
