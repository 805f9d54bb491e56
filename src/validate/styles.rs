//! Reading serialized values as OpenAPI 3.0 defines the styles: `form` (exploded
//! repeated keys, or comma lists and `k,v` pairs), `spaceDelimited`,
//! `pipeDelimited`, `deepObject` (`created[gte]=1`, `lines[0][amount]=5`),
//! `simple`, `label` and `matrix`, and text read as the kind the schema gives
//! (numbers and booleans from strings). A value with several possible readings
//! (`oneOf`, `anyOf`, no `type`) is read every way that parses, and the schema
//! picks: "5" stays a string where a string branch takes it.

use serde_json::{Map, Value};

use crate::contract::{Alternatives, Schemas, Style, ValueKind};
use crate::support::limits::quoted;

/// Bounds what a deepObject key may build: nesting and array indices.
const MAX_DEPTH: usize = 16;
const MAX_INDEX: usize = 1_000;

/// The texts given under a value's name: nearly always one or two, kept
/// without an allocation.
pub(crate) type Texts<'a> = smallvec::SmallVec<[&'a str; 2]>;

/// What a request gave for one value, before its style is applied.
pub(crate) enum Raw<'a> {
    /// The texts given under the value's name, in order (one per repeated key).
    Texts(Texts<'a>),
    /// deepObject: each key's bracketed path after the name, with its text.
    Deep(Vec<(Vec<&'a str>, &'a str)>),
    /// An exploded form object: `key=value` pairs of its properties.
    Pairs(Vec<(&'a str, &'a str)>),
}

/// Reads `raw` as `kind` under `style`, letting `schemas` choose among the
/// readings of a value with alternatives.
pub(crate) fn decode(
    schemas: &Schemas,
    kind: &ValueKind,
    style: Style,
    explode: bool,
    raw: &Raw<'_>,
) -> Result<Value, String> {
    match (kind, raw) {
        (ValueKind::Alternatives(alt), _) => {
            choose(schemas, alt, |k| decode(schemas, k, style, explode, raw))
        }
        (_, Raw::Deep(d)) => deep(schemas, kind, d),
        (ValueKind::Array(item), _) => {
            let texts: Vec<&str> = match raw {
                Raw::Texts(t) => t.to_vec(),
                Raw::Deep(_) => Vec::new(),
                Raw::Pairs(p) => p.iter().map(|(_, v)| *v).collect(),
            };
            let items: Vec<&str> = match separator(style, explode) {
                None => texts,
                Some(sep) => texts
                    .iter()
                    .flat_map(|t| t.split(sep))
                    .filter(|_| !texts.iter().all(|t| t.is_empty()))
                    .collect(),
            };
            items
                .into_iter()
                .map(|s| text(schemas, item, s))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (ValueKind::Object(props), _) => match raw {
            Raw::Deep(_) => Ok(Value::Object(Map::new())),
            Raw::Pairs(p) => Ok(Value::Object(
                p.iter()
                    .map(|(k, v)| Ok(((*k).to_string(), text(schemas, prop(props, k), v)?)))
                    .collect::<Result<Map<_, _>, String>>()?,
            )),
            Raw::Texts(t) => match t.as_slice() {
                [one] => object_text(schemas, props, one, style, explode),
                many => Err(format!(
                    "given {} times; a single value is expected",
                    many.len()
                )),
            },
        },
        (_, _) => match raw {
            Raw::Texts(t) => match t.as_slice() {
                [one] => text(schemas, kind, one),
                many => Err(format!(
                    "given {} times; a single value is expected",
                    many.len()
                )),
            },
            _ => Err("expected a single value, not an object".into()),
        },
    }
}

/// The separator of array items (and object members) for a style; `None`:
/// one item per repeated key.
fn separator(style: Style, explode: bool) -> Option<char> {
    match (style, explode) {
        (Style::Form | Style::Matrix | Style::DeepObject, true) => None,
        (Style::SpaceDelimited, _) => Some(' '),
        (Style::PipeDelimited, _) => Some('|'),
        (Style::Label, true) => Some('.'),
        _ => Some(','),
    }
}

/// An object given as one text: JSON, `k=v,k=v` (exploded) or `k,v,k,v`.
fn object_text(
    schemas: &Schemas,
    props: &[(String, ValueKind)],
    s: &str,
    style: Style,
    explode: bool,
) -> Result<Value, String> {
    if s.trim_start().starts_with('{') {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str(s) {
            return Ok(v);
        }
    }
    let sep = separator(style, false).unwrap_or(',');
    let mut out = Map::new();
    if s.is_empty() {
        return Ok(Value::Object(out));
    }
    if explode {
        for member in s.split(sep) {
            let (k, v) = member
                .split_once('=')
                .ok_or_else(|| format!("expected key=value pairs, got `{}`", super::shorten(s)))?;
            out.insert(k.to_string(), text(schemas, prop(props, k), v)?);
        }
    } else {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() % 2 != 0 {
            return Err(format!(
                "expected key{sep}value pairs, got `{}`",
                super::shorten(s)
            ));
        }
        for kv in parts.chunks(2) {
            out.insert(kv[0].to_string(), text(schemas, prop(props, kv[0]), kv[1])?);
        }
    }
    Ok(Value::Object(out))
}

fn prop<'k>(props: &'k [(String, ValueKind)], name: &str) -> &'k ValueKind {
    static ANY: std::sync::OnceLock<ValueKind> = std::sync::OnceLock::new();
    props
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, k)| k)
        .unwrap_or_else(|| ANY.get_or_init(|| ValueKind::any(None)))
}

/// Builds a value from deepObject keys (`[gte]`, `[0][amount]`, `[]`), each
/// level read as the kind the schema gives it.
fn deep(schemas: &Schemas, kind: &ValueKind, pairs: &[(Vec<&str>, &str)]) -> Result<Value, String> {
    let mut root = Value::Null;
    for (path, v) in pairs {
        if path.len() > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        insert(&mut root, path, v)?;
    }
    typed(schemas, kind, root)
}

/// Places `text` at `path` in a tree of objects (and arrays, for `[]` and
/// numeric keys), still as strings.
fn insert(at: &mut Value, path: &[&str], text: &str) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *at = Value::String(text.to_string());
        return Ok(());
    };
    let index = if first.is_empty() {
        Some(usize::MAX) // `[]`: append.
    } else {
        first.parse::<usize>().ok()
    };
    if at.is_null() {
        *at = if index.is_some() {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        };
    }
    match (at, index) {
        (Value::Array(items), Some(i)) => {
            let i = if i == usize::MAX { items.len() } else { i };
            if i > MAX_INDEX {
                return Err(format!("index {i} is larger than {MAX_INDEX}"));
            }
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            insert(&mut items[i], rest, text)
        }
        (Value::Object(map), _) => insert(
            map.entry(first.to_string()).or_insert(Value::Null),
            rest,
            text,
        ),
        (Value::Array(_), None) => Err(format!("`[{}]` mixes keys into a list", quoted(first))),
        _ => Err(format!(
            "`[{}]` is given both as a value and as a key",
            quoted(first)
        )),
    }
}

/// Reads the strings of a tree built from deepObject keys as `kind` says.
fn typed(schemas: &Schemas, kind: &ValueKind, v: Value) -> Result<Value, String> {
    match (kind, v) {
        (ValueKind::Alternatives(alt), v) => choose(schemas, alt, |k| typed(schemas, k, v.clone())),
        (_, Value::String(s)) => text(schemas, kind, &s),
        (ValueKind::Array(item), Value::Array(items)) => items
            .into_iter()
            .map(|i| typed(schemas, item, i))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (ValueKind::Object(props), Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| Ok((k.clone(), typed(schemas, prop(props, &k), v)?)))
            .collect::<Result<Map<_, _>, String>>()
            .map(Value::Object),
        (ValueKind::Array(_), Value::Object(_)) => Err("expected a list, got keys".into()),
        (ValueKind::Object(_), v @ Value::Array(_)) => Ok(v),
        (_, Value::Null) => Ok(Value::Null),
        (_, v) => Err(format!(
            "expected a single value, got {}",
            if v.is_array() { "a list" } else { "keys" }
        )),
    }
}

/// Reads one text as `kind` (a scalar; an array or object given as one text).
pub(crate) fn text(schemas: &Schemas, kind: &ValueKind, s: &str) -> Result<Value, String> {
    match kind {
        ValueKind::Alternatives(alt) => choose(schemas, alt, |k| text(schemas, k, s)),
        ValueKind::Array(_) | ValueKind::Object(_) => decode(
            schemas,
            kind,
            Style::Form,
            false,
            &Raw::Texts(smallvec::smallvec![s]),
        ),
        _ => super::parse_text(kind, s),
    }
}

/// Every reading that parses, the first the schema at `alt.at` takes (else the
/// first that parses, whose violations are then the ones reported).
fn choose(
    schemas: &Schemas,
    alt: &Alternatives,
    read: impl Fn(&ValueKind) -> Result<Value, String>,
) -> Result<Value, String> {
    let mut first: Option<Result<Value, String>> = None;
    for kind in &alt.kinds {
        let reading = read(kind);
        if let (Ok(v), Some(at)) = (&reading, &alt.at) {
            if schemas.is_valid_at(at, v) {
                return reading;
            }
        } else if reading.is_ok() && alt.at.is_none() {
            return reading;
        }
        match (&first, &reading) {
            (None, _) | (Some(Err(_)), Ok(_)) => first = Some(reading),
            _ => {}
        }
    }
    first.unwrap_or_else(|| Err("no reading of the value fits".into()))
}
