//! HTCondor: the submit description of a [`super::jobs::JobPlan`], one
//! process per job (`$(ProcId)` is the job index). HTCondor cannot run on
//! the machines cortado is developed on, so cortado writes the files
//! (`cortado run -e condor --dry-run` prints the description); the user
//! submits them with `condor_submit`, and `cortado run -e condor --resume`
//! merges the jobs' checkpoints once every job has finished.

use std::path::Path;

use super::jobs::DIR;

/// Resources of the jobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CondorSettings {
    /// `batch_name`.
    pub job_name: String,
    /// `request_cpus`.
    pub cpus: usize,
    /// `request_memory` in MB.
    pub mem_mb: Option<u64>,
    /// `+MaxRuntime` in seconds (from the walltime).
    pub max_runtime_s: Option<u64>,
    /// `+JobFlavour` (lxplus queues such as `workday`).
    pub flavour: Option<String>,
    /// `max_retries`.
    pub max_retries: u32,
}

/// The executable every process runs: `run-job` for its index.
pub fn wrapper(binary: &Path, outdir: &Path, workdir: &Path) -> String {
    format!(
        "#!/bin/bash\nset -e\ncd '{}'\nexec '{}' run-job --outputdir '{}' --job \"$1\"\n",
        workdir.display(),
        binary.display(),
        outdir.display()
    )
}

/// The `condor_submit` description for `n_jobs` jobs.
pub fn submit_description(outdir: &Path, n_jobs: usize, s: &CondorSettings) -> String {
    let jobs = outdir.join(DIR);
    let logs = jobs.join("logs");
    let mut t = String::new();
    t.push_str("universe = vanilla\n");
    t.push_str(&format!("batch_name = {}\n", s.job_name));
    t.push_str(&format!(
        "executable = {}\n",
        jobs.join("condor_job.sh").display()
    ));
    t.push_str("arguments = $(ProcId)\n");
    t.push_str(&format!(
        "output = {}\n",
        logs.join("job_$(ProcId)_$(ClusterId).out").display()
    ));
    t.push_str(&format!(
        "error = {}\n",
        logs.join("job_$(ProcId)_$(ClusterId).err").display()
    ));
    t.push_str(&format!(
        "log = {}\n",
        logs.join("condor_$(ClusterId).log").display()
    ));
    t.push_str("getenv = True\n");
    t.push_str("should_transfer_files = NO\n");
    t.push_str(&format!("request_cpus = {}\n", s.cpus.max(1)));
    if let Some(m) = s.mem_mb {
        t.push_str(&format!("request_memory = {m}\n"));
    }
    if let Some(r) = s.max_runtime_s {
        t.push_str(&format!("+MaxRuntime = {r}\n"));
    }
    if let Some(f) = &s.flavour {
        t.push_str(&format!("+JobFlavour = \"{f}\"\n"));
    }
    t.push_str(&format!("max_retries = {}\n", s.max_retries));
    t.push_str("on_exit_remove = (ExitBySignal == False) && (ExitCode == 0)\n");
    t.push_str(&format!("queue {n_jobs}\n"));
    t
}

/// Seconds of a walltime `H:MM:SS` (or `MM:SS`, or minutes).
pub fn walltime_seconds(w: &str) -> Option<u64> {
    let parts: Vec<u64> = w
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    Some(match parts[..] {
        [m] => m * 60,
        [m, s] => m * 60 + s,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_queues_one_process_per_job() {
        let s = CondorSettings {
            job_name: "cortado-zmumu".into(),
            cpus: 2,
            mem_mb: Some(2000),
            max_runtime_s: walltime_seconds("2:00:00"),
            flavour: Some("workday".into()),
            max_retries: 3,
        };
        let d = submit_description(Path::new("/eos/out"), 12, &s);
        for line in [
            "universe = vanilla",
            "executable = /eos/out/jobs/condor_job.sh",
            "arguments = $(ProcId)",
            "output = /eos/out/jobs/logs/job_$(ProcId)_$(ClusterId).out",
            "request_cpus = 2",
            "request_memory = 2000",
            "+MaxRuntime = 7200",
            "+JobFlavour = \"workday\"",
            "max_retries = 3",
            "getenv = True",
            "queue 12",
        ] {
            assert!(d.lines().any(|l| l == line), "missing {line:?} in\n{d}");
        }
        assert_eq!(d.lines().last(), Some("queue 12"));
        let w = wrapper(
            Path::new("/opt/cortado"),
            Path::new("/eos/out"),
            Path::new("/home/u"),
        );
        assert!(
            w.contains("exec '/opt/cortado' run-job --outputdir '/eos/out' --job \"$1\""),
            "{w}"
        );
    }

    #[test]
    fn walltimes() {
        assert_eq!(walltime_seconds("1:30:00"), Some(5400));
        assert_eq!(walltime_seconds("90"), Some(5400));
        assert_eq!(walltime_seconds("x"), None);
    }
}
