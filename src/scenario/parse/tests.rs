//! The quick YAML reader (`support::yaml::fast`) must be invisible: every file
//! gives the same scenario, or the same errors at the same positions, as
//! serde-saphyr alone gives.

use std::path::{Path, PathBuf};

use super::raw::RawScenario;
use crate::contract::Contract;
use crate::support::yaml;

/// The scenario (or the errors) read both ways, as text to compare.
pub(super) fn both(contract: &Contract, file: &str, text: &str) -> (String, String) {
    let quick = format!("{:?}", super::scenario(PathBuf::from(file), text, contract));
    yaml::tests::SLOW_ONLY.set(true);
    let slow = format!("{:?}", super::scenario(PathBuf::from(file), text, contract));
    yaml::tests::SLOW_ONLY.set(false);
    (quick, slow)
}

/// The scenario files under `dir`, at any depth.
pub(super) fn shipped(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shipped(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_scenario_is_read_quickly_and_the_same_as_serde_saphyr_reads_it() {
    let contract = Contract::embedded().unwrap();
    let mut files = Vec::new();
    shipped(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance"),
        &mut files,
    );
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            yaml::quick_alone::<RawScenario>(&text),
            "{} is left to serde-saphyr",
            f.display()
        );
        let (quick, slow) = both(&contract, "s.yaml", &text);
        assert_eq!(quick, slow, "{}", f.display());
        assert!(quick.starts_with("Ok("), "{}: {quick}", f.display());
    }
}

const PATH: &str = "/v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers";

/// A scenario with `{slot}` replaced by each of `forms`.
fn variants(template: &str, forms: &[&str]) -> Vec<String> {
    forms
        .iter()
        .map(|f| template.replace("{slot}", f))
        .collect()
}

#[test]
fn tricky_documents_read_quickly_or_by_serde_saphyr_give_the_same_scenario_or_the_same_errors() {
    let contract = Contract::embedded().unwrap();
    let head = "name: probe\nvars:\n  storeId: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k\n  profileId: mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c\n";
    let step =
        format!("steps:\n  - name: list\n    request:\n      method: GET\n      path: {PATH}\n");
    let mut docs: Vec<String> = Vec::new();
    // Statuses, in every form a person might write one.
    docs.extend(variants(
        &format!("{head}{step}    expect:\n      status: {{slot}}\n"),
        &[
            "200",
            "'200'",
            "\"200\"",
            "[200, 404]",
            "[ '200', 404 ]",
            "0x10",
            "2e2",
            "200.0",
            "yes",
            "~",
            "",
            "-200",
            "+200",
            "007",
            "99999999999999999999",
            "{a: 1}",
            "- 200",
            "true",
            ".inf",
            "\"two hundred\"",
            "200 # a comment",
        ],
    ));
    // Variable values.
    docs.extend(variants(
        &format!("name: probe\nvars:\n  storeId: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k\n  profileId: {{slot}}\n{step}"),
        &[
            "x", "5", "-5", "5.5", "-0.5", "true", "yes", "Off", "~", "null", "Null", "''",
            "{default: 5}", "{default: yes}", "{mock: 1.50, description: d}", "[1, 2]", "0x1F",
            "1e3", ".inf", "-.inf", ".NaN", "2024-01-01", "12:30", "1_000", "+1", "\"quoted\"",
            "|\n    block\n    text", ">-\n    folded\n    text", "'it''s'", "\"tab\\there\"",
            "ünïcödé", "{default: x, bogus: 1}", "{default: [1]}", "!!str 5", "&a x",
            "{{storeId}}", "\"{{storeId}}\"", "-", "0", "-0", "00", "0.0", "1.", ".5",
            "123456789012345678901234567890", "18446744073709551615", "-9223372036854775809",
            "0044.20.7946.0958", "1.2.3", "2024-01-01T10:00:00Z", "1:30", "-foo", ".hidden",
            "1st", "e5", "_1", "0b101", "0o17", "1e-3", "1E3", "0X1F", "+.5", "~x", "n", "Y",
            "Infinity", "NAN", ".Inf", "-.INF", "0B101", "0O17", "TRUE", "fAlse", "nO", "1E-3",
            ":30", "Yes", "oN", "iNf", "_", "__1", "/id", "#x", "\"a\u{feff}b\"", "a\u{fefe}b",
            "a\u{ff00}b", "a\u{fffe}b", "a\u{d7ff}\u{e000}b", "a\u{1f600}b", "a\u{9f}b",
        ],
    ));
    // Request bodies: JSON values in YAML.
    let post = format!(
        "{head}steps:\n  - name: add\n    request:\n      method: POST\n      path: {PATH}\n      body: {{slot}}\n"
    );
    docs.extend(variants(
        &post,
        &[
            "{type: email, value: a@example.com}",
            "{type: email, value: yes}",
            "{type: email, value: 1.50, n: -0, big: 12345678901234567890123}",
            "{type: ~, value: [1, {b: c}], \"q\": 'x'}",
            "{a: 1, a: 2}",
            "{a: 1, 'a': 2}",
            "{a: .nan}",
            "{a: !!str 5}",
            "{ä: \"ö\", value: \"{{storeId}}\"}",
            "{<<: {a: 1}}",
            "\n        type: email\n        value: x\n        nested:\n          - 1\n          - two\n          - {three: 3}",
            "[]",
            "{}",
            "~",
            "",
            "\"a string\"",
            "{a: 0o17, b: 1_000, c: 2024-01-01T00:00:00Z, d: On}",
            "{a: 0044.20.7946.0958, b: 1.2.3, c: 1:30, d: -foo, e: .hidden, f: e5, g: 1E3}",
        ],
    ));
    // Whole-file shapes.
    let plain = format!("{head}{step}");
    docs.push(format!("\u{feff}{plain}"));
    docs.push(plain.replace('\n', "\r\n"));
    docs.push(format!("---\n{plain}"));
    docs.push(format!("{plain}---\n{plain}"));
    docs.push(format!("{plain}...\n"));
    docs.push(format!("%YAML 1.2\n---\n{plain}"));
    docs.push(format!("# a comment\n{plain}# the end\n"));
    docs.push(plain.replace("name: probe", "nmae: probe"));
    docs.push(plain.replace("name: probe", "name: probe\nname: again"));
    docs.push(plain.replace("name: probe", "name:"));
    docs.push(plain.replace("name: probe", "name: ''"));
    docs.push(plain.replace("method: GET", "method: GET\n      method: POST"));
    docs.push(plain.replace("path: /v1", "path: /v2"));
    docs.push(plain.replace("{{profileId}}", "{{nope}}"));
    docs.push(plain.replace("path: /v1/Stores/{{storeId}}", "path: {{storeId}}"));
    docs.push(plain.replace("vars:\n", "vars: &v\n"));
    docs.push(format!(
        "{plain}cleanup:\n  - <<: {{name: x}}\n    request: {{method: GET, path: {PATH}}}\n"
    ));
    docs.push(format!("{head}steps: []\n"));
    docs.push(format!("{head}steps:\n"));
    docs.push(format!("{head}steps: ~\n"));
    docs.push(format!("{head}steps: {{}}\n"));
    docs.push(format!("{head}steps:\n  - {{name: \"ünï\", request: {{method: GET, path: \"/v1/{{{{nope}}}}\"}}}}\n"));
    docs.push(format!("{head}steps:\n  - {{name: \"ünï\", request: {{method: GET, path: \"{PATH}\"}}, expect: {{status: 201}}}}\n"));
    docs.push(format!("{head}steps:\n\t- name: tab\n"));
    docs.push(format!("{head}{step}    expect:\n"));
    docs.push(format!("{head}{step}    expect: {{}}\n"));
    docs.push(format!("{head}{step}    timeout: 5s\n"));
    docs.push(format!("{head}{step}    timeout: 5\n"));
    docs.push(format!("{head}{step}    timeout: soon\n"));
    docs.push(format!("{head}{step}    guard: yes\n"));
    docs.push(format!("{head}{step}    guard: true\n"));
    docs.push(format!("{head}{step}    outside_contract: 'true'\n"));
    docs.push(format!(
        "{head}{step}      query: {{PageSize: 5, PageToken: '', Order: true}}\n"
    ));
    docs.push(format!("{head}{step}      query: {{PageSize: [5, 6]}}\n"));
    docs.push(format!(
        "{head}{step}      headers: {{X-Trace: abc, X-Num: 5}}\n"
    ));
    docs.push(format!("{head}{step}    capture:\n      first: {{body: /identifiers/0/type}}\n      h: {{header: content-type}}\n"));
    docs.push(format!("{head}{step}    expect:\n      body:\n        /identifiers: {{length: 0}}\n        /x: {{equals: null, each: {{matches: '^a'}}}}\n        /y: {{length: -1}}\n"));
    docs.push(format!("{head}{step}    expect:\n      headers:\n        content-type: {{contains: json}}\n        x-n: {{equals: 5}}\n"));
    docs.push(format!(
        "{head}{step}    retry:\n      until: {{status: 200}}\n      every: 10ms\n      for: 1s\n"
    ));
    docs.push(format!("{head}redact:\n  - body: /id\n    with: '[id]'\n  - matching: 'mem_[a-z]+'\n  - header: date\n{step}"));
    docs.push(format!("{head}needs: mock\nexclusive: store\ntimeout: 30s\ndescription: |\n  Several\n  lines.\n{step}"));
    docs.push(format!("{head}{step}    auth: none\n  - request:\n      method: DELETE\n      path: {PATH}\n    auth: bogus\n"));
    docs.push(String::new());
    docs.push("~\n".into());
    docs.push("[1, 2]\n".into());
    docs.push("name: [unclosed\n".into());
    docs.push("name: \"unclosed\n".into());
    docs.push(format!("{}{head}{step}", "#\n".repeat(3)));

    // What a review found the two parsers disagree on, each left to serde-saphyr.
    let nines = "9".repeat(310);
    for body in [
        "{1: p, 0x1: q}".to_string(),
        "{1: p, +1: q}".into(),
        "{0: p, -0: q}".into(),
        format!("{{a: {nines}.5}}"),
        "{q: |x}".into(),
        "{q: >x}".into(),
        "{a:{b: c}}".into(),
        "{a:[1, 2]}".into(),
        format!("{{{}: v}}", "k".repeat(1100)),
        "{ a\n: 1 }".into(),
        "{X-A: \"a\u{7f}b\"}".into(),
        "|".into(),
        ">".into(),
        "|+".into(),
        "|2".into(),
        "| #c".into(),
    ] {
        docs.push(post.replace("{slot}", &body));
    }
    docs.push(format!("{}\n", post.replace("{slot}", "|")));
    docs.push(format!("{} \n  \n", post.replace("{slot}", ">")));
    docs.push(format!("{head}description: |1\n  a\n {step}"));
    docs.push(format!("{plain}description: |1\n  a\n "));
    docs.push(format!("{plain}description: |\n  a\n  b"));
    docs.push(format!("{plain}# bell \u{7}\n"));
    docs.push(format!("{plain}# nel \u{85} and nbsp \u{a0}\n"));
    docs.push(format!("%YAML 2.0\n---\n{plain}"));
    docs.push(format!(
        "%TAG !e! tag:e,2000:\n%TAG !e! tag:e,2000:\n---\n{plain}"
    ));
    docs.push("--- |\na\n--- \n".into());
    docs.push("\u{feff}[1]\n".into());
    docs.push(plain.replace("name: probe", &format!("name: {}", "n".repeat(2000))));
    docs.extend(variants(
        &format!("{head}{step}    expect:\n      body:\n        /x: {{length: {{slot}}}}\n"),
        &[
            "-0",
            "0",
            "+0",
            "-1",
            "3",
            "'3'",
            "3.0",
            "0x3",
            "18446744073709551616",
        ],
    ));
    docs.extend(variants(
        &format!("name: probe\nvars:\n  storeId: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k\n  profileId: {{slot}}\n{step}"),
        &[&format!("{nines}.5"), &format!("-{nines}.5")],
    ));

    let mut quick = 0;
    let mut differ = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let (fast, slow) = both(&contract, "t.yaml", doc);
        if fast != slow {
            differ.push(format!(
                "document {i}:\n{doc}\nquick: {fast}\nslow:  {slow}"
            ));
        }
        if yaml::quick_alone::<RawScenario>(doc) {
            quick += 1;
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n\n")
    );
    // Both readers were exercised: the comparison above is not one reader twice.
    assert!(quick >= docs.len() / 3, "{quick} of {}", docs.len());
    assert!(quick < docs.len(), "{quick} of {}", docs.len());
}
