//! The proxy benchmark's ceiling: a bare forwarding proxy that sends every
//! request on to the target unchanged and streams the answer back, with no
//! checks, no log and no recording. It is built like `mimeo proxy`: the same
//! outgoing client (reqwest over hyper-util's pooled legacy client, redirects
//! off, no proxy from the environment, rustls with ring), the same runtime, and
//! hyper's HTTP/1 server with the same connection settings, so the difference to
//! `mimeo proxy` is the proxy's own work.
//!
//! `cargo run --release --example bare_proxy -- PORT TARGET [WORKERS]` (binds
//! 127.0.0.1; TARGET as `mimeo proxy --target`, e.g. `http://127.0.0.1:4791`;
//! WORKERS as `mimeo proxy`'s runtime, by default one per CPU the process may run on).
//!
//! Like `mimeo proxy`, it reads the request body whole before sending it (so the
//! target gets it with its length, as the client sent it), drops the hop-by-hop
//! headers both ways and lets the client set `Host`; unlike it, the answer's body
//! is passed on as it arrives, never held.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderMap, HeaderName, CONNECTION, CONTENT_LENGTH, HOST};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// Headers that belong to one connection (RFC 9110, 7.6.1), as `mimeo proxy` drops them.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes the hop-by-hop headers, and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

struct Proxy {
    client: reqwest::Client,
    /// The target's base URL, without a trailing `/`.
    base: String,
}

async fn forward(
    proxy: Arc<Proxy>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<reqwest::Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    // The client names the target and sets the length of what it sends.
    headers.remove(HOST);
    headers.remove(CONTENT_LENGTH);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = proxy
        .client
        .request(parts.method, format!("{}{path}", proxy.base))
        .headers(headers)
        .timeout(Duration::from_secs(10));
    if !body.is_empty() {
        request = request.body(body);
    }
    match request.send().await {
        Ok(answer) => {
            // The target's status, headers and body, the body streamed as it arrives.
            let mut response: Response<reqwest::Body> = answer.into();
            strip_hop_by_hop(response.headers_mut());
            Ok(response)
        }
        Err(e) if e.is_timeout() => Ok(status(StatusCode::GATEWAY_TIMEOUT)),
        Err(_) => Ok(status(StatusCode::BAD_GATEWAY)),
    }
}

fn status(code: StatusCode) -> Response<reqwest::Body> {
    let mut response = Response::new(reqwest::Body::from(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// The client `mimeo proxy` sends with (see `src/http/client.rs`): TLS is set up
/// the same way but never used here (the targets are `http://`), so the
/// certificate store is left empty instead of asking the platform's.
fn client() -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .expect("HTTP client")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bare_proxy PORT TARGET [WORKERS]";
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect(usage);
    let target = args.next().expect(usage);
    assert!(
        target.starts_with("http://"),
        "bare_proxy: TARGET must be an http:// URL"
    );
    let workers = args.next().and_then(|w| w.parse().ok());
    let runtime = mimeo::runtime(workers).expect("runtime");
    runtime.block_on(async move {
        let proxy = Arc::new(Proxy {
            client: client(),
            base: target.trim_end_matches('/').to_string(),
        });
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = TcpListener::bind(addr).await.expect("bind");
        println!("bare_proxy: listening on http://{addr}, forwarding to {target}");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| forward(proxy.clone(), req)),
                    )
                    .await;
            });
        }
    });
}
