//! Media types as mimeo compares them: by essence (`type/subtype`, parameters
//! such as `charset` ignored, case-insensitive), with the wildcards a document may
//! use (`*/*`, `application/*`).

/// `application/json` from `Application/JSON; charset=utf-8`, trimmed (case kept).
pub(crate) fn essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or("").trim()
}

/// Whether a media type carries JSON: `application/json`, any `+json` type, or a
/// `*/*` that leaves the choice to the document's schema.
pub(crate) fn is_json(media_type: &str) -> bool {
    let e = essence(media_type);
    e.eq_ignore_ascii_case("application/json")
        || e.len() > 5 && e[e.len() - 5..].eq_ignore_ascii_case("+json")
        || e == "*/*"
}

/// Whether `actual` (a request's or response's Content-Type) is covered by the
/// `documented` media type, whose wildcards (`*/*`, `application/*`) match.
pub(crate) fn matches(documented: &str, actual: &str) -> bool {
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

/// Whether a request's `Accept` value admits the documented media type
/// `offered`: some range in it (`application/json`, `application/*`, `*/*`)
/// covers it without `q=0`. A documented wildcard admits anything.
pub(crate) fn accepts(accept: &str, offered: &str) -> bool {
    if essence(offered).contains('*') {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let r = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !r.is_empty() && !refused && matches(r, offered)
    })
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
        assert!(accepts(
            "text/html, application/json;q=0.9",
            "application/json"
        ));
        assert!(accepts("*/*", "application/json"));
        assert!(accepts("application/*", "application/problem+json"));
        assert!(!accepts("text/xml", "application/json"));
        assert!(!accepts("application/json;q=0", "application/json"));
        assert!(accepts("text/xml", "*/*"));
    }
}
