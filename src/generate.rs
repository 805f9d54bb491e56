//! Generates JSON values from JSON Schemas.
//!
//! When a contract has no example for a response body or header, the mock server
//! still has to answer with something, and it validates everything it sends against
//! the contract. This module builds those values from the contract's schemas (OpenAPI
//! 3.0 schemas already converted to JSON Schema draft 4, with `$ref`s pointing into one
//! root document). The values are:
//!
//! - valid: every keyword the generator understands is honoured, and each value is
//!   checked by a small built-in draft-4 validator and regenerated (a bounded number
//!   of times) when a combination of keywords defeated the first attempt;
//! - deterministic: the same schema and the same random generator state give the same
//!   value, which keeps snapshot tests stable;
//! - readable in [`Mode::Static`] (examples, defaults, placeholders such as `"string"`)
//!   and varied in [`Mode::Dynamic`].
//!
//! Patterns are honoured with `rand_regex` on a `regex_syntax` parse of the pattern;
//! a small Pike VM over the same parse checks the results (anchors, several patterns
//! on one string, length limits), since `rand_regex` cannot handle assertions.
//!
//! Nothing here panics on any input: unknown or malformed schemas yield `null` or
//! another sensible value, recursion is bounded, and every loop has a fixed budget.

use std::cell::Cell;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, OnceLock};

use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::RngExt;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition,
};
use serde_json::{Map, Number, Value};

/// How values are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Stable, readable values: the schema's `example`, else its `default`, else its
    /// first `enum` member, else a placeholder; every property except `writeOnly`
    /// ones; one array item. What the mock server uses unless told otherwise.
    #[default]
    Static,
    /// Random values within the schema: random enum members, lengths and counts,
    /// optional properties present with probability 0.7. Examples are ignored.
    Dynamic,
}

/// Generates values for schemas living in (or pointing into) one root document.
pub struct Generator<'a> {
    root: &'a Value,
    mode: Mode,
    limits: Limits,
}

/// Parsed patterns by source text (`None` when a pattern cannot be parsed), shared
/// by every generator so a per-request generator does not parse them again.
static PATTERNS: OnceLock<Mutex<HashMap<String, Arc<Option<Pattern>>>>> = OnceLock::new();

/// Bounds that keep generation small and finite.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// `$ref` hops along one path after which optional content is left out.
    ref_depth: u32,
    /// Times one reference may recur along a path (recursive schemas) before
    /// optional content is left out.
    recursion: u32,
    /// Nesting depth after which values are cut short (no recursion at all).
    depth: u32,
    /// Longest unconstrained string in dynamic mode.
    string_len: usize,
    /// Most items in an unconstrained array in dynamic mode.
    items: usize,
    /// Probability of an optional property in dynamic mode.
    optional: f64,
    /// Probability of `null` for a nullable type in dynamic mode.
    null: f64,
    /// Attempts at a composite (`allOf`/`oneOf`/`anyOf`/`not`) schema.
    attempts: usize,
    /// Regenerations allowed during one `generate` call, across all levels.
    retry_budget: u32,
    /// Schema nodes visited in one `generate` call after which optional content is
    /// left out, and after which nothing nested is generated at all.
    soft_nodes: u32,
    hard_nodes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ref_depth: 8,
            recursion: 2,
            depth: 48,
            string_len: 24,
            items: 3,
            optional: 0.7,
            null: 0.1,
            attempts: 6,
            retry_budget: 64,
            soft_nodes: 5_000,
            hard_nodes: 50_000,
        }
    }
}

/// The schema an unresolvable reference stands for: anything.
static TRUE: Value = Value::Bool(true);
/// Private keyword of merged (`allOf`) schemas: patterns beyond the first.
const EXTRA_PATTERNS: &str = "x-mimeo-patterns";
/// Most `$ref` hops followed in a row before giving up on a reference chain.
const MAX_HOPS: u32 = 32;
/// Largest string, array or object the generator builds to satisfy a minimum.
const MAX_STRING: usize = 4096;
const MAX_ITEMS: usize = 1024;
const MAX_PROPERTIES: usize = 256;
/// Depth after which the built-in validator stops looking and says "valid".
const VALIDATE_DEPTH: u32 = 96;
const WORD: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Per-call state threaded through generation.
#[derive(Clone, Copy)]
struct Ctx<'c> {
    depth: u32,
    /// `$ref` hops taken to get here.
    refs: u32,
    /// Most times any reference on the way here had already been taken before.
    recursion: u32,
    /// The references taken to get here, innermost first.
    path: Option<&'c RefPath<'c>>,
    budget: &'c Cell<u32>,
    nodes: &'c Cell<u32>,
}

/// One reference on the way to the schema being generated.
struct RefPath<'c> {
    reference: &'c str,
    parent: Option<&'c RefPath<'c>>,
}

impl Ctx<'_> {
    /// Takes one regeneration from the call's budget.
    fn retry(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }
}

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
fn type_names(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// One node of the merged `allOf` walk: where it was reached from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Top,
    AllOf,
    Branch,
}

/// The schemas an `allOf`/`oneOf`/`anyOf` schema stands for on one attempt.
struct Flat<'s> {
    maps: Vec<&'s Value>,
    /// Set when the schema is only a choice: generate this branch as it is.
    direct: Option<&'s Value>,
    hops: u32,
    /// Discriminator properties to set: (property, value).
    fixes: Vec<(String, String)>,
}

impl<'a> Generator<'a> {
    /// A generator for schemas whose `$ref`s point into `root`.
    pub fn new(root: &'a Value, mode: Mode) -> Self {
        Generator {
            root,
            mode,
            limits: Limits::default(),
        }
    }

    /// Generates a value for `schema`. Same schema + same rng state => same value.
    pub fn generate(&self, schema: &Value, rng: &mut StdRng) -> Value {
        let budget = Cell::new(self.limits.retry_budget);
        let nodes = Cell::new(0);
        let ctx = Ctx {
            depth: 0,
            refs: 0,
            recursion: 0,
            path: None,
            budget: &budget,
            nodes: &nodes,
        };
        let first = self.gen(schema, ctx, self.mode, rng);
        if self.valid(schema, &first) {
            return first;
        }
        for _ in 0..3 {
            if !ctx.retry() {
                break;
            }
            nodes.set(0);
            let again = self.gen(schema, ctx, Mode::Dynamic, rng);
            if self.valid(schema, &again) {
                return again;
            }
        }
        first
    }

    // ----------------------------------------------------------------------------
    // References

    /// Follows `$ref`s from `schema`. Returns the target, the number of hops and the
    /// last reference followed. A dangling or looping reference stands for `true`.
    fn resolve<'s>(&'s self, schema: &'s Value) -> (&'s Value, u32, Option<&'s str>) {
        let mut current = schema;
        let mut hops = 0;
        let mut via = None;
        while let Some(r) = current.get("$ref").and_then(Value::as_str) {
            if hops >= MAX_HOPS {
                return (&TRUE, hops, via);
            }
            match self.lookup(r) {
                Some(target) => {
                    current = target;
                    hops += 1;
                    via = Some(r);
                }
                None => return (&TRUE, hops + 1, Some(r)),
            }
        }
        (current, hops, via)
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(self.root);
        }
        if let Some(found) = self.root.pointer(fragment) {
            return Some(found);
        }
        let decoded = percent_decode(fragment)?;
        self.root.pointer(&decoded)
    }

    // ----------------------------------------------------------------------------
    // Generation

    /// Whether generation should stop adding optional content: too many `$ref`s
    /// deep (recursive schemas) or too much generated already.
    fn at_limit(&self, ctx: Ctx<'_>) -> bool {
        ctx.refs >= self.limits.ref_depth
            || ctx.recursion >= self.limits.recursion
            || ctx.nodes.get() >= self.limits.soft_nodes
    }

    fn gen(&self, schema: &Value, ctx: Ctx<'_>, mode: Mode, rng: &mut StdRng) -> Value {
        ctx.nodes.set(ctx.nodes.get().saturating_add(1));
        if ctx.depth >= self.limits.depth || ctx.nodes.get() >= self.limits.hard_nodes {
            return self.shallow(schema, rng);
        }
        let (schema, hops, via) = self.resolve(schema);
        let node;
        let ctx = match via {
            Some(reference) => {
                let mut seen = 0;
                let mut at = ctx.path;
                while let Some(p) = at {
                    seen += u32::from(p.reference == reference);
                    at = p.parent;
                }
                node = RefPath {
                    reference,
                    parent: ctx.path,
                };
                Ctx {
                    depth: ctx.depth + 1,
                    refs: ctx.refs.saturating_add(hops),
                    recursion: ctx.recursion.max(seen),
                    path: Some(&node),
                    ..ctx
                }
            }
            None => Ctx {
                depth: ctx.depth + 1,
                ..ctx
            },
        };
        let obj = match schema {
            Value::Object(o) => o,
            Value::Bool(true) => return self.gen_any(mode, rng),
            _ => return Value::Null,
        };
        if mode == Mode::Static {
            for key in ["example", "default"] {
                if let Some(v) = obj.get(key) {
                    if self.valid(schema, v) {
                        return v.clone();
                    }
                }
            }
        }
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(members)) = obj.get("enum") {
            if let Some(v) = self.pick_enum(schema, members, ctx, mode, rng) {
                return v;
            }
        }
        if ["allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| obj.contains_key(*k))
        {
            return self.gen_composite(schema, via, ctx, mode, rng);
        }
        let Some(not) = obj.get("not") else {
            return self.gen_typed(obj, ctx, mode, rng);
        };
        let mut first = None;
        for attempt in 0..self.limits.attempts {
            if attempt > 0 && !ctx.retry() {
                break;
            }
            let m = if attempt == 0 { mode } else { Mode::Dynamic };
            let v = self.gen_typed(obj, ctx, m, rng);
            if !self.valid(not, &v) {
                return v;
            }
            first.get_or_insert(v);
        }
        first.unwrap_or(Value::Null)
    }

    /// A value built without recursing, for when the nesting limit is reached.
    fn shallow(&self, schema: &Value, rng: &mut StdRng) -> Value {
        let (schema, _, _) = self.resolve(schema);
        let Value::Object(o) = schema else {
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
    fn gen_any(&self, mode: Mode, rng: &mut StdRng) -> Value {
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

    fn pick_enum(
        &self,
        schema: &Value,
        members: &[Value],
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Option<Value> {
        let first = members.first()?;
        let ok = |v: &&Value| self.valid(schema, v);
        let pick = match mode {
            Mode::Static => {
                let null = if self.at_limit(ctx) {
                    members.iter().filter(|v| v.is_null()).find(ok)
                } else {
                    None
                };
                null.or_else(|| members.iter().filter(|v| !v.is_null()).find(ok))
                    .or_else(|| members.iter().find(ok))
            }
            Mode::Dynamic => {
                let n = members.len();
                let start = rng.random_range(0..n);
                (0..n).map(|i| &members[(start + i) % n]).find(ok)
            }
        };
        Some(pick.unwrap_or(first).clone())
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

    fn gen_typed(
        &self,
        obj: &Map<String, Value>,
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
            Ty::Array => self.gen_array(obj, ctx, mode, rng),
            Ty::Object => self.gen_object(obj, ctx, mode, rng),
            Ty::Any => self.gen_any(mode, rng),
        }
    }

    // ----------------------------------------------------------------------------
    // Composition

    fn gen_composite(
        &self,
        schema: &Value,
        via: Option<&str>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let mut first: Option<Value> = None;
        for attempt in 0..self.limits.attempts {
            if attempt > 0 && !ctx.retry() {
                break;
            }
            let m = if attempt == 0 || (mode == Mode::Static && attempt < 3) {
                mode
            } else {
                Mode::Dynamic
            };
            let flat = self.flatten(schema, via, attempt, ctx, m, rng);
            let mut v = match flat.direct {
                Some(branch) => self.gen(branch, ctx, m, rng),
                None => {
                    let merged = self.merge(&flat.maps);
                    let inner = Ctx {
                        refs: ctx.refs.saturating_add(flat.hops),
                        ..ctx
                    };
                    self.gen(&merged, inner, m, rng)
                }
            };
            for (prop, name) in &flat.fixes {
                if let Value::Object(o) = &v {
                    if o.get(prop).and_then(Value::as_str) == Some(name.as_str()) {
                        continue;
                    }
                    let mut fixed = o.clone();
                    fixed.insert(prop.clone(), Value::String(name.clone()));
                    let fixed = Value::Object(fixed);
                    if self.valid(schema, &fixed) {
                        v = fixed;
                    }
                }
            }
            if self.valid(schema, &v) {
                return v;
            }
            first.get_or_insert(v);
        }
        first.unwrap_or(Value::Null)
    }

    /// Collects the schemas `schema` combines on this attempt: itself, its `allOf`
    /// members (recursively) and one chosen branch of each `oneOf`/`anyOf`.
    fn flatten<'s>(
        &'s self,
        schema: &'s Value,
        via: Option<&str>,
        attempt: usize,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Flat<'s> {
        let mut flat = Flat {
            maps: Vec::new(),
            direct: None,
            hops: 0,
            fixes: Vec::new(),
        };
        let mut chosen_top: Vec<&'s Value> = Vec::new();
        let mut stack: Vec<(&'s Value, u32, Origin)> = vec![(schema, 0, Origin::Top)];
        while let Some((v, hops, origin)) = stack.pop() {
            if flat.maps.len() >= 64 {
                break;
            }
            let (r, more, _) = self.resolve(v);
            let Value::Object(o) = r else { continue };
            if flat.maps.iter().any(|m| std::ptr::eq(*m, r)) {
                continue;
            }
            let hops = hops.saturating_add(more);
            flat.hops = flat.hops.max(hops);
            flat.maps.push(r);
            let discriminator = o
                .get("discriminator")
                .and_then(Value::as_object)
                .and_then(|d| Some((d, d.get("propertyName")?.as_str()?)));
            let mut children: Vec<(&'s Value, Origin)> = Vec::new();
            if let Some(Value::Array(all)) = o.get("allOf") {
                let next = if origin == Origin::Branch {
                    Origin::Branch
                } else {
                    Origin::AllOf
                };
                children.extend(all.iter().map(|c| (c, next)));
            }
            for key in ["oneOf", "anyOf"] {
                let Some(Value::Array(branches)) = o.get(key) else {
                    continue;
                };
                let Some(i) = self.choose_branch(branches, attempt, ctx, mode, rng) else {
                    continue;
                };
                let branch = &branches[i];
                children.push((branch, Origin::Branch));
                if origin == Origin::Top {
                    chosen_top.push(branch);
                }
                if let (Some((d, prop)), Some(r)) =
                    (discriminator, branch.get("$ref").and_then(Value::as_str))
                {
                    flat.fixes
                        .push((prop.to_string(), discriminator_value(d, r)));
                }
            }
            if origin == Origin::AllOf {
                if let (Some((d, prop)), Some(via)) = (discriminator, via) {
                    flat.fixes
                        .push((prop.to_string(), discriminator_value(d, via)));
                }
            }
            for child in children.into_iter().rev() {
                stack.push((child.0, hops, child.1));
            }
        }
        if let (Some(Value::Object(top)), [only]) = (flat.maps.first(), chosen_top.as_slice()) {
            let choice_only = top
                .keys()
                .all(|k| k == "oneOf" || k == "anyOf" || is_annotation(k));
            if choice_only {
                flat.direct = Some(*only);
            }
        }
        flat
    }

    fn choose_branch(
        &self,
        branches: &[Value],
        attempt: usize,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Option<usize> {
        let n = branches.len();
        if n == 0 {
            return None;
        }
        let nulls: Vec<bool> = branches.iter().map(|b| self.is_null_schema(b)).collect();
        if self.at_limit(ctx) {
            if let Some(i) = nulls.iter().position(|n| *n) {
                return Some(i);
            }
        }
        match mode {
            Mode::Static => {
                let order: Vec<usize> = (0..n)
                    .filter(|i| !nulls[*i])
                    .chain((0..n).filter(|i| nulls[*i]))
                    .collect();
                order.get(attempt % n).copied()
            }
            Mode::Dynamic => Some(rng.random_range(0..n)),
        }
    }

    /// Whether a schema only admits `null`.
    fn is_null_schema(&self, schema: &Value) -> bool {
        let (s, _, _) = self.resolve(schema);
        let Value::Object(o) = s else { return false };
        match (o.get("type"), o.get("enum"), o.get("const")) {
            (_, _, Some(Value::Null)) => true,
            (_, Some(Value::Array(e)), _) if !e.is_empty() && e.iter().all(Value::is_null) => true,
            (Some(t), _, _) => {
                let names = type_names(t);
                !names.is_empty() && names.iter().all(|n| *n == "null")
            }
            _ => false,
        }
    }

    /// Merges schemas that all apply to one value into one schema without
    /// composition keywords.
    fn merge(&self, maps: &[&Value]) -> Value {
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

    // ----------------------------------------------------------------------------
    // Objects and arrays

    fn is_write_only(&self, schema: &Value) -> bool {
        schema.get("writeOnly") == Some(&Value::Bool(true))
            || self.resolve(schema).0.get("writeOnly") == Some(&Value::Bool(true))
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

    fn gen_object(
        &self,
        obj: &Map<String, Value>,
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
        let min_props = get_usize(obj, "minProperties")
            .unwrap_or(0)
            .min(MAX_PROPERTIES);
        let max_props = get_usize(obj, "maxProperties");
        let at_limit = self.at_limit(ctx);

        // Which declared properties to include.
        let mut include: Vec<(&str, bool)> = Vec::with_capacity(props.len());
        for (name, schema) in props {
            let is_required = required.contains(&name.as_str());
            let wanted = is_required
                || (!at_limit
                    && !self.is_write_only(schema)
                    && match mode {
                        Mode::Static => true,
                        Mode::Dynamic => rng.random_bool(self.limits.optional),
                    });
            include.push((name.as_str(), wanted));
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
                self.gen(schema, ctx, mode, rng)
            } else {
                let mut all = vec![schema.clone()];
                all.extend(extra.into_iter().cloned());
                self.gen(&all_of(all), ctx, mode, rng)
            };
            out.insert((*name).to_string(), v);
        }
        for name in undeclared {
            let extra = self.pattern_schemas(pattern_props, name);
            let v = if extra.is_empty() {
                self.gen(additional_schema, ctx, mode, rng)
            } else {
                self.gen(
                    &all_of(extra.into_iter().cloned().collect()),
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
            let (key, schema) = if additional_allowed {
                serial += 1;
                let key = match mode {
                    Mode::Static => format!("additionalProp{serial}"),
                    Mode::Dynamic => random_word(rng, 4, 10),
                };
                let extra = self.pattern_schemas(pattern_props, &key);
                let schema = if extra.is_empty() {
                    additional_schema.clone()
                } else {
                    all_of(extra.into_iter().cloned().collect())
                };
                (key, schema)
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
                (key, all_of(extra.into_iter().cloned().collect()))
            } else {
                break;
            };
            if out.contains_key(&key) || props.contains_key(&key) {
                continue;
            }
            let v = self.gen(&schema, ctx, mode, rng);
            out.insert(key, v);
        }
        Value::Object(out)
    }

    fn gen_array(
        &self,
        obj: &Map<String, Value>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let min = get_usize(obj, "minItems").unwrap_or(0).min(MAX_ITEMS);
        let max = get_usize(obj, "maxItems");
        let unique = obj.get("uniqueItems") == Some(&Value::Bool(true));
        let (tuple, rest): (&[Value], Option<&Value>) = match obj.get("items") {
            Some(Value::Array(t)) => (
                t.as_slice(),
                match obj.get("additionalItems") {
                    Some(Value::Bool(false)) => None,
                    Some(v @ Value::Object(_)) => Some(v),
                    _ => Some(&TRUE),
                },
            ),
            Some(Value::Bool(false)) => (&[], None),
            Some(v @ Value::Object(_)) => (&[], Some(v)),
            _ => (&[], Some(&TRUE)),
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
            let Some(schema) = tuple.get(i).or(rest) else {
                break;
            };
            let mut v = self.gen(schema, ctx, mode, rng);
            if unique {
                let mut tries = 0;
                while tries < 12 && items.iter().any(|x| json_eq(x, &v)) {
                    v = self.gen(schema, ctx, Mode::Dynamic, rng);
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

    // ----------------------------------------------------------------------------
    // Strings

    fn gen_string(&self, obj: &Map<String, Value>, mode: Mode, rng: &mut StdRng) -> String {
        let min = get_usize(obj, "minLength").unwrap_or(0).min(MAX_STRING);
        let max = get_usize(obj, "maxLength");
        let format = obj.get("format").and_then(Value::as_str);
        let mut patterns: Vec<&str> = Vec::new();
        if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
            patterns.push(p);
        }
        if let Some(Value::Array(more)) = obj.get(EXTRA_PATTERNS) {
            patterns.extend(more.iter().filter_map(Value::as_str));
        }
        let len_ok = |s: &str| {
            let n = s.chars().count();
            n >= min && max.is_none_or(|m| n <= m)
        };
        if !patterns.is_empty() {
            if let Some(f) = format {
                for attempt in 0..4 {
                    let m = if attempt == 0 { mode } else { Mode::Dynamic };
                    let Some(s) = format_value(f, min, max, m, rng) else {
                        break;
                    };
                    if len_ok(&s) && patterns.iter().all(|p| self.is_match(p, &s) == Some(true)) {
                        return s;
                    }
                }
            }
            if let Some(s) = self.string_from_pattern(&patterns, min, max, mode, rng) {
                return s;
            }
        }
        if let Some(s) = format.and_then(|f| format_value(f, min, max, mode, rng)) {
            return s;
        }
        match mode {
            Mode::Static => placeholder("string", min, max),
            Mode::Dynamic => random_text(rng, min, max, self.limits.string_len),
        }
    }

    /// The parsed form of `pattern`, cached.
    fn pattern(&self, pattern: &str) -> Arc<Option<Pattern>> {
        let mut cache = match PATTERNS.get_or_init(Default::default).lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(p) = cache.get(pattern) {
            return Arc::clone(p);
        }
        if cache.len() >= 512 {
            cache.clear();
        }
        let parsed = Arc::new(Pattern::parse(pattern));
        cache.insert(pattern.to_string(), Arc::clone(&parsed));
        parsed
    }

    /// Whether `text` matches `pattern` (anywhere, as JSON Schema's `pattern` does).
    /// `None` when the pattern is not understood or the check would be too costly.
    fn is_match(&self, pattern: &str, text: &str) -> Option<bool> {
        let p = self.pattern(pattern);
        p.as_ref().as_ref()?.matches(text)
    }

    /// A string matching every pattern in `patterns`, with a length in `min..=max`
    /// when possible. `None` when the first pattern cannot be generated from.
    fn string_from_pattern(
        &self,
        patterns: &[&str],
        min: usize,
        max: Option<usize>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Option<String> {
        let main_arc = self.pattern(patterns.first()?);
        let main = main_arc.as_ref().as_ref()?;
        let others: Vec<Arc<Option<Pattern>>> =
            patterns[1..].iter().map(|p| self.pattern(p)).collect();
        let matches_all = |s: &str, strict: bool| {
            let ok = |r: Option<bool>| {
                if strict {
                    r == Some(true)
                } else {
                    r != Some(false)
                }
            };
            ok(main.matches(s))
                && others
                    .iter()
                    .all(|o| o.as_ref().as_ref().is_none_or(|p| ok(p.matches(s))))
        };
        let len_ok = |n: usize| n >= min && max.is_none_or(|m| n <= m);
        let (shortest, _) = len_range(&main.hir);
        let flex = count_flexible(&main.hir).max(1);
        let mut boost = min.saturating_sub(shortest).div_ceil(flex);
        let default_extra = match mode {
            Mode::Static => 2,
            Mode::Dynamic => 10,
        };
        let mut extra = match max {
            Some(m) => (m.saturating_sub(min.max(shortest)) / flex).min(default_extra),
            None => default_extra,
        };
        let mut fallback: Option<String> = None;
        for _ in 0..24 {
            let hir = generation_hir(&main.hir, clamp_u32(boost), clamp_u32(extra), 0)?;
            if len_range(&hir).1.is_none_or(|longest| longest > 100_000) {
                return None;
            }
            let regex = rand_regex::Regex::with_hir(hir, 0).ok()?;
            let sample: Result<String, std::string::FromUtf8Error> = regex.sample(rng);
            let Ok(s) = sample else { continue };
            let n = s.chars().count();
            let ok = matches_all(&s, false);
            if ok && len_ok(n) {
                return Some(s);
            }
            if ok && fallback.is_none() {
                fallback = Some(s);
            }
            if n < min {
                boost = boost.saturating_add(((min - n) / flex).max(1));
            } else if let Some(m) = max.filter(|m| n > *m) {
                if extra > 0 {
                    extra /= 2;
                } else {
                    boost = boost.saturating_sub(((n - m) / flex).max(1));
                }
            }
        }
        let s = fallback?;
        // Pad or cut, keeping only results that still match.
        let n = s.chars().count();
        if n < min {
            let pad_len = min - n;
            for ch in ['a', '0', 'x', 'A', '_', '-', '.', ' '] {
                let pad: String = std::iter::repeat_n(ch, pad_len).collect();
                for candidate in [format!("{s}{pad}"), format!("{pad}{s}")] {
                    if len_ok(candidate.chars().count()) && matches_all(&candidate, true) {
                        return Some(candidate);
                    }
                }
            }
        }
        if let Some(m) = max.filter(|m| n > *m) {
            let head: String = s.chars().take(m).collect();
            if len_ok(m) && matches_all(&head, true) {
                return Some(head);
            }
            let tail: String = s.chars().skip(n - m).collect();
            if len_ok(m) && matches_all(&tail, true) {
                return Some(tail);
            }
        }
        Some(s)
    }

    // ----------------------------------------------------------------------------
    // Numbers

    fn gen_integer(&self, obj: &Map<String, Value>, mode: Mode, rng: &mut StdRng) -> Value {
        let lower = lower_bound(obj);
        let upper = upper_bound(obj);
        let mut lo: i128 = match lower {
            Some((v, true)) => (v.floor() as i128).saturating_add(1),
            Some((v, false)) => v.ceil() as i128,
            None => i128::from(i64::MIN),
        };
        let mut hi: i128 = match upper {
            Some((v, true)) => (v.ceil() as i128).saturating_sub(1),
            Some((v, false)) => v.floor() as i128,
            None => i128::from(i64::MAX),
        };
        if obj.get("format").and_then(Value::as_str) == Some("int32") {
            lo = lo.max(i128::from(i32::MIN));
            hi = hi.min(i128::from(i32::MAX));
        }
        lo = lo.max(i128::from(i64::MIN));
        hi = hi.min(i128::from(i64::MAX));
        let step = obj
            .get("multipleOf")
            .and_then(Value::as_f64)
            .map_or(1, integer_step);
        let kmin = div_ceil_i(lo, step);
        let kmax = div_floor_i(hi, step);
        if kmin > kmax {
            // Unsatisfiable bounds: the closest thing to them.
            return Value::from(lo.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        }
        let k = match mode {
            Mode::Static => {
                if lower.is_some() {
                    kmin
                } else if upper.is_some() && hi < 0 {
                    kmax
                } else {
                    0i128.clamp(kmin, kmax)
                }
            }
            Mode::Dynamic => {
                let (a, b) =
                    dynamic_range_i(lower.is_some().then_some(lo), upper.is_some().then_some(hi));
                let (a, b) = (a.max(lo), b.min(hi));
                let (ka, kb) = (div_ceil_i(a, step), div_floor_i(b, step));
                let (ka, kb) = if ka <= kb {
                    (ka, kb)
                } else {
                    (kmin, kmax.min(kmin.saturating_add(10)))
                };
                rand_i128(rng, ka, kb)
            }
        };
        let v = k.saturating_mul(step).clamp(lo, hi);
        Value::from(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    fn gen_number(&self, obj: &Map<String, Value>, mode: Mode, rng: &mut StdRng) -> Value {
        let mut lower = lower_bound(obj);
        let mut upper = upper_bound(obj);
        if obj.get("format").and_then(Value::as_str) == Some("float") {
            let limit = f64::from(f32::MAX);
            lower = Some(tighter(lower, (-limit, false), true));
            upper = Some(tighter(upper, (limit, false), false));
        }
        let in_bounds = |x: f64| {
            x.is_finite()
                && lower.is_none_or(|(l, ex)| if ex { x > l } else { x >= l })
                && upper.is_none_or(|(h, ex)| if ex { x < h } else { x <= h })
        };
        let explicit_lower = lower_bound(obj);
        let explicit_upper = upper_bound(obj);
        if let Some(m) = obj
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|m| *m > 0.0 && m.is_finite())
        {
            let decimals = decimal_parts(m).map_or(0, |(_, d)| d);
            let limit = 9.0e15;
            let kmin = match lower {
                Some((l, ex)) => {
                    let q = l / m;
                    if ex {
                        q.floor() + 1.0
                    } else {
                        q.ceil()
                    }
                }
                None => -limit,
            }
            .clamp(-limit, limit) as i64;
            let kmax = match upper {
                Some((h, ex)) => {
                    let q = h / m;
                    if ex {
                        q.ceil() - 1.0
                    } else {
                        q.floor()
                    }
                }
                None => limit,
            }
            .clamp(-limit, limit) as i64;
            let k = match mode {
                Mode::Static => {
                    if explicit_lower.is_some() {
                        kmin
                    } else if explicit_upper.is_some_and(|(h, _)| h < 0.0) {
                        kmax
                    } else {
                        0i64.clamp(kmin.min(kmax), kmax.max(kmin))
                    }
                }
                Mode::Dynamic => {
                    let (a, b) =
                        dynamic_range_f(explicit_lower.map(|b| b.0), explicit_upper.map(|b| b.0));
                    let ka = ((a / m).ceil().clamp(-limit, limit) as i64).max(kmin);
                    let kb = ((b / m).floor().clamp(-limit, limit) as i64).min(kmax);
                    if ka <= kb {
                        rand_i64(rng, ka, kb)
                    } else {
                        rand_i64(rng, kmin, kmax.min(kmin.saturating_add(10)))
                    }
                }
            };
            for candidate in [
                k,
                k.saturating_add(1),
                k.saturating_sub(1),
                k.saturating_add(2),
            ] {
                let x = round_to(candidate as f64 * m, decimals);
                if in_bounds(x) && is_multiple_of(x, m) {
                    return number_value(x);
                }
            }
            return number_value(round_to(k as f64 * m, decimals));
        }
        let candidate = match mode {
            Mode::Static => match (lower, upper) {
                (Some((l, false)), _) if explicit_lower.is_some() => l,
                (Some((l, true)), _) if explicit_lower.is_some() => l + 1.0,
                (_, Some((h, ex))) if explicit_upper.is_some() && (h < 0.0 || (h == 0.0 && ex)) => {
                    if ex {
                        h - 1.0
                    } else {
                        h
                    }
                }
                _ => 0.0,
            },
            Mode::Dynamic => {
                let (a, b) =
                    dynamic_range_f(explicit_lower.map(|b| b.0), explicit_upper.map(|b| b.0));
                let x = a + (b - a) * rng.random::<f64>();
                let rounded = round_to(x, 2);
                if in_bounds(rounded) {
                    rounded
                } else {
                    x
                }
            }
        };
        if in_bounds(candidate) {
            return number_value(candidate);
        }
        // Between the bounds, however close they are.
        let fallback = match (lower, upper) {
            (Some((l, _)), Some((h, _))) => l / 2.0 + h / 2.0,
            (Some((l, _)), None) => l + 1.0,
            (None, Some((h, _))) => h - 1.0,
            (None, None) => 0.0,
        };
        if in_bounds(fallback) {
            return number_value(fallback);
        }
        number_value(lower.map_or(0.0, |b| b.0))
    }

    // ----------------------------------------------------------------------------
    // Validation (draft 4, enough to check examples and generated values)

    fn valid(&self, schema: &Value, value: &Value) -> bool {
        self.check(schema, value, 0)
    }

    fn check(&self, schema: &Value, value: &Value, depth: u32) -> bool {
        if depth > VALIDATE_DEPTH {
            return true;
        }
        let (schema, _, _) = self.resolve(schema);
        let o = match schema {
            Value::Object(o) => o,
            Value::Bool(b) => return *b,
            _ => return true,
        };
        let d = depth + 1;
        if let Some(t) = o.get("type") {
            let names = type_names(t);
            if !names.is_empty() && !names.iter().any(|n| type_matches(n, value)) {
                return false;
            }
        }
        if let Some(Value::Array(members)) = o.get("enum") {
            if !members.iter().any(|m| json_eq(m, value)) {
                return false;
            }
        }
        if let Some(c) = o.get("const") {
            if !json_eq(c, value) {
                return false;
            }
        }
        match value {
            Value::String(s) => {
                if get_usize(o, "minLength").is_some() || get_usize(o, "maxLength").is_some() {
                    let n = s.chars().count();
                    if get_usize(o, "minLength").is_some_and(|m| n < m)
                        || get_usize(o, "maxLength").is_some_and(|m| n > m)
                    {
                        return false;
                    }
                }
                if let Some(p) = o.get("pattern").and_then(Value::as_str) {
                    if self.is_match(p, s) == Some(false) {
                        return false;
                    }
                }
                if let Some(f) = o.get("format").and_then(Value::as_str) {
                    if !format_ok(f, s) {
                        return false;
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if let Some((l, ex)) = lower_bound(o) {
                    if (ex && x <= l) || (!ex && x < l) {
                        return false;
                    }
                }
                if let Some((h, ex)) = upper_bound(o) {
                    if (ex && x >= h) || (!ex && x > h) {
                        return false;
                    }
                }
                if let Some(m) = o
                    .get("multipleOf")
                    .and_then(Value::as_f64)
                    .filter(|m| *m > 0.0)
                {
                    let ok = match (n.as_i64(), m.fract() == 0.0 && m < 9.0e15) {
                        (Some(i), true) => i128::from(i) % (m as i128) == 0,
                        _ => is_multiple_of(x, m),
                    };
                    if !ok {
                        return false;
                    }
                }
            }
            Value::Array(items) => {
                if get_usize(o, "minItems").is_some_and(|m| items.len() < m)
                    || get_usize(o, "maxItems").is_some_and(|m| items.len() > m)
                {
                    return false;
                }
                if o.get("uniqueItems") == Some(&Value::Bool(true)) {
                    for (i, a) in items.iter().enumerate() {
                        if items[i + 1..].iter().any(|b| json_eq(a, b)) {
                            return false;
                        }
                    }
                }
                match o.get("items") {
                    Some(Value::Array(tuple)) => {
                        for (i, item) in items.iter().enumerate() {
                            let ok = match tuple.get(i) {
                                Some(s) => self.check(s, item, d),
                                None => match o.get("additionalItems") {
                                    Some(extra) => self.check(extra, item, d),
                                    None => true,
                                },
                            };
                            if !ok {
                                return false;
                            }
                        }
                    }
                    Some(s) if !items.iter().all(|item| self.check(s, item, d)) => return false,
                    _ => {}
                }
            }
            Value::Object(m) => {
                if get_usize(o, "minProperties").is_some_and(|n| m.len() < n)
                    || get_usize(o, "maxProperties").is_some_and(|n| m.len() > n)
                {
                    return false;
                }
                if let Some(Value::Array(req)) = o.get("required") {
                    if !req
                        .iter()
                        .filter_map(Value::as_str)
                        .all(|r| m.contains_key(r))
                    {
                        return false;
                    }
                }
                let props = o.get("properties").and_then(Value::as_object);
                let pattern_props = o.get("patternProperties").and_then(Value::as_object);
                let additional = o.get("additionalProperties");
                for (k, v) in m {
                    let mut covered = false;
                    if let Some(s) = props.and_then(|p| p.get(k)) {
                        covered = true;
                        if !self.check(s, v, d) {
                            return false;
                        }
                    }
                    for (p, s) in pattern_props.into_iter().flatten() {
                        if self.is_match(p, k) == Some(true) {
                            covered = true;
                            if !self.check(s, v, d) {
                                return false;
                            }
                        }
                    }
                    if !covered {
                        if let Some(a) = additional {
                            if !self.check(a, v, d) {
                                return false;
                            }
                        }
                    }
                }
                if let Some(Value::Object(deps)) = o.get("dependencies") {
                    for (k, dep) in deps {
                        if !m.contains_key(k) {
                            continue;
                        }
                        let ok = match dep {
                            Value::Array(names) => names
                                .iter()
                                .filter_map(Value::as_str)
                                .all(|n| m.contains_key(n)),
                            s => self.check(s, value, d),
                        };
                        if !ok {
                            return false;
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = o.get("allOf") {
            if !all.iter().all(|s| self.check(s, value, d)) {
                return false;
            }
        }
        if let Some(Value::Array(any)) = o.get("anyOf") {
            if !any.iter().any(|s| self.check(s, value, d)) {
                return false;
            }
        }
        if let Some(Value::Array(one)) = o.get("oneOf") {
            let mut matched = 0;
            for s in one {
                if self.check(s, value, d) {
                    matched += 1;
                    if matched > 1 {
                        return false;
                    }
                }
            }
            if matched != 1 {
                return false;
            }
        }
        if let Some(not) = o.get("not") {
            if self.check(not, value, d) {
                return false;
            }
        }
        true
    }
}

// --------------------------------------------------------------------------------
// Schema helpers

/// Keywords that do not constrain a value (for deciding that a schema is a pure choice).
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "title"
            | "description"
            | "discriminator"
            | "example"
            | "examples"
            | "default"
            | "readOnly"
            | "writeOnly"
            | "deprecated"
            | "externalDocs"
            | "xml"
            | "nullable"
            | "$schema"
            | "id"
            | "$id"
            | "$comment"
            | "definitions"
    ) || key.starts_with("x-")
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

fn all_of(schemas: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert("allOf".into(), Value::Array(schemas));
    Value::Object(m)
}

/// The discriminator value naming the schema at `reference`.
fn discriminator_value(discriminator: &Map<String, Value>, reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    let name = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(mapping)) = discriminator.get("mapping") {
        for (key, target) in mapping {
            let Some(t) = target.as_str() else { continue };
            if t == reference || t == name || t.ends_with(&format!("/{last}")) {
                return key.clone();
            }
        }
    }
    name
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn as_usize(v: &Value) -> Option<usize> {
    if let Some(u) = v.as_u64() {
        return Some(usize::try_from(u).unwrap_or(usize::MAX));
    }
    let f = v.as_f64()?;
    (f.is_finite() && f >= 0.0).then_some(if f > 1e18 { usize::MAX } else { f as usize })
}

fn get_usize(o: &Map<String, Value>, key: &str) -> Option<usize> {
    o.get(key).and_then(as_usize)
}

/// `minimum` with its exclusivity (draft-4 boolean or later numeric form).
fn lower_bound(o: &Map<String, Value>) -> Option<(f64, bool)> {
    bound(o, "minimum", "exclusiveMinimum", true)
}

/// `maximum` with its exclusivity.
fn upper_bound(o: &Map<String, Value>) -> Option<(f64, bool)> {
    bound(o, "maximum", "exclusiveMaximum", false)
}

fn bound(o: &Map<String, Value>, key: &str, exclusive: &str, lower: bool) -> Option<(f64, bool)> {
    let mut bound = o
        .get(key)
        .and_then(Value::as_f64)
        .map(|m| (m, o.get(exclusive) == Some(&Value::Bool(true))));
    if let Some(x) = o.get(exclusive).and_then(Value::as_f64) {
        bound = Some(tighter(bound, (x, true), lower));
    }
    bound.filter(|b| !b.0.is_nan())
}

/// The stricter of two bounds (`lower` says which side they bound).
fn tighter(a: Option<(f64, bool)>, b: (f64, bool), lower: bool) -> (f64, bool) {
    let Some(a) = a else { return b };
    if a.0 == b.0 {
        (a.0, a.1 || b.1)
    } else if (b.0 > a.0) == lower {
        b
    } else {
        a
    }
}

/// A JSON number for `x` (`0` for the non-finite values JSON cannot hold).
fn number_value(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::from(0), Value::Number)
}

fn combine_multiples(a: f64, b: f64) -> f64 {
    if a.fract() == 0.0 && b.fract() == 0.0 && a < 1e15 && b < 1e15 {
        let (x, y) = (a as u64, b as u64);
        if let Some(l) = x.checked_div(gcd(x, y)).and_then(|q| q.checked_mul(y)) {
            if l < (1u64 << 53) {
                return l as f64;
            }
        }
    }
    if is_multiple_of(a, b) {
        a
    } else if is_multiple_of(b, a) {
        b
    } else {
        a
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// The smallest positive integer that is a multiple of `m`.
fn integer_step(m: f64) -> i128 {
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return 1;
    }
    if m.fract() == 0.0 {
        return if m < 1e18 { (m as i128).max(1) } else { 1 };
    }
    match decimal_parts(m) {
        Some((mantissa, decimals)) if mantissa > 0 && decimals < 30 => {
            let ten = 10i128.pow(decimals);
            let mut g = (mantissa, ten);
            while g.1 != 0 {
                g = (g.1, g.0 % g.1);
            }
            (mantissa / g.0).max(1)
        }
        _ => 1,
    }
}

/// The shortest decimal form of `x` as (digits, digits after the point).
fn decimal_parts(x: f64) -> Option<(i128, u32)> {
    if !x.is_finite() {
        return None;
    }
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    if int.len() + frac.len() > 36 {
        return None;
    }
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    let decimals = u32::try_from(frac.len()).ok()?;
    Some((if x < 0.0 { -digits } else { digits }, decimals))
}

/// Whether `value / m` is an integer in the decimal reading both print as (the rule
/// the validators use).
fn is_multiple_of(value: f64, m: f64) -> bool {
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return true;
    }
    if value == 0.0 {
        return true;
    }
    if value.abs() < m {
        return false;
    }
    let exact = || -> Option<bool> {
        let (vm, vd) = decimal_parts(value)?;
        let (mm, md) = decimal_parts(m)?;
        if mm == 0 {
            return None;
        }
        let shared = vd.min(md);
        let a = vm.checked_mul(10i128.checked_pow(md - shared)?)?;
        let b = mm.checked_mul(10i128.checked_pow(vd - shared)?)?;
        Some(a % b == 0)
    };
    exact().unwrap_or_else(|| {
        let q = value / m;
        (q - q.round()).abs() < 1e-9
    })
}

fn round_to(x: f64, decimals: u32) -> f64 {
    if decimals == 0 {
        return x.round();
    }
    if decimals > 15 {
        return x;
    }
    let p = 10f64.powi(decimals as i32);
    let r = (x * p).round() / p;
    if r.is_finite() {
        r
    } else {
        x
    }
}

fn div_floor_i(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn div_ceil_i(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) == (b < 0)) {
        q + 1
    } else {
        q
    }
}

/// A modest range for random integers within optional bounds.
fn dynamic_range_i(lo: Option<i128>, hi: Option<i128>) -> (i128, i128) {
    let (a, b) = match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l.saturating_add(1000)),
        (None, Some(h)) if h > 0 => (0, h),
        (None, Some(h)) => (h.saturating_sub(1000), h),
        (None, None) => (0, 1000),
    };
    if b.saturating_sub(a) <= 10_000 {
        (a, b)
    } else if a <= 0 && b >= 0 {
        if b > 0 {
            (0, b.min(10_000))
        } else {
            (a.max(-10_000), 0)
        }
    } else if a > 0 {
        (a, a.saturating_add(10_000))
    } else {
        (b.saturating_sub(10_000), b)
    }
}

fn dynamic_range_f(lo: Option<f64>, hi: Option<f64>) -> (f64, f64) {
    let (a, b) = match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l + 1000.0),
        (None, Some(h)) if h > 0.0 => (0.0, h),
        (None, Some(h)) => (h - 1000.0, h),
        (None, None) => (0.0, 1000.0),
    };
    let width = b - a;
    if width.is_finite() && width <= 10_000.0 {
        (a, b.max(a))
    } else if a <= 0.0 && b >= 0.0 {
        if b > 0.0 {
            (0.0, b.min(10_000.0))
        } else {
            (a.max(-10_000.0), 0.0)
        }
    } else if a > 0.0 {
        (a, a + 10_000.0)
    } else {
        (b - 10_000.0, b)
    }
}

fn rand_usize(rng: &mut StdRng, lo: usize, hi: usize) -> usize {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

fn rand_i64(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

fn rand_i128(rng: &mut StdRng, lo: i128, hi: i128) -> i128 {
    if hi <= lo {
        return lo;
    }
    match (i64::try_from(lo), i64::try_from(hi)) {
        (Ok(l), Ok(h)) => i128::from(rng.random_range(l..=h)),
        _ => lo,
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
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

// --------------------------------------------------------------------------------
// Plain strings and formats

/// `base` repeated or cut to a length within `min..=max`.
fn placeholder(base: &str, min: usize, max: Option<usize>) -> String {
    let natural = base.chars().count();
    let mut target = natural.max(min);
    if let Some(m) = max {
        target = target.min(m);
    }
    if natural == 0 {
        return "x".repeat(target);
    }
    base.chars().cycle().take(target).collect()
}

fn random_from(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Random lowercase letters and digits, `min..=max` long but not much longer than `cap`.
fn random_text(rng: &mut StdRng, min: usize, max: Option<usize>, cap: usize) -> String {
    let hi = max.map_or(min.max(cap), |m| m.min(min.max(cap)));
    let lo = min.max(1).min(hi);
    let n = rand_usize(rng, lo, hi);
    random_from(rng, ALNUM, n)
}

fn random_word(rng: &mut StdRng, lo: usize, hi: usize) -> String {
    let n = rand_usize(rng, lo, hi);
    random_from(rng, WORD, n)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A value for a known string `format`, fitted to `min..=max` where the format
/// allows it. `None` for unknown formats.
fn format_value(
    format: &str,
    min: usize,
    max: Option<usize>,
    mode: Mode,
    rng: &mut StdRng,
) -> Option<String> {
    let dynamic = mode == Mode::Dynamic;
    let date = |rng: &mut StdRng| {
        if dynamic {
            let y = rng.random_range(2000..=2030);
            let m = rng.random_range(1..=12);
            let d = rng.random_range(1..=28);
            format!("{y:04}-{m:02}-{d:02}")
        } else {
            "2024-01-01".to_string()
        }
    };
    let time = |rng: &mut StdRng| {
        if dynamic {
            let h = rng.random_range(0..24);
            let m = rng.random_range(0..60);
            let s = rng.random_range(0..60);
            format!("{h:02}:{m:02}:{s:02}Z")
        } else {
            "00:00:00Z".to_string()
        }
    };
    Some(match format {
        "date-time" => {
            let d = date(rng);
            let t = time(rng);
            format!("{d}T{t}")
        }
        "date" => date(rng),
        "time" => time(rng),
        "email" | "idn-email" => {
            let local = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "user".to_string()
            };
            fit_email(&local, min, max)
        }
        "uri" | "url" | "iri" => {
            let path = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "resource".to_string()
            };
            fit_suffix(
                "https://example.com/",
                &path,
                min,
                max,
                &["https://a.co", "a:b"],
            )
        }
        "uri-reference" | "iri-reference" => {
            let path = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "resource".to_string()
            };
            fit_suffix("/", &path, min, max, &["a"])
        }
        "uri-template" => "https://example.com/{id}".to_string(),
        "hostname" | "idn-hostname" => {
            let host = if dynamic {
                format!("{}.example.com", random_word(rng, 3, 10))
            } else {
                "example.com".to_string()
            };
            fit_hostname(&host, min, max)
        }
        "ipv4" => {
            if dynamic {
                format!(
                    "{}.{}.{}.{}",
                    rng.random_range(1..=223u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(1..=254u8)
                )
            } else {
                "192.0.2.1".to_string()
            }
        }
        "ipv6" => {
            if dynamic {
                let groups: Vec<String> = (0..8)
                    .map(|_| format!("{:x}", rng.random::<u16>()))
                    .collect();
                groups.join(":")
            } else {
                "2001:db8::1".to_string()
            }
        }
        "uuid" => {
            if dynamic {
                let mut b: [u8; 16] = rng.random();
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            } else {
                "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_string()
            }
        }
        "byte" => {
            let natural = if dynamic {
                rng.random_range(1..=18usize)
            } else {
                6
            };
            let natural_len = natural.div_ceil(3) * 4;
            // Base64 without padding comes in multiples of 4: the nearest one allowed.
            let lowest = min.div_ceil(4) * 4;
            let len = match max.map(|m| m / 4 * 4) {
                _ if len_fits(natural_len, min, max) => natural_len,
                Some(highest) if lowest > highest => natural_len,
                Some(highest) if natural_len > highest => highest,
                _ => lowest,
            };
            let count = (len / 4 * 3).min(MAX_STRING);
            let bytes: Vec<u8> = if dynamic {
                (0..count).map(|_| rng.random()).collect()
            } else {
                b"string".iter().copied().cycle().take(count).collect()
            };
            base64(&bytes)
        }
        "password" => {
            if dynamic {
                random_text(rng, min.max(8), max, 16)
            } else {
                placeholder("password", min, max)
            }
        }
        "binary" => {
            if dynamic {
                random_text(rng, min, max, 24)
            } else {
                placeholder("string", min, max)
            }
        }
        "json-pointer" => "/resource".to_string(),
        "relative-json-pointer" => "0".to_string(),
        "regex" => "^[a-z]+$".to_string(),
        "duration" => "P1D".to_string(),
        _ => return None,
    })
}

fn len_fits(n: usize, min: usize, max: Option<usize>) -> bool {
    n >= min && max.is_none_or(|m| n <= m)
}

fn fit_email(local: &str, min: usize, max: Option<usize>) -> String {
    for domain in ["example.com", "a.co"] {
        let fixed = 1 + domain.len();
        let mut local = local.to_string();
        if let Some(m) = max {
            local.truncate(m.saturating_sub(fixed).max(1));
        }
        let wanted = min.saturating_sub(fixed).min(64);
        if local.len() < wanted {
            local.push_str(&"x".repeat(wanted - local.len()));
        }
        let email = format!("{local}@{domain}");
        if len_fits(email.len(), min, max) {
            return email;
        }
    }
    format!("{local}@example.com")
}

fn fit_suffix(prefix: &str, path: &str, min: usize, max: Option<usize>, short: &[&str]) -> String {
    let mut s = format!("{prefix}{path}");
    if s.len() < min {
        s.push_str(&"x".repeat(min - s.len()));
    }
    if max.is_some_and(|m| s.len() > m) {
        let m = max.unwrap_or(0);
        if prefix.len() < m {
            s.truncate(m);
        } else if let Some(alt) = short.iter().find(|a| len_fits(a.len(), min, max)) {
            s = (*alt).to_string();
        }
    }
    s
}

fn fit_hostname(host: &str, min: usize, max: Option<usize>) -> String {
    let mut s = host.to_string();
    while s.len() < min && s.len() < 253 {
        let room = (min - s.len())
            .saturating_sub(1)
            .clamp(1, 63)
            .min(252 - s.len().min(252));
        if room == 0 {
            break;
        }
        s = format!("{}.{s}", "x".repeat(room));
    }
    if max.is_some_and(|m| s.len() > m) {
        for alt in ["example.com", "a.co", "a"] {
            if len_fits(alt.len(), min, max) {
                return alt.to_string();
            }
        }
    }
    s
}

fn format_ok(format: &str, s: &str) -> bool {
    match format {
        "date-time" => is_date_time(s),
        "date" => is_date(s),
        "time" => is_time(s),
        "email" => is_email(s),
        "hostname" => is_hostname(s),
        "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<Ipv6Addr>().is_ok(),
        "uri" => is_uri(s),
        "uuid" => is_uuid(s),
        "regex" => regex_syntax::Parser::new().parse(s).is_ok(),
        _ => true,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || !s.is_ascii() || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10]))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' || !s.is_ascii() {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&s[0..2]), digits(&s[3..5]), digits(&s[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "Z" | "z" => true,
        _ => {
            let r = rest.as_bytes();
            r.len() == 6
                && (r[0] == b'+' || r[0] == b'-')
                && r[3] == b':'
                && digits(&rest[1..3]).is_some_and(|h| h <= 23)
                && digits(&rest[4..6]).is_some_and(|m| m <= 59)
        }
    }
}

fn is_date_time(s: &str) -> bool {
    s.len() > 11
        && s.is_ascii()
        && matches!(s.as_bytes()[10], b'T' | b't')
        && is_date(&s[..10])
        && is_time(&s[11..])
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && is_hostname(domain)
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.bytes();
    if !sc.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !sc.all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() {
                    return false;
                }
                if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_graphic() && !b"<>\"{}|\\^`".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

// --------------------------------------------------------------------------------
// Patterns: parsing, generation-friendly rewriting, and matching

/// A parsed `pattern`: its syntax tree (to generate from) and a compiled matcher.
struct Pattern {
    hir: Hir,
    regex: Option<regex::Regex>,
}

impl Pattern {
    fn parse(pattern: &str) -> Option<Pattern> {
        if pattern.len() > 4096 {
            return None;
        }
        let parse = |p: &str| regex_syntax::ParserBuilder::new().build().parse(p).ok();
        let (hir, source) = match parse(pattern) {
            Some(h) => (h, pattern.to_string()),
            None => {
                let rewritten = ecma_to_rust(pattern);
                (parse(&rewritten)?, rewritten)
            }
        };
        let regex = regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
            .ok();
        Some(Pattern { hir, regex })
    }

    fn matches(&self, text: &str) -> Option<bool> {
        Some(self.regex.as_ref()?.is_match(text))
    }
}

/// Rewrites the ECMA-262 escapes `regex_syntax` rejects into equivalents it accepts.
fn ecma_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // `\uXXXX` is ECMA's; `\u{X}` is regex_syntax's.
            Some('u') => {
                let hex: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_hexdigit))
                    .take(4)
                    .collect();
                if hex.len() == 4 {
                    out.push_str(&format!("\\u{{{hex}}}"));
                } else {
                    out.push('u');
                    out.push_str(&hex);
                }
            }
            Some('c') => match chars.next_if(char::is_ascii_alphabetic) {
                Some(l) => out.push_str(&format!("\\x{:02X}", (l as u8) % 32)),
                None => out.push_str("\\\\c"),
            },
            Some('0') => out.push_str("\\x00"),
            Some('/') => out.push('/'),
            Some(other) if other.is_ascii_punctuation() => {
                out.push('\\');
                out.push(other);
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push_str("\\\\"),
        }
    }
    out
}

const ALNUM_RANGES: [(char, char); 3] = [('0', '9'), ('A', 'Z'), ('a', 'z')];
const PRINTABLE_RANGES: [(char, char); 1] = [(' ', '~')];

/// Narrows a class to ASCII letters and digits, else to printable ASCII, when the
/// class has such members: smaller choices, same validity, readable output.
fn narrow_unicode(class: &ClassUnicode) -> ClassUnicode {
    for tier in [&ALNUM_RANGES[..], &PRINTABLE_RANGES[..]] {
        let mut k = ClassUnicode::new(tier.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)));
        k.intersect(class);
        if !k.ranges().is_empty() {
            return k;
        }
    }
    class.clone()
}

fn narrow_bytes(class: &ClassBytes) -> ClassBytes {
    for tier in [&ALNUM_RANGES[..], &PRINTABLE_RANGES[..]] {
        let mut k = ClassBytes::new(
            tier.iter()
                .map(|&(a, b)| ClassBytesRange::new(a as u8, b as u8)),
        );
        k.intersect(class);
        if !k.ranges().is_empty() {
            return k;
        }
    }
    class.clone()
}

/// A version of `hir` that `rand_regex` can sample from: assertions dropped (results
/// are checked against the original afterwards), classes narrowed, and every
/// repetition bounded: flexible ones get `boost` more than their minimum and at most
/// `extra` on top of that.
fn generation_hir(hir: &Hir, boost: u32, extra: u32, depth: u32) -> Option<Hir> {
    if depth > 300 {
        return None;
    }
    let d = depth + 1;
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        HirKind::Literal(lit) => Hir::literal(lit.0.clone()),
        HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Unicode(narrow_unicode(c))),
        HirKind::Class(Class::Bytes(c)) => Hir::class(Class::Bytes(narrow_bytes(c))),
        HirKind::Capture(c) => generation_hir(&c.sub, boost, extra, d)?,
        HirKind::Concat(subs) => Hir::concat(
            subs.iter()
                .map(|s| generation_hir(s, boost, extra, d))
                .collect::<Option<Vec<_>>>()?,
        ),
        HirKind::Alternation(subs) => Hir::alternation(
            subs.iter()
                .map(|s| generation_hir(s, boost, extra, d))
                .collect::<Option<Vec<_>>>()?,
        ),
        HirKind::Repetition(rep) => {
            if rep.min > 10_000 {
                return None;
            }
            let sub = generation_hir(&rep.sub, boost, extra, d)?;
            let (min, max) = match rep.max {
                Some(max) if max <= rep.min => (rep.min, rep.min),
                Some(max) => {
                    let lo = rep.min.saturating_add(boost.min(max - rep.min));
                    (lo, lo.saturating_add(extra).min(max))
                }
                None => {
                    let lo = rep.min.saturating_add(boost).min(20_000);
                    (lo, lo.saturating_add(extra))
                }
            };
            Hir::repetition(Repetition {
                min,
                max: Some(max),
                greedy: true,
                sub: Box::new(sub),
            })
        }
    })
}

/// Shortest and longest match of `hir`, in characters.
fn len_range(hir: &Hir) -> (usize, Option<usize>) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (0, Some(0)),
        HirKind::Literal(lit) => {
            let n = String::from_utf8_lossy(&lit.0).chars().count();
            (n, Some(n))
        }
        HirKind::Class(_) => (1, Some(1)),
        HirKind::Capture(c) => len_range(&c.sub),
        HirKind::Concat(subs) => subs.iter().fold((0, Some(0)), |(lo, hi), s| {
            let (a, b) = len_range(s);
            (
                lo.saturating_add(a),
                hi.zip(b).map(|(x, y)| x.saturating_add(y)),
            )
        }),
        HirKind::Alternation(subs) => {
            let ranges: Vec<_> = subs.iter().map(len_range).collect();
            let lo = ranges.iter().map(|r| r.0).min().unwrap_or(0);
            let hi = ranges
                .iter()
                .try_fold(0usize, |acc, r| r.1.map(|h| acc.max(h)));
            (lo, hi)
        }
        HirKind::Repetition(rep) => {
            let (a, b) = len_range(&rep.sub);
            let lo = a.saturating_mul(rep.min as usize);
            let hi = match (rep.max, b) {
                (_, Some(0)) => Some(0),
                (Some(m), Some(b)) => Some(b.saturating_mul(m as usize)),
                _ => None,
            };
            (lo, hi)
        }
    }
}

/// How many repetitions can vary in count.
fn count_flexible(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Capture(c) => count_flexible(&c.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().map(count_flexible).sum(),
        HirKind::Repetition(rep) => {
            usize::from(rep.max != Some(rep.min)) + count_flexible(&rep.sub)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use serde_json::json;

    const DYNAMIC_SEEDS: u64 = 200;
    const STATIC_SEEDS: u64 = 20;

    fn rng(seed: u64) -> StdRng {
        StdRng::seed_from_u64(seed)
    }

    fn document(defs: &Value) -> Value {
        json!({ "definitions": defs })
    }

    fn validator(root: &Value, name: &str) -> jsonschema::Validator {
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
    fn generate_valid(defs: Value, name: &str) -> (Vec<Value>, Vec<Value>) {
        let root = document(&defs);
        let check = validator(&root, name);
        let schema = json!({ "$ref": format!("#/definitions/{name}") });
        let mut out = (Vec::new(), Vec::new());
        for (mode, seeds) in [(Mode::Static, STATIC_SEEDS), (Mode::Dynamic, DYNAMIC_SEEDS)] {
            let generator = Generator::new(&root, mode);
            for seed in 0..seeds {
                let v = generator.generate(&schema, &mut rng(seed));
                assert!(
                    check.is_valid(&v),
                    "{mode:?} seed {seed}: {v} is not valid for {name}: {:?}",
                    check
                        .iter_errors(&v)
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                );
                // The built-in validator agrees.
                assert!(
                    generator.valid(&schema, &v),
                    "{mode:?} seed {seed}: {v} (built-in)"
                );
                match mode {
                    Mode::Static => out.0.push(v),
                    Mode::Dynamic => out.1.push(v),
                }
            }
        }
        out
    }

    fn one(schema: Value) -> (Vec<Value>, Vec<Value>) {
        generate_valid(json!({ "T": schema }), "T")
    }

    fn distinct(values: &[Value]) -> usize {
        let mut seen: Vec<String> = values.iter().map(Value::to_string).collect();
        seen.sort();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn ttid_patterns() {
        for (pattern, prefix) in [
            ("^mem_(store|service)_[0-7][0-9a-z]{25}$", "mem_s"),
            ("^mem_profile_[0-7][0-9a-z]{25}$", "mem_profile_"),
        ] {
            let (st, dy) = one(json!({ "type": "string", "pattern": pattern }));
            for v in st.iter().chain(&dy) {
                let s = v.as_str().expect("a string");
                assert!(s.starts_with(prefix), "{s}");
                assert!(s.is_ascii());
            }
            assert!(distinct(&dy) > 150, "dynamic ids vary");
        }
    }

    #[test]
    fn digit_pattern_with_lengths() {
        let (st, dy) = one(
            json!({ "type": "string", "pattern": "^[0-9]+$", "minLength": 5, "maxLength": 12 }),
        );
        assert!(st.iter().chain(&dy).all(|v| v
            .as_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))));
        one(json!({ "type": "string", "pattern": "^[0-9]+$", "minLength": 40, "maxLength": 45 }));
        one(json!({ "type": "string", "pattern": "^[0-9]{3,}$", "maxLength": 4 }));
        one(
            json!({ "type": "string", "pattern": "^[a-z]+(-[a-z]+)*$", "minLength": 20, "maxLength": 22 }),
        );
        // Unanchored: only has to contain a match, so padding is fine.
        one(json!({ "type": "string", "pattern": "abc", "minLength": 10 }));
        one(json!({ "type": "string", "pattern": "^\\d{3}-\\d{4}$" }));
        one(json!({ "type": "string", "pattern": "^[A-Z]{2}\\/\\d+$" }));
        one(json!({ "type": "string", "pattern": "^\\u0041+$" }));
        one(json!({ "type": "string", "pattern": "^a$|^bb$" }));
        one(json!({ "type": "string", "pattern": "\\bword\\b" }));
        one(json!({ "type": "string", "pattern": "^[^\\s@]+@[^\\s@]+\\.[a-z]{2,}$" }));
    }

    #[test]
    fn plain_strings_and_lengths() {
        let (st, dy) = one(json!({ "type": "string", "minLength": 2, "maxLength": 30 }));
        assert!(st.iter().all(|v| v == "string"));
        assert!(distinct(&dy) > 150);
        let (st, _) = one(json!({ "type": "string", "maxLength": 3 }));
        assert_eq!(st[0], "str");
        let (st, _) = one(json!({ "type": "string", "minLength": 10 }));
        assert_eq!(st[0], "stringstri");
        one(json!({ "type": "string", "maxLength": 0 }));
        one(json!({ "type": "string", "minLength": 100 }));
    }

    #[test]
    fn examples_defaults_and_enums() {
        let (st, dy) = one(json!({ "type": "string", "example": "hello", "default": "bye" }));
        assert!(st.iter().all(|v| v == "hello"));
        assert!(dy.iter().any(|v| v != "hello"));
        let (st, _) = one(json!({ "type": "integer", "example": "not a number", "default": 5 }));
        assert!(st.iter().all(|v| v == 5));
        let (st, _) = one(json!({ "type": "string", "enum": ["b", "a"], "example": "zzz" }));
        assert!(st.iter().all(|v| v == "b"));
        let (st, dy) = one(json!({ "type": "string", "enum": ["red", "green", "blue"] }));
        assert!(st.iter().all(|v| v == "red"));
        assert_eq!(distinct(&dy), 3);
        let (st, dy) = one(json!({ "type": ["string", "null"], "enum": ["x", "y", null] }));
        assert!(st.iter().all(|v| v == "x"));
        assert_eq!(distinct(&dy), 3);
        let (st, _) = one(json!({ "type": "string", "enum": [1, "ok"] }));
        assert_eq!(st[0], "ok", "enum members of the wrong type are skipped");
        one(json!({ "const": { "a": 1 } }));
    }

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

    #[test]
    fn integers() {
        let (st, dy) =
            one(json!({ "type": "integer", "minimum": 10, "maximum": 100, "multipleOf": 7 }));
        assert_eq!(st[0], 14);
        assert!(distinct(&dy) > 5);
        let (st, dy) = one(
            json!({ "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 5, "exclusiveMaximum": true }),
        );
        assert_eq!(st[0], 1);
        assert_eq!(distinct(&dy), 4);
        one(json!({ "type": "integer", "maximum": -5 }));
        one(json!({ "type": "integer", "minimum": 1e12 }));
        one(json!({ "type": "integer", "format": "int32" }));
        one(json!({ "type": "integer", "format": "int64", "minimum": -9000000000000000000i64 }));
        one(json!({ "type": "integer", "multipleOf": 0.5, "minimum": 3.2 }));
        one(json!({ "type": "integer", "multipleOf": 2.5 }));
        let (st, dy) = one(
            json!({ "type": "integer", "minimum": -4.5, "maximum": -3, "exclusiveMaximum": true }),
        );
        assert!(st.iter().chain(&dy).all(|v| v == -4));
    }

    #[test]
    fn numbers() {
        one(json!({ "type": "number" }));
        one(json!({ "type": "number", "minimum": 0.5, "maximum": 2.5, "multipleOf": 0.1 }));
        one(json!({ "type": "number", "minimum": 0, "exclusiveMinimum": true }));
        one(json!({ "type": "number", "minimum": 0, "maximum": 0.001, "exclusiveMaximum": true }));
        one(json!({ "type": "number", "multipleOf": 0.01, "minimum": -1, "maximum": 1 }));
        one(json!({ "type": "number", "multipleOf": 0.3 }));
        one(json!({ "type": "number", "format": "float" }));
        one(json!({ "type": "number", "format": "double", "maximum": -1e6 }));
        one(json!({ "type": "number", "format": "int32", "minimum": 3 }));
        one(json!({ "type": "number", "minimum": -1e300, "maximum": 1e300 }));
    }

    #[test]
    fn formats() {
        for format in [
            "date-time",
            "date",
            "time",
            "email",
            "idn-email",
            "uri",
            "url",
            "iri",
            "uri-reference",
            "iri-reference",
            "uri-template",
            "hostname",
            "idn-hostname",
            "ipv4",
            "ipv6",
            "uuid",
            "byte",
            "binary",
            "password",
            "json-pointer",
            "relative-json-pointer",
            "regex",
            "duration",
            "no-such-format",
        ] {
            let (st, dy) = one(json!({ "type": "string", "format": format }));
            for v in st.iter().chain(&dy) {
                let s = v.as_str().expect("a string");
                assert!(format_ok(format, s), "{format}: {s}");
            }
        }
        let (st, _) = one(json!({ "type": "string", "format": "date-time" }));
        assert_eq!(st[0], "2024-01-01T00:00:00Z");
        let (_, dy) = one(json!({ "type": "string", "format": "uuid" }));
        for v in &dy {
            let s = v.as_str().unwrap_or_default();
            assert!(is_uuid(s) && s.as_bytes()[14] == b'4', "{s}");
        }
        let (st, _) = one(json!({ "type": "string", "format": "uri" }));
        assert!(st[0]
            .as_str()
            .is_some_and(|s| s.starts_with("https://example.com/")));
        let (st, dy) =
            one(json!({ "type": "string", "format": "byte", "minLength": 10, "maxLength": 20 }));
        for v in st.iter().chain(&dy) {
            let s = v.as_str().unwrap_or_default();
            assert!(s.len() % 4 == 0 && (10..=20).contains(&s.len()), "{s}");
        }
        assert_eq!(base64(b"string"), "c3RyaW5n");
        assert_eq!(base64(b"st"), "c3Q=");
        one(json!({ "type": "string", "format": "email", "maxLength": 10 }));
        one(json!({ "type": "string", "format": "email", "minLength": 40 }));
        one(json!({ "type": "string", "format": "uri", "minLength": 50, "maxLength": 60 }));
        one(json!({ "type": "string", "format": "hostname", "minLength": 80 }));
        one(json!({ "type": "string", "format": "password", "minLength": 12, "maxLength": 14 }));
        // A format and a pattern: the format value is used when it matches.
        let (st, _) =
            one(json!({ "type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$" }));
        assert_eq!(st[0], "2024-01-01");
    }

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

    fn pets() -> Value {
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

    #[test]
    fn composition() {
        let (st, _) = generate_valid(pets(), "Dog");
        assert_eq!(
            st[0],
            json!({ "petType": "Dog", "name": "string", "bark": true })
        );
        // Every dog is also a cat (cats allow any extra property), so oneOf only
        // admits cats; the discriminator follows the branch.
        let (st, dy) = generate_valid(pets(), "AnyPet");
        for v in st.iter().chain(&dy) {
            let expected = if v.get("bark").is_some() {
                "dog"
            } else {
                "cat"
            };
            assert_eq!(v["petType"], expected, "{v}");
        }
        let (st, dy) = generate_valid(pets(), "MaybePet");
        assert!(st.iter().all(Value::is_object));
        assert!(dy.iter().any(Value::is_null));
        // Overlapping branches: a value must match exactly one.
        one(
            json!({ "oneOf": [{ "type": "string", "maxLength": 5 }, { "type": "string", "minLength": 3 }] }),
        );
        one(json!({ "oneOf": [{ "type": "integer" }, { "type": "number" }] }));
        one(json!({ "anyOf": [{ "type": "string", "format": "email" }, { "type": "integer" }] }));
        one(
            json!({ "allOf": [{ "type": "string", "minLength": 4 }, { "maxLength": 6 }, { "pattern": "^[a-c]+$" }] }),
        );
        one(
            json!({ "allOf": [{ "type": "number", "minimum": 3 }, { "type": "integer", "maximum": 9, "multipleOf": 4 }] }),
        );
        one(
            json!({ "allOf": [{ "pattern": "^[a-z0-9]{6}$" }, { "pattern": "[0-9]" }], "type": "string" }),
        );
        one(json!({
            "allOf": [
                { "type": "object", "properties": { "a": { "type": "string" } }, "additionalProperties": false },
                { "type": "object", "properties": { "a": { "maxLength": 2 }, "b": { "type": "string" } } }
            ]
        }));
        one(
            json!({ "type": "object", "properties": { "k": { "type": "string" } }, "oneOf": [{ "required": ["k"] }, { "required": ["z"] }] }),
        );
        one(json!({ "type": "string", "not": { "enum": ["string"] } }));
        one(json!({ "type": "integer", "minimum": 0, "maximum": 3, "not": { "enum": [0, 1, 2] } }));
        one(json!({ "not": { "type": "object" } }));
        one(json!({ "anyOf": [{ "type": "null" }, { "type": "string", "format": "date" }] }));
    }

    fn tree() -> Value {
        json!({
            "Node": {
                "type": "object",
                "required": ["name", "children"],
                "properties": {
                    "name": { "type": "string" },
                    "parent": { "$ref": "#/definitions/Node" },
                    "children": { "type": "array", "items": { "$ref": "#/definitions/Node" } }
                }
            },
            "Nullable": {
                "type": ["object", "null"],
                "required": ["next"],
                "properties": { "next": { "$ref": "#/definitions/Nullable" } }
            },
            "Loop": {
                "type": "object",
                "required": ["next"],
                "properties": { "next": { "$ref": "#/definitions/Loop" } }
            },
            "A": { "$ref": "#/definitions/B" },
            "B": { "$ref": "#/definitions/A" },
            "Self": { "allOf": [{ "$ref": "#/definitions/Self" }, { "type": "integer" }] }
        })
    }

    #[test]
    fn recursion_is_bounded() {
        let (st, dy) = generate_valid(tree(), "Node");
        fn depth(v: &Value) -> usize {
            match v {
                Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
                Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
                _ => 0,
            }
        }
        assert!(st.iter().chain(&dy).all(|v| depth(v) < 40));
        generate_valid(tree(), "Nullable");
        generate_valid(tree(), "Self");
        // Unsatisfiable or looping: no hang, no overflow.
        let root = document(&tree());
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&root, mode);
            for name in ["Loop", "A", "B"] {
                let schema = json!({ "$ref": format!("#/definitions/{name}") });
                for seed in 0..10 {
                    let _ = generator.generate(&schema, &mut rng(seed));
                }
            }
        }
    }

    #[test]
    fn deterministic_and_varied() {
        let root = document(&pets());
        let schema = json!({ "$ref": "#/definitions/AnyPet" });
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&root, mode);
            for seed in 0..20 {
                let a = generator.generate(&schema, &mut rng(seed));
                let b = Generator::new(&root, mode).generate(&schema, &mut rng(seed));
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        let generator = Generator::new(&root, Mode::Dynamic);
        let values: Vec<Value> = (0..20)
            .map(|s| generator.generate(&schema, &mut rng(s)))
            .collect();
        assert!(distinct(&values) > 15);
        // One rng, successive calls: different values in dynamic mode.
        let mut r = rng(7);
        let a = generator.generate(&schema, &mut r);
        let b = generator.generate(&schema, &mut r);
        assert_ne!(a, b);
    }

    #[test]
    fn garbage_does_not_panic() {
        let mut deep = json!({ "type": "string" });
        for _ in 0..300 {
            deep = json!({ "type": "array", "minItems": 1, "items": deep });
        }
        let mut deep_all = json!({ "type": "integer" });
        for _ in 0..200 {
            deep_all = json!({ "allOf": [deep_all] });
        }
        let schemas = vec![
            Value::Null,
            json!(true),
            json!(false),
            json!("string"),
            json!(42),
            json!([1, 2]),
            json!({}),
            json!({ "type": 5 }),
            json!({ "type": ["weird"] }),
            json!({ "type": [] }),
            json!({ "$ref": 7 }),
            json!({ "$ref": "http://example.com/x" }),
            json!({ "$ref": "#/nope" }),
            json!({ "$ref": "#" }),
            json!({ "$ref": "#/definitions/a%20b" }),
            json!({ "type": "string", "minLength": -1, "maxLength": "x" }),
            json!({ "type": "string", "minLength": 10, "maxLength": 2 }),
            json!({ "type": "string", "minLength": 1e30 }),
            json!({ "type": "string", "pattern": "(" }),
            json!({ "type": "string", "pattern": "[a&&b]" }),
            json!({ "type": "string", "pattern": "a{1000000}" }),
            json!({ "type": "string", "pattern": "((a{1000}){1000}){1000}" }),
            json!({ "type": "string", "pattern": "^(?=.*[A-Z]).{8,}$" }),
            json!({ "type": "string", "pattern": "(a*)*b$", "minLength": 50 }),
            json!({ "type": "string", "pattern": 12 }),
            json!({ "type": "string", "format": 12 }),
            json!({ "type": "integer", "minimum": 10, "maximum": 1 }),
            json!({ "type": "integer", "minimum": 1e300 }),
            json!({ "type": "integer", "multipleOf": -3 }),
            json!({ "type": "integer", "multipleOf": 1e-300 }),
            json!({ "type": "number", "minimum": 1e308, "maximum": 1.7e308 }),
            json!({ "type": "number", "minimum": 5, "maximum": 5, "exclusiveMaximum": true }),
            json!({ "type": "number", "multipleOf": 1e-320 }),
            json!({ "enum": [] }),
            json!({ "enum": "x" }),
            json!({ "type": "array", "items": 3 }),
            json!({ "type": "array", "items": false, "minItems": 2 }),
            json!({ "type": "array", "minItems": 1e20 }),
            json!({ "type": "array", "uniqueItems": true, "minItems": 5, "items": { "type": "boolean" } }),
            json!({ "properties": "x", "required": [1, 2] }),
            json!({ "type": "object", "minProperties": 5, "additionalProperties": false }),
            json!({ "type": "object", "patternProperties": { "(": {} }, "additionalProperties": false, "minProperties": 1 }),
            json!({ "allOf": "x", "oneOf": [], "anyOf": [1, 2] }),
            json!({ "allOf": [{ "$ref": "#" }] }),
            json!({ "oneOf": [{ "type": "string" }, { "type": "string" }] }),
            json!({ "not": {} }),
            json!({ "discriminator": { "propertyName": 3 }, "oneOf": [{ "$ref": "#/x" }] }),
            deep,
            deep_all,
        ];
        let root =
            json!({ "definitions": { "a b": { "type": "integer" } }, "allOf": [{ "$ref": "#" }] });
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&root, mode);
            for schema in &schemas {
                for seed in 0..5 {
                    let _ = generator.generate(schema, &mut rng(seed));
                }
            }
        }
        let generator = Generator::new(&root, Mode::Static);
        assert_eq!(
            generator.generate(&json!({ "$ref": "#/definitions/a%20b" }), &mut rng(0)),
            0
        );
        assert_eq!(generator.generate(&Value::Null, &mut rng(0)), Value::Null);
    }

    #[test]
    fn pattern_matcher() {
        let root = json!({});
        let g = Generator::new(&root, Mode::Static);
        let cases = [
            ("^abc$", "abc", true),
            ("^abc$", "abcd", false),
            ("abc", "xxabcxx", true),
            ("^a$|^bb$", "bb", true),
            ("^a$|^bb$", "abb", false),
            ("^[0-9]{3}$", "123", true),
            ("^[0-9]{3}$", "12", false),
            ("\\bfoo\\b", "a foo b", true),
            ("\\bfoo\\b", "afoob", false),
            ("^(a|b)*c$", "ababc", true),
            ("^(a*)*$", "aaaa", true),
            ("^x?y+$", "yyy", true),
            ("^\\/api$", "/api", true),
            ("^\\u0041$", "A", true),
            ("^[^\\s]+$", "a b", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                g.is_match(pattern, text),
                Some(expected),
                "{pattern} on {text}"
            );
        }
        assert_eq!(g.is_match("(?=a)", "a"), None);
    }
}
