//! Coverage: which operations and which documented statuses a run exercised,
//! and which checks ran on them. Per operation, a conformance index (the share
//! of its documented statuses the run exercised: the best score the suite
//! allows, as Microcks has it) and a score (the share exercised with every
//! check holding).

use std::collections::HashMap;
use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use super::{Counts, Quick, ScenarioReport};
use crate::checks::Check;
use crate::contract::{Contract, StatusKey};
use crate::replay::{Outcome, StepRun};

/// A part of a whole. See [`Coverage`] for an example.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ratio {
    /// Covered.
    pub covered: usize,
    /// Of.
    pub total: usize,
}

impl Ratio {
    /// The percentage covered (100 when there is nothing to cover).
    pub fn percent(self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

/// What a run covered of one operation. See [`Coverage`] for an example.
#[derive(Debug, Clone, Serialize)]
pub struct OperationCoverage {
    /// operationId (or `METHOD path`).
    pub operation: String,
    /// Its documented statuses (`202`, `4XX`, `default`).
    pub documented: Vec<String>,
    /// Those the run's answers exercised.
    pub exercised: Vec<String>,
    /// Those exercised whose every answer passed every check.
    pub passed: Vec<String>,
    /// Statuses answered that the operation does not document.
    pub undocumented: Vec<u16>,
    /// Checks that ran on its answers.
    pub checks: IndexMap<Check, Counts>,
    /// Conformance index: exercised of documented, in percent.
    pub index: f64,
    /// Conformance score: passed of documented, in percent.
    pub score: f64,
}

/// What a run covered of the contract.
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?;
/// let coverage = mimeo::report::Coverage::of(&contract, &[]);
/// assert_eq!(coverage.operations.covered, 0);
/// assert_eq!(coverage.operations.total, contract.operations().len());
/// assert_eq!(coverage.percent(), 0.0);
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Operations with at least one answer.
    pub operations: Ratio,
    /// Documented (operation, status) pairs with at least one answer.
    pub statuses: Ratio,
    /// Per operation, in the contract's order.
    pub per_operation: Vec<OperationCoverage>,
}

impl Coverage {
    /// Adds up the answers of the reports' runs (the target's, in a differential run).
    pub fn of(contract: &Contract, reports: &[ScenarioReport]) -> Coverage {
        let mut per_operation = Vec::new();
        let (mut ops, mut statuses) = (Ratio::default(), Ratio::default());
        // Each operation's steps, in order, found in one pass over the steps.
        let mut by_operation: HashMap<&str, Vec<&StepRun>, Quick> = HashMap::default();
        for step in reports.iter().flat_map(|r| &r.run.steps) {
            if let Some(op) = &step.operation {
                by_operation.entry(op).or_default().push(step);
            }
        }
        for op in contract.operations() {
            let name = op.name();
            let documented: Vec<StatusKey> = op.statuses().collect();
            let mut exercised: Vec<StatusKey> = Vec::new();
            let mut failed: Vec<StatusKey> = Vec::new();
            let mut undocumented = Vec::new();
            let mut checks: IndexMap<Check, Counts, Quick> = IndexMap::default();
            let steps = by_operation
                .get(name.as_str())
                .map_or(&[][..], Vec::as_slice);
            for step in steps {
                let Outcome::Response { status, .. } = step.outcome else {
                    continue;
                };
                for check in &step.checks_ran {
                    let c = checks.entry(*check).or_default();
                    if step.failures.iter().any(|f| f.check == *check) {
                        c.failed += 1;
                    } else {
                        c.passed += 1;
                    }
                }
                match key_in(&documented, status) {
                    Some(k) => {
                        if !exercised.contains(&k) {
                            exercised.push(k);
                        }
                        if !step.failures.is_empty() && !failed.contains(&k) {
                            failed.push(k);
                        }
                    }
                    None if !undocumented.contains(&status) => undocumented.push(status),
                    None => {}
                }
            }
            checks.sort_keys();
            let order = |list: &mut Vec<StatusKey>| list.sort_by_key(StatusKey::sort_key);
            order(&mut exercised);
            undocumented.sort_unstable();
            let passed: Vec<StatusKey> = exercised
                .iter()
                .copied()
                .filter(|k| !failed.contains(k))
                .collect();
            let total = documented.len();
            ops.total += 1;
            ops.covered += usize::from(!exercised.is_empty());
            statuses.total += total;
            statuses.covered += exercised.len();
            let pct = |n: usize| Ratio { covered: n, total }.percent();
            let text = |list: &[StatusKey]| list.iter().map(ToString::to_string).collect();
            per_operation.push(OperationCoverage {
                operation: name,
                documented: text(&documented),
                exercised: text(&exercised),
                passed: text(&passed),
                undocumented,
                checks: checks.into_iter().collect(),
                index: pct(exercised.len()),
                score: pct(passed.len()),
            });
        }
        Coverage {
            operations: ops,
            statuses,
            per_operation,
        }
    }

    /// The share of documented statuses exercised, in percent: what
    /// `--min-coverage` compares.
    pub fn percent(&self) -> f64 {
        if self.statuses.total == 0 {
            return 0.0;
        }
        self.statuses.percent()
    }

    /// The coverage table, aligned for a terminal or a CI log.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .per_operation
            .iter()
            .map(|o| o.operation.len())
            .max()
            .unwrap_or(0)
            .max(14);
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:>5}  {:>5}  not exercised",
            "coverage", "statuses", "index", "score"
        );
        for o in &self.per_operation {
            let missing: Vec<&str> = o
                .documented
                .iter()
                .filter(|d| !o.exercised.contains(d))
                .map(String::as_str)
                .collect();
            let mut tail = missing.join(" ");
            if !o.undocumented.is_empty() {
                let list: Vec<String> = o.undocumented.iter().map(u16::to_string).collect();
                tail.push_str(&format!("  (undocumented answers: {})", list.join(" ")));
            }
            let _ = writeln!(
                out,
                "{:<width$}  {:>8}  {:>4.0}%  {:>4.0}%  {}",
                o.operation,
                format!("{}/{}", o.exercised.len(), o.documented.len()),
                o.index,
                o.score,
                tail.trim_end()
            );
        }
        let _ = writeln!(
            out,
            "coverage: {}/{} operations, {}/{} documented statuses ({:.1}%)",
            self.operations.covered,
            self.operations.total,
            self.statuses.covered,
            self.statuses.total,
            self.percent()
        );
        out
    }
}

/// The documented status key (of `keys`, an operation's) an answer's status
/// falls under.
fn key_in(keys: &[StatusKey], status: u16) -> Option<StatusKey> {
    [
        StatusKey::Code(status),
        StatusKey::Range(status / 100),
        StatusKey::Default,
    ]
    .into_iter()
    .find(|k| keys.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_counts_under_its_documented_key() {
        let contract = Contract::embedded().unwrap();
        let fetch = contract.operation_by_id("FetchProfileIdentifier").unwrap();
        let keys: Vec<StatusKey> = fetch.statuses().collect();
        assert_eq!(key_in(&keys, 404), Some(StatusKey::Code(404)));
        assert_eq!(key_in(&keys, 418), None);
        assert_eq!(
            Ratio {
                covered: 1,
                total: 4
            }
            .percent(),
            25.0
        );
        assert_eq!(Ratio::default().percent(), 100.0);
    }
}
