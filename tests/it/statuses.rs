//! Every operation answers every documented status, through `Prefer` and through a
//! server-side rule, with headers and a body that keep the contract.

use crate::common::*;
use mimeo::Operation;
use mimeo::Rule;
use mimeo::ServeOptions;

/// Checks one answer against the contract and the status-specific promises.
fn assert_keeps_contract(op: &Operation, status: u16, reply: &Reply, server_url: &str) {
    let contract = contract();
    assert_conforms(&contract, op, reply, status);
    if !reply.body.is_empty() {
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{} {status}",
            op.label()
        );
    }
    match status {
        301 | 308 => {
            let canonical = reply
                .header("canonical-profile-id")
                .expect("Canonical-Profile-Id");
            let location = reply.header("location").expect("Location");
            let (path, _) = valid_request(op);
            let expected = format!("{server_url}{}", path.replace(PROFILE, canonical));
            assert_ne!(
                canonical, PROFILE,
                "the canonical profile differs from the requested one"
            );
            assert_eq!(
                location, expected,
                "Location points at the same route under the canonical profile"
            );
            let body = reply.json();
            assert_eq!(body["message"], "This resource has moved.");
            assert_eq!(body["uri"], path.replace(PROFILE, canonical).as_str());
        }
        429 | 503 => {
            let retry = reply.header("retry-after").expect("Retry-After");
            assert!(
                !retry.is_empty() && retry.bytes().all(|b| b.is_ascii_digit()),
                "{retry}"
            );
        }
        202 if op.path().starts_with("/v1/ControlPlane") => {
            for h in ["operation-id", "location", "retry-after"] {
                assert!(reply.header(h).is_some(), "{} 202 lacks {h}", op.label());
            }
        }
        _ => {}
    }
    if status >= 400 {
        let body = reply.json();
        assert_eq!(body["status"], status, "error body status");
        assert_eq!(
            body["more_info"].as_str().unwrap(),
            format!("https://www.twilio.com/docs/api/errors/{}", body["code"]),
        );
    }
}

#[tokio::test]
async fn every_documented_status_through_prefer() {
    let server = start(ServeOptions::default()).await;
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    let contract = contract();
    let mut seen = 0;
    for op in contract.operations() {
        let (path, body) = valid_request(op);
        for status in op.documented_codes() {
            let prefer = format!("code={status}");
            let reply = send(
                &server.url(),
                op.method().as_str(),
                &path,
                &[("prefer", &prefer)],
                body,
            )
            .await;
            assert_keeps_contract(op, status, &reply, &server.url());
            // The query form reaches the same response.
            let sep = if path.contains('?') { '&' } else { '?' };
            let q = send(
                &server.url(),
                op.method().as_str(),
                &format!("{path}{sep}__code={status}"),
                &[],
                body,
            )
            .await;
            assert_eq!(q.status, status);
            assert_eq!(q.body, reply.body, "{} __code={status}", op.label());
            seen += 1;
        }
    }
    assert_eq!(seen, 58, "7 operations, 58 documented statuses in all");
}

#[tokio::test]
async fn every_documented_status_through_a_rule() {
    let contract = contract();
    for op in contract.operations() {
        let (path, body) = valid_request(op);
        for status in op.documented_codes() {
            let rule = Rule::from_flag(&format!("{} {path}={status}", op.method())).unwrap();
            let server = start(ServeOptions {
                rules: vec![rule],
                ..Default::default()
            })
            .await;
            let reply = send(&server.url(), op.method().as_str(), &path, &[], body).await;
            assert_keeps_contract(op, status, &reply, &server.url());
        }
    }
}

#[tokio::test]
async fn default_is_lowest_2xx_with_documented_example_and_echo() {
    let server = start(ServeOptions::default()).await;
    let list = send(
        &server.url(),
        "GET",
        &format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers"),
        &[],
        None,
    )
    .await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.json(),
        serde_json::json!({"identifiers": [{"idType": "idType", "values": ["values"]}]})
    );
    let fetch = send(
        &server.url(),
        "GET",
        &format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/phone"),
        &[],
        None,
    )
    .await;
    assert_eq!(fetch.status, 200);
    assert_eq!(
        fetch.json()["idType"],
        "phone",
        "the idType of the path is echoed"
    );
    let create = send(
        &server.url(),
        "POST",
        &format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers"),
        &[],
        Some(r#"{"idType":"phone","value":"+13175556789"}"#),
    )
    .await;
    assert_eq!(create.status, 202);
    assert_eq!(
        create.json(),
        serde_json::json!({"message": "Identifier accepted for processing."})
    );
}
