//! A damaged counter branch (a negative count; counts moved between two
//! entries) stops a run with an error naming the file, entries and branch —
//! never a panic — or, with `--skip-bad-files`, its chunk is recorded in
//! `failed_chunks.json` and the run goes on.

mod common;

use std::path::{Path, PathBuf};

use cortado_root::RootFile;

/// The uncompressed NanoAOD-like test file (3 baskets of 1000 entries).
fn pristine() -> Vec<u8> {
    std::fs::read(common::root().join("tests/data/gen/uproot_none.root")).unwrap()
}

/// The file position of entry `i` of branch `name` (a flat `Int_t` branch).
fn entry_at(bytes: &[u8], path: &Path, name: &str, i: u64) -> usize {
    let f = RootFile::open(path.to_str().unwrap()).unwrap();
    let t = f.tree("Events").unwrap();
    let b = t.branch(name).unwrap();
    let k = b
        .baskets
        .iter()
        .find(|k| k.entry_start <= i && i < k.entry_stop)
        .unwrap();
    let seek = k.seek as usize;
    let key_len = i16::from_be_bytes([bytes[seek + 14], bytes[seek + 15]]) as usize;
    seek + key_len + 4 * (i - k.entry_start) as usize
}

/// A data fileset of a good file, one with `nMuon = -1` at entry 2005 and
/// one with counts moved between two entries of the first basket, and a small analysis of
/// the muons over it.
fn setup(dir: &Path) -> PathBuf {
    let good = dir.join("good.root");
    std::fs::write(&good, pristine()).unwrap();
    let mut neg = pristine();
    let at = entry_at(&neg, &good, "nMuon", 2005);
    neg[at..at + 4].copy_from_slice(&(-1i32).to_be_bytes());
    std::fs::write(dir.join("negative.root"), &neg).unwrap();
    let mut shifted = pristine();
    let get = |b: &[u8], at: usize| i32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    // the first entry from 10 on followed by one with a muon
    let first = entry_at(&shifted, &good, "nMuon", 0);
    let at = (10..999)
        .map(|i| first + 4 * i)
        .find(|&at| get(&shifted, at + 4) >= 1)
        .unwrap();
    let (a, b) = (get(&shifted, at), get(&shifted, at + 4));
    shifted[at..at + 4].copy_from_slice(&(a + 1).to_be_bytes());
    shifted[at + 4..at + 8].copy_from_slice(&(b - 1).to_be_bytes());
    std::fs::write(dir.join("shifted.root"), &shifted).unwrap();
    let fileset = serde_json::json!({
        "DATA_Test_2018": {
            "metadata": {"sample": "DATA_Test", "year": "2018", "isMC": "False"},
            "files": ["good.root", "negative.root", "shifted.root"]
        }
    });
    std::fs::write(dir.join("fileset.json"), fileset.to_string()).unwrap();
    let cfg = dir.join("analysis.yaml");
    std::fs::write(
        &cfg,
        "datasets:\n  jsons: [fileset.json]\n\
         skim: [passthrough]\n\
         preselections: []\n\
         categories: {baseline: [passthrough]}\n\
         histograms:\n  \
           muon_pt: {axes: [{coll: Muon, field: pt, bins: 10, start: 0, stop: 100}]}\n  \
           lead_pt: {axes: [{expr: 'fill_none(first(Muon.pt), -1)', name: lead, bins: 10, start: 0, stop: 100}]}\n",
    )
    .unwrap();
    cfg
}

#[test]
fn a_damaged_counter_is_a_clear_error_or_a_skipped_chunk() {
    let dir = common::tmpdir("counters", "bad");
    let cfg = setup(&dir);
    let (cfg_s, out) = (cfg.to_str().unwrap(), dir.join("out"));
    let out_s = out.to_str().unwrap();

    let o = common::run(cfg_s, out_s, &["-c", "1000", "-e", "iterative"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        (err.contains("negative.root") && err.contains("branch 'nMuon'"))
            || (err.contains("shifted.root") && err.contains("disagree")),
        "{err}"
    );

    let out = dir.join("out2");
    let log = common::run_ok(
        cfg_s,
        out.to_str().unwrap(),
        &["-c", "1000", "--skip-bad-files"],
    );
    assert!(!log.contains("panicked"), "{log}");
    let failed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("failed_chunks.json")).unwrap())
            .unwrap();
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let of = |file: &str| {
        failed
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} not in {failed:?}"))
    };
    let neg = of("negative.root");
    assert_eq!(neg["entries"], serde_json::json!([2000, 3000]), "{neg}");
    let e = neg["error"].as_str().unwrap();
    assert!(
        e.contains("entries 2000..3000")
            && e.contains("branch 'nMuon'")
            && e.contains("entry 2005"),
        "{e}"
    );
    let shifted = of("shifted.root");
    assert_eq!(
        shifted["entries"],
        serde_json::json!([0, 1000]),
        "{shifted}"
    );
    let e = shifted["error"].as_str().unwrap();
    assert!(e.contains("Muon_pt") && e.contains("disagree"), "{e}");
    // the good file and the good chunks of the others
    let json: serde_json::Value = serde_json::from_str(&common::dump(&out)).unwrap();
    let initial = json["cutflow"]["initial"]["DATA_Test_2018"]
        .as_u64()
        .unwrap();
    assert_eq!(initial, 3000 + 2000 + 2000);
    std::fs::remove_dir_all(&dir).ok();
}
