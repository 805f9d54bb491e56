//! A stateful answer's volatile values are fresh for every answer, as the
//! service's are: an asynchronous operation's id (a header the contract's
//! `x-mimeo.volatile` names, whose value matches one of its patterns) is not
//! the documented example over and over, or a client that keys its pending
//! operations by id would see them collide. The same text elsewhere in the
//! answer (a `Location` naming the operation) follows it.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use hyper::header::HeaderValue;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::contract::Contract;
use crate::generate::{Generator, Mode};
use crate::respond::Built;

/// Numbers each fresh value, so a seed gives the same values in the same order.
#[derive(Default)]
pub(super) struct Fresh(AtomicU64);

impl Fresh {
    /// Replaces, in a successful answer, each volatile header's match of a
    /// volatile pattern by a new one, everywhere in the answer.
    pub(super) fn renew(&self, contract: &Contract, seed: u64, built: &mut Built) {
        let volatile = &contract.profile.volatile;
        if volatile.patterns.is_empty() || !built.status.is_success() {
            return;
        }
        let mut swaps: Vec<(String, String)> = Vec::new();
        for (name, value) in &built.headers {
            if !volatile
                .headers
                .iter()
                .any(|(h, _)| name.as_str().eq_ignore_ascii_case(h))
            {
                continue;
            }
            let Ok(text) = value.to_str() else { continue };
            for (re, _) in &volatile.patterns {
                let Some(found) = re.find(text) else { continue };
                let n = self.0.fetch_add(1, Ordering::Relaxed);
                if let Some(new) = fresh_match(contract, re.as_str(), seed, n) {
                    swaps.push((found.as_str().to_string(), new));
                }
            }
        }
        for (old, new) in swaps.iter().filter(|(old, _)| !old.is_empty()) {
            for (_, value) in &mut built.headers {
                let Ok(text) = value.to_str() else { continue };
                if text.contains(old.as_str()) {
                    if let Ok(v) = HeaderValue::from_str(&text.replace(old.as_str(), new)) {
                        *value = v;
                    }
                }
            }
            if let Ok(body) = std::str::from_utf8(&built.body) {
                if body.contains(old.as_str()) {
                    built.body = Bytes::from(body.replace(old.as_str(), new));
                }
            }
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
