//! Content codings (RFC 9110 §8.4): a body sent with `Content-Encoding: gzip`
//! (or `deflate`, `br`, or several in a row) is read as what it decodes to. A
//! client that compresses its uploads is checked on its JSON, not refused for
//! "invalid JSON"; replay's checks read a compressed answer the same way. The
//! decoded size is bounded like any body (a small bomb cannot expand to
//! gigabytes).

use std::io::Read;

use hyper::header::{HeaderMap, CONTENT_ENCODING};

/// The codings mimeo reads, as `Accept-Encoding` names them (sent with a 415).
pub(crate) const READABLE: &str = "gzip, deflate, br";

/// At most this many codings applied one over another (`gzip, gzip, ...`).
const MAX_LAYERS: usize = 4;

/// Why a coded body cannot be read.
#[derive(Debug, PartialEq)]
pub(crate) enum CodingError {
    /// A coding mimeo does not read (its name).
    Unsupported(String),
    /// The bytes do not decode as the coding says.
    Malformed(String),
    /// The body decodes to more than the limit.
    TooLarge,
}

impl std::fmt::Display for CodingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodingError::Unsupported(c) => write!(
                f,
                "the body's Content-Encoding `{c}` cannot be read (mimeo reads {READABLE})"
            ),
            CodingError::Malformed(e) => write!(f, "the body does not decode: {e}"),
            CodingError::TooLarge => f.write_str("the body decodes to more than the limit"),
        }
    }
}

/// The body as its `Content-Encoding` headers say it was coded, decoded (last
/// coding applied first undone), at most `limit` bytes; `None` when it is not
/// coded (no header, or only `identity`).
pub(crate) fn decode(
    headers: &HeaderMap,
    body: &[u8],
    limit: usize,
) -> Result<Option<Vec<u8>>, CodingError> {
    // Nothing to decode (a client may send its coding on every request).
    if body.is_empty() {
        return Ok(None);
    }
    let mut codings = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let text = value.to_str().map_err(|_| {
            CodingError::Unsupported(String::from_utf8_lossy(value.as_bytes()).into())
        })?;
        for c in text.split(',').map(str::trim) {
            if c.is_empty() || c.eq_ignore_ascii_case("identity") {
                continue;
            }
            if codings.len() == MAX_LAYERS {
                return Err(CodingError::Malformed(format!(
                    "more than {MAX_LAYERS} codings applied one over another"
                )));
            }
            codings.push(c);
        }
    }
    if codings.is_empty() {
        return Ok(None);
    }
    // Every name is known before any byte is decoded.
    if let Some(c) = codings.iter().find(|c| Coding::named(c).is_none()) {
        return Err(CodingError::Unsupported((*c).to_string()));
    }
    let mut bytes = body.to_vec();
    for c in codings.iter().rev() {
        let coding = Coding::named(c).expect("checked above");
        bytes = coding.undo(&bytes, limit)?;
    }
    Ok(Some(bytes))
}

#[derive(Clone, Copy)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    fn named(name: &str) -> Option<Coding> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            _ => None,
        }
    }

    fn undo(self, bytes: &[u8], limit: usize) -> Result<Vec<u8>, CodingError> {
        let read = |r: &mut dyn Read| -> Result<Vec<u8>, CodingError> {
            let mut out = Vec::new();
            r.take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| CodingError::Malformed(e.to_string()))?;
            if out.len() > limit {
                return Err(CodingError::TooLarge);
            }
            Ok(out)
        };
        match self {
            Coding::Gzip => read(&mut flate2::read::MultiGzDecoder::new(bytes)),
            // RFC 9110's `deflate` is zlib-wrapped; some clients send it raw.
            Coding::Deflate if bytes.first().is_some_and(|b| b & 0x0f == 8) => {
                match read(&mut flate2::read::ZlibDecoder::new(bytes)) {
                    Err(CodingError::Malformed(_)) => {
                        read(&mut flate2::read::DeflateDecoder::new(bytes))
                    }
                    other => other,
                }
            }
            Coding::Deflate => read(&mut flate2::read::DeflateDecoder::new(bytes)),
            Coding::Brotli => read(&mut brotli_decompressor::Decompressor::new(bytes, 4096)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn headers(coding: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, coding.parse().unwrap());
        h
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn codings_are_undone_last_first_within_the_limit() {
        let body = br#"{"a":1}"#;
        assert_eq!(decode(&HeaderMap::new(), body, 100), Ok(None));
        assert_eq!(decode(&headers("identity"), body, 100), Ok(None));
        assert_eq!(
            decode(&headers("GZIP"), &gzip(body), 100),
            Ok(Some(body.to_vec()))
        );
        let twice = gzip(&gzip(body));
        assert_eq!(
            decode(&headers("gzip, gzip"), &twice, 100),
            Ok(Some(body.to_vec()))
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(body).unwrap();
        assert_eq!(
            decode(&headers("deflate"), &z.finish().unwrap(), 100),
            Ok(Some(body.to_vec()))
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(body).unwrap();
        assert_eq!(
            decode(&headers("deflate"), &raw.finish().unwrap(), 100),
            Ok(Some(body.to_vec()))
        );
        // (Python's `brotli.compress(b'{"a":1}')`.)
        let br = [11, 3, 128, 123, 34, 97, 34, 58, 49, 125, 3];
        assert_eq!(decode(&headers("br"), &br, 100), Ok(Some(body.to_vec())));
        // A bomb stops at the limit, in every coding.
        let big = gzip(&vec![b' '; 10_000]);
        assert_eq!(
            decode(&headers("gzip"), &big, 1000),
            Err(CodingError::TooLarge)
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&[b' '; 10_000]).unwrap();
        assert_eq!(
            decode(&headers("deflate"), &z.finish().unwrap(), 1000),
            Err(CodingError::TooLarge)
        );
        // An empty body has nothing to decode, whatever its coding says.
        assert_eq!(decode(&headers("gzip"), b"", 1000), Ok(None));
        assert_eq!(decode(&headers("UTF-8"), b"", 1000), Ok(None));
    }

    #[test]
    fn unknown_codings_and_bad_bytes_are_named() {
        let e = decode(&headers("gzip, zstd"), b"x", 100).unwrap_err();
        assert_eq!(e, CodingError::Unsupported("zstd".into()));
        assert!(e.to_string().contains("`zstd`"), "{e}");
        let e = decode(&headers("gzip"), b"not gzip", 100).unwrap_err();
        assert!(matches!(e, CodingError::Malformed(_)), "{e:?}");
        let e = decode(&headers("br"), b"\xff\xff\xff\xff", 100).unwrap_err();
        assert!(matches!(e, CodingError::Malformed(_)), "{e:?}");
    }
}
