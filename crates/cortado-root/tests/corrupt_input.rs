//! Bad input gives errors that say where, never panics: truncated files,
//! corrupted baskets and metadata, random byte flips.

use std::path::PathBuf;
use std::sync::Arc;

use cortado_root::RootFile;
use cortado_source::MemorySource;

fn data(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Opens a file from bytes and reads every readable branch of every tree;
/// returns the first error as text.
fn read_everything(name: &str, bytes: Vec<u8>) -> Result<usize, String> {
    let file = RootFile::from_source(Arc::new(MemorySource::new(name, bytes)))
        .map_err(|e| e.to_string())?;
    file.streamer_infos().map_err(|e| e.to_string())?;
    let mut values = 0;
    for t in file.tree_names() {
        let tree = file.tree(&t).map_err(|e| e.to_string())?;
        let names = tree.readable_branches();
        for c in tree.read_all(&names).map_err(|e| e.to_string())? {
            values += c.values.len();
        }
    }
    Ok(values)
}

#[test]
fn not_a_root_file_and_missing_file() {
    let e = read_everything("notes.txt", b"hello, this is not ROOT".to_vec()).unwrap_err();
    assert!(
        e.contains("notes.txt") && e.contains("not a ROOT file"),
        "{e}"
    );
    let e = RootFile::open("/nonexistent/dir/file.root")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/dir/file.root") && e.contains("open"),
        "{e}"
    );
}

#[test]
fn truncated_files_are_reported_as_such() {
    let full = data("synthetic/dy_small_zlib1.root");
    assert!(read_everything("ok.root", full.clone()).is_ok());
    for frac in [0.1, 0.5, 0.9, 0.999] {
        let cut = (full.len() as f64 * frac) as usize;
        let e = read_everything("cut.root", full[..cut].to_vec()).unwrap_err();
        assert!(e.starts_with("cut.root"), "{e}");
        assert!(e.contains("truncated") || e.contains("only"), "{frac}: {e}");
    }
    for cut in [0, 3, 10, 60] {
        assert!(read_everything("tiny.root", full[..cut].to_vec()).is_err());
    }
}

#[test]
fn corrupt_basket_names_file_branch_basket_and_offset() {
    let rel = "synthetic/dy_small_zlib1.root";
    let mut bytes = data(rel);
    let (seek, index) = {
        let file = RootFile::from_source(Arc::new(MemorySource::new("x", bytes.clone()))).unwrap();
        let tree = file.tree("Events").unwrap();
        let b = tree.branch("Muon_pt").unwrap();
        (b.baskets[1].seek, b.baskets[1].index)
    };
    // Overwrite the compressed payload of Muon_pt's second basket.
    let at = seek as usize + 120;
    for x in &mut bytes[at..at + 64] {
        *x ^= 0x5a;
    }
    let file =
        RootFile::from_source(Arc::new(MemorySource::new("dy_corrupt.root", bytes))).unwrap();
    let tree = file.tree("Events").unwrap();
    // Other branches still read fine.
    tree.read_all(&["nMuon", "Jet_pt"]).unwrap();
    let e = tree.read_all(&["Muon_pt"]).unwrap_err().to_string();
    for needle in [
        "dy_corrupt.root",
        "TTree Events",
        "branch 'Muon_pt'",
        &format!("basket {index} at byte offset {seek}"),
    ] {
        assert!(e.contains(needle), "missing {needle:?} in: {e}");
    }
    // Entries before the damaged basket are still readable.
    let first = tree.branch("Muon_pt").unwrap().baskets[0].entry_stop;
    tree.read(&["Muon_pt"], 0..first).unwrap();
}

#[test]
fn corrupt_key_list_and_tree_metadata() {
    let bytes = data("synthetic/dy_small_lz4.root");
    let file = RootFile::from_source(Arc::new(MemorySource::new("x", bytes.clone()))).unwrap();
    let key = file.key("Events").unwrap();
    // Damage the compressed TTree object: the error names the TTree and its key offset.
    let mut b = bytes.clone();
    let at = key.seek_key as usize + key.key_len as usize + 30;
    for x in &mut b[at..at + 40] {
        *x = 0;
    }
    let e = read_everything("meta.root", b).unwrap_err();
    assert!(e.contains("meta.root") && e.contains("Events"), "{e}");
    assert!(e.contains(&format!("byte offset {}", key.seek_key)), "{e}");
}

#[test]
fn a_zeroed_top_directory_says_so() {
    let bytes = data("gen/alltypes_none.root");
    let file = RootFile::from_source(Arc::new(MemorySource::new("x", bytes.clone()))).unwrap();
    let at = (file.header().begin + file.header().nbytes_name as u64) as usize;
    let mut b = bytes.clone();
    b[at..at + 40].fill(0);
    let e = read_everything("zeroed_dir.root", b).unwrap_err();
    for needle in [
        "zeroed_dir.root",
        "top directory",
        "no list of keys",
        "damaged",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in: {e}");
    }
    // a missing object names what the directory holds
    let e = file.tree("Evnts").unwrap_err().to_string();
    assert!(e.contains("it has: Events (TTree)"), "{e}");
}

/// A small deterministic generator (xorshift), so the test needs no crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_damage_never_panics() {
    let files = [
        "gen/alltypes_none.root",
        "gen/alltypes_zstd.root",
        "gen/embedded.root",
        "synthetic/dy_small_lz4.root",
        "nanoaod/nanoAOD_2015_CMS_Open_Data_ttbar.root",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut errors, mut oks) = (0, 0);
    for rel in files {
        let orig = data(rel);
        for round in 0..40 {
            let mut b = orig.clone();
            let flips = 1 + (rng.next() % 8) as usize;
            for _ in 0..flips {
                let i = (rng.next() % b.len() as u64) as usize;
                b[i] = rng.next() as u8;
            }
            if round % 10 == 9 {
                let cut = (rng.next() % b.len() as u64) as usize;
                b.truncate(cut);
            }
            match read_everything(rel, b) {
                Ok(_) => oks += 1,
                Err(e) => {
                    assert!(e.contains(rel), "error does not name the file: {e}");
                    errors += 1;
                }
            }
        }
    }
    eprintln!("random damage: {errors} errors, {oks} files still readable");
    assert!(errors > 0);
}
