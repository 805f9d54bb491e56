//! What the mock answers keeps the contract even where the document is loose
//! or says more than a mock can honestly claim: errors documented only by
//! `default` take its shape, a contract without error bodies gets RFC 9457
//! problems, 204 and 304 carry no body, representation headers are never
//! copied from examples (a documented gzip coding is applied for real), a
//! 202's Location points at the mock, and redirects asked for with `Prefer`
//! or a rule end at the canonical URL instead of looping.

use std::io::Read;
use std::sync::Arc;

use crate::common::{send, send_exact, start, Reply, PROFILE, STORE};
use mimeo::{check_response, Contract, Method, MockServer, Rule, ServeOptions};

/// Basic credentials as Twilio's helper libraries send them (`AC:token`).
const AUTH: (&str, &str) = ("authorization", "Basic QUM6dG9rZW4=");

fn fixture(name: &str) -> Arc<Contract> {
    Arc::new(Contract::from_file(format!("tests/fixtures/{name}")).expect("fixture loads"))
}

async fn serve(c: &Arc<Contract>, opts: ServeOptions) -> MockServer {
    MockServer::start(c.clone(), opts).await.expect("starts")
}

/// Asserts the answer keeps `op_id`'s contract (every check mimeo has).
fn assert_keeps(c: &Contract, op_id: &str, r: &Reply) {
    let op = c.operation_by_id(op_id).unwrap();
    let failures = check_response(c, op, r.status, &r.headers, &r.body, None).failures;
    assert!(
        failures.is_empty(),
        "{op_id} {}: {failures:#?} {:?}",
        r.status,
        r.body
    );
}

#[tokio::test]
async fn errors_mimeo_makes_take_the_default_response_shape() {
    let c = fixture("responses.yaml");
    let server = serve(
        &c,
        ServeOptions {
            max_body: 64,
            ..ServeOptions::default()
        },
    )
    .await;
    let url = server.url();
    let problem = Some("application/problem+json");

    // 400: an invalid request, the violations in the message member.
    let r = send(&url, "GET", "/items/nope?limit=11", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.header("content-type"), problem);
    assert_keeps(&c, "getItem", &r);
    let body = r.json();
    assert_eq!(body["status"], 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("path parameter itemId: pattern"),
        "{message}"
    );
    assert!(
        message.contains("query parameter limit: maximum"),
        "{message}"
    );

    // 413 and a misused Prefer (422, still marked as mimeo's) in the same shape.
    let big = format!(r#"{{"id":"it_001","name":"{}"}}"#, "x".repeat(100));
    let r = send(&url, "PUT", "/items/it_001", &[], Some(&big)).await;
    assert_eq!(r.status, 413);
    assert_keeps(&c, "putItem", &r);
    assert_eq!(r.json()["status"], 413);
    let r = send(
        &url,
        "GET",
        "/items/it_001",
        &[("prefer", "example=nope")],
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.header("mimeo-error"), Some("unknown-example"));
    assert_eq!(r.header("content-type"), problem);
    assert_keeps(&c, "getItem", &r);
    assert!(r.json()["message"].as_str().unwrap().contains("nope"));

    // 404 and 405 no operation documents: the document's `default` still.
    let r = send(&url, "GET", "/nowhere", &[], None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), problem);
    assert_eq!(r.json()["status"], 404);
    let r = send(&url, "DELETE", "/items/it_001", &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["status"], 405);
    assert_eq!(r.header("allow"), Some("GET, PUT"));

    // A 4xx asked for and generated: its status member says its status.
    for ask in [
        "code=418",
        "code=418, dynamic=true",
        "code=503, dynamic=true",
    ] {
        let r = send(&url, "GET", "/items/it_001", &[("prefer", ask)], None).await;
        assert_keeps(&c, "getItem", &r);
        assert_eq!(r.json()["status"], r.status, "{ask}");
    }
}

#[tokio::test]
async fn a_contract_without_error_bodies_gets_rfc9457_problems() {
    let c = fixture("bare.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let r = send(&server.url(), "GET", "/things/0?q=long", &[], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body = r.json();
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Bad Request");
    assert_eq!(body["status"], 400);
    assert!(body["detail"].as_str().unwrap().contains("minimum"));
    let rules: Vec<(&str, &str)> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["in"].as_str().unwrap(), v["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, [("path", "minimum"), ("query", "maxLength")]);
    let r = send(&server.url(), "GET", "/other", &[], None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["title"], "Not Found");
    assert!(r.json().get("violations").is_none());
}

#[tokio::test]
async fn no_content_and_not_modified_carry_no_body() {
    let c = fixture("responses.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let item = Some(r#"{"id":"it_001"}"#);
    for code in [204, 304] {
        let prefer = format!("code={code}");
        let r = send(
            &server.url(),
            "PUT",
            "/items/it_001",
            &[("prefer", &prefer)],
            item,
        )
        .await;
        assert_eq!(r.status, code);
        assert!(r.body.is_empty(), "{code}: {:?}", r.body);
        assert_eq!(r.header("content-type"), None, "{code}");
        assert_keeps(&c, "putItem", &r);
    }
    // The documented Content-Length (120) is not claimed for an empty body.
    let r = send(&server.url(), "PUT", "/items/it_001", &[], item).await;
    assert_eq!(r.status, 204);
    assert_ne!(r.header("content-length"), Some("120"));
}

#[tokio::test]
async fn a_documented_gzip_coding_is_applied_or_left_out() {
    let c = fixture("responses.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let url = server.url();
    for dynamic in ["false", "true"] {
        let prefer = format!("dynamic={dynamic}");
        let h = [("accept-encoding", "br, gzip;q=0.8"), ("prefer", &prefer)];
        let r = send(&url, "POST", "/recall", &h, Some("{}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str())
        );
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_string(&mut plain)
            .expect("really gzip");
        let v: serde_json::Value = serde_json::from_str(&plain).unwrap();
        assert!(v["memories"].is_array(), "{plain}");
        // The checks read the coding as a client does.
        assert_keeps(&c, "recall", &r);
        assert_eq!(r.header("x-request-id"), Some("req_1"));
        for made_up in ["content-range", "transfer-encoding"] {
            assert_eq!(r.header(made_up), None, "{made_up}");
        }
    }
    // A client that does not say it can decode gets plain JSON and no claim.
    for h in [&[][..], &[("accept-encoding", "gzip;q=0, identity")][..]] {
        let r = send(&url, "POST", "/recall", h, Some("{}")).await;
        assert_eq!(r.header("content-encoding"), None, "{h:?}");
        assert_eq!(r.json()["memories"][0], "lamp");
        assert_keeps(&c, "recall", &r);
    }
}

#[tokio::test]
async fn locations_point_at_the_mock() {
    let c = fixture("responses.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let r = send(&server.url(), "POST", "/jobs", &[], None).await;
    assert_eq!(r.status, 202);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/jobs/job_1?verbose=true", server.url()).as_str())
    );
    // The Memory contract's control plane: its status URL is on the mock too.
    let memory = start(ServeOptions::default()).await;
    let r = send(
        &memory.url(),
        "DELETE",
        &format!("/v1/ControlPlane/Stores/{STORE}"),
        &[AUTH],
        None,
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let location = r.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{}/v1/ControlPlane/Operations/", memory.url())),
        "{location}"
    );
}

/// Follows redirects the way HTTP clients do, resending every header (Prefer
/// included) and the body (as for a 307 or 308); panics after ten hops.
async fn follow(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (Reply, usize) {
    let mut path = path.to_string();
    for hops in 0..10 {
        let r = send_exact(base, method, &path, headers, body).await;
        if !(300..400).contains(&r.status) {
            return (r, hops);
        }
        let location = r.header("location").expect("a redirect has a Location");
        path = location
            .strip_prefix(base)
            .unwrap_or_else(|| panic!("{location} is not on the mock {base}"))
            .to_string();
    }
    panic!("{method} {path}: still redirected after 10 hops");
}

#[tokio::test]
async fn redirects_asked_for_end_at_the_canonical_url() {
    let memory = start(ServeOptions::default()).await;
    let list = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let h = [("prefer", "code=301"), AUTH];
    let (r, hops) = follow(&memory.url(), "GET", &list, &h, "").await;
    assert_eq!((r.status, hops), (200, 1), "{:?}", r.body);
    let list_301 = format!("{list}?__code=301");
    let (r, hops) = follow(&memory.url(), "GET", &list_301, &[AUTH], "").await;
    assert_eq!((r.status, hops), (200, 1));
    // A 308 on create: the client repeats the POST, Prefer and body included.
    let h = [
        ("prefer", "code=308"),
        ("content-type", "application/json"),
        AUTH,
    ];
    let add = r#"{"idType":"email","value":"ada@example.com"}"#;
    let (r, hops) = follow(&memory.url(), "POST", &list, &h, add).await;
    assert_eq!((r.status, hops), (202, 1), "{:?}", r.body);

    // A rule that redirects every list: the canonical profile's list is answered.
    let ruled = start(ServeOptions {
        rules: vec![Rule::status(
            Method::GET,
            "/v1/Stores/*/Profiles/*/Identifiers",
            301,
        )],
        ..ServeOptions::default()
    })
    .await;
    let (r, hops) = follow(&ruled.url(), "GET", &list, &[AUTH], "").await;
    assert_eq!((r.status, hops), (200, 1));

    // Without x-mimeo-redirect: the documented Location's path, which is not
    // redirected again.
    let c = fixture("responses.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let h = [("prefer", "code=301")];
    let (r, hops) = follow(&server.url(), "GET", "/jobs/job_9", &h, "").await;
    assert_eq!((r.status, hops), (200, 1));
    let r = send(
        &server.url(),
        "GET",
        "/jobs/job_9",
        &[("prefer", "code=301")],
        None,
    )
    .await;
    assert_eq!(
        r.header("location"),
        Some(format!("{}/jobs/job_current", server.url()).as_str())
    );
}

#[tokio::test]
async fn generated_data_makes_sense() {
    let c = fixture("responses.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    // Static: each property's own example, default or first enum member.
    let r = send(&server.url(), "GET", "/items", &[], None).await;
    let item = &r.json()["items"][0];
    assert_eq!(item["id"], "it_001");
    assert_eq!(item["name"], "lamp");
    assert_eq!(item["size"], 3);
    assert_eq!(item["color"], "red");
    // Dynamic: list items with declared properties are never empty objects,
    // and the documented examples show up among the made-up values.
    let mut texts = std::collections::HashSet::new();
    for _ in 0..20 {
        let r = send(
            &server.url(),
            "GET",
            "/notes",
            &[("prefer", "dynamic=true")],
            None,
        )
        .await;
        assert_keeps(&c, "listNotes", &r);
        for note in r.json().as_array().unwrap() {
            assert!(!note.as_object().unwrap().is_empty(), "{}", r.json());
            if let Some(t) = note["text"].as_str() {
                texts.insert(t.to_string());
            }
        }
    }
    assert!(texts.contains("buy milk"), "{texts:?}");
    assert!(texts.len() > 2, "{texts:?}");
}

#[tokio::test]
async fn an_operation_documented_only_by_default_answers_200_with_its_body() {
    // `default` covers the success too: such an operation used to get 500 for
    // every valid request (found on 24 public descriptions).
    let c = fixture("default-only.yaml");
    let server = serve(&c, ServeOptions::default()).await;
    let url = server.url();
    let r = send(&url, "GET", "/reports/7", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json(), serde_json::json!({"id": 7, "title": "weekly"}));
    assert_keeps(&c, "getReport", &r);
    let r = send(&url, "DELETE", "/reports/7", &[], None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // An invalid request still gets an error, and a documented redirect is
    // still preferred to `default`.
    let r = send(&url, "GET", "/reports/seven", &[], None).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let r = send(&url, "GET", "/login", &[], None).await;
    assert_eq!(r.status, 302, "{:?}", r.body);
    // Any other status `default` covers is still there for the asking.
    let r = send(&url, "GET", "/reports/7", &[("prefer", "code=503")], None).await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_keeps(&c, "getReport", &r);
}
