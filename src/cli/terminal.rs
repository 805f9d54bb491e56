//! What `mimeo replay` shows on a terminal: a line per scenario with its
//! failures (and, in a differential run, each classified difference with its
//! two-sided diff), coloured diffs, all through `console` so colour follows
//! `--color` and `NO_COLOR`.

use std::fmt::Write as _;
use std::io::IsTerminal;

use console::Style;
use mimeo::diff::{Class, ScenarioDiff};
use mimeo::replay::Outcome;
use mimeo::replay::ScenarioRun;
use mimeo::scenario::step_labels;
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
    let bad = |c: char| {
        let n = c as u32;
        (c.is_control() && c != '\n' && c != '\t')
            || (0xFDD0..=0xFDEF).contains(&n)
            || (n & 0xFFFE) == 0xFFFE
    };
    // Almost all text is printable as it is: copied whole, not char by char.
    if !text.chars().any(bad) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

impl Painter {
    /// `--color auto|always|never`; auto: stdout is a terminal and NO_COLOR is unset.
    pub(crate) fn from_flag(flag: &str) -> Painter {
        Painter {
            color: match flag {
                "always" => true,
                "never" => false,
                _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            },
        }
    }

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
    pub(crate) fn scenario_lines(
        &self,
        run: &ScenarioRun,
        snapshot: &SnapshotState,
        diff: Option<&ScenarioDiff>,
    ) -> String {
        let mut out = String::new();
        if let Some(reason) = &run.skipped {
            let skip = self.paint("SKIP", Style::new().yellow());
            let _ = writeln!(
                out,
                "{skip} {} ({})",
                printable(&run.name),
                printable(reason)
            );
            return out;
        }
        let label = if mimeo::report::fails(run, snapshot, diff) {
            self.paint("FAIL", Style::new().red())
        } else {
            self.paint("PASS", Style::new().green())
        };
        let agree = match diff {
            Some(d) if d.classes().is_empty() => "; target and reference agree",
            _ => "",
        };
        // Against a reference both sides ran at once: each its own time (the
        // target's alone hid a reference that took the scenario's whole length).
        let took = match diff {
            Some(d) => format!(
                "target {:.0} ms, reference {:.0} ms",
                run.duration_ms, d.reference.duration_ms
            ),
            None => format!("{:.0} ms", run.duration_ms),
        };
        let _ = writeln!(
            out,
            "{label} {} ({} steps, {took}{agree})",
            printable(&run.name),
            run.steps.len(),
        );
        let labels = step_labels(run.steps.iter().map(|s| s.phase));
        let file = &run.file;
        for (i, step) in run.steps.iter().enumerate() {
            // Most steps have nothing to say: their place is written only when they do.
            let shows = diff.is_some()
                || !step.failures.is_empty()
                || matches!(step.outcome, Outcome::Skipped { .. });
            if !shows {
                continue;
            }
            let at = format!(
                "     {}:{} step {} `{}`",
                printable(file),
                step.line,
                labels[i],
                printable(&step.name)
            );
            if let Some(d) = diff {
                self.compared(&mut out, &at, d, i);
            }
            for f in &step.failures {
                let side = if diff.is_some() { "target: " } else { "" };
                let check = self.paint(f.check.name(), Style::new().bold());
                let _ = writeln!(out, "{at}: {side}{check}: {}", printable(&f.message));
            }
            if let Outcome::Skipped { reason } = &step.outcome {
                let _ = writeln!(out, "{at}: skipped: {}", printable(reason));
            }
        }
        if let Some(d) = diff {
            for n in &d.noise {
                if let Some((first, second)) = n.statuses {
                    let _ = writeln!(
                        out,
                        "     no noise learned: step {} `{}`: the target answered {first}, then {second} (its first run changed what the second found), so the step is compared in full",
                        n.step,
                        printable(&n.name),
                    );
                    continue;
                }
                let mut what: Vec<String> = n.pointers.clone();
                what.extend(n.headers.iter().map(|h| format!("header {h}")));
                let _ = writeln!(
                    out,
                    "     learned noise: step {} `{}`: {}",
                    n.step,
                    printable(&n.name),
                    printable(&what.join(", "))
                );
            }
        }
        if snapshot.fails() || matches!(snapshot, SnapshotState::New { .. }) {
            let _ = writeln!(out, "     snapshot: {}", printable(&snapshot.describe()));
        }
        out
    }

    /// A step's classified differences: the class, what broke, and the diff.
    fn compared(&self, out: &mut String, at: &str, d: &ScenarioDiff, i: usize) {
        let Some(step) = d.steps.get(i) else {
            return;
        };
        for class in &step.classes {
            let (style, name) = match class {
                Class::MimeoDefect => (
                    Style::new().red().bold(),
                    "MIMEO DEFECT (mimeo's mock broke the contract; please report it)".to_string(),
                ),
                other => (Style::new().red(), other.to_string()),
            };
            let _ = writeln!(out, "{at}: {}", self.paint(&name, style));
        }
        for b in &step.reference_breaks {
            let _ = writeln!(
                out,
                "       reference breaks the contract: {}",
                printable(b)
            );
        }
        if !step.diff.is_empty() {
            out.push_str(&indent_by(&self.diff(&step.diff), 7));
        }
        if let Some(r) = d.reference.steps.get(i) {
            for f in r
                .failures
                .iter()
                .filter(|f| !step.reference_breaks.contains(&f.to_string()))
            {
                let _ = writeln!(
                    out,
                    "{at}: reference: {}: {}",
                    f.check,
                    printable(&f.message)
                );
            }
        }
    }
}

/// Each line of `text` indented under a scenario's line.
pub(crate) fn indent(text: &str) -> String {
    indent_by(text, 5)
}

fn indent_by(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}
