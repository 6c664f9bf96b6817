//! cortado-correction against the Python `correctionlib` (the reference):
//! `make_points.py` walks every correction of a file, makes input points
//! (every bin and category key, on, just below and just above every edge,
//! outside the range, NaN, random combinations) and evaluates them with
//! correctionlib; here every point is evaluated one by one and as columns,
//! and must give the same double (or a refusal where correctionlib refuses).
//!
//! The Python is `$CORTADO_TEST_PYTHON` (CI: a venv with `correctionlib`);
//! these tests fail, rather than pass, without it. Run them with
//! `cargo test -p cortado-correction -- --include-ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use cortado_correction::{AnyCorrection, Column, CorrectionSet, Value};
use serde_json::Value as J;

/// Largest relative difference tolerated (none has been seen: results are
/// bit-identical).
const TOLERANCE: f64 = 1e-12;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("CORTADO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "CORTADO_TEST_PYTHON is not set: it must name a Python with correctionlib \
             (python3 -m venv V && V/bin/pip install correctionlib)"
        )
    })
}

/// One input value, owned.
#[derive(Debug, Clone)]
enum Arg {
    Real(f64),
    Int(i64),
    Str(String),
}

impl Arg {
    fn value(&self) -> Value<'_> {
        match self {
            Arg::Real(f) => Value::Real(*f),
            Arg::Int(i) => Value::Int(*i),
            Arg::Str(s) => Value::Str(s),
        }
    }
}

/// What the cross-check of one file found.
#[derive(Debug, Default)]
struct Stats {
    corrections: usize,
    points: usize,
    refused: usize,
    bit_identical: usize,
    max_rel: f64,
    mismatches: Vec<String>,
}

fn decode(types: &[J], point: &J) -> Vec<Arg> {
    types
        .iter()
        .zip(point.as_array().expect("point"))
        .map(|(t, v)| match t.as_str().expect("type") {
            "real" => Arg::Real(f64::from_bits(v.as_u64().expect("real bits"))),
            "int" => Arg::Int(v.as_i64().expect("int")),
            _ => Arg::Str(v.as_str().expect("string").to_string()),
        })
        .collect()
}

fn rel_diff(a: f64, b: f64) -> f64 {
    if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// Every point of one correction, one by one and as columns.
fn check_correction(c: AnyCorrection, entry: &J, stats: &mut Stats) {
    let name = c.name().to_string();
    let types = entry["types"].as_array().expect("types");
    let points: Vec<Vec<Arg>> = entry["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| decode(types, p))
        .collect();
    let expected = entry["results"].as_array().expect("results");
    let mut ok_rows = Vec::new();
    for (p, exp) in points.iter().zip(expected) {
        stats.points += 1;
        let args: Vec<Value> = p.iter().map(Arg::value).collect();
        let got = c.evaluate(&args);
        match (exp.as_u64(), &got) {
            (None, Err(_)) => stats.refused += 1,
            (Some(bits), Ok(v)) => {
                let want = f64::from_bits(bits);
                let d = rel_diff(*v, want);
                stats.max_rel = stats.max_rel.max(d);
                if d == 0.0 {
                    stats.bit_identical += 1;
                }
                if d.is_nan() || d > TOLERANCE {
                    stats.mismatches.push(format!(
                        "{name}{p:?}: cortado {v:e}, correctionlib {want:e}"
                    ));
                }
                ok_rows.push((p, *v));
            }
            (None, Ok(v)) => stats.mismatches.push(format!(
                "{name}{p:?}: cortado {v:e}, correctionlib refuses: {}",
                exp["error"]
            )),
            (Some(bits), Err(e)) => stats.mismatches.push(format!(
                "{name}{p:?}: cortado refuses ({e}), correctionlib {:e}",
                f64::from_bits(bits)
            )),
        }
    }
    check_columns(c, &ok_rows, stats);
}

/// The accepted points again, as one column per input: the same values.
fn check_columns(c: AnyCorrection, rows: &[(&Vec<Arg>, f64)], stats: &mut Stats) {
    if rows.is_empty() {
        return;
    }
    let n_in = c.inputs().len();
    let mut reals: Vec<Vec<f64>> = vec![Vec::new(); n_in];
    let mut ints: Vec<Vec<i64>> = vec![Vec::new(); n_in];
    let mut strs: Vec<Vec<&str>> = vec![Vec::new(); n_in];
    for (p, _) in rows {
        for (k, a) in p.iter().enumerate() {
            match a {
                Arg::Real(f) => reals[k].push(*f),
                Arg::Int(i) => ints[k].push(*i),
                Arg::Str(s) => strs[k].push(s),
            }
        }
    }
    let cols: Vec<Column> = (0..n_in)
        .map(|k| match rows[0].0[k] {
            Arg::Real(_) => Column::F64(&reals[k]),
            Arg::Int(_) => Column::I64(&ints[k]),
            Arg::Str(_) => Column::Str(&strs[k]),
        })
        .collect();
    match c.evaluate_columns(&cols) {
        Ok(vals) => {
            for ((p, single), v) in rows.iter().zip(&vals) {
                if single.to_bits() != v.to_bits() {
                    stats.mismatches.push(format!(
                        "{}{p:?}: as a column {v:e}, alone {single:e}",
                        c.name()
                    ));
                }
            }
        }
        Err(e) => stats
            .mismatches
            .push(format!("{}: column evaluation refused: {e}", c.name())),
    }
}

/// Runs make_points.py on `file` and compares every point.
fn cross_check(file: &Path, validate: bool) -> Stats {
    let out = std::env::temp_dir().join(format!(
        "cortado-correction-points-{}-{}.json",
        std::process::id(),
        file.file_name().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new(python());
    cmd.arg(crate_dir().join("tests/make_points.py"))
        .arg(file)
        .arg(&out);
    if validate {
        cmd.arg("--validate");
    }
    let run = cmd.output().expect("run make_points.py");
    assert!(
        run.status.success(),
        "make_points.py {} failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    let doc: J = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    let set = CorrectionSet::from_file(file).unwrap_or_else(|e| panic!("{e}"));
    let mut stats = Stats::default();
    for entry in doc["corrections"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let c = if entry["compound"].as_bool().unwrap() {
            AnyCorrection::Compound(set.compound(name).unwrap())
        } else {
            AnyCorrection::Single(set.get(name).unwrap())
        };
        stats.corrections += 1;
        check_correction(c, entry, &mut stats);
    }
    eprintln!(
        "{}: {} corrections, {} points ({} refused by both), {} bit-identical, max relative difference {:e}",
        file.file_name().unwrap().to_string_lossy(),
        stats.corrections,
        stats.points,
        stats.refused,
        stats.bit_identical,
        stats.max_rel
    );
    stats
}

fn assert_clean(all: &[(PathBuf, Stats)]) {
    let mut report = String::new();
    for (f, s) in all {
        assert!(s.points > 0, "{}: no points", f.display());
        for m in s.mismatches.iter().take(20) {
            report += &format!("{}: {m}\n", f.display());
        }
        if s.mismatches.len() > 20 {
            report += &format!("… {} mismatches in all\n", s.mismatches.len());
        }
    }
    assert!(
        report.is_empty(),
        "differences from correctionlib:\n{report}"
    );
}

#[test]
#[ignore = "needs ../shared and Python correctionlib (CORTADO_TEST_PYTHON)"]
fn real_cms_files_equal_correctionlib() {
    let dir = crate_dir().join("../../../shared/data/corrections/2018_UL");
    let files = [
        "puWeights.json.gz",
        "muon_Z.json.gz",
        "electron.json.gz",
        "btagging.json.gz",
        "jet_jerc.json.gz",
        "jmar.json.gz",
        "met.json.gz",
        "jetvetomaps.json.gz",
    ];
    let mut all = Vec::new();
    for f in files {
        let path = dir.join(f);
        assert!(path.exists(), "{} is missing (../shared)", path.display());
        all.push((path.clone(), cross_check(&path, false)));
    }
    let total: usize = all.iter().map(|(_, s)| s.points).sum();
    let corrections: usize = all.iter().map(|(_, s)| s.corrections).sum();
    let max = all.iter().map(|(_, s)| s.max_rel).fold(0.0, f64::max);
    eprintln!("all: {corrections} corrections, {total} points, max relative difference {max:e}");
    assert_eq!(corrections, 4 + 1 + 85 + 6 + 8 + 29 + 1 + 1);
    assert_clean(&all);
}

#[test]
#[ignore = "needs Python correctionlib (CORTADO_TEST_PYTHON)"]
fn handwritten_files_equal_correctionlib() {
    let dir = crate_dir().join("tests/data");
    let mut all = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 3,
        "hand-written files missing in {}",
        dir.display()
    );
    for path in names {
        all.push((path.clone(), cross_check(&path, true)));
    }
    assert_clean(&all);
}
