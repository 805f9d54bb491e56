//! Writing a model back out as YAML (`mimeo state infer`), commented so that a
//! person can check and edit it. Reading the text back gives the same model.

use std::fmt::Write as _;

use super::{Action, OpPlan, StateModel, Unique};
use crate::contract::Contract;
use crate::state::settings::{Partial, Settings};

const HEADER: &str = "\
# resources: things addressed by a path parameter (`key`), possibly inside a
#   parent's item; `field` is the JSON pointer of the key in an item's document.
#   `implicit: true` items spring into existence on their first write and leave
#   a tombstone when deleted.
# sets: ordered, duplicate-free lists of text values keyed inside an owner's item.
# operations: operationId -> one action (create, read, list, replace, merge,
#   delete on resources; add, change, remove, read, list on sets) and options.
";

pub(super) fn yaml(model: &StateModel, contract: &Contract) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# State model for {} {} ({}).",
        contract.title(),
        contract.version(),
        contract.source()
    );
    out.push_str(HEADER);
    if !model.resources.is_empty() {
        out.push_str("\nresources:\n");
    }
    for r in &model.resources {
        let _ = writeln!(out, "  {}:", scalar(&r.name));
        let _ = writeln!(out, "    key: {}", scalar(&r.key));
        if let Some(p) = r.parent {
            let _ = writeln!(out, "    parent: {}", scalar(&model.resources[p].name));
        }
        if let Some(f) = &r.field {
            let _ = writeln!(out, "    field: {}", scalar(f));
        }
        if r.implicit {
            out.push_str("    implicit: true\n");
        }
        if let Some((read, write)) = r.redirect {
            let _ = writeln!(out, "    redirect: {{read: {read}, write: {write}}}");
        }
    }
    if !model.sets.is_empty() {
        out.push_str("\nsets:\n");
    }
    for s in &model.sets {
        let _ = writeln!(out, "  {}:", scalar(&s.name));
        let _ = writeln!(out, "    owner: {}", scalar(&model.resources[s.owner].name));
        let _ = writeln!(out, "    key: {}", scalar(&s.key));
        let _ = writeln!(
            out,
            "    entry: {{key: {}, values: {}}}",
            scalar(&s.entry_key),
            scalar(&s.entry_values)
        );
        if s.unique != Unique::Owner {
            let _ = writeln!(out, "    unique: {}", s.unique.as_str());
        }
        out.push_str("    settings:\n");
        let _ = writeln!(
            out,
            "      scope: {}",
            scalar(&model.resources[s.scope].name)
        );
        let _ = writeln!(out, "      default: {}", full(&s.settings.default));
        if !s.settings.keys.is_empty() {
            out.push_str("      keys:\n");
            for (k, p) in &s.settings.keys {
                let _ = writeln!(out, "        {}: {}", scalar(k), partial(p));
            }
        }
    }
    out.push_str("\noperations:\n");
    if model.ops.is_empty() {
        out.push_str("  {}\n");
    }
    for p in &model.ops {
        let op = contract.op(p.op_index);
        let _ = writeln!(
            out,
            "  {}: {{{}}}  # {}",
            scalar(&p.op_id),
            options(model, p),
            op.label()
        );
    }
    if !model.left_out.is_empty() {
        out.push_str("\n# Left out (give them an action by hand if they change state):\n");
        for l in &model.left_out {
            let _ = writeln!(out, "#   {}", l.replace('\n', " "));
        }
    }
    out
}

/// The flow mapping of one operation: its action, then the options it needs.
fn options(model: &StateModel, p: &OpPlan) -> String {
    let res = |r: &usize| scalar(&model.resources[*r].name);
    let set = |s: &usize| scalar(&model.sets[*s].name);
    let mut parts = match &p.action {
        Action::Create { res: r, .. } => vec![format!("create: {}", res(r))],
        Action::Read { res: r } => vec![format!("read: {}", res(r))],
        Action::List { res: r, array } => {
            vec![
                format!("list: {}", res(r)),
                format!("array: {}", scalar(array)),
            ]
        }
        Action::Replace { res: r } => vec![format!("replace: {}", res(r))],
        Action::Merge { res: r } => vec![format!("merge: {}", res(r))],
        Action::Delete { res: r, cascade } => {
            let mut v = vec![format!("delete: {}", res(r))];
            if !cascade {
                v.push("cascade: false".into());
            }
            v
        }
        Action::Add { set: s, key, value } => {
            let mut v = vec![format!("add: {}", set(s))];
            v.extend(key.iter().map(|k| format!("key: {}", scalar(k))));
            v.push(format!("value: {}", scalar(value)));
            v
        }
        Action::Change {
            set: s,
            key,
            old,
            new,
        } => {
            let mut v = vec![format!("change: {}", set(s))];
            v.extend(key.iter().map(|k| format!("key: {}", scalar(k))));
            v.push(format!("old: {}", scalar(old)));
            v.push(format!("new: {}", scalar(new)));
            v
        }
        Action::Remove { set: s, key, all } => {
            let mut v = vec![format!("remove: {}", set(s))];
            v.extend(key.iter().map(|k| format!("key: {}", scalar(k))));
            v.extend(all.iter().map(|a| format!("all: {}", scalar(a))));
            v
        }
        Action::ReadEntry { set: s } => vec![format!("read: {}", set(s))],
        Action::ListEntries { set: s, array } => {
            vec![
                format!("list: {}", set(s)),
                format!("array: {}", scalar(array)),
            ]
        }
    };
    if p.status_given {
        parts.push(format!("status: {}", p.status));
    }
    parts.join(", ")
}

fn full(s: &Settings) -> String {
    format!(
        "{{normalization: {}, limit: {}, limitPolicy: {}, enforceUnique: {}}}",
        s.normalization.as_str(),
        s.limit,
        s.policy.as_str(),
        s.unique
    )
}

fn partial(p: &Partial) -> String {
    let mut parts = Vec::new();
    if let Some(n) = p.normalization {
        parts.push(format!("normalization: {}", n.as_str()));
    }
    if let Some(l) = p.limit {
        parts.push(format!("limit: {l}"));
    }
    if let Some(l) = p.policy {
        parts.push(format!("limitPolicy: {}", l.as_str()));
    }
    if let Some(u) = p.unique {
        parts.push(format!("enforceUnique: {u}"));
    }
    format!("{{{}}}", parts.join(", "))
}

/// A YAML scalar: plain when that reads back as the same text, else quoted
/// (a JSON string is a valid YAML double-quoted scalar).
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-'))
        && !s.starts_with(['-', '.'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::scalar;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("/idType"), "/idType");
        assert_eq!(scalar("pets"), "pets");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("12"), "\"12\"");
        assert_eq!(scalar("a b: c"), "\"a b: c\"");
        assert_eq!(scalar("-x"), "\"-x\"");
    }
}
