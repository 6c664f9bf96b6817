//! `cortado run-job` (hidden): one batch job of a run planned by `cortado run
//! -e slurm|condor`. It checks that the configuration is still the one the
//! jobs were planned with, processes its share of the chunks into the run's
//! checkpoints and leaves a marker (`jobs/job_N.done` or `.failed`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;
use cortado_engine::batch::jobs::{self, JobDone, JobPlan};
use cortado_engine::checkpoint::{self, Checkpoints, Mode};
use cortado_engine::ext::Extensions;
use cortado_engine::local::{execute_scope, NoProgress, Scope};
use cortado_engine::run::{plan_all, RunOptions};

use super::run::{filter_datasets, fingerprint};

/// Arguments of `cortado run-job`.
#[derive(Args, Debug)]
pub struct JobArgs {
    /// The run's output folder (holding jobs/plan.json).
    #[arg(long = "outputdir")]
    pub outputdir: PathBuf,
    /// The job's index in the plan.
    #[arg(long)]
    pub job: usize,
}

fn job(args: &JobArgs, plan: &JobPlan, ext: &Extensions) -> Result<JobDone> {
    let t0 = Instant::now();
    let Some(mine) = plan.jobs.get(args.job) else {
        bail!(
            "the plan has {} jobs, not {}",
            plan.jobs.len(),
            args.job + 1
        );
    };
    let s = &plan.settings;
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(s.threads.max(1))
        .build_global();
    let mut cfg = cortado_config::load(&plan.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    filter_datasets(&mut cfg, &plan.filters)?;
    let plans = plan_all(&cfg, ext).map_err(anyhow::Error::msg)?;
    let opts = RunOptions {
        chunksize: s.chunksize,
        limit_files: s.limit_files,
        limit_chunks: s.limit_chunks,
        sequential: s.threads <= 1,
        skip_bad_files: s.skip_bad_files,
        retries: s.retries,
        read_only: false,
    };
    if fingerprint(&cfg, &plans, &opts, ext) != plan.fingerprint {
        bail!(
            "the configuration, its parameters or this program changed since the jobs were \
             planned; rerun `cortado run` without --resume"
        );
    }
    let work = plan
        .work(&|d| plans.iter().position(|p| p.dataset.name == d))
        .map_err(anyhow::Error::msg)?;
    let names: Vec<String> = plans.iter().map(|p| p.dataset.name.clone()).collect();
    let ck = Checkpoints::open(
        &args.outputdir.join(checkpoint::DIR),
        &plan.fingerprint,
        &work,
        &names,
        Mode::Attach,
    )
    .map_err(anyhow::Error::msg)?;
    let scope = Scope {
        only: Some(mine.clone()),
        skipped: Default::default(),
    };
    let done = execute_scope(
        &plans,
        &work,
        ext.workflow.as_ref(),
        &opts,
        Some(&ck),
        &NoProgress,
        &scope,
    )
    .map_err(anyhow::Error::msg)?;
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

/// Runs the subcommand.
pub fn run(args: &JobArgs, ext: &Extensions) -> Result<()> {
    let plan = JobPlan::load(&args.outputdir).map_err(anyhow::Error::msg)?;
    eprintln!(
        "cortado {} job {} of {} ({})",
        env!("CARGO_PKG_VERSION"),
        args.job,
        plan.jobs.len(),
        args.outputdir.display()
    );
    match job(args, &plan, ext) {
        Ok(d) => {
            eprintln!("done: {} events in {:.1} s", d.events, d.seconds);
            jobs::mark_done(&args.outputdir, args.job, &d).map_err(anyhow::Error::msg)
        }
        Err(e) => {
            let _ = jobs::mark_failed(&args.outputdir, args.job, &format!("{e:#}"));
            Err(e)
        }
    }
}
