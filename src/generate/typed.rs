//! Which JSON type a schema asks for, and the value generator for each.
//!
//! `type` may list several types (and `null`, for OpenAPI's `nullable`) or none, in
//! which case the other keywords tell; the choice then goes to the generator of
//! that type.

use rand::rngs::StdRng;
use rand::RngExt;
use serde_json::{Map, Value};

use super::string::random_text;
use super::{At, Ctx, Generator, Mode, EXTRA_PATTERNS};

/// The JSON types a schema can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Null,
    Bool,
    Integer,
    Number,
    String,
    Array,
    Object,
    Any,
}

fn ty_of(name: &str) -> Option<Ty> {
    Some(match name {
        "null" => Ty::Null,
        "boolean" => Ty::Bool,
        "integer" => Ty::Integer,
        "number" => Ty::Number,
        "string" | "file" => Ty::String,
        "array" => Ty::Array,
        "object" => Ty::Object,
        "any" => Ty::Any,
        _ => return None,
    })
}

/// The type names listed by `type` (a string or an array of strings).
pub(super) fn type_names(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl Generator<'_> {
    /// A value built without recursing, for when the nesting limit is reached.
    pub(super) fn shallow(&self, schema: &Value, rng: &mut StdRng) -> Value {
        let Value::Object(o) = self.resolve(schema).schema else {
            return Value::Null;
        };
        if let Some(c) = o.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(members)) = o.get("enum") {
            if let Some(first) = members.iter().find(|m| m.is_null()).or(members.first()) {
                return first.clone();
            }
        }
        let names = o.get("type").map(type_names).unwrap_or_default();
        if names.contains(&"null") {
            return Value::Null;
        }
        let ty = names
            .iter()
            .find_map(|n| ty_of(n))
            .unwrap_or_else(|| infer_type(o));
        match ty {
            Ty::Null | Ty::Any => Value::Null,
            Ty::Bool => Value::Bool(true),
            Ty::Integer => self.gen_integer(o, Mode::Static, rng),
            Ty::Number => self.gen_number(o, Mode::Static, rng),
            Ty::String => Value::String(self.gen_string(o, Mode::Static, rng)),
            Ty::Array => Value::Array(Vec::new()),
            Ty::Object => Value::Object(Map::new()),
        }
    }

    /// A value for the empty schema.
    pub(super) fn gen_any(&self, mode: Mode, rng: &mut StdRng) -> Value {
        match mode {
            Mode::Static => Value::Object(Map::new()),
            Mode::Dynamic => match rng.random_range(0..4u8) {
                0 => Value::String(random_text(rng, 1, Some(self.limits.string_len), 12)),
                1 => Value::from(rng.random_range(0..=1000i64)),
                2 => Value::Bool(rng.random_bool(0.5)),
                _ => Value::Object(Map::new()),
            },
        }
    }

    fn choose_type(
        &self,
        obj: &Map<String, Value>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Ty {
        let listed: Vec<Ty> = obj
            .get("type")
            .map(type_names)
            .unwrap_or_default()
            .into_iter()
            .filter_map(ty_of)
            .collect();
        if listed.is_empty() {
            return infer_type(obj);
        }
        let has_null = listed.contains(&Ty::Null);
        let others: Vec<Ty> = listed.into_iter().filter(|t| *t != Ty::Null).collect();
        if others.is_empty() {
            return Ty::Null;
        }
        if has_null
            && (self.at_limit(ctx) || (mode == Mode::Dynamic && rng.random_bool(self.limits.null)))
        {
            return Ty::Null;
        }
        let ty = match mode {
            Mode::Static => others[0],
            Mode::Dynamic => others[rng.random_range(0..others.len())],
        };
        if ty == Ty::Any {
            infer_type(obj)
        } else {
            ty
        }
    }

    pub(super) fn gen_typed(
        &self,
        obj: &Map<String, Value>,
        place: At<'_>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        match self.choose_type(obj, ctx, mode, rng) {
            Ty::Null => Value::Null,
            Ty::Bool => Value::Bool(match mode {
                Mode::Static => true,
                Mode::Dynamic => rng.random_bool(0.5),
            }),
            Ty::Integer => self.gen_integer(obj, mode, rng),
            Ty::Number => match obj.get("format").and_then(Value::as_str) {
                Some("int32" | "int64") => self.gen_integer(obj, mode, rng),
                _ => self.gen_number(obj, mode, rng),
            },
            Ty::String => Value::String(self.gen_string(obj, mode, rng)),
            Ty::Array => self.gen_array(obj, place, ctx, mode, rng),
            Ty::Object => self.gen_object(obj, place, ctx, mode, rng),
            Ty::Any => self.gen_any(mode, rng),
        }
    }
}

/// The type a schema without `type` most likely means, from its other keywords.
fn infer_type(o: &Map<String, Value>) -> Ty {
    let has = |keys: &[&str]| keys.iter().any(|k| o.contains_key(*k));
    if has(&[
        "properties",
        "additionalProperties",
        "patternProperties",
        "required",
        "minProperties",
        "maxProperties",
        "dependencies",
    ]) {
        return Ty::Object;
    }
    if has(&[
        "items",
        "additionalItems",
        "minItems",
        "maxItems",
        "uniqueItems",
    ]) {
        return Ty::Array;
    }
    if has(&["pattern", "minLength", "maxLength", EXTRA_PATTERNS]) {
        return Ty::String;
    }
    match o.get("format").and_then(Value::as_str) {
        Some("int32" | "int64") => return Ty::Integer,
        Some("float" | "double") => return Ty::Number,
        Some(_) => return Ty::String,
        None => {}
    }
    if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        return Ty::Number;
    }
    Ty::Any
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::*;
    use serde_json::{json, Value};

    #[test]
    fn nullable_types() {
        let (st, dy) = one(json!({ "type": ["string", "null"], "minLength": 1 }));
        assert!(st.iter().all(|v| v == "string"));
        assert!(dy.iter().any(Value::is_null));
        assert!(dy.iter().any(Value::is_string));
        let (st, _) = one(json!({ "type": ["null", "integer"] }));
        assert!(st.iter().all(|v| v == 0));
        one(json!({ "type": "null" }));
        one(json!({ "type": ["boolean", "null"] }));
    }
}
