//! Routing through the real server: paths of the same shape with different
//! parameter names are both served (the one whose parameters validate wins,
//! else the first, and the start-up warning says so), and segments holding two
//! parameters (`{base}...{head}`, `{name}.{ext}`) are routed with each
//! parameter validated on its own.

use std::sync::Arc;

use crate::common::send;
use mimeo::{Contract, MockServer, ServeOptions};

async fn server() -> (Arc<Contract>, MockServer) {
    let c = Arc::new(Contract::from_file("tests/fixtures/routing.yaml").expect("loads"));
    let s = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    (c, s)
}

#[tokio::test]
async fn same_shape_paths_are_both_served() {
    let (c, server) = server().await;
    let warned: Vec<&String> = c
        .warnings()
        .iter()
        .filter(|w| w.contains("same shape"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", c.warnings());
    assert!(
        warned[0].contains("/orgs/{org}/attestations/{attestation_id}")
            && warned[0].ends_with("else to /orgs/{org}/attestations/{subject_digest}"),
        "{}",
        warned[0]
    );
    let url = server.url();
    let r = send(
        &url,
        "GET",
        "/orgs/acme/attestations/sha256:beef",
        &[],
        None,
    )
    .await;
    assert_eq!((r.status, r.json()["kind"].as_str()), (200, Some("digest")));
    let r = send(&url, "GET", "/orgs/acme/attestations/42", &[], None).await;
    assert_eq!((r.status, r.json()["kind"].as_str()), (200, Some("id")));
    // Neither validates: the first, which names what is wrong.
    let r = send(&url, "GET", "/orgs/acme/attestations/nope", &[], None).await;
    assert_eq!(r.status, 400);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("path parameter subject_digest: pattern"),
        "{message}"
    );
    // A method only one of them has goes to it; one neither has is a 405.
    let r = send(&url, "DELETE", "/orgs/acme/attestations/42", &[], None).await;
    assert_eq!(r.status, 204);
    let r = send(
        &url,
        "DELETE",
        "/orgs/acme/attestations/sha256:beef",
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 400, "DELETE's only template validates its id");
    let r = send(&url, "POST", "/orgs/acme/attestations/42", &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, DELETE"));
    let ids: Vec<Option<String>> = server
        .received_requests()
        .iter()
        .map(|e| e.operation_id.clone())
        .collect();
    assert_eq!(ids[0].as_deref(), Some("listAttestationsByDigest"));
    assert_eq!(ids[1].as_deref(), Some("getAttestation"));
}

#[tokio::test]
async fn two_parameters_in_one_segment_are_routed_and_validated() {
    let (_, server) = server().await;
    let url = server.url();
    let r = send(
        &url,
        "GET",
        "/repos/acme/compare/main...fix%2Fbug",
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Each parameter's value is echoed into the body field of its name.
    assert_eq!(r.json()["base"], "main");
    assert_eq!(r.json()["head"], "fix/bug");
    let r = send(&url, "GET", "/repos/acme/compare/main...DEV", &[], None).await;
    assert_eq!(r.status, 400);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("path parameter head: pattern"),
        "{message}"
    );
    assert!(!message.contains("base"), "{message}");
    let r = send(&url, "GET", "/repos/acme/compare/main..dev", &[], None).await;
    assert_eq!(r.status, 404);

    let r = send(&url, "GET", "/files/notes.txt", &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.json()["name"].as_str(), r.json()["ext"].as_str()),
        (Some("notes"), Some("txt"))
    );
    let r = send(&url, "GET", "/files/notes.exe", &[], None).await;
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("path parameter ext: enum"));
    let r = send(&url, "GET", "/files/notes", &[], None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn adjacent_parameters_are_cut_where_their_schemas_say() {
    // `{slug}{ext}` was refused at load, its operations unreachable.
    let (c, server) = server().await;
    assert!(
        c.warnings().iter().all(|w| !w.contains("nothing between")),
        "{:?}",
        c.warnings()
    );
    let url = server.url();
    let fields = |r: &crate::common::Reply, a: &str, b: &str| {
        let j = r.json();
        (
            j[a].as_str().map(String::from),
            j[b].as_str().map(String::from),
        )
    };
    let r = send(&url, "GET", "/docs/guide.v2.json", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        fields(&r, "slug", "ext"),
        (Some("guide.v2".into()), Some(".json".into()))
    );
    // `ext` is an enum without the dot: the cut that keeps it.
    let r = send(&url, "GET", "/raw/notes.xml", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        fields(&r, "name", "kind"),
        (Some("notes.".into()), Some("xml".into()))
    );
    // No cut keeps the schemas: the preferred one, and what breaks it.
    let r = send(&url, "GET", "/docs/guide.txt", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("path parameter ext: enum"), "{message}");
    assert!(message.contains(".txt"), "{message}");
    assert_eq!(send(&url, "GET", "/docs/x", &[], None).await.status, 404);
}

#[tokio::test]
async fn templates_that_differ_only_in_a_fragment_share_their_path() {
    // `/#X-Amz-Target=...`, `/#Action=...`: the fragment never reaches a
    // server, so such operations used to be unreachable (404 for every one of
    // them in 203 of APIs.guru's descriptions, AWS's among them). Their path is
    // the part before `#`; the parameters tell them apart.
    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let warned: Vec<&String> = c
        .warnings()
        .iter()
        .filter(|w| w.contains("differ only after `#`"))
        .collect();
    assert_eq!(warned.len(), 4, "one warning per path: {:?}", c.warnings());
    assert!(
        warned[0].contains("/#X-Act=Shelf.Add and /#X-Act=Shelf.Count differ"),
        "{warned:?}"
    );
    let server = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let add = [("x-act", "Shelf.Add")];
    let r = send(&url, "POST", "/", &add, Some(r#"{"title": "Dune"}"#)).await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"added": true}))
    );
    let r = send(&url, "POST", "/", &[("x-act", "Shelf.Count")], None).await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!({"count": 3})));
    // The body is checked against the operation the header names.
    let r = send(&url, "POST", "/", &add, Some("{}")).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    // So are its parameters: the 400 is the counting operation's, not the
    // first one's on the path (whose body would be missing too).
    let count = [("x-act", "Shelf.Count")];
    let r = send(&url, "POST", "/?shelf=top", &count, None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let text = String::from_utf8_lossy(&r.body);
    assert!(text.contains("shelf") && !text.contains("body"), "{text}");
    // An action no operation has: none serves it (not "method not allowed").
    let r = send(&url, "POST", "/", &[("x-act", "Shelf.Burn")], None).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    // Beside a plain template, the query decides; without it, the plain one.
    let r = send(&url, "GET", "/files/a.txt?op=stat", &[], None).await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!({"size": 5})));
    let r = send(&url, "GET", "/files/a.txt", &[], None).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]));
}

#[tokio::test]
async fn templates_with_a_literal_query_are_routed_by_it() {
    // `/services/rest?method=...`: a request carries the query apart from the
    // path, so such operations used to be unreachable (Flickr's, Weatherbit's
    // descriptions). Their path is the part before `?`; the request's query must
    // have the template's pairs.
    let c = Arc::new(Contract::from_file("tests/fixtures/query-templates.yaml").expect("loads"));
    assert!(
        c.warnings().iter().all(|w| !w.contains("same shape")),
        "{:?}",
        c.warnings()
    );
    let server = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let get = |path: &'static str| send(&url, "GET", path, &[], None);
    let r = get("/services/rest?method=photos.search&text=cats").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "search"}))
    );
    let r = get("/services/rest?format=json&id=7&method=photos.getInfo").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "getInfo"}))
    );
    // Encoded as a client may send it.
    let r = get("/services/rest?method=photos%2EgetInfo&format=json&id=7").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "getInfo"}))
    );
    // Checked against the operation the query names: `id` is its, and missing.
    let r = get("/services/rest?method=photos.getInfo&format=json").await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        String::from_utf8_lossy(&r.body).contains("id"),
        "{:?}",
        r.body
    );
    // A query no template has: no operation serves it.
    for path in [
        "/services/rest?method=photos.delete",
        "/services/rest?method=photos.getInfo&id=7",
        "/services/rest",
    ] {
        assert_eq!(get(path).await.status, 404, "{path}");
    }
    // A templated pair: present with any value, which its parameter checks.
    let r = get("/weather?city=Paris").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "byCity"}))
    );
    let r = get("/weather?lon=2.35&lat=48.85").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "byPlace"}))
    );
    let r = get("/weather?city=P").await;
    assert_eq!(r.status, 400, "city is too short: {:?}", r.body);
    assert!(
        String::from_utf8_lossy(&r.body).contains("city"),
        "{:?}",
        r.body
    );
    let r = get("/weather?lat=north&lon=2").await;
    assert_eq!(r.status, 400, "lat is not a number: {:?}", r.body);
    // The plain template beside them serves what has none of their pairs.
    let r = get("/weather?units=metric").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "weatherHere"}))
    );
}

#[test]
fn a_replay_step_to_a_shared_path_is_checked_against_the_operation_its_parameters_name() {
    // The step names `countBooks` by its header; bound by its path alone it
    // was `addBook` (the first on `/`), and `{"count": 3}` failed its schema.
    let dir = tempfile::tempdir().unwrap();
    let file = crate::common::replay::write(
        dir.path(),
        "count.yaml",
        "name: count\nsteps:\n  - request:\n      method: POST\n      path: /\n      headers: {X-Act: Shelf.Count}\n    expect:\n      status: 200\n",
    );
    let mut cmd = crate::common::replay::replay();
    cmd.arg(&file)
        .arg("--spec")
        .arg("tests/fixtures/fragments.yaml")
        .arg("--snapshots")
        .arg(dir.path().join("snapshots"))
        .arg("--accept");
    let out = crate::common::replay::run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
}

#[test]
fn a_replay_step_with_a_query_in_its_path_is_bound_by_it() {
    // The query written in `path:` names the operation, as it does on the
    // wire (bound by the path alone, no operation matched and the file was
    // refused); a value still to be filled in (`{{place}}`) says nothing yet.
    let dir = tempfile::tempdir().unwrap();
    let file = crate::common::replay::write(
        dir.path(),
        "search.yaml",
        "name: search\nvars: {place: Paris}\nsteps:\n  - request:\n      method: GET\n      path: /services/rest?method=photos.search&text=cats\n    expect:\n      status: 200\n  - request:\n      method: GET\n      path: /weather\n      query: {city: Paris}\n    expect:\n      status: 200\n  - request:\n      method: GET\n      path: /weather\n      query: {city: \"{{place}}\"}\n    expect:\n      status: 200\n",
    );
    let mut cmd = crate::common::replay::replay();
    cmd.arg(&file)
        .arg("--spec")
        .arg("tests/fixtures/query-templates.yaml")
        .arg("--snapshots")
        .arg(dir.path().join("snapshots"))
        .arg("--accept");
    let out = crate::common::replay::run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
}

#[tokio::test]
async fn a_405_allows_the_methods_of_the_templates_the_request_names() {
    // It listed every method on the path, those of other actions too.
    let c = Arc::new(Contract::from_file("tests/fixtures/query-templates.yaml").expect("loads"));
    let server = MockServer::start(c, ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let r = send(&url, "DELETE", "/things?Action=Describe", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
    let r = send(&url, "GET", "/things?Action=Create", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(send(&url, "DELETE", "/things", &[], None).await.status, 404);

    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let server = MockServer::start(c, ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    // Named by the query, the action exists, not for this method (was a 404).
    let r = send(&url, "POST", "/ec2?Action=Describe", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
    let r = send(&url, "DELETE", "/ec2?Action=Run", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    let r = send(&url, "DELETE", "/ec2", &[], None).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, POST")));
    assert_eq!(
        send(&url, "POST", "/ec2?Action=Bogus", &[], None)
            .await
            .status,
        404
    );
}

/// A scenario step posting a form body is checked as the action its body
/// names, as the mock routes it: the step was taken for the first operation on
/// the path, and its checks (and coverage) were that operation's.
#[tokio::test]
async fn a_scenario_step_with_a_form_body_is_the_action_it_names() {
    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let text = r#"name: form actions
steps:
  - name: delete
    request:
      method: POST
      path: /sqs
      headers: {content-type: application/x-www-form-urlencoded}
      raw_body: "QueueUrl=q1&Action=DeleteQueue"
    expect:
      status: 200
      body:
        /op: {equals: deleteQueue}
  - name: delete, the queue and the charset filled in later
    request:
      method: POST
      path: /sqs
      headers: {Content-Type: "application/x-www-form-urlencoded; charset={{cs}}"}
      raw_body: "Action=DeleteQueue&QueueUrl={{run_id}}"
  - name: not a form, the pairs are not read
    request:
      method: POST
      path: /sqs
      headers: {content-type: text/plain}
      raw_body: "Action=DeleteQueue&QueueUrl=q1"
"#;
    let text = text.replace(
        "name: form actions",
        "name: form actions\nvars:\n  cs: utf-8",
    );
    let scenario =
        mimeo::Scenario::from_text("f.yaml", &text, &c).unwrap_or_else(|e| panic!("{e:#?}"));
    let server = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    let runs = mimeo::run_scenarios(
        c,
        Arc::new(vec![scenario]),
        mimeo::Target {
            base: server.url(),
            is_mock: true,
        },
        mimeo::ReplayOptions::default(),
        |_| {},
    )
    .await
    .expect("runs");
    let steps = &runs[0].steps;
    let ops: Vec<Option<&str>> = steps.iter().map(|s| s.operation.as_deref()).collect();
    assert_eq!(
        ops,
        [
            Some("deleteQueue"),
            Some("deleteQueue"),
            Some("sendMessage")
        ]
    );
    for s in &steps[..2] {
        assert!(s.failures.is_empty(), "{}: {:?}", s.name, s.failures);
    }
}

/// The newest journal entry answered `status` (`null` when there is none).
async fn newest_with_status(url: &str, status: u16) -> serde_json::Value {
    let journal = send(url, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    journal["requests"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["status"] == status))
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_form_body_names_its_action() {
    // AWS's query protocol posts `Action` in the body: the request went to
    // the first operation on the path (here a 400 for its missing MessageBody).
    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let server = MockServer::start(c, ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let post = |body: &'static str| send(&url, "POST", "/sqs", &form, Some(body));
    let r = post("Action=DeleteQueue&QueueUrl=q1").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "deleteQueue"})),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    let r = post("QueueUrl=q1&MessageBody=hi&Action=SendMessage").await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "sendMessage"}))
    );
    // Judged by the operation it names.
    let r = post("Action=SendMessage&QueueUrl=q1").await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(String::from_utf8_lossy(&r.body).contains("MessageBody"));
    let r = post("Action=PurgeQueue&QueueUrl=q1").await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    // The body read to route it is in the journal, as any request's is.
    let last = newest_with_status(&url, 404).await;
    assert_eq!(
        last["request"]["body"], "Action=PurgeQueue&QueueUrl=q1",
        "{last}"
    );
    // And for a 405 (the action is a GET), with a credential's value hidden
    // pair by pair, as in a query.
    let r = send(
        &url,
        "POST",
        "/ec2",
        &form,
        Some("Action=Describe&Password=hunter2"),
    )
    .await;
    assert_eq!(r.status, 405, "{:?}", r.body);
    let last = newest_with_status(&url, 405).await;
    assert_eq!(
        last["request"]["body"], "Action=Describe&Password=%5Bredacted%5D",
        "{last}"
    );
    // A body of many pairs is read once for routing: only the pairs a
    // fragment names are kept (a few), however many there are.
    let many: &'static str = Box::leak(
        format!("{}Action=DeleteQueue&QueueUrl=q1", "a=1&".repeat(100_000)).into_boxed_str(),
    );
    let r = post(many).await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "deleteQueue"}))
    );
    // The query, when it names the action, comes first.
    let r = send(
        &url,
        "POST",
        "/sqs?Action=DeleteQueue",
        &form,
        Some("QueueUrl=q1"),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "deleteQueue"}))
    );
    let ids: Vec<Option<String>> = server
        .received_requests()
        .iter()
        .map(|e| e.operation_id.clone())
        .collect();
    assert_eq!(ids[0].as_deref(), Some("deleteQueue"));
}

#[tokio::test]
async fn a_body_read_to_route_keeps_its_limit() {
    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let options = ServeOptions {
        max_body: 16,
        ..ServeOptions::default()
    };
    let server = MockServer::start(c, options).await.expect("starts");
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = send(
        &server.url(),
        "POST",
        "/sqs",
        &form,
        Some("Action=DeleteQueue&QueueUrl=a-rather-long-queue-url"),
    )
    .await;
    assert_eq!(r.status, 413, "{:?}", r.body);
}

#[test]
fn overlapping_queries_are_warned_of_at_load() {
    let c = Contract::from_file("tests/fixtures/query-templates.yaml").expect("loads");
    let overlap: Vec<&String> = c
        .warnings()
        .iter()
        .filter(|w| w.contains("both match"))
        .collect();
    assert_eq!(overlap.len(), 2, "{:?}", c.warnings());
    assert!(
        overlap.iter().any(|w| w.contains(
            "paths /search?q={q} and /search?q={q}&page={page} (GET) both match a request with the query of /search?q={q}&page={page}"
        )),
        "{overlap:?}"
    );
    assert!(
        overlap
            .iter()
            .any(|w| w
                .starts_with("paths /weather?city={city} and /weather?lat={lat}&lon={lon} (GET)")),
        "{overlap:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_a_query_template_keeps_its_query() {
    // The Location was `/services/rest`, which no operation serves.
    let c = Arc::new(Contract::from_file("tests/fixtures/query-templates.yaml").expect("loads"));
    let server = MockServer::start(c, ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let r = send(
        &url,
        "GET",
        "/services/rest?method=photos.move",
        &[("prefer", "code=303")],
        None,
    )
    .await;
    assert_eq!(r.status, 303, "{:?}", r.body);
    let location = r.header("location").expect("a Location").to_string();
    assert!(
        location.ends_with("/services/rest?method=photos.move"),
        "{location}"
    );
    let path = &location[location.find("/services").unwrap()..];
    assert_eq!(send(&url, "GET", path, &[], None).await.status, 200);
}

#[tokio::test]
async fn the_proxy_routes_a_form_body_by_its_action_too() {
    // The proxy judged the request against the first operation on the path
    // (`--strict`: refused for a missing MessageBody it need not have).
    let c = Arc::new(Contract::from_file("tests/fixtures/fragments.yaml").expect("loads"));
    let target = MockServer::start(c.clone(), ServeOptions::default())
        .await
        .expect("starts");
    let mut opts = mimeo::ProxyOptions::new(target.url());
    opts.strict = true;
    let proxy = mimeo::ProxyServer::start(c, opts)
        .await
        .expect("proxy starts");
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = send(
        &proxy.url(),
        "POST",
        "/sqs",
        &form,
        Some("Action=DeleteQueue&QueueUrl=q1"),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"op": "deleteQueue"})),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    let summary = proxy.shutdown().await;
    assert_eq!(
        (summary.forwarded, summary.count(mimeo::Check::RequestValid)),
        (1, 0),
        "{summary}"
    );
}

#[tokio::test]
async fn a_literal_path_lacking_the_method_leaves_it_to_a_template() {
    // GitLab's `/services/asana` (PUT only) beside `/services/{slug}` (GET);
    // the body echoes the path parameter `slug`.
    let doc = r#"
openapi: 3.0.3
info: {title: services, version: "1"}
paths:
  /projects/{id}/services/asana:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    put:
      operationId: putAsana
      responses: {'204': {description: set}}
  /projects/{id}/services/{slug}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
      - {name: slug, in: path, required: true, schema: {type: string}}
    get:
      operationId: getService
      responses:
        '200':
          description: the service
          content:
            application/json:
              schema: {type: object, properties: {slug: {type: string}}}
              example: {slug: jira}
    delete:
      operationId: deleteService
      responses: {'204': {description: gone}}
"#;
    let c = Arc::new(Contract::from_text("services.yaml", doc).expect("loads"));
    let server = MockServer::start(c, ServeOptions::default())
        .await
        .expect("starts");
    let url = server.url();
    let r = send(&url, "GET", "/projects/7/services/asana", &[], None).await;
    assert_eq!((r.status, r.json()["slug"].as_str()), (200, Some("asana")));
    let r = send(&url, "PUT", "/projects/7/services/asana", &[], None).await;
    assert_eq!(r.status, 204);
    let r = send(&url, "POST", "/projects/7/services/asana", &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("PUT, GET, DELETE"));
}
