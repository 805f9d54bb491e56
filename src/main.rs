//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

/// mimalloc rather than the system allocator: a request's answer takes a few
/// dozen small allocations, and a tenth of its instructions went to glibc's
/// malloc and free. mimalloc gives freed memory back to the operating system
/// after a short delay (glibc needed its mmap threshold lowered for that); the
/// proxy's peaks under many large answers (benches/hostile.sh) were measured
/// with glibc and are to be measured again. The library leaves the choice of
/// allocator to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
