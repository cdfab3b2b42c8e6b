//! Running rules on rows under the budget ([`super::budget`] says how it holds): a rayon thread
//! hands a chunk of rows to its sandbox thread and waits, watching the evaluation in progress,
//! while the sandbox thread evaluates each wanted rule on each row, metered. One message per
//! chunk crosses the threads (not one per row and rule), so a large table does not pay two
//! thread switches for every row; the deadlines are watched from what the sandbox publishes.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use jaq_json::Val;
use serde_json::Value;

use super::budget::{self, Budget, OVER_MEMORY, OVER_STACK, Progress};
use super::{jq, row_val};
use crate::tables::row::RowCells;

/// One rule to evaluate on a row.
#[derive(Clone)]
pub struct Task {
    /// The rule's compiled query.
    pub filter: Arc<jq::Filter>,
    /// The values of its global variables, in the order it was compiled with (a rule's
    /// `$params`; a fix's `$params`, `$finding` and `$lookup`).
    pub globals: Arc<[Value]>,
    /// The row keys the rule reads, in name order (none: the whole row): the rule is handed
    /// only those.
    pub reads: Option<Arc<[String]>>,
}

/// A row for the sandbox to convert into the value the queries see.
pub enum Row {
    /// A row as JSON.
    Json(Arc<Value>),
    /// A row read from its columns (only the keys its rules read).
    Cells(RowCells),
}

impl Row {
    /// The row as a jq value.
    fn val(&self) -> Result<Val> {
        match self {
            Row::Json(value) => jq::to_val(value),
            Row::Cells(cells) => row_val::row_val(cells),
        }
    }
}

/// A row and the rules to run on it (indices into the ledger's tasks, in order).
pub struct RowRules {
    /// The row, with at least the keys its rules read.
    pub row: Row,
    /// The rules that want it.
    pub wanted: Vec<usize>,
}

/// What one rule emitted on a row, or why it failed (its own error, not a budget's).
type Outputs = Result<Vec<Value>, String>;

/// What became of one rule on one row.
pub enum Verdict {
    /// It ran: what it emitted, or its own error.
    Ran(Outputs),
    /// It was stopped by its budget (the reason); it does not run again.
    Stopped(String),
    /// It had been stopped on an earlier row.
    Skipped,
}

/// The tasks of one table's rules, what each has spent of the budget and whether it was
/// stopped: shared by the waiting threads and the sandboxes.
struct Shared {
    budget: Budget,
    tasks: Vec<Task>,
    /// Nanoseconds each rule has run, over all rows.
    spent: Vec<AtomicU64>,
    stopped: Vec<AtomicBool>,
}

/// Time spent by each rule of a run, and the rules stopped for good.
pub struct Ledger(Arc<Shared>);

/// Rows and the evaluations to make on them: `(row, rule)`, grouped by row, in order.
struct Job {
    rows: Arc<Vec<Row>>,
    evaluations: Vec<(usize, usize)>,
    shared: Arc<Shared>,
    /// Global variables for every evaluation, in place of its task's (a fix's `$finding` and
    /// `$lookup` differ per finding).
    globals: Option<Arc<[Value]>>,
}

/// What a sandbox publishes while it works through a job.
#[derive(Default)]
struct Watch {
    /// 1 + the index in the job of the evaluation running; 0 between evaluations.
    current: AtomicUsize,
    /// When it started, in nanoseconds since [`epoch`].
    since: AtomicU64,
    /// The verdicts so far (`Ran` or `Skipped`), in the job's order.
    verdicts: Mutex<Vec<Verdict>>,
}

/// A sandbox thread: it runs jobs one after another, metered.
struct Sandbox {
    jobs: Sender<Job>,
    /// One message per finished job.
    done: Receiver<()>,
    progress: Arc<Progress>,
    watch: Arc<Watch>,
}

thread_local! {
    /// The sandbox of this (rayon) thread, started on first use.
    static SANDBOX: RefCell<Option<Sandbox>> = const { RefCell::new(None) };
}

/// The instant the sandboxes' clocks count from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since [`epoch`].
fn nanos_since_epoch() -> u64 {
    epoch().elapsed().as_nanos().min(u64::MAX as u128) as u64
}

impl Sandbox {
    /// Starts a sandbox thread.
    fn start() -> Result<Sandbox> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let watch = Arc::new(Watch::default());
        let (shared_progress, shared_watch) = (Arc::clone(&progress), Arc::clone(&watch));
        epoch();
        std::thread::Builder::new()
            .name("rule sandbox".into())
            .stack_size(budget::STACK_SIZE)
            .spawn(move || serve(&shared_progress, &shared_watch, &job_rx, &done_tx))?;
        Ok(Sandbox {
            jobs,
            done,
            progress,
            watch,
        })
    }
}

/// The sandbox thread's loop: each evaluation of each job, metered, its verdict published.
fn serve(progress: &Arc<Progress>, watch: &Watch, jobs: &Receiver<Job>, done: &Sender<()>) {
    budget::enter_sandbox(progress);
    let mut globals_of = Globals::default();
    for job in jobs {
        // A row is converted once for all its rules (its size is the evidence's, not a rule's).
        let mut input: Option<(usize, Result<Val, String>)> = None;
        for (k, &(row, rule)) in job.evaluations.iter().enumerate() {
            let shared = &job.shared;
            let verdict = if shared.stopped[rule].load(Ordering::Relaxed) {
                Verdict::Skipped
            } else {
                if input
                    .as_ref()
                    .is_none_or(|(converted, _)| *converted != row)
                {
                    let converted = job.rows[row].val().map_err(|e| format!("{e:#}"));
                    input = Some((row, converted));
                }
                watch.since.store(nanos_since_epoch(), Ordering::SeqCst);
                watch.current.store(k + 1, Ordering::SeqCst);
                let started = Instant::now();
                let task = &shared.tasks[rule];
                let globals = job.globals.as_ref().unwrap_or(&task.globals);
                let outputs = match (input.as_ref().map(|(_, v)| v), globals_of.of(globals)) {
                    (Some(Ok(input)), Ok(globals)) => match &task.reads {
                        Some(keys) => {
                            let input = row_val::project(input, keys);
                            evaluate(&shared.budget, task, &input, globals)
                        }
                        None => evaluate(&shared.budget, task, input, globals),
                    },
                    (Some(Err(e)), _) | (_, Err(e)) => Err(e.clone()),
                    (None, _) => Err("the row was not converted".to_string()),
                };
                let nanos = started.elapsed().as_nanos().min(u64::MAX as u128) as u64;
                shared.spent[rule].fetch_add(nanos, Ordering::Relaxed);
                Verdict::Ran(outputs)
            };
            let mut verdicts = watch
                .verdicts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            verdicts.push(verdict);
        }
        watch.current.store(0, Ordering::SeqCst);
        if done.send(()).is_err() {
            return;
        }
    }
}

/// Each task's global variables as jaq values, converted once per sandbox thread rather than
/// once per row: a rule's tasks share one `Arc` (held here, so its address is never reused).
#[derive(Default)]
struct Globals(Vec<(Arc<[Value]>, Converted)>);

/// A task's global variables as jaq values, or why they could not be converted.
type Converted = Result<Vec<Val>, String>;

impl Globals {
    /// How many tasks' variables are kept before the oldest are dropped.
    const KEPT: usize = 64;

    /// `globals` as jaq values.
    fn of(&mut self, globals: &Arc<[Value]>) -> &Converted {
        let at = match self.0.iter().position(|(g, _)| Arc::ptr_eq(g, globals)) {
            Some(at) => at,
            None => {
                if self.0.len() >= Self::KEPT {
                    self.0.clear();
                }
                let converted = (globals.iter().map(jq::to_val))
                    .collect::<Result<Vec<_>>>()
                    .map_err(|e| format!("{e:#}"));
                self.0.push((Arc::clone(globals), converted));
                self.0.len() - 1
            }
        };
        &self.0[at].1
    }
}

/// One rule on one row (`input`, with its global variables `globals`), metered to its last
/// output.
fn evaluate(budget: &Budget, task: &Task, input: &Val, globals: &[Val]) -> Outputs {
    let outputs = budget::metered(budget.memory, || {
        let limit = budget.outputs + 1;
        let outputs = jq::run_at_most(&task.filter, input.clone(), globals, limit)?;
        if outputs.len() > budget.outputs {
            bail!(
                "budget exceeded: it emitted more than {} outputs",
                budget.outputs
            );
        }
        outputs.iter().map(jq::from_val).collect::<Result<Vec<_>>>()
    });
    outputs.map_err(|e| format!("{e:#}"))
}

impl Ledger {
    /// A ledger for the rules `tasks` under `budget`.
    pub fn new(budget: Budget, tasks: Vec<Task>) -> Ledger {
        let rules = tasks.len();
        Ledger(Arc::new(Shared {
            budget,
            tasks,
            spent: (0..rules).map(|_| AtomicU64::new(0)).collect(),
            stopped: (0..rules).map(|_| AtomicBool::new(false)).collect(),
        }))
    }

    /// Runs each row's wanted rules on it, each under the budget, on this thread's sandbox;
    /// one verdict per wanted rule of each row, in order.
    pub fn run_rows(&self, rows: Vec<RowRules>) -> Vec<Vec<Verdict>> {
        let evaluations: Vec<(usize, usize)> = (rows.iter().enumerate())
            .flat_map(|(i, r)| r.wanted.iter().map(move |&rule| (i, rule)))
            .collect();
        let wanted: Vec<usize> = rows.iter().map(|r| r.wanted.len()).collect();
        let rows = Arc::new(rows.into_iter().map(|r| r.row).collect());
        let mut verdicts = Vec::with_capacity(evaluations.len());
        while verdicts.len() < evaluations.len() {
            let job = Job {
                rows: Arc::clone(&rows),
                evaluations: evaluations[verdicts.len()..].to_vec(),
                shared: Arc::clone(&self.0),
                globals: None,
            };
            verdicts.extend(self.send(job));
        }
        let mut verdicts = verdicts.into_iter();
        (wanted.into_iter())
            .map(|n| verdicts.by_ref().take(n).collect())
            .collect()
    }

    /// Runs the rule in slot `rule` on `row` under the budget, with `globals` in place of its
    /// task's when given (a fix's variables differ per finding): its verdict.
    pub fn run_one(&self, row: Arc<Value>, rule: usize, globals: Option<Arc<[Value]>>) -> Verdict {
        let job = Job {
            rows: Arc::new(vec![Row::Json(row)]),
            evaluations: vec![(0, rule)],
            shared: Arc::clone(&self.0),
            globals,
        };
        (self.send(job).into_iter().next()).unwrap_or(Verdict::Skipped)
    }

    /// Sends `job` to this thread's sandbox and waits for its verdicts, up to the first
    /// evaluation stopped by its budget (its sandbox is then abandoned, and the rest of the job
    /// is for the caller to send again).
    fn send(&self, job: Job) -> Vec<Verdict> {
        SANDBOX.with_borrow_mut(|slot| {
            let evaluations = job.evaluations.clone();
            let sandbox = match slot.take().map_or_else(Sandbox::start, Ok) {
                Ok(sandbox) => sandbox.jobs.send(job).map(|()| sandbox).ok(),
                Err(_) => None,
            };
            let Some(sandbox) = sandbox else {
                let why = "cannot run it in a rule sandbox thread".to_string();
                return (evaluations.iter())
                    .map(|_| Verdict::Ran(Err(why.clone())))
                    .collect();
            };
            let (verdicts, finished) = self.watch(&sandbox, &evaluations);
            if finished {
                *slot = Some(sandbox);
            } else {
                sandbox.progress.cancelled.store(true, Ordering::SeqCst);
            }
            verdicts
        })
    }

    /// Waits for `sandbox` to finish its job (`evaluations`), checking every 20 ms the budget of
    /// the evaluation in progress: every verdict and `true`, or the verdicts up to the one
    /// stopped (recorded in the ledger) and `false`.
    fn watch(&self, sandbox: &Sandbox, evaluations: &[(usize, usize)]) -> (Vec<Verdict>, bool) {
        let published = || {
            let mut verdicts =
                (sandbox.watch.verdicts.lock()).unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *verdicts)
        };
        let (mut verdicts, k, reason) = loop {
            match sandbox.done.recv_timeout(Duration::from_millis(20)) {
                Ok(()) => return (published(), true),
                Err(RecvTimeoutError::Disconnected) => {
                    let verdicts = published();
                    let k = verdicts.len();
                    break (verdicts, k, "its sandbox thread ended".to_string());
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some((k, reason)) = self.over_budget(sandbox, evaluations) {
                        break (published(), k, reason);
                    }
                }
            }
        };
        verdicts.truncate(k);
        if let Some(&(_, rule)) = evaluations.get(k) {
            self.0.stopped[rule].store(true, Ordering::Relaxed);
            let why = format!("budget exceeded: {reason}; the rule was stopped");
            verdicts.push(Verdict::Stopped(why));
        }
        (verdicts, false)
    }

    /// The evaluation of `evaluations` that `sandbox` is running, and why it is to be stopped,
    /// when it is over its budget.
    fn over_budget(
        &self,
        sandbox: &Sandbox,
        evaluations: &[(usize, usize)],
    ) -> Option<(usize, String)> {
        let watch = &sandbox.watch;
        let current = watch.current.load(Ordering::SeqCst);
        let since = watch.since.load(Ordering::SeqCst);
        if current == 0 || watch.current.load(Ordering::SeqCst) != current {
            return None;
        }
        let (k, budget) = (current - 1, &self.0.budget);
        let rule = evaluations[k].1;
        let running = Duration::from_nanos(nanos_since_epoch().saturating_sub(since));
        let spent = Duration::from_nanos(self.0.spent[rule].load(Ordering::Relaxed));
        let left = budget.total.saturating_sub(spent);
        let reason = match sandbox.progress.stopped.load(Ordering::SeqCst) {
            OVER_MEMORY => format!("it allocated more than {} bytes", budget.memory),
            OVER_STACK => "it recursed deeper than its stack budget".to_string(),
            _ if running >= budget.time && budget.time <= left => {
                format!("it ran longer than {:?} on one row", budget.time)
            }
            _ if running >= left => format!("it ran longer than {:?} in total", budget.total),
            _ => return None,
        };
        Some((k, reason))
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
            reads: None,
        };
        let ledger = Ledger::new(Budget::default(), vec![task]);
        let job = Job {
            rows: Arc::new(vec![Row::Json(Arc::new(Value::Null))]),
            evaluations: vec![(0, 0)],
            shared: Arc::clone(&ledger.0),
            globals: None,
        };
        sandbox.jobs.send(job).unwrap();
        let spinning = sandbox.done.recv_timeout(Duration::from_millis(300));
        assert!(spinning.is_err(), "it is still running: {spinning:?}");
        sandbox.progress.cancelled.store(true, Ordering::SeqCst);
        let ended = sandbox.done.recv_timeout(Duration::from_secs(20));
        ended.expect("it ends once abandoned");
        let verdicts = std::mem::take(&mut *sandbox.watch.verdicts.lock().unwrap());
        match verdicts.as_slice() {
            [Verdict::Ran(Err(why))] => assert!(why.contains("was abandoned"), "{why}"),
            _ => panic!("one failed evaluation expected"),
        }
    }
}
