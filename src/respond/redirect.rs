//! Redirects the mock answers: where a 3xx's `Location` points (the same
//! route on the mock, under the canonical resource `x-mimeo-redirect` names,
//! or the documented `Location`'s path), and which requests are never
//! redirected because they already are at that canonical URL, so a client
//! that follows a redirect and resends its `Prefer` reaches an answer.

use hyper::header::{HeaderName, HeaderValue};

use super::canned::Canned;
use super::{response_index, RequestInfo, Responder};
use crate::contract::{Contract, Operation};

impl Responder {
    /// Whether answering `status` for this request would redirect it to the very
    /// URL it asked for: the request already names the canonical resource (the
    /// parameter `x-mimeo-redirect` replaces has the canonical value, or the path
    /// is the documented `Location`'s). Such a request is not redirected by
    /// `Prefer` or a rule, so a client that follows a redirect and resends its
    /// `Prefer` reaches an answer instead of a loop.
    pub(crate) fn is_canonical(
        &self,
        contract: &Contract,
        op: &Operation,
        status: u16,
        req: &RequestInfo<'_>,
        path: &str,
    ) -> bool {
        let Some(ri) = response_index(op, status) else {
            return false;
        };
        let canned = &self.canned(contract, op)[ri];
        if !canned.redirect {
            return false;
        }
        if let Some(rule) = &op.responses[ri].redirect {
            let canonical = canned
                .headers
                .iter()
                .find(|(n, _)| n.as_str().eq_ignore_ascii_case(&rule.header))
                .and_then(|(_, v)| v.to_str().ok());
            let given = req
                .path_params
                .iter()
                .find(|(n, _)| *n == rule.parameter)
                .and_then(|(_, v)| v.as_deref().ok());
            return canonical.is_some() && canonical == given;
        }
        canned
            .redirect_path
            .as_deref()
            .is_some_and(|p| p.split(['?', '#']).next() == Some(path))
    }
}

/// The redirect's path and absolute URL: the request's route, with a parameter
/// replaced: the one `to` names (from state), else the one the response's
/// `x-mimeo-redirect` names, by its header's value; without a rule, the path
/// of the documented `Location` when the contract serves it, else the
/// request's own route.
pub(super) fn redirect_target<'v>(
    op: &Operation,
    response: &'v crate::contract::Response,
    canned: &Canned,
    headers: &'v [(HeaderName, HeaderValue)],
    to: Option<(&'v str, &'v str)>,
    req: &'v RequestInfo<'_>,
) -> (String, String) {
    let replaced = to.or_else(|| {
        let rule = response.redirect.as_ref()?;
        let value = headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(&rule.header))
            .and_then(|(_, v)| v.to_str().ok())?;
        Some((rule.parameter.as_str(), value))
    });
    if let (None, Some(path)) = (replaced, &canned.redirect_path) {
        // No rule: the documented Location's path, which the contract serves.
        return (path.clone(), format!("http://{}{path}", req.host));
    }
    let mut path = op.path.render(|name| match replaced {
        Some((param, value)) if param == name => Some(value),
        _ => req
            .path_params
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref().ok()),
    });
    // The same request under another resource: its query is part of what it
    // asks (`?removeAll=true` followed must still remove all; RFC 9110 7.1),
    // as sent, less mimeo's own controls (`__code=301`). It holds the
    // template's own pairs, if any, since they routed it here.
    let kept: Vec<&str> = req
        .query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !pair.is_empty()
                && !form_urlencoded::parse(name.as_bytes())
                    .next()
                    .is_some_and(|(k, _)| super::prefer::is_query_control(&k))
        })
        .collect();
    if !kept.is_empty() {
        if let Some(at) = path.find('?') {
            path.truncate(at);
        }
        path.push('?');
        path.push_str(&kept.join("&"));
    }
    let url = format!("http://{}{}", req.host, path);
    (path, url)
}
