//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

/// mimalloc rather than the system allocator: a request's answer takes a few
/// dozen small allocations (a tenth of its instructions went to glibc's malloc
/// and free), and large buffers (answers being checked, request bodies) go back
/// to the operating system soon after they are freed, so the proxy's memory
/// stays near what its `--check-memory` budget counts. The library leaves the
/// choice of allocator to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
