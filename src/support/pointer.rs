//! JSON pointers (RFC 6901): the one way mimeo names a place inside a document,
//! a request body or a response, in messages and in scenario files.

use std::borrow::Cow;

use serde_json::Value;

/// Escapes one reference token (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token (`~1` as `/`, `~0` as `~`; any other `~` is
/// kept). One pass: loading a large document unescapes ~200,000 tokens, and
/// two `str::replace`s were most of its pointer lookups.
pub(crate) fn unescape(token: &str) -> Cow<'_, str> {
    if !token.as_bytes().contains(&b'~') {
        return Cow::Borrowed(token);
    }
    let mut out = String::with_capacity(token.len());
    let mut rest = token;
    while let Some(i) = rest.find('~') {
        out.push_str(&rest[..i]);
        match rest.as_bytes().get(i + 1) {
            Some(b'1') => out.push('/'),
            Some(b'0') => out.push('~'),
            _ => {
                out.push('~');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    Cow::Owned(out)
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

/// The value at `pointer` in `value`, as `serde_json::Value::pointer` finds it,
/// without allocating for tokens that need no unescaping (schema lookups run per
/// request).
pub(crate) fn get<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    let mut rest = pointer.strip_prefix('/')?;
    let escaped = memchr::memchr(b'~', rest.as_bytes()).is_some();
    let mut at = value;
    // Split by byte search: `split('/')` sets up a char searcher, most of the
    // work for the one or two tokens of a request body's field.
    loop {
        let (token, more) = match memchr::memchr(b'/', rest.as_bytes()) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        at = if escaped {
            step(at, &unescape(token))?
        } else {
            step(at, token)?
        };
        match more {
            Some(m) => rest = m,
            None => return Some(at),
        }
    }
}

/// The value at a `$ref`'s fragment (`/a/b` of `#/a/b`), which may be
/// percent-encoded (as a URI fragment is: `#/a%20b`); read as written first.
pub(crate) fn fragment<'v>(value: &'v Value, fragment: &str) -> Option<&'v Value> {
    fragment_at(value, fragment).map(|(v, _)| v)
}

/// [`fragment`], and the pointer it was found at (decoded when it had to be).
pub(crate) fn fragment_at<'v, 'f>(
    value: &'v Value,
    fragment: &'f str,
) -> Option<(&'v Value, Cow<'f, str>)> {
    if let Some(v) = get(value, fragment) {
        return Some((v, Cow::Borrowed(fragment)));
    }
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .ok()?;
    Some((get(value, &decoded)?, Cow::Owned(decoded.into_owned())))
}

/// The names one token of a `$ref`'s fragment may mean: as written (`~`
/// escapes undone), and percent-decoded too when that differs (a URI fragment
/// may be encoded: the refs rewritten for 3.1 resources are). As [`fragment`]
/// reads it, the first that names something wins.
pub(crate) fn ref_names(token: &str) -> impl Iterator<Item = Cow<'_, str>> {
    let decoded = token
        .contains('%')
        .then(|| {
            percent_encoding::percent_decode_str(token)
                .decode_utf8()
                .ok()
        })
        .flatten()
        .map(|d| Cow::Owned(unescape(&d).into_owned()));
    std::iter::once(unescape(token)).chain(decoded)
}

/// The value at the pointer made of these (unescaped) tokens.
pub(crate) fn walk<'v>(value: &'v Value, tokens: &[Box<str>]) -> Option<&'v Value> {
    tokens.iter().try_fold(value, |v, t| step(v, t))
}

/// A pointer's unescaped tokens, kept to [`walk`] it later; a text that is not a
/// pointer has none (it then names the whole document, as `""` does).
pub(crate) fn split(pointer: &str) -> Box<[Box<str>]> {
    match pointer.strip_prefix('/') {
        Some(rest) => rest.split('/').map(|t| unescape(t).into()).collect(),
        None => Box::default(),
    }
}

/// Objects with at most this many members are searched without hashing.
const SCANNED: usize = 8;

/// One step down: a member of an object, or an element of an array by its
/// decimal index (no sign, no leading zero, as RFC 6901 says).
fn step<'v>(value: &'v Value, token: &str) -> Option<&'v Value> {
    match value {
        // A small object is searched in order: comparing a few names costs
        // less than hashing one (the map's hasher is SipHash), and most objects
        // a pointer passes through (a schema, a response, `content`) are small.
        Value::Object(m) if m.len() <= SCANNED => {
            m.iter().find(|(k, _)| *k == token).map(|(_, v)| v)
        }
        Value::Object(m) => m.get(token),
        Value::Array(items) => {
            let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
            if !digits || (token.len() > 1 && token.starts_with('0')) {
                return None;
            }
            items.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    }
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
    fn unescape_is_the_two_replacements() {
        for t in [
            "", "a", "~0", "~1", "~01", "~10", "~~1", "~~0", "~0~1", "~", "a~", "~2", "~~",
            "x~1y~0z", "é~1ü", "a~1b~0c~", "~2~1~",
        ] {
            assert_eq!(unescape(t), t.replace("~1", "/").replace("~0", "~"), "{t}");
        }
    }

    #[test]
    fn get_finds_what_serde_json_finds() {
        let doc = serde_json::json!({"paths": {"/v1/{a}": {"get": [1, {"x~y": 2}]}}, "": 3, "e": {"": {"": 4}}});
        for p in [
            "",
            "/e//",
            "/e/",
            "//",
            "/paths/",
            "/paths/~1v1~1{a}/get/1/",
            "/~",
            "/paths/~1v1~1{a}/get/1/x~0y",
            "/paths/~1v1~1{a}/get/0",
            "/paths/~1v1~1{a}/get/01",
            "/paths/~1v1~1{a}/get/+1",
            "/paths/~1v1~1{a}/get/9",
            "/",
            "/nope",
            "nope",
        ] {
            assert_eq!(get(&doc, p), doc.pointer(p), "{p}");
            if p.starts_with('/') || p.is_empty() {
                assert_eq!(walk(&doc, &split(p)), doc.pointer(p), "{p}");
            }
        }
    }

    #[test]
    fn fragments_may_be_percent_encoded() {
        let doc = serde_json::json!({"a b": {"c%20d": 1, "{e}": 2}});
        assert_eq!(
            fragment(&doc, "/a%20b/%7Be%7D"),
            Some(&serde_json::json!(2))
        );
        // As written first: a name with a `%` in it is found as it is.
        assert_eq!(fragment(&doc, "/a b/c%20d"), Some(&serde_json::json!(1)));
        assert_eq!(
            fragment(&doc, "/a%20b/c%2520d"),
            Some(&serde_json::json!(1))
        );
        assert_eq!(fragment(&doc, "/a%20b/%FF"), None);
    }

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
