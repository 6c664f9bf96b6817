//! Running an analysis locally: datasets → files → chunks (aligned to ROOT
//! clusters), processed in parallel, merged in a fixed order (so the result
//! does not depend on the number of threads), then normalised.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cortado_config::AnalysisConfig;
use cortado_expr::value::ColumnData;
use cortado_root::RootFile;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::ext::{Extensions, Workflow};
use crate::output::Output;
use crate::plan::{plan_dataset, DatasetPlan, WeightTerm};
use crate::process::process_chunk;

/// Options of a run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Target number of entries per chunk (chunks follow cluster boundaries).
    pub chunksize: u64,
    /// Keep only the first N files of each dataset.
    pub limit_files: Option<usize>,
    /// Keep only the first N chunks of each dataset.
    pub limit_chunks: Option<usize>,
    /// Process chunks one after the other (`iterative`) instead of in parallel.
    pub sequential: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            chunksize: 150_000,
            limit_files: None,
            limit_chunks: None,
            sequential: false,
        }
    }
}

/// One unit of work.
#[derive(Clone, Debug)]
pub struct Chunk {
    /// Index of the dataset plan.
    pub plan: usize,
    /// File path.
    pub file: String,
    /// Entry range.
    pub entries: Range<u64>,
}

/// Counts for the final table.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Events read.
    pub events: u64,
    /// Events after the skim.
    pub skimmed: u64,
    /// Events after the preselection.
    pub preselected: u64,
    /// Chunks processed.
    pub chunks: usize,
    /// Wall time of the event loop (seconds).
    pub seconds: f64,
    /// Per dataset: events and seconds spent on its chunks (summed over threads).
    pub per_dataset: BTreeMap<String, (u64, f64)>,
}

/// Splits a file into chunks of about `chunksize` entries along its clusters.
pub fn chunks_of_file(path: &str, chunksize: u64) -> Result<Vec<Range<u64>>, String> {
    let f = RootFile::open(path).map_err(|e| e.to_string())?;
    let t = f.tree("Events").map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut start = None;
    for c in t.clusters() {
        let s = *start.get_or_insert(c.start);
        if c.end - s >= chunksize {
            out.push(s..c.end);
            start = None;
        }
    }
    if let Some(s) = start {
        out.push(s..t.entries());
    }
    Ok(out)
}

/// Plans every dataset of the configuration.
pub fn plan_all(cfg: &AnalysisConfig, ext: &Extensions) -> Result<Vec<DatasetPlan>, String> {
    cfg.datasets
        .iter()
        .map(|d| plan_dataset(cfg, d, ext).map_err(|e| e.to_string()))
        .collect()
}

/// The work list: chunks of every file of every dataset, in a fixed order.
pub fn work_list(plans: &[DatasetPlan], opts: &RunOptions) -> Result<Vec<Chunk>, String> {
    let mut work = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let files = &p.dataset.files[..opts
            .limit_files
            .unwrap_or(usize::MAX)
            .min(p.dataset.files.len())];
        let mut n = 0;
        'files: for f in files {
            for r in chunks_of_file(f, opts.chunksize)
                .map_err(|e| format!("dataset {}: {e}", p.dataset.name))?
            {
                if opts.limit_chunks.is_some_and(|l| n >= l) {
                    break 'files;
                }
                work.push(Chunk {
                    plan: i,
                    file: f.clone(),
                    entries: r,
                });
                n += 1;
            }
        }
    }
    Ok(work)
}

/// Reads the branches of a chunk and processes it.
pub fn run_chunk(plan: &DatasetPlan, chunk: &Chunk, wf: &dyn Workflow) -> Result<Output, String> {
    let f = RootFile::open(&chunk.file).map_err(|e| e.to_string())?;
    let t = f.tree("Events").map_err(|e| e.to_string())?;
    let names: Vec<&str> = plan.branches.iter().map(String::as_str).collect();
    for n in &names {
        if t.branch(n).is_none() {
            return Err(format!(
                "{}: branch '{n}' needed by the analysis is missing",
                chunk.file
            ));
        }
    }
    let cols = t
        .read(&names, chunk.entries.clone())
        .map_err(|e| e.to_string())?;
    let n = (chunk.entries.end - chunk.entries.start) as usize;
    let map: HashMap<String, cortado_columns::Column> =
        plan.branches.iter().cloned().zip(cols).collect();
    let raw = Arc::new(ColumnData::new(n, map));
    process_chunk(plan, raw, wf).map_err(|e| {
        format!(
            "{} entries {}..{}: {e}",
            chunk.file, chunk.entries.start, chunk.entries.end
        )
    })
}

/// Runs the whole analysis (with the workflow hooks of `wf`); `progress` is
/// called after each chunk with the number of events done.
pub fn run(
    cfg: &AnalysisConfig,
    plans: &[DatasetPlan],
    opts: &RunOptions,
    wf: &dyn Workflow,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Output, RunStats), String> {
    let work = work_list(plans, opts)?;
    let total: u64 = work.iter().map(|c| c.entries.end - c.entries.start).sum();
    let done = AtomicU64::new(0);
    let t0 = Instant::now();
    let one = |c: &Chunk| -> Result<(Output, f64), String> {
        let t = Instant::now();
        let o = run_chunk(&plans[c.plan], c, wf)?;
        let d = done.fetch_add(c.entries.end - c.entries.start, Ordering::Relaxed) + c.entries.end
            - c.entries.start;
        progress(d, total);
        Ok((o, t.elapsed().as_secs_f64()))
    };
    let results: Vec<Result<(Output, f64), String>> = if opts.sequential {
        work.iter().map(one).collect()
    } else {
        work.par_iter().map(one).collect()
    };
    let mut out = Output::new();
    let mut stats = RunStats {
        chunks: work.len(),
        ..Default::default()
    };
    for (c, r) in work.iter().zip(results) {
        let (o, secs) = r?;
        let ds = &plans[c.plan].dataset.name;
        let e = stats.per_dataset.entry(ds.clone()).or_default();
        e.0 += c.entries.end - c.entries.start;
        e.1 += secs;
        out.merge(&o)?;
    }
    stats.seconds = t0.elapsed().as_secs_f64();
    stats.events = out.cutflow.initial.values().sum();
    stats.skimmed = out.cutflow.skim.values().sum();
    stats.preselected = out
        .cutflow
        .presel
        .values()
        .flat_map(|m| m.get("nominal"))
        .sum();
    out.datasets_metadata = datasets_metadata(cfg);
    let scales = normalisation(plans, &out);
    out.postprocess(&scales)?;
    Ok((out, stats))
}

/// PocketCoffea's `datasets_metadata`: datasets by year and sample, and the
/// metadata of each dataset (as strings).
pub fn datasets_metadata(cfg: &AnalysisConfig) -> Value {
    let mut by_period: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut by_dataset = serde_json::Map::new();
    for d in &cfg.datasets {
        let names: Vec<String> = match cfg.subsamples.get(&d.sample) {
            Some(subs) => subs
                .iter()
                .map(|(n, _)| format!("{}__{n}", d.sample))
                .collect(),
            None => vec![d.sample.clone()],
        };
        for n in names {
            by_period
                .entry(d.year.clone())
                .or_default()
                .entry(n)
                .or_default()
                .push(d.name.clone());
        }
        by_dataset.insert(d.name.clone(), json!(d.metadata));
    }
    json!({"by_datataking_period": by_period, "by_dataset": by_dataset})
}

/// The 1/Σ genWeight (or 1/Σ sign) scale of each simulated dataset whose
/// sample applies that weight.
pub fn normalisation(plans: &[DatasetPlan], out: &Output) -> BTreeMap<String, f64> {
    let mut scales = BTreeMap::new();
    for p in plans.iter().filter(|p| p.dataset.is_mc) {
        let ds = &p.dataset.name;
        let has = |name: &str| p.weights.inclusive.iter().any(|t| t.name() == name);
        let s = if has("genWeight") {
            out.sum_genweights.get(ds).copied()
        } else if has("signOf_genWeight") {
            out.sum_signof_genweights.get(ds).copied()
        } else {
            None
        };
        if let Some(s) = s {
            scales.insert(ds.clone(), 1.0 / s.value());
        }
        let _ = WeightTerm::GenWeight;
    }
    scales
}
