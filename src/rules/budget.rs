//! Rule budgets: every rule evaluation runs under a limit of time, outputs, memory and stack, so
//! that no rule, built-in or user, can hang the scan, abort the process or grow without bound.
//!
//! How it holds:
//! - **Outputs** are counted as they come: at most `outputs + 1` are taken from jaq.
//! - **Time** cannot be checked between outputs alone (`[range(1e9)]` or `def f: f; f` produce
//!   one output that never comes), so rules run on a sandbox thread (`super::sandbox`), a chunk
//!   of rows at a time, while the rayon thread that asked watches the evaluation in progress
//!   (`time` per row, and what is left of `total` for the rule). A rule past its deadline is
//!   abandoned: its thread is marked cancelled and a fresh one takes the rest of the chunk.
//! - **Memory and stack** are metered by the global allocator ([`Metered`]): while a sandbox
//!   thread evaluates a rule, each allocation is counted against `memory` (net bytes) and the
//!   stack pointer against the thread's stack budget (jaq recurses on the Rust stack and
//!   allocates at each level, so `def f: 1 + f; f` is caught before the stack overflows). An
//!   allocation over budget, or on a cancelled thread, never happens: an allocator must not
//!   unwind, so the thread reports why and parks for good, holding at most its budget. The one
//!   jq loop that allocates nothing, `range` (as in `last(range(1e12))`), checks [`abandoned`]
//!   at each step and ends with an error, so an abandoned rule stops there too.
//!
//! A rule stopped this way is an error naming the rule and the row, and it is not run on later
//! rows (so at most one sandbox thread per rule is ever abandoned); every other rule still runs.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

/// Limits on each rule evaluation (`scan --rule-budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Time one rule may take on one row.
    pub time: Duration,
    /// Time one rule may take over all rows.
    pub total: Duration,
    /// Outputs one rule may emit for one row.
    pub outputs: usize,
    /// Net bytes one rule may allocate on one row.
    pub memory: usize,
}

impl Default for Budget {
    /// Far above what any sane rule needs: the built-in pack takes microseconds and kilobytes
    /// per row.
    fn default() -> Self {
        Budget {
            time: Duration::from_secs(10),
            total: Duration::from_secs(300),
            outputs: 10_000,
            memory: 1 << 30,
        }
    }
}

impl FromStr for Budget {
    type Err = anyhow::Error;

    /// `time=2s,total=60s,outputs=10000,memory=256MiB`; each key is optional (the default stays).
    fn from_str(text: &str) -> Result<Self> {
        let mut budget = Budget::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| anyhow!("`{item}`: use KEY=VALUE"))?;
            match key {
                "time" => budget.time = duration(value)?,
                "total" => budget.total = duration(value)?,
                "outputs" => budget.outputs = number(value)?,
                "memory" => budget.memory = bytes(value)?,
                _ => bail!("unknown budget `{key}`; use time, total, outputs or memory"),
            }
        }
        Ok(budget)
    }
}

/// A positive whole number.
fn number(text: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("`{text}` is not a positive whole number"),
    }
}

/// `250ms`, `2s` or `5m`.
fn duration(text: &str) -> Result<Duration> {
    let units = [("ms", 1), ("s", 1_000), ("m", 60_000)];
    for (unit, millis) in units {
        let count = text.strip_suffix(unit).and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = count.filter(|&n| n > 0) {
            return Ok(Duration::from_millis(n.saturating_mul(millis)));
        }
    }
    bail!("`{text}` is not a duration; use e.g. 250ms, 2s or 5m")
}

/// `4096`, `64KiB`, `256MiB` or `2GiB`.
fn bytes(text: &str) -> Result<usize> {
    let units = [
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("", 1),
    ];
    let (digits, scale) = (units.iter())
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|d| (d, *scale)))
        .unwrap_or((text, 1));
    Ok(number(digits)
        .map_err(|_| anyhow!("`{text}` is not a size; use e.g. 256MiB"))?
        .saturating_mul(scale))
}

/// Why an evaluation was stopped (the codes the allocator writes into [`Progress::stopped`]).
pub(super) const OVER_MEMORY: u8 = 1;
pub(super) const OVER_STACK: u8 = 2;
const CANCELLED: u8 = 3;

/// Stack size of a sandbox thread, and how much of it a rule may use.
pub(super) const STACK_SIZE: usize = 256 << 20;
const STACK_BUDGET: usize = 192 << 20;

/// What a sandbox thread shares with the thread waiting on it.
#[derive(Default)]
pub(super) struct Progress {
    /// Set by the waiting thread when it abandons the evaluation.
    pub(super) cancelled: AtomicBool,
    /// Set by the allocator when it refused an allocation (a code above).
    pub(super) stopped: AtomicU8,
}

/// Makes the calling thread a sandbox thread sharing `progress`, its stack budget counted from
/// here; called once, first thing on the thread, which holds `progress` for its whole life.
pub(super) fn enter_sandbox(progress: &Arc<Progress>) {
    PROGRESS.set(Arc::as_ptr(progress));
    let top = 0u8;
    STACK_FLOOR.set((&top as *const u8 as usize).saturating_sub(STACK_BUDGET));
}

/// Runs `evaluation` on a sandbox thread ([`enter_sandbox`]) with every allocation metered
/// against `memory` bytes and the stack budget.
pub(super) fn metered<T>(memory: usize, evaluation: impl FnOnce() -> T) -> T {
    ALLOCATED.set(0);
    MEMORY_LIMIT.set(memory.min(isize::MAX as usize) as isize);
    METERED.set(true);
    let result = evaluation();
    METERED.set(false);
    result
}

thread_local! {
    /// Whether an evaluation is being metered on this thread (a thread-local read is all an
    /// allocation pays outside one: no shared counter that every thread's allocations would
    /// read while sandbox threads write it).
    static METERED: Cell<bool> = const { Cell::new(false) };
    /// Net bytes allocated by the evaluation so far.
    static ALLOCATED: Cell<isize> = const { Cell::new(0) };
    /// The bytes it may allocate.
    static MEMORY_LIMIT: Cell<isize> = const { Cell::new(0) };
    /// The lowest stack address it may reach.
    static STACK_FLOOR: Cell<usize> = const { Cell::new(0) };
    /// The sandbox's shared progress (set once, before any evaluation, for the thread's life).
    static PROGRESS: Cell<*const Progress> = const { Cell::new(std::ptr::null()) };
}

/// The global allocator wrapper that meters rule evaluations (see the module doc); outside
/// one, it only reads a thread-local flag.
pub struct Metered<A>(pub A);

impl<A> Metered<A> {
    /// Counts `grow` bytes (negative: freed) against the running evaluation; an allocation over
    /// budget, or on a cancelled thread, parks the thread for good instead of returning.
    #[inline]
    fn meter(grow: isize) {
        if !METERED.get() {
            return;
        }
        let allocated = ALLOCATED.get() + grow;
        ALLOCATED.set(allocated);
        if grow <= 0 {
            return;
        }
        let here = &allocated as *const isize as usize;
        // SAFETY: PROGRESS is set before METERED and points into an Arc the thread holds for
        // its whole life.
        let progress = unsafe { &*PROGRESS.get() };
        let code = if progress.cancelled.load(Ordering::Relaxed) {
            CANCELLED
        } else if allocated > MEMORY_LIMIT.get() {
            OVER_MEMORY
        } else if here < STACK_FLOOR.get() {
            OVER_STACK
        } else {
            return;
        };
        stop(progress, code);
    }
}

/// Whether the evaluation running on this thread was abandoned by the thread waiting on it (never
/// outside a sandbox thread). A loop that allocates nothing checks it (`jq`'s `range`), so that
/// an abandoned rule stops there instead of keeping a core busy until exit.
pub fn abandoned() -> bool {
    let progress = PROGRESS.get();
    // SAFETY: as in `meter`: a non-null PROGRESS points into an Arc the thread holds for its
    // whole life.
    !progress.is_null() && unsafe { &*progress }.cancelled.load(Ordering::Relaxed)
}

/// Parks the metered thread for good, after saying why (never returns, never unwinds).
#[cold]
fn stop(progress: &Progress, code: u8) -> ! {
    METERED.set(false);
    progress.stopped.store(code, Ordering::SeqCst);
    loop {
        std::thread::park();
    }
}

// SAFETY: every call is forwarded to `A` unchanged; metering only reads and writes thread-locals
// and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Metered<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::meter(layout.size() as isize);
        unsafe { self.0.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::meter(layout.size() as isize);
        unsafe { self.0.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::meter(-(layout.size() as isize));
        unsafe { self.0.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::meter(new_size as isize - layout.size() as isize);
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}
