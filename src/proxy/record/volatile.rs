//! What in an answer changes from call to call (operation ids, timestamps,
//! validators, back-off hints), so a recording can add redaction rules and its
//! snapshots stay stable. The API's own volatile headers and values are declared
//! in the contract's `x-mimeo.volatile`; timestamps and the HTTP validators are
//! volatile in every API.

use std::sync::OnceLock;

use hyper::header::HeaderMap;
use regex::Regex;

use crate::contract::profile::GENERIC_VOLATILE_HEADERS;
use crate::contract::{Contract, Operation};

/// ISO-8601 timestamps, volatile in any API.
pub(super) const TIMESTAMP: &str =
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})";

fn timestamp_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(TIMESTAMP).expect("a valid built-in pattern"))
}

/// The volatile response headers of a contract, with what replaces their value:
/// its declared ones, then the generic ones it did not declare.
pub(super) fn headers(contract: &Contract) -> Vec<(String, String)> {
    let mut out = contract.profile.volatile.headers.clone();
    for h in GENERIC_VOLATILE_HEADERS {
        if !out.iter().any(|(d, _)| d.eq_ignore_ascii_case(h)) {
            out.push((h.to_string(), format!("[{}]", h.to_ascii_lowercase())));
        }
    }
    out
}

/// Redaction rules for a recording: `(header, with)` and `(pattern, with)`.
pub(super) struct Rules {
    pub(super) headers: Vec<(String, String)>,
    pub(super) patterns: Vec<(String, String)>,
}

/// Volatile values seen in answers, each needing a redaction rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Volatile {
    /// By position in [`headers`]: documented headers the answer carried.
    headers: Vec<bool>,
    /// By position in the contract's declared patterns: a value that matched.
    patterns: Vec<bool>,
    /// An ISO-8601 timestamp.
    timestamps: bool,
}

impl Volatile {
    /// Looks through an answer of `op` (when known) for values that change per run.
    pub(crate) fn scan(
        contract: &Contract,
        op: Option<&Operation>,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Volatile {
        let documented = op.and_then(|o| o.response_for(status));
        let header_hits = self::headers(contract)
            .iter()
            .map(|(name, _)| {
                headers.contains_key(name.as_str())
                    && documented.is_some_and(|r| {
                        r.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name))
                    })
            })
            .collect();
        let declared = &contract.profile.volatile.patterns;
        let mut v = Volatile {
            headers: header_hits,
            patterns: vec![false; declared.len()],
            timestamps: false,
        };
        let body = String::from_utf8_lossy(body);
        let texts = headers
            .iter()
            .filter(|(n, _)| *n != hyper::header::DATE)
            .filter_map(|(_, v)| v.to_str().ok())
            .chain(std::iter::once(body.as_ref()));
        for text in texts {
            for (hit, (re, _)) in v.patterns.iter_mut().zip(declared) {
                *hit |= re.is_match(text);
            }
            v.timestamps |= timestamp_re().is_match(text);
        }
        v
    }

    pub(super) fn merge(&mut self, other: &Volatile) {
        merge_flags(&mut self.headers, &other.headers);
        merge_flags(&mut self.patterns, &other.patterns);
        self.timestamps |= other.timestamps;
    }

    /// The redaction rules these values need.
    pub(super) fn rules(&self, contract: &Contract) -> Rules {
        let headers = self::headers(contract)
            .into_iter()
            .zip(&self.headers)
            .filter(|(_, hit)| **hit)
            .map(|(h, _)| h)
            .collect();
        let mut patterns: Vec<(String, String)> = contract
            .profile
            .volatile
            .patterns
            .iter()
            .zip(&self.patterns)
            .filter(|(_, hit)| **hit)
            .map(|((re, with), _)| (re.as_str().to_string(), with.clone()))
            .collect();
        if self.timestamps {
            patterns.push((TIMESTAMP.to_string(), "[timestamp]".to_string()));
        }
        Rules { headers, patterns }
    }
}

fn merge_flags(into: &mut Vec<bool>, from: &[bool]) {
    if into.len() < from.len() {
        into.resize(from.len(), false);
    }
    for (a, b) in into.iter_mut().zip(from) {
        *a |= b;
    }
}
