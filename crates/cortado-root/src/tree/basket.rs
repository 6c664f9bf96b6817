//! Baskets: unpacking a basket record (key, header, compressed payload, entry
//! offsets) and converting its big-endian content into typed values.

use cortado_columns::{DType, Values};

use crate::compression;
use crate::error::{Error, Result};
use crate::file::Key;
use crate::rbuf::RBuf;
use crate::tree::model::EmbeddedBasket;

/// The uncompressed content of one basket.
#[derive(Debug)]
pub struct RawBasket {
    /// Number of entries in the basket.
    pub entries: usize,
    /// The data bytes (big-endian values, without key and offsets).
    pub content: Vec<u8>,
    /// Byte offset of each entry in `content`, plus the end (`entries + 1`
    /// values), when the basket stores them (variable-length entries). A
    /// basket's content is shorter than 2 GiB (its sizes are `i32`s).
    pub offsets: Option<Vec<u32>>,
}

/// Unpacks a basket record read from the file: parses its key and header,
/// decompresses the payload and splits data from entry offsets.
pub fn unpack(raw: &[u8]) -> Result<RawBasket> {
    let mut b = RBuf::new(raw);
    let key = Key::parse(&mut b)?;
    if key.class_name != "TBasket" {
        return Err(Error::corrupt(format!(
            "expected a TBasket record, found a {:?} key",
            key.class_name
        )));
    }
    let _version = b.u16()?;
    let _buffer_size = b.i32()?;
    let _nev_buf_size = b.i32()?;
    let nev_buf = b.i32()?;
    let last = b.i32()?;
    let _flag = b.u8()?;
    let key_len = key.key_len as usize;
    if b.pos() > key_len {
        return Err(Error::corrupt(format!(
            "basket header is {} bytes, longer than its key length {key_len}",
            b.pos()
        )));
    }
    let entries = usize::try_from(nev_buf)
        .map_err(|_| Error::corrupt(format!("basket with {nev_buf} entries")))?;
    let border = usize::try_from(last)
        .ok()
        .and_then(|l| l.checked_sub(key_len))
        .ok_or_else(|| {
            Error::corrupt(format!(
                "basket fLast {last} is shorter than its key length {key_len}"
            ))
        })?;
    let obj = if key.nbytes as usize > raw.len() || key_len > key.nbytes as usize {
        return Err(Error::corrupt(format!(
            "basket record length {} does not match the {} bytes of the basket table",
            key.nbytes,
            raw.len()
        )));
    } else if key.is_uncompressed() {
        raw[key_len..key.nbytes as usize].to_vec()
    } else {
        compression::decompress(&raw[key_len..key.nbytes as usize], key.obj_len as usize)?.1
    };
    split_content(obj, entries, border, key_len)
}

/// Splits an uncompressed basket buffer into data content and entry offsets.
fn split_content(
    mut obj: Vec<u8>,
    entries: usize,
    border: usize,
    key_len: usize,
) -> Result<RawBasket> {
    if border > obj.len() {
        return Err(Error::corrupt(format!(
            "basket data ends at byte {border} but only {} bytes were decompressed",
            obj.len()
        )));
    }
    let offsets = if obj.len() > border {
        let mut b = RBuf::new(&obj[border..]);
        let n = b.i32()?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= b.remaining() / 4)
            .ok_or_else(|| Error::corrupt(format!("basket has an impossible offset count {n}")))?;
        if n < entries {
            return Err(Error::corrupt(format!(
                "basket stores {n} entry offsets for {entries} entries"
            )));
        }
        let raw = b.bytes(entries * 4)?;
        Some(rebase_offsets(
            raw.chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]])),
            key_len,
            border,
        )?)
    } else {
        None
    };
    obj.truncate(border);
    Ok(RawBasket {
        entries,
        content: obj,
        offsets,
    })
}

/// Converts ROOT entry offsets (which include the key length) to positions in
/// the content, appends the end, and checks that they are ordered and in range.
fn rebase_offsets(
    raw: impl ExactSizeIterator<Item = i32> + Clone,
    key_len: usize,
    border: usize,
) -> Result<Vec<u32>> {
    // One pass computes, one checks: offsets must rise within key_len..=border+key_len.
    let end = u32::try_from(border)
        .map_err(|_| Error::corrupt(format!("basket content of {border} bytes")))?;
    let base = key_len as i64;
    let mut out: Vec<u32> = Vec::with_capacity(raw.len() + 1);
    let mut ok = true;
    let mut prev = 0i64;
    out.extend(raw.clone().map(|o| {
        let p = o as i64 - base;
        ok &= p >= prev && p <= border as i64;
        prev = p;
        p.max(0) as u32
    }));
    if !ok {
        let mut prev = 0i64;
        for (i, o) in raw.enumerate() {
            let p = o as i64 - base;
            if p < prev || p > border as i64 {
                return Err(Error::corrupt(format!(
                    "entry {i} has offset {o}, outside {}..={} (key length {key_len})",
                    prev + base,
                    border + key_len
                )));
            }
            prev = p;
        }
    }
    out.push(end);
    Ok(out)
}

/// The content of a basket that was stored inside its branch.
pub fn from_embedded(e: &EmbeddedBasket) -> Result<RawBasket> {
    let border = e.data.len();
    let offsets = match &e.entry_offsets {
        Some(raw) if raw.len() >= e.entries as usize => Some(rebase_offsets(
            raw[..e.entries as usize].iter().copied(),
            e.key_len as usize,
            border,
        )?),
        Some(raw) => {
            return Err(Error::corrupt(format!(
                "embedded basket stores {} entry offsets for {} entries",
                raw.len(),
                e.entries
            )))
        }
        None => None,
    };
    Ok(RawBasket {
        entries: e.entries as usize,
        content: e.data.clone(),
        offsets,
    })
}

/// Converts big-endian bytes (a whole number of elements) to typed values.
pub fn decode(dtype: DType, bytes: &[u8]) -> Values {
    let mut v = Values::with_capacity(dtype, bytes.len() / dtype.size());
    decode_into(bytes, &mut v);
    v
}

/// Appends big-endian bytes (a whole number of elements of `out`'s type) to
/// `out`, converted; reserve the room first to avoid reallocations.
pub fn decode_into(bytes: &[u8], out: &mut Values) {
    // Fixed-size chunks through an exact-size iterator: the compiler turns
    // the loop into vector byte swaps written straight into the vector.
    macro_rules! conv {
        ($v:ident, $t:ty, $n:expr) => {
            $v.extend(bytes.chunks_exact($n).map(|c| {
                let mut a = [0u8; $n];
                a.copy_from_slice(c);
                <$t>::from_be_bytes(a)
            }))
        };
    }
    match out {
        Values::Bool(v) => v.extend(bytes.iter().map(|&b| b != 0)),
        Values::I8(v) => v.extend(bytes.iter().map(|&b| b as i8)),
        Values::U8(v) => v.extend_from_slice(bytes),
        Values::I16(v) => conv!(v, i16, 2),
        Values::U16(v) => conv!(v, u16, 2),
        Values::I32(v) => conv!(v, i32, 4),
        Values::U32(v) => conv!(v, u32, 4),
        Values::I64(v) => conv!(v, i64, 8),
        Values::U64(v) => conv!(v, u64, 8),
        Values::F32(v) => conv!(v, f32, 4),
        Values::F64(v) => conv!(v, f64, 8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_all_types() {
        assert_eq!(
            decode(DType::F32, &1.5f32.to_be_bytes()),
            Values::F32(vec![1.5])
        );
        assert_eq!(
            decode(DType::U32, &[0, 0, 1, 0, 0, 0, 0, 2]),
            Values::U32(vec![256, 2])
        );
        assert_eq!(decode(DType::I16, &[0xff, 0xfe]), Values::I16(vec![-2]));
        assert_eq!(
            decode(DType::Bool, &[0, 1, 2]),
            Values::Bool(vec![false, true, true])
        );
        assert_eq!(decode(DType::I8, &[0xff]), Values::I8(vec![-1]));
        let mut v = decode(DType::I16, &[0, 1]);
        decode_into(&[0, 2, 1, 0], &mut v);
        assert_eq!(v, Values::I16(vec![1, 2, 256]));
        assert_eq!(
            decode(DType::U64, &u64::MAX.to_be_bytes()),
            Values::U64(vec![u64::MAX])
        );
        assert_eq!(
            decode(DType::F64, &(-0.25f64).to_be_bytes()),
            Values::F64(vec![-0.25])
        );
    }

    #[test]
    fn offsets_are_validated() {
        let reb = |o: &[i32]| rebase_offsets(o.iter().copied(), 100, 20);
        assert_eq!(reb(&[100, 104, 112]).unwrap(), vec![0, 4, 12, 20]);
        assert!(reb(&[100, 96]).is_err()); // before the content
        assert!(reb(&[100, 108, 104]).is_err()); // decreasing
        assert!(reb(&[100, 130]).is_err()); // past the end
    }

    #[test]
    fn split_content_with_and_without_offsets() {
        // 2 entries of 4 bytes, offsets table: n=3, 10, 14, 0 (key length 10)
        let mut obj = vec![0, 0, 0, 1, 0, 0, 0, 2];
        for v in [3i32, 10, 14, 0] {
            obj.extend(v.to_be_bytes());
        }
        let rb = split_content(obj, 2, 8, 10).unwrap();
        assert_eq!(rb.offsets, Some(vec![0, 4, 8]));
        assert_eq!(rb.content.len(), 8);
        let rb = split_content(vec![1, 2, 3, 4], 4, 4, 10).unwrap();
        assert_eq!(rb.offsets, None);
        assert!(split_content(vec![1, 2], 1, 4, 10).is_err());
        // offsets table claims more entries than it holds
        let mut obj = vec![0; 4];
        obj.extend(1000i32.to_be_bytes());
        assert!(split_content(obj, 1, 4, 10).is_err());
    }
}
