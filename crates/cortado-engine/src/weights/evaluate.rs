//! A planned correction weight evaluated on the events of a chunk: the rows
//! (events or objects) it applies to are gathered, evaluated in one column
//! call per variation key, scattered back (1 elsewhere), and multiplied over
//! each event's objects.

use std::sync::Arc;

use cortado_correction::{Column, Value, VarType};
use cortado_expr::eval::{eval, Env};
use cortado_expr::value::{float_to_int, Arr, Lit, Val};

use super::correction::{CorrInput, CorrectionTerm};
use super::{TermValues, Varied};

/// An evaluated numeric input.
#[derive(Clone)]
enum Num {
    Const(f64),
    /// One value per event.
    Event(Arc<Arr>),
    /// One value per row (object).
    Row(Arc<Arr>),
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
    let a = match n {
        Num::Const(x) if t == VarType::Int => return Column::Scalar(Value::Int(float_to_int(*x))),
        Num::Const(x) => return Column::Scalar(Value::Real(*x)),
        Num::Event(a) | Num::Row(a) => a,
    };
    match (t, &**a) {
        (VarType::Int, Arr::Int(v)) => Column::I64(v),
        (VarType::Int, other) => {
            scratch.ints = (0..other.len())
                .map(|i| float_to_int(other.get_f64(i)))
                .collect();
            Column::I64(&scratch.ints)
        }
        (_, Arr::F32(v)) => Column::F32(v),
        (_, Arr::F64(v)) => Column::F64(v),
        (_, other) => {
            scratch.reals = (0..other.len()).map(|i| other.get_f64(i)).collect();
            Column::F64(&scratch.reals)
        }
    }
}

/// The rows of a weight in a chunk: events, or the objects of one collection.
struct Layout {
    /// Number of rows.
    rows: usize,
    /// Object offsets per event (`None`: the rows are the events).
    offsets: Option<Arc<Vec<u32>>>,
    /// The event of each row (objects only).
    event_of: Vec<u32>,
}

impl Layout {
    /// The rows of `n` events, or of the objects of `offsets`.
    fn new(n: usize, offsets: Option<Arc<Vec<u32>>>) -> Layout {
        match offsets {
            None => Layout {
                rows: n,
                offsets: None,
                event_of: Vec::new(),
            },
            Some(o) => Layout {
                rows: *o.last().unwrap_or(&0) as usize,
                event_of: o
                    .windows(2)
                    .enumerate()
                    .flat_map(|(e, w)| std::iter::repeat_n(e as u32, (w[1] - w[0]) as usize))
                    .collect(),
                offsets: Some(o),
            },
        }
    }

    /// A per-row flag from a boolean value (an event's flag for each of its objects).
    fn flags(&self, v: &Val) -> Result<Vec<bool>, String> {
        let bools = |a: &Arr| match a {
            Arr::Bool(b) => Ok(b.clone()),
            _ => Err("internal error: a condition did not give booleans".to_string()),
        };
        Ok(match v {
            Val::Lit(Lit::Bool(b)) => vec![*b; self.rows],
            Val::Obj(a, _) => bools(a)?,
            Val::Event(a) if self.offsets.is_some() => {
                let b = bools(a)?;
                self.event_of.iter().map(|&e| b[e as usize]).collect()
            }
            Val::Event(a) => bools(a)?,
            _ => return Err("internal error: a condition did not give booleans".into()),
        })
    }

    /// "event E" or "object K of event E" for row `r`.
    fn place(&self, r: usize) -> String {
        match &self.offsets {
            None => format!("event {r} of the chunk's selected events"),
            Some(o) => {
                let e = self.event_of.get(r).copied().unwrap_or(0) as usize;
                format!(
                    "object {} of event {e} of the chunk's selected events",
                    r.saturating_sub(o[e] as usize)
                )
            }
        }
    }
}

/// Evaluates a correction weight on the events of `env`.
pub fn evaluate(t: &CorrectionTerm, env: &Env) -> Result<TermValues, String> {
    evaluate_in(t, env, None)
}

/// [`evaluate`] in the pass of shape variation `shape` (`None`: nominal):
/// where the weight has a nominal of its own for that variation
/// ([`CorrectionTerm::shape_nominal`]), it is the nominal, without variations.
pub fn evaluate_in(
    t: &CorrectionTerm,
    env: &Env,
    shape: Option<&str>,
) -> Result<TermValues, String> {
    if let Some(v) = shape.and_then(|s| t.shape_nominal.get(s)) {
        let once = CorrectionTerm {
            variations: vec![v.clone()],
            shape_nominal: Default::default(),
            ..t.clone()
        };
        let mut out = evaluate_one(&once, env)?;
        let varied = out
            .variations
            .pop()
            .ok_or("internal error: shape nominal")?;
        return Ok(TermValues {
            nominal: varied.up,
            variations: Vec::new(),
        });
    }
    evaluate_one(t, env)
}

fn evaluate_one(t: &CorrectionTerm, env: &Env) -> Result<TermValues, String> {
    let n = env.len();
    let at = |e: String| format!("weight '{}' ({}): {e}", t.name, t.file);
    let value = |e: &cortado_expr::check::TExpr| eval(e, env).map_err(|e| at(e.0));
    // numbers, and the objects' offsets
    let mut offsets = None;
    let mut nums: Vec<Option<Num>> = Vec::new();
    for i in &t.inputs {
        nums.push(match i {
            CorrInput::Expr(e) => Some(match value(e)? {
                Val::Lit(Lit::Int(x)) => Num::Const(x as f64),
                Val::Lit(Lit::F64(x)) => Num::Const(x),
                Val::Event(a) => Num::Event(a),
                Val::Obj(a, o) => {
                    offsets = Some(o);
                    Num::Row(a)
                }
                _ => return Err(at("an input did not give numbers".into())),
            }),
            _ => None,
        });
    }
    // conditions, in the order of `exprs()`: each choice's (in the order of
    // the inputs), the weight's rows, each variation's rows
    let mut conds: Vec<Val> = Vec::new();
    for e in t
        .exprs()
        .into_iter()
        .filter(|e| e.ty.prim() == Some(cortado_expr::types::Prim::Bool))
    {
        let v = value(e)?;
        if let Val::Obj(_, o) = &v {
            offsets = Some(o.clone());
        }
        conds.push(v);
    }
    let layout = Layout::new(n, offsets);
    // per-event numbers as one value per row
    if layout.offsets.is_some() {
        for num in nums.iter_mut().flatten() {
            if let Num::Event(a) = num {
                *num = Num::Row(Arc::new(a.gather(&layout.event_of)));
            }
        }
    }
    let mut conds = conds.iter().map(|v| layout.flags(v));
    let (choice, active) = choices(t, &layout, &mut conds)?;
    let ev = Eval {
        t,
        nums: &nums,
        choice: &choice,
        layout: &layout,
    };
    let groups = choice.iter().flatten().next().map(Vec::as_slice);
    let sel = rows_of(&active);
    let mut factors = vec![1.0; layout.rows];
    let nominal_key = t.nominal.as_deref().unwrap_or("");
    ev.scatter(&mut factors, &sel, nominal_key).map_err(at)?;
    let mut variations = Vec::new();
    for v in &t.variations {
        let vsel = match &v.only {
            None => sel.clone(),
            Some(_) => {
                let f = conds.next().ok_or("internal error: conditions")??;
                let both: Vec<bool> = active.iter().zip(&f).map(|(a, b)| *a && *b).collect();
                rows_of(&both)
            }
        };
        let mut up = factors.clone();
        ev.scatter(&mut up, &vsel, &v.up).map_err(at)?;
        let mut down = factors.clone();
        ev.scatter(&mut down, &vsel, &v.down).map_err(at)?;
        variations.push(Varied {
            stem: v.stem.clone(),
            up: per_event(&layout, up, groups),
            down: per_event(&layout, down, groups),
            single: [false, false],
        });
    }
    Ok(TermValues {
        nominal: per_event(&layout, factors, groups),
        variations,
    })
}

/// For a string input chosen per row: the value each row takes (`None`: no
/// condition holds).
type Picks = Option<Vec<Option<usize>>>;

/// Which value of each chosen string input each row takes (`None` for the
/// other inputs), and the rows the weight is evaluated on: a value chosen
/// and the weight's `where` true. `conds` gives the conditions in the order
/// of [`CorrectionTerm::exprs`].
fn choices(
    t: &CorrectionTerm,
    layout: &Layout,
    conds: &mut dyn Iterator<Item = Result<Vec<bool>, String>>,
) -> Result<(Vec<Picks>, Vec<bool>), String> {
    let mut next = || conds.next().ok_or("internal error: conditions")?;
    let mut choice = Vec::new();
    let mut active = vec![true; layout.rows];
    for i in &t.inputs {
        choice.push(match i {
            CorrInput::Choice(cases) => {
                let mut pick = vec![None; layout.rows];
                for k in 0..cases.len() {
                    for (p, flag) in pick.iter_mut().zip(next()?) {
                        if p.is_none() && flag {
                            *p = Some(k);
                        }
                    }
                }
                for (a, p) in active.iter_mut().zip(&pick) {
                    *a &= p.is_some();
                }
                Some(pick)
            }
            _ => None,
        });
    }
    if t.only.is_some() {
        for (a, b) in active.iter_mut().zip(next()?) {
            *a &= b;
        }
    }
    Ok((choice, active))
}

/// The rows where `flags` is true (`None`: all of them).
fn rows_of(flags: &[bool]) -> Option<Vec<u32>> {
    if flags.iter().all(|&f| f) {
        return None;
    }
    Some(
        flags
            .iter()
            .enumerate()
            .filter(|(_, &f)| f)
            .map(|(i, _)| i as u32)
            .collect(),
    )
}

/// Per-row factors multiplied over each event's objects. With a string
/// chosen per row (`groups`: each row's choice), the objects of the first
/// choice come first, then those of the second, ...: PocketCoffea
/// concatenates the pt ranges of the electron reco SF before the product,
/// and this order makes the products identical to the last bit.
fn per_event(layout: &Layout, factors: Vec<f64>, groups: Option<&[Option<usize>]>) -> Vec<f64> {
    let Some(o) = &layout.offsets else {
        return factors;
    };
    o.windows(2)
        .map(|w| {
            let rows = w[0] as usize..w[1] as usize;
            match groups {
                None => factors[rows].iter().product(),
                Some(g) => {
                    let mut p = 1.0;
                    let n = g[rows.clone()].iter().flatten().max().map_or(0, |m| m + 1);
                    for k in 0..n {
                        for r in rows.clone().filter(|&r| g[r] == Some(k)) {
                            p *= factors[r];
                        }
                    }
                    p
                }
            }
        })
        .collect()
}

/// What the evaluation of one variation key needs.
struct Eval<'a> {
    t: &'a CorrectionTerm,
    nums: &'a [Option<Num>],
    choice: &'a [Picks],
    layout: &'a Layout,
}

impl Eval<'_> {
    /// Evaluates the rows `sel` (`None`: all) with the variation input at
    /// `key` and writes their values into `out`.
    fn scatter(&self, out: &mut [f64], sel: &Option<Vec<u32>>, key: &str) -> Result<(), String> {
        let len = sel.as_ref().map_or(self.layout.rows, Vec::len);
        if len == 0 {
            return Ok(());
        }
        // the numbers of the selected rows
        let nums: Vec<Option<Num>> = self
            .nums
            .iter()
            .map(|n| match (n, sel) {
                (Some(Num::Row(a)), Some(idx)) => Some(Num::Row(Arc::new(a.gather(idx)))),
                (Some(Num::Event(a)), Some(idx)) => Some(Num::Event(Arc::new(a.gather(idx)))),
                (other, _) => other.clone(),
            })
            .collect();
        let strings: Vec<Option<Vec<&str>>> = self
            .t
            .inputs
            .iter()
            .zip(self.choice)
            .map(|(i, pick)| match (i, pick) {
                (CorrInput::Choice(cases), Some(pick)) => {
                    let name = |r: usize| pick[r].map_or("", |k| cases[k].0.as_str());
                    Some(match sel {
                        None => (0..len).map(name).collect(),
                        Some(idx) => idx.iter().map(|&r| name(r as usize)).collect(),
                    })
                }
                _ => None,
            })
            .collect();
        let types: Vec<VarType> = self.t.correction.inputs().iter().map(|v| v.kind).collect();
        let mut scratch = vec![Scratch::default(); self.t.inputs.len()];
        let mut cols = Vec::with_capacity(self.t.inputs.len());
        for (((input, num), (ty, scratch)), strs) in self
            .t
            .inputs
            .iter()
            .zip(&nums)
            .zip(types.iter().zip(scratch.iter_mut()))
            .zip(&strings)
        {
            cols.push(match (input, num, strs) {
                (CorrInput::Str(s), _, _) => Column::Scalar(Value::Str(s)),
                (CorrInput::Variation, _, _) => Column::Scalar(Value::Str(key)),
                (CorrInput::Choice(_), _, Some(s)) => Column::Str(s),
                (CorrInput::Expr(_), Some(x), _) => column(x, *ty, scratch),
                _ => return Err("internal error: an input was not evaluated".into()),
            });
        }
        let vals = self
            .t
            .correction
            .evaluate_columns(&cols)
            .map_err(|e| self.refused(e, sel))?;
        let all_scalar = cols.iter().all(|c| c.len().is_none());
        for k in 0..len {
            let r = sel.as_ref().map_or(k, |idx| idx[k] as usize);
            out[r] = vals[if all_scalar { 0 } else { k }];
        }
        Ok(())
    }

    /// A refusal of the correction, with the event (and object) of its row.
    fn refused(&self, e: cortado_correction::Error, sel: &Option<Vec<u32>>) -> String {
        match e {
            cortado_correction::Error::Refused {
                origin,
                correction,
                row: Some(k),
                message,
            } => {
                let r = sel.as_ref().map_or(k, |idx| idx[k] as usize);
                format!(
                    "{origin}: correction '{correction}' ({}): {message}",
                    self.layout.place(r)
                )
            }
            other => other.to_string(),
        }
    }
}
