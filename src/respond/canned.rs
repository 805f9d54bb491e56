//! The responses built once, at start-up: for every documented response its
//! headers and its default body (the first example that keeps the schema, else
//! a generated one), serialized, so a request only copies bytes.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::{header_value, json_type, value_text};
use crate::contract::profile::MESSAGE_FIELDS;
use crate::contract::{schema, Contract, Operation, ParamIn, Response, SchemaId};
use crate::generate::Generator;

/// One documented response, ready but for what the request decides.
pub(super) struct Canned {
    pub(super) body: Option<CannedBody>,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    /// A redirect whose `Location` is filled per request, pointing at the mock.
    pub(super) redirect: bool,
}

pub(super) struct CannedBody {
    pub(super) content_type: HeaderValue,
    /// Index of the media type in the response's `content`.
    pub(super) media: usize,
    pub(super) value: Value,
    pub(super) bytes: Bytes,
    pub(super) schema: Option<SchemaId>,
    /// `maxLength` of the body's message field, for errors the mock fills in.
    pub(super) message_limit: Option<usize>,
}

impl Canned {
    pub(super) fn build(
        contract: &Contract,
        r: &Response,
        generator: &Generator<'_>,
        rng: &mut StdRng,
        warnings: &mut Vec<String>,
    ) -> Canned {
        let mut headers = Vec::new();
        let is_redirect = (300..400).contains(&r.status.representative());
        let mut has_location = false;
        for h in &r.headers {
            if is_redirect && h.name.eq_ignore_ascii_case("location") {
                has_location = true;
                continue; // Filled per request, pointing at the mock.
            }
            let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
                warnings.push(format!(
                    "#{}: `{}` is not a valid header name; it is not sent",
                    h.pointer, h.name
                ));
                continue;
            };
            let example = h
                .example
                .as_ref()
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
            headers.push((name, header_value(&value_text(&value))));
        }
        let body = r
            .primary_content()
            .map(|media| CannedBody::build(contract, r, media, generator, rng, warnings));
        Canned {
            body,
            headers,
            redirect: is_redirect && has_location,
        }
    }
}

impl CannedBody {
    fn build(
        contract: &Contract,
        r: &Response,
        media: &crate::contract::MediaType,
        generator: &Generator<'_>,
        rng: &mut StdRng,
        warnings: &mut Vec<String>,
    ) -> CannedBody {
        let media_index = r
            .content
            .iter()
            .position(|m| std::ptr::eq(m, media))
            .unwrap_or(0);
        // Every example was checked when the contract loaded (and a broken one
        // reported there); the first that keeps the schema is the default body.
        let value = media
            .examples
            .iter()
            .find(|e| e.problem.is_none())
            .map(|e| e.value.clone());
        let value = value.unwrap_or_else(|| match media.schema {
            Some(s) => generator.generate(s, rng).unwrap_or_else(|v| {
                let why: Vec<String> = contract
                    .schemas
                    .violations(s, &v)
                    .items
                    .iter()
                    .map(|x| format!("{} {}", x.pointer, x.rule))
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
        let bytes = if media.json {
            Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
        } else {
            Bytes::from(value_text(&value))
        };
        CannedBody {
            content_type: concrete_type(&media.name, media.json),
            media: media_index,
            value,
            bytes,
            schema: media.schema,
            message_limit: media.schema.and_then(|s| message_limit(contract, s)),
        }
    }
}

/// A Content-Type to send for a documented media type: wildcards (`*/*`,
/// `application/*`) are not valid Content-Types, so a concrete one stands in.
fn concrete_type(documented: &str, json: bool) -> HeaderValue {
    if documented.contains('*') {
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
