//! Bounds on what input can make mimeo hold or print, in one place, with the
//! helpers that apply them. Every list a request, an answer or a file can grow
//! (violations, log lines, error lists, names) is cut here the same way: the
//! first few items, then how many more there were, so nothing a client or a
//! target sends can make a message, a log line or a report unbounded.
//!
//! The README's "Limits" section lists these with the flags that change them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Violations listed per check and per response (or per request); the rest are
/// counted.
pub(crate) const MAX_LISTED: usize = 20;

/// Violations counted past the listed ones before counting stops ("more than N").
pub(crate) const MAX_COUNTED: usize = 100_000;

/// Longest single violation or failure message, in bytes (the value that broke a
/// rule is quoted in it, and a value can be megabytes long).
pub(crate) const MAX_MESSAGE: usize = 400;

/// The most of a request's own text (a header, a parameter, a name) a message
/// quotes, in bytes: a hostile request must not make mimeo echo it whole into
/// the answer, the log line and the journal.
pub(crate) const MAX_QUOTED: usize = 200;

/// Longest log line (the mock's and the proxy's), in bytes.
pub(crate) const MAX_LOG_LINE: usize = 8 * 1024;

/// Values of a JSON body beyond which a schema violation is not looked for in
/// every place: the first one found is reported, and the message says the rest
/// was not listed. Listing every violation of a large body would hold one record
/// per broken value (a 14 MB answer with millions of wrong items took gigabytes).
pub(crate) const DETAILED_VALUES: usize = 20_000;

/// A size for people: `16 MiB`, `512 KiB`, `100 bytes`.
#[cfg(feature = "replay")]
pub(crate) fn format_size(bytes: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes % size == 0 {
            return format!("{} {unit}", bytes / size);
        }
    }
    for (size, unit) in UNITS {
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} bytes")
}

/// `text` cut to at most `max` bytes (at a character boundary), with `…` and
/// the size of the whole when it was cut.
pub(crate) fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}… ({} bytes in all)", &text[..cut], text.len()))
}

/// `text` as a message quotes it: at most [`MAX_QUOTED`] bytes, then `…` and
/// the size of the whole.
pub(crate) fn quoted(text: &str) -> Cow<'_, str> {
    truncate(text, MAX_QUOTED)
}

/// A list kept to its first [`MAX_LISTED`] items, with a count of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Capped<T> {
    /// The first items.
    pub(crate) items: Vec<T>,
    /// How many more there were (counted up to [`MAX_COUNTED`]).
    pub(crate) more: usize,
    /// Whether counting stopped before the end, or the source could not say how
    /// many there were: `more` is then a lower bound.
    pub(crate) open: bool,
}

impl<T> Default for Capped<T> {
    fn default() -> Self {
        Capped {
            items: Vec::new(),
            more: 0,
            open: false,
        }
    }
}

impl<T> Capped<T> {
    /// Takes at most `listed` items from `iter` and counts the rest (up to
    /// [`MAX_COUNTED`]).
    pub(crate) fn collect(iter: impl IntoIterator<Item = T>, listed: usize) -> Capped<T> {
        let mut out = Capped::default();
        for item in iter {
            out.push_limited(item, listed);
            if out.open {
                break;
            }
        }
        out
    }

    /// Adds `item` when fewer than `listed` are kept, else counts it.
    pub(crate) fn push_limited(&mut self, item: T, listed: usize) {
        if self.items.len() < listed {
            self.items.push(item);
        } else if self.more < MAX_COUNTED {
            self.more += 1;
        } else {
            self.open = true;
        }
    }

    /// Whether nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty() && self.more == 0 && !self.open
    }

    /// Listed plus counted.
    pub(crate) fn total(&self) -> usize {
        self.items.len() + self.more
    }

    /// `and 3 more`, `and more than 100000 more`, or nothing.
    pub(crate) fn more_text(&self, what: &str) -> Option<String> {
        match (self.more, self.open) {
            (0, false) => None,
            (_, false) => Some(format!("and {} more {what}", self.more)),
            (0, true) => Some(format!("and possibly more {what} (not looked for)")),
            (n, true) => Some(format!("and more than {n} more {what}")),
        }
    }
}

/// `a, b, c` for the first `listed` of `total` names, then `and N more`; only
/// those listed are looked at.
#[cfg(feature = "replay")]
pub(crate) fn list_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    total: usize,
    listed: usize,
) -> String {
    let mut out = String::new();
    for (i, n) in names.into_iter().take(listed).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(n);
    }
    if total > listed {
        let _ = write!(out, " and {} more", total - listed);
    }
    out
}

/// Whether a JSON value has more than `limit` values in it (counting stops there).
pub(crate) fn more_values_than(value: &serde_json::Value, limit: usize) -> bool {
    fn count(v: &serde_json::Value, left: &mut usize) -> bool {
        if *left == 0 {
            return true;
        }
        *left -= 1;
        match v {
            serde_json::Value::Array(items) => items.iter().any(|i| count(i, left)),
            serde_json::Value::Object(map) => map.values().any(|i| count(i, left)),
            _ => false,
        }
    }
    let mut left = limit;
    count(value, &mut left)
}

/// Text safe to print on a terminal or write into a line-based log: control
/// characters (escape sequences, carriage returns, NUL) and Unicode
/// non-characters become visible `\u{..}` escapes; `keep_newlines` keeps `\n`
/// (and tabs) for multi-line text such as diffs.
pub(crate) fn printable(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let bad = |c: char| {
        if keep_newlines && (c == '\n' || c == '\t') {
            return false;
        }
        c.is_control() || is_noncharacter(c) || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Unicode non-characters (U+FDD0..U+FDEF and the last two code points of every
/// plane, U+FFFE and U+FFFF among them): not allowed in XML or YAML text.
pub(crate) fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || (n & 0xFFFE) == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "replay")]
    fn sizes_for_people() {
        assert_eq!(format_size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(100), "100 bytes");
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate("short", 10), "short");
        let cut = truncate("ééééé", 3);
        assert_eq!(cut, "é… (10 bytes in all)");
    }

    #[test]
    fn capped_lists_count_the_rest() {
        let c = Capped::collect(0..25, 20);
        assert_eq!(c.items.len(), 20);
        assert_eq!(c.more, 5);
        assert_eq!(
            c.more_text("violations").as_deref(),
            Some("and 5 more violations")
        );
        let c = Capped::collect(0..(MAX_COUNTED + 100), 2);
        assert!(c.open);
        assert_eq!(c.total(), MAX_COUNTED + 2);
        assert!(Capped::<u8>::default().is_empty());
        #[cfg(feature = "replay")]
        assert_eq!(list_names(["a", "b", "c"], 3, 2), "a, b and 1 more");
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_act_on() {
        assert_eq!(printable("a\u{1b}[31mb", false), "a\\u{1b}[31mb");
        assert_eq!(printable("x\ny\r", true), "x\ny\\u{d}");
        assert_eq!(printable("\u{fffe}", true), "\\u{fffe}");
        assert!(matches!(printable("plain é", false), Cow::Borrowed(_)));
        assert!(is_noncharacter('\u{1ffff}'));
        assert!(!is_noncharacter('\u{fffd}'));
    }

    #[test]
    fn value_counting_stops_early() {
        let v = serde_json::json!([1, [2, 3], {"a": 4}]);
        assert!(!more_values_than(&v, 7));
        assert!(more_values_than(&v, 6));
    }
}
