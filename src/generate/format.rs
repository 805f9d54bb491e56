//! Values for string `format`s (`date-time`, `email`, `uuid`, `byte`, ...), fitted
//! to length limits where the format allows.
//!
//! A format promises a shape that no other keyword spells out, so each known one
//! has a hand-made value here; whether it passes is for the contract's validators.

use rand::rngs::StdRng;
use rand::RngExt;

use super::string::{placeholder, random_text, random_word, MAX_STRING};
use super::Mode;

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `time` (ending `Z`) lengthened to `min` characters with fractional
/// seconds (`00:00:00.000Z`), which RFC 3339 allows in any number: a
/// `minLength` written for milliseconds is met. At least one digit when any.
fn with_fraction(time: String, min: usize) -> String {
    let Some(bare) = time.strip_suffix('Z') else {
        return time;
    };
    if time.len() >= min {
        return time;
    }
    let digits = (min - time.len()).saturating_sub(1).clamp(1, MAX_STRING);
    format!("{bare}.{}Z", "0".repeat(digits))
}

/// A value for a known string `format`, fitted to `min..=max` where the format
/// allows it. `None` for unknown formats.
pub(super) fn format_value(
    format: &str,
    min: usize,
    max: Option<usize>,
    mode: Mode,
    rng: &mut StdRng,
) -> Option<String> {
    let dynamic = mode == Mode::Dynamic;
    let date = |rng: &mut StdRng| {
        if dynamic {
            let y = rng.random_range(2000..=2030);
            let m = rng.random_range(1..=12);
            let d = rng.random_range(1..=28);
            format!("{y:04}-{m:02}-{d:02}")
        } else {
            "2024-01-01".to_string()
        }
    };
    let time = |rng: &mut StdRng| {
        if dynamic {
            let h = rng.random_range(0..24);
            let m = rng.random_range(0..60);
            let s = rng.random_range(0..60);
            format!("{h:02}:{m:02}:{s:02}Z")
        } else {
            "00:00:00Z".to_string()
        }
    };
    Some(match format {
        "date-time" => {
            let d = date(rng);
            let t = time(rng);
            with_fraction(format!("{d}T{t}"), min)
        }
        "date" => date(rng),
        "time" => with_fraction(time(rng), min),
        "email" | "idn-email" => {
            let local = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "user".to_string()
            };
            fit_email(&local, min, max)
        }
        "uri" | "url" | "iri" => {
            let path = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "resource".to_string()
            };
            fit_suffix(
                "https://example.com/",
                &path,
                min,
                max,
                &["https://a.co", "a:b"],
            )
        }
        "uri-reference" | "iri-reference" => {
            let path = if dynamic {
                random_word(rng, 3, 10)
            } else {
                "resource".to_string()
            };
            fit_suffix("/", &path, min, max, &["a"])
        }
        "uri-template" => "https://example.com/{id}".to_string(),
        "hostname" | "idn-hostname" => {
            let host = if dynamic {
                format!("{}.example.com", random_word(rng, 3, 10))
            } else {
                "example.com".to_string()
            };
            fit_hostname(&host, min, max)
        }
        "ipv4" => {
            if dynamic {
                format!(
                    "{}.{}.{}.{}",
                    rng.random_range(1..=223u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(1..=254u8)
                )
            } else {
                "192.0.2.1".to_string()
            }
        }
        "ipv6" => {
            if dynamic {
                let groups: Vec<String> = (0..8)
                    .map(|_| format!("{:x}", rng.random::<u16>()))
                    .collect();
                groups.join(":")
            } else {
                "2001:db8::1".to_string()
            }
        }
        "uuid" => {
            if dynamic {
                let mut b: [u8; 16] = rng.random();
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            } else {
                "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_string()
            }
        }
        "byte" => {
            let natural = if dynamic {
                rng.random_range(1..=18usize)
            } else {
                6
            };
            let natural_len = natural.div_ceil(3) * 4;
            // Base64 without padding comes in multiples of 4: the nearest one allowed.
            let lowest = min.div_ceil(4) * 4;
            let len = match max.map(|m| m / 4 * 4) {
                _ if len_fits(natural_len, min, max) => natural_len,
                Some(highest) if lowest > highest => natural_len,
                Some(highest) if natural_len > highest => highest,
                _ => lowest,
            };
            let count = (len / 4 * 3).min(MAX_STRING);
            let bytes: Vec<u8> = if dynamic {
                (0..count).map(|_| rng.random()).collect()
            } else {
                b"string".iter().copied().cycle().take(count).collect()
            };
            base64(&bytes)
        }
        "password" => {
            if dynamic {
                random_text(rng, min.max(8), max, 16)
            } else {
                placeholder("password", min, max)
            }
        }
        "binary" => {
            if dynamic {
                random_text(rng, min, max, 24)
            } else {
                placeholder("string", min, max)
            }
        }
        "json-pointer" => "/resource".to_string(),
        "relative-json-pointer" => "0".to_string(),
        "regex" => "^[a-z]+$".to_string(),
        "duration" => "P1D".to_string(),
        _ => return None,
    })
}

fn len_fits(n: usize, min: usize, max: Option<usize>) -> bool {
    n >= min && max.is_none_or(|m| n <= m)
}

fn fit_email(local: &str, min: usize, max: Option<usize>) -> String {
    for domain in ["example.com", "a.co"] {
        let fixed = 1 + domain.len();
        let mut local = local.to_string();
        if let Some(m) = max {
            local.truncate(m.saturating_sub(fixed).max(1));
        }
        let wanted = min.saturating_sub(fixed).min(64);
        if local.len() < wanted {
            local.push_str(&"x".repeat(wanted - local.len()));
        }
        let email = format!("{local}@{domain}");
        if len_fits(email.len(), min, max) {
            return email;
        }
    }
    format!("{local}@example.com")
}

fn fit_suffix(prefix: &str, path: &str, min: usize, max: Option<usize>, short: &[&str]) -> String {
    let mut s = format!("{prefix}{path}");
    if s.len() < min {
        s.push_str(&"x".repeat(min - s.len()));
    }
    if max.is_some_and(|m| s.len() > m) {
        let m = max.unwrap_or(0);
        if prefix.len() < m {
            s.truncate(m);
        } else if let Some(alt) = short.iter().find(|a| len_fits(a.len(), min, max)) {
            s = (*alt).to_string();
        }
    }
    s
}

fn fit_hostname(host: &str, min: usize, max: Option<usize>) -> String {
    let mut s = host.to_string();
    while s.len() < min && s.len() < 253 {
        let room = (min - s.len())
            .saturating_sub(1)
            .clamp(1, 63)
            .min(252 - s.len().min(252));
        if room == 0 {
            break;
        }
        s = format!("{}.{s}", "x".repeat(room));
    }
    if max.is_some_and(|m| s.len() > m) {
        for alt in ["example.com", "a.co", "a"] {
            if len_fits(alt.len(), min, max) {
                return alt.to_string();
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn formats() {
        // Whether the contract's validators take `s` for a `format` string.
        let contract = schemas(&json!({}));
        let format_ok = |format: &str, s: &str| {
            contract.is_valid_against(&json!({ "type": "string", "format": format }), &json!(s))
        };
        for format in [
            "date-time",
            "date",
            "time",
            "email",
            "idn-email",
            "uri",
            "url",
            "iri",
            "uri-reference",
            "iri-reference",
            "uri-template",
            "hostname",
            "idn-hostname",
            "ipv4",
            "ipv6",
            "uuid",
            "byte",
            "binary",
            "password",
            "json-pointer",
            "relative-json-pointer",
            "regex",
            "duration",
            "no-such-format",
        ] {
            let (st, dy) = one(json!({ "type": "string", "format": format }));
            for v in st.iter().chain(&dy) {
                let s = v.as_str().expect("a string");
                assert!(format_ok(format, s), "{format}: {s}");
            }
        }
        let (st, _) = one(json!({ "type": "string", "format": "date-time" }));
        assert_eq!(st[0], "2024-01-01T00:00:00Z");
        // A minLength written for milliseconds: fractional seconds meet it.
        for (min, want) in [
            (24, "2024-01-01T00:00:00.000Z"),
            (21, "2024-01-01T00:00:00.0Z"),
        ] {
            let (st, dy) =
                one(json!({ "type": "string", "format": "date-time", "minLength": min }));
            assert_eq!(st[0], want);
            for v in st.iter().chain(&dy) {
                let s = v.as_str().unwrap_or_default();
                assert!(format_ok("date-time", s) && s.len() >= min, "{s}");
            }
        }
        let (st, _) = one(json!({ "type": "string", "format": "time", "minLength": 13 }));
        assert_eq!(st[0], "00:00:00.000Z");
        let (_, dy) = one(json!({ "type": "string", "format": "uuid" }));
        for v in &dy {
            let s = v.as_str().unwrap_or_default();
            assert!(format_ok("uuid", s) && s.as_bytes()[14] == b'4', "{s}");
        }
        let (st, _) = one(json!({ "type": "string", "format": "uri" }));
        assert!(st[0]
            .as_str()
            .is_some_and(|s| s.starts_with("https://example.com/")));
        let (st, dy) =
            one(json!({ "type": "string", "format": "byte", "minLength": 10, "maxLength": 20 }));
        for v in st.iter().chain(&dy) {
            let s = v.as_str().unwrap_or_default();
            assert!(s.len() % 4 == 0 && (10..=20).contains(&s.len()), "{s}");
        }
        assert_eq!(base64(b"string"), "c3RyaW5n");
        assert_eq!(base64(b"st"), "c3Q=");
        one(json!({ "type": "string", "format": "email", "maxLength": 10 }));
        one(json!({ "type": "string", "format": "email", "minLength": 40 }));
        one(json!({ "type": "string", "format": "uri", "minLength": 50, "maxLength": 60 }));
        one(json!({ "type": "string", "format": "hostname", "minLength": 80 }));
        one(json!({ "type": "string", "format": "password", "minLength": 12, "maxLength": 14 }));
        // A format and a pattern: the format value is used when it matches.
        let (st, _) =
            one(json!({ "type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$" }));
        assert_eq!(st[0], "2024-01-01");
        // A pattern wider than its format (a GUID in optional braces, upper case
        // only, so the format's own value fails it): a sample the format takes.
        one(json!({
            "type": "string",
            "format": "uuid",
            "pattern": "^[{(]?[0-9A-F]{8}[-]?([0-9A-F]{4}[-]?){3}[0-9A-F]{12}[)}]?$"
        }));
    }
}
