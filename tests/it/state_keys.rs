//! The keys `mimeo serve --state-model` generates for creates, through the real
//! binary: a key fits its field as the contract declares it, however the field
//! is split among `allOf` members, typed by a `oneOf` alternative, and however
//! deep it sits in the item (tests/fixtures/nested-key.yaml and
//! key-alternatives.yaml). stateful/models.rs has the top-level cases, with the
//! models mimeo infers.

use std::path::{Path, PathBuf};

use crate::common::proxy::{spawn_command, Running};
use crate::common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `mimeo serve` on the nested-key fixture and its model.
fn serve() -> Running {
    serve_fixture("nested-key")
}

/// `mimeo serve` on fixture `name` (.yaml) and its model (.state.yaml).
fn serve_fixture(name: &str) -> Running {
    let contract = fixture(&format!("{name}.yaml"));
    let model = fixture(&format!("{name}.state.yaml"));
    spawn_command(
        "serve",
        &[
            "--spec",
            contract.to_str().unwrap(),
            "--state-model",
            model.to_str().unwrap(),
            "--port",
            "0",
            "--quiet",
        ],
    )
}

/// Whether `key` is `prefix` and digits, as the fixtures' patterns ask.
fn prefixed_digits(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// How many items the list at `path` answers (a 200 with a JSON array).
async fn listed(base: &str, path: &str) -> usize {
    let list = send(base, "GET", path, &[], None).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let items = list.json().as_array().map(Vec::len);
    items.unwrap_or_else(|| panic!("not an array: {:?}", list.body))
}

/// Stops the server, which must exit cleanly.
fn stop(serve: Running) {
    let stopped = serve.stop();
    assert_eq!(stopped.code, Some(0), "{stopped}");
}

#[tokio::test]
async fn a_nested_key_fits_every_allof_member_declaring_the_fields_on_its_way() {
    // Pet: allOf [{meta: Meta {id: string}}, {meta: {id: {pattern}}}], the key
    // at /meta/id. Only the first member's `meta` was followed: the key was
    // drawn as any string, the 201 broke the pattern, and every create was a
    // 500 invalid-response.
    let serve = serve();
    let base = serve.url.clone();
    let mut keys = Vec::new();
    for name in ["Rex", "Fido"] {
        let body = format!(r#"{{"name":"{name}"}}"#);
        let r = send(&base, "POST", "/pets", &[], Some(&body)).await;
        assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
        let key = r.json()["meta"]["id"].as_str().unwrap().to_string();
        assert!(prefixed_digits(&key, "pet_"), "{key}");
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1]);
    // Each is stored under its key, and read back as created.
    for (key, name) in keys.iter().zip(["Rex", "Fido"]) {
        let r = send(&base, "GET", &format!("/pets/{key}"), &[], None).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.json()["meta"]["id"], key.as_str());
        assert_eq!(r.json()["name"], name);
    }
    assert_eq!(listed(&base, "/pets").await, 2);
    stop(serve);
}

#[tokio::test]
async fn a_key_no_path_shows_takes_its_type_from_every_allof_member() {
    // A tag's key shows in no path: its field says what it is, and the second
    // member makes it an integer. The first member alone (a description) said
    // nothing, the key was text, and every create was a 500 invalid-response.
    let serve = serve();
    let base = serve.url.clone();
    for n in 1..=2 {
        let r = send(&base, "POST", "/tags", &[], Some(r#"{"label":"x"}"#)).await;
        assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
        assert_eq!(r.json()["meta"]["id"], n, "{:?}", r.body);
    }
    assert_eq!(listed(&base, "/tags").await, 2);
    stop(serve);
}

#[tokio::test]
async fn a_key_typed_by_an_alternative_or_a_later_member_fits_it() {
    // tests/fixtures/key-alternatives.yaml. Animal and Badge: a member that
    // only annotates the key field (`readOnly`, a description) hid the type or
    // pattern a oneOf alternative of the other member gives it, and every
    // create was a 500 invalid-response. Bird: only the second member declares
    // `/meta/id`, and the model was refused at start-up. Thing: see below.
    let serve = serve_fixture("key-alternatives");
    let base = serve.url.clone();
    for n in 1..=2 {
        let r = send(&base, "POST", "/badges", &[], Some(r#"{"label":"x"}"#)).await;
        assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
        assert_eq!(r.json()["num"], n, "{:?}", r.body);
    }
    assert_eq!(listed(&base, "/badges").await, 2);
    let r = send(&base, "POST", "/animals", &[], Some(r#"{"name":"Rex"}"#)).await;
    assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
    let key = r.json()["animalId"].as_str().unwrap().to_string();
    assert!(prefixed_digits(&key, "ani_"), "{key}");
    let read = send(&base, "GET", &format!("/animals/{key}"), &[], None).await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.json()["name"], "Rex");
    let r = send(&base, "POST", "/birds", &[], Some(r#"{"name":"Tweety"}"#)).await;
    assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
    let key = r.json()["meta"]["id"].as_str().unwrap().to_string();
    assert!(prefixed_digits(&key, "bird_"), "{key}");
    let read = send(&base, "GET", &format!("/birds/{key}"), &[], None).await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    // Thing: the first alternative's integer is not taken beside the second
    // member's patterned string (the key could fit neither both at once).
    let r = send(&base, "POST", "/things", &[], Some(r#"{"name":"a"}"#)).await;
    assert_eq!(r.status, 201, "{:?} {:?}", r.headers, r.body);
    let key = r.json()["thingId"].as_str().unwrap().to_string();
    assert!(prefixed_digits(&key, "thg_"), "{key}");
    stop(serve);
}
