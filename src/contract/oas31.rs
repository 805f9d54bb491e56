//! What OpenAPI 3.1 changed outside schemas, evened out so the typed reading
//! (openapiv3, which knows 3.0) accepts every valid 3.1 document. Each change
//! that alters what is served is said in a note.

use serde_json::{json, Map, Value};

use super::typed::METHODS;
use crate::support::pointer;

/// Evens out `raw`, a 3.1 document; the notes say what was changed:
/// - `paths` may be missing (a document of webhooks or components only);
/// - an operation may leave out `responses`: it gets a `default` one (any
///   status, no body described), so it is served (200, no body) and noted;
/// - a `mutualTLS` security scheme (a TLS client certificate, which a plain
///   HTTP mock cannot ask for) is taken as met: it leaves `securitySchemes`
///   and every requirement naming it, so a requirement of it alone asks for
///   nothing, noted once per scheme;
/// - `webhooks` are described requests mimeo would send, not paths it serves:
///   a note says so. (`jsonSchemaDialect`, `info.summary` and
///   `license.identifier` are read past.)
pub(super) fn even_out(raw: &mut Value) -> Vec<String> {
    let mut notes = Vec::new();
    let Value::Object(map) = raw else {
        return notes;
    };
    map.entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(Value::Object(hooks)) = map.get("webhooks") {
        if !hooks.is_empty() {
            notes.push(format!(
                "#/webhooks: {} webhook(s) described ({}); mimeo serves paths, it does not send webhooks",
                hooks.len(),
                hooks.keys().take(5).map(String::as_str).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mutual = mutual_tls_schemes(map, &mut notes);
    if !mutual.is_empty() {
        if let Some(Value::Array(reqs)) = map.get_mut("security") {
            without_schemes(reqs, &mutual);
        }
    }
    // Operations are in `paths` and in `components.pathItems` (which a path
    // may `$ref`).
    if let Some(Value::Object(paths)) = map.get_mut("paths") {
        for (key, item) in paths.iter_mut() {
            let at = format!("/paths/{}", pointer::escape(key));
            operations(item, &at, &mutual, Some(&mut notes));
        }
    }
    let items = map
        .get_mut("components")
        .and_then(|c| c.get_mut("pathItems"))
        .and_then(Value::as_object_mut);
    for (key, item) in items.into_iter().flatten() {
        let at = format!("/components/pathItems/{}", pointer::escape(key));
        operations(item, &at, &mutual, Some(&mut notes));
    }
    notes
}

/// The names of the `mutualTLS` schemes, taken out of `securitySchemes`.
fn mutual_tls_schemes(map: &mut Map<String, Value>, notes: &mut Vec<String>) -> Vec<String> {
    let Some(Value::Object(schemes)) = map
        .get_mut("components")
        .and_then(|c| c.get_mut("securitySchemes"))
    else {
        return Vec::new();
    };
    let names: Vec<String> = schemes
        .iter()
        .filter(|(_, s)| s.get("type").and_then(Value::as_str) == Some("mutualTLS"))
        .map(|(n, _)| n.clone())
        .collect();
    for name in &names {
        schemes.shift_remove(name);
        notes.push(format!(
            "#/components/securitySchemes/{}: a mutualTLS scheme asks for a TLS client certificate, which mimeo (plain HTTP) cannot ask for: requirements naming it are taken as met",
            pointer::escape(name)
        ));
    }
    names
}

/// Takes the schemes named in `mutual` out of each requirement of `reqs`.
fn without_schemes(reqs: &mut [Value], mutual: &[String]) {
    for req in reqs.iter_mut() {
        if let Value::Object(req) = req {
            req.retain(|name, _| !mutual.contains(name));
        }
    }
}

/// Evens out the operations of the path item `item` (at `at`), and of their
/// callbacks (read with them, though not served: no note for those).
fn operations(item: &mut Value, at: &str, mutual: &[String], mut notes: Option<&mut Vec<String>>) {
    let Value::Object(item) = item else { return };
    for (method, op) in item.iter_mut() {
        if !METHODS.contains(&method.as_str()) {
            continue;
        }
        let Value::Object(op) = op else { continue };
        if !op.contains_key("responses") {
            op.insert(
                "responses".into(),
                json!({"default": {"description": "not documented (OpenAPI 3.1 lets an operation leave its responses out)"}}),
            );
            if let Some(notes) = notes.as_deref_mut() {
                notes.push(format!(
                    "#{at}/{method}: documents no responses (OpenAPI 3.1 allows that): answered 200 with no body, any status through Prefer"
                ));
            }
        }
        if !mutual.is_empty() {
            if let Some(Value::Array(reqs)) = op.get_mut("security") {
                without_schemes(reqs, mutual);
            }
        }
        if let Some(Value::Object(callbacks)) = op.get_mut("callbacks") {
            for (name, callback) in callbacks.iter_mut() {
                let Value::Object(items) = callback else {
                    continue;
                };
                for (expression, item) in items.iter_mut() {
                    let at = format!(
                        "{at}/{method}/callbacks/{}/{}",
                        pointer::escape(name),
                        pointer::escape(expression)
                    );
                    operations(item, &at, mutual, None);
                }
            }
        }
    }
}
