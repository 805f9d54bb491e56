//! Verdicts over live traffic as CI reads them: JUnit with one test case per
//! operation the client called (a failure lists each violation with its
//! request) and one for requests no operation serves, the coverage line as the
//! suite's output; and the same verdict as JSON. Both written atomically, with
//! the server's credentials scrubbed (the verdict itself is already redacted).

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::junit::xml_safe;
use super::ReportError;
use crate::secrets::Secrets;
use crate::support::files::write_report;
use crate::verdict::{OperationVerdict, Verdict};

/// Writes `verdict` as JUnit XML to `path`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer, Secrets};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
/// let verdict = server.shutdown().await;
/// let dir = tempfile::tempdir()?;
/// mimeo::report::write_verdict_junit(&dir.path().join("r.xml"), &verdict, &Secrets::default())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_verdict_junit(
    path: &Path,
    verdict: &Verdict,
    secrets: &Secrets,
) -> Result<(), ReportError> {
    let mut report = Report::new(verdict.tool.as_str());
    let mut suite = TestSuite::new(xml_safe(&format!("{}: {}", verdict.tool, verdict.contract)));
    for op in verdict
        .operations
        .iter()
        .chain(std::iter::once(&verdict.unmatched))
        .filter(|o| o.calls > 0)
    {
        let mut case = TestCase::new(xml_safe(&case_name(op)), status(op));
        case.set_classname(xml_safe(&verdict.contract));
        case.set_assertions(op.calls as usize);
        suite.add_test_case(case);
    }
    suite.set_system_out(verdict.coverage_line());
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .map_err(|e| ReportError::new(path, format!("cannot build the JUnit report: {e}")))?;
    write_report(path, &secrets.scrub(&xml)).map_err(|e| ReportError::new(path, e.to_string()))
}

fn case_name(op: &OperationVerdict) -> String {
    match &op.operation_id {
        Some(id) => format!("{id} ({})", op.operation),
        None if op.operation == "(no operation)" => {
            "requests no operation of the contract serves".to_string()
        }
        None => op.operation.clone(),
    }
}

fn status(op: &OperationVerdict) -> TestCaseStatus {
    if op.violations == 0 {
        return TestCaseStatus::success();
    }
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let rules: Vec<String> = op.by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    if let Some(first) = op.failures.first() {
        s.set_type(first.rule_key());
    }
    s.set_message(xml_safe(&format!(
        "{} of {} request(s) broke the contract: {}",
        op.failing_requests,
        op.calls,
        rules.join(", ")
    )));
    let mut lines: Vec<String> = op
        .failures
        .iter()
        .map(|f| {
            format!(
                "{} [session {}]: {} ({}/{})",
                f.request, f.session, f.message, f.check, f.rule
            )
        })
        .collect();
    let kept = op.failures.len() as u64;
    if op.violations > kept {
        lines.push(format!("... and {} more", op.violations - kept));
    }
    s.set_description(xml_safe(&lines.join("\n")));
    s
}

#[derive(Serialize)]
struct Document<'a> {
    passed: bool,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// Writes `verdict` as JSON to `path` (with `passed` beside its fields).
pub fn write_verdict_json(
    path: &Path,
    verdict: &Verdict,
    secrets: &Secrets,
) -> Result<(), ReportError> {
    let doc = Document {
        passed: verdict.passed(),
        verdict,
    };
    // Every string and key scrubbed as a value, as in the replay report.
    let mut value = serde_json::to_value(&doc)
        .map_err(|e| ReportError::new(path, format!("cannot build the JSON report: {e}")))?;
    secrets.scrub_json(&mut value);
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| ReportError::new(path, format!("cannot build the JSON report: {e}")))?;
    text.push('\n');
    write_report(path, &secrets.scrub(&text)).map_err(|e| ReportError::new(path, e.to_string()))
}
