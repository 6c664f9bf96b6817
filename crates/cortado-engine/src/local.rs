//! Local execution: the chunks of the work list processed on the threads of
//! this process (or one after the other), each checkpointed when it ends,
//! and merged in work-list order — so the output is the same for any thread
//! count and order of completion, and an interrupted run can be resumed.
//!
//! Memory stays bounded: a finished chunk waits in memory for its turn to be
//! merged only while few others wait; beyond that it is read back from its
//! checkpoint when its turn comes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use crate::checkpoint::Checkpoints;
use crate::ext::Workflow;
use crate::output::Output;
use crate::plan::DatasetPlan;
use crate::run::{run_chunk, with_retries, Chunk, ChunkError, Failure, RunOptions, RunStats};

/// Receives the progress of a run (called from worker threads).
pub trait Progress: Sync {
    /// The run starts: per dataset, its events to process in all and those
    /// already done (resumed from checkpoints).
    fn start(&self, _datasets: &[(String, u64, u64)]) {}
    /// A chunk of `dataset` with `events` events is done.
    fn advance(&self, _dataset: &str, _events: u64) {}
    /// The event loop ended.
    fn finish(&self) {}
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {}

/// The result of executing a work list.
#[derive(Debug)]
pub struct Executed {
    /// The merged output (not yet normalised).
    pub output: Output,
    /// Chunks that failed and were skipped (`skip_bad_files`).
    pub failures: Vec<Failure>,
    /// Counts and times.
    pub stats: RunStats,
}

enum Slot {
    Waiting,
    Ready(Box<Output>),
    OnDisk,
    Skipped,
}

/// Merges chunk outputs in work-list order.
struct Merger<'a> {
    next: usize,
    slots: Vec<Slot>,
    waiting_in_memory: usize,
    max_in_memory: usize,
    merged: Output,
    checkpoints: Option<&'a Checkpoints>,
}

impl Merger<'_> {
    fn put(&mut self, i: usize, out: Option<Output>) -> Result<(), String> {
        self.slots[i] = match out {
            None => Slot::Skipped,
            Some(_)
                if self.checkpoints.is_some() && self.waiting_in_memory >= self.max_in_memory =>
            {
                Slot::OnDisk
            }
            Some(o) => {
                self.waiting_in_memory += 1;
                Slot::Ready(Box::new(o))
            }
        };
        self.drain()
    }

    fn drain(&mut self) -> Result<(), String> {
        while self.next < self.slots.len() {
            match std::mem::replace(&mut self.slots[self.next], Slot::Skipped) {
                Slot::Waiting => {
                    self.slots[self.next] = Slot::Waiting;
                    break;
                }
                Slot::Ready(o) => {
                    self.waiting_in_memory -= 1;
                    self.merged.merge(&o)?;
                }
                Slot::OnDisk => {
                    let c = self
                        .checkpoints
                        .ok_or("internal error: a chunk on disk without checkpoints")?;
                    self.merged.merge(&c.load(self.next)?)?;
                }
                Slot::Skipped => {}
            }
            self.next += 1;
        }
        Ok(())
    }
}

fn poisoned() -> String {
    "internal error: a worker thread panicked".to_string()
}

/// Which chunks of the work list an [`execute`] call handles.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Only these chunks, checkpointed and not merged (a batch job's share;
    /// needs checkpoints). `None`: every chunk, merged into the output.
    pub only: Option<Vec<usize>>,
    /// Chunks that failed elsewhere (in a batch job) with `skip_bad_files`:
    /// not processed, reported among the failures.
    pub skipped: BTreeMap<usize, Failure>,
}

impl Scope {
    /// Every chunk, merged.
    pub fn all() -> Scope {
        Scope::default()
    }
}

/// Processes `work` (chunks of `plans`) with the hooks of `wf`; finished
/// chunks are checkpointed in `checkpoints`, and those it already holds are
/// not processed again.
pub fn execute(
    plans: &[DatasetPlan],
    work: &[Chunk],
    wf: &dyn Workflow,
    opts: &RunOptions,
    checkpoints: Option<&Checkpoints>,
    progress: &dyn Progress,
) -> Result<Executed, String> {
    execute_scope(plans, work, wf, opts, checkpoints, progress, &Scope::all())
}

/// [`execute`] for a [`Scope`] of the work list.
pub fn execute_scope(
    plans: &[DatasetPlan],
    work: &[Chunk],
    wf: &dyn Workflow,
    opts: &RunOptions,
    checkpoints: Option<&Checkpoints>,
    progress: &dyn Progress,
    scope: &Scope,
) -> Result<Executed, String> {
    let t0 = Instant::now();
    if scope.only.is_some() && checkpoints.is_none() {
        return Err("internal error: a partial execution needs checkpoints".into());
    }
    let in_scope = |i: usize| scope.only.as_ref().is_none_or(|o| o.contains(&i));
    let finished = checkpoints
        .map(|c| c.finished(work.len()))
        .unwrap_or_default();
    let mut totals: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    for (i, c) in work.iter().enumerate().filter(|(i, _)| in_scope(*i)) {
        let n = c.entries.end - c.entries.start;
        let e = totals.entry(c.plan).or_default();
        e.0 += n;
        if finished.contains(&i) {
            e.1 += n;
        }
    }
    progress.start(
        &totals
            .iter()
            .map(|(p, (all, done))| (plans[*p].dataset.name.clone(), *all, *done))
            .collect::<Vec<_>>(),
    );
    let threads = if opts.sequential {
        1
    } else {
        rayon::current_num_threads()
    };
    let merger = Mutex::new(Merger {
        next: 0,
        slots: (0..work.len())
            .map(|i| {
                if finished.contains(&i) {
                    Slot::OnDisk
                } else {
                    Slot::Waiting
                }
            })
            .collect(),
        waiting_in_memory: 0,
        max_in_memory: 4 * threads,
        merged: Output::new(),
        checkpoints,
    });
    let abort = AtomicBool::new(false);
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let failures: Mutex<Vec<Failure>> = Mutex::new(scope.skipped.values().cloned().collect());
    let merging = scope.only.is_none();
    let per_dataset: Mutex<BTreeMap<String, (u64, f64)>> = Mutex::new(BTreeMap::new());
    let fail = |msg: String| {
        abort.store(true, Ordering::SeqCst);
        if let Ok(mut e) = first_error.lock() {
            e.get_or_insert(msg);
        }
    };

    let one = |i: usize| {
        if abort.load(Ordering::SeqCst) {
            return;
        }
        let c = &work[i];
        let plan = &plans[c.plan];
        let n = c.entries.end - c.entries.start;
        let t = Instant::now();
        let (result, attempts) = with_retries(
            opts.retries,
            |e: &ChunkError| e.transient,
            || run_chunk(plan, c, wf, opts),
        );
        let result = result.map(|o| (o, t.elapsed().as_secs_f64()));
        let step = match result {
            Ok((mut o, secs)) => (|| -> Result<(), String> {
                if let Some(ck) = checkpoints {
                    ck.save(i, &mut o)?;
                }
                {
                    let mut pd = per_dataset.lock().map_err(|_| poisoned())?;
                    let e = pd.entry(plan.dataset.name.clone()).or_default();
                    e.0 += n;
                    e.1 += secs;
                }
                progress.advance(&plan.dataset.name, n);
                if !merging {
                    return Ok(());
                }
                merger.lock().map_err(|_| poisoned())?.put(i, Some(o))
            })(),
            Err(e) if opts.skip_bad_files => (|| -> Result<(), String> {
                failures.lock().map_err(|_| poisoned())?.push(Failure {
                    dataset: plan.dataset.name.clone(),
                    file: c.file.clone(),
                    entries: Some((c.entries.start, c.entries.end)),
                    error: e.message,
                    attempts,
                });
                progress.advance(&plan.dataset.name, n);
                if !merging {
                    return Ok(());
                }
                merger.lock().map_err(|_| poisoned())?.put(i, None)
            })(),
            Err(e) => Err(if attempts > 1 {
                format!("{} (after {attempts} attempts)", e.message)
            } else {
                e.message
            }),
        };
        if let Err(e) = step {
            fail(e);
        }
    };
    let todo: Vec<usize> = (0..work.len())
        .filter(|&i| in_scope(i) && !finished.contains(&i) && !scope.skipped.contains_key(&i))
        .collect();
    if merging {
        // Chunks taken from checkpoints at the head of the list merge now.
        merger.lock().map_err(|_| poisoned())?.drain()?;
    }
    if opts.sequential {
        todo.iter().for_each(|&i| one(i));
    } else {
        todo.par_iter().for_each(|&i| one(i));
    }
    progress.finish();
    if let Some(e) = first_error.into_inner().map_err(|_| poisoned())? {
        let done = checkpoints
            .map(|c| c.finished(work.len()).len())
            .unwrap_or(0);
        return Err(match checkpoints {
            Some(_) => format!(
                "{e}\n{done} of {} chunks are finished and checkpointed: fix the problem and rerun \
                 with --resume to process only the rest (or use --skip-bad-files)",
                work.len()
            ),
            None => e,
        });
    }
    let mut m = merger.into_inner().map_err(|_| poisoned())?;
    if merging {
        m.drain()?;
        if m.next != work.len() {
            return Err("internal error: not every chunk was merged".into());
        }
    }
    let mut failures = failures.into_inner().map_err(|_| poisoned())?;
    failures
        .sort_by(|a, b| (&a.dataset, &a.file, a.entries).cmp(&(&b.dataset, &b.file, b.entries)));
    let per_dataset = per_dataset.into_inner().map_err(|_| poisoned())?;
    let out = m.merged;
    let stats = RunStats {
        events: per_dataset.values().map(|v| v.0).sum(),
        chunks: todo.len(),
        chunks_resumed: finished.iter().filter(|&&i| in_scope(i)).count(),
        events_resumed: finished
            .iter()
            .filter(|&&i| in_scope(i))
            .map(|&i| work[i].entries.end - work[i].entries.start)
            .sum(),
        seconds: t0.elapsed().as_secs_f64(),
        per_dataset,
        ..RunStats::of_output(&out)
    };
    Ok(Executed {
        output: out,
        failures,
        stats,
    })
}
