//! Whether a value satisfies a schema, as the contract's validators say.
//!
//! The generator regenerates a value that fails the schema it was made for (a
//! combination of keywords it does not fully honour, a `oneOf` whose branches
//! overlap). That question has one answer in mimeo: the contract's compiled
//! `jsonschema` validators (see `contract::schema`), the very ones the mock checks
//! its answers with, so the generator and the mock cannot disagree. A schema of the
//! document is named by its JSON pointer, which generation tracks as it descends
//! (a [`Place`], turned into a pointer only when a check needs one); a schema the
//! generator built (a merged `allOf`) is named by its text.

use std::borrow::Cow;

use serde_json::Value;

use super::Generator;

/// Where the schema being generated sits in the document.
#[derive(Clone, Copy)]
pub(super) enum Place<'p> {
    /// At this JSON pointer (from a `$ref`, or where the contract found the schema).
    Pointer(&'p str),
    /// One step below another place.
    Child(&'p Place<'p>, Step<'p>),
}

/// One step from a schema to a schema inside it.
#[derive(Clone, Copy)]
pub(super) enum Step<'p> {
    /// `not`, `items` (one schema), `additionalItems`, `additionalProperties`.
    Key(&'static str),
    /// `properties/<name>`, `patternProperties/<pattern>`.
    Entry(&'static str, &'p str),
    /// `allOf/<i>`, `oneOf/<i>`, `anyOf/<i>`, `items/<i>` (a tuple).
    Index(&'static str, usize),
}

/// The place of a schema, or `None` for one the generator built.
pub(super) type At<'p> = Option<&'p Place<'p>>;

/// The place one `step` below `place`, kept in `slot` (places live on the stack, as
/// generation descends).
pub(super) fn down<'p>(place: At<'p>, step: Step<'p>, slot: &'p mut Option<Place<'p>>) -> At<'p> {
    Some(&*slot.insert(Place::Child(place?, step)))
}

impl Place<'_> {
    /// The JSON pointer of the place.
    fn pointer(&self) -> String {
        let (parent, step) = match self {
            Place::Pointer(p) => return (*p).to_string(),
            Place::Child(parent, step) => (parent, step),
        };
        let mut out = parent.pointer();
        let (key, last) = match step {
            Step::Key(key) => (key, None),
            Step::Entry(key, name) => (key, Some(Cow::Borrowed(*name))),
            Step::Index(key, i) => (key, Some(Cow::Owned(i.to_string()))),
        };
        out.push('/');
        out.push_str(key);
        if let Some(last) = last {
            out.push('/');
            out.push_str(&last.replace('~', "~0").replace('/', "~1"));
        }
        out
    }
}

impl Generator<'_> {
    /// Whether `value` satisfies `schema`, which sits at `place`.
    pub(super) fn valid(&self, schema: &Value, place: At<'_>, value: &Value) -> bool {
        let target = self.resolve(schema);
        match target.schema {
            Value::Bool(true) => return true,
            Value::Object(o) if o.is_empty() => return true,
            _ => {}
        }
        let pointer = target
            .pointer
            .or_else(|| place.map(|p| Cow::Owned(p.pointer())));
        match pointer {
            Some(pointer) => {
                debug_assert!(
                    self.root.pointer(&pointer) == Some(target.schema),
                    "the generator lost its place: {pointer}"
                );
                self.schemas.is_valid_at(&pointer, value)
            }
            None => self.schemas.is_valid_against(target.schema, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::testing::*;
    use crate::generate::Mode;
    use serde_json::json;

    #[test]
    fn places_name_json_pointers() {
        let root = Place::Pointer("/components/schemas/A");
        let (mut a, mut b, mut c) = (None, None, None);
        let props = down(Some(&root), Step::Entry("properties", "a/b~c"), &mut a);
        let item = down(props, Step::Index("items", 2), &mut b);
        let not = down(item, Step::Key("not"), &mut c);
        assert_eq!(
            not.map(Place::pointer).as_deref(),
            Some("/components/schemas/A/properties/a~1b~0c/items/2/not")
        );
        assert!(down(None, Step::Key("not"), &mut None).is_none());
    }

    #[test]
    fn checks_follow_the_place_into_the_document() {
        // Checks inside `Odd` use validators of its parts, by pointer (debug builds
        // assert that the pointer names the schema checked).
        let (st, dy) = generate_valid(
            json!({ "Odd": {
                "type": "object",
                "required": ["a/b", "t"],
                "properties": {
                    "a/b": { "type": "string", "enum": ["x", "y"], "example": "z" },
                    "t": { "type": "array", "minItems": 2, "items": [
                        { "type": "integer", "not": { "enum": [0] } },
                        { "oneOf": [{ "type": "string", "format": "uuid" }, { "type": "null" }] }
                    ] }
                }
            } }),
            "Odd",
        );
        assert!(st.iter().all(|v| v["a/b"] == "x" && v["t"][0] != 0));
        assert!(dy.iter().all(|v| v["t"][0] != 0));
        let root = document(&json!({ "S": { "type": "string", "enum": ["a"] } }));
        let schemas = schemas(&root);
        let g = Generator::new(&schemas, Mode::Static);
        let place = Place::Pointer("/definitions/S");
        assert!(g.valid(&root["definitions"]["S"], Some(&place), &json!("a")));
        assert!(!g.valid(&root["definitions"]["S"], Some(&place), &json!("b")));
        // The same schema built by the generator is checked by its text.
        assert!(!g.valid(&json!({ "enum": ["a"] }), None, &json!("b")));
    }
}
