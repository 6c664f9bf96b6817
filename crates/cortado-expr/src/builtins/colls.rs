//! Collection operations: `concat`, `sort_by`, `argmin`/`argmax` (the
//! object with the smallest or largest key) and `local_index`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{bool_arg, typed_call, Args, Builtin, R};
use crate::check::{promote, CheckError, Checker, TExpr, TKind};
use crate::eval::{ee, Env, EvalError};
use crate::types::{Prim, Ty};
use crate::value::{Arr, CollVal, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(Concat),
        Arc::new(SortBy(true)),
        Arc::new(ArgMinMax(false)),
        Arc::new(LocalIndex),
    ]
}

/// `concat(A, B, ...)`: the objects of every part, with the fields common
/// to all.
#[derive(Debug)]
pub(super) struct Concat;

impl Builtin for Concat {
    fn names(&self) -> &'static [&'static str] {
        &["concat"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let span = a.span;
        if a.pos.len() < 2 || !a.kw.is_empty() {
            return Err(CheckError::new(
                "concat(A, B, ...) needs two or more collections",
                span,
            ));
        }
        let parts = a.pos.iter().map(|e| c.check(e)).collect::<R<Vec<_>>>()?;
        let mut common: Option<BTreeMap<String, Prim>> = None;
        for p in &parts {
            let Ty::Coll(id) = p.ty else {
                return Err(CheckError::new(
                    format!(
                        "concat() joins collections, this is {}",
                        c.schema.describe(&p.ty)
                    ),
                    p.span,
                ));
            };
            if !c.schema.colls[id].members.is_empty() {
                return Err(CheckError::new(
                    format!(
                        "concat() joins collections of objects; {} are tuples, whose members \
                         it cannot join: concatenate the collections first, then combine",
                        c.schema.colls[id].name
                    ),
                    p.span,
                ));
            }
            let f = c.schema.colls[id].fields.clone();
            common = Some(match common {
                None => f,
                Some(prev) => prev
                    .into_iter()
                    .filter_map(|(k, p0)| {
                        f.get(&k)
                            .map(|p1| (k, promote(p0, *p1, false, false, None)))
                    })
                    .collect(),
            });
        }
        let fields = common.unwrap_or_default();
        let names: Vec<String> = parts
            .iter()
            .map(|p| match p.ty {
                Ty::Coll(id) => c.schema.colls[id].name.clone(),
                _ => String::new(),
            })
            .collect();
        let id = c
            .schema
            .add_coll(&format!("concat({})", names.join(", ")), fields.clone());
        Ok(typed_call(Concat, Ty::Coll(id), parts, span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let parts = args
            .iter()
            .map(|v| match v {
                Val::Coll(c) => Ok(c.clone()),
                _ => Err(ee("internal error: concat")),
            })
            .collect::<Result<Vec<_>, EvalError>>()?;
        Ok(Val::Coll(Arc::new(CollVal::concat(parts).map_err(ee)?)))
    }
    fn passes_objects(&self, args: &[TExpr]) -> Vec<usize> {
        (0..args.len()).collect()
    }
}

/// `sort_by(C, key, ascending=True)`: stable, NaN first (as awkward).
#[derive(Debug)]
pub(super) struct SortBy(pub bool);

impl Builtin for SortBy {
    fn names(&self) -> &'static [&'static str] {
        &["sort_by"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection", "key", "ascending"])?;
        let coll = c.check(a.req(0, "collection")?)?;
        let key = c.check(a.req(1, "key")?)?;
        let ascending = bool_arg(c, a.get(2, "ascending"), true)?;
        let Ty::Coll(id) = coll.ty else {
            return Err(CheckError::new("sort_by() sorts a collection", coll.span));
        };
        check_key(c, id, &key, "sort_by")?;
        let new = c.derived(id, "");
        Ok(typed_call(
            SortBy(ascending),
            Ty::Coll(new),
            vec![coll, key],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let ascending = self.0;
        match (&args[0], &args[1]) {
            (Val::Coll(c), key @ (Val::Obj(_, _) | Val::Str(_))) => {
                let k = key_values(c, key)?;
                let mut index = Vec::with_capacity(c.len());
                for w in c.offsets.windows(2) {
                    let mut ids: Vec<u32> = (w[0]..w[1]).collect();
                    // awkward's stable argsort: NaN first in both directions
                    ids.sort_by(|&x, &y| {
                        let (a, b) = (k[x as usize], k[y as usize]);
                        let less = |l: f64, r: f64| {
                            !r.is_nan() && (l.is_nan() || if ascending { l < r } else { l > r })
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
                Ok(Val::Coll(Arc::new(c.gather(index, c.offsets.to_vec()))))
            }
            _ => Err(ee("internal error: sort_by")),
        }
    }
    fn reads(&self, args: &[TExpr]) -> Vec<(usize, String)> {
        key_reads(args)
    }
    fn passes_objects(&self, _: &[TExpr]) -> Vec<usize> {
        vec![0]
    }
}

/// The key of `sort_by`/`argmin`/`argmax`: a numeric per-object value of
/// collection `id` (`C.pt`, `abs(C.mass - 173)`) or the name of a numeric
/// field (`"pt"`).
fn check_key(c: &Checker<'_>, id: crate::types::CollId, key: &TExpr, what: &str) -> R<()> {
    match (&key.ty, &key.kind) {
        (Ty::Obj(p, k), _) if c.schema.same_objects(*k, id) && *p != Prim::Bool => Ok(()),
        (Ty::Str, TKind::Str(f))
            if c.schema.colls[id]
                .fields
                .get(f)
                .is_some_and(|p| *p != Prim::Bool) =>
        {
            Ok(())
        }
        (Ty::Str, TKind::Str(f)) => {
            let known: Vec<String> = c.schema.colls[id].fields.keys().cloned().collect();
            Err(CheckError::new(
                format!("{what}: the collection has no numeric field '{f}'"),
                key.span,
            )
            .suggest(f, known.iter().map(String::as_str)))
        }
        _ => Err(CheckError::new(
            format!(
                "{what}(C, key): the key is a number per object of C (C.pt, abs(C.mass - 173), \
                 or a field name \"pt\"); this is {}",
                c.schema.describe(&key.ty)
            ),
            key.span,
        )),
    }
}

/// The field a key given by name (`"pt"`) reads from the collection.
fn key_reads(args: &[TExpr]) -> Vec<(usize, String)> {
    match args.get(1).map(|k| &k.kind) {
        Some(TKind::Str(f)) => vec![(0, f.clone())],
        _ => Vec::new(),
    }
}

/// The key values of a call's key argument, as f64 (exact for float32 and
/// integers below 2^53, so the order is the key's own).
fn key_values(c: &CollVal, key: &Val) -> Result<Vec<f64>, EvalError> {
    let k = match key {
        Val::Obj(k, _) => k.clone(),
        Val::Str(f) => c.field(f).map_err(ee)?,
        _ => return Err(ee("internal error: key")),
    };
    let Arr::F64(k) = k.cast(Prim::F64) else {
        return Err(ee("internal error: key"));
    };
    Ok(k)
}

/// `argmin(C, key)` (false) or `argmax(C, key)` (true): per event, the
/// object of C with the smallest (largest) key; missing when C is empty.
/// As awkward's `argmin`/`argmax`: the objects are scanned in stored order
/// and one replaces the best only when its key is strictly smaller
/// (larger), so ties go to the first, a NaN key first in the event is kept
/// and a later NaN is never chosen.
#[derive(Debug)]
pub(super) struct ArgMinMax(pub bool);

impl Builtin for ArgMinMax {
    fn names(&self) -> &'static [&'static str] {
        &["argmin", "argmax"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection", "key"])?;
        let coll = c.check(a.req(0, "collection")?)?;
        let key = c.check(a.req(1, "key")?)?;
        let Ty::Coll(id) = coll.ty else {
            return Err(CheckError::new(
                format!(
                    "{}(C, key) chooses an object of a collection; this is {}",
                    a.name,
                    c.schema.describe(&coll.ty)
                ),
                coll.span,
            ));
        };
        check_key(c, id, &key, &a.name)?;
        let max = a.name == "argmax";
        Ok(typed_call(
            ArgMinMax(max),
            Ty::OptObj(id),
            vec![coll, key],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let Val::Coll(c) = &args[0] else {
            return Err(ee("internal error: argmin"));
        };
        let k = key_values(c, &args[1])?;
        let better = |x: f64, best: f64| if self.0 { x > best } else { x < best };
        let idx: Vec<Option<u32>> = c
            .offsets
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0] as usize, w[1] as usize);
                (lo < hi).then(|| {
                    let mut best = lo;
                    for i in lo + 1..hi {
                        if better(k[i], k[best]) {
                            best = i;
                        }
                    }
                    (best - lo) as u32
                })
            })
            .collect();
        Ok(Val::OptObj(c.clone(), Arc::new(idx)))
    }
    fn reads(&self, args: &[TExpr]) -> Vec<(usize, String)> {
        key_reads(args)
    }
    fn passes_objects(&self, _: &[TExpr]) -> Vec<usize> {
        vec![0]
    }
}

/// `local_index(C)`: each object's position in its event (0, 1, …), as
/// awkward's `ak.local_index`; kept as a field (`Lepton.idx:
/// local_index(Lepton)`), it tells which objects a chosen tuple holds.
#[derive(Debug)]
pub(super) struct LocalIndex;

impl Builtin for LocalIndex {
    fn names(&self) -> &'static [&'static str] {
        &["local_index"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection"])?;
        let coll = c.check(a.req(0, "collection")?)?;
        let Ty::Coll(id) = coll.ty else {
            return Err(CheckError::new(
                format!(
                    "local_index(C) numbers the objects of a collection; this is {}",
                    c.schema.describe(&coll.ty)
                ),
                coll.span,
            ));
        };
        let ty = Ty::Obj(Prim::Int, c.schema.root(id));
        Ok(typed_call(LocalIndex, ty, vec![coll], a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let Val::Coll(c) = &args[0] else {
            return Err(ee("internal error: local_index"));
        };
        let mut idx = Vec::with_capacity(c.len());
        for w in c.offsets.windows(2) {
            idx.extend(0..(w[1] - w[0]) as i64);
        }
        Ok(Val::Obj(Arc::new(Arr::Int(idx)), c.offsets.clone()))
    }
}
