//! OpenAPI's `discriminator`, which JSON Schema does not know. In a `oneOf` (or
//! `anyOf`) under a discriminator, the payload's property `propertyName` names
//! the branch that applies (by `mapping`, else by the schema's component name).
//! Read as plain JSON Schema, a payload valid under two permissive branches (a
//! Cat that is also a valid Dog) failed `oneOf`, so a valid request was a 400
//! and the mock could not make the answer.
//!
//! Each branch is made to refuse a payload that names *another* branch:
//! `{allOf: [branch, {not: {type: object, required: [P], properties: {P:
//! {enum: others}}}}]}` (draft 4 has no `if`/`then`; a payload that is not an
//! object, GitHub's directory listing among its contents, names nothing). Stated negatively, it needs nothing from the
//! document: a
//! branch that pins the property itself (`pet_type: {enum: [cat]}`, without a
//! mapping) keeps working, a payload without the property is judged as the
//! composition is written, and no `$ref` is copied (a recursive polymorphic
//! schema costs one small check more per branch, not twice as much per level).

use serde_json::{json, Map, Value};

/// Marks a branch as wrapped, holding the branch as written (for the
/// generator, which names the branch it builds by its `$ref`).
const WRAPPED: &str = "x-mimeo-discriminated";

/// Rewrites the `oneOf`/`anyOf` of a schema that has a discriminator.
pub(super) fn rewrite(map: &mut Map<String, Value>) {
    let Some(discriminator) = map.get("discriminator").and_then(Value::as_object) else {
        return;
    };
    let Some(prop) = discriminator.get("propertyName").and_then(Value::as_str) else {
        return;
    };
    let prop = prop.to_string();
    let discriminator = discriminator.clone();
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = map.get_mut(key) else {
            continue;
        };
        if branches.iter().any(|b| b.get(WRAPPED).is_some()) {
            continue;
        }
        let names: Vec<Vec<String>> = branches
            .iter()
            .map(|b| match b.get("$ref").and_then(Value::as_str) {
                Some(r) => names(&discriminator, r),
                None => Vec::new(),
            })
            .collect();
        for (i, branch) in branches.iter_mut().enumerate() {
            // A branch that cannot be an object (`{type: 'null'}` beside the
            // `$ref`s) is named by nothing; it stays as written, so the
            // generator still sees it for what it is.
            if cannot_be_object(branch) {
                continue;
            }
            let mut others: Vec<&String> = names
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, n)| n)
                .filter(|n| !names[i].contains(n))
                .collect();
            others.sort();
            others.dedup();
            if others.is_empty() {
                continue;
            }
            let written = std::mem::take(branch);
            let reference = written.get("$ref").cloned().unwrap_or(Value::Null);
            *branch = json!({
                "allOf": [written, {"not": {
                    "type": "object",
                    "required": [prop.as_str()],
                    "properties": {prop.as_str(): {"enum": others}},
                }}],
                WRAPPED: reference,
            });
        }
    }
}

/// Whether an inline schema's `type` leaves out `object`.
fn cannot_be_object(branch: &Value) -> bool {
    match branch.get("type") {
        Some(Value::String(t)) => t != "object",
        Some(Value::Array(ts)) => !ts.iter().any(|t| t == "object"),
        _ => false,
    }
}

/// The `$ref` of a branch as written, wrapped by [`rewrite`] or not.
pub(crate) fn branch_ref(branch: &Value) -> Option<&str> {
    branch
        .get(WRAPPED)
        .or_else(|| branch.get("$ref"))
        .and_then(Value::as_str)
}

/// The values of the discriminator's property that name the schema at
/// `reference`: the `mapping` keys pointing at it (by reference, by name, or
/// by a reference ending in its name), then its own name. The first is the
/// one a generated payload carries.
pub(crate) fn names(discriminator: &Map<String, Value>, reference: &str) -> Vec<String> {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    // The name as written, or percent-decoded (a rewritten 3.1 `$ref`).
    let name = crate::support::pointer::ref_names(last)
        .last()
        .map_or_else(String::new, |n| n.into_owned());
    let mut out: Vec<String> = Vec::new();
    if let Some(Value::Object(mapping)) = discriminator.get("mapping") {
        let suffix = format!("/{last}");
        for (key, target) in mapping {
            let Some(t) = target.as_str() else { continue };
            if t == reference || t == name || t.ends_with(&suffix) {
                out.push(key.clone());
            }
        }
    }
    if !name.is_empty() && !out.contains(&name) {
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_branch_refuses_the_names_of_the_others() {
        let mut s = json!({
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"},
                      {"type": "object"}],
            "discriminator": {"propertyName": "pet_type", "mapping": {"doggo": "Dog"}}
        });
        rewrite(s.as_object_mut().unwrap());
        let not = |names: Value| {
            json!({"not": {"type": "object", "required": ["pet_type"],
                           "properties": {"pet_type": {"enum": names}}}})
        };
        assert_eq!(
            s["oneOf"][0],
            json!({"allOf": [{"$ref": "#/components/schemas/Cat"}, not(json!(["Dog", "doggo"]))],
                   WRAPPED: "#/components/schemas/Cat"})
        );
        assert_eq!(s["oneOf"][1]["allOf"][1], not(json!(["Cat"])));
        assert_eq!(
            s["oneOf"][2]["allOf"][1],
            not(json!(["Cat", "Dog", "doggo"]))
        );
        assert_eq!(branch_ref(&s["oneOf"][1]), Some("#/components/schemas/Dog"));
        assert_eq!(branch_ref(&s["oneOf"][2]), None);
        // A branch that cannot be an object stays as written.
        let mut n = json!({"oneOf": [{"$ref": "#/a/B"}, {"type": "null"}],
                           "discriminator": {"propertyName": "k"}});
        rewrite(n.as_object_mut().unwrap());
        assert_eq!(n["oneOf"][1], json!({"type": "null"}));
        // Once only.
        let before = s.clone();
        rewrite(s.as_object_mut().unwrap());
        assert_eq!(s, before);
        // Without a discriminator, nothing changes.
        let mut s = json!({"oneOf": [{"$ref": "#/a/B"}, {"$ref": "#/a/C"}]});
        let before = s.clone();
        rewrite(s.as_object_mut().unwrap());
        assert_eq!(s, before);
    }
}
