//! The type rules of the binary operators: shapes that combine (per event,
//! optional, per object of one collection), NumPy 1.x casting of the
//! element types, constant folding, and `a + b` of two objects (a
//! four-vector sum).

use crate::ast::{BinOp, Span};
use crate::builtins;
use crate::check::{CheckError, Checker, TExpr, TKind};
use crate::types::{CollId, Prim, Ty};
use crate::value::Lit;

type R<T> = Result<T, CheckError>;

fn lit_ty(l: Lit) -> Ty {
    Ty::Lit(l.prim())
}

/// Shape part of a type, for combining.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Shape {
    Lit,
    Event,
    Opt,
    Obj(CollId),
}

pub(crate) fn shape_of(t: &Ty) -> Option<Shape> {
    Some(match t {
        Ty::Lit(_) => Shape::Lit,
        Ty::Event(_) => Shape::Event,
        Ty::Opt(_) => Shape::Opt,
        Ty::Obj(_, c) => Shape::Obj(*c),
        _ => return None,
    })
}

pub(crate) fn with_shape(s: Shape, p: Prim) -> Ty {
    match s {
        Shape::Lit => Ty::Lit(p),
        Shape::Event => Ty::Event(p),
        Shape::Opt => Ty::Opt(p),
        Shape::Obj(c) => Ty::Obj(p, c),
    }
}

impl Checker<'_> {
    /// Type of a binary operation, with NumPy 1.x casting: a Python constant
    /// does not widen an array (float32 array < 0.06 compares in float32).
    pub(crate) fn binary(&mut self, op: BinOp, l: TExpr, r: TExpr, span: Span) -> R<TExpr> {
        let objects = |t: &Ty| matches!(t, Ty::Coll(_) | Ty::OptObj(_) | Ty::Rec(_));
        if op == BinOp::Add && objects(&l.ty) && objects(&r.ty) {
            return builtins::p4_add(self, l, r, span);
        }
        let (lp, rp) = match (l.ty.prim(), r.ty.prim()) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                let bad = if l.ty.prim().is_none() { &l } else { &r };
                return Err(CheckError::new(
                    format!(
                        "'{}' needs values, found {}",
                        op.symbol(),
                        self.schema.describe(&bad.ty)
                    ),
                    bad.span,
                ));
            }
        };
        let ls = shape_of(&l.ty).expect("value");
        let rs = shape_of(&r.ty).expect("value");
        let shape = match (ls, rs) {
            (Shape::Lit, s) | (s, Shape::Lit) => s,
            (Shape::Event, Shape::Event) => Shape::Event,
            (Shape::Opt, Shape::Event) | (Shape::Event, Shape::Opt) | (Shape::Opt, Shape::Opt) => Shape::Opt,
            (Shape::Obj(c), Shape::Event) | (Shape::Event, Shape::Obj(c)) => Shape::Obj(c),
            (Shape::Obj(a), Shape::Obj(b)) if a == b => Shape::Obj(a),
            (Shape::Obj(a), Shape::Obj(b)) => {
                return Err(CheckError::new(
                    format!(
                        "cannot combine values of {} with values of {}: they have different numbers of objects",
                        self.schema.colls[a].name, self.schema.colls[b].name
                    ),
                    span,
                ))
            }
            (Shape::Obj(_), Shape::Opt) | (Shape::Opt, Shape::Obj(_)) => {
                return Err(CheckError::new(
                    "cannot combine per-object values with an optional per-event value: use fill_none(...) first",
                    span,
                ))
            }
        };
        let l_lit = ls == Shape::Lit;
        let r_lit = rs == Shape::Lit;
        if matches!(op, BinOp::And | BinOp::Or) {
            for (x, p) in [(&l, lp), (&r, rp)] {
                if p != Prim::Bool {
                    return Err(CheckError::new(
                        format!(
                            "'{}' needs booleans, this is {}",
                            op.symbol(),
                            self.schema.describe(&x.ty)
                        ),
                        x.span,
                    ));
                }
            }
            if let (TKind::Lit(Lit::Bool(a)), TKind::Lit(Lit::Bool(b))) = (&l.kind, &r.kind) {
                let v = if op == BinOp::And { *a && *b } else { *a || *b };
                return Ok(TExpr {
                    ty: Ty::Lit(Prim::Bool),
                    kind: TKind::Lit(Lit::Bool(v)),
                    span,
                });
            }
            return Ok(TExpr {
                ty: with_shape(shape, Prim::Bool),
                kind: TKind::Binary {
                    op,
                    operand: Prim::Bool,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                },
                span,
            });
        }
        let operand = promote(lp, rp, l_lit, r_lit, lit_value(&l).or(lit_value(&r)));
        // constant folding of two constants
        if l_lit && r_lit {
            if let (TKind::Lit(a), TKind::Lit(b)) = (&l.kind, &r.kind) {
                if let Some(v) = fold(op, *a, *b) {
                    return Ok(TExpr {
                        ty: lit_ty(v),
                        kind: TKind::Lit(v),
                        span,
                    });
                }
            }
        }
        let result = if op.is_comparison() {
            Prim::Bool
        } else {
            match (op, operand) {
                (BinOp::Div, Prim::Int | Prim::Bool) => Prim::F64,
                (BinOp::Pow, Prim::Bool) => Prim::Int,
                (_, Prim::Bool) => Prim::Int,
                (_, p) => p,
            }
        };
        let operand = if !op.is_comparison() && operand == Prim::Bool {
            Prim::Int
        } else {
            operand
        };
        let operand = if op == BinOp::Div && operand == Prim::Int {
            Prim::F64
        } else {
            operand
        };
        Ok(TExpr {
            ty: with_shape(shape, result),
            kind: TKind::Binary {
                op,
                operand,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            span,
        })
    }
}

fn lit_value(e: &TExpr) -> Option<f64> {
    match e.kind {
        TKind::Lit(l) => Some(l.f64()),
        _ => None,
    }
}

/// The common element type of two operands (NumPy 1.26 rules, with Python
/// constants not widening arrays).
pub(crate) fn promote(lp: Prim, rp: Prim, l_lit: bool, r_lit: bool, lit: Option<f64>) -> Prim {
    use Prim::*;
    if l_lit != r_lit {
        let (arr, cst) = if l_lit { (rp, lp) } else { (lp, rp) };
        return match (arr, cst) {
            (F32, _) => {
                if lit.is_some_and(|v| v.is_finite() && v.abs() > f32::MAX as f64) {
                    F64
                } else {
                    F32
                }
            }
            (F64, _) => F64,
            (Int, F64) | (Bool, F64) => F64,
            (Int, _) => Int,
            (Bool, Int) => Int,
            (Bool, Bool) => Bool,
            (Bool, F32) => F64,
        };
    }
    match (lp, rp) {
        (a, b) if a == b => a,
        (F64, _) | (_, F64) => F64,
        (F32, Int) | (Int, F32) => F64,
        (F32, Bool) | (Bool, F32) => F32,
        (Int, Bool) | (Bool, Int) => Int,
        _ => F64,
    }
}

fn fold(op: BinOp, a: Lit, b: Lit) -> Option<Lit> {
    let both_int = matches!((a, b), (Lit::Int(_), Lit::Int(_)));
    let (x, y) = (a.f64(), b.f64());
    Some(match op {
        BinOp::Add if both_int => Lit::Int((a.f64() as i64).checked_add(b.f64() as i64)?),
        BinOp::Sub if both_int => Lit::Int((x as i64).checked_sub(y as i64)?),
        BinOp::Mul if both_int => Lit::Int((x as i64).checked_mul(y as i64)?),
        BinOp::Add => Lit::F64(x + y),
        BinOp::Sub => Lit::F64(x - y),
        BinOp::Mul => Lit::F64(x * y),
        BinOp::Div => Lit::F64(x / y),
        BinOp::Pow if both_int && y >= 0.0 => Lit::Int((x as i64).checked_pow(y as u32)?),
        BinOp::Pow => Lit::F64(x.powf(y)),
        BinOp::Eq => Lit::Bool(x == y),
        BinOp::Ne => Lit::Bool(x != y),
        BinOp::Lt => Lit::Bool(x < y),
        BinOp::Le => Lit::Bool(x <= y),
        BinOp::Gt => Lit::Bool(x > y),
        BinOp::Ge => Lit::Bool(x >= y),
        _ => return None,
    })
}
