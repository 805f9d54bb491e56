//! Guessing a state model from a contract's paths (`mimeo state infer`), the way
//! Specmatic or swagger-express-middleware do: `/pets` and `/pets/{petId}` are a
//! collection and its items; POST on the collection creates, GET lists; GET,
//! PUT, PATCH and DELETE on an item read, replace, merge and delete; nesting
//! follows path prefixes (`/owners/{ownerId}/pets/{petId}`).
//!
//! The guess is written in the model file's raw form and put through the same
//! checks as a hand-written model: an operation the checks refuse (say, a create
//! that would need an undocumented 409) is left out with the reason, so the
//! result always loads.

use indexmap::IndexMap;
use serde_saphyr::{Location, Spanned};

use super::check;
use super::fields::{self, walk};
use super::raw::{RawModel, RawOp, RawResource};
use super::{StateModel, RESERVED};
use crate::contract::{Contract, Operation};
use hyper::Method;

/// One resource of the guess: its name, key parameter and parent.
struct Guess {
    name: String,
    key: String,
    parent: Option<Vec<String>>,
}

/// How a path reads: `(literal, {param})` levels, then an item or a collection.
struct Shape {
    levels: Vec<(String, String)>,
    /// The trailing literal of a collection path (`/pets`), `None` for an item path.
    collection: Option<String>,
}

fn shape(path: &str) -> Option<Shape> {
    let mut levels = Vec::new();
    let mut literal: Option<&str> = None;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => levels.push((literal.take()?.to_string(), param.to_string())),
            None => literal = Some(seg),
        }
    }
    Some(Shape {
        levels,
        collection: literal.map(str::to_string),
    })
}

fn spanned<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Location::UNKNOWN, Location::UNKNOWN)
}

fn empty_op() -> RawOp {
    RawOp {
        create: None,
        read: None,
        list: None,
        replace: None,
        merge: None,
        delete: None,
        add: None,
        change: None,
        remove: None,
        key: None,
        value: None,
        old: None,
        new: None,
        all: None,
        array: None,
        status: None,
        cascade: None,
    }
}

/// `DataMappings` -> `dataMappings`, `line-items` -> `lineItems`.
fn camel(literal: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in literal.chars() {
        if c.is_ascii_alphanumeric() {
            if out.is_empty() {
                out.push(c.to_ascii_lowercase());
            } else if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() {
        out.push_str("items");
    }
    out
}

/// An operation as `left_out` names it: `listPets (GET /pets)`, or `GET /toys`
/// for one without an operationId of its own (its name is its method and path).
fn named(op: &Operation) -> String {
    match op.operation_id() {
        Some(id) => format!("{id} ({})", op.label()),
        None => op.label(),
    }
}

/// The contract's guess; operations that cannot be placed are listed in `left_out`.
pub(super) fn infer(contract: &Contract) -> StateModel {
    let mut guesses: IndexMap<Vec<String>, Guess> = IndexMap::new();
    let mut planned: Vec<(String, Vec<String>, &'static str)> = Vec::new();
    let mut left_out = Vec::new();
    for op in &contract.operations {
        // Named as models name it: its operationId, else its method and path.
        let id = op.name();
        match classify(contract, op) {
            Ok((identity, levels, verb)) => {
                let mut at = Vec::new();
                for (i, (literal, param)) in levels.iter().enumerate() {
                    let parent = (i > 0).then(|| at.clone());
                    at.push(param.clone());
                    if !guesses.contains_key(&at) {
                        let name = unique_name(&guesses, literal, parent.as_ref());
                        guesses.insert(
                            at.clone(),
                            Guess {
                                name,
                                key: param.clone(),
                                parent,
                            },
                        );
                    }
                }
                planned.push((id, identity, verb));
            }
            Err(why) => left_out.push(format!("{}: {why}", named(op))),
        }
    }
    // Resources the kept operations use, with their parents; implicit when no
    // kept operation creates them.
    let resources =
        |kept: &[(&String, &Vec<String>, &'static str)]| -> IndexMap<String, Spanned<RawResource>> {
            guesses
                .iter()
                .filter(|(identity, _)| kept.iter().any(|(_, u, _)| u.starts_with(identity)))
                .map(|(identity, g)| {
                    let creates = kept
                        .iter()
                        .any(|(_, i, verb)| *i == identity && *verb == "create");
                    let field = id_field(contract, &planned, identity, g);
                    let r = RawResource {
                        key: spanned(g.key.clone()),
                        parent: g
                            .parent
                            .as_ref()
                            .and_then(|p| guesses.get(p))
                            .map(|p| spanned(p.name.clone())),
                        field: field.map(spanned),
                        implicit: !creates,
                        redirect: None,
                    };
                    (g.name.clone(), spanned(r))
                })
                .collect()
        };
    let raw_op = |id: &str, identity: &Vec<String>, verb: &str| {
        let target = Some(spanned(
            guesses
                .get(identity)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
        ));
        let mut op = empty_op();
        match verb {
            "create" => op.create = target,
            "read" => op.read = target,
            "list" => op.list = target,
            "replace" => op.replace = target,
            "merge" => op.merge = target,
            _ => op.delete = target,
        }
        (id.to_string(), spanned(op))
    };
    // Each operation alone first, so one that fails the checks is left out
    // with the reason rather than sinking the whole guess.
    let mut kept = Vec::new();
    for (id, identity, verb) in &planned {
        let raw = RawModel {
            resources: resources(&[(id, identity, verb)]),
            sets: IndexMap::new(),
            operations: spanned([raw_op(id, identity, verb)].into_iter().collect()),
        };
        match check::model("inferred", &raw, contract) {
            Ok(_) => kept.push((id, identity, *verb)),
            Err(e) => {
                let name = contract
                    .operation_named(id)
                    .map_or_else(|| id.clone(), named);
                let why: Vec<String> = e.0.iter().map(|e| e.message().to_string()).collect();
                left_out.push(format!("{name}: {}", why.join("; ")));
            }
        }
    }
    let raw = RawModel {
        resources: resources(&kept),
        sets: IndexMap::new(),
        operations: spanned(kept.iter().map(|(id, i, v)| raw_op(id, i, v)).collect()),
    };
    match check::model("inferred", &raw, contract) {
        Ok(mut m) => {
            m.left_out = left_out;
            m
        }
        Err(e) => {
            left_out.extend(e.0.iter().map(|e| e.message().to_string()));
            StateModel::assemble(Vec::new(), Vec::new(), Vec::new(), left_out)
        }
    }
}

/// The resource (by its key parameters) and action of one operation.
#[allow(clippy::type_complexity)]
fn classify(
    contract: &Contract,
    op: &Operation,
) -> Result<(Vec<String>, Vec<(String, String)>, &'static str), String> {
    let s = shape(op.path())
        .ok_or("a path parameter without a name before it is not a collection or item path")?;
    let params: Vec<String> = s.levels.iter().map(|(_, p)| p.clone()).collect();
    match &s.collection {
        None => {
            let verb = match op.method {
                Method::GET => "read",
                Method::PUT => "replace",
                Method::PATCH => "merge",
                Method::DELETE => "delete",
                _ => {
                    return Err(format!(
                        "{} on an item path is not a CRUD action",
                        op.method
                    ))
                }
            };
            if params.is_empty() {
                return Err("no path parameter names an item".into());
            }
            Ok((params, s.levels, verb))
        }
        Some(literal) => {
            let verb = match op.method {
                Method::GET => "list",
                Method::POST => "create",
                _ => {
                    return Err(format!(
                        "{} on a collection path is not a CRUD action",
                        op.method
                    ))
                }
            };
            // The key comes from the item path under this collection.
            let key = contract.operations.iter().find_map(|o| {
                let item = shape(o.path())?;
                let (last, rest) = item.levels.split_last()?;
                (item.collection.is_none() && rest == s.levels.as_slice() && last.0 == *literal)
                    .then(|| last.1.clone())
            });
            let Some(key) = key else {
                return Err(format!(
                    "no item path under it (`{}/{{id}}`) names its key",
                    op.path
                ));
            };
            let mut levels = s.levels;
            levels.push((literal.clone(), key));
            let identity = levels.iter().map(|(_, p)| p.clone()).collect();
            Ok((identity, levels, verb))
        }
    }
}

fn unique_name(
    guesses: &IndexMap<Vec<String>, Guess>,
    literal: &str,
    parent: Option<&Vec<String>>,
) -> String {
    let mut name = camel(literal);
    if RESERVED.contains(&name.as_str()) {
        name.push_str("Items");
    }
    if guesses.values().any(|g| g.name == name) {
        if let Some(p) = parent.and_then(|p| guesses.get(p)) {
            let mut c = camel(literal);
            if let Some(first) = c.get(..1).map(str::to_ascii_uppercase) {
                c.replace_range(..1, &first);
            }
            name = format!("{}{c}", p.name);
        }
    }
    let base = name.clone();
    let mut n = 2;
    while guesses.values().any(|g| g.name == name) && n < 1000 {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// The body field holding the key: `id`, the parameter's name, `<singular>Id`,
/// or the first required text or integer field of the item's schema.
fn id_field(
    contract: &Contract,
    planned: &[(String, Vec<String>, &str)],
    identity: &[String],
    g: &Guess,
) -> Option<String> {
    let doc = &contract.document;
    let ops: Vec<(&Operation, &str)> = planned
        .iter()
        .filter(|(_, i, _)| i == identity)
        .filter_map(|(id, _, verb)| Some((contract.operation_named(id)?, *verb)))
        .collect();
    let schema = ops
        .iter()
        .find(|(_, v)| *v == "read")
        .or_else(|| ops.iter().find(|(_, v)| *v == "create"))
        .and_then(|(op, _)| fields::response_schema(op, op.default_status()))
        .or_else(|| {
            ops.iter()
                .find(|(_, v)| *v == "create")
                .and_then(|(op, _)| fields::request_schema(op))
        })?;
    let src = fields::source(contract, schema);
    let singular = g.name.strip_suffix('s').unwrap_or(&g.name);
    let candidates = ["id".to_string(), g.key.clone(), format!("{singular}Id")];
    if let Some(c) = candidates
        .iter()
        .find(|c| matches!(walk(doc, src, &format!("/{c}")), Ok(Some(_))))
    {
        return Some(format!("/{c}"));
    }
    let resolved = crate::contract::schema::resolve(doc, src)?;
    resolved
        .get("required")?
        .as_array()?
        .iter()
        .filter_map(|n| n.as_str())
        .find(|n| {
            walk(doc, src, &format!("/{n}"))
                .ok()
                .flatten()
                .and_then(|s| fields::type_of(doc, s))
                .is_some_and(|t| t == "string" || t == "integer")
        })
        .map(|n| format!("/{n}"))
}
