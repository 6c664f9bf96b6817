//! Columnar arrays: the in-memory form of a branch read for a range of entries.
//!
//! A flat column holds one value per entry in a contiguous `Vec<T>`. A jagged
//! column (`Muon_pt[nMuon]`) holds all values of all entries contiguously, plus
//! `entries + 1` offsets: entry `i` owns `values[offsets[i]..offsets[i+1]]`.
//! This is the layout awkward-array and Arrow use, so whole-column loops are
//! tight and vectorisable.

use std::fmt;

/// The primitive element type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `Bool_t` (ROOT leaf code `O`).
    Bool,
    /// `Char_t` (`B`).
    I8,
    /// `UChar_t` (`b`).
    U8,
    /// `Short_t` (`S`).
    I16,
    /// `UShort_t` (`s`).
    U16,
    /// `Int_t` (`I`).
    I32,
    /// `UInt_t` (`i`).
    U32,
    /// `Long64_t` (`L`).
    I64,
    /// `ULong64_t` (`l`).
    U64,
    /// `Float_t` (`F`).
    F32,
    /// `Double_t` (`D`).
    F64,
}

impl DType {
    /// Size of one element in bytes (as stored in ROOT files and in memory).
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// The C++/ROOT type name (`Float_t`, `UInt_t`, ...).
    pub fn root_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool_t",
            DType::I8 => "Char_t",
            DType::U8 => "UChar_t",
            DType::I16 => "Short_t",
            DType::U16 => "UShort_t",
            DType::I32 => "Int_t",
            DType::U32 => "UInt_t",
            DType::I64 => "Long64_t",
            DType::U64 => "ULong64_t",
            DType::F32 => "Float_t",
            DType::F64 => "Double_t",
        }
    }

    /// The short name used in listings and JSON (`bool`, `int32`, `float32`, ...),
    /// the same as NumPy's.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::I16 => "int16",
            DType::U16 => "uint16",
            DType::I32 => "int32",
            DType::U32 => "uint32",
            DType::I64 => "int64",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// True for the integer and boolean types.
    pub fn is_integer(self) -> bool {
        !matches!(self, DType::F32 | DType::F64)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Typed, contiguous values of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// `bool` values.
    Bool(Vec<bool>),
    /// `i8` values.
    I8(Vec<i8>),
    /// `u8` values.
    U8(Vec<u8>),
    /// `i16` values.
    I16(Vec<i16>),
    /// `u16` values.
    U16(Vec<u16>),
    /// `i32` values.
    I32(Vec<i32>),
    /// `u32` values.
    U32(Vec<u32>),
    /// `i64` values.
    I64(Vec<i64>),
    /// `u64` values.
    U64(Vec<u64>),
    /// `f32` values.
    F32(Vec<f32>),
    /// `f64` values.
    F64(Vec<f64>),
}

/// Applies `$body` to the vector inside any [`Values`] variant.
#[macro_export]
macro_rules! with_values {
    ($values:expr, $v:ident => $body:expr) => {
        match $values {
            $crate::Values::Bool($v) => $body,
            $crate::Values::I8($v) => $body,
            $crate::Values::U8($v) => $body,
            $crate::Values::I16($v) => $body,
            $crate::Values::U16($v) => $body,
            $crate::Values::I32($v) => $body,
            $crate::Values::U32($v) => $body,
            $crate::Values::I64($v) => $body,
            $crate::Values::U64($v) => $body,
            $crate::Values::F32($v) => $body,
            $crate::Values::F64($v) => $body,
        }
    };
}

/// Conversion of any element type to `f64`, used for sums and generic access.
pub trait AsF64: Copy {
    /// The value as `f64` (booleans are 0 or 1).
    fn as_f64(self) -> f64;
}

macro_rules! impl_as_f64 {
    ($($t:ty),*) => { $(impl AsF64 for $t { #[inline] fn as_f64(self) -> f64 { self as f64 } })* };
}
impl_as_f64!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);
impl AsF64 for bool {
    #[inline]
    fn as_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}

impl Values {
    /// An empty vector of the given type with room for `capacity` elements.
    pub fn with_capacity(dtype: DType, capacity: usize) -> Values {
        match dtype {
            DType::Bool => Values::Bool(Vec::with_capacity(capacity)),
            DType::I8 => Values::I8(Vec::with_capacity(capacity)),
            DType::U8 => Values::U8(Vec::with_capacity(capacity)),
            DType::I16 => Values::I16(Vec::with_capacity(capacity)),
            DType::U16 => Values::U16(Vec::with_capacity(capacity)),
            DType::I32 => Values::I32(Vec::with_capacity(capacity)),
            DType::U32 => Values::U32(Vec::with_capacity(capacity)),
            DType::I64 => Values::I64(Vec::with_capacity(capacity)),
            DType::U64 => Values::U64(Vec::with_capacity(capacity)),
            DType::F32 => Values::F32(Vec::with_capacity(capacity)),
            DType::F64 => Values::F64(Vec::with_capacity(capacity)),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Values::Bool(_) => DType::Bool,
            Values::I8(_) => DType::I8,
            Values::U8(_) => DType::U8,
            Values::I16(_) => DType::I16,
            Values::U16(_) => DType::U16,
            Values::I32(_) => DType::I32,
            Values::U32(_) => DType::U32,
            Values::I64(_) => DType::I64,
            Values::U64(_) => DType::U64,
            Values::F32(_) => DType::F32,
            Values::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        with_values!(self, v => v.len())
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as `f64`, or `None` when out of range.
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        with_values!(self, v => v.get(i).map(|x| x.as_f64()))
    }

    /// Sum of all elements as `f64`, accumulated sequentially in element order.
    pub fn sum_f64(&self) -> f64 {
        with_values!(self, v => v.iter().fold(0.0f64, |acc, x| acc + x.as_f64()))
    }

    /// Exact integer sum for integer and boolean columns (`None` for floats).
    pub fn sum_i128(&self) -> Option<i128> {
        match self {
            Values::Bool(v) => Some(v.iter().filter(|&&b| b).count() as i128),
            Values::I8(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::U8(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::I16(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::U16(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::I32(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::U32(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::I64(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::U64(v) => Some(v.iter().map(|&x| x as i128).sum()),
            Values::F32(_) | Values::F64(_) => None,
        }
    }

    /// Appends all elements of `other`, which must have the same type.
    ///
    /// # Panics
    /// Panics if the types differ (a programming error, never a data error).
    pub fn extend_from(&mut self, other: &Values) {
        macro_rules! ext {
            ($($var:ident),*) => {
                match (self, other) {
                    $((Values::$var(a), Values::$var(b)) => a.extend_from_slice(b),)*
                    (a, b) => panic!("extend_from: type mismatch {} vs {}", a.dtype(), b.dtype()),
                }
            };
        }
        ext!(Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64)
    }

    /// A copy of elements `start..stop`.
    pub fn slice(&self, start: usize, stop: usize) -> Values {
        macro_rules! sl {
            ($($var:ident),*) => {
                match self { $(Values::$var(v) => Values::$var(v[start..stop].to_vec()),)* }
            };
        }
        sl!(Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64)
    }

    /// Bytes of memory used by the elements.
    pub fn nbytes(&self) -> usize {
        self.len() * self.dtype().size()
    }
}

/// One column: typed values and, for jagged columns, per-entry offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// All values, contiguous.
    pub values: Values,
    /// `None` for a flat column (one value per entry); for a jagged column,
    /// `entries + 1` non-decreasing offsets into `values`, starting at 0.
    pub offsets: Option<Vec<u32>>,
}

impl Column {
    /// A flat column.
    pub fn flat(values: Values) -> Column {
        Column {
            values,
            offsets: None,
        }
    }

    /// A jagged column; checks the offsets against the values.
    pub fn jagged(values: Values, offsets: Vec<u32>) -> Result<Column, String> {
        if offsets.first() != Some(&0) {
            return Err("jagged offsets must start at 0".into());
        }
        if offsets.windows(2).any(|w| w[1] < w[0]) {
            return Err("jagged offsets must be non-decreasing".into());
        }
        let last = *offsets.last().unwrap_or(&0) as usize;
        if last != values.len() {
            return Err(format!(
                "jagged offsets end at {last} but there are {} values",
                values.len()
            ));
        }
        Ok(Column {
            values,
            offsets: Some(offsets),
        })
    }

    /// A jagged column from per-entry value counts, given in consecutive
    /// slices (the offsets are their running sum, so they need no other
    /// check); the counts must add up to the number of values.
    pub fn from_counts<'a>(
        values: Values,
        counts: impl IntoIterator<Item = &'a [u32]> + Clone,
    ) -> Result<Column, String> {
        let entries: usize = counts.clone().into_iter().map(<[u32]>::len).sum();
        // a plain loop over a local running sum: captured by a closure, the
        // sum was kept in memory (the stores into `offsets` might alias it)
        let mut offsets = vec![0u32; entries + 1];
        let mut acc = 0u64;
        let mut i = 1;
        for c in counts {
            for (o, &c) in offsets[i..].iter_mut().zip(c) {
                acc += c as u64;
                *o = acc as u32;
            }
            i += c.len();
        }
        // offsets rise, so when the total fits every offset does
        if acc != values.len() as u64 || acc > u32::MAX as u64 {
            return Err(format!(
                "jagged counts add up to {acc} but there are {} values",
                values.len()
            ));
        }
        Ok(Column {
            values,
            offsets: Some(offsets),
        })
    }

    /// Number of entries (events).
    pub fn entries(&self) -> usize {
        match &self.offsets {
            Some(o) => o.len().saturating_sub(1),
            None => self.values.len(),
        }
    }

    /// True for jagged columns.
    pub fn is_jagged(&self) -> bool {
        self.offsets.is_some()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.values.dtype()
    }

    /// Per-entry counts of a jagged column (`None` for flat columns).
    pub fn counts(&self) -> Option<Vec<u32>> {
        self.offsets
            .as_ref()
            .map(|o| o.windows(2).map(|w| w[1] - w[0]).collect())
    }

    /// Memory used by values and offsets, in bytes.
    pub fn nbytes(&self) -> usize {
        self.values.nbytes() + self.offsets.as_ref().map_or(0, |o| o.len() * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jagged_checks_offsets() {
        let v = Values::F32(vec![1.0, 2.0, 3.0]);
        assert!(Column::jagged(v.clone(), vec![0, 2, 3]).is_ok());
        let c = Column::from_counts(v.clone(), [&[2u32][..], &[0, 1][..]]).unwrap();
        assert_eq!(c.offsets, Some(vec![0, 2, 2, 3]));
        assert!(Column::from_counts(v.clone(), [&[2u32, 2][..]]).is_err());
        assert!(Column::jagged(v.clone(), vec![1, 2, 3]).is_err());
        assert!(Column::jagged(v.clone(), vec![0, 2, 1, 3]).is_err());
        assert!(Column::jagged(v, vec![0, 2]).is_err());
    }

    #[test]
    fn sums_and_counts() {
        let c = Column::jagged(Values::Bool(vec![true, false, true]), vec![0, 0, 3]).unwrap();
        assert_eq!(c.entries(), 2);
        assert_eq!(c.counts().unwrap(), vec![0, 3]);
        assert_eq!(c.values.sum_i128(), Some(2));
        assert_eq!(c.values.sum_f64(), 2.0);
        let f = Column::flat(Values::U64(vec![u64::MAX, 1]));
        assert_eq!(f.values.sum_i128(), Some(u64::MAX as i128 + 1));
        assert_eq!(Values::F32(vec![0.5, 0.25]).sum_i128(), None);
    }

    #[test]
    fn extend_and_slice() {
        let mut a = Values::I16(vec![1, 2]);
        a.extend_from(&Values::I16(vec![3]));
        assert_eq!(a, Values::I16(vec![1, 2, 3]));
        assert_eq!(a.slice(1, 3), Values::I16(vec![2, 3]));
        assert_eq!(a.get_f64(2), Some(3.0));
        assert_eq!(a.get_f64(3), None);
    }
}
