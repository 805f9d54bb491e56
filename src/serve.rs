//! Serving: the mock as a hyper server on a real socket.
//!
//! [`MockServer`] is the in-process handle (its URL, stopped on drop) that Rust
//! tests and the conformance runner use; `mimeo serve` wraps the same thing. Per
//! request the work is: route, read the body (bounded), check auth, validate,
//! choose a status, and copy out a response that was mostly built at start-up.

use std::borrow::Cow;
use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, HOST, WWW_AUTHENTICATE,
};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::contract::{Contract, Operation};
use crate::respond::rules::{Latency, Rule};
use crate::respond::{mock_error, prefer, Built, RequestInfo, Responder};
use crate::routing::RouteMatch;
use crate::validate::{validate_request, RequestParts};

/// The tokio runtime `mimeo serve` runs on (and the benchmark's bare hyper
/// server, so that the two compare on equal terms), with `workers` threads; by
/// default one per CPU this process may run on (`available_parallelism`, which
/// respects `taskset` and cgroup limits). One worker is a current-thread runtime:
/// the whole server on one thread, with no wake-ups across threads, which is what
/// a mock pinned to one core wants (several workers there only take turns).
pub fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let workers = workers
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
}

/// How the mock behaves. `Default` is what `mimeo serve` does with no flags,
/// except that the port is 0 (any free port), which is what tests want.
#[derive(Debug)]
pub struct ServeOptions {
    /// Address to bind (127.0.0.1 unless asked otherwise).
    pub host: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Basic credentials to enforce on operations that document 401.
    pub auth: Option<(String, String)>,
    /// Server-side rules, first match wins.
    pub rules: Vec<Rule>,
    /// Latency for every request without a rule latency.
    pub latency: Option<Latency>,
    /// Seed for generated data.
    pub seed: u64,
    /// Generate fresh data for every response.
    pub dynamic: bool,
    /// No per-request log lines.
    pub quiet: bool,
    /// Largest accepted request body in bytes.
    pub max_body: usize,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            auth: None,
            rules: Vec::new(),
            latency: None,
            seed: 0,
            dynamic: false,
            quiet: true,
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A rule does not fit the contract.
    #[error("{0}")]
    Rules(String),
}

struct State {
    addr: SocketAddr,
    contract: Arc<Contract>,
    responder: Responder,
    opts: ServeOptions,
    auth_header: Option<HeaderValue>,
    log: Arc<LogSink>,
}

/// The per-request log, written to stderr in batches: a line joins the pending
/// batch, and the first line of a batch schedules one write for after the
/// requests that are ready now have been answered. Under load that is one write
/// for many requests instead of one each; a lone request's line is written at
/// once. Lines are never reordered.
#[derive(Default)]
struct LogSink {
    pending: Mutex<Vec<u8>>,
    /// Held while a batch is taken and written, so batches leave in order.
    writer: Mutex<()>,
}

impl LogSink {
    fn push(self: &Arc<Self>, line: impl FnOnce(&mut Vec<u8>)) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let first = pending.is_empty();
        line(&mut pending);
        drop(pending);
        if first {
            let sink = self.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                sink.flush();
            });
        }
    }

    fn flush(&self) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let batch =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if !batch.is_empty() {
            let _ = std::io::stderr().lock().write_all(&batch);
        }
    }
}

/// A running mock. Dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    warnings: Vec<String>,
}

impl MockServer {
    /// Binds, builds every default response, and starts serving on the current
    /// tokio runtime. Rules are checked against the contract first.
    pub async fn start(
        contract: Arc<Contract>,
        opts: ServeOptions,
    ) -> Result<MockServer, ServeError> {
        crate::respond::rules::check_rules(&opts.rules, &contract).map_err(ServeError::Rules)?;
        let (listener, addr) = bind(opts.host, opts.port).await?;
        let (responder, warnings) = Responder::new(&contract, opts.seed, opts.dynamic);
        let auth_header = opts.auth.as_ref().map(|(user, pass)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            HeaderValue::from_str(&format!("Basic {token}"))
                .unwrap_or_else(|_| HeaderValue::from_static("-"))
        });
        let state = Arc::new(State {
            addr,
            contract,
            responder,
            opts,
            auth_header,
            log: Arc::default(),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, state, stopped));
        Ok(MockServer {
            addr,
            stop: Some(stop),
            task: Some(task),
            warnings,
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

    /// Problems found while building the default responses.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Stops accepting, lets in-flight requests finish (up to 10 s), then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `host:port` (port 0: any free one) and returns the listener and the bound address.
pub(crate) async fn bind(host: IpAddr, port: u16) -> Result<(TcpListener, SocketAddr), ServeError> {
    let addr = SocketAddr::new(host, port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    Ok((listener, addr))
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, stopped: oneshot::Receiver<()>) {
    let header_timeout = state.opts.header_timeout;
    let served = state.clone();
    serve_connections(listener, header_timeout, stopped, move |req, _peer| {
        let state = served.clone();
        async move { handle(&state, req).await }
    })
    .await;
    // Log lines are written in batches; the last batch goes out now.
    state.log.flush();
}

/// Serves HTTP/1 connections from `listener`, each request through `handle` (which
/// also gets the client's address), until `stopped` fires; then stops accepting and
/// lets requests in flight finish (up to 10 s). The mock and the proxy share it.
pub(crate) async fn serve_connections<H, F, B>(
    listener: TcpListener,
    header_timeout: Duration,
    mut stopped: oneshot::Receiver<()>,
    handle: H,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + 'static,
    F: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handle = handle.clone();
                let service = service_fn(move |req| {
                    let answer = handle(req, peer);
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

fn push_decimal(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// What the log line says about a request.
struct Outcome {
    built: Built,
    reason: Option<String>,
    close: bool,
    /// A matching rule's latency; otherwise the server-wide one applies.
    latency: Option<Latency>,
}

async fn handle(state: &Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    // What the log line needs of the request, taken only when there is a log (a
    // Uri clone shares its bytes).
    let logged = (!state.opts.quiet).then(|| (req.method().clone(), req.uri().clone()));
    let outcome = answer(state, req).await;
    // Latency applies to every answer, errors included, as a slow network would.
    if let Some(latency) = outcome.latency.or(state.opts.latency) {
        let entropy: u64 = rand::RngExt::random(&mut rand::rng());
        tokio::time::sleep(latency.pick(entropy)).await;
    }
    if let Some((method, uri)) = logged {
        let micros = started.elapsed().as_micros();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        // `GET /path?query -> 200 0.01ms (reason)`, written without the formatting
        // machinery: this runs for every request.
        state.log.push(|buf| {
            buf.extend_from_slice(method.as_str().as_bytes());
            buf.push(b' ');
            buf.extend_from_slice(target.as_bytes());
            buf.extend_from_slice(b" -> ");
            push_decimal(buf, u64::from(outcome.built.status.as_u16()));
            buf.push(b' ');
            push_decimal(buf, (micros / 1000) as u64);
            let hundredths = (micros % 1000 / 10) as u8;
            buf.extend_from_slice(&[b'.', b'0' + hundredths / 10, b'0' + hundredths % 10]);
            buf.extend_from_slice(b"ms");
            if let Some(reason) = &outcome.reason {
                buf.extend_from_slice(b" (");
                buf.extend_from_slice(reason.as_bytes());
                buf.push(b')');
            }
            buf.push(b'\n');
        });
    }
    let mut response = Response::new(Full::new(outcome.built.body));
    *response.status_mut() = outcome.built.status;
    let headers = response.headers_mut();
    for (name, value) in outcome.built.headers {
        headers.append(name, value);
    }
    if outcome.close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn answer(state: &State, req: Request<Incoming>) -> Outcome {
    let contract = &*state.contract;
    let plain = |built: Built, reason: String| Outcome {
        built,
        reason: Some(reason),
        close: false,
        latency: None,
    };
    let (parts, body) = req.into_parts();
    let (operation, path_params) = match contract.router.find(&parts.method, parts.uri.path()) {
        RouteMatch::NotFound => {
            let msg = format!("The requested resource {} was not found", parts.uri.path());
            return plain(
                state.responder.error(contract, None, 404, &msg),
                "no operation has this path".into(),
            );
        }
        RouteMatch::MethodNotAllowed { allow, template } => {
            let msg = format!(
                "Method {} is not allowed on {template}; allowed: {allow}",
                parts.method
            );
            let mut built = state.responder.error(contract, None, 405, &msg);
            built.headers.push((
                ALLOW,
                HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static("")),
            ));
            return plain(built, format!("allowed: {allow}"));
        }
        RouteMatch::Found { operation, params } => (&contract.operations[operation], params),
    };

    let body = match read_body(&parts.headers, body, state.opts.max_body).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(state, operation),
        Err(BodyError::Unreadable(e)) => {
            let msg = format!("The request body could not be read: {e}");
            return Outcome {
                built: state.responder.error(contract, Some(operation), 400, &msg),
                reason: Some(msg),
                close: true,
                latency: None,
            };
        }
    };

    let mut query: Vec<(Cow<'_, str>, Cow<'_, str>)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
        .unwrap_or_default();
    let prefer = match prefer::parse(&parts.headers, &mut query) {
        Ok(p) => p,
        Err(msg) => return plain(mock_error("invalid-prefer", &msg), msg),
    };

    if let Some(expected) = &state.auth_header {
        if operation.documents(401) && operation.auth != crate::contract::Auth::None {
            let given = parts.headers.get(AUTHORIZATION);
            if !basic_matches(given, expected) {
                let why = if given.is_some() {
                    "wrong credentials"
                } else {
                    "no credentials"
                };
                let msg = "Authentication Error - invalid username or password";
                let mut built = state.responder.error(contract, Some(operation), 401, msg);
                if !built.headers.iter().any(|(n, _)| n == WWW_AUTHENTICATE) {
                    built.headers.push((
                        WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"mimeo\""),
                    ));
                }
                return plain(built, why.into());
            }
        }
    }

    let violations = validate_request(
        contract,
        operation,
        &RequestParts {
            path: &path_params,
            query: &query,
            headers: &parts.headers,
            body: &body,
        },
    );
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        let list = list.join("; ");
        let msg = format!("Invalid request: {list}");
        let status = invalid_request_status(operation);
        return Outcome {
            built: state
                .responder
                .error(contract, Some(operation), status, &msg),
            reason: (!state.opts.quiet)
                .then(|| format!("{} violation(s): {list}", violations.len())),
            close: false,
            latency: None,
        };
    }

    choose_and_respond(state, operation, &parts, &path_params, &prefer).await
}

/// Why a request body was not read.
pub(crate) enum BodyError {
    /// Larger than the limit (declared or actual).
    TooLarge,
    /// The connection failed while reading.
    Unreadable(String),
}

/// Reads a request body, bounded: a declared length over `limit` is refused unread.
pub(crate) async fn read_body(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(BodyError::TooLarge)
        }
        Err(e) => Err(BodyError::Unreadable(e.to_string())),
    }
}

async fn choose_and_respond(
    state: &State,
    operation: &Operation,
    parts: &hyper::http::request::Parts,
    path_params: &[(&str, Result<Cow<'_, str>, String>)],
    prefer: &prefer::Prefer,
) -> Outcome {
    let contract = &*state.contract;
    let rule = match state.opts.rules.as_slice() {
        [] => None,
        rules => {
            let path = crate::respond::rules::segments(parts.uri.path());
            rules.iter().find(|r| r.matches(&parts.method, &path))
        }
    };
    let logging = !state.opts.quiet;
    let (status, mut reason) = match (prefer.code, rule.and_then(Rule::next_status)) {
        (Some(code), _) => (code, logging.then(|| format!("Prefer {prefer}"))),
        (None, Some((code, why))) => (code, Some(why)),
        (None, None) => (
            state.responder.default_status(operation),
            (logging && !prefer.is_empty()).then(|| format!("Prefer {prefer}")),
        ),
    };
    // A rule's example belongs to the statuses the rule was checked against, so it
    // applies only when Prefer did not pick the status.
    let example = prefer.example.as_deref().or_else(|| {
        rule.filter(|_| prefer.code.is_none())
            .and_then(|r| r.example.as_deref())
    });
    if reason.is_none() {
        if let Some(r) = rule.filter(|r| r.example.is_some()) {
            reason = Some(format!("rule {}", r.origin));
        }
    }
    let host = match parts.headers.get(HOST).and_then(|h| h.to_str().ok()) {
        Some(h) => Cow::Borrowed(h),
        None => Cow::Owned(state.addr.to_string()),
    };
    let info = RequestInfo {
        path_params,
        host: &host,
    };
    let dynamic = prefer.dynamic.unwrap_or(state.opts.dynamic);
    let built = match state
        .responder
        .respond(contract, operation, status, example, dynamic, &info)
    {
        Ok(b) => b,
        Err(e) => {
            return Outcome {
                built: mock_error(e.kind, &e.message),
                reason: Some(e.message),
                close: false,
                latency: None,
            };
        }
    };
    Outcome {
        built,
        reason,
        close: false,
        latency: rule.and_then(|r| r.latency),
    }
}

/// Whether an Authorization header carries the expected Basic credentials (the
/// scheme name is case-insensitive, the token is not).
fn basic_matches(given: Option<&HeaderValue>, expected: &HeaderValue) -> bool {
    let (Some(given), Ok(expected)) = (given.and_then(|g| g.to_str().ok()), expected.to_str())
    else {
        return false;
    };
    match (given.trim().split_once(' '), expected.split_once(' ')) {
        (Some((scheme, token)), Some((_, want))) => {
            scheme.eq_ignore_ascii_case("basic") && token.trim() == want
        }
        _ => false,
    }
}

/// The status for a request that breaks the contract: 400, or 422 when that is
/// what the operation documents for it.
pub(crate) fn invalid_request_status(op: &Operation) -> u16 {
    let exact = |c: u16| {
        op.responses
            .iter()
            .any(|r| r.status == crate::contract::StatusKey::Code(c))
    };
    if !exact(400) && exact(422) {
        422
    } else {
        400
    }
}

fn too_large(state: &State, operation: &Operation) -> Outcome {
    let msg = format!(
        "The request body is larger than {} bytes",
        state.opts.max_body
    );
    Outcome {
        built: state
            .responder
            .error(&state.contract, Some(operation), 413, &msg),
        reason: Some(msg),
        close: true,
        latency: None,
    }
}
