//! Set actions: a profile's identifiers, per idType an ordered list of values.
//! Add, change one value, remove one (by policy) or all, read one key, list all.
//!
//! Values are normalized by the key's settings before they are stored or
//! compared, kept in the order written, never duplicated, and cut to the key's
//! limit by its policy: after an append, while over the limit, the policy's
//! victim goes (fifo: the oldest; lifo: the newest, so a value added at the
//! limit is dropped again).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::cx::{list_body, set_pointer, set_tokens, Cx};
use super::merge;
use super::model::{Action, Unique, ValueSet};
use super::settings::{PerKey, Settings};
use super::sim::SimOutcome;
use super::world::{Counts, Entries, Item, Items, Miss, Walk, World};

/// Read one key, or list every key.
pub(crate) fn read(cx: &Cx, world: &World) -> SimOutcome {
    let owner = match world.find(cx.model, &cx.plan.chain, &cx.keys) {
        Ok(Some(o)) => o,
        Ok(None) => return SimOutcome::error(404, "no owner"),
        Err(miss) => return cx.miss(miss),
    };
    match &cx.plan.action {
        Action::ReadEntry { set } => {
            let set = &cx.model.sets[*set];
            let key = match entry_key(cx, set, None) {
                Ok(k) => k,
                Err(e) => return e,
            };
            match owner.sets.get(set.slot).and_then(|e| e.get(&*key)) {
                Some(values) if !values.is_empty() => {
                    let mut body = entry(cx, set, &key, values);
                    if let Some(id) = cx.prepared.schema {
                        cx.fit_body(&mut body, id);
                    }
                    SimOutcome::Respond {
                        status: cx.plan.status,
                        body: Some(body),
                        location: None,
                        checked: None,
                    }
                }
                _ => SimOutcome::error(
                    404,
                    format!("{} has no {} values for {key}", owner_name(cx), set.name),
                ),
            }
        }
        Action::ListEntries { set, array } => {
            let set = &cx.model.sets[*set];
            let entries = owner
                .sets
                .get(set.slot)
                .map(|e| e.iter().map(|(k, v)| entry(cx, set, k, v)).collect())
                .unwrap_or_default();
            SimOutcome::Respond {
                status: cx.plan.status,
                body: Some(list_body(cx, array, entries)),
                location: None,
                checked: None,
            }
        }
        _ => SimOutcome::internal("not a set read"),
    }
}

/// Add, change and remove.
pub(crate) fn write(cx: &Cx, world: &mut World) -> SimOutcome {
    let result = match &cx.plan.action {
        Action::Add { set, key, value } => add(cx, world, *set, key.as_deref(), value),
        Action::Change { set, key, old, new } => change(cx, world, *set, key.as_deref(), old, new),
        Action::Remove { set, key, all } => remove(cx, world, *set, key.as_deref(), all.as_deref()),
        _ => Err(SimOutcome::internal("not a set write")),
    };
    result.unwrap_or_else(|e| e)
}

/// `{idType: key, values: [...]}`, in the set's entry fields.
fn entry(cx: &Cx, set: &ValueSet, key: &str, values: &[Box<str>]) -> Value {
    let key = Value::String(key.to_string());
    let values = Value::Array(
        values
            .iter()
            .map(|v| Value::String(v.to_string()))
            .collect(),
    );
    if let Some(shape) = &cx.prepared.entry_shape {
        let mut e = shape.clone();
        let mut fields = e.values_mut();
        if let (Some(k), Some(v)) = (fields.next(), fields.next()) {
            (*k, *v) = (key, values);
        }
        return Value::Object(e);
    }
    let mut e = Value::Object(Map::new());
    // The pointers split once at start (the set's own, should they be missing).
    match &cx.prepared.entry {
        Some((key_at, values_at)) => {
            set_tokens(&mut e, key_at, key);
            set_tokens(&mut e, values_at, values);
        }
        None => {
            set_pointer(&mut e, &set.entry_key, key);
            set_pointer(&mut e, &set.entry_values, values);
        }
    }
    e
}

fn owner_name(cx: &Cx) -> String {
    match (cx.plan.chain.last(), cx.keys.last()) {
        (Some(r), Some(k)) => format!("{} {k}", super::cx::singular(&cx.model.resources[*r].name)),
        _ => "the owner".into(),
    }
}

/// The key named by the path, checked against the body's when both name one.
fn entry_key<'a>(
    cx: &Cx<'a>,
    set: &ValueSet,
    body_key: Option<&str>,
) -> Result<Cow<'a, str>, SimOutcome> {
    let from_path = cx.path_param(&set.key);
    let from_body = body_key.map(|p| cx.body_text(p)).transpose()?;
    match (from_path, from_body) {
        (Some(p), Some(b)) if p != b => Err(SimOutcome::error(
            400,
            format!("the body names {} {b:?}, but the path names {p:?}; the path names the values changed", set.key),
        )),
        (Some(k), _) => Ok(Cow::Borrowed(k)),
        (None, Some(k)) => Ok(k),
        (None, None) => Err(SimOutcome::error(400, format!("no {} given", set.key))),
    }
}

/// Whether the owner exists (else this write makes it), and the settings
/// overrides of its scope (the store), as the request finds them.
struct Found {
    overrides: Option<PerKey>,
    exists: bool,
    /// How many items the write makes (what `find_mut` would make: the chain
    /// from its first absent item); 0 when the owner exists.
    made: usize,
    /// Where the request's chain leads, for every later step until the write.
    walk: Walk,
}

/// With the owner, when it exists, as the request found it.
fn locate<'w>(
    cx: &Cx,
    world: &'w World,
    set: &ValueSet,
    create: bool,
) -> Result<(Found, Option<&'w Item>), SimOutcome> {
    let chain = &cx.plan.chain;
    let walk = world.walk(cx.model, chain, &cx.keys);
    let (exists, made, owner) = match world.found(cx.model, chain, &walk, chain.len()) {
        Ok(owner) => (true, 0, owner),
        Err(miss @ Miss::Absent { .. }) if create => {
            let made = world.walk_would_make(cx.model, chain, &cx.keys, &walk);
            if !cx.may_make(chain.len(), made) {
                return Err(cx.miss(miss));
            }
            (false, made, None)
        }
        Err(miss) => return Err(cx.miss(miss)),
    };
    // The scope is the owner or one of its parents: the longest existing prefix
    // of the chain that reaches it holds the overrides.
    let depth = cx
        .plan
        .chain
        .iter()
        .position(|r| *r == set.scope)
        .map_or(0, |d| d + 1);
    let overrides = match world.found(cx.model, chain, &walk, depth) {
        Ok(Some(item)) => item.settings.get(set.scope_slot).cloned(),
        _ => None,
    };
    let found = Found {
        overrides,
        exists,
        made,
        walk,
    };
    Ok((found, owner))
}

fn settings_for(set: &ValueSet, found: &Found, key: &str) -> Settings {
    set.settings.resolve(key, found.overrides.as_ref())
}

fn normalized<'v>(s: &Settings, value: &'v str, field: &str) -> Result<Cow<'v, str>, SimOutcome> {
    s.normalization.form(value).map_err(|e| {
        SimOutcome::error(
            400,
            format!("{}: {e}", field.rsplit('/').next().unwrap_or(field)),
        )
    })
}

/// Siblings of the owner (its parent's items of the owner's resource).
fn siblings<'a>(cx: &Cx, world: &'a World, walk: &Walk) -> Option<&'a Items> {
    let depth = cx.plan.chain.len();
    let owner_res = *cx.plan.chain.last()?;
    let parent = world
        .found(cx.model, &cx.plan.chain, walk, depth - 1)
        .ok()?;
    world.items(cx.model, owner_res, parent)
}

/// Another live owner holding `value` under `key`, when uniqueness applies.
fn holder(
    cx: &Cx,
    world: &World,
    walk: &Walk,
    set: &ValueSet,
    s: &Settings,
    key: &str,
    value: &str,
) -> Option<String> {
    if set.unique == Unique::Owner || !s.unique {
        return None;
    }
    let me = cx.keys.last()?;
    // Every sibling is looked at: the filter passes by nearly all of them at
    // the cost of one test (it never misses a holder), the values decide.
    let bits = Item::bits(set.slot, key, value);
    siblings(cx, world, walk)?
        .iter()
        .find(|(k, i)| {
            i.may_hold(bits)
                && i.sets
                    .get(set.slot)
                    .and_then(|e| e.get(key))
                    .is_some_and(|vs| vs.iter().any(|v| v.as_ref() == value))
                && i.life == super::world::Life::Live
                && k.as_ref() != me.as_ref()
        })
        .map(|(k, _)| k.to_string())
}

fn add(
    cx: &Cx,
    world: &mut World,
    si: usize,
    body_key: Option<&str>,
    value_at: &str,
) -> Result<SimOutcome, SimOutcome> {
    let set = &cx.model.sets[si];
    let key = entry_key(cx, set, body_key)?;
    let raw = cx.body_text(value_at)?;
    let (found, owner) = locate(cx, world, set, true)?;
    let s = settings_for(set, &found, &key);
    let value = normalized(&s, &raw, value_at)?;
    let current = owner.and_then(|o| o.sets.get(set.slot));
    // The key's position and values, looked up once for the checks and the write.
    let held = current.and_then(|e| e.get_full(&*key));
    let present = held.is_some_and(|(_, _, vs)| vs.iter().any(|v| **v == *value));
    let held_at = held.map(|(at, _, _)| at);
    let keys_held = current.map_or(0, Entries::len);
    if !present && held_at.is_none() && keys_held >= set.max_keys {
        return Err(SimOutcome::error(
            400,
            format!(
                "{} already holds {keys_held} {} keys, the most the contract lists",
                owner_name(cx),
                set.name
            ),
        ));
    }
    let other = if present {
        None
    } else {
        holder(cx, world, &found.walk, set, &s, &key, &value)
    };
    if other.is_some() && set.unique == Unique::Reject {
        return Err(SimOutcome::error(
            409,
            format!(
                "{key} value {value:?} belongs to another {}",
                cx.model.resources[set.owner].name
            ),
        ));
    }
    if let Some(other) = &other {
        too_many_merged(cx, world, &found.walk, si, &key, other)?;
    }
    cx.admit(
        world.counts,
        Counts {
            items: found.made,
            values: usize::from(!present),
            bytes: 0,
        },
    )?;
    if !present {
        let owner = owner_mut(cx, world, &found.walk, !found.exists)?;
        let entries = &mut owner.sets[set.slot];
        // The key is copied only when it is new (the entries are as the
        // checks found them: nothing was written since).
        let at = match held_at {
            Some(at) => at,
            // Most keys hold one value: start at one slot, not the default four.
            None => entries.insert_full((*key).into(), Vec::with_capacity(1)).0,
        };
        let Some((_, values)) = entries.get_index_mut(at) else {
            return Err(SimOutcome::internal("a key just written is missing"));
        };
        let added = push(values, (*value).into(), &s);
        owner.note(set.slot, &key, &value);
        world.counts.values = (world.counts.values + added.0).saturating_sub(added.1);
    }
    if let Some(other) = other {
        merge_with(cx, world, &found, &other)?;
    }
    Ok(SimOutcome::accepted(cx.plan))
}

fn change(
    cx: &Cx,
    world: &mut World,
    si: usize,
    body_key: Option<&str>,
    old_at: &str,
    new_at: &str,
) -> Result<SimOutcome, SimOutcome> {
    let set = &cx.model.sets[si];
    let key = entry_key(cx, set, body_key)?;
    let (old_raw, new_raw) = (cx.body_text(old_at)?, cx.body_text(new_at)?);
    let (found, owner) = locate(cx, world, set, false)?;
    let s = settings_for(set, &found, &key);
    let new = normalized(&s, &new_raw, new_at)?;
    let Some(values) = owner
        .and_then(|o| o.sets.get(set.slot))
        .and_then(|e| e.get(&*key))
    else {
        return Err(SimOutcome::error(
            404,
            format!("{} has no {} values for {key}", owner_name(cx), set.name),
        ));
    };
    let old = s.normalization.form(&old_raw).ok();
    let Some(pos) = old
        .as_deref()
        .and_then(|o| values.iter().position(|v| v.as_ref() == o))
    else {
        return Err(SimOutcome::error(
            404,
            format!(
                "{} {old_raw:?} is not among the {key} values of {}",
                last(old_at),
                owner_name(cx)
            ),
        ));
    };
    if values.iter().any(|v| **v == *new) {
        return Err(SimOutcome::error(
            409,
            format!(
                "{} {new:?} is already among the {key} values of {}",
                last(new_at),
                owner_name(cx)
            ),
        ));
    }
    let other = holder(cx, world, &found.walk, set, &s, &key, &new);
    if other.is_some() && set.unique == Unique::Reject {
        return Err(SimOutcome::error(
            409,
            format!(
                "{key} value {new:?} belongs to another {}",
                cx.model.resources[set.owner].name
            ),
        ));
    }
    if let Some(other) = &other {
        too_many_merged(cx, world, &found.walk, si, &key, other)?;
    }
    let owner = owner_mut(cx, world, &found.walk, false)?;
    if let Some(v) = owner.sets[set.slot]
        .get_mut(&*key)
        .and_then(|vs| vs.get_mut(pos))
    {
        *v = (*new).into();
        owner.note(set.slot, &key, &new);
    }
    if let Some(other) = other {
        merge_with(cx, world, &found, &other)?;
    }
    Ok(SimOutcome::accepted(cx.plan))
}

fn remove(
    cx: &Cx,
    world: &mut World,
    si: usize,
    body_key: Option<&str>,
    all_param: Option<&str>,
) -> Result<SimOutcome, SimOutcome> {
    let set = &cx.model.sets[si];
    let key = entry_key(cx, set, body_key)?;
    let (found, _) = locate(cx, world, set, false)?;
    let s = settings_for(set, &found, &key);
    let all = all_param
        .and_then(|p| cx.query_param(p))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let owner = owner_mut(cx, world, &found.walk, false)?;
    let entries = &mut owner.sets[set.slot];
    let Some(values) = entries.get_mut(&*key).filter(|v| !v.is_empty()) else {
        return Err(SimOutcome::error(
            404,
            format!("{} has no {} values for {key}", owner_name(cx), set.name),
        ));
    };
    let removed = if all {
        values.len()
    } else {
        values.remove(s.policy.victim(values.len()));
        1
    };
    if all || values.is_empty() {
        entries.shift_remove(&*key);
    }
    world.counts.values = world.counts.values.saturating_sub(removed);
    Ok(SimOutcome::accepted(cx.plan))
}

fn last(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

fn owner_mut<'a>(
    cx: &Cx,
    world: &'a mut World,
    walk: &Walk,
    create: bool,
) -> Result<&'a mut Item, SimOutcome> {
    match world.walked_mut(cx.model, &cx.plan.chain, &cx.keys, walk, create) {
        Ok(Some(o)) => Ok(o),
        Ok(None) => Err(SimOutcome::error(404, "no owner")),
        Err(miss) => Err(cx.miss(miss)),
    }
}

/// Appends a value not present, then applies the limit; (added, dropped).
pub(crate) fn push(values: &mut Vec<Box<str>>, value: Box<str>, s: &Settings) -> (usize, usize) {
    if values.contains(&value) {
        return (0, 0);
    }
    values.push(value);
    let mut dropped = 0;
    while values.len() > s.limit.max(1) {
        values.remove(s.policy.victim(values.len()));
        dropped += 1;
    }
    (1, dropped)
}

/// Refuses an add or modify whose merge would give the merged owner more keys in a set
/// than the contract's list can show, as an add giving one owner that many is
/// refused: the merge used to drop the keys past the limit without a word.
fn too_many_merged(
    cx: &Cx,
    world: &World,
    walk: &Walk,
    added: usize,
    key: &str,
    other: &str,
) -> Result<(), SimOutcome> {
    let Some(&owner_res) = cx.plan.chain.last() else {
        return Ok(());
    };
    let me = cx.keys.last().map_or("", |k| k.as_ref());
    let Some(items) = siblings(cx, world, walk) else {
        return Ok(());
    };
    let (mine, theirs) = (items.get(me), items.get(other));
    for &si in &cx.model.resources[owner_res].sets {
        let set = &cx.model.sets[si];
        let a = mine.and_then(|i| i.sets.get(set.slot));
        let b = theirs.and_then(|i| i.sets.get(set.slot));
        let mut keys: Vec<&str> = a
            .into_iter()
            .chain(b)
            .flat_map(|e| e.keys())
            .map(|k| &**k)
            .collect();
        if si == added {
            keys.push(key);
        }
        keys.sort_unstable();
        keys.dedup();
        if keys.len() > set.max_keys {
            return Err(SimOutcome::error(
                400,
                format!(
                    "adding this value would merge {me} and {other} into one {} with {} {} keys, more than the {} the contract lists; nothing changed",
                    cx.model.resources[owner_res].name,
                    keys.len(),
                    set.name,
                    set.max_keys
                ),
            ));
        }
    }
    Ok(())
}

/// Merges the request's owner with `other`, which holds one of its values.
fn merge_with(cx: &Cx, world: &mut World, found: &Found, other: &str) -> Result<(), SimOutcome> {
    let (Some(&owner_res), Some(up)) = (cx.plan.chain.last(), cx.plan.chain.len().checked_sub(1))
    else {
        return Ok(());
    };
    let me = cx.keys.last().cloned().unwrap_or_default();
    let items = match world.find_mut(cx.model, &cx.plan.chain[..up], &cx.keys[..up], false) {
        Ok(Some(parent)) => parent.children.get_mut(cx.model.resources[owner_res].slot),
        Ok(None) => world.roots.get_mut(owner_res),
        Err(miss) => return Err(cx.miss(miss)),
    };
    let Some(items) = items else { return Ok(()) };
    let (before, after) = merge::merge(
        cx.model,
        owner_res,
        items,
        &me,
        other,
        found.overrides.as_ref(),
    );
    world.counts.sub(before);
    world.counts.add(after);
    Ok(())
}
