//! The Rust API as a user's integration test would use it: a builder with typed
//! options, then asking the mock what the client sent and whether it kept the
//! contract; `assert_no_violations` and the check on drop.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::common::{send, PROFILE, STORE};
use mimeo::journal::{RequestPattern, StringMatcher};
use mimeo::{Contract, Method, MockServer, Rule};

/// Basic ACtest:token.
const AUTH: (&str, &str) = ("authorization", "Basic QUN0ZXN0OnRva2Vu");

/// The client under test: adds an identifier, as an app would (a buggy one
/// forgets the value when it is empty).
async fn client_adds(base: &str, value: &str) -> u16 {
    let body = if value.is_empty() {
        serde_json::json!({"idType": "email"})
    } else {
        serde_json::json!({"idType": "email", "value": value})
    }
    .to_string();
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    send(base, "POST", &path, &[AUTH], Some(&body)).await.status
}

#[tokio::test]
async fn a_test_asks_the_mock_what_its_client_sent() {
    let contract = Arc::new(Contract::embedded().unwrap());
    let server = MockServer::builder(contract)
        .rule(Rule::status(Method::PATCH, "/v1/**", 409))
        .stateful()
        .auth("ACtest", "token")
        .seed(7)
        .start()
        .await
        .unwrap();
    assert_eq!(client_adds(&server.url(), "ada@example.com").await, 202);
    // Stateful: the add is visible.
    let state = server.state(Some("ACtest"));
    assert_eq!(
        state["stores"][STORE]["profiles"][PROFILE]["identifiers"]["email"][0],
        "ada@example.com"
    );

    let sent = server.received_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].operation_id.as_deref(),
        Some("CreateProfileIdentifier")
    );
    assert_eq!(sent[0].request.headers["authorization"], "[redacted]");
    let pattern = RequestPattern::new()
        .operation_id("CreateProfileIdentifier")
        .header("content-type", StringMatcher::contains("json"))
        .body_at("/value", serde_json::json!("ada@example.com"));
    assert_eq!(server.count(&pattern).unwrap(), 1);
    assert!(server.violations().is_empty());
    server.assert_no_violations();

    // The rule from the builder answers.
    let r = send(
        &server.url(),
        "PATCH",
        &format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email"),
        &[AUTH],
        Some(r#"{"idType":"email","oldValue":"a@x.io","newValue":"b@x.io"}"#),
    )
    .await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn a_client_that_breaks_the_contract_fails_the_test() {
    let contract = Arc::new(Contract::embedded().unwrap());
    let server = MockServer::builder(contract.clone()).start().await.unwrap();
    assert_eq!(client_adds(&server.url(), "").await, 400); // value: required
    let violations = server.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].rule, "required");
    let panic = std::panic::catch_unwind(AssertUnwindSafe(|| server.assert_no_violations()))
        .expect_err("a violation fails the test");
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("1 of 1 request(s) broke the contract"),
        "{message}"
    );
    assert!(message.contains("[request_valid/required]"), "{message}");
    assert!(
        message.contains(&format!("POST /v1/Stores/{STORE}")),
        "{message}"
    );

    // Checked on drop when asked, like wiremock-rs's expectations.
    let strict = MockServer::builder(contract.clone())
        .verify_on_drop()
        .start()
        .await
        .unwrap();
    client_adds(&strict.url(), "").await;
    let dropped = std::panic::catch_unwind(AssertUnwindSafe(move || drop(strict)));
    assert!(
        dropped.is_err(),
        "dropping a server that saw a violation panics"
    );
    let clean = MockServer::builder(contract)
        .verify_on_drop()
        .start()
        .await
        .unwrap();
    client_adds(&clean.url(), "ada@example.com").await;
    drop(clean); // no violation: no panic
}

#[tokio::test]
async fn mistakes_in_typed_rules_are_reported_at_start() {
    let contract = Arc::new(Contract::embedded().unwrap());
    let err = MockServer::builder(contract)
        .rule(Rule::status(Method::PATCH, "/v1/**", 418))
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("418 is not documented"), "{err}");
}
