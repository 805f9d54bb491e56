//! Reports: what a replay run found, for people and for CI.
//!
//! The terminal gets a line per scenario and a summary table; `--junit` writes
//! JUnit XML (one test case per step, failures named by check); `--json` writes
//! everything. All of them read the same [`ScenarioReport`]s so they cannot disagree.
//!
//! A report is written whole or not at all (a temporary file moved into place),
//! never to a path that is a symbolic link (refused, not replaced nor written
//! through), with every credential scrubbed in every form it may take, and in
//! text its format allows (JUnit escapes what XML 1.0 does not).

mod json;
mod junit;

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use crate::checks::Check;
use crate::replay::{Outcome as StepOutcome, ScenarioRun};
use crate::snapshot::SnapshotState;

pub use json::write_json;
pub use junit::write_junit;

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

/// One scenario's run and its snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// The run.
    #[serde(flatten)]
    pub run: ScenarioRun,
    /// The snapshot.
    pub snapshot: SnapshotState,
}

impl ScenarioReport {
    /// Whether the scenario fails the run.
    pub fn failed(&self) -> bool {
        !self.run.passed() || self.snapshot.fails()
    }
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
    /// Snapshots by state: matched, changed, new, accepted, error.
    pub snapshots: IndexMap<&'static str, usize>,
}

impl Summary {
    /// Adds up the reports.
    pub fn of(reports: &[ScenarioReport]) -> Summary {
        let mut s = Summary::default();
        for check in Check::CONTRACT.into_iter().chain(Check::RUNNER) {
            s.checks.insert(check, Counts::default());
        }
        for name in ["matched", "changed", "new", "accepted", "error"] {
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
                SnapshotState::Error { .. } => Some("error"),
            };
            if let Some(k) = snap {
                *s.snapshots.entry(k).or_default() += 1;
                let c = s.checks.entry(Check::Snapshot).or_default();
                if r.snapshot.fails() {
                    c.failed += 1;
                } else {
                    c.passed += 1;
                }
            }
            for step in &r.run.steps {
                if matches!(step.outcome, StepOutcome::Skipped { .. }) {
                    s.skip_step();
                    continue;
                }
                if step.failures.is_empty() {
                    s.steps.passed += 1;
                } else {
                    s.steps.failed += 1;
                }
                for check in &step.checks_ran {
                    let c = s.checks.entry(*check).or_default();
                    if step.failures.iter().any(|f| f.check == *check) {
                        c.failed += 1;
                    } else {
                        c.passed += 1;
                    }
                }
            }
        }
        s
    }

    /// A step that was not sent: none of its checks ran.
    fn skip_step(&mut self) {
        self.steps.skipped += 1;
        for (check, c) in self.checks.iter_mut() {
            if *check != Check::Snapshot {
                c.skipped += 1;
            }
        }
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
        out
    }
}
