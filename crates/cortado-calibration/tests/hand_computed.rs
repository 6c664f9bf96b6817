//! Jet calibration and type-1 MET on hand-computed numbers, with a tiny
//! JERC-like file of round numbers (`tests/data/mini_jerc.json`): JEC from a
//! compound correction on raw pt, deterministic and stochastic smearing, the
//! PocketCoffea bugs cortado fixes, JER Up/Down from a `systematic` input or
//! an uncertainty, JES sources, sorting, rawFactor, data, and the errors (the type-1 MET: `tests/met.rs`).

use std::path::PathBuf;

use cortado_calibration::*;

fn mini() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini_jerc.json")
}

fn spec() -> JetCalibSpec {
    JetCalibSpec {
        file: mini(),
        jet_type: "AK4PFchs".into(),
        variation_prefix: "AK4PFchs".into(),
        jec_mc: "T_MC".into(),
        jec_data: JecData::Single("T_DATA".into()),
        jer: Some("J_MC".into()),
        level: "L1L2L3Res".into(),
        apply_jer: true,
        variations: vec![JetVariation::Jes("Total".into()), JetVariation::Jer],
        do_variations: true,
        sort_by_pt: true,
        is_mc: true,
        year: "2018".into(),
        era: None,
        l1_for_met: false,
    }
}

/// Three events: 3 jets, none, 1 jet; one GenJet in events 0 and 2.
struct Chunk {
    offsets: Vec<u32>,
    pt: Vec<f32>,
    mass: Vec<f32>,
    rf: Vec<f32>,
    eta: Vec<f32>,
    phi: Vec<f32>,
    area: Vec<f32>,
    gen_idx: Vec<i32>,
    gen_offsets: Vec<u32>,
    gen_pt: Vec<f32>,
    rho: Vec<f32>,
    event: Vec<u64>,
    run: Vec<u32>,
}

fn chunk() -> Chunk {
    Chunk {
        offsets: vec![0, 3, 3, 4],
        pt: vec![40.0, 20.0, 60.0, 40.0],
        mass: vec![8.0, 2.0, 0.0, 4.0],
        rf: vec![0.25, 0.5, 0.0, 0.25],
        eta: vec![1.0, -1.0, 3.0, 1.0],
        phi: vec![0.0, 1.0, 2.0, 3.0],
        area: vec![0.5; 4],
        // jet 0 matched (GenJet 50 GeV), jet 1 unmatched, jet 2 an index
        // beyond the GenJets (no match), jet 3 matched to a GenJet 5 GeV
        // away by more than 3σ
        gen_idx: vec![0, -1, 5, 0],
        gen_offsets: vec![0, 1, 1, 2],
        gen_pt: vec![50.0, 5.0],
        rho: vec![15.0, 15.0, 15.0],
        event: vec![1001, 1002, 1003],
        run: vec![1, 1, 2],
    }
}

impl Chunk {
    fn inputs(&self) -> JetInputs<'_> {
        JetInputs {
            offsets: &self.offsets,
            pt: PtInput::Corrected {
                pt: &self.pt,
                mass: &self.mass,
                raw_factor: &self.rf,
            },
            eta: &self.eta,
            phi: &self.phi,
            area: &self.area,
            gen: Some(GenMatch {
                gen_jet_idx: &self.gen_idx,
                gen_offsets: &self.gen_offsets,
                gen_pt: &self.gen_pt,
            }),
            rho: &self.rho,
            event: &self.event,
            run: &self.run,
        }
    }
}

fn calibrate(s: &JetCalibSpec) -> Calibration {
    JetCalibrator::new(s)
        .unwrap()
        .calibrate(&chunk().inputs())
        .unwrap()
}

/// The standard normal number of a stochastically smeared jet.
fn normal(factor: f64, sf: f64, res: f64) -> f64 {
    (factor - 1.0) / ((sf * sf - 1.0).sqrt() * res)
}

#[test]
fn jec_on_raw_pt_with_the_compound_correction() {
    let c = calibrate(&JetCalibSpec {
        apply_jer: false,
        variations: vec![JetVariation::Jes("Total".into())],
        ..spec()
    });
    // raw = (1 - rawFactor)·pt = 30, 10, 60, 30; L1 = 1 - area·rho/raw;
    // L2 = 1.5 (eta < 0) or 2 (eta >= 0) at the L1-corrected pt
    let l1 = |raw: f64| 1.0 - 0.5 * 15.0 / raw;
    assert_eq!(c.raw_pt(), [30.0, 10.0, 60.0, 30.0]);
    assert_eq!(
        c.jec_pt(),
        [
            l1(30.0) * 2.0 * 30.0,
            l1(10.0) * 1.5 * 10.0,
            l1(60.0) * 2.0 * 60.0,
            l1(30.0) * 2.0 * 30.0
        ]
    );
    let n = c.nominal();
    // sorted: 105, 45, 3.75 in event 0
    assert_eq!(n.pt, [105.0, 45.0, 3.75, 45.0]);
    assert_eq!(n.order, Some(vec![2, 0, 1, 3]));
    assert_eq!(n.mass, [0.0, 1.5 * 6.0, 0.375 * 1.0, 1.5 * 3.0]);
    assert_eq!(
        n.raw_factor,
        [
            1.0 - 60.0 / 105.0,
            1.0 - 30.0 / 45.0,
            1.0 - 10.0 / 3.75,
            1.0 - 30.0 / 45.0
        ]
    );
    // JES: pt·(1 ± 0.0625); rawFactor follows the varied pt
    let up = c.variation("AK4PFchs_JES_TotalUp").unwrap();
    assert_eq!(up.pt[0], 105.0 * 1.0625);
    assert_eq!(up.raw_factor[0], 1.0 - 60.0 / (105.0 * 1.0625));
    let down = c.variation("AK4PFchs_JES_TotalDown").unwrap();
    assert_eq!(down.pt[1], 45.0 * (1.0 - 0.0625));
    assert_eq!(down.mass[1], 9.0 * (1.0 - 0.0625));
}

#[test]
fn jer_smearing_deterministic_and_stochastic() {
    let c = calibrate(&spec());
    let jec = c.jec_pt().to_vec();
    assert_eq!(jec, [45.0, 3.75, 105.0, 45.0]);
    let n = c.nominal();
    let at = |out: &JetsOut, j: usize| (0..4).find(|&k| out.source(k) == j).unwrap();
    // jet 0: matched, |45 - 50| < 3·45·0.125: 1 + (sf - 1)(pt - gen)/pt
    let det = |sf: f64| 45.0 * (1.0 + (sf - 1.0) * (45.0 - 50.0) / 45.0);
    assert_eq!(n.pt[at(&n, 0)], det(1.25));
    assert_eq!(
        n.mass[at(&n, 0)],
        9.0 * (1.0 + (1.25 - 1.0) * (45.0 - 50.0) / 45.0)
    );
    let up = c.variation("AK4PFchs_JERUp").unwrap();
    let down = c.variation("AK4PFchs_JERDown").unwrap();
    assert_eq!(up.pt[at(&up, 0)], det(1.5));
    assert_eq!(down.pt[at(&down, 0)], det(1.125));
    // jets 1, 2, 3: stochastic, the same normal number for nom, up and down
    for (j, res) in [(1, 0.125), (2, 0.5), (3, 0.125)] {
        let f = |o: &JetsOut| o.pt[at(o, j)] / jec[j];
        let z = normal(f(&n), 1.25, res);
        assert!(z.abs() < 6.0 && z != 0.0, "jet {j}: {z}");
        assert!((normal(f(&up), 1.5, res) - z).abs() < 1e-12, "jet {j}");
        assert!((normal(f(&down), 1.125, res) - z).abs() < 1e-12, "jet {j}");
    }
    // PocketCoffea 0.9.13 gave an unmatched jet GenPt 0, and with σ > 1/3
    // (jet 2) the deterministic factor, exactly the scale factor
    assert_ne!(n.pt[at(&n, 2)], 105.0 * 1.25);
    // JES varies the smeared pt
    let jes = c.variation("AK4PFchs_JES_TotalUp").unwrap();
    assert_eq!(jes.pt[at(&jes, 0)], det(1.25) * 1.0625);
    assert_eq!(
        c.variation_names().collect::<Vec<_>>(),
        [
            "AK4PFchs_JES_TotalUp",
            "AK4PFchs_JES_TotalDown",
            "AK4PFchs_JERUp",
            "AK4PFchs_JERDown"
        ]
    );
}

#[test]
fn smearing_is_reproducible_and_seeded_by_the_event() {
    let a = calibrate(&spec()).nominal();
    let b = calibrate(&spec()).nominal();
    assert_eq!(a, b);
    let mut ch = chunk();
    ch.event[2] = 999;
    let c = JetCalibrator::new(&spec())
        .unwrap()
        .calibrate(&ch.inputs())
        .unwrap()
        .nominal();
    assert_eq!(a.pt[..3], c.pt[..3]);
    assert_ne!(a.pt[3], c.pt[3]);
}

#[test]
fn jer_variation_from_an_uncertainty_correction() {
    let c = calibrate(&JetCalibSpec {
        jer: Some("K_MC".into()),
        ..spec()
    });
    let det = |sf: f64| 45.0 * (1.0 + (sf - 1.0) * (45.0 - 50.0) / 45.0);
    let up = c.variation("AK4PFchs_JERUp").unwrap();
    let down = c.variation("AK4PFchs_JERDown").unwrap();
    let at = |out: &JetsOut| (0..4).find(|&k| out.source(k) == 0).unwrap();
    assert_eq!(up.pt[at(&up)], det(1.25 * (1.0 + 0.25)));
    assert_eq!(down.pt[at(&down)], det(1.25 * (1.0 - 0.25)));
    // without a JER variation the uncertainty is not needed
    let nominal_only = JetCalibSpec {
        jer: Some("K_MC".into()),
        variations: vec![JetVariation::Jes("Total".into())],
        ..spec()
    };
    assert!(JetCalibrator::new(&nominal_only).is_ok());
}

#[test]
fn data_gets_the_data_jec_only() {
    let c = calibrate(&JetCalibSpec {
        is_mc: false,
        ..spec()
    });
    // T_DATA: 1.25 for run 1, 0.5 otherwise; no smearing, no variations
    let n = c.nominal();
    assert_eq!(n.pt, [75.0, 37.5, 12.5, 15.0]);
    assert_eq!(n.order, Some(vec![2, 0, 1, 3]));
    assert_eq!(c.variation_names().count(), 0);
}

#[test]
fn no_sorting_and_no_variations_when_not_asked() {
    let c = calibrate(&JetCalibSpec {
        sort_by_pt: false,
        do_variations: false,
        ..spec()
    });
    assert_eq!(c.nominal().order, None);
    assert!(c.variation("AK4PFchs_JERUp").is_none());
    assert_eq!(c.into_calibrated().variations.len(), 0);
}

#[test]
fn l1_factor_for_type1_met() {
    let c = calibrate(&JetCalibSpec {
        l1_for_met: true,
        ..spec()
    });
    assert_eq!(c.l1_factor().unwrap(), [0.75, 0.25, 0.875, 0.75]);
}

fn err(s: JetCalibSpec) -> String {
    JetCalibrator::new(&s).unwrap_err().to_string()
}

#[test]
fn errors_name_the_correction_and_suggest() {
    let e = err(JetCalibSpec {
        variations: vec![JetVariation::Jes("Totl".into())],
        ..spec()
    });
    assert!(
        e.contains("JES source Totl") && e.contains("T_MC_Totl_AK4PFchs"),
        "{e}"
    );
    assert!(
        e.contains("did you mean") && e.contains("T_MC_Total_AK4PFchs"),
        "{e}"
    );
    let e = err(JetCalibSpec {
        variations: vec![JetVariation::Jes("Odd".into())],
        ..spec()
    });
    assert!(
        e.contains("'T_MC_Odd_AK4PFchs'") && e.contains("input 'JetFlavour'"),
        "{e}"
    );
    let e = err(JetCalibSpec {
        level: "L1L2L3Rs".into(),
        ..spec()
    });
    assert!(
        e.contains("jet calibration AK4PFchs (2018, MC): JEC") && e.contains("did you mean"),
        "{e}"
    );
    let e = err(JetCalibSpec {
        file: mini().with_file_name("missing.json"),
        ..spec()
    });
    assert!(e.contains("missing.json"), "{e}");
    let e = err(JetCalibSpec {
        jer: None,
        ..spec()
    });
    assert!(e.contains("no JER tag"), "{e}");
    let e = err(JetCalibSpec {
        apply_jer: false,
        ..spec()
    });
    assert!(
        e.contains("JER variation needs the nominal JER smearing"),
        "{e}"
    );
    let e = err(JetCalibSpec {
        jer: Some("Q_MC".into()),
        ..spec()
    });
    assert!(e.contains("Q_MC_PtResolution_AK4PFchs"), "{e}");
}

#[test]
fn columns_that_do_not_fit_are_errors() {
    let cal = JetCalibrator::new(&spec()).unwrap();
    let mut ch = chunk();
    ch.eta.pop();
    let e = cal.calibrate(&ch.inputs()).unwrap_err().to_string();
    assert!(e.contains("'eta' has 3 values for 4 jets"), "{e}");
    let mut ch = chunk();
    ch.rho.push(1.0);
    let e = cal.calibrate(&ch.inputs()).unwrap_err().to_string();
    assert!(e.contains("'rho' has 4 values for 3 events"), "{e}");
    let mut ch = chunk();
    ch.offsets = vec![0, 3, 2, 4];
    let e = cal.calibrate(&ch.inputs()).unwrap_err().to_string();
    assert!(e.contains("offsets decrease at event 1"), "{e}");
    let mut ch = chunk();
    ch.gen_offsets = vec![0, 1, 2];
    let e = cal.calibrate(&ch.inputs()).unwrap_err().to_string();
    assert!(e.contains("GenJet offsets are for 2 events"), "{e}");
}

#[test]
fn corr_t1_met_jets_from_raw_pt() {
    let cal = JetCalibrator::new(&spec()).unwrap();
    let ch = chunk();
    let c = cal
        .calibrate(&JetInputs {
            pt: PtInput::Raw {
                pt: &[30.0, 10.0, 60.0, 30.0],
                mass: None,
            },
            gen: None,
            ..ch.inputs()
        })
        .unwrap();
    assert_eq!(c.jec_pt(), [45.0, 3.75, 105.0, 45.0]);
    assert_eq!(c.nominal().mass, [0.0; 4]);
}
