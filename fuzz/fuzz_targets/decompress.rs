//! ROOT compressed blocks (ZLIB, LZMA, LZ4, ZSTD, CS) from arbitrary bytes;
//! the first two bytes give the expected uncompressed size. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let n = u16::from_le_bytes([data[0], data[1]]) as usize;
    if let Ok((_, out)) = cortado_root::compression::decompress(&data[2..], n) {
        assert_eq!(out.len(), n);
    }
});
