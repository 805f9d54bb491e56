//! `pattern`s that only a backtracking engine can run: backreferences (`\1`)
//! and lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`).
//!
//! Every other pattern runs on a linear-time engine. These do not: a lookahead
//! such as `(?=.*x)` rescans the rest of the value at each position, so one
//! value of a megabyte costs minutes of CPU, and a backtracking limit does not
//! see that work. So at load such a pattern is moved to a keyword of mimeo's own
//! (`x-mimeo-pattern`), matched under three bounds:
//!
//! - a value longer than [`MAX_MATCHED`] characters is not matched against it
//!   (it passes that keyword);
//! - at most [`MAX_MATCHED_PER_CHECK`] characters of values are matched against
//!   such patterns in one check of one value (a request, an answer); the rest
//!   pass;
//! - each match may take at most [`super::schema::BACKTRACK_LIMIT`] backtracking
//!   steps; a value that needs more does not match.
//!
//! Load warns about each such pattern, saying so.

use std::cell::Cell;

use serde_json::{Map, Value};

use super::schema::BACKTRACK_LIMIT;

/// The keyword a backtracking pattern is moved to.
pub(crate) const KEYWORD: &str = "x-mimeo-pattern";

/// The longest value matched against a backtracking pattern, in characters.
pub(crate) const MAX_MATCHED: usize = 1024;

/// Characters of values matched against backtracking patterns in one check.
pub(crate) const MAX_MATCHED_PER_CHECK: usize = 16 * 1024;

thread_local! {
    /// What is left of the current check's allowance (see [`within_budget`]).
    static LEFT: Cell<usize> = const { Cell::new(MAX_MATCHED_PER_CHECK) };
}

/// Runs one check (`f` validates a value) with a fresh allowance of
/// [`MAX_MATCHED_PER_CHECK`] characters for backtracking patterns.
pub(crate) fn within_budget<T>(f: impl FnOnce() -> T) -> T {
    let before = LEFT.with(|l| l.replace(MAX_MATCHED_PER_CHECK));
    let out = f();
    LEFT.with(|l| l.set(before));
    out
}

/// Whether a pattern uses what only a backtracking engine runs.
pub(crate) fn needs_backtracking(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut escaped = false;
    for (i, &c) in b.iter().enumerate() {
        if escaped {
            // `\1`..`\9` and `\k<name>`: backreferences.
            if (c.is_ascii_digit() && c != b'0') || c == b'k' {
                return true;
            }
            escaped = false;
            continue;
        }
        match c {
            b'\\' => escaped = true,
            b'(' => {
                let rest = &b[i + 1..];
                if rest.starts_with(b"?=")
                    || rest.starts_with(b"?!")
                    || rest.starts_with(b"?<=")
                    || rest.starts_with(b"?<!")
                {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Moves a backtracking `pattern` of one schema object to [`KEYWORD`].
pub(crate) fn move_pattern(schema: &mut Map<String, Value>) {
    let fancy = matches!(schema.get("pattern"), Some(Value::String(p)) if needs_backtracking(p));
    if fancy {
        if let Some(p) = schema.remove("pattern") {
            schema.insert(KEYWORD.to_string(), p);
        }
    }
}

/// Compiles a backtracking pattern as it is matched.
pub(crate) fn compile(pattern: &str) -> Result<fancy_regex::Regex, String> {
    fancy_regex::RegexBuilder::new(pattern)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// The validator of [`KEYWORD`].
struct Fancy {
    regex: fancy_regex::Regex,
}

impl Fancy {
    fn matches(&self, value: &Value) -> bool {
        let Value::String(s) = value else {
            return true;
        };
        let len = s.chars().count();
        if len > MAX_MATCHED {
            return true;
        }
        let allowed = LEFT.with(|l| {
            let left = l.get();
            l.set(left.saturating_sub(len));
            left >= len
        });
        if !allowed {
            return true;
        }
        // An engine error (a match that needs more backtracking than allowed) is
        // a value that does not match.
        self.regex.is_match(s).unwrap_or(false)
    }
}

impl<'i> jsonschema::Keyword<'i> for Fancy {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.matches(instance) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom(format!(
                "{} does not match \"{}\" (checked within {BACKTRACK_LIMIT} backtracking steps)",
                crate::support::limits::truncate(&instance.to_string(), 200),
                self.regex.as_str()
            )))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.matches(instance)
    }
}

/// The factory jsonschema calls for each [`KEYWORD`] it compiles.
#[allow(clippy::type_complexity)]
pub(crate) fn factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> jsonschema::Keyword<'i>>, jsonschema::ValidationError<'a>> {
    let pattern = value
        .as_str()
        .ok_or_else(|| jsonschema::ValidationError::custom("a pattern must be a string"))?;
    let regex = compile(pattern).map_err(jsonschema::ValidationError::custom)?;
    Ok(Box::new(Fancy { regex }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_patterns_need_backtracking() {
        for p in [
            r"(a)\1",
            r"(?=.*x).",
            r"(?!x)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"(?<n>a)\k<n>",
        ] {
            assert!(needs_backtracking(p), "{p}");
        }
        for p in [r"^[a-z]+$", r"\\1", r"a\d", r"(?:x)", r"(?i)a", r"\0"] {
            assert!(!needs_backtracking(p), "{p}");
        }
    }

    #[test]
    fn matching_is_bounded() {
        let f = Fancy {
            regex: compile(r"^(?=.*x)(.)\1").unwrap(),
        };
        assert!(within_budget(|| f.matches(&Value::from("aax"))));
        assert!(within_budget(|| !f.matches(&Value::from("abx"))));
        // Too long to match: it passes.
        let long = "ab".repeat(MAX_MATCHED);
        assert!(within_budget(|| f.matches(&Value::from(long.as_str()))));
        // Past the allowance of one check, values pass too.
        within_budget(|| {
            let v = Value::from("ab".repeat(500));
            let checked = (0..100).filter(|_| !f.matches(&v)).count();
            assert_eq!(checked, MAX_MATCHED_PER_CHECK / 1000);
        });
    }
}
