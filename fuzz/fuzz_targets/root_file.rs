//! A whole ROOT file from arbitrary bytes: header, directories, keys, streamer
//! infos, TTree metadata and every readable branch. Must never panic.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = Arc::new(cortado_source::MemorySource::new(
        "fuzz.root",
        data.to_vec(),
    ));
    let Ok(file) = cortado_root::RootFile::from_source(src) else {
        return;
    };
    let _ = file.streamer_infos();
    for name in file.tree_names() {
        let Ok(tree) = file.tree(&name) else { continue };
        let _ = tree.clusters();
        let names = tree.readable_branches();
        let _ = tree.read_all(&names);
    }
});
