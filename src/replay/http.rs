//! Turning a step into an HTTP request and sending it.
//!
//! One client serves the whole run (connections are pooled). Redirects are never
//! followed: a 301 or 308 is the thing being checked. A timeout is a failure of the
//! step, reported as such.

use std::sync::Once;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::Method;
use indexmap::IndexMap;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::{ReplayOptions, SentRequest};
use crate::scenario::{Body, Part, Step, StepAuth};

/// Characters a variable's value may not carry raw inside a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Credentials that no server accepts, for steps with `auth: invalid`.
const INVALID_AUTH: (&str, &str) = ("AC00000000000000000000000000000000", "not-a-valid-token");

/// A pooled HTTP client bound to one target.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    base: String,
}

impl Client {
    /// A client for `base` (`http://` or `https://`).
    pub fn new(base: &str) -> Result<Client, String> {
        static TLS: Once = Once::new();
        TLS.call_once(|| {
            // Another part of the process may have installed one already; either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let url = reqwest::Url::parse(base).map_err(|e| format!("--target {base}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "--target {base}: only http:// and https:// targets are supported"
            ));
        }
        let mut builder = reqwest::Client::builder()
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
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            inner,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// Sends one request; `Err` when no response arrived in time.
    pub async fn send(
        &self,
        req: Prepared,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), String> {
        let url = format!("{}{}", self.base, req.path_and_query);
        let mut builder = self
            .inner
            .request(req.method, &url)
            .headers(req.headers)
            .timeout(timeout);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| describe_error(&e, timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| describe_error(&e, timeout))?;
        Ok((status, headers, body))
    }

    /// The target's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying client (redirects off, no decompression), for the proxy.
    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.inner
    }
}

/// What went wrong, readably: `no response within 10s`, `cannot connect: ...`.
pub(crate) fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no response within {}", format_duration(timeout));
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

/// A request ready to send.
pub struct Prepared {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
}

impl Prepared {
    /// What was sent, for reports; credentials and secret-looking headers are never kept.
    pub fn describe(&self) -> SentRequest {
        SentRequest {
            method: self.method.to_string(),
            url: self.path_and_query.clone(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes());
                    let value = if k == AUTHORIZATION
                        || crate::secrets::secret_header(k.as_str(), &value)
                    {
                        "[redacted]".to_string()
                    } else {
                        value.into_owned()
                    };
                    (k.as_str().to_string(), value)
                })
                .collect(),
            body: self
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        }
    }
}

/// Fills a step's placeholders. Values in the path are percent-encoded so a `/` in
/// a value cannot change the route; the literal text is sent as written.
pub fn build(
    step: &Step,
    vars: &IndexMap<String, String>,
    opts: &ReplayOptions,
) -> Result<Prepared, String> {
    let missing = |v: String| format!("`{{{{{v}}}}}` has no value");
    let mut path = String::new();
    for part in step.path.parts() {
        match part {
            Part::Text(t) => path.push_str(t),
            Part::Var(v) => {
                let value = vars.get(v).ok_or_else(|| missing(v.clone()))?;
                path.extend(utf8_percent_encode(value, SEGMENT));
            }
        }
    }
    if !step.query.is_empty() {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, t) in &step.query {
            q.append_pair(k, &t.render(vars).map_err(missing)?);
        }
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(&q.finish());
    }
    let mut headers = HeaderMap::new();
    for (name, t) in &step.headers {
        let value = t.render(vars).map_err(missing)?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("header {name}: `{value}` cannot be sent as a header value"))?;
        headers.append(name.clone(), value);
    }
    let credentials = match step.auth {
        StepAuth::Default => opts.auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
        StepAuth::None => None,
        StepAuth::Invalid => Some(INVALID_AUTH),
    };
    if let Some((user, pass)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let mut value = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| "the credentials cannot be sent as a header".to_string())?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let body = match &step.body {
        None => None,
        Some(Body::Json(v)) => {
            let v = v.render(vars).map_err(missing)?;
            if !headers.contains_key(CONTENT_TYPE) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Some(serde_json::to_vec(&v).map_err(|e| format!("body: {e}"))?)
        }
        Some(Body::Raw(t)) => Some(t.render(vars).map_err(missing)?.into_bytes()),
    };
    Ok(Prepared {
        method: step.method.clone(),
        path_and_query: path,
        headers,
        body,
    })
}

/// `10s`, `250ms`.
pub fn format_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
