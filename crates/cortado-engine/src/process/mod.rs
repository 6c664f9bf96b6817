//! One chunk of events through PocketCoffea's steps (§5.1): Σ genWeight,
//! skim, the calibrators, then one pass per variation (the nominal first,
//! then each shape variation with its calibrated collections): object
//! preselection, counts, variables, preselection, categories, weights,
//! histograms, cutflow and sums of weights, and (nominal) columns. The
//! definitions no shape variation changes are evaluated once, in the
//! nominal pass, and shared by the others.

use std::collections::BTreeMap;
use std::sync::Arc;

use cortado_config::Stage;
use cortado_expr::eval::{eval, Env};
use cortado_expr::value::{compact, RawData, Val};
use cortado_hist::Sum;

use crate::calib::chunk::ChunkCalib;
use crate::calib::ShapeVariation;
use crate::ext::{Hook, Workflow};
use crate::output::{ColumnValues, Output};
use crate::plan::{ColumnPlan, DatasetPlan};
use crate::weights::values::compute_weights;

mod columns;
mod hists;

use columns::column_values;
use hists::{fill_hists, ExtraHists};

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
pub(super) fn both(category: &[bool], subsample: Option<&[bool]>) -> Vec<bool> {
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

/// One pass over a chunk's events: the nominal, or a shape variation with
/// its calibrated collections (PocketCoffea's variation loop).
pub(crate) struct Pass<'a> {
    /// `"nominal"` or the shape variation's name.
    pub(crate) name: &'a str,
    /// The shape variation (`None`: the nominal pass).
    pub(crate) shape: Option<&'a ShapeVariation>,
}

impl Pass<'_> {
    /// Whether this pass fills category `cat` (a shape variation may be
    /// asked for in some categories only).
    pub(crate) fn fills(&self, cat: &str) -> bool {
        self.shape
            .is_none_or(|s| s.categories.as_ref().is_none_or(|c| c.contains(cat)))
    }

    /// The weight variation filled for histogram variation `var` in this
    /// pass (`None`: not filled in this pass): shape variations get the
    /// nominal weights, in their own pass only.
    pub(crate) fn weight_variation<'v>(&self, var: &'v str, plan: &DatasetPlan) -> Option<&'v str> {
        match self.shape {
            Some(s) => (s.name == var).then_some("nominal"),
            None => (!plan.is_shape_variation(var)).then_some(var),
        }
    }
}

/// Values of the definitions a shape variation does not change, computed
/// in the nominal pass before the preselection and shared by the others.
type Shared = Vec<Option<Val>>;

/// Evaluates the configuration's definitions of `stage` into `env`; those
/// no shape variation changes are taken from `shared` when there.
fn define(plan: &DatasetPlan, env: &mut Env, stage: Stage, shared: &mut Shared) -> R<()> {
    let reusable = stage != Stage::AfterPresel;
    for (i, d) in plan
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.stage == stage)
    {
        let keep = reusable && !plan.varies.defs.get(i).copied().unwrap_or(true);
        if keep {
            if let Some(v) = &shared[i] {
                env.define(&d.name, v.clone());
                continue;
            }
        }
        let v = eval(&d.expr, env).map_err(|e| format!("definition '{}': {e}", d.name))?;
        match &d.field {
            None => env.define(&d.name, v),
            Some(f) => {
                let Val::Coll(c) = env.get(&d.name).map_err(|e| e.0)? else {
                    return Err(format!("'{}' is not a collection", d.name));
                };
                let a = match v {
                    Val::Obj(a, _) => a,
                    // a constant: the same value for every object
                    Val::Lit(l) => Arc::new(l.splat(l.prim(), c.len())),
                    _ => return Err(format!("'{}.{f}' did not give per-object values", d.name)),
                };
                let fields = BTreeMap::from([(f.clone(), a)]);
                env.define(&d.name, Val::Coll(Arc::new(c.with_fields(fields))));
            }
        }
        if keep {
            shared[i] = env.var(&d.name).cloned();
        }
    }
    Ok(())
}

/// Processes one chunk of a dataset (all events of `raw`), with the hooks of `wf`.
pub fn process_chunk(plan: &DatasetPlan, raw: Arc<dyn RawData>, wf: &dyn Workflow) -> R<Output> {
    let mut out = Output::new();
    let ds = plan.dataset.name.clone();
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
    // calibrators, then one pass per variation
    let Some(cp) = plan.calib.as_deref() else {
        let pass = Pass {
            name: "nominal",
            shape: None,
        };
        return run_pass(plan, env, wf, &pass, &mut vec![None; plan.defs.len()], out);
    };
    let calib =
        ChunkCalib::prepare(cp, &plan.dataset, &env).map_err(|e| format!("calibration: {e}"))?;
    let mut shared: Shared = vec![None; plan.defs.len()];
    let passes = std::iter::once(Pass {
        name: "nominal",
        shape: None,
    })
    .chain(cp.variations.iter().map(|v| Pass {
        name: &v.name,
        shape: Some(v),
    }));
    let same = plan.varies.same_events_and_weights();
    for pass in passes {
        if pass.shape.is_some() && same {
            // the nominal pass's events, categories and weights: the
            // histograms that read nothing varied are the nominal ones
            copy_nominal_hists(plan, &pass, &mut out);
            if !plan.varies.hists.iter().any(|&v| v) {
                copy_nominal_counts(plan, &pass, &mut out);
                continue;
            }
        }
        let mut penv = env.clone();
        calib
            .apply(cp, pass.name, &mut penv)
            .map_err(|e| format!("calibration: {e}"))?;
        out = run_pass(plan, penv, wf, &pass, &mut shared, out)?;
    }
    Ok(out)
}

/// Copies, into the bin of shape variation `pass`, the nominal histograms
/// of this chunk that no shape variation changes (see
/// [`crate::calib::deps::Varies`]), in the categories the pass fills.
fn copy_nominal_hists(plan: &DatasetPlan, pass: &Pass, out: &mut Output) {
    for (h, varies) in plan.hists.iter().zip(&plan.varies.hists) {
        let has = h
            .variations
            .as_ref()
            .is_some_and(|v| v.iter().any(|x| x == pass.name));
        if *varies || !has {
            continue;
        }
        let Some(by_target) = out.variables.get_mut(&h.def.name) else {
            continue;
        };
        for by_ds in by_target.values_mut() {
            let Some(set) = by_ds.get_mut(&plan.dataset.name) else {
                continue;
            };
            for (cat, by_var) in set.hists.iter_mut() {
                if !pass.fills(cat) {
                    continue;
                }
                if let Some(nominal) = by_var.get("nominal").cloned() {
                    by_var.insert(pass.name.to_string(), nominal);
                }
            }
        }
    }
}

/// Copies the nominal pass's counts (preselection, categories, Σw, Σw²)
/// of this chunk to shape variation `pass`, whose events, categories and
/// weights are the nominal ones.
fn copy_nominal_counts(plan: &DatasetPlan, pass: &Pass, out: &mut Output) {
    let ds = &plan.dataset.name;
    let name = pass.name.to_string();
    if let Some(m) = out.cutflow.presel.get_mut(ds) {
        if let Some(n) = m.get("nominal").copied() {
            m.insert(name.clone(), n);
        }
    }
    for by_ds in out.cutflow.categories.values_mut() {
        for by_var in by_ds.get_mut(ds).into_iter().flat_map(|m| m.values_mut()) {
            if let Some(n) = by_var.get("nominal").copied() {
                by_var.insert(name.clone(), n);
            }
        }
    }
    for sums in [&mut out.sumw, &mut out.sumw2] {
        for by_ds in sums.values_mut() {
            for by_var in by_ds.get_mut(ds).into_iter().flat_map(|m| m.values_mut()) {
                if let Some(s) = by_var.get("nominal").cloned() {
                    by_var.insert(name.clone(), s);
                }
            }
        }
    }
}

/// Object preselection, counts, variables (each stage followed by its
/// hooks), the preselection, and the variables after it: the events left,
/// or `None` when the preselection keeps none.
fn select(
    plan: &DatasetPlan,
    mut env: Env,
    wf: &dyn Workflow,
    pass: &Pass,
    shared: &mut Shared,
    out: &mut Output,
) -> R<Option<Env>> {
    for stage in Stage::AFTER_SKIM {
        if stage == Stage::AfterPresel {
            let m = and_masks(&plan.presel, &env)?;
            env = env.filter(&m).map_err(|e| format!("preselection: {e}"))?;
            out.cutflow
                .presel
                .entry(plan.dataset.name.clone())
                .or_default()
                .insert(pass.name.to_string(), env.len() as u64);
            if env.is_empty() {
                if plan
                    .calib
                    .as_ref()
                    .is_some_and(|c| !c.variations.is_empty())
                {
                    hists::empty_pass(plan, pass, out);
                }
                return Ok(None);
            }
        }
        define(plan, &mut env, stage, shared)?;
        for h in Hook::after_stage(stage) {
            h.run(wf, &mut env)?;
        }
    }
    Ok(Some(env))
}

/// One pass: selection, categories, weights, counts, histograms and (in
/// the nominal pass) columns, added to `out`.
fn run_pass(
    plan: &DatasetPlan,
    env: Env,
    wf: &dyn Workflow,
    pass: &Pass,
    shared: &mut Shared,
    mut out: Output,
) -> R<Output> {
    let Some(env) = select(plan, env, wf, pass, shared, &mut out)? else {
        return Ok(out);
    };
    let ds = plan.dataset.name.clone();
    let sample = plan.dataset.sample.clone();
    let is_mc = plan.dataset.is_mc;
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

    // weights (weight variations in the nominal pass only)
    let nominal_pass = pass.shape.is_none();
    let weights = if is_mc {
        Some(compute_weights(
            &plan.weights,
            &env,
            nominal_pass,
            pass.shape.map(|s| s.name.as_str()),
        )?)
    } else {
        None
    };
    let mut sub_weights = BTreeMap::new();
    for (sub, wp) in &plan.subsample_weights {
        sub_weights.insert(
            sub.clone(),
            compute_weights(
                wp,
                &env,
                is_mc && nominal_pass,
                pass.shape.map(|s| s.name.as_str()),
            )?,
        );
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

    count(plan, pass, &cat_masks, &targets, &weight_for, &mut out);

    // histograms
    fill_hists(
        plan,
        pass,
        &env,
        &cat_masks,
        &targets,
        &weight_for,
        &mut out,
    )?;
    let mut extra = ExtraHists {
        plan,
        pass,
        ds: &ds,
        cat_masks: &cat_masks,
        targets: &targets,
        weight_for: &weight_for,
        out: &mut out,
    };
    wf.fill_histograms_extra(&env, &mut extra)
        .map_err(|e| format!("workflow hook fill_histograms_extra: {e}"))?;

    if nominal_pass {
        columns(plan, &env, &cat_masks, &targets, &weight_for, &mut out)?;
    }
    Ok(out)
}

/// category → dataset → sample → variation → value: the layout of the
/// cutflow's category counts and of Σw, Σw².
pub(super) type Map4<T> = BTreeMap<String, BTreeMap<String, BTreeMap<String, BTreeMap<String, T>>>>;

/// The entry `(cat, ds, target, var)` of `m`, made (default) if missing.
pub(super) fn slot<'a, T: Default>(
    m: &'a mut Map4<T>,
    cat: &str,
    ds: &str,
    target: &str,
    var: &str,
) -> &'a mut T {
    m.entry(cat.to_string())
        .or_default()
        .entry(ds.to_string())
        .or_default()
        .entry(target.to_string())
        .or_default()
        .entry(var.to_string())
        .or_default()
}

/// The cutflow per category, and Σw, Σw² with the nominal weights
/// (simulation), for the whole sample and each subsample.
fn count(
    plan: &DatasetPlan,
    pass: &Pass,
    cat_masks: &[(String, Vec<bool>)],
    targets: &[(String, Option<Vec<bool>>)],
    weight_for: &dyn Fn(&str, &str, &str) -> Vec<f64>,
    out: &mut Output,
) {
    let ds = &plan.dataset.name;
    let mut count_targets: Vec<(&str, Option<&Vec<bool>>)> = vec![(&plan.dataset.sample, None)];
    for (t, m) in targets {
        if m.is_some() {
            count_targets.push((t, m.as_ref()));
        }
    }
    for (cat, cm) in cat_masks {
        for (target, sm) in &count_targets {
            let mask = both(cm, sm.map(Vec::as_slice));
            let count = mask.iter().filter(|&&b| b).count() as u64;
            *slot(&mut out.cutflow.categories, cat, ds, target, pass.name) = count;
            if plan.dataset.is_mc {
                let w = weight_for(target, cat, "nominal");
                let (mut s1, mut s2) = (Sum::default(), Sum::default());
                for (x, &m) in w.iter().zip(&mask) {
                    if m {
                        s1.add(*x);
                        s2.add(x * x);
                    }
                }
                for (which, v) in [(&mut out.sumw, s1), (&mut out.sumw2, s2)] {
                    *slot(which, cat, ds, target, pass.name) = v;
                }
            }
        }
    }
}

/// The configured columns of every (sample, category), with the weights.
fn columns(
    plan: &DatasetPlan,
    env: &Env,
    cat_masks: &[(String, Vec<bool>)],
    targets: &[(String, Option<Vec<bool>>)],
    weight_for: &dyn Fn(&str, &str, &str) -> Vec<f64>,
    out: &mut Output,
) -> R<()> {
    let any_columns = !plan.columns.is_empty() || !plan.subsample_columns.is_empty();
    if !any_columns {
        return Ok(());
    }
    for (target, sm) in targets {
        for (cat, cm) in cat_masks {
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
                let v = eval(&cp.expr, env).map_err(|e| format!("column '{}': {e}", cp.name))?;
                cols.insert(cp.name.clone(), column_values(&v, &mask, cp)?);
            }
            let w = weight_for(target, cat, "nominal");
            cols.insert("weight".into(), ColumnValues::Float(compact(&w, &mask)));
            if plan.dataset.is_mc {
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
                .entry(plan.dataset.name.clone())
                .or_default()
                .entry(cat.clone())
                .or_default()
                .insert("nominal".into(), cols);
        }
    }
    Ok(())
}
