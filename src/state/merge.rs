//! Identity resolution: two owners (profiles) holding one unique value merge.
//!
//! The older owner, the one written first, is canonical: it absorbs the newer
//! one's values (appended in order, never duplicated, limits applied) and the
//! newer one becomes a pointer to it, so later requests naming it are redirected.
//! Pointers may chain (A into B into C); requests follow them to the live end.

use super::model::StateModel;
use super::sets::push;
use super::settings::PerKey;
use super::world::{Counts, Entries, Item, Items, Life};

/// Merges owners `a` and `b` (live siblings in `items`). The absorbed owner's
/// children, if its resource has any, go with it (Memory's profiles have none).
/// Returns what the two counted for before and after, for the session's counts.
pub(crate) fn merge(
    model: &StateModel,
    res: usize,
    items: &mut Items,
    a: &str,
    b: &str,
    overrides: Option<&PerKey>,
) -> (Counts, Counts) {
    let (Some(ia), Some(ib)) = (items.get_index_of(a), items.get_index_of(b)) else {
        return Default::default();
    };
    if ia == ib {
        return Default::default();
    }
    let (keep, gone) = if ia < ib { (ia, ib) } else { (ib, ia) };
    let both = |items: &Items| {
        let mut c = Counts::default();
        for i in [keep, gone] {
            if let Some((_, item)) = items.get_index(i) {
                c.add(item.counts());
            }
        }
        c
    };
    let before = both(items);
    let Some(keep_key) = items.get_index(keep).map(|(k, _)| k.clone()) else {
        return Default::default();
    };
    let sets = match items.get_index_mut(gone) {
        Some((_, item)) => {
            let sets = std::mem::take(&mut item.sets);
            item.sets = vec![Default::default(); sets.len()];
            item.bury(Life::MergedInto(keep_key));
            sets
        }
        None => return Default::default(),
    };
    if let Some((_, canonical)) = items.get_index_mut(keep) {
        absorb(model, res, canonical, sets, overrides);
        // Its values are worked out again on its next set write.
        canonical.filter = Item::UNKNOWN;
    }
    (before, both(items))
}

/// Appends the absorbed owner's values to the canonical owner's, set by set.
fn absorb(
    model: &StateModel,
    res: usize,
    canonical: &mut Item,
    sets: Vec<Entries>,
    overrides: Option<&PerKey>,
) {
    for (slot, entries) in sets.into_iter().enumerate() {
        let Some(set) = model.resources[res].sets.get(slot).map(|s| &model.sets[*s]) else {
            continue;
        };
        let Some(target) = canonical.sets.get_mut(slot) else {
            continue;
        };
        for (key, values) in entries {
            if !target.contains_key(&key) && target.len() >= set.max_keys {
                continue; // the contract's list cannot show more keys
            }
            let s = set.settings.resolve(&key, overrides);
            let list = target.entry(key).or_default();
            for v in values {
                push(list, v, &s);
            }
        }
        target.retain(|_, v| !v.is_empty());
    }
}
