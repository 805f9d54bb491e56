//! Security requirements are enforced by default, as Prism does, for every kind
//! of scheme (tests/fixtures/security.yaml): a request without the credentials
//! its operation asks for, in the form the scheme defines, gets 401 with a
//! `WWW-Authenticate` challenge for the right scheme, in the contract's error
//! shape when the operation documents 401 (or `default`), else a small
//! problem+json; the same request with the credentials reaches the operation.
//! `--auth` demands exact Basic credentials, `--no-auth` (or `no_auth()`)
//! turns enforcement off; admin endpoints and CORS preflights never ask.

use std::sync::Arc;

use crate::common::proxy::spawn_command;
use crate::common::*;
use mimeo::{Contract, MockServer};

fn locks() -> Arc<Contract> {
    Arc::new(Contract::from_file("tests/fixtures/security.yaml").expect("loads"))
}

async fn server() -> MockServer {
    MockServer::builder(locks()).start().await.unwrap()
}

async fn get(server: &MockServer, path: &str, headers: &[(&str, &str)]) -> Reply {
    send_anonymous(&server.url(), "GET", path, headers, "").await
}

fn challenge(r: &Reply) -> String {
    r.headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Headers sent with a request.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn each_scheme_is_asked_for_in_its_own_form() {
    let s = server().await;
    let basic = ("authorization", "Basic dXNlcjpwYXNz"); // user:pass
    let bearer = ("authorization", "Bearer eyJhbGciOi.x.y");
    let cases: &[(&str, Headers<'_>, Headers<'_>, &str)] = &[
        // (path, credentials that do, credentials that do not, challenge)
        ("/basic", &[basic], &[bearer], "Basic realm="),
        ("/bearer", &[bearer], &[basic], "Bearer realm="),
        (
            "/header-key",
            &[("x-api-key", "k1")],
            &[("x-other-key", "k1")],
            "ApiKey realm=\"mimeo\", in=\"header\", name=\"X-Api-Key\"",
        ),
        (
            "/cookie-key",
            &[("cookie", "theme=dark; session=abc")],
            &[("cookie", "theme=dark")],
            "ApiKey realm=\"mimeo\", in=\"cookie\", name=\"session\"",
        ),
        ("/oauth", &[bearer], &[basic], "Bearer realm="),
        (
            "/oidc",
            &[bearer],
            &[("authorization", "Bearer ")],
            "Bearer",
        ),
    ];
    for (path, good, bad, scheme) in cases {
        let r = get(&s, path, good).await;
        assert_eq!(r.status, 200, "{path} with {good:?}: {:?}", r.body);
        for headers in [&[][..], bad] {
            let r = get(&s, path, headers).await;
            assert_eq!(r.status, 401, "{path} with {headers:?}");
            assert!(challenge(&r).contains(scheme), "{path}: {}", challenge(&r));
        }
    }
    // A key in the query.
    assert_eq!(get(&s, "/query-key?api_key=k", &[]).await.status, 200);
    let r = get(&s, "/query-key?apikey=k", &[]).await;
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("in=\"query\", name=\"api_key\""));
    // Credentials come first: a request without them is refused before it is validated.
    assert_eq!(get(&s, "/query-key?limit=99", &[]).await.status, 401);
    assert_eq!(
        get(&s, "/query-key?limit=99&api_key=k", &[]).await.status,
        400
    );
}

#[tokio::test]
async fn alternatives_are_or_and_schemes_within_one_are_and() {
    let s = server().await;
    let bearer = ("authorization", "Bearer t");
    let key = ("x-api-key", "k");
    assert_eq!(get(&s, "/either", &[bearer]).await.status, 200);
    assert_eq!(get(&s, "/either?api_key=q", &[key]).await.status, 200);
    // Half of the second alternative is not enough.
    let r = get(&s, "/either", &[key]).await;
    assert_eq!(r.status, 401);
    let c = challenge(&r);
    assert!(c.contains("Bearer") && c.contains("X-Api-Key") && c.contains("api_key"));
    let detail = r.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("a bearer token")
            && detail.contains(
                "an API key in header X-Api-Key and an API key in query parameter api_key"
            ),
        "{detail}"
    );
    // `security: []` asks for nothing, whatever the document's global requirement.
    assert_eq!(get(&s, "/public", &[]).await.status, 200);
}

#[tokio::test]
async fn the_401_takes_the_contracts_shape_or_says_what_is_missing() {
    let s = server().await;
    // Documented 401: the contract's error shape.
    let r = get(&s, "/basic", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["status"], 401);
    assert!(r.json()["error"].is_string(), "{:?}", r.body);
    // Documented as `default`: the contract's shape too.
    let r = get(&s, "/header-key", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["status"], 401);
    // Nothing documented: an honest problem+json.
    let r = get(&s, "/bearer", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body = r.json();
    assert_eq!(body["status"], 401);
    assert_eq!(body["title"], "Unauthorized");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));
    // The journal says why, and the verdict keeps the request.
    let why: Vec<String> = s
        .received_requests()
        .iter()
        .map(|r| r.reason.to_string())
        .collect();
    assert!(why.iter().all(|w| w.contains("no credentials")), "{why:?}");
}

#[tokio::test]
async fn exact_credentials_when_given_and_none_with_no_auth() {
    let exact = MockServer::builder(locks())
        .auth("ACxx", "secret")
        .start()
        .await
        .unwrap();
    let right = ("authorization", "Basic QUN4eDpzZWNyZXQ="); // ACxx:secret
    let other = ("authorization", "Basic dXNlcjpwYXNz"); // user:pass
    assert_eq!(get(&exact, "/basic", &[right]).await.status, 200);
    let r = get(&exact, "/basic", &[other]).await;
    assert_eq!(r.status, 401);
    assert!(exact.received_requests()[1]
        .reason
        .to_string()
        .contains("wrong credentials"));
    // Exact Basic credentials say nothing about the other schemes.
    let bearer = ("authorization", "Bearer t");
    assert_eq!(get(&exact, "/bearer", &[bearer]).await.status, 200);

    let open = MockServer::builder(locks())
        .no_auth()
        .start()
        .await
        .unwrap();
    for path in ["/basic", "/bearer", "/header-key", "/either"] {
        assert_eq!(get(&open, path, &[]).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn admin_endpoints_and_preflights_ask_for_nothing() {
    let s = server().await;
    let r = get(&s, "/__admin/health", &[]).await;
    assert_eq!(r.status, 200);
    let r = send_anonymous(
        &s.url(),
        "OPTIONS",
        "/basic",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization")
    );
    // A plain OPTIONS the contract documents is an operation like any other:
    // the document's global requirement applies to it.
    let options = |headers: &'static [(&'static str, &'static str)]| {
        let url = s.url();
        async move {
            send_anonymous(&url, "OPTIONS", "/public", headers, "")
                .await
                .status
        }
    };
    assert_eq!(options(&[]).await, 401);
    assert_eq!(
        options(&[("authorization", "Basic dXNlcjpwYXNz")]).await,
        204
    );
}

#[tokio::test]
async fn the_memory_mock_refuses_anonymous_requests_and_takes_helper_credentials() {
    let server = spawn_command("serve", &["--port", "0", "--quiet"]);
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let store = format!("/v1/ControlPlane/Stores/{STORE}");
    for (method, path) in [("GET", ids.as_str()), ("DELETE", store.as_str())] {
        let r = send_anonymous(&server.url, method, path, &[], "").await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert!(challenge(&r).starts_with("Basic realm="), "{method} {path}");
        assert_eq!(r.json()["status"], 401);
        // What the twilio helper libraries send: AccountSid and AuthToken as Basic.
        let r = send(&server.url, method, path, &[], None).await;
        assert_eq!(r.status, if method == "GET" { 200 } else { 202 });
        // The credentials `mimeo replay` sends for `auth: invalid` are never accepted.
        let (user, pass) = mimeo::REJECTED_CREDENTIALS;
        let token = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{user}:{pass}"),
        );
        let r = send(
            &server.url,
            method,
            path,
            &[("authorization", &format!("Basic {token}"))],
            None,
        )
        .await;
        assert_eq!(r.status, 401);
    }
    server.stop();

    let open = spawn_command("serve", &["--port", "0", "--quiet", "--no-auth"]);
    let r = send_anonymous(&open.url, "GET", &ids, &[], "").await;
    assert_eq!(r.status, 200);
    open.stop();
}

fn key_names() -> Arc<Contract> {
    Arc::new(Contract::from_file("tests/fixtures/keynames.yaml").expect("loads"))
}

/// API keys the contract declares are credentials whatever their names look
/// like: the journal never shows them, in the URL, its query or its headers.
#[tokio::test]
async fn declared_api_keys_never_reach_the_journal() {
    let s = MockServer::builder(key_names()).start().await.unwrap();
    let r = get(
        &s,
        "/things?appid=supersecretvalue1",
        &[("x-client", "TopSecretKEY99")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let journal = get(&s, "/__admin/requests", &[]).await;
    assert_eq!(journal.status, 200);
    let text = String::from_utf8_lossy(&journal.body).to_string();
    assert!(text.contains("/things"), "{text}");
    for secret in ["supersecretvalue1", "TopSecretKEY99"] {
        assert!(!text.contains(secret), "{secret} in the journal: {text}");
    }
}

/// Credentials first: a request without them is 401 even when it also asks
/// for something the mock refuses (a malformed `Prefer`).
#[tokio::test]
async fn credentials_are_checked_before_prefer() {
    let s = MockServer::builder(key_names()).start().await.unwrap();
    let r = get(&s, "/things", &[("prefer", "code=abc")]).await;
    assert_eq!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
    let r = get(
        &s,
        "/things?appid=k1",
        &[("x-client", "k2"), ("prefer", "code=abc")],
    )
    .await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
}

/// An error mimeo makes is never given the shape of a documented response that
/// has no body: the contract documents none, so it is an RFC 9457 problem.
#[tokio::test]
async fn an_error_never_borrows_a_response_without_a_body() {
    let s = MockServer::builder(key_names()).start().await.unwrap();
    let r = send_anonymous(
        &s.url(),
        "POST",
        "/things?appid=k1",
        &[("x-client", "k2"), ("content-type", "application/json")],
        r#"{"name": 5}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert!(
        String::from_utf8_lossy(&r.body).contains("name"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
}

#[tokio::test]
async fn a_credential_in_the_path_never_reaches_the_log() {
    // A JWT as a path segment, with and without a query: the log line shows
    // the path through the same redaction as the journal.
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
    let running = spawn_command("serve", &["--port", "0"]);
    for path in [
        format!("/v1/ControlPlane/Stores/{jwt}"),
        format!("/v1/ControlPlane/Stores/{jwt}?x=1"),
    ] {
        let r = send(&running.url, "DELETE", &path, &[], None).await;
        assert_eq!(r.status, 400, "{path}");
    }
    let stopped = running.stop();
    assert!(
        !stopped.stderr.contains("eyJhbGciOiJIUzI1NiJ9"),
        "{}",
        stopped.stderr
    );
    assert_eq!(
        stopped
            .stderr
            .lines()
            .filter(
                |l| l.contains("] DELETE /v1/ControlPlane/Stores/[redacted]")
                    && l.contains(" -> 400 ")
            )
            .count(),
        2,
        "{}",
        stopped.stderr
    );
}
