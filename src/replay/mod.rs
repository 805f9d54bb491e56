//! Replay: play scenarios against a target and check every answer.
//!
//! Steps of one scenario run in order (later steps read what earlier ones
//! captured), phase by phase (`run`: setup, steps, cleanup); scenarios run side
//! by side up to `concurrency`, except those that share data (`exclusive`).
//! Each response goes through the contract's named checks (`crate::checks`)
//! and the step's own assertions (`assert`). Nothing here decides pass or fail
//! for a whole run or touches snapshots; that is the job of [`crate::snapshot`]
//! and [`crate::report`].

mod assert;
mod gate;
mod issued;
mod request;
pub(crate) mod run;
pub(crate) mod step;
mod vars;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Serialize;
use tokio::sync::Notify;

use crate::checks::{Check, CheckFailure};
use crate::contract::Contract;
use crate::http::client::{Client, TargetError};
use crate::scenario::{Phase, Scenario};

pub use assert::AssertionFailure;
pub(crate) use gate::Gate;
pub use vars::new_run_id;
pub(crate) use vars::resolve;

/// Credentials `mimeo replay` sends when the user gives none (and the default of
/// [`ReplayOptions::auth`]): a mimeo mock started without exact credentials
/// accepts any user and password, so these reach its operations, while `auth:
/// none` steps still meet a real 401.
pub const MOCK_CREDENTIALS: (&str, &str) = ("AC0000000000000000000000000000mock", "mimeo-replay");

/// Where requests go. A base URL may carry credentials (`https://user:pass@host`):
/// they are sent, and never shown ([`Target::shown`]).
///
/// # Examples
///
/// ```
/// // A real implementation: scenarios marked `needs: mock` are skipped.
/// let staging = mimeo::Target { base: "https://staging.example.com".into(), is_mock: false };
/// # let _ = staging;
/// ```
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:4010`.
    pub base: String,
    /// Whether the target is mimeo's mock (so `needs: mock` scenarios run).
    pub is_mock: bool,
}

impl Target {
    /// The base URL as shown in messages and reports: credentials in it hidden.
    ///
    /// ```
    /// let t = mimeo::Target { base: "https://AC1:secret@api.example.com".into(), is_mock: false };
    /// assert_eq!(t.shown(), "https://[redacted]@api.example.com");
    /// ```
    pub fn shown(&self) -> String {
        crate::secrets::redact_userinfo(&self.base).into_owned()
    }

    /// The credentials in the base URL (user and password, and the values of
    /// query parameters whose names look secret and whose values could be
    /// credentials, as written and decoded), for
    /// [`crate::Secrets`]: a target may echo them.
    ///
    /// ```
    /// let t = mimeo::Target {
    ///     base: "https://me:pa%24s@api.example.com/v1?api_key=sk%2F1234abcd&sort_key=created_at&page=2"
    ///         .into(),
    ///     is_mock: false,
    /// };
    /// let secrets = t.secrets();
    /// for s in ["me", "pa%24s", "pa$s", "sk%2F1234abcd", "sk/1234abcd"] {
    ///     assert!(secrets.iter().any(|x| x == s), "{s} missing from {secrets:?}");
    /// }
    /// // A value no credential has (a name matches by word: `sort_key`).
    /// assert!(!secrets.iter().any(|x| x == "created_at" || x == "2"));
    /// ```
    pub fn secrets(&self) -> Vec<String> {
        crate::secrets::url_secrets(&self.base)
    }
}

/// How to replay.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut opts = mimeo::ReplayOptions::default();
/// opts.auth = Some(("ACxxxxxxxx".into(), "token".into()));
/// opts.vars.insert("storeId".into(), "mem_store_00000000000000000000000001".into());
/// opts.timeout = Duration::from_secs(5);
/// opts.concurrency = 4;
/// ```
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Basic credentials for steps with `auth: default` ([`MOCK_CREDENTIALS`] by
    /// default, which any mimeo mock started without exact ones accepts).
    pub auth: Option<(String, String)>,
    /// Variable values that replace the scenarios' defaults.
    pub vars: IndexMap<String, String>,
    /// Per-request timeout unless a step sets its own.
    pub timeout: Duration,
    /// Scenarios run at once.
    pub concurrency: usize,
    /// The run's `{{run_id}}`; a fresh one ([`new_run_id`]) when `None`.
    pub run_id: Option<String>,
    /// Stops the run early: setup and main steps not yet sent are skipped,
    /// cleanup still runs.
    pub stop: Option<Stop>,
    /// The most of one answer's body that is read; a longer answer fails its
    /// step with `transport` ([`DEFAULT_MAX_RESPONSE`] by default).
    pub max_response: usize,
}

/// How much of one answer replay reads unless told otherwise (32 MiB).
pub const DEFAULT_MAX_RESPONSE: usize = 32 * 1024 * 1024;

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            auth: Some((
                MOCK_CREDENTIALS.0.to_string(),
                MOCK_CREDENTIALS.1.to_string(),
            )),
            vars: IndexMap::new(),
            timeout: Duration::from_secs(10),
            concurrency: 1,
            run_id: None,
            stop: None,
            max_response: DEFAULT_MAX_RESPONSE,
        }
    }
}

/// Asks a running replay to stop: what is not yet sent of setup and the main
/// steps is skipped, cleanup still runs (Ctrl-C in `mimeo replay`).
///
/// # Examples
///
/// ```
/// let stop = mimeo::replay::Stop::default();
/// let opts = mimeo::ReplayOptions { stop: Some(stop.clone()), ..Default::default() };
/// stop.stop();
/// assert!(opts.stop.unwrap().stopped());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<(AtomicBool, Notify)>);

impl Stop {
    /// Asks the run to stop.
    pub fn stop(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        self.0 .1.notify_waiters();
    }

    /// Whether a stop was asked for.
    pub fn stopped(&self) -> bool {
        self.0 .0.load(Ordering::SeqCst)
    }

    /// Resolves once a stop is asked for.
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.0 .1.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a stop in between is not missed.
            notified.as_mut().enable();
            if self.stopped() {
                return;
            }
            notified.await;
        }
    }
}

/// The result of one scenario: every step's request, answer and checks. See
/// [`run_scenarios`] for an example.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRun {
    /// The scenario's name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// Its snapshot name.
    pub snapshot: String,
    /// Why it did not run, if it did not.
    pub skipped: Option<String>,
    /// One entry per step, in order.
    pub steps: Vec<StepRun>,
    /// Variable values at the end (defaults, overrides and captures).
    pub vars: IndexMap<String, String>,
    /// Wall time.
    pub duration_ms: f64,
}

impl ScenarioRun {
    /// Whether every check of every step held.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.failures.is_empty())
    }

    /// Whether a step got no answer (connection failure, timeout): such a result
    /// is incomplete and never becomes a snapshot.
    pub fn incomplete(&self) -> Option<&StepRun> {
        self.steps
            .iter()
            .find(|s| matches!(s.outcome, Outcome::NoResponse { .. }))
    }
}

/// The result of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRun {
    /// The step's name.
    pub name: String,
    /// The line where the step starts in its file.
    pub line: usize,
    /// Setup, main or cleanup.
    pub phase: Phase,
    /// The request line as written (placeholders kept).
    pub request_line: String,
    /// The operation it exercises (`None` for steps outside the contract).
    pub operation: Option<String>,
    /// What was sent.
    pub request: Option<SentRequest>,
    /// What came back.
    pub outcome: Outcome,
    /// Checks that ran.
    pub checks_ran: Vec<Check>,
    /// Checks that failed.
    pub failures: Vec<CheckFailure>,
    /// The body and header assertions among the failures, with where, what was
    /// expected and what was there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_assertions: Vec<AssertionFailure>,
    /// Requests sent (more than one when the step retries).
    pub attempts: u32,
    /// Round-trip time (every attempt).
    pub duration_ms: f64,
}

/// A request as sent; credentials are never kept.
#[derive(Debug, Clone, Serialize)]
pub struct SentRequest {
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers, `Authorization` redacted.
    pub headers: Vec<(String, String)>,
    /// Body text, if any.
    pub body: Option<String>,
}

/// What a step got.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// An HTTP response.
    Response {
        /// Status code.
        status: u16,
        /// All headers, in order, names lower-case.
        headers: Vec<(String, String)>,
        /// The body as text (lossy for bytes that are not UTF-8).
        body: String,
    },
    /// No response: connection refused, timeout, ...
    NoResponse {
        /// What happened.
        error: String,
    },
    /// The step did not run.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// Runs every scenario against `target`; `done` is called as each one finishes
/// (in any order). Results come back in the order of `scenarios`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer, ReplayOptions, ServeOptions, Target};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let contract = Arc::new(Contract::embedded()?);
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
/// let scenarios = mimeo::load_scenarios(&[dir], &contract).map_err(|e| e[0].clone())?;
/// let mock = MockServer::start(contract.clone(), ServeOptions::default()).await?;
/// let target = Target { base: mock.url(), is_mock: true };
/// let runs = mimeo::run_scenarios(contract, Arc::new(scenarios), target, ReplayOptions::default(), |_| {}).await?;
/// assert!(runs.iter().all(|run| run.skipped.is_none()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn run_scenarios(
    contract: Arc<Contract>,
    scenarios: Arc<Vec<Scenario>>,
    target: Target,
    opts: ReplayOptions,
    done: impl Fn(&ScenarioRun) + Send + Sync + 'static,
) -> Result<Vec<ScenarioRun>, TargetError> {
    let client = Client::new(&target.base)?;
    let gate = Arc::new(Gate::new(opts.concurrency, &scenarios));
    let done = Arc::new(done);
    let run_id = opts.run_id.clone().unwrap_or_else(new_run_id);
    let opts = Arc::new(opts);
    let target = Arc::new(target);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..scenarios.len() {
        let (contract, scenarios, client, gate, done, opts, target, run_id) = (
            contract.clone(),
            scenarios.clone(),
            client.clone(),
            gate.clone(),
            done.clone(),
            opts.clone(),
            target.clone(),
            run_id.clone(),
        );
        tasks.spawn(async move {
            let scenario = &scenarios[i];
            let _entered = gate.enter(scenario).await;
            // Against mimeo's mock, each scenario runs in a session of its own, so
            // scenarios side by side never see each other's state or rule sequences.
            let session = target
                .is_mock
                .then(|| format!("replay-{run_id}-{}", scenario.snapshot));
            let cx = step::StepCx {
                contract: &contract,
                client: &client,
                opts: &opts,
                session: session.as_deref(),
                stop: opts.stop.as_ref(),
            };
            let run = match prepare(scenario, &opts, &run_id, target.is_mock) {
                Ok(vars) => run::run_scenario(&cx, scenario, vars).await,
                Err((reason, vars)) => run::skipped(&cx, scenario, reason, vars),
            };
            done(&run);
            (i, run)
        });
    }
    let mut results: Vec<Option<ScenarioRun>> = vec![None; scenarios.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, run)) => results[i] = Some(run),
            // A scenario task only ends early if it panicked: say so instead of
            // losing the scenario silently.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// The starting variables of a scenario against this kind of target, or why it
/// does not run there (with what is known, for the report).
pub(crate) fn prepare(
    scenario: &Scenario,
    opts: &ReplayOptions,
    run_id: &str,
    target_is_mock: bool,
) -> Result<IndexMap<String, String>, (String, IndexMap<String, String>)> {
    if scenario.needs_mock && !target_is_mock {
        let reason = "needs mimeo's mock (add --target-is-mock if the target is one)".to_string();
        return Err((reason, IndexMap::new()));
    }
    resolve(scenario, &opts.vars, run_id, target_is_mock).map_err(|r| (r, IndexMap::new()))
}

/// Keeps scenario `i` of `n` (1-based `i`), dealing sorted snapshot names round-robin
/// so each shard of the same suite gets a stable, even slice.
///
/// # Examples
///
/// ```
/// # let contract = mimeo::Contract::embedded()?;
/// # let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
/// let all = mimeo::load_scenarios(&[dir], &contract).map_err(|e| e[0].clone())?;
/// let (n, count) = (3, all.len());
/// let sizes: usize = (1..=n).map(|i| mimeo::replay::shard(all.clone(), i, n).len()).sum();
/// assert_eq!(sizes, count);
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
pub fn shard(mut scenarios: Vec<Scenario>, i: usize, n: usize) -> Vec<Scenario> {
    scenarios.sort_by(|a, b| a.snapshot.cmp(&b.snapshot));
    scenarios
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, s)| s)
        .collect()
}
