//! Columnar evaluation of typed expressions: every node computes a whole
//! column for all events of a chunk at once.

use std::sync::Arc;

use crate::ast::{BinOp, UnOp};
use crate::check::{Func, TExpr, TKind};
use crate::math;
use crate::types::{Prim, Ty};
use crate::value::{offsets_from_counts, Arr, CollVal, Lit, Offsets, RecVal, Val};

/// An evaluation failure (missing input column, internal inconsistency).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError(pub String);

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

use crate::dilepton::dilepton;
pub use crate::env::Env;
use crate::kernels::{kernel, math1, reduce, zipmap};

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
        TKind::RecField(x, f) => match eval(x, env)? {
            Val::Rec(r) => match &*r {
                RecVal::Branches(prefix) => Val::Event(env.branch(&format!("{prefix}_{f}"))?),
                RecVal::Fields(m) => m
                    .get(f)
                    .cloned()
                    .ok_or_else(|| ee(format!("record has no field {f}")))?,
                RecVal::Over(prefix, m) => match m.get(f) {
                    Some(v) => v.clone(),
                    None => Val::Event(env.branch(&format!("{prefix}_{f}"))?),
                },
            },
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
fn map_values(v: Val, f: impl Fn(&Arr) -> Arr) -> R<Val> {
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
enum Wrap {
    Event,
    Opt(Arc<Vec<bool>>),
    Obj(Offsets),
    Lit,
}

/// Two operands as arrays of the same length, in element type `prim`, and
/// the shape of the result; an error (never a truncation) when their
/// lengths or offsets disagree.
fn align(l: Val, r: Val, prim: Prim, n: usize) -> R<(Arr, Arr, Wrap)> {
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

fn wrap(a: Arr, w: Wrap) -> Val {
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

fn values_of(v: &Val) -> R<(&Arr, Option<&Offsets>)> {
    match v {
        Val::Obj(a, o) => Ok((a, Some(o))),
        Val::Event(a) | Val::Opt(a, _) => Ok((a, None)),
        _ => Err(ee("internal error: values expected")),
    }
}

/// Kinematic inputs: per-event (for records/single objects) or per-object.
struct Kin {
    eta: Vec<f32>,
    phi: Vec<f32>,
    offsets: Option<Offsets>,
    valid: Option<Arc<Vec<bool>>>,
}

/// [`kin_values`], checked: one (η, φ) per object, or per selected event.
fn kin(v: &Val, env: &Env) -> R<Kin> {
    let k = kin_values(v, env)?;
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

fn kin_values(v: &Val, env: &Env) -> R<Kin> {
    let f32s = |a: Arc<Arr>| -> Vec<f32> {
        match a.cast(Prim::F32) {
            Arr::F32(v) => v,
            _ => unreachable!(),
        }
    };
    Ok(match v {
        Val::Coll(c) => Kin {
            eta: f32s(c.field("eta").map_err(ee)?),
            phi: f32s(c.field("phi").map_err(ee)?),
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
                eta: g("eta")?,
                phi: g("phi")?,
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
                eta: field("eta")?,
                phi: field("phi")?,
                offsets: None,
                valid: None,
            }
        }
        _ => return Err(ee("internal error: kinematics of non-objects")),
    })
}

fn call(f: &Func, args: &[TExpr], env: &Env, ty: &Ty) -> R<Val> {
    let vals = args.iter().map(|a| eval(a, env)).collect::<R<Vec<_>>>()?;
    let out_prim = ty.prim();
    Ok(match f {
        Func::Math(name) => map_values(vals[0].clone(), |a| math1(name, a))?,
        Func::Abs => map_values(vals[0].clone(), |a| {
            match a.cast(if a.prim() == Prim::Bool {
                Prim::Int
            } else {
                a.prim()
            }) {
                Arr::Int(v) => Arr::Int(v.iter().map(|x| x.abs()).collect()),
                Arr::F32(v) => Arr::F32(v.iter().map(|x| x.abs()).collect()),
                Arr::F64(v) => Arr::F64(v.iter().map(|x| x.abs()).collect()),
                Arr::Bool(_) => unreachable!(),
            }
        })?,
        Func::Math2(name) => {
            let p = out_prim.unwrap_or(Prim::F64);
            let (a, b, w) = align(vals[0].clone(), vals[1].clone(), p, env.len())?;
            let r = match (name, a, b) {
                (&"min", Arr::F32(x), Arr::F32(y)) => {
                    Arr::F32(zipmap!(x, y, |p, q| if p.is_nan() || q.is_nan() {
                        f32::NAN
                    } else {
                        p.min(q)
                    }))
                }
                (&"max", Arr::F32(x), Arr::F32(y)) => {
                    Arr::F32(zipmap!(x, y, |p, q| if p.is_nan() || q.is_nan() {
                        f32::NAN
                    } else {
                        p.max(q)
                    }))
                }
                (&"min", Arr::F64(x), Arr::F64(y)) => {
                    Arr::F64(zipmap!(x, y, |p, q| if p.is_nan() || q.is_nan() {
                        f64::NAN
                    } else {
                        p.min(q)
                    }))
                }
                (&"max", Arr::F64(x), Arr::F64(y)) => {
                    Arr::F64(zipmap!(x, y, |p, q| if p.is_nan() || q.is_nan() {
                        f64::NAN
                    } else {
                        p.max(q)
                    }))
                }
                (&"min", Arr::Int(x), Arr::Int(y)) => Arr::Int(zipmap!(x, y, |p, q| p.min(q))),
                (&"max", Arr::Int(x), Arr::Int(y)) => Arr::Int(zipmap!(x, y, |p, q| p.max(q))),
                (&"arctan2", Arr::F32(x), Arr::F32(y)) => {
                    Arr::F32(zipmap!(x, y, |p, q| math::atan2_f32(p, q)))
                }
                (&"hypot", Arr::F32(x), Arr::F32(y)) => {
                    Arr::F32(zipmap!(x, y, |p, q| math::hypot_f32(p, q)))
                }
                (&"arctan2", Arr::F64(x), Arr::F64(y)) => {
                    Arr::F64(zipmap!(x, y, |p, q| p.atan2(q)))
                }
                (&"hypot", Arr::F64(x), Arr::F64(y)) => Arr::F64(zipmap!(x, y, |p, q| p.hypot(q))),
                _ => return Err(ee(format!("internal error: {name}"))),
            };
            wrap(r, w)
        }
        Func::Where => {
            let p = out_prim.unwrap_or(Prim::F64);
            let (c, a, w1) = align(vals[0].clone(), vals[1].clone(), Prim::Bool, env.len())?;
            let _ = a;
            let (_, a, _) = align(vals[0].clone(), vals[1].clone(), p, env.len())?;
            let (_, b, _) = align(vals[0].clone(), vals[2].clone(), p, env.len())?;
            let c = c.bools().to_vec();
            if a.len() != c.len() || b.len() != c.len() {
                return Err(ee(
                    "internal error: where() over values of different shapes",
                ));
            }
            let r = match (a, b) {
                (Arr::Bool(x), Arr::Bool(y)) => Arr::Bool(
                    (0..c.len())
                        .map(|i| if c[i] { x[i] } else { y[i] })
                        .collect(),
                ),
                (Arr::Int(x), Arr::Int(y)) => Arr::Int(
                    (0..c.len())
                        .map(|i| if c[i] { x[i] } else { y[i] })
                        .collect(),
                ),
                (Arr::F32(x), Arr::F32(y)) => Arr::F32(
                    (0..c.len())
                        .map(|i| if c[i] { x[i] } else { y[i] })
                        .collect(),
                ),
                (Arr::F64(x), Arr::F64(y)) => Arr::F64(
                    (0..c.len())
                        .map(|i| if c[i] { x[i] } else { y[i] })
                        .collect(),
                ),
                _ => return Err(ee("internal error: where")),
            };
            wrap(r, w1)
        }
        Func::Count => {
            let off = match &vals[0] {
                Val::Coll(c) => c.offsets.clone(),
                Val::Obj(_, o) => o.clone(),
                _ => return Err(ee("internal error: count")),
            };
            Val::Event(Arc::new(Arr::Int(
                off.windows(2).map(|w| (w[1] - w[0]) as i64).collect(),
            )))
        }
        Func::Reduce(name) => {
            let (a, off) = values_of(&vals[0])?;
            let off = off.ok_or_else(|| ee("internal error: reduce"))?;
            reduce(name, a, off)?
        }
        Func::FillNone => match (&vals[0], &vals[1]) {
            (Val::Opt(a, m), Val::Lit(l)) => {
                let p = out_prim.unwrap_or(a.prim());
                let a = a.cast(p);
                let fill = l.splat(p, a.len());
                let r = match (a, fill) {
                    (Arr::Bool(x), Arr::Bool(y)) => Arr::Bool(
                        (0..x.len())
                            .map(|i| if m[i] { x[i] } else { y[i] })
                            .collect(),
                    ),
                    (Arr::Int(x), Arr::Int(y)) => Arr::Int(
                        (0..x.len())
                            .map(|i| if m[i] { x[i] } else { y[i] })
                            .collect(),
                    ),
                    (Arr::F32(x), Arr::F32(y)) => Arr::F32(
                        (0..x.len())
                            .map(|i| if m[i] { x[i] } else { y[i] })
                            .collect(),
                    ),
                    (Arr::F64(x), Arr::F64(y)) => Arr::F64(
                        (0..x.len())
                            .map(|i| if m[i] { x[i] } else { y[i] })
                            .collect(),
                    ),
                    _ => return Err(ee("internal error: fill_none")),
                };
                Val::Event(Arc::new(r))
            }
            _ => return Err(ee("internal error: fill_none")),
        },
        Func::IsNone => match &vals[0] {
            Val::Opt(_, m) => Val::Event(Arc::new(Arr::Bool(m.iter().map(|x| !x).collect()))),
            Val::OptObj(_, idx) => Val::Event(Arc::new(Arr::Bool(
                idx.iter().map(Option::is_none).collect(),
            ))),
            _ => return Err(ee("internal error: is_none")),
        },
        Func::Concat(fields) => {
            let parts = vals
                .iter()
                .map(|v| match v {
                    Val::Coll(c) => Ok(c.clone()),
                    _ => Err(ee("internal error: concat")),
                })
                .collect::<R<Vec<_>>>()?;
            let _ = fields;
            Val::Coll(Arc::new(CollVal::concat(parts).map_err(ee)?))
        }
        Func::SortBy(ascending) => match (&vals[0], &vals[1]) {
            (Val::Coll(c), key @ (Val::Obj(_, _) | Val::Str(_))) => {
                let key = match key {
                    Val::Obj(k, _) => k.clone(),
                    Val::Str(f) => c.field(f).map_err(ee)?,
                    _ => unreachable!(),
                };
                let key = key.cast(Prim::F64);
                let Arr::F64(k) = key else { unreachable!() };
                let mut index = Vec::with_capacity(c.len());
                for w in c.offsets.windows(2) {
                    let mut ids: Vec<u32> = (w[0]..w[1]).collect();
                    // awkward's stable argsort: NaN first in both directions
                    ids.sort_by(|&x, &y| {
                        let (a, b) = (k[x as usize], k[y as usize]);
                        let less = |l: f64, r: f64| {
                            !r.is_nan() && (l.is_nan() || if *ascending { l < r } else { l > r })
                        };
                        if less(a, b) {
                            std::cmp::Ordering::Less
                        } else if less(b, a) {
                            std::cmp::Ordering::Greater
                        } else {
                            std::cmp::Ordering::Equal
                        }
                    });
                    index.extend(ids);
                }
                Val::Coll(Arc::new(c.gather(index, c.offsets.to_vec())))
            }
            _ => return Err(ee("internal error: sort_by")),
        },
        Func::DeltaPhi | Func::DeltaR => {
            let a = kin(&vals[0], env)?;
            let b = kin(&vals[1], env)?;
            let dr = matches!(f, Func::DeltaR);
            let one = |e1: f32, p1: f32, e2: f32, p2: f32| {
                if dr {
                    math::delta_r_f32(e1, p1, e2, p2)
                } else {
                    math::delta_phi_f32(p1, p2)
                }
            };
            if a.offsets.is_some() && b.offsets.is_some() && a.eta.len() != b.eta.len() {
                return Err(ee("internal error: ΔR between different collections"));
            }
            match (&a.offsets, &b.offsets) {
                (Some(o), Some(_)) => Val::Obj(
                    Arc::new(Arr::F32(
                        (0..a.eta.len())
                            .map(|i| one(a.eta[i], a.phi[i], b.eta[i], b.phi[i]))
                            .collect(),
                    )),
                    o.clone(),
                ),
                (Some(o), None) | (None, Some(o)) => {
                    let (objs, single) = if a.offsets.is_some() {
                        (&a, &b)
                    } else {
                        (&b, &a)
                    };
                    let mut out = Vec::with_capacity(objs.eta.len());
                    for (e, w) in o.windows(2).enumerate() {
                        for i in w[0] as usize..w[1] as usize {
                            out.push(if a.offsets.is_some() {
                                one(objs.eta[i], objs.phi[i], single.eta[e], single.phi[e])
                            } else {
                                one(single.eta[e], single.phi[e], objs.eta[i], objs.phi[i])
                            });
                        }
                    }
                    Val::Obj(Arc::new(Arr::F32(out)), o.clone())
                }
                (None, None) => {
                    let v: Vec<f32> = (0..a.eta.len())
                        .map(|i| one(a.eta[i], a.phi[i], b.eta[i], b.phi[i]))
                        .collect();
                    match (&a.valid, &b.valid) {
                        (None, None) => Val::Event(Arc::new(Arr::F32(v))),
                        (x, y) => {
                            let m: Vec<bool> = (0..v.len())
                                .map(|i| {
                                    x.as_ref().is_none_or(|m| m[i])
                                        && y.as_ref().is_none_or(|m| m[i])
                                })
                                .collect();
                            Val::Opt(Arc::new(Arr::F32(v)), Arc::new(m))
                        }
                    }
                }
            }
        }
        Func::DeltaRClean | Func::MinDeltaR => {
            let a = kin(&vals[0], env)?;
            let b = kin(&vals[1], env)?;
            let (Some(oa), Some(ob)) = (&a.offsets, &b.offsets) else {
                return Err(ee("internal error: cleaning"));
            };
            if oa.len() != ob.len() {
                return Err(ee("internal error: cleaning over different events"));
            }
            let mut out_b = Vec::with_capacity(a.eta.len());
            let mut out_f = Vec::with_capacity(a.eta.len());
            let dr = match vals.get(2) {
                Some(Val::Lit(l)) => l.f64() as f32,
                _ => 0.0,
            };
            for e in 0..oa.len() - 1 {
                for i in oa[e] as usize..oa[e + 1] as usize {
                    let mut all = true;
                    let mut min = f32::INFINITY;
                    for j in ob[e] as usize..ob[e + 1] as usize {
                        let d = math::delta_r_f32(a.eta[i], a.phi[i], b.eta[j], b.phi[j]);
                        all &= d > dr;
                        if d < min {
                            min = d;
                        }
                    }
                    out_b.push(all);
                    out_f.push(min);
                }
            }
            if matches!(f, Func::DeltaRClean) {
                Val::Obj(Arc::new(Arr::Bool(out_b)), oa.clone())
            } else {
                Val::Obj(Arc::new(Arr::F32(out_f)), oa.clone())
            }
        }
        Func::Dilepton => dilepton(&vals[0], &vals[1])?,
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
        Func::GoldenJson(mask) => {
            let (run, lumi) = match (&vals[0], &vals[1]) {
                (Val::Event(r), Val::Event(l)) => (r.clone(), l.clone()),
                _ => return Err(ee("internal error: golden JSON")),
            };
            if run.len() != lumi.len() {
                return Err(ee("internal error: golden JSON over different events"));
            }
            // a run or lumi section that is not a whole number in u32's
            // range (negative, fractional, NaN) is in no golden JSON
            let whole = |a: &Arr, i: usize| -> Option<u32> {
                match a {
                    Arr::Int(v) => u32::try_from(v[i]).ok(),
                    a => {
                        let x = a.get_f64(i);
                        let fits = x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x);
                        fits.then_some(x as u32)
                    }
                }
            };
            let ok: Vec<bool> = (0..run.len())
                .map(|i| {
                    let (Some(r), Some(l)) = (whole(&run, i), whole(&lumi, i)) else {
                        return false;
                    };
                    mask.get(&r)
                        .is_some_and(|ranges| ranges.iter().any(|&(a, b)| a <= l && l <= b))
                })
                .collect();
            Val::Event(Arc::new(Arr::Bool(ok)))
        }
    })
}
