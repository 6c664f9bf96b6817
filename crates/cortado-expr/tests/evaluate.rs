//! Expressions evaluated on small hand-made NanoAOD-like columns.

mod common;

use std::sync::Arc;

use common::{data, event, run};
use cortado_expr::check::{Checker, Meta};
use cortado_expr::eval::{eval, Env};
use cortado_expr::parser::{parse, strip_parens};
use cortado_expr::value::{Arr, Val};

#[test]
fn selection_counts_and_reductions() {
    let good = [(
        "MuonGood",
        "Muon[(Muon.pt > 15) & (abs(Muon.eta) < 2.4) & Muon.tightId]",
    )];
    assert_eq!(
        event(run(&good, "count(MuonGood)")),
        Arr::Int(vec![2, 0, 1, 1])
    );
    assert_eq!(
        event(run(&good, "sum(MuonGood.pt)")),
        Arr::F32(vec![60.0, 0.0, 50.0, 26.0])
    );
    assert_eq!(
        event(run(&good, "sum(MuonGood.pt > 25)")),
        Arr::Int(vec![1, 0, 1, 1])
    );
    assert_eq!(
        event(run(&good, "count(MuonGood) >= 1 and MET.pt > 15")),
        Arr::Bool(vec![false, false, true, true])
    );
    assert_eq!(
        event(run(&good, "fill_none(first(MuonGood.pt), -1)")),
        Arr::F32(vec![40.0, -1.0, 50.0, 26.0])
    );
    assert_eq!(
        event(run(&good, "fill_none(MuonGood[1].pt > 15, False)")),
        Arr::Bool(vec![true, false, false, false])
    );
    assert_eq!(
        event(run(&good, "25 < fill_none(first(MuonGood.pt), 0) < 45")),
        Arr::Bool(vec![true, false, false, true])
    );
    assert_eq!(
        event(run(&[], "any(Muon.charge > 0)")),
        Arr::Bool(vec![true, false, true, false])
    );
}

#[test]
fn sort_concat_slice_and_dilepton() {
    let defs = [("Sorted", "sort_by(Muon, Muon.pt, ascending=False)")];
    assert_eq!(
        event(run(&defs, "fill_none(first(Sorted.pt), 0)")),
        Arr::F32(vec![40.0, 0.0, 50.0, 26.0])
    );
    let defs = [("Two", "Muon[:2]"), ("Both", "concat(Two, Muon)")];
    assert_eq!(event(run(&defs, "count(Both)")), Arr::Int(vec![4, 0, 5, 2]));
    let defs = [
        ("E", "Muon[Muon.pt > 1000]"),
        ("ll", "get_dilepton(E, Muon)"),
    ];
    let m = event(run(&defs, "ll.mass"));
    let Arr::F64(m) = m else { panic!() };
    assert!(
        m[0] > 50.0 && m[1] == 0.0 && m[2] > 0.0 && m[3] == 0.0,
        "{m:?}"
    );
    assert_eq!(
        event(run(&defs, "ll.charge")),
        Arr::F64(vec![0.0, 0.0, 0.0, 0.0])
    );
    assert_eq!(
        event(run(&defs, "ll.deltaR < 0")),
        Arr::Bool(vec![false, true, false, true])
    );
}

#[test]
fn cleaning_and_filtering() {
    let (raw, mut schema) = data();
    let meta = Meta::default();
    let src = "Muon[delta_r_clean(Muon, Muon[Muon.pt > 45], 0.4)]";
    let mut ck = Checker::new(&mut schema, &meta);
    let t = ck.check(&strip_parens(parse(src).unwrap())).unwrap();
    let mut ck = Checker::new(&mut schema, &meta);
    let cnt = ck
        .check(&strip_parens(parse("count(Muon)").unwrap()))
        .unwrap();
    let env = Env::new(raw, Arc::new(schema));
    let Val::Coll(c) = eval(&t, &env).unwrap() else {
        panic!()
    };
    // event 2 has a 50 GeV muon: it is removed (dR = 0 to itself), the others kept
    assert_eq!(*c.offsets, vec![0, 2, 2, 4, 5]);
    // filtering events keeps values aligned
    let env2 = env.filter(&[false, true, true, false]).unwrap();
    assert_eq!(event(eval(&cnt, &env2).unwrap()), Arr::Int(vec![0, 3]));
}

/// Comparisons with a literal (evaluated in place) equal the same comparison
/// between two arrays (evaluated through the general path), on either side,
/// for per-event and per-object values.
#[test]
fn comparisons_with_literals_on_either_side() {
    let obj = |v: Val| match v {
        Val::Obj(a, _) => (*a).clone(),
        other => panic!("not per-object: {other:?}"),
    };
    for (op, mirrored) in [
        (">", "<"),
        ("<", ">"),
        (">=", "<="),
        ("<=", ">="),
        ("==", "=="),
        ("!=", "!="),
    ] {
        // 30 as a literal, and as an array that equals 30 everywhere
        let lit = obj(run(&[], &format!("Muon.pt {op} 30")));
        let left = obj(run(&[], &format!("30 {mirrored} Muon.pt")));
        let arrays = obj(run(&[], &format!("Muon.pt {op} (Muon.pt * 0 + 30)")));
        assert_eq!(lit, arrays, "Muon.pt {op} 30");
        assert_eq!(left, arrays, "30 {mirrored} Muon.pt");
        let ev = event(run(&[], &format!("MET_pt {op} 20")));
        let ev_left = event(run(&[], &format!("20 {mirrored} MET_pt")));
        let ev_arrays = event(run(&[], &format!("MET_pt {op} (MET_pt * 0 + 20)")));
        assert_eq!(ev, ev_arrays, "MET_pt {op} 20");
        assert_eq!(ev_left, ev_arrays, "20 {mirrored} MET_pt");
    }
    assert_eq!(
        event(run(&[], "MET_pt > 20")),
        Arr::Bool(vec![false, false, true, true])
    );
    // integers against an integer literal
    assert_eq!(
        event(run(&[], "2 <= nMuon")),
        Arr::Bool(vec![true, false, true, false])
    );
}

#[test]
fn a_plain_jagged_array_is_values_per_entry() {
    // PSWeight[nPSWeight] has no PSWeight_* fields: `PSWeight` is its values
    // (coffea's events.PSWeight), `PSWeight[2]` the third entry of each event.
    assert_eq!(
        event(run(&[], "fill_none(PSWeight[2], -1)")),
        Arr::F32(vec![1.2, 1.4, -1.0, 1.6])
    );
    assert_eq!(
        event(run(&[], "count(PSWeight)")),
        Arr::Int(vec![4, 4, 1, 4])
    );
    let (_, mut schema) = data();
    let meta = Meta::default();
    let mut ck = Checker::new(&mut schema, &meta);
    let e = ck
        .check(&strip_parens(parse("PSWeight.x").unwrap()))
        .unwrap_err();
    assert!(e.message.contains("has no fields"), "{e:?}");
    assert!(schema.has_jagged_branch("PSWeight") && schema.has_jagged_branch("Muon_pt"));
    assert!(!schema.has_jagged_branch("PSWeight_x") && !schema.has_jagged_branch("Muon"));
}
