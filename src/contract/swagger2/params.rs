//! Swagger 2.0 parameters in OpenAPI 3.0 terms: a `body` parameter is a request
//! body per `consumes`, `formData` parameters are the properties of a form
//! body (multipart when a `file` is among them or `consumes` says so), and the
//! others keep their place with their type description moved into `schema`
//! and `collectionFormat` spelled as `style`/`explode`.

use serde_json::{json, Map, Value};

use super::{rewrite_ref, schema, where_is, Conv};
use crate::diagnostic::Diagnostic;
use crate::support::pointer;

/// The keywords of a non-body parameter (or header, or items) that describe
/// its value: they become its `schema`.
const SCHEMA_KEYS: [&str; 17] = [
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
];

/// The parameters of a path item or operation, sorted by what they become.
#[derive(Default, Clone)]
pub(super) struct Split {
    /// Path, query and header parameters, converted (or `$ref`s to components).
    pub(super) plain: Vec<Value>,
    /// The `body` parameter and its pointer.
    body: Option<(Value, String)>,
    /// `formData` parameters and their pointers.
    form: Vec<(Value, String)>,
}

impl Conv<'_> {
    /// Sorts and converts the `parameters` list of the object at `at`
    /// (converted at `to`); `$ref`s to body and form parameters are written out.
    pub(super) fn split_parameters(
        &mut self,
        list: Option<&Value>,
        at: &str,
        to: &str,
    ) -> Result<Split, Diagnostic> {
        let mut split = Split::default();
        let Some(list) = list else { return Ok(split) };
        let Value::Array(list) = list else {
            return Err(self.error(&format!("{at}/parameters"), "expected a list"));
        };
        for (i, p) in list.iter().enumerate() {
            let p_at = format!("{at}/parameters/{i}");
            let (target, target_at) = match p.get("$ref").and_then(Value::as_str) {
                Some(r) => match r
                    .strip_prefix("#/parameters/")
                    .and_then(|name| self.src.get("parameters")?.get(&*pointer::unescape(name)))
                {
                    Some(t) => (t, r[1..].to_string()),
                    None => (p, p_at.clone()),
                },
                None => (p, p_at.clone()),
            };
            match where_is(target) {
                Some("body") => split.body = Some((target.clone(), target_at)),
                Some("formData") => split.form.push((target.clone(), target_at)),
                _ if p.get("$ref").is_some() => {
                    let j = split.plain.len();
                    self.moves.add(format!("{to}/parameters/{j}"), p_at);
                    split.plain.push(json!({ "$ref": rewrite_ref(&p["$ref"]) }));
                }
                _ => {
                    let j = split.plain.len();
                    let converted = self.parameter(p, &p_at, &format!("{to}/parameters/{j}"))?;
                    split.plain.push(converted);
                }
            }
        }
        Ok(split)
    }

    /// A path, query or header parameter (at `at`, converted at `to`).
    pub(super) fn parameter(&mut self, p: &Value, at: &str, to: &str) -> Result<Value, Diagnostic> {
        self.moves.add(to.to_string(), at.to_string());
        self.moves.add(format!("{to}/schema"), at.to_string());
        let Value::Object(p) = p else {
            return Err(self.error(at, "a parameter must be a mapping"));
        };
        if let Some(r) = p.get("$ref") {
            return Ok(json!({ "$ref": rewrite_ref(r) }));
        }
        let place = match p.get("in").and_then(Value::as_str) {
            Some(place @ ("query" | "header" | "path")) => place,
            Some(other) => {
                return Err(self.error(
                    &format!("{at}/in"),
                    format!("`in: {other}` is not a Swagger 2.0 parameter location; expected query, header, path, formData or body"),
                ))
            }
            None => return Err(self.error(at, "a parameter needs `in`")),
        };
        let mut out = with_schema(p);
        if p.get("type").and_then(Value::as_str) == Some("array") {
            let (style, explode) = self.style(p, place, at);
            if let Some(style) = style {
                out.insert("style".into(), style.into());
            }
            out.insert("explode".into(), explode.into());
        }
        Ok(Value::Object(out))
    }

    /// A response header (at `at`, converted at `to`).
    pub(super) fn header(&mut self, h: &Value, at: &str, to: &str) -> Result<Value, Diagnostic> {
        self.moves.add(to.to_string(), at.to_string());
        self.moves.add(format!("{to}/schema"), at.to_string());
        let Value::Object(h) = h else {
            return Err(self.error(at, "a header must be a mapping"));
        };
        Ok(Value::Object(with_schema(h)))
    }

    /// `collectionFormat` as `style` and `explode` for a parameter `in` a place.
    fn style(
        &mut self,
        p: &Map<String, Value>,
        place: &str,
        at: &str,
    ) -> (Option<&'static str>, bool) {
        let format = p
            .get("collectionFormat")
            .and_then(Value::as_str)
            .unwrap_or("csv");
        let comma = match place {
            "query" | "formData" => Some("form"),
            _ => None, // simple, the default of paths and headers
        };
        match format {
            "ssv" => (Some("spaceDelimited"), false),
            "pipes" => (Some("pipeDelimited"), false),
            "multi" => (Some("form"), true),
            "tsv" => {
                self.warnings.push(format!(
                    "#{at}/collectionFormat: tsv (tab-separated) has no OpenAPI 3 equivalent; values are read as comma-separated"
                ));
                (comma, false)
            }
            _ => (comma, false),
        }
    }

    /// The request body of an operation from its own and its path item's body
    /// or form parameters (the operation's win).
    pub(super) fn request_body(
        &mut self,
        shared: &Split,
        own: &Split,
        consumes: &[String],
        op_at: &str,
    ) -> Result<Option<Value>, Diagnostic> {
        let to = format!("{op_at}/requestBody");
        if let Some((p, p_at)) = own.body.as_ref().or(shared.body.as_ref()) {
            let Some(s) = p.get("schema") else {
                return Err(self.error(p_at, "a body parameter needs a `schema`"));
            };
            self.moves.add(to.clone(), p_at.clone());
            let examples = p.get("x-examples").and_then(Value::as_object);
            let mut content = Map::new();
            for mt in consumes {
                let mt_to = pointer::join(&to, ["content", mt]);
                self.moves
                    .add(format!("{mt_to}/schema"), format!("{p_at}/schema"));
                let mut media = json!({ "schema": schema(s) });
                if let Some(e) = examples.and_then(|e| e.get(mt)) {
                    media["example"] = e.clone();
                }
                content.insert(mt.clone(), media);
            }
            let mut body = json!({
                "required": p.get("required").cloned().unwrap_or(Value::Bool(false)),
                "content": content,
            });
            if let Some(d) = p.get("description") {
                body["description"] = d.clone();
            }
            return Ok(Some(body));
        }
        // Form fields: the path item's, then the operation's (which win by name).
        let mut fields: Vec<&(Value, String)> = Vec::new();
        for f in shared.form.iter().chain(&own.form) {
            let name = f.0.get("name");
            fields.retain(|g| g.0.get("name") != name);
            fields.push(f);
        }
        if fields.is_empty() {
            return Ok(None);
        }
        let file = fields
            .iter()
            .any(|(p, _)| p.get("type").and_then(Value::as_str) == Some("file"));
        const FORM: &str = "application/x-www-form-urlencoded";
        const MULTIPART: &str = "multipart/form-data";
        let mut types: Vec<&str> = consumes
            .iter()
            .map(String::as_str)
            .filter(|t| (*t == MULTIPART) || (*t == FORM && !file))
            .collect();
        if types.is_empty() {
            types.push(if file { MULTIPART } else { FORM });
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut encoding = Map::new();
        for (p, p_at) in fields {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                return Err(self.error(p_at, "a parameter needs a `name`"));
            };
            for mt in &types {
                let prop_to = pointer::join(&to, ["content", mt, "schema", "properties", name]);
                self.moves.add(prop_to, p_at.clone());
            }
            let Value::Object(pm) = p else { continue };
            properties.insert(name.to_string(), value_schema(pm));
            if p.get("required") == Some(&Value::Bool(true)) {
                required.push(Value::String(name.to_string()));
            }
            if p.get("type").and_then(Value::as_str) == Some("array") {
                let (style, explode) = self.style(pm, "formData", p_at);
                encoding.insert(
                    name.to_string(),
                    json!({ "style": style.unwrap_or("form"), "explode": explode }),
                );
            }
        }
        let mut form_schema = json!({ "type": "object", "properties": properties });
        if !required.is_empty() {
            form_schema["required"] = Value::Array(required.clone());
        }
        let mut content = Map::new();
        for mt in types {
            let mut media = json!({ "schema": form_schema });
            if mt == FORM && !encoding.is_empty() {
                media["encoding"] = Value::Object(encoding.clone());
            }
            content.insert(mt.to_string(), media);
        }
        Ok(Some(json!({
            "required": !required.is_empty(),
            "content": content,
        })))
    }
}

/// The schema of a non-body parameter, header or items: its type keywords.
fn value_schema(p: &Map<String, Value>) -> Value {
    let mut s = Map::new();
    for key in SCHEMA_KEYS {
        if let Some(v) = p.get(key) {
            let v = match (key, v) {
                ("items", Value::Object(items)) => value_schema(items),
                _ => v.clone(),
            };
            s.insert(key.to_string(), v);
        }
    }
    schema(&Value::Object(s))
}

/// A parameter or header (`x-example` as `example`) with its value keywords
/// moved into a `schema`, as OpenAPI 3.0 has them; `collectionFormat` is read
/// apart, as a style.
fn with_schema(p: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in p {
        match key.as_str() {
            "x-example" => {
                out.insert("example".into(), value.clone());
            }
            "collectionFormat" => {}
            k if SCHEMA_KEYS.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out.insert("schema".into(), value_schema(p));
    out
}
