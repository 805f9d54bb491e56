//! `mimeo replay --target URL --reference mock` through the real binary, with
//! implementations written here (`common::deviant`): a faithful one agrees with
//! the reference; one that deviates in behaviour while keeping the schema gives
//! a behaviour difference with a two-sided diff; one that breaks the schema is a
//! target nonconformance; one that puts a fresh id in every answer is quiet once
//! the noise is learned. The shipped suite also runs against a separately
//! started `mimeo serve --stateful`, as if it were a real implementation.

use std::path::{Path, PathBuf};

use crate::common::deviant::{self, Mode};
use crate::common::proxy::spawn_command;
use crate::common::replay::{junit_failures, replay, run, write, Run};

const SID: &str = "AC1111111111111111111111111111aaaa";
const TOKEN: &str = "impl-token-not-a-secret";

/// The data the shipped suite is told it may use on a "real" store.
const VARS: [(&str, &str); 7] = [
    ("storeId", "mem_store_01jq8m3f7c2v9w4x6y5z0a1b2c"),
    ("profileId", "mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2d"),
    ("survivor", "mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2e"),
    ("merged", "mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2f"),
    ("disposableStoreId", "mem_store_01jq8m3f7c2v9w4x6y5z0a1b2g"),
    (
        "disposableProfileId",
        "mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2h",
    ),
    (
        "disposableDataMappingId",
        "mem_datamapping_01jq8m3f7c2v9w4x6y5z0a1b2j",
    ),
];

fn conformance(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(file)
}

/// The shipped lifecycle scenario with its retries cut to a second, so a target
/// that never converges fails fast.
fn quick_lifecycle(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(conformance("identifier-lifecycle.yaml")).unwrap();
    let quick = text
        .replace("for: 10s", "for: 1s")
        .replace("for: 15s", "for: 1s");
    assert_ne!(text, quick);
    write(dir, "identifier-lifecycle.yaml", &quick)
}

fn auth() -> Option<(String, String)> {
    Some((SID.to_string(), TOKEN.to_string()))
}

/// The outcome of a differential run and its report files.
struct Diffed {
    run: Run,
    junit: String,
    json: serde_json::Value,
}

/// `mimeo replay PATH --target URL --reference mock` with the credentials, the
/// variables PATH declares, JUnit and JSON, and `extra` flags.
fn differential(path: &Path, target: &str, vars: &[(&str, &str)], extra: &[&str]) -> Diffed {
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let mut cmd = replay();
    cmd.arg(path)
        .args(["--target", target, "--reference", "mock"])
        .args(["--auth", &format!("{SID}:{TOKEN}")])
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .args(extra);
    for (k, v) in vars {
        cmd.args(["--var", &format!("{k}={v}")]);
    }
    let run = run(cmd);
    let junit = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("no JUnit ({e})\n{run}"));
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("no JSON ({e})\n{run}"));
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e})\n{text}"));
    assert!(
        !dir.path().join("snaps").exists(),
        "a differential run writes no snapshot\n{run}"
    );
    Diffed { run, junit, json }
}

/// Runs `differential` off the test's runtime, which serves the implementation.
async fn differential_async(
    path: PathBuf,
    target: String,
    vars: Vec<(&'static str, &'static str)>,
    extra: Vec<&'static str>,
) -> Diffed {
    tokio::task::spawn_blocking(move || differential(&path, &target, &vars, &extra))
        .await
        .unwrap()
}

fn count(json: &serde_json::Value, class: &str) -> u64 {
    json["summary"]["differences"][class]
        .as_u64()
        .unwrap_or_else(|| panic!("no count of {class}: {:#}", json["summary"]))
}

/// The shipped suite against an implementation in `mode`, mimeo's mock the
/// reference: it passes, with no difference.
async fn agreeing(mode: Mode) -> Diffed {
    let imp = deviant::start(mode, auth()).await;
    let out = differential_async(conformance(""), imp.url.clone(), VARS.to_vec(), vec![]).await;
    let run = &out.run;
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .contains("differences: none, target and reference agree"),
        "{run}"
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faithful_implementation_agrees_with_the_reference() {
    let out = agreeing(Mode::Faithful).await;
    let run = &out.run;
    for name in [
        "identifier lifecycle",
        "modify conflicts",
        "remove one or all",
        "merges",
        "unknown profile",
        "store deletion",
        "data mapping deletion",
        "routing and auth",
    ] {
        let start = format!("PASS {name} (");
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&start) && l.ends_with("; target and reference agree)")),
            "{name}\n{run}"
        );
    }
    for class in [
        "target_nonconformance",
        "behaviour_difference",
        "mimeo_defect",
    ] {
        assert_eq!(count(&out.json, class), 0, "{class}");
    }
    assert!(junit_failures(&out.junit).is_empty(), "{}", out.junit);
    assert_eq!(
        out.json["reference"]
            .as_str()
            .map(|r| r.starts_with("http://127.0.0.1:")),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conventions_the_documents_leave_open_are_no_difference() {
    // An implementation with its own error codes, Allow order, operation ids
    // and absolute redirect URIs was reported as behaving differently from
    // mimeo's reference on each (found by a platform-team field review).
    agreeing(Mode::OwnConventions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_newest_first_is_a_behaviour_difference_with_both_sides() {
    let imp = deviant::start(Mode::NewestFirst, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = differential_async(
        quick_lifecycle(dir.path()),
        imp.url.clone(),
        VARS[..2].to_vec(),
        vec![],
    )
    .await;
    let run = &out.run;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stdout.contains("FAIL identifier lifecycle"), "{run}");
    // The step, its class, and the diff: the reference's order `-`, the target's `+`.
    let at = "step 4 `both are kept, in the order they were added`: behaviour difference";
    assert!(run.stdout.contains(at), "{run}");
    for line in [
        "--- reference",
        "+++ target",
        "-    \"charles.babbage+{{run_id}}@example.com\",",
        "-    \"ada.lovelace+{{run_id}}@example.org\"",
        "+    \"ada.lovelace+{{run_id}}@example.org\",",
        "+    \"charles.babbage+{{run_id}}@example.com\"",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start() == line.trim_start() && l.contains(line)),
            "`{line}` missing\n{run}"
        );
    }
    // The scenario's own assertion names the pointer, what it wanted and what came.
    assert!(
        run.stdout
            .contains("target: body_assertion: at /values: equals: expected [\"charles.babbage+"),
        "{run}"
    );
    assert_eq!(
        count(&out.json, "target_nonconformance"),
        0,
        "the schema holds"
    );
    assert!(count(&out.json, "behaviour_difference") >= 2);
    let failures = junit_failures(&out.junit);
    assert!(
        failures
            .iter()
            .any(|(kind, msg)| kind == "behaviour_difference"
                && msg.starts_with(
                    "behaviour difference: at /values/0: reference \"charles.babbage+"
                )),
        "{failures:?}"
    );
    let step = &out.json["scenarios"][0]["diff"]["steps"][4];
    assert_eq!(step["classes"][0], "behaviour_difference", "{step:#}");
    assert_eq!(step["differences"][0]["at"], "/values/0", "{step:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_lower_casing_emails_is_a_behaviour_difference() {
    let imp = deviant::start(Mode::KeepsCase, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = differential_async(
        quick_lifecycle(dir.path()),
        imp.url.clone(),
        VARS[..2].to_vec(),
        vec![],
    )
    .await;
    let run = &out.run;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("step 2 `it is stored trimmed and lower-cased`: behaviour difference"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("-    \"charles.babbage+{{run_id}}@example.com\""),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("+    \"Charles.Babbage+{{run_id}}@Example.COM\""),
        "{run}"
    );
    assert_eq!(count(&out.json, "target_nonconformance"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_the_schema_is_a_target_nonconformance() {
    let imp = deviant::start(Mode::BreaksSchema, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = differential_async(
        quick_lifecycle(dir.path()),
        imp.url.clone(),
        VARS[..2].to_vec(),
        vec![],
    )
    .await;
    let run = &out.run;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("step 2 `it is stored trimmed and lower-cased`: target nonconformance"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("target: body_schema: at /values: type:"),
        "{run}"
    );
    assert!(count(&out.json, "target_nonconformance") >= 2);
    assert_eq!(
        count(&out.json, "behaviour_difference"),
        0,
        "a schema break is not called a behaviour difference\n{run}"
    );
    assert_eq!(count(&out.json, "mimeo_defect"), 0);
    let failures = junit_failures(&out.junit);
    assert!(
        failures
            .iter()
            .any(|(kind, msg)| kind == "target_nonconformance" && msg.contains("body_schema")),
        "{failures:?}"
    );
}

/// Adds an email and reads it back, with nothing redacted.
fn fresh_id_scenario(dir: &Path) -> PathBuf {
    write(
        dir,
        "fresh.yaml",
        "name: fresh ids
vars:
  storeId: {mock: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2c}
  profileId: {mock: mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2d}
steps:
  - name: add
    request:
      method: POST
      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers
      body: {idType: email, value: \"noise+{{run_id}}@example.com\"}
    expect: {status: 202}
  - name: read
    request:
      method: GET
      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/email
    expect: {status: 200}
    retry: {every: 100ms, for: 5s}
cleanup:
  - name: remove
    request:
      method: DELETE
      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/email
      query: {removeAll: \"true\"}
    expect: {status: [202, 404]}
",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noise_learned_from_two_runs_of_the_target_is_ignored_and_reported() {
    let imp = deviant::start(Mode::FreshIds, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fresh_id_scenario(dir.path());
    let plain = differential_async(file.clone(), imp.url.clone(), VARS[..2].to_vec(), vec![]).await;
    assert_eq!(plain.run.code, Some(1), "{}", plain.run);
    assert!(
        plain
            .run
            .stdout
            .contains("step 1 `add`: behaviour difference"),
        "{}",
        plain.run
    );
    assert!(
        plain
            .run
            .stdout
            .contains("+  \"message\": \"Accepted (request "),
        "{}",
        plain.run
    );

    let learned = differential_async(
        file,
        imp.url.clone(),
        VARS[..2].to_vec(),
        vec!["--learn-noise"],
    )
    .await;
    let run = &learned.run;
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .contains("every scenario runs twice against the target"),
        "{run}"
    );
    assert!(
        run.stdout.contains("learned noise: step 1 `add`: /message"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("learned noise: step cleanup 1 `remove`: /message"),
        "{run}"
    );
    assert!(run.stdout.contains("PASS fresh ids (3 steps"), "{run}");
    let noise = &learned.json["scenarios"][0]["diff"]["noise"];
    assert_eq!(
        noise[0]["pointers"],
        serde_json::json!(["/message"]),
        "{noise:#}"
    );
    assert_eq!(noise[0]["step"], "1", "{noise:#}");
    // The read agrees: the value itself was not noise.
    assert_eq!(count(&learned.json, "behaviour_difference"), 0);
}

/// `--reference URL`: both sides run at once, so a scenario's line gives each
/// side's time; the target's alone called a reference that retried for a
/// second a few milliseconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reference_shows_in_the_scenarios_time() {
    let imp = deviant::start(Mode::Faithful, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fresh_id_scenario(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("for: 5s", "for: 1s")).unwrap();
    // The reference never has the identifier: its read retries for the second.
    let rules = write(
        dir.path(),
        "never.yaml",
        "rules:\n  - match: GET /v1/Stores/*/Profiles/*/Identifiers/*\n    status: 404\n",
    );
    let credentials = format!("{SID}:{TOKEN}");
    let reference = spawn_command(
        "serve",
        &[
            "--port",
            "0",
            "--quiet",
            "--auth",
            &credentials,
            "--config",
            rules.to_str().unwrap(),
        ],
    );
    let (target, reference_url) = (imp.url.clone(), reference.url.clone());
    let snaps = dir.path().join("snaps");
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = replay();
        cmd.arg(&file)
            .args(["--target", &target, "--reference", &reference_url])
            .args(["--auth", &credentials, "--color", "never"])
            .arg("--snapshots")
            .arg(&snaps);
        for (k, v) in &VARS[..2] {
            cmd.args(["--var", &format!("{k}={v}")]);
        }
        run(cmd)
    })
    .await
    .unwrap();
    reference.stop();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("fresh ids ("))
        .unwrap_or_else(|| panic!("no scenario line\n{out}"));
    let ms = |side: &str| -> f64 {
        let at = line
            .find(&format!("{side} "))
            .unwrap_or_else(|| panic!("no {side} time in `{line}`"));
        let rest = &line[at + side.len() + 1..];
        rest[..rest.find(" ms").unwrap()].parse().unwrap()
    };
    assert!(ms("reference") >= 1000.0, "{line}\n{out}");
    assert!(ms("target") < 1000.0, "{line}\n{out}");
}

/// The shipped suite against a second, separately started `mimeo serve
/// --stateful` treated as a real implementation (no sessions, shared state, the
/// data named with --var): no differences, and the test profile is left clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_suite_against_a_separate_mimeo_serve_shows_no_difference() {
    let credentials = format!("{SID}:{TOKEN}");
    let serve = spawn_command(
        "serve",
        &[
            "--stateful",
            "--port",
            "0",
            "--quiet",
            "--auth",
            &credentials,
        ],
    );
    let url = serve.url.clone();
    let out = differential_async(conformance(""), url.clone(), VARS.to_vec(), vec![]).await;
    let run = &out.run;
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .contains("differences: none, target and reference agree"),
        "{run}"
    );
    let skipped: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("SKIP "))
        .collect();
    assert_eq!(
        skipped.len(),
        9,
        "only the mock-only scenarios are skipped: {skipped:?}\n{run}"
    );
    // Everything the scenarios added to the shared test profile was cleaned up.
    let state = crate::common::send(
        &url,
        "GET",
        &format!("/__admin/state?session={SID}"),
        &[],
        None,
    )
    .await;
    let state = state.json();
    let profile = &state["stores"][VARS[0].1]["profiles"][VARS[1].1];
    assert!(
        profile
            .get("identifiers")
            .is_none_or(|ids| ids.as_object().is_none_or(|m| m.is_empty())),
        "left behind: {state:#}"
    );
    serve.stop();
}

/// `--reference` alone means mimeo's mock; a target that does not answer is a
/// target nonconformance (no answer is not a contract answer), and a value that
/// is neither `mock` nor a URL is refused with exit 2.
#[test]
fn an_unreachable_target_is_a_nonconformance_and_the_reference_defaults_to_the_mock() {
    let closed = crate::common::Refused::new();
    let url = closed.url();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = replay();
    cmd.arg(conformance("unknown-profile.yaml"))
        .args(["--target", &url, "--var", &format!("storeId={}", VARS[0].1)])
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--reference");
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stdout.contains("(in-process stateful mock)"), "{out}");
    assert!(
        out.stdout.contains("differences: 3 target nonconformance"),
        "{out}"
    );
    assert!(
        out.stdout.contains("target: transport: cannot connect"),
        "{out}"
    );

    let mut cmd = replay();
    cmd.args(["--target", &url, "--reference", "conformance"]);
    let out = run(cmd);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr
            .contains("expected `mock` (mimeo's stateful mock) or an http:// or https:// URL"),
        "{out}"
    );
}

/// A store whose settings differ from the model's defaults (`lifo`: a plain
/// remove takes the newest value) shows as a behaviour difference; seeding the
/// reference with the same settings (`--seed-state`) makes the two agree.
#[test]
fn a_seeded_reference_matches_a_store_with_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write(
        dir.path(),
        "lifo.yaml",
        &format!(
            "stores:\n  {}:\n    settings:\n      identifiers:\n        email: {{limitPolicy: lifo}}\n",
            VARS[0].1
        ),
    );
    let credentials = format!("{SID}:{TOKEN}");
    let serve = spawn_command(
        "serve",
        &[
            "--stateful",
            "--port",
            "0",
            "--quiet",
            "--auth",
            &credentials,
            "--seed-state",
            seed.to_str().unwrap(),
        ],
    );
    let file = conformance("remove-one-or-all.yaml");
    let plain = differential(&file, &serve.url, &VARS[..2], &[]);
    assert_eq!(plain.run.code, Some(1), "{}", plain.run);
    assert!(
        plain
            .run
            .stdout
            .contains("step 2 `one value went, the others stay in order`: behaviour difference"),
        "{}",
        plain.run
    );
    let seeded = differential(
        &file,
        &serve.url,
        &VARS[..2],
        &["--seed-state", seed.to_str().unwrap()],
    );
    assert_eq!(seeded.run.code, Some(0), "{}", seeded.run);
    assert!(
        seeded.run.stdout.contains("differences: none"),
        "{}",
        seeded.run
    );

    // With a target and no mock of mimeo's to seed, the flag is refused.
    let mut cmd = replay();
    cmd.arg(&file).args([
        "--target",
        &serve.url,
        "--seed-state",
        seed.to_str().unwrap(),
    ]);
    let refused = run(cmd);
    assert_eq!(refused.code, Some(2), "{refused}");
    serve.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_implementations_own_operation_ids_do_not_churn_its_snapshots() {
    // Its ids are UUIDs, not the contract's illustrative `mem_operation_...`:
    // each run's snapshot differed (Operation-Id, Location, statusUrl).
    let imp = deviant::start(Mode::OwnConventions, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    let url = imp.url.clone();
    let once = move |snaps: PathBuf, accept: bool, mapping: &str| {
        let mut cmd = replay();
        cmd.arg(conformance("data-mapping-deletion.yaml"))
            .args(["--target", &url])
            .args(["--auth", &format!("{SID}:{TOKEN}")])
            .arg("--snapshots")
            .arg(&snaps);
        if accept {
            cmd.arg("--accept");
        }
        // (The store and a mapping of it are deleted once: a new mapping each run.)
        cmd.args(["--var", &format!("storeId={}", VARS[0].1)]);
        cmd.args(["--var", &format!("disposableDataMappingId={mapping}")]);
        run(cmd)
    };
    let first = {
        let (once, snaps) = (once.clone(), snaps.clone());
        tokio::task::spawn_blocking(move || {
            once(snaps, true, "mem_datamapping_01jq8m3f7c2v9w4x6y5z0a1b2j")
        })
        .await
        .unwrap()
    };
    assert_eq!(first.code, Some(0), "{first}");
    let text = std::fs::read_to_string(snaps.join("data-mapping-deletion.snap")).unwrap();
    assert!(text.contains("operation-id: [operation-id]"), "{text}");
    assert!(text.contains("/Operations/[operation-id]"), "{text}");
    let again = tokio::task::spawn_blocking(move || {
        once(snaps, false, "mem_datamapping_01jq8m3f7c2v9w4x6y5z0a1b2k")
    })
    .await
    .unwrap();
    assert_eq!(again.code, Some(0), "{again}");
    assert!(again.stdout.contains("snapshots: 1 matched"), "{again}");
}

/// `--learn-noise` on a scenario that can run only once (it deletes its
/// store): the target's second run gets 404s where the first got 202 and 200.
/// Those steps teach nothing and are compared in full, so a difference in
/// them is still found (the target keeps an email's case; the model lowers it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_status_differs_between_the_targets_runs_is_still_compared() {
    let imp = deviant::start(Mode::KeepsCase, auth()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "once.yaml",
        "name: once
vars:
  storeId: {mock: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2c}
  profileId: {mock: mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2d}
steps:
  - name: add
    request:
      method: POST
      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers
      body: {idType: email, value: \"Alan@Example.com\"}
    expect: {status: [202, 404]}
  - name: read
    request:
      method: GET
      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/email
    expect: {status: [200, 404]}
    retry: {every: 100ms, for: 5s}
  - name: delete the store
    request: {method: DELETE, path: \"/v1/ControlPlane/Stores/{{storeId}}\"}
    expect: {status: [202, 404]}
",
    );
    let out = differential_async(
        file,
        imp.url.clone(),
        VARS[..2].to_vec(),
        vec!["--learn-noise"],
    )
    .await;
    let run = &out.run;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(
            "no noise learned: step 2 `read`: the target answered 200, then 404 (its first run changed what the second found), so the step is compared in full"
        ),
        "{run}"
    );
    assert!(
        run.stdout.contains("step 2 `read`: behaviour difference"),
        "{run}"
    );
    assert_eq!(count(&out.json, "behaviour_difference"), 1, "{run}");
    let noise = &out.json["scenarios"][0]["diff"]["noise"];
    assert_eq!(
        noise[1]["statuses"],
        serde_json::json!([200, 404]),
        "{noise:#}"
    );
    assert_eq!(noise[1]["status_varies"], true, "{noise:#}");
    let steps = &out.json["scenarios"][0]["diff"]["steps"];
    assert_eq!(steps[1]["unstable"], true, "{steps:#}");
}
