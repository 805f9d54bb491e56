//! A `multipart/form-data` body (RFC 7578) split into its parts. The body is
//! already in memory, read within the server's body limit, so this is a plain
//! bounded parse over bytes rather than a streaming parser: at most
//! [`MAX_PARTS`] parts of at most [`MAX_HEADERS`] headers each, every slice
//! borrowed from the body, nothing copied.

use crate::support::limits::quoted;
use memchr::memmem;

/// Parts read at most; a body with more is refused.
pub(crate) const MAX_PARTS: usize = 1_000;
/// Headers a part may have.
const MAX_HEADERS: usize = 16;

/// One part of a multipart body.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// The `name` of its `Content-Disposition: form-data`.
    pub(crate) name: String,
    /// Its `Content-Type`, when given.
    pub(crate) content_type: Option<String>,
    /// Its content.
    pub(crate) body: &'a [u8],
}

/// The `boundary` parameter of a multipart `Content-Type`.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// Splits `body` on `boundary` into its parts, or says why it cannot.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let finder = memmem::Finder::new(delimiter);
    // Each later delimiter follows a line break, which belongs to it.
    let mut line_delimiter = b"\r\n".to_vec();
    line_delimiter.extend_from_slice(delimiter);
    let next = memmem::Finder::new(&line_delimiter);

    let start = finder
        .find(body)
        .ok_or("the boundary of its Content-Type is not in the body")?;
    let mut rest = &body[start + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts); // The close delimiter; an epilogue is ignored.
        }
        rest = skip_line(rest).ok_or("a boundary is not followed by a line break")?;
        if parts.len() == MAX_PARTS {
            return Err(format!("more than {MAX_PARTS} parts"));
        }
        let end = next
            .find(rest)
            .ok_or("a part is not closed by the boundary (the body ends early)")?;
        parts.push(part(&rest[..end])?);
        rest = &rest[end + line_delimiter.len()..];
    }
}

/// What follows a delimiter up to and including its line break (transport
/// padding is allowed there).
fn skip_line(s: &[u8]) -> Option<&[u8]> {
    let at = memmem::find(s, b"\r\n")?;
    s[..at]
        .iter()
        .all(|b| *b == b' ' || *b == b'\t')
        .then(|| &s[at + 2..])
}

fn part(raw: &[u8]) -> Result<Part<'_>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (used, headers) = match httparse::parse_headers(raw, &mut headers) {
        Ok(httparse::Status::Complete((used, headers))) => (used, headers),
        Ok(httparse::Status::Partial) => return Err("a part's headers do not end".into()),
        Err(e) => return Err(format!("a part's headers cannot be read: {e}")),
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let disposition =
        header("content-disposition").ok_or("a part has no Content-Disposition header")?;
    let name = disposition_param(&disposition, "name").ok_or_else(|| {
        format!(
            "a part's Content-Disposition has no name: `{}`",
            quoted(&disposition)
        )
    })?;
    Ok(Part {
        name,
        content_type: header("content-type"),
        body: &raw[used..],
    })
}

/// A parameter of `form-data; name="x"; filename="y"`.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    let mut rest = value.split_once(';')?.1;
    loop {
        let (k, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (v, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (
                    &quoted[..end],
                    quoted[end + 1..].split_once(';').map(|x| x.1),
                )
            }
            None => match after.split_once(';') {
                Some((v, n)) => (v, Some(n)),
                None => (after, None),
            },
        };
        if k.trim().eq_ignore_ascii_case(key) {
            return Some(v.trim().to_string());
        }
        rest = next?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_split_and_named() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x;y.txt\"\r\nContent-Type: text/plain\r\n\r\nline\r\nline\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].body), ("a", &b"1"[..]));
        assert_eq!(parts[1].name, "f");
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[1].body, b"line\r\nline");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\""),
            Some("XyZ")
        );
    }

    #[test]
    fn broken_bodies_are_errors_not_panics() {
        for body in [
            &b""[..],
            b"--B",
            b"--B\r\n",
            b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
            b"--B\r\nX: y\r\n\r\nx\r\n--B--",
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--Bjunk\r\n",
        ] {
            assert!(
                parse(body, "B").is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        let many = "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
            .repeat(MAX_PARTS + 1)
            + "--B--";
        assert!(parse(many.as_bytes(), "B")
            .unwrap_err()
            .contains("more than"));
    }
}
