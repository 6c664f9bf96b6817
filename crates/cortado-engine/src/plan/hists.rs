//! The histograms and columns of a dataset's plan.

use super::*;

pub(super) fn axis_value_text(a: &AxisDef) -> Result<String, String> {
    if let Some(e) = &a.expr {
        return Ok(e.clone());
    }
    match a.coll.as_str() {
        "events" => Ok(a.field.clone()),
        "metadata" | "custom" => Err(format!(
            "axis '{}': coll '{}' has no values to fill automatically: declare the histogram \
             with autofill: false and fill it in a Rust workflow's fill_histograms_extra \
             (the library API, see examples/custom_workflow)",
            a.name, a.coll
        )),
        coll => Ok(match a.pos {
            Some(k) => format!("{coll}[{k}].{}", a.field),
            None => format!("{coll}.{}", a.field),
        }),
    }
}

/// The axis a histogram's axis definition describes (checked).
pub(crate) fn hist_axis(a: &AxisDef) -> Result<Axis, String> {
    let kind = match (a.kind.as_str(), &a.bins) {
        ("regular", Some(Bins::Count(n))) => AxisKind::Regular {
            bins: *n,
            start: a.start.unwrap_or(0.0),
            stop: a.stop.unwrap_or(1.0),
            transform: match a.transform.as_deref() {
                Some("log") => Some(Transform::Log),
                Some("sqrt") => Some(Transform::Sqrt),
                _ => None,
            },
        },
        ("variable", Some(Bins::Edges(e))) | ("regular", Some(Bins::Edges(e))) => {
            AxisKind::Variable { edges: e.clone() }
        }
        ("int", _) => AxisKind::Integer {
            start: a.start.unwrap_or(0.0) as i64,
            stop: a.stop.unwrap_or(1.0) as i64,
        },
        ("intcat", bins) => {
            let categories: Vec<i64> = match bins {
                Some(Bins::Edges(e)) => e
                    .iter()
                    .map(|&x| {
                        (x.fract() == 0.0 && x.abs() < 9.0e15)
                            .then_some(x as i64)
                            .ok_or_else(|| {
                                format!("axis '{}': the category {x} is not an integer", a.name)
                            })
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            if categories.is_empty() && !a.growth {
                return Err(format!(
                    "axis '{}': an intcat axis needs its categories (bins: [0, 1, 2, ...]) \
                     or growth: true",
                    a.name
                ));
            }
            let mut sorted = categories.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != categories.len() {
                return Err(format!("axis '{}': a category is listed twice", a.name));
            }
            AxisKind::IntCategory {
                // a growing axis keeps its categories sorted (cortado-hist)
                categories: if a.growth { sorted } else { categories },
                growth: a.growth,
            }
        }
        ("strcat", _) => {
            return Err(format!(
                "axis '{}': strcat axes are not supported: cortado's values are numbers \
                 (use intcat)",
                a.name
            ))
        }
        _ => return Err(format!("axis '{}' has an invalid binning", a.name)),
    };
    let axis = Axis {
        name: a.name.clone(),
        label: a.label.clone(),
        kind,
        underflow: a.underflow,
        overflow: a.overflow,
    };
    axis.validate()
        .map_err(|m| format!("axis '{}': {m}", a.name))?;
    Ok(axis)
}

pub(super) fn hist_plan(
    c: &mut Compiler<'_>,
    h: &HistDef,
    cats: &[String],
    weights: &WeightPlan,
    calib: Option<&CalibPlan>,
    ds: &Dataset,
) -> Result<HistPlan, ConfigError> {
    let what = format!("histogram '{}' (dataset {})", h.name, ds.name);
    let mut axes = Vec::new();
    let mut obj_coll = None;
    for a in &h.axes {
        let text = if h.autofill {
            axis_value_text(a)
                .map_err(|m| ConfigError::new(h.pos.clone(), format!("{what}: {m}")))?
        } else {
            "True".to_string() // filled by the workflow's fill_histograms_extra
        };
        let pos = a
            .expr_pos
            .as_ref()
            .filter(|_| h.autofill)
            .or(h.pos.as_ref());
        let t = c.check_text(&text, pos, &format!("{what}, axis '{}'", a.name))?;
        match &t.ty {
            Ty::Lit(_) if !h.autofill => {}
            Ty::Event(_) | Ty::Opt(_) => {}
            Ty::Obj(_, id) => {
                if obj_coll.is_some_and(|o| o != *id) {
                    return Err(ConfigError::new(
                        h.pos.clone(),
                        format!("{what}: the per-object axes come from different collections"),
                    ));
                }
                obj_coll = Some(*id);
            }
            other => {
                return Err(ConfigError::new(
                    h.pos.clone(),
                    format!(
                        "{what}: axis '{}' must give numbers, `{text}` gives {}",
                        a.name,
                        c.schema.describe(other)
                    ),
                ))
            }
        }
        let axis =
            hist_axis(a).map_err(|m| ConfigError::new(h.pos.clone(), format!("{what}: {m}")))?;
        if h.autofill
            && matches!(a.kind.as_str(), "int" | "intcat")
            && t.ty.prim().is_some_and(|p| p.is_float())
        {
            return Err(ConfigError::new(
                h.pos.clone(),
                format!(
                    "{what}: the integer axis '{}' needs integer values, `{text}` gives floats",
                    a.name
                ),
            ));
        }
        axes.push((axis, h.autofill.then_some(t)));
    }
    let mut categories: Vec<String> = cats
        .iter()
        .filter(|c| h.only_categories.as_ref().is_none_or(|o| o.contains(c)))
        .filter(|c| h.exclude_categories.as_ref().is_none_or(|x| !x.contains(c)))
        .cloned()
        .collect();
    categories.sort();
    let variations = if ds.is_mc {
        let mut v: Vec<String> = vec!["nominal".to_string()];
        if h.variations {
            v.extend(
                weights
                    .variations
                    .keys()
                    .filter(|name| h.only_variations.as_ref().is_none_or(|o| o.contains(name)))
                    .cloned(),
            );
            // shape variations: `only_variations` may name the calibrator
            v.extend(
                calib
                    .iter()
                    .flat_map(|c| c.variations.iter())
                    .filter(|sv| {
                        h.only_variations
                            .as_ref()
                            .is_none_or(|o| o.contains(&sv.name) || o.contains(&sv.calibrator))
                    })
                    .map(|sv| sv.name.clone()),
            );
        }
        v.sort();
        Some(v)
    } else {
        None
    };
    Ok(HistPlan {
        def: h.clone(),
        axes,
        categories,
        variations,
    })
}

pub(super) fn column_plans(
    c: &mut Compiler<'_>,
    co: &ColOut,
) -> Result<Vec<ColumnPlan>, ConfigError> {
    let mut out = Vec::new();
    for col in &co.columns {
        let text = if co.collection == "events" {
            col.clone()
        } else {
            format!("{}.{col}", co.collection)
        };
        let name = format!("{}_{col}", co.collection);
        let t = c.check_text(&text, None, &format!("column '{name}'"))?;
        match &t.ty {
            Ty::Event(_) | Ty::Opt(_) | Ty::Obj(_, _) => {}
            other => {
                return Err(ConfigError::new(
                    None,
                    format!(
                        "column '{name}': `{text}` gives {}, not values",
                        c.schema.describe(other)
                    ),
                ))
            }
        }
        let jagged = matches!(t.ty, Ty::Obj(_, _));
        out.push(ColumnPlan {
            name,
            expr: t.clone(),
            counts: false,
            colout: co.clone(),
        });
        if jagged
            && co.store_size
            && co.flatten
            && !out.iter().any(|p| p.name == format!("{}_N", co.collection))
        {
            out.push(ColumnPlan {
                name: format!("{}_N", co.collection),
                expr: t,
                counts: true,
                colout: co.clone(),
            });
        }
    }
    Ok(out)
}
