//! Every `$ref` of a document resolves, checked once before anything is read.
//!
//! A `$ref` that points at nothing used to become a warning and a body nobody
//! validated; a contract that silently checks less than it says is worse than
//! one that does not load. So one pass over the whole document (paths, webhooks,
//! components, schemas at any depth) finds each `$ref` and looks its target up;
//! the first that does not resolve is an error naming where the `$ref` is and
//! what it points at. Values that are data, not description (`example`,
//! `examples` values, `enum`, `const`, `default`, extensions), are skipped: an
//! example may well contain a member named `$ref`.

use std::collections::HashSet;

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::support::pointer;

/// Checks every `$ref` of `doc`. A 3.1 document whose schemas declare `$id`s
/// or `$anchor`s has had its schema `$ref`s rewritten as pointers from the
/// document's root first ([`super::resources`]), so here every `$ref` is read
/// against the document.
pub(super) fn check(file: &str, doc: &Value) -> Result<(), Diagnostic> {
    // An explicit stack (documents can nest deeper than the call stack should)
    // of (value, its depth, its key, what it is); the path to the value being
    // looked at is kept as keys, and made a pointer only for an error: a large
    // document has millions of values.
    let mut todo: Vec<(&Value, usize, Token, Ctx)> = vec![(doc, 0, Token::Key(""), Ctx::Document)];
    let mut path: Vec<Token> = Vec::new();
    // The `$ref`s already found to resolve: a large description names the same
    // few components thousands of times (GitHub's: 13,000 `$ref`s, 1,800
    // different), and each lookup walks from the root.
    let mut resolved: HashSet<&str, foldhash::fast::FixedState> = HashSet::default();
    while let Some((v, depth, token, ctx)) = todo.pop() {
        path.truncate(depth.saturating_sub(1));
        if depth > 0 {
            path.push(token);
        }
        match v {
            Value::Object(map) => {
                // A path item's own `$ref` (a path's, or one of 3.1's
                // `components.pathItems`) is the loader's to follow: one within
                // the document is served from where it leads (what is there is
                // checked here), another file's path is reported as not served.
                let path_item = matches!(
                    path.as_slice(),
                    [Token::Key("paths" | "webhooks"), _]
                        | [Token::Key("components"), Token::Key("pathItems"), _]
                );
                if let Some(Value::String(r)) = map.get("$ref").filter(|_| !path_item) {
                    // Every pointer is read from the document's root, wherever
                    // it is: an answer found once holds.
                    let is_pointer = r.starts_with("#/") || r == "#";
                    if is_pointer && resolved.contains(r.as_str()) {
                        // Checked already.
                    } else if let Some(why) = unresolved(doc, r) {
                        return Err(Diagnostic::at_pointer(
                            file,
                            &pointer::join(&pointer_of(&path), ["$ref"]),
                            format!("$ref `{r}` {why}"),
                        ));
                    } else if is_pointer {
                        resolved.insert(r);
                    }
                }
                let parent_is_components = depth == 1 && matches!(token, Token::Key("components"));
                for (k, child) in map {
                    let Some(next) = member(ctx, k, parent_is_components) else {
                        continue;
                    };
                    if child.is_object() || child.is_array() {
                        todo.push((child, depth + 1, Token::Key(k), next));
                    }
                }
            }
            Value::Array(items) => {
                // Lists in a schema (`allOf`, tuple `items`) hold schemas; lists
                // elsewhere (`parameters`, `security`) hold objects of their own.
                for (i, item) in items.iter().enumerate() {
                    if item.is_object() || item.is_array() {
                        todo.push((item, depth + 1, Token::Index(i), ctx));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// What the member `key` of an object walked as `ctx` is, or `None` when it is
/// data (an example, an `enum`, an extension) or the `$ref` itself, which is
/// not walked. `parent_is_components` says the object is the root's `components`.
#[inline]
pub(super) fn member(ctx: Ctx, key: &str, parent_is_components: bool) -> Option<Ctx> {
    // Names: whatever they are called (`x-trace`, `$ref` too), what they name.
    match ctx {
        Ctx::SchemaMap => return Some(Ctx::Schema),
        Ctx::Examples => return Some(Ctx::Example),
        _ => {}
    }
    if key.starts_with("x-") || key == "$ref" {
        return None;
    }
    Some(match (ctx, key) {
        (_, "example") => return None,
        (Ctx::Schema, "enum" | "const" | "default" | "examples") => return None,
        // Named Example objects: their `value` is data.
        (Ctx::Document, "examples") => Ctx::Examples,
        (Ctx::Example, "value") => return None,
        (
            Ctx::Schema,
            "properties" | "patternProperties" | "definitions" | "$defs" | "dependentSchemas"
            | "dependencies",
        ) => Ctx::SchemaMap,
        (Ctx::Schema, _) => Ctx::Schema,
        (Ctx::Document, "schema") => Ctx::Schema,
        (Ctx::Document, "schemas") if parent_is_components => Ctx::SchemaMap,
        _ => Ctx::Document,
    })
}

/// The JSON pointer made of these steps.
pub(super) fn pointer_of(path: &[Token<'_>]) -> String {
    let mut at = String::new();
    for t in path {
        match t {
            Token::Key(k) => pointer::push(&mut at, k),
            Token::Index(i) => at.push_str(&format!("/{i}")),
        }
    }
    at
}

/// One step of the path to a value.
#[derive(Clone, Copy)]
pub(super) enum Token<'a> {
    Key(&'a str),
    Index(usize),
}

/// What the value being walked is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ctx {
    /// Part of the OpenAPI description outside schemas.
    Document,
    /// A schema: `enum`, `const`, `default` and `examples` are data.
    Schema,
    /// A map from names to schemas (`properties`, `components/schemas`, ...).
    SchemaMap,
    /// A map from names to Example objects.
    Examples,
    /// One Example object: `value` is data.
    Example,
}

/// Why `reference` does not resolve, or `None` when it does.
fn unresolved(doc: &Value, reference: &str) -> Option<String> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Some(
            "points outside the document; mimeo reads one self-contained document and fetches nothing (bundle it first)".into(),
        );
    };
    if !fragment.is_empty() && !fragment.starts_with('/') {
        // A 2020-12 `$anchor` (there is none here, or the reference would
        // have been rewritten as a pointer).
        return Some(format!(
            "names an anchor `{fragment}`, which no `$anchor` here declares"
        ));
    }
    if pointer::fragment(doc, fragment).is_some() {
        return None;
    }
    Some(format!(
        "points at nothing (no `#{fragment}` in the document)"
    ))
}

/// Whether any object of the document declares `$id`, `$anchor` or
/// `$dynamicAnchor` (then a schema's `$ref` may mean something else than the
/// same text at the document's root; see [`super::resources`]).
pub(super) fn declares_ids(doc: &Value) -> bool {
    let mut todo = vec![doc];
    while let Some(v) = todo.pop() {
        match v {
            Value::Object(m) => {
                if m.contains_key("$anchor")
                    || m.contains_key("$id")
                    || m.contains_key("$dynamicAnchor")
                {
                    return true;
                }
                todo.extend(m.values());
            }
            Value::Array(a) => todo.extend(a.iter()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(doc: Value) -> String {
        check("t.yaml", &doc)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn dangling_refs_anywhere_are_errors_with_pointer_and_target() {
        let ok = json!({"paths": {"/a": {"get": {"responses": {"default": {"$ref": "#/components/responses/E"}}}}},
            "components": {"responses": {"E": {"description": "e", "content": {"application/json": {
                "schema": {"properties": {"default": {"$ref": "#/components/schemas/S"}, "enum": {"enum": [{"$ref": "#/nope"}]}}},
                "examples": {"a": {"value": {"$ref": "#/data"}}}}}}},
                "schemas": {"S": {"type": "string", "example": {"$ref": "#/x"}}}}});
        assert_eq!(err(ok), "");
        let e = err(
            json!({"components": {"schemas": {"S": {"properties": {"p": {"items": {"$ref": "#/components/schemas/T"}}}}}}}),
        );
        assert!(
            e.contains("/components/schemas/S/properties/p/items/$ref"),
            "{e}"
        );
        assert!(e.contains("#/components/schemas/T"), "{e}");
        let e = err(
            json!({"paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/P"}]}}}}),
        );
        assert!(e.contains("/paths/~1a/get/parameters/0/$ref"), "{e}");
        let e = err(
            json!({"paths": {"/a": {"get": {"responses": {"200": {"content": {"a/b": {"examples": {"x": {"$ref": "#/components/examples/X"}}}}}}}}}}),
        );
        assert!(e.contains("examples/x/$ref"), "{e}");
        let e =
            err(json!({"webhooks": {"w": {"post": {"requestBody": {"$ref": "other.yaml#/B"}}}}}));
        assert!(e.contains("outside the document"), "{e}");
        // Percent-encoded pointers resolve.
        assert_eq!(
            err(json!({"a": {"b c": 1}, "r": {"$ref": "#/a/b%20c"}})),
            ""
        );
    }
}
