//! The mock's 401: a request without the credentials its operation's security
//! requirement asks for (see `crate::validate::security`) is refused before it
//! is validated, as the real service would. The answer takes the contract's
//! error shape when the operation documents a 401 (exactly, as `4XX` or as
//! `default`); otherwise an `application/problem+json` body (RFC 9457) says
//! what is missing rather than inventing a shape the contract never promised.
//! Either way `WWW-Authenticate` names every scheme that would do.

use std::borrow::Cow;

use bytes::Bytes;
use hyper::header::{HeaderValue, WWW_AUTHENTICATE};
use hyper::http::request::Parts;
use hyper::StatusCode;

use super::State;
use crate::contract::Operation;
use crate::respond::{finish, Built};
use crate::validate::security::{check, BasicPolicy, Presented};

/// The 401 for a request that lacks its operation's credentials, with the
/// reason for the journal (`no credentials`, `wrong credentials`); `None` when
/// the request may go on (or enforcement is off).
pub(super) fn refuse(
    state: &State,
    op: &Operation,
    parts: &Parts,
    query: &[(Cow<'_, str>, Cow<'_, str>)],
) -> Option<(Built, &'static str)> {
    if !state.opts.enforce_auth || op.security.is_none() {
        return None;
    }
    let basic = match &state.auth_header {
        Some(h) => BasicPolicy::Exact(h),
        None => BasicPolicy::Any,
    };
    let presented = Presented {
        headers: &parts.headers,
        query,
    };
    let refusal = check(&op.security, &presented, basic).err()?;
    let mut built = if op.documents(401) {
        state
            .responder
            .error(&state.contract, Some(op), 401, &refusal.message)
    } else {
        problem(401, "Unauthorized", &refusal.message)
    };
    // The contract's own challenge, when its 401 documents one, is kept.
    if !built.headers.iter().any(|(n, _)| n == WWW_AUTHENTICATE) {
        for c in refusal.challenges {
            built.headers.push((WWW_AUTHENTICATE, c));
        }
    }
    Some((built, refusal.why))
}

/// A small `application/problem+json` answer (RFC 9457).
fn problem(status: u16, title: &str, detail: &str) -> Built {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    });
    finish(
        StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED),
        Vec::new(),
        Some((
            HeaderValue::from_static("application/problem+json"),
            Bytes::from(body.to_string()),
        )),
    )
}
