//! The mock's behaviour around the contract: auth, unknown routes, limits, misuse
//! of `Prefer`, rule sequences and latency.

use std::time::Duration;

use crate::common::*;
use mimeo::check_response as run_checks;
use mimeo::Rule;
use mimeo::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fetch_path() -> String {
    format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email")
}

#[tokio::test]
async fn auth_is_enforced_when_asked() {
    let server = start(ServeOptions {
        auth: Some(("ACxx".into(), "secret".into())),
        ..Default::default()
    })
    .await;
    let contract = contract();
    let op = contract.operation_by_id("FetchProfileIdentifier").unwrap();
    // base64("ACxx:secret") and base64("ACxx:wrong")
    let good = ("authorization", "Basic QUN4eDpzZWNyZXQ=");
    let bad = ("authorization", "Basic QUN4eDp3cm9uZw==");
    let none = send_anonymous(&server.url(), "GET", &fetch_path(), &[], "").await;
    let wrong = send(&server.url(), "GET", &fetch_path(), &[bad], None).await;
    // A Twilio helper library's usual credentials are not these exact ones.
    let other = send(&server.url(), "GET", &fetch_path(), &[], None).await;
    for r in [none, wrong, other] {
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["code"], 20003);
        assert!(
            r.header("www-authenticate").unwrap().starts_with("Basic"),
            "{:?}",
            r.headers
        );
        assert!(run_checks(&contract, op, 401, &r.headers, &r.body, None)
            .failures
            .is_empty());
    }
    let r = send(&server.url(), "GET", &fetch_path(), &[good], None).await;
    assert_eq!(r.status, 200);
    let lower = ("authorization", "basic QUN4eDpzZWNyZXQ=");
    assert_eq!(
        send(&server.url(), "GET", &fetch_path(), &[lower], None)
            .await
            .status,
        200,
        "the scheme is case-insensitive"
    );
    // DeleteStore is guarded too, by the document's global requirement.
    let store = format!("/v1/ControlPlane/Stores/{STORE}");
    let r = send_anonymous(&server.url(), "DELETE", &store, &[], "").await;
    assert_eq!(r.status, 401);
    let r = send(&server.url(), "DELETE", &store, &[good], None).await;
    assert_eq!(r.status, 202);
}

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_is_405_in_the_error_shape() {
    let server = start(ServeOptions::default()).await;
    let r = send(&server.url(), "GET", "/v2/Nothing", &[], None).await;
    assert_eq!(r.status, 404);
    let body = r.json();
    assert_eq!(body["code"], 20404);
    assert_eq!(body["status"], 404);
    assert!(body["message"].as_str().unwrap().contains("/v2/Nothing"));
    let r = send(&server.url(), "PUT", &fetch_path(), &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, DELETE, PATCH"));
    let body = r.json();
    assert_eq!(body["status"], 405);
    assert_eq!(body["code"], 405);
    assert_eq!(
        body["more_info"],
        "https://www.twilio.com/docs/api/errors/405"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        4,
        "exactly the error object's fields: {body}"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let server = start(ServeOptions {
        max_body: 1024,
        ..Default::default()
    })
    .await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let big = format!(r#"{{"idType":"email","value":"{}"}}"#, "x".repeat(2000));
    let r = send(&server.url(), "POST", &path, &[], Some(&big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["status"], 413);
    assert!(r.json()["message"].as_str().unwrap().contains("1024 bytes"));
    // Just under the limit is read and validated (and here too long for `value`).
    let r = send(
        &server.url(),
        "POST",
        &path,
        &[],
        Some(&format!(
            r#"{{"idType":"email","value":"{}"}}"#,
            "x".repeat(300)
        )),
    )
    .await;
    assert_eq!(r.status, 400);
}

/// Sends `pieces` as the chunks of a chunked POST, pausing between them so
/// each arrives on its own; the raw answer.
async fn post_in_pieces(server: &mimeo::MockServer, pieces: &[&str]) -> String {
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Basic QUMxMjM6c2VjcmV0\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for piece in pieces {
        s.write_all(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes())
            .await
            .unwrap();
        s.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_body_sent_in_pieces_is_read_whole_and_bounded_whole() {
    let server = start(ServeOptions {
        max_body: 100,
        ..Default::default()
    })
    .await;
    // A valid body cut mid-name and mid-string.
    let text = post_in_pieces(
        &server,
        &[r#"{"idTy"#, r#"pe":"email","val"#, r#"ue":"a@x.io"}"#],
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 202"), "{text}");
    // Pieces that only together break the schema (`idType` longer than 30).
    let long = "e".repeat(20);
    let text = post_in_pieces(
        &server,
        &[r#"{"idType":""#, &long, &long, r#"","value":"a@x.io"}"#],
    )
    .await;
    assert!(
        text.starts_with("HTTP/1.1 400") && text.contains("idType"),
        "{text}"
    );
    // One chunk over the limit.
    let text = post_in_pieces(&server, &[&"y".repeat(150)]).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // Pieces each under the limit that together are over it.
    let piece = "y".repeat(40);
    let text = post_in_pieces(&server, &[&piece, &piece, &piece]).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

#[tokio::test]
async fn misused_prefer_is_an_unmistakable_mock_error() {
    let server = start(ServeOptions::default()).await;
    let r = send(
        &server.url(),
        "GET",
        &fetch_path(),
        &[("prefer", "code=409")],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("mimeo-error"), Some("undocumented-status"));
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("409") && msg.contains("200, 301, 400, 401, 403, 404, 429, 500, 503"),
        "{msg}"
    );
    let r = send(
        &server.url(),
        "GET",
        &fetch_path(),
        &[("prefer", "example=nope")],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("mimeo-error"), Some("unknown-example"));
    let r = send(
        &server.url(),
        "GET",
        &fetch_path(),
        &[("prefer", "code=abc")],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("mimeo-error"), Some("invalid-prefer"));
}

#[tokio::test]
async fn named_examples_and_dynamic_bodies() {
    let server = start(ServeOptions::default()).await;
    let contract = contract();
    let op = contract.operation_by_id("FetchProfileIdentifier").unwrap();
    let name = op.example_names(200)[0].to_string();
    let r = send(
        &server.url(),
        "GET",
        &fetch_path(),
        &[("prefer", &format!("example={name}"))],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        let r = send(
            &server.url(),
            "GET",
            &fetch_path(),
            &[("prefer", "dynamic=true")],
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        assert!(
            run_checks(&contract, op, 200, &r.headers, &r.body, None)
                .failures
                .is_empty(),
            "{:?}",
            r.body
        );
        assert_eq!(
            r.json()["idType"],
            "email",
            "echo holds in dynamic mode too"
        );
        seen.insert(r.body.clone());
    }
    assert!(seen.len() > 1, "dynamic bodies vary");
}

#[tokio::test]
async fn a_rule_sequence_drives_retries() {
    let rule = Rule::from_flag("POST /v1/Stores/*/Profiles/*/Identifiers=429,429,202").unwrap();
    let server = start(ServeOptions {
        rules: vec![rule],
        ..Default::default()
    })
    .await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let body = Some(r#"{"idType":"email","value":"a@b.c"}"#);
    let mut got = Vec::new();
    for _ in 0..4 {
        let r = send(&server.url(), "POST", &path, &[], body).await;
        if r.status == 429 {
            assert_eq!(r.header("retry-after"), Some("1"));
        }
        got.push(r.status);
    }
    assert_eq!(got, vec![429, 429, 202, 202]);
    // Prefer wins over a rule for that one request.
    let r = send(
        &server.url(),
        "POST",
        &path,
        &[("prefer", "code=503")],
        body,
    )
    .await;
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn rules_are_checked_against_the_contract_at_start_up() {
    let c = contract();
    let undocumented = Rule::from_flag("DELETE /v1/ControlPlane/Stores/*=409").unwrap();
    let err = mimeo::MockServer::start(
        c.clone(),
        ServeOptions {
            rules: vec![undocumented],
            ..Default::default()
        },
    )
    .await
    .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("409 is not documented for DELETE /v1/ControlPlane/Stores/{storeId}"),
        "{msg}"
    );
    let nothing = Rule::from_flag("GET /v9/*=200").unwrap();
    let err = mimeo::MockServer::start(
        c,
        ServeOptions {
            rules: vec![nothing],
            ..Default::default()
        },
    )
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("matches no operation"), "{err}");
}

#[tokio::test]
async fn slow_headers_are_disconnected() {
    let server = start(ServeOptions {
        header_timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "the server closed the connection instead of waiting forever"
    );
}

#[tokio::test]
async fn a_client_that_shuts_its_side_after_the_request_still_gets_the_answer() {
    let server = start(ServeOptions::default()).await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let body = r#"{"idType":"email","value":"a@x.io"}"#;
    // Several rounds: hyper used to drop the request only when it saw the
    // end of input before the handler had read the body, a race.
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 202"), "{text:?}");
    }
}

#[tokio::test]
async fn a_body_under_a_transfer_coding_other_than_chunked_is_refused_not_checked_raw() {
    let server = start(ServeOptions::default()).await;
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    // Valid JSON that claims to be gzipped: hyper undoes only the chunking, so
    // taking it would check (and keep) bytes the client says are compressed.
    let body = r#"{"idType":"email","value":"a@x.io"}"#;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("HTTP/1.1 400")
            && text.contains("Transfer-Encoding `gzip` cannot be read"),
        "{text}"
    );
}

#[tokio::test]
async fn a_client_that_shuts_its_side_gets_a_dribbled_answer_whole() {
    // The end of input used to be held back only until the handler returned,
    // and for a second at most: hyper then took it for a client gone and cut
    // a body still being written.
    let server = start(ServeOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\nprefer: dribble=4x2s\r\n\r\n",
        fetch_path()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    s.shutdown().await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the connection ended");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let head = head.to_ascii_lowercase();
    if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")) {
        assert_eq!(body.len(), len.trim().parse::<usize>().unwrap(), "{text:?}");
    } else {
        assert!(head.contains("transfer-encoding: chunked"), "{text:?}");
        assert!(body.ends_with("0\r\n\r\n"), "the body was cut: {text:?}");
    }
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight() {
    let mut cfg = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(
        &mut cfg,
        b"rules:\n  - match: GET /v1/**\n    latency: 300ms\n",
    )
    .unwrap();
    let rules = mimeo::load_config(cfg.path()).unwrap().rules;
    let server = start(ServeOptions {
        rules,
        ..Default::default()
    })
    .await;
    let url = server.url();
    let in_flight = tokio::spawn(async move { send(&url, "GET", &fetch_path(), &[], None).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = server.addr();
    server.shutdown().await;
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200, "the request in flight was answered");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn a_client_gone_during_a_delay_does_not_hold_the_server_at_stop() {
    let server = start(ServeOptions::default()).await;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\nprefer: delay=30s\r\n\r\n",
        fetch_path()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(s); // its own timeout: it gives up
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    server.shutdown().await;
    // Not the 10 s a request still in flight is given.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = start(ServeOptions::default()).await;
    let addr = server.addr();
    assert_eq!(
        send(&server.url(), "GET", &fetch_path(), &[], None)
            .await
            .status,
        200
    );
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "still accepting after drop");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_dynamic_data() {
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let mut runs = Vec::new();
    for seed in [7, 7, 8] {
        let server = start(ServeOptions {
            seed,
            dynamic: true,
            ..Default::default()
        })
        .await;
        let mut bodies = Vec::new();
        for _ in 0..3 {
            bodies.push(send(&server.url(), "GET", &path, &[], None).await.body);
        }
        runs.push(bodies);
    }
    assert_eq!(runs[0], runs[1], "seed 7 twice");
    assert_ne!(runs[0], runs[2], "seed 8 differs");

    // Per session: what another session asks changes nothing, and a reset
    // starts the session's bodies over (one counter for all sessions made a
    // session's bodies depend on the others' traffic).
    let seeded = || {
        start(ServeOptions {
            seed: 7,
            dynamic: true,
            ..Default::default()
        })
    };
    let server = seeded().await;
    let zz = [("x-mimeo-session", "zz")];
    let first = send(&server.url(), "GET", &path, &zz, None).await.body;
    let server = seeded().await;
    let url = server.url();
    for _ in 0..2 {
        send(&url, "GET", &path, &[("x-mimeo-session", "other")], None).await;
    }
    assert_eq!(send(&url, "GET", &path, &zz, None).await.body, first);
    send(&url, "POST", "/__admin/reset?session=zz", &[], None).await;
    assert_eq!(send(&url, "GET", &path, &zz, None).await.body, first);
}

/// Answers of one scheduler pass are written together (`http::together`): with
/// many connections sending at once, each still gets its own answers, whole and
/// in order, pipelined ones included, on a multi-threaded runtime too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_sending_at_once_each_get_their_own_answers_in_order() {
    let server = start(ServeOptions::default()).await;
    let addr = server.addr();
    let path = fetch_path();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(24));
    let mut clients = Vec::new();
    for i in 0..24u16 {
        let (path, start) = (path.clone(), start.clone());
        clients.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            // Each connection asks for its own statuses, so a crossed answer shows.
            let first = [404, 429, 503][usize::from(i % 3)];
            let request = format!(
                "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\nprefer: code={first}\r\n\r\n\
                 GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: {AUTHORIZATION}\r\nconnection: close\r\n\r\n"
            );
            start.wait().await;
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut out = Vec::new();
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out))
                .await
                .expect("answers within 30 s")
                .unwrap();
            (first, String::from_utf8_lossy(&out).into_owned())
        }));
    }
    for client in clients {
        let (first, raw) = client.await.unwrap();
        let answers: Vec<&str> = raw.split("HTTP/1.1 ").filter(|a| !a.is_empty()).collect();
        assert_eq!(answers.len(), 2, "{raw}");
        assert!(answers[0].starts_with(&first.to_string()), "{raw}");
        assert!(answers[1].starts_with("200"), "{raw}");
        for a in answers {
            let (head, body) = a.split_once("\r\n\r\n").expect("a head");
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .expect("content-length")
                .trim()
                .parse()
                .unwrap();
            assert_eq!(body.len(), length, "each answer whole: {a}");
            serde_json::from_str::<serde_json::Value>(body).expect("a JSON body");
        }
    }
}
