//! JUnit XML: one test suite per scenario, one test case per step, so CI systems
//! show each broken step with the check that failed.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{ReportError, ScenarioReport};
use crate::replay::Outcome;
use crate::secrets::Secrets;
use crate::snapshot::SnapshotState;
use crate::support::files::write_report;

/// Text XML 1.0 can hold: characters it does not allow (control characters
/// other than tab and line breaks, U+FFFE, U+FFFF) written as `\u{..}`, so one
/// odd byte in an answer cannot make the whole report unreadable.
fn xml_safe(text: &str) -> String {
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
        for (i, step) in r.run.steps.iter().enumerate() {
            let status = if let Outcome::Skipped { reason } = &step.outcome {
                let mut s = TestCaseStatus::skipped();
                s.set_message(xml_safe(reason));
                s
            } else if let Some(first) = step.failures.first() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(first.check.name());
                s.set_message(xml_safe(&format!("{}: {}", first.check, first.message)));
                let all: Vec<String> = step.failures.iter().map(|f| f.to_string()).collect();
                s.set_description(xml_safe(&format!(
                    "{}:{}: {}\n{}",
                    r.run.file,
                    step.line,
                    step.request_line,
                    all.join("\n")
                )));
                s
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(xml_safe(&format!("{}. {}", i + 1, step.name)), status);
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
