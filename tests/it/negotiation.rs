//! Content negotiation through the real server: the media type answered
//! follows `Accept` among the documented ones (q-values, `type/*`, `*/*`, JSON
//! first among equals), a `*/*` body documented by a string example is sent as
//! text (never as a JSON string), and an `Accept` nothing documented satisfies
//! is a 406 counted as a violation.

use std::sync::Arc;

use crate::common::send;
use mimeo::{check_response, Contract, MockServer, ServeOptions};

async fn server() -> (Arc<Contract>, MockServer) {
    let c = Arc::new(Contract::from_file("tests/fixtures/responses.yaml").expect("loads"));
    let s = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    (c, s)
}

#[tokio::test]
async fn the_media_type_follows_accept() {
    let (c, server) = server().await;
    let op = c.operation_by_id("getItem").unwrap();
    let cases = [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("text/csv"), "text/csv"),
        (Some("text/*"), "text/csv"),
        (
            Some("application/xml, application/json;q=0.9"),
            "application/xml",
        ),
        (Some("application/json;q=0.2, text/csv;q=0.5"), "text/csv"),
        (Some("application/*"), "application/json"),
        (Some("text/csv;q=0, */*;q=0.1"), "application/json"),
        (Some("text/html, application/xml;q=0.3"), "application/xml"),
    ];
    for (accept, wanted) in cases {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = send(&server.url(), "GET", "/items/it_001", &headers, None).await;
        assert_eq!(r.status, 200, "{accept:?}");
        assert_eq!(r.header("content-type"), Some(wanted), "{accept:?}");
        let failures = check_response(&c, op, 200, &r.headers, &r.body, None).failures;
        assert!(failures.is_empty(), "{accept:?}: {failures:?}");
        if wanted == "text/csv" {
            assert_eq!(&r.body[..], b"id,name\nit_001,lamp\n");
        }
    }
    // Nothing fits: 406, in the contract's error shape, counted as a violation.
    let r = send(
        &server.url(),
        "GET",
        "/items/it_001",
        &[("accept", "image/png")],
        None,
    )
    .await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["message"].as_str().unwrap().contains("text/csv"));
    let v = server.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, "accept");
    // An error goes out even when Accept does not admit its media type.
    let r = send(
        &server.url(),
        "GET",
        "/items/bad",
        &[("accept", "text/csv")],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn a_wildcard_text_body_is_never_a_json_string() {
    let (c, server) = server().await;
    let op = c.operation_by_id("getRaw").unwrap();
    for (accept, wanted) in [
        (None, "text/plain"),
        (Some("*/*"), "text/plain"),
        (Some("text/markdown, */*;q=0.1"), "text/markdown"),
        (Some("application/json, text/plain;q=0.5"), "text/plain"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        for prefer in ["dynamic=false", "dynamic=true"] {
            let mut h = headers.clone();
            h.push(("prefer", prefer));
            let r = send(&server.url(), "GET", "/raw", &h, None).await;
            assert_eq!(r.status, 200, "{accept:?}");
            assert_eq!(r.header("content-type"), Some(wanted), "{accept:?}");
            assert!(
                !r.body.starts_with(b"\""),
                "{accept:?} {prefer}: {:?}",
                r.body
            );
            if prefer == "dynamic=false" {
                assert_eq!(&r.body[..], b"plain words");
            }
            let failures = check_response(&c, op, 200, &r.headers, &r.body, None).failures;
            assert!(failures.is_empty(), "{failures:?}");
        }
    }
    // A client that asked for JSON only is told the answer is not JSON.
    let r = send(
        &server.url(),
        "GET",
        "/raw",
        &[("accept", "application/json")],
        None,
    )
    .await;
    assert_eq!(r.status, 406, "{:?}", r.body);
}

#[tokio::test]
async fn a_range_of_another_type_answers_with_a_concrete_type_inside_it() {
    let c = Arc::new(Contract::from_file("tests/fixtures/media-ranges.yaml").expect("loads"));
    let server = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    for (path, id, accept, wanted) in [
        ("/sound", "getSound", None, Some("audio/mpeg")),
        ("/sound", "getSound", Some("*/*"), Some("audio/mpeg")),
        ("/sound", "getSound", Some("audio/*"), Some("audio/mpeg")),
        (
            "/sound",
            "getSound",
            Some("audio/ogg, */*;q=0.1"),
            Some("audio/ogg"),
        ),
        ("/sound", "getSound", Some("image/png"), None),
        ("/picture", "getPicture", None, Some("image/png")),
        ("/picture", "getPicture", Some("*/*"), Some("image/png")),
        (
            "/picture",
            "getPicture",
            Some("image/webp"),
            Some("image/webp"),
        ),
        ("/picture", "getPicture", Some("audio/*"), None),
        // An object under `application/*` keeps its stand-in type, whatever
        // application type the client names.
        (
            "/blob",
            "getBlob",
            Some("application/json"),
            Some("application/octet-stream"),
        ),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = send(&server.url(), "GET", path, &headers, None).await;
        let Some(wanted) = wanted else {
            assert_eq!(r.status, 406, "{path} {accept:?}: {:?}", r.body);
            continue;
        };
        assert_eq!(r.status, 200, "{path} {accept:?}: {:?}", r.body);
        assert_eq!(r.header("content-type"), Some(wanted), "{path} {accept:?}");
        let op = c.operation_by_id(id).unwrap();
        let failures = check_response(&c, op, 200, &r.headers, &r.body, None).failures;
        assert!(failures.is_empty(), "{path} {accept:?}: {failures:?}");
    }
    // An error mimeo makes goes in its documented range even when Accept
    // admits none of it.
    let headers = [("accept", "application/json")];
    let r = send(&server.url(), "GET", "/picture?size=big", &headers, None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.header("content-type"), Some("image/png"));
}
