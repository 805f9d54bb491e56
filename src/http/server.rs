//! The listening side: bind, accept HTTP/1 connections with a header timeout,
//! read bodies within a limit, and stop gracefully. [`ServerHandle`] is what the
//! mock and the proxy return to their callers: the address, and a stop that lets
//! requests in flight finish.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_LENGTH;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::faulty::{Conn, FaultyStream};

/// How long requests in flight may take to finish once a server is told to stop.
const GRACE: Duration = Duration::from_secs(10);

/// The tokio runtime a server runs on, with `workers` threads; by default one per
/// CPU this process may run on (`available_parallelism`, which respects `taskset`
/// and cgroup limits). One worker is a current-thread runtime: the whole server on
/// one thread, with no wake-ups across threads, which is what a server pinned to
/// one core wants (several workers there only take turns).
///
/// # Examples
///
/// ```
/// let runtime = mimeo::runtime(Some(1))?;
/// runtime.block_on(async { /* start a MockServer here */ });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let workers = workers
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
}

/// Why a server could not listen.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    /// The address.
    pub addr: SocketAddr,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Binds `host:port` (port 0: any free one) and returns the listener and the bound address.
pub(crate) async fn bind(host: IpAddr, port: u16) -> Result<(TcpListener, SocketAddr), BindError> {
    let addr = SocketAddr::new(host, port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| BindError { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| BindError { addr, source })?;
    Ok((listener, addr))
}

/// A running server: its address, and the means to stop it (on drop, or with
/// [`ServerHandle::shutdown`], which waits for requests in flight).
pub(crate) struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Spawns `serve` on the current runtime; it must return once `stopped` fires.
    pub(crate) fn spawn<F>(
        addr: SocketAddr,
        serve: impl FnOnce(oneshot::Receiver<()>) -> F,
    ) -> ServerHandle
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(stopped));
        ServerHandle {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (up to 10 s), then returns.
    pub(crate) async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves HTTP/1 connections from `listener`, each request through `handle` (which
/// also gets its connection: the client's address, and the means to break it on
/// purpose), until `stopped` fires or `stop_asked` is notified; then stops
/// accepting and lets requests in flight finish (up to 10 s).
pub(crate) async fn serve_connections<H, F, B>(
    listener: TcpListener,
    header_timeout: Duration,
    mut stopped: oneshot::Receiver<()>,
    stop_asked: Option<tokio::sync::watch::Receiver<bool>>,
    handle: H,
) where
    H: Fn(Request<Incoming>, Arc<Conn>) -> F + Clone + Send + 'static,
    F: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    let asked = async {
        match stop_asked {
            Some(mut rx) => {
                let _ = rx.wait_for(|asked| *asked).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(asked);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handle = handle.clone();
                let conn = Arc::new(Conn::new(peer));
                let io = TokioIo::new(FaultyStream::new(stream, conn.clone()));
                let service = service_fn(move |req| {
                    let answer = handle(req, conn.clone());
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(io, service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut stopped => break,
            _ = &mut asked => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}

/// Why a request body was not read.
pub(crate) enum BodyError {
    /// Larger than the limit (declared or actual).
    TooLarge,
    /// The connection failed while reading.
    Unreadable(String),
}

/// Reads a request body, bounded: a declared length over `limit` is refused unread.
pub(crate) async fn read_body(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(BodyError::TooLarge)
        }
        Err(e) => Err(BodyError::Unreadable(e.to_string())),
    }
}
