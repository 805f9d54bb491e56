//! Finding fields in the contract's schemas: does a body have `/idType`, where is
//! the array in a list response, what does an entry object hold.
//!
//! Schemas are the converted (draft 4) ones, with `$ref`s into the document.
//! A schema that declares no properties (free-form) accepts any field; one that
//! declares some is taken at its word, so a typo in a model is caught.

use serde_json::Value;

use crate::contract::{schema, Contract, Operation, SchemaId};

/// How far `$ref`s and combinators are followed.
const DEPTH: usize = 16;

/// The schema at `pointer` inside `schema`: `Ok(Some)` when found, `Ok(None)` when
/// a free-form schema on the way accepts anything, `Err` naming what is known.
pub(crate) fn walk<'a>(
    doc: &'a Value,
    s: &'a Value,
    pointer: &str,
) -> Result<Option<&'a Value>, String> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return if pointer.is_empty() {
            Ok(Some(s))
        } else {
            Err(format!(
                "`{pointer}` is not a JSON pointer (it must start with `/`)"
            ))
        };
    };
    let mut at = s;
    for token in rest.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        match step(doc, at, &token, 0)? {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// One pointer step: a property of an object or the items of an array.
fn step<'a>(
    doc: &'a Value,
    s: &'a Value,
    token: &str,
    depth: usize,
) -> Result<Option<&'a Value>, String> {
    step_in(doc, s, token, depth, &mut Vec::new())
}

/// [`step`], skipping the schemas already `tried` for this token without
/// finding it: a schema that refers to itself in several members would be
/// tried again down every path (exponential in the depth).
fn step_in<'a>(
    doc: &'a Value,
    s: &'a Value,
    token: &str,
    depth: usize,
    tried: &mut Vec<&'a Value>,
) -> Result<Option<&'a Value>, String> {
    let Some(s) = schema::resolve(doc, s).filter(|_| depth < DEPTH) else {
        return Ok(None);
    };
    if let Some(p) = s.get("properties").and_then(|p| p.get(token)) {
        return Ok(Some(p));
    }
    if token.parse::<usize>().is_ok() {
        if let Some(items) = s.get("items") {
            return Ok(Some(items));
        }
    }
    if tried.iter().any(|t| std::ptr::eq(*t, s)) {
        return Err(String::new());
    }
    tried.push(s);
    for key in ["allOf", "anyOf", "oneOf"] {
        for member in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            match step_in(doc, member, token, depth + 1, tried) {
                Ok(Some(found)) => return Ok(Some(found)),
                Ok(None) => return Ok(None),
                Err(_) => {}
            }
        }
    }
    let mut known = Vec::new();
    names(doc, s, depth, &mut Vec::new(), &mut known);
    if known.is_empty() && !declares_fields(doc, s, depth) {
        return Ok(None);
    }
    known.sort();
    known.dedup();
    Err(format!(
        "the schema has no field `{token}` (it has {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
}

/// Every declaration a value at `pointer` inside `s` must meet: at each step,
/// the property (or an array's items) as `s` and each of its `allOf` members
/// declare it, followed through `$ref`s, from every declaration of the step
/// before. `Pet: allOf [{meta: Meta}, {meta: {id: {pattern}}}]` gives both
/// `Meta`'s `id` and the pattern for `/meta/id`, where [`walk`] takes the first
/// member that has `meta`. Each step also takes what [`walk`] takes there
/// (the first `anyOf`/`oneOf` alternative declaring it: alternatives are not
/// all met, so only that one), unless an `allOf` declaration gives the field
/// another type. Empty when the pointer leads nowhere.
pub(crate) fn declarations<'a>(doc: &'a Value, s: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return if pointer.is_empty() {
            vec![s]
        } else {
            Vec::new()
        };
    };
    let mut at = vec![s];
    for token in rest.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        let mut seen = Vec::new();
        for s in &at {
            declared(doc, s, &token, 0, &mut seen, &mut next);
        }
        // What [`walk`] takes at this step joins them: an `allOf` member that
        // only annotates the field (`{readOnly: true}`) must not hide the type
        // an `anyOf`/`oneOf` alternative gives it. But an alternative is one
        // choice among several, so one whose type an `allOf` declaration
        // contradicts is not the one taken (`oneOf [{id: integer}, {id:
        // string}]` beside `{id: {type: string, pattern}}`).
        let typed: Vec<&str> = next.iter().filter_map(|d| type_of(doc, d)).collect();
        for found in at
            .iter()
            .filter_map(|s| step(doc, s, &token, 0).ok().flatten())
        {
            let fits = type_of(doc, found).is_none_or(|t| typed.iter().all(|d| *d == t));
            // (Two `$ref`s to one schema find one declaration.)
            if fits && !next.iter().any(|d| std::ptr::eq(*d, found)) {
                next.push(found);
            }
        }
        at = next;
    }
    at
}

/// The declarations of one pointer step in `s` and its `allOf` members, each
/// schema visited once (`seen`: a member shared by several, or a `$ref` cycle).
fn declared<'a>(
    doc: &'a Value,
    s: &'a Value,
    token: &str,
    depth: usize,
    seen: &mut Vec<&'a Value>,
    out: &mut Vec<&'a Value>,
) {
    let Some(s) = schema::resolve(doc, s).filter(|_| depth < DEPTH) else {
        return;
    };
    if seen.iter().any(|v| std::ptr::eq(*v, s)) {
        return;
    }
    seen.push(s);
    match s.get("properties").and_then(|p| p.get(token)) {
        Some(p) => out.push(p),
        None if token.parse::<usize>().is_ok() => out.extend(s.get("items")),
        None => {}
    }
    for member in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        declared(doc, member, token, depth + 1, seen, out);
    }
}

/// Property names declared by `s` and its `allOf`, `anyOf` and `oneOf`
/// members.
fn names<'a>(
    doc: &'a Value,
    s: &'a Value,
    depth: usize,
    seen: &mut Vec<&'a Value>,
    out: &mut Vec<String>,
) {
    let Some(s) = schema::resolve(doc, s).filter(|_| depth < DEPTH) else {
        return;
    };
    // Each schema once: its names are the same however it is reached.
    if seen.iter().any(|v| std::ptr::eq(*v, s)) {
        return;
    }
    seen.push(s);
    if let Some(p) = s.get("properties").and_then(Value::as_object) {
        out.extend(p.keys().cloned());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for member in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            names(doc, member, depth + 1, seen, out);
        }
    }
}

/// Whether a schema pins its fields down (declares properties or forbids others).
fn declares_fields(doc: &Value, s: &Value, depth: usize) -> bool {
    let Some(s) = schema::resolve(doc, s).filter(|_| depth < DEPTH) else {
        return false;
    };
    s.get("properties").is_some() || s.get("additionalProperties") == Some(&Value::Bool(false))
}

/// The schema's `type` (the first non-null one of a list).
pub(crate) fn type_of<'a>(doc: &'a Value, s: &'a Value) -> Option<&'a str> {
    let s = schema::resolve(doc, s)?;
    match s.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// Where the array sits in a list response: `""` for a bare array, `/name` for
/// the one array property of an object (preferring `data`, `items`, `results`).
pub(crate) fn array_location(doc: &Value, s: &Value) -> Option<String> {
    let s = schema::resolve(doc, s)?;
    if type_of(doc, s) == Some("array") {
        return Some(String::new());
    }
    let props = s.get("properties")?.as_object()?;
    let arrays: Vec<&String> = props
        .iter()
        .filter(|(_, p)| type_of(doc, p) == Some("array"))
        .map(|(k, _)| k)
        .collect();
    let chosen = match arrays.as_slice() {
        [one] => Some(*one),
        _ => ["data", "items", "results"]
            .iter()
            .find_map(|n| arrays.iter().find(|a| a.as_str() == *n).copied()),
    }?;
    Some(format!(
        "/{}",
        crate::support::pointer::escape(chosen).into_owned()
    ))
}

/// `maxItems` of an array schema.
pub(crate) fn max_items(doc: &Value, s: &Value) -> Option<usize> {
    schema::resolve(doc, s)?
        .get("maxItems")?
        .as_u64()
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// The JSON schema of the body answered with `status`, when there is one.
pub(crate) fn response_schema(op: &Operation, status: u16) -> Option<SchemaId> {
    let media = op.response_for(status)?.primary_content()?;
    media.json.then_some(media.schema).flatten()
}

/// The JSON schema of the request body, when there is one.
pub(crate) fn request_schema(op: &Operation) -> Option<SchemaId> {
    let body = op.body.as_ref()?;
    body.content.iter().find(|m| m.json).and_then(|m| m.schema)
}

/// Whether the response for `status` documents a `Location` header.
pub(crate) fn has_location(op: &Operation, status: u16) -> bool {
    op.response_for(status).is_some_and(|r| {
        r.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("location"))
    })
}

/// The schema source for an id.
pub(crate) fn source(contract: &Contract, id: SchemaId) -> &Value {
    contract.schemas.source(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schema_that_refers_to_itself_many_times_is_searched_once() {
        // Four members that are the schema itself, 16 levels deep: 4^16 paths
        // when each was searched again (a start-up that never ended, and the
        // same on every create).
        let tree = json!({"$ref": "#/components/schemas/Tree"});
        let doc = json!({"components": {"schemas": {
            "Tree": {"type": "object", "properties": {"name": {"type": "string"}},
                     "anyOf": [tree, tree, tree, tree]},
            "Item": {"allOf": [tree, {"properties": {"itemId": {"pattern": "^itm_[0-9]+$"}}}]}}}});
        let item = json!({"$ref": "#/components/schemas/Item"});
        let itm = json!({"pattern": "^itm_[0-9]+$"});
        assert_eq!(walk(&doc, &item, "/itemId"), Ok(Some(&itm)));
        assert_eq!(declarations(&doc, &item, "/itemId"), vec![&itm]);
        let err = walk(&doc, &tree, "/other").unwrap_err();
        assert!(err.contains("(it has name)"), "{err}");
    }

    #[test]
    fn pointers_walk_properties_items_and_all_of() {
        let doc = json!({"components": {"schemas": {
            "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"},
                              {"properties": {"tags": {"type": "array", "items": {"type": "string"}}}}]}}}});
        let pet = json!({"$ref": "#/components/schemas/Pet"});
        assert_eq!(
            walk(&doc, &pet, "/id").unwrap(),
            Some(&json!({"type": "integer"}))
        );
        assert_eq!(
            walk(&doc, &pet, "/tags/0").unwrap(),
            Some(&json!({"type": "string"}))
        );
        let e = walk(&doc, &pet, "/ID").unwrap_err();
        assert_eq!(e, "the schema has no field `ID` (it has id, tags)");
        assert_eq!(walk(&doc, &json!({"type": "object"}), "/x").unwrap(), None);
        assert!(walk(&doc, &pet, "id").is_err());
    }

    #[test]
    fn declarations_are_every_all_of_members_at_every_step() {
        let doc = json!({"components": {"schemas": {
            "Meta": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Pet": {"allOf": [
                {"properties": {"meta": {"$ref": "#/components/schemas/Meta"}}},
                {"properties": {"meta": {"allOf": [
                    {"properties": {"id": {"pattern": "^pet_"}}},
                    {"$ref": "#/components/schemas/Meta"}]}}},
                {"$ref": "#/components/schemas/Pet"}]},
            "Choice": {"anyOf": [
                {"properties": {"tags": {"items": {"minLength": 1}}}},
                {"properties": {"tags": {"items": {"maxLength": 9}}}}]}}}});
        let pet = json!({"$ref": "#/components/schemas/Pet"});
        // Meta's `id` once (two `$ref`s to it, and Pet naming itself), and the
        // pattern; `walk` saw the first member's `meta` alone.
        assert_eq!(
            declarations(&doc, &pet, "/meta/id"),
            [&json!({"type": "string"}), &json!({"pattern": "^pet_"})]
        );
        assert_eq!(
            walk(&doc, &pet, "/meta/id").unwrap(),
            Some(&json!({"type": "string"}))
        );
        // Alternatives: the first that declares the step, as `walk` takes it.
        let choice = json!({"$ref": "#/components/schemas/Choice"});
        assert_eq!(
            declarations(&doc, &choice, "/tags/0"),
            [&json!({"minLength": 1})]
        );
        assert!(declarations(&doc, &pet, "/meta/name").is_empty());
        assert!(declarations(&doc, &pet, "meta").is_empty());
    }

    #[test]
    fn list_arrays_are_found() {
        let doc = json!({});
        assert_eq!(
            array_location(&doc, &json!({"type": "array"})).as_deref(),
            Some("")
        );
        let wrapped = json!({"type": "object", "properties": {
            "meta": {"type": "object"}, "identifiers": {"type": "array", "maxItems": 50}}});
        assert_eq!(
            array_location(&doc, &wrapped).as_deref(),
            Some("/identifiers")
        );
        let two = json!({"properties": {"data": {"type": "array"}, "links": {"type": "array"}}});
        assert_eq!(array_location(&doc, &two).as_deref(), Some("/data"));
        assert_eq!(array_location(&doc, &json!({"type": "object"})), None);
        assert_eq!(
            max_items(&doc, &wrapped["properties"]["identifiers"]),
            Some(50)
        );
    }
}
