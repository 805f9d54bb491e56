//! Chaos that replays: which rule applies (with `probability`) and how long an
//! answer waits (with a delay distribution) are drawn from the server's seed,
//! the session, the rule and how often the rule has matched in that session.
//! No shared generator is advanced, so parallel sessions cannot disturb each
//! other's draws: the same seed and the same requests in a session give the
//! same faults and delays, whatever else the mock is doing. `POST /__admin/reset`
//! starts a session's counts, and so its draws, over.

use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::Method;

use super::session::Counters;
use crate::journal::Drawn;
use crate::respond::delay::Latency;
use crate::respond::rules::Rule;

/// What a draw is for (so the draws of one match are independent).
const PROBABILITY: u64 = 1;
const DELAY_A: u64 = 2;
const DELAY_B: u64 = 3;

/// SplitMix64's finalizer: a well-mixed 64 bits from any 64 bits.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Where a draw is made: seed, session, rule slot and match number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spot {
    pub(super) seed: u64,
    pub(super) session: u64,
    pub(super) slot: usize,
    pub(super) n: usize,
}

impl Spot {
    /// A uniform draw in `[0, 1)` for `purpose`.
    fn unit(self, purpose: u64) -> f64 {
        let x = mix(self.seed
            ^ mix(self.session ^ mix(((self.slot as u64) << 8) ^ purpose ^ mix(self.n as u64))));
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A delay from `latency`, and whether it was drawn.
    pub(super) fn delay(self, latency: &Latency) -> (Duration, bool) {
        if latency.is_random() {
            (latency.sample(self.unit(DELAY_A), self.unit(DELAY_B)), true)
        } else {
            (latency.min(), false)
        }
    }
}

/// The rule that applies to a request, if any.
#[derive(Default)]
pub(super) struct Picked<'r> {
    /// Its index and the rule.
    pub(super) rule: Option<(usize, &'r Rule)>,
    /// The status its sequence gives now, and the step (0-based).
    pub(super) step: Option<(u16, usize)>,
    /// Where its draws were made (its slot and match number).
    pub(super) spot: Option<Spot>,
    /// The probability draws made on the way.
    pub(super) drawn: Drawn,
}

/// The first matching rule that applies: a rule with a probability applies when
/// its draw is under it; otherwise the next matching rule is tried.
pub(super) fn pick<'r>(
    rules: &'r [Rule],
    counters: &Counters,
    seed: u64,
    session: u64,
    method: &Method,
    path: &[&str],
    shaping_only: bool,
) -> Picked<'r> {
    let mut drawn = Drawn::default();
    for (i, rule) in rules.iter().enumerate() {
        // (With `shaping_only`, the request's answer is chosen already: rules
        // that would choose one are passed by, untouched.)
        if (shaping_only && rule.chooses()) || !rule.matches(method, path) {
            continue;
        }
        let spot = Spot {
            seed,
            session,
            slot: i,
            n: counters.of(i).fetch_add(1, Ordering::Relaxed),
        };
        if let Some(p) = rule.probability {
            let draw = spot.unit(PROBABILITY);
            let applied = draw < p;
            drawn
                .probability
                .push((i, (draw * 1e6).round() / 1e6, applied));
            if !applied {
                continue;
            }
        }
        let step = (!rule.statuses.is_empty())
            .then(|| rule.status_at(counters.applied(i).fetch_add(1, Ordering::Relaxed)))
            .flatten();
        return Picked {
            rule: Some((i, rule)),
            step,
            spot: Some(spot),
            drawn,
        };
    }
    Picked {
        rule: None,
        step: None,
        spot: None,
        drawn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough_and_depend_on_every_input() {
        let spot = |n| Spot {
            seed: 7,
            session: 1,
            slot: 0,
            n,
        };
        let draws: Vec<f64> = (0..10_000).map(|n| spot(n).unit(PROBABILITY)).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let under = draws.iter().filter(|d| **d < 0.3).count();
        assert!((2_700..3_300).contains(&under), "{under}");
        let base = spot(5).unit(PROBABILITY);
        assert_eq!(base, spot(5).unit(PROBABILITY));
        assert_ne!(base, Spot { seed: 8, ..spot(5) }.unit(PROBABILITY));
        assert_ne!(
            base,
            Spot {
                session: 2,
                ..spot(5)
            }
            .unit(PROBABILITY)
        );
        assert_ne!(base, Spot { slot: 1, ..spot(5) }.unit(PROBABILITY));
        assert_ne!(base, spot(5).unit(DELAY_A));
    }
}
