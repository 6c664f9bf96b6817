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

#[test]
fn data_take_the_jec_of_their_era_when_asked() {
    // Run-2 data are not recalibrated by default (apply_jec_Data, met_calibration.apply_data);
    // turned on, the data of era A get Summer19UL18_RunA_V5_DATA and the type-1 MET
    let dir = common::tmpdir("ttbar", "data-jec");
    let ex = common::root().join("examples/ttbar");
    std::fs::write(
        dir.join("extra.yaml"),
        "jets_calibration:\n  apply_jec_Data:\n    \"2018\":\n      AK4PFchs: true\n\
         met_calibration:\n  \"2018\":\n    apply_data: true\n",
    )
    .unwrap();
    let p = ex.join("params");
    let cfg = dir.join("analysis.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\nparameters:\n  dirs: {{config_dir: {p}}}\n  files: [{p}/object_preselection.yaml, \
             {p}/lumi.yaml, {p}/corrections.yaml, {}]\n",
            ex.join("analysis.yaml").display(),
            dir.join("extra.yaml").display(),
            p = p.display()
        ),
    )
    .unwrap();
    let check = common::ok(&["check", "--cfg", cfg.to_str().unwrap()]);
    let data = check
        .split("dataset DATA_SingleMuon_2018_EraA")
        .nth(1)
        .unwrap();
    assert!(data.contains("calibrated: Jet as AK4PFchs: JEC"), "{data}");
    assert!(!data.contains("JER"), "data are not smeared: {data}");
    assert!(
        data.contains("calibrated: MET: type-1 from RawMET and Jet"),
        "{data}"
    );
    let out = dir.join("out");
    common::run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    let with: J = serde_json::from_str(&common::dump(&out)).unwrap();
    let without = run("data-nojec", &[]);
    let met = |v: &J| v["histograms"]["met_pt"]["DATA_SingleMuon"].clone();
    assert!(met(&with) != met(&without), "the data's MET did not change");
}

#[test]
fn shape_variations_by_category_and_by_sample() {
    // jet variations in the 2b category only, and for tt̄ only; the MET's for every sample
    let dir = common::tmpdir("ttbar", "bycat");
    let cfg = dir.join("analysis.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\nvariations:\n  shape:\n    common:\n      inclusive: [met_type1_calibration]\n\
             \x20   bysample:\n      TTTo2L2Nu:\n        bycategory: {{\"2b\": [jet_calibration]}}\n",
            common::root().join("examples/ttbar/analysis.yaml").display()
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    common::run_ok(cfg.to_str().unwrap(), out_dir.to_str().unwrap(), &[]);
    let out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
    let tt = &out["histograms"]["jets_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"];
    // 2b: filled with the varied jets
    assert!(sumw(&tt["2b"]["AK4PFchs_JES_TotalUp"]) > 0.0);
    assert!(tt["2b"]["AK4PFchs_JES_TotalUp"] != tt["2b"]["nominal"]);
    // 1b: the bin exists and stays empty, as PocketCoffea leaves it
    assert!(sumw(&tt["1b"]["nominal"]) > 0.0);
    assert_eq!(sumw(&tt["1b"]["AK4PFchs_JES_TotalUp"]), 0.0);
    // the MET variations everywhere
    assert!(sumw(&tt["1b"]["unclust_EnUp"]) > 0.0);
    // Drell-Yan: its passes are the nominal and the MET's, no jet variation
    let mut dy: Vec<&String> = out["cutflow"]["presel"]["DYJetsToLL_M-50_2018"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    dy.sort();
    assert_eq!(dy, ["nominal", "unclust_EnDown", "unclust_EnUp"]);
}

#[test]
fn a_chunk_whose_nominal_selection_is_empty_keeps_every_variation() {
    // a selection no nominal event passes but some varied ones do (HT in a narrow window)
    let dir = common::tmpdir("ttbar", "empty-nominal");
    let cfg = dir.join("analysis.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ndatasets:\n  filter: {{samples: [TTTo2L2Nu]}}\n\
             preselections:\n  - {{name: window, expr: \"nJetGood >= 2 and JetGood_Ht >= 224.0 and JetGood_Ht < 224.5\"}}\n",
            common::root().join("examples/ttbar/analysis.yaml").display()
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    common::run_ok(cfg.to_str().unwrap(), out_dir.to_str().unwrap(), &[]);
    let out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
    let presel = &out["cutflow"]["presel"]["TTTo2L2Nu_2018"];
    assert_eq!(presel["nominal"], 0, "{presel}");
    let passing: Vec<&String> = presel
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, n)| n.as_u64() != Some(0))
        .map(|(k, _)| k)
        .collect();
    assert!(
        !passing.is_empty(),
        "no variation passes the window: {presel}"
    );
    // every histogram has all 41 variations in every category, the empty ones included
    let h = &out["histograms"]["jets_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"];
    for cat in ["0b", "1b", "2b"] {
        let n = h[cat].as_object().map_or(0, |m| m.len());
        assert_eq!(n, 41, "{cat}");
        assert_eq!(sumw(&h[cat]["nominal"]), 0.0);
    }
    assert!(out["cutflow"]["2b"]["TTTo2L2Nu_2018"]["TTTo2L2Nu"]["nominal"].is_u64());
    // and the UHI export has them all on its variation axis
    let uhi = common::ok(&["dump", out_dir.to_str().unwrap(), "--uhi"]);
    assert!(uhi.contains("AK4PFchs_JERUp") && uhi.contains("\"nominal\""));
}
