//! Faults, delays and dribbles as a real HTTP client meets them: a reset, an
//! empty reply, broken chunking and garbage, each seen as that failure; delays
//! and dribbles measured (bounds, not exact times); `probability` giving the
//! same sequence for the same seed, recorded in the journal, and reset per
//! session.

use std::error::Error as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::common::*;
use mimeo::{Fault, Method, MockServer, Rule, ServeOptions};

fn fetch() -> String {
    format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email")
}

/// What a client saw: the status and body, or the error (with its sources).
enum Seen {
    Answer(u16, #[allow(dead_code)] Bytes),
    /// Failed before the head: the hyper error.
    Request(hyper_util::client::legacy::Error),
    /// The head arrived, the body broke.
    Body(u16, hyper::Error),
}

/// One request on a fresh connection (so no pooled retry can hide a failure).
async fn get(url: &str, path: &str, headers: &[(&str, &str)]) -> Seen {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut req = Request::builder()
        .uri(format!("{url}{path}"))
        .header("authorization", AUTHORIZATION);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    match client.request(req.body(Empty::new()).unwrap()).await {
        Err(e) => Seen::Request(e),
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.into_body().collect().await {
                Ok(b) => Seen::Answer(status, b.to_bytes()),
                Err(e) => Seen::Body(status, e),
            }
        }
    }
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

fn hyper_error(e: &hyper_util::client::legacy::Error) -> &hyper::Error {
    e.source()
        .and_then(|s| s.downcast_ref::<hyper::Error>())
        .unwrap_or_else(|| panic!("not a hyper error: {e:?}"))
}

#[tokio::test]
async fn each_fault_is_the_named_failure_for_a_real_client() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();

    match get(
        &url,
        &fetch(),
        &[("prefer", "fault=CONNECTION_RESET_BY_PEER")],
    )
    .await
    {
        Seen::Request(e) => assert_eq!(
            io_kind(&e),
            Some(std::io::ErrorKind::ConnectionReset),
            "{e:?}"
        ),
        _ => panic!("a reset must fail the request"),
    }
    match get(&url, &format!("{}?__fault=EMPTY_RESPONSE", fetch()), &[]).await {
        Seen::Request(e) => assert!(hyper_error(&e).is_incomplete_message(), "{e:?}"),
        _ => panic!("an empty response must fail the request"),
    }
    match get(
        &url,
        &fetch(),
        &[("prefer", "fault=MALFORMED_RESPONSE_CHUNK")],
    )
    .await
    {
        Seen::Body(status, e) => {
            assert_eq!(status, 200, "the head is a 200");
            assert!(format!("{e:?}").to_lowercase().contains("chunk"), "{e:?}");
        }
        _ => panic!("a malformed chunk must break the body"),
    }
    match get(
        &url,
        &fetch(),
        &[("prefer", "fault=RANDOM_DATA_THEN_CLOSE")],
    )
    .await
    {
        Seen::Request(e) => assert!(hyper_error(&e).is_parse(), "{e:?}"),
        _ => panic!("garbage must fail the request"),
    }
    // The server is unharmed, and the journal says what it did.
    assert!(matches!(
        get(&url, &fetch(), &[]).await,
        Seen::Answer(200, _)
    ));
    let faults: Vec<_> = server
        .received_requests()
        .into_iter()
        .filter(|r| r.status == 0)
        .map(|r| r.reason.to_string())
        .collect();
    assert_eq!(faults.len(), 4, "{faults:?}");
    assert!(faults[0].contains("CONNECTION_RESET_BY_PEER"));
}

/// A mock whose rule answers every fetch with `EMPTY_RESPONSE`.
async fn empty_fetches() -> MockServer {
    MockServer::builder(contract())
        .fault(
            Method::GET,
            "/v1/Stores/*/Profiles/*/Identifiers/*",
            Fault::EmptyResponse,
        )
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn faults_from_rules_and_the_builder() {
    let server = empty_fetches().await;
    match get(&server.url(), &fetch(), &[]).await {
        Seen::Request(e) => assert!(hyper_error(&e).is_incomplete_message(), "{e:?}"),
        _ => panic!("the rule's fault applies"),
    }
    let r = &server.received_requests()[0];
    assert_eq!(
        r.reason.to_string(),
        "fault EMPTY_RESPONSE (rule `GET /v1/Stores/*/Profiles/*/Identifiers/*`)"
    );
}

#[tokio::test]
async fn prefer_wins_over_a_rules_fault_and_takes_none_of_its_steps() {
    // A rule's fault beat `Prefer: code=404`, and a request `Prefer` answered
    // used up a step of the rule's sequence.
    let server = empty_fetches().await;
    let url = server.url();
    for _ in 0..3 {
        assert!(matches!(
            get(&url, &fetch(), &[("prefer", "code=404")]).await,
            Seen::Answer(404, _)
        ));
    }
    let rule = Rule::from_flag(&format!("GET {}=429,429,200", fetch())).unwrap();
    let server = start(ServeOptions {
        rules: vec![rule],
        ..ServeOptions::default()
    })
    .await;
    let url = server.url();
    let mut seen = Vec::new();
    for prefer in ["code=404", "", "", ""] {
        let headers: Vec<_> = (!prefer.is_empty())
            .then_some(("prefer", prefer))
            .into_iter()
            .collect();
        match get(&url, &fetch(), &headers).await {
            Seen::Answer(status, _) => seen.push(status),
            _ => panic!("an answer"),
        }
    }
    assert_eq!(seen, [404, 429, 429, 200]);

    // A rule that only shapes the answer still does, whatever Prefer chooses;
    // Prefer's example alone picks among the examples of the rule's status.
    let slow = Rule::matching(Method::GET, "/v1/**")
        .delay(mimeo::Latency::fixed(Duration::from_millis(300)));
    let server = start(ServeOptions {
        rules: vec![slow],
        ..ServeOptions::default()
    })
    .await;
    let t = Instant::now();
    assert!(matches!(
        get(&server.url(), &fetch(), &[("prefer", "code=404")]).await,
        Seen::Answer(404, _)
    ));
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn delays_and_dribbles_take_their_time() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    let t = Instant::now();
    assert!(matches!(
        get(&url, &fetch(), &[("prefer", "delay=300ms")]).await,
        Seen::Answer(200, _)
    ));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(10),
        "{took:?}"
    );

    // Combinable with code=: a slow 503.
    let t = Instant::now();
    match get(&url, &fetch(), &[("prefer", "code=503, delay=200ms")]).await {
        Seen::Answer(status, _) => assert_eq!(status, 503),
        _ => panic!("an answer"),
    }
    assert!(t.elapsed() >= Duration::from_millis(200));

    // Dribble: the head arrives, then the body in pieces over about a second.
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let req = Request::builder()
        .uri(format!("{url}{}", fetch()))
        .header("prefer", "dribble=4x800ms")
        .header("authorization", AUTHORIZATION)
        .body(Empty::new())
        .unwrap();
    let t = Instant::now();
    let resp = client.request(req).await.unwrap();
    let head = t.elapsed();
    let mut body = resp.into_body();
    let mut pieces = Vec::new();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            pieces.push(t.elapsed());
            bytes.extend_from_slice(&data);
        }
    }
    let done = t.elapsed();
    assert!(
        head < Duration::from_millis(700),
        "the head is not held back: {head:?}"
    );
    assert!(pieces.len() >= 2, "{pieces:?}");
    assert!(
        done >= Duration::from_millis(700) && done < Duration::from_secs(10),
        "{done:?}"
    );
    assert!(
        pieces.last().unwrap().saturating_sub(pieces[0]) >= Duration::from_millis(300),
        "{pieces:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("the whole body, intact");
    assert_eq!(json["idType"], "email");
}

#[tokio::test]
async fn delay_distributions_from_the_config_are_drawn_and_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(
        &path,
        "rules:\n  - match: GET /v1/**\n    delay: {uniform: {lower: 50ms, upper: 150ms}}\n  - match: DELETE /v1/**\n    delay: {lognormal: {median: 20ms, sigma: 0.5, max: 100ms}}\n",
    )
    .unwrap();
    let config = mimeo::load_config(&path).unwrap();
    let server = start(ServeOptions {
        rules: config.rules,
        ..ServeOptions::default()
    })
    .await;
    for _ in 0..3 {
        let t = Instant::now();
        get(&server.url(), &fetch(), &[]).await;
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
    for r in server.received_requests() {
        let ms = r.draws.delay_ms.unwrap();
        assert!((50.0..=150.0).contains(&ms), "{ms}");
        assert!(r.draws.delay_drawn);
    }
}

/// The statuses a session gets for `n` deletes under a 50% rule.
async fn sequence(seed: u64, session: &str, n: usize, server: Option<&MockServer>) -> Vec<u16> {
    let owned;
    let server = match server {
        Some(s) => s,
        None => {
            owned = MockServer::builder(contract())
                .rule(
                    Rule::status(Method::DELETE, "/v1/ControlPlane/Stores/*", 503).probability(0.5),
                )
                .seed(seed)
                .start()
                .await
                .unwrap();
            &owned
        }
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let r = send(
            &server.url(),
            "DELETE",
            &format!("/v1/ControlPlane/Stores/{STORE}"),
            &[("x-mimeo-session", session)],
            None,
        )
        .await;
        out.push(r.status);
    }
    out
}

#[tokio::test]
async fn probability_gives_the_same_sequence_for_the_same_seed() {
    let a = sequence(7, "ci", 24, None).await;
    let b = sequence(7, "ci", 24, None).await;
    let c = sequence(8, "ci", 24, None).await;
    assert_eq!(a, b, "same seed, same session: same draws");
    assert_ne!(a, c, "another seed draws otherwise");
    assert!(a.contains(&503) && a.contains(&202), "{a:?}");

    // Per session, and started over by a reset; the journal records each draw.
    let server = MockServer::builder(contract())
        .rule(Rule::status(Method::DELETE, "/v1/ControlPlane/Stores/*", 503).probability(0.5))
        .seed(7)
        .start()
        .await
        .unwrap();
    let first = sequence(7, "ci", 24, Some(&server)).await;
    assert_eq!(first, a);
    let other = sequence(7, "other", 24, Some(&server)).await;
    assert_ne!(other, a, "another session draws its own");
    send(
        &server.url(),
        "POST",
        "/__admin/reset?session=ci",
        &[],
        None,
    )
    .await;
    assert_eq!(
        sequence(7, "ci", 24, Some(&server)).await,
        a,
        "reset starts the draws over"
    );
    let r = &server.received_requests()[0];
    let draw = &r.draws.probability[0];
    assert_eq!(draw.probability, 0.5);
    assert_eq!(draw.applied, r.status == 503);
    assert!((0.0..1.0).contains(&draw.draw));
}

#[tokio::test]
async fn a_request_given_up_during_its_delay_is_journaled_and_counted() {
    // It was counted and journaled only once its delay was over: a client
    // that timed out first (a test of its own timeout) left no trace, though
    // its request had been answered (and, on a stateful mock, applied).
    use tokio::io::AsyncWriteExt;
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    let addr = url.strip_prefix("http://").unwrap();
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: {addr}\r\nauthorization: {AUTHORIZATION}\r\nprefer: delay=30s\r\n\r\n",
        fetch()
    );
    client.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(client); // gives up long before the answer
    let journal = send(&url, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    let entries = journal["requests"].as_array().expect("a list");
    assert_eq!(entries.len(), 1, "{journal}");
    assert_eq!(entries[0]["status"], 200, "{journal}");
    let total = entries[0]["timing"]["totalMs"].as_f64().unwrap();
    assert!(
        total >= 30_000.0,
        "the answer's time, delay included: {total}"
    );
    let verdict = send(&url, "GET", "/__admin/verdict", &[], None)
        .await
        .json();
    assert_eq!(verdict["requests"], 1, "{verdict}");
}
