//! Columnar reads: the values of some branches for a range of entries.
//!
//! Only the baskets of the requested branches that overlap the range are read.
//! Reading, decompressing and decoding run in parallel over baskets (on the
//! current rayon pool); the pieces are then joined in basket order, so the
//! result does not depend on the number of threads.

use std::collections::HashMap;
use std::ops::Range;

use cortado_columns::{Column, DType, Values};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::tree::basket::{self, EntrySpan, RawBasket};
use crate::tree::model::Branch;
use crate::tree::Tree;

/// What one basket contributes to a column: the uncompressed basket and the
/// part of it that holds the wanted entries (converted to values only when
/// the column is assembled, straight into its buffer).
struct Piece {
    raw: RawBasket,
    /// The wanted entries, counted from the basket's first.
    entries: Range<usize>,
    /// The wanted entries' bytes in the content.
    bytes: Range<usize>,
    /// Values per entry, for jagged (or fixed-size array) branches, where
    /// known; jagged branches whose counter is read too take them from it.
    counts: Option<Vec<u32>>,
}

/// The tasks of one column and what they produced.
type ColumnWork<'a, 't> = (&'a [Task<'t>], Vec<Result<Piece>>);

/// One unit of parallel work: a basket of a branch, and the part of it needed.
struct Task<'t> {
    column: usize,
    branch: &'t Branch,
    dtype: DType,
    /// Index into `branch.baskets` (on disk) or `branch.embedded`.
    source: BasketRef,
    basket_start: u64,
    basket_stop: u64,
    want: Range<u64>,
}

#[derive(Clone, Copy)]
enum BasketRef {
    Disk(usize),
    Embedded(usize),
}

/// Shape of a readable branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchShape {
    /// Element type.
    pub dtype: DType,
    /// Values per entry (flat) or per counted item (jagged).
    pub len: usize,
    /// Whether the number of items per entry varies (leaf-count array).
    pub jagged: bool,
}

impl Tree {
    /// The shape of a branch if it can be read into a column, or why not.
    pub fn shape(&self, b: &Branch) -> Result<BranchShape> {
        if b.class_name != "TBranch" {
            return Err(Error::unsupported(format!(
                "{} branches (objects) cannot be read as columns",
                b.class_name
            ))
            .in_branch(&b.name));
        }
        let [leaf] = b.leaves.as_slice() else {
            return Err(Error::unsupported(format!(
                "branch has {} leaves; only single-leaf branches (as in NanoAOD) can be read",
                b.leaves.len()
            ))
            .in_branch(&b.name));
        };
        let dtype = leaf.dtype().ok_or_else(|| {
            Error::unsupported(format!(
                "leaves of class {} are not plain numbers",
                leaf.class_name
            ))
            .in_branch(&b.name)
        })?;
        Ok(BranchShape {
            dtype,
            len: leaf.len,
            jagged: leaf.count_leaf.is_some(),
        })
    }

    /// Reads branches `names` for entries `range`, one column per name.
    pub fn read(&self, names: &[&str], range: Range<u64>) -> Result<Vec<Column>> {
        self.read_inner(names, range).map_err(|e| {
            e.in_object(format!("TTree {}", self.name()))
                .in_file(self.location())
        })
    }

    /// Reads whole branches.
    pub fn read_all(&self, names: &[&str]) -> Result<Vec<Column>> {
        self.read(names, 0..self.entries())
    }

    fn read_inner(&self, names: &[&str], range: Range<u64>) -> Result<Vec<Column>> {
        if range.start > range.end || range.end > self.entries() {
            return Err(Error::corrupt(format!(
                "entry range {}..{} is outside the tree's {} entries",
                range.start,
                range.end,
                self.entries()
            )));
        }
        let mut branches = Vec::with_capacity(names.len());
        for &n in names {
            let b = self
                .branch(n)
                .ok_or_else(|| Error::not_found(format!("no branch '{n}'")))?;
            let shape = self.shape(b)?;
            if shape.jagged && self.count_branch(b).is_none() {
                return Err(Error::corrupt(
                    "the counter leaf of this jagged branch is not in the tree",
                )
                .in_branch(n));
            }
            branches.push((b, shape));
        }
        let mut tasks = Vec::new();
        for (column, &(b, shape)) in branches.iter().enumerate() {
            let overlaps = |s: u64, e: u64| s < range.end && e > range.start;
            for (i, k) in b.baskets.iter().enumerate() {
                if overlaps(k.entry_start, k.entry_stop) {
                    tasks.push(Task {
                        column,
                        branch: b,
                        dtype: shape.dtype,
                        source: BasketRef::Disk(i),
                        basket_start: k.entry_start,
                        basket_stop: k.entry_stop,
                        want: range.start.max(k.entry_start)..range.end.min(k.entry_stop),
                    });
                }
            }
            for (i, e) in b.embedded.iter().enumerate() {
                let stop = e.entry_start + e.entries as u64;
                if overlaps(e.entry_start, stop) {
                    tasks.push(Task {
                        column,
                        branch: b,
                        dtype: shape.dtype,
                        source: BasketRef::Embedded(i),
                        basket_start: e.entry_start,
                        basket_stop: stop,
                        want: range.start.max(e.entry_start)..range.end.min(stop),
                    });
                }
            }
        }
        tasks.sort_by_key(|t| (t.column, t.want.start));
        let fetched = self.fetch(&tasks)?;
        let mut pieces: Vec<Result<Piece>> = tasks
            .par_iter()
            .zip(fetched.into_par_iter())
            .map(|(t, bytes)| self.run_task(t, &branches[t.column].1, bytes))
            .collect();
        // Tasks are sorted by column: split them (and their pieces) per column.
        let mut per_column: Vec<ColumnWork<'_, '_>> = Vec::new();
        let mut rest: &[Task<'_>] = &tasks;
        for column in 0..branches.len() {
            let n = rest.iter().take_while(|t| t.column == column).count();
            let (mine, others) = rest.split_at(n);
            let tail = pieces.split_off(n);
            per_column.push((mine, std::mem::replace(&mut pieces, tail)));
            rest = others;
        }
        // Flat columns first: the counters among them give the offsets of
        // the jagged columns they count (computed once, not per branch).
        let entries = range.end - range.start;
        let check = |col: Result<Column>, b: &Branch| {
            col.and_then(|col| {
                if col.entries() as u64 != entries {
                    return Err(Error::corrupt(format!(
                        "read {} entries where {entries} were expected",
                        col.entries()
                    )));
                }
                Ok(col)
            })
            .map_err(|e| e.in_branch(&b.name))
        };
        // for each jagged column, its counter's column in this read, if any
        let counter_of: Vec<Option<usize>> = branches
            .iter()
            .map(|&(b, shape)| {
                let c = self
                    .count_branch(b)
                    .filter(|_| shape.jagged && shape.len == 1)?;
                branches.iter().position(|(x, _)| std::ptr::eq(*x, c))
            })
            .collect();
        let mut slots: Vec<Option<ColumnWork<'_, '_>>> = per_column.into_iter().map(Some).collect();
        let mut round = |jagged: bool, offsets: &HashMap<usize, Vec<u32>>| {
            let ids: Vec<usize> = (0..branches.len())
                .filter(|&i| branches[i].1.jagged == jagged)
                .collect();
            let work: Vec<ColumnWork<'_, '_>> = ids
                .iter()
                .map(|&i| slots[i].take().expect("each column once"))
                .collect();
            work.into_par_iter()
                .zip(ids.into_par_iter())
                .map(|((tasks, pieces), i)| {
                    let (b, shape) = branches[i];
                    let off = counter_of[i].and_then(|k| offsets.get(&k));
                    let col = assemble(shape, range.start, tasks, pieces, off.map(Vec::as_slice));
                    Ok((i, check(col, b)?))
                })
                .collect::<Result<Vec<(usize, Column)>>>()
        };
        let mut columns: Vec<Option<Column>> = (0..branches.len()).map(|_| None).collect();
        for (i, c) in round(false, &HashMap::new())? {
            columns[i] = Some(c);
        }
        let mut offsets: HashMap<usize, Vec<u32>> = HashMap::new();
        for &k in counter_of
            .iter()
            .flatten()
            .collect::<std::collections::BTreeSet<_>>()
        {
            let Some(col) = &columns[k] else { continue };
            let off = offsets_of_counter(&col.values).map_err(|(i, what)| {
                Error::corrupt(format!("entry {}: {what}", range.start + i as u64))
                    .in_branch(&branches[k].0.name)
            })?;
            if let Some(off) = off {
                offsets.insert(k, off);
            }
        }
        for (i, c) in round(true, &offsets)? {
            columns[i] = Some(c);
        }
        Ok(columns.into_iter().flatten().collect())
    }

    /// The baskets of `tasks` fetched with one
    /// [`read_many`](cortado_source::Source::read_many) when
    /// the source batches reads (remote files: few round trips, requests
    /// in flight at once); otherwise nothing is fetched here and each task
    /// reads its basket itself, in parallel.
    fn fetch(&self, tasks: &[Task<'_>]) -> Result<Vec<Option<Vec<u8>>>> {
        if !self.source.batches_reads() {
            return Ok(tasks.iter().map(|_| None).collect());
        }
        let ranges: Vec<(u64, usize)> = tasks
            .iter()
            .filter_map(|t| match t.source {
                BasketRef::Disk(i) => {
                    let loc = &t.branch.baskets[i];
                    Some((loc.seek, loc.bytes as usize))
                }
                BasketRef::Embedded(_) => None,
            })
            .collect();
        let mut data = self.source.read_many(&ranges)?.into_iter();
        Ok(tasks
            .iter()
            .map(|t| match t.source {
                BasketRef::Disk(_) => data.next(),
                BasketRef::Embedded(_) => None,
            })
            .collect())
    }

    fn run_task(
        &self,
        t: &Task<'_>,
        shape: &BranchShape,
        fetched: Option<Vec<u8>>,
    ) -> Result<Piece> {
        let (index, offset) = match t.source {
            BasketRef::Disk(i) => (t.branch.baskets[i].index, Some(t.branch.baskets[i].seek)),
            BasketRef::Embedded(i) => (t.branch.embedded[i].index, None),
        };
        let locate = |e: Error| {
            let e = e.in_branch(&t.branch.name).in_basket(index);
            match offset {
                Some(o) => e.at_offset(o),
                None => e,
            }
        };
        let raw = match t.source {
            BasketRef::Disk(i) => {
                let loc = &t.branch.baskets[i];
                let bytes = match fetched {
                    Some(b) => b,
                    None => self
                        .source
                        .read_at(loc.seek, loc.bytes as usize)
                        .map_err(|e| locate(e.into()))?,
                };
                basket::unpack(&bytes).map_err(locate)?
            }
            BasketRef::Embedded(i) => {
                basket::from_embedded(&t.branch.embedded[i]).map_err(locate)?
            }
        };
        self.decode_piece(t, shape, raw).map_err(locate)
    }

    fn decode_piece(&self, t: &Task<'_>, shape: &BranchShape, raw: RawBasket) -> Result<Piece> {
        let n = (t.basket_stop - t.basket_start) as usize;
        if raw.entries != n {
            return Err(Error::corrupt(format!(
                "basket holds {} entries but the basket table says {n}",
                raw.entries
            )));
        }
        let a = (t.want.start - t.basket_start) as usize;
        let z = (t.want.end - t.basket_start) as usize;
        let item = t.dtype.size() * shape.len;
        if !shape.jagged {
            let content = raw.content().len();
            if content != n * item {
                return Err(Error::corrupt(format!(
                    "basket has {content} data bytes, but {n} entries of {item} bytes need {}",
                    n * item
                )));
            }
            let counts = (shape.len > 1).then(|| vec![shape.len as u32; z - a]);
            return Ok(Piece {
                raw,
                entries: a..z,
                bytes: a * item..z * item,
                counts,
            });
        }
        // counts come later (from the counter column, or from these offsets)
        if let Some(bytes) = raw.entry_bytes(a, z) {
            return Ok(Piece {
                raw,
                entries: a..z,
                bytes: bytes?,
                counts: None,
            });
        }
        let span = self.span_from_counter(t, a, z, item, shape.len as u32, raw.content().len())?;
        Ok(Piece {
            raw,
            entries: a..z,
            bytes: span.bytes,
            counts: Some(span.counts),
        })
    }

    /// The bytes and counts of entries `a..z` of a basket stored without
    /// entry offsets, from the counter branch.
    fn span_from_counter(
        &self,
        t: &Task<'_>,
        a: usize,
        z: usize,
        item: usize,
        per_item: u32,
        content_len: usize,
    ) -> Result<EntrySpan> {
        let counter = self
            .count_branch(t.branch)
            .ok_or_else(|| Error::corrupt("no counter branch"))?;
        let counts = self.read_inner(&[counter.name.as_str()], t.basket_start..t.basket_stop)?;
        let counts = &counts[0].values;
        // where each entry ends
        let mut ends = Vec::with_capacity(counts.len());
        let mut pos = 0i64;
        for i in 0..counts.len() {
            let c = counts.get_f64(i).unwrap_or(0.0);
            if c < 0.0 {
                return Err(Error::corrupt(format!(
                    "counter {} is negative ({c})",
                    counter.name
                )));
            }
            pos = pos.saturating_add((c as i64).saturating_mul(item as i64));
            ends.push(pos);
        }
        if pos != content_len as i64 {
            return Err(Error::corrupt(format!(
                "counter {} implies {pos} data bytes, the basket has {content_len}",
                counter.name
            )));
        }
        let end_of = |i: usize| if i == 0 { 0 } else { ends[i - 1] };
        let (start, end) = (end_of(a), end_of(z));
        let mut counts = vec![0; z - a];
        if !basket::count_values(
            start,
            ends[a..z].iter().copied(),
            &mut counts,
            item,
            per_item,
        ) {
            return Err(Error::corrupt("counter values give impossible entry sizes"));
        }
        Ok(EntrySpan {
            bytes: start as usize..end as usize,
            counts,
        })
    }
}

/// Offsets (running sums) of a counter branch's values, for the jagged
/// branches it counts: `Ok(None)` when the counter is not of an integer type
/// (the jagged branches then use their own entry offsets), an error (the
/// entry, counted from the first read, and what is wrong) when a count is
/// negative or the counts add up to more than a column can hold (`u32`).
fn offsets_of_counter(v: &Values) -> Result<Option<Vec<u32>>, (usize, String)> {
    macro_rules! run {
        ($v:expr) => {{
            let mut out = vec![0u32; $v.len() + 1];
            let (mut acc, mut bad) = (0u64, false);
            for (o, &c) in out[1..].iter_mut().zip($v.iter()) {
                // negative counts are flagged; saturation keeps a huge total
                // above u32::MAX instead of wrapping to a small one
                bad |= (c as i64) < 0;
                acc = acc.saturating_add(c as u64);
                *o = acc as u32;
            }
            if bad {
                let i = $v.iter().position(|&c| (c as i64) < 0).unwrap_or(0);
                return Err((
                    i,
                    format!("the counter holds {}, not a number of values", $v[i]),
                ));
            }
            if acc > u32::MAX as u64 {
                // (rare: find where the total passes the limit)
                let mut total = 0u64;
                let i = $v
                    .iter()
                    .position(|&c| {
                        total = total.saturating_add(c as u64);
                        total > u32::MAX as u64
                    })
                    .unwrap_or(0);
                return Err((
                    i,
                    format!(
                        "the counts add up to more than {} values (impossible counts)",
                        u32::MAX
                    ),
                ));
            }
            Ok(Some(out))
        }};
    }
    match v {
        Values::I32(v) => run!(v),
        Values::U32(v) => run!(v),
        Values::I16(v) => run!(v),
        Values::U16(v) => run!(v),
        Values::I8(v) => run!(v),
        Values::U8(v) => run!(v),
        Values::I64(v) => run!(v),
        Values::U64(v) => run!(v),
        _ => Ok(None),
    }
}

/// Joins the pieces of one column, in basket order, into a column: checks that
/// they cover the entries contiguously, sizes the buffers exactly and converts
/// each piece's big-endian bytes straight into them. A jagged column takes
/// its offsets from `counter_offsets` (its counter branch's, over the same
/// entries) when given, after checking that every basket holds the bytes the
/// counter says; otherwise from the baskets' own entry offsets.
fn assemble(
    shape: BranchShape,
    first: u64,
    tasks: &[Task<'_>],
    pieces: Vec<Result<Piece>>,
    counter_offsets: Option<&[u32]>,
) -> Result<Column> {
    let mut pieces = pieces.into_iter().collect::<Result<Vec<Piece>>>()?;
    let mut covered = first;
    for t in tasks {
        if covered != t.want.start {
            return Err(Error::corrupt(format!(
                "baskets do not cover entries {covered}..{} contiguously",
                t.want.start
            )));
        }
        covered = t.want.end;
    }
    let size = shape.dtype.size();
    let item = size * shape.len;
    let total: usize = pieces.iter().map(|p| p.bytes.len() / size).sum();
    let mut values = Values::with_capacity(shape.dtype, total);
    for p in &pieces {
        basket::decode_into(&p.raw.content()[p.bytes.clone()], &mut values);
    }
    if !(shape.jagged || shape.len > 1) {
        return Ok(Column::flat(values));
    }
    if let (Some(off), true) = (counter_offsets, shape.jagged) {
        let mut at = 0usize;
        for (t, p) in tasks.iter().zip(&pieces) {
            let n = p.entries.len();
            let (s, e) = (off.get(at), off.get(at + n));
            let want = s.zip(e).map(|(s, e)| (e - s) as usize * item);
            if want != Some(p.bytes.len()) {
                return Err(Error::corrupt(format!(
                    "the basket for entries {}..{} holds {} bytes but its counter branch says {}",
                    t.want.start,
                    t.want.end,
                    p.bytes.len(),
                    want.map_or("more entries".to_string(), |w| w.to_string())
                )));
            }
            // every entry, not only the basket's total: counts moved from
            // one entry to the next, or a damaged offset table, would give
            // values to the wrong entries
            let agree = p
                .raw
                .entry_offsets_agree(p.entries.start, p.entries.end, &off[at..], item);
            if agree == Some(false) {
                return Err(Error::corrupt(format!(
                    "the entry offsets of the basket for entries {}..{} disagree with its \
                     counter branch (damaged offsets or counts)",
                    t.want.start, t.want.end
                )));
            }
            at += n;
        }
        if off.last().map(|&l| l as usize) != Some(values.len()) || at + 1 != off.len() {
            return Err(Error::corrupt("counter branch and values disagree"));
        }
        return Ok(Column {
            values,
            offsets: Some(off.to_vec()),
        });
    }
    for p in pieces.iter_mut().filter(|p| p.counts.is_none()) {
        let span = p
            .raw
            .entry_span(p.entries.start, p.entries.end, item, shape.len as u32)
            .ok_or_else(|| Error::corrupt("a basket of a jagged branch has no entry offsets"))??;
        p.counts = Some(span.counts);
    }
    Column::from_counts(values, pieces.iter().filter_map(|p| p.counts.as_deref()))
        .map_err(Error::corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_offsets() {
        assert_eq!(
            offsets_of_counter(&Values::I32(vec![2, 0, 3])),
            Ok(Some(vec![0, 2, 2, 5]))
        );
        assert_eq!(offsets_of_counter(&Values::U8(vec![])), Ok(Some(vec![0])));
        let e = offsets_of_counter(&Values::I32(vec![2, 0, -1])).unwrap_err();
        assert_eq!(
            e,
            (
                2,
                "the counter holds -1, not a number of values".to_string()
            )
        );
        assert_eq!(offsets_of_counter(&Values::F32(vec![1.0])), Ok(None));
        let e = offsets_of_counter(&Values::U64(vec![7, u32::MAX as u64, 1])).unwrap_err();
        assert_eq!(e.0, 1);
        assert!(e.1.contains("add up to more than"), "{e:?}");
        // totals that would wrap around u64
        assert!(offsets_of_counter(&Values::U64(vec![1 << 62; 5])).is_err());
        assert!(offsets_of_counter(&Values::U64(vec![u64::MAX])).is_err());
    }
}
