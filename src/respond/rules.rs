//! Server-side rules: what the mock does to requests matching a method and path
//! pattern: a status (or a sequence of them), an example, a delay, a dribbled
//! body or a fault, each optionally for only a share of the requests.
//!
//! Rules come from `--status 'METHOD /path/*=409'` flags, a config file
//! ([`super::config`]) and the Rust API. They are checked against the contract at
//! start-up: a rule that matches no operation, or names a status an operation it
//! matches does not document, is refused before the server listens, so a typo
//! never turns into silent defaults.

use hyper::Method;

use super::delay::Latency;
use super::fault::{Dribble, Fault};
use crate::contract::{Contract, Operation};

/// A server-side rule: the status (or sequence of statuses), example, delay,
/// dribble or fault the mock gives requests matching a method and path pattern
/// (`*` one segment, `**` any number), optionally with a probability. Rules are
/// checked against the contract when the server starts; a mistake in a rule
/// built in code is reported then too.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::{Fault, Latency, Method, Rule};
///
/// // Every modify conflicts; two throttled adds, then success.
/// let conflict = Rule::status(Method::PATCH, "/v1/Stores/*/Profiles/*/Identifiers/*", 409);
/// let retry = Rule::from_flag("POST /v1/Stores/*/Profiles/*/Identifiers=429,429,202")?;
/// assert_eq!(retry.statuses(), [429, 429, 202]);
/// // A tenth of the deletes lose their connection; the others are slow.
/// let flaky = Rule::fault(Method::DELETE, "/v1/ControlPlane/**", Fault::ConnectionResetByPeer)
///     .probability(0.1);
/// let slow = Rule::matching(Method::DELETE, "/v1/ControlPlane/**")
///     .delay(Latency::fixed(Duration::from_millis(200)));
/// # let _ = (conflict, flaky, slow);
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    /// Where it came from, for messages (`--status 'X=409'`, `mimeo.yaml:7:5: rules[1]`).
    pub(crate) origin: String,
    /// `METHOD /path/pattern` as written.
    pub(crate) pattern: String,
    pub(super) method: Option<Method>,
    pub(super) segments: Vec<Segment>,
    /// Statuses in order; empty when the rule does not pick the status.
    pub(crate) statuses: Vec<u16>,
    /// After the last status of a sequence: start again (true) or keep the last.
    pub(crate) repeat: bool,
    /// A named example to answer with.
    pub(crate) example: Option<String>,
    /// Added delay.
    pub(crate) delay: Option<Latency>,
    /// The body sent in pieces over a duration.
    pub(crate) dribble: Option<Dribble>,
    /// A broken answer instead of a response.
    pub(crate) fault: Option<Fault>,
    /// The share (0-1) of matching requests the rule applies to; `None`: all.
    pub(crate) probability: Option<f64>,
    /// A mistake found while building the rule in code, reported at start-up.
    pub(super) problem: Option<String>,
}

/// A rule that cannot be read, or that does not fit the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub(crate) String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// `*`: exactly one segment.
    One,
    /// `**`: any number of segments.
    Many,
    Literal(String),
}

impl Rule {
    /// Parses a `--status` flag: `METHOD /path/*=409`, or `=429,429,202` for a
    /// sequence (after its end the last status stays).
    pub fn from_flag(flag: &str) -> Result<Rule, RuleError> {
        parse_status_flag(flag)
    }

    /// Requests of `method` whose path matches `pattern` get `status`.
    pub fn status(method: Method, pattern: &str, status: u16) -> Rule {
        Rule::sequence(method, pattern, [status])
    }

    /// Successive matching requests get `statuses` in turn (then the last stays,
    /// unless [`Rule::repeat`]).
    pub fn sequence(
        method: Method,
        pattern: &str,
        statuses: impl IntoIterator<Item = u16>,
    ) -> Rule {
        let mut rule = Rule::matching(method, pattern);
        rule.statuses = statuses.into_iter().collect();
        if rule.statuses.is_empty() {
            rule.problem.get_or_insert("the sequence is empty".into());
        }
        if let Some(bad) = rule.statuses.iter().find(|s| !(100..=599).contains(*s)) {
            rule.problem
                .get_or_insert(format!("{bad} is not an HTTP status (100-599)"));
        }
        rule
    }

    /// Matching requests get `fault` instead of an answer.
    pub fn fault(method: Method, pattern: &str, fault: Fault) -> Rule {
        Rule::matching(method, pattern).with_fault(fault)
    }

    /// A rule for `method` and `pattern` that does nothing yet: add a
    /// [`delay`](Rule::delay), [`dribble`](Rule::dribble), [`example`](Rule::example)
    /// or [`fault`](Rule::with_fault).
    pub fn matching(method: Method, pattern: &str) -> Rule {
        let written = format!("{method} {pattern}");
        let origin = format!("`{written}`");
        match parse_pattern(&written) {
            Ok((m, segments)) => Rule::blank(origin, &written, m, segments),
            Err(e) => {
                let mut rule = Rule::blank(origin, &written, Some(method), Vec::new());
                rule.problem = Some(e);
                rule
            }
        }
    }

    /// A rule that matches and sets nothing yet.
    pub(super) fn blank(
        origin: String,
        pattern: &str,
        method: Option<Method>,
        segments: Vec<Segment>,
    ) -> Rule {
        Rule {
            origin,
            pattern: pattern.trim().to_string(),
            method,
            segments,
            statuses: Vec::new(),
            repeat: false,
            example: None,
            delay: None,
            dribble: None,
            fault: None,
            probability: None,
            problem: None,
        }
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
    pub fn delay(mut self, delay: Latency) -> Rule {
        self.delay = Some(delay);
        self
    }

    /// Sends the body of matching answers in pieces.
    pub fn dribble(mut self, dribble: Dribble) -> Rule {
        self.dribble = Some(dribble);
        self
    }

    /// Answers matching requests with `fault`.
    pub fn with_fault(mut self, fault: Fault) -> Rule {
        self.fault = Some(fault);
        self
    }

    /// Applies to only this share (0 to 1) of matching requests, drawn from the
    /// server's seed per session; the others go on to later rules.
    pub fn probability(mut self, p: f64) -> Rule {
        if !(0.0..=1.0).contains(&p) {
            self.problem
                .get_or_insert(format!("probability {p} is not between 0 and 1"));
        }
        self.probability = Some(p);
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
        // (An empty one, as a trailing `/` makes, is no value: no parameter holds it.)
        glob(&self.segments, &template, |lit, seg| {
            lit == seg || (seg == "{}" && !lit.is_empty())
        })
    }

    /// Whether the rule picks the answer (a status, an example or a fault)
    /// rather than only shaping how it is sent.
    pub(crate) fn chooses(&self) -> bool {
        !self.statuses.is_empty() || self.example.is_some() || self.fault.is_some()
    }

    /// The status for the `n`th application of the rule (counted per session, so
    /// parallel clients each walk their own sequence), and its step (0-based).
    pub(crate) fn status_at(&self, n: usize) -> Option<(u16, usize)> {
        let len = self.statuses.len();
        if len == 0 {
            return None;
        }
        let i = if self.repeat { n % len } else { n.min(len - 1) };
        Some((self.statuses[i], i))
    }

    /// The next status, counting on `hits` (for tests of sequences).
    #[cfg(test)]
    fn next_status(&self, hits: &std::sync::atomic::AtomicUsize) -> Option<u16> {
        self.status_at(hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            .map(|(s, _)| s)
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
pub(super) fn parse_pattern(pattern: &str) -> Result<(Option<Method>, Vec<Segment>), String> {
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
    let mut segments = Vec::new();
    for s in path.trim_start_matches('/').split('/') {
        segments.push(match s {
            "*" => Segment::One,
            "**" => Segment::Many,
            // A template's parameter, as the document writes it (`{storeId}`),
            // is any one segment, as `*` is: it was taken literally.
            p if p.len() > 2 && p.starts_with('{') && p.ends_with('}') && !p[1..].contains('{') => {
                Segment::One
            }
            // Part of a segment (`{name}.json`) cannot be matched by a rule,
            // which would pass the start-up check and never apply.
            lit if lit.contains(['{', '}']) => {
                return Err(format!(
                    "the segment `{lit}` of `{path}` holds a template parameter among other text; a rule matches whole segments: write `*` for it"
                ))
            }
            lit => Segment::Literal(lit.to_string()),
        });
    }
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
    let mut rule = Rule::blank(format!("--status '{flag}'"), pattern, method, segments);
    rule.statuses = statuses;
    Ok(rule)
}

pub(super) fn parse_status(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(c) if (100..=599).contains(&c) => Ok(c),
        _ => Err(format!("`{s}` is not an HTTP status (100-599)")),
    }
}

/// Checks rules against the contract: each must match an operation, and every
/// status (and example) it names must be documented by every operation it matches.
pub(crate) fn check_rules(rules: &[Rule], contract: &Contract) -> Result<(), RuleError> {
    for rule in rules {
        if let Some(problem) = &rule.problem {
            return Err(RuleError(format!("{}: {problem}", rule.origin)));
        }
        if !rule.chooses() && rule.delay.is_none() && rule.dribble.is_none() {
            return Err(RuleError(format!(
                "{}: the rule sets nothing; give a status, example, delay, dribble or fault",
                rule.origin
            )));
        }
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
    use crate::respond::fault::Fault;
    use std::sync::atomic::AtomicUsize;

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
        // A template's parameter is one segment, as `*` is.
        let t = parse_status_flag("GET /v1/Stores/{storeId}/Profiles/{profileId}=404").unwrap();
        assert!(t.matches(&Method::GET, &segments("/v1/Stores/a/Profiles/b")));
        assert!(!t.matches(&Method::GET, &segments("/v1/Stores/a/Profiles")));
        let part = parse_status_flag("GET /files/{name}.json=404").unwrap_err();
        assert!(part.to_string().contains("`{name}.json`"), "{part}");
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
        let got: Vec<u16> = (0..5).map(|_| r.next_status(&hits).unwrap()).collect();
        assert_eq!(got, vec![429, 429, 202, 202, 202]);
        let r = parse_status_flag("GET /x=500,200").unwrap().repeat();
        let hits = AtomicUsize::new(0);
        let got: Vec<u16> = (0..4).map(|_| r.next_status(&hits).unwrap()).collect();
        assert_eq!(got, vec![500, 200, 500, 200]);
    }

    #[test]
    fn rules_built_in_code_report_mistakes_at_start() {
        let c = Contract::embedded().unwrap();
        let ok = Rule::status(Method::PATCH, "/v1/**", 409);
        assert!(check_rules(&[ok], &c).is_ok());
        let bad = Rule::status(Method::PATCH, "v1/**", 409);
        assert!(check_rules(&[bad], &c)
            .unwrap_err()
            .to_string()
            .contains("must start with `/`"));
        let odd = Rule::fault(Method::GET, "/v1/**", Fault::EmptyResponse).probability(1.5);
        assert!(check_rules(&[odd], &c)
            .unwrap_err()
            .to_string()
            .contains("probability 1.5"));
        let idle = Rule::matching(Method::GET, "/v1/**");
        assert!(check_rules(&[idle], &c)
            .unwrap_err()
            .to_string()
            .contains("sets nothing"));
        // A trailing `/` makes an empty segment no parameter holds: it matches
        // nothing, and is said so at start rather than never applying.
        let slash = parse_status_flag("GET /v1/Stores/*/Profiles/*/Identifiers/=429").unwrap();
        assert!(check_rules(&[slash], &c).is_err());
    }
}
