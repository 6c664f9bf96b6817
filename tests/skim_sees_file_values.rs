//! The skim runs before every definition: it reads the files' values even
//! where `workflow.objects` redefines a field from others (`Jet.pt: Jet.mass + 40`), as
//! PocketCoffea's skim runs before `apply_object_preselection`. Before the
//! fix, `check` passed and `run` failed with "branch 'Jet_pt' was not read
//! (internal planning error)".

mod common;

use serde_json::Value as J;

fn config(dir: &std::path::Path, name: &str, objects: &str) -> std::path::PathBuf {
    let cfg = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &cfg,
        format!(
            "datasets:\n  jsons: [{}]\n  filter: {{samples: [DYJetsToLL]}}\n\
             workflow:\n  objects:\n{objects}    JetGood: Jet[Jet.pt > 30]\n\
             skim:\n  - {{name: onejet, expr: \"count(Jet[Jet.pt > 40]) >= 1\"}}\n\
             preselections: []\n\
             categories: {{baseline: [passthrough]}}\n\
             weights: {{common: {{inclusive: [genWeight]}}}}\n\
             histograms:\n  jet_all_pt:\n    axes: [{{coll: JetGood, field: pt, bins: 50, start: 0, stop: 500, label: pt}}]\n",
            common::root().join("examples/zmumu/datasets/fileset.json").display()
        ),
    )
    .unwrap();
    cfg
}

#[test]
fn a_redefined_field_does_not_reach_the_skim() {
    let dir = common::tmpdir("skim", "override");
    let mut outs = Vec::new();
    for (name, objects) in [("plain", ""), ("scaled", "    Jet.pt: Jet.mass + 40\n")] {
        let cfg = config(&dir, name, objects);
        let out = dir.join(format!("out_{name}"));
        common::run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
        let v: J = serde_json::from_str(&common::dump(&out)).unwrap();
        outs.push(v);
    }
    // the same events pass the skim (the files' Jet_pt) ...
    assert_eq!(outs[0]["cutflow"]["skim"], outs[1]["cutflow"]["skim"]);
    // ... and the selection after it sees the redefined pt
    let jets = |v: &J| v["histograms"]["jet_all_pt"]["DYJetsToLL"].to_string();
    assert!(
        jets(&outs[0]) != jets(&outs[1]),
        "the redefined Jet.pt was not used"
    );
}
