//! Files people write in YAML (scenarios, configs, state models, seeds) read with
//! positions: serde-saphyr's `Spanned` values carry a line and column, so an error
//! found after parsing (an unknown variable, a rule that matches nothing) still
//! says `file:line:column`. serde_yaml, used for OpenAPI documents, gives
//! positions only for syntax errors.

use serde::de::DeserializeOwned;
use serde_saphyr::Location;

use crate::diagnostic::Diagnostic;

/// Reads `text` (from `file`) into `T`; a syntax or shape error is located.
pub(crate) fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostic> {
    serde_saphyr::from_str(text).map_err(|e| {
        let mut message = message(&e.without_snippet().to_string());
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
