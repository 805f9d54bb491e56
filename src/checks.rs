//! Response checks: does a response keep the contract?
//!
//! Each check has a name ([`Check`]) so reports, JUnit files and proxy logs can
//! say exactly which promise was broken. The mock's own tests, the conformance
//! runner and the proxy all use these same checks.

use std::fmt;
use std::fmt::Write as _;

use hyper::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use crate::contract::{Contract, Operation};
use crate::support::limits::{self, Capped, MAX_LISTED, MAX_MESSAGE};
use crate::support::{media, pointer};
use crate::validate::parse_text;

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
        // A decoded body is read here; one sent as is, once for every check,
        // and judged once per thread for the same bytes (see `BODIES`).
        let verdict = match crate::http::coding::decode(headers, body, MAX_DECODED) {
            Ok(Some(d)) => {
                let decoded = serde_json::from_slice::<Value>(&d).map_err(|e| e.to_string());
                std::rc::Rc::new(judge_body(
                    contract,
                    media.schema,
                    decoded.as_ref().map_err(String::as_str),
                ))
            }
            Ok(None) => {
                let uid = contract.profile.uid.0;
                let id = media.schema.map_or(u64::MAX, |s| s.index() as u64);
                // (`try_with`: a check run from a thread-local's destructor
                // judges without the memo.)
                let kept = BODIES.try_with(|b| b.borrow().get(uid, id, body));
                kept.ok().flatten().unwrap_or_else(|| {
                    let made = std::rc::Rc::new(judge_body(contract, media.schema, answer.json()));
                    let weight = made.failures.iter().map(|f| f.message.len()).sum();
                    let _ = BODIES
                        .try_with(|b| b.borrow_mut().keep(uid, id, body, made.clone(), weight));
                    made
                })
            }
            Err(e) => {
                fail(out, Check::BodySchema, e.to_string());
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

/// What the body checks found in one JSON body (see [`judge_body`]).
#[derive(Default)]
struct BodyVerdict {
    /// Whether the body was walked for undeclared members (it is JSON and a
    /// schema documents it).
    walked: bool,
    failures: Vec<CheckFailure>,
    unlisted: Vec<(Check, usize)>,
}

thread_local! {
    /// Verdicts about answers' bodies: the same bytes against the same schema
    /// are judged the same, and a target answers the same bodies again and
    /// again (parsing and judging one took a seventh of a proxied request's
    /// instructions).
    static BODIES: std::cell::RefCell<crate::support::seen::SeenBodies<std::rc::Rc<BodyVerdict>>> =
        const { std::cell::RefCell::new(crate::support::seen::SeenBodies::new()) };
}

/// The body checks of an answer read as `parsed`, against `schema` when its
/// media type has one: JSON at all, the schema's rules, undeclared members.
fn judge_body(
    contract: &Contract,
    schema: Option<crate::contract::schema::SchemaId>,
    parsed: Result<&Value, &str>,
) -> BodyVerdict {
    let mut verdict = BodyVerdict::default();
    let out = &mut verdict.failures;
    let fail = |out: &mut Vec<CheckFailure>, check: Check, message: String| {
        out.push(CheckFailure { check, message })
    };
    let value: &Value = match parsed {
        Ok(v) => v,
        Err(e) => {
            fail(out, Check::BodySchema, format!("the body is not JSON: {e}"));
            return verdict;
        }
    };
    let Some(s) = schema else {
        return verdict;
    };
    verdict.walked = true;
    let found = contract.schemas.violations(s, value);
    for v in &found.items {
        let at = if v.pointer.is_empty() {
            "/"
        } else {
            v.pointer.as_str()
        };
        fail(
            out,
            Check::BodySchema,
            format!(
                "at {}: {}: {}",
                limits::truncate(at, 200),
                v.rule,
                v.message
            ),
        );
    }
    let unlisted = &mut verdict.unlisted;
    more(
        out,
        unlisted,
        Check::BodySchema,
        &found,
        "violations of the schema",
    );
    let mut extra = Capped::default();
    let mut walk = Walk {
        doc: &contract.document,
        at: Vec::new(),
        out: &mut extra,
        work: UNDOCUMENTED_WORK,
    };
    let root = contract
        .schemas
        .resolved_source(s)
        .unwrap_or_else(|| contract.schemas.source(s));
    walk.undocumented(root, value, 0);
    for p in &extra.items {
        fail(
            out,
            Check::UndocumentedFields,
            format!("{} is not declared by the schema", limits::truncate(p, 200)),
        );
    }
    more(
        out,
        unlisted,
        Check::UndocumentedFields,
        &extra,
        "undeclared members",
    );
    verdict
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

/// Values and schema branches [`Walk::undocumented`] may visit for one body: a
/// schema whose compositions multiply cannot make the walk unbounded.
const UNDOCUMENTED_WORK: usize = 1_000_000;

/// The walk looking for undeclared members.
struct Walk<'a, 'v, 'o> {
    doc: &'a Value,
    /// Where the value being looked at is. A JSON pointer is written only for a
    /// member reported: most bodies have none, and escaping every name cost more.
    at: Vec<Step<'v>>,
    out: &'o mut Capped<String>,
    /// Work left (values times branches).
    work: usize,
}

/// One step of [`Walk::at`].
enum Step<'v> {
    Member(&'v str),
    Item(usize),
}

impl<'a, 'v> Walk<'a, 'v, '_> {
    /// The JSON pointer of member `name` of the value being looked at.
    fn pointer_to(&self, name: &str) -> String {
        let mut at = String::new();
        for step in &self.at {
            match step {
                Step::Member(k) => pointer::push(&mut at, k),
                Step::Item(i) => {
                    let _ = write!(at, "/{i}");
                }
            }
        }
        pointer::push(&mut at, name);
        at
    }

    /// Collects JSON pointers of object members no schema branch declares. Objects
    /// whose schema declares no properties (free-form maps) are not judged. When
    /// the work budget runs out the rest is not looked at (`open` says so).
    fn undocumented(&mut self, schema: &'a Value, value: &'v Value, depth: usize) {
        if depth > 32 {
            return;
        }
        // A scalar has no members: its schema need not be resolved (most values
        // of a body are scalars). It still counts as one unit of work.
        if !matches!(value, Value::Object(_) | Value::Array(_)) {
            self.work = self.work.saturating_sub(1);
            return;
        }
        let Some(root) = Node::resolve(self.doc, schema) else {
            return;
        };
        // Most schemas compose nothing: their one branch needs no list.
        let many;
        let branches: &[Node<'a>] = if root.composes() {
            many = branches(self.doc, root);
            &many
        } else {
            std::slice::from_ref(&root)
        };
        let cost = branches.len().max(1);
        if self.work < cost {
            self.out.open = true;
            return;
        }
        self.work -= cost;
        match value {
            Value::Object(map) => {
                let declares = branches
                    .iter()
                    .any(|b| b.properties.is_some_and(Value::is_object));
                let open_map = branches.iter().any(|b| b.open);
                for (k, v) in map {
                    let prop = branches
                        .iter()
                        .find_map(|b| b.properties.and_then(|p| p.get(k)));
                    match prop {
                        Some(p) => {
                            self.at.push(Step::Member(k));
                            self.undocumented(p, v, depth + 1);
                            self.at.pop();
                        }
                        None if declares && !open_map => {
                            let at = self.pointer_to(k);
                            self.out.push_limited(at, MAX_LISTED);
                        }
                        None => {}
                    }
                    if self.out.open {
                        return;
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = branches.iter().find_map(|b| b.items) {
                    for (i, v) in items.iter().enumerate() {
                        self.at.push(Step::Item(i));
                        self.undocumented(item_schema, v, depth + 1);
                        self.at.pop();
                        if self.out.open {
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// What [`Walk::undocumented`] reads of one schema object, gathered in one pass
/// over its members (instead of a hashed look-up per keyword).
#[derive(Clone, Copy)]
struct Node<'a> {
    /// The schema itself.
    schema: &'a Value,
    /// `$ref`, when it is a string.
    reference: Option<&'a str>,
    /// `properties`, whatever it is.
    properties: Option<&'a Value>,
    /// `additionalProperties` is a schema object, or `patternProperties` is present.
    open: bool,
    /// `items`, when it is a schema object.
    items: Option<&'a Value>,
    /// `allOf`, `oneOf` and `anyOf`, when they are arrays.
    compositions: [Option<&'a Vec<Value>>; 3],
}

impl<'a> Node<'a> {
    fn read(schema: &'a Value) -> Node<'a> {
        let mut node = Node {
            schema,
            reference: None,
            properties: None,
            open: false,
            items: None,
            compositions: [None; 3],
        };
        if let Value::Object(members) = schema {
            for (k, v) in members {
                match k.as_str() {
                    "$ref" => node.reference = v.as_str(),
                    "properties" => node.properties = Some(v),
                    "additionalProperties" => node.open |= v.is_object(),
                    "patternProperties" => node.open = true,
                    "items" => node.items = Some(v).filter(|i| i.is_object()),
                    "allOf" => node.compositions[0] = v.as_array(),
                    "oneOf" => node.compositions[1] = v.as_array(),
                    "anyOf" => node.compositions[2] = v.as_array(),
                    _ => {}
                }
            }
        }
        node
    }

    /// The node of `schema` with its `$ref`s followed (as `schema::resolve` follows them).
    fn resolve(doc: &'a Value, mut schema: &'a Value) -> Option<Node<'a>> {
        for _ in 0..32 {
            let node = Node::read(schema);
            match node.reference {
                Some(r) => schema = pointer::fragment(doc, r.strip_prefix('#')?)?,
                None => return Some(node),
            }
        }
        None
    }

    fn composes(&self) -> bool {
        self.compositions.iter().any(Option::is_some)
    }
}

/// A schema and everything it composes (allOf/oneOf/anyOf), refs resolved.
/// Each schema appears once (a self-referencing composition cannot multiply), and
/// at most 64 are collected.
fn branches<'a>(doc: &'a Value, root: Node<'a>) -> Vec<Node<'a>> {
    let mut out: Vec<Node<'a>> = vec![root];
    let mut i = 0;
    while i < out.len() && out.len() < 64 {
        let current = out[i];
        for list in current.compositions.into_iter().flatten() {
            for item in list {
                if let Some(r) = Node::resolve(doc, item) {
                    if !out.iter().any(|seen| std::ptr::eq(seen.schema, r.schema)) && out.len() < 64
                    {
                        out.push(r);
                    }
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn undeclared_members_are_named_by_their_json_pointer() {
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{"200":{"description":"ok","content":{"application/json":{
            "schema":{"$ref":"#/components/schemas/Top"}}}}}}}},
            "components":{"schemas":{
              "Top":{"type":"object","properties":{"a/b":{"type":"array","items":{"$ref":"#/components/schemas/Item"}},
                "free":{"type":"object"},"more":{"allOf":[{"$ref":"#/components/schemas/Item"},{"type":"object","properties":{"z":{"type":"integer"}}}]}}},
              "Item":{"type":"object","properties":{"n":{"type":"integer"}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        let op = contract.operation_by_id("x").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"a/b":[{"n":1},{"n":2,"x~y":3}],"free":{"any":1},"more":{"n":1,"z":2,"w":3},"top":0}"#;
        let checked = check_response(&contract, op, 200, &headers, body, None);
        let found: Vec<&str> = checked
            .failures
            .iter()
            .filter(|f| f.check == Check::UndocumentedFields)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(
            found,
            [
                "/a~1b/1/x~0y is not declared by the schema",
                "/more/w is not declared by the schema",
                "/top is not declared by the schema",
            ]
        );
    }

    #[test]
    fn a_body_seen_again_is_judged_as_it_was_and_only_by_its_own_schema() {
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{
              "200":{"description":"ok","content":{"application/json":{"schema":{
                "type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}}}},
              "201":{"description":"made","content":{"application/json":{"schema":{
                "type":"object","properties":{"b":{"type":"string"}}}}}}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        let op = contract.operation_by_id("x").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"b":1}"#;
        // (The memo keeps a body judged twice: the third check finds it.)
        let first = check_response(&contract, op, 200, &headers, body, None);
        check_response(&contract, op, 200, &headers, body, None);
        let again = check_response(&contract, op, 200, &headers, body, None);
        let messages = |c: &Checked| {
            c.failures
                .iter()
                .map(|f| format!("{}: {}", f.check.name(), f.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&first).len(), 2, "{:?}", messages(&first));
        assert_eq!(messages(&again), messages(&first));
        assert_eq!(again.ran, first.ran);
        assert!(first.ran.contains(&Check::UndocumentedFields));
        // The same bytes under another status are judged by that status's schema.
        let other = check_response(&contract, op, 201, &headers, body, None);
        assert_eq!(
            messages(&other),
            ["body_schema: at /b: type: 1 is not of type \"string\""]
        );
        // Not JSON, seen twice: the same failure, and no walk.
        let broken = check_response(&contract, op, 200, &headers, b"{", None);
        check_response(&contract, op, 200, &headers, b"{", None);
        let broken_again = check_response(&contract, op, 200, &headers, b"{", None);
        assert_eq!(messages(&broken_again), messages(&broken));
        assert!(!broken_again.ran.contains(&Check::UndocumentedFields));
        // Another contract, its schema at the same place changed: judged by its own.
        let changed =
            Contract::from_text("t.json", &doc.replace(r#""required":["a"],"#, "")).unwrap();
        let op = changed.operation_by_id("x").unwrap();
        let fresh = check_response(&changed, op, 200, &headers, body, None);
        assert_eq!(
            messages(&fresh),
            ["undocumented_fields: /b is not declared by the schema"]
        );
    }

    #[test]
    fn an_answer_checked_from_a_thread_locals_destructor_is_judged_without_the_memo() {
        struct Late(Option<Contract>);
        impl Drop for Late {
            fn drop(&mut self) {
                let Some(contract) = self.0.take() else {
                    return;
                };
                let op = contract.operation_by_id("x").unwrap();
                let mut headers = HeaderMap::new();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                let checked = check_response(&contract, op, 200, &headers, b"{", None);
                assert_eq!(checked.failures.len(), 1);
            }
        }
        thread_local! {
            static LATE: std::cell::RefCell<Late> = const { std::cell::RefCell::new(Late(None)) };
        }
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{"200":{"description":"ok","content":{"application/json":{
            "schema":{"type":"object"}}}}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        // The memo is made after `LATE`, so it is gone when `LATE` is dropped.
        std::thread::spawn(move || {
            let own = Contract::from_text("t.json", doc).unwrap();
            LATE.with(|l| l.borrow_mut().0 = Some(own));
            let op = contract.operation_by_id("x").unwrap();
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            check_response(&contract, op, 200, &headers, b"{", None);
        })
        .join()
        .unwrap();
    }
}
