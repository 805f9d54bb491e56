//! `expect.body` and `expect.headers`: every matcher holding on a real answer
//! of the stateful mock, then every one failing, each failure its own check
//! (`body_assertion`, `header_assertion`) that names the pointer or header, what
//! was expected and what came; through the binary, the same on the terminal and
//! in JUnit.

use std::sync::Arc;

use mimeo::replay::AssertionFailure;
use mimeo::state::{StateModel, StateOptions};
use mimeo::{Check, MockServer, ReplayOptions, Scenario, ServeOptions, Target};

use crate::common::replay::{junit_failures, replay, run, write};

const STORE: &str = "mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6";
const PROFILE: &str = "mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6";

/// Adds two emails, then reads them with `holds` (matchers that hold) and
/// `fails` (matchers that fail).
fn scenario(holds: &str, fails: &str) -> String {
    format!(
        r#"name: matchers
vars:
  storeId: {STORE}
  profileId: {PROFILE}
  second: b@x.io
setup:
  - request:
      method: POST
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers
      body: {{idType: email, value: a@x.io}}
  - request:
      method: POST
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers
      body: {{idType: email, value: b@x.io}}
steps:
  - name: every matcher holds
    request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email
    expect:
{holds}
  - name: every matcher fails
    request:
      method: GET
      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email
    expect:
{fails}"#
    )
}

const HOLDS: &str = r#"      status: 200
      body:
        /idType: {equals: email, matches: '^e.a', length: 5}
        /values: {equals: [a@x.io, "{{second}}"], contains: "{{second}}", length: 2, absent: false, empty: false, each: {matches: '@x\.io$', length: 6}}
        /values/1: {contains: "x.io"}
        "": {contains: {idType: email}, length: 2}
        /nothing: {absent: true, empty: true}
        /nothing/deeper: {each: {equals: 1}}
      headers:
        Content-Type: {present: true, equals: application/json, contains: "/js", matches: '^application/'}
        Location: {present: false}
"#;

const FAILS: &str = r#"      status: 200
      body:
        /values: {equals: [a@x.io], contains: z@x.io, length: 3, absent: true, empty: true, each: {matches: '^a'}}
        /idType: {matches: '^phone$', each: {equals: 1}}
        /values/0: {contains: "@y.io"}
        "": {contains: {idType: phone}}
        /nothing: {absent: false, equals: null, empty: false}
        /values/1: {length: 1}
        /values/9: {matches: '.'}
      headers:
        Content-Type: {equals: text/plain, contains: "{{second}}", matches: '^text/'}
        Content-Length: {present: false}
        Location: {present: true}
"#;

async fn run_matchers() -> mimeo::ScenarioRun {
    let contract = crate::common::contract();
    let model = StateModel::for_contract(&contract).expect("model");
    let mock = MockServer::start(
        contract.clone(),
        ServeOptions {
            stateful: Some((Arc::new(model), StateOptions::default())),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("mock starts");
    let scenario = Scenario::from_text("m.yaml", &scenario(HOLDS, FAILS), &contract)
        .unwrap_or_else(|e| panic!("{}", e[0]));
    let target = Target {
        base: mock.url(),
        is_mock: true,
    };
    let mut runs = mimeo::run_scenarios(
        contract,
        Arc::new(vec![scenario]),
        target,
        ReplayOptions::default(),
        |_| {},
    )
    .await
    .expect("runs");
    runs.remove(0)
}

fn find<'a>(all: &'a [AssertionFailure], at: &str, matcher: &str) -> &'a AssertionFailure {
    all.iter()
        .find(|f| f.at == at && f.matcher == matcher)
        .unwrap_or_else(|| panic!("no failure of `{matcher}` at {at}: {all:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_matcher_holds_and_fails_with_pointer_expected_and_actual() {
    let run = run_matchers().await;
    let holds = &run.steps[2];
    assert!(holds.failures.is_empty(), "{:#?}", holds.failures);
    assert!(holds.checks_ran.contains(&Check::BodyAssertion));
    assert!(holds.checks_ran.contains(&Check::HeaderAssertion));

    let fails = &run.steps[3];
    let all = &fails.failed_assertions;
    let values = r#"["a@x.io","b@x.io"]"#;
    let cases: [(&str, &str, &str, Option<&str>); 15] = [
        ("/values", "equals", r#"["a@x.io"]"#, Some(values)),
        (
            "/values",
            "contains",
            r#"something containing "z@x.io""#,
            Some(values),
        ),
        ("/values", "length", "3", Some(values)),
        ("/values", "absent", "nothing", Some(values)),
        (
            "/idType",
            "matches",
            "a string matching `^phone$`",
            Some(r#""email""#),
        ),
        (
            "/idType",
            "each",
            "an array whose every item is equals 1",
            Some(r#""email""#),
        ),
        (
            "/values/0",
            "contains",
            r#"something containing "@y.io""#,
            Some(r#""a@x.io""#),
        ),
        (
            "",
            "contains",
            r#"something containing {"idType":"phone"}"#,
            Some(r#"{"idType":"email","values":["a@x.io","b@x.io"]}"#),
        ),
        ("/nothing", "absent", "a value", None),
        ("/nothing", "equals", "null", None),
        ("/nothing", "empty", "a value that is not empty", None),
        (
            "/values",
            "empty",
            "nothing, null or an empty array, string or object",
            Some(values),
        ),
        ("/values/1", "length", "1", Some(r#""b@x.io""#)),
        ("/values/9", "matches", "a string matching `.`", None),
        (
            "/values/1",
            "matches",
            "a string matching `^a`",
            Some(r#""b@x.io""#),
        ),
    ];
    for (at, matcher, expected, actual) in cases {
        let f = find(all, at, matcher);
        assert_eq!(f.check, Check::BodyAssertion);
        assert_eq!(f.expected, expected, "{f:#?}");
        assert_eq!(f.actual.as_deref(), actual, "{f:#?}");
    }
    let header = |matcher: &str, expected: &str, actual: Option<&str>| {
        let f = all
            .iter()
            .find(|f| {
                f.check == Check::HeaderAssertion && f.matcher == matcher && f.expected == expected
            })
            .unwrap_or_else(|| {
                panic!("no header failure `{matcher}` expecting {expected}: {all:#?}")
            });
        assert_eq!(f.actual.as_deref(), actual, "{f:#?}");
    };
    header("equals", r#""text/plain""#, Some(r#""application/json""#));
    // `contains` fills placeholders, and says what it looked for.
    header(
        "contains",
        r#"a value containing "b@x.io""#,
        Some(r#""application/json""#),
    );
    header(
        "matches",
        "a match of `^text/`",
        Some(r#""application/json""#),
    );
    let length = all
        .iter()
        .find(|f| f.at == "content-length")
        .expect("content-length");
    assert_eq!(
        (length.matcher.as_str(), length.expected.as_str()),
        ("present", "absent")
    );
    assert!(length.actual.is_some(), "{length:#?}");
    header("present", "present", None);
    assert_eq!(
        fails
            .failures
            .iter()
            .filter(|f| f.check == Check::BodyAssertion)
            .count(),
        all.iter()
            .filter(|f| f.check == Check::BodyAssertion)
            .count(),
        "each failed matcher is one failure of its check"
    );
    let message = fails
        .failures
        .iter()
        .find(|f| f.message.starts_with("at /values: length:"))
        .unwrap();
    assert_eq!(
        message.to_string(),
        format!("body_assertion: at /values: length: expected 3, got {values}")
    );
    // The contract's own checks held: the answer was right, the matchers were not.
    assert!(fails
        .failures
        .iter()
        .all(|f| matches!(f.check, Check::BodyAssertion | Check::HeaderAssertion)));
}

#[test]
fn assertion_failures_reach_the_terminal_junit_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "m.yaml", &scenario(HOLDS, "      body:\n        /values: {length: 3}\n      headers:\n        Location: {present: true}\n"));
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let mut cmd = replay();
    cmd.arg(&file)
        .arg("--snapshots")
        .arg(dir.path().join("snaps"))
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json);
    let out = run(cmd);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout.contains(r#"step 2 `every matcher fails`: body_assertion: at /values: length: expected 3, got ["a@x.io","b@x.io"]"#),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("header_assertion: at location: present: expected present, got nothing"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let failures = junit_failures(&xml);
    assert_eq!(failures[0].0, "body_assertion", "{failures:?}");
    // The failure's text shows what came back (no failure message names
    // `idType`: only the answer's body does).
    assert!(
        xml.contains("the answer: 200\n") || xml.contains("the answer: 200&#xA;"),
        "{xml}"
    );
    assert!(xml.contains("idType"), "{xml}");
    assert!(failures[0]
        .1
        .starts_with("body_assertion: at /values: length: expected 3"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let failed = &report["scenarios"][0]["steps"][3]["failed_assertions"];
    assert_eq!(failed[0]["at"], "/values", "{failed:#}");
    assert_eq!(failed[0]["expected"], "3");
    assert_eq!(failed[0]["actual"], r#"["a@x.io","b@x.io"]"#);
    assert_eq!(failed[1]["check"], "header_assertion");
    assert_eq!(
        report["summary"]["checks"]["body_assertion"]["failed"], 1,
        "{:#}",
        report["summary"]
    );
}
