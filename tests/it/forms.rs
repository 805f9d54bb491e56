//! Form bodies are validated like JSON bodies (tests/fixtures/forms.yaml): a
//! url-encoded or multipart body that keeps its schema, read per OpenAPI 3.0's
//! encoding rules, is accepted; one that breaks it gets the operation's 400
//! naming the field and the rule, exactly as the same mistake in JSON would.

use std::sync::Arc;

use crate::common::*;
use mimeo::{Contract, MockServer};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const URLENCODED: &str = "application/x-www-form-urlencoded";

async fn server() -> MockServer {
    let contract = Contract::from_file("tests/fixtures/forms.yaml").expect("loads");
    assert!(contract.warnings().is_empty(), "{:?}", contract.warnings());
    MockServer::builder(Arc::new(contract))
        .start()
        .await
        .unwrap()
}

async fn post(s: &MockServer, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let r = send(
        &s.url(),
        "POST",
        path,
        &[("content-type", content_type)],
        Some(body),
    )
    .await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

fn messages() -> String {
    format!("/2010-04-01/Accounts/{SID}/Messages.json")
}

#[tokio::test]
async fn a_twilio_style_form_post_is_validated_like_json() {
    let s = server().await;
    for ok in [
        "To=%2B15558675310&From=%2B15017122661&Body=Hi+there",
        "To=x&StatusCallbackMethod=POST&MaxPrice=0.75&ProvideFeedback=true&ValidityPeriod=60",
        "To=x&MediaUrl=https%3A%2F%2Fe.com%2Fa.png&MediaUrl=https%3A%2F%2Fe.com%2Fb.png",
        // Keys the schema does not name are allowed where it allows them.
        "To=x&Unknown=1",
    ] {
        let (code, body) = post(&s, &messages(), URLENCODED, ok).await;
        assert_eq!(code, 201, "{ok}: {body}");
    }
    for (bad, named) in [
        (
            "From=%2B15017122661&Body=Hi",
            &["body: required", "\\\"To\\\" is a required property"][..],
        ),
        (
            "To=x&StatusCallbackMethod=PUT",
            &["body /StatusCallbackMethod: enum"],
        ),
        (
            "To=x&MaxPrice=cheap",
            &["body /MaxPrice: type", "expected a number"],
        ),
        ("To=x&ProvideFeedback=yes", &["body /ProvideFeedback: type"]),
        ("To=x&ValidityPeriod=0", &["body /ValidityPeriod: minimum"]),
        ("To=x&ValidityPeriod=1.5", &["body /ValidityPeriod: type"]),
        ("To=x&MediaUrl=not+a+url", &["body /MediaUrl/0: format"]),
        ("To=x&To=y", &["body /To: type", "given 2 times"]),
    ] {
        let (code, body) = post(&s, &messages(), URLENCODED, bad).await;
        assert_eq!(code, 400, "{bad}: {body}");
        for n in named {
            assert!(body.contains(n), "{bad}: `{n}` not in {body}");
        }
    }
    // The same mistake in JSON would be a Content-Type mistake: the form is what is documented.
    let (code, body) = post(&s, &messages(), "application/json", r#"{"To":"x"}"#).await;
    assert_eq!(code, 400);
    assert!(body.contains("content-type"), "{body}");
    // The violation is counted like any other.
    assert!(s
        .violations()
        .iter()
        .any(|v| v.message.contains("StatusCallbackMethod")));
}

#[tokio::test]
async fn encodings_say_how_nested_fields_are_sent() {
    let s = server().await;
    for ok in [
        "name=Ada&address%5Bcity%5D=London",
        "name=Ada&address%5Bcity%5D=London&address%5Bzip%5D=12345&tags=a,b",
        "name=Ada&address%5Bcity%5D=London&meta=%7B%22level%22%3A3%7D",
    ] {
        let (code, body) = post(&s, "/profiles", URLENCODED, ok).await;
        assert_eq!(code, 204, "{ok}: {body}");
    }
    for (bad, named) in [
        ("name=Ada", &["body: required", "address"][..]),
        (
            "name=Ada&address%5Bzip%5D=1",
            &["body /address: required", "city"],
        ),
        (
            "name=Ada&address%5Bcity%5D=L&address%5Bzip%5D=99999999999",
            &["body /address/zip: format", "int32"],
        ),
        (
            "name=Ada&address%5Bcity%5D=L&tags=a,b,c",
            &["body /tags: maxItems"],
        ),
        (
            "name=Ada&address%5Bcity%5D=L&meta=%7B%22level%22%3A%22x%22%7D",
            &["body /meta/level: type"],
        ),
        (
            "name=Ada&address%5Bcity%5D=L&meta=nope",
            &["body /meta: type", "not valid JSON"],
        ),
        (
            "name=Ada&address%5Bcity%5D=L&extra=1",
            &["body: additionalProperties", "extra"],
        ),
    ] {
        let (code, body) = post(&s, "/profiles", URLENCODED, bad).await;
        assert_eq!(code, 400, "{bad}: {body}");
        for n in named {
            assert!(body.contains(n), "{bad}: `{n}` not in {body}");
        }
    }
}

/// A part: its name, Content-Type and content.
type PartSpec<'a> = (&'a str, Option<&'a str>, &'a str);

fn multipart(parts: &[PartSpec<'_>]) -> String {
    let mut out = String::new();
    for (name, ct, body) in parts {
        out.push_str(&format!(
            "--b0undary\r\nContent-Disposition: form-data; name=\"{name}\"{}\r\n",
            if *name == "file" {
                "; filename=\"a.bin\""
            } else {
                ""
            }
        ));
        if let Some(ct) = ct {
            out.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        out.push_str(&format!("\r\n{body}\r\n"));
    }
    out.push_str("--b0undary--\r\n");
    out
}

#[tokio::test]
async fn multipart_parts_are_read_by_name_and_type() {
    let s = server().await;
    let ct = "multipart/form-data; boundary=b0undary";
    let file = ("file", Some("application/octet-stream"), "\u{1}\u{2}bytes");
    let ok = [
        vec![file, ("title", None, "hello")],
        vec![
            file,
            ("title", None, "hello"),
            ("count", None, "5"),
            ("meta", Some("application/json"), r#"{"kind":"a"}"#),
            ("tags", None, "x"),
            ("tags", None, "y"),
        ],
        // An object part is JSON by default, with or without its Content-Type.
        vec![
            file,
            ("title", None, "t"),
            ("meta", None, r#"{"kind":"b"}"#),
        ],
    ];
    for parts in ok {
        let (code, body) = post(&s, "/uploads", ct, &multipart(&parts)).await;
        assert_eq!(code, 204, "{parts:?}: {body}");
    }
    let bad: [(Vec<PartSpec<'_>>, &[&str]); 5] = [
        (vec![("title", None, "hello")], &["body: required", "file"]),
        (
            vec![file, ("title", None, "far too long")],
            &["body /title: maxLength"],
        ),
        (
            vec![file, ("title", None, "t"), ("count", None, "6")],
            &["body /count: maximum"],
        ),
        (
            vec![
                file,
                ("title", None, "t"),
                ("meta", None, r#"{"kind":"c"}"#),
            ],
            &["body /meta/kind: enum"],
        ),
        (
            vec![
                file,
                ("title", None, "t"),
                ("tags", None, "x"),
                ("tags", None, "z"),
            ],
            &["body /tags/1: enum"],
        ),
    ];
    for (parts, named) in bad {
        let (code, body) = post(&s, "/uploads", ct, &multipart(&parts)).await;
        assert_eq!(code, 400, "{parts:?}: {body}");
        for n in named {
            assert!(body.contains(n), "{parts:?}: `{n}` not in {body}");
        }
    }
    // A body that is not multipart at all, or has no boundary, is named as such.
    let (code, body) = post(&s, "/uploads", ct, "title=x").await;
    assert_eq!(code, 400);
    assert!(body.contains("boundary"), "{body}");
    let (code, body) = post(&s, "/uploads", "multipart/form-data", "x").await;
    assert_eq!(code, 400);
    assert!(body.contains("boundary parameter"), "{body}");
}
