//! One side's answer to one step, as it is compared: the status, the headers
//! that matter, and the body, with everything that legitimately differs between
//! two servers hidden (addresses, variable values, the contract's volatile
//! values, the scenario's redactions, learned noise). Two views that render the
//! same text agree.

use serde_json::Value;

use super::Difference;
use crate::contract::Contract;
use crate::redact::{replace_at, Redactor};
use crate::replay::{Outcome, StepRun};
use crate::support::pointer;

/// What replaces a value the target changes between its own runs.
pub(super) const NOISE: &str = "[noise]";
/// At most this many differences are listed per step.
const MAX_DIFFERENCES: usize = 50;

/// Headers compared besides Content-Type and those the contract documents.
const ALWAYS: [&str; 2] = ["location", "allow"];

/// An answer made comparable.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum View {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Body,
    },
    /// No answer (`no response: ...`) or not sent (`skipped: ...`).
    Nothing(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Body {
    Empty,
    Json(Value),
    Text(String),
}

/// Where a target's answers differ between its own runs, for one step.
#[derive(Debug, Clone, Default)]
pub(super) struct Noise {
    pub(super) pointers: Vec<String>,
    pub(super) headers: Vec<String>,
    /// The status itself varies: nothing is learned (the pointers and headers
    /// stay empty) and the step is compared in full.
    pub(super) status_varies: bool,
}

/// The headers compared for a step: Content-Type, the ones the contract
/// documents for either side's status, Location and Allow. A step outside the
/// contract is compared on its status and Allow only: the contract says nothing
/// about the rest.
pub(super) fn compared_headers(
    contract: &Contract,
    step: &StepRun,
    statuses: &[u16],
) -> Vec<String> {
    if step.operation.is_none() {
        return vec!["allow".to_string()];
    }
    let mut out = vec!["content-type".to_string()];
    let op = step
        .operation
        .as_deref()
        .and_then(|name| contract.operations().iter().find(|o| o.name() == name));
    if let Some(op) = op {
        for s in statuses {
            if let Some(r) = op.response_for(*s) {
                out.extend(r.headers.iter().map(|h| h.name.to_ascii_lowercase()));
            }
        }
    }
    out.extend(ALWAYS.iter().map(|s| s.to_string()));
    let mut seen = Vec::new();
    out.retain(|h| {
        let first = !seen.contains(h);
        seen.push(h.clone());
        first
    });
    out
}

/// The view of `step`'s answer.
pub(super) fn view(
    contract: &Contract,
    step: &StepRun,
    redactor: &Redactor<'_>,
    compared: &[String],
    noise: &Noise,
) -> View {
    let (status, headers, body) = match &step.outcome {
        Outcome::Response {
            status,
            headers,
            body,
        } => (*status, headers, body),
        Outcome::NoResponse { error } => {
            return View::Nothing(format!("no response: {}", redactor.text(error)))
        }
        Outcome::Skipped { reason } => return View::Nothing(format!("skipped: {reason}")),
    };
    // Volatile values are their stand-ins wherever they reappear (see
    // `InAnswer`): each side's operation id names its own.
    let volatile = &contract.profile.volatile;
    let in_answer = volatile.in_answer(headers);
    let hide = |s: &str| in_answer.hide(s);
    let mut shown = Vec::new();
    for name in compared {
        let Some((_, value)) = headers.iter().find(|(k, _)| k == name) else {
            continue;
        };
        let value = if noise.headers.contains(name) {
            NOISE.to_string()
        } else if let Some(with) = volatile.stand_in(name) {
            with
        } else {
            let v = hide(&redactor.header(name, value));
            match name.as_str() {
                // Parameters (charset) are not behaviour.
                "content-type" => v
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase(),
                // An absolute and a relative Location, or two hosts, name the same
                // place: only the path and query are behaviour.
                "location" => path_of(&v),
                // A set of methods: order is not behaviour, nor HEAD and OPTIONS,
                // which HTTP servers add where GET is (RFC 9110 9.3.2).
                "allow" => methods(&v),
                // The scheme is behaviour; the realm's name is not.
                "www-authenticate" => v
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                _ => v,
            }
        };
        shown.push((name.clone(), value));
    }
    let body = if body.trim().is_empty() || step.operation.is_none() {
        Body::Empty
    } else {
        match redactor.json(body) {
            Some(mut v) => {
                // (A URL in a body, `uri`, as a Location: its path.)
                strings(&mut v, &|s| {
                    let s = hide(s);
                    if s.starts_with("http://")
                        || s.starts_with("https://")
                        || s.starts_with("[target]/")
                    {
                        path_of(&s)
                    } else {
                        s
                    }
                });
                for p in &noise.pointers {
                    if let Some(tokens) = pointer::tokens(p) {
                        replace_at(&mut v, &tokens, NOISE);
                    }
                }
                Body::Json(v)
            }
            None => Body::Text(hide(&redactor.text(body.trim_end()))),
        }
    };
    View::Answer {
        status,
        headers: shown,
        body,
    }
}

/// An `Allow` value as a set: sorted, upper case, without HEAD and OPTIONS.
fn methods(allow: &str) -> String {
    let mut all: Vec<String> = allow
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty() && m != "HEAD" && m != "OPTIONS")
        .collect();
    all.sort();
    all.dedup();
    all.join(", ")
}

/// A URL's path and query (`[target]/v1/x` and `https://h/v1/x` give `/v1/x`).
fn path_of(url: &str) -> String {
    let rest = url
        .strip_prefix("[target]")
        .or_else(|| {
            url.split_once("://")
                .map(|(_, r)| r.find('/').map_or("", |i| &r[i..]))
        })
        .unwrap_or(url);
    rest.to_string()
}

fn strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| strings(i, f)),
        Value::Object(map) => map.values_mut().for_each(|i| strings(i, f)),
        _ => {}
    }
}

impl View {
    /// The view as text, in the snapshot's format.
    pub(super) fn render(&self) -> String {
        match self {
            View::Nothing(what) => format!("-> {what}\n"),
            View::Answer {
                status,
                headers,
                body,
            } => {
                let reason = hyper::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                let mut out = format!("-> {status} {reason}\n").replace(" \n", "\n");
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\n"));
                }
                match body {
                    Body::Empty => {}
                    Body::Json(v) => {
                        out.push('\n');
                        out.push_str(&serde_json::to_string_pretty(v).unwrap_or_default());
                        out.push('\n');
                    }
                    Body::Text(t) => {
                        out.push('\n');
                        out.push_str(t);
                        out.push('\n');
                    }
                }
                out
            }
        }
    }
}

/// Where `reference` and `target` differ, each place with both sides' values.
pub(super) fn differences(reference: &View, target: &View) -> Vec<Difference> {
    let mut out = Vec::new();
    match (reference, target) {
        (
            View::Answer {
                status: rs,
                headers: rh,
                body: rb,
            },
            View::Answer {
                status: ts,
                headers: th,
                body: tb,
            },
        ) => {
            if rs != ts {
                out.push(Difference::new(
                    "status",
                    Some(rs.to_string()),
                    Some(ts.to_string()),
                ));
            }
            let mut names: Vec<&String> = rh.iter().map(|(k, _)| k).collect();
            names.extend(
                th.iter()
                    .map(|(k, _)| k)
                    .filter(|k| !rh.iter().any(|(r, _)| r == *k)),
            );
            for name in names {
                let get = |h: &[(String, String)]| {
                    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
                };
                let (r, t) = (get(rh), get(th));
                if r != t {
                    out.push(Difference::new(&format!("header {name}"), r, t));
                }
            }
            match (rb, tb) {
                (Body::Json(r), Body::Json(t)) => {
                    walk(Some(r), Some(t), &mut String::new(), &mut out);
                }
                (r, t) if r != t => out.push(Difference::new("body", body_text(r), body_text(t))),
                _ => {}
            }
        }
        (r, t) if r != t => out.push(Difference::new(
            "answer",
            Some(r.render().trim_start_matches("-> ").trim_end().to_string()),
            Some(t.render().trim_start_matches("-> ").trim_end().to_string()),
        )),
        _ => {}
    }
    out.truncate(MAX_DIFFERENCES);
    out
}

fn body_text(b: &Body) -> Option<String> {
    match b {
        Body::Empty => None,
        Body::Json(v) => Some(v.to_string()),
        Body::Text(t) => Some(t.clone()),
    }
}

/// JSON pointers where two values differ (members missing on one side count).
pub(super) fn walk(
    r: Option<&Value>,
    t: Option<&Value>,
    at: &mut String,
    out: &mut Vec<Difference>,
) {
    if out.len() >= MAX_DIFFERENCES {
        return;
    }
    match (r, t) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for k in keys {
                let len = at.len();
                pointer::push(at, k);
                walk(a.get(k), b.get(k), at, out);
                at.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                walk(a.get(i), b.get(i), at, out);
                at.truncate(len);
            }
        }
        (r, t) if r != t => {
            let place = if at.is_empty() { "/" } else { at.as_str() };
            out.push(Difference::new(
                place,
                r.map(Value::to_string),
                t.map(Value::to_string),
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_is_compared_as_a_set_of_methods() {
        assert_eq!(methods("POST, GET"), "GET, POST");
        assert_eq!(methods("get,HEAD, post ,OPTIONS,GET"), "GET, POST");
        assert_eq!(methods(""), "");
    }

    #[test]
    fn location_is_compared_by_path() {
        assert_eq!(path_of("[target]/v1/x?y=1"), "/v1/x?y=1");
        assert_eq!(path_of("https://api.example.com/v1/x"), "/v1/x");
        assert_eq!(path_of("https://api.example.com"), "");
        assert_eq!(path_of("/v1/x"), "/v1/x");
    }

    #[test]
    fn differences_name_each_place_with_both_sides() {
        let answer = |status, headers: &[(&str, &str)], body: Value| View::Answer {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Body::Json(body),
        };
        let r = answer(
            200,
            &[("content-type", "application/json")],
            serde_json::json!({"values": ["a", "b"], "k": 1}),
        );
        let t = answer(
            202,
            &[("location", "/x")],
            serde_json::json!({"values": ["a"], "extra": true, "k": 1}),
        );
        let d = differences(&r, &t);
        let at: Vec<&str> = d.iter().map(|d| d.at.as_str()).collect();
        assert_eq!(
            at,
            [
                "status",
                "header content-type",
                "header location",
                "/values/1",
                "/extra"
            ]
        );
        assert_eq!(d[3].reference.as_deref(), Some("\"b\""));
        assert_eq!(d[3].target, None);
        assert!(differences(&r, &r).is_empty());
        let nothing = View::Nothing("no response: timeout".into());
        assert_eq!(differences(&r, &nothing)[0].at, "answer");
    }

    #[test]
    fn a_huge_difference_is_cut() {
        let a: Vec<u32> = (0..500).collect();
        let b: Vec<u32> = (1..501).collect();
        let mut out = Vec::new();
        walk(
            Some(&serde_json::json!(a)),
            Some(&serde_json::json!(b)),
            &mut String::new(),
            &mut out,
        );
        assert_eq!(out.len(), MAX_DIFFERENCES);
    }
}
