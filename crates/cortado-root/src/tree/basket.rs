//! Baskets: unpacking a basket record (key, header, compressed payload, entry
//! offsets) and converting its big-endian content into typed values.

use cortado_columns::Values;

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
    /// The uncompressed basket: data bytes (big-endian values), then, for
    /// variable-length entries, ROOT's table of entry offsets.
    buffer: Vec<u8>,
    /// Length of the data bytes at the start of `buffer` (ROOT's `fLast`
    /// without the key); below 2 GiB, as ROOT's sizes are `i32`s.
    border: usize,
    /// Where the `entries` big-endian entry offsets (which count the key
    /// length) start in `buffer`, when the basket stores them.
    table: Option<usize>,
    /// The key length the stored offsets include.
    key_len: usize,
}

/// The wanted entries of a basket: their bytes in [`RawBasket::content`] and,
/// for entries of varying size, the number of values in each.
#[derive(Debug, PartialEq)]
pub struct EntrySpan {
    /// The entries' bytes in the content.
    pub bytes: std::ops::Range<usize>,
    /// Values per entry.
    pub counts: Vec<u32>,
}

impl RawBasket {
    /// The data bytes (big-endian values, without key and offset table).
    pub fn content(&self) -> &[u8] {
        &self.buffer[..self.border]
    }

    /// The bytes and per-entry value counts of entries `a..z`, from the
    /// stored entry offsets (`None` when the basket has none), for items of
    /// `item` bytes holding `per_item` values each. Checks that the offsets
    /// rise, stay inside the content and cut whole items — in one pass that
    /// computes the counts.
    pub fn entry_span(
        &self,
        a: usize,
        z: usize,
        item: usize,
        per_item: u32,
    ) -> Option<Result<EntrySpan>> {
        let t = self.table?;
        Some(self.span_from_table(t, a, z, item, per_item))
    }

    /// The bytes of entries `a..z`, from the stored entry offsets (`None`
    /// when the basket has none): checks only the two ends, for readers that
    /// know the entries' sizes from elsewhere (the counter branch).
    pub fn entry_bytes(&self, a: usize, z: usize) -> Option<Result<std::ops::Range<usize>>> {
        let t = self.table?;
        let at = |i: usize| -> Option<i64> {
            if i == self.entries {
                return Some(self.border as i64);
            }
            let c = self.buffer.get(t + 4 * i..t + 4 * i + 4)?;
            Some(i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as i64 - self.key_len as i64)
        };
        Some(match (a <= z && z <= self.entries, at(a), at(z)) {
            (true, Some(s), Some(e)) if 0 <= s && s <= e && e <= self.border as i64 => {
                Ok(s as usize..e as usize)
            }
            _ => Err(Error::corrupt(format!(
                "entry offsets of entries {a}..{z} are outside the basket content 0..{}",
                self.border
            ))),
        })
    }

    /// Whether the stored entry offsets of entries `a..z` agree with
    /// `expected`, the offsets (in values) of the same entries from their
    /// counter branch: entry `a + i` must start
    /// `(expected[i] - expected[0]) * item` bytes after entry `a`. `None` when the basket stores no entry
    /// offsets. One pass over the table, with no branch: it runs on every
    /// basket of every jagged branch read with its counter. (Where entry `z`
    /// ends is not in the table; check it with [`RawBasket::entry_bytes`].)
    pub fn entry_offsets_agree(
        &self,
        a: usize,
        z: usize,
        expected: &[u32],
        item: usize,
    ) -> Option<bool> {
        let t = self.table?;
        let (Some(table), Some(&first)) = (
            self.buffer.get(t + 4 * a..t + 4 * z.max(a)),
            expected.first(),
        ) else {
            return Some(false);
        };
        if expected.len() < z - a {
            return Some(false);
        }
        // In wrapping 32-bit arithmetic, which is exact here: a table entry
        // agrees when it equals, bit for bit, the entry `a`'s plus the
        // expected distance (below 2 GiB: the caller checked the total).
        let word = |c: &[u8]| u32::from_be_bytes(c.try_into().unwrap_or([0; 4]));
        let base = table.get(..4).map_or(0, word);
        let item = item as u32;
        let mut bad = 0u32;
        for (c, &x) in table.chunks_exact(4).zip(expected) {
            bad |= word(c).wrapping_sub(base) ^ x.wrapping_sub(first).wrapping_mul(item);
        }
        Some(bad == 0)
    }

    fn span_from_table(
        &self,
        t: usize,
        a: usize,
        z: usize,
        item: usize,
        per_item: u32,
    ) -> Result<EntrySpan> {
        if a > z || z > self.entries {
            return Err(Error::corrupt(format!(
                "entries {a}..{z} of a basket with {}",
                self.entries
            )));
        }
        let table = &self.buffer[t..t + 4 * self.entries];
        let key_len = self.key_len as i64;
        let at = |i: usize| -> i64 {
            if i == self.entries {
                self.border as i64
            } else {
                let c = &table[4 * i..4 * i + 4];
                i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as i64 - key_len
            }
        };
        let (start, end) = (at(a), at(z));
        // entries a..inner take both ends from the table; the last entry of
        // the basket ends at the content's end
        let inner = z.min(self.entries.saturating_sub(1)).max(a);
        let mut counts = vec![0u32; z - a];
        let ends = table[4 * a..4 * inner + 4 * usize::from(inner > a)]
            .chunks_exact(4)
            .skip(1)
            .map(|x| i32::from_be_bytes([x[0], x[1], x[2], x[3]]) as i64 - key_len);
        let mut ok = count_values(start, ends, &mut counts[..inner - a], item, per_item);
        if z > inner {
            ok &= count_values(
                at(inner),
                [end].into_iter(),
                &mut counts[inner - a..],
                item,
                per_item,
            );
        }
        if !ok {
            return Err(Error::corrupt(format!(
                "an entry's size is negative or not a whole number of {item}-byte items"
            )));
        }
        if start < 0 || end > self.border as i64 || start > end {
            return Err(Error::corrupt(format!(
                "entry offsets {}..{} are outside the basket content 0..{} (key length {})",
                start + key_len,
                end + key_len,
                self.border + self.key_len,
                self.key_len
            )));
        }
        Ok(EntrySpan {
            bytes: start as usize..end as usize,
            counts,
        })
    }
}

/// Writes into `counts` the number of values of each entry, from where the
/// first entry starts and where each one ends (byte positions): each entry
/// must hold a non-negative whole number of `item`-byte items of `per_item`
/// values; returns false if one does not. The checks are folded into a bit
/// mask and everything stays in registers (no branch, no store but the counts).
#[inline]
pub fn count_values(
    start: i64,
    ends: impl Iterator<Item = i64>,
    counts: &mut [u32],
    item: usize,
    per_item: u32,
) -> bool {
    let mut prev = start;
    if item.is_power_of_two() {
        let (shift, mask) = (item.trailing_zeros(), item as i64 - 1);
        let mut bad = 0i64;
        for (c, end) in counts.iter_mut().zip(ends) {
            let size = end - prev;
            prev = end;
            bad |= (size & mask) | (size & i64::MIN);
            *c = ((size >> shift) as u32).wrapping_mul(per_item);
        }
        bad == 0
    } else {
        let mut ok = true;
        for (c, end) in counts.iter_mut().zip(ends) {
            let size = end - prev;
            prev = end;
            ok &= size >= 0 && size % item as i64 == 0;
            *c = ((size / item as i64) as u32).wrapping_mul(per_item);
        }
        ok
    }
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
fn split_content(obj: Vec<u8>, entries: usize, border: usize, key_len: usize) -> Result<RawBasket> {
    if border > obj.len() {
        return Err(Error::corrupt(format!(
            "basket data ends at byte {border} but only {} bytes were decompressed",
            obj.len()
        )));
    }
    if i32::try_from(border).is_err() {
        return Err(Error::corrupt(format!("basket content of {border} bytes")));
    }
    let table = if obj.len() > border {
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
        Some(border + 4)
    } else {
        None
    };
    Ok(RawBasket {
        entries,
        buffer: obj,
        border,
        table,
        key_len,
    })
}

/// The content of a basket that was stored inside its branch.
pub fn from_embedded(e: &EmbeddedBasket) -> Result<RawBasket> {
    let border = e.data.len();
    let entries = e.entries as usize;
    let mut buffer = e.data.clone();
    let table = match &e.entry_offsets {
        Some(raw) if raw.len() >= entries => {
            buffer.extend(raw[..entries].iter().flat_map(|o| o.to_be_bytes()));
            Some(border)
        }
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
        entries,
        buffer,
        border,
        table,
        key_len: e.key_len as usize,
    })
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
    use cortado_columns::DType;

    fn decode(dtype: DType, bytes: &[u8]) -> Values {
        let mut v = Values::with_capacity(dtype, bytes.len() / dtype.size());
        decode_into(bytes, &mut v);
        v
    }

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

    /// A basket of `data.len()` bytes with the given stored offsets (key length 100).
    fn basket(data_len: usize, offsets: &[i32]) -> RawBasket {
        let mut obj = vec![0u8; data_len];
        obj.extend((offsets.len() as i32 + 1).to_be_bytes());
        for o in offsets {
            obj.extend(o.to_be_bytes());
        }
        obj.extend(0i32.to_be_bytes());
        split_content(obj, offsets.len(), data_len, 100).unwrap()
    }

    #[test]
    fn offsets_are_validated() {
        let span = |o: &[i32], a, z| basket(20, o).entry_span(a, z, 4, 1).unwrap();
        let ok = span(&[100, 104, 112], 0, 3).unwrap();
        assert_eq!(ok.bytes, 0..20);
        assert_eq!(ok.counts, vec![1, 2, 2]);
        let mid = span(&[100, 104, 112], 1, 2).unwrap();
        assert_eq!((mid.bytes, mid.counts), (4..12, vec![2]));
        assert_eq!(span(&[100, 104, 112], 2, 2).unwrap().counts, vec![]);
        assert!(span(&[96, 104], 0, 2).is_err()); // before the content
        assert!(span(&[100, 108, 104], 0, 3).is_err()); // decreasing
        assert!(span(&[100, 130], 0, 2).is_err()); // past the end
        assert!(span(&[100, 106], 0, 2).is_err()); // not whole items
                                                   // three values per item of 12 bytes: 24 bytes are 2 items, 6 values
        let b = basket(36, &[100, 124]);
        assert_eq!(
            b.entry_span(0, 2, 12, 3).unwrap().unwrap().counts,
            vec![6, 3]
        );
        assert!(basket(8, &[]).entry_span(0, 0, 4, 1).unwrap().is_ok());
        let b = basket(20, &[100, 104, 112]);
        assert_eq!(b.entry_bytes(1, 3).unwrap().unwrap(), 4..20);
        assert_eq!(b.entry_bytes(0, 1).unwrap().unwrap(), 0..4);
        assert!(basket(20, &[100, 130]).entry_bytes(1, 2).unwrap().is_err());
        assert!(basket(20, &[104, 100]).entry_bytes(0, 1).unwrap().is_err());
    }

    #[test]
    fn entry_offsets_are_compared_with_the_counter() {
        // entries of 1, 2 and 2 values of 4 bytes
        let b = basket(20, &[100, 104, 112]);
        let agree = |a, z, off: &[u32]| b.entry_offsets_agree(a, z, off, 4).unwrap();
        assert!(agree(0, 3, &[0, 1, 3, 5]));
        assert!(agree(1, 3, &[7, 9, 11])); // the counter's offsets need not start at 0
        assert!(agree(2, 2, &[4]));
        assert!(!agree(0, 3, &[0, 2, 3, 5])); // counts 2, 1 instead of 1, 2
        assert!(!agree(0, 3, &[0, 1, 2, 5]));
        assert!(!agree(0, 3, &[0, 1])); // too few offsets
                                        // a zeroed table
        let zeroed = basket(20, &[100, 0, 0]);
        assert!(!zeroed.entry_offsets_agree(0, 3, &[0, 1, 3, 5], 4).unwrap());
        // no table
        let rb = split_content(vec![1, 2, 3, 4], 4, 4, 10).unwrap();
        assert!(rb.entry_offsets_agree(0, 4, &[0, 1, 2, 3, 4], 1).is_none());
    }

    #[test]
    fn split_content_with_and_without_offsets() {
        // 2 entries of 4 bytes, offsets table: n=3, 10, 14, 0 (key length 10)
        let mut obj = vec![0, 0, 0, 1, 0, 0, 0, 2];
        for v in [3i32, 10, 14, 0] {
            obj.extend(v.to_be_bytes());
        }
        let rb = split_content(obj, 2, 8, 10).unwrap();
        let span = rb.entry_span(0, 2, 4, 1).unwrap().unwrap();
        assert_eq!((span.bytes, span.counts), (0..8, vec![1, 1]));
        assert_eq!(rb.content().len(), 8);
        let rb = split_content(vec![1, 2, 3, 4], 4, 4, 10).unwrap();
        assert!(rb.entry_span(0, 4, 1, 1).is_none());
        assert!(split_content(vec![1, 2], 1, 4, 10).is_err());
        // offsets table claims more entries than it holds
        let mut obj = vec![0; 4];
        obj.extend(1000i32.to_be_bytes());
        assert!(split_content(obj, 1, 4, 10).is_err());
    }
}
