//! A parameter file from arbitrary bytes: YAML, merged over cortado's default
//! parameters (PocketCoffea's), then every `${...}` interpolation resolved
//! (references, relative references, resolvers) and the result written back
//! as YAML. Must never panic, hang or exhaust memory or the stack.
#![no_main]
use std::sync::OnceLock;

use cortado_params::{Parameters, Resolvers};
use libfuzzer_sys::fuzz_target;

fn resolvers() -> Resolvers {
    let mut r = Resolvers::new();
    r.register_dir("config_dir", "/analysis/params");
    r
}

fn defaults() -> &'static Parameters {
    static D: OnceLock<Parameters> = OnceLock::new();
    D.get_or_init(|| Parameters::defaults(&resolvers()).expect("the defaults"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(node) = cortado_yaml::load_str(text, "fuzz.yaml") else {
        return;
    };
    // alone, then over the defaults
    if let Ok(p) = Parameters::from_node(node.clone()).resolve(&resolvers()) {
        let _ = p.to_yaml();
    }
    let mut p = defaults().clone();
    if p.merge_update(node).is_ok() {
        if let Ok(p) = p.resolve(&resolvers()) {
            let _ = p.to_yaml();
        }
    }
});
