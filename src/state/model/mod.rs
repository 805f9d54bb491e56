//! The state model: which resources an API keeps and what each operation does to
//! them, declared as data beside the contract (`spec/memory-v1.state.yaml`).
//!
//! A model is read from YAML ([`raw`]), checked against the contract so that every
//! operationId, parameter, body field and status it names exists ([`check`]), and
//! kept in the resolved form below, which the engine follows without looking
//! anything up by name. [`write`] prints a model back as YAML; `infer` guesses
//! one from a contract.

mod check;
pub(crate) mod fields;
mod infer;
mod ops;
mod raw;
mod write;

use std::path::Path;

use serde_json::Value;

use super::error::StateErrors;
use super::settings::SettingsModel;
use crate::contract::{Contract, Operation, SchemaId};

/// Names a resource may not take: they are the fields of an item in a seed.
pub(crate) const RESERVED: [&str; 4] = ["data", "deleted", "mergedInto", "settings"];

/// A checked state model, tied to the contract it was checked against.
#[derive(Debug, Clone)]
pub struct StateModel {
    pub(crate) resources: Vec<Resource>,
    pub(crate) sets: Vec<ValueSet>,
    pub(crate) ops: Vec<OpPlan>,
    /// Operations inference could not place, with why (written as comments).
    pub(crate) left_out: Vec<String>,
    /// Contract operation index to position in `ops`: a table, looked up by
    /// every request without hashing.
    by_index: Vec<Option<usize>>,
}

/// Items addressed by a path parameter, possibly inside a parent's item.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) name: String,
    /// The path parameter naming one item.
    pub(crate) key: String,
    /// The key is an integer (`/pets/{petId}` with an integer schema).
    pub(crate) key_integer: bool,
    pub(crate) key_schema: Option<SchemaId>,
    pub(crate) parent: Option<usize>,
    /// JSON pointer of the field holding the key in an item's document.
    pub(crate) field: Option<String>,
    /// Items spring into existence on their first write (and leave a tombstone).
    pub(crate) implicit: bool,
    /// Statuses for requests naming an item merged into another: (read, write).
    pub(crate) redirect: Option<(u16, u16)>,
    /// Child resources, by index; an item's children are kept in this order.
    pub(crate) children: Vec<usize>,
    /// This resource's position in its parent's `children`.
    pub(crate) slot: usize,
    /// Sets owned by this resource's items, by index.
    pub(crate) sets: Vec<usize>,
    /// Sets whose per-key settings an item of this resource may override.
    pub(crate) scoped: Vec<usize>,
    /// Items carry a JSON document (some operation reads or writes one).
    pub(crate) documents: bool,
    /// The schema an item's document follows (seeds, merge-patch results).
    pub(crate) item_schema: Option<SchemaId>,
    /// Object schemas whose required fields a created document must have.
    pub(crate) fill: Vec<Value>,
}

/// Ordered, duplicate-free lists of text values, keyed inside an owner's item
/// (a profile's identifiers: idType to values).
#[derive(Debug, Clone)]
pub(crate) struct ValueSet {
    pub(crate) name: String,
    pub(crate) owner: usize,
    /// The path parameter naming one key.
    pub(crate) key: String,
    pub(crate) key_schema: Option<SchemaId>,
    /// JSON pointers of the key and the values in an entry object.
    pub(crate) entry_key: String,
    pub(crate) entry_values: String,
    pub(crate) unique: Unique,
    /// The resource (the owner or an ancestor) whose items may override settings.
    pub(crate) scope: usize,
    pub(crate) settings: SettingsModel,
    /// This set's position in its owner's `sets`, and in its scope's `scoped`.
    pub(crate) slot: usize,
    pub(crate) scope_slot: usize,
    /// Most keys one owner may hold (the list's `maxItems`).
    pub(crate) max_keys: usize,
    /// Most values one key may hold (the entry's `maxItems`, at most 100).
    pub(crate) max_values: usize,
}

/// What happens when a value is already held by another owner under the same
/// parent (and the key's settings enforce uniqueness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unique {
    /// Nothing: uniqueness is per owner only.
    Owner,
    /// The two owners merge; the older one absorbs the newer.
    Merge,
    /// The request is refused with 409.
    Reject,
}

impl Unique {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Unique::Owner => "owner",
            Unique::Merge => "merge",
            Unique::Reject => "reject",
        }
    }
}

/// What one operation does.
#[derive(Debug, Clone)]
pub(crate) struct OpPlan {
    pub(crate) op_id: String,
    pub(crate) op_index: crate::contract::OpIndex,
    /// GET or HEAD: judged against the settled state, redirected with the read status.
    pub(crate) read: bool,
    pub(crate) action: Action,
    /// The success status.
    pub(crate) status: u16,
    /// The model named the status (rather than the contract's default).
    pub(crate) status_given: bool,
    /// The success body is the item (documents) rather than the documented default.
    pub(crate) item_body: bool,
    /// The success response documents a `Location` header.
    pub(crate) location: bool,
    /// Resources navigated by path keys, root first.
    pub(crate) chain: Vec<usize>,
}

/// The actions a model can give an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// `client_keys`: the request body declares the key field, so a client may
    /// choose the key (and a taken one is a 409); otherwise keys are generated.
    Create {
        res: usize,
        client_keys: bool,
    },
    Read {
        res: usize,
    },
    List {
        res: usize,
        array: String,
    },
    Replace {
        res: usize,
    },
    Merge {
        res: usize,
    },
    Delete {
        res: usize,
        cascade: bool,
    },
    Add {
        set: usize,
        key: Option<String>,
        value: String,
    },
    Change {
        set: usize,
        key: Option<String>,
        old: String,
        new: String,
    },
    Remove {
        set: usize,
        key: Option<String>,
        all: Option<String>,
    },
    ReadEntry {
        set: usize,
    },
    ListEntries {
        set: usize,
        array: String,
    },
}

impl Action {
    /// The word the model file uses.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Action::Create { .. } => "create",
            Action::Read { .. } | Action::ReadEntry { .. } => "read",
            Action::List { .. } | Action::ListEntries { .. } => "list",
            Action::Replace { .. } => "replace",
            Action::Merge { .. } => "merge",
            Action::Delete { .. } => "delete",
            Action::Add { .. } => "add",
            Action::Change { .. } => "change",
            Action::Remove { .. } => "remove",
        }
    }
}

/// The Memory v1 model that ships with the embedded contract.
const EMBEDDED_MODEL: &str = include_str!("../../../spec/memory-v1.state.yaml");
/// Its name in messages.
const EMBEDDED_NAME: &str = "spec/memory-v1.state.yaml (embedded)";

impl StateModel {
    /// Reads and checks a model file.
    pub fn from_file(
        path: impl AsRef<Path>,
        contract: &Contract,
    ) -> Result<StateModel, StateErrors> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = crate::support::text::read(path, "the state model")
            .map_err(|d| StateErrors(vec![d]))?;
        StateModel::from_text(&name, &text, contract)
    }

    /// Reads and checks a model from YAML text; `name` is used in messages.
    pub fn from_text(
        name: &str,
        text: &str,
        contract: &Contract,
    ) -> Result<StateModel, StateErrors> {
        let raw = raw::parse(name, text)?;
        check::model(name, &raw, contract)
    }

    /// The model `--stateful` uses for `contract`: the shipped Memory model for
    /// the embedded contract, else the one inferred from its paths.
    pub fn for_contract(contract: &Contract) -> Result<StateModel, StateErrors> {
        if contract.is_embedded() {
            StateModel::from_text(EMBEDDED_NAME, EMBEDDED_MODEL, contract)
        } else {
            Ok(StateModel::infer(contract))
        }
    }

    /// A model guessed from the contract's paths; it always loads. Operations it
    /// cannot place are listed in `to_yaml`'s output.
    pub fn infer(contract: &Contract) -> StateModel {
        infer::infer(contract)
    }

    /// The model written as YAML, commented enough to edit.
    pub fn to_yaml(&self, contract: &Contract) -> String {
        write::yaml(self, contract)
    }

    /// What the model says `op` does, when it names it, and where its plan is in `ops`.
    pub(crate) fn plan_at(&self, op: &Operation) -> Option<(usize, &OpPlan)> {
        let at = (*self.by_index.get(op.index.0)?)?;
        let plan = self.ops.get(at)?;
        op.is_named(&plan.op_id).then_some((at, plan))
    }

    /// A model from checked parts; derived fields are filled in here.
    pub(crate) fn assemble(
        mut resources: Vec<Resource>,
        mut sets: Vec<ValueSet>,
        ops: Vec<OpPlan>,
        left_out: Vec<String>,
    ) -> StateModel {
        for r in resources.iter_mut() {
            r.children.clear();
            r.sets.clear();
            r.scoped.clear();
        }
        for i in 0..resources.len() {
            if let Some(p) = resources[i].parent {
                resources[i].slot = resources[p].children.len();
                resources[p].children.push(i);
            }
        }
        for (i, s) in sets.iter_mut().enumerate() {
            s.slot = resources[s.owner].sets.len();
            resources[s.owner].sets.push(i);
            s.scope_slot = resources[s.scope].scoped.len();
            resources[s.scope].scoped.push(i);
        }
        let mut by_index = Vec::new();
        for (i, p) in ops.iter().enumerate() {
            let at = p.op_index.0;
            if by_index.len() <= at {
                by_index.resize(at + 1, None);
            }
            // As a map would: a later plan of the same operation wins.
            by_index[at] = Some(i);
        }
        StateModel {
            resources,
            sets,
            ops,
            left_out,
            by_index,
        }
    }

    /// The plan of an item-level operation on `res` (whose path names one item).
    pub(crate) fn item_plan(&self, res: usize) -> Option<&OpPlan> {
        self.ops.iter().find(|p| {
            matches!(p.action, Action::Read { res: r } | Action::Replace { res: r } | Action::Merge { res: r } | Action::Delete { res: r, .. } if r == res)
        })
    }
}
