//! Column evaluation throughput on the real CMS files (rows per second):
//! `cargo run --release -p cortado-correction --example eval_speed -- DIR`
//! with DIR the folder of the 2018 UL files (`../shared/data/corrections/2018_UL`).

use std::time::Instant;

use cortado_correction::{load, Column, Value};

const N: usize = 1_000_000;

/// A deterministic spread of values in [lo, hi).
fn spread(lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut x = seed;
    (0..N)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((x >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn time(label: &str, f: impl Fn() -> Vec<f64>) {
    let mut best = f64::INFINITY;
    let mut sum = 0.0;
    for _ in 0..3 {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        sum = v.iter().sum();
    }
    println!(
        "{label}: {:.1} M rows/s (sum {sum:.6})",
        N as f64 / best / 1e6
    );
}

fn main() -> Result<(), cortado_correction::Error> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/corrections/2018_UL".into());
    let (abseta, pt, eta) = (
        spread(0.0, 2.4, 1),
        spread(15.0, 200.0, 2),
        spread(-2.5, 2.5, 3),
    );
    let (disc, rho, area) = (
        spread(0.0, 1.0, 4),
        spread(5.0, 40.0, 5),
        spread(0.4, 0.6, 6),
    );
    let flav: Vec<i32> = (0..N).map(|i| [0, 4, 5][i % 3]).collect();
    let ntrue = spread(0.0, 80.0, 7);

    let pu = load(format!("{dir}/puWeights.json.gz"))?;
    let c = pu.get("Collisions18_UltraLegacy_goldenJSON")?;
    time("pileup weight (nominal)", || {
        c.evaluate_columns(&[Column::F64(&ntrue), Column::Scalar(Value::Str("nominal"))])
            .unwrap()
    });
    let mu = load(format!("{dir}/muon_Z.json.gz"))?;
    let c = mu.get("NUM_TightID_DEN_TrackerMuons")?;
    time("muon tight ID SF", || {
        c.evaluate_columns(&[
            Column::F64(&abseta),
            Column::F64(&pt),
            Column::Scalar(Value::Str("nominal")),
        ])
        .unwrap()
    });
    let bt = load(format!("{dir}/btagging.json.gz"))?;
    let c = bt.get("deepJet_shape")?;
    time("b-tag shape SF (central)", || {
        c.evaluate_columns(&[
            Column::Scalar(Value::Str("central")),
            Column::I32(&flav),
            Column::F64(&abseta),
            Column::F64(&pt),
            Column::F64(&disc),
        ])
        .unwrap()
    });
    let jerc = load(format!("{dir}/jet_jerc.json.gz"))?;
    let c = jerc.compound("Summer19UL18_V5_MC_L1L2L3Res_AK4PFchs")?;
    time("JEC L1L2L3Res (compound)", || {
        c.evaluate_columns(&[
            Column::F64(&area),
            Column::F64(&eta),
            Column::F64(&pt),
            Column::F64(&rho),
        ])
        .unwrap()
    });
    let c = jerc.get("Summer19UL18_V5_MC_Total_AK4PFchs")?;
    time("JES uncertainty (Total)", || {
        c.evaluate_columns(&[Column::F64(&pt), Column::F64(&eta)])
            .unwrap()
    });
    Ok(())
}
