//! Content negotiation: which of a response's documented media types answers a
//! request, from its `Accept` (RFC 9110 §12.5.1), and which `Content-Encoding`
//! its `Accept-Encoding` allows (§12.5.3).
//!
//! The header is read in place, range by range, without building a list: it is
//! looked at once per documented media type, and most responses have one.
//! Ranges past [`MAX_RANGES`] are ignored, so a hostile header costs little.

use crate::contract::MediaType;
use crate::support::media;

/// Ranges of one `Accept` (or codings of one `Accept-Encoding`) that are read.
const MAX_RANGES: usize = 64;

/// Weights are kept in thousandths, as `q=` allows three decimals.
pub(crate) type Q = u16;

/// The `q=` of one element (`text/html;level=1;q=0.5`): 1000 when absent,
/// 0 when unreadable (a client that wrote garbage did not ask for it).
fn weight<'a>(params: impl Iterator<Item = &'a str>) -> Q {
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("q") {
            return v
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))
                .map_or(0, |q| (q * 1000.0).round() as Q);
        }
    }
    1000
}

/// The ranges of an `Accept` value with their weight and how specific each is
/// (2 for `type/sub`, 1 for `type/*`, 0 for `*/*`).
fn ranges(accept: &str) -> impl Iterator<Item = (&str, &str, u8, Q)> {
    accept.split(',').take(MAX_RANGES).filter_map(|element| {
        let mut parts = element.split(';');
        let range = parts.next()?.trim();
        let (ty, sub) = range.split_once('/')?;
        let (ty, sub) = (ty.trim(), sub.trim());
        if ty.is_empty() || sub.is_empty() {
            return None;
        }
        let specific = match (ty, sub) {
            ("*", _) => 0,
            (_, "*") => 1,
            _ => 2,
        };
        Some((ty, sub, specific, weight(parts)))
    })
}

/// How much the client wants the concrete media type `offered`: the weight of
/// the most specific range that covers it (`application/json` over
/// `application/*` over `*/*`), 0 when none does.
pub(crate) fn quality(accept: &str, offered: &str) -> Q {
    let Some((oty, osub)) = media::essence(offered).split_once('/') else {
        return 0;
    };
    let mut best: Option<(u8, Q)> = None;
    for (ty, sub, specific, q) in ranges(accept) {
        let covers = match specific {
            0 => true,
            1 => ty.eq_ignore_ascii_case(oty),
            _ => ty.eq_ignore_ascii_case(oty) && sub.eq_ignore_ascii_case(osub),
        };
        if covers && best.is_none_or(|(s, _)| specific > s) {
            best = Some((specific, q));
        }
    }
    best.map_or(0, |(_, q)| q)
}

/// How much the client wants a documented media type that may be a wildcard
/// (`*/*`, `text/*`): the best weight among the ranges it overlaps, since the
/// mock may answer with any concrete type it stands for.
pub(crate) fn documented_quality(accept: &str, documented: &str) -> Q {
    let essence = media::essence(documented);
    // A name that is not `type/subtype` (`PDF`) is covered by `*/*` alone.
    let Some((dty, dsub)) = essence.split_once('/') else {
        return ranges(accept)
            .filter(|(_, _, specific, _)| *specific == 0)
            .map(|(_, _, _, q)| q)
            .max()
            .unwrap_or(0);
    };
    if dty != "*" && dsub != "*" {
        return quality(accept, essence);
    }
    ranges(accept)
        .filter(|(ty, _, _, _)| dty == "*" || *ty == "*" || ty.eq_ignore_ascii_case(dty))
        .map(|(_, _, _, q)| q)
        .max()
        .unwrap_or(0)
}

/// The documented media type that answers: the one the client weighs highest;
/// among equals, JSON first, then document order. `None` when `Accept` admits
/// none of them. Without `Accept`, the first JSON one, else the first.
pub(crate) fn choose(accept: Option<&str>, content: &[MediaType]) -> Option<usize> {
    let Some(accept) = accept else {
        return content
            .iter()
            .position(|m| m.json)
            .or((!content.is_empty()).then_some(0));
    };
    let mut best: Option<(Q, bool, usize)> = None;
    for (i, m) in content.iter().enumerate() {
        let q = documented_quality(accept, &m.name);
        if q == 0 {
            continue;
        }
        if best.is_none_or(|(bq, bjson, _)| q > bq || (q == bq && m.json && !bjson)) {
            best = Some((q, m.json, i));
        }
    }
    best.map(|(_, _, i)| i)
}

/// The concrete type a body of a wildcard media type (`*/*`, `text/*`,
/// `image/*`) is sent as, when it is not JSON: never JSON (a JSON string is not
/// what such a document means), the concrete type the client weighs highest
/// among those the wildcard covers, else `text/plain`, the range's
/// [`representatives`] or `application/octet-stream`, the first the wildcard
/// covers and the client accepts; `None` when it accepts none of them (it asked
/// for JSON only, or for `image/webp` of an `audio/*` body).
pub(crate) fn text_type(accept: Option<&str>, documented: &str) -> Option<String> {
    let (dty, _) = media::essence(documented).split_once('/')?;
    let covered = |ty: &str| dty == "*" || ty.eq_ignore_ascii_case(dty);
    let inside = representatives(dty);
    let fallbacks = std::iter::once("text/plain".to_string())
        .chain(inside)
        .chain(std::iter::once("application/octet-stream".to_string()));
    let Some(accept) = accept else {
        return fallbacks
            .into_iter()
            .find(|t| covered(t.split('/').next().unwrap_or("")));
    };
    let mut best: Option<(Q, &str, &str)> = None;
    for (ty, sub, specific, q) in ranges(accept) {
        let json = sub.eq_ignore_ascii_case("json")
            || sub
                .get(sub.len().saturating_sub(5)..)
                .is_some_and(|t| sub.len() > 5 && t.eq_ignore_ascii_case("+json"));
        if specific == 2 && q > 0 && !json && covered(ty) && best.is_none_or(|(b, _, _)| q > b) {
            best = Some((q, ty, sub));
        }
    }
    if let Some((_, ty, sub)) = best {
        return Some(format!("{ty}/{sub}"));
    }
    let accepted = fallbacks
        .into_iter()
        .find(|t| covered(t.split('/').next().unwrap_or("")) && quality(accept, t) > 0);
    accepted
}

/// Whether a body of the documented wildcard is sent as [`text_type`] picks:
/// a string always (it is text, not a JSON string); another value when the
/// range is of a type that JSON text is not (`image/*`), while an object under
/// `application/*` keeps its documented stand-in.
pub(crate) fn sent_as_text(documented: &str, value_is_string: bool) -> bool {
    value_is_string
        || media::essence(documented)
            .split_once('/')
            .is_some_and(|(ty, _)| ty != "*" && !ty.eq_ignore_ascii_case("application"))
}

/// Common concrete types of the top-level type `ty`, which a `ty/*` body is
/// sent as when the client names none, the usual first (`image/png` for
/// `image/*`): when a client refuses it (`audio/mpeg;q=0, audio/*`), the next
/// it accepts is sent.
fn representatives(ty: &str) -> Vec<String> {
    let subs: &[&str] = match ty.to_ascii_lowercase().as_str() {
        "*" => return vec!["application/octet-stream".into()],
        "text" => &["plain"],
        "image" => &["png", "jpeg", "gif", "webp"],
        "audio" => &["mpeg", "ogg", "wav"],
        "video" => &["mp4", "webm"],
        "font" => &["woff2", "woff", "ttf"],
        "multipart" => &["mixed"],
        _ => &["octet-stream"],
    };
    subs.iter().map(|sub| format!("{ty}/{sub}")).collect()
}

/// A content coding mimeo can apply to a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    /// The coding a documented `Content-Encoding` value names, when mimeo can apply it.
    pub(crate) fn named(value: &str) -> Option<Coding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// `bytes` in this coding, `None` if that failed (fast compression: a mock's bodies are small and
    /// its time is the client's).
    pub(crate) fn encode(self, bytes: &[u8]) -> Option<bytes::Bytes> {
        use std::io::Write;
        let level = flate2::Compression::fast();
        let out = match self {
            Coding::Gzip => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2 + 32), level);
                e.write_all(bytes).and_then(|()| e.finish())
            }
            Coding::Deflate => {
                let mut e = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(bytes.len() / 2 + 32),
                    level,
                );
                e.write_all(bytes).and_then(|()| e.finish())
            }
        };
        // Writing to memory does not fail; were it to, the body goes unencoded.
        out.ok().map(bytes::Bytes::from)
    }

    /// Whether `Accept-Encoding` allows this coding (by name, `x-gzip`, or `*`,
    /// without `q=0`). No header allows nothing: a client that does not say it
    /// can decode gets the body as it is.
    pub(crate) fn accepted_by(self, accept_encoding: Option<&str>) -> bool {
        let Some(header) = accept_encoding else {
            return false;
        };
        let mut named = None;
        let mut any = None;
        for element in header.split(',').take(MAX_RANGES) {
            let mut parts = element.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let q = weight(parts);
            if coding == "*" {
                any = Some(q);
            } else if coding.eq_ignore_ascii_case(self.as_str())
                || (self == Coding::Gzip && coding.eq_ignore_ascii_case("x-gzip"))
            {
                named = Some(q);
            }
        }
        named.or(any).is_some_and(|q| q > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(name: &str) -> MediaType {
        MediaType {
            json: media::is_json(name),
            name: name.into(),
            schema: None,
            examples: Vec::new(),
            pointer: String::new(),
            form: None,
        }
    }

    #[test]
    fn the_most_specific_range_decides() {
        assert_eq!(
            quality("*/*;q=0.1, application/json", "application/json"),
            1000
        );
        assert_eq!(
            quality("application/*;q=0.5, */*;q=0.1", "application/xml"),
            500
        );
        assert_eq!(quality("application/json;q=0, */*", "application/json"), 0);
        assert_eq!(quality("text/html", "application/json"), 0);
        assert_eq!(quality("application/json;q=abc", "application/json"), 0);
        assert_eq!(quality("garbage, ,/, a/", "application/json"), 0);
        assert_eq!(documented_quality("text/csv;q=0.4", "*/*"), 400);
        assert_eq!(documented_quality("application/json", "text/*"), 0);
    }

    #[test]
    fn choice_follows_weights_then_json_then_order() {
        let content = [
            media("application/xml"),
            media("application/json"),
            media("text/csv"),
        ];
        assert_eq!(choose(None, &content), Some(1));
        assert_eq!(choose(Some("*/*"), &content), Some(1));
        assert_eq!(choose(Some("text/csv, */*;q=0.5"), &content), Some(2));
        assert_eq!(
            choose(Some("application/xml, application/json;q=0.9"), &content),
            Some(0)
        );
        assert_eq!(choose(Some("application/*"), &content), Some(1));
        assert_eq!(choose(Some("image/png"), &content), None);
        assert_eq!(choose(Some("image/png"), &[media("*/*")]), Some(0));
    }

    #[test]
    fn text_of_a_wildcard_is_never_json() {
        assert_eq!(text_type(None, "*/*").as_deref(), Some("text/plain"));
        assert_eq!(
            text_type(Some("text/csv, */*;q=0.1"), "*/*").as_deref(),
            Some("text/csv")
        );
        assert_eq!(text_type(Some("*/*"), "*/*").as_deref(), Some("text/plain"));
        assert_eq!(
            text_type(Some("application/*"), "*/*").as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(text_type(Some("application/json"), "*/*"), None);
        // A range of another top-level type: a type inside it, never one outside.
        assert_eq!(text_type(None, "audio/*").as_deref(), Some("audio/mpeg"));
        assert_eq!(
            text_type(Some("*/*"), "audio/*").as_deref(),
            Some("audio/mpeg")
        );
        assert_eq!(
            text_type(Some("audio/*"), "audio/*").as_deref(),
            Some("audio/mpeg")
        );
        assert_eq!(
            text_type(Some("audio/ogg"), "audio/*").as_deref(),
            Some("audio/ogg")
        );
        assert_eq!(
            text_type(Some("image/*"), "image/*").as_deref(),
            Some("image/png")
        );
        assert_eq!(text_type(Some("image/webp"), "audio/*"), None);
        // The usual type refused, another of the range is sent.
        assert_eq!(
            text_type(Some("audio/mpeg;q=0, audio/*"), "audio/*").as_deref(),
            Some("audio/ogg")
        );
        assert_eq!(
            text_type(Some("image/png;q=0, image/*;q=0.5"), "image/*").as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(text_type(Some("text/*"), "image/*"), None);
        assert_eq!(
            text_type(Some("application/*"), "application/*").as_deref(),
            Some("application/octet-stream")
        );
    }

    #[test]
    fn codings() {
        assert!(Coding::Gzip.accepted_by(Some("gzip, deflate, br")));
        assert!(Coding::Gzip.accepted_by(Some("*")));
        assert!(!Coding::Gzip.accepted_by(Some("gzip;q=0, *")));
        assert!(!Coding::Gzip.accepted_by(Some("br")));
        assert!(!Coding::Gzip.accepted_by(None));
        assert!(Coding::Deflate.accepted_by(Some("deflate;q=0.5")));
        assert_eq!(Coding::named(" GZIP "), Some(Coding::Gzip));
        assert_eq!(Coding::named("br"), None);
    }
}
