//! A request as the proxy shows it: the line its log, summary and reports
//! print (the target redacted as the mock's journal redacts it), and the
//! credentials its messages hide. Both depend on the request's method, target
//! and headers only, and a client sends the same ones again and again, so each
//! thread keeps them: a request like one seen before costs a hash of those
//! texts (making the line took a twentieth of a proxied request's
//! instructions; the secrets of a request with violations, a tenth of it).

use std::cell::RefCell;

use hyper::http::request::Parts;

use crate::contract::Contract;
use crate::journal::Redactor;
use crate::secrets::Secrets;
use crate::support::recent::Recent;
use crate::support::seen::SeenBodies;

/// Requests whose method, target and headers take more than this are shown
/// afresh every time (a bound on what a thread keeps).
const MAX_KEY: usize = 4096;

thread_local! {
    /// The key being looked up (one buffer, reused).
    static KEY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Lines by request (many: a client calls many paths).
    static LINES: RefCell<SeenBodies<std::rc::Rc<str>>> = const { RefCell::new(SeenBodies::new()) };
    /// Secrets by request but its method and path (few: a client sends the
    /// same credentials; each holds a matcher).
    static SECRETS: RefCell<Recent<Vec<u8>, Secrets, 8>> = const { RefCell::new(Recent::new()) };
}

/// `METHOD /path?query`, with what the target shows of credentials hidden.
pub(super) fn line(contract: &Contract, parts: &Parts) -> String {
    let make = || {
        let none = Secrets::default();
        let r = Redactor::new(&contract.profile, &none, &parts.headers);
        format!(
            "{} {}",
            parts.method,
            r.target(parts.uri.path(), parts.uri.query())
        )
    };
    KEY.with(|key| {
        let mut key = key.borrow_mut();
        if !write_key(&mut key, contract, &[], parts, true) {
            return make();
        }
        let uid = contract.profile.uid.0;
        if let Some(kept) = LINES.with(|l| l.borrow().get(uid, 0, &key)) {
            return String::from(&*kept);
        }
        let made = make();
        LINES.with(|l| {
            let weight = made.len();
            l.borrow_mut()
                .keep(uid, 0, &key, made.as_str().into(), weight)
        });
        made
    })
}

/// What the messages about a request hide: the credentials the target's URL
/// holds (`target_secrets`), and those the request carries (in its query, its
/// `Authorization`, the headers the contract names as keys, its cookies).
pub(super) fn message_secrets(
    contract: &Contract,
    target_secrets: &[String],
    parts: &Parts,
) -> Secrets {
    let make = || {
        let mut secrets = crate::secrets::hidden_query_values(contract, &parts.uri);
        secrets.extend(target_secrets.iter().cloned());
        for v in parts.headers.get_all(hyper::header::AUTHORIZATION) {
            crate::secrets::authorization_secrets(
                &String::from_utf8_lossy(v.as_bytes()),
                &mut secrets,
            );
        }
        // Every other credential the request carries (API keys the contract
        // declares, cookies), as the mock's journal hides them.
        secrets.extend(crate::journal::carried_credentials(
            &contract.profile,
            parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        ));
        Secrets::recent(secrets)
    };
    KEY.with(|key| {
        let mut key = key.borrow_mut();
        if !write_key(&mut key, contract, target_secrets, parts, false) {
            return make();
        }
        SECRETS.with(|m| m.borrow_mut().get_or_make(key.as_slice(), make))
    })
}

/// Writes what tells requests apart here into `out` (each text after its
/// length, so no two requests write the same): the contract, `extra`, the
/// method and path when `whole` (else the query alone), and the headers;
/// `false` when it is too long.
fn write_key(
    out: &mut Vec<u8>,
    contract: &Contract,
    extra: &[String],
    parts: &Parts,
    whole: bool,
) -> bool {
    out.clear();
    let mut text = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
        out.len() <= MAX_KEY
    };
    let mut fits = text(&contract.profile.uid.0.to_le_bytes());
    if whole {
        let uri = parts.uri.path_and_query().map_or("", |p| p.as_str());
        fits = fits && text(parts.method.as_str().as_bytes()) && text(uri.as_bytes());
    } else {
        fits = fits && text(parts.uri.query().unwrap_or("").as_bytes());
    }
    for e in extra {
        fits = fits && text(e.as_bytes());
    }
    for (name, value) in &parts.headers {
        fits = fits && text(name.as_str().as_bytes()) && text(value.as_bytes());
    }
    if !fits {
        out.clear();
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = hyper::Request::builder().method("GET").uri(uri);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_request_like_one_seen_before_is_shown_as_it_was_and_another_afresh() {
        let contract = Contract::from_text(
            "t.json",
            r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}"#,
        )
        .unwrap();
        let basic = ("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4="); // user:s3cr3t-token
        let first = parts("/a/s3cr3t-token?token=abcdefgh", &[basic]);
        let shown = line(&contract, &first);
        assert_eq!(shown, "GET /a/[redacted]?token=%5Bredacted%5D");
        assert_eq!(line(&contract, &first), shown);
        // Another credential, or none: its own line.
        let other = parts(
            "/a/s3cr3t-token",
            &[("authorization", "Bearer other-token")],
        );
        assert_eq!(line(&contract, &other), "GET /a/s3cr3t-token");
        assert_eq!(
            line(&contract, &parts("/a/s3cr3t-token", &[])),
            "GET /a/s3cr3t-token"
        );
        // The key keeps its parts apart: a header's value that reads as the next
        // header's name is another request.
        let a = parts("/x", &[("x-a", "b"), ("x-c", "d")]);
        let mut key_a = Vec::new();
        assert!(write_key(&mut key_a, &contract, &[], &a, true));
        let mut key_b = Vec::new();
        assert!(write_key(&mut key_b, &contract, &["x".into()], &a, true));
        assert_ne!(key_a, key_b);
        let b = parts("/x", &[("x-a", "bx-c"), ("d", "")]);
        assert!(write_key(&mut key_b, &contract, &[], &b, true));
        assert_ne!(key_a, key_b);
        // Too long to keep: shown all the same.
        let long = format!("/{}", "l".repeat(MAX_KEY));
        assert!(!write_key(
            &mut key_a,
            &contract,
            &[],
            &parts(&long, &[]),
            true
        ));
        assert_eq!(line(&contract, &parts(&long, &[])), format!("GET {long}"));

        // The secrets follow the request, and the target's.
        let hidden = message_secrets(&contract, &[], &first);
        assert_eq!(hidden.scrub("got s3cr3t-token"), "got [redacted]");
        // (Its path is not a credential's place: its query and headers are.)
        let elsewhere = parts("/b?token=abcdefgh", &[basic]);
        let secrets = message_secrets(&contract, &[], &elsewhere);
        assert_eq!(
            secrets.scrub("s3cr3t-token abcdefgh"),
            "[redacted] [redacted]"
        );
        let plain = parts("/a", &[]);
        assert_eq!(
            message_secrets(&contract, &[], &plain).scrub("got s3cr3t-token"),
            "got s3cr3t-token"
        );
        let targets = ["target-pass".to_string()];
        assert_eq!(
            message_secrets(&contract, &targets, &plain).scrub("got target-pass"),
            "got [redacted]"
        );
        assert_eq!(
            message_secrets(&contract, &[], &plain).scrub("got target-pass"),
            "got target-pass"
        );
    }
}
