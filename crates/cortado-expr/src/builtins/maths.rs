//! Element-wise maths: `sqrt`, `exp`, `log`, the trigonometric functions,
//! `abs`, `float`/`int`/`bool`, `arctan2`/`hypot`, two-argument `min`/`max`
//! and `where`.

use std::sync::Arc;

use super::{bool_like, same_shape, typed_call, Args, Builtin, R};
use crate::check::{promote, CheckError, Checker, TExpr, TKind};
use crate::eval::{align, ee, map_values, wrap, Env, EvalError};
use crate::kernels::{math1, zipmap};
use crate::math;
use crate::types::{Prim, Ty};
use crate::value::{Arr, Lit, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(Math1("sqrt")),
        Arc::new(Abs),
        Arc::new(Cast),
        Arc::new(Math2("hypot")),
        Arc::new(Where),
    ]
}

const MATH1: &[&str] = &[
    "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsinh", "asinh",
    "arccos", "arcsin", "arctan",
];

/// An element-wise float function, by name (`asinh` is `arcsinh`).
#[derive(Debug)]
pub(super) struct Math1(pub &'static str);

impl Builtin for Math1 {
    fn names(&self) -> &'static [&'static str] {
        MATH1
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["x"])?;
        let x = c.check(a.req(0, "x")?)?;
        let p = x.ty.prim().ok_or_else(|| c.not_value(&x))?;
        let out = match p {
            Prim::F32 => Prim::F32,
            _ => Prim::F64,
        };
        let name = MATH1
            .iter()
            .copied()
            .find(|n| *n == a.name)
            .unwrap_or("sqrt");
        let name = if name == "asinh" { "arcsinh" } else { name };
        Ok(typed_call(
            Math1(name),
            same_shape(&x.ty, out),
            vec![x],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        map_values(args[0].clone(), |v| math1(self.0, v))
    }
}

/// `abs(x)` (booleans count as integers).
#[derive(Debug)]
pub(super) struct Abs;

impl Builtin for Abs {
    fn names(&self) -> &'static [&'static str] {
        &["abs"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["x"])?;
        let x = c.check(a.req(0, "x")?)?;
        let p = x.ty.prim().ok_or_else(|| c.not_value(&x))?;
        let p = if p == Prim::Bool { Prim::Int } else { p };
        if let TKind::Lit(l) = x.kind {
            let v = match l {
                Lit::Int(i) => Lit::Int(i.abs()),
                other => Lit::F64(other.f64().abs()),
            };
            return Ok(TExpr {
                ty: Ty::Lit(v.prim()),
                kind: TKind::Lit(v),
                span: a.span,
            });
        }
        Ok(typed_call(Abs, same_shape(&x.ty, p), vec![x], a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        map_values(args[0].clone(), |a| {
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
        })
    }
}

/// `float(x)`, `int(x)`, `bool(x)`: a conversion (evaluated as a cast).
#[derive(Debug)]
pub(super) struct Cast;

impl Builtin for Cast {
    fn names(&self) -> &'static [&'static str] {
        &["float", "int", "bool"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["x"])?;
        let x = c.check(a.req(0, "x")?)?;
        x.ty.prim().ok_or_else(|| c.not_value(&x))?;
        let p = match a.name.as_str() {
            "float" => Prim::F64,
            "int" => Prim::Int,
            _ => Prim::Bool,
        };
        Ok(TExpr {
            ty: same_shape(&x.ty, p),
            kind: TKind::Cast(p, Box::new(x)),
            span: a.span,
        })
    }
}

/// Element-wise functions of two values: `arctan2`/`atan2`, `hypot`, and
/// `min`/`max` of two values (of one: the per-event reduction).
#[derive(Debug)]
pub(super) struct Math2(pub &'static str);

impl Math2 {
    /// The typed call of `f` on `x` and `y`.
    pub(super) fn typed(
        c: &mut Checker<'_>,
        f: &'static str,
        x: TExpr,
        y: TExpr,
        span: crate::ast::Span,
    ) -> R<TExpr> {
        let probe = c.binary(crate::ast::BinOp::Add, x.clone(), y.clone(), span)?;
        let p = match (f, probe.ty.prim()) {
            ("min" | "max", Some(p)) => p,
            (_, Some(Prim::F32)) => Prim::F32,
            _ => Prim::F64,
        };
        Ok(typed_call(
            Math2(f),
            same_shape(&probe.ty, p),
            vec![x, y],
            span,
        ))
    }
}

impl Builtin for Math2 {
    fn names(&self) -> &'static [&'static str] {
        &["arctan2", "atan2", "hypot"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["a", "b"])?;
        let x = c.check(a.req(0, "a")?)?;
        let y = c.check(a.req(1, "b")?)?;
        let f: &'static str = if a.name == "hypot" {
            "hypot"
        } else {
            "arctan2"
        };
        Math2::typed(c, f, x, y, a.span)
    }
    fn eval(&self, args: &[Val], ty: &Ty, env: &Env) -> Result<Val, EvalError> {
        let out_prim = ty.prim();
        let p = out_prim.unwrap_or(Prim::F64);
        let (a, b, w) = align(args[0].clone(), args[1].clone(), p, env.len())?;
        let r = match (&self.0, a, b) {
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
            (&"arctan2", Arr::F64(x), Arr::F64(y)) => Arr::F64(zipmap!(x, y, |p, q| p.atan2(q))),
            (&"hypot", Arr::F64(x), Arr::F64(y)) => Arr::F64(zipmap!(x, y, |p, q| p.hypot(q))),
            _ => return Err(ee(format!("internal error: {}", self.0))),
        };
        Ok(wrap(r, w))
    }
}

/// `where(condition, a, b)`.
#[derive(Debug)]
pub(super) struct Where;

impl Builtin for Where {
    fn names(&self) -> &'static [&'static str] {
        &["where"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["condition", "a", "b"])?;
        let span = a.span;
        let cond = c.check(a.req(0, "condition")?)?;
        let x = c.check(a.req(1, "a")?)?;
        let y = c.check(a.req(2, "b")?)?;
        if cond.ty.prim() != Some(Prim::Bool) {
            return Err(CheckError::new(
                "where() needs a boolean condition",
                cond.span,
            ));
        }
        // shape: combine all three through the binary rules
        let probe = c.binary(crate::ast::BinOp::Add, x.clone(), y.clone(), span)?;
        let both = c.binary(
            crate::ast::BinOp::And,
            cond.clone(),
            bool_like(&probe),
            span,
        )?;
        let p = match (x.ty.prim(), y.ty.prim()) {
            (Some(px), Some(py)) => promote(
                px,
                py,
                matches!(x.ty, Ty::Lit(_)),
                matches!(y.ty, Ty::Lit(_)),
                None,
            ),
            _ => return Err(CheckError::new("where() needs values", span)),
        };
        Ok(typed_call(
            Where,
            same_shape(&both.ty, p),
            vec![cond, x, y],
            span,
        ))
    }
    fn eval(&self, args: &[Val], ty: &Ty, env: &Env) -> Result<Val, EvalError> {
        let out_prim = ty.prim();
        let p = out_prim.unwrap_or(Prim::F64);
        let (c, a, w1) = align(args[0].clone(), args[1].clone(), Prim::Bool, env.len())?;
        let _ = a;
        let (_, a, _) = align(args[0].clone(), args[1].clone(), p, env.len())?;
        let (_, b, _) = align(args[0].clone(), args[2].clone(), p, env.len())?;
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
        Ok(wrap(r, w1))
    }
}
