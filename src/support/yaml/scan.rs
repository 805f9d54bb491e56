//! The YAML that scenario files are written in, read in one pass over the
//! bytes. A general YAML parser spends about 150 instructions a byte on a
//! scenario file (it keeps a queue of look-ahead characters and tokens for
//! every construct YAML allows); scenario files use a small part of YAML, and
//! reading only that part takes a fraction of it.
//!
//! The part read here: block mappings and sequences indented with spaces
//! (a sequence may sit at its key's indentation, and a `- key: value` item
//! opens a mapping), plain scalars on one line, quoted scalars on one line,
//! literal block scalars (`|`, `|-`), flow collections on one line, comments.
//! Anything else gives up (`None`): tabs, carriage returns, anchors, aliases,
//! tags, `?` keys, empty values, multi-line plain or quoted scalars, folded
//! or kept block scalars, a `---` or `...` line, a plain scalar a flow
//! collection might read another way. The caller then leaves the file to
//! serde-saphyr, so giving up costs time, never a different answer.

use std::borrow::Cow;

use super::fast::{map_node, At, Kind, Node};
use super::{MAX_DEPTH, MAX_NODES, MAX_SCALAR_BYTES};

/// The document as a tree, or `None` when serde-saphyr must read it. The
/// bounds are half of serde-saphyr's budget, so a file near the budget is left
/// to it (it counts slightly differently, and says what was exceeded).
pub(super) fn tree(text: &str) -> Option<Node<'_>> {
    let ascii = readable(text)?;
    let mut scan = Scan {
        text,
        s: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        nodes: 0,
        bytes: 0,
        depth: 0,
        ascii,
        column: std::cell::Cell::new((0, 0)),
    };
    scan.settle()?;
    // A scenario is a mapping at the left margin; anything else is an error
    // serde-saphyr words.
    if scan.eof() || scan.indent() != 0 || scan.dash() {
        return None;
    }
    let root = scan.block_map(0)?;
    scan.eof().then_some(root)
}

/// The most bytes from a key's first character to its `:`. serde-saphyr
/// looks no further than 1,024 characters for the `:` of a key (spaces
/// before the `:` included), and refuses the file when it is further.
const MAX_KEY_SPAN: usize = 1000;

/// Where a collection's value is: after a mapping's `:` or a sequence's `-`.
#[derive(Clone, Copy, PartialEq)]
enum Holder {
    Map,
    Seq,
}

struct Scan<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    /// The line of `pos`, from 1.
    line: u32,
    line_start: usize,
    nodes: usize,
    bytes: usize,
    depth: usize,
    /// Whether the text is all ASCII, where a column is a byte offset.
    ascii: bool,
    /// The last position [`Scan::at`] gave: a byte offset and the characters
    /// from its line's start to it, so that the next one on the same line
    /// counts from there (a long line would be counted over and over).
    column: std::cell::Cell<(usize, usize)>,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    fn byte(&self, at: usize) -> u8 {
        self.s.get(at).copied().unwrap_or(0)
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The indentation of the current line, `pos` being its first character.
    fn indent(&self) -> usize {
        self.pos - self.line_start
    }

    /// Whether `pos` is a sequence entry's `-`.
    fn dash(&self) -> bool {
        self.peek() == b'-' && blank_or_end(self.byte(self.pos + 1))
    }

    /// The position of `at` on the current line, columns counted in
    /// characters as serde-saphyr counts them.
    fn at(&self, at: usize) -> Option<At> {
        if self.ascii {
            return Some(At {
                line: self.line,
                column: u32::try_from(at - self.line_start + 1).ok()?,
            });
        }
        let (last, last_chars) = self.column.get();
        let (from, mut chars) = if last >= self.line_start && last <= at {
            (last, last_chars)
        } else {
            (self.line_start, 0)
        };
        chars += self.s[from..at]
            .iter()
            .filter(|&&b| (b as i8) >= -0x40)
            .count();
        self.column.set((at, chars));
        Some(At {
            line: self.line,
            column: u32::try_from(chars + 1).ok()?,
        })
    }

    /// The text between two positions, both next to ASCII bytes the scanner
    /// stopped at (so on character boundaries; `get` checks it).
    fn str(&self, range: impl std::slice::SliceIndex<str, Output = str>) -> Option<&'a str> {
        self.text.get(range)
    }

    fn spaces(&mut self) {
        while self.peek() == b' ' {
            self.pos += 1;
        }
    }

    /// Counts a value against the budget.
    fn count(&mut self, bytes: usize) -> Option<()> {
        self.nodes += 1;
        self.bytes += bytes;
        (self.nodes <= MAX_NODES / 2 && self.bytes <= MAX_SCALAR_BYTES / 2).then_some(())
    }

    /// After a value: the rest of its line is blank or a comment; then moves
    /// to the first character of the next line with content (or the end).
    fn end_value(&mut self) -> Option<()> {
        let start = self.pos;
        self.spaces();
        match self.peek() {
            b'\n' | 0 => {}
            b'#' if self.pos > start => {}
            _ => return None,
        }
        self.next_content()
    }

    /// From inside a line that is blank or a comment to its end: moves to the
    /// next content.
    fn next_content(&mut self) -> Option<()> {
        match memchr(b'\n', &self.s[self.pos..]) {
            Some(i) => {
                self.pos += i;
                self.newline();
                self.settle()
            }
            None => {
                self.pos = self.s.len();
                Some(())
            }
        }
    }

    /// From the start of a line: skips blank and comment lines, and stops at
    /// the first character of content (or the end).
    fn settle(&mut self) -> Option<()> {
        loop {
            self.spaces();
            match self.peek() {
                b'\n' => self.newline(),
                b'#' => match memchr(b'\n', &self.s[self.pos..]) {
                    Some(i) => {
                        self.pos += i;
                        self.newline();
                    }
                    None => self.pos = self.s.len(),
                },
                _ if self.eof() => return Some(()),
                // Document markers end or start a document: serde-saphyr's
                // call.
                _ if self.indent() == 0
                    && (self.s[self.pos..].starts_with(b"---")
                        || self.s[self.pos..].starts_with(b"...")) =>
                {
                    return None
                }
                _ => return Some(()),
            }
        }
    }

    /// Steps over the `\n` at `pos`.
    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH / 2).then_some(())
    }

    /// A block mapping whose keys are at column `n`; `pos` is its first key.
    fn block_map(&mut self, n: usize) -> Option<Node<'a>> {
        self.enter()?;
        let mut entries = Vec::new();
        loop {
            let key = self.key()?;
            let value = self.value(n, Holder::Map)?;
            entries.push((key, value));
            if self.eof() || self.indent() < n {
                break;
            }
            // A key at this indentation, or something serde-saphyr judges.
            if self.indent() > n || self.dash() {
                return None;
            }
        }
        self.depth -= 1;
        let at = entries.first()?.0.at;
        self.count(0)?;
        map_node(at, entries)
    }

    /// A block sequence whose `-` are at column `n`; `pos` is the first.
    fn block_seq(&mut self, n: usize) -> Option<Node<'a>> {
        let at = self.at(self.pos)?;
        self.seq_at(n, at)
    }

    /// A sequence at its key's indentation, `n`; `pos` is its first `-`.
    /// serde-saphyr places it after that `-`, its spaces and a comment on
    /// its line: at the first item when the item is on that line.
    fn indentless_seq(&mut self, n: usize) -> Option<Node<'a>> {
        let mut after = self.pos + 1;
        while self.byte(after) == b' ' {
            after += 1;
        }
        if self.byte(after) == b'#' {
            after += memchr(b'\n', &self.s[after..]).unwrap_or(self.s.len() - after);
        }
        let at = self.at(after)?;
        self.seq_at(n, at)
    }

    fn seq_at(&mut self, n: usize, at: At) -> Option<Node<'a>> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            self.pos += 1;
            items.push(self.value(n, Holder::Seq)?);
            if self.eof() || self.indent() < n {
                break;
            }
            if self.indent() > n {
                return None;
            }
            if !self.dash() {
                // A key of the mapping this sequence is the value of (at the
                // key's indentation); the mapping checks it.
                break;
            }
        }
        self.depth -= 1;
        self.count(0)?;
        Some(Node {
            at,
            kind: Kind::Seq(items),
        })
    }

    /// A block mapping's key and its `:`.
    fn key(&mut self) -> Option<Node<'a>> {
        let start = self.pos;
        let key = match self.peek() {
            b'"' => self.double()?,
            b'\'' => self.single()?,
            _ => {
                let (node, colon) = self.plain_block()?;
                if !colon {
                    return None;
                }
                node
            }
        };
        self.spaces();
        if self.peek() != b':'
            || !blank_or_end(self.byte(self.pos + 1))
            || self.pos - start > MAX_KEY_SPAN
        {
            return None;
        }
        self.pos += 1;
        Some(key)
    }

    /// The value after a mapping's `:` or a sequence's `-` (at `pos`), in a
    /// collection at column `n`. Returns at the next content.
    fn value(&mut self, n: usize, holder: Holder) -> Option<Node<'a>> {
        self.spaces();
        match self.peek() {
            b'\n' | 0 | b'#' => {
                self.next_content()?;
                if self.eof() {
                    return None;
                }
                let m = self.indent();
                if m > n {
                    if self.dash() {
                        self.block_seq(m)
                    } else {
                        self.block_map(m)
                    }
                } else if m == n && holder == Holder::Map && self.dash() {
                    self.indentless_seq(n)
                } else {
                    // An empty value: serde-saphyr places it at the `:`.
                    None
                }
            }
            b'|' => self.literal(n),
            b'[' | b'{' => {
                let node = self.flow()?;
                self.end_value()?;
                Some(node)
            }
            _ => {
                // A scalar, or in a sequence the first key of a mapping.
                let start = self.pos;
                let (node, colon) = match self.peek() {
                    b'"' => (self.double()?, false),
                    b'\'' => (self.single()?, false),
                    _ => self.plain_block()?,
                };
                let keyed = colon || {
                    let after = self.pos;
                    self.spaces();
                    let keyed = self.peek() == b':';
                    self.pos = after;
                    keyed
                };
                if keyed {
                    if holder != Holder::Seq {
                        return None;
                    }
                    self.pos = start;
                    return self.block_map(start - self.line_start);
                }
                self.end_value()?;
                Some(node)
            }
        }
    }

    /// A plain scalar in block context, and whether a key's `:` ends it.
    fn plain_block(&mut self) -> Option<(Node<'a>, bool)> {
        if !self.plain_may_start(blank_or_end) {
            return None;
        }
        let start = self.pos;
        // It ends at the line's end, a `:` before a blank, or a ` #`: only
        // those three bytes need a look (the first byte is none of them).
        let mut stop = self.s.len();
        let mut colon = false;
        for i in memchr::memchr3_iter(b'\n', b':', b'#', &self.s[start..]) {
            let at = start + i;
            match self.s[at] {
                b':' if !blank_or_end(self.byte(at + 1)) => continue,
                b'#' if self.s[at - 1] != b' ' => continue,
                b':' => colon = true,
                _ => {}
            }
            stop = at;
            break;
        }
        // Its trailing spaces are left out.
        let end = self.s[start..stop]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(start, |i| start + i + 1);
        Some((self.plain(start, end)?, colon))
    }

    /// A double-quoted scalar on one line.
    fn double(&mut self) -> Option<Node<'a>> {
        let at = self.at(self.pos)?;
        self.pos += 1;
        // Borrowed from the text until an escape makes it differ.
        let mut out = Cow::Borrowed("");
        let mut run = self.pos;
        loop {
            match self.peek() {
                b'"' => break,
                b'\n' | 0 => return None,
                b'\\' => {
                    let text = out.to_mut();
                    text.push_str(self.str(run..self.pos)?);
                    let (c, len) = self.escape()?;
                    text.push(c);
                    self.pos += len;
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        push(&mut out, self.str(run..self.pos)?);
        self.pos += 1;
        self.count(out.len())?;
        Some(Node {
            at,
            kind: Kind::Text(out),
        })
    }

    /// The escape at `pos` (a `\`) and its length; the rarer ones are left
    /// to serde-saphyr.
    fn escape(&self) -> Option<(char, usize)> {
        let hex = |len: usize| {
            let digits = self.s.get(self.pos + 2..self.pos + 2 + len)?;
            let digits = std::str::from_utf8(digits).ok()?;
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            char::from_u32(u32::from_str_radix(digits, 16).ok()?).map(|c| (c, 2 + len))
        };
        let c = match self.byte(self.pos + 1) {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'0' => '\0',
            b'x' => return hex(2),
            b'u' => return hex(4),
            _ => return None,
        };
        Some((c, 2))
    }

    /// A single-quoted scalar on one line.
    fn single(&mut self) -> Option<Node<'a>> {
        let at = self.at(self.pos)?;
        self.pos += 1;
        let mut out = Cow::Borrowed("");
        let mut run = self.pos;
        loop {
            match self.peek() {
                b'\'' if self.byte(self.pos + 1) == b'\'' => {
                    out.to_mut().push_str(self.str(run..=self.pos)?);
                    self.pos += 2;
                    run = self.pos;
                }
                b'\'' => break,
                b'\n' | 0 => return None,
                _ => self.pos += 1,
            }
        }
        push(&mut out, self.str(run..self.pos)?);
        self.pos += 1;
        self.count(out.len())?;
        Some(Node {
            at,
            kind: Kind::Text(out),
        })
    }

    /// A literal block scalar (`|` or `|-`) in a collection at column `n`.
    /// Returns at the next content.
    fn literal(&mut self, n: usize) -> Option<Node<'a>> {
        self.pos += 1;
        let strip = self.peek() == b'-';
        if strip {
            self.pos += 1;
        }
        // Its header ends the line (a comment may follow a space).
        let start = self.pos;
        self.spaces();
        match self.peek() {
            b'\n' => {}
            b'#' if self.pos > start => {
                self.pos += memchr(b'\n', &self.s[self.pos..])?;
            }
            _ => return None,
        }
        self.newline();
        // The first line with content sets the indentation; blank lines
        // before it are line breaks of the value, and may not be longer.
        let (mut longest_blank, mut breaks) = (0, 0usize);
        let indent = loop {
            let spaces = self.s[self.pos..]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            match self.byte(self.pos + spaces) {
                b'\n' => {
                    longest_blank = longest_blank.max(spaces);
                    breaks += 1;
                    self.pos += spaces;
                    self.newline();
                }
                // An empty scalar keeps or loses its line break depending on
                // the parser.
                0 => return None,
                _ => break spaces,
            }
        };
        if indent <= n || longest_blank > indent {
            return None;
        }
        // serde-saphyr places a block scalar at its first line of content,
        // after the indentation (not at the `|`).
        let at = self.at(self.pos + indent)?;
        let mut out = String::new();
        loop {
            let spaces = self.s[self.pos..]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            match self.byte(self.pos + spaces) {
                b'\n' if spaces <= indent => {
                    breaks += 1;
                    self.pos += spaces;
                    self.newline();
                    continue;
                }
                // A blank line longer than the indentation holds spaces.
                b'\n' => return None,
                0 if spaces > 0 => return None,
                0 => break,
                _ if spaces < indent => break,
                _ => {}
            }
            // A line of content: all of it after the indentation, after the
            // line breaks before it (one, and one more per blank line).
            let from = self.pos + indent;
            let to = from + memchr(b'\n', &self.s[from..]).unwrap_or(self.s.len() - from);
            out.extend(std::iter::repeat_n('\n', breaks));
            breaks = 1;
            out.push_str(self.str(from..to)?);
            self.pos = to;
            if self.eof() {
                // The file ends without a line break: the parsers differ.
                return None;
            }
            self.newline();
        }
        if !strip {
            out.push('\n');
        }
        self.count(out.len())?;
        // `pos` is at the start of the line after the scalar.
        self.settle()?;
        Some(Node {
            at,
            kind: Kind::Text(Cow::Owned(out)),
        })
    }

    /// A flow collection on one line, at `pos` (`[` or `{`).
    fn flow(&mut self) -> Option<Node<'a>> {
        self.enter()?;
        let at = self.at(self.pos)?;
        let map = self.peek() == b'{';
        let close = if map { b'}' } else { b']' };
        self.pos += 1;
        let mut items = Vec::new();
        let mut entries = Vec::new();
        loop {
            self.spaces();
            if self.peek() == close && items.is_empty() && entries.is_empty() {
                break;
            }
            if map {
                let start = self.pos;
                let key = match self.peek() {
                    b'[' | b'{' => return None,
                    _ => self.flow_node()?,
                };
                self.spaces();
                if self.peek() != b':'
                    || self.byte(self.pos + 1) != b' '
                    || self.pos - start > MAX_KEY_SPAN
                {
                    return None;
                }
                self.pos += 1;
                self.spaces();
                entries.push((key, self.flow_node()?));
            } else {
                items.push(self.flow_node()?);
            }
            self.spaces();
            match self.peek() {
                b',' => self.pos += 1,
                c if c == close => break,
                _ => return None,
            }
        }
        self.pos += 1;
        self.depth -= 1;
        self.count(0)?;
        if map {
            map_node(at, entries)
        } else {
            Some(Node {
                at,
                kind: Kind::Seq(items),
            })
        }
    }

    /// A value inside a flow collection.
    fn flow_node(&mut self) -> Option<Node<'a>> {
        match self.peek() {
            b'[' | b'{' => self.flow(),
            b'"' => self.double(),
            b'\'' => self.single(),
            _ => self.plain_flow(),
        }
    }

    /// A plain scalar inside a flow collection: it ends at `,[]{}`, a `: `,
    /// or the line's end (where the collection must not end).
    fn plain_flow(&mut self) -> Option<Node<'a>> {
        if !self.plain_may_start(flow_blank) {
            return None;
        }
        let start = self.pos;
        let mut end = start;
        while let Some(&b) = self.s.get(self.pos) {
            match b {
                b'\n' | b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' if self.byte(self.pos + 1) == b' ' => break,
                // A `:` before a flow indicator, and `#`: the parsers read
                // them differently.
                b':' if flow_blank(self.byte(self.pos + 1)) => return None,
                b'#' => return None,
                b' ' => {}
                _ => end = self.pos + 1,
            }
            self.pos += 1;
        }
        self.plain(start, end)
    }

    /// Whether a plain scalar may begin at `pos`: not with an indicator, nor
    /// with `-`, `?` or `:` followed by what `ends` says ends a token.
    fn plain_may_start(&self, ends: fn(u8) -> bool) -> bool {
        let first = self.peek();
        !(matches!(
            first,
            b',' | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        ) || (matches!(first, b'-' | b'?' | b':') && ends(self.byte(self.pos + 1))))
    }

    /// The plain scalar from `start` to `end` (its trailing spaces left out);
    /// moves to `end`.
    fn plain(&mut self, start: usize, end: usize) -> Option<Node<'a>> {
        if end == start {
            return None;
        }
        self.pos = end;
        let text = self.str(start..end)?;
        self.count(text.len())?;
        Some(Node {
            at: self.at(start)?,
            kind: Kind::Plain(text),
        })
    }
}

/// A space, a line break, or the end (0): what must follow a `:` or `-`
/// indicator in block context.
fn blank_or_end(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | 0)
}

/// The same inside a flow collection, where its brackets and commas also end
/// a token.
fn flow_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | 0 | b',' | b'[' | b']' | b'{' | b'}')
}

/// Whether the scanner may read `text`: free of tabs and carriage returns
/// (the scanner separates with spaces and ends lines with `\n` only), and of
/// characters outside YAML's printable set (a byte-order mark included).
/// Such files are rare; they are read by serde-saphyr. `Some(true)` when the
/// text is all ASCII.
fn readable(text: &str) -> Option<bool> {
    // Most files are ASCII: 32 bytes at a time, without a branch per byte.
    let ascii = |b: u8| (b' '..=b'~').contains(&b) || b == b'\n';
    let mut from = 0;
    for chunk in text.as_bytes().chunks_exact(32) {
        if !chunk.iter().fold(true, |ok, &b| ok & ascii(b)) {
            break;
        }
        from += 32;
    }
    // `from` follows an ASCII byte: a character boundary.
    let rest = &text[from..];
    rest.chars()
        .all(|c| c != '\t' && c != '\r' && super::fast::printable(c))
        .then(|| rest.is_ascii())
}

/// Appends `tail` to a scalar's text, still borrowed when it was empty.
fn push<'a>(out: &mut Cow<'a, str>, tail: &'a str) {
    if out.is_empty() {
        *out = Cow::Borrowed(tail);
    } else {
        out.to_mut().push_str(tail);
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}
