//! The outgoing HTTP client of replay and the proxy: reqwest with rustls (ring),
//! redirects never followed (a 301 or 308 is the thing being checked), bodies never
//! decompressed (what the target sent is what is checked), no proxy from the
//! environment for loopback targets. The TLS provider is given to this client
//! only; nothing process-wide is installed.

use std::sync::Arc;
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
}

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
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("mimeo/", env!("CARGO_PKG_VERSION")));
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
        let url = format!("{}{}", self.base, path_and_query);
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
        let too_large = || {
            format!(
                "the answer's body is larger than {} (--max-response-size); the rest was not read",
                limits::format_size(max_body)
            )
        };
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

    /// The target's base URL, for sending (credentials in it included).
    #[cfg(feature = "proxy")]
    pub(crate) fn base(&self) -> &str {
        &self.base
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
}

/// What went wrong, readably: `no response within 10s`, `cannot connect: ...`.
pub(crate) fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no response within {}", duration::format(timeout));
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

/// TLS for this client only: ring, and the platform's certificate verifier.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| format!("cannot set up TLS verification: {e}"))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}
