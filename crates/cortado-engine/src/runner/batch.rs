//! A group run as batch jobs: the job plan (or, when continuing, the plan
//! of the interrupted run), the jobs on Slurm or HTCondor, and the merge of
//! their checkpoints in work-list order.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::group::Context;
use super::setup::Group;
use super::Executor;
use crate::batch::jobs::{self, JobPlan, JobSettings, PlannedChunk};
use crate::batch::{condor, slurm};
use crate::checkpoint::{self, Checkpoints, Mode};
use crate::local::{execute_scope, Executed, NoProgress, Scope};
use crate::output::write_atomic;
use crate::run::{Chunk, Failure};

/// The job plan: the interrupted run's when continuing one (it must have
/// the same fingerprint), else a new one.
fn job_plan(work: &[Chunk], names: &[String], ctx: &Context<'_>) -> Result<JobPlan, String> {
    let (req, out) = (ctx.req, &ctx.req.outdir);
    if ctx.continuing {
        match JobPlan::load(out) {
            Ok(plan) if plan.fingerprint == ctx.fp => return Ok(plan),
            Ok(_) => {
                return Err(format!(
                    "--resume: the configuration, parameters or options differ from those of \
                     the jobs in {}; run with --overwrite to start again",
                    out.display()
                ))
            }
            Err(_) => ctx.log.line(&format!(
                "--resume: no batch run was started in {}: starting afresh",
                out.display()
            )),
        }
    }
    let _ = std::fs::remove_dir_all(out.join(jobs::DIR));
    let n_jobs = req.scaleout.or(ctx.file_opts.scaleout).unwrap_or(10);
    let plan = JobPlan {
        fingerprint: ctx.fp.to_string(),
        config: req.config.clone(),
        workdir: std::env::current_dir().map_err(|e| e.to_string())?,
        filters: req.filters.clone(),
        settings: JobSettings {
            chunksize: ctx.opts.chunksize,
            limit_files: ctx.opts.limit_files,
            limit_chunks: ctx.opts.limit_chunks,
            retries: ctx.opts.retries,
            skip_bad_files: ctx.opts.skip_bad_files,
            threads: ctx.file_opts.cores_per_worker.unwrap_or(1),
        },
        chunks: work
            .iter()
            .map(|c| PlannedChunk::of(c, &names[c.plan]))
            .collect(),
        jobs: jobs::split(work, n_jobs, ctx.file_opts.max_events_per_job),
    };
    plan.save(out)?;
    Ok(plan)
}

/// The jobs' name: the run option, or `cortado-<folder>-<config>`.
fn job_name(ctx: &Context<'_>) -> String {
    let cfg = &ctx.req.config;
    ctx.file_opts.job_name.clone().unwrap_or_else(|| {
        let name = |p: Option<&std::ffi::OsStr>| {
            p.map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        format!(
            "cortado-{}-{}",
            name(cfg.parent().and_then(|d| d.file_name())),
            name(cfg.file_stem())
        )
    })
}

/// Runs the plan on Slurm (or, dry, writes and shows the script).
fn on_slurm(plan: &JobPlan, ctx: &Context<'_>) -> Result<Option<slurm::Outcome>, String> {
    let (req, fo, out) = (ctx.req, ctx.file_opts, &ctx.req.outdir);
    let binary = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let settings = slurm::SlurmSettings {
        job_name: job_name(ctx),
        partition: req
            .queue
            .clone()
            .or(fo.slurm.partition.clone())
            .or(fo.queue.clone()),
        account: fo.slurm.account.clone(),
        walltime: fo.walltime.clone(),
        mem_mb: fo
            .mem_per_worker
            .as_deref()
            .and_then(cortado_config::run_options::memory_mb),
        cpus: plan.settings.threads,
        scheduler_options: fo.slurm.scheduler_options.clone(),
        max_retries: fo.max_retries.unwrap_or(3),
    };
    if req.dry_run {
        let script = slurm::job_script(&binary, out, &plan.workdir, &settings);
        let path = out.join(jobs::DIR).join("job.sh");
        write_atomic(&path, script.as_bytes())?;
        ctx.log.ui.script(&format!(
            "# {} ({} jobs: sbatch --array=0-{} {})\n{script}",
            path.display(),
            plan.jobs.len(),
            plan.jobs.len().saturating_sub(1),
            path.display()
        ));
        return Ok(None);
    }
    let last = Mutex::new(Instant::now() - Duration::from_secs(60));
    let on_poll = |done: usize, all: usize, what: &str| {
        if let Ok(mut l) = last.lock() {
            if what.starts_with("submitted") || l.elapsed().as_secs() >= 5 || done == all {
                *l = Instant::now();
                ctx.log
                    .line(&format!("  jobs finished {done}/{all}: {what}"));
            }
        }
    };
    let poll = Duration::from_millis(500);
    slurm::run(plan, out, &binary, &settings, poll, &on_poll).map(Some)
}

/// Writes the HTCondor submission and submits it when `condor_submit` is
/// here; the outcome once every job has finished (on a later `--resume`).
fn on_condor(plan: &JobPlan, ctx: &Context<'_>) -> Result<Option<slurm::Outcome>, String> {
    let (req, fo, out) = (ctx.req, ctx.file_opts, &ctx.req.outdir);
    let binary = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let settings = condor::CondorSettings {
        job_name: job_name(ctx),
        cpus: plan.settings.threads,
        mem_mb: fo
            .mem_per_worker
            .as_deref()
            .and_then(cortado_config::run_options::memory_mb),
        max_runtime_s: fo.walltime.as_deref().and_then(condor::walltime_seconds),
        flavour: req.queue.clone().or(fo.queue.clone()),
        max_retries: fo.max_retries.unwrap_or(3),
    };
    let dir = out.join(jobs::DIR);
    let sub = condor::submit_description(out, plan.jobs.len(), &settings);
    write_atomic(&dir.join("condor.sub"), sub.as_bytes())?;
    let wrapper = dir.join("condor_job.sh");
    write_atomic(
        &wrapper,
        condor::wrapper(&binary, out, &plan.workdir).as_bytes(),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", wrapper.display()))?;
    }
    if req.dry_run {
        ctx.log
            .ui
            .script(&format!("# {}\n{sub}", dir.join("condor.sub").display()));
        return Ok(None);
    }
    let done: Vec<usize> = (0..plan.jobs.len())
        .filter(|&j| jobs::done(out, j).is_some())
        .collect();
    if ctx.continuing && done.len() == plan.jobs.len() {
        return Ok(Some(slurm::Outcome {
            done: done
                .iter()
                .filter_map(|&j| jobs::done(out, j).map(|d| (j, d)))
                .collect(),
            ..Default::default()
        }));
    }
    let submitted = !ctx.continuing
        && std::process::Command::new("condor_submit")
            .arg(dir.join("condor.sub"))
            .status()
            .is_ok_and(|s| s.success());
    ctx.log.line(&format!(
        "{}; {} of {} jobs have finished. When they all have, run the same command with \
         --resume to merge their outputs.",
        if submitted {
            "submitted to HTCondor".to_string()
        } else if ctx.continuing {
            "HTCondor jobs still running".to_string()
        } else {
            format!(
                "condor_submit is not available here: submit {} from an HTCondor machine \
                 sharing this folder",
                dir.join("condor.sub").display()
            )
        },
        done.len(),
        plan.jobs.len()
    ));
    Ok(None)
}

/// A group run as batch jobs, merged. `None` when nothing is left to merge
/// now (a dry run; HTCondor jobs submitted, to be merged with `--resume`).
pub(super) fn run_batch(
    g: &Group,
    work: &[Chunk],
    names: &[String],
    ctx: &Context<'_>,
) -> Result<Option<(Executed, Checkpoints)>, String> {
    let t0 = Instant::now();
    let plan = job_plan(work, names, ctx)?;
    let attach = ctx.continuing
        && ctx
            .req
            .outdir
            .join(checkpoint::DIR)
            .join("work.json")
            .exists();
    let mode = if attach { Mode::Attach } else { Mode::Fresh };
    let ck_dir = ctx.req.outdir.join(checkpoint::DIR);
    let ck = Checkpoints::open(&ck_dir, ctx.fp, work, names, mode)?;
    ctx.log.line(&format!(
        "{} chunks in {} jobs of {} core(s) ({})",
        work.len(),
        plan.jobs.len(),
        plan.settings.threads,
        ctx.req.executor.name()
    ));
    let outcome = match ctx.req.executor {
        Executor::Slurm => on_slurm(&plan, ctx)?,
        _ => on_condor(&plan, ctx)?,
    };
    let Some(outcome) = outcome else {
        return Ok(None);
    };
    if !outcome.failed.is_empty() {
        return Err(format!(
            "{} of {} jobs failed:\n  {}\nthe finished chunks are kept: fix the problem and rerun \
             with --resume to run only what is missing{}",
            outcome.failed.len(),
            plan.jobs.len(),
            outcome
                .failed
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  "),
            if ctx.opts.skip_bad_files {
                ""
            } else {
                " (or use --skip-bad-files)"
            }
        ));
    }
    if outcome.resubmitted > 0 {
        ctx.log.line(&format!(
            "{} job(s) were submitted again after failing",
            outcome.resubmitted
        ));
    }
    let skipped: std::collections::BTreeMap<usize, Failure> = outcome
        .done
        .values()
        .flat_map(|d| d.failures.iter().cloned())
        .collect();
    let scope = Scope {
        only: None,
        skipped,
    };
    let wf = ctx.ext.workflow.as_ref();
    let mut merged = execute_scope(&g.plans, work, wf, ctx.opts, Some(&ck), &NoProgress, &scope)?;
    merged.stats.events = outcome.done.values().map(|d| d.events).sum();
    merged.stats.seconds = t0.elapsed().as_secs_f64();
    merged.stats.chunks = work.len();
    merged.stats.chunks_resumed = 0;
    merged.stats.events_resumed = 0;
    Ok(Some((merged, ck)))
}
