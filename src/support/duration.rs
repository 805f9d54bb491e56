//! Durations as people write them: a number with its unit (`250ms`, `10s`,
//! `1.5s`, `2m`). A bare number is refused everywhere with the same message,
//! because `5` silently meaning five milliseconds in one place and five seconds in
//! another is exactly the kind of surprise a test tool must not have. Parsing is
//! jiff's "friendly" duration format.

use crate::support::limits::quoted;
use std::time::Duration;

/// The longest duration any setting accepts.
const MAX: Duration = Duration::from_secs(3600);

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration: {why}")]
pub struct DurationError {
    text: String,
    why: &'static str,
}

/// Reads `250ms`, `10s`, `1.5s`, `2m` or `1h` (at most an hour). Zero is allowed;
/// settings that cannot be zero check that themselves. Every duration mimeo reads
/// (flags, config files, scenarios) goes through here.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(mimeo::parse_duration("1.5s")?, Duration::from_millis(1500));
/// let bare = mimeo::parse_duration("5").unwrap_err();
/// assert_eq!(bare.to_string(), "`5` is not a duration: give a unit, e.g. 250ms or 10s");
/// # Ok::<(), mimeo::errors::DurationError>(())
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let err = |why| DurationError {
        text: quoted(text).into_owned(),
        why,
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bare(text));
    }
    let parsed: jiff::SignedDuration = t
        .parse()
        .map_err(|_| err("write a number with a unit, e.g. 250ms, 10s or 1.5s"))?;
    if parsed.is_negative() {
        return Err(err("it must not be negative"));
    }
    let d = Duration::try_from(parsed).map_err(|_| err("it is out of range"))?;
    if d > MAX {
        return Err(err("it must be at most an hour"));
    }
    Ok(d)
}

/// The refusal of a number without a unit.
fn bare(text: &str) -> DurationError {
    DurationError {
        text: quoted(text).into_owned(),
        why: "give a unit, e.g. 250ms or 10s",
    }
}

/// `10s`, `250ms`, `1.5s`: the shortest exact way to write `d` for a message.
pub(crate) fn format(d: Duration) -> String {
    if d.subsec_nanos() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos() % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}µs", d.as_micros())
    }
}

/// Writes a duration as milliseconds (the journal and JSON reports).
pub(crate) fn serialize_millis<S: serde::Serializer>(
    d: &Duration,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// A duration read from a file (config, scenario): text only, so `timeout: 5` in
/// YAML gets the same refusal as `--timeout 5` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationText(pub Duration);

impl<'de> serde::Deserialize<'de> for DurationText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration with a unit, e.g. 250ms or 10s")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationText, E> {
                parse_duration(v).map(DurationText).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DurationText, E> {
                Err(E::custom(bare(&v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<DurationText, E> {
                Err(E::custom(bare(&v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<DurationText, E> {
                Err(E::custom(bare(&v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_fractions_and_refusals() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        let bare = parse_duration("5").unwrap_err().to_string();
        assert_eq!(
            bare,
            "`5` is not a duration: give a unit, e.g. 250ms or 10s"
        );
        assert_eq!(
            parse_duration("2.5").unwrap_err().to_string(),
            bare.replace("`5`", "`2.5`")
        );
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("2h")
            .unwrap_err()
            .to_string()
            .contains("at most an hour"));
    }

    #[cfg(feature = "replay")]
    #[test]
    fn formats_shortest() {
        assert_eq!(format(Duration::from_secs(10)), "10s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format(Duration::ZERO), "0ms");
    }

    #[test]
    fn yaml_numbers_are_refused_like_flags() {
        let err = serde_yaml::from_str::<DurationText>("5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`5` is not a duration: give a unit"), "{err}");
        let ok: DurationText = serde_yaml::from_str("\"5ms\"").unwrap();
        assert_eq!(ok.0, Duration::from_millis(5));
    }
}
