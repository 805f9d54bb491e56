//! A parsed YAML or JSON value that remembers where each part came from.
//!
//! Seeds and parts of the model (settings) have a shape that depends on the model
//! itself (resource names become keys), so they cannot be plain serde structs.
//! They are read into this tree instead: from YAML with each node's line and
//! column (via serde-saphyr's spans), from a JSON value (the admin endpoint) with
//! each node's JSON pointer. Checks then report either the same way.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use super::error::At;
use crate::support::pointer;

/// A value and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) at: At,
    pub(crate) v: Tree,
}

/// The value itself; mapping entries keep their order and their key's position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A JSON value, each node placed by its JSON pointer under `base`.
    pub(crate) fn from_json(v: &Value, base: &str) -> Node {
        let at = At::Pointer(base.to_string());
        let v = match v {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(*b),
            Value::Number(n) => Tree::Num(n.clone()),
            Value::String(s) => Tree::Str(s.clone()),
            Value::Array(items) => Tree::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Node::from_json(item, &format!("{base}/{i}")))
                    .collect(),
            ),
            Value::Object(m) => Tree::Map(
                m.iter()
                    .map(|(k, item)| {
                        let at = format!("{base}/{}", pointer::escape(k));
                        (k.clone(), Node::from_json(item, &at))
                    })
                    .collect(),
            ),
        };
        Node { at, v }
    }

    /// The value as JSON (positions dropped).
    pub(crate) fn to_json(&self) -> Value {
        match &self.v {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Num(n) => Value::Number(n.clone()),
            Tree::Str(s) => Value::String(s.clone()),
            Tree::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Tree::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// What kind of value this is, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self.v {
            Tree::Null => "null",
            Tree::Bool(_) => "a boolean",
            Tree::Num(_) => "a number",
            Tree::Str(_) => "a string",
            Tree::Seq(_) => "a list",
            Tree::Map(_) => "a mapping",
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.v {
            Tree::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Tree>::deserialize(d)?;
        Ok(Node {
            at: At::loc(&s.referenced),
            v: s.value,
        })
    }
}

/// A mapping key: text, whatever YAML scalar it was written as (`1:` is `"1"`).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key (text or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tree;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
                Ok(Tree::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
                Ok(Tree::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
                Tree::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
                Ok(Tree::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
                Ok(Tree::Num(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
                Ok(Tree::Num(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
                Number::from_f64(v)
                    .map(Tree::Num)
                    .ok_or_else(|| E::custom(format!("{v} cannot be represented in JSON")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
                Ok(Tree::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
                Ok(Tree::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = seq.next_element::<Node>()? {
                    out.push(n);
                }
                Ok(Tree::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
                let mut out: Vec<(String, Node)> = Vec::new();
                while let Some(KeyText(k)) = map.next_key::<KeyText>()? {
                    let n = map.next_value::<Node>()?;
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    out.push((k, n));
                }
                Ok(Tree::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_nodes_carry_lines_and_json_nodes_pointers() {
        let n: Node = serde_saphyr::from_str("a:\n  b: [1, x]\n  2: true\n").unwrap();
        let Tree::Map(top) = &n.v else { panic!() };
        let Tree::Map(inner) = &top[0].1.v else {
            panic!()
        };
        assert_eq!(inner[0].0, "b");
        assert_eq!(inner[0].1.at, At::Line(2, 6));
        assert_eq!(inner[1].0, "2");
        let Tree::Seq(items) = &inner[0].1.v else {
            panic!()
        };
        assert_eq!(items[1].at, At::Line(2, 10));
        assert_eq!(items[1].as_str(), Some("x"));
        let j = Node::from_json(&serde_json::json!({"a/b": [null]}), "");
        let Tree::Map(top) = &j.v else { panic!() };
        let Tree::Seq(items) = &top[0].1.v else {
            panic!()
        };
        assert_eq!(items[0].at, At::Pointer("/a~1b/0".into()));
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": {"b": [1, "x"], "2": true}})
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(serde_saphyr::from_str::<Node>("a: 1\na: 2\n").is_err());
    }
}
