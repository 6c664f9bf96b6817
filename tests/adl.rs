//! The ADL benchmark queries of `examples/adl/` equal the same queries
//! computed independently with uproot, awkward and hist
//! (`examples/adl/reference.py`): every bin, underflow and overflow.

mod common;

use std::path::{Path, PathBuf};

use common::{dump, root, run_ok, tmpdir};
use serde_json::Value;

/// The ADL configuration reading `file` as sample TTTo2L2Nu, with `extra`
/// appended (more configuration), written into `dir`; its path.
fn adl_config(dir: &Path, file: &Path, extra: &str) -> PathBuf {
    std::fs::write(
        dir.join("fileset.json"),
        format!(
            r#"{{"TTTo2L2Nu_2018": {{"metadata": {{"sample": "TTTo2L2Nu", "year": "2018", "isMC": "True", "xsec": "1"}}, "files": ["{}"]}}}}"#,
            file.display()
        ),
    )
    .unwrap();
    let cfg = dir.join("adl.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ndatasets:\n  jsons: [fileset.json]\n  filter: {{samples: [TTTo2L2Nu], samples_exclude: [], year: ['2018']}}\n{extra}",
            root().join("examples/adl/analysis.yaml").display()
        ),
    )
    .unwrap();
    cfg
}

/// Runs the ADL configuration on `file` and compares with the reference.
fn check(file: &Path, name: &str) {
    let dir = tmpdir("adl", name);
    let file = std::fs::canonicalize(file).unwrap();
    let cfg = adl_config(&dir, &file, "");
    let out = dir.join("out");
    run_ok(
        cfg.to_str().unwrap(),
        out.to_str().unwrap(),
        &["-c", "3000"],
    );
    let mine: Value = serde_json::from_str(&dump(&out)).unwrap();
    let reference = common::python_json("examples/adl/reference.py", &file);
    let queries = reference.as_object().unwrap();
    assert_eq!(
        queries.len(),
        9,
        "the eight ADL queries (6 has two histograms)"
    );
    for (q, want) in queries {
        let by_cat = &mine["histograms"][q]["TTTo2L2Nu"]["TTTo2L2Nu_2018"];
        let cats = by_cat.as_object().unwrap();
        assert_eq!(cats.len(), 1, "{q}: one category");
        let h = &cats.values().next().unwrap()["nominal"];
        assert_eq!(h["sumw"], want["sumw"], "{name}: {q} bins");
        assert_eq!(
            h["underflow_sumw"], want["underflow"],
            "{name}: {q} underflow"
        );
        assert_eq!(h["overflow_sumw"], want["overflow"], "{name}: {q} overflow");
        let total = h["sumw_total"].as_f64().unwrap();
        assert!(total > 0.0, "{name}: {q} is empty");
    }
}

#[test]
#[ignore = "needs Python with uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn adl_queries_on_the_example_file_equal_uproot_and_awkward() {
    check(
        &root().join("examples/zmumu/data/tt_2018_small.root"),
        "example",
    );
}

#[test]
#[ignore = "needs ../shared and Python with uproot, awkward, hist (CORTADO_TEST_PYTHON)"]
fn adl_queries_on_the_shared_synthetic_files_equal_uproot_and_awkward() {
    let shared = root().join("../shared/data/synthetic");
    assert!(shared.is_dir(), "../shared is missing");
    check(&shared.join("tt_2018.root"), "tt");
    check(&shared.join("dy_2018.root"), "dy");
}

#[test]
fn too_many_tuples_in_a_chunk_is_an_error_naming_the_chunk() {
    let dir = tmpdir("adl", "boom");
    let file = root().join("examples/zmumu/data/tt_2018_small.root");
    // 6 jets of an event, 6^6 per event: too many in the chunk, smaller chunks help;
    // 8 of them: one event alone is over the limit, smaller chunks cannot help
    for (members, advice) in [
        (
            6,
            "use smaller chunks (--chunksize) or select the objects first",
        ),
        (
            8,
            "select the objects first (fewer objects, or fewer members per tuple)",
        ),
    ] {
        let jets = vec!["Jet"; members].join(", ");
        let cfg = adl_config(
            &dir,
            &file,
            &format!("workflow:\n  variables:\n    boom: count(cartesian({jets}))\n"),
        );
        let out = dir.join(format!("out{members}"));
        let o = common::run(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{err}");
        for needle in [
            "cartesian",
            &format!("tuples of {members}"),
            advice,
            "tt_2018_small.root entries 0..",
        ] {
            assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
