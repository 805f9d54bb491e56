//! Every named example of the contract, checked against its schema at load
//! (a large contract's: after load, see below).
//!
//! An example is a promise of what a valid value looks like; one that breaks
//! its own schema would teach a client the wrong thing if the mock served it.
//! So every `example` and every entry of `examples` of every media type,
//! parameter and header is validated once (not only until a first valid one is
//! found): a broken one is a start-up warning naming where it is listed, is
//! marked, and is never served (see [`Contract::example_problem`]). The same
//! example reached through a shared component is checked and reported once.
//!
//! A contract of more than [`EAGER_OPERATIONS`](super::EAGER_OPERATIONS)
//! operations has its examples checked when first used instead, and reported
//! as the mock's warm-up reaches each operation
//! ([`Contract::late_example_warnings`]): compiling a validator for every schema
//! with an example was a third of GitHub's start-up.

use std::collections::HashMap;

use serde_json::Value;

use std::sync::PoisonError;

use super::model::{Example, Header, Operation};
use super::schema::{SchemaId, Schemas};
use super::Contract;
use crate::support::limits;

/// Checks the examples of every operation's bodies and headers and the
/// parameter examples in `params`, marking the broken ones and reporting each
/// once in `warnings`.
///
/// Validators of requests (bodies, parameters) compiled only for this are
/// dropped afterwards: the mock compiles them again on first use, as it would
/// have without the check, so start-up memory does not grow with them.
pub(super) fn check(
    schemas: &mut Schemas,
    operations: &[Operation],
    params: Vec<(SchemaId, Example)>,
    warnings: &mut Vec<String>,
) {
    // Request validators not compiled yet are compiled only for this check, and
    // dropped after it.
    let request_ids = operations
        .iter()
        .flat_map(|op| op.body.iter().flat_map(|b| b.content.iter()))
        .filter(|m| !m.examples.is_empty())
        .filter_map(|m| m.schema)
        .chain(params.iter().map(|(s, _)| *s));
    let fresh: Vec<SchemaId> = request_ids.filter(|&s| !schemas.is_prepared(s)).collect();
    prepare_all(schemas, operations, &params);
    let mut judge = Judge::default();
    for op in operations {
        judge.operation(schemas, op, warnings);
    }
    for (s, e) in &params {
        judge.one(schemas, *s, e, warnings);
    }
    for id in fresh {
        schemas.forget(id);
    }
}

/// Judges examples, reporting each broken one once: the same example reached
/// through a shared component (same place, same schema) is checked once.
#[derive(Default)]
pub(super) struct Judge {
    seen: HashMap<String, Option<String>>,
}

impl Judge {
    /// Judges the examples of `op`'s bodies and headers.
    pub(super) fn operation(
        &mut self,
        schemas: &Schemas,
        op: &Operation,
        warnings: &mut Vec<String>,
    ) {
        let bodies = op.body.iter().flat_map(|b| b.content.iter());
        let answers = op.responses.iter().flat_map(|r| r.content.iter());
        for media in bodies.chain(answers) {
            let Some(s) = media.schema else { continue };
            for e in &media.examples {
                self.one(schemas, s, e, warnings);
            }
        }
        for h in op.responses.iter().flat_map(|r| r.headers.iter()) {
            let Some(s) = h.schema else { continue };
            for e in &h.examples {
                self.one(schemas, s, e, warnings);
            }
        }
    }

    /// Judges one example of a value of schema `schema`.
    pub(super) fn one(
        &mut self,
        schemas: &Schemas,
        schema: SchemaId,
        e: &Example,
        warnings: &mut Vec<String>,
    ) {
        let key = format!("{}\u{0}{}", e.pointer, schema_key(schemas, schema));
        let found = self.seen.entry(key).or_insert_with(|| {
            let found = e
                .problem
                .get_or_init(|| problem(schemas, schema, &e.value))
                .clone();
            if let Some(why) = &found {
                warnings.push(format!(
                    "#{}: example `{}` does not match its schema ({why}); it is never served",
                    e.pointer, e.name
                ));
            }
            found
        });
        let _ = e.problem.set(found.clone());
    }
}

impl Contract {
    /// Why `e`, an example of a value of schema `schema`, breaks it (`None`
    /// when it keeps it). Checked at load, or for a contract of more than
    /// [`EAGER_OPERATIONS`](super::EAGER_OPERATIONS) operations on first ask.
    pub(crate) fn example_problem<'e>(
        &self,
        schema: Option<SchemaId>,
        e: &'e Example,
    ) -> Option<&'e str> {
        e.problem
            .get_or_init(|| schema.and_then(|s| problem(&self.schemas, s, &e.value)))
            .as_deref()
    }

    /// The first of header `h`'s examples that keeps its schema.
    pub(crate) fn header_example<'h>(&self, h: &'h Header) -> Option<&'h Value> {
        h.example
            .get_or_init(|| {
                h.examples
                    .iter()
                    .find(|e| self.example_problem(h.schema, e).is_none())
                    .map(|e| Value::clone(&e.value))
            })
            .as_ref()
    }

    /// For a contract whose examples were not checked at load (more than
    /// [`EAGER_OPERATIONS`](super::EAGER_OPERATIONS) operations): checks those
    /// of `op` now and returns what was not reported before. Empty otherwise.
    pub(crate) fn late_example_warnings(&self, op: &Operation) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(later) = &self.examples_later {
            let mut later = later.lock().unwrap_or_else(PoisonError::into_inner);
            later.judge.operation(&self.schemas, op, &mut warnings);
        }
        warnings
    }

    /// Like [`Contract::late_example_warnings`], for the parameters' examples
    /// (all of them, once).
    pub(crate) fn late_parameter_example_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(later) = &self.examples_later {
            let mut later = later.lock().unwrap_or_else(PoisonError::into_inner);
            let later = &mut *later;
            for (s, e) in std::mem::take(&mut later.params) {
                later.judge.one(&self.schemas, s, &e, &mut warnings);
            }
        }
        warnings
    }
}

impl Contract {
    /// Whether this contract's examples are checked after load, not by
    /// [`Contract::from_file`] (it has more than 200 operations): a
    /// [`MockServer`](crate::MockServer) checks them as it warms up and returns
    /// what it finds from [`late_warnings`](crate::MockServer::late_warnings);
    /// anyone else calls [`Contract::check_remaining_examples`].
    ///
    /// ```
    /// let contract = mimeo::Contract::embedded()?;
    /// assert!(!contract.examples_checked_later()); // a few operations: at load
    /// assert!(contract.check_remaining_examples().is_empty());
    /// # Ok::<(), mimeo::Diagnostic>(())
    /// ```
    pub fn examples_checked_later(&self) -> bool {
        self.examples_later.is_some()
    }

    /// Checks every example not checked yet (a large contract's, see
    /// [`Contract::examples_checked_later`]) and returns the problems not
    /// reported before, one line each, as [`Contract::warnings`] words them.
    /// Empty for a contract checked at load.
    ///
    /// ```
    /// let contract = mimeo::Contract::embedded()?;
    /// for w in contract.check_remaining_examples() {
    ///     eprintln!("warning: {w}");
    /// }
    /// # Ok::<(), mimeo::Diagnostic>(())
    /// ```
    pub fn check_remaining_examples(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .operations
            .iter()
            .flat_map(|op| self.late_example_warnings(op))
            .collect();
        warnings.extend(self.late_parameter_example_warnings());
        warnings
    }
}

/// A large contract's examples, checked after load (see
/// [`Contract::late_example_warnings`]).
#[derive(Default)]
pub(crate) struct Later {
    judge: Judge,
    /// The parameters' examples, not yet checked.
    params: Vec<(SchemaId, Example)>,
}

impl Later {
    pub(super) fn new(params: Vec<(SchemaId, Example)>) -> Later {
        Later {
            judge: Judge::default(),
            params,
        }
    }
}

/// Compiles, over the CPUs, the validator of every schema an example will be
/// checked against: compiling is most of the check's cost on a large contract,
/// and validators compile independently of each other.
fn prepare_all(schemas: &Schemas, operations: &[Operation], params: &[(SchemaId, Example)]) {
    let mut ids: Vec<SchemaId> = operations
        .iter()
        .flat_map(|op| {
            let bodies = op.body.iter().flat_map(|b| b.content.iter());
            let responses = op.responses.iter().flat_map(|r| r.content.iter());
            bodies
                .chain(responses)
                .filter(|m| !m.examples.is_empty())
                .filter_map(|m| m.schema)
                .chain(
                    op.responses
                        .iter()
                        .flat_map(|r| r.headers.iter())
                        .filter(|h| !h.examples.is_empty())
                        .filter_map(|h| h.schema),
                )
        })
        .chain(params.iter().map(|(s, _)| *s))
        .filter(|&s| !schemas.is_prepared(s))
        .collect();
    let mut seen = std::collections::HashSet::new();
    ids.retain(|s| seen.insert(*s));
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || ids.len() < 32 {
        return; // Compiled on first use, one by one, as before.
    }
    let chunk = ids.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in ids.chunks(chunk) {
            scope.spawn(move || part.iter().for_each(|&id| schemas.prepare(id)));
        }
    });
}

/// What the same example is checked against: schemas are shared by text, so
/// their location names them.
fn schema_key(schemas: &Schemas, id: SchemaId) -> &str {
    schemas.location(id)
}

/// Why `value` breaks schema `id`: its first violations, or `None`.
fn problem(schemas: &Schemas, id: SchemaId, value: &Value) -> Option<String> {
    if schemas.is_valid(id, value) {
        return None;
    }
    let found = schemas.violations(id, value);
    let listed: Vec<String> = found
        .items
        .iter()
        .take(3)
        .map(|v| {
            let at = if v.pointer.is_empty() {
                "/"
            } else {
                &v.pointer
            };
            format!("{at} {}: {}", v.rule, v.message)
        })
        .collect();
    let more = found.total().saturating_sub(listed.len());
    let mut why = listed.join("; ");
    if more > 0 {
        why.push_str(&format!("; and {more} more"));
    }
    Some(limits::truncate(&why, limits::MAX_MESSAGE).into_owned())
}
