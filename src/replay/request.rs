//! Turning a step into the HTTP request it sends: placeholders filled, values in
//! the path percent-encoded so a `/` in a value cannot change the route, and the
//! step's credentials added (never kept in what reports show).

use base64::Engine;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::Method;
use indexmap::IndexMap;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::{ReplayOptions, SentRequest};
use crate::scenario::{placeholder, Body, Part, Step, StepAuth};
use crate::serve::SESSION_HEADER;

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

/// Credentials that no server accepts (a mimeo mock refuses them whatever its
/// settings), for steps with `auth: invalid`.
const INVALID_AUTH: (&str, &str) = crate::validate::security::REJECTED_CREDENTIALS;

/// A request ready to send.
pub(super) struct Prepared {
    pub(super) method: Method,
    pub(super) path_and_query: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<Vec<u8>>,
}

impl Prepared {
    /// What was sent, for reports; credentials and secret-looking headers are never kept.
    pub(super) fn describe(&self) -> SentRequest {
        SentRequest {
            method: self.method.to_string(),
            url: self.path_and_query.clone(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    let value = if k == AUTHORIZATION {
                        "[redacted]".to_string()
                    } else {
                        let value = lossy(v.as_bytes());
                        match crate::secrets::secret_header(k.as_str(), &value) {
                            true => "[redacted]".to_string(),
                            false => value,
                        }
                    };
                    (k.as_str().to_string(), value)
                })
                .collect(),
            body: self.body.as_deref().map(lossy),
        }
    }
}

/// `bytes` as text, invalid UTF-8 replaced: checked first, since nearly all
/// is valid and the check costs far less than the lossy copy.
fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Fills a step's placeholders. Values in the path are percent-encoded so a `/` in
/// a value cannot change the route; the literal text is sent as written.
pub(super) fn build(
    step: &Step,
    vars: &IndexMap<String, String>,
    opts: &ReplayOptions,
    session: Option<&str>,
) -> Result<Prepared, String> {
    let missing = |v: String| format!("`{}` has no value", placeholder(&v));
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
    if let Some(session) = session.filter(|_| !headers.contains_key(SESSION_HEADER)) {
        let value = HeaderValue::from_str(session)
            .map_err(|_| format!("the session `{session}` cannot be sent as a header value"))?;
        headers.insert(SESSION_HEADER, value);
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
