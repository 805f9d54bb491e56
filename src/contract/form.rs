//! How a form body (`application/x-www-form-urlencoded`, `multipart/form-data`)
//! is read into the object its schema describes, worked out at load: each
//! property's kind, and its `encoding` (style and explode, as for query
//! parameters, or a `contentType` that makes it JSON). The reading itself is
//! `crate::validate::form`.

use serde_json::Value;

use super::kinds;
use super::model::{Style, ValueKind};
use crate::support::{media, pointer};

/// Which form a media type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormKind {
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
}

/// How one form body is read.
#[derive(Debug, Clone)]
pub(crate) struct FormShape {
    /// Url-encoded or multipart.
    pub(crate) form: FormKind,
    /// The declared properties, each with its kind and encoding.
    pub(crate) fields: Vec<Field>,
}

/// One declared property of a form body.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The property (and form key) name.
    pub(crate) name: String,
    /// How its text is read.
    pub(crate) kind: ValueKind,
    /// Its style (`form` unless the encoding says otherwise).
    pub(crate) style: Style,
    /// Exploded (`form`'s default).
    pub(crate) explode: bool,
    /// Its encoding's `contentType` is JSON: the text is parsed as JSON.
    pub(crate) json: bool,
}

/// The form a media type name is, if it is one.
pub(crate) fn form_kind(media_type: &str) -> Option<FormKind> {
    match media::essence(media_type) {
        e if e.eq_ignore_ascii_case("application/x-www-form-urlencoded") => {
            Some(FormKind::UrlEncoded)
        }
        e if e.eq_ignore_ascii_case("multipart/form-data") => Some(FormKind::Multipart),
        _ => None,
    }
}

/// How the form body of the media type object at `at` is read (its schema at
/// `at/schema`, its encodings at `at/encoding`).
pub(crate) fn shape(document: &Value, form: FormKind, at: &str) -> FormShape {
    let schema_at = format!("{at}/schema");
    let fields = match kinds::kind_at(document, &schema_at) {
        ValueKind::Object(props) => props
            .into_iter()
            .map(|(name, kind)| {
                let enc = pointer::get(document, &pointer::join(at, ["encoding", &name]));
                field(name, kind, enc, form)
            })
            .collect(),
        _ => Vec::new(),
    };
    FormShape { form, fields }
}

fn field(name: String, kind: ValueKind, enc: Option<&Value>, form: FormKind) -> Field {
    let style = match enc.and_then(|e| e.get("style")).and_then(Value::as_str) {
        Some("spaceDelimited") => Style::SpaceDelimited,
        Some("pipeDelimited") => Style::PipeDelimited,
        Some("deepObject") => Style::DeepObject,
        _ => Style::Form,
    };
    let explode = enc
        .and_then(|e| e.get("explode"))
        .and_then(Value::as_bool)
        .unwrap_or(style == Style::Form);
    let content_type = enc
        .and_then(|e| e.get("contentType"))
        .and_then(Value::as_str);
    // Multipart: an object's default content type is application/json (OpenAPI 3.0).
    let json = match content_type {
        Some(ct) => media::is_json(ct),
        None => form == FormKind::Multipart && matches!(kind, ValueKind::Object(_)),
    };
    Field {
        name,
        kind,
        style,
        explode,
        json,
    }
}
