//! Forwarding: one client request to the target, and the target's answer back.
//!
//! The replay runner's client does the sending ([`crate::http::client`]):
//! redirects are never followed and bodies are never decompressed, so what the
//! target sent is what the client gets. Headers that belong to one connection
//! (hop-by-hop) are dropped both ways; everything else passes unchanged, except
//! that `Host` names the target, and that the framing of the answer is the
//! proxy's own: a received `Content-Length` is not passed on (RFC 9112, 6.1:
//! it may disagree with a `Transfer-Encoding` that was also received), and the
//! client gets the length of the body the proxy actually sends, or chunks.
//!
//! The answer's body is read into memory so it can be checked, up to a size per
//! answer ([`MAX_CHECKED_BODY`] by default) and within a memory budget shared by
//! every exchange in flight ([`CheckMemory`]): past either, the rest is passed
//! on as it arrives and the body is not checked (the exchange says why).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{
    HeaderMap, HeaderName, CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING,
};
use hyper::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::http::client::{Client, TargetError};
use crate::support::{duration, limits};

/// The most of a response body the proxy holds to check it, unless told
/// otherwise (16 MiB).
pub const MAX_CHECKED_BODY: usize = 16 * 1024 * 1024;

/// The memory the proxy may hold, across the exchanges in flight, for answers
/// it checks, unless told otherwise (256 MiB).
pub const CHECK_MEMORY: usize = 256 * 1024 * 1024;

/// Bytes counted per JSON value when estimating what parsing a body will take
/// (a value in a parsed document is 32 bytes or more, a member of an object more).
const BYTES_PER_VALUE: usize = 48;

/// The memory budget for checking answers, shared by every exchange in flight:
/// the bytes of bodies held, and an estimate of what parsing them takes.
#[derive(Clone)]
pub(crate) struct CheckMemory {
    permits: Arc<Semaphore>,
    /// The budget, in bytes.
    pub(crate) total: usize,
    /// The most of one answer held.
    pub(crate) per_answer: usize,
}

impl CheckMemory {
    pub(crate) fn new(total: usize, per_answer: usize) -> CheckMemory {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        CheckMemory {
            permits: Arc::new(Semaphore::new(total)),
            total,
            per_answer,
        }
    }

    /// Takes `bytes` from the budget, added to `held`; `false` when the budget
    /// has not that much left now.
    pub(crate) fn take(&self, bytes: usize, held: &mut Option<OwnedSemaphorePermit>) -> bool {
        if bytes == 0 {
            return true;
        }
        let Ok(n) = u32::try_from(bytes) else {
            return false;
        };
        match self.permits.clone().try_acquire_many_owned(n) {
            Ok(p) => {
                match held {
                    Some(h) => h.merge(p),
                    None => *held = Some(p),
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Why an answer's body was not checked when the budget ran out.
    pub(crate) fn exhausted(&self) -> String {
        format!(
            "the proxy's check memory (--check-memory {}) was in use by other answers",
            limits::format_size(self.total)
        )
    }

    /// What parsing `body` as JSON will take, roughly: its bytes and a record
    /// per value.
    pub(crate) fn parse_estimate(body: &[u8]) -> usize {
        // Counted in byte lanes, 255 bytes at a time, so the compiler can count
        // many bytes per instruction: this runs over every answer checked.
        let values = body
            .chunks(255)
            .map(|chunk| {
                let n = chunk.iter().fold(0u8, |n, &b| {
                    n + u8::from(b == b',') + u8::from(b == b':') + u8::from((b | 0x20) == b'{')
                });
                usize::from(n)
            })
            .sum::<usize>()
            + 1;
        body.len()
            .saturating_add(values.saturating_mul(BYTES_PER_VALUE))
    }
}

/// Headers that describe one connection rather than the message (RFC 9110 7.6.1).
/// `proxy-*` headers are also never forwarded.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether `name` is hop-by-hop, given the names the message's `Connection` header lists.
pub(crate) fn is_hop_by_hop(name: &HeaderName, connection_lists: &[String]) -> bool {
    let n = name.as_str();
    HOP_BY_HOP.contains(&n) || n.starts_with("proxy-") || connection_lists.iter().any(|c| c == n)
}

/// Whether `headers` has a hop-by-hop header. One that a `Connection` header
/// lists only counts with that header, which is one itself.
fn has_hop_by_hop(headers: &HeaderMap) -> bool {
    headers.keys().any(|n| is_hop_by_hop(n, &[]))
}

/// Whether `headers` has `name`: a look along the few names a message has,
/// cheaper than a hashed look-up, which costs as much when it finds nothing
/// (as it mostly does: these run on every exchange).
pub(super) fn has(headers: &HeaderMap, name: &HeaderName) -> bool {
    headers.keys().any(|k| k == name)
}

/// `headers` without the hop-by-hop ones.
pub(crate) fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let listed: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !is_hop_by_hop(name, &listed) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The target and how long it may take.
pub(crate) struct Target {
    client: Client,
    timeout: Duration,
    /// `1.1 mimeo-<random>`: added to `Via` on every forwarded request, so a request
    /// that comes back to this proxy (a target pointing at itself, directly or through
    /// a chain) is recognised and refused instead of multiplying without end.
    via: String,
    /// The same, as a header value (made once: it goes on every request).
    via_value: hyper::header::HeaderValue,
}

/// Why the target gave no answer.
pub(crate) struct Failure {
    /// 502 (unreachable, broken answer) or 504 (no answer in time).
    pub(crate) status: u16,
    /// What happened, naming the target.
    pub(crate) message: String,
}

/// The target's answer, hop-by-hop headers and `Content-Length` removed.
pub(crate) struct Answer {
    /// Status.
    pub(crate) status: StatusCode,
    /// Headers, as the target sent them (minus hop-by-hop ones and the length).
    pub(crate) headers: HeaderMap,
    /// The body, or its first part when `rest` is set.
    pub(crate) body: Bytes,
    /// The unread remainder of a body that was not held whole.
    pub(crate) rest: Option<Rest>,
    /// Why the body is not checked, when it was not held whole.
    pub(crate) unchecked: Option<String>,
    /// The check memory the held body takes, given back when it has been sent.
    pub(crate) held: Option<OwnedSemaphorePermit>,
}

impl Target {
    /// A target at `base` (`http://` or `https://`); each request may take `timeout`.
    pub(crate) fn new(base: &str, timeout: Duration) -> Result<Target, TargetError> {
        let mut id = [0u8; 8];
        rand::fill(&mut id);
        let via = format!("1.1 mimeo-{:016x}", u64::from_le_bytes(id));
        Ok(Target {
            client: Client::new(base)?,
            timeout,
            via_value: hyper::header::HeaderValue::from_str(&via)
                .expect("`1.1 mimeo-` and hex digits are a valid header value"),
            via,
        })
    }

    /// Whether `headers` show the request already passed through this proxy.
    pub(crate) fn looped(&self, headers: &HeaderMap) -> bool {
        has(headers, &hyper::header::VIA)
            && headers
                .get_all(hyper::header::VIA)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains(&self.via[4..]))
    }

    /// The target's base URL as shown (credentials in it hidden).
    pub(crate) fn base(&self) -> &str {
        self.client.shown()
    }

    /// This proxy's mark in `Via` headers.
    pub(crate) fn via(&self) -> &str {
        &self.via
    }

    /// Sends one request as the client sent it (hop-by-hop headers, `Host`,
    /// `Content-Length` and `Expect` left for the connection to the target to set),
    /// and reads the answer's body within `memory`.
    pub async fn send(
        &self,
        method: &Method,
        path_and_query: Option<&hyper::http::uri::PathAndQuery>,
        headers: &HeaderMap,
        body: Option<Bytes>,
        memory: &CheckMemory,
    ) -> Result<Answer, Failure> {
        // Most requests have no hop-by-hop header: then a copy is all it takes.
        let mut forwarded = if has_hop_by_hop(headers) {
            end_to_end(headers)
        } else {
            headers.clone()
        };
        let direct = self
            .client
            .direct()
            .and_then(|d| Some((d, d.uri(path_and_query?)?)));
        // `Host` names the target: the direct client's replaces the client's
        // where it is (one look-up, no removal and insert); reqwest sets its own.
        match &direct {
            Some((d, _)) => {
                forwarded.insert(HOST, d.host().clone());
            }
            None => {
                forwarded.remove(HOST);
            }
        }
        // Accept-Encoding goes too: the answer must be checked (and recorded) as
        // JSON, and this client does not decompress. Each is removed only when
        // there (most requests have none but a length), found in one pass.
        let dropped = [CONTENT_LENGTH, EXPECT, hyper::header::ACCEPT_ENCODING];
        let mut there = [false; 3];
        for name in forwarded.keys() {
            for (t, d) in there.iter_mut().zip(&dropped) {
                *t |= name == d;
            }
        }
        for (name, there) in dropped.into_iter().zip(there) {
            if there {
                forwarded.remove(name);
            }
        }
        forwarded.append(hyper::header::VIA, self.via_value.clone());
        // One deadline for the answer's head and its whole body, as reqwest's
        // total timeout (the body's unread rest included, see [`Rest`]).
        let mut deadline = Box::pin(tokio::time::sleep(self.timeout));
        let sent = match direct {
            Some((direct, uri)) => {
                let mut request = hyper::Request::new(Full::new(body.unwrap_or_default()));
                *request.method_mut() = method.clone();
                *request.uri_mut() = uri;
                *request.headers_mut() = forwarded;
                within(&mut deadline, direct.send(request))
                    .await
                    .map(|r| r.map(|r| r.map(TargetBody::Left)).map_err(SendError::from))
            }
            None => {
                let pq = path_and_query.map_or("/", |p| p.as_str());
                let url = self.client.url_for(pq);
                let mut request = self
                    .client
                    .inner()
                    .request(method.clone(), &url)
                    .headers(forwarded);
                if let Some(body) = body {
                    request = request.body(body);
                }
                within(&mut deadline, request.send()).await.map(|r| {
                    r.map(|r| hyper::Response::from(r).map(TargetBody::Right))
                        .map_err(SendError::from)
                })
            }
        };
        let response = match sent {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(self.failure(&e)),
            None => return Err(self.failure(&SendError::timed_out())),
        };
        let (head, mut response) = response.into_parts();
        let status = head.status;
        let hop = has_hop_by_hop(&head.headers);
        // Transfer-Encoding is hop-by-hop: looked up only when there is one.
        let chunked = hop && head.headers.contains_key(TRANSFER_ENCODING);
        let mut headers = if hop {
            end_to_end(&head.headers)
        } else {
            head.headers
        };
        // The length the client gets is that of what the proxy sends (hyper sets
        // it from the body, or sends chunks); a HEAD answer or a 304 keeps the
        // target's, which describes a body that is not sent, unless it came with
        // Transfer-Encoding (RFC 9112, 6.1).
        let bodiless = *method == Method::HEAD
            || status == StatusCode::NOT_MODIFIED
            || status == StatusCode::NO_CONTENT;
        if chunked || !bodiless {
            headers.remove(CONTENT_LENGTH);
        }
        // Sized from the declared length when there is one (growing by doubling
        // would hold up to twice what the budget counts).
        let declared = response.size_hint().exact().unwrap_or(0);
        let mut body = BytesMut::with_capacity(
            usize::try_from(declared)
                .unwrap_or(usize::MAX)
                .min(memory.per_answer + 64 * 1024),
        );
        let mut held = None;
        let mut unchecked = None;
        loop {
            let frame = match within(&mut deadline, response.frame()).await {
                Some(frame) => frame,
                None => return Err(self.failure(&SendError::timed_out())),
            };
            match frame.map(|f| f.map(Frame::into_data)) {
                // Trailers are not passed on (nor were they by reqwest).
                Some(Ok(Err(_))) => {}
                Some(Ok(Ok(chunk))) => {
                    let fits = memory.take(chunk.len(), &mut held);
                    body.extend_from_slice(&chunk);
                    if !fits {
                        unchecked = Some(memory.exhausted());
                    } else if body.len() >= memory.per_answer {
                        unchecked = Some(format!(
                            "it is longer than {} (--max-checked-size)",
                            limits::format_size(memory.per_answer)
                        ));
                    }
                    if unchecked.is_some() {
                        break;
                    }
                }
                None => break,
                Some(Err(e)) => return Err(self.failure(&SendError::from(e))),
            }
        }
        Ok(Answer {
            status,
            headers,
            body: body.freeze(),
            rest: unchecked.is_some().then(|| Rest {
                body: response,
                deadline,
            }),
            unchecked,
            held,
        })
    }

    fn failure(&self, e: &SendError) -> Failure {
        let base = self.client.shown();
        let what = if e.timeout {
            format!("no response within {}", duration::format(self.timeout))
        } else if e.connect {
            format!("cannot connect: {}", e.cause)
        } else {
            format!("request failed: {}", e.cause)
        };
        if e.timeout {
            Failure {
                status: 504,
                message: format!(
                    "mimeo proxy: the target {base} did not answer in time ({what}; --timeout {})",
                    duration::format(self.timeout)
                ),
            }
        } else if e.connect {
            Failure {
                status: 502,
                message: format!("mimeo proxy: the target {base} cannot be reached ({what})"),
            }
        } else {
            Failure {
                status: 502,
                message: format!("mimeo proxy: the target {base} gave no usable answer ({what})"),
            }
        }
    }
}

/// Waits for `f` until `deadline`; `None` when the deadline came first.
async fn within<F: Future>(deadline: &mut Pin<Box<Sleep>>, f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// An error of either client, or of a body read from it.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why no (whole) answer came, as reqwest classified it.
pub(crate) struct SendError {
    /// The deadline passed, or something on the way timed out.
    timeout: bool,
    /// The connection to the target could not be made.
    connect: bool,
    /// The innermost cause ("Connection refused (os error 111)"): the outer ones
    /// only repeat the URL.
    cause: String,
}

impl SendError {
    fn timed_out() -> SendError {
        SendError {
            timeout: true,
            connect: false,
            cause: String::new(),
        }
    }

    fn new(e: &(dyn std::error::Error + 'static), connect: bool) -> SendError {
        let (timeout, cause) = crate::http::client::innermost_cause(e);
        SendError {
            timeout,
            connect,
            cause: cause.to_string(),
        }
    }
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> SendError {
        let mut s = SendError::new(&e, e.is_connect());
        s.timeout |= e.is_timeout();
        s
    }
}

impl From<hyper_util::client::legacy::Error> for SendError {
    fn from(e: hyper_util::client::legacy::Error) -> SendError {
        SendError::new(&e, e.is_connect())
    }
}

impl From<BoxError> for SendError {
    fn from(e: BoxError) -> SendError {
        SendError::new(&*e, false)
    }
}

/// The body of the target's answer, from whichever client sent the request:
/// hyper-util's used directly (left) or reqwest's (right: a proxy from the
/// environment, credentials in the target URL).
pub(crate) type TargetBody = http_body_util::Either<Incoming, reqwest::Body>;

/// The unread rest of an answer's body, still under the exchange's deadline.
pub(crate) struct Rest {
    body: TargetBody,
    deadline: Pin<Box<Sleep>>,
}

/// The error that ends a body whose deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("the target's answer did not arrive whole in time")]
struct BodyTimedOut;

impl Body for Rest {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A response body: bytes in hand, then possibly the rest of the target's body.
pub(crate) struct ProxyBody {
    head: Option<Bytes>,
    rest: Option<Rest>,
    /// The check memory the head takes, given back once it has been sent.
    held: Option<OwnedSemaphorePermit>,
}

impl ProxyBody {
    /// A body that is all in hand.
    pub(crate) fn full(bytes: Bytes) -> ProxyBody {
        ProxyBody {
            head: Some(bytes),
            rest: None,
            held: None,
        }
    }

    /// `head`, then whatever `rest` still has to give.
    pub(crate) fn streamed(
        head: Bytes,
        rest: Option<Rest>,
        held: Option<OwnedSemaphorePermit>,
    ) -> ProxyBody {
        ProxyBody {
            head: Some(head),
            rest,
            held,
        }
    }
}

/// The head of an answer is handed to the connection in pieces of this size, so
/// the memory it takes is given back to the check budget only once the last
/// piece is on its way (the pieces share one buffer, freed with the last).
const PIECE: usize = 256 * 1024;

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(head) = self.head.as_mut().filter(|h| !h.is_empty()) {
            let piece = head.split_to(head.len().min(PIECE));
            if head.is_empty() {
                self.head = None;
                self.held = None;
            }
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        self.head = None;
        self.held = None;
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.head.as_ref().is_none_or(Bytes::is_empty)
            && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let head = self.head.as_ref().map_or(0, |h| h.len() as u64);
        match &self.rest {
            None => SizeHint::with_exact(head),
            Some(rest) => {
                let r = rest.size_hint();
                let mut hint = SizeHint::new();
                hint.set_lower(head + r.lower());
                if let Some(upper) = r.upper() {
                    hint.set_upper(head + upper);
                }
                hint
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parse_estimate_counts_every_value_start() {
        let plain = |body: &[u8]| {
            let values = body
                .iter()
                .filter(|&&b| matches!(b, b',' | b':' | b'[' | b'{'))
                .count()
                + 1;
            body.len() + values * BYTES_PER_VALUE
        };
        let mut bodies: Vec<Vec<u8>> =
            vec![Vec::new(), b"{}".to_vec(), vec![b','; 255], vec![b'['; 256]];
        bodies.push(vec![b'{'; 255 * 3 + 7]);
        bodies.push((0..=255u8).cycle().take(4000).collect());
        bodies.push(br#"{"a":[1,2,{"b":"[x]"}],"K":"{;"}"#.repeat(50));
        for b in &bodies {
            assert_eq!(
                CheckMemory::parse_estimate(b),
                plain(b),
                "{} bytes",
                b.len()
            );
        }
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, X-Trace".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("x-trace", "1".parse().unwrap());
        h.insert("proxy-authorization", "Basic eA==".parse().unwrap());
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        h.append("set-cookie", "a=1".parse().unwrap());
        h.append("set-cookie", "b=2".parse().unwrap());
        assert!(has_hop_by_hop(&h));
        let kept = end_to_end(&h);
        assert!(!has_hop_by_hop(&kept));
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type", "set-cookie"]);
        assert_eq!(kept.get_all("set-cookie").iter().count(), 2);
    }
}
