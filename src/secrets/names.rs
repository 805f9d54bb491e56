//! Names and header values that carry credentials: which request headers are
//! credentials by name, which answer headers to leave out of recordings, and
//! the words that make a header, parameter or member name look secret.

use super::secret_value;

/// Headers whose values are always credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Whether a response header's value must not be written anywhere: `Set-Cookie`,
/// or a name that looks like a credential. Challenges (`WWW-Authenticate`) are
/// not credentials and stay, so snapshots can show them.
#[cfg(feature = "replay")]
pub(crate) fn secret_response_header(name: &str) -> bool {
    // Judged lower-cased; names from a `HeaderMap` already are, so most calls
    // copy nothing.
    let lower;
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    CREDENTIAL_HEADERS.contains(&name) || (secret_name(name) && !name.ends_with("-authenticate"))
}

/// Whether a request header's value must not be written anywhere: a credential
/// header, or a name or value that looks like one.
pub(crate) fn secret_header(name: &str, value: &str) -> bool {
    // Names every client sends are known not to be secret: no word search.
    let plain = PLAIN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name));
    CREDENTIAL_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
        || (!plain && secret_name(name))
        || secret_value(value)
}

/// Request headers whose names are not secret (their values are still judged).
const PLAIN_HEADERS: [&str; 9] = [
    "host",
    "content-type",
    "content-length",
    "accept",
    "accept-encoding",
    "user-agent",
    "connection",
    "prefer",
    "x-mimeo-session",
];

/// Words that make a name (a header, a query parameter, a member of a JSON
/// body) look like it carries a secret, wherever they appear in it:
/// `X-Api-Key`, `authToken`, `client_secret`, `X-Signature`, `X-Credential`.
const SECRET_WORDS: [&str; 11] = [
    "token",
    "secret",
    "passw",
    "pwd",
    "key",
    "session",
    "cookie",
    "auth",
    "credential",
    "signature",
    "jwt",
];

/// The bytes (either case) that start one of [`SECRET_WORDS`].
const SECRET_WORD_STARTS: [bool; 256] = {
    let mut starts = [false; 256];
    let mut i = 0;
    while i < SECRET_WORDS.len() {
        let first = SECRET_WORDS[i].as_bytes()[0];
        starts[first.to_ascii_lowercase() as usize] = true;
        starts[first.to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    starts
};

/// Short words that make a name look secret only as a whole word of it (`sig`,
/// `X-Sig`, `pass`, `otp`; not `design` or `passenger`).
const SECRET_WHOLE_WORDS: [&str; 4] = ["sig", "pass", "otp", "pin"];

/// Whether a name (a header, a query parameter, a member of a JSON body) looks
/// like it carries a secret: it contains one of [`SECRET_WORDS`], or one of
/// [`SECRET_WHOLE_WORDS`] as a word (split at punctuation and case changes).
pub(crate) fn secret_name(name: &str) -> bool {
    // Without allocating: this runs for every header of every logged request and
    // every header of every answer replay records. One pass over the name: only
    // at a byte that starts one of the words are the words compared.
    let bytes = name.as_bytes();
    let contains = bytes.iter().enumerate().any(|(i, b)| {
        // Only the words that start with this byte (the words are lower case).
        let first = b.to_ascii_lowercase();
        SECRET_WORD_STARTS[*b as usize]
            && SECRET_WORDS.iter().any(|w| {
                w.as_bytes()[0] == first
                    && bytes
                        .get(i..i + w.len())
                        .is_some_and(|win| win.eq_ignore_ascii_case(w.as_bytes()))
            })
    });
    if contains {
        return true;
    }
    // Words: split at anything not a letter or digit, and before an upper-case
    // letter that follows a lower-case one (`apiSig` is `api`, `sig`).
    let whole = |w: &str| SECRET_WHOLE_WORDS.iter().any(|s| s.eq_ignore_ascii_case(w));
    let mut start = 0;
    let mut prev_lower = false;
    for (i, c) in name.char_indices() {
        if !c.is_ascii_alphanumeric() {
            if whole(&name[start..i]) {
                return true;
            }
            start = i + c.len_utf8();
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            if whole(&name[start..i]) {
                return true;
            }
            start = i;
        }
        prev_lower = c.is_ascii_lowercase();
    }
    whole(&name[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_secret_by_word_or_whole_word() {
        for yes in [
            "X-Api-Key",
            "authToken",
            "client_secret",
            "apiSig",
            "X-Sig",
            "pass",
            "otp",
            "PIN",
            "naïve-sig",
            "sig",
            "userPwd",
            "X-Credential",
        ] {
            assert!(secret_name(yes), "{yes}");
        }
        for no in [
            "design",
            "passenger",
            "shipping",
            "signal",
            "options",
            "naïve",
            "",
            "-",
        ] {
            assert!(!secret_name(no), "{no}");
        }
    }

    #[cfg(feature = "replay")]
    #[test]
    fn the_word_search_finds_what_a_search_at_every_position_finds() {
        // The search `secret_name` replaced: every word compared at every position.
        let every = |name: &str| {
            SECRET_WORDS.iter().any(|w| {
                name.as_bytes()
                    .windows(w.len())
                    .any(|win| win.eq_ignore_ascii_case(w.as_bytes()))
            })
        };
        for name in [
            "content-type",
            "X-API-KEY",
            "xToKeN",
            "tok",
            "Set-Cookie",
            "JWT",
            "jw",
            "ssession",
            "x-auth",
            "AUTHORIZATION",
            "naïve-key",
            "kéy",
            "pwdx",
            "Credentia",
            "x-signaturE",
            "passw",
            "PASSWORD",
            "date",
            "etag",
            "location",
            "",
            "k",
            "tokentoken",
        ] {
            assert_eq!(
                secret_name(name),
                every(name) || secret_name_by_words(name),
                "{name}"
            );
        }
        // Response headers are judged lower-cased, whatever case they come in.
        for (name, secret) in [
            ("Set-Cookie", true),
            ("X-ApiSig", false),
            ("x-apisig", false),
            ("X-Api-Key", true),
            ("WWW-Authenticate", false),
            ("Content-Type", false),
        ] {
            assert_eq!(secret_response_header(name), secret, "{name}");
        }
    }

    /// Only the whole-word half of `secret_name`.
    #[cfg(feature = "replay")]
    fn secret_name_by_words(name: &str) -> bool {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| SECRET_WHOLE_WORDS.iter().any(|s| s.eq_ignore_ascii_case(w)))
    }

    #[test]
    fn secret_words_are_lower_case() {
        // `secret_name` compares a word's first byte with a lower-cased one.
        assert!(SECRET_WORDS
            .iter()
            .all(|w| !w.bytes().any(|b| b.is_ascii_uppercase())));
    }
}
