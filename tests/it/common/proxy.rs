//! Running `mimeo proxy` as a child process: start it on a free port, learn its
//! URL from the start-up banner, stop it with SIGTERM as a user's Ctrl-C would, and
//! collect what it printed. A watchdog turns a hang into a failure.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Long enough never to fire on a slow machine; only there to turn a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(120);

/// A running `mimeo proxy`.
pub struct Running {
    /// `None` once stopped; a proxy still running when its test fails is killed on drop.
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, from the `mimeo: listening on` line.
    pub url: String,
    /// Everything printed on stdout up to and including the listening line.
    pub banner: String,
    stderr: mpsc::Receiver<String>,
}

/// What a stopped proxy said.
pub struct Stopped {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Starts `mimeo proxy ARGS` (add `--port 0`) and waits until it listens.
pub fn spawn(args: &[&str]) -> Running {
    spawn_command("proxy", args)
}

/// Starts `mimeo COMMAND ARGS` (`serve` or `proxy`; add `--port 0`) and waits
/// until it listens.
pub fn spawn_command(command: &str, args: &[&str]) -> Running {
    spawn_env(command, args, None)
}

/// The proxy environment variables mimeo reads (lower and upper case), and the
/// CGI one that turns `HTTP_PROXY` off.
const PROXY_VARIABLES: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Starts `mimeo proxy ARGS` with exactly the proxy environment `vars` (the
/// test process's own proxy variables removed), and waits until it listens.
pub fn spawn_with_env(args: &[&str], vars: &[(&str, &str)]) -> Running {
    spawn_env("proxy", args, Some(vars))
}

fn spawn_env(command: &str, args: &[&str], vars: Option<&[(&str, &str)]>) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimeo"));
    if let Some(vars) = vars {
        for name in PROXY_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.envs(vars.iter().copied());
    }
    let mut child = cmd
        .arg(command)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mimeo starts");
    let mut err = child.stderr.take().expect("stderr is piped");
    let (err_tx, stderr) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        let _ = err_tx.send(text);
    });
    let out = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(out).lines();
        let mut banner = String::new();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            banner.push_str(&line);
            banner.push('\n');
            if let Some(url) = line.strip_prefix("mimeo: listening on ") {
                let _ = tx.send(Some((url.trim().to_string(), banner.clone())));
                // Keep reading so the child never blocks on a full pipe.
                lines.for_each(drop);
                return;
            }
        }
        let _ = tx.send(None);
        let _ = banner;
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(Some((url, banner))) => Running {
            child: Some(child),
            url,
            banner,
            stderr,
        },
        other => {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.recv_timeout(WATCHDOG).unwrap_or_default();
            panic!(
                "mimeo {command} did not start listening ({}):\n{err}",
                if other.is_ok() {
                    "it exited"
                } else {
                    "timed out"
                }
            );
        }
    }
}

impl Running {
    /// The most memory the process has held so far (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> u64 {
        let pid = self.child.as_ref().map_or(0, Child::id);
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .map_or(0, |kib| kib / 1024)
    }

    /// Sends SIGTERM and waits for the proxy to finish.
    pub fn stop(self) -> Stopped {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.wait()
    }

    /// Waits for the process to finish by itself (e.g. after POST /__admin/shutdown).
    pub fn wait(mut self) -> Stopped {
        let child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut child = child;
            let _ = tx.send(child.wait());
        });
        let status = match rx.recv_timeout(WATCHDOG) {
            Ok(status) => status.expect("mimeo proxy ran"),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("mimeo did not stop within {WATCHDOG:?}");
            }
        };
        let stderr = self
            .stderr
            .recv_timeout(WATCHDOG)
            .expect("stderr is read to the end");
        Stopped {
            code: status.code(),
            stdout: std::mem::take(&mut self.banner),
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
