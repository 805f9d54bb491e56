//! `mimeo serve --stateful` through the real server: every read reflects the
//! writes before it, with Memory v1's semantics (normalization, order, limit
//! policies, 404/409, merges with 301/308, store deletion, settling), seeds,
//! sessions, the admin endpoints, and `Prefer` and rules winning over state;
//! and models inferred from other contracts. The tests are in the parts
//! (`memory`, `control`, `models`); the helpers they use are here.

mod control;
mod memory;
mod models;

use std::sync::Arc;

use mimeo::state::{StateModel, StateOptions};
use mimeo::{MockServer, ServeOptions};
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
