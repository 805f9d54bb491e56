//! Errors the mock makes itself: an invalid request, missing credentials, an
//! unknown route, 405, 413. They take the contract's own error shape (the
//! operation's documented response for that status, else the first response of
//! the document for it, else its 400), filled as the contract's `x-mimeo.errors`
//! says, so a client's error handling meets what the real API would send. A
//! misused `Prefer` is mimeo's error, not the API's: 422 with `mimeo-error`.

use std::sync::{Arc, PoisonError};

use bytes::Bytes;
use hyper::header::HeaderName;
use hyper::StatusCode;
use serde_json::Value;

use super::canned::CannedBody;
use super::{finish, header_value, json_type, Built, Responder};
use crate::contract::profile::{ErrorFields, MESSAGE_FIELDS};
use crate::contract::{Contract, OpIndex, Operation, StatusKey};

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
    /// A body mimeo built breaks the contract (a state model that does not fit
    /// it): a bug to report, never sent as if the API had answered it.
    InvalidResponse,
}

impl MockError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MockError::InvalidPrefer => "invalid-prefer",
            MockError::UndocumentedStatus => "undocumented-status",
            MockError::UnknownExample => "unknown-example",
            MockError::StateLimit => "state-limit",
            MockError::InvalidResponse => "invalid-response",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            MockError::StateLimit => StatusCode::INSUFFICIENT_STORAGE,
            MockError::InvalidResponse => StatusCode::INTERNAL_SERVER_ERROR,
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

impl Responder {
    /// An error the mock makes itself (invalid request, auth, unknown route, 405,
    /// 413), in the contract's error shape: the operation's documented response for
    /// `status` when there is one, else the first one the document has for that
    /// status, else its 400 shape with the status filled in.
    pub(crate) fn error(
        &self,
        contract: &Contract,
        op: Option<&Operation>,
        status: u16,
        message: &str,
    ) -> Built {
        let exact = op.and_then(|o| {
            o.responses
                .iter()
                .position(|r| r.status == StatusKey::Code(status))
                .map(|ri| (o.index, ri))
        });
        let shape = exact
            .or_else(|| self.error_shapes.get(&status).copied())
            .or_else(|| self.error_shapes.get(&400).copied())
            .or_else(|| {
                let mut fours: Vec<_> = self
                    .error_shapes
                    .iter()
                    .filter(|(s, _)| (400..500).contains(*s))
                    .collect();
                fours.sort();
                fours.first().map(|(_, v)| **v)
            });
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let Some((oi, ri)) = shape else {
            let body = serde_json::json!({"status": status, "message": message});
            return finish(
                code,
                Vec::new(),
                Some((json_type(), Bytes::from(body.to_string()))),
            );
        };
        let template_op = contract.op(oi);
        let template = &template_op.responses[ri];
        let canned = &self.canned[oi][ri];
        let same_status = template.status == StatusKey::Code(status);
        let headers = if same_status && op.is_some_and(|o| o.index == oi) {
            canned.headers.clone()
        } else {
            Vec::new()
        };
        let body = canned.body.as_ref().map(|cb| {
            let key = ErrorKey {
                op: oi,
                response: ri,
                status,
            };
            let template = self.error_template(&contract.profile.errors, cb, key, same_status);
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
            (cb.content_type.clone(), bytes)
        });
        finish(code, headers, body)
    }

    /// The error body of template response `(operation, response)` patched for
    /// `status`, serialized once and cut around its message field.
    fn error_template(
        &self,
        fields: &ErrorFields,
        cb: &CannedBody,
        key: ErrorKey,
        same_status: bool,
    ) -> Arc<ErrorTemplate> {
        let mut cache = self
            .error_bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| {
                let mut v = cb.value.clone();
                patch_error(fields, &mut v, key.status, same_status, MESSAGE_MARK, None);
                let bytes = serde_json::to_vec(&v).unwrap_or_default();
                let mark = serde_json::to_vec(MESSAGE_MARK).unwrap_or_default();
                let at = bytes.windows(mark.len()).position(|w| w == mark.as_slice());
                Arc::new(match at {
                    Some(at) => ErrorTemplate {
                        before: Bytes::copy_from_slice(&bytes[..at]),
                        after: Some(Bytes::copy_from_slice(&bytes[at + mark.len()..])),
                    },
                    None => ErrorTemplate {
                        before: Bytes::from(bytes),
                        after: None,
                    },
                })
            })
            .clone()
    }
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
    let declared = fields.message.as_deref();
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
