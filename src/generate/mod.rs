//! Generates JSON values from JSON Schemas.
//!
//! When a contract has no example for a response body or header, the mock server
//! still has to answer with something, and it validates everything it sends against
//! the contract. This module builds those values from the contract's schemas (OpenAPI
//! 3.0 schemas already converted to JSON Schema draft 4, with `$ref`s pointing into one
//! root document). The values are:
//!
//! - valid: every keyword the generator understands is honoured, and each value is
//!   checked by the contract's own validators (`check.rs`) and regenerated (a
//!   bounded number of times) when a combination of keywords defeated the first
//!   attempt;
//! - deterministic: the same schema and the same random generator state give the same
//!   value, which keeps snapshot tests stable;
//! - readable in [`Mode::Static`] (examples, defaults, placeholders such as `"string"`)
//!   and varied in [`Mode::Dynamic`].
//!
//! This file holds the entry point, the limits, `$ref`s and the dispatch on a
//! schema's shape. The rest has one file per concern: `typed.rs` (which JSON type,
//! and `null`), `compose.rs` (`allOf`/`oneOf`/`anyOf`, discriminators) with
//! `merge.rs`, `object.rs`, `array.rs`, `number.rs`, `string.rs` with `pattern.rs`
//! (strings from `pattern`s), `format.rs`, and `check.rs` (asking the contract's
//! validators whether a value will do).
//!
//! Nothing here panics on any input: unknown or malformed schemas yield `null` or
//! another sensible value, recursion is bounded, and every loop has a fixed budget.

mod array;
mod check;
mod compose;
mod format;
mod merge;
mod number;
mod object;
mod pattern;
mod string;
#[cfg(test)]
mod testing;
mod typed;

use std::borrow::Cow;
use std::cell::Cell;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::RngExt;
use serde_json::{Map, Value};

use crate::contract::{SchemaId, Schemas};
use check::{down, At, Place, Step};

/// How values are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    /// Stable, readable values: the schema's `example`, else its `default`, else its
    /// first `enum` member, else a placeholder; every property except `writeOnly`
    /// ones; one array item. What the mock server uses unless told otherwise.
    #[default]
    Static,
    /// Random values within the schema: random enum members, lengths and counts,
    /// optional properties present with probability 0.7 (one at least), the
    /// schema's example or default half the time.
    Dynamic,
}

/// Generates values for the schemas of one contract.
pub(crate) struct Generator<'a> {
    /// The converted document, which `$ref`s point into.
    root: &'a Value,
    /// The contract's validators, which say whether a value is good enough.
    schemas: &'a Schemas,
    mode: Mode,
    limits: Limits,
    /// When generation must stop (per-request generation is bounded in time as
    /// well as in size); past it, only the smallest values are made.
    deadline: Option<Instant>,
}

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
    /// Bytes of string data one `generate` call may produce (retries included);
    /// past it, only the smallest values are made.
    bytes: usize,
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
            bytes: MAX_BYTES,
        }
    }
}

/// Bytes of string data one `generate` call may produce: a schema asking for
/// large arrays of long strings gets a value of about this size, not gigabytes.
pub(crate) const MAX_BYTES: usize = 1024 * 1024;

/// The schema an unresolvable reference stands for: anything.
static TRUE: Value = Value::Bool(true);
/// Private keyword of merged (`allOf`) schemas: patterns beyond the first.
const EXTRA_PATTERNS: &str = "x-mimeo-patterns";
/// Most `$ref` hops followed in a row before giving up on a reference chain.
const MAX_HOPS: u32 = 32;

/// Where a chain of `$ref`s leads.
struct Resolved<'s> {
    schema: &'s Value,
    /// `$ref`s followed.
    hops: u32,
    /// The last `$ref` followed, as written.
    via: Option<&'s str>,
    /// Where `schema` is in the document, when a `$ref` led there.
    pointer: Option<Cow<'s, str>>,
}

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
    /// Bytes of string data left to produce in this call.
    bytes: &'c Cell<usize>,
    /// Whether the bytes or the time ran out: only the smallest values from here.
    spent: &'c Cell<bool>,
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

impl<'a> Generator<'a> {
    /// A generator for the schemas in `schemas` (and their document).
    pub(crate) fn new(schemas: &'a Schemas, mode: Mode) -> Self {
        Generator {
            root: schemas.document(),
            schemas,
            mode,
            limits: Limits::default(),
            deadline: None,
        }
    }

    /// The same generator, stopping at `deadline`.
    pub(crate) fn until(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Whether the time allowed is over.
    pub(crate) fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Generates a value for the contract's schema `id`: `Ok` when the contract's
    /// validator accepts it, else `Err` with the best attempt (the first). Same
    /// schema + same rng state => same value.
    pub(crate) fn generate(&self, id: SchemaId, rng: &mut StdRng) -> Result<Value, Value> {
        let place = Place::Pointer(self.schemas.location(id));
        self.generate_checked(
            self.schemas.source(id),
            Some(&place),
            |v| self.schemas.is_valid(id, v),
            rng,
        )
    }

    /// Generates a value for `schema`, a part of a contract schema that has no id
    /// of its own (a property of a response body): `Ok` when the contract's
    /// validators accept it, else `Err` with the best attempt.
    pub(crate) fn generate_value(&self, schema: &Value, rng: &mut StdRng) -> Result<Value, Value> {
        self.generate_checked(schema, None, |v| self.valid(schema, None, v), rng)
    }

    /// Generates a value for `schema` (at `place`), regenerating a bounded number
    /// of times until `valid` accepts one.
    fn generate_checked(
        &self,
        schema: &Value,
        place: At<'_>,
        valid: impl Fn(&Value) -> bool,
        rng: &mut StdRng,
    ) -> Result<Value, Value> {
        let budget = Cell::new(self.limits.retry_budget);
        let nodes = Cell::new(0);
        let bytes = Cell::new(self.limits.bytes);
        let spent = Cell::new(false);
        let ctx = Ctx {
            depth: 0,
            refs: 0,
            recursion: 0,
            path: None,
            budget: &budget,
            nodes: &nodes,
            bytes: &bytes,
            spent: &spent,
        };
        let first = self.gen(schema, place, ctx, self.mode, rng);
        if valid(&first) {
            return Ok(first);
        }
        for _ in 0..3 {
            if spent.get() || !ctx.retry() {
                break;
            }
            nodes.set(0);
            let again = self.gen(schema, place, ctx, Mode::Dynamic, rng);
            if valid(&again) {
                return Ok(again);
            }
        }
        Err(first)
    }

    /// Follows `$ref`s from `schema`. A dangling or looping reference stands for
    /// `true`.
    fn resolve<'s>(&'s self, schema: &'s Value) -> Resolved<'s> {
        let mut target = Resolved {
            schema,
            hops: 0,
            via: None,
            pointer: None,
        };
        while let Some(r) = target.schema.get("$ref").and_then(Value::as_str) {
            if target.hops >= MAX_HOPS {
                return Resolved {
                    schema: &TRUE,
                    pointer: None,
                    ..target
                };
            }
            match self.lookup(r) {
                Some((found, pointer)) => {
                    target.schema = found;
                    target.hops += 1;
                    target.via = Some(r);
                    target.pointer = Some(pointer);
                }
                None => {
                    return Resolved {
                        schema: &TRUE,
                        hops: target.hops + 1,
                        via: Some(r),
                        pointer: None,
                    }
                }
            }
        }
        target
    }

    /// The schema a local `$ref` names, and its JSON pointer in the document.
    fn lookup<'r>(&self, reference: &'r str) -> Option<(&'a Value, Cow<'r, str>)> {
        let fragment = reference.strip_prefix('#')?;
        if let Some(found) = crate::support::pointer::get(self.root, fragment) {
            return Some((found, Cow::Borrowed(fragment)));
        }
        let decoded = percent_decode(fragment)?;
        let found = crate::support::pointer::get(self.root, &decoded)?;
        Some((found, Cow::Owned(decoded)))
    }

    /// Whether generation should stop adding optional content: too many `$ref`s
    /// deep (recursive schemas) or too much generated already.
    fn at_limit(&self, ctx: Ctx<'_>) -> bool {
        ctx.refs >= self.limits.ref_depth
            || ctx.recursion >= self.limits.recursion
            || ctx.nodes.get() >= self.limits.soft_nodes
            || ctx.spent.get()
    }

    /// A value for `schema`, which sits at `place` in the document (`None` for a
    /// schema the generator built).
    fn gen(
        &self,
        schema: &Value,
        place: At<'_>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        ctx.nodes.set(ctx.nodes.get().saturating_add(1));
        if !ctx.spent.get() && self.past_deadline() {
            ctx.spent.set(true);
        }
        if ctx.spent.get() {
            // Out of bytes or time: the value will not do anyway; the cheapest one.
            return Value::Null;
        }
        if ctx.depth >= self.limits.depth || ctx.nodes.get() >= self.limits.hard_nodes {
            let v = self.shallow(schema, rng);
            charge(ctx, &v);
            return v;
        }
        let v = self.gen_node(schema, place, ctx, mode, rng);
        charge(ctx, &v);
        v
    }

    /// [`Generator::gen`] once the budgets allow it.
    fn gen_node(
        &self,
        schema: &Value,
        place: At<'_>,
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        if let Some(both) = ref_with_siblings(schema) {
            // 2020-12: a `$ref`'s siblings apply too, as if both were `allOf`.
            return self.gen(&both, None, ctx, mode, rng);
        }
        let Resolved {
            schema,
            hops,
            via,
            pointer,
        } = self.resolve(schema);
        let target;
        let place = match &pointer {
            Some(p) => {
                target = Place::Pointer(p);
                Some(&target)
            }
            None => place,
        };
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
        // The schema's own example (else its default) before anything made up:
        // always in static mode, half the time in dynamic mode, so fresh data
        // still looks like the API's while it varies. `examples` is 2020-12's
        // list of examples (OpenAPI 3.1).
        let listed = obj.get("examples").and_then(Value::as_array);
        let documented = obj.contains_key("example")
            || obj.contains_key("default")
            || listed.is_some_and(|l| !l.is_empty());
        if documented && (mode == Mode::Static || rng.random_bool(0.5)) {
            let candidates = obj
                .get("example")
                .into_iter()
                .chain(listed.into_iter().flatten())
                .chain(obj.get("default"));
            for v in candidates {
                if self.valid(schema, place, v) {
                    return v.clone();
                }
            }
        }
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(members)) = obj.get("enum") {
            if let Some(v) = self.pick_enum(schema, place, members, ctx, mode, rng) {
                return v;
            }
        }
        if ["allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| obj.contains_key(*k))
        {
            return self.gen_composite(schema, place, via, ctx, mode, rng);
        }
        let Some(not) = obj.get("not") else {
            return self.gen_typed(obj, place, ctx, mode, rng);
        };
        let mut slot = None;
        let not_place = down(place, Step::Key("not"), &mut slot);
        let mut first = None;
        for attempt in 0..self.limits.attempts {
            if attempt > 0 && !ctx.retry() {
                break;
            }
            let m = if attempt == 0 { mode } else { Mode::Dynamic };
            let v = self.gen_typed(obj, place, ctx, m, rng);
            if !self.valid(not, not_place, &v) {
                return v;
            }
            first.get_or_insert(v);
        }
        first.unwrap_or(Value::Null)
    }

    fn pick_enum(
        &self,
        schema: &Value,
        place: At<'_>,
        members: &[Value],
        ctx: Ctx<'_>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Option<Value> {
        let first = members.first()?;
        let ok = |v: &&Value| self.valid(schema, place, v);
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
}

/// A schema with a `$ref` and keywords beside it that constrain the value (OpenAPI
/// 3.1; 3.0's are dropped when the document is read) as `allOf` of the two.
fn ref_with_siblings(schema: &Value) -> Option<Value> {
    let Value::Object(o) = schema else {
        return None;
    };
    let reference = o.get("$ref")?;
    let rest: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "$ref" | "title" | "description" | "summary" | "$comment" | "deprecated"
            ) && !k.starts_with("x-")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if rest.is_empty() {
        return None;
    }
    let mut both = Map::new();
    both.insert(
        "allOf".into(),
        Value::Array(vec![
            serde_json::json!({ "$ref": reference }),
            Value::Object(rest),
        ]),
    );
    Some(Value::Object(both))
}

/// Counts a generated string against the call's byte budget.
fn charge(ctx: Ctx<'_>, v: &Value) {
    if let Value::String(s) = v {
        let left = ctx.bytes.get();
        if s.len() >= left {
            ctx.bytes.set(0);
            ctx.spent.set(true);
        } else {
            ctx.bytes.set(left - s.len());
        }
    }
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

fn rand_usize(rng: &mut StdRng, lo: usize, hi: usize) -> usize {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn contract_schemas_by_id() {
        // The mock's way in: a schema of the contract by id, judged by its own
        // validator, its parts checked at their places in the document (debug
        // builds assert each place).
        let contract = Contract::from_file("tests/fixtures/features.yaml").expect("loads");
        let ids: Vec<SchemaId> = contract
            .operations
            .iter()
            .flat_map(|op| &op.responses)
            .flat_map(|r| &r.content)
            .filter_map(|m| m.schema)
            .collect();
        assert!(ids.len() >= 4, "{ids:?}");
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&contract.schemas, mode);
            for &id in &ids {
                for seed in 0..20 {
                    let v = generator.generate(id, &mut rng(seed));
                    let at = contract.schemas.location(id);
                    assert!(v.is_ok(), "{mode:?} seed {seed}: {v:?} for {at}");
                }
            }
        }
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
        let schemas = schemas(&root);
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&schemas, mode);
            for name in ["Loop", "A", "B"] {
                let schema = json!({ "$ref": format!("#/definitions/{name}") });
                for seed in 0..10 {
                    let _ = generate(&generator, &schema, &mut rng(seed));
                }
            }
        }
    }

    #[test]
    fn deterministic_and_varied() {
        let root = document(&pets());
        let schemas = schemas(&root);
        let schema = json!({ "$ref": "#/definitions/AnyPet" });
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&schemas, mode);
            for seed in 0..20 {
                let a = generate(&generator, &schema, &mut rng(seed));
                let b = generate(&Generator::new(&schemas, mode), &schema, &mut rng(seed));
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        let generator = Generator::new(&schemas, Mode::Dynamic);
        let values: Vec<Value> = (0..20)
            .map(|s| generate(&generator, &schema, &mut rng(s)))
            .collect();
        assert!(distinct(&values) > 15);
        // One rng, successive calls: different values in dynamic mode.
        let mut r = rng(7);
        let a = generate(&generator, &schema, &mut r);
        let b = generate(&generator, &schema, &mut r);
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
        let garbage = vec![
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
        let schemas = schemas(&root);
        for mode in [Mode::Static, Mode::Dynamic] {
            let generator = Generator::new(&schemas, mode);
            for schema in &garbage {
                for seed in 0..5 {
                    let _ = generate(&generator, schema, &mut rng(seed));
                }
            }
        }
        let generator = Generator::new(&schemas, Mode::Static);
        assert_eq!(
            generate(
                &generator,
                &json!({ "$ref": "#/definitions/a%20b" }),
                &mut rng(0)
            ),
            0
        );
        assert_eq!(generate(&generator, &Value::Null, &mut rng(0)), Value::Null);
    }
}
