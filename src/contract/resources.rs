//! Schema resources of an OpenAPI 3.1 document (JSON Schema 2020-12).
//!
//! A schema that declares `$id` is a resource of its own: a `$ref` inside it
//! (at any depth, up to a nested `$id`) is resolved against the resource's URI,
//! so `#/$defs/Line` there is a member of that schema, not of the document, and
//! `customer` is the resource whose `$id` resolves to the sibling URI. `$anchor`
//! names a place inside its resource (`#address`).
//!
//! Everything else in mimeo (the load check, the generator, the fan-out
//! analysis, the readOnly/writeOnly views, the proxy's walk, the validators)
//! reads a `$ref` as a pointer from the document's root. Rather than teach each
//! of them base URIs, the loader rewrites, once, every schema `$ref` of such a
//! document as the pointer from the root to the place it means, and removes the
//! `$id`s and `$anchor`s, which then name nothing anyone reads: the validator,
//! which honours `$id`, would otherwise resolve the rewritten pointers against
//! them. A document without `$id` or `$anchor` (nearly all; see
//! [`super::refs::declares_ids`]) is not walked here at all.
//!
//! Not rewritten: references outside schemas (OpenAPI Reference Objects, which
//! are read against the document). A document that uses `$dynamicRef` is left
//! as written: its dynamic scope is made of the `$id`s, which the rewrite would
//! remove (the validator resolves it; the load check reads pointers from the
//! root, as before).

use std::collections::HashMap;

use jsonschema::{uri, Uri};
use percent_encoding::{AsciiSet, CONTROLS};
use serde_json::Value;

use super::refs::{member, pointer_of, Ctx, Token};
use crate::diagnostic::Diagnostic;
use crate::support::pointer;

/// The base URI of the document itself, which mimeo does not know (it reads
/// text, not a retrieval URI): a relative `$id` or `$ref` outside every
/// resource is resolved against this. Hierarchical, so that relative
/// references resolve against it at all.
const DOCUMENT_BASE: &str = "mimeo:/openapi";

/// Characters a pointer cannot keep as they are in a URI fragment (RFC 3986):
/// the validator parses a `$ref` as a URI reference.
const NOT_IN_FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Rewrites every schema `$ref` of `doc` as the pointer from the document's
/// root to what it means where it is written, then removes `$id` and `$anchor`
/// from the schemas. A `$ref` that resolves nowhere in the document is an error
/// naming where it is; so is an `$id` that is not a URI reference, or one
/// declared twice for different schemas.
pub(super) fn rebase(file: &str, doc: &mut Value) -> Result<(), Diagnostic> {
    let index = Index::read(doc).map_err(|(at, why)| Diagnostic::at_pointer(file, &at, why))?;
    if index.dynamic {
        return Ok(());
    }
    let mut rewrites = Vec::with_capacity(index.refs.len());
    for r in &index.refs {
        match index.target(doc, r.base, &r.text) {
            Ok(target) => {
                let text: String =
                    percent_encoding::utf8_percent_encode(&target, NOT_IN_FRAGMENT).collect();
                rewrites.push((&r.at, format!("#{text}")));
            }
            Err(why) => {
                return Err(Diagnostic::at_pointer(
                    file,
                    &pointer::join(&r.at, ["$ref"]),
                    format!("$ref `{}` {why}", r.text),
                ))
            }
        }
    }
    for (at, text) in rewrites {
        if let Some(Value::Object(m)) = doc.pointer_mut(at) {
            m.insert("$ref".into(), Value::String(text));
        }
    }
    for at in &index.declared {
        if let Some(Value::Object(m)) = doc.pointer_mut(at) {
            m.shift_remove("$id");
            m.shift_remove("$anchor");
        }
    }
    Ok(())
}

/// Where a schema `$ref` is and what it says.
struct Reference {
    /// The JSON pointer of the schema holding it.
    at: String,
    /// The resource it is written in (an index into [`Index::bases`]).
    base: usize,
    /// Its text.
    text: String,
}

/// The resources and anchors of a document, and the `$ref`s to resolve.
struct Index {
    /// Each resource's URI (no fragment): the document's first.
    bases: Vec<Uri<String>>,
    /// Where each resource is, by its URI.
    resources: HashMap<String, String>,
    /// Where each anchor is, by its resource's URI and its name.
    anchors: HashMap<(String, String), String>,
    /// The schema `$ref`s that may not mean the same pointer from the root:
    /// every one inside a resource, and every one that is not a pointer.
    refs: Vec<Reference>,
    /// The schemas declaring `$id` or `$anchor`.
    declared: Vec<String>,
    /// Whether a schema uses `$dynamicRef` (then nothing is rewritten).
    dynamic: bool,
}

/// Where something wrong is, and what.
type Problem = (String, String);

impl Index {
    /// Walks `doc`'s schemas (as the `$ref` check walks them: examples and
    /// other data are not schemas), noting resources, anchors and references.
    fn read(doc: &Value) -> Result<Index, Problem> {
        let document = Uri::parse(DOCUMENT_BASE.to_string()).expect("a URI");
        let mut index = Index {
            resources: HashMap::from([(document.as_str().to_string(), String::new())]),
            bases: vec![document],
            anchors: HashMap::new(),
            refs: Vec::new(),
            declared: Vec::new(),
            dynamic: false,
        };
        let mut todo: Vec<(&Value, usize, Token, Ctx, usize)> =
            vec![(doc, 0, Token::Key(""), Ctx::Document, 0)];
        let mut path: Vec<Token> = Vec::new();
        while let Some((v, depth, token, ctx, mut base)) = todo.pop() {
            path.truncate(depth.saturating_sub(1));
            if depth > 0 {
                path.push(token);
            }
            match v {
                Value::Object(map) => {
                    if ctx == Ctx::Schema {
                        index.dynamic |= map.contains_key("$dynamicRef");
                        base = index.schema(doc, map, base, &path)?;
                    }
                    let parent_is_components =
                        depth == 1 && matches!(token, Token::Key("components"));
                    for (k, child) in map {
                        let Some(next) = member(ctx, k, parent_is_components) else {
                            continue;
                        };
                        if child.is_object() || child.is_array() {
                            todo.push((child, depth + 1, Token::Key(k), next, base));
                        }
                    }
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if item.is_object() || item.is_array() {
                            todo.push((item, depth + 1, Token::Index(i), ctx, base));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(index)
    }

    /// Notes what the schema `map` (at `path`, inside resource `base`)
    /// declares and references; the resource its members are in.
    fn schema(
        &mut self,
        doc: &Value,
        map: &serde_json::Map<String, Value>,
        mut base: usize,
        path: &[Token<'_>],
    ) -> Result<usize, Problem> {
        let id = map.get("$id").and_then(Value::as_str);
        let anchor = map.get("$anchor").and_then(Value::as_str);
        let dynamic = map.get("$dynamicAnchor").and_then(Value::as_str);
        let reference = map.get("$ref").and_then(Value::as_str);
        let is_pointer = |r: &str| r == "#" || r.starts_with("#/");
        if id.is_none()
            && anchor.is_none()
            && dynamic.is_none()
            && reference.is_none_or(|r| base == 0 && is_pointer(r))
        {
            return Ok(base);
        }
        let at = pointer_of(path);
        if id.is_some() || anchor.is_some() {
            self.declared.push(at.clone());
        }
        // An `$id` of only a fragment is a draft 6 anchor, not a resource.
        if let Some(id) = id.filter(|id| !id.starts_with('#')) {
            let written = id.split('#').next().unwrap_or(id);
            let uri = uri::resolve_against(&self.bases[base].borrow(), written).map_err(|e| {
                (
                    pointer::join(&at, ["$id"]),
                    format!("`$id` `{id}` is not a URI reference: {e}"),
                )
            })?;
            if let Some(other) = self.resources.get(uri.as_str()) {
                if !same(doc, other, map) {
                    return Err((
                        pointer::join(&at, ["$id"]),
                        format!(
                            "`$id` `{id}` names another schema too (#{other}); a reference to it would be ambiguous"
                        ),
                    ));
                }
            } else {
                self.resources.insert(uri.as_str().to_string(), at.clone());
            }
            self.bases.push(uri);
            base = self.bases.len() - 1;
        }
        // `$dynamicAnchor` is also a plain anchor for `$ref`.
        for name in [anchor, dynamic].into_iter().flatten() {
            let key = (self.bases[base].as_str().to_string(), name.to_string());
            match self.anchors.get(&key) {
                Some(other) if !same(doc, other, map) => {
                    return Err((
                        at,
                        format!(
                            "anchor `{name}` is declared twice in one resource (also at #{other})"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    self.anchors.insert(key, at.clone());
                }
            }
        }
        if let Some(r) = reference.filter(|r| base != 0 || !is_pointer(r)) {
            self.refs.push(Reference {
                at,
                base,
                text: r.to_string(),
            });
        }
        Ok(base)
    }

    /// The pointer from the document's root to what `reference`, written in
    /// resource `base`, means; or why it means nothing in the document.
    fn target(&self, doc: &Value, base: usize, reference: &str) -> Result<String, String> {
        let (written, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let uri = if written.is_empty() {
            self.bases[base].clone()
        } else {
            uri::resolve_against(&self.bases[base].borrow(), written)
                .map_err(|e| format!("is not a URI reference: {e}"))?
        };
        let Some(resource) = self.resources.get(uri.as_str()) else {
            // Relative to the document, whose own URI nobody knows.
            if uri.as_str().starts_with("mimeo:") {
                return Err("points outside the document; mimeo reads one self-contained document and fetches nothing (bundle it first)".into());
            }
            return Err(format!(
                "points at `{}`, which no `$id` in the document declares; mimeo reads one self-contained document and fetches nothing (bundle it first)",
                uri.as_str()
            ));
        };
        let inside = || {
            if resource.is_empty() {
                "the document".to_string()
            } else {
                format!("the schema resource `{}` (#{resource})", uri.as_str())
            }
        };
        if fragment.is_empty() {
            return Ok(resource.clone());
        }
        let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8();
        if fragment.starts_with('/') {
            let raw = format!("{resource}{fragment}");
            if pointer::get(doc, &raw).is_some() {
                return Ok(raw);
            }
            if let Ok(decoded) = decoded {
                let decoded = format!("{resource}{decoded}");
                if pointer::get(doc, &decoded).is_some() {
                    return Ok(decoded);
                }
            }
            return Err(format!(
                "points at nothing (no `#{fragment}` in {})",
                inside()
            ));
        }
        let name = decoded.map_or_else(|_| fragment.to_string(), |d| d.into_owned());
        self.anchors
            .get(&(uri.as_str().to_string(), name))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "names an anchor `{fragment}`, which no `$anchor` in {} declares",
                    inside()
                )
            })
    }
}

/// Whether the schema at `other` is `map` (declared twice, as a bundler that
/// inlines one file in two places declares it, is no ambiguity).
fn same(doc: &Value, other: &str, map: &serde_json::Map<String, Value>) -> bool {
    pointer::fragment(doc, other).and_then(Value::as_object) == Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rebased(mut doc: Value) -> Result<Value, String> {
        rebase("t.yaml", &mut doc).map_err(|e| e.to_string())?;
        Ok(doc)
    }

    #[test]
    fn refs_are_read_against_their_resource() {
        let doc = json!({
            "$defs": {"Line": {"type": "integer"}},
            "components": {"schemas": {
                "Order": {
                    "$id": "https://example.com/schemas/order",
                    "properties": {
                        "line": {"$ref": "#/$defs/Line"},
                        "whole": {"$ref": "#"},
                        "customer": {"$ref": "customer#/$defs/Name"},
                        "ship": {"$ref": "#address"},
                        "item": {"$ref": "https://example.com/schemas/order#/$defs/Item"},
                        "root": {"$ref": "#/$defs/Item/properties/sku"},
                        // A property's name is a name, whatever it looks like.
                        "x-trace": {"$ref": "#/$defs/Line"}
                    },
                    "$defs": {
                        "Line": {"type": "object"},
                        "Address": {"$anchor": "address", "type": "object"},
                        "Item": {
                            "$id": "item",
                            "properties": {"sku": {"$ref": "#/$defs/Sku"}},
                            "$defs": {"Sku": {"type": "string"}}
                        }
                    }
                },
                "Customer": {
                    "$id": "https://example.com/schemas/customer",
                    "$defs": {"Name": {"type": "string"}}
                },
                "Plain": {"$ref": "https://example.com/schemas/order"},
                "Far": {"$ref": "#/$defs/Line"}
            }}
        });
        let out = rebased(doc).unwrap();
        let order = &out["components"]["schemas"]["Order"];
        let refs = |p: &str| order["properties"][p]["$ref"].as_str().unwrap().to_string();
        assert_eq!(refs("line"), "#/components/schemas/Order/$defs/Line");
        assert_eq!(refs("x-trace"), "#/components/schemas/Order/$defs/Line");
        assert_eq!(refs("whole"), "#/components/schemas/Order");
        assert_eq!(refs("customer"), "#/components/schemas/Customer/$defs/Name");
        assert_eq!(refs("ship"), "#/components/schemas/Order/$defs/Address");
        assert_eq!(refs("item"), "#/components/schemas/Order/$defs/Item");
        // A pointer into a nested resource walks through it.
        assert_eq!(
            refs("root"),
            "#/components/schemas/Order/$defs/Item/properties/sku"
        );
        // Inside the nested resource, its own members (`item` resolves against
        // the order's URI).
        assert_eq!(
            order["$defs"]["Item"]["properties"]["sku"]["$ref"],
            "#/components/schemas/Order/$defs/Item/$defs/Sku"
        );
        // Outside every resource: by URI, or a pointer as before.
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["Plain"]["$ref"], "#/components/schemas/Order");
        assert_eq!(schemas["Far"]["$ref"], "#/$defs/Line");
        // The declarations are gone.
        assert!(order.get("$id").is_none());
        assert!(order["$defs"]["Address"].get("$anchor").is_none());
        assert!(order["$defs"]["Item"].get("$id").is_none());
    }

    #[test]
    fn what_resolves_nowhere_is_named() {
        let doc = |r: &str| {
            json!({"$defs": {"Gone": {}}, "components": {"schemas": {"S": {
                "$id": "https://example.com/s",
                "properties": {"a": {"items": {"$ref": r}}},
                "$defs": {"Here": {"$anchor": "here"}}}}}})
        };
        for (r, why) in [
            ("#/$defs/Gone", "points at nothing (no `#/$defs/Gone` in the schema resource `https://example.com/s` (#/components/schemas/S))"),
            ("#gone", "names an anchor `gone`"),
            ("other", "points at `https://example.com/other`, which no `$id` in the document declares"),
            ("other#here", "points at `https://example.com/other`"),
        ] {
            let e = rebased(doc(r)).unwrap_err();
            assert!(
                e.contains("/components/schemas/S/properties/a/items/$ref"),
                "{e}"
            );
            assert!(e.contains(&format!("$ref `{r}` {why}")), "{e}");
        }
        // Relative, outside every resource: outside the document.
        let e = rebased(json!({"components": {"schemas": {
            "S": {"$ref": "other.yaml"}, "T": {"$anchor": "t"}}}}))
        .unwrap_err();
        assert!(e.contains("points outside the document"), "{e}");
        // Two different schemas under one `$id`.
        let e = rebased(json!({"components": {"schemas": {
            "A": {"$id": "https://example.com/x", "type": "string"},
            "B": {"$id": "https://example.com/x", "type": "integer"}}}}))
        .unwrap_err();
        assert!(e.contains("names another schema too"), "{e}");
    }

    #[test]
    fn a_document_using_dynamic_refs_is_left_as_written() {
        // Its `$id`s make the dynamic scope: removing them would break it.
        let doc = json!({"components": {"schemas": {
            "Tree": {"$id": "https://example.com/tree", "$dynamicAnchor": "node",
                "properties": {"kids": {"items": {"$dynamicRef": "#node"}},
                    "first": {"$ref": "#/properties/kids"}}}}}});
        assert_eq!(rebased(doc.clone()).unwrap(), doc);
    }

    #[test]
    fn data_and_odd_names_are_left_alone() {
        let out = rebased(json!({"components": {"schemas": {"S": {
            "$id": "https://example.com/s",
            "example": {"$id": "data", "$ref": "#/nothing"},
            "enum": [{"$ref": "#/nothing"}],
            "properties": {"a b{c}": {"type": "string"}, "x": {"$ref": "#/properties/a%20b%7Bc%7D"}}}}}}))
        .unwrap();
        let s = &out["components"]["schemas"]["S"];
        assert_eq!(s["example"], json!({"$id": "data", "$ref": "#/nothing"}));
        assert_eq!(s["enum"], json!([{"$ref": "#/nothing"}]));
        assert_eq!(
            s["properties"]["x"]["$ref"],
            "#/components/schemas/S/properties/a%20b%7Bc%7D"
        );
    }
}
