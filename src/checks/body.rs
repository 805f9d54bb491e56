//! The checks of an answer's JSON body: that it is JSON, that it keeps its
//! schema, that it has no member the schema does not declare. Their verdict
//! depends on the contract, the schema and the bytes only, so each thread
//! keeps it for bytes judged before ([`SeenBodies`]): a target answers the
//! same bodies again and again.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use hyper::header::HeaderMap;
use serde_json::Value;

use super::{more, AnswerBody, Check, CheckFailure, MAX_DECODED};
use crate::contract::schema::SchemaId;
use crate::contract::Contract;
use crate::support::limits::{self, Capped, MAX_LISTED};
use crate::support::pointer;
use crate::support::seen::{self, SeenBodies};

/// The body checks of `answer`, documented by `schema` (`None`: JSON, no
/// schema), decoded first when its headers say it is coded; `Err` when it
/// does not decode. One sent as is is read once for every check
/// ([`AnswerBody::json`]), and judged once per thread for the same bytes.
pub(super) fn judge(
    contract: &Contract,
    schema: Option<SchemaId>,
    headers: &HeaderMap,
    answer: &AnswerBody<'_>,
) -> Result<Rc<BodyVerdict>, String> {
    let body = answer.bytes();
    match crate::http::coding::decode(headers, body, MAX_DECODED) {
        Ok(Some(d)) => {
            let decoded = serde_json::from_slice::<Value>(&d).map_err(|e| e.to_string());
            let parsed = decoded.as_ref().map_err(String::as_str);
            Ok(Rc::new(judge_body(contract, schema, parsed)))
        }
        Ok(None) => {
            let (uid, id) = (contract.profile.uid.0, SchemaId::memo_id(schema));
            Ok(seen::get_in(&BODIES, uid, id, body).unwrap_or_else(|| {
                let made = Rc::new(judge_body(contract, schema, answer.json()));
                let weight = made.failures.iter().map(|f| f.message.len()).sum();
                seen::keep_in(&BODIES, uid, id, body, made.clone(), weight);
                made
            }))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// What the body checks found in one JSON body (see [`judge_body`]).
#[derive(Default)]
pub(super) struct BodyVerdict {
    /// Whether the body was walked for undeclared members (it is JSON and a
    /// schema documents it).
    pub(super) walked: bool,
    pub(super) failures: Vec<CheckFailure>,
    pub(super) unlisted: Vec<(Check, usize)>,
}

thread_local! {
    /// Verdicts about answers' bodies: the same bytes against the same schema
    /// are judged the same, and a target answers the same bodies again and
    /// again (parsing and judging one took a seventh of a proxied request's
    /// instructions).
    static BODIES: RefCell<SeenBodies<Rc<BodyVerdict>>> =
        const { RefCell::new(SeenBodies::new()) };
}

/// The body checks of an answer read as `parsed`, against `schema` when its
/// media type has one: JSON at all, the schema's rules, undeclared members.
fn judge_body(
    contract: &Contract,
    schema: Option<SchemaId>,
    parsed: Result<&Value, &str>,
) -> BodyVerdict {
    let mut verdict = BodyVerdict::default();
    let out = &mut verdict.failures;
    let fail = |out: &mut Vec<CheckFailure>, check: Check, message: String| {
        out.push(CheckFailure { check, message })
    };
    let value: &Value = match parsed {
        Ok(v) => v,
        Err(e) => {
            fail(out, Check::BodySchema, format!("the body is not JSON: {e}"));
            return verdict;
        }
    };
    let Some(s) = schema else {
        return verdict;
    };
    verdict.walked = true;
    let found = contract.schemas.violations(s, value);
    for v in &found.items {
        let at = if v.pointer.is_empty() {
            "/"
        } else {
            v.pointer.as_str()
        };
        fail(
            out,
            Check::BodySchema,
            format!(
                "at {}: {}: {}",
                limits::truncate(at, 200),
                v.rule,
                v.message
            ),
        );
    }
    let unlisted = &mut verdict.unlisted;
    more(
        out,
        unlisted,
        Check::BodySchema,
        &found,
        "violations of the schema",
    );
    let mut extra = Capped::default();
    let mut walk = Walk {
        doc: &contract.document,
        at: Vec::new(),
        out: &mut extra,
        work: UNDOCUMENTED_WORK,
    };
    let root = contract
        .schemas
        .resolved_source(s)
        .unwrap_or_else(|| contract.schemas.source(s));
    walk.undocumented(root, value, 0);
    for p in &extra.items {
        fail(
            out,
            Check::UndocumentedFields,
            format!("{} is not declared by the schema", limits::truncate(p, 200)),
        );
    }
    more(
        out,
        unlisted,
        Check::UndocumentedFields,
        &extra,
        "undeclared members",
    );
    verdict
}

/// Values and schema branches [`Walk::undocumented`] may visit for one body: a
/// schema whose compositions multiply cannot make the walk unbounded.
const UNDOCUMENTED_WORK: usize = 1_000_000;

/// The walk looking for undeclared members.
struct Walk<'a, 'v, 'o> {
    doc: &'a Value,
    /// Where the value being looked at is. A JSON pointer is written only for a
    /// member reported: most bodies have none, and escaping every name cost more.
    at: Vec<Step<'v>>,
    out: &'o mut Capped<String>,
    /// Work left (values times branches).
    work: usize,
}

/// One step of [`Walk::at`].
enum Step<'v> {
    Member(&'v str),
    Item(usize),
}

impl<'a, 'v> Walk<'a, 'v, '_> {
    /// The JSON pointer of member `name` of the value being looked at.
    fn pointer_to(&self, name: &str) -> String {
        let mut at = String::new();
        for step in &self.at {
            match step {
                Step::Member(k) => pointer::push(&mut at, k),
                Step::Item(i) => {
                    let _ = write!(at, "/{i}");
                }
            }
        }
        pointer::push(&mut at, name);
        at
    }

    /// Collects JSON pointers of object members no schema branch declares. Objects
    /// whose schema declares no properties (free-form maps) are not judged. When
    /// the work budget runs out the rest is not looked at (`open` says so).
    fn undocumented(&mut self, schema: &'a Value, value: &'v Value, depth: usize) {
        if depth > 32 {
            return;
        }
        // A scalar has no members: its schema need not be resolved (most values
        // of a body are scalars). It still counts as one unit of work.
        if !matches!(value, Value::Object(_) | Value::Array(_)) {
            self.work = self.work.saturating_sub(1);
            return;
        }
        let Some(root) = Node::resolve(self.doc, schema) else {
            return;
        };
        // Most schemas compose nothing: their one branch needs no list.
        let many;
        let branches: &[Node<'a>] = if root.composes() {
            many = branches(self.doc, root);
            &many
        } else {
            std::slice::from_ref(&root)
        };
        let cost = branches.len().max(1);
        if self.work < cost {
            self.out.open = true;
            return;
        }
        self.work -= cost;
        match value {
            Value::Object(map) => {
                let declares = branches
                    .iter()
                    .any(|b| b.properties.is_some_and(Value::is_object));
                let open_map = branches.iter().any(|b| b.open);
                for (k, v) in map {
                    let prop = branches
                        .iter()
                        .find_map(|b| b.properties.and_then(|p| p.get(k)));
                    match prop {
                        Some(p) => {
                            self.at.push(Step::Member(k));
                            self.undocumented(p, v, depth + 1);
                            self.at.pop();
                        }
                        None if declares && !open_map => {
                            let at = self.pointer_to(k);
                            self.out.push_limited(at, MAX_LISTED);
                        }
                        None => {}
                    }
                    if self.out.open {
                        return;
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = branches.iter().find_map(|b| b.items) {
                    for (i, v) in items.iter().enumerate() {
                        self.at.push(Step::Item(i));
                        self.undocumented(item_schema, v, depth + 1);
                        self.at.pop();
                        if self.out.open {
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// What [`Walk::undocumented`] reads of one schema object, gathered in one pass
/// over its members (instead of a hashed look-up per keyword).
#[derive(Clone, Copy)]
struct Node<'a> {
    /// The schema itself.
    schema: &'a Value,
    /// `$ref`, when it is a string.
    reference: Option<&'a str>,
    /// `properties`, whatever it is.
    properties: Option<&'a Value>,
    /// `additionalProperties` is a schema object, or `patternProperties` is present.
    open: bool,
    /// `items`, when it is a schema object.
    items: Option<&'a Value>,
    /// `allOf`, `oneOf` and `anyOf`, when they are arrays.
    compositions: [Option<&'a Vec<Value>>; 3],
}

impl<'a> Node<'a> {
    fn read(schema: &'a Value) -> Node<'a> {
        let mut node = Node {
            schema,
            reference: None,
            properties: None,
            open: false,
            items: None,
            compositions: [None; 3],
        };
        if let Value::Object(members) = schema {
            for (k, v) in members {
                match k.as_str() {
                    "$ref" => node.reference = v.as_str(),
                    "properties" => node.properties = Some(v),
                    "additionalProperties" => node.open |= v.is_object(),
                    "patternProperties" => node.open = true,
                    "items" => node.items = Some(v).filter(|i| i.is_object()),
                    "allOf" => node.compositions[0] = v.as_array(),
                    "oneOf" => node.compositions[1] = v.as_array(),
                    "anyOf" => node.compositions[2] = v.as_array(),
                    _ => {}
                }
            }
        }
        node
    }

    /// The node of `schema` with its `$ref`s followed (as `schema::resolve` follows them).
    fn resolve(doc: &'a Value, mut schema: &'a Value) -> Option<Node<'a>> {
        for _ in 0..32 {
            let node = Node::read(schema);
            match node.reference {
                Some(r) => schema = pointer::fragment(doc, r.strip_prefix('#')?)?,
                None => return Some(node),
            }
        }
        None
    }

    fn composes(&self) -> bool {
        self.compositions.iter().any(Option::is_some)
    }
}

/// A schema and everything it composes (allOf/oneOf/anyOf), refs resolved.
/// Each schema appears once (a self-referencing composition cannot multiply), and
/// at most 64 are collected.
fn branches<'a>(doc: &'a Value, root: Node<'a>) -> Vec<Node<'a>> {
    let mut out: Vec<Node<'a>> = vec![root];
    let mut i = 0;
    while i < out.len() && out.len() < 64 {
        let current = out[i];
        for list in current.compositions.into_iter().flatten() {
            for item in list {
                if let Some(r) = Node::resolve(doc, item) {
                    if !out.iter().any(|seen| std::ptr::eq(seen.schema, r.schema)) && out.len() < 64
                    {
                        out.push(r);
                    }
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{check_response, Checked};
    use hyper::header::{HeaderValue, CONTENT_TYPE};

    #[test]
    fn undeclared_members_are_named_by_their_json_pointer() {
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{"200":{"description":"ok","content":{"application/json":{
            "schema":{"$ref":"#/components/schemas/Top"}}}}}}}},
            "components":{"schemas":{
              "Top":{"type":"object","properties":{"a/b":{"type":"array","items":{"$ref":"#/components/schemas/Item"}},
                "free":{"type":"object"},"more":{"allOf":[{"$ref":"#/components/schemas/Item"},{"type":"object","properties":{"z":{"type":"integer"}}}]}}},
              "Item":{"type":"object","properties":{"n":{"type":"integer"}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        let op = contract.operation_by_id("x").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"a/b":[{"n":1},{"n":2,"x~y":3}],"free":{"any":1},"more":{"n":1,"z":2,"w":3},"top":0}"#;
        let checked = check_response(&contract, op, 200, &headers, body, None);
        let found: Vec<&str> = checked
            .failures
            .iter()
            .filter(|f| f.check == Check::UndocumentedFields)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(
            found,
            [
                "/a~1b/1/x~0y is not declared by the schema",
                "/more/w is not declared by the schema",
                "/top is not declared by the schema",
            ]
        );
    }

    #[test]
    fn a_body_seen_again_is_judged_as_it_was_and_only_by_its_own_schema() {
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{
              "200":{"description":"ok","content":{"application/json":{"schema":{
                "type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}}}},
              "201":{"description":"made","content":{"application/json":{"schema":{
                "type":"object","properties":{"b":{"type":"string"}}}}}}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        let op = contract.operation_by_id("x").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = br#"{"b":1}"#;
        // (The memo keeps a body judged twice: the third check finds it.)
        let first = check_response(&contract, op, 200, &headers, body, None);
        check_response(&contract, op, 200, &headers, body, None);
        let again = check_response(&contract, op, 200, &headers, body, None);
        let messages = |c: &Checked| {
            c.failures
                .iter()
                .map(|f| format!("{}: {}", f.check.name(), f.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&first).len(), 2, "{:?}", messages(&first));
        assert_eq!(messages(&again), messages(&first));
        assert_eq!(again.ran, first.ran);
        assert!(first.ran.contains(&Check::UndocumentedFields));
        // The same bytes under another status are judged by that status's schema.
        let other = check_response(&contract, op, 201, &headers, body, None);
        assert_eq!(
            messages(&other),
            ["body_schema: at /b: type: 1 is not of type \"string\""]
        );
        // Not JSON, seen twice: the same failure, and no walk.
        let broken = check_response(&contract, op, 200, &headers, b"{", None);
        check_response(&contract, op, 200, &headers, b"{", None);
        let broken_again = check_response(&contract, op, 200, &headers, b"{", None);
        assert_eq!(messages(&broken_again), messages(&broken));
        assert!(!broken_again.ran.contains(&Check::UndocumentedFields));
        // Another contract, its schema at the same place changed: judged by its own.
        let changed =
            Contract::from_text("t.json", &doc.replace(r#""required":["a"],"#, "")).unwrap();
        let op = changed.operation_by_id("x").unwrap();
        let fresh = check_response(&changed, op, 200, &headers, body, None);
        assert_eq!(
            messages(&fresh),
            ["undocumented_fields: /b is not declared by the schema"]
        );
    }

    #[test]
    fn an_answer_checked_from_a_thread_locals_destructor_is_judged_without_the_memo() {
        struct Late(Option<Contract>);
        impl Drop for Late {
            fn drop(&mut self) {
                let Some(contract) = self.0.take() else {
                    return;
                };
                let op = contract.operation_by_id("x").unwrap();
                let mut headers = HeaderMap::new();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                let checked = check_response(&contract, op, 200, &headers, b"{", None);
                assert_eq!(checked.failures.len(), 1);
            }
        }
        thread_local! {
            static LATE: std::cell::RefCell<Late> = const { std::cell::RefCell::new(Late(None)) };
        }
        let doc = r##"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
            "operationId":"x","responses":{"200":{"description":"ok","content":{"application/json":{
            "schema":{"type":"object"}}}}}}}}}"##;
        let contract = Contract::from_text("t.json", doc).unwrap();
        // The memo is made after `LATE`, so it is gone when `LATE` is dropped.
        std::thread::spawn(move || {
            let own = Contract::from_text("t.json", doc).unwrap();
            LATE.with(|l| l.borrow_mut().0 = Some(own));
            let op = contract.operation_by_id("x").unwrap();
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            check_response(&contract, op, 200, &headers, b"{", None);
        })
        .join()
        .unwrap();
    }
}
