//! A streamed TTree object (TTree, TBranch, TLeaf, embedded TBasket, object
//! references) and a TStreamerInfo list from arbitrary bytes; the first two
//! bytes give the key length that object references count from. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let key_len = u16::from_le_bytes([data[0], data[1]]) as u32;
    let _ = cortado_root::tree::model::parse_tree(&data[2..], key_len);
    let _ = cortado_root::streamers::parse_streamer_list(&data[2..], key_len);
});
