//! Serving: the mock as a hyper server on a real socket.
//!
//! [`MockServer`] is the in-process handle (its URL, its journal and verdict,
//! stopped on drop) that Rust tests and the conformance runner use; `mimeo
//! serve` wraps the same thing. Per request ([`handle`], [`pipeline`]): route,
//! read the body (bounded), check auth, validate, choose a status (`Prefer` and
//! rules first, then the state model when the mock is stateful) and how it is
//! sent (delay, dribble, fault: [`chaos`] draws from the seed per session), copy
//! out a response that was mostly built at start-up, then count it for the
//! verdict and journal it ([`heads`]: the headers read on every request, found
//! in one pass). Requests under the admin prefix go to [`admin`];
//! browsers get [`cors`] manners. [`builder`] is the typed way to configure it.

mod admin;
mod auth;
mod builder;
mod chaos;
mod cors;
mod fresh;
mod handle;
mod heads;
mod offload;
mod pipeline;
pub(crate) mod session;

pub use builder::MockServerBuilder;
pub(crate) use session::SESSION_HEADER;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use hyper::header::HeaderValue;

use crate::contract::Contract;
use crate::http::log::LogSink;
use crate::http::server::{bind, serve_connections, BindError, Limits, ServerHandle};
use crate::journal::near::near_miss;
use crate::journal::pattern::PatternError;
use crate::journal::view::ViewCx;
use crate::journal::{Journal, JournaledRequest, NearMiss, RequestPattern};
use crate::respond::delay::Latency;
use crate::respond::rules::{check_rules, Rule, RuleError};
use crate::respond::Responder;
use crate::secrets::Secrets;
use crate::state::{Simulation, StateErrors, StateModel, StateOptions};
use crate::verdict::{Failure, Verdict, Verdicts};
use session::RuleCounters;

/// How the mock behaves. `Default` is what `mimeo serve` does with no flags,
/// except that the port is 0 (any free port) and nothing is logged, which is
/// what tests want. [`MockServer::builder`] sets the same options with methods.
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
    /// Enforce every operation's security requirement (on by default, as Prism
    /// does): a request without the credentials its operation asks for, in the
    /// form the scheme defines, gets 401 with `WWW-Authenticate`.
    pub enforce_auth: bool,
    /// The exact Basic credentials to demand where a requirement names HTTP
    /// Basic (`None`: any user and password, but `REJECTED_CREDENTIALS`).
    pub auth: Option<(String, String)>,
    /// Server-side rules, first match wins.
    pub rules: Vec<Rule>,
    /// Delay for every answer without a rule delay.
    pub latency: Option<Latency>,
    /// Seed for generated data and for chaos draws (probabilities, delays).
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
    /// Stateful mode: the model that says what each operation does to the state,
    /// and how the simulation runs (settle delay, seed, strictness, limits).
    pub stateful: Option<(Arc<StateModel>, StateOptions)>,
    /// Where the control endpoints live (`/__admin/state`, `/__admin/requests`, ...).
    pub admin_prefix: String,
    /// Sessions kept for rule sequences (and, in the state options, for state);
    /// past it the least recently used is dropped.
    pub max_sessions: usize,
    /// Requests the journal keeps (the oldest are dropped); 0: no journal.
    pub journal_size: usize,
    /// Answer CORS preflights and add `Access-Control-Allow-*` headers for
    /// browsers (on by default, as Prism does).
    pub cors: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            enforce_auth: true,
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
            stateful: None,
            admin_prefix: "/__admin".into(),
            max_sessions: 10_000,
            journal_size: 10_000,
            cors: true,
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
    /// The admin prefix is not usable with this contract.
    #[error("admin prefix `{prefix}`: {why}")]
    AdminPrefix {
        /// The prefix.
        prefix: String,
        /// What is wrong with it.
        why: String,
    },
    /// The contract has no state model to simulate (`stateful()` on the builder).
    #[error("stateful: {0}")]
    Stateful(String),
}

pub(crate) struct State {
    addr: SocketAddr,
    base_url: String,
    contract: Arc<Contract>,
    responder: Responder,
    opts: ServeOptions,
    auth_header: Option<HeaderValue>,
    /// The server's own credentials, hidden wherever they might show.
    secrets: Secrets,
    log: Arc<LogSink>,
    /// Heavy work (fresh data, large bodies) done on blocking threads at once:
    /// one per CPU.
    heavy: Arc<tokio::sync::Semaphore>,
    /// States loaded (`PUT /__admin/state`) one at a time: each body may be
    /// far larger than a request's, and many at once would hold them all.
    state_loads: tokio::sync::Semaphore,
    sim: Option<Simulation>,
    /// Numbers the fresh volatile values of stateful answers.
    fresh: fresh::Fresh,
    counters: RuleCounters,
    admin_prefix: String,
    journal: Option<Journal>,
    verdicts: Verdicts,
    default_session: Arc<str>,
    started: Instant,
    /// Set by `POST /__admin/shutdown`.
    stop: tokio::sync::watch::Sender<bool>,
}

impl State {
    /// Reads a request's body within the server's limits (`--max-body-size`,
    /// the body timeout), for an operation or for routing: decoded when its
    /// `Content-Encoding` says it is compressed (what is checked, answered and
    /// journaled is what the client meant to send).
    ///
    /// The reading is boxed, and only for a request that has a body: inline,
    /// its timer would grow every request's future, which is moved several
    /// times on its way into hyper (as the other rare waits of
    /// `pipeline::answer` are boxed).
    pub(crate) fn read_body<'a>(
        &self,
        headers: &'a hyper::HeaderMap,
        body: hyper::body::Incoming,
    ) -> impl std::future::Future<Output = Result<bytes::Bytes, crate::http::server::BodyError>> + 'a
    {
        let reading = (!hyper::body::Body::is_end_stream(&body)).then(|| {
            Box::pin(crate::http::server::read_decoded(
                headers,
                body,
                self.opts.max_body,
                self.opts.body_timeout,
            ))
        });
        async move {
            match reading {
                Some(reading) => reading.await,
                None => Ok(bytes::Bytes::new()),
            }
        }
    }

    /// Starts one session (or, with `None`, every session) over: state, rule
    /// sequences, chaos draws and its journal entries.
    fn reset(&self, session: Option<&str>) {
        if let Some(sim) = &self.sim {
            sim.reset(session);
        }
        self.counters.reset(session);
        if let Some(j) = &self.journal {
            j.remove(|e| session.is_none_or(|s| &*e.session == s));
        }
    }

    fn view_cx(&self) -> ViewCx<'_> {
        ViewCx {
            contract: &self.contract,
            rules: &self.opts.rules,
            secrets: &self.secrets,
            base: &self.base_url,
        }
    }
}

/// A running mock of a contract, on a real socket. Dropping it stops the server
/// (and, when asked with [`MockServerBuilder::verify_on_drop`], panics if a
/// request broke the contract).
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
    state: Arc<State>,
    verify_on_drop: bool,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url())
            .finish()
    }
}

impl MockServer {
    /// A typed way to set the options, ending in [`MockServerBuilder::start`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mimeo::{Contract, Method, MockServer, Rule};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let server = MockServer::builder(Arc::new(Contract::embedded()?))
    ///     .rule(Rule::status(Method::PATCH, "/v1/**", 409))
    ///     .seed(7)
    ///     .start()
    ///     .await?;
    /// # let _ = server;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(contract: Arc<Contract>) -> MockServerBuilder {
        MockServerBuilder::new(contract)
    }

    /// Checks the rules against the contract, builds every default response (a
    /// contract of more than 200 operations: after start, see
    /// [`MockServer::bodies_built_later`]), binds, and starts serving on the
    /// current tokio runtime.
    pub async fn start(
        contract: Arc<Contract>,
        opts: ServeOptions,
    ) -> Result<MockServer, ServeError> {
        check_rules(&opts.rules, &contract)?;
        let admin_prefix = admin_prefix(&opts.admin_prefix, &contract)?;
        // Building every default response is work for a blocking thread: on a large
        // contract it takes a while, and the runtime must stay free meanwhile. The
        // port is bound only once the responses are ready.
        let built = {
            let (contract, seed, dynamic) = (contract.clone(), opts.seed, opts.dynamic);
            tokio::task::spawn_blocking(move || Responder::new(&contract, seed, dynamic)).await
        };
        let (responder, warnings) =
            built.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let sim = opts.stateful.as_ref().map(|(model, sim_opts)| {
            Simulation::new(contract.clone(), model.clone(), sim_opts.clone())
        });
        let counters = RuleCounters::new(opts.rules.len(), opts.max_sessions);
        let (listener, addr) = bind(opts.host, opts.port).await?;
        let auth_header = opts.auth.as_ref().map(|(user, pass)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            HeaderValue::from_str(&format!("Basic {token}"))
                .unwrap_or_else(|_| HeaderValue::from_static("-"))
        });
        let secrets = match &opts.auth {
            Some((user, pass)) => Secrets::new(Secrets::basic(user, pass)),
            None => Secrets::default(),
        };
        let (stop, stop_asked) = tokio::sync::watch::channel(false);
        let state = Arc::new(State {
            addr,
            base_url: format!("http://{addr}"),
            verdicts: Verdicts::new("mimeo serve", &contract),
            journal: (opts.journal_size > 0).then(|| Journal::new(opts.journal_size)),
            contract,
            responder,
            opts,
            auth_header,
            secrets,
            log: Arc::default(),
            heavy: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            state_loads: tokio::sync::Semaphore::new(1),
            sim,
            fresh: fresh::Fresh::default(),
            counters,
            admin_prefix,
            default_session: session::DEFAULT_SESSION.into(),
            started: Instant::now(),
            stop,
        });
        if state.contract.operations().len() > crate::respond::EAGER_OPERATIONS {
            // Built after start (see `bodies_built_later`).
            let weak = Arc::downgrade(&state);
            let spawned = std::thread::Builder::new()
                .name("mimeo-warm-up".into())
                .spawn(move || warm_up(&weak));
            if spawned.is_err() {
                // Bodies are built on first use; nothing is warming up.
                state.responder.warmed_up();
            }
        }
        let serving = state.clone();
        let handle = ServerHandle::spawn(addr, |stopped| async move {
            let state = serving;
            let limits = Limits {
                header_timeout: state.opts.header_timeout,
                max_connections: state.opts.max_connections,
            };
            let served = state.clone();
            serve_connections(
                listener,
                limits,
                stopped,
                Some(stop_asked),
                move |req, conn| {
                    let state = served.clone();
                    async move { handle::handle(&state, req, conn).await }
                },
                {
                    let state = state.clone();
                    move |peer, u| handle::unreadable(&state, peer, u)
                },
            )
            .await;
            // Log lines are written in batches; the last batch goes out now.
            state.log.flush();
        });
        Ok(MockServer {
            handle,
            warnings,
            state,
            verify_on_drop: false,
        })
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
    /// breaks its schema, a body that cannot be generated validly). A contract
    /// of more than 200 operations has its bodies built and its examples
    /// checked after start (see
    /// [`MockServer::bodies_built_later`]): problems found then are returned by
    /// [`MockServer::late_warnings`].
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Problems found building response bodies and checking examples after
    /// start (a contract of more than 200 operations, see
    /// [`MockServer::bodies_built_later`]), and schemas found broken when first
    /// compiled (of any contract), since the last call; each is returned
    /// once. `mimeo serve` prints them as they come.
    ///
    /// ```no_run
    /// # async fn demo(server: mimeo::MockServer) {
    /// for w in server.late_warnings() {
    ///     eprintln!("warning: {w}");
    /// }
    /// # }
    /// ```
    pub fn late_warnings(&self) -> Vec<String> {
        let mut late = self.state.responder.take_late_warnings();
        late.extend(self.state.contract.schemas.take_warnings());
        late
    }

    /// How many operations' response bodies are still to be built (0 once the
    /// warm-up of a large contract is done, its examples checked and its late
    /// warnings all kept; always 0 for a small one). A warm-up stops once it
    /// holds 48 MB of bodies: then the rest are built, and their examples
    /// judged, on first use.
    ///
    /// ```no_run
    /// # async fn demo(server: mimeo::MockServer) {
    /// while server.bodies_pending() > 0 {
    ///     tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    /// }
    /// assert!(server.late_warnings().is_empty());
    /// # }
    /// ```
    pub fn bodies_pending(&self) -> usize {
        self.state.responder.pending(self.bodies_built_later())
    }

    /// Whether the contract is large enough (more than 200 operations) that
    /// its response bodies are built on first use and by a warm-up thread after
    /// start, rather than before the server answers.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use mimeo::{Contract, MockServer, ServeOptions};
    ///
    /// let server = MockServer::start(Arc::new(Contract::embedded()?), ServeOptions::default()).await?;
    /// assert!(!server.bodies_built_later()); // Memory v1 has a few operations
    /// # Ok(())
    /// # }
    /// ```
    pub fn bodies_built_later(&self) -> bool {
        self.state.contract.operations().len() > crate::respond::EAGER_OPERATIONS
    }

    /// A session's state as JSON (`None`: the default session), the same as
    /// `GET /__admin/state`; `null` when the mock is not stateful.
    pub fn state(&self, session: Option<&str>) -> serde_json::Value {
        match &self.state.sim {
            Some(sim) => sim.dump(&session::named(session.unwrap_or(session::DEFAULT_SESSION))),
            None => serde_json::Value::Null,
        }
    }

    /// Replaces a session's state (`None`: the default session), as
    /// `PUT /__admin/state` does; a state that does not fit the model is refused
    /// with every problem. Without a state model, nothing is stored.
    pub fn set_state(
        &self,
        session: Option<&str>,
        state: &serde_json::Value,
    ) -> Result<(), StateErrors> {
        match &self.state.sim {
            Some(sim) => sim.load(
                &session::named(session.unwrap_or(session::DEFAULT_SESSION)),
                state,
            ),
            None => Ok(()),
        }
    }

    /// Starts one session (or, with `None`, every session) over: its state from
    /// the seed, its rule sequences from the first status, its chaos draws from
    /// the first, and its journal entries gone, as `POST /__admin/reset` does.
    pub fn reset(&self, session: Option<&str>) {
        let session = session.map(session::named);
        self.state.reset(session.as_deref());
    }

    /// Every request in the journal, oldest first, credentials redacted (as
    /// `GET /__admin/requests` shows them). Empty without a journal.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mimeo::{Contract, MockServer};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
    /// // The client under test would send this.
    /// let mut s = tokio::net::TcpStream::connect(server.addr()).await?;
    /// tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /v1/Nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
    /// let mut answer = Vec::new();
    /// tokio::io::AsyncReadExt::read_to_end(&mut s, &mut answer).await?;
    /// let sent = server.received_requests();
    /// assert_eq!(sent[0].request.url, "/v1/Nowhere");
    /// assert!(!sent[0].was_matched);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn received_requests(&self) -> Vec<JournaledRequest> {
        let cx = self.state.view_cx();
        self.journal_entries().iter().map(|e| e.view(&cx)).collect()
    }

    /// The journaled requests `pattern` matches, oldest first.
    pub fn find(&self, pattern: &RequestPattern) -> Result<Vec<JournaledRequest>, PatternError> {
        let compiled = pattern.compile().map_err(PatternError)?;
        let cx = self.state.view_cx();
        Ok(self
            .journal_entries()
            .iter()
            .map(|e| (e.view(&cx), e))
            .filter(|(v, e)| compiled.matches(v, &e.session))
            .map(|(v, _)| v)
            .collect())
    }

    /// How many journaled requests `pattern` matches.
    pub fn count(&self, pattern: &RequestPattern) -> Result<usize, PatternError> {
        self.find(pattern).map(|f| f.len())
    }

    /// Journaled requests that missed the contract, newest first: unmatched ones
    /// with the closest operations, invalid ones with their violations.
    pub fn near_misses(&self) -> Vec<NearMiss> {
        let cx = self.state.view_cx();
        let mut entries = self.journal_entries();
        entries.reverse();
        entries
            .iter()
            .filter(|e| e.missed())
            .filter_map(|e| near_miss(&self.state.contract, e.operation, e.view(&cx)))
            .collect()
    }

    fn journal_entries(&self) -> Vec<Arc<crate::journal::Entry>> {
        self.state
            .journal
            .as_ref()
            .map(Journal::entries)
            .unwrap_or_default()
    }

    /// The verdict so far: calls, statuses and violations per operation, and
    /// the coverage (every request counts, journal or not).
    pub fn verdict(&self) -> Verdict {
        self.state.verdicts.verdict(&self.state.contract)
    }

    /// Every contract violation so far (the first 50 per operation), with the
    /// request that made it. Requests no operation serves are violations too.
    pub fn violations(&self) -> Vec<Failure> {
        self.verdict().failures().map(|(_, f)| f.clone()).collect()
    }

    /// Panics, listing every violation, if any request broke the contract.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mimeo::{Contract, MockServer};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
    /// // A client that calls a path the contract does not have.
    /// let mut s = tokio::net::TcpStream::connect(server.addr()).await?;
    /// tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /v1/Nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
    /// tokio::io::AsyncReadExt::read_to_end(&mut s, &mut Vec::new()).await?;
    /// assert_eq!(server.violations()[0].rule, "unknown");
    /// let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.assert_no_violations()));
    /// assert!(failed.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assert_no_violations(&self) {
        let verdict = self.verdict();
        if !verdict.passed() {
            panic!("{}", violation_list(&verdict));
        }
    }

    /// Resolves when `POST /__admin/shutdown` asks the server to stop (the
    /// server then stops accepting by itself; `mimeo serve` writes its reports).
    pub async fn shutdown_requested(&self) {
        let mut rx = self.state.stop.subscribe();
        let _ = rx.wait_for(|asked| *asked).await;
    }

    /// Stops accepting, lets in-flight requests finish (up to 10 s), then
    /// returns the final verdict.
    pub async fn shutdown(mut self) -> Verdict {
        self.handle.shutdown().await;
        self.verdict()
    }
}

/// What `assert_no_violations` says.
fn violation_list(verdict: &Verdict) -> String {
    let mut text = format!(
        "mimeo: {} of {} request(s) broke the contract:\n",
        verdict.violating, verdict.requests
    );
    for (_, f) in verdict.failures() {
        text.push_str(&format!(
            "  {} [{}] {}\n",
            f.request,
            f.rule_key(),
            f.message
        ));
    }
    let kept = verdict.failures().count() as u64;
    let all: u64 =
        verdict.operations.iter().map(|o| o.violations).sum::<u64>() + verdict.unmatched.violations;
    if all > kept {
        text.push_str(&format!("  ... and {} more\n", all - kept));
    }
    text
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if self.verify_on_drop && !std::thread::panicking() {
            let verdict = self.verdict();
            if !verdict.passed() {
                panic!("{}", violation_list(&verdict));
            }
        }
    }
}

/// The rest of `path` when it is under `prefix` (`/__admin/state` under `/__admin`).
fn under<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Checks the admin prefix: a path of its own that no operation of the contract
/// lives under.
fn admin_prefix(prefix: &str, contract: &Contract) -> Result<String, ServeError> {
    let err = |why: String| ServeError::AdminPrefix {
        prefix: prefix.to_string(),
        why,
    };
    let p = prefix.trim_end_matches('/');
    if !p.starts_with('/') || p.len() < 2 || p.contains(['?', '#', '{', '}']) {
        return Err(err("expected a path such as /__admin".into()));
    }
    if let Some(op) = contract
        .operations
        .iter()
        .find(|o| under(o.path(), p).is_some())
    {
        return Err(err(format!(
            "the contract has {} under it; choose another prefix",
            op.label()
        )));
    }
    Ok(p.to_string())
}

/// Builds a large contract's bodies after start, and checks its examples, one
/// operation at a time (the parameters' examples last); stops
/// when the server is gone. What goes wrong is kept for
/// [`MockServer::late_warnings`]; a panic building one operation is one of them,
/// and the warm-up goes on with the next.
fn warm_up(state: &std::sync::Weak<State>) {
    // Operations share many schemas: the validators of their parts are kept
    // from one operation's bodies to the next (bounded), until the end.
    crate::contract::schema::keeping_parts(|| warm_up_all(state));
}

fn warm_up_all(state: &std::sync::Weak<State>) {
    let mut i = 0;
    while let Some(state) = state.upgrade() {
        let op = state
            .contract
            .operations()
            .get(i)
            .filter(|_| !state.responder.over_warm_up_budget());
        let Some(op) = op else {
            for w in state.contract.late_parameter_example_warnings() {
                state.responder.note_late(w);
            }
            state.responder.warmed_up();
            return;
        };
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            state.responder.prepare(&state.contract, op);
        }));
        if built.is_err() {
            state.responder.give_up(op);
            state.responder.note_late(format!(
                "building the responses of {} failed (a bug in mimeo: please report it); requests to it may fail",
                op.name()
            ));
        }
        i += 1;
    }
}
