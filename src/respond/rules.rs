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

/// One rule.
#[derive(Debug)]
pub struct Rule {
    /// Where it came from, for messages (`--status 'X=409'`, `mimeo.yaml: rules[1]`).
    pub origin: String,
    /// `METHOD /path/pattern` as written.
    pub pattern: String,
    method: Option<Method>,
    segments: Vec<Segment>,
    /// Statuses in order; empty when the rule only sets latency or an example.
    pub statuses: Vec<u16>,
    /// After the last status of a sequence: start again (true) or keep the last.
    pub repeat: bool,
    /// A named example to answer with.
    pub example: Option<String>,
    /// Added delay.
    pub latency: Option<Latency>,
    hits: AtomicUsize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `*`: exactly one segment.
    One,
    /// `**`: any number of segments.
    Many,
    Literal(String),
}

/// A fixed or ranged delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Shortest delay.
    pub min: Duration,
    /// Longest delay (equal to `min` for a fixed one).
    pub max: Duration,
}

impl Latency {
    /// A delay in `[min, max]`, picked from `entropy`.
    pub fn pick(&self, entropy: u64) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        let span = (self.max - self.min).as_micros() as u64;
        self.min + Duration::from_micros(entropy % (span + 1))
    }
}

impl Rule {
    /// Whether the rule applies to a request with this method and raw path, given
    /// as [`segments`] (split once per request, however many rules there are).
    pub fn matches(&self, method: &Method, path: &[&str]) -> bool {
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
        glob(&self.segments, &segments(&op.path), |lit, seg| {
            lit == seg || seg.contains('{')
        })
    }

    /// The status for this hit and a description for the log ("2/3").
    pub fn next_status(&self) -> Option<(u16, String)> {
        if self.statuses.is_empty() {
            return None;
        }
        let n = self.hits.fetch_add(1, Ordering::Relaxed);
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
pub fn segments(path: &str) -> Vec<&str> {
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
pub fn parse_status_flag(flag: &str) -> Result<Rule, String> {
    let (pattern, statuses) = flag
        .rsplit_once('=')
        .ok_or_else(|| format!("--status '{flag}': expected METHOD /path/pattern=STATUS, e.g. 'PATCH /v1/Stores/*=409'"))?;
    let statuses = statuses
        .split(',')
        .map(|s| parse_status(s.trim()).map_err(|e| format!("--status '{flag}': {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (method, segments) =
        parse_pattern(pattern).map_err(|e| format!("--status '{flag}': {e}"))?;
    Ok(Rule {
        origin: format!("--status '{flag}'"),
        pattern: pattern.trim().to_string(),
        method,
        segments,
        statuses,
        repeat: false,
        example: None,
        latency: None,
        hits: AtomicUsize::new(0),
    })
}

fn parse_status(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(c) if (100..=599).contains(&c) => Ok(c),
        _ => Err(format!("`{s}` is not an HTTP status (100-599)")),
    }
}

/// Parses `250ms`, `2s`, `1.5s` or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1e-3)
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() && v * scale < 3600.0 => {
            Ok(Duration::from_secs_f64(v * scale))
        }
        _ => Err(format!(
            "`{s}` is not a duration (use e.g. 250ms or 2s, at most an hour)"
        )),
    }
}

/// The config file (`--config mimeo.yaml`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Latency for every request (a rule's own latency wins).
    #[serde(default)]
    pub latency: Option<LatencySpec>,
    /// Rules, tried in order after `--status` flags.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// A latency as written: `100ms` or `{min: 50ms, max: 200ms}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum LatencySpec {
    /// Fixed.
    Fixed(DurationText),
    /// Uniform in a range.
    Range {
        /// Shortest.
        min: DurationText,
        /// Longest.
        max: DurationText,
    },
}

/// A duration as text or a number of milliseconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DurationText {
    /// `250ms`, `2s`.
    Text(String),
    /// Milliseconds.
    Millis(f64),
}

impl DurationText {
    fn get(&self) -> Result<Duration, String> {
        match self {
            DurationText::Text(t) => parse_duration(t),
            DurationText::Millis(m) => parse_duration(&m.to_string()),
        }
    }
}

impl LatencySpec {
    /// The latency this describes.
    pub fn get(&self) -> Result<Latency, String> {
        match self {
            LatencySpec::Fixed(d) => d.get().map(|d| Latency { min: d, max: d }),
            LatencySpec::Range { min, max } => {
                let (min, max) = (min.get()?, max.get()?);
                if max < min {
                    return Err("latency max is smaller than min".into());
                }
                Ok(Latency { min, max })
            }
        }
    }
}

/// One rule as written in the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// `METHOD /path/pattern` (`*` one segment, `**` any number).
    #[serde(rename = "match")]
    pub pattern: String,
    /// A single status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Statuses for successive matching requests.
    #[serde(default)]
    pub sequence: Option<Vec<u16>>,
    /// Start the sequence again after its end (default: keep the last status).
    #[serde(default)]
    pub repeat: bool,
    /// A named example.
    #[serde(default)]
    pub example: Option<String>,
    /// Added delay.
    #[serde(default)]
    pub latency: Option<LatencySpec>,
}

/// Reads a config file; errors say file:line:column.
pub fn load_config(path: &Path) -> Result<(ConfigFile, Vec<Rule>), String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{name}: cannot read the config file: {e}"))?;
    let config: ConfigFile = if text.trim().is_empty() {
        ConfigFile::default()
    } else {
        serde_yaml::from_str(&text).map_err(|e| match e.location() {
            Some(l) => format!("{name}:{}:{}: {e}", l.line(), l.column()),
            None => format!("{name}: {e}"),
        })?
    };
    let mut rules = Vec::new();
    for (i, spec) in config.rules.iter().enumerate() {
        let origin = format!("{name}: rules[{i}] `{}`", spec.pattern);
        let (method, segments) =
            parse_pattern(&spec.pattern).map_err(|e| format!("{origin}: {e}"))?;
        let statuses = match (&spec.status, &spec.sequence) {
            (Some(_), Some(_)) => {
                return Err(format!("{origin}: give `status` or `sequence`, not both"))
            }
            (Some(s), None) => vec![*s],
            (None, Some(seq)) if seq.is_empty() => {
                return Err(format!("{origin}: `sequence` is empty"))
            }
            (None, Some(seq)) => seq.clone(),
            (None, None) => Vec::new(),
        };
        for s in &statuses {
            parse_status(&s.to_string()).map_err(|e| format!("{origin}: {e}"))?;
        }
        let latency = spec
            .latency
            .as_ref()
            .map(LatencySpec::get)
            .transpose()
            .map_err(|e| format!("{origin}: {e}"))?;
        if statuses.is_empty() && spec.example.is_none() && latency.is_none() {
            return Err(format!(
                "{origin}: the rule sets nothing; give status, sequence, example or latency"
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
            hits: AtomicUsize::new(0),
        });
    }
    if let Some(l) = &config.latency {
        l.get().map_err(|e| format!("{name}: latency: {e}"))?;
    }
    Ok((config, rules))
}

/// Checks rules against the contract: each must match an operation, and every
/// status (and example) it names must be documented by every operation it matches.
pub fn check_rules(rules: &[Rule], contract: &Contract) -> Result<(), String> {
    for rule in rules {
        let matched: Vec<&Operation> = contract
            .operations
            .iter()
            .filter(|op| rule.could_match(op))
            .collect();
        if matched.is_empty() {
            return Err(format!(
                "{}: `{}` matches no operation of the contract (use `*` for one path segment, `**` for any number)",
                rule.origin, rule.pattern
            ));
        }
        for op in &matched {
            for s in &rule.statuses {
                if !op.documents(*s) {
                    return Err(format!(
                        "{}: status {s} is not documented for {} ({}); documented: {}",
                        rule.origin,
                        op.label(),
                        op.name(),
                        op.documented_list()
                    ));
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
                        return Err(format!(
                            "{}: {} has no example named `{name}` for status {s}",
                            rule.origin,
                            op.label()
                        ));
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
        let got: Vec<u16> = (0..5).map(|_| r.next_status().unwrap().0).collect();
        assert_eq!(got, vec![429, 429, 202, 202, 202]);
        let mut r = parse_status_flag("GET /x=500,200").unwrap();
        r.repeat = true;
        let got: Vec<u16> = (0..4).map(|_| r.next_status().unwrap().0).collect();
        assert_eq!(got, vec![500, 200, 500, 200]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("20").unwrap(), Duration::from_millis(20));
        assert!(parse_duration("fast").is_err());
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
