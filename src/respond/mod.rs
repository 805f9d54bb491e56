//! Response choice: which documented response the mock sends, and its bytes.
//!
//! Everything that does not depend on the request (the default body of every
//! documented response, serialized; static header values) is built and checked
//! against the contract once, when the server starts ([`canned`]). Per request,
//! only what the request decides is filled in: values echoed from the path, the
//! `Location` of a redirect, and freshly generated data when `dynamic` is asked
//! for. Errors the mock makes itself take the contract's error shape ([`errors`]).

mod canned;
pub(crate) mod config;
pub(crate) mod delay;
mod errors;
pub(crate) mod fault;
mod late;
pub(crate) mod negotiate;
pub(crate) mod prefer;
mod redirect;
pub(crate) mod rules;
mod xml;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, VARY};
use hyper::StatusCode;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;

use crate::contract::{schema, Contract, Operation, PerOperation};
use crate::generate::{Generator, Mode};
use crate::support::limits::quoted;
pub(crate) use canned::bodiless;
use canned::{Canned, CannedBody};
use errors::{ErrorKey, ErrorTemplate, Shape};
pub(crate) use errors::{MockError, MOCK_ERROR_HEADER};
use late::build_operation;
use redirect::redirect_target;

/// The time one response's fresh data (`Prefer: dynamic=true`, `--dynamic`) may
/// take to generate; past it, the documented default body is sent.
pub(crate) const DYNAMIC_TIME: std::time::Duration = std::time::Duration::from_millis(250);

/// A response ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) status: StatusCode,
    /// Headers, Content-Type included when there is a body.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

/// Contracts with more operations than this have their bodies built on first
/// use (and by a warm-up after start) rather than before the server answers
/// (see the constant's documentation).
pub(crate) use crate::contract::EAGER_OPERATIONS;

/// Precomputed responses for one contract.
pub(crate) struct Responder {
    /// Per operation, parallel to `Operation::responses`: built at start, or on
    /// first use for a large contract (see [`EAGER_OPERATIONS`]).
    canned: PerOperation<OnceLock<Vec<Canned>>>,
    /// Problems found building bodies after start (a large contract's), until
    /// someone takes them ([`Responder::take_late_warnings`]).
    late: Mutex<Vec<String>>,
    /// Whether `late` has anything (read per request without the lock).
    has_late: AtomicBool,
    /// Whether the warm-up of a large contract is over: it went through every
    /// operation and the parameters' examples, or stopped at
    /// [`late::WARM_UP_BUDGET`] (the rest are built on first use).
    warmed: AtomicBool,
    /// The bytes of the bodies built after start so far (serialized), which
    /// the warm-up stops at [`late::WARM_UP_BUDGET`].
    held: AtomicUsize,
    /// Per operation: the warm-up failed to build its bodies (a panic, told as
    /// a late warning), so it is no longer counted as pending.
    given_up: PerOperation<AtomicBool>,
    /// Whether a large contract's examples judged while building an
    /// operation's bodies are reported in `late` (the mock's); `false` for
    /// `mimeo proxy`'s, whose caller reports them (`Contract::check_remaining_examples`).
    reports_examples: bool,
    /// Per operation: body fields that echo a path parameter of the same name.
    echo: PerOperation<Vec<String>>,
    /// The document's error templates for errors no operation documents.
    shapes: errors::Shapes,
    /// Per operation, where the body of each error mimeo makes itself
    /// ([`errors::STANDARD`]) comes from.
    op_shapes: PerOperation<[Shape; errors::STANDARD.len()]>,
    /// Per operation: the status answered when nothing asks for another.
    defaults: PerOperation<u16>,
    /// Error bodies, made on first use: a large document's every operation
    /// documents errors whose bodies (cloned, checked, serialized) took most of
    /// its start-up when they were all made then (Stripe's: seconds).
    error_bodies: RwLock<HashMap<ErrorKey, Arc<ErrorTemplate>>>,
    seed: u64,
    dynamic: bool,
    counter: AtomicU64,
}

/// What the mock answers with.
#[derive(Debug, Default)]
pub(crate) struct Choice<'a> {
    pub(crate) status: u16,
    /// A documented example by name.
    pub(crate) example: Option<&'a str>,
    /// Freshly generated data instead of the default body.
    pub(crate) dynamic: bool,
    /// A body built from state, in the contract's shape (checked before it is sent).
    pub(crate) body: Option<Value>,
    /// The schema `body` was already checked against and fits: not checked
    /// again when it is the picked media type's.
    pub(crate) checked: Option<crate::contract::SchemaId>,
    /// For a redirect: the path parameter and the value its `Location` points at
    /// (a merged profile's canonical profile), instead of the documented example.
    pub(crate) redirect_to: Option<(&'a str, &'a str)>,
    /// A `Location` path for a created item.
    pub(crate) location: Option<&'a str>,
}

/// The request facts a response may reflect.
pub(crate) struct RequestInfo<'a> {
    /// Path template variables as decoded by the router.
    pub(crate) path_params: &'a [(&'a str, Result<Cow<'a, str>, String>)],
    /// `host:port` as the client addressed the mock (the `Host` header).
    pub(crate) host: &'a str,
    /// The query as sent (still percent-encoded), which a redirect to the same
    /// route under another resource keeps.
    pub(crate) query: Option<&'a str>,
    /// The request's `Accept`, which picks among documented media types.
    pub(crate) accept: Option<&'a str>,
    /// The request's `Accept-Encoding`, which allows a documented coding.
    pub(crate) accept_encoding: Option<&'a str>,
    /// The next number of the session's generated bodies (with the session's
    /// own hash mixed in): a seeded run gives a session the same bodies
    /// whatever other sessions ask, and from the start again after a reset.
    /// `None`: numbered server-wide.
    pub(crate) draw: Option<&'a dyn Fn() -> u64>,
}

/// Why a requested response cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChoiceError {
    pub(crate) kind: MockError,
    /// What was asked and what the contract has.
    pub(crate) message: String,
}

impl Responder {
    /// Builds every default response; problems (an example that breaks its own
    /// schema, a body that cannot be generated validly) are returned as warnings.
    /// A contract of more than [`EAGER_OPERATIONS`] has them built on first use
    /// instead (see [`Responder::prepare`]), its problems kept for
    /// [`Responder::take_late_warnings`].
    pub(crate) fn new(contract: &Contract, seed: u64, dynamic: bool) -> (Responder, Vec<String>) {
        let mut warnings = Vec::new();
        let ops = &contract.operations;
        let echo = ops
            .iter()
            .map(|op| canned::echo_fields(contract, op))
            .collect();
        let canned: Vec<OnceLock<Vec<Canned>>> = ops.iter().map(|_| OnceLock::new()).collect();
        if ops.len() <= EAGER_OPERATIONS {
            // Every operation's bodies are built (and checked) apart from the
            // others, shared out over the CPUs in contiguous chunks joined in
            // order (the same bodies and warnings, in the same order, whatever
            // the number of threads).
            let build = |ops: &[Operation]| {
                let mut warnings = Vec::new();
                let built: Vec<_> = ops
                    .iter()
                    .map(|op| build_operation(contract, op, seed, &mut warnings))
                    .collect();
                (built, warnings)
            };
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8);
            let parts: Vec<_> = if threads > 1 && ops.len() >= 64 {
                let chunk = ops.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = ops
                        .chunks(chunk)
                        .map(|c| scope.spawn(move || build(c)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                })
            } else {
                vec![build(ops)]
            };
            let mut slots = canned.iter();
            for (built, w) in parts {
                warnings.extend(w);
                for per_op in built {
                    if let Some(slot) = slots.next() {
                        let _ = slot.set(per_op);
                    }
                }
            }
        }
        let shapes = errors::Shapes::new(contract);
        let op_shapes: Vec<_> = contract
            .operations
            .iter()
            .map(|op| errors::STANDARD.map(|status| shapes.resolve(Some(op), status)))
            .collect();
        let responder = Responder {
            canned: PerOperation(canned),
            late: Mutex::default(),
            has_late: AtomicBool::new(false),
            warmed: AtomicBool::new(false),
            held: AtomicUsize::new(0),
            given_up: PerOperation(ops.iter().map(|_| AtomicBool::new(false)).collect()),
            reports_examples: true,
            echo: PerOperation(echo),
            shapes,
            op_shapes: PerOperation(op_shapes),
            defaults: PerOperation(
                contract
                    .operations
                    .iter()
                    .map(Operation::default_status)
                    .collect(),
            ),
            error_bodies: RwLock::default(),
            seed,
            dynamic,
            counter: AtomicU64::new(0),
        };
        (responder, warnings)
    }

    /// The status `op` answers when neither `Prefer` nor a rule picks one
    /// ([`Operation::default_status`], computed once).
    pub(crate) fn default_status(&self, op: &Operation) -> u16 {
        self.defaults[op.index]
    }

    /// The documented response for `choice.status`: its body (a body from state,
    /// an example by name, the default, or freshly generated when `dynamic`),
    /// headers and redirect target.
    pub(crate) fn respond(
        &self,
        contract: &Contract,
        op: &Operation,
        choice: Choice<'_>,
        req: &RequestInfo<'_>,
    ) -> Result<Built, ChoiceError> {
        let status = choice.status;
        if (100..200).contains(&status) {
            // hyper sends a 1xx as a 500 with no body: said plainly instead.
            return Err(ChoiceError {
                kind: MockError::Informational,
                message: format!(
                    "status {status} is informational: it cannot be the answer to {} (HTTP sends a final status after it); ask for another with Prefer (documented: {})",
                    op.label(),
                    op.documented_list()
                ),
            });
        }
        let Some(ri) = response_index(op, status) else {
            return Err(ChoiceError {
                kind: MockError::UndocumentedStatus,
                message: format!(
                    "status {status} is not documented for {} ({}); documented: {}",
                    op.label(),
                    op.name(),
                    op.documented_list()
                ),
            });
        };
        let response = &op.responses[ri];
        let canned = &self.canned(contract, op)[ri];
        // Room for the Location, Content-Encoding and Vary added below.
        let mut headers = Vec::with_capacity(canned.headers.len() + 3);
        headers.extend_from_slice(&canned.headers);
        if let (Some((_, canonical)), Some(rule)) = (choice.redirect_to, &response.redirect) {
            // The header that names the canonical resource says which one it is.
            for (name, value) in headers.iter_mut() {
                if name.as_str().eq_ignore_ascii_case(&rule.header) {
                    *value = header_value(canonical);
                }
            }
        }

        let mut body: Option<(HeaderValue, Bytes)> = None;
        if let (Some(name), true) = (choice.example, canned.bodies.is_empty()) {
            return Err(ChoiceError {
                kind: MockError::UnknownExample,
                message: format!(
                    "{} documents no body for status {status}, so no example `{}`",
                    op.label(),
                    quoted(name)
                ),
            });
        }
        if !canned.bodies.is_empty() {
            let cb = pick_body(op, canned, response, req.accept, status)?;
            let media = &response.content[cb.media];
            let mut value: Option<Value> = None;
            let mut echoed = None;
            if let Some(state_body) = choice.body {
                if let Some(s) = cb.schema.filter(|&s| {
                    choice.checked != Some(s) && !contract.schemas.is_valid(s, &state_body)
                }) {
                    let why: Vec<String> = contract
                        .schemas
                        .violations(s, &state_body)
                        .items
                        .iter()
                        .take(5)
                        .map(|v| format!("{} {}: {}", v.pointer, v.rule, v.message))
                        .collect();
                    return Err(ChoiceError {
                        kind: MockError::InvalidResponse,
                        message: format!(
                            "the state model built a {status} body for {} that breaks the contract: {}",
                            op.name(),
                            why.join("; ")
                        ),
                    });
                }
                value = Some(state_body);
            } else if let Some(name) = choice.example {
                let found = media.examples.iter().find(|e| e.name == name);
                let problem = found.and_then(|e| contract.example_problem(media.schema, e));
                match found {
                    Some(_) if problem.is_some() => {
                        return Err(ChoiceError {
                            kind: MockError::UnknownExample,
                            message: format!(
                                "example `{}` of {} for status {status} does not match its schema ({}); it is never served",
                                quoted(name),
                                op.label(),
                                problem.unwrap_or_default()
                            ),
                        });
                    }
                    Some(e) => value = Some(Value::clone(&e.value)),
                    None => {
                        let names: Vec<&str> =
                            media.examples.iter().map(|e| e.name.as_str()).collect();
                        return Err(ChoiceError {
                            kind: MockError::UnknownExample,
                            message: format!(
                                "{} has no example named `{}` for status {status} ({}); examples: {}",
                                op.label(),
                                quoted(name),
                                media.name,
                                if names.is_empty() { "none".to_string() } else { names.join(", ") }
                            ),
                        });
                    }
                }
            } else {
                if choice.dynamic || self.dynamic {
                    value = Some(self.fresh_body(contract, cb, req.draw));
                }
                echoed = self.echo_into(contract, op, cb, value.as_ref(), req);
            }
            if status >= 400 {
                // An error body's status member says the status it is sent with.
                let base = value.as_ref().unwrap_or(&cb.value);
                if let Some(v) = errors::with_status(&contract.profile.errors, base, status)
                    .filter(|v| cb.schema.is_none_or(|s| contract.schemas.is_valid(s, v)))
                {
                    value = Some(v);
                }
            }
            let redirected = canned
                .redirect
                .then(|| redirect_target(op, response, canned, &headers, choice.redirect_to, req));
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
            let sent = value.as_ref().unwrap_or(&cb.value);
            let content_type = if cb.wildcard
                && negotiate::sent_as_text(&media.name, sent.is_string())
            {
                // A wildcard's body goes as a concrete type inside it that the
                // client accepts (an error's whether or not it does, as errors
                // go in their documented type); its text never as a JSON string.
                let accepted = negotiate::text_type(req.accept, &media.name);
                let error = status >= 400;
                let Some(t) = accepted.or_else(|| {
                    error
                        .then(|| negotiate::text_type(None, &media.name))
                        .flatten()
                }) else {
                    return Err(ChoiceError {
                        kind: MockError::NotAcceptable,
                        message: format!(
                            "{} answers {status} with {} and `Accept` admits no concrete type of it that is not JSON",
                            op.name(),
                            media.name
                        ),
                    });
                };
                header_value(&t)
            } else {
                cb.content_type.clone()
            };
            let mut bytes = match &value {
                Some(v) => cb.bytes_of(contract, v),
                None => cb.bytes.clone(),
            };
            if let Some(coding) = canned.coding {
                // The body differs by Accept-Encoding whether or not this one is encoded.
                headers.push((VARY, HeaderValue::from_static("Accept-Encoding")));
                if coding.accepted_by(req.accept_encoding) {
                    let encoded = match value {
                        None => cb.encoded.clone(),
                        Some(_) => coding.encode(&bytes),
                    };
                    if let Some(encoded) = encoded {
                        bytes = encoded;
                        headers.push((CONTENT_ENCODING, HeaderValue::from_static(coding.as_str())));
                    }
                }
            }
            body = Some((content_type, bytes));
        } else if canned.redirect {
            let (_, url) = redirect_target(op, response, canned, &headers, choice.redirect_to, req);
            headers.push((LOCATION, header_value(&url)));
        }
        if let Some((at, path)) = &canned.location_path {
            // The documented URL's path under the mock's own address, never production's.
            if let Some((_, value)) = headers.get_mut(*at) {
                *value = header_value(&format!("http://{}{path}", req.host));
            }
        }
        if let Some(location) = choice.location {
            headers.retain(|(n, _)| n != LOCATION);
            headers.push((
                LOCATION,
                header_value(&format!("http://{}{location}", req.host)),
            ));
        }
        let status = StatusCode::from_u16(status).map_err(|_| ChoiceError {
            kind: MockError::UndocumentedStatus,
            message: format!("{status} is not an HTTP status"),
        })?;
        Ok(finish(status, headers, body))
    }

    fn fresh_body(
        &self,
        contract: &Contract,
        cb: &CannedBody,
        draw: Option<&dyn Fn() -> u64>,
    ) -> Value {
        let Some(schema_id) = cb.schema else {
            return cb.value.clone();
        };
        // Bounded in size (each attempt) and in time (all of them): past it, the
        // default body is sent.
        let generator = Generator::new(&contract.schemas, Mode::Dynamic)
            .until(std::time::Instant::now() + DYNAMIC_TIME);
        let n = match draw {
            Some(draw) => draw(),
            None => self
                .counter
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15),
        };
        let mut rng = StdRng::seed_from_u64(self.seed.wrapping_add(n));
        for _ in 0..8 {
            // Ok means the contract's validator accepted it: no need to ask again.
            if let Ok(v) = generator.generate(schema_id, &mut rng) {
                return v;
            }
            if generator.past_deadline() {
                break;
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
        // Only into members this body's schema declares (an error body may not
        // have the success body's `id`).
        let declared = cb
            .schema
            .and_then(|s| schema::resolve(&contract.document, contract.schemas.source(s)))
            .and_then(|s| s.get("properties"));
        let mut v = value.unwrap_or(&cb.value).clone();
        let map = v.as_object_mut()?;
        for field in fields {
            if declared.is_some_and(|p| p.get(field).is_none()) {
                continue;
            }
            if let Some((_, Ok(val))) = req.path_params.iter().find(|(n, _)| n == field) {
                map.insert(field.clone(), Value::String(val.to_string()));
            }
        }
        match cb.schema {
            Some(s) if !contract.schemas.is_valid(s, &v) => None,
            _ => Some(v),
        }
    }
}

/// A response from its parts; a status that never carries a body (204, 304)
/// is sent without one and without a Content-Type, whatever was given.
pub(crate) fn finish(
    status: StatusCode,
    mut headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(HeaderValue, Bytes)>,
) -> Built {
    let body = body.filter(|_| !bodiless(status.as_u16()));
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

/// The documented body that answers: the media type the request's `Accept`
/// prefers; an error goes out in its first media type even when `Accept`
/// admits none (RFC 9110 §12.5.1 allows it, and a client learns more from the
/// error than from a 406); any other status is then refused.
fn pick_body<'c>(
    op: &Operation,
    canned: &'c Canned,
    response: &crate::contract::Response,
    accept: Option<&str>,
    status: u16,
) -> Result<&'c CannedBody, ChoiceError> {
    let chosen = negotiate::choose(accept, &response.content).and_then(|i| canned.bodies.get(i));
    match chosen {
        Some(cb) => Ok(cb),
        None if status >= 400 || accept.is_none() => canned.primary().ok_or_else(|| ChoiceError {
            kind: MockError::InvalidResponse,
            message: format!("{} has no body for {status}", op.name()),
        }),
        None => {
            let names: Vec<&str> = response.content.iter().map(|m| m.name.as_str()).collect();
            Err(ChoiceError {
                kind: MockError::NotAcceptable,
                message: format!(
                    "`{}` admits none of the media types {} documents for {status}: {}",
                    accept.unwrap_or_default(),
                    op.name(),
                    names.join(", ")
                ),
            })
        }
    }
}

fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// Index of the response documented for `status` (exact, range, default).
pub(crate) fn response_index(op: &Operation, status: u16) -> Option<usize> {
    let r = op.response_for(status)?;
    op.responses.iter().position(|x| std::ptr::eq(x, r))
}

pub(super) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A header value from text: characters a header cannot carry are dropped.
pub(crate) fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| {
        let cleaned: String = s
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}
