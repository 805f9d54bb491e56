//! The full results as JSON, for tools that want more than JUnit carries.

use std::path::Path;

use serde::Serialize;

use super::{ReportError, ScenarioReport, Summary};
use crate::secrets::Secrets;
use crate::support::files::write_report;

#[derive(Serialize)]
struct Document<'a> {
    target: Scrubbed<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<Scrubbed<'a, str>>,
    passed: bool,
    summary: Scrubbed<'a, Summary>,
    scenarios: Scenarios<'a>,
}

/// A part of the report written scrubbed: as a JSON value whose every string and
/// key is scrubbed as a value, and bodies inside them as JSON, so a secret written
/// with `\u` escapes or used as a key is found too. One part at a time: the
/// report is never held whole as a value.
struct Scrubbed<'a, T: ?Sized>(&'a T, &'a Secrets);

impl<T: Serialize + ?Sized> Serialize for Scrubbed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(self.0).map_err(serde::ser::Error::custom)?;
        self.1.scrub_json(&mut value);
        value.serialize(serializer)
    }
}

/// The scenarios, each scrubbed on its own (see [`Scrubbed`]).
struct Scenarios<'a>(&'a [ScenarioReport], &'a Secrets);

impl Serialize for Scenarios<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| Scrubbed(r, self.1)))
    }
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
        target: Scrubbed(&target, secrets),
        reference: reference.as_deref().map(|r| Scrubbed(r, secrets)),
        passed: reports.iter().all(|r| !r.failed()),
        summary: Scrubbed(summary, secrets),
        scenarios: Scenarios(reports, secrets),
    };
    // The document's own keys are scrubbed with the whole text below.
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| ReportError::new(path, format!("cannot build the JSON report: {e}")))?;
    text.push('\n');
    let text = secrets.scrub_cow(&text);
    write_report(path, &text).map_err(|e| ReportError::new(path, e.to_string()))
}
