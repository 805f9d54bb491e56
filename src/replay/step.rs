//! One step: send its request (again, while a `retry` waits for its `until`),
//! then judge the last answer: the contract's checks, the step's expectations,
//! and its captures.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::HeaderMap;
use indexmap::IndexMap;
use serde_json::Value;

use super::assert::{judge, Judged};
use super::request;
use super::vars::missing;
use super::{Outcome, ReplayOptions, StepRun, Stop};
use crate::checks::{check_response_of, AnswerBody, Check, CheckFailure};
use crate::contract::Contract;
use crate::http::client::Client;
use crate::scenario::{CaptureFrom, Phase, Step};

/// What every step of a scenario run is sent with.
pub(crate) struct StepCx<'a> {
    pub(crate) contract: &'a Contract,
    pub(crate) client: &'a Client,
    pub(crate) opts: &'a ReplayOptions,
    /// The mock session the scenario runs in, when the target is mimeo's mock.
    pub(crate) session: Option<&'a str>,
    pub(crate) stop: Option<&'a Stop>,
}

/// A step's result before it is sent: name, line, phase, operation.
pub(crate) fn blank(contract: &Contract, step: &Step, reason: &str) -> StepRun {
    StepRun {
        name: step.name.clone(),
        line: step.line,
        phase: step.phase,
        request_line: step.request_line(),
        operation: step.operation.map(|o| contract.op(o).name()),
        request: None,
        outcome: Outcome::Skipped {
            reason: reason.to_string(),
        },
        checks_ran: Vec::new(),
        failures: Vec::new(),
        failed_assertions: Vec::new(),
        attempts: 0,
        duration_ms: 0.0,
    }
}

type Answer = Result<(u16, HeaderMap, Bytes), String>;

/// Runs one step; `limit` caps its timeout and retries (the scenario's deadline).
pub(crate) async fn run_step(
    cx: &StepCx<'_>,
    step: &Step,
    label: &str,
    vars: &mut IndexMap<String, String>,
    failed_captures: &mut IndexMap<String, String>,
    issued: &mut super::issued::Issued,
    limit: Option<Duration>,
) -> StepRun {
    let mut result = blank(cx.contract, step, "");
    if let Some(name) = step.used().find(|v| !vars.contains_key(*v)) {
        result.outcome = Outcome::Skipped {
            reason: missing(name, failed_captures.get(name).map(String::as_str)),
        };
        for c in &step.captures {
            failed_captures
                .entry(c.var.clone())
                .or_insert_with(|| label.to_string());
        }
        return result;
    }
    let prepared = match request::build(step, vars, cx.opts, cx.session) {
        Ok(r) => r,
        Err(e) => {
            result.outcome = Outcome::NoResponse { error: e.clone() };
            result.fail(Check::Transport, e);
            return result;
        }
    };
    result.request = Some(prepared.describe());
    let configured = step.timeout.unwrap_or(cx.opts.timeout);
    let timeout = limit.map_or(configured, |l| configured.min(l));
    // The scenario's deadline, not the step's own timeout, ends this wait.
    let cut_short = timeout < configured;
    let started = Instant::now();
    let mut attempts = 0u32;
    let mut until_failed: Option<Judged> = None;
    // A stop cuts setup and main steps short, even mid-request; cleanup always finishes.
    let stop = cx.stop.filter(|_| step.phase != Phase::Cleanup);
    let answer: Answer = loop {
        attempts += 1;
        let send = cx.client.send(
            prepared.method.clone(),
            &prepared.path_and_query,
            prepared.headers.clone(),
            prepared.body.clone(),
            timeout,
            cx.opts.max_response,
        );
        let answer = match stop {
            Some(stop) => tokio::select! {
                a = send => a,
                () = stop.wait() => Err("the run was stopped before the answer came".to_string()),
            },
            None => send.await,
        };
        let Some(retry) = &step.retry else {
            break answer;
        };
        let judged = match &answer {
            Ok((status, headers, body)) => judge(
                &retry.until,
                true,
                *status,
                headers,
                &AnswerBody::new(body),
                vars,
            ),
            Err(e) => {
                let mut j = Judged::default();
                j.failures.push(CheckFailure {
                    check: Check::Transport,
                    message: e.clone(),
                });
                j
            }
        };
        if judged.held() {
            until_failed = None;
            break answer;
        }
        until_failed = Some(judged);
        // Attempts are due at 0, every, 2 x every, ... up to `for`.
        let elapsed = started.elapsed();
        let out_of_time = retry.every * attempts > retry.within
            || elapsed > retry.within
            || limit.is_some_and(|l| elapsed + retry.every >= l);
        if attempts >= retry.max_attempts() || out_of_time || stop.is_some_and(Stop::stopped) {
            break answer;
        }
        match stop {
            Some(stop) => tokio::select! {
                () = tokio::time::sleep(retry.every) => {}
                () = stop.wait() => break answer,
            },
            None => tokio::time::sleep(retry.every).await,
        }
    };
    result.attempts = attempts;
    result.duration_ms = started.elapsed().as_secs_f64() * 1e3;
    result.checks_ran.push(Check::Transport);
    let (status, headers, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            let e = match cut_short && e.starts_with("no response within") {
                true => "no response before the scenario's timeout passed".to_string(),
                false => e,
            };
            result.outcome = Outcome::NoResponse { error: e.clone() };
            let e = match step.retry.is_some() && attempts > 1 {
                true => format!("{e} (attempt {attempts})"),
                false => e,
            };
            result.fail(Check::Transport, e);
            for c in &step.captures {
                failed_captures.insert(c.var.clone(), label.to_string());
            }
            return result;
        }
    };

    // Read as JSON once, by whichever of the checks below looks first (a
    // retried step's last attempt was also read by its `until`).
    let received = AnswerBody::new(&body);
    if let Some(op) = step.operation.map(|i| cx.contract.op(i)) {
        let checked = check_response_of(
            cx.contract,
            &prepared.method,
            op,
            status,
            &headers,
            &received,
            step.expected(),
        );
        result.checks_ran.extend(checked.ran);
        result.failures.extend(checked.failures);
    }
    // Outside the contract only the expected status is judged, here.
    let with_status = step.operation.is_none();
    let judged = judge(&step.expect, with_status, status, &headers, &received, vars);
    result.checks_ran.extend(judged.ran);
    result.failures.extend(judged.failures);
    result.failed_assertions.extend(judged.assertions);
    if let (Some(retry), Some(still)) = (&step.retry, until_failed) {
        let spent = format!(
            "after {attempts} attempt(s) over {}",
            rounded(started.elapsed().min(retry.within))
        );
        if result.failures.is_empty() {
            // `until` differs from `expect` and never held.
            for f in still.failures {
                result.fail(
                    f.check,
                    format!("retry: `until` never held {spent}: {}", f.message),
                );
            }
            result.failed_assertions.extend(still.assertions);
        } else {
            for f in &mut result.failures {
                f.message.push_str(&format!(" ({spent})"));
            }
        }
    }
    dedup(&mut result.checks_ran);

    if !step.captures.is_empty() {
        result.checks_ran.push(Check::Capture);
        let json = received.json().ok();
        for c in &step.captures {
            match capture(&c.from, &headers, json) {
                Ok(v) => {
                    vars.insert(c.var.clone(), v);
                    failed_captures.shift_remove(&c.var);
                }
                Err(e) => {
                    result.fail(Check::Capture, format!("{}: {e}", c.var));
                    vars.shift_remove(&c.var);
                    failed_captures.insert(c.var.clone(), label.to_string());
                }
            }
        }
    }
    // Credentials the answer hands out, hidden from the run's results at its end.
    issued.note_body(&headers, &body, || received.json().ok());
    // The parsed body is not held while its text is copied below.
    drop(received);

    result.outcome = Outcome::Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| {
                // Reports keep every header except what hands out credentials.
                let secret = crate::secrets::secret_response_header(k.as_str());
                issued.note_header(k.as_str(), v.as_bytes(), secret);
                let value = if secret {
                    "[redacted]".to_string()
                } else {
                    text(v.as_bytes())
                };
                (k.as_str().to_string(), value)
            })
            .collect(),
        body: text(&body),
    };
    result
}

/// Bytes as text, lossy where they are not UTF-8 (`String::from_utf8_lossy`,
/// whose character-by-character walk is slower when, as nearly always, they are).
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl StepRun {
    fn fail(&mut self, check: Check, message: String) {
        if !self.checks_ran.contains(&check) {
            self.checks_ran.push(check);
        }
        self.failures.push(CheckFailure { check, message });
    }
}

/// A duration for people: `850ms`, `10.2s`.
fn rounded(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn dedup(checks: &mut Vec<Check>) {
    let mut seen = Vec::new();
    checks.retain(|c| {
        let first = !seen.contains(c);
        seen.push(*c);
        first
    });
}

fn capture(
    from: &CaptureFrom,
    headers: &HeaderMap,
    json: Option<&Value>,
) -> Result<String, String> {
    match from {
        CaptureFrom::Header(h) => headers
            .get(h)
            .ok_or_else(|| format!("the response has no {h} header"))?
            .to_str()
            .map(str::to_string)
            .map_err(|_| format!("the {h} header is not text")),
        CaptureFrom::Body(pointer) => {
            let json = json.ok_or("the response body is not JSON")?;
            match json.pointer(pointer) {
                None => Err(format!("the body has nothing at {pointer}")),
                Some(Value::Null) => Err(format!("the body has null at {pointer}")),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Ok(v.to_string()),
            }
        }
    }
}
