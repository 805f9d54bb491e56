//! Replaying against a separately started `mimeo serve`, the way the README
//! says: both sides given the same credentials, the target marked as a mock so
//! every scenario runs (each in a session of its own), and the results equal to
//! the shipped snapshots.

use std::path::Path;

use crate::common::proxy::spawn_command;
use crate::common::replay::{replay, run};

const CREDENTIALS: &str = "AC00000000000000000000000000000000:local-secret";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn the_shipped_suite_against_a_separate_mimeo_serve_matches_its_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let serve = spawn_command(
        "serve",
        &[
            "--stateful",
            "--auth",
            CREDENTIALS,
            "--port",
            "0",
            "--quiet",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    copy_dir(&root.join("snapshots"), &snaps);
    let mut cmd = replay();
    cmd.arg(root.join("conformance"))
        .args([
            "--target",
            &serve.url,
            "--target-is-mock",
            "--auth",
            CREDENTIALS,
        ])
        .arg("--snapshots")
        .arg(&snaps);
    let out = run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("snapshots: 17 matched"), "{out}");
    assert!(!out.stdout.contains("SKIP"), "{out}");

    // Without credentials the runner says what the mock needs.
    let mut cmd = replay();
    cmd.arg(root.join("conformance/routing-and-auth.yaml"))
        .args(["--target", &serve.url, "--target-is-mock"])
        .arg("--snapshots")
        .arg(&snaps);
    let out = run(cmd);
    assert!(
        out.stdout
            .contains("start it with `mimeo serve --auth SID:TOKEN` and give the same --auth here"),
        "{out}"
    );
    serve.stop();
}
