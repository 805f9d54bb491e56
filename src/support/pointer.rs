//! JSON pointers (RFC 6901): the one way mimeo names a place inside a document,
//! a request body or a response, in messages and in scenario files.

use std::borrow::Cow;

/// Escapes one reference token (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token (`~1` as `/`, then `~0` as `~`).
pub(crate) fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Appends `/token` (escaped) to a pointer being built.
pub(crate) fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// `base` with `tokens` appended, each escaped.
pub(crate) fn join<'a>(base: &str, tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = base.to_string();
    for t in tokens {
        push(&mut out, t);
    }
    out
}

#[cfg(feature = "replay")]
/// The unescaped tokens of a pointer (`/a/b~1c` is `["a", "b/c"]`; `""` is none);
/// `None` when it is not a pointer (it does not start with `/`).
pub(crate) fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(|t| unescape(t).into_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(
            join("", ["paths", "/v1/{a}", "get"]),
            "/paths/~1v1~1{a}/get"
        );
        assert_eq!(unescape("~01"), "~1", "~0 is unescaped last");
    }

    #[cfg(feature = "replay")]
    #[test]
    fn tokens_of_a_pointer() {
        assert_eq!(
            tokens("/paths/~1v1~1{a}/m~0n").unwrap(),
            ["paths", "/v1/{a}", "m~n"]
        );
        assert_eq!(tokens(""), Some(Vec::new()));
        assert_eq!(tokens("a/b"), None);
    }
}
