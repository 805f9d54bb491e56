//! Credential shapes every API shares: an HTTP auth scheme and its token, a
//! 32-hex-digit token, a JWT. Checked in every logged path, header and message,
//! so a pass over the bytes (`may_hold_shape`) spares the regular expressions
//! almost all of them.

use std::sync::OnceLock;

use regex::Regex;

/// Whether a value looks like a credential in any API: an HTTP auth scheme and
/// its token, a 32-hex token, or a JWT. An API's own credential shapes (Twilio's
/// SIDs) are declared in its contract and checked by the contract's profile.
pub(crate) fn secret_value(value: &str) -> bool {
    may_hold_shape(value) && value_pattern().is_match(value)
}

/// The pattern of [`secret_value`], without the prefilter.
fn value_pattern() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)^\s*(basic|bearer|digest|token)\s+\S|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.",
        )
        .expect("a valid built-in pattern")
    })
}

/// Whether `text` could hold one of the generic credential shapes: a pass
/// that spares the regular expressions (which have no literal to skip ahead
/// by) the text of almost every request. Each shape needs something most text
/// lacks: a scheme's name is followed by white space, a JWT's `eyJ` by a `.`,
/// and a hex token is a run of 32 digits. This runs on every logged path,
/// header, session name and message, so the common text (a path: no space, no
/// dot) costs one pass of 8 bytes at a time.
fn may_hold_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The patterns fold case the Unicode way (`ſ` is an `s`, the Kelvin sign a
    // `k`) and `\s` is Unicode white space: text that is not ASCII goes to them.
    let Some(seen) = classify(bytes) else {
        return true;
    };
    hex_run(bytes) || (seen.space && scheme_before_space(bytes)) || (seen.dot && jwt_start(bytes))
}

/// What [`classify`] found in ASCII text.
struct Seen {
    /// A byte at or below the space: all ASCII white space (and other controls).
    space: bool,
    dot: bool,
}

/// One pass over `bytes`, 8 at a time: `None` if any is not ASCII, else whether
/// any is white space (or another control byte) and whether any is a `.`.
fn classify(bytes: &[u8]) -> Option<Seen> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const DOTS: u64 = u64::from_ne_bytes([b'.'; 8]);
    // The classic "has a byte less than n" test, exact as to whether one exists
    // when no byte has its high bit set (checked first).
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let (mut space, mut dot) = (0u64, 0u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
        if x & HIGH != 0 {
            return None;
        }
        space |= below(x, 0x21);
        dot |= below(x ^ DOTS, 1);
    }
    let mut seen = Seen {
        space: space != 0,
        dot: dot != 0,
    };
    for &b in chunks.remainder() {
        if !b.is_ascii() {
            return None;
        }
        seen.space |= b <= b' ';
        seen.dot |= b == b'.';
    }
    Some(seen)
}

/// Whether a scheme's name (`basic`, `bearer`, `digest`, `token`, either case)
/// ends right before an ASCII white-space byte (what `\s` is in ASCII text).
fn scheme_before_space(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
            && [&b"basic"[..], b"bearer", b"digest", b"token"]
                .iter()
                .any(|w| {
                    bytes[..i]
                        .len()
                        .checked_sub(w.len())
                        .is_some_and(|at| bytes[at..i].eq_ignore_ascii_case(w))
                })
    })
}

/// Whether `eyJ` (either case) appears (in text known to have a `.`).
fn jwt_start(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"eyj"))
}

/// Whether `bytes` hold a run of 32 hex digits. Such a run covers one byte at
/// every position modulo 32, so only every 32nd byte is looked at, and the run
/// around a hex one measured: a few comparisons for a 100-byte path.
fn hex_run(bytes: &[u8]) -> bool {
    const RUN: usize = 32;
    let mut i = RUN - 1;
    while i < bytes.len() {
        if bytes[i].is_ascii_hexdigit() {
            let left = bytes[..i]
                .iter()
                .rev()
                .take(RUN - 1)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            let right = bytes[i + 1..]
                .iter()
                .take(RUN - 1 - left)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if left + 1 + right >= RUN {
                return true;
            }
        }
        i += RUN;
    }
    false
}

/// Replaces, in free text (a violation message, a body that is not JSON), every
/// substring shaped like a credential in any API: an auth scheme and its token,
/// a 32-hex token, a JWT.
pub(crate) fn scrub_shapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !may_hold_shape(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    scrub_pattern().replace_all(text, "[redacted]")
}

/// The pattern of [`scrub_shapes`], without the prefilter.
fn scrub_pattern() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)\b(basic|bearer|digest|token)\s+[A-Za-z0-9._~+/=-]{4,}|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        )
        .expect("a valid built-in pattern")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_prefilter_never_hides_a_match_from_the_patterns() {
        // Unicode case folding: `ſ` is an `s`, the Kelvin sign a `k`.
        for v in [
            "Basic QUMxMjM6c2VjcmV0",
            "Ba\u{17f}ic QUMxMjM6c2VjcmV0",
            "to\u{212a}en abcdef",
            "BEARER abc",
            "x eyJhbGciOiJIUzI1.eyJzdWIiOiIx.sig",
            "id 0123456789abcdef0123456789ABCDEF end",
        ] {
            assert!(secret_value(v) || scrub_shapes(v) != v, "{v}");
            assert!(may_hold_shape(v), "{v}");
        }
        for v in ["application/json", "127.0.0.1:4010", "12345", "code=409"] {
            assert!(!may_hold_shape(v), "{v}");
        }
        // Text that is not ASCII goes to the patterns, in the tail or a chunk.
        assert!(may_hold_shape("\u{17f}"));
        assert!(may_hold_shape("/v1/Stores/\u{212a}/x"));
    }

    #[test]
    fn the_shape_prefilter_passes_every_text_the_patterns_match() {
        // Hex runs of every length at every offset, words cut at the end and
        // followed by each white space, and pseudo-random text over a small
        // alphabet dense in the interesting bytes.
        let mut cases = Vec::new();
        for len in 0..70 {
            for lead in 0..40 {
                for tail in ["", "x", "-a", "0"] {
                    cases.push(format!("{}{}{tail}", "/".repeat(lead), "a".repeat(len)));
                    cases.push(format!(
                        "{}{}g{}",
                        "z".repeat(lead),
                        "F".repeat(len),
                        "9".repeat(lead)
                    ));
                }
            }
        }
        for w in ["basic", "BEARER", "Digest", "tokeN", "eyJ", "eY"] {
            for cut in 0..=w.len() {
                for ws in [" ", "\t", "\n", "\r", "\x0b", "\x0c", "  ", ""] {
                    cases.push(format!("/p/{}{ws}abcd1234", &w[..cut]));
                    cases.push(format!("{}{ws}abcdefgh.abcdefgh.x", &w[..cut]));
                }
            }
        }
        let alphabet = b"0aF9bBdDeEtTyYjJkKnNoOsSrRgGiIcC/_-. \t\r\n\x0b\x0cxz";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut matched = 0;
        for _ in 0..40_000 {
            let len = (seed % 90) as usize;
            let mut s = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize] as char);
            }
            cases.push(s);
            seed = seed.wrapping_add(1);
        }
        for c in &cases {
            if value_pattern().is_match(c) || scrub_pattern().is_match(c) {
                matched += 1;
                assert!(may_hold_shape(c), "{c:?}");
            }
        }
        // The cases reach the patterns, so the assertion above is exercised.
        assert!(matched > 100, "{matched}");
    }

    #[test]
    fn the_shape_prefilter_spares_plain_paths_and_messages() {
        for v in [
            "/v1/Stores/mem_store_01hz/Profiles/mem_profile_01hz/Traits",
            "query parameter 'pageSize': 0 is less than the minimum of 1",
            "the token, if missing",
            "a basic.test",
        ] {
            assert!(!may_hold_shape(v), "{v}");
        }
        // Text that is not ASCII goes to the patterns, in the tail or a chunk.
        assert!(may_hold_shape("\u{17f}"));
        assert!(may_hold_shape("/v1/Stores/\u{212a}/x"));
    }
}
