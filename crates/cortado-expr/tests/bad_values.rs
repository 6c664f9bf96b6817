//! Values that do not have the shape they claim are errors naming where they
//! came from — a counter branch, a branch, a user function — never a panic
//! and never a silent truncation.

use std::collections::HashMap;
use std::sync::Arc;

use cortado_columns::{Column, Values};
use cortado_expr::check::{Checker, Meta};
use cortado_expr::eval::{eval, Env};
use cortado_expr::parser::{parse, strip_parens};
use cortado_expr::types::{Prim, Schema, Ty};
use cortado_expr::user::{Registry, UserFunction};
use cortado_expr::value::{Arr, ColumnData, Val};

/// Three events: a counter `nMuon`, `Muon_pt` with the given offsets, `MET_pt`
/// and `event`, plus the columns in `extra`.
fn columns(counts: Values, offsets: Vec<u32>, extra: Vec<(&str, Column)>) -> (Env, Schema) {
    let mut c: HashMap<String, Column> = HashMap::new();
    c.insert("nMuon".into(), Column::flat(counts));
    let n_obj = *offsets.last().unwrap() as usize;
    let pt = Values::F32((0..n_obj).map(|i| 10.0 * i as f32).collect());
    c.insert("Muon_pt".into(), Column::jagged(pt, offsets).unwrap());
    c.insert(
        "MET_pt".into(),
        Column::flat(Values::F32(vec![1.0, 2.0, 3.0])),
    );
    for (k, v) in extra {
        c.insert(k.into(), v);
    }
    let branches: Vec<(String, Prim, Option<String>)> = c
        .iter()
        .map(|(k, v)| {
            let counter = v.offsets.as_ref().map(|_| "nMuon".to_string());
            (k.clone(), Prim::from_dtype(v.dtype()), counter)
        })
        .collect();
    let schema = Schema::from_branches(&branches);
    let env = Env::new(Arc::new(ColumnData::new(3, c)), Arc::new(schema.clone()));
    (env, schema)
}

fn good_counts() -> (Values, Vec<u32>) {
    (Values::I32(vec![2, 0, 3]), vec![0, 2, 2, 5])
}

/// Checks and evaluates `src`; the evaluation's error as text.
fn try_eval(
    env: &Env,
    schema: &mut Schema,
    reg: Option<&Registry>,
    src: &str,
) -> Result<Val, String> {
    let meta = Meta::default();
    let mut ck = Checker {
        schema,
        params: None,
        cut_params: None,
        meta: &meta,
        registry: reg,
    };
    let t = ck
        .check(&strip_parens(parse(src).unwrap()))
        .unwrap_or_else(|e| panic!("{src}: {e:?}"));
    eval(&t, env).map_err(|e| e.0)
}

#[test]
fn a_negative_count_is_an_error_naming_the_counter() {
    let (env, mut schema) = columns(Values::I32(vec![2, -1, 3]), vec![0, 2, 2, 5], vec![]);
    let e = try_eval(&env, &mut schema, None, "count(Muon)").unwrap_err();
    assert!(
        e.contains("counter branch 'nMuon'") && e.contains("event 1") && e.contains("count -1"),
        "{e}"
    );
    let e = try_eval(&env, &mut schema, None, "sum(Muon.pt)").unwrap_err();
    assert!(e.contains("'nMuon'"), "{e}");
}

#[test]
fn counts_that_do_not_match_the_branch_are_an_error() {
    // same total (5), different split between events
    let (env, mut schema) = columns(Values::I32(vec![2, 1, 2]), vec![0, 2, 2, 5], vec![]);
    let e = try_eval(&env, &mut schema, None, "sum(Muon.pt)").unwrap_err();
    assert!(
        e.contains("branch 'Muon_pt'") && e.contains("disagree"),
        "{e}"
    );
    // counts above u32: an error, not a wrapped total
    let big = Values::I64(vec![0, u32::MAX as i64, 1]);
    let (env, mut schema) = columns(big, vec![0, 0, 0, 0], vec![]);
    let e = try_eval(&env, &mut schema, None, "count(Muon)").unwrap_err();
    assert!(e.contains("event 2") && e.contains("running total"), "{e}");
    // the good ones still evaluate
    let (c, o) = good_counts();
    let (env, mut schema) = columns(c, o, vec![]);
    let v = try_eval(&env, &mut schema, None, "count(Muon)").unwrap();
    let Val::Event(a) = v else { panic!() };
    assert_eq!(*a, Arr::Int(vec![2, 0, 3]));
}

#[test]
fn a_ulong64_above_int64_is_refused() {
    let (c, o) = good_counts();
    let ev = |v: Vec<u64>| vec![("event", Column::flat(Values::U64(v)))];
    let max = i64::MAX as u64;
    let (env, mut schema) = columns(c.clone(), o.clone(), ev(vec![0, max, 7]));
    let v = try_eval(&env, &mut schema, None, "event > 0").unwrap();
    let Val::Event(a) = v else { panic!() };
    assert_eq!(*a, Arr::Bool(vec![false, true, true]));
    for big in [max + 1, u64::MAX] {
        let (env, mut schema) = columns(c.clone(), o.clone(), ev(vec![0, 1, big]));
        let e = try_eval(&env, &mut schema, None, "event > 0").unwrap_err();
        assert!(
            e.contains("branch 'event'") && e.contains(&format!("value 2 is {big}")),
            "{e}"
        );
    }
}

/// `f(x)`: per-event float64 values, `len_delta` more (or fewer) than events.
struct WrongLength(i64);
impl UserFunction for WrongLength {
    fn signature(&self, _: &[Ty], _: &Schema) -> Result<Ty, String> {
        Ok(Ty::Event(Prim::F64))
    }
    fn eval(&self, _: &[Val], env: &Env) -> Result<Val, String> {
        let n = (env.len() as i64 + self.0) as usize;
        Ok(Val::Event(Arc::new(Arr::F64(vec![1.0; n]))))
    }
}

/// Declares per-event booleans, returns per-event floats.
struct WrongType;
impl UserFunction for WrongType {
    fn signature(&self, _: &[Ty], _: &Schema) -> Result<Ty, String> {
        Ok(Ty::Event(Prim::Bool))
    }
    fn eval(&self, _: &[Val], env: &Env) -> Result<Val, String> {
        Ok(Val::Event(Arc::new(Arr::F64(vec![1.0; env.len()]))))
    }
}

/// A collection whose object indices point past its parent.
struct BadGather;
impl UserFunction for BadGather {
    fn signature(&self, args: &[Ty], _: &Schema) -> Result<Ty, String> {
        Ok(args[0].clone())
    }
    fn eval(&self, args: &[Val], _: &Env) -> Result<Val, String> {
        let Val::Coll(c) = &args[0] else {
            return Err("a collection".into());
        };
        Ok(Val::Coll(Arc::new(c.gather(vec![0, 99], vec![0, 1, 1, 2]))))
    }
}

#[test]
fn a_user_function_of_the_wrong_length_or_type_is_named() {
    let mut reg = Registry::new();
    reg.add("short", WrongLength(-1));
    reg.add("long", WrongLength(1));
    reg.add("exact", WrongLength(0));
    reg.add("wrongtype", WrongType);
    reg.add("badgather", BadGather);
    let (c, o) = good_counts();
    let (env, mut schema) = columns(c, o, vec![]);
    let mut ev = |src: &str| try_eval(&env, &mut schema, Some(&reg), src);
    let e = ev("short(MET_pt) > 0.5").unwrap_err();
    assert_eq!(
        e,
        "user function short() returned 2 values for 3 events (3 events selected)"
    );
    let e = ev("long(MET_pt) * MET_pt").unwrap_err();
    assert!(e.contains("long() returned 4 values for 3 events"), "{e}");
    assert!(ev("exact(MET_pt) * MET_pt").is_ok());
    let e = ev("wrongtype(MET_pt)").unwrap_err();
    assert!(
        e.contains("wrongtype() returned float64 values where its type says bool"),
        "{e}"
    );
    let e = ev("count(badgather(Muon))").unwrap_err();
    assert!(
        e.contains("badgather() returned object index 99 in a collection of 5 objects"),
        "{e}"
    );
}

#[test]
fn an_event_mask_of_the_wrong_length_is_an_error() {
    let (c, o) = good_counts();
    let (env, _) = columns(c, o, vec![]);
    assert!(env.filter(&[true, false, true]).is_ok());
    let e = env.filter(&[true, false]).err().unwrap().0;
    assert_eq!(e, "an event mask of 2 flags for 3 events");
    assert!(env.filter(&[true; 4]).is_err());
}
