//! A recorded session as a scenario file: each exchange as a step, path
//! parameters as variables, credentials left out (and scrubbed from the whole text
//! as a last guard), the observed status as the expectation, and redaction rules
//! for the volatile values the answers had.

use std::time::SystemTime;

use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use indexmap::IndexMap;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::vars::Vars;
use super::volatile::Volatile;
use super::yaml::{q, yaml};
use super::Exchange;
use crate::contract::{Contract, Operation, ParamIn};
use crate::http::intake::is_url_encoded;
use crate::proxy::forward::is_hop_by_hop;
use crate::routing::{RouteMatch, Said, Segment as TemplateSegment};
use crate::scenario::placeholder;
use crate::secrets::Secrets;
use crate::support::media;

/// Request headers a recording never keeps: the connection's own, what the replay
/// client sets itself, and credentials.
const NOT_RECORDED: [&str; 7] = [
    "host",
    "content-length",
    "authorization",
    "cookie",
    "user-agent",
    "accept-encoding",
    "expect",
];

/// A scenario's text and how many steps it has.
pub(super) struct Rendered {
    pub(super) text: String,
    pub(super) steps: usize,
}

/// A path segment of a recorded request.
enum Segment<'a> {
    /// Written as sent.
    Raw(&'a str),
    /// A path parameter's valid value, which becomes a variable.
    Param { name: &'a str, value: String },
}

/// How a request relates to the contract.
struct Routed<'a> {
    /// The operation that serves it.
    operation: Option<&'a Operation>,
    segments: Vec<Segment<'a>>,
}

/// Routes an exchange as the mock does: by its path, and on a path that
/// operations share, by its query, headers and form body too.
fn route<'a>(contract: &'a Contract, e: &'a Exchange) -> Routed<'a> {
    let (method, path) = (&e.method, e.path.as_str());
    let query: Vec<_> =
        form_urlencoded::parse(e.query.as_deref().unwrap_or("").as_bytes()).collect();
    let form: Vec<_> = match is_url_encoded(&e.headers) {
        true => crate::http::intake::routing_pairs(contract, &e.body),
        false => Vec::new(),
    };
    let said = Said {
        query: &query,
        headers: &e.headers,
        form: Some(&form),
    };
    let (operation, params_of) = match contract.route_request(method, path, &said) {
        RouteMatch::Found { handle, .. } => {
            let op = contract.op(handle);
            (Some(op), Some(op))
        }
        // Another method's operation names the parameters of this path.
        RouteMatch::MethodNotAllowed { template, .. } => (
            None,
            contract.operations.iter().find(|o| o.path == *template),
        ),
        RouteMatch::NotFound | RouteMatch::NeedsForm => (None, None),
    };
    // `/a/b` is `["", "a", "b"]`: the first piece is what comes before the `/`.
    let raw: Vec<&str> = path.split('/').collect();
    let segments = match params_of {
        Some(op) if op.path.segments().len() + 1 == raw.len() => {
            std::iter::once(Segment::Raw(raw[0]))
                .chain(op.path.segments().iter().zip(&raw[1..]).map(|(t, r)| {
                    match param_segment(contract, op, t, r) {
                        Some((name, value)) => Segment::Param { name, value },
                        None => Segment::Raw(r),
                    }
                }))
                .collect()
        }
        _ => raw.iter().map(|r| Segment::Raw(r)).collect(),
    };
    Routed {
        operation,
        segments,
    }
}

/// `(parameter, value)` when template segment `t` is one whole parameter and the
/// raw segment `r` holds a value that keeps its schema. Values that break the
/// contract stay literal: as variables, `--var` would make the request valid.
fn param_segment<'a>(
    contract: &Contract,
    op: &'a Operation,
    t: &TemplateSegment,
    r: &str,
) -> Option<(&'a str, String)> {
    let name = t.whole_param()?;
    let p = op.params_in(ParamIn::Path).find(|p| p.name == name)?;
    let value = percent_decode_str(r).decode_utf8().ok()?.into_owned();
    // A value holding `{{` cannot be a variable's (the scenario would read it
    // as a template): the segment stays as sent, percent-encoded.
    if value.is_empty() || value.contains("{{") {
        return None;
    }
    let valid = match p.schema {
        None => true,
        Some(s) => crate::validate::parse_text(&p.kind, &value)
            .is_ok_and(|v| contract.schemas.is_valid(s, &v)),
    };
    valid.then_some((p.name.as_str(), value))
}

/// Every string of a JSON value with `f` applied.
fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn any_string(value: &Value, f: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().any(|v| any_string(v, f)),
        Value::Object(map) => map.iter().any(|(k, v)| f(k) || any_string(v, f)),
        _ => false,
    }
}

/// A request body as a step holds it.
enum RecordedBody {
    /// `body:`, sent as JSON.
    Json(Value),
    /// `raw_body:`, sent exactly as written.
    Text(String),
}

/// Why an exchange whose text holds `{{` is left out: a scenario would read it as a
/// placeholder.
const BRACES: &str = "contains `{{`, which a scenario cannot express";

/// Values (JSON values, form fields) above which a body is written as the text
/// it was (`raw_body`: one value) instead of as YAML (one value each), so that
/// one large body cannot make a recording too big to load.
pub(super) const MAX_BODY_NODES: usize = 2_000;

/// The JSON values a body may hold, at most (one per `,`, `:`, `[` and `{`).
pub(super) fn json_nodes(body: &[u8]) -> usize {
    body.iter()
        .filter(|&&b| matches!(b, b',' | b':' | b'[' | b'{'))
        .count()
}

/// Replaces the values of members that look like credentials (by name, or by
/// value) with `[redacted]`, noting each and keeping the value to scrub.
fn redact_members(
    contract: &Contract,
    value: &mut Value,
    at: &mut String,
    notes: &mut Vec<String>,
    secrets: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = at.len();
                crate::support::pointer::push(at, k);
                let by_value = v.as_str().is_some_and(|s| contract.profile.is_secret(s));
                if crate::secrets::secret_name(k) || by_value {
                    forget(v, secrets);
                    *v = Value::String("[redacted]".into());
                    notes.push(format!("body member {at} (it looks like a credential)"));
                } else {
                    redact_members(contract, v, at, notes, secrets);
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                if v.as_str().is_some_and(|s| contract.profile.is_secret(s)) {
                    forget(v, secrets);
                    *v = Value::String("[redacted]".into());
                    notes.push(format!("body member {at} (it looks like a credential)"));
                } else {
                    redact_members(contract, v, at, notes, secrets);
                }
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every string and number in a value left out: scrubbed from the whole file.
fn forget(value: &Value, secrets: &mut Vec<String>) {
    match value {
        Value::String(s) => scrub_too(secrets, s),
        Value::Number(n) => scrub_too(secrets, &n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| forget(v, secrets)),
        Value::Object(map) => map.values().for_each(|v| forget(v, secrets)),
        _ => {}
    }
}

/// The body: JSON when the request said so and it is; otherwise the text as sent.
/// Members and form fields that look like credentials are left out (`[redacted]`)
/// and noted; recorded values become `{{var}}`.
fn request_body(
    contract: &Contract,
    ex: &Exchange,
    vars: &Vars,
    notes: &mut Vec<String>,
    secrets: &mut Vec<String>,
) -> Result<Option<RecordedBody>, String> {
    if ex.body.is_empty() {
        return Ok(None);
    }
    if ex.body.len() > super::MAX_FILE_BYTES / 2 {
        return Err(format!(
            "is larger than a scenario file holds ({})",
            crate::support::limits::format_size(super::MAX_FILE_BYTES / 2)
        ));
    }
    let content_type = ex
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json_type = media::is_json(content_type) && media::essence(content_type) != "*/*";
    match serde_json::from_slice::<Value>(&ex.body) {
        Ok(mut v) if json_type => {
            if any_string(&v, &|s| s.contains("{{")) {
                return Err(BRACES.into());
            }
            redact_members(contract, &mut v, &mut String::new(), notes, secrets);
            let v = map_strings(&v, &|s| vars.substitute(s));
            if json_nodes(&ex.body) > MAX_BODY_NODES {
                // Too many values to write out one by one: the text, as sent.
                let text = serde_json::to_string(&v).map_err(|e| e.to_string())?;
                return Ok(Some(RecordedBody::Text(text)));
            }
            Ok(Some(RecordedBody::Json(v)))
        }
        _ => match std::str::from_utf8(&ex.body) {
            Ok(text) if text.contains("{{") => Err(BRACES.into()),
            Ok(text) if media::essence(content_type) == "application/x-www-form-urlencoded" => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (k, v) in form_urlencoded::parse(text.as_bytes()) {
                    if crate::secrets::secret_name(&k) || contract.profile.is_secret(&v) {
                        scrub_too(secrets, &v);
                        notes.push(format!("form field {k} (it looks like a credential)"));
                        form.append_pair(&k, "[redacted]");
                    } else {
                        form.append_pair(&k, &vars.substitute(&v));
                    }
                }
                Ok(Some(RecordedBody::Text(form.finish())))
            }
            Ok(text) => Ok(Some(RecordedBody::Text(vars.substitute(text)))),
            Err(_) => Err("is not text".into()),
        },
    }
}

/// A value left out as a credential is also scrubbed from the whole file, unless
/// it is so short it would match unrelated text.
fn scrub_too(secrets: &mut Vec<String>, value: &str) {
    if value.len() >= 8 {
        secrets.push(value.to_string());
    }
}

/// One step's YAML, or why the exchange cannot be a step.
fn step(
    contract: &Contract,
    ex: &Exchange,
    routed: &Routed<'_>,
    vars: &Vars,
    secrets: &mut Vec<String>,
    needs_mock: &mut bool,
) -> Result<String, String> {
    let mut notes = Vec::new();
    let mut out = String::new();
    let sent_auth = ex.headers.get(AUTHORIZATION);
    for v in ex
        .headers
        .get_all(AUTHORIZATION)
        .iter()
        .chain(ex.headers.get_all("proxy-authorization"))
    {
        crate::secrets::authorization_secrets(&String::from_utf8_lossy(v.as_bytes()), secrets);
    }
    for v in ex.headers.get_all(COOKIE).iter() {
        let text = String::from_utf8_lossy(v.as_bytes());
        scrub_too(secrets, &text);
        for (_, value) in text.split(';').filter_map(|c| c.split_once('=')) {
            scrub_too(secrets, value.trim());
        }
    }

    // The path: parameters as variables; outside the contract, segments that hold a
    // recorded value.
    let mut path = String::new();
    for (i, seg) in routed.segments.iter().enumerate() {
        if i > 0 {
            path.push('/');
        }
        match seg {
            Segment::Param { name, value } => {
                let var = vars
                    .names
                    .iter()
                    .find(|(p, v, _)| p == name && v == value)
                    .map(|(_, _, var)| var.as_str())
                    .unwrap_or_default();
                path.push_str(&placeholder(var));
            }
            Segment::Raw(r) => {
                if r.contains("{{") {
                    return Err(format!("its path {BRACES}"));
                }
                let decoded = percent_decode_str(r).decode_utf8_lossy();
                match vars.var_of(&decoded).filter(|_| routed.operation.is_none()) {
                    Some(var) => path.push_str(&placeholder(var)),
                    None => path.push_str(r),
                }
            }
        }
    }

    // The query, decoded, secrets left out.
    let mut query: IndexMap<String, Vec<String>> = IndexMap::new();
    for (k, v) in form_urlencoded::parse(ex.query.as_deref().unwrap_or("").as_bytes()) {
        if crate::secrets::secret_name(&k) || contract.profile.is_secret(&v) {
            scrub_too(secrets, &v);
            notes.push(format!("query parameter {k} (it looks like a credential)"));
            continue;
        }
        if k.contains("{{") || v.contains("{{") {
            return Err(format!("its query {BRACES}"));
        }
        *needs_mock |= k.starts_with("__");
        query
            .entry(k.into_owned())
            .or_default()
            .push(vars.substitute(&v));
    }

    // Headers: the client's, minus the connection's, credentials and what replay sets.
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &ex.headers {
        let n = name.as_str();
        if NOT_RECORDED.contains(&n) || is_hop_by_hop(name, &[]) {
            continue;
        }
        let Ok(text) = value.to_str() else {
            notes.push(format!("header {n} (not text)"));
            continue;
        };
        if crate::secrets::secret_name(n) || contract.profile.is_secret(text) {
            scrub_too(secrets, text);
            notes.push(format!("header {n} (it looks like a credential)"));
            continue;
        }
        if text.contains("{{") {
            return Err(format!("its header {n} {BRACES}"));
        }
        *needs_mock |= n == "prefer";
        headers.push((n.to_string(), vars.substitute(text)));
    }

    let body = request_body(contract, ex, vars, &mut notes, secrets)
        .map_err(|why| format!("its body {why}"))?;

    let operation = routed.operation;
    let what = operation.map_or_else(|| "outside the contract".to_string(), Operation::name);
    out.push_str(&format!("  # {}: {} observed\n", comment(&what), ex.status));
    for n in &notes {
        out.push_str(&format!("  # not recorded: {}\n", comment(n)));
    }
    let auth = match (sent_auth.is_some(), ex.status) {
        (true, 401) => "invalid",
        (true, _) => "default",
        (false, _) => "none",
    };
    out.push_str(&format!("  - auth: {auth}\n"));
    if operation.is_none() {
        out.push_str("    outside_contract: true\n");
    }
    out.push_str("    request:\n");
    out.push_str(&format!("      method: {}\n", q(ex.method.as_str())));
    out.push_str(&format!("      path: {}\n", q(&path)));
    if !query.is_empty() {
        out.push_str("      query:\n");
        for (k, values) in &query {
            let list: Vec<String> = values.iter().map(|v| q(v)).collect();
            match list.as_slice() {
                [one] => out.push_str(&format!("        {}: {one}\n", q(k))),
                many => out.push_str(&format!("        {}: [{}]\n", q(k), many.join(", "))),
            }
        }
    }
    if !headers.is_empty() {
        out.push_str("      headers:\n");
        for (k, v) in &headers {
            out.push_str(&format!("        {}: {}\n", q(k), q(v)));
        }
    }
    match body {
        Some(RecordedBody::Json(v)) => yaml(&mut out, 6, "      body:", &v),
        Some(RecordedBody::Text(text)) => out.push_str(&format!("      raw_body: {}\n", q(&text))),
        None => {}
    }
    match operation {
        Some(op) if !op.documents(ex.status) => out.push_str(&format!(
            "    # {} is not documented for {}: no expectation is written, and replay's status_documented check will report it\n",
            ex.status,
            op.name()
        )),
        _ => out.push_str(&format!("    expect:\n      status: {}\n", ex.status)),
    }
    Ok(out)
}

/// A session's exchanges (in order) as a scenario file named `name`.
pub(super) fn render(
    contract: &Contract,
    exchanges: &[Exchange],
    name: &str,
    target: &str,
    known_secrets: &[String],
    part: usize,
) -> Rendered {
    let routed: Vec<Routed<'_>> = exchanges.iter().map(|e| route(contract, e)).collect();
    let mut vars = Vars::default();
    for r in &routed {
        for seg in &r.segments {
            if let Segment::Param { name, value } = seg {
                vars.name_for(name, value);
            }
        }
    }
    vars.seal();

    let mut secrets = known_secrets.to_vec();
    let mut needs_mock = false;
    let mut volatile = Volatile::default();
    let mut steps = String::new();
    let mut count = 0;
    for (i, (ex, r)) in exchanges.iter().zip(&routed).enumerate() {
        match step(contract, ex, r, &vars, &mut secrets, &mut needs_mock) {
            Ok(text) => {
                if count > 0 {
                    steps.push('\n');
                }
                steps.push_str(&text);
                volatile.merge(&ex.volatile);
                count += 1;
            }
            Err(why) => {
                steps.push_str(&format!(
                    "  # exchange {} ({} {}) is not recorded: {}\n",
                    i + 1,
                    ex.method,
                    ex.status,
                    comment(&why)
                ));
            }
        }
    }

    let first = exchanges.first().map_or(SystemTime::now(), |e| e.at);
    let last = exchanges.last().map_or(first, |e| e.at);
    let mut text = String::new();
    text.push_str(&format!(
        "# Recorded by `mimeo proxy` from {}: {} exchange(s), {} to {}.\n",
        comment(&crate::secrets::redact_userinfo(target)),
        exchanges.len(),
        utc(first, "%Y-%m-%dT%H:%M:%SZ"),
        utc(last, "%Y-%m-%dT%H:%M:%SZ")
    ));
    if part > 1 {
        text.push_str(&format!(
            "# Part {part} of a client session too long for one file: it continues the session of the previous file.\n"
        ));
    }
    text.push_str(
        "# No credentials are kept: each step says which `auth` it used, and replay sends\n\
         # its own (--auth SID:TOKEN). Replay against another store with --var NAME=VALUE.\n",
    );
    text.push_str(&format!("name: {}\n", q(name)));
    if needs_mock {
        text.push_str("needs: mock  # it steers the mock with Prefer or __ query controls\n");
    }
    if !vars.values.is_empty() {
        text.push_str("vars:\n");
        for (k, v) in &vars.values {
            text.push_str(&format!("  {k}: {}\n", q(v)));
        }
    }
    let volatile = volatile.rules(contract);
    let mut rules: Vec<String> = volatile
        .headers
        .iter()
        .map(|(h, with)| format!("  - header: {}\n    with: {}\n", q(h), q(with)))
        .collect();
    rules.extend(
        volatile
            .patterns
            .iter()
            .map(|(p, with)| format!("  - matching: {}\n    with: {}\n", q(p), q(with))),
    );
    if !rules.is_empty() {
        text.push_str("redact:\n");
        rules.iter().for_each(|r| text.push_str(r));
    }
    text.push_str("steps:\n");
    text.push_str(&steps);
    // The last guard: nothing the client sent as a credential survives, wherever it went.
    let text = Secrets::new(secrets).scrub(&text);
    Rendered { text, steps: count }
}

/// Text for a YAML comment: on one line, with control characters and
/// non-characters escaped, and not too long.
fn comment(text: &str) -> String {
    let shown = crate::support::limits::printable(text, false);
    let shown: String = shown
        .chars()
        .map(|c| {
            if crate::support::limits::is_noncharacter(c) || c == '\u{feff}' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    crate::support::limits::truncate(&shown, 500).into_owned()
}

/// A time in UTC, formatted (`%Y%m%dT%H%M%SZ` for file names).
pub(super) fn utc(t: SystemTime, format: &str) -> String {
    jiff::Timestamp::try_from(t)
        .map(|t| t.strftime(format).to_string())
        .unwrap_or_else(|_| "unknown-time".into())
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use bytes::Bytes;
    use hyper::header::HeaderMap;
    use hyper::Method;

    use super::*;

    #[test]
    fn utc_times() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400 + 3661); // 2000-02-29
        assert_eq!(utc(t, "%Y-%m-%dT%H:%M:%SZ"), "2000-02-29T01:01:01Z");
        assert_eq!(utc(t, "%Y%m%dT%H%M%SZ"), "20000229T010101Z");
    }

    #[test]
    fn secrets_by_name_and_shape() {
        let contract = Contract::embedded().unwrap();
        assert!(crate::secrets::secret_name("X-Api-Key"));
        assert!(crate::secrets::secret_name("access_token"));
        assert!(!crate::secrets::secret_name("Prefer"));
        assert!(contract.profile.is_secret("Bearer abc.def"));
        assert!(contract
            .profile
            .is_secret("AC0123456789abcdef0123456789abcdef"));
        assert!(contract
            .profile
            .is_secret("0123456789abcdef0123456789abcdef"));
        assert!(!contract
            .profile
            .is_secret("mem_store_00000000000000000000000000"));
        assert!(!contract.profile.is_secret("application/json"));
    }

    fn exchange(
        seq: u64,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
        status: u16,
    ) -> Exchange {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Exchange {
            seq,
            client: IpAddr::from([127, 0, 0, 1]),
            at: SystemTime::UNIX_EPOCH,
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            path,
            query,
            headers: map,
            body: Bytes::from(body.to_string()),
            status,
            volatile: Volatile::default(),
        }
    }

    #[test]
    fn an_exchange_on_a_shared_path_is_bound_by_its_query() {
        let contract = Contract::from_file("tests/fixtures/query-templates.yaml").unwrap();
        let exchanges = [
            exchange(
                0,
                "GET",
                "/services/rest?method=photos.getInfo&format=json&id=7",
                &[],
                "",
                418,
            ),
            exchange(
                1,
                "GET",
                "/services/rest?method=photos.delete",
                &[],
                "",
                404,
            ),
        ];
        let r = render(&contract, &exchanges, "unit", "http://target", &[], 1);
        let text = &r.text;
        assert!(text.contains("418 is not documented for getInfo"), "{text}");
        assert_eq!(text.matches("outside_contract: true").count(), 1, "{text}");
        // What the recorder writes, replay reads.
        crate::scenario::Scenario::from_text("unit.yaml", text, &contract).unwrap();
    }

    const IDS: &str = "/v1/Stores/mem_store_00000000000000000000000000/Profiles/mem_profile_00000000000000000000000000/Identifiers";

    #[test]
    fn a_path_value_holding_braces_stays_as_sent() {
        // It became a variable whose default was `{{z}}`: the recording did
        // not load.
        let contract = Contract::embedded().unwrap();
        let target = format!("{IDS}/%7B%7Bz%7D%7D");
        let exchanges = [exchange(0, "GET", &target, &[], "", 404)];
        let r = render(&contract, &exchanges, "unit", "http://target", &[], 1);
        assert!(r.text.contains("/%7B%7Bz%7D%7D"), "{}", r.text);
        crate::scenario::Scenario::from_text("unit.yaml", &r.text, &contract).unwrap();
    }

    #[test]
    fn what_a_scenario_cannot_hold_is_left_out_and_said_so() {
        let contract = Contract::embedded().unwrap();
        let bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig";
        let json = [
            ("content-type", "application/json"),
            ("authorization", bearer),
        ];
        let exchanges = [
            // A placeholder-like string cannot be written (there is no escape).
            exchange(
                0,
                "POST",
                IDS,
                &json,
                r#"{"idType":"email","value":"{{x}}"}"#,
                202,
            ),
            // Not JSON although it says so: sent as written.
            exchange(1, "POST", IDS, &json, r#"{"idType": "#, 400),
            // A 418 is not documented: no expectation, a comment instead.
            exchange(
                2,
                "GET",
                &format!(
                    "{IDS}?sig=0123456789abcdef0123456789abcdef&page=2&session=true&flag=true"
                ),
                &[],
                "",
                418,
            ),
            // The bearer token echoed in a body is scrubbed all the same.
            exchange(
                3,
                "POST",
                IDS,
                &json,
                &format!(r#"{{"idType":"note","value":"{bearer}"}}"#),
                202,
            ),
        ];
        let r = render(&contract, &exchanges, "unit", "http://target", &[], 1);
        let text = &r.text;
        assert_eq!(r.steps, 3, "{text}");
        assert!(
            text.contains("# exchange 1 (POST 202) is not recorded: its body contains `{{`"),
            "{text}"
        );
        assert!(text.contains("raw_body: \"{\\\"idType\\\": \""), "{text}");
        assert!(
            text.contains("# 418 is not documented for ListProfileIdentifiers"),
            "{text}"
        );
        assert!(text.contains("not recorded: query parameter sig"), "{text}");
        assert!(text.contains("\"page\": \"2\""), "{text}");
        // A short value left out is not scrubbed elsewhere: it would hit `true` everywhere.
        assert!(
            text.contains("not recorded: query parameter session"),
            "{text}"
        );
        assert!(text.contains("\"flag\": \"true\""), "{text}");
        assert!(!text.contains("eyJ"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert_eq!(text.matches("auth: default").count(), 2, "{text}");
        crate::scenario::Scenario::from_text("unit.yaml", text, &contract)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    }
}
