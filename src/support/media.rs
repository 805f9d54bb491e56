//! Media types as mimeo compares them: by essence (`type/subtype`, parameters
//! such as `charset` ignored, case-insensitive), with the wildcards a document may
//! use (`*/*`, `application/*`).

/// `application/json` from `Application/JSON; charset=utf-8`, trimmed (case kept).
pub(crate) fn essence(media_type: &str) -> &str {
    // A byte search: `split(';')` sets up a char searcher, several times the
    // work for the few bytes of a Content-Type (checked on every request body).
    let end = media_type
        .bytes()
        .position(|b| b == b';')
        .unwrap_or(media_type.len());
    media_type[..end].trim()
}

/// Whether a media type carries JSON: `application/json`, any `+json` type, or a
/// `*/*` that leaves the choice to the document's schema.
pub(crate) fn is_json(media_type: &str) -> bool {
    // The usual spelling, exactly: no parameters to cut off, nothing to fold.
    if media_type == "application/json" {
        return true;
    }
    let e = essence(media_type);
    e.eq_ignore_ascii_case("application/json")
        || e.len() > 5
            && e.get(e.len() - 5..)
                .is_some_and(|t| t.eq_ignore_ascii_case("+json"))
        || e == "*/*"
}

/// Whether `actual` (a request's or response's Content-Type) is covered by the
/// `documented` media type, whose wildcards (`*/*`, `application/*`) match.
pub(crate) fn matches(documented: &str, actual: &str) -> bool {
    // Most often the two are spelt alike (`application/json` both): equal
    // essences then, without cutting and folding them (every checked body).
    if documented == actual {
        return true;
    }
    let (d, a) = (essence(documented), essence(actual));
    if d.eq_ignore_ascii_case(a) || d == "*/*" {
        return true;
    }
    match d.strip_suffix("/*") {
        Some(prefix) => a
            .split('/')
            .next()
            .is_some_and(|t| t.eq_ignore_ascii_case(prefix)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essences_and_wildcards() {
        assert!(matches(
            "application/json",
            "application/json; charset=utf-8"
        ));
        assert!(matches("application/*", "application/merge-patch+json"));
        assert!(matches("*/*", "text/plain"));
        assert!(!matches("application/json", "text/plain"));
        assert!(is_json("application/problem+json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert_eq!(essence(" text/html ; q=1"), "text/html");
    }
}
