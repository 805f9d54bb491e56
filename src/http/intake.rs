//! Request intake, the first steps every request takes in the mock and the
//! proxy alike: route it to the contract's operation, decode its query, and
//! validate it against the operation (after the body has been read, within its
//! limit, by [`super::server::read_body`]). One pipeline, so the mock's 400 and the
//! proxy's `request_valid` report can never disagree about a request.

use std::borrow::Cow;

use hyper::http::request::Parts;

use crate::contract::{Contract, Operation};
use crate::routing::{PathParams, RouteMatch, Said};
use crate::support::limits::Capped;
use crate::validate::{check_request, RequestParts, Violation};

/// Where a request goes in the contract.
pub(crate) enum Route<'a> {
    /// An operation serves it; its path parameters, percent-decoded.
    Operation(&'a Operation, PathParams<'a>),
    /// The path exists, but not for this method.
    MethodNotAllowed {
        /// The methods that are served (the `Allow` value).
        allow: Cow<'a, str>,
        /// The matched template.
        template: &'a str,
    },
    /// No template matches the path.
    NotFound,
    /// Its form body may name its operation (a fragment's pair, as AWS's
    /// query protocol posts `Action`): route it again with
    /// [`Intake::with_body`] once the body is read.
    NeedsBody,
}

/// A request routed and its query decoded.
pub(crate) struct Intake<'a> {
    pub(crate) route: Route<'a>,
    /// Decoded query pairs, in order (empty unless an operation serves the request).
    pub(crate) query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The path as the document writes it, as routing read it: less the
    /// servers base path it was served under (`/v2/pets` as `/pets`). What
    /// rules are matched against, as they name the document's paths.
    pub(crate) served: &'a str,
}

/// The most pairs of a form body kept for routing.
const MAX_ROUTING_PAIRS: usize = 16;

/// The pairs of a form body routing may ask for: only those a fragment names,
/// and a few of them (the body may hold a million pairs, and each template of
/// the path asks).
pub(crate) fn routing_pairs<'b>(
    contract: &Contract,
    body: &'b [u8],
) -> Vec<(std::borrow::Cow<'b, str>, std::borrow::Cow<'b, str>)> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| contract.is_fragment_key(k))
        .take(MAX_ROUTING_PAIRS)
        .collect()
}

impl<'a> Intake<'a> {
    /// Routes the request before its body is read.
    pub(crate) fn new(contract: &'a Contract, parts: &'a Parts) -> Intake<'a> {
        Intake::routed(contract, parts, &parts.method, None)
    }

    /// Routes the request, whose body is read, as if it had `method` (the
    /// mock answers `HEAD` as `GET`): the pairs of a form body count where a
    /// fragment's pair is looked for.
    pub(crate) fn with_body(
        contract: &'a Contract,
        parts: &'a Parts,
        method: &hyper::Method,
        body: &[u8],
    ) -> Intake<'a> {
        Intake::routed(contract, parts, method, Some(body))
    }

    /// Routes a `HEAD` the contract does not document, on a path whose `GET`
    /// it does, as that `GET` (RFC 9110 9.3.2; the mock answers it so, and
    /// the proxy judges it so). `body` is what was read of the request's.
    pub(crate) fn head_as_get(&mut self, contract: &'a Contract, parts: &'a Parts, body: &[u8]) {
        if parts.method != hyper::Method::HEAD {
            return;
        }
        if let Route::MethodNotAllowed { allow, .. } = &self.route {
            if allow.split(", ").any(|m| m == "GET") {
                *self = Intake::with_body(contract, parts, &hyper::Method::GET, body);
            }
        }
    }

    fn routed(
        contract: &'a Contract,
        parts: &'a Parts,
        method: &hyper::Method,
        body: Option<&[u8]>,
    ) -> Intake<'a> {
        // Decoded before routing: operations that share a path are told apart
        // by their parameters, the query's among them.
        let query: Vec<_> = match parts.uri.query() {
            Some(q) => form_urlencoded::parse(q.as_bytes()).collect(),
            None => Vec::new(),
        };
        // A form body is looked at only where a fragment may need it.
        let form_body = contract.routes_by_fragment() && is_url_encoded(&parts.headers);
        let pairs = match body {
            Some(body) if form_body => routing_pairs(contract, body),
            _ => Vec::new(),
        };
        let said = Said {
            query: &query,
            headers: &parts.headers,
            form: (!form_body || body.is_some()).then_some(&pairs[..]),
        };
        let (served, found) = contract.route_request_read(method, parts.uri.path(), &said);
        let route = match found {
            RouteMatch::Found { handle, params } => Route::Operation(contract.op(handle), params),
            RouteMatch::MethodNotAllowed { allow, template } => {
                Route::MethodNotAllowed { allow, template }
            }
            RouteMatch::NotFound => Route::NotFound,
            RouteMatch::NeedsForm => Route::NeedsBody,
        };
        let query = match route {
            Route::Operation(..) => query,
            _ => Vec::new(),
        };
        Intake {
            route,
            query,
            served,
        }
    }

    /// The operation that serves the request, if one does.
    #[cfg(feature = "proxy")]
    pub(crate) fn operation(&self) -> Option<&'a Operation> {
        match self.route {
            Route::Operation(op, _) => Some(op),
            _ => None,
        }
    }

    /// How the request breaks its operation's contract (empty: it keeps it, or no
    /// operation serves it): the first violations, and how many more.
    #[cfg(feature = "proxy")]
    /// [`Intake::check`]'s violations; a `body` of `None` is not checked (the
    /// rest of the request is).
    pub(crate) fn violations(
        &self,
        contract: &Contract,
        parts: &Parts,
        body: Option<&[u8]>,
    ) -> Capped<Violation> {
        self.checked(contract, parts, body, false).0
    }

    /// [`Intake::violations`], and the body as read (JSON, or a form read into
    /// JSON) when it could be.
    pub(crate) fn check(
        &self,
        contract: &Contract,
        parts: &Parts,
        body: &[u8],
    ) -> (Capped<Violation>, Option<serde_json::Value>) {
        self.checked(contract, parts, Some(body), true)
    }

    fn checked(
        &self,
        contract: &Contract,
        parts: &Parts,
        body: Option<&[u8]>,
        value_needed: bool,
    ) -> (Capped<Violation>, Option<serde_json::Value>) {
        let Route::Operation(op, params) = &self.route else {
            return (Capped::default(), None);
        };
        check_request(
            contract,
            op,
            &RequestParts {
                path: params,
                query: &self.query,
                headers: &parts.headers,
                body,
            },
            value_needed,
        )
    }
}

/// Whether the request's body is `application/x-www-form-urlencoded`.
pub(crate) fn is_url_encoded(headers: &hyper::HeaderMap) -> bool {
    headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::contract::form::form_kind)
        == Some(crate::contract::form::FormKind::UrlEncoded)
}

/// The status for a request that breaks the contract: 400, or 422 when that is
/// what the operation documents for it.
pub(crate) fn invalid_request_status(op: &Operation) -> u16 {
    let exact = |c: u16| {
        op.responses
            .iter()
            .any(|r| r.status == crate::contract::StatusKey::Code(c))
    };
    if !exact(400) && exact(422) {
        422
    } else {
        400
    }
}

/// A request's violations as one line: `a; b; and 3 more violations`.
pub(crate) fn violation_list(found: &Capped<Violation>) -> String {
    let mut list: Vec<String> = found.items.iter().map(Violation::text).collect();
    list.extend(found.more_text("violations"));
    list.join("; ")
}
