//! What `mimeo replay` shows on a terminal: a line per scenario with its
//! failures, coloured diffs, all through `console` so colour follows `--color`
//! and `NO_COLOR`.

use std::fmt::Write as _;

use console::Style;
use mimeo::replay::Outcome;
use mimeo::report::ScenarioReport;
use mimeo::snapshot::SnapshotState;

/// Paints with colour or not, as decided once for the run.
#[derive(Clone, Copy)]
pub(crate) struct Painter {
    pub(crate) color: bool,
}

/// Text from a target or a file made safe for a terminal: control characters
/// (escape sequences among them) and non-characters shown as `\u{..}`, colour or
/// not, so an answer cannot move the cursor, clear the screen or retitle it.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            let n = c as u32;
            let bad = (c.is_control() && c != '\n' && c != '\t')
                || (0xFDD0..=0xFDEF).contains(&n)
                || (n & 0xFFFE) == 0xFFFE;
            if bad {
                format!("\\u{{{n:x}}}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        style
            .force_styling(self.color)
            .apply_to(printable(text))
            .to_string()
    }

    /// A unified diff with removed lines red, added green and hunk headers cyan.
    pub(crate) fn diff(&self, diff: &str) -> String {
        let mut out = String::with_capacity(diff.len());
        for line in diff.lines() {
            let style = match line.chars().next() {
                Some('-') => Style::new().red(),
                Some('+') => Style::new().green(),
                Some('@') => Style::new().cyan(),
                _ => Style::new(),
            };
            out.push_str(&self.paint(line, style));
            out.push('\n');
        }
        out
    }

    /// The line printed when a scenario finishes, plus one indented line per failure.
    pub(crate) fn scenario_lines(&self, r: &ScenarioReport) -> String {
        let mut out = String::new();
        if let Some(reason) = &r.run.skipped {
            let skip = self.paint("SKIP", Style::new().yellow());
            let _ = writeln!(
                out,
                "{skip} {} ({})",
                printable(&r.run.name),
                printable(reason)
            );
            return out;
        }
        let label = if r.failed() {
            self.paint("FAIL", Style::new().red())
        } else {
            self.paint("PASS", Style::new().green())
        };
        let _ = writeln!(
            out,
            "{label} {} ({} steps, {:.0} ms)",
            printable(&r.run.name),
            r.run.steps.len(),
            r.run.duration_ms
        );
        for (i, step) in r.run.steps.iter().enumerate() {
            for f in &step.failures {
                let _ = writeln!(
                    out,
                    "     {}:{} step {} `{}`: {}: {}",
                    printable(&r.run.file),
                    step.line,
                    i + 1,
                    printable(&step.name),
                    self.paint(f.check.name(), Style::new().bold()),
                    printable(&f.message)
                );
            }
            if let Outcome::Skipped { reason } = &step.outcome {
                let _ = writeln!(
                    out,
                    "     {}:{} step {} `{}`: skipped: {}",
                    printable(&r.run.file),
                    step.line,
                    i + 1,
                    printable(&step.name),
                    printable(reason)
                );
            }
        }
        if r.snapshot.fails() || matches!(r.snapshot, SnapshotState::New { .. }) {
            let _ = writeln!(out, "     snapshot: {}", printable(&r.snapshot.describe()));
        }
        out
    }
}

/// Each line of `text` indented under a scenario's line.
pub(crate) fn indent(text: &str) -> String {
    text.lines().map(|l| format!("     {l}\n")).collect()
}
