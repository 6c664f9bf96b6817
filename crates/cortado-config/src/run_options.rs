//! Run options: PocketCoffea's run-options YAML (`-ro/--custom-run-options`,
//! `parameters/executor_options_defaults.yaml` keys), merged over cortado's
//! defaults; command-line flags override them.
//!
//! Keys that only make sense for PocketCoffea's dask sites (worker images,
//! dashboards, ...) are accepted and reported as ignored, so that a
//! PocketCoffea user's file loads unchanged; any other key is an error that
//! names the line and the closest known key.

use std::collections::BTreeMap;
use std::path::Path;

use cortado_yaml::{ConfigError, Node, Value};

/// Slurm settings (`slurm:` block and the generic batch keys).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlurmOptions {
    /// `slurm.partition` (or `queue`).
    pub partition: Option<String>,
    /// `slurm.account`.
    pub account: Option<String>,
    /// `slurm.scheduler-options`: extra `#SBATCH` lines.
    pub scheduler_options: Vec<String>,
}

/// Resolved run options.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOptionsFile {
    /// `scaleout`: threads (local) or jobs (batch).
    pub scaleout: Option<usize>,
    /// `chunksize` (150,000).
    pub chunksize: u64,
    /// `limit-files` per dataset.
    pub limit_files: Option<usize>,
    /// `limit-chunks` per dataset.
    pub limit_chunks: Option<usize>,
    /// `retries`: attempts after an I/O error of a chunk (local), and of a
    /// failed batch job (`max-retries` wins for batch if given).
    pub retries: u32,
    /// `max-retries`: resubmissions of a failed batch job.
    pub max_retries: Option<u32>,
    /// `skip-bad-files`.
    pub skip_bad_files: bool,
    /// `group-samples`: output group → samples (with `--process-separately`).
    pub group_samples: BTreeMap<String, Vec<String>>,
    /// `queue`.
    pub queue: Option<String>,
    /// `walltime` (`H:MM:SS`).
    pub walltime: Option<String>,
    /// `mem-per-worker` (`2GB`).
    pub mem_per_worker: Option<String>,
    /// `cores-per-worker`.
    pub cores_per_worker: Option<usize>,
    /// `max-events-per-job`.
    pub max_events_per_job: Option<u64>,
    /// `job-name`.
    pub job_name: Option<String>,
    /// `slurm:` block.
    pub slurm: SlurmOptions,
    /// Keys accepted from PocketCoffea and not used by cortado.
    pub ignored: Vec<String>,
}

impl Default for RunOptionsFile {
    fn default() -> Self {
        RunOptionsFile {
            scaleout: None,
            chunksize: 150_000,
            limit_files: None,
            limit_chunks: None,
            retries: 2,
            max_retries: None,
            skip_bad_files: false,
            group_samples: BTreeMap::new(),
            queue: None,
            walltime: None,
            mem_per_worker: None,
            cores_per_worker: None,
            max_events_per_job: None,
            job_name: None,
            slurm: SlurmOptions::default(),
            ignored: Vec::new(),
        }
    }
}

const KEYS: &[&str] = &[
    "scaleout",
    "chunksize",
    "limit-files",
    "limit-chunks",
    "retries",
    "max-retries",
    "skip-bad-files",
    "group-samples",
    "queue",
    "walltime",
    "mem-per-worker",
    "cores-per-worker",
    "max-events-per-job",
    "job-name",
    "slurm",
];

/// PocketCoffea keys for grid certificates, dask and site set-ups.
const IGNORED: &[&str] = &[
    "tree-reduction",
    "voms-proxy",
    "ignore-grid-certificate",
    "starting-time",
    "disk-per-worker",
    "worker-image",
    "death-timeout",
    "adaptive",
    "performance-report",
    "custom-setup-commands",
    "conda-env",
    "local-virtualenv",
    "eos-prefix",
    "sched-url",
    "gateway-address",
    "logs-dir",
    "worker-debug",
    "requirements",
    "notify-user",
    "max-run-time",
    "dask-scheduler-port",
    "split-by-category",
    "recreate-jobs",
    "dry-run",
    "jobs-dir",
];

fn opt<T>(
    n: &Node,
    key: &str,
    f: impl Fn(&Node) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    match n.get(key) {
        None => Ok(None),
        Some(v) if v.value == Value::Null => Ok(None),
        Some(v) => f(v).map(Some),
    }
}

fn positive(v: &Node, what: &str) -> Result<u64, ConfigError> {
    let x = v.as_i64()?;
    if x <= 0 {
        return Err(v.error(format!("{what} must be a positive number")));
    }
    Ok(x as u64)
}

/// Reads a run-options file over the defaults.
pub fn load_run_options(path: &Path) -> Result<RunOptionsFile, ConfigError> {
    let n = cortado_yaml::load_file(path)?;
    parse(&n)
}

/// Run options from a parsed YAML mapping (an empty document gives the defaults).
pub fn parse(n: &Node) -> Result<RunOptionsFile, ConfigError> {
    let mut o = RunOptionsFile::default();
    if n.value == Value::Null {
        return Ok(o);
    }
    let entries = n.as_map()?;
    for (k, _) in entries {
        if IGNORED.contains(&k.name.as_str()) {
            o.ignored.push(k.name.clone());
        } else if !KEYS.contains(&k.name.as_str()) {
            return Err(ConfigError::new(
                k.pos.clone(),
                format!("unknown run option '{}'", k.name),
            )
            .with_suggestions(&k.name, KEYS.iter().chain(IGNORED).copied()));
        }
    }
    o.scaleout = opt(n, "scaleout", |v| positive(v, "scaleout"))?.map(|x| x as usize);
    if let Some(c) = opt(n, "chunksize", |v| positive(v, "chunksize"))? {
        o.chunksize = c;
    }
    o.limit_files = opt(n, "limit-files", |v| positive(v, "limit-files"))?.map(|x| x as usize);
    o.limit_chunks = opt(n, "limit-chunks", |v| positive(v, "limit-chunks"))?.map(|x| x as usize);
    let count = |v: &Node, what: &str| -> Result<u32, ConfigError> {
        let x = v.as_i64()?;
        u32::try_from(x).map_err(|_| v.error(format!("{what} must be 0 or more")))
    };
    if let Some(r) = opt(n, "retries", |v| count(v, "retries"))? {
        o.retries = r;
    }
    o.max_retries = opt(n, "max-retries", |v| count(v, "max-retries"))?;
    o.skip_bad_files = opt(n, "skip-bad-files", Node::as_bool)?.unwrap_or(false);
    if let Some(g) = opt(n, "group-samples", |v| Ok(v.clone()))? {
        for (k, v) in g.as_map()? {
            o.group_samples.insert(k.name.clone(), v.as_str_list()?);
        }
    }
    o.queue = opt(n, "queue", Node::as_text)?;
    o.walltime = opt(n, "walltime", Node::as_text)?;
    if let (Some(w), Some(node)) = (&o.walltime, n.get("walltime")) {
        let parts: Vec<&str> = w.split(':').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
            return Err(node.error(format!("walltime '{w}' is not H:MM:SS")));
        }
    }
    o.mem_per_worker = opt(n, "mem-per-worker", Node::as_text)?;
    if let (Some(m), Some(node)) = (&o.mem_per_worker, n.get("mem-per-worker")) {
        if memory_mb(m).is_none() {
            return Err(node.error(format!(
                "mem-per-worker '{m}' is not a size such as 2GB or 1500MB"
            )));
        }
    }
    o.cores_per_worker =
        opt(n, "cores-per-worker", |v| positive(v, "cores-per-worker"))?.map(|x| x as usize);
    o.max_events_per_job = opt(n, "max-events-per-job", |v| {
        positive(v, "max-events-per-job")
    })?;
    o.job_name = opt(n, "job-name", Node::as_text)?;
    if let Some(s) = n.get("slurm").filter(|v| v.value != Value::Null) {
        s.check_keys(
            &["partition", "account", "scheduler-options"],
            "the 'slurm' run options",
        )?;
        o.slurm.partition = opt(s, "partition", Node::as_text)?;
        o.slurm.account = opt(s, "account", Node::as_text)?;
        if let Some(v) = s
            .get("scheduler-options")
            .filter(|v| v.value != Value::Null)
        {
            o.slurm.scheduler_options = match &v.value {
                Value::Seq(_) => v.as_str_list()?,
                _ => vec![v.as_text()?],
            };
        }
    }
    Ok(o)
}

/// A memory size (`2GB`, `1500MB`, `2G`, `512M`, a plain number of MB) in MB.
pub fn memory_mb(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(x) = t.strip_suffix("GB").or_else(|| t.strip_suffix('G')) {
        (x, 1024.0)
    } else if let Some(x) = t.strip_suffix("MB").or_else(|| t.strip_suffix('M')) {
        (x, 1.0)
    } else {
        (t.as_str(), 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    (v > 0.0).then(|| (v * mult).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<RunOptionsFile, ConfigError> {
        parse(&cortado_yaml::load_str(text, "ro.yaml")?)
    }

    #[test]
    fn pocketcoffea_files_load() {
        let o = p("ignore-grid-certificate: true\n").unwrap();
        assert_eq!(o.ignored, vec!["ignore-grid-certificate"]);
        assert_eq!(o.chunksize, 150_000);
        let o = p("chunksize: 50000\nscaleout: 4\nskip-bad-files: true\nretries: 5\nqueue: short\n\
                   walltime: '01:30:00'\nmem-per-worker: 2GB\nslurm: {partition: debug, account: cms,\
                    scheduler-options: ['--exclusive']}\ngroup-samples: {mc: [DYJetsToLL, TTTo2L2Nu]}\n")
            .unwrap();
        assert_eq!(
            (o.chunksize, o.scaleout, o.skip_bad_files, o.retries),
            (50_000, Some(4), true, 5)
        );
        assert_eq!(o.slurm.partition.as_deref(), Some("debug"));
        assert_eq!(o.slurm.scheduler_options, vec!["--exclusive"]);
        assert_eq!(o.group_samples["mc"], vec!["DYJetsToLL", "TTTo2L2Nu"]);
        assert_eq!(memory_mb(o.mem_per_worker.as_deref().unwrap()), Some(2048));
    }

    #[test]
    fn typos_and_bad_values_name_the_line() {
        let e = p("chunksize: 1000\nchunk-size: 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ro.yaml:2:1") && e.contains("did you mean 'chunksize'"),
            "{e}"
        );
        let e = p("chunksize: -3\n").unwrap_err().to_string();
        assert!(e.contains("positive"), "{e}");
        let e = p("walltime: 'two hours'\n").unwrap_err().to_string();
        assert!(e.contains("H:MM:SS"), "{e}");
        let e = p("slurm: {partion: x}\n").unwrap_err().to_string();
        assert!(e.contains("partition"), "{e}");
    }
}
