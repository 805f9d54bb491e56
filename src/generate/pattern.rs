//! `pattern`s: parsed once, rewritten so `rand_regex` can sample from them, and
//! matched.
//!
//! Patterns are written for ECMA-262 regular expressions; what `regex_syntax`
//! rejects is translated first. Generation samples a simplified copy of the syntax
//! tree (assertions dropped, classes narrowed to readable characters, repetitions
//! bounded) and the result is matched against the real pattern afterwards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition,
};

use super::Generator;

/// Parsed patterns by source text (`None` when a pattern cannot be parsed), shared
/// by every generator so a per-request generator does not parse them again.
static PATTERNS: OnceLock<Mutex<HashMap<String, Arc<Option<Pattern>>>>> = OnceLock::new();

impl Generator<'_> {
    /// The parsed form of `pattern`, cached.
    pub(super) fn pattern(&self, pattern: &str) -> Arc<Option<Pattern>> {
        let mut cache = match PATTERNS.get_or_init(Default::default).lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(p) = cache.get(pattern) {
            return Arc::clone(p);
        }
        if cache.len() >= 512 {
            cache.clear();
        }
        let parsed = Arc::new(Pattern::parse(pattern));
        cache.insert(pattern.to_string(), Arc::clone(&parsed));
        parsed
    }

    /// Whether `text` matches `pattern` (anywhere, as JSON Schema's `pattern` does),
    /// for choosing what to generate: the `patternProperties` a name falls under,
    /// and strings that must match several patterns at once. `None` when the
    /// pattern is not understood or the check would be too costly.
    pub(super) fn is_match(&self, pattern: &str, text: &str) -> Option<bool> {
        let p = self.pattern(pattern);
        p.as_ref().as_ref()?.matches(text)
    }
}

/// A parsed `pattern`: its syntax tree (to generate from) and a compiled matcher.
pub(super) struct Pattern {
    pub(super) hir: Hir,
    regex: Option<regex::Regex>,
}

impl Pattern {
    fn parse(pattern: &str) -> Option<Pattern> {
        if pattern.len() > 4096 {
            return None;
        }
        let parse = |p: &str| regex_syntax::ParserBuilder::new().build().parse(p).ok();
        let (hir, source) = match parse(pattern) {
            Some(h) => (h, pattern.to_string()),
            None => {
                let rewritten = ecma_to_rust(pattern);
                (parse(&rewritten)?, rewritten)
            }
        };
        let regex = regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
            .ok();
        Some(Pattern { hir, regex })
    }

    pub(super) fn matches(&self, text: &str) -> Option<bool> {
        Some(self.regex.as_ref()?.is_match(text))
    }
}

/// Rewrites the ECMA-262 escapes `regex_syntax` rejects into equivalents it accepts.
fn ecma_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // `\uXXXX` is ECMA's; `\u{X}` is regex_syntax's.
            Some('u') => {
                let hex: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_hexdigit))
                    .take(4)
                    .collect();
                if hex.len() == 4 {
                    out.push_str(&format!("\\u{{{hex}}}"));
                } else {
                    out.push('u');
                    out.push_str(&hex);
                }
            }
            Some('c') => match chars.next_if(char::is_ascii_alphabetic) {
                Some(l) => out.push_str(&format!("\\x{:02X}", (l as u8) % 32)),
                None => out.push_str("\\\\c"),
            },
            Some('0') => out.push_str("\\x00"),
            Some('/') => out.push('/'),
            Some(other) if other.is_ascii_punctuation() => {
                out.push('\\');
                out.push(other);
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push_str("\\\\"),
        }
    }
    out
}

const ALNUM_RANGES: [(char, char); 3] = [('0', '9'), ('A', 'Z'), ('a', 'z')];
const PRINTABLE_RANGES: [(char, char); 1] = [(' ', '~')];

/// Narrows a class to ASCII letters and digits, else to printable ASCII, when the
/// class has such members: smaller choices, same validity, readable output.
fn narrow_unicode(class: &ClassUnicode) -> ClassUnicode {
    for tier in [&ALNUM_RANGES[..], &PRINTABLE_RANGES[..]] {
        let mut k = ClassUnicode::new(tier.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)));
        k.intersect(class);
        if !k.ranges().is_empty() {
            return k;
        }
    }
    class.clone()
}

fn narrow_bytes(class: &ClassBytes) -> ClassBytes {
    for tier in [&ALNUM_RANGES[..], &PRINTABLE_RANGES[..]] {
        let mut k = ClassBytes::new(
            tier.iter()
                .map(|&(a, b)| ClassBytesRange::new(a as u8, b as u8)),
        );
        k.intersect(class);
        if !k.ranges().is_empty() {
            return k;
        }
    }
    class.clone()
}

/// A version of `hir` that `rand_regex` can sample from: assertions dropped (results
/// are checked against the original afterwards), classes narrowed, and every
/// repetition bounded: flexible ones get `boost` more than their minimum and at most
/// `extra` on top of that.
pub(super) fn generation_hir(hir: &Hir, boost: u32, extra: u32, depth: u32) -> Option<Hir> {
    if depth > 300 {
        return None;
    }
    let d = depth + 1;
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        HirKind::Literal(lit) => Hir::literal(lit.0.clone()),
        HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Unicode(narrow_unicode(c))),
        HirKind::Class(Class::Bytes(c)) => Hir::class(Class::Bytes(narrow_bytes(c))),
        HirKind::Capture(c) => generation_hir(&c.sub, boost, extra, d)?,
        HirKind::Concat(subs) => Hir::concat(
            subs.iter()
                .map(|s| generation_hir(s, boost, extra, d))
                .collect::<Option<Vec<_>>>()?,
        ),
        HirKind::Alternation(subs) => Hir::alternation(
            subs.iter()
                .map(|s| generation_hir(s, boost, extra, d))
                .collect::<Option<Vec<_>>>()?,
        ),
        HirKind::Repetition(rep) => {
            if rep.min > 10_000 {
                return None;
            }
            let sub = generation_hir(&rep.sub, boost, extra, d)?;
            let (min, max) = match rep.max {
                Some(max) if max <= rep.min => (rep.min, rep.min),
                Some(max) => {
                    let lo = rep.min.saturating_add(boost.min(max - rep.min));
                    (lo, lo.saturating_add(extra).min(max))
                }
                None => {
                    let lo = rep.min.saturating_add(boost).min(20_000);
                    (lo, lo.saturating_add(extra))
                }
            };
            Hir::repetition(Repetition {
                min,
                max: Some(max),
                greedy: true,
                sub: Box::new(sub),
            })
        }
    })
}

/// Shortest and longest match of `hir`, in characters.
pub(super) fn len_range(hir: &Hir) -> (usize, Option<usize>) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (0, Some(0)),
        HirKind::Literal(lit) => {
            let n = String::from_utf8_lossy(&lit.0).chars().count();
            (n, Some(n))
        }
        HirKind::Class(_) => (1, Some(1)),
        HirKind::Capture(c) => len_range(&c.sub),
        HirKind::Concat(subs) => subs.iter().fold((0, Some(0)), |(lo, hi), s| {
            let (a, b) = len_range(s);
            (
                lo.saturating_add(a),
                hi.zip(b).map(|(x, y)| x.saturating_add(y)),
            )
        }),
        HirKind::Alternation(subs) => {
            let ranges: Vec<_> = subs.iter().map(len_range).collect();
            let lo = ranges.iter().map(|r| r.0).min().unwrap_or(0);
            let hi = ranges
                .iter()
                .try_fold(0usize, |acc, r| r.1.map(|h| acc.max(h)));
            (lo, hi)
        }
        HirKind::Repetition(rep) => {
            let (a, b) = len_range(&rep.sub);
            let lo = a.saturating_mul(rep.min as usize);
            let hi = match (rep.max, b) {
                (_, Some(0)) => Some(0),
                (Some(m), Some(b)) => Some(b.saturating_mul(m as usize)),
                _ => None,
            };
            (lo, hi)
        }
    }
}

/// How many repetitions can vary in count.
pub(super) fn count_flexible(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Capture(c) => count_flexible(&c.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().map(count_flexible).sum(),
        HirKind::Repetition(rep) => {
            usize::from(rep.max != Some(rep.min)) + count_flexible(&rep.sub)
        }
        _ => 0,
    }
}

pub(super) fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::schemas;
    use crate::generate::{Generator, Mode};
    use serde_json::json;

    #[test]
    fn pattern_matcher() {
        let root = json!({});
        let schemas = schemas(&root);
        let g = Generator::new(&schemas, Mode::Static);
        let cases = [
            ("^abc$", "abc", true),
            ("^abc$", "abcd", false),
            ("abc", "xxabcxx", true),
            ("^a$|^bb$", "bb", true),
            ("^a$|^bb$", "abb", false),
            ("^[0-9]{3}$", "123", true),
            ("^[0-9]{3}$", "12", false),
            ("\\bfoo\\b", "a foo b", true),
            ("\\bfoo\\b", "afoob", false),
            ("^(a|b)*c$", "ababc", true),
            ("^(a*)*$", "aaaa", true),
            ("^x?y+$", "yyy", true),
            ("^\\/api$", "/api", true),
            ("^\\u0041$", "A", true),
            ("^[^\\s]+$", "a b", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                g.is_match(pattern, text),
                Some(expected),
                "{pattern} on {text}"
            );
        }
        assert_eq!(g.is_match("(?=a)", "a"), None);
    }
}
