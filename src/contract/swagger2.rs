//! Swagger 2.0 documents, converted on load into the OpenAPI 3.0 shape.
//!
//! Many public APIs are still described in Swagger 2.0. Rather than a second
//! loader, the document is rewritten (as JSON, before anything else reads it)
//! into what an OpenAPI 3.0 author would have written, so the one loader, the
//! one validator and the one generator serve it with the same strictness:
//! `host`/`basePath`/`schemes` become `servers`, `definitions` and the top-level
//! `parameters`/`responses`/`securityDefinitions` become `components` (their
//! `$ref`s rewritten), `body` and `formData` parameters become request bodies
//! per `consumes`, response schemas and `examples` become content per
//! `produces`, `collectionFormat` becomes `style`/`explode`, and `x-nullable`
//! and `type: file` their 3.0 spellings. No crate does this conversion on
//! `serde_json` values at hand; it is small enough to own.
//!
//! Every message must still point into the document the user wrote, so the
//! conversion records where each moved part came from ([`Moves`]).

mod moves;
mod params;

use serde_json::{json, Map, Value};

use crate::diagnostic::Diagnostic;
use crate::support::pointer;
pub(super) use moves::Moves;

/// A converted document, the map back to the original, and what the conversion
/// could not carry over exactly.
pub(super) struct Converted {
    pub(super) document: Value,
    pub(super) moves: Moves,
    pub(super) warnings: Vec<String>,
}

/// Converts a Swagger 2.0 document (already known to say `swagger: "2.0"`).
pub(super) fn convert(file: &str, src: Value) -> Result<Converted, Diagnostic> {
    let Value::Object(src) = src else {
        return Err(Diagnostic::at_pointer(file, "", "expected a mapping"));
    };
    let mut c = Conv {
        file,
        src: &src,
        moves: Moves::default(),
        warnings: Vec::new(),
        consumes: media_list(src.get("consumes")),
        produces: media_list(src.get("produces")),
    };
    let mut out = Map::new();
    out.insert("openapi".into(), "3.0.3".into());
    let mut components = Map::new();
    for (key, value) in &src {
        let at = pointer::join("", [key.as_str()]);
        match key.as_str() {
            "swagger" | "host" | "basePath" | "schemes" | "consumes" | "produces" => {}
            "definitions" => {
                let schemas = each(value, &at, file)?
                    .map(|(name, s)| {
                        c.moves.add(
                            pointer::join("", ["components", "schemas", name]),
                            pointer::join(&at, [name.as_str()]),
                        );
                        (name.clone(), schema(s))
                    })
                    .collect();
                components.insert("schemas".into(), Value::Object(schemas));
            }
            "parameters" => {
                let mut converted = Map::new();
                for (name, p) in each(value, &at, file)? {
                    let p_at = pointer::join(&at, [name.as_str()]);
                    // Body and form parameters are written into each operation
                    // that refers to them; the others stay shared.
                    if !matches!(where_is(p), Some("body" | "formData")) {
                        let to = pointer::join("", ["components", "parameters", name]);
                        converted.insert(name.clone(), c.parameter(p, &p_at, &to)?);
                    }
                }
                components.insert("parameters".into(), Value::Object(converted));
            }
            "responses" => {
                let mut converted = Map::new();
                let produces = c.produces.clone();
                for (name, r) in each(value, &at, file)? {
                    let to = pointer::join("", ["components", "responses", name]);
                    let r = c.response(r, &pointer::join(&at, [name.as_str()]), &to, &produces)?;
                    converted.insert(name.clone(), r);
                }
                components.insert("responses".into(), Value::Object(converted));
            }
            "securityDefinitions" => {
                let mut schemes = Map::new();
                for (name, s) in each(value, &at, file)? {
                    let s_at = pointer::join(&at, [name.as_str()]);
                    c.moves.add(
                        pointer::join("", ["components", "securitySchemes", name]),
                        s_at.clone(),
                    );
                    schemes.insert(name.clone(), security_scheme(file, s, &s_at)?);
                }
                components.insert("securitySchemes".into(), Value::Object(schemes));
            }
            "paths" => {
                let mut paths = Map::new();
                for (template, item) in each(value, &at, file)? {
                    let item_at = pointer::join(&at, [template.as_str()]);
                    let converted = if template.starts_with("x-") {
                        item.clone()
                    } else {
                        c.path_item(item, &item_at)?
                    };
                    paths.insert(template.clone(), converted);
                }
                out.insert("paths".into(), Value::Object(paths));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out.insert("servers".into(), servers(&src));
    out.entry("paths").or_insert_with(|| json!({}));
    if !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    Ok(Converted {
        document: Value::Object(out),
        moves: c.moves,
        warnings: c.warnings,
    })
}

/// The conversion's state: the source, the global media types, what moved.
struct Conv<'a> {
    file: &'a str,
    src: &'a Map<String, Value>,
    moves: Moves,
    warnings: Vec<String>,
    consumes: Vec<String>,
    produces: Vec<String>,
}

/// The methods a Swagger 2.0 path item may describe.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

impl Conv<'_> {
    fn path_item(&mut self, item: &Value, at: &str) -> Result<Value, Diagnostic> {
        let Value::Object(item) = item else {
            return Err(self.error(at, "a path item must be a mapping"));
        };
        let mut out = Map::new();
        let shared = self.split_parameters(item.get("parameters"), at, at)?;
        if !shared.plain.is_empty() {
            out.insert("parameters".into(), Value::Array(shared.plain.clone()));
        }
        for (key, value) in item {
            let op_at = pointer::join(at, [key.as_str()]);
            if METHODS.contains(&key.as_str()) {
                let op = self.operation(value, &op_at, &shared)?;
                out.insert(key.clone(), op);
            } else if key == "$ref" {
                out.insert(key.clone(), rewrite_ref(value));
            } else if key != "parameters" {
                out.insert(key.clone(), value.clone());
            }
        }
        Ok(Value::Object(out))
    }

    fn operation(
        &mut self,
        op: &Value,
        at: &str,
        shared: &params::Split,
    ) -> Result<Value, Diagnostic> {
        let Value::Object(op) = op else {
            return Err(self.error(at, "an operation must be a mapping"));
        };
        let consumes = op
            .get("consumes")
            .map(|v| media_list(Some(v)))
            .unwrap_or_else(|| self.consumes.clone());
        let produces = op
            .get("produces")
            .map(|v| media_list(Some(v)))
            .unwrap_or_else(|| self.produces.clone());
        let own = self.split_parameters(op.get("parameters"), at, at)?;
        let mut out = Map::new();
        for (key, value) in op {
            let k_at = pointer::join(at, [key.as_str()]);
            match key.as_str() {
                "consumes" | "produces" | "schemes" | "parameters" => {}
                "responses" => {
                    let mut responses = Map::new();
                    for (code, r) in each(value, &k_at, self.file)? {
                        let r_at = pointer::join(&k_at, [code.as_str()]);
                        let r = self.response(r, &r_at, &r_at, &produces)?;
                        responses.insert(code.clone(), r);
                    }
                    out.insert(key.clone(), Value::Object(responses));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if !own.plain.is_empty() {
            out.insert("parameters".into(), Value::Array(own.plain.clone()));
        }
        if let Some(body) = self.request_body(shared, &own, &consumes, at)? {
            out.insert("requestBody".into(), body);
        }
        Ok(Value::Object(out))
    }

    /// A response: its schema and examples as content per `produces`, its
    /// headers with schemas.
    fn response(
        &mut self,
        r: &Value,
        at: &str,
        to: &str,
        produces: &[String],
    ) -> Result<Value, Diagnostic> {
        self.moves.add(to.to_string(), at.to_string());
        let Value::Object(r) = r else {
            return Err(self.error(at, "a response must be a mapping"));
        };
        if r.contains_key("$ref") {
            return Ok(json!({ "$ref": rewrite_ref(&r["$ref"]) }));
        }
        let mut out = Map::new();
        let mut content = Map::new();
        let schema_of = r.get("schema").map(schema);
        let examples = r.get("examples").and_then(Value::as_object);
        let mut types: Vec<String> = produces.to_vec();
        for mt in examples.into_iter().flat_map(|e| e.keys()) {
            if !types.contains(mt) {
                types.push(mt.clone());
            }
        }
        if schema_of.is_some() || examples.is_some() {
            for mt in &types {
                let mt_to = pointer::join(to, ["content", mt]);
                let mut media = Map::new();
                if let Some(s) = &schema_of {
                    media.insert("schema".into(), s.clone());
                    self.moves
                        .add(format!("{mt_to}/schema"), format!("{at}/schema"));
                }
                if let Some(e) = examples.and_then(|e| e.get(mt)) {
                    media.insert("example".into(), e.clone());
                    self.moves.add(
                        format!("{mt_to}/example"),
                        pointer::join(at, ["examples", mt]),
                    );
                }
                content.insert(mt.clone(), Value::Object(media));
            }
        }
        for (key, value) in r {
            match key.as_str() {
                "schema" | "examples" => {}
                "headers" => {
                    let mut headers = Map::new();
                    for (name, h) in each(value, &pointer::join(at, ["headers"]), self.file)? {
                        let h_at = pointer::join(at, ["headers", name]);
                        let h_to = pointer::join(to, ["headers", name]);
                        headers.insert(name.clone(), self.header(h, &h_at, &h_to)?);
                    }
                    out.insert(key.clone(), Value::Object(headers));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if !content.is_empty() {
            out.insert("content".into(), Value::Object(content));
        }
        Ok(Value::Object(out))
    }

    fn error(&self, at: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at_pointer(self.file, at, message)
    }
}

/// The members of a mapping, or an error at `at` when it is something else.
fn each<'v>(
    v: &'v Value,
    at: &str,
    file: &str,
) -> Result<impl Iterator<Item = (&'v String, &'v Value)>, Diagnostic> {
    match v {
        Value::Object(m) => Ok(m.iter()),
        _ => Err(Diagnostic::at_pointer(file, at, "expected a mapping")),
    }
}

/// `consumes`/`produces` as a list, `application/json` when not given.
fn media_list(v: Option<&Value>) -> Vec<String> {
    let list: Vec<String> = v
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if list.is_empty() {
        vec!["application/json".into()]
    } else {
        list
    }
}

/// Where a parameter is (`in`), when it says.
fn where_is(p: &Value) -> Option<&str> {
    p.get("in").and_then(Value::as_str)
}

/// `servers` from `schemes`, `host` and `basePath` (a relative URL without a host).
fn servers(src: &Map<String, Value>) -> Value {
    let base = src.get("basePath").and_then(Value::as_str).unwrap_or("");
    let Some(host) = src.get("host").and_then(Value::as_str) else {
        let url = if base.is_empty() { "/" } else { base };
        return json!([{ "url": url }]);
    };
    let schemes = src
        .get("schemes")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec!["https"]);
    Value::Array(
        schemes
            .into_iter()
            .map(|scheme| json!({ "url": format!("{scheme}://{host}{base}") }))
            .collect(),
    )
}

/// A security definition as a 3.0 security scheme.
fn security_scheme(file: &str, s: &Value, at: &str) -> Result<Value, Diagnostic> {
    let mut out = Map::new();
    if let Some(d) = s.get("description") {
        out.insert("description".into(), d.clone());
    }
    match s.get("type").and_then(Value::as_str) {
        Some("basic") => {
            out.insert("type".into(), "http".into());
            out.insert("scheme".into(), "basic".into());
        }
        Some("apiKey") => {
            out.insert("type".into(), "apiKey".into());
            for k in ["name", "in"] {
                out.insert(k.into(), s.get(k).cloned().unwrap_or(Value::Null));
            }
        }
        Some("oauth2") => {
            let flow = s.get("flow").and_then(Value::as_str).unwrap_or("");
            let name = match flow {
                "implicit" => "implicit",
                "password" => "password",
                "application" => "clientCredentials",
                "accessCode" => "authorizationCode",
                other => {
                    return Err(Diagnostic::at_pointer(
                        file,
                        &format!("{at}/flow"),
                        format!("unknown OAuth2 flow `{other}`; expected implicit, password, application or accessCode"),
                    ))
                }
            };
            let mut f = Map::new();
            for k in ["authorizationUrl", "tokenUrl"] {
                if let Some(v) = s.get(k) {
                    f.insert(k.into(), v.clone());
                }
            }
            f.insert(
                "scopes".into(),
                s.get("scopes").cloned().unwrap_or_else(|| json!({})),
            );
            out.insert("type".into(), "oauth2".into());
            out.insert("flows".into(), json!({ name: f }));
        }
        _ => {
            return Err(Diagnostic::at_pointer(
                file,
                &format!("{at}/type"),
                "a security definition's `type` must be basic, apiKey or oauth2",
            ))
        }
    }
    Ok(Value::Object(out))
}

/// A `$ref` to a Swagger 2.0 section, pointed at the matching 3.0 component.
fn rewrite_ref(r: &Value) -> Value {
    let Value::String(r) = r else {
        return r.clone();
    };
    for (from, to) in [
        ("#/definitions/", "#/components/schemas/"),
        ("#/parameters/", "#/components/parameters/"),
        ("#/responses/", "#/components/responses/"),
    ] {
        if let Some(rest) = r.strip_prefix(from) {
            return Value::String(format!("{to}{rest}"));
        }
    }
    Value::String(r.clone())
}

/// A Swagger 2.0 schema (or parameter-like type description) as a 3.0 schema:
/// `$ref`s rewritten, `x-nullable` as `nullable`, `type: file` as a binary
/// string, a `discriminator` name as a discriminator object.
pub(super) fn schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let converted = match (key.as_str(), value) {
                    ("$ref", r) => rewrite_ref(r),
                    ("x-nullable", Value::Bool(b)) => {
                        out.insert("nullable".into(), Value::Bool(*b));
                        continue;
                    }
                    ("type", Value::String(t)) if t == "file" => {
                        out.insert("format".into(), "binary".into());
                        "string".into()
                    }
                    ("discriminator", Value::String(name)) => json!({ "propertyName": name }),
                    ("enum" | "default" | "example", _) => value.clone(),
                    (k, _) if k.starts_with("x-") => value.clone(),
                    ("properties" | "patternProperties" | "definitions", Value::Object(m)) => {
                        Value::Object(m.iter().map(|(k, s)| (k.clone(), schema(s))).collect())
                    }
                    _ => schema(value),
                };
                out.insert(key.clone(), converted);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
        other => other.clone(),
    }
}
