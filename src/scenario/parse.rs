//! From YAML text to a checked [`Scenario`]: the file's shape first (serde, with
//! spans), then its meaning against the contract. Every problem found is reported,
//! each with its line and column.

use std::path::PathBuf;

use hyper::header::HeaderName;
use hyper::Method;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::template::{self, is_name, placeholder, Template};
use super::{Body, Capture, CaptureFrom, RedactTarget, Redaction, Scenario, Step, StepAuth};
use crate::contract::Contract;
use crate::diagnostic::Diagnostic;
use crate::routing::RouteMatch;
use crate::support::duration::DurationText;
use crate::support::{limits, pointer, yaml};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    needs: Option<Spanned<String>>,
    #[serde(default)]
    vars: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    redact: Vec<Spanned<RawRedaction>>,
    steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedaction {
    #[serde(default)]
    header: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    matching: Option<String>,
    #[serde(default)]
    with: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    name: Option<String>,
    request: Spanned<RawRequest>,
    #[serde(default)]
    expect: Option<RawExpect>,
    #[serde(default)]
    capture: IndexMap<String, Spanned<RawCapture>>,
    #[serde(default)]
    auth: Option<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    outside_contract: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    method: Spanned<String>,
    path: Spanned<String>,
    #[serde(default)]
    query: IndexMap<String, Spanned<OneOrMany<QueryText>>>,
    #[serde(default)]
    headers: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    body: Option<Spanned<Value>>,
    #[serde(default)]
    raw_body: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Spanned<OneOrMany<Status>>,
}

/// A value or a list of values. Hand-written so a wrong type gets a message that
/// says what to write instead of "did not match any variant".
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Query values are text. Numbers are taken as written; a YAML boolean is refused
/// because `yes` or `on` would silently become `true`.
struct QueryText(String);

impl<'de> Deserialize<'de> for QueryText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = QueryText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a query value (text; quote it: \"true\")")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<QueryText, E> {
                Err(E::custom(format!(
                    "a query value read as the boolean {v}; put it in quotes so it is sent exactly as written (for example \"{v}\" or \"yes\")"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

impl Clone for QueryText {
    fn clone(&self) -> Self {
        QueryText(self.0.clone())
    }
}

/// A status code.
#[derive(Clone)]
struct Status(u16);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        u16::try_from(n)
            .map(Status)
            .map_err(|_| serde::de::Error::custom(format!("{n} is not an HTTP status")))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(OneOrMany::Many(out))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::StrDeserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::U64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::I64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::F64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::BoolDeserializer::new(v)).map(OneOrMany::One)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    header: Option<String>,
}

/// Problems listed per file; the rest are counted (a file with thousands of
/// mistakes gets a readable list, not megabytes of it).
const MAX_ERRORS: usize = 100;

/// Variables named in an "unknown variable" message.
const MAX_KNOWN_LISTED: usize = 10;

/// Collects errors for one file: the first [`MAX_ERRORS`], and a count.
struct Errors {
    file: String,
    list: Vec<Diagnostic>,
    more: usize,
}

impl Errors {
    fn at(&mut self, loc: &Location, message: impl Into<String>) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(yaml::at(&self.file, loc, message));
        } else {
            self.more += 1;
        }
    }

    /// Whether any problem was found.
    fn any(&self) -> bool {
        !self.list.is_empty()
    }

    /// How many were found so far.
    fn count(&self) -> usize {
        self.list.len() + self.more
    }

    /// The list, with a last line counting those not listed.
    fn finish(mut self) -> Vec<Diagnostic> {
        if self.more > 0 {
            self.list.push(Diagnostic::new(
                &self.file,
                format!("and {} more problem(s) in this file, not listed", self.more),
            ));
        }
        self.list
    }
}

/// The variables known at a point of a scenario, in the order they became known.
type Known = indexmap::IndexSet<String>;

pub(super) fn scenario(
    file: PathBuf,
    text: &str,
    contract: &Contract,
) -> Result<Scenario, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let raw: RawScenario = yaml::from_str(&name, text).map_err(|e| vec![e])?;
    let mut errors = Errors {
        file: name,
        list: Vec::new(),
        more: 0,
    };

    if raw.name.value.trim().is_empty() {
        errors.at(&raw.name.referenced, "`name` is empty");
    }
    let needs_mock = match &raw.needs {
        None => false,
        Some(n) if n.value == "mock" => true,
        Some(n) => {
            errors.at(
                &n.referenced,
                format!(
                    "`needs: {}` is not known; the only value is `mock`",
                    n.value
                ),
            );
            false
        }
    };
    let mut vars = IndexMap::new();
    for (name, value) in &raw.vars {
        if !is_name(name) {
            errors.at(
                &value.referenced,
                format!("`{name}` is not a variable name (letters, digits and _)"),
            );
        }
        vars.insert(name.clone(), value.value.clone());
    }
    let redact = raw
        .redact
        .iter()
        .filter_map(|r| redaction(r, &mut errors))
        .collect();

    if raw.steps.value.is_empty() {
        errors.at(
            &raw.steps.referenced,
            "`steps` is empty; a scenario needs at least one step",
        );
    }
    // Variables known so far: declared ones, then each step's captures.
    let mut known: Known = vars.keys().cloned().collect();
    let mut steps = Vec::new();
    for raw_step in &raw.steps.value {
        if let Some(step) = step(raw_step, contract, needs_mock, &mut known, &mut errors) {
            steps.push(step);
        }
    }

    if errors.any() {
        return Err(errors.finish());
    }
    let snapshot = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    Ok(Scenario {
        file,
        snapshot,
        name: raw.name.value.trim().to_string(),
        description: raw.description,
        needs_mock,
        vars,
        redact,
        steps,
    })
}

fn redaction(r: &Spanned<RawRedaction>, errors: &mut Errors) -> Option<Redaction> {
    let raw = &r.value;
    let with = raw.with.clone().unwrap_or_else(|| "[redacted]".into());
    let given = [&raw.header, &raw.body, &raw.matching]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        errors.at(
            &r.referenced,
            "a redaction rule takes exactly one of `header`, `body` (a JSON pointer) or `matching` (a regular expression)",
        );
        return None;
    }
    let target = if let Some(h) = &raw.header {
        match HeaderName::from_bytes(h.as_bytes()) {
            Ok(name) => RedactTarget::Header(name),
            Err(_) => {
                errors.at(&r.referenced, format!("`{h}` is not a header name"));
                return None;
            }
        }
    } else if let Some(p) = &raw.body {
        match pointer::tokens(p).filter(|_| !p.is_empty()) {
            Some(tokens) => RedactTarget::Body(tokens),
            None => {
                errors.at(
                    &r.referenced,
                    format!("`{p}` is not a JSON pointer (it must start with `/`)"),
                );
                return None;
            }
        }
    } else {
        let pattern = raw.matching.as_deref().unwrap_or_default();
        match regex::Regex::new(pattern) {
            Ok(re) if re.is_match("") => {
                errors.at(
                    &r.referenced,
                    format!("`{pattern}` matches the empty string, so it would redact everywhere"),
                );
                return None;
            }
            Ok(re) => RedactTarget::Matching(re),
            Err(e) => {
                errors.at(
                    &r.referenced,
                    format!("`{pattern}` is not a regular expression: {e}"),
                );
                return None;
            }
        }
    };
    Some(Redaction { target, with })
}

fn step(
    raw: &Spanned<RawStep>,
    contract: &Contract,
    needs_mock: bool,
    known: &mut Known,
    errors: &mut Errors,
) -> Option<Step> {
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

    let path = check_template(errors, known, &req.path.value, &req.path.referenced, "path");
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
                &format!("query parameter {name}"),
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
            &format!("header {name}"),
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
            let what = format!("body at {shown}");
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
            check_template(errors, known, &r.value, &r.referenced, "raw_body").map(Body::Raw)
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
        let probe: String = p
            .source()
            .split("{{")
            .enumerate()
            .map(|(i, piece)| {
                if i == 0 {
                    piece.to_string()
                } else {
                    piece
                        .split_once("}}")
                        .map(|(_, rest)| format!("x{rest}"))
                        .unwrap_or_default()
                }
            })
            .collect();
        let probe = probe.split('?').next().unwrap_or_default();
        match contract.route(m, probe) {
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

    let expect = raw.expect.as_ref().map(|e| {
        let codes: Vec<u16> = e.status.value.to_vec().into_iter().map(|s| s.0).collect();
        if codes.is_empty() {
            errors.at(&e.status.referenced, "`status` lists no status");
        }
        for c in &codes {
            if !(100..=599).contains(c) {
                errors.at(&e.status.referenced, format!("{c} is not an HTTP status"));
            } else if let Some(op) = operation.map(|i| contract.op(i)) {
                if !op.documents(*c) {
                    errors.at(
                        &e.status.referenced,
                        format!(
                            "{} does not document {c}; it documents {}",
                            op.name(),
                            op.documented_list()
                        ),
                    );
                }
            }
        }
        codes
    });

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
        known.insert(var.clone());
    }

    if errors.count() > before {
        return None;
    }
    let (method, path) = (method?, path?);
    let mut step = Step {
        name: String::new(),
        line: step_loc.line() as usize,
        method,
        path,
        query,
        headers,
        body,
        auth,
        timeout,
        expect,
        operation,
        captures,
    };
    step.name = match &raw.name {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => step.request_line(),
    };
    Some(step)
}

/// Parses a template and checks that it reads only variables known at this point.
fn check_template(
    errors: &mut Errors,
    known: &Known,
    text: &str,
    loc: &Location,
    what: &str,
) -> Option<Template> {
    match Template::parse(text) {
        Ok(t) => {
            for v in t.vars() {
                if !known.contains(v) {
                    errors.at(loc, unknown_var(v, what, known));
                }
            }
            Some(t)
        }
        Err(e) => {
            errors.at(loc, format!("{what}: {e}"));
            None
        }
    }
}

fn unknown_var(name: &str, what: &str, known: &Known) -> String {
    let list = if known.is_empty() {
        "none are declared".to_string()
    } else {
        let names = known.iter().map(String::as_str);
        format!(
            "known here: {}",
            limits::list_names(names, known.len(), MAX_KNOWN_LISTED)
        )
    };
    format!(
        "{what}: unknown variable `{}` ({list}); declare it under `vars` or capture it in an earlier step",
        placeholder(name)
    )
}
