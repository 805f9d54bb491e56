//! Differential replay: one suite, two targets. Every scenario runs against the
//! implementation under test and against a reference (mimeo's stateful mock by
//! default) with the same variable values; their answers are compared step by
//! step (`compare`) after hiding what legitimately differs (`view`), and
//! each difference is classified with the contract as the judge.
//!
//! `learn_noise` runs the target twice first and ignores the JSON pointers and
//! headers that differ between its own two runs (Diffy's idea), reporting what
//! it learned.

mod compare;
mod view;

use std::sync::Arc;

use serde::Serialize;

use crate::contract::Contract;
use crate::http::client::{Client, TargetError};
use crate::replay::run::{run_scenario, skipped};
use crate::replay::step::StepCx;
use crate::replay::{new_run_id, prepare, Gate, ReplayOptions, ScenarioRun, Target};
use crate::scenario::Scenario;
use crate::secrets::Secrets;
use compare::{compare, learn, Sides};

/// What kind of difference a step shows.
///
/// # Examples
///
/// ```
/// use mimeo::diff::Class;
///
/// assert_eq!(Class::BehaviourDifference.name(), "behaviour_difference");
/// assert_eq!(Class::TargetNonconformance.to_string(), "target nonconformance");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The target's answer breaks the contract.
    TargetNonconformance,
    /// Both answers keep the contract but differ: the implementation or the
    /// model is wrong.
    BehaviourDifference,
    /// mimeo's own mock broke the contract: a bug in mimeo.
    MimeoDefect,
    /// A reference given by URL broke the contract.
    ReferenceNonconformance,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 4] = [
        Class::TargetNonconformance,
        Class::BehaviourDifference,
        Class::MimeoDefect,
        Class::ReferenceNonconformance,
    ];

    /// The name in JUnit and JSON: `target_nonconformance`, ...
    pub fn name(self) -> &'static str {
        match self {
            Class::TargetNonconformance => "target_nonconformance",
            Class::BehaviourDifference => "behaviour_difference",
            Class::MimeoDefect => "mimeo_defect",
            Class::ReferenceNonconformance => "reference_nonconformance",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name().replace('_', " "))
    }
}

/// One place where the two answers differ. See [`run_differential`] for an
/// example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `status`, `header NAME`, a JSON pointer into the body, `body` or `answer`.
    pub at: String,
    /// The reference's value there (`None`: nothing).
    pub reference: Option<String>,
    /// The target's value there (`None`: nothing).
    pub target: Option<String>,
}

/// One step of a scenario, both sides compared. See [`run_differential`] for an
/// example.
#[derive(Debug, Clone, Serialize)]
pub struct StepDiff {
    /// `1`, `setup 1`, `cleanup 1`, ...
    pub step: String,
    /// The step's name.
    pub name: String,
    /// Its line in the scenario file.
    pub line: usize,
    /// The request line as written.
    pub request_line: String,
    /// The operation it exercises.
    pub operation: Option<String>,
    /// What the differences are (empty: the two sides agree).
    pub classes: Vec<Class>,
    /// Contract checks the target's answer failed.
    pub target_breaks: Vec<String>,
    /// Contract checks the reference's answer failed.
    pub reference_breaks: Vec<String>,
    /// Where the answers differ, after redaction and learned noise.
    pub differences: Vec<Difference>,
    /// Unified diff, `-` reference and `+` target (empty when they agree).
    pub diff: String,
    /// The target's status varied between its own two runs (`--learn-noise`):
    /// nothing was learned for the step, and it is compared in full.
    pub unstable: bool,
    /// Why the step was not compared (it was not sent to one side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_compared: Option<String>,
}

/// What `learn_noise` found for one step. See [`run_differential`] for an
/// example.
#[derive(Debug, Clone, Serialize)]
pub struct LearnedNoise {
    /// `1`, `setup 1`, ...
    pub step: String,
    /// The step's name.
    pub name: String,
    /// JSON pointers into the body that differed between the target's runs.
    pub pointers: Vec<String>,
    /// Headers that differed.
    pub headers: Vec<String>,
    /// The status differed, so nothing was learned: the step is compared in
    /// full (the first run usually changed what the second found).
    pub status_varies: bool,
    /// The target's statuses in its first and second runs, when they differed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<(u16, u16)>,
}

/// One scenario against both sides. See [`run_differential`] for an example.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioDiff {
    /// The reference's run (the target's is the report's run).
    pub reference: ScenarioRun,
    /// Step by step.
    pub steps: Vec<StepDiff>,
    /// What noise learning ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub noise: Vec<LearnedNoise>,
}

impl ScenarioDiff {
    /// Every class found, each once, in report order.
    pub fn classes(&self) -> Vec<Class> {
        let mut all: Vec<Class> = self.steps.iter().flat_map(|s| s.classes.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// How to compare.
///
/// # Examples
///
/// ```
/// let opts = mimeo::diff::DiffOptions { learn_noise: true, reference_is_mimeo: true };
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Run the target twice and ignore what differs between its own runs.
    pub learn_noise: bool,
    /// The reference is mimeo's mock: its contract breaks are mimeo defects.
    pub reference_is_mimeo: bool,
}

/// Runs every scenario against `target` and `reference` and compares them.
/// `done` is called as each scenario finishes, with the target's run and the
/// comparison. Results come back in the order of `scenarios`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::diff::{run_differential, DiffOptions};
/// use mimeo::state::{StateModel, StateOptions};
/// use mimeo::{Contract, MockServer, ReplayOptions, ServeOptions, Target};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let contract = Arc::new(Contract::embedded()?);
/// let model = Arc::new(StateModel::for_contract(&contract).map_err(|e| e.to_string())?);
/// let stateful = || ServeOptions { stateful: Some((model.clone(), StateOptions::default())), ..ServeOptions::default() };
/// let implementation = MockServer::start(contract.clone(), stateful()).await?; // stands in for yours
/// let reference = MockServer::start(contract.clone(), stateful()).await?;
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
/// let scenarios = Arc::new(mimeo::load_scenarios(&[dir], &contract).map_err(|e| e[0].clone())?);
/// let runs = run_differential(
///     contract,
///     scenarios,
///     Target { base: implementation.url(), is_mock: true },
///     Target { base: reference.url(), is_mock: true },
///     ReplayOptions::default(),
///     DiffOptions { learn_noise: false, reference_is_mimeo: true },
///     |_, _| {},
/// ).await?;
/// assert!(runs.iter().all(|(_, diff)| diff.classes().is_empty()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn run_differential(
    contract: Arc<Contract>,
    scenarios: Arc<Vec<Scenario>>,
    target: Target,
    reference: Target,
    opts: ReplayOptions,
    diff: DiffOptions,
    done: impl Fn(&ScenarioRun, &ScenarioDiff) + Send + Sync + 'static,
) -> Result<Vec<(ScenarioRun, ScenarioDiff)>, TargetError> {
    let clients = Arc::new((Client::new(&target.base)?, Client::new(&reference.base)?));
    let gate = Arc::new(Gate::new(opts.concurrency, &scenarios));
    let done = Arc::new(done);
    let run_id = opts.run_id.clone().unwrap_or_else(new_run_id);
    let secrets = Secrets::new(opts.auth.iter().flat_map(|(u, p)| Secrets::basic(u, p)));
    let shared = Arc::new((opts, target, reference, secrets, run_id));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..scenarios.len() {
        let (contract, scenarios, clients, gate, done, shared) = (
            contract.clone(),
            scenarios.clone(),
            clients.clone(),
            gate.clone(),
            done.clone(),
            shared.clone(),
        );
        tasks.spawn(async move {
            let scenario = &scenarios[i];
            let _entered = gate.enter(scenario).await;
            let (opts, target, reference, secrets, run_id) = &*shared;
            let session = |side: &Target, pass: &str| {
                side.is_mock
                    .then(|| format!("replay-{run_id}-{}-{pass}", scenario.snapshot))
            };
            let (s1, s2, sr) = (
                session(target, "target"),
                session(target, "target-again"),
                session(reference, "reference"),
            );
            let (t1, t2, r) = (
                cx(&contract, &clients.0, opts, &s1),
                cx(&contract, &clients.0, opts, &s2),
                cx(&contract, &clients.1, opts, &sr),
            );
            let result = match prepare(scenario, opts, run_id, target.is_mock) {
                Err((reason, vars)) => {
                    let run = skipped(&t1, scenario, reason.clone(), vars.clone());
                    let reference = skipped(&r, scenario, reason, vars);
                    let steps = compare(
                        &contract,
                        scenario,
                        &run,
                        &reference,
                        &[],
                        &sides(target, reference_base(&shared), diff),
                        secrets,
                    );
                    (
                        run,
                        ScenarioDiff {
                            reference,
                            steps,
                            noise: Vec::new(),
                        },
                    )
                }
                Ok(vars) => {
                    // The target's runs one after the other (they share its data);
                    // the reference beside them.
                    let target_side = async {
                        let first = run_scenario(&t1, scenario, vars.clone()).await;
                        let second = match diff.learn_noise {
                            true => Some(run_scenario(&t2, scenario, vars.clone()).await),
                            false => None,
                        };
                        (first, second)
                    };
                    let ((run, second), reference_run) =
                        tokio::join!(target_side, run_scenario(&r, scenario, vars.clone()));
                    let (noise, learned) = match &second {
                        Some(second) => {
                            learn(&contract, scenario, &run, second, &target.base, secrets)
                        }
                        None => (Vec::new(), Vec::new()),
                    };
                    let steps = compare(
                        &contract,
                        scenario,
                        &run,
                        &reference_run,
                        &noise,
                        &sides(target, reference_base(&shared), diff),
                        secrets,
                    );
                    (
                        run,
                        ScenarioDiff {
                            reference: reference_run,
                            steps,
                            noise: learned,
                        },
                    )
                }
            };
            done(&result.0, &result.1);
            (i, result)
        });
    }
    let mut results: Vec<Option<(ScenarioRun, ScenarioDiff)>> = vec![None; scenarios.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some(r),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    Ok(results.into_iter().flatten().collect())
}

fn cx<'a>(
    contract: &'a Contract,
    client: &'a Client,
    opts: &'a ReplayOptions,
    session: &'a Option<String>,
) -> StepCx<'a> {
    StepCx {
        contract,
        client,
        opts,
        session: session.as_deref(),
        stop: opts.stop.as_ref(),
    }
}

type Shared = (ReplayOptions, Target, Target, Secrets, String);

fn reference_base(shared: &Shared) -> &str {
    &shared.2.base
}

fn sides<'a>(target: &'a Target, reference: &'a str, diff: DiffOptions) -> Sides<'a> {
    Sides {
        target: &target.base,
        reference,
        reference_is_mimeo: diff.reference_is_mimeo,
    }
}
