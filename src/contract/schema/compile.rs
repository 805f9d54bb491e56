//! Compiling one schema into a validator, the one way every validator of the
//! contract is made: mimeo's options (draft, formats, bounded patterns) and the
//! contract's document as the target of every local `$ref`.

use jsonschema::{PatternCache, Registry, Validator};
use serde_json::Value;

use super::super::fancy;
use super::Dialect;

/// Backtracking steps allowed when matching one value against a `pattern` that
/// needs backtracking (backreferences, lookaround). Patterns without those run on
/// a linear-time engine and need no limit.
pub(crate) const BACKTRACK_LIMIT: usize = 100_000;

/// Compiles one converted schema, the one way every validator of the contract is
/// compiled: checked against the draft 4 meta-schema, its local `$ref`s pointed at
/// the document in `registry`, with mimeo's [`options`]; each `pattern` is
/// compiled once for the whole contract (`patterns`), not once per validator that
/// reaches it.
pub(super) fn compile(
    registry: &Registry<'static>,
    patterns: &PatternCache,
    schema: &Value,
    base: &str,
    dialect: Dialect,
) -> Result<Validator, Refused> {
    dialect.meta_validate(schema)?;
    let mut schema = schema.clone();
    absolute_refs(&mut schema);
    options(dialect)
        .with_pattern_cache(patterns.clone())
        .with_registry(registry)
        .with_base_uri(base)
        .build(&schema)
        .map_err(|e| Refused {
            at: e.instance_path().as_str().to_string(),
            why: e.to_string(),
        })
}

/// Why jsonschema refused to compile a schema, and where (a JSON pointer into
/// the document for a part a `$ref` reached, else into the schema itself).
pub(super) struct Refused {
    pub(super) at: String,
    pub(super) why: String,
}

impl From<String> for Refused {
    fn from(why: String) -> Refused {
        Refused {
            at: String::new(),
            why,
        }
    }
}

/// Points a schema's local `$ref`s (`#/components/...`) at the document in the
/// registry; values that are data rather than schemas are left alone.
fn absolute_refs(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) if r.starts_with('#') => {
                        r.insert_str(0, DOCUMENT_URI);
                    }
                    // Maps from names (which may be anything, `default` included) to schemas.
                    (
                        "properties" | "patternProperties" | "definitions" | "dependencies"
                        | "$defs" | "dependentSchemas",
                        Value::Object(schemas),
                    ) => schemas.values_mut().for_each(absolute_refs),
                    ("enum" | "const" | "default" | "example" | "examples", _) => {}
                    (_, value) => absolute_refs(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(absolute_refs),
        _ => {}
    }
}

/// The name of the converted document in the registry schemas are compiled against.
pub(super) const DOCUMENT_URI: &str = "urn:mimeo:contract";

/// The most memory one compiled pattern may take (a pattern such as `a{1000}{1000}`
/// is refused instead of compiled into hundreds of megabytes).
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// The dialect's draft with format checks, plus the OpenAPI formats draft 4
/// does not know; patterns matched within the limits above.
pub(super) fn options(dialect: Dialect) -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(dialect.draft())
        .with_pattern_options(
            jsonschema::PatternOptions::fancy_regex()
                .backtrack_limit(BACKTRACK_LIMIT)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT),
        )
        .should_validate_formats(true)
        .with_keyword(fancy::KEYWORD, fancy::factory)
        .with_format("uuid", is_uuid)
        .with_format("date", is_date)
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}
