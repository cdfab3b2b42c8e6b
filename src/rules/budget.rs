//! Rule budgets: every rule evaluation runs under a limit of time, outputs, memory and stack, so
//! that no rule, built-in or user, can hang the scan, abort the process or grow without bound.
//!
//! How it holds:
//! - **Outputs** are counted as they come: at most `outputs + 1` are taken from jaq.
//! - **Time** cannot be checked between outputs alone (`[range(1e9)]` or `def f: f; f` produce
//!   one output that never comes), so a row's rules run on a sandbox thread ([`Sandbox`]) while
//!   the rayon thread that asked waits with a deadline (`time` per row, and what is left of
//!   `total` for the rule). A rule past its deadline is abandoned: its thread is marked
//!   cancelled and a fresh one takes the row's remaining rules.
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
use std::cell::{Cell, RefCell};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::Value;

use super::jq;

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
const OVER_MEMORY: u8 = 1;
const OVER_STACK: u8 = 2;
const CANCELLED: u8 = 3;

/// Stack size of a sandbox thread, and how much of it a rule may use.
const STACK_SIZE: usize = 256 << 20;
const STACK_BUDGET: usize = 192 << 20;

/// What a sandbox thread shares with the thread waiting on it.
#[derive(Default)]
struct Progress {
    /// Set by the waiting thread when it abandons the evaluation.
    cancelled: AtomicBool,
    /// Set by the allocator when it refused an allocation (a code above).
    stopped: AtomicU8,
}

/// How many rule evaluations are running (on any thread).
static EVALUATING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether an evaluation is being metered on this thread.
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
        // One shared load while no rule runs (reading, tables, reports), before any thread-local.
        if EVALUATING.load(Ordering::Relaxed) == 0 || !METERED.get() {
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
    EVALUATING.fetch_sub(1, Ordering::SeqCst);
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

/// One rule to evaluate on a row.
#[derive(Clone)]
pub struct Task {
    /// The rule's compiled query.
    pub filter: Arc<jq::Filter>,
    /// The values of its global variables, in the order it was compiled with (a rule's
    /// `$params`; a fix's `$params`, `$finding` and `$lookup`).
    pub globals: Arc<[Value]>,
}

/// A row and the rules to run on it, with the limits of each evaluation.
struct Job {
    row: Arc<Value>,
    tasks: Vec<Task>,
    outputs: usize,
    memory: usize,
}

/// What one rule emitted on a row, or why it failed (its own error, not a budget's).
type Outputs = Result<Vec<Value>, String>;

/// A sandbox thread: it runs jobs one after another, metered.
struct Sandbox {
    jobs: Sender<Job>,
    results: Receiver<Outputs>,
    progress: Arc<Progress>,
}

impl Sandbox {
    /// Starts a sandbox thread.
    fn start() -> Result<Sandbox> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (result_tx, results) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let shared = Arc::clone(&progress);
        std::thread::Builder::new()
            .name("rule sandbox".into())
            .stack_size(STACK_SIZE)
            .spawn(move || serve(&shared, &job_rx, &result_tx))?;
        Ok(Sandbox {
            jobs,
            results,
            progress,
        })
    }
}

/// The sandbox thread's loop: each rule of each job, metered, its outputs sent back.
fn serve(progress: &Arc<Progress>, jobs: &Receiver<Job>, results: &Sender<Outputs>) {
    PROGRESS.set(Arc::as_ptr(progress));
    let top = 0u8;
    STACK_FLOOR.set((&top as *const u8 as usize).saturating_sub(STACK_BUDGET));
    for job in jobs {
        // The row is converted once for all its rules (its size is the evidence's, not a rule's).
        let input = jq::to_val(&job.row).map_err(|e| format!("{e:#}"));
        for task in &job.tasks {
            let outputs = match &input {
                Ok(input) => evaluate(&job, task, input.clone()),
                Err(e) => Err(e.clone()),
            };
            if results.send(outputs).is_err() {
                return;
            }
        }
    }
}

/// One rule on one row (`input`), metered from its global variables to its last output.
fn evaluate(job: &Job, task: &Task, input: jaq_json::Val) -> Outputs {
    ALLOCATED.set(0);
    MEMORY_LIMIT.set(job.memory.min(isize::MAX as usize) as isize);
    EVALUATING.fetch_add(1, Ordering::SeqCst);
    METERED.set(true);
    let outputs = (|| {
        let globals = (task.globals.iter().map(jq::to_val)).collect::<Result<Vec<_>>>()?;
        let limit = job.outputs + 1;
        let outputs = jq::run_at_most(&task.filter, input, &globals, limit)?;
        if outputs.len() > job.outputs {
            bail!(
                "budget exceeded: it emitted more than {} outputs",
                job.outputs
            );
        }
        outputs.iter().map(jq::from_val).collect::<Result<Vec<_>>>()
    })();
    METERED.set(false);
    EVALUATING.fetch_sub(1, Ordering::SeqCst);
    outputs.map_err(|e| format!("{e:#}"))
}

/// Time spent by each rule of a run, and the rules stopped for good.
pub struct Ledger {
    budget: Budget,
    spent: Vec<AtomicU64>,
    stopped: Vec<AtomicBool>,
}

/// What became of one rule on one row.
pub enum Verdict {
    /// It ran: what it emitted, or its own error.
    Ran(Outputs),
    /// It was stopped by its budget (the reason); it does not run again.
    Stopped(String),
    /// It had been stopped on an earlier row.
    Skipped,
}

thread_local! {
    /// The sandbox of this (rayon) thread, started on first use.
    static SANDBOX: RefCell<Option<Sandbox>> = const { RefCell::new(None) };
}

impl Ledger {
    /// A ledger for `rules` rules under `budget`.
    pub fn new(budget: Budget, rules: usize) -> Ledger {
        Ledger {
            budget,
            spent: (0..rules).map(|_| AtomicU64::new(0)).collect(),
            stopped: (0..rules).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Runs the rules `wanted` (indices into `tasks`) on `row`, each under the budget, on this
    /// thread's sandbox; one verdict per wanted rule, in order.
    pub fn run_row(&self, row: &Arc<Value>, tasks: &[Task], wanted: &[usize]) -> Vec<Verdict> {
        let mut verdicts = Vec::with_capacity(wanted.len());
        while let Some(rest) = wanted.get(verdicts.len()..).filter(|r| !r.is_empty()) {
            let batch: Vec<usize> = (rest.iter().copied())
                .take_while(|&r| !self.stopped[r].load(Ordering::Relaxed))
                .collect();
            if batch.is_empty() {
                verdicts.push(Verdict::Skipped);
                continue;
            }
            let job = Job {
                row: Arc::clone(row),
                tasks: batch.iter().map(|&r| tasks[r].clone()).collect(),
                outputs: self.budget.outputs,
                memory: self.budget.memory,
            };
            verdicts.extend(self.wait(job, &batch));
        }
        verdicts
    }

    /// Sends `job` (the rules `batch`) to this thread's sandbox and collects each rule's
    /// verdict, up to the first rule stopped by its budget (its sandbox is then abandoned).
    fn wait(&self, job: Job, batch: &[usize]) -> Vec<Verdict> {
        SANDBOX.with_borrow_mut(|slot| {
            let sent = match slot.take() {
                Some(sandbox) => Ok(sandbox),
                None => Sandbox::start(),
            }
            .and_then(|sandbox| {
                let sent = sandbox.jobs.send(job);
                sent.map_err(|_| anyhow!("its thread ended"))
                    .map(|()| sandbox)
            });
            let sandbox = match sent {
                Ok(sandbox) => sandbox,
                Err(e) => {
                    let why = format!("cannot run it in a rule sandbox thread: {e}");
                    return batch
                        .iter()
                        .map(|_| Verdict::Ran(Err(why.clone())))
                        .collect();
                }
            };
            let mut verdicts = Vec::new();
            for &rule in batch {
                let verdict = self.receive(&sandbox, rule);
                let stopped = matches!(verdict, Verdict::Stopped(_));
                verdicts.push(verdict);
                if stopped {
                    sandbox.progress.cancelled.store(true, Ordering::SeqCst);
                    return verdicts;
                }
            }
            *slot = Some(sandbox);
            verdicts
        })
    }

    /// Waits for rule `rule`'s outputs, within its time left; a stop is recorded in the ledger.
    fn receive(&self, sandbox: &Sandbox, rule: usize) -> Verdict {
        let started = Instant::now();
        let spent = Duration::from_nanos(self.spent[rule].load(Ordering::Relaxed));
        let left = self.budget.total.saturating_sub(spent);
        let deadline = started + self.budget.time.min(left);
        let reason = loop {
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(20));
            match sandbox.results.recv_timeout(slice) {
                Ok(outputs) => {
                    let nanos = started.elapsed().as_nanos().min(u64::MAX as u128) as u64;
                    self.spent[rule].fetch_add(nanos, Ordering::Relaxed);
                    return Verdict::Ran(outputs);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    break "its sandbox thread ended".to_string();
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            match sandbox.progress.stopped.load(Ordering::SeqCst) {
                OVER_MEMORY => {
                    break format!("it allocated more than {} bytes", self.budget.memory);
                }
                OVER_STACK => break "it recursed deeper than its stack budget".to_string(),
                _ if Instant::now() >= deadline && self.budget.time <= left => {
                    break format!("it ran longer than {:?} on one row", self.budget.time);
                }
                _ if Instant::now() >= deadline => {
                    break format!("it ran longer than {:?} in total", self.budget.total);
                }
                _ => {}
            }
        };
        self.stopped[rule].store(true, Ordering::Relaxed);
        Verdict::Stopped(format!("budget exceeded: {reason}; the rule was stopped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_range_ends_instead_of_spinning_on() {
        let sandbox = Sandbox::start().unwrap();
        let task = Task {
            filter: Arc::new(jq::compile("last(range(1e15))", 0).unwrap()),
            globals: Arc::from([Value::Null]),
        };
        let job = Job {
            row: Arc::new(Value::Null),
            tasks: vec![task],
            outputs: 1,
            memory: usize::MAX,
        };
        sandbox.jobs.send(job).unwrap();
        let spinning = sandbox.results.recv_timeout(Duration::from_millis(300));
        assert!(spinning.is_err(), "it is still running: {spinning:?}");
        sandbox.progress.cancelled.store(true, Ordering::SeqCst);
        let ended = sandbox.results.recv_timeout(Duration::from_secs(20));
        let why = ended.expect("it ends once abandoned").unwrap_err();
        assert!(why.contains("the evaluation was abandoned"), "{why}");
    }
}
