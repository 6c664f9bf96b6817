//! `cortado run`: the arguments of a run, turned into a
//! [`RunRequest`] for the engine's [`runner`](cortado_engine::runner),
//! which does the work; this module prints.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use cortado_engine::batch::jobs::Filters;
use cortado_engine::ext::Extensions;
use cortado_engine::local::Progress;
use cortado_engine::runner::{self, Executor, Existing, RunRequest, Ui};

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
    /// iterative (one chunk at a time), futures (all cores, or --scaleout
    /// threads), slurm (Slurm job arrays) or condor (HTCondor jobs).
    #[arg(short = 'e', long, default_value = "futures",
          value_parser = ["iterative", "futures", "slurm", "condor"])]
    pub executor: String,
    /// Threads for the local executors (default: all cores); jobs for slurm
    /// and condor (default 10).
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
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the results of an earlier run in the output folder (an output
    /// folder that is not empty is refused otherwise).
    #[arg(long)]
    pub overwrite: bool,
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
    /// Keep the decompressed columns in a local cache and take them from it
    /// on the next runs (default folder: $CORTADO_CACHE_DIR, else
    /// ~/.cache/cortado/columns); results are bit-identical to an uncached run.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub cache: Option<Option<PathBuf>>,
    /// Size limit of the column cache (e.g. 500M, 20G); least recently used
    /// entries are removed after the run.
    #[arg(long = "cache-size", value_name = "SIZE", default_value = "20G")]
    pub cache_size: String,
    /// slurm/condor: queue (Slurm partition, HTCondor JobFlavour).
    #[arg(short = 'q', long)]
    pub queue: Option<String>,
    /// slurm/condor: write the job plan and scripts and print them; submit nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

impl RunArgs {
    /// The engine's request.
    pub fn request(&self) -> Result<RunRequest> {
        Ok(RunRequest {
            config: self.cfg.clone(),
            outdir: self.outputdir.clone(),
            executor: Executor::parse(&self.executor).map_err(anyhow::Error::msg)?,
            scaleout: self.scaleout,
            chunksize: self.chunksize,
            limit_files: self.limit_files,
            limit_chunks: self.limit_chunks,
            test: self.test,
            run_options: self.run_options.clone(),
            existing: if self.resume {
                Existing::Resume
            } else if self.overwrite {
                Existing::Overwrite
            } else {
                Existing::Refuse
            },
            skip_bad_files: self.skip_bad_files,
            retries: self.retries,
            filters: Filters {
                years: self.filter_years.clone(),
                samples: self.filter_samples.clone(),
                datasets: self.filter_datasets.clone(),
            },
            process_separately: self.process_separately,
            resubmit_failed: self.resubmit_failed,
            read_only: self.read_only,
            cache: match &self.cache {
                Some(dir) => Some((
                    super::cache::dir_or_default(dir.as_deref())?,
                    super::cache::parse_size(&self.cache_size)?,
                )),
                None => None,
            },
            queue: self.queue.clone(),
            dry_run: self.dry_run,
        })
    }
}

/// The terminal: log lines and progress on standard error, dry-run
/// scripts on standard output.
struct Terminal {
    no_progress: bool,
}

impl Ui for Terminal {
    fn line(&self, text: &str) {
        eprintln!("{text}");
    }
    fn progress<'a>(&'a self, log: &'a (dyn Fn(&str) + Sync)) -> Box<dyn Progress + 'a> {
        bars_or_log(self.no_progress, log)
    }
    fn script(&self, text: &str) {
        let _ = emit(text);
    }
}

/// Runs the subcommand.
pub fn run_cmd(args: &RunArgs, ext: &Extensions) -> Result<()> {
    let ui = Terminal {
        no_progress: args.no_progress,
    };
    let report = runner::run(&args.request()?, ext, &ui).map_err(anyhow::Error::msg)?;
    if !report.failed_groups.is_empty() {
        bail!(
            "{} group(s) failed (listed in {}); rerun with --resubmit-failed",
            report.failed_groups.len(),
            args.outputdir.join("failed_jobs.json").display()
        );
    }
    Ok(())
}
