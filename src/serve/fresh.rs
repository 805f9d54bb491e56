//! A stateful answer's volatile values are fresh for every answer, as the
//! service's are: an asynchronous operation's id (a header the contract's
//! `x-mimeo.volatile` names, whose whole value has the shape of one of its
//! patterns) is not the documented example over and over, or a client that
//! keys its pending operations by id would see them collide. Other headers
//! naming the old value (`Location`, an `Operation-Location` URL) name the new
//! one. A 202's body member that says where to follow the operation
//! (`statusUrl`, `operationUrl`, `monitorUrl`; not `location`, a resource's
//! region in Azure's) says what its `Location` says, when the schema allows it
//! (the contract's example is the word `statusUrl`). Nothing else in the body changes: it is the state's (an
//! id there is a resource's, not the operation's), and a value too short to be
//! told apart (`Retry-After: 5`) is left alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use hyper::header::HeaderValue;
use rand::rngs::StdRng;
use rand::SeedableRng;
use regex::Regex;

use crate::contract::{Contract, Operation};
use crate::generate::{Generator, Mode};
use crate::respond::Built;
use serde_json::Value;

/// The fewest characters a value renewed must have: shorter ones could be
/// part of anything (a digit in a path).
const MIN_RENEWED: usize = 8;

/// Numbers each fresh value, so a seed gives the same values for the same
/// sequence of answers; holds the volatile patterns anchored (a leftmost match
/// can be shorter than a whole value that matches).
#[derive(Default)]
pub(super) struct Fresh {
    drawn: AtomicU64,
    anchored: OnceLock<Vec<Regex>>,
}

impl Fresh {
    /// Gives a successful answer's volatile headers new values, and a 202's
    /// status URL its `Location` (see the module).
    pub(super) fn renew(&self, contract: &Contract, op: &Operation, seed: u64, built: &mut Built) {
        self.renew_headers(contract, seed, built);
        if built.status == hyper::StatusCode::ACCEPTED {
            point_at_location(contract, op, built);
        }
    }

    fn renew_headers(&self, contract: &Contract, seed: u64, built: &mut Built) {
        let volatile = &contract.profile.volatile;
        if volatile.patterns.is_empty() || !built.status.is_success() {
            return;
        }
        let anchored = self.anchored.get_or_init(|| {
            volatile
                .patterns
                .iter()
                .filter_map(|(re, _)| Regex::new(&format!("^(?:{})$", re.as_str())).ok())
                .collect()
        });
        // Old value -> new, one new value per old one (two headers with the
        // same id keep sharing it).
        let mut swaps: Vec<(String, String)> = Vec::new();
        for (name, value) in &built.headers {
            if !volatile
                .headers
                .iter()
                .any(|(h, _)| name.as_str().eq_ignore_ascii_case(h))
            {
                continue;
            }
            let Ok(old) = value.to_str() else { continue };
            if old.len() < MIN_RENEWED || swaps.iter().any(|(o, _)| o == old) {
                continue;
            }
            let Some(re) = anchored.iter().find(|re| re.is_match(old)) else {
                continue;
            };
            // A draw that cannot stand for the value is skipped, not the rest.
            let n = self.drawn.fetch_add(1, Ordering::Relaxed);
            let new = fresh_match(contract, re.as_str(), seed, n)
                .filter(|new| new.len() >= MIN_RENEWED && HeaderValue::from_str(new).is_ok());
            if let Some(new) = new {
                swaps.push((old.to_string(), new));
            }
        }
        if swaps.is_empty() {
            return;
        }
        // Every header naming an old value names the new one; a header that
        // would not stay valid keeps its value.
        for (_, value) in &mut built.headers {
            let Ok(text) = value.to_str() else { continue };
            let mut renewed = text.to_string();
            for (old, new) in &swaps {
                renewed = renewed.replace(old.as_str(), new);
            }
            if renewed != text {
                if let Ok(v) = HeaderValue::from_str(&renewed) {
                    *value = v;
                }
            }
        }
    }
}

/// Sets a 202's top-level status-URL member to its `Location`, when the body
/// is a JSON object that has one and still validates with it.
fn point_at_location(contract: &Contract, op: &Operation, built: &mut Built) {
    let Some(location) = built
        .headers
        .iter()
        .find(|(n, _)| *n == hyper::header::LOCATION)
        .and_then(|(_, v)| v.to_str().ok())
    else {
        return;
    };
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&built.body) else {
        return;
    };
    let mut changed = false;
    for (name, value) in body.iter_mut() {
        let key: String = name
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if value.is_string() && matches!(key.as_str(), "statusurl" | "operationurl" | "monitorurl")
        {
            *value = Value::String(location.to_string());
            changed = true;
        }
    }
    if !changed {
        return;
    }
    let body = Value::Object(body);
    let schema = op
        .response_for(202)
        .and_then(|r| r.content.iter().find(|m| m.json))
        .and_then(|m| m.schema);
    if schema.is_none_or(|s| contract.schemas.is_valid(s, &body)) {
        built.body = serde_json::to_vec(&body).unwrap_or_default().into();
    }
}

/// A new text matching the whole of `pattern` (`None` if none can be made).
fn fresh_match(contract: &Contract, pattern: &str, seed: u64, n: u64) -> Option<String> {
    // `pattern` is anchored already.
    let schema = serde_json::json!({"type": "string", "pattern": pattern});
    let mut rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let value = Generator::new(&contract.schemas, Mode::Dynamic)
        .generate_value(&schema, &mut rng)
        .ok()?;
    value.as_str().map(str::to_string)
}
