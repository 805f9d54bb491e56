//! Real-world documents load: extensions, nullable, composition, discriminators,
//! recursion, ranges and defaults, and hundreds of operations. What mimeo cannot
//! serve is a warning, not a crash.

use std::sync::Arc;

use crate::common::{send, Reply};
use mimeo::check_response as run_checks;
use mimeo::Contract;
use mimeo::{MockServer, ServeOptions};

async fn serve(c: &Arc<Contract>) -> MockServer {
    MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts")
}

/// The contract written in `doc`, served.
async fn serve_text(doc: &str) -> (Arc<Contract>, MockServer) {
    let c = Arc::new(Contract::from_text("d.yaml", doc).expect("loads"));
    let server = serve(&c).await;
    (c, server)
}

fn assert_valid(c: &Contract, op_id: &str, r: &Reply) {
    let op = c.operation_by_id(op_id).unwrap();
    let failures = run_checks(c, op, r.status, &r.headers, &r.body, None).failures;
    assert!(
        failures.is_empty(),
        "{op_id} {}: {failures:#?} {:?}",
        r.status,
        r.body
    );
}

#[tokio::test]
async fn a_document_with_the_common_features_loads_and_serves() {
    let c = Arc::new(Contract::from_file("tests/fixtures/features.yaml").expect("loads"));
    assert_eq!(c.operations().len(), 4);
    assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
    assert!(
        c.warnings()[0].contains("/paths/~1elsewhere") && c.warnings()[0].contains("not served"),
        "{:?}",
        c.warnings()
    );
    let server = serve(&c).await;
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    let url = server.url();

    let r = send(&url, "GET", "/pets/7?fields=name,tree&limit=3", &[], None).await;
    assert_eq!(r.status, 200);
    assert_valid(&c, "getPet", &r);
    for i in 0..20 {
        let r = send(&url, "GET", "/pets/7", &[("prefer", "dynamic=true")], None).await;
        assert_eq!(r.status, 200, "{i}");
        assert_valid(&c, "getPet", &r);
    }
    // A 4XX range and default answer with their documented media type.
    let r = send(&url, "GET", "/pets/7", &[("prefer", "code=418")], None).await;
    assert_eq!(r.status, 418);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_valid(&c, "getPet", &r);
    let r = send(&url, "GET", "/pets/7?__code=502", &[], None).await;
    assert_eq!(r.status, 502);
    assert_valid(&c, "getPet", &r);

    // Validation across composition, nullable and integers in the path.
    let bad = send(
        &url,
        "GET",
        "/pets/0?limit=11&fields=name,color",
        &[("x-trace", "nope")],
        None,
    )
    .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let msg = bad.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for needle in [
        "path parameter petId: minimum",
        "query parameter limit: maximum",
        "query parameter fields/1: enum",
        "header X-Trace: format",
    ] {
        assert!(msg.contains(needle), "{needle} missing from {msg}");
    }
    let pet =
        r#"{"name":"Rex","kind":"dog","owner":null,"born":null,"weight":12.5,"extra":"abcd"}"#;
    assert_eq!(
        send(&url, "PUT", "/pets/7", &[], Some(pet)).await.status,
        204
    );
    let no_name = r#"{"kind":"dog"}"#;
    assert_eq!(
        send(&url, "PUT", "/pets/7", &[], Some(no_name))
            .await
            .status,
        422,
        "documented 422 stands in for 400"
    );

    let r = send(&url, "GET", "/trees", &[("prefer", "dynamic=true")], None).await;
    assert_valid(&c, "getTree", &r);
    let r = send(
        &url,
        "POST",
        "/shapes",
        &[],
        Some(r#"{"type":"circle","radius":2}"#),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_valid(&c, "addShape", &r);
    let r = send(
        &url,
        "POST",
        "/shapes",
        &[],
        Some(r#"{"type":"circle","side":2}"#),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn hundreds_of_operations_load_and_route() {
    let mut doc = String::from("openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n");
    for i in 0..400 {
        doc.push_str(&format!(
            "  /r{i}/{{id}}/items/{{item}}:\n    get:\n      operationId: get{i}\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string, pattern: '^[a-z]+$'}}}}\n        - {{name: item, in: path, required: true, schema: {{type: integer}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S{}'}}\n",
            i % 50
        ));
    }
    doc.push_str("components:\n  schemas:\n");
    for i in 0..50 {
        doc.push_str(&format!(
            "    S{i}:\n      type: object\n      required: [n{i}]\n      properties:\n        n{i}: {{type: integer, minimum: {i}}}\n        next: {{$ref: '#/components/schemas/S{}'}}\n",
            (i + 1) % 50
        ));
    }
    let c = Arc::new(Contract::from_text("big.yaml", &doc).expect("loads"));
    assert_eq!(c.operations().len(), 400);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let server = serve(&c).await;
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    // More than 200 operations: the bodies are built after start; every one of
    // them, once built, without a problem.
    assert!(server.bodies_built_later());
    let started = std::time::Instant::now();
    while server.bodies_pending() > 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "warm-up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(server.late_warnings().is_empty());
    let r = send(&server.url(), "GET", "/r399/abc/items/5", &[], None).await;
    assert_eq!(r.status, 200);
    assert_valid(&c, "get399", &r);
    assert_eq!(
        send(&server.url(), "GET", "/r399/ABC/items/x", &[], None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_large_contract_serves_at_once_and_logs_body_problems_found_later() {
    // More than 200 operations: bodies are built after start (first use, or the
    // warm-up), and what goes wrong then still reaches the log.
    let mut doc = String::from("openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n");
    for i in 0..250 {
        // Operation 240's body cannot be generated valid: a one-letter pattern
        // under a minimum length of three.
        let schema = if i == 240 {
            "{type: object, required: [s], properties: {s: {type: string, pattern: '^a$', minLength: 3}}}"
        } else {
            "{type: object, properties: {n: {type: integer}}}"
        };
        doc.push_str(&format!(
            "  /r{i}:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {schema}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = crate::common::replay::write(dir.path(), "big.yaml", &doc);
    let running = crate::common::proxy::spawn_command(
        "serve",
        &["--spec", spec.to_str().unwrap(), "--port", "0"],
    );
    let r = send(&running.url, "GET", "/r240", &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        send(&running.url, "GET", "/r7", &[], None).await.status,
        200
    );
    let stopped = running.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert!(
        stopped
            .stderr
            .contains("250 operations: response bodies are built on first use"),
        "{}",
        stopped.stderr
    );
    let late = stopped
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("/paths/~1r240/get/responses/200"))
        .count();
    assert_eq!(late, 1, "{}", stopped.stderr);
}

#[tokio::test]
async fn a_large_contract_checks_its_examples_after_start_and_never_serves_a_broken_one() {
    // More than 200 operations: examples are judged on first use (or by the
    // warm-up), each broken one reported once, and never served.
    let mut doc = String::from("openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n");
    for i in 0..250 {
        doc.push_str(&format!(
            "  /r{i}:\n    post:\n      parameters:\n        - {{name: q, in: query, schema: {{type: integer}}, example: {}}}\n      requestBody:\n        content:\n          application/json:\n            schema: {{type: object, properties: {{n: {{type: integer}}}}}}\n            example: {{n: {}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}\n              examples:\n                broken: {{value: {{n: {}}}}}\n                good: {{value: {{n: {i}}}}}\n",
            if i == 3 { "'three'" } else { "3" },
            if i == 5 { "'five'" } else { "5" },
            if i == 3 { "'x'".to_string() } else { i.to_string() },
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = crate::common::replay::write(dir.path(), "big.yaml", &doc);
    let spec = spec.to_str().unwrap();
    let running = crate::common::proxy::spawn_command("serve", &["--spec", spec, "--port", "0"]);
    let body = Some(r#"{"n": 1}"#);
    let json = [("content-type", "application/json")];
    // The first example breaks its schema: the next one is the default body.
    let r = send(&running.url, "POST", "/r3", &json, body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"n": 3}));
    let asked = [json[0], ("prefer", "example=broken")];
    let r = send(&running.url, "POST", "/r3", &asked, body).await;
    assert_ne!(r.status, 200);
    let said = String::from_utf8_lossy(&r.body).to_string();
    assert!(said.contains("does not match its schema"), "{said}");
    let r = send(&running.url, "POST", "/r4", &asked, body).await;
    assert_eq!(r.json(), serde_json::json!({"n": 4}));
    // Let the warm-up reach the parameters' examples, checked last.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let stopped = running.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let warned = |at: &str| {
        stopped
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning:") && l.contains(at) && l.contains("does not match"))
            .count()
    };
    assert_eq!(
        warned("#/paths/~1r3/post/responses/200/content/application~1json/examples/broken"),
        1,
        "{}",
        stopped.stderr
    );
    assert_eq!(
        warned("#/paths/~1r5/post/requestBody/content/application~1json/example"),
        1,
        "{}",
        stopped.stderr
    );
    assert_eq!(
        warned("/paths/~1r3/post/parameters/0/example"),
        1,
        "{}",
        stopped.stderr
    );
    let all = stopped
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("does not match its schema"))
        .count();
    assert_eq!(all, 3, "{}", stopped.stderr);

    // mimeo proxy reports them too (it serves no examples: checked in the background).
    let proxy = crate::common::proxy::spawn_command(
        "proxy",
        &[
            "--spec",
            spec,
            "--port",
            "0",
            "--target",
            "http://127.0.0.1:9",
        ],
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let stopped = proxy.stop();
    let all = stopped.stderr.matches("does not match its schema").count();
    assert_eq!(all, 3, "{}", stopped.stderr);
}

#[tokio::test]
async fn a_large_contract_example_judged_by_the_proxy_error_path_is_still_reported() {
    // More than 200 operations, so examples are checked after load. The proxy
    // builds an operation's bodies for its own error answers (here a request
    // --strict refuses): the broken example of that 400 must still be among
    // what `check_remaining_examples` returns (what `mimeo proxy` prints).
    let mut doc = String::from("openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n");
    for i in 0..250 {
        doc.push_str(&format!(
            "  /r{i}:\n    post:\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}\n      responses:\n        '200':\n          description: ok\n        '400':\n          description: bad\n          content:\n            application/json:\n              schema: {{type: object, required: [message], properties: {{message: {{type: string}}}}}}\n              examples:\n                broken: {{value: {{message: {}}}}}\n",
            if i == 249 { "5" } else { "'no'" },
        ));
    }
    let contract = Arc::new(Contract::from_text("big.yaml", &doc).expect("loads"));
    assert!(contract.examples_checked_later());
    let mut opts = mimeo::ProxyOptions::new("http://127.0.0.1:9");
    opts.strict = true;
    let proxy = mimeo::ProxyServer::start(contract.clone(), opts)
        .await
        .expect("proxy starts");
    let r = send(&proxy.url(), "POST", "/r249", &[], Some("{}")).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let warnings = contract.check_remaining_examples();
    let _ = proxy.shutdown().await;
    let broken = warnings
        .iter()
        .filter(|w| w.contains("~1r249/post/responses/400") && w.contains("does not match"))
        .count();
    assert_eq!(broken, 1, "{warnings:?}");
}

#[tokio::test]
async fn a_ref_into_another_operation_is_followed() {
    // A `$ref` may point anywhere in the document; one that did not point into
    // `components` used to refuse the whole document ("not supported here"):
    // 12 of APIs.guru's descriptions (DigitalOcean, Brex, Codat, ...).
    let c = Arc::new(Contract::from_file("tests/fixtures/refs-elsewhere.yaml").expect("loads"));
    let server = serve(&c).await;
    let url = server.url();
    let r = send(&url, "GET", "/boards/b7/cards", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("x-rate-limit"), Some("60"));
    assert_valid(&c, "listCards", &r);
    // The parameter is the other operation's, pattern and all; the error
    // answer is its `default`.
    let r = send(&url, "GET", "/boards/nope/cards", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        r.json()["message"].as_str().unwrap().contains("pattern"),
        "{:?}",
        r.body
    );
    assert_valid(&c, "listCards", &r);
}

#[test]
fn a_ref_to_something_that_is_not_what_it_stands_for_is_an_error_naming_both() {
    let text = std::fs::read_to_string("tests/fixtures/refs-elsewhere.yaml")
        .unwrap()
        .replace(
            "$ref: '#/paths/~1boards~1{boardId}/get/responses/default'",
            "$ref: '#/paths/~1boards~1{boardId}/get/parameters'",
        );
    let err = Contract::from_text("refs.yaml", &text)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("refs.yaml")
            && err.contains("at #/paths/~1boards~1{boardId}/get/parameters:")
            && err.contains("$ref at #/paths/~1boards~1{boardId}~1cards/get/responses/default"),
        "{err}"
    );
}

#[test]
fn a_ref_to_another_kind_of_component_is_refused() {
    // A schema read as a response (or a request body) has no content: it would
    // load silently as an empty one, and every answer would go out bodiless.
    let text = std::fs::read_to_string("tests/fixtures/refs-elsewhere.yaml")
        .unwrap()
        .replace(
            "$ref: '#/paths/~1boards~1{boardId}/get/responses/default'",
            "$ref: '#/components/schemas/Card'",
        )
        + "components:\n  schemas:\n    Card: {type: object, description: a card}\n";
    assert!(text.contains("'#/components/schemas/Card'"));
    let err = Contract::from_text("refs.yaml", &text)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("$ref `#/components/schemas/Card` is not supported here")
            && err.contains("#/components/responses/<name>"),
        "{err}"
    );
}

#[tokio::test]
async fn a_schema_refused_at_first_use_fails_every_check_loudly() {
    let c = Arc::new(Contract::from_file("tests/fixtures/uncompilable.yaml").expect("loads"));
    let server = serve(&c).await;
    let url = server.url();
    for _ in 0..2 {
        // Not a 400: the request may be valid; the contract cannot be compiled.
        let r = send(&url, "POST", "/things", &[], Some(r#"{"name": "a"}"#)).await;
        assert_eq!(r.status, 500, "{:?}", r.body);
        assert_eq!(r.headers["mimeo-error"], "uncheckable-schema");
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            text.contains("cannot be compiled")
                && text
                    .contains("#/paths/~1things/post/requestBody/content/application~1json/schema")
                && text.contains("at #/components/schemas/Name/type"),
            "{text}"
        );
    }
    // A body that is not JSON at all is still the client's mistake: 400.
    let r = send(&url, "POST", "/things", &[], Some(r#"{"name": "a", "#)).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    // Said once, however many requests meet it.
    let late = server.late_warnings();
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(
        late[0].contains("#/components/schemas/Name/type")
            && late[0].contains("cannot be compiled"),
        "{late:?}"
    );
    assert!(server.late_warnings().is_empty());
}

#[tokio::test]
async fn a_broken_pattern_alone_is_set_aside_and_the_rest_of_its_schema_is_checked() {
    let c =
        Arc::new(Contract::from_file("tests/fixtures/broken-pattern-shared.yaml").expect("loads"));
    // One warning, for the pattern; no schema is set aside whole.
    let about: Vec<&String> = c
        .warnings()
        .iter()
        .filter(|w| w.contains("XDigit"))
        .collect();
    assert_eq!(about.len(), 1, "{:?}", c.warnings());
    assert!(
        about[0].contains("is not a regular expression")
            && about[0].contains("not checked against it"),
        "{about:?}"
    );
    assert!(
        !c.warnings().iter().any(|w| w.contains("not validated")),
        "{:?}",
        c.warnings()
    );
    let server = serve(&c).await;
    let post = |body: &'static str| {
        let url = server.url();
        async move { send(&url, "POST", "/things", &[], Some(body)).await }
    };
    assert_eq!(post(r#"{"name": "a"}"#).await.status, 201);
    // The pattern is not checked: any code passes it.
    assert_eq!(post(r#"{"name": "a", "code": "zz"}"#).await.status, 201);
    // Every other keyword of the schema (and of those reaching it) is.
    let r = post(r#"{"name": "toolong"}"#).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        String::from_utf8_lossy(&r.body).contains("maxLength"),
        "{:?}",
        r.body
    );
    let r = post(r#"{"code": "ab"}"#).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        String::from_utf8_lossy(&r.body).contains("required"),
        "{:?}",
        r.body
    );
    let r = post(r#"{"name": "a", "code": 7}"#).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let r = send(&server.url(), "GET", "/things", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_valid(&c, "getThings", &r);
    assert!(server.late_warnings().is_empty());
}

#[tokio::test]
async fn a_broken_pattern_under_one_of_sets_its_schema_aside_whole() {
    // Leaving the pattern out of a `oneOf` branch could make a valid value
    // match two branches (a false 400): that schema is set aside whole.
    let text = std::fs::read_to_string("tests/fixtures/broken-pattern-shared.yaml")
        .unwrap()
        .replace(
            r##"schema: { allOf: [{ $ref: "#/components/schemas/Thing" }] }"##,
            r##"schema: { oneOf: [{ $ref: "#/components/schemas/Thing" }, { type: object, required: [code] }] }"##,
        );
    assert!(text.contains("oneOf"), "the fixture changed");
    let c = Arc::new(Contract::from_text("oneof.yaml", &text).expect("loads"));
    assert!(
        c.warnings().iter().any(|w| w.contains("/post/requestBody")
            && w.contains("not validated")
            && w.contains("oneOf")),
        "{:?}",
        c.warnings()
    );
    let server = serve(&c).await;
    // Valid for the second branch only, as written (its code breaks the pattern).
    let r = send(
        &server.url(),
        "POST",
        "/things",
        &[],
        Some(r#"{"name": "a", "code": "zz"}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[test]
fn a_pattern_inside_an_extension_sets_nothing_aside() {
    // jsonschema ignores `x-` members: what is in them is not a schema.
    let text = std::fs::read_to_string("tests/fixtures/broken-pattern-shared.yaml")
        .unwrap()
        .replace(
            "code: { type: string, pattern: '^\\p{XDigit}+$' }",
            "code: { type: string, x-meta: { pattern: '^\\p{XDigit}+$' } }",
        );
    assert!(text.contains("x-meta"), "the fixture changed");
    let c = Contract::from_text("ext.yaml", &text).expect("loads");
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[tokio::test]
async fn callbacks_given_as_refs_load_and_their_operations_serve() {
    const FILE: &str = "tests/fixtures/callbacks.yaml";
    let c = Arc::new(Contract::from_file(FILE).expect("loads"));
    assert_eq!(c.operations().len(), 2);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let server = serve(&c).await;
    let url = server.url();
    let r = send(&url, "GET", "/search?q=cats", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_valid(&c, "search", &r);
    // The operation is still checked as written.
    let r = send(&url, "GET", "/search?q=kittens", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    // A callback `$ref` that points at nothing is still refused, by where it is.
    let text = std::fs::read_to_string(FILE)
        .unwrap()
        .replace("callbacks/Index\" }", "callbacks/Gone\" }");
    let e = Contract::from_text("gone.yaml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("#/paths/~1search/get/callbacks/elsewhere/$ref")
            && e.contains("#/components/callbacks/Gone"),
        "{e}"
    );
    // And one inside a component callback's operation.
    let text = std::fs::read_to_string(FILE).unwrap().replace(
        "again: { $ref: \"#/components/callbacks/Receipt\" }",
        "again: { $ref: \"#/components/callbacks/Gone\" }",
    );
    let e = Contract::from_text("gone.yaml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/post/callbacks/again/$ref") && e.contains("#/components/callbacks/Gone"),
        "{e}"
    );
}

#[tokio::test]
async fn valid_31_documents_without_responses_or_with_mutual_tls_are_served() {
    // Both were refused at start-up (exit 2): `responses` is optional on a 3.1
    // operation, and `mutualTLS` is a 3.1 security scheme.
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: '1'}
components:
  securitySchemes:
    mtls: {type: mutualTLS}
    key: {type: apiKey, in: header, name: X-Key}
  pathItems:
    shared:
      $ref: '#/components/pathItems/real'
    loop:
      $ref: '#/components/pathItems/loop'
    away:
      $ref: 'other.yaml#/y'
    real:
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer}}
      get:
        operationId: shared
        responses:
          '200':
            description: ok
            content:
              application/json:
                schema: {type: object, required: [n], properties: {n: {type: integer, example: 7}}}
security:
  - mtls: []
paths:
  /ping:
    get: {operationId: ping}
  /both:
    get:
      operationId: both
      security:
        - mtls: []
          key: []
      responses:
        '200': {description: ok}
  /shared:
    $ref: '#/components/pathItems/shared'
  /elsewhere:
    $ref: 'other.yaml#/x'
  /away:
    $ref: '#/components/pathItems/away'
  /looped:
    $ref: '#/components/pathItems/loop'
  /hooked:
    post:
      operationId: hooked
      callbacks:
        done:
          '{$request.body#/url}':
            post: {summary: a callback operation without responses}
      responses:
        '201': {description: ok}
"#;
    let c = Arc::new(Contract::from_text("d.yaml", doc).expect("loads"));
    let w = c.warnings().join("\n");
    assert!(
        w.contains("#/paths/~1ping/get: documents no responses"),
        "{w}"
    );
    assert!(
        w.contains("#/components/securitySchemes/mtls: a mutualTLS scheme"),
        "{w}"
    );
    // A chain it cannot follow skips its path, with a warning (it refused the
    // whole document): to another file, or round in a loop.
    assert!(
        w.contains("#/paths/~1elsewhere: path item $ref `other.yaml#/x` is in another file"),
        "{w}"
    );
    assert!(
        w.contains("#/paths/~1looped: path item $ref chain") && w.contains("circular"),
        "{w}"
    );
    // Through 3.1's components.pathItems too (it refused the document).
    assert!(
        w.contains("#/paths/~1away: path item $ref `other.yaml#/y` is in another file"),
        "{w}"
    );
    let server = serve(&c).await;
    let url = server.url();
    // mTLS alone is taken as met: no credentials asked for.
    let r = send(&url, "GET", "/ping", &[], None).await;
    assert_eq!((r.status, r.body.len()), (200, 0), "{:?}", r.body);
    assert_eq!(
        send(&url, "GET", "/ping?__code=404", &[], None)
            .await
            .status,
        404
    );
    // A path item `$ref` (3.1's components.pathItems, through a chain) is
    // served with its parameters and schemas (it was not served at all).
    assert_eq!(send(&url, "GET", "/shared", &[], None).await.status, 400);
    let r = send(&url, "GET", "/shared?n=1", &[], None).await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!({"n": 7})));
    assert_valid(&c, "shared", &r);
    // With another scheme beside it, that one is still asked for.
    assert_eq!(send(&url, "GET", "/both", &[], None).await.status, 401);
    let r = send(&url, "GET", "/both", &[("x-key", "k")], None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_body_sent_where_any_type_goes_is_read_as_json_only_when_labelled_json() {
    // Under a documented `*/*` every body was parsed as JSON: an image upload
    // got "is not valid JSON" (Apideck's and Jira's uploads).
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /file:
    put:
      requestBody:
        required: true
        content:
          '*/*':
            schema: {type: object, required: [name]}
      responses:
        '204': {description: ok}
"#;
    let (_, server) = serve_text(doc).await;
    let url = server.url();
    let png = [("content-type", "image/png")];
    let r = send(&url, "PUT", "/file", &png, Some("\u{89}PNG\r\n\u{1a}\n")).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let text = [("content-type", "text/plain")];
    assert_eq!(
        send(&url, "PUT", "/file", &text, Some("{")).await.status,
        204
    );
    // Labelled JSON, it is read and checked as JSON.
    let json = [("content-type", "application/json")];
    assert_eq!(
        send(&url, "PUT", "/file", &json, Some("{")).await.status,
        400
    );
    assert_eq!(
        send(&url, "PUT", "/file", &json, Some("{}")).await.status,
        400
    );
    let r = send(&url, "PUT", "/file", &json, Some(r#"{"name":"a"}"#)).await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn an_error_documented_without_a_body_still_says_why() {
    // Petstore documents `400: Invalid status value` with no content: the
    // answer to an invalid request was a bare 400, its reason only in the log.
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: status, in: query, required: true, schema: {type: string, enum: [available, sold]}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: string}}
        '400':
          description: Invalid status value
          headers:
            X-Reason: {schema: {type: string}, example: bad}
"#;
    let (c, server) = serve_text(doc).await;
    let r = send(&server.url(), "GET", "/pets?status=bogus", &[], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        r.header("x-reason"),
        Some("bad"),
        "the documented headers stay"
    );
    let body = r.json();
    assert_eq!(body["status"], 400);
    assert_eq!(body["violations"][0]["name"], "status", "{body}");
    assert_valid(&c, "listPets", &r);
}

#[tokio::test]
async fn an_informational_status_is_never_sent_as_the_answer() {
    // hyper turned a 103 answer into a bare 500 while the journal said 103.
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /hints:
    get:
      responses:
        '103': {description: Early Hints}
        '200': {description: ok}
  /only:
    get:
      responses:
        '103': {description: Early Hints}
"#;
    let (_, server) = serve_text(doc).await;
    let url = server.url();
    assert_eq!(send(&url, "GET", "/hints", &[], None).await.status, 200);
    for (path, prefer) in [("/hints", "code=103"), ("/only", "")] {
        let r = send(&url, "GET", path, &[("prefer", prefer)], None).await;
        assert_eq!(r.status, 501, "{path}");
        assert_eq!(r.header("mimeo-error"), Some("informational-status"));
        assert!(r.json()["message"]
            .as_str()
            .unwrap()
            .contains("informational"));
    }
    let journal = send(&url, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    let statuses: Vec<_> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(statuses, [501, 501, 200], "the journal says what was sent");
}

#[tokio::test]
async fn a_documented_name_that_is_not_a_media_type_is_served_to_any_client() {
    // `content: {PDF: ...}` made every `Accept: */*` a 406.
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /report:
    get:
      responses:
        '200':
          description: ok
          content:
            PDF:
              schema: {type: string, format: binary}
  /table:
    get:
      responses:
        '200':
          description: ok
          content:
            CSV:
              schema: {type: string}
"#;
    let (c, server) = serve_text(doc).await;
    // One warning for the document, however many such names it has.
    let said: Vec<_> = c
        .warnings()
        .iter()
        .filter(|w| w.contains("not a media type"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("/content/PDF") && said[0].contains("and 1 more content names"),
        "{:?}",
        c.warnings()
    );
    let url = server.url();
    for accept in [None, Some("*/*"), Some("application/json, */*;q=0.1")] {
        let headers: Vec<_> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = send(&url, "GET", "/report", &headers, None).await;
        assert_eq!(r.status, 200, "{accept:?}: {:?}", r.body);
        // Not `PDF`: an invalid Content-Type.
        assert_eq!(
            r.header("content-type"),
            Some("application/octet-stream"),
            "{accept:?}"
        );
    }
    let json = [("accept", "application/json")];
    assert_eq!(send(&url, "GET", "/report", &json, None).await.status, 406);
}

#[tokio::test]
async fn paths_are_served_under_the_servers_base_path_too() {
    // A client given the document's server URL, host swapped for the mock's,
    // sent `/v2/pets/1` and got 404: only `/pets/1` was served.
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: https://api.example.com/{version}
    variables:
      version: {default: v2}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer, example: 1}}}
        '404': {description: gone}
  /:
    get:
      operationId: root
      responses:
        '204': {description: ok}
"#;
    let (c, server) = serve_text(doc).await;
    assert_eq!(c.base_paths(), ["/v2"]);
    let url = server.url();
    for path in ["/pets/1", "/v2/pets/1"] {
        let r = send(&url, "GET", path, &[], None).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        assert_valid(&c, "getPet", &r);
    }
    assert_eq!(send(&url, "GET", "/v2", &[], None).await.status, 204);
    // Still checked: the parameter under the base path is validated.
    assert_eq!(send(&url, "GET", "/v2/pets/x", &[], None).await.status, 400);
    assert_eq!(
        send(&url, "DELETE", "/v2/pets/1", &[], None).await.status,
        405
    );
    for path in ["/v2x/pets/1", "/v3/pets/1", "/v2/v2/pets/1"] {
        assert_eq!(
            send(&url, "GET", path, &[], None).await.status,
            404,
            "{path}"
        );
    }

    // A rule names the document's path; it applies under the base path too.
    let rule = mimeo::Rule::from_flag("GET /pets/*=404").unwrap();
    let ruled = mimeo::MockServer::start(
        c.clone(),
        mimeo::ServeOptions {
            rules: vec![rule],
            ..mimeo::ServeOptions::default()
        },
    )
    .await
    .unwrap();
    for path in ["/pets/1", "/v2/pets/1"] {
        let r = send(&ruled.url(), "GET", path, &[], None).await;
        assert_eq!(r.status, 404, "{path}: {:?}", r.body);
    }

    // Swagger 2's basePath is the same thing.
    let doc = r#"
swagger: '2.0'
info: {title: t, version: '1'}
basePath: /api/
paths:
  /ping:
    get:
      responses:
        '204': {description: ok}
"#;
    let (c, server) = serve_text(doc).await;
    assert_eq!(c.base_paths(), ["/api"]);
    assert_eq!(
        send(&server.url(), "GET", "/api/ping", &[], None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn an_xml_body_is_sent_as_xml_shaped_by_the_xml_object() {
    // Petstore's `Accept: application/xml` got JSON text labelled XML, which
    // every XML parser refused.
    let doc = r#"
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
            application/xml:
              schema: {type: array, xml: {name: pets}, items: {$ref: '#/components/schemas/Pet'}}
  /pets/1:
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content:
            application/xml:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Pet:
      type: object
      required: [id, name, photoUrls, tags]
      properties:
        id: {type: integer, example: 7, xml: {attribute: true}}
        name: {type: string, example: 'Rex & <Co>'}
        photoUrls:
          type: array
          xml: {wrapped: true}
          items: {type: string, example: 'http://x/1.png', xml: {name: photoUrl}}
        tags:
          type: array
          items: {type: string, example: good}
"#;
    let (_, server) = serve_text(doc).await;
    let url = server.url();
    let r = send(&url, "GET", "/pets/1", &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert_eq!(
        text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Pet id=\"7\"><name>Rex &amp; &lt;Co&gt;</name>\
         <photoUrls><photoUrl>http://x/1.png</photoUrl></photoUrls><tags>good</tags></Pet>"
    );
    // The same operation still answers JSON to a JSON client, XML to an XML one.
    let r = send(
        &url,
        "GET",
        "/pets",
        &[("accept", "application/json")],
        None,
    )
    .await;
    assert_eq!(r.json()[0]["id"], 7);
    let xml = [("accept", "application/xml")];
    let r = send(&url, "GET", "/pets", &xml, None).await;
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.contains("<pets><Pet id=\"7\">"), "{text}");
    assert!(text.ends_with("</Pet></pets>"), "{text}");
}

#[tokio::test]
async fn a_discriminator_names_the_one_branch_a_body_is_checked_against() {
    // A Cat that is also a valid Dog failed `oneOf` ("valid under more than
    // one of the schemas"): valid polymorphic bodies were refused (the
    // OpenAPI 3.0.3 specification's own Pet example; ix-api's rules).
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    patch:
      operationId: patchPet
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Cat'
                - $ref: '#/components/schemas/Dog'
              discriminator:
                propertyName: pet_type
                mapping: {doggo: '#/components/schemas/Dog'}
      responses:
        '204': {description: ok}
    get:
      operationId: getPet
      responses:
        '200':
          description: a pet
          content:
            application/json:
              schema:
                oneOf:
                  - $ref: '#/components/schemas/Cat'
                  - $ref: '#/components/schemas/Dog'
                discriminator: {propertyName: pet_type}
  /pinned:
    put:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Lion'
                - $ref: '#/components/schemas/Tiger'
                - $ref: '#/components/schemas/Bird'
              discriminator: {propertyName: kind}
      responses:
        '204': {description: ok}
components:
  schemas:
    Pet:
      type: object
      required: [pet_type]
      properties:
        pet_type: {type: string}
      discriminator: {propertyName: pet_type}
    Dog:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          properties:
            bark: {type: boolean}
    Cat:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          properties:
            hunts: {type: boolean}
    Lion:
      type: object
      required: [kind]
      properties: {kind: {type: string, enum: [lion]}}
    Tiger:
      type: object
      required: [kind]
      properties: {kind: {type: string, enum: [tiger]}}
    Bird:
      type: object
      required: [wings]
      properties: {kind: {type: string}, wings: {type: integer}}
"#;
    let (c, server) = serve_text(doc).await;
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    let url = server.url();
    let json = [("content-type", "application/json")];
    for (path, body, status) in [
        ("/pets", r#"{"pet_type":"Cat","hunts":true}"#, 204),
        ("/pets", r#"{"pet_type":"Cat","bark":true}"#, 204),
        ("/pets", r#"{"pet_type":"doggo","bark":true}"#, 204),
        ("/pets", r#"{"pet_type":"Dog","bark":true}"#, 204),
        // The named branch's own rules still hold.
        ("/pets", r#"{"pet_type":"Cat","hunts":"yes"}"#, 400),
        ("/pets", r#"{"pet_type":"Dog","hunts":"yes"}"#, 204),
        ("/pets", r#"{"pet_type":"doggo","bark":1}"#, 400),
        // A name no branch has: both apply, as written.
        ("/pets", r#"{"pet_type":"Bird"}"#, 400),
        // Without the property, the composition as written: Pet requires it.
        ("/pets", r#"{"hunts":true}"#, 400),
        // Branches that pin the property themselves, without a mapping.
        ("/pinned", r#"{"kind":"lion"}"#, 204),
        ("/pinned", r#"{"kind":"tiger"}"#, 204),
        ("/pinned", r#"{"kind":"Lion"}"#, 400),
        // Without the property, the branches as written: only Bird applies.
        ("/pinned", r#"{"wings":2}"#, 204),
        ("/pinned", r#"{"kind":"Bird","wings":2}"#, 204),
        ("/pinned", r#"{"kind":"Tiger","wings":2}"#, 400),
    ] {
        let r = send(&url, method_for(path), path, &json, Some(body)).await;
        assert_eq!(
            r.status,
            status,
            "{body}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = send(&url, "GET", "/pets", &[], None).await;
    assert_eq!(r.status, 200);
    assert_valid(&c, "getPet", &r);
    for _ in 0..10 {
        let r = send(&url, "GET", "/pets", &[("prefer", "dynamic=true")], None).await;
        assert_valid(&c, "getPet", &r);
    }
}

fn method_for(path: &str) -> &'static str {
    if path == "/pets" {
        "PATCH"
    } else {
        "PUT"
    }
}

#[tokio::test]
async fn an_error_envelope_is_filled_inside() {
    // `{"error": {"status", "message"}}` (Spotify, Microsoft Graph) got the
    // generated example: status 400 on a 401, a message saying nothing.
    let doc = std::fs::read_to_string("tests/fixtures/nested-error.yaml").unwrap();
    let (c, server) = serve_text(&doc).await;
    let url = server.url();
    let bearer = [("authorization", "Bearer t0ken-abc")];
    let r = send(&url, "GET", "/albums", &bearer, None).await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"]["status"], 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("ids"), "{body}");
    assert_valid(&c, "albums", &r);
    let r = send(&url, "GET", "/albums?ids=1", &[], None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["status"], 401, "{:?}", r.body);
    assert_valid(&c, "albums", &r);
}

#[tokio::test]
async fn the_mocks_own_error_in_an_xml_shape_is_xml() {
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items:
    get:
      operationId: list
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer}}
      responses:
        '200': {description: ok}
        '400':
          description: bad
          content:
            application/xml:
              schema: {$ref: '#/components/schemas/Error'}
components:
  schemas:
    Error:
      type: object
      properties:
        code: {type: integer, example: 400}
        message: {type: string, example: bad}
"#;
    let (_, server) = serve_text(doc).await;
    let r = send(&server.url(), "GET", "/items?n=x", &[], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("<Error><code>400</code><message>"), "{text}");
    assert!(text.contains("query parameter n"), "{text}");
}

#[tokio::test]
async fn a_205_is_sent_without_a_body_whatever_the_document_says() {
    // RFC 9110 15.3.6: a server must not generate content in a 205.
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /notifications:
    put:
      responses:
        '205':
          description: reset
          content:
            application/json:
              schema: {type: object, properties: {n: {type: integer}}}
              example: {n: 1}
"#;
    let (_, server) = serve_text(doc).await;
    let r = send(&server.url(), "PUT", "/notifications", &[], None).await;
    assert_eq!(r.status, 205);
    assert!(r.body.is_empty(), "{:?}", r.body);
    assert_eq!(r.header("content-type"), None);
}

#[tokio::test]
async fn under_a_base_path_the_documents_own_path_wins_over_a_template_taking_the_base() {
    // `/api-v2/bulk/query` matched `/{objectName}/{objectId}/{child}` (no POST: 405)
    // before `/bulk/query` less the base was tried (found by the sweep of
    // APIs.guru: cloud-elements, presalytics).
    let doc = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'https://api.example.com/api-v2'}]
paths:
  /{objectName}/{objectId}/{child}:
    parameters:
      - {name: objectName, in: path, required: true, schema: {type: string}}
      - {name: objectId, in: path, required: true, schema: {type: string}}
      - {name: child, in: path, required: true, schema: {type: string}}
    get:
      responses: {'200': {description: an object}}
  /bulk/query:
    post:
      responses: {'202': {description: queued}}
  /bulk/jobs:
    get:
      responses: {'203': {description: the jobs}}
"#;
    let (_, server) = serve_text(doc).await;
    let url = server.url();
    let status = |m: &'static str, p: &'static str| {
        let url = url.clone();
        async move { send(&url, m, p, &[], None).await.status }
    };
    assert_eq!(status("POST", "/api-v2/bulk/query").await, 202);
    assert_eq!(status("GET", "/api-v2/bulk/jobs").await, 203);
    // The template still serves what only it reads.
    assert_eq!(status("GET", "/api-v2/any/thing").await, 200);
    assert_eq!(status("GET", "/bulk/jobs").await, 203);
    assert_eq!(status("GET", "/books/12/pages").await, 200);
}

#[tokio::test]
async fn a_rule_is_matched_against_the_reading_the_request_was_routed_by() {
    // Routed to /{tenant}/items (the path as sent: `api` a tenant), the rule
    // for /items was applied by a second routing that ignored the query:
    // 422 undocumented-status for the tenant's operation.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("b.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.0.3
info: {title: b, version: '1'}
servers: [{url: 'http://example.com/api'}]
paths:
  /{tenant}/items:
    get:
      parameters: [{name: tenant, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}, example: {who: tenant}}}}
  /items?kind=x:
    get:
      parameters: [{name: kind, in: query, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}, example: {who: kind}}}}
        '503': {description: down}
",
    )
    .unwrap();
    let running = crate::common::proxy::spawn_command(
        "serve",
        &[
            "--spec",
            spec.to_str().unwrap(),
            "--port",
            "0",
            "--no-auth",
            "--status",
            "GET /items=503",
        ],
    );
    let r = send(&running.url, "GET", "/api/items", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["who"], "tenant");
    let r = send(&running.url, "GET", "/api/items?kind=x", &[], None).await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    running.stop();
}

/// Two places holding the same uncompilable schema share one validator: a
/// request to the second must not read as if the first place were checked.
#[tokio::test]
async fn a_shared_uncompilable_schema_is_reported_as_the_one_here() {
    let text = std::fs::read_to_string("tests/fixtures/uncompilable.yaml")
        .unwrap()
        .replace(
            "components:",
            "  /others:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name: { $ref: \"#/components/schemas/Name\" }
      responses:
        \"204\":
          description: stored
components:",
        );
    let c = Arc::new(Contract::from_text("shared.yaml", &text).expect("loads"));
    let server = serve(&c).await;
    let r = send(
        &server.url(),
        "POST",
        "/others",
        &[],
        Some(r#"{"name": "a"}"#),
    )
    .await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    let text = String::from_utf8_lossy(&r.body);
    assert!(
        text.contains("the contract's schema here cannot be compiled")
            && text.contains(
                "it is written the same at #/paths/~1things/post/requestBody/content/application~1json/schema and elsewhere"
            ),
        "{text}"
    );
}

#[tokio::test]
async fn a_pattern_wider_than_its_format_gets_a_value_both_take() {
    // A GUID pattern (upper case, optional braces and dashes) beside
    // `format: uuid`, whose lower-case example breaks the pattern.
    let doc = r#"
openapi: 3.0.3
info: {title: runs, version: "1"}
paths:
  /runs:
    post:
      operationId: startRun
      responses:
        '202':
          description: started
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties:
                  id:
                    type: string
                    format: uuid
                    example: b14acd0d-75d7-4fc8-8b22-4a3924585cab
                    pattern: '^[{(]?[0-9A-F]{8}[-]?([0-9A-F]{4}[-]?){3}[0-9A-F]{12}[)}]?$'
"#;
    let (c, server) = serve_text(doc).await;
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    let url = server.url();
    let r = send(&url, "POST", "/runs", &[], None).await;
    assert_eq!(r.status, 202);
    assert_valid(&c, "startRun", &r);
    for i in 0..10 {
        let r = send(&url, "POST", "/runs", &[("prefer", "dynamic=true")], None).await;
        assert_eq!(r.status, 202, "{i}");
        assert_valid(&c, "startRun", &r);
    }
}
