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
    if !may_hold_shape(value) {
        return false;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)^\s*(basic|bearer|digest|token)\s+\S|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.",
        )
        .expect("a valid built-in pattern")
    })
    .is_match(value)
}

/// Whether `text` could hold one of the generic credential shapes (an auth
/// scheme's name, a run of 32 hex digits, a JWT's `eyJ`): a pass over the bytes
/// that spares the regular expressions (which have no literal to skip ahead
/// by) the text of almost every request.
fn may_hold_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The patterns fold case the Unicode way (`ſ` is an `s`, the Kelvin sign a
    // `k`): text that is not ASCII goes to them.
    if !bytes.is_ascii() {
        return true;
    }
    hex_run(bytes)
        || bytes.iter().enumerate().any(|(i, &b)| {
            // Only at the first letter of a word (a table lookup per byte: this
            // scans every logged path) are the words compared.
            SHAPE_WORD_STARTS[usize::from(b)] && {
                let rest = &bytes[i..];
                let word =
                    |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
                // The second letter first: it rules out most starts in one compare.
                match (b | 0x20, rest.get(1).map(|n| n | 0x20)) {
                    (b'b', Some(b'a')) => word(b"basic"),
                    (b'b', Some(b'e')) => word(b"bearer"),
                    (b'd', Some(b'i')) => word(b"digest"),
                    (b't', Some(b'o')) => word(b"token"),
                    (b'e', Some(b'y')) => word(b"eyj"),
                    _ => false,
                }
            }
        })
}

/// Bytes that start a word of [`may_hold_shape`], either case.
static SHAPE_WORD_STARTS: [bool; 256] = {
    let mut t = [false; 256];
    let starts = *b"bdteBDTE";
    let mut i = 0;
    while i < starts.len() {
        t[starts[i] as usize] = true;
        i += 1;
    }
    t
};

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
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)\b(basic|bearer|digest|token)\s+[A-Za-z0-9._~+/=-]{4,}|\b[0-9a-f]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        )
        .expect("a valid built-in pattern")
    })
    .replace_all(text, "[redacted]")
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
    }

    /// The prefilter as first written (a byte at a time), to check the faster
    /// one against.
    fn may_hold_shape_plainly(text: &str) -> bool {
        let bytes = text.as_bytes();
        if !bytes.is_ascii() {
            return true;
        }
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            run = if b.is_ascii_hexdigit() { run + 1 } else { 0 };
            if run == 32 {
                return true;
            }
            let rest = &bytes[i..];
            let word = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
            let found = match b | 0x20 {
                b'b' => word(b"basic") || word(b"bearer"),
                b'd' => word(b"digest"),
                b't' => word(b"token"),
                b'e' => word(b"eyj"),
                _ => false,
            };
            if found {
                return true;
            }
        }
        false
    }

    #[test]
    fn the_fast_shape_prefilter_agrees_with_the_plain_one() {
        // Hex runs of every length at every offset, words cut at the end, and
        // pseudo-random text over a small alphabet dense in the interesting bytes.
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
                cases.push(format!("/p/{}", &w[..cut]));
                cases.push(w[..cut].to_string());
            }
        }
        let alphabet = b"0aF9bBdDeEtTyYjJkKnNoOsSrRgGiIcC/_-. xz";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
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
            assert_eq!(may_hold_shape(c), may_hold_shape_plainly(c), "{c:?}");
        }
    }
}
