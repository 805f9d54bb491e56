//! Checking a model file against the contract: resources and sets here, the
//! operations in [`super::ops`]. Every problem is collected with its position.

use std::collections::HashMap;

use super::fields::{self, walk};
use super::ops::{self, Target};
use super::raw::{RawModel, RawSet};
use super::{Action, OpPlan, Resource, StateModel, Unique, ValueSet, RESERVED};
use crate::contract::{Contract, ParamIn, ValueKind};
use crate::state::error::{Errors, StateErrors};
use crate::state::settings::{self, Partial, SettingsModel, MAX_LIMIT};
use serde_saphyr::Location;

/// The most resources or sets a model may declare (models are small by nature).
const MAX_DECLARED: usize = 64;
/// Keys per owner when the contract's list gives no `maxItems`.
const DEFAULT_MAX_KEYS: usize = 1000;

pub(super) fn model(
    name: &str,
    raw: &RawModel,
    contract: &Contract,
) -> Result<StateModel, StateErrors> {
    let mut errors = Errors::new(name);
    let mut names: HashMap<&str, Target> = HashMap::new();
    let mut resources = Vec::new();
    for (rname, r) in &raw.resources {
        if declared_name(rname, &r.referenced, &names, &mut errors) {
            names.insert(rname, Target::Resource(resources.len()));
        }
        resources.push(Resource {
            name: rname.clone(),
            key: r.value.key.value.clone(),
            key_integer: false,
            key_schema: None,
            parent: None,
            field: r.value.field.as_ref().map(|f| f.value.clone()),
            implicit: r.value.implicit,
            redirect: None,
            children: Vec::new(),
            slot: 0,
            sets: Vec::new(),
            scoped: Vec::new(),
            documents: r.value.field.is_some(),
            item_schema: None,
            fill: Vec::new(),
        });
    }
    if resources.len() > MAX_DECLARED {
        errors.loc(
            &raw.operations.referenced,
            format!("more than {MAX_DECLARED} resources"),
        );
    }
    for (i, r) in raw.resources.values().enumerate() {
        if let Some(p) = &r.value.parent {
            match names.get(p.value.as_str()) {
                Some(Target::Resource(pi)) if *pi != i => resources[i].parent = Some(*pi),
                _ => errors.loc(
                    &p.referenced,
                    format!(
                        "parent `{}` is not a resource declared in `resources`",
                        p.value
                    ),
                ),
            }
        }
        if let Some(f) = &r.value.field {
            if !f.value.starts_with('/') {
                errors.loc(
                    &f.referenced,
                    format!("field `{}` must be a JSON pointer such as /id", f.value),
                );
            }
        }
        if let Some(red) = &r.value.redirect {
            for s in [&red.value.read, &red.value.write] {
                if !(300..=399).contains(&s.value) {
                    errors.loc(
                        &s.referenced,
                        format!("{} is not a redirect status (3xx)", s.value),
                    );
                }
            }
            resources[i].redirect = Some((red.value.read.value, red.value.write.value));
        }
    }
    // A parent chain that loops would never end; cut it and say so.
    for (i, r) in raw.resources.values().enumerate() {
        let mut at = i;
        for _ in 0..=resources.len() {
            match resources[at].parent {
                Some(p) => at = p,
                None => break,
            }
        }
        if resources[at].parent.is_some() {
            errors.loc(
                &r.referenced,
                format!("the parents of `{}` form a loop", resources[i].name),
            );
            resources[i].parent = None;
        }
    }

    let mut sets = Vec::new();
    for (sname, s) in &raw.sets {
        if declared_name(sname, &s.referenced, &names, &mut errors) {
            names.insert(sname, Target::Set(sets.len()));
        }
        if let Some(set) = value_set(sname, &s.value, &names, &resources, &mut errors) {
            sets.push(set);
        } else {
            names.remove(sname.as_str());
        }
    }

    let mut plans = Vec::new();
    for (op_id, r) in &raw.operations.value {
        if let Some(plan) = ops::plan(op_id, r, &names, &resources, &sets, contract, &mut errors) {
            plans.push(plan);
        }
    }
    if plans.is_empty() && errors.list.is_empty() {
        errors.loc(
            &raw.operations.referenced,
            "`operations` is empty; name at least one operation",
        );
    }
    for (ri, e) in derive(&mut resources, &mut sets, &mut plans, contract) {
        let r = &resources[ri];
        if let (Some(f), Some(raw_r)) = (&r.field, raw.resources.get(&r.name)) {
            let at = raw_r
                .value
                .field
                .as_ref()
                .map_or(raw_r.referenced, |f| f.referenced);
            errors.loc(&at, format!("field `{f}` of `{}`: {e}", r.name));
        }
    }
    for (i, (sname, s)) in raw.sets.iter().enumerate() {
        if let Some(set) = sets.iter().find(|set| &set.name == sname) {
            check_entry(
                set,
                s.value.entry.is_some(),
                &plans,
                i,
                contract,
                &s.referenced,
                &mut errors,
            );
        }
    }
    for plan in &plans {
        ops::check_statuses(
            plan,
            &resources,
            &sets,
            contract,
            &raw.operations.value,
            &mut errors,
        );
    }
    errors.finish(StateModel::assemble(resources, sets, plans, Vec::new()))
}

fn declared_name(
    name: &str,
    at: &serde_saphyr::Location,
    names: &HashMap<&str, Target>,
    errors: &mut Errors,
) -> bool {
    if RESERVED.contains(&name) {
        errors.loc(
            at,
            format!(
                "`{name}` cannot name a resource or set: it is a field of items in seeds ({})",
                RESERVED.join(", ")
            ),
        );
        false
    } else if names.contains_key(name) {
        errors.loc(
            at,
            format!("`{name}` is declared twice (resources and sets share one namespace)"),
        );
        false
    } else {
        true
    }
}

fn value_set(
    name: &str,
    raw: &RawSet,
    names: &HashMap<&str, Target>,
    resources: &[Resource],
    errors: &mut Errors,
) -> Option<ValueSet> {
    let owner = match names.get(raw.owner.value.as_str()) {
        Some(Target::Resource(i)) => *i,
        _ => {
            errors.loc(
                &raw.owner.referenced,
                format!(
                    "owner `{}` is not a resource declared in `resources`",
                    raw.owner.value
                ),
            );
            return None;
        }
    };
    let unique = match raw.unique.as_ref().map(|u| u.value.as_str()) {
        None | Some("owner") => Unique::Owner,
        Some("merge") => Unique::Merge,
        Some("reject") => Unique::Reject,
        Some(other) => {
            let at = raw
                .unique
                .as_ref()
                .map(|u| u.referenced)
                .unwrap_or(Location::UNKNOWN);
            errors.loc(
                &at,
                format!("unique `{other}` is not known; use owner, merge or reject"),
            );
            Unique::Owner
        }
    };
    if unique == Unique::Merge && resources[owner].redirect.is_none() {
        errors.loc(&raw.owner.referenced, format!(
            "`unique: merge` merges `{}` items, so `{}` needs `redirect: {{read: 301, write: 308}}` (the statuses for a merged item)",
            resources[owner].name, resources[owner].name
        ));
    }
    let mut scope = owner;
    let mut model = SettingsModel::default();
    if let Some(s) = &raw.settings {
        if let Some(sc) = &s.value.scope {
            let mut lineage = Vec::new();
            let mut at = Some(owner);
            while let Some(r) = at.filter(|_| lineage.len() <= resources.len()) {
                lineage.push(r);
                at = resources[r].parent;
            }
            match lineage.iter().find(|r| resources[**r].name == sc.value) {
                Some(r) => scope = *r,
                None => errors.loc(
                    &sc.referenced,
                    format!(
                        "scope `{}` must be the owner `{}` or one of its parents",
                        sc.value, resources[owner].name
                    ),
                ),
            }
        }
        if let Some(d) = &s.value.default {
            model.default = Partial::read(d, errors).over(model.default);
        }
        if let Some(k) = &s.value.keys {
            model.keys = settings::read_per_key(k, errors);
        }
    }
    Some(ValueSet {
        name: name.to_string(),
        owner,
        key: raw.key.value.clone(),
        key_schema: None,
        entry_key: raw.entry.as_ref().map_or_else(
            || format!("/{}", raw.key.value),
            |e| e.value.key.value.clone(),
        ),
        entry_values: raw
            .entry
            .as_ref()
            .map_or_else(|| "/values".to_string(), |e| e.value.values.value.clone()),
        unique,
        scope,
        settings: model,
        slot: 0,
        scope_slot: 0,
        max_keys: DEFAULT_MAX_KEYS,
        max_values: MAX_LIMIT,
    })
}

/// Fills what follows from the operations: key schemas, which resources carry
/// documents and their schemas, whether bodies are items, and set limits.
/// Returns, per resource, what is wrong with its `field`.
fn derive(
    resources: &mut [Resource],
    sets: &mut [ValueSet],
    plans: &mut [OpPlan],
    contract: &Contract,
) -> Vec<(usize, String)> {
    let mut field_errors = Vec::new();
    for plan in plans.iter() {
        let op = contract.op(plan.op_index);
        let mut keyed: Vec<(usize, bool)> = plan.chain.iter().map(|r| (*r, true)).collect();
        if let Some(set) = ops::set_of(&plan.action) {
            keyed.push((set, false));
        }
        for (i, is_res) in keyed {
            let key = if is_res {
                &resources[i].key
            } else {
                &sets[i].key
            };
            if let Some(p) = op.params_in(ParamIn::Path).find(|p| &p.name == key) {
                if is_res && resources[i].key_schema.is_none() {
                    resources[i].key_schema = p.schema;
                    resources[i].key_integer = p.kind == ValueKind::Integer;
                } else if !is_res && sets[i].key_schema.is_none() {
                    sets[i].key_schema = p.schema;
                }
            }
        }
    }
    let doc = &contract.document;
    for (ri, r) in resources.iter_mut().enumerate() {
        let on_r = |a: &Action| ops::resource_of(a) == Some(ri);
        let read = plans
            .iter()
            .find(|p| matches!(p.action, Action::Read { res } if res == ri));
        let list = plans
            .iter()
            .find(|p| matches!(p.action, Action::List { res, .. } if res == ri));
        let create = plans
            .iter()
            .find(|p| matches!(p.action, Action::Create { res, .. } if res == ri));
        // What a read answers, else what a create answers or takes: the first
        // that has the key field, when there is one.
        let candidates: Vec<_> = [
            read.and_then(|p| fields::response_schema(contract.op(p.op_index), p.status)),
            create.and_then(|p| fields::response_schema(contract.op(p.op_index), p.status)),
            create.and_then(|p| fields::request_schema(contract.op(p.op_index))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let has_field = |s: &crate::contract::SchemaId| {
            r.field.as_ref().is_none_or(|f| {
                !fields::declarations(doc, fields::source(contract, *s), f).is_empty()
            })
        };
        r.item_schema = candidates
            .iter()
            .copied()
            .find(has_field)
            .or_else(|| candidates.first().copied());
        // A key no path shows (created, never read): its field says its type,
        // in any declaration `allOf` combines (each must be met).
        if let (None, Some(f), Some(s)) = (r.key_schema, &r.field, r.item_schema) {
            r.key_integer = fields::declarations(doc, fields::source(contract, s), f)
                .into_iter()
                .any(|d| fields::type_of(doc, d) == Some("integer"));
        }
        // The key field must be in some schema of the item (a list's items count).
        let mut shapes: Vec<&serde_json::Value> = candidates
            .iter()
            .map(|s| fields::source(contract, *s))
            .collect();
        if let Some(p) = list {
            if let (Action::List { array, .. }, Some(s)) = (
                &p.action,
                fields::response_schema(contract.op(p.op_index), p.status),
            ) {
                let items = walk(doc, fields::source(contract, s), &format!("{array}/0"));
                shapes.extend(items.ok().flatten());
            }
        }
        if let (Some(f), Some(first)) = (&r.field, shapes.first()) {
            // (Declared in any `allOf` member on the way, not only the first.)
            if !shapes
                .iter()
                .any(|s| !fields::declarations(doc, s, f).is_empty())
            {
                if let Err(e) = walk(doc, first, f) {
                    field_errors.push((ri, e));
                }
            }
        }
        r.documents |= plans
            .iter()
            .any(|p| on_r(&p.action) && !matches!(p.action, Action::Delete { .. }));
        for p in plans.iter_mut().filter(|p| on_r(&p.action)) {
            let op = contract.op(p.op_index);
            let Some(s) = fields::response_schema(op, p.status) else {
                continue;
            };
            let src = fields::source(contract, s);
            p.item_body = match &p.action {
                Action::Read { .. } => true,
                Action::List { .. } => false,
                _ => match &r.field {
                    Some(f) => !fields::declarations(doc, src, f).is_empty(),
                    None => Some(s) == r.item_schema,
                },
            };
            if p.item_body {
                r.fill.push(src.clone());
            }
            if let Action::List { array, .. } = &p.action {
                if let Ok(Some(items)) = walk(doc, src, &format!("{array}/0")) {
                    r.fill.push(items.clone());
                }
            }
        }
    }
    for (si, set) in sets.iter_mut().enumerate() {
        for p in plans.iter() {
            let entry = match &p.action {
                Action::ListEntries { set: s, array } if *s == si => format!("{array}/0"),
                Action::ReadEntry { set: s } if *s == si => String::new(),
                _ => continue,
            };
            let op = contract.op(p.op_index);
            let Some(sid) = fields::response_schema(op, p.status) else {
                continue;
            };
            let src = fields::source(contract, sid);
            if let Action::ListEntries { array, .. } = &p.action {
                if let Some(m) = walk(doc, src, array)
                    .ok()
                    .flatten()
                    .and_then(|a| fields::max_items(doc, a))
                {
                    set.max_keys = set.max_keys.min(m);
                }
            }
            let values = format!("{entry}{}", set.entry_values);
            if let Some(m) = walk(doc, src, &values)
                .ok()
                .flatten()
                .and_then(|a| fields::max_items(doc, a))
            {
                set.max_values = set.max_values.min(m);
            }
        }
    }
    field_errors
}

/// The entry fields of a set must exist where its read and list answer them, and
/// no limit may keep more values than the contract's arrays hold.
fn check_entry(
    set: &ValueSet,
    given: bool,
    plans: &[OpPlan],
    set_index: usize,
    contract: &Contract,
    at: &serde_saphyr::Location,
    errors: &mut Errors,
) {
    let doc = &contract.document;
    let limits = set
        .settings
        .keys
        .iter()
        .filter_map(|(k, s)| s.limit.map(|l| (k.to_string(), l)));
    for (key, limit) in limits.chain([("default".to_string(), set.settings.default.limit)]) {
        if limit > set.max_values {
            errors.loc(at, format!(
                "set `{}`: the {key} limit {limit} keeps more values than the contract's entries hold ({})",
                set.name, set.max_values
            ));
        }
    }
    for p in plans {
        let (entry_at, op) = match &p.action {
            Action::ReadEntry { set: s } if *s == set_index => {
                (String::new(), contract.op(p.op_index))
            }
            Action::ListEntries { set: s, array } if *s == set_index => {
                (format!("{array}/0"), contract.op(p.op_index))
            }
            _ => continue,
        };
        let Some(sid) = fields::response_schema(op, p.status) else {
            errors.loc(
                at,
                format!(
                    "set `{}`: {} answers {} without a JSON body to put entries in",
                    set.name, p.op_id, p.status
                ),
            );
            continue;
        };
        let src = fields::source(contract, sid);
        let Ok(Some(entry)) = walk(doc, src, &entry_at) else {
            continue;
        };
        for (what, ptr) in [("key", &set.entry_key), ("values", &set.entry_values)] {
            if let Err(e) = walk(doc, entry, ptr) {
                let hint = if given {
                    ""
                } else {
                    "; name the fields with `entry: {key: /..., values: /...}`"
                };
                errors.loc(
                    at,
                    format!(
                        "set `{}`: entry {what} `{ptr}` in the {} response: {e}{hint}",
                        set.name, p.op_id
                    ),
                );
            }
        }
    }
}
