//! How much work validating one value against a schema can take, found before
//! the schema is compiled.
//!
//! The validator (jsonschema) evaluates every branch of `allOf`/`anyOf`/`oneOf`/
//! `not` and every `$ref` for every value, without sharing work between branches.
//! So a chain of schemas that each compose the next twice costs 2^n evaluations
//! for one value (40 levels never finish), and a schema that applies itself twice
//! to a property doubles at each level of the value. Neither is a cycle (those
//! the validator cuts), so neither is caught by a depth limit.
//!
//! The *fan-out* of a schema is the most schemas the validator can apply to one
//! value found anywhere in an instance: at the top (the schemas composed there,
//! counted with repetition), and at each depth below (through `properties`,
//! `patternProperties`, `additionalProperties`, `items`, `additionalItems`, for
//! the worst member name or item), down to 128 levels (JSON nested deeper does
//! not parse). The work of validating a value is at most the fan-out times the
//! number of values in it. A schema whose fan-out passes [`MAX_FANOUT`] is not
//! compiled: it is reported at load and accepts every value, like a schema that
//! cannot be compiled.
//!
//! Computing it is linear in the schema graph per level of depth: schemas are
//! nodes (by address; `$ref`s are edges), the count at each depth is summed over
//! the graph once, and the iteration stops as soon as the counts stop changing.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

/// The most schemas one value may be checked against (see the module docs).
pub(crate) const MAX_FANOUT: u64 = 1_000;

/// The deepest value the count follows (JSON nested deeper does not parse).
const MAX_DEPTH: usize = 128;

/// The most schema nodes one analysis looks at; a larger graph counts as over
/// budget (no real document comes near: GitHub's REST description has far fewer).
const MAX_NODES: usize = 2_000_000;

/// Counts are kept up to this (anything above [`MAX_FANOUT`] is refused anyway).
const CAP: u64 = MAX_FANOUT * 1_000;

/// Which values below a schema a child schema applies to.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Key<'a> {
    /// The member with this name (`properties`).
    Name(&'a str),
    /// Any member (`additionalProperties`, `patternProperties`: counted as
    /// applying to every member, an upper bound).
    Wild,
    /// Any item (`items`, `additionalItems`, tuple entries: likewise).
    Item,
}

#[derive(Default)]
struct Node<'a> {
    /// Schemas applied to the same value: composition, `not`, `$ref`, schema
    /// `dependencies`.
    same: Vec<usize>,
    /// Schemas applied to members or items.
    children: Vec<(Key<'a>, usize)>,
    /// An already analysed schema: counted as its fan-out at every depth.
    known: Option<u64>,
}

/// The fan-out of every schema reachable from some roots, by address.
pub(crate) struct Fanouts {
    /// By the schema's address in the document.
    by_node: HashMap<usize, u64>,
}

impl Fanouts {
    /// Analyses the schemas `roots` (their `$ref`s point into `document`).
    /// Schemas in `known` are not walked again: their fan-out is taken as given.
    pub(crate) fn analyse<'a>(
        document: &'a Value,
        roots: impl IntoIterator<Item = &'a Value>,
        known: Option<&Fanouts>,
    ) -> Fanouts {
        let mut graph = Graph {
            document,
            ids: HashMap::new(),
            nodes: Vec::new(),
            values: Vec::new(),
            todo: Vec::new(),
            known,
        };
        for root in roots {
            graph.id(root);
            if !graph.drain() {
                // Too large to analyse: every schema in it counts as over budget.
                return Fanouts {
                    by_node: graph.ids.keys().map(|&k| (k, CAP)).collect(),
                };
            }
        }
        let fan = graph.fanouts();
        Fanouts {
            by_node: graph
                .values
                .iter()
                .zip(fan)
                .map(|(v, f)| (address(v), f))
                .collect(),
        }
    }

    /// The fan-out of `schema`, if it was analysed.
    pub(crate) fn get(&self, schema: &Value) -> Option<u64> {
        self.by_node.get(&address(schema)).copied()
    }
}

/// A schema's identity: where it is in memory (the document does not move).
fn address(v: &Value) -> usize {
    v as *const Value as usize
}

struct Graph<'a, 'k> {
    document: &'a Value,
    ids: HashMap<usize, usize>,
    nodes: Vec<Node<'a>>,
    values: Vec<&'a Value>,
    todo: Vec<usize>,
    known: Option<&'k Fanouts>,
}

impl<'a> Graph<'a, '_> {
    fn id(&mut self, v: &'a Value) -> usize {
        let key = address(v);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.nodes.len();
        self.ids.insert(key, id);
        let known = self.known.and_then(|k| k.get(v));
        self.nodes.push(Node {
            known,
            ..Node::default()
        });
        self.values.push(v);
        if known.is_none() {
            self.todo.push(id);
        }
        id
    }

    /// Walks everything reachable; `false` when the graph is too large.
    fn drain(&mut self) -> bool {
        while let Some(id) = self.todo.pop() {
            if self.nodes.len() > MAX_NODES {
                return false;
            }
            let Value::Object(map) = self.values[id] else {
                continue;
            };
            let mut same = Vec::new();
            let mut children = Vec::new();
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        let target = r
                            .strip_prefix('#')
                            .and_then(|p| super::refs::lookup(self.document, p));
                        if let Some(t) = target {
                            same.push(self.id(t));
                        }
                    }
                    ("allOf" | "anyOf" | "oneOf", Value::Array(items)) => {
                        for i in items {
                            same.push(self.id(i));
                        }
                    }
                    // 2020-12 applies these to the same value too.
                    ("not" | "if" | "then" | "else", v @ Value::Object(_)) => same.push(self.id(v)),
                    ("dependencies" | "dependentSchemas", Value::Object(deps)) => {
                        for d in deps.values().filter(|d| d.is_object()) {
                            same.push(self.id(d));
                        }
                    }
                    ("properties", Value::Object(props)) => {
                        for (name, p) in props {
                            children.push((Key::Name(name.as_str()), self.id(p)));
                        }
                    }
                    ("patternProperties", Value::Object(props)) => {
                        for p in props.values() {
                            children.push((Key::Wild, self.id(p)));
                        }
                    }
                    ("additionalProperties" | "unevaluatedProperties", v @ Value::Object(_)) => {
                        children.push((Key::Wild, self.id(v)));
                    }
                    (
                        "items" | "additionalItems" | "unevaluatedItems" | "contains",
                        v @ Value::Object(_),
                    ) => {
                        children.push((Key::Item, self.id(v)));
                    }
                    ("items" | "prefixItems", Value::Array(items)) => {
                        for i in items {
                            children.push((Key::Item, self.id(i)));
                        }
                    }
                    _ => {}
                }
            }
            self.nodes[id].same = same;
            self.nodes[id].children = children;
        }
        true
    }

    /// The same-value edges without those that close a cycle (the validator cuts
    /// cycles), and an order in which every node comes after those it composes.
    fn acyclic(&self) -> (Vec<Vec<usize>>, Vec<usize>) {
        let n = self.nodes.len();
        // 0: not seen, 1: on the stack, 2: done.
        let mut state = vec![0u8; n];
        let mut dag: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&child) = self.nodes[node].same.get(*next) {
                    *next += 1;
                    match state[child] {
                        0 => {
                            dag[node].push(child);
                            state[child] = 1;
                            stack.push((child, 0));
                        }
                        2 => dag[node].push(child),
                        _ => {} // a cycle: cut, as the validator does
                    }
                } else {
                    state[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        (dag, order)
    }

    /// Each node's fan-out: the most schemas applied to one value at any depth.
    fn fanouts(&self) -> Vec<u64> {
        let (dag, order) = self.acyclic();
        let n = self.nodes.len();
        // Depth 0: the schemas composed at the value itself.
        let mut cur = vec![0u64; n];
        for &s in &order {
            cur[s] = match self.nodes[s].known {
                Some(f) => f,
                None => dag[s]
                    .iter()
                    .fold(1u64, |acc, &c| acc.saturating_add(cur[c]))
                    .min(CAP),
            };
        }
        let mut fan = cur.clone();
        let empty: Rc<HashMap<Key<'a>, u64>> = Rc::default();
        for _ in 0..MAX_DEPTH {
            // Per node, the schemas applied to each kind of member or item one
            // level down, summed over everything composed at the node.
            let mut below: Vec<Rc<HashMap<Key<'a>, u64>>> = vec![empty.clone(); n];
            let mut next = vec![0u64; n];
            for &s in &order {
                let node = &self.nodes[s];
                if let Some(f) = node.known {
                    next[s] = f;
                    continue;
                }
                let map = if node.children.is_empty() && dag[s].len() == 1 {
                    below[dag[s][0]].clone()
                } else if node.children.is_empty() && dag[s].is_empty() {
                    empty.clone()
                } else {
                    let mut map: HashMap<Key<'a>, u64> = HashMap::new();
                    for &(key, child) in &node.children {
                        let e = map.entry(key).or_default();
                        *e = e.saturating_add(cur[child]).min(CAP);
                    }
                    for &c in &dag[s] {
                        for (&key, &count) in below[c].iter() {
                            let e = map.entry(key).or_default();
                            *e = e.saturating_add(count).min(CAP);
                        }
                    }
                    Rc::new(map)
                };
                let wild = map.get(&Key::Wild).copied().unwrap_or(0);
                next[s] = map
                    .iter()
                    .map(|(k, &c)| match k {
                        Key::Name(_) => c.saturating_add(wild),
                        Key::Wild | Key::Item => c,
                    })
                    .max()
                    .unwrap_or(0)
                    .min(CAP);
                below[s] = map;
            }
            let mut changed = false;
            for s in 0..n {
                if next[s] > fan[s] {
                    fan[s] = next[s];
                }
                changed |= next[s] != cur[s];
            }
            if !changed {
                break;
            }
            cur = next;
        }
        fan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fanout(doc: &Value, name: &str) -> u64 {
        let root = &doc["definitions"][name];
        Fanouts::analyse(doc, [root], None).get(root).unwrap()
    }

    fn chain(kind: &str, levels: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for i in 0..levels {
            let next = json!({ "$ref": format!("#/definitions/S{}", i + 1) });
            defs.insert(format!("S{i}"), json!({ kind: [next.clone(), next] }));
        }
        defs.insert(format!("S{levels}"), json!({ "type": "string" }));
        json!({ "definitions": defs })
    }

    #[test]
    fn composition_that_doubles_at_each_level_is_over_budget() {
        for kind in ["allOf", "anyOf", "oneOf"] {
            assert!(fanout(&chain(kind, 40), "S0") > MAX_FANOUT, "{kind}");
            // S3, then 1 + 2 × (1 + the next) per level: 2, 5, 13, 29.
            assert_eq!(fanout(&chain(kind, 3), "S0"), 29, "{kind}");
        }
        // The same doubling, one level of the value at a time.
        let doc = json!({ "definitions": {
            "S": { "allOf": [{ "$ref": "#/definitions/T" }, { "$ref": "#/definitions/T" }] },
            "T": { "properties": { "a": { "$ref": "#/definitions/S" } } }
        } });
        assert!(fanout(&doc, "S") > MAX_FANOUT);
    }

    #[test]
    fn cycles_and_recursive_trees_are_cheap() {
        let doc = json!({ "definitions": {
            "Self": { "allOf": [{ "$ref": "#/definitions/Self" }, { "$ref": "#/definitions/Self" }] },
            "Node": { "type": "object", "properties": {
                "left": { "$ref": "#/definitions/Node" },
                "right": { "$ref": "#/definitions/Node" },
                "children": { "type": "array", "items": { "$ref": "#/definitions/Node" } }
            } },
            "Split": { "allOf": [
                { "properties": { "left": { "$ref": "#/definitions/Split" } } },
                { "properties": { "right": { "$ref": "#/definitions/Split" } } }
            ] },
            "Map": { "additionalProperties": { "$ref": "#/definitions/Map" } }
        } });
        assert!(fanout(&doc, "Self") <= 3);
        assert!(fanout(&doc, "Node") <= 4, "{}", fanout(&doc, "Node"));
        assert!(fanout(&doc, "Split") <= 6, "{}", fanout(&doc, "Split"));
        assert!(fanout(&doc, "Map") <= 4);
    }

    #[test]
    fn known_schemas_are_not_walked_again() {
        let doc = chain("allOf", 3);
        let all = Fanouts::analyse(&doc, [&doc["definitions"]["S1"]], None);
        let built = json!({ "allOf": [{ "$ref": "#/definitions/S1" }, { "type": "string" }] });
        let f = Fanouts::analyse(&doc, [&built], Some(&all));
        // Itself, the `$ref` and what it names (13, as analysed), the string.
        assert_eq!(f.get(&built), Some(1 + (1 + 13) + 1));
    }
}
