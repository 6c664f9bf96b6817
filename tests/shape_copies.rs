//! A shape-variation pass whose events, categories and weights are the
//! nominal pass's copies the nominal histograms that read nothing varied,
//! and is skipped when no histogram reads anything varied
//! (`cortado_engine::calib::deps::Varies`). Checked against the same
//! analysis where a preselection that reads the jets (and is always true)
//! forces every pass to be computed: the outputs are identical. Runs on the
//! tt̄ example's files.

mod common;

use serde_json::Value as J;

/// The analysis; `jets_in_presel` adds an always-true term reading the jets.
fn config(dir: &std::path::Path, name: &str, jets_in_presel: bool, all_hists: bool) -> String {
    let ex = common::root().join("examples/ttbar");
    let presel = if jets_in_presel {
        "nMuonGood >= 1 and count(Jet) >= 0"
    } else {
        "nMuonGood >= 1"
    };
    let jet_hists = if all_hists {
        "  jets_pt:\n    axes: [{coll: JetGood, field: pt, bins: 50, start: 0, stop: 500, label: pt}]\n\
         \x20 met_pt:\n    axes: [{coll: MET, field: pt, bins: 40, start: 0, stop: 400, label: met}]\n"
    } else {
        ""
    };
    let text = format!(
        "parameters:\n  dirs: {{config_dir: {p}}}\n  files: [{p}/object_preselection.yaml, {p}/lumi.yaml, {p}/corrections.yaml]\n\
         datasets:\n  jsons: [{ds}]\n  filter: {{samples: [TTTo2L2Nu, DYJetsToLL]}}\n\
         calibrators: [jet_calibration, met_type1_calibration]\n\
         workflow:\n  objects:\n\
         \x20   MuonGood: lepton_selection(Muon)\n\
         \x20   JetGood: Jet[(Jet.pt > 30) & (abs(Jet.eta) < 2.4)]\n\
         \x20 counts:\n    nMuonGood: count(MuonGood)\n\
         skim: []\n\
         preselections:\n  - {{name: mu, expr: \"{presel}\"}}\n\
         categories:\n  all: [passthrough]\n  twomu: [nMuonGood >= 2]\n\
         weights:\n  common: {{inclusive: [genWeight, lumi, XS, pileup, sf_mu_id]}}\n\
         variations:\n  weights:\n    common: {{inclusive: [pileup, sf_mu_id]}}\n\
         \x20 shape:\n    common: {{inclusive: [jet_calibration, met_type1_calibration]}}\n\
         histograms:\n\
         \x20 mu1_pt:\n    axes: [{{coll: MuonGood, field: pt, pos: 0, bins: 50, start: 0, stop: 200, label: pt}}]\n\
         \x20 nmu:\n    axes: [{{coll: events, field: nMuonGood, bins: 5, start: 0, stop: 5, label: n}}]\n\
         {jet_hists}",
        p = ex.join("params").display(),
        ds = ex.join("datasets/fileset.json").display(),
    );
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn run(dir: &std::path::Path, cfg: &str, name: &str) -> J {
    let out = dir.join(format!("out_{name}"));
    common::run_ok(cfg, out.to_str().unwrap(), &[]);
    let mut v: J = serde_json::from_str(&common::dump(&out)).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("datasets_metadata");
    v
}

#[test]
fn copied_and_skipped_passes_equal_computed_ones() {
    let dir = common::tmpdir("shape-copies", "run");
    for all_hists in [true, false] {
        let tag = if all_hists { "some" } else { "none" };
        let fast = run(
            &dir,
            &config(&dir, &format!("fast_{tag}"), false, all_hists),
            &format!("fast_{tag}"),
        );
        let full = run(
            &dir,
            &config(&dir, &format!("full_{tag}"), true, all_hists),
            &format!("full_{tag}"),
        );
        for key in ["histograms", "cutflow", "sumw", "sumw2"] {
            assert!(
                fast[key] == full[key],
                "{key} differ ({tag} varying histograms)"
            );
        }
        // the shape variations are there, and (with jet histograms) differ from nominal
        let h = &fast["histograms"]["mu1_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["all"];
        assert!(h.get("AK4PFchs_JES_TotalUp").is_some());
        assert!(h["AK4PFchs_JES_TotalUp"] == h["nominal"]);
        if all_hists {
            let j = &fast["histograms"]["jets_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["all"];
            assert!(j["AK4PFchs_JES_TotalUp"] != j["nominal"]);
        }
    }
}
