//! Parameters are read in their declared serialization style and validated by
//! their schema (tests/fixtures/styles.yaml): what the OpenAPI specification
//! says is a valid serialization is accepted, and a value that breaks the
//! schema once read is a 400 naming the parameter and the rule. Integers are
//! held to their `format`'s range wherever they appear, and integers without a
//! format may be of any size.

use std::sync::Arc;

use crate::common::*;
use mimeo::{Contract, MockServer};

async fn server() -> MockServer {
    let contract = Contract::from_file("tests/fixtures/styles.yaml").expect("loads");
    assert!(contract.warnings().is_empty(), "{:?}", contract.warnings());
    MockServer::builder(Arc::new(contract))
        .start()
        .await
        .unwrap()
}

/// `[` and `]` percent-encoded, as clients send them.
fn url(path: &str) -> String {
    path.replace('[', "%5B").replace(']', "%5D")
}

async fn status(s: &MockServer, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let r = send_anonymous(&s.url(), "GET", &url(path), headers, "").await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

async fn accepted(s: &MockServer, paths: &[&str]) {
    for p in paths {
        let (code, body) = status(s, p, &[]).await;
        assert!(code == 200 || code == 204, "{p}: {code} {body}");
    }
}

/// Each request is refused with a message naming every fragment given.
async fn refused(s: &MockServer, cases: &[(&str, &[&str])]) {
    for (p, names) in cases {
        let (code, body) = status(s, p, &[]).await;
        assert_eq!(code, 400, "{p}: {body}");
        for n in *names {
            assert!(body.contains(n), "{p}: `{n}` not in {body}");
        }
    }
}

#[tokio::test]
async fn deep_objects_like_stripes() {
    let s = server().await;
    accepted(
        &s,
        &[
            "/search?created[gte]=1&created[lte]=9",
            "/search?created=1700000000",
            "/search?lines[0][amount]=5&lines[0][note]=x&lines[1][amount]=7",
        ],
    )
    .await;
    refused(
        &s,
        &[
            (
                "/search?created[gte]=soon",
                &["query parameter created", "expected an integer"],
            ),
            ("/search?created[after]=1", &["query parameter created", "anyOf"]),
            ("/search?created=-1", &["query parameter created"]),
            (
                "/search?lines[0][note]=x",
                &["query parameter lines/0", "required", "amount"],
            ),
            ("/search?lines[0][amount]=0", &["lines/0/amount", "minimum"]),
            (
                "/search?lines[0][amount]=1&lines[1][amount]=1&lines[2][amount]=1&lines[3][amount]=1",
                &["query parameter lines", "maxItems"],
            ),
            ("/search?lines[0][amount]=1.5", &["query parameter lines", "type"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn form_lists_objects_and_delimited_lists() {
    let s = server().await;
    accepted(
        &s,
        &[
            "/search?tags=red,blue",
            "/search?color=R,100,G,200",
            "/search?ids=1%202%203",
            "/search?ids=1+2",
            "/search?pipes=true|false",
            "/search?each=1&each=2",
        ],
    )
    .await;
    refused(
        &s,
        &[
            ("/search?tags=red,pink", &["query parameter tags/1", "enum"]),
            (
                "/search?color=R,300",
                &["query parameter color/R", "maximum"],
            ),
            ("/search?color=G,1", &["query parameter color", "required"]),
            ("/search?color=R", &["query parameter color", "pairs"]),
            ("/search?ids=1%20x", &["query parameter ids", "integer"]),
            (
                "/search?pipes=true|maybe",
                &["query parameter pipes", "true"],
            ),
            ("/search?each=1,2", &["query parameter each", "integer"]),
            ("/search?each=1&each=10", &["each/1", "maximum"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn empty_values_and_alternatives() {
    let s = server().await;
    accepted(
        &s,
        &[
            "/search?flag=",
            "/search?flag",
            "/search?flag=true",
            // oneOf: a number, or a string of digits with a leading zero, kept a string.
            "/search?code=12",
            "/search?code=0012",
            // Unknown parameters are allowed, `__` ones included.
            "/search?__trace=1&other=2",
        ],
    )
    .await;
    refused(
        &s,
        &[
            (
                "/search?strict=",
                &["query parameter strict", "`true` or `false`"],
            ),
            ("/search?flag=yes", &["query parameter flag"]),
            ("/search?code=abc", &["query parameter code", "oneOf"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn headers_cookies_and_path_styles() {
    let s = server().await;
    for (headers, ok) in [
        (vec![("x-ids", "1,2,3")], true),
        // A list's items may have white space around them (RFC 9110 5.6.1).
        (vec![("x-ids", "1, 2 ,3")], true),
        (vec![("x-ids", "1, b")], false),
        (vec![("x-ids", "1"), ("x-ids", "2")], true),
        (vec![("x-ids", "1,b")], false),
        (vec![("x-point", "x=1,y=2")], true),
        (vec![("x-point", "x=1,y=z")], false),
        (vec![("cookie", "prefs=ab,cd")], true),
        (vec![("cookie", "prefs=ab,cdef")], false),
    ] {
        let (code, body) = status(&s, "/search", &headers).await;
        assert_eq!(code, if ok { 200 } else { 400 }, "{headers:?}: {body}");
    }
    accepted(&s, &["/points/;point=1,2", "/labels/.a.b"]).await;
    refused(
        &s,
        &[
            ("/points/;point=1", &["path parameter point", "minItems"]),
            ("/points/1,2", &["path parameter point", "matrix"]),
            ("/labels/.a.d", &["path parameter label/1", "enum"]),
        ],
    )
    .await;
    // Valid text is remembered per way of reading it: `a,b` found valid
    // (twice, so it is kept) for an unexploded list is still one item, and
    // refused, for an exploded one with the same schema.
    accepted(&s, &["/tags?tags=a,b", "/tags?tags=a,b", "/tags?tags=a,b"]).await;
    refused(
        &s,
        &[(
            "/exploded-tags?tags=a,b",
            &["query parameter tags/0", "pattern"],
        )],
    )
    .await;
}

#[tokio::test]
async fn integers_keep_their_format_range_and_others_any_size() {
    let s = server().await;
    accepted(
        &s,
        &[
            "/search?big=123456789012345678901234567890",
            "/search?big=-9223372036854775809",
            "/search?small=2147483647&long=9223372036854775807",
            "/search?small=-2147483648&long=-9223372036854775808",
        ],
    )
    .await;
    refused(
        &s,
        &[
            (
                "/search?small=2147483648",
                &["query parameter small", "format", "int32"],
            ),
            (
                "/search?long=9223372036854775808",
                &["query parameter long", "format", "int64"],
            ),
            ("/search?long=-9223372036854775809", &["format", "int64"]),
            ("/search?big=1.0", &["query parameter big", "integer"]),
        ],
    )
    .await;
    let post = |body: &'static str| {
        let u = s.url();
        async move {
            let r = send_anonymous(
                &u,
                "POST",
                "/numbers",
                &[("content-type", "application/json")],
                body,
            )
            .await;
            (r.status, String::from_utf8_lossy(&r.body).into_owned())
        }
    };
    for ok in [
        r#"{"small": 2147483647, "long": -9223372036854775808}"#,
        r#"{"any": 123456789012345678901234567890}"#,
    ] {
        assert_eq!(post(ok).await.0, 204, "{ok}");
    }
    for (bad, at) in [
        (r#"{"small": 2147483648}"#, "body /small: format"),
        (r#"{"long": 9223372036854775808}"#, "body /long: format"),
        (r#"{"long": 18446744073709551616}"#, "body /long: format"),
        (r#"{"long": 1e30}"#, "body /long: format"),
        (r#"{"small": 1.5}"#, "body /small: type"),
    ] {
        let (code, body) = post(bad).await;
        assert_eq!(code, 400, "{bad}: {body}");
        assert!(body.contains(at), "{bad}: {body}");
    }
}
