//! Judging a step's `expect` (and a retry's `until`): the status, matchers on
//! body values at JSON pointers, and matchers on headers. Each failed matcher
//! is a failure of its own check (`body_assertion`, `header_assertion`) that
//! says where, what was expected and what was there.

use hyper::header::HeaderMap;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::checks::{status_expected, AnswerBody, Check, CheckFailure};
use crate::scenario::{Expect, HeaderCheck, Matcher};

/// Longest rendering of an actual value in a message.
const SHOWN: usize = 200;

/// A failed assertion: where, which matcher, what was expected, what was there.
///
/// # Examples
///
/// ```
/// use mimeo::replay::AssertionFailure;
/// use mimeo::Check;
///
/// let f = AssertionFailure {
///     check: Check::BodyAssertion,
///     at: "/values".into(),
///     matcher: "length".into(),
///     expected: "2".into(),
///     actual: Some("[\"a@x.io\"]".into()),
/// };
/// assert_eq!(f.to_string(), "at /values: length: expected 2, got [\"a@x.io\"]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssertionFailure {
    /// `body_assertion` or `header_assertion`.
    pub check: Check,
    /// The JSON pointer, or the header name.
    pub at: String,
    /// `equals`, `contains`, `matches`, `length`, `absent`, `empty`, `each`, `present`.
    pub matcher: String,
    /// What the matcher wanted.
    pub expected: String,
    /// What was there (`None`: nothing).
    pub actual: Option<String>,
}

impl std::fmt::Display for AssertionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.at.is_empty() { "/" } else { &self.at };
        let got = self.actual.as_deref().unwrap_or("nothing");
        write!(
            f,
            "at {at}: {}: expected {}, got {got}",
            self.matcher, self.expected
        )
    }
}

/// What judging an answer found.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    pub(crate) ran: Vec<Check>,
    pub(crate) failures: Vec<CheckFailure>,
    pub(crate) assertions: Vec<AssertionFailure>,
}

impl Judged {
    pub(crate) fn held(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Judges an answer against `expect` (the status only when `with_status`; the
/// contract checks judge it otherwise).
pub(crate) fn judge(
    expect: &Expect,
    with_status: bool,
    status: u16,
    headers: &HeaderMap,
    body: &AnswerBody<'_>,
    vars: &IndexMap<String, String>,
) -> Judged {
    let mut out = Judged::default();
    if with_status {
        if let Some(exp) = &expect.status {
            out.ran.push(Check::StatusExpected);
            out.failures.extend(status_expected(status, exp));
        }
    }
    if !expect.body.is_empty() {
        out.ran.push(Check::BodyAssertion);
        // An empty body has nothing at any pointer; one that is not JSON cannot
        // be looked into.
        let json: Result<Option<&Value>, String> =
            if body.bytes().iter().all(u8::is_ascii_whitespace) {
                Ok(None)
            } else {
                body.json()
                    .map(Some)
                    .map_err(|e| format!("the body is not JSON ({e})"))
            };
        for m in &expect.body {
            let found = match &json {
                Ok(Some(v)) => v.pointer(&m.pointer),
                Ok(None) => None,
                Err(e) => {
                    out.push(
                        Check::BodyAssertion,
                        &m.pointer,
                        m.matcher.name(),
                        describe(&m.matcher, vars),
                        Some(e.clone()),
                    );
                    continue;
                }
            };
            if let Err((at, name, expected, actual)) =
                body_match(&m.matcher, &m.pointer, found, vars)
            {
                out.push(Check::BodyAssertion, &at, name, expected, actual);
            }
        }
    }
    if !expect.headers.is_empty() {
        out.ran.push(Check::HeaderAssertion);
        for h in &expect.headers {
            let value = headers
                .get(&h.name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let (ok, expected) = match &h.check {
                HeaderCheck::Present(want) => (
                    value.is_some() == *want,
                    if *want { "present" } else { "absent" }.to_string(),
                ),
                HeaderCheck::Equals(t) => {
                    let want = t.render(vars).unwrap_or_else(|_| t.source().to_string());
                    (value.as_deref() == Some(want.as_str()), quoted(&want))
                }
                HeaderCheck::Contains(t) => {
                    let want = t.render(vars).unwrap_or_else(|_| t.source().to_string());
                    let ok = value.as_deref().is_some_and(|v| v.contains(want.as_str()));
                    (ok, format!("a value containing {}", quoted(&want)))
                }
                HeaderCheck::Matches(re) => (
                    value.as_deref().is_some_and(|v| re.is_match(v)),
                    format!("a match of `{}`", re.as_str()),
                ),
            };
            if !ok {
                let actual = value.as_deref().map(quoted);
                out.push(
                    Check::HeaderAssertion,
                    h.name.as_str(),
                    h.check.name(),
                    expected,
                    actual,
                );
            }
        }
    }
    out
}

impl Judged {
    fn push(
        &mut self,
        check: Check,
        at: &str,
        matcher: &str,
        expected: String,
        actual: Option<String>,
    ) {
        let failure = AssertionFailure {
            check,
            at: at.to_string(),
            matcher: matcher.to_string(),
            expected,
            actual,
        };
        self.failures.push(CheckFailure {
            check,
            message: failure.to_string(),
        });
        self.assertions.push(failure);
    }
}

type Miss = (String, &'static str, String, Option<String>);

/// Whether `found` (the value at `pointer`) holds `m`; else where it failed,
/// the matcher, what it expected and what was there.
fn body_match(
    m: &Matcher,
    pointer: &str,
    found: Option<&Value>,
    vars: &IndexMap<String, String>,
) -> Result<(), Miss> {
    let miss = |at: &str| {
        Err((
            at.to_string(),
            m.name(),
            describe(m, vars),
            found.map(shown),
        ))
    };
    let Some(v) = found else {
        return match m {
            Matcher::Absent(true) | Matcher::Empty(true) | Matcher::Each(_) => Ok(()),
            _ => miss(pointer),
        };
    };
    let ok = match m {
        Matcher::Absent(absent) => !absent,
        Matcher::Empty(empty) => {
            let nothing = v.is_null() || length(v) == Some(0);
            nothing == *empty
        }
        Matcher::Equals(b) => b.render(vars).is_ok_and(|want| *v == want),
        Matcher::Contains(b) => b.render(vars).is_ok_and(|want| contains(v, &want)),
        Matcher::Matches(re) => v.as_str().is_some_and(|s| re.is_match(s)),
        Matcher::Length(n) => length(v) == Some(*n),
        Matcher::Each(inner) => {
            let Some(items) = v.as_array() else {
                return miss(pointer);
            };
            for (i, item) in items.iter().enumerate() {
                let at = format!("{pointer}/{i}");
                for m in inner {
                    body_match(m, &at, Some(item), vars)?;
                }
            }
            true
        }
    };
    if ok {
        Ok(())
    } else {
        miss(pointer)
    }
}

fn contains(v: &Value, want: &Value) -> bool {
    match (v, want) {
        (Value::Array(items), _) => items.contains(want),
        (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
        (Value::Object(map), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| map.get(k).is_some_and(|mv| mv == wv)),
        _ => false,
    }
}

fn length(v: &Value) -> Option<usize> {
    match v {
        Value::Array(a) => Some(a.len()),
        Value::String(s) => Some(s.chars().count()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

/// What a matcher wants, for messages.
fn describe(m: &Matcher, vars: &IndexMap<String, String>) -> String {
    let json = |b: &crate::scenario::template::JsonBody| {
        b.render(vars)
            .map(|v| shown(&v))
            .unwrap_or_else(|_| shown(&b.value))
    };
    match m {
        Matcher::Equals(b) => json(b),
        Matcher::Contains(b) => format!("something containing {}", json(b)),
        Matcher::Matches(re) => format!("a string matching `{}`", re.as_str()),
        Matcher::Length(n) => n.to_string(),
        Matcher::Absent(true) => "nothing".into(),
        Matcher::Absent(false) => "a value".into(),
        Matcher::Empty(true) => "nothing, null or an empty array, string or object".into(),
        Matcher::Empty(false) => "a value that is not empty".into(),
        Matcher::Each(inner) => {
            let all: Vec<String> = inner
                .iter()
                .map(|i| format!("{} {}", i.name(), describe(i, vars)))
                .collect();
            format!("an array whose every item is {}", all.join(" and "))
        }
    }
}

/// A value as compact JSON, cut at [`SHOWN`] characters.
fn shown(v: &Value) -> String {
    cut(&v.to_string())
}

fn quoted(s: &str) -> String {
    cut(&serde_json::to_string(s).unwrap_or_default())
}

fn cut(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        return s.to_string();
    }
    let head: String = s.chars().take(SHOWN).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_by_kind() {
        let arr = serde_json::json!(["a", "b"]);
        assert!(contains(&arr, &serde_json::json!("b")));
        assert!(!contains(&arr, &serde_json::json!("c")));
        assert!(contains(
            &serde_json::json!("abc"),
            &serde_json::json!("bc")
        ));
        let obj = serde_json::json!({"a": 1, "b": 2});
        assert!(contains(&obj, &serde_json::json!({"b": 2})));
        assert!(!contains(&obj, &serde_json::json!({"b": 3})));
        assert!(!contains(&serde_json::json!(3), &serde_json::json!(3)));
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(quoted(&long).chars().count(), SHOWN + 1);
    }
}
