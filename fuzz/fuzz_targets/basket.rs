//! A basket record (key, basket header, compressed payload, entry offsets)
//! from arbitrary bytes. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = cortado_root::tree::basket::unpack(data) {
        let n = raw.entries;
        for (a, z) in [(0, n), (n / 2, n), (0, n / 2)] {
            if let Some(Ok(span)) = raw.entry_span(a, z, 4, 1) {
                assert_eq!(span.counts.len(), z - a);
                assert!(span.bytes.end <= raw.content().len());
                let total: u64 = span.counts.iter().map(|&c| c as u64 * 4).sum();
                assert_eq!(total, span.bytes.len() as u64);
            }
        }
    }
});
