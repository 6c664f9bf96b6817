//! `cortado run --cache`: a second run takes every column from the cache
//! and writes the same output as an uncached run; damaged, torn or stale
//! entries are never used; the size limit evicts; concurrent runs share a
//! cache; `cortado cache stats|clear`.

mod common;

use std::path::{Path, PathBuf};

use common::{cortado, dump, ok, root, run_ok, tmpdir};

const CFG: &str = "examples/zmumu/analysis.yaml";

fn cached(out: &Path, cache: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--cache", cache.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_ok(CFG, out.to_str().unwrap(), &args)
}

/// The summary's cache line: (columns from the cache, columns).
fn hits(summary: &str) -> (u64, u64) {
    let line = summary
        .lines()
        .find(|l| l.starts_with("column cache"))
        .unwrap_or_else(|| panic!("no cache line in:\n{summary}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "of").unwrap();
    (
        words[at - 1].parse().unwrap(),
        words[at + 1].parse().unwrap(),
    )
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else if e.path().extension().is_some_and(|x| x == "col") {
                out.push(e.path());
            }
        }
    }
    let mut v = Vec::new();
    walk(cache, &mut v);
    v.sort();
    v
}

#[test]
fn a_second_run_reads_the_cache_and_equals_an_uncached_run() {
    let dir = tmpdir("cache", "second");
    let cache = dir.join("cache");
    let plain = dir.join("plain");
    run_ok(CFG, plain.to_str().unwrap(), &[]);
    let expected = dump(&plain);

    let first = cached(&dir.join("first"), &cache, &[]);
    let (h, n) = hits(&first);
    assert!(h == 0 && n > 50, "{first}");
    let second = cached(&dir.join("second"), &cache, &["-j", "1"]);
    assert_eq!(hits(&second), (n, n), "{second}");
    assert_eq!(dump(&dir.join("first")), expected);
    assert_eq!(dump(&dir.join("second")), expected);

    // damaged entries (a flipped byte, a torn end, a stranger's file) are
    // ignored, read again from ROOT and replaced
    let files = entries(&cache);
    let mut b = std::fs::read(&files[0]).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x10;
    std::fs::write(&files[0], &b).unwrap();
    let b = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &b[..b.len() - 3]).unwrap();
    std::fs::write(&files[2], b"not a column").unwrap();
    let third = cached(&dir.join("third"), &cache, &[]);
    assert!(
        third.contains("3 damaged entries ignored and read again"),
        "{third}"
    );
    assert_eq!(hits(&third), (n - 3, n));
    assert_eq!(dump(&dir.join("third")), expected);
    assert_eq!(hits(&cached(&dir.join("fourth"), &cache, &[])), (n, n));

    // stats and clear
    let stats = ok(&["cache", "stats", "--dir", cache.to_str().unwrap()]);
    assert!(
        stats.contains(&format!("{n} columns of 3 input files")),
        "{stats}"
    );
    let cleared = ok(&["cache", "clear", "--dir", cache.to_str().unwrap()]);
    assert!(cleared.contains("MB removed"), "{cleared}");
    assert!(entries(&cache).is_empty());
}

#[test]
fn a_changed_input_file_is_read_again() {
    let dir = tmpdir("cache", "changed");
    let ex = dir.join("zmumu");
    common::copy_dir(&root().join("examples/zmumu"), &ex);
    let cfg = ex.join("analysis.yaml");
    let cache = dir.join("cache");
    let args = ["--cache", cache.to_str().unwrap()];
    let first = run_ok(
        cfg.to_str().unwrap(),
        dir.join("a").to_str().unwrap(),
        &args,
    );
    let (_, n) = hits(&first);
    // the same bytes, a new modification time: another file as far as the cache knows
    let f = std::fs::File::options()
        .write(true)
        .open(ex.join("data/tt_2018_small.root"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let second = run_ok(
        cfg.to_str().unwrap(),
        dir.join("b").to_str().unwrap(),
        &args,
    );
    let (h, _) = hits(&second);
    assert!(h < n && h > 0, "{second}");
    assert_eq!(dump(&dir.join("a")), dump(&dir.join("b")));
}

#[test]
fn a_cached_counter_that_disagrees_with_its_branch_is_an_error() {
    use cortado_cache::{ColumnCache, FileKey, DEFAULT_LIMIT};
    use cortado_columns::{Column, Values};
    let dir = tmpdir("cache", "counter");
    let cache = dir.join("cache");
    cached(&dir.join("a"), &cache, &[]);
    // every cached nMuon of the DY file says one muon more than Muon_pt has
    let file = root().join("examples/zmumu/data/dy_2018_small.root");
    let f = cortado_root::RootFile::open(file.to_str().unwrap()).unwrap();
    let id = cortado_engine::identity::FileIdentity::of(&f);
    let key = FileKey {
        location: std::fs::canonicalize(&file).unwrap().display().to_string(),
        size: id.size,
        modified_ns: id.modified_ns,
        uuid: id.uuid.clone(),
    };
    let c = ColumnCache::open(&cache, DEFAULT_LIMIT).unwrap();
    let mut replaced = 0;
    for p in entries(&cache) {
        if p.file_name().unwrap() != "nMuon.col" {
            continue;
        }
        let folder = p.parent().unwrap().file_name().unwrap().to_str().unwrap();
        let (a, b) = folder.split_once('-').unwrap();
        let range = a.parse().unwrap()..b.parse().unwrap();
        let Some(col) = c.get(&key, &range, "nMuon") else {
            continue; // another file's entry
        };
        let Values::U32(v) = col.values else {
            panic!("nMuon is UInt_t")
        };
        let more = Values::U32(v.iter().map(|x| x + 1).collect());
        c.put(&key, &range, "nMuon", &Column::flat(more));
        replaced += 1;
    }
    assert!(replaced > 0);
    let o = common::run(
        CFG,
        dir.join("b").to_str().unwrap(),
        &["--cache", cache.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("the counter nMuon and the jagged branch disagree")
            && err.contains("dy_2018_small.root")
            && err.contains("cortado cache clear"),
        "{err}"
    );
}

#[test]
fn the_size_limit_evicts_and_concurrent_runs_share_a_cache() {
    let dir = tmpdir("cache", "limit");
    let cache = dir.join("cache");
    let s = cached(&dir.join("a"), &cache, &["--cache-size", "200K"]);
    assert!(s.contains("least recently used entries removed"), "{s}");
    let total: u64 = entries(&cache)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total <= 200 << 10, "{total} bytes kept");

    let shared = dir.join("shared");
    let kids: Vec<_> = (0..3)
        .map(|i| {
            common::spawn_run(
                CFG,
                dir.join(format!("c{i}")).to_str().unwrap(),
                &["--cache", shared.to_str().unwrap(), "-j", "1"],
                false,
            )
        })
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let expected = dump(&dir.join("a"));
    for i in 0..3 {
        assert_eq!(dump(&dir.join(format!("c{i}"))), expected);
    }
    let (h, n) = hits(&cached(&dir.join("d"), &shared, &[]));
    assert_eq!(h, n);
}

#[test]
fn the_cache_is_for_local_runs_and_sizes_are_checked() {
    let dir = tmpdir("cache", "refused");
    let o = common::run(
        CFG,
        dir.join("o").to_str().unwrap(),
        &["--cache", "/tmp/x", "-e", "slurm", "--dry-run"],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--cache is for local executors"));
    let o = cortado(&[
        "run",
        "--cfg",
        CFG,
        "-o",
        dir.join("p").to_str().unwrap(),
        "--cache",
        "--cache-size",
        "lots",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--cache-size lots"));
}
