//! The weights of a dataset's plan: the factors of each weight, their variations.

use super::*;

pub(super) fn weight_terms(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    names: &[(String, Option<cortado_yaml::Pos>)],
    lumi: f64,
) -> Result<Vec<WeightTerm>, ConfigError> {
    let mut out = Vec::new();
    for (name, pos) in names {
        let term = match name.as_str() {
            "genWeight" => WeightTerm::GenWeight,
            "signOf_genWeight" => WeightTerm::SignOfGenWeight,
            "lumi" => WeightTerm::Const("lumi".into(), lumi),
            "XS" => WeightTerm::Const("XS".into(), ds.xsec.unwrap_or(1.0)),
            other => match cfg.custom_weights.get(other) {
                Some(cw) if cw.is_mc_only && !ds.is_mc => continue,
                Some(cw) => kind_term(c, ds, &cw.name, &cw.kind, false)?,
                None if !ds.is_mc => continue, // the common weights are for simulation
                None => match crate::weights::builtin(other, cfg, ds, pos) {
                    Some(kind) => kind_term(c, ds, other, &kind?, true)?,
                    None => {
                        return Err(ConfigError::new(
                            pos.clone(),
                            format!("unknown weight '{other}'"),
                        ))
                    }
                },
            },
        };
        // The built-in weights only apply to simulation (PocketCoffea: isMC_only).
        if !ds.is_mc
            && matches!(
                term,
                WeightTerm::GenWeight | WeightTerm::SignOfGenWeight | WeightTerm::Const(..)
            )
        {
            continue;
        }
        out.push(term);
    }
    Ok(out)
}

/// Type-checks every expression weight of `custom_weights` that applies to
/// the dataset, used or not: a mistake in one is found now, not when a
/// configuration first uses it. (Correction weights are checked where used:
/// checking one reads its correction file.)
pub(super) fn check_expression_weights(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
) -> Result<(), ConfigError> {
    for cw in cfg.custom_weights.values() {
        let is_expr = matches!(cw.kind, cortado_config::WeightKind::Expr { .. });
        if is_expr && (ds.is_mc || !cw.is_mc_only) {
            kind_term(c, ds, &cw.name, &cw.kind, false)?;
        }
    }
    Ok(())
}

/// A weight of the configuration's `custom_weights`, or a built-in one
/// (whose per-event values may be missing, an error then).
pub(super) fn kind_term(
    c: &mut Compiler<'_>,
    ds: &Dataset,
    name: &str,
    kind: &cortado_config::WeightKind,
    builtin: bool,
) -> Result<WeightTerm, ConfigError> {
    let (nominal, up, down) = match kind {
        cortado_config::WeightKind::Correction(spec) => return correction_term(c, name, spec),
        cortado_config::WeightKind::Expr { nominal, up, down } => (nominal, up, down),
    };
    let what = if builtin {
        format!("weight '{name}' (dataset {}, year {})", ds.name, ds.year)
    } else {
        format!("custom weight '{name}' (dataset {})", ds.name)
    };
    let nominal_t = c.check(nominal, None, &what)?;
    let updown = match (up, down) {
        (Some(u), Some(d)) => Some((c.check(u, None, &what)?, c.check(d, None, &what)?)),
        _ => None,
    };
    for t in std::iter::once(&nominal_t).chain(updown.iter().flat_map(|(u, d)| [u, d])) {
        let fits = match t.ty {
            Ty::Lit(p) | Ty::Event(p) => p != Prim::Bool,
            Ty::Opt(p) => builtin && p != Prim::Bool,
            _ => false,
        };
        if !fits {
            return Err(ConfigError::new(
                nominal.pos.clone(),
                format!(
                    "{what}: a weight gives one number per event, this gives {}",
                    c.schema.describe(&t.ty)
                ),
            ));
        }
    }
    Ok(WeightTerm::Custom {
        name: name.to_string(),
        nominal: Box::new(nominal_t),
        updown: updown.map(Box::new),
        builtin,
    })
}

/// A weight from a correctionlib correction ([`crate::weights::correction`]).
pub(super) fn correction_term(
    c: &mut Compiler<'_>,
    name: &str,
    spec: &cortado_config::CorrectionWeight,
) -> Result<WeightTerm, ConfigError> {
    let schema = c.schema.clone();
    let term = crate::weights::plan(
        name,
        spec,
        &mut |src, what| c.check(src, None, what),
        &|t| schema.describe(t),
    )?;
    Ok(WeightTerm::Correction(Arc::new(term)))
}

pub(super) fn add_set(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    set: &WeightSet,
    plan: &mut WeightPlan,
    lumi: f64,
) -> Result<(), ConfigError> {
    plan.inclusive
        .extend(weight_terms(c, cfg, ds, &set.inclusive, lumi)?);
    for (cat, list) in &set.bycategory {
        let terms = weight_terms(c, cfg, ds, list, lumi)?;
        plan.bycategory
            .entry(cat.clone())
            .or_default()
            .extend(terms);
    }
    Ok(())
}

/// The variations of the weights that `variations.weights` names (common,
/// and of sample or subsample `key`): `{stem}Up`/`{stem}Down` for each stem
/// of each weight ([`crate::weights::variation_stems`]); none for data.
pub(crate) fn add_variations(
    cfg: &AnalysisConfig,
    key: Option<&str>,
    plan: &mut WeightPlan,
    ds: &Dataset,
) -> Result<(), ConfigError> {
    if !ds.is_mc {
        return Ok(());
    }
    let sets: Vec<&WeightSet> = std::iter::once(&cfg.weight_variations.common)
        .chain(key.and_then(|k| cfg.weight_variations.bysample.get(k)))
        .collect();
    for set in sets {
        let lists = std::iter::once((None, &set.inclusive))
            .chain(set.bycategory.iter().map(|(cat, l)| (Some(cat), l)));
        for (cat, list) in lists {
            for (name, _) in list {
                for stem in crate::weights::variation_stems(name, cfg, ds)? {
                    for (suffix, up) in [("Up", true), ("Down", false)] {
                        let e = plan
                            .variations
                            .entry(format!("{stem}{suffix}"))
                            .or_insert_with(|| VariationRef {
                                weight: name.clone(),
                                stem: stem.clone(),
                                up,
                                categories: cat.map(|_| BTreeSet::new()),
                            });
                        match (cat, e.categories.as_mut()) {
                            (Some(cat), Some(cats)) => {
                                cats.insert(cat.clone());
                            }
                            // inclusive: every category
                            (None, _) => e.categories = None,
                            (Some(_), None) => {}
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

pub(super) fn weight_plan(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    sample: &str,
    lumi: f64,
) -> Result<WeightPlan, ConfigError> {
    let mut plan = WeightPlan::default();
    add_set(c, cfg, ds, &cfg.weights.common, &mut plan, lumi)?;
    if let Some(s) = cfg.weights.bysample.get(sample) {
        add_set(c, cfg, ds, s, &mut plan, lumi)?;
    }
    add_variations(cfg, Some(sample), &mut plan, ds)?;
    Ok(plan)
}

pub(super) fn weight_plan_only(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    key: &str,
    lumi: f64,
) -> Result<WeightPlan, ConfigError> {
    let mut plan = WeightPlan::default();
    if let Some(s) = cfg.weights.bysample.get(key) {
        add_set(c, cfg, ds, s, &mut plan, lumi)?;
    }
    add_variations(cfg, Some(key), &mut plan, ds)?;
    plan.variations.retain(|_, v| {
        cfg.weights.bysample.get(key).is_some_and(|s| {
            s.inclusive
                .iter()
                .chain(s.bycategory.values().flatten())
                .any(|(n, _)| n == &v.weight)
        })
    });
    Ok(plan)
}
