//! Path, query, header and cookie parameters: each found where its location
//! and style put it (a deepObject's `name[...]` keys, an exploded form object's
//! property keys, a matrix segment's `;name=`), read as its schema's kind, and
//! validated by its schema, every violation named by place and rule.

use std::borrow::Cow;

use smallvec::smallvec;

use super::styles::{decode, Raw, Texts};
use super::{
    cookies, count_rest, push, schema_message, shorten, violation, RequestParts, Violation,
};
use crate::contract::{Contract, ParamIn, Parameter, Style, ValueKind};
use crate::support::limits::Capped;
use crate::support::recent::Recent;
use crate::support::seen::Sightings;

/// Validates every parameter of the operation, adding what is wrong to `out`.
pub(super) fn validate_params(
    contract: &Contract,
    params: &[Parameter],
    req: &RequestParts<'_>,
    out: &mut Capped<Violation>,
) {
    for p in params {
        if p.location == ParamIn::Header && is_reserved_header(&p.name) {
            continue; // OpenAPI: these header parameters are ignored.
        }
        let raw = match gather(p, req) {
            Ok(raw) => raw,
            Err(why) => {
                push(out, violation(p.location.into(), &p.name, "encoding", why));
                continue;
            }
        };
        let Some(raw) = raw else {
            if p.required {
                push(
                    out,
                    violation(
                        p.location.into(),
                        &p.name,
                        "required",
                        "is required but missing".into(),
                    ),
                );
            }
            continue;
        };
        if p.allow_empty && matches!(&raw, Raw::Texts(t) if t.iter().all(|t| t.is_empty())) {
            continue; // allowEmptyValue: `?name=` stands for a value left out.
        }
        let single = match &raw {
            Raw::Texts(t) if t.len() == 1 && t[0].len() <= MAX_REMEMBERED => Some(t[0]),
            _ => None,
        };
        if single.is_some_and(|text| valid_before(contract, p, text)) {
            continue;
        }
        let value = match decode(&contract.schemas, &p.kind, p.style, p.explode, &raw) {
            Ok(v) => v,
            Err(message) => {
                push(out, violation(p.location.into(), &p.name, "type", message));
                continue;
            }
        };
        let invalid = p.schema.filter(|&s| !contract.schemas.is_valid(s, &value));
        if let (None, Some(text)) = (invalid, single) {
            remember_valid(contract, p, text);
        }
        if let Some(schema) = invalid {
            let found = contract.schemas.violations(schema, &value);
            count_rest(out, &found);
            for v in found.items {
                let name = if v.pointer.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}{}", p.name, v.pointer)
                };
                push(
                    out,
                    violation(p.location.into(), &name, &v.rule, schema_message(&v)),
                );
            }
        }
    }
}

/// The longest text [`remember_valid`] keeps.
const MAX_REMEMBERED: usize = 128;

thread_local! {
    /// The last texts found valid, by contract and by the parameter's way of
    /// reading them ([`Parameter::reading`], shared by every operation's
    /// `profileId`): a client sends the same values on request after request
    /// (its account's or store's id, a page size), and a value's validity
    /// depends on nothing else, so a repeated one skips decoding and the schema (a pattern's match
    /// is most of a request's parameter checks). Invalid values are checked
    /// every time, for their violations.
    static VALID: std::cell::RefCell<Recent<ValidKey, (), 16>> =
        const { std::cell::RefCell::new(Recent::new()) };
}

/// A text found valid: its contract (schemas' uid), the parameter's way of
/// reading it ([`Parameter::reading`]), the text.
type ValidKey = (u64, usize, Box<str>);

/// Whether `text` was found valid for `p` lately on this thread.
fn valid_before(contract: &Contract, p: &Parameter, text: &str) -> bool {
    let (uid, at) = (contract.schemas.uid(), p.reading);
    VALID.with(|v| {
        v.borrow()
            .find(|(u, a, t)| *u == uid && *a == at && **t == *text)
            .is_some()
    })
}

fn remember_valid(contract: &Contract, p: &Parameter, text: &str) {
    let (uid, at) = (contract.schemas.uid(), p.reading);
    // Kept on its second sighting: a fresh id on every request would only push
    // out the values that repeat, at the cost of a copy.
    use std::hash::BuildHasher as _;
    let hash = foldhash::fast::FixedState::default().hash_one((uid, at, text));
    if SIGHTED.with_borrow_mut(|sighted| sighted.again(hash)) {
        let key = (uid, at, Box::from(text));
        VALID.with(|v| v.borrow_mut().keep(key, ()));
    }
}

thread_local! {
    /// The values [`remember_valid`] met once lately.
    static SIGHTED: std::cell::RefCell<Sightings<64>> =
        const { std::cell::RefCell::new(Sightings::new()) };
}

/// Whether path parameter `p`'s value in `path`, read in its style, keeps its
/// schema: what tells apart operations whose paths have the same shape.
pub(super) fn path_value_valid(
    contract: &Contract,
    p: &Parameter,
    path: &[(&str, Result<Cow<'_, str>, String>)],
) -> bool {
    let Some((_, Ok(text))) = path.iter().find(|(n, _)| *n == p.name) else {
        return false;
    };
    let Ok(texts) = path_texts(p, text) else {
        return false;
    };
    decode(
        &contract.schemas,
        &p.kind,
        p.style,
        p.explode,
        &Raw::Texts(texts),
    )
    .is_ok_and(|value| {
        p.schema
            .is_none_or(|s| contract.schemas.is_valid(s, &value))
    })
}

/// What the request gave for `p` (`None`: nothing), or why it cannot be read.
fn gather<'a>(p: &Parameter, req: &'a RequestParts<'a>) -> Result<Option<Raw<'a>>, String> {
    let raw = match p.location {
        ParamIn::Path => {
            let Some((_, given)) = req.path.iter().find(|(n, _)| *n == p.name) else {
                return Ok(None);
            };
            let text: &str = given.as_ref().map_err(Clone::clone)?;
            Raw::Texts(path_texts(p, text)?)
        }
        ParamIn::Query => return Ok(query(&p.name, p.style, p.explode, &p.kind, req.query)),
        ParamIn::Header => {
            // Several lines of a list header are one list (RFC 9110): each is
            // split, and a list's items may have white space around them
            // (`X-Ids: 1, 2, 3`, RFC 9110 5.6.1).
            let array = matches!(p.kind, ValueKind::Array(_));
            let lines: Texts<'_> = req
                .headers
                .get_all(p.name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| {
                    let items = if array {
                        v.split(',').collect()
                    } else {
                        vec![v]
                    };
                    items.into_iter().map(str::trim)
                })
                .collect();
            if lines.is_empty() {
                return Ok(None);
            }
            Raw::Texts(lines)
        }
        ParamIn::Cookie => {
            let values: Texts<'_> = cookies(req.headers)
                .filter(|(k, _)| *k == p.name)
                .map(|(_, v)| v)
                .collect();
            if values.is_empty() {
                return Ok(None);
            }
            Raw::Texts(values)
        }
    };
    Ok(Some(raw))
}

/// The texts of a path parameter after its style's prefix: `.a.b` (label),
/// `;id=a;id=b` (matrix), `a,b` (simple).
fn path_texts<'a>(p: &Parameter, text: &'a str) -> Result<Texts<'a>, String> {
    match p.style {
        Style::Label => text.strip_prefix('.').map(|t| smallvec![t]).ok_or_else(|| {
            format!(
                "expected a label value starting with `.`, got `{}`",
                shorten(text)
            )
        }),
        Style::Matrix => {
            let mut values = Texts::new();
            for part in text.split(';').skip(1) {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                if k == p.name || (p.explode && matches!(p.kind, ValueKind::Object(_))) {
                    values.push(if k == p.name { v } else { part });
                }
            }
            if !text.starts_with(';') || values.is_empty() {
                return Err(format!(
                    "expected `;{}=...` (matrix style), got `{}`",
                    p.name,
                    shorten(text)
                ));
            }
            Ok(values)
        }
        _ => Ok(smallvec![text]),
    }
}

/// A query parameter's (or url-encoded form field's) texts: repeated keys, a
/// deepObject's `name[...]` keys, or an exploded form object's property keys.
pub(super) fn query<'a>(
    name: &str,
    style: Style,
    explode: bool,
    kind: &ValueKind,
    pairs: &'a [(Cow<'a, str>, Cow<'a, str>)],
) -> Option<Raw<'a>> {
    let named = || {
        pairs
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
            .collect::<Texts<'_>>()
    };
    if style == Style::DeepObject {
        let deep: Vec<(Vec<&str>, &str)> = pairs
            .iter()
            .filter_map(|(k, v)| Some((brackets(k.strip_prefix(name)?)?, v.as_ref())))
            .collect();
        if !deep.is_empty() {
            return Some(Raw::Deep(deep));
        }
        let texts = named();
        return (!texts.is_empty()).then_some(Raw::Texts(texts));
    }
    let texts = named();
    if !texts.is_empty() {
        return Some(Raw::Texts(texts));
    }
    // form, exploded: an object's properties are keys of their own (`R=1&G=2`).
    if let (Style::Form, true, ValueKind::Object(props)) = (style, explode, kind) {
        let found: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(k, _)| props.iter().any(|(n, _)| n == k))
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        if !found.is_empty() {
            return Some(Raw::Pairs(found));
        }
    }
    None
}

/// `[a][0][]` as `["a", "0", ""]`; `None` unless the text is only brackets.
pub(super) fn brackets(mut s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    if s.is_empty() {
        return None;
    }
    while !s.is_empty() {
        let rest = s.strip_prefix('[')?;
        let end = rest.find(']')?;
        out.push(&rest[..end]);
        s = &rest[end + 1..];
    }
    Some(out)
}

fn is_reserved_header(name: &str) -> bool {
    ["accept", "content-type", "authorization"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::HeaderMap;

    fn doc(pattern: &str) -> String {
        format!(
            r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
              "paths": {{"/a/{{id}}": {{"get": {{
                "parameters": [{{"name": "id", "in": "path", "required": true,
                                "schema": {{"type": "string", "pattern": "{pattern}"}}}}],
                "responses": {{"200": {{"description": "ok"}}}}}}}}}}}}"#
        )
    }

    fn violations(contract: &Contract, id: &str) -> usize {
        let op = contract.operation("GET", "/a/{id}").unwrap();
        let path = [("id", Ok(Cow::Borrowed(id)))];
        let headers = HeaderMap::new();
        let req = RequestParts {
            path: &path,
            query: &[],
            headers: &headers,
            body: None,
        };
        let mut out = Capped::default();
        validate_params(contract, &op.params, &req, &mut out);
        out.items.len()
    }

    #[test]
    fn a_value_remembered_valid_is_valid_for_its_contract_only() {
        let digits = Contract::from_text("a.json", &doc("^[0-9]+$")).unwrap();
        let letters = Contract::from_text("b.json", &doc("^[a-z]+$")).unwrap();
        // Checked, then remembered: the same answer either way.
        assert_eq!(violations(&digits, "123"), 0);
        assert_eq!(violations(&digits, "123"), 0);
        // An invalid value is reported every time (never remembered).
        assert_eq!(violations(&digits, "abc"), 1);
        assert_eq!(violations(&digits, "abc"), 1);
        // The other contract's parameter is judged by its own schema, whatever
        // this thread remembers of the first.
        assert_eq!(violations(&letters, "123"), 1);
        assert_eq!(violations(&letters, "abc"), 0);
        // More values than are remembered: each still judged right.
        for i in 0..40 {
            assert_eq!(violations(&digits, &i.to_string()), 0);
            assert_eq!(violations(&letters, &i.to_string()), 1);
        }
        assert_eq!(violations(&digits, "12x"), 1);
    }
}
