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

use crate::contract::{Contract, Operation, ParamIn, ValueKind};
use crate::support::limits::{Capped, MAX_LISTED};
use crate::support::media;

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

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::Path => write!(f, "path parameter {}", self.name)?,
            Place::Query => write!(f, "query parameter {}", self.name)?,
            Place::Header => write!(f, "header {}", self.name)?,
            Place::Cookie => write!(f, "cookie {}", self.name)?,
            Place::Body if self.name.is_empty() => write!(f, "body")?,
            Place::Body => write!(f, "body {}", self.name)?,
        }
        write!(f, ": {}: {}", self.rule, self.message)
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
    /// The body bytes.
    pub(crate) body: &'a [u8],
}

/// Validates a request against `op`; an empty list means the request keeps the
/// contract. The first [`MAX_LISTED`] violations are listed, the rest counted.
pub(crate) fn validate_request(
    contract: &Contract,
    op: &Operation,
    req: &RequestParts<'_>,
) -> Capped<Violation> {
    let mut out = Capped::default();
    for p in &op.params {
        // A path parameter has exactly one value: no list is allocated for it.
        let one: [Cow<'_, str>; 1];
        let many: Vec<Cow<'_, str>>;
        let raw: &[Cow<'_, str>] = match p.location {
            ParamIn::Path => match req.path.iter().find(|(n, _)| *n == p.name) {
                Some((_, Ok(v))) => {
                    one = [Cow::Borrowed(v.as_ref())];
                    &one
                }
                Some((_, Err(why))) => {
                    push(
                        &mut out,
                        violation(p.location.into(), &p.name, "encoding", why.clone()),
                    );
                    continue;
                }
                None => &[],
            },
            ParamIn::Query => {
                many = req
                    .query
                    .iter()
                    .filter(|(k, _)| *k == p.name)
                    .map(|(_, v)| Cow::Borrowed(v.as_ref()))
                    .collect();
                &many
            }
            ParamIn::Header => {
                if is_reserved_header(&p.name) {
                    continue; // OpenAPI: these header parameters are ignored.
                }
                many = req
                    .headers
                    .get_all(p.name.as_str())
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()))
                    .collect();
                &many
            }
            ParamIn::Cookie => {
                many = cookies(req.headers)
                    .filter(|(k, _)| *k == p.name)
                    .map(|(_, v)| Cow::Borrowed(v))
                    .collect();
                &many
            }
        };
        if raw.is_empty() {
            if p.required {
                push(
                    &mut out,
                    violation(
                        p.location.into(),
                        &p.name,
                        "required",
                        "is required but missing".into(),
                    ),
                );
            }
            continue;
        }
        let value = match coerce(&p.kind, raw, p.explode) {
            Ok(v) => v,
            Err(message) => {
                push(
                    &mut out,
                    violation(p.location.into(), &p.name, "type", message),
                );
                continue;
            }
        };
        if let Some(schema) = p.schema.filter(|&s| !contract.schemas.is_valid(s, &value)) {
            let found = contract.schemas.violations(schema, &value);
            count_rest(&mut out, &found);
            for v in found.items {
                let name = if v.pointer.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}{}", p.name, v.pointer)
                };
                push(
                    &mut out,
                    violation(p.location.into(), &name, &v.rule, shorten(&v.message)),
                );
            }
        }
    }
    validate_body(contract, op, req, &mut out);
    out
}

/// Whether a request's path parameters keep `op`'s schemas: what tells apart
/// operations whose paths have the same shape (`/a/{id}` beside `/a/{name}`).
pub(crate) fn path_params_valid(
    contract: &Contract,
    op: &Operation,
    path: &[(&str, Result<Cow<'_, str>, String>)],
) -> bool {
    op.params_in(ParamIn::Path).all(|p| {
        let Some((_, Ok(v))) = path.iter().find(|(n, _)| *n == p.name) else {
            return false;
        };
        let raw = [Cow::Borrowed(v.as_ref())];
        coerce(&p.kind, &raw, p.explode).is_ok_and(|value| {
            p.schema
                .is_none_or(|s| contract.schemas.is_valid(s, &value))
        })
    })
}

/// Adds one violation, or counts it when enough are listed.
fn push(out: &mut Capped<Violation>, v: Violation) {
    out.push_limited(v, MAX_LISTED);
}

/// Counts the violations a schema check found beyond those it listed.
fn count_rest(
    out: &mut Capped<Violation>,
    found: &Capped<crate::contract::schema::SchemaViolation>,
) {
    out.more += found.more;
    out.open |= found.open;
}

fn validate_body(
    contract: &Contract,
    op: &Operation,
    req: &RequestParts<'_>,
    out: &mut Capped<Violation>,
) {
    let Some(body) = &op.body else {
        if !req.body.is_empty() {
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
        return;
    };
    if req.body.is_empty() {
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
        return;
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
            return;
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
            return;
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
                format!("`{content_type}` is not accepted (expected {types})"),
            ),
        );
        return;
    };
    if !media.json {
        return; // Only JSON bodies are checked against a schema.
    }
    let value: Value = match serde_json::from_slice(req.body) {
        Ok(v) => v,
        Err(e) => {
            push(
                out,
                violation(Place::Body, "", "json", format!("is not valid JSON: {e}")),
            );
            return;
        }
    };
    // Most requests are valid: a yes/no check first, the full list only when needed.
    if let Some(schema) = media
        .schema
        .filter(|&s| !contract.schemas.is_valid(s, &value))
    {
        let found = contract.schemas.violations(schema, &value);
        count_rest(out, &found);
        for v in found.items {
            push(
                out,
                violation(Place::Body, &v.pointer, &v.rule, shorten(&v.message)),
            );
        }
    }
}

fn violation(place: Place, name: &str, rule: &str, message: String) -> Violation {
    Violation {
        place,
        name: name.to_string(),
        rule: rule.to_string(),
        message,
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

fn is_reserved_header(name: &str) -> bool {
    ["accept", "content-type", "authorization"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// Turns parameter text into the JSON value its schema describes.
fn coerce(kind: &ValueKind, raw: &[Cow<'_, str>], explode: bool) -> Result<Value, String> {
    match kind {
        ValueKind::Array(item) => {
            // Exploded arrays repeat the key (`a=1&a=2`); others separate by commas.
            let items: Vec<&str> = if explode {
                raw.iter().map(|s| s.as_ref()).collect()
            } else {
                raw.iter().flat_map(|s| s.split(',')).collect()
            };
            items
                .into_iter()
                .map(|s| parse_text(item, s))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        _ if raw.len() > 1 => Err(format!(
            "given {} times; a single value is expected",
            raw.len()
        )),
        _ => parse_text(kind, &raw[0]),
    }
}

/// Reads one piece of parameter or header text as the JSON value `kind` describes.
pub(crate) fn parse_text(kind: &ValueKind, s: &str) -> Result<Value, String> {
    match kind {
        ValueKind::String | ValueKind::Array(_) => Ok(Value::String(s.to_string())),
        ValueKind::Integer => s
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected an integer, got `{}`", shorten(s))),
        ValueKind::Number => s
            .parse::<f64>()
            .ok()
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
        ValueKind::Any => Ok(s
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| match s {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            })
            .unwrap_or_else(|| Value::String(s.to_string()))),
    }
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
    fn arrays_split_or_repeat() {
        let kind = ValueKind::Array(Box::new(ValueKind::Integer));
        let one = [Cow::Borrowed("1,2")];
        assert_eq!(coerce(&kind, &one, false), Ok(serde_json::json!([1, 2])));
        let many = [Cow::Borrowed("1"), Cow::Borrowed("3")];
        assert_eq!(coerce(&kind, &many, true), Ok(serde_json::json!([1, 3])));
    }
}
