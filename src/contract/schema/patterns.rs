//! Whether a contract's `pattern`s can run, judged once per pattern at load.
//!
//! Real documents carry patterns no regular-expression engine here accepts
//! (Java classes such as `\p{XDigit}`, surrogate ranges, octal escapes, or more
//! states than the engine allows). Such a pattern is moved out of the validator's
//! sight, to [`UNCHECKED`], when the document is converted: every other keyword
//! of its schema is still checked, and load warns about it. Before, the whole
//! schema (and every schema reaching it) accepted everything.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::fancy;
use super::compile::options;
use super::Dialect;
use crate::support::limits::{self, MAX_MESSAGE};

/// The keyword a pattern that cannot run is moved to; the validator ignores it.
pub(crate) const UNCHECKED: &str = "x-mimeo-unchecked-pattern";

/// Patterns judged so far, and the compiled ones, shared with the validators
/// (which compile the same patterns with the same options).
#[derive(Default)]
pub(crate) struct Patterns {
    /// `Some(why)` for a pattern the linear-time engine refuses.
    judged: HashMap<String, Option<String>>,
    /// Whether each backtracking pattern compiles (a lookahead pattern can be
    /// repeated in thousands of schemas).
    backtracking: HashMap<String, bool>,
    pub(super) cache: jsonschema::PatternCache,
}

impl Patterns {
    /// Why the validator cannot compile `pattern` (`None` when it can).
    pub(crate) fn why_not(&mut self, pattern: &str) -> Option<String> {
        if let Some(known) = self.judged.get(pattern) {
            return known.clone();
        }
        let schema = serde_json::json!({ "pattern": pattern });
        let result = options(Dialect::Draft4)
            .with_pattern_cache(self.cache.clone())
            .build(&schema)
            .err()
            .map(|e| refusal(pattern, &e.to_string()));
        self.judged.insert(pattern.to_string(), result.clone());
        result
    }

    /// Moves a pattern of one schema object that cannot run (on the linear-time
    /// engine, or as a backtracking one at [`fancy::KEYWORD`]) to [`UNCHECKED`].
    pub(crate) fn set_aside(&mut self, schema: &mut Map<String, Value>) {
        let broken = match schema.get("pattern") {
            Some(Value::String(p)) => self.why_not(p).is_some(),
            _ => false,
        };
        if broken {
            if let Some(p) = schema.remove("pattern") {
                schema.insert(UNCHECKED.to_string(), p);
            }
        }
        let broken = match schema.get(fancy::KEYWORD) {
            Some(Value::String(p)) => !*self
                .backtracking
                .entry(p.clone())
                .or_insert_with(|| fancy::compile(p).is_ok()),
            _ => false,
        };
        if broken {
            if let Some(p) = schema.remove(fancy::KEYWORD) {
                // (Both kinds at once is only possible when written by hand:
                // the first keeps the place, and the warning.)
                schema.entry(UNCHECKED).or_insert(p);
            }
        }
    }
}

/// Why a pattern set aside at load cannot run (for the warning).
pub(crate) fn why_unchecked(patterns: &mut Patterns, pattern: &str) -> String {
    match patterns.why_not(pattern) {
        Some(why) => why,
        // It compiles on the linear engine: it was a backtracking one.
        None => match fancy::compile(pattern) {
            Err(e) => refusal(pattern, &e),
            Ok(_) => refusal(pattern, "it cannot be compiled"),
        },
    }
}

fn refusal(pattern: &str, error: &str) -> String {
    format!(
        "pattern `{}` is not a regular expression: {}",
        limits::truncate(pattern, 200),
        limits::truncate(error, MAX_MESSAGE)
    )
}
