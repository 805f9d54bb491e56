//! Hiding what changes from run to run or target to target, so two answers can
//! be compared as text: snapshots against their stored copy, and a target's
//! answers against a reference's. The target's address becomes `[target]`,
//! values of variables (built-ins and captures included) become `{{name}}`,
//! credentials become `[redacted]`, and the scenario's own `redact` rules apply
//! last.

use std::borrow::Cow;

use indexmap::IndexMap;
use memchr::memmem::Finder;
use serde_json::Value;

use crate::scenario::{placeholder, RedactTarget, Scenario};
use crate::secrets::Secrets;

/// Variable values shorter than this are not turned back into `{{name}}`: short
/// values (`email`, `1`) would match unrelated text.
const MIN_VAR_LEN: usize = 8;

pub(crate) struct Redactor<'a> {
    scenario: &'a Scenario,
    target: String,
    /// (placeholder, a finder of the value), longest value first.
    vars: Vec<(String, Finder<'static>)>,
    /// Finds `target`: built once, so text without it is passed over cheaply.
    target_finder: Finder<'static>,
    secrets: &'a Secrets,
}

impl<'a> Redactor<'a> {
    /// A redactor for one run of `scenario` against `target_base`, whose
    /// variables ended with these values.
    pub(crate) fn new(
        scenario: &'a Scenario,
        vars: &IndexMap<String, String>,
        target_base: &str,
        secrets: &'a Secrets,
    ) -> Redactor<'a> {
        let mut vars: Vec<(String, Finder<'static>)> = vars
            .iter()
            // A value already hidden (a credential the target handed out) is
            // not a variable's text: every `[redacted]` would become its name.
            .filter(|(_, v)| v.len() >= MIN_VAR_LEN && v.as_str() != "[redacted]")
            .map(|(k, v)| (placeholder(k), Finder::new(v).into_owned()))
            .collect();
        vars.sort_by_key(|(_, finder)| std::cmp::Reverse(finder.needle().len()));
        // The target as it appears in answers: without credentials in its URL.
        let target = crate::secrets::redact_userinfo(target_base.trim_end_matches('/'))
            .replace("[redacted]@", "");
        Redactor {
            scenario,
            target_finder: Finder::new(&target).into_owned(),
            target,
            vars,
            secrets,
        }
    }

    /// Free text: credentials, the target, variables, then `matching` rules.
    pub(crate) fn text(&self, s: &str) -> String {
        self.text_cow(s).into_owned()
    }

    /// [`Redactor::text`], borrowing `s` when nothing in it is hidden: most
    /// strings of most bodies, which are then not copied.
    fn text_cow<'t>(&self, s: &'t str) -> Cow<'t, str> {
        let mut s = self.secrets.scrub_cow(s);
        if !self.target.is_empty() {
            if let Some(hidden) = replaced(&s, &self.target_finder, "[target]") {
                s = Cow::Owned(hidden);
            }
        }
        for (name, finder) in &self.vars {
            if let Some(hidden) = replaced(&s, finder, name) {
                s = Cow::Owned(hidden);
            }
        }
        for r in &self.scenario.redact {
            if let RedactTarget::Matching(re) = &r.target {
                if let Cow::Owned(replaced) = re.replace_all(&s, regex::NoExpand(&r.with)) {
                    s = Cow::Owned(replaced);
                }
            }
        }
        s
    }

    /// A response header's value (`name` lower case).
    pub(crate) fn header(&self, name: &str, value: &str) -> String {
        let ruled = self
            .scenario
            .redact
            .iter()
            .find(|r| matches!(&r.target, RedactTarget::Header(h) if h.as_str() == name));
        match ruled {
            Some(r) => r.with.clone(),
            None => self.text(value),
        }
    }

    /// A body: JSON redacted value by value (then `body` rules), pretty-printed;
    /// anything else as text.
    pub(crate) fn body(&self, body: &str) -> String {
        match self.json(body) {
            Some(value) => {
                serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_string())
            }
            None => self.text(body.trim_end()),
        }
    }

    /// A JSON body redacted, or `None` when it is not JSON.
    pub(crate) fn json(&self, body: &str) -> Option<Value> {
        let mut value = serde_json::from_str::<Value>(body).ok()?;
        self.strings(&mut value);
        for r in &self.scenario.redact {
            if let RedactTarget::Body(tokens) = &r.target {
                replace_at(&mut value, tokens, &r.with);
            }
        }
        Some(value)
    }

    fn strings(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(hidden) = self.text_cow(s) {
                    *s = hidden;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.strings(v)),
            Value::Object(map) => {
                // A credential may be a member's name, too.
                let secret_key = map
                    .keys()
                    .any(|k| matches!(self.secrets.scrub_cow(k), Cow::Owned(_)));
                if secret_key {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.insert(self.secrets.scrub(&k), v);
                    }
                }
                map.values_mut().for_each(|v| self.strings(v))
            }
            _ => {}
        }
    }
}

/// `s` with every match of `finder` replaced by `with` (as `str::replace`
/// does, left to right, matches not overlapping), or `None` when it has none.
/// The finder found them already: `str::replace` would build a searcher again.
#[inline]
fn replaced(s: &str, finder: &Finder<'_>, with: &str) -> Option<String> {
    let first = finder.find(s.as_bytes())?;
    let len = finder.needle().len();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let rest = finder.find_iter(&s.as_bytes()[first + len..]);
    for at in std::iter::once(first).chain(rest.map(|at| at + first + len)) {
        // A match of UTF-8 text in UTF-8 text starts and ends on characters.
        out.push_str(&s[last..at]);
        out.push_str(with);
        last = at + len;
    }
    out.push_str(&s[last..]);
    Some(out)
}

/// Replaces every value at `tokens` (`*` matches any member or index).
pub(crate) fn replace_at(value: &mut Value, tokens: &[String], with: &str) {
    let Some((first, rest)) = tokens.split_first() else {
        *value = Value::String(with.to_string());
        return;
    };
    match value {
        Value::Object(map) => {
            if first == "*" {
                map.values_mut().for_each(|v| replace_at(v, rest, with));
            } else if let Some(v) = map.get_mut(first) {
                replace_at(v, rest, with);
            }
        }
        Value::Array(items) => {
            if first == "*" {
                items.iter_mut().for_each(|v| replace_at(v, rest, with));
            } else if let Some(v) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                replace_at(v, rest, with);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_redaction_with_wildcards() {
        let mut v = serde_json::json!({"items": [{"at": 1, "k": 2}, {"at": 3}], "at": 4});
        replace_at(&mut v, &["items".into(), "*".into(), "at".into()], "[date]");
        assert_eq!(
            v,
            serde_json::json!({"items": [{"at": "[date]", "k": 2}, {"at": "[date]"}], "at": 4})
        );
    }

    /// `replaced` is `str::replace` for text that holds the value (and `None`
    /// for text that does not): repeated, adjacent, overlapping-looking and
    /// multi-byte cases.
    #[test]
    fn replaced_replaces_as_str_replace_does() {
        let cases = [
            ("aaaa", "aa"),
            ("aaa", "aa"),
            ("xabababx", "aba"),
            ("é-ab-é-ab", "é-ab"),
            ("id=mem_1 and mem_1mem_1.", "mem_1"),
            ("no match here", "absent"),
            ("ab", "ab"),
        ];
        for (text, needle) in cases {
            let finder = Finder::new(needle);
            let want = text.contains(needle).then(|| text.replace(needle, "[x]"));
            assert_eq!(
                replaced(text, &finder, "[x]"),
                want,
                "{text:?} / {needle:?}"
            );
        }
    }
}
