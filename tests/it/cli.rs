//! The real binary: start-up output, serving on a real socket, refusals of bad
//! input with exit status 2, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use crate::common::*;

fn mimeo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mimeo"))
}

/// Starts `mimeo serve --port 0 ARGS` and returns the child and its URL.
fn serve(args: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = mimeo()
        .args(["serve", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mimeo starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        lines.push(line.clone());
        if let Some(url) = line.strip_prefix("mimeo: listening on ") {
            return (child, url.to_string(), lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no `listening on` line; stdout: {lines:?}");
}

fn stop(child: Child) -> (i32, String) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn serve_prints_the_table_answers_and_stops_on_sigterm() {
    let (child, url, banner) = serve(&[
        "--status",
        "PATCH /v1/Stores/*/Profiles/*/Identifiers/*=409",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let table = banner.join("\n");
    assert!(table.contains("Twilio - Memory"), "{table}");
    for id in [
        "CreateProfileIdentifier",
        "ListProfileIdentifiers",
        "FetchProfileIdentifier",
        "PatchProfileIdentifier",
        "DeleteProfileIdentifier",
        "DeleteStore",
        "DeleteDataMapping",
    ] {
        assert!(table.contains(id), "{id} missing from {table}");
    }
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email");
    let r = send(
        &url,
        "PATCH",
        &path,
        &[],
        Some(r#"{"idType":"email","oldValue":"a","newValue":"b"}"#),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], 20409);
    let r = send(&url, "GET", &path, &[], None).await;
    assert_eq!(r.status, 200);
    let (code, stderr) = stop(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("PATCH /v1/Stores/")
            && stderr.contains("-> 409")
            && stderr.contains("rule --status"),
        "{stderr}"
    );
    assert!(
        stderr.contains("GET /v1/Stores/") && stderr.contains("-> 200"),
        "{stderr}"
    );
}

#[test]
fn a_broken_spec_is_refused_with_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: 7\n").unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--spec"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml: at #/paths/~1a/get/responses/200/content"),
        "{err}"
    );

    let syntax = dir.path().join("syntax.json");
    std::fs::write(&syntax, "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\n}").unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--spec"])
        .arg(&syntax)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("syntax.json:4:"), "{err}");

    let missing = mimeo()
        .args(["serve", "--spec", "/nonexistent/x.yaml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.yaml: cannot read"));
}

#[test]
fn bad_flags_and_config_are_refused() {
    let out = mimeo()
        .args([
            "serve",
            "--port",
            "0",
            "--status",
            "DELETE /v1/ControlPlane/Stores/*=409",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("409 is not documented"),
        "{:?}",
        out
    );

    let out = mimeo()
        .args(["serve", "--port", "0", "--status", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let mut cfg = tempfile::NamedTempFile::new().unwrap();
    cfg.write_all(b"rules:\n  - match: GET /v1/**\n    stauts: 500\n")
        .unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--config"])
        .arg(cfg.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:", cfg.path().display())) && err.contains("stauts"),
        "{err}"
    );

    let out = mimeo()
        .args(["serve", "--port", "notaport"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_config_file_gives_sequences_and_latency() {
    let mut cfg = tempfile::NamedTempFile::new().unwrap();
    cfg.write_all(
        b"latency: 1ms\nrules:\n  - match: DELETE /v1/ControlPlane/Stores/*\n    sequence: [503, 202]\n    latency: {min: 1ms, max: 5ms}\n",
    )
    .unwrap();
    let (child, url, _) = serve(&["--config", cfg.path().to_str().unwrap(), "--quiet"]);
    let path = format!("/v1/ControlPlane/Stores/{STORE}");
    let first = send(&url, "DELETE", &path, &[], None).await;
    let second = send(&url, "DELETE", &path, &[], None).await;
    assert_eq!((first.status, second.status), (503, 202));
    assert!(first.header("retry-after").is_some());
    let (code, stderr) = stop(child);
    assert_eq!(code, 0);
    assert!(
        !stderr.contains("DELETE /v1"),
        "--quiet logs no requests: {stderr}"
    );
}

/// A config rule the contract refuses at start (a pattern that matches no
/// operation, an example no response has) is named by its line and column.
#[test]
fn config_rules_the_contract_refuses_say_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    for (rule, message) in [
        ("match: GET /nope\n    status: 200", "matches no operation"),
        (
            "match: GET /v1/**\n    example: nope",
            "no example named `nope`",
        ),
    ] {
        let config = dir.path().join("mimeo.yaml");
        std::fs::write(&config, format!("delay: 1ms\nrules:\n  - {rule}\n")).unwrap();
        let out = mimeo()
            .args(["serve", "--port", "0", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{}:3:5: rules[0] ", config.display()))
                && stderr.contains(message),
            "{stderr}"
        );
    }
}

/// A file that is not UTF-8 is refused with the line and column of its first
/// bad byte, whichever flag names it.
#[test]
fn files_that_are_not_utf8_say_where_their_first_bad_byte_is() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"# a comment\nname: caf\xe9\n").unwrap();
    let bad = bad.to_str().unwrap();
    for args in [
        vec!["serve", "--port", "0", "--spec", bad],
        vec!["serve", "--port", "0", "--config", bad],
        vec!["serve", "--port", "0", "--state-model", bad],
        vec!["serve", "--port", "0", "--seed-state", bad],
        vec!["replay", bad],
    ] {
        let out = mimeo().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{bad}:2:10: ")) && stderr.contains("not UTF-8"),
            "{args:?}: {stderr}"
        );
    }
}

/// One rule for every duration mimeo reads: a number needs a unit. The same
/// refusal, word for word, from each flag, the config file and a scenario file.
#[test]
fn a_bare_number_is_never_a_duration() {
    const REFUSAL: &str = "`5` is not a duration: give a unit, e.g. 250ms or 10s";
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mimeo.yaml");
    std::fs::write(&config, "latency: 5\n").unwrap();
    let rule_config = dir.path().join("rule.yaml");
    std::fs::write(
        &rule_config,
        "rules:\n  - match: GET /v1/**\n    latency: {min: 1ms, max: 5}\n",
    )
    .unwrap();
    let scenario = dir.path().join("s.yaml");
    std::fs::write(
        &scenario,
        format!(
            "name: s\nsteps:\n  - request:\n      method: GET\n      path: /v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers\n    timeout: 5\n"
        ),
    )
    .unwrap();
    let (config, rule_config, scenario) = (
        config.to_str().unwrap(),
        rule_config.to_str().unwrap(),
        scenario.to_str().unwrap(),
    );
    let target = "http://127.0.0.1:9";
    let record = dir.path().join("rec");
    let record = record.to_str().unwrap();
    let cases: [&[&str]; 8] = [
        &["serve", "--latency", "5"],
        &["serve", "--header-timeout", "5"],
        &["serve", "--config", config],
        &["serve", "--config", rule_config],
        &["replay", scenario, "--timeout", "5"],
        &["replay", scenario],
        &["proxy", "--target", target, "--timeout", "5"],
        &[
            "proxy",
            "--target",
            target,
            "--record",
            record,
            "--session-gap",
            "5",
        ],
    ];
    for args in cases {
        let out = mimeo()
            .args(args)
            .args(["--port", "0"].iter().filter(|_| args[0] != "replay"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(stderr.contains(REFUSAL), "{args:?}\n{stderr}");
    }
    // Where a file says it, the message says where.
    let out = mimeo()
        .args(["replay", scenario])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{scenario}:6:")), "{stderr}");
    let out = mimeo()
        .args(["serve", "--port", "0", "--config", config])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{config}:1:")), "{stderr}");
}

#[test]
fn host_takes_localhost_and_bracketed_ipv6_and_refuses_names() {
    // `host: 'localhost'` is what users of other mocks pass.
    let (child, url, _) = serve(&["--host", "localhost"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    stop(child);
    let out = mimeo()
        .args(["serve", "--port", "0", "--host", "example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`example.com` is not an IP address"), "{err}");
    // IPv6 loopback where the machine has it.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let (child, url, _) = serve(&["--host", "[::1]"]);
        assert!(url.starts_with("http://[::1]:"), "{url}");
        stop(child);
    }
}
