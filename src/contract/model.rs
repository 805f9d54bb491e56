//! The resolved contract model: what an operation accepts and what it may answer.

use hyper::Method;
use serde_json::Value;

use super::SchemaId;

/// One documented operation (a method on a path template).
#[derive(Debug, Clone)]
pub struct Operation {
    /// Position in [`super::Contract::operations`].
    pub index: usize,
    /// The HTTP method.
    pub method: Method,
    /// The path template, e.g. `/v1/Stores/{storeId}`.
    pub path: String,
    /// `operationId`, when the document gives one.
    pub operation_id: Option<String>,
    /// `summary`, when the document gives one.
    pub summary: Option<String>,
    /// JSON pointer of the operation in the document.
    pub pointer: String,
    /// Path, query, header and cookie parameters (path-item ones merged in).
    pub params: Vec<Parameter>,
    /// The request body, when the operation takes one.
    pub body: Option<RequestBody>,
    /// Documented responses, sorted by status (codes, then ranges, then default).
    pub responses: Vec<Response>,
    /// What the security requirements ask for.
    pub auth: Auth,
}

impl Operation {
    /// `GET /v1/x/{id}` — how operations are named in messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The operationId, or the method and path when there is none.
    pub fn name(&self) -> String {
        self.operation_id.clone().unwrap_or_else(|| self.label())
    }

    /// The response documented for `status`: the exact code first, then its range
    /// (`4XX`), then `default`.
    pub fn response_for(&self, status: u16) -> Option<&Response> {
        self.responses
            .iter()
            .find(|r| r.status == StatusKey::Code(status))
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status == StatusKey::Range(status / 100))
            })
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status == StatusKey::Default)
            })
    }

    /// Whether `status` is documented (exactly, by range, or by `default`).
    pub fn documents(&self, status: u16) -> bool {
        self.response_for(status).is_some()
    }

    /// The explicitly documented status codes, in order.
    pub fn documented_codes(&self) -> Vec<u16> {
        self.responses
            .iter()
            .filter_map(|r| match r.status {
                StatusKey::Code(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The statuses as written in the document (`202, 4XX, default`), for messages.
    pub fn documented_list(&self) -> String {
        self.responses
            .iter()
            .map(|r| r.status.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The status the mock answers with by default: the lowest documented 2xx, then
    /// the lowest 3xx, then the first documented response.
    pub fn default_status(&self) -> u16 {
        let codes = self.documented_codes();
        codes
            .iter()
            .copied()
            .find(|c| (200..300).contains(c))
            .or_else(|| {
                self.responses
                    .iter()
                    .find_map(|r| (r.status == StatusKey::Range(2)).then_some(200))
            })
            .or_else(|| codes.iter().copied().find(|c| (300..400).contains(c)))
            .or_else(|| codes.first().copied())
            .or_else(|| self.responses.first().map(|r| r.status.representative()))
            .unwrap_or(200)
    }

    /// Parameters in one location.
    pub fn params_in(&self, location: ParamIn) -> impl Iterator<Item = &Parameter> {
        self.params.iter().filter(move |p| p.location == location)
    }
}

/// What an operation's security requirements ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No requirement (or an explicit empty one).
    None,
    /// HTTP Basic.
    Basic,
    /// Something mimeo does not check (API keys, OAuth, ...).
    Other,
}

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// A path template variable.
    Path,
    /// A query string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParamIn {
    /// The word used in messages: `path`, `query`, `header`, `cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
            ParamIn::Cookie => "cookie",
        }
    }
}

/// How a parameter's text becomes a JSON value before schema validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    /// Taken as a string.
    String,
    /// Parsed as an integer.
    Integer,
    /// Parsed as a number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Comma-separated (or repeated, when exploded) items of a kind.
    Array(Box<ValueKind>),
    /// Parsed as JSON (object schemas and `content` parameters).
    Json,
    /// No single type: a number or boolean when it parses as one, else a string.
    Any,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// The name (case-insensitive for headers).
    pub name: String,
    /// Where it is.
    pub location: ParamIn,
    /// Whether it must be present (always true for path parameters).
    pub required: bool,
    /// Its compiled schema.
    pub schema: Option<SchemaId>,
    /// How its text is read.
    pub kind: ValueKind,
    /// Whether arrays are repeated keys (`a=1&a=2`) rather than `a=1,2`.
    pub explode: bool,
    /// JSON pointer of the parameter (after `$ref`).
    pub pointer: String,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// Accepted media types.
    pub content: Vec<MediaType>,
    /// JSON pointer of the request body (after `$ref`).
    pub pointer: String,
}

/// A media type with its schema and examples.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// The media type as written (`application/json`).
    pub name: String,
    /// Whether it is JSON (`application/json`, `*/*`, or `+json`).
    pub json: bool,
    /// Its compiled schema.
    pub schema: Option<SchemaId>,
    /// Named examples; a single `example` is named `example`.
    pub examples: Vec<Example>,
    /// JSON pointer of the media type object.
    pub pointer: String,
}

/// A named example value.
#[derive(Debug, Clone)]
pub struct Example {
    /// Its key in `examples` (or `example`).
    pub name: String,
    /// The value.
    pub value: Value,
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status it is documented for.
    pub status: StatusKey,
    /// `description`.
    pub description: String,
    /// Documented headers (Content-Type excluded).
    pub headers: Vec<Header>,
    /// Documented bodies by media type; empty for no body.
    pub content: Vec<MediaType>,
    /// JSON pointer of the response (after `$ref`).
    pub pointer: String,
}

impl Response {
    /// The first JSON media type, else the first media type.
    pub fn primary_content(&self) -> Option<&MediaType> {
        self.content
            .iter()
            .find(|m| m.json)
            .or_else(|| self.content.first())
    }
}

/// A documented response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header name as written.
    pub name: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Its compiled schema.
    pub schema: Option<SchemaId>,
    /// `example` (or the first of `examples`).
    pub example: Option<Value>,
    /// How its text is read before validation.
    pub kind: ValueKind,
    /// JSON pointer of the header (after `$ref`).
    pub pointer: String,
}

/// A response key: `200`, `4XX` or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKey {
    /// An exact status.
    Code(u16),
    /// A class: `Range(4)` is `4XX`.
    Range(u16),
    /// `default`.
    Default,
}

impl StatusKey {
    pub(crate) fn sort_key(&self) -> (u8, u16) {
        match self {
            StatusKey::Code(c) => (0, *c),
            StatusKey::Range(r) => (1, *r),
            StatusKey::Default => (2, 0),
        }
    }

    /// A concrete status to answer with for this key.
    pub fn representative(&self) -> u16 {
        match self {
            StatusKey::Code(c) => *c,
            StatusKey::Range(r) => r * 100,
            StatusKey::Default => 500,
        }
    }
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Range(r) => write!(f, "{r}XX"),
            StatusKey::Default => write!(f, "default"),
        }
    }
}
