//! `cortado check`: validate a configuration against its input files without
//! reading any event, and show what would be read.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use cortado_engine::ext::Extensions;

use crate::output::{emit, wln};

/// Arguments of `cortado check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The analysis configuration (YAML).
    #[arg(long)]
    pub cfg: PathBuf,
}

/// Runs the subcommand.
pub fn run(args: &CheckArgs, ext: &Extensions) -> Result<()> {
    let t0 = std::time::Instant::now();
    let cfg = ext
        .load_config(&args.cfg)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let plans = cortado_engine::run::plan_all(&cfg, ext).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut s = String::new();
    wln!(
        s,
        "configuration {} is valid ({:.3} s)",
        args.cfg.display(),
        t0.elapsed().as_secs_f64()
    );
    wln!(
        s,
        "parameters: defaults + {}",
        cfg.params_files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let cats: Vec<String> = cfg
        .categories
        .expanded()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    wln!(s, "categories ({}): {}", cats.len(), cats.join(", "));
    wln!(
        s,
        "histograms ({}): {}",
        cfg.histograms.len(),
        cfg.histograms
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for p in &plans {
        wln!(
            s,
            "\ndataset {} ({}, {}, year {}, {} files)",
            p.dataset.name,
            p.dataset.sample,
            if p.dataset.is_mc { "MC" } else { "data" },
            p.dataset.year,
            p.dataset.files.len()
        );
        wln!(
            s,
            "  branches read ({}): {}",
            p.branches.len(),
            p.branches.join(" ")
        );
        if let Some(cp) = &p.calib {
            for line in cp.describe() {
                wln!(s, "  calibrated: {line}");
            }
            if !cp.variations.is_empty() {
                let names: Vec<&str> = cp.variations.iter().map(|v| v.name.as_str()).collect();
                wln!(
                    s,
                    "  shape variations ({}): {}",
                    names.len(),
                    names.join(", ")
                );
                let again: Vec<&str> = p
                    .defs
                    .iter()
                    .zip(&p.varies.defs)
                    .filter(|(_, v)| **v)
                    .map(|(d, _)| d.name.as_str())
                    .collect();
                wln!(
                    s,
                    "  evaluated again in each shape variation: {}{}",
                    if again.is_empty() {
                        "nothing".to_string()
                    } else {
                        again.join(", ")
                    },
                    if p.varies.presel {
                        ", the preselection"
                    } else {
                        ""
                    }
                );
            }
        }
        if !p.weights.variations.is_empty() {
            wln!(
                s,
                "  weight variations: {}",
                p.weights
                    .variations
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    emit(&s)?;
    Ok(())
}
