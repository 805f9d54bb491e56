//! Arrays: how many items, from which schema (one for all, or a tuple), and
//! distinct when `uniqueItems` asks.

use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::{down, get_usize, rand_usize, At, Ctx, Generator, Mode, Step, TRUE};

const MAX_ITEMS: usize = 1024;

impl Generator<'_> {
    pub(super) fn gen_array(
        &self,
        obj: &Map<String, Value>,
        place: At<'_>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let min = get_usize(obj, "minItems").unwrap_or(0).min(MAX_ITEMS);
        let max = get_usize(obj, "maxItems");
        let unique = obj.get("uniqueItems") == Some(&Value::Bool(true));
        // The schema of items past the tuple, with the keyword it is under.
        type Rest<'s> = Option<(&'s Value, Option<&'static str>)>;
        let mut tuple_key = "items";
        let (tuple, rest): (&[Value], Rest) = match (obj.get("prefixItems"), obj.get("items")) {
            // 2020-12 (OpenAPI 3.1): the tuple is `prefixItems`, the rest `items`.
            (Some(Value::Array(t)), rest) => {
                tuple_key = "prefixItems";
                (
                    t.as_slice(),
                    match rest {
                        Some(Value::Bool(false)) => None,
                        Some(v @ Value::Object(_)) => Some((v, Some("items"))),
                        _ => Some((&TRUE, None)),
                    },
                )
            }
            (_, Some(Value::Array(t))) => (
                t.as_slice(),
                match obj.get("additionalItems") {
                    Some(Value::Bool(false)) => None,
                    Some(v @ Value::Object(_)) => Some((v, Some("additionalItems"))),
                    _ => Some((&TRUE, None)),
                },
            ),
            (_, Some(Value::Bool(false))) => (&[], None),
            (_, Some(v @ Value::Object(_))) => (&[], Some((v, Some("items")))),
            _ => (&[], Some((&TRUE, None))),
        };
        let possible = if rest.is_some() {
            usize::MAX
        } else {
            tuple.len()
        };
        let cap = max.unwrap_or(usize::MAX).min(possible);
        let count = if self.at_limit(ctx) {
            min
        } else {
            match mode {
                Mode::Static => min.max(tuple.len().max(1)),
                Mode::Dynamic => {
                    let hi = min.max(self.limits.items).max(tuple.len()).min(cap);
                    let lo = min.max(1).min(hi);
                    rand_usize(rng, lo, hi)
                }
            }
        }
        .min(cap);
        let mut items: Vec<Value> = Vec::with_capacity(count);
        for i in 0..count {
            // Out of bytes or time: no more than the schema demands.
            if ctx.spent.get() && i >= min {
                break;
            }
            let mut slot = None;
            let (schema, at) = match (tuple.get(i), rest) {
                (Some(s), _) => (s, down(place, Step::Index(tuple_key, i), &mut slot)),
                (None, Some((s, Some(key)))) => (s, down(place, Step::Key(key), &mut slot)),
                (None, Some((s, None))) => (s, None),
                (None, None) => break,
            };
            let mut v = self.gen(schema, at, ctx, mode, rng);
            if unique {
                let mut tries = 0;
                while tries < 12 && items.iter().any(|x| json_eq(x, &v)) {
                    v = self.gen(schema, at, ctx, Mode::Dynamic, rng);
                    tries += 1;
                }
                if items.iter().any(|x| json_eq(x, &v)) && i >= min {
                    break;
                }
            }
            items.push(v);
        }
        Value::Array(items)
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`), as
/// `uniqueItems` and `enum` compare: for making distinct items and for merging
/// `enum`s, not for judging values (the contract's validators do that).
pub(super) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p == q,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn arrays() {
        let (st, dy) = one(
            json!({ "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 3 }, "minItems": 2, "maxItems": 4, "uniqueItems": true }),
        );
        assert!(st
            .iter()
            .all(|v| v.as_array().is_some_and(|a| a.len() == 2)));
        assert!(distinct(&dy) > 10);
        let (st, _) = one(
            json!({ "type": "array", "items": { "type": "string" }, "minItems": 3, "uniqueItems": true }),
        );
        assert_eq!(st[0].as_array().map(Vec::len), Some(3));
        let (st, dy) = one(json!({ "type": "array", "items": { "type": "string" } }));
        assert_eq!(st[0], json!(["string"]));
        assert!(dy
            .iter()
            .all(|v| v.as_array().is_some_and(|a| a.len() <= 3)));
        one(json!({ "type": "array", "items": { "type": "string" }, "maxItems": 0 }));
        one(
            json!({ "type": "array", "items": [{ "type": "integer" }, { "type": "string" }], "additionalItems": false }),
        );
        one(
            json!({ "type": "array", "items": [{ "type": "integer" }], "minItems": 3, "additionalItems": { "type": "boolean" } }),
        );
        one(json!({ "type": "array", "minItems": 2, "uniqueItems": true }));
        one(
            json!({ "type": "array", "items": { "enum": ["a", "b"] }, "minItems": 2, "uniqueItems": true }),
        );
    }
}
