//! One session's data, and the way requests find their items in it.
//!
//! The data mirrors the model: each item holds its children's items, its sets'
//! entries and its settings overrides, in vectors parallel to the resource's
//! `children`, `sets` and `scoped` lists, so nothing is looked up by name at
//! request time. Maps keep insertion order: lists answer in creation order, and
//! "the older profile" of a merge is the one written first.

use indexmap::IndexMap;
use serde_json::Value;

use super::cx::Key;
use super::model::StateModel;
use super::settings::PerKey;

/// How the state's maps hash their keys: foldhash, seeded per process (about a
/// fifth of a stateful request's instructions went to SipHash).
pub(crate) type Hasher = foldhash::fast::RandomState;
/// Items of one resource, by key, in creation order.
pub(crate) type Items = IndexMap<Box<str>, Item, Hasher>;
/// A set's entries in one item: key to values, in creation order.
pub(crate) type Entries = IndexMap<Box<str>, Vec<Box<str>>, Hasher>;

/// Where an item is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Life {
    Live,
    /// Deleted, remembered so that a later request is 404 rather than a rebirth
    /// (implicit resources only; others are simply removed).
    Deleted,
    /// Merged into the sibling with this key.
    MergedInto(Box<str>),
}

/// One item.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) life: Life,
    /// The document, for resources that carry one.
    pub(crate) data: Option<Box<Value>>,
    /// Parallel to the resource's `children`.
    pub(crate) children: Vec<Items>,
    /// Parallel to the resource's `sets`.
    pub(crate) sets: Vec<Entries>,
    /// Parallel to the resource's `scoped`.
    pub(crate) settings: Vec<PerKey>,
    /// Bits of every value its sets hold (see [`Item::note`]), so that the
    /// search for another holder of a value passes most siblings by one test;
    /// [`Item::UNKNOWN`] (every bit) until a set write works them out.
    pub(crate) filter: u64,
}

impl Item {
    /// An empty live item of resource `res`.
    pub(crate) fn new(model: &StateModel, res: usize) -> Item {
        let r = &model.resources[res];
        Item {
            life: Life::Live,
            data: None,
            children: vec![Items::default(); r.children.len()],
            sets: vec![Entries::default(); r.sets.len()],
            settings: vec![PerKey::default(); r.scoped.len()],
            filter: Item::UNKNOWN,
        }
    }

    /// A filter that lets every value through: what its values are is not known.
    pub(crate) const UNKNOWN: u64 = u64::MAX;

    /// Owners holding more values than this are not worked out (every bit).
    const FILTERED: usize = 64;

    /// The filter bits of `value` under `key` in set `slot`: two of 64.
    pub(crate) fn bits(slot: usize, key: &str, value: &str) -> u64 {
        use std::hash::BuildHasher;
        // A fixed seed: the bits of a value must not change while it is held.
        let h = foldhash::fast::FixedState::default().hash_one((slot, key, value));
        (1 << (h >> 58)) | (1 << ((h >> 52) & 63))
    }

    /// Whether the item may hold `bits` (false: it surely does not).
    pub(crate) fn may_hold(&self, bits: u64) -> bool {
        self.filter & bits == bits
    }

    /// Records that set `slot` now holds `value` under `key`. Values are only
    /// ever added to the filter (one removed leaves its bits: a superset is all
    /// the search needs); an unknown filter is worked out from the values.
    pub(crate) fn note(&mut self, slot: usize, key: &str, value: &str) {
        if self.filter != Item::UNKNOWN {
            self.filter |= Item::bits(slot, key, value);
            return;
        }
        let held: usize = self
            .sets
            .iter()
            .flat_map(|e| e.values())
            .map(Vec::len)
            .sum();
        if held > Item::FILTERED {
            return;
        }
        let mut filter = 0;
        for (slot, entries) in self.sets.iter().enumerate() {
            for (key, values) in entries {
                for v in values {
                    filter |= Item::bits(slot, key, v);
                }
            }
        }
        self.filter = filter;
    }

    /// What this item and everything under it counts for.
    pub(crate) fn counts(&self) -> Counts {
        let mut c = Counts {
            items: 1,
            values: self
                .sets
                .iter()
                .flat_map(|e| e.values())
                .map(Vec::len)
                .sum(),
            bytes: self.data.as_deref().map_or(0, json_size),
        };
        for items in &self.children {
            for child in items.values() {
                c.add(child.counts());
            }
        }
        c
    }

    /// Makes this item a tombstone, dropping what it held.
    pub(crate) fn bury(&mut self, life: Life) {
        self.life = life;
        self.data = None;
        self.children.iter_mut().for_each(Items::clear);
        self.sets.iter_mut().for_each(Entries::clear);
        self.settings.iter_mut().for_each(PerKey::clear);
    }
}

/// What a session holds, kept up to date on every change so limits cost nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Items, tombstones included.
    pub(crate) items: usize,
    /// Set values.
    pub(crate) values: usize,
    /// Approximate size of the documents.
    pub(crate) bytes: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, o: Counts) {
        self.items += o.items;
        self.values += o.values;
        self.bytes += o.bytes;
    }

    pub(crate) fn sub(&mut self, o: Counts) {
        self.items = self.items.saturating_sub(o.items);
        self.values = self.values.saturating_sub(o.values);
        self.bytes = self.bytes.saturating_sub(o.bytes);
    }
}

/// The size a document is counted for: its text length, roughly.
pub(crate) fn json_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(a) => 2 + a.iter().map(json_size).sum::<usize>(),
        Value::Object(m) => {
            2 + m
                .iter()
                .map(|(k, v)| k.len() + 3 + json_size(v))
                .sum::<usize>()
        }
    }
}

/// One session's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct World {
    /// Items of each resource without a parent, indexed by resource (others empty).
    pub(crate) roots: Vec<Items>,
    pub(crate) counts: Counts,
    /// Advances with every generated key, so generated keys differ.
    pub(crate) seq: u64,
}

/// Where a chain leads in a world, found once for everything a request reads
/// and writes along it: the position of each live item in its map, root first,
/// as far as the chain leads, and why it stops short. Valid while the world is
/// unchanged.
#[derive(Debug)]
pub(crate) struct Walk {
    at: Vec<usize>,
    /// Why the chain stops at `at.len()` levels (`None`: it reaches the end).
    miss: Option<Miss>,
    /// The stop is an item missing from its map (one `find_mut` may make).
    makeable: bool,
}

impl Walk {
    fn stopped(at: Vec<usize>, miss: Miss, makeable: bool) -> Walk {
        Walk {
            at,
            miss: Some(miss),
            makeable,
        }
    }
}

/// Why a path does not lead to a live item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Miss {
    /// Never written (or removed).
    Absent { res: usize, key: String },
    /// Deleted; a tombstone remains.
    Deleted { res: usize, key: String },
    /// Merged: answer with a redirect to the live canonical item.
    Merged { res: usize, canonical: String },
}

impl World {
    pub(crate) fn new(model: &StateModel) -> World {
        World {
            roots: vec![Items::default(); model.resources.len()],
            counts: Counts::default(),
            seq: 0,
        }
    }

    /// The items of resource `res` under `parent` (None for a root resource).
    pub(crate) fn items<'a>(
        &'a self,
        model: &StateModel,
        res: usize,
        parent: Option<&'a Item>,
    ) -> Option<&'a Items> {
        match parent {
            None => self.roots.get(res),
            Some(p) => p.children.get(model.resources[res].slot),
        }
    }

    /// The live item at the end of `chain` (resources root first, `keys` parallel).
    pub(crate) fn find(
        &self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
    ) -> Result<Option<&Item>, Miss> {
        let mut at: Option<&Item> = None;
        for (res, key) in chain.iter().zip(keys) {
            let items = self
                .items(model, *res, at)
                .ok_or_else(|| absent(*res, key))?;
            at = Some(live(items, *res, key)?);
        }
        Ok(at)
    }

    /// Like [`World::find`], for changing the item; `create` makes missing items
    /// of implicit resources (the caller has checked the limits).
    pub(crate) fn find_mut(
        &mut self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
        create: bool,
    ) -> Result<Option<&mut Item>, Miss> {
        // Judge with shared borrows first: below the first item to be made,
        // everything is made.
        let mut at: Option<&Item> = None;
        for (res, key) in chain.iter().zip(keys) {
            let items = self
                .items(model, *res, at)
                .ok_or_else(|| absent(*res, key))?;
            let item = items.get(key.as_ref());
            if create && model.resources[*res].implicit && item.is_none() {
                break;
            }
            at = Some(live_of(item, items, *res, key)?);
        }
        self.descend(model, chain, keys, &[])
    }

    /// Where `chain` leads, one lookup per level (see [`Walk`]).
    pub(crate) fn walk(&self, model: &StateModel, chain: &[usize], keys: &[Key<'_>]) -> Walk {
        let mut at = Vec::with_capacity(chain.len());
        let mut parent: Option<&Item> = None;
        for (res, key) in chain.iter().zip(keys) {
            let Some(items) = self.items(model, *res, parent) else {
                return Walk::stopped(at, absent(*res, key), false);
            };
            let Some((i, _, item)) = items.get_full(key.as_ref()) else {
                return Walk::stopped(at, absent(*res, key), true);
            };
            if let Err(miss) = live_of(Some(item), items, *res, key) {
                return Walk::stopped(at, miss, false);
            }
            at.push(i);
            parent = Some(item);
        }
        Walk {
            at,
            miss: None,
            makeable: false,
        }
    }

    /// The item `walk` found `depth` levels down (`None` at depth 0), or why
    /// there is none: [`World::find`] of the chain's first `depth` levels.
    pub(crate) fn found(
        &self,
        model: &StateModel,
        chain: &[usize],
        walk: &Walk,
        depth: usize,
    ) -> Result<Option<&Item>, Miss> {
        if let Some(miss) = walk.miss.as_ref().filter(|_| depth > walk.at.len()) {
            return Err(miss.clone());
        }
        let mut at: Option<&Item> = None;
        for (res, i) in chain.iter().zip(&walk.at).take(depth) {
            let item = self
                .items(model, *res, at)
                .and_then(|m| m.get_index(*i))
                .map(|(_, item)| item);
            at = Some(item.ok_or_else(|| absent(*res, ""))?);
        }
        Ok(at)
    }

    /// [`World::find_mut`] by the positions `walk` found (the world unchanged
    /// since): no key is looked up again, only missing items are.
    pub(crate) fn walked_mut(
        &mut self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
        walk: &Walk,
        create: bool,
    ) -> Result<Option<&mut Item>, Miss> {
        if let Some(miss) = &walk.miss {
            // As find_mut judges: the first missing item may be made when its
            // resource is implicit, and then everything below it is.
            let implicit = chain
                .get(walk.at.len())
                .is_some_and(|r| model.resources[*r].implicit);
            if !(create && walk.makeable && implicit) {
                return Err(miss.clone());
            }
        }
        self.descend(model, chain, keys, &walk.at)
    }

    /// Down the chain from its root, making what is missing (the callers have
    /// judged it may be made): each level's position is `known`'s when a walk
    /// found it, else looked up, else the new item's.
    fn descend(
        &mut self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
        known: &[usize],
    ) -> Result<Option<&mut Item>, Miss> {
        let (Some(first), true) = (chain.first(), chain.len() == keys.len()) else {
            return Ok(None);
        };
        let counts = &mut self.counts;
        let mut items = self
            .roots
            .get_mut(*first)
            .ok_or_else(|| absent(*first, ""))?;
        for (i, (res, key)) in chain.iter().zip(keys).enumerate() {
            // One lookup per level at most: the walk's, the map's, else the new item's.
            let at = match known
                .get(i)
                .copied()
                .or_else(|| items.get_index_of(key.as_ref()))
            {
                Some(at) => at,
                None => {
                    counts.items += 1;
                    items
                        .insert_full(key.as_ref().into(), Item::new(model, *res))
                        .0
                }
            };
            let (_, item) = items.get_index_mut(at).ok_or_else(|| absent(*res, key))?;
            match chain.get(i + 1) {
                None => return Ok(Some(item)),
                Some(next) => {
                    items = item
                        .children
                        .get_mut(model.resources[*next].slot)
                        .ok_or_else(|| absent(*next, key))?;
                }
            }
        }
        Ok(None)
    }

    /// [`World::would_make`] with `walk` known: the walk's count when it stopped
    /// at a key missing from its map, else the full count (a merged item whose
    /// merges reach no live item stops the walk, yet exists in its map).
    pub(crate) fn walk_would_make(
        &self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
        walk: &Walk,
    ) -> usize {
        match (&walk.miss, walk.makeable) {
            (None, _) => 0,
            (Some(_), true) => chain.len() - walk.at.len(),
            (Some(_), false) => self.would_make(model, chain, keys),
        }
    }

    /// How many items a `find_mut(.., create: true)` would make.
    pub(crate) fn would_make(
        &self,
        model: &StateModel,
        chain: &[usize],
        keys: &[Key<'_>],
    ) -> usize {
        let mut at: Option<&Item> = None;
        for (i, (res, key)) in chain.iter().zip(keys).enumerate() {
            match self
                .items(model, *res, at)
                .and_then(|m| m.get(key.as_ref()))
            {
                Some(item) => at = Some(item),
                None => return chain.len() - i,
            }
        }
        0
    }

    /// Counts everything again (tests check the running counts against this).
    pub(crate) fn recount(&self) -> Counts {
        let mut c = Counts::default();
        for items in &self.roots {
            for item in items.values() {
                c.add(item.counts());
            }
        }
        c
    }
}

fn absent(res: usize, key: &str) -> Miss {
    Miss::Absent {
        res,
        key: key.to_string(),
    }
}

/// The live item `key` of `items`, or why not.
fn live<'a>(items: &'a Items, res: usize, key: &str) -> Result<&'a Item, Miss> {
    live_of(items.get(key), items, res, key)
}

/// [`live`] for the item already looked up (`item`, `key`'s in `items`).
fn live_of<'a>(
    item: Option<&'a Item>,
    items: &'a Items,
    res: usize,
    key: &str,
) -> Result<&'a Item, Miss> {
    let item = item.ok_or_else(|| absent(res, key))?;
    match &item.life {
        Life::Live => Ok(item),
        Life::Deleted => Err(Miss::Deleted {
            res,
            key: key.to_string(),
        }),
        Life::MergedInto(_) => match canonical(items, key) {
            Some(c) => Err(Miss::Merged {
                res,
                canonical: c.to_string(),
            }),
            None => Err(absent(res, key)),
        },
    }
}

/// Follows `MergedInto` links to the live item they end at. Links form no loops
/// (a merge always points at a live item, and seeds are checked), but the walk
/// is bounded by the number of items all the same.
pub(crate) fn canonical<'a>(items: &'a Items, key: &'a str) -> Option<&'a str> {
    let mut at = key;
    for _ in 0..=items.len() {
        match &items.get(at)?.life {
            Life::Live => return Some(at),
            Life::Deleted => return None,
            Life::MergedInto(next) => at = next,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every store/profile chain over a world with live, deleted, merged and
    /// absent items: the walk answers as find, find_mut and would_make do.
    #[test]
    fn a_walk_answers_as_the_lookups_do() {
        let (_, model) = crate::state::tests::memory();
        let store = model
            .resources
            .iter()
            .position(|r| r.parent.is_none())
            .unwrap();
        let profile = model
            .resources
            .iter()
            .position(|r| r.parent == Some(store))
            .unwrap();
        let chain = [store, profile];
        let mut world = World::new(&model);
        let mut s = Item::new(&model, store);
        let slot = model.resources[profile].slot;
        for (key, life) in [
            ("live", Life::Live),
            ("gone", Life::Deleted),
            ("merged", Life::MergedInto("live".into())),
            ("orphan", Life::MergedInto("gone".into())),
        ] {
            let mut p = Item::new(&model, profile);
            p.life = life;
            s.children[slot].insert(key.into(), p);
        }
        world.roots[store].insert("s".into(), s);
        let mut dead = Item::new(&model, store);
        dead.life = Life::Deleted;
        world.roots[store].insert("dead".into(), dead);
        for s in ["s", "dead", "none"] {
            for p in ["live", "gone", "merged", "orphan", "none"] {
                let keys = [Key::from(s), Key::from(p)];
                let walk = world.walk(&model, &chain, &keys);
                for depth in 0..=2 {
                    let found = world.found(&model, &chain, &walk, depth);
                    let find = world.find(&model, &chain[..depth], &keys[..depth]);
                    assert_eq!(
                        found.map(|o| o.map(|i| i as *const Item)),
                        find.map(|o| o.map(|i| i as *const Item)),
                        "{s}/{p} at {depth}"
                    );
                }
                assert_eq!(
                    world.walk_would_make(&model, &chain, &keys, &walk),
                    world.would_make(&model, &chain, &keys),
                    "{s}/{p}"
                );
                for create in [false, true] {
                    let mut a = world.clone();
                    let mut b = world.clone();
                    let walked = a
                        .walked_mut(&model, &chain, &keys, &walk, create)
                        .map(|o| o.map(|i| i.life.clone()));
                    let found = b
                        .find_mut(&model, &chain, &keys, create)
                        .map(|o| o.map(|i| i.life.clone()));
                    assert_eq!(walked, found, "{s}/{p} create {create}");
                    assert_eq!(a.counts, b.counts);
                    assert_eq!(
                        format!("{:?}", a.roots),
                        format!("{:?}", b.roots),
                        "{s}/{p} create {create}"
                    );
                }
            }
        }
    }
}

/// Heap and inline bytes a session's data takes, estimated from capacities with
/// glibc's allocation sizes (16-byte steps, an 8-byte header, 32 at least).
#[cfg(test)]
pub(crate) mod size {
    use std::mem::size_of;

    use super::{Entries, Item, Items, World};

    fn alloc(n: usize) -> usize {
        if n == 0 {
            0
        } else {
            ((n + 8 + 15) & !15).max(32)
        }
    }

    /// An index map: its entries (hash, key, value) and its index table.
    fn map<K, V>(capacity: usize) -> usize {
        alloc(capacity * (8 + size_of::<K>() + size_of::<V>())) + alloc(capacity * 9)
    }

    fn entries(e: &Entries) -> usize {
        map::<Box<str>, Vec<Box<str>>>(e.capacity())
            + e.iter()
                .map(|(k, vs)| {
                    alloc(k.len())
                        + alloc(vs.capacity() * size_of::<Box<str>>())
                        + vs.iter().map(|v| alloc(v.len())).sum::<usize>()
                })
                .sum::<usize>()
    }

    fn item(i: &Item) -> usize {
        alloc(i.children.capacity() * size_of::<Items>())
            + alloc(i.sets.capacity() * size_of::<Entries>())
            + alloc(i.settings.capacity() * size_of::<crate::state::settings::PerKey>())
            + i.children.iter().map(items).sum::<usize>()
            + i.sets.iter().map(entries).sum::<usize>()
    }

    fn items(m: &Items) -> usize {
        map::<Box<str>, Item>(m.capacity())
            + m.iter()
                .map(|(k, i)| alloc(k.len()) + item(i))
                .sum::<usize>()
    }

    pub(crate) fn world(w: &World) -> usize {
        size_of::<World>() + w.roots.iter().map(items).sum::<usize>()
    }
}
