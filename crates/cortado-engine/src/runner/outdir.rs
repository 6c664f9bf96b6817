//! The output folder of a run: one run at a time (a lock naming the process
//! that holds it), one run's results (an earlier run's are refused, replaced
//! with `--overwrite` or continued with `--resume`), no stale temporary
//! files, and readers that check every output against the configuration
//! recorded beside it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint;
use crate::output::Output;

use super::Existing;

/// The lock file inside an output folder.
pub const LOCK: &str = ".cortado.lock";

/// What cortado writes into an output folder (removed by `--overwrite`).
fn is_ours(name: &str) -> bool {
    matches!(
        name,
        "config.json"
            | "parameters_dump.yaml"
            | "logfile.log"
            | "failed_chunks.json"
            | "failed_jobs.json"
            | checkpoint::DIR
            | crate::batch::jobs::DIR
    ) || (name.starts_with("output_") && name.ends_with(".cortado"))
}

/// An output folder held by this process for the length of a run.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    _lock: File,
}

/// The time now as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // civil date from days since 1970-01-01 (proleptic Gregorian)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this machine".into())
}

impl OutputDir {
    /// Creates the folder if needed and takes its lock; refused while
    /// another run holds it, naming that run.
    pub fn claim(path: &Path) -> Result<OutputDir, String> {
        std::fs::create_dir_all(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let lock_path = path.join(LOCK);
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        match f.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
                return Err(format!(
                    "{} is in use by another cortado run ({}): wait for it to end, or use \
                     another output folder",
                    path.display(),
                    if holder.trim().is_empty() {
                        "starting".to_string()
                    } else {
                        holder.trim().to_string()
                    }
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()))
            }
        }
        let who = format!(
            "process {} on {}, started {}: {}",
            std::process::id(),
            host(),
            utc_now(),
            std::env::args().collect::<Vec<_>>().join(" ")
        );
        f.set_len(0)
            .and_then(|_| f.write_all(who.as_bytes()))
            .and_then(|_| f.flush())
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        Ok(OutputDir {
            path: path.to_path_buf(),
            _lock: f,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the folder holds besides the lock and temporary files.
    fn entries(&self) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != LOCK && !(n.starts_with('.') && n.contains(".tmp")))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Makes the folder ready for a run as `existing` says: an empty folder
    /// is used as it is; one holding files is refused (`Refuse`), cleared
    /// of what cortado wrote there (`Overwrite`), or kept for continuing
    /// (`Resume`). Temporary files of interrupted writes are removed.
    /// Returns whether there is anything to continue, and notes for the log.
    pub fn prepare(&self, existing: Existing) -> Result<(bool, Vec<String>), String> {
        checkpoint::remove_temporary_files(&self.path);
        let entries = self.entries()?;
        let mut notes = Vec::new();
        if entries.is_empty() {
            if existing == Existing::Resume {
                notes.push(format!(
                    "--resume: {} holds no earlier run: starting afresh",
                    self.path.display()
                ));
            }
            return Ok((false, notes));
        }
        match existing {
            Existing::Refuse => {
                let shown: Vec<&str> = entries.iter().take(6).map(String::as_str).collect();
                Err(format!(
                    "{} is not empty ({}{}): it holds the results of an earlier run. Use \
                     --overwrite to replace them, --resume to continue an interrupted run, or \
                     another output folder",
                    self.path.display(),
                    shown.join(", "),
                    if entries.len() > shown.len() {
                        ", …"
                    } else {
                        ""
                    }
                ))
            }
            Existing::Overwrite => {
                let mut others = Vec::new();
                for name in &entries {
                    let p = self.path.join(name);
                    if !is_ours(name) {
                        others.push(name.as_str());
                        continue;
                    }
                    let r = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                    r.map_err(|e| format!("--overwrite: cannot remove {}: {e}", p.display()))?;
                }
                notes.push(format!(
                    "--overwrite: the earlier run's results in {} were removed{}",
                    self.path.display(),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" (other files left: {})", others.join(", "))
                    }
                ));
                Ok((false, notes))
            }
            Existing::Resume => Ok((true, notes)),
        }
    }
}

/// The output files of a run folder: `output_all.cortado`, or the
/// per-group outputs of `--process-separately`. A path to a file is itself.
pub fn output_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return if path.exists() {
            Ok(vec![path.to_path_buf()])
        } else {
            Err(format!("{}: no such file or folder", path.display()))
        };
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("output_") && n.ends_with(".cortado"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        let why = if path.join(checkpoint::DIR).exists() || path.join("config.json").exists() {
            "the run did not finish (see logfile.log; `cortado run … --resume` continues it)"
        } else {
            "this is not a cortado output folder"
        };
        return Err(format!("{}: no output_*.cortado: {why}", path.display()));
    }
    Ok(files)
}

/// Reads an output and, when it lies in a run folder, checks that the
/// folder's `config.json` describes the run that made it.
pub fn read_checked(file: &Path) -> Result<Output, String> {
    let out = Output::read(file)?;
    let Some(config) = file.parent().map(|d| d.join("config.json")) else {
        return Ok(out);
    };
    let Ok(text) = std::fs::read_to_string(&config) else {
        return Ok(out); // a file outside a run folder
    };
    let recorded = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["run_fingerprint"].as_str().map(String::from));
    match (recorded, &out.provenance.run) {
        (Some(r), Some(o)) if &r != o => Err(format!(
            "{} was made by another run than the one {} describes (run fingerprints {o} and \
             {r}): the folder mixes two runs; run the analysis again with --overwrite",
            file.display(),
            config.display()
        )),
        _ => Ok(out),
    }
}

/// Reads every output of a run folder (or one file) and merges them in
/// order: one in memory at a time besides the sum.
pub fn read_merged(path: &Path) -> Result<(Output, Vec<PathBuf>), String> {
    let files = output_files(path)?;
    let mut merged: Option<Output> = None;
    for f in &files {
        let o = read_checked(f)?;
        match merged.as_mut() {
            None => merged = Some(o),
            Some(m) => m
                .merge(&o)
                .map_err(|e| format!("{}: cannot be merged: {e}", f.display()))?,
        }
    }
    merged
        .map(|m| (m, files.clone()))
        .ok_or_else(|| "no output".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cortado-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn one_run_at_a_time() {
        let d = dir("lock");
        let held = OutputDir::claim(&d).unwrap();
        let e = OutputDir::claim(&d).unwrap_err();
        assert!(
            e.contains("in use by another cortado run")
                && e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(held);
        OutputDir::claim(&d).unwrap();
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn earlier_results_are_refused_replaced_or_kept() {
        let d = dir("prepare");
        let o = OutputDir::claim(&d).unwrap();
        assert_eq!(o.prepare(Existing::Refuse).unwrap(), (false, vec![]));
        for f in [
            "output_all.cortado",
            "config.json",
            "notes.txt",
            ".x.cortado.tmp9",
        ] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        std::fs::create_dir_all(d.join("checkpoints/g")).unwrap();
        let e = o.prepare(Existing::Refuse).unwrap_err();
        assert!(
            e.contains("not empty (checkpoints, config.json, notes.txt, output_all"),
            "{e}"
        );
        assert!(
            !d.join(".x.cortado.tmp9").exists(),
            "stale temporary files removed"
        );
        let (resume, _) = o.prepare(Existing::Resume).unwrap();
        assert!(resume && d.join("output_all.cortado").exists());
        let (resume, notes) = o.prepare(Existing::Overwrite).unwrap();
        assert!(
            !resume && notes[0].contains("other files left: notes.txt"),
            "{notes:?}"
        );
        assert!(!d.join("output_all.cortado").exists() && !d.join("checkpoints").exists());
        assert!(d.join("notes.txt").exists());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn utc_dates() {
        let t = utc_now();
        assert!(
            t.starts_with("20") && t.ends_with(" UTC") && t.len() == 23,
            "{t}"
        );
    }

    #[test]
    fn folders_without_outputs_say_why() {
        let d = dir("noout");
        std::fs::create_dir_all(d.join("checkpoints")).unwrap();
        assert!(output_files(&d).unwrap_err().contains("did not finish"));
        assert!(output_files(&d.join("nope"))
            .unwrap_err()
            .contains("no such"));
        std::fs::remove_dir_all(&d).ok();
    }
}
