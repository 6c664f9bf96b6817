//! A calibration that cannot run is refused by `cortado check` before any
//! event is read, naming what is wrong: an unknown calibrator, a shape
//! variation of a calibrator not in the sequence, a missing correction
//! file, a JES source the file lacks (with the closest names), a JES
//! variation without its b-tag SF, a branch the files lack. Runs on the tt̄
//! example.

mod common;

/// Writes a configuration extending the tt̄ example (with `params`, an extra
/// parameter file, when not empty) and runs `cortado check`.
fn check(name: &str, body: &str, params: &str, base: &str) -> (bool, String, String) {
    let dir = common::tmpdir("calib-errors", name);
    let ex = common::root().join(base);
    let mut text = format!("extends: {}\n{body}", ex.join("analysis.yaml").display());
    if !params.is_empty() {
        std::fs::write(dir.join("extra.yaml"), params).unwrap();
        let p = ex.join("params");
        text += &format!(
            "parameters:\n  dirs: {{config_dir: {p}}}\n  files: [{p}/object_preselection.yaml, \
             {p}/lumi.yaml, {p}/corrections.yaml, {}]\n",
            dir.join("extra.yaml").display(),
            p = p.display()
        );
    }
    let cfg = dir.join("analysis.yaml");
    std::fs::write(&cfg, text).unwrap();
    let o = common::cortado(&["check", "--cfg", cfg.to_str().unwrap()]);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

fn fails_with(name: &str, body: &str, params: &str, needles: &[&str]) {
    let (ok, err, _) = check(name, body, params, "examples/ttbar");
    assert!(!ok, "{name}: expected an error");
    for n in needles {
        assert!(err.contains(n), "{name}: missing {n:?} in:\n{err}");
    }
}

#[test]
fn the_ttbar_example_is_valid_and_check_says_what_varies() {
    let (ok, err, out) = check("valid", "", "", "examples/ttbar");
    assert!(ok, "{err}");
    for line in [
        "calibrated: Jet as AK4PFchs: JEC, JER (Summer19UL18_JRV2_MC), re-sorted by pt",
        "calibrated: MET: type-1 from RawMET and Jet, CorrT1METJet",
        "shape variations (12): AK4PFchs_JES_TotalUp",
        "evaluated again in each shape variation: JetGood, BJetGood, nJetGood, nBJetGood, \
         JetGood_Ht, the preselection",
        "calibrated: MET: the raw MET (RawMET; the MET calibration is off)",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn unknown_and_missing_calibrators() {
    fails_with(
        "unknown",
        "calibrators: [jet_calibrations]\n",
        "",
        &[
            "unknown calibrator 'jet_calibrations'",
            "did you mean 'jet_calibration'",
        ],
    );
    fails_with(
        "not-in-sequence",
        "calibrators: [jet_calibration]\n",
        "",
        &["'met_type1_calibration' is not in the calibrators"],
    );
    fails_with(
        "not-yet",
        "calibrators: [jet_calibration, electron_scale_and_smearing]\n",
        "",
        &["'electron_scale_and_smearing'", "not in cortado yet"],
    );
}

#[test]
fn missing_file_and_unknown_jes_source() {
    fails_with(
        "missing-file",
        "",
        "jets_calibration:\n  jet_types:\n    AK4PFchs:\n      \"2018\":\n        json_path: /nonexistent/jet_jerc.json.gz\n",
        &["jet calibration AK4PFchs (2018, MC)", "/nonexistent/jet_jerc.json.gz", "jets_calibration.jet_types.AK4PFchs.2018.json_path"],
    );
    fails_with(
        "jes-source",
        "",
        "jets_calibration:\n  variations:\n    AK4PFchs:\n      \"2018\": [JES_Totl, JER]\n",
        &[
            "Summer19UL18_V5_MC_Totl_AK4PFchs",
            "Summer19UL18_V5_MC_Total_AK4PFchs",
        ],
    );
    fails_with(
        "variation-name",
        "",
        "jets_calibration:\n  variations:\n    AK4PFchs:\n      \"2018\": [Total]\n",
        &["unknown jet variation 'Total'", "JES_<source>"],
    );
}

#[test]
fn a_jes_variation_without_its_btag_sf() {
    fails_with(
        "btag-jes",
        "",
        "jets_calibration:\n  variations:\n    AK4PFchs:\n      \"2018\": [JES_FlavorPureBottom]\n",
        &[
            "sf_btag",
            "AK4PFchs_JES_FlavorPureBottomUp",
            "up_jesFlavorPureBottom",
            "deepJet_shape",
        ],
    );
}

#[test]
fn a_branch_the_files_lack() {
    // the Z→μμ example's files have no Jet_area
    let (ok, err, _) = check(
        "no-area",
        "calibrators: [jet_calibration]\n",
        "",
        "examples/zmumu",
    );
    assert!(!ok);
    for n in ["Jet_area", "jet calibration AK4PFchs"] {
        assert!(err.contains(n), "missing {n:?} in:\n{err}");
    }
}

#[test]
fn raw_branches_of_a_calibrated_collection_after_the_skim() {
    fails_with(
        "raw-branch",
        "workflow:\n  variables:\n    nMis: sum(Jet.eta != Jet_eta)\n",
        "",
        &["definition 'nMis' reads 'Jet_eta'", "write Jet.eta"],
    );
    // the skim runs before the calibration: there the files' branches are right
    let (ok, err, _) = check(
        "raw-skim",
        "skim:\n  - {name: onejet, expr: \"sum(Jet_pt > 20) >= 1\"}\n",
        "",
        "examples/ttbar",
    );
    assert!(ok, "{err}");
}

#[test]
fn shape_variations_of_a_subsample_are_refused() {
    fails_with(
        "subsample",
        "datasets:\n  subsamples:\n    TTTo2L2Nu:\n      hi: [nJetGood >= 3]\n\
         variations:\n  shape:\n    bysample:\n      TTTo2L2Nu__hi: {inclusive: [jet_calibration]}\n",
        "",
        &["unknown sample 'TTTo2L2Nu__hi'", "did you mean 'TTTo2L2Nu'"],
    );
}

#[test]
fn puppi_met_takes_its_unclustered_shifts() {
    // PuppiMET stores its unclustered-energy shifts as ptUnclusteredUp/Down (not
    // MetUnclustEnUpDeltaX/Y): the type-1 PuppiMET varies with them
    let dir = common::tmpdir("calib-errors", "puppi");
    let jerc = common::root().join("examples/ttbar/corrections/jet_jerc.json.gz");
    std::fs::write(
        dir.join("params.yaml"),
        format!(
            "jets_calibration:\n  jet_types:\n    AK4PFchs:\n      \"2018\": &t\n        json_path: {}\n\
             \x20       jer: Summer19UL18_JRV2_MC\n    AK4CorrT1METJetchs:\n      \"2018\": *t\n\
             met_calibration:\n  \"2018\":\n    MET_collection: PuppiMET\n    RawMET_collection: RawPuppiMET\n",
            jerc.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("fileset.json"),
        format!(
            "{{\"PF_2018\": {{\"metadata\": {{\"sample\": \"PF\", \"year\": \"2018\", \"isMC\": \"True\", \
             \"xsec\": \"1.0\"}}, \"files\": [\"{}\"]}}}}",
            common::root().join("tests/data/nanoaod/pfnano.root").display()
        ),
    )
    .unwrap();
    let cfg = dir.join("analysis.yaml");
    std::fs::write(
        &cfg,
        "parameters:\n  files: [params.yaml]\ndatasets:\n  jsons: [fileset.json]\n\
         calibrators: [jet_calibration, met_type1_calibration]\n\
         workflow:\n  objects:\n    JetGood: Jet[Jet.pt > 30]\n\
         skim: []\npreselections: []\ncategories: {all: [passthrough]}\n\
         weights: {common: {inclusive: [genWeight]}}\n\
         variations: {shape: {common: {inclusive: [met_type1_calibration]}}}\n\
         histograms:\n  met:\n    axes: [{coll: PuppiMET, field: pt, bins: 5000, start: 0, stop: 500, label: met}]\n",
    )
    .unwrap();
    let out = dir.join("out");
    common::run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    let v: serde_json::Value = serde_json::from_str(&common::dump(&out)).unwrap();
    let h = &v["histograms"]["met"]["PF"]["PF_2018"]["all"];
    assert!(
        h["unclust_EnUp"]["sumw"] != h["nominal"]["sumw"],
        "PuppiMET did not vary"
    );
    assert!(h["unclust_EnDown"]["sumw"] != h["unclust_EnUp"]["sumw"]);
}
