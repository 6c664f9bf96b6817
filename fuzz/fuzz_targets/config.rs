//! An analysis configuration from arbitrary bytes: YAML (anchors, aliases,
//! merge keys), the structure of the configuration (parameters, datasets,
//! workflow, cuts, categories, weights, variations, histograms, columns),
//! then planning of its first dataset (every expression parsed and
//! type-checked against the example's NanoAOD file, histogram memory).
//! Paths resolve against `examples/zmumu/`. Must never panic, hang or
//! exhaust memory.
#![no_main]
use std::path::Path;

use cortado_engine::ext::Extensions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(node) = cortado_yaml::load_str(text, "fuzz.yaml") else {
        return;
    };
    let _ = cortado_yaml::to_yaml(&node);
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/zmumu/analysis.yaml"
    ));
    let Ok(cfg) = cortado_config::from_node(node, path) else {
        return;
    };
    if let Some(d) = cfg.datasets.first() {
        let _ = cortado_engine::plan_dataset(&cfg, d, &Extensions::default());
    }
});
