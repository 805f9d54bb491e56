//! Routing: from a request's method and path to what serves it.
//!
//! Path templates are compiled once into a radix tree (matchit). Template
//! variables are renamed by position (`{p0}`, `{p1}`) inside the tree so that two
//! templates' naming habits (`/a/{id}/b` next to `/a/{name}/c`) never conflict;
//! the real names are kept beside each route. Templates that differ only in
//! their parameter names (`/orgs/{org}/attestations/{subject_digest}` beside
//! `.../{attestation_id}`) share one tree entry and are all served: a request
//! goes to the first whose parameters the caller accepts (the contract checks
//! them against their schemas), else to the first. A segment with several
//! parameters (`{base}...{head}`) is one capture in the tree, split after the
//! match. The router knows nothing of OpenAPI: the contract gives it
//! templates and gets back its own handles.

mod template;

use std::borrow::Cow;

use crate::support::limits::quoted;
use hyper::Method;
use percent_encoding::percent_decode_str;

pub use template::PathTemplate;
pub(crate) use template::Segment;

/// Compiled routes to handles of type `V` (the contract's operation indexes).
#[derive(Debug)]
pub(crate) struct Router<V> {
    tree: matchit::Router<usize>,
    routes: Vec<Route<V>>,
}

/// One tree entry: the templates of that shape, in document order.
#[derive(Debug)]
struct Route<V> {
    candidates: Vec<Candidate<V>>,
    /// Every method the candidates serve (the `Allow` value).
    allow: String,
    /// Some candidates differ only in a fragment: all candidates are then
    /// told apart by all their parameters, not their path's alone.
    fragments: bool,
}

#[derive(Debug)]
struct Candidate<V> {
    template: PathTemplate,
    /// For each tree capture, in order: the parameter it is, or the segment
    /// (with several parameters) it is split by.
    captures: Vec<Capture>,
    methods: Vec<(Method, V)>,
}

#[derive(Debug)]
enum Capture {
    One(String),
    Split(Segment),
}

/// Path template variables of a request: `(name, value)` in template order, each
/// value percent-decoded (borrowed from the path when nothing needed decoding), or
/// why it could not be.
pub(crate) type PathParams<'a> = Vec<(&'a str, Result<Cow<'a, str>, String>)>;

/// The outcome of routing one request.
#[derive(Debug)]
pub(crate) enum RouteMatch<'a, V> {
    /// This method and path are served by `handle`; path parameters are percent-decoded.
    Found { handle: V, params: PathParams<'a> },
    /// The path exists but not for this method; `allow` lists the methods that do.
    MethodNotAllowed { allow: &'a str, template: &'a str },
    /// No template matches the path.
    NotFound,
}

impl<V: Copy> Router<V> {
    /// Builds the router; templates the tree cannot hold, and templates of the
    /// same shape that serve the same method, are reported in `warnings`.
    pub(crate) fn new<'t>(
        routes: impl IntoIterator<Item = (&'t Method, &'t PathTemplate, V)>,
        warnings: &mut Vec<String>,
    ) -> Router<V> {
        let mut router = Router {
            tree: matchit::Router::new(),
            routes: Vec::new(),
        };
        let mut keys: Vec<String> = Vec::new();
        for (method, template, handle) in routes {
            let key = template.route_key();
            if let Some(idx) = keys.iter().position(|k| *k == key) {
                let route = &mut router.routes[idx];
                match route
                    .candidates
                    .iter_mut()
                    .find(|c| c.template == *template)
                {
                    Some(c) => c.methods.push((method.clone(), handle)),
                    None => route
                        .candidates
                        .push(Candidate::new(template, method, handle)),
                }
                continue;
            }
            if template
                .segments()
                .iter()
                .any(|s| s.param_count() > 1 && s.split_ambiguous())
            {
                warnings.push(format!(
                    "path {template} has two parameters with nothing between them; its operations are not served"
                ));
                continue;
            }
            match router.tree.insert(key.clone(), router.routes.len()) {
                Ok(()) => {
                    keys.push(key);
                    router.routes.push(Route {
                        candidates: vec![Candidate::new(template, method, handle)],
                        allow: String::new(),
                        fragments: false,
                    });
                }
                Err(e) => warnings.push(format!(
                    "path {template} cannot be routed ({e}); its operations are not served"
                )),
            }
        }
        for r in &mut router.routes {
            let mut names: Vec<&str> = Vec::new();
            for c in &r.candidates {
                for (m, _) in &c.methods {
                    if !names.contains(&m.as_str()) {
                        names.push(m.as_str());
                    }
                }
            }
            r.allow = names.join(", ");
            r.fragments = r.candidates.iter().any(|c| c.template.has_fragment());
            same_shape_warnings(&r.candidates, warnings);
        }
        router
    }

    /// Routes a request. `path` is the raw (still percent-encoded) path, without
    /// query; `query` its decoded pairs, which a template's literal query pairs
    /// (`?method=flickr.photos.search`) must be among for the template to serve
    /// it (`None`: routing by path alone, every template of the path may).
    ///
    /// When several templates of one shape serve the method, `accept` says
    /// whether a handle takes these parameters (all of the request's, not only
    /// its path's, when the third argument says some templates differ only in a
    /// fragment): `Some(true)` it does, and the first that does wins;
    /// `Some(false)` it does not, and the first such is the fallback (a request
    /// that breaks the contract is judged by it); `None` it cannot be this one
    /// (its fragment names another operation).
    pub(crate) fn find<'a, K: AsRef<str>, W: AsRef<str>>(
        &'a self,
        method: &Method,
        path: &'a str,
        query: Option<&[(K, W)]>,
        accept: impl Fn(V, &PathParams<'a>, bool) -> Option<bool>,
    ) -> RouteMatch<'a, V> {
        let Ok(m) = self.tree.at(path) else {
            return RouteMatch::NotFound;
        };
        let route = &self.routes[*m.value];
        let raw: Vec<&'a str> = m.params.iter().map(|(_, v)| v).collect();
        let mut shaped: Option<&Candidate<V>> = None;
        let mut fallback: Option<(V, PathParams<'a>)> = None;
        // A template with a fragment or a literal query says more than the
        // plain one beside it (`/{path}#op=stat` beside `/{path}`): it is tried
        // first, the plain one staying the fallback.
        let in_order = || route.candidates.iter().enumerate();
        let fragments_first = in_order()
            .filter(|(_, c)| c.template.says_more())
            .chain(in_order().filter(|(_, c)| !c.template.says_more()));
        let mut fallback_rank = usize::MAX;
        // A candidate serving the method said it cannot be the one: with no
        // other, no operation serves the request (not another method).
        let mut refused = false;
        for (at, c) in fragments_first {
            if fallback_rank == 0 && !c.template.says_more() {
                break;
            }
            if query.is_some_and(|q| !c.template.query_matches(q)) {
                continue;
            }
            let Some(mut params) = c.bind(&raw) else {
                continue;
            };
            if let Some(q) = query {
                params.extend(
                    c.template
                        .query_params(q)
                        .map(|(name, value)| (name, Ok(Cow::Owned(value.to_string())))),
                );
            }
            shaped.get_or_insert(c);
            let Some((_, handle)) = c.methods.iter().find(|(meth, _)| meth == method) else {
                continue;
            };
            // A lone plain template needs no asking; a fragment's pair must
            // still agree (`/?Action=Bogus` beside the one `/#Action=Run`).
            let fits = if route.candidates.len() == 1 && !c.template.has_fragment() {
                Some(true)
            } else {
                accept(*handle, &params, route.fragments)
            };
            match fits {
                Some(true) => {
                    return RouteMatch::Found {
                        handle: *handle,
                        params,
                    }
                }
                Some(false) => {}
                None => {
                    refused = true;
                    continue;
                }
            }
            // A template whose query pairs the request has is the one meant,
            // even with invalid parameters (`/weather?city={city}` beside
            // `/weather`): the first such is the fallback, and no plain one is
            // tried after it. Otherwise the fallback is the first in document
            // order.
            let rank = if query.is_some() && c.template.has_query() {
                0
            } else {
                at + 1
            };
            if rank < fallback_rank {
                fallback_rank = rank;
                fallback = Some((*handle, params));
            }
        }
        match (fallback, shaped) {
            (Some((handle, params)), _) => RouteMatch::Found { handle, params },
            (None, _) if refused => RouteMatch::NotFound,
            (None, Some(c)) => RouteMatch::MethodNotAllowed {
                allow: &route.allow,
                template: c.template.as_str(),
            },
            (None, None) => RouteMatch::NotFound,
        }
    }
}

impl<V> Candidate<V> {
    fn new(template: &PathTemplate, method: &Method, handle: V) -> Candidate<V> {
        let mut captures = Vec::new();
        for seg in template.segments() {
            if seg.param_count() > 1 {
                captures.push(Capture::Split(seg.clone()));
            } else {
                captures.extend(seg.params().map(|n| Capture::One(n.to_string())));
            }
        }
        Candidate {
            template: template.clone(),
            captures,
            methods: vec![(method.clone(), handle)],
        }
    }

    /// The parameters of this template from the tree's raw captures, `None`
    /// when a split segment does not have this template's shape.
    fn bind<'a>(&'a self, raw: &[&'a str]) -> Option<PathParams<'a>> {
        let mut params = Vec::with_capacity(raw.len() + 1);
        for (capture, value) in self.captures.iter().zip(raw) {
            match capture {
                Capture::One(name) => params.push((name.as_str(), decode(value))),
                Capture::Split(seg) => {
                    for (name, v) in seg.split(value)? {
                        params.push((name, decode(v)));
                    }
                }
            }
        }
        Some(params)
    }
}

/// Start-up warnings for templates of one shape that serve the same method.
/// Templates that differ only in their fragments (`/#Action=A`, `/#Action=B`)
/// are meant to share their path: one warning says how they are told apart,
/// not one for every pair (EC2's are 600).
fn same_shape_warnings<V>(candidates: &[Candidate<V>], warnings: &mut Vec<String>) {
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
        // Literal queries (`?method=a`, `?method=b`) tell their templates
        // apart, as they are meant to: only templates with the same literal
        // query (or none) can serve the same request.
        if candidates.iter().any(|c| c.template.says_more()) {
            let same_query: Vec<&Candidate<V>> = candidates
                .iter()
                .filter(|c| !c.template.says_more())
                .collect();
            plain_warnings(&same_query, warnings);
            return;
        }
    }
    plain_warnings(&candidates.iter().collect::<Vec<_>>(), warnings);
}

/// A warning for each pair of plain templates of one shape that serve the
/// same method.
fn plain_warnings<V>(candidates: &[&Candidate<V>], warnings: &mut Vec<String>) {
    for (i, c) in candidates.iter().enumerate() {
        for later in &candidates[i + 1..] {
            let shared: Vec<&str> = c
                .methods
                .iter()
                .filter(|(m, _)| later.methods.iter().any(|(n, _)| n == m))
                .map(|(m, _)| m.as_str())
                .collect();
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

/// A path parameter's value, percent-decoded; borrowed when nothing needed decoding.
fn decode(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.contains('%') {
        return Ok(Cow::Borrowed(raw));
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| format!("`{}` is not valid UTF-8 once percent-decoded", quoted(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_position_with_real_names() {
        let a = PathTemplate::parse("/a/{id}/b");
        let c = PathTemplate::parse("/a/{name}/c");
        let mut warnings = Vec::new();
        let r = Router::new(
            [(&Method::GET, &a, 1), (&Method::GET, &c, 2)],
            &mut warnings,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        match r.find(
            &Method::GET,
            "/a/x%20y/c",
            None::<&[(&str, &str)]>,
            |_, _, _| Some(true),
        ) {
            RouteMatch::Found { handle, params } => {
                assert_eq!(handle, 2);
                assert_eq!(params[0].0, "name");
                assert_eq!(params[0].1.as_deref(), Ok("x y"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            r.find(
                &Method::POST,
                "/a/x/b",
                None::<&[(&str, &str)]>,
                |_, _, _| Some(true)
            ),
            RouteMatch::MethodNotAllowed { allow: "GET", .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/z", None::<&[(&str, &str)]>, |_, _, _| Some(
                true
            )),
            RouteMatch::NotFound
        ));
    }

    #[test]
    fn a_lone_fragment_template_is_still_asked() {
        let run = PathTemplate::parse("/#Action=Run");
        let r = Router::new([(&Method::GET, &run, 1)], &mut Vec::new());
        let q = [("Action", "Bogus")];
        assert!(matches!(
            r.find(&Method::GET, "/", Some(&q[..]), |_, _, _| None),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            r.find(&Method::GET, "/", Some(&q[..]), |_, _, _| Some(false)),
            RouteMatch::Found { handle: 1, .. }
        ));
    }

    #[test]
    fn same_shape_templates_are_all_served() {
        let digest = PathTemplate::parse("/orgs/{org}/attestations/{subject_digest}");
        let id = PathTemplate::parse("/orgs/{org}/attestations/{attestation_id}");
        let compare = PathTemplate::parse("/compare/{base}...{head}");
        let one = PathTemplate::parse("/compare/{ref}");
        let mut warnings = Vec::new();
        let r = Router::new(
            [
                (&Method::GET, &digest, 1),
                (&Method::GET, &id, 2),
                (&Method::DELETE, &id, 3),
                (&Method::GET, &compare, 4),
                (&Method::GET, &one, 5),
            ],
            &mut warnings,
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("else to /orgs/{org}/attestations/{subject_digest}"));
        let numeric = |_: i32, p: &PathParams<'_>, _: bool| {
            p.iter().all(|(n, v)| {
                *n != "attestation_id" || v.as_ref().is_ok_and(|v| v.parse::<u64>().is_ok())
            })
        };
        let digests = |h: i32, p: &PathParams<'_>, _: bool| {
            Some(h == 1 && p[1].1.as_deref().is_ok_and(|v| v.starts_with("sha256:")))
        };
        let found = |m: RouteMatch<'_, i32>| match m {
            RouteMatch::Found { handle, params } => (handle, params.len()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            found(r.find(
                &Method::GET,
                "/orgs/o/attestations/sha256:ab",
                None::<&[(&str, &str)]>,
                digests
            )),
            (1, 2)
        );
        assert_eq!(
            found(r.find(
                &Method::GET,
                "/orgs/o/attestations/42",
                None::<&[(&str, &str)]>,
                |h, p, f| Some(h == 2 && numeric(h, p, f))
            )),
            (2, 2)
        );
        // Neither validates: the first.
        assert_eq!(
            found(r.find(
                &Method::GET,
                "/orgs/o/attestations/x",
                None::<&[(&str, &str)]>,
                |_, _, _| Some(false)
            )),
            (1, 2)
        );
        // Only one serves the method.
        assert_eq!(
            found(r.find(
                &Method::DELETE,
                "/orgs/o/attestations/x",
                None::<&[(&str, &str)]>,
                |_, _, _| Some(false)
            )),
            (3, 2)
        );
        assert!(matches!(
            r.find(
                &Method::POST,
                "/orgs/o/attestations/x",
                None::<&[(&str, &str)]>,
                |_, _, _| Some(true)
            ),
            RouteMatch::MethodNotAllowed {
                allow: "GET, DELETE",
                ..
            }
        ));
        match r.find(
            &Method::GET,
            "/compare/main...fix%2Fa",
            None::<&[(&str, &str)]>,
            |_, _, _| Some(true),
        ) {
            RouteMatch::Found { handle, params } => {
                assert_eq!(handle, 4);
                assert_eq!(params[0].1.as_deref(), Ok("main"));
                assert_eq!(params[1].1.as_deref(), Ok("fix/a"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            found(r.find(
                &Method::GET,
                "/compare/main",
                None::<&[(&str, &str)]>,
                |_, _, _| Some(true)
            )),
            (5, 1)
        );
    }
}
