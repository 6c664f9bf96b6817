//! A local cache of decompressed NanoAOD columns (`cortado run --cache`).
//!
//! Analysts re-run a tweaked selection many times on the same inputs; on
//! LZMA- or ZLIB-compressed NanoAOD most of a run is decompression. The
//! columns a run reads are kept here, uncompressed, one file per (input
//! file, entry range, branch); the next run takes them from here and reads
//! only the missing ones from ROOT.
//!
//! Key design decision: **an entry is only ever trusted when it proves
//! itself**. Its key covers the input file's identity (path, size,
//! modification time, the UUID ROOT wrote into the file), the entry range
//! (cluster-aligned, as the engine reads) and the branch; it is written
//! under a temporary name and renamed into place (readers see a whole entry
//! or none, so concurrent runs are safe); and its header and payload carry
//! a hash checked on every read, so a torn or damaged entry is ignored (and
//! read again from ROOT), never used. Values keep their type as stored
//! (`Float_t`, `UChar_t`, …), so a cached run is bit-identical to an
//! uncached one.
//!
//! The size is bounded: [`ColumnCache::evict`] removes the least recently
//! used entries (a hit refreshes an entry's modification time) until the
//! cache fits its limit.
#![deny(missing_docs)]

pub mod format;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use cortado_columns::Column;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// Layout version: the folder under the cache directory.
const VERSION: &str = "v1";
/// Default size limit (bytes).
pub const DEFAULT_LIMIT: u64 = 20 << 30;

/// The identity of an input file, part of every key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileKey {
    /// Where the file is (an absolute path or URL).
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in ns since 1970, if known.
    pub modified_ns: Option<u64>,
    /// The file's ROOT UUID, if any.
    pub uuid: Option<String>,
}

impl FileKey {
    /// The folder name of this file's entries.
    fn folder(&self) -> String {
        let text = format!(
            "{}\0{}\0{:?}\0{:?}",
            self.location, self.size, self.modified_ns, self.uuid
        );
        format!("{:032x}", xxh3_128(text.as_bytes()))
    }
}

/// What one run did with the cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Columns taken from the cache.
    pub hits: u64,
    /// Columns read from ROOT (and then stored).
    pub misses: u64,
    /// Bytes read from the cache.
    pub bytes_read: u64,
    /// Bytes written into the cache.
    pub bytes_written: u64,
    /// Entries found damaged or torn (ignored and replaced).
    pub damaged: u64,
    /// Entries that could not be written (disk full, permissions).
    pub write_errors: u64,
}

/// What a cache directory holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirStats {
    /// Cached columns.
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Input files they come from.
    pub files: u64,
}

/// A column cache in a directory.
#[derive(Debug)]
pub struct ColumnCache {
    dir: PathBuf,
    limit: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
    damaged: AtomicU64,
    write_errors: AtomicU64,
    tmp_counter: AtomicU64,
}

/// The default cache directory: `$CORTADO_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/cortado/columns`, else `~/.cache/cortado/columns`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CORTADO_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("cortado/columns"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/cortado/columns"))
}

/// Characters kept as they are in an entry's file name.
fn safe_name(branch: &str) -> String {
    if !branch.is_empty()
        && branch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        branch.to_string()
    } else {
        format!("x{:016x}", xxh3_64(branch.as_bytes()))
    }
}

impl ColumnCache {
    /// Opens (creating it) a cache in `dir` that keeps at most `limit` bytes.
    pub fn open(dir: &Path, limit: u64) -> Result<ColumnCache, String> {
        let root = dir.join(VERSION);
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("column cache {}: {e}", dir.display()))?;
        Ok(ColumnCache {
            dir: dir.to_path_buf(),
            limit,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            damaged: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            tmp_counter: AtomicU64::new(0),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, file: &FileKey, range: &Range<u64>, branch: &str) -> (PathBuf, u64) {
        let folder = file.folder();
        let path = self
            .dir
            .join(VERSION)
            .join(&folder)
            .join(format!("{}-{}", range.start, range.end))
            .join(format!("{}.col", safe_name(branch)));
        let key = xxh3_64(format!("{folder}\0{}\0{}\0{branch}", range.start, range.end).as_bytes());
        (path, key)
    }

    /// The cached column of `branch` for `range` of `file`, if a whole and
    /// undamaged one is there (a damaged one is removed).
    pub fn get(&self, file: &FileKey, range: &Range<u64>, branch: &str) -> Option<Column> {
        let (path, key) = self.entry(file, range, branch);
        let bytes = std::fs::read(&path).ok();
        let found = bytes.as_deref().map(|b| format::decode(b, key));
        match found {
            Some(Ok(col)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                let n = bytes.map_or(0, |b| b.len() as u64);
                self.bytes_read.fetch_add(n, Ordering::Relaxed);
                // least recently used first out: a hit makes the entry young
                if let Ok(f) = std::fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(col)
            }
            Some(Err(_)) => {
                self.damaged.fetch_add(1, Ordering::Relaxed);
                let _ = std::fs::remove_file(&path);
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores a column (written whole under a temporary name, then renamed:
    /// a reader never sees part of it). A failure to write is counted, not
    /// an error: the run goes on without the cache.
    pub fn put(&self, file: &FileKey, range: &Range<u64>, branch: &str, col: &Column) {
        let (path, key) = self.entry(file, range, branch);
        let bytes = format::encode(col, key);
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let write = || -> std::io::Result<()> {
            let dir = path.parent().unwrap_or(&self.dir);
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".tmp.{}.{n}", std::process::id()));
            if let Err(e) = std::fs::write(&tmp, &bytes) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, &path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        };
        match write() {
            Ok(()) => {
                self.bytes_written
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Err(_) => {
                self.write_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// What this process did with the cache so far.
    pub fn run_stats(&self) -> RunStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RunStats {
            hits: g(&self.hits),
            misses: g(&self.misses),
            bytes_read: g(&self.bytes_read),
            bytes_written: g(&self.bytes_written),
            damaged: g(&self.damaged),
            write_errors: g(&self.write_errors),
        }
    }

    /// Removes the least recently used entries until the cache holds at
    /// most its limit, and temporary files left by crashed runs (older than
    /// an hour). Returns the bytes removed.
    pub fn evict(&self) -> Result<u64, String> {
        let mut all = Vec::new();
        let old_tmp = SystemTime::now() - Duration::from_secs(3600);
        walk(&self.dir.join(VERSION), &mut |p, meta| {
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let is_tmp = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".tmp."));
            if is_tmp {
                if mtime < old_tmp {
                    let _ = std::fs::remove_file(p);
                }
            } else {
                all.push((mtime, meta.len(), p.to_path_buf()));
            }
        })
        .map_err(|e| format!("column cache {}: {e}", self.dir.display()))?;
        let mut total: u64 = all.iter().map(|e| e.1).sum();
        if total <= self.limit {
            return Ok(0);
        }
        all.sort();
        let mut removed = 0;
        for (_, len, p) in all {
            if total <= self.limit {
                break;
            }
            if std::fs::remove_file(&p).is_ok() {
                total -= len;
                removed += len;
                // empty folders go with their last entry
                let mut d = p.parent();
                while let Some(dir) = d.filter(|d| d.starts_with(self.dir.join(VERSION))) {
                    if std::fs::remove_dir(dir).is_err() {
                        break;
                    }
                    d = dir.parent();
                }
            }
        }
        Ok(removed)
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) -> std::io::Result<()> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for e in rd {
        let e = e?;
        let meta = match e.metadata() {
            Ok(m) => m,
            Err(_) => continue, // removed meanwhile by another run
        };
        if meta.is_dir() {
            walk(&e.path(), f)?;
        } else {
            f(&e.path(), &meta);
        }
    }
    Ok(())
}

/// What the cache directory `dir` holds.
pub fn dir_stats(dir: &Path) -> Result<DirStats, String> {
    let mut s = DirStats::default();
    let root = dir.join(VERSION);
    walk(&root, &mut |p, meta| {
        if p.extension().is_some_and(|e| e == "col") {
            s.entries += 1;
            s.bytes += meta.len();
        }
    })
    .map_err(|e| format!("column cache {}: {e}", dir.display()))?;
    if let Ok(rd) = std::fs::read_dir(&root) {
        s.files = rd.filter(|e| e.is_ok()).count() as u64;
    }
    Ok(s)
}

/// Removes every cached column under `dir` (the folder itself is kept).
/// Returns the bytes removed.
pub fn clear(dir: &Path) -> Result<u64, String> {
    let s = dir_stats(dir)?;
    let root = dir.join(VERSION);
    match std::fs::remove_dir_all(&root) {
        Ok(()) => Ok(s.bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("column cache {}: {e}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortado_columns::Values;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cortado-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn key(size: u64) -> FileKey {
        FileKey {
            location: "/data/a.root".into(),
            size,
            modified_ns: Some(5),
            uuid: Some("u".into()),
        }
    }

    #[test]
    fn a_put_column_comes_back_and_a_changed_file_misses() {
        let d = tmp("roundtrip");
        let c = ColumnCache::open(&d, DEFAULT_LIMIT).unwrap();
        let col = Column::jagged(Values::F32(vec![1.0, 2.0]), vec![0, 2, 2]).unwrap();
        assert!(c.get(&key(10), &(0..2), "Jet_pt").is_none());
        c.put(&key(10), &(0..2), "Jet_pt", &col);
        let back = c.get(&key(10), &(0..2), "Jet_pt").unwrap();
        assert_eq!(back.offsets, col.offsets);
        assert!(c.get(&key(11), &(0..2), "Jet_pt").is_none(), "other size");
        assert!(c.get(&key(10), &(0..3), "Jet_pt").is_none(), "other range");
        assert!(
            c.get(&key(10), &(0..2), "Jet_eta").is_none(),
            "other branch"
        );
        let s = c.run_stats();
        assert_eq!((s.hits, s.misses), (1, 4));
        assert_eq!(dir_stats(&d).unwrap().entries, 1);
        assert!(clear(&d).unwrap() > 0);
        assert_eq!(dir_stats(&d).unwrap().entries, 0);
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_damaged_entry_is_ignored_and_removed() {
        let d = tmp("damaged");
        let c = ColumnCache::open(&d, DEFAULT_LIMIT).unwrap();
        let col = Column::flat(Values::I32(vec![1, 2, 3]));
        c.put(&key(1), &(0..3), "nJet", &col);
        let (path, _) = c.entry(&key(1), &(0..3), "nJet");
        let mut b = std::fs::read(&path).unwrap();
        b.truncate(b.len() - 2); // torn
        std::fs::write(&path, &b).unwrap();
        assert!(c.get(&key(1), &(0..3), "nJet").is_none());
        assert_eq!(c.run_stats().damaged, 1);
        assert!(!path.exists());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn eviction_removes_the_least_recently_used() {
        let d = tmp("evict");
        let col = Column::flat(Values::F64(vec![0.5; 100]));
        let size = format::encode(&col, 0).len() as u64;
        let c = ColumnCache::open(&d, 2 * size).unwrap();
        let old = SystemTime::now() - Duration::from_secs(100);
        for (i, b) in ["a", "b", "c"].iter().enumerate() {
            c.put(&key(1), &(0..100), b, &col);
            let (p, _) = c.entry(&key(1), &(0..100), b);
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(old + Duration::from_secs(i as u64)).unwrap();
        }
        // "a" is used again: "b" is now the oldest
        assert!(c.get(&key(1), &(0..100), "a").is_some());
        assert_eq!(c.evict().unwrap(), size);
        assert!(c.get(&key(1), &(0..100), "b").is_none());
        assert!(c.get(&key(1), &(0..100), "a").is_some());
        assert!(c.get(&key(1), &(0..100), "c").is_some());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn odd_branch_names_stay_inside_the_cache() {
        assert_eq!(safe_name("Jet_pt"), "Jet_pt");
        assert!(safe_name("../x").starts_with('x') && !safe_name("../x").contains('/'));
        assert!(safe_name("").starts_with('x'));
    }
}
