//! Ordinary REST on documents: create, read, list, replace (PUT), merge (PATCH,
//! RFC 7386 JSON merge patch) and delete, with cascade.

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};

use super::cx::{fit, hash, key_text, key_value, list_body, set_pointer, Cx};
use super::model::Action;
use super::model::Resource;
use super::sim::SimOutcome;
use super::world::{json_size, Counts, Item, Items, Life, World};
use crate::contract::{Contract, SchemaId};
use crate::generate::Mode;
use crate::respond::negotiate;

/// How deep a merge patch is followed (bodies are bounded, this bounds the stack).
const PATCH_DEPTH: usize = 64;
/// Attempts at a fresh generated key before giving up.
const KEY_ATTEMPTS: u64 = 16;

/// Read and list: nothing changes.
pub(crate) fn read(cx: &Cx, world: &World) -> SimOutcome {
    match &cx.plan.action {
        Action::Read { res } => match world.find(cx.model, &cx.plan.chain, &cx.keys) {
            Ok(Some(item)) => respond(
                cx,
                Some(document(
                    cx,
                    *res,
                    cx.keys.last().map_or("", |k| k.as_ref()),
                    item,
                )),
                None,
                None,
            ),
            Ok(None) => SimOutcome::error(404, "nothing to read"),
            Err(miss) => cx.miss(miss),
        },
        Action::List { res, array } => {
            let parent = match world.find(cx.model, &cx.plan.chain, &cx.keys) {
                Ok(p) => p,
                Err(miss) => return cx.miss(miss),
            };
            let items = world.items(cx.model, *res, parent).map(|items| {
                items
                    .iter()
                    .filter(|(_, i)| i.life == Life::Live)
                    .map(|(k, i)| document(cx, *res, k, i))
                    .collect()
            });
            let body = list_body(cx, array, items.unwrap_or_default());
            SimOutcome::Respond {
                status: cx.plan.status,
                body: Some(body),
                location: None,
                checked: None,
            }
        }
        _ => SimOutcome::internal("not a read"),
    }
}

/// Create, replace, merge and delete.
pub(crate) fn write(cx: &Cx, world: &mut World) -> SimOutcome {
    match &cx.plan.action {
        Action::Create { res, client_keys } => create(cx, world, *res, *client_keys),
        Action::Replace { res } | Action::Merge { res } => update(cx, world, *res),
        Action::Delete { res, cascade } => delete(cx, world, *res, *cascade),
        _ => SimOutcome::internal("not a document write"),
    }
}

/// An item's document: the stored one, else one made from its key (an item that
/// sprang into existence has none), generated the same way every time.
fn document(cx: &Cx, res: usize, key: &str, item: &Item) -> Value {
    if let Some(d) = &item.data {
        return (**d).clone();
    }
    let mut doc = Value::Object(Map::new());
    complete(cx, res, key, &mut doc, hash(key.as_bytes()));
    doc
}

/// Puts the key in its field and the required fields the contract's item
/// schemas ask for.
fn complete(cx: &Cx, res: usize, key: &str, doc: &mut Value, seed: u64) {
    let r = &cx.model.resources[res];
    if let Some(f) = &r.field {
        set_pointer(doc, f, key_value(key, r.key_integer));
    }
    let generator = cx.generator(Mode::Static);
    for s in &r.fill {
        fit(doc, s, &cx.contract.document, &generator, seed);
    }
}

/// The success answer; `checked`: the schema `doc` was found to fit (the
/// server need not check it again).
fn respond(
    cx: &Cx,
    doc: Option<Value>,
    location: Option<String>,
    checked: Option<SchemaId>,
) -> SimOutcome {
    let body = doc.filter(|_| cx.plan.item_body);
    SimOutcome::Respond {
        status: cx.plan.status,
        checked: checked.filter(|_| body.is_some()),
        body,
        location: location.filter(|_| cx.plan.location),
    }
}

fn create(cx: &Cx, world: &mut World, res: usize, client_keys: bool) -> SimOutcome {
    let r = &cx.model.resources[res];
    let seq = world.seq;
    let depth = cx.plan.chain.len();
    if depth > 0 {
        match world.find(cx.model, &cx.plan.chain, &cx.keys) {
            Ok(_) => {}
            Err(super::world::Miss::Absent { .. }) if cx.may_create(world, depth) => {}
            Err(miss) => return cx.miss(miss),
        }
    }
    let mut doc = cx
        .body
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let given = r
        .field
        .as_deref()
        .filter(|_| client_keys)
        .and_then(|f| crate::support::pointer::get(&doc, f))
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    let siblings = parent_items(cx, world, res);
    let key = match given {
        Some(k) => match key_text(&k, r.key_integer) {
            Some(k) if siblings.is_some_and(|s| s.contains_key(k.as_ref())) => {
                return SimOutcome::error(409, format!("{}/{k} already exists", r.name));
            }
            Some(k) => k.into_owned(),
            // The body's schema let through a key the path's would not.
            None if cx.op.documents(400) => {
                return SimOutcome::error(400, format!("{k} is not an integer key for {}", r.name))
            }
            None => {
                return SimOutcome::Refused {
                    message: format!("{k} is not an integer key for {}", r.name),
                }
            }
        },
        None => match fresh_key(cx, world, res) {
            Ok(k) => k,
            Err(NoKey::Taken) => {
                return SimOutcome::Refused {
                    message: format!("no fresh key for {} could be generated", r.name),
                }
            }
            Err(NoKey::Unfit) => {
                return SimOutcome::Unanswerable {
                    message: unfit(cx, res),
                }
            }
        },
    };
    complete(cx, res, &key, &mut doc, world.seq);
    let more = Counts {
        items: 1 + world.would_make(cx.model, &cx.plan.chain, &cx.keys),
        values: 0,
        bytes: json_size(&doc),
    };
    if let Err(refused) = cx.admit(world.counts, more) {
        return refused;
    }
    let Ok(checked) = answer_check(cx, &doc) else {
        world.seq = seq;
        return respond(cx, Some(doc), Some(cx.item_path(res, &key)), None);
    };
    let slot = r.slot;
    let mut item = Item::new(cx.model, res);
    item.data = Some(Box::new(doc.clone()));
    let items = match world.find_mut(cx.model, &cx.plan.chain, &cx.keys, true) {
        Ok(Some(parent)) => parent.children.get_mut(slot),
        Ok(None) => world.roots.get_mut(res),
        Err(miss) => return cx.miss(miss),
    };
    let Some(items) = items else {
        return SimOutcome::internal("no place for the item");
    };
    items.insert(key.as_str().into(), item);
    world.counts.add(Counts {
        items: 1,
        values: 0,
        bytes: more.bytes,
    });
    let location = cx.item_path(res, &key);
    respond(cx, Some(doc), Some(location), checked)
}

/// What the server will make of the answer `doc` makes, judged as the
/// responder judges it: the media type the request's `Accept` picks
/// ([`negotiate::choose`], an error's first one when it picks none), and that
/// type's schema. `Err` when it refuses it: a success `Accept` admits no
/// documented type of is a 406, a document that breaks the picked type's
/// schema a 500 `invalid-response`. Such a write is answered without being
/// stored: a refused answer changes nothing (the item was kept, and every later
/// list of it was a 500 too). `Ok(Some)`: the schema `doc` was checked against
/// and fits, which the server then need not check again.
fn answer_check(cx: &Cx, doc: &Value) -> Result<Option<SchemaId>, ()> {
    let status = cx.plan.status;
    let Some(response) = cx.op.response_for(status) else {
        return Ok(None);
    };
    if response.content.is_empty() || crate::respond::bodiless(status) {
        return Ok(None);
    }
    let media = match negotiate::choose(cx.accept, &response.content) {
        Some(i) => &response.content[i],
        None if status >= 400 || cx.accept.is_none() => match response.primary_content() {
            Some(m) => m,
            None => return Ok(None),
        },
        None => return Err(()),
    };
    match media.schema.filter(|_| cx.plan.item_body) {
        Some(s) if !cx.contract.schemas.is_valid(s, doc) => Err(()),
        checked => Ok(checked),
    }
}

/// The items `res` is created among, when its parent exists.
fn parent_items<'a>(cx: &Cx, world: &'a World, res: usize) -> Option<&'a Items> {
    let parent = world.find(cx.model, &cx.plan.chain, &cx.keys).ok()?;
    world.items(cx.model, res, parent)
}

/// A key no sibling has: the next integer, or one generated from the key
/// parameter's schema (its pattern, format, length), else from the key field's
/// in the item's schema. It fits both: the path's, and the field's, which may
/// be stricter (`^pet_[0-9]+$` where the path says `string`).
fn fresh_key(cx: &Cx, world: &mut World, res: usize) -> Result<String, NoKey> {
    let r = &cx.model.resources[res];
    let taken =
        |world: &World, k: &str| parent_items(cx, world, res).is_some_and(|s| s.contains_key(k));
    // The key field's own schema in the item's: a candidate is checked against
    // it alone (not the whole document with the candidate put in, per
    // candidate), and not at all when it asks nothing of the field.
    let field = field_schema(cx.contract, r);
    let field = field.as_ref();
    let in_field = |v: &Value| field.is_none_or(|fs| cx.contract.schemas.is_valid_against(fs, v));
    let valid = |v: &Value| {
        r.key_schema
            .is_none_or(|s| cx.contract.schemas.is_valid(s, v))
            && in_field(v)
    };
    if r.key_integer {
        let next = parent_items(cx, world, res)
            .map(|s| {
                s.keys()
                    .filter_map(|k| k.parse::<i64>().ok())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
            .saturating_add(1);
        if valid(&Value::from(next)) {
            return Ok(next.to_string());
        }
    }
    let generator = cx.generator(Mode::Dynamic);
    let mut fits = false;
    for _ in 0..KEY_ATTEMPTS {
        world.seq = world.seq.wrapping_add(1);
        let mut rng = StdRng::seed_from_u64(world.seq);
        let mut v = match r.key_schema {
            Some(s) => generator.generate(s, &mut rng).unwrap_or_else(|best| best),
            None => Value::Null,
        };
        // The path's schema is the looser: the field's says what fits both.
        if let Some(fs) = field.filter(|_| !in_field(&v)) {
            v = generator
                .generate_value(fs, &mut rng)
                .unwrap_or_else(|best| best);
        }
        let text = match &v {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => format!("{}{}", r.name, world.seq),
        };
        if valid(&key_value(&text, r.key_integer)) {
            if !taken(world, &text) {
                return Ok(text);
            }
            fits = true;
        }
    }
    Err(if fits { NoKey::Taken } else { NoKey::Unfit })
}

/// The schema of `res`'s key field in its item's schema, when it asks
/// something of the field (not a free-form item, not `{}` or annotations only):
/// every declaration of it that `allOf` combines, at every step of its pointer
/// (`Base {petId: string}` and `{petId: {pattern}}`, or `meta` declared by two
/// members and `id` in each), together.
fn field_schema(contract: &Contract, r: &Resource) -> Option<Value> {
    let doc = &contract.document;
    let pointer = r.field.as_deref()?;
    let item = super::model::fields::source(contract, r.item_schema?);
    let all: Vec<&Value> = super::model::fields::declarations(doc, item, pointer)
        .into_iter()
        .filter(|s| asks_something(contract, s))
        .collect();
    match all.as_slice() {
        [] => None,
        [one] => Some((*one).clone()),
        many => Some(serde_json::json!({ "allOf": many })),
    }
}

/// Whether a field's schema asks anything of its value (more than annotations).
fn asks_something(contract: &Contract, schema: &Value) -> bool {
    const ANNOTATIONS: [&str; 6] = [
        "description",
        "title",
        "example",
        "examples",
        "readOnly",
        "writeOnly",
    ];
    crate::contract::schema::resolve(&contract.document, schema)
        .and_then(Value::as_object)
        .is_some_and(|o| o.keys().any(|k| !ANNOTATIONS.contains(&k.as_str())))
}

/// Why [`fresh_key`] found none.
enum NoKey {
    /// Keys that fit were drawn, each taken already.
    Taken,
    /// None drawn fits both the path parameter's schema and the key field's:
    /// the contract's problem, not a bound of the state.
    Unfit,
}

/// What an [`NoKey::Unfit`] create is answered with: which schemas no key met.
fn unfit(cx: &Cx, res: usize) -> String {
    let r = &cx.model.resources[res];
    let schemas = &cx.contract.schemas;
    let path = match r.key_schema {
        Some(s) => format!(
            "the path parameter {}'s schema (#{})",
            r.key,
            schemas.location(s)
        ),
        None => format!("the path parameter {}", r.key),
    };
    let field = match (&r.field, r.item_schema) {
        (Some(f), Some(s)) => format!(
            " and the field {f} of the item's schema (#{})",
            schemas.location(s)
        ),
        (Some(f), None) => format!(" and the field {f}"),
        _ => String::new(),
    };
    format!(
        "no key for a new item of {} could be generated that fits {path}{field}: the contract allows none this create could answer with",
        r.name
    )
}

/// PUT and PATCH. An implicit resource's item springs into existence.
fn update(cx: &Cx, world: &mut World, res: usize) -> SimOutcome {
    let r = &cx.model.resources[res];
    let key = cx.keys.last().cloned().unwrap_or_default();
    let creates = match world.find(cx.model, &cx.plan.chain, &cx.keys) {
        Ok(_) => false,
        Err(super::world::Miss::Absent { .. }) if cx.may_create(world, cx.plan.chain.len()) => true,
        Err(miss) => return cx.miss(miss),
    };
    let old = match world.find(cx.model, &cx.plan.chain, &cx.keys) {
        Ok(Some(item)) => Some(document(cx, res, &key, item)),
        _ => None,
    };
    let body = cx.body.cloned().unwrap_or(Value::Null);
    let mut doc = match (&cx.plan.action, old) {
        (Action::Merge { .. }, Some(mut old)) => {
            merge_patch(&mut old, &body, 0);
            old
        }
        (Action::Merge { .. }, None) => {
            let mut d = Value::Object(Map::new());
            merge_patch(&mut d, &body, 0);
            d
        }
        _ => body,
    };
    // A replacement lacks what the server fills in; a patch that removes a
    // required field is the client's mistake, reported below.
    match &cx.plan.action {
        Action::Merge { .. } => {
            if let Some(f) = &r.field {
                set_pointer(&mut doc, f, key_value(&key, r.key_integer));
            }
        }
        _ => complete(cx, res, &key, &mut doc, hash(key.as_bytes())),
    }
    if let (Action::Merge { .. }, Some(s)) = (&cx.plan.action, r.item_schema) {
        if let Some(v) = cx.contract.schemas.violations(s, &doc).items.first() {
            let at = if v.pointer.is_empty() {
                "/"
            } else {
                v.pointer.as_str()
            };
            return SimOutcome::error(
                400,
                format!(
                    "after the patch, {}/{key} would break its schema at {at}: {}",
                    r.name, v.message
                ),
            );
        }
    }
    let bytes = json_size(&doc);
    let made = if creates {
        world.would_make(cx.model, &cx.plan.chain, &cx.keys)
    } else {
        0
    };
    if let Err(refused) = cx.admit(
        world.counts,
        Counts {
            items: made,
            values: 0,
            bytes,
        },
    ) {
        return refused;
    }
    let Ok(checked) = answer_check(cx, &doc) else {
        return respond(cx, Some(doc), None, None);
    };
    let stored = match world.find_mut(cx.model, &cx.plan.chain, &cx.keys, creates) {
        Ok(Some(item)) => item,
        Ok(None) => return SimOutcome::error(404, "nothing to update"),
        Err(miss) => return cx.miss(miss),
    };
    let before = stored.data.as_deref().map_or(0, json_size);
    stored.data = Some(Box::new(doc.clone()));
    world.counts.sub(Counts {
        items: 0,
        values: 0,
        bytes: before,
    });
    world.counts.add(Counts {
        items: 0,
        values: 0,
        bytes,
    });
    respond(cx, Some(doc), None, checked)
}

fn delete(cx: &Cx, world: &mut World, res: usize, cascade: bool) -> SimOutcome {
    let r = &cx.model.resources[res];
    let depth = cx.plan.chain.len();
    let creates = match world.find(cx.model, &cx.plan.chain, &cx.keys) {
        Ok(Some(item)) => {
            if !cascade
                && item
                    .children
                    .iter()
                    .any(|c| c.values().any(|i| i.life == Life::Live))
            {
                let key = cx.keys.last().map_or("", |k| k.as_ref());
                return SimOutcome::error(
                    409,
                    format!("{}/{key} still has items under it", r.name),
                );
            }
            false
        }
        Ok(None) => return SimOutcome::error(404, "nothing to delete"),
        // A never-seen item of an implicit resource is written by its deletion:
        // it existed for the request, and is gone after it.
        Err(super::world::Miss::Absent { .. }) if cx.may_create(world, depth) => true,
        Err(miss) => return cx.miss(miss),
    };
    if creates {
        let made = world.would_make(cx.model, &cx.plan.chain, &cx.keys);
        if let Err(refused) = cx.admit(
            world.counts,
            Counts {
                items: made,
                values: 0,
                bytes: 0,
            },
        ) {
            return refused;
        }
    }
    let key = cx.keys.last().cloned().unwrap_or_default();
    let doc = world
        .find(cx.model, &cx.plan.chain, &cx.keys)
        .ok()
        .flatten()
        .map(|i| document(cx, res, &key, i));
    let (before, after) = {
        let item = match world.find_mut(cx.model, &cx.plan.chain, &cx.keys, creates) {
            Ok(Some(item)) => item,
            Ok(None) => return SimOutcome::error(404, "nothing to delete"),
            Err(miss) => return cx.miss(miss),
        };
        let before = item.counts();
        item.bury(Life::Deleted);
        (before, item.counts())
    };
    world.counts.sub(before);
    if r.implicit {
        world.counts.add(after);
    } else {
        // Not implicit: the key may be used again, so nothing is kept.
        let up = depth.saturating_sub(1);
        let items = match world.find_mut(cx.model, &cx.plan.chain[..up], &cx.keys[..up], false) {
            Ok(Some(p)) => p.children.get_mut(r.slot),
            _ => world.roots.get_mut(res),
        };
        if let Some(items) = items {
            items.shift_remove(key.as_ref());
        }
    }
    respond(cx, doc, None, None)
}

/// RFC 7386: objects merge member by member, `null` removes, anything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value, depth: usize) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if v.is_null() {
            t.shift_remove(k);
        } else if depth >= PATCH_DEPTH {
            t.insert(k.clone(), v.clone());
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        // The examples of RFC 7386, section 3.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch, 0);
            assert_eq!(target, want, "patch {patch}");
        }
    }
}

#[cfg(test)]
mod key_field_tests {
    use super::field_schema;
    use crate::contract::Contract;
    use crate::state::model::StateModel;

    fn contract(id: &str) -> Contract {
        let text = format!(
            "
openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /pets:
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema: {{type: object, properties: {{name: {{type: string}}}}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Pet'}}
  /pets/{{petId}}:
    get:
      operationId: getPet
      parameters:
        - {{name: petId, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Pet'}}
components:
  schemas:
    Key: {{type: string, pattern: '^pet_[0-9]+$'}}
    Pet:
      type: object
      properties:
        petId: {id}
        name: {{type: string}}
"
        );
        Contract::from_text("pets.yaml", &text).unwrap()
    }

    /// A candidate key is checked against the key field's own schema, and not at
    /// all when it asks nothing of the field (it was checked by putting it in a
    /// copy of the whole body and listing the copy's every violation, per
    /// candidate).
    #[test]
    fn a_key_is_checked_against_its_fields_schema_alone() {
        for (id, constrains) in [
            ("{}", false),
            ("{description: the key, example: pet_1}", false),
            ("{type: string, pattern: '^pet_[0-9]+$'}", true),
            ("{$ref: '#/components/schemas/Key'}", true),
        ] {
            let c = contract(id);
            let model = StateModel::infer(&c);
            let r = model
                .resources
                .iter()
                .find(|r| r.field.is_some())
                .unwrap_or_else(|| panic!("{id}: no key field in {model:?}"));
            let found = field_schema(&c, r);
            assert_eq!(found.is_some(), constrains, "{id}: {found:?}");
            if let Some(fs) = found {
                assert!(c.schemas.is_valid_against(&fs, &"pet_12".into()), "{id}");
                assert!(!c.schemas.is_valid_against(&fs, &"12".into()), "{id}");
            }
        }
    }
}
