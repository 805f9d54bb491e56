//! Files mimeo writes are written safely: never through a planted symbolic link,
//! never into a directory it found out too late it cannot write, and never with
//! characters that make them unreadable (XML, YAML) or that a terminal acts on.

use std::path::Path;

use crate::common::hostile::{odd_characters, Hostile};
use crate::common::replay::{replay, run};
use crate::common::{send, PROFILE, STORE};

const OUTSIDE: &str = "OUTSIDE-CONTENT: a file of the user's, not a snapshot\n";

fn lifecycle() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/identifier-lifecycle.yaml")
}

#[test]
#[cfg(unix)]
fn links_in_the_snapshot_directory_are_refused_and_followed_never() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    // A stored snapshot that is a link: its target must not be shown in a diff.
    std::os::unix::fs::symlink(&outside, snaps.join("identifier-lifecycle.snap")).unwrap();
    let json = dir.path().join("report.json");
    let mut cmd = replay();
    cmd.args([
        lifecycle().to_str().unwrap(),
        "--snapshots",
        snaps.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, Some(1), "{r}");
    let report = std::fs::read_to_string(&json).unwrap();
    for text in [&r.stdout, &r.stderr, &report] {
        assert!(!text.contains("OUTSIDE-CONTENT"), "{text}");
    }
    assert!(
        r.stdout
            .contains("identifier-lifecycle.snap is a symbolic link; mimeo does not follow links"),
        "{r}"
    );
    // A pending result that is a link: never written through.
    std::fs::remove_file(snaps.join("identifier-lifecycle.snap")).unwrap();
    std::os::unix::fs::symlink(&outside, snaps.join("identifier-lifecycle.snap.new")).unwrap();
    let mut cmd = replay();
    cmd.args([
        lifecycle().to_str().unwrap(),
        "--snapshots",
        snaps.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stdout.contains("is a symbolic link"), "{r}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), OUTSIDE);
    assert!(
        std::fs::symlink_metadata(snaps.join("identifier-lifecycle.snap.new"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
#[cfg(unix)]
fn a_snapshot_that_is_not_a_regular_file_is_refused_not_waited_on() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    // A FIFO named like the snapshot: opening it to read would wait for a
    // writer forever.
    let fifo = snaps.join("identifier-lifecycle.snap");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut cmd = replay();
    cmd.args([
        lifecycle().to_str().unwrap(),
        "--snapshots",
        snaps.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stdout
            .contains("identifier-lifecycle.snap is not a regular file"),
        "{r}"
    );
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());

    // One that is not text says where, in terms of the file.
    std::fs::remove_file(&fifo).unwrap();
    std::fs::write(&fifo, b"---\nsource: x\n---\n\xff").unwrap();
    let mut cmd = replay();
    cmd.args([
        lifecycle().to_str().unwrap(),
        "--snapshots",
        snaps.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stdout
            .contains("identifier-lifecycle.snap is not UTF-8 text (byte 0xff at offset 18)"),
        "{r}"
    );
}

#[test]
#[cfg(unix)]
fn reports_are_never_written_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    for flag in ["--json", "--junit"] {
        let link = dir.path().join(format!("report{flag}"));
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let mut cmd = replay();
        cmd.args([
            lifecycle().to_str().unwrap(),
            "--snapshots",
            dir.path().join("snaps").to_str().unwrap(),
            flag,
            link.to_str().unwrap(),
        ]);
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{r}");
        assert!(
            r.stderr
                .contains(&format!("{flag} {}: it is a symbolic link", link.display())),
            "{r}"
        );
        assert!(r.stdout.is_empty(), "nothing ran: {r}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), OUTSIDE);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

/// `serve` and `proxy` refuse a verdict report path that is a link at start,
/// before serving, rather than losing the verdict when they stop.
#[test]
#[cfg(unix)]
fn verdict_reports_through_a_link_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    for (command, flag) in [
        ("serve", "--report"),
        ("serve", "--report-json"),
        ("proxy", "--report"),
    ] {
        let link = dir.path().join(format!("{command}{flag}"));
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"));
        cmd.args([command, "--port", "0", flag, link.to_str().unwrap()]);
        if command == "proxy" {
            cmd.args(["--target", "http://127.0.0.1:9"]);
        }
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{command} {flag}: {r}");
        assert!(
            r.stderr
                .contains(&format!("{flag} {}: it is a symbolic link", link.display())),
            "{r}"
        );
        assert!(!r.stdout.contains("listening"), "it never served: {r}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), OUTSIDE);
    }
}

#[test]
fn a_recording_directory_that_cannot_be_written_stops_the_start() {
    // /proc/self exists and is a directory, and nobody can create a file in it
    // (not even root, for whom permission bits do not count).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args([
            "proxy",
            "--target",
            "http://127.0.0.1:9",
            "--port",
            "0",
            "--record",
            "/proc/self",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--record /proc/self: cannot write there"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it never listened");

    // A file where the directory should be: said so, not "File exists".
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec");
    std::fs::write(&file, "mine").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["proxy", "--target", "http://127.0.0.1:9", "--port", "0"])
        .arg("--record")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("it is a file, not a directory"), "{stderr}");
    assert!(out.stdout.is_empty(), "it never listened");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_characters_in_traffic_make_recordings_that_load() {
    let mock = crate::common::start(mimeo::ServeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let running = crate::common::proxy::spawn(&[
        "--target",
        &mock.url(),
        "--port",
        "0",
        "--record",
        rec.to_str().unwrap(),
    ]);
    let path = format!(
        "/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers?a=%EF%BF%BE%EF%BF%BF&b=%07%1B%5B2J&%0Ax%EF%BB%BF=1&c=%C2%85%E2%80%A8"
    );
    let r = send(&running.url, "GET", &path, &[], None).await;
    assert_eq!(r.status, 200);
    let stopped = running.stop();
    assert_eq!(stopped.code, Some(0), "{stopped}");
    assert!(!stopped.stderr.contains("BUG"), "{stopped}");
    let file = std::fs::read_dir(&rec)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(r#""a": "\ufffe\uffff""#), "{text}");
    assert!(
        !text.contains('\u{fffe}') && !text.contains('\u{1b}'),
        "{text}"
    );
    let scenario = mimeo::Scenario::from_file(&file, &crate::common::contract())
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(scenario.step_count(), 1);
}

#[test]
fn odd_characters_from_a_target_reach_no_report_or_terminal_raw() {
    let target = Hostile::start(odd_characters);
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("odd.yaml");
    std::fs::write(
        &scenario,
        format!("name: odd\nvars:\n  storeId: {STORE}\n  profileId: {PROFILE}\nsteps:\n  - request:\n      method: GET\n      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email\n  - request:\n      method: GET\n      path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers/email\n      query: {{as: text}}\n"),
    )
    .unwrap();
    // A stored snapshot that differs, so the diff is printed.
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    std::fs::write(
        snaps.join("odd.snap"),
        "---\nsource: odd.yaml\nexpression: \"odd\"\n---\nbefore\n",
    )
    .unwrap();
    let junit = dir.path().join("report.xml");
    let mut cmd = replay();
    cmd.args([
        scenario.to_str().unwrap(),
        "--target",
        &target.base,
        "--snapshots",
        snaps.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--color",
        "never",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stdout.contains("+clear: \\u{1b}[2J"),
        "the diff shows it escaped: {r}"
    );
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{fffe}'),
            "{what} has raw control characters: {text:?}"
        );
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !xml.chars().any(|c| matches!(c, '\u{fffe}' | '\u{ffff}')
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))),
        "the JUnit file holds characters XML does not allow:\n{xml:?}"
    );
    assert!(xml.contains("\\u{fffe}"), "{xml}");
}

/// Reports and snapshots get the mode a plain `File::create` gives (0666 less
/// the umask), and a report replaced keeps its mode: they were always 0600, the
/// temporary file's, which a CI user other than the container's cannot read.
#[test]
#[cfg(unix)]
fn written_files_get_the_umask_mode_and_replaced_ones_keep_theirs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.xml");
    std::fs::write(&existing, "").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    let json = dir.path().join("new.json");
    let snaps = dir.path().join("snaps");
    let mut cmd = std::process::Command::new("sh");
    // The shell sets the umask mimeo inherits; Command has no way to.
    cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_mimeo"))
        .arg("replay")
        .arg(lifecycle())
        .arg("--snapshots")
        .arg(&snaps)
        .arg("--junit")
        .arg(&existing)
        .arg("--json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .env_remove("CI");
    let r = run(cmd);
    assert_eq!(r.code, Some(0), "{r}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&existing), 0o640, "the replaced report keeps its mode");
    assert_eq!(mode(&json), 0o644);
    let snap = snaps.join("identifier-lifecycle.snap.new");
    assert_eq!(mode(&snap), 0o644);
}

/// Two output flags of one command naming the same path are refused before
/// anything runs: the second write replaced the first, and `--junit r --json r`
/// lost the JUnit report without a word. Paths are compared resolved (`./`,
/// `..`, links, relative against absolute).
#[test]
#[cfg(unix)]
fn two_outputs_naming_the_same_path_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("sub", dir.path().join("link")).unwrap();
    let abs = dir.path().join("sub/r.xml");
    let abs = abs.to_str().unwrap();
    let cases: [(&str, &[&str], &str, &str); 6] = [
        (
            "replay",
            &["--junit", "r.out", "--json", "./sub/../r.out"],
            "--junit r.out",
            "--json ./sub/../r.out",
        ),
        (
            "replay",
            &["--junit", abs, "--json", "link/r.xml"],
            &format!("--junit {abs}"),
            "--json link/r.xml",
        ),
        (
            "replay",
            &["--json", "snaps", "--snapshots", "snaps/"],
            "--json snaps",
            "--snapshots snaps/",
        ),
        (
            "serve",
            &["--report", "r.xml", "--report-json", "r.xml"],
            "--report r.xml",
            "--report-json r.xml",
        ),
        (
            "serve",
            &["--report-json", "r", "--ready-file", "r"],
            "--report-json r",
            "--ready-file r",
        ),
        (
            "proxy",
            &["--report", "rec", "--record", "./rec"],
            "--report rec",
            "--record ./rec",
        ),
    ];
    for (command, flags, first, second) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"));
        cmd.current_dir(dir.path())
            .env_remove("TWILIO_ACCOUNT_SID")
            .env_remove("TWILIO_AUTH_TOKEN")
            .arg(command)
            .args(flags);
        match command {
            "replay" => cmd.arg(lifecycle()),
            "proxy" => cmd.args(["--port", "0", "--target", "http://127.0.0.1:9"]),
            _ => cmd.args(["--port", "0"]),
        };
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{command} {flags:?}: {r}");
        assert!(
            r.stderr
                .contains(&format!("{first} and {second} name the same path")),
            "{r}"
        );
        assert!(r.stdout.is_empty(), "nothing ran: {r}");
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["link", "sub"], "no file written");
}

/// An output that names a file the command reads would replace the user's
/// input with a report: refused before anything runs, the input untouched.
#[test]
fn an_output_naming_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string(lifecycle()).unwrap();
    std::fs::write(dir.path().join("s.yaml"), &scenario).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/memory-v1.yaml");
    let spec_text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(dir.path().join("api.yaml"), &spec_text).unwrap();
    std::fs::write(dir.path().join("rules.yaml"), "delay: 1ms\n").unwrap();
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "replay",
            &["s.yaml", "--junit", "./s.yaml"],
            "--junit ./s.yaml would replace the scenario file s.yaml",
        ),
        (
            "replay",
            &["s.yaml", "--spec", "api.yaml", "--json", "api.yaml"],
            "--json api.yaml would replace --spec api.yaml",
        ),
        (
            "serve",
            &["--spec", "api.yaml", "--report", "api.yaml"],
            "--report api.yaml would replace --spec api.yaml",
        ),
        (
            "serve",
            &["--config", "rules.yaml", "--ready-file", "rules.yaml"],
            "--ready-file rules.yaml would replace --config rules.yaml",
        ),
        (
            "proxy",
            &["--spec", "api.yaml", "--report-json", "api.yaml"],
            "--report-json api.yaml would replace --spec api.yaml",
        ),
    ];
    for (command, flags, said) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"));
        cmd.current_dir(dir.path())
            .env_remove("TWILIO_ACCOUNT_SID")
            .env_remove("TWILIO_AUTH_TOKEN")
            .arg(command)
            .args(flags);
        match command {
            "replay" => &mut cmd,
            "proxy" => cmd.args(["--port", "0", "--target", "http://127.0.0.1:9"]),
            _ => cmd.args(["--port", "0"]),
        };
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{command} {flags:?}: {r}");
        assert!(r.stderr.contains(said), "{r}");
        assert!(r.stdout.is_empty(), "nothing ran: {r}");
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("s.yaml"), scenario);
    assert_eq!(read("api.yaml"), spec_text);
    assert_eq!(read("rules.yaml"), "delay: 1ms\n");
}

/// A report that could not be written at the end is refused at start, before
/// anything is served or sent: `serve --report` to such a path served the whole
/// test run and lost the verdict at shutdown. The check leaves no file behind.
#[test]
fn reports_that_cannot_be_written_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().to_str().unwrap();
    // Nobody can create a file in /proc, not even root.
    let cases: [(&str, &str, &str, String); 5] = [
        (
            "serve",
            "--report",
            "/proc/nope/report.xml",
            "cannot write in /proc: ".into(),
        ),
        (
            "serve",
            "--report-json",
            "/proc/self/r.json",
            "cannot write in /proc/self: ".into(),
        ),
        ("serve", "--report", here, "it is a directory".into()),
        (
            "proxy",
            "--report-json",
            "/proc/nope/r.json",
            "cannot write in /proc: ".into(),
        ),
        (
            "replay",
            "--junit",
            "/proc/nope/r.xml",
            "cannot write in /proc: ".into(),
        ),
    ];
    for (command, flag, path, why) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"));
        cmd.current_dir(dir.path())
            .env_remove("TWILIO_ACCOUNT_SID")
            .env_remove("TWILIO_AUTH_TOKEN")
            .args([command, flag, path]);
        match command {
            "replay" => cmd.arg(lifecycle()),
            "proxy" => cmd.args(["--port", "0", "--target", "http://127.0.0.1:9"]),
            _ => cmd.args(["--port", "0"]),
        };
        let r = run(cmd);
        assert_eq!(r.code, Some(2), "{command} {flag} {path}: {r}");
        assert!(r.stderr.contains(&format!("{flag} {path}: {why}")), "{r}");
        assert!(r.stdout.is_empty(), "nothing ran: {r}");
    }
    // Writable paths pass, in a directory yet to be made too, and the check
    // leaves neither a file nor a directory: this start stops later, on a bad rule.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .current_dir(dir.path())
        .args(["serve", "--port", "0", "--report", "r.xml"])
        .args(["--report-json", "new/sub/r.json", "--status", "nonsense"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("--report"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
