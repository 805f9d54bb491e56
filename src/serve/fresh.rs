//! A stateful answer's volatile values are fresh for every answer, as the
//! service's are: an asynchronous operation's id (a header the contract's
//! `x-mimeo.volatile` names, whose whole value has the shape of one of its
//! patterns) is not the documented example over and over, or a client that
//! keys its pending operations by id would see them collide. A `Location`
//! naming the old value names the new one. Nothing else changes: the body is
//! the state's (an id there is a resource's, not the operation's), and a
//! value too short to be told apart (`Retry-After: 5`) is left alone.

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::header::{HeaderValue, LOCATION};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::contract::Contract;
use crate::generate::{Generator, Mode};
use crate::respond::Built;

/// The fewest characters a value renewed must have: shorter ones could be
/// part of anything (a digit in a path).
const MIN_RENEWED: usize = 8;

/// Numbers each fresh value, so a seed gives the same values for the same
/// sequence of answers.
#[derive(Default)]
pub(super) struct Fresh(AtomicU64);

impl Fresh {
    /// Gives a successful answer's volatile headers new values (see the module).
    pub(super) fn renew(&self, contract: &Contract, seed: u64, built: &mut Built) {
        let volatile = &contract.profile.volatile;
        if volatile.patterns.is_empty() || !built.status.is_success() {
            return;
        }
        // Every new value is made and checked before any is set.
        let mut swaps: Vec<(usize, String, HeaderValue)> = Vec::new();
        for (at, (name, value)) in built.headers.iter().enumerate() {
            if !volatile
                .headers
                .iter()
                .any(|(h, _)| name.as_str().eq_ignore_ascii_case(h))
            {
                continue;
            }
            let Ok(old) = value.to_str() else { continue };
            if old.len() < MIN_RENEWED {
                continue;
            }
            let Some((re, _)) = volatile
                .patterns
                .iter()
                .find(|(re, _)| re.find(old).is_some_and(|m| m.len() == old.len()))
            else {
                continue;
            };
            let n = self.0.fetch_add(1, Ordering::Relaxed);
            let Some(new) = fresh_match(contract, re.as_str(), seed, n) else {
                continue;
            };
            match HeaderValue::from_str(&new) {
                Ok(v) if new.len() >= MIN_RENEWED => swaps.push((at, old.to_string(), v)),
                _ => return,
            }
        }
        let mut locations: Vec<(usize, HeaderValue)> = Vec::new();
        for (at, (name, value)) in built.headers.iter().enumerate() {
            if name != LOCATION {
                continue;
            }
            let Ok(text) = value.to_str() else { continue };
            let mut renewed = text.to_string();
            for (_, old, new) in &swaps {
                renewed = renewed.replace(old.as_str(), new.to_str().unwrap_or_default());
            }
            if renewed != text {
                match HeaderValue::from_str(&renewed) {
                    Ok(v) => locations.push((at, v)),
                    Err(_) => return,
                }
            }
        }
        for (at, _, v) in swaps {
            built.headers[at].1 = v;
        }
        for (at, v) in locations {
            built.headers[at].1 = v;
        }
    }
}

/// A new text matching the whole of `pattern` (`None` if none can be made).
fn fresh_match(contract: &Contract, pattern: &str, seed: u64, n: u64) -> Option<String> {
    let schema = serde_json::json!({"type": "string", "pattern": format!("^(?:{pattern})$")});
    let mut rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let value = Generator::new(&contract.schemas, Mode::Dynamic)
        .generate_value(&schema, &mut rng)
        .ok()?;
    value.as_str().map(str::to_string)
}
