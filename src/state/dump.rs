//! A session's state as JSON, in the seed's shape: what `GET /__admin/state`
//! answers, and what `PUT /__admin/state` (or `--seed-state`) reads back.
//! Tombstones are `{deleted: true}`, merged items `{mergedInto: key}`; settings
//! are written only where a store overrides the model's.

use serde_json::{Map, Value};

use super::model::StateModel;
use super::world::{Item, Items, Life, World};

/// A session's state in the seed's shape.
pub(crate) fn dump(model: &StateModel, world: &World) -> Value {
    let mut top = Map::new();
    for (res, items) in world.roots.iter().enumerate() {
        if !items.is_empty() {
            top.insert(
                model.resources[res].name.clone(),
                items_json(model, res, items),
            );
        }
    }
    Value::Object(top)
}

fn items_json(model: &StateModel, res: usize, items: &Items) -> Value {
    Value::Object(
        items
            .iter()
            .map(|(k, i)| (k.to_string(), item_json(model, res, i)))
            .collect(),
    )
}

fn item_json(model: &StateModel, res: usize, item: &Item) -> Value {
    let r = &model.resources[res];
    let mut m = Map::new();
    match &item.life {
        Life::Deleted => {
            m.insert("deleted".into(), Value::Bool(true));
        }
        Life::MergedInto(to) => {
            m.insert("mergedInto".into(), Value::String(to.to_string()));
        }
        Life::Live => {
            let settings: Map<String, Value> = r
                .scoped
                .iter()
                .zip(&item.settings)
                .filter(|(_, p)| !p.is_empty())
                .map(|(s, p)| {
                    (
                        model.sets[*s].name.clone(),
                        p.iter()
                            .map(|(k, v)| (k.to_string(), v.to_json()))
                            .collect(),
                    )
                })
                .collect();
            if !settings.is_empty() {
                m.insert("settings".into(), Value::Object(settings));
            }
            if let Some(d) = &item.data {
                m.insert("data".into(), (**d).clone());
            }
            for (c, items) in r.children.iter().zip(&item.children) {
                if !items.is_empty() {
                    m.insert(
                        model.resources[*c].name.clone(),
                        items_json(model, *c, items),
                    );
                }
            }
            for (s, entries) in r.sets.iter().zip(&item.sets) {
                if !entries.is_empty() {
                    let e: Map<String, Value> = entries
                        .iter()
                        .map(|(k, vs)| {
                            (
                                k.to_string(),
                                vs.iter().map(|v| Value::String(v.to_string())).collect(),
                            )
                        })
                        .collect();
                    m.insert(model.sets[*s].name.clone(), Value::Object(e));
                }
            }
        }
    }
    Value::Object(m)
}
