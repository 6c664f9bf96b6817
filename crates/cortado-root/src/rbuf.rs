//! A bounds-checked big-endian cursor over a byte buffer: the primitive of all
//! ROOT deserialisation. Every read returns an error instead of panicking when
//! the buffer is too short.

use crate::error::{Error, ErrorKind, Result};

/// `kByteCountMask`: set in the 32-bit word that precedes a versioned object
/// when that word is a byte count.
pub const BYTE_COUNT_MASK: u32 = 0x4000_0000;
/// `kNewClassTag`: a class name follows in the stream.
pub const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
/// `kClassMask`: the tag refers to a class seen before.
pub const CLASS_MASK: u32 = 0x8000_0000;
/// `kMapOffset`: offset added to buffer positions in the reference map.
pub const MAP_OFFSET: u32 = 2;
/// `kStreamedMemberWise`: bit in the version of member-wise streamed collections.
pub const STREAMED_MEMBERWISE: u16 = 0x4000;

/// Version and extent of a versioned object in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjHeader {
    /// The class version.
    pub version: i16,
    /// Position just past the object, when the stream has a byte count.
    pub end: Option<usize>,
}

/// Big-endian cursor over a byte slice.
#[derive(Clone, Debug)]
pub struct RBuf<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> RBuf<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        RBuf { data, pos: 0 }
    }

    /// The current position.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The whole underlying buffer.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Bytes left after the current position.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn truncated(&self, need: usize) -> Error {
        Error::new(ErrorKind::Truncated {
            need,
            pos: self.pos,
            len: self.data.len(),
        })
    }

    /// Moves to an absolute position (which may be the end of the buffer).
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(Error::corrupt(format!(
                "seek to position {pos} beyond the end of a {}-byte buffer",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// The next `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated(n));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// Reads a big-endian `i16`.
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i32`.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i64`.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f32`.
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f64`.
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// Reads a `TString`: a one-byte length (255 means a 4-byte length follows)
    /// and the characters. Invalid UTF-8 is replaced, never rejected.
    pub fn tstring(&mut self) -> Result<String> {
        let short = self.u8()?;
        let len = if short == 255 {
            let l = self.i32()?;
            usize::try_from(l).map_err(|_| Error::corrupt(format!("negative string length {l}")))?
        } else {
            short as usize
        };
        Ok(String::from_utf8_lossy(self.bytes(len)?).into_owned())
    }

    /// Reads a NUL-terminated C string (class names in object references).
    pub fn cstring(&mut self) -> Result<String> {
        let rest = &self.data[self.pos.min(self.data.len())..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| Error::corrupt("unterminated class name"))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    /// Reads `n` big-endian `i32`s.
    pub fn i32_array(&mut self, n: usize) -> Result<Vec<i32>> {
        let b = self.bytes(n.checked_mul(4).ok_or_else(|| self.truncated(usize::MAX))?)?;
        Ok(b.chunks_exact(4)
            .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Reads `n` big-endian `i64`s.
    pub fn i64_array(&mut self, n: usize) -> Result<Vec<i64>> {
        let b = self.bytes(n.checked_mul(8).ok_or_else(|| self.truncated(usize::MAX))?)?;
        Ok(b.chunks_exact(8)
            .map(|c| i64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    /// Reads the version (and byte count, when present) that starts a
    /// versioned object, like ROOT's `TBuffer::ReadVersion`.
    pub fn version(&mut self) -> Result<ObjHeader> {
        let start = self.pos;
        let word = self.u32()?;
        let end = if word & BYTE_COUNT_MASK != 0 {
            let count = (word & !BYTE_COUNT_MASK) as usize;
            let end = self.pos + count;
            if end > self.data.len() {
                return Err(Error::corrupt(format!(
                    "object at position {start} claims {count} bytes but the buffer ends at {}",
                    self.data.len()
                )));
            }
            if count < 2 {
                return Err(Error::corrupt(format!(
                    "object at position {start} has an impossible byte count {count}"
                )));
            }
            Some(end)
        } else {
            self.pos = start;
            None
        };
        let version = self.i16()?;
        Ok(ObjHeader { version, end })
    }

    /// Moves to the end of an object read with [`RBuf::version`]; objects
    /// without a byte count cannot be skipped.
    pub fn skip_to_end(&mut self, h: &ObjHeader, what: &str) -> Result<()> {
        match h.end {
            Some(end) => {
                if end < self.pos {
                    return Err(Error::corrupt(format!(
                        "{what} (version {}) ends at position {end}, but its fields were read up to {}",
                        h.version, self.pos
                    )));
                }
                self.pos = end;
                Ok(())
            }
            None => Err(Error::unsupported(format!(
                "{what} (version {}) has no byte count, so it cannot be skipped",
                h.version
            ))),
        }
    }

    /// Reads and skips a whole versioned object that must carry a byte count.
    pub fn skip_object(&mut self, what: &str) -> Result<ObjHeader> {
        let h = self.version()?;
        self.skip_to_end(&h, what)?;
        Ok(h)
    }

    /// Reads a `TObject` (its version, unique id and bits; the process id
    /// of referenced objects is skipped). Returns the bits.
    pub fn tobject(&mut self) -> Result<u32> {
        let h = self.version()?;
        if h.version < 0 {
            // Very old TObject streaming: the unique id is a 32-bit word after the version.
        }
        let _unique_id = self.u32()?;
        let bits = self.u32()?;
        const IS_REFERENCED: u32 = 1 << 4;
        if bits & IS_REFERENCED != 0 {
            self.skip(2)?;
        }
        if let Some(end) = h.end {
            self.seek(end)?;
        }
        Ok(bits)
    }

    /// Reads a `TNamed`: returns `(name, title)`.
    pub fn tnamed(&mut self) -> Result<(String, String)> {
        let h = self.version()?;
        self.tobject()?;
        let name = self.tstring()?;
        let title = self.tstring()?;
        if h.end.is_some() {
            self.skip_to_end(&h, "TNamed")?;
        }
        Ok((name, title))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_are_big_endian() {
        let d = [0x00, 0x01, 0xff, 0xff, 0xff, 0xfe, 0x3f, 0x80, 0x00, 0x00];
        let mut b = RBuf::new(&d);
        assert_eq!(b.u16().unwrap(), 1);
        assert_eq!(b.i32().unwrap(), -2);
        assert_eq!(b.f32().unwrap(), 1.0);
        assert_eq!(b.remaining(), 0);
        let e = b.u8().unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn tstring_short_and_long() {
        let mut d = vec![3, b'a', b'b', b'c', 255, 0, 0, 1, 0];
        d.extend(std::iter::repeat_n(b'x', 256));
        let mut b = RBuf::new(&d);
        assert_eq!(b.tstring().unwrap(), "abc");
        assert_eq!(b.tstring().unwrap().len(), 256);
        let mut bad = RBuf::new(&[10, b'a']);
        assert!(bad.tstring().is_err());
    }

    #[test]
    fn version_with_and_without_byte_count() {
        // byte count 6 -> version 3, then 4 bytes of payload
        let d = [0x40, 0, 0, 6, 0, 3, 1, 2, 3, 4, 9];
        let mut b = RBuf::new(&d);
        let h = b.version().unwrap();
        assert_eq!(
            h,
            ObjHeader {
                version: 3,
                end: Some(10)
            }
        );
        b.skip_to_end(&h, "x").unwrap();
        assert_eq!(b.u8().unwrap(), 9);
        let d = [0, 1, 0, 0, 0, 0];
        let mut b = RBuf::new(&d);
        assert_eq!(
            b.version().unwrap(),
            ObjHeader {
                version: 1,
                end: None
            }
        );
        assert_eq!(b.pos(), 2);
        // A byte count that runs past the buffer is an error, not a panic.
        let mut b = RBuf::new(&[0x40, 0, 1, 0, 0, 3]);
        assert!(b.version().is_err());
    }

    #[test]
    fn cstring_needs_terminator() {
        let mut b = RBuf::new(b"TTree\0x");
        assert_eq!(b.cstring().unwrap(), "TTree");
        assert_eq!(b.u8().unwrap(), b'x');
        assert!(RBuf::new(b"abc").cstring().is_err());
    }
}
