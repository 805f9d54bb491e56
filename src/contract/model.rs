//! The resolved contract model: what an operation accepts and what it may answer.

use std::sync::OnceLock;

use hyper::Method;
use serde_json::Value;

use super::SchemaId;
use crate::routing::PathTemplate;

/// Position of an operation in the contract (an index into its operation list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct OpIndex(pub(crate) usize);

/// A table with one entry per operation, indexed by [`OpIndex`].
#[derive(Debug, Clone, Default)]
pub(crate) struct PerOperation<T>(pub(crate) Vec<T>);

impl<T> std::ops::Index<OpIndex> for PerOperation<T> {
    type Output = T;
    fn index(&self, i: OpIndex) -> &T {
        &self.0[i.0]
    }
}

/// One documented operation (a method on a path template).
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?;
/// let op = contract.operation("PATCH", "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}").unwrap();
/// assert_eq!(op.operation_id(), Some("PatchProfileIdentifier"));
/// assert_eq!(op.default_status(), 202);
/// assert!(op.documented_codes().contains(&409));
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
#[derive(Debug, Clone)]
pub struct Operation {
    /// Position in the contract's operations.
    pub(crate) index: OpIndex,
    pub(crate) method: Method,
    pub(crate) path: PathTemplate,
    pub(crate) operation_id: Option<String>,
    pub(crate) summary: Option<String>,
    /// Path, query, header and cookie parameters (path-item ones merged in).
    pub(crate) params: Vec<Parameter>,
    /// The request body, when the operation takes one.
    pub(crate) body: Option<RequestBody>,
    /// Documented responses, sorted by status (codes, then ranges, then default).
    pub(crate) responses: Vec<Response>,
    /// What the security requirements ask for.
    pub(crate) security: super::security::Security,
}

impl Operation {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path template as written, e.g. `/v1/Stores/{storeId}`.
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// `operationId`, when the document gives one that no operation before
    /// this one has (a second use of an id is warned of at load, and that
    /// operation goes by its method and path).
    pub fn operation_id(&self) -> Option<&str> {
        self.operation_id.as_deref()
    }

    /// `summary`, when the document gives one.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// The names of the examples documented for `status` (what `Prefer:
    /// example=NAME` picks from); a single `example` is named `example`.
    pub fn example_names(&self, status: u16) -> Vec<&str> {
        self.response_for(status)
            .and_then(Response::primary_content)
            .map(|m| m.examples.iter().map(|e| e.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// The documented response keys (`200`, `4XX`, `default`), sorted.
    pub fn statuses(&self) -> impl Iterator<Item = StatusKey> + '_ {
        self.responses.iter().map(|r| r.status)
    }

    /// `GET /v1/x/{id}` — how operations are named in messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The operationId, or the method and path when there is none.
    pub fn name(&self) -> String {
        self.operation_id.clone().unwrap_or_else(|| self.label())
    }

    /// Whether `name` is this operation's [`Operation::name`]: its operationId,
    /// else its method and path (`GET /toys/{toyId}`, the method in any case).
    /// Allocates nothing: the state model asks it per request.
    pub(crate) fn is_named(&self, name: &str) -> bool {
        match &self.operation_id {
            Some(id) => id == name,
            None => name.split_once(' ').is_some_and(|(method, path)| {
                method.eq_ignore_ascii_case(self.method.as_str()) && self.path == *path
            }),
        }
    }

    /// The response documented for `status`: the exact code first, then its range
    /// (`4XX`), then `default`.
    pub(crate) fn response_for(&self, status: u16) -> Option<&Response> {
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
    /// the lowest 3xx, then 200 from `default`, then the first documented response.
    /// `default` describes every answer the others do not, success included: an
    /// operation documented only by it (common in generated descriptions) is
    /// answered 200 with that body (Prism, too, answers `default` as 200), not
    /// 500 to every valid request.
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
            .or_else(|| {
                self.responses
                    .iter()
                    .find_map(|r| (r.status == StatusKey::Default).then_some(200))
            })
            .or_else(|| codes.first().copied())
            .or_else(|| self.responses.first().map(|r| r.status.representative()))
            .unwrap_or(200)
    }

    /// Parameters in one location.
    pub(crate) fn params_in(&self, location: ParamIn) -> impl Iterator<Item = &Parameter> {
        self.params.iter().filter(move |p| p.location == location)
    }
}

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamIn {
    /// A path template variable.
    Path,
    /// A query string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// How a parameter's text becomes a JSON value before schema validation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ValueKind {
    /// Taken as a string.
    String,
    /// Parsed as an integer (of any size: the schema's `format` bounds it).
    Integer,
    /// Parsed as a number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Items of a kind, split or repeated as the parameter's style says.
    Array(Box<ValueKind>),
    /// An object: its declared properties' kinds (others are read as `Any`).
    Object(Vec<(String, ValueKind)>),
    /// Parsed as JSON (`content` parameters).
    Json,
    /// Several kinds could do (`oneOf`, `anyOf`, no `type`): each is tried, and
    /// the schema decides which reading is the value.
    Alternatives(Box<Alternatives>),
}

/// The readings a value with no single type may have.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Alternatives {
    /// The kinds to try, in order.
    pub(crate) kinds: Vec<ValueKind>,
    /// JSON pointer of the schema in the converted document, which picks among
    /// the readings (`None`: the first reading that parses).
    pub(crate) at: Option<String>,
}

impl ValueKind {
    /// No single type: a number, a boolean or a string, whichever the schema takes.
    pub(crate) fn any(at: Option<String>) -> ValueKind {
        ValueKind::Alternatives(Box::new(Alternatives {
            kinds: vec![
                ValueKind::Integer,
                ValueKind::Number,
                ValueKind::Boolean,
                ValueKind::String,
            ],
            at,
        }))
    }
}

/// How a parameter is serialized (OpenAPI 3.0 `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Style {
    /// `a=1&a=2` or `a=1,2` (query, cookie).
    Form,
    /// `1,2` (path, header).
    Simple,
    /// `.1.2` or `.1,2` (path).
    Label,
    /// `;a=1;a=2` or `;a=1,2` (path).
    Matrix,
    /// `a=1%202` (query arrays and objects).
    SpaceDelimited,
    /// `a=1|2` (query arrays and objects).
    PipeDelimited,
    /// `a[k]=1&a[j][0]=2` (query objects).
    DeepObject,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub(crate) struct Parameter {
    /// The name (case-insensitive for headers).
    pub(crate) name: String,
    /// Where it is.
    pub(crate) location: ParamIn,
    /// Whether it must be present (always true for path parameters).
    pub(crate) required: bool,
    /// Its compiled schema.
    pub(crate) schema: Option<SchemaId>,
    /// How its text is read.
    pub(crate) kind: ValueKind,
    /// How its value is serialized.
    pub(crate) style: Style,
    /// Whether arrays are repeated keys (`a=1&a=2`) rather than `a=1,2`, and
    /// objects `k=v` pairs rather than `k,v` lists.
    pub(crate) explode: bool,
    /// `allowEmptyValue`: an empty query value stands for an absent one.
    pub(crate) allow_empty: bool,
    /// Which of the contract's ways of reading a text (schema, kind, style,
    /// explode) this parameter's is: parameters that share one give any text
    /// the same verdict, so one operation's `profileId` found valid is known
    /// valid for the next operation's.
    pub(crate) reading: usize,
}

/// What [`Parameter::reading`] numbers.
pub(crate) type Reading = (Option<SchemaId>, ValueKind, Style, bool);

/// A request body.
#[derive(Debug, Clone)]
pub(crate) struct RequestBody {
    /// Whether a body must be sent.
    pub(crate) required: bool,
    /// Accepted media types.
    pub(crate) content: Vec<MediaType>,
}

/// A media type with its schema and examples.
#[derive(Debug, Clone)]
pub(crate) struct MediaType {
    /// The media type as written (`application/json`).
    pub(crate) name: String,
    /// Whether it is JSON (`application/json`, `*/*`, or `+json`).
    pub(crate) json: bool,
    /// Its compiled schema.
    pub(crate) schema: Option<SchemaId>,
    /// Named examples; a single `example` is named `example`.
    pub(crate) examples: Vec<Example>,
    /// JSON pointer of the media type object.
    pub(crate) pointer: String,
    /// For a request body that is a form: how it is read into its schema's object.
    pub(crate) form: Option<Box<super::form::FormShape>>,
}

/// A named example value.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// Its key in `examples` (or `example`).
    pub(crate) name: String,
    /// The value; shared by every place that `$ref`s the same example.
    pub(crate) value: std::sync::Arc<Value>,
    /// JSON pointer of where it is listed (`.../examples/NAME` or `.../example`).
    pub(crate) pointer: String,
    /// Why it breaks its schema, once checked: at load, or for a large contract
    /// on first use (ask [`super::Contract::example_problem`]). Such an example
    /// is never served.
    pub(crate) problem: OnceLock<Option<String>>,
}

/// A documented response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The status it is documented for.
    pub(crate) status: StatusKey,
    /// Documented headers (Content-Type excluded).
    pub(crate) headers: Vec<Header>,
    /// Documented bodies by media type; empty for no body.
    pub(crate) content: Vec<MediaType>,
    /// For a redirect: the path parameter its `Location` replaces, and from which header.
    pub(crate) redirect: Option<super::profile::RedirectRule>,
    /// JSON pointer of the response (after `$ref`).
    pub(crate) pointer: String,
}

impl Response {
    /// The first JSON media type, else the first media type.
    pub(crate) fn primary_content(&self) -> Option<&MediaType> {
        self.content
            .iter()
            .find(|m| m.json)
            .or_else(|| self.content.first())
    }
}

/// A documented response header.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The header name as written.
    pub(crate) name: String,
    /// Whether it must be sent.
    pub(crate) required: bool,
    /// Its compiled schema.
    pub(crate) schema: Option<SchemaId>,
    /// The first of `example` and `examples` that keeps the schema, once found
    /// (ask [`super::Contract::header_example`]).
    pub(crate) example: OnceLock<Option<Value>>,
    /// `example` and every entry of `examples`, each checked at load.
    pub(crate) examples: Vec<Example>,
    /// How its text is read before validation.
    pub(crate) kind: ValueKind,
    /// JSON pointer of the header (after `$ref`).
    pub(crate) pointer: String,
}

/// A response key: `200`, `4XX` or `default`.
///
/// # Examples
///
/// ```
/// use mimeo::StatusKey;
///
/// let contract = mimeo::Contract::embedded()?;
/// let list = contract.operation_by_id("ListProfileIdentifiers").unwrap();
/// assert!(list.statuses().any(|s| s == StatusKey::Code(301)));
/// assert_eq!(StatusKey::Range(4).to_string(), "4XX");
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
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
