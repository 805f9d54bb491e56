//! What a run reports beyond pass and fail: coverage of the contract (operations
//! and documented statuses exercised, checks run, a conformance index and score
//! per operation) on the terminal and in JSON, `--min-coverage`, and output that
//! survives a closed pipe (`mimeo replay | head -1`) with the exit status intact.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::replay::{replay, run, run_with_input, write};

const STORE: &str = "mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6";
const PROFILE: &str = "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6";

/// Fetch (404), add (202), fetch (200) whose body matcher holds or not.
fn scenario(dir: &Path, values: usize) -> PathBuf {
    write(
        dir,
        "cover.yaml",
        &format!(
            "name: cover
vars:
  storeId: {STORE}
  profileId: {PROFILE}
steps:
  - request: {{method: GET, path: \"/v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email\"}}
    expect: {{status: 404}}
  - request:
      method: POST
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers
      body: {{idType: email, value: a@x.io}}
    expect: {{status: 202}}
  - request: {{method: GET, path: \"/v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email\"}}
    expect:
      status: 200
      body:
        /values: {{length: {values}}}
"
        ),
    )
}

fn documented_statuses() -> usize {
    let contract = crate::common::contract();
    contract
        .operations()
        .iter()
        .map(|o| o.statuses().count())
        .sum()
}

#[test]
fn coverage_counts_operations_statuses_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), 5);
    let json = dir.path().join("r.json");
    let mut cmd = replay();
    cmd.arg(&file)
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--json")
        .arg(&json);
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "the length matcher fails\n{out}");
    let total = documented_statuses();
    let pct = 300.0 / total as f64;
    let line = format!("coverage: 2/7 operations, 3/{total} documented statuses ({pct:.1}%)");
    assert!(out.stdout.contains(&line), "`{line}`\n{out}");
    let fetch_row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("FetchProfileIdentifier "))
        .unwrap_or_else(|| panic!("no row\n{out}"));
    assert!(
        fetch_row.contains("2/9") && fetch_row.contains("22%") && fetch_row.contains("11%"),
        "{fetch_row}"
    );
    assert!(
        fetch_row.ends_with("301 400 401 403 429 500 503"),
        "{fetch_row}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cov = &report["summary"]["coverage"];
    assert_eq!(
        cov["operations"],
        serde_json::json!({"covered": 2, "total": 7}),
        "{cov:#}"
    );
    assert_eq!(
        cov["statuses"],
        serde_json::json!({"covered": 3, "total": total}),
        "{cov:#}"
    );
    let fetch = cov["per_operation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == "FetchProfileIdentifier")
        .unwrap();
    assert_eq!(
        fetch["exercised"],
        serde_json::json!(["200", "404"]),
        "{fetch:#}"
    );
    assert_eq!(
        fetch["passed"],
        serde_json::json!(["404"]),
        "the 200 failed its matcher"
    );
    assert!((fetch["index"].as_f64().unwrap() - 200.0 / 9.0).abs() < 1e-9);
    assert!((fetch["score"].as_f64().unwrap() - 100.0 / 9.0).abs() < 1e-9);
    assert_eq!(
        fetch["checks"]["body_assertion"],
        serde_json::json!({"passed": 0, "failed": 1, "skipped": 0})
    );
    assert_eq!(fetch["checks"]["body_schema"]["passed"], 2);
    let list = cov["per_operation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == "ListProfileIdentifiers")
        .unwrap();
    assert_eq!(list["exercised"], serde_json::json!([]));
    assert_eq!(list["index"], 0.0);
}

#[test]
fn min_coverage_fails_a_green_run_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), 1);
    let with = |pct: &str| {
        let mut cmd = replay();
        cmd.arg(&file)
            .arg("--snapshots")
            .arg(dir.path().join("snaps"))
            .args(["--min-coverage", pct]);
        run(cmd)
    };
    let low = with("50");
    assert_eq!(low.code, Some(1), "{low}");
    assert!(low.stdout.contains("PASS cover"), "every check held\n{low}");
    assert!(
        low.stderr
            .contains("of the documented statuses is below --min-coverage 50%"),
        "{low}"
    );
    let met = with("5");
    assert_eq!(met.code, Some(0), "{met}");
    let bad = with("150");
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(bad.stderr.contains("a percentage from 0 to 100"), "{bad}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_and_keeps_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let passing = scenario(dir.path(), 1);
    let snaps = dir.path().join("snaps");
    // `| head -1`, as a user types it.
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#""$MIMEO" replay "$FILE" --snapshots "$SNAPS" | head -1; echo "exit ${PIPESTATUS[0]}" >&2"#)
        .env("MIMEO", env!("CARGO_BIN_EXE_mimeo"))
        .env("FILE", &passing)
        .env("SNAPS", &snaps)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stdout.starts_with("mimeo: replaying 1 scenario"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("exit 0"), "{stderr}");

    // Stdout closed before anything is written: the run still finishes, writes its
    // report, and fails with 1 when a check fails.
    let failing = write(
        dir.path(),
        "failing.yaml",
        &std::fs::read_to_string(scenario(dir.path(), 7)).unwrap(),
    );
    let junit = dir.path().join("j.xml");
    let mut cmd = replay();
    cmd.arg(&failing)
        .arg("--snapshots")
        .arg(&snaps)
        .arg("--junit")
        .arg(&junit);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("body_assertion"));

    // `--review` too.
    let review = run_with_input(
        {
            let mut c = replay();
            c.args(["--review", "--snapshots"]).arg(&snaps);
            c
        },
        Some(""),
    );
    assert_eq!(review.code, Some(0), "{review}");
}

/// Two operations sharing an operationId (a path item `$ref`'d under two paths)
/// were one name for both: each was credited with the other's calls in the
/// coverage, and nothing said so at load. The second is warned of, with both
/// places, and goes by its method and path.
#[test]
fn a_shared_operation_id_is_warned_of_and_names_one_operation() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "shared.yaml",
        "openapi: 3.0.3
info: {title: shared, version: '1'}
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}}
  /animals/{petId}:
    $ref: '#/paths/~1pets~1{petId}'
",
    );
    let file = write(
        dir.path(),
        "pets.yaml",
        "name: pets
steps:
  - request: {method: GET, path: /pets/p1}
    expect: {status: 200}
",
    );
    let json = dir.path().join("r.json");
    let mut cmd = replay();
    cmd.arg(&file)
        .arg("--spec")
        .arg(&spec)
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--json")
        .arg(&json);
    let out = run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("#/paths/~1pets~1{petId}/get (by the $ref at #/paths/~1animals~1{petId}): operationId `getPet` is also that of #/paths/~1pets~1{petId}/get; an operationId names one operation, so mimeo names this one GET /animals/{petId}"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cov = &report["summary"]["coverage"];
    assert_eq!(
        cov["operations"],
        serde_json::json!({"covered": 1, "total": 2}),
        "{cov:#}"
    );
    let ops: Vec<(&str, usize)> = cov["per_operation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["operation"].as_str().unwrap(),
                o["exercised"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(ops, [("getPet", 1), ("GET /animals/{petId}", 0)], "{cov:#}");
}
