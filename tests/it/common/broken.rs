//! A deliberately broken target: a small hyper server whose answers break the
//! contract in one chosen way each (the request picks the way with an `X-Break`
//! header). Shared by the replay and proxy tests.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

pub const STORE: &str = "mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6";
pub const PROFILE: &str = "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6";
/// The canonical profile redirects point at.
pub const CANONICAL: &str = "mem_profile_02kd7yw6r9n3v8x5p0s4m1j3g7";

/// The broken server: its URL and every request it received (`METHOD /path`).
pub struct Broken {
    pub base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Broken {
    pub fn start() -> Broken {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let (server_base, server_hits) = (base.clone(), hits.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (base, hits) = (server_base.clone(), server_hits.clone());
                    tokio::spawn(async move {
                        let service =
                            service_fn(move |req| answer(req, base.clone(), hits.clone()));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Broken { base, hits }
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

const JSON: (&str, &str) = ("content-type", "application/json");

pub async fn answer(
    req: Request<Incoming>,
    base: String,
    hits: Arc<Mutex<Vec<String>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    hits.lock()
        .unwrap()
        .push(format!("{} {}", req.method(), req.uri().path()));
    let mode = req
        .headers()
        .get("x-break")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let moved = format!(
        r#"{{"message":"This resource has moved.","uri":"/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers"}}"#
    );
    Ok(match mode.as_str() {
        // Keeps the contract: FetchProfileIdentifier 200, CreateProfileIdentifier 202.
        "none" if req.method() == hyper::Method::GET => reply(
            200,
            &[JSON],
            r#"{"idType":"email","values":["ada@example.com"]}"#,
        ),
        "none" => reply(
            202,
            &[JSON],
            r#"{"message":"Identifier accepted for processing."}"#,
        ),
        // `values` must be an array of strings.
        "schema" => reply(
            200,
            &[JSON],
            r#"{"idType":"email","values":"ada@example.com"}"#,
        ),
        // No operation documents 418.
        "teapot" => reply(418, &[JSON], r#"{"message":"I'm a teapot"}"#),
        // 308 requires Location and Canonical-Profile-Id; Location is left out.
        "no-location" => reply(308, &[JSON, ("canonical-profile-id", CANONICAL)], &moved),
        // 200 documents application/json only.
        "text" => reply(
            200,
            &[("content-type", "text/plain")],
            "email: ada@example.com",
        ),
        // IdentifierCreateAccepted declares only `message`.
        "extra" => reply(
            202,
            &[JSON],
            r#"{"message":"Identifier accepted for processing.","surprise":1}"#,
        ),
        // A valid 202 that hands out a session cookie and echoes the credentials it got
        // (a careless server): neither may reach a report.
        "echo-secrets" => reply(
            202,
            &[
                JSON,
                ("set-cookie", "session=SESSION-COOKIE-SECRET; HttpOnly"),
            ],
            &format!(
                r#"{{"message":"Identifier accepted for processing. You sent {}"}}"#,
                authorization.replace('"', "'")
            ),
        ),
        // Never answers.
        "hang" => std::future::pending().await,
        // A valid FetchProfileIdentifier 200, larger than the proxy checks (17 MiB).
        "huge" => reply(200, &[JSON], &huge_body()),
        // A valid 308 whose Location is another path on this server.
        "redirect" => {
            let location = format!("{base}/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers");
            reply(
                308,
                &[
                    JSON,
                    ("location", location.as_str()),
                    ("canonical-profile-id", CANONICAL),
                ],
                &moved,
            )
        }
        other => reply(500, &[JSON], &format!(r#"{{"unknown mode":"{other}"}}"#)),
    })
}

/// The body of the `huge` mode: valid JSON for FetchProfileIdentifier, 17 MiB.
pub fn huge_body() -> String {
    let value = "x".repeat(1024);
    let mut body = String::from(r#"{"idType":"email","values":["#);
    while body.len() < 17 * 1024 * 1024 {
        body.push_str(&format!("\"{value}\","));
    }
    body.push_str("\"end\"]}");
    body
}
