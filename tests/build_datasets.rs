//! `cortado build-datasets`: PocketCoffea dataset definitions → fileset
//! JSONs that `cortado run` reads (the zmumu example from a built fileset
//! equals the example's own run), `-o` without stale datasets, every bad
//! file reported at once, `--check`, and root:// directories.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A definition file in `dir` for the zmumu example's three files, found
/// through a glob (DY), a folder (tt̄, copied into its own folder) and a
/// file (data); `extra` adds keys.
fn definitions(dir: &Path, extra: &str) -> PathBuf {
    let data = common::root().join("examples/zmumu/data");
    let tt = dir.join("tt");
    std::fs::create_dir_all(&tt).unwrap();
    std::fs::copy(
        data.join("tt_2018_small.root"),
        tt.join("tt_2018_small.root"),
    )
    .unwrap();
    let text = format!(
        r#"{{
  "DYJetsToLL_M-50": {{"sample": "DYJetsToLL", "json_output": "datasets/fileset.json",
    "files": [{{"das_names": ["{data}/dy_*.root"],
               "metadata": {{"year": "2018", "isMC": true, "xsec": 6077.22}}}}]}},
  "TTTo2L2Nu": {{"sample": "TTTo2L2Nu", "json_output": "datasets/fileset.json",
    "files": [{{"das_names": ["tt"], "metadata": {{"year": "2018", "isMC": true, "xsec": 88.29}}}}]}},
  "DATA_SingleMuon": {{"sample": "DATA_SingleMuon", "json_output": "datasets/fileset.json",
    "files": [{{"das_names": ["{data}/data_2018_SingleMuon_small.root"],
               "metadata": {{"year": "2018", "isMC": false, "era": "A", "primaryDataset": "SingleMuon"}}}}]}}{extra}
}}"#,
        data = data.display()
    );
    let p = dir.join("datasets_definitions.json");
    std::fs::write(&p, text).unwrap();
    p
}

fn build(cfg: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build-datasets", "--cfg", cfg.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::cortado(&args)
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn a_built_fileset_runs_the_example_as_its_own_fileset() {
    let dir = common::tmpdir("datasets", "example");
    let cfg = definitions(&dir, "");
    let o = build(&cfg, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fileset = read(&dir.join("datasets/fileset.json"));
    let data = &fileset["DATA_SingleMuon_2018_EraA"]["metadata"];
    assert_eq!(data["isMC"], "False");
    assert_eq!(data["era"], "A");
    assert_eq!(data["nevents"], "6000");
    let dy = &fileset["DYJetsToLL_M-50_2018"]["metadata"];
    assert_eq!(
        (dy["xsec"].as_str(), dy["isMC"].as_str()),
        (Some("6077.22"), Some("True"))
    );
    assert!(dy["das_names"].as_str().unwrap().starts_with("['/"));
    assert_eq!(
        fileset["TTTo2L2Nu_2018"]["files"].as_array().unwrap().len(),
        1
    );
    // the example with this fileset in place of its own: the same output
    let yaml = dir.join("analysis.yaml");
    std::fs::write(
        &yaml,
        format!(
            "extends: {}\ndatasets:\n  jsons: [datasets/fileset.json]\n",
            common::root()
                .join("examples/zmumu/analysis.yaml")
                .display()
        ),
    )
    .unwrap();
    let (a, b) = (dir.join("built"), dir.join("shipped"));
    common::run_ok(yaml.to_str().unwrap(), a.to_str().unwrap(), &[]);
    common::run_ok("examples/zmumu/analysis.yaml", b.to_str().unwrap(), &[]);
    assert!(
        common::numbers(&a) == common::numbers(&b),
        "the outputs differ"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn overwrite_replaces_a_key_whole_and_keeps_the_others() {
    let dir = common::tmpdir("datasets", "overwrite");
    // TTTo2L2Nu first built in two parts, then in one: the second part must go
    let two = r#",
  "EXTRA": {"sample": "extra", "json_output": "datasets/fileset.json",
    "files": [{"das_names": ["tt"], "metadata": {"year": "2018", "isMC": true, "xsec": 1, "part": "a"}},
              {"das_names": ["tt"], "metadata": {"year": "2018", "isMC": true, "xsec": 1, "part": "b"}}]}"#;
    let cfg = definitions(&dir, two);
    assert!(build(&cfg, &[]).status.success());
    let out = dir.join("datasets/fileset.json");
    assert!(read(&out).get("EXTRA_b_2018").is_some());
    // again without -o: refused, the file unchanged
    let before = std::fs::read(&out).unwrap();
    let o = build(&cfg, &["-k", "EXTRA"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("already has dataset 'EXTRA_a_2018'") && err.contains("-o/--overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // one part now
    let one = r#",
  "EXTRA": {"sample": "extra", "json_output": "datasets/fileset.json",
    "files": [{"das_names": ["tt"], "metadata": {"year": "2018", "isMC": true, "xsec": 1, "part": "a"}}]}"#;
    let cfg = definitions(&dir, one);
    let o = build(&cfg, &["-k", "EXTRA", "-o"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = read(&out);
    assert!(v.get("EXTRA_a_2018").is_some());
    assert!(
        v.get("EXTRA_b_2018").is_none(),
        "a stale dataset of the rebuilt key stayed"
    );
    assert!(
        v.get("DYJetsToLL_M-50_2018").is_some(),
        "another key's dataset was lost"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_bad_file_is_reported_and_nothing_is_written() {
    let dir = common::tmpdir("datasets", "bad");
    definitions(&dir, "");
    // two damaged files in the tt̄ folder, and a folder that does not exist
    let tt = dir.join("tt");
    std::fs::write(tt.join("empty.root"), b"").unwrap();
    let bytes = std::fs::read(tt.join("tt_2018_small.root")).unwrap();
    std::fs::write(tt.join("cut.root"), &bytes[..bytes.len() / 3]).unwrap();
    let missing = r#",
  "QCD": {"sample": "QCD", "json_output": "datasets/qcd.json",
    "files": [{"das_names": ["no-such-folder"],
               "metadata": {"year": "2018", "isMC": true, "xsec": 1}}]}"#;
    let cfg2 = definitions(&dir, missing);
    let o = build(&cfg2, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "3 file(s) or folder(s) cannot be read",
        "empty.root",
        "cut.root",
        "truncated",
        "QCD_2018",
        "no-such-folder",
    ] {
        assert!(err.contains(want), "no {want:?} in:\n{err}");
    }
    assert!(!dir.join("datasets/fileset.json").exists());
    // --check of a fileset whose file was damaged after it was built
    std::fs::remove_file(tt.join("empty.root")).unwrap();
    std::fs::remove_file(tt.join("cut.root")).unwrap();
    let cfg = definitions(&dir, "");
    assert!(build(&cfg, &[]).status.success());
    std::fs::write(tt.join("tt_2018_small.root"), &bytes[..bytes.len() / 2]).unwrap();
    let o = build(&cfg, &["--check"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 bad file(s)")
            && err.contains("TTTo2L2Nu_2018")
            && err.contains("tt_2018_small.root"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn a_root_directory_is_listed_and_its_files_counted() {
    let var = |n: &str| {
        std::env::var(n)
            .unwrap_or_else(|_| panic!("{n} is not set: eval \"$(.ci/xrootd_start.sh)\""))
    };
    let sub = format!("cortado-bd-{}", std::process::id());
    let served = PathBuf::from(var("CORTADO_TEST_XROOTD_DIR")).join(&sub);
    std::fs::create_dir_all(&served).unwrap();
    let data = common::root().join("examples/zmumu/data");
    for f in ["dy_2018_small.root", "tt_2018_small.root"] {
        std::fs::copy(data.join(f), served.join(f)).unwrap();
    }
    std::fs::write(served.join("notes.txt"), "not a ROOT file").unwrap();
    let dir = common::tmpdir("datasets", "xrootd");
    let url = format!("{}/{sub}", var("CORTADO_TEST_XROOTD"));
    let cfg = dir.join("defs.json");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"MC": {{"sample": "mc", "json_output": "mc.json",
                "files": [{{"das_names": ["{url}"], "metadata": {{"year": "2018", "isMC": true, "xsec": 1.5}}}}]}}}}"#
        ),
    )
    .unwrap();
    let o = build(&cfg, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = read(&dir.join("mc.json"));
    let files: Vec<&str> = v["MC_2018"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            format!("{url}/dy_2018_small.root"),
            format!("{url}/tt_2018_small.root")
        ]
    );
    assert_eq!(v["MC_2018"]["metadata"]["nevents"], "10000");
    assert!(build(&cfg, &["--check"]).status.success());
    std::fs::remove_dir_all(served).unwrap();
    std::fs::remove_dir_all(dir).ok();
}
