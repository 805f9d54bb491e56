//! The model file as written: serde structs with spans, before any checking.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::state::error::{yaml_error, StateErrors};
use crate::state::tree::Node;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    #[serde(default)]
    pub(super) resources: IndexMap<String, Spanned<RawResource>>,
    #[serde(default)]
    pub(super) sets: IndexMap<String, Spanned<RawSet>>,
    pub(super) operations: Spanned<IndexMap<String, Spanned<RawOp>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResource {
    pub(super) key: Spanned<String>,
    #[serde(default)]
    pub(super) parent: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) field: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) implicit: bool,
    #[serde(default)]
    pub(super) redirect: Option<Spanned<RawRedirect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRedirect {
    pub(super) read: Spanned<u16>,
    pub(super) write: Spanned<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSet {
    pub(super) owner: Spanned<String>,
    pub(super) key: Spanned<String>,
    #[serde(default)]
    pub(super) entry: Option<Spanned<RawEntry>>,
    #[serde(default)]
    pub(super) unique: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) settings: Option<Spanned<RawSettings>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEntry {
    pub(super) key: Spanned<String>,
    pub(super) values: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    #[serde(default)]
    pub(super) scope: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) default: Option<Node>,
    #[serde(default)]
    pub(super) keys: Option<Node>,
}

/// One operation: exactly one action key names its target; the rest are options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOp {
    #[serde(default)]
    pub(super) create: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) read: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) list: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) replace: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) merge: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) delete: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) add: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) change: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) remove: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) key: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) value: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) old: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) new: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) all: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) array: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) status: Option<Spanned<u16>>,
    #[serde(default)]
    pub(super) cascade: Option<Spanned<bool>>,
}

impl RawOp {
    /// The action keys given, with their targets.
    pub(super) fn actions(&self) -> Vec<(&'static str, &Spanned<String>)> {
        [
            ("create", &self.create),
            ("read", &self.read),
            ("list", &self.list),
            ("replace", &self.replace),
            ("merge", &self.merge),
            ("delete", &self.delete),
            ("add", &self.add),
            ("change", &self.change),
            ("remove", &self.remove),
        ]
        .into_iter()
        .filter_map(|(verb, t)| t.as_ref().map(|t| (verb, t)))
        .collect()
    }
}

pub(super) fn parse(name: &str, text: &str) -> Result<RawModel, StateErrors> {
    serde_saphyr::from_str(text).map_err(|e| yaml_error(name, &e))
}
