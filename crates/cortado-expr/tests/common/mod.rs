//! The small hand-made NanoAOD-like columns the expression tests evaluate on.
#![allow(dead_code)] // each test file uses some of the helpers

use std::collections::HashMap;
use std::sync::Arc;

use cortado_columns::{Column, Values};
use cortado_expr::check::{Checker, Meta};
use cortado_expr::eval::{eval, Env};
use cortado_expr::parser::{parse, strip_parens};
use cortado_expr::types::{Prim, Schema};
use cortado_expr::value::{Arr, ColumnData, Val};

/// 4 events with 2, 0, 3, 1 muons (pt, eta, phi, mass, charge, tightId),
/// MET, run, and a plain jagged PSWeight; and their schema.
pub fn data() -> (Arc<ColumnData>, Schema) {
    let mut c: HashMap<String, Column> = HashMap::new();
    let jag = |v: Values, o: Vec<u32>| Column::jagged(v, o).unwrap();
    // 4 events: muons per event 2, 0, 3, 1
    let mo = vec![0, 2, 2, 5, 6];
    c.insert("nMuon".into(), Column::flat(Values::U32(vec![2, 0, 3, 1])));
    c.insert(
        "Muon_pt".into(),
        jag(
            Values::F32(vec![40.0, 20.0, 10.0, 50.0, 30.0, 26.0]),
            mo.clone(),
        ),
    );
    c.insert(
        "Muon_eta".into(),
        jag(
            Values::F32(vec![0.5, -1.0, 2.45, 0.1, -0.3, 1.0]),
            mo.clone(),
        ),
    );
    c.insert(
        "Muon_phi".into(),
        jag(Values::F32(vec![0.1, 3.0, 1.0, -2.0, 1.5, 0.0]), mo.clone()),
    );
    c.insert(
        "Muon_mass".into(),
        jag(Values::F32(vec![0.10566; 6]), mo.clone()),
    );
    c.insert(
        "Muon_charge".into(),
        jag(Values::I32(vec![1, -1, 1, -1, 1, -1]), mo.clone()),
    );
    c.insert(
        "Muon_tightId".into(),
        jag(
            Values::Bool(vec![true, true, true, true, false, true]),
            mo.clone(),
        ),
    );
    c.insert(
        "MET_pt".into(),
        Column::flat(Values::F32(vec![10.0, 20.0, 30.0, 40.0])),
    );
    c.insert("run".into(), Column::flat(Values::U32(vec![1, 1, 2, 3])));
    // a plain jagged array with its own counter (NanoAOD's PSWeight[nPSWeight])
    c.insert(
        "nPSWeight".into(),
        Column::flat(Values::U32(vec![4, 4, 1, 4])),
    );
    c.insert(
        "PSWeight".into(),
        jag(
            Values::F32(vec![
                1.1, 0.9, 1.2, 0.8, 1.3, 0.7, 1.4, 0.6, 1.0, 1.5, 0.5, 1.6, 0.4,
            ]),
            vec![0, 4, 8, 9, 13],
        ),
    );
    let n = 4;
    let branches: Vec<(String, Prim, Option<String>)> = c
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Prim::from_dtype(v.dtype()),
                v.offsets.as_ref().map(|_| {
                    if k == "PSWeight" {
                        "nPSWeight"
                    } else {
                        "nMuon"
                    }
                    .to_string()
                }),
            )
        })
        .collect();
    let schema = Schema::from_branches(&branches);
    (Arc::new(ColumnData::new(n, c)), schema)
}

/// `expr` evaluated after the definitions `defs` (name, expression).
pub fn run(defs: &[(&str, &str)], expr: &str) -> Val {
    let (raw, mut schema) = data();
    let meta = Meta {
        year: "2018".into(),
        is_mc: true,
        ..Default::default()
    };
    let mut typed = Vec::new();
    for (name, src) in defs {
        let mut ck = Checker::new(&mut schema, &meta);
        let t = ck
            .check(&strip_parens(parse(src).unwrap()))
            .unwrap_or_else(|e| panic!("{src}: {e:?}"));
        schema.names.insert(name.to_string(), t.ty.clone());
        typed.push((name.to_string(), t));
    }
    let mut ck = Checker::new(&mut schema, &meta);
    let t = ck
        .check(&strip_parens(parse(expr).unwrap()))
        .unwrap_or_else(|e| panic!("{expr}: {e:?}"));
    let mut env = Env::new(raw, Arc::new(schema));
    for (name, t) in &typed {
        let v = eval(t, &env).unwrap();
        env.define(name, v);
    }
    eval(&t, &env).unwrap()
}

/// The values of a per-event result.
pub fn event(v: Val) -> Arr {
    match v {
        Val::Event(a) => (*a).clone(),
        other => panic!("not per-event: {other:?}"),
    }
}

/// The error of checking `expr` after the definitions `defs`: message and hint.
pub fn check_error(defs: &[(&str, &str)], expr: &str) -> String {
    let (_, mut schema) = data();
    let meta = Meta::default();
    for (name, src) in defs.iter().map(|d| (d.0, d.1)).chain([("", expr)]) {
        let mut ck = Checker::new(&mut schema, &meta);
        let parsed = match parse(src) {
            Ok(p) => strip_parens(p),
            Err(e) => return e.message,
        };
        match ck.check(&parsed) {
            Ok(t) if !name.is_empty() => {
                schema.names.insert(name.to_string(), t.ty);
            }
            Ok(_) => panic!("{expr} checks"),
            Err(e) => return format!("{} {}", e.message, e.hint.unwrap_or_default()),
        }
    }
    unreachable!()
}

/// The values and offsets of a per-object result.
pub fn objects(v: Val) -> (Arr, Vec<u32>) {
    match v {
        Val::Obj(a, o) => ((*a).clone(), (*o).clone()),
        other => panic!("not per-object: {other:?}"),
    }
}
