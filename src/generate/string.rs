//! Strings: from a `format`, from `pattern`s, or placeholders and random text,
//! fitted to `minLength`/`maxLength`.

use std::sync::Arc;

use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::RngExt;
use serde_json::{Map, Value};

use super::format::format_value;
use super::pattern::{clamp_u32, count_flexible, generation_hir, len_range, Pattern};
use super::{get_usize, rand_usize, Generator, Mode, EXTRA_PATTERNS};

/// Largest string, array or object the generator builds to satisfy a minimum.
pub(super) const MAX_STRING: usize = 4096;
const WORD: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Generator<'_> {
    pub(super) fn gen_string(
        &self,
        obj: &Map<String, Value>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> String {
        let min = get_usize(obj, "minLength").unwrap_or(0).min(MAX_STRING);
        let max = get_usize(obj, "maxLength");
        let format = obj.get("format").and_then(Value::as_str);
        let mut patterns: Vec<&str> = Vec::new();
        if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
            patterns.push(p);
        }
        if let Some(Value::Array(more)) = obj.get(EXTRA_PATTERNS) {
            patterns.extend(more.iter().filter_map(Value::as_str));
        }
        let len_ok = |s: &str| {
            let n = s.chars().count();
            n >= min && max.is_none_or(|m| n <= m)
        };
        if !patterns.is_empty() {
            if let Some(f) = format {
                for attempt in 0..4 {
                    let m = if attempt == 0 { mode } else { Mode::Dynamic };
                    let Some(s) = format_value(f, min, max, m, rng) else {
                        break;
                    };
                    // Patterns often narrow a format's case (upper-case hex GUIDs).
                    for s in [s.clone(), s.to_uppercase(), s.to_lowercase()] {
                        if len_ok(&s)
                            && patterns.iter().all(|p| self.is_match(p, &s) == Some(true))
                            && self.format_holds(f, &s)
                        {
                            return s;
                        }
                    }
                }
            }
            // A pattern may allow more than its format (a UUID in braces): of a few
            // samples, the first the format takes too.
            let tries = if format.is_some() { 8 } else { 1 };
            let mut first = None;
            for _ in 0..tries {
                let Some(s) = self.string_from_pattern(&patterns, min, max, mode, rng) else {
                    break;
                };
                if format.is_none_or(|f| self.format_holds(f, &s)) {
                    return s;
                }
                first.get_or_insert(s);
            }
            if let Some(s) = first {
                return s;
            }
        }
        if let Some(s) = format.and_then(|f| format_value(f, min, max, mode, rng)) {
            return s;
        }
        match mode {
            Mode::Static => placeholder("string", min, max),
            Mode::Dynamic => random_text(rng, min, max, self.limits.string_len),
        }
    }

    /// Whether the contract's validators take `s` for a string of `format`.
    fn format_holds(&self, format: &str, s: &str) -> bool {
        let schema = serde_json::json!({ "type": "string", "format": format });
        self.valid(&schema, None, &Value::String(s.to_string()))
    }

    /// A string matching every pattern in `patterns`, with a length in `min..=max`
    /// when possible. `None` when the first pattern cannot be generated from.
    pub(super) fn string_from_pattern(
        &self,
        patterns: &[&str],
        min: usize,
        max: Option<usize>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Option<String> {
        let main_arc = self.pattern(patterns.first()?);
        let main = main_arc.as_ref().as_ref()?;
        let others: Vec<Arc<Option<Pattern>>> =
            patterns[1..].iter().map(|p| self.pattern(p)).collect();
        let matches_all = |s: &str, strict: bool| {
            let ok = |r: Option<bool>| {
                if strict {
                    r == Some(true)
                } else {
                    r != Some(false)
                }
            };
            ok(main.matches(s))
                && others
                    .iter()
                    .all(|o| o.as_ref().as_ref().is_none_or(|p| ok(p.matches(s))))
        };
        let len_ok = |n: usize| n >= min && max.is_none_or(|m| n <= m);
        let (shortest, _) = len_range(&main.hir);
        let flex = count_flexible(&main.hir).max(1);
        let mut boost = min.saturating_sub(shortest).div_ceil(flex);
        let default_extra = match mode {
            Mode::Static => 2,
            Mode::Dynamic => 10,
        };
        let mut extra = match max {
            Some(m) => (m.saturating_sub(min.max(shortest)) / flex).min(default_extra),
            None => default_extra,
        };
        let mut fallback: Option<String> = None;
        for _ in 0..24 {
            let hir = generation_hir(&main.hir, clamp_u32(boost), clamp_u32(extra), 0)?;
            if len_range(&hir).1.is_none_or(|longest| longest > 100_000) {
                return None;
            }
            let regex = rand_regex::Regex::with_hir(hir, 0).ok()?;
            let sample: Result<String, std::string::FromUtf8Error> = regex.sample(rng);
            let Ok(s) = sample else { continue };
            let n = s.chars().count();
            let ok = matches_all(&s, false);
            if ok && len_ok(n) {
                return Some(s);
            }
            if ok && fallback.is_none() {
                fallback = Some(s);
            }
            if n < min {
                boost = boost.saturating_add(((min - n) / flex).max(1));
            } else if let Some(m) = max.filter(|m| n > *m) {
                if extra > 0 {
                    extra /= 2;
                } else {
                    boost = boost.saturating_sub(((n - m) / flex).max(1));
                }
            }
        }
        let s = fallback?;
        // Pad or cut, keeping only results that still match.
        let n = s.chars().count();
        if n < min {
            let pad_len = min - n;
            for ch in ['a', '0', 'x', 'A', '_', '-', '.', ' '] {
                let pad: String = std::iter::repeat_n(ch, pad_len).collect();
                for candidate in [format!("{s}{pad}"), format!("{pad}{s}")] {
                    if len_ok(candidate.chars().count()) && matches_all(&candidate, true) {
                        return Some(candidate);
                    }
                }
            }
        }
        if let Some(m) = max.filter(|m| n > *m) {
            let head: String = s.chars().take(m).collect();
            if len_ok(m) && matches_all(&head, true) {
                return Some(head);
            }
            let tail: String = s.chars().skip(n - m).collect();
            if len_ok(m) && matches_all(&tail, true) {
                return Some(tail);
            }
        }
        Some(s)
    }
}

/// `base` repeated or cut to a length within `min..=max`.
pub(super) fn placeholder(base: &str, min: usize, max: Option<usize>) -> String {
    let natural = base.chars().count();
    let mut target = natural.max(min);
    if let Some(m) = max {
        target = target.min(m);
    }
    if natural == 0 {
        return "x".repeat(target);
    }
    base.chars().cycle().take(target).collect()
}

fn random_from(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Random lowercase letters and digits, `min..=max` long but not much longer than `cap`.
pub(super) fn random_text(rng: &mut StdRng, min: usize, max: Option<usize>, cap: usize) -> String {
    let hi = max.map_or(min.max(cap), |m| m.min(min.max(cap)));
    let lo = min.max(1).min(hi);
    let n = rand_usize(rng, lo, hi);
    random_from(rng, ALNUM, n)
}

pub(super) fn random_word(rng: &mut StdRng, lo: usize, hi: usize) -> String {
    let n = rand_usize(rng, lo, hi);
    random_from(rng, WORD, n)
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn ttid_patterns() {
        for (pattern, prefix) in [
            ("^mem_(store|service)_[0-7][0-9a-z]{25}$", "mem_s"),
            ("^mem_profile_[0-7][0-9a-z]{25}$", "mem_profile_"),
        ] {
            let (st, dy) = one(json!({ "type": "string", "pattern": pattern }));
            for v in st.iter().chain(&dy) {
                let s = v.as_str().expect("a string");
                assert!(s.starts_with(prefix), "{s}");
                assert!(s.is_ascii());
            }
            assert!(distinct(&dy) > 150, "dynamic ids vary");
        }
    }

    #[test]
    fn digit_pattern_with_lengths() {
        let (st, dy) = one(
            json!({ "type": "string", "pattern": "^[0-9]+$", "minLength": 5, "maxLength": 12 }),
        );
        assert!(st.iter().chain(&dy).all(|v| v
            .as_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))));
        one(json!({ "type": "string", "pattern": "^[0-9]+$", "minLength": 40, "maxLength": 45 }));
        one(json!({ "type": "string", "pattern": "^[0-9]{3,}$", "maxLength": 4 }));
        one(
            json!({ "type": "string", "pattern": "^[a-z]+(-[a-z]+)*$", "minLength": 20, "maxLength": 22 }),
        );
        // Unanchored: only has to contain a match, so padding is fine.
        one(json!({ "type": "string", "pattern": "abc", "minLength": 10 }));
        one(json!({ "type": "string", "pattern": "^\\d{3}-\\d{4}$" }));
        one(json!({ "type": "string", "pattern": "^[A-Z]{2}\\/\\d+$" }));
        one(json!({ "type": "string", "pattern": "^\\u0041+$" }));
        one(json!({ "type": "string", "pattern": "^a$|^bb$" }));
        one(json!({ "type": "string", "pattern": "\\bword\\b" }));
        one(json!({ "type": "string", "pattern": "^[^\\s@]+@[^\\s@]+\\.[a-z]{2,}$" }));
    }

    #[test]
    fn plain_strings_and_lengths() {
        let (st, dy) = one(json!({ "type": "string", "minLength": 2, "maxLength": 30 }));
        assert!(st.iter().all(|v| v == "string"));
        assert!(distinct(&dy) > 150);
        let (st, _) = one(json!({ "type": "string", "maxLength": 3 }));
        assert_eq!(st[0], "str");
        let (st, _) = one(json!({ "type": "string", "minLength": 10 }));
        assert_eq!(st[0], "stringstri");
        one(json!({ "type": "string", "maxLength": 0 }));
        one(json!({ "type": "string", "minLength": 100 }));
    }
}
