//! Bounds on what the simulation keeps: per session (items, set values,
//! document bytes), and over all sessions together, so that many sessions
//! cannot add up to more memory than the machine has. The totals are atomics:
//! sessions never wait on each other to account for what they hold.
//!
//! A request that would pass a bound is refused with a mimeo error; one that
//! shrinks the state is always let through.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::sim::SimOutcome;
use super::world::Counts;

/// The bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Items in one session (stores, profiles, pets, tombstones included).
    pub max_items: usize,
    /// Set values in one session.
    pub max_values: usize,
    /// Approximate bytes of one session's documents.
    pub max_bytes: usize,
    /// Items and values of all sessions together.
    pub max_total_entries: usize,
    /// Document bytes of all sessions together.
    pub max_total_bytes: usize,
}

impl Default for Limits {
    /// About 0.8 KB per item and 85 bytes per value were measured (see the
    /// tests), so the totals stay near 1 GB however many sessions there are.
    fn default() -> Self {
        Limits {
            max_items: 5_000,
            max_values: 20_000,
            max_bytes: 4 << 20,
            max_total_entries: 2_000_000,
            max_total_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// What a whole state passes, if it passes a per-session bound.
    pub(crate) fn exceeded(&self, c: Counts) -> Option<String> {
        [
            ("items", c.items, self.max_items),
            ("values", c.values, self.max_values),
            ("bytes of documents", c.bytes, self.max_bytes),
        ]
        .into_iter()
        .find(|(_, have, max)| have > max)
        .map(|(what, have, max)| {
            format!("this state holds {have} {what}, and the simulation keeps at most {max} per session")
        })
    }

    /// `Err` naming the bound when a session holding `session`, among sessions
    /// holding `totals`, would pass one by taking `more`.
    pub(crate) fn admit(
        &self,
        session: Counts,
        totals: Counts,
        more: Counts,
    ) -> Result<(), SimOutcome> {
        let refuse = |message: String| Err(SimOutcome::Refused { message });
        for (what, have, add, max) in [
            ("items", session.items, more.items, self.max_items),
            ("values", session.values, more.values, self.max_values),
            (
                "bytes of documents",
                session.bytes,
                more.bytes,
                self.max_bytes,
            ),
        ] {
            if add > 0 && have.saturating_add(add) > max {
                return refuse(format!(
                    "this session holds {have} {what}, and the simulation keeps at most {max} per session; reset the session (DELETE /__admin/state) or raise the limit"
                ));
            }
        }
        let entries = totals.items + totals.values;
        let adding = more.items + more.values;
        if adding > 0 && entries.saturating_add(adding) > self.max_total_entries {
            return refuse(format!(
                "all sessions together hold {entries} items and values, and the simulation keeps at most {}; reset sessions (DELETE /__admin/state) or raise the limit",
                self.max_total_entries
            ));
        }
        if more.bytes > 0 && totals.bytes.saturating_add(more.bytes) > self.max_total_bytes {
            return refuse(format!(
                "all sessions together hold {} bytes of documents, and the simulation keeps at most {}",
                totals.bytes, self.max_total_bytes
            ));
        }
        Ok(())
    }
}

/// What all sessions hold together.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    items: AtomicUsize,
    values: AtomicUsize,
    bytes: AtomicUsize,
}

impl Totals {
    pub(crate) fn get(&self) -> Counts {
        Counts {
            items: self.items.load(Ordering::Relaxed),
            values: self.values.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }

    /// A session that held `before` now holds `after`.
    pub(crate) fn change(&self, before: Counts, after: Counts) {
        for (total, b, a) in [
            (&self.items, before.items, after.items),
            (&self.values, before.values, after.values),
            (&self.bytes, before.bytes, after.bytes),
        ] {
            if a > b {
                total.fetch_add(a - b, Ordering::Relaxed);
            } else if b > a {
                // Never below zero, even if accounting were ever off.
                let _ = total.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                    Some(t.saturating_sub(b - a))
                });
            }
        }
    }
}
