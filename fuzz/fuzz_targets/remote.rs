//! Servers' answers (XRootD replies, vector reads, listings, stat strings;
//! HTTP multipart bodies and Content-Range) must give a value or an error,
//! never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cortado_source::fuzzing::remote_responses(data);
});
