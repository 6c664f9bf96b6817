//! `cortado merge-outputs`: adds outputs together (histograms and sums added,
//! cutflows added, columns concatenated, metadata united), one input at a
//! time, in the order given (directories: their `output_*.cortado`, sorted).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use cortado_engine::runner::outdir::{output_files, read_checked};
use cortado_engine::Output;

/// Arguments of `cortado merge-outputs`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Output files, or run folders (their output_*.cortado files).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The merged output file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

/// The input files: files as given, folders expanded.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in inputs {
        files.extend(output_files(p).map_err(anyhow::Error::msg)?);
    }
    Ok(files)
}

/// Runs the subcommand.
pub fn run(args: &MergeArgs) -> Result<()> {
    let files = expand(&args.inputs)?;
    if files.iter().any(|f| f == &args.output) {
        bail!("{} is also an input", args.output.display());
    }
    let mut merged: Option<Output> = None;
    for f in &files {
        let o = read_checked(f).map_err(anyhow::Error::msg)?;
        match merged.as_mut() {
            None => merged = Some(o),
            Some(m) => m
                .merge(&o)
                .map_err(|e| anyhow::anyhow!("{}: cannot be merged: {e}", f.display()))?,
        }
    }
    let Some(m) = merged else {
        bail!("no input");
    };
    m.write(&args.output).map_err(anyhow::Error::msg)?;
    eprintln!(
        "merged {} outputs ({} datasets, {}) into {}",
        files.len(),
        m.cutflow.initial.len(),
        if m.scaled.is_some() {
            "normalised"
        } else {
            "not normalised"
        },
        args.output.display()
    );
    Ok(())
}
