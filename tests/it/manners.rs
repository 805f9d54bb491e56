//! Browser and HTTP manners: the exact CORS preflight Chromium sends for a
//! cross-origin `fetch` with a JSON body and a custom header, then the request
//! itself; HEAD where GET is; 406 for an `Accept` the contract cannot satisfy;
//! log lines with a timestamp and the session.

use crate::common::proxy::spawn_command;
use crate::common::*;
use mimeo::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn add_path() -> String {
    format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers")
}

/// Sends raw bytes and reads the whole answer (the server closes after it).
async fn raw(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test]
async fn a_browser_preflight_is_answered_and_the_request_may_be_read() {
    let server = start(ServeOptions::default()).await;
    let addr = server.addr();
    // What Chromium sends before `fetch(url, {method: "POST", headers:
    // {"Content-Type": "application/json", "X-Mimeo-Session": "tab-1"}, body})`
    // from a page on http://localhost:3000.
    let preflight = format!(
        "OPTIONS {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: */*\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,x-mimeo-session\r\nOrigin: http://localhost:3000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Site: same-site\r\nSec-Fetch-Dest: empty\r\nReferer: http://localhost:3000/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US\r\n\r\n",
        add_path()
    );
    let answer = raw(addr, &preflight).await.to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 204"), "{answer}");
    assert!(
        answer.contains("access-control-allow-origin: http://localhost:3000"),
        "{answer}"
    );
    assert!(
        answer.contains("access-control-allow-methods: post"),
        "{answer}"
    );
    assert!(
        answer.contains("access-control-allow-headers: content-type,x-mimeo-session"),
        "{answer}"
    );
    assert!(
        answer.contains("access-control-allow-credentials: true"),
        "{answer}"
    );

    // The request itself: the page may read it, and its headers.
    let r = send(
        &server.url(),
        "POST",
        &add_path(),
        &[
            ("origin", "http://localhost:3000"),
            ("x-mimeo-session", "tab-1"),
        ],
        Some(r#"{"idType":"email","value":"ada@example.com"}"#),
    )
    .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(r.header("vary").unwrap_or("").contains("Origin"));
    // The preflight is journaled, not judged.
    assert_eq!(server.verdict().requests, 1);
    assert_eq!(
        server.received_requests()[0].reason,
        mimeo::journal::Reason::Preflight
    );
    // Admin endpoints are for tests, not pages.
    let a = send(
        &server.url(),
        "GET",
        "/__admin/health",
        &[("origin", "http://evil.example")],
        None,
    )
    .await;
    assert_eq!(a.header("access-control-allow-origin"), None);

    // Off: OPTIONS is just a method the contract does not have.
    let off = start(ServeOptions {
        cors: false,
        ..ServeOptions::default()
    })
    .await;
    let answer = raw(
        off.addr(),
        &preflight.replace(&addr.to_string(), &off.addr().to_string()),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(!answer
        .to_ascii_lowercase()
        .contains("access-control-allow-origin"));
}

#[tokio::test]
async fn head_works_where_get_does() {
    let server = start(ServeOptions::default()).await;
    let path = format!("{}/email", add_path());
    let get = send(&server.url(), "GET", &path, &[], None).await;
    let head = send(&server.url(), "HEAD", &path, &[], None).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(
        head.header("content-length").map(str::to_string),
        Some(get.body.len().to_string())
    );
    // Where there is no GET, HEAD is still a 405.
    let r = send(
        &server.url(),
        "HEAD",
        &format!("/v1/ControlPlane/Stores/{STORE}"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 405);
    // The admin endpoints too: readiness probes (`wait-on`) send HEAD.
    for path in ["/__admin/health", "/__admin/verdict", "/__admin/requests"] {
        let get = send(&server.url(), "GET", path, &[], None).await;
        let head = send(&server.url(), "HEAD", path, &[], None).await;
        assert_eq!((head.status, get.status), (200, 200), "{path}");
        assert!(head.body.is_empty(), "{path}");
    }
    let r = send(&server.url(), "POST", "/__admin/health", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
}

#[tokio::test]
async fn an_accept_no_documented_media_type_satisfies_is_406() {
    let server = start(ServeOptions::default()).await;
    let path = format!("{}/email", add_path());
    let r = send(&server.url(), "GET", &path, &[("accept", "text/xml")], None).await;
    assert_eq!(r.status, 406, "{:?}", r.body);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));
    for ok in [
        "application/json",
        "*/*",
        "application/*",
        "text/html, application/json;q=0.5",
    ] {
        let r = send(&server.url(), "GET", &path, &[("accept", ok)], None).await;
        assert_eq!(r.status, 200, "{ok}");
    }
    let v = server.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].rule, "accept");
}

#[tokio::test]
async fn log_lines_carry_a_timestamp_and_the_session() {
    let server = spawn_command("serve", &["--port", "0"]);
    send(
        &server.url,
        "GET",
        &add_path(),
        &[("x-mimeo-session", "job-7")],
        None,
    )
    .await;
    // Without credentials (and so in the default session): refused, and logged.
    send_anonymous(
        &server.url,
        "GET",
        &format!("{}?token=abc123", add_path()),
        &[],
        "",
    )
    .await;
    let out = server.stop();
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("[job-7]"))
        .unwrap_or_else(|| panic!("{out}"));
    // 2026-11-28T10:00:00.123Z [job-7] GET /v1/... -> 200 0.12ms
    let stamp = line.split(' ').next().unwrap();
    assert!(
        stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{line}"
    );
    assert!(
        line.contains(&format!("[job-7] GET {} -> 200", add_path())),
        "{line}"
    );
    assert!(out.stderr.contains("[default] GET"), "{out}");
    assert!(
        !out.stderr.contains("abc123"),
        "a query credential is not logged: {out}"
    );
}
