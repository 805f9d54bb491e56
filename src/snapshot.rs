//! Snapshots: each scenario's results as a plain text file a reviewer can read.
//!
//! Files are insta's format (`---` metadata `---` then the text), one per scenario
//! in `snapshots/`, so `cargo insta review` works on them too. A result that differs
//! from the stored one is written beside it as `.snap.new`; nothing replaces a
//! `.snap` unless the user accepts it. Every write goes to a temporary file first and
//! is renamed into place, so an interrupted run never leaves half a snapshot.
//!
//! Symbolic links: the snapshot directory itself may be one (it is the user's
//! choice where snapshots live), but a `.snap` or `.snap.new` inside it that is a
//! link is refused (a snapshot error naming it): it is never read, written
//! through, replaced, accepted or deleted, so a planted link can neither show
//! another file's content in a diff or report nor get another file overwritten.
//!
//! Rendering hides what changes from run to run or target to target: the target's
//! address becomes `[target]`, values of variables become `{{name}}`, credentials
//! become `[redacted]`, and the scenario's own `redact` rules apply last.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use similar::TextDiff;

use crate::contract::Contract;
use crate::replay::{Outcome, ScenarioRun};
use crate::scenario::{placeholder, RedactTarget, Scenario};
use crate::secrets::Secrets;
use crate::support::files::write_atomic;

/// Variable values shorter than this are not turned back into `{{name}}`: short
/// values (`email`, `1`) would match unrelated text.
const MIN_VAR_LEN: usize = 8;

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
    let redactor = Redactor::new(scenario, run, target_base, secrets);
    let mut out = String::new();
    for (i, (step, result)) in scenario.steps.iter().zip(&run.steps).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("## {}. {}\n", i + 1, step.name));
        out.push_str(&result.request_line);
        out.push('\n');
        match &result.outcome {
            Outcome::Skipped { reason } => out.push_str(&format!("-> skipped: {reason}\n")),
            Outcome::NoResponse { error } => {
                out.push_str(&format!("-> no response: {}\n", redactor.text(error)))
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
                out.push_str(&format!("-> {status} {reason}\n").replace(" \n", "\n"));
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
                for (name, value) in headers {
                    if shown(name) {
                        out.push_str(&format!("{name}: {}\n", redactor.header(name, value)));
                    }
                }
                if !body.is_empty() {
                    out.push('\n');
                    out.push_str(&redactor.body(body));
                    out.push('\n');
                }
            }
        }
    }
    out
}

struct Redactor<'a> {
    scenario: &'a Scenario,
    target: String,
    /// (value, placeholder), longest value first.
    vars: Vec<(String, String)>,
    secrets: &'a Secrets,
}

impl<'a> Redactor<'a> {
    fn new(
        scenario: &'a Scenario,
        run: &ScenarioRun,
        target_base: &str,
        secrets: &'a Secrets,
    ) -> Redactor<'a> {
        let mut vars: Vec<(String, String)> = run
            .vars
            .iter()
            .filter(|(_, v)| v.len() >= MIN_VAR_LEN)
            .map(|(k, v)| (v.clone(), placeholder(k)))
            .collect();
        vars.sort_by_key(|v| std::cmp::Reverse(v.0.len()));
        // The target as it appears in answers: without credentials in its URL.
        let target = crate::secrets::redact_userinfo(target_base.trim_end_matches('/'))
            .replace("[redacted]@", "");
        Redactor {
            scenario,
            target,
            vars,
            secrets,
        }
    }

    fn text(&self, s: &str) -> String {
        let mut s = self.secrets.scrub(s);
        if !self.target.is_empty() {
            s = s.replace(self.target.as_str(), "[target]");
        }
        for (value, name) in &self.vars {
            s = s.replace(value.as_str(), name);
        }
        for r in &self.scenario.redact {
            if let RedactTarget::Matching(re) = &r.target {
                s = re.replace_all(&s, regex::NoExpand(&r.with)).into_owned();
            }
        }
        s
    }

    fn header(&self, name: &str, value: &str) -> String {
        let ruled = self
            .scenario
            .redact
            .iter()
            .find(|r| matches!(&r.target, RedactTarget::Header(h) if h.as_str() == name));
        match ruled {
            Some(r) => r.with.clone(),
            None => self.text(value),
        }
    }

    fn body(&self, body: &str) -> String {
        let Ok(mut value) = serde_json::from_str::<Value>(body) else {
            return self.text(body.trim_end());
        };
        self.strings(&mut value);
        for r in &self.scenario.redact {
            if let RedactTarget::Body(tokens) = &r.target {
                replace_at(&mut value, tokens, &r.with);
            }
        }
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_string())
    }

    fn strings(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.strings(v)),
            Value::Object(map) => {
                // A credential may be a member's name, too.
                let secret_key = map
                    .keys()
                    .any(|k| matches!(self.secrets.scrub_cow(k), std::borrow::Cow::Owned(_)));
                if secret_key {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.insert(self.secrets.scrub(&k), v);
                    }
                }
                map.values_mut().for_each(|v| self.strings(v))
            }
            _ => {}
        }
    }
}

/// Replaces every value at `tokens` (`*` matches any member or index).
fn replace_at(value: &mut Value, tokens: &[String], with: &str) {
    let Some((first, rest)) = tokens.split_first() else {
        *value = Value::String(with.to_string());
        return;
    };
    match value {
        Value::Object(map) => {
            if first == "*" {
                map.values_mut().for_each(|v| replace_at(v, rest, with));
            } else if let Some(v) = map.get_mut(first) {
                replace_at(v, rest, with);
            }
        }
        Value::Array(items) => {
            if first == "*" {
                items.iter_mut().for_each(|v| replace_at(v, rest, with));
            } else if let Some(v) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                replace_at(v, rest, with);
            }
        }
        _ => {}
    }
}

/// How a fresh result compares with the stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Same text.
    Matched,
    /// No stored snapshot.
    Missing,
    /// Different text; the unified diff, old to new (no colour).
    Changed(String),
}

/// The snapshot directory: one insta-format `.snap` per scenario, results that
/// differ written beside them as `.snap.new` until accepted or rejected.
///
/// # Examples
///
/// ```
/// use mimeo::Snapshots;
/// use mimeo::snapshot::Verdict;
///
/// let dir = tempfile::tempdir()?;
/// let store = Snapshots::new(dir.path());
/// assert_eq!(store.compare("lifecycle", "## 1. add\n-> 202")?, Verdict::Missing);
/// assert!(store.pending()?.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Snapshots {
    dir: PathBuf,
}

/// Refuses a snapshot file that is a symbolic link (see the module docs).
fn no_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(format!(
            "{} is a symbolic link; mimeo does not follow links inside the snapshot directory (remove it)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Reads a snapshot file that is not a link.
fn read(path: &Path) -> io::Result<String> {
    no_link(path)?;
    std::fs::read_to_string(path)
}

/// Deletes a snapshot file that is not a link; one that is not there is fine.
fn remove(path: &Path) -> io::Result<()> {
    no_link(path)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Snapshots {
    /// Snapshots live in `dir` (created when the first one is written).
    pub fn new(dir: impl Into<PathBuf>) -> Snapshots {
        Snapshots { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `dir/NAME.snap`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap"))
    }

    /// `dir/NAME.snap.new`.
    pub fn pending_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap.new"))
    }

    /// Compares `content` with the stored snapshot `name`. A stale `.snap.new` for a
    /// snapshot that now matches is removed.
    pub fn compare(&self, name: &str, content: &str) -> io::Result<Verdict> {
        let stored = match read(&self.path(name)) {
            Ok(text) => contents(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Verdict::Missing),
            Err(e) => return Err(e),
        };
        if normalize(&stored) == normalize(content) {
            remove(&self.pending_path(name))?;
            return Ok(Verdict::Matched);
        }
        Ok(Verdict::Changed(unified_diff(&stored, content)))
    }

    /// Writes `content` as `NAME.snap.new` when `pending` (never touching
    /// `NAME.snap`), else straight to `NAME.snap` (the caller was told to accept),
    /// removing a pending file that would now be stale.
    pub(crate) fn write(
        &self,
        name: &str,
        pending: bool,
        source: &str,
        expression: &str,
        content: &str,
    ) -> io::Result<PathBuf> {
        let path = if pending {
            self.pending_path(name)
        } else {
            self.path(name)
        };
        no_link(&path)?;
        write_atomic(&path, &file_text(source, expression, content))?;
        if !pending {
            remove(&self.pending_path(name))?;
        }
        Ok(path)
    }

    /// Every pending `.snap.new` in the directory, sorted.
    pub fn pending(&self) -> io::Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".snap.new"))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// Moves `NAME.snap.new` over `NAME.snap`.
    pub fn accept(&self, name: &str) -> io::Result<()> {
        no_link(&self.pending_path(name))?;
        no_link(&self.path(name))?;
        std::fs::rename(self.pending_path(name), self.path(name))
    }

    /// Deletes `NAME.snap.new`.
    pub fn reject(&self, name: &str) -> io::Result<()> {
        no_link(&self.pending_path(name))?;
        std::fs::remove_file(self.pending_path(name))
    }

    /// The diff a pending snapshot would make (against nothing when new).
    pub fn pending_diff(&self, name: &str) -> io::Result<String> {
        let new = contents(&read(&self.pending_path(name))?);
        let old = match read(&self.path(name)) {
            Ok(text) => contents(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        Ok(unified_diff(&old, &new))
    }

    /// Walks through pending snapshots one by one, showing each diff (through
    /// `show`, which may colour it) on `output` and reading answers from `input`:
    /// a(ccept), r(eject), s(kip). Returns what was decided.
    pub fn review(
        &self,
        input: &mut dyn BufRead,
        output: &mut dyn Write,
        show: &dyn Fn(&str) -> String,
    ) -> io::Result<ReviewTally> {
        let mut tally = ReviewTally::default();
        let pending = self.pending()?;
        let total = pending.len();
        for (i, name) in pending.iter().enumerate() {
            writeln!(
                output,
                "\n[{}/{total}] {}",
                i + 1,
                self.pending_path(name).display()
            )?;
            write!(output, "{}", show(&self.pending_diff(name)?))?;
            loop {
                write!(output, "accept (a), reject (r), skip (s)? ")?;
                output.flush()?;
                let mut line = String::new();
                if input.read_line(&mut line)? == 0 {
                    // End of input: leave the rest pending.
                    writeln!(output)?;
                    tally.skipped += total - i;
                    return Ok(tally);
                }
                match line.trim() {
                    "a" | "accept" => {
                        self.accept(name)?;
                        tally.accepted_names.push(name.clone());
                    }
                    "r" | "reject" => {
                        self.reject(name)?;
                        tally.rejected_names.push(name.clone());
                    }
                    "s" | "skip" | "" => tally.skipped += 1,
                    other => {
                        writeln!(output, "`{other}`: answer a, r or s")?;
                        continue;
                    }
                }
                break;
            }
        }
        Ok(tally)
    }
}

/// What happened to a scenario's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SnapshotState {
    /// The scenario did not run; nothing compared.
    NotCompared,
    /// Same as the stored one.
    Matched,
    /// Differs; the new result is pending as `.snap.new`.
    Changed {
        /// Unified diff, old to new.
        diff: String,
        /// Where the new result went.
        pending: String,
    },
    /// No stored snapshot; written as `.snap.new` unless in CI.
    New {
        /// Where it went, if written.
        pending: Option<String>,
        /// Whether it fails the run (in CI).
        fails: bool,
    },
    /// Written to `.snap` because the run was told to accept.
    Accepted {
        /// The file.
        path: String,
    },
    /// The snapshot could not be read or written.
    Error {
        /// What went wrong.
        message: String,
    },
}

impl SnapshotState {
    /// Whether this state fails the run.
    pub fn fails(&self) -> bool {
        match self {
            SnapshotState::Changed { .. } | SnapshotState::Error { .. } => true,
            SnapshotState::New { fails, .. } => *fails,
            _ => false,
        }
    }

    /// A short phrase for the terminal and JUnit.
    pub fn describe(&self) -> String {
        match self {
            SnapshotState::NotCompared => "not compared".into(),
            SnapshotState::Matched => "matches".into(),
            SnapshotState::Changed { pending, .. } => {
                format!("differs from the stored snapshot; new result in {pending}")
            }
            SnapshotState::New {
                pending: Some(p), ..
            } => format!("new; written to {p} for review"),
            SnapshotState::New { pending: None, .. } => {
                "missing, and CI is set: record it locally and commit it".into()
            }
            SnapshotState::Accepted { path } => format!("accepted into {path}"),
            SnapshotState::Error { message } => message.clone(),
        }
    }
}

/// How a run treats a result that differs from its snapshot, or has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Write results straight to `.snap` (`--accept`).
    pub accept: bool,
    /// Running in CI: a missing snapshot fails instead of being written for review.
    pub ci: bool,
}

impl Snapshots {
    /// Compares one scenario's rendered result with its snapshot and writes what
    /// `policy` allows: nothing when it matches, `.snap` when accepting, else
    /// `.snap.new` for review (or, in CI, nothing for a missing one).
    pub fn settle(&self, scenario: &Scenario, text: &str, policy: SnapshotPolicy) -> SnapshotState {
        let name = &scenario.snapshot;
        let source = scenario.file.display().to_string();
        let io_error = |e: io::Error, path: PathBuf| SnapshotState::Error {
            message: format!("{}: {e}", path.display()),
        };
        let verdict = match self.compare(name, text) {
            Ok(v) => v,
            Err(e) => return io_error(e, self.path(name)),
        };
        match verdict {
            Verdict::Matched => SnapshotState::Matched,
            _ if policy.accept => match self.write(name, false, &source, &scenario.name, text) {
                Ok(p) => SnapshotState::Accepted {
                    path: p.display().to_string(),
                },
                Err(e) => io_error(e, self.path(name)),
            },
            Verdict::Missing if policy.ci => SnapshotState::New {
                pending: None,
                fails: true,
            },
            Verdict::Missing | Verdict::Changed(_) => {
                match self.write(name, true, &source, &scenario.name, text) {
                    Ok(p) => {
                        let pending = p.display().to_string();
                        match verdict {
                            Verdict::Changed(diff) => SnapshotState::Changed { diff, pending },
                            _ => SnapshotState::New {
                                pending: Some(pending),
                                fails: false,
                            },
                        }
                    }
                    Err(e) => io_error(e, self.pending_path(name)),
                }
            }
        }
    }
}

/// What a review did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReviewTally {
    /// Snapshots accepted.
    pub accepted_names: Vec<String>,
    /// Pending results deleted.
    pub rejected_names: Vec<String>,
    /// Left pending.
    pub skipped: usize,
}

/// The text of a snapshot file: metadata, then the content.
fn file_text(source: &str, expression: &str, content: &str) -> String {
    let quoted = serde_json::to_string(expression).unwrap_or_else(|_| "\"\"".into());
    format!(
        "---\nsource: {source}\nexpression: {quoted}\n---\n{}\n",
        normalize(content)
    )
}

/// The content part of a snapshot file (what follows the metadata block).
fn contents(text: &str) -> String {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return text.to_string();
    }
    for line in lines.by_ref() {
        if line.trim_end() == "---" {
            break;
        }
    }
    lines.collect::<Vec<_>>().join("\n")
}

/// insta's comparison: trailing whitespace and CRLF do not count.
fn normalize(s: &str) -> String {
    s.trim_end().replace("\r\n", "\n")
}

/// A unified diff, `-` old and `+` new, three lines of context (what `similar`
/// writes; the terminal colours it).
pub(crate) fn unified_diff(old: &str, new: &str) -> String {
    let (old, new) = (normalize(old), normalize(new));
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_and_insta_normalisation() {
        let text = file_text("conformance/a.yaml", "a \"b\"", "line 1\nline 2\n\n");
        assert!(
            text.starts_with("---\nsource: conformance/a.yaml\nexpression: \"a \\\"b\\\"\"\n---\n")
        );
        assert_eq!(contents(&text), "line 1\nline 2");
        assert_eq!(normalize("x\r\ny  \n\n"), "x\ny");
    }

    #[test]
    fn diff_marks_changes() {
        let d = unified_diff("a\nb\nc\n", "a\nB\nc\n");
        assert!(
            d.contains("-b\n") && d.contains("+B\n") && d.starts_with("@@ -1,3 +1,3 @@"),
            "{d}"
        );
        assert_eq!(unified_diff("same", "same\n"), "");
    }

    #[test]
    fn pointer_redaction_with_wildcards() {
        let mut v = serde_json::json!({"items": [{"at": 1, "k": 2}, {"at": 3}], "at": 4});
        replace_at(&mut v, &["items".into(), "*".into(), "at".into()], "[date]");
        assert_eq!(
            v,
            serde_json::json!({"items": [{"at": "[date]", "k": 2}, {"at": "[date]"}], "at": 4})
        );
    }
}
