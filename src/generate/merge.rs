//! Merging the schemas that apply to one value into one plain schema.
//!
//! Generating from `allOf` member by member cannot work (each member constrains
//! the same value), so the members and chosen branches are merged into one schema
//! without composition keywords, whose bounds are the tightest of all.

use serde_json::{Map, Value};

use super::array::json_eq;
use super::number::{combine_multiples, lower_bound, number_value, tighter, upper_bound};
use super::typed::type_names;
use super::{as_usize, Generator, EXTRA_PATTERNS};

impl Generator<'_> {
    /// Merges schemas that all apply to one value into one schema without
    /// composition keywords.
    pub(super) fn merge(&self, maps: &[&Value]) -> Value {
        let mut out = Map::new();
        let mut types: Option<Vec<String>> = None;
        let mut required: Vec<Value> = Vec::new();
        let mut members: Option<Vec<Value>> = None;
        let mut patterns: Vec<Value> = Vec::new();
        let mut items: Vec<Value> = Vec::new();
        let mut nots: Vec<Value> = Vec::new();
        let mut lower: Option<(f64, bool)> = None;
        let mut upper: Option<(f64, bool)> = None;
        let mut multiple: Option<f64> = None;
        let mut pattern_props = Map::new();
        let mut additional: Option<Value> = None;
        let mut additional_false = false;
        let mut dependencies = Map::new();
        let mut mins: Vec<(&str, usize)> = Vec::new();
        let mut maxes: Vec<(&str, usize)> = Vec::new();
        for m in maps {
            let Value::Object(o) = m else { continue };
            if let Some(b) = lower_bound(o) {
                lower = Some(tighter(lower, b, true));
            }
            if let Some(b) = upper_bound(o) {
                upper = Some(tighter(upper, b, false));
            }
            for (k, v) in o {
                match k.as_str() {
                    "allOf" | "oneOf" | "anyOf" | "$ref" | "properties" | "minimum" | "maximum"
                    | "exclusiveMinimum" | "exclusiveMaximum" => {}
                    "type" => {
                        let names: Vec<String> =
                            type_names(v).into_iter().map(str::to_string).collect();
                        types = Some(match types.take() {
                            None => names,
                            Some(prev) => intersect_types(&prev, &names),
                        });
                    }
                    "required" => {
                        for r in v.as_array().into_iter().flatten() {
                            if !required.contains(r) {
                                required.push(r.clone());
                            }
                        }
                    }
                    "enum" => {
                        if let Some(a) = v.as_array() {
                            members = Some(match members.take() {
                                None => a.clone(),
                                Some(prev) => prev
                                    .into_iter()
                                    .filter(|x| a.iter().any(|y| json_eq(x, y)))
                                    .collect(),
                            });
                        }
                    }
                    "pattern" => {
                        if !patterns.contains(v) {
                            patterns.push(v.clone());
                        }
                    }
                    "items" => items.push(v.clone()),
                    "not" => nots.push(v.clone()),
                    "minLength" | "minItems" | "minProperties" => {
                        if let Some(n) = as_usize(v) {
                            mins.push((k.as_str(), n));
                        }
                    }
                    "maxLength" | "maxItems" | "maxProperties" => {
                        if let Some(n) = as_usize(v) {
                            maxes.push((k.as_str(), n));
                        }
                    }
                    "multipleOf" => {
                        if let Some(x) = v.as_f64().filter(|x| *x > 0.0 && x.is_finite()) {
                            multiple = Some(match multiple {
                                None => x,
                                Some(p) => combine_multiples(p, x),
                            });
                        }
                    }
                    "uniqueItems" | "readOnly" | "writeOnly" => {
                        if v == &Value::Bool(true) {
                            out.insert(k.clone(), Value::Bool(true));
                        } else {
                            out.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    "patternProperties" => {
                        for (pk, pv) in v.as_object().into_iter().flatten() {
                            pattern_props
                                .entry(pk.clone())
                                .or_insert_with(|| pv.clone());
                        }
                    }
                    "additionalProperties" => match v {
                        Value::Bool(false) => additional_false = true,
                        Value::Object(_) if additional.is_none() => additional = Some(v.clone()),
                        _ => {}
                    },
                    "dependencies" => {
                        for (dk, dv) in v.as_object().into_iter().flatten() {
                            dependencies.entry(dk.clone()).or_insert_with(|| dv.clone());
                        }
                    }
                    _ => {
                        out.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        for (k, n) in mins {
            let n = as_usize(out.get(k).unwrap_or(&Value::Null)).map_or(n, |p| p.max(n));
            out.insert(k.to_string(), Value::from(n as u64));
        }
        for (k, n) in maxes {
            let n = as_usize(out.get(k).unwrap_or(&Value::Null)).map_or(n, |p| p.min(n));
            out.insert(k.to_string(), Value::from(n as u64));
        }
        // Properties: each one gets every constraint any of the schemas puts on it.
        let mut names: Vec<&str> = Vec::new();
        for m in maps {
            for k in m
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|p| p.0)
            {
                if !names.contains(&k.as_str()) {
                    names.push(k);
                }
            }
        }
        let mut props = Map::new();
        for name in names {
            let mut constraints: Vec<Value> = Vec::new();
            let mut allowed = true;
            for m in maps {
                let Value::Object(o) = m else { continue };
                let declared = o
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|p| p.get(name));
                if let Some(d) = declared {
                    constraints.push(d.clone());
                    continue;
                }
                let matched = o
                    .get("patternProperties")
                    .and_then(Value::as_object)
                    .is_some_and(|pp| pp.keys().any(|p| self.is_match(p, name) == Some(true)));
                if matched {
                    continue;
                }
                match o.get("additionalProperties") {
                    Some(Value::Bool(false)) => allowed = false,
                    Some(s @ Value::Object(_)) => constraints.push(s.clone()),
                    _ => {}
                }
            }
            if !allowed && !required.iter().any(|r| r.as_str() == Some(name)) {
                continue;
            }
            let schema = match constraints.len() {
                0 => Value::Object(Map::new()),
                1 => constraints.swap_remove(0),
                _ => {
                    let mut all = Map::new();
                    all.insert("allOf".into(), Value::Array(constraints));
                    Value::Object(all)
                }
            };
            props.insert(name.to_string(), schema);
        }
        if !props.is_empty() {
            out.insert("properties".into(), Value::Object(props));
        }
        if additional_false {
            out.insert("additionalProperties".into(), Value::Bool(false));
        } else if let Some(a) = additional {
            out.insert("additionalProperties".into(), a);
        }
        if !pattern_props.is_empty() {
            out.insert("patternProperties".into(), Value::Object(pattern_props));
        }
        if !dependencies.is_empty() {
            out.insert("dependencies".into(), Value::Object(dependencies));
        }
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
        if let Some(t) = types.filter(|t| !t.is_empty()) {
            out.insert(
                "type".into(),
                Value::Array(t.into_iter().map(Value::String).collect()),
            );
        }
        if let Some(e) = members {
            out.insert("enum".into(), Value::Array(e));
        }
        if let Some((v, exclusive)) = lower {
            out.insert("minimum".into(), number_value(v));
            if exclusive {
                out.insert("exclusiveMinimum".into(), Value::Bool(true));
            }
        }
        if let Some((v, exclusive)) = upper {
            out.insert("maximum".into(), number_value(v));
            if exclusive {
                out.insert("exclusiveMaximum".into(), Value::Bool(true));
            }
        }
        if let Some(m) = multiple {
            out.insert("multipleOf".into(), number_value(m));
        }
        let mut patterns = patterns.into_iter();
        if let Some(p) = patterns.next() {
            out.insert("pattern".into(), p);
        }
        let rest: Vec<Value> = patterns.collect();
        if !rest.is_empty() {
            out.insert(EXTRA_PATTERNS.into(), Value::Array(rest));
        }
        match items.len() {
            0 => {}
            1 => {
                out.insert("items".into(), items.swap_remove(0));
            }
            _ if items.iter().all(Value::is_object) => {
                let mut all = Map::new();
                all.insert("allOf".into(), Value::Array(items));
                out.insert("items".into(), Value::Object(all));
            }
            _ => {
                out.insert("items".into(), items.swap_remove(0));
            }
        }
        match nots.len() {
            0 => {}
            1 => {
                out.insert("not".into(), nots.swap_remove(0));
            }
            _ => {
                let mut any = Map::new();
                any.insert("anyOf".into(), Value::Array(nots));
                out.insert("not".into(), Value::Object(any));
            }
        }
        Value::Object(out)
    }
}

fn intersect_types(prev: &[String], next: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in prev {
        let kept = if next.contains(t) {
            Some(t.as_str())
        } else if (t == "number" && next.iter().any(|n| n == "integer"))
            || (t == "integer" && next.iter().any(|n| n == "number"))
        {
            Some("integer")
        } else {
            None
        };
        if let Some(k) = kept {
            if !out.iter().any(|o| o == k) {
                out.push(k.to_string());
            }
        }
    }
    out
}
