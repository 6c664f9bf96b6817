//! NaN and infinities: per-event columns keep them (an output file stays
//! readable, checkpoints and resumes included), and a weight that is not a
//! finite number stops the run at its chunk, naming the weight and the file.

mod common;

use common::{dump, run, run_ok, tmpdir};
use serde_json::Value;

fn config(dir: &std::path::Path, body: &str) -> String {
    let cfg = common::extending(dir, "analysis", "examples/adl/analysis.yaml", body);
    cfg.to_str().unwrap().to_string()
}

#[test]
fn columns_keep_nan_and_infinities() {
    let dir = tmpdir("nonfinite", "columns");
    let cfg = config(
        &dir,
        "workflow:\n  objects:\n    Jet.closest: min_delta_r(Jet, Muon)\n  variables:\n\
         \x20   nj: count(Jet)\n    root: sqrt(count(Jet) - 3.5)\n    lg: log(0.0 * count(Jet))\n\
         columns:\n  common:\n    inclusive:\n      - {collection: events, columns: [nj, root, lg]}\n\
         \x20     - {collection: Jet, columns: [pt, closest]}\n",
    );
    let out = dir.join("out");
    // several chunks: their checkpoints hold the values too
    run_ok(&cfg, out.to_str().unwrap(), &["-c", "1000"]);
    let j: Value = serde_json::from_str(&dump(&out)).unwrap();
    let cols = &j["columns"]["TTTo2L2Nu"]["TTTo2L2Nu_2018"]["all"]["nominal"];
    let list = |k: &str| {
        cols[k]
            .as_array()
            .unwrap_or_else(|| panic!("{k}: {cols}"))
            .clone()
    };
    let (nj, root_, lg) = (list("events_nj"), list("events_root"), list("events_lg"));
    assert_eq!(nj.len(), 5000);
    let mut nans = 0;
    for ((n, r), l) in nj.iter().zip(&root_).zip(&lg) {
        let n = n.as_i64().unwrap();
        if n < 4 {
            assert_eq!(r, "NaN", "sqrt({n} - 3.5)");
            nans += 1;
        } else {
            assert!((r.as_f64().unwrap() - (n as f64 - 3.5).sqrt()).abs() < 1e-12);
        }
        assert_eq!(l, "-inf");
    }
    assert!(nans > 0 && nans < 5000, "{nans}");
    // +inf: the ΔR of a jet to the muons of an event without any
    let closest = list("Jet_closest");
    assert_eq!(closest.len(), list("Jet_pt").len());
    assert!(closest.iter().any(|v| v == "inf"));
    assert!(closest.iter().any(|v| v.as_f64().is_some_and(|x| x < 0.4)));
}

#[test]
fn a_weight_that_is_not_finite_stops_the_run_naming_it() {
    let dir = tmpdir("nonfinite", "weight");
    let cfg = config(
        &dir,
        "custom_weights:\n  w_root: sqrt(count(Jet) - 3.5)\n\
         weights:\n  common:\n    inclusive: [genWeight, w_root]\n",
    );
    let out = dir.join("out");
    let o = run(&cfg, out.to_str().unwrap(), &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for needle in [
        "tt_2018_small.root entries 0..",
        "weight 'w_root' is NaN for",
        "weights must be finite numbers",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}
