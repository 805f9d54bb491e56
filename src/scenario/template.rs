//! `{{var}}` placeholders in paths, query values, headers and body strings.
//!
//! Parsed once at load so a typo is an error with a line number, not a literal
//! `{{storId}}` sent to the target.

use indexmap::IndexMap;
use serde_json::Value;

/// Text with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A variable's value.
    Var(String),
}

impl Template {
    /// Parses `text`; `{{ name }}` (spaces allowed) is a placeholder.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(format!("`{{{{` without a closing `}}}}` in `{text}`"));
            };
            let name = after[..end].trim();
            if !is_name(name) {
                return Err(format!(
                    "`{{{{{}}}}}` is not a variable name (letters, digits and _; not starting with a digit)",
                    &after[..end]
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
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables it reads, in order of appearance.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders. Errors name the first variable without a value.
    pub fn render(&self, vars: &IndexMap<String, String>) -> Result<String, String> {
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

/// Whether `name` can be a variable.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every string in a JSON body with its JSON pointer, in document order.
pub fn body_strings<'a>(value: &'a Value, at: &mut String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((
            if at.is_empty() {
                "/".into()
            } else {
                at.clone()
            },
            s,
        )),
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
                at.push('/');
                at.push_str(&crate::contract::source::escape_pointer_token(k));
                body_strings(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The variables the strings of a body read (the body was checked at load).
pub fn body_vars<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    let mut strings = Vec::new();
    body_strings(value, &mut String::new(), &mut strings);
    for (_, s) in strings {
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            out.push(after[..end].trim());
            rest = &after[end + 2..];
        }
    }
}

/// Fills the placeholders of every string in a body. Keys are not templated.
pub fn render_body(value: &Value, vars: &IndexMap<String, String>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(Template::parse(s)?.render(vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_body(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_body(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn refuses_bad_placeholders() {
        assert!(Template::parse("/a/{{x").unwrap_err().contains("closing"));
        assert!(Template::parse("/a/{{1x}}")
            .unwrap_err()
            .contains("not a variable name"));
        assert!(Template::parse("plain").unwrap().vars().next().is_none());
    }
}
