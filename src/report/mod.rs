//! Reports: what a replay run found, and what a client's traffic did to the
//! contract, for people and for CI.
//!
//! The terminal gets a line per scenario and a summary table; `--junit` writes
//! JUnit XML (one test case per step, failures named by check, or by the class
//! of a difference in a differential run); `--json` writes everything, coverage
//! included (`coverage`). All of them read the same [`ScenarioReport`]s so they
//! cannot disagree. `mimeo serve` and `mimeo proxy` write their
//! [`crate::Verdict`] with [`write_verdict_junit`] and [`write_verdict_json`].
//!
//! A report is written whole or not at all (a temporary file moved into place),
//! never to a path that is a symbolic link (refused, not replaced nor written
//! through), with every credential scrubbed in every form it may take, and in
//! text its format allows (JUnit escapes what XML 1.0 does not).

mod coverage;
mod json;
mod junit;
mod verdict;

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use crate::checks::Check;
use crate::diff::{Class, ScenarioDiff};
use crate::replay::{Outcome as StepOutcome, ScenarioRun};
use crate::snapshot::SnapshotState;

pub use coverage::{Coverage, OperationCoverage, Ratio};
pub use json::write_json;
pub use junit::write_junit;
pub use verdict::{write_verdict_json, write_verdict_junit};

/// A report file that could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write {path}: {why}")]
pub struct ReportError {
    path: String,
    why: String,
}

impl ReportError {
    fn new(path: &std::path::Path, why: String) -> ReportError {
        ReportError {
            path: path.display().to_string(),
            why,
        }
    }
}

/// The hash of the maps a report counts in: keys are mimeo's own (checks,
/// operation names), not a server's input, and SipHash was a few percent of
/// a replay.
type Quick = foldhash::fast::FixedState;

/// One scenario's run and its snapshot; in a differential run, the comparison
/// with the reference too.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// The run (the target's, in a differential run).
    #[serde(flatten)]
    pub run: ScenarioRun,
    /// The snapshot (not compared in a differential run: the reference is the oracle).
    pub snapshot: SnapshotState,
    /// The comparison with the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<ScenarioDiff>,
}

impl ScenarioReport {
    /// Whether the scenario fails the run: a check failed (on either side), the
    /// snapshot does not hold, or the two sides differ.
    pub fn failed(&self) -> bool {
        fails(&self.run, &self.snapshot, self.diff.as_ref())
    }
}

/// [`ScenarioReport::failed`] for a report's parts, for whoever holds them
/// apart (a run's progress lines are written before its report exists).
pub fn fails(run: &ScenarioRun, snapshot: &SnapshotState, diff: Option<&ScenarioDiff>) -> bool {
    !run.passed()
        || snapshot.fails()
        || diff.is_some_and(|d| !d.classes().is_empty() || !d.reference.passed())
}

/// Passed, failed and skipped counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Held.
    pub passed: usize,
    /// Broken.
    pub failed: usize,
    /// Not run.
    pub skipped: usize,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Scenarios.
    pub scenarios: Counts,
    /// Steps.
    pub steps: Counts,
    /// By check; `skipped` counts steps that were not sent, so none of their
    /// checks ran.
    pub checks: IndexMap<Check, Counts>,
    /// Snapshots by state: matched, changed, new, accepted, incomplete, error.
    pub snapshots: IndexMap<&'static str, usize>,
    /// In a differential run: steps by class of difference.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub differences: IndexMap<Class, usize>,
    /// In a differential run: steps where the reference failed a check of the
    /// scenario's own (the scenario or the reference is wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_failures: Option<usize>,
    /// What the run covered of the contract (when the caller adds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl Summary {
    /// Adds up the reports.
    pub fn of(reports: &[ScenarioReport]) -> Summary {
        let mut s = Summary::default();
        // Counted with a quicker hash than the map the summary keeps (the keys
        // are mimeo's own checks), then moved there in the same order.
        let mut checks: IndexMap<Check, Counts, Quick> = IndexMap::default();
        for check in Check::CONTRACT.into_iter().chain(Check::RUNNER) {
            checks.insert(check, Counts::default());
        }
        for name in [
            "matched",
            "changed",
            "new",
            "accepted",
            "incomplete",
            "error",
        ] {
            s.snapshots.insert(name, 0);
        }
        for r in reports {
            if r.run.skipped.is_some() {
                s.scenarios.skipped += 1;
            } else if r.failed() {
                s.scenarios.failed += 1;
            } else {
                s.scenarios.passed += 1;
            }
            let snap = match &r.snapshot {
                SnapshotState::NotCompared => None,
                SnapshotState::Matched => Some("matched"),
                SnapshotState::Changed { .. } => Some("changed"),
                SnapshotState::New { .. } => Some("new"),
                SnapshotState::Accepted { .. } => Some("accepted"),
                SnapshotState::Incomplete { .. } => Some("incomplete"),
                SnapshotState::Error { .. } => Some("error"),
            };
            if let Some(k) = snap {
                *s.snapshots.entry(k).or_default() += 1;
                let c = checks.entry(Check::Snapshot).or_default();
                if r.snapshot.fails() {
                    c.failed += 1;
                } else {
                    c.passed += 1;
                }
            }
            if let Some(d) = &r.diff {
                for class in Class::ALL {
                    s.differences.entry(class).or_default();
                }
                for step in &d.steps {
                    for class in &step.classes {
                        *s.differences.entry(*class).or_default() += 1;
                    }
                }
                *s.reference_failures.get_or_insert(0) += d
                    .reference
                    .steps
                    .iter()
                    .filter(|st| !st.failures.is_empty())
                    .count();
            }
            for step in &r.run.steps {
                if matches!(step.outcome, StepOutcome::Skipped { .. }) {
                    // A step that was not sent: none of its checks ran.
                    s.steps.skipped += 1;
                    for (check, c) in checks.iter_mut() {
                        if *check != Check::Snapshot {
                            c.skipped += 1;
                        }
                    }
                    continue;
                }
                if step.failures.is_empty() {
                    s.steps.passed += 1;
                } else {
                    s.steps.failed += 1;
                }
                for check in &step.checks_ran {
                    let c = checks.entry(*check).or_default();
                    if step.failures.iter().any(|f| f.check == *check) {
                        c.failed += 1;
                    } else {
                        c.passed += 1;
                    }
                }
            }
        }
        s.checks = checks.into_iter().collect();
        s
    }

    /// The summary table, aligned for a terminal or a CI log.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<22} {:>7} {:>7} {:>7}",
            "", "passed", "failed", "skipped"
        );
        let mut row = |name: &str, c: &Counts| {
            let _ = writeln!(
                out,
                "{name:<22} {:>7} {:>7} {:>7}",
                c.passed, c.failed, c.skipped
            );
        };
        row("scenarios", &self.scenarios);
        row("steps", &self.steps);
        for (check, c) in &self.checks {
            if c.passed + c.failed + c.skipped > 0 {
                row(&format!("  {check}"), c);
            }
        }
        let snaps: Vec<String> = self
            .snapshots
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        if !snaps.is_empty() {
            let _ = writeln!(out, "snapshots: {}", snaps.join(", "));
        }
        if !self.differences.is_empty() {
            let found: Vec<String> = self
                .differences
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(c, n)| format!("{n} {c}"))
                .collect();
            let _ = writeln!(
                out,
                "differences: {}",
                if found.is_empty() {
                    "none, target and reference agree".to_string()
                } else {
                    found.join(", ")
                }
            );
        }
        if let Some(n) = self.reference_failures.filter(|n| *n > 0) {
            let _ = writeln!(
                out,
                "reference: {n} step(s) failed the scenario's own checks (the scenario or the reference is wrong)"
            );
        }
        if let Some(c) = &self.coverage {
            out.push('\n');
            out.push_str(&c.table());
        }
        out
    }
}
