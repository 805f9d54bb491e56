//! Reading an OpenAPI document from bytes into a JSON tree.
//!
//! YAML and JSON both end up as one `serde_json::Value`, so everything after this
//! point speaks JSON pointers. Syntax errors carry file:line:column, because a
//! person fixing a spec file needs to know where to look.

use serde_json::{Map, Number, Value};

use crate::diagnostic::Diagnostic;
use crate::support::pointer;

/// Parses `text` as JSON when it looks like JSON, otherwise as YAML.
pub(super) fn parse(file: &str, text: &str) -> Result<Value, Diagnostic> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(Diagnostic::new(
            file,
            "the file is empty; expected an OpenAPI 3.0 document",
        ));
    }
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|e| {
            Diagnostic::at_line(file, e.line(), e.column(), format!("invalid JSON: {e}"))
        });
    }
    let mut yaml: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| match e.location() {
            Some(l) => {
                Diagnostic::at_line(file, l.line(), l.column(), format!("invalid YAML: {e}"))
            }
            None => Diagnostic::new(file, format!("invalid YAML: {e}")),
        })?;
    yaml.apply_merge()
        .map_err(|e| Diagnostic::new(file, format!("invalid YAML merge key: {e}")))?;
    yaml_to_json(file, yaml, &mut String::new())
}

/// Converts YAML to JSON. Mapping keys become strings (`200:` is an integer key in
/// YAML but a status code string in OpenAPI).
fn yaml_to_json(
    file: &str,
    value: serde_yaml::Value,
    at: &mut String,
) -> Result<Value, Diagnostic> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => {
                        return Err(Diagnostic::at_pointer(
                            file,
                            at,
                            format!("number {f} cannot be represented in JSON"),
                        ))
                    }
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                out.push(yaml_to_json(file, item, at)?);
                at.truncate(len);
            }
            Value::Array(out)
        }
        Y::Mapping(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    other => {
                        return Err(Diagnostic::at_pointer(
                            file,
                            at,
                            format!(
                            "mapping key {other:?} is not a string; OpenAPI keys must be strings"
                        ),
                        ))
                    }
                };
                let len = at.len();
                at.push('/');
                at.push_str(&pointer::escape(&key));
                let v = yaml_to_json(file, v, at)?;
                at.truncate(len);
                out.insert(key, v);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(file, tagged.value, at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_become_strings() {
        let v = parse("t.yaml", "responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn yaml_syntax_error_has_line() {
        let e = parse("t.yaml", "a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line_column().is_some(), "{e}");
        assert!(e.to_string().starts_with("t.yaml:"), "{e}");
    }

    #[test]
    fn json_syntax_error_has_line() {
        let e = parse("t.json", "{\n  \"a\": 1,\n  \"b\": }\n").unwrap_err();
        assert_eq!(e.line_column().map(|l| l.0), Some(3), "{e}");
    }
}
