//! Running an analysis locally: datasets → files → chunks (aligned to ROOT
//! clusters), processed in parallel, merged in a fixed order (so the result
//! does not depend on the number of threads), then normalised.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use cortado_config::AnalysisConfig;
use cortado_expr::value::ColumnData;
use cortado_root::RootFile;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::ext::{Extensions, Workflow};
use crate::identity::FileIdentity;
use crate::local::Progress;
use crate::output::provenance::Provenance;
use crate::output::Output;
use crate::plan::{plan_dataset, DatasetPlan, WeightTerm};
use crate::process::process_chunk;
use crate::read::Reader;
use cortado_cache::ColumnCache;
use serde::{Deserialize, Serialize};

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
    /// Record files and chunks that cannot be read and go on without them.
    pub skip_bad_files: bool,
    /// How many times a chunk that failed with an I/O error is tried again.
    pub retries: u32,
    /// Benchmark of the floor: read and decompress the branches the analysis
    /// needs, process nothing (the output holds only the event counts).
    pub read_only: bool,
    /// The column cache (`--cache`): decompressed columns kept between runs.
    pub cache: Option<Arc<ColumnCache>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            chunksize: 150_000,
            limit_files: None,
            limit_chunks: None,
            sequential: false,
            skip_bad_files: false,
            retries: 2,
            read_only: false,
            cache: None,
        }
    }
}

/// A file or chunk that could not be processed (recorded with `--skip-bad-files`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The dataset.
    pub dataset: String,
    /// The file.
    pub file: String,
    /// The entry range, or `None` when the file itself cannot be opened.
    pub entries: Option<(u64, u64)>,
    /// What went wrong.
    pub error: String,
    /// How many times it was tried.
    pub attempts: u32,
}

/// Why a chunk failed.
#[derive(Clone, Debug)]
pub struct ChunkError {
    /// The message (file, entries, branch, basket, offset where known).
    pub message: String,
    /// Whether trying again may help (an I/O error of the source).
    pub transient: bool,
}

impl ChunkError {
    /// An error that trying again cannot mend.
    pub fn permanent(message: String) -> ChunkError {
        ChunkError {
            message,
            transient: false,
        }
    }
}

impl From<cortado_root::Error> for ChunkError {
    fn from(e: cortado_root::Error) -> ChunkError {
        ChunkError {
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
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
    /// The file as it was when the run was planned: reading a chunk checks
    /// that the file is still the same.
    pub identity: FileIdentity,
}

/// Counts for the final table.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Events read by this run (not counting chunks resumed from checkpoints).
    pub events: u64,
    /// Events after the skim (whole output).
    pub skimmed: u64,
    /// Events after the preselection (whole output).
    pub preselected: u64,
    /// Chunks processed by this run.
    pub chunks: usize,
    /// Chunks taken from the checkpoints of an interrupted run.
    pub chunks_resumed: usize,
    /// Events of those chunks.
    pub events_resumed: u64,
    /// Wall time of the event loop (seconds).
    pub seconds: f64,
    /// Per dataset: events and seconds spent on its chunks (summed over threads).
    pub per_dataset: BTreeMap<String, (u64, f64)>,
}

impl RunStats {
    /// The counts of an output made before (nothing processed by this run).
    pub fn of_output(out: &Output) -> RunStats {
        RunStats {
            skimmed: out.cutflow.skim.values().sum(),
            preselected: out
                .cutflow
                .presel
                .values()
                .flat_map(|m| m.get("nominal"))
                .sum(),
            ..Default::default()
        }
    }
}

/// Calls `f` until it succeeds, fails with an error `transient` says is
/// not worth another try, or has been tried `retries` times after the
/// first; waits longer after each failure. Returns the result and the
/// number of attempts.
pub fn with_retries<T, E>(
    retries: u32,
    transient: impl Fn(&E) -> bool,
    mut f: impl FnMut() -> Result<T, E>,
) -> (Result<T, E>, u32) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match f() {
            Err(e) if transient(&e) && attempts <= retries => {
                std::thread::sleep(std::time::Duration::from_millis(500 * u64::from(attempts)));
            }
            r => return (r, attempts),
        }
    }
}

/// Splits a file into chunks of about `chunksize` entries along its
/// clusters; also gives the file's identity. An I/O error is tried again
/// `retries` times, as chunk reads are.
pub fn chunks_of_file(
    path: &str,
    chunksize: u64,
    retries: u32,
) -> Result<(Vec<Range<u64>>, FileIdentity), String> {
    chunks_of(&|| RootFile::open_shared(path), path, chunksize, retries)
}

/// [`chunks_of_file`] of the file `open` opens.
fn chunks_of(
    open: &dyn Fn() -> Result<std::sync::Arc<RootFile>, cortado_root::Error>,
    path: &str,
    chunksize: u64,
    retries: u32,
) -> Result<(Vec<Range<u64>>, FileIdentity), String> {
    let once = || -> Result<_, cortado_root::Error> {
        let f = open()?;
        let t = f.tree("Events").map_err(|e| e.in_file(path))?;
        let ranges = group_clusters(&t.clusters(), 0..t.entries(), chunksize);
        Ok((ranges, FileIdentity::of(&f)))
    };
    match with_retries(retries, cortado_root::Error::is_transient, once) {
        (Ok(r), _) => Ok(r),
        (Err(e), 1) => Err(e.to_string()),
        (Err(e), n) => Err(format!("{e} (after {n} attempts)")),
    }
}

/// The entries `range` cut into consecutive pieces of at least `size`
/// entries (the last one may be smaller) that start and end on cluster
/// boundaries, where the clusters allow.
pub fn group_clusters(clusters: &[Range<u64>], range: Range<u64>, size: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for c in clusters {
        let end = c.end.min(range.end);
        if end > start && end - start >= size {
            out.push(start..end);
            start = end;
        }
    }
    if start < range.end {
        out.push(start..range.end);
    }
    out
}

/// Events processed as one batch: a chunk is read and processed in batches
/// of about this size (along clusters), in parallel when threads are free.
/// Small enough that a batch's columns stay in the CPU caches and that idle
/// threads can share the last chunks of a run; large enough that the
/// per-batch costs do not show. The result does not depend on it: batches
/// are merged in order with exact sums, as chunks are.
pub const BATCH_EVENTS: u64 = 50_000;

/// Plans every dataset of the configuration.
pub fn plan_all(cfg: &AnalysisConfig, ext: &Extensions) -> Result<Vec<DatasetPlan>, String> {
    cfg.datasets
        .iter()
        .map(|d| plan_dataset(cfg, d, ext).map_err(|e| e.to_string()))
        .collect()
}

/// The work list: chunks of every file of every dataset, in a fixed order.
/// Files that cannot be opened stop the run, or with `skip_bad_files` are
/// returned as failures.
pub fn work_list(
    plans: &[DatasetPlan],
    opts: &RunOptions,
) -> Result<(Vec<Chunk>, Vec<Failure>), String> {
    let mut work = Vec::new();
    let mut failures = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let files = &p.dataset.files[..opts
            .limit_files
            .unwrap_or(usize::MAX)
            .min(p.dataset.files.len())];
        let mut n = 0;
        'files: for f in files {
            let (ranges, identity) = match chunks_of_file(f, opts.chunksize, opts.retries) {
                Ok(r) => r,
                Err(e) if opts.skip_bad_files => {
                    failures.push(Failure {
                        dataset: p.dataset.name.clone(),
                        file: f.clone(),
                        entries: None,
                        error: e,
                        attempts: 1,
                    });
                    continue;
                }
                Err(e) => {
                    return Err(format!(
                        "dataset {}: {e} (--skip-bad-files goes on without it)",
                        p.dataset.name
                    ))
                }
            };
            for r in ranges {
                if opts.limit_chunks.is_some_and(|l| n >= l) {
                    break 'files;
                }
                work.push(Chunk {
                    plan: i,
                    file: f.clone(),
                    entries: r,
                    identity: identity.clone(),
                });
                n += 1;
            }
        }
    }
    Ok((work, failures))
}

/// Reads the branches of a chunk and processes it.
pub fn run_chunk(
    plan: &DatasetPlan,
    chunk: &Chunk,
    wf: &dyn Workflow,
    opts: &RunOptions,
) -> Result<Output, ChunkError> {
    let at = |e: ChunkError| ChunkError {
        message: format!(
            "{} entries {}..{}: {}",
            chunk.file, chunk.entries.start, chunk.entries.end, e.message
        ),
        transient: e.transient,
    };
    let f = RootFile::open_shared(&chunk.file).map_err(|e| at(e.into()))?;
    if let Some(d) = chunk.identity.differences(&FileIdentity::of(&f)) {
        return Err(at(ChunkError::permanent(format!(
            "the file changed since the run was planned ({d}); start the run again"
        ))));
    }
    let reader = Reader::new(opts.cache.as_deref(), &chunk.file, &chunk.identity);
    let mut merged =
        process_entries_with(plan, &f, chunk.entries.clone(), wf, opts.read_only, &reader)
            .map_err(at)?;
    merged.provenance = Provenance::chunk(
        &plan.dataset.name,
        &chunk.file,
        &chunk.identity,
        [chunk.entries.start, chunk.entries.end],
    );
    Ok(merged)
}

/// Reads `entries` of the `Events` tree of an open file in batches along
/// its clusters and processes them with `plan` (in parallel when threads
/// are free), merged in order. Errors carry no file or entry prefix.
pub fn process_entries(
    plan: &DatasetPlan,
    f: &RootFile,
    entries: Range<u64>,
    wf: &dyn Workflow,
    read_only: bool,
) -> Result<Output, ChunkError> {
    let reader = Reader::new(None, "", &FileIdentity::of(f));
    process_entries_with(plan, f, entries, wf, read_only, &reader)
}

/// [`process_entries`], reading through the column cache of `reader`.
fn process_entries_with(
    plan: &DatasetPlan,
    f: &RootFile,
    entries: Range<u64>,
    wf: &dyn Workflow,
    read_only: bool,
    reader: &Reader<'_>,
) -> Result<Output, ChunkError> {
    let t = f.tree("Events")?;
    let names: Vec<&str> = plan.branches.iter().map(String::as_str).collect();
    if let Some(n) = names.iter().find(|n| t.branch(n).is_none()) {
        return Err(ChunkError::permanent(format!(
            "branch '{n}' needed by the analysis is missing"
        )));
    }
    let mut batches = group_clusters(&t.clusters(), entries.clone(), BATCH_EVENTS);
    if batches.is_empty() {
        batches.push(entries); // an empty chunk still reports its dataset
    }
    let outputs: Vec<Result<Output, ChunkError>> = batches
        .par_iter()
        .map(|r| {
            let cols = reader.read(&t, &names, r.clone())?;
            let n = (r.end - r.start) as usize;
            if read_only {
                let mut out = Output::new();
                out.cutflow
                    .initial
                    .insert(plan.dataset.name.clone(), n as u64);
                return Ok(out);
            }
            let map: HashMap<String, cortado_columns::Column> =
                plan.branches.iter().cloned().zip(cols).collect();
            let raw = Arc::new(ColumnData::new(n, map));
            process_chunk(plan, raw, wf).map_err(ChunkError::permanent)
        })
        .collect();
    let mut merged: Option<Output> = None;
    for o in outputs {
        let o = o?;
        match &mut merged {
            None => merged = Some(o),
            Some(m) => m.merge(&o).map_err(ChunkError::permanent)?,
        }
    }
    merged.ok_or_else(|| ChunkError::permanent("no batches".into()))
}

/// Runs the whole analysis in this process (no checkpoints), with the
/// workflow hooks of `wf`: the merged and normalised output, and the counts.
pub fn run(
    cfg: &AnalysisConfig,
    plans: &[DatasetPlan],
    opts: &RunOptions,
    wf: &dyn Workflow,
    progress: &dyn Progress,
) -> Result<(Output, RunStats), String> {
    let (work, mut failures) = work_list(plans, opts)?;
    let done = crate::local::execute(plans, &work, wf, opts, None, progress)?;
    failures.extend(done.failures);
    if !failures.is_empty() {
        return Err(format!(
            "{} chunks or files failed: {}",
            failures.len(),
            failures[0].error
        ));
    }
    let mut out = done.output;
    finish_output(cfg, plans, &mut out)?;
    Ok((out, done.stats))
}

/// Adds the metadata of the datasets of `plans` and normalises simulation (postprocessing).
pub fn finish_output(
    cfg: &AnalysisConfig,
    plans: &[DatasetPlan],
    out: &mut Output,
) -> Result<(), String> {
    let names: Vec<&str> = plans.iter().map(|p| p.dataset.name.as_str()).collect();
    out.datasets_metadata = datasets_metadata_of(cfg, &names);
    let scales = normalisation(plans, out);
    out.postprocess(&scales)
}

/// PocketCoffea's `datasets_metadata`: datasets by year and sample, and the
/// metadata of each dataset (as strings).
pub fn datasets_metadata(cfg: &AnalysisConfig) -> Value {
    datasets_metadata_of(
        cfg,
        &cfg.datasets
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
    )
}

/// [`datasets_metadata`] of some datasets only (an output of `--process-separately`).
pub fn datasets_metadata_of(cfg: &AnalysisConfig, names: &[&str]) -> Value {
    let mut by_period: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut by_dataset = serde_json::Map::new();
    for d in cfg
        .datasets
        .iter()
        .filter(|d| names.contains(&d.name.as_str()))
    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use cortado_source::{Source, SourceError};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// A file whose first `fail` reads fail with a timeout.
    #[derive(Debug)]
    struct Flaky {
        bytes: Vec<u8>,
        fail: AtomicU32,
    }

    impl Source for Flaky {
        fn location(&self) -> &str {
            "flaky.root"
        }
        fn size(&self) -> u64 {
            self.bytes.len() as u64
        }
        fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
            if self.fail.load(Ordering::SeqCst) > 0 {
                self.fail.fetch_sub(1, Ordering::SeqCst);
                return Err(SourceError::Io {
                    location: "flaky.root".into(),
                    what: "read".into(),
                    error: std::io::ErrorKind::TimedOut.into(),
                });
            }
            let o = offset as usize;
            Ok(self.bytes[o..o + len].to_vec())
        }
    }

    #[test]
    fn planning_tries_again_after_an_io_error() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/zmumu/data/dy_2018_small.root"
        );
        let flaky = Arc::new(Flaky {
            bytes: std::fs::read(path).unwrap(),
            fail: AtomicU32::new(2),
        });
        let open = || RootFile::from_source(flaky.clone()).map(Arc::new);
        let (ranges, id) = chunks_of(&open, "flaky.root", 1000, 2).unwrap();
        assert_eq!(ranges.last().unwrap().end, 5000);
        assert!(id.uuid.is_some());
        flaky.fail.store(3, Ordering::SeqCst);
        let e = chunks_of(&open, "flaky.root", 1000, 2).unwrap_err();
        assert!(
            e.contains("timed out") && e.contains("after 3 attempts"),
            "{e}"
        );
        // corrupt data is not tried again
        let (r, n) = with_retries(5, |_: &&str| false, || Err::<(), _>("corrupt"));
        assert_eq!((r, n), (Err("corrupt"), 1));
    }
}
