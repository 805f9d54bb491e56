//! What one request brings to the engine, what the engine answers, and the
//! helpers every action shares: reading keys and body fields, turning a missing
//! item into the contract's 404 or a redirect, building bodies in the contract's
//! shapes.

use std::borrow::Cow;
use std::collections::HashSet;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{Map, Value};

use super::limits::Limits;
use super::model::{fields, Action, OpPlan, StateModel};
use super::sim::SimOutcome;
use super::world::{Counts, Hasher, Miss, World};
use crate::contract::{schema, Contract, Operation, SchemaId};
use crate::generate::{Generator, Mode};

/// One request, as the engine sees it.
pub(crate) struct Cx<'a> {
    pub(crate) contract: &'a Contract,
    pub(crate) model: &'a StateModel,
    pub(crate) op: &'a Operation,
    pub(crate) plan: &'a OpPlan,
    /// What the plan's success body needs from the contract, worked out at start.
    pub(crate) prepared: &'a Prepared,
    /// Keys along `plan.chain`, integer keys in canonical form.
    pub(crate) keys: smallvec::SmallVec<[Key<'a>; 3]>,
    pub(crate) path: &'a [(&'a str, &'a str)],
    pub(crate) query: &'a [(Cow<'a, str>, Cow<'a, str>)],
    pub(crate) body: Option<&'a Value>,
    /// The request's `Accept`: which documented media type answers.
    pub(crate) accept: Option<&'a str>,
    pub(crate) limits: Limits,
    /// What all sessions held when the request arrived.
    pub(crate) totals: Counts,
    /// Only seeded items exist: nothing springs into existence.
    pub(crate) strict: bool,
}

impl<'a> Cx<'a> {
    pub(crate) fn path_param(&self, name: &str) -> Option<&'a str> {
        self.path.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The text at a body pointer (numbers as written), or the 400 saying what is wrong.
    /// Borrowed from the body when it is a string there.
    pub(crate) fn body_text(&self, pointer: &str) -> Result<Cow<'a, str>, SimOutcome> {
        match self
            .body
            .and_then(|b| crate::support::pointer::get(b, pointer))
        {
            Some(Value::String(s)) => Ok(Cow::Borrowed(s)),
            Some(Value::Number(n)) => Ok(Cow::Owned(n.to_string())),
            _ => Err(SimOutcome::error(
                400,
                format!("the body has no text at {pointer}"),
            )),
        }
    }

    /// `Err` (a mimeo error) when taking `more` would pass a bound.
    pub(crate) fn admit(&self, session: Counts, more: Counts) -> Result<(), SimOutcome> {
        self.limits.admit(session, self.totals, more)
    }

    /// The answer for a path that leads to no live item.
    pub(crate) fn miss(&self, miss: Miss) -> SimOutcome {
        let name = |res: usize| singular(&self.model.resources[res].name);
        match miss {
            Miss::Absent { res, key } => {
                SimOutcome::error(404, format!("{} {key} does not exist", name(res)))
            }
            Miss::Deleted { res, key } => {
                SimOutcome::error(404, format!("{} {key} was deleted", name(res)))
            }
            Miss::Merged { res, canonical } => {
                let (read, write) = self.model.resources[res].redirect.unwrap_or((301, 308));
                SimOutcome::Redirect {
                    status: if self.plan.read { read } else { write },
                    param: self.model.resources[res].key.clone(),
                    canonical,
                }
            }
        }
    }

    /// Whether missing items along the chain may spring into existence.
    pub(crate) fn may_create(&self, world: &World, upto: usize) -> bool {
        !self.strict
            && self.may_make(
                upto,
                world.would_make(self.model, &self.plan.chain[..upto], &self.keys[..upto]),
            )
    }

    /// [`Cx::may_create`] with the `missing` count known: whether the last
    /// `missing` of the chain's first `upto` resources may spring into existence.
    pub(crate) fn may_make(&self, upto: usize, missing: usize) -> bool {
        !self.strict
            && self.plan.chain[upto - missing..upto]
                .iter()
                .all(|r| self.model.resources[*r].implicit)
    }

    /// The path of an item of `res` whose key is `key`, under this request's chain,
    /// for a `Location` header.
    pub(crate) fn item_path(&self, res: usize, key: &str) -> String {
        let template = match self.model.item_plan(res) {
            Some(p) => self.contract.op(p.op_index).path().to_string(),
            None => format!("{}/{{{}}}", self.op.path(), self.model.resources[res].key),
        };
        let mut out = template;
        let own = &self.model.resources[res].key;
        for (r, k) in self.plan.chain.iter().zip(&self.keys) {
            out = out.replace(&format!("{{{}}}", self.model.resources[*r].key), &encode(k));
        }
        out.replace(&format!("{{{own}}}"), &encode(key))
    }

    /// [`fit`]s a success body to its schema `id`, by the prepared plan.
    pub(crate) fn fit_body(&self, body: &mut Value, id: SchemaId) {
        if let Some(fitted) = &self.prepared.fit {
            fitted.apply(body, |body| {
                let doc = &self.contract.document;
                let s = fields::source(self.contract, id);
                fit(body, s, doc, &self.generator(Mode::Static), 0);
            });
        }
    }

    /// A generator over the contract's document.
    pub(crate) fn generator(&self, mode: Mode) -> Generator<'_> {
        Generator::new(&self.contract.schemas, mode)
    }
}

/// A path segment, percent-encoded.
fn encode(s: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A key as a request names it: borrowed from the path unless it had to be
/// made canonical (a request's keys are found far more often than kept).
pub(crate) type Key<'a> = Cow<'a, str>;

/// The canonical text of a key: integers without leading zeros or `+`.
pub(crate) fn key_text(raw: &str, integer: bool) -> Option<Key<'_>> {
    if !integer {
        return Some(Cow::Borrowed(raw));
    }
    let n = raw.parse::<i64>().ok()?;
    let canonical = n.to_string();
    Some(if canonical == raw {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(canonical)
    })
}

/// A key as a JSON value of its kind.
pub(crate) fn key_value(key: &str, integer: bool) -> Value {
    match key.parse::<i64>() {
        Ok(n) if integer => Value::from(n),
        _ => Value::String(key.to_string()),
    }
}

/// Sets the value at a JSON pointer, making objects on the way; `""` replaces
/// the whole value. Array positions on the way are not made.
pub(crate) fn set_pointer(target: &mut Value, pointer: &str, v: Value) {
    if pointer.is_empty() {
        *target = v;
        return;
    }
    // Token by token, without collecting them: this runs for every body built.
    set_along(target, pointer_parts(pointer), v);
}

/// A pointer for [`set_tokens`]: its tokens, unescaped, as [`set_pointer`]
/// reads them (`""` has none: it names the whole value).
pub(crate) fn pointer_tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer_parts(pointer).map(Cow::into_owned).collect()
}

/// [`set_pointer`] with the pointer split beforehand ([`pointer_tokens`]).
pub(crate) fn set_tokens(target: &mut Value, tokens: &[String], v: Value) {
    if tokens.is_empty() {
        *target = v;
        return;
    }
    set_along(target, tokens.iter().map(|t| Cow::Borrowed(t.as_str())), v);
}

/// The tokens of a non-empty pointer, unescaped (a missing leading `/` is
/// forgiven).
fn pointer_parts(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(crate::support::pointer::unescape)
}

/// Sets `v` at the end of `tokens` (at least one), making objects on the way.
fn set_along<'t>(target: &mut Value, tokens: impl Iterator<Item = Cow<'t, str>>, v: Value) {
    let mut tokens = tokens.peekable();
    let mut at = target;
    while let Some(t) = tokens.next() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(m) = at else { return };
        if tokens.peek().is_none() {
            m.insert(t.into_owned(), v);
            return;
        }
        at = m.entry(t.into_owned()).or_insert(Value::Null);
    }
}

/// What one operation's success body needs from the contract, worked out once
/// when the simulation starts rather than walked in the schema per request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    /// The success body's schema ([`fields::response_schema`]).
    pub(crate) schema: Option<SchemaId>,
    /// How [`fit`] shapes a body in that schema; `None`: it leaves it alone.
    pub(crate) fit: Option<Fitted>,
    /// List actions: the `maxItems` of the array.
    pub(crate) max_items: Option<usize>,
    /// Set actions: where an entry keeps its key and its values.
    pub(crate) entry: Option<(Vec<String>, Vec<String>)>,
    /// When those are two fields of the entry itself: the entry with both, in
    /// that order (null), which an entry is cloned from and filled in rather
    /// than built field by field (each insert hashed the name, with SipHash).
    pub(crate) entry_shape: Option<Map<String, Value>>,
}

impl Prepared {
    pub(crate) fn new(contract: &Contract, model: &StateModel, plan: &OpPlan) -> Prepared {
        let op = contract.op(plan.op_index);
        let doc = &contract.document;
        let schema = fields::response_schema(op, plan.status);
        let src = schema.map(|s| fields::source(contract, s));
        let max_items = match &plan.action {
            Action::List { array, .. } | Action::ListEntries { array, .. } => src
                .and_then(|s| fields::walk(doc, s, array).ok().flatten())
                .and_then(|a| fields::max_items(doc, a)),
            _ => None,
        };
        let entry = match &plan.action {
            Action::Add { set, .. }
            | Action::Change { set, .. }
            | Action::Remove { set, .. }
            | Action::ReadEntry { set }
            | Action::ListEntries { set, .. } => model.sets.get(*set).map(|s| {
                (
                    pointer_tokens(&s.entry_key),
                    pointer_tokens(&s.entry_values),
                )
            }),
            _ => None,
        };
        let entry_shape = entry.as_ref().and_then(|(k, v)| match (&k[..], &v[..]) {
            ([k], [v]) if k != v => {
                let mut shape = Map::with_capacity(2);
                shape.insert(k.clone(), Value::Null);
                shape.insert(v.clone(), Value::Null);
                Some(shape)
            }
            _ => None,
        });
        Prepared {
            schema,
            fit: src.and_then(|s| Fitted::new(s, doc)),
            max_items,
            entry,
            entry_shape,
        }
    }
}

/// What [`fit`] needs of a schema to see that a body needs nothing generated:
/// the names it requires and, for a closed schema, the names it allows.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    /// Every part's required names, in the order `fit` looks at them.
    required: Vec<String>,
    /// The properties a closed schema keeps (`fit` drops the others).
    allowed: Option<HashSet<String, Hasher>>,
}

impl Fitted {
    /// `None` when the schema does not resolve (`fit` then does nothing).
    pub(crate) fn new(schema_value: &Value, cx_doc: &Value) -> Option<Fitted> {
        let s = schema::resolve(cx_doc, schema_value)?;
        let parts = fit_parts(s, cx_doc);
        let required = parts
            .iter()
            .flat_map(|part| {
                part.get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let allowed = closed(&parts, s).map(|props| props.keys().cloned().collect());
        Some(Fitted { required, allowed })
    }

    /// [`fit`] by this plan: when every required name is there nothing is
    /// generated, so only a closed schema's pruning is left; otherwise `fit`
    /// itself (`full`) runs.
    pub(crate) fn apply(&self, doc: &mut Value, full: impl FnOnce(&mut Value)) {
        let Value::Object(m) = doc else { return };
        if self.required.iter().any(|n| !m.contains_key(n.as_str())) {
            full(doc);
            return;
        }
        if let Some(allowed) = &self.allowed {
            m.retain(|k, _| allowed.contains(k.as_str()));
        }
    }
}

/// The schemas `fit` reads: `s` and its resolved `allOf` members.
fn fit_parts<'a>(s: &'a Value, cx_doc: &'a Value) -> Vec<&'a Value> {
    let mut parts = vec![s];
    for member in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = schema::resolve(cx_doc, member) {
            parts.push(r);
        }
    }
    parts
}

/// The properties of a closed schema, whose others `fit` drops.
fn closed<'a>(parts: &[&Value], s: &'a Value) -> Option<&'a Map<String, Value>> {
    if parts.len() == 1 && s.get("additionalProperties") == Some(&Value::Bool(false)) {
        s.get("properties").and_then(Value::as_object)
    } else {
        None
    }
}

/// Adds the required properties an object lacks, generated from `schema`
/// (one level, through `allOf`), and drops properties a closed schema forbids.
pub(crate) fn fit(
    doc: &mut Value,
    schema_value: &Value,
    cx_doc: &Value,
    generator: &Generator,
    seed: u64,
) {
    let Some(s) = schema::resolve(cx_doc, schema_value) else {
        return;
    };
    let Value::Object(m) = doc else { return };
    let parts = fit_parts(s, cx_doc);
    let mut rng = StdRng::seed_from_u64(seed);
    for part in &parts {
        let props = part.get("properties").and_then(Value::as_object);
        for name in part
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = name.as_str() else { continue };
            if m.contains_key(name) {
                continue;
            }
            let generated = match props.and_then(|p| p.get(name)) {
                Some(p) => generator
                    .generate_value(p, &mut rng)
                    .unwrap_or_else(|best| best),
                None => Value::Null,
            };
            m.insert(name.to_string(), generated);
        }
    }
    if let Some(props) = closed(&parts, s) {
        m.retain(|k, _| props.contains_key(k));
    }
}

/// A small stable hash (FNV-1a), for seeding generation from a key.
pub(crate) fn hash(s: &[u8]) -> u64 {
    s.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Puts `array` where the list response keeps it, with whatever else the
/// response requires generated around it; cut to the array's `maxItems`.
pub(crate) fn list_body(cx: &Cx, array_at: &str, mut items: Vec<Value>) -> Value {
    // All of them, before the array is cut to what the schema shows.
    let count = items.len();
    let schema_id = cx.prepared.schema;
    if let Some(max) = cx.prepared.max_items {
        items.truncate(max);
    }
    if array_at.is_empty() {
        return Value::Array(items);
    }
    let mut body = Value::Object(Map::new());
    set_pointer(&mut body, array_at, Value::Array(items));
    if let Some(id) = schema_id {
        cx.fit_body(&mut body, id);
        // A count beside the array says how many there are, when the schema
        // allows that number (it was generated otherwise).
        for name in ["total", "count", "totalCount", "total_count"] {
            if let Some(v) = body.get_mut(name).filter(|v| v.is_u64()) {
                let previous = std::mem::replace(v, Value::from(count));
                if !schema_id.is_none_or(|id| cx.contract.schemas.is_valid(id, &body)) {
                    if let Some(v) = body.get_mut(name) {
                        *v = previous;
                    }
                }
            }
        }
    }
    body
}

/// A resource's name for one item in messages (`stores` -> `store`).
pub(crate) fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix('s').filter(|s| !s.is_empty()) {
        stem.to_string()
    } else {
        name.to_string()
    }
}
