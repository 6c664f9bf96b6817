//! The example binary runs the analysis with its Rust functions and hooks,
//! and the histograms they fill agree with each other and with the cutflow.

mod common;

use std::process::Command;

use common::*;

const DATA: (&str, &str) = ("DATA_SingleMuon", "DATA_SingleMuon_2018_EraA");
const DY: (&str, &str) = ("DYJetsToLL", "DYJetsToLL_M-50_2018");

#[test]
fn rust_functions_and_hooks_fill_consistent_histograms() {
    let out = tmp_dir("main");
    let o = run(&example_dir().join("analysis.yaml"), &out, &[]);
    let presel = o["cutflow"]["presel"][DATA.1]["nominal"].as_f64().unwrap();
    let tight = o["cutflow"]["two_tight_iso"][DATA.1][DATA.0]["nominal"]
        .as_f64()
        .unwrap();
    assert!(
        presel > 100.0 && tight > 0.0 && tight < presel,
        "{presel} {tight}"
    );

    // Every preselected data event has an opposite-charge muon pair: one
    // cos θ* each, all inside [-1, 1] (no flow).
    let cs = hist(&o, "cos_theta_cs", DATA.0, DATA.1, "baseline", "nominal");
    let cs_cells = with_flow(cs);
    assert_eq!(cs_cells.len(), 12);
    assert_eq!(cs_cells[0] + cs_cells[11], 0.0);
    assert_eq!(total(cs), presel);
    // The hook's 2D histogram holds the same events; projected on cos θ* it is
    // the user function's histogram, bin by bin (10 bins, flow included).
    let h2 = hist(
        &o,
        "mll_vs_cos_theta_cs",
        DATA.0,
        DATA.1,
        "baseline",
        "nominal",
    );
    assert_eq!(total(h2), presel);
    let flow2 = with_flow(h2);
    let ncos = 12; // 10 bins + 2 flow
    let mut proj = vec![0.0; ncos];
    for (i, w) in flow2.iter().enumerate() {
        proj[i % ncos] += w;
    }
    assert_eq!(proj, cs_cells);
    // The collection defined by the apply_object_preselection hook: events
    // with exactly two tightly isolated muons are the category two_tight_iso.
    let n_tight = hist(&o, "nMuonTightIso", DATA.0, DATA.1, "baseline", "nominal");
    assert_eq!(total(n_tight), presel);
    let sumw = with_flow(n_tight);
    // int axis 0..4 with flow: [under, 0, 1, 2, 3, over]
    assert_eq!(sumw[3], tight);
    // The variable of the define_common_variables_after_presel hook.
    assert_eq!(
        total(hist(&o, "dimuon_y", DATA.0, DATA.1, "baseline", "nominal")),
        presel
    );

    // Simulation: the Rust weight and its variations.
    let nominal = total(hist(&o, "cos_theta_cs", DY.0, DY.1, "baseline", "nominal"));
    let up = total(hist(
        &o,
        "cos_theta_cs",
        DY.0,
        DY.1,
        "baseline",
        "muon_id_sfUp",
    ));
    let down = total(hist(
        &o,
        "cos_theta_cs",
        DY.0,
        DY.1,
        "baseline",
        "muon_id_sfDown",
    ));
    assert!(nominal > 0.0);
    let (ru, rd) = (up / nominal, down / nominal);
    // Two muons with SF uncertainties of 0.2-0.8 %: +0.4 to +1.7 %.
    assert!(ru > 1.003 && ru < 1.018, "up/nominal {ru}");
    assert!(rd > 0.982 && rd < 0.997, "down/nominal {rd}");
    for var in ["nominal", "muon_id_sfUp", "muon_id_sfDown"] {
        let a = with_flow(hist(&o, "cos_theta_cs", DY.0, DY.1, "baseline", var));
        let h2 = with_flow(hist(&o, "mll_vs_cos_theta_cs", DY.0, DY.1, "baseline", var));
        let mut proj = vec![0.0; ncos];
        for (i, w) in h2.iter().enumerate() {
            proj[i % ncos] += w;
        }
        for (x, y) in proj.iter().zip(&a) {
            assert!(
                (x - y).abs() <= 1e-12 * y.abs().max(1e-300),
                "{var}: {x} vs {y}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn results_do_not_depend_on_threads_or_chunks() {
    let a = tmp_dir("a");
    let b = tmp_dir("b");
    let cfg = example_dir().join("analysis.yaml");
    let oa = run(&cfg, &a, &["-e", "iterative"]);
    let ob = run(&cfg, &b, &["--chunksize", "700", "-s", "2"]);
    assert_eq!(oa["histograms"], ob["histograms"]);
    assert_eq!(oa["cutflow"], ob["cutflow"]);
    assert_eq!(oa["sumw"], ob["sumw"]);
    assert_eq!(oa["sumw2"], ob["sumw2"]);
    assert_eq!(oa["sum_genweights"], ob["sum_genweights"]);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_wrong_call_of_a_rust_function_names_the_line() {
    let d = tmp_dir("bad");
    let cfg = d.join("bad.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\nhistograms:\n  sf:\n    axes: [{{expr: \"muon_id_sf(MuonGood, 0.5)\", name: sf, bins: 10, start: 0.9, stop: 1.0}}]\n",
            example_dir().join("analysis.yaml").display()
        ),
    )
    .unwrap();
    let r = Command::new(BIN)
        .args(["check", "--cfg"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("bad.yaml:4:"), "{err}");
    assert!(
        err.contains("muon_id_sf(muons, shift) takes a muon collection and an integer"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// The library API does what the command line does: a program's own
/// `runner::run` call gives the output of `zmumu-custom run`.
#[test]
fn the_library_api_runs_the_analysis_as_the_command_line_does() {
    use cortado::runner::{self, outdir::read_merged, Outcome, Quiet, RunRequest};
    let (cli, lib) = (tmp_dir("api-cli"), tmp_dir("api-lib"));
    let cfg = example_dir().join("analysis.yaml");
    let expected = run(&cfg, &cli, &["-c", "2000"]);
    let mut req = RunRequest::new(&cfg, &lib);
    req.chunksize = Some(2000);
    let ext = cortado_example_custom_workflow::extensions();
    let report = runner::run(&req, &ext, &Quiet).unwrap();
    assert_eq!(report.outcome, Outcome::Finished);
    assert!(
        report.summary.contains("output_all.cortado"),
        "{}",
        report.summary
    );
    let (out, files) = read_merged(&lib).unwrap();
    assert_eq!(files, vec![lib.join("output_all.cortado")]);
    assert_eq!(out.to_reference_json(), expected);
    // the same rules for the folder: a second call is refused
    let e = runner::run(&req, &ext, &Quiet).unwrap_err();
    assert!(e.contains("not empty"), "{e}");
}
