//! Four-vectors in float64: `a + b` of two objects (`t.j1 + t.j2`,
//! `first(Muon) + first(Electron)`) and `p4sum(C)` over a collection.
//!
//! One convention for both: an object with float32 (pt, η, φ, mass) is the
//! float64 vector px = pt cos φ, py = pt sin φ, pz = pt sinh η,
//! E = √(px² + py² + pz² + m²); vectors add component by component; a sum
//! has pt = hypot(px, py), η = asinh(pz / pt) (0 when pt = 0),
//! φ = atan2(py, px), mass = √max(E² − p², 0). A sum keeps its cartesian
//! components, so `a + b + c` adds (px, py, pz, E) exactly as NumPy would,
//! without a round trip through (pt, η, φ, m).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{need_fields, typed_call, Args, Builtin, R};
use crate::ast::Span;
use crate::check::{CheckError, Checker, TExpr};
use crate::eval::{ee, Env, EvalError};
use crate::types::{CollInfo, Prim, Ty};
use crate::value::{offsets_from_counts, Arr, CollVal, RecVal, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![Arc::new(P4Sum(false))]
}

/// The fields of a four-vector.
pub(crate) const P4_FIELDS: [&str; 8] = ["pt", "eta", "phi", "mass", "energy", "px", "py", "pz"];

/// The cartesian fields a four-vector sum keeps.
const CARTESIAN: [&str; 4] = ["px", "py", "pz", "energy"];

/// The fields of a four-vector, all float64.
fn p4_fields() -> BTreeMap<String, Prim> {
    P4_FIELDS
        .iter()
        .map(|f| (f.to_string(), Prim::F64))
        .collect()
}

/// Cartesian components of an object from (pt, η, φ, mass).
fn cartesian(pt: f64, eta: f64, phi: f64, mass: f64) -> [f64; 4] {
    let (x, y, z) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh());
    [x, y, z, (x * x + y * y + z * z + mass * mass).sqrt()]
}

/// (pt, η, φ, mass, energy, px, py, pz) of a vector (px, py, pz, E).
fn p4_row([px, py, pz, e]: [f64; 4]) -> [f64; 8] {
    let pt = px.hypot(py);
    let eta = if pt > 0.0 { (pz / pt).asinh() } else { 0.0 };
    let m2 = e * e - (px * px + py * py + pz * pz);
    [pt, eta, py.atan2(px), m2.max(0.0).sqrt(), e, px, py, pz]
}

/// The columns of the four-vector fields from one row per vector.
fn p4_columns(rows: impl ExactSizeIterator<Item = [f64; 4]>) -> BTreeMap<String, Arc<Arr>> {
    let mut cols: Vec<Vec<f64>> = (0..P4_FIELDS.len())
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    for v in rows {
        for (col, x) in cols.iter_mut().zip(p4_row(v)) {
            col.push(x);
        }
    }
    P4_FIELDS
        .iter()
        .zip(cols)
        .map(|(k, v)| (k.to_string(), Arc::new(Arr::F64(v))))
        .collect()
}

/// Whether objects of a type are four-vector sums (they carry their
/// cartesian components).
fn is_sum(c: &Checker<'_>, t: &Ty) -> bool {
    match t {
        Ty::Coll(id) | Ty::OptObj(id) => {
            let f = &c.schema.colls[*id].fields;
            CARTESIAN.iter().all(|k| f.get(*k) == Some(&Prim::F64))
        }
        _ => false,
    }
}

/// The cartesian components of objects of `c` (all, or those at the flat
/// indices `at`): their own for sums, computed from (pt, η, φ, mass)
/// otherwise.
fn components(c: &CollVal, sum: bool, at: Option<&[u32]>) -> Result<Vec<[f64; 4]>, EvalError> {
    let names = if sum {
        CARTESIAN
    } else {
        ["pt", "eta", "phi", "mass"]
    };
    let mut cols = Vec::with_capacity(4);
    for f in names {
        let a = c.field(f).map_err(ee)?;
        let a = match at {
            Some(i) => a.gather(i),
            None => (*a).clone(),
        };
        let Arr::F64(v) = a.cast(Prim::F64) else {
            return Err(ee("internal error: four-vector components"));
        };
        cols.push(v);
    }
    let n = cols[0].len();
    if cols.iter().any(|v| v.len() != n) {
        return Err(ee(
            "internal error: four-vector components of different lengths",
        ));
    }
    Ok((0..n)
        .map(|i| {
            let v = [cols[0][i], cols[1][i], cols[2][i], cols[3][i]];
            if sum {
                v
            } else {
                cartesian(v[0], v[1], v[2], v[3])
            }
        })
        .collect())
}

/// Checks `l + r` of two objects: the four-vector sum, per tuple (two
/// members of the same tuples, or any two views of the same objects) or
/// per event (two single optional objects).
pub(crate) fn p4_add(c: &mut Checker<'_>, l: TExpr, r: TExpr, span: Span) -> R<TExpr> {
    let sums = [is_sum(c, &l.ty), is_sum(c, &r.ty)];
    for (v, sum) in [(&l, sums[0]), (&r, sums[1])] {
        if !sum {
            need_fields(c, v, &["pt", "eta", "phi", "mass"]).map_err(|mut e| {
                e.message = format!("'+' of objects adds four-vectors: {}", e.message);
                e
            })?;
        }
    }
    let name = |t: &Ty| match t {
        Ty::Coll(id) | Ty::OptObj(id) => c.schema.colls[*id].name.clone(),
        _ => String::new(),
    };
    let sum_name = format!("{} + {}", name(&l.ty), name(&r.ty));
    let ty = match (&l.ty, &r.ty) {
        (Ty::Coll(a), Ty::Coll(b)) if c.schema.same_objects(*a, *b) => {
            Ty::Coll(c.schema.add_coll_info(CollInfo {
                name: sum_name,
                fields: p4_fields(),
                members: BTreeMap::new(),
                view_of: Some(c.schema.root(*a)),
            }))
        }
        (Ty::OptObj(_), Ty::OptObj(_)) => Ty::OptObj(c.schema.add_coll(&sum_name, p4_fields())),
        _ => {
            return Err(CheckError::new(
                format!(
                    "'+' of objects adds two members of the same tuples (t.j1 + t.j2), or two \
                     single objects per event (first(Muon) + first(Electron)); this adds {} \
                     and {}",
                    c.schema.describe(&l.ty),
                    c.schema.describe(&r.ty)
                ),
                span,
            ))
        }
    };
    Ok(typed_call(P4Add(sums), ty, vec![l, r], span))
}

/// `a + b` of objects; for each operand, whether it is itself a sum.
#[derive(Debug)]
pub(super) struct P4Add([bool; 2]);

impl Builtin for P4Add {
    fn names(&self) -> &'static [&'static str] {
        // not called by name: written `a + b`
        &[]
    }
    fn check(&self, _: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        Err(CheckError::new("internal error: '+' of objects", a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        match (&args[0], &args[1]) {
            (Val::Coll(a), Val::Coll(b)) => {
                if a.offsets != b.offsets {
                    return Err(ee("internal error: '+' of objects of different tuples"));
                }
                let (x, y) = (
                    components(a, self.0[0], None)?,
                    components(b, self.0[1], None)?,
                );
                let fields = p4_columns(x.iter().zip(&y).map(|(p, q)| add(p, q)));
                Ok(Val::Coll(Arc::new(CollVal::made(
                    a.offsets.clone(),
                    Vec::new(),
                    fields,
                ))))
            }
            (Val::OptObj(a, ia), Val::OptObj(b, ib)) => {
                if ia.len() != ib.len() {
                    return Err(ee("internal error: '+' of objects of different events"));
                }
                let both: Vec<(usize, u32, u32)> = ia
                    .iter()
                    .zip(ib.iter())
                    .enumerate()
                    .filter_map(|(e, (i, j))| Some((e, a.offsets[e] + (*i)?, b.offsets[e] + (*j)?)))
                    .collect();
                let fa: Vec<u32> = both.iter().map(|t| t.1).collect();
                let fb: Vec<u32> = both.iter().map(|t| t.2).collect();
                let x = components(a, self.0[0], Some(&fa))?;
                let y = components(b, self.0[1], Some(&fb))?;
                let fields = p4_columns(x.iter().zip(&y).map(|(p, q)| add(p, q)));
                let valid: Vec<bool> = ia
                    .iter()
                    .zip(ib.iter())
                    .map(|(i, j)| i.is_some() && j.is_some())
                    .collect();
                let offsets =
                    offsets_from_counts(valid.iter().map(|&v| u32::from(v))).map_err(ee)?;
                let idx = valid.iter().map(|&v| v.then_some(0)).collect();
                let sum = CollVal::made(Arc::new(offsets), Vec::new(), fields);
                Ok(Val::OptObj(Arc::new(sum), Arc::new(idx)))
            }
            _ => Err(ee("internal error: '+' of objects")),
        }
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        [0, 1]
            .into_iter()
            .filter(|&i| !self.0[i])
            .flat_map(|i| ["pt", "eta", "phi", "mass"].map(|f| (i, f.to_string())))
            .collect()
    }
}

fn add(p: &[f64; 4], q: &[f64; 4]) -> [f64; 4] {
    [p[0] + q[0], p[1] + q[1], p[2] + q[2], p[3] + q[3]]
}

/// `p4sum(C)`: per event, the sum of the four-vectors of C's objects (the
/// conventions of this module); an event without objects gives the zero
/// vector. `p4sum(C[0:2])` is the leading pair. Configured by whether C's
/// objects are themselves sums.
#[derive(Debug)]
pub(super) struct P4Sum(bool);

impl Builtin for P4Sum {
    fn names(&self) -> &'static [&'static str] {
        &["p4sum"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection"])?;
        let x = c.check(a.req(0, "collection")?)?;
        let Ty::Coll(_) = x.ty else {
            return Err(CheckError::new(
                format!(
                    "p4sum(C) sums the objects of a collection; this is {}",
                    c.schema.describe(&x.ty)
                ),
                x.span,
            ));
        };
        let sum = is_sum(c, &x.ty);
        if !sum {
            need_fields(c, &x, &["pt", "eta", "phi", "mass"])?;
        }
        let id = c.schema.add_rec("p4sum", p4_fields());
        Ok(typed_call(P4Sum(sum), Ty::Rec(id), vec![x], a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let Val::Coll(c) = &args[0] else {
            return Err(ee("internal error: p4sum"));
        };
        let v = components(c, self.0, None)?;
        let sums = c.offsets.windows(2).map(|w| {
            v[w[0] as usize..w[1] as usize]
                .iter()
                .fold([0.0; 4], |acc, p| add(&acc, p))
        });
        let fields = p4_columns(sums)
            .into_iter()
            .map(|(k, a)| (k, Val::Event(a)))
            .collect();
        Ok(Val::Rec(Arc::new(RecVal::Fields(fields))))
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        if self.0 {
            return Vec::new();
        }
        ["pt", "eta", "phi", "mass"]
            .map(|f| (0, f.to_string()))
            .to_vec()
    }
}
