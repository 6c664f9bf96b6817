//! Weights from correctionlib corrections declared in the configuration:
//! the same numbers as the weight written as expressions (per-object values
//! multiplied over each event's muons; variations), and every mistake in a
//! declaration an error at its line before any event is read.

mod common;

use std::path::{Path, PathBuf};

use common::{close, cortado, root};
use serde_json::Value;

fn toy() -> String {
    root()
        .join("tests/data/corrections/toy_muon_sf.json")
        .display()
        .to_string()
}

/// The Z->mumu example with `body` appended (weights, custom weights).
fn config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    let text = format!(
        "extends: {}\n{body}",
        root().join("examples/zmumu/analysis.yaml").display()
    );
    std::fs::write(&p, text).unwrap();
    p
}

const APPLY: &str = "weights:
  common:
    inclusive: [genWeight, lumi, XS, sf_toy, pu_toy]
    bycategory: {}
  bysample: {}
variations:
  weights:
    common: {inclusive: [sf_toy, pu_toy], bycategory: {}}
    bysample: {}
";

#[test]
fn a_correction_weight_equals_the_same_weight_as_expressions() {
    let dir = common::tmpdir("corrw", "same");
    let corr = config(
        &dir,
        "corr",
        &format!(
            "custom_weights:
  sf_toy:
    correction: {{file: {f}, name: toy_sf}}
    inputs: {{abseta: abs(MuonGood.eta), pt: MuonGood.pt}}
    variations: {{input: syst, nominal: nominal, up: up, down: down}}
  pu_toy:
    correction: {{file: {f}, name: toy_pileup}}
    inputs: {{NumTrueInteractions: PV_npvsGood}}
    variations: {{input: weights, nominal: nominal, up: up, down: down}}
{APPLY}",
            f = toy()
        ),
    );
    let expr = config(
        &dir,
        "expr",
        &format!(
            "custom_weights:
  sf_toy:
    nominal: prod(where(MuonGood.pt < 40, 0.9, 1.1))
    up: prod(where(MuonGood.pt < 40, 0.945, 1.155))
    down: prod(where(MuonGood.pt < 40, 0.855, 1.045))
  pu_toy:
    nominal: 1.0 + 0.01 * PV_npvsGood
    up: 1.0 + 0.02 * PV_npvsGood
    down: \"1.0\"
{APPLY}"
        ),
    );
    let (a, b) = (dir.join("a"), dir.join("b"));
    common::run_ok(corr.to_str().unwrap(), a.to_str().unwrap(), &[]);
    common::run_ok(expr.to_str().unwrap(), b.to_str().unwrap(), &[]);
    let da: Value = serde_json::from_str(&common::dump(&a)).unwrap();
    let db: Value = serde_json::from_str(&common::dump(&b)).unwrap();
    let vars = da["histograms"]["mll"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"]
        .as_object()
        .unwrap();
    assert_eq!(
        vars.keys().collect::<Vec<_>>(),
        [
            "nominal",
            "pu_toyDown",
            "pu_toyUp",
            "sf_toyDown",
            "sf_toyUp"
        ]
    );
    // the variations change the numbers
    assert_ne!(vars["nominal"]["sumw"], vars["sf_toyUp"]["sumw"]);
    // the same float64 arithmetic (an integer input): equal to the last bits
    let mut diffs = Vec::new();
    close(&da, &db, "", 1e-12, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn check_fails(dir: &Path, name: &str, weight: &str, needles: &[&str]) {
    let cfg = config(
        dir,
        name,
        &format!(
            "custom_weights:\n  sf_toy:\n{weight}\n  pu_toy: {{nominal: \"1.0\", up: \"1.0\", down: \"1.0\"}}\n{APPLY}"
        ),
    );
    let o = cortado(&["check", "--cfg", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{name}: accepted");
    for n in needles {
        assert!(err.contains(n), "{name}: no {n:?} in:\n{err}");
    }
}

#[test]
fn mistakes_in_a_correction_weight_are_errors_at_their_line() {
    let dir = common::tmpdir("corrw", "errors");
    let f = toy();
    let ok_inputs = "    inputs: {abseta: abs(MuonGood.eta), pt: MuonGood.pt}";
    let ok_var = "    variations: {input: syst, nominal: nominal, up: up, down: down}";
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "missing file",
            format!("    correction: {{file: {f}.nope, name: toy_sf}}\n{ok_inputs}\n{ok_var}"),
            vec!["weight 'sf_toy'", "toy_muon_sf.json.nope"],
        ),
        (
            "unknown correction",
            format!("    correction: {{file: {f}, name: toy_sff}}\n{ok_inputs}\n{ok_var}"),
            vec!["toy_sff", "did you mean 'toy_sf'"],
        ),
        (
            "unknown input",
            format!(
                "    correction: {{file: {f}, name: toy_sf}}\n    inputs: {{abseta: abs(MuonGood.eta), ptt: MuonGood.pt}}\n{ok_var}"
            ),
            vec!["needs input 'pt'"],
        ),
        (
            "extra input",
            format!(
                "    correction: {{file: {f}, name: toy_sf}}\n    inputs: {{abseta: abs(MuonGood.eta), pt: MuonGood.pt, eta: MuonGood.eta}}\n{ok_var}"
            ),
            vec!["has no input 'eta'", "abseta, pt, syst"],
        ),
        (
            "bad variation key",
            format!(
                "    correction: {{file: {f}, name: toy_sf}}\n{ok_inputs}\n    variations: {{input: syst, nominal: nominal, up: systup, down: down}}"
            ),
            vec!["'systup' is not a value of input 'syst'", "\"nominal\""],
        ),
        (
            "a collection as input",
            format!(
                "    correction: {{file: {f}, name: toy_sf}}\n    inputs: {{abseta: abs(MuonGood.eta), pt: MuonGood}}\n{ok_var}"
            ),
            vec!["input 'pt'", "needs a number per event or per object"],
        ),
        (
            "two collections",
            format!(
                "    correction: {{file: {f}, name: toy_sf}}\n    inputs: {{abseta: abs(MuonGood.eta), pt: JetGood.pt}}\n{ok_var}"
            ),
            vec!["input 'pt' is per object of another collection"],
        ),
    ];
    for (name, weight, needles) in cases {
        check_fails(&dir, &name.replace(' ', "_"), &weight, &needles);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn common_weights_without_local_correction_files_say_which_parameter_to_set() {
    let dir = common::tmpdir("corrw", "cvmfs");
    let cfg = config(
        &dir,
        "pu",
        // the example's parameter files without its local correction files
        &format!(
            "parameters:\n  files: [{p}/object_preselection.yaml, {p}/triggers.yaml]\n\
             weights:\n  common:\n    inclusive: [genWeight, lumi, XS, pileup]\n    bycategory: {{}}\n  bysample: {{}}\n\
             variations:\n  weights:\n    common: {{inclusive: []}}\n",
            p = root().join("examples/zmumu/params").display()
        ),
    );
    let o = cortado(&["check", "--cfg", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("weight 'pileup'")
            && err.contains("/cvmfs/")
            && err.contains("pileupJSONfiles.2018.file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn common_weights_not_there_yet_say_so() {
    let dir = common::tmpdir("corrw", "notyet");
    let cfg = config(
        &dir,
        "ctag",
        "weights:\n  common:\n    inclusive: [genWeight, lumi, XS, sf_ctag]\n    bycategory: {}\n  bysample: {}\n",
    );
    let o = cortado(&["check", "--cfg", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("ctag.yaml:4:")
            && err.contains(
                "'sf_ctag' is one of PocketCoffea's common weights that cortado does not have yet"
            ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
