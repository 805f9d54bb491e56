//! The proxy benchmark's ceiling: a bare forwarding proxy that sends every
//! request on to the target unchanged and streams the answer back, with no
//! checks, no log and no recording. It is built like `mimeo proxy`: the same
//! outgoing client (hyper-util's pooled legacy client over hyper-rustls, set up
//! as `mimeo proxy` sets it up for a loopback target, see `Direct` in
//! `src/http/client.rs`: HTTP/1 only, connect timeout, TCP nodelay and
//! keepalive, `accept: */*` when the request has none), the same runtime, and
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
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONNECTION, CONTENT_LENGTH, HOST};
use hyper::http::uri::{Authority, Parts, Scheme};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
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

type Client = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;
type Answer = UnsyncBoxBody<Bytes, hyper::Error>;

struct Proxy {
    client: Client,
    /// The target's scheme and authority (its base URL has no path).
    scheme: Scheme,
    authority: Authority,
}

async fn forward(
    proxy: Arc<Proxy>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Answer>, Infallible> {
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
    // The request-target as received, sent to the target.
    let mut uri = Parts::default();
    uri.scheme = Some(proxy.scheme.clone());
    uri.authority = Some(proxy.authority.clone());
    uri.path_and_query = parts.uri.path_and_query().cloned();
    let Ok(uri) = Uri::from_parts(uri) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = parts.method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    match tokio::time::timeout(Duration::from_secs(10), proxy.client.request(request)).await {
        Ok(Ok(answer)) => {
            // The target's status, headers and body, the body streamed as it arrives.
            let mut response = answer.map(BodyExt::boxed_unsync);
            strip_hop_by_hop(response.headers_mut());
            Ok(response)
        }
        Err(_) => Ok(status(StatusCode::GATEWAY_TIMEOUT)),
        Ok(Err(_)) => Ok(status(StatusCode::BAD_GATEWAY)),
    }
}

fn status(code: StatusCode) -> Response<Answer> {
    let body = Full::new(Bytes::new()).map_err(|never| match never {});
    let mut response = Response::new(body.boxed_unsync());
    *response.status_mut() = code;
    response
}

/// The client `mimeo proxy` sends with (see `Direct` in `src/http/client.rs`):
/// TLS is set up the same way but never used here (the targets are `http://`), so
/// the certificate store is left empty instead of asking the platform's.
fn client() -> Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(15)));
    http.set_keepalive_interval(Some(Duration::from_secs(15)));
    http.set_keepalive_retries(Some(3));
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(usize::MAX)
        .build(HttpsConnector::from((http, tls)))
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
        let base: Uri = target.parse().expect("TARGET: a URL");
        assert!(
            base.path().trim_end_matches('/').is_empty(),
            "bare_proxy: TARGET must have no path"
        );
        let proxy = Arc::new(Proxy {
            client: client(),
            scheme: base.scheme().expect("TARGET: a scheme").clone(),
            authority: base.authority().expect("TARGET: a host").clone(),
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
