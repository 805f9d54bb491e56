//! Reading the operations out of a parsed document: parameters, bodies and
//! responses with every `$ref` resolved, and each schema registered for
//! compilation. What mimeo cannot serve becomes a warning; what makes the
//! document unusable is a [`Diagnostic`] with the JSON pointer of the problem.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;

use super::model::*;
use super::schema::{self, SchemaBuilder, SchemaId, Schemas};
use super::{form, kinds};
use crate::diagnostic::Diagnostic;
use crate::routing::PathTemplate;
use crate::support::{media, pointer};

/// Rewrites every schema position in the document (components.schemas and every
/// `schema` key outside schemas and examples) into what the validator of
/// `dialect` reads: OpenAPI 3.0 into draft 4, OpenAPI 3.1 as written but for
/// backtracking patterns.
pub(super) fn convert_document(
    doc: &mut Value,
    dialect: schema::Dialect,
    patterns: &mut schema::Patterns,
) {
    let convert = match dialect {
        schema::Dialect::Draft4 => schema::convert,
        schema::Dialect::Draft202012 => schema::convert_2020,
    };
    // Where openapiv3 would read a schema: each is converted on its own.
    super::typed::schema_slots(doc, &mut |s| convert(s, patterns));
}

pub(super) struct Loader<'a> {
    pub(super) name: &'a str,
    pub(super) api: &'a OpenAPI,
    pub(super) document: &'a Arc<Value>,
    /// The example values taken out of the document, by the address of their
    /// place in it (left `null`).
    pub(super) taken: Taken,
    pub(super) schemas: SchemaBuilder,
    pub(super) warnings: Vec<String>,
    /// Content names that are not media types: how many, and the first.
    pub(super) not_media: (usize, String),
    /// Examples of parameters, checked once the schemas are built (those of
    /// bodies and headers are in the model).
    pub(super) examples: Vec<(SchemaId, Example)>,
    /// Each way of reading a parameter met so far, and its number
    /// ([`Parameter::reading`]).
    pub(super) readings: std::collections::HashMap<super::model::Reading, usize>,
}

/// Example values taken out of a document, by the address of their place.
pub(super) type Taken = std::collections::HashMap<usize, Arc<Value>, foldhash::fast::FixedState>;

/// The operations, their schemas, the warnings, and the examples left to check
/// after load (a large contract's).
pub(super) type Loaded = (
    Vec<Operation>,
    Schemas,
    Vec<String>,
    Option<super::examples::Later>,
);

impl<'a> Loader<'a> {
    pub(super) fn load(mut self) -> Result<Loaded, Diagnostic> {
        let mut operations = Vec::new();
        // Each operationId and where it was first met (see `named_once`).
        let mut ids: IndexMap<String, String> = IndexMap::new();
        let doc: &'a Value = self.document;
        let written = doc.get("paths").and_then(Value::as_object);
        for (template, item) in written.into_iter().flatten() {
            // Extensions, as openapiv3 reads `paths`.
            if template.starts_with("x-") {
                continue;
            }
            let item_ptr = pointer::join("", ["paths", template]);
            let listed_at = item_ptr.clone();
            if !template.starts_with('/') {
                self.warnings.push(format!(
                    "#{item_ptr}: a path template must start with `/`; `{template}` is not served"
                ));
                continue;
            }
            // Read here, one at a time, and dropped once its operations are.
            let (item_ptr, item) = match super::typed::path_item(self.name, &item_ptr, item)? {
                ReferenceOr::Item(i) => (item_ptr, i),
                ReferenceOr::Reference { reference } => {
                    match self.path_item_at(&reference, &item_ptr) {
                        Ok(found) => found,
                        Err(why) => {
                            self.warnings
                                .push(format!("#{item_ptr}: {why}; {template} is not served"));
                            continue;
                        }
                    }
                }
            };
            for (method, op) in item.iter() {
                let op_ptr = format!("{item_ptr}/{method}");
                let mut o =
                    self.operation(template, &item.parameters, &item_ptr, method, op, &op_ptr)?;
                o.index = OpIndex(operations.len());
                let at = match listed_at == item_ptr {
                    true => format!("#{op_ptr}"),
                    false => format!("#{op_ptr} (by the $ref at #{listed_at})"),
                };
                self.named_once(&mut o, at, &mut ids);
                operations.push(o);
            }
        }
        if let (n @ 1.., first) = &self.not_media {
            let more = match n - 1 {
                0 => String::new(),
                more => format!(" (and {more} more content names like it)"),
            };
            self.warnings.push(format!(
                "{first} is not a media type (`type/subtype`){more}; only the range `*/*` covers it (`Accept: */*` or none for an answer), and it is sent as application/octet-stream"
            ));
        }
        let mut schemas =
            std::mem::take(&mut self.schemas).build(Arc::clone(self.document), &mut self.warnings);
        let params = std::mem::take(&mut self.examples);
        let later = if operations.len() > super::EAGER_OPERATIONS {
            Some(super::examples::Later::new(params))
        } else {
            super::examples::check(&mut schemas, &operations, params, &mut self.warnings);
            None
        };
        Ok((operations, schemas, self.warnings, later))
    }

    /// An operationId names one operation: state models, coverage, the journal
    /// and the reports know operations by it. A second operation with an id
    /// already taken (a path item `$ref`'d under two paths, a copy left
    /// unrenamed) is warned of, naming both places, and goes by its method and
    /// path instead, so that no name stands for two operations.
    fn named_once(&mut self, o: &mut Operation, at: String, ids: &mut IndexMap<String, String>) {
        let Some(id) = o.operation_id.as_deref() else {
            return;
        };
        match ids.get(id) {
            Some(first) => {
                self.warnings.push(format!(
                    "{at}: operationId `{id}` is also that of {first}; an operationId names one operation, so mimeo names this one {} (state models, coverage, the journal)",
                    o.label()
                ));
                o.operation_id = None;
            }
            None => {
                ids.insert(id.to_string(), at);
            }
        }
    }

    /// The path item a path's `$ref` names (`#/components/pathItems/x`, as 3.1
    /// has them, or any pointer in the document), followed to the end of a
    /// chain, with where it is: its operations' schemas are read from there.
    /// Why not, when it cannot be followed (another file, not a path item, a
    /// loop): the path is then not served, as any it cannot read.
    fn path_item_at(
        &self,
        reference: &str,
        from: &str,
    ) -> Result<(String, openapiv3::PathItem), String> {
        let mut reference = reference.to_string();
        let mut at = from.to_string();
        for _ in 0..32 {
            let Some(fragment) = reference.strip_prefix('#') else {
                return Err(format!(
                    "path item $ref `{reference}` is in another file, which mimeo does not read"
                ));
            };
            // The fragment may be percent-encoded.
            let (target, ptr) = pointer::fragment_at(self.document, fragment)
                .ok_or_else(|| format!("path item $ref `{reference}` points at nothing"))?;
            at = ptr.into_owned();
            match super::typed::path_item(self.name, &at, target) {
                Ok(ReferenceOr::Item(item)) => return Ok((at, item)),
                Ok(ReferenceOr::Reference { reference: next }) => reference = next,
                Err(e) => return Err(format!("path item $ref `{reference}`: {}", e.message())),
            }
        }
        Err(format!(
            "path item $ref chain from #{from} to #{at} is circular or longer than 32 hops"
        ))
    }

    fn operation(
        &mut self,
        template: &str,
        shared_params: &[ReferenceOr<openapiv3::Parameter>],
        item_ptr: &str,
        method: &str,
        op: &openapiv3::Operation,
        op_ptr: &str,
    ) -> Result<Operation, Diagnostic> {
        let method_upper = method.to_ascii_uppercase();
        let http_method = hyper::Method::from_bytes(method_upper.as_bytes()).map_err(|_| {
            Diagnostic::at_pointer(self.name, op_ptr, format!("unknown HTTP method {method}"))
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
        let path = PathTemplate::parse(template);
        for name in path.params() {
            if !params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == name)
            {
                return Err(Diagnostic::at_pointer(
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
                let mut content = self.content(&rb.content, &at)?;
                for m in &mut content {
                    if let Some(form) = form::form_kind(&m.name) {
                        m.form = Some(Box::new(form::shape(self.document, form, &m.pointer)));
                    }
                }
                Some(RequestBody {
                    required: rb.required,
                    content,
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
                    return Err(Diagnostic::at_pointer(
                        self.name,
                        &at,
                        format!("status {c} is not an HTTP status (100-599)"),
                    ));
                }
            }
            let (r, at) = self.resolve(components_responses, "responses", r, at)?;
            responses.push(self.response(status, &r, at)?);
        }
        if let Some(r) = &op.responses.default {
            let (r, at) = self.resolve(
                components_responses,
                "responses",
                r,
                format!("{op_ptr}/responses/default"),
            )?;
            responses.push(self.response(StatusKey::Default, &r, at)?);
        }
        if responses.is_empty() {
            return Err(Diagnostic::at_pointer(
                self.name,
                &format!("{op_ptr}/responses"),
                "an operation must document at least one response",
            ));
        }
        for r in &responses {
            let Some(rule) = &r.redirect else { continue };
            let param = params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == rule.parameter);
            let header = r
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(&rule.header));
            let problem = if !param {
                format!("`{}` is not a path parameter of {template}", rule.parameter)
            } else if !header {
                format!("the response documents no `{}` header", rule.header)
            } else {
                continue;
            };
            return Err(Diagnostic::at_pointer(
                self.name,
                &r.pointer,
                format!("x-mimeo-redirect: {problem}"),
            ));
        }
        // Sorted by status so "the lowest 2xx" and tables read naturally.
        responses.sort_by_key(|r| r.status.sort_key());

        let security = super::security::Security::read(
            self.api,
            op.security.as_ref(),
            op_ptr,
            &mut self.warnings,
        );

        Ok(Operation {
            index: OpIndex(0),
            method: http_method,
            path,
            operation_id: op.operation_id.clone(),
            summary: op.summary.clone(),
            params,
            body,
            responses,
            security,
        })
    }

    fn parameter(
        &mut self,
        p: &ReferenceOr<openapiv3::Parameter>,
        at: &str,
    ) -> Result<Parameter, Diagnostic> {
        use openapiv3::Parameter as P;
        let (p, at) = self.resolve(
            self.api.components.as_ref().map(|c| &c.parameters),
            "parameters",
            p,
            at.to_string(),
        )?;
        let data = p.parameter_data_ref();
        let (location, style, allow_empty) = match &*p {
            P::Path { style, .. } => (
                ParamIn::Path,
                match style {
                    openapiv3::PathStyle::Simple => Style::Simple,
                    openapiv3::PathStyle::Label => Style::Label,
                    openapiv3::PathStyle::Matrix => Style::Matrix,
                },
                false,
            ),
            P::Query {
                style,
                allow_empty_value,
                ..
            } => (
                ParamIn::Query,
                match style {
                    openapiv3::QueryStyle::Form => Style::Form,
                    openapiv3::QueryStyle::SpaceDelimited => Style::SpaceDelimited,
                    openapiv3::QueryStyle::PipeDelimited => Style::PipeDelimited,
                    openapiv3::QueryStyle::DeepObject => Style::DeepObject,
                },
                allow_empty_value.unwrap_or(false),
            ),
            P::Header { .. } => (ParamIn::Header, Style::Simple, false),
            P::Cookie { .. } => (ParamIn::Cookie, Style::Form, false),
        };
        let (schema, kind, examples_at) = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(_) => {
                let sat = format!("{at}/schema");
                (
                    self.schema_at(&sat),
                    kinds::kind_at(self.document, &sat),
                    at.clone(),
                )
            }
            openapiv3::ParameterSchemaOrContent::Content(c) => match c.keys().next() {
                Some(mt) => {
                    let sat = pointer::join(&at, ["content", mt, "schema"]);
                    let kind = if media::is_json(mt) {
                        ValueKind::Json
                    } else {
                        kinds::kind_at(self.document, &sat)
                    };
                    (
                        self.schema_at(&sat),
                        kind,
                        pointer::join(&at, ["content", mt]),
                    )
                }
                None => (None, ValueKind::String, at.clone()),
            },
        };
        if let Some(s) = schema {
            for e in self.named_examples(&examples_at) {
                self.examples.push((s, e));
            }
        }
        let required = data.required || location == ParamIn::Path;
        // OpenAPI: `form` explodes by default, every other style does not.
        let explode = data.explode.unwrap_or(style == Style::Form);
        let next = self.readings.len();
        let reading = *self
            .readings
            .entry((schema, kind.clone(), style, explode))
            .or_insert(next);
        Ok(Parameter {
            name: data.name.clone(),
            location,
            required,
            schema,
            kind,
            explode,
            style,
            allow_empty,
            reading,
        })
    }

    fn response(
        &mut self,
        status: StatusKey,
        r: &openapiv3::Response,
        at: String,
    ) -> Result<Response, Diagnostic> {
        let mut headers = Vec::new();
        for (name, h) in r.headers.iter() {
            if name.eq_ignore_ascii_case("content-type") {
                continue; // OpenAPI: a Content-Type header definition is ignored.
            }
            let hat = pointer::join(&at, ["headers", name]);
            let (h, hat) = self.resolve(
                self.api.components.as_ref().map(|c| &c.headers),
                "headers",
                h,
                hat,
            )?;
            let sat = match &h.format {
                openapiv3::ParameterSchemaOrContent::Schema(_) => Some(format!("{hat}/schema")),
                openapiv3::ParameterSchemaOrContent::Content(c) => c
                    .keys()
                    .next()
                    .map(|mt| pointer::join(&hat, ["content", mt, "schema"])),
            };
            let schema = sat.as_deref().and_then(|a| self.schema_at(a));
            let kind = match &sat {
                Some(a) => kinds::kind_at(self.document, a),
                None => ValueKind::String,
            };
            // The first valid one is chosen once schemas are built.
            let examples = self.named_examples(&hat);
            headers.push(Header {
                name: name.clone(),
                required: h.required,
                kind,
                schema,
                example: OnceLock::new(),
                examples,
                pointer: hat,
            });
        }
        let content = self.content(&r.content, &at)?;
        let redirect = super::profile::redirect_rule(
            self.name,
            &at,
            r.extensions.get(super::profile::REDIRECT),
        )?;
        Ok(Response {
            status,
            headers,
            content,
            redirect,
            pointer: at,
        })
    }

    fn content(
        &mut self,
        content: &IndexMap<String, openapiv3::MediaType>,
        at: &str,
    ) -> Result<Vec<MediaType>, Diagnostic> {
        let mut out = Vec::new();
        for (name, mt) in content.iter() {
            let mat = pointer::join(at, ["content", name]);
            // Looked up once for both its schema and its examples.
            let doc: &'a Value = self.document;
            let here = pointer::get(doc, &mat);
            let schema = match (&mt.schema, here.and_then(|m| m.get("schema"))) {
                (Some(_), Some(s)) => Some(self.schemas.add_at(
                    self.document,
                    &format!("{mat}/schema"),
                    s,
                )),
                _ => None,
            };
            let examples = self.examples_of(here, &mat);
            if !media::essence(name).contains('/') {
                // Said once (a document that writes property names under
                // `content` does so hundreds of times).
                if self.not_media.0 == 0 {
                    self.not_media.1 = format!("#{mat}: `{name}`");
                }
                self.not_media.0 += 1;
            }
            out.push(MediaType {
                json: media::is_json(name),
                name: name.clone(),
                schema,
                examples,
                pointer: mat,
                form: None,
            });
        }
        Ok(out)
    }

    /// The `example` and every entry of `examples` of the object at `at` (a
    /// media type, parameter or header), read from the document: `$ref`s are
    /// followed (every one resolves: the document was checked), an entry with
    /// no inline value is a warning.
    fn named_examples(&mut self, at: &str) -> Vec<Example> {
        let doc: &'a Value = self.document;
        self.examples_of(pointer::get(doc, at), at)
    }

    /// [`Self::named_examples`] of `object`, found at `at`.
    fn examples_of(&mut self, object: Option<&Value>, at: &str) -> Vec<Example> {
        let Some(Value::Object(object)) = object else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(v) = object.get("example") {
            out.push(Example {
                name: "example".into(),
                value: self.example_value(v),
                pointer: pointer::join(at, ["example"]),
                problem: OnceLock::new(),
            });
        }
        let Some(Value::Object(named)) = object.get("examples") else {
            return out;
        };
        for (name, e) in named {
            let listed = pointer::join(at, ["examples", name]);
            match schema::resolve(self.document, e).and_then(|e| e.get("value")) {
                Some(v) => out.push(Example {
                    name: name.clone(),
                    value: self.example_value(v),
                    pointer: listed,
                    problem: OnceLock::new(),
                }),
                None => self.warnings.push(format!(
                    "#{listed}: example `{name}` has no inline value (externalValue is not fetched)"
                )),
            }
        }
        out
    }

    /// The example value whose place in the document is `v`: taken out of it
    /// at load (shared by every `$ref` to it), or where the walk that takes
    /// them does not go, copied.
    fn example_value(&self, v: &Value) -> Arc<Value> {
        match self.taken.get(&(std::ptr::from_ref(v) as usize)) {
            Some(taken) => Arc::clone(taken),
            None => Arc::new(v.clone()),
        }
    }

    /// Registers the schema at `at` in the converted document.
    fn schema_at(&mut self, at: &str) -> Option<SchemaId> {
        // Every `$ref` resolves (checked before loading); what is left is a
        // chain that never ends in a schema, which the validator refuses and
        // the loader reports when it builds the schemas.
        let s = pointer::get(self.document, at)?;
        Some(self.schemas.add_at(self.document, at, s))
    }

    /// Follows `$ref`s to the item they name, returning it and its pointer. A
    /// `$ref` to `#/components/<kind>/<name>` is read as the components were; any
    /// other pointer into the document (an operation reusing another's response
    /// or parameter, as OpenAPI allows) is read from the document where it
    /// points, as a path item's contents are.
    fn resolve<'b, T>(
        &self,
        items: Option<&'b IndexMap<String, ReferenceOr<T>>>,
        kind: &str,
        r: &'b ReferenceOr<T>,
        mut at: String,
    ) -> Result<(Cow<'b, T>, String), Diagnostic>
    where
        T: Clone + serde::de::DeserializeOwned,
    {
        let mut r: Cow<'b, ReferenceOr<T>> = Cow::Borrowed(r);
        for _ in 0..32 {
            let reference = match r {
                Cow::Borrowed(ReferenceOr::Item(item)) => return Ok((Cow::Borrowed(item), at)),
                Cow::Owned(ReferenceOr::Item(item)) => return Ok((Cow::Owned(item), at)),
                Cow::Borrowed(ReferenceOr::Reference { reference }) => reference.clone(),
                Cow::Owned(ReferenceOr::Reference { reference }) => reference,
            };
            let prefix = format!("#/components/{kind}/");
            // Another kind of component (a schema where a request body
            // belongs) would read as an empty item of this kind: refused.
            if reference.starts_with("#/components/") && !reference.starts_with(&prefix) {
                return Err(Diagnostic::at_pointer(
                    self.name,
                    &at,
                    format!("$ref `{reference}` is not supported here; expected a local `{prefix}<name>` or a pointer to such an item elsewhere"),
                ));
            }
            if let Some(next) = reference
                .strip_prefix(&prefix)
                .map(pointer::unescape)
                .and_then(|name| Some((items?.get(name.as_ref())?, name)))
            {
                at = pointer::join("", ["components", kind, &next.1]);
                r = Cow::Borrowed(next.0);
                continue;
            }
            // Every local `$ref` resolves (checked before loading) and no other
            // is left; the fragment may be percent-encoded (`%7Bid%7D`).
            let (target, ptr) = reference
                .strip_prefix('#')
                .and_then(|f| pointer::fragment_at(self.document, f))
                .ok_or_else(|| {
                    Diagnostic::at_pointer(
                        self.name,
                        &at,
                        format!("$ref `{reference}` points at nothing"),
                    )
                })?;
            let ptr = ptr.into_owned();
            r = Cow::Owned(super::typed::referenced(self.name, &ptr, &at, target)?);
            at = ptr;
        }
        Err(Diagnostic::at_pointer(
            self.name,
            &at,
            "$ref chain is circular or longer than 32 hops",
        ))
    }
}
