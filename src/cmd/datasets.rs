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
    /// DAS datasets: also write `<json_output>_local.json` with this prefix
    /// before each LFN (a local copy; the definition's `storage_prefix`
    /// does the same).
    #[arg(short = 'l', long = "local-prefix", value_name = "PREFIX")]
    pub local_prefix: Option<String>,
    /// DAS datasets: take replicas only from these sites (`-as`; repeatable
    /// or comma-separated).
    #[arg(long = "allowlist-sites", value_delimiter = ',', value_name = "SITE")]
    pub allowlist_sites: Vec<String>,
    /// DAS datasets: never from these sites (`-bs`; `T1_US_FNAL` also blocks
    /// `T1_US_FNAL_Disk`).
    #[arg(long = "blocklist-sites", value_delimiter = ',', value_name = "SITE")]
    pub blocklist_sites: Vec<String>,
    /// DAS datasets: these sites first, in this order (`-ps`).
    #[arg(
        long = "prioritylist-sites",
        value_delimiter = ',',
        value_name = "SITE"
    )]
    pub prioritylist_sites: Vec<String>,
    /// DAS datasets: only sites whose name this regular expression finds
    /// (`-rs`, e.g. 'T[123]_(DE|IT|CH)_\w+').
    #[arg(long = "regex-sites", value_name = "REGEX")]
    pub regex_sites: Option<String>,
    /// DAS datasets: a file no allowed site has is read through the global
    /// redirector instead of failing (`-ir`).
    #[arg(long = "include-redirector")]
    pub include_redirector: bool,
    /// DAS datasets: how Rucio sorts the replicas (`-sort`: geoip,
    /// custom_table, random; `priority` sends none and relies on -ps).
    #[arg(long = "sort-replicas", default_value = "geoip", value_name = "SORT")]
    pub sort_replicas: String,
    /// DAS datasets: copy the files into the local prefix (`-l` or the
    /// definition's `storage_prefix`) as `<prefix>/<LFN>`, from the sites
    /// chosen; resumable, and checked against DBS's Adler-32.
    #[arg(short = 'd', long)]
    pub download: bool,
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
        local_prefix: args.local_prefix.clone(),
        sites: cortado_datasets::SiteFilter {
            allow: args.allowlist_sites.clone(),
            block: args.blocklist_sites.clone(),
            priority: args.prioritylist_sites.clone(),
            regex: args
                .regex_sites
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--regex-sites: {e}"))?,
            include_redirector: args.include_redirector,
            sort: Some(args.sort_replicas.clone()),
        },
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
    let keys = cortado_datasets::all_keys(&opts).map_err(anyhow::Error::msg)?;
    let written = cortado_datasets::write_outputs(&built, &keys, opts.overwrite)
        .map_err(anyhow::Error::msg)?;
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
    if args.download {
        download(&built, args.parallelize)?;
    }
    Ok(())
}

/// `--download`: every DAS file of `built` under its local prefix.
fn download(built: &[cortado_datasets::Built], threads: usize) -> Result<()> {
    use cortado_datasets::download::Copy;
    let mut all_bad = Vec::new();
    for b in built.iter().filter(|b| !b.downloads.is_empty()) {
        let Some(prefix) = &b.local_prefix else {
            bail!(
                "--download of {}: no local prefix (give -l PREFIX or the definition's storage_prefix)",
                b.name
            );
        };
        let (done, bad) = cortado_datasets::download::download(&b.downloads, prefix, threads)
            .map_err(anyhow::Error::msg)?;
        let count = |c: Copy| done.iter().filter(|&&d| d == c).count();
        println!(
            "{}: {} copied, {} resumed, {} already there, {} failed (into {prefix})",
            b.name,
            count(Copy::Copied),
            count(Copy::Resumed),
            count(Copy::Kept),
            bad.len()
        );
        all_bad.extend(bad.into_iter().map(|(file, reason)| BadFile {
            dataset: b.name.clone(),
            file,
            reason,
        }));
    }
    if !all_bad.is_empty() {
        bail!(
            "{} file(s) were not copied:\n{}",
            all_bad.len(),
            report(&all_bad)
        );
    }
    Ok(())
}
