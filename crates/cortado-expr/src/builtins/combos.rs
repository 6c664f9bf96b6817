//! Combinatorics: `combinations(C, n)`, `cartesian(A, B, ...)` and
//! `nearest(A, B)`, which make collections of tuples.
//!
//! A tuple holds, for each member, the flat index of its object in the
//! member's collection ([`CollVal::made`]); a member (`pairs.0`,
//! `trijets.j1`) is a view of those objects, one per tuple, and its fields
//! are gathered on first use. Tuples are made per chunk in one pass: the
//! counts first, then every index written into vectors sized once, with no
//! allocation per event.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{need_fields, num_arg, typed_call, Args, Builtin, R};
use crate::ast::ExprKind;
use crate::check::{CheckError, Checker, TExpr};
use crate::eval::{ee, kin, Env, EvalError};
use crate::math;
use crate::types::{CollId, CollInfo, Prim, Ty};
use crate::value::{offsets_from_counts, Arr, CollVal, Offsets, Val};

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(Combinations::default()),
        Arc::new(Cartesian::default()),
        Arc::new(Nearest::default()),
    ]
}

/// The most members a tuple may have (C(n, k) grows fast; more is refused).
const MAX_MEMBERS: usize = 8;

/// The member names of a call: `names=[j1, j2, j3]` (bare names or
/// strings), or `0`, `1`, … by default.
fn member_names(a: &Args<'_>, n: usize) -> R<Vec<String>> {
    let Some(e) = a.kw.iter().find(|(k, _)| k == "names").map(|(_, e)| *e) else {
        return Ok((0..n).map(|i| i.to_string()).collect());
    };
    let ExprKind::List(items) = &e.kind else {
        return Err(CheckError::new(
            format!("{}(): names is a list of {n} names, [a, b]", a.name),
            e.span,
        ));
    };
    let mut names = Vec::with_capacity(items.len());
    for i in items {
        let name = match &i.kind {
            ExprKind::Name(s) | ExprKind::Str(s) => s.clone(),
            _ => return Err(CheckError::new("expected a member name", i.span)),
        };
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(CheckError::new(
                format!("member name '{name}' is not a name (letters, digits, _)"),
                i.span,
            ));
        }
        if names.contains(&name) {
            return Err(CheckError::new(
                format!("member name '{name}' is given twice"),
                i.span,
            ));
        }
        names.push(name);
    }
    if names.len() != n {
        return Err(CheckError::new(
            format!("{}(): {} names for tuples of {n}", a.name, names.len()),
            e.span,
        ));
    }
    Ok(names)
}

/// A checked collection argument.
fn coll_arg(c: &mut Checker<'_>, a: &Args<'_>, i: usize, what: &str) -> R<(TExpr, CollId)> {
    let x = c.check(a.req(i, what)?)?;
    match x.ty {
        Ty::Coll(id) => Ok((x, id)),
        _ => Err(CheckError::new(
            format!(
                "{}(): '{what}' is a collection; this is {}",
                a.name,
                c.schema.describe(&x.ty)
            ),
            x.span,
        )),
    }
}

/// The collection type of tuples with `members` (name, collection type).
fn tuple_type(c: &mut Checker<'_>, name: String, members: &[(String, CollId)]) -> CollId {
    c.schema.add_coll_info(CollInfo {
        name,
        fields: BTreeMap::new(),
        members: members.iter().cloned().collect(),
        view_of: None,
    })
}

/// A collection argument at run time.
fn coll_val<'v>(v: &'v Val, what: &str) -> Result<&'v Arc<CollVal>, EvalError> {
    match v {
        Val::Coll(c) => Ok(c),
        _ => Err(ee(format!("internal error: {what}"))),
    }
}

/// The most member indices (tuples × members) one call makes in a chunk:
/// 2^27, 512 MiB of indices (a 150,000-event chunk holds 280 trijets per
/// event on average within it).
const MAX_INDICES: u64 = 1 << 27;

/// Offsets from tuple counts per event (u64, so a product or binomial
/// that does not fit is never wrapped), for tuples of `members`; an error,
/// before anything is allocated, when the chunk would hold more than
/// [`MAX_INDICES`] member indices.
fn tuple_offsets(counts: &[u64], members: usize, what: &str) -> Result<Offsets, EvalError> {
    let total = counts.iter().fold(0u64, |a, &n| a.saturating_add(n));
    if total.saturating_mul(members as u64) > MAX_INDICES {
        let (e, most) = counts
            .iter()
            .enumerate()
            .max_by_key(|(_, &n)| n)
            .map_or((0, 0), |(e, &n)| (e, n));
        // one event alone over the limit: smaller chunks cannot help
        let advice = if most.saturating_mul(members as u64) > MAX_INDICES {
            "select the objects first (fewer objects, or fewer members per tuple)"
        } else {
            "use smaller chunks (--chunksize) or select the objects first"
        };
        return Err(ee(format!(
            "{what}: this chunk would make {total} tuples of {members} (event {e} of the batch \
             alone {most}), more than {MAX_INDICES} member indices in one chunk: {advice}"
        )));
    }
    let offsets = offsets_from_counts(counts.iter().map(|&n| n as u32))
        .map_err(|m| ee(format!("{what}: {m}")))?;
    Ok(Arc::new(offsets))
}

/// C(n, k), saturating.
fn binomial(n: u64, k: usize) -> u64 {
    let mut r: u128 = 1;
    for i in 0..k as u64 {
        if n < k as u64 {
            return 0;
        }
        r = r * (n - i) as u128 / (i + 1) as u128;
        if r > u64::MAX as u128 {
            return u64::MAX;
        }
    }
    r as u64
}

/// `combinations(C, n, names=[...])`: per event, every n objects of C with
/// i < j < k … in stored order, as awkward's `ak.combinations` (the
/// tuples in lexicographic order of their indices).
#[derive(Debug, Default)]
pub(super) struct Combinations {
    names: Vec<String>,
}

impl Builtin for Combinations {
    fn names(&self) -> &'static [&'static str] {
        &["combinations"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["collection", "n", "names"])?;
        let (coll, id) = coll_arg(c, a, 0, "collection")?;
        let n_expr = a.req(1, "n")?;
        let n = match num_arg(c, n_expr)? {
            Some(x) if x.fract() == 0.0 && (2.0..=MAX_MEMBERS as f64).contains(&x) => x as usize,
            _ => {
                return Err(CheckError::new(
                    format!("combinations(C, n): n is a whole number from 2 to {MAX_MEMBERS}"),
                    n_expr.span,
                ))
            }
        };
        let names = member_names(a, n)?;
        let members: Vec<(String, CollId)> = names.iter().map(|m| (m.clone(), id)).collect();
        let what = format!("combinations({}, {n})", c.schema.colls[id].name);
        let t = tuple_type(c, what, &members);
        Ok(typed_call(
            Combinations { names },
            Ty::Coll(t),
            vec![coll],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let c = coll_val(&args[0], "combinations")?;
        let k = self.names.len();
        let counts: Vec<u64> = c
            .offsets
            .windows(2)
            .map(|w| binomial((w[1] - w[0]) as u64, k))
            .collect();
        let offsets = tuple_offsets(&counts, k, "combinations")?;
        let total = *offsets.last().unwrap_or(&0) as usize;
        let mut index: Vec<Vec<u32>> = (0..k).map(|_| Vec::with_capacity(total)).collect();
        let mut pos = vec![0u32; k];
        for w in c.offsets.windows(2) {
            let n = w[1] - w[0];
            if (n as usize) < k {
                continue;
            }
            // the first tuple 0, 1, …, k-1; then the next in lexicographic order
            for (j, p) in pos.iter_mut().enumerate() {
                *p = j as u32;
            }
            loop {
                for (col, &p) in index.iter_mut().zip(&pos) {
                    col.push(w[0] + p);
                }
                // the last position that can still move right
                let Some(j) = (0..k).rev().find(|&j| pos[j] < n - (k - j) as u32) else {
                    break;
                };
                pos[j] += 1;
                for m in j + 1..k {
                    pos[m] = pos[m - 1] + 1;
                }
            }
        }
        let members = self
            .names
            .iter()
            .zip(index)
            .map(|(m, i)| (m.clone(), c.clone(), Arc::new(i)))
            .collect();
        Ok(Val::Coll(Arc::new(CollVal::made(
            offsets,
            members,
            BTreeMap::new(),
        ))))
    }
    fn members(&self, _: &[TExpr]) -> Vec<(String, usize)> {
        self.names.iter().map(|m| (m.clone(), 0)).collect()
    }
}

/// `cartesian(A, B, ..., names=[...])`: per event, every tuple of one
/// object of each collection, the first varying slowest (as awkward's
/// `ak.cartesian`: for each object of A, every object of B in order).
#[derive(Debug, Default)]
pub(super) struct Cartesian {
    names: Vec<String>,
}

impl Builtin for Cartesian {
    fn names(&self) -> &'static [&'static str] {
        &["cartesian"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        if let Some((k, e)) = a.kw.iter().find(|(k, _)| k != "names") {
            return Err(CheckError::new(
                format!("cartesian() has no argument '{k}'"),
                e.span,
            ));
        }
        let n = a.pos.len();
        if !(2..=MAX_MEMBERS).contains(&n) {
            return Err(CheckError::new(
                format!("cartesian(A, B, ...) takes 2 to {MAX_MEMBERS} collections, {n} given"),
                a.span,
            ));
        }
        let mut args = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let (x, id) = coll_arg(c, a, i, "collection")?;
            args.push(x);
            ids.push(id);
        }
        let names = member_names(a, n)?;
        let members: Vec<(String, CollId)> =
            names.iter().cloned().zip(ids.iter().copied()).collect();
        let list: Vec<&str> = ids
            .iter()
            .map(|&i| c.schema.colls[i].name.as_str())
            .collect();
        let what = format!("cartesian({})", list.join(", "));
        let t = tuple_type(c, what, &members);
        Ok(typed_call(Cartesian { names }, Ty::Coll(t), args, a.span))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let colls = args
            .iter()
            .map(|v| coll_val(v, "cartesian").cloned())
            .collect::<Result<Vec<_>, _>>()?;
        let events = colls[0].events();
        if colls.iter().any(|c| c.events() != events) {
            return Err(ee("internal error: cartesian of different events"));
        }
        let size = |c: &CollVal, e: usize| (c.offsets[e + 1] - c.offsets[e]) as u64;
        let counts: Vec<u64> = (0..events)
            .map(|e| {
                colls
                    .iter()
                    .fold(1u64, |acc, c| acc.saturating_mul(size(c, e)))
            })
            .collect();
        let offsets = tuple_offsets(&counts, colls.len(), "cartesian")?;
        let total = *offsets.last().unwrap_or(&0) as usize;
        let k = colls.len();
        let mut index: Vec<Vec<u32>> = (0..k).map(|_| Vec::with_capacity(total)).collect();
        let mut pos = vec![0u32; k];
        for (e, &count) in counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            pos.iter_mut().for_each(|p| *p = 0);
            for _ in 0..count {
                for ((col, c), &p) in index.iter_mut().zip(&colls).zip(&pos) {
                    col.push(c.offsets[e] + p);
                }
                // an odometer, the last collection turning fastest
                for j in (0..k).rev() {
                    pos[j] += 1;
                    if (pos[j] as u64) < size(&colls[j], e) {
                        break;
                    }
                    pos[j] = 0;
                }
            }
        }
        let members = self
            .names
            .iter()
            .zip(index)
            .zip(colls)
            .map(|((m, i), c)| (m.clone(), c, Arc::new(i)))
            .collect();
        Ok(Val::Coll(Arc::new(CollVal::made(
            offsets,
            members,
            BTreeMap::new(),
        ))))
    }
    fn members(&self, _: &[TExpr]) -> Vec<(String, usize)> {
        self.names.iter().cloned().zip(0..).collect()
    }
}

/// `nearest(A, B, threshold=None, names=[a, b])`: for each object of A in
/// an event with objects of B, the pair (a, b) with the b nearest in ΔR
/// (float32, as `delta_r`), and that ΔR as field `dr`. Ties go to the
/// first b in stored order; with a threshold, pairs with ΔR above it are
/// left out. Unlike coffea's `nearest`, which keeps a None for an A
/// without a match, such an A has no pair: the pairs are a collection of
/// their own, `count(nearest(A, B))` objects per event.
#[derive(Debug, Default)]
pub(super) struct Nearest {
    names: Vec<String>,
    threshold: Option<f64>,
}

impl Builtin for Nearest {
    fn names(&self) -> &'static [&'static str] {
        &["nearest"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&["a", "b", "threshold", "names"])?;
        if a.pos.len() > 2 {
            return Err(CheckError::new(
                "nearest(A, B): give the threshold by name, threshold=0.4",
                a.span,
            ));
        }
        let (x, ia) = coll_arg(c, a, 0, "a")?;
        let (y, ib) = coll_arg(c, a, 1, "b")?;
        for v in [&x, &y] {
            need_fields(c, v, &["eta", "phi"])?;
        }
        let threshold = match a.kw.iter().find(|(k, _)| k == "threshold") {
            Some((_, e)) => num_arg(c, e)?,
            None => None,
        };
        let names = member_names(a, 2)?;
        if names.iter().any(|n| n == "dr") {
            return Err(CheckError::new(
                "nearest(A, B, names=[...]): 'dr' is the field of the pairs' distance; name the \
                 members otherwise",
                a.span,
            ));
        }
        let what = format!(
            "nearest({}, {})",
            c.schema.colls[ia].name, c.schema.colls[ib].name
        );
        let members = [(names[0].clone(), ia), (names[1].clone(), ib)];
        let t = tuple_type(c, what, &members);
        c.schema.colls[t].fields.insert("dr".into(), Prim::F32);
        Ok(typed_call(
            Nearest { names, threshold },
            Ty::Coll(t),
            vec![x, y],
            a.span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, env: &Env) -> Result<Val, EvalError> {
        let (ca, cb) = (
            coll_val(&args[0], "nearest")?,
            coll_val(&args[1], "nearest")?,
        );
        let (ka, kb) = (kin(&args[0], env)?, kin(&args[1], env)?);
        if ca.events() != cb.events() {
            return Err(ee("internal error: nearest of different events"));
        }
        let limit = self.threshold.map(|t| t as f32);
        let (mut ia, mut ib, mut dr) = (Vec::new(), Vec::new(), Vec::new());
        let mut counts = Vec::with_capacity(ca.events());
        for e in 0..ca.events() {
            let (b0, b1) = (cb.offsets[e] as usize, cb.offsets[e + 1] as usize);
            let before = ia.len();
            if b1 > b0 {
                for i in ca.offsets[e] as usize..ca.offsets[e + 1] as usize {
                    let d =
                        |j: usize| math::delta_r_f32(ka.eta[i], ka.phi[i], kb.eta[j], kb.phi[j]);
                    // as argmin: the first, replaced only by a strictly smaller
                    let (mut best, mut min) = (b0, d(b0));
                    for j in b0 + 1..b1 {
                        let x = d(j);
                        if x < min {
                            (best, min) = (j, x);
                        }
                    }
                    if limit.is_some_and(|t| min > t) {
                        continue;
                    }
                    ia.push(i as u32);
                    ib.push(best as u32);
                    dr.push(min);
                }
            }
            counts.push((ia.len() - before) as u64);
        }
        let offsets = tuple_offsets(&counts, 2, "nearest")?;
        let members = vec![
            (self.names[0].clone(), ca.clone(), Arc::new(ia)),
            (self.names[1].clone(), cb.clone(), Arc::new(ib)),
        ];
        let fields = BTreeMap::from([("dr".to_string(), Arc::new(Arr::F32(dr)))]);
        Ok(Val::Coll(Arc::new(CollVal::made(offsets, members, fields))))
    }
    fn reads(&self, _: &[TExpr]) -> Vec<(usize, String)> {
        [0, 1]
            .into_iter()
            .flat_map(|i| [(i, "eta".to_string()), (i, "phi".to_string())])
            .collect()
    }
    fn members(&self, _: &[TExpr]) -> Vec<(String, usize)> {
        self.names.iter().cloned().zip(0..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(5, 3), 10);
        assert_eq!(binomial(2, 3), 0);
        assert_eq!(binomial(3, 3), 1);
        assert_eq!(binomial(0, 2), 0);
        assert_eq!(binomial(u32::MAX as u64, 8), u64::MAX);
    }

    #[test]
    fn too_many_tuples_are_an_error_before_any_allocation() {
        assert_eq!(
            *tuple_offsets(&[1, 0, 2], 3, "t").unwrap(),
            vec![0, 1, 1, 3]
        );
        let e = tuple_offsets(&[5, u64::MAX, 7], 2, "cartesian").unwrap_err();
        assert!(e.0.contains("event 1 of the batch alone"), "{e}");
        // over the limit in the chunk, not in any one event: smaller chunks help
        let e = tuple_offsets(&[MAX_INDICES / 8 + 1, MAX_INDICES / 8 + 1], 4, "t").unwrap_err();
        assert!(e.0.contains("--chunksize"), "{e}");
        // over it in one event: they cannot
        let e = tuple_offsets(&[MAX_INDICES / 4 + 1, 0], 4, "t").unwrap_err();
        assert!(
            e.0.contains("select the objects first (fewer objects"),
            "{e}"
        );
        assert!(!e.0.contains("--chunksize"), "{e}");
        assert!(tuple_offsets(&[MAX_INDICES / 4], 4, "t").is_ok());
    }
}
