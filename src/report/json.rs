//! The full results as JSON, for tools that want more than JUnit carries.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::ser::Formatter;

use super::{ReportError, ScenarioReport, Summary};
use crate::replay::{ScenarioRun, StepRun};
use crate::secrets::Secrets;
use crate::snapshot::SnapshotState;
use crate::support::files::write_report_in_parts;

#[derive(Serialize)]
struct Document<'a> {
    target: Scrubbed<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<Scrubbed<'a, str>>,
    passed: bool,
    summary: Scrubbed<'a, Summary>,
    /// Written apart, one scenario at a time (see [`write_json`]).
    scenarios: [(); 0],
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

/// A scenario's report as the JSON report writes it: the run's fields, with the
/// snapshot's state under `snapshot` in place of the snapshot's name (the
/// report's `flatten` writes the key twice, and a JSON value keeps the place of
/// the first and the value of the last). Serialized directly, without the value.
#[derive(Serialize)]
struct Written<'a> {
    name: &'a str,
    file: &'a str,
    snapshot: &'a SnapshotState,
    skipped: &'a Option<String>,
    steps: &'a [StepRun],
    vars: &'a IndexMap<String, String>,
    duration_ms: f64,
}

impl<'a> Written<'a> {
    /// `None` for a differential run's report (its comparison is written through
    /// a value, as before).
    fn of(report: &'a ScenarioReport) -> Option<Written<'a>> {
        // Every field named: a field added to either type must be added here.
        let ScenarioReport {
            run,
            snapshot,
            diff,
        } = report;
        let ScenarioRun {
            name,
            file,
            snapshot: _,
            skipped,
            steps,
            vars,
            duration_ms,
        } = run;
        diff.is_none().then_some(Written {
            name,
            file,
            snapshot,
            skipped,
            steps,
            vars,
            duration_ms: *duration_ms,
        })
    }
}

/// A serializer writing to `out` as serde_json writes an item of the document's
/// `scenarios`: two levels in (the document, the list), so each scenario's text
/// goes where it would have gone inside the whole.
fn item_serializer(out: &mut Vec<u8>) -> serde_json::Serializer<&mut Vec<u8>, Pretty> {
    serde_json::Serializer::with_formatter(
        out,
        Pretty {
            level: 2,
            has_value: false,
        },
    )
}

/// serde_json's [`PrettyFormatter`](serde_json::ser::PrettyFormatter) (two spaces a level), writing each line
/// break with its indentation at once: it wrote the indentation two spaces at
/// a time, most of the cost of a report's many short lines.
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A bracket opening an array or object: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// A bracket closing one, on a line of its own unless it was empty.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            Pretty::line(writer, true, self.level)?;
        }
        writer.write_all(bracket)
    }

    /// `,` (unless `first`), a line break, and the indentation of `level`.
    fn line<W: ?Sized + std::io::Write>(
        writer: &mut W,
        first: bool,
        level: usize,
    ) -> std::io::Result<()> {
        const BREAK: &[u8] = b",\n                                                                ";
        let from = usize::from(first);
        match BREAK.get(from..2 + 2 * level) {
            Some(text) => writer.write_all(text),
            None => {
                writer.write_all(&BREAK[from..2])?;
                (0..level).try_for_each(|_| writer.write_all(b"  "))
            }
        }
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        Pretty::line(writer, first, self.level)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        Pretty::line(writer, first, self.level)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Appends one scenario's report to `out` (see [`item_serializer`]), scrubbed as
/// [`Scrubbed`] scrubs it.
fn write_scenario(
    out: &mut Vec<u8>,
    report: &ScenarioReport,
    secrets: &Secrets,
) -> Result<(), String> {
    let start = out.len();
    // Written directly and checked: when scrubbing would change nothing (nearly
    // always), building, walking and dropping the value is saved.
    if let Some(written) = Written::of(report) {
        written
            .serialize(&mut item_serializer(out))
            .map_err(|e| e.to_string())?;
        if secrets.clean_as_json(&out[start..]) {
            return Ok(());
        }
        out.truncate(start);
    }
    let mut value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    secrets.scrub_json(&mut value);
    value
        .serialize(&mut item_serializer(out))
        .map_err(|e| e.to_string())?;
    // What the walk cannot see is hidden as text: a secret written as a number
    // (in a body it rewrote), or spelt only by JSON's escaping of a string.
    let text = std::str::from_utf8(&out[start..]).map_err(|e| e.to_string())?;
    if let std::borrow::Cow::Owned(clean) = secrets.scrub_cow(text) {
        out.truncate(start);
        out.extend_from_slice(clean.as_bytes());
    }
    Ok(())
}

/// How many scenarios make a thread of [`write_scenarios`] worth starting
/// (each is given about as many; the last may have a few fewer).
const SCENARIOS_PER_THREAD: usize = 64;

/// The most threads [`write_scenarios`] uses.
const MAX_THREADS: usize = 4;

/// The `scenarios` list's items (each after its separator), in order, as a few
/// consecutive parts written side by side: a large run's report is tens of
/// megabytes of JSON, and `mimeo replay` waits for it before it ends.
fn write_scenarios(
    reports: &[ScenarioReport],
    secrets: &Secrets,
    threads: usize,
) -> Result<Vec<Vec<u8>>, String> {
    let write = |first: usize, chunk: &[ScenarioReport]| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for (i, report) in chunk.iter().enumerate() {
            out.extend_from_slice(if first + i == 0 {
                b"\n    "
            } else {
                b",\n    "
            });
            write_scenario(&mut out, report, secrets)?;
        }
        // Checked here, on the thread that wrote it: the report is text.
        std::str::from_utf8(&out).map_err(|e| e.to_string())?;
        Ok(out)
    };
    let threads = threads.min(reports.len() / SCENARIOS_PER_THREAD);
    if threads <= 1 {
        return write(0, reports).map(|part| vec![part]);
    }
    let size = reports.len().div_ceil(threads);
    std::thread::scope(|scope| {
        // A thread the system refuses is no reason to lose the report: that
        // part is written here instead.
        let workers: Vec<_> = reports
            .chunks(size)
            .enumerate()
            .map(|(n, chunk)| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || write(n * size, chunk))
                    .map_err(|_| (n, chunk))
            })
            .collect();
        // Every worker joined before any result is looked at.
        let parts: Vec<Result<Vec<u8>, String>> = workers
            .into_iter()
            .map(|w| match w {
                Ok(w) => w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                Err((n, chunk)) => write(n * size, chunk),
            })
            .collect();
        parts.into_iter().collect()
    })
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
    let cannot = |e: String| ReportError::new(path, format!("cannot build the JSON report: {e}"));
    let target = crate::secrets::redact_userinfo(target);
    let reference = reference.map(crate::secrets::redact_userinfo);
    let doc = Document {
        target: Scrubbed(&target, secrets),
        reference: reference.as_deref().map(|r| Scrubbed(r, secrets)),
        passed: reports.iter().all(|r| !r.failed()),
        summary: Scrubbed(summary, secrets),
        scenarios: [],
    };
    // The document ends with `"scenarios": []` and `}`: the scenarios go between
    // the brackets, as serde_json would have put them, and are written to the
    // file as they are, part after part.
    let mut head = serde_json::to_vec_pretty(&doc).map_err(|e| cannot(e.to_string()))?;
    let mut parts = Vec::new();
    if !reports.is_empty() {
        if !head.ends_with(b"[]\n}") {
            return Err(cannot("unexpected end of the document".into()));
        }
        head.truncate(head.len() - 3);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        parts = write_scenarios(reports, secrets, threads.min(MAX_THREADS)).map_err(cannot)?;
    }
    let tail: &[u8] = if reports.is_empty() {
        b"\n"
    } else {
        b"\n  ]\n}\n"
    };
    // The document's own keys are scrubbed as text: a secret spelt like one of
    // them is hidden too. The scenarios were scrubbed one by one.
    let head = String::from_utf8(head).map_err(|e| cannot(e.to_string()))?;
    let head = secrets.scrub_cow(&head);
    let mut pieces: Vec<&[u8]> = vec![head.as_bytes()];
    pieces.extend(parts.iter().map(Vec::as_slice));
    pieces.push(tail);
    write_report_in_parts(path, &pieces).map_err(|e| ReportError::new(path, e.to_string()))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::checks::{Check, CheckFailure};
    use crate::replay::{Outcome, SentRequest};
    use crate::scenario::Phase;

    /// A one-step report whose step failed (the JUnit tests' too).
    pub(in crate::report) fn report() -> ScenarioReport {
        let step = StepRun {
            name: "a \"quoted\" step".into(),
            line: 7,
            phase: Phase::Main,
            request_line: "GET /things/{{id}}".into(),
            operation: Some("GetThing".into()),
            request: Some(SentRequest {
                method: "GET".into(),
                url: "/things/1".into(),
                headers: vec![("authorization".into(), "[redacted]".into())],
                body: None,
            }),
            outcome: Outcome::Response {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: r#"{"id":"1","note":"tab\there"}"#.into(),
            },
            checks_ran: vec![Check::StatusExpected, Check::BodySchema],
            failures: vec![CheckFailure {
                check: Check::BodySchema,
                message: "at /id: not a number".into(),
            }],
            failed_assertions: Vec::new(),
            attempts: 1,
            duration_ms: 0.25,
        };
        ScenarioReport {
            run: ScenarioRun {
                name: "things".into(),
                file: "things.yaml".into(),
                snapshot: "things".into(),
                skipped: None,
                steps: vec![step],
                vars: [("id".to_string(), "1".to_string())].into_iter().collect(),
                duration_ms: 1.5,
            },
            snapshot: SnapshotState::Changed {
                diff: "-a\n+b".into(),
                pending: "things.snap.new".into(),
            },
            diff: None,
        }
    }

    /// The scenario text of `report` the way the report was written before it was
    /// written directly: the whole report as a value, scrubbed, then written.
    fn through_value(report: &ScenarioReport, secrets: &Secrets) -> String {
        let mut value = serde_json::to_value(report).unwrap();
        secrets.scrub_json(&mut value);
        let mut out = Vec::new();
        value.serialize(&mut item_serializer(&mut out)).unwrap();
        secrets.scrub(&String::from_utf8(out).unwrap())
    }

    fn direct(report: &ScenarioReport, secrets: &Secrets) -> String {
        let mut out = Vec::new();
        write_scenario(&mut out, report, secrets).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_scenario_is_written_as_through_a_value() {
        let report = report();
        for secrets in [
            Secrets::default(),
            Secrets::new(["unrelated-secret".to_string()]),
            // In the body, a key, a var, and a quote in one: each path scrubs it.
            Secrets::new(["tab\there".to_string()]),
            Secrets::new(["things".to_string()]),
            Secrets::new(["\"quoted\"".to_string()]),
        ] {
            assert_eq!(direct(&report, &secrets), through_value(&report, &secrets));
        }
        // Nothing scrubbed, or something: the written text is what it was.
        let plain = direct(&report, &Secrets::default());
        assert!(plain.contains("\"snapshot\": {"), "{plain}");
        assert!(!plain.contains("\"snapshot\": \"things\""), "{plain}");
        let scrubbed = direct(&report, &Secrets::new(["tab\there".to_string()]));
        assert!(!scrubbed.contains("tab\\\\there"), "{scrubbed}");
    }

    #[test]
    fn a_body_quoting_with_escapes_is_judged_from_its_text_and_scrubbed_as_a_value() {
        // A 400 body quoting a value (`\"`) is written with `\\`: common, and
        // judged from the text unless the body's own escapes could spell a form.
        let with_body = |body: &str| {
            let mut r = report();
            r.run.steps[0].outcome = Outcome::Response {
                status: 400,
                headers: Vec::new(),
                body: body.into(),
            };
            r
        };
        let quoting = with_body(r#"{"message":"\"abc\" is too short"}"#);
        let unrelated = Secrets::new(["unrelated-secret".to_string()]);
        let text = direct(&quoting, &unrelated);
        assert!(text.contains(r#"\\\"abc"#), "{text}");
        assert!(unrelated.clean_as_json(text.as_bytes()));
        for (body, secret) in [
            // Plain, beside escapes.
            (r#"{"message":"\"s3cr3t-token\" is wrong"}"#, "s3cr3t-token"),
            // Spelt with the body's own escapes: `\u` and `\/`.
            (
                r#"{"message":"\"\u0073\u0033cr3t-token\""}"#,
                "s3cr3t-token",
            ),
            (r#"{"next":"https:\/\/x\/sk\/1234abcd"}"#, "sk/1234abcd"),
            // A secret with a quote, quoted by the body.
            (r#"{"message":"\"pa\\\"ss\" is wrong"}"#, "pa\"ss"),
            // Written as a number beside a string the walk rewrites.
            (r#"{"a":"12345678","b":12345678}"#, "12345678"),
            // A secret holding a backslash, seen only as JSON escapes a quote.
            ("ab\"cd", "ab\\\"cd"),
        ] {
            let report = with_body(body);
            let secrets = Secrets::new([secret.to_string()]);
            let written = direct(&report, &secrets);
            assert_eq!(written, through_value(&report, &secrets), "{body}");
            assert!(written.contains("[redacted]"), "{body}: {written}");
            assert!(!written.contains(secret), "{body}: {written}");
        }
    }

    /// A large run's scenarios are written on several threads: the parts put
    /// together are the text one thread writes, every scenario once and in order,
    /// each scrubbed (a secret in one part's scenario only).
    #[test]
    fn scenarios_written_side_by_side_are_the_text_written_in_one_go() {
        let reports: Vec<ScenarioReport> = (0..MAX_THREADS * SCENARIOS_PER_THREAD + 5)
            .map(|i| {
                let mut r = report();
                r.run.name = format!("scenario {i}");
                if i == 2 * SCENARIOS_PER_THREAD + 1 {
                    r.run.name.push_str(" s3cr3t-token");
                }
                r
            })
            .collect();
        let secrets = Secrets::new(["s3cr3t-token".to_string()]);
        let one = write_scenarios(&reports, &secrets, 1).unwrap();
        assert_eq!(one.len(), 1);
        for threads in [2, 3, MAX_THREADS] {
            let parts = write_scenarios(&reports, &secrets, threads).unwrap();
            assert_eq!(parts.len(), threads);
            assert_eq!(parts.concat(), one[0], "{threads} threads");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let summary = Summary::default();
        write_json(&path, "http://t", None, &summary, &reports, &secrets).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cr3t-token"));
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let names: Vec<&str> = doc["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), reports.len());
        for (i, name) in names.iter().enumerate() {
            assert!(name.starts_with(&format!("scenario {i}")), "{i}: {name}");
        }
    }

    #[test]
    fn items_are_indented_as_serde_json_indents_them() {
        let mut deep = serde_json::json!({"leaf": [1, {"a": []}, {}], "s": "x"});
        for i in 0..40 {
            deep = serde_json::json!({ format!("k{i}"): [deep, i] });
        }
        for value in [deep, serde_json::json!([]), serde_json::json!({"a": {}})] {
            let mut ours = Vec::new();
            value.serialize(&mut item_serializer(&mut ours)).unwrap();
            let mut formatter = serde_json::ser::PrettyFormatter::new();
            for _ in 0..2 {
                let _ = formatter.begin_array(&mut std::io::sink());
            }
            let mut theirs = Vec::new();
            value
                .serialize(&mut serde_json::Serializer::with_formatter(
                    &mut theirs,
                    formatter,
                ))
                .unwrap();
            assert_eq!(String::from_utf8(ours), String::from_utf8(theirs));
        }
    }

    #[test]
    fn the_document_is_written_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let reports = [report(), report()];
        let summary = Summary::of(&reports);
        let secrets = Secrets::new(["unrelated-secret".to_string()]);
        write_json(&path, "http://x", None, &summary, &reports, &secrets).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        #[derive(Serialize)]
        struct Whole<'a> {
            target: &'a str,
            passed: bool,
            summary: serde_json::Value,
            scenarios: Vec<serde_json::Value>,
        }
        let whole = Whole {
            target: "http://x",
            passed: false,
            summary: serde_json::to_value(&summary).unwrap(),
            scenarios: reports
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect(),
        };
        assert_eq!(
            written,
            serde_json::to_string_pretty(&whole).unwrap() + "\n"
        );
        // A secret spelt like a key, of the document or of a scenario, is hidden.
        for key in ["summary", "request_line"] {
            let secrets = Secrets::new([key.to_string()]);
            write_json(&path, "http://x", None, &summary, &reports, &secrets).unwrap();
            let written = std::fs::read_to_string(&path).unwrap();
            assert!(!written.contains(key), "{key}: {written}");
        }
        write_json(&path, "http://x", None, &summary, &[], &secrets).unwrap();
        let empty = std::fs::read_to_string(&path).unwrap();
        assert!(empty.ends_with("\"scenarios\": []\n}\n"), "{empty}");
    }
}
