//! The verdict in words, for the terminal and CI logs: one line per operation
//! with violations (counts by rule and the first request), unmatched requests,
//! and the coverage line.

use std::fmt;

use super::Verdict;

/// Operations the coverage line names as not called, at most.
const NOT_CALLED_SHOWN: usize = 20;

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
        // The first few only: a large document's thousand names made one
        // line of half a megabyte (the JSON report lists them all).
        if !c.not_called.is_empty() {
            line.push_str("; not called: ");
            let shown = c.not_called.len().min(NOT_CALLED_SHOWN);
            line.push_str(&c.not_called[..shown].join(", "));
            if c.not_called.len() > shown {
                line.push_str(&format!(
                    ", and {} more (--report-json lists them all)",
                    c.not_called.len() - shown
                ));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coverage_line_names_a_few_operations_not_called() {
        let mut v = Verdict::default();
        v.coverage.not_called = (0..1000).map(|i| format!("op{i}")).collect();
        let line = v.coverage_line();
        assert!(line.contains("not called: op0, op1,"), "{line}");
        assert!(line.contains("op19, and 980 more"), "{line}");
        assert!(!line.contains("op20"), "{line}");
        v.coverage.not_called.truncate(3);
        assert!(v.coverage_line().ends_with("not called: op0, op1, op2"));
    }
}
