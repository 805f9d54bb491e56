//! The Memory v1 contract cannot drift silently: its operations and statuses are
//! pinned here, and broken documents are refused with a location.

use mimeo::Contract;

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
    assert!(c.warnings().is_empty(), "warnings: {:#?}", c.warnings());
    let actual: Vec<(String, String, String, Vec<u16>)> = c
        .operations()
        .iter()
        .map(|o| {
            (
                o.method().to_string(),
                o.path().to_string(),
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
    for o in c.operations() {
        assert_eq!(
            o.statuses().count(),
            o.documented_codes().len(),
            "{}: only explicit codes",
            o.label()
        );
    }
}

#[test]
fn broken_documents_are_refused_with_a_pointer() {
    let e = Contract::from_text("bad.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: five\n          content: 7\n").unwrap_err();
    assert_eq!(
        e.pointer(),
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
        "openapi: 4.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("4.0.0 is not supported"), "{e}");

    let e = Contract::from_text("r.yaml", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/nope'\n      responses:\n        '200': {description: ok}\n").unwrap_err();
    assert_eq!(
        e.pointer(),
        Some("/paths/~1a~1{id}/get/parameters/0/$ref"),
        "{e}"
    );
    assert!(
        e.message()
            .contains("`#/components/parameters/nope` points at nothing"),
        "{e}"
    );

    let e = Contract::from_text("m.yaml", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      responses:\n        '200': {description: ok}\n").unwrap_err();
    assert!(e.message().contains("`id`"), "{e}");

    let e =
        Contract::from_text("s.yaml", "openapi: 3.0.0\ninfo: {title: t\npaths: {}\n").unwrap_err();
    assert!(e.line_column().is_some(), "{e}");
}

#[test]
fn self_referencing_parameter_schemas_do_not_overflow() {
    let doc = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {$ref: '#/components/schemas/A'}}\n      responses:\n        '4XX': {description: only errors}\ncomponents:\n  schemas:\n    A: {type: array, items: {$ref: '#/components/schemas/A'}}\n    B: {allOf: [{$ref: '#/components/schemas/B'}, {$ref: '#/components/schemas/B'}]}\n";
    let c = Contract::from_text("loop.yaml", doc).expect("loads");
    let op = &c.operations()[0];
    assert_eq!(
        op.default_status(),
        400,
        "a range-only operation answers a status it documents"
    );
}
