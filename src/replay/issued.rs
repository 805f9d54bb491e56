//! Credentials the target hands out during a run: an `access_token` in an
//! answer, or a value captured into a variable named like a credential. The
//! run needs them (a later step sends the token back), but nothing it reports
//! may show them, as it shows none of the credentials it was given: once the
//! scenario has run, every text of its result has them replaced by
//! `[redacted]` (in every form [`Secrets`] looks for), so the snapshot, the
//! reports and the console all see the result already clean.

use serde_json::Value;

use super::{Outcome, ScenarioRun};
use crate::secrets::{secret_name, Secrets};

/// Values shorter than this are not hidden: `Bearer` (a `token_type`) or `3600`
/// would hide unrelated text, and nothing that short is a usable credential.
const MIN_LEN: usize = 8;

/// How many values one run hides at most: an answer with more secret-named
/// members than this is hostile or not about credentials.
const MAX_VALUES: usize = 256;

/// Notes the values of `body`'s members named like credentials (`json` reads
/// it; it is called only when the body's text holds such a word at all, so
/// most answers are not read as JSON here).
pub(crate) fn from_answer<'a>(
    body: &[u8],
    json: impl FnOnce() -> Option<&'a Value>,
    out: &mut Vec<String>,
) {
    // A member's name is a piece of the body's text: without a secret word in
    // the text there is none in a name.
    let text = String::from_utf8_lossy(body);
    if !secret_name(&text) {
        return;
    }
    if let Some(value) = json() {
        members(value, out);
    }
}

fn members(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if secret_name(k) {
                    every_text(v, out);
                } else {
                    members(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| members(v, out)),
        _ => {}
    }
}

/// Every string (and number) in `value`: a secret member may hold an object.
fn every_text(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => keep(s, out),
        Value::Number(n) => keep(&n.to_string(), out),
        Value::Array(items) => items.iter().for_each(|v| every_text(v, out)),
        Value::Object(map) => map.values().for_each(|v| every_text(v, out)),
        _ => {}
    }
}

/// Notes `value` to hide, unless it is too short to be one or already noted.
pub(crate) fn keep(value: &str, out: &mut Vec<String>) {
    if value.len() >= MIN_LEN
        && value != "[redacted]"
        && out.len() < MAX_VALUES
        && !out.iter().any(|v| v == value)
    {
        out.push(value.to_string());
    }
}

/// Hides what the run was handed (`issued`) and the values of its variables
/// named like credentials from every text of `run`.
pub(crate) fn hide(run: &mut ScenarioRun, mut issued: Vec<String>) {
    for (name, value) in &run.vars {
        if secret_name(name) {
            keep(value, &mut issued);
        }
    }
    if issued.is_empty() {
        return;
    }
    let secrets = Secrets::new(issued);
    let scrub = |s: &mut String| {
        if let std::borrow::Cow::Owned(clean) = secrets.scrub_cow(s) {
            *s = clean;
        }
    };
    for step in &mut run.steps {
        scrub(&mut step.request_line);
        if let Some(request) = &mut step.request {
            scrub(&mut request.url);
            request.headers.iter_mut().for_each(|(_, v)| scrub(v));
            if let Some(body) = &mut request.body {
                scrub(body);
            }
        }
        match &mut step.outcome {
            Outcome::Response { headers, body, .. } => {
                headers.iter_mut().for_each(|(_, v)| scrub(v));
                // Inside JSON strings too (`\u` escapes), as the reports scrub.
                if let Some(clean) = secrets.scrub_json_text(body) {
                    *body = clean;
                }
            }
            Outcome::NoResponse { error } => scrub(error),
            Outcome::Skipped { reason } => scrub(reason),
        }
        step.failures.iter_mut().for_each(|f| scrub(&mut f.message));
        for a in &mut step.failed_assertions {
            scrub(&mut a.expected);
            if let Some(actual) = &mut a.actual {
                scrub(actual);
            }
        }
    }
    run.vars.values_mut().for_each(scrub);
}
