//! What a step expects of its answer besides the contract: a status, values in
//! the body at JSON pointers, and headers; and how long it may retry until an
//! expectation holds (asynchronous services apply writes after their 202).
//!
//! Checked at load (pointers, regular expressions, variables, bounds); judged by
//! the runner (`crate::replay`).

use std::time::Duration;

use hyper::header::HeaderName;
use regex::Regex;

use super::template::{JsonBody, Template};

/// A step's expectations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expect {
    /// Allowed statuses.
    pub(crate) status: Option<Vec<u16>>,
    /// Body matchers, in file order.
    pub(crate) body: Vec<BodyMatch>,
    /// Header matchers, in file order.
    pub(crate) headers: Vec<HeaderMatch>,
}

impl Expect {
    /// Every variable the matchers read.
    pub(crate) fn vars(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for b in &self.body {
            b.matcher.vars(&mut out);
        }
        for h in &self.headers {
            if let HeaderCheck::Equals(t) | HeaderCheck::Contains(t) = &h.check {
                out.extend(t.vars());
            }
        }
        out
    }
}

/// A matcher on the body value at a JSON pointer.
#[derive(Debug, Clone)]
pub(crate) struct BodyMatch {
    /// The JSON pointer as written (`""` is the whole body).
    pub(crate) pointer: String,
    pub(crate) matcher: Matcher,
}

/// What the value at a pointer must be.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Equal, as JSON, to this value (strings may hold placeholders).
    Equals(JsonBody),
    /// An array with an item equal to it, a string containing it, or an object
    /// holding each of its members.
    Contains(JsonBody),
    /// A string this regular expression matches.
    Matches(Regex),
    /// An array with this many items, a string with this many characters, or an
    /// object with this many members.
    Length(usize),
    /// `true`: nothing at the pointer; `false`: something there.
    Absent(bool),
    /// `true`: nothing there, `null`, or an empty array, string or object
    /// (`/values` of a type with no value, whichever way a server says it);
    /// `false`: anything else.
    Empty(bool),
    /// Every item of the array there holds each of these (holds when there is
    /// nothing there).
    Each(Vec<Matcher>),
}

impl Matcher {
    /// The name used in scenario files and reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Matcher::Equals(_) => "equals",
            Matcher::Contains(_) => "contains",
            Matcher::Matches(_) => "matches",
            Matcher::Length(_) => "length",
            Matcher::Absent(_) => "absent",
            Matcher::Empty(_) => "empty",
            Matcher::Each(_) => "each",
        }
    }

    fn vars<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Matcher::Equals(b) | Matcher::Contains(b) => {
                for (_, t) in &b.templates {
                    out.extend(t.vars());
                }
            }
            Matcher::Each(all) => all.iter().for_each(|m| m.vars(out)),
            _ => {}
        }
    }
}

/// A matcher on a response header.
#[derive(Debug, Clone)]
pub(crate) struct HeaderMatch {
    pub(crate) name: HeaderName,
    pub(crate) check: HeaderCheck,
}

/// What a header must be.
#[derive(Debug, Clone)]
pub(crate) enum HeaderCheck {
    /// `true`: the header is there; `false`: it is not.
    Present(bool),
    /// Its value is exactly this (placeholders filled).
    Equals(Template),
    /// Its value holds this text (placeholders filled).
    Contains(Template),
    /// Its value matches this regular expression.
    Matches(Regex),
}

impl HeaderCheck {
    /// The name used in scenario files and reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            HeaderCheck::Present(_) => "present",
            HeaderCheck::Equals(_) => "equals",
            HeaderCheck::Contains(_) => "contains",
            HeaderCheck::Matches(_) => "matches",
        }
    }
}

/// Most attempts a `retry` may make, whatever its `every` and `for` say.
pub(crate) const MAX_ATTEMPTS: u32 = 1000;

/// Repeat the request until `until` holds, every `every`, for at most `within`.
#[derive(Debug, Clone)]
pub(crate) struct Retry {
    /// What must hold (the step's `expect` unless given).
    pub(crate) until: Expect,
    /// Pause between attempts.
    pub(crate) every: Duration,
    /// How long to keep trying, from the first attempt.
    pub(crate) within: Duration,
}

impl Retry {
    /// At most this many attempts: one at the start, then one per `every` within
    /// `within`, never more than [`MAX_ATTEMPTS`].
    pub(crate) fn max_attempts(&self) -> u32 {
        let n = self.within.as_nanos() / self.every.as_nanos().max(1) + 1;
        u32::try_from(n).unwrap_or(u32::MAX).min(MAX_ATTEMPTS)
    }
}
