//! Throughput of each calibration step (jets per second, one thread):
//! `cargo run --release -p cortado-calibration --example calib_speed -- SHARED`
//! with SHARED the shared test-data folder (`../shared`). Reads
//! `data/synthetic/tt_2018_syst.root` and calibrates its jets with the real
//! 2018 JERC file: JEC alone, then adding the JER smearing, the JER
//! variation and four JES sources; then the cost of producing one
//! variation's jets (multiply, rawFactor, sort) and of one type-1 MET.

use std::path::PathBuf;
use std::time::Instant;

use cortado_calibration::*;
use cortado_columns::{Column, Values};

fn best<T>(f: impl Fn() -> T) -> (f64, T) {
    let mut t_best = f64::INFINITY;
    let mut out = None;
    for _ in 0..9 {
        let t = Instant::now();
        let v = f();
        t_best = t_best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (t_best, out.expect("ran"))
}

fn f32s(c: &Column) -> &[f32] {
    match &c.values {
        Values::F32(v) => v,
        _ => panic!("not float32"),
    }
}

fn main() -> Result<()> {
    let shared = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared".into()),
    );
    let file = shared.join("data/synthetic/tt_2018_syst.root");
    let names = [
        "Jet_pt",
        "Jet_mass",
        "Jet_rawFactor",
        "Jet_eta",
        "Jet_phi",
        "Jet_area",
        "Jet_genJetIdx",
        "GenJet_pt",
        "fixedGridRhoFastjetAll",
        "event",
        "run",
        "RawMET_pt",
        "RawMET_phi",
        "MET_MetUnclustEnUpDeltaX",
        "MET_MetUnclustEnUpDeltaY",
    ];
    let f = cortado_root::RootFile::open(file.to_str().expect("utf-8 path")).expect("open");
    let tree = f.tree("Events").expect("Events");
    let c = tree.read_all(&names).expect("read");
    let offsets = c[0].offsets.clone().expect("jagged");
    let gen_offsets = c[7].offsets.clone().expect("jagged");
    let gen_idx = match &c[6].values {
        Values::I32(v) => v.clone(),
        _ => panic!("genJetIdx"),
    };
    let event = match &c[9].values {
        Values::U64(v) => v.clone(),
        _ => panic!("event"),
    };
    let run = match &c[10].values {
        Values::U32(v) => v.clone(),
        _ => panic!("run"),
    };
    let inputs = JetInputs {
        offsets: &offsets,
        pt: PtInput::Corrected {
            pt: f32s(&c[0]),
            mass: f32s(&c[1]),
            raw_factor: f32s(&c[2]),
        },
        eta: f32s(&c[3]),
        phi: f32s(&c[4]),
        area: f32s(&c[5]),
        gen: Some(GenMatch {
            gen_jet_idx: &gen_idx,
            gen_offsets: &gen_offsets,
            gen_pt: f32s(&c[7]),
        }),
        rho: f32s(&c[8]),
        event: &event,
        run: &run,
    };
    let n = inputs.n_jets() as f64;
    println!("{} events, {} jets", inputs.n_events(), n);
    let cal = time_calibrate(&shared, &inputs)?;
    time_variations(&cal, &inputs, &c);
    Ok(())
}

/// Times `calibrate` with more and more steps; returns the last calibration.
fn time_calibrate(shared: &std::path::Path, inputs: &JetInputs) -> Result<Calibration> {
    let n = inputs.n_jets() as f64;
    let base = JetCalibSpec {
        file: shared.join("data/corrections/2018_UL/jet_jerc.json.gz"),
        jet_type: "AK4PFchs".into(),
        variation_prefix: "AK4PFchs".into(),
        jec_mc: "Summer19UL18_V5_MC".into(),
        jec_data: JecData::Single(String::new()),
        jer: Some("Summer19UL18_JRV2_MC".into()),
        level: "L1L2L3Res".into(),
        apply_jer: false,
        variations: vec![],
        do_variations: true,
        sort_by_pt: true,
        is_mc: true,
        year: "2018".into(),
        era: None,
        l1_for_met: false,
    };
    let sources = ["Total", "AbsoluteStat", "FlavorQCD", "RelativeBal"];
    let steps = [
        ("JEC (compound L1L2L3Res on raw pt)", base.clone()),
        (
            "JEC + JER nominal (resolution, SF, smearing)",
            JetCalibSpec {
                apply_jer: true,
                ..base.clone()
            },
        ),
        (
            "JEC + JER nominal + JER Up/Down",
            JetCalibSpec {
                apply_jer: true,
                variations: vec![JetVariation::Jer],
                ..base.clone()
            },
        ),
        (
            "JEC + JER + JER Up/Down + 4 JES sources",
            JetCalibSpec {
                apply_jer: true,
                variations: sources
                    .iter()
                    .map(|s| JetVariation::Jes(s.to_string()))
                    .chain([JetVariation::Jer])
                    .collect(),
                ..base.clone()
            },
        ),
    ];
    let mut prev = 0.0;
    let mut last = None;
    for (label, spec) in steps {
        let cal = JetCalibrator::new(&spec)?;
        let (t, c) = best(|| cal.calibrate(inputs).expect("calibrate"));
        println!(
            "{label}: {:.3} s, {:.2} M jets/s (this step: {:.2} M jets/s)",
            t,
            n / t / 1e6,
            n / (t - prev) / 1e6
        );
        prev = t;
        last = Some(c);
    }
    Ok(last.expect("calibrated"))
}

/// Times the production of a variation's jets and the type-1 MET.
fn time_variations(cal: &Calibration, inputs: &JetInputs, c: &[Column]) {
    let n = inputs.n_jets() as f64;
    let offsets = inputs.offsets;
    let (t, _) = best(|| cal.nominal());
    println!(
        "nominal jets (rawFactor, sort): {:.1} M jets/s",
        n / t / 1e6
    );
    let (t, jets) = best(|| cal.variation("AK4PFchs_JES_TotalUp").expect("variation"));
    println!(
        "one JES variation's jets (multiply, rawFactor, sort): {:.1} M jets/s",
        n / t / 1e6
    );
    let (t, _) = best(|| cal.variation("AK4PFchs_JERUp").expect("variation"));
    println!("one JER variation's jets: {:.1} M jets/s", n / t / 1e6);
    let zeros = vec![0.0f32; jets.pt.len()];
    let met = MetInputs {
        raw_pt: f32s(&c[11]),
        raw_phi: f32s(&c[12]),
        unclustered: Unclustered::Deltas {
            dx: f32s(&c[13]),
            dy: f32s(&c[14]),
        },
    };
    let coll = Type1Collection {
        offsets,
        raw: RawPt::FromCalibrated,
        phi: f32s(&c[4]),
        muon_subtr_factor: &zeros,
        muon_subtr_delta_phi: None,
        em: EmFraction::Sum(&zeros, &zeros),
        l1: None,
    };
    let (t, prep) = best(|| Type1Met::new(&met, &[coll], &[]).expect("met"));
    println!(
        "type-1 MET, once per chunk (Type1Met::new: angles, cuts): {:.1} M jets/s",
        n / t / 1e6
    );
    let (t, _) = best(|| prep.compute(&[&jets], MetShift::Nominal).expect("met"));
    println!(
        "type-1 MET, per variation (Type1Met::compute): {:.1} M jets/s ({:.1} M events/s)",
        n / t / 1e6,
        inputs.n_events() as f64 / t / 1e6
    );
}
