//! JUnit XML: one test suite per scenario, one test case per step, so CI systems
//! show each broken step with the check that failed, or, in a differential run,
//! with the class of the difference as the failure type and the two-sided diff.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{ReportError, ScenarioReport};
use crate::diff::StepDiff;
use crate::replay::{Outcome, StepRun};
use crate::scenario::step_labels;
use crate::secrets::Secrets;
use crate::snapshot::SnapshotState;
use crate::support::files::write_report;

/// Text XML 1.0 can hold: characters it does not allow (control characters
/// other than tab and line breaks, U+FFFE, U+FFFF) written as `\u{..}`, so one
/// odd byte in an answer cannot make the whole report unreadable.
pub(super) fn xml_safe(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || (!c.is_control() && !matches!(c, '\u{fffe}' | '\u{ffff}'))
    };
    if text.chars().all(allowed) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if allowed(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect()
}

/// Writes the report to `path` (atomically), credentials scrubbed.
pub fn write_junit(
    path: &Path,
    reports: &[ScenarioReport],
    secrets: &Secrets,
) -> Result<(), ReportError> {
    let mut report = Report::new("mimeo replay");
    for r in reports {
        let mut suite = TestSuite::new(xml_safe(&r.run.name));
        suite.set_time(Duration::from_secs_f64(r.run.duration_ms / 1e3));
        let labels = step_labels(r.run.steps.iter().map(|s| s.phase));
        for (i, step) in r.run.steps.iter().enumerate() {
            let compared = r.diff.as_ref().and_then(|d| d.steps.get(i));
            let reference = r.diff.as_ref().and_then(|d| d.reference.steps.get(i));
            let status = match compared.filter(|c| !c.classes.is_empty()) {
                Some(c) => classified(c, step, reference, &r.run.file),
                None => checked(step, reference, &r.run.file, secrets),
            };
            let mut case =
                TestCase::new(xml_safe(&format!("{}. {}", labels[i], step.name)), status);
            case.set_classname(xml_safe(&r.run.file));
            case.set_time(Duration::from_secs_f64(step.duration_ms / 1e3));
            case.set_assertions(step.checks_ran.len());
            suite.add_test_case(case);
        }
        if !matches!(r.snapshot, SnapshotState::NotCompared) {
            let status = if r.snapshot.fails() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("snapshot");
                s.set_message(xml_safe(&format!("snapshot: {}", r.snapshot.describe())));
                if let SnapshotState::Changed { diff, .. } = &r.snapshot {
                    s.set_description(xml_safe(diff));
                }
                s
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new("snapshot", status);
            case.set_classname(xml_safe(&r.run.file));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let xml = report
        .to_string()
        .map_err(|e| ReportError::new(path, format!("cannot build the JUnit report: {e}")))?;
    write_report(path, &secrets.scrub(&xml)).map_err(|e| ReportError::new(path, e.to_string()))
}

/// A step judged by its checks (on the reference too, in a differential run).
fn checked(
    step: &StepRun,
    reference: Option<&StepRun>,
    file: &str,
    secrets: &Secrets,
) -> TestCaseStatus {
    if let Outcome::Skipped { reason } = &step.outcome {
        let mut s = TestCaseStatus::skipped();
        s.set_message(xml_safe(reason));
        return s;
    }
    let theirs = reference.map(|r| r.failures.as_slice()).unwrap_or_default();
    let Some(first) = step.failures.first().or(theirs.first()) else {
        return TestCaseStatus::success();
    };
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    s.set_type(first.check.name());
    let side = if step.failures.is_empty() {
        "reference: "
    } else {
        ""
    };
    s.set_message(xml_safe(&format!(
        "{side}{}: {}",
        first.check, first.message
    )));
    let mut all: Vec<String> = step.failures.iter().map(|f| f.to_string()).collect();
    all.extend(theirs.iter().map(|f| format!("reference: {f}")));
    // The answer of each side that failed, named when there are two sides.
    let mut answers = String::new();
    if !step.failures.is_empty() {
        let whose = if reference.is_some() {
            "the target's answer"
        } else {
            "the answer"
        };
        answers.push_str(&answer(whose, &step.outcome, secrets));
    }
    if let Some(r) = reference.filter(|r| !r.failures.is_empty()) {
        answers.push_str(&answer("the reference's answer", &r.outcome, secrets));
    }
    s.set_description(xml_safe(&format!(
        "{file}:{}: {}\n{}{answers}",
        step.line,
        step.request_line,
        all.join("\n"),
    )));
    s
}

/// The most of an answer's body a failure quotes: enough for an error body,
/// not a whole listing.
const MAX_BODY_SHOWN: usize = 2000;

/// What came back, for a failure's text: a reviewer reading it in CI sees the
/// status and the body (an error's message) without rerunning the suite. The
/// body is scrubbed as the JSON report scrubs it (inside its JSON strings too,
/// where a server's own escaping, `\/` or `\u00e9`, spells a credential in a
/// form the report's text scrub does not look for), and only then cut short,
/// so a credential across the cut cannot leave its start behind.
fn answer(whose: &str, outcome: &Outcome, secrets: &Secrets) -> String {
    match outcome {
        Outcome::Response { status, body, .. } if body.is_empty() => {
            format!("\n\n{whose}: {status}, no body")
        }
        Outcome::Response { status, body, .. } => {
            let inside = secrets.scrub_json_text(body);
            let scrubbed = secrets.scrub(inside.as_deref().unwrap_or(body));
            format!(
                "\n\n{whose}: {status}\n{}",
                crate::support::limits::truncate(&scrubbed, MAX_BODY_SHOWN)
            )
        }
        Outcome::NoResponse { .. } | Outcome::Skipped { .. } => String::new(),
    }
}

/// A step whose two sides differ: the class is the failure type, the diff the text.
fn classified(
    c: &StepDiff,
    step: &StepRun,
    reference: Option<&StepRun>,
    file: &str,
) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    s.set_type(c.classes[0].name());
    let first = c
        .target_breaks
        .first()
        .or(c.reference_breaks.first())
        .cloned()
        .or_else(|| {
            c.differences.first().map(|d| {
                format!(
                    "at {}: reference {}, target {}",
                    d.at,
                    d.reference.as_deref().unwrap_or("nothing"),
                    d.target.as_deref().unwrap_or("nothing")
                )
            })
        })
        .unwrap_or_default();
    s.set_message(xml_safe(&format!("{}: {first}", c.classes[0])));
    let mut text = format!("{file}:{}: {}\n", c.line, c.request_line);
    for b in &c.target_breaks {
        text.push_str(&format!("target: {b}\n"));
    }
    for b in &c.reference_breaks {
        text.push_str(&format!("reference: {b}\n"));
    }
    for f in &step.failures {
        text.push_str(&format!("target check: {f}\n"));
    }
    for f in reference.map(|r| r.failures.as_slice()).unwrap_or_default() {
        text.push_str(&format!("reference check: {f}\n"));
    }
    text.push_str(&c.diff);
    s.set_description(xml_safe(&text));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed step's quoted answer is scrubbed as the JSON report scrubs a
    /// body: inside its JSON strings, whatever escapes the server wrote them
    /// with, and before it is cut short.
    #[test]
    fn the_quoted_answer_hides_credentials_however_the_body_spells_them() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("{}s3cr3t-token-0123456789", "x".repeat(1990));
        for (body, secret, part) in [
            (
                r#"{"error":"wrong password pa\"ss-word"}"#,
                r#"pa"ss-word"#,
                "ss-word",
            ),
            (r#"{"echo":"abc\/def+ghi=="}"#, "abc/def+ghi==", "def+ghi"),
            (r#"{"echo":"caf\u00e9-s3cr3t"}"#, "café-s3cr3t", "s3cr3t"),
            (long.as_str(), "s3cr3t-token-0123456789", "s3cr3t"),
        ] {
            let mut report = crate::report::json::tests::report();
            report.run.steps[0].outcome = Outcome::Response {
                status: 401,
                headers: Vec::new(),
                body: body.into(),
            };
            let path = dir.path().join("j.xml");
            write_junit(&path, &[report], &Secrets::new([secret.to_string()])).unwrap();
            let xml = std::fs::read_to_string(&path).unwrap();
            assert!(xml.contains("the answer: 401"), "{xml}");
            assert!(xml.contains("[redacted]"), "{body}: {xml}");
            assert!(!xml.contains(part), "{body}: {xml}");
        }
    }
}
