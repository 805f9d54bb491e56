//! Forwarding: one client request to the target, and the target's answer back.
//!
//! The replay runner's client does the sending ([`crate::http::client`]):
//! redirects are never followed and bodies are never decompressed, so what the
//! target sent is what the client gets. Headers that belong to one connection
//! (hop-by-hop) are dropped both ways; everything else passes unchanged, except
//! that `Host` names the target. The answer's body is read into memory up to
//! [`MAX_CHECKED_BODY`] so it can be checked; a longer body is passed on unchecked.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderMap, HeaderName, CONNECTION, CONTENT_LENGTH, EXPECT, HOST};
use hyper::{Method, StatusCode};

use crate::http::client::{describe_error, Client, TargetError};
use crate::support::duration;

/// The most of a response body the proxy holds to check it (16 MiB).
pub const MAX_CHECKED_BODY: usize = 16 * 1024 * 1024;

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
}

/// Why the target gave no answer.
pub(crate) struct Failure {
    /// 502 (unreachable, broken answer) or 504 (no answer in time).
    pub(crate) status: u16,
    /// What happened, naming the target.
    pub(crate) message: String,
}

/// The target's answer, hop-by-hop headers removed.
pub(crate) struct Answer {
    /// Status.
    pub(crate) status: StatusCode,
    /// Headers, as the target sent them (minus hop-by-hop).
    pub(crate) headers: HeaderMap,
    /// The body, or its first [`MAX_CHECKED_BODY`] bytes when `rest` is set.
    pub(crate) body: Bytes,
    /// The unread remainder of a body longer than [`MAX_CHECKED_BODY`].
    pub(crate) rest: Option<reqwest::Response>,
}

impl Target {
    /// A target at `base` (`http://` or `https://`); each request may take `timeout`.
    pub(crate) fn new(base: &str, timeout: Duration) -> Result<Target, TargetError> {
        let mut id = [0u8; 8];
        rand::fill(&mut id);
        Ok(Target {
            client: Client::new(base)?,
            timeout,
            via: format!("1.1 mimeo-{:016x}", u64::from_le_bytes(id)),
        })
    }

    /// Whether `headers` show the request already passed through this proxy.
    pub(crate) fn looped(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(hyper::header::VIA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(&self.via[4..]))
    }

    /// The target's base URL.
    pub(crate) fn base(&self) -> &str {
        self.client.base()
    }

    /// Sends one request as the client sent it (hop-by-hop headers, `Host`,
    /// `Content-Length` and `Expect` left for the connection to the target to set).
    pub async fn send(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, Failure> {
        let mut forwarded = end_to_end(headers);
        // Accept-Encoding goes too: the answer must be checked (and recorded) as
        // JSON, and this client does not decompress.
        for h in [HOST, CONTENT_LENGTH, EXPECT, hyper::header::ACCEPT_ENCODING] {
            forwarded.remove(h);
        }
        if let Ok(v) = hyper::header::HeaderValue::from_str(&self.via) {
            forwarded.append(hyper::header::VIA, v);
        }
        let url = format!("{}{}", self.client.base(), path_and_query);
        let mut request = self
            .client
            .inner()
            .request(method.clone(), &url)
            .headers(forwarded)
            .timeout(self.timeout);
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut response = request.send().await.map_err(|e| self.failure(&e))?;
        let status = response.status();
        let headers = end_to_end(response.headers());
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() >= MAX_CHECKED_BODY {
                        return Ok(Answer {
                            status,
                            headers,
                            body: body.freeze(),
                            rest: Some(response),
                        });
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.failure(&e)),
            }
        }
        Ok(Answer {
            status,
            headers,
            body: body.freeze(),
            rest: None,
        })
    }

    fn failure(&self, e: &reqwest::Error) -> Failure {
        let base = self.client.base();
        let what = describe_error(e, self.timeout);
        if e.is_timeout() {
            Failure {
                status: 504,
                message: format!(
                    "mimeo proxy: the target {base} did not answer in time ({what}; --timeout {})",
                    duration::format(self.timeout)
                ),
            }
        } else if e.is_connect() {
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

/// A response body: bytes in hand, then possibly the rest of the target's body.
pub(crate) struct ProxyBody {
    head: Option<Bytes>,
    rest: Option<reqwest::Body>,
}

impl ProxyBody {
    /// A body that is all in hand.
    pub(crate) fn full(bytes: Bytes) -> ProxyBody {
        ProxyBody {
            head: Some(bytes),
            rest: None,
        }
    }

    /// `head`, then whatever `rest` still has to give.
    pub(crate) fn streamed(head: Bytes, rest: Option<reqwest::Response>) -> ProxyBody {
        ProxyBody {
            head: Some(head),
            rest: rest.map(reqwest::Body::from),
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        if let Some(head) = self.head.take().filter(|h| !h.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
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
        let kept = end_to_end(&h);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type", "set-cookie"]);
        assert_eq!(kept.get_all("set-cookie").iter().count(), 2);
    }
}
