//! A value and the place it was written, for files read with
//! [`super::from_str_quick`]. serde-saphyr's `Spanned<T>` gives the same value
//! and place, but reading one costs a `String` for its marker key, two
//! `Location`s read field by field, and moves of a value larger by both; a
//! scenario has a few dozen of them a step. This one reads serde-saphyr's
//! form of a spanned value (so either reader gives it) and a shorter form
//! the quick reader offers, and keeps only the place a message points at.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Location;

/// A value and where it was written.
///
/// Unlike serde-saphyr's, it cannot be read from serde's buffered content (a
/// `#[serde(flatten)]` field or an untagged enum holding one): no scenario
/// type reads it that way, and one that did would fail on every file, loudly.
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    /// Where it is used (for an alias, the `*name`), as serde-saphyr says.
    pub(crate) referenced: Pos,
}

/// A line and column, both from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    line: u32,
    column: u32,
}

impl Pos {
    pub(crate) fn line(&self) -> u64 {
        u64::from(self.line)
    }

    pub(crate) fn column(&self) -> u64 {
        u64::from(self.column)
    }
}

impl From<Location> for Pos {
    fn from(l: Location) -> Pos {
        // serde-saphyr keeps both as `u32`.
        Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
    }
}

/// The name serde-saphyr's deserializer knows a spanned value by.
pub(super) const SPANNED_NEWTYPE: &str = "__yaml_spanned";
/// The name under which the quick reader gives the shorter form: a sequence
/// of the value, its line and its column.
pub(super) const SHORT_FORM: &str = "__mimeo_spanned";
/// serde-saphyr's first key of a spanned value's map.
pub(super) const MARKER: &str = "__serde_saphyr_private_spanned";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(SPANNED_NEWTYPE, Outer(PhantomData))
    }
}

struct Outer<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Outer<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value with its place")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        const FIELDS: &[&str] = &[MARKER, "value", "referenced", "defined"];
        d.deserialize_struct(SHORT_FORM, FIELDS, Inner(PhantomData))
    }
}

struct Inner<T>(PhantomData<T>);

/// The keys of serde-saphyr's form, read without keeping them.
enum Field {
    Marker,
    Value,
    Referenced,
    Defined,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field of a value with its place")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(match s {
                    MARKER => Field::Marker,
                    "value" => Field::Value,
                    "referenced" => Field::Referenced,
                    "defined" => Field::Defined,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Inner<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value with its place")
    }

    /// serde-saphyr's form: the marker, `value`, `referenced`, `defined`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if !matches!(map.next_key::<Field>()?, Some(Field::Marker)) {
            return Err(de::Error::custom("expected a value with its place"));
        }
        map.next_value::<de::IgnoredAny>()?;
        let (mut value, mut referenced) = (None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Value if value.is_none() => value = Some(map.next_value()?),
                Field::Referenced if referenced.is_none() => {
                    referenced = Some(Pos::from(map.next_value::<Location>()?));
                }
                Field::Value | Field::Referenced | Field::Marker => {
                    return Err(de::Error::custom("a field of a value with its place twice"))
                }
                // Read as what it is (nothing else reads it): serde-saphyr's
                // place refuses to be read as just anything.
                Field::Defined => {
                    map.next_value::<Location>()?;
                }
                // A field a later serde-saphyr may add, ignored as its own
                // `Spanned` ignores it.
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        match (value, referenced) {
            (Some(value), Some(referenced)) => Ok(Spanned { value, referenced }),
            _ => Err(de::Error::custom("a value with its place, incomplete")),
        }
    }

    /// The quick reader's form: the value, its line, its column.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let incomplete = || de::Error::custom("a value with its place, incomplete");
        let value = seq.next_element()?.ok_or_else(incomplete)?;
        let line = seq.next_element()?.ok_or_else(incomplete)?;
        let column = seq.next_element()?.ok_or_else(incomplete)?;
        Ok(Spanned {
            value,
            referenced: Pos { line, column },
        })
    }
}

/// Used by the quick reader to hand a value over in the short form.
pub(super) fn short_form<'de, S, V>(value: S, at: (u32, u32), v: V) -> Result<V::Value, S::Error>
where
    S: Deserializer<'de>,
    V: Visitor<'de>,
{
    v.visit_seq(Short {
        value: Some(value),
        at,
        next: 0,
    })
}

struct Short<S> {
    value: Option<S>,
    at: (u32, u32),
    next: u8,
}

impl<'de, S: Deserializer<'de>> SeqAccess<'de> for Short<S> {
    type Error = S::Error;

    fn next_element_seed<E: DeserializeSeed<'de>>(
        &mut self,
        seed: E,
    ) -> Result<Option<E::Value>, S::Error> {
        use serde::de::IntoDeserializer;
        self.next += 1;
        match self.next {
            1 => match self.value.take() {
                Some(v) => seed.deserialize(v).map(Some),
                None => Ok(None),
            },
            2 => seed.deserialize(self.at.0.into_deserializer()).map(Some),
            3 => seed.deserialize(self.at.1.into_deserializer()).map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Spanned;
    use crate::support::yaml::{quick_read, slow_read};

    #[derive(serde::Deserialize)]
    struct Ours {
        a: Spanned<String>,
        b: Spanned<Vec<Spanned<u32>>>,
    }

    #[derive(serde::Deserialize)]
    struct Theirs {
        a: serde_saphyr::Spanned<String>,
        b: serde_saphyr::Spanned<Vec<serde_saphyr::Spanned<u32>>>,
    }

    fn ours(d: &Ours) -> String {
        let items: Vec<_> =
            d.b.value
                .iter()
                .map(|i| (i.value, i.referenced.line(), i.referenced.column()))
                .collect();
        format!(
            "{} {:?} {:?} {items:?}",
            d.a.value, d.a.referenced, d.b.referenced
        )
    }

    /// serde-saphyr's reading in ours' shape, so one rendering shows both.
    fn converted(d: Theirs) -> Ours {
        fn one<T>(s: serde_saphyr::Spanned<T>) -> Spanned<T> {
            Spanned {
                value: s.value,
                referenced: s.referenced.into(),
            }
        }
        let b = one(d.b);
        Ours {
            a: one(d.a),
            b: Spanned {
                value: b.value.into_iter().map(one).collect(),
                referenced: b.referenced,
            },
        }
    }

    #[test]
    fn either_reader_gives_serde_saphyrs_values_and_places() {
        let docs = [
            ("a: x\nb: [1, 2]\n", true),
            ("a: 'é'\nb:\n  - 1\n  -   2\n", true),
            ("é: 1\na: \"é\\u00e9\"\nb:\n- 1\n", true),
            // An alias: serde-saphyr alone, placed where it is used.
            ("a: &x é\nb: [7, 2]\nc: *x\n", false),
            ("a: x\nb: &n [1]\nc: *n\n", false),
        ];
        for (doc, quick) in docs {
            let want = ours(&converted(slow_read::<Theirs>(doc).unwrap()));
            assert_eq!(ours(&slow_read::<Ours>(doc).unwrap()), want, "{doc}");
            let q = quick_read::<Ours>(doc);
            assert_eq!(q.is_some(), quick, "{doc}");
            if let Some(q) = q {
                assert_eq!(ours(&q), want, "{doc}");
            }
        }
    }
}
