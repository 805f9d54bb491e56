//! OpenAPI 3.0 schemas as compiled JSON Schema validators.
//!
//! OpenAPI 3.0 speaks a dialect of JSON Schema draft 4 (`nullable`, boolean
//! `exclusiveMinimum`, `$ref` siblings ignored). We rewrite the dialect once at
//! load time into plain draft 4 and compile every schema the contract uses into a
//! validator, so no request ever pays for parsing or compiling a schema.
//!
//! These validators are mimeo's one definition of a valid value: the mock checks
//! requests and answers with them, and the value generator asks them (through
//! `Schemas::is_valid_at` and `Schemas::is_valid_against`, for the parts of
//! schemas it generates from) whether a value it made will do. Those extra
//! validators are compiled the same way, on first use, and kept.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use indexmap::IndexMap;
use jsonschema::{Registry, Validator};
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
    validators: Vec<Option<Validator>>,
    /// The converted schema at each id, for generating values and reading limits.
    sources: Vec<Value>,
    /// Where each schema came from in the document (its JSON pointer).
    locations: Vec<String>,
    /// The converted document, shared with the contract: what `$ref`s point into.
    document: Arc<Value>,
    /// The registry holding `document`, kept to compile more validators later
    /// (`None` when the document cannot be a registry: nothing is validated then).
    registry: Option<Registry<'static>>,
    /// Validators for other schemas, compiled on first use.
    on_demand: OnDemand,
}

/// Validators compiled after load, when the generator first checks a value against
/// a schema the contract did not compile: a part of one (a property, a branch), or
/// a schema the generator built from several (a merged `allOf`).
#[derive(Default)]
struct OnDemand {
    /// By JSON pointer into the document. The document never changes after load, so
    /// an entry never goes stale, and there is at most one per schema it holds:
    /// bounded by the document, compiled once per process, shared by all requests.
    at: RwLock<HashMap<String, Option<Validator>>>,
    /// By the text of a schema that is not in the document. Those are made per
    /// request but repeat, so the last [`BUILT_KEPT`] are kept (oldest dropped first).
    built: RwLock<IndexMap<String, Option<Validator>>>,
}

/// How many validators of schemas built outside the document are kept.
const BUILT_KEPT: usize = 256;

impl Schemas {
    /// The converted (draft 4) schema with this id.
    pub(crate) fn source(&self, id: SchemaId) -> &Value {
        &self.sources[id.0]
    }

    /// The JSON pointer in the document the schema with this id was taken from.
    pub(crate) fn location(&self, id: SchemaId) -> &str {
        &self.locations[id.0]
    }

    /// Whether `value` is valid. A schema that failed to compile accepts everything
    /// (and was reported as a warning at load time).
    pub(crate) fn is_valid(&self, id: SchemaId, value: &Value) -> bool {
        match &self.validators[id.0] {
            Some(v) => v.is_valid(value),
            None => true,
        }
    }

    /// The converted document the schemas were taken from.
    pub(crate) fn document(&self) -> &Value {
        &self.document
    }

    /// Whether `value` is valid against the schema at `pointer` in the document,
    /// compiled on first use and kept. A pointer to nothing, or a schema that cannot
    /// compile, accepts everything (as [`Schemas::is_valid`] does).
    pub(crate) fn is_valid_at(&self, pointer: &str, value: &Value) -> bool {
        let at = &self.on_demand.at;
        if let Some(v) = at
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(pointer)
        {
            return v.as_ref().is_none_or(|v| v.is_valid(value));
        }
        // Compiled outside the lock: another thread may do the same meanwhile, and
        // the first one stored wins.
        let compiled = self
            .document
            .pointer(pointer)
            .and_then(|schema| self.compile(schema, "urn:mimeo:part").ok());
        let mut map = at.write().unwrap_or_else(PoisonError::into_inner);
        let v = map.entry(pointer.to_string()).or_insert(compiled);
        v.as_ref().is_none_or(|v| v.is_valid(value))
    }

    /// Whether `value` is valid against `schema`, a schema whose `$ref`s point into
    /// the document but which is not in it (the generator's merged `allOf`s).
    /// Compiled on first use and kept among the last [`BUILT_KEPT`], by its text.
    pub(crate) fn is_valid_against(&self, schema: &Value, value: &Value) -> bool {
        let key = schema.to_string();
        let built = &self.on_demand.built;
        if let Some(v) = built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return v.as_ref().is_none_or(|v| v.is_valid(value));
        }
        let compiled = self.compile(schema, "urn:mimeo:built").ok();
        let mut map = built.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= BUILT_KEPT && !map.contains_key(&key) {
            map.shift_remove_index(0);
        }
        let v = map.entry(key).or_insert(compiled);
        v.as_ref().is_none_or(|v| v.is_valid(value))
    }

    fn compile(&self, schema: &Value, base: &str) -> Result<Validator, String> {
        let registry = self.registry.as_ref().ok_or("no registry")?;
        compile(registry, schema, base)
    }

    /// Every violation of schema `id` by `value`.
    pub(crate) fn violations(&self, id: SchemaId, value: &Value) -> Vec<SchemaViolation> {
        let Some(v) = &self.validators[id.0] else {
            return Vec::new();
        };
        v.iter_errors(value)
            .map(|e| {
                let rule = e.kind().keyword();
                let message = e.to_string();
                match format_range(rule, &message) {
                    Some(format) => SchemaViolation {
                        pointer: e.instance_path().as_str().to_string(),
                        rule: "format".into(),
                        message: format!(
                            "{} is outside the range of format {format}",
                            e.instance()
                        ),
                    },
                    None => SchemaViolation {
                        pointer: e.instance_path().as_str().to_string(),
                        rule: rule.to_string(),
                        message,
                    },
                }
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
    /// The registry shares the document (no copy) and is kept for the validators
    /// `Schemas::is_valid_at` and `Schemas::is_valid_against` compile later.
    pub(crate) fn build(self, document: Arc<Value>, warnings: &mut Vec<String>) -> Schemas {
        let registry = Registry::new()
            .draft(jsonschema::Draft::Draft4)
            .add(DOCUMENT_URI, Arc::clone(&document))
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
                match compile(registry, source, &format!("urn:mimeo:schema:{i}")) {
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
            locations: self.locations,
            document,
            registry,
            on_demand: OnDemand::default(),
        }
    }
}

/// Compiles one converted schema, the one way every validator of the contract is
/// compiled: checked against the draft 4 meta-schema, its local `$ref`s pointed at
/// the document in `registry`, with mimeo's [`options`].
fn compile(registry: &Registry<'static>, schema: &Value, base: &str) -> Result<Validator, String> {
    jsonschema::draft4::meta::validate(schema).map_err(|e| e.to_string())?;
    let mut schema = schema.clone();
    absolute_refs(&mut schema);
    options()
        .with_registry(registry)
        .with_base_uri(base)
        .build(&schema)
        .map_err(|e| e.to_string())
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
    int_format_bounds(map);
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
fn format_range(rule: &str, message: &str) -> Option<&'static str> {
    if rule != "minimum" && rule != "maximum" {
        return None;
    }
    INT_FORMATS.iter().find_map(|(name, lo, hi)| {
        let bound = if rule == "minimum" { lo } else { hi };
        message.ends_with(&format!(" of {bound}")).then_some(*name)
    })
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
        let s = b.build(Arc::new(doc), &mut warnings);
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
        let s = b.build(Arc::new(doc), &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.is_valid(id, &json!({"default": "ab", "enum": {"$ref": "#/literal"}})));
        assert!(!s.is_valid(id, &json!({"default": "abc"})));
        assert!(!s.is_valid(
            id,
            &json!({"enum": {"$ref": "urn:mimeo:contract#/literal"}})
        ));
    }

    #[test]
    fn parts_and_built_schemas_validate_like_the_contract() {
        let doc = json!({"components": {"schemas": {
            "Id": {"type": "string", "format": "uuid"},
            "Day": {"type": "string", "format": "date"},
            "Pair": {"type": "object", "properties": {
                "id": {"$ref": "#/components/schemas/Id"},
                "a/b": {"type": "integer", "maximum": 3}}}}}});
        let s = SchemaBuilder::default().build(Arc::new(doc), &mut Vec::new());
        let id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
        // A part of the document, by pointer: `$ref`s and mimeo's formats included.
        assert!(s.is_valid_at("/components/schemas/Pair", &json!({"id": id})));
        assert!(!s.is_valid_at("/components/schemas/Pair", &json!({"id": "x"})));
        assert!(s.is_valid_at("/components/schemas/Pair/properties/a~1b", &json!(3)));
        assert!(!s.is_valid_at("/components/schemas/Pair/properties/a~1b", &json!(4)));
        // The `date` check mimeo adds (lenient about the day of the month).
        assert!(s.is_valid_at("/components/schemas/Day", &json!("2023-02-31")));
        assert!(!s.is_valid_at("/components/schemas/Day", &json!("2023-13-01")));
        // Nothing there: anything goes, as for a schema that cannot compile.
        assert!(s.is_valid_at("/nowhere", &json!(1)));
        // A schema outside the document whose `$ref`s point into it.
        let built = json!({"allOf": [{"$ref": "#/components/schemas/Pair"}, {"required": ["id"]}]});
        assert!(s.is_valid_against(&built, &json!({"id": id})));
        assert!(!s.is_valid_against(&built, &json!({})));
        assert!(!s.is_valid_against(&built, &json!({"id": "x"})));
    }

    #[test]
    fn built_schemas_kept_are_bounded() {
        let s = SchemaBuilder::default().build(Arc::new(json!({})), &mut Vec::new());
        for n in 0..BUILT_KEPT + 10 {
            assert!(!s.is_valid_against(&json!({"maximum": n}), &json!(n + 1)));
        }
        let kept = s
            .on_demand
            .built
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        assert_eq!(kept.len(), BUILT_KEPT);
        // The oldest went first.
        assert!(!kept.contains_key(&json!({"maximum": 0}).to_string()));
        assert!(kept.contains_key(&json!({"maximum": BUILT_KEPT + 9}).to_string()));
    }

    #[test]
    fn a_broken_schema_is_set_aside_with_a_warning() {
        let mut b = SchemaBuilder::default();
        let good = b.add("/good", &json!({"type": "string", "maxLength": 2}));
        let bad = b.add("/bad", &json!({"type": "string", "pattern": "(unclosed"}));
        let mut warnings = Vec::new();
        let s = b.build(Arc::new(json!({})), &mut warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("/bad"), "{warnings:?}");
        assert!(!s.is_valid(good, &json!("abc")));
        assert!(s.is_valid(bad, &json!("anything")));
    }
}
