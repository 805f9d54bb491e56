//! Path templates (`/v1/Stores/{storeId}/Profiles/{profileId}`), parsed once when
//! the contract loads. Routing, server-side rules, redirects and the recorder all
//! read the same parsed form instead of scanning for `{` each in their own way.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    source: String,
    segments: Vec<Segment>,
}

/// One `/`-separated segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pieces: Vec<Piece>,
}

/// Literal text or a parameter, within a segment (`{name}.json` is two pieces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Param(String),
}

/// Characters a parameter value may not carry raw inside a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'+')
    .remove(b'@')
    .remove(b':');

impl PathTemplate {
    /// Parses a template. An unclosed `{` is kept as text (the router refuses what
    /// it cannot hold, with a warning).
    pub(crate) fn parse(source: &str) -> PathTemplate {
        let segments = source
            .trim_start_matches('/')
            .split('/')
            .map(|seg| {
                let mut pieces = Vec::new();
                let mut rest = seg;
                while let Some(start) = rest.find('{') {
                    let Some(len) = rest[start..].find('}') else {
                        break;
                    };
                    if start > 0 {
                        pieces.push(Piece::Text(rest[..start].to_string()));
                    }
                    pieces.push(Piece::Param(rest[start + 1..start + len].to_string()));
                    rest = &rest[start + len + 1..];
                }
                if !rest.is_empty() || pieces.is_empty() {
                    pieces.push(Piece::Text(rest.to_string()));
                }
                Segment { pieces }
            })
            .collect();
        PathTemplate {
            source: source.to_string(),
            segments,
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Its segments, in order.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The names of its parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .flat_map(|s| s.pieces.iter())
            .filter_map(|p| match p {
                Piece::Param(name) => Some(name.as_str()),
                Piece::Text(_) => None,
            })
    }

    /// The template with parameters renamed by position (`/a/{p0}/b/{p1}`): two
    /// templates that differ only in parameter names route the same way.
    pub(crate) fn positional(&self) -> String {
        let mut i = 0;
        self.fill(|_| {
            let name = format!("{{p{i}}}");
            i += 1;
            name
        })
    }

    /// A concrete path: each parameter's value (from `value`) percent-encoded so it
    /// stays within its segment.
    pub(crate) fn render<'v>(&self, mut value: impl FnMut(&str) -> Option<&'v str>) -> String {
        self.fill(|name| utf8_percent_encode(value(name).unwrap_or_default(), SEGMENT).to_string())
    }

    fn fill(&self, mut param: impl FnMut(&str) -> String) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for seg in &self.segments {
            out.push('/');
            for piece in &seg.pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Param(name) => out.push_str(&param(name)),
                }
            }
        }
        out
    }
}

impl Segment {
    /// The parameter when the segment is exactly one (`{storeId}`).
    #[cfg(feature = "proxy")]
    pub(crate) fn whole_param(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Param(name)] => Some(name),
            _ => None,
        }
    }

    /// The text when the segment has no parameter.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Text(text)] => Some(text),
            _ => None,
        }
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq<str> for PathTemplate {
    fn eq(&self, other: &str) -> bool {
        self.source == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_params_and_pieces() {
        let t = PathTemplate::parse("/a/{x}/b/{y}");
        assert_eq!(t.params().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(t.positional(), "/a/{p0}/b/{p1}");
        assert_eq!(t.segments()[0].literal(), Some("a"));
        assert_eq!(t.segments()[1].literal(), None);
        let f = PathTemplate::parse("/files/{name}.json");
        assert_eq!(f.positional(), "/files/{p0}.json");
        assert_eq!(f.segments()[1].literal(), None);
        let two = PathTemplate::parse("/compare/{base}...{head}");
        assert_eq!(two.params().collect::<Vec<_>>(), ["base", "head"]);
        assert_eq!(two.positional(), "/compare/{p0}...{p1}");
    }

    #[cfg(feature = "proxy")]
    #[test]
    fn whole_params() {
        let t = PathTemplate::parse("/a/{x}/{y}.json");
        assert_eq!(t.segments()[1].whole_param(), Some("x"));
        assert_eq!(t.segments()[2].whole_param(), None);
    }

    #[test]
    fn renders_values_within_their_segment() {
        let t = PathTemplate::parse("/s/{id}/x");
        assert_eq!(t.render(|_| Some("a/b c")), "/s/a%2Fb%20c/x");
        assert_eq!(PathTemplate::parse("/").render(|_| None), "/");
    }
}
