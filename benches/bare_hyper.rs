//! The benchmark's ceiling: a bare hyper server that answers every request with
//! the same 202 JSON body, on the same runtime and connection settings as
//! `mimeo serve`, so the difference to mimeo is the mock's own work.
//!
//! `cargo run --release --example bare_hyper -- PORT [WORKERS]` (binds 127.0.0.1;
//! WORKERS as `mimeo serve --workers`, by default what mimeo would pick).
//!
//! With `BARE_TOGETHER=1` in the environment, every answer first waits one
//! scheduler turn (`yield_now`), as mimeo's do when eight or more connections are open
//! (`http::together`): the ceiling with the same wake-up saving.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"message":"Identifier accepted for processing."}"#;

async fn answer(
    req: Request<hyper::body::Incoming>,
    together: bool,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the request body as mimeo does, so the work on the wire is the same.
    let _ = req.into_body().collect().await;
    if together {
        tokio::task::yield_now().await;
    }
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: bare_hyper PORT [WORKERS]");
    let workers = args.next().and_then(|w| w.parse().ok());
    let together = std::env::var_os("BARE_TOGETHER").is_some_and(|v| v == "1");
    let runtime = mimeo::runtime(workers).expect("runtime");
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = TcpListener::bind(addr).await.expect("bind");
        println!("bare_hyper: listening on http://{addr}");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| answer(req, together)),
                    )
                    .await;
            });
        }
    });
}
