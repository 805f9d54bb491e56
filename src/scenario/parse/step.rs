//! One step: its request checked against the contract (method and path route to
//! an operation, variables are known, no credentials), its expectations, retry
//! and captures.

use crate::support::yaml::Spanned;
use hyper::header::HeaderName;
use hyper::Method;

use super::raw::RawStep;
use super::{check_template, expect, Cat, Errors, Known};
use crate::contract::Contract;
use crate::routing::RouteMatch;
use crate::scenario::template::{self, is_name, Part};
use crate::scenario::{
    is_built_in, Body, Capture, CaptureFrom, Expect, Phase, Step, StepAuth, BUILT_INS,
};

/// What every step of a file is checked with.
pub(super) struct StepCx<'a> {
    pub(super) contract: &'a Contract,
    pub(super) needs_mock: bool,
    /// Variables known at this point: declared, built-in, then captured.
    pub(super) known: &'a mut Known,
    pub(super) errors: &'a mut Errors,
}

// Out of line, so that profiles show what a step's checks cost.
#[inline(never)]
pub(super) fn step(raw: &Spanned<RawStep>, phase: Phase, cx: &mut StepCx<'_>) -> Option<Step> {
    let contract = cx.contract;
    let needs_mock = cx.needs_mock;
    let known: &mut Known = &mut *cx.known;
    let errors: &mut Errors = &mut *cx.errors;
    let step_loc = raw.referenced;
    let raw = &raw.value;
    let req = &raw.request.value;
    let before = errors.count();

    let method_text = req.method.value.trim().to_ascii_uppercase();
    let method = match Method::from_bytes(method_text.as_bytes()) {
        Ok(m) if !method_text.is_empty() => Some(m),
        _ => {
            errors.at(
                &req.method.referenced,
                format!("`{}` is not an HTTP method", req.method.value),
            );
            None
        }
    };

    let path = check_template(
        errors,
        known,
        &req.path.value,
        &req.path.referenced,
        &"path",
    );
    if !req.path.value.starts_with('/') {
        errors.at(
            &req.path.referenced,
            format!("the path `{}` must start with `/`", req.path.value),
        );
    }
    let mut query = Vec::new();
    for (name, value) in &req.query {
        for v in value.value.to_vec() {
            if let Some(t) = check_template(
                errors,
                known,
                &v.0,
                &value.referenced,
                &Cat(&"query parameter ", name),
            ) {
                query.push((name.clone(), t));
            }
        }
    }
    let mut headers = Vec::new();
    for (name, value) in &req.headers {
        let t = check_template(
            errors,
            known,
            &value.value,
            &value.referenced,
            &Cat(&"header ", name),
        );
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(h) => {
                if h == hyper::header::AUTHORIZATION
                    || h == hyper::header::PROXY_AUTHORIZATION
                    || h == hyper::header::COOKIE
                {
                    errors.at(
                        &value.referenced,
                        "do not write credentials into a scenario: use `auth: default|none|invalid` and give the real ones with --auth or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN",
                    );
                }
                if let Some(t) = t {
                    headers.push((h, t));
                }
            }
            Err(_) => errors.at(&value.referenced, format!("`{name}` is not a header name")),
        }
    }
    let body = req.body.as_ref().map(|b| {
        // serde_json values carry no positions: errors point at the body and name
        // the JSON pointer of the string inside it.
        let mut strings = Vec::new();
        template::body_strings(&b.value, &mut String::new(), &mut strings);
        let mut templates = Vec::new();
        for (pointer, text) in strings {
            let shown = if pointer.is_empty() { "/" } else { &pointer };
            let what = Cat(&"body at ", &shown);
            if let Some(t) = check_template(errors, known, text, &b.referenced, &what) {
                if t.vars().next().is_some() {
                    templates.push((pointer, t));
                }
            }
        }
        Body::Json(template::JsonBody {
            value: b.value.clone(),
            templates,
        })
    });
    let body = match (&req.raw_body, body) {
        (Some(r), None) => {
            check_template(errors, known, &r.value, &r.referenced, &"raw_body").map(Body::Raw)
        }
        (Some(r), Some(_)) => {
            errors.at(
                &r.referenced,
                "a request takes `body` (JSON) or `raw_body` (text), not both",
            );
            None
        }
        (None, b) => b,
    };

    // Mock-only controls in a scenario that does not say it needs the mock would be
    // sent to a real server and silently ignored there.
    if !needs_mock {
        if let Some((_, v)) = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("prefer"))
        {
            errors.at(
                &v.referenced,
                "`Prefer` steers mimeo's mock only; add `needs: mock` to the scenario so it is skipped against other targets",
            );
        }
        if let Some((k, v)) = req.query.iter().find(|(k, _)| k.starts_with("__")) {
            errors.at(
                &v.referenced,
                format!("`{k}` steers mimeo's mock only; add `needs: mock` to the scenario so it is skipped against other targets"),
            );
        }
    }

    // The request must be one of the contract's operations, unless it is meant not to be.
    let mut operation = None;
    if let (Some(m), Some(p)) = (&method, &path) {
        // The path with each placeholder an `x`: what routes like it.
        let mut probe = String::with_capacity(p.source().len());
        for part in p.parts() {
            match part {
                Part::Text(t) => probe.push_str(t),
                Part::Var(_) => probe.push('x'),
            }
        }
        let probe = probe.split('?').next().unwrap_or_default();
        // Operations that share a path (templates that differ after `#` or in
        // their query) are told apart by the step's parameters as written, the
        // query in its path included, as the mock does. A value still to be
        // filled in (`{{action}}`) says nothing yet: it is left out.
        let filled = |v: &str| template::find_pair(v, b'{').is_none();
        let inline = p.source().split_once('?').map_or("", |(_, q)| q);
        let mut query: Vec<_> = form_urlencoded::parse(inline.as_bytes())
            .filter(|(_, v)| filled(v))
            .collect();
        query.extend(req.query.iter().flat_map(|(k, v)| {
            v.value
                .to_vec()
                .into_iter()
                .filter(|q| filled(&q.0))
                .map(move |q| {
                    (
                        std::borrow::Cow::Borrowed(k.as_str()),
                        std::borrow::Cow::Owned(q.0),
                    )
                })
        }));
        let mut headers = hyper::HeaderMap::new();
        for (k, v) in req.headers.iter().filter(|(_, v)| filled(&v.value)) {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                hyper::header::HeaderValue::from_str(&v.value),
            ) {
                headers.append(name, value);
            }
        }
        // A form body's pairs may name the operation too (AWS's query protocol
        // posts `Action=...`): a `raw_body` sent form-encoded is read for them.
        // The media type is known even when a parameter is still to be filled
        // in (`; charset={{cs}}`).
        let url_encoded = req.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-type")
                && crate::contract::form::form_kind(&v.value)
                    == Some(crate::contract::form::FormKind::UrlEncoded)
        });
        let form: Vec<_> = match &req.raw_body {
            Some(r) if url_encoded => form_urlencoded::parse(r.value.as_bytes())
                .filter(|(_, v)| filled(v))
                .collect(),
            _ => Vec::new(),
        };
        let said = crate::routing::Said {
            query: &query,
            headers: &headers,
            form: Some(&form),
        };
        match contract.route_request(m, probe, &said) {
            RouteMatch::Found { handle: op, .. } => {
                if raw.outside_contract {
                    errors.at(
                        &req.path.referenced,
                        format!(
                            "the step says `outside_contract: true` but {m} {} is {}",
                            p.source(),
                            contract.op(op).name()
                        ),
                    );
                }
                operation = Some(op);
            }
            RouteMatch::MethodNotAllowed { allow, template } if !raw.outside_contract => {
                errors.at(
                    &req.method.referenced,
                    format!(
                        "{m} {} matches no operation: {template} allows {allow}; mark the step `outside_contract: true` if that is what it tests",
                        p.source()
                    ),
                );
            }
            RouteMatch::NotFound if !raw.outside_contract => {
                errors.at(
                    &req.path.referenced,
                    format!(
                        "{m} {} matches no operation of the contract ({}); mark the step `outside_contract: true` if that is what it tests",
                        p.source(),
                        contract.title()
                    ),
                );
            }
            _ => {}
        }
    }

    let op = operation.map(|i| contract.op(i));
    let expect = match &raw.expect {
        Some(e) => expect::expect(&e.value, &e.referenced, op, known, errors),
        None => Expect::default(),
    };
    let retry = raw
        .retry
        .as_ref()
        .and_then(|r| expect::retry(r, &expect, op, known, errors));
    if raw.guard && phase == Phase::Setup {
        errors.at(
            &step_loc,
            "`guard: true` is implied in setup: a failing setup step always stops the setup",
        );
    }

    let auth = match raw.auth.as_ref().map(|a| (a.value.as_str(), a)) {
        None | Some(("default", _)) => StepAuth::Default,
        Some(("none", _)) => StepAuth::None,
        Some(("invalid", _)) => StepAuth::Invalid,
        Some((other, a)) => {
            errors.at(
                &a.referenced,
                format!("`auth: {other}` is not known; use default, none or invalid (credentials never go in a scenario file)"),
            );
            StepAuth::Default
        }
    };
    let timeout = raw.timeout.as_ref().and_then(|t| {
        if t.value.0.is_zero() {
            errors.at(&t.referenced, "a timeout of zero would fail every request");
            return None;
        }
        Some(t.value.0)
    });

    let mut captures = Vec::new();
    for (var, c) in &raw.capture {
        if !is_name(var) {
            errors.at(
                &c.referenced,
                format!("`{var}` is not a variable name (letters, digits and _)"),
            );
        }
        let from = match (&c.value.body, &c.value.header) {
            (Some(p), None) if p.is_empty() || p.starts_with('/') => {
                Some(CaptureFrom::Body(p.clone()))
            }
            (Some(p), None) => {
                errors.at(
                    &c.referenced,
                    format!("`{p}` is not a JSON pointer (it must start with `/`)"),
                );
                None
            }
            (None, Some(h)) => match HeaderName::from_bytes(h.as_bytes()) {
                Ok(h) => Some(CaptureFrom::Header(h)),
                Err(_) => {
                    errors.at(&c.referenced, format!("`{h}` is not a header name"));
                    None
                }
            },
            _ => {
                errors.at(
                    &c.referenced,
                    "a capture takes exactly one of `body` (a JSON pointer) or `header`",
                );
                None
            }
        };
        if let Some(from) = from {
            captures.push(Capture {
                var: var.clone(),
                from,
            });
        }
        if is_built_in(var) {
            errors.at(
                &c.referenced,
                format!(
                    "`{var}` is a built-in variable ({}); capture into another name",
                    BUILT_INS.join(", ")
                ),
            );
        }
        known.insert(var.clone());
    }

    if errors.count() > before {
        return None;
    }
    let (method, path) = (method?, path?);
    let mut step = Step {
        name: String::new(),
        line: step_loc.line() as usize,
        phase,
        guard: raw.guard,
        method,
        path,
        query,
        headers,
        body,
        auth,
        timeout,
        expect,
        retry,
        operation,
        captures,
    };
    step.name = match &raw.name {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => step.request_line(),
    };
    Some(step)
}
