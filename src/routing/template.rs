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
    /// The pairs written after a `?` in the template
    /// (`/services/rest?method=flickr.photos.search`, `/current?city={city}`):
    /// a request carries them in its query, where they tell apart operations
    /// that share a path.
    query: Vec<(String, QueryValue)>,
    /// The `key=value` pairs of its fragment (`/#Action=RunInstances`), which
    /// name a query parameter or header and the value that picks this operation.
    fragment: Vec<(String, String)>,
    /// Whether it has a fragment at all (`#` outside braces).
    fragmented: bool,
}

/// The value of one pair of a template's query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum QueryValue {
    /// Written as is: the request's pair must have this value.
    Literal(String),
    /// `{name}`: any value, which is parameter `name`'s (some descriptions
    /// declare such parameters `in: path`).
    Param(String),
}

impl QueryValue {
    /// Whether a request's value for this pair's name fits it.
    fn admits(&self, value: &str) -> bool {
        match self {
            QueryValue::Literal(v) => v == value,
            QueryValue::Param(_) => true,
        }
    }
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
    /// it cannot hold, with a warning). What follows a `#` is a URL fragment,
    /// which no request carries: it is not part of the path routed (generated
    /// descriptions write `/#X-Amz-Target=Service.Action` to tell apart
    /// operations that share a path). What follows a `?` is a query, whose
    /// pairs are kept apart from the path (a pair that is a bare `{x}`, or whose
    /// name is templated, is left to the declared parameters).
    pub(crate) fn parse(source: &str) -> PathTemplate {
        let (path, fragment) = split_outside_braces(source, '#');
        let fragmented = path.len() < source.len();
        let fragment = form_urlencoded::parse(fragment.as_bytes())
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let (path, query) = split_outside_braces(path, '?');
        let query = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| !k.is_empty() && !k.contains(['{', '}']))
            .filter_map(|(k, v)| {
                let value = match v.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                    Some(name) if !name.contains(['{', '}']) => QueryValue::Param(name.to_string()),
                    _ if v.contains(['{', '}']) => return None,
                    _ => QueryValue::Literal(v.into_owned()),
                };
                Some((k.into_owned(), value))
            })
            .collect();
        let segments = path
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
            query,
            fragment,
            fragmented,
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the template has a fragment (`#...`), which sets it apart from
    /// others on the same path only by what the request says (its pairs).
    pub(crate) fn has_fragment(&self) -> bool {
        self.fragmented
    }

    /// Whether the template has query pairs (`?method=a`, `?city={city}`),
    /// which a request must carry for it to be served.
    pub(crate) fn has_query(&self) -> bool {
        !self.query.is_empty()
    }

    /// Whether a request's (decoded) query has every pair of the template's
    /// own query: a literal one with its value, a templated one with any.
    pub(crate) fn query_matches<K: AsRef<str>, W: AsRef<str>>(&self, query: &[(K, W)]) -> bool {
        self.query.iter().all(|(k, v)| {
            query
                .iter()
                .any(|(qk, qv)| qk.as_ref() == k && v.admits(qv.as_ref()))
        })
    }

    /// Whether some request matches both this template's query and `other`'s:
    /// no name has two different literal values.
    pub(crate) fn query_overlaps(&self, other: &PathTemplate) -> bool {
        self.query.iter().all(|(k, v)| {
            other.query.iter().all(|(ok, ov)| {
                ok != k
                    || match (v, ov) {
                        (QueryValue::Literal(a), QueryValue::Literal(b)) => a == b,
                        _ => true,
                    }
            })
        })
    }

    /// Whether every request matching `other`'s query matches this one's:
    /// this query says no more than `other`'s (`?a=1` within `?a=1&b=2`).
    pub(crate) fn query_within(&self, other: &PathTemplate) -> bool {
        self.query.iter().all(|(k, v)| {
            other.query.iter().any(|(ok, ov)| {
                ok == k
                    && match (v, ov) {
                        (QueryValue::Param(_), _) => true,
                        (QueryValue::Literal(a), QueryValue::Literal(b)) => a == b,
                        (QueryValue::Literal(_), QueryValue::Param(_)) => false,
                    }
            })
        })
    }

    /// Whether its fragment's pairs may name this request. `says(name,
    /// value)` tells whether the request gives `name` that value (`None`: it
    /// does not give `name` at all, which leaves the parameters to decide). So
    /// of the hundreds of operations an action-style API puts on one path, one
    /// is checked.
    pub(crate) fn fragment_agrees(&self, says: impl Fn(&str, &str) -> Option<bool>) -> bool {
        self.fragment.iter().all(|(k, v)| says(k, v) != Some(false))
    }

    /// The names of its fragment's pairs (`Action` of `/#Action=Run`).
    pub(crate) fn fragment_keys(&self) -> impl Iterator<Item = &str> {
        self.fragment.iter().map(|(k, _)| k.as_str())
    }

    /// Whether the request states every pair of its fragment, and it has
    /// some (`says` as for [`PathTemplate::fragment_agrees`]).
    pub(crate) fn fragment_stated(&self, says: impl Fn(&str, &str) -> Option<bool>) -> bool {
        !self.fragment.is_empty() && self.fragment.iter().all(|(k, v)| says(k, v) == Some(true))
    }

    /// Whether some pair of its fragment is one the request does not give
    /// (`says` as for [`PathTemplate::fragment_agrees`]).
    pub(crate) fn fragment_unsaid(&self, says: impl Fn(&str, &str) -> Option<bool>) -> bool {
        self.fragment.iter().any(|(k, v)| says(k, v).is_none())
    }

    /// The values of the parameters templated in its query (`?city={city}`),
    /// from a request's query, by name.
    pub(crate) fn query_params<'t, 'q, K: AsRef<str>, W: AsRef<str>>(
        &'t self,
        query: &'q [(K, W)],
    ) -> impl Iterator<Item = (&'t str, &'q str)> + use<'t, 'q, K, W> {
        self.query.iter().filter_map(move |(k, v)| match v {
            QueryValue::Param(name) => query
                .iter()
                .find(|(qk, _)| qk.as_ref() == k)
                .map(|(_, qv)| (name.as_str(), qv.as_ref())),
            QueryValue::Literal(_) => None,
        })
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

    /// The key the router's tree holds: parameters renamed by position, and a
    /// segment with two or more parameters (`{base}...{head}`, `{name}.{ext}`),
    /// which the tree cannot split, made one capture that [`Segment::split`]
    /// takes apart after the match.
    pub(crate) fn route_key(&self) -> String {
        let mut out = String::with_capacity(self.source.len() + 8);
        let mut i = 0;
        for seg in &self.segments {
            out.push('/');
            if seg.param_count() > 1 {
                out.push_str(&format!("{{p{i}}}"));
                i += 1;
                continue;
            }
            for piece in &seg.pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Param(_) => {
                        out.push_str(&format!("{{p{i}}}"));
                        i += 1;
                    }
                }
            }
        }
        out
    }

    /// Whether its parameters can all be told apart: at most one pair of
    /// them has nothing between them (`{name}{ext}`), which the router cuts
    /// by their schemas ([`Segment::other_splits`]).
    pub(crate) fn splittable(&self) -> bool {
        self.segments
            .iter()
            .map(Segment::adjacent_pairs)
            .sum::<usize>()
            <= 1
    }

    /// A concrete URL: the path with each parameter's value (from `value`)
    /// percent-encoded so it stays within its segment, then the template's own
    /// query (a literal pair as written, a templated one with its parameter's
    /// value), without which a request to it is not this template's. The
    /// fragment, which no request carries, is left out.
    pub(crate) fn render<'v>(&self, mut value: impl FnMut(&str) -> Option<&'v str>) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for seg in &self.segments {
            out.push('/');
            for piece in &seg.pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Param(name) => out.extend(utf8_percent_encode(
                        value(name).unwrap_or_default(),
                        SEGMENT,
                    )),
                }
            }
        }
        if !self.query.is_empty() {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.query {
                match v {
                    QueryValue::Literal(v) => query.append_pair(k, v),
                    QueryValue::Param(name) => {
                        query.append_pair(k, value(name).unwrap_or_default())
                    }
                };
            }
            out.push('?');
            out.push_str(&query.finish());
        }
        out
    }
}

/// How many ways of cutting the value of two adjacent parameters are tried
/// beside the preferred one.
const MAX_CUTS: usize = 32;

/// Where the value of two adjacent parameters (`{name}{ext}`) is cut unless
/// their schemas say otherwise: before its last `.` (`notes.tar.gz` is
/// `notes.tar` and `.gz`: documents that write `{id}{mediaTypeExtension}`
/// mean `.json`), else before its last character.
fn preferred_cut(value: &str) -> Option<usize> {
    match value.rfind('.') {
        Some(i) if i > 0 => Some(i),
        _ => value
            .char_indices()
            .last()
            .map(|(i, _)| i)
            .filter(|&i| i > 0),
    }
}

/// `text` cut at the first `at` outside `{...}` (`/search{?q}` keeps its
/// `?`, a parameter's, in the path), and the rest after it.
fn split_outside_braces(text: &str, at: char) -> (&str, &str) {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if c == at && depth == 0 => return (&text[..i], &text[i + 1..]),
            _ => {}
        }
    }
    (text, "")
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

    /// The names of the segment's parameters, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Param(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// How many pairs of its parameters have nothing between them
    /// (`{name}{ext}`: one).
    pub(crate) fn adjacent_pairs(&self) -> usize {
        self.pieces
            .windows(2)
            .filter(|w| matches!(w, [Piece::Param(_), Piece::Param(_)]))
            .count()
    }

    /// How many parameters the segment holds.
    pub(crate) fn param_count(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Param(_)))
            .count()
    }

    /// A raw segment taken apart into this segment's parameters
    /// (`main...dev` by `{base}...{head}`), each value ending at the first
    /// occurrence of the text after it (a value is never empty); `None` when
    /// the segment does not have this shape. Two parameters with nothing
    /// between them (`{name}{ext}`) share their value, cut by
    /// [`preferred_cut`].
    pub(crate) fn split<'r>(&self, raw: &'r str) -> Option<Vec<(&str, &'r str)>> {
        self.split_with(raw, preferred_cut)
    }

    /// The other ways of taking apart a segment with two adjacent parameters,
    /// for when [`Segment::split`]'s values do not keep their schemas
    /// (`{name}{ext}` with `ext` an enum without the dot): the later parameter
    /// takes the last 1, 2, ... characters of their value, up to
    /// [`MAX_CUTS`] (what ends a value is short, and a request's cost stays
    /// bounded). Empty for a segment without adjacent parameters.
    pub(crate) fn other_splits<'r>(&self, raw: &'r str) -> Vec<Vec<(&str, &'r str)>> {
        let mut joint = None;
        let _ = self.split_with(raw, |value| {
            joint = Some(value);
            None
        });
        let Some(joint) = joint else {
            return Vec::new();
        };
        let preferred = preferred_cut(joint);
        joint
            .char_indices()
            .rev()
            .take(MAX_CUTS)
            .map(|(i, _)| i)
            .filter(|&i| i > 0 && Some(i) != preferred)
            .filter_map(|cut| self.split_with(raw, |_| Some(cut)))
            .collect()
    }

    /// [`Segment::split`], with `cut` saying where the value of two adjacent
    /// parameters is cut (`None`: the segment does not match).
    fn split_with<'r>(
        &self,
        raw: &'r str,
        mut cut: impl FnMut(&'r str) -> Option<usize>,
    ) -> Option<Vec<(&str, &'r str)>> {
        let mut out = Vec::with_capacity(self.pieces.len());
        let mut rest = raw;
        let mut pieces = self.pieces.iter().peekable();
        while let Some(piece) = pieces.next() {
            let name = match piece {
                Piece::Text(t) => {
                    rest = rest.strip_prefix(t.as_str())?;
                    continue;
                }
                Piece::Param(name) => name,
            };
            let adjacent = match pieces.peek() {
                Some(Piece::Param(next)) => {
                    pieces.next();
                    Some(next)
                }
                _ => None,
            };
            // Each value has a character at least.
            let least = if adjacent.is_some() { 2 } else { 1 };
            let end = match pieces.peek() {
                None => rest.len(),
                Some(Piece::Text(t)) => {
                    let skip: usize = rest.chars().take(least).map(char::len_utf8).sum();
                    skip + rest[skip..].find(t.as_str())?
                }
                // Three in a row: never served (see `PathTemplate::splittable`).
                Some(Piece::Param(_)) => return None,
            };
            if end == 0 {
                return None;
            }
            let value = &rest[..end];
            match adjacent {
                None => out.push((name.as_str(), value)),
                Some(next) => {
                    let at = cut(value)
                        .filter(|&at| at > 0 && at < value.len() && value.is_char_boundary(at))?;
                    out.push((name.as_str(), &value[..at]));
                    out.push((next.as_str(), &value[at..]));
                }
            }
            rest = &rest[end..];
        }
        rest.is_empty().then_some(out)
    }

    /// How specific the segment is, as a radix tree orders matches: literal
    /// text first, then text around parameters (the more text, the sooner),
    /// then a bare parameter.
    pub(crate) fn specificity(&self) -> (u8, usize) {
        let text: usize = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Param(_) => 0,
            })
            .sum();
        match (self.param_count(), text) {
            (0, _) => (2, text),
            (_, 0) => (0, 0),
            _ => (1, text),
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
        assert_eq!(t.route_key(), "/a/{p0}/b/{p1}");
        assert_eq!(t.segments()[0].literal(), Some("a"));
        assert_eq!(t.segments()[1].literal(), None);
        let f = PathTemplate::parse("/files/{name}.json");
        assert_eq!(f.route_key(), "/files/{p0}.json");
        assert_eq!(f.segments()[1].literal(), None);
        let two = PathTemplate::parse("/compare/{base}...{head}");
        assert_eq!(two.params().collect::<Vec<_>>(), ["base", "head"]);
        assert_eq!(two.route_key(), "/compare/{p0}");
    }

    #[test]
    fn segments_with_several_parameters_are_one_capture_split_after() {
        let t = PathTemplate::parse("/repos/{owner}/compare/{base}...{head}");
        assert_eq!(t.route_key(), "/repos/{p0}/compare/{p1}");
        let seg = &t.segments()[3];
        assert_eq!(
            seg.split("main...dev"),
            Some(vec![("base", "main"), ("head", "dev")])
        );
        assert_eq!(
            seg.split("a.b...c...d"),
            Some(vec![("base", "a.b"), ("head", "c...d")])
        );
        assert_eq!(seg.split("main..dev"), None);
        assert_eq!(seg.split("...dev"), None);
        assert_eq!(seg.split("main..."), None);
        let f = PathTemplate::parse("/files/{name}.{ext}");
        assert_eq!(
            f.segments()[1].split("archive.tar.gz"),
            Some(vec![("name", "archive"), ("ext", "tar.gz")])
        );
        let v = PathTemplate::parse("/v{major}.{minor}/x");
        assert_eq!(v.route_key(), "/{p0}/x");
        assert_eq!(
            v.segments()[0].split("v2.1"),
            Some(vec![("major", "2"), ("minor", "1")])
        );
        assert_eq!(v.segments()[0].split("w2.1"), None);
        let adjacent = PathTemplate::parse("/a/{x}{y}");
        assert!(adjacent.splittable());
        assert_eq!(
            adjacent.segments()[1].split("ab"),
            Some(vec![("x", "a"), ("y", "b")])
        );
        // One parameter with text around it stays the tree's own.
        assert_eq!(
            PathTemplate::parse("/a/{id}.json").route_key(),
            "/a/{p0}.json"
        );
        // Multi-byte text is split on character boundaries.
        assert_eq!(
            f.segments()[1].split("é.ü"),
            Some(vec![("name", "é"), ("ext", "ü")])
        );
    }

    #[cfg(feature = "proxy")]
    #[test]
    fn whole_params() {
        let t = PathTemplate::parse("/a/{x}/{y}.json");
        assert_eq!(t.segments()[1].whole_param(), Some("x"));
        assert_eq!(t.segments()[2].whole_param(), None);
    }

    #[test]
    fn a_literal_query_is_kept_apart_from_the_path() {
        let t = PathTemplate::parse("/rest?method=a.b&x={x}&format=json#frag");
        assert_eq!(t.route_key(), "/rest");
        assert!(t.has_query() && t.has_fragment());
        assert!(t.query_matches(&[("format", "json"), ("x", "1"), ("method", "a.b")]));
        assert!(!t.query_matches(&[("method", "a.b")]));
        assert!(!t.query_matches(&[("method", "a.c"), ("format", "json")]));
        let plain = PathTemplate::parse("/rest/{id}");
        assert!(!plain.has_query() && !plain.has_fragment());
        assert_eq!(PathTemplate::parse("/q?{x}").route_key(), "/q");
        assert_eq!(
            PathTemplate::parse("/search{?q}").route_key(),
            "/search{p0}"
        );
        assert_eq!(
            PathTemplate::parse("/a/{b#}/c#x=1").route_key(),
            "/a/{p0}/c"
        );
        let t = PathTemplate::parse("/#Action=Run&Version=2016");
        let action = |given: Option<&'static str>| {
            move |k: &str, v: &str| (k == "Action").then_some(given).flatten().map(|g| g == v)
        };
        assert!(t.fragment_agrees(action(Some("Run"))));
        assert!(!t.fragment_agrees(action(Some("Stop"))));
        assert!(t.fragment_agrees(action(None)), "left to the parameters");
        assert!(
            t.fragment_unsaid(action(Some("Run"))),
            "Version is not given"
        );
        assert!(!t.fragment_unsaid(|_, _| Some(true)));
        let t = PathTemplate::parse("/current?city={city}&country={country}&units=M");
        assert!(t.query_matches(&[("city", "Paris"), ("country", "FR"), ("units", "M")]));
        assert!(!t.query_matches(&[("city", "Paris"), ("units", "M")]));
        let q = [("country", "FR"), ("city", "Paris")];
        let bound: Vec<_> = t.query_params(&q).collect();
        assert_eq!(bound, [("city", "Paris"), ("country", "FR")]);
    }

    #[test]
    fn renders_values_within_their_segment() {
        let t = PathTemplate::parse("/s/{id}/x");
        assert_eq!(t.render(|_| Some("a/b c")), "/s/a%2Fb%20c/x");
        assert_eq!(PathTemplate::parse("/").render(|_| None), "/");
    }

    #[test]
    fn renders_its_query_not_its_fragment() {
        // A URL without the template's query is not this template's (it
        // was `/rest`, a 404 on the mock's own Location).
        let t = PathTemplate::parse("/rest/{id}?method=photos.get&x={x}#frag=1");
        let value = |name: &str| match name {
            "id" => Some("7"),
            "x" => Some("a b&c"),
            _ => None,
        };
        assert_eq!(t.render(value), "/rest/7?method=photos.get&x=a+b%26c");
        assert_eq!(
            PathTemplate::parse("/?Action=Describe Things").render(|_| None),
            "/?Action=Describe+Things"
        );
        assert_eq!(PathTemplate::parse("/#Action=Run").render(|_| None), "/");
    }

    #[test]
    fn queries_overlap_when_one_request_can_match_both() {
        let t = PathTemplate::parse;
        let (search, paged) = (t("/s?q={q}"), t("/s?q={q}&page={page}"));
        assert!(search.query_overlaps(&paged) && paged.query_overlaps(&search));
        assert!(search.query_within(&paged) && !paged.query_within(&search));
        let (a, b) = (t("/m?method=a"), t("/m?method=b"));
        assert!(!a.query_overlaps(&b) && !a.query_within(&b));
        let (any, one) = (t("/m?method={m}"), t("/m?method=a&v=1"));
        assert!(any.query_overlaps(&one) && any.query_within(&one));
        assert!(!one.query_within(&any));
        let (city, place) = (t("/w?city={c}"), t("/w?lat={a}&lon={o}"));
        assert!(city.query_overlaps(&place));
        assert!(!city.query_within(&place) && !place.query_within(&city));
        let same = t("/x/{id}?m=1");
        assert!(same.query_within(&t("/x/{other}?m=1")));
    }

    #[test]
    fn adjacent_parameters_are_cut_before_the_last_dot_else_the_last_character() {
        let t = PathTemplate::parse("/files/{name}{ext}");
        assert_eq!(t.route_key(), "/files/{p0}");
        let seg = &t.segments()[1];
        assert_eq!(seg.adjacent_pairs(), 1);
        assert_eq!(
            seg.split("notes.tar.gz"),
            Some(vec![("name", "notes.tar"), ("ext", ".gz")])
        );
        assert_eq!(
            seg.split("readme"),
            Some(vec![("name", "readm"), ("ext", "e")])
        );
        assert_eq!(
            seg.split(".json"),
            Some(vec![("name", ".jso"), ("ext", "n")])
        );
        assert_eq!(seg.split("é"), None, "each value has a character");
        assert_eq!(seg.split("aé"), Some(vec![("name", "a"), ("ext", "é")]));
        // The others, for schemas the preferred cut does not keep: the
        // later value growing from the end, the preferred one left out.
        let others: Vec<_> = seg
            .other_splits("a.json")
            .into_iter()
            .map(|s| s[1].1)
            .collect();
        assert_eq!(others, ["n", "on", "son", "json"]);
        let long = "x".repeat(100);
        assert_eq!(seg.other_splits(&long).len(), MAX_CUTS - 1, "bounded");
        assert!(PathTemplate::parse("/c/{a}...{b}").segments()[1]
            .other_splits("x...y")
            .is_empty());
        // With text around them: the pair's value ends where the text begins.
        let around = PathTemplate::parse("/d/v{a}{b}.html");
        assert_eq!(
            around.segments()[1].split("vxy.z.html"),
            Some(vec![("a", "xy"), ("b", ".z")])
        );
        assert_eq!(around.segments()[1].split("vx.html"), None);
        // More than one such pair cannot be told apart.
        assert!(!PathTemplate::parse("/a/{x}{y}{z}").splittable());
        assert!(!PathTemplate::parse("/a/{x}{y}/{z}{w}").splittable());
        assert!(PathTemplate::parse("/a/{x}.{y}/{z}{w}").splittable());
    }
}
