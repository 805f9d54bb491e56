//! The snapshot directory: one insta-format `.snap` per scenario; results that
//! differ wait beside it as `.snap.new` until accepted or rejected. Every write
//! is atomic (`crate::support::files`), and nothing replaces a `.snap` unless the
//! user accepts it. A result that had no answer for some step is incomplete and
//! is never written at all.
//!
//! Symbolic links: the snapshot directory itself may be one (it is the user's
//! choice where snapshots live), but a `.snap` or `.snap.new` inside it that is a
//! link is refused (a snapshot error naming it): it is never read, written
//! through, replaced, accepted or deleted, so a planted link can neither show
//! another file's content in a diff or report nor get another file overwritten.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::replay::ScenarioRun;
use crate::scenario::Scenario;
use crate::support::files::write_atomic;

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
    // A FIFO (or a device) named like a snapshot would block the run forever
    // in open or read: only a regular file is read.
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file; a snapshot is one (remove it)",
                path.display()
            )));
        }
    }
    // (read_to_string would say only "stream did not contain valid UTF-8".)
    String::from_utf8(std::fs::read(path)?).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes()[at];
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not UTF-8 text (byte 0x{byte:02x} at offset {at}); a snapshot is the text mimeo wrote",
                path.display()
            ),
        )
    })
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
        let text = match read(&self.path(name)) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Verdict::Missing),
            Err(e) => return Err(e),
        };
        if holds(&text, content) {
            remove(&self.pending_path(name))?;
            return Ok(Verdict::Matched);
        }
        let stored = contents(&text);
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
    /// A step got no answer, so the result is incomplete: nothing was written
    /// (not even with `--accept`) and the stored snapshot is left as it was.
    Incomplete {
        /// Which step had no answer, and why.
        reason: String,
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
            SnapshotState::Changed { .. }
            | SnapshotState::Error { .. }
            | SnapshotState::Incomplete { .. } => true,
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
            SnapshotState::Incomplete { reason } => {
                format!("not written: {reason}; the stored snapshot is left as it was")
            }
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
    /// `.snap.new` for review (or, in CI, nothing for a missing one). A run in
    /// which a step got no answer is never written, accepted or not.
    pub fn settle(
        &self,
        scenario: &Scenario,
        run: &ScenarioRun,
        text: &str,
        policy: SnapshotPolicy,
    ) -> SnapshotState {
        let name = &scenario.snapshot;
        if let Some(step) = run.incomplete() {
            let error = match &step.outcome {
                crate::replay::Outcome::NoResponse { error } => error.as_str(),
                _ => "",
            };
            return SnapshotState::Incomplete {
                reason: format!("step `{}` got no answer ({error})", step.name),
            };
        }
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

/// Whether the snapshot file `text` holds `content` by [`contents`] and
/// [`normalize`], decided without copying either when neither has a carriage
/// return (then both only drop trailing whitespace). `false` means "compare the
/// long way", not "different".
fn holds(text: &str, content: &str) -> bool {
    let body = body_of(text);
    !body.contains('\r') && !content.contains('\r') && body.trim_end() == content.trim_end()
}

/// The text [`contents`] keeps, as a slice: after the header, or all of it.
fn body_of(text: &str) -> &str {
    let mut lines = text.split_inclusive('\n');
    let mut at = match lines.next() {
        Some(first) if first.trim_end() == "---" => first.len(),
        _ => return text,
    };
    for line in lines {
        at += line.len();
        if line.trim_end() == "---" {
            return &text[at..];
        }
    }
    ""
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
    fn the_quick_comparison_agrees_with_the_long_one() {
        let texts = [
            file_text("a.yaml", "a", "line 1\nline 2\n\n"),
            file_text("a.yaml", "a", "line 1\r\nline 2\r\n"),
            "---\nsource: a\n---\nline 1\nline 2  \n".to_string(),
            "---\r\nsource: a\r\n---\r\nline 1\nline 2\n".to_string(),
            "---\nno end of the header\nline 1\n".to_string(),
            "no header\nline 1\n".to_string(),
            "---   \n---\t\n\nline 1".to_string(),
            String::new(),
        ];
        let contents_ = [
            "line 1\nline 2",
            "line 1\nline 2\n\n",
            "line 1\r\nline 2",
            "line 1\nline 3",
            "",
            "no header\nline 1",
            "\nline 1",
            "line 1",
        ];
        for text in &texts {
            for content in contents_ {
                let long = normalize(&contents(text)) == normalize(content);
                if holds(text, content) {
                    assert!(long, "{text:?} {content:?}");
                }
                if long && !text.contains('\r') && !content.contains('\r') {
                    assert!(holds(text, content), "{text:?} {content:?}");
                }
            }
        }
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
}
