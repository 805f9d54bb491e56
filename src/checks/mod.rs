//! Response checks: does a response keep the contract?
//!
//! Each check has a name ([`Check`]) so reports, JUnit files and proxy logs can
//! say exactly which promise was broken. The mock's own tests, the conformance
//! runner and the proxy all use these same checks.

use std::fmt;

use hyper::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use crate::contract::{Contract, Operation};
use crate::support::limits::{self, Capped, MAX_MESSAGE};
use crate::support::media;
use crate::validate::parse_text;

mod body;

/// A named promise mimeo checks. The contract's own checks judge one response;
/// the runner and the proxy add theirs.
///
/// # Examples
///
/// ```
/// use mimeo::Check;
///
/// assert_eq!(Check::BodySchema.name(), "body_schema");
/// assert!(Check::CONTRACT.contains(&Check::StatusDocumented));
/// assert_eq!(serde_json::to_string(&Check::RequestValid)?, "\"request_valid\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The status is one the operation documents.
    StatusDocumented,
    /// The status is one the scenario step expects.
    StatusExpected,
    /// The Content-Type is one documented for the status.
    ContentType,
    /// The body matches the documented schema.
    BodySchema,
    /// Documented headers are present (when required) and match their schemas.
    Headers,
    /// The body has no member its schema does not declare.
    UndocumentedFields,
    /// An answer arrived (replay): no connection failure or timeout.
    Transport,
    /// A value a step captures was in the answer (replay).
    Capture,
    /// The body holds what the step's `expect.body` matchers say (replay).
    BodyAssertion,
    /// The headers hold what the step's `expect.headers` matchers say (replay).
    HeaderAssertion,
    /// The scenario's results match its stored snapshot (replay).
    Snapshot,
    /// The request keeps the contract (proxy).
    RequestValid,
    /// An operation of the contract serves the request (proxy).
    Unknown,
}

impl Check {
    /// Whether a failure of this check means a replay step did not get what
    /// it expects (an answer, its status, its assertions, its captures), not
    /// that the answer breaks the contract: only these stop the phase of a
    /// setup or `guard` step (a setup that got its 404 with a body the schema
    /// refuses still found the state it checks for).
    pub fn is_expectation(self) -> bool {
        matches!(
            self,
            Check::Transport
                | Check::StatusExpected
                | Check::BodyAssertion
                | Check::HeaderAssertion
                | Check::Capture
        )
    }

    /// The checks that judge one response against the contract, in the order they run.
    pub const CONTRACT: [Check; 6] = [
        Check::StatusDocumented,
        Check::StatusExpected,
        Check::ContentType,
        Check::BodySchema,
        Check::Headers,
        Check::UndocumentedFields,
    ];

    /// The checks a replay run adds.
    pub const RUNNER: [Check; 5] = [
        Check::Transport,
        Check::Capture,
        Check::BodyAssertion,
        Check::HeaderAssertion,
        Check::Snapshot,
    ];

    /// The name used in reports: `status_documented`, `body_schema`, ...
    pub fn name(self) -> &'static str {
        match self {
            Check::StatusDocumented => "status_documented",
            Check::StatusExpected => "status_expected",
            Check::ContentType => "content_type",
            Check::BodySchema => "body_schema",
            Check::Headers => "headers",
            Check::UndocumentedFields => "undocumented_fields",
            Check::Transport => "transport",
            Check::Capture => "capture",
            Check::BodyAssertion => "body_assertion",
            Check::HeaderAssertion => "header_assertion",
            Check::Snapshot => "snapshot",
            Check::RequestValid => "request_valid",
            Check::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failed check, with what is wrong.
///
/// # Examples
///
/// ```
/// use mimeo::{Check, CheckFailure};
///
/// let f = CheckFailure { check: Check::Headers, message: "Retry-After is required for 429 but missing".into() };
/// assert_eq!(f.to_string(), "headers: Retry-After is required for 429 but missing");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckFailure {
    /// The check.
    pub check: Check,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// Which checks ran on a response, and which of them failed.
///
/// # Examples
///
/// ```
/// use hyper::header::HeaderMap;
///
/// let contract = mimeo::Contract::embedded()?;
/// let delete = contract.operation_by_id("DeleteStore").unwrap();
/// let checked = mimeo::check_response(&contract, delete, 418, &HeaderMap::new(), b"", None);
/// assert_eq!(checked.ran, [mimeo::Check::StatusDocumented]);
/// assert!(!checked.passed());
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The checks that applied, in order (each once).
    pub ran: Vec<Check>,
    /// The failures; a check may fail more than once (one per broken field). At
    /// most 20 are listed per check; the last failure of a check with more says
    /// how many more there were.
    pub failures: Vec<CheckFailure>,
    /// Failures found but not listed in `failures`, by check (a lower bound when
    /// counting stopped: a body too large to look for every violation).
    pub unlisted: Vec<(Check, usize)>,
}

impl Checked {
    /// Whether every check that ran held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// [`Check::StatusExpected`]: whether `status` is one of `expected`.
pub(crate) fn status_expected(status: u16, expected: &[u16]) -> Option<CheckFailure> {
    if expected.contains(&status) {
        return None;
    }
    let list: Vec<String> = expected.iter().map(u16::to_string).collect();
    Some(CheckFailure {
        check: Check::StatusExpected,
        message: format!("got {status}, expected {}", list.join(" or ")),
    })
}

/// Checks one response of `op` against the contract, and says which checks
/// applied so reports can count passes by name. `expected` is the set of
/// statuses the caller expects, if any.
///
/// # Examples
///
/// ```
/// use mimeo::{check_response, Check, Contract};
/// use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
///
/// let contract = Contract::embedded()?;
/// let fetch = contract.operation_by_id("FetchProfileIdentifier").unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
/// let ok = check_response(&contract, fetch, 200, &headers, br#"{"idType":"email","values":["a@x.io"]}"#, None);
/// assert!(ok.passed());
/// let bad = check_response(&contract, fetch, 200, &headers, br#"{"values":"a@x.io"}"#, Some(&[200]));
/// assert_eq!(bad.failures[0].check, Check::BodySchema);
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
pub fn check_response(
    contract: &Contract,
    op: &Operation,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    expected: Option<&[u16]>,
) -> Checked {
    check_response_of(
        contract,
        &op.method,
        op,
        status,
        headers,
        &AnswerBody::new(body),
        expected,
    )
}

/// An answer's body, read as JSON at most once however many checks look into
/// it (the contract's checks, `expect`, captures).
pub(crate) struct AnswerBody<'a> {
    bytes: &'a [u8],
    json: std::cell::OnceCell<Result<Value, String>>,
}

impl<'a> AnswerBody<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> AnswerBody<'a> {
        AnswerBody {
            bytes,
            json: std::cell::OnceCell::new(),
        }
    }

    /// The body as received.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The body as JSON, or why it is not (serde_json's words).
    pub(crate) fn json(&self) -> Result<&Value, &str> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.bytes).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// [`check_response`] on a body that other checks may read as JSON too.
pub(crate) fn check_response_of(
    contract: &Contract,
    method: &hyper::Method,
    op: &Operation,
    status: u16,
    headers: &HeaderMap,
    answer: &AnswerBody<'_>,
    expected: Option<&[u16]>,
) -> Checked {
    let body = answer.bytes();
    let mut checked = Checked::default();
    'checks: {
        let out = &mut checked.failures;
        let ran = &mut checked.ran;
        let unlisted = &mut checked.unlisted;
        let fail = |out: &mut Vec<CheckFailure>, check: Check, message: String| {
            out.push(CheckFailure { check, message })
        };
        let mut ran = |check: Check| {
            if !ran.contains(&check) {
                ran.push(check);
            }
        };
        if let Some(exp) = expected {
            ran(Check::StatusExpected);
            out.extend(status_expected(status, exp));
        }
        ran(Check::StatusDocumented);
        let Some(response) = op.response_for(status) else {
            fail(
                out,
                Check::StatusDocumented,
                format!(
                    "{status} is not documented for {}; documented: {}",
                    op.name(),
                    op.documented_list()
                ),
            );
            break 'checks;
        };

        if !response.headers.is_empty() {
            ran(Check::Headers);
        }
        for h in &response.headers {
            let values: Vec<&str> = headers
                .get_all(h.name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            match values.first() {
                // The bytes sent decide these (a length, a coding the client
                // allowed), not the document: their absence breaks nothing.
                None if h.required && !describes_bytes(&h.name) => fail(
                    out,
                    Check::Headers,
                    format!("{} is required for {status} but missing", h.name),
                ),
                None => {}
                Some(v) => {
                    if let Some(s) = h.schema {
                        // Text that does not read as the schema's type is judged as a string,
                        // so the schema's own `type` rule reports it.
                        let value =
                            parse_text(&h.kind, v).unwrap_or_else(|_| Value::String(v.to_string()));
                        let found = contract.schemas.violations(s, &value);
                        let shown = limits::truncate(v, 200);
                        for viol in &found.items {
                            fail(
                                out,
                                Check::Headers,
                                format!(
                                    "{}: `{shown}` breaks {}: {}",
                                    h.name, viol.rule, viol.message
                                ),
                            );
                        }
                        more(out, unlisted, Check::Headers, &found, "violations");
                    }
                }
            }
        }

        if *method == hyper::Method::HEAD {
            // The answer to a HEAD has no body, whatever its headers say of
            // the body a GET would get (RFC 9110 §9.3.2).
            break 'checks;
        }
        if crate::respond::bodiless(status) {
            // A 204, 205 or 304 has no body, whatever the document lists (a
            // client's framing drops a 204's or 304's; a 205's arrives).
            if !body.is_empty() {
                ran(Check::BodySchema);
                fail(
                    out,
                    Check::BodySchema,
                    format!(
                        "a {status} has no content (RFC 9110), but {} byte(s) came",
                        body.len()
                    ),
                );
            }
            break 'checks;
        }
        if response.content.is_empty() {
            break 'checks;
        }
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        // For messages only: made when one is written.
        let documented = || {
            response
                .content
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
        };
        let media = match content_type {
            None if body.is_empty() => {
                ran(Check::BodySchema);
                fail(
                    out,
                    Check::BodySchema,
                    format!(
                        "the body is empty; {status} documents {}",
                        documented().join(" or ")
                    ),
                );
                break 'checks;
            }
            None => {
                ran(Check::ContentType);
                fail(
                    out,
                    Check::ContentType,
                    format!("missing; {status} documents {}", documented().join(" or ")),
                );
                break 'checks;
            }
            Some(ct) => {
                ran(Check::ContentType);
                let found = response
                    .content
                    .iter()
                    .find(|m| media::matches(&m.name, ct));
                match found {
                    Some(m) => m,
                    None => {
                        fail(
                            out,
                            Check::ContentType,
                            format!(
                                "`{ct}` is not documented for {status}; documented: {}",
                                documented().join(" or ")
                            ),
                        );
                        break 'checks;
                    }
                }
            }
        };
        // A wildcard (`*/*`) holds JSON only when the answer says it is JSON.
        let json = match content_type {
            Some(ct) if media::essence(&media.name).contains('*') => media::is_json(ct),
            _ => media.json,
        };
        if !json {
            break 'checks;
        }
        ran(Check::BodySchema);
        let verdict = match body::judge(contract, media.schema, headers, answer) {
            Ok(v) => v,
            Err(e) => {
                fail(out, Check::BodySchema, e);
                break 'checks;
            }
        };
        if verdict.walked {
            ran(Check::UndocumentedFields);
        }
        out.extend(verdict.failures.iter().cloned());
        unlisted.extend(verdict.unlisted.iter().copied());
    }
    checked
}

/// Response headers that describe the bytes sent rather than the resource.
fn describes_bytes(name: &str) -> bool {
    [
        "content-length",
        "transfer-encoding",
        "content-range",
        "content-encoding",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Most bytes a coded body may decode to before it is judged too large.
pub(crate) const MAX_DECODED: usize = 64 << 20;

/// Adds the "and N more" failure of a check whose list was cut, and counts them.
fn more<T>(
    out: &mut Vec<CheckFailure>,
    unlisted: &mut Vec<(Check, usize)>,
    check: Check,
    found: &Capped<T>,
    what: &str,
) {
    if let Some(text) = found.more_text(what) {
        out.push(CheckFailure {
            check,
            message: limits::truncate(&text, MAX_MESSAGE).into_owned(),
        });
        unlisted.push((check, found.more));
    }
}
