//! `mimeo proxy --record`: traffic through the proxy becomes scenario files that
//! `mimeo replay` plays back unchanged, with no credential the client sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::replay::{replay, run};
use crate::common::{send, send_anonymous, MAPPING, PROFILE, STORE};
use base64::Engine;
use mimeo::proxy::RecordOptions;
use mimeo::ServeOptions;
use mimeo::{ProxyOptions, ProxyServer};

/// Long enough never to fire; only there to turn a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(60);

const SID: &str = "AC5f1c0ffee5f1c0ffee5f1c0ffee5f1c0";
const TOKEN: &str = "tok-3b1e9d2a-very-distinctive";
const COOKIE_SECRET: &str = "cookie-7f3a-distinctive";
const API_KEY: &str = "apikey-91c2-distinctive";
const QUERY_SECRET: &str = "query-5d8e-distinctive";
const OTHER_PROFILE: &str = "mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2d";

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the recording directory exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// One request the test sends through the proxy, and the status it must get.
struct Call {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, &'static str)>,
    body: Option<&'static str>,
    status: u16,
}

impl Call {
    fn new(method: &'static str, path: &str, status: u16) -> Call {
        Call {
            method,
            path: path.to_string(),
            headers: Vec::new(),
            body: None,
            status,
        }
    }
    fn header(mut self, name: &'static str, value: &'static str) -> Call {
        self.headers.push((name, value));
        self
    }
    fn body(mut self, body: &'static str) -> Call {
        self.body = Some(body);
        self
    }
}

fn basic() -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    format!("Basic {b64}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_session_replays_against_the_mock_and_holds_no_credential() {
    let mock = crate::common::start(ServeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("recorded");
    let running = crate::common::proxy::spawn(&[
        "--target",
        &mock.url(),
        "--port",
        "0",
        "--record",
        rec.to_str().unwrap(),
    ]);
    let url = running.url.clone();
    let auth = basic();
    let cookie = format!("session={COOKIE_SECRET}; theme=dark");
    let headers = [
        ("authorization", auth.as_str()),
        ("cookie", cookie.as_str()),
        ("accept", "application/json"),
    ];
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let traffic = [
        Call::new("POST", &format!("{ids}?access_token={QUERY_SECRET}"), 202)
            .header("x-api-key", API_KEY)
            .body(r#"{"idType":"email","value":"ada@example.com"}"#),
        Call::new("GET", &ids, 200),
        Call::new("GET", &format!("{ids}/email"), 200),
        Call::new("PATCH", &format!("{ids}/email"), 202).body(
            r#"{"idType":"email","oldValue":"ada@example.com","newValue":"ada@example.org"}"#,
        ),
        Call::new("DELETE", &format!("{ids}/email?removeAll=true"), 202),
        Call::new(
            "GET",
            &format!("/v1/Stores/{STORE}/Profiles/{OTHER_PROFILE}/Identifiers"),
            200,
        ),
        Call::new("DELETE", &format!("/v1/ControlPlane/Stores/{STORE}"), 202),
        Call::new(
            "DELETE",
            &format!("/v1/ControlPlane/Stores/{STORE}/DataMappings/{MAPPING}"),
            202,
        ),
        // Breaks the contract (no `value`): recorded with the 400 it got.
        Call::new("POST", &ids, 400).body(r#"{"idType":"email"}"#),
        // Outside the contract.
        Call::new("GET", &format!("/v1/Stores/{STORE}/Profiles"), 404),
        Call::new("PUT", &ids, 405),
        // Steers the mock: the scenario needs the mock.
        Call::new("PATCH", &format!("{ids}/email"), 409)
            .header("prefer", "code=409")
            .body(r#"{"idType":"email","oldValue":"a@x.io","newValue":"b@x.io"}"#),
    ];
    let n = traffic.len();
    for c in &traffic {
        let mut all = headers.to_vec();
        all.extend(c.headers.iter().copied());
        let reply = tokio::time::timeout(WATCHDOG, send(&url, c.method, &c.path, &all, c.body))
            .await
            .expect("answered");
        assert_eq!(
            reply.status, c.status,
            "{} {}: {:?}",
            c.method, c.path, reply.body
        );
    }
    let out = tokio::task::spawn_blocking(move || running.stop())
        .await
        .unwrap();
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "mimeo proxy: {n} exchange(s): {n} answered by the target"
        )),
        "{out}"
    );

    // One session, one file, and nothing in it the client sent as a credential.
    let files = yaml_files(&rec);
    assert_eq!(files.len(), 1, "{files:?}\n{out}");
    let file = &files[0];
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("session-") && name.ends_with("-1.yaml"),
        "{name}"
    );
    assert!(
        out.stderr.contains(&name),
        "the summary names the file\n{out}"
    );
    let text = std::fs::read_to_string(file).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    for secret in [
        TOKEN,
        b64.as_str(),
        SID,
        COOKIE_SECRET,
        API_KEY,
        QUERY_SECRET,
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked:\n{text}");
    }
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );
    assert!(!text.to_ascii_lowercase().contains("cookie"), "{text}");

    // What the file says.
    for expected in [
        "needs: mock",
        &format!("  storeId: \"{STORE}\"\n"),
        &format!("  profileId: \"{PROFILE}\"\n"),
        &format!("  profileId2: \"{OTHER_PROFILE}\"\n"),
        &format!("  dataMappingId: \"{MAPPING}\"\n"),
        "  idType: \"email\"\n",
        "path: \"/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/{{idType}}\"",
        "path: \"/v1/Stores/{{storeId}}/Profiles/{{profileId2}}/Identifiers\"",
        "path: \"/v1/Stores/{{storeId}}/Profiles\"",
        "\"idType\": \"{{idType}}\"",
        "\"removeAll\": \"true\"",
        "\"prefer\": \"code=409\"",
        "outside_contract: true",
        "- header: \"Operation-Id\"",
        "- matching: \"mem_operation_[0-9a-z]{26}\"",
        "status: 400",
        "status: 405",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
    assert_eq!(text.matches("  - auth: default\n").count(), n, "{text}");
    let scenario = mimeo::Scenario::from_file(file, &crate::common::contract())
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(scenario.step_count(), n);
    let expected: Vec<Option<Vec<u16>>> = traffic.iter().map(|c| Some(vec![c.status])).collect();
    let got: Vec<Option<Vec<u16>>> = scenario
        .steps()
        .iter()
        .map(|s| s.expected().map(<[u16]>::to_vec))
        .collect();
    assert_eq!(got, expected, "the expectations are the statuses observed");

    // The recording replays unchanged against the in-process mock, with replay's
    // own credentials; accepted, its snapshot is stable on the next run.
    let snaps = dir.path().join("snaps");
    let snaps_arg = snaps.to_str().unwrap().to_string();
    let rec_arg = rec.to_str().unwrap().to_string();
    let first = tokio::task::spawn_blocking({
        let (rec_arg, snaps_arg) = (rec_arg.clone(), snaps_arg.clone());
        move || {
            let mut cmd = replay();
            cmd.args([&rec_arg, "--stateless", "--snapshots", &snaps_arg]);
            run(cmd)
        }
    })
    .await
    .unwrap();
    assert_eq!(first.code, Some(0), "{first}");
    assert!(first.stdout.contains("PASS session-"), "{first}");
    let again = tokio::task::spawn_blocking(move || {
        let mut accept = replay();
        accept.args([
            &rec_arg,
            "--stateless",
            "--snapshots",
            &snaps_arg,
            "--accept",
        ]);
        let accepted = run(accept);
        let mut ci = replay();
        ci.args([&rec_arg, "--stateless", "--snapshots", &snaps_arg])
            .env("CI", "1");
        let stable = run(ci);
        // Another store and profile: the same steps, the same snapshot.
        let mut other = replay();
        other
            .args([&rec_arg, "--stateless", "--snapshots", &snaps_arg])
            .args(["--var", "storeId=mem_store_01jq8m3f7c2v9w4x6y5z0a1b2c"])
            .args(["--var", "profileId=mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c"])
            .env("CI", "1");
        (accepted, stable, run(other))
    })
    .await
    .unwrap();
    assert_eq!(again.0.code, Some(0), "{}", again.0);
    assert_eq!(again.1.code, Some(0), "a stable snapshot\n{}", again.1);
    assert_eq!(
        again.2.code,
        Some(0),
        "replays against another store\n{}",
        again.2
    );
    for snap in std::fs::read_dir(&snaps).unwrap() {
        let text = std::fs::read_to_string(snap.unwrap().path()).unwrap();
        assert!(!text.contains(TOKEN), "{text}");
    }
}

async fn start(target: &str, rec: &Path, gap: Option<Duration>) -> ProxyServer {
    let mut opts = ProxyOptions::new(target);
    opts.record = Some(RecordOptions {
        dir: rec.to_path_buf(),
        session_gap: gap,
    });
    ProxyServer::start(crate::common::contract(), opts)
        .await
        .expect("proxy starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_after_the_idle_gap_and_is_written_at_once() {
    // A mock that asks for no credentials, so a client that sends none is recorded.
    let mock = crate::common::start(ServeOptions {
        enforce_auth: false,
        ..ServeOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = start(&mock.url(), dir.path(), Some(Duration::from_millis(100))).await;
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let anonymous = |url: String| {
        let ids = ids.clone();
        async move { send_anonymous(&url, "GET", &ids, &[], "").await.status }
    };
    assert_eq!(anonymous(proxy.url()).await, 200);
    // Written by the proxy while it runs, once the session has been idle for the
    // gap. (The summary lists a recording once its file is written and has been
    // read back as a scenario: the file can appear a moment before.)
    tokio::time::timeout(WATCHDOG, async {
        while proxy.summary().recordings.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the ended session is written without a shutdown");
    assert_eq!(proxy.summary().recordings.len(), 1);
    assert_eq!(yaml_files(dir.path()).len(), 1);
    assert_eq!(anonymous(proxy.url()).await, 200);
    let summary = proxy.shutdown().await;
    let files = yaml_files(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(summary.recordings.len(), 2, "{summary}");
    assert!(summary.recordings.iter().all(|r| r.steps == 1), "{summary}");
    assert!(summary.recording_errors.is_empty(), "{summary}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // No credentials were sent: the step says so.
        assert!(text.contains("  - auth: none\n"), "{text}");
        mimeo::Scenario::from_file(f, &crate::common::contract()).expect("loads");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_scenario_per_run_and_a_401_is_recorded_as_invalid_credentials() {
    let mock = crate::common::start(ServeOptions {
        auth: Some((SID.into(), "the-right-token".into())),
        ..ServeOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = start(&mock.url(), dir.path(), None).await;
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let wrong = basic();
    let right = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:the-right-token"))
    );
    let sent = [(wrong.as_str(), 401), (right.as_str(), 200)];
    for (auth, status) in sent {
        let reply = send(&proxy.url(), "GET", &ids, &[("authorization", auth)], None).await;
        assert_eq!(reply.status, status);
    }
    let reply = send_anonymous(&proxy.url(), "GET", &ids, &[], "").await;
    assert_eq!(reply.status, 401);
    let summary = proxy.shutdown().await;
    let files = yaml_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(summary.recordings[0].steps, 3, "{summary}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let auths: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  - auth: "))
        .collect();
    assert_eq!(auths, ["invalid", "default", "none"], "{text}");
    assert!(
        !text.contains("the-right-token") && !text.contains(TOKEN),
        "{text}"
    );
    mimeo::Scenario::from_file(&files[0], &crate::common::contract()).expect("loads");
}
