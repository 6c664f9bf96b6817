//! A jagged branch read with its counter: the counter's values and the
//! baskets' own entry offsets must agree, entry by entry; a negative or
//! impossible count is an error naming the counter. The file is uncompressed
//! (`gen/uproot_none.root`), so the tests patch its bytes in place.

use std::path::PathBuf;
use std::sync::Arc;

use cortado_root::tree::basket;
use cortado_root::RootFile;
use cortado_source::MemorySource;

fn pristine() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/gen/uproot_none.root");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn open(name: &str, bytes: Vec<u8>) -> cortado_root::Tree {
    let f = RootFile::from_source(Arc::new(MemorySource::new(name, bytes))).unwrap();
    f.tree("Events").unwrap()
}

/// Where basket `k` of `branch` keeps its data and, for a jagged branch, its
/// table of entry offsets (file positions): `(data, table)`.
fn layout(bytes: &[u8], branch: &str, k: usize) -> (usize, usize) {
    let tree = open("x", bytes.to_vec());
    let loc = &tree.branch(branch).unwrap().baskets[k];
    let seek = loc.seek as usize;
    let key_len = i16::from_be_bytes([bytes[seek + 14], bytes[seek + 15]]) as usize;
    let raw = basket::unpack(&bytes[seek..seek + loc.bytes as usize]).unwrap();
    let data = seek + key_len;
    // after the data: the number of offsets, then the offsets
    (data, data + raw.content().len() + 4)
}

fn get_i32(bytes: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn set_i32(bytes: &mut [u8], at: usize, v: i32) {
    bytes[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn the_pristine_file_reads_the_same_with_and_without_its_counter() {
    let tree = open("ok.root", pristine());
    let alone = tree.read_all(&["Muon_pt"]).unwrap().remove(0);
    let together = tree.read_all(&["Muon_pt", "nMuon"]).unwrap().remove(0);
    assert_eq!(alone, together);
    assert_eq!(tree.branch("nMuon").unwrap().baskets.len(), 3);
}

#[test]
fn a_zeroed_region_of_the_entry_offsets_is_detected_with_the_counter() {
    let mut bytes = pristine();
    let (_, table) = layout(&bytes, "Muon_pt", 1);
    // entries 10..20 of the second basket (entries 1000..2000)
    bytes[table + 40..table + 80].fill(0);
    let tree = open("zeroed.root", bytes);
    // alone, the offsets are checked while the counts are computed
    let e = tree.read_all(&["Muon_pt"]).unwrap_err().to_string();
    assert!(e.contains("zeroed.root") && e.contains("Muon_pt"), "{e}");
    // with the counter: the same damage is found by the comparison
    let e = tree
        .read_all(&["nMuon", "Muon_pt"])
        .unwrap_err()
        .to_string();
    for needle in [
        "zeroed.root",
        "branch 'Muon_pt'",
        "entries 1000..2000",
        "disagree with its counter",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in: {e}");
    }
    // the other baskets are intact
    tree.read(&["nMuon", "Muon_pt"], 0..1000).unwrap();
    tree.read(&["nMuon", "Muon_pt"], 2000..3000).unwrap();
}

#[test]
fn counts_moved_between_two_entries_are_detected() {
    let mut bytes = pristine();
    let (data, _) = layout(&bytes, "nMuon", 0);
    // two adjacent entries of the first basket: +1 and -1, same total
    let i = (0..999)
        .find(|&i| get_i32(&bytes, data + 4 * (i + 1)) >= 1)
        .unwrap();
    let (a, b) = (
        get_i32(&bytes, data + 4 * i),
        get_i32(&bytes, data + 4 * i + 4),
    );
    set_i32(&mut bytes, data + 4 * i, a + 1);
    set_i32(&mut bytes, data + 4 * i + 4, b - 1);
    let tree = open("shifted.root", bytes);
    let e = tree
        .read_all(&["nMuon", "Muon_pt", "Muon_eta"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("shifted.root") && e.contains("entries 0..1000") && e.contains("disagree"),
        "{e}"
    );
    // a range that does not include the damaged entries still reads
    tree.read(&["nMuon", "Muon_pt"], 1000..3000).unwrap();
}

#[test]
fn a_negative_count_is_an_error_naming_the_counter_and_entry() {
    let mut bytes = pristine();
    let (data, _) = layout(&bytes, "nMuon", 2);
    set_i32(&mut bytes, data + 4 * 5, -1);
    let tree = open("negative.root", bytes);
    let e = tree
        .read_all(&["nMuon", "Muon_pt"])
        .unwrap_err()
        .to_string();
    for needle in [
        "negative.root",
        "branch 'nMuon'",
        "entry 2005",
        "holds -1, not a number of values",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in: {e}");
    }
    let e = tree
        .read(&["Muon_pt", "nMuon"], 1500..2500)
        .unwrap_err()
        .to_string();
    assert!(e.contains("entry 2005"), "{e}");
}
