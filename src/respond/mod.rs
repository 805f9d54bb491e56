//! Response choice: which documented response the mock sends, and its bytes.
//!
//! Everything that does not depend on the request (the default body of every
//! documented response, serialized; static header values) is built and checked
//! against the contract once, when the server starts. Per request, only what the
//! request decides is filled in: values echoed from the path, the `Location` of a
//! redirect, and freshly generated data when `dynamic` is asked for.

pub mod prefer;
pub mod rules;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::StatusCode;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};

use crate::contract::{schema, Contract, Operation, Response, SchemaId, StatusKey};
use crate::generate::{Generator, Mode};

/// The header mimeo puts on answers that come from mimeo itself rather than the
/// contract (a misused `Prefer`), so they can never be mistaken for the API's.
pub const MOCK_ERROR_HEADER: &str = "mimeo-error";

/// A response ready to send.
#[derive(Debug, Clone)]
pub struct Built {
    /// The status.
    pub status: StatusCode,
    /// Headers, Content-Type included when there is a body.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body bytes.
    pub body: Bytes,
}

/// Precomputed responses for one contract.
pub struct Responder {
    /// `[operation][response]`, parallel to `Operation::responses`.
    canned: Vec<Vec<Canned>>,
    /// Per operation: body fields that echo a path parameter of the same name.
    echo: Vec<Vec<String>>,
    /// For each status, the first (operation, response) documenting it exactly:
    /// the shape of errors the mock makes up itself (unknown path, 405, 413).
    error_shapes: HashMap<u16, (usize, usize)>,
    /// Per operation: the status answered when nothing asks for another.
    defaults: Vec<u16>,
    /// Error bodies by (template operation, response, status), made on first use.
    error_bodies: Mutex<HashMap<(usize, usize, u16), Arc<ErrorTemplate>>>,
    seed: u64,
    dynamic: bool,
    counter: AtomicU64,
}

struct Canned {
    body: Option<CannedBody>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// For a redirect with a `Location` header: the path parameter replaced by the
    /// value of a header with the same constraints (`profileId` <- `Canonical-Profile-Id`).
    redirect: Option<Redirect>,
}

struct CannedBody {
    content_type: HeaderValue,
    media: usize,
    value: Value,
    bytes: Bytes,
    schema: Option<SchemaId>,
    /// `maxLength` of the body's message field, for errors the mock fills in.
    message_limit: Option<usize>,
}

struct Redirect {
    replace: Option<(String, String)>,
}

/// The request facts a response may reflect.
pub struct RequestInfo<'a> {
    /// Path template variables as decoded by the router.
    pub path_params: &'a [(&'a str, Result<Cow<'a, str>, String>)],
    /// `host:port` as the client addressed the mock (the `Host` header).
    pub host: &'a str,
}

/// Why a requested response cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceError {
    /// `undocumented-status` or `unknown-example`: the `mimeo-error` header value.
    pub kind: &'static str,
    /// What was asked and what the contract has.
    pub message: String,
}

impl Responder {
    /// Builds every default response; problems (an example that breaks its own
    /// schema, a body that cannot be generated validly) are returned as warnings.
    pub fn new(contract: &Contract, seed: u64, dynamic: bool) -> (Responder, Vec<String>) {
        let mut warnings = Vec::new();
        let generator = Generator::new(&contract.schemas, Mode::Static);
        let mut canned = Vec::with_capacity(contract.operations.len());
        let mut echo = Vec::with_capacity(contract.operations.len());
        let mut error_shapes = HashMap::new();
        for op in &contract.operations {
            let mut per_op = Vec::with_capacity(op.responses.len());
            for (ri, r) in op.responses.iter().enumerate() {
                if let StatusKey::Code(c) = r.status {
                    error_shapes.entry(c).or_insert((op.index, ri));
                }
                let mut rng = StdRng::seed_from_u64(seed ^ ((op.index as u64) << 16) ^ ri as u64);
                per_op.push(canned_response(
                    contract,
                    op,
                    r,
                    &generator,
                    &mut rng,
                    &mut warnings,
                ));
            }
            canned.push(per_op);
            echo.push(echo_fields(contract, op));
        }
        let responder = Responder {
            canned,
            echo,
            error_shapes,
            defaults: contract
                .operations
                .iter()
                .map(Operation::default_status)
                .collect(),
            error_bodies: Mutex::default(),
            seed,
            dynamic,
            counter: AtomicU64::new(0),
        };
        (responder, warnings)
    }

    /// The status `op` answers when neither `Prefer` nor a rule picks one
    /// ([`Operation::default_status`], computed once).
    pub fn default_status(&self, op: &Operation) -> u16 {
        self.defaults[op.index]
    }

    /// The documented response for `status`: its body (`example` by name, else the
    /// default, or freshly generated when `dynamic`), headers and redirect target.
    pub fn respond(
        &self,
        contract: &Contract,
        op: &Operation,
        status: u16,
        example: Option<&str>,
        dynamic: bool,
        req: &RequestInfo<'_>,
    ) -> Result<Built, ChoiceError> {
        let Some(ri) = response_index(op, status) else {
            return Err(ChoiceError {
                kind: "undocumented-status",
                message: format!(
                    "status {status} is not documented for {} ({}); documented: {}",
                    op.label(),
                    op.name(),
                    op.documented_list()
                ),
            });
        };
        let response = &op.responses[ri];
        let canned = &self.canned[op.index][ri];
        // Room for the Location and Content-Type added below.
        let mut headers = Vec::with_capacity(canned.headers.len() + 2);
        headers.extend_from_slice(&canned.headers);

        let mut body: Option<(HeaderValue, Bytes)> = None;
        if let (Some(name), None) = (example, &canned.body) {
            return Err(ChoiceError {
                kind: "unknown-example",
                message: format!(
                    "{} documents no body for status {status}, so no example `{name}`",
                    op.label()
                ),
            });
        }
        if let Some(cb) = &canned.body {
            let media = &response.content[cb.media];
            let mut value: Option<Value> = None;
            if let Some(name) = example {
                match media.examples.iter().find(|e| e.name == name) {
                    Some(e) => value = Some(e.value.clone()),
                    None => {
                        let names: Vec<&str> =
                            media.examples.iter().map(|e| e.name.as_str()).collect();
                        return Err(ChoiceError {
                            kind: "unknown-example",
                            message: format!(
                                "{} has no example named `{name}` for status {status}; examples: {}",
                                op.label(),
                                if names.is_empty() { "none".to_string() } else { names.join(", ") }
                            ),
                        });
                    }
                }
            } else if dynamic || self.dynamic {
                value = Some(self.fresh_body(contract, cb));
            }
            let echoed = self.echo_into(contract, op, cb, value.as_ref(), req);
            let redirected = canned
                .redirect
                .as_ref()
                .map(|r| redirect_target(op, r, &headers, req));
            if let Some((path, url)) = &redirected {
                headers.push((LOCATION, header_value(url)));
                let base = echoed.as_ref().or(value.as_ref()).unwrap_or(&cb.value);
                let mut v = base.clone();
                if let Value::Object(map) = &mut v {
                    for (k, field) in map.iter_mut() {
                        match k.to_ascii_lowercase().as_str() {
                            "uri" if field.is_string() => *field = Value::String(path.clone()),
                            "url" | "location" if field.is_string() => {
                                *field = Value::String(url.clone())
                            }
                            _ => {}
                        }
                    }
                }
                // The rewrite points the body at the mock; keep it only if it still validates.
                if cb.schema.is_none_or(|s| contract.schemas.is_valid(s, &v)) {
                    value = Some(v);
                } else if echoed.is_some() {
                    value = echoed;
                }
            } else if echoed.is_some() {
                value = echoed;
            }
            let bytes = match value {
                Some(v) if media.json => Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
                Some(v) => Bytes::from(value_text(&v)),
                None => cb.bytes.clone(),
            };
            body = Some((cb.content_type.clone(), bytes));
        } else if let Some(r) = &canned.redirect {
            let (_, url) = redirect_target(op, r, &headers, req);
            headers.push((LOCATION, header_value(&url)));
        }
        let status = StatusCode::from_u16(status).map_err(|_| ChoiceError {
            kind: "undocumented-status",
            message: format!("{status} is not an HTTP status"),
        })?;
        Ok(finish(status, headers, body))
    }

    fn fresh_body(&self, contract: &Contract, cb: &CannedBody) -> Value {
        let Some(schema_id) = cb.schema else {
            return cb.value.clone();
        };
        let generator = Generator::new(&contract.schemas, Mode::Dynamic);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut rng = StdRng::seed_from_u64(
            self.seed
                .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        for _ in 0..8 {
            // Ok means the contract's validator accepted it: no need to ask again.
            if let Ok(v) = generator.generate(schema_id, &mut rng) {
                return v;
            }
        }
        cb.value.clone()
    }

    /// Echoes path parameter values into body fields of the same name, keeping the
    /// body valid (an echo that would break the schema is not made).
    fn echo_into(
        &self,
        contract: &Contract,
        op: &Operation,
        cb: &CannedBody,
        value: Option<&Value>,
        req: &RequestInfo<'_>,
    ) -> Option<Value> {
        let fields = &self.echo[op.index];
        if fields.is_empty() {
            return None;
        }
        let mut v = value.unwrap_or(&cb.value).clone();
        let map = v.as_object_mut()?;
        for field in fields {
            if let Some((_, Ok(val))) = req.path_params.iter().find(|(n, _)| n == field) {
                map.insert(field.clone(), Value::String(val.to_string()));
            }
        }
        match cb.schema {
            Some(s) if !contract.schemas.is_valid(s, &v) => None,
            _ => Some(v),
        }
    }

    /// An error the mock makes itself (invalid request, auth, unknown route, 405,
    /// 413), in the contract's error shape: the operation's documented response for
    /// `status` when there is one, else the first one the document has for that
    /// status, else its 400 shape with the status filled in.
    pub fn error(
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
        let template_op = &contract.operations[oi];
        let template = &template_op.responses[ri];
        let canned = &self.canned[oi][ri];
        let same_status = template.status == StatusKey::Code(status);
        let headers = if same_status && op.is_some_and(|o| o.index == oi) {
            canned.headers.clone()
        } else {
            Vec::new()
        };
        let body = canned.body.as_ref().map(|cb| {
            let template = self.error_template(cb, (oi, ri, status), same_status);
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
        cb: &CannedBody,
        key: (usize, usize, u16),
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
                patch_error(&mut v, key.2, same_status, MESSAGE_MARK, None);
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

/// Stands for the message while an error template is serialized (no document
/// has it: it contains NUL characters).
const MESSAGE_MARK: &str = "\u{0}mimeo:message\u{0}";

/// A serialized error body: the bytes before and after the (quoted) message, or
/// the whole body when the template has no message field.
struct ErrorTemplate {
    before: Bytes,
    after: Option<Bytes>,
}

/// A mimeo error (not the API's): a `Prefer` the contract cannot satisfy. Status
/// 422, the `mimeo-error` header, and mimeo's own body shape.
pub fn mock_error(kind: &str, message: &str) -> Built {
    let body = serde_json::json!({"mimeo_error": kind, "message": message});
    finish(
        StatusCode::UNPROCESSABLE_ENTITY,
        vec![(
            HeaderName::from_static(MOCK_ERROR_HEADER),
            header_value(kind),
        )],
        Some((json_type(), Bytes::from(body.to_string()))),
    )
}

fn finish(
    status: StatusCode,
    mut headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(HeaderValue, Bytes)>,
) -> Built {
    let body = match body {
        Some((ct, bytes)) => {
            headers.push((CONTENT_TYPE, ct));
            bytes
        }
        None => Bytes::new(),
    };
    Built {
        status,
        headers,
        body,
    }
}

/// A Content-Type to send for a documented media type: wildcards (`*/*`,
/// `application/*`) are not valid Content-Types, so a concrete one stands in.
fn concrete_type(documented: &str, json: bool) -> HeaderValue {
    if documented.contains('*') {
        return if json {
            json_type()
        } else {
            HeaderValue::from_static("application/octet-stream")
        };
    }
    HeaderValue::from_str(documented).unwrap_or_else(|_| json_type())
}

fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// Index of the response documented for `status` (exact, range, default).
pub fn response_index(op: &Operation, status: u16) -> Option<usize> {
    let r = op.response_for(status)?;
    op.responses.iter().position(|x| std::ptr::eq(x, r))
}

fn canned_response(
    contract: &Contract,
    op: &Operation,
    r: &Response,
    generator: &Generator<'_>,
    rng: &mut StdRng,
    warnings: &mut Vec<String>,
) -> Canned {
    let mut headers = Vec::new();
    let is_redirect = (300..400).contains(&r.status.representative());
    let mut has_location = false;
    for h in &r.headers {
        if is_redirect && h.name.eq_ignore_ascii_case("location") {
            has_location = true;
            continue; // Filled per request, pointing at the mock.
        }
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            warnings.push(format!(
                "#{}: `{}` is not a valid header name; it is not sent",
                h.pointer, h.name
            ));
            continue;
        };
        let example = h
            .example
            .as_ref()
            .filter(|e| h.schema.is_none_or(|s| contract.schemas.is_valid(s, e)));
        let value = match (example, h.schema) {
            (Some(e), _) => e.clone(),
            (None, Some(s)) => generator.generate(s, rng).unwrap_or_else(|v| {
                warnings.push(format!(
                    "#{}: cannot generate a valid value for header {}",
                    h.pointer, h.name
                ));
                v
            }),
            (None, None) => Value::String("x".into()),
        };
        headers.push((name, header_value(&value_text(&value))));
    }
    let redirect = (is_redirect && has_location).then(|| Redirect {
        replace: canonical_param(contract, op, r),
    });

    let body = r.primary_content().map(|media| {
        let media_index = r.content.iter().position(|m| std::ptr::eq(m, media)).unwrap_or(0);
        let valid = |v: &Value| media.schema.is_none_or(|s| contract.schemas.is_valid(s, v));
        let mut value = None;
        for e in &media.examples {
            if valid(&e.value) {
                value = Some(e.value.clone());
                break;
            }
            warnings.push(format!(
                "#{}: example `{}` does not match its schema; it is served only when asked for by name",
                media.pointer, e.name
            ));
        }
        let value = value.unwrap_or_else(|| match media.schema {
            Some(s) => generator.generate(s, rng).unwrap_or_else(|v| {
                let why: Vec<String> =
                    contract.schemas.violations(s, &v).iter().map(|x| format!("{} {}", x.pointer, x.rule)).collect();
                warnings.push(format!(
                    "#{}: cannot generate a body that matches the schema ({}); the body sent will not validate",
                    media.pointer,
                    why.join(", ")
                ));
                v
            }),
            None => Value::Object(Map::new()),
        });
        let bytes = if media.json {
            Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
        } else {
            Bytes::from(value_text(&value))
        };
        CannedBody {
            content_type: concrete_type(&media.name, media.json),
            media: media_index,
            value,
            bytes,
            schema: media.schema,
            message_limit: media.schema.and_then(|s| message_limit(contract, s)),
        }
    });
    Canned {
        body,
        headers,
        redirect,
    }
}

/// The path parameter whose constraints equal those of another header of the
/// redirect: that header names the new value (`Canonical-Profile-Id` -> `profileId`).
fn canonical_param(contract: &Contract, op: &Operation, r: &Response) -> Option<(String, String)> {
    let doc = &contract.document;
    let constraints = |id: SchemaId| -> Option<Vec<Value>> {
        let s = schema::resolve(doc, contract.schemas.source(id))?;
        s.get("pattern")?;
        Some(
            [
                "type",
                "pattern",
                "format",
                "minLength",
                "maxLength",
                "enum",
            ]
            .iter()
            .map(|k| s.get(*k).cloned().unwrap_or(Value::Null))
            .collect(),
        )
    };
    for h in &r.headers {
        let Some(hc) = h.schema.and_then(constraints) else {
            continue;
        };
        for p in op.params_in(crate::contract::ParamIn::Path) {
            if p.schema.and_then(constraints).as_ref() == Some(&hc) {
                return Some((p.name.clone(), h.name.clone()));
            }
        }
    }
    None
}

/// The redirect's path and absolute URL: the request's route with the canonical
/// parameter replaced.
fn redirect_target(
    op: &Operation,
    r: &Redirect,
    headers: &[(HeaderName, HeaderValue)],
    req: &RequestInfo<'_>,
) -> (String, String) {
    let mut path = String::with_capacity(op.path.len() + 64);
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        path.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        let replaced = r
            .replace
            .as_ref()
            .filter(|(p, _)| p == name)
            .and_then(|(_, h)| {
                headers
                    .iter()
                    .find(|(n, _)| n.as_str().eq_ignore_ascii_case(h))
                    .and_then(|(_, v)| v.to_str().ok())
            });
        let value = replaced.or_else(|| {
            req.path_params
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.as_deref().ok())
        });
        let value = value.unwrap_or_default();
        path.extend(percent_encoding::utf8_percent_encode(value, SEGMENT));
        rest = &rest[start + len + 1..];
    }
    path.push_str(rest);
    let url = format!("http://{}{}", req.host, path);
    (path, url)
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'+')
    .remove(b'@')
    .remove(b':');

/// Body fields (top-level properties of the response schema) named like a path parameter.
fn echo_fields(contract: &Contract, op: &Operation) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in op
        .responses
        .iter()
        .filter(|r| matches!(r.status.representative(), 200..=299))
    {
        let Some(s) = r.primary_content().and_then(|m| m.schema) else {
            continue;
        };
        let Some(props) = schema::resolve(&contract.document, contract.schemas.source(s))
            .and_then(|s| s.get("properties"))
        else {
            continue;
        };
        for p in op.params_in(crate::contract::ParamIn::Path) {
            if props.get(&p.name).is_some() && !names.contains(&p.name) {
                names.push(p.name.clone());
            }
        }
    }
    names
}

fn message_limit(contract: &Contract, s: SchemaId) -> Option<usize> {
    let schema = schema::resolve(&contract.document, contract.schemas.source(s))?;
    for key in ["message", "detail", "error_description", "error"] {
        if let Some(p) = schema.pointer(&format!("/properties/{key}")) {
            let p = schema::resolve(&contract.document, p)?;
            return p
                .get("maxLength")
                .and_then(Value::as_u64)
                .map(|n| n as usize);
        }
    }
    None
}

/// Fills an error template: `status`, `code` (when the template is another
/// status's), the message field, and a `more_info` URL ending in the code.
fn patch_error(v: &mut Value, status: u16, same_status: bool, message: &str, limit: Option<usize>) {
    let Value::Object(map) = v else { return };
    if map.get("status").is_some_and(Value::is_number) {
        map.insert("status".into(), status.into());
    }
    if !same_status && map.get("code").is_some_and(Value::is_number) {
        map.insert("code".into(), status.into());
    }
    let code = map.get("code").and_then(Value::as_u64);
    if let (Some(code), Some(Value::String(info))) = (code, map.get_mut("more_info")) {
        let stem = info.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if stem < info.len() {
            info.truncate(stem);
            info.push_str(&code.to_string());
        }
    }
    for key in ["message", "detail", "error_description", "error"] {
        if let Some(field @ Value::String(_)) = map.get_mut(key) {
            *field = Value::String(truncate_chars(message, limit.unwrap_or(usize::MAX)));
            break;
        }
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    // A string has at most as many characters as bytes: count only when it may be too long.
    if s.len() <= max || s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| {
        let cleaned: String = s
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_template_is_patched() {
        let mut v = json!({"code": 400, "message": "x", "more_info": "https://e/errors/400", "status": 400});
        patch_error(&mut v, 405, false, "Method not allowed", Some(1024));
        assert_eq!(
            v,
            json!({"code": 405, "message": "Method not allowed", "more_info": "https://e/errors/405", "status": 405})
        );
        let mut v = json!({"code": 20404, "message": "x", "more_info": "https://e/errors/20404", "status": 404});
        patch_error(&mut v, 404, true, "nope", Some(3));
        assert_eq!(v["code"], 20404);
        assert_eq!(v["message"], "no…");
    }
}
