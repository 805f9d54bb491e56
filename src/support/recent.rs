//! The last few values made from a key, kept per thread by its user: a test
//! client sends the same credentials on every request, and what is derived
//! from them (a decoding, a matcher) is then made once, not per request. At
//! most `N` entries; the oldest is replaced.

use std::borrow::Borrow;

/// Up to `N` keys with their values, replaced in turn.
pub(crate) struct Recent<K, V, const N: usize> {
    next: usize,
    slots: Vec<(K, V)>,
}

impl<K, V: Clone, const N: usize> Recent<K, V, N> {
    pub(crate) const fn new() -> Self {
        Recent {
            next: 0,
            slots: Vec::new(),
        }
    }

    /// The value kept for `key`, else `make()`'s, kept.
    pub(crate) fn get_or_make<Q>(&mut self, key: &Q, make: impl FnOnce() -> V) -> V
    where
        K: Borrow<Q>,
        Q: PartialEq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some((_, v)) = self.slots.iter().find(|(k, _)| k.borrow() == key) {
            return v.clone();
        }
        let made = make();
        self.keep(key.to_owned(), made.clone());
        made
    }

    /// The value kept under the first key `is` says yes to (a key compared
    /// in parts, without building one to look up).
    pub(crate) fn find(&self, is: impl Fn(&K) -> bool) -> Option<&V> {
        self.slots.iter().find(|(k, _)| is(k)).map(|(_, v)| v)
    }

    /// Keeps `value` under `key` (the caller has looked it up first).
    pub(crate) fn keep(&mut self, key: K, value: V) {
        let slot = (key, value);
        if self.slots.len() < N {
            self.slots.push(slot);
        } else {
            self.slots[self.next] = slot;
            self.next = (self.next + 1) % N;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn keeps_at_most_n_and_replaces_the_oldest() {
        let mut r: Recent<String, usize, 2> = Recent::new();
        let mut made = 0;
        let mut get = |r: &mut Recent<String, usize, 2>, k: &str| {
            r.get_or_make(k, || {
                made += 1;
                made
            })
        };
        assert_eq!(get(&mut r, "a"), 1);
        assert_eq!(get(&mut r, "a"), 1); // kept
        assert_eq!(get(&mut r, "b"), 2);
        assert_eq!(get(&mut r, "c"), 3); // replaces "a"
        assert_eq!(r.slots.len(), 2);
        assert_eq!(get(&mut r, "a"), 4); // made again
    }
}
