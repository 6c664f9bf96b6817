//! One batch job of a run planned by [`super::run`] with a batch executor
//! (`cortado run-job`): checks that the configuration is still the one the
//! jobs were planned with, processes its share of the chunks into the
//! run's checkpoints and leaves a marker (`jobs/job_N.done` or `.failed`).

use std::path::Path;
use std::time::Instant;

use super::setup::{filter_datasets, run_fingerprint};
use crate::batch::jobs::{self, JobDone, JobPlan};
use crate::checkpoint::{self, Checkpoints, Mode};
use crate::ext::Extensions;
use crate::local::{execute_scope, NoProgress, Scope};
use crate::run::{plan_all, RunOptions};

fn job(outdir: &Path, index: usize, plan: &JobPlan, ext: &Extensions) -> Result<JobDone, String> {
    let t0 = Instant::now();
    let Some(mine) = plan.jobs.get(index) else {
        return Err(format!(
            "the plan has {} jobs, not {}",
            plan.jobs.len(),
            index + 1
        ));
    };
    let s = &plan.settings;
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(s.threads.max(1))
        .build_global();
    let mut cfg = ext.load_config(&plan.config).map_err(|e| e.to_string())?;
    filter_datasets(&mut cfg, &plan.filters)?;
    let plans = plan_all(&cfg, ext)?;
    let opts = RunOptions {
        chunksize: s.chunksize,
        limit_files: s.limit_files,
        limit_chunks: s.limit_chunks,
        sequential: s.threads <= 1,
        skip_bad_files: s.skip_bad_files,
        retries: s.retries,
        read_only: false,
        cache: None,
    };
    if run_fingerprint(&cfg, &plans, &opts, ext) != plan.fingerprint {
        return Err(
            "the configuration, its parameters or this program changed since the jobs were \
             planned; rerun `cortado run` with --overwrite"
                .into(),
        );
    }
    let work = plan.work(&|d| plans.iter().position(|p| p.dataset.name == d))?;
    let names: Vec<String> = plans.iter().map(|p| p.dataset.name.clone()).collect();
    let ck_dir = outdir.join(checkpoint::DIR);
    let ck = Checkpoints::open(&ck_dir, &plan.fingerprint, &work, &names, Mode::Attach)?;
    let scope = Scope {
        only: Some(mine.clone()),
        skipped: Default::default(),
    };
    let wf = ext.workflow.as_ref();
    let done = execute_scope(&plans, &work, wf, &opts, Some(&ck), &NoProgress, &scope)?;
    let failures = done
        .failures
        .into_iter()
        .filter_map(|f| {
            let i = mine.iter().copied().find(|&i| {
                let c = &work[i];
                c.file == f.file && f.entries == Some((c.entries.start, c.entries.end))
            })?;
            Some((i, f))
        })
        .collect();
    Ok(JobDone {
        events: done.stats.events,
        seconds: t0.elapsed().as_secs_f64(),
        failures,
    })
}

/// Runs job `index` of the plan in `outdir` and leaves its marker.
pub fn run_job(outdir: &Path, index: usize, ext: &Extensions) -> Result<JobDone, String> {
    let plan = JobPlan::load(outdir)?;
    eprintln!(
        "cortado {} job {} of {} ({})",
        env!("CARGO_PKG_VERSION"),
        index,
        plan.jobs.len(),
        outdir.display()
    );
    match job(outdir, index, &plan, ext) {
        Ok(d) => {
            jobs::mark_done(outdir, index, &d)?;
            Ok(d)
        }
        Err(e) => {
            let _ = jobs::mark_failed(outdir, index, &e);
            Err(e)
        }
    }
}
