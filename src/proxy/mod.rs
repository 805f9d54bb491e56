//! The validating proxy: `mimeo proxy --target URL`.
//!
//! Every request is forwarded to the target and its answer sent back unchanged
//! (status, headers except hop-by-hop ones, body bytes). On the way, the request is
//! validated against the contract as the mock validates it (reported as
//! `request_valid`) and the answer goes through the same named checks as `mimeo
//! replay` ([`Check`]). A request no operation serves is forwarded and reported as
//! `unknown`. With `strict`, a request that breaks the contract is answered by the
//! proxy with the contract's 400 and not forwarded. A target that cannot be reached
//! gets the client a 502, one that does not answer within the timeout a 504, both
//! in the contract's error shape with a `mimeo-error` header.
//!
//! With `record`, the exchanges the target answered are written as scenario files
//! (see [`RecordOptions`]). [`ProxyServer`] is the in-process handle, like
//! [`crate::serve::MockServer`]; `mimeo proxy` wraps it.

mod exchange;
mod forward;
mod record;
mod shown;
mod summary;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION};
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::checks::Check;
use crate::contract::Contract;
use crate::http::client::TargetError;
use crate::http::intake::{invalid_request_status, violation_list, Intake, Route};
use crate::http::log::{push_decimal, push_ip, push_millis, LogSink};
use crate::http::server::{
    bind, read_body, serve_connections, BindError, BodyError, Limits, ServerHandle,
};
use crate::journal::view::push_timestamp;
use crate::respond::{Responder, MOCK_ERROR_HEADER};
use crate::secrets::Secrets;
use crate::verdict::{Found, Verdicts};
use exchange::{forward, Answered, Findings};
use forward::{CheckMemory, ProxyBody, Target};
use record::Recorder;

pub use forward::{CHECK_MEMORY, MAX_CHECKED_BODY};
pub use record::{RecordOptions, Recording};
pub use summary::{CheckCount, ProxySummary};

/// How the proxy behaves. [`ProxyOptions::new`] gives what `mimeo proxy --target URL`
/// does, except that the port is 0 (any free one) and nothing is logged per request.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::ProxyOptions;
/// use mimeo::proxy::RecordOptions;
///
/// let mut opts = ProxyOptions::new("https://memory.twilio.com");
/// opts.strict = true; // answer contract-breaking requests with the contract's 400
/// opts.timeout = Duration::from_secs(5);
/// opts.record = Some(RecordOptions { dir: "recorded".into(), session_gap: Some(Duration::from_secs(30)) });
/// ```
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
    /// Write one line per exchange on stderr (off by default: the library prints
    /// nothing unless asked).
    pub log: bool,
    /// Largest accepted request body in bytes (larger: 413 from the proxy).
    pub max_body: usize,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
    /// How long a client may take to send its request body; then 408 from the proxy.
    pub body_timeout: Duration,
    /// Client connections served at once; past this a new one is answered 503.
    pub max_connections: usize,
    /// The most of one answer's body held to check it ([`MAX_CHECKED_BODY`] by
    /// default); a longer body is passed on unchecked.
    pub max_checked: usize,
    /// The memory held for checking answers across all exchanges in flight
    /// ([`CHECK_MEMORY`] by default); past it, answers are passed on unchecked.
    pub check_memory: usize,
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
            log: false,
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: crate::serve::DEFAULT_BODY_TIMEOUT,
            max_connections: crate::serve::DEFAULT_MAX_CONNECTIONS,
            max_checked: MAX_CHECKED_BODY,
            check_memory: CHECK_MEMORY,
            record: None,
        }
    }
}

/// Why the proxy did not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The address could not be bound.
    #[error(transparent)]
    Listen(#[from] BindError),
    /// The target URL is not usable.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The recording directory cannot be created.
    #[error("{0}")]
    Record(String),
}

/// Who answered the client when it was not the target: the proxy itself, and
/// why. The value of the `mimeo-error` header on such answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProxyAnswer {
    /// The request came back to this proxy (508).
    LoopDetected,
    /// A `CONNECT`: this is a reverse proxy, it opens no tunnels (501).
    TunnelRefused,
    /// The request body is over the limit (413).
    RequestTooLarge,
    /// The request body could not be read (400).
    RequestUnreadable,
    /// The request body did not arrive in time (408).
    RequestTimeout,
    /// `--strict`: the request breaks the contract (400 or 422).
    RequestInvalid,
    /// The target cannot be reached or gave no usable answer (502).
    TargetUnreachable,
    /// The target did not answer in time (504).
    TargetTimeout,
}

impl ProxyAnswer {
    fn header(self) -> &'static str {
        match self {
            ProxyAnswer::LoopDetected => "loop-detected",
            ProxyAnswer::TunnelRefused => "tunnel-refused",
            ProxyAnswer::RequestTooLarge => "request-too-large",
            ProxyAnswer::RequestUnreadable => "request-unreadable",
            ProxyAnswer::RequestTimeout => "request-timeout",
            ProxyAnswer::RequestInvalid => "request-invalid",
            ProxyAnswer::TargetUnreachable => "target-unreachable",
            ProxyAnswer::TargetTimeout => "target-timeout",
        }
    }

    fn is_target_error(self) -> bool {
        matches!(
            self,
            ProxyAnswer::TargetUnreachable | ProxyAnswer::TargetTimeout
        )
    }

    /// A request whose body was not (fully) read leaves the connection unusable.
    fn closes_connection(self) -> bool {
        matches!(
            self,
            ProxyAnswer::RequestTooLarge
                | ProxyAnswer::RequestUnreadable
                | ProxyAnswer::RequestTimeout
        )
    }
}

struct State {
    contract: Arc<Contract>,
    responder: Responder,
    target: Target,
    strict: bool,
    max_body: usize,
    body_timeout: Duration,
    memory: CheckMemory,
    /// Checks of large answers run on blocking threads, this many at once.
    heavy: Arc<tokio::sync::Semaphore>,
    log: Option<Arc<LogSink>>,
    recorder: Option<Arc<Recorder>>,
    /// The credentials in the target URL (`--target`), hidden in messages: a
    /// target may echo them in an answer a violation quotes.
    target_secrets: Vec<String>,
    /// The same, hidden in every request's line (a client may repeat them in
    /// a URL).
    target_hidden: Secrets,
    summary: Mutex<ProxySummary>,
    verdicts: Verdicts,
    seq: AtomicU64,
}

/// Answers up to this size are checked on the async worker; larger ones on a
/// blocking thread, so a large body never stalls other exchanges.
const CHECK_INLINE: usize = 64 * 1024;

/// A running validating proxy. Dropping it stops the proxy (open recordings are
/// still written while the runtime lives); [`ProxyServer::shutdown`] also waits
/// for that and returns what the proxy saw.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer, ProxyOptions, ProxyServer, ServeOptions};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let contract = Arc::new(Contract::embedded()?);
/// let mock = MockServer::start(contract.clone(), ServeOptions::default()).await?;
/// let proxy = ProxyServer::start(contract, ProxyOptions::new(mock.url())).await?;
/// // Point the client at proxy.url(); every exchange is checked against the contract.
/// let summary = proxy.shutdown().await;
/// assert_eq!(summary.exchanges, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProxyServer {
    handle: ServerHandle,
    state: Arc<State>,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyServer")
            .field("url", &self.url())
            .field("target", &self.target())
            .finish()
    }
}

impl ProxyServer {
    /// Checks the target URL, creates the recording directory, binds, and starts
    /// serving on the current tokio runtime.
    pub async fn start(
        contract: Arc<Contract>,
        opts: ProxyOptions,
    ) -> Result<ProxyServer, ProxyError> {
        let target = Target::new(&opts.target, opts.timeout)?;
        let target_secrets = crate::secrets::url_secrets(&opts.target);
        let log = opts.log.then(Arc::<LogSink>::default);
        let recorder = match opts.record.clone() {
            Some(r) => Some(Arc::new(
                Recorder::new(
                    contract.clone(),
                    r,
                    target.base(),
                    target_secrets.clone(),
                    log.clone(),
                )
                .map_err(ProxyError::Record)?,
            )),
            None => None,
        };
        // Only its error shapes are used: the proxy's own answers look like the API's.
        // Built on a blocking thread, as the mock's (a large contract takes a while).
        let built = {
            let contract = contract.clone();
            tokio::task::spawn_blocking(move || Responder::new(&contract, 0, false)).await
        };
        let (responder, _) = built.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        // Its late warnings are never read: a large contract's examples are
        // reported by whoever calls `Contract::check_remaining_examples`.
        let responder = responder.without_example_reports();
        let (listener, addr) = bind(opts.host, opts.port).await?;
        let state = Arc::new(State {
            verdicts: Verdicts::new("mimeo proxy", &contract),
            contract,
            responder,
            target,
            strict: opts.strict,
            max_body: opts.max_body,
            body_timeout: opts.body_timeout,
            memory: CheckMemory::new(opts.check_memory, opts.max_checked),
            heavy: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            log,
            recorder,
            target_hidden: Secrets::new(target_secrets.iter().cloned()),
            target_secrets,
            summary: Mutex::new(ProxySummary::default()),
            seq: AtomicU64::new(0),
        });
        let running = state.clone();
        let handle = ServerHandle::spawn(addr, move |stopped| {
            let limits = Limits {
                header_timeout: opts.header_timeout,
                max_connections: opts.max_connections,
            };
            run(listener, running, limits, stopped)
        });
        Ok(ProxyServer { handle, state })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.handle.url()
    }

    /// The target's base URL.
    pub fn target(&self) -> &str {
        self.state.target.base()
    }

    /// Warnings found while checking traffic since the last call, each once: a
    /// schema of the contract that cannot be compiled is met at first use (its
    /// checks then say so), and told here so that it is not only in reports.
    ///
    /// ```no_run
    /// # async fn demo(proxy: mimeo::ProxyServer) {
    /// for w in proxy.late_warnings() {
    ///     eprintln!("warning: {w}");
    /// }
    /// # }
    /// ```
    pub fn late_warnings(&self) -> Vec<String> {
        self.state.contract.schemas.take_warnings()
    }

    /// What the proxy has seen so far.
    pub fn summary(&self) -> ProxySummary {
        let mut s = lock(&self.state.summary).clone();
        s.verdict = self.state.verdicts.verdict(&self.state.contract);
        if let Some(r) = &self.state.recorder {
            s.recordings = r.written();
            s.recording_errors = r.errors();
        }
        s
    }

    /// Stops accepting, lets requests in flight finish (up to 10 s), writes the
    /// open recordings, and returns the summary.
    pub async fn shutdown(mut self) -> ProxySummary {
        self.handle.shutdown().await;
        self.summary()
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
    limits: Limits,
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
    let unread = state.clone();
    serve_connections(
        listener,
        limits,
        stopped,
        None,
        move |req, conn| {
            let state = serving.clone();
            async move { handle(&state, req, conn.peer).await }
        },
        move |peer, u| unreadable(&unread, peer, u),
    )
    .await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(r) = &state.recorder {
        r.flush_all().await;
    }
    if let Some(log) = &state.log {
        log.flush();
    }
}

/// A request hyper could not read, and so never forwarded: counted by the
/// verdict and logged, as the mock does (see [`Unreadable`]), and by the
/// summary as an exchange the proxy answered with a violation.
fn unreadable(state: &State, peer: SocketAddr, u: crate::http::server::Unreadable) {
    const LINE: &str = "(unread request)";
    {
        let mut s = lock(&state.summary);
        s.exchanges += 1;
        s.refused += 1;
        s.with_violations += 1;
        s.add(Check::RequestValid, LINE, &u.why);
    }
    state.verdicts.record(None, u.status, [u.found()], || {
        (LINE.to_string(), peer.ip().to_string())
    });
    if let Some(log) = &state.log {
        log.push(|buf| {
            push_timestamp(buf, SystemTime::now());
            buf.extend_from_slice(b" [");
            push_ip(buf, peer.ip());
            buf.extend_from_slice(b"] ");
            u.push_outcome(buf);
        });
    }
}

async fn handle(
    state: &Arc<State>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<ProxyBody> {
    let started = Instant::now();
    let at = SystemTime::now();
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let contract = &*state.contract;
    let (parts, body) = req.into_parts();
    // The line the log, summary and reports show: redacted as the mock's journal
    // is, the client's own credentials included wherever its URL repeats them.
    let line = shown::line(contract, &state.target_hidden, &parts);
    let mut found = Findings::default();
    let mut intake = Intake::new(contract, &parts);
    // The body, read (`Ok`, with how that went) or still to be read (`Err`).
    let body = if let Route::NeedsBody = intake.route {
        // A form body names the operation (AWS's query protocol): read
        // first, and the request routed again.
        let read = read_body(&parts.headers, body, state.max_body, state.body_timeout).await;
        if let Ok(read) = &read {
            intake = Intake::with_body(contract, &parts, &parts.method, read);
        }
        Ok(read)
    } else {
        Err(body)
    };
    // Judged as the mock answers it: a HEAD as the GET of its path.
    let read_so_far = match &body {
        Ok(Ok(read)) => &read[..],
        _ => &[],
    };
    intake.head_as_get(contract, &parts, read_so_far);
    match &intake.route {
        // Unread: the body's error is the answer.
        Route::Operation(..) | Route::NeedsBody => {}
        Route::MethodNotAllowed { allow, template } => found.push(
            Check::Unknown,
            "unknown".into(),
            format!(
                "{template} has no {} operation (it allows {allow})",
                parts.method
            ),
        ),
        Route::NotFound => found.push(
            Check::Unknown,
            "unknown".into(),
            "no operation of the contract has this path".into(),
        ),
    }
    let operation = intake.operation();

    let looped = state.target.looped(&parts.headers);
    let read = match body {
        Ok(read) => read,
        Err(unread) => read_body(&parts.headers, unread, state.max_body, state.body_timeout).await,
    };
    let answered = match read {
        _ if looped => {
            let msg = format!(
                "mimeo proxy: this request came back to the proxy; the target {} leads to the proxy itself",
                state.target.base()
            );
            let mut built = state.responder.error(contract, operation, 508, &msg);
            // Marked as this proxy's, so the hop that forwarded it knows the
            // answer is not the target's (and does not record it).
            if let Ok(v) = HeaderValue::from_str(state.target.via()) {
                built.headers.push((hyper::header::VIA, v));
            }
            Answered::Proxy(built, ProxyAnswer::LoopDetected, msg)
        }
        // Forwarded, the target's 2xx would tell the client a tunnel is open
        // (and hyper would hand over a connection nobody serves).
        _ if parts.method == hyper::Method::CONNECT => {
            let msg = format!(
                "mimeo proxy: CONNECT is not supported; this proxy forwards requests to {} and opens no tunnels",
                state.target.base()
            );
            let built = state.responder.error(contract, operation, 501, &msg);
            Answered::Proxy(built, ProxyAnswer::TunnelRefused, msg)
        }
        Err(BodyError::TooLarge) => {
            let msg = format!("The request body is larger than {} bytes", state.max_body);
            let built = state.responder.error(contract, operation, 413, &msg);
            Answered::Proxy(built, ProxyAnswer::RequestTooLarge, msg)
        }
        Err(BodyError::TimedOut) => {
            let msg = format!(
                "The request body did not arrive within {}",
                crate::support::duration::format(state.body_timeout)
            );
            let built = state.responder.error(contract, operation, 408, &msg);
            Answered::Proxy(built, ProxyAnswer::RequestTimeout, msg)
        }
        Err(BodyError::Unreadable(e)) => {
            let msg = format!("The request body could not be read: {e}");
            let built = state.responder.error(contract, operation, 400, &msg);
            Answered::Proxy(built, ProxyAnswer::RequestUnreadable, msg)
        }
        // (Not from `read_body`: the proxy reads a body as sent, and decodes it
        // only to check it, below.)
        Err(BodyError::Coded(e)) => {
            let msg = format!("The request body could not be read: {e}");
            let built = state.responder.error(contract, operation, 400, &msg);
            Answered::Proxy(built, ProxyAnswer::RequestUnreadable, msg)
        }
        Ok(body) => {
            // Checked as the client meant it (decoded), forwarded as sent. A body
            // the proxy cannot decode (a coding it does not read, more than
            // --max-body-size decoded) is not checked, as the target may read
            // it; one that is not what its coding says is the client's fault.
            use crate::http::coding::{decode, CodingError};
            let decoded = match decode(&parts.headers, &body, state.max_body) {
                Ok(d) => Ok(d.map(bytes::Bytes::from)),
                Err(CodingError::Malformed(e)) => {
                    let why = format!("the body does not decode as its Content-Encoding says: {e}");
                    found.push(Check::RequestValid, "content-encoding".into(), why);
                    Err(())
                }
                Err(_) => Err(()),
            };
            let checked = match &decoded {
                Ok(Some(d)) => Some(&d[..]),
                Ok(None) => Some(&body[..]),
                Err(()) => None,
            };
            let invalid = intake.violations(contract, &parts, checked);
            for v in &invalid.items {
                found.push(Check::RequestValid, v.rule.clone(), v.text());
            }
            if let Some(more) = invalid.more_text("violations") {
                found.more.push((Check::RequestValid, more, invalid.more));
            }
            match operation {
                Some(op) if state.strict && !invalid.is_empty() => {
                    let msg = format!("Invalid request: {}", violation_list(&invalid));
                    let status = invalid_request_status(op);
                    let built = state.responder.error(contract, Some(op), status, &msg);
                    Answered::Proxy(
                        built,
                        ProxyAnswer::RequestInvalid,
                        "refused (--strict)".into(),
                    )
                }
                _ => forward(state, &parts, body, operation, peer, at, seq, &mut found).await,
            }
        }
    };

    let status = match &answered {
        Answered::Target(a) => a.status.as_u16(),
        Answered::Proxy(b, _, _) => b.status.as_u16(),
    };
    // Values hidden in the logged URL, and the client's credentials, are hidden in
    // the messages too (a violation quotes the value that broke a rule).
    let secrets = if found.is_empty() {
        Secrets::default()
    } else {
        shown::message_secrets(contract, &state.target_secrets, &parts)
    };
    for message in found
        .listed
        .iter_mut()
        .map(|(_, _, m)| m)
        .chain(found.more.iter_mut().map(|(_, m, _)| m))
    {
        if let std::borrow::Cow::Owned(clean) = secrets.scrub_cow(message) {
            *message = clean;
        }
    }
    {
        let mut s = lock(&state.summary);
        s.exchanges += 1;
        match &answered {
            Answered::Target(_) => s.forwarded += 1,
            Answered::Proxy(_, kind, _) if kind.is_target_error() => s.target_errors += 1,
            Answered::Proxy(..) => s.refused += 1,
        }
        if found.unchecked.is_some() {
            s.unchecked += 1;
        }
        if !found.is_empty() {
            s.with_violations += 1;
        }
        for (check, _, message) in &found.listed {
            s.add(*check, &line, message);
        }
        for (check, _, n) in &found.more {
            s.add_count(*check, *n);
        }
    }
    let answered_status = match &answered {
        Answered::Proxy(_, kind, _) if kind.is_target_error() => None,
        _ => Some(status),
    };
    state.verdicts.record(
        operation,
        answered_status,
        found.listed.iter().map(|(check, rule, message)| Found {
            check: check.name(),
            rule,
            message: Box::new(|| contract.profile.scrub(message).into_owned()),
        }),
        || (line.clone(), peer.ip().to_string()),
    );
    state
        .verdicts
        .add_unlisted(operation, found.more.iter().map(|(_, _, n)| n).sum());
    if let Some(log) = &state.log {
        let micros = started.elapsed().as_micros();
        let list = (!found.is_empty()).then(|| {
            let list: Vec<String> = found
                .listed
                .iter()
                .map(|(c, _, m)| format!("{c}: {m}"))
                .chain(found.more.iter().map(|(c, m, _)| format!("{c}: {m}")))
                .collect();
            format!(" ({} violation(s): {})", found.total(), list.join("; "))
        });
        // Written straight into the batch, without the formatting machinery (this
        // runs per exchange). The sink cuts a line at 8 KiB and escapes control
        // characters.
        log.push(|buf| {
            push_timestamp(buf, at);
            // The client's address is its session, as the recorder sees it.
            buf.extend_from_slice(b" [");
            push_ip(buf, peer.ip());
            buf.extend_from_slice(b"] ");
            buf.extend_from_slice(line.as_bytes());
            buf.extend_from_slice(b" -> ");
            push_decimal(buf, u64::from(status));
            buf.push(b' ');
            push_millis(buf, micros);
            if let Some(op) = operation {
                buf.push(b' ');
                buf.extend_from_slice(op.name().as_bytes());
            }
            if let Answered::Proxy(_, _, why) = &answered {
                buf.extend_from_slice(b" [answered by the proxy: ");
                buf.extend_from_slice(why.as_bytes());
                buf.push(b']');
            }
            if let Some(why) = &found.unchecked {
                buf.extend_from_slice(b" [body not checked: ");
                buf.extend_from_slice(why.as_bytes());
                buf.push(b']');
            }
            if let Some(list) = &list {
                buf.extend_from_slice(list.as_bytes());
            }
            buf.push(b'\n');
        });
    }

    match answered {
        Answered::Target(a) => {
            let a = *a;
            let mut response = Response::new(ProxyBody::streamed(a.body, a.rest, a.held));
            *response.status_mut() = a.status;
            *response.headers_mut() = a.headers;
            response
        }
        Answered::Proxy(built, kind, _) => {
            let mut response = Response::new(ProxyBody::full(built.body));
            *response.status_mut() = built.status;
            let headers = response.headers_mut();
            for (name, value) in built.headers {
                headers.append(name, value);
            }
            headers.insert(
                HeaderName::from_static(MOCK_ERROR_HEADER),
                HeaderValue::from_static(kind.header()),
            );
            if kind.closes_connection() {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}
