//! The shipped tt̄ example (`examples/ttbar`) runs on a fresh clone: every
//! simulated histogram carries the nominal, the 28 weight variations and the
//! 12 shape variations; data carry none; the shape variations change what
//! they should; the result does not depend on threads.

mod common;

use serde_json::Value as J;

const SHAPE: [&str; 12] = [
    "AK4PFchs_JERDown",
    "AK4PFchs_JERUp",
    "AK4PFchs_JES_AbsoluteMPFBiasDown",
    "AK4PFchs_JES_AbsoluteMPFBiasUp",
    "AK4PFchs_JES_FlavorQCDDown",
    "AK4PFchs_JES_FlavorQCDUp",
    "AK4PFchs_JES_RelativeBalDown",
    "AK4PFchs_JES_RelativeBalUp",
    "AK4PFchs_JES_TotalDown",
    "AK4PFchs_JES_TotalUp",
    "unclust_EnDown",
    "unclust_EnUp",
];

fn run(name: &str, extra: &[&str]) -> J {
    let dir = common::tmpdir("ttbar", name);
    let out = dir.join("out");
    common::run_ok("examples/ttbar/analysis.yaml", out.to_str().unwrap(), extra);
    serde_json::from_str(&common::dump(&out)).unwrap()
}

fn sumw(h: &J) -> f64 {
    h["sumw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum()
}

#[test]
fn the_ttbar_example_fills_every_variation() {
    let out = run("one", &["-j", "1"]);
    let h = &out["histograms"]["met_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["2b"];
    let vars: Vec<&String> = h.as_object().unwrap().keys().collect();
    assert_eq!(vars.len(), 41, "{vars:?}");
    for v in SHAPE {
        assert!(h.get(v).is_some(), "no {v}");
    }
    for w in [
        "sf_btag_hfUp",
        "sf_btag_cferr1Down",
        "pileupUp",
        "sf_partonshower_isrDown",
    ] {
        assert!(h.get(w).is_some(), "no {w}");
    }
    // the JES variations move the MET; the unclustered energy too
    let nominal = sumw(&h["nominal"]);
    assert!(nominal > 0.0);
    assert_ne!(h["AK4PFchs_JES_TotalUp"]["sumw"], h["nominal"]["sumw"]);
    assert_ne!(h["unclust_EnUp"]["sumw"], h["nominal"]["sumw"]);
    // the preselection and category counts per variation
    let presel = &out["cutflow"]["presel"]["TTTo2L2Nu_2018"];
    for v in SHAPE.iter().chain(&["nominal"]) {
        assert!(presel[*v].as_u64().is_some(), "no presel count for {v}");
    }
    assert_ne!(
        presel["AK4PFchs_JES_TotalUp"],
        presel["AK4PFchs_JES_TotalDown"]
    );
    // data: no variation axis, raw MET (met_calibration.apply_data is off for 2018)
    let d = &out["histograms"]["met_pt"]["DATA_SingleMuon"]["DATA_SingleMuon_2018_EraA"]["2b"];
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["nominal"]);
    assert_eq!(d["nominal"]["has_variation_axis"], false);
    // the same with two threads
    let two = run("two", &["-j", "2"]);
    assert!(
        out["histograms"] == two["histograms"],
        "the result depends on the number of threads"
    );
}
