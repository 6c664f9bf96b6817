//! One cached column as bytes: a 48-byte header (magic, type, sizes, the
//! entry's key hash, a hash of the header and payload) and the payload
//! (offsets, values; little-endian). A file that is short, long, of another key or whose
//! payload hash differs is refused: a torn or damaged entry is never used.

use cortado_columns::{Column, DType, Values};
use xxhash_rust::xxh3::Xxh3;

const MAGIC: &[u8; 8] = b"CRTDCOL1";
/// Header size in bytes.
pub const HEADER: usize = 48;

const DTYPES: [DType; 11] = [
    DType::Bool,
    DType::I8,
    DType::U8,
    DType::I16,
    DType::U16,
    DType::I32,
    DType::U32,
    DType::I64,
    DType::U64,
    DType::F32,
    DType::F64,
];

macro_rules! le_bytes {
    ($v:expr, $out:expr) => {
        for x in $v {
            $out.extend_from_slice(&x.to_le_bytes());
        }
    };
}

fn value_bytes(v: &Values, out: &mut Vec<u8>) {
    match v {
        Values::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        Values::I8(v) => le_bytes!(v, out),
        Values::U8(v) => out.extend_from_slice(v),
        Values::I16(v) => le_bytes!(v, out),
        Values::U16(v) => le_bytes!(v, out),
        Values::I32(v) => le_bytes!(v, out),
        Values::U32(v) => le_bytes!(v, out),
        Values::I64(v) => le_bytes!(v, out),
        Values::U64(v) => le_bytes!(v, out),
        Values::F32(v) => le_bytes!(v, out),
        Values::F64(v) => le_bytes!(v, out),
    }
}

/// The bytes of a cached column for the entry whose key hashes to `key`.
pub fn encode(col: &Column, key: u64) -> Vec<u8> {
    let dtype = col.dtype();
    let n = col.values.len();
    let entries = col.entries();
    let mut payload = Vec::with_capacity(col.nbytes() + 4 * (entries + 1));
    if let Some(off) = &col.offsets {
        le_bytes!(off, payload);
    }
    value_bytes(&col.values, &mut payload);
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    let code = DTYPES.iter().position(|&d| d == dtype).unwrap_or(0) as u8;
    out.extend_from_slice(&[code, u8::from(col.offsets.is_some()), 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&(entries as u64).to_le_bytes());
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&key.to_le_bytes());
    let sum = checksum(&out, &payload);
    out.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// The hash of the first 40 header bytes and the payload.
fn checksum(head: &[u8], payload: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(&head[..40]);
    h.update(payload);
    h.digest()
}

/// Writes key hash `key` and the matching checksum into the header of
/// `bytes` (at least a header long): what [`decode`] then checks past the
/// hash is the layout itself (for fuzzing the decoder beyond the hash).
pub fn seal(bytes: &mut [u8], key: u64) {
    if bytes.len() < HEADER {
        return;
    }
    bytes[32..40].copy_from_slice(&key.to_le_bytes());
    let sum = checksum(bytes, &bytes[HEADER..]);
    bytes[40..48].copy_from_slice(&sum.to_le_bytes());
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

macro_rules! from_le {
    ($bytes:expr, $t:ty) => {
        $bytes
            .chunks_exact(std::mem::size_of::<$t>())
            .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect::<Vec<$t>>()
    };
}

/// Decodes a cached column written for key hash `key`, or says why not.
pub fn decode(b: &[u8], key: u64) -> Result<Column, String> {
    if b.len() < HEADER || &b[..8] != MAGIC {
        return Err("not a cortado column cache entry".into());
    }
    let dtype = *DTYPES.get(b[8] as usize).ok_or("unknown value type")?;
    let jagged = match b[9] {
        0 => false,
        1 => true,
        _ => return Err("bad layout flag".into()),
    };
    if b[10..16].iter().any(|&x| x != 0) {
        return Err("bad header (spare bytes set)".into());
    }
    let (entries, n) = (u64_at(b, 16), u64_at(b, 24));
    if u64_at(b, 32) != key {
        return Err("the entry belongs to another key".into());
    }
    let payload = &b[HEADER..];
    if checksum(b, payload) != u64_at(b, 40) {
        return Err("checksum mismatch (torn or damaged entry)".into());
    }
    let off_bytes = if jagged {
        entries
            .checked_add(1)
            .and_then(|e| e.checked_mul(4))
            .ok_or("sizes overflow")?
    } else {
        0
    };
    let val_bytes = n.checked_mul(dtype.size() as u64).ok_or("sizes overflow")?;
    if off_bytes.checked_add(val_bytes) != Some(payload.len() as u64) {
        return Err("sizes do not match the payload".into());
    }
    let (off, vals) = payload.split_at(off_bytes as usize);
    let values = match dtype {
        DType::Bool => {
            if vals.iter().any(|&x| x > 1) {
                return Err("a boolean is neither 0 nor 1".into());
            }
            Values::Bool(vals.iter().map(|&x| x == 1).collect())
        }
        DType::I8 => Values::I8(vals.iter().map(|&x| x as i8).collect()),
        DType::U8 => Values::U8(vals.to_vec()),
        DType::I16 => Values::I16(from_le!(vals, i16)),
        DType::U16 => Values::U16(from_le!(vals, u16)),
        DType::I32 => Values::I32(from_le!(vals, i32)),
        DType::U32 => Values::U32(from_le!(vals, u32)),
        DType::I64 => Values::I64(from_le!(vals, i64)),
        DType::U64 => Values::U64(from_le!(vals, u64)),
        DType::F32 => Values::F32(from_le!(vals, f32)),
        DType::F64 => Values::F64(from_le!(vals, f64)),
    };
    if jagged {
        Column::jagged(values, from_le!(off, u32))
    } else if values.len() as u64 != entries {
        Err("a flat column needs one value per entry".into())
    } else {
        Ok(Column::flat(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column::flat(Values::F32(vec![1.5, -0.0, f32::NAN, 3.25e10])),
            Column::flat(Values::Bool(vec![true, false, true])),
            Column::flat(Values::U8(vec![])),
            Column::jagged(Values::I32(vec![-1, 2, 3]), vec![0, 0, 2, 3]).unwrap(),
            Column::jagged(Values::U64(vec![u64::MAX]), vec![0, 1]).unwrap(),
            Column::flat(Values::F64(vec![std::f64::consts::PI])),
            Column::flat(Values::I16(vec![i16::MIN, 7])),
        ]
    }

    #[test]
    fn round_trip_is_exact() {
        for c in columns() {
            let b = encode(&c, 42);
            let d = decode(&b, 42).unwrap();
            assert_eq!(d.offsets, c.offsets);
            assert_eq!(format!("{:?}", d.values), format!("{:?}", c.values));
        }
    }

    #[test]
    fn every_damage_is_refused() {
        for c in columns() {
            let b = encode(&c, 7);
            assert!(decode(&b, 8).is_err(), "another key");
            for cut in 0..b.len() {
                assert!(decode(&b[..cut], 7).is_err(), "cut at {cut}");
            }
            for i in 0..b.len() {
                for bit in [0x01u8, 0x80] {
                    let mut m = b.clone();
                    m[i] ^= bit;
                    assert!(decode(&m, 7).is_err(), "byte {i} ^ {bit:#x}");
                }
            }
            let mut long = b.clone();
            long.push(0);
            assert!(decode(&long, 7).is_err());
        }
    }
}
