//! Contract loading: an OpenAPI 3.0 or 3.1 (or Swagger 2.0) document read once,
//! checked, and compiled.
//!
//! One loader reads every format: a Swagger 2.0 document is converted first
//! ([`swagger2`]) into the OpenAPI 3.0 shape, and an OpenAPI 3.1 document
//! differs from 3.0 outside its schemas in few ways that matter here (`paths`
//! optional, `webhooks`), which are evened out before the typed reading; its
//! schemas stay JSON Schema 2020-12 and are validated as such ([`Dialect`]).
//!
//! Every part of mimeo (the mock, the conformance runner, the proxy) works from
//! one [`Contract`]: operations with their parameters, bodies and responses
//! resolved (no `$ref` left to chase at request time), every schema compiled, and
//! the routes built. A broken document is refused with the file and the JSON
//! pointer of what is wrong; what mimeo cannot serve is reported as a warning.

mod cost;
mod examples;
mod fancy;
pub(crate) mod form;
pub(crate) mod kinds;
mod load;
mod model;
pub(crate) mod profile;
mod refs;
mod resources;
pub(crate) mod schema;
pub(crate) mod security;
mod source;
mod swagger2;
mod views;
mod yaml;

pub(crate) use model::*;
pub use model::{Operation, StatusKey};
pub(crate) use schema::{Dialect, SchemaId, Schemas};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::routing::{RouteMatch, Router};
use crate::support::pointer;
use load::{convert_document, Loader};

/// The Memory v1 contract that ships inside the binary, read from YAML into
/// JSON at build time (build.rs): the same document, faster to read at start.
const EMBEDDED_SPEC: &str = include_str!(concat!(env!("OUT_DIR"), "/embedded-contract"));
/// The name the embedded contract goes by in messages.
const EMBEDDED_NAME: &str = "spec/memory-v1.yaml (embedded)";

/// A loaded, compiled OpenAPI contract: what every part of mimeo serves,
/// checks and replays against. Load it once and share it (`Arc<Contract>`).
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?; // Twilio Memory v1
/// assert_eq!(contract.title(), "Twilio - Memory");
/// let fetch = contract.operation_by_id("FetchProfileIdentifier").unwrap();
/// assert_eq!(fetch.path(), "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}");
/// assert!(fetch.documents(404));
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
pub struct Contract {
    source: String,
    title: String,
    version: String,
    pub(crate) operations: Vec<Operation>,
    warnings: Vec<String>,
    /// Compiled schemas, indexed by [`SchemaId`].
    pub(crate) schemas: Schemas,
    /// The document with its schemas rewritten to draft 4; the root `$ref`s point
    /// into. Shared with [`Schemas`], whose validators are compiled against it.
    pub(crate) document: Arc<Value>,
    /// Path templates compiled into a router.
    router: Router<OpIndex>,
    /// The API's habits declared in `x-mimeo` extensions.
    pub(crate) profile: profile::Profile,
    /// A large contract's examples, checked after load ([`examples`]).
    examples_later: Option<std::sync::Mutex<examples::Later>>,
}

/// Contracts with more operations than this have their examples checked (and
/// the mock's bodies built) after load, on first use and by the mock's warm-up,
/// rather than before the server answers: compiling, generating and checking
/// for every operation was most of the start-up of large public descriptions
/// (GitHub's 1,000-odd operations, Stripe's 452), while a test exercises a few.
pub(crate) const EAGER_OPERATIONS: usize = 200;

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
    pub fn embedded() -> Result<Contract, Diagnostic> {
        Contract::from_text(EMBEDDED_NAME, EMBEDDED_SPEC)
    }

    /// Loads a JSON or YAML document from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Contract, Diagnostic> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostic::new(&name, format!("cannot read the file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Diagnostic::new(
                &name,
                format!(
                    "the file is not UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Contract::from_text(&name, &text)
    }

    /// Loads a JSON or YAML document from text (OpenAPI 3.0, 3.1 or Swagger
    /// 2.0); `name` is used in messages.
    pub fn from_text(name: &str, text: &str) -> Result<Contract, Diagnostic> {
        let raw = source::parse(name, text)?;
        match check_version(name, &raw)? {
            Format::OpenApi30 => Contract::from_value(name, text, raw, Dialect::Draft4, Vec::new()),
            Format::OpenApi31 => {
                let mut raw = raw;
                let notes = even_out_31(&mut raw);
                Contract::from_value(name, text, raw, Dialect::Draft202012, notes)
            }
            Format::Swagger20 => {
                // Messages name places in the document as the user wrote it.
                let converted = swagger2::convert(name, raw)?;
                let moves = converted.moves;
                let mut c = Contract::from_value(
                    name,
                    text,
                    converted.document,
                    Dialect::Draft4,
                    converted.warnings,
                )
                .map_err(|d| moves.diagnostic(d))?;
                c.warnings = c.warnings.iter().map(|w| moves.message(w)).collect();
                Ok(c)
            }
        }
    }

    /// Loads a document already in the OpenAPI 3.x shape whose schemas are
    /// written in `dialect`, read from `text`; `notes` are warnings found before.
    fn from_value(
        name: &str,
        text: &str,
        mut raw: Value,
        dialect: Dialect,
        notes: Vec<String>,
    ) -> Result<Contract, Diagnostic> {
        // Under 2020-12 a schema's `$ref` is read against its `$id`: rewritten
        // once as pointers from the root, which is how everything after reads them.
        if dialect == Dialect::Draft202012 && refs::declares_ids(&raw) {
            resources::rebase(name, &mut raw)?;
        }
        refs::check(name, &raw)?;
        // The typed reading (openapiv3) is for everything but schemas, which are
        // read from the document itself: they are taken out while it reads, so the
        // document is neither copied nor held a second time as typed schemas.
        let mut taken = Vec::new();
        schema_slots(&mut raw, &mut |slot| {
            taken.push(
                slot.is_object()
                    .then(|| std::mem::replace(slot, Value::Object(Default::default()))),
            )
        });
        // Example values too: they are read from the document (`load.rs`), and a
        // large description's (GitHub's: 1.5 MB of them) were a third of the
        // typed reading. Any JSON is a valid example value, so nothing is missed.
        let mut examples = Vec::new();
        example_slots(&mut raw, &mut |slot| {
            examples.push(std::mem::take(slot));
        });
        let api: Result<OpenAPI, _> = serde_path_to_error::deserialize(&raw);
        let mut examples = examples.into_iter();
        example_slots(&mut raw, &mut |slot| {
            if let Some(v) = examples.next() {
                *slot = v;
            }
        });
        let mut back = taken.into_iter();
        schema_slots(&mut raw, &mut |slot| {
            if let Some(Some(schema)) = back.next() {
                *slot = schema;
            }
        });
        let api = api.map_err(|e| {
            let (ptr, msg) = narrow_error(&raw)
                .unwrap_or_else(|| (path_to_pointer(e.path()), e.inner().to_string()));
            Diagnostic::at_pointer(name, &ptr, format!("not a valid OpenAPI document: {msg}"))
        })?;
        let mut profile = profile::Profile::read(name, api.extensions.get(profile::ROOT))?;
        profile.key_names = security::key_names(&api);
        let mut document = raw;
        convert_document(&mut document, dialect);
        views::add_views(&mut document, text);
        let document = Arc::new(document);
        let (operations, schemas, mut warnings, later) = Loader {
            name,
            api: &api,
            document: &document,
            schemas: schema::SchemaBuilder::new(dialect),
            warnings: notes,
            examples: Vec::new(),
        }
        .load()?;
        let router = Router::new(
            operations.iter().map(|o| (&o.method, &o.path, o.index)),
            &mut warnings,
        );
        Ok(Contract {
            source: name.to_string(),
            title: api.info.title.clone(),
            version: api.info.version.clone(),
            operations,
            warnings,
            schemas,
            document,
            router,
            profile,
            examples_later: later.map(std::sync::Mutex::new),
        })
    }

    /// Where the document came from: its path, or the embedded contract's name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `info.title`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// `info.version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// What was skipped or cannot be served, one line each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The operation with this `operationId`.
    pub fn operation_by_id(&self, id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.operation_id.as_deref() == Some(id))
    }

    /// The operation for a method and path template (`GET`, `/v1/x/{id}`).
    pub fn operation(&self, method: &str, template: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.as_str().eq_ignore_ascii_case(method) && o.path == *template)
    }

    /// Whether this is the contract embedded in the binary.
    pub(crate) fn is_embedded(&self) -> bool {
        self.source == EMBEDDED_NAME
    }

    /// The operation at `index`.
    pub(crate) fn op(&self, index: OpIndex) -> &Operation {
        &self.operations[index.0]
    }

    /// Routes a request's method and raw path (no query) to its operation; of
    /// operations whose paths have the same shape, the first whose path
    /// parameters validate.
    pub(crate) fn route<'a>(
        &'a self,
        method: &hyper::Method,
        path: &'a str,
    ) -> RouteMatch<'a, OpIndex> {
        self.router.find(method, path, |i, params| {
            crate::validate::path_params_valid(self, self.op(i), params)
        })
    }
}

/// Calls `f` on every place of the document that holds a schema and is read as
/// one by openapiv3 (`components.schemas` entries and every `schema` member
/// outside examples and extensions), always in the same order.
fn schema_slots(doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    fn walk(v: &mut Value, top: bool, f: &mut dyn FnMut(&mut Value)) {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if top && k == "components" {
                        if let Value::Object(c) = child {
                            for (ck, cv) in c.iter_mut() {
                                match (ck.as_str(), cv) {
                                    ("schemas", Value::Object(schemas)) => {
                                        schemas.values_mut().for_each(&mut *f)
                                    }
                                    (_, cv) => walk(cv, false, f),
                                }
                            }
                        }
                    } else if k == "schema" {
                        f(child);
                    } else if !(k.starts_with("x-") || k == "example" || k == "examples") {
                        walk(child, false, f);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, false, f)),
            _ => {}
        }
    }
    walk(doc, true, f);
}

/// Calls `f` on every example value of the document's media types, parameters
/// and headers (`example`, and each `examples` entry's `value`), in paths and
/// in components, and on each `value` of `components/examples`: only where
/// OpenAPI puts examples, so a component that happens to be named `examples`
/// is left alone. Callbacks are not walked (their examples stay in place).
fn example_slots(doc: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    /// What walks one kind of object for its example values.
    type Walk = fn(&mut Value, &mut dyn FnMut(&mut Value));
    fn entry(e: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        if let Some(v) = e.get_mut("value") {
            f(v);
        }
    }
    /// A media type, parameter or header object.
    fn holder(h: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let Value::Object(m) = h else { return };
        if let Some(v) = m.get_mut("example") {
            f(v);
        }
        if let Some(Value::Object(named)) = m.get_mut("examples") {
            named.values_mut().for_each(|e| entry(e, f));
        }
        if let Some(Value::Object(content)) = m.get_mut("content") {
            content.values_mut().for_each(|mt| holder(mt, f));
        }
    }
    fn each(v: Option<&mut Value>, f: &mut dyn FnMut(&mut Value), g: Walk) {
        match v {
            Some(Value::Object(m)) => m.values_mut().for_each(|x| g(x, f)),
            Some(Value::Array(a)) => a.iter_mut().for_each(|x| g(x, f)),
            _ => {}
        }
    }
    fn body(b: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        each(b.get_mut("content"), f, holder);
    }
    fn response(r: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        each(r.get_mut("content"), f, holder);
        each(r.get_mut("headers"), f, holder);
    }
    fn item(i: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        let Value::Object(m) = i else { return };
        for (k, op) in m.iter_mut() {
            if k == "parameters" {
                each(Some(op), f, holder);
            } else if matches!(
                k.as_str(),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
            ) {
                each(op.get_mut("parameters"), f, holder);
                if let Some(b) = op.get_mut("requestBody") {
                    body(b, f);
                }
                each(op.get_mut("responses"), f, response);
            }
        }
    }
    each(doc.get_mut("paths"), f, item);
    if let Some(c) = doc.get_mut("components") {
        each(c.get_mut("examples"), f, entry);
        each(c.get_mut("parameters"), f, holder);
        each(c.get_mut("headers"), f, holder);
        each(c.get_mut("requestBodies"), f, body);
        each(c.get_mut("responses"), f, response);
    }
}

/// The formats mimeo reads.
enum Format {
    OpenApi30,
    OpenApi31,
    Swagger20,
}

fn check_version(name: &str, raw: &Value) -> Result<Format, Diagnostic> {
    if !raw.is_object() {
        return Err(Diagnostic::at_pointer(
            name,
            "",
            "expected an OpenAPI document (a mapping at the top level)",
        ));
    }
    if let Some(v) = raw.get("swagger") {
        return match v {
            Value::String(s) if s == "2.0" => Ok(Format::Swagger20),
            other => Err(Diagnostic::at_pointer(
                name,
                "/swagger",
                format!("Swagger version {other} is not supported; mimeo reads Swagger \"2.0\", OpenAPI 3.0.x and 3.1.x"),
            )),
        };
    }
    match raw.get("openapi") {
        None => Err(Diagnostic::at_pointer(
            name,
            "",
            "missing `openapi` field; expected an OpenAPI 3.0 or 3.1 document (or Swagger 2.0)",
        )),
        Some(Value::String(v)) if v.starts_with("3.0") => Ok(Format::OpenApi30),
        Some(Value::String(v)) if v.starts_with("3.1") => Ok(Format::OpenApi31),
        Some(Value::String(v)) => Err(Diagnostic::at_pointer(
            name,
            "/openapi",
            format!("OpenAPI version {v} is not supported; mimeo reads OpenAPI 3.0.x and 3.1.x (and Swagger 2.0)"),
        )),
        Some(other) => Err(Diagnostic::at_pointer(
            name,
            "/openapi",
            format!("`openapi` must be a string like \"3.0.3\", found {other}"),
        )),
    }
}

/// Evens out what OpenAPI 3.1 changed outside schemas so the typed reading
/// (which knows 3.0) accepts it: `paths` may be missing (a document of webhooks
/// or components only). `webhooks`, `jsonSchemaDialect`, `info.summary` and
/// `license.identifier` are read past; webhooks are described requests mimeo
/// would send, not paths it serves, which a note says.
fn even_out_31(raw: &mut Value) -> Vec<String> {
    let mut notes = Vec::new();
    let Value::Object(map) = raw else {
        return notes;
    };
    map.entry("paths")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(Value::Object(hooks)) = map.get("webhooks") {
        if !hooks.is_empty() {
            notes.push(format!(
                "#/webhooks: {} webhook(s) described ({}); mimeo serves paths, it does not send webhooks",
                hooks.len(),
                hooks.keys().take(5).map(String::as_str).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    notes
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
        let at = pointer::join("", ["paths", path]);
        if try_item::<o::PathItem>(item, &at).is_none() {
            continue;
        }
        for (method, op) in each(Some(item)) {
            let op_at = pointer::join(&at, [method.as_str()]);
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
                    try_item::<o::Response>(resp, &pointer::join(&op_at, ["responses", code]))
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
        for (name, item) in each(pointer::get(raw, &format!("/components/{section}"))) {
            if let Some(e) = read(item, &pointer::join("", ["components", section, name])) {
                return Some(e);
            }
        }
    }
    None
}

pub(super) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
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
                out.push_str(&pointer::escape(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_contract_is_the_yaml_file_read_at_build_time() {
        let yaml = include_str!("../../spec/memory-v1.yaml");
        assert!(
            EMBEDDED_SPEC.starts_with('{'),
            "build.rs did not embed JSON"
        );
        let from_yaml = source::parse("memory-v1.yaml", yaml).unwrap();
        let embedded = source::parse(EMBEDDED_NAME, EMBEDDED_SPEC).unwrap();
        assert_eq!(embedded, from_yaml);
        // Key order too (maps compare without it).
        assert_eq!(
            serde_json::to_string(&embedded).unwrap(),
            serde_json::to_string(&from_yaml).unwrap()
        );
    }

    #[test]
    fn embedded_contract_constraints_are_compiled() {
        let c = Contract::embedded().unwrap();
        let patch = c.operation_by_id("PatchProfileIdentifier").unwrap();
        let store = patch
            .params_in(ParamIn::Path)
            .find(|p| p.name == "storeId")
            .unwrap();
        let id = store.schema.unwrap();
        assert!(c
            .schemas
            .is_valid(id, &"mem_store_00000000000000000000000000".into()));
        assert!(c
            .schemas
            .is_valid(id, &"mem_service_7zzzzzzzzzzzzzzzzzzzzzzzzz".into()));
        assert!(!c
            .schemas
            .is_valid(id, &"mem_store_80000000000000000000000000".into()));
        let body = patch.body.as_ref().unwrap().content[0].schema.unwrap();
        let v = c.schemas.violations(
            body,
            &serde_json::json!({"idType": "e", "oldValue": "a", "extra": 1}),
        );
        let rules: Vec<&str> = v.items.iter().map(|v| v.rule.as_str()).collect();
        assert!(rules.contains(&"required"), "{v:?}");
        assert!(rules.contains(&"minLength"), "{v:?}");
        assert!(rules.contains(&"additionalProperties"), "{v:?}");
        let del = c.operation_by_id("DeleteProfileIdentifier").unwrap();
        let remove_all = del
            .params_in(ParamIn::Query)
            .find(|p| p.name == "removeAll")
            .unwrap();
        assert!(!remove_all.required);
    }
}
