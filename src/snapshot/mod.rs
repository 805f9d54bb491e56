//! Snapshots: each scenario's results as a plain text file a reviewer can read.
//!
//! Files are insta's format (`---` metadata `---` then the text), one per scenario
//! in `snapshots/`, so `cargo insta review` works on them too. A result that differs
//! from the stored one is written beside it as `.snap.new`; nothing replaces a
//! `.snap` unless the user accepts it. Every write goes to a temporary file first and
//! is renamed into place, so an interrupted run never leaves half a snapshot.
//!
//! Rendering hides what changes from run to run or target to target: the target's
//! address becomes `[target]`, values of variables become `{{name}}`, credentials
//! become `[redacted]`, the scenario's own `redact` rules apply, and last the
//! contract's volatile headers and patterns (`x-mimeo.volatile`: an operation's
//! id, fresh on every call, a back-off) become their stand-ins
//! (`[operation-id]`, `[retry-after]`), wherever the value reappears.

mod store;

use std::fmt::Write as _;

use crate::contract::Contract;
use crate::redact::Redactor;
use crate::replay::{Outcome, ScenarioRun};
use crate::scenario::{step_labels, Scenario};
use crate::secrets::Secrets;

pub(crate) use store::unified_diff;
pub use store::{ReviewTally, SnapshotPolicy, SnapshotState, Snapshots, Verdict};

/// Headers shown in a snapshot besides Content-Type and those the contract documents
/// for the status.
const ALWAYS_SHOWN: [&str; 3] = ["location", "allow", "www-authenticate"];

/// Renders one scenario's run as snapshot text.
pub fn render(
    contract: &Contract,
    scenario: &Scenario,
    run: &ScenarioRun,
    target_base: &str,
    secrets: &Secrets,
) -> String {
    let redactor = Redactor::new(scenario, &run.vars, target_base, secrets);
    let labels = step_labels(scenario.steps.iter().map(|s| s.phase));
    let mut out = String::new();
    for (i, (step, result)) in scenario.steps.iter().zip(&run.steps).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "## {}. {}", labels[i], step.name);
        out.push_str(&result.request_line);
        out.push('\n');
        match &result.outcome {
            Outcome::Skipped { reason } => {
                let _ = writeln!(out, "-> skipped: {reason}");
            }
            Outcome::NoResponse { error } => {
                let _ = writeln!(out, "-> no response: {}", redactor.text(error));
            }
            Outcome::Response {
                status,
                headers,
                body,
            } => {
                let reason = hyper::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                // No trailing space when the status has no reason phrase.
                let _ = write!(out, "-> {status}");
                if !reason.is_empty() {
                    let _ = write!(out, " {reason}");
                }
                out.push('\n');
                let documented: Vec<String> = step
                    .operation
                    .and_then(|o| contract.op(o).response_for(*status))
                    .map(|r| {
                        r.headers
                            .iter()
                            .map(|h| h.name.to_ascii_lowercase())
                            .collect()
                    })
                    .unwrap_or_default();
                let shown = |name: &str| {
                    name == "content-type"
                        || documented.iter().any(|d| d == name)
                        || ALWAYS_SHOWN.contains(&name)
                };
                // A volatile header's value (an operation id, a back-off) is
                // its stand-in, there and wherever it reappears (Location,
                // `statusUrl`): a target's own ids would churn the snapshot.
                let volatile = &contract.profile.volatile;
                let in_answer = volatile.in_answer(headers);
                // By name: the order headers come in is not behaviour.
                let mut lines: Vec<(&str, String)> = headers
                    .iter()
                    .filter(|(name, _)| shown(name))
                    .map(|(name, value)| {
                        let value = match volatile.stand_in(name) {
                            Some(with) => with,
                            None => in_answer
                                .hide_cow(&redactor.header(name, value))
                                .into_owned(),
                        };
                        (name.as_str(), value)
                    })
                    .collect();
                lines.sort_by(|a, b| a.0.cmp(b.0));
                for (name, value) in lines {
                    let _ = writeln!(out, "{name}: {value}");
                }
                if !body.is_empty() {
                    out.push('\n');
                    out.push_str(&in_answer.hide_cow(&redactor.body(body)));
                    out.push('\n');
                }
            }
        }
    }
    out
}
