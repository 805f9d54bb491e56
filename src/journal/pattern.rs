//! Request patterns: which journaled requests a test asks about, in WireMock's
//! shape (`method`, `url`, `urlPath`, `urlPathPattern`, `headers` with
//! `equalTo`/`contains`/`matches`/`absent`, `bodyPatterns`) plus the contract's
//! terms (`operationId`, `pathTemplate`, `session`, `valid`, `status`). Body
//! values are picked with JSON pointers (`/idType`). A pattern is matched
//! against what the journal shows, so a credential can never be probed through
//! it.

use indexmap::IndexMap;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::view::JournaledRequest;

/// A request pattern that cannot be used: a regular expression or JSON pointer
/// that does not parse, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request pattern is not usable: {0}")]
pub struct PatternError(pub(crate) String);

/// The largest compiled regular expression a pattern may hold.
const REGEX_LIMIT: usize = 1 << 20;

/// Which requests to count or find: every field given must match.
///
/// # Examples
///
/// ```
/// use mimeo::journal::{RequestPattern, StringMatcher};
///
/// // POSTs to CreateProfileIdentifier with a JSON body whose idType is "email".
/// let p = RequestPattern::new()
///     .method("POST")
///     .operation_id("CreateProfileIdentifier")
///     .header("content-type", StringMatcher::contains("json"))
///     .body_at("/idType", serde_json::json!("email"));
/// let same: RequestPattern = serde_json::from_value(serde_json::json!({
///     "method": "POST",
///     "operationId": "CreateProfileIdentifier",
///     "headers": {"content-type": {"contains": "json"}},
///     "bodyPatterns": [{"jsonPointer": "/idType", "equalToJson": "email"}]
/// }))?;
/// assert_eq!(p, same);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestPattern {
    /// `GET`, `POST`, ... (`ANY` for any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path and query, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The path, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
    /// A regular expression the whole path matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_path_pattern: Option<String>,
    /// A regular expression the whole path and query match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_pattern: Option<String>,
    /// The contract's path template of the operation the request matched
    /// (`/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_template: Option<String>,
    /// The operation the request matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// The request's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Header matchers by name (case-insensitive).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, StringMatcher>,
    /// Query parameter matchers by name (any value of the parameter may match).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query_parameters: IndexMap<String, StringMatcher>,
    /// Body matchers; all must match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_patterns: Vec<BodyPattern>,
    /// Whether an operation of the contract served the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_matched: Option<bool>,
    /// Whether the request kept the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// The status answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// How a text value must look; every field given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StringMatcher {
    /// Exactly this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal_to: Option<String>,
    /// Contains this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Matches this regular expression (the whole value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// Does not match this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub does_not_match: Option<String>,
    /// `true`: the value must be missing; `false`: present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<bool>,
    /// Compare `equalTo` and `contains` ignoring case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub case_insensitive: bool,
}

impl StringMatcher {
    /// Exactly `text`.
    pub fn equal_to(text: impl Into<String>) -> StringMatcher {
        StringMatcher {
            equal_to: Some(text.into()),
            ..StringMatcher::default()
        }
    }

    /// Contains `text`.
    pub fn contains(text: impl Into<String>) -> StringMatcher {
        StringMatcher {
            contains: Some(text.into()),
            ..StringMatcher::default()
        }
    }

    /// Matches the regular expression `re`.
    pub fn matches(re: impl Into<String>) -> StringMatcher {
        StringMatcher {
            matches: Some(re.into()),
            ..StringMatcher::default()
        }
    }

    /// Missing (`true`) or present (`false`).
    pub fn absent(absent: bool) -> StringMatcher {
        StringMatcher {
            absent: Some(absent),
            ..StringMatcher::default()
        }
    }
}

/// A matcher on the body: on the value at `jsonPointer` when given (the body
/// must be JSON), else on the whole body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BodyPattern {
    /// Where in the JSON body (RFC 6901, e.g. `/idType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_pointer: Option<String>,
    /// Equal to this JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal_to_json: Option<Value>,
    /// Text equal to this (a string value as is, anything else as JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal_to: Option<String>,
    /// Text containing this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Text matching this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// Text not matching this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub does_not_match: Option<String>,
    /// `true`: nothing at the pointer (or no body); `false`: something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<bool>,
    /// Compare text ignoring case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub case_insensitive: bool,
}

impl BodyPattern {
    fn text(&self) -> StringMatcher {
        StringMatcher {
            equal_to: self.equal_to.clone(),
            contains: self.contains.clone(),
            matches: self.matches.clone(),
            does_not_match: self.does_not_match.clone(),
            absent: self.absent,
            case_insensitive: self.case_insensitive,
        }
    }
}

impl RequestPattern {
    /// Matches every request.
    pub fn new() -> RequestPattern {
        RequestPattern::default()
    }

    /// Only this method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only requests that matched this operation.
    pub fn operation_id(mut self, id: impl Into<String>) -> Self {
        self.operation_id = Some(id.into());
        self
    }

    /// Only requests that matched the operation with this path template.
    pub fn path_template(mut self, template: impl Into<String>) -> Self {
        self.path_template = Some(template.into());
        self
    }

    /// Only this exact path.
    pub fn url_path(mut self, path: impl Into<String>) -> Self {
        self.url_path = Some(path.into());
        self
    }

    /// Only requests of this session.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Only requests whose header `name` matches.
    pub fn header(mut self, name: impl Into<String>, matcher: StringMatcher) -> Self {
        self.headers.insert(name.into(), matcher);
        self
    }

    /// Only requests whose JSON body has `value` at `pointer`.
    pub fn body_at(mut self, pointer: impl Into<String>, value: Value) -> Self {
        self.body_patterns.push(BodyPattern {
            json_pointer: Some(pointer.into()),
            equal_to_json: Some(value),
            ..BodyPattern::default()
        });
        self
    }

    /// Only requests that kept (`true`) or broke (`false`) the contract.
    pub fn valid(mut self, valid: bool) -> Self {
        self.valid = Some(valid);
        self
    }

    /// Checks the regular expressions and pointers: a mistake names the field.
    pub(crate) fn compile(&self) -> Result<Compiled<'_>, String> {
        let url_path_pattern = regex(self.url_path_pattern.as_deref(), "urlPathPattern", false)?;
        let url_pattern = regex(self.url_pattern.as_deref(), "urlPattern", false)?;
        let mut headers = Vec::new();
        for (name, m) in &self.headers {
            headers.push((
                name.to_ascii_lowercase(),
                TextMatch::new(m.clone(), &format!("headers.{name}"))?,
            ));
        }
        let mut query = Vec::new();
        for (name, m) in &self.query_parameters {
            query.push((
                name.as_str(),
                TextMatch::new(m.clone(), &format!("queryParameters.{name}"))?,
            ));
        }
        let mut body = Vec::new();
        for (i, b) in self.body_patterns.iter().enumerate() {
            if let Some(p) = b
                .json_pointer
                .as_deref()
                .filter(|p| !p.is_empty() && !p.starts_with('/'))
            {
                return Err(format!(
                    "bodyPatterns[{i}].jsonPointer `{p}` is not a JSON pointer (e.g. /idType)"
                ));
            }
            body.push((b, TextMatch::new(b.text(), &format!("bodyPatterns[{i}]"))?));
        }
        Ok(Compiled {
            pattern: self,
            url_path_pattern,
            url_pattern,
            headers,
            query,
            body,
        })
    }
}

fn regex(re: Option<&str>, field: &str, case_insensitive: bool) -> Result<Option<Regex>, String> {
    re.map(|re| {
        RegexBuilder::new(&format!("^(?:{re})$"))
            .case_insensitive(case_insensitive)
            .size_limit(REGEX_LIMIT)
            .build()
            .map_err(|e| format!("{field}: `{re}` is not a usable regular expression: {e}"))
    })
    .transpose()
}

/// A [`StringMatcher`] with its expressions compiled.
pub(crate) struct TextMatch {
    m: StringMatcher,
    matches: Option<Regex>,
    does_not_match: Option<Regex>,
}

impl TextMatch {
    fn new(m: StringMatcher, field: &str) -> Result<TextMatch, String> {
        Ok(TextMatch {
            matches: regex(
                m.matches.as_deref(),
                &format!("{field}.matches"),
                m.case_insensitive,
            )?,
            does_not_match: regex(
                m.does_not_match.as_deref(),
                &format!("{field}.doesNotMatch"),
                m.case_insensitive,
            )?,
            m,
        })
    }

    fn check(&self, value: Option<&str>) -> bool {
        let Some(v) = value else {
            return self.m.absent == Some(true);
        };
        if self.m.absent == Some(true) {
            return false;
        }
        let eq = |a: &str, b: &str| {
            if self.m.case_insensitive {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let has = |hay: &str, needle: &str| {
            if self.m.case_insensitive {
                hay.to_lowercase().contains(&needle.to_lowercase())
            } else {
                hay.contains(needle)
            }
        };
        self.m.equal_to.as_deref().is_none_or(|e| eq(v, e))
            && self.m.contains.as_deref().is_none_or(|c| has(v, c))
            && self.matches.as_ref().is_none_or(|re| re.is_match(v))
            && self
                .does_not_match
                .as_ref()
                .is_none_or(|re| !re.is_match(v))
    }
}

/// A pattern ready to match.
pub(crate) struct Compiled<'a> {
    pattern: &'a RequestPattern,
    url_path_pattern: Option<Regex>,
    url_pattern: Option<Regex>,
    headers: Vec<(String, TextMatch)>,
    query: Vec<(&'a str, TextMatch)>,
    body: Vec<(&'a BodyPattern, TextMatch)>,
}

impl Compiled<'_> {
    /// Whether the journaled request (as shown, `session` its raw name) matches.
    pub(crate) fn matches(&self, r: &JournaledRequest, session: &str) -> bool {
        let p = self.pattern;
        let url = r.request.url.as_str();
        let path = url.split_once('?').map_or(url, |(p, _)| p);
        let method_ok = p.method.as_deref().is_none_or(|m| {
            m.eq_ignore_ascii_case("ANY") || m.eq_ignore_ascii_case(&r.request.method)
        });
        let template = r
            .operation
            .as_deref()
            .and_then(|o| o.split_once(' '))
            .map(|(_, t)| t);
        method_ok
            && p.url.as_deref().is_none_or(|u| u == url)
            && p.url_path.as_deref().is_none_or(|u| u == path)
            && self
                .url_path_pattern
                .as_ref()
                .is_none_or(|re| re.is_match(path))
            && self.url_pattern.as_ref().is_none_or(|re| re.is_match(url))
            && p.path_template
                .as_deref()
                .is_none_or(|t| Some(t) == template)
            && p.operation_id
                .as_deref()
                .is_none_or(|id| Some(id) == r.operation_id.as_deref())
            && p.session
                .as_deref()
                .is_none_or(|s| crate::serve::session::named(s) == session)
            && p.was_matched.is_none_or(|m| m == r.was_matched)
            && p.valid.is_none_or(|v| v == r.valid)
            && p.status.is_none_or(|s| s == r.status)
            && self
                .headers
                .iter()
                .all(|(name, m)| m.check(r.request.headers.get(name).map(String::as_str)))
            && self
                .query
                .iter()
                .all(|(name, m)| match r.request.query_params.get(*name) {
                    None => m.check(None),
                    Some(values) => values.iter().any(|v| m.check(Some(v))),
                })
            && self.body_matches(&r.request.body)
    }

    fn body_matches(&self, body: &str) -> bool {
        if self.body.is_empty() {
            return true;
        }
        let json: Option<Value> = serde_json::from_str(body).ok();
        self.body.iter().all(|(b, text)| match &b.json_pointer {
            Some(ptr) => {
                let found = json.as_ref().and_then(|j| j.pointer(ptr));
                let Some(v) = found else {
                    return text.m.absent == Some(true) && b.equal_to_json.is_none();
                };
                let as_text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                b.equal_to_json.as_ref().is_none_or(|e| json_equal(e, v))
                    && text.check(Some(&as_text))
            }
            None => {
                b.equal_to_json
                    .as_ref()
                    .is_none_or(|e| json.as_ref().is_some_and(|j| json_equal(e, j)))
                    && text.check((!body.is_empty()).then_some(body))
            }
        })
    }
}

/// Whether `actual` is the JSON `expected` gives: the value itself, or, as
/// WireMock writes `equalToJson`, a string holding JSON text
/// (`"{\"idType\":\"email\"}"`).
fn json_equal(expected: &Value, actual: &Value) -> bool {
    expected == actual
        || matches!(expected, Value::String(s)
            if matches!(s.trim_start().as_bytes().first(), Some(b'{' | b'['))
                && serde_json::from_str::<Value>(s).is_ok_and(|e| &e == actual))
}
