//! The responses built once, at start-up: for every documented response its
//! headers and, for each documented media type, its default body (the first
//! example that keeps the schema, else a generated one), serialized (and
//! compressed, when the response documents a `Content-Encoding` mimeo can
//! apply), so a request only picks and copies bytes.
//!
//! What the document lists but a generated value cannot honestly claim is left
//! out here: a 204 or 304 has no body whatever `content` says, and the
//! representation headers (`Content-Length`, `Transfer-Encoding`,
//! `Content-Range`, `Content-Encoding`) describe the bytes actually sent, so
//! they are never copied from examples (the server computes the length; a
//! documented gzip coding is applied for real, per request, or left out).

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::negotiate::Coding;
use super::{header_value, json_type, value_text};
use crate::contract::profile::MESSAGE_FIELDS;
use crate::contract::{schema, Contract, Operation, ParamIn, Response, SchemaId};
use crate::generate::Generator;
use crate::routing::RouteMatch;
use crate::support::media;

/// Documented response headers that describe the bytes on the wire: the
/// server (or mimeo's own encoding) sets them, never an example.
const REPRESENTATION_HEADERS: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "content-range",
    "content-encoding",
];

/// One documented response, ready but for what the request decides.
pub(super) struct Canned {
    /// One per documented media type, in the order of the response's `content`;
    /// empty when the response has no body (or is a 204 or 304).
    pub(super) bodies: Vec<CannedBody>,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    /// A redirect whose `Location` is filled per request, pointing at the mock.
    pub(super) redirect: bool,
    /// For a redirect without `x-mimeo-redirect`: the path its documented
    /// `Location` names, when the contract serves it (the canonical URL).
    pub(super) redirect_path: Option<String>,
    /// For a `Location` that is not a redirect's (a 201's, a 202's status URL):
    /// its place in `headers` and the path (and query) of the documented
    /// absolute URL, sent under the mock's own address instead of the
    /// production host.
    pub(super) location_path: Option<(usize, String)>,
    /// The documented `Content-Encoding`, applied when the request allows it.
    pub(super) coding: Option<Coding>,
}

pub(super) struct CannedBody {
    pub(super) content_type: HeaderValue,
    /// Index of the media type in the response's `content`.
    pub(super) media: usize,
    pub(super) value: Value,
    pub(super) bytes: Bytes,
    /// `bytes` in the response's documented coding, computed once.
    pub(super) encoded: Option<Bytes>,
    pub(super) schema: Option<SchemaId>,
    /// `maxLength` of the body's message field, for errors the mock fills in.
    pub(super) message_limit: Option<usize>,
    /// The documented media type is a wildcard (`*/*`, `text/*`): a string value
    /// is sent as text, in a concrete type chosen from the request's `Accept`.
    pub(super) wildcard: bool,
    /// The media type may carry JSON (`application/json`, `+json`, `*/*`).
    pub(super) json: bool,
    /// The media type is XML: values are written as XML.
    pub(super) xml: bool,
}

/// Whether a status never carries a body (RFC 9110 §15.3.5, §15.4.5).
pub(crate) fn bodiless(status: u16) -> bool {
    // 205 Reset Content too: a server "MUST NOT generate content" (RFC 9110 15.3.6).
    status == 204 || status == 205 || status == 304 || (100..200).contains(&status)
}

impl Canned {
    pub(super) fn build(
        contract: &Contract,
        op: &Operation,
        r: &Response,
        generator: &Generator<'_>,
        rng: &mut StdRng,
        warnings: &mut Vec<String>,
    ) -> Canned {
        let mut headers = Vec::new();
        let status = r.status.representative();
        let is_redirect = (300..400).contains(&status);
        let mut has_location = false;
        let mut redirect_path = None;
        let mut location_path = None;
        let mut coding = None;
        for h in &r.headers {
            let lower = h.name.to_ascii_lowercase();
            let is_location = lower == "location";
            if REPRESENTATION_HEADERS.contains(&lower.as_str()) {
                if lower == "content-encoding" {
                    coding = documented_coding(contract, h);
                }
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
                warnings.push(format!(
                    "#{}: `{}` is not a valid header name; it is not sent",
                    h.pointer, h.name
                ));
                continue;
            };
            let example = contract
                .header_example(h)
                .filter(|e| h.schema.is_none_or(|s| contract.schemas.is_valid(s, e)));
            let value = match (example, h.schema) {
                (Some(e), _) => e.clone(),
                (None, Some(s)) => generator.generate(s, rng).unwrap_or_else(|v| {
                    warnings.push(format!(
                        "#{}: cannot generate a valid value for header {}",
                        h.pointer, h.name
                    ));
                    v
                }),
                (None, None) => Value::String("x".into()),
            };
            let text = value_text(&value);
            if is_location && is_redirect {
                has_location = true;
                // Filled per request, pointing at the mock.
                redirect_path = url_path(&text).filter(|p| served(contract, op, p));
                continue;
            }
            if is_location {
                if let Some(path) = url_path(&text).filter(|_| text.contains("://")) {
                    // Its value is replaced per request with the mock's address.
                    location_path = Some((headers.len(), path));
                }
            }
            headers.push((name, header_value(&text)));
        }
        let bodies = if bodiless(status) {
            Vec::new()
        } else {
            r.content
                .iter()
                .enumerate()
                .map(|(i, media)| {
                    let mut cb =
                        CannedBody::build(contract, i, media, coding, generator, rng, warnings);
                    if let (crate::contract::StatusKey::Code(code @ 400..), true) =
                        (r.status, media.examples.is_empty())
                    {
                        cb.say_status(contract, code, coding);
                    }
                    cb
                })
                .collect()
        };
        Canned {
            bodies,
            headers,
            redirect: is_redirect && has_location,
            redirect_path,
            location_path,
            coding,
        }
    }

    /// The body sent when the request does not choose: the first JSON one, else the first.
    pub(super) fn primary(&self) -> Option<&CannedBody> {
        self.bodies
            .iter()
            .find(|b| b.json)
            .or_else(|| self.bodies.first())
    }
}

impl CannedBody {
    fn build(
        contract: &Contract,
        media_index: usize,
        media: &crate::contract::MediaType,
        coding: Option<Coding>,
        generator: &Generator<'_>,
        rng: &mut StdRng,
        warnings: &mut Vec<String>,
    ) -> CannedBody {
        // Every example was checked when the contract loaded (and a broken one
        // reported there), or is now (a large contract's, reported by the
        // warm-up); the first that keeps the schema is the default body.
        let value = media
            .examples
            .iter()
            .find(|e| contract.example_problem(media.schema, e).is_none())
            .map(|e| Value::clone(&e.value));
        let value = value.unwrap_or_else(|| match media.schema {
            Some(s) => generator.generate(s, rng).unwrap_or_else(|v| {
                let why: Vec<String> = contract
                    .schemas
                    .violations(s, &v)
                    .items
                    .iter()
                    .map(|x| match (x.pointer.as_str(), x.rule.as_str()) {
                        // The schema itself cannot be compiled: its message says why.
                        (_, crate::contract::UNCOMPILABLE) => x.message.clone(),
                        ("", rule) => format!("the body: {rule}"),
                        (at, rule) => format!("{at} {rule}"),
                    })
                    .collect();
                warnings.push(format!(
                    "#{}: cannot generate a body that matches the schema ({}); the body sent will not validate",
                    media.pointer,
                    why.join(", ")
                ));
                v
            }),
            None => Value::Object(Map::new()),
        });
        let wildcard = media::essence(&media.name).contains('*');
        let xml = !media.json && super::xml::is_xml(&media.name);
        let bytes = serialize(contract, (media.json, wildcard, xml), media.schema, &value);
        let encoded = coding.and_then(|c| c.encode(&bytes));
        let content_type =
            if wildcard && super::negotiate::sent_as_text(&media.name, value.is_string()) {
                let text = super::negotiate::text_type(None, &media.name);
                HeaderValue::from_str(text.as_deref().unwrap_or("application/octet-stream"))
                    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
            } else {
                concrete_type(&media.name, media.json)
            };
        CannedBody {
            content_type,
            media: media_index,
            value,
            bytes,
            encoded,
            schema: media.schema,
            message_limit: media.schema.and_then(|s| message_limit(contract, s)),
            wildcard,
            json: media.json,
            xml,
        }
    }
}

impl CannedBody {
    /// A generated error body's status member set to the status it is
    /// documented for (a generator knows only `minimum: 100`), when the
    /// schema allows it.
    fn say_status(&mut self, contract: &Contract, status: u16, coding: Option<Coding>) {
        let fields = &contract.profile.errors;
        let Some(v) = super::errors::with_status(fields, &self.value, status)
            .filter(|v| self.schema.is_none_or(|s| contract.schemas.is_valid(s, v)))
        else {
            return;
        };
        self.bytes = self.bytes_of(contract, &v);
        self.encoded = coding.and_then(|c| c.encode(&self.bytes));
        self.value = v;
    }
}

impl CannedBody {
    /// Another value's bytes in this body's media type.
    pub(super) fn bytes_of(&self, contract: &Contract, value: &Value) -> Bytes {
        serialize(
            contract,
            (self.json, self.wildcard, self.xml),
            self.schema,
            value,
        )
    }
}

/// A value's bytes for a media type (`json`, `wildcard`, `xml`): JSON for JSON
/// types, except a string in a wildcard type, which is the text itself (a `*/*`
/// body documented by a string example is that text, not a JSON string); XML
/// for XML types, shaped by the schema; else the value's text.
fn serialize(
    contract: &Contract,
    (json, wildcard, xml): (bool, bool, bool),
    schema: Option<SchemaId>,
    value: &Value,
) -> Bytes {
    if xml && !value.is_string() {
        return Bytes::from(super::xml::write(contract, schema, value));
    }
    if json && !(wildcard && value.is_string()) {
        Bytes::from(serde_json::to_vec(value).unwrap_or_default())
    } else {
        Bytes::from(value_text(value))
    }
}

/// The coding a documented `Content-Encoding` names (its example, or the
/// first member of its enum), when mimeo can apply it; else the header is
/// simply left out.
fn documented_coding(contract: &Contract, h: &crate::contract::Header) -> Option<Coding> {
    let from_schema = || {
        let s = schema::resolve(&contract.document, contract.schemas.source(h.schema?))?;
        s.get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
            .or_else(|| s.get("default"))
            .or_else(|| s.get("example"))
            .cloned()
    };
    let value = contract.header_example(h).cloned().or_else(from_schema)?;
    Coding::named(value.as_str()?)
}

/// The path (and query) of a URL or absolute path, `None` for anything else.
fn url_path(text: &str) -> Option<String> {
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        Some(_) => return None,
        None => text,
    };
    let at = rest.find('/')?;
    let path = &rest[at..];
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

/// Whether the contract serves `path` (with any method).
fn served(contract: &Contract, op: &Operation, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    !matches!(contract.route(&op.method, path), RouteMatch::NotFound)
}

/// A Content-Type to send for a documented media type: wildcards (`*/*`,
/// `application/*`) are not valid Content-Types, so a concrete one stands in
/// (for the others, see [`super::negotiate::sent_as_text`]).
fn concrete_type(documented: &str, json: bool) -> HeaderValue {
    // A wildcard, or a name that is not a media type at all (`PDF`: sent as
    // written it would be an invalid Content-Type).
    if documented.contains('*') || !crate::support::media::essence(documented).contains('/') {
        return if json {
            json_type()
        } else {
            HeaderValue::from_static("application/octet-stream")
        };
    }
    HeaderValue::from_str(documented).unwrap_or_else(|_| json_type())
}

/// Body fields (top-level properties of a success response's schema) named like
/// a path parameter: the mock echoes the request's value into them.
pub(super) fn echo_fields(contract: &Contract, op: &Operation) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in op
        .responses
        .iter()
        .filter(|r| matches!(r.status.representative(), 200..=299))
    {
        let Some(s) = r.primary_content().and_then(|m| m.schema) else {
            continue;
        };
        let Some(props) = schema::resolve(&contract.document, contract.schemas.source(s))
            .and_then(|s| s.get("properties"))
        else {
            continue;
        };
        for p in op.params_in(ParamIn::Path) {
            if props.get(&p.name).is_some() && !names.contains(&p.name) {
                names.push(p.name.clone());
            }
        }
    }
    names
}

/// `maxLength` of the member an error's message goes in.
fn message_limit(contract: &Contract, s: SchemaId) -> Option<usize> {
    let schema = schema::resolve(&contract.document, contract.schemas.source(s))?;
    let declared = contract.profile.errors.message.as_deref();
    for key in declared.into_iter().chain(MESSAGE_FIELDS) {
        if let Some(p) = schema.get("properties").and_then(|p| p.get(key)) {
            let p = schema::resolve(&contract.document, p)?;
            return p
                .get("maxLength")
                .and_then(Value::as_u64)
                .map(|n| n as usize);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths() {
        assert_eq!(
            url_path("https://api.example.com/v1/ops/7?x=1").as_deref(),
            Some("/v1/ops/7?x=1")
        );
        assert_eq!(url_path("/v1/a").as_deref(), Some("/v1/a"));
        assert_eq!(url_path("https://h").as_deref(), None);
        assert_eq!(url_path("statusUrl"), None);
        assert_eq!(url_path("javascript://x/y").as_deref(), Some("/y"));
        assert_eq!(url_path("a b://x/y"), None);
    }
}
