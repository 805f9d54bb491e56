//! Credentials are never written: not from the `--target` URL, not from request
//! bodies or names the old list missed, not in any encoded form a target echoes
//! them in, and not in the proxy's log once a value has been hidden.

use std::path::Path;

use base64::Engine;

use crate::common::proxy::spawn;
use crate::common::{send, PROFILE, STORE};

fn files_text(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            text.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_and_its_recordings_keep_no_credential() {
    let mock = crate::common::start(mimeo::ServeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    // Credentials in the target URL: used, never shown.
    let target = mock
        .url()
        .replace("http://", "http://AC0target:url-pass-5e1f@");
    let running = spawn(&[
        "--target",
        &target,
        "--port",
        "0",
        "--record",
        rec.to_str().unwrap(),
        "--one-scenario",
    ]);
    assert!(
        running
            .banner
            .contains("proxying to http://[redacted]@127.0.0.1:"),
        "{}",
        running.banner
    );
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    // Secrets in a JSON body (by name, nested, and by value) and under names the
    // old list missed, in the query and in headers.
    let body = r#"{"idType":"email","value":"a@x.io","password":"pw-body-1b2c","authToken":"tok-body-3d4e","apiKey":"key-body-5f6a","nested":{"client_secret":"cs-body-7b8c"},"note":"Bearer note-body-9d0e"}"#;
    let r = send(&running.url, "POST", &ids, &[], Some(body)).await;
    assert_eq!(r.status, 400);
    let query = format!("{ids}?pwd=pwd-q-1a2b&passwd=passwd-q-3c4d&sig=sig-q-5e6f&signature=signature-q-7a8b&page=2");
    let r = send(
        &running.url,
        "GET",
        &query,
        &[
            ("x-signature", "xsig-h-9c0d"),
            ("x-credential", "xcred-h-1e2f"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    // A query value that breaks a rule is hidden in the URL and in the message.
    let r = send(
        &running.url,
        "DELETE",
        &format!("{ids}/email?removeAll=secret-in-violation-3a4b&token=secret-in-violation-3a4b"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    let stopped = running.stop();
    assert_eq!(stopped.code, Some(0), "{stopped}");
    let written = files_text(&rec);
    let everything = format!("{}\n{}\n{written}", stopped.stdout, stopped.stderr);
    let b64 = base64::engine::general_purpose::STANDARD.encode("AC0target:url-pass-5e1f");
    for secret in [
        "url-pass-5e1f",
        b64.as_str(),
        "pw-body-1b2c",
        "tok-body-3d4e",
        "key-body-5f6a",
        "cs-body-7b8c",
        "note-body-9d0e",
        "pwd-q-1a2b",
        "passwd-q-3c4d",
        "sig-q-5e6f",
        "signature-q-7a8b",
        "xsig-h-9c0d",
        "xcred-h-1e2f",
        "secret-in-violation-3a4b",
    ] {
        assert!(
            !everything.contains(secret),
            "`{secret}` leaked:\n{everything}"
        );
    }
    for noted in [
        "body member /password",
        "body member /authToken",
        "body member /apiKey",
        "body member /nested/client_secret",
        "body member /note",
        "query parameter pwd",
        "query parameter passwd",
        "query parameter sig ",
        "query parameter signature",
        "header x-signature",
        "header x-credential",
    ] {
        assert!(written.contains(noted), "`{noted}` not noted:\n{written}");
    }
    assert!(written.contains("\"page\": \"2\""), "{written}");
    assert!(
        written.contains("from http://[redacted]@127.0.0.1:"),
        "{written}"
    );
    // What was recorded still loads.
    assert!(stopped.stderr.contains("recorded "), "{stopped}");
    assert!(!stopped.stderr.contains("BUG"), "{stopped}");
}

/// Replays `scenario` against `base` (with `extra` flags), writing snapshots,
/// a JSON and a JUnit report into `dir`; the run, and everything it wrote and
/// printed as one text.
fn replay_everything(
    dir: &Path,
    scenario: &Path,
    base: &str,
    extra: &[&str],
) -> (crate::common::replay::Run, String) {
    let (json, junit, snaps) = (
        dir.join("report.json"),
        dir.join("report.xml"),
        dir.join("snaps"),
    );
    let mut cmd = crate::common::replay::replay();
    cmd.args([scenario.to_str().unwrap(), "--target", base]);
    cmd.args(extra);
    cmd.args([
        "--snapshots",
        snaps.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let run = crate::common::replay::run(cmd);
    let everything = format!(
        "{}{}{}{}{}",
        run.stdout,
        run.stderr,
        std::fs::read_to_string(&json).unwrap_or_default(),
        std::fs::read_to_string(&junit).unwrap_or_default(),
        files_text(&snaps)
    );
    (run, everything)
}

/// An answer of the test targets below.
type Answer = Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible>;

/// Serves `handler` on 127.0.0.1 (a free port) for as long as the test runs;
/// its base URL.
async fn target<F, R>(handler: F) -> String
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> R + Copy + Send + 'static,
    R: std::future::Future<Output = Answer> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper::service::service_fn(handler),
                    )
                    .await;
            });
        }
    });
    base
}

/// A target that echoes the credentials it was sent, in every form a server
/// might: as a JSON key, URL-encoded, base64, `\u`-escaped.
async fn echo(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible> {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let token = base64::engine::general_purpose::STANDARD
        .decode(auth.trim_start_matches("Basic "))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.split_once(':').map(|(_, p)| p.to_string()))
        .unwrap_or_default();
    let escaped: String = token
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&token);
    let wrapped =
        base64::engine::general_purpose::STANDARD.encode(format!("{{\"t\":\"{token}\"}}"));
    let body = format!(
        r#"{{"idType":"email","values":["a@x.io"],"{token}":1,"u":"{escaped}","q":"x={encoded}","b":"{b64}","w":"{wrapped}"}}"#
    );
    Ok(hyper::Response::builder()
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_credentials_are_scrubbed_in_every_form() {
    let base = target(echo).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("echo.yaml");
    std::fs::write(
        &scenario,
        format!("name: echo\nvars:\n  storeId: {STORE}\n  profileId: {PROFILE}\nsteps:\n  - request:\n      method: GET\n      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email\n    expect:\n      status: 200\n"),
    )
    .unwrap();
    let token = "Sup3r/Secret+Token=9z";
    let auth = format!("AC0echo:{token}");
    let (run, everything) = replay_everything(dir.path(), &scenario, &base, &["--auth", &auth]);
    // Echoed members the contract does not declare: a failing run, fully reported.
    assert_eq!(run.code, Some(1), "{run}");
    let escaped: String = token
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(token);
    for form in [
        token,
        escaped.as_str(),
        encoded.as_str(),
        b64.as_str(),
        "Sup3r",
        "9z\"",
    ] {
        assert!(!everything.contains(form), "`{form}` leaked:\n{everything}");
    }
    // The base64 of a text that holds the token: the part that encodes it is gone.
    let wrapped =
        base64::engine::general_purpose::STANDARD.encode(format!("{{\"t\":\"{token}\"}}"));
    assert!(!everything.contains(&wrapped), "{everything}");
    assert!(everything.contains("[redacted]"), "{everything}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preference_the_log_repeats_hides_the_servers_credentials_every_time() {
    // The reason a log line gives for a `Prefer` is kept per thread from the
    // second request alike, and found for the third and fourth (one worker
    // thread: all four pass through the same memo): the kept one is redacted
    // as the first was. (The example the preference names is the server's
    // password here.)
    let running = crate::common::proxy::spawn_command(
        "serve",
        &["--port", "0", "--workers", "1", "--auth", "AC1:example"],
    );
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC1:example")
    );
    let headers = [
        ("authorization", basic.as_str()),
        ("prefer", "code=200, example=example"),
    ];
    for _ in 0..4 {
        let r = send(&running.url, "GET", &ids, &headers, None).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let stopped = running.stop();
    let reasons = stopped
        .stderr
        .matches("(Prefer code=200, [redacted]=[redacted])");
    assert_eq!(reasons.count(), 4, "{stopped}");
    assert!(!stopped.stderr.contains("example=example"), "{stopped}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mocks_log_and_replays_reports_keep_no_credential() {
    // The mock's request log hides query values that look like credentials.
    let running = crate::common::proxy::spawn_command("serve", &["--port", "0"]);
    let ids = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers");
    let r = send(
        &running.url,
        "GET",
        &format!("{ids}?access_token=mocklog-secret-1a&page=2&x=Bearer%20mocklog-secret-2b"),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let stopped = running.stop();
    assert!(!stopped.stderr.contains("mocklog-secret"), "{stopped}");
    assert!(
        stopped
            .stderr
            .contains("access_token=%5Bredacted%5D&page=2"),
        "{stopped}"
    );

    // Replay sends the credentials of a --target URL (a mock that demands
    // exactly them accepts every step), never on `auth: none` steps (which
    // got them, so routing-and-auth's 401 step failed), and shows them nowhere.
    let contract = crate::common::contract();
    let model = mimeo::state::StateModel::for_contract(&contract).unwrap();
    let mock = crate::common::start(mimeo::ServeOptions {
        auth: Some(("AC0url".into(), "url-secret-77c".into())),
        stateful: Some((std::sync::Arc::new(model), Default::default())),
        ..mimeo::ServeOptions::default()
    })
    .await;
    let target = mock
        .url()
        .replace("http://", "http://AC0url:url-secret-77c@");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut cmd = crate::common::replay::replay();
    cmd.args([
        suite.join("identifier-lifecycle.yaml").to_str().unwrap(),
        suite.join("routing-and-auth.yaml").to_str().unwrap(),
        "--target",
        &target,
        "--target-is-mock",
        "--snapshots",
        dir.path().join("s").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let run = crate::common::replay::run(cmd);
    assert_eq!(run.code, Some(0), "{run}");
    let report = std::fs::read_to_string(&json).unwrap();
    for text in [
        &run.stdout,
        &run.stderr,
        &report,
        &files_text(&dir.path().join("s")),
    ] {
        assert!(!text.contains("url-secret-77c"), "{text}");
    }
    assert!(run.stdout.contains("against http://127.0.0.1:"), "{run}");
    assert!(
        report.contains("\"target\": \"http://127.0.0.1:"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_repeated_in_the_url_is_hidden_however_it_is_encoded() {
    // `-u user1:Pa55word+X/Y` with the password again in the query: only the
    // canonical encoding was hidden, by the mock; the proxy hid none of them.
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "user1:Pa55word+X/Y"
        )
    );
    let query = "?removeAll=maybe&s=Pa55word+X/Y&u=%50a55word%2BX%2FY&v=Pa55word%2BX/Y&w=x%20Pa55word%2bX%2fY%20y";
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email{query}");
    let forms = ["Pa55word", "a55word", "%50a55"];
    let leaks = |text: &str| forms.iter().any(|f| text.contains(f));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mock = crate::common::proxy::spawn_command(
        "serve",
        &["--port", "0", "--report-json", report.to_str().unwrap()],
    );
    let headers = [("authorization", auth.as_str())];
    let r = send(&mock.url, "DELETE", &path, &headers, None).await;
    assert_eq!(r.status, 400, "removeAll=maybe breaks the contract");
    let journal = send(&mock.url, "GET", "/__admin/requests", &[], None).await;
    let journal = String::from_utf8_lossy(&journal.body).into_owned();
    assert!(journal.contains("removeAll"), "{journal}");
    assert!(!leaks(&journal), "{journal}");

    // The proxy in front of it: its log, summary and reports.
    let pdir = dir.path().join("proxy");
    std::fs::create_dir(&pdir).unwrap();
    let (pjson, pxml) = (pdir.join("r.json"), pdir.join("r.xml"));
    let proxy = spawn(&[
        "--target",
        &mock.url,
        "--port",
        "0",
        "--report-json",
        pjson.to_str().unwrap(),
        "--report",
        pxml.to_str().unwrap(),
    ]);
    let r = send(&proxy.url, "DELETE", &path, &headers, None).await;
    assert_eq!(r.status, 400);
    let proxied = proxy.stop();
    let mocked = mock.stop();
    for text in [
        proxied.stderr.clone(),
        proxied.stdout.clone(),
        mocked.stderr.clone(),
        std::fs::read_to_string(&report).unwrap(),
        std::fs::read_to_string(&pjson).unwrap(),
        std::fs::read_to_string(&pxml).unwrap(),
    ] {
        assert!(!leaks(&text), "{text}");
    }
    assert!(proxied.stderr.contains("removeAll=maybe"), "{proxied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_value_hidden_under_one_name_is_hidden_under_every_other_in_the_journal() {
    // The URL hid `removeAll=X` when `token=X` was hidden; the journal's
    // queryParams judged each value by its own name and showed it.
    let secret = "Tw1stedS3cret";
    let query = format!("?removeAll={secret}&token={secret}&note=a-{secret}-b&page=2");
    let path = format!("/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email{query}");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mock = crate::common::proxy::spawn_command(
        "serve",
        &["--port", "0", "--report-json", report.to_str().unwrap()],
    );
    let auth = "Basic QUMxMjM6c2VjcmV0";
    let r = send(&mock.url, "DELETE", &path, &[("authorization", auth)], None).await;
    assert_eq!(r.status, 400, "removeAll must be a boolean");
    let journal = send(&mock.url, "GET", "/__admin/requests", &[], None).await;
    let journal: serde_json::Value = serde_json::from_slice(&journal.body).unwrap();
    let request = &journal["requests"][0]["request"];
    let params = &request["queryParams"];
    assert_eq!(params["token"][0], "[redacted]", "{request}");
    assert_eq!(params["removeAll"][0], "[redacted]", "{request}");
    assert_eq!(params["note"][0], "[redacted]", "{request}");
    assert_eq!(params["page"][0], "2", "{request}");
    assert!(!journal.to_string().contains(secret), "{journal}");
    // The violation quoting it, in the log and the report too.
    let mocked = mock.stop();
    assert!(mocked.stderr.contains("removeAll"), "{mocked}");
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains("removeAll"), "{report}");
    for text in [&mocked.stderr, &mocked.stdout, &report] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_value_cut_short_in_a_message_or_sent_in_a_form_body_is_hidden() {
    // A violation quotes a long value cut short (`got `abc…``): the whole
    // value never appeared, so its first 119 characters did. And a form
    // body's `remember=<token>` beside `token=<token>` was quoted as sent.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("login.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /login:
    post:
      parameters:
        - {name: token, in: query, schema: {type: string}}
        - {name: remember, in: query, schema: {type: boolean}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                token: {type: string}
                remember: {type: boolean}
      responses: {'204': {description: ok}}
",
    )
    .unwrap();
    let report = dir.path().join("r.json");
    let mock = crate::common::proxy::spawn_command(
        "serve",
        &[
            "--port",
            "0",
            "--spec",
            spec.to_str().unwrap(),
            "--report-json",
            report.to_str().unwrap(),
        ],
    );
    let form = "Tw1stedS3cretForm";
    let form_headers = [("content-type", "application/x-www-form-urlencoded")];
    let body = format!("token={form}&remember={form}");
    let r = send(&mock.url, "POST", "/login", &form_headers, Some(&body)).await;
    assert_eq!(r.status, 400, "remember must be a boolean");
    let long: String = "Zq9kLm3Np7Rt2Vw8Xy4Bc6Df1Gh5Jk0".repeat(8);
    let path = format!("/login?token={long}&remember={long}");
    let r = send(
        &mock.url,
        "POST",
        &path,
        &form_headers,
        Some("remember=true"),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let journal = send(&mock.url, "GET", "/__admin/requests", &[], None).await;
    let journal = String::from_utf8_lossy(&journal.body).into_owned();
    assert!(journal.contains("remember"), "{journal}");
    let mocked = mock.stop();
    let report = std::fs::read_to_string(&report).unwrap();
    for text in [&journal, &mocked.stderr, &report] {
        assert!(!text.contains(form), "{text}");
        assert!(!text.contains(&long[..16]), "{text}");
    }
}

/// A target that hands out credentials every way a real one does: a JSON
/// token (`POST /oauth/token`, with a short PIN beside data that is not
/// secret), a credential header and a cookie, a form body (`POST /oauth/form`),
/// an implicit grant's redirect (`GET /cb`); and echoes back, under plain
/// names, whatever query and body it is sent.
async fn issuer(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let token = "eyJhbGciOiJIUzI1NiJ9.issued-by-the-target.Qx7w";
    let mut answer = hyper::Response::builder()
        .header("content-type", "application/json")
        .header("x-auth-token", "header-issued-Zk93-credential")
        .header("set-cookie", "sid=ck-Value-91a2x; Path=/; HttpOnly");
    let body = match req.uri().path() {
        "/oauth/token" => format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","pin":"4821","key":"users/alice/profile","author":{{"email":"alice@example.com"}},"sessionId":"sess-visible-0001"}}"#
        ),
        "/oauth/form" => {
            answer = answer.header("content-type", "application/x-www-form-urlencoded");
            "access_token=form-Tok-12345&token_type=bearer".to_string()
        }
        "/cb" => {
            answer = answer.status(302).header(
                "location",
                "/landing?state=ok#access_token=frag-Tok-7788&x=1",
            );
            String::new()
        }
        _ => {
            let query = req.uri().query().unwrap_or("").to_string();
            let sent = req.into_body().collect().await.unwrap().to_bytes();
            serde_json::json!({"query": query, "sent": String::from_utf8_lossy(&sent)}).to_string()
        }
    };
    Ok(answer
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_the_target_hands_out_are_hidden_from_every_result() {
    let base = target(issuer).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("issued.yaml");
    // The token is captured under a plain name, sent back in a query and a
    // body, and the last step fails so every report quotes its answer.
    std::fs::write(
        &scenario,
        r#"name: issued
steps:
  - name: log in
    outside_contract: true
    request: {method: POST, path: /oauth/token}
    expect: {status: 200}
    capture:
      grant: {body: /access_token}
      fromHeader: {header: x-auth-token}
      cookie: {header: set-cookie}
  - name: a form
    outside_contract: true
    request: {method: POST, path: /oauth/form}
    expect: {status: 200}
  - name: a redirect
    outside_contract: true
    request: {method: GET, path: /cb}
    expect: {status: 302}
    capture:
      next: {header: location}
  - name: use it
    outside_contract: true
    request:
      method: POST
      path: /echo
      query: {t: "{{grant}}"}
      body: {again: "{{grant}}", h: "{{fromHeader}}", c: "{{cookie}}", n: "{{next}}", pin: "4821"}
    expect:
      status: 201
      body:
        /sent: {equals: "{{grant}}"}
"#,
    )
    .unwrap();
    let (run, everything) = replay_everything(dir.path(), &scenario, &base, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    for form in [
        "issued-by-the-target",
        "header-issued-Zk93",
        // URL-encoded forms keep these pieces whole.
        "eyJhbGciOiJIUzI1NiJ9",
        "ck-Value-91a2x",
        "form-Tok-12345",
        "frag-Tok-7788",
    ] {
        assert!(!everything.contains(form), "`{form}` leaked:\n{everything}");
    }
    // What is not a credential stays: the token's type, data whose names
    // merely contain a credential's word.
    for shown in [
        "Bearer",
        "users/alice/profile",
        "alice@example.com",
        "sess-visible-0001",
    ] {
        assert!(
            everything.contains(shown),
            "`{shown}` hidden:\n{everything}"
        );
    }
    assert!(everything.contains("[redacted]"), "{everything}");
    // The run itself sent the real token (the echo shows it where it came
    // back, as the variable it was captured into), and said where it failed.
    let snapshot = files_text(&dir.path().join("snaps"));
    assert!(snapshot.contains("t={{grant}}"), "{snapshot}");
    assert!(run.stdout.contains("got 200, expected 201"), "{run}");
}
