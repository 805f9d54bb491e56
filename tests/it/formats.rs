//! OpenAPI 3.1 and Swagger 2.0 documents, served with the strictness of 3.0:
//! the mock accepts what each document says is valid and rejects what it says
//! is invalid, naming the rule; what it serves conforms; every named example is
//! checked at start-up; a `$ref` that points at nothing is refused (exit 2).
//! `serve`, `replay` and `proxy` all take each format, in YAML and JSON.

use std::process::Command;
use std::sync::Arc;

use crate::common::proxy::{spawn, spawn_command};
use crate::common::replay::{replay, run, write};
use crate::common::{send, send_exact, Reply};
use mimeo::{check_response, Contract, MockServer, ServeOptions};

const V31: &str = "tests/fixtures/openapi31.yaml";
const V2: &str = "tests/fixtures/swagger2.yaml";

async fn serve(path: &str) -> (Arc<Contract>, MockServer) {
    let c = Arc::new(Contract::from_file(path).expect("loads"));
    let server = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    (c, server)
}

fn assert_conforms(c: &Contract, op_id: &str, r: &Reply) {
    let op = c.operation_by_id(op_id).unwrap();
    let failures = check_response(c, op, r.status, &r.headers, &r.body, None).failures;
    assert!(
        failures.is_empty(),
        "{op_id} {}: {failures:#?} {:?}",
        r.status,
        r.body
    );
}

/// A 400 whose message names each of `rules`.
fn assert_refused(r: &Reply, rules: &[&str]) {
    assert_eq!(r.status, 400, "{:?}", r.body);
    let text = String::from_utf8_lossy(&r.body);
    for rule in rules {
        assert!(text.contains(rule), "`{rule}` missing from {text}");
    }
}

#[tokio::test]
async fn an_openapi_31_document_is_validated_as_json_schema_2020_12() {
    let (c, server) = serve(V31).await;
    let url = server.url();
    let pet = |body: &'static str| {
        let url = url.clone();
        async move { send(&url, "POST", "/pets", &[], Some(body)).await }
    };

    let ok = pet(r#"{"id":1,"name":"Rex","kind":"pet","tag":null,"coords":[1.5,2]}"#).await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    assert_conforms(&c, "addPet", &ok);
    // `type: [string, "null"]`, `const`, numeric `exclusiveMinimum`,
    // `prefixItems` with `items: false`, `unevaluatedProperties: false`.
    assert_refused(
        &pet(r#"{"id":1,"name":"a","kind":"pet","tag":5}"#).await,
        &["body /tag: type"],
    );
    assert_refused(
        &pet(r#"{"id":1,"name":"a","kind":"dog","tag":"x"}"#).await,
        &["body /kind: const"],
    );
    assert_refused(
        &pet(r#"{"id":0,"name":"a","kind":"pet","tag":"x"}"#).await,
        &["body /id: exclusiveMinimum"],
    );
    assert_refused(
        &pet(r#"{"id":1,"name":"a","kind":"pet","tag":"x","coords":[1,"n"]}"#).await,
        &["body /coords/1: type"],
    );
    let three = pet(r#"{"id":1,"name":"a","kind":"pet","tag":"x","coords":[1,2,3]}"#).await;
    assert_eq!(three.status, 400, "{:?}", three.body);
    assert_refused(
        &pet(r#"{"id":1,"name":"a","kind":"pet","tag":"x","color":"red"}"#).await,
        &["unevaluatedProperties"],
    );
    // A sibling of `$ref` applies (3.0 would ignore it): `tag` is required here.
    assert_refused(
        &pet(r#"{"id":1,"name":"a","kind":"pet"}"#).await,
        &["body: required", "tag"],
    );
    // Parameters too: `type: [integer, "null"]` with bounds, numeric exclusive bounds.
    assert_refused(
        &send(&url, "GET", "/pets?limit=11", &[], None).await,
        &["query parameter limit: maximum"],
    );
    assert_refused(
        &send(&url, "GET", "/pets/0", &[], None).await,
        &["path parameter id: exclusiveMinimum"],
    );

    // Generated bodies use the schema's `examples` and `const`, and conform.
    let one = send(&url, "GET", "/pets/3", &[], None).await;
    assert_eq!(one.status, 200);
    assert_conforms(&c, "getPet", &one);
    assert_eq!(one.json()["name"], "Rex", "{}", one.json());
    assert_eq!(one.json()["kind"], "pet", "{}", one.json());
    for i in 0..20 {
        let r = send(&url, "GET", "/pets/3", &[("prefer", "dynamic=true")], None).await;
        assert_eq!(r.status, 200, "{i}");
        assert_conforms(&c, "getPet", &r);
    }
}

#[tokio::test]
async fn every_named_example_is_checked_and_a_broken_one_never_served() {
    let (c, server) = serve(V31).await;
    let warnings = c.warnings().join("\n");
    for pointer in [
        "#/paths/~1pets/get/responses/200/content/application~1json/examples/broken: example `broken` does not match its schema (/0/id exclusiveMinimum",
        "#/paths/~1pets/get/responses/200/headers/X-Total/examples/zero: example `zero`",
        "#/paths/~1pets/get/parameters/0/examples/tooMany: example `tooMany`",
    ] {
        assert!(warnings.contains(pointer), "{pointer} missing from\n{warnings}");
    }
    // Valid ones are not reported, and webhooks are described, not served.
    for fine in ["`good`", "`one`", "`few`"] {
        assert!(!warnings.contains(fine), "{fine}: {warnings}");
    }
    assert!(
        warnings.contains("#/webhooks: 1 webhook(s) described (petAdopted)"),
        "{warnings}"
    );
    assert_eq!(c.operations().len(), 3);

    // The first example is broken: the second, valid one is the default answer,
    // and the header's valid example is sent rather than its broken first one.
    let url = server.url();
    let list = send(&url, "GET", "/pets", &[], None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()[0]["name"], "Bo", "{}", list.json());
    assert_eq!(list.header("x-total"), Some("1"));
    assert_conforms(&c, "listPets", &list);
    let asked = send(&url, "GET", "/pets", &[("prefer", "example=broken")], None).await;
    assert_eq!(asked.status, 422, "{:?}", asked.body);
    let text = String::from_utf8_lossy(&asked.body);
    assert!(text.contains("does not match its schema"), "{text}");
    let good = send(&url, "GET", "/pets", &[("prefer", "example=good")], None).await;
    assert_eq!(good.status, 200);
    assert_conforms(&c, "listPets", &good);
}

#[tokio::test]
async fn a_swagger_2_document_is_converted_and_served_as_strictly() {
    let (c, server) = serve(V2).await;
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.operations().len(), 5);
    let url = server.url();

    // The response example by media type is served; `x-nullable` allows its null.
    let list = send(&url, "GET", "/dogs", &[], None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()[0]["owner"], serde_json::Value::Null);
    assert!(list.header("x-rate").is_some());
    assert_conforms(&c, "listDogs", &list);
    // collectionFormat csv (comma list) and multi (repeated keys); a shared parameter.
    let fine = send(
        &url,
        "GET",
        "/dogs?tags=small,big&ids=1&ids=2&limit=3",
        &[],
        None,
    )
    .await;
    assert_eq!(fine.status, 200, "{:?}", fine.body);
    assert_refused(
        &send(&url, "GET", "/dogs?tags=small,huge", &[], None).await,
        &["query parameter tags/1: enum"],
    );
    assert_refused(
        &send(&url, "GET", "/dogs?ids=1&ids=x&limit=99", &[], None).await,
        &["query parameter ids", "query parameter limit: maximum"],
    );
    // A path-level parameter, and a `body` parameter shared through `#/parameters`.
    assert_refused(
        &send(&url, "GET", "/dogs/0", &[], None).await,
        &["path parameter id: minimum"],
    );
    let auth = [("authorization", "Basic dXNlcjpwYXNz")];
    assert_refused(
        &send(&url, "POST", "/dogs", &auth, Some(r#"{"id":0}"#)).await,
        &["body: required", "body /id: minimum"],
    );
    let added = send(
        &url,
        "POST",
        "/dogs",
        &auth,
        Some(r#"{"id":4,"name":"Bo","owner":null}"#),
    )
    .await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    assert_conforms(&c, "addDog", &added);
    // A `$ref` to a top-level response; the definition's example in the body.
    let missing = send(&url, "GET", "/dogs/3", &[("prefer", "code=404")], None).await;
    assert_eq!(missing.status, 404);
    assert_conforms(&c, "getDog", &missing);
    let one = send(&url, "GET", "/dogs/3", &[], None).await;
    assert_eq!(one.json()["name"], "Rex");
    assert_conforms(&c, "getDog", &one);
    // formData became a form body: JSON is not what the operation consumes.
    let json = send(&url, "POST", "/dogs/3/rename", &[], Some(r#"{"name":"x"}"#)).await;
    assert_refused(&json, &["expected application/x-www-form-urlencoded"]);
    let form = send_exact(
        &url,
        "POST",
        "/dogs/3/rename",
        &[("content-type", "application/x-www-form-urlencoded")],
        "name=Bo&size=big",
    )
    .await;
    assert_eq!(form.status, 200, "{:?}", form.body);
    assert_conforms(&c, "renameDog", &form);
}

fn mimeo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mimeo"))
}

#[test]
fn a_ref_that_points_at_nothing_is_an_error_with_its_pointer() {
    let out = mimeo()
        .args([
            "serve",
            "--port",
            "0",
            "--spec",
            "tests/fixtures/bad-ref.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "#/paths/~1things/get/responses/200/content/application~1json/schema/items/$ref"
        ) && err.contains("`#/components/schemas/Thing` points at nothing"),
        "{err}"
    );
    // In a Swagger 2.0 document, the pointer is into the document as written.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(V2).unwrap().replace(
        "owner: { type: string, x-nullable: true }",
        "owner: { $ref: \"#/definitions/Person\" }",
    );
    let bad = write(dir.path(), "bad2.yaml", &text);
    let out = mimeo()
        .args(["serve", "--port", "0", "--spec"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("#/definitions/Dog/properties/owner/$ref")
            && err.contains("`#/definitions/Person` points at nothing"),
        "{err}"
    );
    let text = std::fs::read_to_string(V2).unwrap().replace(
        "DogBody: { name: dog, in: body, required: true, schema: { $ref: \"#/definitions/Dog\" } }",
        "DogBody: { name: dog, in: body, required: true }",
    );
    let bad = write(dir.path(), "bad3.yaml", &text);
    let out = mimeo()
        .args(["serve", "--port", "0", "--spec"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("#/parameters/DogBody: a body parameter needs a `schema`"),
        "{err}"
    );
}

/// The fixture as JSON, in `dir`.
fn as_json(dir: &std::path::Path, yaml: &str, name: &str) -> String {
    let v: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(yaml).unwrap()).unwrap();
    let path = write(dir, name, &serde_json::to_string_pretty(&v).unwrap());
    path.display().to_string()
}

#[test]
fn serve_replay_and_proxy_take_both_formats_in_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let v31_json = as_json(dir.path(), V31, "v31.json");
    let v2_json = as_json(dir.path(), V2, "v2.json");
    let scenario31 = write(
        dir.path(),
        "pets.yaml",
        "name: pets\nsteps:\n  - request: {method: GET, path: /pets/3}\n    expect: {status: 200}\n  - request: {method: GET, path: /pets/0}\n    expect: {status: 400}\n",
    );
    let scenario2 = write(
        dir.path(),
        "dogs.yaml",
        "name: dogs\nsteps:\n  - request: {method: GET, path: /dogs/3}\n    expect: {status: 200}\n  - request: {method: GET, path: /dogs/0}\n    expect: {status: 400}\n",
    );
    for (spec, scenario) in [
        (V31, &scenario31),
        (v31_json.as_str(), &scenario31),
        (V2, &scenario2),
        (v2_json.as_str(), &scenario2),
    ] {
        let snaps = dir.path().join("snapshots");
        let mut cmd = replay();
        cmd.args(["--stateless", "--spec", spec, "--snapshots"])
            .arg(&snaps)
            .arg(scenario);
        let out = run(cmd);
        assert_eq!(out.code, Some(0), "{spec}: {out}");
        // The scenario's expectation is held to: a wrong one fails the run.
        let wrong = std::fs::read_to_string(scenario)
            .unwrap()
            .replace("status: 400", "status: 200");
        let wrong = write(dir.path(), "wrong.yaml", &wrong);
        let mut cmd = replay();
        cmd.args(["--stateless", "--spec", spec, "--snapshots"])
            .arg(&snaps)
            .arg(&wrong);
        assert_eq!(run(cmd).code, Some(1), "{spec}");
    }

    // The proxy checks traffic against each document: `--strict` refuses what the
    // document forbids, naming the rule, and forwards what it allows.
    for (spec, good, bad, rule) in [
        (v31_json.as_str(), "/pets/3", "/pets/0", "exclusiveMinimum"),
        (V2, "/dogs/3", "/dogs/0", "minimum"),
    ] {
        let target = spawn_command("serve", &["--port", "0", "--spec", spec]);
        let proxy = spawn(&[
            "--port",
            "0",
            "--strict",
            "--spec",
            spec,
            "--target",
            &target.url,
        ]);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ok = rt.block_on(send(&proxy.url, "GET", good, &[], None));
        assert_eq!(ok.status, 200, "{spec}: {:?}", ok.body);
        let refused = rt.block_on(send(&proxy.url, "GET", bad, &[], None));
        assert_eq!(refused.status, 400, "{spec}");
        assert!(
            String::from_utf8_lossy(&refused.body).contains(rule),
            "{spec}: {:?}",
            refused.body
        );
        proxy.stop();
        target.stop();
    }
}

#[tokio::test]
async fn a_yaml_document_in_flow_style_loads_as_yaml() {
    let (c, server) = serve("tests/fixtures/flow-style.yaml").await;
    assert_eq!(c.title(), "Flow");
    let r = send(&server.url(), "GET", "/items/3", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_conforms(&c, "getItem", &r);
    assert_eq!(
        send(&server.url(), "GET", "/items/0", &[], None)
            .await
            .status,
        400
    );
    // Broken JSON is still read as JSON, and its error placed by line and column.
    let e = Contract::from_text(
        "broken.json",
        "{\n  \"openapi\": \"3.0.3\",\n  \"info\": }\n",
    )
    .unwrap_err();
    assert_eq!(e.line_column(), Some((3, 11)), "{e}");
    assert!(e.to_string().contains("invalid JSON"), "{e}");
}
