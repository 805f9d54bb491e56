//! `mimeo serve --stateful` through the real server: every read reflects the
//! writes before it, with Memory v1's semantics (normalization, order, limit
//! policies, 404/409, merges with 301/308, store deletion, settling), seeds,
//! sessions, the admin endpoints, and `Prefer` and rules winning over state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mimeo::state::{Seed, StateModel, StateOptions};
use mimeo::{MockServer, Rule, ServeOptions};
use serde_json::json;

use crate::common::*;

const OTHER: &str = "mem_profile_00000000000000000000000001";
const THIRD: &str = "mem_profile_00000000000000000000000002";

fn ids(profile: &str) -> String {
    format!("/v1/Stores/{STORE}/Profiles/{profile}/Identifiers")
}

async fn stateful(opts: StateOptions) -> MockServer {
    stateful_with(opts, ServeOptions::default()).await
}

/// [`stateful`], with the server's other options `serve`.
async fn stateful_with(opts: StateOptions, serve: ServeOptions) -> MockServer {
    let contract = contract();
    let model = Arc::new(StateModel::for_contract(&contract).expect("the shipped model loads"));
    start(ServeOptions {
        stateful: Some((model, opts)),
        ..serve
    })
    .await
}

/// The stateful mock on document `text` (named `name`), with the model
/// mimeo infers for it.
async fn inferred(name: &str, text: &str) -> MockServer {
    let contract = Arc::new(mimeo::Contract::from_text(name, text).unwrap());
    let model = Arc::new(StateModel::infer(&contract));
    MockServer::start(
        contract,
        ServeOptions {
            stateful: Some((model, StateOptions::default())),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap()
}

/// Adds `value` as `id_type` to `profile`; the answer must be 202.
async fn add(base: &str, profile: &str, id_type: &str, value: &str, headers: &[(&str, &str)]) {
    let body = json!({"idType": id_type, "value": value}).to_string();
    let r = send(base, "POST", &ids(profile), headers, Some(&body)).await;
    assert_eq!(r.status, 202, "add {value}: {:?}", r.body);
}

/// The values of `id_type` on `profile`, or the status when it is not 200.
async fn values(
    base: &str,
    profile: &str,
    id_type: &str,
    headers: &[(&str, &str)],
) -> Result<Vec<String>, u16> {
    let r = send(
        base,
        "GET",
        &format!("{}/{id_type}", ids(profile)),
        headers,
        None,
    )
    .await;
    if r.status != 200 {
        return Err(r.status);
    }
    let body = r.json();
    assert_eq!(body["idType"], id_type);
    Ok(serde_json::from_value(body["values"].clone()).unwrap())
}

#[tokio::test]
async fn a_client_sees_exactly_the_normalized_ordered_values_at_each_step() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let contract = contract();
    let list_op = contract.operation_by_id("ListProfileIdentifiers").unwrap();

    add(&base, PROFILE, "email", "  Ada.Lovelace@Example.COM ", &[]).await;
    add(&base, PROFILE, "email", "CHARLES@example.org", &[]).await;
    let list = send(&base, "GET", &ids(PROFILE), &[], None).await;
    assert_conforms(&contract, list_op, &list, 200);
    assert_eq!(
        list.json(),
        json!({"identifiers": [{"idType": "email", "values": ["ada.lovelace@example.com", "charles@example.org"]}]})
    );

    let patch = json!({"idType": "email", "oldValue": "charles@example.org", "newValue": " Charles.Babbage@Example.org"}).to_string();
    let r = send(
        &base,
        "PATCH",
        &format!("{}/email", ids(PROFILE)),
        &[],
        Some(&patch),
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec![
            "ada.lovelace@example.com".into(),
            "charles.babbage@example.org".into()
        ]),
        "replaced in place, normalized"
    );

    // Without removeAll, the limit policy's victim goes: fifo, the oldest.
    let r = send(
        &base,
        "DELETE",
        &format!("{}/email", ids(PROFILE)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["charles.babbage@example.org".into()])
    );
    // A value already there is not added twice, however it is written.
    add(&base, PROFILE, "email", "CHARLES.BABBAGE@example.org", &[]).await;
    assert_eq!(values(&base, PROFILE, "email", &[]).await.unwrap().len(), 1);
}

#[tokio::test]
async fn phones_are_e164_and_a_non_number_is_the_documented_400() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    add(&base, PROFILE, "phone", "(317) 555-6789", &[]).await;
    add(&base, PROFILE, "phone", "0044 20 7946 0958", &[]).await;
    add(&base, PROFILE, "phone", "+1 317.555.6789", &[]).await; // the same number
    assert_eq!(
        values(&base, PROFILE, "phone", &[]).await,
        Ok(vec!["+13175556789".into(), "+442079460958".into()])
    );
    let r = send(
        &base,
        "POST",
        &ids(PROFILE),
        &[],
        Some(r#"{"idType":"phone","value":"call me"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("not a phone number"),
        "{:?}",
        r.body
    );
    // Other idTypes keep their values as given.
    add(&base, PROFILE, "externalId", " Case Kept ", &[]).await;
    assert_eq!(
        values(&base, PROFILE, "externalId", &[]).await,
        Ok(vec![" Case Kept ".into()])
    );
}

#[tokio::test]
async fn limit_policies_keep_the_first_or_the_last_values() {
    let contract = contract();
    let model = StateModel::for_contract(&contract).unwrap();
    let seed = format!(
        "stores:\n  {STORE}:\n    settings:\n      identifiers:\n        email: {{limit: 2, limitPolicy: fifo}}\n        phone: {{limit: 2, limitPolicy: lifo}}\n"
    );
    let seed =
        Seed::from_text("seed.yaml", &seed, &contract, &model).unwrap_or_else(|e| panic!("{e}"));
    let server = stateful(StateOptions {
        seed: Some(seed),
        ..StateOptions::default()
    })
    .await;
    let base = server.url();
    for v in ["a@x.io", "b@x.io", "c@x.io"] {
        add(&base, PROFILE, "email", v, &[]).await;
    }
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["b@x.io".into(), "c@x.io".into()]),
        "fifo: the oldest goes"
    );
    for v in ["+13175550001", "+13175550002", "+13175550003"] {
        add(&base, PROFILE, "phone", v, &[]).await;
    }
    assert_eq!(
        values(&base, PROFILE, "phone", &[]).await,
        Ok(vec!["+13175550001".into(), "+13175550002".into()]),
        "lifo: the most recent goes"
    );
    // A removal takes the policy's victim too.
    send(
        &base,
        "DELETE",
        &format!("{}/phone", ids(PROFILE)),
        &[],
        None,
    )
    .await;
    assert_eq!(
        values(&base, PROFILE, "phone", &[]).await,
        Ok(vec!["+13175550001".into()])
    );
}

#[tokio::test]
async fn what_is_not_there_is_the_documented_404_and_a_taken_value_409() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let contract = contract();
    let fetch = contract.operation_by_id("FetchProfileIdentifier").unwrap();
    let r = send(&base, "GET", &format!("{}/email", ids(PROFILE)), &[], None).await;
    assert_conforms(&contract, fetch, &r, 404);
    assert_eq!(
        send(&base, "GET", &ids(PROFILE), &[], None).await.status,
        404
    );
    add(&base, PROFILE, "email", "a@x.io", &[]).await;
    add(&base, PROFILE, "email", "b@x.io", &[]).await;
    assert_eq!(
        values(&base, PROFILE, "phone", &[]).await,
        Err(404),
        "an idType it does not have"
    );
    let patch = |old: &str, new: &str| {
        json!({"idType": "email", "oldValue": old, "newValue": new}).to_string()
    };
    let path = format!("{}/email", ids(PROFILE));
    let r = send(
        &base,
        "PATCH",
        &path,
        &[],
        Some(&patch("nobody@x.io", "c@x.io")),
    )
    .await;
    assert_eq!(r.status, 404, "oldValue not present: {:?}", r.body);
    let r = send(&base, "PATCH", &path, &[], Some(&patch("a@x.io", "B@X.io"))).await;
    assert_eq!(
        r.status, 409,
        "newValue already on the profile: {:?}",
        r.body
    );
    assert_conforms(
        &contract,
        contract.operation_by_id("PatchProfileIdentifier").unwrap(),
        &r,
        409,
    );
    let remove_all = format!("{path}?removeAll=true");
    assert_eq!(
        send(&base, "DELETE", &remove_all, &[], None).await.status,
        202
    );
    assert_eq!(
        send(&base, "DELETE", &path, &[], None).await.status,
        404,
        "nothing left to remove"
    );
    assert_eq!(values(&base, PROFILE, "email", &[]).await, Err(404));
}

#[tokio::test]
async fn a_shared_value_merges_profiles_and_the_merged_one_redirects() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let contract = contract();
    add(&base, PROFILE, "email", "ada@x.io", &[]).await; // PROFILE is written first: canonical
    add(&base, OTHER, "phone", "+13175556789", &[]).await;
    add(&base, OTHER, "email", "ADA@x.io", &[]).await; // the same email: merge
    let list = contract.operation_by_id("ListProfileIdentifiers").unwrap();
    let r = send(&base, "GET", &ids(OTHER), &[], None).await;
    assert_conforms(&contract, list, &r, 301);
    assert_eq!(r.header("canonical-profile-id"), Some(PROFILE));
    let location = r.header("location").unwrap().to_string();
    assert!(location.ends_with(&ids(PROFILE)), "{location}");
    // Following the redirect, as a client does, reaches the canonical profile.
    let path = location
        .strip_prefix(&base)
        .expect("the Location points at the mock");
    let r = send(&base, "GET", path, &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"identifiers": [
            {"idType": "email", "values": ["ada@x.io"]},
            {"idType": "phone", "values": ["+13175556789"]}
        ]})
    );
    // Writes to the merged profile are 308, and resent to the Location they work.
    let body = r#"{"idType":"email","value":"second@x.io"}"#;
    let r = send(&base, "POST", &ids(OTHER), &[], Some(body)).await;
    assert_conforms(
        &contract,
        contract.operation_by_id("CreateProfileIdentifier").unwrap(),
        &r,
        308,
    );
    let path = r
        .header("location")
        .unwrap()
        .strip_prefix(&base)
        .unwrap()
        .to_string();
    assert_eq!(
        send(&base, "POST", &path, &[], Some(body)).await.status,
        202
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["ada@x.io".into(), "second@x.io".into()])
    );
    // A merge chain resolves to the last canonical profile.
    add(&base, THIRD, "email", "second@x.io", &[]).await;
    let r = send(&base, "GET", &format!("{}/email", ids(THIRD)), &[], None).await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("canonical-profile-id"), Some(PROFILE));
}

#[tokio::test]
async fn a_redirect_from_a_merged_profile_keeps_the_requests_query() {
    // The Location dropped `?removeAll=true`: a client that followed it removed
    // one value, got 202, and the profile kept the rest.
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    add(&base, PROFILE, "email", "one@x.io", &[]).await;
    add(&base, PROFILE, "email", "extra@x.io", &[]).await;
    add(&base, OTHER, "email", "two@x.io", &[]).await;
    add(&base, OTHER, "email", "one@x.io", &[]).await; // merges OTHER into PROFILE
    let r = send(
        &base,
        "DELETE",
        &format!("{}/email?removeAll=true", ids(OTHER)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 308, "{:?}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert!(
        location.ends_with(&format!("{}/email?removeAll=true", ids(PROFILE))),
        "{location}"
    );
    let path = location.strip_prefix(&base).unwrap();
    assert_eq!(send(&base, "DELETE", path, &[], None).await.status, 202);
    assert_eq!(values(&base, PROFILE, "email", &[]).await, Err(404));
}

#[tokio::test]
async fn a_compressed_body_is_read_as_what_it_decodes_to() {
    // A client that gzips its uploads got 400 "is not valid JSON", and its
    // identifier was never added.
    use std::io::Write;
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let body = json!({"idType": "email", "value": "Zipped@X.io"}).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let gz = bytes::Bytes::from(gz.finish().unwrap());
    let coded = |coding: &'static str| {
        [
            ("authorization", AUTHORIZATION),
            ("content-type", "application/json"),
            ("content-encoding", coding),
        ]
    };
    let r = send_bytes(&base, "POST", &ids(PROFILE), &coded("gzip"), gz.clone()).await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["zipped@x.io".to_string()])
    );
    // A client that sends its coding on every request, bodiless ones too.
    let get = send_bytes(
        &base,
        "GET",
        &ids(PROFILE),
        &coded("gzip"),
        Default::default(),
    )
    .await;
    assert_eq!(get.status, 200, "{:?}", get.body);
    // The journal shows what the client meant to send.
    let journal = send(&base, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    assert!(journal.to_string().contains("Zipped@X.io"), "{journal}");

    // A coding mimeo cannot read is 415 naming those it can; bad bytes are 400.
    let r = send_bytes(&base, "POST", &ids(OTHER), &coded("zstd"), gz.clone()).await;
    assert_eq!(r.status, 415, "{:?}", r.body);
    assert_eq!(r.header("accept-encoding"), Some("gzip, deflate, br"));
    assert!(
        String::from_utf8_lossy(&r.body).contains("`zstd`"),
        "{:?}",
        r.body
    );
    let r = send_bytes(&base, "POST", &ids(OTHER), &coded("gzip"), body.into()).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(values(&base, OTHER, "email", &[]).await, Err(404));
}

#[tokio::test]
async fn every_deletion_starts_an_operation_of_its_own() {
    // Every deletion answered the documented example's Operation-Id, so a
    // client keying its pending operations by id saw them collide.
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let contract = contract();
    let op = contract.operation_by_id("DeleteDataMapping").unwrap();
    let mut seen = std::collections::HashSet::new();
    for store in ["a", "b", "c"] {
        let store = format!("mem_store_0{}", store.repeat(25));
        let path = format!(
            "/v1/ControlPlane/Stores/{store}/DataMappings/mem_datamapping_{}",
            "0".repeat(26)
        );
        let r = send(&base, "DELETE", &path, &[], None).await;
        assert_conforms(&contract, op, &r, 202);
        let id = r.header("operation-id").unwrap().to_string();
        assert!(
            id.len() == "mem_operation_".len() + 26 && id.starts_with("mem_operation_"),
            "{id}"
        );
        assert!(
            r.header("location").unwrap().ends_with(&id),
            "the Location names it"
        );
        // So does the body's statusUrl (it was the example's word `statusUrl`).
        assert_eq!(
            r.json()["statusUrl"].as_str(),
            r.header("location"),
            "{:?}",
            r.body
        );
        assert!(seen.insert(id), "a fresh id per operation");
    }
}

#[tokio::test]
async fn deleting_a_store_takes_everything_under_it_and_a_mapping_is_gone() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let contract = contract();
    add(&base, PROFILE, "email", "ada@x.io", &[]).await;
    let r = send(
        &base,
        "DELETE",
        &format!("/v1/ControlPlane/Stores/{STORE}"),
        &[],
        None,
    )
    .await;
    assert_conforms(
        &contract,
        contract.operation_by_id("DeleteStore").unwrap(),
        &r,
        202,
    );
    assert!(r.header("operation-id").is_some() && r.header("retry-after").is_some());
    assert_eq!(values(&base, PROFILE, "email", &[]).await, Err(404));
    let r = send(
        &base,
        "POST",
        &ids(OTHER),
        &[],
        Some(r#"{"idType":"email","value":"x@x.io"}"#),
    )
    .await;
    assert_eq!(r.status, 404, "nothing is written under a deleted store");
    assert_eq!(
        send(
            &base,
            "DELETE",
            &format!("/v1/ControlPlane/Stores/{STORE}"),
            &[],
            None
        )
        .await
        .status,
        404
    );
    let mapping = format!(
        "/v1/ControlPlane/Stores/mem_store_00000000000000000000000001/DataMappings/{MAPPING}"
    );
    assert_eq!(send(&base, "DELETE", &mapping, &[], None).await.status, 202);
    assert_eq!(send(&base, "DELETE", &mapping, &[], None).await.status, 404);
}

#[tokio::test]
async fn writes_become_visible_after_the_settle_delay() {
    let settle = Duration::from_millis(400);
    let server = stateful(StateOptions {
        settle,
        ..StateOptions::default()
    })
    .await;
    let base = server.url();
    let added = Instant::now();
    add(&base, PROFILE, "email", "ada@x.io", &[]).await;
    let early = values(&base, PROFILE, "email", &[]).await;
    if added.elapsed() < settle {
        assert_eq!(early, Err(404), "read before the write settled");
    }
    // A write right after is judged against the latest state: the value is there.
    let patch = r#"{"idType":"email","oldValue":"ada@x.io","newValue":"lovelace@x.io"}"#;
    let r = send(
        &base,
        "PATCH",
        &format!("{}/email", ids(PROFILE)),
        &[],
        Some(patch),
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if values(&base, PROFILE, "email", &[]).await == Ok(vec!["lovelace@x.io".into()]) {
            break;
        }
        assert!(Instant::now() < deadline, "the writes never became visible");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(added.elapsed() >= settle, "visible before the settle delay");
}

#[tokio::test]
async fn with_a_strict_seed_only_seeded_profiles_exist() {
    let contract = contract();
    let model = StateModel::for_contract(&contract).unwrap();
    let seed = format!(
        "stores:\n  {STORE}:\n    profiles:\n      {PROFILE}:\n        identifiers:\n          email: [ada@x.io]\n"
    );
    let seed = Seed::from_text("seed.yaml", &seed, &contract, &model).unwrap();
    let server = stateful(StateOptions {
        seed: Some(seed),
        strict: true,
        ..StateOptions::default()
    })
    .await;
    let base = server.url();
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["ada@x.io".into()])
    );
    let r = send(
        &base,
        "POST",
        &ids(OTHER),
        &[],
        Some(r#"{"idType":"email","value":"b@x.io"}"#),
    )
    .await;
    assert_eq!(
        r.status, 404,
        "an unseeded profile does not spring into existence"
    );
    add(&base, PROFILE, "email", "b@x.io", &[]).await;
    assert_eq!(values(&base, PROFILE, "email", &[]).await.unwrap().len(), 2);
}

#[tokio::test]
async fn sessions_keep_clients_apart_and_reset_one_or_all() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    // Twilio helper libraries send their AccountSid as the Basic user.
    let ac1 = ("authorization", "Basic QUMxMTExOnRva2Vu"); // AC1111:token
    let ac2 = ("authorization", "Basic QUMyMjIyOnRva2Vu"); // AC2222:token
    add(&base, PROFILE, "email", "one@x.io", &[ac1]).await;
    add(&base, PROFILE, "email", "two@x.io", &[ac2]).await;
    assert_eq!(
        values(&base, PROFILE, "email", &[ac1]).await,
        Ok(vec!["one@x.io".into()])
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[ac2]).await,
        Ok(vec!["two@x.io".into()])
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Err(404),
        "the default session saw neither"
    );
    let named = ("x-mimeo-session", "job-7");
    add(&base, PROFILE, "email", "seven@x.io", &[named, ac1]).await;
    assert_eq!(
        values(&base, PROFILE, "email", &[named]).await,
        Ok(vec!["seven@x.io".into()])
    );

    let r = send(&base, "POST", "/__admin/reset", &[ac1], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        values(&base, PROFILE, "email", &[ac1]).await,
        Err(404),
        "AC1111 starts over"
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[ac2]).await.unwrap().len(),
        1,
        "AC2222 kept"
    );
    send(&base, "POST", "/__admin/reset?all=true", &[], None).await;
    assert_eq!(values(&base, PROFILE, "email", &[ac2]).await, Err(404));
}

#[tokio::test]
async fn the_state_is_dumped_and_loaded_as_json() {
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    add(&base, PROFILE, "email", "ada@x.io", &[]).await;
    let dump = send(&base, "GET", "/__admin/state", &[], None).await;
    assert_eq!(dump.status, 200);
    let state = dump.json();
    assert_eq!(
        state,
        json!({"stores": {STORE: {"profiles": {PROFILE: {"identifiers": {"email": ["ada@x.io"]}}}}}})
    );
    let other = ("x-mimeo-session", "copy");
    let r = send(
        &base,
        "PUT",
        "/__admin/state",
        &[other],
        Some(&state.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        values(&base, PROFILE, "email", &[other]).await,
        Ok(vec!["ada@x.io".into()])
    );
    assert_eq!(
        server.state(Some("copy")),
        state,
        "the Rust API sees the same"
    );
    let bad = json!({"stores": {"mem_store_x": {}}});
    let r = send(
        &base,
        "PUT",
        "/__admin/state",
        &[other],
        Some(&bad.to_string()),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("mimeo-error"), Some("invalid-state"));
    assert!(
        r.json()["errors"][0]
            .as_str()
            .unwrap()
            .contains("/stores/mem_store_x"),
        "{:?}",
        r.body
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[other])
            .await
            .unwrap()
            .len(),
        1,
        "a refused state changes nothing"
    );
    server.reset(Some("copy"));
    assert_eq!(values(&base, PROFILE, "email", &[other]).await, Err(404));
}

#[tokio::test]
async fn prefer_and_rules_win_over_state_and_change_nothing() {
    let contract = contract();
    let model = Arc::new(StateModel::for_contract(&contract).unwrap());
    let server = start(ServeOptions {
        stateful: Some((model, StateOptions::default())),
        rules: vec![
            Rule::from_flag("DELETE /v1/Stores/*/Profiles/*/Identifiers/*=429,202").unwrap(),
        ],
        ..ServeOptions::default()
    })
    .await;
    let base = server.url();
    let body = r#"{"idType":"email","value":"ada@x.io"}"#;
    let r = send(
        &base,
        "POST",
        &ids(PROFILE),
        &[("prefer", "code=503")],
        Some(body),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Err(404),
        "a forced error wrote nothing"
    );
    add(&base, PROFILE, "email", "ada@x.io", &[]).await;
    // The rule's sequence is per session: each client meets its own 429 first.
    let path = format!("{}/email", ids(PROFILE));
    assert_eq!(send(&base, "DELETE", &path, &[], None).await.status, 429);
    assert_eq!(
        send(&base, "DELETE", &path, &[("x-mimeo-session", "b")], None)
            .await
            .status,
        429
    );
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["ada@x.io".into()])
    );
}

#[tokio::test]
async fn the_admin_prefix_is_refused_when_the_contract_uses_it() {
    let err = MockServer::start(
        contract(),
        ServeOptions {
            admin_prefix: "/v1".into(),
            ..ServeOptions::default()
        },
    )
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("admin prefix `/v1`"), "{err}");
    let server = start(ServeOptions::default()).await;
    let r = send(&server.url(), "GET", "/__admin/state", &[], None).await;
    assert_eq!(
        (r.status, r.header("mimeo-error")),
        (404, Some("not-stateful"))
    );
}

fn mimeo() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
}

#[test]
fn state_infer_prints_a_model_that_loads_back() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = mimeo()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["state", "infer", "--spec", "tests/fixtures/petstore.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let expected = std::fs::read_to_string(fixtures.join("petstore.state.yaml")).unwrap();
    assert_eq!(printed, expected, "the pet store's inferred model");

    let out = mimeo().args(["state", "infer"]).output().unwrap();
    let memory = String::from_utf8(out.stdout).unwrap();
    for line in [
        "  profiles:\n    key: profileId\n    parent: stores\n",
        "  ListProfileIdentifiers: {list: identifiers, array: /identifiers}",
        "  DeleteStore: {delete: stores}",
        "#   CreateProfileIdentifier (POST",
    ] {
        assert!(memory.contains(line), "`{line}` missing from:\n{memory}");
    }
    // What it prints is a model mimeo takes back.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("memory.state.yaml");
    std::fs::write(&model, &memory).unwrap();
    let contract = contract();
    StateModel::from_file(&model, &contract).unwrap_or_else(|e| panic!("{e}\n{memory}"));
}

#[test]
fn bad_models_and_seeds_stop_serve_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.yaml");
    std::fs::write(
        &model,
        "resources:\n  stores: {key: storeId}\noperations:\n  DeleteStore: {delete: stores}\n  NoSuchOperation: {read: stores}\n",
    )
    .unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--state-model"])
        .arg(&model)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:5:", model.display())),
        "{stderr}"
    );
    assert!(stderr.contains("NoSuchOperation"), "{stderr}");

    let seed = dir.path().join("s.yaml");
    std::fs::write(&seed, "stores:\n  not-a-store-id: {}\n").unwrap();
    let out = mimeo()
        .args(["serve", "--port", "0", "--stateful", "--seed-state"])
        .arg(&seed)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2:", seed.display())),
        "{stderr}"
    );
    assert!(stderr.contains("storeId"), "{stderr}");
}

#[tokio::test]
async fn a_state_larger_than_a_request_body_is_loaded_back() {
    // PUT /__admin/state was held to --max-body-size, below what a session
    // may hold: a state GET gave could not be PUT back (413).
    let server = stateful_with(
        StateOptions::default(),
        ServeOptions {
            max_body: 4096,
            ..ServeOptions::default()
        },
    )
    .await;
    let base = server.url();
    let values: Vec<String> = (0..60)
        .map(|i| format!("v{i:03}-{}@example.com", "x".repeat(200)))
        .collect();
    let state =
        json!({"stores": {STORE: {"profiles": {PROFILE: {"identifiers": {"email": values}}}}}});
    let text = state.to_string();
    assert!(text.len() > 3 * 4096, "{}", text.len());
    let r = send(&base, "PUT", "/__admin/state", &[], Some(&text)).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let dump = send(&base, "GET", "/__admin/state", &[], None).await;
    assert_eq!(dump.json(), state);
    // An operation's own body is still held to --max-body-size.
    let body = json!({"idType": "email", "value": "y".repeat(5000)}).to_string();
    assert_eq!(
        send(&base, "POST", &ids(PROFILE), &[], Some(&body))
            .await
            .status,
        413
    );
}

#[tokio::test]
async fn a_location_names_the_mock_when_the_host_header_is_no_host() {
    // A 3,000-character Host made a Location past the contract's 2,048; `a b`
    // or `evil.com/path?x=` made one that is no URL.
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    let long = "h".repeat(3000);
    let store = |i: u32| format!("/v1/ControlPlane/Stores/mem_store_{i:026}");
    for (i, host) in [long.as_str(), "a b", "evil.com/path?x=", "u:p@evil.com"]
        .into_iter()
        .enumerate()
    {
        let r = send(&base, "DELETE", &store(i as u32), &[("host", host)], None).await;
        assert_eq!(r.status, 202, "{host}: {:?}", r.body);
        let location = r.header("location").unwrap();
        assert!(location.starts_with(&base), "{host}: {location}");
    }
    let r = send(
        &base,
        "DELETE",
        &store(9),
        &[("host", "mock.test:4010")],
        None,
    )
    .await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("http://mock.test:4010/"),
        "{:?}",
        r.headers
    );
}

#[tokio::test]
async fn a_merge_that_would_hold_more_types_than_the_list_shows_is_refused() {
    // Two profiles of 30 idTypes each merged into one of 61, of which the
    // list showed 50: eleven types were dropped without a word.
    let server = stateful(StateOptions::default()).await;
    let base = server.url();
    for i in 0..30 {
        add(&base, PROFILE, &format!("t{i}"), "v1", &[]).await;
        add(&base, OTHER, &format!("u{i}"), "v2", &[]).await;
    }
    add(&base, PROFILE, "email", "shared@x.io", &[]).await;
    let body = json!({"idType": "email", "value": "shared@x.io"}).to_string();
    let r = send(&base, "POST", &ids(OTHER), &[], Some(&body)).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        String::from_utf8_lossy(&r.body).contains("nothing changed"),
        "{:?}",
        r.body
    );
    // Nothing changed: both profiles are as they were, unmerged.
    assert_eq!(values(&base, OTHER, "u7", &[]).await, Ok(vec!["v2".into()]));
    assert_eq!(values(&base, OTHER, "email", &[]).await, Err(404));
    assert_eq!(
        values(&base, PROFILE, "t7", &[]).await,
        Ok(vec!["v1".into()])
    );
}

#[tokio::test]
async fn a_sequences_success_step_is_the_models_to_answer() {
    // `429,429,202` with --stateful: the 202 was made up and the add lost,
    // and every later add too (the last step stays).
    let rule = Rule::from_flag(&format!("POST {}=429,429,202", ids("*"))).unwrap();
    let remove = Rule::from_flag(&format!("DELETE {}/*=429,202", ids("*"))).unwrap();
    // A rule that only shapes the answer: the model still answers.
    let slow = Rule::matching(hyper::Method::GET, &format!("{}/*", ids("*")))
        .delay(mimeo::Latency::fixed(Duration::from_millis(1)));
    let server = stateful_with(
        StateOptions::default(),
        ServeOptions {
            rules: vec![rule, remove, slow],
            ..ServeOptions::default()
        },
    )
    .await;
    let base = server.url();
    let body = json!({"idType": "email", "value": "retry@x.io"}).to_string();
    let statuses = {
        let mut s = Vec::new();
        for _ in 0..3 {
            s.push(
                send(&base, "POST", &ids(PROFILE), &[], Some(&body))
                    .await
                    .status,
            );
        }
        s
    };
    assert_eq!(statuses, [429, 429, 202]);
    assert_eq!(
        values(&base, PROFILE, "email", &[]).await,
        Ok(vec!["retry@x.io".to_string()])
    );
    add(&base, PROFILE, "email", "later@x.io", &[]).await;
    assert_eq!(values(&base, PROFILE, "email", &[]).await.unwrap().len(), 2);
    // The model's answer to a step names the rule and step, as the rule's own
    // answers do (it was journaled as `state`, the rule and step lost), with
    // what the model said when it was not the success.
    let missing = format!("{}/phone", ids(PROFILE));
    assert_eq!(send(&base, "DELETE", &missing, &[], None).await.status, 429);
    assert_eq!(send(&base, "DELETE", &missing, &[], None).await.status, 404);
    let journal = send(&base, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    let reasons: Vec<&serde_json::Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request"]["method"] != "GET")
        .map(|r| &r["reason"])
        .rev()
        .collect();
    let origin = |i: usize| reasons[i]["rule"].as_str().unwrap().to_string();
    let step = |i: usize, s: u64, of: u64| {
        assert_eq!(reasons[i]["kind"], "rule", "{i}: {reasons:#?}");
        assert_eq!(reasons[i]["step"], s, "{i}: {reasons:#?}");
        assert_eq!(reasons[i]["of"], of, "{i}: {reasons:#?}");
    };
    for (i, s) in [1, 2, 3, 3].into_iter().enumerate() {
        step(i, s, 3);
        assert_eq!(origin(i), origin(0));
        assert!(reasons[i].get("state").is_none(), "{reasons:#?}");
    }
    step(4, 1, 2);
    step(5, 2, 2);
    assert_ne!(origin(5), origin(0));
    assert!(reasons[5]["state"].is_string(), "{reasons:#?}");
    // The shaping rule is named too (it was journaled as `state`, as if no rule
    // had applied), with no step, and the model's word when it was not a success.
    let fetches: Vec<&serde_json::Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["request"]["method"] == "GET")
        .filter(|r| r["request"]["url"].as_str().unwrap().ends_with("/email"))
        .map(|r| &r["reason"])
        .collect();
    assert!(!fetches.is_empty(), "{journal:#}");
    for reason in fetches {
        assert_eq!(reason["kind"], "rule", "{reason:#}");
        assert!(reason.get("step").is_none(), "{reason:#}");
        assert!(!reason["rule"].as_str().unwrap().is_empty(), "{reason:#}");
    }
    // A request whose own Prefer shaped it (its delay wins over the rule's) is
    // the model's answer, not the rule's.
    let fetch = format!("{}/email", ids(PROFILE));
    for asked in ["delay=5ms", "dynamic=true"] {
        send(&base, "GET", &fetch, &[("Prefer", asked)], None).await;
        let journal = send(&base, "GET", "/__admin/requests", &[], None)
            .await
            .json();
        let last = journal["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request"]["url"].as_str() == Some(fetch.as_str()))
            .map(|r| &r["reason"]);
        assert_eq!(
            last.map(|r| &r["kind"]),
            Some(&json!("state")),
            "{journal:#}"
        );
    }
}

/// An inferred model whose key field is stricter than the path's parameter
/// (`^pet_[0-9]+$` where the path says `string`), and whose answer is
/// stricter than the request (a name of at most 3 characters).
const STRICT: &str = "openapi: 3.0.3
info: {title: strict, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: no}
components:
  schemas:
    Pet:
      type: object
      required: [petId, name]
      properties:
        petId: {type: string, pattern: '^pet_[0-9]+$'}
        name: {type: string, maxLength: 3}
";

#[tokio::test]
async fn a_generated_key_fits_its_field_and_a_refused_answer_stores_nothing() {
    let server = inferred("strict.yaml", STRICT).await;
    let base = server.url();
    // The key was drawn from the path's schema alone: the 201 broke the
    // field's pattern, a 500.
    let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rex"}"#)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.json()["petId"].as_str().unwrap().to_string();
    assert!(
        id.strip_prefix("pet_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        "{id}"
    );
    // A name the request allows and the answer does not: refused, and not
    // stored (it was, and every list after it was a 500 too).
    let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rexford"}"#)).await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    assert_eq!(
        r.headers.get("mimeo-error").and_then(|v| v.to_str().ok()),
        Some("invalid-response"),
        "{:?}",
        r.headers
    );
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.json(), json!([{"petId": id, "name": "Rex"}]));
}

#[tokio::test]
async fn a_generated_key_fits_every_allof_member_declaring_its_field() {
    // `Pet: allOf [Base {petId: string}, {petId: {pattern}}]`: the key was
    // checked against the first declaration only, and every create was a 500.
    let split = STRICT.replace(
        "    Pet:
      type: object
      required: [petId, name]
      properties:
        petId: {type: string, pattern: '^pet_[0-9]+$'}
        name: {type: string, maxLength: 3}",
        "    Base:
      type: object
      properties:
        petId: {type: string}
    Pet:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [petId, name]
          properties:
            petId: {pattern: '^pet_[0-9]+$'}
            name: {type: string, maxLength: 3}",
    );
    assert_ne!(split, STRICT);
    let server = inferred("split.yaml", &split).await;
    let base = server.url();
    for _ in 0..2 {
        let r = send(&base, "POST", "/pets", &[], Some(r#"{"name":"Rex"}"#)).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(r.json()["petId"].as_str().unwrap().starts_with("pet_"));
    }
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(2),
        "{:?}",
        list.body
    );
}

/// One create documented in two media types: `PetV1` (a name of at most 3)
/// and the v2 type (any name).
const NEGOTIATED: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewPet'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/PetV1'}
            application/vnd.pet.v2+json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        name: {type: string}
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
    PetV1:
      type: object
      required: [id, name]
      additionalProperties: false
      properties:
        id: {type: string}
        name: {type: string, maxLength: 3}
";

#[tokio::test]
async fn a_write_is_stored_exactly_when_the_answer_accept_picks_is_sent() {
    let server = inferred("neg.yaml", NEGOTIATED).await;
    let base = server.url();
    let body = Some(r#"{"name":"Rexford"}"#);
    // The v2 answer allows the name: stored, each create its own id (it was
    // judged by the first JSON type's schema, answered 201 and not stored, and
    // the next create was handed the same id).
    let v2 = [("accept", "application/vnd.pet.v2+json")];
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = send(&base, "POST", "/pets", &v2, body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1]);
    // The v1 answer does not: refused, and not stored.
    let json_only = [("accept", "application/json")];
    let r = send(&base, "POST", "/pets", &json_only, body).await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    // An `Accept` admitting no documented type: 406, and not stored.
    let html = [("accept", "text/html")];
    let r = send(&base, "POST", "/pets", &html, body).await;
    assert_eq!(r.status, 406, "{:?}", r.body);
    let list = send(&base, "GET", "/pets", &[], None).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let listed: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ids, "{:?}", list.body);
}

/// A key the path wants digits for, and the field a uuid.
const UNFIT: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string, pattern: '^[0-9]+$'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
";

#[tokio::test]
async fn a_key_no_schema_of_the_contract_allows_is_its_problem_not_a_state_limit() {
    let server = inferred("unfit.yaml", UNFIT).await;
    let r = send(&server.url(), "POST", "/pets", &[], Some(r#"{"name":"x"}"#)).await;
    // It was a 507 state-limit, which says a bound of the state was reached.
    assert_eq!(r.status, 500, "{:?}", r.body);
    assert_eq!(
        r.headers.get("mimeo-error").and_then(|v| v.to_str().ok()),
        Some("invalid-response"),
        "{:?}",
        r.headers
    );
    let message = r.json()["message"].as_str().unwrap().to_string();
    for part in ["petId", "field /id", "/post/responses/201/"] {
        assert!(message.contains(part), "{message}");
    }
}

/// Two reads sharing the operationId `getItem`: the second goes by its method
/// and path.
const SHARED_ID: &str = "
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets/{petId}:
    get:
      operationId: getItem
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
  /toys/{toyId}:
    get:
      operationId: getItem
      parameters:
        - {name: toyId, in: path, required: true, schema: {type: string, maxLength: 3}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '404': {description: nf}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: string}
        name: {type: string}
";

#[tokio::test]
async fn an_operation_whose_operation_id_was_taken_is_named_by_its_method_and_path() {
    let contract = Arc::new(mimeo::Contract::from_text("shared.yaml", SHARED_ID).unwrap());
    // Inferred, it is in the model under its method and path (it was left
    // out: "no operationId to name it by").
    let inferred = StateModel::infer(&contract).to_yaml(&contract);
    assert!(
        inferred.contains("\"GET /toys/{toyId}\": {read: toys}"),
        "{inferred}"
    );
    // Written by hand so, it loads (it was "not in the contract").
    let model = StateModel::from_text(
        "model.yaml",
        "resources:\n  toys: {key: toyId, field: /id}\noperations:\n  \"GET /toys/{toyId}\": {read: toys}\n",
        &contract,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let server = MockServer::start(
        contract,
        ServeOptions {
            stateful: Some((Arc::new(model), StateOptions::default())),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let base = server.url();
    // The model answers it: no toy is there (the stateless mock says 200).
    let r = send(&base, "GET", "/toys/abc", &[], None).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    // A near miss of it names it as closest (it was looked up by an
    // operationId it does not have: `closest` was empty).
    let r = send(&base, "GET", "/toys/toolong", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let misses = send(
        &base,
        "GET",
        "/__admin/requests/unmatched/near-misses",
        &[],
        None,
    )
    .await;
    let closest = &misses.json()["nearMisses"][0]["closest"];
    assert_eq!(closest[0]["operation"], "GET /toys/{toyId}", "{closest}");
}
