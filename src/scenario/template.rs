//! `{{var}}` placeholders in paths, query values, headers and body strings.
//!
//! Parsed once at load so a typo is an error with a line number, not a literal
//! `{{storId}}` sent to the target.

use indexmap::IndexMap;
use serde_json::Value;

/// Text with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    source: String,
    parts: Vec<Part>,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Text(String),
    /// A variable's value.
    Var(String),
}

/// Where `b` first appears twice in a row (`{{`, `}}`): as `str::find` finds
/// it, without building a substring searcher each time (every path, query
/// value, header and body string of a suite is parsed at load).
pub(crate) fn find_pair(text: &str, b: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b, bytes).find(|&i| bytes.get(i + 1) == Some(&b))
}

impl Template {
    /// Parses `text`; `{{ name }}` (spaces allowed) is a placeholder.
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = find_pair(rest, b'{') {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = find_pair(after, b'}') else {
                return Err(format!("`{{{{` without a closing `}}}}` in `{text}`"));
            };
            let name = after[..end].trim();
            if !is_name(name) {
                return Err(format!(
                    "`{}` is not a variable name (letters, digits and _; not starting with a digit)",
                    placeholder(&after[..end])
                ));
            }
            parts.push(Part::Var(name.to_string()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template {
            source: text.to_string(),
            parts,
        })
    }

    /// The text as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Its pieces, in order.
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables it reads, in order of appearance.
    pub(crate) fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders. Errors name the first variable without a value.
    pub(crate) fn render(&self, vars: &IndexMap<String, String>) -> Result<String, String> {
        let mut out = String::with_capacity(self.source.len());
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => match vars.get(v) {
                    Some(value) => out.push_str(value),
                    None => return Err(v.clone()),
                },
            }
        }
        Ok(out)
    }
}

/// `{{name}}`: how a variable is written in a scenario.
pub(crate) fn placeholder(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// Whether `name` can be a variable.
pub(crate) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every string in a JSON body with its JSON pointer (`""` for a body that is a
/// single string), in document order.
pub(crate) fn body_strings<'a>(
    value: &'a Value,
    at: &mut String,
    out: &mut Vec<(String, &'a str)>,
) {
    match value {
        Value::String(s) => out.push((at.clone(), s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                body_strings(v, at, out);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = at.len();
                crate::support::pointer::push(at, k);
                body_strings(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// A JSON body whose strings may hold placeholders, parsed once at load.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody {
    /// The body as written.
    pub(crate) value: Value,
    /// The strings that read variables, by JSON pointer.
    pub(crate) templates: Vec<(String, Template)>,
}

impl JsonBody {
    /// The body with its placeholders filled. Keys are not templated. Errors name
    /// the first variable without a value.
    pub(crate) fn render(&self, vars: &IndexMap<String, String>) -> Result<Value, String> {
        let mut value = self.value.clone();
        for (pointer, t) in &self.templates {
            if let Some(slot) = value.pointer_mut(pointer) {
                *slot = Value::String(t.render(vars)?);
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_found_where_str_find_finds_them() {
        for text in ["", "{", "a{b{{c", "{{{x}}}", "}}}", "é{{", "x}{}}"] {
            assert_eq!(find_pair(text, b'{'), text.find("{{"), "{text}");
            assert_eq!(find_pair(text, b'}'), text.find("}}"), "{text}");
        }
    }

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("/v1/Stores/{{ storeId }}/x/{{id}}").unwrap();
        assert_eq!(t.vars().collect::<Vec<_>>(), ["storeId", "id"]);
        let mut vars = IndexMap::new();
        vars.insert("storeId".to_string(), "s1".to_string());
        assert_eq!(t.render(&vars), Err("id".to_string()));
        vars.insert("id".to_string(), "7".to_string());
        assert_eq!(t.render(&vars).unwrap(), "/v1/Stores/s1/x/7");
    }

    #[test]
    fn json_bodies_fill_strings_in_place() {
        let value = serde_json::json!({"a": ["x{{v}}", 2], "b~/c": "{{v}}", "k": "plain"});
        let mut strings = Vec::new();
        body_strings(&value, &mut String::new(), &mut strings);
        let templates = strings
            .into_iter()
            .map(|(p, s)| (p, Template::parse(s).unwrap()))
            .filter(|(_, t)| t.vars().next().is_some())
            .collect();
        let body = JsonBody { value, templates };
        let mut vars = IndexMap::new();
        assert_eq!(body.render(&vars), Err("v".to_string()));
        vars.insert("v".to_string(), "1".to_string());
        assert_eq!(
            body.render(&vars).unwrap(),
            serde_json::json!({"a": ["x1", 2], "b~/c": "1", "k": "plain"})
        );
        let root = JsonBody {
            value: serde_json::json!("{{v}}"),
            templates: vec![(String::new(), Template::parse("{{v}}").unwrap())],
        };
        assert_eq!(root.render(&vars).unwrap(), serde_json::json!("1"));
    }

    #[test]
    fn refuses_bad_placeholders() {
        assert!(Template::parse("/a/{{x").unwrap_err().contains("closing"));
        assert!(Template::parse("/a/{{1x}}")
            .unwrap_err()
            .contains("not a variable name"));
        assert!(Template::parse("plain").unwrap().vars().next().is_none());
    }
}
