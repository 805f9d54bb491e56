//! Does a request carry the credentials its operation's security requirement
//! asks for, in the form each scheme defines? As Prism does, the mock enforces
//! this by default: a Basic header with a user and a password, a Bearer token
//! (OAuth2 and OpenID Connect tokens are presented that way), an API key in its
//! header, query parameter or cookie. What the credentials are worth is not
//! known to a mock, so any well-formed ones pass, except when the server was
//! given exact Basic credentials (`--auth`), and except [`REJECTED_CREDENTIALS`],
//! which no mimeo mock accepts, so a conformance step that sends wrong
//! credentials meets its 401 from any mimeo mock, with or without `--auth`.

use std::borrow::Cow;

use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::contract::security::{KeyIn, Scheme, Security};

/// Basic credentials that no mimeo mock accepts: what `mimeo replay` sends for
/// steps with `auth: invalid`. The user is shaped like a Twilio Account SID so
/// a real service reads them as wrong credentials too, not as malformed ones.
pub const REJECTED_CREDENTIALS: (&str, &str) =
    ("AC00000000000000000000000000000000", "not-a-valid-token");

/// How Basic credentials are judged.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BasicPolicy<'a> {
    /// Any user and password (but [`REJECTED_CREDENTIALS`]).
    Any,
    /// Exactly these: the `Authorization` value `Basic base64(user:password)`.
    Exact(&'a HeaderValue),
}

/// Why a request was refused, and the challenges to send back.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// `no credentials` or `wrong credentials`, for the log and journal.
    pub(crate) why: &'static str,
    /// What is missing, readably, e.g. `HTTP Basic credentials (Authorization: Basic ...)`.
    pub(crate) message: String,
    /// One `WWW-Authenticate` value per scheme the alternatives accept.
    pub(crate) challenges: Vec<HeaderValue>,
}

/// The request parts security looks at.
pub(crate) struct Presented<'a> {
    pub(crate) headers: &'a HeaderMap,
    /// Decoded query pairs.
    pub(crate) query: &'a [(Cow<'a, str>, Cow<'a, str>)],
}

/// Checks `req` against `security`: `Ok` when one alternative is satisfied whole.
pub(crate) fn check(
    security: &Security,
    req: &Presented<'_>,
    basic: BasicPolicy<'_>,
) -> Result<(), Refusal> {
    if security.is_none() {
        return Ok(());
    }
    let mut wrong = false;
    for alternative in &security.alternatives {
        let mut all = true;
        for scheme in alternative {
            match satisfied(scheme, req, basic) {
                Given::Right => {}
                Given::Wrong => {
                    wrong = true;
                    all = false;
                }
                Given::Missing => all = false,
            }
        }
        if all {
            return Ok(());
        }
    }
    let wanted: Vec<String> = security
        .alternatives
        .iter()
        .map(|a| a.iter().map(describe).collect::<Vec<_>>().join(" and "))
        .collect();
    let mut challenges: Vec<HeaderValue> = Vec::new();
    for scheme in security.alternatives.iter().flatten() {
        let c = challenge(scheme);
        if !challenges.contains(&c) {
            challenges.push(c);
        }
    }
    let wanted = wanted.join(", or ");
    Err(Refusal {
        why: if wrong {
            "wrong credentials"
        } else {
            "no credentials"
        },
        message: if wrong {
            format!(
                "Authentication Error - the credentials given are not accepted (expected {wanted})"
            )
        } else {
            format!("Authentication Error - credentials are required: {wanted}")
        },
        challenges,
    })
}

enum Given {
    Right,
    Wrong,
    Missing,
}

fn satisfied(scheme: &Scheme, req: &Presented<'_>, basic: BasicPolicy<'_>) -> Given {
    let present = |ok: bool| if ok { Given::Right } else { Given::Missing };
    match scheme {
        Scheme::Basic => basic_given(req.headers, basic),
        Scheme::Bearer => present(authorization(req.headers, "bearer").is_some()),
        Scheme::Http(name) => present(authorization(req.headers, name).is_some()),
        Scheme::ApiKey { location, name } => present(match location {
            KeyIn::Header => req
                .headers
                .get_all(name.as_str())
                .iter()
                .any(|v| !v.as_bytes().trim_ascii().is_empty()),
            KeyIn::Query => req.query.iter().any(|(k, _)| k == name),
            KeyIn::Cookie => super::cookies(req.headers).any(|(k, _)| k == name),
        }),
    }
}

/// The credentials of an `Authorization` header with scheme `scheme`
/// (case-insensitive), when there is one and it carries something.
fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    headers
        .get_all(AUTHORIZATION)
        .iter()
        .find_map(|v| crate::http::basic::token(v.to_str().ok()?, scheme))
}

fn basic_given(headers: &HeaderMap, policy: BasicPolicy<'_>) -> Given {
    let Some(token) = authorization(headers, "basic") else {
        return Given::Missing;
    };
    match policy {
        BasicPolicy::Exact(expected) => {
            let want = expected
                .to_str()
                .ok()
                .and_then(|e| e.split_once(' '))
                .map(|(_, t)| t);
            if want == Some(token) {
                Given::Right
            } else {
                Given::Wrong
            }
        }
        BasicPolicy::Any => {
            let decoded = crate::http::basic::decode(token);
            match decoded
                .as_deref()
                .and_then(|b| Some((&*b.user, b.password.as_deref()?)))
            {
                Some(given) if given == REJECTED_CREDENTIALS => Given::Wrong,
                Some((user, _)) if !user.is_empty() => Given::Right,
                // Not `user:password` in base64: malformed, so not accepted.
                _ => Given::Wrong,
            }
        }
    }
}

fn describe(scheme: &Scheme) -> String {
    match scheme {
        Scheme::Basic => "HTTP Basic credentials (Authorization: Basic ...)".into(),
        Scheme::Bearer => "a bearer token (Authorization: Bearer ...)".into(),
        Scheme::Http(name) => format!("HTTP {name} credentials (Authorization: {name} ...)"),
        Scheme::ApiKey { location, name } => match location {
            KeyIn::Header => format!("an API key in header {name}"),
            KeyIn::Query => format!("an API key in query parameter {name}"),
            KeyIn::Cookie => format!("an API key in cookie {name}"),
        },
    }
}

/// The `WWW-Authenticate` challenge for a scheme. API keys have no registered
/// HTTP scheme; `ApiKey` with the key's place says what to send.
fn challenge(scheme: &Scheme) -> HeaderValue {
    let text = match scheme {
        Scheme::Basic => "Basic realm=\"mimeo\"".to_string(),
        Scheme::Bearer => "Bearer realm=\"mimeo\"".to_string(),
        Scheme::Http(name) => format!("{name} realm=\"mimeo\""),
        Scheme::ApiKey { location, name } => {
            let place = match location {
                KeyIn::Header => "header",
                KeyIn::Query => "query",
                KeyIn::Cookie => "cookie",
            };
            format!(
                "ApiKey realm=\"mimeo\", in=\"{place}\", name=\"{}\"",
                name.replace(['"', '\\'], "")
            )
        }
    };
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("Basic realm=\"mimeo\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn basic(user_pass: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode(user_pass);
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
        h
    }

    fn run(security: &Security, headers: &HeaderMap) -> Result<(), Refusal> {
        check(
            security,
            &Presented {
                headers,
                query: &[],
            },
            BasicPolicy::Any,
        )
    }

    #[test]
    fn any_basic_pair_but_the_rejected_one() {
        let s = Security {
            alternatives: vec![vec![Scheme::Basic]],
        };
        assert!(run(&s, &basic("ACxx:token")).is_ok());
        let (u, p) = REJECTED_CREDENTIALS;
        assert_eq!(
            run(&s, &basic(&format!("{u}:{p}"))).unwrap_err().why,
            "wrong credentials"
        );
        assert_eq!(
            run(&s, &HeaderMap::new()).unwrap_err().why,
            "no credentials"
        );
        assert!(run(&s, &basic("no-colon")).is_err());
        assert!(run(&s, &basic(":pass")).is_err());
    }

    #[test]
    fn alternatives_are_or_and_schemes_are_and() {
        let key = Scheme::ApiKey {
            location: KeyIn::Header,
            name: "X-Key".into(),
        };
        let s = Security {
            alternatives: vec![vec![Scheme::Bearer, key.clone()], vec![Scheme::Basic]],
        };
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        let refused = run(&s, &h).unwrap_err();
        assert_eq!(refused.challenges.len(), 3, "{refused:?}");
        h.insert("x-key", HeaderValue::from_static("k"));
        assert!(run(&s, &h).is_ok());
        assert!(run(&s, &basic("a:b")).is_ok());
    }
}
