//! Every named example of the contract, checked against its schema at load.
//!
//! An example is a promise of what a valid value looks like; one that breaks
//! its own schema would teach a client the wrong thing if the mock served it.
//! So every `example` and every entry of `examples` of every media type,
//! parameter and header is validated once (not only until a first valid one is
//! found): a broken one is a start-up warning naming where it is listed, is
//! marked, and is never served (see `Example::problem`). The same example
//! reached through a shared component is checked and reported once.

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Example, Operation};
use super::schema::{SchemaId, Schemas};
use crate::support::limits;

/// Checks the examples of every operation's bodies and headers and the
/// parameter examples in `params`, marking the broken ones and reporting each
/// once in `warnings`. A header's `example` becomes its first valid one.
///
/// Validators of requests (bodies, parameters) compiled only for this are
/// dropped afterwards: the mock compiles them again on first use, as it would
/// have without the check, so start-up memory does not grow with them.
pub(super) fn check(
    schemas: &mut Schemas,
    operations: &mut [Operation],
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
    {
        let schemas = &*schemas;
        let mut seen: HashMap<String, Option<String>> = HashMap::new();
        let mut judge = |schema: SchemaId, e: &mut Example, warnings: &mut Vec<String>| {
            let key = format!("{}\u{0}{}", e.pointer, schema_key(schemas, schema));
            let problem = seen
                .entry(key)
                .or_insert_with(|| {
                    let problem = problem(schemas, schema, &e.value);
                    if let Some(why) = &problem {
                        warnings.push(format!(
                        "#{}: example `{}` does not match its schema ({why}); it is never served",
                        e.pointer, e.name
                    ));
                    }
                    problem
                })
                .clone();
            e.problem = problem;
        };
        for op in operations.iter_mut() {
            for media in op.body.iter_mut().flat_map(|b| b.content.iter_mut()) {
                let Some(s) = media.schema else { continue };
                for e in &mut media.examples {
                    judge(s, e, warnings);
                }
            }
            for media in op.responses.iter_mut().flat_map(|r| r.content.iter_mut()) {
                let Some(s) = media.schema else { continue };
                for e in &mut media.examples {
                    judge(s, e, warnings);
                }
            }
            for h in op.responses.iter_mut().flat_map(|r| r.headers.iter_mut()) {
                let Some(s) = h.schema else {
                    h.example = h.examples.first().map(|e| e.value.clone());
                    continue;
                };
                for e in &mut h.examples {
                    judge(s, e, warnings);
                }
                h.example = h
                    .examples
                    .iter()
                    .find(|e| e.problem.is_none())
                    .map(|e| e.value.clone());
            }
        }
        for (s, mut e) in params {
            judge(s, &mut e, warnings);
        }
    }
    for id in fresh {
        schemas.forget(id);
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
