//! Provider states and waiting: `setup` and `cleanup` phases (cleanup always
//! runs: after a failing step, after a step or scenario timeout, after Ctrl-C),
//! guards that stop a phase, and `retry` until an assertion holds, against the
//! stateful mock's `--settle` (the real binary) and bounded when it never holds.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mimeo::replay::{Outcome, StepRun};
use mimeo::scenario::Phase;
use mimeo::state::{StateModel, StateOptions};
use mimeo::{Check, MockServer, ReplayOptions, Scenario, ScenarioRun, ServeOptions, Target};

use crate::common::broken::{Broken, PROFILE, STORE};
use crate::common::proxy::spawn_command;
use crate::common::replay::{replay, run, write};

const RUN_ID: &str = "01jd0000000000000000000000";

async fn stateful(settle: Duration) -> MockServer {
    let contract = crate::common::contract();
    let model = StateModel::for_contract(&contract).expect("model");
    MockServer::start(
        contract,
        ServeOptions {
            stateful: Some((
                Arc::new(model),
                StateOptions {
                    settle,
                    ..StateOptions::default()
                },
            )),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("mock starts")
}

/// Runs one scenario (from text) against `base` with a fixed run id.
async fn run_one(base: &str, is_mock: bool, text: &str) -> ScenarioRun {
    let contract = crate::common::contract();
    let scenario =
        Scenario::from_text("s.yaml", text, &contract).unwrap_or_else(|e| panic!("{}", e[0]));
    let opts = ReplayOptions {
        run_id: Some(RUN_ID.into()),
        timeout: Duration::from_secs(5),
        ..ReplayOptions::default()
    };
    let target = Target {
        base: base.to_string(),
        is_mock,
    };
    let mut runs = mimeo::run_scenarios(contract, Arc::new(vec![scenario]), target, opts, |_| {})
        .await
        .expect("runs");
    runs.remove(0)
}

fn status(step: &StepRun) -> Option<u16> {
    match step.outcome {
        Outcome::Response { status, .. } => Some(status),
        _ => None,
    }
}

fn skipped_because(step: &StepRun) -> &str {
    match &step.outcome {
        Outcome::Skipped { reason } => reason,
        other => panic!("`{}` was not skipped: {other:?}", step.name),
    }
}

const IDS: &str = "/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers";

fn scenario(setup: &str, steps: &str, cleanup: &str) -> String {
    format!(
        "name: phases\nvars:\n  storeId: {STORE}\n  profileId: {PROFILE}\n{setup}steps:\n{steps}{cleanup}"
    )
}

fn add(name: &str) -> String {
    format!("  - name: \"{name}\"\n    request:\n      method: POST\n      path: {IDS}\n      body: {{idType: email, value: a@x.io}}\n    expect: {{status: 202}}\n")
}

fn fetch(name: &str, status: u16) -> String {
    format!("  - name: \"{name}\"\n    request: {{method: GET, path: \"{IDS}/email\"}}\n    expect: {{status: {status}}}\n")
}

fn remove_all(name: &str) -> String {
    format!("  - name: {name}\n    request:\n      method: DELETE\n      path: {IDS}/email\n      query: {{removeAll: \"true\"}}\n    expect: {{status: [202, 404]}}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_runs_after_a_failing_step() {
    let mock = stateful(Duration::ZERO).await;
    let text = scenario(
        &format!("setup:\n{}", add("add")),
        &format!(
            "{}{}",
            fetch("expects the wrong status", 404),
            fetch("a later step still runs", 200)
        ),
        &format!("cleanup:\n{}{}", remove_all("remove"), fetch("gone", 404)),
    );
    let run = run_one(&mock.url(), true, &text).await;
    let phases: Vec<Phase> = run.steps.iter().map(|s| s.phase).collect();
    assert_eq!(
        phases,
        [
            Phase::Setup,
            Phase::Main,
            Phase::Main,
            Phase::Cleanup,
            Phase::Cleanup
        ]
    );
    assert_eq!(
        run.steps[1].failures[0].check,
        Check::StatusExpected,
        "{run:#?}"
    );
    assert!(
        run.steps[2].failures.is_empty(),
        "main steps go on after a failure"
    );
    assert_eq!(status(&run.steps[3]), Some(202), "cleanup ran");
    assert_eq!(status(&run.steps[4]), Some(404), "and left nothing");
    assert!(run.steps[3].failures.is_empty() && run.steps[4].failures.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_setup_skips_the_steps_but_not_the_cleanup() {
    let mock = stateful(Duration::ZERO).await;
    let text = scenario(
        &format!(
            "setup:\n{}{}",
            fetch("nothing there yet (it is: 404)", 200),
            add("never sent")
        ),
        &fetch("never sent either", 200),
        &format!("cleanup:\n{}", remove_all("remove")),
    );
    let run = run_one(&mock.url(), true, &text).await;
    assert!(!run.steps[0].failures.is_empty());
    let why = "step setup 1 `nothing there yet (it is: 404)` failed; cleanup still runs";
    assert_eq!(skipped_because(&run.steps[1]), why);
    assert_eq!(skipped_because(&run.steps[2]), why);
    assert_eq!(status(&run.steps[3]), Some(404), "cleanup ran: {run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_guard_stops_the_rest_of_its_phase() {
    let mock = stateful(Duration::ZERO).await;
    let guard = format!(
        "  - name: only our values\n    guard: true\n    request: {{method: GET, path: \"{IDS}/email\"}}\n    expect:\n      status: 200\n      body:\n        /values: {{each: {{contains: \"@ours.example\"}}}}\n"
    );
    let text = scenario(
        &format!("setup:\n{}", add("someone else's value")),
        &fetch("read", 200),
        &format!("cleanup:\n{guard}{}", remove_all("remove all")),
    );
    let run = run_one(&mock.url(), true, &text).await;
    let guard_run = &run.steps[2];
    assert_eq!(
        guard_run.failed_assertions[0].at, "/values/0",
        "{guard_run:#?}"
    );
    assert_eq!(
        skipped_because(&run.steps[3]),
        "step cleanup 1 `only our values` failed (a guard); the rest of cleanup is not sent"
    );
    // The value that is not ours is still there.
    let state = mock.state(Some(&format!("replay-{RUN_ID}-s")));
    assert_eq!(
        state["stores"][STORE]["profiles"][PROFILE]["identifiers"]["email"],
        serde_json::json!(["a@x.io"]),
        "{state:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_answer_that_only_breaks_the_contract_stops_nothing_but_a_guards_does() {
    // A platform's 404 with its own error body (the contract's is Twilio's)
    // skipped every behavioural step of the suite. A guard still stops on
    // it: an answer that breaks the contract (values under another name) may
    // hide what it guards against, and a cleanup's removeAll would then
    // delete values the run did not add.
    let target = Broken::start();
    let read = |name: &str, mode: &str, guard: bool| {
        let guard = if guard { "    guard: true\n" } else { "" };
        format!(
            "  - name: {name}\n{guard}    request:\n      method: GET\n      path: \"{IDS}/email\"\n      headers: {{X-Break: {mode}}}\n    expect: {{status: 200}}\n"
        )
    };
    let text = scenario(
        &format!(
            "setup:\n{}",
            read("state checked, body off-schema", "schema", false)
        ),
        &read("main", "none", false),
        &format!(
            "cleanup:\n{}{}",
            read("guard, body off-schema", "schema", true),
            read("after the guard", "none", false)
        ),
    );
    let run = run_one(&target.base, false, &text).await;
    for i in [0, 2] {
        let checks: Vec<Check> = run.steps[i].failures.iter().map(|f| f.check).collect();
        assert_eq!(checks, [Check::BodySchema], "{run:#?}");
    }
    for step in &run.steps[..3] {
        assert_eq!(status(step), Some(200), "`{}` ran: {run:#?}", step.name);
    }
    assert_eq!(
        skipped_because(&run.steps[3]),
        "step cleanup 1 `guard, body off-schema` failed (a guard); the rest of cleanup is not sent"
    );
    assert_eq!(target.hits().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_runs_after_a_step_timeout_and_after_the_scenario_timeout() {
    let server = Broken::start();
    let hang = |name: &str, timeout: &str| {
        format!("  - name: {name}\n{timeout}    request:\n      method: GET\n      path: {IDS}/email\n      headers: {{X-Break: hang}}\n    expect: {{status: 200}}\n")
    };
    let cleanup = "cleanup:\n  - name: clean\n    request:\n      method: DELETE\n      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/cleanup\n    expect: {status: 202}\n";

    // A step that times out: the next step and cleanup still run.
    let text = scenario(
        "",
        &(hang("hangs", "    timeout: 200ms\n") + &fetch("next", 200)),
        cleanup,
    );
    let run = run_one(&server.base, false, &text).await;
    assert_eq!(run.steps[0].failures[0].check, Check::Transport);
    assert!(run.steps[0].failures[0]
        .message
        .contains("no response within 200ms"));
    assert_eq!(status(&run.steps[1]), Some(200));
    assert_eq!(status(&run.steps[2]), Some(202), "cleanup ran: {run:#?}");

    // The scenario's own timeout: the hanging step is cut at it, the rest is
    // skipped, cleanup runs.
    let text = format!(
        "timeout: 300ms\n{}",
        scenario("", &(hang("hangs", "") + &fetch("skipped", 200)), cleanup)
    );
    let started = Instant::now();
    let run = run_one(&server.base, false, &text).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut at 300ms, not the 5s request timeout"
    );
    assert!(
        run.steps[0].failures[0].message == "no response before the scenario's timeout passed",
        "{run:#?}"
    );
    assert_eq!(
        skipped_because(&run.steps[1]),
        "the scenario's timeout (300ms) passed; cleanup still runs"
    );
    assert_eq!(status(&run.steps[2]), Some(202), "cleanup ran: {run:#?}");
    let cleanups = server
        .hits()
        .iter()
        .filter(|h| h.ends_with("/Identifiers/cleanup"))
        .count();
    assert_eq!(cleanups, 2, "{:?}", server.hits());
}

#[test]
fn ctrl_c_skips_what_is_not_sent_and_still_cleans_up() {
    let server = Broken::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "slow.yaml",
        &scenario(
            "",
            &format!("  - name: hangs\n    request:\n      method: GET\n      path: {IDS}/email\n      headers: {{X-Break: hang}}\n{}", fetch("never sent", 200)),
            "cleanup:\n  - name: clean\n    request:\n      method: DELETE\n      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/cleanup\n    expect: {status: 202}\n",
        ),
    );
    let mut cmd = replay();
    cmd.arg(&file)
        .args(["--target", &server.base, "--timeout", "60s", "--snapshots"])
        .arg(dir.path().join("snaps"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mimeo starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("mimeo: run id") {
            break;
        }
    }
    // Wait until the hanging request has arrived, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.hits().is_empty() {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let stdout = rest.join("\n");
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("stopping; steps not yet sent are skipped, cleanup still runs"),
        "{stderr}"
    );
    assert!(
        stdout.contains("transport: the run was stopped before the answer came"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped: the run was stopped; cleanup still runs"),
        "{stdout}"
    );
    assert!(
        server
            .hits()
            .iter()
            .any(|h| h.ends_with("/Identifiers/cleanup")),
        "cleanup was sent: {:?}\n{stdout}",
        server.hits()
    );
}

/// Add, then read until the value shows, against `mimeo serve --stateful
/// --settle 600ms` (the real binary): the read waits for the write to settle.
#[test]
fn retry_waits_for_a_write_to_settle_and_is_bounded_when_it_never_does() {
    let serve = spawn_command(
        "serve",
        &["--stateful", "--settle", "600ms", "--port", "0", "--quiet"],
    );
    let dir = tempfile::tempdir().unwrap();
    let read_until = |name: &str, within: &str| {
        format!("  - name: {name}\n    request: {{method: GET, path: \"{IDS}/email\"}}\n    expect:\n      status: 200\n      body:\n        /values: {{contains: a@x.io}}\n    retry: {{every: 100ms, for: {within}}}\n")
    };
    let waits = write(
        dir.path(),
        "waits.yaml",
        &scenario(
            "",
            &(add("add") + &read_until("read until it shows", "10s")),
            "",
        ),
    );
    let json = dir.path().join("r.json");
    let mut cmd = replay();
    cmd.arg(&waits)
        .args(["--target", &serve.url, "--target-is-mock", "--snapshots"])
        .arg(dir.path().join("snaps"))
        .arg("--json")
        .arg(&json);
    let out = run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let attempts = report["scenarios"][0]["steps"][1]["attempts"]
        .as_u64()
        .unwrap();
    assert!(
        attempts >= 3,
        "a 600ms settle takes several 100ms attempts: {attempts}"
    );

    // Against a write that takes longer to show than the retry may wait.
    let slow = spawn_command(
        "serve",
        &["--stateful", "--settle", "30s", "--port", "0", "--quiet"],
    );
    let bounded = write(
        dir.path(),
        "bounded.yaml",
        &scenario("", &(add("add") + &read_until("gives up", "500ms")), ""),
    );
    let mut cmd = replay();
    cmd.arg(&bounded)
        .args(["--target", &slow.url, "--target-is-mock", "--snapshots"])
        .arg(dir.path().join("snaps"));
    let started = Instant::now();
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by `for`, not the settle"
    );
    assert!(
        out.stdout
            .contains("status_expected: got 404, expected 200 (after ")
            && out.stdout.contains(" attempt(s) over "),
        "{out}"
    );
    serve.stop();
    slow.stop();
}
