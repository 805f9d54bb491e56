//! Helpers shared by the generator's tests.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

use super::{Generator, Mode};
use crate::contract::schema::{SchemaBuilder, Schemas};

pub(super) const DYNAMIC_SEEDS: u64 = 200;
pub(super) const STATIC_SEEDS: u64 = 20;

pub(super) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub(super) fn document(defs: &Value) -> Value {
    json!({ "definitions": defs })
}

/// The contract's validators for a test document (which holds no schema of its
/// own: every check compiles a validator on first use).
pub(super) fn schemas(root: &Value) -> Schemas {
    SchemaBuilder::default().build(Arc::new(root.clone()), &mut Vec::new())
}

/// A value for `schema`, a schema outside the document whose `$ref`s point into
/// it; checked by its text, as the generator checks schemas it built.
pub(super) fn generate(generator: &Generator<'_>, schema: &Value, rng: &mut StdRng) -> Value {
    let valid = |v: &Value| generator.valid(schema, None, v);
    generator
        .generate_checked(schema, None, valid, rng)
        .unwrap_or_else(|first| first)
}

pub(super) fn validator(root: &Value, name: &str) -> jsonschema::Validator {
    let mut doc = root.clone();
    doc["allOf"] = json!([{ "$ref": format!("#/definitions/{name}") }]);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&doc)
        .expect("test schema compiles")
}

/// Generates `definitions/name` in both modes over many seeds, asserting that
/// jsonschema accepts every value. Returns (static values, dynamic values).
pub(super) fn generate_valid(defs: Value, name: &str) -> (Vec<Value>, Vec<Value>) {
    let root = document(&defs);
    let check = validator(&root, name);
    let schemas = schemas(&root);
    let schema = json!({ "$ref": format!("#/definitions/{name}") });
    let mut out = (Vec::new(), Vec::new());
    for (mode, seeds) in [(Mode::Static, STATIC_SEEDS), (Mode::Dynamic, DYNAMIC_SEEDS)] {
        let generator = Generator::new(&schemas, mode);
        for seed in 0..seeds {
            let v = generate(&generator, &schema, &mut rng(seed));
            assert!(
                check.is_valid(&v),
                "{mode:?} seed {seed}: {v} is not valid for {name}: {:?}",
                check
                    .iter_errors(&v)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            );
            // The contract's validators (mimeo's formats) agree.
            assert!(
                generator.valid(&schema, None, &v),
                "{mode:?} seed {seed}: {v} (contract)"
            );
            match mode {
                Mode::Static => out.0.push(v),
                Mode::Dynamic => out.1.push(v),
            }
        }
    }
    out
}

pub(super) fn one(schema: Value) -> (Vec<Value>, Vec<Value>) {
    generate_valid(json!({ "T": schema }), "T")
}

pub(super) fn distinct(values: &[Value]) -> usize {
    let mut seen: Vec<String> = values.iter().map(Value::to_string).collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

/// A discriminated pet hierarchy: `Pet`, `Dog` and `Cat` (`allOf`), `AnyPet`
/// (`oneOf` with a mapping) and `MaybePet` (`anyOf` with `null`).
pub(super) fn pets() -> Value {
    json!({
        "Pet": {
            "type": "object",
            "required": ["petType", "name"],
            "discriminator": { "propertyName": "petType" },
            "properties": {
                "petType": { "type": "string" },
                "name": { "type": "string", "minLength": 1 }
            }
        },
        "Dog": {
            "allOf": [
                { "$ref": "#/definitions/Pet" },
                { "type": "object", "required": ["bark"], "properties": { "bark": { "type": "boolean" } } }
            ]
        },
        "Cat": {
            "allOf": [
                { "$ref": "#/definitions/Pet" },
                { "type": "object", "properties": { "lives": { "type": "integer", "minimum": 1, "maximum": 9 } } }
            ]
        },
        "AnyPet": {
            "oneOf": [{ "$ref": "#/definitions/Dog" }, { "$ref": "#/definitions/Cat" }],
            "discriminator": { "propertyName": "petType", "mapping": { "dog": "#/definitions/Dog", "cat": "#/definitions/Cat" } }
        },
        "MaybePet": {
            "anyOf": [{ "$ref": "#/definitions/AnyPet" }, { "type": "null" }]
        }
    })
}
