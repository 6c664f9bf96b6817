//! `argmin(C, key)`, `argmax(C, key)`, `any(C, condition)`,
//! `all(C, condition)`, `p4sum(C)` and `mt(a, b)` equal awkward's `argmin`/`argmax`
//! (keepdims, then the chosen jet's fields), `any`/`all` and float64 NumPy
//! four-vector sums and transverse masses (tests/python/best_objects.py): every bin with flow, in
//! every category, on the example's tt file. So do `delta_phi` with MET (φ only) and `delta_r` of
//! every jet to one object per event (NaN, so overflow, for the jets of events without it), and
//! `a + b` of a `p4sum` and a single object or another `p4sum`, and of every jet and one object
//! per event.

mod common;

use common::{dump, root, run_ok, tmpdir};
use serde_json::Value;

const CONFIG: &str = "
workflow:
  variables:
    best_btag_pt: argmax(Jet, Jet.btagDeepFlavB).pt
    closest_mass_eta: argmin(Jet, abs(Jet.mass - 10)).eta
    lowest_pt: argmin(Jet, \"pt\").pt
    mjj: p4sum(Jet[0:2]).mass
    mt_hardest_met: mt(argmax(Jet, Jet.pt), MET)
    all_jets_pt: p4sum(Jet).pt
    all_jets_eta: p4sum(Jet).eta
categories:
  all: [passthrough]
  forward: [\"any(Jet, abs(Jet.eta) > 2.4)\"]
  central: [\"all(Jet, abs(Jet.eta) < 2.4)\"]
histograms:
  best_btag_pt: {axes: [{coll: events, field: best_btag_pt, bins: 50, start: 0, stop: 200}]}
  closest_mass_eta: {axes: [{coll: events, field: closest_mass_eta, bins: 48, start: -4.8, stop: 4.8}]}
  lowest_pt: {axes: [{coll: events, field: lowest_pt, bins: 50, start: 0, stop: 100}]}
  mjj: {axes: [{coll: events, field: mjj, bins: 50, start: 0, stop: 500}]}
  mt_hardest_met: {axes: [{coll: events, field: mt_hardest_met, bins: 50, start: 0, stop: 300}]}
  mt_jets_met: {axes: [{expr: \"mt(Jet, MET)\", name: mt, bins: 50, start: 0, stop: 300}]}
  all_jets_pt: {axes: [{coll: events, field: all_jets_pt, bins: 50, start: 0, stop: 300}]}
  all_jets_eta: {axes: [{coll: events, field: all_jets_eta, bins: 50, start: -5, stop: 5}]}
  dphi_mu_met: {axes: [{expr: \"delta_phi(Muon[0], MET)\", name: d, bins: 40, start: -4, stop: 4}]}
  dphi_jets_met: {axes: [{expr: \"delta_phi(Jet, MET)\", name: d, bins: 40, start: -4, stop: 4}]}
  dr_jets_mu: {axes: [{expr: \"delta_r(Jet, Muon[0])\", name: d, bins: 30, start: 0, stop: 6}]}
  jets_mu_mass: {axes: [{expr: \"(p4sum(Jet) + Muon[0]).mass\", name: m, bins: 50, start: 0, stop: 1000}]}
  jets_jets_pt: {axes: [{expr: \"(p4sum(Jet[0:1]) + p4sum(Jet[1:2])).pt\", name: pt, bins: 50, start: 0, stop: 300}]}
  jet_mu_mass: {axes: [{expr: \"(Jet + Muon[0]).mass\", name: m, bins: 50, start: 0, stop: 500}]}
";

fn flow(h: &Value) -> Vec<f64> {
    let mut v = vec![h["underflow_sumw"].as_f64().unwrap()];
    v.extend(
        h["sumw"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap()),
    );
    v.push(h["overflow_sumw"].as_f64().unwrap());
    v
}

#[test]
#[ignore = "needs Python with uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn best_objects_and_any_all_equal_awkward() {
    let dir = tmpdir("best", "objects");
    let cfg = common::extending(&dir, "best", "examples/adl/analysis.yaml", CONFIG);
    let out = dir.join("out");
    run_ok(
        cfg.to_str().unwrap(),
        out.to_str().unwrap(),
        &["-c", "1000"],
    );
    let mine: Value = serde_json::from_str(&dump(&out)).unwrap();
    let file = root().join("examples/zmumu/data/tt_2018_small.root");
    let reference = common::python_json("tests/python/best_objects.py", &file);
    let mut checked = 0;
    for (name, by_cat) in reference.as_object().unwrap() {
        for (cat, want) in by_cat.as_object().unwrap() {
            let h = &mine["histograms"][name]["TTTo2L2Nu"]["TTTo2L2Nu_2018"][cat]["nominal"];
            let want: Vec<f64> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert_eq!(flow(h), want, "{name} in {cat}");
            assert!(want.iter().sum::<f64>() > 0.0, "{name} in {cat} is empty");
            checked += 1;
        }
    }
    assert_eq!(checked, 42);
}

/// `Muon.flavour: 13` gives every muon the field, kept through `concat`.
#[test]
fn a_constant_field_is_the_same_for_every_object() {
    let dir = tmpdir("best", "constant");
    let cfg = dir.join("constant.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\n\
             workflow:\n  objects:\n    Muon.flavour: 13\n    Electron.flavour: 11\n\
             \x20   Lepton: concat(Muon, Electron)\n  counts:\n    nMu: count(Muon)\n\
             \x20   nEle: count(Electron)\n\
             histograms:\n\
             \x20 flavour: {{axes: [{{coll: Lepton, field: flavour, type: int, start: 0, stop: 20}}], only_categories: [all]}}\n\
             \x20 nMu: {{axes: [{{coll: events, field: nMu, type: int, start: 0, stop: 50}}], only_categories: [all]}}\n\
             \x20 nEle: {{axes: [{{coll: events, field: nEle, type: int, start: 0, stop: 50}}], only_categories: [all]}}\n",
            root().join("examples/adl/analysis.yaml").display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    let j: Value = serde_json::from_str(&dump(&out)).unwrap();
    let bins = |name: &str| -> Vec<f64> {
        j["histograms"][name]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["all"]["nominal"]["sumw"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let objects = |name: &str| -> f64 {
        bins(name)
            .iter()
            .enumerate()
            .map(|(k, n)| k as f64 * n)
            .sum()
    };
    let f = bins("flavour");
    let (mu, ele) = (objects("nMu"), objects("nEle"));
    assert!(mu > 0.0 && ele > 0.0);
    assert_eq!((f[13], f[11]), (mu, ele));
    assert_eq!(f.iter().sum::<f64>(), mu + ele);
}
