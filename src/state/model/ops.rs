//! Checking the `operations` of a model: each names a contract operation, one
//! action on a declared resource or set, and options that exist in the contract
//! (path and query parameters, body fields, documented statuses).

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_saphyr::{Location, Spanned};

use super::fields::{self, walk};
use super::raw::RawOp;
use super::{Action, OpPlan, Resource, Unique, ValueSet};
use crate::contract::{Contract, Operation, ParamIn};
use crate::state::error::Errors;

/// What a name in the model refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Resource(usize),
    Set(usize),
}

/// The resource an action works on, if it works on one.
pub(crate) fn resource_of(a: &Action) -> Option<usize> {
    match a {
        Action::Create { res, .. }
        | Action::Read { res }
        | Action::List { res, .. }
        | Action::Replace { res }
        | Action::Merge { res }
        | Action::Delete { res, .. } => Some(*res),
        _ => None,
    }
}

/// The set an action works on, if it works on one.
pub(crate) fn set_of(a: &Action) -> Option<usize> {
    match a {
        Action::Add { set, .. }
        | Action::Change { set, .. }
        | Action::Remove { set, .. }
        | Action::ReadEntry { set }
        | Action::ListEntries { set, .. } => Some(*set),
        _ => None,
    }
}

/// The resources from the root down to `res`, bounded by the number declared.
pub(crate) fn lineage(resources: &[Resource], res: usize) -> Vec<usize> {
    let mut out = vec![res];
    let mut at = res;
    while let Some(p) = resources[at]
        .parent
        .filter(|_| out.len() <= resources.len())
    {
        out.push(p);
        at = p;
    }
    out.reverse();
    out
}

pub(super) fn plan(
    op_id: &str,
    r: &Spanned<RawOp>,
    names: &HashMap<&str, Target>,
    resources: &[Resource],
    sets: &[ValueSet],
    contract: &Contract,
    errors: &mut Errors,
) -> Option<OpPlan> {
    let at = &r.referenced;
    let raw = &r.value;
    let Some(op) = contract.operation_named(op_id) else {
        errors.loc(
            at,
            format!(
                "operation `{op_id}` is not in the contract (its operationIds: {})",
                op_ids(contract)
            ),
        );
        return None;
    };
    let (verb, target) = match raw.actions().as_slice() {
        [one] => *one,
        [] => {
            errors.loc(at, format!("{op_id} names no action; give one of create, read, list, replace, merge, delete (resources) or add, change, remove, read, list (sets)"));
            return None;
        }
        many => {
            let verbs: Vec<&str> = many.iter().map(|(v, _)| *v).collect();
            errors.loc(
                at,
                format!(
                    "{op_id} names several actions ({}); give one",
                    verbs.join(", ")
                ),
            );
            return None;
        }
    };
    let Some(t) = names.get(target.value.as_str()).copied() else {
        errors.loc(
            &target.referenced,
            format!("`{}` is not a declared resource or set", target.value),
        );
        return None;
    };
    let before = errors.list.len();
    let body_ptr = |p: &Option<Spanned<String>>, errors: &mut Errors| -> Option<String> {
        let p = p.as_ref()?;
        body_field(op, p, contract, errors);
        Some(p.value.clone())
    };
    let action = match (verb, t) {
        ("create", Target::Resource(res)) => Action::Create {
            res,
            client_keys: resources[res].field.as_ref().is_some_and(|f| {
                fields::request_schema(op).is_some_and(|s| {
                    matches!(
                        walk(&contract.document, fields::source(contract, s), f),
                        Ok(Some(_))
                    )
                })
            }),
        },
        ("read", Target::Resource(res)) => Action::Read { res },
        ("read", Target::Set(set)) => Action::ReadEntry { set },
        ("list", Target::Resource(res)) => Action::List {
            res,
            array: list_array(op, raw, contract, errors)?,
        },
        ("list", Target::Set(set)) => Action::ListEntries {
            set,
            array: list_array(op, raw, contract, errors)?,
        },
        ("replace", Target::Resource(res)) => Action::Replace { res },
        ("merge", Target::Resource(res)) => Action::Merge { res },
        ("delete", Target::Resource(res)) => Action::Delete {
            res,
            cascade: raw.cascade.as_ref().is_none_or(|c| c.value),
        },
        ("add", Target::Set(set)) => Action::Add {
            set,
            key: body_ptr(&raw.key, errors),
            value: required(&raw.value, "value", "add", at, errors)
                .and_then(|_| body_ptr(&raw.value, errors))?,
        },
        ("change", Target::Set(set)) => Action::Change {
            set,
            key: body_ptr(&raw.key, errors),
            old: required(&raw.old, "old", "change", at, errors)
                .and_then(|_| body_ptr(&raw.old, errors))?,
            new: required(&raw.new, "new", "change", at, errors)
                .and_then(|_| body_ptr(&raw.new, errors))?,
        },
        ("remove", Target::Set(set)) => Action::Remove {
            set,
            key: body_ptr(&raw.key, errors),
            all: raw.all.as_ref().map(|a| {
                if !op.params_in(ParamIn::Query).any(|p| p.name == a.value) {
                    errors.loc(
                        &a.referenced,
                        format!(
                            "{op_id} has no query parameter `{}` (its query parameters: {})",
                            a.value,
                            params(op, ParamIn::Query)
                        ),
                    );
                }
                a.value.clone()
            }),
        },
        (v, Target::Resource(_)) => {
            errors.loc(
                &target.referenced,
                format!("`{v}` acts on a set, and `{}` is a resource", target.value),
            );
            return None;
        }
        (v, Target::Set(_)) => {
            errors.loc(
                &target.referenced,
                format!("`{v}` acts on a resource, and `{}` is a set", target.value),
            );
            return None;
        }
    };
    options_fit(verb, raw, errors);

    let chain = match &action {
        Action::Create { res, .. } | Action::List { res, .. } => {
            let mut l = lineage(resources, *res);
            l.pop();
            l
        }
        Action::Read { res }
        | Action::Replace { res }
        | Action::Merge { res }
        | Action::Delete { res, .. } => lineage(resources, *res),
        a => set_of(a)
            .map(|s| lineage(resources, sets[s].owner))
            .unwrap_or_default(),
    };
    for r in &chain {
        path_param(
            op,
            &resources[*r].key,
            &resources[*r].name,
            &target.referenced,
            errors,
        );
    }
    if let Some(s) = set_of(&action) {
        let in_path = op.params_in(ParamIn::Path).any(|p| p.name == sets[s].key);
        let body_key = matches!(
            &action,
            Action::Add { key: Some(_), .. }
                | Action::Change { key: Some(_), .. }
                | Action::Remove { key: Some(_), .. }
        );
        let needs_key = !matches!(action, Action::ListEntries { .. });
        if needs_key && !in_path && !body_key {
            errors.loc(&target.referenced, format!(
                "{op_id} ({}) names no `{}` key: it has no path parameter `{}` (its path parameters: {}); give `key: /field` for a body field",
                op.label(), sets[s].name, sets[s].key, params(op, ParamIn::Path)
            ));
        }
    }
    let (status, status_given) = match &raw.status {
        Some(s) => (s.value, true),
        None => (op.default_status(), false),
    };
    if !(200..300).contains(&status) {
        errors.loc(at, format!("{op_id} answers {status} by default, not a 2xx; name its success status with `status:`"));
    }
    if errors.list.len() > before {
        return None;
    }
    Some(OpPlan {
        op_id: op_id.to_string(),
        op_index: op.index,
        read: op.method == hyper::Method::GET || op.method == hyper::Method::HEAD,
        location: fields::has_location(op, status),
        action,
        status,
        status_given,
        item_body: false,
        chain,
    })
}

fn required<'a>(
    v: &'a Option<Spanned<String>>,
    name: &str,
    verb: &str,
    at: &Location,
    errors: &mut Errors,
) -> Option<&'a Spanned<String>> {
    if v.is_none() {
        errors.loc(
            at,
            format!("`{verb}` needs `{name}: /field`, the body field holding it"),
        );
    }
    v.as_ref()
}

/// Options that do not apply to the action are refused, not ignored.
fn options_fit(verb: &str, raw: &RawOp, errors: &mut Errors) {
    let given: [(&str, Option<Location>, &[&str]); 7] = [
        (
            "key",
            raw.key.as_ref().map(|v| v.referenced),
            &["add", "change", "remove"],
        ),
        ("value", raw.value.as_ref().map(|v| v.referenced), &["add"]),
        ("old", raw.old.as_ref().map(|v| v.referenced), &["change"]),
        ("new", raw.new.as_ref().map(|v| v.referenced), &["change"]),
        ("all", raw.all.as_ref().map(|v| v.referenced), &["remove"]),
        ("array", raw.array.as_ref().map(|v| v.referenced), &["list"]),
        (
            "cascade",
            raw.cascade.as_ref().map(|v| v.referenced),
            &["delete"],
        ),
    ];
    for (name, at, verbs) in given {
        if let Some(at) = at.filter(|_| !verbs.contains(&verb)) {
            errors.loc(
                &at,
                format!(
                    "`{name}` does not apply to `{verb}` (it goes with {})",
                    verbs.join(", ")
                ),
            );
        }
    }
}

fn body_field(op: &Operation, p: &Spanned<String>, contract: &Contract, errors: &mut Errors) {
    let Some(s) = fields::request_schema(op) else {
        errors.loc(
            &p.referenced,
            format!(
                "{} takes no JSON request body to find `{}` in",
                op.name(),
                p.value
            ),
        );
        return;
    };
    if let Err(e) = walk(&contract.document, fields::source(contract, s), &p.value) {
        errors.loc(
            &p.referenced,
            format!("`{}` in the {} request body: {e}", p.value, op.name()),
        );
    }
}

fn list_array(
    op: &Operation,
    raw: &RawOp,
    contract: &Contract,
    errors: &mut Errors,
) -> Option<String> {
    let at = raw
        .list
        .as_ref()
        .map(|l| l.referenced)
        .unwrap_or(Location::UNKNOWN);
    let status = raw
        .status
        .as_ref()
        .map_or_else(|| op.default_status(), |s| s.value);
    let Some(s) = fields::response_schema(op, status) else {
        errors.loc(
            &at,
            format!(
                "{} answers {status} without a JSON body to list in",
                op.name()
            ),
        );
        return None;
    };
    let doc = &contract.document;
    let src = fields::source(contract, s);
    match &raw.array {
        Some(a) => match walk(doc, src, &a.value) {
            Ok(Some(arr)) if fields::type_of(doc, arr) == Some("array") => Some(a.value.clone()),
            Ok(_) => {
                errors.loc(&a.referenced, format!("`{}` in the {} response is not an array", a.value, op.name()));
                None
            }
            Err(e) => {
                errors.loc(&a.referenced, format!("`{}` in the {} response: {e}", a.value, op.name()));
                None
            }
        },
        None => fields::array_location(doc, src).or_else(|| {
            errors.loc(&at, format!("cannot tell where the list is in the {} response; give `array: /field` (or \"\" for a bare array)", op.name()));
            None
        }),
    }
}

fn path_param(op: &Operation, key: &str, what: &str, at: &Location, errors: &mut Errors) {
    if !op.params_in(ParamIn::Path).any(|p| p.name == key) {
        errors.loc(at, format!(
            "{} ({}) has no path parameter `{key}` naming a `{what}` item (its path parameters: {})",
            op.name(), op.label(), params(op, ParamIn::Path)
        ));
    }
}

fn params(op: &Operation, at: ParamIn) -> String {
    let names: Vec<&str> = op.params_in(at).map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn op_ids(contract: &Contract) -> String {
    let ids: Vec<String> = contract
        .operations
        .iter()
        .map(Operation::name)
        .take(12)
        .collect();
    let more = contract.operations.len().saturating_sub(ids.len());
    format!(
        "{}{}",
        ids.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

/// The statuses an operation may answer under the model, each with why.
pub(crate) fn needed(
    plan: &OpPlan,
    resources: &[Resource],
    sets: &[ValueSet],
) -> Vec<(u16, &'static str)> {
    let mut v = vec![(plan.status, "its success")];
    let parent = !plan.chain.is_empty();
    match &plan.action {
        Action::Create { client_keys, .. } => {
            if parent {
                v.push((404, "a parent that does not exist"));
            }
            if *client_keys {
                v.push((409, "a body naming a key that exists"));
            }
        }
        Action::List { .. } if parent => v.push((404, "a parent that does not exist")),
        Action::List { .. } => {}
        Action::Read { .. } | Action::Replace { .. } => {
            v.push((404, "an item that does not exist"))
        }
        Action::Merge { .. } => {
            v.push((404, "an item that does not exist"));
            v.push((400, "a patch that breaks the item's schema"));
        }
        Action::Delete { cascade, .. } => {
            v.push((404, "an item that does not exist"));
            if !cascade {
                v.push((409, "an item that still has children, with cascade: false"));
            }
        }
        Action::Add { set, .. } | Action::Change { set, .. } => {
            v.push((404, "an owner that does not exist"));
            v.push((400, "a value its normalization refuses"));
            if matches!(plan.action, Action::Change { .. }) || sets[*set].unique == Unique::Reject {
                v.push((409, "a value already held"));
            }
        }
        Action::Remove { key, .. } => {
            v.push((404, "a key or owner that does not exist"));
            if key.is_some() {
                v.push((400, "a body key that differs from the path's"));
            }
        }
        Action::ReadEntry { .. } | Action::ListEntries { .. } => {
            v.push((404, "a key or owner that does not exist"))
        }
    }
    for r in &plan.chain {
        if let Some((read, write)) = resources[*r].redirect {
            v.push((
                if plan.read { read } else { write },
                "an item merged into another",
            ));
        }
    }
    v
}

pub(super) fn check_statuses(
    plan: &OpPlan,
    resources: &[Resource],
    sets: &[ValueSet],
    contract: &Contract,
    raw: &IndexMap<String, Spanned<RawOp>>,
    errors: &mut Errors,
) {
    let op = contract.op(plan.op_index);
    let missing: Vec<String> = needed(plan, resources, sets)
        .into_iter()
        .filter(|(s, _)| !op.documents(*s))
        .map(|(s, why)| format!("{s} (for {why})"))
        .collect();
    if !missing.is_empty() {
        let at = raw
            .get(&plan.op_id)
            .map(|r| r.referenced)
            .unwrap_or(Location::UNKNOWN);
        errors.loc(
            &at,
            format!(
                "{} ({}) would answer {}, which it does not document (it documents {})",
                plan.op_id,
                plan.action.verb(),
                missing.join(", "),
                op.documented_list()
            ),
        );
    }
}
