//! `readOnly` and `writeOnly`, as Prism reads them: a request is judged by its
//! schema without the `readOnly` properties (so a required one need not be
//! sent, and one that is sent is an unknown property, refused only where the
//! schema refuses unknown properties), and a response without the `writeOnly`
//! ones (so a required one is not required, and none is ever generated).
//!
//! Done once at load, by rewriting the converted document: each component
//! schema that has such a property, or reaches one through `$ref`s, gets a
//! copy without it under `#/components/x-mimeo-views/{request,response}/`, and
//! request-body and response schemas are stripped in place, their `$ref`s
//! pointed at those copies. Validators and the generator then see one schema
//! per direction, and a document without either keyword is left as it was.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::support::pointer;

const COMPONENTS: &str = "#/components/schemas/";
const VIEWS: &str = "x-mimeo-views";

#[derive(Clone, Copy)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    /// The keyword whose properties this direction leaves out.
    fn keyword(self) -> &'static str {
        match self {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// Adds the request and response views to a converted document, where its
/// text says a keyword may be ([`Keywords`]). A direction whose keyword is
/// nowhere in the document (not even as a key of an example) has nothing to
/// strip and no view to make: it is not looked for schema by schema.
pub(super) fn add_views(doc: &mut Value, keywords: Keywords) {
    let found = keywords.present(doc);
    if found == [false; 2] {
        return;
    }
    // Which components each component names: the same for both directions
    // (neither rewrites `#/components/schemas`), and a walk of every schema.
    let refs: Vec<(String, HashSet<String>)> = match doc.pointer("/components/schemas") {
        Some(Value::Object(components)) => components
            .iter()
            .map(|(n, s)| {
                let mut r = HashSet::new();
                refs_of(s, &mut r);
                (n.clone(), r)
            })
            .collect(),
        _ => Vec::new(),
    };
    for (dir, present) in [Direction::Request, Direction::Response]
        .into_iter()
        .zip(found)
    {
        if present {
            add(doc, dir, &refs);
        }
    }
}

/// Whether `readOnly` and `writeOnly` may be keys of the document, read from
/// its text as written, so the text can be dropped right after it is parsed
/// (GitHub's is 13 MB, held through the whole load for this only). A keyword
/// absent from the text is no key unless an escape spells it (JSON's `\u`; in
/// YAML any backslash, which also joins lines): only then is the document
/// walked. The walk was a tenth of loading GitHub's description, which has no
/// `writeOnly` at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Keywords {
    /// An escape may spell a keyword: the parsed document is walked.
    Walk,
    /// Whether `readOnly` (`[0]`) and `writeOnly` (`[1]`) are in the text.
    Found([bool; 2]),
}

impl Keywords {
    /// Reads `written`, a document's text.
    pub(super) fn read(written: &str) -> Keywords {
        let escapes = if super::source::is_json(written) {
            memchr::memmem::find(written.as_bytes(), b"\\u").is_some()
        } else {
            memchr::memchr(b'\\', written.as_bytes()).is_some()
        };
        if escapes {
            return Keywords::Walk;
        }
        Keywords::Found(
            [Direction::Request, Direction::Response].map(|d| {
                memchr::memmem::find(written.as_bytes(), d.keyword().as_bytes()).is_some()
            }),
        )
    }

    /// Whether `readOnly` (`[0]`) and `writeOnly` (`[1]`) may be a key of an
    /// object of `doc`, the document read.
    fn present(self, doc: &Value) -> [bool; 2] {
        match self {
            Keywords::Found(found) => found,
            Keywords::Walk => {
                let mut found = [false; 2];
                keys_present(doc, &mut found);
                found
            }
        }
    }
}

/// Whether `readOnly` (`found[0]`) and `writeOnly` (`found[1]`) are a key of
/// any object of `v`.
fn keys_present(v: &Value, found: &mut [bool; 2]) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match k.as_str() {
                    "readOnly" => found[0] = true,
                    "writeOnly" => found[1] = true,
                    _ => {}
                }
                keys_present(v, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys_present(i, found)),
        _ => {}
    }
}

struct Cx<'a> {
    dir: Direction,
    /// The component schemas as written.
    components: &'a Map<String, Value>,
    /// The components that have a view in this direction.
    tainted: &'a HashSet<String>,
}

fn add(doc: &mut Value, dir: Direction, refs: &[(String, HashSet<String>)]) {
    let empty = Map::new();
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let tainted = tainted(components, dir.keyword(), refs);
    let cx = Cx {
        dir,
        components,
        tainted: &tainted,
    };
    let views: Map<String, Value> = tainted
        .iter()
        .map(|name| {
            let mut copy = components[name].clone();
            strip(&mut copy, &cx);
            (name.clone(), copy)
        })
        .collect();
    let mut positions = Vec::new();
    collect_positions(doc, dir, &mut positions);
    let mut stripped = Vec::new();
    for at in positions {
        if let Some(s) = pointer::get(doc, &at) {
            let mut s = s.clone();
            if strip(&mut s, &cx) {
                stripped.push((at, s));
            }
        }
    }
    for (at, s) in stripped {
        if let Some(slot) = doc.pointer_mut(&at) {
            *slot = s;
        }
    }
    if !views.is_empty() {
        if let Some(Value::Object(c)) = doc.get_mut("components") {
            let all = c.entry(VIEWS).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(all) = all {
                all.insert(dir.name().into(), Value::Object(views));
            }
        }
    }
}

/// The components that have a marked property, or reach one through `$ref`s.
fn tainted(
    components: &Map<String, Value>,
    keyword: &str,
    refs: &[(String, HashSet<String>)],
) -> HashSet<String> {
    let mut out: HashSet<String> = components
        .iter()
        .filter(|(_, s)| marks(s, keyword, components))
        .map(|(n, _)| n.clone())
        .collect();
    loop {
        let before = out.len();
        for (n, r) in refs {
            if !out.contains(n) && r.iter().any(|x| out.contains(x)) {
                out.insert(n.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Whether a schema (not following `$ref`s, but for a property's own) has a
/// property marked with `keyword`.
fn marks(s: &Value, keyword: &str, components: &Map<String, Value>) -> bool {
    match s {
        Value::Object(map) => map.iter().any(|(k, v)| match (k.as_str(), v) {
            ("properties", Value::Object(props)) => props
                .values()
                .any(|p| marked(p, keyword, components) || marks(p, keyword, components)),
            ("enum" | "example" | "default", _) => false,
            (_, v) => marks(v, keyword, components),
        }),
        Value::Array(items) => items.iter().any(|i| marks(i, keyword, components)),
        _ => false,
    }
}

/// The component schema a `$ref` names (`#/components/schemas/NAME`, the name
/// as written or percent-decoded), and its name as a key of `components`.
fn component<'c>(r: &str, components: &'c Map<String, Value>) -> Option<(&'c String, &'c Value)> {
    let n = r.strip_prefix(COMPONENTS)?;
    pointer::ref_names(n).find_map(|n| components.get_key_value(n.as_ref()))
}

/// Whether a property's schema is itself marked (directly, or the component its
/// `$ref` names is).
fn marked(p: &Value, keyword: &str, components: &Map<String, Value>) -> bool {
    if p.get(keyword) == Some(&Value::Bool(true)) {
        return true;
    }
    p.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| component(r, components))
        .is_some_and(|(_, c)| c.get(keyword) == Some(&Value::Bool(true)))
}

fn refs_of(s: &Value, out: &mut HashSet<String>) {
    match s {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(n) = r.strip_prefix(COMPONENTS) {
                            // Every name it may mean: one that is no
                            // component is never looked up.
                            let n = n.split('/').next().unwrap_or(n);
                            out.extend(pointer::ref_names(n).map(Cow::into_owned));
                        }
                    }
                    ("enum" | "example" | "default", _) => {}
                    (_, v) => refs_of(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs_of(i, out)),
        _ => {}
    }
}

/// Removes marked properties (and their names from `required`) and points
/// `$ref`s at the views; `true` when anything changed.
fn strip(s: &mut Value, cx: &Cx<'_>) -> bool {
    let keyword = cx.dir.keyword();
    let Value::Object(map) = s else {
        return false;
    };
    if let Some(Value::String(r)) = map.get_mut("$ref") {
        let Some((name, _)) = component(r, cx.components) else {
            return false;
        };
        if !cx.tainted.contains(name) {
            return false;
        }
        // The name as the `$ref` wrote it (percent-encoded or not): the
        // validator reads it as a URI reference.
        let written = &r[COMPONENTS.len()..];
        *r = format!("#/components/{VIEWS}/{}/{written}", cx.dir.name());
        return true;
    }
    let mut changed = false;
    // Names marked here or in an allOf branch (whose `required` may name them).
    let mut names: Vec<String> = Vec::new();
    if let Some(Value::Object(props)) = map.get("properties") {
        names.extend(
            props
                .iter()
                .filter(|(_, p)| marked(p, keyword, cx.components))
                .map(|(n, _)| n.clone()),
        );
    }
    if let Some(Value::Array(branches)) = map.get("allOf") {
        for b in branches {
            let b = b
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| component(r, cx.components))
                .map_or(b, |(_, c)| c);
            if let Some(Value::Object(props)) = b.get("properties") {
                names.extend(
                    props
                        .iter()
                        .filter(|(_, p)| marked(p, keyword, cx.components))
                        .map(|(n, _)| n.clone()),
                );
            }
        }
        if !names.is_empty() {
            if let Some(Value::Array(branches)) = map.get_mut("allOf") {
                for b in branches.iter_mut() {
                    changed |= unrequire(b, &names);
                }
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        let before = props.len();
        props.retain(|n, _| !names.contains(n));
        changed |= props.len() != before;
        for p in props.values_mut() {
            changed |= strip(p, cx);
        }
    }
    changed |= unrequire(s, &names);
    let Value::Object(map) = s else {
        return changed;
    };
    for (k, v) in map.iter_mut() {
        match (k.as_str(), v) {
            ("items" | "additionalProperties" | "not", v @ Value::Object(_)) => {
                changed |= strip(v, cx)
            }
            ("items" | "allOf" | "oneOf" | "anyOf", Value::Array(items)) => {
                for i in items {
                    changed |= strip(i, cx);
                }
            }
            _ => {}
        }
    }
    changed
}

/// Takes `names` out of a schema's `required`.
fn unrequire(s: &mut Value, names: &[String]) -> bool {
    let Some(Value::Array(required)) = s.get_mut("required") else {
        return false;
    };
    let before = required.len();
    required.retain(|r| !r.as_str().is_some_and(|r| names.iter().any(|n| n == r)));
    let changed = required.len() != before;
    if required.is_empty() {
        if let Value::Object(map) = s {
            map.remove("required"); // Draft 4 wants at least one name.
        }
    }
    changed
}

/// The JSON pointers of the schemas a direction judges: request bodies, or
/// response bodies and headers (inline and in components).
fn collect_positions(doc: &Value, dir: Direction, out: &mut Vec<String>) {
    let each = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let contents = |at: &str, out: &mut Vec<String>| {
        for mt in each(pointer::get(doc, &format!("{at}/content"))) {
            out.push(pointer::join(at, ["content", &mt, "schema"]));
        }
    };
    let responses = |at: &str, out: &mut Vec<String>| {
        contents(at, out);
        for h in each(pointer::get(doc, &format!("{at}/headers"))) {
            out.push(pointer::join(at, ["headers", &h, "schema"]));
        }
    };
    for path in each(doc.get("paths")) {
        let item = pointer::join("", ["paths", &path]);
        for method in each(pointer::get(doc, &item)) {
            let op = pointer::join(&item, [method.as_str()]);
            match dir {
                Direction::Request => contents(&format!("{op}/requestBody"), out),
                Direction::Response => {
                    for code in each(pointer::get(doc, &format!("{op}/responses"))) {
                        responses(&pointer::join(&op, ["responses", &code]), out);
                    }
                }
            }
        }
    }
    let section = match dir {
        Direction::Request => "requestBodies",
        Direction::Response => "responses",
    };
    for name in each(pointer::get(doc, &format!("/components/{section}"))) {
        let at = pointer::join("", ["components", section, &name]);
        match dir {
            Direction::Request => contents(&at, out),
            Direction::Response => responses(&at, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may_be_present(written: &str) -> [bool; 2] {
        let doc = super::super::source::parse("t", written).unwrap();
        Keywords::read(written).present(&doc)
    }

    #[test]
    fn a_keyword_spelled_by_an_escape_is_found() {
        assert_eq!(
            may_be_present(r#"{"a": {"readOnly": true}}"#),
            [true, false]
        );
        assert_eq!(
            may_be_present(r#"{"a": {"b": "writeOnly"}}"#),
            [false, true]
        );
        assert_eq!(may_be_present(r#"{"a": {"b": "x\ny"}}"#), [false, false]);
        assert_eq!(
            may_be_present(r#"{"a": {"read\u004fnly": true, "b": "write\u004fnly"}}"#),
            [true, false]
        );
        assert_eq!(
            may_be_present("a:\n  \"write\\x4fnly\": true\n"),
            [false, true]
        );
        assert_eq!(
            may_be_present("a:\n  ? \"write\\\n    Only\"\n  : true\n"),
            [false, true]
        );
        assert_eq!(may_be_present("a:\n  readOnly: true\n"), [true, false]);
    }
}
