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

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::batch::jobs::PlannedChunk;
use crate::output::file::TMP_MARK;
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

type WorkEntry = PlannedChunk;

/// How [`Checkpoints::open`] treats an existing folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Start again: old checkpoints are removed.
    Fresh,
    /// Continue an interrupted run: same work list, fingerprint and input
    /// files; finished chunks kept (damaged ones processed again), writes
    /// cut short removed. A folder without a work list (a run killed before
    /// it wrote one) starts afresh.
    Resume,
    /// A batch job joining the run its submitter started: same checks as
    /// `Resume`, and nothing is removed (other jobs are writing).
    Attach,
    /// Run a failed part again (`--resubmit-failed`): as `Resume`, but when
    /// its input files changed (repaired), its checkpoints are dropped and
    /// it starts afresh.
    Retry,
}

/// The checkpoint folder of a run.
#[derive(Debug)]
pub struct Checkpoints {
    dir: PathBuf,
    fingerprint: String,
    chunks: Vec<WorkEntry>,
    notes: Vec<String>,
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

/// Removes the temporary files of interrupted writes in `dir` (not below).
pub fn remove_temporary_files(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(TMP_MARK) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Why the work list of an interrupted run and this one differ.
fn work_differences(old: &[WorkEntry], new: &[WorkEntry]) -> Option<String> {
    for (a, b) in old.iter().zip(new) {
        if (&a.dataset, &a.file, a.start, a.stop) != (&b.dataset, &b.file, b.start, b.stop) {
            break;
        }
        if let Some(d) = a.identity.differences(&b.identity) {
            return Some(format!(
                "input file {} changed since the interrupted run ({d})",
                a.file
            ));
        }
    }
    (old != new)
        .then(|| "the input files changed since the interrupted run (different chunks)".into())
}

impl Checkpoints {
    /// Starts checkpointing `work` in folder `dir` (normally
    /// `OUTDIR/checkpoints`); see [`Mode`]. [`Checkpoints::notes`] says
    /// what was found (a run started afresh, damaged checkpoints).
    pub fn open(
        dir: &Path,
        fingerprint: &str,
        work: &[Chunk],
        dataset_names: &[String],
        mode: Mode,
    ) -> Result<Checkpoints, String> {
        let outdir = dir.parent().unwrap_or(Path::new("."));
        let chunks: Vec<WorkEntry> = work
            .iter()
            .map(|c| PlannedChunk::of(c, &dataset_names[c.plan]))
            .collect();
        let mut ck = Checkpoints {
            dir: dir.to_path_buf(),
            fingerprint: fingerprint.to_string(),
            chunks,
            notes: Vec::new(),
        };
        let work_path = dir.join("work.json");
        let mode = if matches!(mode, Mode::Resume | Mode::Retry) && !work_path.exists() {
            ck.notes.push(format!(
                "--resume: {} holds no work list of an interrupted run (killed before it \
                 started?): starting afresh",
                outdir.display()
            ));
            Mode::Fresh
        } else {
            mode
        };
        if mode == Mode::Fresh {
            if dir.exists() {
                std::fs::remove_dir_all(dir)
                    .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            }
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let wf = WorkFile {
                fingerprint: ck.fingerprint.clone(),
                chunks: ck.chunks.clone(),
            };
            let text = serde_json::to_string_pretty(&wf).map_err(|e| e.to_string())?;
            write_atomic(&work_path, text.as_bytes())?;
            return Ok(ck);
        }
        let text = std::fs::read_to_string(&work_path)
            .map_err(|e| format!("{}: {e} (no interrupted run here?)", work_path.display()))?;
        let old: WorkFile =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", work_path.display()))?;
        if old.fingerprint != ck.fingerprint {
            return Err(format!(
                "--resume: the configuration, parameters or options differ from those of the \
                 interrupted run in {} (fingerprint {} vs {}); run with --overwrite to start \
                 again, or use another output directory",
                outdir.display(),
                old.fingerprint,
                ck.fingerprint
            ));
        }
        if let Some(why) = work_differences(&old.chunks, &ck.chunks) {
            if mode == Mode::Retry {
                ck.notes
                    .push(format!("{why}: its finished chunks are processed again"));
                return Checkpoints::open(dir, fingerprint, work, dataset_names, Mode::Fresh).map(
                    |c| Checkpoints {
                        notes: ck.notes,
                        ..c
                    },
                );
            }
            return Err(format!(
                "--resume: {why} in {}: its checkpoints cannot be used; run with --overwrite \
                 to start again",
                outdir.display()
            ));
        }
        if matches!(mode, Mode::Resume | Mode::Retry) {
            remove_temporary_files(dir);
            ck.drop_damaged();
        }
        Ok(ck)
    }

    /// Verifies every checkpoint; damaged ones are removed (their chunks
    /// are processed again) and noted.
    fn drop_damaged(&mut self) {
        let damaged: Vec<(usize, String)> = (0..self.chunks.len())
            .into_par_iter()
            .filter(|&i| self.chunk_path(i).exists())
            .filter_map(|i| self.load(i).err().map(|e| (i, e)))
            .collect();
        for (i, e) in damaged {
            let _ = std::fs::remove_file(self.chunk_path(i));
            self.notes
                .push(format!("{e}: chunk {i} is processed again"));
        }
    }

    /// What opening found: the run started afresh for want of a work list,
    /// damaged checkpoints removed.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    fn chunk_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("chunk-{index:06}.cortado"))
    }

    /// The chunks finished before (their checkpoint exists).
    pub fn finished(&self, n: usize) -> BTreeSet<usize> {
        (0..n).filter(|&i| self.chunk_path(i).exists()).collect()
    }

    /// Writes the output of chunk `index` (atomically), stamped with the
    /// run's fingerprint.
    pub fn save(&self, index: usize, out: &mut Output) -> Result<(), String> {
        out.provenance.run = Some(self.fingerprint.clone());
        out.write(&self.chunk_path(index))
    }

    /// Reads the output of chunk `index`, verified: intact, written by this
    /// run, holding exactly that chunk.
    pub fn load(&self, index: usize) -> Result<Output, String> {
        let path = self.chunk_path(index);
        let out = Output::read(&path)?;
        let c = self
            .chunks
            .get(index)
            .ok_or_else(|| format!("{}: no chunk {index} in the work list", path.display()))?;
        if out.provenance.run.as_deref() != Some(self.fingerprint.as_str()) {
            return Err(format!("{}: written by another run", path.display()));
        }
        let expected = crate::output::provenance::Provenance::chunk(
            &c.dataset,
            &c.file,
            &c.identity,
            [c.start, c.stop],
        );
        if out.provenance.inputs != expected.inputs {
            return Err(format!(
                "{}: does not hold chunk {index} ({} entries {}..{})",
                path.display(),
                c.file,
                c.start,
                c.stop
            ));
        }
        Ok(out)
    }

    /// Removes the checkpoints (after the final output is written), and the
    /// checkpoint folder above when it is left empty.
    pub fn remove(self) -> Result<(), String> {
        std::fs::remove_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        if let Some(parent) = self.dir.parent().filter(|p| p.ends_with(DIR)) {
            let _ = std::fs::remove_dir(parent); // only if empty
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::FileIdentity;

    fn work() -> Vec<Chunk> {
        (0..3)
            .map(|i| Chunk {
                plan: 0,
                file: "f.root".into(),
                entries: i * 10..(i + 1) * 10,
                identity: FileIdentity {
                    size: 100,
                    modified_ns: Some(7),
                    uuid: None,
                },
            })
            .collect()
    }

    fn chunk_output(i: usize) -> Output {
        let w = &work()[i];
        let mut o = Output::new();
        o.provenance = crate::output::provenance::Provenance::chunk(
            "ds",
            &w.file,
            &w.identity,
            [w.entries.start, w.entries.end],
        );
        o
    }

    fn folder(name: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!("cortado-ckpt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        base.join(DIR)
    }

    #[test]
    fn resume_keeps_finished_chunks_and_refuses_changes() {
        let out = folder("resume");
        let names = vec!["ds".to_string()];
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        c.save(1, &mut chunk_output(1)).unwrap();
        assert_eq!(c.finished(3), BTreeSet::from([1]));
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap();
        assert!(c.notes().is_empty(), "{:?}", c.notes());
        assert_eq!(c.finished(3), BTreeSet::from([1]));
        assert_eq!(
            c.load(1).unwrap().provenance.inputs,
            chunk_output(1).provenance.inputs
        );
        let e = Checkpoints::open(&out, "xyz", &work(), &names, Mode::Attach).unwrap_err();
        assert!(e.contains("differ"), "{e}");
        let mut w = work();
        w[2].entries = 20..25;
        let e = Checkpoints::open(&out, "abc", &w, &names, Mode::Resume).unwrap_err();
        assert!(e.contains("input files changed"), "{e}");
        // the same chunks of a file replaced by another
        let mut w = work();
        for c in &mut w {
            c.identity.uuid = Some("other".into());
        }
        let e = Checkpoints::open(&out, "abc", &w, &names, Mode::Resume).unwrap_err();
        assert!(e.contains("f.root changed") && e.contains("UUID"), "{e}");
        // ... which a retry of a failed part takes as a repair: it starts afresh
        let c = Checkpoints::open(&out, "abc", &w, &names, Mode::Retry).unwrap();
        assert!(c.finished(3).is_empty() && c.notes()[0].contains("processed again"));
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        c.save(1, &mut chunk_output(1)).unwrap();
        // a fresh start forgets the old chunks
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        assert!(c.finished(3).is_empty());
        c.remove().unwrap();
        assert!(
            !out.parent().unwrap().join(DIR).exists(),
            "empty folder removed"
        );
        // nothing to resume: a fresh start, said so
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap();
        assert!(c.notes()[0].contains("starting afresh"), "{:?}", c.notes());
        assert!(out.join("work.json").exists());
        std::fs::remove_dir_all(out.parent().unwrap()).ok();
    }

    #[test]
    fn damaged_or_foreign_checkpoints_are_never_merged() {
        let out = folder("damaged");
        let names = vec!["ds".to_string()];
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Fresh).unwrap();
        for i in 0..3 {
            c.save(i, &mut chunk_output(i)).unwrap();
        }
        // chunk 0: a flipped byte; chunk 1: another chunk's output; chunk 2 intact
        let p0 = c.chunk_path(0);
        let mut b = std::fs::read(&p0).unwrap();
        let last = b.len() - 10;
        b[last] ^= 0x10;
        std::fs::write(&p0, b).unwrap();
        std::fs::copy(c.chunk_path(2), c.chunk_path(1)).unwrap();
        std::fs::write(out.join(".chunk-000002.cortado.tmp123"), b"partial").unwrap();
        assert!(c.load(0).unwrap_err().contains("damaged"));
        assert!(c.load(1).unwrap_err().contains("does not hold chunk 1"));
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap();
        assert_eq!(c.finished(3), BTreeSet::from([2]));
        assert_eq!(c.notes().len(), 2, "{:?}", c.notes());
        assert!(!out.join(".chunk-000002.cortado.tmp123").exists());
        // a checkpoint of another run
        let c = Checkpoints::open(&out, "abc", &work(), &names, Mode::Resume).unwrap();
        let mut o = chunk_output(0);
        o.provenance.run = Some("zzz".into());
        o.write(&c.chunk_path(0)).unwrap();
        assert!(c.load(0).unwrap_err().contains("another run"));
        std::fs::remove_dir_all(out.parent().unwrap()).ok();
    }

    #[test]
    fn fingerprints_differ_for_different_texts() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("").len(), 16);
    }
}
