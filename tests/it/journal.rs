//! The request journal through the real server: what it keeps, its filters,
//! count and find with patterns, near misses named in contract terms,
//! credentials redacted in every form, the bound, and health.

use crate::common::*;
use mimeo::ServeOptions;
use serde_json::{json, Value};

fn identifiers() -> String {
    format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers")
}

async fn admin(base: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    let text = body.map(|b| b.to_string());
    send(
        base,
        method,
        &format!("/__admin{path}"),
        &[],
        text.as_deref(),
    )
    .await
}

#[tokio::test]
async fn the_journal_keeps_each_request_with_its_verdict_and_reason() {
    let server = start(ServeOptions {
        rules: vec![mimeo::Rule::from_flag("DELETE /v1/ControlPlane/Stores/*=429,202").unwrap()],
        ..ServeOptions::default()
    })
    .await;
    let url = server.url();
    let good = r#"{"idType":"email","value":"ada@example.com"}"#;
    send(
        &url,
        "POST",
        &identifiers(),
        &[("x-mimeo-session", "alice")],
        Some(good),
    )
    .await;
    send(&url, "POST", &identifiers(), &[], Some(r#"{"idType":"e"}"#)).await;
    send(
        &url,
        "GET",
        &format!("{}?__code=404", identifiers()),
        &[],
        None,
    )
    .await;
    send(
        &url,
        "DELETE",
        &format!("/v1/ControlPlane/Stores/{STORE}"),
        &[],
        None,
    )
    .await;
    send(&url, "GET", "/v1/Nowhere", &[], None).await;

    let all = admin(&url, "GET", "/requests", None).await.json();
    assert_eq!(all["meta"]["total"], 5, "{all:#}");
    assert_eq!(all["requestJournalDisabled"], false);
    let reqs = all["requests"].as_array().unwrap();
    // Newest first, as WireMock lists them.
    assert_eq!(reqs[0]["request"]["url"], "/v1/Nowhere");
    assert_eq!(reqs[0]["wasMatched"], false);
    assert_eq!(reqs[0]["status"], 404);
    assert_eq!(reqs[0]["reason"]["kind"], "not-found");
    let rule = &reqs[1];
    assert_eq!(rule["operationId"], "DeleteStore");
    assert_eq!(rule["status"], 429);
    assert_eq!(rule["reason"]["kind"], "rule");
    assert_eq!(rule["reason"]["step"], 1);
    assert_eq!(rule["reason"]["of"], 2);
    let prefer = &reqs[2];
    assert_eq!(prefer["status"], 404);
    assert_eq!(
        prefer["reason"],
        json!({"kind": "prefer", "asked": "code=404"})
    );
    let invalid = &reqs[3];
    assert_eq!(invalid["valid"], false);
    assert_eq!(invalid["status"], 400);
    let rules: Vec<&str> = invalid["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"required") && rules.contains(&"minLength"),
        "{invalid:#}"
    );
    let first = &reqs[4];
    assert_eq!(first["session"], "alice");
    assert_eq!(first["operationId"], "CreateProfileIdentifier");
    assert_eq!(
        first["operation"],
        "POST /v1/Stores/{storeId}/Profiles/{profileId}/Identifiers"
    );
    assert_eq!(first["valid"], true);
    assert_eq!(first["status"], 202);
    assert_eq!(first["responseDefinition"]["status"], 202);
    assert_eq!(first["reason"]["kind"], "default");
    assert_eq!(first["request"]["method"], "POST");
    assert_eq!(first["request"]["body"], good);
    assert_eq!(
        first["request"]["headers"]["content-type"],
        "application/json"
    );
    assert_eq!(first["request"]["clientIp"], "127.0.0.1");
    assert!(first["request"]["absoluteUrl"]
        .as_str()
        .unwrap()
        .starts_with(&url));
    assert!(first["request"]["loggedDate"].as_i64().unwrap() > 1_600_000_000_000);
    assert!(first["request"]["loggedDateString"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // Filters.
    let count = |v: &Value| v["requests"].as_array().unwrap().len();
    assert_eq!(
        count(
            &admin(&url, "GET", "/requests?session=alice", None)
                .await
                .json()
        ),
        1
    );
    assert_eq!(
        count(
            &admin(&url, "GET", "/requests?unmatched=true", None)
                .await
                .json()
        ),
        1
    );
    assert_eq!(
        count(&admin(&url, "GET", "/requests/unmatched", None).await.json()),
        1
    );
    assert_eq!(
        count(
            &admin(&url, "GET", "/requests?invalid=true", None)
                .await
                .json()
        ),
        1
    );
    assert_eq!(
        count(
            &admin(
                &url,
                "GET",
                "/requests?operation=CreateProfileIdentifier",
                None
            )
            .await
            .json()
        ),
        2
    );
    let limited = admin(&url, "GET", "/requests?limit=2", None).await.json();
    assert_eq!(count(&limited), 2);
    assert_eq!(limited["meta"]["matched"], 5);
    let future = admin(&url, "GET", "/requests?since=2999-01-01T00:00:00Z", None)
        .await
        .json();
    assert_eq!(count(&future), 0);
    let bad = admin(&url, "GET", "/requests?since=yesterday", None).await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"].as_str().unwrap().contains("RFC 3339"));
    // One entry by id.
    let id = first["id"].as_str().unwrap();
    let one = admin(&url, "GET", &format!("/requests/{id}"), None)
        .await
        .json();
    assert_eq!(one["request"]["session"], "alice");

    // The Rust API shows the same, oldest first.
    let seen = server.received_requests();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0].session, "alice");

    // Clearing a session, then all.
    let removed = admin(&url, "DELETE", "/requests?session=alice", None)
        .await
        .json();
    assert_eq!(removed["removed"], 1);
    admin(&url, "DELETE", "/requests", None).await;
    assert_eq!(
        count(&admin(&url, "GET", "/requests", None).await.json()),
        0
    );
}

#[tokio::test]
async fn count_and_find_with_request_patterns() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    for (id_type, session) in [("email", "a"), ("phone", "a"), ("email", "b")] {
        let body = format!(r#"{{"idType":"{id_type}","value":"x@example.com"}}"#);
        send(
            &url,
            "POST",
            &identifiers(),
            &[("x-mimeo-session", session)],
            Some(&body),
        )
        .await;
    }
    send(&url, "GET", &format!("{}/email", identifiers()), &[], None).await;

    let count = |pattern: Value| {
        let url = url.clone();
        async move {
            let r = admin(&url, "POST", "/requests/count", Some(pattern)).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            r.json()["count"].as_u64().unwrap()
        }
    };
    assert_eq!(count(json!({})).await, 4);
    assert_eq!(count(json!({"method": "POST"})).await, 3);
    assert_eq!(
        count(json!({"operationId": "CreateProfileIdentifier", "session": "a"})).await,
        2
    );
    assert_eq!(
        count(json!({"pathTemplate": "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}"})).await,
        1
    );
    assert_eq!(
        count(json!({"bodyPatterns": [{"jsonPointer": "/idType", "equalTo": "email"}]})).await,
        2
    );
    assert_eq!(
        count(json!({"bodyPatterns": [{"jsonPointer": "/value", "matches": "x@.*"}, {"jsonPointer": "/idType", "equalToJson": "phone"}]})).await,
        1
    );
    // WireMock's string form of equalToJson (JSON text), on the whole body.
    let text = r#"{"value": "x@example.com", "idType": "phone"}"#;
    assert_eq!(
        count(json!({"bodyPatterns": [{"equalToJson": text}]})).await,
        1
    );
    // A pattern is an object: `[]` matched everything.
    let r = admin(&url, "POST", "/requests/count", Some(json!([]))).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    // Nothing there: the three bodies without it, and the GET without a body.
    assert_eq!(
        count(json!({"bodyPatterns": [{"jsonPointer": "/nope", "absent": true}]})).await,
        4
    );
    assert_eq!(
        count(json!({"headers": {"Content-Type": {"contains": "json"}}, "method": "POST"})).await,
        3
    );
    assert_eq!(
        count(json!({"headers": {"X-Mimeo-Session": {"absent": true}}})).await,
        1
    );
    assert_eq!(
        count(json!({"urlPathPattern": "/v1/Stores/[^/]+/Profiles/[^/]+/Identifiers/email"})).await,
        1
    );

    let found = admin(
        &url,
        "POST",
        "/requests/find",
        Some(json!({"method": "POST", "session": "b"})),
    )
    .await
    .json();
    let found = found["requests"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0]["request"]["body"]
        .as_str()
        .unwrap()
        .contains("email"));

    // Mistakes are named, never ignored.
    let typo = admin(
        &url,
        "POST",
        "/requests/count",
        Some(json!({"metod": "GET"})),
    )
    .await;
    assert_eq!(typo.status, 400);
    assert!(
        typo.json()["message"].as_str().unwrap().contains("metod"),
        "{:?}",
        typo.body
    );
    let regex = admin(
        &url,
        "POST",
        "/requests/count",
        Some(json!({"urlPathPattern": "("})),
    )
    .await;
    assert_eq!(regex.status, 400);
    assert!(regex.json()["message"]
        .as_str()
        .unwrap()
        .contains("urlPathPattern"));

    // Remove by pattern, and the Rust API's count.
    let removed = admin(
        &url,
        "POST",
        "/requests/remove",
        Some(json!({"method": "GET"})),
    )
    .await
    .json();
    assert_eq!(removed["removed"], 1);
    let pattern = mimeo::journal::RequestPattern::new()
        .method("POST")
        .session("a");
    assert_eq!(server.count(&pattern).unwrap(), 2);
}

#[tokio::test]
async fn near_misses_name_the_closest_operation_and_what_differs() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    // `Profile` for `Profiles`.
    let typo = format!("/v1/Stores/{STORE}/Profile/{PROFILE}/Identifiers");
    send(
        &url,
        "POST",
        &typo,
        &[],
        Some(r#"{"idType":"email","value":"a@b.co"}"#),
    )
    .await;
    // A documented path with the wrong method.
    send(&url, "PUT", &identifiers(), &[], None).await;
    // A request that matched but broke the contract.
    send(
        &url,
        "POST",
        &identifiers(),
        &[],
        Some(r#"{"idType":"email"}"#),
    )
    .await;
    send(&url, "GET", &identifiers(), &[], None).await; // fine: no near miss

    let misses = admin(&url, "GET", "/requests/unmatched/near-misses", None)
        .await
        .json();
    let misses = misses["nearMisses"].as_array().unwrap().clone();
    assert_eq!(misses.len(), 3, "{misses:#?}");
    let invalid = &misses[0];
    assert_eq!(invalid["kind"], "invalid");
    assert_eq!(
        invalid["closest"][0]["operationId"],
        "CreateProfileIdentifier"
    );
    assert_eq!(invalid["violations"][0]["rule"], "required");
    let method = &misses[1];
    assert_eq!(method["kind"], "unmatched");
    let closest = &method["closest"][0];
    assert_eq!(
        closest["differences"][0],
        "method: the request is PUT, the operation takes GET"
    );
    let typo_miss = &misses[2];
    let closest = &typo_miss["closest"][0];
    assert_eq!(
        closest["operationId"], "CreateProfileIdentifier",
        "{typo_miss:#}"
    );
    assert_eq!(
        closest["differences"],
        json!(["segment 4: the request has `Profile`, the template `Profiles`"])
    );
    assert!(closest["distance"].as_f64().unwrap() < 0.1);
    assert!(typo_miss["closest"].as_array().unwrap().len() <= 3);
    // The Rust API says the same.
    assert_eq!(
        server.near_misses()[2].closest[0].operation_id.as_deref(),
        Some("CreateProfileIdentifier")
    );
}

#[tokio::test]
async fn credentials_never_show_in_the_journal() {
    let server = start(ServeOptions {
        auth: Some(("ACxx".into(), "server-s3cret".into())),
        ..ServeOptions::default()
    })
    .await;
    let url = server.url();
    let sid = format!("AC{}", "0".repeat(32));
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{sid}:t0ken-value-42"))
    };
    let auth = format!("Basic {basic}");
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
    let body = format!(
        r#"{{"idType":"email","value":"t0ken-value-42","password":"hunter2","note":"{jwt}"}}"#
    );
    send(
        &url,
        "POST",
        &format!("{}?api_key=k-998877&echo=t0ken-value-42", identifiers()),
        &[
            ("authorization", auth.as_str()),
            ("x-api-key", "abc-123-xyz"),
            ("cookie", "sid=cookie-v4lue"),
            ("x-note", "server-s3cret"),
        ],
        Some(&body),
    )
    .await;
    let raw = admin(&url, "GET", "/requests", None).await;
    let text = String::from_utf8_lossy(&raw.body).to_string();
    for secret in [
        basic.as_str(),
        "t0ken-value-42",
        "k-998877",
        "abc-123-xyz",
        "cookie-v4lue",
        "hunter2",
        jwt,
        sid.as_str(),
        "server-s3cret",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked: {text}");
    }
    let entry = &raw.json()["requests"][0];
    assert_eq!(entry["request"]["headers"]["authorization"], "[redacted]");
    assert_eq!(entry["request"]["headers"]["x-api-key"], "[redacted]");
    assert_eq!(
        entry["session"], "[redacted]",
        "a Basic user shaped like an Account SID"
    );
    assert!(entry["request"]["url"]
        .as_str()
        .unwrap()
        .contains("api_key=%5Bredacted%5D"));
    assert!(
        text.contains("\\\"password\\\":\\\"[redacted]\\\""),
        "{text}"
    );
    // Patterns match what is shown, so a secret cannot be probed through them.
    let probe = admin(
        &url,
        "POST",
        "/requests/count",
        Some(json!({"headers": {"x-api-key": {"contains": "abc"}}})),
    )
    .await
    .json();
    assert_eq!(probe["count"], 0);
}

#[tokio::test]
async fn the_journal_is_bounded_and_can_be_disabled() {
    let server = start(ServeOptions {
        journal_size: 3,
        ..ServeOptions::default()
    })
    .await;
    let url = server.url();
    for i in 0..6 {
        send(&url, "GET", &format!("{}?n={i}", identifiers()), &[], None).await;
    }
    let all = admin(&url, "GET", "/requests", None).await.json();
    let urls: Vec<&str> = all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 3, "the oldest are dropped: {urls:?}");
    assert!(
        urls[0].ends_with("n=5") && urls[2].ends_with("n=3"),
        "{urls:?}"
    );
    // The verdict still counts every request.
    assert_eq!(server.verdict().requests, 6);

    let off = start(ServeOptions {
        journal_size: 0,
        ..ServeOptions::default()
    })
    .await;
    send(&off.url(), "GET", &identifiers(), &[], None).await;
    let list = admin(&off.url(), "GET", "/requests", None).await.json();
    assert_eq!(list["requestJournalDisabled"], true);
    let count = admin(&off.url(), "POST", "/requests/count", Some(json!({}))).await;
    assert_eq!(count.status, 409);
    assert_eq!(count.header("mimeo-error"), Some("journal-disabled"));
    assert!(off.received_requests().is_empty());
}

#[tokio::test]
async fn health_answers_and_reset_clears_the_sessions_journal() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    let health = admin(&url, "GET", "/health", None).await;
    assert_eq!(health.status, 200);
    let h = health.json();
    assert_eq!(h["status"], "healthy");
    assert_eq!(h["operations"], 7);
    assert_eq!(h["journal"]["capacity"], 10_000);
    send(
        &url,
        "GET",
        &identifiers(),
        &[("x-mimeo-session", "s1")],
        None,
    )
    .await;
    send(
        &url,
        "GET",
        &identifiers(),
        &[("x-mimeo-session", "s2")],
        None,
    )
    .await;
    send(
        &url,
        "POST",
        "/__admin/reset",
        &[("x-mimeo-session", "s1")],
        None,
    )
    .await;
    let left = admin(&url, "GET", "/requests", None).await.json();
    assert_eq!(left["requests"].as_array().unwrap().len(), 1);
    assert_eq!(left["requests"][0]["session"], "s2");
    let unknown = admin(&url, "GET", "/nope", None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["message"]
        .as_str()
        .unwrap()
        .contains("/requests/count"));
}

/// A filter misspelt or given a value that is not a boolean is a 400 naming
/// it and what is taken, as a bad `limit` or `since` is: `?invalid=yes` and
/// `?invlid=true` listed every entry, as if each had matched.
#[tokio::test]
async fn unknown_filters_and_bad_booleans_are_refused() {
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    let good = r#"{"idType":"email","value":"ada@example.com"}"#;
    send(&url, "POST", &identifiers(), &[], Some(good)).await;
    send(&url, "POST", &identifiers(), &[], Some(r#"{"idType":"e"}"#)).await;
    let refused = |path: &'static str, method: &'static str, message: &'static str| {
        let url = url.clone();
        async move {
            let r = admin(&url, method, path, None).await;
            assert_eq!(r.status, 400, "{path}: {:?}", r.body);
            let body = r.json();
            assert_eq!(body["mimeo_error"], "invalid-admin-request", "{body}");
            assert_eq!(body["message"], message, "{path}");
        }
    };
    refused(
        "/requests?invalid=yes",
        "GET",
        "invalid=`yes` is not a boolean; give true or false (or 1 or 0)",
    )
    .await;
    refused(
        "/requests/unmatched?unmatched=maybe",
        "GET",
        "unmatched=`maybe` is not a boolean; give true or false (or 1 or 0)",
    )
    .await;
    refused(
        "/requests?invlid=true",
        "GET",
        "unknown query parameter `invlid`; GET /requests takes since, limit, session, operation, unmatched, invalid",
    )
    .await;
    refused(
        "/requests/unmatched/near-misses?limt=3",
        "GET",
        "unknown query parameter `limt`; GET /requests/unmatched/near-misses takes limit",
    )
    .await;
    refused(
        "/requests?sesion=alice",
        "DELETE",
        "unknown query parameter `sesion`; DELETE /requests takes session",
    )
    .await;
    refused(
        "/reset?all=yes",
        "POST",
        "all=`yes` is not a boolean; give true or false (or 1 or 0)",
    )
    .await;
    // A misspelt session reset (or showed) the caller's own.
    refused(
        "/reset?sesion=ci-7",
        "POST",
        "unknown query parameter `sesion`; POST /reset takes session, all",
    )
    .await;
    refused(
        "/state?sesion=ci-7",
        "GET",
        "unknown query parameter `sesion`; GET /state takes session",
    )
    .await;
    // The refused DELETE removed nothing; the accepted spellings still filter.
    let count = |v: Value| v["requests"].as_array().unwrap().len();
    for (query, n) in [
        ("invalid=true", 1),
        ("invalid", 1),
        ("invalid=1", 1),
        ("invalid=false", 2),
        ("invalid=0", 2),
    ] {
        let path = format!("/requests?{query}");
        assert_eq!(
            count(admin(&url, "GET", &path, None).await.json()),
            n,
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_long_session_name_finds_its_requests_everywhere() {
    // A pytest node id of 137 characters as X-Mimeo-Session was kept as a hash:
    // ?session=NAME and {"session": NAME} found nothing, and a reset of NAME
    // answered 200 and reset nothing.
    let server = start(ServeOptions::default()).await;
    let url = server.url();
    let name = format!(
        "tests/test_memory.py::TestIdentifiers::test_{}",
        "x".repeat(100)
    );
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let session = [("x-mimeo-session", name.as_str())];
    assert_eq!(
        send(&url, "GET", &identifiers(), &session, None)
            .await
            .status,
        200
    );
    let listed = admin(&url, "GET", &format!("/requests?session={encoded}"), None).await;
    assert_eq!(listed.json()["meta"]["total"], 1, "{:?}", listed.body);
    let count = admin(
        &url,
        "POST",
        "/requests/count",
        Some(json!({"session": name})),
    )
    .await;
    assert_eq!(count.json()["count"], 1, "{:?}", count.body);
    let reset = admin(&url, "POST", &format!("/reset?session={encoded}"), None).await;
    assert_eq!(reset.status, 200, "{:?}", reset.body);
    let listed = admin(&url, "GET", &format!("/requests?session={encoded}"), None).await;
    assert_eq!(listed.json()["meta"]["total"], 0, "{:?}", listed.body);
}
