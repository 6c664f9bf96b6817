//! A column cache entry from arbitrary bytes: decoded as `cortado run
//! --cache` decodes what it finds on disk. Must never panic or allocate
//! beyond the input's size; an entry it accepts encodes back to the same bytes.
#![no_main]
use cortado_cache::format::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for key in [0u64, 42] {
        if let Ok(col) = decode(data, key) {
            assert_eq!(encode(&col, key), data);
        }
    }
});
