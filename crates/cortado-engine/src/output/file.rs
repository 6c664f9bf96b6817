//! Output files (`output_*.cortado`, checkpoints): written atomically and
//! verified on every read.
//!
//! Layout (little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `b"cortado\0"` |
//! | 8..12 | layout version (2) |
//! | 12..20 | length of the compressed payload |
//! | 20..36 | XXH3-128 of the uncompressed payload |
//! | 36.. | the payload: one zstd frame with its content checksum, holding the output as JSON |
//!
//! Two independent checks catch damage: zstd's own frame checksum and the
//! 128-bit hash of the content; the length catches truncation and appended
//! bytes. A damaged file is refused with the reason, never read as numbers.

use std::io::Write;
use std::path::Path;

use xxhash_rust::xxh3::xxh3_128;

use super::{Output, FORMAT};

const MAGIC: &[u8; 8] = b"cortado\0";
const LAYOUT: u32 = 2;
const HEADER: usize = 36;

/// Encodes an output into the bytes of an output file.
pub fn encode(out: &Output) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(out).map_err(|e| e.to_string())?;
    let mut enc = zstd::bulk::Compressor::new(3).map_err(|e| e.to_string())?;
    enc.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
        .map_err(|e| e.to_string())?;
    let payload = enc.compress(&json).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&LAYOUT.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&xxh3_128(&json).to_le_bytes());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// Checks the header of an output file (`what` names it in errors) and the
/// payload's length; returns the payload's announced length and hash.
pub(crate) fn check_header(
    head: &[u8],
    payload_len: u64,
    what: &str,
) -> Result<(u64, u128), String> {
    let damaged = |why: String| format!("{what}: damaged output file ({why}); it cannot be used");
    if head.len() < HEADER || &head[..8] != MAGIC {
        if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            return Err(format!(
                "{what}: written by an older cortado (output layout 1, without checksums): \
                 run the analysis again to make it"
            ));
        }
        return Err(format!("{what}: not a cortado output file"));
    }
    let u32_at = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().unwrap_or([0; 4]));
    let layout = u32_at(8);
    if layout != LAYOUT {
        return Err(format!(
            "{what}: output layout {layout} is not supported by this cortado (it reads layout {LAYOUT})"
        ));
    }
    let len = u64::from_le_bytes(head[12..20].try_into().unwrap_or([0; 8]));
    let hash = u128::from_le_bytes(head[20..36].try_into().unwrap_or([0; 16]));
    if payload_len != len {
        return Err(damaged(format!(
            "{payload_len} bytes of content where the header announces {len}: truncated or extended"
        )));
    }
    Ok((len, hash))
}

/// Size of the header of an output file.
pub(crate) const HEADER_LEN: usize = HEADER;

/// Decodes and verifies the bytes of an output file (`what` names it in errors).
pub fn decode(bytes: &[u8], what: &str) -> Result<Output, String> {
    let damaged = |why: String| format!("{what}: damaged output file ({why}); it cannot be used");
    let payload_len = bytes.len().saturating_sub(HEADER) as u64;
    let (_, hash) = check_header(bytes, payload_len, what)?;
    let payload = &bytes[HEADER..];
    let json = zstd::stream::decode_all(payload).map_err(|e| damaged(e.to_string()))?;
    if xxh3_128(&json) != hash {
        return Err(damaged("the content does not match its checksum".into()));
    }
    let out: Output = serde_json::from_slice(&json).map_err(|e| damaged(e.to_string()))?;
    if out.format != FORMAT {
        return Err(format!(
            "{what}: output format '{}' is not supported (expected '{FORMAT}')",
            out.format
        ));
    }
    Ok(out)
}

/// Writes an output file atomically.
pub fn write(out: &Output, path: &Path) -> Result<(), String> {
    write_atomic(path, &encode(out)?)
}

/// Reads and verifies an output file.
pub fn read(path: &Path) -> Result<Output, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    decode(&bytes, &path.display().to_string())
}

/// What the names of [`write_atomic`]'s temporary files contain
/// (`.NAME.tmpPID`): they start with a dot and hold this.
pub const TMP_MARK: &str = ".tmp";

/// Writes bytes to `path` through a temporary file in the same folder, synced
/// and renamed into place: a reader sees the old file or the new one, never
/// a part. A failed write (a full disk) removes its temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}{TMP_MARK}{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", tmp.display()));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Output {
        let mut o = Output::new();
        o.cutflow.initial.insert("ds".into(), 12345);
        o.cutflow.skim.insert("ds".into(), 678);
        o
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample()).unwrap();
        assert_eq!(decode(&bytes, "x").unwrap(), sample());
    }

    /// A bit flipped anywhere in the file is refused, or (a flip in the
    /// compression frame's header that changes nothing) gives the same
    /// output: no damaged file is ever read as different numbers.
    #[test]
    fn every_flipped_bit_is_refused() {
        let bytes = encode(&sample()).unwrap();
        let mut refused = 0;
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                match decode(&b, "f") {
                    Err(_) => refused += 1,
                    Ok(o) => assert_eq!(o, sample(), "byte {i} bit {bit} changed the numbers"),
                }
            }
        }
        assert!(refused * 100 >= bytes.len() * 8 * 95, "{refused} refused");
        assert!(decode(&bytes[..bytes.len() - 1], "f")
            .unwrap_err()
            .contains("truncated"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, "f").unwrap_err().contains("damaged"));
    }

    #[test]
    fn older_and_foreign_files_are_named() {
        let old = zstd::bulk::compress(b"{}", 3).unwrap();
        assert!(decode(&old, "f").unwrap_err().contains("older cortado"));
        assert!(decode(b"hello", "f")
            .unwrap_err()
            .contains("not a cortado output"));
        let mut b = encode(&sample()).unwrap();
        b[8] = 9;
        assert!(decode(&b, "f").unwrap_err().contains("layout 9"));
    }

    #[test]
    fn failed_writes_leave_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("cortado-wa-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // the target is a non-empty folder: the rename fails
        let target = dir.join("out.cortado");
        std::fs::create_dir_all(target.join("x")).unwrap();
        assert!(write_atomic(&target, b"abc").is_err());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("out.cortado")]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
