//! Credentials the target hands out during a run: an `access_token` in an
//! answer (JSON, a form, a redirect's `Location`), a credential header
//! (`Set-Cookie`, `X-Auth-Token`), or a value captured into a variable named
//! like a credential. The run needs them (a later step sends the token back),
//! but nothing it reports may show them, as it shows none of the credentials
//! it was given. Once the scenario has run, every text of its result has them
//! hidden: a variable's value becomes its `{{name}}` (what a snapshot showed
//! before), any other form `[redacted]` (in every form [`Secrets`] looks for),
//! so the snapshot, the reports and the console all see the result clean.
//!
//! Names are judged more strictly here than for requests: an answer's `key`,
//! `author` or `sessionId` is data a reviewer must see change, while an
//! `access_token`, `client_secret` or `apiKey` is not (see [`credential_name`]).

use serde_json::Value;

use super::{Outcome, ScenarioRun};
use crate::scenario::placeholder;
use crate::secrets::Secrets;

/// Values at least this long are hidden whatever they hold.
const MIN_LEN: usize = 8;

/// Shorter values are hidden when they hold a digit and are at least this long
/// (a PIN, a one-time code), so that a `Bearer` is not hidden everywhere.
const MIN_LEN_WITH_DIGIT: usize = 4;

/// How many values one run's answers hand out at most. Past it the run's
/// answers are not shown at all (see [`hide`]): hiding some would show others.
const MAX_VALUES: usize = 4096;

/// How deep JSON written inside a JSON string is read for credentials.
const MAX_NESTED: u8 = 4;

/// What a run's answers handed out so far.
#[derive(Default)]
pub(crate) struct Issued {
    values: Vec<String>,
    /// More than [`MAX_VALUES`] were handed out.
    overflow: bool,
}

impl Issued {
    /// Notes `value` to hide, unless it is too short to be a credential or
    /// already noted.
    fn keep(&mut self, value: &str) {
        if !worth_hiding(value) || value == "[redacted]" || self.values.iter().any(|v| v == value) {
            return;
        }
        if self.values.len() >= MAX_VALUES {
            self.overflow = true;
            return;
        }
        self.values.push(value.to_string());
    }

    /// Notes what one answer's body hands out: members named like credentials
    /// (`json` is the body read as JSON, when it is), or a form's parameters.
    pub(crate) fn note_body(&mut self, body: &[u8], json: Option<&Value>) {
        match json {
            Some(value) => self.members(value, 0),
            None => self.unread_body(body),
        }
    }

    /// Notes what one answer header hands out: the whole value of a credential
    /// header (`secret`: as `secret_response_header` judged it) and the
    /// credential inside it, or a credential in a `Location`'s query or
    /// fragment.
    pub(crate) fn note_header(&mut self, name: &str, value: &[u8], secret: bool) {
        let Ok(value) = std::str::from_utf8(value) else {
            return;
        };
        if secret {
            self.keep(value);
            // The credential inside: a cookie's value, a bearer token.
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap_or("");
                self.keep(pair.split_once('=').map_or(pair, |(_, v)| v).trim());
            } else if let Some(token) = value.strip_prefix("Bearer ") {
                self.keep(token.trim());
            }
        } else if matches!(name, "location" | "content-location") {
            // An implicit grant's redirect: `...#access_token=...`.
            let (rest, fragment) = value.split_once('#').unwrap_or((value, ""));
            let query = rest.split_once('?').map_or("", |(_, q)| q);
            self.form(query.as_bytes());
            self.form(fragment.as_bytes());
        }
    }

    /// A body the checks could not read as JSON: JSON after a byte-order mark
    /// or an anti-hijacking prefix (`)]}'`), else a form.
    fn unread_body(&mut self, body: &[u8]) {
        let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
        let start = body
            .iter()
            .position(|b| matches!(b, b'{' | b'['))
            .unwrap_or(body.len());
        let prefixed = start > 0 && start <= 8 && body.starts_with(b")]}'");
        if start == 0 || prefixed {
            if let Ok(value) = serde_json::from_slice::<Value>(&body[start..]) {
                self.members(&value, 0);
                return;
            }
        }
        if body.contains(&b'=') {
            self.form(body);
        }
    }

    /// The values of `name=value&...` pairs whose names look like credentials.
    fn form(&mut self, text: &[u8]) {
        for (name, value) in form_urlencoded::parse(text) {
            if credential_name(&name) {
                self.keep(&value);
            }
        }
    }

    fn members(&mut self, value: &Value, depth: u8) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if credential_name(k) {
                        self.every_text(v);
                    } else {
                        self.members(v, depth);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.members(v, depth)),
            // JSON written inside a string (an envelope's `data`).
            Value::String(s) if depth < MAX_NESTED && s.starts_with(['{', '[']) => {
                if let Ok(inner) = serde_json::from_str::<Value>(s) {
                    self.members(&inner, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Every string and number in `value`: a credential member may hold an
    /// object (`{"token": {"value": ...}}`), even one keyed by the credentials
    /// themselves (`{"tokens": {"tok_4f9...": {...}}}`): keys with letters and
    /// digits are taken too, names like `expires_at` are not.
    fn every_text(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.keep(s),
            Value::Number(n) => self.keep(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.every_text(v)),
            Value::Object(map) => {
                for (k, v) in map {
                    let letters = k.bytes().any(|b| b.is_ascii_alphabetic());
                    if letters && k.bytes().any(|b| b.is_ascii_digit()) {
                        self.keep(k);
                    }
                    self.every_text(v);
                }
            }
            _ => {}
        }
    }
}

/// Whether a value is long enough to be a credential and to be hidden
/// everywhere without hiding unrelated text.
fn worth_hiding(value: &str) -> bool {
    value.len() >= MIN_LEN
        || (value.len() >= MIN_LEN_WITH_DIGIT && value.bytes().any(|b| b.is_ascii_digit()))
}

/// Whether a member, parameter or variable name names a credential: its last
/// word (split at punctuation and case changes) is one of the words below, or
/// it is `key` after `api`, `access`, `secret`, `private`, `client`, `signing`
/// or `session`. So `access_token`, `refreshToken`, `client_secret`,
/// `X-Api-Key`, `password` and `otp` do; `token_type`, `key`, `keywords`,
/// `author` and `sessionId` do not.
///
/// ```text
/// access_token  -> token        yes      token_type -> type    no
/// apiKey        -> api, key     yes      key        -> key     no
/// ```
pub(crate) fn credential_name(name: &str) -> bool {
    const LAST: [&str; 20] = [
        "token",
        "tokens",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "passcode",
        "credential",
        "credentials",
        "signature",
        "sig",
        "otp",
        "pin",
        "cookie",
        "jwt",
        "apikey",
        "authorization",
    ];
    const BEFORE_KEY: [&str; 7] = [
        "api", "access", "secret", "private", "client", "signing", "session",
    ];
    let (before, last) = last_words(name);
    let is = |w: &str, list: &[&str]| list.iter().any(|l| l.eq_ignore_ascii_case(w));
    is(last, &LAST) || (last.eq_ignore_ascii_case("key") && is(before, &BEFORE_KEY))
}

/// The last two words of a name (`""` when there are fewer), split at anything
/// not a letter or digit and before an upper-case letter after a lower-case one.
fn last_words(name: &str) -> (&str, &str) {
    let mut words: [&str; 2] = ["", ""];
    let bytes = name.as_bytes();
    let mut start = None;
    for i in 0..=bytes.len() {
        let b = bytes.get(i).copied();
        let alnum = b.is_some_and(|b| b.is_ascii_alphanumeric());
        let split_case = alnum
            && i > 0
            && b.is_some_and(|b| b.is_ascii_uppercase())
            && bytes[i - 1].is_ascii_lowercase();
        if let Some(s) = start {
            if !alnum || split_case {
                words = [words[1], &name[s..i]];
                start = None;
            }
        }
        if alnum && start.is_none() {
            start = Some(i);
        }
    }
    (words[0], words[1])
}

/// Hides what the run's answers handed out, and the values of its variables
/// that are credentials (named like one, or handed out), from every text of
/// `run`. A variable's value becomes its `{{name}}` where it appears as is.
pub(crate) fn hide(run: &mut ScenarioRun, issued: Issued) {
    let Issued {
        mut values,
        overflow,
    } = issued;
    // Variables first, never capped: a scenario has few.
    let mut as_vars: Vec<(String, String)> = Vec::new();
    for (name, value) in &mut run.vars {
        if worth_hiding(value) && (credential_name(name) || values.contains(value)) {
            as_vars.push((
                std::mem::replace(value, "[redacted]".into()),
                placeholder(name),
            ));
        }
    }
    if as_vars.is_empty() && values.is_empty() && !overflow {
        return;
    }
    // The longest first, so a value inside another is not replaced first.
    as_vars.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    values.extend(as_vars.iter().map(|(v, _)| v.clone()));
    let secrets = Secrets::new(values.iter().cloned());
    let clean = |s: &mut String| {
        for (value, name) in &as_vars {
            if s.contains(value.as_str()) {
                *s = s.replace(value.as_str(), name);
            }
        }
        if let std::borrow::Cow::Owned(c) = secrets.scrub_cow(s) {
            *s = c;
        }
        hide_cut_short(s, &values);
    };
    for step in &mut run.steps {
        clean(&mut step.request_line);
        if let Some(request) = &mut step.request {
            clean(&mut request.url);
            request.headers.iter_mut().for_each(|(_, v)| clean(v));
            if let Some(body) = &mut request.body {
                clean(body);
            }
        }
        match &mut step.outcome {
            Outcome::Response { headers, body, .. } => {
                headers.iter_mut().for_each(|(_, v)| clean(v));
                if overflow {
                    *body = format!(
                        "[not shown: this run's answers handed out more than {MAX_VALUES} values named like credentials]"
                    );
                } else {
                    clean(body);
                    // Inside JSON strings too (`\u` escapes), as the reports scrub.
                    if body.contains('\\') {
                        if let Some(c) = secrets.scrub_json_text(body) {
                            *body = c;
                        }
                    }
                }
            }
            Outcome::NoResponse { error } => clean(error),
            Outcome::Skipped { reason } => clean(reason),
        }
        step.failures.iter_mut().for_each(|f| clean(&mut f.message));
        for a in &mut step.failed_assertions {
            clean(&mut a.expected);
            if let Some(actual) = &mut a.actual {
                clean(actual);
            }
        }
    }
    // The others may hold one (a captured redirect's URL).
    run.vars.values_mut().for_each(clean);
}

/// Hides the start of a value where a message was cut short inside it (`…`
/// right after a start of it long enough to hide, as [`worth_hiding`] judges):
/// the whole value is not there for [`Secrets`] to find.
fn hide_cut_short(s: &mut String, values: &[String]) {
    if !s.contains('…') {
        return;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('…') {
        let (head, tail) = rest.split_at(i);
        // The longest end of `head` that starts a value: one pass over the
        // last characters of `head` per value, most stopping at a first byte.
        let cut = values.iter().find_map(|v| {
            let from = head.len().saturating_sub(v.len().saturating_sub(1));
            (from..head.len()).find_map(|p| {
                let end = &head.as_bytes()[p..];
                (head.is_char_boundary(p)
                    && v.as_bytes().starts_with(end)
                    && worth_hiding(&head[p..]))
                .then_some(end.len())
            })
        });
        match cut {
            Some(k) => {
                out.push_str(&head[..head.len() - k]);
                out.push_str("[redacted]");
            }
            None => out.push_str(head),
        }
        out.push('…');
        rest = &tail['…'.len_utf8()..];
    }
    out.push_str(rest);
    *s = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_judged_by_their_last_words() {
        for yes in [
            "access_token",
            "refreshToken",
            "id_token",
            "client_secret",
            "X-Api-Key",
            "apiKey",
            "api_key",
            "privateKey",
            "password",
            "otp",
            "pin",
            "authToken",
            "sessionToken",
            "session_key",
            "tokens",
        ] {
            assert!(credential_name(yes), "{yes}");
        }
        for no in [
            "token_type",
            "tokenEndpoint",
            "key",
            "keys",
            "keywords",
            "author",
            "authorEmail",
            "sessionId",
            "monkey",
            "spin",
            "shipping",
            "idType",
            "value",
            "",
        ] {
            assert!(!credential_name(no), "{no}");
        }
    }

    #[test]
    fn what_an_answer_hands_out_is_found_in_its_body_and_headers() {
        let mut issued = Issued::default();
        issued.note_header("set-cookie", b"sid=ck-Value-91a; Path=/", true);
        issued.note_header(
            "location",
            b"https://x.example/cb?state=1#access_token=frag-Tok-77&token_type=bearer",
            false,
        );
        issued.note_body(b"access_token=form-Tok-12&token_type=bearer&pin=4821", None);
        let json: Value = serde_json::json!({
            "data": "{\"refresh_token\": \"nested-Tok-5\"}",
            "token_type": "Bearer",
            "otp": "1234",
            "key": "users/alice/profile",
            "tokens": {"tok4Key-m3Nq": {"expires_at": "soon"}},
        });
        issued.note_body(b"", Some(&json));
        issued.note_body(b")]}'\n{\"apiKey\": \"xssi-Key-3\"}", None);
        issued.note_body("\u{feff}{\"password\": \"bom-Pass-8\"}".as_bytes(), None);
        for v in [
            "ck-Value-91a",
            "frag-Tok-77",
            "form-Tok-12",
            "4821",
            "nested-Tok-5",
            "1234",
            "xssi-Key-3",
            "bom-Pass-8",
            "tok4Key-m3Nq",
        ] {
            assert!(
                issued.values.iter().any(|x| x == v),
                "{v}: {:?}",
                issued.values
            );
        }
        for v in ["bearer", "Bearer", "users/alice/profile", "1", "expires_at"] {
            assert!(
                !issued.values.iter().any(|x| x == v),
                "{v}: {:?}",
                issued.values
            );
        }
    }

    #[test]
    fn a_value_cut_short_in_a_message_is_hidden_where_it_was_cut() {
        let values = vec!["frag-Tok-7788".to_string()];
        let mut s = "got \"n=frag-Tok-77…\" and frag…".to_string();
        hide_cut_short(&mut s, &values);
        assert_eq!(s, "got \"n=[redacted]…\" and frag…");
        // Characters of several bytes, a value whole before `…`, none at all.
        let values = vec!["秘密の合言葉-2026".to_string(), String::new()];
        let mut s = "a 秘密の合言…, b 秘密の合言葉-2026… c…".to_string();
        hide_cut_short(&mut s, &values);
        assert_eq!(s, "a [redacted]…, b 秘密の合言葉-2026… c…");
    }

    #[test]
    fn past_the_bound_nothing_more_is_kept_and_the_overflow_is_known() {
        let mut issued = Issued::default();
        for i in 0..MAX_VALUES + 10 {
            issued.keep(&format!("value-{i:08}"));
        }
        assert_eq!(issued.values.len(), MAX_VALUES);
        assert!(issued.overflow);
    }
}
