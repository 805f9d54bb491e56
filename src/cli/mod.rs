//! The command line: parse the flags, load the contract, run one command, and
//! turn its outcome into output and an exit status (0 success, 1 a check or
//! recording failed, 2 a usage or configuration error).

mod args;
mod out;
mod proxy;
mod ready;
mod replay;
mod serve;
mod state;
mod terminal;
mod verdict;

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use mimeo::Contract;

use args::{Cli, Command};

/// What `mimeo --version` prints after the name: the version, the commit and the
/// embedded contract (from build.rs), on one line that scripts can parse.
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MIMEO_BUILD_COMMIT"),
    ", contract \"",
    env!("MIMEO_CONTRACT_TITLE"),
    "\" ",
    env!("MIMEO_CONTRACT_VERSION"),
    ")"
);

/// Runs the command line; returns the process exit code.
pub(crate) fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay(_) => {}
        Command::Proxy(_) => crate::memory_for_a_proxy(),
        Command::Serve(_) | Command::State(_) => crate::memory_back_to_the_os(),
    }
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::State(cmd) => state::run(cmd),
    }
}

/// Prints a usage or configuration error; exit status 2.
fn fail(message: impl std::fmt::Display) -> i32 {
    out::tell!("error: {message}");
    2
}

/// Refuses a report path that is a symbolic link, before anything runs: reports
/// are written to regular files only, never through links (see `mimeo::report`),
/// and a long run must not find that out at its end.
fn refuse_links(paths: &[(&str, Option<&Path>)]) -> Result<(), String> {
    for (flag, path) in paths {
        if let Some(p) = path {
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(format!(
                    "{flag} {}: it is a symbolic link; give the path of a regular file (mimeo does not write through links)",
                    p.display()
                ));
            }
        }
    }
    Ok(())
}

/// Refuses, before anything runs, a report path mimeo could not write at the
/// end: one that is a directory, or whose directory (or, while it does not
/// exist yet, the nearest existing directory above it, where it would be
/// created) does not take a new file. A temporary file is created there and
/// removed at once, so the check leaves nothing behind.
fn refuse_unwritable(paths: &[(&str, Option<&Path>)]) -> Result<(), String> {
    for (flag, path) in paths {
        let Some(path) = path else { continue };
        let fail = |what: String| format!("{flag} {}: {what}", path.display());
        if path.is_dir() {
            return Err(fail("it is a directory; give the path of a file".into()));
        }
        let Some(dir) = path
            .ancestors()
            .skip(1)
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .find(|d| d.exists())
        else {
            return Err(fail("none of the directories above it exists".into()));
        };
        if !dir.is_dir() {
            return Err(fail(format!("{} is not a directory", dir.display())));
        }
        tempfile::Builder::new()
            .prefix(".mimeo-")
            .tempfile_in(dir)
            .map_err(|e| {
                // tempfile appends ` at path "DIR/.mimeo-XXXX"`, a name the user never gave.
                let e = e.to_string();
                let os = e.split(" at path ").next().unwrap_or(&e);
                fail(format!("cannot write in {}: {os}", dir.display()))
            })?;
    }
    Ok(())
}

/// Refuses two output flags of one command that name the same file (`--junit
/// r --json r`): the second write would replace the first and a report would be
/// lost without a word. Paths are compared made absolute, with links and `..`
/// resolved as far as the path exists.
fn refuse_same_path(paths: &[(&str, Option<&Path>)]) -> Result<(), String> {
    let given: Vec<(&str, &Path, PathBuf)> = paths
        .iter()
        .filter_map(|(flag, p)| p.map(|p| (*flag, p, resolved(p))))
        .collect();
    for (i, (flag, path, full)) in given.iter().enumerate() {
        if let Some((other, other_path, _)) = given[..i].iter().find(|(_, _, f)| f == full) {
            return Err(format!(
                "{other} {} and {flag} {} name the same path ({}); give each its own",
                other_path.display(),
                path.display(),
                full.display()
            ));
        }
    }
    Ok(())
}

/// Refuses an output flag that names a file the command reads (`mimeo replay
/// s.yaml --junit s.yaml`, `serve --spec api.yaml --report api.yaml`): writing
/// the output would replace the user's input. Compared as [`refuse_same_path`]
/// compares.
fn refuse_input_as_output(
    outputs: &[(&str, Option<&Path>)],
    inputs: &[(&str, Option<&Path>)],
) -> Result<(), String> {
    for (flag, out) in outputs.iter().filter_map(|(f, p)| p.map(|p| (*f, p))) {
        let full = resolved(out);
        let read = inputs
            .iter()
            .filter_map(|(f, p)| p.map(|p| (*f, p)))
            .find(|(_, input)| resolved(input) == full);
        if let Some((what, input)) = read {
            return Err(format!(
                "{flag} {} would replace {what} {}, which this command reads; give the output its own path",
                out.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// `path` made absolute: canonical where it exists, else its nearest existing
/// ancestor canonical and the rest with `.` and `..` worked out by hand.
fn resolved(path: &Path) -> PathBuf {
    let full = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut base = full.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = base.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other),
                }
            }
            return out;
        }
        match (base.parent(), base.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                base = parent;
            }
            _ => return full,
        }
    }
}

/// The contract of `--spec` (the embedded one without it); its warnings are printed.
fn load_contract(spec: Option<&Path>) -> Result<Arc<Contract>, String> {
    let contract = match spec {
        Some(path) => Contract::from_file(path),
        None => Contract::embedded(),
    }
    .map_err(|e| e.to_string())?;
    for w in contract.warnings() {
        out::tell!("warning: {w}");
    }
    Ok(Arc::new(contract))
}

/// [`load_contract`] on a blocking thread, so the runtime stays free to notice a
/// signal while a large document loads.
async fn load_contract_off_thread(
    spec: Option<std::path::PathBuf>,
) -> Result<Arc<Contract>, String> {
    tokio::task::spawn_blocking(move || load_contract(spec.as_deref()))
        .await
        .unwrap_or_else(|e| Err(format!("loading the contract failed: {e}")))
}

/// Runs `work` until it finishes (`Some`) or `stop` fires first (`None`).
async fn until_stopped<T>(
    stop: &mut (impl std::future::Future<Output = ()> + Unpin),
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = stop => None,
        done = work => Some(done),
    }
}

/// What a command says and returns when a signal stopped it before it served.
fn stopped_early() -> i32 {
    out::tell!("mimeo: stopped before serving");
    0
}

/// The tokio runtime: `workers` threads, by default one per CPU the process may use.
fn runtime(workers: Option<usize>) -> Result<tokio::runtime::Runtime, String> {
    mimeo::runtime(workers).map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Ctrl-C, SIGTERM or SIGHUP. The handlers are installed when this is called, not
/// when the future is first polled, so a signal sent as soon as the banner is out
/// is caught.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // SIGHUP too: a closed terminal or a dropped ssh session must stop the proxy
        // the graceful way, so a recording in memory is written.
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let hangup = signal(SignalKind::hangup()).ok();
        async move {
            match (interrupt, terminate, hangup) {
                (Some(mut interrupt), Some(mut terminate), Some(mut hangup)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                        _ = hangup.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// [`stop_signal`], or with `stdin` also the end of standard input (its
/// pipe's writer gone: the program that started this one has ended). What is
/// read is thrown away, a buffer at a time.
fn stop_signal_or_eof(stdin: bool) -> impl std::future::Future<Output = ()> {
    use std::io::IsTerminal;
    let signal = stop_signal();
    // A terminal never closes, and reading it from the background stops the
    // process (SIGTTIN): only a pipe or a file is watched.
    let terminal = stdin && std::io::stdin().is_terminal();
    if terminal {
        out::tell!("warning: --stop-on-stdin-close: standard input is a terminal; not watched");
    }
    let eof = (stdin && !terminal).then(|| {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("mimeo-stdin".into())
            .spawn(move || {
                use std::io::Read;
                let mut buf = [0u8; 8192];
                let mut input = std::io::stdin().lock();
                loop {
                    match input.read(&mut buf) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        // A pipe left non-blocking by its writer: not an end.
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(std::time::Duration::from_millis(100));
                        }
                        Err(_) => break,
                    }
                }
                let _ = tx.send(());
            });
        (spawned.is_ok(), rx)
    });
    async move {
        match eof {
            Some((true, rx)) => {
                tokio::select! {
                    () = signal => {}
                    _ = rx => out::tell!("mimeo: standard input closed; stopping"),
                }
            }
            _ => signal.await,
        }
    }
}

/// Writes `text` to stdout at once and flushes it (banners that wrappers wait for).
fn print_now(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
