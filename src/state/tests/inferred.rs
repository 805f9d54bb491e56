//! Inference on the pet store (checked exactly, the fixture is its output) and
//! on Memory's own paths; every inferred model loads back as written.

use super::{memory, petstore_contract};
use crate::contract::Contract;
use crate::state::model::StateModel;

const PETSTORE_MODEL: &str = include_str!("../../../tests/fixtures/petstore.state.yaml");

/// Reading a model's YAML back gives the same YAML (less the comment listing
/// what inference left out, which is no part of the model).
fn round_trip(model: &StateModel, contract: &Contract) -> String {
    let text = model.to_yaml(contract);
    let again = StateModel::from_text("written.yaml", &text, contract)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let model_part = text.split("\n# Left out").next().unwrap_or_default();
    assert_eq!(
        again.to_yaml(contract),
        format!("{}\n", model_part.trim_end())
    );
    text
}

#[test]
fn the_pet_store_is_inferred_exactly() {
    let c = petstore_contract();
    let inferred = StateModel::infer(&c);
    assert_eq!(round_trip(&inferred, &c), PETSTORE_MODEL);
    assert_eq!(inferred.left_out.len(), 1);
}

#[test]
fn memory_paths_give_a_loadable_model_and_say_what_was_left_out() {
    let (c, _) = memory();
    let inferred = StateModel::infer(&c);
    let text = round_trip(&inferred, &c);
    assert!(
        text.contains(
            "  DeleteStore: {delete: stores}  # DELETE /v1/ControlPlane/Stores/{storeId}\n"
        ),
        "{text}"
    );
    // /v1/Stores/{storeId} and /v1/ControlPlane/Stores/{storeId} share the key
    // parameter, so they are one resource: deleting a store takes its profiles.
    assert!(
        text.contains("  profiles:\n    key: profileId\n    parent: stores\n"),
        "{text}"
    );
    assert_eq!(inferred.left_out.len(), 1, "{text}");
    assert!(
        inferred.left_out[0].starts_with("CreateProfileIdentifier (POST "),
        "{text}"
    );
    assert!(inferred.left_out[0].contains("409"), "{text}");
}

#[test]
fn the_shipped_memory_model_writes_back_as_it_reads() {
    let (c, m) = memory();
    let text = round_trip(&m, &c);
    assert!(
        text.contains("  CreateProfileIdentifier: {add: identifiers, key: /idType, value: /value}"),
        "{text}"
    );
    assert!(
        text.contains("        phone: {normalization: phone}\n"),
        "{text}"
    );
}

#[test]
fn a_contract_without_crud_paths_infers_an_empty_model() {
    let c = Contract::from_text(
        "rpc.yaml",
        "openapi: 3.0.3\ninfo: {title: rpc, version: '1'}\npaths:\n  /rpc/{a}/{b}:\n    post:\n      operationId: call\n      parameters:\n        - {name: a, in: path, required: true, schema: {type: string}}\n        - {name: b, in: path, required: true, schema: {type: string}}\n      responses: {'200': {description: ok}}\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n",
    )
    .unwrap();
    let m = StateModel::infer(&c);
    assert!(m.ops.is_empty());
    let text = m.to_yaml(&c);
    assert!(text.contains("operations:\n  {}\n"), "{text}");
    assert!(
        text.contains("#   call (POST /rpc/{a}/{b}): a path parameter without a name before it"),
        "{text}"
    );
    assert!(
        text.contains("#   GET /x: no item path under it (`/x/{id}`) names its key"),
        "{text}"
    );
}
