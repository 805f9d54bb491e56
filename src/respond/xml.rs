//! Bodies of XML media types (`application/xml`, `text/xml`, `+xml`) written as
//! XML. The mock builds every body as a JSON value; sent under an XML type as
//! JSON text, a client's XML parser failed on the first byte (Petstore's
//! `Accept: application/xml`). The value is written the way OpenAPI's `xml`
//! object describes (§4.8.26): element names from `xml.name`, the property name
//! or the schema's component name; `attribute`, `wrapped`, `prefix` and
//! `namespace` honoured.

use serde_json::Value;

use crate::contract::schema::{self, SchemaId};
use crate::contract::Contract;

/// Deeper values are written as their text (generated values never are).
const MAX_DEPTH: usize = 64;

/// Whether a media type carries XML.
pub(crate) fn is_xml(media_type: &str) -> bool {
    let e = crate::support::media::essence(media_type).to_ascii_lowercase();
    e == "application/xml" || e == "text/xml" || e.ends_with("+xml")
}

/// `value` as an XML document, shaped by the schema `id`.
pub(crate) fn write(contract: &Contract, id: Option<SchemaId>, value: &Value) -> String {
    let doc = &contract.document;
    let source = id.map(|id| contract.schemas.source(id));
    let w = Writer { doc };
    let schema = source.and_then(|s| schema::resolve(doc, s));
    // The root is named by `xml.name`, else the component the schema refers to
    // (`#/components/schemas/Pet` -> `Pet`), else by what it holds.
    let fallback = if value.is_array() { "items" } else { "root" };
    let name = source
        .and_then(|s| w.named(s))
        .unwrap_or_else(|| fallback.to_string());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.element(&mut out, &name, schema, value, 0);
    out
}

struct Writer<'a> {
    doc: &'a Value,
}

impl<'a> Writer<'a> {
    fn resolve(&self, s: Option<&'a Value>) -> Option<&'a Value> {
        s.and_then(|s| schema::resolve(self.doc, s))
    }

    /// A text member of a schema's `xml` object.
    fn xml_text(&self, s: Option<&'a Value>, key: &str) -> Option<&'a str> {
        self.xml(s)?.get(key)?.as_str()
    }

    /// The `xml` object of a schema (through its `$ref`).
    fn xml(&self, s: Option<&'a Value>) -> Option<&'a Value> {
        self.resolve(s)?.get("xml")
    }

    /// A schema's own element name: `xml.name`, else the name of the component
    /// its `$ref` points at.
    fn named(&self, s: &'a Value) -> Option<String> {
        if let Some(n) = self.xml_text(Some(s), "name") {
            return Some(n.to_string());
        }
        let r = s.get("$ref")?.as_str()?;
        let last = r.rsplit('/').next()?;
        Some(last.replace("~1", "/").replace("~0", "~"))
    }

    /// The schema of an object's member `key`: in `properties`, of the schema
    /// or of its `allOf` parts.
    fn member(&self, s: Option<&'a Value>, key: &str, depth: usize) -> Option<&'a Value> {
        let s = self.resolve(s)?;
        if let Some(p) = s.get("properties").and_then(|p| p.get(key)) {
            return Some(p);
        }
        if depth > 8 {
            return None;
        }
        s.get("allOf")?
            .as_array()?
            .iter()
            .find_map(|part| self.member(Some(part), key, depth + 1))
    }

    fn items(&self, s: Option<&'a Value>) -> Option<&'a Value> {
        self.resolve(s)?.get("items")
    }

    fn element(
        &self,
        out: &mut String,
        name: &str,
        s: Option<&'a Value>,
        value: &Value,
        depth: usize,
    ) {
        let xml = self.xml(s);
        let tag = qualified(name, xml);
        out.push('<');
        out.push_str(&tag);
        if let Some(ns) = xml.and_then(|x| x.get("namespace")?.as_str()) {
            match xml.and_then(|x| x.get("prefix")?.as_str()) {
                Some(p) => out.push_str(&format!(" xmlns:{}=\"", clean(p))),
                None => out.push_str(" xmlns=\""),
            }
            escape(out, ns, true);
            out.push('"');
        }
        if depth >= MAX_DEPTH {
            out.push('>');
            escape(out, &value.to_string(), false);
            close(out, &tag);
            return;
        }
        match value {
            Value::Object(map) => {
                // Members marked `attribute` (with a scalar value) go in the tag.
                let mut children = Vec::new();
                for (key, v) in map {
                    let ms = self.member(s, key, 0);
                    let mx = self.xml(ms);
                    let attribute = mx
                        .and_then(|x| x.get("attribute")?.as_bool())
                        .unwrap_or(false);
                    if attribute && !v.is_object() && !v.is_array() {
                        let n = self.xml_text(ms, "name").unwrap_or(key);
                        out.push(' ');
                        out.push_str(&clean(n)); // (unprefixed: its namespace is declared nowhere)
                        out.push_str("=\"");
                        escape(out, &super::value_text(v), true);
                        out.push('"');
                    } else {
                        children.push((key, ms, v));
                    }
                }
                if children.is_empty() {
                    out.push_str("/>");
                    return;
                }
                out.push('>');
                for (key, ms, v) in children {
                    let n = self.xml_text(ms, "name").unwrap_or(key);
                    self.member_element(out, n, ms, v, depth + 1);
                }
                close(out, &tag);
            }
            Value::Array(items) => {
                out.push('>');
                let is = self.items(s);
                let n = is
                    .and_then(|i| self.named(i))
                    .unwrap_or_else(|| "item".into());
                for v in items {
                    self.element(out, &n, is, v, depth + 1);
                }
                close(out, &tag);
            }
            Value::Null => out.push_str("/>"),
            other => {
                out.push('>');
                escape(out, &super::value_text(other), false);
                close(out, &tag);
            }
        }
    }

    /// An object's member: an array is its items repeated under the member's
    /// name, inside an element of that name when `wrapped`.
    fn member_element(
        &self,
        out: &mut String,
        name: &str,
        s: Option<&'a Value>,
        value: &Value,
        depth: usize,
    ) {
        let Value::Array(items) = value else {
            return self.element(out, name, s, value, depth);
        };
        let wrapped = self
            .xml(s)
            .and_then(|x| x.get("wrapped")?.as_bool())
            .unwrap_or(false);
        if wrapped {
            return self.element(out, name, s, value, depth);
        }
        let is = self.items(s);
        let n = self.xml_text(is, "name").unwrap_or(name);
        for v in items {
            self.element(out, n, is, v, depth + 1);
        }
    }
}

/// `prefix:name` when the `xml` object gives a prefix; the name made a valid
/// XML name.
fn qualified(name: &str, xml: Option<&Value>) -> String {
    // Only where the same object declares the namespace (the element's tag
    // does): a prefix bound nowhere makes the document unreadable to
    // namespace-aware parsers.
    let declared = xml.is_some_and(|x| x.get("namespace").is_some_and(Value::is_string));
    match xml.and_then(|x| x.get("prefix")?.as_str()) {
        Some(p) if !p.is_empty() && declared => format!("{}:{}", clean(p), clean(name)),
        _ => clean(name),
    }
}

/// A valid XML name: characters a name cannot hold become `_`, and one that
/// cannot start it is preceded by `_`.
fn clean(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        out.insert(0, '_');
    }
    out
}

fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Text or an attribute's value, escaped; characters XML 1.0 cannot carry
/// at all (most control characters) are left out.
fn escape(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // Kept as they are only in text: an attribute's are read as spaces.
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_text_are_made_safe() {
        assert_eq!(clean("Pet"), "Pet");
        assert_eq!(clean("1st name"), "_1st_name");
        assert_eq!(clean(""), "_");
        let mut out = String::new();
        escape(&mut out, "a<b & \"c\"\u{1}", true);
        assert_eq!(out, "a&lt;b &amp; &quot;c&quot;");
        assert!(is_xml("application/xml; charset=utf-8"));
        assert!(is_xml("application/atom+xml"));
        assert!(is_xml("Text/XML"));
        assert!(!is_xml("application/json"));
    }
}
