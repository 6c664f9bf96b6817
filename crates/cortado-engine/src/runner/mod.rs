//! A whole run as one library call: [`run`] takes a [`RunRequest`] (what
//! `cortado run`'s options say), plans every dataset, claims the output
//! folder, runs the groups locally or as batch jobs, writes the outputs,
//! the configuration and parameter dumps, the failure records and the log,
//! and returns a [`RunReport`] with the closing summary.
//!
//! The command line only turns arguments into a request and prints; a
//! custom-workflow binary can call [`run`] directly. Everything a run
//! writes goes through here, so that the rules of the output folder (one
//! run at a time, no stale or mixed results) hold for every caller.

pub mod batch;
mod group;
pub mod job;
pub mod outdir;
pub mod setup;
mod summary;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::batch::jobs::Filters;
use crate::ext::Extensions;
use crate::local::{NoProgress, Progress};
use crate::output::write_atomic;
use crate::run::{plan_all, Failure};

pub use group::GroupResult;

/// Where the chunks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    /// One chunk after the other, on one thread.
    Iterative,
    /// All cores of this machine (or `scaleout` threads).
    Futures,
    /// Slurm job arrays.
    Slurm,
    /// HTCondor jobs.
    Condor,
}

impl Executor {
    /// The names `--executor` accepts.
    pub const NAMES: [&'static str; 4] = ["iterative", "futures", "slurm", "condor"];

    /// The executor of a name, or an error with a suggestion.
    pub fn parse(name: &str) -> Result<Executor, String> {
        match name {
            "iterative" => Ok(Executor::Iterative),
            "futures" => Ok(Executor::Futures),
            "slurm" => Ok(Executor::Slurm),
            "condor" => Ok(Executor::Condor),
            other => Err(format!(
                "unknown executor '{other}'{} ({})",
                cortado_yaml::did_you_mean(other, Self::NAMES.iter().copied()),
                Self::NAMES.join(", ")
            )),
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Whether chunks run as batch jobs.
    pub fn is_batch(self) -> bool {
        matches!(self, Executor::Slurm | Executor::Condor)
    }
}

/// What to do with an output folder that holds an earlier run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Existing {
    /// Refuse it (the default: results are never replaced by accident).
    #[default]
    Refuse,
    /// Remove what cortado wrote there, then run.
    Overwrite,
    /// Continue it: finished chunks and groups are kept.
    Resume,
}

/// Everything a run needs to know (the options of `cortado run`).
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The analysis configuration.
    pub config: PathBuf,
    /// The output folder.
    pub outdir: PathBuf,
    /// Where the chunks run.
    pub executor: Executor,
    /// Threads (local executors) or jobs (batch executors).
    pub scaleout: Option<usize>,
    /// Entries per chunk.
    pub chunksize: Option<u64>,
    /// Files per dataset.
    pub limit_files: Option<usize>,
    /// Chunks per dataset.
    pub limit_chunks: Option<usize>,
    /// A quick test: 2 files and 2 chunks per dataset.
    pub test: bool,
    /// A PocketCoffea run-options YAML.
    pub run_options: Option<PathBuf>,
    /// What to do with an earlier run in the output folder.
    pub existing: Existing,
    /// Record bad files and chunks and go on.
    pub skip_bad_files: bool,
    /// Attempts after an I/O error.
    pub retries: Option<u32>,
    /// Dataset selection.
    pub filters: Filters,
    /// One output per dataset or group of samples.
    pub process_separately: bool,
    /// Only the groups of `failed_jobs.json`.
    pub resubmit_failed: bool,
    /// Read and decompress only (benchmark of the floor).
    pub read_only: bool,
    /// The column cache: its folder and size limit in bytes (local executors).
    pub cache: Option<(PathBuf, u64)>,
    /// Batch queue.
    pub queue: Option<String>,
    /// Batch: write the plan and scripts, submit nothing.
    pub dry_run: bool,
}

impl RunRequest {
    /// A request with the defaults of `cortado run --cfg config -o outdir`.
    pub fn new(config: impl Into<PathBuf>, outdir: impl Into<PathBuf>) -> RunRequest {
        RunRequest {
            config: config.into(),
            outdir: outdir.into(),
            executor: Executor::Futures,
            scaleout: None,
            chunksize: None,
            limit_files: None,
            limit_chunks: None,
            test: false,
            run_options: None,
            existing: Existing::Refuse,
            skip_bad_files: false,
            retries: None,
            filters: Filters::default(),
            process_separately: false,
            resubmit_failed: false,
            read_only: false,
            cache: None,
            queue: None,
            dry_run: false,
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.resubmit_failed && !self.process_separately {
            return Err("--resubmit-failed needs --process-separately".into());
        }
        if self.read_only && self.executor.is_batch() {
            return Err("--read-only is a local benchmark".into());
        }
        if self.cache.is_some() && self.executor.is_batch() {
            return Err(
                "--cache is for local executors (a batch job's node has its own disk)".into(),
            );
        }
        if self.executor.is_batch() && self.process_separately {
            return Err(
                "--process-separately is for local executors; a batch run writes one output".into(),
            );
        }
        Ok(())
    }
}

/// How a run talks to its user (the command line prints; a library caller
/// may collect or drop).
pub trait Ui: Sync {
    /// A log line (also written to the folder's `logfile.log`).
    fn line(&self, _text: &str) {}
    /// The progress display of the event loop; `log` writes a log line.
    fn progress<'a>(&'a self, _log: &'a (dyn Fn(&str) + Sync)) -> Box<dyn Progress + 'a> {
        Box::new(NoProgress)
    }
    /// A script a dry run shows (the batch submission), for standard output.
    fn script(&self, _text: &str) {}
}

/// A [`Ui`] that shows nothing.
pub struct Quiet;

impl Ui for Quiet {}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Outputs written.
    Finished,
    /// A batch dry run: plan and scripts written, nothing submitted.
    DryRun,
    /// Batch jobs submitted; `--resume` merges them when they have finished.
    JobsPending,
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    /// How it ended.
    pub outcome: Outcome,
    /// Every group that produced an output.
    pub groups: Vec<GroupResult>,
    /// Files and chunks skipped (`skip_bad_files`).
    pub failures: Vec<Failure>,
    /// Groups that failed (`process_separately`), with the reason.
    pub failed_groups: BTreeMap<String, String>,
    /// Seconds of configuration and planning.
    pub plan_seconds: f64,
    /// The closing table (also in the log).
    pub summary: String,
    /// Remote data requests (XRootD reads and vector reads, HTTP range
    /// requests) this process made for the run, and the bytes they returned.
    pub remote_requests: (u64, u64),
    /// Bytes of least recently used column-cache entries removed after the run.
    pub cache_evicted: u64,
}

/// Log lines go to the user and to `logfile.log`.
struct Log<'a> {
    file: Mutex<std::fs::File>,
    ui: &'a dyn Ui,
}

impl Log<'_> {
    fn line(&self, s: &str) {
        self.ui.line(s);
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{s}");
        }
    }
}

/// Runs the analysis of `req` with the Rust functions and hooks of `ext`.
/// An error stops the run (the folder keeps what lets `--resume` continue);
/// failed groups of a `process_separately` run are in the report instead.
pub fn run(req: &RunRequest, ext: &Extensions, ui: &dyn Ui) -> Result<RunReport, String> {
    let t0 = Instant::now();
    let remote0 = cortado_source::remote_requests();
    req.check()?;
    let (file_opts, opts) = setup::run_options(req)?;
    // Absolute paths: batch jobs start elsewhere, and the fingerprint names them.
    let mut abs = req.clone();
    if req.executor.is_batch() {
        abs.config = req
            .config
            .canonicalize()
            .map_err(|e| format!("cannot find {}: {e}", req.config.display()))?;
        std::fs::create_dir_all(&req.outdir)
            .map_err(|e| format!("cannot create {}: {e}", req.outdir.display()))?;
        abs.outdir = req.outdir.canonicalize().map_err(|e| e.to_string())?;
    }
    let req = &abs;
    let mut cfg = ext.load_config(&req.config).map_err(|e| e.to_string())?;
    setup::filter_datasets(&mut cfg, &req.filters)?;
    let threads = match req.executor {
        crate::runner::Executor::Iterative => Some(1),
        e if e.is_batch() => None, // scaleout is the number of jobs
        _ => req.scaleout.or(file_opts.scaleout),
    };
    if let Some(n) = threads {
        // The global pool may already exist: then it is used as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let plans = plan_all(&cfg, ext)?;
    let plan_seconds = t0.elapsed().as_secs_f64();
    let fp = setup::run_fingerprint(&cfg, &plans, &opts, ext);
    let analysis = setup::analysis_fingerprint(&cfg, ext);

    let dir = outdir::OutputDir::claim(&req.outdir)?;
    let existing = if req.resubmit_failed {
        Existing::Resume
    } else {
        req.existing
    };
    if existing == Existing::Overwrite {
        // the earlier run's Slurm jobs must not write into this one
        crate::batch::slurm::cancel_all(&req.outdir);
    }
    let (continuing, notes) = dir.prepare(existing)?;
    let logfile = std::fs::OpenOptions::new()
        .create(true)
        .append(continuing)
        .write(true)
        .truncate(!continuing)
        .open(req.outdir.join("logfile.log"))
        .map_err(|e| format!("cannot write logfile.log: {e}"))?;
    let log = Log {
        file: Mutex::new(logfile),
        ui,
    };
    log.line(&format!(
        "cortado {} — configuration {}{} — {}",
        env!("CARGO_PKG_VERSION"),
        req.config.display(),
        if continuing { " — resuming" } else { "" },
        outdir::utc_now()
    ));
    for n in &notes {
        log.line(n);
    }
    if !file_opts.ignored.is_empty() {
        log.line(&format!(
            "run options not used by cortado: {}",
            file_opts.ignored.join(", ")
        ));
    }
    for p in &plans {
        log.line(&format!(
            "dataset {} (sample {}, {}, {} files): reads {} branches{}",
            p.dataset.name,
            p.dataset.sample,
            if p.dataset.is_mc { "MC" } else { "data" },
            p.dataset.files.len(),
            p.branches.len(),
            match p.calib.as_ref().map(|c| c.variations.len()) {
                Some(n) if n > 0 => format!(", {n} shape variations"),
                _ => String::new(),
            }
        ));
    }
    write_atomic(
        &req.outdir.join("parameters_dump.yaml"),
        cfg.params.to_yaml().as_bytes(),
    )?;
    let mut dump = setup::config_dump(&cfg, &plans);
    dump["run_fingerprint"] = fp.clone().into();
    dump["analysis_fingerprint"] = serde_json::json!(analysis);
    write_atomic(
        &req.outdir.join("config.json"),
        serde_json::to_string_pretty(&dump)
            .map_err(|e| e.to_string())?
            .as_bytes(),
    )?;
    let ctx = group::Context {
        cfg: &cfg,
        opts: &opts,
        file_opts: &file_opts,
        ext,
        fp: &fp,
        analysis: &analysis,
        req,
        log: &log,
        continuing,
    };
    let mut report = group::run_groups(&plans, &ctx)?;
    report.plan_seconds = plan_seconds;
    if let Some(c) = &opts.cache {
        // the cache is kept within its size, least recently used out first
        report.cache_evicted = c.evict()?;
    }
    let remote = cortado_source::remote_requests();
    report.remote_requests = (remote.0 - remote0.0, remote.1 - remote0.1);
    if report.outcome == Outcome::Finished {
        report.summary = summary::summary(&report, &opts, req);
        log.line(&report.summary);
    }
    drop(dir);
    Ok(report)
}
