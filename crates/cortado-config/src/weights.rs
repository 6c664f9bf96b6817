//! The weights of the configuration: `custom_weights` (per-event expressions
//! or a correctionlib correction), and the `weights:` / `variations.weights:`
//! sections that apply them, with PocketCoffea's checks.

use std::collections::BTreeMap;
use std::path::Path;

use cortado_yaml::{ConfigError, Node, Value};

use crate::load::{expr_src, known_entries, node_path};
use crate::{
    CorrInputSrc, CorrectionWeight, CustomWeight, VariationKeys, VariationSet, WeightKind,
    WeightSet, WeightsConfig, BUILTIN_WEIGHTS, BUILTIN_WITH_VARIATIONS, NOT_YET_WEIGHTS,
};

/// `custom_weights:`: each weight an expression, `{nominal, up, down,
/// mc_only}`, or `{correction: {file, name}, inputs: {...}, where,
/// variations: {input, nominal, up, down | sources}, mc_only}`.
pub(crate) fn custom_weights(raw: &Node) -> Result<BTreeMap<String, CustomWeight>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(cw) = raw.get("custom_weights").filter(|n| n.value != Value::Null) else {
        return Ok(out);
    };
    for (k, v) in cw.as_map()? {
        if BUILTIN_WEIGHTS.contains(&k.name.as_str()) {
            return Err(ConfigError::new(
                k.pos.clone(),
                format!("'{}' is a built-in weight", k.name),
            ));
        }
        let what = format!("custom weight '{}'", k.name);
        let (kind, mc_only) = match &v.value {
            Value::Map(_) if v.get("correction").is_some() => {
                v.check_keys(
                    &["correction", "inputs", "where", "variations", "mc_only"],
                    &what,
                )?;
                (
                    WeightKind::Correction(correction_weight(v, &what)?),
                    mc_only(v)?,
                )
            }
            Value::Map(_) => {
                v.check_keys(&["nominal", "up", "down", "mc_only"], &what)?;
                let up = v.get("up").map(expr_src).transpose()?;
                let down = v.get("down").map(expr_src).transpose()?;
                if up.is_some() != down.is_some() {
                    return Err(v.error(format!("{what} needs both up and down, or neither")));
                }
                let nominal = expr_src(v.req("nominal")?)?;
                (WeightKind::Expr { nominal, up, down }, mc_only(v)?)
            }
            _ => (
                WeightKind::Expr {
                    nominal: expr_src(v)?,
                    up: None,
                    down: None,
                },
                true,
            ),
        };
        out.insert(
            k.name.clone(),
            CustomWeight {
                name: k.name.clone(),
                kind,
                is_mc_only: mc_only,
            },
        );
    }
    Ok(out)
}

fn mc_only(v: &Node) -> Result<bool, ConfigError> {
    Ok(v.get("mc_only")
        .map(|b| b.as_bool())
        .transpose()?
        .unwrap_or(true))
}

/// `{correction: {file, name}, inputs, where, variations}`.
fn correction_weight(v: &Node, what: &str) -> Result<CorrectionWeight, ConfigError> {
    let c = v.req("correction")?;
    c.check_keys(&["file", "name"], &format!("{what}: correction"))?;
    let file_node = c.req("file")?;
    let name_node = c.req("name")?;
    let mut inputs = Vec::new();
    if let Some(i) = v.get("inputs").filter(|n| n.value != Value::Null) {
        for (k, x) in i.as_map()? {
            let src = match &x.value {
                // a string chosen per row: {value: condition, ...}
                Value::Map(m) if !m.is_empty() => CorrInputSrc::Choice(
                    m.iter()
                        .map(|(value, cond)| Ok((value.name.clone(), expr_src(cond)?)))
                        .collect::<Result<_, ConfigError>>()?,
                ),
                Value::Map(_) => {
                    return Err(x.error(format!(
                        "{what}: input '{}' chooses among no values",
                        k.name
                    )))
                }
                _ => CorrInputSrc::Value(expr_src(x)?),
            };
            inputs.push((k.name.clone(), src));
        }
    }
    let variation = match v.get("variations").filter(|n| n.value != Value::Null) {
        None => None,
        Some(x) => Some(variation_keys(x, what)?),
    };
    if let Some(var) = &variation {
        if inputs.iter().any(|(n, _)| n == &var.input) {
            return Err(v.error(format!(
                "{what}: input '{}' is given by variations (nominal/up/down), not inputs",
                var.input
            )));
        }
    }
    Ok(CorrectionWeight {
        file: node_path(file_node, Path::new("."))?,
        file_pos: file_node.pos.clone(),
        correction: name_node.as_text()?,
        correction_pos: name_node.pos.clone(),
        inputs,
        only: v.get("where").map(expr_src).transpose()?,
        variation,
    })
}

/// `variations: {input, nominal, up, down}` or `{input, nominal, sources:
/// {name: {up, down, where}}}`.
fn variation_keys(x: &Node, what: &str) -> Result<VariationKeys, ConfigError> {
    let what = format!("{what}: variations");
    x.check_keys(&["input", "nominal", "up", "down", "sources"], &what)?;
    let sets = match x.get("sources").filter(|n| n.value != Value::Null) {
        Some(srcs) => {
            if x.get("up").is_some() || x.get("down").is_some() {
                return Err(x.error(format!(
                    "{what}: give either up and down, or sources (each with its up and down)"
                )));
            }
            let mut sets = Vec::new();
            for (k, s) in srcs.as_map()? {
                s.check_keys(
                    &["up", "down", "where"],
                    &format!("{what}: source '{}'", k.name),
                )?;
                sets.push(VariationSet {
                    source: Some(k.name.clone()),
                    up: s.req("up")?.as_text()?,
                    down: s.req("down")?.as_text()?,
                    only: s.get("where").map(expr_src).transpose()?,
                });
            }
            if sets.is_empty() {
                return Err(srcs.error(format!("{what}: sources is empty")));
            }
            sets
        }
        None => vec![VariationSet {
            source: None,
            up: x.req("up")?.as_text()?,
            down: x.req("down")?.as_text()?,
            only: None,
        }],
    };
    Ok(VariationKeys {
        input: x.req("input")?.as_text()?,
        nominal: x.req("nominal")?.as_text()?,
        sets,
        pos: x.pos.clone(),
    })
}

fn weight_list(
    n: &Node,
    known: &[String],
    what: &str,
) -> Result<Vec<(String, Option<cortado_yaml::Pos>)>, ConfigError> {
    let mut out = Vec::new();
    for item in n.as_seq()? {
        let name = item.as_text()?;
        if !known.is_empty() && !known.contains(&name) && NOT_YET_WEIGHTS.contains(&name.as_str()) {
            return Err(item.error(format!(
                "{what}: '{name}' is one of PocketCoffea's common weights that cortado does not \
                 have yet (it has {}); until it does, declare it under custom_weights as a \
                 correctionlib correction (docs/configuration.md, Weights)",
                BUILTIN_WEIGHTS.join(", ")
            )));
        }
        if !known.is_empty() && !known.contains(&name) {
            return Err(item
                .error(format!(
                    "{what}: unknown weight '{name}' (define it under custom_weights)"
                ))
                .with_suggestions(&name, known.iter().map(String::as_str)));
        }
        out.push((name, item.pos.clone()));
    }
    Ok(out)
}

fn weight_set(
    n: &Node,
    known: &[String],
    cats: &[String],
    what: &str,
) -> Result<WeightSet, ConfigError> {
    n.check_keys(&["inclusive", "bycategory"], what)?;
    let mut ws = WeightSet::default();
    if let Some(i) = n.get("inclusive").filter(|x| x.value != Value::Null) {
        ws.inclusive = weight_list(i, known, what)?;
    }
    {
        for (k, v) in known_entries(n.get("bycategory"), cats, what, "category")? {
            ws.bycategory
                .insert(k.name.clone(), weight_list(v, known, what)?);
        }
    }
    Ok(ws)
}

/// A `weights:` (or `variations.weights:`) section.
pub(crate) fn parse_weights(
    n: &Node,
    known: &[String],
    cats: &[String],
    samples: &[String],
    what: &str,
) -> Result<WeightsConfig, ConfigError> {
    n.check_keys(&["common", "bysample"], &format!("'{what}'"))?;
    let common = match n.get("common").filter(|x| x.value != Value::Null) {
        Some(c) => weight_set(c, known, cats, &format!("{what}.common"))?,
        None => WeightSet::default(),
    };
    let mut bysample = BTreeMap::new();
    {
        let what_by = format!("{what}.bysample");
        for (k, v) in known_entries(n.get("bysample"), samples, &what_by, "sample")? {
            bysample.insert(
                k.name.clone(),
                weight_set(v, known, cats, &format!("{what}.bysample.{}", k.name))?,
            );
        }
    }
    Ok(WeightsConfig { common, bysample })
}

/// PocketCoffea's checks: a weight is not both inclusive and by category;
/// a weight variation needs the weight applied (with variations); genWeight
/// and signOf_genWeight are exclusive.
pub(crate) fn check_weights(
    w: &WeightsConfig,
    v: &WeightsConfig,
    custom: &BTreeMap<String, CustomWeight>,
    at: Option<&Node>,
) -> Result<(), ConfigError> {
    let all_sets: Vec<&WeightSet> = std::iter::once(&w.common)
        .chain(w.bysample.values())
        .collect();
    for ws in &all_sets {
        for (cat, list) in &ws.bycategory {
            for (name, pos) in list {
                if ws
                    .inclusive
                    .iter()
                    .chain(w.common.inclusive.iter())
                    .any(|(n, _)| n == name)
                {
                    return Err(ConfigError::new(
                        pos.clone(),
                        format!("weight '{name}' is both inclusive and by category ({cat})"),
                    ));
                }
            }
        }
    }
    let applied = |name: &str| {
        all_sets.iter().any(|ws| {
            ws.inclusive.iter().any(|(n, _)| n == name)
                || ws.bycategory.values().flatten().any(|(n, _)| n == name)
        })
    };
    let has_gen = applied("genWeight");
    let has_sign = applied("signOf_genWeight");
    if has_gen && has_sign {
        let pos = w
            .common
            .inclusive
            .iter()
            .find(|(n, _)| n == "signOf_genWeight")
            .and_then(|(_, p)| p.clone());
        return Err(ConfigError::new(
            pos,
            "genWeight and signOf_genWeight cannot be used together",
        ));
    }
    for ws in std::iter::once(&v.common).chain(v.bysample.values()) {
        for (name, pos) in ws.inclusive.iter().chain(ws.bycategory.values().flatten()) {
            let has_var = custom.get(name).map_or_else(
                || BUILTIN_WITH_VARIATIONS.contains(&name.as_str()),
                CustomWeight::has_variations,
            );
            if !has_var {
                return Err(ConfigError::new(
                    pos.clone().or_else(|| at.and_then(|a| a.pos.clone())),
                    format!("weight '{name}' has no up/down variations"),
                ));
            }
            if !applied(name) {
                return Err(ConfigError::new(
                    pos.clone(),
                    format!("variation of weight '{name}', which is not applied anywhere"),
                ));
            }
        }
    }
    Ok(())
}
