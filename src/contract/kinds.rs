//! How text becomes the JSON value a schema describes, worked out once at load
//! for every parameter, header and form field: what is an integer, an array of
//! booleans, an object with typed properties, or a value with several possible
//! readings (`oneOf`, `anyOf`, no `type`) that the schema itself must choose
//! among. No request ever walks a schema to learn how to read a value.

use serde_json::Value;

use super::model::{Alternatives, ValueKind};
use crate::support::pointer;

/// Deeper than this, values are read as `Any`: recursive schemas end here.
const MAX_DEPTH: usize = 8;
/// Properties or branches read past this many are not given a kind of their own.
const MAX_WIDTH: usize = 256;
/// Schemas visited for one value at most: wide schemas that refer to each other
/// must not multiply (past it, what is left is read as `Any`).
const BUDGET: usize = 2_000;

/// The kind of the schema at JSON pointer `at` in the converted document.
pub(crate) fn kind_at(document: &Value, at: &str) -> ValueKind {
    let mut budget = BUDGET;
    match pointer::get(document, at) {
        Some(s) => kind_of(document, s, Some(at.to_string()), 0, &mut budget),
        None => ValueKind::String,
    }
}

fn kind_of(
    document: &Value,
    schema: &Value,
    mut at: Option<String>,
    depth: usize,
    budget: &mut usize,
) -> ValueKind {
    if *budget == 0 {
        return ValueKind::any(None);
    }
    *budget -= 1;
    // Follow `$ref`s, keeping the pointer of the schema finally reached.
    let mut s = schema;
    for _ in 0..32 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let Some(target) = r.strip_prefix('#').filter(|_| depth < MAX_DEPTH) else {
                    return ValueKind::any(None);
                };
                let Some((next, found_at)) = pointer::fragment_at(document, target) else {
                    return ValueKind::String;
                };
                // As found: `is_valid_at` reads it as a plain pointer.
                at = Some(found_at.into_owned());
                s = next;
            }
            None => break,
        }
    }
    if depth >= MAX_DEPTH || s.get("$ref").is_some() {
        return ValueKind::any(at);
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => {
            let real: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            match real.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        }
        _ => None,
    };
    let child = |key: &str| at.as_ref().map(|a| pointer::join(a, [key]));
    match ty {
        Some("integer") => ValueKind::Integer,
        Some("number") => ValueKind::Number,
        Some("boolean") => ValueKind::Boolean,
        Some("string") => ValueKind::String,
        Some("array") => {
            let items = s.get("items").unwrap_or(&Value::Null);
            let item = if items.is_object() {
                kind_of(document, items, child("items"), depth + 1, budget)
            } else {
                ValueKind::any(None)
            };
            ValueKind::Array(Box::new(item))
        }
        Some("object") => object(document, s, at.as_deref(), depth, budget),
        _ => {
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = s.get(key) {
                    let base = child(key);
                    let kinds = branches
                        .iter()
                        .take(MAX_WIDTH)
                        .enumerate()
                        .map(|(i, b)| {
                            let at = base
                                .as_ref()
                                .map(|p| pointer::join(p, [i.to_string().as_str()]));
                            kind_of(document, b, at, depth + 1, budget)
                        })
                        .collect();
                    return ValueKind::Alternatives(Box::new(Alternatives { kinds, at }));
                }
            }
            if s.get("properties").is_some() {
                return object(document, s, at.as_deref(), depth, budget);
            }
            ValueKind::any(at)
        }
    }
}

fn object(
    document: &Value,
    s: &Value,
    at: Option<&str>,
    depth: usize,
    budget: &mut usize,
) -> ValueKind {
    let props = s
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .take(MAX_WIDTH)
        .map(|(name, p)| {
            let at = at.map(|a| pointer::join(a, ["properties", name]));
            (name.clone(), kind_of(document, p, at, depth + 1, budget))
        })
        .collect();
    ValueKind::Object(props)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_follow_refs_and_keep_the_pointer_of_alternatives() {
        let doc = json!({
            "components": {"schemas": {
                "Range": {"type": "object", "properties": {"gte": {"type": "integer"}}},
                "Created": {"anyOf": [{"$ref": "#/components/schemas/Range"}, {"type": "integer"}]},
                "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
            }}
        });
        let k = kind_at(&doc, "/components/schemas/Created");
        let ValueKind::Alternatives(a) = k else {
            panic!("{k:?}")
        };
        assert_eq!(a.at.as_deref(), Some("/components/schemas/Created"));
        assert_eq!(
            a.kinds,
            vec![
                ValueKind::Object(vec![("gte".into(), ValueKind::Integer)]),
                ValueKind::Integer
            ]
        );
        // A recursive schema ends.
        let _ = kind_at(&doc, "/components/schemas/Node");
    }
}
