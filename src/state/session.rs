//! Sessions: each client's state apart, found without contention, bounded.
//!
//! The map is behind an `RwLock` taken for reading only to find a session (and
//! for writing only to add or drop one); each session has its own `Mutex`, so
//! requests of unrelated sessions never wait on each other. Past `max` sessions
//! the least recently used is dropped. Settling (writes visible to reads only
//! after a delay) lives here too, as each session's pair of states.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::cx::hash;
use super::limits::Totals;
use super::world::{Counts, World};

/// Session keys longer than this are kept as a hash of themselves.
const MAX_KEY: usize = 128;
/// Writes that may wait to settle at once (each a copy of the session's state);
/// past it the oldest settles early.
const MAX_PENDING: usize = 16;

/// One session's state.
#[derive(Debug)]
pub(crate) struct SessionState {
    /// Every write so far: what later writes are judged against.
    pub(crate) latest: World,
    /// With a settle delay: what reads see, and the writes still settling.
    settling: Option<Settling>,
    /// What this session last added to the totals of all sessions.
    accounted: Counts,
    /// Dropped from the sessions: a request still holding it changes no totals.
    gone: bool,
}

#[derive(Debug)]
struct Settling {
    visible: World,
    /// States after each write, with when they become visible, oldest first.
    pending: VecDeque<(Instant, World)>,
}

impl SessionState {
    pub(crate) fn new(world: World, settle: Duration) -> SessionState {
        let settling = (!settle.is_zero()).then(|| Settling {
            visible: world.clone(),
            pending: VecDeque::new(),
        });
        SessionState {
            accounted: world.counts,
            latest: world,
            settling,
            gone: false,
        }
    }

    /// Brings the totals of all sessions up to date with this one.
    pub(crate) fn account(&mut self, totals: &Totals) {
        if !self.gone {
            totals.change(self.accounted, self.latest.counts);
            self.accounted = self.latest.counts;
        }
    }

    /// Takes this session out of the totals for good.
    fn leave(&mut self, totals: &Totals) {
        if !self.gone {
            totals.change(self.accounted, Counts::default());
            self.gone = true;
        }
    }

    /// What a read at `now` sees.
    pub(crate) fn visible(&mut self, now: Instant) -> &World {
        match &mut self.settling {
            None => &self.latest,
            Some(s) => {
                while s.pending.front().is_some_and(|(at, _)| *at <= now) {
                    if let Some((_, w)) = s.pending.pop_front() {
                        s.visible = w;
                    }
                }
                &s.visible
            }
        }
    }

    /// Records that `latest` changed at `now`; it becomes visible after `settle`.
    pub(crate) fn written(&mut self, now: Instant, settle: Duration) {
        if let Some(s) = &mut self.settling {
            if s.pending.len() >= MAX_PENDING {
                if let Some((_, w)) = s.pending.pop_front() {
                    s.visible = w;
                }
            }
            s.pending.push_back((now + settle, self.latest.clone()));
        }
    }

    /// Replaces everything (a reset or a loaded state): visible at once.
    pub(crate) fn replace(&mut self, world: World) {
        if let Some(s) = &mut self.settling {
            s.visible = world.clone();
            s.pending.clear();
        }
        self.latest = world;
    }
}

/// A session and when it was last used.
#[derive(Debug)]
pub(crate) struct Slot {
    used: AtomicU64,
    state: Mutex<SessionState>,
}

impl Slot {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every session, by key.
#[derive(Debug)]
pub(crate) struct Sessions {
    map: RwLock<HashMap<Box<str>, Arc<Slot>, super::world::Hasher>>,
    tick: AtomicU64,
    max: usize,
    /// What all sessions hold together.
    pub(crate) totals: Totals,
}

impl Sessions {
    pub(crate) fn new(max: usize) -> Sessions {
        Sessions {
            map: RwLock::new(HashMap::default()),
            tick: AtomicU64::new(0),
            max: max.max(1),
            totals: Totals::default(),
        }
    }

    /// The session `key`, made with `make` if it is new.
    pub(crate) fn get_or_make(&self, key: &str, make: impl FnOnce() -> SessionState) -> Arc<Slot> {
        let key = bounded(key);
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = self.read().get(&*key) {
            slot.used.store(now, Ordering::Relaxed);
            return Arc::clone(slot);
        }
        let mut evicted = None;
        let slot = {
            let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = map.get(&*key) {
                slot.used.store(now, Ordering::Relaxed);
                return Arc::clone(slot);
            }
            if map.len() >= self.max {
                // One scan per new session past the bound.
                let oldest = map
                    .iter()
                    .min_by_key(|(_, s)| s.used.load(Ordering::Relaxed))
                    .map(|(k, _)| k.clone());
                evicted = oldest.and_then(|k| map.remove(&k));
            }
            let state = make();
            self.totals.change(Counts::default(), state.accounted);
            let slot = Arc::new(Slot {
                used: AtomicU64::new(now),
                state: Mutex::new(state),
            });
            map.insert(key.into(), Arc::clone(&slot));
            slot
        };
        // Outside the map's lock: a request in flight on the evicted session
        // finishes first, and changes no totals after.
        if let Some(old) = evicted {
            old.lock().leave(&self.totals);
        }
        slot
    }

    /// The session `key`, if it exists.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<Slot>> {
        self.read().get(&*bounded(key)).cloned()
    }

    /// Drops one session, or all.
    pub(crate) fn remove(&self, key: Option<&str>) {
        let dropped: Vec<Arc<Slot>> = {
            let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
            match key {
                Some(k) => map.remove(&*bounded(k)).into_iter().collect(),
                None => map.drain().map(|(_, s)| s).collect(),
            }
        };
        for slot in dropped {
            slot.lock().leave(&self.totals);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }

    fn read(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<Box<str>, Arc<Slot>, super::world::Hasher>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A key as stored: as given, or hashed when long (a header can be large).
fn bounded(key: &str) -> Cow<'_, str> {
    if key.len() <= MAX_KEY {
        Cow::Borrowed(key)
    } else {
        let (a, b) = key.as_bytes().split_at(key.len() / 2);
        let second = hash(b) ^ hash(a).rotate_left(1);
        Cow::Owned(format!("#{:016x}{second:016x}", hash(key.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_session_goes_first() {
        let s = Sessions::new(2);
        let make = || SessionState::new(World::default(), Duration::ZERO);
        s.get_or_make("a", make);
        s.get_or_make("b", make);
        s.get_or_make("a", make); // a is used again: b is now the oldest
        s.get_or_make("c", make);
        assert!(s.get("a").is_some());
        assert!(s.get("b").is_none());
        assert!(s.get("c").is_some());
        assert_eq!(s.len(), 2);
        s.remove(None);
        assert_eq!(s.len(), 0);
        assert_eq!(s.totals.get(), Counts::default());
    }

    #[test]
    fn long_keys_are_kept_short() {
        let long = "k".repeat(10_000);
        assert!(bounded(&long).len() <= 33);
        assert_ne!(bounded(&long), bounded(&format!("{long}x")));
        // Cut anywhere, a multi-byte key is hashed as bytes.
        let wide = "é".repeat(100);
        assert_eq!(bounded(&wide).len(), 33);
        assert_eq!(bounded("short"), "short");
    }

    #[test]
    fn settled_writes_show_after_the_delay() {
        let t0 = Instant::now();
        let settle = Duration::from_secs(2);
        let mut st = SessionState::new(World::default(), settle);
        st.latest.seq = 1;
        st.written(t0, settle);
        assert_eq!(st.visible(t0 + Duration::from_secs(1)).seq, 0);
        st.latest.seq = 2;
        st.written(t0 + Duration::from_secs(1), settle);
        assert_eq!(st.visible(t0 + Duration::from_secs(2)).seq, 1);
        assert_eq!(st.visible(t0 + Duration::from_secs(3)).seq, 2);
    }
}
