//! The shape of a scenario file, as serde reads it (with spans for positions).
//! Nothing here knows the contract; meaning is checked by the parent module.

use crate::support::yaml::Spanned;
use serde::Deserialize;
use serde_json::Value;

use crate::support::duration::DurationText;

/// Keys in the order written; hashed with foldhash, as these maps are
/// small and their keys come from the file, not from a network.
pub(super) type Map<V> = indexmap::IndexMap<String, V, foldhash::fast::RandomState>;

pub(super) type RawSteps = Spanned<Vec<Spanned<RawStep>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) needs: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) vars: Map<Spanned<RawVar>>,
    #[serde(default)]
    pub(super) redact: Vec<Spanned<RawRedaction>>,
    #[serde(default)]
    pub(super) timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub(super) exclusive: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) setup: Option<RawSteps>,
    pub(super) steps: RawSteps,
    #[serde(default)]
    pub(super) cleanup: Option<RawSteps>,
}

/// A variable: a plain value, or `{default, mock, description}`.
pub(super) enum RawVar {
    Plain(String),
    Full(RawVarFull),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVarFull {
    #[serde(default)]
    pub(super) default: Option<Scalar>,
    #[serde(default)]
    pub(super) mock: Option<Scalar>,
    #[serde(default)]
    pub(super) description: Option<String>,
}

impl<'de> Deserialize<'de> for RawVar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawVar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value, or a mapping with `default`, `mock` and `description`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawVar, E> {
                Ok(RawVar::Plain(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawVar, E> {
                Ok(RawVar::Plain(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawVar, E> {
                Ok(RawVar::Plain(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawVar, E> {
                Ok(RawVar::Plain(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawVar, E> {
                Ok(RawVar::Plain(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawVar, A::Error> {
                RawVarFull::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawVar::Full)
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar read as text (numbers and booleans as written).
pub(super) struct Scalar(pub(super) String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match RawVar::deserialize(d)? {
            RawVar::Plain(s) => Ok(Scalar(s)),
            RawVar::Full(_) => Err(serde::de::Error::custom("expected a value, not a mapping")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRedaction {
    #[serde(default)]
    pub(super) header: Option<String>,
    #[serde(default)]
    pub(super) body: Option<String>,
    #[serde(default)]
    pub(super) matching: Option<String>,
    #[serde(default)]
    pub(super) with: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    #[serde(default)]
    pub(super) name: Option<String>,
    // The large parts boxed: serde moves a step by value several times while
    // reading it (into `Spanned`, an `Option`, the list).
    pub(super) request: Box<Spanned<RawRequest>>,
    #[serde(default)]
    pub(super) expect: Option<Box<Spanned<RawExpect>>>,
    #[serde(default)]
    pub(super) capture: Map<Spanned<RawCapture>>,
    #[serde(default)]
    pub(super) auth: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub(super) outside_contract: bool,
    #[serde(default)]
    pub(super) guard: bool,
    #[serde(default)]
    pub(super) retry: Option<Box<Spanned<RawRetry>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequest {
    pub(super) method: Spanned<String>,
    pub(super) path: Spanned<String>,
    #[serde(default)]
    pub(super) query: Map<Spanned<OneOrMany<QueryText>>>,
    #[serde(default)]
    pub(super) headers: Map<Spanned<String>>,
    #[serde(default)]
    pub(super) body: Option<Spanned<Value>>,
    #[serde(default)]
    pub(super) raw_body: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    #[serde(default)]
    pub(super) status: Option<Spanned<OneOrMany<Status>>>,
    #[serde(default)]
    pub(super) body: Map<Spanned<RawMatcher>>,
    #[serde(default)]
    pub(super) headers: Map<Spanned<RawHeaderMatch>>,
}

/// Matchers on one body value; several may be given at once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatcher {
    #[serde(default, deserialize_with = "given")]
    pub(super) equals: Option<Value>,
    #[serde(default, deserialize_with = "given")]
    pub(super) contains: Option<Value>,
    #[serde(default)]
    pub(super) matches: Option<String>,
    #[serde(default)]
    pub(super) length: Option<u64>,
    #[serde(default)]
    pub(super) absent: Option<bool>,
    #[serde(default)]
    pub(super) empty: Option<bool>,
    #[serde(default)]
    pub(super) each: Option<Box<RawMatcher>>,
}

/// A present field, `null` included (`equals: null` is a real expectation).
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeaderMatch {
    #[serde(default)]
    pub(super) present: Option<bool>,
    #[serde(default)]
    pub(super) equals: Option<Scalar>,
    #[serde(default)]
    pub(super) contains: Option<Scalar>,
    #[serde(default)]
    pub(super) matches: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetry {
    #[serde(default)]
    pub(super) until: Option<Box<Spanned<RawExpect>>>,
    #[serde(default)]
    pub(super) every: Option<Spanned<DurationText>>,
    #[serde(default, rename = "for")]
    pub(super) within: Option<Spanned<DurationText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    #[serde(default)]
    pub(super) body: Option<String>,
    #[serde(default)]
    pub(super) header: Option<String>,
}

/// A value or a list of values. Hand-written so a wrong type gets a message that
/// says what to write instead of "did not match any variant".
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub(super) fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(OneOrMany::Many(out))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::StrDeserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::U64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::I64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::F64Deserializer::new(v)).map(OneOrMany::One)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::BoolDeserializer::new(v)).map(OneOrMany::One)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Query values are text. Numbers are taken as written; a YAML boolean is refused
/// because `yes` or `on` would silently become `true`.
#[derive(Clone)]
pub(super) struct QueryText(pub(super) String);

impl<'de> Deserialize<'de> for QueryText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = QueryText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a query value (text; quote it: \"true\")")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<QueryText, E> {
                Ok(QueryText(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<QueryText, E> {
                Err(E::custom(format!(
                    "a query value read as the boolean {v}; put it in quotes so it is sent exactly as written (for example \"{v}\" or \"yes\")"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A status code.
#[derive(Clone)]
pub(super) struct Status(pub(super) u16);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Status;
            // Said in the error for any other value (`expected u64` before).
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a status code (a whole number such as 200)")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Status, E> {
                u16::try_from(n)
                    .map(Status)
                    .map_err(|_| E::custom(format!("{n} is not an HTTP status")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Status, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!("{n} is not an HTTP status"))),
                }
            }
            // Quoted, as OpenAPI writes its statuses (`'200'`).
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Status, E> {
                let t = s.trim();
                match t.parse::<u64>() {
                    Ok(n) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                        self.visit_u64(n)
                    }
                    _ => Err(E::invalid_type(serde::de::Unexpected::Str(s), &self)),
                }
            }
        }
        // Any scalar, so that text reaches `expecting` rather than the YAML
        // reader's own "invalid u64".
        d.deserialize_any(V)
    }
}
