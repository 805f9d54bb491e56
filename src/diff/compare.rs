//! Pairing a target's run of a scenario with the reference's, step by step, and
//! classifying every difference with the contract as the judge: the target's
//! answer breaks the contract (target nonconformance), the reference's does
//! (a mimeo defect when the reference is mimeo), or both keep it but differ
//! (behaviour difference). Noise learned from two runs of the target is hidden
//! first.

use super::view::{compared_headers, differences, view, walk, Noise, View};
use super::{Class, Difference, LearnedNoise, StepDiff};
use crate::checks::Check;
use crate::contract::Contract;
use crate::redact::Redactor;
use crate::replay::{Outcome, ScenarioRun, StepRun};
use crate::scenario::{step_labels, Scenario};
use crate::secrets::Secrets;
use crate::snapshot::unified_diff;

/// The checks that judge an answer against the contract (not the scenario's
/// own expectations), and `transport`: no answer is not a contract answer.
const CONTRACT: [Check; 6] = [
    Check::StatusDocumented,
    Check::ContentType,
    Check::BodySchema,
    Check::Headers,
    Check::UndocumentedFields,
    Check::Transport,
];

/// Both sides' bases, to hide each one's own address.
pub(super) struct Sides<'a> {
    pub(super) target: &'a str,
    pub(super) reference: &'a str,
    /// Whether the reference is mimeo's own mock (its breaks are mimeo defects).
    pub(super) reference_is_mimeo: bool,
}

/// Where the target's second run differed from its first, per step.
pub(super) fn learn(
    contract: &Contract,
    scenario: &Scenario,
    first: &ScenarioRun,
    second: &ScenarioRun,
    base: &str,
    secrets: &Secrets,
) -> (Vec<Noise>, Vec<LearnedNoise>) {
    let labels = step_labels(scenario.steps.iter().map(|s| s.phase));
    let (r1, r2) = (
        Redactor::new(scenario, &first.vars, base, secrets),
        Redactor::new(scenario, &second.vars, base, secrets),
    );
    let mut noise = Vec::new();
    let mut learned = Vec::new();
    for (i, (a, b)) in first.steps.iter().zip(&second.steps).enumerate() {
        let headers = compared_headers(contract, a, &statuses(&[a, b]));
        let none = Noise::default();
        let (va, vb) = (
            view(contract, a, &r1, &headers, &none),
            view(contract, b, &r2, &headers, &none),
        );
        let mut n = Noise::default();
        if let (
            View::Answer {
                status: sa,
                headers: ha,
                body: ba,
            },
            View::Answer {
                status: sb,
                headers: hb,
                body: bb,
            },
        ) = (&va, &vb)
        {
            // Another status is another answer, not the same one with fresh
            // values: typically the first run changed what the second found
            // (a store it deleted). Nothing is learned from the step, and it is
            // compared in full, so such a step is never silently passed over.
            n.status_varies = sa != sb;
            if n.status_varies {
                learned.push(LearnedNoise {
                    step: labels[i].clone(),
                    name: a.name.clone(),
                    pointers: Vec::new(),
                    headers: Vec::new(),
                    status_varies: true,
                    statuses: Some((*sa, *sb)),
                });
                // Marks the step `unstable`; it learned nothing to ignore.
                noise.push(n);
                continue;
            }
            for (k, v) in ha {
                if hb.iter().find(|(kb, _)| kb == k).map(|(_, vb)| vb) != Some(v) {
                    n.headers.push(k.clone());
                }
            }
            if let (super::view::Body::Json(ja), super::view::Body::Json(jb)) = (ba, bb) {
                let mut found = Vec::new();
                walk(Some(ja), Some(jb), &mut String::new(), &mut found);
                n.pointers = found
                    .into_iter()
                    .map(|d| d.at)
                    .filter(|p| p != "/")
                    .collect();
            }
        }
        if !n.headers.is_empty() || !n.pointers.is_empty() {
            learned.push(LearnedNoise {
                step: labels[i].clone(),
                name: a.name.clone(),
                pointers: n.pointers.clone(),
                headers: n.headers.clone(),
                status_varies: false,
                statuses: None,
            });
        }
        noise.push(n);
    }
    (noise, learned)
}

fn statuses(steps: &[&StepRun]) -> Vec<u16> {
    steps
        .iter()
        .filter_map(|s| match s.outcome {
            Outcome::Response { status, .. } => Some(status),
            _ => None,
        })
        .collect()
}

/// Compares the two runs step by step.
pub(super) fn compare(
    contract: &Contract,
    scenario: &Scenario,
    target: &ScenarioRun,
    reference: &ScenarioRun,
    noise: &[Noise],
    sides: &Sides<'_>,
    secrets: &Secrets,
) -> Vec<StepDiff> {
    let labels = step_labels(scenario.steps.iter().map(|s| s.phase));
    let rt = Redactor::new(scenario, &target.vars, sides.target, secrets);
    let rr = Redactor::new(scenario, &reference.vars, sides.reference, secrets);
    let none = Noise::default();
    let mut out = Vec::new();
    for (i, (t, r)) in target.steps.iter().zip(&reference.steps).enumerate() {
        let mut step = StepDiff {
            step: labels[i].clone(),
            name: t.name.clone(),
            line: t.line,
            request_line: t.request_line.clone(),
            operation: t.operation.clone(),
            classes: Vec::new(),
            target_breaks: contract_failures(t),
            reference_breaks: contract_failures(r),
            differences: Vec::new(),
            diff: String::new(),
            unstable: noise.get(i).is_some_and(|n| n.status_varies),
            not_compared: not_compared(t, r),
        };
        if !step.target_breaks.is_empty() {
            step.classes.push(Class::TargetNonconformance);
        }
        if !step.reference_breaks.is_empty() {
            step.classes.push(if sides.reference_is_mimeo {
                Class::MimeoDefect
            } else {
                Class::ReferenceNonconformance
            });
        }
        if step.not_compared.is_none() {
            let headers = compared_headers(contract, t, &statuses(&[t, r]));
            let n = noise.get(i).unwrap_or(&none);
            let n = &mimeos_conventions(contract, r, sides, n);
            let (vr, vt) = (
                view(contract, r, &rr, &headers, n),
                view(contract, t, &rt, &headers, n),
            );
            step.differences = differences(&vr, &vt);
            if !step.differences.is_empty() {
                step.diff = labelled_diff(&vr.render(), &vt.render());
                if step.classes.is_empty() {
                    step.classes.push(Class::BehaviourDifference);
                }
            }
        }
        out.push(step);
    }
    out
}

/// `noise`, plus what mimeo's reference makes up where the contract says
/// nothing: an error's API code and its `more_info` URL (the documents give
/// no codes; mimeo's follow a convention of its own), not behaviour to hold a
/// target to.
fn mimeos_conventions(
    contract: &Contract,
    reference: &StepRun,
    sides: &Sides<'_>,
    noise: &Noise,
) -> Noise {
    let mut n = noise.clone();
    let error = matches!(reference.outcome, Outcome::Response { status, .. } if status >= 400);
    if sides.reference_is_mimeo && error {
        let fields = &contract.profile.errors;
        for f in [&fields.code, &fields.more_info].into_iter().flatten() {
            let p = format!("/{}", f.replace('~', "~0").replace('/', "~1"));
            if !n.pointers.contains(&p) {
                n.pointers.push(p);
            }
        }
    }
    n
}

/// Why a step's answers are not compared: one side did not send it (an earlier
/// failure there is the difference, already reported).
fn not_compared(t: &StepRun, r: &StepRun) -> Option<String> {
    match (&t.outcome, &r.outcome) {
        (Outcome::Skipped { reason }, _) => Some(format!("not sent to the target: {reason}")),
        (_, Outcome::Skipped { reason }) => Some(format!("not sent to the reference: {reason}")),
        _ => None,
    }
}

/// The contract failures of one side's step, as text.
fn contract_failures(step: &StepRun) -> Vec<String> {
    if step.operation.is_none() && !matches!(step.outcome, Outcome::NoResponse { .. }) {
        return Vec::new();
    }
    step.failures
        .iter()
        .filter(|f| CONTRACT.contains(&f.check))
        .map(ToString::to_string)
        .collect()
}

/// A unified diff from the reference's view to the target's, with both sides named.
fn labelled_diff(reference: &str, target: &str) -> String {
    let body = unified_diff(reference, target);
    if body.is_empty() {
        return body;
    }
    format!("--- reference\n+++ target\n{body}")
}

impl Difference {
    pub(super) fn new(at: &str, reference: Option<String>, target: Option<String>) -> Difference {
        Difference {
            at: at.to_string(),
            reference,
            target,
        }
    }
}
