//! Schema resources in OpenAPI 3.1 (JSON Schema 2020-12): a `$ref` inside a
//! schema that declares `$id` (or is nested in one) is resolved against that
//! resource's URI, not the document's. `#/$defs/Line` inside
//! `https://example.com/schemas/order` is Order's own `Line`, even when the
//! document's root has a `$defs/Line` of its own; `customer` is the resource
//! `https://example.com/schemas/customer`; `#address` is the `$anchor` of
//! Order. The document loads, requests are judged and answers generated
//! against those targets, and a reference that resolves nowhere in its resource
//! is refused at load, naming where it is.

use std::sync::Arc;

use crate::common::*;
use mimeo::{check_response, Contract, MockServer, ServeOptions};
use serde_json::Value;

/// The document; `root_defs` is written at the top level, where a `#/$defs/...`
/// resolved against the document (wrongly) would find it.
fn document(root_defs: &str) -> String {
    format!(
        r##"openapi: 3.1.0
info: {{title: Resources, version: "1"}}
paths:
  /orders:
    post:
      operationId: addOrder
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/Order"}}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Order"}}
  /orders/{{id}}:
    get:
      operationId: getOrder
      parameters: [{{name: id, in: path, required: true, schema: {{type: integer}}}}]
      responses:
        "200":
          description: one
          content:
            application/json:
              schema: {{$ref: "https://example.com/schemas/order"}}
  /lines:
    post:
      operationId: addLine
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $id: https://example.com/schemas/new-line
              type: object
              required: [line]
              properties:
                line: {{$ref: "#/$defs/Line"}}
                customer: {{$ref: customer}}
              $defs:
                Line:
                  type: object
                  required: [sku]
                  properties:
                    sku: {{type: string, pattern: "^SKU-[0-9]{{3}}$"}}
      responses:
        "204": {{description: added}}
components:
  schemas:
    Order:
      $id: https://example.com/schemas/order
      type: object
      required: [id, line, customer, ship]
      additionalProperties: false
      properties:
        id: {{type: integer, readOnly: true}}
        line: {{$ref: "#/$defs/Line"}}
        customer: {{$ref: "./customer"}}
        ship: {{$ref: "#address"}}
      $defs:
        Line:
          type: object
          required: [sku]
          additionalProperties: false
          properties:
            sku: {{type: string, pattern: "^SKU-[0-9]{{3}}$"}}
        Address:
          $anchor: address
          type: object
          required: [city]
          additionalProperties: false
          properties:
            city: {{type: string, enum: [Paris, Lyon]}}
    Customer:
      $schema: https://json-schema.org/draft/2020-12/schema
      $id: https://example.com/schemas/customer
      type: object
      required: [name]
      additionalProperties: false
      properties:
        name: {{$ref: "#/$defs/Name"}}
      $defs:
        Name: {{type: string, minLength: 2, maxLength: 5, pattern: "^[A-Z]"}}
{root_defs}"##
    )
}

/// A root-level `$defs` with the same names and other meanings.
const SHADOWS: &str = "$defs:
  Line: {type: integer}
  Name: {type: integer}
";

fn load(text: &str) -> Arc<Contract> {
    let c = Contract::from_text("resources.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    Arc::new(c)
}

#[test]
fn refs_relative_to_their_schema_resource_load() {
    // Nothing at the document's `#/$defs`: resolved against the document, the
    // references inside Order and Customer would point at nothing.
    let c = load(&document(""));
    assert_eq!(c.operations().len(), 3);
    // Under 3.0 (draft 4) `$id` is no keyword: a pointer is read from the root.
    let e = Contract::from_text(
        "resources.yaml",
        &document("").replace("openapi: 3.1.0", "openapi: 3.0.3"),
    )
    .map(|_| ())
    .expect_err("refused")
    .to_string();
    assert!(e.contains("no `#/$defs/"), "{e}");
}

#[tokio::test]
async fn requests_are_judged_against_the_resource_members() {
    for root in ["", SHADOWS] {
        let server = MockServer::start(load(&document(root)), ServeOptions::default())
            .await
            .expect("starts");
        let url = server.url();
        let order =
            r#"{"line":{"sku":"SKU-001"},"customer":{"name":"Ada"},"ship":{"city":"Paris"}}"#;
        for (path, body, status) in [
            ("/orders", order, 201),
            (
                "/lines",
                r#"{"line":{"sku":"SKU-001"},"customer":{"name":"Ada"}}"#,
                204,
            ),
            // What the root's `$defs` would accept is not what Order's accept.
            (
                "/orders",
                r#"{"line":7,"customer":{"name":"Ada"},"ship":{"city":"Paris"}}"#,
                400,
            ),
            (
                "/orders",
                r#"{"line":{"sku":"SKU-001"},"customer":{"name":7},"ship":{"city":"Paris"}}"#,
                400,
            ),
            ("/lines", r#"{"line":7}"#, 400),
            (
                "/lines",
                r#"{"line":{"sku":"SKU-001"},"customer":{"name":7}}"#,
                400,
            ),
            // Each resource's own rules apply.
            ("/lines", r#"{"line":{"sku":"x"}}"#, 400),
            (
                "/orders",
                r#"{"line":{"sku":"SKU-001"},"customer":{"name":"Ada"},"ship":{"city":"Rome"}}"#,
                400,
            ),
            (
                "/orders",
                r#"{"line":{"sku":"SKU-001"},"customer":{"name":"ada"},"ship":{"city":"Paris"}}"#,
                400,
            ),
        ] {
            let r = send(&url, "POST", path, &[], Some(body)).await;
            assert_eq!(
                r.status,
                status,
                "{path} {body} (root: {root:?}): {}",
                String::from_utf8_lossy(&r.body)
            );
        }
    }
}

/// Whether `order` is an Order as its resource defines it.
fn is_order(order: &Value) -> bool {
    let sku = order["line"]["sku"].as_str().unwrap_or("");
    let name = order["customer"]["name"].as_str().unwrap_or("");
    sku.len() == 7
        && sku.starts_with("SKU-")
        && (2..=5).contains(&name.chars().count())
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && ["Paris", "Lyon"].contains(&order["ship"]["city"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn generated_answers_follow_the_resource_members() {
    for root in ["", SHADOWS] {
        let c = load(&document(root));
        let server = MockServer::start(c.clone(), ServeOptions::default())
            .await
            .expect("starts");
        let url = server.url();
        let op = c.operation_by_id("getOrder").unwrap();
        for i in 0..10 {
            let r = send(
                &url,
                "GET",
                "/orders/3",
                &[("prefer", "dynamic=true")],
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{i}: {:?}", r.body);
            let body = r.json();
            assert!(is_order(&body), "{i} (root: {root:?}): {body}");
            let failures = check_response(&c, op, r.status, &r.headers, &r.body, None).failures;
            assert!(failures.is_empty(), "{i}: {failures:#?} {body}");
        }
        let created = send(
            &url,
            "POST",
            "/orders",
            &[],
            Some(r#"{"line":{"sku":"SKU-001"},"customer":{"name":"Ada"},"ship":{"city":"Lyon"}}"#),
        )
        .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert!(is_order(&created.json()), "{}", created.json());
    }
}

#[test]
fn a_ref_that_resolves_nowhere_in_its_resource_is_refused() {
    // Nowhere at all, and only at the document's root (which is not where a
    // reference inside Customer points).
    for (missing, root) in [("Nope", ""), ("Line", SHADOWS)] {
        let text = document(root).replace(
            "name: {$ref: \"#/$defs/Name\"}",
            &format!("name: {{$ref: \"#/$defs/{missing}\"}}"),
        );
        let e = Contract::from_text("resources.yaml", &text)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("#/components/schemas/Customer/properties/name/$ref"),
            "{e}"
        );
        assert!(e.contains(&format!("#/$defs/{missing}")), "{e}");
    }
    // An anchor or a resource that nothing declares.
    for (written, wanted) in [
        ("\"#address\"", "#nowhere"),
        ("\"./customer\"", "customers"),
    ] {
        let text = document("").replace(
            &format!("{{$ref: {written}}}"),
            &format!("{{$ref: \"{wanted}\"}}"),
        );
        assert_ne!(text, document(""));
        let e = Contract::from_text("resources.yaml", &text)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(e.contains("#/components/schemas/Order/properties/"), "{e}");
        assert!(e.contains(wanted), "{e}");
    }
}

/// A component whose name a URI must encode (`Order Line`), reached through a
/// `$ref` rewritten as `#/components/schemas/Order%20Line`: its readOnly
/// property is still left out of requests (the views read the encoded name).
#[tokio::test]
async fn a_component_named_with_a_space_keeps_its_request_view() {
    let text = r##"openapi: 3.1.0
info: {title: Views, version: "1"}
paths:
  /carts:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Cart"}
      responses:
        "204": {description: added}
components:
  schemas:
    Cart:
      $id: https://example.com/cart
      type: object
      required: [line]
      properties:
        line: {$ref: order-line}
    Order Line:
      $id: https://example.com/order-line
      type: object
      required: [id, sku]
      additionalProperties: false
      properties:
        id: {type: integer, readOnly: true}
        sku: {type: string}
"##;
    let server = MockServer::start(load(text), ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    for (body, status) in [
        (r#"{"line":{"sku":"a"}}"#, 204),
        (r#"{"line":{"sku":"a","id":1}}"#, 400),
        (r#"{"line":{}}"#, 400),
    ] {
        let r = send(&url, "POST", "/carts", &[], Some(body)).await;
        assert_eq!(
            r.status,
            status,
            "{body}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
}
