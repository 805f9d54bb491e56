//! Delays added to answers, as WireMock describes them: fixed, uniform between
//! two bounds, or lognormal (a median, a spread and a cap: most answers near the
//! median, a long tail of slow ones, as real services have). Sampling takes its
//! randomness from the caller, so the server can draw from `--seed` per session
//! and record each draw.

use std::time::Duration;

use super::rules::RuleError;
use crate::support::duration::parse_duration;
use crate::support::limits::quoted;

/// The longest delay any distribution gives (as every duration mimeo reads).
const MAX: Duration = Duration::from_secs(3600);

/// How long an answer waits before it is sent: fixed, uniform in a range, or
/// lognormal with a cap.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::Latency;
///
/// let fixed = Latency::fixed(Duration::from_millis(5));
/// let range = Latency::parse("20ms..200ms")?;
/// assert_eq!(range.max(), Duration::from_millis(200));
/// let tail = Latency::lognormal(Duration::from_millis(80), 0.4, Duration::from_secs(2))?;
/// assert_eq!(tail.max(), Duration::from_secs(2));
/// # let _ = fixed;
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency(Dist);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dist {
    Fixed(Duration),
    Uniform {
        lower: Duration,
        upper: Duration,
    },
    LogNormal {
        median: Duration,
        sigma: f64,
        max: Duration,
    },
}

impl Latency {
    /// Always `d`.
    pub fn fixed(d: Duration) -> Latency {
        Latency(Dist::Fixed(d.min(MAX)))
    }

    /// Uniform between `lower` and `upper` (inclusive).
    pub fn uniform(lower: Duration, upper: Duration) -> Result<Latency, RuleError> {
        if upper < lower {
            return Err(RuleError(format!(
                "uniform delay: upper {upper:?} is smaller than lower {lower:?}"
            )));
        }
        if upper > MAX {
            return Err(RuleError("uniform delay: upper is over an hour".into()));
        }
        Ok(Latency(Dist::Uniform { lower, upper }))
    }

    /// Lognormal around `median` with spread `sigma` (0 to 5; WireMock's
    /// `lognormal`), never more than `max`.
    pub fn lognormal(median: Duration, sigma: f64, max: Duration) -> Result<Latency, RuleError> {
        if !(0.0..=5.0).contains(&sigma) {
            return Err(RuleError(format!(
                "lognormal delay: sigma {sigma} must be between 0 and 5"
            )));
        }
        if median.is_zero() {
            return Err(RuleError(
                "lognormal delay: the median must be more than zero".into(),
            ));
        }
        if max < median || max > MAX {
            return Err(RuleError(format!(
                "lognormal delay: max {max:?} must be at least the median {median:?} and at most an hour"
            )));
        }
        Ok(Latency(Dist::LogNormal { median, sigma, max }))
    }

    /// `50ms`, or a uniform range `20ms..200ms`.
    pub fn parse(text: &str) -> Result<Latency, RuleError> {
        let parse = |s: &str| parse_duration(s).map_err(|e| RuleError(e.to_string()));
        match text.split_once("..") {
            Some((a, b)) => {
                let (min, max) = (parse(a)?, parse(b)?);
                if max < min {
                    return Err(RuleError(format!(
                        "`{}`: the range is reversed",
                        quoted(text)
                    )));
                }
                Latency::uniform(min, max)
            }
            None => parse(text).map(Latency::fixed),
        }
    }

    /// The shortest delay it can give.
    pub fn min(&self) -> Duration {
        match self.0 {
            Dist::Fixed(d) => d,
            Dist::Uniform { lower, .. } => lower,
            Dist::LogNormal { .. } => Duration::ZERO,
        }
    }

    /// The longest delay it can give.
    pub fn max(&self) -> Duration {
        match self.0 {
            Dist::Fixed(d) => d,
            Dist::Uniform { upper, .. } => upper,
            Dist::LogNormal { max, .. } => max,
        }
    }

    /// Whether picking a delay needs a random draw.
    pub(crate) fn is_random(&self) -> bool {
        match self.0 {
            Dist::Fixed(_) => false,
            Dist::Uniform { lower, upper } => upper > lower,
            Dist::LogNormal { sigma, .. } => sigma > 0.0,
        }
    }

    /// A delay from two uniform draws in `[0, 1)`.
    pub(crate) fn sample(&self, u1: f64, u2: f64) -> Duration {
        match self.0 {
            Dist::Fixed(d) => d,
            Dist::Uniform { lower, upper } => {
                let span = (upper - lower).as_secs_f64();
                lower + Duration::from_secs_f64((span * u1).clamp(0.0, span))
            }
            Dist::LogNormal { median, sigma, max } => {
                // Box-Muller: a standard normal from two uniforms (u1 kept off 0).
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let secs = median.as_secs_f64() * (sigma * z).exp();
                Duration::from_secs_f64(secs.clamp(0.0, max.as_secs_f64()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_bounds() {
        assert_eq!(
            Latency::parse("20ms..1.5s").unwrap(),
            Latency::uniform(Duration::from_millis(20), Duration::from_millis(1500)).unwrap()
        );
        assert_eq!(
            Latency::parse("5").unwrap_err().to_string(),
            "`5` is not a duration: give a unit, e.g. 250ms or 10s"
        );
        assert!(Latency::parse("2s..1s").is_err());
        assert!(
            Latency::lognormal(Duration::from_millis(10), 9.0, Duration::from_secs(1)).is_err()
        );
        assert!(Latency::lognormal(Duration::from_secs(2), 0.5, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn samples_stay_in_bounds() {
        let u = Latency::uniform(Duration::from_millis(10), Duration::from_millis(20)).unwrap();
        let l =
            Latency::lognormal(Duration::from_millis(80), 1.0, Duration::from_millis(500)).unwrap();
        for (a, b) in [(0.0, 0.0), (0.5, 0.5), (0.999_999, 0.25), (1e-12, 0.999)] {
            let d = u.sample(a, b);
            assert!(d >= u.min() && d <= u.max(), "{d:?}");
            assert!(l.sample(a, b) <= l.max());
        }
        // The median of many lognormal draws is near the median asked for.
        let mut draws: Vec<Duration> = (0..999)
            .map(|i| l.sample((i as f64 + 0.5) / 999.0, ((i * 7919) % 999) as f64 / 999.0))
            .collect();
        draws.sort();
        let median = draws[499].as_secs_f64();
        assert!((0.05..0.12).contains(&median), "{median}");
    }
}
