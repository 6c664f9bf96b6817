//! Weights from correctionlib corrections: a correction of a file, its
//! numeric inputs given by expressions (per event, or per object of one
//! collection, then multiplied over each event's objects, 1 for an event
//! without objects, as PocketCoffea's `ak.prod(axis=1)`), its string inputs
//! by fixed values, and one string input that selects nominal, up and down.
//!
//! The configuration's correction weights and PocketCoffea's common weights
//! (`pileup`, `sf_mu_id`, ..., built from the parameters in [`builtin`])
//! are planned the same way: the file is loaded, the correction found, every
//! input checked against the correction's signature (name, type, the keys
//! of string inputs) before any event is read.

use std::sync::Arc;

use cortado_config::{AnalysisConfig, CorrectionWeight, Dataset, ExprSrc, VariationKeys};
use cortado_correction::{Column, Correction, Key, Value, VarType};
use cortado_expr::check::TExpr;
use cortado_expr::eval::{eval, Env};
use cortado_expr::types::{Prim, Ty};
use cortado_expr::value::{float_to_int, Arr, Lit, Val};
use cortado_yaml::{ConfigError, Pos};

/// One input of a planned correction weight, in the correction's order.
#[derive(Clone, Debug)]
pub enum CorrInput {
    /// A numeric input: an expression (per event, per object, or constant).
    Expr(TExpr),
    /// A string input with a fixed value.
    Str(String),
    /// The string input that selects the variation: nominal, up, down.
    Variation([String; 3]),
}

/// A planned correction weight.
#[derive(Clone, Debug)]
pub struct CorrectionTerm {
    /// The weight's name.
    pub name: String,
    /// The correction.
    pub correction: Arc<Correction>,
    /// Its file (for messages).
    pub file: String,
    /// Its inputs.
    pub inputs: Vec<CorrInput>,
    /// Whether the inputs are per object (the weight is a product over objects).
    pub per_object: bool,
}

impl CorrectionTerm {
    /// Whether the weight has up and down values.
    pub fn has_variations(&self) -> bool {
        self.inputs
            .iter()
            .any(|i| matches!(i, CorrInput::Variation(_)))
    }
}

fn err(pos: &Option<Pos>, msg: String) -> ConfigError {
    ConfigError::new(pos.clone(), msg)
}

/// Plans a correction weight: loads the file, finds the correction, and
/// checks every input (`check` type-checks an expression; `describe` names
/// a type).
pub fn plan(
    name: &str,
    spec: &CorrectionWeight,
    check: &mut dyn FnMut(&ExprSrc, &str) -> Result<TExpr, ConfigError>,
    describe: &dyn Fn(&Ty) -> String,
) -> Result<CorrectionTerm, ConfigError> {
    let what = format!("weight '{name}'");
    let file = spec.file.display().to_string();
    let set = cortado_correction::load(&spec.file)
        .map_err(|e| err(&spec.file_pos, format!("{what}: {e}")))?;
    let correction = set
        .get_arc(&spec.correction)
        .map_err(|e| err(&spec.correction_pos, format!("{what}: {e}")))?
        .clone();
    let summary = correction.input_summary();
    let mut inputs = Vec::new();
    let mut coll = None;
    for s in &summary {
        let v = &s.variable;
        let given = spec.inputs.iter().find(|(n, _)| n == &v.name);
        let input = match (&spec.variation, given) {
            (Some(var), None) if var.input == v.name => {
                check_keys(&what, &file, &correction, s, var)?;
                CorrInput::Variation([var.nominal.clone(), var.up.clone(), var.down.clone()])
            }
            (_, None) => {
                return Err(err(
                    &spec.correction_pos,
                    format!(
                        "{what}: correction '{}' of {file} needs input '{}' ({}: {}); give it \
                         under inputs{}",
                        correction.name(),
                        v.name,
                        v.kind.name(),
                        v.description,
                        if v.kind == VarType::String {
                            ", or as the variations' input"
                        } else {
                            ""
                        }
                    ),
                ))
            }
            (_, Some((_, src))) if v.kind == VarType::String => {
                if !s.keys.is_empty()
                    && !s.has_default
                    && !s.keys.contains(&Key::Str(src.text.clone()))
                {
                    return Err(err(
                        &src.pos,
                        format!(
                            "{what}: '{}' is not a value of input '{}' of correction '{}' \
                             (values: {})",
                            src.text,
                            v.name,
                            correction.name(),
                            keys_text(&s.keys)
                        ),
                    ));
                }
                CorrInput::Str(src.text.clone())
            }
            (_, Some((_, src))) => {
                let t = check(src, &format!("{what}, input '{}'", v.name))?;
                match t.ty {
                    Ty::Lit(p) | Ty::Event(p) if p != Prim::Bool => {}
                    Ty::Obj(p, id) if p != Prim::Bool => match coll {
                        None => coll = Some(id),
                        Some(c) if c == id => {}
                        Some(_) => {
                            return Err(err(
                                &src.pos,
                                format!(
                                    "{what}: input '{}' is per object of another collection \
                                     than the other inputs",
                                    v.name
                                ),
                            ))
                        }
                    },
                    ref other => {
                        return Err(err(
                            &src.pos,
                            format!(
                                "{what}: input '{}' ({}) needs a number per event or per \
                                 object, this gives {}",
                                v.name,
                                v.kind.name(),
                                describe(other)
                            ),
                        ))
                    }
                }
                CorrInput::Expr(t)
            }
        };
        inputs.push(input);
    }
    for (n, src) in &spec.inputs {
        if !summary.iter().any(|s| &s.variable.name == n) {
            let names: Vec<&str> = summary.iter().map(|s| s.variable.name.as_str()).collect();
            return Err(err(
                &src.pos,
                format!(
                    "{what}: correction '{}' has no input '{n}'{} (inputs: {})",
                    correction.name(),
                    cortado_yaml::did_you_mean(n, names.iter().copied()),
                    names.join(", ")
                ),
            ));
        }
    }
    Ok(CorrectionTerm {
        name: name.to_string(),
        correction,
        file,
        inputs,
        per_object: coll.is_some(),
    })
}

fn keys_text(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| match k {
            Key::Str(s) => format!("\"{s}\""),
            Key::Int(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_keys(
    what: &str,
    file: &str,
    c: &Correction,
    s: &cortado_correction::InputSummary,
    var: &VariationKeys,
) -> Result<(), ConfigError> {
    if s.variable.kind != VarType::String {
        return Err(err(
            &var.pos,
            format!(
                "{what}: the variations' input '{}' of correction '{}' ({file}) is not a string",
                var.input,
                c.name()
            ),
        ));
    }
    for k in [&var.nominal, &var.up, &var.down] {
        if !s.keys.is_empty() && !s.has_default && !s.keys.contains(&Key::Str(k.clone())) {
            return Err(err(
                &var.pos,
                format!(
                    "{what}: '{k}' is not a value of input '{}' of correction '{}' (values: {})",
                    var.input,
                    c.name(),
                    keys_text(&s.keys)
                ),
            ));
        }
    }
    Ok(())
}

/// An evaluated numeric input.
enum Num {
    Const(f64),
    Values(Arc<Arr>),
}

/// Scratch space for inputs converted to the correction's type.
#[derive(Default, Clone)]
struct Scratch {
    ints: Vec<i64>,
    reals: Vec<f64>,
}

/// The column of a numeric input for an input of type `t`: NanoAOD's
/// float32 and integer columns as they are where the type allows, else
/// converted (integers to reals exactly; reals to integers as NumPy's
/// `astype(int64)`).
fn column<'a>(n: &'a Num, t: VarType, scratch: &'a mut Scratch) -> Column<'a> {
    match (n, t) {
        (Num::Const(x), VarType::Int) => Column::Scalar(Value::Int(float_to_int(*x))),
        (Num::Const(x), _) => Column::Scalar(Value::Real(*x)),
        (Num::Values(a), VarType::Int) => match &**a {
            Arr::Int(v) => Column::I64(v),
            other => {
                scratch.ints = (0..other.len())
                    .map(|i| float_to_int(other.get_f64(i)))
                    .collect();
                Column::I64(&scratch.ints)
            }
        },
        (Num::Values(a), _) => match &**a {
            Arr::F32(v) => Column::F32(v),
            Arr::F64(v) => Column::F64(v),
            other => {
                scratch.reals = (0..other.len()).map(|i| other.get_f64(i)).collect();
                Column::F64(&scratch.reals)
            }
        },
    }
}

/// Nominal values per event and, with variations, up and down.
pub type Evaluated = (Vec<f64>, Option<(Vec<f64>, Vec<f64>)>);

/// Evaluates a correction weight on the events of `env`.
pub fn evaluate(t: &CorrectionTerm, env: &Env) -> Result<Evaluated, String> {
    let n = env.len();
    let at = |e: String| format!("weight '{}' ({}): {e}", t.name, t.file);
    let mut nums: Vec<Option<Num>> = Vec::new();
    let mut offsets = None;
    for i in &t.inputs {
        nums.push(match i {
            CorrInput::Expr(e) => Some(match eval(e, env).map_err(|e| at(e.0))? {
                Val::Lit(Lit::Int(x)) => Num::Const(x as f64),
                Val::Lit(Lit::F64(x)) => Num::Const(x),
                Val::Event(a) => Num::Values(a),
                Val::Obj(a, o) => {
                    offsets = Some(o);
                    Num::Values(a)
                }
                _ => return Err(at("an input did not give numbers".into())),
            }),
            _ => None,
        });
    }
    let rows = offsets
        .as_ref()
        .map_or(n, |o| *o.last().unwrap_or(&0) as usize);
    let types: Vec<VarType> = t.correction.inputs().iter().map(|v| v.kind).collect();
    let one = |k: usize| -> Result<Vec<f64>, String> {
        let mut scratch: Vec<Scratch> = vec![Scratch::default(); t.inputs.len()];
        let mut cols = Vec::with_capacity(t.inputs.len());
        for ((input, num), (ty, scratch)) in t
            .inputs
            .iter()
            .zip(&nums)
            .zip(types.iter().zip(scratch.iter_mut()))
        {
            cols.push(match (input, num) {
                (CorrInput::Str(s), _) => Column::Scalar(Value::Str(s)),
                (CorrInput::Variation(keys), _) => Column::Scalar(Value::Str(&keys[k])),
                (CorrInput::Expr(_), Some(x)) => column(x, *ty, scratch),
                (CorrInput::Expr(_), None) => unreachable!("evaluated above"),
            });
        }
        let vals = if rows == 0 {
            Vec::new()
        } else if cols.iter().all(|c| c.len().is_none()) {
            vec![
                t.correction
                    .evaluate_columns(&cols)
                    .map_err(|e| at(e.to_string()))?[0];
                rows
            ]
        } else {
            t.correction
                .evaluate_columns(&cols)
                .map_err(|e| at(e.to_string()))?
        };
        Ok(match &offsets {
            None => vals,
            Some(o) => o
                .windows(2)
                .map(|w| vals[w[0] as usize..w[1] as usize].iter().product())
                .collect(),
        })
    };
    let nominal = one(0)?;
    let updown = if t.has_variations() {
        Some((one(1)?, one(2)?))
    } else {
        None
    };
    Ok((nominal, updown))
}

/// The parameter at `path` as text, or an error naming the weight.
fn param(cfg: &AnalysisConfig, path: &str, what: &str) -> Result<String, ConfigError> {
    cfg.params
        .require(path)
        .and_then(|n| n.as_text())
        .map_err(|e| ConfigError::new(e.pos.clone(), format!("{what}: {}", e.message)))
}

fn src(text: &str) -> ExprSrc {
    ExprSrc {
        text: text.to_string(),
        pos: None,
    }
}

/// PocketCoffea's common weight `name` for dataset `ds`, built from the
/// parameters (`None` when `name` is not one of them).
pub fn builtin(
    name: &str,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    pos: &Option<Pos>,
) -> Option<Result<CorrectionWeight, ConfigError>> {
    let year = &ds.year;
    let what = format!("weight '{name}' (dataset {}, year {year})", ds.name);
    let muon = |key: &str, pt: &str| -> Result<CorrectionWeight, ConfigError> {
        let base = "lepton_scale_factors.muon_sf";
        let coll = param(cfg, &format!("{base}.collection"), &what)?;
        // PocketCoffea: |eta| for Run 2 and 2022, signed eta from 2023 on
        let signed = ["2023", "2024", "2025"].iter().any(|y| year.starts_with(y));
        let eta = if signed {
            format!("{coll}.eta")
        } else {
            format!("abs({coll}.eta)")
        };
        let file_key = format!("{base}.JSONfiles.{year}.file");
        let file = param(cfg, &file_key, &what)?;
        let corr = param(cfg, &format!("{base}.sf_name.{year}.{key}"), &what)?;
        positional(
            (&file, &file_key),
            &corr,
            &[&eta, &pt.replace("{coll}", &coll)],
            ["nominal", "systup", "systdown"],
            pos,
            &what,
        )
    };
    Some(match name {
        "pileup" => (|| {
            let file_key = format!("pileupJSONfiles.{year}.file");
            let file = param(cfg, &file_key, &what)?;
            let corr = param(cfg, &format!("pileupJSONfiles.{year}.name"), &what)?;
            positional(
                (&file, &file_key),
                &corr,
                &["Pileup_nTrueInt"],
                ["nominal", "up", "down"],
                pos,
                &what,
            )
        })(),
        "sf_mu_id" => muon("id", "{coll}.pt"),
        "sf_mu_iso" => muon("iso", "{coll}.pt"),
        // PocketCoffea clips pt to [26, 9999] for the trigger SF
        "sf_mu_trigger" => muon(
            "trigger",
            "where({coll}.pt < 26.0, 26.0, where({coll}.pt > 9999.0, 9999.0, {coll}.pt))",
        ),
        _ => return None,
    })
}

/// A correction weight whose numeric inputs are `exprs` in the order of the
/// correction's inputs, followed by the variation's string input (the
/// convention of PocketCoffea's common weights).
fn positional(
    (file, file_key): (&str, &str),
    corr: &str,
    exprs: &[&str],
    keys: [&str; 3],
    pos: &Option<Pos>,
    what: &str,
) -> Result<CorrectionWeight, ConfigError> {
    let set = cortado_correction::load(file).map_err(|e| {
        err(
            pos,
            format!(
                "{what}: {e} (the file is the parameter {file_key}: set it in your parameter \
                 files to a local copy when /cvmfs is not mounted)"
            ),
        )
    })?;
    let c = set
        .get(corr)
        .map_err(|e| err(pos, format!("{what}: {e}")))?;
    let names: Vec<String> = c.inputs().iter().map(|v| v.name.clone()).collect();
    if names.len() != exprs.len() + 1 {
        return Err(err(
            pos,
            format!(
                "{what}: correction '{corr}' of {file} has inputs ({}), expected {} numbers and \
                 the variation",
                names.join(", "),
                exprs.len()
            ),
        ));
    }
    Ok(CorrectionWeight {
        file: file.into(),
        file_pos: pos.clone(),
        correction: corr.to_string(),
        correction_pos: pos.clone(),
        inputs: names
            .iter()
            .zip(exprs)
            .map(|(n, e)| (n.clone(), src(e)))
            .collect(),
        variation: Some(VariationKeys {
            input: names[exprs.len()].clone(),
            nominal: keys[0].into(),
            up: keys[1].into(),
            down: keys[2].into(),
            pos: pos.clone(),
        }),
    })
}
