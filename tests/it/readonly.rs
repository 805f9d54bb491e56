//! readOnly and writeOnly as Prism reads them (tests/fixtures/readonly.yaml):
//! in a request, readOnly properties are left out of the schema, so a required
//! one need not be sent and one that is sent is an unknown property (refused
//! where the schema refuses unknown properties, accepted where it does not);
//! in a response, writeOnly properties are left out: never generated, never
//! required.

use std::sync::Arc;

use crate::common::*;
use mimeo::{Contract, MockServer};

fn accounts() -> Arc<Contract> {
    let contract = Contract::from_file("tests/fixtures/readonly.yaml").expect("loads");
    assert!(contract.warnings().is_empty(), "{:?}", contract.warnings());
    Arc::new(contract)
}

async fn post(s: &MockServer, path: &str, body: &str) -> (u16, String) {
    let r = send_anonymous(
        &s.url(),
        "POST",
        path,
        &[("content-type", "application/json")],
        body,
    )
    .await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

#[tokio::test]
async fn read_only_properties_are_not_required_in_requests() {
    let s = MockServer::builder(accounts()).start().await.unwrap();
    for (path, ok, status) in [
        ("/users", r#"{"name":"Ada","password":"secret123"}"#, 201),
        ("/notes", r#"{"text":"t"}"#, 204),
        // Sent anyway where unknown properties are allowed: accepted.
        ("/notes", r#"{"text":"t","id":"n1"}"#, 204),
        (
            "/teams",
            r#"{"members":[{"name":"a","password":"12345678"}]}"#,
            204,
        ),
    ] {
        let (code, body) = post(&s, path, ok).await;
        assert_eq!(code, status, "{path} {ok}: {body}");
    }
    for (path, bad, named) in [
        // Sent where unknown properties are refused: refused, naming it.
        (
            "/users",
            r#"{"name":"Ada","password":"secret123","id":"u_1"}"#,
            &["body: additionalProperties", "id"][..],
        ),
        (
            "/users",
            r#"{"name":"Ada","password":"secret123","created":"2024-01-01T00:00:00Z"}"#,
            &["additionalProperties", "created"],
        ),
        // writeOnly properties are still required in requests.
        (
            "/users",
            r#"{"name":"Ada"}"#,
            &["body: required", "password"],
        ),
        ("/notes", r#"{}"#, &["body: required", "text"]),
        ("/teams", r#"{}"#, &["body: required", "members"]),
        (
            "/teams",
            r#"{"members":[{"name":"a","password":"1234567","id":"u_2"}]}"#,
            &[
                "body /members/0: additionalProperties",
                "body /members/0/password: minLength",
            ],
        ),
    ] {
        let (code, body) = post(&s, path, bad).await;
        assert_eq!(code, 400, "{path} {bad}: {body}");
        for n in named {
            assert!(body.contains(n), "{path} {bad}: `{n}` not in {body}");
            assert!(!body.contains("\\\"id\\\" is a required"), "{body}");
        }
    }
}

#[tokio::test]
async fn write_only_properties_are_never_in_responses() {
    let contract = accounts();
    let op = contract.operation_by_id("getUser").unwrap();
    for seed in 0..5 {
        let s = MockServer::builder(contract.clone())
            .seed(seed)
            .dynamic()
            .start()
            .await
            .unwrap();
        assert!(s.warnings().is_empty(), "{:?}", s.warnings());
        let r = send_anonymous(&s.url(), "GET", "/users/u_1", &[], "").await;
        assert_conforms(&contract, op, &r, 200);
        let user = r.json();
        assert!(user.get("password").is_none(), "{user}");
        assert!(user["id"].as_str().unwrap().starts_with("u_"), "{user}");
    }
    // A response that carries the writeOnly property breaks the closed schema,
    // and one without it keeps it though the property is `required`.
    let without = br#"{"id":"u_1","name":"Ada","created":"2024-01-01T00:00:00Z"}"#;
    let with =
        br#"{"id":"u_1","name":"Ada","created":"2024-01-01T00:00:00Z","password":"secret123"}"#;
    let headers = {
        let mut h = hyper::HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        h
    };
    let check = |body: &[u8]| {
        mimeo::check_response(&contract, op, 200, &headers, body, Some(&[200])).failures
    };
    assert!(check(without).is_empty(), "{:?}", check(without));
    assert!(!check(with).is_empty());
}
