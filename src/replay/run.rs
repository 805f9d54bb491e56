//! One scenario, phase by phase: setup, the main steps, then cleanup, which
//! always runs. A setup step that does not get what it expects (an answer, its
//! status, its assertions, its captures) skips the rest of setup and the main
//! steps; one whose answer only breaks the contract is reported and does not.
//! A failing `guard: true` step, any failure, skips the rest of its phase; the scenario's `timeout`
//! and a stop request skip what is left of setup and the main steps. Cleanup is
//! never skipped for those reasons, so a suite against a real store leaves
//! nothing behind.

use std::time::Instant;

use indexmap::IndexMap;

use super::step::{blank, run_step, StepCx};
use super::{Outcome, ScenarioRun};
use crate::scenario::{step_labels, Phase, Scenario};
use crate::support::duration;

/// A run with every step skipped for `reason`.
pub(crate) fn skipped(
    cx: &StepCx<'_>,
    scenario: &Scenario,
    reason: String,
    vars: IndexMap<String, String>,
) -> ScenarioRun {
    ScenarioRun {
        name: scenario.name.clone(),
        file: scenario.file.display().to_string(),
        snapshot: scenario.snapshot.clone(),
        steps: scenario
            .steps
            .iter()
            .map(|s| blank(cx.contract, s, &reason))
            .collect(),
        skipped: Some(reason),
        vars,
        duration_ms: 0.0,
    }
}

/// Runs `scenario`'s steps in order with these starting variable values.
pub(crate) async fn run_scenario(
    cx: &StepCx<'_>,
    scenario: &Scenario,
    mut vars: IndexMap<String, String>,
) -> ScenarioRun {
    let started = Instant::now();
    let deadline = scenario.timeout.map(|t| started + t);
    let mut run = skipped(cx, scenario, String::new(), IndexMap::new());
    run.skipped = None;
    // Why the rest of setup and the main steps do not run, once they do not.
    let mut stopped: Option<String> = None;
    // Why the rest of cleanup does not run (a cleanup guard failed).
    let mut cleanup_stopped: Option<String> = None;
    // Captures that failed, by variable, so later steps can say why they skipped.
    let mut failed_captures: IndexMap<String, String> = IndexMap::new();
    let labels = step_labels(scenario.steps.iter().map(|s| s.phase));
    // Credentials the target hands out (see [`super::issued`]).
    let mut issued = super::issued::Issued::default();
    for (i, step) in scenario.steps.iter().enumerate() {
        let cleanup = step.phase == Phase::Cleanup;
        if !cleanup && stopped.is_none() {
            if cx.stop.is_some_and(super::Stop::stopped) {
                stopped = Some("the run was stopped; cleanup still runs".into());
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                stopped = Some(timed_out(scenario));
            }
        }
        let blocked = if cleanup { &cleanup_stopped } else { &stopped };
        if let Some(reason) = blocked {
            run.steps[i] = blank(cx.contract, step, reason);
            continue;
        }
        let limit = match (cleanup, deadline) {
            (false, Some(d)) => Some(d.saturating_duration_since(Instant::now())),
            _ => None,
        };
        let result = run_step(
            cx,
            step,
            &labels[i],
            &mut vars,
            &mut failed_captures,
            &mut issued,
            limit,
        )
        .await;
        // A setup step that got what it expects has found its state: contract
        // checks on the answer are reported, but do not stop the setup. A
        // guard protects data (a cleanup's `removeAll`): any failure stops it,
        // as an answer that breaks the contract (values under another name)
        // may hide what it guards against.
        let skipped = matches!(result.outcome, Outcome::Skipped { .. });
        let failed = if step.guard {
            skipped || !result.failures.is_empty()
        } else {
            skipped || result.failures.iter().any(|f| f.check.is_expectation())
        };
        if failed && (step.guard || step.phase == Phase::Setup) {
            let why = format!("step {} `{}` failed", labels[i], step.name);
            if cleanup {
                cleanup_stopped = Some(format!("{why} (a guard); the rest of cleanup is not sent"));
            } else {
                stopped = Some(format!("{why}; cleanup still runs"));
            }
        }
        run.steps[i] = result;
        if !cleanup && stopped.is_none() && deadline.is_some_and(|d| Instant::now() >= d) {
            stopped = Some(timed_out(scenario));
        }
    }
    run.vars = vars;
    super::issued::hide(&mut run, issued);
    run.duration_ms = started.elapsed().as_secs_f64() * 1e3;
    run
}

fn timed_out(scenario: &Scenario) -> String {
    format!(
        "the scenario's timeout ({}) passed; cleanup still runs",
        scenario.timeout.map(duration::format).unwrap_or_default()
    )
}
