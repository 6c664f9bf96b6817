//! Element-wise kernels over whole columns: arithmetic and comparisons,
//! one-argument maths, and reductions of per-object values per event.

use std::sync::Arc;

use crate::ast::BinOp;
use crate::eval::{ee, empty_like, R};
use crate::math;
use crate::types::Prim;
use crate::value::{Arr, Offsets, Val};

/// `x op y` for each pair of values of two slices of the same length.
macro_rules! zipmap {
    ($a:expr, $b:expr, |$x:ident, $y:ident| $body:expr) => {
        $a.iter().zip($b.iter()).map(|(&$x, &$y)| $body).collect()
    };
}
pub(crate) use zipmap;

/// `a op b`, element by element (`a` and `b` have the same length: see
/// [`align`]).
pub(crate) fn kernel(op: BinOp, a: Arr, b: Arr) -> R<Arr> {
    use BinOp::*;
    if a.len() != b.len() {
        return Err(ee(format!(
            "internal error: {} on {} and {} values",
            op.symbol(),
            a.len(),
            b.len()
        )));
    }
    Ok(match (a, b) {
        (Arr::Bool(x), Arr::Bool(y)) => match op {
            And => Arr::Bool(zipmap!(x, y, |p, q| p && q)),
            Or => Arr::Bool(zipmap!(x, y, |p, q| p || q)),
            Eq => Arr::Bool(zipmap!(x, y, |p, q| p == q)),
            Ne => Arr::Bool(zipmap!(x, y, |p, q| p != q)),
            Lt => Arr::Bool(zipmap!(x, y, |p, q| !p & q)),
            Le => Arr::Bool(zipmap!(x, y, |p, q| p <= q)),
            Gt => Arr::Bool(zipmap!(x, y, |p, q| p & !q)),
            Ge => Arr::Bool(zipmap!(x, y, |p, q| p >= q)),
            _ => return Err(ee(format!("internal error: {} on booleans", op.symbol()))),
        },
        (Arr::Int(x), Arr::Int(y)) => match op {
            Add => Arr::Int(zipmap!(x, y, |p, q| p.wrapping_add(q))),
            Sub => Arr::Int(zipmap!(x, y, |p, q| p.wrapping_sub(q))),
            Mul => Arr::Int(zipmap!(x, y, |p, q| p.wrapping_mul(q))),
            FloorDiv => Arr::Int(zipmap!(x, y, |p, q| if q == 0 {
                0
            } else {
                p.div_euclid(q)
                    - if (p.rem_euclid(q) != 0) && q < 0 {
                        1
                    } else {
                        0
                    }
            })),
            Mod => Arr::Int(zipmap!(x, y, |p, q| if q == 0 {
                0
            } else {
                let m = p % q;
                if m != 0 && ((m < 0) != (q < 0)) {
                    m + q
                } else {
                    m
                }
            })),
            Pow => Arr::Int(zipmap!(x, y, |p, q| if q < 0 {
                0
            } else {
                p.wrapping_pow(q as u32)
            })),
            Div => return Err(ee("internal error: integer division")),
            _ => cmp(op, &x, &y),
        },
        (Arr::F32(x), Arr::F32(y)) => match op {
            Add => Arr::F32(zipmap!(x, y, |p, q| p + q)),
            Sub => Arr::F32(zipmap!(x, y, |p, q| p - q)),
            Mul => Arr::F32(zipmap!(x, y, |p, q| p * q)),
            Div => Arr::F32(zipmap!(x, y, |p, q| p / q)),
            FloorDiv => Arr::F32(zipmap!(x, y, |p, q| (p / q).floor())),
            Mod => Arr::F32(zipmap!(x, y, |p, q| {
                let m = p % q;
                if m != 0.0 && ((m < 0.0) != (q < 0.0)) {
                    m + q
                } else {
                    m
                }
            })),
            Pow => Arr::F32(zipmap!(x, y, |p, q| p.powf(q))),
            _ => cmp(op, &x, &y),
        },
        (Arr::F64(x), Arr::F64(y)) => match op {
            Add => Arr::F64(zipmap!(x, y, |p, q| p + q)),
            Sub => Arr::F64(zipmap!(x, y, |p, q| p - q)),
            Mul => Arr::F64(zipmap!(x, y, |p, q| p * q)),
            Div => Arr::F64(zipmap!(x, y, |p, q| p / q)),
            FloorDiv => Arr::F64(zipmap!(x, y, |p, q| (p / q).floor())),
            Mod => Arr::F64(zipmap!(x, y, |p, q| {
                let m = p % q;
                if m != 0.0 && ((m < 0.0) != (q < 0.0)) {
                    m + q
                } else {
                    m
                }
            })),
            Pow => Arr::F64(zipmap!(x, y, |p, q| p.powf(q))),
            _ => cmp(op, &x, &y),
        },
        (a, b) => {
            return Err(ee(format!(
                "internal error: {} on {} and {}",
                op.symbol(),
                a.prim(),
                b.prim()
            )))
        }
    })
}

fn cmp<T: PartialOrd + Copy>(op: BinOp, x: &[T], y: &[T]) -> Arr {
    use BinOp::*;
    Arr::Bool(match op {
        Eq => zipmap!(x, y, |p, q| p == q),
        Ne => zipmap!(x, y, |p, q| p != q),
        Lt => zipmap!(x, y, |p, q| p < q),
        Le => zipmap!(x, y, |p, q| p <= q),
        Gt => zipmap!(x, y, |p, q| p > q),
        Ge => zipmap!(x, y, |p, q| p >= q),
        _ => unreachable!("comparison"),
    })
}

pub(crate) fn math1(f: &str, a: &Arr) -> Arr {
    let g64 = |x: f64| -> f64 {
        match f {
            "sqrt" => x.sqrt(),
            "exp" => x.exp(),
            "log" => x.ln(),
            "log10" => x.log10(),
            "sin" => x.sin(),
            "cos" => x.cos(),
            "tan" => x.tan(),
            "sinh" => x.sinh(),
            "cosh" => x.cosh(),
            "tanh" => x.tanh(),
            "arcsinh" => x.asinh(),
            "arccos" => x.acos(),
            "arcsin" => x.asin(),
            "arctan" => x.atan(),
            _ => f64::NAN,
        }
    };
    match a {
        // a plain loop in an inline(always) closure: compiled inside with_fma's
        // FMA function (iterator adapters could be left out of it)
        Arr::F32(v) => Arr::F32(math::with_fma(
            #[inline(always)]
            || {
                let mut out = Vec::with_capacity(v.len());
                for &x in v.iter() {
                    out.push(match f {
                        "sqrt" => x.sqrt(),
                        "sin" => math::sin_f32(x),
                        "cos" => math::cos_f32(x),
                        "sinh" => math::sinh_f32(x),
                        "cosh" => math::cosh_f32(x),
                        "arcsinh" => math::asinh_f32(x),
                        _ => g64(x as f64) as f32,
                    });
                }
                out
            },
        )),
        other => match other.cast(Prim::F64) {
            Arr::F64(v) => Arr::F64(v.iter().map(|&x| g64(x)).collect()),
            _ => unreachable!(),
        },
    }
}

pub(crate) fn reduce(name: &str, a: &Arr, off: &Offsets) -> R<Val> {
    let n = off.len() - 1;
    let rng = |e: usize| off[e] as usize..off[e + 1] as usize;
    Ok(match name {
        "any" | "all" => {
            let v = a.bools();
            let all = name == "all";
            Val::Event(Arc::new(Arr::Bool(
                (0..n)
                    .map(|e| {
                        if all {
                            v[rng(e)].iter().all(|&b| b)
                        } else {
                            v[rng(e)].iter().any(|&b| b)
                        }
                    })
                    .collect(),
            )))
        }
        "sum" | "prod" => {
            let prod = name == "prod";
            Val::Event(Arc::new(match a {
                Arr::Bool(v) => Arr::Int(
                    (0..n)
                        .map(|e| {
                            if prod {
                                v[rng(e)].iter().all(|&b| b) as i64
                            } else {
                                v[rng(e)].iter().filter(|&&b| b).count() as i64
                            }
                        })
                        .collect(),
                ),
                Arr::Int(v) => Arr::Int(
                    (0..n)
                        .map(|e| {
                            if prod {
                                v[rng(e)].iter().product()
                            } else {
                                v[rng(e)].iter().sum()
                            }
                        })
                        .collect(),
                ),
                // awkward adds one by one in the element type, starting from 0 (1 for prod)
                Arr::F32(v) => Arr::F32(
                    (0..n)
                        .map(|e| {
                            v[rng(e)]
                                .iter()
                                .fold(if prod { 1.0f32 } else { 0.0 }, |acc, &x| {
                                    if prod {
                                        acc * x
                                    } else {
                                        acc + x
                                    }
                                })
                        })
                        .collect(),
                ),
                Arr::F64(v) => Arr::F64(
                    (0..n)
                        .map(|e| {
                            v[rng(e)]
                                .iter()
                                .fold(if prod { 1.0f64 } else { 0.0 }, |acc, &x| {
                                    if prod {
                                        acc * x
                                    } else {
                                        acc + x
                                    }
                                })
                        })
                        .collect(),
                ),
            }))
        }
        "first" | "last" | "max" | "min" => {
            let valid: Vec<bool> = (0..n).map(|e| off[e + 1] > off[e]).collect();
            let pick = |e: usize| -> usize {
                let r = rng(e);
                if r.is_empty() {
                    return 0;
                }
                match name {
                    "first" => r.start,
                    "last" => r.end - 1,
                    _ => {
                        let mut best = r.start;
                        for i in r {
                            let (x, b) = (a.get_f64(i), a.get_f64(best));
                            let better = if name == "max" {
                                x > b || (x.is_nan() && !b.is_nan())
                            } else {
                                x < b || (x.is_nan() && !b.is_nan())
                            };
                            if better {
                                best = i;
                            }
                        }
                        best
                    }
                }
            };
            let idx: Vec<u32> = (0..n).map(|e| pick(e) as u32).collect();
            let vals = if a.is_empty() {
                empty_like(a, n)
            } else {
                a.gather(&idx)
            };
            Val::Opt(Arc::new(vals), Arc::new(valid))
        }
        _ => return Err(ee(format!("internal error: reduction {name}"))),
    })
}
