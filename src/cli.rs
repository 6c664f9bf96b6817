//! The command line, for the `cortado` binary and for analysis binaries that
//! add Rust functions and workflow hooks ([`main_with`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cortado_engine::ext::Extensions;

use crate::cmd;

/// Fast declarative CMS NanoAOD analysis (a Rust successor to PocketCoffea).
#[derive(Parser, Debug)]
#[command(name = "cortado", version, about, long_about = None)]
struct Cli {
    /// Number of worker threads (default: all cores).
    #[arg(short = 'j', long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show what is inside a ROOT file: trees, entries, clusters and branches
    /// (type, shape, sizes, compression), or sum branches to cross-check the
    /// reader against uproot or ROOT.
    ///
    /// Examples:
    ///   cortado inspect nano.root
    ///   cortado inspect nano.root --branches 'Muon_*'
    ///   cortado inspect nano.root --tree Runs --json
    ///   cortado inspect nano.root --sum nMuon Muon_pt --json
    #[command(verbatim_doc_comment)]
    Inspect(cmd::inspect::InspectArgs),
    /// Run an analysis: read the datasets of a configuration, select events,
    /// fill histograms, cutflow and sums of weights, and write them with the
    /// parameters and configuration dumps into an output folder.
    ///
    /// Example:
    ///   cortado run --cfg examples/zmumu/analysis.yaml -o zmumu_out
    #[command(verbatim_doc_comment)]
    Run(cmd::run::RunArgs),
    /// Check a configuration against its input files without reading events:
    /// every expression, name and type, and the list of branches to read.
    ///
    /// Example:
    ///   cortado check --cfg examples/zmumu/analysis.yaml
    #[command(verbatim_doc_comment)]
    Check(cmd::check::CheckArgs),
    /// Print an output: a summary, the whole output as JSON (--json, this
    /// project's JSON layout, also written for PocketCoffea outputs by
    /// shared/tools/export_output_json.py), or the histograms as UHI JSON (--uhi).
    ///
    /// Examples:
    ///   cortado dump zmumu_out
    ///   cortado dump zmumu_out --json > output.json
    #[command(verbatim_doc_comment)]
    Dump(cmd::dump::DumpArgs),
    /// Merge outputs: histograms, sums and cutflows added, columns
    /// concatenated, in the order given. Normalised outputs must hold
    /// different datasets (an output is never normalised twice).
    ///
    /// Example:
    ///   cortado merge-outputs OUT/output_*.cortado -o OUT/output_merged.cortado
    #[command(verbatim_doc_comment, name = "merge-outputs")]
    MergeOutputs(cmd::merge::MergeArgs),
    /// Look into a correctionlib file (CMS scale factors, JEC/JER, pileup
    /// weights): list its corrections, or evaluate one.
    ///
    /// Examples:
    ///   cortado correction summary muon_Z.json.gz
    ///   cortado correction eval muon_Z.json.gz NUM_TightID_DEN_TrackerMuons 1.2 40 nominal
    #[command(verbatim_doc_comment)]
    Correction(cmd::correction::CorrectionArgs),
    /// Build fileset JSONs from a PocketCoffea dataset definition file: the
    /// files of each part's local folders, globs or root:// directories,
    /// with their events, under PocketCoffea's dataset names and metadata.
    ///
    /// Examples:
    ///   cortado build-datasets --cfg datasets/datasets_definitions.json
    ///   cortado build-datasets --cfg defs.json -k DYJetsToLL_M-50 -o
    ///   cortado build-datasets --cfg defs.json --check
    #[command(verbatim_doc_comment, name = "build-datasets")]
    BuildDatasets(cmd::datasets::BuildDatasetsArgs),
    /// Draw the histograms of an output as CMS-style plots: stacked MC,
    /// data, uncertainty band and Data/MC ratio, one file per histogram,
    /// year and category, styled by the parameters' `plotting_style`.
    ///
    /// Examples:
    ///   cortado make-plots -i zmumu_out
    ///   cortado make-plots -i zmumu_out -o plots_log --log-y --only-hist 'JetGood_pt'
    ///   cortado make-plots -i zmumu_out --systematics-shifts --format png,svg --overwrite
    #[command(verbatim_doc_comment, name = "make-plots")]
    MakePlots(cmd::plots::MakePlotsArgs),
    /// Bar charts of the cutflow: per year and sample, the events after each
    /// step and in each category (also as a ratio to the initial count), and
    /// the sums of weights per category.
    ///
    /// Example:
    ///   cortado plot-cutflow -i zmumu_out
    #[command(verbatim_doc_comment, name = "plot-cutflow")]
    PlotCutflow(cmd::plots::PlotCutflowArgs),
    /// The local column cache of `cortado run --cache`: what it holds, or
    /// empty it.
    ///
    /// Examples:
    ///   cortado cache stats
    ///   cortado cache clear --dir /scratch/me/cortado-cache
    #[command(verbatim_doc_comment)]
    Cache(cmd::cache::CacheArgs),
    /// One job of a batch run (run by the scheduler).
    #[command(name = "run-job", hide = true)]
    RunJob(cmd::job::JobArgs),
}

/// Runs the `cortado` command line with the functions and workflow hooks of
/// `ext` (a binary without Rust extensions passes `Extensions::default()`).
///
/// ```no_run
/// use cortado::ext::Extensions;
/// fn main() -> std::process::ExitCode {
///     let mut ext = Extensions::default();
///     // ext.functions.add("my_cut", MyCut); ext.workflow = Box::new(MyWorkflow);
///     cortado::cli::main_with(ext)
/// }
/// ```
pub fn main_with(ext: Extensions) -> ExitCode {
    crate::memory::tune_allocator();
    let cli = Cli::parse_from(pocketcoffea_flags(std::env::args_os()));
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(&args),
        Command::Run(args) => cmd::run::run_cmd(&args, &ext),
        Command::Check(args) => cmd::check::run(&args, &ext),
        Command::Dump(args) => cmd::dump::run(&args),
        Command::MergeOutputs(args) => cmd::merge::run(&args),
        Command::Correction(args) => cmd::correction::run(&args),
        Command::BuildDatasets(args) => cmd::datasets::run(&args),
        Command::MakePlots(args) => cmd::plots::run(&args, cli.threads),
        Command::PlotCutflow(args) => cmd::plots::run_cutflow(&args),
        Command::Cache(args) => cmd::cache::run(&args),
        Command::RunJob(args) => cmd::job::run(&args, &ext),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// PocketCoffea's single-dash long flags (`run`: `-ps`, `-ro`, `-lf`, `-lc`;
/// `build-datasets`: `-as`, `-bs`, `-ps`, `-rs`, `-ir`, `-sort`; `make-plots`:
/// `-inp`, `-op`, `-oc`, `-oy`, `-oh`, `-ns`), which its users
/// type from habit, as cortado's `--` flags.
fn pocketcoffea_flags(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const RUN: [(&str, &str); 4] = [
        ("-ps", "--process-separately"),
        ("-ro", "--custom-run-options"),
        ("-lf", "--limit-files"),
        ("-lc", "--limit-chunks"),
    ];
    const DATASETS: [(&str, &str); 6] = [
        ("-sort", "--sort-replicas"),
        ("-as", "--allowlist-sites"),
        ("-bs", "--blocklist-sites"),
        ("-ps", "--prioritylist-sites"),
        ("-rs", "--regex-sites"),
        ("-ir", "--include-redirector"),
    ];
    const PLOTS: [(&str, &str); 6] = [
        ("-inp", "--input"),
        ("-op", "--overwrite-parameters"),
        ("-oc", "--only-cat"),
        ("-oy", "--only-year"),
        ("-oh", "--only-hist"),
        ("-ns", "--no-syst"),
    ];
    let args: Vec<std::ffi::OsString> = args.collect();
    let datasets = args.iter().any(|a| a == "build-datasets");
    let plots = args
        .iter()
        .any(|a| a == "make-plots" || a == "plot-cutflow");
    let flags: &[(&str, &str)] = if datasets {
        &DATASETS
    } else if plots {
        &PLOTS
    } else {
        &RUN
    };
    args.into_iter()
        .map(|a| {
            let Some(s) = a.to_str() else { return a };
            for (short, long) in flags {
                if s == *short {
                    return (*long).into();
                }
                if let Some(v) = s.strip_prefix(short).and_then(|r| r.strip_prefix('=')) {
                    return format!("{long}={v}").into();
                }
            }
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn build_datasets_site_flags_are_translated() {
        let args = [
            "cortado",
            "build-datasets",
            "-as",
            "T2_DE_DESY",
            "-ps",
            "T1_US_FNAL",
            "-ir",
            "-sort",
            "random",
        ]
        .iter()
        .map(std::ffi::OsString::from);
        let out: Vec<String> = super::pocketcoffea_flags(args)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            out,
            [
                "cortado",
                "build-datasets",
                "--allowlist-sites",
                "T2_DE_DESY",
                "--prioritylist-sites",
                "T1_US_FNAL",
                "--include-redirector",
                "--sort-replicas",
                "random"
            ]
        );
    }

    #[test]
    fn pocketcoffea_flags_are_translated() {
        let args = [
            "cortado",
            "run",
            "-ps",
            "-ro=ro.yaml",
            "-lf",
            "2",
            "-s",
            "4",
            "-pse",
        ]
        .iter()
        .map(std::ffi::OsString::from);
        let out: Vec<String> = super::pocketcoffea_flags(args)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            out,
            [
                "cortado",
                "run",
                "--process-separately",
                "--custom-run-options=ro.yaml",
                "--limit-files",
                "2",
                "-s",
                "4",
                "-pse"
            ]
        );
    }
}
