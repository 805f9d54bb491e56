//! A request as the proxy shows it: the line its log, summary and reports
//! print (the target redacted as the mock's log redacts it: see
//! [`crate::journal::shown`]), and the credentials its messages hide, kept per
//! thread by what they depend on (making them took a tenth of the instructions
//! of a proxied request with violations).

use std::cell::RefCell;

use hyper::http::request::Parts;

use crate::contract::Contract;
use crate::secrets::Secrets;
use crate::support::recent::Recent;

thread_local! {
    /// The key being looked up (one buffer, reused).
    static KEY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Secrets by the request's credentials (few: a client sends the same
    /// ones; each holds a matcher).
    static SECRETS: RefCell<Recent<Vec<u8>, Secrets, 8>> = const { RefCell::new(Recent::new()) };
}

/// `METHOD /path?query`, with the credentials it shows hidden: those the
/// request carries, and `target` (the target URL's own, which a client may
/// repeat in a URL).
pub(super) fn line(contract: &Contract, target: &Secrets, parts: &Parts) -> String {
    let r = std::cell::OnceCell::new();
    let shown = crate::journal::shown(
        &contract.profile,
        target,
        &parts.headers,
        &parts.uri,
        "",
        || {
            r.get_or_init(|| {
                crate::journal::Redactor::new(&contract.profile, target, &parts.headers)
            })
        },
    );
    let mut line = String::with_capacity(parts.method.as_str().len() + 1 + shown.target.len());
    line.push_str(parts.method.as_str());
    line.push(' ');
    line.push_str(&shown.target);
    line
}

/// What the messages about a request hide: the credentials the target's URL
/// holds (`target_secrets`), and those the request carries (in its query, its
/// `Authorization`, the headers the contract names as keys, its cookies).
pub(super) fn message_secrets(
    contract: &Contract,
    target_secrets: &[String],
    parts: &Parts,
) -> Secrets {
    let values = || {
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
        secrets
    };
    // What they depend on: the contract, the target's credentials (how many,
    // then each), the query and the headers (not the method or the path).
    let uid = contract.profile.uid.0.to_le_bytes();
    let count = (target_secrets.len() as u64).to_le_bytes();
    let texts = [
        &uid[..],
        &count[..],
        parts.uri.query().unwrap_or("").as_bytes(),
    ]
    .into_iter()
    .chain(target_secrets.iter().map(|s| s.as_bytes()));
    KEY.with(|key| {
        let mut key = key.borrow_mut();
        if !crate::journal::write_key(&mut key, texts, &parts.headers) {
            return Secrets::recent(values());
        }
        let kept = SECRETS.with(|m| m.borrow().find(|k| k == key.as_slice()).cloned());
        if let Some(kept) = kept {
            return kept;
        }
        let values = values();
        // (As `Secrets::recent`: each value becomes some thirty forms, and a
        // matcher of long ones takes megabytes; those are not kept.)
        let light = values.iter().map(String::len).sum::<usize>() <= MAX_KEPT;
        let made = Secrets::recent(values);
        if light {
            SECRETS.with(|m| m.borrow_mut().keep(key.clone(), made.clone()));
        }
        made
    })
}

/// The most bytes of credentials whose [`Secrets`] are kept.
const MAX_KEPT: usize = 512;

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
    fn a_requests_line_and_secrets_follow_the_request_and_the_target() {
        let contract = crate::journal::empty_contract();
        let basic = ("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4="); // user:s3cr3t-token
        let first = parts("/a/s3cr3t-token?token=abcdefgh", &[basic]);
        assert_eq!(
            line(&contract, &Secrets::default(), &first),
            "GET /a/[redacted]?token=%5Bredacted%5D"
        );
        assert_eq!(
            line(&contract, &Secrets::default(), &first),
            "GET /a/[redacted]?token=%5Bredacted%5D"
        );
        assert_eq!(
            line(
                &contract,
                &Secrets::default(),
                &parts("/a/s3cr3t-token", &[])
            ),
            "GET /a/s3cr3t-token"
        );

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
        let none = message_secrets(&contract, &[], &plain);
        assert_eq!(none.scrub("got s3cr3t-token"), "got s3cr3t-token");
        let targets = ["target-pass".to_string()];
        let target = message_secrets(&contract, &targets, &plain);
        assert_eq!(target.scrub("got target-pass"), "got [redacted]");
        let none = message_secrets(&contract, &[], &plain);
        assert_eq!(none.scrub("got target-pass"), "got target-pass");
    }

    #[test]
    fn the_secrets_follow_the_headers_the_query_and_the_targets() {
        let c = crate::journal::empty_contract();
        let basic = ("authorization", "Basic dXNlcjpzM2NyM3QtdG9rZW4="); // user:s3cr3t-token
        let said = "got s3cr3t-token abcdefgh";
        for _ in 0..2 {
            let none = message_secrets(&c, &[], &parts("/a?q=1", &[]));
            assert_eq!(none.scrub(said), said);
            let header = message_secrets(&c, &[], &parts("/a?q=1", &[basic]));
            assert_eq!(header.scrub(said), "got [redacted] abcdefgh");
            let query = message_secrets(&c, &[], &parts("/a?token=abcdefgh", &[]));
            assert_eq!(query.scrub(said), "got s3cr3t-token [redacted]");
        }
        // Target credentials that read as a header are not that header.
        let bearer = ("authorization", "Bearer sekrit-token-1");
        let targets = [bearer.0.to_string(), bearer.1.to_string()];
        message_secrets(&c, &targets, &parts("/a", &[]));
        let sent = message_secrets(&c, &[], &parts("/a", &[bearer]));
        assert_eq!(sent.scrub("got sekrit-token-1"), "got [redacted]");
        // Long credentials: hidden, not kept.
        let long = format!("Bearer {}", "t".repeat(MAX_KEPT));
        let kept_before = SECRETS.with(|m| m.borrow().find(|_| true).is_some());
        let hidden = message_secrets(&c, &[], &parts("/a", &[("authorization", &long)]));
        assert_eq!(hidden.scrub(&long[7..]), "[redacted]");
        let key_of_long = SECRETS.with(|m| {
            m.borrow()
                .find(|k| k.windows(MAX_KEPT).any(|w| w.iter().all(|&b| b == b't')))
                .is_some()
        });
        assert!(kept_before && !key_of_long);
    }
}
