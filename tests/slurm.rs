//! `cortado run -e slurm` on a real single-node Slurm cluster (started by
//! `.ci/slurm_start.sh`): a multi-job run equals the local run, and a job
//! killed mid-way is submitted again and the result is still the same.
//! Ignored by default (`.ci/run` starts Slurm and runs them with
//! `--include-ignored`); they fail when no Slurm node is up.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{dump, root};

/// Fails the test unless a Slurm node is up.
fn require_slurm() {
    let up = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| ["idle", "mixed", "allocated"].contains(&l.trim()))
        })
        .unwrap_or(false);
    assert!(
        up,
        "this test needs a running Slurm cluster (.ci/slurm_start.sh starts one, as root)"
    );
}

fn tmpdir(name: &str) -> PathBuf {
    common::tmpdir("slurm", name)
}

#[test]
#[ignore = "needs a running Slurm (.ci/slurm_start.sh)"]
fn a_multi_job_run_equals_the_local_run() {
    require_slurm();
    let (local, batch) = (tmpdir("local"), tmpdir("batch"));
    let cfg = "examples/zmumu/analysis.yaml";
    common::run_ok(cfg, local.to_str().unwrap(), &["-c", "1"]);
    let log = common::run_ok(
        cfg,
        batch.to_str().unwrap(),
        &["-c", "1", "-e", "slurm", "-s", "4"],
    );
    assert!(log.contains("16 chunks in 4 jobs"), "{log}");
    assert!(
        dump(&local) == dump(&batch),
        "the Slurm run's output differs from the local one"
    );
    // the job plan and checkpoints are gone, the outputs are there
    assert!(!batch.join("jobs").exists() && !batch.join("checkpoints").exists());
    std::fs::remove_dir_all(&local).ok();
    std::fs::remove_dir_all(&batch).ok();
}

fn job_id(out: &Path) -> Option<String> {
    let text = std::fs::read_to_string(out.join("jobs/submissions.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v[0]["job_id"].as_str().map(String::from)
}

/// Chunks of job 1 already checkpointed.
fn job1_chunks_done(out: &Path) -> usize {
    let Ok(text) = std::fs::read_to_string(out.join("jobs/plan.json")) else {
        return 0;
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["jobs"][1]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            out.join(format!(
                "checkpoints/chunk-{:06}.cortado",
                i.as_u64().unwrap()
            ))
            .exists()
        })
        .count()
}

#[test]
#[ignore = "needs a running Slurm (.ci/slurm_start.sh)"]
fn a_job_killed_mid_way_is_submitted_again() {
    require_slurm();
    assert!(
        root().join("../shared/reference").exists(),
        "this test needs the 400,000-event files of ../shared (jobs long enough to kill)"
    );
    let cfg = "tests/configs/zmumu_synthetic.yaml";
    let local = tmpdir("kill-local");
    common::run_ok(cfg, local.to_str().unwrap(), &["-c", "10000"]);
    let expected = dump(&local);
    for attempt in 0..3 {
        let out = tmpdir(&format!("kill-{attempt}"));
        let child = common::spawn_run(
            cfg,
            out.to_str().unwrap(),
            &["-c", "10000", "-e", "slurm", "-s", "2"],
            true,
        );
        // kill job 1 once it has checkpointed a chunk and before it is done
        let t = Instant::now();
        let mut killed = false;
        while t.elapsed() < Duration::from_secs(120) {
            if out.join("jobs/job_1.done").exists() {
                break;
            }
            if job1_chunks_done(&out) >= 1 {
                if let Some(id) = job_id(&out) {
                    let s = Command::new("scancel")
                        .args(["--signal=KILL", "--full", &format!("{id}_1")])
                        .status()
                        .unwrap();
                    killed = s.success() && !out.join("jobs/job_1.done").exists();
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let result = child.wait_with_output().unwrap();
        let log = String::from_utf8_lossy(&result.stderr).into_owned();
        assert!(result.status.success(), "{log}");
        if !killed {
            eprintln!("attempt {attempt}: job 1 finished before it could be killed; again");
            continue;
        }
        assert!(log.contains("1 job(s) were submitted again"), "{log}");
        assert!(
            dump(&out) == expected,
            "the output after a retried job differs"
        );
        std::fs::remove_dir_all(&out).ok();
        std::fs::remove_dir_all(&local).ok();
        return;
    }
    panic!("job 1 could never be killed before it finished");
}

#[test]
#[ignore = "needs a running Slurm (.ci/slurm_start.sh)"]
fn the_submitter_can_be_killed_and_resumed() {
    require_slurm();
    let cfg = "examples/zmumu/analysis.yaml";
    let (local, out) = (tmpdir("sub-local"), tmpdir("sub-killed"));
    common::run_ok(cfg, local.to_str().unwrap(), &["-c", "1"]);
    let mut child = common::spawn_run(
        cfg,
        out.to_str().unwrap(),
        &["-c", "1", "-e", "slurm", "-s", "3"],
        false,
    );
    // the jobs are submitted: kill the submitting process
    let t = Instant::now();
    while job_id(&out).is_none() && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(job_id(&out).is_some(), "no job was submitted");
    assert!(!out.join("output_all.cortado").exists());
    // a new submitter watches the jobs still queued, submits what is missing, merges
    let log = common::run_ok(
        cfg,
        out.to_str().unwrap(),
        &["-c", "1", "-e", "slurm", "-s", "3", "--resume"],
    );
    assert!(log.contains("output_all.cortado"), "{log}");
    assert!(
        dump(&local) == dump(&out),
        "the resumed Slurm run's output differs"
    );
    std::fs::remove_dir_all(&local).ok();
    std::fs::remove_dir_all(&out).ok();
}
