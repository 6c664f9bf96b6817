//! N-dimensional histograms with weighted storage.

use serde::{Deserialize, Serialize};

use crate::axis::{Axis, AxisKind};
use crate::sum::two_sum;

/// What each bin accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// Sum of weights and sum of squared weights (`hist.storage.Weight`).
    Weight,
    /// Sum of weights only (`hist.storage.Double`).
    Double,
}

/// A histogram: axes and, for every cell (bins and flow bins, row-major with
/// the first axis outermost), the sum of weights and of squared weights.
///
/// While it is filled and merged, every cell also keeps the rounding errors of
/// its sums (see [`crate::sum`]), so that the result does not depend on how
/// the events were split into chunks; [`Hist::settle`] folds them in (scaling
/// and the exports do it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hist {
    /// The axes.
    pub axes: Vec<Axis>,
    /// The storage kind.
    pub storage: Storage,
    /// Sum of weights per cell.
    #[serde(with = "crate::json_float::vec")]
    pub sumw: Vec<f64>,
    /// Sum of squared weights per cell (empty for `Double` storage).
    #[serde(with = "crate::json_float::vec")]
    pub sumw2: Vec<f64>,
    /// Rounding errors of `sumw` (empty once settled).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "crate::json_float::vec"
    )]
    pub(crate) sumw_lo: Vec<f64>,
    /// Rounding errors of `sumw2` (empty once settled).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "crate::json_float::vec"
    )]
    pub(crate) sumw2_lo: Vec<f64>,
    /// The number of values filled (flow bins included; a value outside an
    /// axis without the matching flow bin is not counted); `None` in an
    /// output written before cortado counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
}

impl Hist {
    /// An empty histogram.
    pub fn new(axes: Vec<Axis>, storage: Storage) -> Hist {
        let n: usize = axes.iter().map(Axis::extent).product();
        let weighted = storage == Storage::Weight;
        Hist {
            sumw: vec![0.0; n],
            sumw2: if weighted { vec![0.0; n] } else { Vec::new() },
            sumw_lo: vec![0.0; n],
            sumw2_lo: if weighted { vec![0.0; n] } else { Vec::new() },
            axes,
            storage,
            entries: Some(0),
        }
    }

    /// Folds the rounding errors kept while filling into the sums.
    pub fn settle(&mut self) {
        for (x, lo) in [
            (&mut self.sumw, &mut self.sumw_lo),
            (&mut self.sumw2, &mut self.sumw2_lo),
        ] {
            for (a, b) in x.iter_mut().zip(lo.iter()) {
                *a += b;
            }
            *lo = Vec::new();
        }
    }

    /// A settled copy (or `self` when already settled).
    pub(crate) fn settled(&self) -> std::borrow::Cow<'_, Hist> {
        if self.sumw_lo.is_empty() && self.sumw2_lo.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut h = self.clone();
            h.settle();
            std::borrow::Cow::Owned(h)
        }
    }

    /// Makes the error arrays match the sums (after deserialising a settled histogram).
    fn unsettle(&mut self) {
        if self.sumw_lo.len() != self.sumw.len() {
            self.sumw_lo = vec![0.0; self.sumw.len()];
        }
        if self.sumw2_lo.len() != self.sumw2.len() {
            self.sumw2_lo = vec![0.0; self.sumw2.len()];
        }
    }

    /// The number of cells along each axis.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().map(Axis::extent).collect()
    }

    /// The cell of a point given per-axis bin indices (boost convention), or
    /// `None` if it falls into a missing flow bin.
    #[inline]
    pub fn cell_of(&self, indices: &[isize]) -> Option<usize> {
        let mut cell = 0usize;
        for (a, &i) in self.axes.iter().zip(indices) {
            cell = cell * a.extent() + a.cell(i)?;
        }
        Some(cell)
    }

    /// Adds `w` at a cell.
    #[inline]
    pub fn add_at(&mut self, cell: usize, w: f64) {
        if self.sumw_lo.is_empty() {
            self.unsettle();
        }
        if let Some(n) = &mut self.entries {
            *n += 1;
        }
        let (s, e) = two_sum(self.sumw[cell], w);
        self.sumw[cell] = s;
        self.sumw_lo[cell] += e;
        if self.storage == Storage::Weight {
            let (s, e) = two_sum(self.sumw2[cell], w * w);
            self.sumw2[cell] = s;
            self.sumw2_lo[cell] += e;
        }
    }

    /// Fills a 1-D histogram with one value.
    #[inline]
    pub fn fill1(&mut self, x: f64, w: f64) {
        if let Some(c) = self.axes[0].cell(self.axes[0].index_f64(x)) {
            self.add_at(c, w);
        }
    }

    /// Fills one point (one value per numeric axis).
    pub fn fill(&mut self, xs: &[f64], w: f64) {
        debug_assert_eq!(xs.len(), self.axes.len());
        let mut cell = 0usize;
        for (a, &x) in self.axes.iter().zip(xs) {
            match a.cell(a.index_f64(x)) {
                Some(c) => cell = cell * a.extent() + c,
                None => return,
            }
        }
        self.add_at(cell, w);
    }

    /// The bin index of a string category on axis `axis` (adding it, in
    /// sorted place, when the axis grows).
    pub fn str_index(&mut self, axis: usize, value: &str) -> isize {
        self.grow_str(axis, std::iter::once(value));
        match &self.axes[axis].kind {
            AxisKind::StrCategory { categories, .. } => categories
                .iter()
                .position(|c| c == value)
                .unwrap_or(categories.len())
                as isize,
            _ => self.axes[axis].bins() as isize,
        }
    }

    /// The bin index of an integer category on axis `axis` (adding it, in
    /// sorted place, when the axis grows).
    pub fn int_index(&mut self, axis: usize, value: i64) -> isize {
        self.grow_int(axis, std::iter::once(value));
        self.axes[axis].index_f64(value as f64)
    }

    /// Adds another histogram with the same axes.
    /// Growing category axes are merged: the sum has the categories of both.
    pub fn add(&mut self, other: &Hist) -> Result<(), String> {
        let united = (self.axes != other.axes && self.storage == other.storage)
            .then(|| self.united_axes(other))
            .flatten();
        let grown;
        let other = match united {
            Some(axes) => {
                self.relayout(axes.clone());
                let mut o = other.clone();
                o.relayout(axes);
                grown = o;
                &grown
            }
            None => other,
        };
        if self.axes != other.axes || self.storage != other.storage {
            return Err(format!(
                "cannot add histograms with different axes or storage: {}",
                differences(self, other)
            ));
        }
        self.unsettle();
        self.entries = self.entries.zip(other.entries).map(|(a, b)| a + b);
        for (mine, mine_lo, theirs, theirs_lo) in [
            (
                &mut self.sumw,
                &mut self.sumw_lo,
                &other.sumw,
                &other.sumw_lo,
            ),
            (
                &mut self.sumw2,
                &mut self.sumw2_lo,
                &other.sumw2,
                &other.sumw2_lo,
            ),
        ] {
            for (i, (a, b)) in mine.iter_mut().zip(theirs).enumerate() {
                let (s, e) = two_sum(*a, *b);
                *a = s;
                mine_lo[i] += e + theirs_lo.get(i).copied().unwrap_or(0.0);
            }
        }
        Ok(())
    }

    /// Multiplies every bin by `f` (variances by `f²`); settles first.
    pub fn scale(&mut self, f: f64) {
        self.settle();
        for x in &mut self.sumw {
            *x *= f;
        }
        for x in &mut self.sumw2 {
            *x *= f * f;
        }
    }

    /// True if any bin is NaN or infinite.
    pub fn has_non_finite(&self) -> bool {
        self.sumw
            .iter()
            .chain(&self.sumw2)
            .chain(&self.sumw_lo)
            .chain(&self.sumw2_lo)
            .any(|x| !x.is_finite())
    }

    /// Total sum of weights including flow bins.
    pub fn total(&self) -> f64 {
        let mut s = crate::sum::Sum::default();
        for (i, &x) in self.sumw.iter().enumerate() {
            s.add(x);
            s.add(self.sumw_lo.get(i).copied().unwrap_or(0.0));
        }
        s.value()
    }

    /// This histogram in the project's JSON layout of outputs (the one
    /// `shared/tools/export_output_json.py` writes for PocketCoffea outputs;
    /// one category and variation): axes, in-range `sumw`/`sumw2` and the flow
    /// bins separately for 1-D; the full arrays with flow for more dimensions.
    pub fn to_reference_json(&self, has_variation_axis: bool) -> serde_json::Value {
        use serde_json::{json, Value};
        let settled = self.settled();
        let this: &Hist = &settled;
        let axes: Vec<Value> = this.axes.iter().map(axis_json).collect();
        let mut out = json!({"axes": axes, "has_variation_axis": has_variation_axis});
        // every cell, flow included: the sum of weights and ROOT's effective
        // entries (Σw)²/Σw², the number of fills when every weight is 1
        let total = this.total();
        let total2: f64 = if this.sumw2.is_empty() {
            total
        } else {
            let mut s = crate::sum::Sum::default();
            this.sumw2.iter().for_each(|&x| s.add(x));
            s.value()
        };
        out["sumw_total"] = json!(total);
        out["entries"] = json!(this.entries);
        // without squared weights (`storage: double`) there is nothing to
        // compute them from
        out["effective_entries"] = if this.sumw2.is_empty() {
            json!(null)
        } else if total2 > 0.0 {
            json!(total * total / total2)
        } else {
            json!(0.0)
        };
        if this.axes.len() == 1 {
            let a = &this.axes[0];
            let uf = usize::from(a.has_underflow());
            let n = a.bins();
            let of = a.overflow;
            let w2 = if this.sumw2.is_empty() {
                &this.sumw
            } else {
                &this.sumw2
            };
            out["sumw"] = json!(this.sumw[uf..uf + n]);
            out["sumw2"] = json!(w2[uf..uf + n]);
            out["underflow_sumw"] = if uf == 1 {
                json!(this.sumw[0])
            } else {
                Value::Null
            };
            out["underflow_sumw2"] = if uf == 1 { json!(w2[0]) } else { Value::Null };
            out["overflow_sumw"] = if of {
                json!(this.sumw[uf + n])
            } else {
                Value::Null
            };
            out["overflow_sumw2"] = if of { json!(w2[uf + n]) } else { Value::Null };
        } else {
            out["sumw_with_flow"] = nested(&this.sumw, &this.shape());
            out["sumw2_with_flow"] = nested(
                if this.sumw2.is_empty() {
                    &this.sumw
                } else {
                    &this.sumw2
                },
                &this.shape(),
            );
        }
        out
    }
}

/// What differs between the axes and storage of two histograms.
fn differences(a: &Hist, b: &Hist) -> String {
    let mut out = Vec::new();
    if a.storage != b.storage {
        out.push(format!("storage {:?} vs {:?}", a.storage, b.storage));
    }
    if a.axes.len() != b.axes.len() {
        let all = |h: &Hist| {
            let v: Vec<String> = h.axes.iter().map(Axis::describe).collect();
            format!("[{}]", v.join("; "))
        };
        out.push(format!(
            "{} axes {} vs {} axes {}",
            a.axes.len(),
            all(a),
            b.axes.len(),
            all(b)
        ));
    } else {
        for (i, (x, y)) in a.axes.iter().zip(&b.axes).enumerate() {
            if x != y {
                let (dx, dy) = (x.describe(), y.describe());
                let why = if dx == dy {
                    // same in words: an edge differs below the printed precision
                    format!("{:?} vs {:?}", x, y)
                } else {
                    format!("{dx} vs {dy}")
                };
                out.push(format!("axis {} ({why})", i + 1));
            }
        }
    }
    out.join("; ")
}

/// The hist class name of an axis.
pub(crate) fn axis_type_name(a: &Axis) -> &'static str {
    match a.kind {
        AxisKind::Regular { .. } => "Regular",
        AxisKind::Variable { .. } => "Variable",
        AxisKind::Integer { .. } => "Integer",
        AxisKind::IntCategory { .. } => "IntCategory",
        AxisKind::StrCategory { .. } => "StrCategory",
    }
}

fn axis_json(a: &Axis) -> serde_json::Value {
    use serde_json::json;
    let mut v = json!({"name": a.name, "label": a.label, "type": axis_type_name(a)});
    match &a.kind {
        AxisKind::IntCategory { categories, .. } => v["categories"] = json!(categories),
        AxisKind::StrCategory { categories, .. } => v["categories"] = json!(categories),
        _ => {
            v["edges"] = json!(a.edges());
            v["underflow"] = json!(a.underflow);
            v["overflow"] = json!(a.overflow);
        }
    }
    v
}

/// A flat row-major array as nested JSON lists of the given shape.
pub(crate) fn nested(data: &[f64], shape: &[usize]) -> serde_json::Value {
    if shape.len() <= 1 {
        return serde_json::json!(data);
    }
    let inner: usize = shape[1..].iter().product();
    serde_json::Value::Array(
        (0..shape[0])
            .map(|i| nested(&data[i * inner..(i + 1) * inner], &shape[1..]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_scale_add() {
        let mut h = Hist::new(vec![Axis::regular("x", "", 3, 0.0, 3.0)], Storage::Weight);
        for (x, w) in [(0.5, 1.0), (1.5, 2.0), (5.0, 3.0), (-1.0, 0.5)] {
            h.fill1(x, w);
        }
        assert_eq!(h.sumw, vec![0.5, 1.0, 2.0, 0.0, 3.0]);
        assert_eq!(h.sumw2, vec![0.25, 1.0, 4.0, 0.0, 9.0]);
        let mut g = h.clone();
        g.add(&h).unwrap();
        g.scale(0.5);
        assert_eq!(g.sumw, h.sumw);
        assert_eq!(g.sumw2, vec![0.125, 0.5, 2.0, 0.0, 4.5]);
        let other = Hist::new(vec![Axis::regular("x", "", 4, 0.0, 3.0)], Storage::Weight);
        assert!(g.add(&other).unwrap_err().contains("different axes"));
        // the message shows what differs, even when the bin counts agree
        let a = Hist::new(
            vec![Axis::regular("ll.mass", "", 100, 0.0, 200.0)],
            Storage::Weight,
        );
        let b = Hist::new(
            vec![Axis::regular("ll.mass", "", 100, 0.0, 250.0)],
            Storage::Double,
        );
        assert_eq!(
            a.clone().add(&b).unwrap_err(),
            "cannot add histograms with different axes or storage: storage Weight vs Double; \
             axis 1 (ll.mass: 100 regular bins in [0, 200) vs ll.mass: 100 regular bins in [0, 250))"
        );
        let mut v = Axis::variable("pt", "p_T", (0..=40).map(|i| i as f64).collect());
        v.overflow = false;
        let c = Hist::new(vec![v], Storage::Weight);
        let e = a.clone().add(&c).unwrap_err();
        assert!(
            e.ends_with("axis 1 (ll.mass: 100 regular bins in [0, 200) vs pt: 40 variable bins, \
                         edges [0, 1, 2, 3, 4, ..., 36, 37, 38, 39, 40] (no overflow) labelled \"p_T\")"),
            "{e}"
        );
        let j = h.to_reference_json(false);
        assert_eq!(j["sumw"], serde_json::json!([1.0, 2.0, 0.0]));
        assert_eq!(j["underflow_sumw"], serde_json::json!(0.5));
        assert_eq!(j["overflow_sumw2"], serde_json::json!(9.0));
    }

    #[test]
    fn two_dimensions_row_major() {
        let mut h = Hist::new(
            vec![
                Axis::regular("x", "", 2, 0.0, 2.0),
                Axis::integer("n", "", 0, 2),
            ],
            Storage::Weight,
        );
        h.fill(&[1.5, 0.0], 2.0);
        assert_eq!(h.shape(), vec![4, 4]);
        assert_eq!(h.sumw[2 * 4 + 1], 2.0);
        let j = h.to_reference_json(true);
        assert_eq!(j["sumw_with_flow"][2][1], serde_json::json!(2.0));
    }

    #[test]
    fn growing_categories_keep_contents() {
        let mut h = Hist::new(
            vec![
                Axis {
                    name: "c".into(),
                    label: String::new(),
                    kind: AxisKind::StrCategory {
                        categories: vec!["a".into()],
                        growth: true,
                    },
                    underflow: false,
                    overflow: true,
                },
                Axis::regular("x", "", 1, 0.0, 1.0),
            ],
            Storage::Weight,
        );
        let a = h.str_index(0, "a");
        let cell = h.cell_of(&[a, 0]).unwrap();
        h.add_at(cell, 1.0);
        let b = h.str_index(0, "b");
        assert_eq!(b, 1);
        let cell = h.cell_of(&[b, 0]).unwrap();
        h.add_at(cell, 5.0);
        assert_eq!(h.shape(), vec![3, 3]);
        assert_eq!(h.sumw, vec![0.0, 1.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
