//! Start-up warnings for templates of one path that may serve the same
//! request: the router still serves them all, and says how one is chosen.

use super::Candidate;

/// Warnings for the templates of one tree entry. Templates that differ only in
/// their fragments (`/#Action=A`, `/#Action=B`) are meant to share their path:
/// one warning says how they are told apart, not one for every pair (EC2's are
/// 600). Templates with a query are told apart by it, as they are meant to
/// be; plain ones only by their parameters.
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
    let plain: Vec<&Candidate<V>> = candidates
        .iter()
        .filter(|c| !c.template.has_query())
        .collect();
    plain_pairs(&plain, warnings);
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

/// The methods both candidates serve.
fn shared_methods<'c, V>(a: &'c Candidate<V>, b: &Candidate<V>) -> Vec<&'c str> {
    a.methods
        .iter()
        .filter(|(m, _)| b.methods.iter().any(|(n, _)| n == m))
        .map(|(m, _)| m.as_str())
        .collect()
}
