//! Verdicts about texts a client sends again and again, kept per thread: a
//! test client sends the same headers and paths on request after request, and
//! whether a header carries a credential, or a path holds a credential's shape,
//! depends on nothing else. Judging them took a tenth of a logged request's
//! instructions; a repeated text now costs a hash lookup. Bounded: past
//! [`MAX_ENTRIES`] the memo starts over, and long texts are never kept.

use std::cell::RefCell;
use std::hash::Hash;
use std::thread::LocalKey;

/// At most this many verdicts per memo and thread (then it is emptied).
pub(crate) const MAX_ENTRIES: usize = 1024;

/// Texts longer than this (both parts together) are judged every time.
pub(crate) const MAX_TEXT: usize = 512;

/// A key as kept: whose verdict (a contract's [`Uid`]) and the two texts
/// judged together (a header's name and value; a text and nothing).
#[derive(Hash, PartialEq, Eq)]
struct Key {
    uid: u64,
    a: Box<str>,
    b: Box<[u8]>,
}

/// A key as looked up, borrowed from the request (hashes as [`Key`] does:
/// derived `Hash` hashes the fields in order, and a reference as its target).
#[derive(Hash)]
struct KeyRef<'t> {
    uid: u64,
    a: &'t str,
    b: &'t [u8],
}

impl hashbrown::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.uid == key.uid && self.a == &*key.a && self.b == &*key.b
    }
}

/// Verdicts `V` by owner and text (see the module's doc).
pub(crate) struct Seen<V> {
    map: hashbrown::HashMap<Key, V, foldhash::fast::FixedState>,
}

impl<V: Copy> Seen<V> {
    pub(crate) const fn new() -> Self {
        Seen {
            map: hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
                0x006d_696d_656f,
            )),
        }
    }

    /// The verdict kept for `a` and `b` of owner `uid`, else `judge()`'s, kept
    /// when the texts are short enough.
    pub(crate) fn get_or_judge(
        &mut self,
        uid: u64,
        a: &str,
        b: &[u8],
        judge: impl FnOnce() -> V,
    ) -> V {
        if let Some(v) = self.get(uid, a, b) {
            return v;
        }
        let v = judge();
        self.keep(uid, a, b, v);
        v
    }

    /// The verdict kept for `a` and `b` of owner `uid`.
    pub(crate) fn get(&self, uid: u64, a: &str, b: &[u8]) -> Option<V> {
        self.map.get(&KeyRef { uid, a, b }).copied()
    }

    /// Keeps `v` for `a` and `b` of owner `uid` when the texts are short
    /// enough (the caller has looked them up first).
    pub(crate) fn keep(&mut self, uid: u64, a: &str, b: &[u8], v: V) {
        if a.len() + b.len() > MAX_TEXT {
            return;
        }
        if self.map.len() >= MAX_ENTRIES {
            self.map.clear();
        }
        let key = Key {
            uid,
            a: a.into(),
            b: b.into(),
        };
        self.map.insert(key, v);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// Bodies longer than this are judged every time.
pub(crate) const MAX_BODY: usize = 4096;

/// At most this many bodies per memo and thread (then it is emptied).
pub(crate) const MAX_BODIES: usize = 256;

/// At most this many bytes per memo and thread, bodies and verdicts together
/// (then it is emptied): a verdict can outweigh its body (a violation names
/// its JSON pointer, escaped).
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// A verdict heavier than this is not kept (it would empty the memo soon).
const MAX_VERDICT: usize = 2 * MAX_BODY;

#[derive(Hash, PartialEq, Eq)]
struct BodyKey {
    uid: u64,
    id: u64,
    body: Box<[u8]>,
}

/// A [`BodyKey`] as looked up (hashes as it does, as [`KeyRef`] does).
#[derive(Hash)]
struct BodyKeyRef<'t> {
    uid: u64,
    id: u64,
    body: &'t [u8],
}

impl hashbrown::Equivalent<BodyKey> for BodyKeyRef<'_> {
    fn equivalent(&self, key: &BodyKey) -> bool {
        self.uid == key.uid && self.id == key.id && self.body == &*key.body
    }
}

/// Which values were met once lately, by hash: a memo keeps a value on its
/// second sighting, so a stream of values each met once (fresh ids, bodies
/// that all differ) costs a hash apiece, not copies that push out the values
/// that do repeat. `N` slots, by the hash's low bits; a hash met again finds
/// itself unless another took its slot meanwhile.
pub(crate) struct Sightings<const N: usize>([u64; N]);

impl<const N: usize> Sightings<N> {
    pub(crate) const fn new() -> Self {
        Sightings([0; N])
    }

    /// Whether `hash` was met before (and is kept in mind either way).
    pub(crate) fn again(&mut self, hash: u64) -> bool {
        let slot = &mut self.0[(hash % N as u64) as usize];
        std::mem::replace(slot, hash) == hash
    }
}

/// Verdicts `V` about bodies, by owner, by what judged them (a schema's id)
/// and by the bytes: a target, like a test client, sends the same bodies
/// again and again (an error, a fixture), and a body judged against one
/// schema is judged the same every time. A body is kept the second time it is
/// judged: one seen once (every request different) costs two hashes, not a
/// copy.
pub(crate) struct SeenBodies<V> {
    map: hashbrown::HashMap<BodyKey, V, foldhash::fast::FixedState>,
    /// What the kept bodies and verdicts weigh, in bytes.
    bytes: usize,
    /// Bodies judged once and not kept.
    once: Sightings<ONCE>,
}

/// How many bodies judged once [`SeenBodies`] remembers (by hash).
const ONCE: usize = 512;

impl<V: Clone> SeenBodies<V> {
    pub(crate) const fn new() -> Self {
        SeenBodies {
            map: hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
                0x006d_696d_656f,
            )),
            bytes: 0,
            once: Sightings::new(),
        }
    }

    /// The verdict kept for `body` judged by `id` of owner `uid`.
    pub(crate) fn get(&self, uid: u64, id: u64, body: &[u8]) -> Option<V> {
        if body.len() > MAX_BODY || self.map.is_empty() {
            return None;
        }
        self.map.get(&BodyKeyRef { uid, id, body }).cloned()
    }

    /// Keeps `v`, which weighs `weight` bytes (its text), for `body` when
    /// both are light enough and `body` was judged before (the caller has
    /// looked it up first).
    pub(crate) fn keep(&mut self, uid: u64, id: u64, body: &[u8], v: V, weight: usize) {
        if body.len() > MAX_BODY || weight > MAX_VERDICT {
            return;
        }
        let hash =
            std::hash::BuildHasher::hash_one(self.map.hasher(), BodyKeyRef { uid, id, body });
        if !self.once.again(hash) {
            return;
        }
        let weight = body.len() + weight;
        if self.map.len() >= MAX_BODIES || self.bytes + weight > MAX_BODY_BYTES {
            self.map.clear();
            self.bytes = 0;
        }
        self.bytes += weight;
        let key = BodyKey {
            uid,
            id,
            body: body.into(),
        };
        self.map.insert(key, v);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// [`SeenBodies::get`] on this thread's `memo`; `None` also when the thread's
/// memos are gone (a check run from a thread-local's destructor judges
/// without them).
pub(crate) fn get_in<V: Clone>(
    memo: &'static LocalKey<RefCell<SeenBodies<V>>>,
    uid: u64,
    id: u64,
    body: &[u8],
) -> Option<V> {
    memo.try_with(|m| m.borrow().get(uid, id, body))
        .ok()
        .flatten()
}

/// [`SeenBodies::keep`] on this thread's `memo` (nothing when it is gone).
pub(crate) fn keep_in<V: Clone>(
    memo: &'static LocalKey<RefCell<SeenBodies<V>>>,
    uid: u64,
    id: u64,
    body: &[u8],
    v: V,
    weight: usize,
) {
    let _ = memo.try_with(|m| m.borrow_mut().keep(uid, id, body, v, weight));
}

/// Tells one owner of verdicts (a contract's profile) from every other in the
/// process, so a thread's memo never answers for another contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uid(pub(crate) u64);

impl Default for Uid {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Uid(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_met_again_until_another_takes_its_slot() {
        let mut met: Sightings<4> = Sightings::new();
        assert!(!met.again(5));
        assert!(met.again(5));
        assert!(!met.again(6), "another slot");
        assert!(met.again(5));
        assert!(!met.again(9), "5's slot (9 % 4 == 5 % 4)");
        assert!(!met.again(5), "pushed out");
    }

    #[test]
    fn judges_once_per_owner_and_text_and_stays_bounded() {
        let mut seen: Seen<bool> = Seen::new();
        let mut judged = 0;
        let mut get = |seen: &mut Seen<bool>, uid, a: &str, b: &[u8]| {
            seen.get_or_judge(uid, a, b, || {
                judged += 1;
                a.len() > 3
            })
        };
        assert!(!get(&mut seen, 1, "ab", b""));
        assert!(get(&mut seen, 1, "accept", b"*/*"));
        assert!(get(&mut seen, 1, "accept", b"*/*"));
        // Another owner, or the same texts split otherwise, is judged apart.
        assert!(get(&mut seen, 2, "accept", b"*/*"));
        assert!(!get(&mut seen, 1, "acc", b"ept*/*"));
        assert_eq!(judged, 4);
        // Long texts are not kept; past the bound the memo starts over.
        let long = "x".repeat(MAX_TEXT + 1);
        seen.get_or_judge(1, &long, b"", || true);
        assert_eq!(seen.len(), 4);
        for i in 0..MAX_ENTRIES {
            seen.get_or_judge(3, &i.to_string(), b"", || false);
        }
        assert!(seen.len() <= MAX_ENTRIES);
        assert!(Uid::default() != Uid::default());
    }

    #[test]
    fn bodies_are_kept_by_owner_judge_and_bytes_and_stay_bounded() {
        let mut seen: SeenBodies<u32> = SeenBodies::new();
        // Kept the second time it is judged.
        seen.keep(1, 7, b"{}", 1, 0);
        assert_eq!(seen.get(1, 7, b"{}"), None);
        seen.keep(1, 7, b"{}", 1, 0);
        assert_eq!(seen.get(1, 7, b"{}"), Some(1));
        // Another owner, another judge or other bytes: not known.
        assert_eq!(seen.get(2, 7, b"{}"), None);
        assert_eq!(seen.get(1, 8, b"{}"), None);
        assert_eq!(seen.get(1, 7, b"{ }"), None);
        // A long body is not kept; past the bound the memo starts over.
        let twice = |seen: &mut SeenBodies<u32>, uid, id, body: &[u8], v, weight| {
            seen.keep(uid, id, body, v, weight);
            seen.keep(uid, id, body, v, weight);
        };
        twice(&mut seen, 1, 7, &[b' '; MAX_BODY + 1], 2, 0);
        assert_eq!(seen.get(1, 7, &[b' '; MAX_BODY + 1]), None);
        for i in 0..MAX_BODIES as u64 {
            twice(&mut seen, 3, i, b"[]", 3, 0);
        }
        assert!(seen.len() <= MAX_BODIES);
        // A heavy verdict is not kept; past the bytes allowed the memo starts over.
        twice(&mut seen, 4, 0, b"{}", 4, MAX_VERDICT + 1);
        assert_eq!(seen.get(4, 0, b"{}"), None);
        for i in 0..MAX_BODY_BYTES / MAX_VERDICT + 1 {
            twice(&mut seen, 5, i as u64, b"{}", 5, MAX_VERDICT);
            assert!(seen.bytes <= MAX_BODY_BYTES);
        }
        assert!(seen.len() < MAX_BODY_BYTES / MAX_VERDICT);
    }
}
