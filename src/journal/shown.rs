//! A request's target and session as a log line shows them, redacted
//! ([`Redactor::target`], [`Redactor::shown`]), kept per thread: they depend
//! on the contract, the server's own credentials, the request's target,
//! session and headers only, and a client sends the same ones again and
//! again. Making them took a tenth of a logged request's instructions (a
//! redactor reads every header); a request like one seen before costs a hash
//! of those texts. Bounded as [`SeenBodies`] is; longer requests are shown
//! afresh.

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::LocalKey;

use hyper::header::HeaderMap;
use hyper::Uri;

use super::redact::{Redactor, REDACTED};
use crate::contract::profile::Profile;
use crate::secrets::Secrets;
use crate::support::seen::{SeenBodies, MAX_BODY};

/// A request's target (`/path?query`) and session, as shown.
pub(crate) struct Shown {
    pub(crate) target: Box<str>,
    pub(crate) session: Box<str>,
}

thread_local! {
    /// The key being looked up (one buffer, reused).
    static KEY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static SHOWN: RefCell<SeenBodies<Rc<Shown>>> = const { RefCell::new(SeenBodies::new()) };
    static PREFERRED: RefCell<SeenBodies<Rc<str>>> = const { RefCell::new(SeenBodies::new()) };
}

/// How the request with `headers` to `uri` in `session` (empty: none) shows,
/// hiding `configured` (the server's own credentials) and what the request
/// carries; `redactor` gives that request's [`Redactor`] when it is not known
/// (the caller's, which may need it anyway: made once).
pub(crate) fn shown<'r, 'a: 'r>(
    profile: &Profile,
    configured: &Secrets,
    headers: &HeaderMap,
    uri: &Uri,
    session: &str,
    redactor: impl FnOnce() -> &'r Redactor<'a>,
) -> Rc<Shown> {
    let make = || {
        let r = redactor();
        let session = if session.is_empty() {
            Box::from("")
        } else if profile.is_secret(session) {
            Box::from(REDACTED)
        } else {
            Box::from(r.shown(session))
        };
        Rc::new(Shown {
            target: r.target(uri.path(), uri.query()).into(),
            session,
        })
    };
    let path_and_query = uri.path_and_query().map_or("", |p| p.as_str());
    let texts = [
        &configured.uid().to_le_bytes()[..],
        session.as_bytes(),
        path_and_query.as_bytes(),
    ];
    kept(&SHOWN, profile, texts, headers, make, |made| {
        made.target.len() + made.session.len()
    })
}

/// The reason a log line gives for an answer the request's own `Prefer` chose
/// (`make`: that preference as written, redacted), kept per thread as
/// [`shown`] is. The preference is read from the `Prefer` headers and the
/// query, and its redaction depends on the server's credentials, the headers
/// and the query: all in the key (the path is not: requests to each of many
/// resources find the same reason). A form body's values are hidden too, so
/// a request with one (`form`) is shown afresh. Making it took about 3,700
/// instructions (a redactor, the preference written out and redacted), for a
/// quarter of the benches' requests.
pub(crate) fn preferred(
    profile: &Profile,
    configured: &Secrets,
    headers: &HeaderMap,
    uri: &Uri,
    form: bool,
    make: impl FnOnce() -> String,
) -> Rc<str> {
    if form {
        return make().into();
    }
    // (A query, even an empty one, is told apart from none.)
    let query = uri.query().map_or(&b"\0"[..], |q| q.as_bytes());
    let texts = [&configured.uid().to_le_bytes()[..], query];
    kept(
        &PREFERRED,
        profile,
        texts,
        headers,
        || make().into(),
        |made| made.len(),
    )
}

/// What `make` gives, looked up first in `memo` by `profile`, `texts` and
/// `headers` (see [`write_key`]), and kept there when made (its weight by
/// `weight`); made every time when the key is too long to keep.
fn kept<'t, V: Clone + 'static>(
    memo: &'static LocalKey<RefCell<SeenBodies<V>>>,
    profile: &Profile,
    texts: impl IntoIterator<Item = &'t [u8]>,
    headers: &HeaderMap,
    make: impl FnOnce() -> V,
    weight: impl FnOnce(&V) -> usize,
) -> V {
    KEY.with(|key| {
        let mut key = key.borrow_mut();
        if !write_key(&mut key, texts, headers) {
            return make();
        }
        let uid = profile.uid.0;
        if let Some(kept) = memo.with(|m| m.borrow().get(uid, 0, &key)) {
            return kept;
        }
        let made = make();
        let weight = weight(&made);
        memo.with(|m| m.borrow_mut().keep(uid, 0, &key, made.clone(), weight));
        made
    })
}

/// Writes `texts` and then `headers`' names and values into `out`, each after
/// its length; `false` when that takes more than a memo keeps. No two requests
/// write the same when a caller writes as many texts every time (or their
/// count first: see the proxy's secrets).
pub(crate) fn write_key<'t>(
    out: &mut Vec<u8>,
    texts: impl IntoIterator<Item = &'t [u8]>,
    headers: &HeaderMap,
) -> bool {
    out.clear();
    let mut text = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
        out.len() <= MAX_BODY
    };
    let fits = texts.into_iter().all(&mut text)
        && headers
            .iter()
            .all(|(n, v)| text(n.as_str().as_bytes()) && text(v.as_bytes()));
    if !fits {
        out.clear();
    }
    fits
}

/// A contract of no operations: what the tests of a request's shown forms
/// need.
#[cfg(test)]
pub(crate) fn empty_contract() -> crate::contract::Contract {
    let doc = r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}"#;
    crate::contract::Contract::from_text("t.json", doc).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                hyper::header::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn shown(
        profile: &Profile,
        configured: &Secrets,
        headers: &HeaderMap,
        uri: &Uri,
        session: &str,
    ) -> Rc<Shown> {
        let r = std::cell::OnceCell::new();
        super::shown(profile, configured, headers, uri, session, || {
            r.get_or_init(|| Redactor::new(profile, configured, headers))
        })
    }

    #[test]
    fn a_request_like_one_seen_before_shows_as_it_did_and_another_afresh() {
        let contract = crate::journal::empty_contract();
        let p = &contract.profile;
        let none = Secrets::default();
        let basic = headers(&[("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4=")]); // user:s3cr3t-token
        let uri: Uri = "/a/s3cr3t-token?token=abcdefgh".parse().unwrap();
        let first = shown(p, &none, &basic, &uri, "user");
        assert_eq!(&*first.target, "/a/[redacted]?token=%5Bredacted%5D");
        assert_eq!(&*first.session, "user");
        // Kept the second time, found the third.
        let again = shown(p, &none, &basic, &uri, "user");
        assert_eq!(
            (&*again.target, &*again.session),
            (&*first.target, &*first.session)
        );
        assert!(Rc::ptr_eq(&again, &shown(p, &none, &basic, &uri, "user")));
        // Other credentials, none, or the server's own: shown afresh.
        let bearer = headers(&[("authorization", "Bearer other-token")]);
        let plain: Uri = "/a/s3cr3t-token".parse().unwrap();
        assert_eq!(
            &*shown(p, &none, &bearer, &plain, "").target,
            "/a/s3cr3t-token"
        );
        assert_eq!(
            &*shown(p, &none, &HeaderMap::new(), &plain, "").target,
            "/a/s3cr3t-token"
        );
        let own = Secrets::new(["s3cr3t-token".to_string()]);
        let hidden = shown(p, &own, &HeaderMap::new(), &plain, "s3cr3t-token-2");
        assert_eq!(&*hidden.target, "/a/[redacted]");
        assert_eq!(&*hidden.session, "[redacted]-2");
        // Another set of the server's own, the same texts: its own verdict.
        let other = Secrets::new(["another-secret".to_string()]);
        let shown_other = shown(p, &other, &HeaderMap::new(), &plain, "s3cr3t-token-2");
        assert_eq!(&*shown_other.target, "/a/s3cr3t-token");

        // The key keeps its parts apart: a value that reads as the next
        // header's name is another request.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert!(write_key(
            &mut a,
            [&b"x"[..]],
            &headers(&[("x-a", "b"), ("x-c", "d")])
        ));
        assert!(write_key(
            &mut b,
            [&b"x"[..]],
            &headers(&[("x-a", "bx-c"), ("d", "")])
        ));
        assert_ne!(a, b);
        assert!(write_key(
            &mut b,
            [&b"xx"[..]],
            &headers(&[("x-a", "b"), ("x-c", "d")])
        ));
        assert_ne!(a, b);
        // Too long to keep: shown all the same.
        let long = format!("/{}", "l".repeat(MAX_BODY));
        assert!(!write_key(&mut a, [long.as_bytes()], &HeaderMap::new()));
        assert!(a.is_empty());
        let uri: Uri = long.parse().unwrap();
        assert_eq!(&*shown(p, &none, &HeaderMap::new(), &uri, "").target, long);
    }

    #[test]
    fn each_part_of_the_key_keeps_a_credential_hidden() {
        let contract = crate::journal::empty_contract();
        let p = &contract.profile;
        let none = Secrets::default();
        let uri: Uri = "/a/s3cr3t-token".parse().unwrap();
        let basic = headers(&[("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4=")]);
        let own = Secrets::new(["s3cr3t-token".to_string()]);
        // Each twice: kept, then found.
        for _ in 0..3 {
            let plain = shown(p, &none, &HeaderMap::new(), &uri, "s3cr3t-token-2");
            assert_eq!(&*plain.target, "/a/s3cr3t-token");
            let hidden = shown(p, &none, &basic, &uri, "s3cr3t-token-2");
            assert_eq!(
                (&*hidden.target, &*hidden.session),
                ("/a/[redacted]", "[redacted]-2")
            );
            assert_eq!(&*shown(p, &none, &basic, &uri, "bob").session, "bob");
            let target = shown(p, &own, &HeaderMap::new(), &uri, "s3cr3t-token-2")
                .target
                .clone();
            assert_eq!(&*target, "/a/[redacted]");
        }
    }

    #[test]
    fn a_preferences_reason_is_kept_by_everything_its_redaction_reads() {
        let contract = crate::journal::empty_contract();
        let p = &contract.profile;
        let none = Secrets::default();
        let own = Secrets::new(["s3cr3t-token".to_string()]);
        let basic = headers(&[("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4=")]);
        let prefer = headers(&[("prefer", "code=404")]);
        let made = std::cell::Cell::new(0);
        // How many of three requests alike had their reason made.
        let made_of_three = |configured: &Secrets, h: &HeaderMap, uri: &str, form: bool| {
            let uri: Uri = uri.parse().unwrap();
            let before = made.get();
            let mut texts = Vec::new();
            for _ in 0..3 {
                texts.push(preferred(p, configured, h, &uri, form, || {
                    made.set(made.get() + 1);
                    format!("{uri} {}", made.get())
                }));
            }
            // What is found is what was kept: the text made last.
            assert_eq!(texts[2], texts[1]);
            made.get() - before
        };
        // Kept on its second sighting (see `SeenBodies`), then found.
        assert_eq!(made_of_three(&none, &prefer, "/a?q=1", false), 2);
        assert_eq!(made_of_three(&none, &prefer, "/a?q=1", false), 0);
        // Other headers, query or server credentials: another key.
        assert_eq!(made_of_three(&none, &basic, "/a?q=1", false), 2);
        assert_eq!(made_of_three(&none, &prefer, "/a?q=2", false), 2);
        assert_eq!(made_of_three(&none, &prefer, "/a?", false), 2);
        assert_eq!(made_of_three(&none, &prefer, "/a", false), 2);
        assert_eq!(made_of_three(&own, &prefer, "/a?q=1", false), 2);
        assert_eq!(made_of_three(&none, &prefer, "/a?q=1", false), 0);
        // Another path, the same: the reason does not read it.
        assert_eq!(made_of_three(&none, &prefer, "/b?q=1", false), 0);
        // A form body (not in the key) is read every time, and so is a
        // request too long to keep.
        let long = format!("/a?q={}", "l".repeat(MAX_BODY));
        let uri: Uri = "/a?q=1".parse().unwrap();
        for (uri, form) in [(uri, true), (long.parse().unwrap(), false)] {
            let before = made.get();
            for _ in 0..3 {
                preferred(p, &none, &prefer, &uri, form, || {
                    made.set(made.get() + 1);
                    String::new()
                });
            }
            assert_eq!(made.get() - before, 3, "{uri}");
        }
    }
}
