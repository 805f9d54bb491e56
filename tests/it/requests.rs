//! Every request constraint of the contract is enforced by the mock: a request
//! that breaks one rule gets the operation's 400, whose message names the place
//! and the rule and whose body keeps the contract; the same request made valid
//! gets the operation's 2xx.

use std::sync::{Arc, OnceLock};

use crate::common::*;
use mimeo::Contract;
use mimeo::{MockServer, ServeOptions};

const CREATE: &str = "CreateProfileIdentifier";
const LIST: &str = "ListProfileIdentifiers";
const FETCH: &str = "FetchProfileIdentifier";
const PATCH: &str = "PatchProfileIdentifier";
const DELETE: &str = "DeleteProfileIdentifier";
const DELETE_STORE: &str = "DeleteStore";
const DELETE_MAPPING: &str = "DeleteDataMapping";

const CREATE_BODY: &str = r#"{"idType":"email","value":"ada@example.com"}"#;
const PATCH_BODY: &str =
    r#"{"idType":"email","oldValue":"ada@example.com","newValue":"ada@example.org"}"#;

/// The contract, parsed once for all the checks of this file.
fn shared_contract() -> &'static Arc<Contract> {
    static CONTRACT: OnceLock<Arc<Contract>> = OnceLock::new();
    CONTRACT.get_or_init(contract)
}

async fn server() -> MockServer {
    start(ServeOptions::default()).await
}

fn identifiers(store: &str, profile: &str) -> String {
    format!("/v1/Stores/{store}/Profiles/{profile}/Identifiers")
}

fn identifier(store: &str, profile: &str, id_type: &str) -> String {
    format!("/v1/Stores/{store}/Profiles/{profile}/Identifiers/{id_type}")
}

fn store_path(store: &str) -> String {
    format!("/v1/ControlPlane/Stores/{store}")
}

fn mapping_path(store: &str, mapping: &str) -> String {
    format!("/v1/ControlPlane/Stores/{store}/DataMappings/{mapping}")
}

/// The path of `op_id` with every parameter at its valid default except those given.
fn path_of(op_id: &str, store: &str, profile: &str, id_type: &str, mapping: &str) -> String {
    match op_id {
        CREATE | LIST => identifiers(store, profile),
        FETCH | PATCH | DELETE => identifier(store, profile, id_type),
        DELETE_STORE => store_path(store),
        DELETE_MAPPING => mapping_path(store, mapping),
        other => panic!("unknown operation {other}"),
    }
}

fn method_of(op_id: &str) -> &'static str {
    match op_id {
        CREATE => "POST",
        LIST | FETCH => "GET",
        PATCH => "PATCH",
        DELETE | DELETE_STORE | DELETE_MAPPING => "DELETE",
        other => panic!("unknown operation {other}"),
    }
}

fn default_status(op_id: &str) -> u16 {
    match op_id {
        LIST | FETCH => 200,
        _ => 202,
    }
}

fn valid_body(op_id: &str) -> Option<&'static str> {
    match op_id {
        CREATE => Some(CREATE_BODY),
        PATCH => Some(PATCH_BODY),
        _ => None,
    }
}

/// The violations listed in an invalid-request message. They are joined with `; `,
/// which a violation's own text may also contain (`is missing; expected ...`), so a
/// new violation starts only where a place (`path parameter`, `body`, ...) does.
fn violations(message: &str) -> Vec<String> {
    const PLACES: [&str; 5] = [
        "path parameter ",
        "query parameter ",
        "header ",
        "cookie ",
        "body",
    ];
    let list = message
        .strip_prefix("Invalid request: ")
        .unwrap_or_else(|| panic!("not an invalid-request message: {message}"));
    let mut out: Vec<String> = Vec::new();
    for part in list.split("; ") {
        match out.last_mut() {
            Some(last) if !PLACES.iter().any(|p| part.starts_with(p)) => {
                last.push_str("; ");
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// Asserts that `reply` is the 400 of `op_id`, keeping the contract, whose message
/// lists exactly one violation per entry of `expected`, in order, each starting
/// with that entry (`path parameter storeId: pattern`). Returns the message.
fn assert_rejected(op_id: &str, reply: &Reply, expected: &[&str]) -> String {
    let contract = shared_contract();
    let op = contract.operation_by_id(op_id).expect("operation");
    assert_conforms(contract, op, reply, 400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["code"], 400);
    assert_eq!(body["status"], 400);
    assert_eq!(
        body["more_info"],
        "https://www.twilio.com/docs/api/errors/400"
    );
    let message = body["message"]
        .as_str()
        .expect("message is a string")
        .to_string();
    let found = violations(&message);
    assert_eq!(
        found.len(),
        expected.len(),
        "{op_id}: expected {expected:?}, got {found:#?}"
    );
    for (got, want) in found.iter().zip(expected) {
        assert!(
            got.starts_with(want),
            "{op_id}: expected a violation starting with `{want}`, got `{got}`"
        );
    }
    message
}

/// Asserts that `reply` is the documented `status` of `op_id` and keeps the contract.
fn assert_answered(op_id: &str, reply: &Reply, status: u16) {
    let contract = shared_contract();
    let op = contract.operation_by_id(op_id).expect("operation");
    assert_conforms(contract, op, reply, status);
}

/// Sends `op_id` with the given path parameter values and its valid body.
async fn call(
    server: &MockServer,
    op_id: &str,
    store: &str,
    profile: &str,
    id_type: &str,
    mapping: &str,
) -> Reply {
    let path = path_of(op_id, store, profile, id_type, mapping);
    send(
        &server.url(),
        method_of(op_id),
        &path,
        &[],
        valid_body(op_id),
    )
    .await
}

fn store_id(rest: &str) -> String {
    format!("mem_store_{rest}")
}

/// storeId values that break `^mem_(store|service)_[0-7][0-9a-z]{25}$`, and why.
fn bad_store_ids() -> Vec<(String, &'static str)> {
    vec![
        (format!("mem_shop_{}", "0".repeat(26)), "wrong prefix"),
        (
            format!("mem_profile_{}", "0".repeat(26)),
            "another type's prefix",
        ),
        (format!("store_{}", "0".repeat(26)), "no mem_ prefix"),
        (format!("MEM_STORE_{}", "0".repeat(26)), "uppercase prefix"),
        (
            store_id(&format!("8{}", "0".repeat(25))),
            "first character 8",
        ),
        (
            store_id(&format!("a{}", "0".repeat(25))),
            "first character a letter",
        ),
        (store_id(&"0".repeat(25)), "one character short"),
        (store_id(&"0".repeat(27)), "one character long"),
        (store_id(""), "nothing after the prefix"),
        (
            store_id(&format!("0{}A", "0".repeat(24))),
            "an uppercase letter",
        ),
        (store_id(&format!("0{}-", "0".repeat(24))), "a dash"),
        (format!("{STORE}x"), "trailing character"),
    ]
}

/// storeId values that keep the pattern.
fn good_store_ids() -> Vec<String> {
    vec![
        STORE.to_string(),
        format!("mem_service_{}", "0".repeat(26)),
        store_id(&format!("7{}", "z".repeat(25))),
        store_id("01jc6xv5q8m2t7w4n9r3k0h2f6"),
        format!("mem_service_3{}", "abcdefghijklmnopqrstuvwxy"),
    ]
}

#[tokio::test]
async fn store_id_pattern_on_identifier_operations() {
    let server = server().await;
    for op_id in [CREATE, LIST, FETCH, PATCH, DELETE] {
        for (bad, why) in bad_store_ids() {
            let reply = call(&server, op_id, &bad, PROFILE, "email", MAPPING).await;
            let message = assert_rejected(op_id, &reply, &["path parameter storeId: pattern: "]);
            assert!(
                message.contains(&bad),
                "{op_id} {why}: the message shows the value: {message}"
            );
        }
        for good in good_store_ids() {
            let reply = call(&server, op_id, &good, PROFILE, "email", MAPPING).await;
            assert_answered(op_id, &reply, default_status(op_id));
        }
    }
}

#[tokio::test]
async fn store_id_pattern_on_delete_store() {
    let server = server().await;
    for (bad, why) in bad_store_ids() {
        let reply = send(&server.url(), "DELETE", &store_path(&bad), &[], None).await;
        let message = assert_rejected(DELETE_STORE, &reply, &["path parameter storeId: pattern: "]);
        assert!(message.contains(&bad), "{why}: {message}");
    }
    for good in good_store_ids() {
        let reply = send(&server.url(), "DELETE", &store_path(&good), &[], None).await;
        assert_answered(DELETE_STORE, &reply, 202);
    }
}

#[tokio::test]
async fn store_id_pattern_on_delete_data_mapping() {
    let server = server().await;
    for (bad, _) in bad_store_ids() {
        let reply = send(
            &server.url(),
            "DELETE",
            &mapping_path(&bad, MAPPING),
            &[],
            None,
        )
        .await;
        assert_rejected(
            DELETE_MAPPING,
            &reply,
            &["path parameter storeId: pattern: "],
        );
    }
    let service = format!("mem_service_{}", "0".repeat(26));
    let reply = send(
        &server.url(),
        "DELETE",
        &mapping_path(&service, MAPPING),
        &[],
        None,
    )
    .await;
    assert_answered(DELETE_MAPPING, &reply, 202);
}

#[tokio::test]
async fn store_id_is_percent_decoded_before_validation() {
    let server = server().await;
    // `%30` is `0`: the decoded id keeps the pattern.
    let encoded = format!("mem_store_%30{}", "0".repeat(25));
    let reply = send(&server.url(), "DELETE", &store_path(&encoded), &[], None).await;
    assert_answered(DELETE_STORE, &reply, 202);
    // `%41` is `A`: the decoded id breaks the pattern and is shown decoded.
    let encoded = format!("mem_store_0%41{}", "0".repeat(24));
    let reply = send(&server.url(), "DELETE", &store_path(&encoded), &[], None).await;
    let message = assert_rejected(DELETE_STORE, &reply, &["path parameter storeId: pattern: "]);
    assert!(
        message.contains(&format!("mem_store_0A{}", "0".repeat(24))),
        "{message}"
    );
}

#[tokio::test]
async fn profile_id_pattern() {
    let server = server().await;
    let bad = [
        format!("mem_store_{}", "0".repeat(26)),
        format!("mem_profiles_{}", "0".repeat(26)),
        format!("mem_profile_8{}", "0".repeat(25)),
        format!("mem_profile_{}", "0".repeat(25)),
        format!("mem_profile_{}", "0".repeat(27)),
        format!("mem_profile_0{}B", "0".repeat(24)),
        "ada".to_string(),
    ];
    let good = [
        PROFILE.to_string(),
        "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6".to_string(),
        format!("mem_profile_7{}", "z".repeat(25)),
    ];
    for op_id in [CREATE, LIST, FETCH, PATCH, DELETE] {
        for profile in &bad {
            let reply = call(&server, op_id, STORE, profile, "email", MAPPING).await;
            let message = assert_rejected(op_id, &reply, &["path parameter profileId: pattern: "]);
            assert!(message.contains(profile.as_str()), "{message}");
        }
        for profile in &good {
            let reply = call(&server, op_id, STORE, profile, "email", MAPPING).await;
            assert_answered(op_id, &reply, default_status(op_id));
        }
    }
}

#[tokio::test]
async fn data_mapping_id_pattern() {
    let server = server().await;
    let bad = [
        format!("mem_mapping_{}", "0".repeat(26)),
        format!("mem_datamapping_9{}", "0".repeat(25)),
        format!("mem_datamapping_{}", "0".repeat(25)),
        format!("mem_datamapping_{}", "0".repeat(27)),
        format!("mem_datamapping_0{}Z", "0".repeat(24)),
        format!("mem_DataMapping_{}", "0".repeat(26)),
        PROFILE.to_string(),
    ];
    for mapping in &bad {
        let reply = send(
            &server.url(),
            "DELETE",
            &mapping_path(STORE, mapping),
            &[],
            None,
        )
        .await;
        let message = assert_rejected(
            DELETE_MAPPING,
            &reply,
            &["path parameter dataMappingId: pattern: "],
        );
        assert!(message.contains(mapping.as_str()), "{message}");
    }
    for mapping in [
        MAPPING.to_string(),
        format!("mem_datamapping_5{}", "k".repeat(25)),
    ] {
        let reply = send(
            &server.url(),
            "DELETE",
            &mapping_path(STORE, &mapping),
            &[],
            None,
        )
        .await;
        assert_answered(DELETE_MAPPING, &reply, 202);
    }
}

#[tokio::test]
async fn id_type_length_limits() {
    let server = server().await;
    for op_id in [FETCH, PATCH, DELETE] {
        let reply = call(&server, op_id, STORE, PROFILE, "e", MAPPING).await;
        assert_rejected(op_id, &reply, &["path parameter idType: minLength: "]);
        let reply = call(&server, op_id, STORE, PROFILE, &"x".repeat(31), MAPPING).await;
        assert_rejected(op_id, &reply, &["path parameter idType: maxLength: "]);
        let reply = call(&server, op_id, STORE, PROFILE, &"x".repeat(100), MAPPING).await;
        assert_rejected(op_id, &reply, &["path parameter idType: maxLength: "]);
        for ok in ["em".to_string(), "x".repeat(30), "externalId".to_string()] {
            let reply = call(&server, op_id, STORE, PROFILE, &ok, MAPPING).await;
            assert_answered(op_id, &reply, default_status(op_id));
        }
    }
}

#[tokio::test]
async fn id_type_is_percent_decoded_before_validation() {
    let server = server().await;
    // `e%20m` is `e m`: three characters, valid, and echoed decoded.
    let reply = call(&server, FETCH, STORE, PROFILE, "e%20m", MAPPING).await;
    assert_answered(FETCH, &reply, 200);
    assert_eq!(reply.json()["idType"], "e m");
    for op_id in [PATCH, DELETE] {
        let reply = call(&server, op_id, STORE, PROFILE, "e%20m", MAPPING).await;
        assert_answered(op_id, &reply, 202);
    }
    // `%41` is three characters on the wire but one once decoded: too short.
    for op_id in [FETCH, PATCH, DELETE] {
        let reply = call(&server, op_id, STORE, PROFILE, "%41", MAPPING).await;
        assert_rejected(op_id, &reply, &["path parameter idType: minLength: "]);
    }
    // 30 characters once decoded (32 on the wire) is within the limit; 31 is not.
    let thirty = format!("a%20{}", "b".repeat(28));
    let reply = call(&server, FETCH, STORE, PROFILE, &thirty, MAPPING).await;
    assert_answered(FETCH, &reply, 200);
    assert_eq!(reply.json()["idType"], format!("a {}", "b".repeat(28)));
    let thirty_one = format!("a%20{}", "b".repeat(29));
    let reply = call(&server, FETCH, STORE, PROFILE, &thirty_one, MAPPING).await;
    assert_rejected(FETCH, &reply, &["path parameter idType: maxLength: "]);
    // Multi-byte characters count as one each: 30 `é` (60 bytes, 180 on the wire) are fine.
    let accents = "%C3%A9".repeat(30);
    let reply = call(&server, FETCH, STORE, PROFILE, &accents, MAPPING).await;
    assert_answered(FETCH, &reply, 200);
    assert_eq!(reply.json()["idType"], "é".repeat(30));
}

#[tokio::test]
async fn id_type_that_is_not_utf8_once_decoded() {
    let server = server().await;
    let reply = call(&server, FETCH, STORE, PROFILE, "ab%FF", MAPPING).await;
    assert_rejected(FETCH, &reply, &["path parameter idType: encoding: "]);
}

#[tokio::test]
async fn remove_all_is_a_strict_boolean() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    for ok in [
        "",
        "?removeAll=true",
        "?removeAll=false",
        "?removeAll=%74rue",
        "?other=1",
    ] {
        let reply = send(&server.url(), "DELETE", &format!("{path}{ok}"), &[], None).await;
        assert_answered(DELETE, &reply, 202);
    }
    for bad in ["yes", "1", "0", "True", "FALSE", "", "true%20", "null"] {
        let reply = send(
            &server.url(),
            "DELETE",
            &format!("{path}?removeAll={bad}"),
            &[],
            None,
        )
        .await;
        assert_rejected(DELETE, &reply, &["query parameter removeAll: type: "]);
    }
    // A bare name is an empty value.
    let reply = send(
        &server.url(),
        "DELETE",
        &format!("{path}?removeAll"),
        &[],
        None,
    )
    .await;
    assert_rejected(DELETE, &reply, &["query parameter removeAll: type: "]);
}

#[tokio::test]
async fn create_body_requires_id_type_and_value() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let reply = send(
        &server.url(),
        "POST",
        &path,
        &[],
        Some(r#"{"value":"ada@example.com"}"#),
    )
    .await;
    let message = assert_rejected(CREATE, &reply, &["body: required: "]);
    assert!(message.contains("idType"), "{message}");
    let reply = send(
        &server.url(),
        "POST",
        &path,
        &[],
        Some(r#"{"idType":"email"}"#),
    )
    .await;
    let message = assert_rejected(CREATE, &reply, &["body: required: "]);
    assert!(message.contains("value"), "{message}");
    let reply = send(&server.url(), "POST", &path, &[], Some("{}")).await;
    assert_rejected(CREATE, &reply, &["body: required: ", "body: required: "]);
    let reply = send(&server.url(), "POST", &path, &[], Some(CREATE_BODY)).await;
    assert_answered(CREATE, &reply, 202);
}

#[tokio::test]
async fn create_body_id_type_length_limits() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let body = |id_type: &str| {
        serde_json::json!({"idType": id_type, "value": "ada@example.com"}).to_string()
    };
    let reply = send(&server.url(), "POST", &path, &[], Some(&body("e"))).await;
    assert_rejected(CREATE, &reply, &["body /idType: minLength: "]);
    let reply = send(&server.url(), "POST", &path, &[], Some(&body(""))).await;
    assert_rejected(CREATE, &reply, &["body /idType: minLength: "]);
    let reply = send(
        &server.url(),
        "POST",
        &path,
        &[],
        Some(&body(&"x".repeat(31))),
    )
    .await;
    assert_rejected(CREATE, &reply, &["body /idType: maxLength: "]);
    for ok in ["em".to_string(), "x".repeat(30), "é".repeat(30)] {
        let reply = send(&server.url(), "POST", &path, &[], Some(&body(&ok))).await;
        assert_answered(CREATE, &reply, 202);
    }
}

#[tokio::test]
async fn create_body_value_max_length() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let body = |value: &str| serde_json::json!({"idType": "email", "value": value}).to_string();
    let reply = send(
        &server.url(),
        "POST",
        &path,
        &[],
        Some(&body(&"v".repeat(256))),
    )
    .await;
    assert_rejected(CREATE, &reply, &["body /value: maxLength: "]);
    for ok in ["v".repeat(255), String::new(), "ü".repeat(255)] {
        let reply = send(&server.url(), "POST", &path, &[], Some(&body(&ok))).await;
        assert_answered(CREATE, &reply, 202);
    }
}

#[tokio::test]
async fn create_body_refuses_unknown_fields() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let body = r#"{"idType":"email","value":"ada@example.com","primary":true}"#;
    let reply = send(&server.url(), "POST", &path, &[], Some(body)).await;
    let message = assert_rejected(CREATE, &reply, &["body: additionalProperties: "]);
    assert!(message.contains("primary"), "{message}");
}

#[tokio::test]
async fn create_body_json_types() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let cases: [(&str, &str); 6] = [
        (
            r#"{"idType":5,"value":"ada@example.com"}"#,
            "body /idType: type: ",
        ),
        (r#"{"idType":"email","value":null}"#, "body /value: type: "),
        (r#"{"idType":"email","value":["a"]}"#, "body /value: type: "),
        (r#"["email","ada@example.com"]"#, "body: type: "),
        ("null", "body: type: "),
        (r#""email""#, "body: type: "),
    ];
    for (body, expected) in cases {
        let reply = send(&server.url(), "POST", &path, &[], Some(body)).await;
        assert_rejected(CREATE, &reply, &[expected]);
    }
}

#[tokio::test]
async fn create_body_must_be_json() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    for body in [
        "idType=email&value=ada",
        "{",
        r#"{"idType":"email","value":"ada@example.com",}"#,
        " ",
    ] {
        let reply = send(&server.url(), "POST", &path, &[], Some(body)).await;
        assert_rejected(CREATE, &reply, &["body: json: "]);
    }
}

#[tokio::test]
async fn create_body_is_required() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let reply = send(&server.url(), "POST", &path, &[], None).await;
    let message = assert_rejected(CREATE, &reply, &["body: required: "]);
    assert!(message.contains("application/json"), "{message}");
    let reply = send(
        &server.url(),
        "POST",
        &path,
        &[("content-type", "application/json")],
        Some(""),
    )
    .await;
    assert_rejected(CREATE, &reply, &["body: required: "]);
    let reply = send(
        &server.url(),
        "PATCH",
        &identifier(STORE, PROFILE, "email"),
        &[],
        None,
    )
    .await;
    assert_rejected(PATCH, &reply, &["body: required: "]);
}

#[tokio::test]
async fn create_body_content_type() {
    let server = server().await;
    let path = identifiers(STORE, PROFILE);
    let reply = send_exact(&server.url(), "POST", &path, &[], CREATE_BODY).await;
    let message = assert_rejected(CREATE, &reply, &["header Content-Type: content-type: "]);
    assert!(message.contains("missing"), "{message}");
    for wrong in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonl",
        "text/json",
    ] {
        let reply = send_exact(
            &server.url(),
            "POST",
            &path,
            &[("content-type", wrong)],
            CREATE_BODY,
        )
        .await;
        let message = assert_rejected(CREATE, &reply, &["header Content-Type: content-type: "]);
        assert!(message.contains(wrong), "{message}");
    }
    for ok in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json;charset=UTF-8",
    ] {
        let reply = send_exact(
            &server.url(),
            "POST",
            &path,
            &[("content-type", ok)],
            CREATE_BODY,
        )
        .await;
        assert_answered(CREATE, &reply, 202);
    }
    let reply = send_exact(
        &server.url(),
        "PATCH",
        &identifier(STORE, PROFILE, "email"),
        &[("content-type", "text/plain")],
        PATCH_BODY,
    )
    .await;
    assert_rejected(PATCH, &reply, &["header Content-Type: content-type: "]);
}

#[tokio::test]
async fn patch_body_requires_every_field() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    let full = serde_json::json!({"idType": "email", "oldValue": "ada@example.com", "newValue": "ada@example.org"});
    for field in ["idType", "oldValue", "newValue"] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let reply = send(&server.url(), "PATCH", &path, &[], Some(&body.to_string())).await;
        let message = assert_rejected(PATCH, &reply, &["body: required: "]);
        assert!(message.contains(field), "{message}");
    }
    let reply = send(&server.url(), "PATCH", &path, &[], Some(&full.to_string())).await;
    assert_answered(PATCH, &reply, 202);
}

#[tokio::test]
async fn patch_body_length_limits() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    let body = |id_type: &str, old: &str, new: &str| {
        serde_json::json!({"idType": id_type, "oldValue": old, "newValue": new}).to_string()
    };
    let long = "v".repeat(256);
    let max = "v".repeat(255);
    let cases = [
        (body("email", &long, "b"), "body /oldValue: maxLength: "),
        (body("email", "a", &long), "body /newValue: maxLength: "),
        (body("e", "a", "b"), "body /idType: minLength: "),
        (body(&"x".repeat(31), "a", "b"), "body /idType: maxLength: "),
    ];
    for (b, expected) in &cases {
        let reply = send(&server.url(), "PATCH", &path, &[], Some(b)).await;
        assert_rejected(PATCH, &reply, &[expected]);
    }
    let reply = send(
        &server.url(),
        "PATCH",
        &path,
        &[],
        Some(&body("email", &long, &long)),
    )
    .await;
    assert_rejected(
        PATCH,
        &reply,
        &["body /oldValue: maxLength: ", "body /newValue: maxLength: "],
    );
    let reply = send(
        &server.url(),
        "PATCH",
        &path,
        &[],
        Some(&body(&"x".repeat(30), &max, &max)),
    )
    .await;
    assert_answered(PATCH, &reply, 202);
}

#[tokio::test]
async fn patch_body_refuses_unknown_fields() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    let body = r#"{"idType":"email","oldValue":"a","newValue":"b","value":"c"}"#;
    let reply = send(&server.url(), "PATCH", &path, &[], Some(body)).await;
    let message = assert_rejected(PATCH, &reply, &["body: additionalProperties: "]);
    assert!(message.contains("value"), "{message}");
    let reply = send(
        &server.url(),
        "PATCH",
        &path,
        &[],
        Some(r#"{"idType":"email","oldValue":5,"newValue":"b"}"#),
    )
    .await;
    assert_rejected(PATCH, &reply, &["body /oldValue: type: "]);
}

#[tokio::test]
async fn operations_without_a_request_body_refuse_one() {
    let server = server().await;
    let cases = [
        (DELETE, identifier(STORE, PROFILE, "email")),
        (DELETE_STORE, store_path(STORE)),
        (DELETE_MAPPING, mapping_path(STORE, MAPPING)),
        (LIST, identifiers(STORE, PROFILE)),
        (FETCH, identifier(STORE, PROFILE, "email")),
    ];
    for (op_id, path) in &cases {
        let method = method_of(op_id);
        let reply = send(
            &server.url(),
            method,
            path,
            &[],
            Some(r#"{"removeAll":true}"#),
        )
        .await;
        let message = assert_rejected(op_id, &reply, &["body: body: "]);
        assert!(
            message.contains("this operation takes no request body"),
            "{message}"
        );
        // Any media type, JSON or not.
        let reply = send_exact(
            &server.url(),
            method,
            path,
            &[("content-type", "text/plain")],
            "x",
        )
        .await;
        assert_rejected(
            op_id,
            &reply,
            &["body: body: this operation takes no request body"],
        );
        // A Content-Type with no body is not a body.
        let reply = send_exact(
            &server.url(),
            method,
            path,
            &[("content-type", "application/json")],
            "",
        )
        .await;
        assert_answered(op_id, &reply, default_status(op_id));
        let reply = send(&server.url(), method, path, &[], None).await;
        assert_answered(op_id, &reply, default_status(op_id));
        // Nor is "no data" as HTTP libraries serialize it (a DELETE with `{}`
        // was refused).
        for nothing in ["{}", " { } ", "[]", "null"] {
            let reply = send(&server.url(), method, path, &[], Some(nothing)).await;
            assert_answered(op_id, &reply, default_status(op_id));
        }
        let reply = send(&server.url(), method, path, &[], Some("{\"a\":1}")).await;
        assert_eq!(reply.status, 400, "{op_id}");
    }
}

#[tokio::test]
async fn every_violation_is_reported_in_one_message() {
    let server = server().await;
    let bad_store = format!("mem_shop_{}", "0".repeat(26));
    let bad_profile = "mem_profile_x".to_string();
    // Bad storeId and a bad body field.
    let reply = send(
        &server.url(),
        "POST",
        &identifiers(&bad_store, PROFILE),
        &[],
        Some(&serde_json::json!({"idType": "email", "value": "v".repeat(256)}).to_string()),
    )
    .await;
    assert_rejected(
        CREATE,
        &reply,
        &[
            "path parameter storeId: pattern: ",
            "body /value: maxLength: ",
        ],
    );
    // Every place at once: both ids, the idType, the query, and the body.
    let reply = send(
        &server.url(),
        "DELETE",
        &format!(
            "{}?removeAll=yes",
            identifier(&bad_store, &bad_profile, "e")
        ),
        &[],
        Some(r#"{"removeAll":true}"#),
    )
    .await;
    assert_rejected(
        DELETE,
        &reply,
        &[
            "path parameter storeId: pattern: ",
            "path parameter profileId: pattern: ",
            "path parameter idType: minLength: ",
            "query parameter removeAll: type: ",
            "body: body: ",
        ],
    );
    let reply = send(
        &server.url(),
        "PATCH",
        &identifier(STORE, &bad_profile, "email"),
        &[],
        Some(r#"{"idType":"e","oldValue":1,"extra":null}"#),
    )
    .await;
    let message = assert_rejected(
        PATCH,
        &reply,
        &[
            "path parameter profileId: pattern: ",
            "body",
            "body",
            "body",
            "body",
        ],
    );
    for part in [
        "body: required: ",
        "newValue",
        "body /idType: minLength: ",
        "body /oldValue: type: ",
        "body: additionalProperties: ",
    ] {
        assert!(message.contains(part), "`{part}` missing from {message}");
    }
    // Path violations are still reported when the body cannot be read as JSON.
    let reply = send(
        &server.url(),
        "POST",
        &identifiers(&bad_store, &bad_profile),
        &[],
        Some("{"),
    )
    .await;
    assert_rejected(
        CREATE,
        &reply,
        &[
            "path parameter storeId: pattern: ",
            "path parameter profileId: pattern: ",
            "body: json: ",
        ],
    );
}

#[tokio::test]
async fn a_long_list_of_violations_keeps_the_message_limit() {
    let server = server().await;
    let long = "Z".repeat(300);
    let body =
        serde_json::json!({"idType": long, "oldValue": long, "newValue": long, "x": 1}).to_string();
    let reply = send(
        &server.url(),
        "PATCH",
        &identifier(&long, &long, &long),
        &[],
        Some(&body),
    )
    .await;
    let contract = shared_contract();
    let op = contract.operation_by_id(PATCH).unwrap();
    assert_conforms(contract, op, &reply, 400);
    let message = reply.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.chars().count() <= 1024,
        "{}",
        message.chars().count()
    );
    assert!(
        message.starts_with("Invalid request: path parameter storeId: pattern: "),
        "{message}"
    );
    // The contract caps `message` at 1024 characters; long values are shortened so
    // every one of the seven violations still fits.
    assert!(message.ends_with("('x' was unexpected)"), "{message}");
    assert_eq!(message.matches("…;").count(), 6, "{message}");
}

/// `removeAll` is a single boolean; a request that repeats it with a value that is
/// not a boolean breaks the contract whatever the order of the values.
#[tokio::test]
async fn repeated_remove_all_is_validated_whatever_the_order() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    for query in [
        "removeAll=yes&removeAll=true",
        "removeAll=true&removeAll=yes",
    ] {
        let reply = send(
            &server.url(),
            "DELETE",
            &format!("{path}?{query}"),
            &[],
            None,
        )
        .await;
        assert_rejected(DELETE, &reply, &["query parameter removeAll: type: "]);
    }
}

#[tokio::test]
async fn query_code_control_is_removed_before_validation() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    let reply = send(
        &server.url(),
        "PATCH",
        &format!("{path}?__code=409"),
        &[],
        Some(PATCH_BODY),
    )
    .await;
    assert_answered(PATCH, &reply, 409);
    assert_eq!(reply.json()["code"], 20409);
    assert!(reply.header("mimeo-error").is_none());
    // Next to a real query parameter, which is still validated.
    let del = format!("{path}?removeAll=true&__code=404");
    let reply = send(&server.url(), "DELETE", &del, &[], None).await;
    assert_answered(DELETE, &reply, 404);
    let del = format!("{path}?removeAll=maybe&__code=404");
    let reply = send(&server.url(), "DELETE", &del, &[], None).await;
    assert_rejected(DELETE, &reply, &["query parameter removeAll: type: "]);
}

#[tokio::test]
async fn unknown_dunder_parameters_are_ordinary_parameters_and_bad_controls_mimeo_errors() {
    let server = server().await;
    let path = identifier(STORE, PROFILE, "email");
    // `__foo` is not one of mimeo's controls: an unknown parameter like any other.
    let reply = send(
        &server.url(),
        "PATCH",
        &format!("{path}?__foo=1"),
        &[],
        Some(PATCH_BODY),
    )
    .await;
    assert_answered(PATCH, &reply, 202);
    let reply = send(
        &server.url(),
        "PATCH",
        &format!("{path}?__code=409&__foo=1"),
        &[],
        Some(PATCH_BODY),
    )
    .await;
    assert_answered(PATCH, &reply, 409);
    // One of mimeo's controls with a value it cannot read is mimeo's error.
    let reply = send(
        &server.url(),
        "PATCH",
        &format!("{path}?__code=4O9"),
        &[],
        Some(PATCH_BODY),
    )
    .await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert!(
        reply.header("mimeo-error").is_some_and(|v| !v.is_empty()),
        "{:?}",
        reply.headers
    );
    let body = reply.json();
    assert!(body["message"].as_str().unwrap().contains("4O9"), "{body}");
    assert!(
        body.get("mimeo_error").is_some(),
        "mimeo's own shape, not the API's: {body}"
    );
}
