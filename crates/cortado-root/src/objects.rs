//! Reading ROOT's object graph: object references (`TBuffer::ReadObjectAny`),
//! and the container classes `TObjArray` and `TList`.
//!
//! Objects written through pointers are preceded by a tag that either names a
//! new class, refers to a class seen before, or refers to an object seen
//! before. The reader keeps the map of classes and objects by their position in
//! the buffer (plus the key length and `kMapOffset`, as ROOT counts them).
//! What the objects decode into is up to the caller, through a dispatch function.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::rbuf::{RBuf, BYTE_COUNT_MASK, CLASS_MASK, MAP_OFFSET, NEW_CLASS_TAG};

/// Decoded objects that can be stored in the reference map.
pub trait Referable: Sized {
    /// The value to keep for later references to this object (may be a
    /// lighter copy; `None` keeps nothing).
    fn reference(&self) -> Option<Self>;
}

/// Decodes one object of class `class` at the reader's position.
pub type Dispatch<T> = fn(&mut ObjReader<'_, T>, &str) -> Result<T>;

#[derive(Debug)]
enum Ref<T> {
    Class(String),
    Object(Option<T>),
}

/// A cursor with ROOT's reference map, for buffers holding an object graph.
pub struct ObjReader<'a, T> {
    /// The underlying cursor.
    pub b: RBuf<'a>,
    base: u32,
    refs: HashMap<u32, Ref<T>>,
    depth: u32,
}

/// Objects nest (branches in branches); this bounds the recursion on corrupt input.
const MAX_DEPTH: u32 = 64;

impl<'a, T: Referable> ObjReader<'a, T> {
    /// A reader over the uncompressed object `data` of a key whose header is
    /// `key_len` bytes long (reference positions count from the key start).
    pub fn new(data: &'a [u8], key_len: u32) -> Self {
        ObjReader {
            b: RBuf::new(data),
            base: key_len,
            refs: HashMap::new(),
            depth: 0,
        }
    }

    fn map_pos(&self, pos: usize) -> u32 {
        (pos as u32)
            .wrapping_add(self.base)
            .wrapping_add(MAP_OFFSET)
    }

    /// Reads an object written through a pointer (`ReadObjectAny`). Returns
    /// `None` for a null pointer (or a reference that cannot be resolved).
    pub fn read_any(&mut self, dispatch: Dispatch<T>) -> Result<Option<T>> {
        let beg = self.b.pos();
        let word = self.b.u32()?;
        let (tag, start, end) = if word & BYTE_COUNT_MASK == 0 || word == NEW_CLASS_TAG {
            (word, None, None)
        } else {
            let start = self.b.pos();
            let end = start + (word & !BYTE_COUNT_MASK) as usize;
            if end > self.b.data().len() {
                return Err(Error::corrupt(format!(
                    "object at position {beg} claims {} bytes, beyond the buffer's end",
                    word & !BYTE_COUNT_MASK
                )));
            }
            (self.b.u32()?, Some(start), Some(end))
        };
        if tag & CLASS_MASK == 0 {
            // A reference to an object read before (or null).
            if tag == 0 {
                return Ok(None);
            }
            let found = match self.refs.get(&tag) {
                Some(Ref::Object(Some(o))) => o.reference(),
                _ => None,
            };
            if found.is_none() {
                if let Some(end) = end {
                    self.b.seek(end)?;
                }
            }
            return Ok(found);
        }
        let class = if tag == NEW_CLASS_TAG {
            let name = self.b.cstring()?;
            let key = match start {
                Some(s) => self.map_pos(s),
                None => self.refs.len() as u32 + 1,
            };
            self.refs.insert(key, Ref::Class(name.clone()));
            name
        } else {
            let r = tag & !CLASS_MASK;
            match self.refs.get(&r) {
                Some(Ref::Class(c)) => c.clone(),
                _ => {
                    return Err(Error::corrupt(format!(
                        "object at position {beg} refers to unknown class tag {r}"
                    )))
                }
            }
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::corrupt("objects nested too deeply"));
        }
        let obj = dispatch(self, &class);
        self.depth -= 1;
        let obj = obj?;
        if let Some(end) = end {
            if self.b.pos() > end {
                return Err(Error::corrupt(format!(
                    "{class} object at position {beg} was read past its end ({} > {end})",
                    self.b.pos()
                )));
            }
            self.b.seek(end)?;
        }
        let key = match start {
            Some(_) => self.map_pos(beg),
            None => self.refs.len() as u32 + 1,
        };
        self.refs.insert(key, Ref::Object(obj.reference()));
        Ok(Some(obj))
    }

    /// Reads a `TObjArray` member: its elements, `None` for null slots.
    pub fn obj_array(&mut self, dispatch: Dispatch<T>) -> Result<Vec<Option<T>>> {
        let h = self.b.version()?;
        if h.version > 2 {
            self.b.tobject()?;
        }
        if h.version > 1 {
            let _name = self.b.tstring()?;
        }
        let n = self.b.i32()?;
        let _lower_bound = self.b.i32()?;
        let n = self.checked_count(n, "TObjArray")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.read_any(dispatch)?);
        }
        if h.end.is_some() {
            self.b.skip_to_end(&h, "TObjArray")?;
        }
        Ok(out)
    }

    /// Reads a `TList` member: its elements, `None` for null entries.
    pub fn list(&mut self, dispatch: Dispatch<T>) -> Result<Vec<Option<T>>> {
        let h = self.b.version()?;
        if h.version > 3 {
            self.b.tobject()?;
        }
        let _name = self.b.tstring()?;
        let n = self.b.i32()?;
        let n = self.checked_count(n, "TList")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.read_any(dispatch)?);
            if h.version > 4 {
                // the option string of the list entry
                let nch = self.b.u8()?;
                let len = if nch == 255 {
                    let big = self.b.i32()?;
                    self.checked_count(big, "TList option")?
                } else {
                    nch as usize
                };
                self.b.skip(len)?;
            }
        }
        if h.end.is_some() {
            self.b.skip_to_end(&h, "TList")?;
        }
        Ok(out)
    }

    /// Validates a count read from the stream: not negative, and not more
    /// elements than bytes left (each element takes at least one byte).
    pub fn checked_count(&self, n: i32, what: &str) -> Result<usize> {
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.remaining())
            .ok_or_else(|| Error::corrupt(format!("impossible {what} length {n}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    enum Obj {
        Named(String),
        Other(String),
    }
    impl Referable for Obj {
        fn reference(&self) -> Option<Self> {
            Some(self.clone())
        }
    }
    fn dispatch(r: &mut ObjReader<'_, Obj>, class: &str) -> Result<Obj> {
        match class {
            "TNamed" => Ok(Obj::Named(r.b.tnamed()?.0)),
            c => Ok(Obj::Other(c.to_string())),
        }
    }

    /// Serialises a TNamed with byte count and version.
    fn tnamed(name: &str) -> Vec<u8> {
        let mut body = vec![0, 1]; // TNamed version 1
        body.extend([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // TObject v1, id, bits
        body.push(name.len() as u8);
        body.extend(name.as_bytes());
        body.push(0); // title
        let mut v = ((body.len() as u32) | BYTE_COUNT_MASK)
            .to_be_bytes()
            .to_vec();
        v.extend(body);
        v
    }

    #[test]
    fn new_class_then_class_reference_then_object_reference() {
        let mut buf = Vec::new();
        // object 1: new class TNamed
        let obj1_at = buf.len() as u32;
        let mut o = b"TNamed\0".to_vec();
        o.extend(tnamed("a"));
        let mut rec = ((o.len() as u32 + 4) | BYTE_COUNT_MASK)
            .to_be_bytes()
            .to_vec();
        rec.extend(NEW_CLASS_TAG.to_be_bytes());
        rec.extend(o);
        let class_at = obj1_at + 4; // position of the class tag
        buf.extend(rec);
        // object 2: same class by reference
        let body = tnamed("b");
        let mut rec = ((body.len() as u32 + 4) | BYTE_COUNT_MASK)
            .to_be_bytes()
            .to_vec();
        rec.extend((CLASS_MASK | (class_at + 10 + MAP_OFFSET)).to_be_bytes());
        rec.extend(body);
        buf.extend(rec);
        // reference to object 1, then a null pointer
        buf.extend((obj1_at + 10 + MAP_OFFSET).to_be_bytes());
        buf.extend(0u32.to_be_bytes());
        let mut r = ObjReader::<Obj>::new(&buf, 10);
        assert_eq!(r.read_any(dispatch).unwrap(), Some(Obj::Named("a".into())));
        assert_eq!(r.read_any(dispatch).unwrap(), Some(Obj::Named("b".into())));
        assert_eq!(r.read_any(dispatch).unwrap(), Some(Obj::Named("a".into())));
        assert_eq!(r.read_any(dispatch).unwrap(), None);
        assert_eq!(r.b.remaining(), 0);
    }

    #[test]
    fn unknown_class_reference_is_an_error() {
        let mut buf = (8u32 | BYTE_COUNT_MASK).to_be_bytes().to_vec();
        buf.extend((CLASS_MASK | 1234).to_be_bytes());
        buf.extend([0, 0, 0, 0]);
        let mut r = ObjReader::<Obj>::new(&buf, 0);
        assert!(r
            .read_any(dispatch)
            .unwrap_err()
            .to_string()
            .contains("unknown class"));
    }

    #[test]
    fn impossible_counts_are_rejected() {
        let r = ObjReader::<Obj>::new(&[0u8; 8], 0);
        assert!(r.checked_count(-1, "x").is_err());
        assert!(r.checked_count(9, "x").is_err());
        assert_eq!(r.checked_count(8, "x").unwrap(), 8);
    }
}
