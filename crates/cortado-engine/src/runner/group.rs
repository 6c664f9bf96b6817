//! The groups of a run, each with its own output: processed locally with
//! checkpoints or as batch jobs, normalised, stamped with the run's
//! fingerprints and written; on `--resume`, groups that had finished are
//! kept as they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cortado_config::run_options::RunOptionsFile;
use cortado_config::AnalysisConfig;

use super::setup::{groups, Group};
use super::{Log, Outcome, RunReport, RunRequest};
use crate::checkpoint::{self, Checkpoints, Mode};
use crate::ext::Extensions;
use crate::local::execute;
use crate::output::provenance::AnalysisFingerprint;
use crate::output::{write_atomic, Output};
use crate::plan::DatasetPlan;
use crate::run::{finish_output, work_list, Failure, RunOptions, RunStats};

/// The result of one group.
#[derive(Debug)]
pub struct GroupResult {
    /// The group's name.
    pub name: String,
    /// Counts and times of this run's work on it.
    pub stats: RunStats,
    /// Its skipped files and chunks.
    pub failures: Vec<Failure>,
    /// Its output file (none for `read_only`).
    pub path: Option<PathBuf>,
    /// The group had finished before (`--resume`): its output was kept.
    pub kept: bool,
}

/// What every group of a run shares.
pub(super) struct Context<'a> {
    pub cfg: &'a AnalysisConfig,
    pub opts: &'a RunOptions,
    pub file_opts: &'a RunOptionsFile,
    pub ext: &'a Extensions,
    /// The fingerprint of the run.
    pub fp: &'a str,
    pub analysis: &'a AnalysisFingerprint,
    pub req: &'a RunRequest,
    pub log: &'a Log<'a>,
    /// The folder holds an earlier run to continue.
    pub continuing: bool,
}

/// Runs every group of the run (or, with `resubmit_failed`, those that
/// failed before), and records skipped inputs and failed groups.
pub(super) fn run_groups(plans: &[DatasetPlan], ctx: &Context<'_>) -> Result<RunReport, String> {
    let req = ctx.req;
    let mut todo = groups(plans, ctx.file_opts, req.process_separately);
    let failed_jobs_path = req.outdir.join("failed_jobs.json");
    if req.resubmit_failed {
        let text = std::fs::read_to_string(&failed_jobs_path).map_err(|e| {
            format!(
                "--resubmit-failed: cannot read {}: {e}",
                failed_jobs_path.display()
            )
        })?;
        let failed: BTreeMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| format!("{}: {e}", failed_jobs_path.display()))?;
        let (retry, kept): (Vec<Group>, Vec<Group>) =
            todo.into_iter().partition(|g| failed.contains_key(&g.name));
        for g in &kept {
            let path = req.outdir.join(format!("output_{}.cortado", g.name));
            if path.exists() && finished_before(&path, ctx)?.is_none() {
                return Err(format!("{}: damaged; run with --overwrite", path.display()));
            }
        }
        todo = retry;
        ctx.log
            .line(&format!("resubmitting {} failed group(s)", todo.len()));
    }
    let mut report = RunReport {
        outcome: Outcome::Finished,
        groups: Vec::new(),
        failures: Vec::new(),
        failed_groups: BTreeMap::new(),
        plan_seconds: 0.0,
        summary: String::new(),
        remote_requests: (0, 0),
        cache_evicted: 0,
    };
    for g in &todo {
        if req.process_separately {
            ctx.log
                .line(&format!("group {} ({} datasets)", g.name, g.plans.len()));
        }
        match run_group(g, ctx) {
            Ok(Some(r)) => report.groups.push(r),
            Ok(None) => {
                report.outcome = if req.dry_run {
                    Outcome::DryRun
                } else {
                    Outcome::JobsPending
                };
                return Ok(report);
            }
            Err(e) if req.process_separately => {
                ctx.log.line(&format!("group {} failed: {e}", g.name));
                report.failed_groups.insert(g.name.clone(), e);
            }
            Err(e) => return Err(e),
        }
    }
    let _ = std::fs::remove_dir(req.outdir.join(checkpoint::DIR)); // only if empty
    if req.process_separately {
        write_or_remove(
            &failed_jobs_path,
            &report.failed_groups,
            report.failed_groups.is_empty(),
        )?;
    }
    report.failures = report
        .groups
        .iter()
        .flat_map(|r| r.failures.clone())
        .collect();
    write_or_remove(
        &req.outdir.join("failed_chunks.json"),
        &report.failures,
        report.failures.is_empty(),
    )?;
    Ok(report)
}

/// Writes a record of failures as JSON, or removes an old one when there is none.
fn write_or_remove(path: &Path, value: &impl serde::Serialize, empty: bool) -> Result<(), String> {
    if empty {
        let _ = std::fs::remove_file(path);
        return Ok(());
    }
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    write_atomic(path, text.as_bytes())
}

/// With `--resume`, the output of a group that had finished: kept when the
/// same run made it; a damaged one is removed (the group runs again).
fn finished_before(path: &Path, ctx: &Context<'_>) -> Result<Option<Output>, String> {
    if !ctx.continuing || !path.exists() {
        return Ok(None);
    }
    match Output::read(path) {
        Ok(o) if o.provenance.run.as_deref() == Some(ctx.fp) => Ok(Some(o)),
        Ok(_) => Err(format!(
            "--resume: {} was made by a run with another configuration, parameters, inputs or \
             options; run with --overwrite to start again",
            path.display()
        )),
        Err(e) => {
            ctx.log.line(&format!("{e}: its group is run again"));
            std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(None)
        }
    }
}

/// The skipped inputs an earlier run recorded for the datasets of `g`.
fn earlier_failures(outdir: &Path, g: &Group) -> Vec<Failure> {
    let old: Vec<Failure> = std::fs::read_to_string(outdir.join("failed_chunks.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    old.into_iter()
        .filter(|f| g.plans.iter().any(|p| p.dataset.name == f.dataset))
        .collect()
}

fn run_group(g: &Group, ctx: &Context<'_>) -> Result<Option<GroupResult>, String> {
    let req = ctx.req;
    let path = req.outdir.join(format!("output_{}.cortado", g.name));
    if let Some(o) = finished_before(&path, ctx)? {
        ctx.log.line(&format!(
            "{} had finished before the interruption: kept",
            path.display()
        ));
        return Ok(Some(GroupResult {
            name: g.name.clone(),
            stats: RunStats::of_output(&o),
            failures: earlier_failures(&req.outdir, g),
            path: Some(path),
            kept: true,
        }));
    }
    let (work, mut failures) = work_list(&g.plans, ctx.opts)?;
    let names: Vec<String> = g.plans.iter().map(|p| p.dataset.name.clone()).collect();
    let (done, ck) = if req.executor.is_batch() {
        match super::batch::run_batch(g, &work, &names, ctx)? {
            Some(d) => d,
            None => return Ok(None), // dry run, or jobs left to the user
        }
    } else {
        let ck_dir = if req.process_separately {
            req.outdir.join(checkpoint::DIR).join(&g.name)
        } else {
            req.outdir.join(checkpoint::DIR)
        };
        let mode = if req.resubmit_failed {
            Mode::Retry
        } else if ctx.continuing {
            Mode::Resume
        } else {
            Mode::Fresh
        };
        let ck = Checkpoints::open(&ck_dir, ctx.fp, &work, &names, mode)?;
        for n in ck.notes() {
            ctx.log.line(n);
        }
        let log_line = |s: &str| ctx.log.line(s);
        let progress = ctx.log.ui.progress(&log_line);
        let done = execute(
            &g.plans,
            &work,
            ctx.ext.workflow.as_ref(),
            ctx.opts,
            Some(&ck),
            progress.as_ref(),
        )?;
        (done, ck)
    };
    failures.extend(done.failures);
    if ctx.opts.read_only {
        ck.remove()?;
        return Ok(Some(GroupResult {
            name: g.name.clone(),
            stats: done.stats,
            failures,
            path: None,
            kept: false,
        }));
    }
    let mut out: Output = done.output;
    finish_output(ctx.cfg, &g.plans, &mut out)?;
    out.provenance.analysis = Some(ctx.analysis.clone());
    out.provenance.run = Some(ctx.fp.to_string());
    out.write(&path)?;
    ck.remove()?;
    if req.executor.is_batch() {
        let _ = std::fs::remove_dir_all(req.outdir.join(crate::batch::jobs::DIR));
    }
    Ok(Some(GroupResult {
        name: g.name.clone(),
        stats: done.stats,
        failures,
        path: Some(path),
        kept: false,
    }))
}
