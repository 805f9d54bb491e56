//! Ordinary REST on the pet-store fixture, with its inferred model: create,
//! read, list, replace, merge patch, delete, nested collections and cascade.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{body, message, petstore_contract, status, Client};
use crate::state::model::StateModel;
use crate::state::sim::{SimOptions, SimOutcome};

fn client() -> Client {
    let contract = petstore_contract();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/petstore.state.yaml"
    );
    let model = StateModel::from_file(path, &contract).unwrap_or_else(|e| panic!("{e}"));
    Client::new(Arc::new(contract), Arc::new(model), SimOptions::default())
}

fn pet(c: &Client, id: &str) -> SimOutcome {
    c.call("getPet", &[("petId", id)], &[], None)
}

#[test]
fn created_pets_get_keys_locations_and_server_fields() {
    let c = client();
    let first = c.call("createPet", &[], &[], Some(json!({"name": "Rex"})));
    let SimOutcome::Respond {
        status: 201,
        body: Some(created),
        location: Some(location),
        checked: Some(_),
    } = &first
    else {
        panic!("{first:?}")
    };
    assert_eq!(
        *created,
        json!({"name": "Rex", "id": 1, "status": "available"})
    );
    assert_eq!(location, "/pets/1");
    let chosen = c.call(
        "createPet",
        &[],
        &[],
        Some(json!({"id": 7, "name": "Tom", "tag": "cat"})),
    );
    assert_eq!(body(&chosen)["id"], 7);
    assert_eq!(
        body(&c.call("createPet", &[], &[], Some(json!({"name": "Bo"}))))["id"],
        8
    );
    let taken = c.call(
        "createPet",
        &[],
        &[],
        Some(json!({"id": 7, "name": "Again"})),
    );
    assert_eq!(
        (status(&taken), message(&taken)),
        (409, "pets/7 already exists".to_string())
    );
    assert_eq!(body(&pet(&c, "7"))["tag"], "cat");
    assert_eq!(body(&pet(&c, "007"))["name"], "Tom");
    let list = body(&c.call("listPets", &[], &[], None));
    assert_eq!(list["total"], 3);
    let names: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, [&json!("Rex"), &json!("Tom"), &json!("Bo")]);
}

#[test]
fn put_replaces_patch_merges_and_delete_removes() {
    let c = client();
    c.call(
        "createPet",
        &[],
        &[],
        Some(json!({"name": "Rex", "tag": "dog"})),
    );
    let replaced = c.call(
        "replacePet",
        &[("petId", "1")],
        &[],
        Some(json!({"name": "Max", "status": "sold"})),
    );
    assert_eq!(
        body(&replaced),
        json!({"name": "Max", "status": "sold", "id": 1})
    );
    let patched = c.call(
        "updatePet",
        &[("petId", "1")],
        &[],
        Some(json!({"tag": "good", "status": null, "id": 99})),
    );
    let out = c.call(
        "updatePet",
        &[("petId", "1")],
        &[],
        Some(json!({"status": "available"})),
    );
    assert_eq!(
        status(&patched),
        400,
        "status is required: removing it breaks the schema"
    );
    assert!(
        message(&patched).contains("after the patch, pets/1 would break its schema"),
        "{patched:?}"
    );
    assert_eq!(
        body(&out),
        json!({"name": "Max", "status": "available", "id": 1})
    );
    let tagged = c.call(
        "updatePet",
        &[("petId", "1")],
        &[],
        Some(json!({"tag": "good", "id": 99})),
    );
    assert_eq!(
        body(&tagged)["id"],
        1,
        "the path names the pet; its key stays"
    );
    assert_eq!(body(&pet(&c, "1"))["tag"], "good");
    assert_eq!(
        status(&c.call(
            "replacePet",
            &[("petId", "2")],
            &[],
            Some(json!({"name": "X"}))
        )),
        404
    );
    assert_eq!(
        c.call("deletePet", &[("petId", "1")], &[], None),
        SimOutcome::Respond {
            status: 204,
            body: None,
            location: None,
            checked: None,
        }
    );
    assert_eq!(status(&pet(&c, "1")), 404);
    assert_eq!(
        status(&c.call("deletePet", &[("petId", "1")], &[], None)),
        404
    );
    // Pets are not implicit: nothing is kept of a deleted one, so its key is free.
    assert_eq!(
        status(&c.call("createPet", &[], &[], Some(json!({"id": 1, "name": "New"})))),
        201
    );
    assert_eq!(
        c.sim.dump("test"),
        json!({"pets": {"1": {"data": {"id": 1, "name": "New", "status": "available"}}}})
    );
}

#[test]
fn nested_collections_follow_their_owner_and_go_with_it() {
    let c = client();
    let owner = body(&c.call("createOwner", &[], &[], Some(json!({"name": "Ada"}))));
    let id = owner["id"].as_str().unwrap().to_string();
    assert!(
        regex::Regex::new("^own_[a-z0-9]{8}$")
            .unwrap()
            .is_match(&id),
        "{id}"
    );
    let other = body(&c.call("createOwner", &[], &[], Some(json!({"name": "Bob"}))));
    assert_ne!(other["id"], owner["id"]);
    let at = [("ownerId", id.as_str())];
    let added = c.call("addOwnerPet", &at, &[], Some(json!({"name": "Rex"})));
    assert_eq!(body(&added)["id"], 1);
    c.call("addOwnerPet", &at, &[], Some(json!({"name": "Tom"})));
    let listed = body(&c.call("listOwnerPets", &at, &[], None));
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert_eq!(
        status(&c.call(
            "getOwnerPet",
            &[("ownerId", &id), ("petId", "2")],
            &[],
            None
        )),
        200
    );
    let nobody = [("ownerId", "own_zzzzzzzz")];
    assert_eq!(
        status(&c.call("addOwnerPet", &nobody, &[], Some(json!({"name": "X"})))),
        404
    );
    assert_eq!(status(&c.call("listOwnerPets", &nobody, &[], None)), 404);
    // The top-level /pets are another collection.
    assert_eq!(status(&pet(&c, "1")), 404);
    assert_eq!(status(&c.call("deleteOwner", &at, &[], None)), 204);
    assert_eq!(
        status(&c.call(
            "getOwnerPet",
            &[("ownerId", &id), ("petId", "1")],
            &[],
            None
        )),
        404
    );
    assert_eq!(status(&c.call("listOwnerPets", &at, &[], None)), 404);
    assert_eq!(
        body(&c.call("listOwners", &[], &[], None))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn an_operation_outside_the_model_is_left_to_the_stateless_mock() {
    let c = client();
    let op = c.contract.operation_by_id("health").unwrap();
    assert!(c
        .sim
        .handle("test", op, &[], &[], None, None, c.now)
        .is_none());
}
