//! The full results as JSON, for tools that want more than JUnit carries.

use std::path::Path;

use serde::Serialize;

use super::{ReportError, ScenarioReport, Summary};
use crate::secrets::Secrets;
use crate::support::files::write_report;

#[derive(Serialize)]
struct Document<'a> {
    target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    passed: bool,
    summary: &'a Summary,
    scenarios: &'a [ScenarioReport],
}

/// Writes the results to `path` (atomically), credentials scrubbed. `reference`
/// names the reference of a differential run.
pub fn write_json(
    path: &Path,
    target: &str,
    reference: Option<&str>,
    summary: &Summary,
    reports: &[ScenarioReport],
    secrets: &Secrets,
) -> Result<(), ReportError> {
    let target = crate::secrets::redact_userinfo(target);
    let reference = reference.map(crate::secrets::redact_userinfo);
    let doc = Document {
        target: &target,
        reference: reference.as_deref(),
        passed: reports.iter().all(|r| !r.failed()),
        summary,
        scenarios: reports,
    };
    // Every string and key is scrubbed as a value, and bodies inside them as
    // JSON, so a secret written with `\u` escapes or used as a key is found too.
    let mut value = serde_json::to_value(&doc)
        .map_err(|e| ReportError::new(path, format!("cannot build the JSON report: {e}")))?;
    secrets.scrub_json(&mut value);
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| ReportError::new(path, format!("cannot build the JSON report: {e}")))?;
    text.push('\n');
    write_report(path, &secrets.scrub(&text)).map_err(|e| ReportError::new(path, e.to_string()))
}
