//! Writing scenario YAML by hand, so that every string is quoted (`yes`, `{{`
//! and `#` can never be misread) and bodies come out as readable block YAML.

use serde_json::Value;

/// A YAML double-quoted string (JSON's escapes are YAML's, plus the characters
/// YAML does not allow unescaped).
pub(super) fn q(s: &str) -> String {
    escape_unprintable(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
}

/// Escapes what YAML does not allow in a document (C1 controls, the byte-order
/// mark, the non-characters U+FFFE and U+FFFF, line separators YAML 1.1 reads as
/// line breaks): one odd character in a query value must not make a whole
/// recording unloadable.
fn escape_unprintable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let n = c as u32;
        let escape = ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
            || crate::support::limits::is_noncharacter(c);
        if escape && n <= 0xFFFF {
            out.push_str(&format!("\\u{n:04x}"));
        } else if escape {
            out.push_str(&format!("\\U{n:08x}"));
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
        assert_eq!(
            q("x\u{fffe}\u{ffff}\u{1fffe}"),
            "\"x\\ufffe\\uffff\\U0001fffe\""
        );
        let back: String =
            serde_saphyr::from_str(&q("x\u{fffe}\u{ffff}\u{1fffe}\u{feff}\u{7}")).unwrap();
        assert_eq!(back, "x\u{fffe}\u{ffff}\u{1fffe}\u{feff}\u{7}");
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
