//! Shape variations end to end: `cortado run` with the jet calibration (JEC,
//! JER, four JES sources) and the type-1 MET, every variation's selection,
//! categories and histograms compared bin by bin with the same analysis
//! computed independently from the Python correctionlib, NumPy and hist
//! (`tests/python/shape_histograms.py`).
//!
//! Needs ../shared (the synthetic and NanoAOD files, the 2018 UL JERC file)
//! and `$CORTADO_TEST_PYTHON` with correctionlib, uproot, awkward and hist;
//! `.ci/run` runs it with `--include-ignored`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;

fn python() -> String {
    std::env::var("CORTADO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "CORTADO_TEST_PYTHON is not set: it must name a Python with correctionlib, uproot, \
             awkward and hist"
        )
    })
}

fn shared() -> PathBuf {
    let p = common::root().join("../shared");
    assert!(p.is_dir(), "../shared is missing");
    p
}

/// The JES sources of `tests/configs/shape/params.yaml`.
const SOURCES: &str = "Total,FlavorQCD,RelativeBal";

/// What the reference computes.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Unweighted jet histograms.
    Jets,
    /// Unweighted type-1 MET histograms.
    Met,
    /// The number of good jets weighted with sf_btag.
    Btag,
}

/// The reference histograms of `file` (relative to ../shared/data).
fn reference(file: &str, mode: Mode, dir: &Path) -> J {
    let out = dir.join(format!("ref_{}_{mode:?}.json", file.replace('/', "_")));
    let mut cmd = Command::new(python());
    cmd.arg(common::root().join("tests/python/shape_histograms.py"))
        .arg(shared().join("data").join(file))
        .arg(shared().join("data/corrections/2018_UL/jet_jerc.json.gz"))
        .arg(&out)
        .args(["--sources", SOURCES]);
    match mode {
        Mode::Jets => {}
        Mode::Met => {
            cmd.arg("--met");
        }
        Mode::Btag => {
            cmd.arg("--btag")
                .arg(shared().join("data/corrections/2018_UL/btagging.json.gz"));
        }
    }
    let o = cmd.output().expect("run shape_histograms.py");
    assert!(
        o.status.success(),
        "shape_histograms.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// A histogram's values with the flow bins, times `scale`.
fn counts(h: &J, scale: f64) -> Vec<f64> {
    let mut v = vec![h["underflow_sumw"].as_f64().unwrap()];
    v.extend(
        h["sumw"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap()),
    );
    v.push(h["overflow_sumw"].as_f64().unwrap());
    v.iter().map(|x| x * scale).collect()
}

/// Compares cortado's output of dataset `ds` (sample `sample`) with the
/// reference: the preselected events and every histogram of the reference
/// in every category and variation. Returns the number of bins compared.
fn compare(out: &J, ds: &str, sample: &str, want: &J) -> usize {
    // unweighted histograms (no genWeight to normalise by): event counts
    let scale = 1.0;
    let presel = &out["cutflow"]["presel"][ds];
    let want_presel = want["presel"].as_object().unwrap();
    let got_vars: Vec<&String> = presel.as_object().unwrap().keys().collect();
    let want_vars: Vec<&String> = want_presel.keys().collect();
    let (mut g, mut w) = (got_vars.clone(), want_vars.clone());
    g.sort();
    w.sort();
    assert_eq!(g, w, "{ds}: the variations run");
    for (var, n) in want_presel {
        assert_eq!(&presel[var], n, "{ds}: preselected events in {var}");
    }
    let mut bins = 0;
    for (hname, by_cat) in want["hists"].as_object().unwrap() {
        for (cat, by_var) in by_cat.as_object().unwrap() {
            for (var, values) in by_var.as_object().unwrap() {
                let h = &out["histograms"][hname][sample][ds][cat][var];
                assert!(h.is_object(), "{ds}: no histogram {hname}/{cat}/{var}");
                let got = counts(h, scale);
                let want: Vec<f64> = values
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect();
                assert_eq!(got.len(), want.len(), "{hname}/{cat}/{var}: bins");
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    // counts are exact; sums of weights differ by rounding
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                        "{ds} {hname}/{cat}/{var} bin {i}: cortado {a}, reference {b}"
                    );
                }
                bins += got.len();
            }
        }
    }
    bins
}

/// The variations of histogram `h` of `sample`/`ds` in category `cat`.
fn variations(out: &J, h: &str, sample: &str, ds: &str, cat: &str) -> Vec<String> {
    out["histograms"][h][sample][ds][cat]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
#[ignore = "needs ../shared and Python with correctionlib, uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn jet_shape_variations_equal_the_python_correctionlib() {
    let dir = common::tmpdir("shape", "jets");
    let out_dir = dir.join("out");
    common::run_ok(
        "tests/configs/shape/jets.yaml",
        out_dir.to_str().unwrap(),
        &["--chunksize", "10000"],
    );
    let out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
    let mut bins = 0;
    for (ds, sample, file) in [
        ("TTTo2L2Nu_2018", "TTTo2L2Nu", "synthetic/tt_2018_syst.root"),
        ("DYJetsToLL_M-50_2018", "DYJetsToLL", "nanoaod/nano_dy.root"),
    ] {
        bins += compare(&out, ds, sample, &reference(file, Mode::Jets, &dir));
        // variations: false, and only_variations naming some
        assert_eq!(
            variations(&out, "jet_pt_nominal_only", sample, ds, "inclusive"),
            ["nominal"]
        );
        assert_eq!(
            variations(&out, "jet_pt_total_only", sample, ds, "inclusive"),
            ["AK4PFchs_JES_TotalDown", "AK4PFchs_JES_TotalUp", "nominal"]
        );
    }
    eprintln!("{bins} bins equal to the Python reference");
    assert!(bins > 100_000, "{bins}");
}

#[test]
#[ignore = "needs ../shared and Python with correctionlib, uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn type1_met_variations_equal_the_python_correctionlib() {
    let dir = common::tmpdir("shape", "met");
    let out_dir = dir.join("out");
    common::run_ok(
        "tests/configs/shape/met.yaml",
        out_dir.to_str().unwrap(),
        &[],
    );
    let out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
    let want = reference("nanoaod/nano_dy.root", Mode::Met, &dir);
    let bins = compare(&out, "DYJetsToLL_M-50_2018", "DYJetsToLL", &want);
    assert!(bins > 1000, "{bins}");
    let vars = variations(
        &out,
        "met_pt",
        "DYJetsToLL",
        "DYJetsToLL_M-50_2018",
        "inclusive",
    );
    assert!(vars.iter().any(|v| v == "unclust_EnUp"), "{vars:?}");
}

#[test]
#[ignore = "needs ../shared and Python with correctionlib, uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn btag_sf_takes_the_jes_varied_sf_in_jes_passes() {
    let dir = common::tmpdir("shape", "btag");
    let out_dir = dir.join("out");
    common::run_ok(
        "tests/configs/shape/btag.yaml",
        out_dir.to_str().unwrap(),
        &[],
    );
    let out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
    let mut bins = 0;
    for (ds, sample, file) in [
        ("TTTo2L2Nu_2018", "TTTo2L2Nu", "synthetic/tt_2018_syst.root"),
        ("DYJetsToLL_M-50_2018", "DYJetsToLL", "nanoaod/nano_dy.root"),
    ] {
        bins += compare(&out, ds, sample, &reference(file, Mode::Btag, &dir));
    }
    // the JES-varied SF differs from the central one
    let h = &out["histograms"]["nJetGood"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["inclusive"];
    assert_ne!(
        h["AK4PFchs_JES_TotalUp"]["sumw"],
        h["AK4PFchs_JERUp"]["sumw"]
    );
    assert!(bins > 500, "{bins}");
}

#[test]
#[ignore = "needs ../shared (synthetic files, JERC file)"]
fn shape_variations_do_not_depend_on_threads_or_chunking() {
    let dir = common::tmpdir("shape", "chunks");
    let mut dumps = Vec::new();
    for (i, extra) in [vec!["-j", "1"], vec!["-j", "2", "--chunksize", "10000"]]
        .iter()
        .enumerate()
    {
        let out_dir = dir.join(format!("out{i}"));
        common::run_ok(
            "tests/configs/shape/jets.yaml",
            out_dir.to_str().unwrap(),
            extra,
        );
        let mut out: J = serde_json::from_str(&common::dump(&out_dir)).unwrap();
        // the provenance records the chunks
        out.as_object_mut().unwrap().remove("provenance");
        dumps.push(out["histograms"].clone());
    }
    assert!(
        dumps[0] == dumps[1],
        "the histograms depend on threads or chunking"
    );
}

#[test]
#[ignore = "needs ../shared and python3"]
fn jes_variations_equal_pocketcoffea() {
    let dir = common::tmpdir("shape", "pocketcoffea");
    let out_dir = dir.join("out");
    common::run_ok(
        "tests/configs/shape/zmumu_jes4.yaml",
        out_dir.to_str().unwrap(),
        &[],
    );
    let cand = dir.join("cortado.json");
    std::fs::write(&cand, common::dump(&out_dir)).unwrap();
    let (ref_adj, cand_adj) = (
        dir.join("ref_adjusted.json"),
        dir.join("cand_adjusted.json"),
    );
    let adjust = Command::new("python3")
        .arg(common::root().join("tests/python/pocketcoffea_jes_differences.py"))
        .arg(common::root().join("tests/reference/pocketcoffea_jes4/output.json.gz"))
        .args([&cand, &ref_adj, &cand_adj])
        .arg("JetGood")
        .output()
        .expect("python3 runs pocketcoffea_jes_differences.py");
    assert!(
        adjust.status.success(),
        "{}",
        String::from_utf8_lossy(&adjust.stderr)
    );
    let (ok, last, text) = common::compare_outputs(&shared(), &ref_adj, &cand_adj, &[]);
    assert!(ok, "cortado vs PocketCoffea with JES variations:\n{text}");
    eprintln!("{}: {last}", String::from_utf8_lossy(&adjust.stdout).trim());
}
