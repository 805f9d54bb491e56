//! Replaying against a separately started `mimeo serve`, the way the README
//! says: no credentials on either side (the mock enforces the contract's
//! security and accepts the credentials replay sends by default, and refuses
//! the ones `auth: invalid` steps send), the target marked as a mock so every
//! scenario runs (each in a session of its own), and the results equal to the
//! shipped snapshots. With `--auth` on both sides the same holds.

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

fn replay_against(url: &str, snaps: &Path, extra: &[&str]) -> crate::common::replay::Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = replay();
    cmd.arg(root.join("conformance"))
        .args(["--target", url, "--target-is-mock"])
        .args(extra)
        .arg("--snapshots")
        .arg(snaps);
    run(cmd)
}

#[test]
fn the_shipped_suite_against_a_separate_mimeo_serve_matches_its_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    copy_dir(&root.join("snapshots"), &snaps);

    // No flags about credentials on either side.
    let serve = spawn_command("serve", &["--stateful", "--port", "0", "--quiet"]);
    let out = replay_against(&serve.url, &snaps, &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("snapshots: 17 matched"), "{out}");
    assert!(!out.stdout.contains("SKIP"), "{out}");
    assert!(
        out.stdout.contains("no credentials given") && out.stdout.contains("sending mimeo's own"),
        "{out}"
    );
    serve.stop();

    // The same credentials on both sides.
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
    let out = replay_against(&serve.url, &snaps, &["--auth", CREDENTIALS]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("snapshots: 17 matched"), "{out}");

    // Credentials the server was not given: every step that needs them fails.
    let out = replay_against(&serve.url, &snaps, &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stdout.contains("expected 404, got 401"), "{out}");
    serve.stop();
}

/// A machine without CA certificates (the scratch image ships none): an
/// `http://` target needs no TLS, so replay and the proxy work there. They used
/// to refuse to start ("No CA certificates were loaded from the system").
#[test]
fn replay_and_the_proxy_reach_an_http_target_on_a_machine_without_ca_certificates() {
    let no_cas = [
        ("SSL_CERT_FILE", "/nonexistent/mimeo-no-cas.pem"),
        ("SSL_CERT_DIR", "/nonexistent/mimeo-no-cas"),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    copy_dir(&root.join("snapshots"), &snaps);
    let serve = spawn_command("serve", &["--stateful", "--port", "0", "--quiet"]);

    let mut cmd = replay();
    cmd.arg(root.join("conformance"))
        .args(["--target", &serve.url, "--target-is-mock", "--snapshots"])
        .arg(&snaps)
        .envs(no_cas);
    let out = run(cmd);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("snapshots: 17 matched"), "{out}");

    let proxy =
        crate::common::proxy::spawn_with_env(&["--target", &serve.url, "--port", "0"], &no_cas);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime.block_on(crate::common::send(
        &proxy.url,
        "DELETE",
        "/v1/ControlPlane/Stores/mem_store_00000000000000000000000000",
        &[],
        None,
    ));
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    proxy.stop();
    serve.stop();
}
