//! Secrets: what must never land on disk or in a log.
//!
//! Credentials reach mimeo from flags, the environment and client traffic. Every
//! writer (snapshots, recordings, JUnit, JSON, the terminal) scrubs the known
//! ones, and headers or parameters whose name or value looks like a credential are
//! redacted or left out. One place decides what "looks like a credential".

use std::sync::OnceLock;

use regex::Regex;

/// Headers whose values are always credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Whether a response header's value must not be written anywhere: `Set-Cookie`,
/// or a name that looks like a credential. Challenges (`WWW-Authenticate`) are
/// not credentials and stay, so snapshots can show them.
#[cfg(feature = "replay")]
pub(crate) fn secret_response_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&name.as_str())
        || (secret_name(&name) && !name.ends_with("-authenticate"))
}

/// Whether a request header's value must not be written anywhere: a credential
/// header, or a name or value that looks like one.
pub(crate) fn secret_header(name: &str, value: &str) -> bool {
    CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str())
        || secret_name(name)
        || secret_value(value)
}

/// Words that make a header or query parameter name look like it carries a secret.
const SECRET_WORDS: [&str; 7] = [
    "token", "secret", "password", "key", "session", "cookie", "auth",
];

/// Whether a header or query parameter name looks like it carries a secret.
pub(crate) fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// Whether a value looks like a credential in any API: an HTTP auth scheme and
/// its token, a 32-hex token, or a JWT. An API's own credential shapes (Twilio's
/// SIDs) are declared in its contract and checked by the contract's profile.
pub(crate) fn secret_value(value: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)^\s*(basic|bearer|digest|token)\s+\S|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.",
        )
        .expect("a valid built-in pattern")
    })
    .is_match(value)
}

/// Replaces, in free text (a violation message, a body that is not JSON), every
/// substring shaped like a credential in any API: an auth scheme and its token,
/// a 32-hex token, a JWT.
pub(crate) fn scrub_shapes(text: &str) -> std::borrow::Cow<'_, str> {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)\b(basic|bearer|digest|token)\s+[A-Za-z0-9._~+/=-]{4,}|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        )
        .expect("a valid built-in pattern")
    })
    .replace_all(text, "[redacted]")
}

/// Text that must never reach a snapshot, report or log (credentials): each is
/// replaced by `[redacted]`, in its plain, JSON-escaped, XML-escaped and
/// percent-encoded forms.
///
/// # Examples
///
/// ```
/// use mimeo::Secrets;
///
/// let secrets = Secrets::new(Secrets::basic("AC123", "s3cr3t-token"));
/// assert_eq!(secrets.scrub("token=s3cr3t-token"), "token=[redacted]");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// Hides each of `values` (shorter than 4 characters: ignored, they would
    /// match everywhere).
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut list: Vec<String> = Vec::new();
        for v in values.into_iter().filter(|v| v.len() >= 4) {
            // Reports are scrubbed as text after serialising, so the escaped forms
            // (JSON, XML) must go too: `p&ss"` is `p&amp;ss&quot;` in JUnit.
            let json = serde_json::to_string(&v).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            let xml = v
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&apos;");
            let url = percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
            let form_encoded: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            for form in [v, json, xml, url, form_encoded] {
                if !list.contains(&form) {
                    list.push(form);
                }
            }
        }
        list.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Secrets(list)
    }

    /// The secrets of Basic credentials: the SID, the token, and the header's
    /// base64 form (a server might echo it).
    pub fn basic(sid: &str, token: &str) -> Vec<String> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
        vec![sid.to_string(), token.to_string(), b64]
    }

    /// Adds more values to hide (shorter than 4 characters: ignored).
    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = String>) {
        let more = Secrets::new(values);
        for v in more.0 {
            if !self.0.contains(&v) {
                self.0.push(v);
            }
        }
        self.0.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Whether there is nothing to hide.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.0 {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        out
    }
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
}
