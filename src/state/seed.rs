//! Seed state: the items a session starts with, from a YAML file or a JSON
//! document (the admin endpoint), checked against the model and the contract.
//! A dump ([`super::dump`]) has the same shape, so it can be fed back as a seed.
//!
//! The shape follows the model: resource names at the top, each a mapping from
//! key to item; an item holds `data` (its document), its children and sets by
//! name, `settings` (per set, per key), or is a tombstone (`deleted: true`) or a
//! pointer (`mergedInto: key`).
//!
//! ```yaml
//! stores:
//!   mem_store_00000000000000000000000001:
//!     settings: {identifiers: {phone: {limit: 2, limitPolicy: lifo}}}
//!     profiles:
//!       mem_profile_00000000000000000000000001:
//!         identifiers: {email: [ada@example.com], phone: ["+13175550100"]}
//!       mem_profile_00000000000000000000000002: {mergedInto: mem_profile_00000000000000000000000001}
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use super::cx::{key_text, key_value, set_pointer};
use super::error::{yaml_error, At, Errors, StateErrors};
use super::model::{StateModel, Unique};
use super::settings::{read_per_key, PerKey, MAX_LIMIT};
use super::tree::{Node, Tree};
use super::world::{canonical, Entries, Item, Items, Life, World};
use crate::contract::Contract;

/// A checked starting state for every session.
#[derive(Debug, Clone)]
pub struct Seed {
    pub(crate) world: World,
}

impl Seed {
    /// Reads a seed file (YAML, or JSON).
    pub fn from_file(
        path: impl AsRef<Path>,
        contract: &Contract,
        model: &StateModel,
    ) -> Result<Seed, StateErrors> {
        let name = path.as_ref().display().to_string();
        let text = crate::support::text::read(path.as_ref(), "the seed")
            .map_err(|d| StateErrors(vec![d]))?;
        Seed::from_text(&name, &text, contract, model)
    }

    /// Reads a seed from YAML (or JSON) text; `name` is used in messages.
    pub fn from_text(
        name: &str,
        text: &str,
        contract: &Contract,
        model: &StateModel,
    ) -> Result<Seed, StateErrors> {
        let node: Node = if text.trim().is_empty() {
            Node {
                at: At::Nowhere,
                v: Tree::Null,
            }
        } else {
            serde_saphyr::from_str(text).map_err(|e| yaml_error(name, &e))?
        };
        Seed::from_node(name, &node, contract, model)
    }

    /// Reads a seed from a JSON document (the admin endpoint); errors name JSON pointers.
    pub fn from_json(
        name: &str,
        value: &Value,
        contract: &Contract,
        model: &StateModel,
    ) -> Result<Seed, StateErrors> {
        Seed::from_node(name, &Node::from_json(value, ""), contract, model)
    }

    fn from_node(
        name: &str,
        node: &Node,
        contract: &Contract,
        model: &StateModel,
    ) -> Result<Seed, StateErrors> {
        let mut r = Reader {
            contract,
            model,
            errors: Errors::new(name),
        };
        let mut world = World::new(model);
        match &node.v {
            Tree::Null => {}
            Tree::Map(entries) => {
                for (name, v) in entries {
                    match model
                        .resources
                        .iter()
                        .position(|r| r.parent.is_none() && &r.name == name)
                    {
                        Some(res) => {
                            world.roots[res] = r.items(res, v, &vec![None; model.sets.len()])
                        }
                        None => {
                            let roots: Vec<&str> = model
                                .resources
                                .iter()
                                .filter(|r| r.parent.is_none())
                                .map(|r| r.name.as_str())
                                .collect();
                            r.errors.at(&v.at, format!("`{name}` is not a top-level resource of the model (it has: {})", roots.join(", ")));
                        }
                    }
                }
            }
            _ => r.errors.at(
                &node.at,
                format!(
                    "a seed is a mapping from resource name to items, found {}",
                    node.kind()
                ),
            ),
        }
        world.counts = world.recount();
        r.errors.finish(Seed { world })
    }
}

struct Reader<'a> {
    contract: &'a Contract,
    model: &'a StateModel,
    errors: Errors,
}

/// Settings overrides in force, by set index (from the nearest scope item).
type Scoped = Vec<Option<PerKey>>;

impl Reader<'_> {
    fn items(&mut self, res: usize, node: &Node, scoped: &Scoped) -> Items {
        let r = &self.model.resources[res];
        let mut items = Items::default();
        let Tree::Map(entries) = &node.v else {
            if node.v != Tree::Null {
                self.errors.at(
                    &node.at,
                    format!(
                        "`{}` holds items by key (a mapping), found {}",
                        r.name,
                        node.kind()
                    ),
                );
            }
            return items;
        };
        // (set, key, value) to the owner holding it, for uniqueness.
        let mut held: HashMap<(usize, String, String), String> = HashMap::new();
        let mut links = Vec::new();
        for (raw_key, v) in entries {
            let Some(key) = self.key(res, raw_key, v) else {
                continue;
            };
            let item = self.item(res, &key, v, scoped, &mut held);
            if let Life::MergedInto(to) = &item.life {
                links.push((key.clone(), to.to_string(), v.at.clone()));
            }
            items.insert(key.into(), item);
        }
        for (from, to, at) in links {
            if !items.contains_key(to.as_str()) {
                self.errors.at(
                    &at,
                    format!(
                        "{from} is merged into {to}, which is not among these {}",
                        r.name
                    ),
                );
            } else if canonical(&items, &from).is_none() {
                self.errors.at(
                    &at,
                    format!(
                        "the merges from {from} never reach a live {} (a loop, or a deleted one)",
                        r.name
                    ),
                );
            }
        }
        items
    }

    /// The item key, checked against its path parameter's schema.
    fn key(&mut self, res: usize, raw: &str, at: &Node) -> Option<String> {
        let r = &self.model.resources[res];
        let Some(key) = key_text(raw, r.key_integer) else {
            self.errors.at(
                &at.at,
                format!("`{raw}` is not a {} key: {} is an integer", r.name, r.key),
            );
            return None;
        };
        if let Some(s) = r.key_schema {
            if let Some(v) = self
                .contract
                .schemas
                .violations(s, &key_value(&key, r.key_integer))
                .items
                .first()
            {
                self.errors.at(
                    &at.at,
                    format!(
                        "`{raw}` is not a valid {} key (path parameter {}): {}",
                        r.name, r.key, v.message
                    ),
                );
                return None;
            }
        }
        Some(key.into_owned())
    }

    fn item(
        &mut self,
        res: usize,
        key: &str,
        node: &Node,
        scoped: &Scoped,
        held: &mut HashMap<(usize, String, String), String>,
    ) -> Item {
        let model = self.model;
        let r = &model.resources[res];
        let mut item = Item::new(model, res);
        let fields = match &node.v {
            Tree::Null => return item,
            Tree::Map(f) => f,
            _ => {
                self.errors.at(
                    &node.at,
                    format!(
                        "an item of `{}` is a mapping, found {}",
                        r.name,
                        node.kind()
                    ),
                );
                return item;
            }
        };
        let mut scoped = scoped.clone();
        if let Some((_, s)) = fields.iter().find(|(n, _)| n == "settings") {
            self.settings(res, s, &mut item, &mut scoped);
        }
        for (name, v) in fields {
            match name.as_str() {
                "settings" => {}
                "data" if r.documents => {
                    let mut doc = v.to_json();
                    if let Some(f) = &r.field {
                        match doc.pointer(f) {
                            Some(given)
                                if *given != key_value(key, r.key_integer)
                                    && given.as_str() != Some(key) =>
                            {
                                self.errors.at(
                                    &v.at,
                                    format!("data{f} is {given}, but the item's key is {key}"),
                                );
                            }
                            Some(_) => {}
                            None => set_pointer(&mut doc, f, key_value(key, r.key_integer)),
                        }
                    }
                    if let Some(violation) = r.item_schema.and_then(|s| {
                        self.contract
                            .schemas
                            .violations(s, &doc)
                            .items
                            .into_iter()
                            .next()
                    }) {
                        let at = if violation.pointer.is_empty() {
                            "/".into()
                        } else {
                            violation.pointer
                        };
                        self.errors.at(
                            &v.at,
                            format!(
                                "data does not match the {} schema at {at}: {}",
                                r.name, violation.message
                            ),
                        );
                    }
                    item.data = Some(Box::new(doc));
                }
                "deleted" if r.implicit => match v.v {
                    Tree::Bool(true) => item.life = Life::Deleted,
                    Tree::Bool(false) => {}
                    _ => self.errors.at(&v.at, "`deleted` is true or false"),
                },
                "mergedInto" if r.redirect.is_some() => match v.as_str() {
                    Some(to) if to != key => item.life = Life::MergedInto(to.into()),
                    _ => self
                        .errors
                        .at(&v.at, format!("`mergedInto` names another {} item", r.name)),
                },
                _ => {
                    if let Some(child) = r
                        .children
                        .iter()
                        .copied()
                        .find(|c| model.resources[*c].name == *name)
                    {
                        item.children[model.resources[child].slot] = self.items(child, v, &scoped);
                    } else if let Some(set) = r
                        .sets
                        .iter()
                        .copied()
                        .find(|s| model.sets[*s].name == *name)
                    {
                        item.sets[model.sets[set].slot] = self.entries(set, key, v, &scoped, held);
                    } else {
                        self.errors.at(
                            &v.at,
                            format!(
                                "`{name}` is not a field of a {} item (it takes: {})",
                                r.name,
                                self.fields_of(res).join(", ")
                            ),
                        );
                    }
                }
            }
        }
        if item.life != Life::Live
            && fields
                .iter()
                .any(|(n, _)| !matches!(n.as_str(), "deleted" | "mergedInto"))
        {
            self.errors.at(
                &node.at,
                format!(
                    "{}/{key} is deleted or merged, so it holds nothing else",
                    r.name
                ),
            );
        }
        item
    }

    fn fields_of(&self, res: usize) -> Vec<String> {
        let r = &self.model.resources[res];
        let mut out = Vec::new();
        if r.documents {
            out.push("data".to_string());
        }
        out.extend(
            r.children
                .iter()
                .map(|c| self.model.resources[*c].name.clone()),
        );
        out.extend(r.sets.iter().map(|s| self.model.sets[*s].name.clone()));
        if !r.scoped.is_empty() {
            out.push("settings".into());
        }
        if r.implicit {
            out.push("deleted".into());
        }
        if r.redirect.is_some() {
            out.push("mergedInto".into());
        }
        out
    }

    fn settings(&mut self, res: usize, node: &Node, item: &mut Item, scoped: &mut Scoped) {
        let r = &self.model.resources[res];
        let Tree::Map(by_set) = &node.v else {
            self.errors.at(
                &node.at,
                format!(
                    "`settings` maps a set name to its settings by key, found {}",
                    node.kind()
                ),
            );
            return;
        };
        for (name, v) in by_set {
            match r
                .scoped
                .iter()
                .copied()
                .find(|s| self.model.sets[*s].name == *name)
            {
                Some(set) => {
                    let per_key = read_per_key(v, &mut self.errors);
                    let most = self.model.sets[set].max_values.min(MAX_LIMIT);
                    if let Some((k, l)) = per_key
                        .iter()
                        .find_map(|(k, p)| p.limit.filter(|l| *l > most).map(|l| (k, l)))
                    {
                        self.errors.at(&v.at, format!("the {k} limit {l} keeps more values than the contract shows ({most})"));
                    }
                    item.settings[self.model.sets[set].scope_slot] = per_key.clone();
                    scoped[set] = Some(per_key);
                }
                None => {
                    let names: Vec<&str> = r
                        .scoped
                        .iter()
                        .map(|s| self.model.sets[*s].name.as_str())
                        .collect();
                    self.errors.at(
                        &v.at,
                        format!(
                            "`{name}` has no settings here (settings here: {})",
                            if names.is_empty() {
                                "none".into()
                            } else {
                                names.join(", ")
                            }
                        ),
                    );
                }
            }
        }
    }

    fn entries(
        &mut self,
        si: usize,
        owner: &str,
        node: &Node,
        scoped: &Scoped,
        held: &mut HashMap<(usize, String, String), String>,
    ) -> Entries {
        let set = &self.model.sets[si];
        let mut out = Entries::default();
        let Tree::Map(keys) = &node.v else {
            self.errors.at(
                &node.at,
                format!(
                    "`{}` maps each key to its values (a list of text), found {}",
                    set.name,
                    node.kind()
                ),
            );
            return out;
        };
        if keys.len() > set.max_keys {
            self.errors.at(
                &node.at,
                format!(
                    "{} keys, more than the {} the contract lists",
                    keys.len(),
                    set.max_keys
                ),
            );
        }
        for (key, v) in keys {
            if let Some(violation) = set.key_schema.and_then(|s| {
                self.contract
                    .schemas
                    .violations(s, &json!(key))
                    .items
                    .into_iter()
                    .next()
            }) {
                self.errors.at(
                    &v.at,
                    format!(
                        "`{key}` is not a valid {} key ({}): {}",
                        set.name, set.key, violation.message
                    ),
                );
                continue;
            }
            let s = set.settings.resolve(key, scoped[si].as_ref());
            let Tree::Seq(items) = &v.v else {
                self.errors.at(
                    &v.at,
                    format!("the {key} values are a list of text, found {}", v.kind()),
                );
                continue;
            };
            if items.len() > s.limit {
                self.errors.at(
                    &v.at,
                    format!(
                        "{} {key} values, more than its limit ({})",
                        items.len(),
                        s.limit
                    ),
                );
            }
            let mut values: Vec<Box<str>> = Vec::with_capacity(items.len());
            for item in items {
                let Some(raw) = item.as_str() else {
                    self.errors.at(
                        &item.at,
                        format!("a {key} value is text, found {}", item.kind()),
                    );
                    continue;
                };
                let value = match s.normalization.apply(raw) {
                    Ok(v) => v,
                    Err(e) => {
                        self.errors.at(&item.at, format!("{key}: {e}"));
                        continue;
                    }
                };
                if values.iter().any(|v| v.as_ref() == value) {
                    self.errors
                        .at(&item.at, format!("{value:?} is listed twice under {key}"));
                    continue;
                }
                if set.unique != Unique::Owner && s.unique {
                    let slot = (si, key.clone(), value.clone());
                    if let Some(other) = held.get(&slot) {
                        self.errors.at(&item.at, format!(
                            "{key} {value:?} is held by {other} too; with enforceUnique a value belongs to one of the {} (mark one `mergedInto` the other)",
                            self.model.resources[set.owner].name
                        ));
                    } else {
                        held.insert(slot, owner.to_string());
                    }
                }
                values.push(value.into());
            }
            if !values.is_empty() {
                out.insert(key.as_str().into(), values);
            }
        }
        out
    }
}
