//! Contract verdicts that gate CI, through the real binary: `mimeo serve` and
//! `mimeo proxy` with `--fail-on-violation --report r.xml --report-json r.json`
//! exit 1 on SIGTERM (or `POST /__admin/shutdown`) when a client sent one
//! invalid request, with a JUnit failure naming the rule, and 0 when every
//! request kept the contract.

use crate::common::proxy::{spawn, spawn_command};
use crate::common::*;

fn add_path() -> String {
    format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers")
}

const GOOD: &str = r#"{"idType":"email","value":"ada@example.com"}"#;
/// Breaks `required` (no value).
const BAD: &str = r#"{"idType":"email"}"#;

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn serve_fails_ci_on_one_invalid_request_and_names_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("r.xml");
    let json = dir.path().join("r.json");
    let (xml_s, json_s) = (xml.to_str().unwrap(), json.to_str().unwrap());
    let server = spawn_command(
        "serve",
        &[
            "--port",
            "0",
            "--fail-on-violation",
            "--report",
            xml_s,
            "--report-json",
            json_s,
        ],
    );
    assert_eq!(
        send(&server.url, "POST", &add_path(), &[], Some(GOOD))
            .await
            .status,
        202
    );
    assert_eq!(
        send(&server.url, "POST", &add_path(), &[], Some(BAD))
            .await
            .status,
        400
    );
    assert_eq!(
        send(
            &server.url,
            "GET",
            &format!("{}/email", add_path()),
            &[],
            None
        )
        .await
        .status,
        200
    );
    let out = server.stop();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("CreateProfileIdentifier"), "{out}");
    assert!(out.stderr.contains("request_valid/required 1"), "{out}");
    assert!(
        out.stderr.contains("coverage: 2 of 7 operations called"),
        "{out}"
    );

    let junit = read(&xml);
    assert!(
        junit.contains("<testsuites name=\"mimeo serve\" tests=\"2\""),
        "{junit}"
    );
    assert!(junit.contains("failures=\"1\""), "{junit}");
    assert!(junit.contains("name=\"CreateProfileIdentifier (POST /v1/Stores/{storeId}/Profiles/{profileId}/Identifiers)\""), "{junit}");
    assert!(junit.contains("type=\"request_valid/required\""), "{junit}");
    assert!(
        junit.contains("1 of 2 request(s) broke the contract: request_valid/required 1"),
        "{junit}"
    );
    assert!(
        junit.contains(&format!("POST {}", add_path())),
        "the request is named: {junit}"
    );
    assert!(
        junit.contains("&quot;value&quot; is a required property"),
        "{junit}"
    );
    assert!(
        junit.contains("coverage: 2 of 7 operations called"),
        "{junit}"
    );

    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["violating"], 1);
    assert_eq!(report["requests"], 3);
    let create = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operationId"] == "CreateProfileIdentifier")
        .unwrap();
    assert_eq!(create["calls"], 2);
    assert_eq!(create["statuses"]["202"], 1);
    assert_eq!(create["statuses"]["400"], 1);
    assert_eq!(create["failures"][0]["rule"], "required");
    assert_eq!(report["coverage"]["operationsCalled"], 2);
}

#[tokio::test]
async fn serve_exits_0_when_every_request_conforms_and_stops_on_admin_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("r.xml");
    let server = spawn_command(
        "serve",
        &[
            "--port",
            "0",
            "--fail-on-violation",
            "--report",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(
        send(&server.url, "POST", &add_path(), &[], Some(GOOD))
            .await
            .status,
        202
    );
    let out = server.stop();
    assert_eq!(out.code, Some(0), "{out}");
    let junit = read(&xml);
    assert!(
        junit.contains("tests=\"1\"") && junit.contains("failures=\"0\""),
        "{junit}"
    );

    // POST /__admin/shutdown stops it the same way, reports written.
    let xml2 = dir.path().join("r2.xml");
    let server = spawn_command(
        "serve",
        &[
            "--port",
            "0",
            "--fail-on-violation",
            "--report",
            xml2.to_str().unwrap(),
        ],
    );
    // A path no operation has is a violation too.
    assert_eq!(
        send(&server.url, "GET", "/v1/Nowhere", &[], None)
            .await
            .status,
        404
    );
    let r = send(&server.url, "POST", "/__admin/shutdown", &[], None).await;
    assert_eq!(r.status, 200);
    let out = server.wait();
    assert_eq!(out.code, Some(1), "{out}");
    let junit = read(&xml2);
    assert!(
        junit.contains("requests no operation of the contract serves"),
        "{junit}"
    );
    assert!(junit.contains("type=\"unknown\""), "{junit}");
}

#[tokio::test]
async fn proxy_gates_ci_the_same_way() {
    let target = start(mimeo::ServeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("p.xml");
    let json = dir.path().join("p.json");
    let args = |xml: &std::path::Path, json: &std::path::Path| {
        vec![
            "--target".to_string(),
            target.url(),
            "--port".into(),
            "0".into(),
            "--quiet".into(),
            "--fail-on-violation".into(),
            "--report".into(),
            xml.display().to_string(),
            "--report-json".into(),
            json.display().to_string(),
        ]
    };
    let a = args(&xml, &json);
    let proxy = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        send(&proxy.url, "POST", &add_path(), &[], Some(GOOD))
            .await
            .status,
        202
    );
    assert_eq!(
        send(&proxy.url, "POST", &add_path(), &[], Some(BAD))
            .await
            .status,
        400
    );
    let out = proxy.stop();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("request_valid/required 1"), "{out}");
    let junit = read(&xml);
    assert!(
        junit.contains("<testsuites name=\"mimeo proxy\""),
        "{junit}"
    );
    assert!(junit.contains("type=\"request_valid/required\""), "{junit}");
    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(report["tool"], "mimeo proxy");
    assert_eq!(report["violating"], 1);

    let (xml, json) = (dir.path().join("ok.xml"), dir.path().join("ok.json"));
    let a = args(&xml, &json);
    let proxy = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        send(&proxy.url, "POST", &add_path(), &[], Some(GOOD))
            .await
            .status,
        202
    );
    let out = proxy.stop();
    assert_eq!(out.code, Some(0), "{out}");
    assert!(read(&xml).contains("failures=\"0\""));
}

#[tokio::test]
async fn a_request_that_is_not_http_fails_ci_too() {
    // A client that forgot to percent-encode a space got hyper's bare 400, and
    // nothing counted it: `--fail-on-violation` passed. An h2c client's
    // connection was dropped with no trace.
    use std::io::{Read, Write};
    for (mode, args) in [("serve", &["--port", "0"][..]), ("proxy", &[][..])] {
        let mock = spawn_command("serve", &["--port", "0"]);
        let mut all = vec!["--fail-on-violation"];
        all.extend_from_slice(args);
        let target;
        if mode == "proxy" {
            target = mock.url.clone();
            all.extend_from_slice(&["--port", "0", "--target", &target]);
        }
        let running = spawn_command(mode, &all);
        let addr = running.url.trim_start_matches("http://").to_string();
        for raw in [
            format!("GET /v1/Stores/a b HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_string(),
        ] {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            s.write_all(raw.as_bytes()).unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if raw.starts_with("GET") {
                assert!(answer.starts_with("HTTP/1.1 400"), "{mode}: {answer}");
            }
        }
        let stopped = running.stop();
        assert_eq!(stopped.code, Some(1), "{mode}: {stopped}");
        assert!(
            stopped.stderr.contains("(unread request) -> 400"),
            "{mode}: {stopped}"
        );
        assert!(
            stopped.stderr.contains("h2c prior knowledge"),
            "{mode}: {stopped}"
        );
        if mode == "proxy" {
            // The summary counts them as the verdict and the log do.
            assert!(
                stopped.stderr.contains("mimeo proxy: 2 exchange(s): 0 answered by the target, 2 by the proxy, 0 target error(s); 2 with violations"),
                "{stopped}"
            );
            assert!(
                stopped
                    .stderr
                    .lines()
                    .any(|l| l.starts_with("  request_valid")
                        && l.contains("  2  first: (unread request): ")),
                "{stopped}"
            );
        }
        mock.stop();
    }
}
