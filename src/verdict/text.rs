//! The verdict in words, for the terminal and CI logs: one line per operation
//! with violations (counts by rule and the first request), unmatched requests,
//! and the coverage line.

use std::fmt;

use super::Verdict;

impl Verdict {
    /// `coverage: 3 of 7 operations called, 5 of 31 documented statuses answered; not called: …`
    pub fn coverage_line(&self) -> String {
        let c = &self.coverage;
        let mut line = format!(
            "coverage: {} of {} operations called, {} of {} documented statuses answered",
            c.operations_called,
            c.operations_documented,
            c.statuses_answered,
            c.statuses_documented
        );
        if !c.not_called.is_empty() {
            line.push_str("; not called: ");
            line.push_str(&c.not_called.join(", "));
        }
        line
    }
}

/// The summary `mimeo serve` and `mimeo proxy` print when they stop.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let violations: u64 = self
            .operations
            .iter()
            .chain(std::iter::once(&self.unmatched))
            .map(|o| o.violations)
            .sum();
        writeln!(
            f,
            "{}: {} request(s) judged against {}; {} broke the contract ({} violation(s))",
            self.tool, self.requests, self.contract, self.violating, violations
        )?;
        for op in self
            .operations
            .iter()
            .chain(std::iter::once(&self.unmatched))
        {
            if op.violations == 0 {
                continue;
            }
            let rules: Vec<String> = op.by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
            let name = match &op.operation_id {
                Some(id) => format!("{id} ({})", op.operation),
                None => op.operation.clone(),
            };
            writeln!(
                f,
                "  {name}: {} of {} request(s): {}",
                op.failing_requests,
                op.calls,
                rules.join(", ")
            )?;
            if let Some(first) = op.failures.first() {
                writeln!(f, "    first: {}: {}", first.request, first.message)?;
            }
        }
        writeln!(f, "{}", self.coverage_line())
    }
}
