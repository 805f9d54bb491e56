//! Contract verdicts over live traffic: did the client keep the contract? The
//! mock (and the proxy, for both sides of each exchange) counts every request
//! by operation and status, and keeps the violations by rule, so a CI job can
//! fail on them (`--fail-on-violation`), write them as JUnit or JSON
//! (`--report`, `--report-json`, in [`crate::report`]) and say what the client
//! exercised (the coverage line). Counting is a few atomic adds per request;
//! only a request with violations takes a lock.

mod text;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::contract::{Contract, Operation};
use crate::respond::response_index;

/// The most failures kept per operation (all are counted).
const MAX_FAILURES: usize = 50;

/// What a client's traffic did to the contract: per operation, the calls, the
/// statuses answered and every violation (the first 50 kept in full per
/// operation), and the coverage.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
/// // ... the client under test runs against server.url() ...
/// let verdict = server.verdict();
/// assert!(verdict.passed());
/// assert_eq!(verdict.coverage.operations_called, 0);
/// println!("{}", verdict.coverage_line());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `mimeo serve` or `mimeo proxy`.
    pub tool: String,
    /// The contract's title and version.
    pub contract: String,
    /// Requests judged (admin requests and CORS preflights are not).
    pub requests: u64,
    /// Requests with at least one violation.
    pub violating: u64,
    /// Every documented operation, in the contract's order (called or not).
    pub operations: Vec<OperationVerdict>,
    /// Requests no operation serves.
    pub unmatched: OperationVerdict,
    /// What the traffic exercised.
    pub coverage: Coverage,
}

/// One operation's calls and violations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationVerdict {
    /// Its operationId.
    pub operation_id: Option<String>,
    /// `METHOD /path/{template}` (for unmatched requests: `(no operation)`).
    pub operation: String,
    /// Requests it received.
    pub calls: u64,
    /// Answers by documented status key (`200`, `4XX`, `default`), and
    /// `other` for statuses it does not document (mimeo's own errors).
    pub statuses: BTreeMap<String, u64>,
    /// Violations, all counted.
    pub violations: u64,
    /// Requests with at least one violation.
    pub failing_requests: u64,
    /// Violations by rule (`request_valid/required`, `unknown`, `body_schema`).
    pub by_rule: BTreeMap<String, u64>,
    /// The first violations in full.
    pub failures: Vec<Failure>,
}

/// One violation, with the request that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The operation (`METHOD /path/{template}`, or `(no operation)`).
    pub operation: String,
    /// `POST /v1/Stores/...` (credentials redacted).
    pub request: String,
    /// The request's session.
    pub session: String,
    /// The check (`request_valid`, `unknown`, or a response check for the proxy).
    pub check: String,
    /// The rule within it (`required`, `pattern`, ...; the check again when it has none).
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

/// What the traffic exercised of the contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// Operations called at least once.
    pub operations_called: usize,
    /// Operations documented.
    pub operations_documented: usize,
    /// Documented statuses (per operation) answered at least once.
    pub statuses_answered: usize,
    /// Documented statuses, over all operations.
    pub statuses_documented: usize,
    /// The operations never called.
    pub not_called: Vec<String>,
}

impl Failure {
    /// `request_valid/required`, or the check alone when it has no rules (`unknown`).
    pub fn rule_key(&self) -> String {
        rule_key(&self.check, &self.rule)
    }
}

fn rule_key(check: &str, rule: &str) -> String {
    if rule == check {
        check.to_string()
    } else {
        // Put together by hand: `format!` costs several times as much, and
        // this runs for every violation recorded.
        let mut key = String::with_capacity(check.len() + 1 + rule.len());
        key.push_str(check);
        key.push('/');
        key.push_str(rule);
        key
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.request, self.message)
    }
}

impl Verdict {
    /// Whether no request broke the contract.
    pub fn passed(&self) -> bool {
        self.violating == 0
    }

    /// Every kept violation, with its operation.
    pub fn failures(&self) -> impl Iterator<Item = (&OperationVerdict, &Failure)> {
        self.operations
            .iter()
            .chain(std::iter::once(&self.unmatched))
            .flat_map(|op| op.failures.iter().map(move |f| (op, f)))
    }
}

/// One violation as the server found it.
pub(crate) struct Found<'a> {
    pub(crate) check: &'a str,
    pub(crate) rule: &'a str,
    /// Makes the message, redacted: called only while the verdict still lists
    /// failures (redaction is the costly part of counting a violation).
    pub(crate) message: Box<dyn FnOnce() -> String + 'a>,
}

/// Counts as requests go by.
pub(crate) struct Verdicts {
    tool: &'static str,
    ops: Vec<OpTally>,
    unmatched: OpTally,
    requests: AtomicU64,
    violating: AtomicU64,
}

struct OpTally {
    calls: AtomicU64,
    /// Parallel to the operation's documented responses.
    statuses: Vec<AtomicU64>,
    other: AtomicU64,
    detail: Mutex<Detail>,
}

#[derive(Default)]
struct Detail {
    violations: u64,
    failing: u64,
    by_rule: BTreeMap<String, u64>,
    failures: Vec<Failure>,
}

impl OpTally {
    fn new(responses: usize) -> OpTally {
        OpTally {
            calls: AtomicU64::new(0),
            statuses: (0..responses).map(|_| AtomicU64::new(0)).collect(),
            other: AtomicU64::new(0),
            detail: Mutex::default(),
        }
    }
}

impl Verdicts {
    pub(crate) fn new(tool: &'static str, contract: &Contract) -> Verdicts {
        Verdicts {
            tool,
            ops: contract
                .operations()
                .iter()
                .map(|o| OpTally::new(o.responses.len()))
                .collect(),
            unmatched: OpTally::new(0),
            requests: AtomicU64::new(0),
            violating: AtomicU64::new(0),
        }
    }

    /// Counts one request: its operation, the status answered (`None`: no
    /// answer, a fault), and its violations. `line` and `session` are only
    /// called when there are violations (and must be redacted).
    /// Counts `n` more violations of one request already recorded, found beyond
    /// those listed (their rules unknown), so the totals agree with the log.
    pub(crate) fn add_unlisted(&self, op: Option<&Operation>, n: usize) {
        if n == 0 {
            return;
        }
        let tally = match op {
            Some(op) => &self.ops[op.index.0],
            None => &self.unmatched,
        };
        let mut detail = tally.detail.lock().unwrap_or_else(PoisonError::into_inner);
        detail.violations += n as u64;
    }

    pub(crate) fn record<'f>(
        &self,
        op: Option<&Operation>,
        status: Option<u16>,
        found: impl IntoIterator<Item = Found<'f>>,
        line: impl FnOnce() -> (String, String),
    ) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let tally = match op {
            Some(op) => &self.ops[op.index.0],
            None => &self.unmatched,
        };
        tally.calls.fetch_add(1, Ordering::Relaxed);
        if let Some(status) = status {
            match op.and_then(|op| response_index(op, status)) {
                Some(i) => tally.statuses[i].fetch_add(1, Ordering::Relaxed),
                None => tally.other.fetch_add(1, Ordering::Relaxed),
            };
        }
        let mut found = found.into_iter().peekable();
        if found.peek().is_none() {
            return;
        }
        self.violating.fetch_add(1, Ordering::Relaxed);
        let mut detail = tally.detail.lock().unwrap_or_else(PoisonError::into_inner);
        detail.failing += 1;
        // The request's line and its operation's label, made for the first
        // listed failure only.
        let mut line = Some(line);
        let mut shown: Option<(String, String, String)> = None;
        for f in found {
            detail.violations += 1;
            let key = rule_key(f.check, f.rule);
            *detail.by_rule.entry(key).or_default() += 1;
            if detail.failures.len() < MAX_FAILURES {
                let (operation, request, session) = shown
                    .get_or_insert_with(|| {
                        let (request, session) = line.take().map(|l| l()).unwrap_or_default();
                        let operation =
                            op.map_or_else(|| "(no operation)".to_string(), Operation::label);
                        (operation, request, session)
                    })
                    .clone();
                detail.failures.push(Failure {
                    operation,
                    request,
                    session,
                    check: f.check.to_string(),
                    rule: f.rule.to_string(),
                    message: (f.message)(),
                });
            }
        }
    }

    /// The verdict so far.
    pub(crate) fn verdict(&self, contract: &Contract) -> Verdict {
        let mut operations = Vec::new();
        let mut coverage = Coverage {
            operations_called: 0,
            operations_documented: contract.operations().len(),
            statuses_answered: 0,
            statuses_documented: 0,
            not_called: Vec::new(),
        };
        for (op, tally) in contract.operations().iter().zip(&self.ops) {
            let v = tally.view(Some(op));
            coverage.statuses_documented += op.responses.len();
            coverage.statuses_answered += tally
                .statuses
                .iter()
                .filter(|c| c.load(Ordering::Relaxed) > 0)
                .count();
            if v.calls > 0 {
                coverage.operations_called += 1;
            } else {
                coverage.not_called.push(op.name());
            }
            operations.push(v);
        }
        Verdict {
            tool: self.tool.to_string(),
            contract: format!("{} {}", contract.title(), contract.version()),
            requests: self.requests.load(Ordering::Relaxed),
            violating: self.violating.load(Ordering::Relaxed),
            operations,
            unmatched: self.unmatched.view(None),
            coverage,
        }
    }
}

impl OpTally {
    fn view(&self, op: Option<&Operation>) -> OperationVerdict {
        let mut statuses = BTreeMap::new();
        if let Some(op) = op {
            for (r, c) in op.responses.iter().zip(&self.statuses) {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    statuses.insert(r.status.to_string(), n);
                }
            }
        }
        let other = self.other.load(Ordering::Relaxed);
        if other > 0 {
            statuses.insert("other".to_string(), other);
        }
        let detail = self.detail.lock().unwrap_or_else(PoisonError::into_inner);
        OperationVerdict {
            operation_id: op.and_then(|o| o.operation_id().map(str::to_string)),
            operation: op.map_or_else(|| "(no operation)".to_string(), Operation::label),
            calls: self.calls.load(Ordering::Relaxed),
            statuses,
            violations: detail.violations,
            failing_requests: detail.failing,
            by_rule: detail.by_rule.clone(),
            failures: detail.failures.clone(),
        }
    }
}
