//! Terminal output that survives a closed pipe: `mimeo replay | head -1` must
//! not panic (Rust's `println!` does when stdout is gone). The first failed
//! write marks the stream closed and later output to it is dropped; the run
//! goes on, so report files are still written and the exit status still says
//! how it went.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn write(closed: &AtomicBool, mut sink: impl Write, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if sink
        .write_all(text.as_bytes())
        .and_then(|()| sink.flush())
        .is_err()
    {
        closed.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stdout (nothing once stdout is closed).
pub(crate) fn stdout(text: &str) {
    write(&STDOUT_CLOSED, std::io::stdout().lock(), text);
}

/// Writes `text` to stderr (nothing once stderr is closed).
pub(crate) fn stderr(text: &str) {
    write(&STDERR_CLOSED, std::io::stderr().lock(), text);
}

/// `println!` that never panics.
macro_rules! say {
    () => { $crate::cli::out::stdout("\n") };
    ($($arg:tt)*) => { $crate::cli::out::stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
macro_rules! tell {
    ($($arg:tt)*) => { $crate::cli::out::stderr(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {say, tell};

/// Prints, as they are found, the warnings `take` hands over (a server's
/// problems met after start: bodies built late, schemas compiled on first
/// use), every 200 ms; never returns (select it against the stop).
pub(crate) async fn tell_late(take: impl Fn() -> Vec<String>) {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        tell_warnings(take());
    }
}

/// Prints each of `warnings` as a `warning:` line.
pub(crate) fn tell_warnings(warnings: Vec<String>) {
    for w in warnings {
        tell!("warning: {w}");
    }
}
