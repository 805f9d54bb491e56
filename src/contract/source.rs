//! Reading an OpenAPI document from bytes into a JSON tree.
//!
//! YAML and JSON both end up as one `serde_json::Value`, so everything after this
//! point speaks JSON pointers. Syntax errors carry file:line:column, because a
//! person fixing a spec file needs to know where to look. YAML is read straight
//! into JSON, every value counted: aliases cannot expand a small document into
//! billions of values (see [`MIN_NODES`]).

use std::cell::Cell;

use serde::de::{self, DeserializeSeed};
use serde_json::{Map, Number, Value};

use crate::diagnostic::Diagnostic;

/// Parses `text` as JSON when it looks like JSON, otherwise as YAML.
pub(super) fn parse(file: &str, text: &str) -> Result<Value, Diagnostic> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(Diagnostic::new(
            file,
            "the file is empty; expected an OpenAPI document",
        ));
    }
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|e| {
            Diagnostic::at_line(file, e.line(), e.column(), format!("invalid JSON: {e}"))
        });
    }
    let budget = Budget {
        nodes: Cell::new(text.len() / 2 + MIN_NODES),
        bytes: Cell::new(text.len() + MIN_SCALAR_BYTES),
    };
    let de = serde_yaml::Deserializer::from_str(text);
    Node { budget: &budget }.deserialize(de).map_err(|e| {
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
            None => Diagnostic::new(file, message),
        }
    })
}

/// Values a YAML document may expand to beyond one per two bytes of its text.
/// Aliases repeat what an anchor names without repeating its text: a document of
/// a few hundred kilobytes can name billions of values ("billion laughs"). A
/// document without aliases has at most one value per two bytes, so this is
/// room for ordinary anchors and nothing like a bomb.
const MIN_NODES: usize = 100_000;
/// Likewise for the bytes of all scalars, beyond the size of the text.
const MIN_SCALAR_BYTES: usize = 1024 * 1024;

/// What is left of a document's expansion budget.
struct Budget {
    nodes: Cell<usize>,
    bytes: Cell<usize>,
}

impl Budget {
    fn take<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let (nodes, left) = (self.nodes.get(), self.bytes.get());
        if nodes == 0 || left < bytes {
            return Err(E::custom(
                "the document's aliases expand to far more values than its text holds (a YAML alias bomb?); refused",
            ));
        }
        self.nodes.set(nodes - 1);
        self.bytes.set(left - bytes);
        Ok(())
    }
}

/// Reads one YAML value straight into JSON, counting every value (aliases
/// expanded) against the budget. Mapping keys become strings (`200:` is an
/// integer key in YAML but a status code string in OpenAPI), merge keys (`<<`)
/// are applied, and tags are dropped.
#[derive(Clone, Copy)]
struct Node<'b> {
    budget: &'b Budget,
}

impl<'de> de::DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        self.budget.take(0)?;
        match Number::from_f64(f) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(E::custom(format!(
                "number {f} cannot be represented in JSON"
            ))),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.budget.take(s.len())?;
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.budget.take(s.len())?;
        Ok(Value::String(s))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let mut out = Map::new();
        let mut merges = Vec::new();
        while let Some(key) = map.next_key_seed(Key {
            budget: self.budget,
        })? {
            let value = map.next_value_seed(self)?;
            if key == "<<" {
                merges.push(value);
                continue;
            }
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate entry with key \"{key}\""
                )));
            }
            out.insert(key, value);
        }
        // Merge keys: what the mapping says itself wins, then earlier merges.
        for merge in merges {
            let maps = match merge {
                Value::Object(m) => vec![m],
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i {
                        Value::Object(m) => Ok(m),
                        _ => Err(de::Error::custom(
                            "expected a mapping or list of mappings for merging",
                        )),
                    })
                    .collect::<Result<_, A::Error>>()?,
                _ => {
                    return Err(de::Error::custom(
                        "expected a mapping or list of mappings for merging",
                    ))
                }
            };
            for m in maps {
                for (k, v) in m {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged value (`!Tag value`): the tag is dropped.
        let (_tag, contents): (de::IgnoredAny, _) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(contents, self)
    }
}

/// A mapping key as a string: scalars as written, anything else refused.
struct Key<'b> {
    budget: &'b Budget,
}

impl<'de> de::DeserializeSeed<'de> for Key<'_> {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Key<'_> {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a mapping key; OpenAPI keys must be strings")
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        self.budget.take(0)?;
        Ok("null".into())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<String, E> {
        self.budget.take(0)?;
        Ok(b.to_string())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<String, E> {
        self.budget.take(0)?;
        Ok(n.to_string())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<String, E> {
        self.budget.take(0)?;
        Ok(n.to_string())
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<String, E> {
        self.budget.take(0)?;
        Ok(serde_yaml::Number::from(f).to_string())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        self.budget.take(s.len())?;
        Ok(s.to_string())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
        self.budget.take(s.len())?;
        Ok(s)
    }
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
    fn json_syntax_error_has_line() {
        let e = parse("t.json", "{\n  \"a\": 1,\n  \"b\": }\n").unwrap_err();
        assert_eq!(e.line_column().map(|l| l.0), Some(3), "{e}");
    }
}
