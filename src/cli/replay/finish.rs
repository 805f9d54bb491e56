//! The end of every run: the summary table with coverage, the hint about
//! pending snapshots, the checks that turn a green-looking run red (nothing ran,
//! coverage below `--min-coverage`), and the JUnit and JSON files.

use std::path::Path;

use mimeo::report::{self, Coverage, ScenarioReport, Summary};
use mimeo::snapshot::SnapshotState;
use mimeo::{Contract, Secrets, Snapshots};

use crate::cli::args::ReplayArgs;
use crate::cli::fail;
use crate::cli::out::{say, stdout, tell};

/// What a finished run hands over.
pub(super) struct Finish<'a> {
    pub(super) args: &'a ReplayArgs,
    pub(super) contract: &'a Contract,
    pub(super) reports: &'a [ScenarioReport],
    pub(super) target: &'a str,
    pub(super) reference: Option<&'a str>,
    pub(super) secrets: &'a Secrets,
    /// The snapshot directory, when snapshots were compared.
    pub(super) store: Option<&'a Snapshots>,
}

/// `3 scenarios (40 steps)`.
pub(super) fn counted(scenarios: usize, steps: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} ({})",
        plural(scenarios, "scenario"),
        plural(steps, "step")
    )
}

/// Prints the summary and writes the reports; returns the exit status.
pub(super) fn finish(f: Finish<'_>) -> i32 {
    let mut summary = Summary::of(f.reports);
    let coverage = Coverage::of(f.contract, f.reports);
    let percent = coverage.percent();
    summary.coverage = Some(coverage);
    say!();
    stdout(&summary.table());
    if let Some(store) = f.store {
        let pending = f
            .reports
            .iter()
            .filter(|r| {
                matches!(
                    r.snapshot,
                    SnapshotState::Changed { .. }
                        | SnapshotState::New {
                            pending: Some(_),
                            ..
                        }
                )
            })
            .count();
        if pending > 0 {
            say!(
                "{pending} snapshot(s) pending in {}: `mimeo replay --review` (or `cargo insta review`) to go through them, `--accept` to take them all",
                store.dir().display()
            );
        }
    }
    let mut code = if f.reports.iter().any(ScenarioReport::failed) {
        1
    } else {
        0
    };
    if summary.steps.passed + summary.steps.failed == 0 {
        // A green run that checked nothing (say, every scenario needs the mock and the
        // target is another server) must not look like a pass in CI.
        tell!("error: no step ran, so nothing was checked; see the SKIP lines above");
        code = 1;
    }
    if let Some(min) = f.args.min_coverage {
        if percent < min {
            tell!(
                "error: coverage {percent:.1}% of the documented statuses is below --min-coverage {min}%"
            );
            code = 1;
        }
    }
    if let Some(path) = &f.args.junit {
        if let Err(e) = report::write_junit(path, f.reports, f.secrets) {
            code = fail(e);
        }
    }
    if let Some(path) = &f.args.json {
        if let Err(e) =
            report::write_json(path, f.target, f.reference, &summary, f.reports, f.secrets)
        {
            code = fail(e);
        }
    }
    code
}

pub(super) fn warn_orphans(dir: &Path, names: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut orphans: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|f| f.strip_suffix(".snap").map(str::to_string))
        .filter(|n| !names.contains(n))
        .collect();
    orphans.sort();
    for o in orphans {
        tell!(
            "warning: {} belongs to no scenario; delete it if the scenario is gone",
            dir.join(format!("{o}.snap")).display()
        );
    }
}
