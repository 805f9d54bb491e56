//! Browser manners: so a front-end app on another origin can call the mock,
//! a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! is answered by the mock itself with what the browser asked for, and every
//! answer to a request with `Origin` says that origin may read it, with
//! credentials, and which of its headers (`Location`, `Retry-After`, ...) the
//! page may see. The requested method is allowed even where the contract has
//! no such operation, so the page gets the contract's 404 or 405 instead of an
//! opaque CORS error. Admin endpoints get none of this: they are for tests,
//! not for pages.

use bytes::Bytes;
use hyper::header::{
    HeaderMap, HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS,
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use hyper::{Method, StatusCode};

use crate::respond::Built;

/// Whether the request is a CORS preflight.
pub(super) fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(ORIGIN)
        && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight: 204 allowing the origin, method and headers asked for.
pub(super) fn preflight(headers: &HeaderMap) -> Built {
    let mut out = vec![
        (
            VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        ),
        (ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600")),
    ];
    if let Some(origin) = headers.get(ORIGIN) {
        out.push((ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
        out.push((
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        ));
    }
    if let Some(m) = headers.get(ACCESS_CONTROL_REQUEST_METHOD) {
        out.push((ACCESS_CONTROL_ALLOW_METHODS, m.clone()));
    }
    if let Some(h) = headers.get(ACCESS_CONTROL_REQUEST_HEADERS) {
        out.push((ACCESS_CONTROL_ALLOW_HEADERS, h.clone()));
    }
    Built {
        status: StatusCode::NO_CONTENT,
        headers: out,
        body: Bytes::new(),
    }
}

/// Adds the CORS headers to an answer for a request from `origin`.
pub(super) fn decorate(response: &mut HeaderMap, origin: &HeaderValue) {
    // Every header but the ones a page may always read.
    let exposed: Vec<&str> = response
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| {
            !matches!(
                *n,
                "cache-control"
                    | "content-language"
                    | "content-length"
                    | "content-type"
                    | "expires"
                    | "last-modified"
                    | "pragma"
            )
        })
        .collect();
    let exposed = (!exposed.is_empty())
        .then(|| HeaderValue::from_str(&exposed.join(", ")).ok())
        .flatten();
    response.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    response.insert(
        ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    response.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(exposed) = exposed {
        response.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    }
}
