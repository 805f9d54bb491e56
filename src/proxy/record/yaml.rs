//! Writing scenario YAML by hand, so that every string is quoted (`yes`, `{{`
//! and `#` can never be misread) and bodies come out as readable block YAML.

use serde_json::Value;

/// A YAML double-quoted string (JSON's escapes are YAML's, plus the characters
/// YAML does not allow unescaped).
pub(super) fn q(s: &str) -> String {
    escape_unprintable(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
}

fn escape_unprintable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `value` as block YAML after `prefix` (`key:` or `-`), every string quoted.
pub(super) fn yaml(out: &mut String, indent: usize, prefix: &str, value: &Value) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str(&format!("{prefix}\n"));
            for (k, v) in map {
                yaml(out, indent + 2, &format!("{pad}  {}:", q(k)), v);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{prefix}\n"));
            for v in items {
                yaml(out, indent + 2, &format!("{pad}  -"), v);
            }
        }
        Value::Object(_) => out.push_str(&format!("{prefix} {{}}\n")),
        Value::Array(_) => out.push_str(&format!("{prefix} []\n")),
        Value::String(s) => out.push_str(&format!("{prefix} {}\n", q(s))),
        other => out.push_str(&format!("{prefix} {other}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn quoting_is_yaml_safe() {
        assert_eq!(q("yes"), "\"yes\"");
        assert_eq!(q("{{x}}"), "\"{{x}}\"");
        assert_eq!(q("a\u{85}b\"c"), "\"a\\u0085b\\\"c\"");
    }

    #[test]
    fn bodies_are_written_as_block_yaml_that_reads_back_the_same() {
        let value = serde_json::json!({
            "a": [{"b": 1, "yes": "no"}, [2, "3"], [], {}],
            "c": {"d": null, "e": true, "f": 1.5, "g": "line\nbreak: # not a comment"},
            "": "empty key"
        });
        let mut out = String::new();
        yaml(&mut out, 0, "body:", &value);
        let back: IndexMap<String, Value> = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(back["body"], value, "{out}");
    }
}
