//! Integers and numbers within bounds, `multipleOf` included.
//!
//! Multiples are counted in integer steps (`k * multipleOf`) so that decimal
//! multiples such as `0.1` stay exact in the decimal reading validators use.

use rand::rngs::StdRng;
use rand::RngExt;
use serde_json::{Map, Number, Value};

use super::{Generator, Mode};

impl Generator<'_> {
    pub(super) fn gen_integer(
        &self,
        obj: &Map<String, Value>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let lower = lower_bound(obj);
        let upper = upper_bound(obj);
        let mut lo: i128 = match lower {
            Some((v, true)) => (v.floor() as i128).saturating_add(1),
            Some((v, false)) => v.ceil() as i128,
            None => i128::from(i64::MIN),
        };
        let mut hi: i128 = match upper {
            Some((v, true)) => (v.ceil() as i128).saturating_sub(1),
            Some((v, false)) => v.floor() as i128,
            None => i128::from(i64::MAX),
        };
        if obj.get("format").and_then(Value::as_str) == Some("int32") {
            lo = lo.max(i128::from(i32::MIN));
            hi = hi.min(i128::from(i32::MAX));
        }
        lo = lo.max(i128::from(i64::MIN));
        hi = hi.min(i128::from(i64::MAX));
        let step = obj
            .get("multipleOf")
            .and_then(Value::as_f64)
            .map_or(1, integer_step);
        let kmin = div_ceil_i(lo, step);
        let kmax = div_floor_i(hi, step);
        if kmin > kmax {
            // Unsatisfiable bounds: the closest thing to them.
            return Value::from(lo.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        }
        let k = match mode {
            Mode::Static => {
                if lower.is_some() {
                    kmin
                } else if upper.is_some() && hi < 0 {
                    kmax
                } else {
                    0i128.clamp(kmin, kmax)
                }
            }
            Mode::Dynamic => {
                let (a, b) =
                    dynamic_range_i(lower.is_some().then_some(lo), upper.is_some().then_some(hi));
                let (a, b) = (a.max(lo), b.min(hi));
                let (ka, kb) = (div_ceil_i(a, step), div_floor_i(b, step));
                let (ka, kb) = if ka <= kb {
                    (ka, kb)
                } else {
                    (kmin, kmax.min(kmin.saturating_add(10)))
                };
                rand_i128(rng, ka, kb)
            }
        };
        let v = k.saturating_mul(step).clamp(lo, hi);
        Value::from(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    pub(super) fn gen_number(
        &self,
        obj: &Map<String, Value>,
        mode: Mode,
        rng: &mut StdRng,
    ) -> Value {
        let mut lower = lower_bound(obj);
        let mut upper = upper_bound(obj);
        if obj.get("format").and_then(Value::as_str) == Some("float") {
            let limit = f64::from(f32::MAX);
            lower = Some(tighter(lower, (-limit, false), true));
            upper = Some(tighter(upper, (limit, false), false));
        }
        let in_bounds = |x: f64| {
            x.is_finite()
                && lower.is_none_or(|(l, ex)| if ex { x > l } else { x >= l })
                && upper.is_none_or(|(h, ex)| if ex { x < h } else { x <= h })
        };
        let explicit_lower = lower_bound(obj);
        let explicit_upper = upper_bound(obj);
        if let Some(m) = obj
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|m| *m > 0.0 && m.is_finite())
        {
            let decimals = decimal_parts(m).map_or(0, |(_, d)| d);
            let limit = 9.0e15;
            let kmin = match lower {
                Some((l, ex)) => {
                    let q = l / m;
                    if ex {
                        q.floor() + 1.0
                    } else {
                        q.ceil()
                    }
                }
                None => -limit,
            }
            .clamp(-limit, limit) as i64;
            let kmax = match upper {
                Some((h, ex)) => {
                    let q = h / m;
                    if ex {
                        q.ceil() - 1.0
                    } else {
                        q.floor()
                    }
                }
                None => limit,
            }
            .clamp(-limit, limit) as i64;
            let k = match mode {
                Mode::Static => {
                    if explicit_lower.is_some() {
                        kmin
                    } else if explicit_upper.is_some_and(|(h, _)| h < 0.0) {
                        kmax
                    } else {
                        0i64.clamp(kmin.min(kmax), kmax.max(kmin))
                    }
                }
                Mode::Dynamic => {
                    let (a, b) =
                        dynamic_range_f(explicit_lower.map(|b| b.0), explicit_upper.map(|b| b.0));
                    let ka = ((a / m).ceil().clamp(-limit, limit) as i64).max(kmin);
                    let kb = ((b / m).floor().clamp(-limit, limit) as i64).min(kmax);
                    if ka <= kb {
                        rand_i64(rng, ka, kb)
                    } else {
                        rand_i64(rng, kmin, kmax.min(kmin.saturating_add(10)))
                    }
                }
            };
            for candidate in [
                k,
                k.saturating_add(1),
                k.saturating_sub(1),
                k.saturating_add(2),
            ] {
                let x = round_to(candidate as f64 * m, decimals);
                if in_bounds(x) && is_multiple_of(x, m) {
                    return number_value(x);
                }
            }
            return number_value(round_to(k as f64 * m, decimals));
        }
        let candidate = match mode {
            Mode::Static => match (lower, upper) {
                (Some((l, false)), _) if explicit_lower.is_some() => l,
                (Some((l, true)), _) if explicit_lower.is_some() => l + 1.0,
                (_, Some((h, ex))) if explicit_upper.is_some() && (h < 0.0 || (h == 0.0 && ex)) => {
                    if ex {
                        h - 1.0
                    } else {
                        h
                    }
                }
                _ => 0.0,
            },
            Mode::Dynamic => {
                let (a, b) =
                    dynamic_range_f(explicit_lower.map(|b| b.0), explicit_upper.map(|b| b.0));
                let x = a + (b - a) * rng.random::<f64>();
                let rounded = round_to(x, 2);
                if in_bounds(rounded) {
                    rounded
                } else {
                    x
                }
            }
        };
        if in_bounds(candidate) {
            return number_value(candidate);
        }
        // Between the bounds, however close they are.
        let fallback = match (lower, upper) {
            (Some((l, _)), Some((h, _))) => l / 2.0 + h / 2.0,
            (Some((l, _)), None) => l + 1.0,
            (None, Some((h, _))) => h - 1.0,
            (None, None) => 0.0,
        };
        if in_bounds(fallback) {
            return number_value(fallback);
        }
        number_value(lower.map_or(0.0, |b| b.0))
    }
}

/// `minimum` with its exclusivity (draft-4 boolean or later numeric form).
pub(super) fn lower_bound(o: &Map<String, Value>) -> Option<(f64, bool)> {
    bound(o, "minimum", "exclusiveMinimum", true)
}

/// `maximum` with its exclusivity.
pub(super) fn upper_bound(o: &Map<String, Value>) -> Option<(f64, bool)> {
    bound(o, "maximum", "exclusiveMaximum", false)
}

fn bound(o: &Map<String, Value>, key: &str, exclusive: &str, lower: bool) -> Option<(f64, bool)> {
    // The range of an `int32`/`int64` format, written into the schema at load so
    // it is validated, is no bound the author chose: values stay near zero.
    let format_range = |m: &Value| match o.get("format").and_then(Value::as_str) {
        Some("int32") => m == &Value::from(i32::MIN) || m == &Value::from(i32::MAX),
        Some("int64") => m == &Value::from(i64::MIN) || m == &Value::from(i64::MAX),
        _ => false,
    };
    let mut bound = o
        .get(key)
        .filter(|m| !format_range(m))
        .and_then(Value::as_f64)
        .map(|m| (m, o.get(exclusive) == Some(&Value::Bool(true))));
    if let Some(x) = o.get(exclusive).and_then(Value::as_f64) {
        bound = Some(tighter(bound, (x, true), lower));
    }
    bound.filter(|b| !b.0.is_nan())
}

/// The stricter of two bounds (`lower` says which side they bound).
pub(super) fn tighter(a: Option<(f64, bool)>, b: (f64, bool), lower: bool) -> (f64, bool) {
    let Some(a) = a else { return b };
    if a.0 == b.0 {
        (a.0, a.1 || b.1)
    } else if (b.0 > a.0) == lower {
        b
    } else {
        a
    }
}

/// A JSON number for `x` (`0` for the non-finite values JSON cannot hold).
pub(super) fn number_value(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::from(0), Value::Number)
}

pub(super) fn combine_multiples(a: f64, b: f64) -> f64 {
    if a.fract() == 0.0 && b.fract() == 0.0 && a < 1e15 && b < 1e15 {
        let (x, y) = (a as u64, b as u64);
        if let Some(l) = x.checked_div(gcd(x, y)).and_then(|q| q.checked_mul(y)) {
            if l < (1u64 << 53) {
                return l as f64;
            }
        }
    }
    if is_multiple_of(a, b) {
        a
    } else if is_multiple_of(b, a) {
        b
    } else {
        a
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// The smallest positive integer that is a multiple of `m`.
fn integer_step(m: f64) -> i128 {
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return 1;
    }
    if m.fract() == 0.0 {
        return if m < 1e18 { (m as i128).max(1) } else { 1 };
    }
    match decimal_parts(m) {
        Some((mantissa, decimals)) if mantissa > 0 && decimals < 30 => {
            let ten = 10i128.pow(decimals);
            let mut g = (mantissa, ten);
            while g.1 != 0 {
                g = (g.1, g.0 % g.1);
            }
            (mantissa / g.0).max(1)
        }
        _ => 1,
    }
}

/// The shortest decimal form of `x` as (digits, digits after the point).
fn decimal_parts(x: f64) -> Option<(i128, u32)> {
    if !x.is_finite() {
        return None;
    }
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    if int.len() + frac.len() > 36 {
        return None;
    }
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    let decimals = u32::try_from(frac.len()).ok()?;
    Some((if x < 0.0 { -digits } else { digits }, decimals))
}

/// Whether `value / m` is an integer in the decimal reading both print as (the rule
/// the validators use).
pub(super) fn is_multiple_of(value: f64, m: f64) -> bool {
    if m.is_nan() || m <= 0.0 || !m.is_finite() {
        return true;
    }
    if value == 0.0 {
        return true;
    }
    if value.abs() < m {
        return false;
    }
    let exact = || -> Option<bool> {
        let (vm, vd) = decimal_parts(value)?;
        let (mm, md) = decimal_parts(m)?;
        if mm == 0 {
            return None;
        }
        let shared = vd.min(md);
        let a = vm.checked_mul(10i128.checked_pow(md - shared)?)?;
        let b = mm.checked_mul(10i128.checked_pow(vd - shared)?)?;
        Some(a % b == 0)
    };
    exact().unwrap_or_else(|| {
        let q = value / m;
        (q - q.round()).abs() < 1e-9
    })
}

fn round_to(x: f64, decimals: u32) -> f64 {
    if decimals == 0 {
        return x.round();
    }
    if decimals > 15 {
        return x;
    }
    let p = 10f64.powi(decimals as i32);
    let r = (x * p).round() / p;
    if r.is_finite() {
        r
    } else {
        x
    }
}

fn div_floor_i(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn div_ceil_i(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) == (b < 0)) {
        q + 1
    } else {
        q
    }
}

/// A modest range for random integers within optional bounds.
fn dynamic_range_i(lo: Option<i128>, hi: Option<i128>) -> (i128, i128) {
    let (a, b) = match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l.saturating_add(1000)),
        (None, Some(h)) if h > 0 => (0, h),
        (None, Some(h)) => (h.saturating_sub(1000), h),
        (None, None) => (0, 1000),
    };
    if b.saturating_sub(a) <= 10_000 {
        (a, b)
    } else if a <= 0 && b >= 0 {
        if b > 0 {
            (0, b.min(10_000))
        } else {
            (a.max(-10_000), 0)
        }
    } else if a > 0 {
        (a, a.saturating_add(10_000))
    } else {
        (b.saturating_sub(10_000), b)
    }
}

fn dynamic_range_f(lo: Option<f64>, hi: Option<f64>) -> (f64, f64) {
    let (a, b) = match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l + 1000.0),
        (None, Some(h)) if h > 0.0 => (0.0, h),
        (None, Some(h)) => (h - 1000.0, h),
        (None, None) => (0.0, 1000.0),
    };
    let width = b - a;
    if width.is_finite() && width <= 10_000.0 {
        (a, b.max(a))
    } else if a <= 0.0 && b >= 0.0 {
        if b > 0.0 {
            (0.0, b.min(10_000.0))
        } else {
            (a.max(-10_000.0), 0.0)
        }
    } else if a > 0.0 {
        (a, a + 10_000.0)
    } else {
        (b - 10_000.0, b)
    }
}

fn rand_i64(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

fn rand_i128(rng: &mut StdRng, lo: i128, hi: i128) -> i128 {
    if hi <= lo {
        return lo;
    }
    match (i64::try_from(lo), i64::try_from(hi)) {
        (Ok(l), Ok(h)) => i128::from(rng.random_range(l..=h)),
        _ => lo,
    }
}

#[cfg(test)]
mod tests {
    use crate::generate::testing::*;
    use serde_json::json;

    #[test]
    fn integers() {
        let (st, dy) =
            one(json!({ "type": "integer", "minimum": 10, "maximum": 100, "multipleOf": 7 }));
        assert_eq!(st[0], 14);
        assert!(distinct(&dy) > 5);
        let (st, dy) = one(
            json!({ "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 5, "exclusiveMaximum": true }),
        );
        assert_eq!(st[0], 1);
        assert_eq!(distinct(&dy), 4);
        one(json!({ "type": "integer", "maximum": -5 }));
        one(json!({ "type": "integer", "minimum": 1e12 }));
        one(json!({ "type": "integer", "format": "int32" }));
        one(json!({ "type": "integer", "format": "int64", "minimum": -9000000000000000000i64 }));
        one(json!({ "type": "integer", "multipleOf": 0.5, "minimum": 3.2 }));
        one(json!({ "type": "integer", "multipleOf": 2.5 }));
        let (st, dy) = one(
            json!({ "type": "integer", "minimum": -4.5, "maximum": -3, "exclusiveMaximum": true }),
        );
        assert!(st.iter().chain(&dy).all(|v| v == -4));
    }

    #[test]
    fn numbers() {
        one(json!({ "type": "number" }));
        one(json!({ "type": "number", "minimum": 0.5, "maximum": 2.5, "multipleOf": 0.1 }));
        one(json!({ "type": "number", "minimum": 0, "exclusiveMinimum": true }));
        one(json!({ "type": "number", "minimum": 0, "maximum": 0.001, "exclusiveMaximum": true }));
        one(json!({ "type": "number", "multipleOf": 0.01, "minimum": -1, "maximum": 1 }));
        one(json!({ "type": "number", "multipleOf": 0.3 }));
        one(json!({ "type": "number", "format": "float" }));
        one(json!({ "type": "number", "format": "double", "maximum": -1e6 }));
        one(json!({ "type": "number", "format": "int32", "minimum": 3 }));
        one(json!({ "type": "number", "minimum": -1e300, "maximum": 1e300 }));
    }
}
