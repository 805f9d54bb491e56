//! Scenario files that cannot be used are refused before anything is sent, each
//! problem with `file:line:column`; bad flags are refused with exit 2; sharding
//! splits a suite without losing or repeating a scenario; `--json` is complete.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;

use crate::common::replay::{replay, run, write, Run};
use mimeo::Contract;
use mimeo::{Diagnostic, Scenario};

const STORE: &str = "mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6";
const PROFILE: &str = "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6";

fn contract() -> Contract {
    Contract::embedded().expect("embedded contract")
}

/// The errors of `text`, which must not load.
fn errors(text: &str) -> Vec<Diagnostic> {
    match Scenario::from_text("s.yaml", text, &contract()) {
        Ok(s) => panic!("loaded, but should not have: {s:#?}\n{text}"),
        Err(e) => e,
    }
}

/// The only error of `text`.
fn error(text: &str) -> Diagnostic {
    let mut e = errors(text);
    assert_eq!(e.len(), 1, "one error expected: {e:#?}");
    e.remove(0)
}

fn assert_at(e: &Diagnostic, line: usize, col: usize, needles: &[&str]) {
    assert_eq!(e.line_column(), Some((line, col)), "{e}");
    for n in needles {
        assert!(e.message().contains(n), "`{n}` missing from: {e}");
    }
    assert!(
        e.to_string().starts_with(&format!("s.yaml:{line}:{col}: ")),
        "{e}"
    );
}

/// A one-step scenario: `name`, `vars` with store and profile, the step's lines
/// (indented by four spaces, `request:` first) as given.
fn one_step(step: &str) -> String {
    format!("name: t\nvars:\n  storeId: {STORE}\n  profileId: {PROFILE}\nsteps:\n  - {step}")
}

const LIST: &str = "/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers";

#[test]
fn a_yaml_syntax_error_has_its_position() {
    let e = error("name: t\nsteps:\n  - request: {method: GET, path: /v1/x\n");
    assert_at(&e, 3, 14, &["unclosed"]);
}

#[test]
fn an_unknown_field_has_its_position() {
    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n    expect:\n      stauts: 200\n"
    )));
    // Line 10 is `stauts: 200`.
    assert_at(&e, 10, 7, &["stauts", "status"]);
}

#[test]
fn a_wrong_type_has_its_position() {
    let e = error(&one_step("request:\n      method: GET\n      path: [1]\n"));
    assert_at(&e, 8, 13, &["expected text"]);
}

#[test]
fn unknown_variables_are_found_in_path_headers_and_body() {
    let e = error(&one_step(
        "request:\n      method: GET\n      path: /v1/Stores/{{storeId}}/Profiles/{{profile}}/Identifiers\n",
    ));
    assert_at(
        &e,
        8,
        13,
        &[
            "path",
            "unknown variable `{{profile}}`",
            "storeId, profileId",
        ],
    );

    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n      headers:\n        X-Trace: \"t-{{{{traceId}}}}\"\n"
    )));
    assert_at(&e, 10, 18, &["header X-Trace", "`{{traceId}}`"]);

    let e = error(&one_step(&format!(
        "request:\n      method: POST\n      path: {LIST}\n      body:\n        idType: email\n        value: \"{{{{email}}}}\"\n"
    )));
    // The body's position (its first line), and the variable by name.
    assert_eq!(e.line_column().map(|(line, _)| line), Some(10), "{e}");
    assert!(
        e.message().contains("body") && e.message().contains("`{{email}}`"),
        "{e}"
    );

    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n      query:\n        removeAll: \"{{{{all}}}}\"\n"
    )));
    assert_at(&e, 10, 20, &["query parameter removeAll", "`{{all}}`"]);
}

#[test]
fn a_capture_is_unknown_before_its_step() {
    let text = format!(
        "name: t
vars:
  storeId: {STORE}
  profileId: {PROFILE}
steps:
  - request:
      method: GET
      path: {LIST}/{{{{listedType}}}}
  - request:
      method: GET
      path: {LIST}
    capture:
      listedType:
        body: /identifiers/0/idType
"
    );
    let e = error(&text);
    assert_at(&e, 8, 13, &["unknown variable `{{listedType}}`"]);

    // In the right order it loads, and the later step reads the capture.
    let fixed = format!(
        "name: t
vars:
  storeId: {STORE}
  profileId: {PROFILE}
steps:
  - request:
      method: GET
      path: {LIST}
    capture:
      listedType:
        body: /identifiers/0/idType
  - request:
      method: GET
      path: {LIST}/{{{{listedType}}}}
"
    );
    let s = Scenario::from_text("s.yaml", &fixed, &contract()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(s.steps()[1].uses(), ["storeId", "profileId", "listedType"]);
}

#[test]
fn a_request_outside_the_contract_must_say_so() {
    let e = error("name: t\nsteps:\n  - request:\n      method: POST\n      path: /v1/Nope\n");
    assert_at(&e, 5, 13, &["POST /v1/Nope", "matches no operation"]);

    let marked = "name: t\nsteps:\n  - request:\n      method: POST\n      path: /v1/Nope\n    outside_contract: true\n";
    let s = Scenario::from_text("s.yaml", marked, &contract()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(s.steps()[0].outside_contract());

    // The mark on a request the contract does have is a mistake too.
    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n    outside_contract: true\n"
    )));
    assert_at(&e, 8, 13, &["outside_contract", "ListProfileIdentifiers"]);
}

#[test]
fn a_method_the_path_does_not_allow_is_refused() {
    let e = error(&one_step(&format!(
        "request:\n      method: PUT\n      path: {LIST}\n"
    )));
    assert_at(&e, 7, 15, &["PUT", "matches no operation", "GET, POST"]);
}

#[test]
fn an_expected_status_must_be_documented() {
    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n    expect:\n      status: 409\n"
    )));
    assert_at(
        &e,
        10,
        15,
        &[
            "ListProfileIdentifiers does not document 409",
            "200, 301, 400, 401, 403, 404, 429, 500, 503",
        ],
    );
    // Every listed status is checked.
    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n    expect:\n      status: [200, 202]\n"
    )));
    assert!(e.message().contains("does not document 202"), "{e}");
    // Quoted, as OpenAPI writes them, in a list or alone.
    for status in ["['200', \"301\"]", "'200'"] {
        let text = one_step(&format!(
            "request:\n      method: GET\n      path: {LIST}\n    expect:\n      status: {status}\n"
        ));
        Scenario::from_text("s.yaml", &text, &contract())
            .unwrap_or_else(|e| panic!("{status}: {e:#?}"));
    }
}

#[test]
fn prefer_needs_the_mock() {
    let step = format!(
        "request:\n      method: GET\n      path: {LIST}\n      headers:\n        Prefer: code=404\n    expect:\n      status: 404\n"
    );
    let e = error(&one_step(&step));
    assert_at(&e, 10, 17, &["Prefer", "needs: mock"]);
    let with_mock = one_step(&step).replacen("name: t\n", "name: t\nneeds: mock\n", 1);
    let s =
        Scenario::from_text("s.yaml", &with_mock, &contract()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(s.needs_mock());
}

#[test]
fn credentials_do_not_go_in_a_scenario() {
    let e = error(&one_step(&format!(
        "request:\n      method: GET\n      path: {LIST}\n      headers:\n        Authorization: Basic QUM6dG9rZW4=\n"
    )));
    assert_at(&e, 10, 24, &["credentials", "--auth"]);
    let e = error(&one_step(&format!(
        "auth: secret\n    request:\n      method: GET\n      path: {LIST}\n"
    )));
    assert!(e.message().contains("default, none or invalid"), "{e}");
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = format!(
        "name: t
vars:
  storeId: {STORE}
steps:
  - request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers
      headers:
        Authorization: Basic abc
    expect:
      status: 409
  - request:
      method: POST
      path: /v1/Nope
"
    );
    let all = errors(&text);
    let lines: Vec<usize> = all
        .iter()
        .filter_map(|e| e.line_column().map(|(l, _)| l))
        .collect();
    assert_eq!(lines, [7, 9, 11, 14], "{all:#?}");
}

// ---- through the binary ----

/// A port that is listened on but never served: anything sent to it waits in the
/// backlog, where `accept` finds it.
struct Silent(TcpListener);

impl Silent {
    fn new() -> Silent {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("non-blocking");
        Silent(l)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    fn assert_nothing_sent(&self, run: &Run) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("something connected to the target: {other:?}\n{run}"),
        }
    }
}

fn replay_file(file: &Path, target: &Silent, extra: &[&str]) -> Run {
    let mut cmd = replay();
    cmd.arg(file)
        .args(["--target", &target.url(), "--snapshots"])
        .arg(file.with_file_name("snaps"))
        .args(extra);
    run(cmd)
}

#[test]
fn a_bad_file_exits_2_with_positions_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = Silent::new();
    let text = format!(
        "name: t
vars:
  storeId: {STORE}
steps:
  - request:
      method: GET
      path: {LIST}
  - request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{PROFILE}/Identifiers
    expect:
      status: 409
"
    );
    let file = write(dir.path(), "bad.yaml", &text);
    let out = replay_file(&file, &target, &[]);
    assert_eq!(out.code, Some(2), "{out}");
    let shown = file.display().to_string();
    assert!(
        out.stderr.contains(&format!(
            "{shown}:7:13: path: unknown variable `{{{{profileId}}}}`"
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "{shown}:12:15: ListProfileIdentifiers does not document 409"
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains("2 problem(s)") && out.stderr.contains("nothing was sent"),
        "{out}"
    );
    assert!(out.stdout.is_empty(), "{out}");
    assert!(
        !file.with_file_name("snaps").exists(),
        "no snapshot written"
    );
    target.assert_nothing_sent(&out);

    let syntax = write(dir.path(), "syntax.yaml", "name: t\nsteps: [\n");
    let out = replay_file(&syntax, &target, &[]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains(&format!("{}:", syntax.display())),
        "{out}"
    );
    target.assert_nothing_sent(&out);
}

#[test]
fn errors_in_several_files_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let target = Silent::new();
    write(
        dir.path(),
        "a.yaml",
        "name: a\nsteps:\n  - request:\n      method: POST\n      path: /v1/Nope\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "name: b\nsteps:\n  - request:\n      method: DELETE\n      path: /v1/ControlPlane/Stores/{{x}}\n",
    );
    let mut cmd = replay();
    cmd.arg(dir.path())
        .args(["--target", &target.url(), "--snapshots"])
        .arg(dir.path().join("snaps"));
    let out = run(cmd);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("a.yaml:5:13: "), "{out}");
    assert!(out.stderr.contains("b.yaml:5:13: "), "{out}");
    assert!(out.stderr.contains("2 problem(s)"), "{out}");
    target.assert_nothing_sent(&out);
}

/// A scenario that passes against the in-process mock.
fn good_scenario(name: &str) -> String {
    format!(
        "name: {name}
vars:
  storeId: {STORE}
  profileId: {PROFILE}
steps:
  - request:
      method: GET
      path: {LIST}
    expect:
      status: 200
"
    )
}

#[test]
fn bad_flags_exit_2_and_send_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = Silent::new();
    let file = write(dir.path(), "good.yaml", &good_scenario("good"));

    for bad in ["0/2", "3/2", "1/0", "2", "a/b"] {
        let out = replay_file(&file, &target, &["--shard", bad]);
        assert_eq!(out.code, Some(2), "--shard {bad}\n{out}");
        assert!(
            out.stderr
                .contains(&format!("invalid value '{bad}' for '--shard")),
            "{out}"
        );
    }
    for (flag, value) in [
        ("--var", "no-equals"),
        ("--timeout", "soon"),
        ("--timeout", "0s"),
        ("--timeout", "10"),
        ("--concurrency", "0"),
        ("--concurrency", "18446744073709551615"),
        ("--auth", "no-colon"),
    ] {
        let out = replay_file(&file, &target, &[flag, value]);
        assert_eq!(out.code, Some(2), "{flag} {value}\n{out}");
        assert!(out.stderr.contains(flag), "{flag} {value}\n{out}");
    }
    let mut cmd = replay();
    cmd.arg(&file).args(["--target", "ftp://example.com"]);
    let out = run(cmd);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr
            .contains("invalid value 'ftp://example.com' for '--target"),
        "{out}"
    );

    let out = replay_file(&dir.path().join("missing.yaml"), &target, &[]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("no such file"), "{out}");
    target.assert_nothing_sent(&out);
    assert!(!dir.path().join("snaps").exists());
}

/// The `--json` report of a run, which must exist and parse.
fn json_report(path: &Path, out: &Run) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}\n{out}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn scenario_names(report: &serde_json::Value) -> Vec<String> {
    report["scenarios"]
        .as_array()
        .expect("scenarios is a list")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn two_shards_run_every_scenario_once() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    for name in ["alpha", "beta", "gamma"] {
        write(&suite, &format!("{name}.yaml"), &good_scenario(name));
    }
    let mut seen = Vec::new();
    for shard in ["1/2", "2/2"] {
        let json = dir.path().join(format!("shard-{}.json", &shard[..1]));
        let mut cmd = replay();
        cmd.arg(&suite)
            .args(["--stateless", "--shard", shard, "--snapshots"])
            .arg(dir.path().join("snaps"))
            .arg("--json")
            .arg(&json);
        let out = run(cmd);
        assert_eq!(out.code, Some(0), "--shard {shard}\n{out}");
        let names = scenario_names(&json_report(&json, &out));
        assert!(!names.is_empty(), "--shard {shard} ran nothing\n{out}");
        seen.extend(names);
    }
    seen.sort();
    assert_eq!(seen, ["alpha", "beta", "gamma"], "each exactly once");
}

#[test]
fn the_json_report_parses_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", &good_scenario("good"));
    write(
        dir.path(),
        "wrong.yaml",
        &good_scenario("wrong").replace("status: 200", "status: 404"),
    );
    let json = dir.path().join("report.json");
    let mut cmd = replay();
    cmd.arg(dir.path().join("good.yaml"))
        .arg(dir.path().join("wrong.yaml"))
        .arg("--stateless")
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--json")
        .arg(&json);
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    let report = json_report(&json, &out);
    assert_eq!(report["passed"], false, "{report:#}");
    let summary = &report["summary"];
    assert_eq!(summary["scenarios"]["passed"], 1, "{summary:#}");
    assert_eq!(summary["scenarios"]["failed"], 1, "{summary:#}");
    assert_eq!(summary["steps"]["failed"], 1, "{summary:#}");
    assert_eq!(
        summary["checks"]["status_expected"]["failed"], 1,
        "{summary:#}"
    );
    assert_eq!(
        summary["checks"]["status_expected"]["passed"], 1,
        "{summary:#}"
    );
    assert_eq!(
        summary["checks"]["status_documented"]["passed"], 2,
        "{summary:#}"
    );
    assert_eq!(summary["snapshots"]["new"], 2, "{summary:#}");
    let names: BTreeSet<String> = scenario_names(&report).into_iter().collect();
    assert_eq!(
        names,
        BTreeSet::from(["good".to_string(), "wrong".to_string()])
    );
    let wrong = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "wrong")
        .unwrap();
    let failure = &wrong["steps"][0]["failures"][0];
    assert_eq!(failure["check"], "status_expected", "{wrong:#}");
    assert_eq!(failure["message"], "got 200, expected 404", "{wrong:#}");
    // The in-process mock's credentials were sent, and are kept only as `[redacted]`.
    let headers = wrong["steps"][0]["request"]["headers"].to_string();
    assert!(headers.contains("[redacted]"), "{headers}");
}

#[test]
fn a_variable_no_scenario_of_the_run_declares_is_a_warning() {
    // A CI job passes one set of variables to runs of a few of the files.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "good.yaml", &good_scenario("good"));
    let mut cmd = replay();
    cmd.arg(&file)
        .args(["--stateless", "--var", "nope=1", "--snapshots"])
        .arg(dir.path().join("snaps"));
    let out = run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("warning: --var nope") && out.stderr.contains("profileId, storeId"),
        "{out}"
    );
    assert!(out.stdout.contains("PASS good"), "{out}");
}
