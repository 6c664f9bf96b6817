//! The whole path from arbitrary bytes: a ROOT file (mutated from the
//! synthetic NanoAOD seeds) read and processed by the extended analysis —
//! counters, jagged collections, object selections, cuts, categories,
//! weights, histograms and columns — exactly as a chunk of a run is.
//! Must never panic, hang or allocate without bound; errors are fine.
#![no_main]
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use cortado_engine::ext::NoWorkflow;
use cortado_engine::plan::DatasetPlan;
use cortado_engine::run::{plan_all, process_entries};
use libfuzzer_sys::fuzz_target;

/// The analysis, planned once against the pristine file.
fn plan() -> &'static DatasetPlan {
    static PLAN: OnceLock<DatasetPlan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let file = repo.join("tests/data/synthetic/dy_small_zstd5.root");
        let dir = std::env::temp_dir().join(format!("cortado-fuzz-analysis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = file.to_str().unwrap();
        let meta = |sample: &str, mc: &str| {
            format!(r#"{{"files": ["{f}"], "metadata": {{"sample": "{sample}", "year": "2018", "isMC": "{mc}", "xsec": "1.0", "primaryDataset": "SingleMuon", "era": "A"}}}}"#)
        };
        let fileset = format!(
            r#"{{"DYJetsToLL_M-50_2018": {}, "TTTo2L2Nu_2018": {}, "DATA_SingleMuon_2018_EraA": {}}}"#,
            meta("DYJetsToLL", "True"),
            meta("TTTo2L2Nu", "True"),
            meta("DATA_SingleMuon", "False")
        );
        std::fs::write(dir.join("fileset.json"), fileset).unwrap();
        let cfg = dir.join("analysis.yaml");
        std::fs::write(
            &cfg,
            format!(
                "extends: {}\ndatasets:\n  jsons: [fileset.json]\n  filter: {{samples: [DYJetsToLL, TTTo2L2Nu, DATA_SingleMuon]}}\n",
                repo.join("examples/extended/analysis.yaml").display()
            ),
        )
        .unwrap();
        let cfg = cortado_config::load(&cfg).unwrap();
        let plans = plan_all(&cfg, &Default::default()).unwrap();
        plans.into_iter().find(|p| p.dataset.sample == "DYJetsToLL").unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let plan = plan();
    let src = Arc::new(cortado_source::MemorySource::new(
        "fuzz.root",
        data.to_vec(),
    ));
    let Ok(file) = cortado_root::RootFile::from_source(src) else {
        return;
    };
    let Ok(tree) = file.tree("Events") else {
        return;
    };
    let n = tree.entries().min(20_000);
    let _ = process_entries(plan, &file, 0..n, &NoWorkflow, false);
});
