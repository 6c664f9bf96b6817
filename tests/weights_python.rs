//! PocketCoffea's common weights against PocketCoffea's formulas evaluated
//! by the Python correctionlib: `tests/configs/weights/syst.yaml` puts each
//! of sf_ele_reco, sf_ele_id, sf_ele_trigger (a toy file), sf_btag (its
//! eight sources), sf_jet_puId, sf_L1prefiring, sf_partonshower_isr/fsr and
//! sf_qcd_renorm/factor_scale in its own category on the first 10,000
//! events of `../shared/data/synthetic/{tt,dy}_2018_syst.root` and stores
//! every event's weight and variations as columns;
//! `tests/python/common_weights.py` computes them with uproot, awkward and
//! correctionlib as PocketCoffea 0.9.13 and coffea 0.7's `Weights` do, and
//! requires the same numbers to the last bit.
//!
//! Needs `../shared` and `$CORTADO_TEST_PYTHON` (a Python with correctionlib,
//! uproot and awkward; `.ci/run` makes one): ignored by default, and failing,
//! not passing, when either is missing.

mod common;

use std::process::Command;

use common::root;

#[test]
#[ignore = "needs ../shared and Python (CORTADO_TEST_PYTHON)"]
fn common_weights_equal_pocketcoffea_formulas_with_python_correctionlib() {
    let shared = root().join("../shared");
    assert!(
        shared.join("data/synthetic/tt_2018_syst.root").exists(),
        "this test needs ../shared (the synthetic files with systematics branches)"
    );
    let py = std::env::var("CORTADO_TEST_PYTHON").expect(
        "CORTADO_TEST_PYTHON is not set: it must name a Python with correctionlib, uproot and \
         awkward (.ci/run makes one)",
    );
    let dir = common::tmpdir("weights-py", "syst");
    let out = dir.join("out");
    common::run_ok(
        "tests/configs/weights/syst.yaml",
        out.to_str().unwrap(),
        // the first cluster (10,000 events) of each file
        &["-c", "3000", "--lc", "1"],
    );
    let dump = dir.join("dump.json");
    std::fs::write(&dump, common::dump(&out)).unwrap();
    let o = Command::new(&py)
        .arg(root().join("tests/python/common_weights.py"))
        .arg(&dump)
        .arg(&shared)
        .arg(root().join("tests/data/corrections/toy_ele_trigger.json"))
        .output()
        .expect("run the Python of CORTADO_TEST_PYTHON");
    let text = String::from_utf8_lossy(&o.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        o.status.success() && last.ends_with(" 0 failed"),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{last}");
    std::fs::remove_dir_all(&dir).ok();
}
