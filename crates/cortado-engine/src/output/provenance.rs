//! Where an output comes from: the fingerprints of the analysis and run that
//! made it, and every input chunk it holds (dataset, file, identity of the
//! file, entry ranges). Merging checks them, so that outputs of different
//! analyses, or two outputs holding the same events, are never added up.

use serde::{Deserialize, Serialize};

use super::Map;
use crate::identity::FileIdentity;

/// Fingerprints of what gives an output's numbers their meaning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisFingerprint {
    /// The configuration (cuts, categories, weights, variations,
    /// histograms, columns), without the choice of datasets.
    pub configuration: String,
    /// The resolved parameters.
    pub parameters: String,
    /// The Rust functions and workflow hooks of the program that ran it.
    pub code: String,
}

impl AnalysisFingerprint {
    /// What differs between two fingerprints, in words.
    pub fn differences(&self, other: &AnalysisFingerprint) -> String {
        let mut d = Vec::new();
        if self.configuration != other.configuration {
            d.push("configurations");
        }
        if self.parameters != other.parameters {
            d.push("parameters");
        }
        if self.code != other.code {
            d.push("Rust functions or workflow hooks");
        }
        format!("different {}", d.join(" and "))
    }
}

/// One input file of an output: its identity and the entry ranges read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// The file as it was read.
    pub identity: FileIdentity,
    /// Entry ranges `[start, stop)`, sorted, disjoint, adjacent ones joined.
    pub entries: Vec<[u64; 2]>,
}

/// The provenance of an output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of cortado that wrote it.
    pub cortado: String,
    /// The analysis (absent in a chunk's output before it is stamped).
    pub analysis: Option<AnalysisFingerprint>,
    /// The run: the analysis, its datasets and files and its chunking
    /// (absent after merging outputs of different runs).
    pub run: Option<String>,
    /// dataset → file → what was read of it.
    pub inputs: Map<Map<InputRecord>>,
}

/// Where `range` goes in the sorted, disjoint `entries`, or the range it
/// overlaps.
fn place(entries: &[[u64; 2]], range: [u64; 2]) -> Result<usize, [u64; 2]> {
    let i = entries.partition_point(|r| r[1] <= range[0]);
    match entries.get(i) {
        Some(r) if r[0] < range[1] && range[0] < range[1] => Err(*r),
        _ => Ok(i),
    }
}

fn insert(entries: &mut Vec<[u64; 2]>, range: [u64; 2], i: usize) {
    if range[0] >= range[1] {
        return;
    }
    let joins_left = i > 0 && entries[i - 1][1] == range[0];
    let joins_right = entries.get(i).is_some_and(|r| r[0] == range[1]);
    match (joins_left, joins_right) {
        (true, true) => {
            entries[i - 1][1] = entries[i][1];
            entries.remove(i);
        }
        (true, false) => entries[i - 1][1] = range[1],
        (false, true) => entries[i][0] = range[0],
        (false, false) => entries.insert(i, range),
    }
}

impl Provenance {
    /// The provenance of one chunk: `entries` of `file` in `dataset`.
    pub fn chunk(dataset: &str, file: &str, identity: &FileIdentity, entries: [u64; 2]) -> Self {
        let mut p = Provenance {
            cortado: env!("CARGO_PKG_VERSION").to_string(),
            ..Default::default()
        };
        let rec = InputRecord {
            identity: identity.clone(),
            entries: if entries[0] < entries[1] {
                vec![entries]
            } else {
                Vec::new()
            },
        };
        p.inputs
            .entry(dataset.to_string())
            .or_default()
            .insert(file.to_string(), rec);
        p
    }

    /// Why `other` cannot be merged into `self`, if it cannot: different
    /// analyses, a file read in two different versions, or the same events
    /// in both.
    pub fn check_merge(&self, other: &Provenance) -> Result<(), String> {
        if let (Some(a), Some(b)) = (&self.analysis, &other.analysis) {
            if a != b {
                return Err(format!(
                    "the outputs were made by {}: their histograms do not mean the same thing",
                    a.differences(b)
                ));
            }
        }
        for (ds, files) in &other.inputs {
            let Some(mine) = self.inputs.get(ds) else {
                continue;
            };
            for (file, rec) in files {
                let Some(m) = mine.get(file) else { continue };
                if let Some(d) = m.identity.differences(&rec.identity) {
                    return Err(format!(
                        "{file} (dataset {ds}) was a different file when the outputs were made \
                         ({d})"
                    ));
                }
                for r in &rec.entries {
                    if let Err(o) = place(&m.entries, *r) {
                        return Err(format!(
                            "entries {}..{} of {file} (dataset {ds}) are in both outputs \
                             (overlapping {}..{}): their events would count twice",
                            r[0], r[1], o[0], o[1]
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Merges `other` into `self` after [`Provenance::check_merge`] accepted it.
    pub fn merge_checked(&mut self, other: &Provenance) {
        let pristine = self.inputs.is_empty() && self.analysis.is_none() && self.run.is_none();
        if pristine {
            self.run = other.run.clone();
            self.cortado = other.cortado.clone();
        } else if self.run != other.run {
            self.run = None;
        }
        if self.analysis.is_none() {
            self.analysis = other.analysis.clone();
        }
        for (ds, files) in &other.inputs {
            let mine = self.inputs.entry(ds.clone()).or_default();
            for (file, rec) in files {
                match mine.get_mut(file) {
                    None => {
                        mine.insert(file.clone(), rec.clone());
                    }
                    Some(m) => {
                        for r in &rec.entries {
                            if let Ok(i) = place(&m.entries, *r) {
                                insert(&mut m.entries, *r, i);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Number of entries of every input.
    pub fn entries(&self) -> u64 {
        self.inputs
            .values()
            .flat_map(|f| f.values())
            .flat_map(|r| r.entries.iter())
            .map(|r| r[1] - r[0])
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(size: u64) -> FileIdentity {
        FileIdentity {
            size,
            modified_ns: Some(1),
            uuid: Some("u".into()),
        }
    }

    fn merged(parts: &[Provenance]) -> Result<Provenance, String> {
        let mut p = Provenance::default();
        for q in parts {
            p.check_merge(q)?;
            p.merge_checked(q);
        }
        Ok(p)
    }

    #[test]
    fn adjacent_chunks_join_and_overlaps_are_refused() {
        let c = |a, b| Provenance::chunk("ds", "f.root", &id(10), [a, b]);
        let p = merged(&[c(10, 20), c(0, 10), c(30, 40), c(20, 30)]).unwrap();
        assert_eq!(p.inputs["ds"]["f.root"].entries, vec![[0, 40]]);
        assert_eq!(p.entries(), 40);
        let e = merged(&[c(0, 10), c(30, 40), c(5, 6)]).unwrap_err();
        assert!(
            e.contains("entries 5..6 of f.root") && e.contains("twice"),
            "{e}"
        );
        let e = merged(&[c(0, 40), c(0, 40)]).unwrap_err();
        assert!(e.contains("count twice"), "{e}");
        // the same entries of another dataset or file are other events
        let other = Provenance::chunk("ds2", "f.root", &id(10), [0, 10]);
        let other_file = Provenance::chunk("ds", "g.root", &id(10), [0, 10]);
        assert!(merged(&[c(0, 10), other, other_file]).is_ok());
        // gaps stay
        let p = merged(&[c(0, 10), c(20, 30)]).unwrap();
        assert_eq!(p.inputs["ds"]["f.root"].entries, vec![[0, 10], [20, 30]]);
    }

    #[test]
    fn a_changed_file_or_analysis_is_refused() {
        let a = Provenance::chunk("ds", "f.root", &id(10), [0, 10]);
        let b = Provenance::chunk("ds", "f.root", &id(11), [10, 20]);
        let e = merged(&[a.clone(), b]).unwrap_err();
        assert!(
            e.contains("different file") && e.contains("size 10 → 11"),
            "{e}"
        );
        let mut x = a.clone();
        x.analysis = Some(AnalysisFingerprint {
            configuration: "c1".into(),
            parameters: "p".into(),
            code: "f".into(),
        });
        let mut y = Provenance::chunk("ds", "f.root", &id(10), [10, 20]);
        y.analysis = Some(AnalysisFingerprint {
            configuration: "c2".into(),
            ..x.analysis.clone().unwrap()
        });
        let e = merged(&[x.clone(), y.clone()]).unwrap_err();
        assert!(e.contains("different configurations"), "{e}");
        y.analysis = x.analysis.clone();
        assert!(merged(&[x, y]).is_ok());
    }

    #[test]
    fn run_fingerprint_survives_only_within_one_run() {
        let mut a = Provenance::chunk("ds", "f.root", &id(10), [0, 10]);
        a.run = Some("r1".into());
        let mut b = Provenance::chunk("ds", "f.root", &id(10), [10, 20]);
        b.run = Some("r1".into());
        assert_eq!(
            merged(&[a.clone(), b.clone()]).unwrap().run.as_deref(),
            Some("r1")
        );
        b.run = Some("r2".into());
        assert_eq!(merged(&[a, b]).unwrap().run, None);
    }
}
