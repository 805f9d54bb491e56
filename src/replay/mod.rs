//! Replay: play scenarios against a target and check every answer.
//!
//! Steps of one scenario run in order (later steps read what earlier ones
//! captured); scenarios run side by side up to `concurrency`. Each response goes
//! through the contract's named checks ([`Check`]). Nothing here
//! decides pass or fail for a whole run or touches snapshots; that is the job of
//! [`crate::snapshot`] and [`crate::report`].

mod request;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::HeaderMap;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::checks::{check_response, status_expected, Check, CheckFailure};
use crate::contract::Contract;
use crate::http::client::{Client, TargetError};
use crate::scenario::{placeholder, CaptureFrom, Scenario, Step};

/// Credentials the in-process mock of `mimeo replay` demands when the user gives
/// none, and that replay then sends: `auth: none` steps still meet a real 401.
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

    /// The credentials in the base URL (user and password, as written and decoded),
    /// for [`crate::Secrets`]: a target may echo them.
    pub fn secrets(&self) -> Vec<String> {
        crate::secrets::userinfo_secrets(&self.base)
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
    /// Basic credentials for steps with `auth: default`.
    pub auth: Option<(String, String)>,
    /// Variable values that replace the scenarios' defaults.
    pub vars: IndexMap<String, String>,
    /// Per-request timeout unless a step sets its own.
    pub timeout: Duration,
    /// Scenarios run at once.
    pub concurrency: usize,
    /// The most of one answer's body that is read; a longer answer fails its
    /// step with `transport` ([`DEFAULT_MAX_RESPONSE`] by default).
    pub max_response: usize,
}

/// How much of one answer replay reads unless told otherwise (32 MiB).
pub const DEFAULT_MAX_RESPONSE: usize = 32 * 1024 * 1024;

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            auth: None,
            vars: IndexMap::new(),
            timeout: Duration::from_secs(10),
            concurrency: 1,
            max_response: DEFAULT_MAX_RESPONSE,
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
}

/// The result of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRun {
    /// The step's name.
    pub name: String,
    /// The line where the step starts in its file.
    pub line: usize,
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
    /// Round-trip time.
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
    let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let done = Arc::new(done);
    let opts = Arc::new(opts);
    let target = Arc::new(target);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..scenarios.len() {
        let (contract, scenarios, client, permits, done, opts, target) = (
            contract.clone(),
            scenarios.clone(),
            client.clone(),
            permits.clone(),
            done.clone(),
            opts.clone(),
            target.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            let run = run_scenario(&contract, &client, &target, &scenarios[i], &opts).await;
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

/// Runs one scenario's steps in order.
async fn run_scenario(
    contract: &Contract,
    client: &Client,
    target: &Target,
    scenario: &Scenario,
    opts: &ReplayOptions,
) -> ScenarioRun {
    let started = Instant::now();
    let mut vars = scenario.vars.clone();
    for (k, v) in &opts.vars {
        if vars.contains_key(k) {
            vars.insert(k.clone(), v.clone());
        }
    }
    let mut run = ScenarioRun {
        name: scenario.name.clone(),
        file: scenario.file.display().to_string(),
        snapshot: scenario.snapshot.clone(),
        skipped: None,
        steps: Vec::new(),
        vars: IndexMap::new(),
        duration_ms: 0.0,
    };
    if scenario.needs_mock && !target.is_mock {
        let reason = "needs mimeo's mock (add --target-is-mock if the target is one)".to_string();
        run.steps = scenario
            .steps
            .iter()
            .map(|step| StepRun {
                name: step.name.clone(),
                line: step.line,
                request_line: step.request_line(),
                operation: step.operation.map(|o| contract.op(o).name()),
                request: None,
                outcome: Outcome::Skipped {
                    reason: reason.clone(),
                },
                checks_ran: Vec::new(),
                failures: Vec::new(),
                duration_ms: 0.0,
            })
            .collect();
        run.skipped = Some(reason);
        run.vars = vars;
        return run;
    }
    // Captures that failed, by variable, so later steps can say why they skipped.
    let mut failed_captures: IndexMap<String, usize> = IndexMap::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let result = run_step(
            contract,
            client,
            step,
            i,
            &mut vars,
            &mut failed_captures,
            opts,
        )
        .await;
        run.steps.push(result);
    }
    run.vars = vars;
    run.duration_ms = started.elapsed().as_secs_f64() * 1e3;
    run
}

async fn run_step(
    contract: &Contract,
    client: &Client,
    step: &Step,
    index: usize,
    vars: &mut IndexMap<String, String>,
    failed_captures: &mut IndexMap<String, usize>,
    opts: &ReplayOptions,
) -> StepRun {
    let op = step.operation.map(|i| contract.op(i));
    let mut result = StepRun {
        name: step.name.clone(),
        line: step.line,
        request_line: step.request_line(),
        operation: op.map(|o| o.name()),
        request: None,
        outcome: Outcome::Skipped {
            reason: String::new(),
        },
        checks_ran: Vec::new(),
        failures: Vec::new(),
        duration_ms: 0.0,
    };
    if let Some(missing) = step.uses().into_iter().find(|v| !vars.contains_key(*v)) {
        let reason = match failed_captures.get(missing) {
            Some(at) => format!(
                "`{}` has no value: its capture in step {} failed",
                placeholder(missing),
                at + 1
            ),
            None => format!("`{}` has no value", placeholder(missing)),
        };
        result.outcome = Outcome::Skipped { reason };
        for c in &step.captures {
            failed_captures.entry(c.var.clone()).or_insert(index);
        }
        return result;
    }
    let request = match request::build(step, vars, opts) {
        Ok(r) => r,
        Err(e) => {
            result.outcome = Outcome::NoResponse { error: e.clone() };
            result.failures.push(CheckFailure {
                check: Check::Transport,
                message: e,
            });
            result.checks_ran.push(Check::Transport);
            return result;
        }
    };
    result.request = Some(request.describe());
    let timeout = step.timeout.unwrap_or(opts.timeout);
    let started = Instant::now();
    let answer = client
        .send(
            request.method,
            &request.path_and_query,
            request.headers,
            request.body,
            timeout,
            opts.max_response,
        )
        .await;
    result.duration_ms = started.elapsed().as_secs_f64() * 1e3;
    result.checks_ran.push(Check::Transport);
    let (status, headers, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            result.outcome = Outcome::NoResponse { error: e.clone() };
            result.failures.push(CheckFailure {
                check: Check::Transport,
                message: e,
            });
            for c in &step.captures {
                failed_captures.insert(c.var.clone(), index);
            }
            return result;
        }
    };

    match op {
        Some(op) => {
            let checked = check_response(
                contract,
                op,
                status,
                &headers,
                &body,
                step.expect.as_deref(),
            );
            result.checks_ran.extend(checked.ran);
            result.failures.extend(checked.failures);
        }
        None => {
            if let Some(exp) = &step.expect {
                result.checks_ran.push(Check::StatusExpected);
                result.failures.extend(status_expected(status, exp));
            }
        }
    }

    if !step.captures.is_empty() {
        result.checks_ran.push(Check::Capture);
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        for c in &step.captures {
            match capture(&c.from, &headers, json.as_ref()) {
                Ok(v) => {
                    vars.insert(c.var.clone(), v);
                    failed_captures.shift_remove(&c.var);
                }
                Err(e) => {
                    result.failures.push(CheckFailure {
                        check: Check::Capture,
                        message: format!("{}: {e}", c.var),
                    });
                    vars.shift_remove(&c.var);
                    failed_captures.insert(c.var.clone(), index);
                }
            }
        }
    }

    result.outcome = Outcome::Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| {
                // Reports keep every header except what hands out credentials.
                let value = if crate::secrets::secret_response_header(k.as_str()) {
                    "[redacted]".to_string()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (k.as_str().to_string(), value)
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    result
}

fn capture(
    from: &CaptureFrom,
    headers: &HeaderMap,
    json: Option<&Value>,
) -> Result<String, String> {
    match from {
        CaptureFrom::Header(h) => headers
            .get(h)
            .ok_or_else(|| format!("the response has no {h} header"))?
            .to_str()
            .map(str::to_string)
            .map_err(|_| format!("the {h} header is not text")),
        CaptureFrom::Body(pointer) => {
            let json = json.ok_or("the response body is not JSON")?;
            match json.pointer(pointer) {
                None => Err(format!("the body has nothing at {pointer}")),
                Some(Value::Null) => Err(format!("the body has null at {pointer}")),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Ok(v.to_string()),
            }
        }
    }
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
