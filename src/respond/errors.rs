//! Errors the mock makes itself: an invalid request, missing credentials, an
//! unknown route, 405, 406, 413, a misused `Prefer`. They take the contract's
//! own error shape, so a client's error handling meets what the real API would
//! send: the operation's response for that status (exact, then its range,
//! then `default`), else the first response of the document for that status,
//! else its 400 (or first 4xx, or first `default`), filled as the contract's
//! `x-mimeo.errors` says. A contract with no error body at all gets a short
//! RFC 9457 problem (`application/problem+json`) listing the violations.
//!
//! Which template serves which status is decided per operation at start-up
//! for the statuses mimeo makes up itself ([`STANDARD`]); other statuses (a
//! state model's, a proxy's 508) are resolved on first use and kept.
//!
//! A misused `Prefer` is mimeo's error, not the API's: it always carries the
//! `mimeo-error` header; its body is mimeo's own `{mimeo_error, message}`
//! unless the operation documents a body for that status (a `default`, say),
//! which it then keeps.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;
use serde_json::Value;

use super::canned::CannedBody;
use super::{finish, header_value, json_type, Built, Responder};
use crate::contract::profile::{ErrorFields, MESSAGE_FIELDS};
use crate::contract::{Contract, OpIndex, Operation, StatusKey};
use crate::validate::{Place, Violation};

/// The statuses mimeo answers on its own, whose templates are made at start-up.
pub(super) const STANDARD: [u16; 7] = [400, 401, 404, 405, 406, 413, 422];

/// The header on answers that come from mimeo itself rather than the contract,
/// so they can never be mistaken for the API's.
pub(crate) const MOCK_ERROR_HEADER: &str = "mimeo-error";

/// Why mimeo answered with its own error: the `mimeo-error` header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MockError {
    /// A `Prefer` header or `__` control mimeo cannot read.
    InvalidPrefer,
    /// `Prefer: code=` names a status the operation does not document.
    UndocumentedStatus,
    /// `Prefer: example=` names an example the response does not have.
    UnknownExample,
    /// A limit of the stateful simulation was reached.
    StateLimit,
    /// The chosen response has no media type the request's `Accept` admits: not
    /// mimeo's error but the contract's 406, which the caller builds.
    NotAcceptable,
    /// A body mimeo built breaks the contract (a state model that does not fit
    /// it): a bug to report, never sent as if the API had answered it.
    InvalidResponse,
    /// The request cannot be checked: a schema of the contract that applies to
    /// it cannot be compiled. The contract's fault, not the client's.
    UncheckableSchema,
    /// The chosen status is informational (1xx), which cannot end an exchange:
    /// HTTP has a final answer follow it, and the contract gives none.
    Informational,
}

impl MockError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MockError::InvalidPrefer => "invalid-prefer",
            MockError::UndocumentedStatus => "undocumented-status",
            MockError::UnknownExample => "unknown-example",
            MockError::StateLimit => "state-limit",
            MockError::NotAcceptable => "not-acceptable",
            MockError::InvalidResponse => "invalid-response",
            MockError::UncheckableSchema => "uncheckable-schema",
            MockError::Informational => "informational-status",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            MockError::StateLimit => StatusCode::INSUFFICIENT_STORAGE,
            MockError::InvalidResponse | MockError::UncheckableSchema => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            MockError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            MockError::Informational => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// A serialized error template: (operation, response) whose body it is, and the
/// status it is patched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct ErrorKey {
    op: OpIndex,
    response: usize,
    status: u16,
}

/// A serialized error body: the bytes before and after the (quoted) message, or
/// the whole body when the template has no message field.
pub(super) struct ErrorTemplate {
    before: Bytes,
    after: Option<Bytes>,
}

/// Stands for the message while an error template is serialized (no document
/// has it: it contains NUL characters).
const MESSAGE_MARK: &str = "\u{0}mimeo:message\u{0}";

/// Where an error's body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Response `.1` of operation `.0`; `.2`: the operation asking is that one
    /// (its documented headers go along).
    Documented(OpIndex, usize, bool),
    /// mimeo's RFC 9457 problem: the contract documents no error body.
    Problem,
}

/// Document-wide fallbacks, found once: for each status, the first response
/// documenting it exactly, and the first `default` with a body.
#[derive(Default)]
pub(super) struct Shapes {
    exact: HashMap<u16, (OpIndex, usize)>,
    default: Option<(OpIndex, usize)>,
}

impl Shapes {
    pub(super) fn new(contract: &Contract) -> Shapes {
        let mut shapes = Shapes::default();
        for op in &contract.operations {
            for (ri, r) in op.responses.iter().enumerate() {
                match r.status {
                    // Only a response with a body can lend its shape to another
                    // operation's error; one without would send an empty error.
                    StatusKey::Code(c) if !r.content.is_empty() => {
                        shapes.exact.entry(c).or_insert((op.index, ri));
                    }
                    StatusKey::Default if !r.content.is_empty() => {
                        shapes.default.get_or_insert((op.index, ri));
                    }
                    _ => {}
                }
            }
        }
        shapes
    }

    /// The template of an error `status` for `op`: the operation's own response
    /// covering it (exact, range, default), else the document's.
    pub(super) fn resolve(&self, op: Option<&Operation>, status: u16) -> Shape {
        if let Some(op) = op {
            if let Some(ri) = super::response_index(op, status) {
                return Shape::Documented(op.index, ri, true);
            }
        }
        let found = self
            .exact
            .get(&status)
            .or_else(|| self.exact.get(&400))
            .copied()
            .or_else(|| {
                let mut fours: Vec<_> = self
                    .exact
                    .iter()
                    .filter(|(s, _)| (400..500).contains(*s))
                    .collect();
                fours.sort();
                fours.first().map(|(_, v)| **v)
            })
            .or(self.default);
        match found {
            Some((oi, ri)) => Shape::Documented(oi, ri, false),
            None => Shape::Problem,
        }
    }
}

impl Responder {
    /// An error the mock makes itself (invalid request, auth, unknown route, 405,
    /// 406, 413), in the contract's error shape (see the module documentation).
    pub(crate) fn error(
        &self,
        contract: &Contract,
        op: Option<&Operation>,
        status: u16,
        message: &str,
    ) -> Built {
        self.error_listing(contract, op, status, message, &[])
    }

    /// [`Responder::error`] for an invalid request: `violations` are listed in
    /// the problem body mimeo sends when the contract documents no error body.
    pub(crate) fn error_listing(
        &self,
        contract: &Contract,
        op: Option<&Operation>,
        status: u16,
        message: &str,
        violations: &[Violation],
    ) -> Built {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let shape = match op {
            Some(o) if STANDARD.contains(&status) => {
                self.op_shapes[o.index][STANDARD.iter().position(|s| *s == status).unwrap_or(0)]
            }
            _ => self.shapes.resolve(op, status),
        };
        let Shape::Documented(oi, ri, own) = shape else {
            return problem(code, message, violations);
        };
        let canned = &self.canned(contract, contract.op(oi))[ri];
        let headers = if own {
            canned.headers.clone()
        } else {
            Vec::new()
        };
        if canned.primary().is_none() && !super::canned::bodiless(status) {
            // Documented without a body (Petstore's `400: Invalid status
            // value`): the reason still reaches the client, as the problem a
            // contract with no error body gets, beside the documented headers.
            let mut built = problem(code, message, violations);
            built.headers.extend(headers);
            return built;
        }
        let template_status = contract.op(oi).responses[ri].status;
        let body = canned.primary().map(|cb| {
            let key = ErrorKey {
                op: oi,
                response: ri,
                status,
            };
            let same_status = template_status == StatusKey::Code(status);
            let template = self.error_template(contract, cb, key, same_status);
            let bytes = match &template.after {
                None => template.before.clone(),
                Some(after) => {
                    let message = truncate_chars(message, cb.message_limit.unwrap_or(usize::MAX));
                    let mut buf =
                        Vec::with_capacity(template.before.len() + message.len() + 8 + after.len());
                    buf.extend_from_slice(&template.before);
                    let _ = serde_json::to_writer(&mut buf, &message);
                    buf.extend_from_slice(after);
                    Bytes::from(buf)
                }
            };
            // The template is JSON; an XML error body is written from it (read
            // again only then: this runs for every invalid request).
            let bytes = match cb.xml {
                true => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => cb.bytes_of(contract, &v),
                    Err(_) => bytes,
                },
                false => bytes,
            };
            (cb.content_type.clone(), bytes)
        });
        finish(code, headers, body)
    }

    /// A mimeo error for a request `op` serves: the `mimeo-error` header always,
    /// and the body in the operation's documented shape for that status when it
    /// documents one (a `default`, a `4XX`), else mimeo's own.
    pub(crate) fn mock_error(
        &self,
        contract: &Contract,
        op: &Operation,
        kind: MockError,
        message: &str,
    ) -> Built {
        let status = kind.status().as_u16();
        let documented = super::response_index(op, status)
            .is_some_and(|ri| !self.canned(contract, op)[ri].bodies.is_empty());
        if !documented {
            return mock_error(kind, message);
        }
        let mut built = self.error(contract, Some(op), status, message);
        built.headers.push((
            HeaderName::from_static(MOCK_ERROR_HEADER),
            header_value(kind.as_str()),
        ));
        built
    }

    /// The error body of template response `(operation, response)` patched for
    /// `status`, serialized once and cut around its message field.
    fn error_template(
        &self,
        contract: &Contract,
        cb: &CannedBody,
        key: ErrorKey,
        same_status: bool,
    ) -> Arc<ErrorTemplate> {
        if let Some(t) = self
            .error_bodies
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return t.clone();
        }
        let mut cache = self
            .error_bodies
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| Arc::new(make_template(contract, cb, key.status, same_status)))
            .clone()
    }
}

/// The serialized error template for `status`, filled as the contract's
/// `x-mimeo.errors` declares, when the result still keeps the schema: a
/// status member with an `enum` that lacks this status is left as it was, and
/// a message member that cannot carry text is left out of the cut.
pub(super) fn make_template(
    contract: &Contract,
    cb: &CannedBody,
    status: u16,
    same_status: bool,
) -> ErrorTemplate {
    let fields = &contract.profile.errors;
    let message_only = ErrorFields {
        message: fields.message.clone(),
        status: None,
        code: None,
        more_info: None,
    };
    let valid = |v: &Value| cb.schema.is_none_or(|s| contract.schemas.is_valid(s, v));
    // A message as mimeo writes them, to see whether the filled template keeps the schema.
    let sample = "Invalid request: query parameter limit: maximum: 11 is greater than 10";
    let mut v = cb.value.clone();
    for f in [fields, &message_only] {
        let mut probe = cb.value.clone();
        patch_error(f, &mut probe, status, same_status, sample, cb.message_limit);
        if valid(&probe) {
            patch_error(f, &mut v, status, same_status, MESSAGE_MARK, None);
            break;
        }
    }
    let bytes = serde_json::to_vec(&v).unwrap_or_default();
    let mark = serde_json::to_vec(MESSAGE_MARK).unwrap_or_default();
    let at = bytes.windows(mark.len()).position(|w| w == mark.as_slice());
    match at {
        Some(at) => ErrorTemplate {
            before: Bytes::copy_from_slice(&bytes[..at]),
            after: Some(Bytes::copy_from_slice(&bytes[at + mark.len()..])),
        },
        None => ErrorTemplate {
            before: Bytes::from(bytes),
            after: None,
        },
    }
}

/// mimeo's own error body when the contract documents none: a short RFC 9457
/// problem naming the violations.
fn problem(status: StatusCode, message: &str, violations: &[Violation]) -> Built {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": message,
    });
    if !violations.is_empty() {
        body["violations"] = violations
            .iter()
            .map(|v| {
                serde_json::json!({
                    "in": place_name(v.place),
                    "name": v.name,
                    "rule": v.rule,
                    "message": v.message,
                })
            })
            .collect();
    }
    finish(
        status,
        Vec::new(),
        Some((
            HeaderValue::from_static("application/problem+json"),
            Bytes::from(body.to_string()),
        )),
    )
}

/// Where a violation is, as RFC 9457 extensions commonly say it.
fn place_name(place: Place) -> &'static str {
    match place {
        Place::Path => "path",
        Place::Query => "query",
        Place::Header => "header",
        Place::Cookie => "cookie",
        Place::Body => "body",
    }
}

/// `v` with the status member the contract declares (by default `status`) set
/// to `status`, when it has one that is a number (or a string of digits) and
/// says otherwise; `None` when nothing changes.
pub(super) fn with_status(fields: &ErrorFields, v: &Value, status: u16) -> Option<Value> {
    let field = fields.status.as_deref()?;
    let current = v.get(field)?;
    let wanted = match current {
        Value::Number(n) if n.as_u64() != Some(u64::from(status)) => Value::from(status),
        Value::String(s) if s.parse::<u16>().is_ok_and(|c| c != status) => {
            Value::String(status.to_string())
        }
        _ => return None,
    };
    let mut out = v.clone();
    out[field] = wanted;
    Some(out)
}

/// A mimeo error (not the API's): a `Prefer` the contract cannot satisfy (422),
/// a simulation limit (507), a body mimeo built that breaks the contract (500).
/// Always the `mimeo-error` header and mimeo's own body shape.
pub(crate) fn mock_error(kind: MockError, message: &str) -> Built {
    let body = serde_json::json!({"mimeo_error": kind.as_str(), "message": message});
    finish(
        kind.status(),
        vec![(
            HeaderName::from_static(MOCK_ERROR_HEADER),
            header_value(kind.as_str()),
        )],
        Some((json_type(), Bytes::from(body.to_string()))),
    )
}

/// Fills an error template as `fields` declares: the status member, the code
/// (when the template is another status's), a `more_info` URL ending in the
/// code, and the message.
fn patch_error(
    fields: &ErrorFields,
    v: &mut Value,
    status: u16,
    same_status: bool,
    message: &str,
    limit: Option<usize>,
) {
    let Value::Object(map) = v else { return };
    // An envelope (`{"error": {"status": 400, "message": ...}}`, as Spotify,
    // Microsoft Graph and Google's APIs answer) is filled inside.
    let declared = fields.message.as_deref();
    let has_message = declared
        .into_iter()
        .chain(MESSAGE_FIELDS)
        .any(|k| map.get(k).is_some_and(Value::is_string));
    if !has_message {
        if let Some(inner @ Value::Object(_)) = map.get_mut("error") {
            return patch_error(fields, inner, status, same_status, message, limit);
        }
    }
    if let Some(field) = &fields.status {
        if map.get(field).is_some_and(Value::is_number) {
            map.insert(field.clone(), status.into());
        }
    }
    if let Some(field) = &fields.code {
        if !same_status && map.get(field).is_some_and(Value::is_number) {
            map.insert(field.clone(), status.into());
        }
        let code = map.get(field).and_then(Value::as_u64);
        let info = fields.more_info.as_ref().and_then(|f| map.get_mut(f));
        if let (Some(code), Some(Value::String(info))) = (code, info) {
            let stem = info.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            if stem < info.len() {
                info.truncate(stem);
                info.push_str(&code.to_string());
            }
        }
    }
    for key in declared.into_iter().chain(MESSAGE_FIELDS) {
        if let Some(field @ Value::String(_)) = map.get_mut(key) {
            *field = Value::String(truncate_chars(message, limit.unwrap_or(usize::MAX)));
            break;
        }
    }
}

pub(super) fn truncate_chars(s: &str, max: usize) -> String {
    // A string has at most as many characters as bytes: count only when it may be too long.
    if s.len() <= max || s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn twilio() -> ErrorFields {
        ErrorFields {
            message: Some("message".into()),
            status: Some("status".into()),
            code: Some("code".into()),
            more_info: Some("more_info".into()),
        }
    }

    #[test]
    fn error_template_is_patched_as_declared() {
        let mut v = json!({"code": 400, "message": "x", "more_info": "https://e/errors/400", "status": 400});
        patch_error(
            &twilio(),
            &mut v,
            405,
            false,
            "Method not allowed",
            Some(1024),
        );
        assert_eq!(
            v,
            json!({"code": 405, "message": "Method not allowed", "more_info": "https://e/errors/405", "status": 405})
        );
        let mut v = json!({"code": 20404, "message": "x", "more_info": "https://e/errors/20404", "status": 404});
        patch_error(&twilio(), &mut v, 404, true, "nope", Some(3));
        assert_eq!(v["code"], 20404);
        assert_eq!(v["message"], "no…");
    }

    #[test]
    fn without_declarations_only_status_and_message_change() {
        let mut v = json!({"code": 400, "detail": "x", "status": 400});
        patch_error(&ErrorFields::default(), &mut v, 404, false, "gone", None);
        assert_eq!(v, json!({"code": 400, "detail": "gone", "status": 404}));
    }
}
