//! Model and seed files: every problem reported, each with file:line:column;
//! and the model options that the shipped models do not use.

use std::sync::Arc;

use serde_json::json;

use super::memory::{profile, store};
use super::{body, memory, message, petstore_contract, status, Client};
use crate::state::model::StateModel;
use crate::state::seed::Seed;
use crate::state::sim::SimOptions;

fn model_errors(text: &str, petstore: bool) -> Vec<String> {
    let (memory, _) = memory();
    let pets = petstore_contract();
    let contract = if petstore { &pets } else { &*memory };
    match StateModel::from_text("m.yaml", text, contract) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn seed_errors(text: &str) -> Vec<String> {
    let (contract, model) = memory();
    match Seed::from_text("seed.yaml", text, &contract, &model) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_model_naming_what_the_contract_lacks_is_refused_with_every_position() {
    let text = "\
resources:
  stores: {key: storeId, implicit: true}
  profiles: {parent: stores, key: profileId, implicit: true}
  data: {key: x}
sets:
  identifiers: {owner: profiles, key: idType, unique: merge}
operations:
  CreateProfileIdentifier: {add: identifiers, key: /idTyp, value: /value}
  DeleteProfileIdentifier: {remove: identifiers, all: remove_all}
  ListProfileIdentifiers: {list: identifiers, array: /identifiers/0/idType}
  PatchProfileIdentifier: {change: identifiers, old: /oldValue}
  DeleteStore: {delete: stores, status: 204}
  NoSuchOp: {read: stores}
";
    assert_eq!(
        model_errors(text, false),
        [
            "m.yaml:4:9: `data` cannot name a resource or set: it is a field of items in seeds (data, deleted, mergedInto, settings)",
            "m.yaml:6:24: `unique: merge` merges `profiles` items, so `profiles` needs `redirect: {read: 301, write: 308}` (the statuses for a merged item)",
            "m.yaml:8:52: `/idTyp` in the CreateProfileIdentifier request body: the schema has no field `idTyp` (it has idType, value)",
            "m.yaml:9:55: DeleteProfileIdentifier has no query parameter `remove_all` (its query parameters: removeAll)",
            "m.yaml:10:54: `/identifiers/0/idType` in the ListProfileIdentifiers response is not an array",
            "m.yaml:11:27: `change` needs `new: /field`, the body field holding it",
            "m.yaml:12:16: DeleteStore (delete) would answer 204 (for its success), which it does not document (it documents 202, 400, 404, 429, 500, 503)",
            "m.yaml:13:13: operation `NoSuchOp` is not in the contract (its operationIds: ListProfileIdentifiers, CreateProfileIdentifier, FetchProfileIdentifier, DeleteProfileIdentifier, PatchProfileIdentifier, DeleteStore, DeleteDataMapping)",
        ]
    );
}

#[test]
fn model_shapes_actions_and_statuses_are_checked() {
    let text = "\
resources:
  pets: {key: petId, field: /ident}
  owners: {key: ownerId, parent: owners}
operations:
  deleteOwner: {delete: owners, cascade: false}
  createPet: {create: pets, list: pets}
  getPet: {}
  health: {read: pets}
  listPets: {list: pets}
";
    assert_eq!(
        model_errors(text, true),
        [
            "m.yaml:2:29: field `/ident` of `pets`: the schema has no field `ident` (it has id, name, status, tag)",
            "m.yaml:3:34: parent `owners` is not a resource declared in `resources`",
            "m.yaml:5:16: deleteOwner (delete) would answer 409 (for an item that still has children, with cascade: false), which it does not document (it documents 204, 404)",
            "m.yaml:6:14: createPet names several actions (create, list); give one",
            "m.yaml:7:11: getPet names no action; give one of create, read, list, replace, merge, delete (resources) or add, change, remove, read, list (sets)",
            "m.yaml:8:18: health (GET /health) has no path parameter `petId` naming a `pets` item (its path parameters: none)",
        ]
    );
    assert_eq!(
        model_errors("resources: {pets: {key: petId}\noperations: {}\n", true),
        ["m.yaml:2:1: while parsing a flow mapping, did not find expected ',' or '}'"]
    );
    assert_eq!(
        model_errors("resources:\n  pets: {key: petId, colour: red}\noperations: {}\n", true),
        ["m.yaml:2:22: unknown field `colour`, expected one of key, parent, field, implicit, redirect"]
    );
    assert_eq!(
        model_errors("operations: {}\n", true),
        ["m.yaml:1:13: `operations` is empty; name at least one operation"]
    );
}

#[test]
fn a_malformed_seed_is_refused_with_every_position() {
    let text = format!(
        "\
stores:
  mem_store_bad: {{}}
  {s1}:
    settings: {{identifiers: {{phone: {{limit: 500}}}}}}
    profiles:
      {p1}:
        identifiers:
          phone: [\"+13175550100\", \"+1 317 555 0100\"]
          email: [A@example.com]
        color: red
      {p2}:
        identifiers: {{email: [a@example.com], phone: [\"12\"]}}
      {p3}: {{mergedInto: {p9}}}
      {p4}: {{mergedInto: {p1}, identifiers: {{email: [b@example.com]}}}}
      mem_profile_x: {{}}
  {s2}: {{deleted: true}}
pets: {{}}
",
        s1 = store(1),
        s2 = store(2),
        p1 = profile(1),
        p2 = profile(2),
        p3 = profile(3),
        p4 = profile(4),
        p9 = profile(9)
    );
    let (p1, p3, p4, p9) = (profile(1), profile(3), profile(4), profile(9));
    assert_eq!(
        seed_errors(&text),
        [
            "seed.yaml:2:18: `mem_store_bad` is not a valid stores key (path parameter storeId): \"mem_store_bad\" does not match \"^mem_(store|service)_[0-7][0-9a-z]{25}$\"".to_string(),
            "seed.yaml:4:45: limit 500 is out of range (1 to 100)".into(),
            "seed.yaml:8:35: \"+13175550100\" is listed twice under phone".into(),
            "seed.yaml:10:16: `color` is not a field of a profiles item (it takes: identifiers, deleted, mergedInto)".into(),
            format!("seed.yaml:12:31: email \"a@example.com\" is held by {p1} too; with enforceUnique a value belongs to one of the profiles (mark one `mergedInto` the other)"),
            "seed.yaml:12:55: phone: \"12\" is not a phone number (normalization: phone, E.164: `+` and 8 to 15 digits)".into(),
            format!("seed.yaml:13:47: {p3} is merged into {p9}, which is not among these profiles"),
            format!("seed.yaml:14:47: profiles/{p4} is deleted or merged, so it holds nothing else"),
            "seed.yaml:15:22: `mem_profile_x` is not a valid profiles key (path parameter profileId): \"mem_profile_x\" does not match \"^mem_profile_[0-7][0-9a-z]{25}$\"".into(),
            "seed.yaml:17:7: `pets` is not a top-level resource of the model (it has: stores)".into(),
        ]
    );
    assert_eq!(
        seed_errors("stores: [1]\n"),
        ["seed.yaml:1:9: `stores` holds items by key (a mapping), found a list"]
    );
    assert_eq!(
        seed_errors("stores: {\n"),
        ["seed.yaml:1:9: unclosed bracket '{'"]
    );
    assert!(seed_errors("").is_empty());
}

#[test]
fn seed_files_load_from_disk_and_a_missing_file_is_named() {
    let (contract, model) = memory();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, format!("stores: {{{}: {{}}}}\n", store(1))).unwrap();
    let seed = Seed::from_file(&path, &contract, &model).unwrap();
    assert_eq!(seed.world.recount().items, 1);
    let e = Seed::from_file(dir.path().join("none.yaml"), &contract, &model).unwrap_err();
    assert!(
        e.to_string().contains("none.yaml: cannot read the seed"),
        "{e}"
    );
    let e = StateModel::from_file(dir.path().join("none.yaml"), &contract).unwrap_err();
    assert!(e.to_string().contains("cannot read the state model"), "{e}");
}

#[test]
fn explicit_statuses_refusing_cascades_and_rejected_duplicates() {
    let contract = Arc::new(petstore_contract());
    let text = "\
resources:
  owners: {key: ownerId, field: /id}
  pets: {key: petId, parent: owners, field: /id}
operations:
  createOwner: {create: owners, status: 201}
  addOwnerPet: {create: pets}
  deletePet: {delete: pets}
";
    // deletePet's path has no ownerId: refused, and the rest is fine.
    let e = StateModel::from_text("m.yaml", text, &contract)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "m.yaml:7:23: deletePet (DELETE /pets/{petId}) has no path parameter `ownerId` naming a `owners` item (its path parameters: petId)");
    let ok = text.replace("  deletePet: {delete: pets}\n", "");
    let model = Arc::new(StateModel::from_text("m.yaml", &ok, &contract).unwrap());
    let c = Client::new(Arc::clone(&contract), model, SimOptions::default());
    let owner = body(&c.call("createOwner", &[], &[], Some(json!({"name": "Ada"}))));
    let id = owner["id"].as_str().unwrap();
    let first = c.call(
        "addOwnerPet",
        &[("ownerId", id)],
        &[],
        Some(json!({"id": 3, "name": "Rex"})),
    );
    assert_eq!(status(&first), 201);
    let again = c.call(
        "addOwnerPet",
        &[("ownerId", id)],
        &[],
        Some(json!({"id": 3, "name": "Rex"})),
    );
    assert_eq!(message(&again), "pets/3 already exists");
}

#[test]
fn unique_reject_refuses_a_value_held_elsewhere() {
    let (contract, _) = memory();
    // Memory's add documents no 409, so only the change may reject.
    let text = super::MEMORY_MODEL
        .replace("unique: merge", "unique: reject")
        .replace(
            "  CreateProfileIdentifier: {add: identifiers, key: /idType, value: /value}\n",
            "",
        );
    let model = Arc::new(StateModel::from_text("m.yaml", &text, &contract).unwrap());
    let seed = format!(
        "stores:\n  {}:\n    profiles:\n      {}: {{identifiers: {{email: [a@example.com]}}}}\n      {}: {{identifiers: {{email: [b@example.com]}}}}\n",
        store(1),
        profile(1),
        profile(2)
    );
    let seed = Seed::from_text("seed.yaml", &seed, &contract, &model).unwrap();
    let opts = SimOptions {
        seed: Some(seed),
        ..SimOptions::default()
    };
    let m = super::memory::Memory {
        c: Client::new(contract, model, opts),
        store: store(1),
    };
    let out = m.patch(&profile(2), "email", "b@example.com", "A@example.com");
    assert_eq!(
        (status(&out), message(&out)),
        (
            409,
            "email value \"a@example.com\" belongs to another profiles".to_string()
        )
    );
    assert_eq!(m.values(&profile(2), "email").unwrap(), ["b@example.com"]);
}

#[test]
fn a_delete_without_cascade_refuses_an_item_with_children() {
    let contract = crate::contract::Contract::from_text(
        "shelves.yaml",
        "\
openapi: 3.0.3
info: {title: shelves, version: '1'}
paths:
  /shelves/{shelf}:
    parameters: [{name: shelf, in: path, required: true, schema: {type: string}}]
    delete:
      operationId: deleteShelf
      responses: {'204': {description: gone}, '404': {description: none}, '409': {description: not empty}}
  /shelves/{shelf}/books/{book}:
    parameters:
      - {name: shelf, in: path, required: true, schema: {type: string}}
      - {name: book, in: path, required: true, schema: {type: string}}
    put:
      operationId: putBook
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'200': {description: stored}, '404': {description: none}}
    delete:
      operationId: deleteBook
      responses: {'204': {description: gone}, '404': {description: none}}
",
    )
    .unwrap();
    let text = "\
resources:
  shelves: {key: shelf, implicit: true}
  books: {key: book, parent: shelves, implicit: true}
operations:
  deleteShelf: {delete: shelves, cascade: false}
  putBook: {replace: books, status: 200}
  deleteBook: {delete: books}
";
    let model = Arc::new(StateModel::from_text("m.yaml", text, &contract).unwrap());
    let c = Client::new(Arc::new(contract), model, SimOptions::default());
    let book = [("shelf", "s1"), ("book", "b1")];
    assert_eq!(
        status(&c.call("putBook", &book, &[], Some(json!({"title": "x"})))),
        200
    );
    let out = c.call("deleteShelf", &[("shelf", "s1")], &[], None);
    assert_eq!(
        (status(&out), message(&out)),
        (409, "shelves/s1 still has items under it".to_string())
    );
    assert_eq!(status(&c.call("deleteBook", &book, &[], None)), 204);
    // The tombstone of the book is no child: the shelf may go now.
    assert_eq!(
        status(&c.call("deleteShelf", &[("shelf", "s1")], &[], None)),
        204
    );
    assert_eq!(status(&c.call("putBook", &book, &[], Some(json!({})))), 404);
}

/// A simulation for a profile merged into one that is gone: a write to it
/// answers as before the one-pass walk (nothing is made below it, its rules
/// still run).
fn orphan_sim(implicit: bool, limits: crate::state::limits::Limits, seed: Option<&str>) -> Client {
    let contract = crate::contract::Contract::from_text(
        "c.yaml",
        "\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /s/{storeId}/p/{profileId}:
    parameters:
      - {name: storeId, in: path, required: true, schema: {type: string}}
      - {name: profileId, in: path, required: true, schema: {type: string}}
    delete:
      operationId: deleteProfile
      responses: {'204': {description: gone}, '308': {description: moved}, '404': {description: none}, '409': {description: busy}}
  /s/{storeId}/p/{profileId}/ids:
    parameters:
      - {name: storeId, in: path, required: true, schema: {type: string}}
      - {name: profileId, in: path, required: true, schema: {type: string}}
    post:
      operationId: addId
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {idType: {type: string}, value: {type: string}}}
      responses: {'202': {description: ok}, '308': {description: moved}, '400': {description: bad}, '404': {description: none}, '409': {description: taken}}
",
    )
    .unwrap();
    let text = format!(
        "\
resources:
  stores: {{key: storeId, implicit: true}}
  profiles: {{parent: stores, key: profileId, implicit: {implicit}, redirect: {{read: 301, write: 308}}}}
sets:
  identifiers:
    owner: profiles
    key: idType
    unique: merge
    settings:
      keys:
        phone: {{normalization: phone}}
operations:
  addId: {{add: identifiers, key: /idType, value: /value}}
  deleteProfile: {{delete: profiles}}
"
    );
    let model = Arc::new(StateModel::from_text("m.yaml", &text, &contract).unwrap());
    let seed = seed
        .map(|s| crate::state::seed::Seed::from_text("seed.yaml", s, &contract, &model).unwrap());
    Client::new(
        Arc::new(contract),
        model,
        SimOptions {
            limits,
            seed,
            ..SimOptions::default()
        },
    )
}

fn orphan_add(c: &Client, p: &str, id_type: &str, value: &str) -> crate::state::sim::SimOutcome {
    c.call(
        "addId",
        &[("storeId", "s1"), ("profileId", p)],
        &[],
        Some(json!({"idType": id_type, "value": value})),
    )
}

/// Deletes profile `p` of store s1 (a 204).
fn orphan_delete(c: &Client, p: &str) {
    let out = c.call(
        "deleteProfile",
        &[("storeId", "s1"), ("profileId", p)],
        &[],
        None,
    );
    assert_eq!(status(&out), 204, "{out:?}");
}

/// Implicit profiles: p2 merged into p1, p1 deleted; at the item limit an add
/// to p2 was a 404 (nothing would be made), and must stay one.
#[test]
fn a_write_to_a_profile_merged_into_a_deleted_one_makes_nothing_at_the_limit() {
    let limits = crate::state::limits::Limits {
        max_items: 3,
        ..crate::state::limits::Limits::default()
    };
    let c = orphan_sim(true, limits, None);
    assert_eq!(status(&orphan_add(&c, "p1", "email", "a@x.io")), 202);
    assert_eq!(status(&orphan_add(&c, "p2", "email", "a@x.io")), 202);
    orphan_delete(&c, "p1");
    let out = orphan_add(&c, "p2", "email", "b@x.io");
    assert_eq!(status(&out), 404, "{out:?}");
}

/// Non-implicit profiles (seeded): p2 merged into p1, p1 deleted (removed);
/// an add of a bad phone to p2 was a 400 naming the rule.
#[test]
fn a_write_to_a_profile_merged_into_a_removed_one_still_checks_its_value() {
    let seed = "stores:\n  s1:\n    profiles:\n      p1: {}\n      p2: {mergedInto: p1}\n";
    let c = orphan_sim(false, crate::state::limits::Limits::default(), Some(seed));
    orphan_delete(&c, "p1");
    let out = orphan_add(&c, "p2", "phone", "not a phone");
    assert_eq!(status(&out), 400, "{out:?}");
}
