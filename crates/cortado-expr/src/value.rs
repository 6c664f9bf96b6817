//! Runtime values: whole columns, never one event at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

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
pub fn compact<T: Copy>(v: &[T], mask: &[bool]) -> Vec<T> {
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

    /// Converts to another element type (numeric casts; `!= 0` to bool).
    pub fn cast(&self, to: Prim) -> Arr {
        if self.prim() == to {
            return self.clone();
        }
        match to {
            Prim::Bool => Arr::Bool((0..self.len()).map(|i| self.get_f64(i) != 0.0).collect()),
            Prim::Int => match self {
                Arr::Bool(v) => Arr::Int(v.iter().map(|&b| b as i64).collect()),
                Arr::F32(v) => Arr::Int(v.iter().map(|&x| x as i64).collect()),
                Arr::F64(v) => Arr::Int(v.iter().map(|&x| x as i64).collect()),
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
    pub fn from_values_owned(v: cortado_columns::Values) -> Arr {
        use cortado_columns::Values as V;
        match v {
            V::Bool(x) => Arr::Bool(x),
            V::I64(x) => Arr::Int(x),
            V::F32(x) => Arr::F32(x),
            V::F64(x) => Arr::F64(x),
            other => Arr::from_values(&other),
        }
    }

    /// From a column read from a file.
    pub fn from_values(v: &cortado_columns::Values) -> Arr {
        use cortado_columns::Values as V;
        match v {
            V::Bool(x) => Arr::Bool(x.clone()),
            V::I8(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U8(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I16(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U16(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I32(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::U32(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::I64(x) => Arr::Int(x.clone()),
            V::U64(x) => Arr::Int(x.iter().map(|&a| a as i64).collect()),
            V::F32(x) => Arr::F32(x.clone()),
            V::F64(x) => Arr::F64(x.clone()),
        }
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
                    other => other.f64() as i64,
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

/// Offsets from counts.
pub fn offsets_from_counts(counts: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let counts = counts.into_iter();
    let mut o = Vec::with_capacity(counts.size_hint().0 + 1);
    o.push(0u32);
    let mut acc = 0u32;
    for c in counts {
        acc += c;
        o.push(acc);
    }
    o
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

/// A collection at run time: per-event offsets and lazily computed fields.
pub struct CollVal {
    /// Offsets of the objects of each event.
    pub offsets: Offsets,
    src: CollSrc,
    cache: Mutex<HashMap<String, Arc<Arr>>>,
}

impl std::fmt::Debug for CollVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CollVal({} events, {} objects)",
            self.offsets.len() - 1,
            self.offsets.last().unwrap_or(&0)
        )
    }
}

enum CollSrc {
    /// A NanoAOD collection: field `f` is branch `prefix_f`.
    Base {
        prefix: String,
        raw: Arc<dyn RawData>,
    },
    /// Some objects of a parent collection, by flat index.
    Gather {
        parent: Arc<CollVal>,
        index: Arc<Vec<u32>>,
    },
    /// Several collections, event by event one after the other.
    Concat { parts: Vec<Arc<CollVal>> },
    /// A collection with extra (or replaced) fields.
    With {
        base: Arc<CollVal>,
        fields: BTreeMap<String, Arc<Arr>>,
    },
}

impl CollVal {
    /// A NanoAOD collection of the raw data.
    pub fn base(prefix: &str, raw: Arc<dyn RawData>, offsets: Offsets) -> CollVal {
        CollVal::new(
            offsets,
            CollSrc::Base {
                prefix: prefix.to_string(),
                raw,
            },
        )
    }

    fn new(offsets: Offsets, src: CollSrc) -> CollVal {
        CollVal {
            offsets,
            src,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Number of events.
    pub fn events(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        *self.offsets.last().unwrap_or(&0) as usize
    }

    /// True without objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of a field, one per object.
    pub fn field(&self, name: &str) -> Result<Arc<Arr>, String> {
        if let Some(a) = self.cache.lock().expect("cache lock").get(name) {
            return Ok(a.clone());
        }
        let a: Arc<Arr> = match &self.src {
            CollSrc::Base { prefix, raw } => raw.jagged(&format!("{prefix}_{name}"))?.0,
            CollSrc::Gather { parent, index } => Arc::new(parent.field(name)?.gather(index)),
            CollSrc::Concat { parts } => {
                let cols = parts
                    .iter()
                    .map(|p| p.field(name))
                    .collect::<Result<Vec<_>, _>>()?;
                Arc::new(interleave(&cols, parts))
            }
            CollSrc::With { base, fields } => match fields.get(name) {
                Some(a) => a.clone(),
                None => base.field(name)?,
            },
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(name.to_string(), a.clone());
        Ok(a)
    }

    /// The objects at flat indices `index`, grouped by `offsets`.
    pub fn gather(self: &Arc<Self>, index: Vec<u32>, offsets: Vec<u32>) -> CollVal {
        CollVal::new(
            Arc::new(offsets),
            CollSrc::Gather {
                parent: self.clone(),
                index: Arc::new(index),
            },
        )
    }

    /// The objects where `mask` (one per object) is true.
    pub fn select(self: &Arc<Self>, mask: &[bool]) -> CollVal {
        let mut index = Vec::new();
        let mut offsets = Vec::with_capacity(self.offsets.len());
        offsets.push(0u32);
        for w in self.offsets.windows(2) {
            for i in w[0]..w[1] {
                if mask[i as usize] {
                    index.push(i);
                }
            }
            offsets.push(index.len() as u32);
        }
        self.gather(index, offsets)
    }

    /// The objects of the events where `mask` (one per event) is true.
    pub fn filter_events(self: &Arc<Self>, mask: &[bool]) -> CollVal {
        let mut index = Vec::with_capacity(self.len());
        let mut offsets = Vec::with_capacity(mask.len() + 1);
        offsets.push(0u32);
        for (w, &m) in self.offsets.windows(2).zip(mask) {
            if m {
                index.extend(w[0]..w[1]);
                offsets.push(index.len() as u32);
            }
        }
        self.gather(index, offsets)
    }

    /// Event by event, the objects of every part.
    pub fn concat(parts: Vec<Arc<CollVal>>) -> CollVal {
        let n = parts[0].events();
        let offsets = offsets_from_counts(
            (0..n).map(|e| parts.iter().map(|p| p.offsets[e + 1] - p.offsets[e]).sum()),
        );
        CollVal::new(Arc::new(offsets), CollSrc::Concat { parts })
    }

    /// This collection with extra fields.
    pub fn with_fields(self: &Arc<Self>, fields: BTreeMap<String, Arc<Arr>>) -> CollVal {
        CollVal::new(
            self.offsets.clone(),
            CollSrc::With {
                base: self.clone(),
                fields,
            },
        )
    }
}

fn interleave(cols: &[Arc<Arr>], parts: &[Arc<CollVal>]) -> Arr {
    let n = parts[0].events();
    macro_rules! go {
        ($var:ident) => {{
            let mut out = Vec::new();
            for e in 0..n {
                for (c, p) in cols.iter().zip(parts) {
                    let Arr::$var(v) = &**c else { unreachable!() };
                    out.extend_from_slice(&v[p.offsets[e] as usize..p.offsets[e + 1] as usize]);
                }
            }
            Arr::$var(out)
        }};
    }
    // Parts of different float widths are widened to the wider type first.
    let widest = cols.iter().map(|c| c.prim()).max().unwrap_or(Prim::F64);
    if cols.iter().any(|c| c.prim() != widest) {
        let cast: Vec<Arc<Arr>> = cols.iter().map(|c| Arc::new(c.cast(widest))).collect();
        return interleave(&cast, parts);
    }
    match widest {
        Prim::Bool => go!(Bool),
        Prim::Int => go!(Int),
        Prim::F32 => go!(F32),
        Prim::F64 => go!(F64),
    }
}

/// A per-event record at run time.
#[derive(Clone, Debug)]
pub enum RecVal {
    /// Fields are the branches `prefix_field` of the current events.
    Branches(String),
    /// Computed fields (each one value, or optional value, per event).
    Fields(BTreeMap<String, Val>),
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
                let mut obj_mask = Vec::with_capacity(a.len());
                for (w, &m) in off.windows(2).zip(mask) {
                    obj_mask.extend(std::iter::repeat_n(m, (w[1] - w[0]) as usize));
                }
                let counts: Vec<u32> = off.windows(2).map(|w| w[1] - w[0]).collect();
                Val::Obj(
                    Arc::new(a.filter(&obj_mask)),
                    Arc::new(offsets_from_counts(compact(&counts, mask))),
                )
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
            },
            Val::Lit(_) | Val::Str(_) | Val::List(_) => self.clone(),
        }
    }
}

/// A column converted for evaluation: values and, when jagged, offsets.
type Converted = (Arc<Arr>, Option<Offsets>);

/// Raw data held as columns read from a file (branch name → column).
pub struct ColumnData {
    n: usize,
    /// Columns not converted yet (each is moved out on first use).
    columns: Mutex<HashMap<String, cortado_columns::Column>>,
    converted: Mutex<HashMap<String, Converted>>,
}

impl ColumnData {
    /// Wraps columns of `n` events.
    pub fn new(
        n: usize,
        columns: std::collections::HashMap<String, cortado_columns::Column>,
    ) -> ColumnData {
        ColumnData {
            n,
            columns: Mutex::new(columns.into_iter().collect()),
            converted: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, name: &str) -> Result<(Arc<Arr>, Option<Offsets>), String> {
        let mut converted = self.converted.lock().map_err(|_| poisoned())?;
        if let Some(v) = converted.get(name) {
            return Ok(v.clone());
        }
        let c = self
            .columns
            .lock()
            .map_err(|_| poisoned())?
            .remove(name)
            .ok_or_else(|| format!("branch '{name}' was not read (internal planning error)"))?;
        let v = (
            Arc::new(Arr::from_values_owned(c.values)),
            c.offsets.map(Arc::new),
        );
        converted.insert(name.to_string(), v.clone());
        Ok(v)
    }
}

fn poisoned() -> String {
    "internal error: a thread panicked while holding the column cache".to_string()
}

impl RawData for ColumnData {
    fn len(&self) -> usize {
        self.n
    }

    fn flat(&self, name: &str) -> Result<Arc<Arr>, String> {
        match self.get(name)? {
            (a, None) => Ok(a),
            (_, Some(_)) => Err(format!(
                "branch '{name}' is jagged, a flat branch was expected"
            )),
        }
    }

    fn jagged(&self, name: &str) -> Result<(Arc<Arr>, Offsets), String> {
        match self.get(name)? {
            (a, Some(o)) => Ok((a, o)),
            (_, None) => Err(format!(
                "branch '{name}' is flat, a jagged branch was expected"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Raw;
    impl RawData for Raw {
        fn len(&self) -> usize {
            3
        }
        fn flat(&self, _: &str) -> Result<Arc<Arr>, String> {
            Err("no".into())
        }
        fn jagged(&self, name: &str) -> Result<(Arc<Arr>, Offsets), String> {
            match name {
                "Muon_pt" => Ok((
                    Arc::new(Arr::F32(vec![10.0, 20.0, 30.0, 40.0])),
                    Arc::new(vec![0, 2, 2, 4]),
                )),
                _ => Err(format!("no {name}")),
            }
        }
    }

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
    fn collections_select_gather_concat() {
        let raw: Arc<dyn RawData> = Arc::new(Raw);
        let m = Arc::new(CollVal::base("Muon", raw, Arc::new(vec![0, 2, 2, 4])));
        let good = Arc::new(m.select(&[false, true, true, true]));
        assert_eq!(*good.offsets, vec![0, 1, 1, 3]);
        assert_eq!(*good.field("pt").unwrap(), Arr::F32(vec![20.0, 30.0, 40.0]));
        let both = CollVal::concat(vec![good.clone(), m.clone()]);
        assert_eq!(*both.offsets, vec![0, 3, 3, 7]);
        assert_eq!(
            *both.field("pt").unwrap(),
            Arr::F32(vec![20.0, 10.0, 20.0, 30.0, 40.0, 30.0, 40.0])
        );
        let kept = Arc::new(good.filter_events(&[true, false, true]));
        assert_eq!(*kept.offsets, vec![0, 1, 3]);
        assert_eq!(*kept.field("pt").unwrap(), Arr::F32(vec![20.0, 30.0, 40.0]));
        assert!(kept.field("eta").is_err());
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
