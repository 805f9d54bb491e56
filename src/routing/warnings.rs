//! Start-up warnings for templates of one path that may serve the same
//! request: the router still serves them all, and says how one is chosen.

use super::Candidate;

/// Warnings for the templates of one tree entry. Templates that differ only in
/// their fragments (`/#Action=A`, `/#Action=B`) are meant to share their path:
/// one warning says how they are told apart, not one for every pair (EC2's are
/// 600). Templates with a query are told apart by it, as they are meant to
/// be, unless their queries overlap; plain ones only by their parameters.
pub(super) fn same_shape<V: Copy>(candidates: &[Candidate<V>], warnings: &mut Vec<String>) {
    if let [first, second, rest @ ..] = candidates {
        if candidates.iter().any(|c| c.template.has_fragment()) {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            warnings.push(format!(
                "paths {} and {}{more} differ only after `#` (a URL fragment, which no request carries) or in parameter names: a request goes to the one whose parameters (path, query, headers) validate, else to {}",
                first.template, second.template, first.template
            ));
            return;
        }
    }
    let (queried, plain): (Vec<&Candidate<V>>, Vec<&Candidate<V>>) =
        candidates.iter().partition(|c| c.template.has_query());
    plain_pairs(&plain, warnings);
    overlapping_queries(&queried, warnings);
}

/// A warning for each pair of plain templates of one shape that serve the
/// same method.
fn plain_pairs<V: Copy>(candidates: &[&Candidate<V>], warnings: &mut Vec<String>) {
    for (i, c) in candidates.iter().enumerate() {
        for later in &candidates[i + 1..] {
            let shared = shared_methods(c, later);
            if shared.is_empty() {
                continue;
            }
            warnings.push(format!(
                "paths {} and {} have the same shape ({}): a request matching both goes to the one whose path parameters validate, else to {}",
                c.template,
                later.template,
                shared.join(", "),
                c.template
            ));
        }
    }
}

/// Warnings for templates of one path whose queries one request may match
/// both of, which the router resolves in document order: the first whose
/// parameters validate, else the first. Said for each pair whose earlier
/// template says no more than the later (`/search?q={q}` before
/// `/search?q={q}&page={page}`: the more specific one is reached only when the
/// other's parameters fail), and once a path for pairs that merely overlap
/// (`?city={city}` beside `?lat={lat}&lon={lon}`, both matched only by a
/// request with both; APIs with many such would get a warning for every
/// pair). Not when the earlier one is the more specific: the order already
/// prefers it.
fn overlapping_queries<V: Copy>(candidates: &[&Candidate<V>], warnings: &mut Vec<String>) {
    let mut loose = Vec::new();
    for (i, a) in candidates.iter().enumerate() {
        for b in &candidates[i + 1..] {
            let shared = shared_methods(a, b);
            if shared.is_empty() || !a.template.query_overlaps(&b.template) {
                continue;
            }
            let (a, b, methods) = (&a.template, &b.template, shared.join(", "));
            match (a.query_within(b), b.query_within(a)) {
                (true, true) => warnings.push(format!(
                    "paths {a} and {b} ({methods}) have the same query: a request with it goes to the one whose parameters validate, else to {a}"
                )),
                (true, false) => warnings.push(format!(
                    "paths {a} and {b} ({methods}) both match a request with the query of {b}, the more specific: it goes to {a} (the first in the document) unless {a}'s parameters fail and {b}'s validate; put {b} first to prefer it"
                )),
                (false, true) => {}
                (false, false) => loose.push((a, b, methods)),
            }
        }
    }
    if let Some((a, b, methods)) = loose.first() {
        let more = match loose.len() - 1 {
            0 => String::new(),
            n => format!(" (and {n} more such pairs on this path)"),
        };
        warnings.push(format!(
            "paths {a} and {b} ({methods}) both match a request whose query has the pairs of both: it goes to the first whose parameters validate, else to {a}{more}"
        ));
    }
}

/// The methods both candidates serve.
fn shared_methods<'c, V>(a: &'c Candidate<V>, b: &Candidate<V>) -> Vec<&'c str> {
    a.methods
        .iter()
        .filter(|(m, _)| b.methods.iter().any(|(n, _)| n == m))
        .map(|(m, _)| m.as_str())
        .collect()
}
