//! The shipped conformance suite against the in-process stateful mock, through
//! insta: any change in what the mock answers shows up as a snapshot diff in
//! review (`cargo insta review`, or `mimeo replay --review`, on the same files).
//! Every scenario must run (none skipped) and every check hold.

use std::path::PathBuf;
use std::sync::Arc;

use mimeo::replay::MOCK_CREDENTIALS;
use mimeo::state::{StateModel, StateOptions};
use mimeo::{run_scenarios, Contract, MockServer, ReplayOptions, Secrets, ServeOptions, Target};

/// Replays `conformance/` (its subdirectories too) against the stateful mock,
/// asserts every check held, and compares each result with `snapshots/`.
async fn suite(min: usize) {
    let contract = Arc::new(Contract::embedded().expect("embedded contract"));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let scenarios = mimeo::load_scenarios(&[path], &contract).unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("the shipped scenarios do not load:\n{}", list.join("\n"))
    });
    assert!(
        scenarios.len() >= min,
        "the suite shrank to {}",
        scenarios.len()
    );
    let auth = Some((
        MOCK_CREDENTIALS.0.to_string(),
        MOCK_CREDENTIALS.1.to_string(),
    ));
    let model = StateModel::for_contract(&contract).expect("the shipped model loads");
    let stateful = Some((Arc::new(model), StateOptions::default()));
    let server = MockServer::start(
        contract.clone(),
        ServeOptions {
            auth: auth.clone(),
            stateful,
            ..ServeOptions::default()
        },
    )
    .await
    .expect("mock starts");
    let target = Target {
        base: server.url(),
        is_mock: true,
    };
    let scenarios = Arc::new(scenarios);
    let opts = ReplayOptions {
        auth: auth.clone(),
        concurrency: 4,
        ..ReplayOptions::default()
    };
    let runs = run_scenarios(
        contract.clone(),
        scenarios.clone(),
        target.clone(),
        opts,
        |_| {},
    )
    .await
    .expect("replay runs");

    let mut broken = Vec::new();
    for run in &runs {
        assert!(
            run.skipped.is_none(),
            "{} was skipped against the mock",
            run.name
        );
        for (i, step) in run.steps.iter().enumerate() {
            for f in &step.failures {
                broken.push(format!("{} step {} `{}`: {f}", run.file, i + 1, step.name));
            }
        }
    }
    assert!(broken.is_empty(), "checks failed:\n{}", broken.join("\n"));

    let secrets = Secrets::new(auth.iter().flat_map(|(u, p)| Secrets::basic(u, p)));
    let snapshots = "../../snapshots";
    for (scenario, run) in scenarios.iter().zip(&runs) {
        let text = mimeo::snapshot::render(&contract, scenario, run, &target.base, &secrets);
        assert!(
            !text.contains(&target.base),
            "the mock's address leaked into {}",
            run.snapshot
        );
        insta::with_settings!({
            snapshot_path => snapshots.trim_end_matches('/'),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(run.snapshot.as_str(), text);
        });
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_suite_keeps_the_contract_and_its_snapshots() {
    suite(17).await;
}

/// The suite keeps its promise to real stores: the top level holds no
/// mock-only scenario, every scenario there says in a header comment what it
/// does, and one that writes either cleans up after itself or writes only to
/// data that must be named with --var (no value for a real target) or to ids
/// made from the run id;
/// `mock-only/` holds only `needs: mock` scenarios.
#[test]
fn the_suite_is_separated_by_what_is_safe_on_a_real_store() {
    let contract = Contract::embedded().expect("embedded contract");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let scenarios =
        mimeo::load_scenarios(std::slice::from_ref(&root), &contract).expect("the suite loads");
    let mut top = 0;
    for s in &scenarios {
        let mock_only = s.file().parent() == Some(root.join("mock-only").as_path());
        assert_eq!(s.needs_mock(), mock_only, "{}", s.file().display());
        if mock_only {
            continue;
        }
        top += 1;
        let text = std::fs::read_to_string(s.file()).unwrap();
        assert!(
            text.starts_with("# "),
            "{}: no header comment",
            s.file().display()
        );
        let cleans_up = s
            .steps()
            .iter()
            .any(|st| st.phase() == mimeo::scenario::Phase::Cleanup);
        for step in s.steps() {
            let writes = ["POST ", "PATCH ", "PUT ", "DELETE "]
                .iter()
                .any(|m| step.request_line().starts_with(m));
            if !writes || cleans_up {
                continue;
            }
            let decls: Vec<_> = step
                .uses()
                .iter()
                .filter_map(|v| s.vars().get(*v))
                .collect();
            let named = decls
                .iter()
                .any(|decl| decl.default().is_none() && decl.mock().is_some());
            // Or it writes only under ids made from the run id, which no one has.
            let nobodys = decls
                .iter()
                .all(|decl| decl.default().is_some_and(|d| d.contains("{{run_id}}")));
            assert!(
                named || nobodys,
                "{}:{}: writes without cleanup to data not named with --var",
                s.file().display(),
                step.line()
            );
        }
    }
    assert_eq!(top, 8, "the behavioural scenarios");
}

/// Scenarios of the suite may run at once in one store, where a value one adds
/// and another holds merges the two profiles (`enforceUnique`): no two safe
/// scenarios use the same run-unique value (compared as the mock normalizes
/// emails: lower case), or one would draw the other's profile into a merge.
#[test]
fn no_two_safe_scenarios_share_a_value() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let mut mine = std::collections::HashSet::new();
        for (at, _) in text.match_indices("+{{run_id}}@") {
            let start = text[..at]
                .rfind(|c: char| !c.is_ascii_alphanumeric())
                .map_or(0, |i| i + 1);
            let value = &text[start..at];
            if !value.is_empty() {
                mine.insert(value.to_string());
            }
        }
        for value in mine {
            // The disposable store is its own: values there meet no other scenario.
            if text.contains("disposablestoreid") && file.contains("store-deletion") {
                continue;
            }
            if let Some(other) = seen.insert(value.clone(), file.clone()) {
                panic!("`{value}+{{{{run_id}}}}@…` is used by both {other} and {file}");
            }
        }
    }
}
