//! The Memory v1 contract cannot drift silently: its operations and statuses are
//! pinned here, and broken documents are refused with a location.

use mimeo::contract::{Contract, ParamIn};

const TABLE: &[(&str, &str, &str, &[u16])] = &[
    (
        "POST",
        "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers",
        "CreateProfileIdentifier",
        &[202, 308, 400, 401, 403, 404, 429, 500, 503],
    ),
    (
        "GET",
        "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers",
        "ListProfileIdentifiers",
        &[200, 301, 400, 401, 403, 404, 429, 500, 503],
    ),
    (
        "GET",
        "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}",
        "FetchProfileIdentifier",
        &[200, 301, 400, 401, 403, 404, 429, 500, 503],
    ),
    (
        "PATCH",
        "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}",
        "PatchProfileIdentifier",
        &[202, 308, 400, 401, 403, 404, 409, 429, 500, 503],
    ),
    (
        "DELETE",
        "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}",
        "DeleteProfileIdentifier",
        &[202, 308, 400, 401, 403, 404, 429, 500, 503],
    ),
    (
        "DELETE",
        "/v1/ControlPlane/Stores/{storeId}",
        "DeleteStore",
        &[202, 400, 404, 429, 500, 503],
    ),
    (
        "DELETE",
        "/v1/ControlPlane/Stores/{storeId}/DataMappings/{dataMappingId}",
        "DeleteDataMapping",
        &[202, 400, 404, 429, 500, 503],
    ),
];

#[test]
fn embedded_contract_has_exactly_the_documented_operations_and_statuses() {
    let c = Contract::embedded().expect("embedded contract loads");
    assert!(c.warnings.is_empty(), "warnings: {:#?}", c.warnings);
    let actual: Vec<(String, String, String, Vec<u16>)> = c
        .operations
        .iter()
        .map(|o| {
            (
                o.method.to_string(),
                o.path.clone(),
                o.name(),
                o.documented_codes(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String, Vec<u16>)> = TABLE
        .iter()
        .map(|(m, p, id, s)| (m.to_string(), p.to_string(), id.to_string(), s.to_vec()))
        .collect();
    assert_eq!(actual.len(), expected.len(), "{actual:#?}");
    for e in &expected {
        assert!(
            actual.contains(e),
            "missing or different: {e:?}\nactual: {actual:#?}"
        );
    }
    for o in &c.operations {
        assert_eq!(
            o.responses.len(),
            o.documented_codes().len(),
            "{}: only explicit codes",
            o.label()
        );
    }
}

#[test]
fn embedded_contract_constraints_are_compiled() {
    let c = Contract::embedded().unwrap();
    let patch = c.operation_by_id("PatchProfileIdentifier").unwrap();
    let store = patch
        .params_in(ParamIn::Path)
        .find(|p| p.name == "storeId")
        .unwrap();
    let id = store.schema.unwrap();
    assert!(c
        .schemas
        .is_valid(id, &"mem_store_00000000000000000000000000".into()));
    assert!(c
        .schemas
        .is_valid(id, &"mem_service_7zzzzzzzzzzzzzzzzzzzzzzzzz".into()));
    assert!(!c
        .schemas
        .is_valid(id, &"mem_store_80000000000000000000000000".into()));
    let body = patch.body.as_ref().unwrap().content[0].schema.unwrap();
    let v = c.schemas.violations(
        body,
        &serde_json::json!({"idType": "e", "oldValue": "a", "extra": 1}),
    );
    let rules: Vec<&str> = v.iter().map(|v| v.rule.as_str()).collect();
    assert!(rules.contains(&"required"), "{v:?}");
    assert!(rules.contains(&"minLength"), "{v:?}");
    assert!(rules.contains(&"additionalProperties"), "{v:?}");
    let del = c.operation_by_id("DeleteProfileIdentifier").unwrap();
    let remove_all = del
        .params_in(ParamIn::Query)
        .find(|p| p.name == "removeAll")
        .unwrap();
    assert!(!remove_all.required);
}

#[test]
fn broken_documents_are_refused_with_a_pointer() {
    let e = Contract::from_text("bad.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: five\n          content: 7\n").unwrap_err();
    assert_eq!(
        e.pointer.as_deref(),
        Some("/paths/~1a/get/responses/200/content"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("bad.yaml: at #/paths/~1a/get/responses/200/content"),
        "{e}"
    );

    let e = Contract::from_text(
        "v.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("3.1.0 is not supported"), "{e}");

    let e = Contract::from_text("r.yaml", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/nope'\n      responses:\n        '200': {description: ok}\n").unwrap_err();
    assert_eq!(
        e.pointer.as_deref(),
        Some("/paths/~1a~1{id}/get/parameters/0"),
        "{e}"
    );
    assert!(e.message.contains("points at nothing"), "{e}");

    let e = Contract::from_text("m.yaml", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      responses:\n        '200': {description: ok}\n").unwrap_err();
    assert!(e.message.contains("`id`"), "{e}");

    let e =
        Contract::from_text("s.yaml", "openapi: 3.0.0\ninfo: {title: t\npaths: {}\n").unwrap_err();
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn self_referencing_parameter_schemas_do_not_overflow() {
    let doc = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {$ref: '#/components/schemas/A'}}\n      responses:\n        '4XX': {description: only errors}\ncomponents:\n  schemas:\n    A: {type: array, items: {$ref: '#/components/schemas/A'}}\n    B: {allOf: [{$ref: '#/components/schemas/B'}, {$ref: '#/components/schemas/B'}]}\n";
    let c = Contract::from_text("loop.yaml", doc).expect("loads");
    let op = &c.operations[0];
    assert_eq!(
        op.default_status(),
        400,
        "a range-only operation answers a status it documents"
    );
}
