//! Helpers of the example's tests: run the example binary, read its dump.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_zmumu-custom");

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

pub fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cortado-custom-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the example configuration (or `cfg`) and returns `dump --json`.
pub fn run(cfg: &Path, out: &Path, extra: &[&str]) -> Value {
    let r = Command::new(BIN)
        .args(["run", "--cfg"])
        .arg(cfg)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let d = Command::new(BIN)
        .arg("dump")
        .arg(out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    serde_json::from_slice(&d.stdout).unwrap()
}

/// All cells of a histogram of the dump, flow bins included (row-major).
pub fn with_flow(h: &Value) -> Vec<f64> {
    fn flat(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
            x => out.push(x.as_f64().unwrap()),
        }
    }
    let mut out = Vec::new();
    if h.get("sumw_with_flow").is_some() {
        flat(&h["sumw_with_flow"], &mut out);
    } else {
        // 1-D: in-range bins and the flow bins apart
        out.extend(h["underflow_sumw"].as_f64());
        flat(&h["sumw"], &mut out);
        out.extend(h["overflow_sumw"].as_f64());
    }
    out
}

pub fn total(h: &Value) -> f64 {
    with_flow(h).iter().sum()
}

pub fn hist<'a>(
    o: &'a Value,
    name: &str,
    sample: &str,
    dataset: &str,
    cat: &str,
    var: &str,
) -> &'a Value {
    let h = &o["histograms"][name][sample][dataset][cat][var];
    assert!(
        h.is_object(),
        "no histogram {name}/{sample}/{dataset}/{cat}/{var}"
    );
    h
}
