//! Server-side rules: which status (or sequence of statuses) and latency the mock
//! gives to requests matching a method and path pattern.
//!
//! Rules come from `--status 'METHOD /path/*=409'` flags and from a config file.
//! They are checked against the contract at start-up: a rule that matches no
//! operation, or names a status an operation it matches does not document, is
//! refused before the server listens, so a typo never turns into silent defaults.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::Method;
use serde::Deserialize;

use crate::contract::{Contract, Operation};
use crate::diagnostic::Diagnostic;
use crate::support::duration::DurationText;
use crate::support::yaml;
use serde_saphyr::Spanned;

/// A server-side rule: the status (or sequence of statuses), example and latency
/// the mock gives requests matching a method and path pattern (`*` one segment,
/// `**` any number). Rules are checked against the contract when the server
/// starts.
///
/// # Examples
///
/// ```
/// use mimeo::Rule;
///
/// // Every modify conflicts; two throttled adds, then success.
/// let conflict = Rule::from_flag("PATCH /v1/Stores/*/Profiles/*/Identifiers/*=409")?;
/// let retry = Rule::from_flag("POST /v1/Stores/*/Profiles/*/Identifiers=429,429,202")?;
/// assert_eq!(retry.statuses(), [429, 429, 202]);
/// # let _ = conflict;
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug)]
pub struct Rule {
    /// Where it came from, for messages (`--status 'X=409'`, `mimeo.yaml: rules[1]`).
    pub(crate) origin: String,
    /// `METHOD /path/pattern` as written.
    pub(crate) pattern: String,
    method: Option<Method>,
    segments: Vec<Segment>,
    /// Statuses in order; empty when the rule only sets latency or an example.
    pub(crate) statuses: Vec<u16>,
    /// After the last status of a sequence: start again (true) or keep the last.
    pub(crate) repeat: bool,
    /// A named example to answer with.
    pub(crate) example: Option<String>,
    /// Added delay.
    pub(crate) latency: Option<Latency>,
}

/// A rule that cannot be read, or that does not fit the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub(crate) String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `*`: exactly one segment.
    One,
    /// `**`: any number of segments.
    Many,
    Literal(String),
}

/// A fixed delay, or one picked uniformly from a range, added to answers.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::Latency;
///
/// let fixed = Latency::fixed(Duration::from_millis(5));
/// let range = Latency::parse("20ms..200ms")?;
/// assert_eq!(range.max, Duration::from_millis(200));
/// # let _ = fixed;
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Shortest delay.
    pub min: Duration,
    /// Longest delay (equal to `min` for a fixed one).
    pub max: Duration,
}

impl Latency {
    /// Always `d`.
    pub fn fixed(d: Duration) -> Latency {
        Latency { min: d, max: d }
    }

    /// `50ms`, or a range `20ms..200ms`.
    pub fn parse(text: &str) -> Result<Latency, RuleError> {
        let parse = |s: &str| {
            crate::support::duration::parse_duration(s).map_err(|e| RuleError(e.to_string()))
        };
        match text.split_once("..") {
            Some((a, b)) => {
                let (min, max) = (parse(a)?, parse(b)?);
                if max < min {
                    return Err(RuleError(format!("`{text}`: the range is reversed")));
                }
                Ok(Latency { min, max })
            }
            None => parse(text).map(Latency::fixed),
        }
    }

    /// A delay in `[min, max]`, picked from `entropy`.
    pub(crate) fn pick(&self, entropy: u64) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        let span = (self.max - self.min).as_micros() as u64;
        self.min + Duration::from_micros(entropy % (span + 1))
    }
}

impl Rule {
    /// Parses a `--status` flag: `METHOD /path/*=409`, or `=429,429,202` for a
    /// sequence (after its end the last status stays).
    pub fn from_flag(flag: &str) -> Result<Rule, RuleError> {
        parse_status_flag(flag)
    }

    /// The statuses the rule answers with, in order.
    pub fn statuses(&self) -> &[u16] {
        &self.statuses
    }

    /// Starts the sequence again after its end instead of keeping the last status.
    pub fn repeat(mut self) -> Rule {
        self.repeat = true;
        self
    }

    /// Also answers with the documented example of this name.
    pub fn example(mut self, name: impl Into<String>) -> Rule {
        self.example = Some(name.into());
        self
    }

    /// Also delays matching answers.
    pub fn latency(mut self, latency: Latency) -> Rule {
        self.latency = Some(latency);
        self
    }

    /// Whether the rule applies to a request with this method and raw path, given
    /// as [`segments`] (split once per request, however many rules there are).
    pub(crate) fn matches(&self, method: &Method, path: &[&str]) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        glob(&self.segments, path, |lit, seg| lit == seg)
    }

    /// Whether the rule could apply to some request of `op` (checked at start-up).
    fn could_match(&self, op: &Operation) -> bool {
        if self.method.as_ref().is_some_and(|m| *m != op.method) {
            return false;
        }
        let template: Vec<&str> = op
            .path
            .segments()
            .iter()
            .map(|s| s.literal().unwrap_or("{}"))
            .collect();
        // A template segment with a parameter could hold any literal.
        glob(&self.segments, &template, |lit, seg| {
            lit == seg || seg == "{}"
        })
    }

    /// Whether the rule picks the answer (a status or an example) rather than
    /// only delaying it.
    pub(crate) fn chooses(&self) -> bool {
        !self.statuses.is_empty() || self.example.is_some()
    }

    /// The status for this hit and a description for the log ("2/3"). `hits`
    /// counts the rule's matches so far (per session, so parallel clients each
    /// walk their own sequence).
    pub(crate) fn next_status(&self, hits: &AtomicUsize) -> Option<(u16, String)> {
        if self.statuses.is_empty() {
            return None;
        }
        let n = hits.fetch_add(1, Ordering::Relaxed);
        let len = self.statuses.len();
        let i = if self.repeat { n % len } else { n.min(len - 1) };
        let step = if len > 1 {
            format!(", status {} of {len}", i + 1)
        } else {
            String::new()
        };
        Some((self.statuses[i], format!("rule {}{step}", self.origin)))
    }
}

/// A path's segments as rules see them (`/a/b` -> `["a", "b"]`).
pub(crate) fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

fn glob(pattern: &[Segment], parts: &[&str], eq: impl Fn(&str, &str) -> bool + Copy) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::Many, rest)) => (0..=parts.len()).any(|skip| glob(rest, &parts[skip..], eq)),
        Some((seg, rest)) => match parts.split_first() {
            None => false,
            Some((part, more)) => {
                let ok = match seg {
                    Segment::One => true,
                    Segment::Literal(l) => eq(l, part),
                    Segment::Many => unreachable!("handled above"),
                };
                ok && glob(rest, more, eq)
            }
        },
    }
}

/// Parses `METHOD /path/*`, `/path/*` (any method).
fn parse_pattern(pattern: &str) -> Result<(Option<Method>, Vec<Segment>), String> {
    let pattern = pattern.trim();
    let (method, path) = match pattern.split_once(char::is_whitespace) {
        Some((m, p)) if !m.starts_with('/') => (Some(m), p.trim()),
        _ => (None, pattern),
    };
    let method = match method {
        None | Some("*") => None,
        Some(m) => Some(
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("`{m}` is not an HTTP method"))?,
        ),
    };
    if !path.starts_with('/') {
        return Err(format!("the path pattern `{path}` must start with `/`"));
    }
    let segments = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| match s {
            "*" => Segment::One,
            "**" => Segment::Many,
            lit => Segment::Literal(lit.to_string()),
        })
        .collect();
    Ok((method, segments))
}

/// Parses a `--status` flag: `METHOD /path/*=409` or `=429,429,202` for a sequence.
fn parse_status_flag(flag: &str) -> Result<Rule, RuleError> {
    let err = |e: String| RuleError(format!("--status '{flag}': {e}"));
    let (pattern, statuses) = flag.rsplit_once('=').ok_or_else(|| {
        err("expected METHOD /path/pattern=STATUS, e.g. 'PATCH /v1/Stores/*=409'".into())
    })?;
    let statuses = statuses
        .split(',')
        .map(|s| parse_status(s.trim()).map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    let (method, segments) = parse_pattern(pattern).map_err(err)?;
    Ok(Rule {
        origin: format!("--status '{flag}'"),
        pattern: pattern.trim().to_string(),
        method,
        segments,
        statuses,
        repeat: false,
        example: None,
        latency: None,
    })
}

fn parse_status(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(c) if (100..=599).contains(&c) => Ok(c),
        _ => Err(format!("`{s}` is not an HTTP status (100-599)")),
    }
}

/// The config file (`--config mimeo.yaml`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Latency for every request (a rule's own latency wins).
    #[serde(default)]
    latency: Option<Spanned<LatencySpec>>,
    /// Rules, tried in order after `--status` flags.
    #[serde(default)]
    rules: Vec<Spanned<RuleSpec>>,
}

/// What a config file sets: rules, and a latency for every answer. Read it with
/// [`load_config`] and put both in [`crate::ServeOptions`].
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mimeo.yaml");
/// std::fs::write(&path, "latency: {min: 1ms, max: 5ms}\n")?;
/// let config = mimeo::load_config(&path)?;
/// let opts = mimeo::ServeOptions { rules: config.rules, latency: config.latency, ..Default::default() };
/// assert!(opts.latency.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Config {
    /// The file's rules, in order.
    pub rules: Vec<Rule>,
    /// Latency for every answer without a rule latency.
    pub latency: Option<Latency>,
}

/// A latency as written: `100ms` or `{min: 50ms, max: 200ms}`.
#[derive(Debug, Clone, Copy)]
enum LatencySpec {
    /// Fixed.
    Fixed(DurationText),
    /// Uniform in a range.
    Range {
        min: DurationText,
        max: DurationText,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    min: DurationText,
    max: DurationText,
}

/// Hand-written so a bad duration gets its own message, where an untagged enum
/// would only say that nothing matched.
impl<'de> Deserialize<'de> for LatencySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{value, IntoDeserializer};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LatencySpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 100ms, or {min: 50ms, max: 200ms}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LatencySpec, E> {
                DurationText::deserialize(v.into_deserializer()).map(LatencySpec::Fixed)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LatencySpec, E> {
                DurationText::deserialize(v.into_deserializer()).map(LatencySpec::Fixed)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LatencySpec, E> {
                DurationText::deserialize(v.into_deserializer()).map(LatencySpec::Fixed)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<LatencySpec, E> {
                DurationText::deserialize(v.into_deserializer()).map(LatencySpec::Fixed)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<LatencySpec, A::Error> {
                let r = RangeSpec::deserialize(value::MapAccessDeserializer::new(map))?;
                Ok(LatencySpec::Range {
                    min: r.min,
                    max: r.max,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl LatencySpec {
    /// The latency this describes.
    fn get(&self) -> Result<Latency, String> {
        match *self {
            LatencySpec::Fixed(d) => Ok(Latency::fixed(d.0)),
            LatencySpec::Range { min, max } => {
                if max.0 < min.0 {
                    return Err("latency max is smaller than min".into());
                }
                Ok(Latency {
                    min: min.0,
                    max: max.0,
                })
            }
        }
    }
}

/// One rule as written in the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    /// `METHOD /path/pattern` (`*` one segment, `**` any number).
    #[serde(rename = "match")]
    pattern: String,
    /// A single status.
    #[serde(default)]
    status: Option<u16>,
    /// Statuses for successive matching requests.
    #[serde(default)]
    sequence: Option<Vec<u16>>,
    /// Start the sequence again after its end (default: keep the last status).
    #[serde(default)]
    repeat: bool,
    /// A named example.
    #[serde(default)]
    example: Option<String>,
    /// Added delay.
    #[serde(default)]
    latency: Option<LatencySpec>,
}

/// Reads a config file (`--config mimeo.yaml`); every error says file:line:column.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mimeo.yaml");
/// std::fs::write(&path, "latency: 5ms\nrules:\n  - match: DELETE /v1/ControlPlane/**\n    status: 429\n")?;
/// let config = mimeo::load_config(&path)?;
/// assert_eq!(config.rules[0].statuses(), [429]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_config(path: &Path) -> Result<Config, Diagnostic> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::new(&name, format!("cannot read the config file: {e}")))?;
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let config: ConfigFile = yaml::from_str(&name, &text)?;
    let mut rules = Vec::new();
    for (i, spanned) in config.rules.iter().enumerate() {
        let spec = &spanned.value;
        let err = |e: String| yaml::at(&name, &spanned.referenced, e);
        let origin = format!("{name}: rules[{i}] `{}`", spec.pattern);
        let (method, segments) = parse_pattern(&spec.pattern).map_err(err)?;
        let statuses = match (&spec.status, &spec.sequence) {
            (Some(_), Some(_)) => return Err(err("give `status` or `sequence`, not both".into())),
            (Some(s), None) => vec![*s],
            (None, Some(seq)) if seq.is_empty() => return Err(err("`sequence` is empty".into())),
            (None, Some(seq)) => seq.clone(),
            (None, None) => Vec::new(),
        };
        for s in &statuses {
            parse_status(&s.to_string()).map_err(err)?;
        }
        let latency = spec
            .latency
            .as_ref()
            .map(LatencySpec::get)
            .transpose()
            .map_err(err)?;
        if statuses.is_empty() && spec.example.is_none() && latency.is_none() {
            return Err(err(
                "the rule sets nothing; give status, sequence, example or latency".into(),
            ));
        }
        rules.push(Rule {
            origin,
            pattern: spec.pattern.clone(),
            method,
            segments,
            statuses,
            repeat: spec.repeat,
            example: spec.example.clone(),
            latency,
        });
    }
    let latency = match &config.latency {
        Some(l) => Some(
            l.value
                .get()
                .map_err(|e| yaml::at(&name, &l.referenced, format!("latency: {e}")))?,
        ),
        None => None,
    };
    Ok(Config { rules, latency })
}

/// Checks rules against the contract: each must match an operation, and every
/// status (and example) it names must be documented by every operation it matches.
pub(crate) fn check_rules(rules: &[Rule], contract: &Contract) -> Result<(), RuleError> {
    for rule in rules {
        let matched: Vec<&Operation> = contract
            .operations
            .iter()
            .filter(|op| rule.could_match(op))
            .collect();
        if matched.is_empty() {
            return Err(RuleError(format!(
                "{}: `{}` matches no operation of the contract (use `*` for one path segment, `**` for any number)",
                rule.origin, rule.pattern
            )));
        }
        for op in &matched {
            for s in &rule.statuses {
                if !op.documents(*s) {
                    return Err(RuleError(format!(
                        "{}: status {s} is not documented for {} ({}); documented: {}",
                        rule.origin,
                        op.label(),
                        op.name(),
                        op.documented_list()
                    )));
                }
            }
            if let Some(name) = &rule.example {
                let statuses = if rule.statuses.is_empty() {
                    vec![op.default_status()]
                } else {
                    rule.statuses.clone()
                };
                for s in statuses {
                    let has = op
                        .response_for(s)
                        .and_then(|r| r.primary_content())
                        .is_some_and(|m| m.examples.iter().any(|e| &e.name == name));
                    if !has {
                        return Err(RuleError(format!(
                            "{}: {} has no example named `{name}` for status {s}",
                            rule.origin,
                            op.label()
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_match() {
        let r = parse_status_flag("PATCH /v1/Stores/*/Profiles/*/Identifiers/*=409").unwrap();
        assert_eq!(r.statuses, vec![409]);
        assert!(r.matches(
            &Method::PATCH,
            &segments("/v1/Stores/a/Profiles/b/Identifiers/email")
        ));
        assert!(!r.matches(
            &Method::GET,
            &segments("/v1/Stores/a/Profiles/b/Identifiers/email")
        ));
        assert!(!r.matches(
            &Method::PATCH,
            &segments("/v1/Stores/a/Profiles/b/Identifiers")
        ));
        let any = parse_status_flag("/v1/**=500").unwrap();
        assert!(any.matches(&Method::GET, &segments("/v1/a/b/c")));
        assert!(parse_status_flag("GET /x").is_err());
        assert!(parse_status_flag("GET /x=abc").is_err());
        assert!(parse_status_flag("GET /x=999").is_err());
        assert!(parse_status_flag("GOT? /x=200").is_err());
    }

    #[test]
    fn sequences_keep_last_or_repeat() {
        let r = parse_status_flag("GET /x=429,429,202").unwrap();
        let hits = AtomicUsize::new(0);
        let got: Vec<u16> = (0..5).map(|_| r.next_status(&hits).unwrap().0).collect();
        assert_eq!(got, vec![429, 429, 202, 202, 202]);
        let r = parse_status_flag("GET /x=500,200").unwrap().repeat();
        let hits = AtomicUsize::new(0);
        let got: Vec<u16> = (0..4).map(|_| r.next_status(&hits).unwrap().0).collect();
        assert_eq!(got, vec![500, 200, 500, 200]);
    }

    #[test]
    fn latencies() {
        assert_eq!(
            Latency::parse("20ms..1.5s").unwrap(),
            Latency {
                min: Duration::from_millis(20),
                max: Duration::from_millis(1500)
            }
        );
        let bare = Latency::parse("5").unwrap_err().to_string();
        assert_eq!(
            bare,
            "`5` is not a duration: give a unit, e.g. 250ms or 10s"
        );
        assert!(Latency::parse("2s..1s").is_err());
        let l = Latency {
            min: Duration::from_millis(10),
            max: Duration::from_millis(20),
        };
        for e in [0, 7, 10_000, u64::MAX] {
            let d = l.pick(e);
            assert!(d >= l.min && d <= l.max);
        }
    }
}
