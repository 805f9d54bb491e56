//! `mimeo replay`: load the scenarios, then one of three things:
//!
//! - run them against `--target` or an in-process stateful mock, settle every
//!   snapshot, accept if asked ([`single`]);
//! - with `--reference`, run them against the target and the reference and
//!   classify every difference ([`differential`]);
//! - with `--review`, run nothing and walk the pending snapshots ([`review`]).
//!
//! Either run ends in the same reports ([`finish`]). Exit codes: 0 when every
//! check, snapshot and comparison holds, 1 when any fails (or when nothing ran,
//! or coverage is below `--min-coverage`), 2 when the run could not start (bad
//! flags, spec, scenario files, target URL).

mod differential;
mod finish;
mod review;
mod single;

use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};
use mimeo::replay::Stop;
use mimeo::state::{Seed, StateModel, StateOptions};
use mimeo::{Contract, MockServer, ReplayOptions, Scenario, ServeOptions};

use super::args::{Reference, ReplayArgs};
use super::out::{say, tell};
use super::{fail, load_contract, runtime};

/// Whether the `CI` environment variable says this is a CI run.
fn ci_from_env() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `--auth`, else TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (both or neither).
fn credentials(
    args: &ReplayArgs,
    in_url: Option<(String, String)>,
) -> Result<Option<(String, String)>, String> {
    if let Some(a) = &args.auth {
        return Ok(Some(a.clone()));
    }
    if in_url.is_some() {
        return Ok(in_url);
    }
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("TWILIO_ACCOUNT_SID"), var("TWILIO_AUTH_TOKEN")) {
        (Some(s), Some(t)) => Ok(Some((s, t))),
        (None, None) => Ok(None),
        (Some(_), None) => Err("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not; set both, or pass --auth SID:TOKEN".into()),
        (None, Some(_)) => Err("TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not; set both, or pass --auth SID:TOKEN".into()),
    }
}

/// What replay says when it sends its own credentials to a target.
const NO_CREDENTIALS: &str = "mimeo: no credentials given (--auth or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN); sending mimeo's own, which any mimeo mock started without --auth accepts and a real service refuses";

/// The credentials a run sends: those given, else mimeo's own
/// ([`mimeo::replay::MOCK_CREDENTIALS`]), which a mimeo mock started without
/// `--auth` accepts (as it accepts any user and password), so the shipped suite
/// replays against the in-process mock and a separate `mimeo serve` alike.
fn sent_credentials(given: &Option<(String, String)>) -> (String, String) {
    given.clone().unwrap_or_else(|| {
        let (user, pass) = mimeo::replay::MOCK_CREDENTIALS;
        (user.to_string(), pass.to_string())
    })
}

/// The URL without its userinfo (`http://user:pass@host` -> `http://host`), and
/// the credentials the userinfo gives, percent-decoded. They are sent as the
/// run's credentials (unless `--auth` says otherwise) on the steps that send
/// credentials, and never on `auth: none` steps: left in the URL, the HTTP
/// client added them to exactly the requests that must carry none.
fn without_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    // (`\` ends the authority too, as URL parsers read special schemes.)
    let end = url[start..]
        .find(['/', '?', '#', '\\'])
        .map_or(url.len(), |i| start + i);
    let Some(at) = url[start..end].rfind('@').map(|i| start + i) else {
        return (url.to_string(), None);
    };
    let decode = |t: &str| {
        percent_encoding::percent_decode_str(t)
            .decode_utf8_lossy()
            .into_owned()
    };
    let info = &url[start..at];
    let (user, pass) = info.split_once(':').unwrap_or((info, ""));
    let base = format!("{}{}", &url[..start], &url[at + 1..]);
    // `http://@host` gives no credentials.
    let given = !(user.is_empty() && pass.is_empty());
    (base, given.then(|| (decode(user), decode(pass))))
}

pub(crate) fn run(args: ReplayArgs) -> i32 {
    if args.review {
        return review::run(&args);
    }
    let mut args = args;
    let in_url = match args.target.as_deref().map(without_userinfo) {
        Some((base, info)) => {
            args.target = Some(base);
            info
        }
        None => None,
    };
    // A reference URL's too (a run sends the same credentials to both sides).
    let in_url = match &mut args.reference {
        Some(Reference::Url(url)) => {
            let (base, info) = without_userinfo(url);
            *url = base;
            in_url.or(info)
        }
        _ => in_url,
    };
    let in_process = args.target.is_none() || args.reference == Some(Reference::Mock);
    if args.seed_state.is_some() && !in_process {
        return fail("--seed-state seeds mimeo's in-process mock (no --target) or `--reference mock`; this run has neither");
    }
    let auth = match credentials(&args, in_url) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    // Reports go to regular files: a link where one is to be written is refused
    // now, before anything is sent (see `mimeo::report`), and so are a path that
    // cannot be written and two outputs on one path, of which the second would
    // silently replace the first.
    if let Err(e) = super::refuse_links(&[
        ("--json", args.json.as_deref()),
        ("--junit", args.junit.as_deref()),
    ])
    .and_then(|()| {
        super::refuse_unwritable(&[
            ("--json", args.json.as_deref()),
            ("--junit", args.junit.as_deref()),
        ])
    })
    .and_then(|()| {
        super::refuse_same_path(&[
            ("--junit", args.junit.as_deref()),
            ("--json", args.json.as_deref()),
            ("--snapshots", Some(args.snapshots.as_path())),
        ])
    })
    .and_then(|()| {
        let mut inputs: Vec<(&str, Option<&std::path::Path>)> = args
            .paths
            .iter()
            .map(|p| ("the scenario file", Some(p.as_path())))
            .collect();
        inputs.push(("--spec", args.spec.as_deref()));
        inputs.push(("--seed-state", args.seed_state.as_deref()));
        super::refuse_input_as_output(
            &[
                ("--junit", args.junit.as_deref()),
                ("--json", args.json.as_deref()),
            ],
            &inputs,
        )
    }) {
        return fail(e);
    }
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut scenarios = match mimeo::load_scenarios(&args.paths, &contract) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                tell!("error: {e}");
            }
            return fail(format!(
                "{} problem(s) in the scenario files; nothing was sent",
                errors.len()
            ));
        }
    };
    // A misspelt name is said; not fatal, as a CI job passes one set of
    // variables to runs of a few of the files.
    for (name, _) in &args.vars {
        if !scenarios.iter().any(|s| s.vars().contains_key(name)) {
            tell!(
                "warning: --var {name}: no scenario of this run declares a variable `{name}` (declared: {}); it is not used",
                declared_vars(&scenarios)
            );
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
    let code = runtime.block_on(async {
        if scenarios.is_empty() {
            say!("no scenarios to run (shard {:?})", args.shard);
            return 0;
        }
        match &args.reference {
            Some(reference) => differential::run(&args, auth, contract, scenarios, reference).await,
            None => single::run(&args, auth, contract, scenarios).await,
        }
    });
    // Only a run over whole directories knows every scenario; a single file or a
    // shard would call the others' snapshots orphans.
    if args.reference.is_none() && args.shard.is_none() && args.paths.iter().all(|p| p.is_dir()) {
        finish::warn_orphans(&args.snapshots, &all_snapshots);
    }
    if code != 2 {
        say!("finished in {:.2} s", started.elapsed().as_secs_f64());
    }
    code
}

/// Keeps `results` (a run's scenarios and reports) until the process exits
/// instead of freeing them now: `mimeo replay` ends right after, and freeing a
/// large run's hundreds of thousands of small allocations one by one took
/// longer than the operating system takes to reclaim them all at once.
fn leave_to_exit<T>(results: T) {
    std::mem::forget(results);
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

/// mimeo's mock on a free port of this machine, stateful (from `--seed-state`
/// when given) unless `--stateless`, enforcing the contract's security as
/// `mimeo serve` does: exactly `auth` where HTTP Basic is required, when given,
/// else any user and password.
async fn start_mock(
    contract: &Arc<Contract>,
    auth: Option<(String, String)>,
    args: &ReplayArgs,
) -> Result<MockServer, String> {
    let stateful = match args.stateless {
        false => {
            let model = StateModel::for_contract(contract).map_err(|e| e.to_string())?;
            let seed = match &args.seed_state {
                Some(path) => {
                    Some(Seed::from_file(path, contract, &model).map_err(|e| e.to_string())?)
                }
                None => None,
            };
            let opts = StateOptions {
                seed,
                ..StateOptions::default()
            };
            Some((Arc::new(model), opts))
        }
        true => None,
    };
    let opts = ServeOptions {
        auth,
        stateful,
        ..ServeOptions::default()
    };
    MockServer::start(contract.clone(), opts)
        .await
        .map_err(|e| format!("cannot start the in-process mock: {e}"))
}

/// The options every run uses, with a [`Stop`] that Ctrl-C pulls: what is not
/// yet sent of setup and the main steps is skipped, cleanup still runs. A
/// second Ctrl-C ends the process at once.
fn options(args: &ReplayArgs, auth: Option<(String, String)>) -> ReplayOptions {
    let stop = Stop::default();
    let on_signal = stop.clone();
    // The handler is installed now, not when the task first runs, so an early
    // Ctrl-C is not lost to the default action.
    #[cfg(unix)]
    let mut interrupts =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    #[cfg(not(unix))]
    let mut interrupts = ();
    tokio::spawn(async move {
        if !interrupted(&mut interrupts).await {
            return;
        }
        on_signal.stop();
        tell!("\nmimeo: stopping; steps not yet sent are skipped, cleanup still runs (Ctrl-C again to quit at once)");
        if interrupted(&mut interrupts).await {
            tell!(
                "mimeo: quit before cleanup finished; data a scenario created may be left behind"
            );
            std::process::exit(1);
        }
    });
    ReplayOptions {
        auth,
        vars: args.vars.iter().cloned().collect::<IndexMap<_, _>>(),
        timeout: args.timeout,
        concurrency: usize::from(args.concurrency),
        max_response: args.max_response_size,
        run_id: Some(
            args.run_id
                .clone()
                .unwrap_or_else(mimeo::replay::new_run_id),
        ),
        stop: Some(stop),
    }
}

/// The next Ctrl-C (`false`: none can come).
#[cfg(unix)]
async fn interrupted(signal: &mut Option<tokio::signal::unix::Signal>) -> bool {
    match signal {
        Some(s) => s.recv().await.is_some(),
        None => std::future::pending().await,
    }
}

/// The next Ctrl-C (`false`: none can come).
#[cfg(not(unix))]
async fn interrupted(_: &mut ()) -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn userinfo_is_taken_out_of_a_target_url() {
        let creds = |u: &str, p: &str| Some((u.to_string(), p.to_string()));
        assert_eq!(
            without_userinfo("https://AC1:p%40ss@api.x.io/v1?a=b@c"),
            ("https://api.x.io/v1?a=b@c".into(), creds("AC1", "p@ss"))
        );
        assert_eq!(
            without_userinfo("http://u:p:q@[::1]:8080"),
            ("http://[::1]:8080".into(), creds("u", "p:q"))
        );
        assert_eq!(
            without_userinfo("http://host/path@x"),
            ("http://host/path@x".into(), None)
        );
        assert_eq!(
            without_userinfo("http://a\\@b"),
            ("http://a\\@b".into(), None)
        );
        assert_eq!(
            without_userinfo("http://@host"),
            ("http://host".into(), None)
        );
        assert_eq!(without_userinfo("host:80"), ("host:80".into(), None));
    }
}
