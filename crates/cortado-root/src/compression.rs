//! ROOT's compressed-block framing and the codecs behind it.
//!
//! A compressed object is a sequence of blocks. Each block starts with a 9-byte
//! header: two letters naming the algorithm (`ZL` zlib, `XZ` LZMA, `L4` LZ4,
//! `ZS` Zstandard, `CS` ROOT's old deflate), one method byte, then the
//! compressed and uncompressed sizes of the block as 3-byte little-endian
//! integers. LZ4 blocks carry an 8-byte XXH64 checksum of the compressed bytes
//! right after the header (counted in the compressed size).

use crate::error::{Error, ErrorKind, Result};

/// Size of a block header.
pub const HEADER_SIZE: usize = 9;

/// A compression algorithm as named in a block header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `ZL`: zlib (deflate with zlib framing).
    Zlib,
    /// `XZ`: LZMA in the xz container.
    Lzma,
    /// `L4`: LZ4 block with an XXH64 checksum.
    Lz4,
    /// `ZS`: Zstandard frame.
    Zstd,
    /// `CS`: ROOT's old algorithm (raw deflate, no zlib framing).
    OldDeflate,
}

impl Algorithm {
    /// Parses the two-letter tag.
    pub fn from_tag(tag: [u8; 2]) -> Option<Algorithm> {
        match &tag {
            b"ZL" => Some(Algorithm::Zlib),
            b"XZ" => Some(Algorithm::Lzma),
            b"L4" => Some(Algorithm::Lz4),
            b"ZS" => Some(Algorithm::Zstd),
            b"CS" => Some(Algorithm::OldDeflate),
            _ => None,
        }
    }

    /// Display name (`ZLIB`, `LZMA`, `LZ4`, `ZSTD`, `CS`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Zlib => "ZLIB",
            Algorithm::Lzma => "LZMA",
            Algorithm::Lz4 => "LZ4",
            Algorithm::Zstd => "ZSTD",
            Algorithm::OldDeflate => "CS",
        }
    }

    /// The algorithm of ROOT's compression setting `algorithm * 100 + level`
    /// (`fCompress` of files and branches), `None` for "uncompressed" (level 0).
    /// Algorithm 0 means the global default (ZLIB in every ROOT release).
    pub fn from_setting(setting: i32) -> Option<(Algorithm, i32)> {
        let (alg, level) = (setting / 100, setting % 100);
        if level == 0 {
            return None;
        }
        let a = match alg {
            0 | 1 => Algorithm::Zlib,
            2 => Algorithm::Lzma,
            3 => Algorithm::OldDeflate,
            4 => Algorithm::Lz4,
            5 => Algorithm::Zstd,
            _ => return None,
        };
        Some((a, level))
    }
}

/// Header of one compressed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Compressed size of the block, excluding the 9-byte header.
    pub compressed: usize,
    /// Uncompressed size of the block.
    pub uncompressed: usize,
}

fn le24(b: &[u8]) -> usize {
    b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16
}

/// Parses the block header at the start of `src`.
pub fn block_header(src: &[u8]) -> Result<BlockHeader> {
    if src.len() < HEADER_SIZE {
        return Err(Error::new(ErrorKind::Truncated {
            need: HEADER_SIZE,
            pos: 0,
            len: src.len(),
        }));
    }
    let algorithm = Algorithm::from_tag([src[0], src[1]]).ok_or_else(|| {
        Error::corrupt(format!(
            "unknown compression algorithm tag {:?} (bytes {:02x} {:02x})",
            String::from_utf8_lossy(&src[0..2]),
            src[0],
            src[1]
        ))
    })?;
    Ok(BlockHeader {
        algorithm,
        compressed: le24(&src[3..6]),
        uncompressed: le24(&src[6..9]),
    })
}

/// ROOT cannot write objects larger than this (`TBuffer::kMaxBufferSize`).
pub const MAX_OBJECT_SIZE: usize = 0x7FFF_FFFE;

/// Checks, before allocating, that the block headers of `src` add up to
/// `uncompressed_len` (a corrupt length must not allocate gigabytes).
fn check_block_sizes(src: &[u8], uncompressed_len: usize) -> Result<()> {
    if uncompressed_len > MAX_OBJECT_SIZE {
        return Err(Error::corrupt(format!(
            "object claims {uncompressed_len} uncompressed bytes, more than ROOT can write"
        )));
    }
    let (mut pos, mut total) = (0usize, 0usize);
    while total < uncompressed_len && pos + HEADER_SIZE <= src.len() {
        let h = block_header(&src[pos..])?;
        pos += HEADER_SIZE + h.compressed;
        total += h.uncompressed;
    }
    if total != uncompressed_len {
        return Err(Error::corrupt(format!(
            "compressed blocks hold {total} bytes but the object should have {uncompressed_len}"
        )));
    }
    Ok(())
}

/// Decompresses a whole compressed object of `uncompressed_len` bytes made of
/// one or more blocks. Returns the algorithm of the first block with the data.
pub fn decompress(src: &[u8], uncompressed_len: usize) -> Result<(Algorithm, Vec<u8>)> {
    check_block_sizes(src, uncompressed_len)?;
    // The common case of one ZSTD block: decompress into fresh capacity
    // instead of zeroing the buffer first.
    if let Ok(h) = block_header(src) {
        let body = src.get(HEADER_SIZE..HEADER_SIZE + h.compressed);
        if let (Algorithm::Zstd, true, Some(body)) =
            (h.algorithm, h.uncompressed == uncompressed_len, body)
        {
            let mut out = Vec::with_capacity(uncompressed_len);
            let produced = unzstd(body, &mut out).map_err(|m| fail(h.algorithm, m))?;
            check_produced(h.algorithm, produced, uncompressed_len)?;
            return Ok((h.algorithm, out));
        }
    }
    let mut out = vec![0u8; uncompressed_len];
    let alg = decompress_into(src, &mut out)?;
    Ok((alg, out))
}

/// Decompresses `src` into `out`, which must have exactly the uncompressed size.
pub fn decompress_into(src: &[u8], out: &mut [u8]) -> Result<Algorithm> {
    let mut pos = 0usize;
    let mut filled = 0usize;
    let mut first = None;
    while filled < out.len() {
        if pos >= src.len() {
            return Err(Error::corrupt(format!(
                "compressed data ends after {filled} of {} uncompressed bytes",
                out.len()
            )));
        }
        let h = block_header(&src[pos..]).map_err(|e| match e.kind() {
            ErrorKind::Truncated { .. } => Error::corrupt(format!(
                "compressed data ends inside a block header at position {pos}"
            )),
            _ => e,
        })?;
        first.get_or_insert(h.algorithm);
        let body_start = pos + HEADER_SIZE;
        let body_end = body_start
            .checked_add(h.compressed)
            .filter(|&e| e <= src.len())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "{} block at position {pos} claims {} compressed bytes but only {} remain",
                    h.algorithm.name(),
                    h.compressed,
                    src.len().saturating_sub(body_start)
                ))
            })?;
        let out_end = filled
            .checked_add(h.uncompressed)
            .filter(|&e| e <= out.len())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "{} block at position {pos} would decompress to {} bytes, beyond the object's {} bytes",
                    h.algorithm.name(),
                    h.uncompressed,
                    out.len()
                ))
            })?;
        if h.uncompressed == 0 {
            return Err(Error::corrupt(format!(
                "empty compressed block at position {pos}"
            )));
        }
        decompress_block(
            h.algorithm,
            &src[body_start..body_end],
            &mut out[filled..out_end],
        )?;
        pos = body_end;
        filled = out_end;
    }
    first.ok_or_else(|| Error::corrupt("no compressed blocks"))
}

fn fail(algorithm: Algorithm, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Decompress {
        algorithm: algorithm.name(),
        message: message.into(),
    })
}

/// Decompresses one block body into `out` (exactly the block's uncompressed size).
pub fn decompress_block(alg: Algorithm, body: &[u8], out: &mut [u8]) -> Result<()> {
    let produced = match alg {
        Algorithm::Zlib => inflate(body, out, true).map_err(|m| fail(alg, m))?,
        Algorithm::OldDeflate => inflate(body, out, false).map_err(|m| fail(alg, m))?,
        Algorithm::Lzma => unxz(body, out).map_err(|m| fail(alg, m))?,
        Algorithm::Zstd => unzstd(body, out).map_err(|m| fail(alg, m))?,
        Algorithm::Lz4 => {
            if body.len() < 8 {
                return Err(fail(alg, "block too short for its checksum"));
            }
            let expected = u64::from_be_bytes(body[..8].try_into().expect("8 bytes"));
            let data = &body[8..];
            let computed = xxhash_rust::xxh64::xxh64(data, 0);
            if computed != expected {
                return Err(fail(
                    alg,
                    format!(
                        "checksum mismatch: stored {expected:#018x}, computed {computed:#018x}"
                    ),
                ));
            }
            lz4_flex::block::decompress_into(data, out).map_err(|e| fail(alg, e.to_string()))?
        }
    };
    check_produced(alg, produced, out.len())
}

/// A block must decompress to the size its header announces.
fn check_produced(alg: Algorithm, produced: usize, announced: usize) -> Result<()> {
    if produced != announced {
        return Err(fail(
            alg,
            format!("block decompressed to {produced} bytes, but its header says {announced}"),
        ));
    }
    Ok(())
}

thread_local! {
    /// One ZSTD context per thread: creating one per basket costs more than
    /// decompressing a small basket.
    static ZSTD: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    /// One inflater per thread and header kind (reset between blocks).
    static INFLATE: std::cell::RefCell<[Option<flate2::Decompress>; 2]> =
        const { std::cell::RefCell::new([None, None]) };
}

/// Decompresses a ZSTD frame into `out`: a slice, or a vector's free capacity.
fn unzstd<C: zstd::zstd_safe::WriteBuf + ?Sized>(
    body: &[u8],
    out: &mut C,
) -> std::result::Result<usize, String> {
    ZSTD.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?);
        }
        let d = slot.as_mut().expect("created above");
        d.decompress_to_buffer(body, out).map_err(|e| e.to_string())
    })
}

fn inflate(body: &[u8], out: &mut [u8], zlib_header: bool) -> std::result::Result<usize, String> {
    INFLATE.with(|cell| {
        let mut slots = cell.borrow_mut();
        let d = slots[usize::from(zlib_header)]
            .get_or_insert_with(|| flate2::Decompress::new(zlib_header));
        d.reset(zlib_header);
        inflate_with(d, body, out)
    })
}

fn inflate_with(
    d: &mut flate2::Decompress,
    body: &[u8],
    out: &mut [u8],
) -> std::result::Result<usize, String> {
    let status = d
        .decompress(body, out, flate2::FlushDecompress::Finish)
        .map_err(|e| e.to_string())?;
    match status {
        flate2::Status::StreamEnd => Ok(d.total_out() as usize),
        _ => Err(format!(
            "stream did not end (produced {} of {} bytes)",
            d.total_out(),
            out.len()
        )),
    }
}

fn unxz(body: &[u8], out: &mut [u8]) -> std::result::Result<usize, String> {
    let mut s =
        liblzma::stream::Stream::new_stream_decoder(u64::MAX, 0).map_err(|e| e.to_string())?;
    let status = s
        .process(body, out, liblzma::stream::Action::Finish)
        .map_err(|e| e.to_string())?;
    match status {
        liblzma::stream::Status::StreamEnd => Ok(s.total_out() as usize),
        _ => Err(format!(
            "stream did not end (produced {} of {} bytes)",
            s.total_out(),
            out.len()
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Frames `body` as a ROOT block.
    pub(crate) fn frame(tag: &[u8; 2], body: &[u8], uncompressed: usize) -> Vec<u8> {
        let c = body.len();
        let mut v = vec![tag[0], tag[1], 0];
        v.extend_from_slice(&[c as u8, (c >> 8) as u8, (c >> 16) as u8]);
        v.extend_from_slice(&[
            uncompressed as u8,
            (uncompressed >> 8) as u8,
            (uncompressed >> 16) as u8,
        ]);
        v.extend_from_slice(body);
        v
    }

    fn payload() -> Vec<u8> {
        (0..5000u32).flat_map(|i| (i % 251).to_be_bytes()).collect()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(1));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_algorithm_round_trips() {
        let data = payload();
        let n = data.len();
        let mut blocks = vec![frame(b"ZL", &zlib(&data), n)];
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        raw.write_all(&data).unwrap();
        blocks.push(frame(b"CS", &raw.finish().unwrap(), n));
        let xz = liblzma::encode_all(&data[..], 6).unwrap();
        blocks.push(frame(b"XZ", &xz, n));
        blocks.push(frame(b"ZS", &zstd::bulk::compress(&data, 5).unwrap(), n));
        let lz = lz4_flex::block::compress(&data);
        let mut body = xxhash_rust::xxh64::xxh64(&lz, 0).to_be_bytes().to_vec();
        body.extend_from_slice(&lz);
        blocks.push(frame(b"L4", &body, n));
        for b in blocks {
            let (alg, out) = decompress(&b, n).unwrap();
            assert_eq!(out, data, "{alg:?}");
        }
    }

    #[test]
    fn multiple_blocks_concatenate() {
        let data = payload();
        let (a, b) = data.split_at(7000);
        let mut src = frame(b"ZL", &zlib(a), a.len());
        src.extend(frame(b"ZS", &zstd::bulk::compress(b, 3).unwrap(), b.len()));
        let (alg, out) = decompress(&src, data.len()).unwrap();
        assert_eq!(alg, Algorithm::Zlib);
        assert_eq!(out, data);
    }

    #[test]
    fn corrupt_input_gives_errors() {
        let data = payload();
        let good = frame(b"ZL", &zlib(&data), data.len());
        // truncated body
        let e = decompress(&good[..good.len() - 10], data.len()).unwrap_err();
        assert!(e.to_string().contains("claims"), "{e}");
        // wrong uncompressed size expected by the caller
        assert!(decompress(&good, data.len() + 1).is_err());
        // unknown tag
        let mut bad = good.clone();
        bad[0] = b'Q';
        assert!(decompress(&bad, data.len())
            .unwrap_err()
            .to_string()
            .contains("unknown compression"));
        // flipped byte inside the deflate stream
        let mut bad = good.clone();
        bad[40] ^= 0xff;
        assert!(decompress(&bad, data.len()).is_err());
        // a ZSTD block that decompresses to fewer bytes than its header says
        let short = frame(b"ZS", &zstd::bulk::compress(&data[..100], 3).unwrap(), 200);
        let e = decompress(&short, 200).unwrap_err();
        assert!(e.to_string().contains("ZSTD"), "{e}");
        // LZ4 checksum mismatch
        let lz = lz4_flex::block::compress(&data);
        let mut body = 0u64.to_be_bytes().to_vec();
        body.extend_from_slice(&lz);
        let e = decompress(&frame(b"L4", &body, data.len()), data.len()).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        // header only
        assert!(decompress(&good[..5], data.len()).is_err());
    }

    #[test]
    fn settings() {
        assert_eq!(Algorithm::from_setting(209), Some((Algorithm::Lzma, 9)));
        assert_eq!(Algorithm::from_setting(505), Some((Algorithm::Zstd, 5)));
        assert_eq!(Algorithm::from_setting(101), Some((Algorithm::Zlib, 1)));
        assert_eq!(Algorithm::from_setting(1), Some((Algorithm::Zlib, 1)));
        assert_eq!(Algorithm::from_setting(0), None);
    }
}
