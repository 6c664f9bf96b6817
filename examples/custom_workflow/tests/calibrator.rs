//! The Rust calibrator `muon_scale` (src/calibrator.rs) in the zmumu
//! analysis (`muon_scale.yaml`): its nominal and each shape variation equal
//! the same analysis with the scaled muon pt written as a configuration
//! definition (`Muon.pt: Muon.pt * (1 + κ * Muon.charge)` as the first
//! object definition), histogram by histogram, flow bins and weight
//! variations included — an independent path through the expression
//! language for the same numbers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use cortado_example_custom_workflow::calibrator::KAPPA;
use serde_json::Value;

/// The zmumu analysis with `Muon.pt` scaled by κ in the configuration,
/// written to `dir` (its relative paths made absolute).
fn reference_config(dir: &Path, kappa: f64) -> PathBuf {
    let zmumu = example_dir().join("../zmumu").canonicalize().unwrap();
    let text = std::fs::read_to_string(zmumu.join("analysis.yaml")).unwrap();
    let mut out = text.clone();
    for (from, to) in [
        (
            "dirs: {config_dir: params}",
            format!("dirs: {{config_dir: {}/params}}", zmumu.display()),
        ),
        ("- params/", format!("- {}/params/", zmumu.display())),
        (
            "[datasets/fileset.json]",
            format!("[{}/datasets/fileset.json]", zmumu.display()),
        ),
        (
            "  objects:\n",
            format!("  objects:\n    Muon.pt: Muon.pt * (1 + {kappa} * Muon.charge)\n"),
        ),
    ] {
        assert!(out.contains(from), "zmumu/analysis.yaml has no '{from}'");
        out = out.replace(from, &to);
    }
    let path = dir.join(format!("reference_{kappa}.yaml"));
    std::fs::write(&path, out).unwrap();
    path
}

/// Every histogram of `reference` (variation `ref_var`) equals `calibrated`'s
/// variation `var`, sample by sample; returns how many were compared.
fn same_histograms(calibrated: &Value, var: &str, reference: &Value, ref_var: &str) -> usize {
    let mut n = 0;
    let hists = reference["histograms"].as_object().unwrap();
    for (name, by_sample) in hists {
        for (sample, by_ds) in by_sample.as_object().unwrap() {
            if sample.starts_with("DATA") && var != "nominal" {
                continue; // data have no variations
            }
            for (ds, by_cat) in by_ds.as_object().unwrap() {
                for (cat, by_var) in by_cat.as_object().unwrap() {
                    let Some(want) = by_var.get(ref_var) else {
                        continue;
                    };
                    let got = &calibrated["histograms"][name][sample][ds][cat][var];
                    assert!(got.is_object(), "{name}/{sample}/{ds}/{cat}: no '{var}'");
                    let (a, b) = (with_flow(got), with_flow(want));
                    assert_eq!(a.len(), b.len(), "{name}");
                    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                        assert!(
                            (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                            "{name}/{sample}/{ds}/{cat}/{var} cell {i}: {x} vs {y}"
                        );
                    }
                    n += 1;
                }
            }
        }
    }
    n
}

/// Σw of variation `var`, by category, dataset and sample.
fn sumw(o: &Value, var: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (cat, by_ds) in o["sumw"].as_object().unwrap() {
        for (ds, by_sample) in by_ds.as_object().unwrap() {
            for (sample, by_var) in by_sample.as_object().unwrap() {
                if let Some(w) = by_var.get(var).and_then(Value::as_f64) {
                    out.push((format!("{cat}/{ds}/{sample}"), w));
                }
            }
        }
    }
    out
}

#[test]
fn a_rust_calibrator_and_its_shape_variations_equal_the_same_scale_in_configuration() {
    let dir = tmp_dir("calibrator");
    let calibrated = run(
        &example_dir().join("muon_scale.yaml"),
        &dir.join("calibrated"),
        &[],
    );
    let dy = &calibrated["histograms"]["mll"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"];
    let vars: Vec<&String> = dy.as_object().unwrap().keys().collect();
    for v in ["nominal", "muon_scaleUp", "muon_scaleDown", "sf_mu_idUp"] {
        assert!(vars.iter().any(|x| *x == v), "{v} not in {vars:?}");
    }
    // data: the nominal scale, no variations
    let data = &calibrated["histograms"]["mll"]["DATA_SingleMuon"]["DATA_SingleMuon_2018_EraA"]
        ["baseline"];
    assert_eq!(data.as_object().unwrap().len(), 1);

    let mut compared = 0;
    for (var, kappa) in KAPPA {
        let r = run(
            &reference_config(&dir, kappa),
            &dir.join(format!("reference_{kappa}")),
            &[],
        );
        if var == "nominal" {
            // nominal and every weight variation of the nominal pass
            for w in ["nominal", "pileupUp", "sf_mu_idDown", "sf_mu_isoUp"] {
                compared += same_histograms(&calibrated, w, &r, w);
            }
            assert_eq!(sumw(&calibrated, "nominal"), sumw(&r, "nominal"));
        } else {
            compared += same_histograms(&calibrated, var, &r, "nominal");
            assert_eq!(sumw(&calibrated, var), sumw(&r, "nominal"));
            let presel =
                |o: &Value, v: &str| o["cutflow"]["presel"]["DYJetsToLL_M-50_2018"][v].clone();
            assert_eq!(presel(&calibrated, var), presel(&r, "nominal"));
        }
    }
    assert!(compared > 100, "{compared} histograms compared");
    // the scale moves the muons: the variations differ from the nominal
    let mu_pt = |v: &str| {
        with_flow(
            &calibrated["histograms"]["mu1_pt"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"]
                [v],
        )
    };
    assert_ne!(mu_pt("nominal"), mu_pt("muon_scaleUp"));
    assert_ne!(mu_pt("muon_scaleDown"), mu_pt("muon_scaleUp"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_lists_the_rust_calibrator_and_an_unknown_one_is_refused_with_a_suggestion() {
    let r = Command::new(BIN)
        .args(["check", "--cfg"])
        .arg(example_dir().join("muon_scale.yaml"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.contains("calibrator 'muon_scale' (Rust)"), "{out}");
    assert!(out.contains("muon_scaleUp"), "{out}");

    let d = tmp_dir("calibrator-bad");
    let cfg = d.join("bad.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ncalibrators: [muon_scal]\n",
            example_dir().join("muon_scale.yaml").display()
        ),
    )
    .unwrap();
    let r = Command::new(BIN)
        .args(["check", "--cfg"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("unknown calibrator 'muon_scal'") && err.contains("muon_scale"),
        "{err}"
    );
    // the plain cortado binary does not know it
    let _ = std::fs::remove_dir_all(&d);
}

/// A calibrator for the error tests: calibrates `coll`, defines `defines`
/// in its passes, has the variations `vars`.
struct Faulty {
    name: &'static str,
    coll: &'static str,
    defines: &'static str,
    vars: &'static [&'static str],
}

impl cortado::ext::Calibrator for Faulty {
    fn name(&self) -> &str {
        self.name
    }
    fn calibrates(&self) -> Vec<cortado::ext::CalibratedField> {
        vec![cortado::ext::CalibratedField::new(
            self.coll,
            "pt",
            cortado::types::Prim::F64,
        )]
    }
    fn variations(
        &self,
        _: &cortado::config::AnalysisConfig,
        _: &cortado::config::Dataset,
    ) -> Result<Vec<String>, String> {
        Ok(self.vars.iter().map(|s| s.to_string()).collect())
    }
    fn prepare(
        &self,
        _: &cortado::config::Dataset,
        env: &cortado::eval::Env,
    ) -> Result<Box<dyn cortado::ext::CalibratedChunk>, String> {
        Ok(Box::new(Defines(
            self.defines,
            env.get(self.defines).map_err(|e| e.0)?,
        )))
    }
}

struct Defines(&'static str, cortado::value::Val);

impl cortado::ext::CalibratedChunk for Defines {
    fn apply(&self, _pass: &str, env: &mut cortado::eval::Env) -> Result<(), String> {
        env.define(self.0, self.1.clone());
        Ok(())
    }
}

/// Runs `muon_scale.yaml` with `calibrator` through the library API.
fn run_with(calibrator: Faulty, name: &str) -> Result<(), String> {
    use cortado::runner::{self, Quiet, RunRequest};
    let out = tmp_dir(name);
    let _ = std::fs::remove_dir_all(&out);
    let mut ext = cortado::ext::Extensions::default();
    ext.calibrators.push(std::sync::Arc::new(calibrator));
    let req = RunRequest::new(example_dir().join("muon_scale.yaml"), &out);
    let r = runner::run(&req, &ext, &Quiet).map(|_| ());
    let _ = std::fs::remove_dir_all(&out);
    r
}

#[test]
fn a_faulty_rust_calibrator_is_a_clear_error() {
    let e = run_with(
        Faulty {
            name: "muon_scale",
            coll: "Muon",
            defines: "Electron",
            vars: &["muon_scaleUp"],
        },
        "faulty-defines",
    )
    .unwrap_err();
    assert!(
        e.contains("calibrator 'muon_scale' (nominal) defined 'Electron', which is not among the collections it calibrates (Muon)"),
        "{e}"
    );
    let e = run_with(
        Faulty {
            name: "muon_scale",
            coll: "Tau2",
            defines: "Muon",
            vars: &[],
        },
        "faulty-coll",
    )
    .unwrap_err();
    assert!(
        e.contains("calibrator 'muon_scale': it calibrates 'Tau2', which is not a collection"),
        "{e}"
    );
    let e = run_with(
        Faulty {
            name: "muon_scale",
            coll: "Muon",
            defines: "Muon",
            vars: &["pileupUp"],
        },
        "faulty-name",
    )
    .unwrap_err();
    assert!(
        e.contains("shape variation 'pileupUp', which is also a weight variation's name"),
        "{e}"
    );
    // the collection as it was: its pt is not the float64 it declares
    let e = run_with(
        Faulty {
            name: "muon_scale",
            coll: "Muon",
            defines: "Muon",
            vars: &["muon_scaleUp"],
        },
        "faulty-type",
    )
    .unwrap_err();
    assert!(
        e.contains("calibrator 'muon_scale' (nominal): Muon.pt holds float32 where the calibrator declares float64"),
        "{e}"
    );
}

/// The tt̄ example (with the jet and type-1 MET calibrations) with
/// `calibrators`, every event with a muon kept, and its MET and muons as
/// columns; returns the dump.
fn ttbar_columns(dir: &Path, name: &str, calibrators: &str, shape: &str) -> Value {
    let ttbar = example_dir().join("../ttbar/analysis.yaml");
    let cfg = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &cfg,
        format!(
            "extends: {}
calibrators: [{calibrators}]
variations: {{shape: {{common: {{inclusive: [{shape}]}}}}}}
preselections:
  - {{name: one_muon, expr: \"count(Muon) >= 1\"}}
columns:
  common:
    inclusive:
      - {{collection: events, columns: [event]}}
      - {{collection: MET, columns: [pt, phi]}}
      - {{collection: Muon, columns: [pt, phi, charge]}}
",
            ttbar.canonicalize().unwrap().display()
        ),
    )
    .unwrap();
    run(&cfg, &dir.join(name), &[])
}

/// Per (dataset, event): MET (px, py) and the muons' (pt, phi, charge).
type Events = std::collections::BTreeMap<(String, i64), ((f64, f64), Vec<(f64, f64, f64)>)>;

fn events(o: &Value) -> Events {
    let mut out = Events::new();
    for by_ds in o["columns"].as_object().unwrap().values() {
        for (ds, by_cat) in by_ds.as_object().unwrap() {
            for by_var in by_cat.as_object().unwrap().values() {
                let c = &by_var["nominal"];
                let col = |n: &str| -> Vec<f64> {
                    c[n].as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap())
                        .collect()
                };
                let (ev, pt, phi) = (col("events_event"), col("MET_pt"), col("MET_phi"));
                let (n, mpt, mphi, mq) = (
                    col("Muon_N"),
                    col("Muon_pt"),
                    col("Muon_phi"),
                    col("Muon_charge"),
                );
                let mut k = 0;
                for i in 0..ev.len() {
                    let muons: Vec<(f64, f64, f64)> = (k..k + n[i] as usize)
                        .map(|j| (mpt[j], mphi[j], mq[j]))
                        .collect();
                    k += n[i] as usize;
                    let met = (pt[i] * phi[i].cos(), pt[i] * phi[i].sin());
                    out.insert((ds.clone(), ev[i] as i64), (met, muons));
                }
            }
        }
    }
    out
}

#[test]
fn the_type1_met_follows_the_muons_a_rust_calibrator_scales() {
    let dir = tmp_dir("calibrator-met");
    let plain = events(&ttbar_columns(
        &dir,
        "plain",
        "jet_calibration, met_type1_calibration",
        "",
    ));
    let scaled_out = ttbar_columns(
        &dir,
        "scaled",
        "jet_calibration, met_type1_calibration, muon_scale",
        "muon_scale",
    );
    let scaled = events(&scaled_out);
    let kappa = KAPPA[0].1;
    let mut compared = 0;
    for (key, ((x, y), muons)) in &plain {
        let ((sx, sy), smuons) = &scaled[key];
        if key.0.starts_with("DATA") {
            // 2018 data keep their raw MET (the MET calibration is off for them)
            assert_eq!((sx, sy), (x, y), "{key:?}");
            compared += 1;
            continue;
        }
        // MET −= Σ (p_after − p_before) over the muons
        let (mut dx, mut dy) = (0.0, 0.0);
        for ((pt, phi, q), (spt, _, _)) in muons.iter().zip(smuons) {
            let after = pt * (1.0 + kappa * q);
            assert!(
                (spt - after).abs() <= 1e-12 * after,
                "{key:?}: muon pt {spt} vs {after}"
            );
            dx += (after - pt) * phi.cos();
            dy += (after - pt) * phi.sin();
        }
        let tol = 1e-9 * x.hypot(*y).max(1.0);
        assert!(
            (sx - (x - dx)).abs() <= tol && (sy - (y - dy)).abs() <= tol,
            "{key:?}: MET ({sx}, {sy}), expected ({}, {})",
            x - dx,
            y - dy
        );
        compared += 1;
    }
    assert_eq!(compared, scaled.len());
    assert!(compared > 1000, "{compared} events");
    // the MET histogram has the calibrator's variations
    let met = &scaled_out["histograms"]["met_pt"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["1b"];
    assert_ne!(
        with_flow(&met["muon_scaleUp"]),
        with_flow(&met["muon_scaleDown"])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_calibrators_of_one_collection_and_a_variation_named_nominal_are_refused() {
    use cortado::runner::{self, Quiet, RunRequest};
    let dir = tmp_dir("calibrator-two");
    let cfg = dir.join("two.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ncalibrators: [muon_scale, muon_resolution]\n",
            example_dir().join("muon_scale.yaml").display()
        ),
    )
    .unwrap();
    let mut ext = cortado::ext::Extensions::default();
    ext.calibrators.push(std::sync::Arc::new(
        cortado_example_custom_workflow::calibrator::MuonScale,
    ));
    ext.calibrators.push(std::sync::Arc::new(Faulty {
        name: "muon_resolution",
        coll: "Muon",
        defines: "Muon",
        vars: &[],
    }));
    let req = RunRequest::new(&cfg, dir.join("out"));
    let e = runner::run(&req, &ext, &Quiet).unwrap_err();
    assert!(
        e.contains("calibrators 'muon_scale' and 'muon_resolution' both calibrate 'Muon'"),
        "{e}"
    );
    let e = run_with(
        Faulty {
            name: "muon_scale",
            coll: "Muon",
            defines: "Muon",
            vars: &["muon_scaleUp", "nominal"],
        },
        "faulty-nominal",
    )
    .unwrap_err();
    assert!(
        e.contains("name 'nominal', which is empty, 'nominal' or listed twice"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
