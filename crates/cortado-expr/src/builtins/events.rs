//! Per-event functions of a collection's objects: `count`, the reductions
//! `sum`, `prod`, `any`, `all`, `max`, `min`, `first`, `last`, and
//! `fill_none`, `is_none` for optional values.

use std::sync::Arc;

use super::maths::Math2;
use super::{typed_call, Args, Builtin, R};
use crate::check::{promote, CheckError, Checker, TExpr, TKind};
use crate::eval::{ee, values_of, Env, EvalError};
use crate::kernels::reduce;
use crate::types::{Prim, Ty};
use crate::value::{Arr, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(Count),
        Arc::new(Reduce("sum")),
        Arc::new(MinMax),
        Arc::new(FillNone),
        Arc::new(IsNone),
    ]
}

/// `count(C)` (also `num`, `len`): objects per event.
#[derive(Debug)]
pub(super) struct Count;

impl Builtin for Count {
    fn names(&self) -> &'static [&'static str] {
        &["count", "num", "len"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection"])?;
        let x = c.check(a.req(0, "collection")?)?;
        match x.ty {
            Ty::Coll(_) | Ty::Obj(_, _) => {
                Ok(typed_call(Count, Ty::Event(Prim::Int), vec![x], a.span))
            }
            _ => Err(CheckError::new(
                format!(
                    "{}() counts the objects of a collection, this is {}",
                    a.name,
                    c.schema.describe(&x.ty)
                ),
                x.span,
            )),
        }
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let off = match &args[0] {
            Val::Coll(c) => c.offsets.clone(),
            Val::Obj(_, o) => o.clone(),
            _ => return Err(ee("internal error: count")),
        };
        Ok(Val::Event(Arc::new(Arr::Int(
            off.windows(2).map(|w| (w[1] - w[0]) as i64).collect(),
        ))))
    }
}

const REDUCTIONS: &[&str] = &["sum", "prod", "any", "all", "max", "min", "first", "last"];

/// A per-event reduction of per-object values, by name.
#[derive(Debug)]
pub(super) struct Reduce(pub &'static str);

impl Reduce {
    fn typed(c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let name = a.name.as_str();
        if matches!(name, "any" | "all") && (a.pos.len() == 2 || a.get(1, "condition").is_some()) {
            return Reduce::any_all(c, a);
        }
        a.only(&["values"])?;
        let x = c.check(a.req(0, "values")?)?;
        let Ty::Obj(p, _) = x.ty else {
            return Err(CheckError::new(
                format!(
                    "{name}() reduces per-object values to one per event, this is {}",
                    c.schema.describe(&x.ty)
                ),
                x.span,
            ));
        };
        let fname = REDUCTIONS
            .iter()
            .copied()
            .find(|n| *n == name)
            .unwrap_or("sum");
        let ty = match fname {
            "any" | "all" => {
                if p != Prim::Bool {
                    return Err(CheckError::new(format!("{name}() needs booleans"), x.span));
                }
                Ty::Event(Prim::Bool)
            }
            "sum" | "prod" => Ty::Event(if p == Prim::Bool { Prim::Int } else { p }),
            _ => Ty::Opt(p),
        };
        Ok(typed_call(Reduce(fname), ty, vec![x], a.span))
    }
}

impl Reduce {
    /// `any(C, condition)` / `all(C, condition)`: whether some / every
    /// object of C passes (`all` of no objects is true).
    fn any_all(c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection", "condition"])?;
        let coll = c.check(a.req(0, "collection")?)?;
        let cond = c.check(a.req(1, "condition")?)?;
        match (&coll.ty, &cond.ty) {
            (Ty::Coll(id), Ty::Obj(Prim::Bool, k)) if c.schema.same_objects(*id, *k) => {}
            _ => {
                return Err(CheckError::new(
                    format!(
                        "{}(C, condition): the condition is one boolean per object of C \
                         (C.pt > 30); this is {}",
                        a.name,
                        c.schema.describe(&cond.ty)
                    ),
                    cond.span,
                ))
            }
        }
        let f = if a.name == "any" { "any" } else { "all" };
        Ok(typed_call(
            Reduce(f),
            Ty::Event(Prim::Bool),
            vec![cond],
            a.span,
        ))
    }
}

impl Builtin for Reduce {
    fn names(&self) -> &'static [&'static str] {
        &["sum", "prod", "any", "all", "first", "last"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        Reduce::typed(c, a)
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let (a, off) = values_of(&args[0])?;
        let off = off.ok_or_else(|| ee("internal error: reduce"))?;
        reduce(self.0, a, off)
    }
}

/// `min`/`max`: of two values, element-wise; of one, per event.
#[derive(Debug)]
pub(super) struct MinMax;

impl Builtin for MinMax {
    fn names(&self) -> &'static [&'static str] {
        &["min", "max"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        if a.pos.len() == 2 {
            let x = c.check(a.pos[0])?;
            let y = c.check(a.pos[1])?;
            let f = if a.name == "min" { "min" } else { "max" };
            return Math2::typed(c, f, x, y, a.span);
        }
        Reduce::typed(c, a)
    }
}

/// `fill_none(values, constant)`.
#[derive(Debug)]
pub(super) struct FillNone;

impl Builtin for FillNone {
    fn names(&self) -> &'static [&'static str] {
        &["fill_none"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["values", "value"])?;
        let x = c.check(a.req(0, "values")?)?;
        let v = c.check(a.req(1, "value")?)?;
        let (Ty::Opt(p), TKind::Lit(l)) = (&x.ty, &v.kind) else {
            return Err(CheckError::new(
                "fill_none(values, constant) replaces missing per-event values",
                a.span,
            ));
        };
        let out = promote(*p, l.prim(), false, true, Some(l.f64()));
        Ok(typed_call(FillNone, Ty::Event(out), vec![x, v], a.span))
    }
    fn eval(&self, args: &[Val], ty: &Ty, _: &Env) -> Result<Val, EvalError> {
        let out_prim = ty.prim();
        match (&args[0], &args[1]) {
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
                Ok(Val::Event(Arc::new(r)))
            }
            _ => Err(ee("internal error: fill_none")),
        }
    }
}

/// `is_none(values)`.
#[derive(Debug)]
pub(super) struct IsNone;

impl Builtin for IsNone {
    fn names(&self) -> &'static [&'static str] {
        &["is_none"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["values"])?;
        let x = c.check(a.req(0, "values")?)?;
        match x.ty {
            Ty::Opt(_) | Ty::OptObj(_) => {
                Ok(typed_call(IsNone, Ty::Event(Prim::Bool), vec![x], a.span))
            }
            _ => Err(CheckError::new("is_none() needs optional values", x.span)),
        }
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        Ok(match &args[0] {
            Val::Opt(_, m) => Val::Event(Arc::new(Arr::Bool(m.iter().map(|x| !x).collect()))),
            Val::OptObj(_, idx) => Val::Event(Arc::new(Arr::Bool(
                idx.iter().map(Option::is_none).collect(),
            ))),
            _ => return Err(ee("internal error: is_none")),
        })
    }
}
