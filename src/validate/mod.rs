//! Request validation: does a request keep the contract?
//!
//! Every violation is collected (not just the first), each saying where it is
//! (path, query, header or body JSON pointer) and which rule it breaks, because a
//! client developer fixing a request wants the whole list at once. The mock
//! answers such a request with the operation's 400; the proxy reports it.

use std::borrow::Cow;
use std::fmt;

use hyper::header::{HeaderMap, CONTENT_TYPE, COOKIE};
use serde_json::Value;

use crate::contract::{
    Contract, Operation, ParamIn, SchemaId, SchemaViolation, ValueKind, UNCOMPILABLE,
};
use crate::support::limits::{quoted, Capped, MAX_LISTED};
use crate::support::{media, seen};

mod form;
mod multipart;
mod params;
pub(crate) mod security;
mod styles;

/// Where in the request a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A path template variable.
    Path,
    /// A query parameter.
    Query,
    /// A header (including Content-Type).
    Header,
    /// A cookie.
    Cookie,
    /// The body; `name` is a JSON pointer into it.
    Body,
}

impl From<ParamIn> for Place {
    fn from(p: ParamIn) -> Place {
        match p {
            ParamIn::Path => Place::Path,
            ParamIn::Query => Place::Query,
            ParamIn::Header => Place::Header,
            ParamIn::Cookie => Place::Cookie,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Where.
    pub(crate) place: Place,
    /// The parameter or header name, or the body JSON pointer (`""` for the whole body).
    pub(crate) name: String,
    /// The rule: a JSON Schema keyword (`pattern`, `maxLength`, `required`, `type`,
    /// `additionalProperties`, ...) or `content-type`, `json`, `body`.
    pub(crate) rule: String,
    /// What is wrong, readably.
    pub(crate) message: String,
}

impl Violation {
    /// The violation as text (what `to_string` gives), in one allocation and
    /// without the formatting machinery: every 400's body and log line spell
    /// each of its violations.
    pub(crate) fn text(&self) -> String {
        let pieces = self.pieces();
        let mut out = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
        pieces.iter().for_each(|p| out.push_str(p));
        out
    }

    /// `path parameter NAME: RULE: MESSAGE` in pieces.
    fn pieces(&self) -> [&str; 6] {
        let place = match self.place {
            Place::Path => "path parameter ",
            Place::Query => "query parameter ",
            Place::Header => "header ",
            Place::Cookie => "cookie ",
            Place::Body if self.name.is_empty() => "body",
            Place::Body => "body ",
        };
        [place, &self.name, ": ", &self.rule, ": ", &self.message]
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}

/// The parts of a request that validation looks at.
pub(crate) struct RequestParts<'a> {
    /// Path template variables, percent-decoded (or why they could not be).
    pub(crate) path: &'a [(&'a str, Result<Cow<'a, str>, String>)],
    /// Query pairs, decoded, with mimeo's own `__` controls already removed.
    pub(crate) query: &'a [(Cow<'a, str>, Cow<'a, str>)],
    /// Request headers.
    pub(crate) headers: &'a HeaderMap,
    /// The body bytes; `None` when they cannot be checked (the proxy could
    /// not decode them), so only the rest of the request is.
    pub(crate) body: Option<&'a [u8]>,
}

/// Validates a request against `op`; an empty list means the request keeps the
/// contract. The first [`MAX_LISTED`] violations are listed, the rest counted.
/// Also gives the body as read (JSON, or a form read into JSON) when it could
/// be, so the state model need not read it again.
pub(crate) fn check_request(
    contract: &Contract,
    op: &Operation,
    req: &RequestParts<'_>,
    value_needed: bool,
) -> (Capped<Violation>, Option<Value>) {
    let mut out = Capped::default();
    params::validate_params(contract, &op.params, req, &mut out);
    let body = validate_body(contract, op, req, value_needed, &mut out);
    (out, body)
}

/// Whether a request's path parameters keep `op`'s schemas: what tells apart
/// operations whose paths have the same shape (`/a/{id}` beside `/a/{name}`).
pub(crate) fn path_params_valid(
    contract: &Contract,
    op: &Operation,
    path: &[(&str, Result<Cow<'_, str>, String>)],
) -> bool {
    op.params_in(ParamIn::Path)
        .all(|p| params::path_value_valid(contract, p, path))
}

/// Whether a request's parameters (path, query, headers, cookies; not its
/// body) all keep `op`'s schemas: what tells apart operations on one path
/// whose templates differ only in a fragment.
pub(crate) fn params_valid(
    contract: &Contract,
    op: &Operation,
    path: &[(&str, Result<Cow<'_, str>, String>)],
    query: &[(Cow<'_, str>, Cow<'_, str>)],
    headers: &HeaderMap,
) -> bool {
    let req = RequestParts {
        path,
        query,
        headers,
        body: None,
    };
    let mut out = Capped::default();
    params::validate_params(contract, &op.params, &req, &mut out);
    out.items.is_empty() && out.more == 0
}

/// Adds one violation, or counts it when enough are listed.
pub(super) fn push(out: &mut Capped<Violation>, v: Violation) {
    out.push_limited(v, MAX_LISTED);
}

/// Counts the violations a schema check found beyond those it listed.
pub(super) fn count_rest(
    out: &mut Capped<Violation>,
    found: &Capped<crate::contract::schema::SchemaViolation>,
) {
    out.more += found.more;
    out.open |= found.open;
}

/// Whether a body sent where the operation takes none says nothing: empty,
/// blank, or an empty JSON object, array or `null` (HTTP libraries serialize
/// "no data" as `{}`; a DELETE carrying one is not a client's mistake).
fn says_nothing(body: &[u8]) -> bool {
    let t = body.trim_ascii();
    t.is_empty() || matches!(t, b"null") || {
        let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or(b"x");
        matches!(
            (t.first(), t.last()),
            (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
        ) && inner.trim_ascii().is_empty()
    }
}

/// Validates the body; returns its value when it was read.
fn validate_body(
    contract: &Contract,
    op: &Operation,
    req: &RequestParts<'_>,
    value_needed: bool,
    out: &mut Capped<Violation>,
) -> Option<Value> {
    // (Not checked at all when the proxy could not decode it.)
    let bytes = req.body?;
    let Some(body) = &op.body else {
        if !says_nothing(bytes) {
            push(
                out,
                violation(
                    Place::Body,
                    "",
                    "body",
                    "this operation takes no request body".into(),
                ),
            );
        }
        return None;
    };
    if bytes.is_empty() {
        if body.required {
            let types = media_list(body.content.iter().map(|m| m.name.as_str()));
            push(
                out,
                violation(
                    Place::Body,
                    "",
                    "required",
                    format!("a request body ({types}) is required"),
                ),
            );
        }
        return None;
    }
    let types = media_list(body.content.iter().map(|m| m.name.as_str()));
    let content_type = match req.headers.get(CONTENT_TYPE).map(|v| v.to_str()) {
        Some(Ok(ct)) => ct,
        Some(Err(_)) => {
            push(
                out,
                violation(
                    Place::Header,
                    "Content-Type",
                    "content-type",
                    format!("is not ASCII (expected {types})"),
                ),
            );
            return None;
        }
        None => {
            push(
                out,
                violation(
                    Place::Header,
                    "Content-Type",
                    "content-type",
                    format!("is missing (expected {types})"),
                ),
            );
            return None;
        }
    };
    let Some(media) = body
        .content
        .iter()
        .find(|m| media::matches(&m.name, content_type))
    else {
        push(
            out,
            violation(
                Place::Header,
                "Content-Type",
                "content-type",
                format!(
                    "`{}` is not accepted (expected {types})",
                    quoted(content_type)
                ),
            ),
        );
        return None;
    };
    if let Some(shape) = &media.form {
        return match form::read(&contract.schemas, shape, content_type, bytes) {
            Ok(value) => {
                add(out, &check_body(contract, media.schema, &value));
                Some(value)
            }
            Err(unreadable) => {
                for (pointer, why) in unreadable {
                    push(out, violation(Place::Body, &pointer, "type", why));
                }
                None
            }
        };
    }
    // Other media types are not read; nor is a body sent under a documented
    // `*/*` that says it is not JSON (an image uploaded where any type goes).
    if !media.json || !media::is_json(content_type) {
        return None;
    }
    // The same bytes against the same schema break the same rules: judged
    // once per thread (read again when the caller needs the value).
    let (uid, id) = (contract.profile.uid.0, SchemaId::memo_id(media.schema));
    let kept = seen::get_in(&BODIES, uid, id, bytes);
    if let (Some(kept), false) = (&kept, value_needed) {
        add(out, kept);
        return None;
    }
    let keep = |found: Capped<Violation>| {
        let found = std::rc::Rc::new(found);
        let weight = found
            .items
            .iter()
            .map(|v| v.name.len() + v.rule.len() + v.message.len())
            .sum();
        seen::keep_in(&BODIES, uid, id, bytes, found.clone(), weight);
        found
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let mut found = Capped::default();
            push(
                &mut found,
                violation(Place::Body, "", "json", format!("is not valid JSON: {e}")),
            );
            add(out, &kept.unwrap_or_else(|| keep(found)));
            return None;
        }
    };
    let found = kept.unwrap_or_else(|| keep(check_body(contract, media.schema, &value)));
    add(out, &found);
    Some(value)
}

thread_local! {
    /// Violations found in request bodies, by contract, schema and bytes (see
    /// [`validate_body`]): a client sends the same bodies again and again.
    static BODIES: std::cell::RefCell<seen::SeenBodies<std::rc::Rc<Capped<Violation>>>> =
        const { std::cell::RefCell::new(seen::SeenBodies::new()) };
}

/// Adds the violations one body check found, as that check would have.
fn add(out: &mut Capped<Violation>, found: &Capped<Violation>) {
    out.more += found.more;
    out.open |= found.open;
    for v in &found.items {
        push(out, v.clone());
    }
}

/// Validates a body's value (JSON, or a form read into JSON) against its schema.
fn check_body(contract: &Contract, schema: Option<SchemaId>, value: &Value) -> Capped<Violation> {
    let mut out = Capped::default();
    // Most requests are valid: a yes/no check first, the full list only when needed.
    if let Some(schema) = schema.filter(|&s| !contract.schemas.is_valid(s, value)) {
        let found = contract.schemas.violations(schema, value);
        count_rest(&mut out, &found);
        for v in found.items {
            push(
                &mut out,
                violation(Place::Body, &v.pointer, &v.rule, schema_message(&v)),
            );
        }
    }
    out
}

fn violation(place: Place, name: &str, rule: &str, message: String) -> Violation {
    Violation {
        place,
        name: name.to_string(),
        rule: rule.to_string(),
        message,
    }
}

/// A schema violation's message, shortened unless it says the contract's
/// schema cannot be compiled (which the reader needs whole to fix it).
fn schema_message(v: &SchemaViolation) -> String {
    if v.rule == UNCOMPILABLE {
        v.message.clone()
    } else {
        shorten(&v.message)
    }
}

/// Keeps messages readable when the offending value is huge.
fn shorten(message: &str) -> String {
    const MAX: usize = 120;
    if message.len() <= MAX {
        return message.to_string();
    }
    let mut cut = MAX;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &message[..cut])
}

fn media_list<'a>(types: impl Iterator<Item = &'a str>) -> String {
    types.collect::<Vec<_>>().join(" or ")
}

pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// Reads one piece of parameter or header text as the JSON value `kind`
/// describes, without a schema to choose among alternatives (the first reading
/// that parses): what response headers and recorded path values need.
pub(crate) fn parse_text(kind: &ValueKind, s: &str) -> Result<Value, String> {
    match kind {
        ValueKind::String => Ok(Value::String(s.to_string())),
        ValueKind::Integer => integer(s),
        ValueKind::Number => s
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("expected a number, got `{}`", shorten(s))),
        ValueKind::Boolean => match s {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected `true` or `false`, got `{}`", shorten(s))),
        },
        ValueKind::Json => serde_json::from_str(s)
            .map_err(|e| format!("expected JSON ({e}), got `{}`", shorten(s))),
        ValueKind::Array(item) => s
            .split(',')
            .filter(|_| !s.is_empty())
            .map(|i| parse_text(item, i))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        ValueKind::Object(_) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => {
                let parts: Vec<&str> = s.split(',').collect();
                if parts.len() % 2 != 0 {
                    return Err(format!("expected key,value pairs, got `{}`", shorten(s)));
                }
                Ok(Value::Object(
                    parts
                        .chunks(2)
                        .map(|kv| (kv[0].to_string(), Value::String(kv[1].to_string())))
                        .collect(),
                ))
            }
        },
        ValueKind::Alternatives(alt) => alt
            .kinds
            .iter()
            .find_map(|k| parse_text(k, s).ok())
            .ok_or_else(|| format!("no reading of `{}` fits", shorten(s))),
    }
}

/// An integer of any size: an `i64` or `u64` when it fits, else the nearest
/// float (whose `format`, if any, then rejects it as out of range).
fn integer(s: &str) -> Result<Value, String> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('+') {
        return Err(format!("expected an integer, got `{}`", shorten(s)));
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Ok(Value::from(u));
    }
    // Past i64 below zero, the nearest float may be i64::MIN itself: the next
    // float down keeps the value outside an `int64` range, as it is.
    const BELOW_I64: f64 = -9_223_372_036_854_777_856.0;
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| if f == i64::MIN as f64 { BELOW_I64 } else { f })
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("expected an integer, got `{}`", shorten(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_strict() {
        assert_eq!(
            parse_text(&ValueKind::Boolean, "true"),
            Ok(Value::Bool(true))
        );
        assert!(parse_text(&ValueKind::Boolean, "True").is_err());
        assert!(parse_text(&ValueKind::Boolean, "1").is_err());
    }

    #[test]
    fn integers_of_any_size() {
        assert_eq!(integer("-12"), Ok(Value::from(-12)));
        assert_eq!(integer("18446744073709551615"), Ok(Value::from(u64::MAX)));
        let big = integer("123456789012345678901234567890").unwrap();
        assert!(big.as_f64().unwrap() > 1e29);
        for bad in ["", "-", "1.5", "1e3", "+1", "0x10", "12a"] {
            assert!(integer(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod body_memo_tests {
    use super::*;
    use crate::contract::Contract;
    use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

    const DOC: &str = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{
      "/x":{"post":{"operationId":"x",
        "parameters":[{"name":"n","in":"query","required":true,"schema":{"type":"integer"}}],
        "requestBody":{"required":true,"content":{"application/json":{"schema":{
          "type":"object","required":["a"],"properties":{"a":{"type":"integer"},
          "m":{"type":"object","additionalProperties":{"type":"string"}}}}}}},
        "responses":{"200":{"description":"ok"}}}},
      "/y":{"post":{"operationId":"y",
        "requestBody":{"content":{"application/json":{"schema":{
          "type":"object","properties":{"a":{"type":"string"}}}}}},
        "responses":{"200":{"description":"ok"}}}}}}"##;

    fn check(
        contract: &Contract,
        op: &str,
        query: &[(&str, &str)],
        body: &[u8],
        value_needed: bool,
    ) -> (Capped<Violation>, Option<Value>) {
        let op = contract.operation_by_id(op).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let query: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            query.iter().map(|&(k, v)| (k.into(), v.into())).collect();
        let req = RequestParts {
            path: &[],
            query: &query,
            headers: &headers,
            body: Some(body),
        };
        check_request(contract, op, &req, value_needed)
    }

    #[test]
    fn a_request_body_seen_again_breaks_the_same_rules_and_only_its_own_schemas() {
        // 21 body violations: with a parameter's, more than can be listed.
        let members: Vec<String> = (0..21).map(|i| format!("\"k{i}\":{i}")).collect();
        let many = format!("{{\"a\":\"x\",\"m\":{{{}}}}}", members.join(","));
        let bodies: [&[u8]; 3] = [many.as_bytes(), b"{", br#"{"a":1}"#];
        let queries: [&[(&str, &str)]; 2] = [&[("n", "x")], &[("n", "1")]];
        for body in bodies {
            for query in queries {
                // Proxy then mock, mock then proxy, and each alone (the
                // memo keeps a body judged twice: the third check finds it).
                for (first, then) in [(false, true), (true, false), (false, false), (true, true)] {
                    // A contract of its own: its first check is judged afresh.
                    let contract = Contract::from_text("t.json", DOC).unwrap();
                    let (fresh, _) = check(&contract, "x", query, body, first);
                    check(&contract, "x", query, body, first);
                    let (again, value) = check(&contract, "x", query, body, then);
                    assert_eq!(again, fresh, "{}", String::from_utf8_lossy(body));
                    if then {
                        assert_eq!(value, serde_json::from_slice::<Value>(body).ok());
                    }
                }
            }
        }
        // The same bytes under another operation's schema, and under another
        // contract whose schema of the same place differs, are judged by theirs.
        let contract = Contract::from_text("t.json", DOC).unwrap();
        let body = br#"{"a":1}"#;
        for _ in 0..2 {
            assert!(check(&contract, "x", &[("n", "1")], body, false)
                .0
                .is_empty());
        }
        let other = check(&contract, "y", &[], body, false).0;
        assert_eq!(other.items.len(), 1, "{other:?}");
        assert_eq!(other.items[0].rule, "type");
        let changed = Contract::from_text(
            "t.json",
            &DOC.replace(r#""a":{"type":"integer"}"#, r#""a":{"type":"boolean"}"#),
        )
        .unwrap();
        assert_eq!(
            check(&changed, "x", &[("n", "1")], body, false)
                .0
                .items
                .len(),
            1
        );
    }
}
