//! The config file (`--config mimeo.yaml`): rules with everything a flag cannot
//! say (examples, delays with distributions, dribbles, faults, probabilities) and
//! a delay for every answer. Every mistake is reported with file:line:column.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::delay::Latency;
use super::fault::{Dribble, Fault};
use super::rules::{parse_pattern, parse_status, Rule};
use crate::diagnostic::Diagnostic;
use crate::support::duration::DurationText;
use crate::support::yaml;

/// The file as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Delay for every request (a rule's own delay wins); `latency` is the older name.
    #[serde(default)]
    delay: Option<Spanned<DelaySpec>>,
    #[serde(default)]
    latency: Option<Spanned<DelaySpec>>,
    /// Rules, tried in order after `--status` flags.
    #[serde(default)]
    rules: Vec<Spanned<RuleSpec>>,
}

/// What a config file sets: rules, and a delay for every answer. Read it with
/// [`load_config`] and put both in [`crate::ServeOptions`].
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mimeo.yaml");
/// std::fs::write(&path, "delay: {uniform: {lower: 1ms, upper: 5ms}}\n")?;
/// let config = mimeo::load_config(&path)?;
/// let opts = mimeo::ServeOptions { rules: config.rules, latency: config.latency, ..Default::default() };
/// assert!(opts.latency.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Config {
    /// The file's rules, in order.
    pub rules: Vec<Rule>,
    /// Delay for every answer without a rule delay.
    pub latency: Option<Latency>,
}

/// A delay as written: `100ms`, `20ms..200ms`, `{min, max}`, `{fixed: D}`,
/// `{uniform: {lower, upper}}` or `{lognormal: {median, sigma, max}}`.
#[derive(Debug, Clone, Copy)]
struct DelaySpec(Latency);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelayMap {
    min: Option<DurationText>,
    max: Option<DurationText>,
    fixed: Option<DurationText>,
    uniform: Option<UniformSpec>,
    lognormal: Option<LogNormalSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UniformSpec {
    lower: DurationText,
    upper: DurationText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormalSpec {
    median: DurationText,
    sigma: f64,
    max: DurationText,
}

impl DelayMap {
    fn get(self) -> Result<Latency, String> {
        let err = |e: super::rules::RuleError| e.to_string();
        match self {
            DelayMap {
                fixed: Some(d),
                min: None,
                max: None,
                uniform: None,
                lognormal: None,
            } => Ok(Latency::fixed(d.0)),
            DelayMap {
                min: Some(lo),
                max: Some(hi),
                fixed: None,
                uniform: None,
                lognormal: None,
            } => Latency::uniform(lo.0, hi.0).map_err(err),
            DelayMap {
                uniform: Some(u),
                min: None,
                max: None,
                fixed: None,
                lognormal: None,
            } => Latency::uniform(u.lower.0, u.upper.0).map_err(err),
            DelayMap {
                lognormal: Some(l),
                min: None,
                max: None,
                fixed: None,
                uniform: None,
            } => Latency::lognormal(l.median.0, l.sigma, l.max.0).map_err(err),
            _ => Err("give one of: a duration, {min, max}, {fixed}, {uniform: {lower, upper}}, {lognormal: {median, sigma, max}}".into()),
        }
    }
}

/// Hand-written so a bad duration gets its own message, where an untagged enum
/// would only say that nothing matched.
impl<'de> Deserialize<'de> for DelaySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{value, Error, IntoDeserializer};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DelaySpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 100ms, or {uniform: {lower: 50ms, upper: 200ms}}")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<DelaySpec, E> {
                Latency::parse(v).map(DelaySpec).map_err(E::custom)
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<DelaySpec, E> {
                DurationText::deserialize(v.into_deserializer())
                    .map(|d| DelaySpec(Latency::fixed(d.0)))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<DelaySpec, E> {
                DurationText::deserialize(v.into_deserializer())
                    .map(|d| DelaySpec(Latency::fixed(d.0)))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<DelaySpec, E> {
                DurationText::deserialize(v.into_deserializer())
                    .map(|d| DelaySpec(Latency::fixed(d.0)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<DelaySpec, A::Error> {
                let m = DelayMap::deserialize(value::MapAccessDeserializer::new(map))?;
                m.get().map(DelaySpec).map_err(A::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A dribble as written: `5x1s` or `{chunks: 5, duration: 1s}`.
#[derive(Debug, Clone, Copy)]
struct DribbleSpec(Dribble);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DribbleMap {
    chunks: u32,
    duration: DurationText,
}

impl<'de> Deserialize<'de> for DribbleSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{value, Error};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DribbleSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("CHUNKSxDURATION such as 5x1s, or {chunks: 5, duration: 1s}")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<DribbleSpec, E> {
                Dribble::parse(v).map(DribbleSpec).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<DribbleSpec, A::Error> {
                let m = DribbleMap::deserialize(value::MapAccessDeserializer::new(map))?;
                Dribble::new(m.chunks, m.duration.0)
                    .map(DribbleSpec)
                    .map_err(A::Error::custom)
            }
        }
        d.deserialize_any(V)
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
    /// Added delay (`latency` is the older name).
    #[serde(default)]
    delay: Option<DelaySpec>,
    #[serde(default)]
    latency: Option<DelaySpec>,
    /// The body in pieces over a duration.
    #[serde(default)]
    dribble: Option<DribbleSpec>,
    /// A broken answer instead of a response.
    #[serde(default)]
    fault: Option<String>,
    /// The share of matching requests the rule applies to.
    #[serde(default)]
    probability: Option<f64>,
}

/// Reads a config file (`--config mimeo.yaml`); every error says file:line:column.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mimeo.yaml");
/// std::fs::write(&path, "delay: 5ms\nrules:\n  - match: DELETE /v1/ControlPlane/**\n    status: 429\n  - match: GET /v1/**\n    fault: EMPTY_RESPONSE\n    probability: 0.1\n")?;
/// let config = mimeo::load_config(&path)?;
/// assert_eq!(config.rules[0].statuses(), [429]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_config(path: &Path) -> Result<Config, Diagnostic> {
    let name = path.display().to_string();
    let text = crate::support::text::read(path, "the config file")?;
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let config: ConfigFile = yaml::from_str(&name, &text)?;
    let mut rules = Vec::new();
    for (i, spanned) in config.rules.iter().enumerate() {
        let spec = &spanned.value;
        let err = |e: String| yaml::at(&name, &spanned.referenced, e);
        // Checked against the contract later, at start: the rule's place goes with it.
        let at = &spanned.referenced;
        let origin = format!(
            "{name}:{}:{}: rules[{i}] `{}`",
            at.line(),
            at.column(),
            spec.pattern
        );
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
        if spec.delay.is_some() && spec.latency.is_some() {
            return Err(err(
                "give `delay` or `latency` (its older name), not both".into()
            ));
        }
        let fault = spec
            .fault
            .as_deref()
            .map(Fault::parse)
            .transpose()
            .map_err(|e| err(e.to_string()))?;
        if let Some(p) = spec.probability.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(err(format!("probability {p} is not between 0 and 1")));
        }
        let mut rule = Rule::blank(origin, &spec.pattern, method, segments);
        rule.statuses = statuses;
        rule.repeat = spec.repeat;
        rule.example = spec.example.clone();
        rule.delay = spec.delay.or(spec.latency).map(|d| d.0);
        rule.dribble = spec.dribble.map(|d| d.0);
        rule.fault = fault;
        rule.probability = spec.probability;
        if !rule.chooses() && rule.delay.is_none() && rule.dribble.is_none() {
            return Err(err(
                "the rule sets nothing; give status, sequence, example, delay, dribble or fault"
                    .into(),
            ));
        }
        rules.push(rule);
    }
    let latency = match (&config.delay, &config.latency) {
        (Some(_), Some(l)) => {
            return Err(yaml::at(
                &name,
                &l.referenced,
                "give `delay` or `latency` (its older name), not both",
            ))
        }
        (Some(d), None) | (None, Some(d)) => Some(d.value.0),
        (None, None) => None,
    };
    Ok(Config { rules, latency })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn load(text: &str) -> Result<Config, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, text).unwrap();
        load_config(&path)
    }

    #[test]
    fn delays_dribbles_faults_and_probabilities() {
        let c = load(
            "delay: {lognormal: {median: 80ms, sigma: 0.4, max: 2s}}\nrules:\n  - match: GET /v1/**\n    fault: malformed_response_chunk\n    probability: 0.25\n  - match: POST /v1/**\n    delay: {uniform: {lower: 1ms, upper: 9ms}}\n    dribble: 4x100ms\n",
        )
        .unwrap();
        assert_eq!(c.latency.unwrap().max(), Duration::from_secs(2));
        assert_eq!(c.rules[0].fault, Some(Fault::MalformedResponseChunk));
        assert_eq!(c.rules[0].probability, Some(0.25));
        assert_eq!(c.rules[1].delay.unwrap().max(), Duration::from_millis(9));
        assert_eq!(c.rules[1].dribble.unwrap().chunks, 4);
        let e = load("rules:\n  - match: GET /v1/**\n    fault: BOOM\n").unwrap_err();
        assert!(e.to_string().contains("m.yaml:2:"), "{e}");
        assert!(e.to_string().contains("not a fault"), "{e}");
        let e = load("rules:\n  - match: GET /v1/**\n    status: 200\n    probability: 2\n")
            .unwrap_err();
        assert!(e.to_string().contains("probability 2"), "{e}");
        let e = load("delay: {uniform: {lower: 5ms}}\n").unwrap_err();
        assert!(e.to_string().contains("upper"), "{e}");
        let e = load("delay: {fixed: 5ms, min: 1ms}\n").unwrap_err();
        assert!(e.to_string().contains("give one of"), "{e}");
    }
}
