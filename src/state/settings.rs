//! Per-key settings of a value set: Memory's identifier settings.
//!
//! Each idType of a store has a normalization, a limit on how many values a
//! profile keeps, the policy naming the value that goes when the limit is passed,
//! and whether a value may be held by one profile only. The model file gives the
//! defaults; a seed may override them per store (the set's settings scope).

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::error::Errors;
use super::normalize::Normalization;
use super::tree::{Node, Tree};

/// The most values one key may keep (Memory's documented maximum).
pub(crate) const MAX_LIMIT: usize = 100;

/// Which value a full key gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitPolicy {
    /// The oldest value goes.
    Fifo,
    /// The most recent value goes (a value added at the limit is dropped again).
    Lifo,
}

impl LimitPolicy {
    fn parse(s: &str) -> Option<LimitPolicy> {
        match s {
            "fifo" => Some(LimitPolicy::Fifo),
            "lifo" => Some(LimitPolicy::Lifo),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LimitPolicy::Fifo => "fifo",
            LimitPolicy::Lifo => "lifo",
        }
    }

    /// The index of the value this policy gives up in a non-empty list.
    pub(crate) fn victim(self, len: usize) -> usize {
        match self {
            LimitPolicy::Fifo => 0,
            LimitPolicy::Lifo => len.saturating_sub(1),
        }
    }
}

/// The settings in force for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) normalization: Normalization,
    pub(crate) limit: usize,
    pub(crate) policy: LimitPolicy,
    pub(crate) unique: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            normalization: Normalization::None,
            limit: MAX_LIMIT,
            policy: LimitPolicy::Fifo,
            unique: true,
        }
    }
}

/// Settings as written: any field may be left to the level below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Partial {
    pub(crate) normalization: Option<Normalization>,
    pub(crate) limit: Option<usize>,
    pub(crate) policy: Option<LimitPolicy>,
    pub(crate) unique: Option<bool>,
}

impl Partial {
    /// `base` with the fields given here put over it.
    pub(crate) fn over(&self, base: Settings) -> Settings {
        Settings {
            normalization: self.normalization.unwrap_or(base.normalization),
            limit: self.limit.unwrap_or(base.limit),
            policy: self.policy.unwrap_or(base.policy),
            unique: self.unique.unwrap_or(base.unique),
        }
    }

    /// Reads `{normalization, limit, limitPolicy, enforceUnique}`.
    pub(crate) fn read(node: &Node, errors: &mut Errors) -> Partial {
        let mut p = Partial::default();
        let Tree::Map(fields) = &node.v else {
            errors.at(
                &node.at,
                format!(
                    "settings must be a mapping of normalization, limit, limitPolicy, enforceUnique; found {}",
                    node.kind()
                ),
            );
            return p;
        };
        for (name, v) in fields {
            match (name.as_str(), &v.v) {
                ("normalization", Tree::Str(s)) => match Normalization::parse(s) {
                    Some(n) => p.normalization = Some(n),
                    None => errors.at(
                        &v.at,
                        format!(
                            "normalization `{s}` is not known; use one of {}",
                            Normalization::NAMES
                        ),
                    ),
                },
                ("limit", Tree::Num(n)) => match n.as_u64() {
                    Some(l @ 1..=100) => p.limit = Some(l as usize),
                    _ => errors.at(&v.at, format!("limit {n} is out of range (1 to {MAX_LIMIT})")),
                },
                ("limitPolicy", Tree::Str(s)) => match LimitPolicy::parse(s) {
                    Some(l) => p.policy = Some(l),
                    None => errors.at(
                        &v.at,
                        format!("limitPolicy `{s}` is not known; use fifo or lifo"),
                    ),
                },
                ("enforceUnique", Tree::Bool(b)) => p.unique = Some(*b),
                ("normalization" | "limitPolicy", _) => {
                    errors.at(&v.at, format!("`{name}` must be text, found {}", v.kind()))
                }
                ("limit", _) => errors.at(&v.at, format!("`limit` must be a number, found {}", v.kind())),
                ("enforceUnique", _) => errors.at(
                    &v.at,
                    format!("`enforceUnique` must be true or false, found {}", v.kind()),
                ),
                _ => errors.at(
                    &v.at,
                    format!(
                        "unknown setting `{name}`; settings are normalization, limit, limitPolicy, enforceUnique"
                    ),
                ),
            }
        }
        p
    }

    /// The fields given, as JSON (the seed and dump shape).
    pub(crate) fn to_json(self) -> Value {
        let mut m = Map::new();
        if let Some(n) = self.normalization {
            m.insert("normalization".into(), json!(n.as_str()));
        }
        if let Some(l) = self.limit {
            m.insert("limit".into(), json!(l));
        }
        if let Some(p) = self.policy {
            m.insert("limitPolicy".into(), json!(p.as_str()));
        }
        if let Some(u) = self.unique {
            m.insert("enforceUnique".into(), json!(u));
        }
        Value::Object(m)
    }
}

/// Settings overrides per key, in the order written.
pub(crate) type PerKey = IndexMap<Box<str>, Partial, super::world::Hasher>;

/// Reads `{key: {settings...}}`.
pub(crate) fn read_per_key(node: &Node, errors: &mut Errors) -> PerKey {
    let mut out = PerKey::default();
    match &node.v {
        Tree::Map(entries) => {
            for (key, v) in entries {
                out.insert(key.as_str().into(), Partial::read(v, errors));
            }
        }
        Tree::Null => {}
        _ => errors.at(
            &node.at,
            format!(
                "expected a mapping from key to settings, found {}",
                node.kind()
            ),
        ),
    }
    out
}

/// The model's settings for one set: a default and per-key defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SettingsModel {
    pub(crate) default: Settings,
    pub(crate) keys: PerKey,
}

impl SettingsModel {
    /// The settings for `key`: the default, the model's key, then `overrides`.
    pub(crate) fn resolve(&self, key: &str, overrides: Option<&PerKey>) -> Settings {
        let base = match self.keys.get(key) {
            Some(p) => p.over(self.default),
            None => self.default,
        };
        match overrides.and_then(|o| o.get(key)) {
            Some(p) => p.over(base),
            None => base,
        }
    }

    /// Memory's defaults: email and phone normalized as such, others as given.
    #[cfg(test)]
    pub(crate) fn memory() -> SettingsModel {
        let mut keys = PerKey::default();
        keys.insert(
            "email".into(),
            Partial {
                normalization: Some(Normalization::Email),
                ..Partial::default()
            },
        );
        keys.insert(
            "phone".into(),
            Partial {
                normalization: Some(Normalization::Phone),
                ..Partial::default()
            },
        );
        SettingsModel {
            default: Settings::default(),
            keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn layers_resolve_key_by_key() {
        let model = SettingsModel::memory();
        let mut errors = Errors::new("seed.yaml");
        let store = read_per_key(&node("phone: {limit: 2, limitPolicy: lifo}\n"), &mut errors);
        assert!(errors.list.is_empty());
        let phone = model.resolve("phone", Some(&store));
        assert_eq!(phone.normalization, Normalization::Phone);
        assert_eq!((phone.limit, phone.policy), (2, LimitPolicy::Lifo));
        assert_eq!(model.resolve("email", Some(&store)).limit, 100);
        assert_eq!(
            model.resolve("externalId", None).normalization,
            Normalization::None
        );
    }

    #[test]
    fn bad_settings_are_each_reported() {
        let mut errors = Errors::new("seed.yaml");
        let _ = Partial::read(
            &node(
                "normalization: upper\nlimit: 0\nlimitPolicy: random\nenforceUnique: 1\nextra: x\n",
            ),
            &mut errors,
        );
        let lines: Vec<String> = errors.list.iter().map(|e| e.to_string()).collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(
            lines[0].starts_with("seed.yaml:1:16: normalization `upper`"),
            "{lines:#?}"
        );
        assert!(lines[1].contains("limit 0 is out of range"), "{lines:#?}");
        assert!(lines[4].contains("unknown setting `extra`"), "{lines:#?}");
    }
}
