//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

fn main() {
    large_allocations_from_the_os();
    std::process::exit(cli::main());
}

/// Buffers of a megabyte and more (answers being checked, request bodies) are
/// taken from the operating system and given back to it when freed. glibc
/// otherwise raises its threshold for that as large buffers are freed, and then
/// serves them from heaps that keep their memory: under concurrent large answers
/// the proxy held two to three times what its `--check-memory` budget counts.
fn large_allocations_from_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
