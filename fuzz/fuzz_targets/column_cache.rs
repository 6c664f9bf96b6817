//! A column cache entry from arbitrary bytes: decoded as `cortado run
//! --cache` decodes what it finds on disk, as they are and re-sealed (key
//! and checksum stamped, so that the layout checks behind the hash are
//! reached). Must never panic or allocate beyond the input's size; an entry
//! it accepts encodes back to the same bytes.
#![no_main]
use cortado_cache::format::{decode, encode, seal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(col) = decode(data, 42) {
        assert_eq!(encode(&col, 42), data);
    }
    let mut sealed = data.to_vec();
    seal(&mut sealed, 7);
    if let Ok(col) = decode(&sealed, 7) {
        assert_eq!(encode(&col, 7), sealed);
    }
});
