//! Every calibrated jet pt, mass and rawFactor, every re-sorting and every
//! type-1 MET, nominal and varied, against `reference.py` (the Python
//! correctionlib on the same inputs, PocketCoffea's steps with cortado's
//! fixes): the synthetic tt̄ and DY files with the systematics branches and
//! the real NanoAOD excerpts.
//!
//! Jets must be bit-identical. The MET is compared to 1e-12 (relative to the
//! MET, or 1e-9 GeV): NumPy's and libm's double-precision sin/cos may differ
//! in the last bit.
//!
//! The Python is `$CORTADO_TEST_PYTHON` (with correctionlib, uproot,
//! awkward); these tests fail, rather than pass, without it or without
//! `../shared`. Run them with
//! `cargo test -p cortado-calibration -- --include-ignored`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{calibrations, jerc, shared, Branches, BRANCHES, SOURCES};
use cortado_calibration::{
    Calibration, EmFraction, GenMatch, JetCalibSpec, JetCalibrator, JetInputs, JetsOut, Met,
    MetInputs, MetShift, PtInput, RawPt, Type1Collection, Type1Met, Unclustered,
};
use serde_json::Value as J;

fn python() -> String {
    std::env::var("CORTADO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "CORTADO_TEST_PYTHON is not set: it must name a Python with correctionlib, \
             uproot and awkward (python3 -m venv V && V/bin/pip install correctionlib uproot awkward)"
        )
    })
}

/// One file to check.
struct Case<'a> {
    file: PathBuf,
    stop: Option<u64>,
    /// The data era (`None`: simulation).
    era: Option<&'a str>,
    l1: bool,
}

/// What was compared.
#[derive(Debug, Default)]
struct Counts {
    jets: usize,
    values: usize,
    reordered_events: usize,
    met: usize,
    met_max_rel: f64,
}

/// Runs the reference on `case` and returns its JSON.
fn reference(case: &Case) -> J {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "calib_ref_{}_{}.json",
        case.file.file_stem().unwrap().to_string_lossy(),
        case.l1
    ));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script).arg(&case.file).arg(jerc()).arg(&out);
    if let Some(s) = case.stop {
        cmd.args(["--stop", &s.to_string()]);
    }
    if let Some(era) = case.era {
        cmd.args(["--data", &format!("Summer19UL18_Run{era}_V5_DATA")]);
    }
    if case.l1 {
        cmd.arg("--l1");
    }
    cmd.args(["--sources", &SOURCES.join(",")]);
    let o = cmd.output().expect("run the reference");
    assert!(
        o.status.success(),
        "reference.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).ok();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &J) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| f64::from_bits(b.as_u64().unwrap()))
        .collect()
}

/// The jets of one collection, bit by bit.
fn compare_jets(what: &str, got: &JetsOut, want: &J, counts: &mut Counts) {
    let n = got.pt.len();
    let order: Vec<u64> = (0..n).map(|k| got.source(k) as u64).collect();
    let want_order: Vec<u64> = want["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(order, want_order, "{what}: order");
    for (field, g) in [
        ("pt", &got.pt),
        ("mass", &got.mass),
        ("raw_factor", &got.raw_factor),
    ] {
        let w = floats(&want[field]);
        assert_eq!(g.len(), w.len(), "{what}: {field} length");
        for (k, (a, b)) in g.iter().zip(&w).enumerate() {
            assert!(
                a.to_bits() == b.to_bits(),
                "{what}: {field}[{k}]: cortado {a:e}, reference {b:e}"
            );
        }
        counts.values += g.len();
    }
    counts.jets += n;
}

fn compare_met(what: &str, got: &Met, want: &J, counts: &mut Counts) {
    let (pt, phi) = (floats(&want["pt"]), floats(&want["phi"]));
    assert_eq!(got.pt.len(), pt.len(), "{what}: events");
    for e in 0..pt.len() {
        let d = (got.pt[e] - pt[e]).abs();
        let tol = 1e-12 * pt[e].abs();
        counts.met_max_rel = counts.met_max_rel.max(d / pt[e].abs().max(1e-300));
        assert!(
            d <= tol.max(1e-9),
            "{what}: MET pt of event {e}: cortado {}, reference {}",
            got.pt[e],
            pt[e]
        );
        // phi: compare the direction (a tiny MET has an ill-defined phi)
        let dphi = (got.phi[e] - phi[e]).abs();
        let dphi = dphi.min(2.0 * std::f64::consts::PI - dphi);
        assert!(
            dphi * pt[e] <= 1e-9_f64.max(1e-12 * pt[e]),
            "{what}: MET phi of event {e}: cortado {}, reference {}",
            got.phi[e],
            phi[e]
        );
        counts.met += 1;
    }
}

/// The calibration of `coll` on the branches.
fn calibrate(b: &Branches, spec: &JetCalibSpec, coll: &str) -> Calibration {
    let cal = JetCalibrator::new(spec).unwrap();
    let f = |n: &str| b.f32(&format!("{coll}_{n}"));
    let (offsets, pt) = if coll == "Jet" {
        (
            b.offsets("Jet_pt"),
            PtInput::Corrected {
                pt: f("pt"),
                mass: f("mass"),
                raw_factor: f("rawFactor"),
            },
        )
    } else {
        (
            b.offsets("CorrT1METJet_rawPt"),
            PtInput::Raw {
                pt: f("rawPt"),
                mass: None,
            },
        )
    };
    let gen = (coll == "Jet" && b.has("Jet_genJetIdx")).then(|| GenMatch {
        gen_jet_idx: b.i32("Jet_genJetIdx"),
        gen_offsets: b.offsets("GenJet_pt"),
        gen_pt: b.f32("GenJet_pt"),
    });
    cal.calibrate(&JetInputs {
        offsets,
        pt,
        eta: f("eta"),
        phi: f("phi"),
        area: f("area"),
        gen,
        rho: b.f32("fixedGridRhoFastjetAll"),
        event: b.u64("event"),
        run: b.u32("run"),
    })
    .unwrap()
}

fn check(case: Case) -> Counts {
    assert!(case.file.is_file(), "{} is missing", case.file.display());
    let want = reference(&case);
    let b = Branches::read(&case.file, 0, case.stop, &BRANCHES);
    let mut counts = Counts::default();
    let mut calibs = Vec::new();
    for c in calibrations(case.era.is_none(), case.era) {
        let spec = JetCalibSpec {
            l1_for_met: case.l1,
            ..c.spec.clone()
        };
        let cal = calibrate(&b, &spec, &c.collection);
        let w = &want["collections"][&c.collection];
        let mut names = vec!["nominal".to_string()];
        names.extend(cal.variation_names().map(str::to_string));
        let ref_names: Vec<&String> = w.as_object().unwrap().keys().collect();
        assert_eq!(
            names.len(),
            ref_names.len(),
            "{}: {names:?} / {ref_names:?}",
            c.collection
        );
        for name in &names {
            let got = if name == "nominal" {
                cal.nominal()
            } else {
                cal.variation(name).unwrap()
            };
            if name == "nominal" {
                counts.reordered_events += reordered(&got, cal.offsets());
            }
            compare_jets(
                &format!("{} {name}", c.collection),
                &got,
                &w[name],
                &mut counts,
            );
        }
        calibs.push((c.collection.clone(), cal));
    }
    let zeros = vec![0.0f32; b.f32("Jet_pt").len()];
    let prepared = prepare_met(&b, &calibs, &zeros);
    for (name, _) in want["met"].as_object().unwrap() {
        let shift = MetShift::from_variation(name).unwrap_or(MetShift::Nominal);
        let outs: Vec<JetsOut> = calibs
            .iter()
            .map(|(_, cal)| match shift {
                MetShift::Nominal if name != "nominal" => cal.variation(name).unwrap(),
                _ => cal.nominal(),
            })
            .collect();
        let refs: Vec<&JetsOut> = outs.iter().collect();
        let met = prepared.compute(&refs, shift).unwrap();
        compare_met(
            &format!("MET {name}"),
            &met,
            &want["met"][name],
            &mut counts,
        );
    }
    counts
}

/// Events whose jets changed order.
fn reordered(out: &JetsOut, offsets: &[u32]) -> usize {
    offsets
        .windows(2)
        .filter(|w| (w[0] as usize..w[1] as usize).any(|k| out.source(k) != k))
        .count()
}

/// The type-1 MET of the chunk, prepared once for every variation. The
/// synthetic files have no muon fractions and EM fractions: 0 and no cut.
fn prepare_met(b: &Branches, calibs: &[(String, Calibration)], zeros: &[f32]) -> Type1Met {
    let colls: Vec<Type1Collection> = calibs
        .iter()
        .map(|(coll, cal)| {
            let jet = coll == "Jet";
            let mu = if jet && !b.has("Jet_muonSubtrFactor") {
                zeros
            } else {
                b.f32(&format!("{coll}_muonSubtrFactor"))
            };
            let em = if jet && b.has("Jet_chEmEF") {
                EmFraction::Sum(b.f32("Jet_chEmEF"), b.f32("Jet_neEmEF"))
            } else {
                EmFraction::None
            };
            Type1Collection {
                offsets: cal.offsets(),
                raw: if jet {
                    RawPt::FromCalibrated
                } else {
                    RawPt::Stored(b.f32("CorrT1METJet_rawPt"))
                },
                phi: b.f32(&format!("{coll}_phi")),
                muon_subtr_factor: mu,
                muon_subtr_delta_phi: None,
                em,
                l1: cal.l1_factor(),
            }
        })
        .collect();
    let met = MetInputs {
        raw_pt: b.f32("RawMET_pt"),
        raw_phi: b.f32("RawMET_phi"),
        unclustered: Unclustered::Deltas {
            dx: b.f32("MET_MetUnclustEnUpDeltaX"),
            dy: b.f32("MET_MetUnclustEnUpDeltaY"),
        },
    };
    Type1Met::new(&met, &colls, &[]).unwrap()
}

fn synthetic(name: &str) -> PathBuf {
    shared().join("data/synthetic").join(name)
}

fn nanoaod(name: &str) -> PathBuf {
    shared().join("data/nanoaod").join(name)
}

fn report(what: &str, c: &Counts) {
    eprintln!(
        "{what}: {} jets, {} values bit-identical, {} events re-sorted, {} MET values (max rel diff {:e})",
        c.jets, c.values, c.reordered_events, c.met, c.met_max_rel
    );
}

#[test]
#[ignore = "needs ../shared and CORTADO_TEST_PYTHON (correctionlib, uproot, awkward)"]
fn synthetic_tt_equals_correctionlib() {
    let c = check(Case {
        file: synthetic("tt_2018_syst.root"),
        stop: Some(2000),
        era: None,
        l1: false,
    });
    report("tt_2018_syst", &c);
    assert!(c.jets > 100_000 && c.reordered_events > 0 && c.met > 20_000);
}

#[test]
#[ignore = "needs ../shared and CORTADO_TEST_PYTHON (correctionlib, uproot, awkward)"]
fn synthetic_dy_equals_correctionlib() {
    let c = check(Case {
        file: synthetic("dy_2018_syst.root"),
        stop: Some(2000),
        era: None,
        l1: false,
    });
    report("dy_2018_syst", &c);
    assert!(c.jets > 50_000 && c.met > 20_000);
}

#[test]
#[ignore = "needs ../shared and CORTADO_TEST_PYTHON (correctionlib, uproot, awkward)"]
fn real_nanoaod_mc_equals_correctionlib() {
    for (name, l1) in [
        ("nano_dy.root", false),
        ("nano_dy.root", true),
        ("pfnano.root", false),
        ("nanoAOD_2015_CMS_Open_Data_ttbar.root", false),
    ] {
        let c = check(Case {
            file: nanoaod(name),
            stop: None,
            era: None,
            l1,
        });
        report(&format!("{name} (L1 {l1})"), &c);
        assert!(c.jets > 0 && c.met > 0);
    }
}

#[test]
#[ignore = "needs ../shared and CORTADO_TEST_PYTHON (correctionlib, uproot, awkward)"]
fn real_nanoaod_data_equals_correctionlib() {
    let c = check(Case {
        file: nanoaod("nano_dimuon.root"),
        stop: None,
        era: Some("A"),
        l1: false,
    });
    report("nano_dimuon (data, era A)", &c);
    assert!(c.jets > 0 && c.met == 3 * 40);
}
