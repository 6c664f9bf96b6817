//! Reads every numeric branch of every test file and compares count, sum and
//! SHA-256 digests of the values and per-entry counts with what uproot computed
//! (`tests/data/expected.json`, made by `tests/data/make_expected.py`).
//!
//! Files shipped in `tests/data` are always checked; the large synthetic files
//! of `../shared/data` by an ignored test (run with `--include-ignored`, as
//! in CI), which fails when `../shared` is missing.

use std::path::PathBuf;

use cortado_columns::{with_values, Column, Values};
use cortado_root::RootFile;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data_dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Little-endian bytes of the values (booleans as 0/1 bytes), as NumPy's `tobytes`.
fn le_bytes(v: &Values) -> Vec<u8> {
    trait Le {
        fn put_le(&self, out: &mut Vec<u8>);
    }
    macro_rules! le {
        ($($t:ty),*) => { $(impl Le for $t { fn put_le(&self, out: &mut Vec<u8>) { out.extend_from_slice(&self.to_le_bytes()) } })* };
    }
    le!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);
    impl Le for bool {
        fn put_le(&self, out: &mut Vec<u8>) {
            out.push(*self as u8)
        }
    }
    let mut out = Vec::with_capacity(v.nbytes());
    with_values!(v, xs => for x in xs { Le::put_le(x, &mut out) });
    out
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_column(file: &str, tree: &str, name: &str, col: &Column, exp: &Value) {
    let what = format!("{file}:{tree}:{name}");
    assert_eq!(
        col.values.dtype().name(),
        exp["dtype"].as_str().unwrap(),
        "{what} dtype"
    );
    assert_eq!(
        col.values.len() as u64,
        exp["count"].as_u64().unwrap(),
        "{what} count"
    );
    match col.values.sum_i128() {
        Some(s) => {
            let e = &exp["sum"];
            let e = e
                .as_i64()
                .map(i128::from)
                .or_else(|| e.as_u64().map(i128::from))
                .or_else(|| e.as_str().and_then(|s| s.parse::<i128>().ok()))
                .unwrap_or_else(|| panic!("{what}: expected an integer sum, got {e}"));
            assert_eq!(s, e, "{what} sum");
        }
        None => {
            let s = col.values.sum_f64();
            if let Some(special) = exp["sum"].as_str() {
                assert_eq!(format!("{s}").to_lowercase(), special, "{what} sum");
                return check_digests(&what, col, exp);
            }
            let e = exp["sum"].as_f64().unwrap();
            assert!(
                (s - e).abs() <= 1e-12 * e.abs().max(1e-300),
                "{what} sum {s} vs {e}"
            );
        }
    }
    check_digests(&what, col, exp);
}

fn check_digests(what: &str, col: &Column, exp: &Value) {
    assert_eq!(
        sha(&le_bytes(&col.values)),
        exp["values_sha256"].as_str().unwrap(),
        "{what} values"
    );
    match (col.counts(), exp["counts_sha256"].as_str()) {
        (Some(c), Some(e)) => {
            let bytes: Vec<u8> = c.iter().flat_map(|x| x.to_le_bytes()).collect();
            assert_eq!(sha(&bytes), e, "{what} counts");
        }
        (None, None) => {}
        (c, e) => panic!(
            "{what}: jaggedness differs (cortado {:?}, uproot {:?})",
            c.is_some(),
            e
        ),
    }
}

/// Checks every tree and branch of file `rel` (at `path`) against its
/// record; returns the number of branches checked.
fn check_file(rel: &str, path: &std::path::Path, rec: &Value) -> usize {
    let mut branches = 0;
    let file = RootFile::open(path.to_str().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    file.streamer_infos().unwrap_or_else(|e| panic!("{e}"));
    for (tname, trec) in rec["trees"].as_object().unwrap() {
        let tree = file.tree(tname).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            tree.entries(),
            trec["entries"].as_u64().unwrap(),
            "{rel}:{tname} entries"
        );
        let expected_branches = trec["branches"].as_object().unwrap();
        let names: Vec<&str> = expected_branches.keys().map(String::as_str).collect();
        let cols = tree.read_all(&names).unwrap_or_else(|e| panic!("{e}"));
        for (name, col) in names.iter().zip(&cols) {
            check_column(rel, tname, name, col, &expected_branches[*name]);
            branches += 1;
        }
        // What uproot cannot read as numbers, cortado must refuse rather than misread.
        for n in trec["not_numeric"].as_array().unwrap() {
            let n = n.as_str().unwrap();
            let b = tree
                .branch(n)
                .unwrap_or_else(|| panic!("{rel}: no branch {n}"));
            assert!(
                tree.shape(b).is_err(),
                "{rel}:{tname}:{n} should not be readable as numbers"
            );
        }
        assert_eq!(
            tree.branches().len(),
            names.len() + trec["not_numeric"].as_array().unwrap().len(),
            "{rel}:{tname} branch count"
        );
    }
    branches
}

/// The files of `expected.json` that are shipped in `tests/data` (`true`)
/// or only in `../shared/data` (`false`).
fn files(shipped: bool) -> Vec<(String, Value)> {
    expected()
        .as_object()
        .unwrap()
        .iter()
        .filter(|(rel, rec)| !rel.starts_with('_') && rec["shipped"].as_bool() == Some(shipped))
        .map(|(rel, rec)| (rel.clone(), rec.clone()))
        .collect()
}

#[test]
fn every_branch_of_every_shipped_file_matches_uproot() {
    let (mut n, mut branches) = (0, 0);
    for (rel, rec) in files(true) {
        let path = data_dir().join(&rel);
        assert!(path.exists(), "shipped file {rel} is missing");
        branches += check_file(&rel, &path, &rec);
        n += 1;
    }
    eprintln!("checked {branches} branches in {n} shipped files");
    assert!(n >= 16 && branches > 1000, "{n} files, {branches} branches");
}

#[test]
#[ignore = "needs ../shared (the large synthetic files)"]
fn every_branch_of_the_shared_files_matches_uproot() {
    let shared = files(false);
    assert!(!shared.is_empty(), "expected.json lists no shared file");
    for (rel, rec) in &shared {
        let path = shared_dir().join(rel);
        assert!(
            path.exists(),
            "{} is missing: this test needs ../shared beside the repository",
            path.display()
        );
        let branches = check_file(rel, &path, rec);
        eprintln!("{rel}: {branches} branches checked");
    }
}

/// Files with every layout the reader distinguishes: LZMA NanoAOD, all leaf
/// types, embedded baskets, a real ROOT 6.22 NanoAOD.
const VARIED_FILES: [&str; 4] = [
    "synthetic/dy_small_lzma9.root",
    "gen/alltypes_zlib.root",
    "gen/embedded.root",
    "nanoaod/nanoAOD_2015_CMS_Open_Data_ttbar.root",
];

#[test]
fn reading_in_pieces_equals_reading_whole() {
    for rel in VARIED_FILES {
        let file = RootFile::open(data_dir().join(rel).to_str().unwrap()).unwrap();
        let tree = file.tree("Events").unwrap();
        let names = tree.readable_branches();
        // (step, last entry): one entry at a time over the first entries, then larger steps.
        for (step, end) in [
            (1u64, 120u64.min(tree.entries())),
            (7, tree.entries()),
            (337, tree.entries()),
            (1000, tree.entries()),
        ] {
            let whole = tree.read(&names, 0..end).unwrap();
            let mut joined: Vec<(Vec<u8>, Vec<u32>)> = vec![(Vec::new(), Vec::new()); names.len()];
            let mut start = 0;
            while start < end {
                let stop = (start + step).min(end);
                for (j, c) in tree
                    .read(&names, start..stop)
                    .unwrap()
                    .into_iter()
                    .enumerate()
                {
                    joined[j].0.extend(le_bytes(&c.values));
                    joined[j].1.extend(c.counts().unwrap_or_default());
                }
                start = stop;
            }
            for (j, w) in whole.iter().enumerate() {
                assert!(
                    joined[j].0 == le_bytes(&w.values),
                    "{rel} {} step {step}: values differ",
                    names[j]
                );
                assert_eq!(
                    joined[j].1,
                    w.counts().unwrap_or_default(),
                    "{rel} {} step {step}",
                    names[j]
                );
            }
        }
    }
}

/// A jagged branch read with its counter branch takes its offsets from the
/// counter; read alone, from its baskets' entry offsets: both must agree.
#[test]
fn jagged_branches_read_alone_equal_read_with_their_counter() {
    for rel in VARIED_FILES {
        let file = RootFile::open(data_dir().join(rel).to_str().unwrap()).unwrap();
        let tree = file.tree("Events").unwrap();
        let names = tree.readable_branches();
        let together = tree.read_all(&names).unwrap();
        let mut jagged = 0;
        for (name, col) in names.iter().zip(&together) {
            let b = tree.branch(name).unwrap();
            let Some(counter) = tree.count_branch(b).map(|c| c.name.clone()) else {
                continue; // flat, or a fixed-size array
            };
            jagged += 1;
            let end = tree.entries();
            for range in [0..end, end / 3..end - end / 5] {
                let alone = tree.read(&[name], range.clone()).unwrap().remove(0);
                let part = if range.start == 0 && range.end == end {
                    col.clone()
                } else {
                    tree.read(&[name, &counter], range.clone())
                        .unwrap()
                        .remove(0)
                };
                assert_eq!(alone, part, "{rel} {name} {range:?}");
            }
        }
        assert!(jagged > 0, "{rel} has jagged branches");
    }
}
