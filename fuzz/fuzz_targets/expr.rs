//! An expression from arbitrary bytes: lexed, parsed, type-checked against
//! the branches of the example's NanoAOD file (with the example's parameters,
//! so that PocketCoffea's functions are rewritten), printed, and evaluated on
//! its first 50 events. Must never panic, hang or exhaust the stack.
#![no_main]
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use cortado_expr::check::{Checker, Meta};
use cortado_expr::eval::{eval, Env};
use cortado_expr::parser::{parse, strip_parens};
use cortado_expr::types::Schema;
use cortado_expr::value::ColumnData;
use cortado_yaml::Node;
use libfuzzer_sys::fuzz_target;

struct World {
    schema: Schema,
    params: Node,
    meta: Meta,
    raw: Arc<ColumnData>,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/zmumu");
        let cfg = cortado_config::load(Path::new(&format!("{dir}/analysis.yaml")))
            .expect("the example configuration");
        let file = format!("{dir}/data/dy_2018_small.root");
        let schema = cortado_engine::plan::tree_schema(&file, "Events").expect("the schema");
        let f = cortado_root::RootFile::open(&file).expect("the example file");
        let t = f.tree("Events").expect("Events");
        let names: Vec<&str> = t.readable_branches();
        let n = t.entries().min(50);
        let cols = t.read(&names, 0..n).expect("the first events");
        let map: HashMap<String, cortado_columns::Column> =
            names.iter().map(|s| s.to_string()).zip(cols).collect();
        World {
            schema,
            params: cfg.params.root().clone(),
            meta: Meta {
                year: "2018".into(),
                is_mc: true,
                primary_dataset: None,
                sample: "DYJetsToLL".into(),
            },
            raw: Arc::new(ColumnData::new(n as usize, map)),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ast) = parse(text) else {
        return;
    };
    let _ = ast.to_string();
    let ast = strip_parens(ast);
    let w = world();
    let mut schema = w.schema.clone();
    let mut ck = Checker {
        schema: &mut schema,
        params: Some(&w.params),
        cut_params: Some(&w.params),
        meta: &w.meta,
        registry: None,
    };
    let Ok(t) = ck.check(&ast) else {
        return;
    };
    let env = Env::new(w.raw.clone(), Arc::new(schema));
    let _ = eval(&t, &env);
});
