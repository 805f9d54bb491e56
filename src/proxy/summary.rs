//! What the proxy saw: exchanges counted by outcome and violations counted by
//! check name, printed when it stops.

use std::fmt;

use super::record::Recording;
use crate::checks::Check;
use crate::verdict::Verdict;

/// Every check a violation is reported under, in the order the summary lists them.
const ORDER: [Check; 7] = [
    Check::RequestValid,
    Check::Unknown,
    Check::StatusDocumented,
    Check::ContentType,
    Check::BodySchema,
    Check::Headers,
    Check::UndocumentedFields,
];

/// Violations of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCount {
    /// The check (`body_schema`, `request_valid`, `unknown`, ...).
    pub check: Check,
    /// How many times it failed.
    pub count: usize,
    /// The first failure: `METHOD /path: message`.
    pub first: String,
}

/// Counts over a proxy run: what [`crate::ProxyServer::shutdown`] returns, and
/// what `mimeo proxy` prints when it stops.
///
/// # Examples
///
/// ```
/// use mimeo::{Check, ProxySummary};
///
/// let summary = ProxySummary::default();
/// assert_eq!(summary.count(Check::BodySchema), 0);
/// assert!(summary.to_string().starts_with("mimeo proxy: 0 exchange(s)"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProxySummary {
    /// Requests received.
    pub exchanges: usize,
    /// Answered by the target.
    pub forwarded: usize,
    /// Answered by the proxy itself: `--strict` refusals, bodies over the limit,
    /// and requests it could not read (a bare 400, 414 or 431, or the connection
    /// closed).
    pub refused: usize,
    /// The target could not be reached or did not answer in time (502 or 504).
    pub target_errors: usize,
    /// Answers passed on without their body checked: longer than the size held to
    /// check one, or the memory for checking was in use by other answers.
    pub unchecked: usize,
    /// Exchanges with at least one violation.
    pub with_violations: usize,
    /// Violations by check, in a fixed order.
    pub checks: Vec<CheckCount>,
    /// Scenario files written by `--record`.
    pub recordings: Vec<Recording>,
    /// Recordings that could not be written or did not load.
    pub recording_errors: Vec<String>,
    /// Calls, statuses and violations per operation, and the coverage: what
    /// `--report`, `--report-json` and `--fail-on-violation` use.
    pub verdict: Verdict,
}

impl ProxySummary {
    /// How many times `check` failed.
    pub fn count(&self, check: Check) -> usize {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .map_or(0, |c| c.count)
    }

    /// The first failure of `check`, if any.
    pub fn first(&self, check: Check) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .map(|c| c.first.as_str())
    }

    /// Counts one failure of `check` on the request `line`.
    pub(crate) fn add(&mut self, check: Check, line: &str, message: &str) {
        match self.checks.iter_mut().find(|c| c.check == check) {
            Some(c) => c.count += 1,
            None => {
                self.checks.push(CheckCount {
                    check,
                    count: 1,
                    first: crate::support::limits::truncate(
                        &format!("{line}: {message}"),
                        crate::support::limits::MAX_MESSAGE,
                    )
                    .into_owned(),
                });
                let rank = |c: &CheckCount| ORDER.iter().position(|o| *o == c.check);
                self.checks.sort_by_key(rank);
            }
        }
    }
}

impl ProxySummary {
    /// Counts `n` more failures of `check` that were not listed.
    pub(crate) fn add_count(&mut self, check: Check, n: usize) {
        if let Some(c) = self.checks.iter_mut().find(|c| c.check == check) {
            c.count += n;
        }
    }
}

impl fmt::Display for ProxySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mimeo proxy: {} exchange(s): {} answered by the target, {} by the proxy, {} target error(s); {} with violations",
            self.exchanges, self.forwarded, self.refused, self.target_errors, self.with_violations
        )?;
        if self.unchecked > 0 {
            writeln!(
                f,
                "mimeo proxy: {} answer(s) passed on without their body checked (too large, or the check memory was in use; see the log)",
                self.unchecked
            )?;
        }
        let width = self
            .checks
            .iter()
            .map(|c| c.check.name().len())
            .max()
            .unwrap_or(0);
        for c in &self.checks {
            writeln!(
                f,
                "  {:<width$}  {:>5}  first: {}",
                c.check.name(),
                c.count,
                crate::support::limits::printable(&c.first, false)
            )?;
        }
        for r in &self.recordings {
            writeln!(
                f,
                "mimeo proxy: recorded {} ({} steps)",
                r.file.display(),
                r.steps
            )?;
        }
        for e in &self.recording_errors {
            writeln!(
                f,
                "mimeo proxy: recording failed: {}",
                crate::support::limits::printable(e, false)
            )?;
        }
        Ok(())
    }
}
