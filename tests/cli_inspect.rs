//! End-to-end tests of `cortado inspect`, running the binary.

use std::process::Command;

fn cortado(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cortado");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DY: &str = "tests/data/synthetic/dy_small_zstd5.root";

#[test]
fn table_lists_trees_clusters_and_branches() {
    let (ok, out, err) = cortado(&["inspect", DY]);
    assert!(ok, "{err}");
    assert!(
        out.contains("written by ROOT 6.40/00, compression ZSTD-5"),
        "{out}"
    );
    assert!(
        out.contains("Events (5000 entries, 69 branches), Runs (1 entries, 4 branches)"),
        "{out}"
    );
    assert!(out.contains("clusters:    5 of 1000 entries"), "{out}");
    let muon_pt = out
        .lines()
        .find(|l| l.trim_start().starts_with("Muon_pt "))
        .expect("Muon_pt row");
    assert!(
        muon_pt.contains("float32") && muon_pt.contains("[nMuon]") && muon_pt.contains("ZSTD-5"),
        "{muon_pt}"
    );
}

#[test]
fn json_describes_every_branch() {
    let (ok, out, err) = cortado(&[
        "inspect",
        "tests/data/gen/alltypes_zlib.root",
        "--json",
        "--streamers",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"], 3000);
    assert_eq!(v["clusters"].as_array().unwrap().len(), 5);
    let b = |name: &str| {
        v["branches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(b("ji")["dtype"], "uint32");
    assert_eq!(b("ji")["counter"], "n2");
    assert_eq!(b("fixF")["fixed_len"], 3);
    assert_eq!(b("fixF")["jagged"], false);
    assert_eq!(b("inner")["jagged"], true);
    assert_eq!(b("str")["leaf_type"], "C");
    assert_eq!(b("str")["dtype"], serde_json::Value::Null);
    assert_eq!(b("l")["leaf_type"], "l");
    let streamers = v["streamers"].as_array().unwrap();
    let tree_info = streamers.iter().find(|s| s["class"] == "TTree").unwrap();
    assert_eq!(tree_info["version"], 20);
    assert_eq!(
        tree_info["record_version"], 10,
        "ROOT 6.40 writes TStreamerInfo version 10"
    );
}

#[test]
fn branch_glob_and_other_trees() {
    let (ok, out, _) = cortado(&["inspect", DY, "--branches", "Jet_*", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("Jet_")) && names.len() == 11,
        "{names:?}"
    );
    let (ok, out, _) = cortado(&["inspect", DY, "--tree", "Runs", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"], 1);
    let (ok, out, err) = cortado(&[
        "inspect",
        "tests/data/gen/alltypes_none.root",
        "--tree",
        "sub/Inner",
        "--sum",
        "v",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["branches"]["v"]["sum"], 285); // sum of squares 0..9
}

#[test]
fn sums_match_uproot() {
    // Values from ../shared/data/SUMS.json (uproot 5.7.7) for dy_small_*: all four compressions agree.
    for f in ["lzma9", "zstd5", "zlib1", "lz4"] {
        let path = format!("tests/data/synthetic/dy_small_{f}.root");
        let (ok, out, err) = cortado(&[
            "inspect",
            &path,
            "--sum",
            "nMuon",
            "Muon_pt",
            "HLT_IsoMu24",
            "event",
            "Muon_tightId",
            "--json",
        ]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["entries"], 5000);
        let exp = expected_sums(&format!("synthetic/dy_small_{f}.root"));
        for b in ["nMuon", "Muon_pt", "HLT_IsoMu24", "event", "Muon_tightId"] {
            let got = &v["branches"][b];
            assert_eq!(got["count"], exp[b]["count"], "{f} {b}");
            let (g, e) = (
                got["sum"].as_f64().unwrap(),
                exp[b]["sum"].as_f64().unwrap(),
            );
            assert!((g - e).abs() <= 1e-12 * e.abs(), "{f} {b}: {g} vs {e}");
        }
    }
}

fn expected_sums(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/expected.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[rel]["trees"]["Events"]["branches"].clone()
}

#[test]
fn typos_get_suggestions_and_bad_files_clear_errors() {
    let (ok, _, err) = cortado(&["inspect", DY, "--sum", "Muon_pT"]);
    assert!(!ok);
    assert!(
        err.contains("no branch 'Muon_pT'") && err.contains("did you mean 'Muon_pt'"),
        "{err}"
    );
    let (ok, _, err) = cortado(&["inspect", DY, "--tree", "Event"]);
    assert!(!ok);
    assert!(
        err.contains("did you mean 'Events'") && err.contains("LuminosityBlocks (TTree)"),
        "{err}"
    );
    let (ok, _, err) = cortado(&["inspect", "README.md"]);
    assert!(!ok);
    assert!(
        err.contains("README.md") && err.contains("not a ROOT file"),
        "{err}"
    );
    let (ok, _, err) = cortado(&["inspect", "no/such/file.root"]);
    assert!(!ok && err.contains("no/such/file.root"), "{err}");
    let (ok, _, err) = cortado(&[
        "inspect",
        "tests/data/gen/alltypes_zlib.root",
        "--sum",
        "str",
    ]);
    assert!(
        !ok && err.contains("branch 'str'") && err.contains("not plain numbers"),
        "{err}"
    );
    let (ok, _, err) = cortado(&["inspect", DY, "--branches", "Nope_*"]);
    assert!(!ok && err.contains("no branch"), "{err}");
}

#[test]
fn help_teaches() {
    let (ok, out, _) = cortado(&["inspect", "--help"]);
    assert!(ok);
    assert!(out.contains("--sum") && out.contains("Examples:"), "{out}");
}

/// A file without a tree says what it has, and an empty one says it is
/// empty (the message was "the file has: " with nothing after it).
#[test]
fn a_missing_tree_names_what_the_file_holds() {
    let (ok, _, err) = cortado(&["inspect", "tests/data/gen/empty.root"]);
    assert!(!ok);
    assert!(
        err.contains("no tree 'Events'; its directory has no keys (it is empty, or damaged)"),
        "{err}"
    );
    let (ok, _, err) = cortado(&["inspect", DY, "--tree", "Event"]);
    assert!(!ok);
    assert!(
        err.contains("did you mean 'Events'") && err.contains("it has: Events (TTree)"),
        "{err}"
    );
}
