//! Histogram filling of a chunk: the cells each histogram's values fall in,
//! found once per category, filled with the weights of each variation; and
//! the workflow's `fill_histograms_extra` view of the chunk.

use std::collections::BTreeMap;
use std::sync::Arc;

use cortado_columns::AsF64;
use cortado_expr::eval::{eval, Env};
use cortado_expr::value::{Arr, Val};
use cortado_expr::with_arr;
use cortado_hist::{Hist, Storage};

use super::{both, slot, Pass};
use crate::ext::ExtraFill;
use crate::output::{HistSet, Output};
use crate::plan::{DatasetPlan, HistPlan};

type R<T> = Result<T, String>;

/// Values of a histogram axis: per event (with validity) or per object.
enum AxisVals {
    Event(Arc<Arr>, Option<Arc<Vec<bool>>>),
    Obj(Arc<Arr>, Arc<Vec<u32>>),
}

fn axis_vals(v: Val) -> R<AxisVals> {
    Ok(match v {
        Val::Event(a) => AxisVals::Event(a, None),
        Val::Opt(a, m) => AxisVals::Event(a, Some(m)),
        Val::Obj(a, o) => AxisVals::Obj(a, o),
        _ => return Err("internal error: histogram values".into()),
    })
}

/// The cells a histogram's values fall in, with the event of each, for the
/// events where `mask` is true (values outside every bin and missing ones
/// are left out). Computed once per histogram and category, then filled
/// with the weights of each variation ([`fill_cells`]).
fn cells(h: &Hist, axes: &[AxisVals], mask: &[bool]) -> Vec<(u32, usize)> {
    let mut out = Vec::new();
    if let [one] = axes {
        cells_1d(h, one, mask, &mut out);
        return out;
    }
    let offsets = axes.iter().find_map(|a| match a {
        AxisVals::Obj(_, o) => Some(o.clone()),
        _ => None,
    });
    let mut idx = vec![0isize; axes.len()];
    let mut put = |e: usize, obj: Option<usize>, out: &mut Vec<(u32, usize)>| {
        for (k, a) in axes.iter().enumerate() {
            let x = match a {
                AxisVals::Event(v, valid) => {
                    if valid.as_ref().is_some_and(|m| !m[e]) {
                        return;
                    }
                    v.get_f64(e)
                }
                AxisVals::Obj(v, _) => v.get_f64(obj.unwrap_or(0)),
            };
            idx[k] = h.axes[k].index_f64(x);
        }
        if let Some(c) = h.cell_of(&idx) {
            out.push((e as u32, c));
        }
    };
    for e in (0..mask.len()).filter(|&e| mask[e]) {
        match &offsets {
            None => put(e, None, &mut out),
            Some(off) => {
                for i in off[e]..off[e + 1] {
                    put(e, Some(i as usize), &mut out);
                }
            }
        }
    }
    out
}

/// An integer category's value: `x` when it is a whole number (others fall
/// in the "other" bin, as `IntCategory` never holds them).
fn as_category(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// The axes with every growing integer category axis given the values it
/// takes for the events where `mask` is true (sorted, see cortado-hist).
fn grown_axes(
    axes: &[cortado_hist::Axis],
    vals: &[AxisVals],
    mask: &[bool],
) -> Vec<cortado_hist::Axis> {
    if !axes.iter().any(|a| a.grows()) {
        return axes.to_vec();
    }
    let mut h = Hist::new(axes.to_vec(), Storage::Double);
    for (k, v) in vals.iter().enumerate().filter(|(k, _)| axes[*k].grows()) {
        let mut seen = Vec::new();
        for e in (0..mask.len()).filter(|&e| mask[e]) {
            match v {
                AxisVals::Event(a, valid) => {
                    if valid.as_ref().is_none_or(|m| m[e]) {
                        seen.extend(as_category(a.get_f64(e)));
                    }
                }
                AxisVals::Obj(a, off) => {
                    for i in off[e]..off[e + 1] {
                        seen.extend(as_category(a.get_f64(i as usize)));
                    }
                }
            }
        }
        seen.sort_unstable();
        seen.dedup();
        h.grow_int(k, seen);
    }
    h.axes
}

/// [`cells`] for one axis (most histograms): one loop per value type, with
/// no per-value dispatch.
fn cells_1d(h: &Hist, axis: &AxisVals, mask: &[bool], out: &mut Vec<(u32, usize)>) {
    fn run<T: AsF64>(
        h: &Hist,
        xs: &[T],
        valid: Option<&[bool]>,
        offsets: Option<&[u32]>,
        mask: &[bool],
        out: &mut Vec<(u32, usize)>,
    ) {
        let a = &h.axes[0];
        match offsets {
            None => {
                for (e, &m) in mask.iter().enumerate() {
                    if m && valid.is_none_or(|v| v[e]) {
                        if let Some(c) = a.cell(a.index_f64(xs[e].as_f64())) {
                            out.push((e as u32, c));
                        }
                    }
                }
            }
            Some(off) => {
                for (e, &m) in mask.iter().enumerate() {
                    if m {
                        for &x in &xs[off[e] as usize..off[e + 1] as usize] {
                            if let Some(c) = a.cell(a.index_f64(x.as_f64())) {
                                out.push((e as u32, c));
                            }
                        }
                    }
                }
            }
        }
    }
    match axis {
        AxisVals::Event(v, valid) => {
            with_arr!(&**v, xs => run(h, xs, valid.as_deref().map(|v| v.as_slice()), None, mask, out))
        }
        AxisVals::Obj(v, off) => with_arr!(&**v, xs => run(h, xs, None, Some(off), mask, out)),
    }
}

/// Adds the weight of each cell's event (see [`cells`]).
fn fill_cells(h: &mut Hist, cells: &[(u32, usize)], w: &[f64]) {
    for &(e, c) in cells {
        h.add_at(c, w[e as usize]);
    }
}

/// A histogram's axis values for the chunk (`None`: `autofill: false`, left
/// to the workflow's `fill_histograms_extra`) and its variations.
struct Prepared<'a> {
    h: &'a HistPlan,
    vals: Option<Vec<AxisVals>>,
    axes: Vec<cortado_hist::Axis>,
    storage: Storage,
    variations: Vec<String>,
}

/// Fills every histogram of this pass: the axis values once per histogram,
/// the weights once per (sample, category, variation) for all histograms
/// that use them. The nominal pass fills the nominal and the weight
/// variations, and leaves the shape variations' histograms empty; a shape
/// variation's pass fills its own, with the nominal weights.
pub(super) fn fill_hists(
    plan: &DatasetPlan,
    pass: &Pass,
    env: &Env,
    cat_masks: &[(String, Vec<bool>)],
    targets: &[(String, Option<Vec<bool>>)],
    weight_for: &dyn Fn(&str, &str, &str) -> Vec<f64>,
    out: &mut Output,
) -> R<()> {
    let (is_mc, ds) = (plan.dataset.is_mc, plan.dataset.name.as_str());
    // in a shape pass with the nominal events and weights, the histograms
    // no variation changes were copied from the nominal ones
    let copied = pass.shape.is_some() && plan.varies.same_events_and_weights();
    let prepared: Vec<Prepared> = plan
        .hists
        .iter()
        .zip(&plan.varies.hists)
        .filter(|(h, varies)| {
            pass.shape.is_none()
                || (h
                    .variations
                    .as_ref()
                    .is_some_and(|v| v.iter().any(|x| x == pass.name))
                    && (**varies || !copied))
        })
        .map(|(h, _)| h)
        .map(|h| {
            let vals = h
                .axes
                .iter()
                .map(|(_, t)| {
                    t.as_ref().map(|t| {
                        eval(t, env)
                            .map_err(|e| format!("histogram '{}': {e}", h.def.name))
                            .and_then(axis_vals)
                    })
                })
                .collect::<Option<R<Vec<_>>>>()
                .transpose()?;
            Ok(Prepared {
                h,
                vals,
                axes: h.axes.iter().map(|(a, _)| a.clone()).collect(),
                storage: if h.def.storage == "double" {
                    Storage::Double
                } else {
                    Storage::Weight
                },
                variations: h
                    .variations
                    .clone()
                    .unwrap_or_else(|| vec!["nominal".to_string()]),
            })
        })
        .collect::<R<_>>()?;
    let n = env.len();
    for (target, sm) in targets {
        let mut sets: Vec<HistSet> = prepared
            .iter()
            .map(|p| HistSet {
                has_variation_axis: p.h.variations.is_some(),
                hists: BTreeMap::new(),
            })
            .collect();
        for (cat, cm) in cat_masks {
            let users: Vec<usize> = (0..prepared.len())
                .filter(|&i| prepared[i].h.categories.contains(cat))
                .collect();
            if users.is_empty() || !pass.fills(cat) {
                continue;
            }
            let mask = both(cm, sm.as_deref());
            let any = mask.iter().any(|&b| b);
            let mut cell_cache: BTreeMap<usize, Vec<(u32, usize)>> = BTreeMap::new();
            let mut axes_cache: BTreeMap<usize, Vec<cortado_hist::Axis>> = BTreeMap::new();
            let mut vars: Vec<&str> = users
                .iter()
                .flat_map(|&i| prepared[i].variations.iter().map(String::as_str))
                .collect();
            vars.sort_unstable();
            vars.dedup();
            for var in vars {
                let these: Vec<usize> = users
                    .iter()
                    .copied()
                    .filter(|&i| prepared[i].variations.iter().any(|v| v == var))
                    .collect();
                // a shape variation's histograms stay empty outside its pass
                let filled = pass.weight_variation(var, plan);
                if pass.shape.is_some() && filled.is_none() {
                    continue;
                }
                let needs = |no_weights: bool| {
                    any && filled.is_some()
                        && these
                            .iter()
                            .any(|&i| prepared[i].h.def.no_weights == no_weights)
                };
                // data have one weight, the nominal one
                let weights = needs(false).then(|| {
                    weight_for(
                        target,
                        cat,
                        if is_mc {
                            filled.unwrap_or("nominal")
                        } else {
                            "nominal"
                        },
                    )
                });
                let ones = needs(true).then(|| vec![1.0; n]);
                for &i in &these {
                    let p = &prepared[i];
                    // growing category axes get the categories of these
                    // events (found once, with the cells)
                    let grown = axes_cache.entry(i).or_insert_with(|| match &p.vals {
                        Some(vals) => grown_axes(&p.axes, vals, &mask),
                        None => p.axes.clone(),
                    });
                    let mut hist = Hist::new(grown.clone(), p.storage);
                    let w = if p.h.def.no_weights {
                        ones.as_ref().filter(|_| filled == Some("nominal"))
                    } else {
                        weights.as_ref()
                    };
                    if let (Some(w), Some(vals)) = (w, &p.vals) {
                        // the cells do not depend on the variation: found once
                        let c = cell_cache
                            .entry(i)
                            .or_insert_with(|| cells(&hist, vals, &mask));
                        fill_cells(&mut hist, c, w);
                    }
                    sets[i]
                        .hists
                        .entry(cat.clone())
                        .or_default()
                        .insert(var.to_string(), hist);
                }
            }
        }
        for (p, set) in prepared.iter().zip(sets) {
            let dst = out
                .variables
                .entry(p.h.def.name.clone())
                .or_default()
                .entry(target.clone())
                .or_default()
                .entry(ds.to_string())
                .or_insert_with(|| HistSet {
                    has_variation_axis: set.has_variation_axis,
                    hists: BTreeMap::new(),
                });
            for (cat, by_var) in set.hists {
                dst.hists.entry(cat).or_default().extend(by_var);
            }
        }
    }
    Ok(())
}

/// An empty histogram of `hp`.
pub(super) fn empty_hist(hp: &HistPlan) -> Hist {
    Hist::new(
        hp.axes.iter().map(|(a, _)| a.clone()).collect(),
        if hp.def.storage == "double" {
            Storage::Double
        } else {
            Storage::Weight
        },
    )
}

/// Empty histograms and zero counts for pass `pass` when its preselection
/// keeps no event of the chunk, so that every variation of the dataset has
/// its entries whatever the chunk (PocketCoffea's histograms have every
/// variation on their axis).
pub(super) fn empty_pass(plan: &DatasetPlan, pass: &Pass, out: &mut Output) {
    let ds = &plan.dataset.name;
    let targets: Vec<String> = if plan.subsamples.is_empty() {
        vec![plan.dataset.sample.clone()]
    } else {
        plan.subsamples.iter().map(|(n, _)| n.clone()).collect()
    };
    let mut counted = vec![plan.dataset.sample.clone()];
    if !plan.subsamples.is_empty() {
        counted.extend(targets.iter().cloned());
    }
    for (cat, _) in &plan.categories {
        for t in &counted {
            slot(&mut out.cutflow.categories, cat, ds, t, pass.name);
            if plan.dataset.is_mc {
                slot(&mut out.sumw, cat, ds, t, pass.name);
                slot(&mut out.sumw2, cat, ds, t, pass.name);
            }
        }
    }
    for hp in &plan.hists {
        let vars: Vec<String> = match (&hp.variations, pass.shape) {
            (None, None) => vec!["nominal".into()],
            (Some(v), None) => v.clone(),
            (Some(v), Some(s)) if v.contains(&s.name) => vec![s.name.clone()],
            _ => continue,
        };
        for t in &targets {
            let set = out
                .variables
                .entry(hp.def.name.clone())
                .or_default()
                .entry(t.clone())
                .or_default()
                .entry(ds.clone())
                .or_insert_with(|| HistSet {
                    has_variation_axis: hp.variations.is_some(),
                    hists: BTreeMap::new(),
                });
            for cat in hp.categories.iter().filter(|c| pass.fills(c)) {
                let by_var = set.hists.entry(cat.clone()).or_default();
                for v in &vars {
                    by_var.entry(v.clone()).or_insert_with(|| empty_hist(hp));
                }
            }
        }
    }
}

/// The chunk's histograms as the workflow's `fill_histograms_extra` sees them.
pub(super) struct ExtraHists<'a> {
    pub(super) plan: &'a DatasetPlan,
    pub(super) pass: &'a Pass<'a>,
    pub(super) ds: &'a str,
    pub(super) cat_masks: &'a [(String, Vec<bool>)],
    pub(super) targets: &'a [(String, Option<Vec<bool>>)],
    pub(super) weight_for: &'a dyn Fn(&str, &str, &str) -> Vec<f64>,
    pub(super) out: &'a mut Output,
}

impl ExtraFill for ExtraHists<'_> {
    fn categories(&self) -> Vec<(String, Vec<bool>)> {
        // a shape variation asked for in some categories fills those only
        self.cat_masks
            .iter()
            .filter(|(c, _)| self.pass.fills(c))
            .cloned()
            .collect()
    }

    fn samples(&self) -> Vec<(String, Option<Vec<bool>>)> {
        self.targets.to_vec()
    }

    fn variations(&self, hist: &str) -> Vec<String> {
        match self.plan.hists.iter().find(|h| h.def.name == hist) {
            Some(h) => h
                .variations
                .clone()
                .unwrap_or_else(|| vec!["nominal".to_string()])
                .into_iter()
                .filter(|v| self.pass.weight_variation(v, self.plan).is_some())
                .collect(),
            None => Vec::new(),
        }
    }

    fn weights(&self, sample: &str, category: &str, variation: &str) -> Vec<f64> {
        let w = self
            .pass
            .weight_variation(variation, self.plan)
            .unwrap_or(variation);
        (self.weight_for)(sample, category, w)
    }

    fn pass(&self) -> &str {
        self.pass.name
    }

    fn fill(
        &mut self,
        hist: &str,
        sample: &str,
        category: &str,
        variation: &str,
        values: &[&[f64]],
        weights: &[f64],
    ) -> R<()> {
        let Some(hp) = self.plan.hists.iter().find(|h| h.def.name == hist) else {
            let names: Vec<&str> = self
                .plan
                .hists
                .iter()
                .map(|h| h.def.name.as_str())
                .collect();
            return Err(format!(
                "no histogram '{hist}' in the configuration (there are: {})",
                names.join(", ")
            ));
        };
        if hp.axes.iter().any(|(_, t)| t.is_some()) {
            return Err(format!(
                "histogram '{hist}' is filled automatically; declare it with autofill: false"
            ));
        }
        if values.len() != hp.axes.len() {
            return Err(format!(
                "histogram '{hist}' has {} axes, {} value arrays given",
                hp.axes.len(),
                values.len()
            ));
        }
        if values.iter().any(|v| v.len() != weights.len()) {
            return Err(format!(
                "histogram '{hist}': every axis needs one value per weight ({} weights)",
                weights.len()
            ));
        }
        if !self.targets.iter().any(|(t, _)| t == sample) {
            return Err(format!(
                "histogram '{hist}': no sample '{sample}' in this chunk"
            ));
        }
        if !hp.categories.iter().any(|c| c == category) || !self.pass.fills(category) {
            return Err(format!(
                "histogram '{hist}' is not filled in category '{category}'{}",
                if self.pass.fills(category) {
                    String::new()
                } else {
                    format!(" in the pass of {} (not asked for there)", self.pass.name)
                }
            ));
        }
        let known = hp
            .variations
            .as_ref()
            .map_or(variation == "nominal", |v| v.iter().any(|x| x == variation));
        if !known || self.pass.weight_variation(variation, self.plan).is_none() {
            return Err(format!(
                "histogram '{hist}' has no variation '{variation}' for this sample in the {} pass",
                self.pass.name
            ));
        }
        let h = self
            .out
            .variables
            .entry(hist.to_string())
            .or_default()
            .entry(sample.to_string())
            .or_default()
            .entry(self.ds.to_string())
            .or_insert_with(|| HistSet {
                has_variation_axis: hp.variations.is_some(),
                hists: BTreeMap::new(),
            })
            .hists
            .entry(category.to_string())
            .or_default()
            .entry(variation.to_string())
            .or_insert_with(|| empty_hist(hp));
        for (k, v) in values.iter().enumerate() {
            h.grow_int(k, v.iter().filter_map(|&x| as_category(x)));
        }
        let mut idx = vec![0isize; values.len()];
        for (i, &w) in weights.iter().enumerate() {
            for (k, v) in values.iter().enumerate() {
                idx[k] = h.axes[k].index_f64(v[i]);
            }
            if let Some(c) = h.cell_of(&idx) {
                h.add_at(c, w);
            }
        }
        Ok(())
    }
}
