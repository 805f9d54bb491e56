//! A differential fuzzer for the quick YAML scanner (`support::yaml::scan`):
//! generated and mutated scenario files are read both ways, and any file the
//! scanner reads itself must give serde-saphyr's scenario. Not part of the
//! normal run:
//!
//! `cargo test --release --lib scenario::parse::fuzz_tests -- --ignored --nocapture`
//!
//! `FUZZ_DOCS` (how many documents, default 200000) and `FUZZ_SEED` tune it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::raw::RawScenario;
use crate::contract::Contract;
use crate::support::yaml;

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

fn both(contract: &Contract, text: &str) -> (String, String) {
    let quick = format!(
        "{:?}",
        super::scenario(PathBuf::from("f.yaml"), text, contract)
    );
    yaml::tests::SLOW_ONLY.set(true);
    let slow = format!(
        "{:?}",
        super::scenario(PathBuf::from("f.yaml"), text, contract)
    );
    yaml::tests::SLOW_ONLY.set(false);
    (quick, slow)
}

/// Any YAML value, every node with its position: what the generic check
/// compares.
enum Val {
    Null,
    Bool(bool),
    U(u64),
    I(i64),
    F(f64),
    S(String),
    Seq(Vec<Spanned<Val>>),
    Map(Vec<(String, Spanned<Val>)>),
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
                Ok(Val::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Val, E> {
                Ok(Val::U(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
                Ok(Val::I(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
                Ok(Val::F(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Val, E> {
                Ok(Val::S(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Val, E> {
                Ok(Val::Null)
            }
            fn visit_none<E>(self) -> Result<Val, E> {
                Ok(Val::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Val, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Val::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Val, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = a.next_key::<String>()? {
                    out.push((k, a.next_value()?));
                }
                Ok(Val::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

fn show(v: &Spanned<Val>, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "@{}:{} ", v.referenced.line(), v.referenced.column());
    match &v.value {
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

/// The generic check: any document the quick reader reads must give
/// serde-saphyr's values at serde-saphyr's positions.
fn check_generic(doc: &str) -> Outcome {
    let quick = catch_unwind(AssertUnwindSafe(|| yaml::quick_read::<Spanned<Val>>(doc)));
    match quick {
        Err(_) => Outcome::Panic,
        Ok(None) => Outcome::Bail,
        Ok(Some(q)) => {
            let mut qs = String::new();
            show(&q, &mut qs);
            let ss = match yaml::slow_read::<Spanned<Val>>(doc) {
                Ok(s) => {
                    let mut ss = String::new();
                    show(&s, &mut ss);
                    ss
                }
                Err(e) => format!("error: {e}"),
            };
            if qs == ss {
                Outcome::Same
            } else {
                Outcome::Differs(qs, ss)
            }
        }
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
            let (q, s) = both(contract, doc);
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

const TOKENS: &[&str] = &[
    " ",
    " ",
    "  ",
    "\n",
    "\n",
    "#",
    " #",
    "# c",
    ":",
    ": ",
    ":x",
    "-",
    "- ",
    "'",
    "\"",
    "|",
    "|-",
    "|+",
    "|2",
    ">",
    ">-",
    "[",
    "]",
    "{",
    "}",
    ",",
    ", ",
    "é",
    "ü",
    "\u{1f600}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{a0}",
    "\u{3000}",
    "\u{fefe}",
    "&a ",
    "*a",
    "!",
    "!!str ",
    "?",
    "? ",
    "---",
    "...",
    "--- ",
    "\\",
    "\\n",
    "\\x41",
    "\\u00e9",
    "\\t",
    "\\\"",
    "~",
    "null",
    "0x1",
    "%",
    "@",
    "`",
    "\n  ",
    "\n    ",
    "\n      ",
    "\n- ",
    "\n  - ",
    "<<",
    "a",
    "x y",
    "1",
    "-1",
    "1.5",
    "true",
    "{{x}}",
    "''",
    "\"\"",
    "\t",
    "\r",
    "\n#",
    "\n\n",
    " \n",
    "  \n",
];

const SCALARS: &[&str] = &[
    "x", "a b", "x#y", "x #y", "a:b", "a: b", "http://x:80/y?a=b#f", "1", "0", "-0", "00", "007",
    "1.5", "1.50", "1.0", "-0.5", "0.5", "1.", ".5", "1e3", "1E-3", "0x10", "0o17", "0b101",
    "+1", "1_000", "12:30", "1:3a", "true", "false", "True", "TRUE", "yes", "No", "on", "off",
    "y", "n", "~", "null", "Null", "NULL", "nULL", "nuLL", "", " ", ".inf", "-.Inf", ".NaN",
    "inf", "nan", "é", "ünï", "\u{1f600}x", "a'b", "a\"b", "\\", "a\\nb", ":", "-", "- a", "-a",
    "?", "?a", "? a", ":a", "[x]", "{a: 1}", "{{var}}", "{{storeId}}", "a, b", "a]", "a}",
    "a{b", "a[b", " a ", "a  b", "a\u{85}b", "a\u{2028}b", "a\u{a0}b", "\u{a0}", "a\u{feff}b",
    "a#", "#a", "a #", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "a%", "a@", "---", "...",
    "--- a", "a\nb", "a\n\nb", "a\n  b\n", "\nb", "a\n", "x\n\n", "  x\n y", "200", "404",
    "[200, 404]", "200ms", "10s", "GET", "POST", "/v1/x", "18446744073709551615",
    "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "1.7976931348623157e308",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999.5",
    "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    "<<", "=", "a,b", "a:", "a: ", "a :b", "a:,b", "a:]", "a:}", "a:[", "a:{", "\"x\"", "'x'",
    "a\"", "a'", "\\x41", "\\u00e9", "\\U0001F600", "\\uD83D", "\\e", "\\ ", "\\\\", "\\/",
];

const SAFE: &[&str] = &[
    "x",
    "a b",
    "x#y",
    "a:b",
    "http://x:80/y?a=b#f",
    "1",
    "0",
    "42",
    "-3",
    "1.5",
    "0.25",
    "true",
    "false",
    "~",
    "null",
    "é",
    "ünï",
    "\u{1f600}x",
    "a'b",
    "a\"b",
    "-a",
    "?a",
    ":a",
    "a]",
    "a}",
    "a{b",
    "a,b",
    "/v1/x",
    "200",
    "GET",
    "text with words",
    "a\nb\n",
    "a\n\nb",
    "line\n  indented\nend\n",
    "\u{a0}x",
    "mem_store_01",
    "2024-01-01",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "a b",
    "a-b",
    "-a",
    "?a",
    ":a",
    "a:b",
    "a\"b",
    "a'b",
    "é",
    "\u{1f600}",
    "1",
    "true",
    "null",
    "~",
    "<<",
    "",
    "a#b",
    "x",
    "/x",
    "/values",
    "a{b",
    "a]b",
    "a,b",
    "0x1",
    "1.5",
    "yes",
    "k",
    "kk",
    "key",
    "a ",
    " a",
    "$ref",
    "@a",
    "%a",
    "a%",
    "---",
    "...",
];

/// A random tree: a scalar, a sequence or a mapping.
enum Tree {
    Scalar(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

fn tree(rng: &mut Rng, depth: usize) -> Tree {
    let kind = if depth == 0 { 0 } else { rng.below(4) };
    match kind {
        0 | 1 => Tree::Scalar(scalar(rng)),
        2 => Tree::Seq((0..rng.below(4)).map(|_| tree(rng, depth - 1)).collect()),
        _ => {
            let n = rng.below(4);
            let mut keys: Vec<String> = Vec::new();
            for _ in 0..n {
                let k = if rng.risky() {
                    rng.pick(KEYS).to_string()
                } else {
                    format!("k{}", rng.below(50))
                };
                if !keys.contains(&k) || rng.one_in(20) {
                    keys.push(k);
                }
            }
            Tree::Map(
                keys.into_iter()
                    .map(|k| (k, tree(rng, depth - 1)))
                    .collect(),
            )
        }
    }
}

fn scalar(rng: &mut Rng) -> String {
    if !rng.risky() {
        return match rng.below(3) {
            0 => format!("w{}", rng.below(1000)),
            _ => rng.pick(SAFE).to_string(),
        };
    }
    match rng.below(10) {
        0..=4 => rng.pick(SCALARS).to_string(),
        5 => format!("w{}", rng.below(1000)),
        6 => rng.below(100000).to_string(),
        7 => {
            let mut s = String::new();
            for _ in 0..rng.below(6) + 1 {
                s.push_str(rng.pick::<&str>(SCALARS));
            }
            s
        }
        8 => {
            let mut s = String::new();
            for _ in 0..rng.below(5) + 1 {
                s.push_str(rng.pick::<&str>(TOKENS));
            }
            s
        }
        _ => "word".into(),
    }
}

/// Text rendering with random layout choices.
struct Render<'r> {
    rng: &'r mut Rng,
    out: String,
}

impl Render<'_> {
    fn sp(&mut self) -> &'static str {
        if !self.rng.risky() {
            return " ";
        }
        match self.rng.below(3) {
            0 => "",
            1 => "  ",
            _ => " ",
        }
    }

    fn maybe_comment(&mut self) {
        if self.rng.one_in(12) {
            let c = if self.rng.risky() {
                "#x"
            } else {
                *self.rng.pick(&[" # c", " #", "  # x: y", " #: - ["])
            };
            self.out.push_str(c);
        }
    }

    fn newline(&mut self, indent: usize) {
        self.maybe_comment();
        self.out.push('\n');
        if self.rng.one_in(10) {
            let s = self.rng.below(indent + 4);
            let c = self.rng.below(3);
            self.out.push_str(&" ".repeat(s));
            if c == 0 {
                self.out.push_str("# comment");
            }
            self.out.push('\n');
        }
    }

    fn scalar_text(&mut self, s: &str, flow: bool) -> String {
        let mut style = self.rng.below(if flow { 5 } else { 7 });
        if style < 3 && !self.rng.risky() && !plain_ok(s, flow) {
            style = 3 + self.rng.below(2);
        }
        if s.contains('\n') && style < 4 && !self.rng.risky() {
            style = if flow { 4 } else { 6 };
        }
        match style {
            0..=2 => s.to_string(),
            3 => format!("'{}'", s.replace('\'', "''")),
            4 => {
                let mut q = String::from("\"");
                for c in s.chars() {
                    match c {
                        '"' => q.push_str("\\\""),
                        '\\' => q.push_str("\\\\"),
                        '\n' => q.push_str("\\n"),
                        'é' if self.rng.one_in(2) => q.push_str("\\u00e9"),
                        'A'..='Z' if self.rng.one_in(3) => {
                            q.push_str(&format!("\\x{:02X}", c as u32))
                        }
                        _ => q.push(c),
                    }
                }
                q.push('"');
                q
            }
            _ => String::from("|"), // a literal: the caller writes it
        }
    }

    /// A value after `key:` or `- `, the block at column `n` (the key's or
    /// dash's column); `in_seq` for after a dash.
    fn block_value(&mut self, t: &Tree, n: usize, in_seq: bool) {
        match t {
            Tree::Scalar(s) => {
                let sp = self.sp().to_string();
                let text = self.scalar_text(s, false);
                if text == "|" {
                    let ind = n + 1 + self.rng.below(3);
                    let head = if self.rng.risky() {
                        *self.rng.pick(&["|+", "|2", ">", "|-1", ">-"])
                    } else {
                        *self.rng.pick(&["|", "|-", "| # c", "|- #"])
                    };
                    self.out.push_str(&sp);
                    self.out.push_str(head);
                    self.out.push('\n');
                    let body = if s.is_empty() { "x" } else { s.as_str() };
                    for line in body.split('\n') {
                        if line.is_empty() {
                            let extra = usize::from(self.rng.risky());
                            let b = self.rng.below(ind + 1 + extra);
                            self.out.push_str(&" ".repeat(b));
                        } else {
                            self.out.push_str(&" ".repeat(ind));
                            self.out.push_str(line);
                        }
                        self.out.push('\n');
                    }
                    if self.rng.one_in(4) {
                        let extra = usize::from(self.rng.risky());
                        let b = self.rng.below(ind + 1 + extra);
                        self.out.push_str(&" ".repeat(b));
                        self.out.push('\n');
                    }
                    return;
                }
                self.out.push_str(&sp);
                self.out.push_str(&text);
                self.newline(n);
            }
            _ if self.rng.one_in(4) => {
                let sp = self.sp().to_string();
                self.out.push_str(&sp);
                self.flow(t);
                self.newline(n);
            }
            Tree::Seq(items) => {
                if items.is_empty() {
                    self.out.push_str(" []");
                    self.newline(n);
                    return;
                }
                self.newline(n);
                let m = if !in_seq && self.rng.one_in(2) {
                    n
                } else {
                    n + 1 + self.rng.below(3)
                };
                self.block_seq(items, m);
            }
            Tree::Map(entries) => {
                if entries.is_empty() {
                    self.out.push_str(" {}");
                    self.newline(n);
                    return;
                }
                if in_seq && self.rng.one_in(2) {
                    // A compact mapping after the dash.
                    let extra = self.rng.below(3);
                    self.out.push_str(&" ".repeat(1 + extra));
                    let col = n + 2 + extra;
                    self.block_map_rest(entries, col, true);
                    return;
                }
                self.newline(n);
                let m = n + 1 + self.rng.below(3);
                self.block_map_rest(entries, m, false);
            }
        }
    }

    fn key_text(&mut self, k: &str) -> String {
        match self.rng.below(8) {
            0 => format!("'{}'", k.replace('\'', "''")),
            1 => format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")),
            _ => k.to_string(),
        }
    }

    /// Entries of a block mapping at column `m`; `started` when the cursor is
    /// already at the first key's column.
    fn block_map_rest(&mut self, entries: &[(String, Tree)], m: usize, started: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 || !started {
                let wobble = usize::from(self.rng.risky() && self.rng.one_in(4));
                self.out.push_str(&" ".repeat(m + wobble));
            }
            let kt = self.key_text(k);
            self.out.push_str(&kt);
            if self.rng.one_in(15) {
                self.out.push(' ');
            }
            self.out.push(':');
            if self.rng.risky() && self.rng.one_in(10) {
                self.out.push_str(&" ".repeat(1100));
            }
            self.block_value(v, m, false);
        }
    }

    fn block_seq(&mut self, items: &[Tree], m: usize) {
        for it in items {
            self.out.push_str(&" ".repeat(m));
            self.out.push('-');
            self.block_value(it, m, true);
        }
    }

    fn flow(&mut self, t: &Tree) {
        match t {
            Tree::Scalar(s) => {
                let s = self.scalar_text(s, true);
                self.out.push_str(&s);
            }
            Tree::Seq(items) => {
                self.out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                        let sp = self.sp().to_string();
                        self.out.push_str(&sp);
                    }
                    self.flow(it);
                }
                if self.rng.risky() && self.rng.one_in(5) {
                    self.out.push(',');
                }
                self.out.push(']');
            }
            Tree::Map(entries) => {
                self.out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                        let sp = self.sp().to_string();
                        self.out.push_str(&sp);
                    }
                    let kt = self.key_text(k);
                    self.out.push_str(&kt);
                    self.out.push(':');
                    let sp = self.sp().to_string();
                    self.out.push_str(&sp);
                    self.flow(v);
                }
                self.out.push('}');
            }
        }
    }
}

/// Whether `s` reads back as itself written plain.
fn plain_ok(s: &str, flow: bool) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    !(s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || ",[]{}#&*!|>'\"%@`".contains(first)
        || (flow && s.contains([',', '[', ']', '{', '}', '#']))
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':'))
}

fn s(x: &str) -> Tree {
    Tree::Scalar(x.to_string())
}

fn m(entries: Vec<(&str, Tree)>) -> Tree {
    Tree::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A scenario tree, mostly valid, with random values in some places.
fn scenario_tree(rng: &mut Rng) -> Tree {
    let mut top = vec![("name", s("probe"))];
    if rng.risky() {
        top[0].1 = Tree::Scalar(scalar(rng));
    }
    if rng.one_in(3) {
        top.push(("description", Tree::Scalar(scalar(rng))));
    }
    let mut vars = vec![
        ("storeId", s("mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k")),
        ("profileId", s("mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c")),
    ];
    if rng.one_in(3) {
        vars[1].1 = m(vec![
            ("mock", s("mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c")),
            ("description", Tree::Scalar(scalar(rng))),
        ]);
    }
    if rng.one_in(4) {
        vars.push(("other", Tree::Scalar(scalar(rng))));
    }
    if rng.one_in(8) {
        vars.push(("full", tree(rng, 2)));
    }
    top.push(("vars", m(vars)));
    let path = "/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers";
    let mut steps = Vec::new();
    for _ in 0..rng.below(3) + 1 {
        let mut request = vec![
            ("method", s(if rng.one_in(2) { "POST" } else { "GET" })),
            ("path", s(path)),
        ];
        if rng.risky() {
            request[0].1 = Tree::Scalar(scalar(rng));
        }
        if rng.one_in(3) {
            request.push(("body", tree(rng, 3)));
        }
        if rng.one_in(5) {
            request.push(("headers", m(vec![("X-A", Tree::Scalar(scalar(rng)))])));
        }
        if rng.one_in(6) {
            request.push(("query", m(vec![("q", tree(rng, 1))])));
        }
        let mut step = vec![("name", Tree::Scalar(scalar(rng))), ("request", m(request))];
        if rng.one_in(2) {
            let status = match rng.below(4) {
                0 => s("200"),
                1 => Tree::Seq(vec![s("200"), s("404")]),
                2 if rng.risky() => Tree::Scalar(scalar(rng)),
                _ => s("202"),
            };
            let mut expect = vec![("status", status)];
            if rng.one_in(3) {
                expect.push((
                    "body",
                    m(vec![("/values", m(vec![("equals", tree(rng, 2))]))]),
                ));
            }
            step.push(("expect", m(expect)));
        }
        if rng.one_in(5) {
            step.push((
                "retry",
                m(vec![
                    ("every", s("200ms")),
                    ("for", Tree::Scalar(scalar(rng))),
                ]),
            ));
        }
        if rng.one_in(8) {
            step.push(("capture", m(vec![("id", m(vec![("body", s("/id"))]))])));
        }
        if rng.one_in(10) {
            let v = if rng.risky() {
                scalar(rng)
            } else {
                "true".into()
            };
            step.push(("outside_contract", Tree::Scalar(v)));
        }
        steps.push(m(step));
    }
    top.push(("steps", Tree::Seq(steps)));
    if rng.risky() && rng.one_in(5) {
        top.push(("extra", tree(rng, 2)));
    }
    m(top)
}

fn render(rng: &mut Rng, t: &Tree) -> String {
    let mut r = Render {
        rng,
        out: String::new(),
    };
    if r.rng.one_in(10) {
        r.out.push_str("# head\n");
    }
    match t {
        Tree::Map(e) => r.block_map_rest(e, 0, false),
        _ => r.flow(t),
    }
    if r.rng.one_in(10) && r.out.ends_with('\n') {
        r.out.pop();
    }
    r.out
}

/// Small random edits.
fn mutate(rng: &mut Rng, doc: &str) -> String {
    let mut lines: Vec<String> = doc.split_inclusive('\n').map(str::to_string).collect();
    if lines.is_empty() {
        return doc.to_string();
    }
    for _ in 0..rng.below(2) + 1 {
        let i = rng.below(lines.len());
        match rng.below(12) {
            0..=2 => {
                // Insert a token at a random character.
                let l: Vec<char> = lines[i].chars().collect();
                let at = rng.below(l.len() + 1);
                let mut n: String = l[..at].iter().collect();
                n.push_str(rng.pick::<&str>(TOKENS));
                n.extend(&l[at..]);
                lines[i] = n;
            }
            3 => {
                let l: Vec<char> = lines[i].chars().collect();
                if !l.is_empty() {
                    let at = rng.below(l.len());
                    let len = (rng.below(3) + 1).min(l.len() - at);
                    let mut n: String = l[..at].iter().collect();
                    n.extend(&l[at + len..]);
                    lines[i] = n;
                }
            }
            4 => {
                // Reindent.
                if rng.one_in(2) {
                    lines[i] = format!("{}{}", " ".repeat(rng.below(3) + 1), lines[i]);
                } else {
                    let k = rng.below(3) + 1;
                    let lead = lines[i].len() - lines[i].trim_start_matches(' ').len();
                    lines[i] = lines[i][lead.min(k)..].to_string();
                }
            }
            5 => {
                if i + 1 < lines.len() {
                    lines.swap(i, i + 1);
                }
            }
            6 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            7 => {
                lines.remove(i);
                if lines.is_empty() {
                    return String::new();
                }
            }
            8 => {
                let ind = rng.below(10);
                let c = *rng.pick(&["# c\n", "#\n", "\n", "# a: b\n", "#- x\n"]);
                lines.insert(i, format!("{}{c}", " ".repeat(ind)));
            }
            9 => {
                // Replace a value.
                if let Some(p) = lines[i].find(": ") {
                    let v = scalar(rng);
                    let nl = if lines[i].ends_with('\n') { "\n" } else { "" };
                    lines[i] = format!("{}: {v}{nl}", &lines[i][..p]);
                }
            }
            10 => {
                // Replace a character.
                let l: Vec<char> = lines[i].chars().collect();
                if !l.is_empty() {
                    let at = rng.below(l.len());
                    let mut n: String = l[..at].iter().collect();
                    n.push_str(rng.pick::<&str>(TOKENS));
                    n.extend(&l[at + 1..]);
                    lines[i] = n;
                }
            }
            _ => {
                // Cut the end.
                let last = lines.len() - 1;
                if lines[last].ends_with('\n') {
                    lines[last].pop();
                } else {
                    lines[last].push('\n');
                }
            }
        }
    }
    lines.concat()
}

fn shipped(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shipped(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(std::fs::read_to_string(path).unwrap());
        }
    }
}

/// Hand-written documents for each rule of the scanner, read as any YAML.
fn edge_cases() -> Vec<String> {
    let mut v: Vec<String> = [
        "a: nULL\nb: NuLL\nc: nulL\nd: None\ne: none\nf: Nil\ng: ~~\nh: null!\n",
        "a: t\nb: f\nc: T\nd: F\ne: Y\nf: N\ng: yES\nh: oFF\n",
        "a: 0x\nb: 0o\nc: 0b\nd: +\ne: .\nf: -.\ng: +.\nh: .e1\ni: 1e\nj: 1e+\nk: 0e0\n",
        "a: 1__0\nb: 1.2.3\nc: 0x1p3\nd: 1,000\ne: 12e\nf: 0_1\ng: -0x1\nh: ０\n",
        "a: -0\nb: 0.0\nc: -0.0\nd: 0.30000000000000004\ne: 123456789012345678901234567890.5\nf: 9007199254740993\n",
        "a: 18446744073709551615\nb: 18446744073709551616\nc: -9223372036854775808\nd: -9223372036854775809\n",
        "a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 12:30:00\nd: 1:2\ne: 190:20:30\n",
        "a: x\u{85}y\nb: \u{85}x\nc: x\u{2028}\nd: \u{2029}\n\u{85}: 1\n",
        "a: [a\u{85}b, \u{2028}]\nb: {\u{85}: 1}\n",
        "a: |\n  x\u{85}\n  \u{2028}y\n",
        "a: x # \u{85}\n# \u{2028}\nb: 1\n",
        "a: \"\\x80\\xff\\u0000\\u0085\\uFEFF\\u2028\\x0a\"\n",
        "a: \"\u{85}\"\nb: '\u{2028}'\n",
        "\"\": 1\n'': 2\n",
        "\"a\\nb\": 1\n",
        "a: 1\n\"a\": 2\n",
        "a: 1\n'a': 2\n",
        "\"<<\": 1\n",
        "'<<': {a: 1}\n",
        "-: 1\n",
        "?: 1\n",
        ":: 1\n",
        "a:: 1\n",
        "a: :b\nb: ?c\nc: -d\nd: b!\ne: b&c\nf: b*\ng: x:\u{85}\n",
        "a:\n- x\n-b: 1\n",
        "a:\n- x\n# c\n- y\nb: 1\n",
        "a:\n  - x\n  # c\n  - y\nb: 1\n",
        "- a\n",
        "a:\n- a:\n  - b\n  c: d\n",
        "a:\n- a:\n    - b\n  c: d\n",
        "a:\n  - a:\n    - b\n    -   c\n    d: e\n",
        "a:\n  - a: # x\n    - b\n",
        "a:\n  - a:\n    -\n      b: c\n",
        "a:\n  - a:\n    -  # é😀\n      b: c\n",
        "a:\n- |\n  x\n- y\nb: |-\n  z\n",
        "a:\n  - |\n    x\n  -   |-\n     y\n",
        "a:\n  - b: |\n      x\n    c: 1\n",
        "a:\n- b: |\n    x\n  c: 1\n",
        "a: |-\n\n  x\n\n",
        "a: |\n  x\n\n\n",
        "a: |\n  x\n  \n",
        "a: |\n  x  \n  y \n",
        "a: |\n  # x\n  ---\n  ...\n",
        "a: |\n   x\n  # c\nb: 1\n",
        "a: |\n   x\n # c\n   \nb: 1\n",
        "a: |\n \n  x\n",
        "a: |\n  \n  x\n",
        "a: |-  # c\n  x\n",
        "a: |\n  x\n b: 1\n",
        "a: [a ,b]\nb: {a: b , c: d}\nc: { a : b }\nd: [ a , b ]\ne: [{}]\nf: [[]]\ng: {a: {}}\n",
        "a: {\"a\" : 1}\nb: {'a': 1}\nc: ['a''b']\nd: [\"a\"]\n",
        "a: [a:]\n",
        "a: {a:b: c}\n",
        "a: [http://x]\n",
        "a: [a?b, a-b, --, ---, ...]\n",
        "a: [?]\n",
        "a: [a b, a  b  ]\n",
        "a: {\"a\\nb\": 1}\n",
        "a: {\"\": 1}\n",
        "a: [:a]\nb: [:]\nc: {:a: b}\n",
        "a: [a:b:c]\nb: {a: b:c}\n",
        "a: [ ]\nb: { }\nc: []\nd: {}\n",
        "a: [x]\n",
        "a: [x]",
        "a: x",
        "a: 'x'",
        "a: |\n  x",
        "a: x\n# c",
        "a: x\n  # c\nb: y\n",
        "a: x\n       # c\nb: y\n",
        "a:    x\n",
        "a:\n    b: 1\n    c: 2\n",
        "😀: [x]\né: {b: c}\n",
        "a: 😀😀\nb: x😀: y\n",
        "\"😀\": 1\n'é': [\"😀\", '😀']\n",
        "- x\n",
        "a: b\n---\n",
        "a: b\n--- x\n",
        "a: b\n----\n",
        "a: b\n...\n",
        "a: - b\n",
        "a: -\n",
        "a: b #c: d\n",
        "a: 'x' # c\nb: \"x\" # c\nc: [x] # c\nd: {x: y} # c\n",
        "a: b\n\n\nc: d\n",
        "a: x\u{a0}\nb: \u{a0}\n",
        "a:\u{a0}b\n",
        "a: b\u{3000}\n",
        "a:\n  b: 1\n  c:\n  - x\n  d: 2\n",
        "a:\n  b:\n  - x\n  - y\nc: 1\n",
        "a: {b: [c, {d: [e]}]}\n",
        "- a: b\n",
        "a: b\n  c: d\n",
        "a: \"x\"\n  b: c\n",
        "a: [x]\n  b: c\n",
        "a:\n  - x\n   - y\n",
        "a:\n  - x\n - y\n",
        "a:\n - x\n  b: y\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let long = " ".repeat(1100);
    v.push(format!("a{long}: b\n"));
    v.push(format!("\"a\"{long}: b\n"));
    v.push(format!("x: {{a{long}: b}}\n"));
    v.push(format!("x: {{\"a\"{long}: b}}\n"));
    v.push(format!("x:\n- a{long}: b\n"));
    v.push(format!("x:\n  - a{long}: b\n"));
    v.push(format!("x: [a{long}, b]\n"));
    v.push(format!("x: {{a: b{long}}}\n"));
    v.push(format!("{}: 1\n", "é".repeat(100)));
    v.push(format!("{}: 1\n", "é".repeat(101)));
    v.push(format!("{}: 1\n", "k".repeat(100)));
    v.push(format!("a{}: 1\n", " ".repeat(1000)));
    v.push(format!("a{}: 1\n", " ".repeat(1022)));
    v.push(format!("a{}: 1\n", " ".repeat(1023)));
    v.push(format!("a{}: 1\n", " ".repeat(1024)));
    v.push(format!("x: {{a{}: 1}}\n", " ".repeat(1022)));
    v.push(format!("x: {{a{}: 1}}\n", " ".repeat(1024)));
    v.push(format!("\"{}\": 1\n", "\\u00e9".repeat(100)));
    v.push(format!("\"{}\": 1\n", "\\x41".repeat(100)));
    v.push(format!("x: [{}]\n", "a,".repeat(100_000) + "a"));
    v.push(format!("x: [{}]\n", "😀,".repeat(100_000) + "a"));
    v.push(format!(
        "x:{}\n",
        (0..30)
            .map(|i| format!("\n{}k:", " ".repeat(i + 1)))
            .collect::<String>()
            + " v"
    ));
    v.push(format!("x: {}{}\n", "[".repeat(40), "]".repeat(40)));
    v.push(format!(
        "x: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    v.push(format!("x: {}a{}\n", "{a: ".repeat(40), "}".repeat(40)));
    v.push(
        "a: b\n".to_string()
            + &(0..200_000)
                .map(|i| format!("k{i}: v\n"))
                .collect::<String>(),
    );
    v
}

#[test]
#[ignore]
fn fuzz_edge_cases() {
    let mut problems = Vec::new();
    let mut quick = 0;
    let cases = edge_cases();
    for doc in &cases {
        let t0 = Instant::now();
        let alone = yaml::quick_read::<Spanned<Val>>(doc).is_some();
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
    let docs: usize = std::env::var("FUZZ_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1, 10);
    let risk: Option<usize> = std::env::var("FUZZ_RISK").ok().and_then(|v| v.parse().ok());
    let show: usize = std::env::var("FUZZ_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut files = Vec::new();
    shipped(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance"),
        &mut files,
    );
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
        if bad(&o) && found.len() < 40 {
            let small = minimise(&scenario_check, &doc);
            if !found.contains(&small) {
                let o2 = check(&contract, &small);
                println!("=== DISAGREEMENT ({o2:?})\n{small:?}\n");
                found.push(small);
            }
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
            if bad(&g) && found.len() < 40 {
                let small = minimise(&check_generic, &d);
                if !found.contains(&small) {
                    let o2 = check_generic(&small);
                    println!("=== GENERIC DISAGREEMENT ({o2:?})\n{small:?}\n");
                    found.push(small);
                }
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
    let docs: usize = std::env::var("FUZZ_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
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
        if bad(&o) && found.len() < 40 {
            let small = minimise(&check_generic, &doc);
            if !found.contains(&small) {
                let o2 = check_generic(&small);
                println!("=== GENERIC DISAGREEMENT ({o2:?})\n{small:?}\n");
                found.push(small);
            }
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
