//! `cortado run-job` (hidden): one batch job of a run planned by `cortado
//! run -e slurm|condor` ([`cortado_engine::runner::job`]).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use cortado_engine::ext::Extensions;

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

/// Runs the subcommand.
pub fn run(args: &JobArgs, ext: &Extensions) -> Result<()> {
    let d = cortado_engine::runner::job::run_job(&args.outputdir, args.job, ext)
        .map_err(anyhow::Error::msg)?;
    eprintln!("done: {} events in {:.1} s", d.events, d.seconds);
    Ok(())
}
