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

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, MatchKind};
use hyper::header::{HeaderMap, CONTENT_ENCODING};
use serde_json::Value;

use super::{Outcome, ScenarioRun};
use crate::scenario::placeholder;
use crate::secrets::Secrets;

/// Values shorter than this are not hidden: every text holding a short value
/// (`2024` in a date, `Bearer`) would be rewritten, and short codes (a PIN, a
/// one-time code) are left (said in the README).
const MIN_LEN: usize = 8;

/// A value longer than this is not kept to hide (an identity token with many
/// claims is a few kilobytes; no credential is this long): the run's answers
/// are not shown instead, as past [`MAX_VALUES`].
const MAX_VALUE_LEN: usize = 16 << 10;

/// How many values one run's answers hand out at most, and how many bytes in
/// all: the matcher that hides them grows with both. Past either the run's
/// answers are not shown at all (see [`hide`]): hiding some would show others.
const MAX_VALUES: usize = 4096;
const MAX_BYTES: usize = 64 << 10;

/// How deep JSON written inside a JSON string is read for credentials.
const MAX_NESTED: u8 = 4;

/// Where a message was cut (`…`) is looked at this many times per text at
/// most; a text is cut once or a few times.
const MAX_CUTS: usize = 64;

/// Members under a credential member that hold the credential itself (else
/// only those named like credentials are taken: `expires_in`, `scope` and
/// `name` are the credential's description, not it).
const HOLDERS: [&str; 5] = ["value", "raw", "plaintext", "encoded", "data"];

/// What a run's answers handed out so far.
#[derive(Default)]
pub(crate) struct Issued {
    values: HashSet<String>,
    bytes: usize,
    /// More than the bounds were handed out.
    overflow: bool,
}

impl Issued {
    /// Notes `value` to hide, unless it is too short to be a credential or
    /// already noted.
    fn keep(&mut self, value: &str) {
        if value.len() < MIN_LEN || value == "[redacted]" || self.values.contains(value) {
            return;
        }
        if value.len() > MAX_VALUE_LEN
            || self.values.len() >= MAX_VALUES
            || self.bytes + value.len() > MAX_BYTES
        {
            self.overflow = true;
            return;
        }
        self.bytes += value.len();
        self.values.insert(value.to_string());
    }

    /// Notes what one answer's body hands out: members named like credentials
    /// (`json` reads the body as the checks read it, `None` when it is not
    /// JSON; mostly they already have), or a form's parameters. A coded body
    /// (`Content-Encoding`) is read decoded, as the checks read it.
    pub(crate) fn note_body<'v>(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
        json: impl FnOnce() -> Option<&'v Value>,
    ) {
        let decoded = match headers.contains_key(CONTENT_ENCODING) {
            true => crate::http::coding::decode(headers, body, crate::checks::MAX_DECODED)
                .ok()
                .flatten(),
            false => None,
        };
        if let Some(decoded) = decoded {
            return self.unread_body(&decoded, false);
        }
        match json() {
            Some(value) => self.members(value, 0),
            None => self.unread_body(body, true),
        }
    }

    /// Notes what one answer header hands out: the whole value of a credential
    /// header (`secret`: as `secret_response_header` judged it) and the
    /// credential inside it, or a credential (or an authorization `code`) in a
    /// `Location`'s query or fragment.
    pub(crate) fn note_header(&mut self, name: &str, value: &[u8], secret: bool) {
        let location = matches!(name, "location" | "content-location");
        if !secret && !location {
            return;
        }
        let value = String::from_utf8_lossy(value);
        if secret {
            self.keep(&value);
            // The credential inside: a cookie's value, a bearer token.
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap_or("");
                self.keep(pair.split_once('=').map_or(pair, |(_, v)| v).trim());
            } else if let Some(token) = value.strip_prefix("Bearer ") {
                self.keep(token.trim());
            }
        } else {
            // An OAuth redirect: `?code=...`, or `#access_token=...`.
            let (rest, fragment) = value.split_once('#').unwrap_or((&value, ""));
            let query = rest.split_once('?').map_or("", |(_, q)| q);
            for part in [query, fragment] {
                for (name, v) in form_urlencoded::parse(part.as_bytes()) {
                    if credential_name(&name) || name == "code" {
                        self.keep(&v);
                    }
                }
            }
        }
    }

    /// A body not read as JSON yet (`failed`: it was, as it is, and is not):
    /// JSON, or JSON after a byte-order mark or an anti-hijacking prefix
    /// (`)]}'`), else a form.
    fn unread_body(&mut self, body: &[u8], failed: bool) {
        let unmarked = body.strip_prefix("\u{feff}".as_bytes());
        let body = unmarked.unwrap_or(body);
        let start = body
            .iter()
            .position(|b| matches!(b, b'{' | b'['))
            .unwrap_or(body.len());
        let prefixed = start > 0 && start <= 8 && body.starts_with(b")]}'");
        // (Read again only where reading it as it is could not have worked.)
        let fresh = !failed || unmarked.is_some();
        if (start == 0 && fresh) || prefixed {
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
                        self.credential(v);
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

    /// What a credential member holds: a string or number, a list of them, or
    /// an object whose [`HOLDERS`] and credential-named members hold it, and
    /// whose keys may be the credentials themselves (`{"tok_4f9e...": {...}}`:
    /// keys of letters and digits, 16 characters or more).
    fn credential(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.keep(s),
            Value::Number(n) => self.keep(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.credential(v)),
            Value::Object(map) => {
                for (k, v) in map {
                    if k.len() >= 16
                        && k.bytes().any(|b| b.is_ascii_digit())
                        && k.bytes().any(|b| b.is_ascii_alphabetic())
                    {
                        self.keep(k);
                    }
                    if credential_name(k) || HOLDERS.iter().any(|h| k.eq_ignore_ascii_case(h)) {
                        self.credential(v);
                    } else {
                        self.members(v, 0);
                    }
                }
            }
            _ => {}
        }
    }
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
    const LAST: [&str; 26] = [
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
        // Written as one word.
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "idtoken",
        "sessiontoken",
        "clientsecret",
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
/// `run`: in one pass, the longest value found first, a variable's value
/// becomes its `{{name}}` and any other `[redacted]`; then every other form
/// of them (encoded, escaped) `[redacted]`.
pub(crate) fn hide(run: &mut ScenarioRun, issued: Issued) {
    let Issued {
        values, overflow, ..
    } = issued;
    let mut patterns: Vec<(String, String)> = Vec::new();
    for (name, value) in &mut run.vars {
        let named = credential_name(name) && value.len() >= MIN_LEN;
        if value.as_str() != "[redacted]" && (named || values.contains(value.as_str())) {
            let value = std::mem::replace(value, "[redacted]".into());
            patterns.push((value, placeholder(name)));
        }
    }
    for value in &values {
        if !patterns.iter().any(|(v, _)| v == value) {
            patterns.push((value.clone(), "[redacted]".into()));
        }
    }
    if patterns.is_empty() && !overflow {
        return;
    }
    let Ok(raw) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(patterns.iter().map(|(v, _)| v))
    else {
        return not_shown(run);
    };
    let secrets = Secrets::new(patterns.iter().map(|(v, _)| v.clone()));
    let clean = |s: &mut String| {
        if raw.is_match(s.as_str()) {
            let mut out = String::with_capacity(s.len());
            raw.replace_all_with(s, &mut out, |m, _, dst| {
                dst.push_str(&patterns[m.pattern().as_usize()].1);
                true
            });
            *s = out;
        }
        if let std::borrow::Cow::Owned(c) = secrets.scrub_cow(s) {
            *s = c;
        }
    };
    // Messages quote values cut short: a value's start before the cut goes too.
    let message = |s: &mut String| {
        clean(s);
        hide_cut_short(s, &patterns);
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
                clean(body);
                // Inside JSON strings too (`\u` escapes), as the reports scrub.
                if body.contains('\\') {
                    if let Some(c) = secrets.scrub_json_text(body) {
                        *body = c;
                    }
                }
            }
            Outcome::NoResponse { error } => message(error),
            Outcome::Skipped { reason } => message(reason),
        }
        step.failures
            .iter_mut()
            .for_each(|f| message(&mut f.message));
        for a in &mut step.failed_assertions {
            message(&mut a.expected);
            if let Some(actual) = &mut a.actual {
                message(actual);
            }
        }
    }
    // The others may hold one (a captured redirect's URL).
    run.vars.values_mut().for_each(clean);
    if overflow {
        not_shown(run);
    }
}

/// Past the bounds on what answers handed out, nothing taken from them is
/// shown: answers, messages quoting them, what later requests sent, captures.
fn not_shown(run: &mut ScenarioRun) {
    let note = format!(
        "[not shown: this run's answers handed out more credential-like values than mimeo hides ({MAX_VALUES}, {} KiB)]",
        MAX_BYTES / 1024
    );
    for step in &mut run.steps {
        if let Some(request) = &mut step.request {
            request.url.clone_from(&note);
            request.headers.clear();
            request.body = request.body.as_ref().map(|_| note.clone());
        }
        if let Outcome::Response { headers, body, .. } = &mut step.outcome {
            headers.clear();
            body.clone_from(&note);
        }
        step.failures
            .iter_mut()
            .for_each(|f| f.message.clone_from(&note));
        for a in &mut step.failed_assertions {
            a.expected.clone_from(&note);
            a.actual = a.actual.as_ref().map(|_| note.clone());
        }
    }
    run.vars.values_mut().for_each(|v| v.clone_from(&note));
}

/// Hides the start of a value where a message was cut short inside it (`…`
/// right after at least [`MIN_LEN`] of its first characters): the whole value
/// is not there to find. Only the first [`MAX_CUTS`] cuts are looked at.
fn hide_cut_short(s: &mut String, values: &[(String, String)]) {
    if !s.contains('…') {
        return;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    let mut cuts = 0;
    while let Some(i) = rest.find('…').filter(|_| cuts < MAX_CUTS) {
        cuts += 1;
        let (head, tail) = rest.split_at(i);
        // The longest end of `head` that starts a value: one pass over the
        // last characters of `head` per value, most stopping at a first byte.
        let cut = values.iter().find_map(|(v, _)| {
            let from = head.len().saturating_sub(v.len().saturating_sub(1));
            (from..head.len().saturating_sub(MIN_LEN - 1)).find_map(|p| {
                let end = &head.as_bytes()[p..];
                (head.is_char_boundary(p) && v.as_bytes().starts_with(end)).then_some(end.len())
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
        let none = HeaderMap::new();
        let mut issued = Issued::default();
        issued.note_header("set-cookie", b"sid=ck-Value-91a; Path=/", true);
        issued.note_header(
            "location",
            b"https://x.example/cb?code=auth-Code-31#access_token=frag-Tok-77&token_type=bearer",
            false,
        );
        issued.note_body(
            &none,
            b"access_token=form-Tok-12&token_type=bearer&pin=4821",
            || None,
        );
        let json: Value = serde_json::json!({
            "data": "{\"refresh_token\": \"nested-Tok-5\"}",
            "token_type": "Bearer",
            "otp": "1234",
            "key": "users/alice/profile",
            "accesstoken": "joined-Tok-9",
            "tokens": {"tok4Key-m3Nq-0001": {"expires_at": "2026-11-30T00:00:00Z"}},
            "token": {"value": "held-Tok-44", "scope": "read:user", "expires_in": 36000000},
            "secrets": [{"name": "GH_TOKEN_NAME", "created_at": "2026-01-01"}],
        });
        issued.note_body(&none, b"", || Some(&json));
        issued.note_body(&none, b")]}'\n{\"apiKey\": \"xssi-Key-3\"}", || None);
        issued.note_body(
            &none,
            "\u{feff}{\"password\": \"bom-Pass-8\"}".as_bytes(),
            || None,
        );
        let mut gz = HeaderMap::new();
        gz.insert(CONTENT_ENCODING, "gzip".parse().unwrap());
        let mut coded = Vec::new();
        std::io::Write::write_all(
            &mut flate2::write::GzEncoder::new(&mut coded, flate2::Compression::fast()),
            br#"{"id_token": "gzip-Tok-66"}"#,
        )
        .unwrap();
        issued.note_body(&gz, &coded, || None);
        for v in [
            "ck-Value-91a",
            "auth-Code-31",
            "frag-Tok-77",
            "form-Tok-12",
            "nested-Tok-5",
            "joined-Tok-9",
            "xssi-Key-3",
            "bom-Pass-8",
            "tok4Key-m3Nq-0001",
            "held-Tok-44",
            "gzip-Tok-66",
        ] {
            assert!(issued.values.contains(v), "{v}: {:?}", issued.values);
        }
        // Short codes, types, data, and what describes a credential stay.
        for v in [
            "4821",
            "1234",
            "bearer",
            "Bearer",
            "users/alice/profile",
            "2026-11-30T00:00:00Z",
            "read:user",
            "36000000",
            "GH_TOKEN_NAME",
            "2026-01-01",
        ] {
            assert!(!issued.values.contains(v), "{v}: {:?}", issued.values);
        }
    }

    fn redacted(values: &[&str]) -> Vec<(String, String)> {
        values
            .iter()
            .map(|v| (v.to_string(), "[redacted]".into()))
            .collect()
    }

    #[test]
    fn a_value_cut_short_in_a_message_is_hidden_where_it_was_cut() {
        let mut s = "got \"n=frag-Tok-77…\" and frag…".to_string();
        hide_cut_short(&mut s, &redacted(&["frag-Tok-7788"]));
        assert_eq!(s, "got \"n=[redacted]…\" and frag…");
        // Characters of several bytes, a value whole before `…`, none at all.
        let mut s = "a 秘密の合言…, b 秘密の合言葉-2026… c…".to_string();
        hide_cut_short(&mut s, &redacted(&["秘密の合言葉-2026", ""]));
        assert_eq!(s, "a [redacted]…, b 秘密の合言葉-2026… c…");
    }

    #[test]
    fn past_the_bounds_nothing_more_is_kept_and_the_overflow_is_known() {
        let mut issued = Issued::default();
        for i in 0..MAX_VALUES + 10 {
            issued.keep(&format!("value-{i:08}"));
        }
        assert_eq!(issued.values.len(), MAX_VALUES);
        assert!(issued.overflow);
        let mut long = Issued::default();
        long.keep(&"H".repeat(MAX_VALUE_LEN + 1));
        assert!(long.values.is_empty() && long.overflow);
    }
}
