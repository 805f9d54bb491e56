//! The fuzzer's documents: random trees rendered with random layouts, and
//! small random edits of a document.

use super::Rng;

pub(super) const TOKENS: &[&str] = &[
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

pub(super) const SCALARS: &[&str] = &[
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

pub(super) const SAFE: &[&str] = &[
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

pub(super) const KEYS: &[&str] = &[
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
pub(super) enum Tree {
    Scalar(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

pub(super) fn tree(rng: &mut Rng, depth: usize) -> Tree {
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

pub(super) fn scalar(rng: &mut Rng) -> String {
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
pub(super) struct Render<'r> {
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
pub(super) fn plain_ok(s: &str, flow: bool) -> bool {
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
pub(super) fn scenario_tree(rng: &mut Rng) -> Tree {
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

pub(super) fn render(rng: &mut Rng, t: &Tree) -> String {
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
pub(super) fn mutate(rng: &mut Rng, doc: &str) -> String {
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
