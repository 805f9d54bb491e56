//! The quick way through a scenario file. Reading YAML with serde-saphyr is
//! most of the cost of a large replay (about 250 instructions a byte), and most
//! files are plain YAML: no anchors, tags, merge keys, or values whose type
//! depends on the YAML schema (`yes`, `0x10`, `007`). For those, the scanner
//! in [`scan`] and the small deserializer here give the same values and the
//! same positions in a fraction of the time.
//!
//! This reader never judges a file. Whenever it is not certain to agree with
//! serde-saphyr (a syntax error, an alias, a tag, a duplicate key, a scalar a
//! schema could read two ways, a value of the wrong shape, a file near the
//! budget), it gives up and the caller reads the file again with serde-saphyr,
//! whose values and error messages are the reference. So giving up is always
//! safe, and agreeing is checked by the tests against every scenario the
//! project ships and a set of tricky documents.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::scan;
use super::spanned::{short_form, MARKER, SHORT_FORM, SPANNED_NEWTYPE};

/// Reads `text` into `T` when that is certain to give what serde-saphyr gives;
/// `None` when the caller must ask serde-saphyr.
pub(crate) fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(scan::tree(text)?).ok()
}

/// YAML's printable characters, less the byte-order mark.
pub(super) fn printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FEFE}' | '\u{FF00}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A position as serde-saphyr reports it: line and column from 1.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct At {
    pub(super) line: u32,
    pub(super) column: u32,
}

/// One YAML value and where it starts. Scalars borrow the file's text where
/// they can: most are keys, numbers and booleans that serde reads without
/// keeping a `String` of them.
pub(super) struct Node<'a> {
    pub(super) at: At,
    pub(super) kind: Kind<'a>,
}

pub(super) enum Kind<'a> {
    /// A plain (unquoted) scalar: its type depends on what is asked of it.
    Plain(&'a str),
    /// A quoted or block scalar: always text (owned when escapes or line
    /// breaks made it differ from the file's bytes).
    Text(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
}

/// A closed mapping: its keys must be distinct texts (serde-saphyr refuses a
/// repeated key), plain keys must be text (it compares `1`, `0x1` and `+1` as
/// the same number), not `<<` (a merge it would carry out), and short (it
/// looks no further than 1,024 characters for a flow mapping's `:`).
pub(super) fn map_node<'a>(at: At, entries: Vec<(Node<'a>, Node<'a>)>) -> Option<Node<'a>> {
    fn text<'n>(n: &'n Node) -> Option<&'n str> {
        match &n.kind {
            Kind::Plain(s) => Some(s),
            Kind::Text(s) => Some(s),
            _ => None,
        }
    }
    for (k, _) in &entries {
        if matches!(k.kind, Kind::Plain(s) if s == "<<" || !matches!(classify(s), Class::Text)) {
            return None;
        }
        match text(k) {
            Some(s) if s.len() > MAX_KEY_CHARS && s.chars().count() > MAX_KEY_CHARS => return None,
            Some(_) => {}
            None => return None,
        }
    }
    if entries.len() <= 16 {
        for (i, (k, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(o, _)| text(o) == text(k)) {
                return None;
            }
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        if !entries.iter().all(|(k, _)| seen.insert(text(k))) {
            return None;
        }
    }
    Some(Node {
        at,
        kind: Kind::Map(entries),
    })
}

/// Keys longer than this are left to serde-saphyr (see [`map_node`]); the
/// bound is well under its 1,024, escapes counted at their longest.
const MAX_KEY_CHARS: usize = 100;

/// What a plain scalar is when its type is not asked for (YAML 1.2's core
/// schema, as serde-saphyr reads it).
enum Class {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text,
    /// A form serde-saphyr reads in ways of its own (`yes`, `0x10`, `007`,
    /// `1e3`, `.inf`, `+5`, `1_000`): left to it.
    Unsure,
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn classify(s: &str) -> Class {
    if is_null(s) {
        return Class::Null;
    }
    // Only these can begin anything but text (`/id`, `method`, `mem_store_...`
    // cannot): digits and signs, `~`, `_` and `:` (numbers some schema reads),
    // and the first letters of booleans, `null`, `inf` and `nan`.
    if !s.bytes().next().is_some_and(|b| {
        b.is_ascii_digit()
            || matches!(
                b,
                b'+' | b'-'
                    | b'.'
                    | b'~'
                    | b'_'
                    | b':'
                    | b't'
                    | b'f'
                    | b'y'
                    | b'n'
                    | b'o'
                    | b'i'
                    | b'T'
                    | b'F'
                    | b'Y'
                    | b'N'
                    | b'O'
                    | b'I'
            )
    }) {
        return Class::Text;
    }
    match s {
        "true" => return Class::Bool(true),
        "false" => return Class::Bool(false),
        _ => {}
    }
    // Other spellings of booleans and special floats, in any case.
    let bare = s.trim_start_matches(['+', '-', '.']);
    let word = |s: &str, words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    if word(s, &["true", "false", "yes", "no", "on", "off", "y", "n"])
        || word(bare, &["inf", "infinity", "nan"])
    {
        return Class::Unsure;
    }
    // Beginning with a letter and none of those words: no number either (a
    // number, in any schema, begins with a digit, a sign or a `.`).
    if s.as_bytes()[0].is_ascii_alphabetic() {
        return Class::Text;
    }
    // Nor with a byte no number is written with (`500ms`, `2024-01-01T10`).
    if !s.bytes().all(|b| {
        b.is_ascii_hexdigit()
            || matches!(
                b,
                b'x' | b'X' | b'o' | b'O' | b'_' | b'.' | b':' | b'+' | b'-'
            )
    }) {
        return Class::Text;
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = |d: &str| {
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && (d == "0" || !d.starts_with('0'))
    };
    if canonical(digits) {
        return match s.parse::<i128>() {
            Ok(n) if n >= i128::from(i64::MIN) && n <= i128::from(u64::MAX) => Class::Int(n),
            _ => Class::Unsure,
        };
    }
    if let Some((whole, frac)) = digits.split_once('.') {
        if canonical(whole) && !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) {
            // Too large for an f64: serde-saphyr refuses the infinity.
            return match s.parse::<f64>() {
                Ok(f) if f.is_finite() => Class::Float(f),
                _ => Class::Unsure,
            };
        }
    }
    if number_like(s) {
        Class::Unsure
    } else {
        Class::Text
    }
}

/// Whether some YAML schema reads `s` as a number: hex, octal or
/// binary, digits with `_`, a leading `+` or `.`, an exponent, YAML 1.1's
/// `1:30`. `0044.20.7946.0958` or `2024-01-01` are text to all of them.
fn number_like(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits =
        |r: &str, ok: fn(char) -> bool| !r.is_empty() && r.chars().all(|c| ok(c) || c == '_');
    if let (Some(b'0'), Some(radix)) = (t.as_bytes().first(), t.as_bytes().get(1)) {
        match radix.to_ascii_lowercase() {
            b'x' => return digits(&t[2..], |c| c.is_ascii_hexdigit()),
            b'o' | b'b' => return digits(&t[2..], |c| c.is_ascii_digit()),
            _ => {}
        }
    }
    if t.contains(':') {
        return t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '_'));
    }
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (t, None),
    };
    exponent.is_none_or(|e| digits(e, |c| c.is_ascii_digit()))
        && mantissa.matches('.').count() <= 1
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.'))
}

/// Giving up: the caller asks serde-saphyr.
#[derive(Debug)]
pub(super) struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("left to serde-saphyr")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Bail
    }
}

type Res<T> = Result<T, Bail>;

/// A quoted or block scalar's text, handed over without a copy when owned.
fn visit_text<'de, V: Visitor<'de>>(s: Cow<'_, str>, v: V) -> Res<V::Value> {
    match s {
        Cow::Borrowed(s) => v.visit_str(s),
        Cow::Owned(s) => v.visit_string(s),
    }
}

impl<'de> de::Deserializer<'de> for Node<'_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match self.kind {
            Kind::Text(s) => visit_text(s, v),
            Kind::Plain(s) => match classify(s) {
                Class::Null => v.visit_unit(),
                Class::Bool(b) => v.visit_bool(b),
                Class::Int(n) => visit_int(s, n, v),
                Class::Float(f) => v.visit_f64(f),
                Class::Text => v.visit_str(s),
                Class::Unsure => Err(Bail),
            },
            Kind::Seq(items) => v.visit_seq(Items(items.into_iter())),
            Kind::Map(entries) => v.visit_map(Entries {
                entries: entries.into_iter(),
                value: None,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match &self.kind {
            Kind::Plain("true") => v.visit_bool(true),
            Kind::Plain("false") => v.visit_bool(false),
            _ => Err(Bail),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match &self.kind {
            Kind::Plain(s) => match classify(s) {
                Class::Int(n) => visit_int(s, n, v),
                _ => Err(Bail),
            },
            _ => Err(Bail),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        // serde-saphyr refuses any sign where a whole number of 0 or more is
        // asked for, `-0` too.
        match &self.kind {
            Kind::Plain(s) if s.starts_with('-') => Err(Bail),
            _ => self.deserialize_i64(v),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match self.kind {
            Kind::Text(s) => visit_text(s, v),
            Kind::Plain(s) if !is_null(s) => v.visit_str(s),
            _ => Err(Bail),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match &self.kind {
            Kind::Plain(s) if is_null(s) => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        match &self.kind {
            Kind::Plain(s) if is_null(s) => v.visit_unit(),
            _ => Err(Bail),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Res<V::Value> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Res<V::Value> {
        // serde-saphyr's `Spanned<T>` (and ours) asks for itself by this name.
        if name == SPANNED_NEWTYPE {
            v.visit_newtype_struct(Located(self))
        } else {
            v.visit_newtype_struct(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        if matches!(self.kind, Kind::Seq(_)) {
            self.deserialize_any(v)
        } else {
            Err(Bail)
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        if matches!(self.kind, Kind::Map(_)) {
            self.deserialize_any(v)
        } else {
            Err(Bail)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Res<V::Value> {
        self.deserialize_map(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        v.visit_unit()
    }

    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_i64(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_i64(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_i64(v)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_u64(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_u64(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.deserialize_u64(v)
    }

    // Shapes scenario files do not use: serde-saphyr decides.
    fn deserialize_f32<V: Visitor<'de>>(self, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Res<V::Value> {
        Err(Bail)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Res<V::Value> {
        Err(Bail)
    }
}

/// A whole number `s` (read as `n`), signed as serde-saphyr gives it (`-0` too).
fn visit_int<'de, V: Visitor<'de>>(s: &str, n: i128, v: V) -> Res<V::Value> {
    if s.starts_with('-') {
        v.visit_i64(i64::try_from(n).map_err(|_| Bail)?)
    } else {
        v.visit_u64(u64::try_from(n).map_err(|_| Bail)?)
    }
}

struct Items<'a>(std::vec::IntoIter<Node<'a>>);

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Res<Option<T::Value>> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    entries: std::vec::IntoIter<(Node<'a>, Node<'a>)>,
    value: Option<Node<'a>>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Res<Option<K::Value>> {
        let Some((k, v)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(v);
        seed.deserialize(k).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Res<V::Value> {
        seed.deserialize(self.value.take().ok_or(Bail)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A node as serde-saphyr's `Spanned<T>` reads it: a map of a marker, the
/// value, and where it is used and defined (the same place: there are no
/// aliases here).
struct Located<'a>(Node<'a>);

impl Located<'_> {
    /// serde-saphyr places an empty value at the `:` before it; the parser
    /// here has only the next token's place, so it leaves such a value to it.
    fn placeable(&self) -> Res<()> {
        match self.0.kind {
            Kind::Plain("") => Err(Bail),
            _ => Ok(()),
        }
    }
}

impl<'de> de::Deserializer<'de> for Located<'_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Res<V::Value> {
        self.placeable()?;
        let at = self.0.at;
        v.visit_map(LocatedFields {
            node: Some(self.0),
            at,
            field: 0,
        })
    }

    /// [`super::Spanned`] asks for its shorter form by name.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Res<V::Value> {
        if name != SHORT_FORM {
            return self.deserialize_any(v);
        }
        self.placeable()?;
        let at = (self.0.at.line, self.0.at.column);
        short_form(self.0, at, v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct LocatedFields<'a> {
    node: Option<Node<'a>>,
    at: At,
    /// The next key to give: the marker, `value`, `referenced`, `defined`.
    field: usize,
}

impl<'de> MapAccess<'de> for LocatedFields<'_> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Res<Option<K::Value>> {
        let Some(key) = [MARKER, "value", "referenced", "defined"].get(self.field) else {
            return Ok(None);
        };
        self.field += 1;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Res<V::Value> {
        match self.field {
            1 => seed.deserialize(IntoDeserializer::<Bail>::into_deserializer(true)),
            2 => seed.deserialize(self.node.take().ok_or(Bail)?),
            // serde-saphyr's `Location` reads itself from `line` and `column`.
            _ => seed.deserialize(de::value::MapDeserializer::<_, Bail>::new(
                [("line", self.at.line), ("column", self.at.column)].into_iter(),
            )),
        }
    }
}
