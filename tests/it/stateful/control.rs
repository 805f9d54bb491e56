//! Controlling the simulation: seeds, sessions and their resets, the state
//! dumped and loaded (a state larger than a request body too), `Prefer` and
//! rules winning over state, the admin prefix, `mimeo state infer` and bad
//! models or seeds through the binary.

use mimeo::state::Seed;
use mimeo::Rule;

use super::*;

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
