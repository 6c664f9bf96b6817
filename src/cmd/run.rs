//! `cortado run`: run an analysis configuration over its datasets.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use cortado_engine::ext::Extensions;
use cortado_engine::run::{plan_all, run, RunOptions};

use crate::output::emit;

/// Arguments of `cortado run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The analysis configuration (YAML).
    #[arg(long)]
    pub cfg: PathBuf,
    /// Output folder (created if missing).
    #[arg(short = 'o', long = "outputdir")]
    pub outputdir: PathBuf,
    /// iterative (one chunk at a time) or futures (all cores).
    #[arg(short = 'e', long, default_value = "futures")]
    pub executor: String,
    /// Number of worker threads for the futures executor (default: all cores).
    #[arg(short = 's', long)]
    pub scaleout: Option<usize>,
    /// Entries per chunk (chunks follow the files' clusters).
    #[arg(short = 'c', long, default_value_t = 150_000)]
    pub chunksize: u64,
    /// Only the first N files of each dataset.
    #[arg(long = "limit-files", visible_alias = "lf")]
    pub limit_files: Option<usize>,
    /// Only the first N chunks of each dataset.
    #[arg(long = "limit-chunks", visible_alias = "lc")]
    pub limit_chunks: Option<usize>,
    /// Quick test: 2 files and 2 chunks per dataset.
    #[arg(short = 't', long)]
    pub test: bool,
}

/// Runs the subcommand.
pub fn run_cmd(args: &RunArgs, ext: &Extensions) -> Result<()> {
    let t0 = Instant::now();
    let cfg = cortado_config::load(&args.cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
    let plans = plan_all(&cfg, ext).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t_plan = t0.elapsed().as_secs_f64();
    let sequential = match args.executor.as_str() {
        "iterative" => true,
        "futures" => false,
        other => bail!("unknown executor '{other}' (iterative, futures)"),
    };
    if let Some(s) = args.scaleout {
        if !sequential {
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(s.max(1))
                .build_global();
        }
    }
    if sequential {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    }
    let opts = RunOptions {
        chunksize: args.chunksize.max(1),
        limit_files: if args.test {
            Some(args.limit_files.unwrap_or(2))
        } else {
            args.limit_files
        },
        limit_chunks: if args.test {
            Some(args.limit_chunks.unwrap_or(2))
        } else {
            args.limit_chunks
        },
        sequential,
    };
    std::fs::create_dir_all(&args.outputdir)
        .with_context(|| format!("cannot create {}", args.outputdir.display()))?;
    let log = Mutex::new(
        std::fs::File::create(args.outputdir.join("logfile.log"))
            .context("cannot write logfile.log")?,
    );
    let logln = |s: &str| {
        eprintln!("{s}");
        if let Ok(mut f) = log.lock() {
            let _ = writeln!(f, "{s}");
        }
    };
    logln(&format!(
        "cortado {} — configuration {}",
        env!("CARGO_PKG_VERSION"),
        args.cfg.display()
    ));
    for p in &plans {
        logln(&format!(
            "dataset {} (sample {}, {}, {} files): reads {} branches",
            p.dataset.name,
            p.dataset.sample,
            if p.dataset.is_mc { "MC" } else { "data" },
            p.dataset.files.len(),
            p.branches.len()
        ));
    }
    cortado_engine::output::write_atomic(
        &args.outputdir.join("parameters_dump.yaml"),
        cfg.params.to_yaml().as_bytes(),
    )
    .map_err(anyhow::Error::msg)?;
    let config_json = config_dump(&cfg, &plans);
    cortado_engine::output::write_atomic(
        &args.outputdir.join("config.json"),
        serde_json::to_string_pretty(&config_json)?.as_bytes(),
    )
    .map_err(anyhow::Error::msg)?;
    let last = Mutex::new(Instant::now());
    let progress = |done: u64, total: u64| {
        if let Ok(mut l) = last.lock() {
            if l.elapsed().as_secs_f64() > 2.0 || done == total {
                *l = Instant::now();
                eprintln!(
                    "  processed {done}/{total} events ({:.0}%)",
                    100.0 * done as f64 / total.max(1) as f64
                );
            }
        }
    };
    let (out, stats) =
        run(&cfg, &plans, &opts, ext.workflow.as_ref(), &progress).map_err(anyhow::Error::msg)?;
    let out_path = args.outputdir.join("output_all.cortado");
    out.write(&out_path).map_err(anyhow::Error::msg)?;
    let workers = if sequential {
        1
    } else {
        rayon::current_num_threads()
    };
    let mut table = String::new();
    table.push_str(&format!(
        "\n{:<32} {:>12} {:>14} {:>18}\n",
        "dataset", "events", "events/s", "events/s/worker"
    ));
    for (ds, (n, secs)) in &stats.per_dataset {
        let eps = *n as f64 / secs.max(1e-9);
        table.push_str(&format!(
            "{:<32} {:>12} {:>14.0} {:>18.0}\n",
            ds,
            n,
            eps * workers as f64 / workers as f64,
            eps
        ));
    }
    let eps = stats.events as f64 / stats.seconds.max(1e-9);
    table.push_str(&format!(
        "{:<32} {:>12} {:>14.0} {:>18.0}\n",
        "Total",
        stats.events,
        eps,
        eps / workers as f64
    ));
    table.push_str(&format!(
        "{:<32} {:>12}\n{:<32} {:>12}\n",
        "Skimmed", stats.skimmed, "Preselected", stats.preselected
    ));
    table.push_str(&format!(
        "\n{} chunks on {workers} worker(s); event loop {:.2} s, configuration and planning {:.3} s\n",
        stats.chunks, stats.seconds, t_plan
    ));
    table.push_str(&format!("outputs in {}:\n  output_all.cortado  (cortado dump {} --json)\n  config.json\n  parameters_dump.yaml\n  logfile.log\n", args.outputdir.display(), out_path.display()));
    logln(&table);
    emit("").ok();
    Ok(())
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
