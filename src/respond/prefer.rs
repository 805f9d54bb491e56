//! Per-request choices, in Prism's conventions: `Prefer: code=409, example=NAME,
//! dynamic=true`, extended with WireMock's faults and delays (`fault=EMPTY_RESPONSE`,
//! `delay=200ms`, `dribble=5x1s`), and the query forms `__code`, `__example`,
//! `__dynamic`, `__fault`, `__delay`, `__dribble` for clients that cannot set
//! headers (removed before the request is validated).

use std::borrow::Cow;
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};

use super::fault::{Dribble, Fault};
use crate::support::duration::parse_duration;
use crate::support::limits::quoted;

/// `Prefer` (RFC 7240), not one of the `http` crate's standard names.
pub(crate) const PREFER: HeaderName = HeaderName::from_static("prefer");

/// What a request asked for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Prefer {
    /// `code=NNN`.
    pub(crate) code: Option<u16>,
    /// `example=NAME`.
    pub(crate) example: Option<String>,
    /// `dynamic=true|false`.
    pub(crate) dynamic: Option<bool>,
    /// `fault=NAME`.
    pub(crate) fault: Option<Fault>,
    /// `delay=200ms`.
    pub(crate) delay: Option<Duration>,
    /// `dribble=5x1s`.
    pub(crate) dribble: Option<Dribble>,
}

impl Prefer {
    /// Whether the request asked for anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.code.is_none()
            && self.example.is_none()
            && self.dynamic.is_none()
            && self.fault.is_none()
            && self.delay.is_none()
            && self.dribble.is_none()
    }
}

/// `code=409, example=NAME, dynamic=true`: what was asked, for logs.
impl std::fmt::Display for Prefer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sep = "";
        if let Some(c) = self.code {
            write!(f, "code={c}")?;
            sep = ", ";
        }
        if let Some(e) = &self.example {
            write!(f, "{sep}example={e}")?;
            sep = ", ";
        }
        if let Some(d) = self.dynamic {
            write!(f, "{sep}dynamic={d}")?;
            sep = ", ";
        }
        if let Some(x) = self.fault {
            write!(f, "{sep}fault={x}")?;
            sep = ", ";
        }
        if let Some(d) = self.delay {
            write!(f, "{sep}delay={d:?}")?;
            sep = ", ";
        }
        if let Some(d) = self.dribble {
            write!(f, "{sep}dribble={d}")?;
        }
        Ok(())
    }
}

/// Reads `Prefer` headers and `__` query controls. Query pairs that are mimeo's
/// controls are removed from `query`, and a bad value of one is an error naming
/// it; other `__` parameters stay, to be validated as the API's own (an unknown
/// one is then treated like any other unknown parameter).
pub(crate) fn parse<'h>(
    lines: impl IntoIterator<Item = &'h HeaderValue>,
    query: &mut Vec<(Cow<'_, str>, Cow<'_, str>)>,
) -> Result<Prefer, String> {
    let mut prefer = Prefer::default();
    // RFC 7240 §2: of a preference given more than once, the first counts.
    let mut seen: Vec<String> = Vec::new();
    for value in lines {
        let text = value
            .to_str()
            .map_err(|_| "the Prefer header is not ASCII".to_string())?;
        for pref in text.split([',', ';']) {
            let pref = pref.trim();
            if pref.is_empty() {
                continue;
            }
            let (k, v) = pref.split_once('=').unwrap_or((pref, ""));
            let v = v.trim().trim_matches('"');
            let k = k.trim().to_ascii_lowercase();
            if seen.contains(&k) {
                continue;
            }
            // Other preferences (return=minimal, respond-async, ...) belong to the
            // API, not to mimeo (and are not kept: `seen` holds at most mimeo's).
            if set(&mut prefer, &k, v, "Prefer:")? {
                seen.push(k);
            }
        }
    }
    let mut err = None;
    query.retain(|(k, v)| match k.strip_prefix("__") {
        Some(key) => match set(&mut prefer, key, v, "query") {
            Ok(true) => false,
            // Not one of mimeo's controls: the API's own parameter, like any other.
            Ok(false) => true,
            Err(e) => {
                err.get_or_insert(e);
                false
            }
        },
        None => true,
    });
    match err {
        Some(e) => Err(e),
        None => Ok(prefer),
    }
}

/// mimeo's own controls, as `Prefer` names them (`__NAME` in a query).
const CONTROLS: [&str; 6] = ["code", "example", "dynamic", "fault", "delay", "dribble"];

/// Whether a query parameter's name is one of mimeo's `__` controls (which
/// the API never sees, and a redirect does not carry on).
pub(crate) fn is_query_control(name: &str) -> bool {
    name.strip_prefix("__")
        .is_some_and(|k| CONTROLS.iter().any(|c| c.eq_ignore_ascii_case(k)))
}

/// Sets one control; `Ok(false)` when `key` is not one of mimeo's.
fn set(prefer: &mut Prefer, key: &str, value: &str, whence: &str) -> Result<bool, String> {
    match key.to_ascii_lowercase().as_str() {
        "code" => {
            let code = value
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| {
                    format!(
                        "{whence} code=`{}` is not an HTTP status (100-599)",
                        quoted(value)
                    )
                })?;
            prefer.code = Some(code);
        }
        "example" => {
            if value.is_empty() {
                return Err(format!("{whence} example= needs a name"));
            }
            prefer.example = Some(value.to_string());
        }
        "dynamic" => {
            prefer.dynamic = Some(match value {
                "true" | "" => true,
                "false" => false,
                _ => {
                    return Err(format!(
                        "{whence} dynamic=`{}` must be true or false",
                        quoted(value)
                    ))
                }
            });
        }
        "fault" => {
            prefer.fault = Some(Fault::parse(value).map_err(|e| format!("{whence} fault=: {e}"))?);
        }
        "delay" => {
            prefer.delay =
                Some(parse_duration(value).map_err(|e| format!("{whence} delay=: {e}"))?);
        }
        "dribble" => {
            prefer.dribble =
                Some(Dribble::parse(value).map_err(|e| format!("{whence} dribble=: {e}"))?);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderMap;

    #[test]
    fn header_and_query_forms() {
        let mut h = HeaderMap::new();
        h.insert(
            "prefer",
            HeaderValue::from_static("code=409, example=\"x\", return=minimal"),
        );
        let mut q = vec![
            (Cow::from("removeAll"), Cow::from("true")),
            (Cow::from("__dynamic"), Cow::from("true")),
        ];
        let p = parse(h.get_all(PREFER), &mut q).unwrap();
        assert_eq!(
            p,
            Prefer {
                code: Some(409),
                example: Some("x".into()),
                dynamic: Some(true),
                ..Prefer::default()
            }
        );
        assert_eq!(q.len(), 1, "the __ control is removed before validation");
    }

    #[test]
    fn the_first_of_a_repeated_preference_counts() {
        let mut h = HeaderMap::new();
        h.append("prefer", HeaderValue::from_static("code=200, Code=404"));
        h.append("prefer", HeaderValue::from_static("code=500, delay=1ms"));
        h.append("prefer", HeaderValue::from_static("delay=2ms"));
        let p = parse(h.get_all(PREFER), &mut Vec::new()).unwrap();
        assert_eq!(p.code, Some(200));
        assert_eq!(p.delay, Some(Duration::from_millis(1)));
    }

    #[test]
    fn faults_delays_and_dribbles() {
        let mut h = HeaderMap::new();
        h.insert(
            "prefer",
            HeaderValue::from_static("code=503, delay=200ms, dribble=5x1s"),
        );
        let mut q = vec![(Cow::from("__fault"), Cow::from("EMPTY_RESPONSE"))];
        let p = parse(h.get_all(PREFER), &mut q).unwrap();
        assert_eq!(p.code, Some(503));
        assert_eq!(p.delay, Some(Duration::from_millis(200)));
        assert_eq!(p.dribble.unwrap().chunks, 5);
        assert_eq!(p.fault, Some(Fault::EmptyResponse));
        assert!(q.is_empty());
        h.insert("prefer", HeaderValue::from_static("fault=BOOM"));
        assert!(parse(h.get_all(PREFER), &mut Vec::new())
            .unwrap_err()
            .contains("not a fault"));
        h.insert("prefer", HeaderValue::from_static("delay=200"));
        assert!(parse(h.get_all(PREFER), &mut Vec::new())
            .unwrap_err()
            .contains("unit"));
    }

    #[test]
    fn bad_values_are_errors() {
        let mut h = HeaderMap::new();
        h.insert("prefer", HeaderValue::from_static("code=abc"));
        assert!(parse(h.get_all(PREFER), &mut Vec::new())
            .unwrap_err()
            .contains("code=`abc`"));
        let mut q = vec![(Cow::from("__code"), Cow::from("4O9"))];
        assert!(parse(std::iter::empty(), &mut q)
            .unwrap_err()
            .contains("code=`4O9`"));
        // Not a control: the API's own parameter, left for validation.
        let mut q = vec![(Cow::from("__cod"), Cow::from("409"))];
        assert!(parse(std::iter::empty(), &mut q).unwrap().is_empty());
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn the_query_controls_are_the_ones_set_takes() {
        for c in CONTROLS {
            assert!(
                !matches!(set(&mut Prefer::default(), c, "", "q"), Ok(false)),
                "{c}"
            );
            assert!(is_query_control(&format!("__{}", c.to_uppercase())));
        }
        assert!(matches!(
            set(&mut Prefer::default(), "cod", "", "q"),
            Ok(false)
        ));
        assert!(!is_query_control("__cod") && !is_query_control("code"));
    }
}
