//! Routing: from a request's method and path to the operation that serves it.
//!
//! Path templates are compiled once into a radix tree (matchit). Template
//! variables are renamed by position (`{p0}`, `{p1}`) inside the tree so that two
//! documents' naming habits (`/a/{id}/b` next to `/a/{name}/c`) never conflict;
//! the real names are kept beside each route.

use std::borrow::Cow;

use hyper::Method;
use percent_encoding::percent_decode_str;

use crate::contract::{template_params, Operation};

/// Compiled routes.
#[derive(Debug, Default)]
pub struct Router {
    tree: matchit::Router<usize>,
    routes: Vec<Route>,
}

#[derive(Debug)]
struct Route {
    template: String,
    params: Vec<String>,
    methods: Vec<(Method, usize)>,
    allow: String,
}

/// Path template variables of a request: `(name, value)` in template order, each
/// value percent-decoded (borrowed from the path when nothing needed decoding), or
/// why it could not be.
pub type PathParams<'a> = Vec<(&'a str, Result<Cow<'a, str>, String>)>;

/// The outcome of routing one request.
#[derive(Debug)]
pub enum RouteMatch<'a> {
    /// An operation serves this method and path; path parameters are percent-decoded.
    Found {
        /// Index into the contract's operations.
        operation: usize,
        /// `(name, value)` for each template variable, in template order.
        params: PathParams<'a>,
    },
    /// The path exists but not for this method; `allow` lists the methods that do.
    MethodNotAllowed {
        /// The `Allow` header value.
        allow: String,
        /// The matched template.
        template: String,
    },
    /// No template matches the path.
    NotFound,
}

impl Router {
    /// Builds the router; templates the tree cannot hold are reported in `warnings`.
    pub fn new(operations: &[Operation], warnings: &mut Vec<String>) -> Router {
        let mut router = Router::default();
        for op in operations {
            if let Some(route) = router.routes.iter_mut().find(|r| r.template == op.path) {
                route.methods.push((op.method.clone(), op.index));
                continue;
            }
            let (key, params) = tree_key(&op.path);
            let idx = router.routes.len();
            match router.tree.insert(key, idx) {
                Ok(()) => router.routes.push(Route {
                    template: op.path.clone(),
                    params,
                    methods: vec![(op.method.clone(), op.index)],
                    allow: String::new(),
                }),
                Err(e) => warnings.push(format!(
                    "path {} cannot be routed ({e}); its operations are not served",
                    op.path
                )),
            }
        }
        for r in &mut router.routes {
            r.allow = r
                .methods
                .iter()
                .map(|(m, _)| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
        }
        router
    }

    /// Routes a request. `path` is the raw (still percent-encoded) path, without query.
    pub fn find<'a>(&'a self, method: &Method, path: &'a str) -> RouteMatch<'a> {
        let Ok(m) = self.tree.at(path) else {
            return RouteMatch::NotFound;
        };
        let route = &self.routes[*m.value];
        let Some((_, op)) = route.methods.iter().find(|(meth, _)| meth == method) else {
            return RouteMatch::MethodNotAllowed {
                allow: route.allow.clone(),
                template: route.template.clone(),
            };
        };
        let params = route
            .params
            .iter()
            .zip(m.params.iter())
            .map(|(name, (_, raw))| {
                let value = if raw.contains('%') {
                    percent_decode_str(raw)
                        .decode_utf8()
                        .map_err(|_| format!("`{raw}` is not valid UTF-8 once percent-decoded"))
                } else {
                    Ok(Cow::Borrowed(raw)) // Nothing to decode (the common case).
                };
                (name.as_str(), value)
            })
            .collect();
        RouteMatch::Found {
            operation: *op,
            params,
        }
    }
}

/// Rewrites `/a/{id}/b` to `/a/{p0}/b` and returns the real names.
fn tree_key(template: &str) -> (String, Vec<String>) {
    let names: Vec<String> = template_params(template)
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut key = String::with_capacity(template.len());
    let mut rest = template;
    let mut i = 0;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        key.push_str(&rest[..start]);
        key.push_str(&format!("{{p{i}}}"));
        i += 1;
        rest = &rest[start + len + 1..];
    }
    key.push_str(rest);
    (key, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_by_position() {
        assert_eq!(tree_key("/a/{x}/b/{y}").0, "/a/{p0}/b/{p1}");
        assert_eq!(tree_key("/a/{x}/b/{y}").1, vec!["x", "y"]);
        assert_eq!(tree_key("/files/{name}.json").0, "/files/{p0}.json");
    }
}
