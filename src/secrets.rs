//! Secrets: what must never land on disk or in a log.
//!
//! Credentials reach mimeo from flags, the environment and client traffic. Every
//! writer (snapshots, recordings, JUnit, JSON, the terminal) scrubs the known
//! ones, and headers or parameters whose name or value looks like a credential are
//! redacted or left out. One place decides what "looks like a credential".

use std::sync::OnceLock;

use regex::Regex;

/// `url` with the credentials in its userinfo (`https://user:pass@host`) shown
/// as `[redacted]`: a target URL may carry them, and it is printed, logged and
/// written into reports and recordings.
pub(crate) fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &url[..scheme_end],
            &url[scheme_end + at..]
        )
        .into(),
        None => url.into(),
    }
}

/// The credentials in a URL's userinfo (user and password, decoded as well as
/// written), for scrubbing wherever they may have been echoed.
pub(crate) fn userinfo_secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
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

/// The credentials in an `Authorization` value: the value itself, the token after
/// the scheme, and for Basic the decoded user and password.
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

/// Text that must never reach a snapshot, report or log (credentials): each is
/// replaced by `[redacted]`, in its plain, JSON-escaped and XML-escaped forms.
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
            for form in [v, json, xml] {
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

    /// `text` with every secret replaced, borrowed when there was none.
    pub(crate) fn scrub_cow<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.0.iter().any(|s| text.contains(s.as_str())) {
            std::borrow::Cow::Owned(self.scrub(text))
        } else {
            std::borrow::Cow::Borrowed(text)
        }
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
