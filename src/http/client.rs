//! The outgoing HTTP client of replay and the proxy: reqwest with rustls (ring),
//! redirects never followed (a 301 or 308 is the thing being checked), bodies never
//! decompressed (what the target sent is what is checked), no proxy from the
//! environment for loopback targets. The TLS provider is given to this client
//! only; nothing process-wide is installed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::header::HeaderMap;

use crate::support::{duration, limits};

/// A target URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target `{url}`: {why}")]
pub struct TargetError {
    url: String,
    why: String,
}

impl TargetError {
    fn new(url: &str, why: impl Into<String>) -> TargetError {
        TargetError {
            url: crate::secrets::redact_userinfo(url).into_owned(),
            why: why.into(),
        }
    }
}

/// A pooled HTTP client bound to one target.
#[derive(Clone)]
pub(crate) struct Client {
    inner: reqwest::Client,
    /// The base URL requests go to (credentials in it included).
    base: String,
    /// The base URL as shown in messages: credentials in it hidden.
    #[cfg(feature = "proxy")]
    shown: String,
    /// hyper-util's pooled client for the same target, when reqwest would send
    /// to it straight (see [`Direct`]).
    #[cfg(feature = "proxy")]
    direct: Option<Direct>,
}

/// What reqwest's client connects with, used without reqwest: hyper-util's
/// pooled legacy client over hyper-rustls, set up as reqwest sets up the
/// [`Client`]'s (connect timeout, TCP keepalive and nodelay, pool, the same TLS
/// configuration, HTTP/1 only, `accept` and `user-agent` when the request has
/// none). It skips reqwest's per-request layers: the URL parsed three times
/// (building the request, the redirect layer, the response), and the redirect
/// and retry services.
///
/// Only for a target that reqwest would reach directly: `http://` or `https://`,
/// no credentials, query or fragment in the base URL, and no proxy from the
/// environment for it. The request's path and query are sent as received (reqwest
/// re-serialised them through its URL parser).
#[cfg(feature = "proxy")]
#[derive(Clone)]
pub(crate) struct Direct {
    client: hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        http_body_util::Full<Bytes>,
    >,
    scheme: hyper::http::uri::Scheme,
    authority: hyper::http::uri::Authority,
    /// The base URL's path without its trailing `/` (empty for none).
    prefix: String,
    /// The `Host` every request gets, made once: hyper-util's client makes it
    /// per request when it is missing (a `format!` and a header value, about
    /// 2,000 instructions of each proxied request).
    host: hyper::header::HeaderValue,
}

#[cfg(feature = "proxy")]
impl Direct {
    /// The direct client for `url`, when reqwest would send to it without a proxy.
    fn new(url: &reqwest::Url, loopback: bool, tls: rustls::ClientConfig) -> Option<Direct> {
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return None;
        }
        let uri: hyper::Uri = url.as_str().parse().ok()?;
        // reqwest reads the proxy settings of the environment (and, on macOS and
        // Windows, the system's) for every target but a loopback one.
        if !loopback
            && hyper_util::client::proxy::matcher::Matcher::from_system()
                .intercept(&uri)
                .is_some()
        {
            return None;
        }
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(15)));
        http.set_keepalive_interval(Some(Duration::from_secs(15)));
        http.set_keepalive_retries(Some(3));
        // HTTP/1.1 only, offered in ALPN as reqwest offers it.
        let mut tls = tls;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let https = hyper_rustls::HttpsConnector::from((http, tls));
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .timer(hyper_util::rt::TokioTimer::new())
                .pool_timer(hyper_util::rt::TokioTimer::new())
                .pool_idle_timeout(Duration::from_secs(90))
                .pool_max_idle_per_host(usize::MAX)
                .build(https);
        Some(Direct {
            client,
            host: host_value(&uri)?,
            scheme: uri.scheme()?.clone(),
            authority: uri.authority()?.clone(),
            prefix: uri.path().trim_end_matches('/').to_string(),
        })
    }

    /// The target's URI for a request to `path_and_query` (origin form, as received);
    /// `None` when it is not one (`*`: see [`Client::url_for`]).
    pub(crate) fn uri(
        &self,
        path_and_query: &hyper::http::uri::PathAndQuery,
    ) -> Option<hyper::Uri> {
        if !path_and_query.as_str().starts_with('/') {
            return None;
        }
        let path_and_query = if self.prefix.is_empty() {
            path_and_query.clone()
        } else {
            format!("{}{}", self.prefix, path_and_query.as_str())
                .try_into()
                .ok()?
        };
        let mut parts = hyper::http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        hyper::Uri::from_parts(parts).ok()
    }

    /// Sends `request`, adding what reqwest's client adds when it is missing.
    pub(crate) fn send(
        &self,
        mut request: hyper::Request<http_body_util::Full<Bytes>>,
    ) -> hyper_util::client::legacy::ResponseFuture {
        use hyper::header::{HeaderValue, ACCEPT, HOST, USER_AGENT as AGENT};
        let headers = request.headers_mut();
        // One hashed look-up each (an entry), not a test and then an insert.
        headers.entry(HOST).or_insert_with(|| self.host.clone());
        headers
            .entry(ACCEPT)
            .or_insert_with(|| HeaderValue::from_static("*/*"));
        headers
            .entry(AGENT)
            .or_insert_with(|| HeaderValue::from_static(USER_AGENT));
        self.client.request(request)
    }

    /// The `Host` requests to the target get.
    pub(crate) fn host(&self) -> &hyper::header::HeaderValue {
        &self.host
    }
}

/// The `Host` hyper-util's client would set for requests to `uri`: its host,
/// and its port unless the scheme's default.
#[cfg(feature = "proxy")]
fn host_value(uri: &hyper::Uri) -> Option<hyper::header::HeaderValue> {
    let host = uri.host()?;
    let text = match (uri.port_u16(), uri.scheme_str()) {
        (None, _) | (Some(80), Some("http")) | (Some(443), Some("https")) => host.to_string(),
        (Some(port), _) => format!("{host}:{port}"),
    };
    hyper::header::HeaderValue::from_str(&text).ok()
}

/// Why [`Direct::exchange`] got no whole answer.
#[cfg(feature = "proxy")]
enum Failed {
    /// The body is longer than the cap.
    TooLarge,
    /// The client or the body failed.
    Error(DirectError),
}

/// An error of hyper-util's client or of a body read from it, and whether the
/// connection could not be made (as reqwest's `is_connect`).
#[cfg(feature = "proxy")]
struct DirectError {
    error: Box<dyn std::error::Error + Send + Sync>,
    connect: bool,
}

#[cfg(feature = "proxy")]
impl Direct {
    /// One whole exchange as [`Client::send`] makes it with reqwest: the answer's
    /// status, headers and body, at most `max_body` bytes of it. The caller puts
    /// the timeout around it all (reqwest's covers the body too).
    async fn exchange(
        &self,
        method: hyper::Method,
        uri: hyper::Uri,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        max_body: usize,
    ) -> Result<(u16, HeaderMap, Bytes), Failed> {
        use http_body_util::BodyExt;
        use hyper::body::Body as _;
        let mut request = hyper::Request::new(http_body_util::Full::new(Bytes::from(
            body.unwrap_or_default(),
        )));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let response = self.send(request).await.map_err(|e| {
            let connect = e.is_connect();
            Failed::Error(DirectError {
                error: Box::new(e),
                connect,
            })
        })?;
        let (head, mut incoming) = response.into_parts();
        if incoming
            .size_hint()
            .exact()
            .is_some_and(|n| n > max_body as u64)
        {
            return Err(Failed::TooLarge);
        }
        let mut body = BytesMut::new();
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| {
                Failed::Error(DirectError {
                    error: Box::new(e),
                    connect: false,
                })
            })?;
            // Trailers are not kept (nor are they by reqwest's `chunk`).
            if let Ok(chunk) = frame.into_data() {
                if body.len() + chunk.len() > max_body {
                    return Err(Failed::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok((head.status.as_u16(), head.headers, body.freeze()))
    }
}

/// The innermost cause of `e` (what a message shows), and whether any error
/// of its chain is a timeout (an I/O one or hyper's).
#[cfg(feature = "proxy")]
pub(crate) fn innermost_cause<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> (bool, &'e (dyn std::error::Error + 'static)) {
    let mut cause = e;
    let mut timed_out = false;
    loop {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            timed_out |= h.is_timeout();
        }
        match cause.source() {
            Some(next) => cause = next,
            None => return (timed_out, cause),
        }
    }
}

/// What went wrong with the direct client, in the words [`describe_error`] uses
/// for reqwest's errors: a timeout anywhere in the chain is one of the whole
/// exchange, as reqwest counts it.
#[cfg(feature = "proxy")]
fn describe_direct_error(
    e: &(dyn std::error::Error + 'static),
    connect: bool,
    timeout: Duration,
) -> String {
    let (timed_out, cause) = innermost_cause(e);
    if timed_out {
        no_response(timeout)
    } else if connect {
        format!("cannot connect: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

/// Whether reqwest's URL parser would send `path_and_query` exactly as written,
/// so the direct client sending it as is sends the same bytes: an absolute path,
/// only characters no part of a URL escapes (unreserved, sub-delims but `'`,
/// which a query escapes, and `:@/?%`),
/// and no `.` or `..` segment (which the parser removes, `%2e` spellings too).
#[cfg(feature = "proxy")]
fn as_written(path_and_query: &str) -> bool {
    if !path_and_query.starts_with('/') || !path_and_query.bytes().all(|b| PLAIN[b as usize]) {
        return false;
    }
    let path = path_and_query.split('?').next().unwrap_or_default();
    !path.split('/').any(dot_segment)
}

/// The bytes [`as_written`] lets through, as a table: it runs on every request
/// replay sends, and searching the punctuation list for each byte of the path
/// cost more than building the request's URI.
#[cfg(feature = "proxy")]
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let punctuation = b"-._~!$&()*+,;=:@/?%";
    let mut i = 0;
    while i < punctuation.len() {
        table[punctuation[i] as usize] = true;
        i += 1;
    }
    table
};

/// `.` or `..`, each dot possibly written `%2e` or `%2E`.
#[cfg(feature = "proxy")]
fn dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        rest = match rest {
            [b'.', tail @ ..] => tail,
            [b'%', b'2', b'e' | b'E', tail @ ..] => tail,
            _ => return false,
        };
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// How long connecting to the target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `user-agent` of requests that have none.
const USER_AGENT: &str = concat!("mimeo/", env!("CARGO_PKG_VERSION"));

impl Client {
    /// A client for `base` (`http://` or `https://`).
    pub(crate) fn new(base: &str) -> Result<Client, TargetError> {
        let url = reqwest::Url::parse(base).map_err(|e| TargetError::new(base, e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetError::new(
                base,
                "only http:// and https:// targets are supported",
            ));
        }
        let tls = tls_config().map_err(|e| TargetError::new(base, e))?;
        #[cfg(feature = "proxy")]
        let direct_tls = tls.clone();
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT);
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            // A proxy from the environment must not swallow requests to this machine.
            builder = builder.no_proxy();
        }
        let inner = builder
            .build()
            .map_err(|e| TargetError::new(base, format!("cannot build the HTTP client: {e}")))?;
        let base = base.trim_end_matches('/').to_string();
        Ok(Client {
            inner,
            #[cfg(feature = "proxy")]
            shown: crate::secrets::redact_userinfo(&base).into_owned(),
            #[cfg(feature = "proxy")]
            // Only when the base is the text its URL parses to (but for a
            // trailing `/`): reqwest parses the base and the path together, so
            // a base the parser rewrites (a trailing space or `\`, an upper-case
            // host, a default port) must keep going through it, or one run
            // would send some requests to another path than the others.
            direct: (url.as_str().trim_end_matches('/') == base)
                .then(|| Direct::new(&url, loopback, direct_tls))
                .flatten(),
            base,
        })
    }

    /// Sends one request; `Err` says why no (whole) response arrived in time. At
    /// most `max_body` bytes of the answer's body are read: a longer answer (an
    /// endless stream, a body of gigabytes) is an error naming the cap, so memory
    /// stays bounded whatever the target sends.
    pub(crate) async fn send(
        &self,
        method: hyper::Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        timeout: Duration,
        max_body: usize,
    ) -> Result<(u16, HeaderMap, Bytes), String> {
        #[cfg(feature = "proxy")]
        if let Some((direct, uri)) = self.direct_uri(path_and_query) {
            let exchange = direct.exchange(method, uri, headers, body, max_body);
            return match tokio::time::timeout(timeout, exchange).await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(Failed::TooLarge)) => Err(too_large(max_body)),
                Ok(Err(Failed::Error(e))) => {
                    Err(describe_direct_error(&*e.error, e.connect, timeout))
                }
                Err(_) => Err(no_response(timeout)),
            };
        }
        // As the proxy sends: a query (or fragment) in the base URL is not where
        // the step's path goes.
        let url = self.url_for(path_and_query);
        let mut builder = self
            .inner
            .request(method, &url)
            .headers(headers)
            .timeout(timeout);
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| describe_error(&e, timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let too_large = || too_large(max_body);
        if response
            .content_length()
            .is_some_and(|n| n > max_body as u64)
        {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| describe_error(&e, timeout))?
        {
            if body.len() + chunk.len() > max_body {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body.freeze()))
    }

    /// The direct client and the URI for a request to `path_and_query`, when
    /// there is a direct client and reqwest would send that path and query exactly
    /// as written (see [`as_written`]); `None` means reqwest sends it.
    #[cfg(feature = "proxy")]
    fn direct_uri(&self, path_and_query: &str) -> Option<(&Direct, hyper::Uri)> {
        let direct = self.direct.as_ref()?;
        if !as_written(path_and_query) {
            return None;
        }
        let uri = direct.uri(&path_and_query.parse().ok()?)?;
        Some((direct, uri))
    }

    /// The URL that a request to `path_and_query` (as received) goes to: the
    /// base URL followed by the request's path. A query in the base URL comes
    /// after that path (before the request's own query, joined with `&`) and a
    /// fragment is dropped, instead of the request's path being glued onto them.
    /// `*` (`OPTIONS *`) goes to the base URL itself: it is not a path to append.
    pub(crate) fn url_for(&self, path_and_query: &str) -> String {
        let path_and_query = if path_and_query == "*" {
            ""
        } else {
            path_and_query
        };
        let whole = self.base.split_once('#').map_or(&*self.base, |(b, _)| b);
        let Some((base, base_query)) = whole.split_once('?') else {
            return format!("{}{path_and_query}", whole.trim_end_matches('/'));
        };
        let base = base.trim_end_matches('/');
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        match (base_query.is_empty(), query.is_empty()) {
            (true, true) => format!("{base}{path}"),
            (true, false) => format!("{base}{path}?{query}"),
            (false, true) => format!("{base}{path}?{base_query}"),
            (false, false) => format!("{base}{path}?{base_query}&{query}"),
        }
    }

    /// The target's base URL as shown: credentials in it hidden.
    #[cfg(feature = "proxy")]
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// The underlying client (redirects off, no decompression), for the proxy.
    #[cfg(feature = "proxy")]
    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.inner
    }

    /// The same client without reqwest, when the target allows it (see [`Direct`]).
    #[cfg(feature = "proxy")]
    pub(crate) fn direct(&self) -> Option<&Direct> {
        self.direct.as_ref()
    }
}

/// The error of an answer whose body is longer than `max_body`.
fn too_large(max_body: usize) -> String {
    format!(
        "the answer's body is larger than {} (--max-response-size); the rest was not read",
        limits::format_size(max_body)
    )
}

/// The error of an answer that did not come whole within `timeout`.
fn no_response(timeout: Duration) -> String {
    format!("no response within {}", duration::format(timeout))
}

/// What went wrong, readably: `no response within 10s`, `cannot connect: ...`.
pub(crate) fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return no_response(timeout);
    }
    // The innermost cause says what happened ("Connection refused"); the outer ones
    // only repeat the URL.
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

/// TLS for this client only: ring, and the platform's certificate verifier
/// ([`LazyVerifier`]).
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = LazyVerifier {
        provider: provider.clone(),
        made: OnceLock::new(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The platform's certificate verifier, made at the first TLS handshake: an
/// `http://` target never needs it, and reading the system's CA certificates
/// was 60% of the proxy's start and failed where there are none (the scratch
/// image), even for `http://`. Where the system has no CA certificate (and
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` name none: a user who names a file trusts
/// only it, and a mistyped one stays an error), Mozilla's roots
/// (webpki-root-certs) are trusted instead, so `https://` targets work there.
#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    made: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyVerifier {
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        use rustls_platform_verifier::Verifier;
        self.made
            .get_or_init(|| {
                Verifier::new(self.provider.clone()).or_else(|e| {
                    let chosen = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
                        .iter()
                        .any(|v| std::env::var_os(v).is_some());
                    if chosen {
                        return Err(e);
                    }
                    Verifier::new_with_extra_roots(
                        webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
                        self.provider.clone(),
                    )
                })
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(format!("cannot set up TLS verification: {e}")))
    }
}

impl rustls::client::danger::ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        // What the platform verifier answers too (its WebPKI verifier's are
        // the provider's), without reading the CA certificates for it.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(all(test, feature = "proxy"))]
mod tests {
    use super::{as_written, Client};

    #[test]
    fn the_direct_client_sends_where_reqwest_would() {
        let bases = [
            "http://127.0.0.1:1",
            "http://127.0.0.1:1/api/",
            "http://127.0.0.1:1/api ",
            "http://127.0.0.1:1/api\\",
            "http://127.0.0.1:1/a/..",
            "http://127.0.0.1:1/a/%2e",
            "HTTP://LOCALHOST:80/api",
        ];
        let mut direct = 0;
        for base in bases {
            let client = Client::new(base).unwrap();
            for path in ["/x", "/", "//x", "/x?a=1", "/a%2Fb"] {
                let reqwest = reqwest::Url::parse(&client.url_for(path)).unwrap();
                if let Some((_, uri)) = client.direct_uri(path) {
                    direct += 1;
                    assert_eq!(uri.to_string(), reqwest.as_str(), "{base} + {path}");
                }
            }
        }
        // The plain bases do go direct.
        assert!(direct >= 10, "{direct}");
    }

    #[test]
    fn the_host_made_once_is_the_one_hyper_util_would_make() {
        for (url, host) in [
            ("http://127.0.0.1:1/api", "127.0.0.1:1"),
            ("http://localhost:80/", "localhost"),
            ("https://example.test:443/v1", "example.test"),
            ("https://example.test:80/", "example.test:80"),
            ("http://[::1]:8080", "[::1]:8080"),
        ] {
            let uri: hyper::Uri = url.parse().unwrap();
            assert_eq!(super::host_value(&uri).unwrap(), host, "{url}");
        }
    }

    #[test]
    fn only_paths_the_url_parser_keeps_go_as_written() {
        for kept in ["/", "/v1/Stores/a%2Fb/x", "/p?x=1&y=a+b%27", "/a.b/..c/~d"] {
            assert!(as_written(kept), "{kept}");
        }
        for changed in [
            "v1",
            "*",
            "/a/../b",
            "/a/./b",
            "/a/%2E%2e/b",
            "/a/..",
            "/a b",
            "/a\"b",
            "/{x}",
            "/p?q='x'",
            "/a\\b",
            "/é",
        ] {
            assert!(!as_written(changed), "{changed}");
        }
    }
}
