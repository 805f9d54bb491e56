//! The typed way to start a mock from Rust, as wiremock-rs users expect:
//! `MockServer::builder(contract).rule(...).stateful().seed(7).start().await`.
//! Each method sets one [`ServeOptions`] field; mistakes (a rule that fits no
//! operation, a contract with no state model) are reported by `start`.

use std::sync::Arc;
use std::time::Duration;

use hyper::Method;

use super::{MockServer, ServeError, ServeOptions};
use crate::contract::Contract;
use crate::respond::delay::Latency;
use crate::respond::fault::Fault;
use crate::respond::rules::Rule;
use crate::state::{StateModel, StateOptions};

/// Options for a [`MockServer`], set one by one.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use mimeo::{Contract, Fault, Latency, Method, MockServer, Rule};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let server = MockServer::builder(Arc::new(Contract::embedded()?))
///     .rule(Rule::status(Method::PATCH, "/v1/**", 409))
///     .fault(Method::DELETE, "/v1/ControlPlane/**", Fault::ConnectionResetByPeer)
///     .delay(Latency::fixed(Duration::from_millis(1)))
///     .stateful()
///     .auth("ACxx", "token")
///     .seed(7)
///     .verify_on_drop()
///     .start()
///     .await?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `.start().await`"]
pub struct MockServerBuilder {
    contract: Arc<Contract>,
    opts: ServeOptions,
    stateful: Option<StateOptions>,
    verify_on_drop: bool,
}

impl MockServerBuilder {
    pub(super) fn new(contract: Arc<Contract>) -> MockServerBuilder {
        MockServerBuilder {
            contract,
            opts: ServeOptions::default(),
            stateful: None,
            verify_on_drop: false,
        }
    }

    /// Starts from these options instead of the defaults.
    pub fn options(mut self, opts: ServeOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Adds a server-side rule (after those already added; the first match wins).
    pub fn rule(mut self, rule: Rule) -> Self {
        self.opts.rules.push(rule);
        self
    }

    /// Breaks the connection with `fault` for requests of `method` whose path
    /// matches `pattern` (`*` one segment, `**` any number).
    pub fn fault(self, method: Method, pattern: &str, fault: Fault) -> Self {
        self.rule(Rule::fault(method, pattern, fault))
    }

    /// Delays every answer without a rule delay.
    pub fn delay(mut self, delay: Latency) -> Self {
        self.opts.latency = Some(delay);
        self
    }

    /// Simulates the service with the contract's state model (Memory v1's, or
    /// one inferred from the paths), with default options.
    pub fn stateful(self) -> Self {
        self.stateful_with(StateOptions::default())
    }

    /// Simulates the service with these options (settle delay, seed, limits).
    pub fn stateful_with(mut self, options: StateOptions) -> Self {
        self.stateful = Some(options);
        self
    }

    /// Simulates the service with this state model.
    pub fn state_model(mut self, model: Arc<StateModel>, options: StateOptions) -> Self {
        self.opts.stateful = Some((model, options));
        self.stateful = None;
        self
    }

    /// Seeds generated data and chaos draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.opts.seed = seed;
        self
    }

    /// Demands exactly these HTTP Basic credentials where an operation's security
    /// requirement names HTTP Basic (by default any user and password will do).
    pub fn auth(mut self, sid: impl Into<String>, token: impl Into<String>) -> Self {
        self.opts.auth = Some((sid.into(), token.into()));
        self
    }

    /// Turns off security enforcement: requests need no credentials (by default
    /// every operation's security requirement is enforced, as `--no-auth` turns off).
    pub fn no_auth(mut self) -> Self {
        self.opts.enforce_auth = false;
        self
    }

    /// Generates fresh data for every answer.
    pub fn dynamic(mut self) -> Self {
        self.opts.dynamic = true;
        self
    }

    /// Keeps at most `n` requests in the journal (0: none).
    pub fn journal_size(mut self, n: usize) -> Self {
        self.opts.journal_size = n;
        self
    }

    /// Turns CORS manners on or off (on by default).
    pub fn cors(mut self, on: bool) -> Self {
        self.opts.cors = on;
        self
    }

    /// Logs one line per request on stderr.
    pub fn log(mut self) -> Self {
        self.opts.log = true;
        self
    }

    /// How long a client may take to send its request headers.
    pub fn header_timeout(mut self, d: Duration) -> Self {
        self.opts.header_timeout = d;
        self
    }

    /// How long a client may take to send its request body (then 408, and the
    /// connection is closed).
    pub fn body_timeout(mut self, d: Duration) -> Self {
        self.opts.body_timeout = d;
        self
    }

    /// Connections served at once; past this a new one is answered 503 and closed.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.opts.max_connections = n;
        self
    }

    /// When the server is dropped, panics if any request broke the contract,
    /// listing every violation (like wiremock-rs's expectations). Not while the
    /// thread is already panicking.
    pub fn verify_on_drop(mut self) -> Self {
        self.verify_on_drop = true;
        self
    }

    /// Checks everything against the contract, binds 127.0.0.1 on a free port
    /// (unless the options say otherwise) and starts serving.
    pub async fn start(self) -> Result<MockServer, ServeError> {
        let mut opts = self.opts;
        if let Some(options) = self.stateful {
            let model = StateModel::for_contract(&self.contract)
                .map_err(|e| ServeError::Stateful(e.to_string()))?;
            opts.stateful = Some((Arc::new(model), options));
        }
        let mut server = MockServer::start(self.contract, opts).await?;
        server.verify_on_drop = self.verify_on_drop;
        Ok(server)
    }
}
