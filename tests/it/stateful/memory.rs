//! Memory v1's semantics as a client sees them: values normalized, kept in
//! order and once, limit policies, the documented 400/404/409, merges (and the
//! merges refused) and their redirects, a redirect's `Location` whatever the
//! `Host`, compressed bodies, deletions and the settle delay.

use std::time::{Duration, Instant};

use mimeo::state::Seed;

use super::*;

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
