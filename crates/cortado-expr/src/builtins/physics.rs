//! Physics functions: `delta_phi`, `delta_r`, `delta_r_clean`,
//! `min_delta_r` (float32, as coffea on NanoAOD), PocketCoffea's
//! `get_dilepton`, and the transverse mass `mt` (float64).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{kin_shape, need_fields, same_shape, typed_call, Args, Builtin, R};
use crate::check::{CheckError, Checker, TExpr, TKind};
use crate::dilepton::dilepton;
use crate::eval::{ee, kin, kin_of, Env, EvalError, Kin};
use crate::math;
use crate::types::{Prim, Ty};
use crate::value::{Arr, Lit, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(DeltaPhiR(true)),
        Arc::new(Clean(true)),
        Arc::new(Dilepton),
        Arc::new(Mt),
    ]
}

/// `one` of two things with two fields each (η, φ or pt, φ): per object
/// (two aligned collections, or objects and one thing per event: `nan` for
/// the objects of an event without that thing) or per event (missing where
/// either is).
fn pairwise<T: Copy>(
    a: &Kin,
    b: &Kin,
    one: impl Fn(f32, f32, f32, f32) -> T,
    nan: T,
    arr: impl Fn(Vec<T>) -> Arr,
) -> Result<Val, EvalError> {
    if a.offsets.is_some() && b.offsets.is_some() && a.eta.len() != b.eta.len() {
        return Err(ee(
            "internal error: a pair function over different collections",
        ));
    }
    Ok(match (&a.offsets, &b.offsets) {
        (Some(o), Some(_)) => Val::Obj(
            Arc::new(arr((0..a.eta.len())
                .map(|i| one(a.eta[i], a.phi[i], b.eta[i], b.phi[i]))
                .collect())),
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
                let present = single.valid.as_ref().is_none_or(|m| m[e]);
                for i in w[0] as usize..w[1] as usize {
                    out.push(if !present {
                        nan
                    } else if a.offsets.is_some() {
                        one(objs.eta[i], objs.phi[i], single.eta[e], single.phi[e])
                    } else {
                        one(single.eta[e], single.phi[e], objs.eta[i], objs.phi[i])
                    });
                }
            }
            Val::Obj(Arc::new(arr(out)), o.clone())
        }
        (None, None) => {
            let v: Vec<T> = (0..a.eta.len())
                .map(|i| one(a.eta[i], a.phi[i], b.eta[i], b.phi[i]))
                .collect();
            match (&a.valid, &b.valid) {
                (None, None) => Val::Event(Arc::new(arr(v))),
                (x, y) => {
                    let m: Vec<bool> = (0..v.len())
                        .map(|i| x.as_ref().is_none_or(|m| m[i]) && y.as_ref().is_none_or(|m| m[i]))
                        .collect();
                    Val::Opt(Arc::new(arr(v)), Arc::new(m))
                }
            }
        }
    })
}

fn eta_phi() -> Vec<(usize, String)> {
    [0, 1]
        .into_iter()
        .flat_map(|i| [(i, "eta".to_string()), (i, "phi".to_string())])
        .collect()
}

/// `delta_r(a, b)` (true) or `delta_phi(a, b)` (false).
#[derive(Debug)]
pub(super) struct DeltaPhiR(pub bool);

impl Builtin for DeltaPhiR {
    fn names(&self) -> &'static [&'static str] {
        &["delta_phi", "delta_r"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let span = a.span;
        a.only(&["a", "b"])?;
        let x = c.check(a.req(0, "a")?)?;
        let y = c.check(a.req(1, "b")?)?;
        let shape = kin_shape(c, &x, &y, span)?;
        let need: &[&str] = if a.name == "delta_r" {
            &["eta", "phi"]
        } else {
            &["phi"]
        };
        for v in [&x, &y] {
            need_fields(c, v, need)?;
        }
        Ok(typed_call(
            DeltaPhiR(a.name == "delta_r"),
            shape,
            vec![x, y],
            span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, env: &Env) -> Result<Val, EvalError> {
        if self.0 {
            let (a, b) = (kin(&args[0], env)?, kin(&args[1], env)?);
            pairwise(&a, &b, math::delta_r_f32, f32::NAN, Arr::F32)
        } else {
            // φ only (MET has no η)
            let a = kin_of(&args[0], env, ["phi", "phi"])?;
            let b = kin_of(&args[1], env, ["phi", "phi"])?;
            let dphi = |_, p1, _, p2| math::delta_phi_f32(p1, p2);
            pairwise(&a, &b, dphi, f32::NAN, Arr::F32)
        }
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        if self.0 {
            eta_phi()
        } else {
            vec![(0, "phi".to_string()), (1, "phi".to_string())]
        }
    }
}

/// `delta_r_clean(A, B, dr)` (true: a mask over A, ΔR > dr to every B) or
/// `min_delta_r(A, B)` (false: the smallest ΔR to B, +∞ without B).
#[derive(Debug)]
pub(super) struct Clean(pub bool);

impl Builtin for Clean {
    fn names(&self) -> &'static [&'static str] {
        &["delta_r_clean", "min_delta_r"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        let allowed: &[&str] = if name == "min_delta_r" {
            &["a", "b"]
        } else {
            &["a", "b", "dr"]
        };
        a.only(allowed)?;
        let x = c.check(a.req(0, "a")?)?;
        let y = c.check(a.req(1, "b")?)?;
        let (Ty::Coll(ida), Ty::Coll(_)) = (&x.ty, &y.ty) else {
            return Err(CheckError::new(
                format!("{name}(A, B) needs two collections"),
                span,
            ));
        };
        let ida = c.schema.root(*ida);
        for v in [&x, &y] {
            need_fields(c, v, &["eta", "phi"])?;
        }
        if name == "min_delta_r" {
            return Ok(typed_call(
                Clean(false),
                Ty::Obj(Prim::F32, ida),
                vec![x, y],
                span,
            ));
        }
        let dr = c.check(a.req(2, "dr")?)?;
        if !matches!(dr.kind, TKind::Lit(Lit::Int(_) | Lit::F64(_))) {
            return Err(CheckError::new(
                "delta_r_clean(A, B, dr): dr must be a constant",
                dr.span,
            ));
        }
        Ok(typed_call(
            Clean(true),
            Ty::Obj(Prim::Bool, ida),
            vec![x, y, dr],
            span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, env: &Env) -> Result<Val, EvalError> {
        let a = kin(&args[0], env)?;
        let b = kin(&args[1], env)?;
        let (Some(oa), Some(ob)) = (&a.offsets, &b.offsets) else {
            return Err(ee("internal error: cleaning"));
        };
        if oa.len() != ob.len() {
            return Err(ee("internal error: cleaning over different events"));
        }
        let mut out_b = Vec::with_capacity(a.eta.len());
        let mut out_f = Vec::with_capacity(a.eta.len());
        let dr = match args.get(2) {
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
        Ok(if self.0 {
            Val::Obj(Arc::new(Arr::Bool(out_b)), oa.clone())
        } else {
            Val::Obj(Arc::new(Arr::F32(out_f)), oa.clone())
        })
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        eta_phi()
    }
}

/// `get_dilepton(electrons, muons)`: PocketCoffea's dilepton record.
#[derive(Debug)]
pub(super) struct Dilepton;

impl Builtin for Dilepton {
    fn names(&self) -> &'static [&'static str] {
        &["get_dilepton"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["electrons", "muons"])?;
        let e = c.check(a.req(0, "electrons")?)?;
        let m = c.check(a.req(1, "muons")?)?;
        for v in [&e, &m] {
            if !matches!(v.ty, Ty::Coll(_)) {
                return Err(CheckError::new(
                    "get_dilepton(electrons, muons) needs two collections",
                    v.span,
                ));
            }
            need_fields(c, v, &["pt", "eta", "phi", "mass", "charge"])?;
        }
        let fields: BTreeMap<String, Prim> = [
            "pt", "eta", "phi", "mass", "charge", "deltaR", "deltaPhi", "deltaEta", "l1phi",
            "l2phi", "l1pt", "l2pt", "l1eta", "l2eta", "l1mass", "l2mass",
        ]
        .into_iter()
        .map(|f| (f.to_string(), Prim::F64))
        .collect();
        let id = c.schema.add_rec("dilepton", fields);
        Ok(typed_call(Dilepton, Ty::Rec(id), vec![e, m], a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        dilepton(&args[0], &args[1])
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        [0, 1]
            .into_iter()
            .flat_map(|i| ["pt", "eta", "phi", "mass", "charge"].map(|f| (i, f.to_string())))
            .collect()
    }
}

/// `mt(a, b)`: the transverse mass of two things with pt and φ (objects, a
/// single object per event, a record such as MET), √(2 pt₁ pt₂ (1 − cos Δφ)),
/// in float64 from the float32 values; shaped as `delta_phi`.
#[derive(Debug)]
pub(super) struct Mt;

impl Builtin for Mt {
    fn names(&self) -> &'static [&'static str] {
        &["mt"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["a", "b"])?;
        let x = c.check(a.req(0, "a")?)?;
        let y = c.check(a.req(1, "b")?)?;
        let shape = kin_shape(c, &x, &y, a.span)?;
        for v in [&x, &y] {
            need_fields(c, v, &["pt", "phi"])?;
        }
        Ok(typed_call(
            Mt,
            same_shape(&shape, Prim::F64),
            vec![x, y],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, env: &Env) -> Result<Val, EvalError> {
        let a = kin_of(&args[0], env, ["pt", "phi"])?;
        let b = kin_of(&args[1], env, ["pt", "phi"])?;
        let mt = |pt1: f32, phi1: f32, pt2: f32, phi2: f32| {
            let dphi = f64::from(phi1) - f64::from(phi2);
            (2.0 * f64::from(pt1) * f64::from(pt2) * (1.0 - dphi.cos())).sqrt()
        };
        pairwise(&a, &b, mt, f64::NAN, Arr::F64)
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        [0, 1]
            .into_iter()
            .flat_map(|i| [(i, "pt".to_string()), (i, "phi".to_string())])
            .collect()
    }
}
