//! `mimeo replay --review`: nothing is run. Each pending `.snap.new` in
//! `--snapshots` is shown as a diff against its snapshot and accepted, rejected
//! or skipped (answers from the terminal, or from stdin when it is not one; end
//! of input leaves the rest pending). What was decided is said by name.

use std::io::BufRead;

use mimeo::Snapshots;

use crate::cli::args::ReplayArgs;
use crate::cli::fail;
use crate::cli::out::say;
use crate::cli::terminal::Painter;

pub(super) fn run(args: &ReplayArgs) -> i32 {
    let store = Snapshots::new(&args.snapshots);
    let pending = match store.pending() {
        Ok(p) => p,
        Err(e) => return fail(format!("cannot list {}: {e}", store.dir().display())),
    };
    if pending.is_empty() {
        say!("no pending snapshots in {}", store.dir().display());
        return 0;
    }
    let painter = Painter::from_flag(&args.color);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = Output;
    let tally = match store.review(&mut input as &mut dyn BufRead, &mut output, &|diff| {
        painter.diff(diff)
    }) {
        Ok(tally) => tally,
        Err(e) => return fail(format!("review stopped: {e}")),
    };
    say!();
    for name in &tally.accepted_names {
        say!("accepted  {}", store.path(name).display());
    }
    for name in &tally.rejected_names {
        say!(
            "rejected  {} (deleted; {} is left as it was)",
            store.pending_path(name).display(),
            store.path(name).display()
        );
    }
    say!(
        "review: {} accepted, {} rejected, {} left pending",
        tally.accepted_names.len(),
        tally.rejected_names.len(),
        tally.skipped
    );
    0
}

/// Stdout through the pipe-safe writer.
struct Output;

impl std::io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::cli::out::stdout(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
