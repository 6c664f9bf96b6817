//! The result of a run: histograms, cutflow, sums of weights, columns and
//! dataset metadata, with PocketCoffea's structure (§5.2). Merging is
//! deterministic and postprocessing (the 1/Σ genWeight normalisation) is
//! recorded, so that an output is never rescaled twice.

pub mod file;
pub mod provenance;
mod reference;
pub mod stream;

use std::collections::BTreeMap;
use std::path::Path;

use cortado_hist::{Hist, Sum};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use file::write_atomic;
use provenance::Provenance;

/// Map type of outputs (sorted keys: deterministic files).
pub type Map<V> = BTreeMap<String, V>;

/// The format tag written into every output file.
pub const FORMAT: &str = "cortado-output/2";

/// The histograms of one (histogram, sample, dataset): one per category and variation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistSet {
    /// Whether the histogram has a variation axis (simulation).
    pub has_variation_axis: bool,
    /// category → variation → histogram.
    pub hists: Map<Map<Hist>>,
}

/// Stored per-event values of one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnValues {
    /// Integers.
    Int(Vec<i64>),
    /// Floats (NaN and infinities included: `min_delta_r` of no objects).
    Float(#[serde(with = "cortado_hist::json_float::vec")] Vec<f64>),
    /// Booleans.
    Bool(Vec<bool>),
}

impl ColumnValues {
    fn extend(&mut self, other: &ColumnValues) -> Result<(), String> {
        match (self, other) {
            (ColumnValues::Int(a), ColumnValues::Int(b)) => a.extend_from_slice(b),
            (ColumnValues::Float(a), ColumnValues::Float(b)) => a.extend_from_slice(b),
            (ColumnValues::Bool(a), ColumnValues::Bool(b)) => a.extend_from_slice(b),
            _ => return Err("columns of different types cannot be merged".into()),
        }
        Ok(())
    }
}

/// Event counts after each step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cutflow {
    /// Events read, by dataset.
    pub initial: Map<u64>,
    /// Events after the skim.
    pub skim: Map<u64>,
    /// Events after the preselection, by dataset and variation.
    pub presel: Map<Map<u64>>,
    /// Events per category: category → dataset → sample → variation.
    pub categories: Map<Map<Map<Map<u64>>>>,
}

/// A complete (or partial) output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// Format tag.
    pub format: String,
    /// Σ genWeight before any cut, by dataset (simulation).
    pub sum_genweights: Map<Sum>,
    /// Σ sign(genWeight), by dataset.
    pub sum_signof_genweights: Map<Sum>,
    /// Event counts.
    pub cutflow: Cutflow,
    /// Σ weight per category: category → dataset → sample → variation (simulation).
    pub sumw: Map<Map<Map<Map<Sum>>>>,
    /// Σ weight² per category.
    pub sumw2: Map<Map<Map<Map<Sum>>>>,
    /// histogram → sample → dataset → histograms.
    pub variables: Map<Map<Map<HistSet>>>,
    /// sample → dataset → category → variation → column → values.
    pub columns: Map<Map<Map<Map<Map<ColumnValues>>>>>,
    /// Dataset metadata (PocketCoffea's `datasets_metadata`).
    pub datasets_metadata: Value,
    /// Scale applied per dataset by postprocessing (`1/Σ genWeight`); absent
    /// until postprocessed. Merging refuses to mix scaled and unscaled outputs.
    pub scaled: Option<Map<f64>>,
    /// What made the output and which events it holds; merging checks it.
    pub provenance: Provenance,
}

fn merge_maps<V>(
    a: &mut Map<V>,
    b: &Map<V>,
    f: &mut impl FnMut(&mut V, &V) -> Result<(), String>,
) -> Result<(), String>
where
    V: Clone,
{
    for (k, v) in b {
        match a.get_mut(k) {
            Some(x) => f(x, v).map_err(|e| format!("{k}/{e}"))?,
            None => {
                a.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn add_u64(a: &mut u64, b: &u64) -> Result<(), String> {
    *a += b;
    Ok(())
}

fn add_sum(a: &mut Sum, b: &Sum) -> Result<(), String> {
    a.merge(b);
    Ok(())
}

impl Output {
    /// An empty output.
    pub fn new() -> Output {
        Output {
            format: FORMAT.to_string(),
            datasets_metadata: json!({}),
            ..Default::default()
        }
    }

    /// Adds `other` into `self`: counts and sums add, histograms add, columns
    /// concatenate (in call order), metadata unite.
    pub fn merge(&mut self, other: &Output) -> Result<(), String> {
        self.provenance.check_merge(&other.provenance)?;
        if self.scaled.is_some() != other.scaled.is_some() {
            return Err("cannot merge a normalised (postprocessed) output with a raw one".into());
        }
        if self.scaled.is_some() {
            // Each normalised output holds whole datasets: one in both would
            // count twice, with two different normalisations.
            let mine: std::collections::BTreeSet<&String> = self.cutflow.initial.keys().collect();
            if let Some(ds) = other.cutflow.initial.keys().find(|d| mine.contains(d)) {
                return Err(format!(
                    "dataset {ds} is in both normalised outputs: its events would count twice \
                     (merge the partial outputs of a dataset before normalising)"
                ));
            }
        }
        merge_maps(
            &mut self.sum_genweights,
            &other.sum_genweights,
            &mut add_sum,
        )?;
        merge_maps(
            &mut self.sum_signof_genweights,
            &other.sum_signof_genweights,
            &mut add_sum,
        )?;
        merge_maps(
            &mut self.cutflow.initial,
            &other.cutflow.initial,
            &mut add_u64,
        )?;
        merge_maps(&mut self.cutflow.skim, &other.cutflow.skim, &mut add_u64)?;
        merge_maps(
            &mut self.cutflow.presel,
            &other.cutflow.presel,
            &mut |a, b| merge_maps(a, b, &mut add_u64),
        )?;
        merge_maps(
            &mut self.cutflow.categories,
            &other.cutflow.categories,
            &mut |a, b| {
                merge_maps(a, b, &mut |a, b| {
                    merge_maps(a, b, &mut |a, b| merge_maps(a, b, &mut add_u64))
                })
            },
        )?;
        for (mine, theirs) in [
            (&mut self.sumw, &other.sumw),
            (&mut self.sumw2, &other.sumw2),
        ] {
            merge_maps(mine, theirs, &mut |a, b| {
                merge_maps(a, b, &mut |a, b| {
                    merge_maps(a, b, &mut |a, b| merge_maps(a, b, &mut add_sum))
                })
            })?;
        }
        merge_maps(&mut self.variables, &other.variables, &mut |a, b| {
            merge_maps(a, b, &mut |a, b| {
                merge_maps(a, b, &mut |a: &mut HistSet, b: &HistSet| {
                    merge_maps(&mut a.hists, &b.hists, &mut |a, b| {
                        merge_maps(a, b, &mut |a: &mut Hist, b: &Hist| a.add(b))
                    })
                })
            })
        })?;
        merge_maps(&mut self.columns, &other.columns, &mut |a, b| {
            merge_maps(a, b, &mut |a, b| {
                merge_maps(a, b, &mut |a, b| {
                    merge_maps(a, b, &mut |a, b| {
                        merge_maps(a, b, &mut |a: &mut ColumnValues, b| a.extend(b))
                    })
                })
            })
        })?;
        if let (Some(a), Some(b)) = (
            self.datasets_metadata.as_object_mut(),
            other.datasets_metadata.as_object(),
        ) {
            for (k, v) in b {
                merge_json(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        if let (Some(a), Some(b)) = (self.scaled.as_mut(), other.scaled.as_ref()) {
            for (k, v) in b {
                a.insert(k.clone(), *v);
            }
        }
        self.provenance.merge_checked(&other.provenance);
        Ok(())
    }

    /// Rounds every compensated sum (histogram cells, sums of weights) to its
    /// final value.
    pub fn settle(&mut self) {
        for h in self
            .variables
            .values_mut()
            .flat_map(|m| m.values_mut())
            .flat_map(|m| m.values_mut())
            .flat_map(|hs| hs.hists.values_mut())
            .flat_map(|m| m.values_mut())
        {
            h.settle();
        }
        for v in self
            .sum_genweights
            .values_mut()
            .chain(self.sum_signof_genweights.values_mut())
        {
            v.settle();
        }
        for v in self
            .sumw
            .values_mut()
            .chain(self.sumw2.values_mut())
            .flat_map(|m| m.values_mut())
            .flat_map(|m| m.values_mut())
            .flat_map(|m| m.values_mut())
        {
            v.settle();
        }
    }

    /// PocketCoffea's postprocessing: every histogram, `sumw` and `sumw2` of a
    /// simulated dataset is multiplied by `1/Σ genWeight` (or `1/Σ sign`),
    /// squared for `sumw2`, when that weight is applied to its sample. Records
    /// the scales; an output already scaled is left unchanged.
    pub fn postprocess(&mut self, scales: &Map<f64>) -> Result<(), String> {
        if self.scaled.is_some() {
            return Ok(());
        }
        self.settle();
        for (_, by_sample) in self.variables.iter_mut() {
            for (_, by_ds) in by_sample.iter_mut() {
                for (ds, hs) in by_ds.iter_mut() {
                    if let Some(s) = scales.get(ds) {
                        for h in hs.hists.values_mut().flat_map(|m| m.values_mut()) {
                            h.scale(*s);
                        }
                    }
                }
            }
        }
        for (which, sq) in [(&mut self.sumw, false), (&mut self.sumw2, true)] {
            for by_ds in which.values_mut() {
                for (ds, by_sample) in by_ds.iter_mut() {
                    if let Some(s) = scales.get(ds) {
                        for v in by_sample.values_mut().flat_map(|m| m.values_mut()) {
                            *v = Sum::of(v.value() * if sq { s * s } else { *s });
                        }
                    }
                }
            }
        }
        for (hist, by_sample) in &self.variables {
            for (sample, by_ds) in by_sample {
                for (ds, hs) in by_ds {
                    if hs
                        .hists
                        .values()
                        .flat_map(|m| m.values())
                        .any(|h| h.has_non_finite())
                    {
                        return Err(format!(
                            "histogram {hist} of {sample}/{ds} contains NaN or infinite values"
                        ));
                    }
                }
            }
        }
        self.scaled = Some(scales.clone());
        Ok(())
    }

    /// Writes the output file atomically, with checksums ([`file`](mod@file)).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        file::write(self, path)
    }

    /// Reads an output file written by [`Output::write`], verifying it.
    pub fn read(path: &Path) -> Result<Output, String> {
        file::read(path)
    }
}

fn merge_json(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in y {
                merge_json(x.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for v in y {
                if !x.contains(v) {
                    x.push(v.clone());
                }
            }
            x.sort_by_key(|v| v.to_string());
        }
        (a, b) => *a = b.clone(),
    }
}
