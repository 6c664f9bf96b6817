//! Slurm: the jobs of a [`JobPlan`] as a job array (`sbatch --array`),
//! watched with `squeue`; jobs that end without finishing (failed, killed,
//! out of time or memory) are submitted again, up to `max_retries` times.
//! Accounting (`sacct`) is not needed: a job's own marker says it finished.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::jobs::{self, JobPlan, DIR};
use crate::output::write_atomic;

/// Resources and scheduling options of the jobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlurmSettings {
    /// `--job-name`.
    pub job_name: String,
    /// `--partition` (run option `queue` or `slurm.partition`).
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--time` (`H:MM:SS`).
    pub walltime: Option<String>,
    /// `--mem` in MB.
    pub mem_mb: Option<u64>,
    /// `--cpus-per-task` (the job's threads).
    pub cpus: usize,
    /// Extra `#SBATCH` options.
    pub scheduler_options: Vec<String>,
    /// Submissions of a job after its first.
    pub max_retries: u32,
}

/// The batch script: every array task runs `binary run-job` for its index.
pub fn job_script(binary: &Path, outdir: &Path, workdir: &Path, s: &SlurmSettings) -> String {
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let mut t = String::from("#!/bin/bash\n");
    t.push_str(&format!("#SBATCH --job-name={}\n", s.job_name));
    t.push_str(&format!(
        "#SBATCH --output={}\n",
        outdir
            .join(DIR)
            .join("logs")
            .join("job_%a_%A.log")
            .display()
    ));
    t.push_str(&format!("#SBATCH --cpus-per-task={}\n", s.cpus.max(1)));
    t.push_str("#SBATCH --ntasks=1\n");
    if let Some(p) = &s.partition {
        t.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(a) = &s.account {
        t.push_str(&format!("#SBATCH --account={a}\n"));
    }
    if let Some(w) = &s.walltime {
        t.push_str(&format!("#SBATCH --time={w}\n"));
    }
    if let Some(m) = s.mem_mb {
        t.push_str(&format!("#SBATCH --mem={m}M\n"));
    }
    for o in &s.scheduler_options {
        t.push_str(&format!("#SBATCH {o}\n"));
    }
    t.push_str("set -e\n");
    t.push_str(&format!("cd {}\n", q(workdir)));
    t.push_str(&format!(
        "exec {} run-job --outputdir {} --job \"$SLURM_ARRAY_TASK_ID\"\n",
        q(binary),
        q(outdir)
    ));
    t
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The array specification of some job indices (`0-3,7,9-10`).
pub fn array_spec(jobs: &BTreeSet<usize>) -> String {
    let mut parts = Vec::new();
    let v: Vec<usize> = jobs.iter().copied().collect();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", v[i], v[j])
        } else {
            v[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// One `sbatch` of some jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The Slurm job id of the array.
    pub job_id: String,
    /// The job indices (array task ids) it holds.
    pub jobs: Vec<usize>,
}

fn submissions_path(outdir: &Path) -> PathBuf {
    outdir.join(DIR).join("submissions.json")
}

/// The submissions of the run so far (to watch them after a restart).
pub fn submissions(outdir: &Path) -> Vec<Submission> {
    std::fs::read_to_string(submissions_path(outdir))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn command(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        format!("cannot run {program} ({e}): is Slurm installed and configured on this machine?")
    })?;
    if !out.status.success() {
        return Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Submits jobs `jobs` of the array script; returns the Slurm job id.
fn submit(script: &Path, jobs: &BTreeSet<usize>) -> Result<String, String> {
    let array = format!("--array={}", array_spec(jobs));
    let out = command(
        "sbatch",
        &["--parsable", &array, &script.display().to_string()],
    )?;
    let id = out.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("sbatch printed no job id: {out:?}"));
    }
    Ok(id)
}

/// The array tasks of job `id` still pending or running.
fn queued(id: &str) -> Result<BTreeSet<usize>, String> {
    match command("squeue", &["-h", "-r", "-j", id, "-o", "%K"]) {
        Ok(text) => Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect()),
        // a job the controller has forgotten has nothing queued
        Err(e) if e.contains("Invalid job id") => Ok(BTreeSet::new()),
        Err(e) => Err(e),
    }
}

/// Cancels the jobs of earlier submissions that are still queued (a run
/// started again from scratch must not have old jobs writing into it).
pub fn cancel_all(outdir: &Path) {
    for s in submissions(outdir) {
        let _ = command("scancel", &[&s.job_id]);
    }
}

/// What the jobs did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Jobs that finished.
    pub done: BTreeMap<usize, jobs::JobDone>,
    /// Jobs that did not finish after every submission, with the reason.
    pub failed: BTreeMap<usize, String>,
    /// Jobs submitted again.
    pub resubmitted: usize,
}

/// Runs the jobs of `plan` (written in `outdir`) on Slurm with `binary`:
/// submits those not finished (or, after a restart, not still queued),
/// watches them, submits again those that end without finishing, and
/// returns when every job finished or ran out of retries. `on_poll` gets
/// (finished jobs, all jobs) at every poll.
pub fn run(
    plan: &JobPlan,
    outdir: &Path,
    binary: &Path,
    settings: &SlurmSettings,
    poll: Duration,
    on_poll: &dyn Fn(usize, usize, &str),
) -> Result<Outcome, String> {
    let script = outdir.join(DIR).join("job.sh");
    write_atomic(
        &script,
        job_script(binary, outdir, &plan.workdir, settings).as_bytes(),
    )?;
    let n = plan.jobs.len();
    // Submissions of an earlier invocation (a restarted submitter) are
    // watched; their jobs still queued count as one attempt, the others get
    // a full set of attempts again.
    let mut subs = submissions(outdir);
    let mut attempts: BTreeMap<usize, u32> = BTreeMap::new();
    for s in &subs {
        for j in queued(&s.job_id)? {
            attempts.insert(j, 1);
        }
    }
    let mut outcome = Outcome::default();
    let started = Instant::now();
    loop {
        // what is queued now
        let mut live: BTreeSet<usize> = BTreeSet::new();
        for s in &subs {
            if s.jobs.iter().any(|j| !outcome.done.contains_key(j)) {
                live.extend(queued(&s.job_id)?);
            }
        }
        for j in 0..n {
            if let std::collections::btree_map::Entry::Vacant(e) = outcome.done.entry(j) {
                if let Some(d) = jobs::done(outdir, j) {
                    e.insert(d);
                }
            }
        }
        let mut to_submit = BTreeSet::new();
        for j in 0..n {
            if outcome.done.contains_key(&j) || live.contains(&j) || outcome.failed.contains_key(&j)
            {
                continue;
            }
            let a = attempts.get(&j).copied().unwrap_or(0);
            if a > settings.max_retries {
                let why = jobs::failed(outdir, j).unwrap_or_else(|| {
                    "it ended without finishing (killed, or out of time or memory?)".to_string()
                });
                outcome.failed.insert(
                    j,
                    format!(
                        "job {j} failed {a} time(s): {}; logs: {}",
                        why.trim(),
                        outdir
                            .join(DIR)
                            .join("logs")
                            .join(format!("job_{j}_*.log"))
                            .display()
                    ),
                );
            } else {
                to_submit.insert(j);
            }
        }
        if !to_submit.is_empty() {
            for &j in &to_submit {
                if attempts.get(&j).copied().unwrap_or(0) > 0 {
                    outcome.resubmitted += 1;
                }
                jobs::clear_markers(outdir, j);
                *attempts.entry(j).or_default() += 1;
            }
            let id = submit(&script, &to_submit)?;
            on_poll(
                outcome.done.len(),
                n,
                &format!(
                    "submitted job array {id} ({} jobs: {})",
                    to_submit.len(),
                    array_spec(&to_submit)
                ),
            );
            subs.push(Submission {
                job_id: id,
                jobs: to_submit.iter().copied().collect(),
            });
            let text = serde_json::to_string_pretty(&subs).map_err(|e| e.to_string())?;
            write_atomic(&submissions_path(outdir), text.as_bytes())?;
            continue;
        }
        if outcome.done.len() + outcome.failed.len() == n {
            return Ok(outcome);
        }
        on_poll(
            outcome.done.len(),
            n,
            &format!(
                "{} jobs queued or running, {:.0} s",
                live.len(),
                started.elapsed().as_secs_f64()
            ),
        );
        std::thread::sleep(poll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_has_the_resources_and_runs_the_job() {
        let s = SlurmSettings {
            job_name: "cortado-zmumu".into(),
            partition: Some("short".into()),
            account: Some("cms".into()),
            walltime: Some("1:00:00".into()),
            mem_mb: Some(2048),
            cpus: 2,
            scheduler_options: vec!["--exclusive".into()],
            max_retries: 3,
        };
        let t = job_script(
            Path::new("/opt/cortado"),
            Path::new("/data/out dir"),
            Path::new("/work"),
            &s,
        );
        for line in [
            "#!/bin/bash",
            "#SBATCH --job-name=cortado-zmumu",
            "#SBATCH --output=/data/out dir/jobs/logs/job_%a_%A.log",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --partition=short",
            "#SBATCH --account=cms",
            "#SBATCH --time=1:00:00",
            "#SBATCH --mem=2048M",
            "#SBATCH --exclusive",
            "cd /work",
            "exec /opt/cortado run-job --outputdir '/data/out dir' --job \"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(t.lines().any(|l| l == line), "missing {line:?} in\n{t}");
        }
    }

    #[test]
    fn array_specs_compress_ranges() {
        let s: BTreeSet<usize> = [0, 1, 2, 3, 7, 9, 10].into();
        assert_eq!(array_spec(&s), "0-3,7,9-10");
        assert_eq!(array_spec(&[5].into()), "5");
    }
}
