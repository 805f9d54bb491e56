//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

/// mimalloc rather than the system allocator: a request's answer takes a few
/// dozen small allocations, and a tenth of its instructions went to glibc's
/// malloc and free. The library leaves the choice of allocator to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    memory_back_to_the_os();
    std::process::exit(cli::main());
}

/// Freed memory goes back to the operating system at once, and arenas are
/// committed as they are used: with mimalloc's defaults (a delay, eager
/// commits) the proxy held 720 MB under 96 concurrent 17 MB answers with a
/// 256 MiB `--check-memory` budget; with these, about 405 MB (glibc with a
/// lowered mmap threshold: 331 MB). Request throughput did not move.
///
/// No transparent huge pages either: mimalloc asks for them on its arenas, and
/// each first touch then zeroes 2 MiB (which purges split again), and may wait
/// for the kernel to compact memory. Loading GitHub's description (13 MB) spent
/// 40% of its time zeroing pages and took from 245 to 800 ms; without them,
/// 246 to 293 ms (median 272 against 275), peak RSS 2 MB higher.
fn memory_back_to_the_os() {
    // mimalloc.h's `mi_option_e` (v3; deprecated entries keep their places, so
    // the numbers are stable): `mi_option_arena_eager_commit` and
    // `mi_option_purge_delay`.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // `mi_option_allow_thp`.
    const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;
    // SAFETY: setting an option is a plain store in mimalloc's option table,
    // made before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
    }
}
