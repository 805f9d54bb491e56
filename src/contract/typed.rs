//! The typed reading (openapiv3) of a document: everything but its schemas.
//!
//! openapiv3 knows OpenAPI 3.0; schemas are read from the document itself (in
//! the dialect it declares), so they are taken out while it reads, and so are
//! example values (any JSON is a valid one): a large description's would be
//! held a second time as typed values for nothing. Path items are read one at
//! a time as the loader reaches them ([`path_item`]), not with the rest: all of
//! GitHub's at once were a fifth of its load's peak memory.

use openapiv3::{OpenAPI, PathItem, ReferenceOr};
use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::support::pointer;

/// Reads everything of `raw` but its schemas, example values and path items,
/// which are left in place (`paths` is read by [`path_item`]).
pub(super) fn read(name: &str, raw: &mut Value) -> Result<OpenAPI, Diagnostic> {
    let paths = match raw.get_mut("paths") {
        Some(p @ Value::Object(_)) => Some(std::mem::replace(p, Value::Object(Map::new()))),
        _ => None,
    };
    // mimeo serves no callback, and openapiv3 refuses a callback `$ref` inside
    // a component callback's operations (OpenAPI allows one): the section is
    // left out of the typed reading (its `$ref`s are resolved like any other).
    let callbacks = match raw.pointer_mut("/components/callbacks") {
        Some(c @ Value::Object(_)) => Some(std::mem::replace(c, Value::Object(Map::new()))),
        _ => None,
    };
    let mut taken = Vec::new();
    schema_slots(raw, &mut |slot| {
        taken.push(
            slot.is_object()
                .then(|| std::mem::replace(slot, Value::Object(Map::new()))),
        )
    });
    let mut examples = Vec::new();
    example_slots(raw, &mut |slot| {
        examples.push(std::mem::take(slot));
    });
    let api: Result<OpenAPI, _> = serde_path_to_error::deserialize(&*raw);
    // Narrowed as read: with the schemas (3.1's, or 3.0's once converted)
    // given to openapiv3, a valid one could be named instead of the error.
    let api = api.map_err(|e| {
        let (ptr, msg) =
            narrow_error(raw).unwrap_or_else(|| (path_to_pointer(e.path()), e.inner().to_string()));
        Diagnostic::at_pointer(name, &ptr, format!("not a valid OpenAPI document: {msg}"))
    });
    let mut examples = examples.into_iter();
    example_slots(raw, &mut |slot| {
        if let Some(v) = examples.next() {
            *slot = v;
        }
    });
    let mut back = taken.into_iter();
    schema_slots(raw, &mut |slot| {
        if let Some(Some(schema)) = back.next() {
            *slot = schema;
        }
    });
    if let (Some(paths), Some(slot)) = (paths, raw.get_mut("paths")) {
        *slot = paths;
    }
    if let (Some(callbacks), Some(slot)) = (callbacks, raw.pointer_mut("/components/callbacks")) {
        *slot = callbacks;
    }
    api
}

/// The typed reading of the path item `item`, found at `at`, as [`read`] would
/// have read it with the rest: from a copy whose schemas are empty (its
/// example values were taken out of the document at load).
pub(super) fn path_item(
    name: &str,
    at: &str,
    item: &Value,
) -> Result<ReferenceOr<PathItem>, Diagnostic> {
    // The copy, as read: the document's schemas are converted (3.0's
    // `nullable` is a type list), which openapiv3 would refuse.
    from_copy(
        name,
        at,
        item,
        without_callback_refs,
        |copy| narrow_path_item(at, copy),
        "",
    )
}

/// Drops each callback given as a `$ref` from the operations of the path item
/// `item` (and of its callbacks'): OpenAPI allows one there, openapiv3 reads
/// a Callback in its place and refuses the document. mimeo serves no
/// callback, and a `$ref` resolves (checked before loading): nothing it uses
/// is lost, and one pointing into `components/callbacks` is read there.
fn without_callback_refs(item: &mut Value) {
    let Value::Object(item) = item else { return };
    for (method, op) in item.iter_mut() {
        if !METHODS.contains(&method.as_str()) {
            continue;
        }
        let Some(Value::Object(callbacks)) = op.get_mut("callbacks") else {
            continue;
        };
        callbacks.retain(|_, c| c.get("$ref").is_none());
        for callback in callbacks.values_mut() {
            if let Value::Object(items) = callback {
                items.values_mut().for_each(without_callback_refs);
            }
        }
    }
}

/// The members of a path item that are operations.
pub(super) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The typed reading of the item `v` that the `$ref` at `from` names, found at
/// `at` anywhere in the document (not in `components`, which [`read`] reads),
/// from a copy without its schemas as [`path_item`] reads one. An error names
/// both places: what is wrong is there, who asked for it here.
pub(super) fn referenced<T: serde::de::DeserializeOwned>(
    name: &str,
    at: &str,
    from: &str,
    v: &Value,
) -> Result<ReferenceOr<T>, Diagnostic> {
    from_copy(
        name,
        at,
        v,
        |_| {},
        |copy| try_item::<T>(copy, at),
        &format!(" (as the $ref at #{from} reads it)"),
    )
}

/// `v` at `at`, read by openapiv3 from a copy without its schemas, made
/// readable by `adapt`; an error is placed by `narrow` (the pointer and
/// message of what is wrong) when it can, else by serde's path, and ends with
/// `context`.
fn from_copy<T: serde::de::DeserializeOwned>(
    name: &str,
    at: &str,
    v: &Value,
    adapt: fn(&mut Value),
    narrow: impl Fn(&Value) -> Option<(String, String)>,
    context: &str,
) -> Result<T, Diagnostic> {
    let mut copy = without_schemas(v);
    adapt(&mut copy);
    serde_path_to_error::deserialize(&copy).map_err(|e| {
        let (ptr, msg) = narrow(&copy).unwrap_or_else(|| {
            (
                format!("{at}{}", path_to_pointer(e.path())),
                e.inner().to_string(),
            )
        });
        Diagnostic::at_pointer(
            name,
            &ptr,
            format!("not a valid OpenAPI document: {msg}{context}"),
        )
    })
}

/// A copy of `v` (part of a path item) with each schema [`schema_slots`] takes
/// out (an object under a `schema` member, outside examples and extensions)
/// an empty object.
fn without_schemas(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let copy = match (k.as_str(), v) {
                        ("schema", Value::Object(_)) => Value::Object(Map::new()),
                        ("example" | "examples", _) => v.clone(),
                        (k, _) if k.starts_with("x-") => v.clone(),
                        _ => without_schemas(v),
                    };
                    (k.clone(), copy)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_schemas).collect()),
        other => other.clone(),
    }
}

/// Calls `f` on every place of the document that holds a schema and is read as
/// one by openapiv3 (`components.schemas` entries and every `schema` member
/// outside examples and extensions), always in the same order.
pub(super) fn schema_slots(doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    fn walk(v: &mut Value, top: bool, f: &mut dyn FnMut(&mut Value)) {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if top && k == "components" {
                        if let Value::Object(c) = child {
                            for (ck, cv) in c.iter_mut() {
                                match (ck.as_str(), cv) {
                                    ("schemas", Value::Object(schemas)) => {
                                        schemas.values_mut().for_each(&mut *f)
                                    }
                                    (_, cv) => walk(cv, false, f),
                                }
                            }
                        }
                    } else if k == "schema" {
                        f(child);
                    } else if !(k.starts_with("x-") || k == "example" || k == "examples") {
                        walk(child, false, f);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, false, f)),
            _ => {}
        }
    }
    walk(doc, true, f);
}

/// Calls `f` on every example value of the document's media types, parameters
/// and headers (`example`, and each `examples` entry's `value`), in paths and
/// in components, and on each `value` of `components/examples`: only where
/// OpenAPI puts examples, so a component that happens to be named `examples`
/// is left alone. Callbacks are not walked (their examples stay in place).
pub(super) fn example_slots(doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    /// What walks one kind of object for its example values.
    type Walk = fn(&mut Value, &mut dyn FnMut(&mut Value));
    fn entry(e: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        if let Some(v) = e.get_mut("value") {
            f(v);
        }
    }
    /// A media type, parameter or header object.
    fn holder(h: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let Value::Object(m) = h else { return };
        if let Some(v) = m.get_mut("example") {
            f(v);
        }
        if let Some(Value::Object(named)) = m.get_mut("examples") {
            named.values_mut().for_each(|e| entry(e, f));
        }
        if let Some(Value::Object(content)) = m.get_mut("content") {
            content.values_mut().for_each(|mt| holder(mt, f));
        }
    }
    fn each(v: Option<&mut Value>, f: &mut dyn FnMut(&mut Value), g: Walk) {
        match v {
            Some(Value::Object(m)) => m.values_mut().for_each(|x| g(x, f)),
            Some(Value::Array(a)) => a.iter_mut().for_each(|x| g(x, f)),
            _ => {}
        }
    }
    fn body(b: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        each(b.get_mut("content"), f, holder);
    }
    fn response(r: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        each(r.get_mut("content"), f, holder);
        each(r.get_mut("headers"), f, holder);
    }
    fn item(i: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let Value::Object(m) = i else { return };
        for (k, op) in m.iter_mut() {
            if k == "parameters" {
                each(Some(op), f, holder);
            } else if matches!(
                k.as_str(),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
            ) {
                each(op.get_mut("parameters"), f, holder);
                if let Some(b) = op.get_mut("requestBody") {
                    body(b, f);
                }
                each(op.get_mut("responses"), f, response);
            }
        }
    }
    each(doc.get_mut("paths"), f, item);
    if let Some(c) = doc.get_mut("components") {
        each(c.get_mut("examples"), f, entry);
        each(c.get_mut("parameters"), f, holder);
        each(c.get_mut("headers"), f, holder);
        each(c.get_mut("requestBodies"), f, body);
        each(c.get_mut("responses"), f, response);
    }
}

/// Finds the innermost component that fails to read. openapiv3 flattens some
/// maps (responses), which hides the path of an error; reading the pieces one
/// at a time recovers a precise pointer. Path items are not looked at: [`read`]
/// leaves them out, and [`path_item`] narrows its own ([`narrow_path_item`]).
fn narrow_error(raw: &Value) -> Option<(String, String)> {
    use openapiv3 as o;
    type Reader = fn(&Value, &str) -> Option<(String, String)>;
    let sections: [(&str, Reader); 7] = [
        ("schemas", try_item::<o::Schema>),
        ("responses", try_item::<o::Response>),
        ("parameters", try_item::<o::Parameter>),
        ("examples", try_item::<o::Example>),
        ("requestBodies", try_item::<o::RequestBody>),
        ("headers", try_item::<o::Header>),
        ("securitySchemes", try_item::<o::SecurityScheme>),
    ];
    for (section, read) in sections {
        for (name, item) in each(pointer::get(raw, &format!("/components/{section}"))) {
            if let Some(e) = read(item, &pointer::join("", ["components", section, name])) {
                return Some(e);
            }
        }
    }
    None
}

pub(super) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&pointer::escape(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// [`narrow_error`] within the path item `item`, found at `at`.
fn narrow_path_item(at: &str, item: &Value) -> Option<(String, String)> {
    use openapiv3 as o;
    try_item::<o::PathItem>(item, at)?;
    for (method, op) in each(Some(item)) {
        let op_at = pointer::join(at, [method.as_str()]);
        if !METHODS.contains(&method.as_str()) {
            if let Some(e) = try_read::<o::PathItem>(&serde_json::json!({ method: op }), at) {
                return Some(e);
            }
            continue;
        }
        if try_read::<o::Operation>(op, &op_at).is_none() {
            continue;
        }
        for (code, resp) in each(op.get("responses")) {
            if let Some(e) =
                try_item::<o::Response>(resp, &pointer::join(&op_at, ["responses", code]))
            {
                return Some(e);
            }
        }
        return try_read::<o::Operation>(op, &op_at);
    }
    try_item::<o::PathItem>(item, at)
}

/// Where and why `v`, found at `at`, does not read as a `T`.
fn try_read<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Option<(String, String)> {
    serde_path_to_error::deserialize::<_, T>(v.clone())
        .err()
        .map(|e| {
            (
                format!("{at}{}", path_to_pointer(e.path())),
                e.inner().to_string(),
            )
        })
}
/// [`try_read`] of an item that may be a `$ref` (ReferenceOr is an untagged
/// enum, which hides the path of an error inside the item).
fn try_item<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Option<(String, String)> {
    if v.get("$ref").is_some() {
        try_read::<ReferenceOr<T>>(v, at)
    } else {
        try_read::<T>(v, at)
    }
}
/// The members of `v` when it is an object.
fn each(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Contract;

    fn load(doc: serde_json::Value) -> Result<Contract, String> {
        Contract::from_text("t.json", &doc.to_string()).map_err(|e| e.to_string())
    }

    fn doc(paths: serde_json::Value) -> serde_json::Value {
        json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths})
    }

    #[test]
    fn a_path_item_that_does_not_read_is_named_by_its_pointer() {
        // A valid schema beside it (3.0's `nullable` is converted to a type
        // list, which openapiv3 cannot read) is not named instead.
        let nullable = json!({"description": "ok", "content": {"application/json":
            {"schema": {"type": "string", "nullable": true}}}});
        let e = load(doc(json!({
            "/ok": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/a/{id}": {"get": {"responses": {"200": nullable, "404": {"content": {}}}}}
        })))
        .unwrap_err();
        assert!(e.contains("#/paths/~1a~1{id}/get/responses/404:"), "{e}");
        assert!(e.contains("description"), "{e}");
        // So in 3.1, outside paths.
        let mut d = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {}, "components": {"responses": {
                "A": {"description": "a", "content": {"application/json":
                    {"schema": {"type": ["string", "null"]}}}},
                "R": {"content": {}}}}});
        let e = load(d.take()).unwrap_err();
        assert!(e.contains("#/components/responses/R:"), "{e}");
        let e = load(doc(
            json!({"/a": {"get": {"parameters": [{"name": "q", "in": "nowhere"}],
            "responses": {"200": {"description": "ok"}}}}}),
        ))
        .unwrap_err();
        assert!(e.contains("/paths/~1a/get"), "{e}");
        let e = load(
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"responses": {"R": {"content": {}}}}}),
        )
        .unwrap_err();
        assert!(e.contains("/components/responses/R"), "{e}");
    }

    #[test]
    fn schemas_are_not_read_as_openapi_3_0_ones() {
        // 3.1's type arrays are no 3.0 schema: read per path item, the schema
        // is not given to openapiv3 either.
        let mut d = doc(json!({"/a": {"post": {
            "requestBody": {"content": {"application/json": {"schema":
                {"type": ["string", "null"], "examples": ["x"]}}}},
            "responses": {"200": {"description": "ok"}}}}}));
        d["openapi"] = "3.1.0".into();
        let c = load(d).unwrap();
        assert_eq!(c.operations().len(), 1);
    }

    #[test]
    fn a_path_without_a_leading_slash_is_a_warning_and_extensions_are_not_paths() {
        let c = load(doc(json!({
            "pets": {"get": {"responses": {"200": {"description": "ok"}}}},
            "x-tag": {"get": 1},
            "/ok": {"get": {"responses": {"200": {"description": "ok"}}}}
        })))
        .unwrap();
        assert_eq!(c.operations().len(), 1);
        assert!(
            c.warnings()
                .iter()
                .any(|w| w.contains("#/paths/pets") && w.contains("must start with `/`")),
            "{:?}",
            c.warnings()
        );
        assert!(
            !c.warnings().iter().any(|w| w.contains("x-tag")),
            "{:?}",
            c.warnings()
        );
    }

    #[test]
    fn example_values_move_into_the_model_once_for_every_ref() {
        let answer = |r: &str| {
            json!({"description": "ok", "content": {"application/json": {
                "schema": {"type": "object"},
                "examples": {"one": {"$ref": r}}, "example": {"inline": true}}}})
        };
        let mut d = doc(json!({
            "/a": {"get": {"responses": {"200": answer("#/components/examples/E")}}},
            "/b": {"get": {"responses": {"200": answer("#/components/examples/E")}}}
        }));
        d["components"] = json!({"examples": {"E": {"value": {"shared": [1, 2]}}}});
        let c = load(d).unwrap();
        let examples: Vec<_> = c
            .operations()
            .iter()
            .map(|o| &o.responses[0].content[0].examples)
            .collect();
        assert_eq!(examples.len(), 2);
        for e in &examples {
            let names: Vec<_> = e.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["example", "one"]);
            assert_eq!(*e[0].value, json!({"inline": true}));
            assert_eq!(*e[1].value, json!({"shared": [1, 2]}));
        }
        assert!(std::sync::Arc::ptr_eq(
            &examples[0][1].value,
            &examples[1][1].value
        ));
        // Held once: the document keeps no copy.
        assert_eq!(
            c.document["components"]["examples"]["E"]["value"],
            json!(null)
        );
    }
}
