//! The job plan of a batch run and the markers its jobs leave.
//!
//! `OUTDIR/jobs/plan.json` holds everything a job needs besides the
//! configuration file: the chunks, which job processes which, the options
//! and the fingerprint the job checks its configuration against. A job
//! leaves `job_N.done` (its counts and skipped inputs) or `job_N.failed`
//! (the error) when it ends; a job killed by the scheduler leaves neither.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::identity::FileIdentity;
use crate::output::write_atomic;
use crate::run::{Chunk, Failure};

/// The folder of the job plan and markers inside an output directory.
pub const DIR: &str = "jobs";

/// Dataset selection of the run (`--filter-*`), repeated by every job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// Years.
    pub years: Vec<String>,
    /// Samples.
    pub samples: Vec<String>,
    /// Datasets.
    pub datasets: Vec<String>,
}

/// The options that shape the work list and its processing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSettings {
    /// Entries per chunk.
    pub chunksize: u64,
    /// Files per dataset.
    pub limit_files: Option<usize>,
    /// Chunks per dataset.
    pub limit_chunks: Option<usize>,
    /// Attempts after an I/O error of a chunk.
    pub retries: u32,
    /// Skip bad chunks (recorded in the job's marker).
    pub skip_bad_files: bool,
    /// Threads of each job.
    pub threads: usize,
}

/// One chunk as recorded in a job plan (`plan.json`) and in the work list
/// of the checkpoints (`work.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedChunk {
    /// Dataset name.
    pub dataset: String,
    /// File.
    pub file: String,
    /// First entry.
    pub start: u64,
    /// One past the last entry.
    pub stop: u64,
    /// The file as planned.
    pub identity: FileIdentity,
}

/// The job plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobPlan {
    /// Fingerprint of the configuration, parameters and options.
    pub fingerprint: String,
    /// The configuration file (absolute).
    pub config: PathBuf,
    /// The submitter's working directory (jobs start there).
    pub workdir: PathBuf,
    /// Dataset selection.
    pub filters: Filters,
    /// Options.
    pub settings: JobSettings,
    /// The work list.
    pub chunks: Vec<PlannedChunk>,
    /// Chunk indices of each job.
    pub jobs: Vec<Vec<usize>>,
}

/// What a finished job reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobDone {
    /// Events it processed.
    pub events: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// Chunks it skipped (`skip_bad_files`).
    pub failures: Vec<(usize, Failure)>,
}

/// Splits the work list into jobs of consecutive chunks: at most
/// `max_events` events each (a larger chunk is a job of its own), or else
/// `n_jobs` jobs of about equal events. Never more jobs than chunks; no job
/// is empty.
pub fn split(work: &[Chunk], n_jobs: usize, max_events: Option<u64>) -> Vec<Vec<usize>> {
    let events = |i: usize| work[i].entries.end - work[i].entries.start;
    let mut jobs: Vec<Vec<usize>> = Vec::new();
    match max_events {
        Some(max) => {
            let mut cur: Vec<usize> = Vec::new();
            let mut n = 0;
            for i in 0..work.len() {
                if !cur.is_empty() && n + events(i) > max {
                    jobs.push(std::mem::take(&mut cur));
                    n = 0;
                }
                cur.push(i);
                n += events(i);
            }
            if !cur.is_empty() {
                jobs.push(cur);
            }
        }
        None => {
            let n_jobs = n_jobs.clamp(1, work.len().max(1));
            let total: u64 = (0..work.len()).map(events).sum();
            let mut cur: Vec<usize> = Vec::new();
            let mut done = 0u64;
            for i in 0..work.len() {
                cur.push(i);
                done += events(i);
                let remaining_chunks = work.len() - i - 1;
                let remaining_jobs = n_jobs - jobs.len() - 1;
                // close the job at its share of the events, keeping a chunk
                // for every job still to come
                let target = total * (jobs.len() as u64 + 1) / n_jobs as u64;
                if remaining_jobs > 0 && (done >= target || remaining_chunks == remaining_jobs) {
                    jobs.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                jobs.push(cur);
            }
        }
    }
    jobs
}

impl PlannedChunk {
    /// The record of chunk `c` of dataset `dataset`.
    pub fn of(c: &Chunk, dataset: &str) -> PlannedChunk {
        PlannedChunk {
            dataset: dataset.to_string(),
            file: c.file.clone(),
            start: c.entries.start,
            stop: c.entries.end,
            identity: c.identity.clone(),
        }
    }
}

impl JobPlan {
    /// The chunk list of the plan, with `plan_index` giving each dataset's
    /// index among the run's dataset plans.
    pub fn work(&self, plan_index: &dyn Fn(&str) -> Option<usize>) -> Result<Vec<Chunk>, String> {
        self.chunks
            .iter()
            .map(|c| {
                Ok(Chunk {
                    plan: plan_index(&c.dataset).ok_or_else(|| {
                        format!(
                            "the job plan names dataset {}, which the configuration no longer has",
                            c.dataset
                        )
                    })?,
                    file: c.file.clone(),
                    entries: c.start..c.stop,
                    identity: c.identity.clone(),
                })
            })
            .collect()
    }

    /// Writes the plan into `outdir/jobs/plan.json`.
    pub fn save(&self, outdir: &Path) -> Result<(), String> {
        let dir = outdir.join(DIR);
        std::fs::create_dir_all(dir.join("logs")).map_err(|e| format!("{}: {e}", dir.display()))?;
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        write_atomic(&dir.join("plan.json"), text.as_bytes())
    }

    /// Reads `outdir/jobs/plan.json`.
    pub fn load(outdir: &Path) -> Result<JobPlan, String> {
        let p = outdir.join(DIR).join("plan.json");
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    }
}

fn marker(outdir: &Path, job: usize, what: &str) -> PathBuf {
    outdir.join(DIR).join(format!("job_{job}.{what}"))
}

/// Records that job `job` finished.
pub fn mark_done(outdir: &Path, job: usize, done: &JobDone) -> Result<(), String> {
    let _ = std::fs::remove_file(marker(outdir, job, "failed"));
    let text = serde_json::to_string(done).map_err(|e| e.to_string())?;
    write_atomic(&marker(outdir, job, "done"), text.as_bytes())
}

/// Records that job `job` failed, and why.
pub fn mark_failed(outdir: &Path, job: usize, error: &str) -> Result<(), String> {
    write_atomic(&marker(outdir, job, "failed"), error.as_bytes())
}

/// The report of job `job` if it finished.
pub fn done(outdir: &Path, job: usize) -> Option<JobDone> {
    let text = std::fs::read_to_string(marker(outdir, job, "done")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Why job `job` failed, if it said so.
pub fn failed(outdir: &Path, job: usize) -> Option<String> {
    std::fs::read_to_string(marker(outdir, job, "failed")).ok()
}

/// Removes the markers of job `job` (before it is submitted again).
pub fn clear_markers(outdir: &Path, job: usize) {
    let _ = std::fs::remove_file(marker(outdir, job, "failed"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(sizes: &[u64]) -> Vec<Chunk> {
        let mut s = 0;
        sizes
            .iter()
            .map(|&n| {
                s += n;
                Chunk {
                    plan: 0,
                    file: "f".into(),
                    entries: s - n..s,
                    identity: FileIdentity::default(),
                }
            })
            .collect()
    }

    #[test]
    fn jobs_split_by_count_and_by_events() {
        let w = work(&[10; 10]);
        assert_eq!(split(&w, 3, None).len(), 3);
        assert_eq!(split(&w, 3, None).concat(), (0..10).collect::<Vec<_>>());
        assert_eq!(split(&w, 20, None).len(), 10, "never more jobs than chunks");
        assert_eq!(split(&w, 1, None), vec![(0..10).collect::<Vec<_>>()]);
        let w = work(&[100, 1, 1, 1, 1, 1]);
        let j = split(&w, 3, None);
        assert_eq!(j.len(), 3);
        assert!(j.iter().all(|j| !j.is_empty()));
        let w = work(&[5, 5, 5, 20, 5]);
        assert_eq!(
            split(&w, 0, Some(10)),
            vec![vec![0, 1], vec![2], vec![3], vec![4]]
        );
        assert!(split(&[], 4, None).is_empty());
    }

    #[test]
    fn plans_and_markers_round_trip() {
        let out = std::env::temp_dir().join(format!("cortado-jobs-{}", std::process::id()));
        let plan = JobPlan {
            fingerprint: "f".into(),
            config: "/a/b.yaml".into(),
            workdir: "/a".into(),
            filters: Filters::default(),
            settings: JobSettings {
                chunksize: 10,
                limit_files: None,
                limit_chunks: Some(2),
                retries: 1,
                skip_bad_files: true,
                threads: 2,
            },
            chunks: vec![PlannedChunk {
                dataset: "d".into(),
                file: "x.root".into(),
                start: 0,
                stop: 10,
                identity: FileIdentity::default(),
            }],
            jobs: vec![vec![0]],
        };
        plan.save(&out).unwrap();
        assert_eq!(JobPlan::load(&out).unwrap(), plan);
        let w = plan.work(&|d| (d == "d").then_some(3)).unwrap();
        assert_eq!((w[0].plan, w[0].entries.clone()), (3, 0..10));
        assert!(plan.work(&|_| None).unwrap_err().contains("no longer has"));
        assert!(done(&out, 0).is_none());
        mark_failed(&out, 0, "boom").unwrap();
        assert_eq!(failed(&out, 0).as_deref(), Some("boom"));
        let d = JobDone {
            events: 10,
            ..Default::default()
        };
        mark_done(&out, 0, &d).unwrap();
        assert_eq!(done(&out, 0), Some(d));
        assert!(failed(&out, 0).is_none());
        std::fs::remove_dir_all(&out).ok();
    }
}
