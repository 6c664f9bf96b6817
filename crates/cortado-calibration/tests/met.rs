//! The type-1 MET on hand-computed numbers: selection cuts (pt > 15 after
//! muon subtraction, EM fraction), L1, lepton shifts, unclustered shifts,
//! the order of re-sorted jets, the prepared per-chunk form, and the errors.

use std::f32::consts::FRAC_PI_2;

use cortado_calibration::*;

// one event; RawMET (10, 0). Jets: 40 (raw 30) at φ = π/2, 14 (below 15),
// 40 (EM fraction 0.95); one low-pt jet: raw 12, calibrated 16, along x.
static PHI: [f32; 3] = [FRAC_PI_2, 0.0, 0.0];
static MU: [f32; 3] = [0.0; 3];
static CH: [f32; 3] = [0.1, 0.1, 0.5];
static NE: [f32; 3] = [0.1, 0.1, 0.45];
static OFFSETS: [u32; 2] = [0, 3];
static LOW_OFFSETS: [u32; 2] = [0, 1];

fn jets() -> JetsOut {
    JetsOut {
        pt: vec![40.0, 14.0, 40.0],
        mass: vec![0.0; 3],
        raw_factor: vec![0.25, 0.25, 0.25],
        order: None,
    }
}

fn low() -> JetsOut {
    JetsOut {
        pt: vec![16.0],
        mass: vec![0.0],
        raw_factor: vec![0.25],
        order: None,
    }
}

fn colls<'a>(jets: &'a JetsOut, low: &'a JetsOut) -> [Type1Jets<'a>; 2] {
    [
        Type1Jets {
            jets,
            offsets: &OFFSETS,
            raw: RawPt::FromCalibrated,
            phi: &PHI,
            muon_subtr_factor: &MU,
            muon_subtr_delta_phi: None,
            em: EmFraction::Sum(&CH, &NE),
            l1: None,
        },
        Type1Jets {
            jets: low,
            offsets: &LOW_OFFSETS,
            raw: RawPt::Stored(&[12.0]),
            phi: &[0.0],
            muon_subtr_factor: &[0.0],
            muon_subtr_delta_phi: None,
            em: EmFraction::None,
            l1: None,
        },
    ]
}

fn met() -> MetInputs<'static> {
    MetInputs {
        raw_pt: &[10.0],
        raw_phi: &[0.0],
        unclustered: Unclustered::Deltas {
            dx: &[1.0],
            dy: &[2.0],
        },
    }
}

/// The MET when jet 0 contributes `jet0` along φ = π/2 (float32), the
/// low-pt jet 16 − 12 along x, and a lepton shift `lepton` along x.
fn expect(jet0: f64, lepton: f64) -> (f64, f64) {
    let (sin, cos) = (FRAC_PI_2 as f64).sin_cos();
    let x = 10.0 - jet0 * cos - 4.0 - lepton;
    let y = -jet0 * sin;
    (x.hypot(y), y.atan2(x))
}

fn close(m: &Met, (pt, phi): (f64, f64)) {
    assert!(
        (m.pt[0] - pt).abs() < 1e-12 && (m.phi[0] - phi).abs() < 1e-12,
        "{m:?} vs {pt} {phi}"
    )
}

#[test]
fn selection_and_unclustered_shifts() {
    let (j, l) = (jets(), low());
    let c = colls(&j, &l);
    close(
        &type1_met(&met(), &c, &[], MetShift::Nominal).unwrap(),
        expect(10.0, 0.0),
    );
    let (sin, cos) = (FRAC_PI_2 as f64).sin_cos();
    let (x, y) = (10.0 - 10.0 * cos - 4.0, -10.0 * sin);
    let up = type1_met(&met(), &c, &[], MetShift::UnclusteredUp).unwrap();
    assert!((up.pt[0] - (x + 1.0).hypot(y + 2.0)).abs() < 1e-12);
    let down = type1_met(&met(), &c, &[], MetShift::UnclusteredDown).unwrap();
    assert!((down.pt[0] - (x - 1.0).hypot(y - 2.0)).abs() < 1e-12);
    // without jets: the raw MET
    let m = type1_met(&met(), &[], &[], MetShift::Nominal).unwrap();
    assert_eq!(m.pt, [10.0]);
}

#[test]
fn l1_and_muon_subtraction() {
    let (j, l) = (jets(), low());
    let c = colls(&j, &l);
    // with an L1 factor of 0.5: jet 0 contributes 40 - 15 = 25
    let l1 = [0.5, 1.0, 1.0];
    let with_l1 = [
        Type1Jets {
            l1: Some(&l1),
            ..c[0]
        },
        c[1],
    ];
    close(
        &type1_met(&met(), &with_l1, &[], MetShift::Nominal).unwrap(),
        expect(25.0, 0.0),
    );
    // half of jet 0's raw pt is muons: 20 - 15 = 5
    let mu_half = [0.5f32, 0.0, 0.0];
    let with_mu = [
        Type1Jets {
            muon_subtr_factor: &mu_half,
            ..c[0]
        },
        c[1],
    ];
    close(
        &type1_met(&met(), &with_mu, &[], MetShift::Nominal).unwrap(),
        expect(5.0, 0.0),
    );
    // three quarters: 10 - 7.5, below 15: not counted
    let mu_most = [0.75f32, 0.0, 0.0];
    let with_most = [
        Type1Jets {
            muon_subtr_factor: &mu_most,
            ..c[0]
        },
        c[1],
    ];
    close(
        &type1_met(&met(), &with_most, &[], MetShift::Nominal).unwrap(),
        expect(0.0, 0.0),
    );
    // the angle after muon subtraction: φ + muonSubtrDeltaPhi
    let dphi = [-FRAC_PI_2, 0.0, 0.0];
    let rotated = [
        Type1Jets {
            muon_subtr_delta_phi: Some(&dphi),
            ..c[0]
        },
        c[1],
    ];
    let m = type1_met(&met(), &rotated, &[], MetShift::Nominal).unwrap();
    assert!((m.pt[0] - 4.0).abs() < 1e-12, "{m:?}");
}

#[test]
fn lepton_shift_and_prepared_form() {
    let (j, l) = (jets(), low());
    let c = colls(&j, &l);
    // a lepton shifted from 20 to 22 GeV along x
    let shift = ObjectShift {
        offsets: &[0, 1],
        phi: &[0.0],
        pt_before: &[20.0],
        pt_after: &[22.0],
    };
    close(
        &type1_met(&met(), &c, &[shift], MetShift::Nominal).unwrap(),
        expect(10.0, 2.0),
    );
    // prepared once, computed per variation: the same numbers
    let cs: Vec<Type1Collection> = c.iter().map(Type1Jets::collection).collect();
    let prep = Type1Met::new(&met(), &cs, &[shift]).unwrap();
    close(
        &prep.compute(&[&j, &l], MetShift::Nominal).unwrap(),
        expect(10.0, 2.0),
    );
    // a variation: jet 0 at 48 (raw still 30: rawFactor 1 - 30/48)
    let varied = JetsOut {
        pt: vec![48.0, 14.0, 40.0],
        raw_factor: vec![1.0 - 30.0 / 48.0, 0.25, 0.25],
        ..j.clone()
    };
    close(
        &prep.compute(&[&varied, &l], MetShift::Nominal).unwrap(),
        expect(18.0, 2.0),
    );
}

#[test]
fn columns_that_do_not_fit_are_errors() {
    let (j, l) = (jets(), low());
    let c = colls(&j, &l);
    let cs: Vec<Type1Collection> = c.iter().map(Type1Jets::collection).collect();
    let prep = Type1Met::new(&met(), &cs, &[]).unwrap();
    let e = prep
        .compute(&[&j], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 jet collections given, 2 prepared"), "{e}");
    let short = JetsOut {
        pt: vec![1.0],
        ..j.clone()
    };
    let e = prep
        .compute(&[&short, &l], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 calibrated jets"), "{e}");
    let bad_order = JetsOut {
        order: Some(vec![0, 1, 7]),
        ..j.clone()
    };
    let e = prep
        .compute(&[&bad_order, &l], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("order index 7"), "{e}");
    let bad = [Type1Jets {
        phi: &[0.0],
        ..c[0]
    }];
    let e = type1_met(&met(), &bad, &[], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'phi' has 1 values for 3 jets"), "{e}");
    let two_events = [Type1Jets {
        offsets: &[0, 1, 3],
        ..c[0]
    }];
    let e = type1_met(&met(), &two_events, &[], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("offsets for 2 events, the MET 1"), "{e}");
    let short_met = MetInputs {
        raw_phi: &[],
        ..met()
    };
    let e = type1_met(&short_met, &c, &[], MetShift::Nominal)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'RawMET phi' has 0 values for 1 events"), "{e}");
}

#[test]
fn met_follows_the_jet_order() {
    // the same jets, re-sorted: the same MET
    let jets = JetsOut {
        pt: vec![50.0, 40.0],
        mass: vec![0.0; 2],
        raw_factor: vec![0.5, 0.25],
        order: Some(vec![1, 0]),
    };
    let unsorted = JetsOut {
        pt: vec![40.0, 50.0],
        mass: vec![0.0; 2],
        raw_factor: vec![0.25, 0.5],
        order: None,
    };
    let phi = [0.5f32, 2.0];
    let mu = [0.0f32; 2];
    let coll = |j: &'static JetsOut| Type1Jets {
        jets: j,
        offsets: &[0, 2],
        raw: RawPt::FromCalibrated,
        phi: &phi,
        muon_subtr_factor: &mu,
        muon_subtr_delta_phi: None,
        em: EmFraction::None,
        l1: None,
    };
    let met = MetInputs {
        raw_pt: &[30.0],
        raw_phi: &[1.0],
        unclustered: Unclustered::None,
    };
    let jets: &'static JetsOut = Box::leak(Box::new(jets));
    let unsorted: &'static JetsOut = Box::leak(Box::new(unsorted));
    let a = type1_met(&met, &[coll(jets)], &[], MetShift::Nominal).unwrap();
    let b = type1_met(&met, &[coll(unsorted)], &[], MetShift::Nominal).unwrap();
    assert!((a.pt[0] - b.pt[0]).abs() < 1e-12 && (a.phi[0] - b.phi[0]).abs() < 1e-12);
    // the sorted jet 0 is input jet 1 (phi 2.0): 50·(1 - 0.5) = 25 raw
    let x = 30.0 * 1f64.cos() - (25.0 * 2f64.cos() + 10.0 * 0.5f64.cos());
    let y = 30.0 * 1f64.sin() - (25.0 * 2f64.sin() + 10.0 * 0.5f64.sin());
    assert!((a.pt[0] - x.hypot(y)).abs() < 1e-12);
}
