//! What is particular to one API rather than to OpenAPI: how its error bodies
//! carry a message, which answer values change from call to call, what its
//! credentials look like, and how its redirects name the new resource. A contract
//! declares these in `x-mimeo` extensions (documented in the README); the engine
//! reads them here and never hard-codes one API's habits. Without declarations,
//! generic behaviour applies.

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;

/// The root extension: `x-mimeo: {errors, volatile, credentials}`.
pub(crate) const ROOT: &str = "x-mimeo";
/// On a response: `x-mimeo-redirect: {parameter, header}`.
pub(crate) const REDIRECT: &str = "x-mimeo-redirect";

/// The API's habits, read from the document's `x-mimeo` extension.
#[derive(Debug, Default)]
// Volatile values and credential shapes are read by the proxy's recorder only,
// but every build checks them, so a typo in a contract is refused the same way.
#[cfg_attr(not(feature = "proxy"), allow(dead_code))]
pub(crate) struct Profile {
    pub(crate) errors: ErrorFields,
    pub(crate) volatile: Volatile,
    /// Value shapes that are credentials (besides the generic ones).
    pub(crate) credentials: Vec<Regex>,
    /// The shortest text any of them can match: shorter values (most header
    /// values) are not run through them.
    pub(crate) credential_min_len: usize,
    /// Names of the headers, query parameters and cookies the contract's
    /// security schemes declare as API keys (lower case): their values are
    /// credentials whatever the names look like.
    pub(crate) key_names: Vec<String>,
    /// Tells this profile's verdicts from another contract's in the memos a
    /// thread keeps (see [`Profile::scrub`]).
    pub(crate) uid: crate::support::seen::Uid,
}

thread_local! {
    /// Texts [`Profile::scrub`] found clean or not, by profile: a log line's
    /// path and reason repeat request after request.
    static SCRUBBED: std::cell::RefCell<crate::support::seen::Seen<bool>> =
        const { std::cell::RefCell::new(crate::support::seen::Seen::new()) };
}

/// How the contract's error bodies are filled when mimeo makes an error itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ErrorFields {
    /// The member that carries the message; by default the first of `message`,
    /// `detail`, `error_description`, `error`, `title` the body has.
    #[serde(default)]
    pub(crate) message: Option<String>,
    /// A numeric member set to the HTTP status.
    #[serde(default = "status_field")]
    pub(crate) status: Option<String>,
    /// A numeric API error code, set to the HTTP status when mimeo borrows the
    /// error shape of another status (its own code would be wrong there).
    #[serde(default)]
    pub(crate) code: Option<String>,
    /// A URL ending in the code (`.../errors/20404`) that follows the code.
    #[serde(default)]
    pub(crate) more_info: Option<String>,
}

fn status_field() -> Option<String> {
    Some("status".into())
}

impl Default for ErrorFields {
    fn default() -> Self {
        ErrorFields {
            message: None,
            status: status_field(),
            code: None,
            more_info: None,
        }
    }
}

/// Members tried, in order, for an error's message when none is declared.
pub(crate) const MESSAGE_FIELDS: [&str; 5] =
    ["message", "detail", "error_description", "error", "title"];

/// Answer values that change from call to call: a recording redacts them, and
/// snapshots and the differential view hide their patterns, so they stay
/// stable; the stateful mock draws fresh ones (`serve::fresh`).
#[derive(Debug, Default)]
pub(crate) struct Volatile {
    /// Response headers, with the text that replaces their value.
    pub(crate) headers: Vec<(String, String)>,
    /// Patterns in headers and bodies, with the text that replaces a match.
    pub(crate) patterns: Vec<(Regex, String)>,
}

impl Volatile {
    /// `text` with every match of a volatile pattern replaced by its stand-in
    /// (`mem_operation_…` as `[operation]`): what snapshots and differential
    /// views show, so a value fresh on every call does not churn them.
    #[cfg(feature = "replay")]
    pub(crate) fn hide<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for (re, with) in &self.patterns {
            if re.is_match(&out) {
                out = std::borrow::Cow::Owned(
                    re.replace_all(&out, regex::NoExpand(with)).into_owned(),
                );
            }
        }
        out
    }

    /// The stand-in of header `name`'s value when the header is volatile: the
    /// contract's (`x-mimeo.volatile.headers`), else `[name]` for a header
    /// volatile in any API (ETag, Last-Modified, Retry-After).
    #[cfg(feature = "replay")]
    pub(crate) fn stand_in(&self, name: &str) -> Option<String> {
        if let Some((_, with)) = self
            .headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
        {
            return Some(with.clone());
        }
        GENERIC_VOLATILE_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
            .then(|| format!("[{}]", name.to_ascii_lowercase()))
    }

    /// What hides one answer's volatile values (see [`InAnswer`]).
    #[cfg(feature = "replay")]
    pub(crate) fn in_answer<'a>(&'a self, headers: &'a [(String, String)]) -> InAnswer<'a> {
        let values = headers
            .iter()
            .filter(|(_, v)| v.len() >= 8)
            .filter_map(|(name, v)| Some((v.as_str(), self.stand_in(name)?)))
            .collect();
        InAnswer {
            volatile: self,
            values,
        }
    }
}

/// One answer's volatile header values (8 characters or more), with their
/// stand-ins: a value (an operation id) also stands in the Location and body
/// that name it (`.../Operations/<id>`), whatever its shape, and is hidden
/// there too, as snapshots and differential views show an answer.
#[cfg(feature = "replay")]
pub(crate) struct InAnswer<'a> {
    volatile: &'a Volatile,
    values: Vec<(&'a str, String)>,
}

#[cfg(feature = "replay")]
impl InAnswer<'_> {
    /// `text` with the answer's volatile values, then the contract's volatile
    /// patterns, replaced by their stand-ins (the values first: the patterns
    /// would name the mock's ids alone).
    pub(crate) fn hide(&self, text: &str) -> String {
        self.hide_cow(text).into_owned()
    }

    /// [`InAnswer::hide`], borrowing `text` when it holds nothing volatile
    /// (a snapshot's whole body is not copied for nothing).
    pub(crate) fn hide_cow<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        use std::borrow::Cow;
        let mut text = Cow::Borrowed(text);
        for (value, with) in &self.values {
            if text.contains(value) {
                text = Cow::Owned(text.replace(value, with));
            }
        }
        match self.volatile.hide(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(hidden) => Cow::Owned(hidden),
        }
    }
}

/// Response headers volatile in any API (RFC 9110 validators and back-off).
#[cfg(feature = "replay")]
pub(crate) const GENERIC_VOLATILE_HEADERS: [&str; 3] = ["ETag", "Last-Modified", "Retry-After"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    errors: Option<ErrorFields>,
    #[serde(default)]
    volatile: Option<RawVolatile>,
    #[serde(default)]
    credentials: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVolatile {
    #[serde(default)]
    headers: Vec<String>,
    #[serde(default)]
    patterns: Vec<RawPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    pattern: String,
    with: String,
}

/// A redirect response's rule: the path parameter that takes the value of a
/// header of the same response (`profileId` <- `Canonical-Profile-Id`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedirectRule {
    pub(crate) parameter: String,
    pub(crate) header: String,
}

impl Profile {
    /// Reads `x-mimeo` from the document root (`extension` is its value).
    pub(crate) fn read(file: &str, extension: Option<&Value>) -> Result<Profile, Diagnostic> {
        let at = format!("/{ROOT}");
        let Some(value) = extension else {
            return Ok(Profile::default());
        };
        let raw: Raw = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let place = format!("{at}{}", super::typed::path_to_pointer(e.path()));
            Diagnostic::at_pointer(file, &place, e.inner().to_string())
        })?;
        let regex = |p: &str, where_: String| {
            Regex::new(p).map_err(|e| {
                Diagnostic::at_pointer(
                    file,
                    &where_,
                    format!("`{p}` is not a regular expression: {e}"),
                )
            })
        };
        let mut volatile = Volatile::default();
        if let Some(v) = raw.volatile {
            for h in v.headers {
                let with = format!("[{}]", h.to_ascii_lowercase());
                volatile.headers.push((h, with));
            }
            for (i, p) in v.patterns.into_iter().enumerate() {
                let re = regex(&p.pattern, format!("{at}/volatile/patterns/{i}/pattern"))?;
                volatile.patterns.push((re, p.with));
            }
        }
        let credentials = raw
            .credentials
            .iter()
            .enumerate()
            .map(|(i, p)| regex(p, format!("{at}/credentials/{i}")))
            .collect::<Result<_, _>>()?;
        let credential_min_len = raw
            .credentials
            .iter()
            .map(|p| min_len(p))
            .min()
            .unwrap_or(0);
        Ok(Profile {
            errors: raw.errors.unwrap_or_default(),
            volatile,
            credentials,
            credential_min_len,
            key_names: Vec::new(),
            uid: Default::default(),
        })
    }

    /// Whether `value` has the shape of one of the API's own credentials.
    pub(crate) fn is_credential(&self, value: &str) -> bool {
        value.len() >= self.credential_min_len
            && self.credentials.iter().any(|re| re.is_match(value))
    }

    /// Whether `value` looks like a credential: a generic one (an auth scheme and
    /// token, a JWT, a long hex token) or one of the API's own shapes.
    /// Whether a header, query parameter or cookie of this name carries an API
    /// key the contract declares.
    pub(crate) fn is_key_name(&self, name: &str) -> bool {
        self.key_names.iter().any(|k| k.eq_ignore_ascii_case(name))
    }

    pub(crate) fn is_secret(&self, value: &str) -> bool {
        crate::secrets::secret_value(value) || self.is_credential(value)
    }

    /// `text` with every substring shaped like a credential (generic or the
    /// API's own) replaced by `[redacted]`.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match SCRUBBED.with(|s| s.borrow().get(self.uid.0, text, b"")) {
            Some(true) => std::borrow::Cow::Borrowed(text),
            Some(false) => self.scrub_now(text),
            None => {
                let out = self.scrub_now(text);
                let clean = matches!(out, std::borrow::Cow::Borrowed(_));
                SCRUBBED.with(|s| s.borrow_mut().keep(self.uid.0, text, b"", clean));
                out
            }
        }
    }

    /// [`Profile::scrub`], judged now.
    fn scrub_now<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let mut out = crate::secrets::scrub_shapes(text);
        if out.len() < self.credential_min_len {
            return out;
        }
        for re in &self.credentials {
            if re.is_match(&out) {
                out = std::borrow::Cow::Owned(re.replace_all(&out, "[redacted]").into_owned());
            }
        }
        out
    }
}

/// The fewest bytes a match of `pattern` (already known to compile) can have;
/// 0 when that cannot be told.
fn min_len(pattern: &str) -> usize {
    regex_syntax::Parser::new()
        .parse(pattern)
        .ok()
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0)
}

/// Reads a response's `x-mimeo-redirect` (at `at` in `file`).
pub(crate) fn redirect_rule(
    file: &str,
    at: &str,
    extension: Option<&Value>,
) -> Result<Option<RedirectRule>, Diagnostic> {
    extension
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|e| {
                Diagnostic::at_pointer(file, &format!("{at}/{REDIRECT}"), e.to_string())
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_declarations_and_refuses_typos() {
        let p = Profile::read(
            "a.yaml",
            Some(&json!({
                "errors": {"message": "msg", "code": "code"},
                "volatile": {"headers": ["Operation-Id"], "patterns": [{"pattern": "op_[0-9]+", "with": "[op]"}]},
                "credentials": ["AC[0-9a-f]{32}"]
            })),
        )
        .unwrap();
        assert_eq!(p.errors.message.as_deref(), Some("msg"));
        assert_eq!(p.errors.status.as_deref(), Some("status"));
        assert_eq!(p.volatile.headers[0].1, "[operation-id]");
        assert_eq!(p.credentials.len(), 1);
        let e = Profile::read("a.yaml", Some(&json!({"error": {}}))).unwrap_err();
        assert!(e.to_string().contains("unknown field `error`"), "{e}");
        let e = Profile::read("a.yaml", Some(&json!({"credentials": ["("]}))).unwrap_err();
        assert_eq!(e.pointer(), Some("/x-mimeo/credentials/0"), "{e}");
        assert!(Profile::read("a.yaml", None)
            .unwrap()
            .credentials
            .is_empty());
    }
}
