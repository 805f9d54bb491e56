//! Secrets: what must never land on disk or in a log.
//!
//! Credentials reach mimeo from flags, the environment and client traffic. Every
//! writer (snapshots, recordings, JUnit, JSON, the terminal) scrubs the known
//! ones, and headers or parameters whose name or value looks like a credential are
//! redacted or left out. One place decides what "looks like a credential".

mod names;
mod shapes;

#[cfg(feature = "replay")]
pub(crate) use names::secret_response_header;
pub(crate) use names::{secret_header, secret_name};
pub(crate) use shapes::{scrub_shapes, secret_value};

/// `url` with the credentials in its userinfo (`https://user:pass@host`) shown
/// as `[redacted]`: a target URL may carry them, and it is printed, logged and
/// written into reports and recordings. So is the value of a query parameter
/// whose name looks secret (`?api_key=...`).
#[cfg(feature = "replay")]
pub(crate) fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let shown: std::borrow::Cow<'_, str> = match url[scheme_end..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &url[..scheme_end],
            &url[scheme_end + at..]
        )
        .into(),
        None => url.into(),
    };
    // A credential passed in the query (`?api_key=...`) is hidden as well.
    match redact_query(&shown) {
        Some(redacted) => redacted.into(),
        None => shown,
    }
}

/// `url` with the value of each query parameter whose name looks secret
/// ([`secret_name`]) as `[redacted]`; `None` when there is none.
#[cfg(feature = "replay")]
fn redact_query(url: &str) -> Option<String> {
    let end = url.find('#').unwrap_or(url.len());
    let start = url[..end].find('?')? + 1;
    let mut changed = false;
    let params: Vec<String> = url[start..end]
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((name, value)) if value != "[redacted]" && secret_name(name) => {
                changed = true;
                format!("{name}=[redacted]")
            }
            _ => p.to_string(),
        })
        .collect();
    changed.then(|| format!("{}{}{}", &url[..start], params.join("&"), &url[end..]))
}

/// The credentials in a URL (user and password, and the value of each query
/// parameter whose name looks secret and whose value could be a credential
/// ([`could_be_credential`]), decoded as well as written), for scrubbing
/// wherever they may have been echoed.
#[cfg(feature = "replay")]
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(query) = parsed.query() {
        for param in query.split('&') {
            let Some((name, raw)) = param.split_once('=') else {
                continue;
            };
            let decoded = form_urlencoded::parse(param.as_bytes()).next();
            let secret = decoded
                .as_ref()
                .is_some_and(|(n, _)| secret_name(n) || secret_name(name));
            if !secret || !could_be_credential(raw) {
                continue;
            }
            out.push(raw.to_string());
            if let Some((_, value)) = decoded.filter(|(_, v)| v != raw && !v.is_empty()) {
                out.push(value.into_owned());
            }
        }
    }
    for raw in [parsed.username(), parsed.password().unwrap_or("")] {
        if raw.is_empty() {
            continue;
        }
        out.push(raw.to_string());
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        if decoded != raw {
            out.push(decoded.into_owned());
        }
    }
    if let (user, Some(pass)) = (parsed.username(), parsed.password()) {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        out.extend(Secrets::basic(&decode(user), &decode(pass)));
    }
    out
}

/// Whether a secret-named query parameter's value is worth scrubbing
/// everywhere: a name matches by word (`key_format`, `sort_key`), and scrubbing
/// its `json` or `created_at` would garble every recording. A credential has
/// at least 8 characters, not all of them letters (`-`, `_`, `.` aside).
#[cfg(feature = "replay")]
fn could_be_credential(value: &str) -> bool {
    value.len() >= 8
        && !value
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '_' | '.'))
}

/// The credentials in an `Authorization` value: the value itself, the token after
/// the scheme, and for Basic the decoded user and password.
#[cfg(feature = "proxy")]
pub(crate) fn authorization_secrets(value: &str, out: &mut Vec<String>) {
    use base64::Engine;
    out.push(value.to_string());
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return;
    };
    let token = token.trim();
    out.push(token.to_string());
    if scheme.eq_ignore_ascii_case("basic") {
        if let Some((user, pass)) = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .as_deref()
            .and_then(|t| t.split_once(':'))
        {
            out.extend(Secrets::basic(user, pass));
        }
    }
}

/// The values of `uri`'s query parameters that look like credentials (by
/// name, by value, or by the contract's declared credential shapes): the
/// proxy hides them in its messages too (a violation quotes the value that
/// broke a rule). Its log line is redacted by the journal's redactor.
#[cfg(feature = "proxy")]
pub(crate) fn hidden_query_values(
    contract: &crate::contract::Contract,
    uri: &hyper::Uri,
) -> Vec<String> {
    let Some(query) = uri.query() else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| {
            secret_name(k)
                || secret_value(v)
                || contract.profile.is_credential(v)
                || contract.profile.is_key_name(k)
        })
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// Text that must never reach a snapshot, report or log (credentials): each is
/// replaced by `[redacted]`, in every form it may take once written: as given,
/// JSON-escaped (`\"`, and every character as `\u00XX`), XML-escaped,
/// URL-encoded, and base64 (standard and URL-safe, alone or inside a longer
/// base64 text). One pass over the text finds them all, however many there are.
///
/// # Examples
///
/// ```
/// use mimeo::Secrets;
///
/// let secrets = Secrets::new(Secrets::basic("AC123", "s3cr3t-token"));
/// assert_eq!(secrets.scrub("token=s3cr3t-token"), "token=[redacted]");
/// assert_eq!(secrets.scrub("t=czNjcjN0LXRva2Vu"), "t=[redacted]"); // base64
/// assert_eq!(secrets.scrub("t=s3cr3t%2Dtoken"), "t=[redacted]"); // URL-encoded
/// ```
#[derive(Clone, Default)]
pub struct Secrets {
    /// How many forms are hidden (their text is never shown, not even by `Debug`).
    count: usize,
    /// Tells these secrets from every other set made in the process (0: none
    /// hidden), so a memo of what they hide never answers for another.
    uid: u64,
    matcher: Option<std::sync::Arc<aho_corasick::AhoCorasick>>,
    /// The forms as JSON text writes them, when one without a backslash reads
    /// otherwise there (a quote or a control character in it); matched lazily,
    /// only the JSON report asks (see [`Secrets::clean_as_json`]).
    #[cfg(feature = "replay")]
    in_json: Option<std::sync::Arc<InJson>>,
    /// Whether a form holds a backslash other than as the start of a `\u`
    /// escape (one with a quote, a backslash or a control character, JSON-escaped):
    /// JSON inside a string can spell it with its own escapes.
    #[cfg(feature = "replay")]
    escaped_forms: bool,
}

/// Forms escaped as inside a JSON string, and their matcher once built.
#[cfg(feature = "replay")]
struct InJson {
    forms: Vec<String>,
    matcher: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms hidden)", self.count)
    }
}

/// What replaces a secret.
const REDACTED: &str = "[redacted]";

#[cfg(feature = "proxy")]
thread_local! {
    /// Sets of values made into [`Secrets`] lately on this thread: the proxy
    /// hides a client's credentials in each exchange's messages, a client sends
    /// the same ones every time, and building their matcher (every encoding of
    /// each) cost more than the rest of the exchange.
    static RECENT: std::cell::RefCell<crate::support::recent::Recent<Vec<String>, Secrets, 8>> =
        const { std::cell::RefCell::new(crate::support::recent::Recent::new()) };
}

impl Secrets {
    /// What tells this set from every other (see the field).
    pub(crate) fn uid(&self) -> u64 {
        self.uid
    }

    /// [`Secrets::new`], shared with the last call for the same values on this
    /// thread.
    #[cfg(feature = "proxy")]
    pub(crate) fn recent(values: Vec<String>) -> Secrets {
        // (Each value becomes some thirty forms: a bound on what is kept.)
        if values.iter().map(String::len).sum::<usize>() > 512 {
            return Secrets::new(values);
        }
        RECENT.with(|recent| {
            recent
                .borrow_mut()
                .get_or_make(values.as_slice(), || Secrets::new(values.iter().cloned()))
        })
    }

    /// Hides each of `values` (shorter than 4 characters: ignored, they would
    /// match everywhere).
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        // Values and forms are deduplicated apart: a value that happens to be
        // another's encoding still gets its own encodings.
        let (mut given, mut seen) = (
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        );
        let mut forms: Vec<String> = Vec::new();
        for v in values.into_iter().filter(|v| v.len() >= 4) {
            if !given.insert(v.clone()) {
                continue;
            }
            for form in encoded_forms(&v).into_iter().chain(std::iter::once(v)) {
                if form.len() >= 4 && seen.insert(form.clone()) {
                    forms.push(form);
                }
            }
        }
        forms.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let matcher = (!forms.is_empty())
            .then(|| {
                // An NFA: cheap to build (a proxy builds one per exchange with
                // violations), and linear to search like any.
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .build(&forms)
                    .ok()
            })
            .flatten()
            .map(std::sync::Arc::new);
        Secrets {
            count: forms.len(),
            uid: if forms.is_empty() {
                0
            } else {
                // (Never 0: it starts at 0 and this adds 1.)
                crate::support::seen::Uid::default().0 + 1
            },
            #[cfg(feature = "replay")]
            escaped_forms: forms.iter().any(|f| {
                f.match_indices('\\')
                    .any(|(i, _)| f.as_bytes().get(i + 1) != Some(&b'u'))
            }),
            #[cfg(feature = "replay")]
            in_json: forms
                .iter()
                .any(|f| !f.contains('\\') && json_escaped(f) != *f)
                .then(|| {
                    std::sync::Arc::new(InJson {
                        forms: forms
                            .iter()
                            .filter(|f| !f.contains('\\'))
                            .map(|f| json_escaped(f))
                            .collect(),
                        matcher: std::sync::OnceLock::new(),
                    })
                }),
            matcher,
        }
    }

    /// The secrets of Basic credentials: the SID, the token, and the header's
    /// base64 form (a server might echo it).
    pub fn basic(sid: &str, token: &str) -> Vec<String> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
        vec![sid.to_string(), token.to_string(), b64]
    }

    #[cfg(feature = "replay")]
    /// Whether there is nothing to hide.
    pub(crate) fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every secret replaced, borrowed when there was none.
    pub(crate) fn scrub_cow<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => {
                let mut out = String::with_capacity(text.len());
                m.replace_all_with(text, &mut out, |_, _, dst| {
                    dst.push_str(REDACTED);
                    true
                });
                std::borrow::Cow::Owned(out)
            }
            _ => std::borrow::Cow::Borrowed(text),
        }
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_cow(text).into_owned()
    }

    #[cfg(feature = "replay")]
    /// Scrubs every string and every key of a JSON value in place; a string that
    /// is itself JSON (a body) is scrubbed inside too, so a secret written with
    /// `\u` escapes, or as a key, is found.
    pub(crate) fn scrub_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                if let Some(clean) = self.scrub_json_text(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(map) => {
                // The map is rebuilt only when a key holds a secret: most hold none.
                let secret_key = map
                    .keys()
                    .any(|k| matches!(self.scrub_cow(k), std::borrow::Cow::Owned(_)));
                if !secret_key {
                    map.values_mut().for_each(|v| self.scrub_json(v));
                    return;
                }
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    self.scrub_json(&mut v);
                    map.insert(self.scrub(&k), v);
                }
            }
            _ => {}
        }
    }

    #[cfg(feature = "replay")]
    /// Whether [`Secrets::scrub_json`] would change nothing in the value `text`
    /// (JSON, as serde_json writes it) was written from. One pass over the text,
    /// cheaper than walking the value: a string or key is in the text with each
    /// character escaped, so a form in it is in the text escaped.
    ///
    /// A string holding a backslash (written `\\`) may be JSON (a body) whose own
    /// escapes spell a form, which the walk finds by reading it as JSON: `\u0041`
    /// any character and `\/` a slash, written `\\u` and `\\/`; the others
    /// (`\"`, `\\`, `\n`...) stand for a quote, a backslash or a control
    /// character, which only a form holding one has. So the text is judged here
    /// unless it has `\\u` or `\\/`, or a form holds a backslash other than as a
    /// `\u` escape's (`\u` forms need not be looked for: a string holding one is
    /// written with `\\u`). Forms without one read the same escaped unless they
    /// hold a quote or a control character: those are looked for as JSON escapes
    /// them.
    pub(crate) fn clean_as_json(&self, text: &[u8]) -> bool {
        let Some(matcher) = &self.matcher else {
            return true;
        };
        if memchr::memmem::find(text, b"\\\\").is_some()
            && (self.escaped_forms
                || memchr::memmem::find(text, b"\\\\u").is_some()
                || memchr::memmem::find(text, b"\\\\/").is_some())
        {
            return false;
        }
        let matcher = match &self.in_json {
            None => Some(&**matcher),
            Some(in_json) => in_json
                .matcher
                .get_or_init(|| {
                    aho_corasick::AhoCorasick::builder()
                        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                        .build(&in_json.forms)
                        .ok()
                })
                .as_ref(),
        };
        matcher.is_some_and(|m| !m.is_match(text))
    }

    #[cfg(feature = "replay")]
    /// `text` scrubbed, looking inside it when it is JSON; `None` when nothing
    /// changed.
    pub(crate) fn scrub_json_text(&self, text: &str) -> Option<String> {
        // Without an escape, every string and key inside JSON text is a piece of
        // the text: when the text holds no secret, neither does anything in it,
        // and it need not be parsed.
        if !text.contains('\\') && self.matcher.as_ref().is_some_and(|m| !m.is_match(text)) {
            return None;
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(mut inner) = serde_json::from_str::<serde_json::Value>(text) {
                let before = inner.clone();
                self.scrub_json(&mut inner);
                if inner != before {
                    return serde_json::to_string(&inner).ok();
                }
            }
        }
        match self.scrub_cow(text) {
            std::borrow::Cow::Owned(s) => Some(s),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }
}

/// `text` as it reads inside a JSON string that serde_json wrote (escaping is
/// per character, so a text inside a string is in the written string this way).
#[cfg(feature = "replay")]
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// `%2D` as `%2d`: the hex digits of percent escapes in lower case.
fn lower_hex_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for h in chars.by_ref().take(2) {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
    out
}

/// The forms a request's own credentials take in text made from that request
/// (its URL, the violations quoting its values): as sent, percent-encoded
/// (either hex case, spaces as `+` too) and JSON-escaped; 4 characters or more,
/// longest first. Fewer than [`Secrets`] covers, which also hides what a target
/// may echo (base64, `\u` escapes), because this runs per request.
pub(crate) fn request_forms(values: &[impl AsRef<str>]) -> Vec<String> {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().map(AsRef::as_ref).filter(|v| v.len() >= 4) {
        let percent = utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
        let json = serde_json::to_string(v).unwrap_or_default();
        let candidates = [
            v.to_string(),
            lower_hex_escapes(&percent),
            form_urlencoded::byte_serialize(v.as_bytes()).collect(),
            percent,
            json.trim_matches('"').to_string(),
        ];
        for form in candidates {
            if form.len() >= 4 && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.len()));
    out
}

/// The forms a secret may take once written or echoed (see [`Secrets`]).
fn encoded_forms(v: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let mut out = Vec::new();
    // JSON (and YAML double-quoted) escapes, and XML's.
    let json = serde_json::to_string(v).unwrap_or_default();
    out.push(json.trim_matches('"').to_string());
    out.push(
        v.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;"),
    );
    // As a member name in a JSON pointer (`/` is `~1`, `~` is `~0`).
    out.push(v.replace('~', "~0").replace('/', "~1"));
    // Every character escaped, as some JSON writers do.
    if v.is_ascii() {
        out.push(v.chars().map(|c| format!("\\u{:04x}", c as u32)).collect());
        out.push(v.chars().map(|c| format!("\\u{:04X}", c as u32)).collect());
    }
    // URL-encoded: every byte that is not a letter or digit as %XX, and the form
    // encoding (spaces as `+`).
    let percent = utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    out.push(lower_hex_escapes(&percent));
    out.push(form_urlencoded::byte_serialize(v.as_bytes()).collect());
    out.push(percent);
    // base64, alone and inside a longer text (its characters that do not depend
    // on the bytes around it, for each of the three alignments).
    for engine in [&STANDARD, &URL_SAFE] {
        out.push(engine.encode(v));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(v.as_bytes());
            let encoded = engine.encode(&bytes);
            let skip = [0, 2, 3][shift];
            let end = if bytes.len() % 3 == 0 {
                encoded.len()
            } else {
                encoded.len().saturating_sub(1)
            };
            if end > skip && end - skip >= 8 {
                out.push(encoded[skip..end].to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn shapes_in_free_text_and_every_form_of_a_known_secret() {
        let text = "sent Bearer abc.def-123 and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig and 0123456789abcdef0123456789abcdef";
        let out = scrub_shapes(text);
        assert_eq!(out, "sent [redacted] and [redacted] and [redacted]");
        let s = Secrets::new(vec!["p&ss w/rd".to_string()]);
        assert_eq!(s.scrub("q=p%26ss%20w%2Frd"), "q=[redacted]");
        assert_eq!(s.scrub("p&amp;ss w/rd"), "[redacted]");
    }

    #[cfg(feature = "replay")]
    #[test]
    fn json_text_is_looked_into_only_when_it_may_hold_a_secret() {
        let s = Secrets::new(vec!["s3cr3t-token".to_string()]);
        // No escape and no secret: nothing changes, nothing is parsed.
        assert_eq!(s.scrub_json_text(r#"{"a": "b", "c": [1, 2]}"#), None);
        // A secret written with escapes is found by parsing the body.
        let escaped = r#"{"t": "s3cr3t\u002dtoken"}"#;
        assert_eq!(
            s.scrub_json_text(escaped).as_deref(),
            Some(r#"{"t":"[redacted]"}"#)
        );
        // A secret as a key, in a value scrubbed in place.
        let mut v = serde_json::json!({"s3cr3t-token": {"k": "x s3cr3t-token"}, "z": "ok"});
        s.scrub_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"[redacted]": {"k": "x [redacted]"}, "z": "ok"})
        );
    }
}
