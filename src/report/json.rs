//! The full results as JSON, for tools that want more than JUnit carries.

use std::path::Path;

use serde::Serialize;

use super::{ScenarioReport, Summary};
use crate::snapshot::Secrets;

#[derive(Serialize)]
struct Document<'a> {
    target: &'a str,
    passed: bool,
    summary: &'a Summary,
    scenarios: &'a [ScenarioReport],
}

/// Writes the results to `path` (atomically), credentials scrubbed.
pub fn write_json(
    path: &Path,
    target: &str,
    summary: &Summary,
    reports: &[ScenarioReport],
    secrets: &Secrets,
) -> Result<(), String> {
    let doc = Document {
        target,
        passed: reports.iter().all(|r| !r.failed()),
        summary,
        scenarios: reports,
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| format!("cannot build the JSON report: {e}"))?;
    text.push('\n');
    crate::snapshot::write_atomic(path, &secrets.scrub(&text))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
