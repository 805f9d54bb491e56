//! Reports: what a replay run found, for people and for CI.
//!
//! The terminal gets a line per scenario and a summary table; `--junit` writes
//! JUnit XML (one test case per step, failures named by check); `--json` writes
//! everything. All of them read the same [`ScenarioReport`]s so they cannot disagree.

mod json;
mod junit;

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use crate::checks::CHECKS;
use crate::replay::{Outcome as StepOutcome, ScenarioRun};

pub use json::write_json;
pub use junit::write_junit;

/// Check names a replay can report besides the contract checks.
pub const RUNNER_CHECKS: [&str; 3] = ["transport", "capture", "snapshot"];

/// What happened to a scenario's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SnapshotState {
    /// The scenario did not run; nothing compared.
    NotCompared,
    /// Same as the stored one.
    Matched,
    /// Differs; the new result is pending as `.snap.new`.
    Changed {
        /// Unified diff, old to new.
        diff: String,
        /// Where the new result went.
        pending: String,
    },
    /// No stored snapshot; written as `.snap.new` unless in CI.
    New {
        /// Where it went, if written.
        pending: Option<String>,
        /// Whether it fails the run (in CI).
        fails: bool,
    },
    /// Written to `.snap` because the run was told to accept.
    Accepted {
        /// The file.
        path: String,
    },
    /// The snapshot could not be read or written.
    Error {
        /// What went wrong.
        message: String,
    },
}

impl SnapshotState {
    /// Whether this state fails the run.
    pub fn fails(&self) -> bool {
        match self {
            SnapshotState::Changed { .. } | SnapshotState::Error { .. } => true,
            SnapshotState::New { fails, .. } => *fails,
            _ => false,
        }
    }

    /// A short phrase for the terminal and JUnit.
    pub fn describe(&self) -> String {
        match self {
            SnapshotState::NotCompared => "not compared".into(),
            SnapshotState::Matched => "matches".into(),
            SnapshotState::Changed { pending, .. } => {
                format!("differs from the stored snapshot; new result in {pending}")
            }
            SnapshotState::New {
                pending: Some(p), ..
            } => format!("new; written to {p} for review"),
            SnapshotState::New { pending: None, .. } => {
                "missing, and CI is set: record it locally and commit it".into()
            }
            SnapshotState::Accepted { path } => format!("accepted into {path}"),
            SnapshotState::Error { message } => message.clone(),
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
    /// By check name; `skipped` counts steps that were not sent, so none of their
    /// checks ran.
    pub checks: IndexMap<&'static str, Counts>,
    /// Snapshots by state: matched, changed, new, accepted, error.
    pub snapshots: IndexMap<&'static str, usize>,
}

impl Summary {
    /// Adds up the reports.
    pub fn of(reports: &[ScenarioReport]) -> Summary {
        let mut s = Summary::default();
        for name in CHECKS.iter().chain(RUNNER_CHECKS.iter()) {
            s.checks.insert(name, Counts::default());
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
                let c = s.checks.entry("snapshot").or_default();
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
                for name in &step.checks_ran {
                    let c = s.checks.entry(name).or_default();
                    if step.failures.iter().any(|f| f.check == *name) {
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
        for (name, c) in self.checks.iter_mut() {
            if *name != "snapshot" {
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
        for (name, c) in &self.checks {
            if c.passed + c.failed + c.skipped > 0 {
                row(&format!("  {name}"), c);
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

/// The line printed when a scenario finishes, plus one indented line per failure.
pub fn scenario_lines(r: &ScenarioReport, color: bool) -> String {
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    if let Some(reason) = &r.run.skipped {
        let _ = writeln!(out, "{} {} ({reason})", paint("SKIP", "33"), r.run.name);
        return out;
    }
    let label = if r.failed() {
        paint("FAIL", "31")
    } else {
        paint("PASS", "32")
    };
    let _ = writeln!(
        out,
        "{label} {} ({} steps, {:.0} ms)",
        r.run.name,
        r.run.steps.len(),
        r.run.duration_ms
    );
    for (i, step) in r.run.steps.iter().enumerate() {
        for f in &step.failures {
            let _ = writeln!(
                out,
                "     {}:{} step {} `{}`: {}: {}",
                r.run.file,
                step.line,
                i + 1,
                step.name,
                paint(f.check, "1"),
                f.message
            );
        }
        if let StepOutcome::Skipped { reason } = &step.outcome {
            let _ = writeln!(
                out,
                "     {}:{} step {} `{}`: skipped: {reason}",
                r.run.file,
                step.line,
                i + 1,
                step.name
            );
        }
    }
    if r.snapshot.fails() || matches!(r.snapshot, SnapshotState::New { .. }) {
        let _ = writeln!(out, "     snapshot: {}", r.snapshot.describe());
    }
    out
}
