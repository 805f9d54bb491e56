//! Files people write in YAML (scenarios, configs, state models, seeds) read with
//! positions: serde-saphyr's `Spanned` values carry a line and column, so an error
//! found after parsing (an unknown variable, a rule that matches nothing) still
//! says `file:line:column`. serde_yaml, used for OpenAPI documents, gives
//! positions only for syntax errors. Scenario files, most of what a large
//! replay reads, go first through a quicker reader ([`fast`]) that gives the
//! same values and positions or leaves the file to serde-saphyr.

use serde::de::DeserializeOwned;
use serde_saphyr::Location;

use crate::diagnostic::Diagnostic;

#[cfg(feature = "replay")]
mod fast;
#[cfg(feature = "replay")]
mod scan;
#[cfg(feature = "replay")]
mod spanned;

#[cfg(feature = "replay")]
pub(crate) use spanned::{Pos, Spanned};

/// The most values (mappings, sequences and scalars, aliases expanded) one file
/// may hold. Aliases repeat what an anchor names without repeating its text, so
/// this is what stops a small file from expanding to billions of values.
pub(crate) const MAX_NODES: usize = 250_000;
/// The most bytes of scalar text one file may hold, aliases expanded.
pub(crate) const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;
/// The most alias uses (`*name`) in one file.
const MAX_ALIASES: usize = 50_000;
/// The deepest nesting of mappings and sequences.
pub(crate) const MAX_DEPTH: usize = 64;

/// How every YAML file people write is read: within the budget above.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_total_scalar_bytes = MAX_SCALAR_BYTES;
    budget.max_aliases = MAX_ALIASES;
    budget.max_depth = MAX_DEPTH;
    budget.max_events = 4 * MAX_NODES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Reads `text` (from `file`) into `T`; a syntax or shape error is located.
pub(crate) fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostic> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let mut message = describe(&e);
        if message.contains("budget breached") {
            message = format!(
                "the file is larger than mimeo reads ({message}): at most {MAX_NODES} values, {} MiB of text, {MAX_ALIASES} aliases and {MAX_DEPTH} levels of nesting, aliases expanded",
                MAX_SCALAR_BYTES / (1024 * 1024)
            );
        }
        // An unquoted `{{var}}` is a YAML flow mapping, the most common slip.
        if let Some(loc) = e.location() {
            let rest: Option<String> = text
                .lines()
                .nth((loc.line() as usize).saturating_sub(1))
                .map(|l| {
                    l.chars()
                        .skip((loc.column() as usize).saturating_sub(1))
                        .collect()
                });
            if rest.is_some_and(|r| r.starts_with("{{")) {
                message.push_str("; a value that starts with `{{` must be quoted: \"{{var}}\"");
            }
        }
        match e.location() {
            Some(l) => at(file, &l, message),
            None => Diagnostic::new(file, message),
        }
    })
}

/// Reads `text` (from `file`) into `T` as [`from_str`] does, taking the quicker
/// reader in [`fast`] whenever it is sure to give the same value (the large
/// suites' scenario files).
#[cfg(feature = "replay")]
pub(crate) fn from_str_quick<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostic> {
    #[cfg(test)]
    if tests::SLOW_ONLY.get() {
        return from_str(file, text);
    }
    match fast::read(text) {
        Some(value) => Ok(value),
        None => from_str(file, text),
    }
}

/// Whether the quick reader reads `text` into `T` by itself (tests check that
/// the shipped scenarios take it).
#[cfg(all(test, feature = "replay"))]
pub(crate) fn quick_alone<T: DeserializeOwned>(text: &str) -> bool {
    fast::read::<T>(text).is_some()
}

/// Whether the quick scanner reads `text` as YAML by itself (the fuzzer
/// counts it).
#[cfg(all(test, feature = "replay"))]
pub(crate) fn scans(text: &str) -> bool {
    scan::tree(text).is_some()
}

/// The quick reader alone (the fuzzer compares it with [`slow_read`]).
#[cfg(all(test, feature = "replay"))]
pub(crate) fn quick_read<T: DeserializeOwned>(text: &str) -> Option<T> {
    fast::read(text)
}

/// serde-saphyr alone, with the options every file is read with.
#[cfg(all(test, feature = "replay"))]
pub(crate) fn slow_read<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| e.to_string())
}

/// What went wrong, in the terms of the person who wrote the file: some of
/// serde-saphyr's messages are meant for programmers (`set DuplicateKeyPolicy
/// in Options`, `use from_str_multiple`, `expected u64`, `mapping start`).
pub(crate) fn describe(e: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    match e.without_snippet() {
        E::DuplicateMappingKey { key: Some(k), .. } => {
            format!("duplicate key `{k}`: a key may appear only once in a mapping")
        }
        E::DuplicateMappingKey { key: None, .. } => {
            "duplicate key: a key may appear only once in a mapping".into()
        }
        E::MultipleDocuments { .. } => "the file holds more than one YAML document (a `---` line after the first); mimeo reads one per file: put each in its own file, or remove the `---`".into(),
        E::Unexpected { expected, .. } => format!("expected {}", shape(expected)),
        E::InvalidScalar { ty, .. } => format!("expected {}", shape(ty)),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("expected {}, found {unexpected}", shape(expected)),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => format!("expected {}, found {unexpected}", shape(expected)),
        other => message(&other.to_string()),
    }
}

/// A YAML shape or a Rust type name, as a person writing the file would say it.
fn shape(expected: &str) -> &str {
    match expected {
        "mapping start" | "mapping" | "a map" => {
            "a mapping (`key: value` lines, or `{key: value}`)"
        }
        "sequence start" | "sequence" | "a sequence" => "a list (`- item` lines, or `[a, b]`)",
        "string scalar" | "string" | "a string" => "text",
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" | "boolean" | "a boolean" => "true or false",
        "char" => "a single character",
        other => other,
    }
}

/// A problem at a position serde-saphyr reported.
pub(crate) fn at(file: &str, loc: &Location, message: impl Into<String>) -> Diagnostic {
    Diagnostic::at_line(file, loc.line() as usize, loc.column() as usize, message)
}

/// serde-saphyr's message without its own position text (we print `file:line:col`
/// in front): "error: line 4 column 5: unknown field ... at line 4, column 5".
pub(crate) fn message(plain: &str) -> String {
    let mut m = plain.strip_prefix("error: ").unwrap_or(plain);
    if let Some(rest) = m.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            m = after;
        }
    }
    let mut m = m.to_string();
    if let Some(i) = m.rfind(" at line ") {
        if m[i + 9..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || c.is_ascii_alphabetic())
        {
            m.truncate(i);
        }
    }
    m
}

#[cfg(all(test, feature = "replay"))]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Makes [`super::from_str_quick`] use serde-saphyr alone on this thread,
        /// so a test can compare the two readers.
        pub(crate) static SLOW_ONLY: Cell<bool> = const { Cell::new(false) };
    }
}
