//! Times loading correction files (best of several runs each):
//! `cargo run --release -p cortado-correction --example load_time -- FILE...`

use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let mut best = f64::INFINITY;
        let mut count = 0;
        for _ in 0..5 {
            let t = Instant::now();
            match cortado_correction::CorrectionSet::from_file(&path) {
                Ok(set) => {
                    count = set.corrections().count() + set.compound_corrections().count();
                }
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{path}: {count} corrections, loaded in {:.1} ms (best of 5)",
            best * 1e3
        );
    }
}
