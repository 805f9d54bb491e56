//! The listening side: bind, accept HTTP/1 connections (at most
//! [`Limits::max_connections`] at once, each with a header timeout), read bodies
//! within a size and a time limit, and stop gracefully. [`ServerHandle`] is what
//! the mock and the proxy return to their callers: the address, and a stop that
//! lets requests in flight finish.
//!
//! Past the connection cap a new connection is answered at once with `503
//! Service Unavailable` (`Retry-After: 1`, `mimeo-error: too-many-connections`)
//! and closed, without reading its request: a client is told to come back
//! instead of waiting in the kernel's queue, and the connections being served
//! (and the process's file descriptors) stay within the cap.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::CONTENT_LENGTH;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

use super::faulty::{Conn, FaultyStream, Sending};
use super::together::Together;

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

/// What a server holds its clients to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// How long a client may take to send its request headers.
    pub(crate) header_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed.
    pub(crate) max_connections: usize,
}

/// Connections being turned away at once (each for at most a second or so);
/// past this they are closed without an answer.
const MAX_REFUSING: usize = 64;

/// The answer to a connection past the cap.
fn too_many() -> Vec<u8> {
    let body = "mimeo: too many connections at once; try again shortly\n";
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 1\r\nmimeo-error: too-many-connections\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves HTTP/1 connections from `listener`, each request through `handle` (which
/// also gets its connection: the client's address, and the means to break it on
/// purpose), until `stopped` fires or `stop_asked` is notified; then stops
/// accepting and lets requests in flight finish (up to 10 s).
pub(crate) async fn serve_connections<H, F, B, M>(
    listener: TcpListener,
    limits: Limits,
    mut stopped: oneshot::Receiver<()>,
    stop_asked: Option<tokio::sync::watch::Receiver<bool>>,
    handle: H,
    unreadable: M,
) where
    H: Fn(Request<Incoming>, Arc<Conn>) -> F + Clone + Send + 'static,
    M: Fn(std::net::SocketAddr, Unreadable) + Clone + Send + 'static,
    F: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + Unpin + 'static,
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
    let slots = std::sync::Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusing = std::sync::Arc::new(Semaphore::new(MAX_REFUSING));
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    if let Ok(permit) = refusing.clone().try_acquire_owned() {
                        tokio::spawn(async move {
                            refuse(stream).await;
                            drop(permit);
                        });
                    }
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handle = handle.clone();
                let conn = Arc::new(Conn::new(peer));
                let io = TokioIo::new(Together::new(
                    FaultyStream::new(stream, conn.clone()),
                    open.clone(),
                ));
                let service = service_fn(move |req| {
                    // A client that shut its sending side after this request
                    // is answered all the same (see `Conn::answering`).
                    conn.answering(true);
                    let answer = handle(req, conn.clone());
                    let conn = conn.clone();
                    async move {
                        // Answered once the body is written (see `Sending`).
                        let answer = answer.await.map(|body| Sending::new(body, conn));
                        Ok::<_, Infallible>(answer)
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(io, service);
                let conn = graceful.watch(conn);
                let unreadable = unreadable.clone();
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        if let Some(u) = Unreadable::of(&e) {
                            unreadable(peer, u);
                        }
                    }
                    drop(slot);
                });
            }
            _ = &mut stopped => break,
            _ = &mut asked => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}

/// A request hyper could not read, and so answered itself (a bare 400, 414 or
/// 431, no body) or not at all (an HTTP/2 preface): reported so that the log
/// and the verdict count it, as a client that sends it has a bug.
pub(crate) struct Unreadable {
    /// What hyper answered, if anything.
    pub(crate) status: Option<u16>,
    pub(crate) why: String,
}

impl Unreadable {
    /// As the verdict counts it: a broken request (`request_valid/http`).
    pub(crate) fn found(&self) -> crate::verdict::Found<'_> {
        crate::verdict::Found {
            check: "request_valid",
            rule: "http",
            message: Box::new(|| self.why.clone()),
        }
    }

    /// The rest of its log line, after the time and the client:
    /// `(unread request) -> 400 (why)`.
    pub(crate) fn push_outcome(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b"(unread request) -> ");
        match self.status {
            Some(s) => super::log::push_decimal(buf, u64::from(s)),
            None => buf.extend_from_slice(b"closed"),
        }
        buf.extend_from_slice(b" (");
        buf.extend_from_slice(self.why.as_bytes());
        buf.extend_from_slice(b")\n");
    }

    fn of(e: &hyper::Error) -> Option<Unreadable> {
        let (status, why) = if e.is_parse_version_h2() {
            (
                None,
                "an HTTP/2 connection preface (h2c prior knowledge); mimeo serves HTTP/1.1 only, so the connection was closed".to_string(),
            )
        } else if e.is_parse_too_large() {
            let uri = e.to_string().contains("URI");
            let status = if uri { 414 } else { 431 };
            let what = if uri { "its target" } else { "its head" };
            (
                Some(status),
                format!("the request was not read: {what} is too long ({e})"),
            )
        } else if e.is_parse() {
            (
                Some(400),
                format!("the request is not valid HTTP/1.1 and was not read ({e})"),
            )
        } else {
            return None;
        };
        Some(Unreadable { status, why })
    }
}

/// Answers a connection past the cap with a 503 and closes it, reading (and
/// discarding) a little of its request first so the close does not reset the
/// connection before the client has read the answer. Bounded in time and bytes.
async fn refuse(mut stream: TcpStream) {
    let work = async {
        stream.write_all(&too_many()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut left: usize = 64 * 1024;
        while left > 0 {
            let n = stream.read(&mut sink).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), work).await;
}

/// Why a request body was not read.
pub(crate) enum BodyError {
    /// Larger than the limit (declared or actual).
    TooLarge,
    /// Not all there within the time allowed.
    TimedOut,
    /// The connection failed while reading.
    Unreadable(String),
    /// Its `Content-Encoding` cannot be undone (read by the mock only).
    Coded(super::coding::CodingError),
}

/// Reads a request body, bounded in size and time: a declared length over
/// `limit` is refused unread, and the whole body must arrive within `timeout`
/// (a client sending one byte a second cannot hold a connection for long).
pub(crate) async fn read_body(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    // Most requests (GET, DELETE) have no body: no timer for them.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    // hyper undoes only `chunked`: a body also under another transfer coding
    // (`gzip, chunked`) would be checked, kept and forwarded still coded.
    if let Some(coding) = foreign_transfer_coding(headers) {
        return Err(BodyError::Unreadable(format!(
            "its Transfer-Encoding `{coding}` cannot be read (mimeo reads chunked only; use Content-Encoding for compression)"
        )));
    }
    match tokio::time::timeout(timeout, read_limited(headers, body, limit)).await {
        Ok(read) => read,
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// The first transfer coding of the request other than `chunked`, if any.
fn foreign_transfer_coding(headers: &hyper::HeaderMap) -> Option<String> {
    for value in headers.get_all(hyper::header::TRANSFER_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let foreign = text
            .split(',')
            .map(str::trim)
            .find(|c| !c.is_empty() && !c.eq_ignore_ascii_case("chunked"));
        if let Some(coding) = foreign {
            return Some(coding.to_string());
        }
    }
    None
}

/// [`read_body`], then decoded when its `Content-Encoding` says it is
/// compressed (within the same limit): what the mock checks and keeps.
pub(crate) async fn read_decoded(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let read = read_body(headers, body, limit, timeout).await?;
    match super::coding::decode(headers, &read, limit) {
        Ok(None) => Ok(read),
        Ok(Some(decoded)) => Ok(decoded.into()),
        Err(super::coding::CodingError::TooLarge) => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Coded(e)),
    }
}

async fn read_limited(
    headers: &hyper::HeaderMap,
    mut body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    // Collected by hand rather than with `Limited::collect`: a body that comes
    // in one piece (nearly every request's) is that piece, with no list of
    // chunks to build and flatten.
    let mut first = Bytes::new();
    // Later pieces are kept as they come and copied once, into a buffer of
    // exactly the body's size: growing one buffer by doubling would hold up
    // to twice the limit (and three times while it moves).
    let mut rest: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers: not the body
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        if first.is_empty() {
            first = data;
        } else if !data.is_empty() {
            rest.push(data);
        }
    }
    if rest.is_empty() {
        return Ok(first);
    }
    let mut all = bytes::BytesMut::with_capacity(total);
    all.extend_from_slice(&first);
    for piece in rest {
        all.extend_from_slice(&piece);
    }
    Ok(all.freeze())
}
