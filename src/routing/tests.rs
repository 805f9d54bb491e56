use super::*;

type Pairs = Vec<(Cow<'static, str>, Cow<'static, str>)>;

fn pairs(list: &[(&'static str, &'static str)]) -> Pairs {
    list.iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
        .collect()
}

/// What a request says: its query, no headers, and a form body already read
/// (`form: None`: unread).
fn said<'r>(query: &'r Pairs, headers: &'r HeaderMap, form: Option<&'r Pairs>) -> Said<'r> {
    Said {
        query,
        headers,
        form: form.map(|f| &f[..]),
    }
}

fn yes<V>(_: V, _: &PathParams<'_>, _: bool) -> bool {
    true
}

fn no<V>(_: V, _: &PathParams<'_>, _: bool) -> bool {
    false
}

fn found(m: RouteMatch<'_, i32>) -> (i32, Vec<(String, String)>) {
    match m {
        RouteMatch::Found { handle, params } => (
            handle,
            params
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.unwrap().into_owned()))
                .collect(),
        ),
        other => panic!("{other:?}"),
    }
}

fn not_allowed(m: RouteMatch<'_, i32>) -> String {
    match m {
        RouteMatch::MethodNotAllowed { allow, .. } => allow.into_owned(),
        other => panic!("{other:?}"),
    }
}

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
    assert!(!r.has_fragments());
    match r.find(&Method::GET, "/a/x%20y/c", None, yes) {
        RouteMatch::Found { handle, params } => {
            assert_eq!(handle, 2);
            assert_eq!(params[0].0, "name");
            assert_eq!(params[0].1.as_deref(), Ok("x y"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        not_allowed(r.find(&Method::POST, "/a/x/b", None, yes)),
        "GET"
    );
    assert!(matches!(
        r.find(&Method::GET, "/z", None, yes),
        RouteMatch::NotFound
    ));
}

#[test]
fn a_lone_fragment_template_is_still_asked() {
    let run = PathTemplate::parse("/#Action=Run");
    let r = Router::new([(&Method::GET, &run, 1)], &mut Vec::new());
    let headers = HeaderMap::new();
    let bogus = pairs(&[("Action", "Bogus")]);
    assert!(matches!(
        r.find(&Method::GET, "/", Some(&said(&bogus, &headers, None)), yes),
        RouteMatch::NotFound
    ));
    let good = pairs(&[("Action", "Run")]);
    assert_eq!(
        found(r.find(&Method::GET, "/", Some(&said(&good, &headers, None)), no)).0,
        1
    );
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
    let numeric = |p: &PathParams<'_>| {
        p.iter().all(|(n, v)| {
            *n != "attestation_id" || v.as_ref().is_ok_and(|v| v.parse::<u64>().is_ok())
        })
    };
    let digests = |h: i32, p: &PathParams<'_>, _: bool| {
        h == 1 && p[1].1.as_deref().is_ok_and(|v| v.starts_with("sha256:"))
    };
    let get = |path, accept: &dyn Fn(i32, &PathParams<'_>, bool) -> bool| {
        let (handle, params) = found(r.find(&Method::GET, path, None, accept));
        (handle, params.len())
    };
    assert_eq!(get("/orgs/o/attestations/sha256:ab", &digests), (1, 2));
    assert_eq!(
        get("/orgs/o/attestations/42", &|h, p, _| h == 2 && numeric(p)),
        (2, 2)
    );
    // Neither validates: the first.
    assert_eq!(get("/orgs/o/attestations/x", &no), (1, 2));
    // Only one serves the method.
    assert_eq!(
        found(r.find(&Method::DELETE, "/orgs/o/attestations/x", None, no)).0,
        3
    );
    assert_eq!(
        not_allowed(r.find(&Method::POST, "/orgs/o/attestations/x", None, yes)),
        "GET, DELETE"
    );
    let (handle, params) = found(r.find(&Method::GET, "/compare/main...fix%2Fa", None, yes));
    assert_eq!(handle, 4);
    assert_eq!(params[0].1, "main");
    assert_eq!(params[1].1, "fix/a");
    assert_eq!(get("/compare/main", &yes), (5, 1));
}

#[test]
fn allow_lists_the_methods_of_the_templates_the_request_may_be() {
    let a = PathTemplate::parse("/?Action=A");
    let b = PathTemplate::parse("/?Action=B");
    let fa = PathTemplate::parse("/f#Action=A");
    let fb = PathTemplate::parse("/f#Action=B");
    let r = Router::new(
        [
            (&Method::GET, &a, 1),
            (&Method::POST, &b, 2),
            (&Method::GET, &fa, 3),
            (&Method::POST, &fb, 4),
        ],
        &mut Vec::new(),
    );
    let headers = HeaderMap::new();
    let (qa, qb) = (pairs(&[("Action", "A")]), pairs(&[("Action", "B")]));
    let none = pairs(&[]);
    let find = |m: &Method, path, q| r.find(m, path, Some(&said(q, &headers, Some(&none))), yes);
    assert_eq!(not_allowed(find(&Method::DELETE, "/", &qa)), "GET");
    assert_eq!(not_allowed(find(&Method::DELETE, "/", &qb)), "POST");
    // A query no template has: not a path that exists.
    assert!(matches!(
        find(&Method::DELETE, "/", &none),
        RouteMatch::NotFound
    ));
    // A fragment's pair the request names another way: that operation's
    // methods (it was a 404, as if the path did not exist).
    assert_eq!(not_allowed(find(&Method::POST, "/f", &qa)), "GET");
    assert_eq!(not_allowed(find(&Method::GET, "/f", &qb)), "POST");
    // Not named at all: any of them may be meant.
    assert_eq!(not_allowed(find(&Method::PUT, "/f", &none)), "GET, POST");
    let bogus = pairs(&[("Action", "Bogus")]);
    assert!(matches!(
        find(&Method::POST, "/f", &bogus),
        RouteMatch::NotFound
    ));
    // By a header too.
    let mut named = HeaderMap::new();
    named.insert("action", "A".parse().unwrap());
    assert_eq!(
        not_allowed(r.find(
            &Method::POST,
            "/f",
            Some(&said(&none, &named, Some(&none))),
            yes
        )),
        "GET"
    );
}

#[test]
fn a_fragment_pair_found_nowhere_else_is_looked_for_in_the_form_body() {
    let send = PathTemplate::parse("/#Action=Send&Version=1");
    let delete = PathTemplate::parse("/#Action=Delete&Version=1");
    let plain = PathTemplate::parse("/plain");
    let r = Router::new(
        [
            (&Method::POST, &send, 1),
            (&Method::POST, &delete, 2),
            (&Method::POST, &plain, 3),
        ],
        &mut Vec::new(),
    );
    assert!(r.has_fragments());
    let headers = HeaderMap::new();
    let none = pairs(&[]);
    let form = pairs(&[("Action", "Delete"), ("Version", "1"), ("QueueUrl", "q")]);
    let post = |q: &Pairs, form: Option<&Pairs>| {
        r.find(&Method::POST, "/", Some(&said(q, &headers, form)), yes)
    };
    // Unread, and the query does not name it: the body is wanted.
    assert!(matches!(post(&none, None), RouteMatch::NeedsForm));
    assert_eq!(found(post(&none, Some(&form))).0, 2);
    // The query has the pairs: no need to read the body.
    let query = pairs(&[("Action", "Delete"), ("Version", "1")]);
    assert_eq!(found(post(&query, None)).0, 2);
    // The query comes first.
    let send_query = pairs(&[("Action", "Send"), ("Version", "1")]);
    assert_eq!(found(post(&send_query, Some(&form))).0, 1);
    let bogus = pairs(&[("Action", "Bogus")]);
    assert!(matches!(post(&none, Some(&bogus)), RouteMatch::NotFound));
    // A body without the pairs leaves the parameters to decide.
    assert_eq!(found(post(&none, Some(&none))).0, 1);
    // A path without fragments never asks for it.
    assert_eq!(
        found(r.find(
            &Method::POST,
            "/plain",
            Some(&said(&none, &headers, None)),
            yes
        ))
        .0,
        3
    );
}

#[test]
fn overlapping_queries_are_warned_of_unless_the_order_prefers_the_more_specific() {
    let warn = |templates: &[(&Method, &str)]| {
        let parsed: Vec<PathTemplate> = templates
            .iter()
            .map(|(_, t)| PathTemplate::parse(t))
            .collect();
        let mut warnings = Vec::new();
        Router::new(
            templates
                .iter()
                .zip(&parsed)
                .enumerate()
                .map(|(i, ((m, _), t))| (*m, t, i)),
            &mut warnings,
        );
        warnings
    };
    let get = &Method::GET;
    let w = warn(&[(get, "/s?q={q}"), (get, "/s?q={q}&page={page}")]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("paths /s?q={q} and /s?q={q}&page={page} (GET)")
            && w[0].contains("put /s?q={q}&page={page} first"),
        "{}",
        w[0]
    );
    // The more specific one first: the order already prefers it.
    assert_eq!(
        warn(&[(get, "/s?q={q}&page={page}"), (get, "/s?q={q}")]),
        Vec::<String>::new()
    );
    // Other methods, other values: they never match the same request.
    assert!(warn(&[(get, "/s?q={q}"), (&Method::POST, "/s?q={q}&p={p}")]).is_empty());
    assert!(warn(&[(get, "/m?method=a"), (get, "/m?method=b")]).is_empty());
    let w = warn(&[(get, "/x/{a}?m=1"), (get, "/x/{b}?m=1")]);
    assert!(
        w.len() == 1 && w[0].contains("have the same query"),
        "{w:?}"
    );
    // Merely overlapping: once for the path.
    let w = warn(&[
        (get, "/w?city={c}"),
        (get, "/w?lat={a}&lon={o}"),
        (get, "/w?zip={z}"),
    ]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("paths /w?city={c} and /w?lat={a}&lon={o} (GET) both match")
            && w[0].ends_with("(and 2 more such pairs on this path)"),
        "{}",
        w[0]
    );
}

#[test]
fn adjacent_parameters_are_cut_where_their_schemas_say() {
    let file = PathTemplate::parse("/files/{name}{ext}");
    let three = PathTemplate::parse("/t/{a}{b}{c}");
    let mut warnings = Vec::new();
    let r = Router::new(
        [(&Method::GET, &file, 1), (&Method::GET, &three, 2)],
        &mut warnings,
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("path /t/{a}{b}{c} has parameters with nothing between them"),
        "{}",
        warnings[0]
    );
    let pair = |params: Vec<(String, String)>| (params[0].1.clone(), params[1].1.clone());
    let get = |path, accept: &dyn Fn(i32, &PathParams<'_>, bool) -> bool| {
        pair(found(r.find(&Method::GET, path, None, accept)).1)
    };
    let (name, ext) = (String::from, String::from);
    // The preferred cut, even alone on its path, when it keeps the schemas.
    assert_eq!(get("/files/a.b.json", &yes), (name("a.b"), ext(".json")));
    // An `ext` enum without the dot: the cut that keeps it.
    let dotless = |_: i32, p: &PathParams<'_>, _: bool| p[1].1.as_deref() == Ok("json");
    assert_eq!(
        get("/files/a.b.json", &dotless),
        (name("a.b."), ext("json"))
    );
    // None keeps them: the preferred cut, whose violations are reported.
    assert_eq!(get("/files/readme", &no), (name("readm"), ext("e")));
    assert!(matches!(
        r.find(&Method::GET, "/files/x", None, yes),
        RouteMatch::NotFound
    ));
    assert!(matches!(
        r.find(&Method::GET, "/t/abc", None, yes),
        RouteMatch::NotFound
    ));
}

#[test]
fn templates_the_first_tree_cannot_hold_beside_others_are_still_served() {
    // Pairs matchit refuses in one tree (seen in Jellyfin's and Microsoft
    // Graph's documents).
    let list = [
        "/Videos/{itemId}/{mediaSourceId}/Subtitles/{index}/Stream.{format}",
        "/Videos/{itemId}/{mediaSourceId}/Subtitles/{index}/{ticks}/Stream.{format}",
        "/dm/microsoft.graph.getAssignedRoleDetails()",
        "/dm/microsoft.graph.getRoleScopeTagsByIds(ids={ids})",
        "/dm/microsoft.graph.getSuggestedEnrollmentLimit(enrollmentType='{t}')",
    ]
    .map(PathTemplate::parse);
    let mut warnings = Vec::new();
    let r = Router::new(
        list.iter().zip(1..).map(|(t, h)| (&Method::GET, t, h)),
        &mut warnings,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(r.trees.len() > 1, "the pairs conflict in one tree");
    let get = |path| found(r.find(&Method::GET, path, None, yes));
    assert_eq!(get("/Videos/a/b/Subtitles/3/Stream.srt").0, 1);
    let (h, params) = get("/Videos/a/b/Subtitles/3/900/Stream.srt");
    assert_eq!(h, 2);
    assert_eq!(params[3], ("ticks".to_string(), "900".to_string()));
    assert_eq!(get("/dm/microsoft.graph.getAssignedRoleDetails()").0, 3);
    assert_eq!(get("/dm/microsoft.graph.getRoleScopeTagsByIds(ids=7)").0, 4);
    assert_eq!(
        get("/dm/microsoft.graph.getSuggestedEnrollmentLimit(enrollmentType='x')").0,
        5
    );
    // A method one tree's template does not serve is a 405 only when no
    // other tree serves the request.
    assert!(matches!(
        r.find(
            &Method::POST,
            "/dm/microsoft.graph.getRoleScopeTagsByIds(ids=7)",
            None,
            yes
        ),
        RouteMatch::MethodNotAllowed { .. }
    ));
    assert!(matches!(
        r.find(&Method::GET, "/dm/microsoft.graph.other()", None, yes),
        RouteMatch::NotFound
    ));
}

#[test]
fn every_template_is_served_the_most_literal_first_and_trees_are_bounded() {
    // Many templates that each conflict with the ones before (Microsoft
    // Graph's functions: a literal, a parameter, a literal in one segment),
    // more than the trees can hold, beside ones that do not conflict.
    let list: Vec<PathTemplate> = (0..MAX_TREES * 3)
        .map(|i| PathTemplate::parse(&format!("/x/get{i}x(period='{{p}}')")))
        .chain(
            (0..MAX_TREES).map(|i| PathTemplate::parse(&format!("/x/{}{{p}}", "a".repeat(i + 1)))),
        )
        .chain((0..MAX_TREES).map(|i| PathTemplate::parse(&format!("/y/{{q}}.{i}"))))
        .collect();
    let mut warnings = Vec::new();
    let r = Router::new(
        list.iter().zip(1..).map(|(t, h)| (&Method::GET, t, h)),
        &mut warnings,
    );
    assert!(r.trees.len() <= MAX_TREES);
    assert!(!r.linear.is_empty(), "more than the trees hold");
    for (i, t) in list.iter().enumerate() {
        let path = t.as_str().replace("{p}", "-v").replace("{q}", "v");
        let served = matches!(
            r.find(&Method::GET, &path, None, yes),
            RouteMatch::Found { handle, .. } if handle == i + 1
        );
        let reported = warnings.iter().any(|w| w.contains(&format!("path {t} ")));
        assert!(
            served != reported,
            "{t}: served {served}, reported {reported}: {warnings:?}"
        );
    }
}

#[test]
fn a_template_whose_fragment_the_request_states_is_the_fallback() {
    let plain = PathTemplate::parse("/things/{id}");
    let append = PathTemplate::parse("/things/{id}#op=append");
    let r = Router::new(
        [(&Method::POST, &plain, 1), (&Method::POST, &append, 2)],
        &mut Vec::new(),
    );
    let headers = HeaderMap::new();
    let op = pairs(&[("op", "append")]);
    // `append` refuses the parameters, the plain one would take them: the
    // request that names `append` is still judged by it.
    let only_plain = |h: i32, _: &PathParams<'_>, _: bool| h == 1;
    let m = r.find(
        &Method::POST,
        "/things/1",
        Some(&said(&op, &headers, None)),
        only_plain,
    );
    assert_eq!(found(m).0, 2);
    // Without the pair (its body read), the plain one serves it.
    let none = pairs(&[]);
    let m = r.find(
        &Method::POST,
        "/things/1",
        Some(&said(&none, &headers, Some(&none))),
        only_plain,
    );
    assert_eq!(found(m).0, 1);
}

#[test]
fn across_trees_the_match_one_tree_would_choose_wins() {
    // The third conflicts with the second (a bare parameter beside a
    // prefixed one) and goes in another tree; one tree would have answered
    // `/v/s/longname` with the first (static `s` before a parameter).
    let list = ["/v/s/{x}", "/v/pre{y}/z", "/v/{a}/longname"].map(PathTemplate::parse);
    let mut warnings = Vec::new();
    let r = Router::new(
        list.iter().zip(1..).map(|(t, h)| (&Method::GET, t, h)),
        &mut warnings,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(r.trees.len() > 1, "the third conflicts in one tree");
    let get = |path| found(r.find(&Method::GET, path, None, yes)).0;
    assert_eq!(get("/v/s/longname"), 1);
    assert_eq!(get("/v/other/longname"), 3);
    assert_eq!(get("/v/prefix/z"), 2);
}

#[test]
fn a_literal_path_without_the_method_leaves_the_request_to_a_template_with_it() {
    // GitLab's `/services/asana` (PUT) beside `/services/{slug}` (GET, DELETE).
    let asana = PathTemplate::parse("/projects/{id}/services/asana");
    let slug = PathTemplate::parse("/projects/{id}/services/{slug}");
    let mut warnings = Vec::new();
    let r = Router::new(
        [
            (&Method::PUT, &asana, 1),
            (&Method::GET, &slug, 2),
            (&Method::DELETE, &slug, 3),
        ],
        &mut warnings,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (h, params) = found(r.find(&Method::GET, "/projects/7/services/asana", None, yes));
    assert_eq!(h, 2);
    assert_eq!(params[1], ("slug".to_string(), "asana".to_string()));
    assert_eq!(
        found(r.find(&Method::PUT, "/projects/7/services/asana", None, yes)).0,
        1
    );
    // No template serves POST: the 405 names the methods of both.
    assert_eq!(
        not_allowed(r.find(&Method::POST, "/projects/7/services/asana", None, yes)),
        "PUT, GET, DELETE"
    );
    assert_eq!(
        not_allowed(r.find(&Method::PUT, "/projects/7/services/jira", None, yes)),
        "GET, DELETE"
    );
}

#[test]
fn keys_overlap_when_some_path_may_match_both() {
    let key = |k: &str| KeyPattern::parse(k).expect("a key it reads");
    let literal = key("/p/{id}/services/asana");
    assert!(literal.may_overlap(&key("/p/{id}/services/{slug}")));
    assert!(key("/p/{id}/services/{slug}").may_overlap(&literal));
    assert!(literal.may_overlap(&key("/p/{id}/services/as{x}")));
    // A parameter never matches empty text, nor text its literals do not fit.
    assert!(!key("/p/{id}/services/ab").may_overlap(&key("/p/{id}/services/a{x}b")));
    assert!(!literal.may_overlap(&key("/p/{id}/services/x{x}")));
    assert!(!literal.may_overlap(&key("/p/{id}/other/{slug}")));
    assert!(!literal.may_overlap(&key("/p/{id}/services/{slug}/more")));
}
