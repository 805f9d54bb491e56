//! Normalization of set values before they are stored or compared.
//!
//! Memory normalizes identifier values per idType (E.164 for phones, lower case
//! for emails), and two spellings of one phone number must be one value. The
//! phone rule is a documented heuristic rather than the `phonenumber` crate: with
//! no country context (Memory gets none) the crate's region rules cannot apply,
//! and its metadata would add about a megabyte to a binary meant to stay small.

use std::borrow::Cow;
use std::fmt;

/// How values of one key are normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Normalization {
    /// Stored as given.
    None,
    /// Leading and trailing whitespace removed.
    Trim,
    /// Trimmed and lower-cased.
    Email,
    /// E.164, by the heuristic in [`phone`].
    Phone,
}

impl Normalization {
    pub(crate) const NAMES: &'static str = "none, trim, email, phone";

    pub(crate) fn parse(s: &str) -> Option<Normalization> {
        Some(match s {
            "none" => Normalization::None,
            "trim" => Normalization::Trim,
            "email" => Normalization::Email,
            "phone" => Normalization::Phone,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Normalization::None => "none",
            Normalization::Trim => "trim",
            Normalization::Email => "email",
            Normalization::Phone => "phone",
        }
    }

    /// The stored form of `value`, or why it cannot be stored.
    pub(crate) fn apply(self, value: &str) -> Result<String, NotNormal> {
        self.form(value).map(Cow::into_owned)
    }

    /// [`Normalization::apply`], borrowed from `value` when that is already
    /// the stored form (a request's value usually is: nothing to copy).
    pub(crate) fn form(self, value: &str) -> Result<Cow<'_, str>, NotNormal> {
        match self {
            Normalization::None => Ok(Cow::Borrowed(value)),
            Normalization::Trim => Ok(Cow::Borrowed(value.trim())),
            Normalization::Email => {
                let t = value.trim();
                // Only ASCII without capitals is known to be its own lower case.
                if t.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                    Ok(Cow::Owned(t.to_lowercase()))
                } else {
                    Ok(Cow::Borrowed(t))
                }
            }
            Normalization::Phone => phone(value).map(Cow::Owned).ok_or_else(|| NotNormal {
                value: value.to_string(),
            }),
        }
    }
}

/// A value that is not a phone number; shown as `"abc" is not a phone number (...)`,
/// after the name of the field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotNormal {
    pub(crate) value: String,
}

impl fmt::Display for NotNormal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.value.chars().take(64).collect();
        write!(
            f,
            "{} is not a phone number (normalization: phone, E.164: `+` and 8 to 15 digits)",
            serde_json::Value::String(shown)
        )
    }
}

/// E.164 without a country context: drop spaces, `-`, `.`, `(` and `)`; a leading
/// `00` is the international prefix (`+`); ten digits without `+` are a US
/// number (`+1`), eleven starting with 1 are one without its `+`. An
/// international number's `(0)` is the trunk prefix dialled only at home
/// (`+44 (0) 20 7946 0958` is `+442079460958`). The result must be `+` and 8
/// to 15 digits, the first not 0 (no country code starts with 0).
pub(crate) fn phone(value: &str) -> Option<String> {
    let spaced: String = value
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.')))
        .collect();
    let international = spaced.starts_with('+') || spaced.starts_with("00");
    let spaced = if international {
        spaced.replacen("(0)", "", 1)
    } else {
        spaced
    };
    let kept: String = spaced.chars().filter(|c| !matches!(c, '(' | ')')).collect();
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let e164 = if let Some(rest) = kept.strip_prefix("00") {
        format!("+{rest}")
    } else if kept.starts_with('+') {
        kept
    } else if digits_only(&kept) && kept.len() == 10 {
        format!("+1{kept}")
    } else if digits_only(&kept) && kept.len() == 11 && kept.starts_with('1') {
        format!("+{kept}")
    } else {
        return None;
    };
    let digits = e164.strip_prefix('+')?;
    (digits_only(digits) && (8..=15).contains(&digits.len()) && !digits.starts_with('0'))
        .then_some(e164)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        for (raw, want) in [
            ("+1 (317) 555-6789", "+13175556789"),
            ("317.555.6789", "+13175556789"),
            ("13175556789", "+13175556789"),
            ("0044 20 7946 0958", "+442079460958"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+4930123456", "+4930123456"),
            ("\t+1 317 555 6789 ", "+13175556789"),
            ("+44 (0) 20 7946 0958", "+442079460958"),
            ("+44(0)2079460958", "+442079460958"),
            ("0044 (0)20 7946 0958", "+442079460958"),
        ] {
            assert_eq!(phone(raw).as_deref(), Some(want), "{raw}");
        }
        for raw in [
            "abc",
            "",
            "+",
            "+1234567",
            "+1234567890123456",
            "3175556789x",
            "23175556789",
            "555-6789",
            "+1 317 555 678٩",
            "00",
            "+0000000000",
            "000123456789",
        ] {
            assert_eq!(phone(raw), None, "{raw}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let n = Normalization::Email;
        assert_eq!(n.apply("  Ada@Example.COM ").unwrap(), "ada@example.com");
        assert_eq!(Normalization::Trim.apply(" X ").unwrap(), "X");
        assert_eq!(Normalization::None.apply(" X ").unwrap(), " X ");
        // The borrowed form is the same text, copied only when it changes.
        for raw in [
            " ada@example.com",
            "Ada@x.io",
            "ÀDA@x.io",
            "ǅ@x.io",
            "a@x.io",
        ] {
            let form = n.form(raw).unwrap();
            assert_eq!(form, raw.trim().to_lowercase(), "{raw}");
            assert_eq!(
                matches!(form, Cow::Borrowed(_)),
                raw == "a@x.io" || raw.starts_with(' ')
            );
        }
    }

    #[test]
    fn the_phone_error_names_the_rule() {
        let e = Normalization::Phone.apply("abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"abc\" is not a phone number (normalization: phone, E.164: `+` and 8 to 15 digits)"
        );
    }
}
