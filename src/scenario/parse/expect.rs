//! `expect:` and `retry:` of a step: statuses the operation documents, body
//! matchers at JSON pointers, header matchers, and a retry bounded in attempts
//! and time. Each mistake is reported at its line and column.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::support::yaml::{Pos, Spanned};
use hyper::header::HeaderName;
use regex::Regex;
use serde_json::Value;

use super::raw::{RawExpect, RawHeaderMatch, RawMatcher, RawRetry};
use super::{check_template, Cat, Errors, Known};
use crate::contract::Operation;
use crate::scenario::expect::MAX_ATTEMPTS;
use crate::scenario::template::{self, JsonBody};
use crate::scenario::{BodyMatch, Expect, HeaderCheck, HeaderMatch, Matcher, Retry};
use crate::support::duration;

/// `retry.every` when not given.
const DEFAULT_EVERY: Duration = Duration::from_millis(200);
/// `retry.for` when not given.
const DEFAULT_FOR: Duration = Duration::from_secs(10);

/// Checks an `expect:` (or a retry's `until:`) mapping.
pub(super) fn expect(
    raw: &RawExpect,
    at: &Pos,
    op: Option<&Operation>,
    known: &Known,
    errors: &mut Errors,
) -> Expect {
    let status = raw.status.as_ref().map(|s| {
        let codes: Vec<u16> = s.value.to_vec().into_iter().map(|s| s.0).collect();
        if codes.is_empty() {
            errors.at(&s.referenced, "`status` lists no status");
        }
        for c in &codes {
            if !(100..=599).contains(c) {
                errors.at(&s.referenced, format!("{c} is not an HTTP status"));
            } else if let Some(op) = op {
                if !op.documents(*c) {
                    errors.at(
                        &s.referenced,
                        format!(
                            "{} does not document {c}; it documents {}",
                            op.name(),
                            op.documented_list()
                        ),
                    );
                }
            }
        }
        codes
    });
    if status.is_none() && raw.body.is_empty() && raw.headers.is_empty() {
        errors.at(
            at,
            "this expects nothing; give `status`, `body` or `headers`",
        );
    }
    let mut body = Vec::new();
    for (pointer, m) in &raw.body {
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            errors.at(
                &m.referenced,
                format!("`{pointer}` is not a JSON pointer (it must start with `/`; `\"\"` is the whole body)"),
            );
            continue;
        }
        let what = Cat(&"body matcher at ", &shown(pointer));
        for matcher in matchers(&m.value, &m.referenced, &what, known, errors) {
            body.push(BodyMatch {
                pointer: pointer.clone(),
                matcher,
            });
        }
    }
    let mut headers = Vec::new();
    for (name, h) in &raw.headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            errors.at(&h.referenced, format!("`{name}` is not a header name"));
            continue;
        };
        for check in header_checks(&h.value, &h.referenced, &name, known, errors) {
            headers.push(HeaderMatch {
                name: name.clone(),
                check,
            });
        }
    }
    Expect {
        status,
        body,
        headers,
    }
}

fn shown(pointer: &str) -> &str {
    if pointer.is_empty() {
        "\"\" (the whole body)"
    } else {
        pointer
    }
}

/// The matchers of one body value, in a fixed order.
fn matchers(
    raw: &RawMatcher,
    at: &Pos,
    what: &dyn fmt::Display,
    known: &Known,
    errors: &mut Errors,
) -> Vec<Matcher> {
    let mut out = Vec::new();
    if let Some(v) = &raw.equals {
        out.extend(json(v, at, &Cat(what, &": equals"), known, errors).map(Matcher::Equals));
    }
    if let Some(v) = &raw.contains {
        out.extend(json(v, at, &Cat(what, &": contains"), known, errors).map(Matcher::Contains));
    }
    if let Some(p) = &raw.matches {
        out.extend(regex(p, at, what, errors).map(Matcher::Matches));
    }
    if let Some(n) = raw.length {
        match usize::try_from(n) {
            Ok(n) => out.push(Matcher::Length(n)),
            Err(_) => errors.at(at, format!("{what}: length {n} is too large")),
        }
    }
    if let Some(a) = raw.absent {
        out.push(Matcher::Absent(a));
    }
    if let Some(e) = raw.empty {
        out.push(Matcher::Empty(e));
    }
    if let Some(each) = &raw.each {
        let inner = matchers(each, at, &Cat(what, &": each"), known, errors);
        if inner.iter().any(|m| matches!(m, Matcher::Absent(_))) {
            errors.at(at, format!("{what}: `absent` cannot be used under `each`"));
        }
        out.push(Matcher::Each(inner));
    }
    if out.is_empty() && errors_are_none(raw) {
        errors.at(
            at,
            format!(
                "{what}: no matcher; use equals, contains, matches, length, absent, empty or each"
            ),
        );
    }
    out
}

/// Whether `raw` names no matcher at all (as opposed to naming a broken one).
fn errors_are_none(raw: &RawMatcher) -> bool {
    raw.equals.is_none()
        && raw.contains.is_none()
        && raw.matches.is_none()
        && raw.length.is_none()
        && raw.absent.is_none()
        && raw.empty.is_none()
        && raw.each.is_none()
}

/// A JSON value whose strings may hold placeholders.
fn json(
    value: &Value,
    at: &Pos,
    what: &dyn fmt::Display,
    known: &Known,
    errors: &mut Errors,
) -> Option<JsonBody> {
    let mut strings = Vec::new();
    template::body_strings(value, &mut String::new(), &mut strings);
    let mut templates = Vec::new();
    let before = errors.count();
    for (pointer, text) in strings {
        if let Some(t) = check_template(errors, known, text, at, what) {
            if t.vars().next().is_some() {
                templates.push((pointer, t));
            }
        }
    }
    (errors.count() == before).then(|| JsonBody {
        value: value.clone(),
        templates,
    })
}

fn regex(pattern: &str, at: &Pos, what: &dyn fmt::Display, errors: &mut Errors) -> Option<Regex> {
    if let Ok(t) = crate::scenario::Template::parse(pattern) {
        if let Some(var) = t.vars().next() {
            errors.at(
                at,
                format!("{what}: `matches` takes no placeholders (`{{{{{var}}}}}`); use `contains` or `equals` to compare with a variable's value"),
            );
            return None;
        }
    }
    match compiled(pattern) {
        Ok(re) => Some(re),
        Err(e) => {
            // The parser's message spans lines (pattern, caret, reason): keep the reason.
            let text = e.to_string();
            let why = text.lines().last().unwrap_or_default();
            let why = why.strip_prefix("error: ").unwrap_or(why);
            errors.at(
                at,
                format!("{what}: `{pattern}` is not a regular expression: {why}"),
            );
            None
        }
    }
}

/// The most patterns [`compiled`] keeps.
const MAX_KEPT_PATTERNS: usize = 1024;
/// The longest pattern it keeps (review finding: a long pattern can compile
/// small, and the store outlives a recording proxy's scenarios): at most
/// 4 MiB of pattern text in all.
const MAX_KEPT_PATTERN_BYTES: usize = 4096;

/// `pattern` compiled, or the one compiled before from the same text: a suite
/// repeats its patterns from file to file, compiling one costs tens of
/// thousands of instructions, and a clone shares the compiled program.
fn compiled(pattern: &str) -> Result<Regex, regex::Error> {
    type Kept = HashMap<String, Regex, foldhash::fast::RandomState>;
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    // The size limit keeps a pathological pattern from taking the run's memory.
    let build = || {
        regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
    };
    if pattern.len() > MAX_KEPT_PATTERN_BYTES {
        return build();
    }
    let kept = KEPT.get_or_init(Mutex::default);
    if let Some(re) = kept.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return Ok(re.clone());
    }
    let re = build()?;
    let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
    if kept.len() < MAX_KEPT_PATTERNS {
        kept.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}

fn header_checks(
    raw: &RawHeaderMatch,
    at: &Pos,
    name: &HeaderName,
    known: &Known,
    errors: &mut Errors,
) -> Vec<HeaderCheck> {
    let what = Cat(&"header matcher ", name);
    let mut out = Vec::new();
    if let Some(p) = raw.present {
        out.push(HeaderCheck::Present(p));
    }
    if let Some(e) = &raw.equals {
        out.extend(check_template(errors, known, &e.0, at, &what).map(HeaderCheck::Equals));
    }
    if let Some(c) = &raw.contains {
        out.extend(check_template(errors, known, &c.0, at, &what).map(HeaderCheck::Contains));
    }
    if let Some(p) = &raw.matches {
        out.extend(regex(p, at, &what, errors).map(HeaderCheck::Matches));
    }
    let valued = raw.equals.is_some() || raw.contains.is_some() || raw.matches.is_some();
    if raw.present.is_none() && !valued {
        errors.at(
            at,
            format!("{what}: no matcher; use present, equals, contains or matches"),
        );
    }
    if raw.present == Some(false) && valued {
        errors.at(
            at,
            format!("{what}: `present: false` cannot go with `equals`, `contains` or `matches`"),
        );
    }
    out
}

/// Checks a `retry:`: what must hold (its `until`, else the step's `expect`),
/// and bounds in time and attempts.
pub(super) fn retry(
    raw: &Spanned<RawRetry>,
    step_expect: &Expect,
    op: Option<&Operation>,
    known: &Known,
    errors: &mut Errors,
) -> Option<Retry> {
    let at = &raw.referenced;
    let r = &raw.value;
    let until = match &r.until {
        Some(u) => expect(&u.value, &u.referenced, op, known, errors),
        None if step_expect.status.is_some()
            || !step_expect.body.is_empty()
            || !step_expect.headers.is_empty() =>
        {
            step_expect.clone()
        }
        None => {
            errors.at(
                at,
                "`retry` needs something to wait for: give `until`, or an `expect` on the step",
            );
            return None;
        }
    };
    let every = r.every.as_ref().map_or(DEFAULT_EVERY, |e| e.value.0);
    let within = r.within.as_ref().map_or(DEFAULT_FOR, |f| f.value.0);
    if every.is_zero() {
        errors.at(at, "`retry.every` must be more than zero");
        return None;
    }
    if within < every {
        errors.at(
            at,
            format!(
                "`retry.for` ({}) is shorter than `retry.every` ({}): it would never retry",
                duration::format(within),
                duration::format(every)
            ),
        );
        return None;
    }
    let retry = Retry {
        until,
        every,
        within,
    };
    let wanted = within.as_nanos() / every.as_nanos() + 1;
    if wanted > u128::from(MAX_ATTEMPTS) {
        errors.at(
            at,
            format!(
                "this retry would make {wanted} attempts; at most {MAX_ATTEMPTS} (make `every` longer or `for` shorter)"
            ),
        );
        return None;
    }
    Some(retry)
}
