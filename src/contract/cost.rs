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

use serde_json::Value;

/// Maps keyed by addresses and names the analysis made itself: no need for
/// SipHash's flooding resistance, and hashing dominated the analysis.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// The most schemas one value may be checked against (see the module docs).
pub(crate) const MAX_FANOUT: u64 = 1_000;

/// The deepest value the count follows (JSON nested deeper does not parse).
const MAX_DEPTH: usize = 128;

/// The most schema nodes one analysis looks at; a larger graph counts as over
/// budget (no real document comes near: GitHub's REST description has far fewer).
const MAX_NODES: usize = 2_000_000;

/// Counts are kept up to this (anything above [`MAX_FANOUT`] is refused anyway).
const CAP: u64 = MAX_FANOUT * 1_000;

#[derive(Default)]
struct Node {
    /// Schemas applied to the same value: composition, `not`, `$ref`, schema
    /// `dependencies`.
    same: Vec<usize>,
    /// Schemas applied to members or items, by key id ([`WILD`] for any member
    /// (`additionalProperties`, `patternProperties`: counted as applying to every
    /// member, an upper bound), [`ITEM`] for any item (`items`, tuple entries:
    /// likewise), from [`FIRST_NAME`] on one per member name in `properties`).
    children: Vec<(u32, usize)>,
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
            ids: HashMap::default(),
            names: HashMap::default(),
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
        let Some(fan) = graph.fanouts() else {
            return Fanouts {
                by_node: graph.ids.keys().map(|&k| (k, CAP)).collect(),
            };
        };
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
    /// Member names by key id (from [`FIRST_NAME`]).
    names: HashMap<&'a str, u32>,
    nodes: Vec<Node>,
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

    /// The key id of the member name `name`.
    fn name(&mut self, name: &'a str) -> u32 {
        let next = FIRST_NAME.saturating_add(self.names.len() as u32);
        *self.names.entry(name).or_insert(next)
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
                            .and_then(|p| crate::support::pointer::fragment(self.document, p));
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
                            let key = self.name(name);
                            children.push((key, self.id(p)));
                        }
                    }
                    ("patternProperties", Value::Object(props)) => {
                        for p in props.values() {
                            children.push((WILD, self.id(p)));
                        }
                    }
                    ("additionalProperties" | "unevaluatedProperties", v @ Value::Object(_)) => {
                        children.push((WILD, self.id(v)));
                    }
                    (
                        "items" | "additionalItems" | "unevaluatedItems" | "contains",
                        v @ Value::Object(_),
                    ) => {
                        children.push((ITEM, self.id(v)));
                    }
                    ("items" | "prefixItems", Value::Array(items)) => {
                        for i in items {
                            children.push((ITEM, self.id(i)));
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
    /// `None` when the per-key layout would pass [`MAX_SLOTS`].
    fn fanouts(&self) -> Option<Vec<u64>> {
        let (dag, order) = self.acyclic();
        let n = self.nodes.len();
        let layout = Layout::new(&self.nodes, &dag, &order)?;
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
        // Most of a document settles in a few levels while a recursive part
        // keeps growing to MAX_DEPTH: each level recomputes only the nodes whose
        // inputs changed (a child's count at the level above, or the sums of a
        // schema composed here), in topological order, so a level costs what
        // changed, not the whole graph.
        let mut position = vec![0u32; n];
        for (p, &s) in order.iter().enumerate() {
            position[s] = p as u32;
        }
        let live = |s: &usize| self.nodes[*s].known.is_none();
        // Who reads a node's count (as a child), and who reads its sums (composes it).
        let readers = Csr::new(
            n,
            (0..n)
                .filter(live)
                .flat_map(|s| self.nodes[s].children.iter().map(move |&(_, c)| (c, s))),
        );
        let composers = Csr::new(
            n,
            (0..n)
                .filter(live)
                .flat_map(|s| dag[s].iter().map(move |&c| (c, s))),
        );
        let mut val = vec![0u64; layout.keys.len()];
        let mut scratch: Vec<u64> = Vec::new();
        let mut next = cur.clone();
        let mut dirty = Bits::new(n);
        (0..n).for_each(|p| dirty.set(p));
        let mut done: Vec<usize> = Vec::new();
        for _ in 0..MAX_DEPTH {
            // Per node, the schemas applied to each kind of member or item one
            // level down, summed over everything composed at the node. The
            // layout says where each sum goes, so a level is additions only.
            done.clear();
            while let Some(p) = dirty.take_first() {
                let s = order[p];
                done.push(s);
                if let Some(f) = self.nodes[s].known {
                    next[s] = f;
                    continue;
                }
                let at = &layout.at[s];
                let (base, len) = (at.base as usize, at.len as usize);
                // An alias's sums are those of what it composes, which changed.
                let mut sums_changed = !at.owned;
                if at.owned {
                    scratch.clear();
                    scratch.resize(len, 0);
                    for &(slot, child) in &layout.direct[at.direct.clone()] {
                        let e = &mut scratch[slot as usize];
                        *e = e.saturating_add(cur[child as usize]).min(CAP);
                    }
                    for &(c, map) in &layout.composed[at.composed.clone()] {
                        let from = &layout.at[c as usize];
                        let map = &layout.maps[map as usize..][..from.len as usize];
                        for (j, &slot) in map.iter().enumerate() {
                            let count = val[from.base as usize + j];
                            let e = &mut scratch[slot as usize];
                            *e = e.saturating_add(count).min(CAP);
                        }
                    }
                    if val[base..base + len] != scratch[..] {
                        val[base..base + len].copy_from_slice(&scratch);
                        sums_changed = true;
                    }
                }
                if sums_changed {
                    for &t in composers.of(s) {
                        dirty.set(position[t as usize] as usize);
                    }
                }
                let keys = &layout.keys[base..base + len];
                let counts = &val[base..base + len];
                let wild = match keys.first() {
                    Some(&WILD) => counts[0],
                    _ => 0,
                };
                next[s] = keys
                    .iter()
                    .zip(counts)
                    .map(|(&k, &c)| {
                        if k >= FIRST_NAME {
                            c.saturating_add(wild)
                        } else {
                            c
                        }
                    })
                    .max()
                    .unwrap_or(0)
                    .min(CAP);
            }
            for &s in &done {
                if next[s] > fan[s] {
                    fan[s] = next[s];
                }
                if next[s] != cur[s] {
                    for &t in readers.of(s) {
                        dirty.set(position[t as usize] as usize);
                    }
                }
            }
            if dirty.is_empty() {
                break;
            }
            for &s in &done {
                cur[s] = next[s];
            }
        }
        Some(fan)
    }
}

/// Edges grouped by their source: the targets of node `s` in one slice.
struct Csr {
    start: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    fn new(n: usize, edges: impl Iterator<Item = (usize, usize)> + Clone) -> Csr {
        let mut start = vec![0u32; n + 1];
        for (from, _) in edges.clone() {
            start[from + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![0u32; start[n] as usize];
        for (from, to) in edges {
            targets[fill[from] as usize] = to as u32;
            fill[from] += 1;
        }
        Csr { start, targets }
    }

    fn of(&self, s: usize) -> &[u32] {
        &self.targets[self.start[s] as usize..self.start[s + 1] as usize]
    }
}

/// A set of positions, taken out lowest first.
struct Bits {
    words: Vec<u64>,
    /// No set bit below this word.
    low: usize,
}

impl Bits {
    fn new(n: usize) -> Bits {
        Bits {
            words: vec![0; n.div_ceil(64)],
            low: 0,
        }
    }

    fn set(&mut self, p: usize) {
        self.words[p / 64] |= 1 << (p % 64);
        self.low = self.low.min(p / 64);
    }

    fn take_first(&mut self) -> Option<usize> {
        while self.low < self.words.len() {
            let w = self.words[self.low];
            if w != 0 {
                let bit = w.trailing_zeros() as usize;
                self.words[self.low] &= w - 1;
                return Some(self.low * 64 + bit);
            }
            self.low += 1;
        }
        None
    }

    fn is_empty(&self) -> bool {
        self.words[self.low.min(self.words.len())..]
            .iter()
            .all(|&w| w == 0)
    }
}

/// The most per-key sums one analysis keeps (a node's distinct member names,
/// plus those of everything it composes, summed over nodes): past it the graph
/// counts as too large, like one of more than [`MAX_NODES`] nodes.
/// (GitHub's REST description needs ~43,000, Stripe's ~21,000).
const MAX_SLOTS: usize = 4_000_000;

/// Key ids: any member, any item, then one per member name.
const WILD: u32 = 0;
const ITEM: u32 = 1;
const FIRST_NAME: u32 = 2;

/// Where a node's per-key sums live in [`Layout::keys`] (and the counts array).
#[derive(Clone, Default)]
struct At {
    base: u32,
    len: u32,
    /// Computed at this node; otherwise shared with the one schema it composes.
    owned: bool,
    direct: std::ops::Range<usize>,
    composed: std::ops::Range<usize>,
}

/// The shape of the per-depth sums, which does not change between depths: for
/// each node the sorted keys it has sums for, where each child's count goes, and
/// where each composed schema's sums go.
struct Layout {
    at: Vec<At>,
    keys: Vec<u32>,
    /// (slot in the node's keys, child node).
    direct: Vec<(u32, u32)>,
    /// (composed node, start in `maps` of its slots' places in the node's keys).
    composed: Vec<(u32, u32)>,
    maps: Vec<u32>,
}

impl Layout {
    fn new(nodes: &[Node], dag: &[Vec<usize>], order: &[usize]) -> Option<Layout> {
        let mut layout = Layout {
            at: vec![At::default(); nodes.len()],
            keys: Vec::new(),
            direct: Vec::new(),
            composed: Vec::new(),
            maps: Vec::new(),
        };
        let mut mine: Vec<u32> = Vec::new();
        for &s in order {
            let node = &nodes[s];
            if node.known.is_some() || (node.children.is_empty() && dag[s].is_empty()) {
                continue;
            }
            if node.children.is_empty() && dag[s].len() == 1 {
                // Shares what it composes: nothing of its own to add.
                let from = layout.at[dag[s][0]].clone();
                layout.at[s] = At {
                    owned: false,
                    direct: 0..0,
                    composed: 0..0,
                    ..from
                };
                continue;
            }
            // What this node adds before duplicates go: its children's keys, and
            // as many places in `maps` as the schemas it composes have keys. One
            // node composing many aliases of a schema with many names (a few
            // bytes each in the document) would otherwise pass the bound by far
            // before the next node checks it.
            let adds = node.children.len()
                + dag[s]
                    .iter()
                    .map(|&c| layout.at[c].len as usize)
                    .sum::<usize>();
            if layout.keys.len() + adds > MAX_SLOTS || layout.maps.len() + adds > MAX_SLOTS {
                return None;
            }
            mine.clear();
            mine.extend(node.children.iter().map(|&(k, _)| k));
            for &c in &dag[s] {
                let from = &layout.at[c];
                mine.extend_from_slice(&layout.keys[from.base as usize..][..from.len as usize]);
            }
            mine.sort_unstable();
            mine.dedup();
            let base = layout.keys.len();
            if base + mine.len() > MAX_SLOTS || layout.maps.len() > MAX_SLOTS {
                return None;
            }
            layout.keys.extend_from_slice(&mine);
            let slot = |k: u32| mine.binary_search(&k).unwrap_or_default() as u32;
            let d0 = layout.direct.len();
            for &(k, child) in &node.children {
                layout.direct.push((slot(k), child as u32));
            }
            let c0 = layout.composed.len();
            for &c in &dag[s] {
                let from = layout.at[c].clone();
                layout.composed.push((c as u32, layout.maps.len() as u32));
                for j in 0..from.len as usize {
                    let k = layout.keys[from.base as usize + j];
                    layout.maps.push(slot(k));
                }
            }
            layout.at[s] = At {
                base: base as u32,
                len: mine.len() as u32,
                owned: true,
                direct: d0..layout.direct.len(),
                composed: c0..layout.composed.len(),
            };
        }
        Some(layout)
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
    fn one_schema_composing_many_aliases_stays_within_the_slot_bound() {
        // `X` has 2,100 member names; `S` composes 2,000 `$ref`s to it (each an
        // alias sharing X's slots): S's places in `maps` would be 4.2 million.
        let props: serde_json::Map<String, Value> =
            (0..2_100).map(|i| (format!("p{i}"), json!({}))).collect();
        let refs: Vec<Value> = (0..2_000)
            .map(|_| json!({ "$ref": "#/definitions/X" }))
            .collect();
        let doc = json!({ "definitions": {
            "X": { "properties": props },
            "S": { "allOf": refs }
        } });
        let mut graph = Graph {
            document: &doc,
            ids: HashMap::default(),
            names: HashMap::default(),
            nodes: Vec::new(),
            values: Vec::new(),
            todo: Vec::new(),
            known: None,
        };
        graph.id(&doc["definitions"]["S"]);
        assert!(graph.drain());
        let (dag, order) = graph.acyclic();
        if let Some(layout) = Layout::new(&graph.nodes, &dag, &order) {
            assert!(layout.keys.len() <= MAX_SLOTS, "{}", layout.keys.len());
            assert!(layout.maps.len() <= MAX_SLOTS, "{}", layout.maps.len());
        }
        assert!(fanout(&doc, "S") > MAX_FANOUT);
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
