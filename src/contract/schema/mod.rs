//! A contract's schemas as compiled JSON Schema validators.
//!
//! OpenAPI 3.0 speaks a dialect of JSON Schema draft 4 (`nullable`, boolean
//! `exclusiveMinimum`, `$ref` siblings ignored), 3.1 speaks 2020-12. We rewrite
//! the dialect once at load time ([`dialect`]), register every schema the
//! contract uses ([`builder`]), and
//! compile each into a validator ([`compile`]) the first time it is needed (kept from then on),
//! so no request pays for parsing a schema and a large document does not pay at
//! start-up, in time or memory, for operations nobody calls. Schemas with the
//! same text share one validator.
//!
//! What would make a validator fail or misbehave is found at load instead, and
//! reported as a warning: a schema the draft 4 meta-schema refuses, a `$ref` that
//! points at nothing, a `pattern` that is not a regular expression, and a schema
//! whose composition would make validating one value take unbounded work
//! ([`super::cost`]). Such a schema accepts every value. A schema jsonschema
//! still refuses when it is first compiled (something those checks do not
//! look for, such as a component reached by `$ref` whose `minLength` is a
//! string) cannot be set aside quietly at that point, after the start-up
//! warnings: every value checked against it is a violation naming the schema
//! and why, and a warning is kept once ([`Schemas::take_warnings`]). Patterns run on a
//! linear-time engine, except those that need backtracking (backreferences,
//! lookaround): those are matched under bounds of length and work
//! ([`super::fancy`]), so no request can stall the others.
//!
//! These validators are mimeo's one definition of a valid value: the mock checks
//! requests and answers with them, and the value generator asks them (through
//! `Schemas::is_valid_at` and `Schemas::is_valid_against`, for the parts of
//! schemas it generates from) whether a value it made will do. Those extra
//! validators are compiled the same way, on first use, and kept; except while
//! a large contract's bodies are built after start ([`transiently`]), when the
//! validators compiled for it are kept apart and bounded.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use indexmap::IndexMap;
use jsonschema::{Registry, Validator};
use serde_json::Value;

use super::cost::{Fanouts, MAX_FANOUT};
use super::fancy::{self, within_budget};
use crate::support::limits::{self, Capped, DETAILED_VALUES, MAX_LISTED, MAX_MESSAGE};
use crate::support::pointer;

mod builder;
mod compile;
mod dialect;
pub(crate) mod discriminator;
mod patterns;
mod transient;

pub(crate) use builder::SchemaBuilder;
pub(crate) use compile::BACKTRACK_LIMIT;
use compile::{compile, Refused};
use dialect::format_range;
pub(crate) use dialect::{convert, convert_2020, Dialect};
pub(crate) use patterns::Patterns;
pub(crate) use transient::{keeping_parts, transiently};

/// Index of a compiled schema inside [`Schemas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SchemaId(usize);

impl SchemaId {
    /// What tells `schema` (`None`: no schema) from the contract's other
    /// schemas in a memo of verdicts (see `SeenBodies`).
    pub(crate) fn memo_id(schema: Option<SchemaId>) -> u64 {
        schema.map_or(u64::MAX, |s| s.0 as u64)
    }
}

/// One violation of a schema, with where it is in the instance and which rule broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    /// JSON pointer into the validated value ("" for the value itself).
    pub(crate) pointer: String,
    /// The JSON Schema keyword that failed (`pattern`, `maxLength`, `required`, ...).
    pub(crate) rule: String,
    /// A readable description of the failure, at most [`MAX_MESSAGE`] bytes.
    pub(crate) message: String,
}

/// Where a registered schema's text is.
enum Source {
    /// In the document, at the JSON pointer with these (unescaped) tokens; no
    /// copy is kept. Split once here, so looking a schema up (which the stateful
    /// mock does per request) allocates nothing.
    At(Box<[Box<str>]>),
    /// Given as a value (schemas registered by tests).
    #[cfg(test)]
    Own(Value),
}

/// A [`Compiled`] as it is used, wherever it is held.
enum Held<'a> {
    Ready(&'a Validator),
    SetAside,
    Refused(&'a str),
}

/// What compiling a schema of the contract gave.
enum Compiled {
    Ready(Validator),
    /// Found broken at load and reported then: accepts every value.
    SetAside,
    /// Refused by jsonschema at first use: every value is a violation saying this.
    Refused(String),
}

/// The rule of the violation a [`Compiled::Refused`] schema reports.
pub(crate) const UNCOMPILABLE: &str = "schema";

/// Every schema the contract uses, compiled on first use.
pub(crate) struct Schemas {
    /// By id: compiled when first needed; set aside at load for a schema that
    /// must not be compiled (see the module docs).
    validators: Vec<OnceLock<Compiled>>,
    /// Schemas refused at first use, reported once each, until taken.
    refused: Mutex<Vec<String>>,
    /// The converted schema at each id, for generating values and reading limits.
    sources: Vec<Source>,
    /// Where each schema came from in the document (its JSON pointer): the
    /// first place, when several hold the same schema.
    locations: Vec<String>,
    /// By id: whether several places hold the schema (a message about one of
    /// them must not read as if the first place were the one checked).
    shared: Vec<bool>,
    /// By id, once asked: where its `$ref`s lead (`None`: nowhere the pointer
    /// walk reaches). Checking an answer starts there every time.
    resolved: Vec<OnceLock<Option<Tokens>>>,
    /// The converted document, shared with the contract: what `$ref`s point into.
    document: Arc<Value>,
    /// The registry holding `document`, kept to compile validators when needed
    /// (`None` when the document cannot be a registry: nothing is validated then).
    registry: Option<Registry<'static>>,
    /// How much work validating against each schema of the document can take.
    fanouts: Fanouts,
    /// Validators for other schemas, compiled on first use.
    on_demand: OnDemand,
    /// The JSON Schema the document's schemas are written in.
    dialect: Dialect,
    /// Every `pattern` compiled so far, shared by all the validators of the
    /// contract: a pattern reached by many schemas is compiled once.
    patterns: jsonschema::PatternCache,
}

/// The unescaped tokens of a JSON pointer.
type Tokens = Box<[Box<str>]>;

/// Validators compiled after load, when the generator first checks a value against
/// a schema the contract did not compile: a part of one (a property, a branch), or
/// a schema the generator built from several (a merged `allOf`).
struct OnDemand {
    /// By JSON pointer into the document. The document never changes after load, so
    /// an entry never goes stale, and there is at most one per schema it holds:
    /// bounded by the document, compiled once per process, shared by all requests.
    at: RwLock<HashMap<String, Option<Arc<Validator>>>>,
    /// By the text of a schema that is not in the document. Those are made per
    /// request but repeat, so the last [`BUILT_KEPT`] are kept (oldest dropped first).
    built: RwLock<IndexMap<String, Option<Arc<Validator>>>>,
    /// Tells these schemas from another contract's in the validators a thread
    /// keeps apart ([`transiently`]): a pointer means another schema there.
    uid: u64,
}

impl Default for OnDemand {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        OnDemand {
            at: RwLock::default(),
            built: RwLock::default(),
            uid: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// How many validators of schemas built outside the document are kept.
const BUILT_KEPT: usize = 256;

/// The schema `id` stands for when its source is missing.
static NOTHING: Value = Value::Bool(true);

impl Schemas {
    /// The converted (draft 4) schema with this id.
    pub(crate) fn source(&self, id: SchemaId) -> &Value {
        match &self.sources[id.0] {
            Source::At(tokens) => pointer::walk(&self.document, tokens).unwrap_or(&NOTHING),
            #[cfg(test)]
            Source::Own(v) => v,
        }
    }

    /// The schema with this id, its `$ref`s followed (as [`resolve`] follows
    /// them); `None` when they lead nowhere. Where they lead is worked out on
    /// the first call: a check of every answer starts here.
    pub(crate) fn resolved_source(&self, id: SchemaId) -> Option<&Value> {
        let tokens = self.resolved[id.0].get_or_init(|| {
            // Tests also hold schemas of their own, which are not in the document.
            #[allow(clippy::infallible_destructuring_match)]
            let start = match &self.sources[id.0] {
                Source::At(tokens) => tokens,
                #[cfg(test)]
                Source::Own(_) => return None,
            };
            let mut at = start.clone();
            for _ in 0..32 {
                let here = pointer::walk(&self.document, &at)?;
                let Some(r) = here.get("$ref").and_then(Value::as_str) else {
                    return Some(at);
                };
                let (target, found_at) =
                    pointer::fragment_at(&self.document, r.strip_prefix('#')?)?;
                at = pointer::split(&found_at);
                // `found_at` is the pointer the target was found at (decoded
                // when it had to be), so the walk reaches it; were it not to,
                // the schema would be resolved each time instead.
                if !pointer::walk(&self.document, &at).is_some_and(|v| std::ptr::eq(v, target)) {
                    return None;
                }
            }
            None
        });
        pointer::walk(&self.document, tokens.as_deref()?)
    }

    /// The JSON pointer in the document the schema with this id was taken from.
    pub(crate) fn location(&self, id: SchemaId) -> &str {
        &self.locations[id.0]
    }

    /// The validator of schema `id`, compiled now if this is its first use.
    fn validator(&self, id: SchemaId) -> &Compiled {
        self.validators[id.0].get_or_init(|| self.compile_id(id))
    }

    /// Schema `id` compiled (a refusal reported).
    fn compile_id(&self, id: SchemaId) -> Compiled {
        let Some(registry) = self.registry.as_ref() else {
            return Compiled::SetAside; // Reported at load.
        };
        let compiled = compile(
            registry,
            &self.patterns,
            self.source(id),
            &format!("urn:mimeo:schema:{}", id.0),
            self.dialect,
        );
        match compiled {
            Ok(v) => Compiled::Ready(v),
            Err(refused) => {
                let why = self.refusal(id, &refused);
                self.refused
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!(
                        "schema at #{} cannot be compiled ({why}); every value checked against it is reported as a violation",
                        self.location(id)
                    ));
                Compiled::Refused(why)
            }
        }
    }

    /// Runs `f` on the validator of `id`: the contract's, or within
    /// [`transiently`], when the contract has none yet, one compiled for the
    /// work at hand only (a refusal is kept by the contract all the same).
    fn with_validator<R>(&self, id: SchemaId, f: impl FnOnce(Held<'_>) -> R) -> R {
        let slot = &self.validators[id.0];
        if slot.get().is_none() && transient::active() {
            let mut refused = None;
            let v = transient::scoped(
                || format!("{}:id:{}", self.on_demand.uid, id.0),
                || match self.compile_id(id) {
                    Compiled::Ready(v) => Some(v),
                    other => {
                        refused = Some(other);
                        None
                    }
                },
            );
            if let Some(v) = v {
                return f(Held::Ready(&v));
            }
            if let Some(other) = refused {
                let _ = slot.set(other);
            }
        }
        f(match self.validator(id) {
            Compiled::Ready(v) => Held::Ready(v),
            Compiled::SetAside => Held::SetAside,
            Compiled::Refused(why) => Held::Refused(why),
        })
    }

    /// Why schema `id` was refused, saying where: the refused part's pointer is
    /// into the document when a `$ref` reached it, else into the schema.
    fn refusal(&self, id: SchemaId, refused: &Refused) -> String {
        let at = if refused.at.is_empty() {
            String::new()
        } else if pointer::get(&self.document, &refused.at).is_some() {
            format!("at #{}: ", refused.at)
        } else {
            format!("at #{}{}: ", self.location(id), refused.at)
        };
        limits::truncate(&format!("{at}{}", refused.why), MAX_MESSAGE).into_owned()
    }

    /// Warnings about schemas refused at first use since the last call, each
    /// once (those found at load are among the contract's warnings).
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.refused.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Compiles the validator of `id` now, if it was not yet (from any thread).
    pub(crate) fn prepare(&self, id: SchemaId) {
        let _ = self.validator(id);
    }

    /// Whether the validator of `id` was compiled (or set aside) already.
    pub(crate) fn is_prepared(&self, id: SchemaId) -> bool {
        self.validators[id.0].get().is_some()
    }

    /// Drops the validator of `id`, compiled only to check examples at load:
    /// it is compiled again on first use, so what nobody calls costs no memory.
    /// A refusal is kept (it was reported once already).
    pub(crate) fn forget(&mut self, id: SchemaId) {
        if matches!(self.validators[id.0].get(), Some(Compiled::Ready(_))) {
            self.validators[id.0] = OnceLock::new();
        }
    }

    /// Whether `value` is valid. A schema set aside at load accepts everything
    /// (it was reported as a warning then); one refused at first use accepts
    /// nothing, so its check fails loudly ([`Schemas::violations`] says why).
    pub(crate) fn is_valid(&self, id: SchemaId, value: &Value) -> bool {
        self.with_validator(id, |held| match held {
            Held::Ready(v) => within_budget(|| v.is_valid(value)),
            Held::SetAside => true,
            Held::Refused(_) => false,
        })
    }

    /// Tells these schemas from another contract's (unique in the process), for
    /// what a thread keeps about them across requests.
    pub(crate) fn uid(&self) -> u64 {
        self.on_demand.uid
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
        let cached = at
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(pointer)
            .cloned();
        if let Some(v) = cached {
            return v.is_none_or(|v| within_budget(|| v.is_valid(value)));
        }
        let make = || {
            pointer::get(&self.document, pointer)
                .filter(|schema| self.bounded(schema))
                .and_then(|schema| self.compile(schema, "urn:mimeo:part"))
        };
        if transient::active() {
            let uid = self.on_demand.uid;
            let v = transient::get_or_make(|| format!("{uid}:at:{pointer}"), make);
            return v.is_none_or(|v| within_budget(|| v.is_valid(value)));
        }
        // Compiled outside the lock: another thread may do the same meanwhile, and
        // the first one stored wins.
        let compiled = make().map(Arc::new);
        let v = at
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(pointer.to_string())
            .or_insert(compiled)
            .clone();
        v.is_none_or(|v| within_budget(|| v.is_valid(value)))
    }

    /// Whether `value` is valid against `schema`, a schema whose `$ref`s point into
    /// the document but which is not in it (the generator's merged `allOf`s).
    /// Compiled on first use and kept among the last [`BUILT_KEPT`], by its text.
    pub(crate) fn is_valid_against(&self, schema: &Value, value: &Value) -> bool {
        let key = schema.to_string();
        let built = &self.on_demand.built;
        let cached = built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(v) = cached {
            return v.is_none_or(|v| within_budget(|| v.is_valid(value)));
        }
        let make = || {
            self.bounded(schema)
                .then(|| self.compile(schema, "urn:mimeo:built"))
                .flatten()
        };
        if transient::active() {
            let uid = self.on_demand.uid;
            let v = transient::get_or_make(|| format!("{uid}:built:{key}"), make);
            return v.is_none_or(|v| within_budget(|| v.is_valid(value)));
        }
        let compiled = make().map(Arc::new);
        let mut map = built.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= BUILT_KEPT && !map.contains_key(&key) {
            map.shift_remove_index(0);
        }
        let v = map.entry(key).or_insert(compiled).clone();
        drop(map);
        v.is_none_or(|v| within_budget(|| v.is_valid(value)))
    }

    /// Whether validating against `schema` takes bounded work (its fan-out is
    /// within [`MAX_FANOUT`]); schemas of the document were measured at load.
    fn bounded(&self, schema: &Value) -> bool {
        let fan = match self.fanouts.get(schema) {
            Some(f) => f,
            None => Fanouts::analyse(&self.document, [schema], Some(&self.fanouts))
                .get(schema)
                .unwrap_or(u64::MAX),
        };
        fan <= MAX_FANOUT
    }

    /// A validator for a schema without an id (the generator's parts and
    /// merged schemas): one that cannot compile accepts everything there, as
    /// the generator only asks whether a value it made will do.
    fn compile(&self, schema: &Value, base: &str) -> Option<Validator> {
        let registry = self.registry.as_ref()?;
        compile(registry, &self.patterns, schema, base, self.dialect).ok()
    }

    /// The violations of schema `id` by `value`: the first [`MAX_LISTED`], and how
    /// many more. For a value with more than [`DETAILED_VALUES`] values in it only
    /// the first violation is looked for (`open` says there may be more): listing
    /// every one would hold a record per broken value.
    pub(crate) fn violations(&self, id: SchemaId, value: &Value) -> Capped<SchemaViolation> {
        self.with_validator(id, |held| match held {
            Held::Ready(v) => within_budget(|| violations_of(v, value)),
            Held::SetAside => Capped::default(),
            Held::Refused(why) => Capped::collect(
                [SchemaViolation {
                    pointer: String::new(),
                    rule: UNCOMPILABLE.into(),
                    message: if self.shared[id.0] {
                        format!(
                            "cannot be checked: the contract's schema here cannot be compiled ({why}); it is written the same at #{} and elsewhere",
                            self.location(id)
                        )
                    } else {
                        format!(
                            "cannot be checked: the contract's schema at #{} cannot be compiled ({why})",
                            self.location(id)
                        )
                    },
                }],
                MAX_LISTED,
            ),
        })
    }
}

/// What [`Schemas::violations`] says, for one validator.
fn violations_of(v: &Validator, value: &Value) -> Capped<SchemaViolation> {
    if v.is_valid(value) {
        return Capped::default();
    }
    let convert = |e: jsonschema::ValidationError<'_>| {
        // mimeo's keyword for backtracking patterns is `pattern` to the reader.
        let keyword = e.kind().keyword();
        let rule =
            if keyword == fancy::KEYWORD || e.schema_path().as_str().ends_with(fancy::KEYWORD) {
                "pattern".to_string()
            } else {
                keyword.to_string()
            };
        let message = e.to_string();
        if let Some(format) = format_range(&rule, &message) {
            let value = limits::truncate(&e.instance().to_string(), MAX_MESSAGE).into_owned();
            return SchemaViolation {
                pointer: e.instance_path().as_str().to_string(),
                rule: "format".into(),
                message: format!("{value} is outside the range of format {format}"),
            };
        }
        SchemaViolation {
            pointer: e.instance_path().as_str().to_string(),
            rule,
            message: limits::truncate(&message, MAX_MESSAGE).into_owned(),
        }
    };
    if limits::more_values_than(value, DETAILED_VALUES) {
        let mut out = Capped::default();
        if let Err(e) = v.validate(value) {
            out.items.push(convert(e));
        }
        out.open = true;
        return out;
    }
    Capped::collect(v.iter_errors(value).map(convert), MAX_LISTED)
}

/// Follows `$ref`s (local pointers) from `schema` to the schema they name, at most
/// 32 hops. Returns `None` for a dangling, non-local or circular reference.
pub(crate) fn resolve<'a>(document: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..32 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => schema = pointer::fragment(document, r.strip_prefix('#')?)?,
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
    fn validators_kept_apart_belong_to_their_own_contract() {
        // A thread's validators kept apart were found by pointer alone: a
        // second contract in the process was checked with the first's.
        let doc = |t: &str| {
            format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    X: {{type: {t}}}\n")
        };
        let a = crate::Contract::from_text("a.yaml", &doc("string")).unwrap();
        let b = crate::Contract::from_text("b.yaml", &doc("integer")).unwrap();
        super::keeping_parts(|| {
            super::transiently(|| {
                assert!(a.schemas.is_valid_at("/components/schemas/X", &json!("s")));
                assert!(!b.schemas.is_valid_at("/components/schemas/X", &json!("s")));
                assert!(b.schemas.is_valid_at("/components/schemas/X", &json!(1)));
            });
        });
    }

    #[test]
    fn a_schemas_refs_are_followed_once_and_lead_where_resolve_leads() {
        let doc = json!({
            "p": {"ok": {"$ref": "#/components/schemas/A"},
                  "plain": {"type": "string"},
                  "encoded": {"$ref": "#/components/schemas/C%20D"},
                  "broken": {"$ref": "#/components/schemas/Nowhere"},
                  "looped": {"$ref": "#/components/schemas/L1"}},
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"type": "object"},
                "C D": {"type": "integer"},
                "L1": {"$ref": "#/components/schemas/L2"},
                "L2": {"$ref": "#/components/schemas/L1"}}}});
        let mut b = SchemaBuilder::default();
        let ids: Vec<SchemaId> = ["ok", "plain", "encoded", "broken", "looped"]
            .iter()
            .map(|n| b.add_at(&doc, &format!("/p/{n}"), &doc["p"][n]))
            .collect();
        let s = b.build(Arc::new(doc), &mut Vec::new());
        for (i, &id) in ids.iter().enumerate() {
            let expected = resolve(&s.document, s.source(id));
            for _ in 0..2 {
                let got = s.resolved_source(id);
                assert_eq!(got.is_some(), expected.is_some(), "{i}");
                if let (Some(g), Some(e)) = (got, expected) {
                    assert!(std::ptr::eq(g, e), "{i}: {g} vs {e}");
                }
            }
        }
        assert_eq!(s.resolved_source(ids[0]), Some(&json!({"type": "object"})));
        assert_eq!(s.resolved_source(ids[2]), Some(&json!({"type": "integer"})));
        assert_eq!(s.resolved_source(ids[3]), None);
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
        assert_eq!(v.items.len(), 1);
        assert_eq!(v.items[0].pointer, "/children/0/name");
        assert_eq!(v.items[0].rule, "maxLength");
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
