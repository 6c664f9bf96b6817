//! Combinatorics in the expression language: tuples of `combinations`,
//! `cartesian` and `nearest`, their members, and four-vector sums, on the
//! hand-made muons of `common` (2, 0, 3, 1 per event).

mod common;

use common::{check_error, event, objects, run};
use cortado_expr::value::{Arr, Val};

/// The four-vector of a muon of `common` in float64, as the docs state.
fn p4(pt: f32, eta: f32, phi: f32) -> [f64; 4] {
    let (pt, eta, phi, m) = (pt as f64, eta as f64, phi as f64, 0.10566f32 as f64);
    let (x, y, z) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh());
    [x, y, z, (x * x + y * y + z * z + m * m).sqrt()]
}

fn mass(v: [f64; 4]) -> f64 {
    (v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
        .max(0.0)
        .sqrt()
}

fn add(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

// the muons of `common`: (pt, eta, phi) by event
const MU: [&[(f32, f32, f32)]; 4] = [
    &[(40.0, 0.5, 0.1), (20.0, -1.0, 3.0)],
    &[],
    &[(10.0, 2.45, 1.0), (50.0, 0.1, -2.0), (30.0, -0.3, 1.5)],
    &[(26.0, 1.0, 0.0)],
];

#[test]
fn combinations_in_stored_order() {
    assert_eq!(
        event(run(&[], "count(combinations(Muon, 2))")),
        Arr::Int(vec![1, 0, 3, 0])
    );
    assert_eq!(
        event(run(&[], "count(combinations(Muon, 3))")),
        Arr::Int(vec![0, 0, 1, 0])
    );
    let (a, o) = objects(run(&[], "combinations(Muon, 2).0.pt"));
    assert_eq!(a, Arr::F32(vec![40.0, 10.0, 10.0, 50.0]));
    assert_eq!(o, vec![0, 1, 1, 4, 4]);
    let (b, _) = objects(run(&[], "combinations(Muon, 2).1.pt"));
    assert_eq!(b, Arr::F32(vec![20.0, 50.0, 30.0, 30.0]));
    // named members, and a mask built from them selects tuples
    let defs = [("pairs", "combinations(Muon, 2, names=[a, b])")];
    assert_eq!(
        event(run(&defs, "count(pairs[pairs.a.charge != pairs.b.charge])")),
        Arr::Int(vec![1, 0, 2, 0])
    );
    let (k, _) = objects(run(&defs, "pairs[pairs.a.pt > 15].b.pt"));
    assert_eq!(k, Arr::F32(vec![20.0, 30.0]));
    assert_eq!(
        event(run(&defs, "any(pairs, pairs.b.pt > 40)")),
        Arr::Bool(vec![false, false, true, false])
    );
}

#[test]
fn cartesian_first_varies_slowest() {
    assert_eq!(
        event(run(&[], "count(cartesian(Muon, Muon))")),
        Arr::Int(vec![4, 0, 9, 1])
    );
    let (a, _) = objects(run(&[], "cartesian(Muon, Muon[Muon.pt > 25]).0.pt"));
    let (b, o) = objects(run(&[], "cartesian(Muon, Muon[Muon.pt > 25]).1.pt"));
    assert_eq!(
        a,
        Arr::F32(vec![40.0, 20.0, 10.0, 10.0, 50.0, 50.0, 30.0, 30.0, 26.0])
    );
    assert_eq!(
        b,
        Arr::F32(vec![40.0, 40.0, 50.0, 30.0, 50.0, 30.0, 50.0, 30.0, 26.0])
    );
    assert_eq!(o, vec![0, 2, 2, 8, 9]);
}

#[test]
fn four_vector_sums_are_float64_from_the_components() {
    let defs = [("pairs", "combinations(Muon, 2, names=[a, b])")];
    let (m, _) = objects(run(&defs, "(pairs.a + pairs.b).mass"));
    let mut want = Vec::new();
    for ev in MU {
        for i in 0..ev.len() {
            for j in i + 1..ev.len() {
                let (x, y) = (ev[i], ev[j]);
                want.push(mass(add(p4(x.0, x.1, x.2), p4(y.0, y.1, y.2))));
            }
        }
    }
    assert_eq!(m, Arr::F64(want));
    // three objects: the components add, no round trip through (pt, eta, phi, m)
    let t = [("t", "combinations(Muon, 3)")];
    let (m3, _) = objects(run(&t, "(t.0 + t.1 + t.2).mass"));
    let v: Vec<[f64; 4]> = MU[2].iter().map(|x| p4(x.0, x.1, x.2)).collect();
    assert_eq!(m3, Arr::F64(vec![mass(add(add(v[0], v[1]), v[2]))]));
    // p4sum of the same three is the same vector
    assert_eq!(
        event(run(&[], "p4sum(Muon).mass")),
        Arr::F64(vec![
            mass(add(p4(40.0, 0.5, 0.1), p4(20.0, -1.0, 3.0))),
            0.0,
            mass(add(add(v[0], v[1]), v[2])),
            mass(p4(26.0, 1.0, 0.0)),
        ])
    );
    // one optional object per event plus another
    let Val::Opt(a, valid) = run(&[], "(Muon[0] + Muon[1]).mass") else {
        panic!()
    };
    assert_eq!(*valid, vec![true, false, true, false]);
    let Arr::F64(a) = (*a).clone() else { panic!() };
    assert_eq!(a[0], mass(add(p4(40.0, 0.5, 0.1), p4(20.0, -1.0, 3.0))));
    assert_eq!(a[2], mass(add(v[0], v[1])));
}

#[test]
fn the_best_pair_and_what_is_left() {
    let defs = [
        ("pairs", "combinations(Muon, 2, names=[a, b])"),
        (
            "best",
            "argmin(pairs, abs((pairs.a + pairs.b).mass - 91.2))",
        ),
    ];
    let Val::Opt(pt, valid) = run(&defs, "best.a.pt + best.b.pt") else {
        panic!()
    };
    assert_eq!(*valid, vec![true, false, true, false]);
    let mut want = Vec::new();
    for ev in [MU[2]] {
        let mut best = (0, 1, f64::INFINITY);
        for i in 0..ev.len() {
            for j in i + 1..ev.len() {
                let m = mass(add(
                    p4(ev[i].0, ev[i].1, ev[i].2),
                    p4(ev[j].0, ev[j].1, ev[j].2),
                ));
                if (m - 91.2).abs() < best.2 {
                    best = (i, j, (m - 91.2).abs());
                }
            }
        }
        want.push(ev[best.0].0 + ev[best.1].0);
    }
    let Arr::F32(pt) = (*pt).clone() else {
        panic!()
    };
    assert_eq!(pt[2], want[0]);
    // sorting tuples by a key of their members; the event filter keeps them aligned
    let (s, _) = objects(run(
        &defs,
        "sort_by(pairs, pairs.b.pt, ascending=False).b.pt",
    ));
    assert_eq!(s, Arr::F32(vec![20.0, 50.0, 30.0, 30.0]));
}

#[test]
fn nearest_pairs_each_object_with_the_closest() {
    let defs = [("n", "nearest(Muon, Muon[Muon.pt > 45], names=[mu, hard])")];
    assert_eq!(event(run(&defs, "count(n)")), Arr::Int(vec![0, 0, 3, 0]));
    let (pt, _) = objects(run(&defs, "n.mu.pt"));
    assert_eq!(pt, Arr::F32(vec![10.0, 50.0, 30.0]));
    let (dr, _) = objects(run(&defs, "n.dr"));
    let Arr::F32(dr) = dr else { panic!() };
    assert_eq!(dr[1], 0.0);
    let close = [("n", "nearest(Muon, Muon[Muon.pt > 45], threshold=2.0)")];
    let (kept, _) = objects(run(&close, "n.0.pt"));
    let want: Vec<f32> = [10.0f32, 50.0, 30.0]
        .iter()
        .zip(&dr)
        .filter(|(_, &d)| d <= 2.0)
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(kept, Arr::F32(want));
}

#[test]
fn mistakes_are_caught_before_any_event() {
    let defs = [("pairs", "combinations(Muon, 2, names=[a, b])")];
    let e = check_error(&[], "combinations(Muon, 1)");
    assert!(e.contains("n is a whole number from 2"), "{e}");
    let e = check_error(&[], "combinations(Muon, 2, names=[a])");
    assert!(e.contains("1 names for tuples of 2"), "{e}");
    let e = check_error(&[], "combinations(Muon, 2, names=[a, a])");
    assert!(e.contains("given twice"), "{e}");
    let e = check_error(&defs, "pairs.c.pt");
    assert!(e.contains("no field 'c'") && e.contains("'a'"), "{e}");
    let e = check_error(&defs, "pairs.a + Muon");
    assert!(e.contains("two members of the same tuples"), "{e}");
    let e = check_error(&defs, "pairs.a.pt + Muon.pt");
    assert!(e.contains("different numbers of objects"), "{e}");
    let e = check_error(&defs, "Muon[pairs.a.pt > 3]");
    assert!(e.contains("cannot select objects of Muon"), "{e}");
    // two calls make two collections of tuples
    let e = check_error(&[], "combinations(Muon, 2).0 + combinations(Muon, 2).1");
    assert!(e.contains("two members of the same tuples"), "{e}");
    let e = check_error(&[], "cartesian(Muon)");
    assert!(e.contains("takes 2 to 8 collections"), "{e}");
    let e = check_error(&[], "argsort(Muon.pt)");
    assert!(
        e.contains("unknown function 'argsort'") && e.contains("sort_by"),
        "{e}"
    );
    let e = check_error(&[], "combination(Muon, 2)");
    assert!(e.contains("did you mean 'combinations'"), "{e}");
}

#[test]
fn tuples_of_tuples_and_fields_of_members() {
    let defs = [
        ("pairs", "combinations(Muon, 2, names=[a, b])"),
        ("quads", "combinations(pairs, 2)"),
    ];
    assert_eq!(
        event(run(&defs, "count(quads)")),
        Arr::Int(vec![0, 0, 3, 0])
    );
    // event 2: pairs (10,50) (10,30) (50,30); pairs of pairs in order
    let (a, _) = objects(run(&defs, "quads.0.b.pt"));
    assert_eq!(a, Arr::F32(vec![50.0, 50.0, 30.0]));
    let (b, _) = objects(run(&defs, "quads.1.a.pt + quads.1.b.pt"));
    assert_eq!(b, Arr::F32(vec![40.0, 80.0, 80.0]));
}

#[test]
fn tuples_follow_the_event_selection() {
    use common::data;
    use cortado_expr::check::{Checker, Meta};
    use cortado_expr::eval::{eval, Env};
    use cortado_expr::parser::{parse, strip_parens};
    use std::sync::Arc;
    let (raw, mut schema) = data();
    let meta = Meta::default();
    let mut typed = Vec::new();
    for (name, src) in [
        ("pairs", "combinations(Muon, 2, names=[a, b])"),
        ("", "pairs.a.pt + pairs.b.pt"),
    ] {
        let mut ck = Checker::new(&mut schema, &meta);
        let t = ck.check(&strip_parens(parse(src).unwrap())).unwrap();
        schema.names.insert(name.to_string(), t.ty.clone());
        typed.push(t);
    }
    let mut env = Env::new(raw, Arc::new(schema));
    let pairs = eval(&typed[0], &env).unwrap();
    env.define("pairs", pairs);
    // the tuples are made before the selection, their members read after it
    let kept = env.filter(&[false, true, true, true]).unwrap();
    let (v, o) = objects(eval(&typed[1], &kept).unwrap());
    assert_eq!(v, Arr::F32(vec![60.0, 40.0, 80.0]));
    assert_eq!(o, vec![0, 0, 3, 3]);
}

#[test]
fn rest_frame_boosts_into_the_frame_of_the_second() {
    let defs = [("t", "combinations(Muon, 2, names=[a, b])")];
    let get = |e: &str| match objects(run(&defs, e)).0 {
        Arr::F64(v) => v,
        other => panic!("{other:?}"),
    };
    // the invariants: a keeps its mass; its energy there is (a·b)/m_b
    let (mass_a, e_in_b) = (
        get("rest_frame(t.a, t.b).mass"),
        get("rest_frame(t.a, t.b).energy"),
    );
    let mut i = 0;
    for ev in MU {
        for x in 0..ev.len() {
            for y in x + 1..ev.len() {
                let (a, b) = (p4(ev[x].0, ev[x].1, ev[x].2), p4(ev[y].0, ev[y].1, ev[y].2));
                let dot = a[3] * b[3] - (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
                let rel = |u: f64, v: f64| (u - v).abs() / v.abs().max(1.0);
                assert!(
                    rel(e_in_b[i], dot / mass(b)) < 1e-9,
                    "{} {}",
                    e_in_b[i],
                    dot / mass(b)
                );
                assert!(rel(mass_a[i], mass(a)) < 1e-6, "{} {}", mass_a[i], mass(a));
                i += 1;
            }
        }
    }
    assert_eq!(i, 4);
    // b in its own rest frame: at rest, with its mass as energy
    let (px, e) = (
        get("rest_frame(t.b, t.b).px"),
        get("rest_frame(t.b, t.b).energy"),
    );
    for (p, e) in px.iter().zip(&e) {
        assert!(p.abs() < 1e-9 * 50.0, "{p}");
        assert!((e - 0.10566f32 as f64).abs() < 1e-6, "{e}");
    }
    let err = check_error(&defs, "rest_frame(t.a, Muon)");
    assert!(
        err.contains("rest_frame(a, b) takes two members of the same tuples"),
        "{err}"
    );
}

#[test]
fn names_that_would_hide_something_are_refused() {
    let err = check_error(&[], "nearest(Muon, Muon, names=[dr, other])");
    assert!(
        err.contains("'dr' is the field of the pairs' distance"),
        "{err}"
    );
    let defs = [
        ("p", "combinations(Muon, 2)"),
        ("q", "cartesian(Muon, Muon)"),
    ];
    let err = check_error(&defs, "concat(p, q)");
    assert!(
        err.contains("are tuples, whose members it cannot join"),
        "{err}"
    );
}
