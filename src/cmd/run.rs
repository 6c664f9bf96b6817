//! `cortado run`: run an analysis configuration over its datasets, on this
//! machine's cores, with checkpoints (`--resume`), bad-file handling
//! (`--skip-bad-files`, retries) and progress bars.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use cortado_config::run_options::{load_run_options, RunOptionsFile};
use cortado_config::AnalysisConfig;
use cortado_engine::batch::jobs::{self, Filters, JobPlan, JobSettings, PlannedChunk};
use cortado_engine::batch::{condor, slurm};
use cortado_engine::checkpoint::{self, Checkpoints, Mode};
use cortado_engine::ext::Extensions;
use cortado_engine::local::{execute, execute_scope, NoProgress, Progress, Scope};
use cortado_engine::output::write_atomic;
use cortado_engine::run::{finish_output, plan_all, work_list, Failure, RunOptions, RunStats};
use cortado_engine::{DatasetPlan, Output};

use crate::output::emit;
use crate::progress::bars_or_log;

/// Arguments of `cortado run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The analysis configuration (YAML).
    #[arg(long)]
    pub cfg: PathBuf,
    /// Output folder (created if missing).
    #[arg(short = 'o', long = "outputdir")]
    pub outputdir: PathBuf,
    /// iterative (one chunk at a time) or futures (all cores, or --scaleout threads).
    #[arg(short = 'e', long, default_value = "futures")]
    pub executor: String,
    /// Number of worker threads for the futures executor (default: all cores).
    #[arg(short = 's', long)]
    pub scaleout: Option<usize>,
    /// Entries per chunk (chunks follow the files' clusters; default 150000).
    #[arg(short = 'c', long)]
    pub chunksize: Option<u64>,
    /// Only the first N files of each dataset.
    #[arg(long = "limit-files", visible_alias = "lf")]
    pub limit_files: Option<usize>,
    /// Only the first N chunks of each dataset.
    #[arg(long = "limit-chunks", visible_alias = "lc")]
    pub limit_chunks: Option<usize>,
    /// Quick test: 2 files and 2 chunks per dataset.
    #[arg(short = 't', long)]
    pub test: bool,
    /// PocketCoffea run-options YAML (chunksize, scaleout, retries,
    /// skip-bad-files, group-samples, ...); flags override it.
    #[arg(long = "custom-run-options", visible_alias = "ro", value_name = "YAML")]
    pub run_options: Option<PathBuf>,
    /// Continue an interrupted run in the same output folder: only the chunks
    /// without a checkpoint are processed; the result equals an uninterrupted run.
    #[arg(long)]
    pub resume: bool,
    /// Record files and chunks that cannot be read (failed_chunks.json) and go on.
    #[arg(long = "skip-bad-files")]
    pub skip_bad_files: bool,
    /// Attempts after an I/O error of a chunk (default 2).
    #[arg(long)]
    pub retries: Option<u32>,
    /// Only these years (comma-separated).
    #[arg(long = "filter-years", value_delimiter = ',')]
    pub filter_years: Vec<String>,
    /// Only these samples (comma-separated).
    #[arg(long = "filter-samples", value_delimiter = ',')]
    pub filter_samples: Vec<String>,
    /// Only these datasets (comma-separated).
    #[arg(long = "filter-datasets", value_delimiter = ',')]
    pub filter_datasets: Vec<String>,
    /// One output per dataset, or per group of samples (run option
    /// group-samples): output_<group>.cortado; a failing group does not stop
    /// the others and is listed in failed_jobs.json.
    #[arg(long = "process-separately", visible_alias = "ps")]
    pub process_separately: bool,
    /// With --process-separately: run only the groups of failed_jobs.json.
    #[arg(long = "resubmit-failed")]
    pub resubmit_failed: bool,
    /// No progress bars (log lines every few seconds instead).
    #[arg(long = "no-progress")]
    pub no_progress: bool,
    /// Benchmark: read and decompress the branches the analysis needs and
    /// process nothing (cortado's floor); writes no output.
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// slurm/condor: queue (Slurm partition, HTCondor JobFlavour).
    #[arg(short = 'q', long)]
    pub queue: Option<String>,
    /// slurm/condor: write the job plan and scripts and print them; submit nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

impl RunArgs {
    fn filters(&self) -> Filters {
        Filters {
            years: self.filter_years.clone(),
            samples: self.filter_samples.clone(),
            datasets: self.filter_datasets.clone(),
        }
    }

    fn batch(&self) -> bool {
        matches!(self.executor.as_str(), "slurm" | "condor")
    }
}

/// Keeps the datasets the --filter-* options name; unknown names are errors.
pub fn filter_datasets(cfg: &mut AnalysisConfig, f: &Filters) -> Result<()> {
    let check = |wanted: &[String], known: Vec<String>, what: &str| -> Result<()> {
        for w in wanted {
            if !known.contains(w) {
                let hint = cortado_yaml::did_you_mean(w, known.iter().map(String::as_str));
                bail!(
                    "--filter-{what}s: no {what} '{w}' in the configuration{hint} (known: {})",
                    known.join(", ")
                );
            }
        }
        Ok(())
    };
    let uniq = |f: &dyn Fn(&cortado_config::Dataset) -> String| -> Vec<String> {
        let mut v: Vec<String> = cfg.datasets.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    check(&f.years, uniq(&|d| d.year.clone()), "year")?;
    check(&f.samples, uniq(&|d| d.sample.clone()), "sample")?;
    check(&f.datasets, uniq(&|d| d.name.clone()), "dataset")?;
    cfg.datasets.retain(|d| {
        (f.years.is_empty() || f.years.contains(&d.year))
            && (f.samples.is_empty() || f.samples.contains(&d.sample))
            && (f.datasets.is_empty() || f.datasets.contains(&d.name))
    });
    if cfg.datasets.is_empty() {
        bail!("the --filter-* options leave no dataset to process");
    }
    Ok(())
}

/// The executors of `--executor`.
const EXECUTORS: [&str; 4] = ["iterative", "futures", "slurm", "condor"];

/// Run options: the file (if any) with the flags over it.
fn run_options(args: &RunArgs) -> Result<(RunOptionsFile, RunOptions)> {
    let file = match &args.run_options {
        Some(p) => load_run_options(p).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => RunOptionsFile::default(),
    };
    let sequential = match args.executor.as_str() {
        "iterative" => true,
        "futures" | "slurm" | "condor" => false,
        other => {
            let hint = cortado_yaml::did_you_mean(other, EXECUTORS.iter().copied());
            bail!(
                "unknown executor '{other}'{hint} ({})",
                EXECUTORS.join(", ")
            )
        }
    };
    let limit = |flag: Option<usize>, file: Option<usize>| {
        flag.or(file).or(if args.test { Some(2) } else { None })
    };
    let opts = RunOptions {
        chunksize: args.chunksize.unwrap_or(file.chunksize).max(1),
        limit_files: limit(args.limit_files, file.limit_files),
        limit_chunks: limit(args.limit_chunks, file.limit_chunks),
        sequential,
        skip_bad_files: args.skip_bad_files || file.skip_bad_files,
        retries: args.retries.unwrap_or(file.retries),
        read_only: args.read_only,
    };
    Ok((file, opts))
}

/// The fingerprint of what determines a run's result (checked by --resume
/// and by batch jobs).
pub fn fingerprint(
    cfg: &AnalysisConfig,
    plans: &[DatasetPlan],
    opts: &RunOptions,
    ext: &Extensions,
) -> String {
    let text = serde_json::json!({
        "cortado": env!("CARGO_PKG_VERSION"),
        "config": config_dump(cfg, plans),
        "parameters": cfg.params.to_yaml(),
        "chunksize": opts.chunksize,
        "limit_files": opts.limit_files,
        "limit_chunks": opts.limit_chunks,
        "functions": ext.functions.names(),
    });
    checkpoint::fingerprint(&text.to_string())
}

/// One output: its name, its datasets.
struct Group {
    name: String,
    plans: Vec<DatasetPlan>,
}

fn groups(plans: &[DatasetPlan], file: &RunOptionsFile, separately: bool) -> Vec<Group> {
    if !separately {
        return vec![Group {
            name: "all".into(),
            plans: plans.to_vec(),
        }];
    }
    let mut out: Vec<Group> = Vec::new();
    let mut used = vec![false; plans.len()];
    for (g, samples) in &file.group_samples {
        let members: Vec<DatasetPlan> = plans
            .iter()
            .enumerate()
            .filter(|(_, p)| samples.contains(&p.dataset.sample))
            .map(|(i, p)| {
                used[i] = true;
                p.clone()
            })
            .collect();
        if !members.is_empty() {
            out.push(Group {
                name: g.clone(),
                plans: members,
            });
        }
    }
    for (i, p) in plans.iter().enumerate() {
        if !used[i] {
            out.push(Group {
                name: p.dataset.name.clone(),
                plans: vec![p.clone()],
            });
        }
    }
    out
}

/// Log lines go to the terminal and to logfile.log.
struct Log {
    file: Mutex<std::fs::File>,
}

impl Log {
    fn line(&self, s: &str) {
        eprintln!("{s}");
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{s}");
        }
    }
}

/// The result of one group.
struct GroupResult {
    stats: RunStats,
    failures: Vec<Failure>,
    path: PathBuf,
}

/// What every group of a run shares.
struct RunContext<'a> {
    cfg: &'a AnalysisConfig,
    opts: &'a RunOptions,
    file_opts: &'a RunOptionsFile,
    ext: &'a Extensions,
    /// The fingerprint of the run.
    fp: &'a str,
    args: &'a RunArgs,
    log: &'a Log,
}

fn run_group(g: &Group, ctx: &RunContext<'_>) -> Result<Option<GroupResult>> {
    let RunContext {
        cfg,
        opts,
        ext,
        fp,
        args,
        log,
        ..
    } = *ctx;
    let (work, mut failures) = work_list(&g.plans, opts).map_err(anyhow::Error::msg)?;
    let names: Vec<String> = g.plans.iter().map(|p| p.dataset.name.clone()).collect();
    let ck_dir = if args.process_separately {
        args.outputdir.join(checkpoint::DIR).join(&g.name)
    } else {
        args.outputdir.join(checkpoint::DIR)
    };
    let done = if args.batch() {
        match batch(g, &work, &names, ctx)? {
            Some(d) => d,
            None => return Ok(None), // dry run, or jobs left to the user
        }
    } else {
        let mode = if args.resume {
            Mode::Resume
        } else {
            Mode::Fresh
        };
        let ck = Checkpoints::open(&ck_dir, fp, &work, &names, mode).map_err(anyhow::Error::msg)?;
        let log_line = |s: &str| log.line(s);
        let progress: Box<dyn Progress> = bars_or_log(args.no_progress, &log_line);
        let done = execute(
            &g.plans,
            &work,
            ext.workflow.as_ref(),
            opts,
            Some(&ck),
            progress.as_ref(),
        )
        .map_err(anyhow::Error::msg)?;
        (done, ck)
    };
    let (done, ck) = done;
    failures.extend(done.failures);
    if opts.read_only {
        ck.remove().map_err(anyhow::Error::msg)?;
        return Ok(Some(GroupResult {
            stats: done.stats,
            failures,
            path: PathBuf::new(),
        }));
    }
    let mut out: Output = done.output;
    finish_output(cfg, &g.plans, &mut out).map_err(anyhow::Error::msg)?;
    let path = args.outputdir.join(format!("output_{}.cortado", g.name));
    out.write(&path).map_err(anyhow::Error::msg)?;
    ck.remove().map_err(anyhow::Error::msg)?;
    if args.batch() {
        let _ = std::fs::remove_dir_all(args.outputdir.join(jobs::DIR));
    }
    Ok(Some(GroupResult {
        stats: done.stats,
        failures,
        path,
    }))
}

/// A group run as batch jobs: plans them (or, with --resume, takes the
/// plan of the interrupted run), runs them, and merges their checkpoints.
/// `None` when nothing is left to merge now (a dry run; HTCondor jobs
/// submitted, to be merged with --resume).
fn batch(
    g: &Group,
    work: &[cortado_engine::run::Chunk],
    names: &[String],
    ctx: &RunContext<'_>,
) -> Result<Option<(cortado_engine::local::Executed, Checkpoints)>> {
    let RunContext {
        opts,
        file_opts,
        ext,
        fp,
        args,
        log,
        ..
    } = *ctx;
    let out = &args.outputdir;
    let ck_dir = out.join(checkpoint::DIR);
    let cpus = file_opts.cores_per_worker.unwrap_or(1);
    let plan = if args.resume {
        let plan = JobPlan::load(out).map_err(|e| {
            anyhow::anyhow!(
                "--resume: {e} (no batch run was started in {})",
                out.display()
            )
        })?;
        if plan.fingerprint != fp {
            bail!(
                "--resume: the configuration, parameters or options differ from those of the \
                 jobs in {}; run without --resume to start again",
                out.display()
            );
        }
        plan
    } else {
        if args.executor == "slurm" && !args.dry_run {
            slurm::cancel_all(out);
        }
        let _ = std::fs::remove_dir_all(out.join(jobs::DIR));
        let n_jobs = args.scaleout.or(file_opts.scaleout).unwrap_or(10);
        let plan = JobPlan {
            fingerprint: fp.to_string(),
            config: args.cfg.clone(),
            workdir: std::env::current_dir()?,
            filters: args.filters(),
            settings: JobSettings {
                chunksize: opts.chunksize,
                limit_files: opts.limit_files,
                limit_chunks: opts.limit_chunks,
                retries: opts.retries,
                skip_bad_files: opts.skip_bad_files,
                threads: cpus,
            },
            chunks: work
                .iter()
                .map(|c| PlannedChunk {
                    dataset: names[c.plan].clone(),
                    file: c.file.clone(),
                    start: c.entries.start,
                    stop: c.entries.end,
                    identity: c.identity.clone(),
                })
                .collect(),
            jobs: jobs::split(work, n_jobs, file_opts.max_events_per_job),
        };
        plan.save(out).map_err(anyhow::Error::msg)?;
        plan
    };
    let mode = if args.resume {
        Mode::Attach
    } else {
        Mode::Fresh
    };
    let ck = Checkpoints::open(&ck_dir, fp, work, names, mode).map_err(anyhow::Error::msg)?;
    log.line(&format!(
        "{} chunks in {} jobs of {cpus} core(s) ({})",
        work.len(),
        plan.jobs.len(),
        args.executor
    ));
    let binary = std::env::current_exe().context("cannot find this program's path")?;
    let stem = args
        .cfg
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let job_name = file_opts.job_name.clone().unwrap_or_else(|| {
        let dir = args
            .cfg
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("cortado-{dir}-{stem}")
    });
    let max_retries = file_opts.max_retries.unwrap_or(3);
    let mem_mb = file_opts
        .mem_per_worker
        .as_deref()
        .and_then(cortado_config::run_options::memory_mb);
    let t0 = Instant::now();
    let outcome =
        if args.executor == "slurm" {
            let settings = slurm::SlurmSettings {
                job_name,
                partition: args
                    .queue
                    .clone()
                    .or(file_opts.slurm.partition.clone())
                    .or(file_opts.queue.clone()),
                account: file_opts.slurm.account.clone(),
                walltime: file_opts.walltime.clone(),
                mem_mb,
                cpus,
                scheduler_options: file_opts.slurm.scheduler_options.clone(),
                max_retries,
            };
            if args.dry_run {
                let script = slurm::job_script(&binary, out, &plan.workdir, &settings);
                let path = out.join(jobs::DIR).join("job.sh");
                write_atomic(&path, script.as_bytes()).map_err(anyhow::Error::msg)?;
                emit(&format!(
                    "# {} ({} jobs: sbatch --array=0-{} {})\n{script}",
                    path.display(),
                    plan.jobs.len(),
                    plan.jobs.len().saturating_sub(1),
                    path.display()
                ))?;
                return Ok(None);
            }
            let last = Mutex::new(Instant::now() - std::time::Duration::from_secs(60));
            let on_poll = |done: usize, all: usize, what: &str| {
                if let Ok(mut l) = last.lock() {
                    if what.starts_with("submitted") || l.elapsed().as_secs() >= 5 || done == all {
                        *l = Instant::now();
                        log.line(&format!("  jobs finished {done}/{all}: {what}"));
                    }
                }
            };
            slurm::run(
                &plan,
                out,
                &binary,
                &settings,
                std::time::Duration::from_millis(500),
                &on_poll,
            )
            .map_err(anyhow::Error::msg)?
        } else {
            let settings = condor::CondorSettings {
                job_name,
                cpus,
                mem_mb,
                max_runtime_s: file_opts
                    .walltime
                    .as_deref()
                    .and_then(condor::walltime_seconds),
                flavour: args.queue.clone().or(file_opts.queue.clone()),
                max_retries,
            };
            let dir = out.join(jobs::DIR);
            let sub = condor::submit_description(out, plan.jobs.len(), &settings);
            write_atomic(&dir.join("condor.sub"), sub.as_bytes()).map_err(anyhow::Error::msg)?;
            let wrapper = dir.join("condor_job.sh");
            write_atomic(
                &wrapper,
                condor::wrapper(&binary, out, &plan.workdir).as_bytes(),
            )
            .map_err(anyhow::Error::msg)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
            }
            if args.dry_run {
                emit(&format!("# {}\n{sub}", dir.join("condor.sub").display()))?;
                return Ok(None);
            }
            let done: Vec<usize> = (0..plan.jobs.len())
                .filter(|&j| jobs::done(out, j).is_some())
                .collect();
            if !args.resume || done.len() < plan.jobs.len() {
                let submitted = !args.resume
                    && std::process::Command::new("condor_submit")
                        .arg(dir.join("condor.sub"))
                        .status()
                        .map(|s| s.success())
                        .unwrap_or(false);
                log.line(&format!(
                "{}; {} of {} jobs have finished. When they all have, run the same command with \
                 --resume to merge their outputs.",
                if submitted {
                    "submitted to HTCondor".to_string()
                } else if args.resume {
                    "HTCondor jobs still running".to_string()
                } else {
                    format!("condor_submit is not available here: submit {} from an HTCondor \
                             machine sharing this folder", dir.join("condor.sub").display())
                },
                done.len(),
                plan.jobs.len()
            ));
                return Ok(None);
            }
            slurm::Outcome {
                done: done
                    .iter()
                    .filter_map(|&j| jobs::done(out, j).map(|d| (j, d)))
                    .collect(),
                ..Default::default()
            }
        };
    if !outcome.failed.is_empty() {
        bail!(
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
            if opts.skip_bad_files {
                ""
            } else {
                " (or use --skip-bad-files)"
            }
        );
    }
    if outcome.resubmitted > 0 {
        log.line(&format!(
            "{} job(s) were submitted again after failing",
            outcome.resubmitted
        ));
    }
    let skipped: std::collections::BTreeMap<usize, Failure> = outcome
        .done
        .values()
        .flat_map(|d| d.failures.iter().cloned())
        .collect();
    let events: u64 = outcome.done.values().map(|d| d.events).sum();
    let scope = Scope {
        only: None,
        skipped,
    };
    let mut merged = execute_scope(
        &g.plans,
        work,
        ext.workflow.as_ref(),
        opts,
        Some(&ck),
        &NoProgress,
        &scope,
    )
    .map_err(anyhow::Error::msg)?;
    merged.stats.events = events;
    merged.stats.seconds = t0.elapsed().as_secs_f64();
    merged.stats.chunks = work.len();
    merged.stats.chunks_resumed = 0;
    merged.stats.events_resumed = 0;
    Ok(Some((merged, ck)))
}

/// Runs the subcommand.
pub fn run_cmd(args: &RunArgs, ext: &Extensions) -> Result<()> {
    let t0 = Instant::now();
    if args.resubmit_failed && !args.process_separately {
        bail!("--resubmit-failed needs --process-separately");
    }
    let (file_opts, opts) = run_options(args)?;
    if args.read_only && args.batch() {
        bail!("--read-only is a local benchmark");
    }
    if args.batch() && args.process_separately {
        bail!("--process-separately is for local executors; a batch run writes one output");
    }
    // Absolute paths: batch jobs start elsewhere, and the fingerprint names them.
    let mut args_abs;
    let args = if args.batch() {
        args_abs = RunArgs { ..args.clone() };
        args_abs.cfg = args
            .cfg
            .canonicalize()
            .with_context(|| format!("cannot find {}", args.cfg.display()))?;
        std::fs::create_dir_all(&args.outputdir)
            .with_context(|| format!("cannot create {}", args.outputdir.display()))?;
        args_abs.outputdir = args.outputdir.canonicalize()?;
        &args_abs
    } else {
        args
    };
    let mut cfg = cortado_config::load(&args.cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
    filter_datasets(&mut cfg, &args.filters())?;
    let threads = if opts.sequential {
        Some(1)
    } else if args.batch() {
        None // --scaleout is the number of jobs
    } else {
        args.scaleout.or(file_opts.scaleout)
    };
    if let Some(n) = threads {
        // The global pool may already exist (-j): then it is used as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let plans = plan_all(&cfg, ext).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t_plan = t0.elapsed().as_secs_f64();
    std::fs::create_dir_all(&args.outputdir)
        .with_context(|| format!("cannot create {}", args.outputdir.display()))?;
    let logfile = std::fs::OpenOptions::new()
        .create(true)
        .append(args.resume || args.resubmit_failed)
        .write(true)
        .truncate(!(args.resume || args.resubmit_failed))
        .open(args.outputdir.join("logfile.log"))
        .context("cannot write logfile.log")?;
    let log = Log {
        file: Mutex::new(logfile),
    };
    log.line(&format!(
        "cortado {} — configuration {}{}",
        env!("CARGO_PKG_VERSION"),
        args.cfg.display(),
        if args.resume { " — resuming" } else { "" }
    ));
    if !file_opts.ignored.is_empty() {
        log.line(&format!(
            "run options not used by cortado: {}",
            file_opts.ignored.join(", ")
        ));
    }
    for p in &plans {
        log.line(&format!(
            "dataset {} (sample {}, {}, {} files): reads {} branches",
            p.dataset.name,
            p.dataset.sample,
            if p.dataset.is_mc { "MC" } else { "data" },
            p.dataset.files.len(),
            p.branches.len()
        ));
    }
    write_atomic(
        &args.outputdir.join("parameters_dump.yaml"),
        cfg.params.to_yaml().as_bytes(),
    )
    .map_err(anyhow::Error::msg)?;
    write_atomic(
        &args.outputdir.join("config.json"),
        serde_json::to_string_pretty(&config_dump(&cfg, &plans))?.as_bytes(),
    )
    .map_err(anyhow::Error::msg)?;
    let fp = fingerprint(&cfg, &plans, &opts, ext);

    let mut todo = groups(&plans, &file_opts, args.process_separately);
    let failed_jobs_path = args.outputdir.join("failed_jobs.json");
    if args.resubmit_failed {
        let text = std::fs::read_to_string(&failed_jobs_path).with_context(|| {
            format!(
                "--resubmit-failed: cannot read {}",
                failed_jobs_path.display()
            )
        })?;
        let failed: BTreeMap<String, String> = serde_json::from_str(&text)
            .with_context(|| format!("{}", failed_jobs_path.display()))?;
        todo.retain(|g| failed.contains_key(&g.name));
        log.line(&format!("resubmitting {} failed group(s)", todo.len()));
    }
    let mut results = Vec::new();
    let mut failed_groups: BTreeMap<String, String> = BTreeMap::new();
    for g in &todo {
        if args.process_separately {
            log.line(&format!("group {} ({} datasets)", g.name, g.plans.len()));
        }
        let ctx = RunContext {
            cfg: &cfg,
            opts: &opts,
            file_opts: &file_opts,
            ext,
            fp: &fp,
            args,
            log: &log,
        };
        match run_group(g, &ctx) {
            Ok(Some(r)) => results.push(r),
            Ok(None) => return Ok(()),
            Err(e) if args.process_separately => {
                log.line(&format!("group {} failed: {e:#}", g.name));
                failed_groups.insert(g.name.clone(), format!("{e:#}"));
            }
            Err(e) => return Err(e),
        }
    }
    if args.process_separately {
        write_or_remove(&failed_jobs_path, &failed_groups, failed_groups.is_empty())?;
    } else if let Some(r) = results.first_mut().filter(|_| !opts.read_only) {
        // A normal run's output is output_all.cortado.
        let all = args.outputdir.join("output_all.cortado");
        if r.path != all {
            std::fs::rename(&r.path, &all)?;
            r.path = all;
        }
    }
    let failures: Vec<Failure> = results.iter().flat_map(|r| r.failures.clone()).collect();
    let failed_chunks_path = args.outputdir.join("failed_chunks.json");
    write_or_remove(&failed_chunks_path, &failures, failures.is_empty())?;
    log.line(&summary(
        &results,
        &failures,
        &failed_groups,
        &opts,
        t_plan,
        args,
    ));
    emit("").ok();
    if !failed_groups.is_empty() {
        bail!(
            "{} group(s) failed (listed in {}); rerun with --resubmit-failed",
            failed_groups.len(),
            failed_jobs_path.display()
        );
    }
    Ok(())
}

/// Writes a record of failures as JSON, or removes an old one when there is none.
fn write_or_remove(path: &Path, value: &impl serde::Serialize, empty: bool) -> Result<()> {
    if empty {
        let _ = std::fs::remove_file(path);
        return Ok(());
    }
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes()).map_err(anyhow::Error::msg)
}

/// The closing table: events, throughput, skipped inputs, output paths.
fn summary(
    results: &[GroupResult],
    failures: &[Failure],
    failed_groups: &BTreeMap<String, String>,
    opts: &RunOptions,
    t_plan: f64,
    args: &RunArgs,
) -> String {
    let workers = if opts.sequential {
        1
    } else {
        rayon::current_num_threads()
    };
    let mut per_dataset: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    let (mut events, mut skimmed, mut presel, mut secs, mut chunks, mut resumed, mut ev_resumed) =
        (0u64, 0u64, 0u64, 0f64, 0usize, 0usize, 0u64);
    for r in results {
        let s = &r.stats;
        for (k, v) in &s.per_dataset {
            let e = per_dataset.entry(k.clone()).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        events += s.events;
        skimmed += s.skimmed;
        presel += s.preselected;
        secs += s.seconds;
        chunks += s.chunks;
        resumed += s.chunks_resumed;
        ev_resumed += s.events_resumed;
    }
    let mut t = format!(
        "\n{:<32} {:>12} {:>14} {:>18}\n",
        "dataset", "events", "events/s", "events/s/worker"
    );
    for (ds, (n, s)) in &per_dataset {
        // s sums the time of the worker threads: n/s is the rate of one worker
        let per_worker = *n as f64 / s.max(1e-9);
        t.push_str(&format!(
            "{:<32} {:>12} {:>14.0} {:>18.0}\n",
            ds,
            n,
            per_worker * workers as f64,
            per_worker
        ));
    }
    let eps = events as f64 / secs.max(1e-9);
    t.push_str(&format!(
        "{:<32} {:>12} {:>14.0} {:>18.0}\n",
        "Total",
        events,
        eps,
        eps / workers as f64
    ));
    t.push_str(&format!(
        "{:<32} {:>12}\n{:<32} {:>12}\n",
        "Skimmed", skimmed, "Preselected", presel
    ));
    if args.batch() {
        t.push_str(&format!(
            "\n{chunks} chunks in {} batch jobs; {secs:.2} s from submission to merged output, configuration and planning {t_plan:.3} s\n",
            args.executor
        ));
    } else {
        t.push_str(&format!(
            "\n{chunks} chunks on {workers} worker(s); event loop {secs:.2} s, configuration and planning {t_plan:.3} s\n"
        ));
    }
    if resumed > 0 {
        t.push_str(&format!(
            "{resumed} chunks ({ev_resumed} events) were finished before the interruption and taken from their checkpoints\n"
        ));
    }
    if !failures.is_empty() {
        t.push_str(&format!(
            "\nSKIPPED {} bad file(s)/chunk(s) (listed in failed_chunks.json):\n",
            failures.len()
        ));
        for f in failures.iter().take(10) {
            t.push_str(&format!("  {}\n", f.error));
        }
    }
    if !failed_groups.is_empty() {
        t.push_str(&format!(
            "\nFAILED groups (failed_jobs.json): {}\n",
            failed_groups.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if opts.read_only {
        t.push_str("read only (--read-only): branches read and decompressed, nothing processed or written\n");
        return t;
    }
    t.push_str(&format!("outputs in {}:\n", args.outputdir.display()));
    for r in results {
        let name = r
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        t.push_str(&format!("  {name}  (cortado dump {})\n", r.path.display()));
    }
    t.push_str("  config.json\n  parameters_dump.yaml\n  logfile.log\n");
    t
}

fn config_dump(
    cfg: &cortado_config::AnalysisConfig,
    plans: &[cortado_engine::DatasetPlan],
) -> serde_json::Value {
    use serde_json::json;
    let raw = yaml_to_json(&cfg.raw);
    let datasets: Vec<serde_json::Value> = plans
        .iter()
        .map(|p| {
            json!({
                "name": p.dataset.name,
                "sample": p.dataset.sample,
                "year": p.dataset.year,
                "isMC": p.dataset.is_mc,
                "files": p.dataset.files,
                "metadata": p.dataset.metadata,
                "branches_read": p.branches,
                "categories": p.categories.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "subsamples": p.subsamples.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "histograms": p.hists.iter().map(|h| &h.def.name).collect::<Vec<_>>(),
                "weight_variations": p.weights.variations.keys().collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "cortado_version": env!("CARGO_PKG_VERSION"),
        "configuration_file": cfg.path.display().to_string(),
        "parameter_files": cfg.params_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "configuration": raw,
        "datasets": datasets,
    })
}

/// A YAML tree as JSON.
pub fn yaml_to_json(n: &cortado_yaml::Node) -> serde_json::Value {
    use cortado_yaml::Value as V;
    match &n.value {
        V::Null | V::Missing => serde_json::Value::Null,
        V::Bool(b) => (*b).into(),
        V::Int(i) => (*i).into(),
        V::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        V::Str(s) => s.clone().into(),
        V::Seq(items) => items.iter().map(yaml_to_json).collect(),
        V::Map(m) => m
            .iter()
            .map(|(k, v)| (k.name.clone(), yaml_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// The output file of a run folder, or the file itself.
pub fn output_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("output_all.cortado")
    } else {
        p.to_path_buf()
    }
}
