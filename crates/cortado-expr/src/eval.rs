//! Columnar evaluation of typed expressions: every node computes a whole
//! column for all events of a chunk at once.

use std::sync::Arc;

use crate::ast::{BinOp, UnOp};
use crate::check::{Func, TExpr, TKind};
use crate::types::{Prim, Ty};
use crate::value::{offsets_from_counts, Arr, Lit, Offsets, RecVal, Val};

/// An evaluation failure (missing input column, internal inconsistency).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError(pub String);

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

pub use crate::env::Env;
use crate::kernels::kernel;

pub(crate) type R<T> = Result<T, EvalError>;

pub(crate) fn ee(m: impl Into<String>) -> EvalError {
    EvalError(m.into())
}

/// Evaluates a typed expression.
pub fn eval(e: &TExpr, env: &Env) -> R<Val> {
    Ok(match &e.kind {
        TKind::Lit(l) => Val::Lit(*l),
        TKind::Str(s) => Val::Str(s.clone()),
        TKind::List(items) => Val::List(items.iter().map(|i| eval(i, env)).collect::<R<_>>()?),
        TKind::Branch(name) => Val::Event(env.branch(name)?),
        TKind::JaggedBranch(name, id) => {
            let (counter, prefix) = env
                .schema
                .base
                .get(id)
                .ok_or_else(|| ee("internal error: jagged branch"))?;
            let c = env.base_coll(prefix, counter)?;
            let field = name.strip_prefix(&format!("{prefix}_")).unwrap_or(name);
            Val::Obj(c.field(field).map_err(ee)?, c.offsets.clone())
        }
        TKind::Name(n) => env.get(n)?,
        TKind::Field(x, f) => match eval(x, env)? {
            Val::Coll(c) => Val::Obj(c.field(f).map_err(ee)?, c.offsets.clone()),
            Val::OptObj(c, idx) => {
                let vals = c.field(f).map_err(ee)?;
                let flat: Vec<u32> = idx
                    .iter()
                    .enumerate()
                    .map(|(e, k)| k.map_or(0, |k| c.offsets[e] + k))
                    .collect();
                let valid: Vec<bool> = idx.iter().map(Option::is_some).collect();
                let g = if vals.is_empty() {
                    empty_like(&vals, flat.len())
                } else {
                    vals.gather(&flat)
                };
                Val::Opt(Arc::new(g), Arc::new(valid))
            }
            _ => return Err(ee("internal error: field of a non-collection")),
        },
        TKind::Member(x, m) => match eval(x, env)? {
            Val::Coll(c) => Val::Coll(c.member(m).map_err(ee)?),
            Val::OptObj(c, idx) => Val::OptObj(c.member(m).map_err(ee)?, idx),
            _ => return Err(ee("internal error: member of a non-collection")),
        },
        TKind::RecField(x, f) => match eval(x, env)? {
            Val::Rec(r) => rec_field(&r, f, env)?,
            _ => return Err(ee("internal error: field of a non-record")),
        },
        TKind::Unary(op, x) => {
            let v = eval(x, env)?;
            map_values(v, |a| match op {
                UnOp::Not => Arr::Bool(a.bools().iter().map(|b| !b).collect()),
                UnOp::Neg => match a.cast(if a.prim() == Prim::Bool {
                    Prim::Int
                } else {
                    a.prim()
                }) {
                    Arr::Int(v) => Arr::Int(v.iter().map(|x| x.wrapping_neg()).collect()),
                    Arr::F32(v) => Arr::F32(v.iter().map(|x| -x).collect()),
                    Arr::F64(v) => Arr::F64(v.iter().map(|x| -x).collect()),
                    Arr::Bool(_) => unreachable!(),
                },
            })?
        }
        TKind::Cast(p, x) => map_values(eval(x, env)?, |a| a.cast(*p))?,
        TKind::Binary {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let l = eval(lhs, env)?;
            let r = eval(rhs, env)?;
            binary(*op, *operand, l, r, env.len())?
        }
        TKind::Select(c, m) => match (eval(c, env)?, eval(m, env)?) {
            (Val::Coll(c), Val::Obj(mask, _)) => Val::Coll(Arc::new(c.select(mask.bools()))),
            (Val::Coll(c), Val::Lit(Lit::Bool(b))) => {
                Val::Coll(Arc::new(c.select(&vec![b; c.len()])))
            }
            _ => return Err(ee("internal error: selection")),
        },
        TKind::Slice(x, a, b) => match eval(x, env)? {
            Val::Coll(c) => {
                let mut index = Vec::new();
                let mut counts = Vec::with_capacity(c.events());
                for w in c.offsets.windows(2) {
                    let n = (w[1] - w[0]) as i64;
                    let (s, t) = py_slice(n, *a, *b);
                    index.extend((s..t).map(|k| w[0] + k as u32));
                    counts.push((t - s).max(0) as u32);
                }
                let offsets = offsets_from_counts(counts).map_err(ee)?;
                Val::Coll(Arc::new(c.gather(index, offsets)))
            }
            _ => return Err(ee("internal error: slice")),
        },
        TKind::Pick(x, k) => match eval(x, env)? {
            Val::Coll(c) => {
                let idx: Vec<Option<u32>> = c
                    .offsets
                    .windows(2)
                    .map(|w| py_index((w[1] - w[0]) as i64, *k))
                    .collect();
                Val::OptObj(c, Arc::new(idx))
            }
            _ => return Err(ee("internal error: pick")),
        },
        TKind::PickValue(x, k) => match eval(x, env)? {
            Val::Obj(vals, off) => {
                let idx: Vec<Option<u32>> = off
                    .windows(2)
                    .map(|w| py_index((w[1] - w[0]) as i64, *k))
                    .collect();
                let flat: Vec<u32> = idx
                    .iter()
                    .enumerate()
                    .map(|(e, i)| i.map_or(0, |i| off[e] + i))
                    .collect();
                let g = if vals.is_empty() {
                    empty_like(&vals, flat.len())
                } else {
                    vals.gather(&flat)
                };
                Val::Opt(
                    Arc::new(g),
                    Arc::new(idx.iter().map(Option::is_some).collect()),
                )
            }
            _ => return Err(ee("internal error: index")),
        },
        TKind::Call(f, args) => call(f, args, env, &e.ty)?,
    })
}

pub(crate) fn empty_like(a: &Arr, n: usize) -> Arr {
    Lit::Int(0).splat(a.prim(), n)
}

/// Python slice bounds on a list of length n.
fn py_slice(n: i64, a: Option<i64>, b: Option<i64>) -> (i64, i64) {
    let norm = |x: i64| if x < 0 { (n + x).max(0) } else { x.min(n) };
    let s = a.map_or(0, norm);
    let t = b.map_or(n, norm);
    (s, t.max(s))
}

fn py_index(n: i64, k: i64) -> Option<u32> {
    let i = if k < 0 { n + k } else { k };
    (i >= 0 && i < n).then_some(i as u32)
}

/// Applies `f` to the values of a value, keeping its shape.
pub(crate) fn map_values(v: Val, f: impl Fn(&Arr) -> Arr) -> R<Val> {
    Ok(match v {
        Val::Event(a) => Val::Event(Arc::new(f(&a))),
        Val::Opt(a, m) => Val::Opt(Arc::new(f(&a)), m),
        Val::Obj(a, o) => Val::Obj(Arc::new(f(&a)), o),
        Val::Lit(l) => {
            let a = f(&l.splat(l.prim(), 1));
            Val::Lit(match a {
                Arr::Bool(v) => Lit::Bool(v[0]),
                Arr::Int(v) => Lit::Int(v[0]),
                Arr::F32(v) => Lit::F64(v[0] as f64),
                Arr::F64(v) => Lit::F64(v[0]),
            })
        }
        _ => return Err(ee("internal error: values expected")),
    })
}

/// Two values brought to the same shape: arrays of equal length plus how to wrap the result.
pub(crate) enum Wrap {
    Event,
    Opt(Arc<Vec<bool>>),
    Obj(Offsets),
    Lit,
}

/// Two operands as arrays of the same length, in element type `prim`, and
/// the shape of the result; an error (never a truncation) when their
/// lengths or offsets disagree.
pub(crate) fn align(l: Val, r: Val, prim: Prim, n: usize) -> R<(Arr, Arr, Wrap)> {
    if let (Val::Obj(_, o1), Val::Obj(_, o2)) = (&l, &r) {
        if !Arc::ptr_eq(o1, o2) && o1 != o2 {
            return Err(ee(
                "internal error: per-object operands of different collections",
            ));
        }
    }
    let (a, b, w) = align_values(l, r, prim, n)?;
    let len = match &w {
        Wrap::Event => n,
        Wrap::Opt(m) => m.len(),
        Wrap::Obj(o) => *o.last().unwrap_or(&0) as usize,
        Wrap::Lit => 1,
    };
    if a.len() != len || b.len() != len {
        return Err(ee(format!(
            "internal error: operands of {} and {} values where {len} are expected",
            a.len(),
            b.len()
        )));
    }
    Ok((a, b, w))
}

fn align_values(l: Val, r: Val, prim: Prim, n: usize) -> R<(Arr, Arr, Wrap)> {
    use Val::*;
    let to_arr = |v: &Val, len: usize| -> R<Arr> {
        Ok(match v {
            Lit(x) => x.splat(prim, len),
            Event(a) | Opt(a, _) | Obj(a, _) => a.cast(prim),
            _ => return Err(ee("internal error: values expected")),
        })
    };
    Ok(match (&l, &r) {
        (Lit(_), Lit(_)) => (to_arr(&l, 1)?, to_arr(&r, 1)?, Wrap::Lit),
        (Obj(a, o), Obj(_, _)) => (
            to_arr(&l, a.len())?,
            to_arr(&r, a.len())?,
            Wrap::Obj(o.clone()),
        ),
        (Obj(a, o), Event(b)) => (
            to_arr(&l, a.len())?,
            b.cast(prim).broadcast(o),
            Wrap::Obj(o.clone()),
        ),
        (Event(b), Obj(a, o)) => (
            b.cast(prim).broadcast(o),
            to_arr(&r, a.len())?,
            Wrap::Obj(o.clone()),
        ),
        (Obj(a, o), Lit(_)) => (
            to_arr(&l, a.len())?,
            to_arr(&r, a.len())?,
            Wrap::Obj(o.clone()),
        ),
        (Lit(_), Obj(a, o)) => (
            to_arr(&l, a.len())?,
            to_arr(&r, a.len())?,
            Wrap::Obj(o.clone()),
        ),
        (Opt(a, m1), Opt(_, m2)) => {
            if m1.len() != m2.len() {
                return Err(ee("internal error: optional operands of different lengths"));
            }
            let m: Vec<bool> = m1.iter().zip(m2.iter()).map(|(x, y)| *x && *y).collect();
            (
                to_arr(&l, a.len())?,
                to_arr(&r, a.len())?,
                Wrap::Opt(Arc::new(m)),
            )
        }
        (Opt(_, m), _) => (to_arr(&l, n)?, to_arr(&r, n)?, Wrap::Opt(m.clone())),
        (_, Opt(_, m)) => (to_arr(&l, n)?, to_arr(&r, n)?, Wrap::Opt(m.clone())),
        _ => (to_arr(&l, n)?, to_arr(&r, n)?, Wrap::Event),
    })
}

pub(crate) fn wrap(a: Arr, w: Wrap) -> Val {
    match w {
        Wrap::Event => Val::Event(Arc::new(a)),
        Wrap::Opt(m) => Val::Opt(Arc::new(a), m),
        Wrap::Obj(o) => Val::Obj(Arc::new(a), o),
        Wrap::Lit => Val::Lit(match a {
            Arr::Bool(v) => Lit::Bool(v[0]),
            Arr::Int(v) => Lit::Int(v[0]),
            Arr::F32(v) => Lit::F64(v[0] as f64),
            Arr::F64(v) => Lit::F64(v[0]),
        }),
    }
}

fn binary(op: BinOp, operand: Prim, l: Val, r: Val, n: usize) -> R<Val> {
    let (a, b, w) = align(l, r, operand, n)?;
    Ok(wrap(kernel(op, a, b)?, w))
}

pub(crate) fn values_of(v: &Val) -> R<(&Arr, Option<&Offsets>)> {
    match v {
        Val::Obj(a, o) => Ok((a, Some(o))),
        Val::Event(a) | Val::Opt(a, _) => Ok((a, None)),
        _ => Err(ee("internal error: values expected")),
    }
}

/// Kinematic inputs: per-event (for records/single objects) or per-object;
/// `eta` and `phi` hold the two fields asked for ([`kin_of`]: η and φ by
/// default, pt and φ for a transverse mass).
pub(crate) struct Kin {
    pub(crate) eta: Vec<f32>,
    pub(crate) phi: Vec<f32>,
    pub(crate) offsets: Option<Offsets>,
    pub(crate) valid: Option<Arc<Vec<bool>>>,
}

/// [`kin_values`], checked: one (η, φ) per object, or per selected event.
/// Field `f` of a record: a branch `prefix_f` of the input, or a value the
/// record holds.
pub(crate) fn rec_field(r: &RecVal, f: &str, env: &Env) -> R<Val> {
    Ok(match r {
        RecVal::Branches(prefix) => Val::Event(env.branch(&format!("{prefix}_{f}"))?),
        RecVal::Fields(m) => m
            .get(f)
            .cloned()
            .ok_or_else(|| ee(format!("record has no field {f}")))?,
        RecVal::Over(prefix, m) => match m.get(f) {
            Some(v) => v.clone(),
            None => Val::Event(env.branch(&format!("{prefix}_{f}"))?),
        },
    })
}

pub(crate) fn kin(v: &Val, env: &Env) -> R<Kin> {
    kin_of(v, env, ["eta", "phi"])
}

/// [`kin`] of two other fields (`["pt", "phi"]`).
pub(crate) fn kin_of(v: &Val, env: &Env, fields: [&str; 2]) -> R<Kin> {
    let k = kin_values(v, env, fields)?;
    let n = match &k.offsets {
        Some(o) if o.len() == env.len() + 1 => *o.last().unwrap_or(&0) as usize,
        Some(o) => {
            return Err(ee(format!(
                "internal error: {} offsets for {} events",
                o.len(),
                env.len()
            )))
        }
        None => env.len(),
    };
    if k.eta.len() != n || k.phi.len() != n || k.valid.as_ref().is_some_and(|m| m.len() != n) {
        return Err(ee(format!(
            "internal error: {} η and {} φ values where {n} are expected",
            k.eta.len(),
            k.phi.len()
        )));
    }
    Ok(k)
}

fn kin_values(v: &Val, env: &Env, [f1, f2]: [&str; 2]) -> R<Kin> {
    let f32s = |a: Arc<Arr>| -> Vec<f32> {
        match a.cast(Prim::F32) {
            Arr::F32(v) => v,
            _ => unreachable!(),
        }
    };
    Ok(match v {
        Val::Coll(c) => Kin {
            eta: f32s(c.field(f1).map_err(ee)?),
            phi: f32s(c.field(f2).map_err(ee)?),
            offsets: Some(c.offsets.clone()),
            valid: None,
        },
        Val::OptObj(c, idx) => {
            let flat: Vec<u32> = idx
                .iter()
                .enumerate()
                .map(|(e, k)| k.map_or(0, |k| c.offsets[e] + k))
                .collect();
            let g = |f: &str| -> R<Vec<f32>> {
                let a = c.field(f).map_err(ee)?;
                Ok(if a.is_empty() {
                    vec![0.0; flat.len()]
                } else {
                    f32s(Arc::new(a.gather(&flat)))
                })
            };
            Kin {
                eta: g(f1)?,
                phi: g(f2)?,
                offsets: None,
                valid: Some(Arc::new(idx.iter().map(Option::is_some).collect())),
            }
        }
        Val::Rec(r) => {
            let field = |f: &str| -> R<Vec<f32>> {
                match &**r {
                    RecVal::Branches(p) => Ok(f32s(env.branch(&format!("{p}_{f}"))?)),
                    RecVal::Fields(m) => match m.get(f) {
                        Some(Val::Event(a)) | Some(Val::Opt(a, _)) => Ok(f32s(a.clone())),
                        _ => Err(ee(format!("record has no field {f}"))),
                    },
                    RecVal::Over(p, m) => match m.get(f) {
                        Some(Val::Event(a)) | Some(Val::Opt(a, _)) => Ok(f32s(a.clone())),
                        Some(_) => Err(ee(format!("record field {f} is not one value per event"))),
                        None => Ok(f32s(env.branch(&format!("{p}_{f}"))?)),
                    },
                }
            };
            Kin {
                eta: field(f1)?,
                phi: field(f2)?,
                offsets: None,
                valid: None,
            }
        }
        _ => return Err(ee("internal error: kinematics of non-objects")),
    })
}

fn call(f: &Func, args: &[TExpr], env: &Env, ty: &Ty) -> R<Val> {
    let vals = args.iter().map(|a| eval(a, env)).collect::<R<Vec<_>>>()?;
    Ok(match f {
        Func::Builtin(b) => b.0.eval(&vals, ty, env)?,
        Func::User(u) => {
            let v =
                u.1.eval(&vals, env)
                    .map_err(|m| ee(format!("{}(): {m}", u.0)))?;
            // what the function returns must be what its signature promised
            v.check(Some(ty), env.len()).map_err(|m| {
                ee(format!(
                    "user function {}() returned {m} ({} events selected)",
                    u.0,
                    env.len()
                ))
            })?;
            v
        }
    })
}
