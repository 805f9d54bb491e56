//! The snapshot review workflow of `mimeo replay`, through the real binary against
//! its in-process mock: new results wait as `.snap.new` (or fail in CI), `--accept`
//! and `--review` decide, a behaviour change shows a diff and never overwrites the
//! stored snapshot by itself, and snapshots hide ports, credentials and what the
//! scenario asks to redact.

use std::path::{Path, PathBuf};

use base64::Engine;

use crate::common::replay::{junit_failures, replay, run, run_with_input, write, Run};

const STORE: &str = "mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6";
const PROFILE: &str = "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6";

/// One step that asks the mock for `code` (200 or 404) from FetchProfileIdentifier.
fn fetch_scenario(code: u16) -> String {
    format!(
        "name: fetch an identifier
needs: mock
vars:
  storeId: {STORE}
  profileId: {PROFILE}
steps:
  - name: fetch the email identifier
    request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email
      headers:
        Prefer: code={code}
    expect:
      status: [200, 404]
"
    )
}

/// A scenario directory with `fetch.yaml` and a snapshot directory beside it.
struct Suite {
    dir: tempfile::TempDir,
}

impl Suite {
    fn new(code: u16) -> Suite {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "fetch.yaml", &fetch_scenario(code));
        Suite { dir }
    }

    fn scenario(&self) -> PathBuf {
        self.dir.path().join("fetch.yaml")
    }

    fn snaps(&self) -> PathBuf {
        self.dir.path().join("snaps")
    }

    fn snap(&self) -> PathBuf {
        self.snaps().join("fetch.snap")
    }

    fn pending(&self) -> PathBuf {
        self.snaps().join("fetch.snap.new")
    }

    fn set_code(&self, code: u16) {
        write(self.dir.path(), "fetch.yaml", &fetch_scenario(code));
    }

    /// `mimeo replay fetch.yaml --snapshots snaps ARGS` (outside CI).
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = replay();
        cmd.arg(self.scenario())
            .arg("--snapshots")
            .arg(self.snaps())
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    fn review(&self, answer: &str) -> Run {
        run_with_input(self.command(&["--review"]), Some(answer))
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_new_result_waits_for_review_outside_ci_and_fails_in_ci() {
    let suite = Suite::new(200);
    let first = suite.run(&[]);
    assert_eq!(first.code, Some(0), "{first}");
    assert!(suite.pending().exists(), "{first}");
    assert!(!suite.snap().exists(), "nothing is accepted by itself");
    assert!(
        first.stdout.contains("new; written to") && first.stdout.contains("fetch.snap.new"),
        "{first}"
    );
    assert!(first.stdout.contains("--review"), "{first}");

    let ci = tempfile::tempdir().unwrap();
    let scenario = write(ci.path(), "fetch.yaml", &fetch_scenario(200));
    let snaps = ci.path().join("snaps");
    let mut cmd = replay();
    cmd.arg(&scenario)
        .arg("--snapshots")
        .arg(&snaps)
        .env("CI", "true");
    let in_ci = run(cmd);
    assert_eq!(
        in_ci.code,
        Some(1),
        "a missing snapshot fails in CI\n{in_ci}"
    );
    assert!(in_ci.stdout.contains("CI is set"), "{in_ci}");
    assert!(
        files_in(&snaps).is_empty(),
        "nothing is written in CI: {:?}",
        files_in(&snaps)
    );

    // CI=false is not CI.
    let mut cmd = replay();
    cmd.arg(&scenario)
        .arg("--snapshots")
        .arg(&snaps)
        .env("CI", "false");
    let not_ci = run(cmd);
    assert_eq!(not_ci.code, Some(0), "{not_ci}");
    assert_eq!(files_in(&snaps), ["fetch.snap.new"]);
}

#[test]
fn accept_rerun_change_diff_accept() {
    let suite = Suite::new(200);
    let accepted = suite.run(&["--accept"]);
    assert_eq!(accepted.code, Some(0), "{accepted}");
    assert!(suite.snap().exists(), "{accepted}");
    assert!(!suite.pending().exists(), "{accepted}");
    let stored = bytes(&suite.snap());
    assert!(read(&suite.snap()).contains("-> 200 OK"));

    let rerun = suite.run(&[]);
    assert_eq!(rerun.code, Some(0), "{rerun}");
    assert_eq!(
        bytes(&suite.snap()),
        stored,
        "a matching run rewrites nothing"
    );
    assert!(!suite.pending().exists(), "{rerun}");
    assert!(rerun.stdout.contains("1 matched"), "{rerun}");

    // The behaviour changes: the mock now answers 404.
    suite.set_code(404);
    let changed = suite.run(&[]);
    assert_eq!(changed.code, Some(1), "a changed result fails\n{changed}");
    assert!(changed.stdout.contains("@@ -"), "{changed}");
    assert!(
        changed.stdout.contains("--> 200 OK"),
        "the old line, with `-`\n{changed}"
    );
    assert!(
        changed.stdout.contains("+-> 404 Not Found"),
        "the new line, with `+`\n{changed}"
    );
    assert!(changed.stdout.contains("differs from the stored snapshot"));
    assert_eq!(bytes(&suite.snap()), stored, ".snap is left alone");
    assert!(read(&suite.pending()).contains("-> 404 Not Found"));

    // Back to the stored behaviour: it matches, and the stale pending result goes.
    suite.set_code(200);
    let back = suite.run(&[]);
    assert_eq!(back.code, Some(0), "{back}");
    assert!(!suite.pending().exists(), "stale .snap.new removed\n{back}");
    assert_eq!(bytes(&suite.snap()), stored);

    suite.set_code(404);
    assert_eq!(suite.run(&[]).code, Some(1));
    assert!(suite.pending().exists());
    let accept = suite.run(&["--accept"]);
    assert_eq!(accept.code, Some(0), "{accept}");
    assert!(!suite.pending().exists(), "{accept}");
    let now = read(&suite.snap());
    assert!(
        now.contains("-> 404 Not Found") && !now.contains("-> 200 OK"),
        "{now}"
    );

    let again = suite.run(&[]);
    assert_eq!(again.code, Some(0), "{again}");
    assert!(!suite.pending().exists());
}

#[test]
fn a_hand_edited_snapshot_shows_the_diff_and_stays_untouched() {
    let suite = Suite::new(200);
    assert_eq!(suite.run(&["--accept"]).code, Some(0));
    let edited = read(&suite.snap()).replace("-> 200 OK", "-> 200 Fine");
    std::fs::write(suite.snap(), &edited).unwrap();

    let junit = suite.dir.path().join("junit.xml");
    let out = suite.run(&["--junit", junit.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout.contains("--> 200 Fine") && out.stdout.contains("+-> 200 OK"),
        "{out}"
    );
    assert_eq!(read(&suite.snap()), edited, ".snap unchanged byte for byte");
    assert!(suite.pending().exists());
    let failures = junit_failures(&read(&junit));
    assert!(
        failures
            .iter()
            .any(|(kind, message)| kind == "snapshot" && message.starts_with("snapshot: ")),
        "{failures:?}"
    );
}

#[test]
fn review_walks_pending_results_without_running_anything() {
    let suite = Suite::new(200);
    assert_eq!(suite.run(&["--accept"]).code, Some(0));
    let stored = bytes(&suite.snap());
    suite.set_code(404);
    assert_eq!(suite.run(&[]).code, Some(1), "a changed result is pending");
    assert!(suite.pending().exists());

    let skip = suite.review("s\n");
    assert_eq!(skip.code, Some(0), "{skip}");
    assert!(
        !skip.stdout.contains("mimeo: replaying"),
        "--review runs nothing\n{skip}"
    );
    assert!(
        skip.stdout.contains("accept (a), reject (r), skip (s)?")
            && skip.stdout.contains("+-> 404 Not Found"),
        "{skip}"
    );
    assert!(skip.stdout.contains("1 left pending"), "{skip}");
    assert!(suite.pending().exists(), "{skip}");
    assert_eq!(bytes(&suite.snap()), stored);

    let reject = suite.review("r\n");
    assert_eq!(reject.code, Some(0), "{reject}");
    assert!(
        reject.stdout.contains("rejected  ") && reject.stdout.contains("1 rejected"),
        "{reject}"
    );
    assert!(!reject.stdout.contains("error:"), "{reject}");
    assert!(
        !suite.pending().exists(),
        "rejected: .snap.new deleted\n{reject}"
    );
    assert_eq!(bytes(&suite.snap()), stored, "rejected: .snap unchanged");

    assert_eq!(
        suite.run(&[]).code,
        Some(1),
        "still different: pending again"
    );
    let accept = suite.review("a\n");
    assert_eq!(accept.code, Some(0), "{accept}");
    assert!(
        accept.stdout.contains("accepted  ") && accept.stdout.contains("1 accepted"),
        "{accept}"
    );
    assert!(!suite.pending().exists(), "{accept}");
    assert!(read(&suite.snap()).contains("-> 404 Not Found"));
    // Accepted: the scenario passes from now on.
    let after = suite.run(&[]);
    assert_eq!(after.code, Some(0), "{after}");
    assert!(after.stdout.contains("PASS fetch an identifier"), "{after}");

    // Nothing pending: nothing to ask.
    let quiet = suite.review("");
    assert_eq!(quiet.code, Some(0), "{quiet}");
    assert!(quiet.stdout.contains("no pending snapshots"), "{quiet}");
}

#[test]
fn snapshot_files_are_in_insta_format() {
    let suite = Suite::new(200);
    assert_eq!(suite.run(&["--accept"]).code, Some(0));
    let text = read(&suite.snap());
    assert!(text.starts_with("---\nsource: "), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let close = lines
        .iter()
        .skip(1)
        .position(|l| *l == "---")
        .unwrap_or_else(|| panic!("no closing `---`:\n{text}"));
    let header = &lines[1..=close];
    assert!(
        header
            .iter()
            .any(|l| l.starts_with("source: ") && l.ends_with("fetch.yaml")),
        "{text}"
    );
    assert!(
        header.contains(&"expression: \"fetch an identifier\""),
        "{text}"
    );
    assert_eq!(
        lines[close + 2],
        "## 1. fetch the email identifier",
        "{text}"
    );
    assert!(text.ends_with("}\n"), "one trailing newline: {text:?}");
}

#[test]
fn snapshots_redact_rules_ports_and_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let sid = "ACsecretsid000000000000000000beef";
    let token = "t0ken-s3cr3t-9f8e7d";
    let scenario = write(
        dir.path(),
        "redact.yaml",
        &format!(
            r#"name: redaction
needs: mock
vars:
  storeId: {STORE}
  profileId: {PROFILE}
  mergedId: mem_profile_00000000000000000000000000
redact:
  - header: content-type
    with: "[ct]"
  - body: /idType
    with: "[type]"
  - matching: "^valu(e)s$"
    with: "[matched]"
steps:
  - name: fetch
    request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email
    expect:
      status: 200
  - name: redirected
    request:
      method: POST
      # A merged profile (the canonical one is never redirected).
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{mergedId}}}}/Identifiers
      headers:
        Prefer: code=308
      body:
        idType: email
        value: ada@example.com
    expect:
      status: 308
  - name: wrong credentials
    auth: invalid
    request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers
    expect:
      status: 401
"#
        ),
    );
    let snaps = dir.path().join("snaps");
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let replay_with = |extra: &[&str]| {
        let mut cmd = replay();
        cmd.arg(&scenario)
            .arg("--snapshots")
            .arg(&snaps)
            .args(["--auth", &format!("{sid}:{token}"), "--stateless"])
            .arg("--junit")
            .arg(&junit)
            .arg("--json")
            .arg(&json)
            .args(extra);
        run(cmd)
    };
    let port_of = |out: &Run| -> String {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains("(in-process stateless mock)"))
            .unwrap_or_else(|| panic!("no target line\n{out}"));
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{line}`"));
        url.rsplit(':').next().unwrap().to_string()
    };

    let first = replay_with(&[]);
    assert_eq!(first.code, Some(0), "the mock takes --auth\n{first}");
    let pending = read(&snaps.join("redact.snap.new"));
    let port = port_of(&first);
    for (wanted, why) in [
        ("content-type: [ct]", "header rule"),
        ("\"idType\": \"[type]\"", "body rule"),
        ("\"[matched]\"", "matching rule"),
        ("location: [target]/v1/Stores/{{storeId}}/", "target URL"),
        ("canonical-profile-id: {{profileId}}", "variable value"),
    ] {
        assert!(
            pending.contains(wanted),
            "{why}: `{wanted}` missing:\n{pending}"
        );
    }
    assert!(!pending.contains("\"values\"\n"), "{pending}");
    assert!(!pending.contains("application/json"), "{pending}");
    assert!(
        !pending.contains("127.0.0.1") && !pending.contains(&format!(":{port}")),
        "the mock's address leaked:\n{pending}"
    );

    let second = replay_with(&["--accept"]);
    assert_eq!(second.code, Some(0), "{second}");
    let stored = read(&snaps.join("redact.snap"));
    assert!(stored.contains("location: [target]/"), "{stored}");
    assert!(
        !stored.contains(&format!(":{}", port_of(&second))),
        "{stored}"
    );
    // A third run with yet another port matches the stored snapshot.
    let third = replay_with(&[]);
    assert_eq!(third.code, Some(0), "{third}");
    assert!(third.stdout.contains("1 matched"), "{third}");

    // One pending file too, so every kind of file is searched.
    write(
        dir.path(),
        "redact.yaml",
        &read(&scenario).replace("with: \"[ct]\"", "with: \"[CT]\""),
    );
    let fourth = replay_with(&[]);
    assert_eq!(fourth.code, Some(1), "{fourth}");

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
    let mut searched = Vec::new();
    for name in files_in(&snaps) {
        searched.push(snaps.join(name));
    }
    searched.push(junit.clone());
    searched.push(json.clone());
    assert!(searched.iter().any(|p| p.ends_with("redact.snap.new")));
    for path in &searched {
        let text = read(path);
        for secret in [sid, token, basic.as_str()] {
            assert!(
                !text.contains(secret),
                "{} holds a credential `{secret}`:\n{text}",
                path.display()
            );
        }
    }
    for out in [&first, &second, &third, &fourth] {
        assert!(
            !out.stdout.contains(token) && !out.stderr.contains(token),
            "{out}"
        );
    }
}
