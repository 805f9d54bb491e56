//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
