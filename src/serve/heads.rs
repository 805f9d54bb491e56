//! The request headers the mock reads on every request (its session's,
//! `Origin`, `Host`, `Accept`, `Accept-Encoding`, `Prefer`), found in one pass
//! over a request's few headers: each lookup in a `HeaderMap` hashes its name
//! and probes, about as much work as walking five headers, and these were
//! looked up seven times. A request with many headers is looked up as before.

use hyper::header::{HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, HOST, ORIGIN};
use hyper::HeaderMap;

use super::session::SESSION_HEADER;
use crate::respond::prefer::PREFER;

/// One of the headers [`Heads`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    Host,
    Accept,
    AcceptEncoding,
    Origin,
    Prefer,
    /// `X-Mimeo-Session`.
    Session,
}

static NAMES: [HeaderName; 6] = [
    HOST,
    ACCEPT,
    ACCEPT_ENCODING,
    ORIGIN,
    PREFER,
    HeaderName::from_static(SESSION_HEADER),
];

/// Requests with more header lines than this are looked up, not scanned.
const SCAN: usize = 16;

/// The [`Known`] headers of one request.
pub(crate) struct Heads<'a> {
    map: &'a HeaderMap,
    /// Per known header, its first line and whether it has more; `None` when
    /// the request had too many headers to scan (each is looked up).
    found: Option<[(Option<&'a HeaderValue>, bool); 6]>,
}

impl<'a> Heads<'a> {
    /// The known headers of `map`.
    pub(crate) fn of(map: &'a HeaderMap) -> Heads<'a> {
        if map.len() > SCAN {
            return Heads { map, found: None };
        }
        let mut found = [(None, false); 6];
        for (name, value) in map {
            if let Some(i) = NAMES.iter().position(|n| n == name) {
                let (first, more) = &mut found[i];
                match first {
                    None => *first = Some(value),
                    Some(_) => *more = true,
                }
            }
        }
        Heads {
            map,
            found: Some(found),
        }
    }

    /// The first line of `which` (as `HeaderMap::get`).
    pub(crate) fn get(&self, which: Known) -> Option<&'a HeaderValue> {
        match &self.found {
            Some(found) => found[which as usize].0,
            None => self.map.get(&NAMES[which as usize]),
        }
    }

    /// The first line of `which` as text, when it is (visible) ASCII.
    pub(crate) fn text(&self, which: Known) -> Option<&'a str> {
        self.get(which).and_then(|v| v.to_str().ok())
    }

    /// Every line of `which`, in order (as `HeaderMap::get_all`).
    pub(crate) fn all(&self, which: Known) -> impl Iterator<Item = &'a HeaderValue> + 'a {
        let (one, many) = match &self.found {
            Some(found) => match found[which as usize] {
                (first, false) => (first, None),
                (_, true) => (None, Some(self.map.get_all(&NAMES[which as usize]))),
            },
            None => (None, Some(self.map.get_all(&NAMES[which as usize]))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(heads: &Heads<'_>, which: Known) -> Vec<String> {
        heads
            .all(which)
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn finds_what_a_lookup_finds_in_few_or_many_headers() {
        // Either side of the scan's bound (the map has five lines besides).
        for filler in [0, SCAN - 5, SCAN - 4, 40] {
            let mut map = HeaderMap::new();
            for i in 0..filler {
                map.append(
                    HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
                    HeaderValue::from_static("f"),
                );
            }
            map.append(HOST, HeaderValue::from_static("example.com"));
            map.append(PREFER, HeaderValue::from_static("code=404"));
            map.append("x-other", HeaderValue::from_static("o"));
            map.append("X-Mimeo-Session", HeaderValue::from_static("s1"));
            map.append(PREFER, HeaderValue::from_static("example=b"));
            let heads = Heads::of(&map);
            assert_eq!(heads.found.is_some(), map.len() <= SCAN);
            assert_eq!(heads.text(Known::Host), Some("example.com"));
            assert_eq!(heads.get(Known::Accept), None);
            assert_eq!(lines(&heads, Known::Accept), Vec::<String>::new());
            assert_eq!(lines(&heads, Known::Host), ["example.com"]);
            assert_eq!(heads.text(Known::Prefer), Some("code=404"));
            assert_eq!(lines(&heads, Known::Prefer), ["code=404", "example=b"]);
            assert_eq!(heads.text(Known::Session), Some("s1"));
            assert_eq!(heads.get(Known::Origin), None);
        }
    }

    #[test]
    fn each_known_header_is_found_under_its_own_name() {
        // `Known` indexes `NAMES`: the two must list the headers in one order.
        let named = [
            (Known::Host, HOST),
            (Known::Accept, ACCEPT),
            (Known::AcceptEncoding, ACCEPT_ENCODING),
            (Known::Origin, ORIGIN),
            (Known::Prefer, PREFER),
            (Known::Session, HeaderName::from_static(SESSION_HEADER)),
        ];
        assert_eq!(named.len(), NAMES.len());
        for (known, name) in &named {
            let mut map = HeaderMap::new();
            map.insert(name.clone(), HeaderValue::from_static("v"));
            let heads = Heads::of(&map);
            for (other, _) in named.iter() {
                let found = heads.get(*other).is_some();
                assert_eq!(found, other == known, "{name} as {other:?}");
            }
        }
    }

    #[test]
    fn a_value_that_is_not_ascii_has_no_text() {
        let mut map = HeaderMap::new();
        map.insert(ACCEPT, HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let heads = Heads::of(&map);
        assert!(heads.get(Known::Accept).is_some());
        assert_eq!(heads.text(Known::Accept), None);
    }
}
