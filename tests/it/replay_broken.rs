//! `mimeo replay` against a deliberately broken target: a small hyper server whose
//! answers break the contract in one chosen way each (the scenario picks the way
//! with an `X-Break` header). Every break must fail the run with exit 1 and be
//! named by its check on the terminal and in the JUnit file; a correct answer from
//! the same server must pass, so these tests can fail.

use std::path::PathBuf;

use crate::common::broken::{Broken, CANONICAL, PROFILE, STORE};
use crate::common::replay::{junit_failures, replay, run, write, Run};

/// A scenario of one step against `/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers{tail}`.
fn scenario(method: &str, tail: &str, mode: &str, expect: Option<&str>) -> String {
    let body = if method == "GET" {
        String::new()
    } else {
        "      body:\n        idType: email\n        value: ada@example.com\n".to_string()
    };
    let expect = expect
        .map(|e| format!("    expect:\n      status: {e}\n"))
        .unwrap_or_default();
    format!(
        "name: broken {mode}\nvars:\n  storeId: {STORE}\n  profileId: {PROFILE}\nsteps:\n  - name: the {mode} step\n    request:\n      method: {method}\n      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers{tail}\n      headers:\n        X-Break: {mode}\n{body}{expect}"
    )
}

struct Outcome {
    run: Run,
    junit: String,
    dir: tempfile::TempDir,
}

impl Outcome {
    fn snapshot_dir(&self) -> PathBuf {
        self.dir.path().join("snaps")
    }
}

/// Replays `yaml` against `server` with a JUnit report; `extra` flags are appended.
fn replay_against(server: &Broken, yaml: &str, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "broken.yaml", yaml);
    let junit = dir.path().join("junit.xml");
    let mut cmd = replay();
    cmd.arg(&file)
        .args(["--target", &server.base, "--snapshots"])
        .arg(dir.path().join("snaps"))
        .arg("--junit")
        .arg(&junit)
        .args(extra);
    let run = run(cmd);
    let junit =
        std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("no JUnit file ({e})\n{run}"));
    Outcome { run, junit, dir }
}

/// Exit 1; a stdout failure line names `check` and holds every `needle`; the JUnit
/// file's failure has type `check` and a message that names it and holds every needle.
fn assert_fails_with(out: &Outcome, check: &str, needles: &[&str]) {
    let run = &out.run;
    assert_eq!(run.code, Some(1), "exit 1 expected\n{run}");
    let marker = format!(": {check}: ");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no stdout line names `{check}`\n{run}"));
    for n in needles {
        assert!(line.contains(n), "`{n}` missing from `{line}`\n{run}");
    }
    let failures = junit_failures(&out.junit);
    let (kind, message) = failures
        .iter()
        .find(|(kind, _)| kind == check)
        .unwrap_or_else(|| {
            panic!(
                "no JUnit failure of type `{check}`: {failures:?}\n{}\n{run}",
                out.junit
            )
        });
    assert!(
        message.starts_with(&format!("{check}: ")),
        "{kind}: {message}"
    );
    for n in needles {
        assert!(message.contains(n), "`{n}` missing from `{message}`");
    }
}

#[test]
fn a_correct_answer_passes() {
    let server = Broken::start();
    let out = replay_against(
        &server,
        &scenario("GET", "/email", "none", Some("200")),
        &[],
    );
    assert_eq!(out.run.code, Some(0), "{}", out.run);
    assert!(out.run.stdout.contains("PASS broken none"), "{}", out.run);
    assert!(
        junit_failures(&out.junit).is_empty(),
        "no failures expected:\n{}",
        out.junit
    );
    assert!(out.junit.contains("the none step"), "{}", out.junit);
    assert_eq!(
        server.hits(),
        [format!(
            "GET /v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email"
        )]
    );
    // Outside CI the new result waits for review; it does not fail the run.
    assert!(out.snapshot_dir().join("broken.snap.new").exists());
}

#[test]
fn a_body_that_breaks_its_schema_fails_body_schema() {
    let server = Broken::start();
    let out = replay_against(
        &server,
        &scenario("GET", "/email", "schema", Some("200")),
        &[],
    );
    assert_fails_with(&out, "body_schema", &["/values", "type"]);
}

#[test]
fn an_undocumented_status_fails_status_documented() {
    let server = Broken::start();
    // No `expect`: an expected status must be documented, and 418 is not.
    let out = replay_against(&server, &scenario("GET", "", "teapot", None), &[]);
    assert_fails_with(
        &out,
        "status_documented",
        &["418", "ListProfileIdentifiers"],
    );
}

#[test]
fn a_redirect_without_location_fails_headers() {
    let server = Broken::start();
    let out = replay_against(
        &server,
        &scenario("POST", "", "no-location", Some("308")),
        &[],
    );
    assert_fails_with(&out, "headers", &["Location", "308"]);
    // Only Location is missing: Canonical-Profile-Id is there and valid.
    assert!(
        !out.run.stdout.contains("Canonical-Profile-Id"),
        "{}",
        out.run
    );
}

#[test]
fn a_wrong_content_type_fails_content_type() {
    let server = Broken::start();
    let out = replay_against(
        &server,
        &scenario("GET", "/email", "text", Some("200")),
        &[],
    );
    assert_fails_with(&out, "content_type", &["text/plain", "application/json"]);
}

#[test]
fn an_extra_field_fails_undocumented_fields() {
    let server = Broken::start();
    let out = replay_against(&server, &scenario("POST", "", "extra", Some("202")), &[]);
    assert_fails_with(&out, "undocumented_fields", &["/surprise"]);
    assert!(
        !out.run.stdout.contains("body_schema:"),
        "an extra field is not a schema violation here\n{}",
        out.run
    );
}

#[test]
fn an_unexpected_status_fails_status_expected() {
    let server = Broken::start();
    // The server answers a valid 200; the scenario expects 404.
    let out = replay_against(
        &server,
        &scenario("GET", "/email", "none", Some("404")),
        &[],
    );
    assert_fails_with(&out, "status_expected", &["got 200, expected 404"]);
    assert!(
        !out.run.stdout.contains("status_documented:"),
        "200 is documented\n{}",
        out.run
    );
}

#[test]
fn a_server_that_never_answers_fails_transport_without_hanging() {
    let server = Broken::start();
    let out = replay_against(
        &server,
        &scenario("GET", "/email", "hang", Some("200")),
        &["--timeout", "300ms"],
    );
    assert_fails_with(&out, "transport", &["no response within 300ms"]);
    assert_eq!(server.hits().len(), 1, "sent once, not retried");
    // An incomplete result is never written, not even for review.
    assert!(
        !out.snapshot_dir().join("broken.snap.new").exists()
            && !out.snapshot_dir().join("broken.snap").exists(),
        "{}",
        out.run
    );
    assert!(
        out.run
            .stdout
            .contains("snapshot: not written: step `the hang step` got no answer"),
        "{}",
        out.run
    );
}

#[test]
fn accept_never_replaces_a_snapshot_with_an_incomplete_result() {
    let server = Broken::start();
    let good = scenario("GET", "/email", "none", Some("200"));
    let first = replay_against(&server, &good, &["--accept"]);
    assert_eq!(first.run.code, Some(0), "{}", first.run);
    let snap = first.snapshot_dir().join("broken.snap");
    let stored = std::fs::read(&snap).expect("accepted snapshot");
    // The same scenario file, now against a target that never answers, with --accept.
    let file = first.dir.path().join("broken.yaml");
    write(
        first.dir.path(),
        "broken.yaml",
        &good.replace("X-Break: none", "X-Break: hang"),
    );
    let mut cmd = replay();
    cmd.arg(&file)
        .args(["--target", &server.base, "--snapshots"])
        .arg(first.snapshot_dir())
        .args(["--accept", "--timeout", "300ms"]);
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .contains("not accepted: broken (step `the none step` got no answer"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&snap).unwrap(),
        stored,
        "the snapshot is left as it was"
    );
    assert!(
        !first.snapshot_dir().join("broken.snap.new").exists(),
        "{out}"
    );
}

#[test]
fn a_step_timeout_overrides_the_run_timeout() {
    let server = Broken::start();
    let yaml = scenario("GET", "/email", "hang", Some("200")) + "    timeout: 200ms\n";
    let out = replay_against(&server, &yaml, &["--timeout", "30s"]);
    assert_fails_with(&out, "transport", &["no response within 200ms"]);
}

#[test]
fn redirects_are_recorded_not_followed() {
    let server = Broken::start();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = replay_against(
        &server,
        &scenario("POST", "", "redirect", Some("308")),
        &["--json", json.to_str().unwrap()],
    );
    assert_eq!(out.run.code, Some(0), "a valid 308 passes\n{}", out.run);
    assert!(junit_failures(&out.junit).is_empty(), "{}", out.junit);
    let hits = server.hits();
    let target = format!("/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers");
    assert_eq!(
        hits.iter().filter(|h| h.ends_with(&target)).count(),
        0,
        "the redirect was followed: {hits:?}"
    );
    assert_eq!(
        hits,
        [format!(
            "POST /v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers"
        )]
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let outcome = &report["scenarios"][0]["steps"][0]["outcome"];
    assert_eq!(outcome["kind"], "response", "{report:#}");
    assert_eq!(outcome["status"], 308, "{report:#}");
    let pending = std::fs::read_to_string(out.snapshot_dir().join("broken.snap.new")).unwrap();
    assert!(pending.contains("-> 308 Permanent Redirect"), "{pending}");
    assert!(
        pending.contains(&format!(
            "location: [target]/v1/Stores/{{{{storeId}}}}/Profiles/{CANONICAL}/Identifiers"
        )),
        "{pending}"
    );
}

#[test]
fn credentials_echoed_or_handed_out_by_the_target_reach_no_report() {
    let server = Broken::start();
    // Characters that JSON and XML escape, so only an escaping-aware scrub catches them.
    let (sid, token) = ("ACsecretsid0000000000000000000001", r#"p&ss<w>"x'token"#);
    let json = tempfile::tempdir().unwrap();
    let json = json.path().join("out.json");
    let out = replay_against(
        &server,
        &scenario("POST", "", "echo-secrets", Some("202")),
        &[
            "--auth",
            &format!("{sid}:{token}"),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.run.code, Some(0), "{}", out.run);
    let json = std::fs::read_to_string(&json).unwrap();
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"))
    };
    let escaped_json = serde_json::to_string(token).unwrap();
    let escaped_json = escaped_json.trim_matches('"');
    let escaped_xml = "p&amp;ss&lt;w&gt;";
    for (name, text) in [
        ("json", json.as_str()),
        ("junit", out.junit.as_str()),
        ("stdout", out.run.stdout.as_str()),
        ("stderr", out.run.stderr.as_str()),
    ] {
        for secret in [
            sid,
            token,
            escaped_json,
            escaped_xml,
            b64.as_str(),
            "SESSION-COOKIE-SECRET",
        ] {
            assert!(!text.contains(secret), "{name} holds `{secret}`:\n{text}");
        }
    }
    for entry in std::fs::read_dir(out.dir.path().join("snaps")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for secret in [sid, token, b64.as_str(), "SESSION-COOKIE-SECRET"] {
            assert!(
                !text.contains(secret),
                "a snapshot holds `{secret}`:\n{text}"
            );
        }
    }
}

#[test]
fn a_run_where_every_scenario_is_skipped_fails() {
    let server = Broken::start();
    let yaml = scenario("POST", "", "none", Some("202")).replacen("vars:", "needs: mock\nvars:", 1);
    let out = replay_against(&server, &yaml, &[]);
    assert_eq!(out.run.code, Some(1), "{}", out.run);
    assert!(out.run.stderr.contains("no step ran"), "{}", out.run);
    assert!(server.hits().is_empty(), "a skipped step was sent");
}

/// A 205 has no content (RFC 9110), whatever the document lists; a client's
/// framing drops a 204's body but not a 205's, so a server sending one was
/// passed. A raw socket answers, as a misbehaving server would, once with a
/// body and once without.
#[test]
fn a_205_with_content_fails_body_schema() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "reset.yaml",
        "openapi: 3.0.3
info: {title: reset, version: '1'}
paths:
  /form:
    post:
      operationId: resetForm
      responses:
        '205':
          description: reset
          content:
            application/json:
              schema: {type: object}
",
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(2).enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let answer: &[u8] = if i == 0 {
                b"HTTP/1.1 205 Reset Content\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            } else {
                b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            let _ = stream.write_all(answer);
        }
    });
    let file = write(
        dir.path(),
        "reset.yaml.scenario.yaml",
        "name: reset
steps:
  - name: with content
    request: {method: POST, path: /form}
    expect: {status: 205}
  - name: without
    request: {method: POST, path: /form}
    expect: {status: 205}
",
    );
    let mut cmd = replay();
    cmd.arg(&file)
        .args(["--target", &base, "--spec"])
        .arg(&spec)
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .args(["--concurrency", "1"]);
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .contains("step 1 `with content`: body_schema: a 205 has no content (RFC 9110), but 2 byte(s) came"),
        "{out}"
    );
    assert!(!out.stdout.contains("step 2 `without`: "), "{out}");
}
