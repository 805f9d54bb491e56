//! OpenAPI 3.0 schemas as compiled JSON Schema validators.
//!
//! OpenAPI 3.0 speaks a dialect of JSON Schema draft 4 (`nullable`, boolean
//! `exclusiveMinimum`, `$ref` siblings ignored). We rewrite the dialect once at
//! load time into plain draft 4 and compile every schema the contract uses into a
//! validator, so no request ever pays for parsing or compiling a schema.

use serde_json::Value;

/// Index of a compiled schema inside [`Schemas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SchemaId(usize);

/// One violation of a schema, with where it is in the instance and which rule broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    /// JSON pointer into the validated value ("" for the value itself).
    pub(crate) pointer: String,
    /// The JSON Schema keyword that failed (`pattern`, `maxLength`, `required`, ...).
    pub(crate) rule: String,
    /// A readable description of the failure.
    pub(crate) message: String,
}

/// Every schema the contract uses, compiled once.
pub(crate) struct Schemas {
    validators: Vec<Option<jsonschema::Validator>>,
    /// The converted schema at each id, for generating values and reading limits.
    sources: Vec<Value>,
}

impl Schemas {
    /// The converted (draft 4) schema with this id.
    pub(crate) fn source(&self, id: SchemaId) -> &Value {
        &self.sources[id.0]
    }

    /// Whether `value` is valid. A schema that failed to compile accepts everything
    /// (and was reported as a warning at load time).
    pub(crate) fn is_valid(&self, id: SchemaId, value: &Value) -> bool {
        match &self.validators[id.0] {
            Some(v) => v.is_valid(value),
            None => true,
        }
    }

    /// Every violation of schema `id` by `value`.
    pub(crate) fn violations(&self, id: SchemaId, value: &Value) -> Vec<SchemaViolation> {
        let Some(v) = &self.validators[id.0] else {
            return Vec::new();
        };
        v.iter_errors(value)
            .map(|e| SchemaViolation {
                pointer: e.instance_path().as_str().to_string(),
                rule: e.kind().keyword().to_string(),
                message: e.to_string(),
            })
            .collect()
    }
}

/// Collects schemas while the contract is being read, then compiles them together.
#[derive(Default)]
pub(crate) struct SchemaBuilder {
    sources: Vec<Value>,
    locations: Vec<String>,
    by_ref: std::collections::HashMap<String, SchemaId>,
}

impl SchemaBuilder {
    /// The schema registered under `id`.
    pub(crate) fn source(&self, id: SchemaId) -> &Value {
        &self.sources[id.0]
    }

    /// Registers the (already converted) schema found at `location`. Identical
    /// `$ref`s share one id so a shared component compiles once.
    pub(crate) fn add(&mut self, location: &str, schema: &Value) -> SchemaId {
        let key = schema
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("$ref"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(k) = &key {
            if let Some(&id) = self.by_ref.get(k) {
                return id;
            }
        }
        let id = SchemaId(self.sources.len());
        self.sources.push(schema.clone());
        self.locations.push(location.to_string());
        if let Some(k) = key {
            self.by_ref.insert(k, id);
        }
        id
    }

    /// Compiles every registered schema against `document` (the converted document,
    /// which `$ref`s point into). Schemas that cannot compile are reported in
    /// `warnings` and accept everything.
    ///
    /// The document is one resource in a registry, and each schema is compiled on
    /// its own with its local `$ref`s pointed at that resource: only what a schema
    /// reaches is compiled, never every object of the document (examples, paths),
    /// which on a large document (GitHub's REST API) cost seconds and gigabytes.
    pub(crate) fn build(self, document: &Value, warnings: &mut Vec<String>) -> Schemas {
        let registry = jsonschema::Registry::new()
            .draft(jsonschema::Draft::Draft4)
            .add(DOCUMENT_URI, document)
            .and_then(|b| b.prepare());
        let registry = match registry {
            Ok(r) => Some(r),
            Err(e) => {
                warnings.push(format!(
                    "schemas cannot be compiled ({e}); no value is validated"
                ));
                None
            }
        };
        let validators = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, source)| {
                let registry = registry.as_ref()?;
                let compiled = jsonschema::draft4::meta::validate(source)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        let mut schema = source.clone();
                        absolute_refs(&mut schema);
                        options()
                            .with_registry(registry)
                            .with_base_uri(format!("urn:mimeo:schema:{i}"))
                            .build(&schema)
                            .map_err(|e| e.to_string())
                    });
                match compiled {
                    Ok(v) => Some(v),
                    Err(e) => {
                        warnings.push(format!(
                            "schema at {} cannot be compiled ({e}); values there are not validated",
                            self.locations[i]
                        ));
                        None
                    }
                }
            })
            .collect();
        Schemas {
            validators,
            sources: self.sources,
        }
    }
}

/// Points a schema's local `$ref`s (`#/components/...`) at the document in the
/// registry; values that are data rather than schemas are left alone.
fn absolute_refs(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) if r.starts_with('#') => {
                        r.insert_str(0, DOCUMENT_URI);
                    }
                    // Maps from names (which may be anything, `default` included) to schemas.
                    (
                        "properties" | "patternProperties" | "definitions" | "dependencies",
                        Value::Object(schemas),
                    ) => schemas.values_mut().for_each(absolute_refs),
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    (_, value) => absolute_refs(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(absolute_refs),
        _ => {}
    }
}

/// The name of the converted document in the registry schemas are compiled against.
const DOCUMENT_URI: &str = "urn:mimeo:contract";

/// Draft 4 with format checks, plus the OpenAPI formats draft 4 does not know.
fn options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uuid", is_uuid)
        .with_format("date", is_date)
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

/// Rewrites one OpenAPI 3.0 schema (and everything nested in it) into draft 4.
pub(crate) fn convert(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if map.contains_key("$ref") {
        // OpenAPI 3.0: siblings of $ref are ignored.
        map.retain(|k, _| k == "$ref");
        return;
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = map.get_mut(key) {
            for v in props.values_mut() {
                convert(v);
            }
        }
    }
    for key in ["additionalProperties", "not", "additionalItems"] {
        if let Some(v @ Value::Object(_)) = map.get_mut(key) {
            convert(v);
        }
    }
    match map.get_mut("items") {
        Some(v @ Value::Object(_)) => convert(v),
        Some(Value::Array(items)) => items.iter_mut().for_each(convert),
        _ => {}
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            items.iter_mut().for_each(convert);
        }
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
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

/// Follows `$ref`s (local pointers) from `schema` to the schema they name, at most
/// 32 hops. Returns `None` for a dangling, non-local or circular reference.
pub(crate) fn resolve<'a>(document: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..32 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => schema = document.pointer(r.strip_prefix('#')?)?,
            None => return Some(schema),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_becomes_type_array() {
        let mut s = json!({"type": "string", "nullable": true, "enum": ["a"]});
        convert(&mut s);
        assert_eq!(s, json!({"type": ["string", "null"], "enum": ["a", null]}));
    }

    #[test]
    fn nested_nullable_and_ref_siblings() {
        let mut s = json!({"properties": {"a": {"$ref": "#/x", "description": "d"},
                                          "b": {"items": {"type": "integer", "nullable": true}}}});
        convert(&mut s);
        assert_eq!(s["properties"]["a"], json!({"$ref": "#/x"}));
        assert_eq!(
            s["properties"]["b"]["items"]["type"],
            json!(["integer", "null"])
        );
    }

    #[test]
    fn compiles_recursive_refs_and_reports_violations() {
        let doc = json!({"components": {"schemas": {"Node": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "maxLength": 3},
                           "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}}});
        let mut b = SchemaBuilder::default();
        let id = b.add("/x", &json!({"$ref": "#/components/schemas/Node"}));
        let mut warnings = Vec::new();
        let s = b.build(&doc, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.is_valid(id, &json!({"name": "a", "children": [{"name": "b"}]})));
        let v = s.violations(id, &json!({"name": "a", "children": [{"name": "long"}]}));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].pointer, "/children/0/name");
        assert_eq!(v[0].rule, "maxLength");
    }

    #[test]
    fn refs_under_any_property_name_resolve_and_data_is_left_alone() {
        let doc = json!({"components": {"schemas": {"Short": {"type": "string", "maxLength": 2}}}});
        let mut b = SchemaBuilder::default();
        let id = b.add(
            "/x",
            &json!({"properties": {
                "default": {"$ref": "#/components/schemas/Short"},
                "enum": {"enum": [{"$ref": "#/literal"}]}}}),
        );
        let mut warnings = Vec::new();
        let s = b.build(&doc, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.is_valid(id, &json!({"default": "ab", "enum": {"$ref": "#/literal"}})));
        assert!(!s.is_valid(id, &json!({"default": "abc"})));
        assert!(!s.is_valid(
            id,
            &json!({"enum": {"$ref": "urn:mimeo:contract#/literal"}})
        ));
    }

    #[test]
    fn a_broken_schema_is_set_aside_with_a_warning() {
        let mut b = SchemaBuilder::default();
        let good = b.add("/good", &json!({"type": "string", "maxLength": 2}));
        let bad = b.add("/bad", &json!({"type": "string", "pattern": "(unclosed"}));
        let mut warnings = Vec::new();
        let s = b.build(&json!({}), &mut warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("/bad"), "{warnings:?}");
        assert!(!s.is_valid(good, &json!("abc")));
        assert!(s.is_valid(bad, &json!("anything")));
    }
}
