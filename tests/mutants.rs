//! The whole path under damaged input: seeded mutants of a NanoAOD file in
//! every codec (flipped bits, zeroed ranges, shifted integers, truncations,
//! inserted and deleted bytes), each run through the extended analysis
//! (counters, jagged collections, selections, categories, histograms,
//! columns). Every mutant must end without a panic or a hang, with an error
//! or with the pristine file's result — except where the ROOT format itself
//! cannot tell a change: a value byte inside the data of an uncompressed or
//! ZSTD basket (no checksum) of a non-counter branch may change a value.
//! A third of the mutants of the uncompressed file damage the integer tables
//! the reader trusts (counter values, entry offsets of jagged branches).
//! Deterministic (fixed seeds), so a failure names a mutant to reproduce.

mod common;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use cortado_engine::ext::NoWorkflow;
use cortado_engine::plan::DatasetPlan;
use cortado_engine::run::{chunks_of_file, plan_all, run_chunk, Chunk, RunOptions};
use cortado_engine::Output;
use cortado_root::{Key, RootFile};
use serde_json::Value;

/// Mutants per codec.
const MUTANTS: u64 = 300;

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A mutation: what it did, the bytes, and the byte range it touched.
struct Mutant {
    what: String,
    bytes: Vec<u8>,
    touched: Range<usize>,
}

/// Integer tables the analysis depends on: the values of counter branches
/// (`nMuon`) and the entry offsets of jagged branches, in uncompressed
/// baskets (where a damaged table is not caught by a checksum).
fn integer_tables(path: &Path) -> Vec<Range<usize>> {
    let f = RootFile::open(path.to_str().unwrap()).unwrap();
    let t = f.tree("Events").unwrap();
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    for b in t.branches() {
        let is_counter = t
            .branches()
            .iter()
            .any(|o| t.count_branch(o).is_some_and(|c| c.name == b.name));
        let jagged = t.count_branch(b).is_some();
        if !is_counter && !jagged {
            continue;
        }
        for loc in &b.baskets {
            let (data, rest) = basket_parts(&bytes, loc.seek as usize, loc.bytes as usize);
            if let Some(data) = data.filter(|_| is_counter) {
                out.push(data);
            }
            if let Some(offsets) = rest.filter(|r| jagged && r.len() > 8) {
                // the offsets table: a length word, then one offset per entry
                out.push(offsets.start + 4..offsets.end);
            }
        }
    }
    out
}

/// The values and the entry-offset table of an uncompressed basket.
fn basket_parts(
    bytes: &[u8],
    at: usize,
    len: usize,
) -> (Option<Range<usize>>, Option<Range<usize>>) {
    let mut rb = cortado_root::rbuf::RBuf::new(&bytes[at..]);
    let key = Key::parse(&mut rb).unwrap();
    let payload = at + key.key_len as usize;
    let end = at + len;
    if key.obj_len as usize + key.key_len as usize != len {
        return (None, None);
    }
    let last = u32::from_be_bytes(bytes[payload - 5..payload - 1].try_into().unwrap()) as usize;
    let last = (at + last).min(end);
    (Some(payload..last), (last < end).then_some(last..end))
}

/// A plausible damage of an integer table: a count of -1, two adjacent
/// counts shifted +1/-1, a zeroed page, one value off by one.
fn mutate_table(pristine: &[u8], tables: &[Range<usize>], rng: &mut Rng) -> Mutant {
    let mut b = pristine.to_vec();
    let t = &tables[rng.below(tables.len())];
    let words = (t.end - t.start) / 4;
    let at = t.start + 4 * rng.below(words.saturating_sub(1).max(1));
    let word = |b: &[u8], i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    let (what, end) = match rng.next() % 4 {
        0 => {
            b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
            (format!("integer at {at} set to -1"), at + 4)
        }
        1 if words >= 2 => {
            let (x, y) = (word(&b, at), word(&b, at + 4));
            b[at..at + 4].copy_from_slice(&x.wrapping_add(1).to_be_bytes());
            b[at + 4..at + 8].copy_from_slice(&y.wrapping_sub(1).to_be_bytes());
            (
                format!("integers at {at} and {} shifted +1/-1", at + 4),
                at + 8,
            )
        }
        2 => {
            let end = (at + 4 * (1 + rng.below(64))).min(t.end);
            b[at..end].fill(0);
            (format!("integers {at}..{end} zeroed"), end)
        }
        _ => {
            let x = word(&b, at);
            let y = if rng.next().is_multiple_of(2) {
                x.wrapping_add(1)
            } else {
                x.wrapping_sub(1)
            };
            b[at..at + 4].copy_from_slice(&y.to_be_bytes());
            (format!("integer at {at} {x} -> {y}"), at + 4)
        }
    };
    Mutant {
        what,
        bytes: b,
        touched: at..end,
    }
}

fn mutate(pristine: &[u8], tables: &[Range<usize>], rng: &mut Rng) -> Mutant {
    if !tables.is_empty() && rng.next().is_multiple_of(3) {
        return mutate_table(pristine, tables, rng);
    }
    let mut b = pristine.to_vec();
    // half the mutations go to the last 10 % of the file (tree metadata,
    // streamers, keys), half anywhere (mostly baskets)
    let n = b.len();
    let at = if rng.next().is_multiple_of(2) {
        n - 1 - rng.below(n / 10)
    } else {
        rng.below(n)
    };
    let (what, touched) = match rng.next() % 7 {
        0 => {
            let bit = rng.below(8);
            b[at] ^= 1 << bit;
            (format!("bit {bit} of byte {at} flipped"), at..at + 1)
        }
        1 => {
            let v = if rng.next().is_multiple_of(2) {
                0
            } else {
                0xff
            };
            b[at] = v;
            (format!("byte {at} set to {v:#x}"), at..at + 1)
        }
        2 => {
            let len = 8 + rng.below(249);
            let end = (at + len).min(n);
            b[at..end].fill(0);
            (format!("bytes {at}..{end} zeroed"), at..end)
        }
        3 => {
            let at = at.min(n - 4) & !3;
            let v = u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
            let d: i64 = if rng.next().is_multiple_of(2) { 1 } else { -1 };
            let w = (i64::from(v) + d) as u32;
            b[at..at + 4].copy_from_slice(&w.to_be_bytes());
            (format!("big-endian u32 at {at} {v} -> {w}"), at..at + 4)
        }
        4 => {
            b.truncate(at);
            (format!("truncated to {at} bytes"), at..n)
        }
        5 => {
            b.insert(at, 0x5a);
            (format!("byte inserted at {at}"), at..n)
        }
        _ => {
            b.remove(at);
            (format!("byte {at} deleted"), at..n)
        }
    };
    Mutant {
        what,
        bytes: b,
        touched,
    }
}

/// Byte ranges of the file where the format cannot detect a changed value:
/// the data part of the baskets of non-counter branches, when the baskets
/// are uncompressed or ZSTD frames (which ROOT writes without a checksum).
fn undetectable(path: &Path) -> Vec<Range<usize>> {
    let f = RootFile::open(path.to_str().unwrap()).unwrap();
    let t = f.tree("Events").unwrap();
    let bytes = std::fs::read(path).unwrap();
    let counters: Vec<String> = t
        .branches()
        .iter()
        .filter_map(|b| t.count_branch(b).map(|c| c.name.clone()))
        .collect();
    let mut out = Vec::new();
    for b in t.branches() {
        if counters.contains(&b.name) {
            continue;
        }
        for loc in &b.baskets {
            let (at, len) = (loc.seek as usize, loc.bytes as usize);
            match basket_parts(&bytes, at, len) {
                (Some(data), _) => out.push(data),
                _ => {
                    let mut rb = cortado_root::rbuf::RBuf::new(&bytes[at..]);
                    let payload = at + Key::parse(&mut rb).unwrap().key_len as usize;
                    if &bytes[payload..payload + 2] == b"ZS" {
                        out.push(payload..at + len);
                    }
                }
            }
        }
    }
    out
}

/// The extended analysis over one file.
fn analysis(dir: &Path, file: &Path) -> DatasetPlan {
    // the samples the configuration names, all on this file; the Drell-Yan one is run
    let f = file.to_str().unwrap();
    let fileset = serde_json::json!({
        "DYJetsToLL_M-50_2018": {"files": [f], "metadata":
            {"sample": "DYJetsToLL", "year": "2018", "isMC": "True", "xsec": "6077.22"}},
        "TTTo2L2Nu_2018": {"files": [f], "metadata":
            {"sample": "TTTo2L2Nu", "year": "2018", "isMC": "True", "xsec": "88.29"}},
        "DATA_SingleMuon_2018_EraA": {"files": [f], "metadata":
            {"sample": "DATA_SingleMuon", "year": "2018", "isMC": "False", "primaryDataset": "SingleMuon", "era": "A"}}});
    let cfg = common::config_over(
        dir,
        "analysis",
        "examples/extended/analysis.yaml",
        &fileset,
        &["DYJetsToLL", "TTTo2L2Nu", "DATA_SingleMuon"],
    );
    let cfg = cortado_config::load(&cfg).unwrap();
    let plans = plan_all(&cfg, &Default::default()).unwrap();
    plans
        .into_iter()
        .find(|p| p.dataset.sample == "DYJetsToLL")
        .unwrap()
}

/// The analysis of `file`: its result without provenance, or the error.
fn outcome(plan: &DatasetPlan, file: &Path) -> Result<Value, String> {
    let path = file.to_str().unwrap();
    let (ranges, identity) = chunks_of_file(path, 1000, 0)?;
    let mut out = Output::new();
    for r in ranges {
        let chunk = Chunk {
            plan: 0,
            file: path.to_string(),
            entries: r,
            identity: identity.clone(),
        };
        let mut o =
            run_chunk(plan, &chunk, &NoWorkflow, &RunOptions::default()).map_err(|e| e.message)?;
        o.provenance = Default::default();
        out.merge(&o)?;
    }
    out.settle();
    Ok(out.to_reference_json())
}

/// `outcome` in a thread: a panic or a hang is reported, not propagated.
fn guarded(plan: &DatasetPlan, file: &Path) -> Result<Result<Value, String>, String> {
    let (tx, rx) = mpsc::channel();
    let (plan, file) = (plan.clone(), file.to_path_buf());
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome(&plan, &file)));
        let _ = tx.send(r.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(panic)) => Err(format!("PANIC: {panic}")),
        Err(_) => Err("HANG: no result after 60 s".into()),
    }
}

fn check_codec(name: &str, seed: u64) {
    let src = common::root().join("tests/data/synthetic").join(name);
    let dir: PathBuf = common::tmpdir("mutants", name);
    let pristine_path = dir.join("pristine.root");
    std::fs::copy(&src, &pristine_path).unwrap();
    let pristine = std::fs::read(&pristine_path).unwrap();
    let plan = analysis(&dir, &pristine_path);
    let expected = outcome(&plan, &pristine_path).unwrap();
    let free = undetectable(&pristine_path);
    let tables = integer_tables(&pristine_path);
    let mutant_path = dir.join("mutant.root");
    let mut rng = Rng(seed);
    let mut problems = Vec::new();
    let (mut errors, mut equal, mut changed) = (0, 0, 0);
    for i in 0..MUTANTS {
        let m = mutate(&pristine, &tables, &mut rng);
        std::fs::write(&mutant_path, &m.bytes).unwrap();
        let may_change = free
            .iter()
            .any(|r| r.start <= m.touched.start && m.touched.end <= r.end);
        match guarded(&plan, &mutant_path) {
            Err(e) => problems.push(format!("mutant {i} ({}): {e}", m.what)),
            Ok(Err(_)) => errors += 1,
            Ok(Ok(v)) if v == expected => equal += 1,
            Ok(Ok(_)) if may_change => changed += 1,
            Ok(Ok(_)) => problems.push(format!(
                "mutant {i} ({}): a different result without an error",
                m.what
            )),
        }
    }
    eprintln!(
        "{name}: {MUTANTS} mutants: {errors} errors, {equal} equal results, {changed} changed \
         values inside unchecked basket data"
    );
    assert!(
        problems.is_empty(),
        "{name}: {} of {MUTANTS} mutants went wrong (seed {seed}):\n{}",
        problems.len(),
        problems.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn zstd_mutants() {
    check_codec("dy_small_zstd5.root", 0x5eed_0001);
}

#[test]
fn lzma_mutants() {
    check_codec("dy_small_lzma9.root", 0x5eed_0002);
}

#[test]
fn zlib_mutants() {
    check_codec("dy_small_zlib1.root", 0x5eed_0003);
}

#[test]
fn lz4_mutants() {
    check_codec("dy_small_lz4.root", 0x5eed_0004);
}

#[test]
fn uncompressed_mutants() {
    check_codec("dy_small_none.root", 0x5eed_0005);
}
