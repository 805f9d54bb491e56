//! OpenAPI 3.0 schemas as compiled JSON Schema validators.
//!
//! OpenAPI 3.0 speaks a dialect of JSON Schema draft 4 (`nullable`, boolean
//! `exclusiveMinimum`, `$ref` siblings ignored). We rewrite the dialect once at
//! load time into plain draft 4, register every schema the contract uses, and
//! compile each into a validator the first time it is needed (kept from then on),
//! so no request pays for parsing a schema and a large document does not pay at
//! start-up, in time or memory, for operations nobody calls. Schemas with the
//! same text share one validator.
//!
//! What would make a validator fail or misbehave is found at load instead, and
//! reported as a warning: a schema the draft 4 meta-schema refuses, a `$ref` that
//! points at nothing, a `pattern` that is not a regular expression, and a schema
//! whose composition would make validating one value take unbounded work
//! ([`super::cost`]). Such a schema accepts every value. Patterns run on a
//! linear-time engine, except those that need backtracking (backreferences,
//! lookaround): those are matched under bounds of length and work
//! ([`super::fancy`]), so no request can stall the others.
//!
//! These validators are mimeo's one definition of a valid value: the mock checks
//! requests and answers with them, and the value generator asks them (through
//! `Schemas::is_valid_at` and `Schemas::is_valid_against`, for the parts of
//! schemas it generates from) whether a value it made will do. Those extra
//! validators are compiled the same way, on first use, and kept.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use indexmap::IndexMap;
use jsonschema::{Registry, Validator};
use serde_json::Value;

use super::cost::{Fanouts, MAX_FANOUT};
use super::fancy::{self, within_budget};
use crate::support::limits::{self, Capped, DETAILED_VALUES, MAX_LISTED, MAX_MESSAGE};
use crate::support::pointer;

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
    fn draft(self) -> jsonschema::Draft {
        match self {
            Dialect::Draft4 => jsonschema::Draft::Draft4,
            Dialect::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }

    /// Checks a schema against the dialect's meta-schema.
    fn meta_validate(self, schema: &Value) -> Result<(), String> {
        match self {
            Dialect::Draft4 => jsonschema::draft4::meta::validate(schema),
            Dialect::Draft202012 => jsonschema::draft202012::meta::validate(schema),
        }
        .map_err(|e| e.to_string())
    }
}

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
    /// A readable description of the failure, at most [`MAX_MESSAGE`] bytes.
    pub(crate) message: String,
}

/// Backtracking steps allowed when matching one value against a `pattern` that
/// needs backtracking (backreferences, lookaround). Patterns without those run on
/// a linear-time engine and need no limit.
pub(crate) const BACKTRACK_LIMIT: usize = 100_000;

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

/// Every schema the contract uses, compiled on first use.
pub(crate) struct Schemas {
    /// By id: compiled when first needed; set to `None` at load for a schema that
    /// must not be compiled (see the module docs).
    validators: Vec<OnceLock<Option<Validator>>>,
    /// The converted schema at each id, for generating values and reading limits.
    sources: Vec<Source>,
    /// Where each schema came from in the document (its JSON pointer).
    locations: Vec<String>,
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
}

/// Validators compiled after load, when the generator first checks a value against
/// a schema the contract did not compile: a part of one (a property, a branch), or
/// a schema the generator built from several (a merged `allOf`).
#[derive(Default)]
struct OnDemand {
    /// By JSON pointer into the document. The document never changes after load, so
    /// an entry never goes stale, and there is at most one per schema it holds:
    /// bounded by the document, compiled once per process, shared by all requests.
    at: RwLock<HashMap<String, Option<Arc<Validator>>>>,
    /// By the text of a schema that is not in the document. Those are made per
    /// request but repeat, so the last [`BUILT_KEPT`] are kept (oldest dropped first).
    built: RwLock<IndexMap<String, Option<Arc<Validator>>>>,
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

    /// The JSON pointer in the document the schema with this id was taken from.
    pub(crate) fn location(&self, id: SchemaId) -> &str {
        &self.locations[id.0]
    }

    /// The validator of schema `id`, compiled now if this is its first use.
    fn validator(&self, id: SchemaId) -> Option<&Validator> {
        self.validators[id.0]
            .get_or_init(|| {
                let registry = self.registry.as_ref()?;
                compile(
                    registry,
                    self.source(id),
                    &format!("urn:mimeo:schema:{}", id.0),
                    self.dialect,
                )
                .ok()
            })
            .as_ref()
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
    pub(crate) fn forget(&mut self, id: SchemaId) {
        self.validators[id.0] = OnceLock::new();
    }

    /// Whether `value` is valid. A schema that cannot be compiled accepts everything
    /// (and was reported as a warning at load time).
    pub(crate) fn is_valid(&self, id: SchemaId, value: &Value) -> bool {
        self.validator(id)
            .is_none_or(|v| within_budget(|| v.is_valid(value)))
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
        // Compiled outside the lock: another thread may do the same meanwhile, and
        // the first one stored wins.
        let compiled = self
            .document
            .pointer(pointer)
            .filter(|schema| self.bounded(schema))
            .and_then(|schema| self.compile(schema, "urn:mimeo:part").ok())
            .map(Arc::new);
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
        let compiled = self
            .bounded(schema)
            .then(|| self.compile(schema, "urn:mimeo:built").ok())
            .flatten()
            .map(Arc::new);
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

    fn compile(&self, schema: &Value, base: &str) -> Result<Validator, String> {
        let registry = self.registry.as_ref().ok_or("no registry")?;
        compile(registry, schema, base, self.dialect)
    }

    /// The violations of schema `id` by `value`: the first [`MAX_LISTED`], and how
    /// many more. For a value with more than [`DETAILED_VALUES`] values in it only
    /// the first violation is looked for (`open` says there may be more): listing
    /// every one would hold a record per broken value.
    pub(crate) fn violations(&self, id: SchemaId, value: &Value) -> Capped<SchemaViolation> {
        let Some(v) = self.validator(id) else {
            return Capped::default();
        };
        within_budget(|| violations_of(v, value))
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

/// Collects schemas while the contract is being read, then prepares them together.
#[derive(Default)]
pub(crate) struct SchemaBuilder {
    sources: Vec<Source>,
    locations: Vec<String>,
    /// Ids by a hash of the schema's text: schemas with the same text share one.
    by_text: HashMap<u64, Vec<SchemaId>>,
    /// The JSON Schema the schemas are written in.
    pub(crate) dialect: Dialect,
}

impl SchemaBuilder {
    /// A builder for schemas written in `dialect`.
    pub(crate) fn new(dialect: Dialect) -> SchemaBuilder {
        SchemaBuilder {
            dialect,
            ..SchemaBuilder::default()
        }
    }

    /// The schema registered under `id` (`document` is the converted document the
    /// loader registers schemas from).
    pub(crate) fn source<'a>(&'a self, document: &'a Value, id: SchemaId) -> &'a Value {
        match &self.sources[id.0] {
            Source::At(tokens) => pointer::walk(document, tokens).unwrap_or(&NOTHING),
            #[cfg(test)]
            Source::Own(v) => v,
        }
    }

    /// Registers the (already converted) schema `schema`, found at `location` in
    /// `document`; no copy is kept. Schemas with the same text share one id, so a
    /// shared component, or the same schema written out in many places, compiles
    /// once.
    pub(crate) fn add_at(&mut self, document: &Value, location: &str, schema: &Value) -> SchemaId {
        let hash = text_hash(schema);
        if let Some(ids) = self.by_text.get(&hash) {
            if let Some(&id) = ids.iter().find(|&&id| self.source(document, id) == schema) {
                return id;
            }
        }
        let id = SchemaId(self.sources.len());
        self.sources.push(Source::At(pointer::split(location)));
        self.locations.push(location.to_string());
        self.by_text.entry(hash).or_default().push(id);
        id
    }

    /// Registers a schema given as a value (it is kept).
    #[cfg(test)]
    pub(crate) fn add(&mut self, location: &str, schema: &Value) -> SchemaId {
        let id = SchemaId(self.sources.len());
        self.sources.push(Source::Own(schema.clone()));
        self.locations.push(location.to_string());
        id
    }

    /// Prepares every registered schema against `document` (the converted
    /// document, which `$ref`s point into); validators are compiled on first use.
    /// What would make a schema fail to compile, or take unbounded work to check a
    /// value against, is reported in `warnings`, and such a schema accepts everything.
    ///
    /// The document is one resource in a registry, and each schema is compiled on
    /// its own with its local `$ref`s pointed at that resource: only what a schema
    /// reaches is compiled, never every object of the document (examples, paths),
    /// which on a large document (GitHub's REST API) cost seconds and gigabytes.
    /// The registry shares the document (no copy) and is kept for the validators
    /// compiled later.
    pub(crate) fn build(self, document: Arc<Value>, warnings: &mut Vec<String>) -> Schemas {
        let registry = Registry::new()
            .draft(self.dialect.draft())
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
        let roots: Vec<&Value> = (0..self.sources.len())
            .map(|i| self.source(&document, SchemaId(i)))
            .collect();
        let fanouts = Fanouts::analyse(&document, roots.iter().copied(), None);
        let mut patterns = PatternCheck::default();
        let validators = roots
            .iter()
            .enumerate()
            .map(|(i, schema)| {
                let cell = OnceLock::new();
                let at = &self.locations[i];
                let fan = fanouts.get(schema).unwrap_or(u64::MAX);
                let problem = if fan > MAX_FANOUT {
                    Some(format!(
                        "validating one value against it would take more than {MAX_FANOUT} schema checks (allOf/anyOf/oneOf/not and $ref compose it {} times or more)",
                        if fan >= u64::MAX / 2 { "too many".to_string() } else { fan.to_string() }
                    ))
                } else if let Err(e) = self.dialect.meta_validate(schema) {
                    Some(limits::truncate(&e, MAX_MESSAGE).into_owned())
                } else {
                    patterns.check(&document, schema, at, warnings)
                };
                if let Some(why) = problem {
                    warnings.push(format!(
                        "schema at {at} cannot be compiled ({why}); values there are not validated"
                    ));
                    let _ = cell.set(None);
                }
                cell
            })
            .collect();
        drop(roots);
        Schemas {
            validators,
            sources: self.sources,
            locations: self.locations,
            document,
            registry,
            fanouts,
            on_demand: OnDemand::default(),
            dialect: self.dialect,
        }
    }
}

/// A hash of a schema's text, without building the text.
fn text_hash(schema: &Value) -> u64 {
    struct HashWriter(std::collections::hash_map::DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Default::default());
    let _ = serde_json::to_writer(&mut w, schema);
    schema.is_object().hash(&mut w.0);
    w.0.finish()
}

/// Checks what a schema reaches, once per schema node and pattern for the whole
/// document: every `$ref` resolves, and every `pattern` compiles (patterns that
/// need backtracking are reported once, with the limit they run under).
#[derive(Default)]
struct PatternCheck {
    /// Schema nodes already looked at, by address.
    seen: std::collections::HashSet<usize>,
    /// Patterns already compiled: `Some(why)` when one cannot be.
    patterns: HashMap<String, Option<String>>,
}

impl PatternCheck {
    /// Why the schema cannot be compiled, if a `$ref` or pattern it reaches is broken.
    fn check(
        &mut self,
        document: &Value,
        schema: &Value,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let mut todo = vec![schema];
        let mut problem = None;
        let mut first = true;
        while let Some(v) = todo.pop() {
            // The root is always looked at: another schema may have reached it
            // first, but its problem belongs to this one too.
            if !std::mem::take(&mut first) && !self.seen.insert(v as *const Value as usize) {
                continue;
            }
            let Value::Object(map) = v else { continue };
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        match r.strip_prefix('#') {
                            Some(p) if p.is_empty() || p.starts_with('/') => {
                                match super::refs::lookup(document, p) {
                                    Some(target) => todo.push(target),
                                    None => {
                                        problem
                                            .get_or_insert(format!("$ref `{r}` points at nothing"));
                                    }
                                }
                            }
                            // Anchors and `$id`s (2020-12): the validator resolves them,
                            // and the loader checked they exist.
                            _ => {}
                        }
                    }
                    ("pattern", Value::String(p)) => {
                        if let Some(why) = self.pattern(p) {
                            problem.get_or_insert(why);
                        }
                    }
                    (fancy::KEYWORD, Value::String(p)) => {
                        if let Some(why) = self.backtracking(p, at, warnings) {
                            problem.get_or_insert(why);
                        }
                    }
                    ("patternProperties", Value::Object(props)) => {
                        for (p, s) in props {
                            if let Some(why) = self.pattern(p) {
                                problem.get_or_insert(why);
                            }
                            todo.push(s);
                        }
                    }
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    (
                        "properties" | "definitions" | "dependencies" | "$defs"
                        | "dependentSchemas",
                        Value::Object(m),
                    ) => {
                        todo.extend(m.values());
                    }
                    (_, Value::Object(_)) => todo.push(child),
                    (_, Value::Array(items)) => todo.extend(items.iter()),
                    _ => {}
                }
            }
        }
        problem
    }

    /// Whether `pattern` compiles as the validator compiles it (`None` when it
    /// does).
    fn pattern(&mut self, pattern: &str) -> Option<String> {
        if let Some(known) = self.patterns.get(pattern) {
            return known.clone();
        }
        let schema = serde_json::json!({ "pattern": pattern });
        let result = options(Dialect::Draft4).build(&schema).err().map(|e| {
            format!(
                "pattern `{}` is not a regular expression: {}",
                limits::truncate(pattern, 200),
                limits::truncate(&e.to_string(), MAX_MESSAGE)
            )
        });
        self.patterns.insert(pattern.to_string(), result.clone());
        result
    }

    /// Whether a pattern that needs backtracking compiles (`None` when it does);
    /// each one is reported once, with the bounds it is matched under.
    fn backtracking(
        &mut self,
        pattern: &str,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(known) = self.patterns.get(pattern) {
            return known.clone();
        }
        let shown = limits::truncate(pattern, 200);
        let result = match fancy::compile(pattern) {
            Err(e) => Some(format!(
                "pattern `{shown}` is not a regular expression: {}",
                limits::truncate(&e, MAX_MESSAGE)
            )),
            Ok(_) => {
                warnings.push(format!(
                    "schema at {at}: pattern `{shown}` uses backreferences or lookaround, which take unbounded time on long values: a value is matched against it only up to {} characters (and {} KiB of such values per request or answer), each match within {BACKTRACK_LIMIT} backtracking steps; longer values are not checked against it",
                    fancy::MAX_MATCHED,
                    fancy::MAX_MATCHED_PER_CHECK / 1024
                ));
                None
            }
        };
        self.patterns.insert(pattern.to_string(), result.clone());
        result
    }
}

/// Compiles one converted schema, the one way every validator of the contract is
/// compiled: checked against the draft 4 meta-schema, its local `$ref`s pointed at
/// the document in `registry`, with mimeo's [`options`].
fn compile(
    registry: &Registry<'static>,
    schema: &Value,
    base: &str,
    dialect: Dialect,
) -> Result<Validator, String> {
    dialect.meta_validate(schema)?;
    let mut schema = schema.clone();
    absolute_refs(&mut schema);
    options(dialect)
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
                        "properties" | "patternProperties" | "definitions" | "dependencies"
                        | "$defs" | "dependentSchemas",
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

/// The most memory one compiled pattern may take (a pattern such as `a{1000}{1000}`
/// is refused instead of compiled into hundreds of megabytes).
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// The dialect's draft with format checks, plus the OpenAPI formats draft 4
/// does not know; patterns matched within the limits above.
fn options(dialect: Dialect) -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(dialect.draft())
        .with_pattern_options(
            jsonschema::PatternOptions::fancy_regex()
                .backtrack_limit(BACKTRACK_LIMIT)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT),
        )
        .should_validate_formats(true)
        .with_keyword(super::fancy::KEYWORD, super::fancy::factory)
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
    // A pattern only a backtracking engine runs is matched under mimeo's bounds.
    super::fancy::move_pattern(map);
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

/// Prepares one OpenAPI 3.1 schema (JSON Schema 2020-12, kept as written) for
/// the validator: only patterns that need backtracking move to mimeo's bounded
/// keyword, at every depth. Nothing else changes: `$ref` siblings, `type`
/// arrays and `const` mean what 2020-12 says they mean.
pub(crate) fn convert_2020(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            super::fancy::move_pattern(map);
            int_format_bounds(map);
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    (
                        "properties" | "patternProperties" | "$defs" | "definitions"
                        | "dependentSchemas",
                        Value::Object(schemas),
                    ) => schemas.values_mut().for_each(convert_2020),
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    (k, _) if k.starts_with("x-") => {}
                    (_, value) => convert_2020(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_2020),
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
            Some(r) => schema = pointer::get(document, r.strip_prefix('#')?)?,
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
