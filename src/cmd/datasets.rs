//! `cortado build-datasets`: fileset JSONs from a PocketCoffea dataset
//! definition file (`cortado_datasets`), and `--check` of the filesets.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use cortado_datasets::{BadFile, Options};

/// Arguments of `cortado build-datasets`.
#[derive(Args, Debug)]
pub struct BuildDatasetsArgs {
    /// The dataset definition JSON (PocketCoffea's format).
    #[arg(long, default_value = "datasets/datasets_definitions.json")]
    pub cfg: PathBuf,
    /// Build only these keys of the definition file (repeatable).
    #[arg(short = 'k', long = "keys", value_name = "KEY")]
    pub keys: Vec<String>,
    /// Replace the datasets of the keys built in existing outputs (their
    /// datasets no longer produced are removed; other keys are kept).
    #[arg(short = 'o', long)]
    pub overwrite: bool,
    /// One output per year: `<json_output>_<year>.json`.
    #[arg(short = 's', long = "split-by-year")]
    pub split_by_year: bool,
    /// Threads listing and opening files.
    #[arg(short = 'p', long, default_value_t = 4, value_name = "N")]
    pub parallelize: usize,
    /// Check the filesets already built instead: every file opens and each
    /// dataset holds its `nevents`; the bad files are listed.
    #[arg(long)]
    pub check: bool,
}

fn report(bad: &[BadFile]) -> String {
    bad.iter()
        .map(|b| format!("  {} {}: {}", b.dataset, b.file, b.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the subcommand.
pub fn run(args: &BuildDatasetsArgs) -> Result<()> {
    let opts = Options {
        cfg: args.cfg.clone(),
        keys: args.keys.clone(),
        overwrite: args.overwrite,
        split_by_year: args.split_by_year,
        parallelize: args.parallelize,
    };
    if args.check {
        let mut all_bad = Vec::new();
        for out in cortado_datasets::outputs(&opts).map_err(anyhow::Error::msg)? {
            if !out.exists() {
                bail!(
                    "{} does not exist: build it first (without --check)",
                    out.display()
                );
            }
            let (n, bad) = cortado_datasets::check_fileset(&out, args.parallelize)
                .map_err(anyhow::Error::msg)?;
            println!("{}: {n} files, {} bad", out.display(), bad.len());
            all_bad.extend(bad);
        }
        if !all_bad.is_empty() {
            bail!("{} bad file(s):\n{}", all_bad.len(), report(&all_bad));
        }
        return Ok(());
    }
    let (built, bad) = cortado_datasets::build_all(&opts).map_err(anyhow::Error::msg)?;
    if !bad.is_empty() {
        bail!(
            "{} file(s) or folder(s) cannot be read; nothing was written:\n{}",
            bad.len(),
            report(&bad)
        );
    }
    let written =
        cortado_datasets::write_outputs(&built, opts.overwrite).map_err(anyhow::Error::msg)?;
    for b in &built {
        let events: u64 = b.files.iter().map(|f| f.events).sum();
        println!(
            "{:<40} {:>5} files {:>12} events",
            b.name,
            b.files.len(),
            events
        );
    }
    for w in written {
        println!("wrote {}", w.display());
    }
    Ok(())
}
