//! Near misses in the contract's terms. A request no operation serves is
//! compared with every operation: its method, and its path segment by segment
//! against the path template (a parameter takes any value; a literal that
//! differs costs by how much it differs, so `Profile` is close to `Profiles`).
//! The closest operations are named with what differs. A request that matched
//! an operation but broke its contract is explained by its violations.

use serde::Serialize;

use super::view::{JournaledRequest, RequestViolation};
use crate::contract::{Contract, OpIndex, Operation};

/// The most segments and characters per segment compared (the cost stays bounded
/// whatever a client sends).
const MAX_SEGMENTS: usize = 64;
const MAX_CHARS: usize = 64;
/// How many operations a near miss names.
const CLOSEST: usize = 3;

/// A request that missed the contract: no operation serves it (`unmatched`, with
/// the closest operations), or it broke its operation's contract (`invalid`,
/// with its violations).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::{Contract, MockServer};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
/// // ... a client sends GET /v1/Stores/x/Profile/y/Identifiers (Profile, not Profiles) ...
/// for miss in server.near_misses() {
///     println!("{} {}: closest {:?}", miss.request.request.method, miss.request.request.url, miss.closest.first());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NearMiss {
    /// `unmatched` or `invalid`.
    pub kind: String,
    /// The request, as the journal shows it.
    pub request: JournaledRequest,
    /// The closest operations, closest first (for `invalid`: its operation).
    pub closest: Vec<Closest>,
    /// For `invalid`: every violation.
    pub violations: Vec<RequestViolation>,
}

/// An operation close to a request, and what differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Closest {
    /// Its operationId.
    pub operation_id: Option<String>,
    /// `METHOD /path/{template}`.
    pub operation: String,
    /// 0 (the same) to 1 (nothing alike).
    pub distance: f64,
    /// What differs, in words.
    pub differences: Vec<String>,
}

/// The near miss for a journaled request, if it is one; `op` is the operation
/// it was matched to, by index (an operation whose operationId was already
/// taken has none to be found by).
pub(crate) fn near_miss(
    contract: &Contract,
    op: Option<OpIndex>,
    r: JournaledRequest,
) -> Option<NearMiss> {
    if r.was_matched {
        if r.valid {
            return None;
        }
        let op = op.map(|i| contract.op(i));
        let closest = op
            .map(|op| Closest {
                operation_id: op.operation_id().map(str::to_string),
                operation: op.label(),
                distance: 0.0,
                differences: r.violations.iter().map(ToString::to_string).collect(),
            })
            .into_iter()
            .collect();
        return Some(NearMiss {
            kind: "invalid".into(),
            violations: r.violations.clone(),
            closest,
            request: r,
        });
    }
    let path = r
        .request
        .url
        .split_once('?')
        .map_or(r.request.url.as_str(), |(p, _)| p);
    let mut all: Vec<Closest> = contract
        .operations()
        .iter()
        .map(|op| compare(op, &r.request.method, path))
        .collect();
    all.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    all.truncate(CLOSEST);
    Some(NearMiss {
        kind: "unmatched".into(),
        closest: all,
        violations: Vec::new(),
        request: r,
    })
}

/// How a template segment reads: a literal, or one with a parameter in it.
enum Seg<'a> {
    Literal(&'a str),
    Param,
}

/// One request against one operation.
fn compare(op: &Operation, method: &str, path: &str) -> Closest {
    let mut differences = Vec::new();
    let same_method = op.method().as_str().eq_ignore_ascii_case(method)
        || (method.eq_ignore_ascii_case("HEAD") && op.method() == hyper::Method::GET);
    if !same_method {
        differences.push(format!(
            "method: the request is {method}, the operation takes {}",
            op.method()
        ));
    }
    let req: Vec<&str> = path
        .trim_start_matches('/')
        .split('/')
        .take(MAX_SEGMENTS)
        .collect();
    let tpl: Vec<Seg<'_>> = op
        .path
        .segments()
        .iter()
        .map(|s| s.literal().map_or(Seg::Param, Seg::Literal))
        .collect();
    let written: Vec<&str> = op.path().trim_start_matches('/').split('/').collect();
    // Edit distance over segments, from each place to the end: substitution
    // costs by how unlike they are. Read from the start so that, of equally
    // cheap readings, the one that pairs the earlier segments wins: a request
    // with a segment too many at its end has that last segment blamed, not
    // the one before it that its template parameter fits as well.
    let (n, m) = (req.len(), tpl.len());
    let mut d = vec![vec![0.0f64; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[m] = (n - i) as f64;
    }
    for (j, cell) in d[n].iter_mut().enumerate() {
        *cell = (m - j) as f64;
    }
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let sub = d[i + 1][j + 1] + seg_cost(&tpl[j], req[i]);
            d[i][j] = sub.min(d[i + 1][j] + 1.0).min(d[i][j + 1] + 1.0);
        }
    }
    // Walk forward to say what differs, in path order (segments count from 1).
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && (d[i][j] - (d[i + 1][j + 1] + seg_cost(&tpl[j], req[i]))).abs() < 1e-9
        {
            if let Seg::Literal(lit) = tpl[j] {
                if lit != req[i] {
                    differences.push(format!(
                        "segment {}: the request has `{}`, the template `{lit}`",
                        i + 1,
                        req[i]
                    ));
                }
            } else if req[i].is_empty() {
                differences.push(format!(
                    "segment {}: `{}` is empty",
                    i + 1,
                    written.get(j).unwrap_or(&"")
                ));
            }
            i += 1;
            j += 1;
        } else if i < n && (j == m || (d[i][j] - (d[i + 1][j] + 1.0)).abs() < 1e-9) {
            differences.push(format!(
                "segment {}: `{}` is not in the template",
                i + 1,
                req[i]
            ));
            i += 1;
        } else {
            differences.push(format!(
                "the template has `{}` after segment {i}, which the request lacks",
                written.get(j).unwrap_or(&"")
            ));
            j += 1;
        }
    }
    let cost = d[0][0] + if same_method { 0.0 } else { 1.0 };
    Closest {
        operation_id: op.operation_id().map(str::to_string),
        operation: op.label(),
        distance: ((cost / (n.max(m) + 1) as f64) * 1000.0).round() / 1000.0,
        differences,
    }
}

/// 0 when the segment fits the template's, up to 1 when nothing is alike.
fn seg_cost(tpl: &Seg<'_>, seg: &str) -> f64 {
    match tpl {
        Seg::Param if seg.is_empty() => 1.0,
        Seg::Param => 0.0,
        Seg::Literal(lit) if *lit == seg => 0.0,
        Seg::Literal(lit) if lit.eq_ignore_ascii_case(seg) => 0.25,
        Seg::Literal(lit) => {
            let a: Vec<char> = lit.chars().take(MAX_CHARS).collect();
            let b: Vec<char> = seg.chars().take(MAX_CHARS).collect();
            // A typo costs less than a different word, and never nothing.
            (levenshtein(&a, &b) as f64 / a.len().max(b.len()).max(1) as f64).clamp(0.1, 1.0)
        }
    }
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(!ca.eq_ignore_ascii_case(cb));
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_operation_and_what_differs() {
        let c = crate::Contract::embedded().unwrap();
        let path = "/v1/Stores/s/Profile/p/Identifiers";
        let mut all: Vec<Closest> = c
            .operations()
            .iter()
            .map(|op| compare(op, "POST", path))
            .collect();
        all.sort_by(|a, b| a.distance.total_cmp(&b.distance));
        assert_eq!(
            all[0].operation_id.as_deref(),
            Some("CreateProfileIdentifier")
        );
        assert_eq!(
            all[0].differences,
            ["segment 4: the request has `Profile`, the template `Profiles`"]
        );
        let wrong_method = compare(
            c.operation_by_id("CreateProfileIdentifier").unwrap(),
            "PUT",
            "/v1/Stores/s/Profiles/p/Identifiers",
        );
        assert!(
            wrong_method.differences[0].contains("the request is PUT"),
            "{wrong_method:?}"
        );
        let fetch = c.operation_by_id("FetchProfileIdentifier").unwrap();
        for (path, expected) in [
            // The two segments missing at the end, not `p` taken for
            // `{idType}` and the two before it missing.
            (
                "/v1/Stores/s/Profiles/p",
                &[
                    "the template has `Identifiers` after segment 5, which the request lacks",
                    "the template has `{idType}` after segment 5, which the request lacks",
                ][..],
            ),
            // A segment too many at the end is that segment, not the one
            // before it that the template's parameter fits as well.
            (
                "/v1/Stores/s/Profiles/p/Identifiers/email/extra",
                &["segment 8: `extra` is not in the template"],
            ),
            // One too many in the middle is still the one in the middle.
            (
                "/v1/Stores/s/extra/Profiles/p/Identifiers/email",
                &["segment 4: `extra` is not in the template"],
            ),
        ] {
            let near = compare(fetch, "GET", path);
            assert_eq!(near.differences, expected, "{path}: {near:?}");
        }
    }
}
