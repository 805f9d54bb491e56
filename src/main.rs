//! The `mimeo` command: flags, environment, terminal output and exit codes, on
//! top of the library (which prints nothing and returns typed results).

mod cli;

/// mimalloc rather than the system allocator: a request's answer takes a few
/// dozen small allocations, and a tenth of its instructions went to glibc's
/// malloc and free. The library leaves the choice of allocator to its users.
#[global_allocator]
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc, asked the way C asks it. The `mimalloc` crate's allocator passes
/// every allocation through `mi_malloc_aligned`, whose fast path takes only
/// blocks of at most 1 KiB; a larger one (hyper's buffers, a body, a journal
/// entry) went through the over-allocating path, 4-6% of a mock's instructions
/// per request. Every mimalloc block is aligned to at least 8 bytes (block sizes
/// are multiples of the word, pages start 16-aligned), so an alignment of 8 or
/// less is plain `mi_malloc`; a larger one still goes the aligned way.
struct Mimalloc;

/// The alignment every block of mimalloc's has (`MI_INTPTR_SIZE`).
const PLAIN_ALIGN: usize = std::mem::size_of::<usize>();

// SAFETY: each method forwards to the mimalloc function of the same contract
// (null on failure, `mi_free` for every block whichever way it was taken), and
// the plain functions are used only where their alignment meets the layout's.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: as above.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: as above.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: as above.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

fn main() {
    commit_as_used();
    #[cfg(target_os = "linux")]
    no_huge_pages();
    std::process::exit(cli::main());
}

/// No transparent huge pages for this process: mimalloc asks for them on its
/// arenas, so a first touch commits (and zeroes) 2 MiB at a time, which purges
/// then split again, and a fault may wait for the kernel to compact memory.
/// Measured on GitHub's description (13 MB): RSS once listening 134 -> 107 MB
/// (`AnonHugePages` 14 MB -> 0), start-up time within noise. mimalloc's own
/// switch for this (`MIMALLOC_ALLOW_THP=0`) is read from the environment
/// before `main` runs, so the process flag is set here directly; it applies to
/// every fault from now on, memory mapped already included. `mimeo replay`
/// keeps them off too: with them its page faults on the bench suite fell from
/// 24,100 to 1,150, but its steps per second varied from 14,600 to 22,400
/// between runs (18,300 to 19,900 without).
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and sets a flag of this
    // process; failing (an old kernel) changes nothing, so the result is unused.
    let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

// mimalloc.h's `mi_option_e` of v3, the version built (deprecated entries keep
// their places within v3; v2 numbers differ): `mi_option_arena_eager_commit`,
// `mi_option_purge_delay` and `mi_option_arena_max_object_size`.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const ARENA_MAX_OBJECT_SIZE: libmimalloc_sys::mi_option_t = 45;
// v3's table has 47 options (v2's 38): a libmimalloc-sys that bundles another
// table must not build with the numbers above landing on other options.
const _: () = assert!(libmimalloc_sys::_mi_option_last == 47);

/// Arenas are committed as they are used, and freed memory goes back to the
/// operating system soon (see [`memory_back_to_the_os`] and
/// [`memory_for_a_proxy`]): with mimalloc's defaults (eager commits, a delay
/// for every size) the proxy held 720 MB under 96 concurrent 17 MB answers
/// with a 256 MiB `--check-memory` budget; with these, about 350-405 MB
/// (glibc with a lowered mmap threshold: 331 MB).
fn commit_as_used() {
    // SAFETY: setting an option is a plain store in mimalloc's option table,
    // made before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
}

/// Freed memory goes back to the operating system at once (see
/// [`commit_as_used`]): `mimeo serve` and `mimeo state`, whose pages do not
/// churn. Not for the proxy (see [`memory_for_a_proxy`]), nor for `mimeo
/// replay`: one batch that ends with its
/// suite, it reuses what it frees, and handing that back page by page cost it
/// about 5% of its CPU time (madvise, and the page faults after: 19,200 ->
/// 15,300 on a 10,000-step suite; peak RSS 81 -> 85 MB).
pub(crate) fn memory_back_to_the_os() {
    // SAFETY: as in `commit_as_used`; called once the command is known, before
    // it starts any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}

/// The proxy's memory: what mimalloc takes from its arenas (every page up to
/// 4 MiB) goes back to the operating system about 100 ms after it is freed,
/// not at once; a block over about 4 MiB (a large body held to check) is
/// mapped for itself and unmapped as soon as it is freed. mimalloc purges
/// freed arena memory only when some thread frees or collects, so a thread of
/// ours collects every [`PURGE_EVERY`]: an idle proxy hands back the arena
/// memory a burst left (the pages its workers still hold go back when they
/// next allocate).
///
/// Freed at once, pages were emptied and refilled with every exchange and
/// each refill faulted: hyper's 8 KiB read buffers and hyper-util's boxed
/// request futures on the bench's mix, the body being checked as it grows on
/// larger answers (the mock's pages do not churn so: 0.000 faults a request
/// either way). Measured, release builds, before -> after:
/// - the bench's mix (proxy and mock on one core): 0.49-0.61 -> 0.007 faults
///   a request, 21,052-23,162 -> 23,345-25,430 requests a second;
/// - 16 connections asking for 45 KB / 198 KB answers for 5 s
///   (`benches/hostile.sh`): 256 / 1,088 -> 0.9 / 63 faults a request,
///   1,639 / 331 -> 3,437 / 664 requests a second, peak RSS 27 / 61 -> 37 /
///   125 MB (a limit of 512 KiB instead of 4 MiB kept the old faults and
///   rates: a growing body's 128-512 KiB blocks live in 4 MiB pages);
/// - the rest of `benches/hostile.sh`: peaks 358 / 417 / 97 / 307 -> 349-352
///   / 422 / 101 / 243-317 MB (96 concurrent 17 MB answers, 96 concurrent
///   8 MB schema-breaking ones, one 2 MB answer with a million violations, 48
///   concurrent 9 MB answers), and once idle 79 / 47 / 24 / 41 -> 75-78 /
///   52-63 / 26-28 / 51-52 MB; the delay without the limit raised those
///   peaks to 523-580 MB.
pub(crate) fn memory_for_a_proxy() {
    // SAFETY: as in `commit_as_used`; called once the command is known, before
    // it starts any thread. The size is in KiB.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_MAX_OBJECT_SIZE, 4 * 1024);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 100);
    }
    // (No thread, no collecting: the memory then goes back at the next
    // exchange's frees instead.)
    let _ = std::thread::Builder::new()
        .name("mimeo-purge".into())
        .spawn(|| loop {
            std::thread::sleep(PURGE_EVERY);
            // SAFETY: collecting takes no arguments and may run on any thread
            // at any time; it frees only memory no block is using.
            unsafe { libmimalloc_sys::mi_collect(false) };
        });
}

/// How often the proxy's freed memory is looked at (see [`memory_for_a_proxy`]).
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
