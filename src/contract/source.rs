//! Reading an OpenAPI document from bytes into a JSON tree.
//!
//! YAML and JSON both end up as one `serde_json::Value`, so everything after this
//! point speaks JSON pointers. Syntax errors carry file:line:column, because a
//! person fixing a spec file needs to know where to look. YAML is read straight
//! into JSON, every value counted ([`super::yaml`]).

use serde_json::Value;

use crate::diagnostic::Diagnostic;

/// Whether `text` is read as JSON (else as YAML): an object whose first key
/// is a string in double quotes, or `{}`. A YAML flow mapping also starts with
/// `{`, but its keys are usually plain (`{openapi: 3.0.3, ...}`), and no JSON
/// object starts that way; a broken JSON document still gets JSON's error.
pub(super) fn is_json(text: &str) -> bool {
    trimmed(text)
        .strip_prefix('{')
        .is_some_and(|rest| matches!(rest.trim_start().chars().next(), Some('"' | '}') | None))
}

fn trimmed(text: &str) -> &str {
    text.trim_start_matches('\u{feff}').trim_start()
}

/// Parses `text` as JSON when it looks like JSON, otherwise as YAML.
pub(super) fn parse(file: &str, text: &str) -> Result<Value, Diagnostic> {
    let trimmed = trimmed(text);
    if trimmed.is_empty() {
        return Err(Diagnostic::new(
            file,
            "the file is empty; expected an OpenAPI document",
        ));
    }
    if is_json(trimmed) {
        let json_error = match serde_json::from_str(trimmed) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        // A YAML flow mapping may quote its first key (`{"openapi": 3.0.3, info:
        // ...}`): in a file named YAML, what YAML reads is kept. Elsewhere the
        // text is JSON's (YAML would read a broken `"b": }` as null, silently),
        // and what neither reads gets JSON's error, the likelier intent.
        let name = file.to_ascii_lowercase();
        let named_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        let as_yaml = named_yaml.then(|| yaml(file, text).ok()).flatten();
        return as_yaml.ok_or_else(|| {
            Diagnostic::at_line(
                file,
                json_error.line(),
                json_error.column(),
                format!("invalid JSON: {json_error}"),
            )
        });
    }
    yaml(file, text)
}

/// Parses `text` as YAML, errors placed by line and column.
fn yaml(file: &str, text: &str) -> Result<Value, Diagnostic> {
    if let Some((line, column)) = super::flow::too_deep(text) {
        return Err(Diagnostic::at_line(
            file,
            line,
            column,
            format!(
                "invalid YAML: flow collections ([...], {{...}}) nested more than {} deep",
                super::flow::MAX_FLOW_DEPTH
            ),
        ));
    }
    super::yaml::to_json(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        let message = if message.starts_with("the document") {
            message
        } else {
            format!("invalid YAML: {message}")
        };
        match e.location() {
            Some(l) => Diagnostic::at_line(file, l.line(), l.column(), message),
            None => {
                match second_document(text).filter(|_| message.contains("more than one document")) {
                    Some(line) => Diagnostic::at_line(file, line, 1, message),
                    None => Diagnostic::new(file, message),
                }
            }
        }
    })
}

/// The line where a second YAML document starts (`---` after some content):
/// serde_yaml refuses a stream of several without saying where.
fn second_document(text: &str) -> Option<usize> {
    let mut content = false;
    for (n, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker && content {
            return Some(n + 1);
        }
        let trimmed = line.trim_start();
        if !marker && !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('%')
        {
            content = true;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_mapping_with_a_quoted_first_key_is_read_as_yaml() {
        let v = parse("t.yaml", "{\"openapi\": 3.0.3, info: {title: t}}\n").unwrap();
        assert_eq!(v["openapi"], "3.0.3");
        assert_eq!(v["info"]["title"], "t");
        // Text neither reads keeps JSON's error, placed.
        let e = parse("t.json", "{\"a\": [1,, 2]}").unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
        assert_eq!(e.line_column(), Some((1, 10)), "{e}");
        // Only a file named YAML is read as YAML: YAML would read this as `b: null`.
        let e = parse("t.json", "{\"a\": 1, b: }").unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
        assert!(parse("openapi", "{\"a\": 1, b: }").is_err());
        assert!(parse("t.yaml", "{\"a\": 1, b: }").is_ok());
    }

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
    fn merge_keys_tags_and_keys_as_yaml_reads_them() {
        let v = parse(
            "t.yaml",
            "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n  1.5: f\n  true: t\n  ~: n\ny: !Custom {c: 1}\n",
        )
        .unwrap();
        assert_eq!(
            v["x"],
            serde_json::json!({"b": 3, "1.5": "f", "true": "t", "null": "n", "a": 1})
        );
        assert_eq!(v["y"], serde_json::json!({"c": 1}));
        let e = parse("t.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        let e = parse("t.yaml", "a: .inf\n").unwrap_err();
        assert!(e.to_string().contains("cannot be represented"), "{e}");
        let e = parse("t.yaml", "? [1]\n: x\n").unwrap_err();
        assert!(e.line_column().is_some(), "{e}");
    }

    #[test]
    fn an_alias_bomb_is_refused_with_a_clear_error() {
        // 10 levels of 10 aliases each: 10^10 values from a few hundred bytes.
        let mut doc = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*l{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            doc.push_str(&format!("l{i}: &l{i} [{items}]\n"));
        }
        let e = parse("bomb.yaml", &doc).unwrap_err();
        assert!(e.to_string().contains("alias bomb"), "{e}");
        assert!(e.line_column().is_some(), "{e}");
        // Ordinary anchors are fine.
        let v = parse("ok.yaml", "a: &a {type: string}\nb: *a\nc: *a\n").unwrap();
        assert_eq!(v["c"]["type"], "string");
    }

    #[test]
    fn a_second_document_is_refused_where_it_starts() {
        let e = parse(
            "t.yaml",
            "%YAML 1.1\n---\n# one\nopenapi: 3.0.0\n--- # two\nb: 2\n",
        )
        .unwrap_err();
        assert_eq!(e.line_column(), Some((5, 1)), "{e}");
        assert!(e.to_string().contains("more than one document"), "{e}");
    }

    #[test]
    fn json_syntax_error_has_line() {
        let e = parse("t.json", "{\n  \"a\": 1,\n  \"b\": }\n").unwrap_err();
        assert_eq!(e.line_column().map(|l| l.0), Some(3), "{e}");
    }

    #[test]
    fn a_yaml_flow_mapping_is_read_as_yaml() {
        let v = parse("t.yaml", "{openapi: 3.0.3, info: {title: t}, n: 1.0}\n").unwrap();
        assert_eq!(v["openapi"], "3.0.3");
        assert_eq!(v["info"]["title"], "t");
        // JSON, broken or not, is still read as JSON (`{"a":` is JSON's start).
        assert!(is_json("\u{feff} {\n  \"a\": 1}"));
        assert!(is_json("{}") && is_json("{"));
        assert!(!is_json("{openapi: 3.0.3}") && !is_json("[1]"));
    }
}
