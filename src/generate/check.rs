//! The built-in draft-4 validator that steers regeneration.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use super::array::json_eq;
use super::number::{is_multiple_of, lower_bound, upper_bound};
use super::typed::type_names;
use super::{get_usize, Generator};

/// Depth after which the built-in validator stops looking and says "valid".
const VALIDATE_DEPTH: u32 = 96;

impl Generator<'_> {
    pub(super) fn valid(&self, schema: &Value, value: &Value) -> bool {
        self.check(schema, value, 0)
    }

    fn check(&self, schema: &Value, value: &Value, depth: u32) -> bool {
        if depth > VALIDATE_DEPTH {
            return true;
        }
        let (schema, _, _) = self.resolve(schema);
        let o = match schema {
            Value::Object(o) => o,
            Value::Bool(b) => return *b,
            _ => return true,
        };
        let d = depth + 1;
        if let Some(t) = o.get("type") {
            let names = type_names(t);
            if !names.is_empty() && !names.iter().any(|n| type_matches(n, value)) {
                return false;
            }
        }
        if let Some(Value::Array(members)) = o.get("enum") {
            if !members.iter().any(|m| json_eq(m, value)) {
                return false;
            }
        }
        if let Some(c) = o.get("const") {
            if !json_eq(c, value) {
                return false;
            }
        }
        match value {
            Value::String(s) => {
                if get_usize(o, "minLength").is_some() || get_usize(o, "maxLength").is_some() {
                    let n = s.chars().count();
                    if get_usize(o, "minLength").is_some_and(|m| n < m)
                        || get_usize(o, "maxLength").is_some_and(|m| n > m)
                    {
                        return false;
                    }
                }
                if let Some(p) = o.get("pattern").and_then(Value::as_str) {
                    if self.is_match(p, s) == Some(false) {
                        return false;
                    }
                }
                if let Some(f) = o.get("format").and_then(Value::as_str) {
                    if !format_ok(f, s) {
                        return false;
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if let Some((l, ex)) = lower_bound(o) {
                    if (ex && x <= l) || (!ex && x < l) {
                        return false;
                    }
                }
                if let Some((h, ex)) = upper_bound(o) {
                    if (ex && x >= h) || (!ex && x > h) {
                        return false;
                    }
                }
                if let Some(m) = o
                    .get("multipleOf")
                    .and_then(Value::as_f64)
                    .filter(|m| *m > 0.0)
                {
                    let ok = match (n.as_i64(), m.fract() == 0.0 && m < 9.0e15) {
                        (Some(i), true) => i128::from(i) % (m as i128) == 0,
                        _ => is_multiple_of(x, m),
                    };
                    if !ok {
                        return false;
                    }
                }
            }
            Value::Array(items) => {
                if get_usize(o, "minItems").is_some_and(|m| items.len() < m)
                    || get_usize(o, "maxItems").is_some_and(|m| items.len() > m)
                {
                    return false;
                }
                if o.get("uniqueItems") == Some(&Value::Bool(true)) {
                    for (i, a) in items.iter().enumerate() {
                        if items[i + 1..].iter().any(|b| json_eq(a, b)) {
                            return false;
                        }
                    }
                }
                match o.get("items") {
                    Some(Value::Array(tuple)) => {
                        for (i, item) in items.iter().enumerate() {
                            let ok = match tuple.get(i) {
                                Some(s) => self.check(s, item, d),
                                None => match o.get("additionalItems") {
                                    Some(extra) => self.check(extra, item, d),
                                    None => true,
                                },
                            };
                            if !ok {
                                return false;
                            }
                        }
                    }
                    Some(s) if !items.iter().all(|item| self.check(s, item, d)) => return false,
                    _ => {}
                }
            }
            Value::Object(m) => {
                if get_usize(o, "minProperties").is_some_and(|n| m.len() < n)
                    || get_usize(o, "maxProperties").is_some_and(|n| m.len() > n)
                {
                    return false;
                }
                if let Some(Value::Array(req)) = o.get("required") {
                    if !req
                        .iter()
                        .filter_map(Value::as_str)
                        .all(|r| m.contains_key(r))
                    {
                        return false;
                    }
                }
                let props = o.get("properties").and_then(Value::as_object);
                let pattern_props = o.get("patternProperties").and_then(Value::as_object);
                let additional = o.get("additionalProperties");
                for (k, v) in m {
                    let mut covered = false;
                    if let Some(s) = props.and_then(|p| p.get(k)) {
                        covered = true;
                        if !self.check(s, v, d) {
                            return false;
                        }
                    }
                    for (p, s) in pattern_props.into_iter().flatten() {
                        if self.is_match(p, k) == Some(true) {
                            covered = true;
                            if !self.check(s, v, d) {
                                return false;
                            }
                        }
                    }
                    if !covered {
                        if let Some(a) = additional {
                            if !self.check(a, v, d) {
                                return false;
                            }
                        }
                    }
                }
                if let Some(Value::Object(deps)) = o.get("dependencies") {
                    for (k, dep) in deps {
                        if !m.contains_key(k) {
                            continue;
                        }
                        let ok = match dep {
                            Value::Array(names) => names
                                .iter()
                                .filter_map(Value::as_str)
                                .all(|n| m.contains_key(n)),
                            s => self.check(s, value, d),
                        };
                        if !ok {
                            return false;
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = o.get("allOf") {
            if !all.iter().all(|s| self.check(s, value, d)) {
                return false;
            }
        }
        if let Some(Value::Array(any)) = o.get("anyOf") {
            if !any.iter().any(|s| self.check(s, value, d)) {
                return false;
            }
        }
        if let Some(Value::Array(one)) = o.get("oneOf") {
            let mut matched = 0;
            for s in one {
                if self.check(s, value, d) {
                    matched += 1;
                    if matched > 1 {
                        return false;
                    }
                }
            }
            if matched != 1 {
                return false;
            }
        }
        if let Some(not) = o.get("not") {
            if self.check(not, value, d) {
                return false;
            }
        }
        true
    }
}

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

pub(super) fn format_ok(format: &str, s: &str) -> bool {
    match format {
        "date-time" => is_date_time(s),
        "date" => is_date(s),
        "time" => is_time(s),
        "email" => is_email(s),
        "hostname" => is_hostname(s),
        "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<Ipv6Addr>().is_ok(),
        "uri" => is_uri(s),
        "uuid" => is_uuid(s),
        "regex" => regex_syntax::Parser::new().parse(s).is_ok(),
        _ => true,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || !s.is_ascii() || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10]))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' || !s.is_ascii() {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&s[0..2]), digits(&s[3..5]), digits(&s[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "Z" | "z" => true,
        _ => {
            let r = rest.as_bytes();
            r.len() == 6
                && (r[0] == b'+' || r[0] == b'-')
                && r[3] == b':'
                && digits(&rest[1..3]).is_some_and(|h| h <= 23)
                && digits(&rest[4..6]).is_some_and(|m| m <= 59)
        }
    }
}

fn is_date_time(s: &str) -> bool {
    s.len() > 11
        && s.is_ascii()
        && matches!(s.as_bytes()[10], b'T' | b't')
        && is_date(&s[..10])
        && is_time(&s[11..])
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && is_hostname(domain)
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.bytes();
    if !sc.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !sc.all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() {
                    return false;
                }
                if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_graphic() && !b"<>\"{}|\\^`".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

pub(super) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
