//! Runtime values: whole columns, never one event at a time.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::types::Prim;

/// A column of values of one element type.
#[derive(Clone, Debug, PartialEq)]
pub enum Arr {
    /// Booleans.
    Bool(Vec<bool>),
    /// Integers.
    Int(Vec<i64>),
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
}

/// The elements of `v` where `mask` is true. Branch-free (a selection keeps
/// events in no predictable pattern): every element is copied, and the write
/// position advances only past the kept ones.
///
/// An internal kernel: `mask` has one flag per element (the values it is
/// used on are checked where they enter the engine: [`Val::check`]); a
/// shorter or longer mask is a bug, caught by a debug assertion.
pub fn compact<T: Copy>(v: &[T], mask: &[bool]) -> Vec<T> {
    debug_assert_eq!(v.len(), mask.len(), "compact: one flag per value");
    let n = v.len().min(mask.len());
    let mut out = v[..n].to_vec();
    let mut k = 0;
    for i in 0..n {
        out[k] = v[i];
        k += usize::from(mask[i]);
    }
    out.truncate(k);
    out
}

/// A float converted to an integer as NumPy's `astype(np.int64)` does on
/// x86-64: truncated toward zero when the result fits in `i64`; NaN, ±inf
/// and values outside `i64`'s range give `i64::MIN` (-2^63), where Rust's
/// `as` would give 0 for NaN and saturate the others.
pub fn float_to_int(x: f64) -> i64 {
    // 2^63 is exact in f64; NaN fails both comparisons
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}

/// Applies `$body` to the vector inside any [`Arr`].
#[macro_export]
macro_rules! with_arr {
    ($a:expr, $v:ident => $body:expr) => {
        match $a {
            $crate::value::Arr::Bool($v) => $body,
            $crate::value::Arr::Int($v) => $body,
            $crate::value::Arr::F32($v) => $body,
            $crate::value::Arr::F64($v) => $body,
        }
    };
}

macro_rules! map_arr {
    ($a:expr, $v:ident => $body:expr) => {
        match $a {
            Arr::Bool($v) => Arr::Bool($body),
            Arr::Int($v) => Arr::Int($body),
            Arr::F32($v) => Arr::F32($body),
            Arr::F64($v) => Arr::F64($body),
        }
    };
}

impl Arr {
    /// Number of values.
    pub fn len(&self) -> usize {
        with_arr!(self, v => v.len())
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn prim(&self) -> Prim {
        match self {
            Arr::Bool(_) => Prim::Bool,
            Arr::Int(_) => Prim::Int,
            Arr::F32(_) => Prim::F32,
            Arr::F64(_) => Prim::F64,
        }
    }

    /// The values where `mask` is true.
    pub fn filter(&self, mask: &[bool]) -> Arr {
        map_arr!(self, v => compact(v, mask))
    }

    /// The values at `idx`.
    pub fn gather(&self, idx: &[u32]) -> Arr {
        map_arr!(self, v => idx.iter().map(|&i| v[i as usize]).collect())
    }

    /// Repeats value `i` `offsets[i+1]-offsets[i]` times (event → objects).
    pub fn broadcast(&self, offsets: &[u32]) -> Arr {
        map_arr!(self, v => {
            let mut out = Vec::with_capacity(*offsets.last().unwrap_or(&0) as usize);
            for (i, w) in offsets.windows(2).enumerate() {
                for _ in w[0]..w[1] {
                    out.push(v[i]);
                }
            }
            out
        })
    }

    /// Value `i` as `f64`.
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            Arr::Bool(v) => v[i] as u8 as f64,
            Arr::Int(v) => v[i] as f64,
            Arr::F32(v) => v[i] as f64,
            Arr::F64(v) => v[i],
        }
    }

    /// Converts to another element type (numeric casts; `!= 0` to bool;
    /// floats to integers as [`float_to_int`], NumPy's `astype(int64)`).
    pub fn cast(&self, to: Prim) -> Arr {
        if self.prim() == to {
            return self.clone();
        }
        match to {
            Prim::Bool => Arr::Bool((0..self.len()).map(|i| self.get_f64(i) != 0.0).collect()),
            Prim::Int => match self {
                Arr::Bool(v) => Arr::Int(v.iter().map(|&b| b as i64).collect()),
                Arr::F32(v) => Arr::Int(v.iter().map(|&x| float_to_int(x as f64)).collect()),
                Arr::F64(v) => Arr::Int(v.iter().map(|&x| float_to_int(x)).collect()),
                Arr::Int(_) => unreachable!(),
            },
            Prim::F32 => match self {
                Arr::Bool(v) => Arr::F32(v.iter().map(|&b| b as u8 as f32).collect()),
                Arr::Int(v) => Arr::F32(v.iter().map(|&x| x as f32).collect()),
                Arr::F64(v) => Arr::F32(v.iter().map(|&x| x as f32).collect()),
                Arr::F32(_) => unreachable!(),
            },
            Prim::F64 => Arr::F64((0..self.len()).map(|i| self.get_f64(i)).collect()),
        }
    }

    /// From a column read from a file, taking its storage where the types agree.
    /// Fails as [`Arr::from_values`] does.
    pub fn from_values_owned(v: cortado_columns::Values) -> Result<Arr, String> {
        use cortado_columns::Values as V;
        Ok(match v {
            V::Bool(x) => Arr::Bool(x),
            V::I64(x) => Arr::Int(x),
            V::F32(x) => Arr::F32(x),
            V::F64(x) => Arr::F64(x),
            other => Arr::from_values(&other)?,
        })
    }

    /// From a column read from a file. Integers of every width become
    /// `i64`; a `ULong64_t` (`u64`) value above `i64::MAX` (2^63 - 1) is
    /// refused with an error giving the value, rather than wrapped to a
    /// negative number (NanoAOD's `event` numbers stay far below it).
    pub fn from_values(v: &cortado_columns::Values) -> Result<Arr, String> {
        use cortado_columns::Values as V;
        Ok(match v {
            V::Bool(x) => Arr::Bool(x.clone()),
            V::I8(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U8(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I16(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U16(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I32(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U32(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I64(x) => Arr::Int(x.clone()),
            V::U64(x) => {
                // one pass without branches; the position only on failure
                if x.iter().fold(0u64, |acc, &a| acc | a) > i64::MAX as u64 {
                    let (i, big) = x
                        .iter()
                        .enumerate()
                        .find(|(_, &a)| a > i64::MAX as u64)
                        .map_or((0, 0), |(i, &a)| (i, a));
                    return Err(format!(
                        "value {i} is {big}, above the largest integer cortado holds \
                         ({}, the largest int64)",
                        i64::MAX
                    ));
                }
                Arr::Int(x.iter().map(|&a| a as i64).collect())
            }
            V::F32(x) => Arr::F32(x.clone()),
            V::F64(x) => Arr::F64(x.clone()),
        })
    }

    /// The boolean values (panics on other types: a checked program never does that).
    pub fn bools(&self) -> &[bool] {
        match self {
            Arr::Bool(v) => v,
            _ => panic!(
                "internal error: expected booleans, found {}",
                self.prim().name()
            ),
        }
    }
}

/// A constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lit {
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float (Python float: 64-bit).
    F64(f64),
}

impl Lit {
    /// As `f64`.
    pub fn f64(self) -> f64 {
        match self {
            Lit::Bool(b) => b as u8 as f64,
            Lit::Int(i) => i as f64,
            Lit::F64(f) => f,
        }
    }

    /// The constant's element type.
    pub fn prim(self) -> Prim {
        match self {
            Lit::Bool(_) => Prim::Bool,
            Lit::Int(_) => Prim::Int,
            Lit::F64(_) => Prim::F64,
        }
    }

    /// A column of `n` copies, in element type `p`.
    pub fn splat(self, p: Prim, n: usize) -> Arr {
        match p {
            Prim::Bool => Arr::Bool(vec![self.f64() != 0.0; n]),
            Prim::Int => Arr::Int(vec![
                match self {
                    Lit::Int(i) => i,
                    other => float_to_int(other.f64()),
                };
                n
            ]),
            Prim::F32 => Arr::F32(vec![self.f64() as f32; n]),
            Prim::F64 => Arr::F64(vec![self.f64(); n]),
        }
    }
}

/// Per-event object counts as offsets (`n + 1` values starting at 0).
pub type Offsets = Arc<Vec<u32>>;

/// Offsets (running sums) from per-event counts; an error when the total
/// passes `u32::MAX`, the most objects a column holds (never wrapped).
pub fn offsets_from_counts(counts: impl IntoIterator<Item = u32>) -> Result<Vec<u32>, String> {
    let counts = counts.into_iter();
    let mut o = Vec::with_capacity(counts.size_hint().0 + 1);
    o.push(0u32);
    let mut acc = 0u32;
    for c in counts {
        acc = acc.checked_add(c).ok_or_else(|| {
            format!(
                "more than {} objects in one chunk: the counts are impossible",
                u32::MAX
            )
        })?;
        o.push(acc);
    }
    Ok(o)
}

/// The offsets of a collection from its counter branch `name` (one count
/// per event): an error naming the counter and the event (counted from the
/// first event of the chunk's batch) for a negative count or a total above
/// `u32::MAX`, where a cast would wrap.
pub fn offsets_from_counter(name: &str, counts: &Arr) -> Result<Vec<u32>, String> {
    let bad = |i: usize, what: String| {
        format!(
            "counter branch '{name}': event {i} of the batch has {what}, not a number of objects"
        )
    };
    let n = counts.len();
    let mut o = Vec::with_capacity(n + 1);
    o.push(0u32);
    let mut acc = 0u64;
    for i in 0..n {
        let c = match counts {
            Arr::Int(v) => v[i],
            Arr::Bool(v) => v[i] as i64,
            // (a counter is an integer branch; a float one counts if whole)
            a => {
                let x = a.get_f64(i);
                if x.fract() != 0.0 || !x.is_finite() {
                    return Err(bad(i, format!("count {x}")));
                }
                float_to_int(x)
            }
        };
        let c = u32::try_from(c).map_err(|_| bad(i, format!("count {c}")))?;
        acc += c as u64;
        if acc > u32::MAX as u64 {
            return Err(bad(i, format!("a running total of {acc} objects")));
        }
        o.push(acc as u32);
    }
    Ok(o)
}

/// Where the raw input of a chunk comes from: event-level branches and jagged branches.
pub trait RawData: Send + Sync {
    /// Number of events.
    fn len(&self) -> usize;
    /// True when there are no events.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// An event-level branch.
    fn flat(&self, name: &str) -> Result<Arc<Arr>, String>;
    /// A jagged branch: values and offsets.
    fn jagged(&self, name: &str) -> Result<(Arc<Arr>, Offsets), String>;
}

/// A per-event record at run time.
#[derive(Clone, Debug)]
pub enum RecVal {
    /// Fields are the branches `prefix_field` of the current events.
    Branches(String),
    /// Computed fields (each one value, or optional value, per event).
    Fields(BTreeMap<String, Val>),
    /// The branches `prefix_field`, some of them replaced by computed values
    /// (one per event): a calibrated MET's pt and phi.
    Over(String, BTreeMap<String, Val>),
}

/// A value at run time.
#[derive(Clone, Debug)]
pub enum Val {
    /// A constant.
    Lit(Lit),
    /// A string constant.
    Str(String),
    /// A list of constants.
    List(Vec<Val>),
    /// One value per event.
    Event(Arc<Arr>),
    /// One value per event, with validity.
    Opt(Arc<Arr>, Arc<Vec<bool>>),
    /// One value per object.
    Obj(Arc<Arr>, Offsets),
    /// A collection.
    Coll(Arc<CollVal>),
    /// At most one object per event: the index within the event.
    OptObj(Arc<CollVal>, Arc<Vec<Option<u32>>>),
    /// A record.
    Rec(Arc<RecVal>),
}

impl Val {
    /// Keeps the events where `mask` is true (for values attached to events).
    pub fn filter_events(&self, mask: &[bool]) -> Val {
        match self {
            Val::Event(a) => Val::Event(Arc::new(a.filter(mask))),
            Val::Opt(a, v) => Val::Opt(Arc::new(a.filter(mask)), Arc::new(compact(v, mask))),
            Val::Obj(a, off) => {
                debug_assert_eq!(off.len(), mask.len() + 1, "one flag per event");
                let mut obj_mask = Vec::with_capacity(a.len());
                let mut kept = Vec::with_capacity(off.len());
                kept.push(0u32);
                for (w, &m) in off.windows(2).zip(mask) {
                    obj_mask.extend(std::iter::repeat_n(m, (w[1] - w[0]) as usize));
                    if m {
                        // a subset of the objects: the total stays below off's last
                        kept.push(kept[kept.len() - 1] + (w[1] - w[0]));
                    }
                }
                Val::Obj(Arc::new(a.filter(&obj_mask)), Arc::new(kept))
            }
            Val::Coll(c) => Val::Coll(Arc::new(c.filter_events(mask))),
            Val::OptObj(c, idx) => Val::OptObj(
                Arc::new(c.filter_events(mask)),
                Arc::new(compact(idx, mask)),
            ),
            Val::Rec(r) => match &**r {
                RecVal::Branches(_) => self.clone(),
                RecVal::Fields(f) => Val::Rec(Arc::new(RecVal::Fields(
                    f.iter()
                        .map(|(k, v)| (k.clone(), v.filter_events(mask)))
                        .collect(),
                ))),
                RecVal::Over(p, f) => Val::Rec(Arc::new(RecVal::Over(
                    p.clone(),
                    f.iter()
                        .map(|(k, v)| (k.clone(), v.filter_events(mask)))
                        .collect(),
                ))),
            },
            Val::Lit(_) | Val::Str(_) | Val::List(_) => self.clone(),
        }
    }
}

pub use crate::coll::CollVal;
pub use crate::column_data::ColumnData;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_masked_values_in_order() {
        assert_eq!(
            compact(&[1, 2, 3, 4], &[true, false, false, true]),
            vec![1, 4]
        );
        assert_eq!(compact(&[1.5f32], &[false]), Vec::<f32>::new());
        assert_eq!(compact::<i64>(&[], &[]), Vec::<i64>::new());
        assert_eq!(compact(&[7, 8, 9], &[true, true, true]), vec![7, 8, 9]);
    }

    #[test]
    fn floats_become_integers_as_in_numpy() {
        let two63 = 9_223_372_036_854_775_808.0f64;
        let cases = [
            (0.0, 0),
            (-0.0, 0),
            (1.9, 1),
            (-1.9, -1),
            (9_223_372_036_854_774_784.0, 9_223_372_036_854_774_784), // largest below 2^63
            (two63, i64::MIN),                                        // max + 1
            (-two63, i64::MIN),                                       // exactly i64::MIN
            (-1e19, i64::MIN),
            (1e300, i64::MIN),
            (f64::NAN, i64::MIN),
            (f64::INFINITY, i64::MIN),
            (f64::NEG_INFINITY, i64::MIN),
        ];
        for (x, want) in cases {
            assert_eq!(float_to_int(x), want, "{x}");
        }
        let xs: Vec<f64> = cases.iter().map(|c| c.0).collect();
        let want: Vec<i64> = cases.iter().map(|c| c.1).collect();
        assert_eq!(Arr::F64(xs).cast(Prim::Int), Arr::Int(want));
        assert_eq!(
            Arr::F32(vec![f32::NAN, 2.5, -f32::INFINITY, 1e19]).cast(Prim::Int),
            Arr::Int(vec![i64::MIN, 2, i64::MIN, i64::MIN])
        );
        assert_eq!(
            Lit::F64(f64::NAN).splat(Prim::Int, 1),
            Arr::Int(vec![i64::MIN])
        );
    }

    #[test]
    fn offsets_are_checked_not_wrapped() {
        assert_eq!(offsets_from_counts([2, 0, 3]).unwrap(), vec![0, 2, 2, 5]);
        assert_eq!(offsets_from_counts([]).unwrap(), vec![0]);
        assert_eq!(
            offsets_from_counts([u32::MAX, 0]).unwrap(),
            vec![0, u32::MAX, u32::MAX]
        );
        assert!(offsets_from_counts([u32::MAX, 1]).is_err());
        let c = |v: Vec<i64>| offsets_from_counter("nX", &Arr::Int(v));
        assert_eq!(c(vec![0, 2]).unwrap(), vec![0, 0, 2]);
        assert_eq!(c(vec![u32::MAX as i64]).unwrap(), vec![0, u32::MAX]);
        let e = c(vec![1, -1]).unwrap_err();
        assert_eq!(
            e,
            "counter branch 'nX': event 1 of the batch has count -1, not a number of objects"
        );
        assert!(c(vec![u32::MAX as i64 + 1]).is_err());
        assert!(c(vec![i64::MIN]).is_err());
        assert!(c(vec![u32::MAX as i64, 1])
            .unwrap_err()
            .contains("running total of 4294967296"));
        let f = |v: Vec<f64>| offsets_from_counter("nX", &Arr::F64(v));
        assert_eq!(f(vec![1.0, 2.0]).unwrap(), vec![0, 1, 3]);
        for bad in [f64::NAN, f64::INFINITY, -1.0, 0.5, 1e10] {
            assert!(f(vec![bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn ulong64_values_above_int64_are_refused() {
        use cortado_columns::Values as V;
        let max = i64::MAX as u64;
        assert_eq!(
            Arr::from_values(&V::U64(vec![0, max])).unwrap(),
            Arr::Int(vec![0, i64::MAX])
        );
        let e = Arr::from_values_owned(V::U64(vec![0, max + 1])).unwrap_err();
        assert!(e.contains("value 1 is 9223372036854775808"), "{e}");
        assert!(Arr::from_values(&V::U64(vec![u64::MAX])).is_err());
    }

    #[test]
    fn arrays() {
        let a = Arr::Int(vec![1, 2, 3]);
        assert_eq!(a.broadcast(&[0, 2, 2, 3]), Arr::Int(vec![1, 1, 3]));
        assert_eq!(a.filter(&[true, false, true]), Arr::Int(vec![1, 3]));
        assert_eq!(a.cast(Prim::F32), Arr::F32(vec![1.0, 2.0, 3.0]));
        let o = Val::Obj(
            Arc::new(Arr::Int(vec![1, 2, 3, 4])),
            Arc::new(vec![0, 1, 3, 4]),
        );
        let Val::Obj(v, off) = o.filter_events(&[false, true, true]) else {
            panic!()
        };
        assert_eq!((*v).clone(), Arr::Int(vec![2, 3, 4]));
        assert_eq!(*off, vec![0, 2, 3]);
    }
}
