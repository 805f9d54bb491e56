//! A plain run: the scenarios against `--target` or mimeo's in-process mock
//! (stateful unless `--stateless`), each scenario's result settled against its
//! snapshot as it finishes, then `--accept` if asked.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use mimeo::report::ScenarioReport;
use mimeo::snapshot::{SnapshotPolicy, SnapshotState};
use mimeo::{Contract, Scenario, ScenarioRun, Secrets, Snapshots, Target};

use super::finish::{self, Finish};
use super::{ci_from_env, options, progress_bar, start_mock};
use crate::cli::args::ReplayArgs;
use crate::cli::fail;
use crate::cli::out::{say, stdout, tell};
use crate::cli::terminal::{indent, Painter};

pub(super) async fn run(
    args: &ReplayArgs,
    given_auth: Option<(String, String)>,
    contract: Arc<Contract>,
    scenarios: Vec<Scenario>,
) -> i32 {
    // What is sent: the given credentials, else mimeo's own, which any mimeo mock
    // (in-process or `mimeo serve`) accepts unless it was given exact ones.
    let auth = Some(super::sent_credentials(&given_auth));
    let mut mock = None;
    let target = match &args.target {
        Some(url) => Target {
            base: url.trim_end_matches('/').to_string(),
            is_mock: args.target_is_mock,
        },
        None => match start_mock(&contract, given_auth.clone(), args).await {
            Ok(server) => {
                let base = server.url();
                mock = Some(server);
                Target {
                    base,
                    is_mock: true,
                }
            }
            Err(e) => return fail(e),
        },
    };
    let opts = options(args, auth.clone());
    let steps: usize = scenarios.iter().map(Scenario::step_count).sum();
    say!(
        "mimeo: replaying {} against {}{}",
        finish::counted(scenarios.len(), steps),
        target.shown(),
        match (&mock, args.stateless) {
            (Some(_), false) => " (in-process stateful mock)",
            (Some(_), true) => " (in-process stateless mock)",
            _ => "",
        }
    );
    say!(
        "mimeo: run id {}",
        opts.run_id.as_deref().unwrap_or_default()
    );
    if args.target.is_some() && given_auth.is_none() {
        say!("{}", super::NO_CREDENTIALS);
    }

    let painter = Painter::from_flag(&args.color);
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
    // Each finished run finds its scenario by snapshot name: an index, not a
    // search through every scenario per run.
    let by_snapshot: HashMap<String, usize> = scenarios
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.snapshot_name().to_string(), i))
        .collect();
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
            let Some(scenario) = by_snapshot.get(&run.snapshot).map(|&i| &scenarios[i]) else {
                return;
            };
            let state = if run.skipped.is_some() {
                SnapshotState::NotCompared
            } else {
                let text = mimeo::snapshot::render(&contract, scenario, run, &base, &secrets);
                store.settle(scenario, run, &text, policy)
            };
            let mut lines = painter.scenario_lines(run, &state, None);
            if let SnapshotState::Changed { .. } = &state {
                if let Ok(diff) = store.pending_diff(scenario.snapshot_name()) {
                    lines.push_str(&indent(&painter.diff(&diff)));
                }
            }
            let lines = secrets.scrub(&lines);
            bar.suspend(|| stdout(&lines));
            bar.inc(1);
            if let Ok(mut map) = states.lock() {
                map.insert(run.snapshot.clone(), state);
            }
        }
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
        // A large contract's problems found after start (bodies, examples):
        // what the mock found, then what nobody asked for yet.
        for w in server.late_warnings() {
            crate::cli::out::tell!("warning: {w}");
        }
        server.shutdown().await;
        for w in contract.check_remaining_examples() {
            crate::cli::out::tell!("warning: {w}");
        }
    }
    let runs = match runs {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut states = states.lock().map(|m| m.clone()).unwrap_or_default();
    if args.accept {
        accept_all(&store, &mut states);
    }
    let reports: Vec<ScenarioReport> = runs
        .into_iter()
        .map(|run| {
            let snapshot = states
                .remove(&run.snapshot)
                .unwrap_or(SnapshotState::NotCompared);
            ScenarioReport {
                run,
                snapshot,
                diff: None,
            }
        })
        .collect();
    let code = finish::finish(Finish {
        args,
        contract: &contract,
        reports: &reports,
        target: &target.shown(),
        reference: None,
        secrets: &secrets,
        store: Some(&store),
    });
    super::leave_to_exit((reports, scenarios));
    code
}

/// `--accept`: this run's results were written straight away; results of these
/// scenarios still pending from earlier runs are accepted too. Other scenarios'
/// pending files are left alone (a single-file run must not accept them), and
/// so are those of a scenario whose result this time was incomplete.
fn accept_all(store: &Snapshots, states: &mut HashMap<String, SnapshotState>) {
    let pending = match store.pending() {
        Ok(p) => p,
        Err(e) => {
            tell!("error: cannot list {}: {e}", store.dir().display());
            return;
        }
    };
    let ours: Vec<String> = pending
        .into_iter()
        .filter(|n| {
            states
                .get(n)
                .is_some_and(|s| !matches!(s, SnapshotState::Incomplete { .. }))
        })
        .collect();
    for name in ours {
        match store.accept(&name) {
            Ok(()) => {
                say!("accepted {}", store.path(&name).display());
                if let Some(state) = states.get_mut(&name) {
                    *state = SnapshotState::Accepted {
                        path: store.path(&name).display().to_string(),
                    };
                }
            }
            Err(e) => tell!(
                "error: cannot accept {}: {e}",
                store.pending_path(&name).display()
            ),
        }
    }
    for (name, state) in states.iter() {
        if let SnapshotState::Incomplete { reason } = state {
            say!(
                "not accepted: {} ({reason}); {} is left as it was",
                name,
                store.path(name).display()
            );
        }
    }
}
