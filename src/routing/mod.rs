//! Routing: from a request's method and path to what serves it.
//!
//! Path templates are compiled once into a radix tree (matchit). Template
//! variables are renamed by position (`{p0}`, `{p1}`) inside the tree so that two
//! templates' naming habits (`/a/{id}/b` next to `/a/{name}/c`) never conflict;
//! the real names are kept beside each route. Templates that differ only in
//! their parameter names (`/orgs/{org}/attestations/{subject_digest}` beside
//! `.../{attestation_id}`), their query (`/rest?method=a`) or their fragment
//! (`/#Action=A`) share one tree entry and are all served: the request's pairs
//! (query, headers, form body) say which of them it may be, and it goes to the
//! first of those whose parameters the caller accepts (the contract checks
//! them against their schemas), else to a fallback. A segment with several
//! parameters (`{base}...{head}`, `{name}{ext}`) is one capture in the tree,
//! split after the match. The router knows nothing of OpenAPI: the contract
//! gives it templates and gets back its own handles.

mod template;
mod warnings;

use std::borrow::Cow;

use crate::support::limits::quoted;
use hyper::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

pub use template::PathTemplate;
pub(crate) use template::Segment;

/// Compiled routes to handles of type `V` (the contract's operation indexes).
#[derive(Debug)]
pub(crate) struct Router<V> {
    /// The radix trees, tried in order: a template the first cannot hold
    /// beside another (matchit refuses `/lists/{date}/{list}.json` beside
    /// `/lists/{list}.json`, say) goes in the next, up to [`MAX_TREES`].
    trees: Vec<matchit::Router<usize>>,
    /// Templates no tree can hold (a segment's literal text beside a
    /// parameter, written a hundred ways, as Microsoft Graph's functions
    /// are), matched one by one when no tree matches, in document order.
    linear: Vec<(KeyPattern, usize)>,
    routes: Vec<Route<V>>,
    /// Whether any template has a fragment (only then may a form body's
    /// pairs be asked for).
    fragments: bool,
    /// The names fragments' pairs use (`Action`): the only pairs of a form
    /// body routing looks at.
    fragment_keys: Vec<String>,
}

/// One tree entry: the templates of that shape, in document order.
#[derive(Debug)]
struct Route<V> {
    candidates: Vec<Candidate<V>>,
    /// The order candidates are tried in: those with a query or a fragment
    /// (`/{path}#op=stat` beside `/{path}`) say more than a plain one and come
    /// first, each group in document order.
    order: Vec<usize>,
    /// Every method the candidates serve (the `Allow` value).
    allow: String,
    /// How specific its path is, segment by segment from the left (which of
    /// two trees' matches a single tree would have chosen).
    specificity: Vec<(u8, usize)>,
    /// Some candidates differ only in a fragment: all candidates are then
    /// told apart by all their parameters, not their path's alone.
    fragments: bool,
    /// The tree key matched without a tree, for a request the tree answers
    /// with a more literal route that lacks its method (see
    /// [`Router::shadowed`]); `None` for a key it cannot read.
    pattern: Option<KeyPattern>,
    /// The other routes whose keys may match a path this one's matches,
    /// found on the first 405 that needs them (a walk of every route, then
    /// never again: HEAD requests, retried as GET after a 405, are common).
    overlaps: std::sync::OnceLock<Box<[usize]>>,
}

#[derive(Debug)]
struct Candidate<V> {
    template: PathTemplate,
    /// For each tree capture, in order: the parameter it is, or the segment
    /// (with several parameters) it is split by.
    captures: Vec<Capture>,
    /// The capture whose segment has two adjacent parameters (`{name}{ext}`),
    /// whose value may be cut in other ways than the preferred one.
    adjacent: Option<usize>,
    methods: Vec<(Method, V)>,
}

#[derive(Debug)]
enum Capture {
    One(String),
    Split(Segment),
}

/// What a request says besides its method and path: what templates of one
/// path that differ in their query or fragment are told apart by.
pub(crate) struct Said<'r> {
    /// The decoded query pairs.
    pub(crate) query: &'r [(Cow<'r, str>, Cow<'r, str>)],
    pub(crate) headers: &'r HeaderMap,
    /// The pairs of a form-encoded body (`Action=SendMessage&...`, as AWS's
    /// query protocol posts them), consulted for a fragment's pair neither
    /// the query nor a header gives; `None` while the body is unread, and
    /// [`RouteMatch::NeedsForm`] when they are needed.
    pub(crate) form: Option<&'r [(Cow<'r, str>, Cow<'r, str>)]>,
}

impl Said<'_> {
    /// Whether the request gives `name` the value `value`: by its query, else
    /// a header, else its form body; `None` when it gives `name` no value.
    fn says(&self, name: &str, value: &str) -> Option<bool> {
        let among = |pairs: &[(Cow<'_, str>, Cow<'_, str>)]| {
            let mut named = pairs.iter().filter(|(k, _)| k == name).peekable();
            named.peek()?;
            Some(named.any(|(_, v)| v == value))
        };
        among(self.query)
            .or_else(|| {
                let header = self.headers.get(name)?.to_str().ok()?;
                Some(header.trim() == value)
            })
            .or_else(|| among(self.form?))
    }
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
    /// The path exists but not for this method; `allow` lists the methods
    /// of the templates the request may be (whose pairs it carries).
    MethodNotAllowed {
        allow: Cow<'a, str>,
        template: &'a str,
    },
    /// No template matches the path.
    NotFound,
    /// Templates of the path differ by a fragment's pair the request gives
    /// neither in its query nor in a header, and its form body (unread) may:
    /// route it again with [`Said::form`].
    NeedsForm,
}

impl<V: Copy> Router<V> {
    /// Builds the router; templates the tree cannot hold, and templates of the
    /// same shape that may serve the same request, are reported in `warnings`.
    pub(crate) fn new<'t>(
        routes: impl IntoIterator<Item = (&'t Method, &'t PathTemplate, V)>,
        warnings: &mut Vec<String>,
    ) -> Router<V> {
        let mut router = Router {
            trees: vec![matchit::Router::new()],
            linear: Vec::new(),
            routes: Vec::new(),
            fragments: false,
            fragment_keys: Vec::new(),
        };
        // Tree keys to their route (a large document has tens of thousands).
        let mut keys: std::collections::HashMap<String, usize> = Default::default();
        for (method, template, handle) in routes {
            // Before joining a route too: a template whose values cannot be
            // told apart is never served, whatever shares its shape.
            if !template.splittable() {
                warnings.push(format!(
                    "path {template} has parameters with nothing between them in more than one place (or three in a row); their values cannot be told apart, and its operations are not served"
                ));
                continue;
            }
            let key = template.route_key();
            if let Some(&idx) = keys.get(&key) {
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
            let inserted = insert(&mut router.trees, &key, router.routes.len()).or_else(|e| {
                let pattern = KeyPattern::parse(&key).ok_or(e)?;
                router.linear.push((pattern, router.routes.len()));
                Ok::<(), String>(())
            });
            match inserted {
                Ok(()) => {
                    router.routes.push(Route {
                        candidates: vec![Candidate::new(template, method, handle)],
                        order: Vec::new(),
                        allow: String::new(),
                        specificity: template
                            .segments()
                            .iter()
                            .map(Segment::specificity)
                            .collect(),
                        fragments: false,
                        pattern: KeyPattern::parse(&key),
                        overlaps: std::sync::OnceLock::new(),
                    });
                    keys.insert(key, router.routes.len() - 1);
                }
                Err(e) => warnings.push(format!(
                    "path {template} cannot be routed ({e}); its operations are not served"
                )),
            }
        }
        for r in &mut router.routes {
            r.allow = allow(r.candidates.iter());
            r.fragments = r.candidates.iter().any(|c| c.template.has_fragment());
            r.order = (0..r.candidates.len()).collect();
            r.order.sort_by_key(|&i| r.candidates[i].is_plain());
            router.fragments |= r.fragments;
            for c in &r.candidates {
                for k in c.template.fragment_keys() {
                    if !router.fragment_keys.iter().any(|f| f == k) {
                        router.fragment_keys.push(k.to_string());
                    }
                }
            }
            warnings::same_shape(&r.candidates, warnings);
        }
        router
    }

    /// Whether some template has a fragment, whose pair a form body may give.
    pub(crate) fn has_fragments(&self) -> bool {
        self.fragments
    }

    /// Whether a pair named `name` may tell templates apart by their fragment
    /// (the form body pairs worth keeping for routing).
    pub(crate) fn is_fragment_key(&self, name: &str) -> bool {
        self.fragment_keys.iter().any(|k| k == name)
    }

    /// Routes a request. `path` is the raw (still percent-encoded) path, without
    /// query; `said` what else the request says: its query, which a template's
    /// pairs (`?method=flickr.photos.search`) must be among for the template
    /// to serve it, and its headers and form body, where a fragment's pairs
    /// are looked for too (`None`: routing by path alone, every template of
    /// the path may).
    ///
    /// Of the templates the request may be that serve the method, `accept`
    /// says whether a handle takes these parameters (all of the request's,
    /// not only its path's, when the third argument says some templates
    /// differ only in a fragment): the first that does wins. Else the
    /// fallback serves it, a request that breaks the contract being judged by
    /// it: the first template whose query the request has, else the first
    /// in document order.
    pub(crate) fn find<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
        said: Option<&Said<'_>>,
        accept: impl Fn(V, &PathParams<'a>, bool) -> bool,
    ) -> RouteMatch<'a, V> {
        let answer = self.find_best(method, path, said, &accept);
        if matches!(answer, RouteMatch::MethodNotAllowed { .. }) {
            return self.shadowed(method, path, said, &accept, answer);
        }
        answer
    }

    /// [`Router::find`] among the routes a tree (or the linear list) gives
    /// as its best match for the path.
    fn find_best<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
        said: Option<&Said<'_>>,
        accept: &impl Fn(V, &PathParams<'a>, bool) -> bool,
    ) -> RouteMatch<'a, V> {
        if let ([tree], []) = (&self.trees[..], &self.linear[..]) {
            // Nearly every contract.
            return self.find_in(tree, method, path, said, accept);
        }
        // The templates that match, from every tree and the linear list, the
        // most specific first (segment by segment from the left, as one tree
        // orders static text before parameters), in their order when equal;
        // the first that serves the request does, else the first 405.
        let mut matched: Vec<(usize, Vec<&'a str>)> = Vec::new();
        for tree in &self.trees {
            if let Ok(m) = tree.at(path) {
                matched.push((*m.value, m.params.iter().map(|(_, v)| v).collect()));
            }
        }
        for (pattern, route) in &self.linear {
            if let Some(raw) = pattern.captures(path) {
                matched.push((*route, raw));
            }
        }
        matched.sort_by(|(a, _), (b, _)| {
            self.routes[*b]
                .specificity
                .cmp(&self.routes[*a].specificity)
        });
        let mut answer = RouteMatch::NotFound;
        for (route, raw) in matched {
            match self.serve_route(route, raw, method, said, accept) {
                found @ (RouteMatch::Found { .. } | RouteMatch::NeedsForm) => return found,
                not_allowed @ RouteMatch::MethodNotAllowed { .. } => {
                    if matches!(answer, RouteMatch::NotFound) {
                        answer = not_allowed;
                    }
                }
                RouteMatch::NotFound => {}
            }
        }
        answer
    }

    /// A tree gives one match, the most literal: `/projects/{id}/services/asana`
    /// (PUT only) hides `/projects/{id}/services/{slug}` (GET) from a GET of
    /// `/projects/1/services/asana`. Before answering 405, every route whose
    /// key matches the path is tried, the most specific first, as OpenAPI
    /// readers match a method and a path together; the 405 lists the methods
    /// of them all. Only a 405 pays, and only for the routes that may
    /// overlap the tree's match.
    fn shadowed<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
        said: Option<&Said<'_>>,
        accept: &impl Fn(V, &PathParams<'a>, bool) -> bool,
        first: RouteMatch<'a, V>,
    ) -> RouteMatch<'a, V> {
        let captured = |i: usize| Some((i, self.routes[i].pattern.as_ref()?.captures(path)?));
        let mut matched: Vec<(usize, Vec<&'a str>)> = match (&self.trees[..], &self.linear[..]) {
            // Nearly every contract: the tree's match and the routes that may
            // overlap it.
            ([tree], []) => {
                let Ok(m) = tree.at(path) else {
                    return first;
                };
                let at = *m.value;
                std::iter::once(at)
                    .chain(self.overlaps(at).iter().copied())
                    .filter_map(captured)
                    .collect()
            }
            _ => (0..self.routes.len()).filter_map(captured).collect(),
        };
        if matched.len() < 2 {
            return first;
        }
        matched.sort_by(|(a, _), (b, _)| {
            self.routes[*b]
                .specificity
                .cmp(&self.routes[*a].specificity)
        });
        let RouteMatch::MethodNotAllowed { allow, template } = first else {
            return first;
        };
        let mut methods: Vec<String> = allow.split(", ").map(str::to_string).collect();
        for (route, raw) in matched {
            match self.serve_route(route, raw, method, said, accept) {
                found @ (RouteMatch::Found { .. } | RouteMatch::NeedsForm) => return found,
                RouteMatch::MethodNotAllowed { allow, .. } => {
                    for m in allow.split(", ") {
                        if !methods.iter().any(|have| have == m) {
                            methods.push(m.to_string());
                        }
                    }
                }
                RouteMatch::NotFound => {}
            }
        }
        RouteMatch::MethodNotAllowed {
            allow: Cow::Owned(methods.join(", ")),
            template,
        }
    }

    /// [`Route::overlaps`] of route `at`.
    fn overlaps(&self, at: usize) -> &[usize] {
        self.routes[at].overlaps.get_or_init(|| {
            let Some(mine) = &self.routes[at].pattern else {
                return Box::default();
            };
            (0..self.routes.len())
                .filter(|&i| {
                    i != at
                        && self.routes[i]
                            .pattern
                            .as_ref()
                            .is_some_and(|p| p.may_overlap(mine))
                })
                .collect()
        })
    }

    /// [`Router::find`] in one tree.
    fn find_in<'a>(
        &'a self,
        tree: &matchit::Router<usize>,
        method: &Method,
        path: &'a str,
        said: Option<&Said<'_>>,
        accept: &impl Fn(V, &PathParams<'a>, bool) -> bool,
    ) -> RouteMatch<'a, V> {
        let Ok(m) = tree.at(path) else {
            return RouteMatch::NotFound;
        };
        let raw: Vec<&'a str> = m.params.iter().map(|(_, v)| v).collect();
        self.serve_route(*m.value, raw, method, said, accept)
    }

    /// Which template of route `route`, whose captures for the request are
    /// `raw`, serves the request (see [`Router::find`]).
    fn serve_route<'a>(
        &'a self,
        route: usize,
        raw: Vec<&'a str>,
        method: &Method,
        said: Option<&Said<'_>>,
        accept: &impl Fn(V, &PathParams<'a>, bool) -> bool,
    ) -> RouteMatch<'a, V> {
        let route = &self.routes[route];
        if said.is_some_and(|s| route.needs_form(s)) {
            return RouteMatch::NeedsForm;
        }
        let mut fallback = Fallback::default();
        for &at in &route.order {
            let c = &route.candidates[at];
            if fallback.settled() && c.is_plain() {
                break;
            }
            let Some(handle) = c.handle(method) else {
                continue;
            };
            let Some(params) = c.bind_if_named(&raw, said) else {
                continue;
            };
            match route.accepted(c, handle, params, &raw, said, accept) {
                Ok(params) => return RouteMatch::Found { handle, params },
                Err(params) => fallback.offer(rank(at, c, said), handle, params),
            }
        }
        match fallback.best {
            Some((_, handle, params)) => RouteMatch::Found { handle, params },
            None => route.not_served(&raw, said),
        }
    }
}

/// A tree key matched without a tree: per segment, its literal text, or the
/// text before and after its one parameter (a tree key has at most one per
/// segment: see [`PathTemplate::route_key`]).
#[derive(Debug)]
struct KeyPattern(Vec<(String, Option<String>)>);

impl KeyPattern {
    /// `None` for a key it cannot read (a catch-all, braces in literal text).
    fn parse(key: &str) -> Option<KeyPattern> {
        let segments = key
            .strip_prefix('/')?
            .split('/')
            .map(|seg| match seg.split_once('{') {
                None => (!seg.contains('}')).then(|| (seg.to_string(), None)),
                Some((before, rest)) => {
                    let (name, after) = rest.split_once('}')?;
                    let plain = !name.starts_with('*')
                        && !(before.to_string() + after).contains(['{', '}']);
                    plain.then(|| (before.to_string(), Some(after.to_string())))
                }
            });
        segments.collect::<Option<Vec<_>>>().map(KeyPattern)
    }

    /// Whether some path may match both keys: as many segments, each pair
    /// able to hold the same text (a superset: [`KeyPattern::captures`]
    /// decides for a given path).
    fn may_overlap(&self, other: &KeyPattern) -> bool {
        let fits = |text: &str, before: &str, after: &str| {
            text.len() > before.len() + after.len()
                && text.starts_with(before)
                && text.ends_with(after)
        };
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| match (a, b) {
                ((x, None), (y, None)) => x == y,
                ((x, None), (before, Some(after))) | ((before, Some(after)), (x, None)) => {
                    fits(x, before, after)
                }
                ((_, Some(_)), (_, Some(_))) => true,
            })
    }

    /// The parameters' raw values in `path`, as a tree would capture them
    /// (never empty), when it matches.
    fn captures<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let mut segments = path.strip_prefix('/')?.split('/');
        let mut raw = Vec::new();
        for (before, after) in &self.0 {
            let seg = segments.next()?;
            match after {
                None if seg == before => {}
                None => return None,
                Some(after) => {
                    let value = seg
                        .strip_prefix(before.as_str())?
                        .strip_suffix(after.as_str())?;
                    if value.is_empty() {
                        return None;
                    }
                    raw.push(value);
                }
            }
        }
        segments.next().is_none().then_some(raw)
    }
}

/// The most radix trees a router holds: templates that conflict with one in
/// each are matched one by one ([`Router::linear`]).
const MAX_TREES: usize = 8;

/// Inserts `key` into the first of `trees` that can hold it beside what it
/// holds, a new tree when none can (up to [`MAX_TREES`]).
fn insert(trees: &mut Vec<matchit::Router<usize>>, key: &str, value: usize) -> Result<(), String> {
    let mut last = String::new();
    for tree in trees.iter_mut() {
        match tree.insert(key.to_string(), value) {
            Ok(()) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    if trees.len() >= MAX_TREES {
        return Err(last);
    }
    let mut tree = matchit::Router::new();
    tree.insert(key.to_string(), value)
        .map_err(|e| e.to_string())?;
    trees.push(tree);
    Ok(())
}

/// The rank of a candidate as the fallback (lowest wins): a template whose
/// query pairs the request has, or whose fragment's pairs it states
/// (`?op=append` for `/things/{id}#op=append`), is the one meant, even with
/// invalid parameters (`/weather?city={city}` beside `/weather`), and no
/// plain one is tried after it; otherwise the first in document order.
fn rank<V>(at: usize, c: &Candidate<V>, said: Option<&Said<'_>>) -> usize {
    let Some(said) = said else { return at + 1 };
    let t = &c.template;
    if t.has_query() || t.has_fragment() && t.fragment_stated(|k, v| said.says(k, v)) {
        0
    } else {
        at + 1
    }
}

/// The fallback found so far: its rank, handle and parameters.
struct Fallback<'a, V> {
    best: Option<(usize, V, PathParams<'a>)>,
}

impl<V> Default for Fallback<'_, V> {
    fn default() -> Self {
        Fallback { best: None }
    }
}

impl<'a, V> Fallback<'a, V> {
    fn offer(&mut self, rank: usize, handle: V, params: PathParams<'a>) {
        if self.best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
            self.best = Some((rank, handle, params));
        }
    }

    /// Whether no plain template can take the fallback's place.
    fn settled(&self) -> bool {
        matches!(self.best, Some((0, _, _)))
    }
}

impl<V: Copy> Route<V> {
    /// Whether the request's form body must be read to tell its templates
    /// apart: a fragment's pair is given neither by the query nor by a
    /// header. Asked only of a form-encoded request (`said.form` is `None`)
    /// on a path with fragments, so other requests pay nothing.
    fn needs_form(&self, said: &Said<'_>) -> bool {
        said.form.is_none()
            && self.fragments
            && self.candidates.iter().any(|c| {
                c.template.has_fragment()
                    && c.template.query_matches(said.query)
                    && c.template.fragment_unsaid(|k, v| said.says(k, v))
            })
    }

    /// Whether candidate `c` takes the request, and with which parameters
    /// (`Err`: it does not, and these are its parameters as the fallback).
    /// Two adjacent parameters (`{name}{ext}`) are cut the preferred way
    /// first, then the others, until one keeps their schemas.
    fn accepted<'a>(
        &'a self,
        c: &'a Candidate<V>,
        handle: V,
        params: PathParams<'a>,
        raw: &[&'a str],
        said: Option<&Said<'_>>,
        accept: &impl Fn(V, &PathParams<'a>, bool) -> bool,
    ) -> Result<PathParams<'a>, PathParams<'a>> {
        // A lone template needs no asking (were it refused, it would still
        // be the fallback), unless it has a fragment, whose pair must agree
        // with its parameters, or adjacent parameters, whose cut is chosen.
        let lone = self.candidates.len() == 1 && !c.template.has_fragment() && c.adjacent.is_none();
        if lone || accept(handle, &params, self.fragments) {
            return Ok(params);
        }
        c.other_binds(raw, said)
            .into_iter()
            .find(|p| accept(handle, p, self.fragments))
            .ok_or(params)
    }

    /// The answer when no candidate serves the method: a 405 listing the
    /// methods of the templates the request may be, or a 404 when it may be
    /// none of them (`/?Action=Bogus`).
    fn not_served<'a>(&'a self, raw: &[&'a str], said: Option<&Said<'_>>) -> RouteMatch<'a, V> {
        let named: Vec<&Candidate<V>> = self
            .candidates
            .iter()
            .filter(|c| c.bind_if_named(raw, said).is_some())
            .collect();
        let Some(first) = named.first() else {
            return RouteMatch::NotFound;
        };
        let allow = if named.len() == self.candidates.len() {
            Cow::Borrowed(self.allow.as_str())
        } else {
            Cow::Owned(allow(named.iter().copied()))
        };
        RouteMatch::MethodNotAllowed {
            allow,
            template: first.template.as_str(),
        }
    }
}

/// The methods candidates serve, each once, as an `Allow` value.
fn allow<'c, V: 'c>(candidates: impl Iterator<Item = &'c Candidate<V>>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for c in candidates {
        for (m, _) in &c.methods {
            if !names.contains(&m.as_str()) {
                names.push(m.as_str());
            }
        }
    }
    names.join(", ")
}

impl<V: Copy> Candidate<V> {
    fn new(template: &PathTemplate, method: &Method, handle: V) -> Candidate<V> {
        let mut captures = Vec::new();
        let mut adjacent = None;
        for seg in template.segments() {
            if seg.param_count() > 1 {
                if seg.adjacent_pairs() > 0 {
                    adjacent = Some(captures.len());
                }
                captures.push(Capture::Split(seg.clone()));
            } else {
                captures.extend(seg.params().map(|n| Capture::One(n.to_string())));
            }
        }
        Candidate {
            template: template.clone(),
            captures,
            adjacent,
            methods: vec![(method.clone(), handle)],
        }
    }

    /// Only a path: no query pairs, no fragment.
    fn is_plain(&self) -> bool {
        !self.template.has_query() && !self.template.has_fragment()
    }

    /// Its handle for `method`.
    fn handle(&self, method: &Method) -> Option<V> {
        self.methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, handle)| *handle)
    }

    /// Whether the request may be this template's: its query has the
    /// template's pairs, and nothing it says contradicts the fragment's.
    fn named_by(&self, said: &Said<'_>) -> bool {
        self.template.query_matches(said.query)
            && self.template.fragment_agrees(|k, v| said.says(k, v))
    }

    /// Its parameters (path, and those templated in its query) when the
    /// request may be this template's and has its shape.
    fn bind_if_named<'a>(
        &'a self,
        raw: &[&'a str],
        said: Option<&Said<'_>>,
    ) -> Option<PathParams<'a>> {
        if said.is_some_and(|s| !self.named_by(s)) {
            return None;
        }
        let mut params = self.bind(raw, None)?;
        self.bind_query(&mut params, said);
        Some(params)
    }

    /// The other ways of binding a segment with two adjacent parameters
    /// ([`Segment::other_splits`]); empty for other templates.
    fn other_binds<'a>(&'a self, raw: &[&'a str], said: Option<&Said<'_>>) -> Vec<PathParams<'a>> {
        let Some(at) = self.adjacent else {
            return Vec::new();
        };
        let Capture::Split(seg) = &self.captures[at] else {
            return Vec::new();
        };
        seg.other_splits(raw[at])
            .into_iter()
            .filter_map(|split| {
                let mut params = self.bind(raw, Some(split))?;
                self.bind_query(&mut params, said);
                Some(params)
            })
            .collect()
    }

    /// The parameters of this template from the tree's raw captures (the
    /// adjacent segment's taken apart as `adjacent` says, if given), `None`
    /// when a split segment does not have this template's shape.
    fn bind<'a>(
        &'a self,
        raw: &[&'a str],
        mut adjacent: Option<Vec<(&'a str, &'a str)>>,
    ) -> Option<PathParams<'a>> {
        let mut params = Vec::with_capacity(raw.len() + 1);
        for (at, (capture, value)) in self.captures.iter().zip(raw).enumerate() {
            match capture {
                Capture::One(name) => params.push((name.as_str(), decode(value))),
                Capture::Split(seg) => {
                    let given = if Some(at) == self.adjacent {
                        adjacent.take()
                    } else {
                        None
                    };
                    let split = match given {
                        Some(split) => split,
                        None => seg.split(value)?,
                    };
                    params.extend(split.into_iter().map(|(name, v)| (name, decode(v))));
                }
            }
        }
        Some(params)
    }

    /// Adds the values of the parameters templated in its query
    /// (`?city={city}`).
    fn bind_query<'a>(&'a self, params: &mut PathParams<'a>, said: Option<&Said<'_>>) {
        if let Some(s) = said {
            params.extend(
                self.template
                    .query_params(s.query)
                    .map(|(name, value)| (name, Ok(Cow::Owned(value.to_string())))),
            );
        }
    }
}

/// A path parameter's value, percent-decoded; borrowed when nothing needed decoding.
fn decode(raw: &str) -> Result<Cow<'_, str>, String> {
    if memchr::memchr(b'%', raw.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(raw));
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| format!("`{}` is not valid UTF-8 once percent-decoded", quoted(raw)))
}

#[cfg(test)]
mod tests;
