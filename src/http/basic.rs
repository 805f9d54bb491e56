//! HTTP Basic credentials (`Authorization: Basic base64(user:password)`),
//! decoded in one place. Three steps of every request need them (the session
//! is the user, the security check accepts or refuses them, the redactor hides
//! the password), and a test client sends the same header on every request, so
//! each thread keeps the last few decodings: a repeated header costs a
//! comparison, not a base64 decode and three allocations.

use std::cell::RefCell;
use std::sync::Arc;

use base64::Engine;

use crate::support::recent::Recent;
use hyper::header::{HeaderMap, AUTHORIZATION};

/// Decoded Basic credentials (`Debug` never shows the password).
#[derive(PartialEq, Eq)]
pub(crate) struct Basic {
    /// The user (shared: it is also a session's name).
    pub(crate) user: Arc<str>,
    /// `None` when the decoded text has no `:` (not valid Basic, but its user
    /// still names a session).
    pub(crate) password: Option<Box<str>>,
}

impl std::fmt::Debug for Basic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Basic({}, [redacted])", self.user)
    }
}

/// Longer tokens are decoded every time (a bound on what the cache holds).
const MAX_REMEMBERED_TOKEN: usize = 512;

thread_local! {
    /// The last 8 tokens decoded on this thread.
    static RECENT: RefCell<Recent<String, Option<Arc<Basic>>, 8>> =
        const { RefCell::new(Recent::new()) };
}

/// The credentials of a Basic `token` (the text after `Basic `); `None` when it
/// is not base64 of UTF-8 text.
pub(crate) fn decode(token: &str) -> Option<Arc<Basic>> {
    if token.len() > MAX_REMEMBERED_TOKEN {
        return decode_now(token);
    }
    RECENT.with(|recent| recent.borrow_mut().get_or_make(token, || decode_now(token)))
}

fn decode_now(token: &str) -> Option<Arc<Basic>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = match text.split_once(':') {
        Some((user, password)) => (user, Some(Box::from(password))),
        None => (text.as_str(), None),
    };
    Some(Arc::new(Basic {
        user: Arc::from(user),
        password,
    }))
}

/// The token of an `Authorization: <scheme> <token>` value when the scheme is
/// `scheme` (case-insensitive) and the token is not empty.
pub(crate) fn token<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    // (ASCII trimming: a header value's text is visible ASCII, space and tab,
    // and this runs twice per request.)
    let value = value.trim_ascii();
    let given = value.get(..scheme.len())?;
    let rest = value[scheme.len()..].strip_prefix(' ')?.trim_ascii();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then_some(rest)
}

/// The Basic credentials of the first `Authorization` header, when it has them.
pub(crate) fn of_headers(headers: &HeaderMap) -> Option<Arc<Basic>> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    decode(token(value, "basic")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_remembers() {
        let b = decode("QUMxMjM6c2VjcmV0").unwrap();
        assert_eq!(&*b.user, "AC123");
        assert_eq!(b.password.as_deref(), Some("secret"));
        // The same token again: the same decoding, shared.
        assert!(Arc::ptr_eq(&b, &decode("QUMxMjM6c2VjcmV0").unwrap()));
        // A colon in the password stays in it; no colon is not Basic.
        let b = decode(&base64::engine::general_purpose::STANDARD.encode("u:p:q")).unwrap();
        assert_eq!((&*b.user, b.password.as_deref()), ("u", Some("p:q")));
        let b = decode("bm9jb2xvbg==").unwrap(); // "nocolon"
        assert_eq!((&*b.user, b.password.as_deref()), ("nocolon", None));
        assert!(decode("!!!").is_none());
        // More tokens than remembered: each still decoded right.
        for i in 0..24 {
            let t = base64::engine::general_purpose::STANDARD.encode(format!("user{i}:pw{i}"));
            assert_eq!(&*decode(&t).unwrap().user, format!("user{i}"));
        }
        assert_eq!(token("  basic  abc ", "Basic"), Some("abc"));
        assert_eq!(token("Bearer abc", "basic"), None);
        assert_eq!(token("Basic ", "basic"), None);
        // The scheme is the whole first word.
        assert_eq!(token("Basicx abc", "basic"), None);
        assert_eq!(token("Basic\tabc", "basic"), None);
        assert_eq!(token("Bas", "basic"), None);
        assert_eq!(token("Basic   abc  def ", "basic"), Some("abc  def"));
    }
}
