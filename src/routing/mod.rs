//! Routing: from a request's method and path to what serves it.
//!
//! Path templates are compiled once into a radix tree (matchit). Template
//! variables are renamed by position (`{p0}`, `{p1}`) inside the tree so that two
//! templates' naming habits (`/a/{id}/b` next to `/a/{name}/c`) never conflict;
//! the real names are kept beside each route. The router knows nothing of
//! OpenAPI: the contract gives it templates and gets back its own handles.

mod template;

use std::borrow::Cow;

use hyper::Method;
use percent_encoding::percent_decode_str;

pub use template::PathTemplate;
#[cfg(feature = "proxy")]
pub(crate) use template::Segment;

/// Compiled routes to handles of type `V` (the contract's operation indexes).
#[derive(Debug)]
pub(crate) struct Router<V> {
    tree: matchit::Router<usize>,
    routes: Vec<Route<V>>,
}

#[derive(Debug)]
struct Route<V> {
    template: String,
    params: Vec<String>,
    methods: Vec<(Method, V)>,
    allow: String,
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
    /// Builds the router; templates the tree cannot hold are reported in `warnings`.
    pub(crate) fn new<'t>(
        routes: impl IntoIterator<Item = (&'t Method, &'t PathTemplate, V)>,
        warnings: &mut Vec<String>,
    ) -> Router<V> {
        let mut router = Router {
            tree: matchit::Router::new(),
            routes: Vec::new(),
        };
        for (method, template, handle) in routes {
            if let Some(route) = router
                .routes
                .iter_mut()
                .find(|r| r.template == template.as_str())
            {
                route.methods.push((method.clone(), handle));
                continue;
            }
            let idx = router.routes.len();
            match router.tree.insert(template.positional(), idx) {
                Ok(()) => router.routes.push(Route {
                    template: template.as_str().to_string(),
                    params: template.params().map(str::to_string).collect(),
                    methods: vec![(method.clone(), handle)],
                    allow: String::new(),
                }),
                Err(e) => warnings.push(format!(
                    "path {template} cannot be routed ({e}); its operations are not served"
                )),
            }
        }
        for r in &mut router.routes {
            let names: Vec<&str> = r.methods.iter().map(|(m, _)| m.as_str()).collect();
            r.allow = names.join(", ");
        }
        router
    }

    /// Routes a request. `path` is the raw (still percent-encoded) path, without query.
    pub(crate) fn find<'a>(&'a self, method: &Method, path: &'a str) -> RouteMatch<'a, V> {
        let Ok(m) = self.tree.at(path) else {
            return RouteMatch::NotFound;
        };
        let route = &self.routes[*m.value];
        let Some((_, handle)) = route.methods.iter().find(|(meth, _)| meth == method) else {
            return RouteMatch::MethodNotAllowed {
                allow: &route.allow,
                template: &route.template,
            };
        };
        let params = route
            .params
            .iter()
            .zip(m.params.iter())
            .map(|(name, (_, raw))| (name.as_str(), decode(raw)))
            .collect();
        RouteMatch::Found {
            handle: *handle,
            params,
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
        .map_err(|_| format!("`{raw}` is not valid UTF-8 once percent-decoded"))
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
        match r.find(&Method::GET, "/a/x%20y/c") {
            RouteMatch::Found { handle, params } => {
                assert_eq!(handle, 2);
                assert_eq!(params[0].0, "name");
                assert_eq!(params[0].1.as_deref(), Ok("x y"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            r.find(&Method::POST, "/a/x/b"),
            RouteMatch::MethodNotAllowed { allow: "GET", .. }
        ));
        assert!(matches!(r.find(&Method::GET, "/z"), RouteMatch::NotFound));
    }
}
