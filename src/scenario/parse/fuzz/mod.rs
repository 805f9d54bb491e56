//! A differential fuzzer for the quick YAML scanner (`support::yaml::scan`):
//! generated and mutated scenario files are read both ways, and any file the
//! scanner reads itself must give serde-saphyr's scenario. Not part of the
//! normal run:
//!
//! `cargo test --release --lib scenario::parse::fuzz -- --ignored --nocapture`
//!
//! `FUZZ_DOCS` (how many documents, default 200000) and `FUZZ_SEED` tune it.

mod edges;
mod generate;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::raw::RawScenario;
use super::tests::{both, shipped};
use crate::contract::Contract;
use crate::support::yaml;
use edges::edge_cases;
use generate::{mutate, render, scenario_tree, tree, Tree, SAFE, SCALARS};

struct Rng(u64, usize);

impl Rng {
    /// A risky choice, at this document's rate.
    fn risky(&mut self) -> bool {
        self.one_in(self.1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Any YAML value, every node with its position (`P`: a value and its place,
/// serde-saphyr's `Spanned` or mimeo's): what the generic check compares.
enum Val<P> {
    Null,
    Bool(bool),
    U(u64),
    I(i64),
    F(f64),
    S(String),
    Seq(Vec<P>),
    Map(Vec<(String, P)>),
}

/// A value with its place, read through serde-saphyr's `Spanned`.
struct Theirs(Spanned<Val<Theirs>>);
/// The same read through mimeo's own (`support::yaml::Spanned`), which the
/// quick reader offers a shorter form of.
struct Ours(yaml::Spanned<Val<Ours>>);

impl<'de> Deserialize<'de> for Theirs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::deserialize(d).map(Theirs)
    }
}

impl<'de> Deserialize<'de> for Ours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml::Spanned::deserialize(d).map(Ours)
    }
}

/// What [`show`] reads of either.
trait Placed: Sized {
    fn place(&self) -> (u64, u64);
    fn val(&self) -> &Val<Self>;
}

impl Placed for Theirs {
    fn place(&self) -> (u64, u64) {
        (self.0.referenced.line(), self.0.referenced.column())
    }
    fn val(&self) -> &Val<Self> {
        &self.0.value
    }
}

impl Placed for Ours {
    fn place(&self) -> (u64, u64) {
        (self.0.referenced.line(), self.0.referenced.column())
    }
    fn val(&self) -> &Val<Self> {
        &self.0.value
    }
}

impl<'de, P: Deserialize<'de>> Deserialize<'de> for Val<P> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<P>(std::marker::PhantomData<P>);
        impl<'de, P: Deserialize<'de>> Visitor<'de> for V<P> {
            type Value = Val<P>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Val<P>, E> {
                Ok(Val::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Val<P>, E> {
                Ok(Val::U(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Val<P>, E> {
                Ok(Val::I(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Val<P>, E> {
                Ok(Val::F(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Val<P>, E> {
                Ok(Val::S(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Val<P>, E> {
                Ok(Val::Null)
            }
            fn visit_none<E>(self) -> Result<Val<P>, E> {
                Ok(Val::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Val<P>, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Val::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Val<P>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = a.next_key::<String>()? {
                    out.push((k, a.next_value()?));
                }
                Ok(Val::Map(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

fn show<P: Placed>(v: &P, out: &mut String) {
    use std::fmt::Write;
    let (line, column) = v.place();
    let _ = write!(out, "@{line}:{column} ");
    match v.val() {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Val::U(n) => {
            let _ = write!(out, "u{n}");
        }
        Val::I(n) => {
            let _ = write!(out, "i{n}");
        }
        Val::F(n) => {
            let _ = write!(out, "f{n:?}");
        }
        Val::S(s) => {
            let _ = write!(out, "{s:?}");
        }
        Val::Seq(items) => {
            out.push('[');
            for i in items {
                show(i, out);
                out.push_str(", ");
            }
            out.push(']');
        }
        Val::Map(entries) => {
            out.push('{');
            for (k, v) in entries {
                let _ = write!(out, "{k:?}: ");
                show(v, out);
                out.push_str(", ");
            }
            out.push('}');
        }
    }
}

/// `doc` read by `read` and shown, or its error.
fn shown<P: Placed, E: std::fmt::Display>(read: Result<P, E>) -> String {
    match read {
        Ok(v) => {
            let mut out = String::new();
            show(&v, &mut out);
            out
        }
        Err(e) => format!("error: {e}"),
    }
}

/// The generic check: any document the quick reader reads must give
/// serde-saphyr's values at serde-saphyr's positions, into serde-saphyr's
/// `Spanned` and into mimeo's (from the quick reader's short form, and from
/// serde-saphyr's form of it).
fn check_generic(doc: &str) -> Outcome {
    let quick = catch_unwind(AssertUnwindSafe(|| {
        (
            yaml::quick_read::<Theirs>(doc),
            yaml::quick_read::<Ours>(doc),
        )
    }));
    let (theirs, ours) = match quick {
        Err(_) => return Outcome::Panic,
        Ok((None, _)) => return Outcome::Bail,
        Ok((Some(theirs), ours)) => (theirs, ours),
    };
    let reference = shown(yaml::slow_read::<Theirs>(doc));
    let mut got = vec![shown::<_, String>(Ok(theirs))];
    if let Some(ours) = ours {
        got.push(shown::<_, String>(Ok(ours)));
    }
    got.push(shown(yaml::slow_read::<Ours>(doc)));
    match got.into_iter().find(|g| *g != reference) {
        None => Outcome::Same,
        Some(g) => Outcome::Differs(g, reference),
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Bail,
    Same,
    Differs(String, String),
    Panic,
}

fn check(contract: &Contract, doc: &str) -> Outcome {
    let alone = catch_unwind(AssertUnwindSafe(|| yaml::quick_alone::<RawScenario>(doc)));
    match alone {
        Err(_) => Outcome::Panic,
        Ok(false) => Outcome::Bail,
        Ok(true) => {
            let (q, s) = both(contract, "f.yaml", doc);
            if q == s {
                Outcome::Same
            } else {
                Outcome::Differs(q, s)
            }
        }
    }
}

fn bad(o: &Outcome) -> bool {
    matches!(o, Outcome::Differs(..) | Outcome::Panic)
}

/// Shrinks `doc` while it still disagrees: lines, then characters.
/// A number from the environment variable `name`, else `default`.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Shrinks a document `test` disagrees on and keeps it (printed once) among
/// the first 40 distinct ones.
fn keep(test: &dyn Fn(&str) -> Outcome, doc: &str, label: &str, found: &mut Vec<String>) {
    if found.len() >= 40 {
        return;
    }
    let small = minimise(test, doc);
    if !found.contains(&small) {
        println!("=== {label} ({:?})\n{small:?}\n", test(&small));
        found.push(small);
    }
}

fn minimise(test: &dyn Fn(&str) -> Outcome, doc: &str) -> String {
    let mut cur: Vec<char> = doc.chars().collect();
    let still = |c: &[char]| bad(&test(&c.iter().collect::<String>()));
    loop {
        let mut progress = false;
        // Whole lines.
        let mut i = 0;
        loop {
            let text: String = cur.iter().collect();
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if i >= lines.len() {
                break;
            }
            let cand: String = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect();
            let cand: Vec<char> = cand.chars().collect();
            if still(&cand) {
                cur = cand;
                progress = true;
            } else {
                i += 1;
            }
        }
        // Single characters.
        let mut i = 0;
        while i < cur.len() {
            let mut cand = cur.clone();
            cand.remove(i);
            if still(&cand) {
                cur = cand;
                progress = true;
            } else {
                i += 1;
            }
        }
        if !progress {
            break;
        }
    }
    cur.into_iter().collect()
}

#[test]
#[ignore]
fn fuzz_edge_cases() {
    let mut problems = Vec::new();
    let mut quick = 0;
    let cases = edge_cases();
    for doc in &cases {
        let t0 = Instant::now();
        let alone = yaml::quick_read::<Theirs>(doc).is_some();
        let took = t0.elapsed();
        if took > Duration::from_millis(50) {
            let head: String = doc.chars().take(60).collect();
            println!("SLOW quick ({alone}) {took:?}: {head:?}");
        }
        let o = check_generic(doc);
        quick += usize::from(o != Outcome::Bail);
        if bad(&o) {
            problems.push(format!("{doc:?}\n  {o:?}"));
        }
    }
    // Every tricky scalar, in every style, in every kind of field.
    let contract = Contract::embedded().unwrap();
    let head = "name: probe\nvars:\n  storeId: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k\n  profileId: mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c\n";
    let path = "/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers";
    let step =
        format!("steps:\n  - name: s\n    request:\n      method: GET\n      path: {path}\n");
    let templates = [
        "name: {slot}\nsteps:\n  - request: {method: GET, path: /x}\n".to_string(),
        format!("{head}description: {{slot}}\n{step}"),
        format!("{head}needs: {{slot}}\n{step}"),
        format!("{head}exclusive: {{slot}}\n{step}"),
        format!("{head}timeout: {{slot}}\n{step}"),
        format!("name: probe\nvars:\n  storeId: {{slot}}\n{step}"),
        format!("name: probe\nvars:\n  storeId:\n    mock: {{slot}}\n    default: {{slot}}\n{step}"),
        format!("{head}steps:\n  - name: {{slot}}\n    request:\n      method: GET\n      path: {path}\n"),
        format!("{head}steps:\n  - request:\n      method: {{slot}}\n      path: {path}\n"),
        format!("{head}steps:\n  - request:\n      method: GET\n      path: {{slot}}\n"),
        format!("{head}{step}      headers:\n        X-A: {{slot}}\n"),
        format!("{head}{step}      query:\n        q: {{slot}}\n"),
        format!("{head}{step}      raw_body: {{slot}}\n"),
        format!("{head}{step}      body: {{slot}}\n"),
        format!("{head}{step}    auth: {{slot}}\n"),
        format!("{head}{step}    guard: {{slot}}\n"),
        format!("{head}{step}    expect:\n      status: {{slot}}\n"),
        format!("{head}{step}    expect:\n      body:\n        /x: {{equals: {{slot}}}}\n"),
        format!("{head}{step}    expect:\n      body:\n        /x:\n          length: {{slot}}\n"),
        format!("{head}{step}    expect:\n      body:\n        /x:\n          matches: {{slot}}\n"),
        format!("{head}{step}    expect:\n      headers:\n        X-A:\n          equals: {{slot}}\n"),
        format!("{head}{step}    capture:\n      id:\n        body: {{slot}}\n"),
        format!("{head}{step}    retry:\n      every: {{slot}}\n"),
    ];
    let mut scenario_quick = 0;
    let mut scenario_docs = 0;
    for t in &templates {
        for sc in SCALARS.iter().chain(SAFE) {
            let single = format!("'{}'", sc.replace('\'', "''"));
            let double = format!("{:?}", sc);
            let literal = format!(
                "|-\n{}",
                sc.lines()
                    .map(|l| format!("          {l}\n"))
                    .collect::<String>()
            );
            for form in [sc.to_string(), single, double, literal] {
                let doc = t.replace("{slot}", &form);
                scenario_docs += 1;
                let o = check(&contract, &doc);
                scenario_quick += usize::from(o != Outcome::Bail);
                if bad(&o) {
                    problems.push(format!("{doc:?}\n  {o:?}"));
                }
            }
        }
    }
    println!("{scenario_docs} scenario cases, {scenario_quick} read quickly");
    println!("{} cases, {quick} read quickly", cases.len());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
#[ignore]
fn fuzz_quick_scanner_against_serde_saphyr() {
    let contract = Contract::embedded().unwrap();
    let docs: usize = setting("FUZZ_DOCS", 200_000);
    let seed: u64 = setting("FUZZ_SEED", 0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1, 10);
    let risk: Option<usize> = std::env::var("FUZZ_RISK").ok().and_then(|v| v.parse().ok());
    let show: usize = setting("FUZZ_SHOW", 0);
    let mut paths = Vec::new();
    shipped(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance"),
        &mut paths,
    );
    let files: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    std::panic::set_hook(Box::new(|_| {}));
    let (mut quick, mut found) = (0usize, Vec::<String>::new());
    let mut kinds = [0usize; 3];
    let mut quick_by = [0usize; 3];
    let mut scanned_only = [0usize; 3];
    let mut generic = [0usize; 2];
    let started = Instant::now();
    for i in 0..docs {
        let kind = i % 3;
        rng.1 = *rng.pick(&[4, 20, 100, 1000]);
        if let Some(r) = risk {
            rng.1 = r;
        }
        let doc = match kind {
            0 => {
                let f = rng.pick(&files).clone();
                mutate(&mut rng, &f)
            }
            1 => {
                let t = scenario_tree(&mut rng);
                render(&mut rng, &t)
            }
            _ => {
                let t = scenario_tree(&mut rng);
                let d = render(&mut rng, &t);
                mutate(&mut rng, &d)
            }
        };
        kinds[kind] += 1;
        let t0 = Instant::now();
        let o = check(&contract, &doc);
        if i < show {
            println!("--- {:?}\n{doc}", o != Outcome::Bail);
        }
        if t0.elapsed() > Duration::from_millis(500) {
            println!("SLOW {:?}: {doc:?}", t0.elapsed());
        }
        if o == Outcome::Bail && yaml::scans(&doc) {
            scanned_only[kind] += 1;
        }
        if o != Outcome::Bail {
            quick += 1;
            quick_by[kind] += 1;
        }
        let scenario_check = |d: &str| check(&contract, d);
        if bad(&o) {
            keep(&scenario_check, &doc, "DISAGREEMENT", &mut found);
        }
        // The same document, and a random tree, read as any YAML.
        for d in [doc, {
            let t = tree(&mut rng, 4);
            let t = match t {
                Tree::Map(_) => t,
                other => Tree::Map(vec![("top".into(), other)]),
            };
            let d = render(&mut rng, &t);
            if rng.one_in(3) {
                mutate(&mut rng, &d)
            } else {
                d
            }
        }] {
            let g = check_generic(&d);
            generic[usize::from(g != Outcome::Bail)] += 1;
            if bad(&g) {
                keep(&check_generic, &d, "GENERIC DISAGREEMENT", &mut found);
            }
        }
    }
    println!(
        "{docs} documents in {:?}; quick {quick} ({:.1}%); by kind {kinds:?} quick {quick_by:?}, scanned but not deserialized {scanned_only:?}; generic bail/quick {generic:?}; {} distinct disagreements",
        started.elapsed(),
        100.0 * quick as f64 / docs as f64,
        found.len()
    );
    assert!(found.is_empty());
}

/// Short documents from an alphabet of YAML's meaningful pieces, and plain
/// scalars from the characters numbers and booleans are made of: many of
/// them, read as any YAML.
#[test]
#[ignore]
fn fuzz_small_documents() {
    const PIECES: &[&str] = &[
        "a", "b", "c", "a", "b", "- ", "-", ":", ": ", ": ", " ", " ", "  ", "#", " #", "'", "\"",
        "|", "|-", "[", "]", "{", "}", ",", ", ", "\n", "\n", "\n  ", "\n ", "\n- ", "\n  - ", "é",
        "😀", "1", "\\", "\\n", "?", "!", "&", "*", "~", ".", "\u{85}",
    ];
    const NUMERIC: &[u8] = b"0123456789.+-_eExXoObB:aAnNiIfFtTrRuUlLsSyY~ ";
    let docs: usize = setting("FUZZ_DOCS", 1_000_000);
    let seed: u64 = setting("FUZZ_SEED", 0x2545_f491_4f6c_dd1d);
    let mut rng = Rng(seed | 1, 10);
    std::panic::set_hook(Box::new(|_| {}));
    let (mut quick, mut found) = (0usize, Vec::<String>::new());
    let started = Instant::now();
    for i in 0..docs {
        let mut doc =
            String::from(*rng.pick(&["a:", "a: ", "a:\n  ", "a:\n- ", "a:\n  - ", "k: 1\na: "]));
        if i % 2 == 0 {
            for _ in 0..rng.below(14) + 1 {
                doc.push_str(rng.pick::<&str>(PIECES));
            }
        } else {
            for _ in 0..rng.below(8) + 1 {
                doc.push(*rng.pick(NUMERIC) as char);
            }
            if rng.one_in(3) {
                doc = format!("{doc}\nb: [{}]", doc.split_once(' ').map_or("", |(_, v)| v));
            }
        }
        if rng.one_in(2) {
            doc.push('\n');
        }
        let o = check_generic(&doc);
        quick += usize::from(o != Outcome::Bail);
        if bad(&o) {
            keep(&check_generic, &doc, "GENERIC DISAGREEMENT", &mut found);
        }
    }
    println!(
        "{docs} small documents in {:?}; quick {quick} ({:.1}%); {} distinct disagreements",
        started.elapsed(),
        100.0 * quick as f64 / docs as f64,
        found.len()
    );
    assert!(found.is_empty());
}
