//! Running `mimeo replay` as a child process, for the replay tests: a clean
//! environment, a watchdog so a hang fails the test instead of stalling it, and a
//! reader for the JUnit failures.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Long enough never to fire on a slow machine; only there to turn a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(120);

/// What a finished `mimeo replay` said.
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `mimeo replay` with nothing inherited that changes its behaviour: no CI, no
/// credentials from the environment, no colour.
pub fn replay() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mimeo"));
    c.arg("replay")
        .env_remove("CI")
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env("NO_COLOR", "1");
    c
}

/// Runs `cmd` to the end with `stdin` as its input (empty when `None`).
pub fn run_with_input(mut cmd: Command, stdin: Option<&str>) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mimeo starts");
    let pid = child.id();
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("stdin written");
        }
        // Dropped here: the child sees end of input.
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(out) => {
            let out = out.expect("mimeo runs");
            Run {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("mimeo replay did not finish within {WATCHDOG:?}: it hangs");
        }
    }
}

/// Runs `cmd` with empty input.
pub fn run(cmd: Command) -> Run {
    run_with_input(cmd, None)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("file written");
    path
}

/// `(type, message)` of every `<failure>` in a JUnit document, XML escapes undone.
pub fn junit_failures(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<failure") {
        let after = &rest[i + "<failure".len()..];
        let end = after.find('>').unwrap_or(after.len());
        let tag = &after[..end];
        out.push((
            xml_attr(tag, "type").unwrap_or_default(),
            xml_attr(tag, "message").unwrap_or_default(),
        ));
        rest = &after[end..];
    }
    out
}

fn xml_attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(
        tag[start..start + len]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
