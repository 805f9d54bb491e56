//! What the journal shows: each entry with credentials redacted, in WireMock's
//! field names where the concept is the same (`request.url`, `request.method`,
//! `request.loggedDate`, `wasMatched`, `responseDefinition.status`) plus mimeo's
//! own (`session`, `operationId`, `valid`, `violations`, `status`, `reason`,
//! `draws`). The admin endpoints serialize these; the Rust API returns them.

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

use super::redact::Redactor;
use super::{Drawn, Entry, Why};
use crate::contract::Contract;
use crate::respond::fault::{Dribble, Fault};
use crate::respond::rules::Rule;
use crate::secrets::Secrets;
use crate::validate::{Place, Violation};

/// One request the mock received, as the journal shows it (credentials redacted).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
/// // ... the client under test sends its requests to server.url() ...
/// for r in server.received_requests() {
///     println!("{} {} -> {} ({})", r.request.method, r.request.url, r.status, r.reason);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournaledRequest {
    /// The entry's id (increasing).
    pub id: String,
    /// The request as received.
    pub request: LoggedRequest,
    /// Whether an operation of the contract serves the request.
    pub was_matched: bool,
    /// The session the request belongs to (`[redacted]` when its name is a credential).
    pub session: String,
    /// The operation's `operationId`.
    pub operation_id: Option<String>,
    /// The operation as `METHOD /path/{template}`.
    pub operation: Option<String>,
    /// Whether the request keeps the contract (no violations).
    pub valid: bool,
    /// Every way the request breaks its operation's contract.
    pub violations: Vec<RequestViolation>,
    /// The status answered (0: a fault, no answer).
    pub status: u16,
    /// Why the mock answered so.
    pub reason: Reason,
    /// The random draws behind the answer.
    pub draws: Draws,
    /// WireMock's place for the answer: its status.
    pub response_definition: ResponseDefinition,
    /// How long the answer took, delays included.
    pub timing: Timing,
}

/// The request part of a journal entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Path and query, as sent.
    pub url: String,
    /// With the mock's scheme and address.
    pub absolute_url: String,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The client's address.
    pub client_ip: String,
    /// Headers by (lower-case) name; repeated headers joined with `, `.
    pub headers: IndexMap<String, String>,
    /// Query parameters, decoded.
    pub query_params: IndexMap<String, Vec<String>>,
    /// The body as text (empty when there was none or it is not text).
    pub body: String,
    /// The body in base64, when it is not text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_as_base64: Option<String>,
    /// The body's size in bytes.
    pub body_size: usize,
    /// Whether the body was longer than the journal keeps (64 KiB).
    pub body_truncated: bool,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub logged_date: i64,
    /// The same as RFC 3339 text.
    pub logged_date_string: String,
}

/// One broken rule of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestViolation {
    /// `path`, `query`, `header`, `cookie` or `body`.
    pub location: String,
    /// The parameter or header, or the body's JSON pointer (`""` for the whole body).
    pub name: String,
    /// The rule broken: a JSON Schema keyword (`pattern`, `required`, ...) or
    /// `content-type`, `json`, `accept`, `unknown`.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RequestViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.location.as_str(), self.name.as_str()) {
            ("body", "") => write!(f, "body")?,
            ("path", n) => write!(f, "path parameter {n}")?,
            ("query", n) => write!(f, "query parameter {n}")?,
            (loc, "") => write!(f, "{loc}")?,
            (loc, n) => write!(f, "{loc} {n}")?,
        }
        write!(f, ": {}: {}", self.rule, self.message)
    }
}

impl RequestViolation {
    pub(crate) fn of(v: &Violation, redact: impl Fn(&str) -> String) -> RequestViolation {
        let location = match v.place {
            Place::Path => "path",
            Place::Query => "query",
            Place::Header => "header",
            Place::Cookie => "cookie",
            Place::Body => "body",
        };
        RequestViolation {
            location: location.into(),
            name: redact(&v.name),
            rule: v.rule.clone(),
            message: redact(&v.message),
        }
    }
}

/// Why the mock answered as it did. New reasons, and new details of a
/// reason, come as the mock learns to say more: match with a `_` arm and `..`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// The operation's default answer.
    Default,
    /// `Prefer` (or a `__` query control) asked for it.
    Prefer {
        /// What was asked (`code=409, delay=200ms`).
        asked: String,
    },
    /// A server-side rule chose or shaped it.
    #[non_exhaustive]
    Rule {
        /// The rule, as written.
        rule: String,
        /// The step of its sequence (1-based), for a sequence.
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<usize>,
        /// The sequence's length.
        #[serde(skip_serializing_if = "Option::is_none")]
        of: Option<usize>,
        /// In a stateful run a sequence's success step, and the answer to a rule
        /// that only shapes it, come from the state model: what it said when
        /// that was an error or a redirect.
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<String>,
    },
    /// The state model decided (stateful mode).
    State {
        /// For errors and redirects, what the model said.
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A fault instead of an answer.
    Fault {
        /// Which.
        fault: Fault,
        /// The rule that asked for it; none: `Prefer`.
        #[serde(skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    /// The request broke the contract; the violations say how.
    Invalid,
    /// No operation has this path.
    NotFound,
    /// The path is documented, not for this method.
    MethodNotAllowed,
    /// Credentials were missing or wrong.
    Auth {
        /// Which.
        why: String,
    },
    /// No documented media type satisfies the request's `Accept`.
    NotAcceptable,
    /// The body was over the size limit.
    TooLarge,
    /// The body could not be read.
    Unreadable {
        /// The error.
        why: String,
    },
    /// mimeo's own error (the `mimeo-error` header): a `Prefer` the contract
    /// cannot satisfy, a state limit.
    MockError {
        /// The `mimeo-error` value.
        error: String,
        /// The message.
        message: String,
    },
    /// A CORS preflight, answered by the mock.
    Preflight,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Default => f.write_str("default"),
            Reason::Prefer { asked } => write!(f, "Prefer {asked}"),
            Reason::Rule {
                rule,
                step,
                of,
                state,
            } => {
                match (step, of) {
                    (Some(s), Some(n)) => write!(f, "rule {rule}, status {s} of {n}")?,
                    _ => write!(f, "rule {rule}")?,
                }
                match state {
                    Some(d) => write!(f, ", state: {d}"),
                    None => Ok(()),
                }
            }
            Reason::State { detail: None } => f.write_str("state"),
            Reason::State { detail: Some(d) } => write!(f, "state: {d}"),
            Reason::Fault { fault, rule: None } => write!(f, "fault {fault} (Prefer)"),
            Reason::Fault {
                fault,
                rule: Some(r),
            } => write!(f, "fault {fault} (rule {r})"),
            Reason::Invalid => f.write_str("the request breaks the contract"),
            Reason::NotFound => f.write_str("no operation has this path"),
            Reason::MethodNotAllowed => f.write_str("no operation has this method on this path"),
            Reason::Auth { why } => f.write_str(why),
            Reason::NotAcceptable => f.write_str("no documented media type satisfies Accept"),
            Reason::TooLarge => f.write_str("the body is over the limit"),
            Reason::Unreadable { why } => write!(f, "the body could not be read: {why}"),
            Reason::MockError { error, message } => write!(f, "mimeo-error {error}: {message}"),
            Reason::Preflight => f.write_str("CORS preflight"),
        }
    }
}

/// The random draws behind an answer, reproducible from the server's seed.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Draws {
    /// Each rule with a `probability` that matched, in order: its draw, and
    /// whether it applied (draw < probability).
    pub probability: Vec<Draw>,
    /// The delay added, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
    /// Whether the delay was drawn from a distribution (not fixed).
    pub delay_drawn: bool,
    /// The dribble the body was sent with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dribble: Option<Dribble>,
}

/// One probability draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draw {
    /// The rule.
    pub rule: String,
    /// The rule's probability.
    pub probability: f64,
    /// The draw, in [0, 1).
    pub draw: f64,
    /// Whether the rule applied.
    pub applied: bool,
}

/// WireMock's `responseDefinition`: here, the status answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResponseDefinition {
    /// The status (0: a fault, no answer).
    pub status: u16,
}

/// How long the answer took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// From the request's arrival to the answer (delays included, dribbling not).
    pub total_ms: f64,
}

/// What turning entries into their views needs.
pub(crate) struct ViewCx<'a> {
    pub(crate) contract: &'a Contract,
    pub(crate) rules: &'a [Rule],
    /// The server's own credentials (`--auth`), hidden everywhere.
    pub(crate) secrets: &'a Secrets,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: &'a str,
}

impl Why {
    /// The reason as shown (rule names, messages redacted by `redact`).
    pub(crate) fn reason(&self, rules: &[Rule], redact: impl Fn(&str) -> String) -> Reason {
        let origin = |i: usize| {
            rules
                .get(i)
                .map_or_else(|| format!("rule {i}"), |r| r.origin.clone())
        };
        match self {
            Why::Default => Reason::Default,
            Why::Prefer(p) => Reason::Prefer {
                asked: redact(&p.to_string()),
            },
            Why::Rule { index, step, state } => Reason::Rule {
                rule: origin(*index),
                step: step.filter(|(_, n)| *n > 1).map(|(s, _)| s + 1),
                of: step.filter(|(_, n)| *n > 1).map(|(_, n)| n),
                state: state.as_deref().map(&redact),
            },
            Why::State(detail) => Reason::State {
                detail: detail.as_deref().map(&redact),
            },
            Why::Fault { fault, rule } => Reason::Fault {
                fault: *fault,
                rule: rule.map(origin),
            },
            Why::Invalid => Reason::Invalid,
            Why::NotFound => Reason::NotFound,
            Why::MethodNotAllowed => Reason::MethodNotAllowed,
            Why::Auth(why) => Reason::Auth {
                why: (*why).to_string(),
            },
            Why::NotAcceptable => Reason::NotAcceptable,
            Why::TooLarge => Reason::TooLarge,
            Why::Unreadable(why) => Reason::Unreadable { why: redact(why) },
            Why::Mock(kind, message) => Reason::MockError {
                error: kind.as_str().into(),
                message: redact(message),
            },
            Why::Preflight => Reason::Preflight,
        }
    }
}

impl Drawn {
    fn view(&self, rules: &[Rule]) -> Draws {
        Draws {
            probability: self
                .probability
                .iter()
                .map(|&(i, draw, applied)| Draw {
                    rule: rules.get(i).map_or_else(String::new, |r| r.origin.clone()),
                    probability: rules.get(i).and_then(|r| r.probability).unwrap_or(1.0),
                    draw,
                    applied,
                })
                .collect(),
            delay_ms: self.delay.map(|(d, _)| d.as_secs_f64() * 1e3),
            delay_drawn: self.delay.is_some_and(|(_, drawn)| drawn),
            dribble: self.dribble,
        }
    }
}

impl Entry {
    /// The entry as shown, credentials redacted.
    pub(crate) fn view(&self, cx: &ViewCx<'_>) -> JournaledRequest {
        let profile = &cx.contract.profile;
        let form = self.head.headers().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type")
                && std::str::from_utf8(value)
                    .ok()
                    .and_then(crate::contract::form::form_kind)
                    == Some(crate::contract::form::FormKind::UrlEncoded)
        });
        let r = Redactor::of(profile, cx.secrets, self.head.headers())
            .with_query(self.head.query())
            .with_form(self.body(), form);
        let url = r.target(self.head.path(), self.head.query()).into_owned();
        let mut headers: IndexMap<String, String> = IndexMap::new();
        for (name, value) in self.head.headers() {
            let shown = r.header(name, value);
            headers
                .entry(name.to_string())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&shown);
                })
                .or_insert(shown);
        }
        let mut query_params: IndexMap<String, Vec<String>> = IndexMap::new();
        if let Some(q) = self.head.query() {
            for (k, v) in r.query_pairs(q) {
                query_params.entry(k).or_default().push(v);
            }
        }
        let (body, body_as_base64) = match r.body(self.body(), form) {
            Some(text) => (text, None),
            None => {
                use base64::Engine;
                (
                    String::new(),
                    Some(base64::engine::general_purpose::STANDARD.encode(self.body())),
                )
            }
        };
        let operation = self.operation.map(|i| cx.contract.op(i));
        let millis = self
            .at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let session = if profile.is_secret(&self.session) {
            super::redact::REDACTED.to_string()
        } else {
            r.text(&self.session)
        };
        JournaledRequest {
            id: self.id.to_string(),
            request: LoggedRequest {
                absolute_url: format!("{}{url}", cx.base),
                url,
                method: self.method.to_string(),
                client_ip: self.peer.to_string(),
                headers,
                query_params,
                body,
                body_as_base64,
                body_size: self.body_len,
                body_truncated: self.body_len > self.body().len(),
                logged_date: millis,
                logged_date_string: timestamp(self.at),
            },
            was_matched: operation.is_some(),
            session,
            operation_id: operation.and_then(|o| o.operation_id().map(str::to_string)),
            operation: operation.map(|o| o.label()),
            valid: self.violations.is_empty(),
            violations: self
                .violations
                .iter()
                .map(|v| RequestViolation::of(v, |t| r.message(t)))
                .collect(),
            status: self.status,
            reason: self.why.reason(cx.rules, |t| r.message(t)),
            draws: self
                .drawn
                .as_deref()
                .map_or_else(Draws::default, |d| d.view(cx.rules)),
            response_definition: ResponseDefinition {
                status: self.status,
            },
            timing: Timing {
                total_ms: (self.elapsed.as_secs_f64() * 1e6).round() / 1e3,
            },
        }
    }
}

/// `2026-11-28T10:00:00.123Z`.
pub(crate) fn timestamp(at: std::time::SystemTime) -> String {
    let mut out = Vec::with_capacity(24);
    push_timestamp(&mut out, at);
    String::from_utf8(out).unwrap_or_default()
}

thread_local! {
    /// The last second formatted on this thread, and its text: every log line
    /// has a timestamp, and lines of one second share all but the milliseconds.
    static SECOND: std::cell::RefCell<(u64, String)> = const {
        std::cell::RefCell::new((0, String::new()))
    };
}

/// Appends `at` as [`timestamp`] writes it (nothing for an instant jiff cannot
/// represent).
pub(crate) fn push_timestamp(out: &mut Vec<u8>, at: std::time::SystemTime) {
    let Ok(since) = at.duration_since(std::time::UNIX_EPOCH) else {
        // Before 1970: rare enough to format in full.
        if let Ok(ts) = jiff::Timestamp::try_from(at) {
            out.extend_from_slice(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().as_bytes());
        }
        return;
    };
    let secs = since.as_secs();
    let done = SECOND.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs || cache.1.is_empty() {
            let Ok(ts) = jiff::Timestamp::try_from(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            ) else {
                return false;
            };
            *cache = (secs, ts.strftime("%Y-%m-%dT%H:%M:%S").to_string());
        }
        out.extend_from_slice(cache.1.as_bytes());
        true
    });
    if done {
        let ms = since.subsec_millis();
        out.extend_from_slice(&[
            b'.',
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
            b'Z',
        ]);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn timestamps_match_a_full_format() {
        let full = |at: SystemTime| {
            jiff::Timestamp::try_from(at)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        };
        let base = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        // The same second twice (the cached text), the next, milliseconds at the edges.
        for ms in [0, 5, 42, 999, 1000, 1999, 61_001] {
            let at = base + Duration::from_millis(ms);
            assert_eq!(super::timestamp(at), full(at));
        }
        // Below the millisecond: cut, not rounded, as the full format does.
        let at = base + Duration::from_micros(999_900);
        assert_eq!(super::timestamp(at), full(at));
        assert!(super::timestamp(at).ends_with(".999Z"));
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(super::timestamp(before), full(before));
        assert_eq!(super::timestamp(base), "2026-11-18T11:06:40.000Z");
    }
}
