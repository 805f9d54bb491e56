//! Sessions: parallel test clients must not see each other's state, nor walk each
//! other's rule sequences and chaos draws. A request's session is its
//! `X-Mimeo-Session` header; else the Basic-auth username (a Twilio AccountSid,
//! so unmodified helper libraries are kept apart by using different SIDs); else
//! one default session.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use hyper::header::{HeaderMap, HeaderValue};

/// The header that names a session.
pub(crate) const SESSION_HEADER: &str = "x-mimeo-session";
/// The session of requests that name none.
pub(crate) const DEFAULT_SESSION: &str = "default";
/// Longer keys are kept as a hash of their bytes.
const MAX_KEY: usize = 128;

/// The session `headers` belong to (for the admin API, which names the
/// session its own request is in).
pub(crate) fn key(headers: &HeaderMap) -> String {
    shared_key(headers, &Arc::from(DEFAULT_SESSION)).to_string()
}

/// The session `headers` belong to, sharing `default` when they name none (no
/// allocation for the common case).
pub(crate) fn shared_key(headers: &HeaderMap, default: &Arc<str>) -> Arc<str> {
    let given = super::heads::Heads::of(headers).get(super::heads::Known::Session);
    shared_key_of(given, headers, default)
}

/// [`shared_key`] when the session header's value (`given`) was found already.
pub(super) fn shared_key_of(
    given: Option<&HeaderValue>,
    headers: &HeaderMap,
    default: &Arc<str>,
) -> Arc<str> {
    // For a name seen before on this thread, no allocation: test clients send
    // a few names again and again.
    if let Some(v) = given {
        match named(&String::from_utf8_lossy(v.as_bytes())) {
            std::borrow::Cow::Borrowed("") => {}
            std::borrow::Cow::Borrowed(name) => return interned(name),
            std::borrow::Cow::Owned(stand_in) => return stand_in.into(),
        }
    }
    // A client's Basic user, shared from its decoding.
    match basic_user(headers) {
        Some(user) if user.len() <= MAX_KEY => user,
        Some(user) => hashed(&user).into(),
        None => default.clone(),
    }
}

/// Session names kept per thread, at most this many (then the memo starts over).
const MAX_INTERNED: usize = 1024;

type Names = hashbrown::HashSet<Arc<str>, foldhash::fast::RandomState>;

thread_local! {
    /// The session names this thread has shared.
    static NAMES: std::cell::RefCell<Names> = std::cell::RefCell::default();
}

/// `name` shared: the thread's copy when it has one (the full name compared),
/// else a new one, kept.
fn interned(name: &str) -> Arc<str> {
    NAMES.with_borrow_mut(|names| {
        if let Some(kept) = names.get(name) {
            return kept.clone();
        }
        if names.len() >= MAX_INTERNED {
            names.clear();
        }
        let kept: Arc<str> = name.into();
        names.insert(kept.clone());
        kept
    })
}

/// A stable hash of a session's name (FNV-1a), the same in every build, so
/// chaos draws per session are reproducible from the seed.
pub(crate) fn stable_hash(session: &str) -> u64 {
    session.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A session as it is kept: its name, or for a long one (a test's full id) the
/// stand-in requests naming it are kept under. What the admin API's
/// `?session=` and a journal pattern's `session` are read as, so the full name
/// finds them too.
pub(crate) fn named(name: &str) -> std::borrow::Cow<'_, str> {
    let name = name.trim();
    if name.len() <= MAX_KEY {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(hashed(name))
    }
}

/// A long session name's stand-in.
fn hashed(name: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut h);
    format!("#{:016x}", h.finish())
}

/// The username of Basic credentials, if the request has them.
fn basic_user(headers: &HeaderMap) -> Option<Arc<str>> {
    let user = crate::http::basic::of_headers(headers)?.user.clone();
    (!user.is_empty()).then_some(user)
}

/// How far each session is through each rule: how often it matched (which
/// numbers its chaos draws) and how often it applied (its sequence step), plus
/// one more match counter for the server-wide delay. Sessions find their
/// counters under a read lock; only a new session takes the write lock. Past
/// `max` sessions, the least recently used is dropped.
pub(crate) struct RuleCounters {
    rules: usize,
    max: usize,
    clock: AtomicU64,
    map: RwLock<HashMap<String, Arc<Counters>>>,
}

/// One session's counters.
pub(crate) struct Counters {
    /// Per rule, then one for the server-wide delay.
    hits: Vec<AtomicUsize>,
    applied: Vec<AtomicUsize>,
    used: AtomicU64,
    /// Bodies generated for the session (`Prefer: dynamic`).
    generated: AtomicU64,
}

impl Counters {
    /// The match counter of rule `i` (`rules.len()`: the server-wide delay's).
    pub(crate) fn of(&self, i: usize) -> &AtomicUsize {
        &self.hits[i]
    }

    /// How often rule `i` applied (its sequence step).
    pub(crate) fn applied(&self, i: usize) -> &AtomicUsize {
        &self.applied[i]
    }

    /// The number of the session's next generated body.
    pub(crate) fn next_generated(&self) -> u64 {
        self.generated.fetch_add(1, Ordering::Relaxed)
    }
}

impl RuleCounters {
    pub(crate) fn new(rules: usize, max: usize) -> RuleCounters {
        RuleCounters {
            rules,
            max: max.max(1),
            clock: AtomicU64::new(0),
            map: RwLock::default(),
        }
    }

    /// The counters of `session`, made on first use.
    pub(crate) fn session(&self, session: &str) -> Arc<Counters> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        if let Some(c) = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(session)
        {
            c.used.store(now, Ordering::Relaxed);
            return c.clone();
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(session) && map.len() >= self.max {
            let oldest = map
                .iter()
                .min_by_key(|(_, c)| c.used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.entry(session.to_string())
            .or_insert_with(|| {
                Arc::new(Counters {
                    hits: (0..=self.rules).map(|_| AtomicUsize::new(0)).collect(),
                    applied: (0..self.rules).map(|_| AtomicUsize::new(0)).collect(),
                    used: AtomicU64::new(now),
                    generated: AtomicU64::new(0),
                })
            })
            .clone()
    }

    /// Starts one session's sequences (or every session's) over.
    pub(crate) fn reset(&self, session: Option<&str>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        match session {
            Some(s) => {
                map.remove(s);
            }
            None => map.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::AUTHORIZATION;

    #[test]
    fn header_then_basic_user_then_default() {
        let mut h = HeaderMap::new();
        assert_eq!(key(&h), DEFAULT_SESSION);
        // AC123:secret
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic QUMxMjM6c2VjcmV0"),
        );
        assert_eq!(key(&h), "AC123");
        h.insert(SESSION_HEADER, HeaderValue::from_static("ci-job-7"));
        assert_eq!(key(&h), "ci-job-7");
        let long = "x".repeat(500);
        h.insert(SESSION_HEADER, HeaderValue::from_str(&long).unwrap());
        assert!(key(&h).len() <= MAX_KEY);
        let default: Arc<str> = DEFAULT_SESSION.into();
        assert!(Arc::ptr_eq(
            &shared_key(&HeaderMap::new(), &default),
            &default
        ));
        assert_eq!(
            stable_hash("a"),
            0xaf63_dc4c_8601_ec8c,
            "FNV-1a, fixed forever"
        );
    }

    #[test]
    fn a_session_is_its_trimmed_name_else_the_basic_user_else_the_default() {
        let default: Arc<str> = DEFAULT_SESSION.into();
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic QUMxMjM6c2VjcmV0"),
        );
        for (value, session) in [
            (&b" ci-job-7 "[..], "ci-job-7"),
            (b"", "AC123"),
            (b"  ", "AC123"),
            (b"caf\xc3\xa9", "caf\u{e9}"),
            (b"\xff", "\u{fffd}"),
        ] {
            h.insert(SESSION_HEADER, HeaderValue::from_bytes(value).unwrap());
            assert_eq!(&*shared_key(&h, &default), session, "{value:?}");
            assert_eq!(key(&h), session, "{value:?}");
        }
        // A long name is kept as its stand-in, as `?session=` reads it.
        let long = "y".repeat(500);
        h.insert(SESSION_HEADER, HeaderValue::from_str(&long).unwrap());
        assert_eq!(*shared_key(&h, &default), *named(&long));
        assert!(named(&long).starts_with('#'));
        // A name seen before is the same copy; another name is not.
        h.insert(SESSION_HEADER, HeaderValue::from_static("s1"));
        let (a, b) = (shared_key(&h, &default), shared_key(&h, &default));
        assert!(Arc::ptr_eq(&a, &b));
        h.insert(SESSION_HEADER, HeaderValue::from_static("s10"));
        assert_eq!(&*shared_key(&h, &default), "s10");
        h.remove(AUTHORIZATION);
        h.insert(SESSION_HEADER, HeaderValue::from_static(""));
        assert!(Arc::ptr_eq(&shared_key(&h, &default), &default));
        assert_eq!(key(&h), DEFAULT_SESSION);
    }

    #[test]
    fn interned_names_stay_bounded() {
        for i in 0..=MAX_INTERNED {
            assert_eq!(&*interned(&i.to_string()), i.to_string());
        }
        assert!(NAMES.with_borrow(Names::len) <= MAX_INTERNED);
    }

    #[test]
    fn counters_are_per_session_and_bounded() {
        let c = RuleCounters::new(1, 2);
        c.session("a").of(0).fetch_add(1, Ordering::Relaxed);
        assert_eq!(c.session("a").of(0).load(Ordering::Relaxed), 1);
        assert_eq!(c.session("b").of(0).load(Ordering::Relaxed), 0);
        c.session("c"); // drops the least recently used, a
        assert_eq!(c.map.read().unwrap().len(), 2);
        assert_eq!(c.session("a").of(0).load(Ordering::Relaxed), 0);
        c.reset(None);
        assert!(c.map.read().unwrap().is_empty());
    }
}
