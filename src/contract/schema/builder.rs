//! Registering the schemas a contract uses while it is read, then checking
//! what would make their validators fail (dangling `$ref`s, bad patterns,
//! unbounded composition) once for the whole document.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use jsonschema::Registry;
use serde_json::Value;

use super::super::cost::{Fanouts, MAX_FANOUT};
use super::super::fancy;
use super::compile::{BACKTRACK_LIMIT, DOCUMENT_URI};
use super::patterns::{self, Patterns, UNCHECKED};
use super::{Compiled, Dialect, OnDemand, SchemaId, Schemas, Source, NOTHING};
use crate::support::limits::{self, MAX_MESSAGE};
use crate::support::pointer;

/// Collects schemas while the contract is being read, then prepares them together.
#[derive(Default)]
pub(crate) struct SchemaBuilder {
    sources: Vec<Source>,
    locations: Vec<String>,
    /// By id: whether another place registered the same schema too.
    shared: Vec<bool>,
    /// Ids by a hash of the schema's text: schemas with the same text share one.
    by_text: HashMap<u64, Vec<SchemaId>>,
    /// The JSON Schema the schemas are written in.
    pub(crate) dialect: Dialect,
    /// The patterns judged while the document was converted.
    patterns: Patterns,
}

impl SchemaBuilder {
    /// A builder for schemas written in `dialect`, whose patterns were judged
    /// (and compiled) into `patterns` while the document was converted.
    pub(crate) fn new(dialect: Dialect, patterns: Patterns) -> SchemaBuilder {
        SchemaBuilder {
            dialect,
            patterns,
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
                self.shared[id.0] = true;
                return id;
            }
        }
        let id = SchemaId(self.sources.len());
        self.sources.push(Source::At(pointer::split(location)));
        self.locations.push(location.to_string());
        self.shared.push(false);
        self.by_text.entry(hash).or_default().push(id);
        id
    }

    /// Registers a schema given as a value (it is kept).
    #[cfg(test)]
    pub(crate) fn add(&mut self, location: &str, schema: &Value) -> SchemaId {
        let id = SchemaId(self.sources.len());
        self.sources.push(Source::Own(schema.clone()));
        self.locations.push(location.to_string());
        self.shared.push(false);
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
    pub(crate) fn build(mut self, document: Arc<Value>, warnings: &mut Vec<String>) -> Schemas {
        let linear = std::mem::take(&mut self.patterns);
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
        let mut patterns = PatternCheck {
            linear,
            ..PatternCheck::default()
        };
        let pattern_cache = patterns.linear.cache.clone();
        let mut problems: Vec<Option<String>> = roots
            .iter()
            .enumerate()
            .map(|(i, schema)| {
                let at = &self.locations[i];
                let fan = fanouts.get(schema).unwrap_or(u64::MAX);
                if fan > MAX_FANOUT {
                    Some(format!(
                        "validating one value against it would take more than {MAX_FANOUT} schema checks (allOf/anyOf/oneOf/not and $ref compose it {} times or more)",
                        if fan >= u64::MAX / 2 { "too many".to_string() } else { fan.to_string() }
                    ))
                } else if let Err(e) = self.dialect.meta_validate(schema) {
                    Some(limits::truncate(&e, MAX_MESSAGE).into_owned())
                } else {
                    patterns.check(&document, schema, at, warnings)
                }
            })
            .collect();
        // A broken node reached first from another schema was not looked at
        // again: every schema that reaches one is found now.
        let reaching = patterns.reaching_broken(&document, &roots);
        for (problem, root) in problems.iter_mut().zip(&roots) {
            if problem.is_none() {
                *problem = reaching.get(&address(root)).cloned();
            }
        }
        let validators = problems
            .into_iter()
            .enumerate()
            .map(|(i, problem)| {
                let cell = OnceLock::new();
                let at = &self.locations[i];
                if let Some(why) = problem {
                    warnings.push(format!(
                        "schema at {at} cannot be compiled ({why}); values there are not validated"
                    ));
                    let _ = cell.set(Compiled::SetAside);
                }
                cell
            })
            .collect();
        drop(roots);
        Schemas {
            validators,
            refused: Default::default(),
            resolved: self.sources.iter().map(|_| OnceLock::new()).collect(),
            sources: self.sources,
            locations: self.locations,
            shared: self.shared,
            document,
            registry,
            fanouts,
            on_demand: OnDemand::default(),
            dialect: self.dialect,
            patterns: pattern_cache,
        }
    }
}

/// A hash of a schema's text, without building the text.
pub(super) fn text_hash(schema: &Value) -> u64 {
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
    /// Schema nodes already looked at, by address, and whether under `not`,
    /// `oneOf`, `if` or `contains`.
    seen: std::collections::HashSet<(usize, bool)>,
    /// Nodes found broken themselves (a `$ref` to nothing, a pattern that does
    /// not compile), by address, and why, in the order found (so that the
    /// reason given is the same from run to run).
    broken: indexmap::IndexMap<usize, String>,
    /// Patterns the linear-time engine runs, judged and compiled (kept for the
    /// validators, which compile the same patterns with the same options).
    linear: Patterns,
    /// Backtracking patterns already compiled: `Some(why)` when one cannot be.
    backtracking: HashMap<String, Option<String>>,
    /// Patterns set aside at load that a warning has named.
    unchecked_told: std::collections::HashSet<String>,
}

/// A schema node's identity while the document is borrowed.
fn address(v: &Value) -> usize {
    v as *const Value as usize
}

/// The schema nodes `v` leads to: its subschemas and what its `$ref` points at.
fn children<'d>(document: &'d Value, v: &'d Value, out: &mut Vec<&'d Value>) {
    let mut marked = Vec::new();
    children_marked(document, v, &mut marked);
    out.extend(marked.into_iter().map(|(c, _)| c));
}

/// [`children`], each marked `true` when reached through `not`, `oneOf`, `if`
/// or `contains`: where a subschema that accepts more can refuse a valid value.
fn children_marked<'d>(document: &'d Value, v: &'d Value, out: &mut Vec<(&'d Value, bool)>) {
    let Value::Object(map) = v else { return };
    for (k, child) in map {
        let negative = matches!(k.as_str(), "not" | "oneOf" | "if" | "contains");
        match (k.as_str(), child) {
            // Extensions are not schemas: the validator ignores them.
            (k, _) if k.starts_with("x-") && k != fancy::KEYWORD => {}
            ("$ref", Value::String(r)) => {
                if let Some(p) = r.strip_prefix('#') {
                    if p.is_empty() || p.starts_with('/') {
                        out.extend(pointer::fragment(document, p).map(|c| (c, false)));
                    }
                }
            }
            ("enum" | "const" | "default" | "example" | "examples", _) => {}
            (
                "properties" | "definitions" | "dependencies" | "$defs" | "dependentSchemas"
                | "patternProperties",
                Value::Object(m),
            ) => out.extend(m.values().map(|c| (c, false))),
            (_, Value::Object(_)) => out.push((child, negative)),
            (_, Value::Array(items)) => out.extend(items.iter().map(|c| (c, negative))),
            _ => {}
        }
    }
    // Only objects are schemas (`required: [..]` holds names, not nodes to walk).
    out.retain(|(c, _)| c.is_object());
}

impl PatternCheck {
    /// Why the schema cannot be compiled, if a `$ref` or pattern it reaches is
    /// broken (as far as nodes not yet seen go: see [`PatternCheck::reaching_broken`]).
    fn check(
        &mut self,
        document: &Value,
        schema: &Value,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        // Each node with whether it was reached under `not`, `oneOf`, `if` or
        // `contains` (a node can be reached both ways, and is looked at in each).
        let mut todo = vec![(schema, false)];
        let mut problem = None;
        let mut first = true;
        let mut next = Vec::new();
        while let Some((v, negative)) = todo.pop() {
            // The root is always looked at: another schema may have reached it
            // first, but its problem belongs to this one too.
            if !std::mem::take(&mut first) && !self.seen.insert((address(v), negative)) {
                continue;
            }
            if let Some(why) = self.own_problem(document, v, negative, at, warnings) {
                self.broken.insert(address(v), why.clone());
                problem.get_or_insert(why);
            }
            children_marked(document, v, &mut next);
            todo.extend(next.drain(..).map(|(c, under)| (c, negative || under)));
        }
        problem
    }

    /// What is wrong with the node `v` itself.
    fn own_problem(
        &mut self,
        document: &Value,
        v: &Value,
        negative: bool,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let Value::Object(map) = v else { return None };
        let mut problem = None;
        for (k, child) in map {
            let why = match (k.as_str(), child) {
                // Under `not`, `oneOf`, `if` or `contains`, a schema that accepts
                // more can refuse a valid value: the schema is set aside whole.
                (UNCHECKED, Value::String(p)) if negative => Some(format!(
                    "{}, under not, oneOf, if or contains, where leaving it out could refuse valid values",
                    patterns::why_unchecked(&mut self.linear, p)
                )),
                (UNCHECKED, Value::String(p)) => {
                    // Once per pattern, where it is first reached.
                    if self.unchecked_told.insert(p.clone()) {
                        let why = patterns::why_unchecked(&mut self.linear, p);
                        warnings.push(format!(
                            "schema at {at}: {why}; values are not checked against it, here or wherever else it is (the rest of each schema is)"
                        ));
                    }
                    None
                }
                (k, _) if k.starts_with("x-") && k != fancy::KEYWORD => None,
                ("$ref", Value::String(r)) => match r.strip_prefix('#') {
                    Some(p) if (p.is_empty() || p.starts_with('/')) => {
                        pointer::fragment(document, p)
                            .is_none()
                            .then(|| format!("$ref `{r}` points at nothing"))
                    }
                    // Anything else was refused at load: the loader rewrote
                    // 2020-12 references by `$id` or `$anchor` as pointers.
                    _ => None,
                },
                ("pattern", Value::String(p)) => self.linear.why_not(p),
                (fancy::KEYWORD, Value::String(p)) => self.backtracking(p, at, warnings),
                ("patternProperties", Value::Object(props)) => {
                    props.keys().find_map(|p| self.linear.why_not(p))
                }
                _ => None,
            };
            if let Some(why) = why {
                problem.get_or_insert(why);
            }
        }
        problem
    }

    /// Every node, among those `roots` reach, that reaches a broken one, with
    /// the first reason found: the edges are walked backwards from the broken
    /// nodes, so each node is looked at once whatever shares it. Nothing is
    /// walked when nothing is broken (nearly always).
    fn reaching_broken(&self, document: &Value, roots: &[&Value]) -> HashMap<usize, String> {
        if self.broken.is_empty() {
            return HashMap::new();
        }
        let mut parents: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut visited = std::collections::HashSet::new();
        let mut todo: Vec<&Value> = roots.to_vec();
        let mut next = Vec::new();
        while let Some(v) = todo.pop() {
            if !visited.insert(address(v)) {
                continue;
            }
            children(document, v, &mut next);
            for c in next.drain(..) {
                parents.entry(address(c)).or_default().push(address(v));
                todo.push(c);
            }
        }
        let mut reaching: HashMap<usize, String> =
            self.broken.iter().map(|(k, v)| (*k, v.clone())).collect();
        // Breadth first from the broken nodes in the order found: a node's
        // reason is that of the first broken node that reaches it.
        let mut queue: std::collections::VecDeque<usize> = self.broken.keys().copied().collect();
        while let Some(node) = queue.pop_front() {
            let why = reaching[&node].clone();
            for &p in parents.get(&node).into_iter().flatten() {
                if let std::collections::hash_map::Entry::Vacant(e) = reaching.entry(p) {
                    e.insert(why.clone());
                    queue.push_back(p);
                }
            }
        }
        reaching
    }

    /// Whether a pattern that needs backtracking compiles (`None` when it does);
    /// each one is reported once, with the bounds it is matched under.
    fn backtracking(
        &mut self,
        pattern: &str,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(known) = self.backtracking.get(pattern) {
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
        self.backtracking
            .insert(pattern.to_string(), result.clone());
        result
    }
}
