//! One `mimeo replay` invocation from start to exit code: load, run, compare
//! snapshots, review, report.
//!
//! Exit codes: 0 when every check and snapshot holds, 1 when any fails, 2 when the
//! run could not start (bad flags, spec, scenario files, target URL).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};

use super::{run_all, shard, ReplayOptions, Target};
use crate::contract::Contract;
use crate::report::{self, ScenarioReport, SnapshotState, Summary};
use crate::scenario::{self, Scenario};
use crate::serve::{MockServer, ServeOptions};
use crate::snapshot::{self, Secrets, Snapshots, Verdict};

/// Credentials of the in-process mock when the user gives none: the mock demands
/// them and replay sends them, so `auth: none` steps still meet a real 401.
pub const MOCK_CREDENTIALS: (&str, &str) = ("AC0000000000000000000000000000mock", "mimeo-replay");

/// Everything a replay run needs, already parsed from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Scenario files and directories.
    pub scenarios: Vec<PathBuf>,
    /// Snapshot directory.
    pub snapshots: PathBuf,
    /// Target URL; an in-process mock when `None`.
    pub target: Option<String>,
    /// The target is a mimeo mock, so `needs: mock` scenarios run against it.
    pub target_is_mock: bool,
    /// Basic credentials.
    pub auth: Option<(String, String)>,
    /// `--var` overrides.
    pub vars: IndexMap<String, String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Scenarios at once.
    pub concurrency: usize,
    /// `(i, n)`: run the i-th of n slices.
    pub shard: Option<(usize, usize)>,
    /// JUnit XML output.
    pub junit: Option<PathBuf>,
    /// JSON output.
    pub json: Option<PathBuf>,
    /// Accept every changed or new result.
    pub accept: bool,
    /// Walk through pending results interactively after the run.
    pub review: bool,
    /// Running in CI: a missing snapshot fails.
    pub ci: bool,
    /// Colour on the terminal.
    pub color: bool,
    /// Show a progress bar (stderr is a terminal).
    pub progress: bool,
}

/// Whether the `CI` environment variable says this is a CI run.
pub fn ci_from_env() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Runs the whole command; returns the exit code.
/// Runs the whole command on `runtime` against `contract`; returns the exit code.
pub fn run(settings: Settings, contract: Arc<Contract>, runtime: &tokio::runtime::Runtime) -> i32 {
    let mut scenarios = match scenario::load(&settings.scenarios, &contract) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!(
                "error: {} problem(s) in the scenario files; nothing was sent",
                errors.len()
            );
            return 2;
        }
    };
    for name in settings.vars.keys() {
        if !scenarios.iter().any(|s| s.vars.contains_key(name)) {
            eprintln!(
                "error: --var {name}: no scenario declares a variable `{name}` (declared: {})",
                declared_vars(&scenarios)
            );
            return 2;
        }
    }
    let all_snapshots: Vec<String> = scenarios.iter().map(|s| s.snapshot.clone()).collect();
    if let Some((i, n)) = settings.shard {
        scenarios = shard(scenarios, i, n);
    }
    let started = Instant::now();
    let code = runtime.block_on(replay(settings.clone(), contract, scenarios));
    // Only a run over whole directories knows every scenario; a single file or a
    // shard would call the others' snapshots orphans.
    if settings.shard.is_none() && settings.scenarios.iter().all(|p| p.is_dir()) {
        warn_orphans(&settings.snapshots, &all_snapshots);
    }
    if code != 2 {
        println!("finished in {:.2} s", started.elapsed().as_secs_f64());
    }
    code
}

fn declared_vars(scenarios: &[Scenario]) -> String {
    let mut names: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.vars.keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

async fn replay(settings: Settings, contract: Arc<Contract>, scenarios: Vec<Scenario>) -> i32 {
    if scenarios.is_empty() {
        println!("no scenarios to run (shard {:?})", settings.shard);
        return 0;
    }
    // Without a target, replay against our own mock, demanding the credentials we send.
    let auth = match (&settings.target, &settings.auth) {
        (None, None) => Some((
            MOCK_CREDENTIALS.0.to_string(),
            MOCK_CREDENTIALS.1.to_string(),
        )),
        (_, a) => a.clone(),
    };
    let mut mock = None;
    let target = match &settings.target {
        Some(url) => Target {
            base: url.trim_end_matches('/').to_string(),
            is_mock: settings.target_is_mock,
        },
        None => {
            let opts = ServeOptions {
                auth: auth.clone(),
                ..ServeOptions::default()
            };
            match MockServer::start(contract.clone(), opts).await {
                Ok(server) => {
                    let base = server.url();
                    mock = Some(server);
                    Target {
                        base,
                        is_mock: true,
                    }
                }
                Err(e) => {
                    eprintln!("error: cannot start the in-process mock: {e}");
                    return 2;
                }
            }
        }
    };
    let steps: usize = scenarios.iter().map(|s| s.steps.len()).sum();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    println!(
        "mimeo: replaying {} ({}) against {}{}",
        plural(scenarios.len(), "scenario"),
        plural(steps, "step"),
        target.base,
        if mock.is_some() {
            " (in-process mock)"
        } else {
            ""
        }
    );
    if settings.target.is_some() && settings.auth.is_none() {
        println!("mimeo: no credentials given (--auth or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN); requests go without Authorization");
    }

    let bar = if settings.progress {
        let bar = ProgressBar::new(scenarios.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} scenarios {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };

    let secrets = Secrets::new(auth.iter().flat_map(|(u, p)| Secrets::basic(u, p)));
    let store = Snapshots::new(&settings.snapshots);
    let scenarios = Arc::new(scenarios);
    let states: Arc<Mutex<HashMap<String, SnapshotState>>> = Arc::default();
    let on_done = {
        let (contract, scenarios, states, bar, store) = (
            contract.clone(),
            scenarios.clone(),
            states.clone(),
            bar.clone(),
            store.clone(),
        );
        let (base, settings, secrets) = (target.base.clone(), settings.clone(), secrets.clone());
        move |run: &super::ScenarioRun| {
            let Some(scenario) = scenarios.iter().find(|s| s.snapshot == run.snapshot) else {
                return;
            };
            let state = if run.skipped.is_some() {
                SnapshotState::NotCompared
            } else {
                let text = snapshot::render(&contract, scenario, run, &base, &secrets);
                settle(&store, scenario, &text, &settings)
            };
            let report = ScenarioReport {
                run: run.clone(),
                snapshot: state.clone(),
            };
            let mut lines = report::scenario_lines(&report, settings.color);
            if let SnapshotState::Changed { .. } = &state {
                if let Ok(diff) = store.pending_diff(&scenario.snapshot, settings.color) {
                    lines.push_str(&indent(&diff));
                }
            }
            let lines = secrets.scrub(&lines);
            bar.suspend(|| {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(lines.as_bytes());
                let _ = out.flush();
            });
            bar.inc(1);
            if let Ok(mut map) = states.lock() {
                map.insert(run.snapshot.clone(), state);
            }
        }
    };
    let opts = ReplayOptions {
        auth,
        vars: settings.vars.clone(),
        timeout: settings.timeout,
        concurrency: settings.concurrency,
    };
    let runs = run_all(
        contract.clone(),
        scenarios.clone(),
        target.clone(),
        opts,
        on_done,
    )
    .await;
    bar.finish_and_clear();
    if let Some(server) = mock {
        server.shutdown().await;
    }
    let runs = match runs {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut states = states.lock().map(|m| m.clone()).unwrap_or_default();

    if settings.accept {
        accept_all(&store, &mut states);
    } else if settings.review {
        review(&store, &mut states, settings.color);
    }

    let reports: Vec<ScenarioReport> = runs
        .into_iter()
        .map(|run| {
            let snapshot = states
                .remove(&run.snapshot)
                .unwrap_or(SnapshotState::NotCompared);
            ScenarioReport { run, snapshot }
        })
        .collect();
    let summary = Summary::of(&reports);
    println!();
    print!("{}", summary.table());
    let pending = reports
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
        println!(
            "{pending} snapshot(s) pending in {}: `mimeo replay --review` (or `cargo insta review`) to go through them, `--accept` to take them all",
            store.dir().display()
        );
    }
    let mut code = if reports.iter().any(ScenarioReport::failed) {
        1
    } else {
        0
    };
    if summary.steps.passed + summary.steps.failed == 0 {
        // A green run that checked nothing (say, every scenario needs the mock and the
        // target is another server) must not look like a pass in CI.
        eprintln!("error: no step ran, so nothing was checked; see the SKIP lines above");
        code = 1;
    }
    if let Some(path) = &settings.junit {
        if let Err(e) = report::write_junit(path, &reports, &secrets) {
            eprintln!("error: {e}");
            code = 2;
        }
    }
    if let Some(path) = &settings.json {
        if let Err(e) = report::write_json(path, &target.base, &summary, &reports, &secrets) {
            eprintln!("error: {e}");
            code = 2;
        }
    }
    code
}

/// Compares one result with its snapshot and writes what the settings allow.
fn settle(
    store: &Snapshots,
    scenario: &Scenario,
    text: &str,
    settings: &Settings,
) -> SnapshotState {
    let source = scenario.file.display().to_string();
    let io_error = |e: std::io::Error, path: PathBuf| SnapshotState::Error {
        message: format!("{}: {e}", path.display()),
    };
    let verdict = match store.compare(&scenario.snapshot, text) {
        Ok(v) => v,
        Err(e) => return io_error(e, store.path(&scenario.snapshot)),
    };
    match verdict {
        Verdict::Matched => SnapshotState::Matched,
        _ if settings.accept => {
            match store.write(&scenario.snapshot, false, &source, &scenario.name, text) {
                Ok(p) => SnapshotState::Accepted {
                    path: p.display().to_string(),
                },
                Err(e) => io_error(e, store.path(&scenario.snapshot)),
            }
        }
        Verdict::Missing if settings.ci => SnapshotState::New {
            pending: None,
            fails: true,
        },
        Verdict::Missing | Verdict::Changed(_) => {
            match store.write(&scenario.snapshot, true, &source, &scenario.name, text) {
                Ok(p) => {
                    let pending = p.display().to_string();
                    match verdict {
                        Verdict::Changed(diff) => SnapshotState::Changed { diff, pending },
                        _ => SnapshotState::New {
                            pending: Some(pending),
                            fails: false,
                        },
                    }
                }
                Err(e) => io_error(e, store.pending_path(&scenario.snapshot)),
            }
        }
    }
}

/// `--accept`: this run's results were written straight away; results of these
/// scenarios still pending from earlier runs are accepted too. Other scenarios'
/// pending files are left alone (a single-file run must not accept them).
fn accept_all(store: &Snapshots, states: &mut HashMap<String, SnapshotState>) {
    let pending = match store.pending() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot list {}: {e}", store.dir().display());
            return;
        }
    };
    let ours: Vec<String> = pending
        .into_iter()
        .filter(|n| states.contains_key(n))
        .collect();
    for name in ours {
        match store.accept(&name) {
            Ok(()) => {
                println!("accepted {}", store.path(&name).display());
                if let Some(state) = states.get_mut(&name) {
                    *state = SnapshotState::Accepted {
                        path: store.path(&name).display().to_string(),
                    };
                }
            }
            Err(e) => eprintln!(
                "error: cannot accept {}: {e}",
                store.pending_path(&name).display()
            ),
        }
    }
}

/// `--review`: asks about each pending result on the terminal (or reads answers
/// from stdin when it is not one).
fn review(store: &Snapshots, states: &mut HashMap<String, SnapshotState>, color: bool) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    let tally = match store.review(&mut input, &mut output, color) {
        Ok(tally) => tally,
        Err(e) => {
            eprintln!("error: review stopped: {e}");
            return;
        }
    };
    println!(
        "review: {} accepted, {} rejected, {} left pending",
        tally.accepted_names.len(),
        tally.rejected_names.len(),
        tally.skipped
    );
    for (name, state) in states.iter_mut() {
        if !matches!(
            state,
            SnapshotState::Changed { .. } | SnapshotState::New { .. }
        ) {
            continue;
        }
        if tally.accepted_names.contains(name) {
            *state = SnapshotState::Accepted {
                path: store.path(name).display().to_string(),
            };
        } else if tally.rejected_names.contains(name) {
            *state = SnapshotState::Error {
                message: "the new result was rejected in review".into(),
            };
        }
    }
}

fn warn_orphans(dir: &std::path::Path, names: &[String]) {
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
        eprintln!(
            "warning: {} belongs to no scenario; delete it if the scenario is gone",
            dir.join(format!("{o}.snap")).display()
        );
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("     {l}\n")).collect()
}
