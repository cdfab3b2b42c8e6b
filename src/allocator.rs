//! How the process's allocator (mimalloc) gives freed memory back to the system.
//!
//! A scan's phases each free much of what the phase before built (the records once their tables
//! exist, a view's evaluations once its rows are written) and then allocate as much again. With
//! mimalloc's defaults the freed pages stay resident for a while, and with transparent huge pages
//! the kernel backs memory in 2 MiB pages, of which a page with one live object stays whole: on
//! the generated large preset (1.05 GB of evidence) the peak was 1,181 MB with the defaults and
//! 953 MB with both settings below, in about the same time (bench/RESULTS.md). An environment
//! variable the user sets (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ALLOW_THP`) still wins.

/// mimalloc's `mi_option_purge_delay` (position 15 of `mi_option_t` in v3's mimalloc.h; the
/// bindings name no constant for it): milliseconds before freed memory is given back.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds mimalloc waits before giving freed memory back (its default is 1,000: a second
/// in which a phase's freed memory stays resident while the next one allocates; 1 keeps only
/// the pages freed and at once allocated again).
const PURGE_DELAY_MS: std::ffi::c_long = 1;

/// Makes freed memory go back to the system promptly: a short purge delay, and no transparent
/// huge pages for this process (Linux). Call it first thing in `main`.
pub fn return_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, which it reads on every purge; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; an older kernel refuses it
        // with an error, and huge pages then stay as they were.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// Gives back the pages that memory freed by another thread emptied: mimalloc frees an object
/// on the heap of the thread that allocated it, and a page a thread no longer allocates from is
/// only looked at again when that thread collects. The records are read on the thread pool's
/// workers and freed elsewhere; without this, their emptied pages (527 MB on a 1 M interface
/// export) stay resident while the next phase allocates as much again. Runs a collection on
/// every worker of the pool and on the calling thread.
pub fn collect_freed_pages() {
    // SAFETY: `mi_collect` only walks the calling thread's own heap.
    let collect = || unsafe { libmimalloc_sys::mi_collect(false) };
    rayon::broadcast(|_| collect());
    collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option at `PURGE_DELAY` is the purge delay: it holds mimalloc's default for it
    /// (1,000 ms in options.c, a value no neighbouring option has) until set, and reads back what
    /// it is set to.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads and sets a mimalloc option; the test binary does not allocate with
        // mimalloc, so the value only matters to this test.
        unsafe {
            assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), 1000);
            libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
            assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), PURGE_DELAY_MS);
        }
    }
}
