//! Contract loading: an OpenAPI 3.0 document read once, checked, and compiled.
//!
//! Both halves of mimeo (the mock and the conformance runner) work from one
//! [`Contract`]: operations with their parameters, bodies and responses resolved
//! (no `$ref` left to chase at request time), every schema compiled, and the
//! routes built. A broken document is refused with the file and the JSON pointer
//! of what is wrong; what mimeo cannot serve is reported as a warning.

mod model;
pub mod schema;
pub mod source;

pub use model::*;
pub use schema::{SchemaId, SchemaViolation, Schemas};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;

use crate::routing::Router;
use schema::SchemaBuilder;
use source::{escape_pointer_token, pointer};

/// The Memory v1 contract that ships inside the binary.
pub const EMBEDDED_SPEC: &str = include_str!("../../spec/memory-v1.yaml");
/// The name the embedded contract goes by in messages.
pub const EMBEDDED_NAME: &str = "spec/memory-v1.yaml (embedded)";

/// Why a document was refused: the file, and where in it (line or JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file (or name) of the document.
    pub file: String,
    /// 1-based line and column, for syntax errors.
    pub line: Option<(usize, usize)>,
    /// JSON pointer to the offending value, for structural errors.
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(file: &str, message: impl Into<String>) -> Self {
        SpecError {
            file: file.to_string(),
            line: None,
            pointer: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(file: &str, pointer: &str, message: impl Into<String>) -> Self {
        SpecError {
            file: file.to_string(),
            line: None,
            pointer: Some(if pointer.is_empty() {
                "/".into()
            } else {
                pointer.to_string()
            }),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.line {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(p) = &self.pointer {
            write!(f, ": at #{p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SpecError {}

/// A loaded, compiled OpenAPI contract.
pub struct Contract {
    /// Where the document came from (file path or embedded name).
    pub source: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// What was skipped or cannot be served, one line each.
    pub warnings: Vec<String>,
    /// Compiled schemas, indexed by [`SchemaId`].
    pub schemas: Schemas,
    /// The document with its schemas rewritten to draft 4; the root `$ref`s point into.
    /// Shared with [`Schemas`], whose validators are compiled against it.
    pub document: Arc<Value>,
    /// Path templates compiled into a router.
    pub router: Router,
}

impl fmt::Debug for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contract")
            .field("source", &self.source)
            .field("title", &self.title)
            .field("operations", &self.operations.len())
            .finish()
    }
}

impl Contract {
    /// The Memory v1 contract embedded in the binary.
    pub fn embedded() -> Result<Contract, SpecError> {
        Contract::from_text(EMBEDDED_NAME, EMBEDDED_SPEC)
    }

    /// Loads a JSON or YAML document from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Contract, SpecError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| SpecError::new(&name, format!("cannot read the file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            SpecError::new(
                &name,
                format!(
                    "the file is not UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Contract::from_text(&name, &text)
    }

    /// Loads a JSON or YAML document from text; `name` is used in messages.
    pub fn from_text(name: &str, text: &str) -> Result<Contract, SpecError> {
        let raw = source::parse(name, text)?;
        check_version(name, &raw)?;
        let api: OpenAPI = serde_path_to_error::deserialize(raw.clone()).map_err(|e| {
            let (ptr, msg) = narrow_error(&raw)
                .unwrap_or_else(|| (path_to_pointer(e.path()), e.inner().to_string()));
            SpecError::at(
                name,
                &ptr,
                format!("not a valid OpenAPI 3.0 document: {msg}"),
            )
        })?;
        let mut document = raw;
        convert_document(&mut document);
        let document = Arc::new(document);
        Loader {
            name,
            api: &api,
            document: &document,
            schemas: SchemaBuilder::default(),
            warnings: Vec::new(),
        }
        .load()
        .map(|(operations, schemas, mut warnings)| {
            let router = Router::new(&operations, &mut warnings);
            Contract {
                source: name.to_string(),
                title: api.info.title.clone(),
                version: api.info.version.clone(),
                operations,
                warnings,
                schemas,
                document,
                router,
            }
        })
    }

    /// The operation with this `operationId`.
    pub fn operation_by_id(&self, id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.operation_id.as_deref() == Some(id))
    }

    /// The operation for a method and path template (`GET /v1/x/{id}`).
    pub fn operation(&self, method: &str, template: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.as_str().eq_ignore_ascii_case(method) && o.path == template)
    }
}

fn check_version(name: &str, raw: &Value) -> Result<(), SpecError> {
    if !raw.is_object() {
        return Err(SpecError::at(
            name,
            "",
            "expected an OpenAPI document (a mapping at the top level)",
        ));
    }
    if raw.get("swagger").is_some() {
        return Err(SpecError::at(
            name,
            "/swagger",
            "this is a Swagger 2.0 document; mimeo reads OpenAPI 3.0 (convert it first, e.g. with swagger2openapi)",
        ));
    }
    match raw.get("openapi") {
        None => Err(SpecError::at(
            name,
            "",
            "missing `openapi` field; expected an OpenAPI 3.0 document",
        )),
        Some(Value::String(v)) if v.starts_with("3.0") => Ok(()),
        Some(Value::String(v)) => Err(SpecError::at(
            name,
            "/openapi",
            format!("OpenAPI version {v} is not supported; mimeo reads OpenAPI 3.0.x"),
        )),
        Some(other) => Err(SpecError::at(
            name,
            "/openapi",
            format!("`openapi` must be a string like \"3.0.3\", found {other}"),
        )),
    }
}

/// Finds the innermost object that fails to read. openapiv3 flattens some maps
/// (responses, paths), which hides the path of an error; reading the pieces one at
/// a time recovers a precise pointer.
fn narrow_error(raw: &Value) -> Option<(String, String)> {
    use openapiv3 as o;
    fn try_read<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Option<(String, String)> {
        serde_path_to_error::deserialize::<_, T>(v.clone())
            .err()
            .map(|e| {
                (
                    format!("{at}{}", path_to_pointer(e.path())),
                    e.inner().to_string(),
                )
            })
    }
    // ReferenceOr is an untagged enum, which hides the path inside the item.
    fn try_item<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Option<(String, String)> {
        if v.get("$ref").is_some() {
            try_read::<ReferenceOr<T>>(v, at)
        } else {
            try_read::<T>(v, at)
        }
    }
    fn each(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
        v.and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.iter())
    }
    for (path, item) in each(raw.get("paths")) {
        let at = pointer(["paths", path]);
        if try_item::<o::PathItem>(item, &at).is_none() {
            continue;
        }
        for (method, op) in each(Some(item)) {
            let op_at = pointer_join(&at, &[method]);
            if ![
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                if let Some(e) = try_read::<o::PathItem>(&serde_json::json!({ method: op }), &at) {
                    return Some(e);
                }
                continue;
            }
            if try_read::<o::Operation>(op, &op_at).is_none() {
                continue;
            }
            for (code, resp) in each(op.get("responses")) {
                if let Some(e) =
                    try_item::<o::Response>(resp, &pointer_join(&op_at, &["responses", code]))
                {
                    return Some(e);
                }
            }
            return try_read::<o::Operation>(op, &op_at);
        }
        return try_item::<o::PathItem>(item, &at);
    }
    type Reader = fn(&Value, &str) -> Option<(String, String)>;
    let sections: [(&str, Reader); 7] = [
        ("schemas", try_item::<o::Schema>),
        ("responses", try_item::<o::Response>),
        ("parameters", try_item::<o::Parameter>),
        ("examples", try_item::<o::Example>),
        ("requestBodies", try_item::<o::RequestBody>),
        ("headers", try_item::<o::Header>),
        ("securitySchemes", try_item::<o::SecurityScheme>),
    ];
    for (section, read) in sections {
        for (name, item) in each(raw.pointer(&format!("/components/{section}"))) {
            if let Some(e) = read(item, &pointer(["components", section, name])) {
                return Some(e);
            }
        }
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_pointer_token(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// Rewrites every schema position in the document (components.schemas and every
/// `schema` key outside schemas and examples) from OpenAPI 3.0 to draft 4.
fn convert_document(doc: &mut Value) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for s in schemas.values_mut() {
            schema::convert(s);
        }
    }
    fn walk(v: &mut Value, top: bool) {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if top && k == "components" {
                        if let Value::Object(c) = child {
                            for (ck, cv) in c.iter_mut() {
                                if ck != "schemas" {
                                    walk(cv, false);
                                }
                            }
                        }
                    } else if k == "schema" {
                        schema::convert(child);
                    } else if !(k.starts_with("x-") || k == "example" || k == "examples") {
                        walk(child, false);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, false)),
            _ => {}
        }
    }
    walk(doc, true);
}

struct Loader<'a> {
    name: &'a str,
    api: &'a OpenAPI,
    document: &'a Arc<Value>,
    schemas: SchemaBuilder,
    warnings: Vec<String>,
}

type Loaded = (Vec<Operation>, Schemas, Vec<String>);

impl<'a> Loader<'a> {
    fn load(mut self) -> Result<Loaded, SpecError> {
        let mut operations = Vec::new();
        for (template, item) in self.api.paths.paths.iter() {
            let item_ptr = pointer(["paths", template]);
            let item = match item {
                ReferenceOr::Item(i) => i,
                ReferenceOr::Reference { reference } => {
                    self.warnings.push(format!(
                        "#{item_ptr}: path item $ref `{reference}` is not supported; {template} is not served"
                    ));
                    continue;
                }
            };
            if !template.starts_with('/') {
                return Err(SpecError::at(
                    self.name,
                    &item_ptr,
                    "a path template must start with `/`",
                ));
            }
            for (method, op) in item.iter() {
                let op_ptr = format!("{item_ptr}/{method}");
                let mut o =
                    self.operation(template, &item.parameters, &item_ptr, method, op, &op_ptr)?;
                o.index = operations.len();
                operations.push(o);
            }
        }
        let schemas =
            std::mem::take(&mut self.schemas).build(Arc::clone(self.document), &mut self.warnings);
        Ok((operations, schemas, self.warnings))
    }

    fn operation(
        &mut self,
        template: &str,
        shared_params: &[ReferenceOr<openapiv3::Parameter>],
        item_ptr: &str,
        method: &str,
        op: &openapiv3::Operation,
        op_ptr: &str,
    ) -> Result<Operation, SpecError> {
        let method_upper = method.to_ascii_uppercase();
        let http_method = hyper::Method::from_bytes(method_upper.as_bytes()).map_err(|_| {
            SpecError::at(self.name, op_ptr, format!("unknown HTTP method {method}"))
        })?;

        // Path-item parameters first, then the operation's, which override by (name, in).
        let mut params: Vec<Parameter> = Vec::new();
        let shared = shared_params
            .iter()
            .enumerate()
            .map(|(i, p)| (p, format!("{item_ptr}/parameters/{i}")));
        let own = op
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p, format!("{op_ptr}/parameters/{i}")));
        for (p, at) in shared.chain(own) {
            let param = self.parameter(p, &at)?;
            params.retain(|q| !(q.name == param.name && q.location == param.location));
            params.push(param);
        }
        for name in template_params(template) {
            if !params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == name)
            {
                return Err(SpecError::at(
                    self.name,
                    op_ptr,
                    format!(
                        "path parameter `{name}` of {template} is not declared in `parameters`"
                    ),
                ));
            }
        }

        let body = match &op.request_body {
            None => None,
            Some(rb) => {
                let at = format!("{op_ptr}/requestBody");
                let (rb, at) = self.resolve(
                    self.api.components.as_ref().map(|c| &c.request_bodies),
                    "requestBodies",
                    rb,
                    at,
                )?;
                Some(RequestBody {
                    required: rb.required,
                    content: self.content(&rb.content, &at)?,
                    pointer: at,
                })
            }
        };

        let mut responses = Vec::new();
        let components_responses = self.api.components.as_ref().map(|c| &c.responses);
        for (code, r) in op.responses.responses.iter() {
            let (status, token) = match code {
                openapiv3::StatusCode::Code(c) => (StatusKey::Code(*c), c.to_string()),
                openapiv3::StatusCode::Range(r) => (StatusKey::Range(*r), format!("{r}XX")),
            };
            let at = format!("{op_ptr}/responses/{token}");
            if let StatusKey::Code(c) = status {
                if !(100..=599).contains(&c) {
                    return Err(SpecError::at(
                        self.name,
                        &at,
                        format!("status {c} is not an HTTP status (100-599)"),
                    ));
                }
            }
            let (r, at) = self.resolve(components_responses, "responses", r, at)?;
            responses.push(self.response(status, r, at)?);
        }
        if let Some(r) = &op.responses.default {
            let (r, at) = self.resolve(
                components_responses,
                "responses",
                r,
                format!("{op_ptr}/responses/default"),
            )?;
            responses.push(self.response(StatusKey::Default, r, at)?);
        }
        if responses.is_empty() {
            return Err(SpecError::at(
                self.name,
                &format!("{op_ptr}/responses"),
                "an operation must document at least one response",
            ));
        }
        // Sorted by status so "the lowest 2xx" and tables read naturally.
        responses.sort_by_key(|r| r.status.sort_key());

        let security = op.security.as_ref().or(self.api.security.as_ref());
        let auth = match security {
            None => Auth::None,
            Some(reqs) if reqs.is_empty() || reqs.iter().any(|r| r.is_empty()) => Auth::None,
            Some(reqs) => {
                let basic = reqs.iter().any(|req| {
                    req.keys().any(|name| {
                        self.api
                            .components
                            .as_ref()
                            .and_then(|c| c.security_schemes.get(name))
                            .and_then(|s| s.as_item())
                            .is_some_and(|s| {
                                matches!(s, openapiv3::SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("basic"))
                            })
                    })
                });
                if basic {
                    Auth::Basic
                } else {
                    Auth::Other
                }
            }
        };

        Ok(Operation {
            index: 0,
            method: http_method,
            path: template.to_string(),
            operation_id: op.operation_id.clone(),
            summary: op.summary.clone(),
            pointer: op_ptr.to_string(),
            params,
            body,
            responses,
            auth,
        })
    }

    fn parameter(
        &mut self,
        p: &ReferenceOr<openapiv3::Parameter>,
        at: &str,
    ) -> Result<Parameter, SpecError> {
        use openapiv3::Parameter as P;
        let (p, at) = self.resolve(
            self.api.components.as_ref().map(|c| &c.parameters),
            "parameters",
            p,
            at.to_string(),
        )?;
        let data = p.parameter_data_ref();
        let (location, plain_style, style) = match p {
            P::Path { style, .. } => (
                ParamIn::Path,
                matches!(style, openapiv3::PathStyle::Simple),
                format!("{style:?}"),
            ),
            P::Query { style, .. } => (
                ParamIn::Query,
                matches!(style, openapiv3::QueryStyle::Form),
                format!("{style:?}"),
            ),
            P::Header { style, .. } => (
                ParamIn::Header,
                matches!(style, openapiv3::HeaderStyle::Simple),
                format!("{style:?}"),
            ),
            P::Cookie { style, .. } => (
                ParamIn::Cookie,
                matches!(style, openapiv3::CookieStyle::Form),
                format!("{style:?}"),
            ),
        };
        if !plain_style {
            self.warnings.push(format!(
                "#{at}: parameter `{}` uses style {style}, which mimeo reads as a plain value",
                data.name
            ));
        }
        let (schema, json_content) = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(_) => {
                (self.schema_at(&format!("{at}/schema")), false)
            }
            openapiv3::ParameterSchemaOrContent::Content(c) => match c.keys().next() {
                Some(mt) => (
                    self.schema_at(&pointer_join(&at, &["content", mt, "schema"])),
                    is_json(mt),
                ),
                None => (None, false),
            },
        };
        let kind = if json_content {
            ValueKind::Json
        } else {
            self.kind_of(schema)
        };
        let required = data.required || location == ParamIn::Path;
        Ok(Parameter {
            name: data.name.clone(),
            location,
            required,
            schema,
            kind,
            explode: data
                .explode
                .unwrap_or(matches!(location, ParamIn::Query | ParamIn::Cookie)),
            pointer: at,
        })
    }

    /// How text for a value of this schema is read (parameters, headers).
    fn kind_of(&self, schema: Option<SchemaId>) -> ValueKind {
        match schema {
            Some(id) => value_kind(self.document, self.schemas.source(id)),
            None => ValueKind::String,
        }
    }

    fn response(
        &mut self,
        status: StatusKey,
        r: &openapiv3::Response,
        at: String,
    ) -> Result<Response, SpecError> {
        let mut headers = Vec::new();
        for (name, h) in r.headers.iter() {
            if name.eq_ignore_ascii_case("content-type") {
                continue; // OpenAPI: a Content-Type header definition is ignored.
            }
            let hat = pointer_join(&at, &["headers", name]);
            let (h, hat) = self.resolve(
                self.api.components.as_ref().map(|c| &c.headers),
                "headers",
                h,
                hat,
            )?;
            let schema = match &h.format {
                openapiv3::ParameterSchemaOrContent::Schema(_) => {
                    self.schema_at(&format!("{hat}/schema"))
                }
                openapiv3::ParameterSchemaOrContent::Content(c) => c
                    .keys()
                    .next()
                    .and_then(|mt| self.schema_at(&pointer_join(&hat, &["content", mt, "schema"]))),
            };
            let example = h
                .example
                .clone()
                .or_else(|| h.examples.values().find_map(|e| self.example_value(e)));
            headers.push(Header {
                name: name.clone(),
                required: h.required,
                kind: self.kind_of(schema),
                schema,
                example,
                pointer: hat,
            });
        }
        let content = self.content(&r.content, &at)?;
        Ok(Response {
            status,
            description: r.description.clone(),
            headers,
            content,
            pointer: at,
        })
    }

    fn content(
        &mut self,
        content: &IndexMap<String, openapiv3::MediaType>,
        at: &str,
    ) -> Result<Vec<MediaType>, SpecError> {
        let mut out = Vec::new();
        for (name, mt) in content.iter() {
            let mat = pointer_join(at, &["content", name]);
            let schema = mt
                .schema
                .as_ref()
                .and_then(|_| self.schema_at(&format!("{mat}/schema")));
            let mut examples = Vec::new();
            if let Some(e) = &mt.example {
                examples.push(Example {
                    name: "example".into(),
                    value: e.clone(),
                });
            }
            for (ename, e) in mt.examples.iter() {
                match self.example_value(e) {
                    Some(v) => examples.push(Example {
                        name: ename.clone(),
                        value: v,
                    }),
                    None => self.warnings.push(format!(
                        "#{}: example `{ename}` has no inline value (externalValue is not fetched)",
                        pointer_join(&mat, &["examples", ename])
                    )),
                }
            }
            let name_lower = name.to_ascii_lowercase();
            out.push(MediaType {
                json: is_json(&name_lower),
                name: name.clone(),
                schema,
                examples,
                pointer: mat,
            });
        }
        Ok(out)
    }

    fn example_value(&self, e: &ReferenceOr<openapiv3::Example>) -> Option<Value> {
        let examples = self.api.components.as_ref().map(|c| &c.examples);
        let (e, _) = self.resolve(examples, "examples", e, String::new()).ok()?;
        e.value.clone()
    }

    /// Registers the schema at `at` in the converted document.
    fn schema_at(&mut self, at: &str) -> Option<SchemaId> {
        let s = self.document.pointer(at)?;
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if !r.starts_with("#/") || schema::resolve(self.document, s).is_none() {
                self.warnings.push(format!(
                    "#{at}: schema $ref `{r}` cannot be resolved; values there are not validated"
                ));
                return None;
            }
        }
        Some(self.schemas.add(at, s))
    }

    /// Follows `$ref`s to `#/components/<kind>/<name>`, returning the item and its pointer.
    fn resolve<'b, T>(
        &self,
        items: Option<&'b IndexMap<String, ReferenceOr<T>>>,
        kind: &str,
        mut r: &'b ReferenceOr<T>,
        mut at: String,
    ) -> Result<(&'b T, String), SpecError> {
        for _ in 0..32 {
            match r {
                ReferenceOr::Item(item) => return Ok((item, at)),
                ReferenceOr::Reference { reference } => {
                    let prefix = format!("#/components/{kind}/");
                    let name = reference.strip_prefix(&prefix).ok_or_else(|| {
                        SpecError::at(
                            self.name,
                            &at,
                            format!("$ref `{reference}` is not supported here; expected a local `{prefix}<name>`"),
                        )
                    })?;
                    let name = name.replace("~1", "/").replace("~0", "~");
                    let next = items.and_then(|m| m.get(&name)).ok_or_else(|| {
                        SpecError::at(
                            self.name,
                            &at,
                            format!("$ref `{reference}` points at nothing"),
                        )
                    })?;
                    at = pointer(["components", kind, &name]);
                    r = next;
                }
            }
        }
        Err(SpecError::at(
            self.name,
            &at,
            "$ref chain is circular or longer than 32 hops",
        ))
    }
}

fn pointer_join(base: &str, tokens: &[&str]) -> String {
    let mut out = base.to_string();
    for t in tokens {
        out.push('/');
        out.push_str(&escape_pointer_token(t));
    }
    out
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

/// The `{name}`s of a path template, in order.
pub fn template_params(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

/// How a parameter's text is turned into a JSON value before validation.
fn value_kind(document: &Value, schema: &Value) -> ValueKind {
    value_kind_at(document, schema, 0)
}

fn value_kind_at(document: &Value, schema: &Value, depth: usize) -> ValueKind {
    let Some(s) = schema::resolve(document, schema).filter(|_| depth < 8) else {
        return ValueKind::String;
    };
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "",
    };
    match ty {
        "integer" => ValueKind::Integer,
        "number" => ValueKind::Number,
        "boolean" => ValueKind::Boolean,
        "array" => ValueKind::Array(Box::new(value_kind_at(
            document,
            s.get("items").unwrap_or(&Value::Null),
            depth + 1,
        ))),
        "object" => ValueKind::Json,
        "string" => ValueKind::String,
        _ => ValueKind::Any,
    }
}
