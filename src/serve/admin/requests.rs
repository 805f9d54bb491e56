//! The journal's endpoints, in WireMock's shapes: `GET /requests` (newest
//! first, with `since`, `limit`, `session`, `operation`, `unmatched`, `invalid`),
//! `GET /requests/{id}`, `POST /requests/count`, `/find` and `/remove` with a
//! request pattern, `DELETE /requests`, `GET /requests/unmatched` and
//! `/requests/unmatched/near-misses`.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

use super::{error, not_allowed, ok, unknown, Query};
use crate::journal::near::near_miss;
use crate::journal::view::ViewCx;
use crate::journal::{Entry, Journal, JournaledRequest, RequestPattern};
use crate::respond::Built;
use crate::serve::State;

/// The most near misses one answer lists.
const NEAR_MISS_LIMIT: usize = 100;

pub(super) fn answer(
    state: &State,
    method: &Method,
    sub: &str,
    query: &Query,
    body: &[u8],
) -> Built {
    let Some(journal) = &state.journal else {
        return match (sub, method) {
            ("", &Method::GET) | ("/unmatched", &Method::GET) => ok(json!({
                "requests": [], "meta": {"total": 0}, "requestJournalDisabled": true
            })),
            _ => error(
                StatusCode::CONFLICT,
                "journal-disabled",
                "the request journal is disabled (--no-journal); nothing was kept",
            ),
        };
    };
    let cx = state.view_cx();
    match (sub, method) {
        ("", &Method::GET) => list(journal, &cx, query, false),
        ("/unmatched", &Method::GET) => list(journal, &cx, query, true),
        ("", &Method::DELETE) => {
            if let Err(e) = query.only("DELETE /requests", &["session"]) {
                return e;
            }
            let session = query.get("session").map(crate::serve::session::named);
            let removed = journal.remove(|e| session.as_deref().is_none_or(|s| &*e.session == s));
            ok(json!({"removed": removed}))
        }
        ("/count", &Method::POST) => match pattern(body) {
            Ok(p) => match p.compile() {
                Ok(c) => {
                    let n = journal
                        .entries()
                        .iter()
                        .filter(|e| c.matches(&e.view(&cx), &e.session))
                        .count();
                    ok(json!({"count": n}))
                }
                Err(e) => bad_pattern(&e),
            },
            Err(e) => e,
        },
        ("/find", &Method::POST) => match pattern(body) {
            Ok(p) => match p.compile() {
                Ok(c) => {
                    let found: Vec<JournaledRequest> = newest_first(journal)
                        .iter()
                        .map(|e| (e.view(&cx), e))
                        .filter(|(v, e)| c.matches(v, &e.session))
                        .map(|(v, _)| v)
                        .collect();
                    ok(json!({"requests": found}))
                }
                Err(e) => bad_pattern(&e),
            },
            Err(e) => e,
        },
        ("/remove", &Method::POST) => match pattern(body) {
            Ok(p) => match p.compile() {
                Ok(c) => {
                    let removed = journal.remove(|e| c.matches(&e.view(&cx), &e.session));
                    ok(json!({"removed": removed}))
                }
                Err(e) => bad_pattern(&e),
            },
            Err(e) => e,
        },
        ("/unmatched/near-misses", &Method::GET) => {
            if let Err(e) = query.only("GET /requests/unmatched/near-misses", &["limit"]) {
                return e;
            }
            let limit = match limit(query) {
                Ok(l) => l.unwrap_or(NEAR_MISS_LIMIT).min(NEAR_MISS_LIMIT),
                Err(e) => return e,
            };
            let misses: Vec<_> = newest_first(journal)
                .iter()
                .filter(|e| e.missed())
                .take(limit)
                .filter_map(|e| near_miss(cx.contract, e.operation, e.view(&cx)))
                .collect();
            ok(json!({"nearMisses": misses}))
        }
        ("", _) => not_allowed("GET, HEAD, DELETE"),
        ("/unmatched" | "/unmatched/near-misses", _) => not_allowed("GET, HEAD"),
        ("/count" | "/find" | "/remove", _) => not_allowed("POST"),
        (id, &Method::GET) if id.len() > 1 => {
            let id = &id[1..];
            match journal.entries().iter().find(|e| e.id.to_string() == id) {
                Some(e) => ok(json!({"request": e.view(&cx)})),
                None => error(
                    StatusCode::NOT_FOUND,
                    "unknown-request",
                    &format!("no journaled request has id `{id}` (it may have been dropped: the journal keeps the newest {})", state.opts.journal_size),
                ),
            }
        }
        _ => unknown(state, &format!("/requests{sub}")),
    }
}

fn newest_first(journal: &Journal) -> Vec<Arc<Entry>> {
    let mut all = journal.entries();
    all.reverse();
    all
}

/// `GET /requests` and `/requests/unmatched`.
fn list(journal: &Journal, cx: &ViewCx<'_>, query: &Query, only_unmatched: bool) -> Built {
    let endpoint = if only_unmatched {
        "GET /requests/unmatched"
    } else {
        "GET /requests"
    };
    let filters = [
        "since",
        "limit",
        "session",
        "operation",
        "unmatched",
        "invalid",
    ];
    if let Err(e) = query.only(endpoint, &filters) {
        return e;
    }
    let limit = match limit(query) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let since = match query.get("since").map(since) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return e,
        None => None,
    };
    let (unmatched, invalid) = match (query.flag("unmatched"), query.flag("invalid")) {
        (Ok(u), Ok(i)) => (only_unmatched || u, i),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let session = query.get("session").map(crate::serve::session::named);
    let session = session.as_deref();
    let operation = query.get("operation");
    let all = newest_first(journal);
    let total = all.len();
    let picked: Vec<&Arc<Entry>> = all
        .iter()
        .filter(|e| since.is_none_or(|t| e.at >= t))
        .filter(|e| session.is_none_or(|s| &*e.session == s))
        .filter(|e| !unmatched || e.unmatched())
        .filter(|e| !invalid || !e.violations.is_empty())
        .filter(|e| {
            operation.is_none_or(|o| {
                e.operation.is_some_and(|i| {
                    let op = cx.contract.op(i);
                    op.operation_id() == Some(o) || op.label() == o
                })
            })
        })
        .collect();
    let matched = picked.len();
    let shown: Vec<JournaledRequest> = picked
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|e| e.view(cx))
        .collect();
    ok(json!({
        "requests": shown,
        "meta": {"total": total, "matched": matched},
        "requestJournalDisabled": false,
    }))
}

fn limit(query: &Query) -> Result<Option<usize>, Built> {
    query
        .get("limit")
        .map(|l| {
            l.parse::<usize>().map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid-admin-request",
                    &format!("limit=`{l}` is not a number"),
                )
            })
        })
        .transpose()
}

/// `since`: an RFC 3339 time (`2026-11-28T10:00:00Z`) or milliseconds since the epoch.
fn since(text: &str) -> Result<std::time::SystemTime, Built> {
    let parsed = match text.parse::<i64>() {
        Ok(ms) => jiff::Timestamp::from_millisecond(ms).ok(),
        Err(_) => text.parse::<jiff::Timestamp>().ok(),
    };
    parsed.map(std::time::SystemTime::from).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid-admin-request",
            &format!("since=`{text}` is not a time; give RFC 3339 (2026-11-28T10:00:00Z) or milliseconds since the epoch"),
        )
    })
}

fn pattern(body: &[u8]) -> Result<RequestPattern, Built> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RequestPattern::default());
    }
    // A struct reads from a JSON array too (`[]` was every default: a pattern
    // matching everything).
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(bad_pattern("it must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, RequestPattern>(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let place = if at == "." {
            String::new()
        } else {
            format!(" at {at}")
        };
        bad_pattern(&format!("{}{place}", e.inner()))
    })
}

fn bad_pattern(message: &str) -> Built {
    error(
        StatusCode::BAD_REQUEST,
        "invalid-pattern",
        &format!("the request pattern is not usable: {message}"),
    )
}
