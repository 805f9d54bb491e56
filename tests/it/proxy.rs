//! `mimeo proxy`: forwarding that changes nothing, the contract's checks on live
//! traffic, `--strict`, and a target that is down or silent.

use std::future::Future;
use std::time::Duration;

use crate::common::broken::Broken;
use crate::common::{send, send_exact, valid_request, Reply, PROFILE, STORE};
use hyper::header::HeaderMap;
use mimeo::proxy::MAX_CHECKED_BODY;
use mimeo::ServeOptions;
use mimeo::{Check, ProxyOptions, ProxyServer, ProxySummary as Summary};

/// Long enough never to fire; only there to turn a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(60);

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WATCHDOG, f)
        .await
        .expect("finished before the watchdog")
}

async fn proxy(opts: ProxyOptions) -> ProxyServer {
    ProxyServer::start(crate::common::contract(), opts)
        .await
        .expect("proxy starts")
}

/// Headers as sorted `(name, value)` pairs, without `date` (it may tick between
/// two requests) and without hop-by-hop headers.
fn comparable(h: &HeaderMap) -> Vec<(String, String)> {
    // A value's Debug text shows every byte (escaped when not printable).
    let mut v: Vec<(String, String)> = h
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "date" | "connection" | "keep-alive" | "transfer-encoding"
            )
        })
        .map(|(n, v)| (n.as_str().to_string(), format!("{v:?}")))
        .collect();
    v.sort();
    v
}

fn assert_same(what: &str, direct: &Reply, via: &Reply) {
    assert_eq!(via.status, direct.status, "{what}: status");
    assert_eq!(
        comparable(&via.headers),
        comparable(&direct.headers),
        "{what}: headers"
    );
    assert!(
        via.body == direct.body,
        "{what}: body differs\ndirect: {:?}\nproxied: {:?}",
        direct.body,
        via.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_gets_exactly_what_the_mock_sent() {
    let contract = crate::common::contract();
    let mock = crate::common::start(ServeOptions::default()).await;
    let proxy = proxy(ProxyOptions::new(mock.url())).await;
    let mut cases: Vec<(String, String, String, Option<&str>)> = Vec::new();
    for op in contract.operations() {
        let (path, body) = valid_request(op);
        let method = op.method().as_str().to_string();
        cases.push((
            format!("{} default", op.name()),
            method.clone(),
            path.clone(),
            body,
        ));
        // Every documented status, redirects (not followed) and errors included.
        for code in op.documented_codes() {
            let path = format!("{path}?__code={code}");
            cases.push((format!("{} {code}", op.name()), method.clone(), path, body));
        }
    }
    let invalid = format!("/v1/Stores/nope/Profiles/{PROFILE}/Identifiers");
    cases.push((
        "invalid".into(),
        "POST".into(),
        invalid,
        Some(r#"{"idType":"email"}"#),
    ));
    cases.push((
        "unknown path".into(),
        "GET".into(),
        "/v1/Nowhere".into(),
        None,
    ));
    let collection = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    cases.push(("405".into(), "PUT".into(), collection, None));
    let n = cases.len();
    for (what, method, path, body) in &cases {
        let headers = [("accept", "application/json"), ("x-trace", "abc")];
        let direct = within(send(&mock.url(), method, path, &headers, *body)).await;
        let via = within(send(&proxy.url(), method, path, &headers, *body)).await;
        assert_same(what, &direct, &via);
    }
    let summary = proxy.shutdown().await;
    assert_eq!(summary.exchanges, n, "{summary}");
    assert_eq!(summary.forwarded, n, "{summary}");
    assert_eq!(summary.target_errors + summary.refused, 0, "{summary}");
    // The mock keeps the contract: only the requests that do not are reported.
    assert_eq!(summary.count(Check::RequestValid), 2, "{summary}"); // pattern and required value
    assert_eq!(summary.count(Check::Unknown), 2, "{summary}");
    for check in Check::CONTRACT {
        assert_eq!(summary.count(check), 0, "{check}\n{summary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_checked_limit_passes_through_unchanged_and_unjudged() {
    let target = Broken::start();
    let proxy = proxy(ProxyOptions::new(&target.base)).await;
    let via = broken(&proxy, "GET", "/email", "huge").await;
    let big = crate::common::broken::huge_body();
    assert!(big.len() > MAX_CHECKED_BODY);
    assert_eq!(via.status, 200);
    assert_eq!(via.body.len(), big.len());
    assert!(via.body == big.as_bytes(), "the body changed on the way");
    // Cut at the limit, the body would not parse: its checks are skipped, not failed.
    let summary = proxy.shutdown().await;
    assert_eq!(summary.with_violations, 0, "{summary}");
}

/// Sends one request through `proxy` to the broken server, in `mode`.
async fn broken(proxy: &ProxyServer, method: &str, tail: &str, mode: &str) -> Reply {
    let path = format!(
        "/v1/Stores/{}/Profiles/{}/Identifiers{tail}",
        crate::common::broken::STORE,
        crate::common::broken::PROFILE
    );
    let body = (method != "GET").then_some(r#"{"idType":"email","value":"ada@example.com"}"#);
    within(send(
        &proxy.url(),
        method,
        &path,
        &[("x-break", mode)],
        body,
    ))
    .await
}

fn assert_reported(summary: &Summary, check: Check, needles: &[&str]) {
    assert_eq!(summary.count(check), 1, "{check}\n{summary}");
    let first = summary.first(check).unwrap();
    for n in needles {
        assert!(first.contains(n), "{check}: `{n}` missing from `{first}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_named_violation_of_the_target_is_reported() {
    let target = Broken::start();
    let proxy = proxy(ProxyOptions::new(&target.base)).await;

    let ok = broken(&proxy, "GET", "/email", "none").await;
    assert_eq!(ok.status, 200);
    assert_eq!(proxy.summary().with_violations, 0, "{}", proxy.summary());

    // The client gets the broken answers as they are.
    let teapot = broken(&proxy, "GET", "", "teapot").await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.json()["message"], "I'm a teapot");
    assert_eq!(broken(&proxy, "GET", "/email", "schema").await.status, 200);
    assert_eq!(broken(&proxy, "POST", "", "no-location").await.status, 308);
    let text = broken(&proxy, "GET", "/email", "text").await;
    assert_eq!(text.header("content-type"), Some("text/plain"));
    assert_eq!(broken(&proxy, "POST", "", "extra").await.status, 202);
    // The client breaks the contract: reported, and forwarded all the same.
    let path = format!(
        "/v1/Stores/nope/Profiles/{}/Identifiers",
        crate::common::broken::PROFILE
    );
    let invalid = within(send(
        &proxy.url(),
        "POST",
        &path,
        &[],
        Some(r#"{"idType":"email"}"#),
    ))
    .await;
    assert_eq!(invalid.status, 202, "forwarded without --strict");
    let unknown = within(send(&proxy.url(), "GET", "/v1/Nowhere", &[], None)).await;
    assert_eq!(
        unknown.status, 200,
        "forwarded although no operation has the path"
    );

    let summary = proxy.shutdown().await;
    assert_eq!(summary.exchanges, 8, "{summary}");
    assert_eq!(summary.forwarded, 8, "{summary}");
    assert_eq!(summary.with_violations, 7, "{summary}");
    assert_reported(
        &summary,
        Check::StatusDocumented,
        &["418", "ListProfileIdentifiers"],
    );
    assert_reported(&summary, Check::BodySchema, &["/values", "type"]);
    assert_reported(&summary, Check::Headers, &["Location", "308"]);
    assert_reported(
        &summary,
        Check::ContentType,
        &["text/plain", "application/json"],
    );
    assert_reported(&summary, Check::UndocumentedFields, &["/surprise"]);
    assert_eq!(summary.count(Check::RequestValid), 2, "{summary}");
    let first = summary.first(Check::RequestValid).unwrap();
    assert!(
        first.contains("path parameter storeId: pattern:"),
        "{first}"
    );
    assert_reported(
        &summary,
        Check::Unknown,
        &["GET /v1/Nowhere", "no operation"],
    );
    let text = summary.to_string();
    for check in [
        "status_documented",
        "body_schema",
        "headers",
        "content_type",
        "undocumented_fields",
        "request_valid",
        "unknown",
    ] {
        assert!(
            text.contains(check),
            "{check} missing from the summary:\n{text}"
        );
    }
    assert_eq!(target.hits().len(), 8, "everything reached the target");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_answers_a_contract_breaking_request_itself() {
    let target = Broken::start();
    let mut opts = ProxyOptions::new(&target.base);
    opts.strict = true;
    let proxy = proxy(opts).await;
    let path = format!(
        "/v1/Stores/nope/Profiles/{}/Identifiers",
        crate::common::broken::PROFILE
    );
    let refused = within(send(
        &proxy.url(),
        "POST",
        &path,
        &[],
        Some(r#"{"idType":"email"}"#),
    ))
    .await;
    assert_eq!(refused.status, 400);
    let body = refused.json();
    assert_eq!(body["status"], 400, "{body}");
    assert_eq!(body["code"], 400, "the contract's 400 example code: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("path parameter storeId: pattern"),
        "{message}"
    );
    assert!(message.contains("body: required"), "{message}");
    assert_eq!(refused.header("mimeo-error"), Some("request-invalid"));
    assert!(
        target.hits().is_empty(),
        "refused requests are not forwarded: {:?}",
        target.hits()
    );

    // A valid request still goes through.
    assert_eq!(broken(&proxy, "GET", "/email", "none").await.status, 200);
    let summary = proxy.shutdown().await;
    assert_eq!((summary.refused, summary.forwarded), (1, 1), "{summary}");
    assert_eq!(summary.count(Check::RequestValid), 2, "{summary}");
    assert_eq!(target.hits().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_whose_target_is_itself_answers_508_instead_of_looping() {
    // The port is held (bound, never listened on) until the proxy has bound it
    // too: dropped first, another test's server could take it in between. Both
    // sockets allow reuse, which Linux grants while neither listens.
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.set_reuseaddr(true).unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = reserved.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ProxyOptions::new(format!("http://127.0.0.1:{port}"));
    opts.port = port;
    opts.record = Some(mimeo::proxy::RecordOptions {
        dir: dir.path().to_path_buf(),
        session_gap: None,
    });
    let proxy = proxy(opts).await;
    drop(reserved);
    let reply = within(send(&proxy.url(), "GET", "/v1/Nowhere", &[], None)).await;
    assert_eq!(reply.status, 508, "{:?}", reply.body);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("came back to the proxy"),
        "{}",
        reply.json()
    );
    // One request from the client, one that came back: no more. Both were
    // answered by the proxy (the client's with the proxy's own 508, come back),
    // so nothing was recorded as if the API had answered it.
    let summary = proxy.shutdown().await;
    assert_eq!(summary.exchanges, 2, "{summary}");
    assert_eq!((summary.forwarded, summary.refused), (0, 2), "{summary}");
    assert!(summary.recordings.is_empty(), "{summary}");
    assert!(summary.recording_errors.is_empty(), "{summary}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_with_two_lengths_is_framed_by_what_the_proxy_sends() {
    use std::io::{Read, Write};
    let target = crate::common::hostile::Hostile::start(crate::common::hostile::both_lengths);
    let proxy = proxy(ProxyOptions::new(target.base.clone())).await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email");
    let body = r#"{"idType":"email","values":["a@x.io"]}"#;
    let addr = proxy.addr();
    // Two requests pipelined on one connection: the second answer must start
    // exactly where the first one ends.
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: x\r\n\r\nGET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    let answers: Vec<&str> = raw.split("HTTP/1.1 ").filter(|a| !a.is_empty()).collect();
    assert_eq!(answers.len(), 2, "{raw}");
    for a in answers {
        let (head, rest) = a.split_once("\r\n\r\n").expect("a head");
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("200"), "{a}");
        assert!(!head.contains("content-length: 5\r"), "{a}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "the length of what is sent: {a}"
        );
        assert!(rest.starts_with(body), "{a}");
    }
    let summary = proxy.shutdown().await;
    assert_eq!(summary.count(Check::BodySchema), 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_refuses_connections_gets_the_client_a_502() {
    let closed = crate::common::Refused::new();
    let target = closed.url();
    let proxy = proxy(ProxyOptions::new(&target)).await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    for _ in 0..2 {
        let reply = within(send(&proxy.url(), "GET", &path, &[], None)).await;
        assert_eq!(reply.status, 502);
        assert_eq!(reply.header("mimeo-error"), Some("target-unreachable"));
        let body = reply.json();
        assert_eq!(body["status"], 502, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&target), "names the target: {message}");
        assert!(message.contains("cannot be reached"), "{message}");
        assert!(message.contains("cannot connect"), "says why: {message}");
        for field in ["code", "more_info"] {
            assert!(
                body.get(field).is_some(),
                "the contract's error shape: {body}"
            );
        }
    }
    let summary = proxy.shutdown().await;
    assert_eq!(summary.target_errors, 2, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_never_answers_gets_the_client_a_504_and_the_proxy_keeps_serving() {
    let target = Broken::start();
    let mut opts = ProxyOptions::new(&target.base);
    opts.timeout = Duration::from_millis(300);
    let proxy = proxy(opts).await;
    let hung = broken(&proxy, "GET", "/email", "hang").await;
    assert_eq!(hung.status, 504);
    assert_eq!(hung.header("mimeo-error"), Some("target-timeout"));
    let body = hung.json();
    assert_eq!(body["status"], 504, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&target.base),
        "names the target: {message}"
    );
    assert!(message.contains("did not answer in time"), "{message}");
    assert!(message.contains("300ms"), "{message}");

    let next = broken(&proxy, "GET", "/email", "none").await;
    assert_eq!(next.status, 200, "the proxy still serves");
    let summary = proxy.shutdown().await;
    assert_eq!(
        (summary.target_errors, summary.forwarded),
        (1, 1),
        "{summary}"
    );
}

#[test]
fn the_binary_logs_each_exchange_and_prints_the_summary_at_shutdown() {
    let target = Broken::start();
    let path = format!(
        "/v1/Stores/{}/Profiles/{}/Identifiers/email",
        crate::common::broken::STORE,
        crate::common::broken::PROFILE
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for quiet in [false, true] {
        let mut args = vec!["--target", target.base.as_str(), "--port", "0"];
        if quiet {
            args.push("--quiet");
        }
        let running = crate::common::proxy::spawn(&args);
        let url = running.url.clone();
        let reply = runtime.block_on(within(send_exact(
            &url,
            "GET",
            &path,
            &[("x-break", "schema")],
            "",
        )));
        assert_eq!(reply.status, 200);
        let out = running.stop();
        assert_eq!(out.code, Some(0), "{out}");
        assert!(
            out.stdout
                .contains(&format!("mimeo: proxying to {}", target.base)),
            "{out}"
        );
        let line = out.stderr.lines().find(|l| l.contains("] GET /v1/Stores/"));
        if quiet {
            assert!(line.is_none(), "--quiet logs no request line\n{out}");
        } else {
            let line = line.unwrap_or_else(|| panic!("no log line\n{out}"));
            // TIME [client] GET /v1/... -> 200
            assert!(
                line.ends_with(')') && line.contains("Z [127.0.0.1] GET"),
                "{line}"
            );
            assert!(line.contains("-> 200"), "{line}");
            assert!(line.contains("FetchProfileIdentifier"), "{line}");
            assert!(line.contains("body_schema: at /values"), "{line}");
        }
        assert!(out.stderr.contains("mimeo proxy: 1 exchange(s)"), "{out}");
        assert!(
            out.stderr
                .lines()
                .any(|l| l.trim_start().starts_with("body_schema")),
            "the summary counts body_schema\n{out}"
        );
    }
}

#[tokio::test]
async fn a_schema_met_uncompilable_is_told_once_as_a_late_warning() {
    // The mock and the proxy each load the document, as two processes would.
    let load = || {
        std::sync::Arc::new(
            mimeo::Contract::from_file("tests/fixtures/uncompilable.yaml").expect("loads"),
        )
    };
    let mock = mimeo::MockServer::start(load(), ServeOptions::default())
        .await
        .expect("mock starts");
    let proxy = ProxyServer::start(load(), ProxyOptions::new(mock.url()))
        .await
        .expect("proxy starts");
    assert!(proxy.late_warnings().is_empty());
    for _ in 0..2 {
        within(send(
            &proxy.url(),
            "POST",
            "/things",
            &[],
            Some(r#"{"name": "a"}"#),
        ))
        .await;
    }
    let late = proxy.late_warnings();
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(
        late[0].contains("#/components/schemas/Name/type")
            && late[0].contains("cannot be compiled"),
        "{late:?}"
    );
    assert!(proxy.late_warnings().is_empty());
    within(proxy.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_is_checked_decoded_and_forwarded_as_sent() {
    use std::io::Write;
    let mock = crate::common::start(ServeOptions::default()).await;
    let proxy = proxy(ProxyOptions::new(mock.url())).await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"idType":"email","value":"a@b.io"}"#)
        .unwrap();
    let reply = within(crate::common::send_bytes(
        &proxy.url(),
        "POST",
        &path,
        &[
            ("authorization", crate::common::AUTHORIZATION),
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        gz.finish().unwrap().into(),
    ))
    .await;
    // The mock behind it read the gzip it was sent.
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    let summary = proxy.shutdown().await;
    assert_eq!(summary.with_violations, 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_to_a_head_is_not_judged_by_the_body_a_get_would_get() {
    // A documented HEAD with a JSON body for its 200: the mock answers it
    // without a body (RFC 9110 9.3.2), as it must.
    let doc = r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
      "paths": {
        "/things": {"head": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"type": "object",
            "required": ["n"], "properties": {"n": {"type": "integer"}}},
            "example": {"n": 1}}}}}}},
        "/others": {"get": {"responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"type": "object",
            "required": ["n"], "properties": {"n": {"type": "integer"}}},
            "example": {"n": 1}}}}}}}}}"#;
    let load = || std::sync::Arc::new(mimeo::Contract::from_text("head.json", doc).expect("loads"));
    let mock = mimeo::MockServer::start(load(), ServeOptions::default())
        .await
        .expect("mock starts");
    let proxy = ProxyServer::start(load(), ProxyOptions::new(mock.url()))
        .await
        .expect("proxy starts");
    let reply = within(send(&proxy.url(), "HEAD", "/things", &[], None)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(reply.body.is_empty(), "{:?}", reply.body);
    // A GET's body is still judged (and is right).
    let reply = within(send(&proxy.url(), "GET", "/others", &[], None)).await;
    assert_eq!(reply.status, 200);
    // An undocumented HEAD on a GET's path is that GET (as the mock answers
    // it), not an unknown operation; its empty body breaks nothing.
    let reply = within(send(&proxy.url(), "HEAD", "/others", &[], None)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(reply.body.is_empty(), "{:?}", reply.body);
    // Where no GET is, a HEAD is still unknown.
    let reply = within(send(&proxy.url(), "HEAD", "/nowhere", &[], None)).await;
    assert_eq!(reply.status, 404);
    let summary = within(proxy.shutdown()).await;
    assert_eq!(summary.exchanges, 4, "{summary}");
    assert_eq!(summary.with_violations, 1, "{summary}");
}
