//! Credentials out of everything the journal shows: headers that carry them or
//! look like them, query parameters, JSON body members named like secrets,
//! values shaped like the contract's declared credentials, and every form of the
//! credentials the request itself sent (its Basic password, its bearer token),
//! wherever else they appear in it: URL, body, other headers, messages.

use std::borrow::Cow;

use hyper::header::{HeaderMap, AUTHORIZATION, COOKIE};
use serde_json::Value;

use crate::contract::profile::Profile;
use crate::secrets::{secret_header, secret_name, Secrets};
use crate::serve::SESSION_HEADER;

/// The stand-in for a hidden value.
pub(crate) const REDACTED: &str = "[redacted]";

/// Redacts one request's parts.
pub(crate) struct Redactor<'a> {
    profile: &'a Profile,
    /// The server's own credentials (one matcher, built once at start).
    configured: &'a Secrets,
    /// The credentials this request carries (mostly borrowed from its headers).
    found: Vec<Cow<'a, str>>,
    /// Values the query or a form body hides for themselves, hidden in
    /// messages too (see [`Redactor::with_query`], [`Redactor::with_form`]).
    query_hidden: Vec<String>,
    /// Their forms as a request's own text may show them (as sent,
    /// percent-encoded, JSON-escaped), longest first: made on first use, and
    /// replaced one by one (a matcher per request would cost more than it saves).
    forms: std::sync::OnceLock<Vec<String>>,
}

impl<'a> Redactor<'a> {
    /// A redactor for a request with `headers`: hides `configured` (the server's
    /// own credentials) and every credential the request carries.
    pub(crate) fn new(
        profile: &'a Profile,
        configured: &'a Secrets,
        headers: &'a HeaderMap,
    ) -> Self {
        Redactor::of(
            profile,
            configured,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        )
    }

    /// The same, also hiding in messages ([`Redactor::message`]) the values
    /// its `query` hides for themselves (named or shaped like credentials): a
    /// violation quotes the value that broke a rule (`?removeAll=<a token>`).
    pub(crate) fn with_query(mut self, query: Option<&str>) -> Self {
        if let Some(query) = query {
            self.hide_pairs(query.as_bytes());
        }
        self
    }

    /// The same for a form-encoded body's pairs (`token=<t>&remember=<t>`),
    /// when `form` says the body is one.
    pub(crate) fn with_form(mut self, body: &[u8], form: bool) -> Self {
        if form {
            self.hide_pairs(body);
        }
        self
    }

    fn hide_pairs(&mut self, pairs: &[u8]) {
        for (k, v) in form_urlencoded::parse(pairs) {
            // (As short a value would hide every text holding it; see `carries`.)
            let named = secret_name(&k) || self.profile.is_key_name(&k);
            // A flag under a secret name (`?token=true`) is no credential, and
            // hidden it would hide every `true` in the request's messages.
            let flag = ["true", "false", "null"]
                .iter()
                .any(|f| v.eq_ignore_ascii_case(f));
            if v.len() >= 4 && !flag && (named || self.profile.is_secret(&v)) {
                self.query_hidden.push(v.into_owned());
            }
        }
    }

    /// The same, from headers as name and value bytes.
    pub(crate) fn of(
        profile: &'a Profile,
        configured: &'a Secrets,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        Redactor {
            profile,
            configured,
            found: carried(profile, headers),
            query_hidden: Vec::new(),
            forms: std::sync::OnceLock::new(),
        }
    }
}

/// [`carried`], owned (for the proxy's messages).
#[cfg(feature = "proxy")]
pub(crate) fn carried_credentials<'h>(
    profile: &Profile,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
) -> Vec<String> {
    carried(profile, headers)
        .into_iter()
        .map(Cow::into_owned)
        .collect()
}

/// The credentials a request carries in its headers: values of headers that
/// are or look like credentials (the contract's API keys included), the token
/// after an auth scheme, Basic's password (and its user when that looks like a
/// credential), cookie values. What the mock's journal and log, and the
/// proxy's messages, hide wherever the request's own text shows them.
fn carried<'h>(
    profile: &Profile,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
) -> Vec<Cow<'h, str>> {
    let mut found = Vec::new();
    for (name, value) in headers {
        let carries = JUDGED.with(|j| {
            j.borrow_mut()
                .get_or_judge(profile.uid.0, name, value, || carries(profile, name, value))
        });
        if !carries {
            continue;
        }
        let Ok(text) = std::str::from_utf8(value) else {
            continue;
        };
        found.push(Cow::Borrowed(text.trim()));
        if let Some((scheme, token)) = text.trim().split_once(' ') {
            let token = token.trim();
            found.push(Cow::Borrowed(token));
            if scheme.eq_ignore_ascii_case("basic") && name == AUTHORIZATION.as_str() {
                let decoded = crate::http::basic::decode(token);
                if let Some(b) = decoded.as_deref() {
                    if let Some(pass) = &b.password {
                        found.push(Cow::Owned(String::from(&**pass)));
                        if profile.is_secret(&b.user) {
                            found.push(Cow::Owned(String::from(&*b.user)));
                        }
                    }
                }
            }
        }
        if name == COOKIE.as_str() {
            found.extend(
                text.split(';')
                    .filter_map(|c| c.split_once('=').map(|(_, v)| Cow::Borrowed(v.trim()))),
            );
        }
    }
    found
}

thread_local! {
    /// Headers judged by [`carries`], by profile: a client sends the same
    /// headers on every request.
    static JUDGED: std::cell::RefCell<crate::support::seen::Seen<bool>> =
        const { std::cell::RefCell::new(crate::support::seen::Seen::new()) };
}

/// Whether header `name: value` carries a credential (see [`carried`]).
fn carries(profile: &Profile, name: &str, value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    // The session's name is how tests tell clients apart, not a credential.
    if name == SESSION_HEADER && !profile.is_secret(text) {
        return false;
    }
    // (`secret_header` judges the generic value shapes; the API's own are
    // the profile's.)
    secret_header(name, text) || profile.is_credential(text) || profile.is_key_name(name)
}

impl Redactor<'_> {
    /// A header's value as shown.
    pub(crate) fn header(&self, name: &str, value: &[u8]) -> String {
        let text = String::from_utf8_lossy(value);
        let session = name.eq_ignore_ascii_case(SESSION_HEADER);
        if (!session && (secret_header(name, &text) || self.profile.is_key_name(name)))
            || self.profile.is_secret(&text)
        {
            return REDACTED.to_string();
        }
        self.text(&text)
    }

    /// A request target (`/path?query`) as shown: query values that are or look
    /// like credentials hidden.
    pub(crate) fn target<'t>(&self, path: &'t str, query: Option<&str>) -> Cow<'t, str> {
        let path = self.shown(path);
        let Some(query) = query else { return path };
        Cow::Owned(format!("{path}?{}", self.pairs(query)))
    }

    /// Form-encoded pairs (a query, a form body) as shown: the values of pairs
    /// named like credentials, or that are one, hidden; the rest scrubbed.
    fn pairs<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            form_urlencoded::parse(text.as_bytes()).collect();
        if !pairs.iter().any(|(k, v)| self.hides(k, v)) {
            return self.shown(text);
        }
        // Keys are scrubbed too: a key may be a credential, or (a JSON body sent
        // as a form, as `curl -d` sends one) hold one.
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs_shown(&pairs) {
            s.append_pair(&k, &v);
        }
        Cow::Owned(s.finish())
    }

    /// A query's pairs as shown, each apart (the journal's `queryParams`),
    /// hidden as [`Redactor::target`] hides them.
    pub(crate) fn query_pairs(&self, query: &str) -> Vec<(String, String)> {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            form_urlencoded::parse(query.as_bytes()).collect();
        self.pairs_shown(&pairs)
    }

    /// Each pair's key and value as shown: a value hidden under one name is
    /// hidden under every other too (`?removeAll=X&token=X`).
    fn pairs_shown(&self, pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Vec<(String, String)> {
        let hidden: Vec<&str> = pairs
            .iter()
            .filter(|(k, v)| v.len() >= 4 && self.hides(k, v))
            .map(|(_, v)| v.as_ref())
            .collect();
        pairs
            .iter()
            .map(|(k, v)| {
                let shown = if self.hides(k, v) || hidden.iter().any(|h| v.contains(h)) {
                    REDACTED.to_string()
                } else {
                    self.text(v)
                };
                (self.text(k), shown)
            })
            .collect()
    }

    /// Whether a pair's value is hidden for itself: named like a credential
    /// or an API key of the contract, shaped like one, or one the request
    /// carries.
    fn hides(&self, name: &str, value: &str) -> bool {
        secret_name(name)
            || self.profile.is_key_name(name)
            || self.profile.is_secret(value)
            || self.carries(value)
    }

    /// Whether a decoded query or form value holds a credential the request
    /// carries, however the client encoded it (`%50a55`, `%2B`), or with its
    /// `+` read as a space, as form decoding reads it.
    fn carries(&self, decoded: &str) -> bool {
        let plus = decoded.contains(' ').then(|| decoded.replace(' ', "+"));
        // As `request_forms`: a credential this short (a cookie's `1`) would
        // hide every value holding that text.
        self.found.iter().any(|c| {
            c.len() >= 4
                && (decoded.contains(c.as_ref())
                    || plus.as_ref().is_some_and(|p| p.contains(c.as_ref())))
        })
    }

    /// A body as shown: JSON with members named like secrets and values shaped
    /// like credentials hidden; a form-encoded body (`form`) as a query is;
    /// other text scrubbed; `None` for bytes that are not text.
    pub(crate) fn body(&self, bytes: &[u8], form: bool) -> Option<String> {
        let text = std::str::from_utf8(bytes).ok()?;
        // JSON is read as JSON whatever it is labelled (`curl -d` labels a JSON
        // body a form).
        let json = serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| !form || v.is_object() || v.is_array());
        if let Some(mut value) = json {
            if self.json(&mut value, 0) {
                return Some(value.to_string());
            }
            return Some(self.text(text));
        }
        if form {
            return Some(self.pairs(text).into_owned());
        }
        Some(self.text(text))
    }

    /// Hides secrets inside a JSON value; `true` if anything changed.
    fn json(&self, value: &mut Value, depth: usize) -> bool {
        // Bodies are bounded in size; the depth bound keeps the walk off the stack's edge.
        if depth > 64 {
            return false;
        }
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (k, v) in map.iter_mut() {
                    if secret_name(k)
                        && !matches!(v, Value::Object(_) | Value::Array(_) | Value::Null)
                    {
                        *v = Value::String(REDACTED.into());
                        changed = true;
                    } else {
                        changed |= self.json(v, depth + 1);
                    }
                }
                changed
            }
            Value::Array(items) => {
                // Every item is walked: no short-circuit.
                let mut changed = false;
                for v in items.iter_mut() {
                    changed |= self.json(v, depth + 1);
                }
                changed
            }
            Value::String(s) => {
                let shown = if self.profile.is_secret(s) {
                    REDACTED.to_string()
                } else {
                    self.text(s)
                };
                let changed = shown != *s;
                *s = shown;
                changed
            }
            _ => false,
        }
    }

    /// A message about the request (a violation, a reason) as shown: as
    /// [`Redactor::text`], and without the values its query hides (a message
    /// quotes the value that broke a rule, which the URL shows hidden).
    pub(crate) fn message(&self, text: &str) -> String {
        let mut shown = self.text(text);
        for v in &self.query_hidden {
            if shown.contains(v.as_str()) {
                shown = shown.replace(v.as_str(), REDACTED);
            }
        }
        // A message quotes a long value cut short (`got `abc…``): the start
        // of a hidden value, or of a credential the request carries, is
        // hidden too.
        let long = self.query_hidden.iter().map(String::as_str);
        for v in long.chain(self.found.iter().map(AsRef::as_ref)) {
            shown = hide_starts(shown, v);
        }
        shown
    }

    /// Free text (a path, a message, a value) with every known credential and
    /// every credential shape hidden.
    pub(crate) fn text(&self, text: &str) -> String {
        self.shown(text).into_owned()
    }

    /// [`Redactor::text`], borrowing `text` when nothing in it is hidden (the
    /// usual case: a log line's path and session cost no copy).
    pub(crate) fn shown<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut scrubbed = self.configured.scrub_cow(text);
        // Encoded forms differ from the values only by `%`, `+` or `\`: text
        // without those can hold the values only as sent (the usual case: a
        // session name, a plain path), and needs no forms made.
        // (memchr3: this runs on every logged path.)
        let encoded = memchr::memchr3(b'%', b'+', b'\\', text.as_bytes()).is_some();
        let plain_only = !encoded && !self.found.iter().any(|v| text.contains(v.as_ref()));
        let forms = if self.found.is_empty() || plain_only {
            &[][..]
        } else {
            self.forms
                .get_or_init(|| crate::secrets::request_forms(&self.found))
                .as_slice()
        };
        for form in forms {
            if scrubbed.contains(form.as_str()) {
                scrubbed = Cow::Owned(scrubbed.replace(form.as_str(), REDACTED));
            }
        }
        match scrubbed {
            Cow::Borrowed(t) => self.profile.scrub(t),
            Cow::Owned(t) => Cow::Owned(self.profile.scrub(&t).into_owned()),
        }
    }
}

/// How much of a credential's start [`hide_starts`] looks for.
const START: usize = 16;

/// `text` with every run of 16 characters or more that starts `value` (a
/// value cut short in a message) replaced by [`REDACTED`].
fn hide_starts(text: String, value: &str) -> String {
    // (The first character boundary at or past 16 bytes: `秘密…` has none at 16.)
    let Some(cut) = (START..value.len()).find(|&n| value.is_char_boundary(n)) else {
        return text;
    };
    let start = &value[..cut];
    if !text.contains(start) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(start) {
        out.push_str(&rest[..at]);
        let run = &rest[at..];
        let same = run
            .bytes()
            .zip(value.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // (On a character boundary: both texts agree up to `same`.)
        let same = (cut..=same)
            .rev()
            .find(|&n| run.is_char_boundary(n))
            .unwrap_or(cut);
        out.push_str(REDACTED);
        rest = &run[same..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use hyper::header::HeaderValue;

    #[test]
    fn the_start_of_a_value_cut_short_is_hidden() {
        let token = "Zq9kLm3Np7Rt2Vw8Xy4Bc6Df1Gh5Jk0Mn";
        let cut = format!("expected `true` or `false`, got `{}…`", &token[..20]);
        assert_eq!(
            hide_starts(cut, token),
            "expected `true` or `false`, got `[redacted]…`"
        );
        // Shorter runs, and values of 16 characters or fewer, are left.
        let text = format!("got `{}`", &token[..10]);
        assert_eq!(hide_starts(text.clone(), token), text);
        assert_eq!(hide_starts("abc".into(), "abc"), "abc");
        // Several, and text around them.
        let two = format!("a {token} b {}… c", &token[..17]);
        assert_eq!(hide_starts(two, token), "a [redacted] b [redacted]… c");
        // Characters of several bytes: byte 16 falls inside one.
        let wide = "秘密の合言葉です".repeat(4);
        let cut: String = wide.chars().take(9).collect();
        assert_eq!(
            hide_starts(format!("got `{cut}…`"), &wide),
            "got `[redacted]…`"
        );
    }

    #[test]
    fn a_flag_under_a_secret_name_hides_nothing_in_messages() {
        let contract = crate::Contract::embedded().unwrap();
        let none = Secrets::default();
        let h = HeaderMap::new();
        let r = Redactor::new(&contract.profile, &none, &h)
            .with_query(Some("token=true&apiKey=k3y-v4lue-long"));
        assert_eq!(
            r.message("removeAll: expected `true`, got `k3y-v4lue-long`"),
            "removeAll: expected `true`, got `[redacted]`"
        );
    }

    #[test]
    fn a_short_credential_hides_no_value_holding_it() {
        // `Cookie: consent=1` hid `limit=10`.
        let contract = crate::Contract::embedded().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("consent=1; session=s3cr3t-c00kie"),
        );
        let none = Secrets::default();
        let r = Redactor::new(&contract.profile, &none, &h);
        assert_eq!(
            r.target("/pets", Some("limit=10&x=s3cr3t-c00kie")),
            "/pets?limit=10&x=%5Bredacted%5D"
        );
    }

    #[test]
    fn hides_every_form_of_what_the_request_sent() {
        let contract = crate::Contract::embedded().unwrap();
        let profile = &contract.profile;
        let mut h = HeaderMap::new();
        // ACaaaa...:s3cr3t-t0ken
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("AC{}:s3cr3t-t0ken", "a".repeat(32)));
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).unwrap(),
        );
        h.insert("x-api-key", HeaderValue::from_static("k-123456"));
        h.insert("accept", HeaderValue::from_static("application/json"));
        let none = Secrets::default();
        let r = Redactor::new(profile, &none, &h);
        assert_eq!(r.header("authorization", basic.as_bytes()), REDACTED);
        assert_eq!(r.header("x-api-key", b"k-123456"), REDACTED);
        assert_eq!(r.header("accept", b"application/json"), "application/json");
        assert_eq!(
            r.target("/v1/x", Some("token=abc&q=s3cr3t-t0ken&ok=1")),
            "/v1/x?token=%5Bredacted%5D&q=%5Bredacted%5D&ok=1"
        );
        let body = r
            .body(
                br#"{"password":"hunter2","note":"my token is s3cr3t-t0ken","n":1}"#,
                false,
            )
            .unwrap();
        assert_eq!(
            body,
            r#"{"password":"[redacted]","note":"my token is [redacted]","n":1}"#
        );
        assert_eq!(
            r.text(&format!("user AC{}", "a".repeat(32))),
            "user [redacted]"
        );
        assert!(r.body(&[0xff, 0xfe], false).is_none());
        // A form body as a query: pairs named like credentials, or holding one.
        assert_eq!(
            r.body(b"Action=Go&Password=hunter2&Note=s3cr3t-t0ken&n=1", true)
                .unwrap(),
            "Action=Go&Password=%5Bredacted%5D&Note=%5Bredacted%5D&n=1"
        );
        assert_eq!(r.body(b"Action=Go&n=1", true).unwrap(), "Action=Go&n=1");
        // A key is scrubbed too, and JSON labelled a form is read as JSON.
        assert_eq!(
            r.body(b"password=x&s3cr3t-t0ken=1", true).unwrap(),
            "password=%5Bredacted%5D&%5Bredacted%5D=1"
        );
        assert_eq!(
            r.body(br#"{"password":"hunter2"}"#, true).unwrap(),
            r#"{"password":"[redacted]"}"#
        );
    }
}
