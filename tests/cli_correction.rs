//! `cortado correction summary` and `cortado correction eval`, end to end,
//! on the hand-written files of crates/cortado-correction/tests/data (and,
//! when `../shared` is there, on a real CMS file).

mod common;

use common::{cortado, root};

const DATA: &str = "crates/cortado-correction/tests/data";

/// `cortado correction eval FILE NAME ARGS…`: (exit ok, stdout, stderr).
fn eval(file: &str, name: &str, args: &[&str]) -> (bool, String, String) {
    let f = format!("{DATA}/{file}");
    let mut all = vec!["correction", "eval", &f, name];
    all.extend_from_slice(args);
    let o = cortado(&all);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn eval_prints_the_value_alone() {
    assert_eq!(
        eval("nodes.json", "categories", &["5", "central", "30"]),
        (true, "1.1\n".to_string(), String::new())
    );
    // negative numbers are values, not options
    assert_eq!(eval("nodes.json", "list_flows", &["-3", "node"]).1, "100\n");
    // a compound correction, as the library computes it
    let set = cortado_correction::CorrectionSet::from_file(root().join(DATA).join("compound.json"))
        .unwrap();
    use cortado_correction::Value::Real;
    let v = set
        .compound("mult_mult")
        .unwrap()
        .evaluate(&[Real(50.0), Real(2.0), Real(0.0)])
        .unwrap();
    assert_eq!(
        eval("compound.json", "mult_mult", &["50", "2", "0"]).1,
        format!("{v}\n")
    );
    // full precision: the printed text reads back to the same double
    let (_, out, _) = eval(
        "hashprng.json",
        "hashprng",
        &["30.5", "1.2", "12345", "stdnormal"],
    );
    assert_eq!(out.trim().parse::<f64>().unwrap(), -0.9491561691502117);
}

#[test]
fn eval_refusals_go_to_stderr_with_a_failure_code() {
    let (ok, out, err) = eval("nodes.json", "categories", &["0", "central", "5000"]);
    assert!(!ok);
    assert_eq!(out, "");
    assert!(
        err.contains(
            "nodes.json: correction 'categories': input 'pt' = 5000 is above the range [20, 1000)"
        ),
        "{err}"
    );
    let (ok, _, err) = eval("nodes.json", "categoris", &["5", "central", "30"]);
    assert!(!ok);
    assert!(
        err.contains("no correction named 'categoris' (did you mean 'categories'?)"),
        "{err}"
    );
    let (ok, _, err) = eval("nodes.json", "categories", &["5", "central"]);
    assert!(!ok);
    assert!(
        err.contains("takes 3 inputs: flavour (int), syst (string), pt (real); got 2"),
        "{err}"
    );
    let (ok, _, err) = eval("nodes.json", "categories", &["5.5", "central", "30"]);
    assert!(!ok);
    assert!(
        err.contains("input 'flavour': '5.5' is not an integer"),
        "{err}"
    );
    let (ok, _, err) = eval("missing.json", "c", &[]);
    assert!(!ok);
    assert!(err.contains("missing.json: cannot read"), "{err}");
}

#[test]
fn summary_lists_inputs_ranges_and_keys() {
    let f = format!("{DATA}/nodes.json");
    let o = cortado(&["correction", "summary", &f]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8_lossy(&o.stdout);
    for expected in [
        "9 corrections, 0 compound corrections",
        "correction categories (v1)\n  int and string categories, with and without defaults\n",
        "    flavour (int)\n      values -3, 0, 4, 5; has default\n",
        "    pt (real)\n      range [20, 1000); out of range is an error\n",
        "correction transform_real (v1)",
        "    eta (real)\n      range [0, 2.4); out of range is an error; has transform\n",
        "  output:\n    weight (real): the value\n",
    ] {
        assert!(s.contains(expected), "{expected:?} not in:\n{s}");
    }
    let f = format!("{DATA}/compound.json");
    let s = String::from_utf8_lossy(&cortado(&["correction", "summary", &f]).stdout).into_owned();
    assert!(
        s.contains(
            "compound correction mult_mult\n  input_op *, output_op *\n  stack: L1, L2, L3, L4\n"
        ),
        "{s}"
    );
    assert!(
        s.contains("    x (real)\n      updated by each component with (*)\n"),
        "{s}"
    );
}

#[test]
#[ignore = "needs ../shared"]
fn eval_on_a_real_cms_file() {
    let f = root().join("../shared/data/corrections/2018_UL/muon_Z.json.gz");
    assert!(f.exists(), "{} is missing", f.display());
    let f = f.to_str().unwrap();
    let o = cortado(&[
        "correction",
        "eval",
        f,
        "NUM_TightID_DEN_TrackerMuons",
        "1.2",
        "40",
        "nominal",
    ]);
    // correctionlib 2.9.0 gives 0.9903910069205633
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0.9903910069205633\n");
    let o = cortado(&["correction", "summary", f]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("29 corrections, 0 compound corrections"), "{s}");
}
