//! `cortado make-plots` and `cortado plot-cutflow`: argument parsing and
//! printing; the work is `cortado_plot::run`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Args;
use cortado_plot::cutflow::{plot_cutflow, CutflowOptions};
use cortado_plot::output::Format;
use cortado_plot::run::{make_plots, PlotOptions};
use regex::Regex;

use crate::output::{emit, wln};

/// Arguments of `cortado make-plots`.
#[derive(Args, Debug)]
pub struct MakePlotsArgs {
    /// The run's output folder (its output_all.cortado and parameters_dump.yaml),
    /// or an output file.
    #[arg(
        short = 'i',
        long = "input",
        visible_alias = "input-dir",
        value_name = "OUTDIR",
        default_value = "."
    )]
    pub input: PathBuf,
    /// Folder for the plots (default: OUTDIR/plots).
    #[arg(short = 'o', long = "outputdir", value_name = "DIR")]
    pub outputdir: Option<PathBuf>,
    /// Parameters file with `plotting_style` (default: OUTDIR/parameters_dump.yaml).
    #[arg(long)]
    pub cfg: Option<PathBuf>,
    /// Parameter YAML files merged over it (PocketCoffea's -op), in order.
    #[arg(long = "overwrite-parameters", value_name = "YAML", num_args = 1..)]
    pub overwrite_parameters: Vec<PathBuf>,
    /// Only these categories.
    #[arg(long = "only-cat", value_name = "CAT", num_args = 1..)]
    pub only_cat: Vec<String>,
    /// Only these data-taking periods.
    #[arg(long = "only-year", value_name = "YEAR", num_args = 1..)]
    pub only_year: Vec<String>,
    /// Only histograms whose name matches this regular expression.
    #[arg(long = "only-hist", value_name = "REGEX")]
    pub only_hist: Option<String>,
    /// Leave out histograms whose name matches this regular expression.
    #[arg(short = 'e', long = "exclude-hist", value_name = "REGEX")]
    pub exclude_hist: Option<String>,
    /// Logarithmic y axis (files prefixed logy_).
    #[arg(long = "log-y", alias = "log")]
    pub log_y: bool,
    /// Logarithmic x axis (files prefixed logx_).
    #[arg(long = "log-x")]
    pub log_x: bool,
    /// Normalise to unit area (y per unit of x).
    #[arg(long)]
    pub density: bool,
    /// No Data/MC ratio panel.
    #[arg(long = "no-ratio")]
    pub no_ratio: bool,
    /// No uncertainty band.
    #[arg(long = "no-syst")]
    pub no_syst: bool,
    /// Image formats, comma-separated: png, svg, pdf.
    #[arg(long, default_value = "png", value_delimiter = ',')]
    pub format: Vec<String>,
    /// Parallel workers (default: the global -j, else all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Write into a plot folder that already has files.
    #[arg(long, alias = "over")]
    pub overwrite: bool,
    /// Also plot each systematic: nominal, up and down of the MC total, with their ratio.
    #[arg(long = "systematics-shifts")]
    pub systematics_shifts: bool,
    /// Compare with another output: each sample of both overlaid, with the
    /// ratio Other / Ref (files compare_*), instead of data/MC plots.
    #[arg(long, value_name = "OTHER_OUTDIR")]
    pub compare: Option<PathBuf>,
}

fn regex(flag: &str, r: &Option<String>) -> Result<Option<Regex>> {
    r.as_deref()
        .map(|s| Regex::new(s).map_err(|e| anyhow!("{flag} '{s}': {e}")))
        .transpose()
}

/// Runs `make-plots`.
pub fn run(args: &MakePlotsArgs, threads: Option<usize>) -> Result<()> {
    let mut o = PlotOptions::new(&args.input);
    o.outdir = args.outputdir.clone();
    o.cfg = args.cfg.clone();
    o.overwrite_parameters = args.overwrite_parameters.clone();
    o.only_cat = args.only_cat.clone();
    o.only_year = args.only_year.clone();
    o.only_hist = regex("--only-hist", &args.only_hist)?;
    o.exclude_hist = regex("--exclude-hist", &args.exclude_hist)?;
    o.log_x = args.log_x;
    o.log_y = args.log_y;
    o.density = args.density;
    o.no_ratio = args.no_ratio;
    o.no_syst = args.no_syst;
    o.formats = args
        .format
        .iter()
        .map(|f| Format::parse(f))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    o.workers = args
        .workers
        .or(threads)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    o.overwrite = args.overwrite;
    o.systematics_shifts = args.systematics_shifts;
    o.compare = args.compare.clone();
    let t = std::time::Instant::now();
    let s = make_plots(&o).map_err(anyhow::Error::msg)?;
    let mut out = String::new();
    for n in &s.notes {
        wln!(out, "note: {n}");
    }
    wln!(
        out,
        "{} plots of {} histograms in {} ({:.2} s)",
        s.files.len(),
        s.histograms,
        s.outdir.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(emit(&out)?)
}

/// Arguments of `cortado plot-cutflow`.
#[derive(Args, Debug)]
pub struct PlotCutflowArgs {
    /// The run's output folder, or an output file.
    #[arg(
        short = 'i',
        long = "input",
        visible_alias = "input-file",
        value_name = "OUTDIR",
        default_value = "."
    )]
    pub input: PathBuf,
    /// Folder for the plots (default: OUTDIR/cutflow_plots).
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Steps or categories to leave out (initial, skim, presel or a category).
    #[arg(long = "exclude-categories", value_name = "CAT", num_args = 1..)]
    pub exclude_categories: Vec<String>,
    /// Only these samples.
    #[arg(long = "only-samples", value_name = "SAMPLE", num_args = 1..)]
    pub only_samples: Vec<String>,
    /// Image formats, comma-separated: png, svg, pdf.
    #[arg(
        long,
        visible_alias = "output-format",
        default_value = "png",
        value_delimiter = ','
    )]
    pub format: Vec<String>,
    /// Logarithmic y axis.
    #[arg(long = "log-y")]
    pub log_y: bool,
    /// Write into a folder that already has files.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `plot-cutflow`.
pub fn run_cutflow(args: &PlotCutflowArgs) -> Result<()> {
    let o = CutflowOptions {
        input: args.input.clone(),
        outdir: args.output_dir.clone(),
        exclude_categories: args.exclude_categories.clone(),
        only_samples: args.only_samples.clone(),
        formats: args
            .format
            .iter()
            .map(|f| Format::parse(f))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        log_y: args.log_y,
        overwrite: args.overwrite,
    };
    let s = plot_cutflow(&o).map_err(anyhow::Error::msg)?;
    let mut out = String::new();
    wln!(
        out,
        "{} cutflow plots in {}",
        s.files.len(),
        s.outdir.display()
    );
    Ok(emit(&out)?)
}
