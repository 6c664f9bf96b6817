//! `--download`: copies of DAS datasets' files under a local prefix
//! (`<prefix>/<LFN>`), read from the site chosen for the fileset through
//! cortado's sources (XRootD, HTTP). Resumable: a finished copy of the
//! right size and checksum is kept, a `.part` left by an interrupted copy
//! is continued from where it stopped. Checksummed: the Adler-32 DBS gives
//! is compared with the copy's before it takes its final name.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::build::Download;
use crate::das::join_prefix;

/// Bytes read per request.
const PIECE: usize = 8 << 20;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    /// Copied whole.
    Copied,
    /// Continued from an interrupted copy.
    Resumed,
    /// Already there, complete.
    Kept,
}

/// The Adler-32 of a file, as 8 hex digits.
pub fn adler32_of(path: &Path) -> Result<String, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut a = adler2::Adler32::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        a.write_slice(&buf[..n]);
    }
    Ok(format!("{:08x}", a.checksum()))
}

/// Whether `path` is a complete copy of `d` (size, and checksum when known).
fn complete(path: &Path, d: &Download) -> Result<bool, String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(false);
    };
    if meta.len() != d.size {
        return Ok(false);
    }
    match &d.adler32 {
        Some(want) => Ok(&adler32_of(path)? == want),
        None => Ok(true),
    }
}

/// Copies one file under `prefix`.
fn copy_one(d: &Download, prefix: &str) -> Result<Copy, String> {
    let dest = PathBuf::from(join_prefix(prefix, &d.lfn));
    if complete(&dest, d)? {
        return Ok(Copy::Kept);
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let part = dest.with_file_name(format!(
        "{}.part",
        dest.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let src = cortado_source::open(&d.url).map_err(|e| e.to_string())?;
    if src.size() != d.size {
        return Err(format!(
            "{}: the site's copy has {} bytes, DBS says {}",
            d.url,
            src.size(),
            d.size
        ));
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(false)
        .write(true)
        .truncate(false)
        .open(&part)
        .map_err(|e| format!("{}: {e}", part.display()))?;
    let mut at = out.metadata().map(|m| m.len()).unwrap_or(0);
    if at > d.size {
        at = 0;
        out.set_len(0)
            .map_err(|e| format!("{}: {e}", part.display()))?;
    }
    let resumed = at > 0;
    out.seek(std::io::SeekFrom::Start(at))
        .map_err(|e| format!("{}: {e}", part.display()))?;
    while at < d.size {
        let n = ((d.size - at) as usize).min(PIECE);
        let bytes = src.read_at(at, n).map_err(|e| e.to_string())?;
        out.write_all(&bytes)
            .map_err(|e| format!("{}: {e}", part.display()))?;
        at += n as u64;
    }
    out.sync_all()
        .map_err(|e| format!("{}: {e}", part.display()))?;
    drop(out);
    if let Some(want) = &d.adler32 {
        let got = adler32_of(&part)?;
        if &got != want {
            let _ = std::fs::remove_file(&part);
            return Err(format!(
                "{}: checksum mismatch: the copy's Adler-32 is {got}, DBS says {want} (the partial copy was removed)",
                d.url
            ));
        }
    }
    std::fs::rename(&part, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(if resumed { Copy::Resumed } else { Copy::Copied })
}

/// What happened to the files copied, and (file, reason) for those that failed.
pub type Copied = (Vec<Copy>, Vec<(String, String)>);

/// Copies `files` under the local folder `prefix` on `threads` threads.
pub fn download(files: &[Download], prefix: &str, threads: usize) -> Result<Copied, String> {
    if cortado_source::is_remote(prefix) {
        return Err(format!(
            "--download copies into a local folder; '{prefix}' is a URL"
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let results: Vec<Result<Copy, String>> =
        pool.install(|| files.par_iter().map(|d| copy_one(d, prefix)).collect());
    let mut done = Vec::new();
    let mut bad = Vec::new();
    for (d, r) in files.iter().zip(results) {
        match r {
            Ok(c) => done.push(c),
            Err(e) => bad.push((d.lfn.clone(), e)),
        }
    }
    Ok((done, bad))
}
