//! YAML read straight into JSON, every value counted: aliases cannot expand a
//! small document into billions of values (see [`MIN_NODES`]).
//!
//! This file depends on serde, serde_json and serde_yaml only: the build script
//! includes it too (`#[path]`), to turn the embedded contract into JSON with the
//! very reading `--spec` files get (see build.rs).

use std::cell::Cell;

use serde::de::{self, DeserializeSeed};
use serde_json::{Map, Number, Value};

/// Reads a YAML document into JSON; the error is serde_yaml's, with its location.
pub(crate) fn to_json(text: &str) -> Result<Value, serde_yaml::Error> {
    let budget = Budget {
        nodes: Cell::new(text.len() / 2 + MIN_NODES),
        bytes: Cell::new(text.len() + MIN_SCALAR_BYTES),
    };
    Node { budget: &budget }.deserialize(serde_yaml::Deserializer::from_str(text))
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
