//! The request journal: what the mock received, so a test can ask what its
//! client sent. Every request is kept as it arrived, with the verdict and the
//! reason for its answer, in a bounded ring: at most `capacity` entries and 64
//! MiB, the oldest dropped first. The request's target, headers and body are
//! copied into one compact buffer (`Head`): keeping hyper's own header values
//! would keep alive the whole read buffer they were sliced from, and an entry's
//! allocations (two: the entry and that buffer) are what a full ring turns over
//! on every request (its memory, not its instructions, was the journal's cost
//! under load). Nothing is redacted or serialized on the request path.
//!
//! Nothing leaves the journal unredacted: every reader (the admin endpoints, the
//! Rust API) goes through [`view`], which hides credentials in every form.
//! Queries use WireMock's shapes ([`pattern`]); requests that missed the
//! contract are explained in its terms ([`near`]).

pub mod near;
pub mod pattern;
mod redact;
mod shown;
pub mod view;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use hyper::{HeaderMap, Method, Uri};

use crate::contract::OpIndex;
use crate::respond::fault::{Dribble, Fault};
use crate::respond::prefer::Prefer;
use crate::respond::MockError;
use crate::validate::Violation;

pub use near::{Closest, NearMiss};
pub use pattern::{BodyPattern, RequestPattern, StringMatcher};
#[cfg(feature = "proxy")]
pub(crate) use redact::carried_credentials;
pub(crate) use redact::Redactor;
#[cfg(test)]
pub(crate) use shown::empty_contract;
pub(crate) use shown::preferred;
pub(crate) use shown::shown;
#[cfg(feature = "proxy")]
pub(crate) use shown::write_key;
pub use view::{Draw, Draws, JournaledRequest, LoggedRequest, Reason, RequestViolation};

/// The most body bytes kept per request; longer bodies are cut (and marked so).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// The most bytes the whole journal holds (bodies, headers, URLs).
pub(crate) const BYTE_BUDGET: usize = 64 * 1024 * 1024;

/// Why the mock answered as it did (turned into a [`Reason`] when read).
#[derive(Debug, Clone)]
pub(crate) enum Why {
    /// The operation's default answer.
    Default,
    /// `Prefer` (or a `__` control) chose it.
    Prefer(Box<Prefer>),
    /// Rule `index` chose or shaped it; `step` of a sequence (0-based, of
    /// `len`). In a stateful run a sequence's success step, and the answer to a
    /// rule that only delays or dribbles, are the model's: `state` is what the
    /// model said when it answered otherwise (an error, a redirect).
    Rule {
        index: usize,
        step: Option<(usize, usize)>,
        state: Option<Box<str>>,
    },
    /// The state model decided; a message for errors and redirects.
    State(Option<Box<str>>),
    /// A fault instead of an answer, from a rule (`Some(index)`) or `Prefer`.
    Fault { fault: Fault, rule: Option<usize> },
    /// The request broke the contract (the violations say how).
    Invalid,
    /// No operation has this path.
    NotFound,
    /// The path exists, not for this method.
    MethodNotAllowed,
    /// Credentials were missing or wrong.
    Auth(&'static str),
    /// No documented media type satisfies `Accept`.
    NotAcceptable,
    /// The body was over the limit.
    TooLarge,
    /// The body could not be read.
    Unreadable(Box<str>),
    /// mimeo's own error (`mimeo-error`): a `Prefer` it cannot satisfy, a limit.
    Mock(MockError, Box<str>),
    /// A CORS preflight answered by the mock.
    Preflight,
}

/// The random draws behind an answer: which probabilistic rules applied, and
/// the delay and dribble used. Reproducible from `--seed`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Drawn {
    /// (rule index, draw in [0, 1), applied).
    pub(crate) probability: Vec<(usize, f64, bool)>,
    /// The delay added, and whether it was drawn from a distribution.
    pub(crate) delay: Option<(Duration, bool)>,
    pub(crate) dribble: Option<Dribble>,
}

/// One request as received, and what became of it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) at: SystemTime,
    pub(crate) peer: IpAddr,
    pub(crate) session: Arc<str>,
    pub(crate) method: Method,
    /// The target, headers and at most [`MAX_BODY`] bytes of the body.
    pub(crate) head: Head,
    /// The body's real length.
    pub(crate) body_len: usize,
    pub(crate) operation: Option<OpIndex>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) status: u16,
    pub(crate) why: Why,
    /// `None` when nothing was drawn (most requests: it keeps entries small).
    pub(crate) drawn: Option<Box<Drawn>>,
    pub(crate) elapsed: Duration,
}

impl Drawn {
    /// Whether nothing was drawn.
    pub(crate) fn is_empty(&self) -> bool {
        self.probability.is_empty() && self.delay.is_none() && self.dribble.is_none()
    }
}

impl Entry {
    /// Whether no operation of the contract serves the request (a CORS
    /// preflight is the mock's own business, not a miss).
    pub(crate) fn unmatched(&self) -> bool {
        self.operation.is_none() && !matches!(self.why, Why::Preflight)
    }

    /// Whether the request missed the contract: unmatched, or broke it.
    pub(crate) fn missed(&self) -> bool {
        self.unmatched() || !self.violations.is_empty()
    }

    /// At most [`MAX_BODY`] bytes of the body.
    pub(crate) fn body(&self) -> &[u8] {
        self.head.body()
    }

    /// Roughly what the entry holds, for the byte budget.
    fn weight(&self) -> usize {
        256 + self.head.bytes.len()
    }
}

/// A request's target, headers and kept body, copied into one buffer.
#[derive(Debug)]
pub(crate) struct Head {
    /// The target; then each header as its name's length (`u32`, little
    /// endian), its name, its value's length, its value; then the body.
    bytes: Box<[u8]>,
    target: usize,
    body: usize,
}

impl Head {
    /// Copies `uri`'s path and query, `headers` and at most [`MAX_BODY`] bytes
    /// of `body`.
    pub(crate) fn copy(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Head {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let body = &body[..body.len().min(MAX_BODY)];
        let len = target.len()
            + headers
                .iter()
                .map(|(n, v)| 8 + n.as_str().len() + v.len())
                .sum::<usize>()
            + body.len();
        let mut bytes = Vec::with_capacity(len);
        bytes.extend_from_slice(target.as_bytes());
        for (name, value) in headers {
            for part in [name.as_str().as_bytes(), value.as_bytes()] {
                // A header is far shorter than 4 GiB (hyper reads heads of
                // at most a few hundred KiB).
                bytes.extend_from_slice(&(part.len() as u32).to_le_bytes());
                bytes.extend_from_slice(part);
            }
        }
        let headers_end = bytes.len();
        bytes.extend_from_slice(body);
        Head {
            target: target.len(),
            body: headers_end,
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// The path (without the query).
    pub(crate) fn path(&self) -> &str {
        let t = self.target_str();
        t.split_once('?').map_or(t, |(p, _)| p)
    }

    /// The query, if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.target_str().split_once('?').map(|(_, q)| q)
    }

    fn target_str(&self) -> &str {
        // Copied from a `Uri`, which holds only ASCII.
        std::str::from_utf8(&self.bytes[..self.target]).unwrap_or("/")
    }

    /// Each header, in order.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + Clone {
        let mut rest = &self.bytes[self.target..self.body];
        std::iter::from_fn(move || {
            let name = take_part(&mut rest)?;
            let value = take_part(&mut rest)?;
            // Copied from a `HeaderName`: lowercase ASCII.
            Some((std::str::from_utf8(name).unwrap_or_default(), value))
        })
    }

    /// The body kept.
    fn body(&self) -> &[u8] {
        &self.bytes[self.body..]
    }
}

/// The next length-prefixed part of `rest` (see [`Head::bytes`]).
fn take_part<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, after) = rest.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    let part = after.get(..len)?;
    *rest = &after[len..];
    Some(part)
}

/// The bounded ring of entries.
pub(crate) struct Journal {
    capacity: usize,
    next_id: AtomicU64,
    ring: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<(Arc<Entry>, usize)>,
    bytes: usize,
}

impl Journal {
    /// A journal of at most `capacity` entries (at least 1).
    pub(crate) fn new(capacity: usize) -> Journal {
        Journal {
            capacity: capacity.max(1),
            next_id: AtomicU64::new(1),
            ring: Mutex::default(),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The id the next entry gets.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds an entry, dropping the oldest past the bounds.
    pub(crate) fn push(&self, entry: Entry) {
        let weight = entry.weight();
        let entry = Arc::new(entry);
        let mut ring = self.ring();
        ring.bytes += weight;
        ring.entries.push_back((entry, weight));
        while ring.entries.len() > self.capacity
            || (ring.bytes > BYTE_BUDGET && ring.entries.len() > 1)
        {
            if let Some((_, w)) = ring.entries.pop_front() {
                ring.bytes -= w;
            }
        }
    }

    /// Every entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<Arc<Entry>> {
        self.ring().entries.iter().map(|(e, _)| e.clone()).collect()
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.ring().entries.len()
    }

    /// Removes the entries `remove` picks; returns how many.
    pub(crate) fn remove(&self, remove: impl Fn(&Entry) -> bool) -> usize {
        let mut ring = self.ring();
        let before = ring.entries.len();
        let mut freed = 0;
        ring.entries.retain(|(e, w)| {
            let gone = remove(e);
            if gone {
                freed += w;
            }
            !gone
        });
        ring.bytes -= freed;
        before - ring.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(j: &Journal, session: &str, body: usize) -> Entry {
        Entry {
            id: j.next_id(),
            at: SystemTime::now(),
            peer: IpAddr::from([127, 0, 0, 1]),
            session: session.into(),
            method: Method::GET,
            head: Head::copy(
                &Uri::from_static("/x"),
                &HeaderMap::new(),
                &vec![b'a'; body],
            ),
            body_len: body,
            operation: None,
            violations: Vec::new(),
            status: 200,
            why: Why::Default,
            drawn: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn bounded_by_count_and_bytes() {
        let j = Journal::new(3);
        for _ in 0..5 {
            j.push(entry(&j, "a", 0));
        }
        let ids: Vec<u64> = j.entries().iter().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5], "the oldest are dropped");
        let big = Journal::new(100_000);
        for _ in 0..(BYTE_BUDGET / MAX_BODY + 50) {
            big.push(entry(&big, "a", 10 * MAX_BODY));
        }
        assert!(big.len() <= BYTE_BUDGET / MAX_BODY, "{}", big.len());
        assert!(big.entries().iter().all(|e| e.body().len() == MAX_BODY));
        let n = big.len();
        assert_eq!(big.remove(|_| true), n);
        assert_eq!(big.len(), 0);
    }

    #[test]
    fn a_head_is_copied_whole() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        h.append("x-a", "1".parse().unwrap());
        h.append("x-a", "2".parse().unwrap());
        h.append("x-empty", "".parse().unwrap());
        let head = Head::copy(&Uri::from_static("/v1/x?a=b&c"), &h, b"{\"a\":1}");
        assert_eq!(head.path(), "/v1/x");
        assert_eq!(head.query(), Some("a=b&c"));
        let all: Vec<(&str, &[u8])> = head.headers().collect();
        assert_eq!(
            all,
            [
                ("content-type", &b"application/json"[..]),
                ("x-a", b"1"),
                ("x-a", b"2"),
                ("x-empty", b""),
            ]
        );
        assert_eq!(head.body(), b"{\"a\":1}");
        let bare = Head::copy(&Uri::from_static("/"), &HeaderMap::new(), b"");
        assert_eq!((bare.path(), bare.headers().count()), ("/", 0));
        assert_eq!(bare.body(), b"");
    }

    #[test]
    fn remove_by_session() {
        let j = Journal::new(10);
        j.push(entry(&j, "a", 1));
        j.push(entry(&j, "b", 1));
        assert_eq!(j.remove(|e| &*e.session == "a"), 1);
        assert_eq!(j.len(), 1);
    }
}
