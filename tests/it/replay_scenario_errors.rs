//! The scenario features a conformance suite needs (variables with built-ins and
//! mock-only values, setup and cleanup, guards, body and header matchers,
//! retry, scenario timeout, exclusive data) are checked at load: every mistake
//! is reported with `file:line:column`, all of them at once, before anything is
//! sent. A variable that has no value against a real target skips its scenario
//! with the `--var` to give.

use mimeo::{Contract, Diagnostic, Scenario};

use crate::common::replay::{replay, run, write};

const MANY: &str = r#"name: t
vars:
  run_id: x
  s: {description: d}
  a: "{{b}}"
  b: x
  storeId: mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6
exclusive: " "
timeout: 0s
setup:
  - guard: true
    request: {method: GET, path: "/v1/Stores/{{storeId}}/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers"}
steps:
  - request: {method: GET, path: "/v1/Stores/{{storeId}}/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers"}
    expect:
      body:
        values: {length: 1}
        /a: {matches: '('}
        /b: {}
        /c: {each: {absent: true}}
      headers:
        "bad header": {present: true}
        Location: {present: false, equals: x}
    retry: {every: 1s, for: 500ms}
    capture:
      uuid: {header: location}
  - request: {method: GET, path: "/v1/Stores/{{storeId}}/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers"}
    retry: {every: 1ms, for: 10s}
    expect: {status: 200}
  - request: {method: GET, path: "/v1/Stores/{{storeId}}/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers"}
    retry: {every: 1s}
  - request: {method: GET, path: "/v1/Stores/{{storeId}}/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers"}
    expect: {}
cleanup: []
"#;

fn errors(text: &str) -> Vec<Diagnostic> {
    let contract = Contract::embedded().expect("contract");
    match Scenario::from_text("s.yaml", text, &contract) {
        Ok(s) => panic!("loaded, but should not have: {s:#?}"),
        Err(e) => e,
    }
}

#[test]
fn every_mistake_in_the_new_syntax_has_its_position() {
    let all = errors(MANY);
    let expected: [(usize, usize, &str); 18] = [
        (
            3,
            11,
            "`run_id` is a built-in variable (run_id, uuid, now); it cannot be declared",
        ),
        (4, 6, "variable s has neither `default` nor `mock`"),
        (5, 6, "variable a: unknown variable `{{b}}`"),
        (9, 10, "a scenario timeout of zero"),
        (8, 12, "`exclusive` is empty"),
        (11, 5, "`guard: true` is implied in setup"),
        (17, 17, "`values` is not a JSON pointer"),
        (
            18,
            13,
            "body matcher at /a: `(` is not a regular expression: unclosed group",
        ),
        (
            19,
            13,
            "body matcher at /b: no matcher; use equals, contains, matches, length, absent, empty or each",
        ),
        (20, 13, "`absent` cannot be used under `each`"),
        (22, 23, "`bad header` is not a header name"),
        (
            23,
            19,
            "header matcher location: `present: false` cannot go with `equals`, `contains` or `matches`",
        ),
        (
            24,
            12,
            "`retry.for` (500ms) is shorter than `retry.every` (1s)",
        ),
        (26, 13, "`uuid` is a built-in variable"),
        (28, 12, "this retry would make 10001 attempts; at most 1000"),
        (31, 12, "`retry` needs something to wait for"),
        (
            33,
            13,
            "this expects nothing; give `status`, `body` or `headers`",
        ),
        (34, 10, "`cleanup` is empty"),
    ];
    assert_eq!(all.len(), expected.len(), "{all:#?}");
    for (line, col, needle) in expected {
        let e = all
            .iter()
            .find(|e| e.message().contains(needle))
            .unwrap_or_else(|| panic!("no error saying `{needle}`: {all:#?}"));
        assert_eq!(e.line_column(), Some((line, col)), "{e}");
        assert!(
            e.to_string().starts_with(&format!("s.yaml:{line}:{col}: ")),
            "{e}"
        );
        assert!(!e.message().contains('\n'), "one line: {e}");
    }
}

#[test]
fn an_unknown_variable_used_twice_in_one_template_is_told_once() {
    let text = "name: t
vars:
  a: \"{{b}}-{{b}}-{{c}}\"
steps:
  - request: {method: GET, path: \"/v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers\"}
    expect: {status: 200}
";
    let all = errors(text);
    let told: Vec<String> = all.iter().map(|e| e.message().to_string()).collect();
    assert_eq!(told.len(), 2, "{told:#?}");
    assert!(told[0].contains("unknown variable `{{b}}`"), "{told:#?}");
    assert!(told[1].contains("unknown variable `{{c}}`"), "{told:#?}");
}

#[test]
fn an_unknown_matcher_names_the_known_ones() {
    let text = "name: t
steps:
  - request: {method: GET, path: /v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers}
    expect:
      body:
        /values: {size: 1}
";
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].line_column(), Some((6, 19)), "{}", all[0]);
    assert!(all[0].message().contains(
        "unknown field `size`, expected one of equals, contains, matches, length, absent, empty, each"
    ));
}

/// A variable with a value only against mimeo's mock: another target needs it
/// from `--var`, else the scenario is skipped, saying which and what it names.
#[test]
fn a_mock_only_variable_skips_the_scenario_elsewhere_until_given() {
    let dir = tempfile::tempdir().unwrap();
    let target = crate::common::broken::Broken::start();
    let file = write(
        dir.path(),
        "doomed.yaml",
        "name: doomed
vars:
  doomed:
    mock: mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6
    description: a store this scenario deletes
steps:
  - request: {method: DELETE, path: \"/v1/ControlPlane/Stores/{{doomed}}\"}
    expect: {status: 202}
",
    );
    let base = |extra: &[&str]| {
        let mut cmd = replay();
        cmd.arg(&file)
            .args(["--target", &target.base, "--snapshots"])
            .arg(dir.path().join("snaps"))
            .args(extra);
        run(cmd)
    };
    let skipped = base(&[]);
    assert_eq!(skipped.code, Some(1), "nothing ran\n{skipped}");
    assert!(
        skipped.stdout.contains("SKIP doomed (a variable has no value against a target that is not mimeo's mock; give --var doomed=... (a store this scenario deletes))"),
        "{skipped}"
    );
    assert!(
        target.hits().is_empty(),
        "nothing was sent: {:?}",
        target.hits()
    );
    // Named: it runs (this test server's 202 lacks the control-plane headers, so it fails).
    let given = base(&["--var", "doomed=mem_store_01jc6xv5q8m2t7w4n9r3k0h2f7"]);
    assert!(given.stdout.contains("FAIL doomed"), "{given}");
    assert_eq!(
        target.hits(),
        ["DELETE /v1/ControlPlane/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f7"]
    );
    // Against mimeo's mock the mock value is used.
    let mut cmd = replay();
    cmd.arg(&file)
        .arg("--snapshots")
        .arg(dir.path().join("snaps"));
    let mock = run(cmd);
    assert_eq!(mock.code, Some(0), "{mock}");
}

/// A symbolic link back to a directory the walk is inside is one error, and
/// not followed: five such links gave 121,861 errors (every path down to the
/// depth bound) and took 290 MB. Directories nested past the bound are one
/// error too, however many there are.
#[test]
#[cfg(unix)]
fn a_symlink_loop_in_a_scenario_directory_is_one_error_per_loop() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::fs::create_dir(&a).unwrap();
    let lifecycle = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/identifier-lifecycle.yaml");
    std::fs::copy(&lifecycle, a.join("lifecycle.yaml")).unwrap();
    for n in 1..=4 {
        std::os::unix::fs::symlink("../a", a.join(format!("self{n}"))).unwrap();
    }
    std::os::unix::fs::symlink("..", a.join("up")).unwrap();
    let mut cmd = replay();
    cmd.current_dir(dir.path())
        .args(["a", "--snapshots", "snaps"]);
    let r = run(cmd);
    assert_eq!(r.code, Some(2), "{r}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    let loop_error = |at: &str| {
        format!("error: {at}: a symbolic link loop: it leads back to a, which contains it; mimeo does not follow it")
    };
    assert_eq!(
        lines,
        [
            loop_error("a/self1").as_str(),
            &loop_error("a/self2"),
            &loop_error("a/self3"),
            &loop_error("a/self4"),
            &loop_error("a/up/a"),
            "error: 5 problem(s) in the scenario files; nothing was sent",
        ],
        "{r}"
    );

    // Nested past the depth bound: one error for the first too deep, not one each.
    let deep = dir.path().join("deep");
    let mut at = deep.clone();
    for level in 0..8 {
        at = at.join(format!("d{level}"));
    }
    for leaf in ["x", "y", "z"] {
        std::fs::create_dir_all(at.join(leaf)).unwrap();
    }
    std::fs::copy(&lifecycle, deep.join("lifecycle.yaml")).unwrap();
    let mut cmd = replay();
    cmd.current_dir(dir.path())
        .args(["deep", "--snapshots", "snaps"]);
    let r = run(cmd);
    assert_eq!(r.code, Some(2), "{r}");
    assert_eq!(
        r.stderr.lines().collect::<Vec<_>>(),
        [
            "error: deep/d0/d1/d2/d3/d4/d5/d6/d7/x: directories nest deeper than 8 levels; mimeo reads no deeper",
            "error: 1 problem(s) in the scenario files; nothing was sent",
        ],
        "{r}"
    );
}

/// The walk of a directory stops at 20 problems and says so, but only when it
/// did stop: exactly 20 found in a walk that read everything is no cut.
#[test]
#[cfg(unix)]
fn the_walk_says_it_stopped_only_when_the_problems_cut_it_short() {
    for (loops, stopped) in [(20, false), (21, true)] {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        for n in 1..=loops {
            std::os::unix::fs::symlink("../a", a.join(format!("self{n:02}"))).unwrap();
        }
        let mut cmd = replay();
        cmd.current_dir(dir.path())
            .args(["a", "--snapshots", "snaps"]);
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{r}");
        let lines: Vec<&str> = r.stderr.lines().collect();
        let loops_said = lines
            .iter()
            .filter(|l| l.contains("a symbolic link loop"))
            .count();
        assert_eq!(loops_said, 20, "{r}");
        let stop = "error: a: stopped reading this directory after 20 problems";
        assert_eq!(lines.contains(&stop), stopped, "{loops} loops: {r}");
    }
}

/// A scenario file's mistakes are said in its writer's terms, at their
/// file:line:column, not in the YAML library's (`set DuplicateKeyPolicy in
/// Options`, `use from_str_multiple`, `expected u64`, `mapping start`).
#[test]
fn yaml_mistakes_are_said_in_the_writers_terms() {
    let dir = tempfile::tempdir().unwrap();
    let get = "{method: GET, path: /v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers}";
    let cases = [
        (
            "dupkey.yaml",
            format!("name: x\nname: y\nsteps:\n  - request: {get}\n"),
            "dupkey.yaml:2:1: duplicate key `name`: a key may appear only once in a mapping",
        ),
        (
            "twodocs.yaml",
            format!("name: x\nsteps:\n  - request: {get}\n---\nname: y\n"),
            "twodocs.yaml:5:1: the file holds more than one YAML document (a `---` line after the first); mimeo reads one per file: put each in its own file, or remove the `---`",
        ),
        (
            "status.yaml",
            format!("name: x\nsteps:\n  - request: {get}\n    expect: {{status: \"abc\"}}\n"),
            "status.yaml:4:14: expected a status code (a whole number such as 200), found string \"abc\"",
        ),
        (
            "statuses.yaml",
            format!("name: x\nsteps:\n  - request: {get}\n    expect: {{status: [200, abc]}}\n"),
            "statuses.yaml:4:28: expected a status code (a whole number such as 200), found string \"abc\"",
        ),
        (
            "steps.yaml",
            "name: x\nsteps: {a: 1}\n".to_string(),
            "steps.yaml:2:8: expected a list (`- item` lines, or `[a, b]`)",
        ),
        (
            "request.yaml",
            "name: x\nsteps:\n  - request: 5\n".to_string(),
            "request.yaml:3:14: expected a mapping (`key: value` lines, or `{key: value}`)",
        ),
        (
            "length.yaml",
            format!("name: x\nsteps:\n  - request: {get}\n    expect: {{body: {{/a: {{length: abc}}}}}}\n"),
            "length.yaml:4:34: expected a whole number, 0 or more",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(dir.path(), name, &text);
        let mut cmd = replay();
        cmd.current_dir(dir.path())
            .arg(file.file_name().unwrap())
            .args(["--snapshots", "snaps"]);
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{r}");
        assert_eq!(
            r.stderr.lines().next(),
            Some(format!("error: {expected}").as_str()),
            "{r}"
        );
    }
}
