//! The JSON Schema a contract's schemas are written in, and the rewriting that
//! makes OpenAPI's dialect plain JSON Schema for the validator: OpenAPI 3.0
//! (`nullable`, ignored `$ref` siblings) into draft 4, 3.1 kept as 2020-12;
//! both get the bounds of the `int32`/`int64` formats and the bounded keyword
//! for patterns that need backtracking.

use serde_json::Value;

use super::super::fancy;
use super::Patterns;

/// Which JSON Schema a contract's schemas are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Dialect {
    /// OpenAPI 3.0 (and Swagger 2.0, converted): draft 4 once `nullable` and
    /// `$ref` siblings are rewritten ([`convert`]).
    #[default]
    Draft4,
    /// OpenAPI 3.1: JSON Schema 2020-12 as written.
    Draft202012,
}

impl Dialect {
    pub(super) fn draft(self) -> jsonschema::Draft {
        match self {
            Dialect::Draft4 => jsonschema::Draft::Draft4,
            Dialect::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }

    /// Checks a schema against the dialect's meta-schema.
    pub(super) fn meta_validate(self, schema: &Value) -> Result<(), String> {
        match self {
            Dialect::Draft4 => jsonschema::draft4::meta::validate(schema),
            Dialect::Draft202012 => jsonschema::draft202012::meta::validate(schema),
        }
        .map_err(|e| e.to_string())
    }
}

/// Rewrites one OpenAPI 3.0 schema (and everything nested in it) into draft 4.
pub(crate) fn convert(schema: &mut Value, patterns: &mut Patterns) {
    let Value::Object(map) = schema else { return };
    // One pass over the keys says which rewrites apply: a large document has
    // hundreds of thousands of schemas, and a lookup per rule per schema was a
    // fifth of loading it.
    let (mut reference, mut pattern, mut format, mut nullable) = (false, false, false, false);
    for (k, v) in map.iter() {
        match k.as_str() {
            "$ref" => reference = true,
            "pattern" => pattern = true,
            fancy::KEYWORD => pattern = true,
            "format" => format = true,
            "nullable" => nullable = *v == Value::Bool(true),
            _ => {}
        }
    }
    if reference {
        // OpenAPI 3.0: siblings of $ref are ignored.
        map.retain(|k, _| k == "$ref");
        return;
    }
    // A pattern only a backtracking engine runs is matched under mimeo's bounds;
    // one that cannot run at all is set aside (the rest of the schema is checked).
    if pattern {
        fancy::move_pattern(map);
        patterns.set_aside(map);
    }
    for (k, v) in map.iter_mut() {
        match (k.as_str(), v) {
            ("properties" | "patternProperties", Value::Object(props)) => {
                props.values_mut().for_each(|v| convert(v, patterns));
            }
            (
                "additionalProperties" | "not" | "additionalItems" | "items",
                v @ Value::Object(_),
            ) => {
                convert(v, patterns);
            }
            ("items" | "allOf" | "oneOf" | "anyOf", Value::Array(items)) => {
                items.iter_mut().for_each(|v| convert(v, patterns));
            }
            _ => {}
        }
    }
    if format {
        int_format_bounds(map);
    }
    super::discriminator::rewrite(map);
    if nullable {
        map.remove("nullable");
        match map.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                map.insert(
                    "type".into(),
                    Value::Array(vec![Value::String(t), "null".into()]),
                );
                if let Some(Value::Array(e)) = map.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            }
            Some(_) => {}
            None => {
                if ["allOf", "oneOf", "anyOf"]
                    .iter()
                    .any(|k| map.contains_key(*k))
                {
                    // A composed nullable schema: null, or whatever the composition allows.
                    let inner = Value::Object(std::mem::take(map));
                    map.insert(
                        "anyOf".into(),
                        Value::Array(vec![inner, serde_json::json!({"type": "null"})]),
                    );
                }
            }
        }
    }
}

/// Prepares one OpenAPI 3.1 schema (JSON Schema 2020-12, kept as written) for
/// the validator: only patterns that need backtracking move to mimeo's bounded
/// keyword, at every depth. Nothing else changes: `$ref` siblings, `type`
/// arrays and `const` mean what 2020-12 says they mean.
pub(crate) fn convert_2020(schema: &mut Value, patterns: &mut Patterns) {
    match schema {
        Value::Object(map) => {
            fancy::move_pattern(map);
            patterns.set_aside(map);
            int_format_bounds(map);
            super::discriminator::rewrite(map);
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    (
                        "properties" | "patternProperties" | "$defs" | "definitions"
                        | "dependentSchemas",
                        Value::Object(schemas),
                    ) => schemas.values_mut().for_each(|v| convert_2020(v, patterns)),
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    (k, _) if k.starts_with("x-") => {}
                    (_, value) => convert_2020(value, patterns),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| convert_2020(v, patterns)),
        _ => {}
    }
}

/// The ranges of the integer formats OpenAPI names.
const INT_FORMATS: [(&str, i64, i64); 2] = [
    ("int32", i32::MIN as i64, i32::MAX as i64),
    ("int64", i64::MIN, i64::MAX),
];

/// JSON Schema checks `format` on strings only, so an `int32` or `int64`
/// number outside its range would pass: its range is written as `minimum` and
/// `maximum` (where the schema sets none), and a violation of exactly that
/// range is reported as the `format` it comes from (see [`Schemas::violations`]).
fn int_format_bounds(map: &mut serde_json::Map<String, Value>) {
    let Some((_, lo, hi)) = map
        .get("format")
        .and_then(Value::as_str)
        .and_then(|f| INT_FORMATS.iter().find(|(name, ..)| *name == f))
    else {
        return;
    };
    if !map.contains_key("minimum") {
        map.insert("minimum".into(), (*lo).into());
    }
    if !map.contains_key("maximum") {
        map.insert("maximum".into(), (*hi).into());
    }
}

/// Whether a `minimum` or `maximum` violation is of an integer format's range:
/// its message ends with the bound (`... of 2147483647`).
pub(super) fn format_range(rule: &str, message: &str) -> Option<&'static str> {
    if rule != "minimum" && rule != "maximum" {
        return None;
    }
    INT_FORMATS.iter().find_map(|(name, lo, hi)| {
        let bound = if rule == "minimum" { lo } else { hi };
        message.ends_with(&format!(" of {bound}")).then_some(*name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_becomes_type_array() {
        let mut s = json!({"type": "string", "nullable": true, "enum": ["a"]});
        convert(&mut s, &mut Patterns::default());
        assert_eq!(s, json!({"type": ["string", "null"], "enum": ["a", null]}));
    }

    #[test]
    fn nested_nullable_and_ref_siblings() {
        let mut s = json!({"properties": {"a": {"$ref": "#/x", "description": "d"},
                                          "b": {"items": {"type": "integer", "nullable": true}}}});
        convert(&mut s, &mut Patterns::default());
        assert_eq!(s["properties"]["a"], json!({"$ref": "#/x"}));
        assert_eq!(
            s["properties"]["b"]["items"]["type"],
            json!(["integer", "null"])
        );
    }
}
