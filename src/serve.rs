//! Serving: the mock as a hyper server on a real socket.
//!
//! [`MockServer`] is the in-process handle (its URL, stopped on drop) that Rust
//! tests and the conformance runner use; `mimeo serve` wraps the same thing. Per
//! request the work is: route, read the body (bounded), check auth, validate,
//! choose a status, and copy out a response that was mostly built at start-up.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONNECTION, HOST, WWW_AUTHENTICATE};
use hyper::http::request::Parts;
use hyper::{Request, Response};

use crate::contract::{Auth, Contract, Operation};
use crate::http::intake::{invalid_request_status, violation_list, Intake, Route};
use crate::http::log::{push_decimal, push_millis, LogSink};
use crate::http::server::{
    bind, read_body, serve_connections, BindError, BodyError, Limits, ServerHandle,
};
use crate::respond::rules::{check_rules, segments, Latency, Rule, RuleError};
use crate::respond::{mock_error, prefer, Built, MockError, RequestInfo, Responder};

/// How the mock behaves. `Default` is what `mimeo serve` does with no flags,
/// except that the port is 0 (any free port) and nothing is logged, which is
/// what tests want.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::{Latency, Rule, ServeOptions};
///
/// let opts = ServeOptions {
///     rules: vec![Rule::from_flag("DELETE /v1/ControlPlane/**=429")?],
///     latency: Some(Latency::fixed(Duration::from_millis(5))),
///     ..ServeOptions::default()
/// };
/// # let _ = opts;
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
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
    /// Write one line per request on stderr (off by default: the library prints
    /// nothing unless asked).
    pub log: bool,
    /// Largest accepted request body in bytes.
    pub max_body: usize,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
    /// How long a client may take to send its request body; then 408 and the
    /// connection is closed.
    pub body_timeout: Duration,
    /// Connections served at once; past this a new one is answered 503 and closed.
    pub max_connections: usize,
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
            log: false,
            max_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// How long a client may take to send a request body, unless told otherwise.
pub(crate) const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once, unless told otherwise.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Why the mock did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// A rule does not fit the contract.
    #[error(transparent)]
    Rules(#[from] RuleError),
}

struct State {
    addr: SocketAddr,
    contract: Arc<Contract>,
    responder: Responder,
    opts: ServeOptions,
    auth_header: Option<HeaderValue>,
    log: Arc<LogSink>,
    /// Heavy work (fresh data, large bodies) done on blocking threads at once:
    /// one per CPU.
    heavy: Arc<tokio::sync::Semaphore>,
}

/// A running mock of a contract, on a real socket. Dropping it stops the server.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer, ServeOptions};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let contract = Arc::new(Contract::embedded()?);
/// let server = MockServer::start(contract, ServeOptions::default()).await?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// // Point the client under test at server.url().
/// server.shutdown().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MockServer {
    handle: ServerHandle,
    warnings: Vec<String>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url())
            .finish()
    }
}

impl MockServer {
    /// Checks the rules against the contract, builds every default response, binds,
    /// and starts serving on the current tokio runtime.
    pub async fn start(
        contract: Arc<Contract>,
        opts: ServeOptions,
    ) -> Result<MockServer, ServeError> {
        check_rules(&opts.rules, &contract)?;
        // Building every default response is work for a blocking thread: on a large
        // contract it takes a while, and the runtime must stay free meanwhile. The
        // port is bound only once the responses are ready.
        let built = {
            let (contract, seed, dynamic) = (contract.clone(), opts.seed, opts.dynamic);
            tokio::task::spawn_blocking(move || Responder::new(&contract, seed, dynamic)).await
        };
        let (responder, warnings) =
            built.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let (listener, addr) = bind(opts.host, opts.port).await?;
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
            heavy: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        });
        let handle = ServerHandle::spawn(addr, |stopped| async move {
            let limits = Limits {
                header_timeout: state.opts.header_timeout,
                max_connections: state.opts.max_connections,
            };
            let served = state.clone();
            serve_connections(listener, limits, stopped, move |req, _peer| {
                let state = served.clone();
                async move { handle(&state, req).await }
            })
            .await;
            // Log lines are written in batches; the last batch goes out now.
            state.log.flush();
        });
        Ok(MockServer { handle, warnings })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.handle.url()
    }

    /// Problems found while building the default responses (an example that
    /// breaks its schema, a body that cannot be generated validly).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Stops accepting, lets in-flight requests finish (up to 10 s), then returns.
    pub async fn shutdown(mut self) {
        self.handle.shutdown().await;
    }
}

/// What the log line says about a request.
struct Outcome {
    built: Built,
    reason: Option<String>,
    close: bool,
    /// A matching rule's latency; otherwise the server-wide one applies.
    latency: Option<Latency>,
}

impl Outcome {
    fn plain(built: Built, reason: String) -> Outcome {
        Outcome {
            built,
            reason: Some(reason),
            close: false,
            latency: None,
        }
    }
}

async fn handle(state: &Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    // What the log line needs of the request, taken only when there is a log (a
    // Uri clone shares its bytes).
    let logged = state
        .opts
        .log
        .then(|| (req.method().clone(), req.uri().clone()));
    let outcome = answer(state, req).await;
    // Latency applies to every answer, errors included, as a slow network would.
    if let Some(latency) = outcome.latency.or(state.opts.latency) {
        let entropy: u64 = rand::RngExt::random(&mut rand::rng());
        tokio::time::sleep(latency.pick(entropy)).await;
    }
    if let Some((method, uri)) = logged {
        let micros = started.elapsed().as_micros();
        // Values of query parameters that look like credentials never reach the log.
        let (target, _) = crate::secrets::logged_target(&state.contract, &uri);
        // `GET /path?query -> 200 0.01ms (reason)`, written without the formatting
        // machinery: this runs for every request.
        state.log.push(|buf| {
            buf.extend_from_slice(method.as_str().as_bytes());
            buf.push(b' ');
            buf.extend_from_slice(target.as_bytes());
            buf.extend_from_slice(b" -> ");
            push_decimal(buf, u64::from(outcome.built.status.as_u16()));
            buf.push(b' ');
            push_millis(buf, micros);
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

async fn answer(state: &Arc<State>, req: Request<Incoming>) -> Outcome {
    let contract = &*state.contract;
    let (parts, body) = req.into_parts();
    let mut intake = Intake::new(contract, &parts);
    let (operation, path_params) = match &intake.route {
        Route::NotFound => {
            let msg = format!("The requested resource {} was not found", parts.uri.path());
            return Outcome::plain(
                state.responder.error(contract, None, 404, &msg),
                "no operation has this path".into(),
            );
        }
        Route::MethodNotAllowed { allow, template } => {
            let msg = format!(
                "Method {} is not allowed on {template}; allowed: {allow}",
                parts.method
            );
            let mut built = state.responder.error(contract, None, 405, &msg);
            built.headers.push((
                ALLOW,
                HeaderValue::from_str(allow).unwrap_or(HeaderValue::from_static("")),
            ));
            return Outcome::plain(built, format!("allowed: {allow}"));
        }
        Route::Operation(op, params) => (*op, params),
    };

    let body = match read_body(
        &parts.headers,
        body,
        state.opts.max_body,
        state.opts.body_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(state, operation),
        Err(BodyError::TimedOut) => {
            let msg = format!(
                "The request body did not arrive within {}",
                crate::support::duration::format(state.opts.body_timeout)
            );
            return Outcome {
                built: state.responder.error(contract, Some(operation), 408, &msg),
                reason: Some(msg),
                close: true,
                latency: None,
            };
        }
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

    let prefer = match prefer::parse(&parts.headers, &mut intake.query) {
        Ok(p) => p,
        Err(msg) => return Outcome::plain(mock_error(MockError::InvalidPrefer, &msg), msg),
    };

    if let Some(expected) = &state.auth_header {
        if operation.documents(401) && operation.auth != Auth::None {
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
                return Outcome::plain(built, why.into());
            }
        }
    }

    let violations = if body.len() > CHECK_INLINE {
        validate_off_the_workers(state, &parts, body).await
    } else {
        intake.violations(contract, &parts, &body)
    };
    if !violations.is_empty() {
        let list = violation_list(&violations);
        let msg = format!("Invalid request: {list}");
        let status = invalid_request_status(operation);
        return Outcome {
            built: state
                .responder
                .error(contract, Some(operation), status, &msg),
            reason: state
                .opts
                .log
                .then(|| format!("{} violation(s): {list}", violations.total())),
            close: false,
            latency: None,
        };
    }

    if prefer.dynamic.unwrap_or(state.opts.dynamic) {
        return off_the_workers(state, parts, prefer).await;
    }
    choose_and_respond(state, operation, &parts, path_params, &prefer)
}

/// Request bodies up to this size are validated on the async worker; larger ones
/// on a blocking thread, so a large body never stalls other requests.
const CHECK_INLINE: usize = 64 * 1024;

/// Validates a request with a large body on a blocking thread (a few at a time,
/// as generation is), so the async workers keep serving meanwhile.
async fn validate_off_the_workers(
    state: &Arc<State>,
    parts: &Parts,
    body: Bytes,
) -> crate::support::limits::Capped<crate::validate::Violation> {
    let mut copy = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .body(())
        .map(|r| r.into_parts().0)
        .unwrap_or_else(|_| Request::new(()).into_parts().0);
    copy.headers = parts.headers.clone();
    let permit = state.heavy.clone().acquire_owned().await;
    let state = Arc::clone(state);
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut intake = Intake::new(&state.contract, &copy);
        // As on the worker: mimeo's own `__` controls are not the request's.
        let _ = prefer::parse(&copy.headers, &mut intake.query);
        intake.violations(&state.contract, &copy, &body)
    })
    .await;
    done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Answers a request that asks for fresh data on a blocking thread, a few at a
/// time: generating is CPU work (bounded in size and time), and it must not hold
/// up the requests the async workers are serving meanwhile.
async fn off_the_workers(state: &Arc<State>, parts: Parts, prefer: prefer::Prefer) -> Outcome {
    let permit = state.heavy.clone().acquire_owned().await;
    let state = Arc::clone(state);
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let intake = Intake::new(&state.contract, &parts);
        match &intake.route {
            Route::Operation(op, params) => choose_and_respond(&state, op, &parts, params, &prefer),
            _ => Outcome::plain(
                state
                    .responder
                    .error(&state.contract, None, 404, "not found"),
                "no operation has this path".into(),
            ),
        }
    })
    .await;
    done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

fn choose_and_respond(
    state: &State,
    operation: &Operation,
    parts: &Parts,
    path_params: &[(&str, Result<Cow<'_, str>, String>)],
    prefer: &prefer::Prefer,
) -> Outcome {
    let contract = &*state.contract;
    let rule = match state.opts.rules.as_slice() {
        [] => None,
        rules => {
            let path = segments(parts.uri.path());
            rules.iter().find(|r| r.matches(&parts.method, &path))
        }
    };
    let logging = state.opts.log;
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
            return Outcome::plain(mock_error(e.kind, &e.message), e.message);
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
