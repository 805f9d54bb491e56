//! Objects: which properties to include and what goes in them.
//!
//! Required properties always, optional ones by mode and depth, `dependencies`
//! followed, `patternProperties` honoured on every name, and extra entries for
//! `minProperties` and map-like objects (`additionalProperties` schemas).

use std::borrow::Cow;

use rand::rngs::StdRng;
use rand::RngExt;
use serde_json::{Map, Value};

use super::string::random_word;
use super::{down, get_usize, At, Ctx, Generator, Mode, Step, TRUE};

const MAX_PROPERTIES: usize = 256;

impl Generator<'_> {
    fn is_write_only(&self, schema: &Value) -> bool {
        schema.get("writeOnly") == Some(&Value::Bool(true))
            || self.resolve(schema).schema.get("writeOnly") == Some(&Value::Bool(true))
    }

    /// Whether a schema asks for a value that cannot hold others (a string, a
    /// number, a boolean, an enum member), so generating it cannot recurse.
    fn is_scalar(&self, schema: &Value) -> bool {
        let s = self.resolve(schema).schema;
        if s.get("enum").is_some() || s.get("const").is_some() {
            return true;
        }
        let names = s
            .get("type")
            .map(super::typed::type_names)
            .unwrap_or_default();
        !names.is_empty()
            && names
                .iter()
                .all(|t| matches!(*t, "string" | "integer" | "number" | "boolean" | "null"))
    }

    /// The `patternProperties` schemas that apply to `name`.
    fn pattern_schemas<'s>(
        &self,
        pattern_props: Option<&'s Map<String, Value>>,
        name: &str,
    ) -> Vec<&'s Value> {
        pattern_props
            .into_iter()
            .flatten()
            .filter(|(p, _)| self.is_match(p, name) == Some(true))
            .map(|(_, s)| s)
            .collect()
    }

    pub(super) fn gen_object(
        &self,
        obj: &Map<String, Value>,
        place: At<'_>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let empty = Map::new();
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let pattern_props = obj
            .get("patternProperties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty());
        let additional = obj.get("additionalProperties");
        let additional_allowed = !matches!(additional, Some(Value::Bool(false)));
        let additional_schema = match additional {
            Some(v @ Value::Object(_)) => v,
            _ => &TRUE,
        };
        let mut slot = None;
        let additional_place = match additional {
            Some(Value::Object(_)) => down(place, Step::Key("additionalProperties"), &mut slot),
            _ => None,
        };
        let min_props = get_usize(obj, "minProperties")
            .unwrap_or(0)
            .min(MAX_PROPERTIES);
        let max_props = get_usize(obj, "maxProperties");
        let at_limit = self.at_limit(ctx);

        // Which declared properties to include. Past the limits (deep or
        // recursive references, much generated already) only scalar ones are
        // added: they cannot recurse, and an item keeps some substance.
        let mut include: Vec<(&str, bool)> = Vec::with_capacity(props.len());
        let optional =
            |schema: &Value| !self.is_write_only(schema) && (!at_limit || self.is_scalar(schema));
        for (name, schema) in props {
            let is_required = required.contains(&name.as_str());
            let wanted = is_required
                || (optional(schema)
                    && match mode {
                        Mode::Static => true,
                        Mode::Dynamic => at_limit || rng.random_bool(self.limits.optional),
                    });
            include.push((name.as_str(), wanted));
        }
        // An object whose schema declares properties is never sent empty (a
        // list of `{}` says nothing): one optional property at least.
        if !include.iter().any(|(_, w)| *w) && required.is_empty() && max_props != Some(0) {
            let open: Vec<usize> = props
                .values()
                .enumerate()
                .filter(|(_, s)| optional(s))
                .map(|(i, _)| i)
                .collect();
            if !open.is_empty() {
                let pick = match mode {
                    Mode::Static => 0,
                    Mode::Dynamic => rng.random_range(0..open.len()),
                };
                include[open[pick]].1 = true;
            }
        }
        // Required names without a declaration.
        let mut undeclared: Vec<&str> = Vec::new();
        for name in &required {
            if !props.contains_key(*name) && !undeclared.contains(name) {
                undeclared.push(name);
            }
        }
        // Property dependencies: a present key may bring others along.
        if let Some(Value::Object(deps)) = obj.get("dependencies") {
            for _ in 0..8 {
                let mut changed = false;
                for (key, dep) in deps {
                    let present = include.iter().any(|(n, w)| *w && n == key)
                        || undeclared.contains(&key.as_str());
                    let Value::Array(names) = dep else { continue };
                    if !present {
                        continue;
                    }
                    for n in names.iter().filter_map(Value::as_str) {
                        if let Some(slot) = include.iter_mut().find(|(p, _)| *p == n) {
                            if !slot.1 {
                                slot.1 = true;
                                changed = true;
                            }
                        } else if !undeclared.contains(&n) {
                            undeclared.push(n);
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        // maxProperties: drop optional properties from the end.
        if let Some(max) = max_props {
            let mut count = include.iter().filter(|i| i.1).count() + undeclared.len();
            for slot in include.iter_mut().rev() {
                if count <= max {
                    break;
                }
                if slot.1 && !required.contains(&slot.0) {
                    slot.1 = false;
                    count -= 1;
                }
            }
        }

        let mut out = Map::new();
        for (name, wanted) in &include {
            if !wanted {
                continue;
            }
            let Some(schema) = props.get(*name) else {
                continue;
            };
            let extra = self.pattern_schemas(pattern_props, name);
            let v = if extra.is_empty() {
                let mut slot = None;
                let at = down(place, Step::Entry("properties", name), &mut slot);
                self.gen(schema, at, ctx, mode, rng)
            } else {
                let mut all = vec![schema.clone()];
                all.extend(extra.into_iter().cloned());
                self.gen(&all_of(all), None, ctx, mode, rng)
            };
            out.insert((*name).to_string(), v);
        }
        for name in undeclared {
            let extra = self.pattern_schemas(pattern_props, name);
            let v = if extra.is_empty() {
                self.gen(additional_schema, additional_place, ctx, mode, rng)
            } else {
                self.gen(
                    &all_of(extra.into_iter().cloned().collect()),
                    None,
                    ctx,
                    mode,
                    rng,
                )
            };
            out.insert(name.to_string(), v);
        }

        // Extra properties: for minProperties, and a few entries for map-like objects.
        let mut target = min_props;
        let map_like = props.is_empty() && additional_schema.is_object() && !at_limit;
        if map_like {
            let entries = match mode {
                Mode::Static => 1,
                Mode::Dynamic => rng.random_range(1..=self.limits.items),
            };
            target = target.max(out.len() + entries);
        }
        if let Some(max) = max_props {
            target = target.min(max);
        }
        let mut serial = 0usize;
        let mut tries = 0;
        while out.len() < target && tries < 64 {
            tries += 1;
            // The schema of the new entry, and its place when it is the document's.
            let (key, schema, at) = if additional_allowed {
                serial += 1;
                let key = match mode {
                    Mode::Static => format!("additionalProp{serial}"),
                    Mode::Dynamic => random_word(rng, 4, 10),
                };
                let extra = self.pattern_schemas(pattern_props, &key);
                if extra.is_empty() {
                    (key, Cow::Borrowed(additional_schema), additional_place)
                } else {
                    let all = all_of(extra.into_iter().cloned().collect());
                    (key, Cow::Owned(all), None)
                }
            } else if let Some(pp) = pattern_props {
                let Some((pattern, _)) = pp.iter().nth(tries % pp.len()) else {
                    break;
                };
                let Some(key) =
                    self.string_from_pattern(&[pattern.as_str()], 1, Some(32), Mode::Dynamic, rng)
                else {
                    continue;
                };
                let extra = self.pattern_schemas(pattern_props, &key);
                let all = all_of(extra.into_iter().cloned().collect());
                (key, Cow::Owned(all), None)
            } else {
                break;
            };
            if out.contains_key(&key) || props.contains_key(&key) {
                continue;
            }
            let v = self.gen(&schema, at, ctx, mode, rng);
            out.insert(key, v);
        }
        Value::Object(out)
    }
}

fn all_of(schemas: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert("allOf".into(), Value::Array(schemas));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn objects() {
        let schema = json!({
            "type": "object",
            "required": ["id"],
            "additionalProperties": false,
            "properties": {
                "id": { "type": "string", "readOnly": true },
                "name": { "type": "string" },
                "secret": { "type": "string", "writeOnly": true },
                "age": { "type": "integer", "minimum": 0 }
            }
        });
        let (st, dy) = one(schema);
        assert_eq!(st[0], json!({ "id": "string", "name": "string", "age": 0 }));
        assert!(dy
            .iter()
            .all(|v| v.get("id").is_some() && v.get("secret").is_none()));
        assert!(dy.iter().any(|v| v.get("name").is_none()));
        assert!(dy.iter().any(|v| v.get("name").is_some()));
        // A required writeOnly property stays: validity first.
        one(
            json!({ "type": "object", "required": ["pw"], "properties": { "pw": { "type": "string", "writeOnly": true } } }),
        );
        // Never an empty object when properties are declared.
        let (st, dy) =
            one(json!({ "type": "object", "properties": { "a": { "type": "string" } } }));
        assert_eq!(st[0], json!({ "a": "string" }));
        assert!(dy.iter().all(|v| v.get("a").is_some()));
        let (_, dy) = one(json!({ "type": "object", "properties": {
            "a": { "type": "string" }, "b": { "type": "integer" } } }));
        assert!(dy
            .iter()
            .all(|v| v.as_object().is_some_and(|m| !m.is_empty())));
        // Maps.
        let (st, dy) =
            one(json!({ "type": "object", "additionalProperties": { "type": "integer" } }));
        assert_eq!(st[0], json!({ "additionalProp1": 0 }));
        assert!(dy
            .iter()
            .all(|v| v.as_object().is_some_and(|m| (1..=3).contains(&m.len()))));
        one(
            json!({ "type": "object", "minProperties": 3, "maxProperties": 4, "properties": { "a": { "type": "string" } } }),
        );
        one(
            json!({ "type": "object", "maxProperties": 1, "properties": { "a": { "type": "string" }, "b": { "type": "string" } } }),
        );
        one(
            json!({ "type": "object", "required": ["x"], "additionalProperties": { "type": "boolean" } }),
        );
        one(json!({
            "type": "object",
            "additionalProperties": false,
            "minProperties": 2,
            "patternProperties": { "^x-[a-z]+$": { "type": "integer" } }
        }));
        one(json!({
            "type": "object",
            "properties": { "foo": { "type": "string" } },
            "patternProperties": { "^f": { "minLength": 8 } }
        }));
        one(
            json!({ "type": "object", "properties": { "a": { "type": "string" } }, "dependencies": { "a": ["b"] } }),
        );
        // The object from the contract: an id type and a bounded list of values.
        let (st, _) = one(json!({
            "type": "object",
            "required": ["idType", "values"],
            "properties": {
                "idType": { "type": "string", "minLength": 2, "maxLength": 30 },
                "values": { "type": "array", "maxItems": 100, "items": { "type": "string" } }
            }
        }));
        assert_eq!(st[0], json!({ "idType": "string", "values": ["string"] }));
    }
}
