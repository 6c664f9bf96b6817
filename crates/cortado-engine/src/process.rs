//! One chunk of events through PocketCoffea's steps (§5.1): Σ genWeight,
//! skim, object preselection, counts, variables, preselection, categories,
//! weights, histograms, cutflow and sums of weights, columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use cortado_columns::AsF64;
use cortado_config::Stage;
use cortado_expr::eval::{eval, Env};
use cortado_expr::value::{compact, Arr, RawData, Val};
use cortado_expr::with_arr;
use cortado_hist::{Hist, Storage, Sum};

use crate::ext::{ExtraFill, Hook, Workflow};
use crate::output::{ColumnValues, HistSet, Output};
use crate::plan::{ColumnPlan, DatasetPlan, HistPlan};
use crate::weights::values::compute_weights;

type R<T> = Result<T, String>;

/// A boolean mask from a cut's value (missing values count as false); an
/// error unless it has one flag per event.
fn mask_of(v: &Val, n: usize) -> R<Vec<bool>> {
    let m: Vec<bool> = match v {
        Val::Lit(l) => vec![l.f64() != 0.0; n],
        Val::Event(a) => a.bools().to_vec(),
        Val::Opt(a, valid) => a
            .bools()
            .iter()
            .zip(valid.iter())
            .map(|(x, v)| *x && *v)
            .collect(),
        _ => return Err("internal error: a cut did not give a per-event boolean".into()),
    };
    if m.len() != n || matches!(v, Val::Opt(a, valid) if a.len() != valid.len()) {
        return Err(format!(
            "internal error: a cut gave {} flags for {n} events",
            m.len()
        ));
    }
    Ok(m)
}

/// The events passing every cut; an error names `what` failed (the cut, category or subsample).
fn all_of<'a>(
    cuts: impl IntoIterator<Item = (String, &'a cortado_expr::check::TExpr)>,
    env: &Env,
) -> R<Vec<bool>> {
    let n = env.len();
    let mut m = vec![true; n];
    for (what, e) in cuts {
        let v = eval(e, env).map_err(|er| format!("{what}: {er}"))?;
        for (a, b) in m.iter_mut().zip(mask_of(&v, n)?) {
            *a &= b;
        }
    }
    Ok(m)
}

/// A category's mask, restricted to a subsample's events if there is one
/// (both masks have one flag per event: made by [`mask_of`]).
fn both(category: &[bool], subsample: Option<&[bool]>) -> Vec<bool> {
    debug_assert!(subsample.is_none_or(|s| s.len() == category.len()));
    match subsample {
        Some(s) => category.iter().zip(s).map(|(a, b)| *a && *b).collect(),
        None => category.to_vec(),
    }
}

/// The events passing every named cut.
fn and_masks(exprs: &[(String, cortado_expr::check::TExpr)], env: &Env) -> R<Vec<bool>> {
    all_of(
        exprs.iter().map(|(name, e)| (format!("cut '{name}'"), e)),
        env,
    )
}

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

/// Evaluates the configuration's definitions of `stage` into `env`.
fn define(plan: &DatasetPlan, env: &mut Env, stage: Stage) -> R<()> {
    for d in plan.defs.iter().filter(|d| d.stage == stage) {
        let v = eval(&d.expr, env).map_err(|e| format!("definition '{}': {e}", d.name))?;
        match &d.field {
            None => env.define(&d.name, v),
            Some(f) => {
                let Val::Coll(c) = env.get(&d.name).map_err(|e| e.0)? else {
                    return Err(format!("'{}' is not a collection", d.name));
                };
                let Val::Obj(a, _) = v else {
                    return Err(format!("'{}.{f}' did not give per-object values", d.name));
                };
                let fields = BTreeMap::from([(f.clone(), a)]);
                env.define(&d.name, Val::Coll(Arc::new(c.with_fields(fields))));
            }
        }
    }
    Ok(())
}

/// Processes one chunk of a dataset (all events of `raw`), with the hooks of `wf`.
pub fn process_chunk(plan: &DatasetPlan, raw: Arc<dyn RawData>, wf: &dyn Workflow) -> R<Output> {
    let mut out = Output::new();
    let ds = plan.dataset.name.clone();
    let sample = plan.dataset.sample.clone();
    let is_mc = plan.dataset.is_mc;
    let n0 = raw.len();
    let mut env = Env::new(raw, plan.schema.clone());
    out.cutflow.initial.insert(ds.clone(), n0 as u64);
    if is_mc {
        let g = env.branch("genWeight").map_err(|e| e.0)?;
        let (mut s, mut sign) = (Sum::default(), 0.0f64);
        for i in 0..g.len() {
            let x = g.get_f64(i);
            s.add(x);
            sign += if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            };
        }
        out.sum_genweights.insert(ds.clone(), s);
        out.sum_signof_genweights.insert(ds.clone(), Sum::of(sign));
    }
    Hook::ProcessExtraBeforeSkim.run(wf, &mut env)?;
    // skim
    let m = and_masks(&plan.skim, &env)?;
    env = env.filter(&m).map_err(|e| format!("skim: {e}"))?;
    out.cutflow.skim.insert(ds.clone(), env.len() as u64);
    if env.is_empty() {
        return Ok(out);
    }
    Hook::ProcessExtraAfterSkim.run(wf, &mut env)?;
    // object preselection, counts, variables (each stage followed by its
    // hooks), the preselection, variables after it
    for stage in Stage::AFTER_SKIM {
        if stage == Stage::AfterPresel {
            let m = and_masks(&plan.presel, &env)?;
            env = env.filter(&m).map_err(|e| format!("preselection: {e}"))?;
            out.cutflow.presel.insert(
                ds.clone(),
                BTreeMap::from([("nominal".to_string(), env.len() as u64)]),
            );
            if env.is_empty() {
                return Ok(out);
            }
        }
        define(plan, &mut env, stage)?;
        for h in Hook::after_stage(stage) {
            h.run(wf, &mut env)?;
        }
    }
    let n = env.len();

    // categories and subsamples
    let mut cat_masks: Vec<(String, Vec<bool>)> = Vec::new();
    for (name, cuts) in &plan.categories {
        let what = format!("category '{name}'");
        let m = all_of(cuts.iter().map(|c| (what.clone(), c)), &env)?;
        cat_masks.push((name.clone(), m));
    }
    let mut targets: Vec<(String, Option<Vec<bool>>)> = Vec::new(); // (sample name, subsample mask)
    if plan.subsamples.is_empty() {
        targets.push((sample.clone(), None));
    } else {
        for (name, cuts) in &plan.subsamples {
            let what = format!("subsample '{name}'");
            let m = all_of(cuts.iter().map(|c| (what.clone(), c)), &env)?;
            targets.push((name.clone(), Some(m)));
        }
    }

    // weights
    let weights = if is_mc {
        Some(compute_weights(&plan.weights, &env, true)?)
    } else {
        None
    };
    let mut sub_weights = BTreeMap::new();
    for (sub, wp) in &plan.subsample_weights {
        sub_weights.insert(sub.clone(), compute_weights(wp, &env, is_mc)?);
    }
    // Per (target, category): nominal weights and weights per variation.
    let weight_for = |target: &str, cat: &str, var: &str| -> Vec<f64> {
        let mut w = match &weights {
            Some(wt) => {
                let mut w = wt.nominal(cat);
                if let Some(v) = plan.weights.variations.get(var) {
                    if v.categories.as_ref().is_none_or(|c| c.contains(cat)) {
                        if let Some(r) = wt.ratios.get(var) {
                            for (a, b) in w.iter_mut().zip(r) {
                                *a *= b;
                            }
                        }
                    }
                }
                w
            }
            None => vec![1.0; n],
        };
        if let Some(sw) = sub_weights.get(target) {
            let extra = sw.nominal(cat);
            for (a, b) in w.iter_mut().zip(&extra) {
                *a *= b;
            }
            if let Some(r) = sw.ratios.get(var) {
                for (a, b) in w.iter_mut().zip(r) {
                    *a *= b;
                }
            }
        }
        w
    };

    // cutflow, sumw, sumw2 (whole sample, and each subsample)
    let mut count_targets: Vec<(String, Option<&Vec<bool>>)> = vec![(sample.clone(), None)];
    for (t, m) in &targets {
        if m.is_some() {
            count_targets.push((t.clone(), m.as_ref()));
        }
    }
    for (cat, cm) in &cat_masks {
        for (target, sm) in &count_targets {
            let mask = both(cm, sm.map(Vec::as_slice));
            let count = mask.iter().filter(|&&b| b).count() as u64;
            out.cutflow
                .categories
                .entry(cat.clone())
                .or_default()
                .entry(ds.clone())
                .or_default()
                .insert(
                    target.clone(),
                    BTreeMap::from([("nominal".to_string(), count)]),
                );
            if is_mc {
                let w = weight_for(target, cat, "nominal");
                let (mut s1, mut s2) = (Sum::default(), Sum::default());
                for (x, &m) in w.iter().zip(&mask) {
                    if m {
                        s1.add(*x);
                        s2.add(x * x);
                    }
                }
                for (which, v) in [(&mut out.sumw, s1), (&mut out.sumw2, s2)] {
                    which
                        .entry(cat.clone())
                        .or_default()
                        .entry(ds.clone())
                        .or_default()
                        .insert(target.clone(), BTreeMap::from([("nominal".to_string(), v)]));
                }
            }
        }
    }

    // histograms
    fill_hists(
        &plan.hists,
        &env,
        &cat_masks,
        &targets,
        &weight_for,
        is_mc,
        &ds,
        &mut out,
    )?;
    let mut extra = ExtraHists {
        plan,
        ds: &ds,
        cat_masks: &cat_masks,
        targets: &targets,
        weight_for: &weight_for,
        out: &mut out,
    };
    wf.fill_histograms_extra(&env, &mut extra)
        .map_err(|e| format!("workflow hook fill_histograms_extra: {e}"))?;

    // columns
    let any_columns = !plan.columns.is_empty() || !plan.subsample_columns.is_empty();
    if any_columns {
        for (target, sm) in &targets {
            for (cat, cm) in &cat_masks {
                let mask = both(cm, sm.as_deref());
                let mut cols: BTreeMap<String, ColumnValues> = BTreeMap::new();
                let mut plans: Vec<&ColumnPlan> = Vec::new();
                for key in ["*", cat.as_str()] {
                    plans.extend(plan.columns.get(key).into_iter().flatten());
                    plans.extend(
                        plan.subsample_columns
                            .get(target)
                            .and_then(|m| m.get(key))
                            .into_iter()
                            .flatten(),
                    );
                }
                for cp in plans {
                    let v =
                        eval(&cp.expr, &env).map_err(|e| format!("column '{}': {e}", cp.name))?;
                    cols.insert(cp.name.clone(), column_values(&v, &mask, cp)?);
                }
                let w = weight_for(target, cat, "nominal");
                cols.insert("weight".into(), ColumnValues::Float(compact(&w, &mask)));
                if is_mc {
                    for (var, v) in &plan.weights.variations {
                        if v.categories.as_ref().is_none_or(|c| c.contains(cat)) {
                            let w = weight_for(target, cat, var);
                            cols.insert(
                                format!("weight_variation_{var}"),
                                ColumnValues::Float(compact(&w, &mask)),
                            );
                        }
                    }
                }
                out.columns
                    .entry(target.clone())
                    .or_default()
                    .entry(ds.clone())
                    .or_default()
                    .entry(cat.clone())
                    .or_default()
                    .insert("nominal".into(), cols);
            }
        }
    }
    Ok(out)
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

/// Fills every histogram: the axis values once per histogram, the weights
/// once per (sample, category, variation) for all histograms that use them.
#[allow(clippy::too_many_arguments)]
fn fill_hists(
    hists: &[HistPlan],
    env: &Env,
    cat_masks: &[(String, Vec<bool>)],
    targets: &[(String, Option<Vec<bool>>)],
    weight_for: &dyn Fn(&str, &str, &str) -> Vec<f64>,
    is_mc: bool,
    ds: &str,
    out: &mut Output,
) -> R<()> {
    let prepared: Vec<Prepared> = hists
        .iter()
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
            if users.is_empty() {
                continue;
            }
            let mask = both(cm, sm.as_deref());
            let any = mask.iter().any(|&b| b);
            let mut cell_cache: BTreeMap<usize, Vec<(u32, usize)>> = BTreeMap::new();
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
                let needs = |no_weights: bool| {
                    any && these
                        .iter()
                        .any(|&i| prepared[i].h.def.no_weights == no_weights)
                };
                // data have one weight, the nominal one
                let weights = needs(false)
                    .then(|| weight_for(target, cat, if is_mc { var } else { "nominal" }));
                let ones = needs(true).then(|| vec![1.0; n]);
                for &i in &these {
                    let p = &prepared[i];
                    let mut hist = Hist::new(p.axes.clone(), p.storage);
                    let w = if p.h.def.no_weights {
                        ones.as_ref().filter(|_| var == "nominal")
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
            out.variables
                .entry(p.h.def.name.clone())
                .or_default()
                .entry(target.clone())
                .or_default()
                .insert(ds.to_string(), set);
        }
    }
    Ok(())
}

/// The chunk's histograms as the workflow's `fill_histograms_extra` sees them.
struct ExtraHists<'a> {
    plan: &'a DatasetPlan,
    ds: &'a str,
    cat_masks: &'a [(String, Vec<bool>)],
    targets: &'a [(String, Option<Vec<bool>>)],
    weight_for: &'a dyn Fn(&str, &str, &str) -> Vec<f64>,
    out: &'a mut Output,
}

impl ExtraFill for ExtraHists<'_> {
    fn categories(&self) -> Vec<(String, Vec<bool>)> {
        self.cat_masks.to_vec()
    }

    fn samples(&self) -> Vec<(String, Option<Vec<bool>>)> {
        self.targets.to_vec()
    }

    fn variations(&self, hist: &str) -> Vec<String> {
        match self.plan.hists.iter().find(|h| h.def.name == hist) {
            Some(h) => h
                .variations
                .clone()
                .unwrap_or_else(|| vec!["nominal".to_string()]),
            None => Vec::new(),
        }
    }

    fn weights(&self, sample: &str, category: &str, variation: &str) -> Vec<f64> {
        (self.weight_for)(sample, category, variation)
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
        let set = self
            .out
            .variables
            .get_mut(hist)
            .and_then(|m| m.get_mut(sample))
            .and_then(|m| m.get_mut(self.ds))
            .ok_or_else(|| format!("histogram '{hist}': no sample '{sample}' in this chunk"))?;
        let by_var = set
            .hists
            .get_mut(category)
            .ok_or_else(|| format!("histogram '{hist}' is not filled in category '{category}'"))?;
        let h = by_var.get_mut(variation).ok_or_else(|| {
            format!("histogram '{hist}' has no variation '{variation}' for this sample")
        })?;
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

fn column_values(v: &Val, mask: &[bool], cp: &ColumnPlan) -> R<ColumnValues> {
    let co = &cp.colout;
    let pick_range = |a: u32, b: u32| -> (u32, u32) {
        let n = (b - a) as i64;
        let s = co
            .pos_start
            .map_or(0, |x| if x < 0 { (n + x).max(0) } else { x.min(n) });
        let e = co
            .pos_end
            .map_or(n, |x| if x < 0 { (n + x).max(0) } else { x.min(n) });
        (a + s as u32, a + e.max(s) as u32)
    };
    let push_from = |arr: &Arr, idx: &[usize], missing: &[bool]| -> ColumnValues {
        match arr {
            Arr::Bool(v) => ColumnValues::Bool(idx.iter().map(|&i| v[i]).collect()),
            Arr::Int(v) => ColumnValues::Int(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value as i64 } else { v[i] })
                    .collect(),
            ),
            Arr::F32(v) => ColumnValues::Float(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value } else { v[i] as f64 })
                    .collect(),
            ),
            Arr::F64(v) => ColumnValues::Float(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value } else { v[i] })
                    .collect(),
            ),
        }
    };
    Ok(match v {
        Val::Event(a) => {
            let idx: Vec<usize> = (0..mask.len()).filter(|&e| mask[e]).collect();
            push_from(a, &idx, &vec![false; idx.len()])
        }
        Val::Opt(a, valid) => {
            let idx: Vec<usize> = (0..mask.len()).filter(|&e| mask[e]).collect();
            let missing: Vec<bool> = idx.iter().map(|&e| !valid[e]).collect();
            push_from(a, &idx, &missing)
        }
        Val::Obj(a, off) => {
            if cp.counts {
                ColumnValues::Int(
                    (0..mask.len())
                        .filter(|&e| mask[e])
                        .map(|e| {
                            let (s, t) = pick_range(off[e], off[e + 1]);
                            (t - s) as i64
                        })
                        .collect(),
                )
            } else {
                let mut idx = Vec::new();
                for e in (0..mask.len()).filter(|&e| mask[e]) {
                    let (s, t) = pick_range(off[e], off[e + 1]);
                    idx.extend(s as usize..t as usize);
                }
                push_from(a, &idx, &vec![false; idx.len()])
            }
        }
        _ => return Err(format!("column '{}': not values", cp.name)),
    })
}
