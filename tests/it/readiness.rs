//! What wrappers (the npm and Python helpers, the CI action, scripts) rely on:
//! `mimeo --version` on one line, the stdout readiness line, and
//! `--ready-file`, written once listening and gone after a graceful stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn mimeo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mimeo"))
}

#[test]
fn version_names_the_commit_and_the_embedded_contract() {
    let out = mimeo().arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let commit = text
        .split("(commit ")
        .nth(1)
        .and_then(|t| t.split(',').next())
        .unwrap_or_default();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
    // build.rs reads the title and version with a line scanner; they must be
    // what the contract loader reads.
    let contract = contract();
    let expected = format!(
        "mimeo {} (commit {commit}, contract \"{}\" {})\n",
        env!("CARGO_PKG_VERSION"),
        contract.title(),
        contract.version()
    );
    assert_eq!(text, expected);
    // -V says the same.
    let short = mimeo().arg("-V").output().unwrap();
    assert_eq!(String::from_utf8(short.stdout).unwrap(), text);
}

#[tokio::test]
async fn the_ready_file_holds_the_url_of_the_listening_server() {
    let dir = tempfile::tempdir().unwrap();
    // A stale file from an earlier run, in a directory that already exists, and
    // one in a directory that does not yet.
    let ready = dir.path().join("ready");
    std::fs::write(&ready, "http://127.0.0.1:1\n").unwrap();
    let nested = dir.path().join("a/b/ready");
    let mut child = mimeo()
        .args(["serve", "--port", "0", "--quiet", "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The readiness line is the last stdout line of the start-up banner.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = None;
    let mut operations = 0;
    for line in stdout.lines() {
        let line = line.unwrap();
        operations += usize::from(line.contains(" /v1/"));
        if let Some(u) = line.strip_prefix("mimeo: listening on ") {
            url = Some(u.to_string());
            break;
        }
    }
    let url = url.expect("a readiness line");
    // What is served was printed before it (and before the file was written).
    assert_eq!(operations, 7);
    // The file is written before the line is printed.
    assert_eq!(std::fs::read_to_string(&ready).unwrap(), format!("{url}\n"));
    let r = send(
        &url,
        "GET",
        &format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    // Only the ready file in the directory: no temporary left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    assert!(!ready.exists(), "removed at shutdown");

    // A directory that does not exist yet is made.
    let mut child = mimeo()
        .args(["serve", "--port", "0", "--quiet", "--ready-file"])
        .arg(&nested)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !nested.exists() {
        assert!(Instant::now() < deadline, "no ready file within 30s");
        assert!(child.try_wait().unwrap().is_none(), "mimeo exited");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&nested).unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('\n'),
        "{url}"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}

#[test]
fn an_unwritable_ready_file_stops_the_server_before_it_says_ready() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the directory should be.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--ready-file"])
        .arg(blocker.join("ready"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ready file"),
        "{out:?}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "{out:?}"
    );
}

/// `mimeo serve --stop-on-stdin-close --report-json REPORT` with every pipe
/// its own, once it says it listens (its stdout's reader handed back).
fn serve_watching_stdin(
    report: &std::path::Path,
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = mimeo()
        .args([
            "serve",
            "--port",
            "0",
            "--stop-on-stdin-close",
            "--report-json",
        ])
        .arg(report)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("mimeo: listening on") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no readiness line"
        );
    }
    (child, stdout)
}

/// Its exit status, waited for 20 s at most.
fn exit_within_20s(child: &mut std::process::Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_mock_stops_when_its_input_closes_if_asked() {
    // A wrapper holds the pipe: its end, however it ends, closes it.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (mut child, _stdout) = serve_watching_stdin(&report);
    // Input is read and thrown away until it ends.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"anything\n").unwrap();
    drop(stdin);
    let status = exit_within_20s(&mut child);
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("standard input closed; stopping"),
        "{stderr}"
    );
    // Stopped the graceful way: the report is written.
    assert!(report.exists(), "{stderr}");
}

#[test]
fn a_mock_whose_wrapper_died_with_every_pipe_still_writes_its_reports() {
    // The wrapper's end closes stdout and stderr with stdin: the shutdown
    // summary's print panicked (exit 101) before the report was written.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let (mut child, stdout) = serve_watching_stdin(&report);
    drop(stdout);
    drop(child.stderr.take());
    drop(child.stdin.take());
    let status = exit_within_20s(&mut child);
    assert!(status.success(), "{status}");
    assert!(report.exists());
}
