//! What `cortado dump` says about an output: which datasets were normalised
//! (and which not, with the reason), and the totals of each histogram.

mod common;

use common::{dump, ok, root, run_ok, tmpdir};
use serde_json::Value;

#[test]
fn normalisation_is_said_per_dataset() {
    let dir = tmpdir("dump", "norm");
    let out = dir.join("with");
    run_ok("examples/zmumu/analysis.yaml", out.to_str().unwrap(), &[]);
    let text = ok(&["dump", out.to_str().unwrap()]);
    assert!(
        text.contains(
            "normalised: postprocessed; divided by their sum of genWeight (or of its sign, with \
             signOf_genWeight): DYJetsToLL_M-50_2018, TTTo2L2Nu_2018; not scaled (data, or \
             simulation without genWeight or signOf_genWeight among its inclusive weights, as in \
             PocketCoffea): DATA_SingleMuon_2018_EraA"
        ),
        "{text}"
    );

    // simulation weighted without genWeight is not divided by it, and dump says so
    let cfg = dir.join("no_genweight.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\nweights:\n  common: {{inclusive: [lumi, XS]}}\n\
             variations:\n  weights:\n    common: {{inclusive: []}}\n",
            root().join("examples/zmumu/analysis.yaml").display()
        ),
    )
    .unwrap();
    let out2 = dir.join("without");
    run_ok(cfg.to_str().unwrap(), out2.to_str().unwrap(), &[]);
    let text = ok(&["dump", out2.to_str().unwrap()]);
    assert!(
        text.contains("normalised: postprocessed; not scaled (data, or simulation without")
            && text.contains("DYJetsToLL_M-50_2018, TTTo2L2Nu_2018"),
        "{text}"
    );
}

#[test]
fn each_histogram_has_its_total_and_effective_entries() {
    let dir = tmpdir("dump", "entries");
    let out = dir.join("o");
    run_ok("examples/zmumu/analysis.yaml", out.to_str().unwrap(), &[]);
    let j: Value = serde_json::from_str(&dump(&out)).unwrap();
    let h = &j["histograms"]["mll"]["DATA_SingleMuon"]["DATA_SingleMuon_2018_EraA"]["baseline"]
        ["nominal"];
    let sum: f64 = h["sumw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum::<f64>()
        + h["underflow_sumw"].as_f64().unwrap()
        + h["overflow_sumw"].as_f64().unwrap();
    assert_eq!(h["sumw_total"].as_f64().unwrap(), sum);
    // data: every weight is 1, the effective entries are the events filled
    assert_eq!(h["effective_entries"].as_f64().unwrap(), sum);
    // ... the events of the category (every data event has one mll)
    let n = j["cutflow"]["baseline"]["DATA_SingleMuon_2018_EraA"]["DATA_SingleMuon"]["nominal"]
        .as_f64()
        .unwrap();
    assert_eq!(sum, n);
    assert_eq!(h["entries"].as_f64().unwrap(), n);
    let mc = &j["histograms"]["mll"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"]["nominal"];
    let (t, e) = (
        mc["sumw_total"].as_f64().unwrap(),
        mc["effective_entries"].as_f64().unwrap(),
    );
    assert!(t > 0.0 && e > 0.0 && e.is_finite(), "{t} {e}");
    // the values filled: one mll per event of the category, whatever its weight
    let n_mc = j["cutflow"]["baseline"]["DYJetsToLL_M-50_2018"]["DYJetsToLL"]["nominal"]
        .as_f64()
        .unwrap();
    assert!(n_mc > 0.0 && n_mc != t);
    assert_eq!(mc["entries"].as_f64().unwrap(), n_mc);
}
