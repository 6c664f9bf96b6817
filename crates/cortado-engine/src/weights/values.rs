//! The weights of a sample in a chunk: every factor's values, their
//! products (inclusive, per category), and the modifier of each variation,
//! as PocketCoffea's `WeightsManager` with coffea's `Weights` computes them.

use std::collections::BTreeMap;

use cortado_expr::eval::{eval, Env};
use cortado_expr::value::{Arr, Val};

use super::{TermValues, Varied};
use crate::plan::{WeightPlan, WeightTerm};

type R<T> = Result<T, String>;

/// Per-event weights of a sample in a chunk.
pub(crate) struct Weights {
    /// Product of the inclusive factors.
    inclusive: Vec<f64>,
    /// Product of the by-category factors.
    bycat: BTreeMap<String, Vec<f64>>,
    /// Per variation: per-event modifier (up/nominal or down/nominal).
    pub(crate) ratios: BTreeMap<String, Vec<f64>>,
}

impl Weights {
    /// The nominal weight of every event in category `cat`.
    pub(crate) fn nominal(&self, cat: &str) -> Vec<f64> {
        match self.bycat.get(cat) {
            Some(c) => self.inclusive.iter().zip(c).map(|(a, b)| a * b).collect(),
            None => self.inclusive.clone(),
        }
    }
}

/// One number per event from a weight's value; a missing value (a built-in
/// weight's `PSWeight[2]` where an event has fewer entries) is an error.
/// Also whether the values are float32.
fn f64s(v: &Val, n: usize, name: &str) -> R<(Vec<f64>, bool)> {
    let single = |a: &Arr| matches!(a, Arr::F32(_));
    Ok(match v {
        Val::Lit(l) => (vec![l.f64(); n], false),
        Val::Event(a) => ((0..a.len()).map(|i| a.get_f64(i)).collect(), single(a)),
        Val::Opt(a, valid) => {
            if let Some(first) = valid.iter().position(|v| !v) {
                let missing = valid.iter().filter(|v| !**v).count();
                return Err(format!(
                    "weight '{name}': {missing} events have no value (an index past the \
                     event's entries, as PSWeight[2] where nPSWeight < 3; the first is event \
                     {first} of the chunk's selected events)"
                ));
            }
            ((0..a.len()).map(|i| a.get_f64(i)).collect(), single(a))
        }
        _ => return Err("internal error: a weight did not give one number per event".into()),
    })
}

/// An error when a weight's values (`which`: nominal "", "Up", "Down")
/// are not all finite: a NaN or infinite weight would make every sum it
/// enters meaningless, so the run stops at the chunk that has one.
fn finite(name: &str, which: &str, values: &[f64]) -> R<()> {
    let Some(first) = values.iter().position(|x| !x.is_finite()) else {
        return Ok(());
    };
    let bad = values.iter().filter(|x| !x.is_finite()).count();
    Err(format!(
        "weight '{name}{which}' is {} for {bad} events (the first is event {first} of the \
         chunk's selected events): weights must be finite numbers",
        values[first]
    ))
}

fn term_values(t: &WeightTerm, env: &Env, n: usize, shape: Option<&str>) -> R<TermValues> {
    let genweight = || -> R<Vec<f64>> {
        let g = env.branch("genWeight").map_err(|e| e.0)?;
        Ok((0..g.len()).map(|i| g.get_f64(i)).collect())
    };
    let plain = |nominal| TermValues {
        nominal,
        variations: Vec::new(),
    };
    Ok(match t {
        WeightTerm::GenWeight => plain(genweight()?),
        WeightTerm::SignOfGenWeight => plain(
            genweight()?
                .iter()
                .map(|&x| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        0.0
                    }
                })
                .collect(),
        ),
        WeightTerm::Const(_, c) => plain(vec![*c; n]),
        WeightTerm::Correction(t) => super::evaluate::evaluate_in(t, env, shape)?,
        WeightTerm::Custom {
            name,
            nominal,
            updown,
            ..
        } => {
            let value = |e| -> R<(Vec<f64>, bool)> {
                f64s(
                    &eval(e, env).map_err(|e| format!("weight '{name}': {e}"))?,
                    n,
                    name,
                )
            };
            let mut out = plain(value(nominal)?.0);
            if let Some(ud) = updown {
                let ((up, su), (down, sd)) = (value(&ud.0)?, value(&ud.1)?);
                out.variations.push(Varied {
                    stem: name.clone(),
                    up,
                    down,
                    single: [su, sd],
                });
            }
            out
        }
    })
}

/// The weights of `plan` for the events of `env`, and (simulation, in the
/// nominal pass) the modifier of each of its variations. In the pass of
/// shape variation `shape`, a weight with a nominal of its own for it
/// (`sf_btag` in JES passes) takes that.
pub(crate) fn compute_weights(
    plan: &WeightPlan,
    env: &Env,
    is_mc: bool,
    shape: Option<&str>,
) -> R<Weights> {
    let n = env.len();
    // variation stem -> (the weight's nominal values, its variation)
    let mut varied: BTreeMap<String, (Vec<f64>, Varied)> = BTreeMap::new();
    let mut product = |terms: &[WeightTerm]| -> R<Vec<f64>> {
        let mut w = vec![1.0f64; n];
        for t in terms {
            let v = term_values(t, env, n, shape)?;
            finite(t.name(), "", &v.nominal)?;
            for var in &v.variations {
                finite(&var.stem, "Up", &var.up)?;
                finite(&var.stem, "Down", &var.down)?;
            }
            for (a, x) in w.iter_mut().zip(&v.nominal) {
                *a *= x;
            }
            for var in v.variations {
                varied.insert(var.stem.clone(), (v.nominal.clone(), var));
            }
        }
        Ok(w)
    };
    let inclusive = product(&plan.inclusive)?;
    let mut bycat = BTreeMap::new();
    for (cat, terms) in &plan.bycategory {
        bycat.insert(cat.clone(), product(terms)?);
    }
    let mut ratios = BTreeMap::new();
    if is_mc {
        for (name, v) in &plan.variations {
            if let Some((nominal, var)) = varied.get(&v.stem) {
                ratios.insert(name.clone(), var.ratio(nominal, v.up));
            }
        }
    }
    Ok(Weights {
        inclusive,
        bycat,
        ratios,
    })
}
