//! Response checks: does a response keep the contract?
//!
//! Each check has a name (`status_documented`, `status_expected`, `content_type`,
//! `body_schema`, `headers`, `undocumented_fields`) so reports, JUnit files and
//! proxy logs can say exactly which promise was broken. The mock's own tests, the
//! conformance runner and the proxy all use these same checks.

use hyper::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use crate::contract::{schema, Contract, Operation};
use crate::validate::{media_matches, parse_text};

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckFailure {
    /// The check's name.
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// Every check name, in the order they run.
pub const CHECKS: [&str; 6] = [
    "status_documented",
    "status_expected",
    "content_type",
    "body_schema",
    "headers",
    "undocumented_fields",
];

/// Which checks ran on a response, and which of them failed.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Names of the checks that applied, in order (each once).
    pub ran: Vec<&'static str>,
    /// The failures; a check may fail more than once (one per broken field).
    pub failures: Vec<CheckFailure>,
}

/// `status_expected`: whether `status` is one of `expected`.
pub fn status_expected(status: u16, expected: &[u16]) -> Option<CheckFailure> {
    if expected.contains(&status) {
        return None;
    }
    let list: Vec<String> = expected.iter().map(u16::to_string).collect();
    Some(CheckFailure {
        check: "status_expected",
        message: format!("got {status}, expected {}", list.join(" or ")),
    })
}

/// Checks one response of `op`, and says which checks applied so reports can
/// count passes by name. `expected` is the set of statuses the caller expects, if any.
pub fn run_checks(
    contract: &Contract,
    op: &Operation,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    expected: Option<&[u16]>,
) -> Checked {
    let mut checked = Checked::default();
    'checks: {
        let out = &mut checked.failures;
        let ran = &mut checked.ran;
        let fail = |out: &mut Vec<CheckFailure>, check: &'static str, message: String| {
            out.push(CheckFailure { check, message })
        };
        let mut ran = |name: &'static str| {
            if !ran.contains(&name) {
                ran.push(name);
            }
        };
        if let Some(exp) = expected {
            ran("status_expected");
            out.extend(status_expected(status, exp));
        }
        ran("status_documented");
        let Some(response) = op.response_for(status) else {
            fail(
                out,
                "status_documented",
                format!(
                    "{status} is not documented for {}; documented: {}",
                    op.name(),
                    op.documented_list()
                ),
            );
            break 'checks;
        };

        if !response.headers.is_empty() {
            ran("headers");
        }
        for h in &response.headers {
            let values: Vec<&str> = headers
                .get_all(h.name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            match values.first() {
                None if h.required => fail(
                    out,
                    "headers",
                    format!("{} is required for {status} but missing", h.name),
                ),
                None => {}
                Some(v) => {
                    if let Some(s) = h.schema {
                        // Text that does not read as the schema's type is judged as a string,
                        // so the schema's own `type` rule reports it.
                        let value =
                            parse_text(&h.kind, v).unwrap_or_else(|_| Value::String(v.to_string()));
                        for viol in contract.schemas.violations(s, &value) {
                            fail(
                                out,
                                "headers",
                                format!("{}: `{v}` breaks {}: {}", h.name, viol.rule, viol.message),
                            );
                        }
                    }
                }
            }
        }

        if response.content.is_empty() {
            break 'checks;
        }
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let documented: Vec<&str> = response.content.iter().map(|m| m.name.as_str()).collect();
        let media = match content_type {
            None if body.is_empty() => {
                ran("body_schema");
                fail(
                    out,
                    "body_schema",
                    format!(
                        "the body is empty; {status} documents {}",
                        documented.join(" or ")
                    ),
                );
                break 'checks;
            }
            None => {
                ran("content_type");
                fail(
                    out,
                    "content_type",
                    format!("missing; {status} documents {}", documented.join(" or ")),
                );
                break 'checks;
            }
            Some(ct) => {
                ran("content_type");
                let found = response.content.iter().find(|m| media_matches(&m.name, ct));
                match found {
                    Some(m) => m,
                    None => {
                        fail(
                            out,
                            "content_type",
                            format!(
                                "`{ct}` is not documented for {status}; documented: {}",
                                documented.join(" or ")
                            ),
                        );
                        break 'checks;
                    }
                }
            }
        };
        if !media.json {
            break 'checks;
        }
        ran("body_schema");
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                fail(out, "body_schema", format!("the body is not JSON: {e}"));
                break 'checks;
            }
        };
        if let Some(s) = media.schema {
            ran("undocumented_fields");
            for v in contract.schemas.violations(s, &value) {
                let at = if v.pointer.is_empty() {
                    "/".to_string()
                } else {
                    v.pointer
                };
                fail(
                    out,
                    "body_schema",
                    format!("at {at}: {}: {}", v.rule, v.message),
                );
            }
            let mut extra = Vec::new();
            undocumented(
                &contract.document,
                contract.schemas.source(s),
                &value,
                &mut String::new(),
                &mut extra,
                0,
            );
            for p in extra {
                fail(
                    out,
                    "undocumented_fields",
                    format!("{p} is not declared by the schema"),
                );
            }
        }
    }
    checked
}

/// Collects JSON pointers of object members no schema branch declares. Objects whose
/// schema declares no properties (free-form maps) are not judged.
fn undocumented(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &mut String,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let Some(schema) = schema::resolve(doc, schema) else {
        return;
    };
    let branches = branches(doc, schema);
    match value {
        Value::Object(map) => {
            let declares = branches
                .iter()
                .any(|b| b.get("properties").is_some_and(Value::is_object));
            let open_map = branches.iter().any(|b| {
                b.get("additionalProperties").is_some_and(Value::is_object)
                    || b.get("patternProperties").is_some()
            });
            for (k, v) in map {
                let prop = branches
                    .iter()
                    .find_map(|b| b.get("properties").and_then(|p| p.get(k)));
                let len = at.len();
                at.push('/');
                at.push_str(&crate::contract::source::escape_pointer_token(k));
                match prop {
                    Some(p) => undocumented(doc, p, v, at, out, depth + 1),
                    None if declares && !open_map => out.push(at.clone()),
                    None => {}
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = branches
                .iter()
                .find_map(|b| b.get("items").filter(|i| i.is_object()))
            {
                for (i, v) in items.iter().enumerate() {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&i.to_string());
                    undocumented(doc, item_schema, v, at, out, depth + 1);
                    at.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// A schema and everything it composes (allOf/oneOf/anyOf), refs resolved.
/// Each schema appears once (a self-referencing composition cannot multiply), and
/// at most 64 are collected.
fn branches<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = vec![schema];
    let mut i = 0;
    while i < out.len() && out.len() < 64 {
        let current = out[i];
        for key in ["allOf", "oneOf", "anyOf"] {
            for item in current
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(r) = schema::resolve(doc, item) {
                    if !out.iter().any(|seen| std::ptr::eq(*seen, r)) && out.len() < 64 {
                        out.push(r);
                    }
                }
            }
        }
        i += 1;
    }
    out
}
