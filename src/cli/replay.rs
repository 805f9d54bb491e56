//! `mimeo replay`: load the scenarios, run them against `--target` or an
//! in-process mock, settle every snapshot, review or accept if asked, and report
//! on the terminal, in JUnit and in JSON.
//!
//! Exit codes: 0 when every check and snapshot holds, 1 when any fails (or when
//! nothing ran), 2 when the run could not start (bad flags, spec, scenario files,
//! target URL).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};
use mimeo::replay::MOCK_CREDENTIALS;
use mimeo::report::{self, ScenarioReport, Summary};
use mimeo::snapshot::{SnapshotPolicy, SnapshotState};
use mimeo::{
    Contract, MockServer, ReplayOptions, Scenario, ScenarioRun, Secrets, ServeOptions, Snapshots,
    Target,
};

use super::args::ReplayArgs;
use super::terminal::{indent, Painter};
use super::{fail, load_contract, runtime};

/// Whether the `CI` environment variable says this is a CI run.
fn ci_from_env() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `--auth`, else TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (both or neither).
fn credentials(args: &ReplayArgs) -> Result<Option<(String, String)>, String> {
    if let Some(a) = &args.auth {
        return Ok(Some(a.clone()));
    }
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("TWILIO_ACCOUNT_SID"), var("TWILIO_AUTH_TOKEN")) {
        (Some(s), Some(t)) => Ok(Some((s, t))),
        (None, None) => Ok(None),
        (Some(_), None) => Err("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not; set both, or pass --auth SID:TOKEN".into()),
        (None, Some(_)) => Err("TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not; set both, or pass --auth SID:TOKEN".into()),
    }
}

pub(crate) fn run(args: ReplayArgs) -> i32 {
    let auth = match credentials(&args) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    // Reports go to regular files: a link where one is to be written is refused
    // now, before anything is sent (see `mimeo::report`).
    for (flag, path) in [("--json", &args.json), ("--junit", &args.junit)] {
        if let Some(p) = path {
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                return fail(format!(
                    "{flag} {}: it is a symbolic link; give the path of a regular file (mimeo does not write through links)",
                    p.display()
                ));
            }
        }
    }
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut scenarios = match mimeo::load_scenarios(&args.paths, &contract) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return fail(format!(
                "{} problem(s) in the scenario files; nothing was sent",
                errors.len()
            ));
        }
    };
    for (name, _) in &args.vars {
        if !scenarios.iter().any(|s| s.vars().contains_key(name)) {
            return fail(format!(
                "--var {name}: no scenario declares a variable `{name}` (declared: {})",
                declared_vars(&scenarios)
            ));
        }
    }
    let all_snapshots: Vec<String> = scenarios
        .iter()
        .map(|s| s.snapshot_name().to_string())
        .collect();
    if let Some((i, n)) = args.shard {
        scenarios = mimeo::replay::shard(scenarios, i, n);
    }
    let runtime = match runtime(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let started = Instant::now();
    let code = runtime.block_on(replay(&args, auth, contract, scenarios));
    // Only a run over whole directories knows every scenario; a single file or a
    // shard would call the others' snapshots orphans.
    if args.shard.is_none() && args.paths.iter().all(|p| p.is_dir()) {
        warn_orphans(&args.snapshots, &all_snapshots);
    }
    if code != 2 {
        println!("finished in {:.2} s", started.elapsed().as_secs_f64());
    }
    code
}

fn declared_vars(scenarios: &[Scenario]) -> String {
    let mut names: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.vars().keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn progress_bar(show: bool, len: usize) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} scenarios {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

async fn replay(
    args: &ReplayArgs,
    given_auth: Option<(String, String)>,
    contract: Arc<Contract>,
    scenarios: Vec<Scenario>,
) -> i32 {
    if scenarios.is_empty() {
        println!("no scenarios to run (shard {:?})", args.shard);
        return 0;
    }
    // Without a target, replay against our own mock, demanding the credentials we send.
    let auth = match (&args.target, &given_auth) {
        (None, None) => Some((
            MOCK_CREDENTIALS.0.to_string(),
            MOCK_CREDENTIALS.1.to_string(),
        )),
        (_, a) => a.clone(),
    };
    let mut mock = None;
    let target = match &args.target {
        Some(url) => Target {
            base: url.trim_end_matches('/').to_string(),
            is_mock: args.target_is_mock,
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
                Err(e) => return fail(format!("cannot start the in-process mock: {e}")),
            }
        }
    };
    let steps: usize = scenarios.iter().map(Scenario::step_count).sum();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    println!(
        "mimeo: replaying {} ({}) against {}{}",
        plural(scenarios.len(), "scenario"),
        plural(steps, "step"),
        target.shown(),
        if mock.is_some() {
            " (in-process mock)"
        } else {
            ""
        }
    );
    if args.target.is_some() && given_auth.is_none() {
        println!("mimeo: no credentials given (--auth or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN); requests go without Authorization");
    }

    let painter = Painter {
        color: match args.color.as_str() {
            "always" => true,
            "never" => false,
            _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
    };
    let bar = progress_bar(std::io::stderr().is_terminal(), scenarios.len());
    let secrets = Secrets::new(
        auth.iter()
            .flat_map(|(u, p)| Secrets::basic(u, p))
            .chain(target.secrets()),
    );
    let store = Snapshots::new(&args.snapshots);
    let policy = SnapshotPolicy {
        accept: args.accept,
        ci: ci_from_env(),
    };
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
        let (base, secrets) = (target.base.clone(), secrets.clone());
        move |run: &ScenarioRun| {
            let Some(scenario) = scenarios.iter().find(|s| s.snapshot_name() == run.snapshot)
            else {
                return;
            };
            let state = if run.skipped.is_some() {
                SnapshotState::NotCompared
            } else {
                let text = mimeo::snapshot::render(&contract, scenario, run, &base, &secrets);
                store.settle(scenario, &text, policy)
            };
            let report = ScenarioReport {
                run: run.clone(),
                snapshot: state.clone(),
            };
            let mut lines = painter.scenario_lines(&report);
            if let SnapshotState::Changed { .. } = &state {
                if let Ok(diff) = store.pending_diff(scenario.snapshot_name()) {
                    lines.push_str(&indent(&painter.diff(&diff)));
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
        vars: args.vars.iter().cloned().collect::<IndexMap<_, _>>(),
        timeout: args.timeout,
        concurrency: usize::from(args.concurrency),
        max_response: args.max_response_size,
    };
    let runs = mimeo::run_scenarios(
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
        Err(e) => return fail(e),
    };
    let mut states = states.lock().map(|m| m.clone()).unwrap_or_default();

    if args.accept {
        accept_all(&store, &mut states);
    } else if args.review {
        review(&store, &mut states, painter);
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
    if let Some(path) = &args.junit {
        if let Err(e) = report::write_junit(path, &reports, &secrets) {
            code = fail(e);
        }
    }
    if let Some(path) = &args.json {
        if let Err(e) = report::write_json(path, &target.shown(), &summary, &reports, &secrets) {
            code = fail(e);
        }
    }
    code
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
fn review(store: &Snapshots, states: &mut HashMap<String, SnapshotState>, painter: Painter) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    let tally = match store.review(&mut input, &mut output, &|diff| painter.diff(diff)) {
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

fn warn_orphans(dir: &Path, names: &[String]) {
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
