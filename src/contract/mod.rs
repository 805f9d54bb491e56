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
mod flow;
pub(crate) mod form;
pub(crate) mod kinds;
mod load;
mod model;
mod oas31;
pub(crate) mod profile;
mod refs;
mod resources;
pub(crate) mod schema;
pub(crate) mod security;
mod servers;
mod source;
mod swagger2;
mod typed;
mod views;
mod yaml;

pub(crate) use model::*;
pub use model::{Operation, StatusKey};
pub(crate) use schema::{Dialect, SchemaId, SchemaViolation, Schemas, UNCOMPILABLE};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::routing::{RouteMatch, Router, Said};
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
    /// The `servers`' base paths, under which the paths are served too.
    bases: Vec<String>,
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
        let text = crate::support::text::read(path, "the file")?;
        Contract::read(&name, std::borrow::Cow::Owned(text))
    }

    /// Loads a JSON or YAML document from text (OpenAPI 3.0, 3.1 or Swagger
    /// 2.0); `name` is used in messages.
    pub fn from_text(name: &str, text: &str) -> Result<Contract, Diagnostic> {
        Contract::read(name, std::borrow::Cow::Borrowed(text))
    }

    /// [`Contract::from_text`]; text the contract owns is dropped once parsed
    /// (a large description's is 13 MB, at the load's peak of memory).
    fn read(name: &str, text: std::borrow::Cow<'_, str>) -> Result<Contract, Diagnostic> {
        let raw = source::parse(name, &text)?;
        let keywords = views::Keywords::read(&text);
        drop(text);
        match check_version(name, &raw)? {
            Format::OpenApi30 => {
                Contract::from_value(name, keywords, raw, Dialect::Draft4, Vec::new())
            }
            Format::OpenApi31 => {
                let mut raw = raw;
                let notes = oas31::even_out(&mut raw);
                Contract::from_value(name, keywords, raw, Dialect::Draft202012, notes)
            }
            Format::Swagger20 => {
                // Messages name places in the document as the user wrote it.
                let converted = swagger2::convert(name, raw)?;
                let moves = converted.moves;
                let mut c = Contract::from_value(
                    name,
                    keywords,
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
    /// written in `dialect`, whose text said `keywords`; `notes` are warnings
    /// found before.
    fn from_value(
        name: &str,
        keywords: views::Keywords,
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
        let api = typed::read(name, &mut raw)?;
        let mut profile = profile::Profile::read(name, api.extensions.get(profile::ROOT))?;
        profile.key_names = security::key_names(&api);
        let mut document = raw;
        let mut patterns = schema::Patterns::default();
        convert_document(&mut document, dialect, &mut patterns);
        views::add_views(&mut document, keywords);
        // The example values move into the model (nothing reads them from the
        // document after load): held once, not twice, and shared by every
        // `$ref` to the same one. Kept by the address of their place, which no
        // longer changes, where the loader finds them.
        let mut examples = load::Taken::default();
        typed::example_slots(&mut document, &mut |slot| {
            let value = std::mem::take(slot);
            examples.insert(std::ptr::from_ref(slot) as usize, Arc::new(value));
        });
        let document = Arc::new(document);
        let (operations, schemas, mut warnings, later) = Loader {
            name,
            api: &api,
            document: &document,
            taken: examples,
            schemas: schema::SchemaBuilder::new(dialect, patterns),
            warnings: notes,
            not_media: (0, String::new()),
            examples: Vec::new(),
            readings: Default::default(),
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
            bases: servers::base_paths(&api.servers),
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

    /// The operation a state model or report names: by its operationId, else
    /// (an operation without one of its own) by its method and path,
    /// `GET /v1/x/{id}` ([`Operation::name`]).
    pub(crate) fn operation_named(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.is_named(name))
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

    /// Routes a request's method and raw path (query unknown: queries in
    /// templates are not looked at, and their templated pairs not bound) to
    /// its operation; of operations whose paths have the same shape, the
    /// first whose path parameters validate.
    pub(crate) fn route<'a>(
        &'a self,
        method: &hyper::Method,
        path: &'a str,
    ) -> RouteMatch<'a, OpIndex> {
        self.under_bases(path, |path| self.route_raw(method, path))
    }

    /// Routes a request as [`Contract::route`] does, by what it says besides
    /// its path too: a template's query must be in the request's, and a
    /// fragment's pair (`/#Action=A`) must not be contradicted by its query,
    /// headers or form body. Operations whose templates differ only in a
    /// fragment are then told apart by all their parameters, as their path
    /// is one and the same: a required header or query value (`X-Amz-Target`,
    /// `Action`) says which is meant. So are the others on that path
    /// (`/{path}` beside `/{path}#op=APPEND`).
    #[cfg(feature = "replay")]
    pub(crate) fn route_request<'a>(
        &'a self,
        method: &hyper::Method,
        path: &'a str,
        said: &Said<'_>,
    ) -> RouteMatch<'a, OpIndex> {
        self.route_request_read(method, path, said).1
    }

    /// [`Contract::route_request`], with the reading of the path it routed
    /// by: the path as sent, or less a servers base path (what rules are
    /// matched against, as they name the document's paths).
    pub(crate) fn route_request_read<'a>(
        &'a self,
        method: &hyper::Method,
        path: &'a str,
        said: &Said<'_>,
    ) -> (&'a str, RouteMatch<'a, OpIndex>) {
        self.reading(path, |path| {
            self.router
                .find(method, path, Some(said), |i, params, fragments| {
                    let op = self.op(i);
                    if fragments {
                        crate::validate::params_valid(self, op, params, said.query, said.headers)
                    } else {
                        crate::validate::path_params_valid(self, op, params)
                    }
                })
        })
    }

    /// `find(path)`, or of the path less a base path of the `servers`
    /// (`/v2/pets` as `/pets`) when that reads it better (see [`Contract::reading`]).
    fn under_bases<'a>(
        &'a self,
        path: &'a str,
        find: impl Fn(&'a str) -> RouteMatch<'a, OpIndex>,
    ) -> RouteMatch<'a, OpIndex> {
        self.reading(path, find).1
    }

    /// The reading of a request's path the mock serves it by, and its match:
    /// the path as sent, or less a base path. Under a base path both may
    /// match a template (`/{objectName}/{objectId}` takes `/api-v2/bulk`),
    /// so the better wins: one that serves the method over one that does
    /// not, then the one with fewer path parameters (the document's own
    /// `/bulk` over a template that took the base for a parameter); the
    /// path as sent when they are even. Without base paths, one routing.
    fn reading<'a>(
        &'a self,
        path: &'a str,
        find: impl Fn(&'a str) -> RouteMatch<'a, OpIndex>,
    ) -> (&'a str, RouteMatch<'a, OpIndex>) {
        let mut best = (path, find(path));
        if self.bases.is_empty() {
            return best;
        }
        for less in self.less_a_base(path) {
            let again = find(less);
            if self.rank(&again) > self.rank(&best.1) {
                best = (less, again);
            }
        }
        best
    }

    /// How well a match reads a request (see [`Contract::reading`]).
    fn rank(&self, m: &RouteMatch<'_, OpIndex>) -> (u8, std::cmp::Reverse<usize>) {
        match m {
            RouteMatch::Found { handle, .. } => (
                3,
                std::cmp::Reverse(self.op(*handle).params_in(ParamIn::Path).count()),
            ),
            RouteMatch::NeedsForm => (2, std::cmp::Reverse(0)),
            RouteMatch::MethodNotAllowed { .. } => (1, std::cmp::Reverse(0)),
            RouteMatch::NotFound => (0, std::cmp::Reverse(0)),
        }
    }

    /// `path` less each base path it starts with (`/v2/pets` -> `/pets`).
    fn less_a_base<'s, 'p>(&'s self, path: &'p str) -> impl Iterator<Item = &'p str> + use<'s, 'p> {
        self.bases
            .iter()
            .filter_map(move |base| match path.strip_prefix(base.as_str()) {
                Some("") => Some("/"),
                Some(rest) if rest.starts_with('/') => Some(rest),
                _ => None,
            })
    }

    /// [`Contract::route`] without the base paths.
    fn route_raw<'a>(&'a self, method: &hyper::Method, path: &'a str) -> RouteMatch<'a, OpIndex> {
        self.router.find(method, path, None, |i, params, _| {
            crate::validate::path_params_valid(self, self.op(i), params)
        })
    }

    /// The base paths of the document's `servers` (`/v2`), under which every
    /// path is served as well as at the root.
    pub fn base_paths(&self) -> &[String] {
        &self.bases
    }

    /// Whether some operation's template has a fragment, which a form body's
    /// pair may name ([`RouteMatch::NeedsForm`]).
    pub(crate) fn routes_by_fragment(&self) -> bool {
        self.router.has_fragments()
    }

    /// Whether a form body's pair named `name` may say which operation a
    /// request is (see [`Contract::routes_by_fragment`]).
    pub(crate) fn is_fragment_key(&self, name: &str) -> bool {
        self.router.is_fragment_key(name)
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
