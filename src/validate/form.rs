//! Form bodies read into the object their schema describes, so they are
//! validated exactly like JSON bodies, with the same violation messages:
//! `application/x-www-form-urlencoded` fields are read like query parameters
//! (repeated keys for arrays, each field's `encoding` style and explode,
//! numbers and booleans from text as the schema types them), and
//! `multipart/form-data` parts by name (repeated parts for arrays, JSON parts
//! for objects or where the encoding's `contentType` says so). Keys the schema
//! does not declare are kept as text, so `additionalProperties` still judges them.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::multipart;
use super::params::{brackets, query};
use super::styles::{decode, text, Raw};
use crate::contract::form::{Field, FormKind, FormShape};
use crate::contract::{Schemas, Style, ValueKind};

/// A field that cannot be read: its JSON pointer in the body and why.
pub(crate) type Unreadable = (String, String);

/// Reads a form body into a JSON object, or lists the fields that cannot be read.
pub(crate) fn read(
    schemas: &Schemas,
    shape: &FormShape,
    content_type: &str,
    body: &[u8],
) -> Result<Value, Vec<Unreadable>> {
    match shape.form {
        FormKind::UrlEncoded => urlencoded(schemas, shape, body),
        FormKind::Multipart => {
            let boundary = multipart::boundary(content_type).ok_or_else(|| {
                vec![(
                    String::new(),
                    "multipart/form-data needs a boundary parameter in Content-Type".into(),
                )]
            })?;
            let parts = multipart::parse(body, boundary).map_err(|e| vec![(String::new(), e)])?;
            Ok(from_parts(schemas, shape, &parts)?)
        }
    }
}

fn urlencoded(schemas: &Schemas, shape: &FormShape, body: &[u8]) -> Result<Value, Vec<Unreadable>> {
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = form_urlencoded::parse(body).collect();
    let mut out = Map::new();
    let mut errors = Vec::new();
    for f in &shape.fields {
        let Some(raw) = query(&f.name, f.style, f.explode, &f.kind, &pairs) else {
            continue;
        };
        let value = if f.json {
            match &raw {
                Raw::Texts(t) if t.len() == 1 => json(t[0]),
                _ => Err("expected one JSON value".into()),
            }
        } else {
            decode(schemas, &f.kind, f.style, f.explode, &raw)
        };
        match value {
            Ok(v) => {
                out.insert(f.name.clone(), v);
            }
            Err(e) => errors.push((pointer(&f.name), e)),
        }
    }
    for (k, v) in &pairs {
        if !shape.fields.iter().any(|f| claims(f, k)) {
            add_text(&mut out, k, Value::String(v.to_string()));
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// Whether form key `key` belongs to field `f`.
fn claims(f: &Field, key: &str) -> bool {
    if key == f.name {
        return true;
    }
    match (f.style, f.explode, &f.kind) {
        (Style::DeepObject, _, _) => key
            .strip_prefix(f.name.as_str())
            .and_then(brackets)
            .is_some(),
        (Style::Form, true, ValueKind::Object(props)) => props.iter().any(|(n, _)| n == key),
        _ => false,
    }
}

fn from_parts(
    schemas: &Schemas,
    shape: &FormShape,
    parts: &[multipart::Part<'_>],
) -> Result<Value, Vec<Unreadable>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for f in &shape.fields {
        let mine: Vec<&multipart::Part<'_>> = parts.iter().filter(|p| p.name == f.name).collect();
        if mine.is_empty() {
            continue;
        }
        let one = |p: &multipart::Part<'_>, kind: &ValueKind| -> Result<Value, String> {
            let body = String::from_utf8_lossy(p.body);
            let is_json = p
                .content_type
                .as_deref()
                .map_or(f.json, crate::support::media::is_json);
            if is_json {
                json(&body)
            } else {
                text(schemas, kind, &body)
            }
        };
        let value = match (&f.kind, mine.as_slice()) {
            (ValueKind::Array(item), many) if many.len() > 1 || !f.json => many
                .iter()
                .map(|p| one(p, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            (kind, [p]) => one(p, kind),
            (_, many) => Err(format!(
                "given in {} parts; a single value is expected",
                many.len()
            )),
        };
        match value {
            Ok(v) => {
                out.insert(f.name.clone(), v);
            }
            Err(e) => errors.push((pointer(&f.name), e)),
        }
    }
    for p in parts {
        if !shape.fields.iter().any(|f| f.name == p.name) {
            let v = String::from_utf8_lossy(p.body).into_owned();
            add_text(&mut out, &p.name, Value::String(v));
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// Adds an undeclared key's text; a repeated key becomes a list.
fn add_text(out: &mut Map<String, Value>, key: &str, v: Value) {
    match out.get_mut(key) {
        None => {
            out.insert(key.to_string(), v);
        }
        Some(Value::Array(items)) => items.push(v),
        Some(first) => {
            let first = std::mem::take(first);
            out.insert(key.to_string(), Value::Array(vec![first, v]));
        }
    }
}

fn json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("is not valid JSON: {e}"))
}

fn pointer(name: &str) -> String {
    crate::support::pointer::join("", [name])
}
