//! `--reference`: every scenario against the target and the reference (mimeo's
//! stateful mock in-process, or a URL), compared step by step; each scenario's
//! classified differences are printed as it finishes. Snapshots are not
//! compared: the reference is the oracle.

use std::io::IsTerminal;
use std::sync::Arc;

use mimeo::diff::{run_differential, DiffOptions};
use mimeo::report::ScenarioReport;
use mimeo::snapshot::SnapshotState;
use mimeo::{Contract, Scenario, Secrets, Target};

use super::finish::{self, Finish};
use super::{options, progress_bar, start_mock};
use crate::cli::args::{Reference, ReplayArgs};
use crate::cli::fail;
use crate::cli::out::{say, stdout};
use crate::cli::terminal::Painter;

pub(super) async fn run(
    args: &ReplayArgs,
    given_auth: Option<(String, String)>,
    contract: Arc<Contract>,
    scenarios: Vec<Scenario>,
    reference: &Reference,
) -> i32 {
    let Some(url) = &args.target else {
        return fail("--reference needs --target");
    };
    let target = Target {
        base: url.trim_end_matches('/').to_string(),
        is_mock: args.target_is_mock,
    };
    // The reference mock demands the given credentials (else any), and the run
    // sends the same to both sides, so `auth: none` steps meet a 401 on each.
    let auth = Some(super::sent_credentials(&given_auth));
    let mut mock = None;
    let reference_target = match reference {
        Reference::Mock => match start_mock(&contract, given_auth.clone(), args).await {
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
        Reference::Url(url) => Target {
            base: url.trim_end_matches('/').to_string(),
            is_mock: false,
        },
    };
    let opts = options(args, auth.clone());
    let steps: usize = scenarios.iter().map(Scenario::step_count).sum();
    say!(
        "mimeo: replaying {} against {} and the reference {}{}",
        finish::counted(scenarios.len(), steps),
        target.shown(),
        reference_target.shown(),
        if mock.is_some() {
            " (in-process stateful mock)"
        } else {
            ""
        }
    );
    say!(
        "mimeo: run id {}{}",
        opts.run_id.as_deref().unwrap_or_default(),
        if args.learn_noise {
            "; learning noise: every scenario runs twice against the target"
        } else {
            ""
        }
    );
    if given_auth.is_none() {
        say!("{}", super::NO_CREDENTIALS);
    }
    let painter = Painter::from_flag(&args.color);
    let bar = progress_bar(std::io::stderr().is_terminal(), scenarios.len());
    let secrets = Secrets::new(
        auth.iter()
            .flat_map(|(u, p)| Secrets::basic(u, p))
            .chain(target.secrets())
            .chain(reference_target.secrets()),
    );
    let on_done = {
        let (bar, secrets) = (bar.clone(), secrets.clone());
        move |run: &mimeo::ScenarioRun, diff: &mimeo::diff::ScenarioDiff| {
            let lines = secrets.scrub(&painter.scenario_lines(
                run,
                &SnapshotState::NotCompared,
                Some(diff),
            ));
            bar.suspend(|| stdout(&lines));
            bar.inc(1);
        }
    };
    let results = run_differential(
        contract.clone(),
        Arc::new(scenarios),
        target.clone(),
        reference_target.clone(),
        opts,
        DiffOptions {
            learn_noise: args.learn_noise,
            reference_is_mimeo: mock.is_some(),
        },
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
    let results = match results {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let reports: Vec<ScenarioReport> = results
        .into_iter()
        .map(|(run, diff)| ScenarioReport {
            run,
            snapshot: SnapshotState::NotCompared,
            diff: Some(diff),
        })
        .collect();
    let code = finish::finish(Finish {
        args,
        contract: &contract,
        reports: &reports,
        target: &target.shown(),
        reference: Some(&reference_target.shown()),
        secrets: &secrets,
        store: None,
    });
    super::leave_to_exit(reports);
    code
}
