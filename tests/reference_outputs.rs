//! cortado against PocketCoffea 0.9.13: the Z->mumu example (official and
//! loose selections, synthetic and real NanoAOD files) and the extended
//! example must equal the recorded reference outputs of `../shared/reference`
//! — every histogram bin, cutflow entry, sumw, sumw2 and column — within
//! 1e-6 relative, as judged by `../shared/tools/compare_outputs.py`.
//! Those tests need `../shared` beside the checkout: they are
//! `#[ignore]`d (`cargo test -- --include-ignored` runs them, as `.ci/run`
//! does) and fail when it is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, which the ignored tests need: they fail without it.
fn shared() -> PathBuf {
    let p = root().join("../shared");
    assert!(
        p.join("reference").exists(),
        "this test needs ../shared (reference outputs and data) beside the checkout"
    );
    p
}

fn cortado(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run cortado");
    assert!(
        out.status.success(),
        "cortado {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cortado-ref-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a configuration, dumps its output and compares it with the reference.
fn check(config: &str, reference: &str, extra_run_args: &[&str]) {
    let shared = shared();
    let out = tmpdir(config);
    let cfg = format!("tests/configs/{config}.yaml");
    let mut args = vec!["run", "--cfg", &cfg, "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra_run_args);
    cortado(&args);
    for f in [
        "output_all.cortado",
        "config.json",
        "parameters_dump.yaml",
        "logfile.log",
    ] {
        assert!(out.join(f).exists(), "{f} missing in the run folder");
    }
    let json = cortado(&["dump", out.to_str().unwrap(), "--json"]);
    let cand = out.join("output.json");
    std::fs::write(&cand, json).unwrap();
    let refpath = ["output.json", "output.json.gz"]
        .iter()
        .map(|f| shared.join("reference").join(reference).join(f))
        .find(|p| p.exists())
        .unwrap();
    let (ok, last, text) = common::compare_outputs(
        &shared,
        &refpath,
        &cand,
        &["--columns", "--allow-migrations", "2"],
    );
    assert!(ok, "{config} vs {reference}:\n{text}");
    eprintln!("{config}: {last}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
#[ignore = "needs ../shared"]
fn zmumu_synthetic_equals_pocketcoffea() {
    check("zmumu_synthetic", "zmumu_synthetic", &[]);
}

#[test]
#[ignore = "needs ../shared"]
fn zmumu_synthetic_loose_equals_pocketcoffea() {
    check("zmumu_synthetic_loose", "zmumu_synthetic_loose", &[]);
}

#[test]
#[ignore = "needs ../shared"]
fn zmumu_nanoaod_equals_pocketcoffea() {
    check("zmumu_nanoaod", "zmumu_nanoaod", &[]);
}

#[test]
#[ignore = "needs ../shared"]
fn zmumu_nanoaod_loose_equals_pocketcoffea() {
    check("zmumu_nanoaod_loose", "zmumu_nanoaod_loose", &[]);
}

/// Pileup and muon ID / isolation scale factors from the real 2018 UL
/// correction files, with their Up/Down variations.
#[test]
#[ignore = "needs ../shared"]
fn zmumu_sf_synthetic_equals_pocketcoffea() {
    check("zmumu_sf_synthetic", "zmumu_sf_synthetic", &[]);
}

#[test]
#[ignore = "needs ../shared"]
fn extended_equals_pocketcoffea() {
    check("extended_synthetic", "extended_synthetic", &[]);
}

#[test]
#[ignore = "needs ../shared"]
fn small_chunks_and_one_thread_give_the_same_result() {
    // Chunk boundaries and thread counts change only the order of additions.
    check(
        "zmumu_synthetic",
        "zmumu_synthetic",
        &["-c", "30000", "-e", "iterative"],
    );
}

#[test]
fn results_are_identical_for_any_chunk_size_and_thread_count() {
    // Bit for bit: sums are compensated, merges are in a fixed order.
    let cfg = "examples/extended/analysis.yaml";
    let mut dumps = Vec::new();
    for (name, extra) in [
        ("whole", &["-c", "1000000"][..]),
        ("clusters", &["-c", "1", "-e", "iterative"][..]),
        ("pairs", &["-c", "2000", "-s", "2"][..]),
    ] {
        let out = tmpdir(&format!("chunks-{name}"));
        let mut args = vec!["run", "--cfg", cfg, "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        cortado(&args);
        dumps.push(cortado(&["dump", out.to_str().unwrap(), "--json"]));
        std::fs::remove_dir_all(&out).ok();
    }
    assert!(dumps[0].len() > 10_000);
    assert!(
        dumps[0] == dumps[1],
        "one chunk per cluster differs from whole files"
    );
    assert!(
        dumps[0] == dumps[2],
        "chunks of 2000 on 2 threads differ from whole files"
    );
}

#[test]
fn shipped_example_runs_and_dumps() {
    let out = tmpdir("example");
    cortado(&[
        "run",
        "--cfg",
        "examples/zmumu/analysis.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    let summary = cortado(&["dump", out.to_str().unwrap()]);
    assert!(
        summary.contains("mll_50_150") && summary.contains("baseline"),
        "{summary}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cortado(&["dump", out.to_str().unwrap(), "--json"])).unwrap();
    let presel = &json["cutflow"]["presel"];
    for ds in [
        "DATA_SingleMuon_2018_EraA",
        "DYJetsToLL_M-50_2018",
        "TTTo2L2Nu_2018",
    ] {
        assert!(
            presel[ds]["nominal"].as_u64().unwrap() > 50,
            "{ds}: {presel}"
        );
    }
    // MC is normalised to the luminosity the example's data file stands for
    // (examples/zmumu/params/lumi.yaml), so data and MC agree in the Z peak.
    let peak = |sample: &str, dataset: &str| -> f64 {
        let h = &json["histograms"]["mll_50_150"][sample][dataset]["baseline"];
        let h = if h["nominal"].is_object() {
            &h["nominal"]
        } else {
            h
        };
        let edges = h["axes"][0]["edges"].as_array().unwrap();
        let sumw = h["sumw"].as_array().unwrap();
        edges
            .iter()
            .zip(sumw)
            .filter(|(lo, _)| (76.0..106.0).contains(&lo.as_f64().unwrap()))
            .map(|(_, w)| w.as_f64().unwrap())
            .sum()
    };
    let data = peak("DATA_SingleMuon", "DATA_SingleMuon_2018_EraA");
    let mc = peak("DYJetsToLL", "DYJetsToLL_M-50_2018") + peak("TTTo2L2Nu", "TTTo2L2Nu_2018");
    assert!(data > 500.0, "data in the Z peak: {data}");
    assert!(
        (0.8..1.25).contains(&(data / mc)),
        "data {data} vs MC {mc} in 76 < mll < 106 GeV"
    );
    let params = std::fs::read_to_string(out.join("parameters_dump.yaml")).unwrap();
    assert!(params.contains("HLT_triggers:") && params.contains("tot: 0.8009"));
    let _ = Path::new("");
    std::fs::remove_dir_all(&out).ok();
}
