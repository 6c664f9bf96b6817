//! Seeds for the text fuzz targets (`config`, `params`, `expr`) from
//! analysis configurations: each configuration file, each parameter file it
//! names, and every expression it holds (definitions, cuts, custom weights,
//! histogram axes).
//!
//! `cargo run --example text_fuzz_seeds -p cortado-config -- OUT_DIR CONFIG.yaml...`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, configs)) = args.split_first() else {
        eprintln!("usage: text_fuzz_seeds OUT_DIR CONFIG.yaml...");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    for t in ["config", "params", "expr"] {
        std::fs::create_dir_all(out.join(t)).expect("the seed folders");
    }
    let mut exprs = BTreeSet::new();
    let mut params = BTreeSet::new();
    for (i, c) in configs.iter().enumerate() {
        let text = std::fs::read(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        write(&out.join("config").join(format!("{i}.yaml")), &text);
        let cfg = match cortado_config::load(Path::new(c)) {
            Ok(cfg) => cfg,
            Err(e) => {
                eprintln!("{c}: {e} (only the file is a seed)");
                continue;
            }
        };
        params.extend(cfg.params_files.iter().cloned());
        exprs.extend(cfg.definitions.iter().map(|d| d.expr.text.clone()));
        let cuts = cfg
            .skim
            .iter()
            .chain(&cfg.preselections)
            .chain(cfg.subsamples.values().flatten().flat_map(|(_, c)| c));
        exprs.extend(cuts.map(|c| c.expr.text.clone()));
        for (_, cuts) in cfg.categories.expanded() {
            exprs.extend(cuts.iter().map(|c| c.expr.text.clone()));
        }
        for w in cfg.custom_weights.values() {
            match &w.kind {
                cortado_config::WeightKind::Expr { nominal, up, down } => {
                    exprs.insert(nominal.text.clone());
                    exprs.extend(up.iter().chain(down).map(|e| e.text.clone()));
                }
                cortado_config::WeightKind::Correction(c) => {
                    exprs.extend(c.exprs().into_iter().map(|e| e.text.clone()));
                }
            }
        }
        for h in &cfg.histograms {
            for a in &h.axes {
                exprs.insert(match (&a.expr, a.pos) {
                    (Some(e), _) => e.clone(),
                    (None, Some(p)) => format!("{}[{p}].{}", a.coll, a.field),
                    (None, None) => format!("{}.{}", a.coll, a.field),
                });
            }
        }
    }
    for (i, p) in params.iter().enumerate() {
        let text = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        write(&out.join("params").join(format!("{i}.yaml")), &text);
    }
    for (i, e) in exprs.iter().enumerate() {
        write(&out.join("expr").join(format!("{i}.txt")), e.as_bytes());
    }
    println!(
        "{} configurations, {} parameter files, {} expressions",
        configs.len(),
        params.len(),
        exprs.len()
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
