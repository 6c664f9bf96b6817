//! A basket record (key, basket header, compressed payload, entry offsets)
//! from arbitrary bytes. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = cortado_root::tree::basket::unpack(data) {
        if let Some(o) = &raw.offsets {
            assert_eq!(o.len(), raw.entries + 1);
            assert!(o.windows(2).all(|w| w[0] <= w[1]));
            assert!(*o.last().unwrap() <= raw.content.len());
        }
    }
});
