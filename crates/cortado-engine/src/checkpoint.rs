//! Checkpoints of a run: the output of every finished chunk, written
//! atomically into `OUTDIR/checkpoints/`, so that a run killed at any moment
//! can be resumed (`--resume`) and ends with exactly the output of an
//! uninterrupted run.
//!
//! `work.json` records the work list and a fingerprint of everything that
//! determines the result (cortado's version, the configuration, the
//! parameters, the chunking); a resume with a different fingerprint is
//! refused. `chunk-NNNNNN.cortado` holds the output of chunk `NNNNNN` of the
//! work list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::output::{write_atomic, Output};
use crate::run::Chunk;

/// The checkpoint folder name inside an output directory.
pub const DIR: &str = "checkpoints";

/// What `work.json` holds.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct WorkFile {
    fingerprint: String,
    chunks: Vec<WorkEntry>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct WorkEntry {
    dataset: String,
    file: String,
    start: u64,
    stop: u64,
}

/// How [`Checkpoints::open`] treats an existing folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Start again: old checkpoints are removed.
    Fresh,
    /// Continue an interrupted run: same work list and fingerprint, finished
    /// chunks kept, writes cut short removed.
    Resume,
    /// A batch job joining the run its submitter started: same checks as
    /// `Resume`, and nothing is removed (other jobs are writing).
    Attach,
}

/// The checkpoint folder of a run.
#[derive(Debug)]
pub struct Checkpoints {
    dir: PathBuf,
}

/// A 64-bit fingerprint (hex) of a text.
pub fn fingerprint(text: &str) -> String {
    // FNV-1a: stable across versions and platforms, enough to detect a change.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Checkpoints {
    /// Starts checkpointing `work` in folder `dir` (normally
    /// `OUTDIR/checkpoints`). With `resume`, the folder must hold the same
    /// work list and fingerprint, and the chunks already finished are kept;
    /// without, any old checkpoint is removed.
    pub fn open(
        dir: &Path,
        fingerprint: &str,
        work: &[Chunk],
        dataset_names: &[String],
        mode: Mode,
    ) -> Result<Checkpoints, String> {
        let dir = dir.to_path_buf();
        let outdir = dir.parent().unwrap_or(Path::new("."));
        let wf = WorkFile {
            fingerprint: fingerprint.to_string(),
            chunks: work
                .iter()
                .map(|c| WorkEntry {
                    dataset: dataset_names[c.plan].clone(),
                    file: c.file.clone(),
                    start: c.entries.start,
                    stop: c.entries.end,
                })
                .collect(),
        };
        let work_path = dir.join("work.json");
        if mode != Mode::Fresh {
            let text = std::fs::read_to_string(&work_path).map_err(|_| {
                format!(
                    "--resume: {} holds no interrupted run (no {})",
                    outdir.display(),
                    work_path.display()
                )
            })?;
            let old: WorkFile =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", work_path.display()))?;
            if old.fingerprint != wf.fingerprint {
                return Err(format!(
                    "--resume: the configuration, parameters or options differ from those of the \
                     interrupted run in {} (fingerprint {} vs {}); run without --resume to start \
                     again, or use another output directory",
                    outdir.display(),
                    old.fingerprint,
                    wf.fingerprint
                ));
            }
            if old.chunks != wf.chunks {
                return Err(format!(
                    "--resume: the input files changed since the interrupted run in {} \
                     (different chunks); run without --resume",
                    outdir.display()
                ));
            }
            // Writes cut short by the interruption.
            if let (Mode::Resume, Ok(entries)) = (mode, std::fs::read_dir(&dir)) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') && name.contains(".tmp") {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
        } else {
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let text = serde_json::to_string_pretty(&wf).map_err(|e| e.to_string())?;
            write_atomic(&work_path, text.as_bytes())?;
        }
        Ok(Checkpoints { dir })
    }

    fn chunk_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("chunk-{index:06}.cortado"))
    }

    /// The chunks finished before (their checkpoint exists).
    pub fn finished(&self, n: usize) -> BTreeSet<usize> {
        (0..n).filter(|&i| self.chunk_path(i).exists()).collect()
    }

    /// Writes the output of chunk `index` (atomically).
    pub fn save(&self, index: usize, out: &Output) -> Result<(), String> {
        out.write(&self.chunk_path(index))
    }

    /// Reads the output of chunk `index`.
    pub fn load(&self, index: usize) -> Result<Output, String> {
        Output::read(&self.chunk_path(index))
    }

    /// Removes the checkpoints (after the final output is written).
    pub fn remove(self) -> Result<(), String> {
        std::fs::remove_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> Vec<Chunk> {
        (0..3)
            .map(|i| Chunk {
                plan: 0,
                file: "f.root".into(),
                entries: i * 10..(i + 1) * 10,
            })
            .collect()
    }

    #[test]
    fn resume_keeps_finished_chunks_and_refuses_changes() {
        let base = std::env::temp_dir().join(format!("cortado-ckpt-{}", std::process::id()));
        let out = base.join(DIR);
        let names = vec!["ds".to_string()];
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        c.save(1, &Output::new()).unwrap();
        assert_eq!(c.finished(3), BTreeSet::from([1]));
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap();
        assert_eq!(c.finished(3), BTreeSet::from([1]));
        assert_eq!(c.load(1).unwrap(), Output::new());
        let e = Checkpoints::open(&out, "xyz", &work(), &names, Mode::Attach).unwrap_err();
        assert!(e.contains("differ"), "{e}");
        let mut w = work();
        w[2].entries = 20..25;
        let e = Checkpoints::open(&out, "abc", &w, &names, Mode::Resume).unwrap_err();
        assert!(e.contains("input files changed"), "{e}");
        // a fresh start forgets the old chunks
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        assert!(c.finished(3).is_empty());
        c.remove().unwrap();
        let e = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap_err();
        assert!(e.contains("no interrupted run"), "{e}");
        std::fs::remove_dir_all(&base).ok();
    }

    #[test]
    fn fingerprints_differ_for_different_texts() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("").len(), 16);
    }
}
