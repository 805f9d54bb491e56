//! What `mimeo serve` and `mimeo proxy` do with their verdict when they stop:
//! print the summary (by operation and rule, and the coverage line), write the
//! reports asked for, and choose the exit status (1 with `--fail-on-violation`
//! when a request broke the contract, or when a report could not be written).

use std::path::Path;

use mimeo::{Secrets, Verdict};

use super::args::VerdictArgs;

/// Refuses, before anything runs, a report path that is a symbolic link (reports
/// are written to regular files only), that cannot be written, or that names the same file as another
/// output of the command (`other`: the ready file, the recording directory), so
/// the verdict of a long run is not lost at the end.
/// Nor may a report or `other` name a file the command reads (`inputs`).
pub(crate) fn check_paths(
    args: &VerdictArgs,
    other: (&str, Option<&Path>),
    inputs: &[(&str, Option<&Path>)],
) -> Result<(), String> {
    let reports = [
        ("--report", args.report.as_deref()),
        ("--report-json", args.report_json.as_deref()),
    ];
    super::refuse_links(&reports)?;
    super::refuse_unwritable(&reports)?;
    super::refuse_same_path(&[reports[0], reports[1], other])?;
    super::refuse_input_as_output(&[reports[0], reports[1], other], inputs)
}

pub(crate) fn finish(verdict: &Verdict, args: &VerdictArgs, secrets: &Secrets) -> i32 {
    // (Never `eprint!`: a wrapper that died closed stderr with stdin, and a
    // panic here would lose the reports and the status.)
    super::out::stderr(&verdict.to_string());
    let mut code = 0;
    if let Some(path) = &args.report {
        match mimeo::report::write_verdict_junit(path, verdict, secrets) {
            Ok(()) => super::out::tell!("mimeo: wrote {}", path.display()),
            Err(e) => {
                super::out::tell!("error: {e}");
                code = 1;
            }
        }
    }
    if let Some(path) = &args.report_json {
        match mimeo::report::write_verdict_json(path, verdict, secrets) {
            Ok(()) => super::out::tell!("mimeo: wrote {}", path.display()),
            Err(e) => {
                super::out::tell!("error: {e}");
                code = 1;
            }
        }
    }
    if args.fail_on_violation && !verdict.passed() {
        super::out::tell!(
            "mimeo: {} request(s) broke the contract (--fail-on-violation)",
            verdict.violating
        );
        code = 1;
    }
    code
}
