//! Growing category axes (`growth: true`).
//!
//! A growing axis keeps its categories **sorted** (integers ascending,
//! strings by bytes), whichever order the values come in. `hist` appends a
//! new category where it is first seen; cortado sorts them so that a result
//! does not depend on how the events were split into chunks or on the
//! number of threads (the sum of two histograms has the sorted union of
//! their categories).

use crate::axis::{Axis, AxisKind};
use crate::hist::Hist;

impl Axis {
    /// True for a category axis that grows.
    pub fn grows(&self) -> bool {
        matches!(
            self.kind,
            AxisKind::IntCategory { growth: true, .. } | AxisKind::StrCategory { growth: true, .. }
        )
    }

    /// For two growing category axes equal but for their categories, the
    /// axis with the sorted union of both; `None` otherwise.
    pub fn united(&self, other: &Axis) -> Option<Axis> {
        if self == other {
            return Some(self.clone());
        }
        let same_rest = self.name == other.name
            && self.label == other.label
            && self.underflow == other.underflow
            && self.overflow == other.overflow;
        if !same_rest || !self.grows() {
            return None;
        }
        let kind = match (&self.kind, &other.kind) {
            (
                AxisKind::IntCategory { categories: a, .. },
                AxisKind::IntCategory {
                    categories: b,
                    growth: true,
                },
            ) => AxisKind::IntCategory {
                categories: sorted_union(a, b),
                growth: true,
            },
            (
                AxisKind::StrCategory { categories: a, .. },
                AxisKind::StrCategory {
                    categories: b,
                    growth: true,
                },
            ) => AxisKind::StrCategory {
                categories: sorted_union(a, b),
                growth: true,
            },
            _ => return None,
        };
        Some(Axis {
            kind,
            ..self.clone()
        })
    }

    /// Where each storage cell of this axis goes on `to`, an axis with the
    /// same binning or, for a category axis, a superset of its categories
    /// (the "other" cell goes to the other cell).
    fn cell_map(&self, to: &Axis) -> Option<Vec<usize>> {
        let keys = |a: &Axis| -> Option<Vec<String>> {
            match &a.kind {
                AxisKind::IntCategory { categories, .. } => {
                    Some(categories.iter().map(i64::to_string).collect())
                }
                AxisKind::StrCategory { categories, .. } => Some(categories.clone()),
                _ => None,
            }
        };
        match (keys(self), keys(to)) {
            (Some(from), Some(into)) => {
                let mut map: Vec<usize> = from
                    .iter()
                    .map(|c| into.iter().position(|d| d == c))
                    .collect::<Option<_>>()?;
                if self.overflow {
                    map.push(to.overflow.then_some(into.len())?);
                }
                Some(map)
            }
            (None, None) if self == to => Some((0..self.extent()).collect()),
            _ => None,
        }
    }
}

fn sorted_union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut v: Vec<T> = a.iter().chain(b).cloned().collect();
    v.sort();
    v.dedup();
    v
}

impl Hist {
    /// The axes of the sum of `self` and `other` when they differ only in
    /// the categories of growing axes (`None` when they differ otherwise).
    pub fn united_axes(&self, other: &Hist) -> Option<Vec<Axis>> {
        if self.axes.len() != other.axes.len() {
            return None;
        }
        self.axes
            .iter()
            .zip(&other.axes)
            .map(|(a, b)| a.united(b))
            .collect()
    }

    /// Moves the contents onto `axes`: the same binnings, with category
    /// axes that have at least this histogram's categories (new cells are
    /// empty). Does nothing when an axis does not fit.
    pub fn relayout(&mut self, axes: Vec<Axis>) {
        if axes == self.axes || axes.len() != self.axes.len() {
            return;
        }
        let Some(maps): Option<Vec<Vec<usize>>> = self
            .axes
            .iter()
            .zip(&axes)
            .map(|(a, b)| a.cell_map(b))
            .collect()
        else {
            return;
        };
        let old_shape = self.shape();
        let new_shape: Vec<usize> = axes.iter().map(Axis::extent).collect();
        let n_new: usize = new_shape.iter().product();
        // the new flat index of every old cell, row-major
        let mut target = vec![0usize; old_shape.iter().product()];
        let mut idx = vec![0usize; old_shape.len()];
        for t in target.iter_mut() {
            *t = idx
                .iter()
                .zip(&maps)
                .zip(&new_shape)
                .fold(0, |acc, ((&i, m), &n)| acc * n + m[i]);
            for k in (0..idx.len()).rev() {
                idx[k] += 1;
                if idx[k] < old_shape[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
        let move_to = |old: &mut Vec<f64>| {
            if old.is_empty() {
                return;
            }
            let mut v = vec![0.0; n_new];
            for (x, &t) in old.iter().zip(&target) {
                v[t] = *x;
            }
            *old = v;
        };
        move_to(&mut self.sumw);
        move_to(&mut self.sumw2);
        move_to(&mut self.sumw_lo);
        move_to(&mut self.sumw2_lo);
        self.axes = axes;
    }

    /// Adds the integer `values` missing from growing category axis `axis`
    /// (sorted in place); nothing for other axes.
    pub fn grow_int(&mut self, axis: usize, values: impl IntoIterator<Item = i64>) {
        let AxisKind::IntCategory {
            categories,
            growth: true,
        } = &self.axes[axis].kind
        else {
            return;
        };
        let mut new: Vec<i64> = values
            .into_iter()
            .filter(|v| categories.binary_search(v).is_err())
            .collect();
        if new.is_empty() {
            return;
        }
        new.sort_unstable();
        new.dedup();
        let mut axes = self.axes.clone();
        axes[axis].kind = AxisKind::IntCategory {
            categories: sorted_union(categories, &new),
            growth: true,
        };
        self.relayout(axes);
    }

    /// Adds the string `values` missing from growing category axis `axis`
    /// (sorted in place); nothing for other axes.
    pub fn grow_str<'a>(&mut self, axis: usize, values: impl IntoIterator<Item = &'a str>) {
        let AxisKind::StrCategory {
            categories,
            growth: true,
        } = &self.axes[axis].kind
        else {
            return;
        };
        let new: Vec<String> = values
            .into_iter()
            .filter(|v| !categories.iter().any(|c| c == v))
            .map(str::to_string)
            .collect();
        if new.is_empty() {
            return;
        }
        let mut axes = self.axes.clone();
        axes[axis].kind = AxisKind::StrCategory {
            categories: sorted_union(categories, &new),
            growth: true,
        };
        self.relayout(axes);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Axis, AxisKind, Hist, Storage};

    fn cat(values: Vec<i64>) -> Axis {
        Axis {
            name: "n".into(),
            label: String::new(),
            kind: AxisKind::IntCategory {
                categories: values,
                growth: true,
            },
            underflow: false,
            overflow: true,
        }
    }

    /// Each value `v` filled at x = v % 2 with weight 1 + v.
    fn filled(values: &[i64]) -> Hist {
        let mut h = Hist::new(
            vec![cat(Vec::new()), Axis::regular("x", "", 2, 0.0, 2.0)],
            Storage::Weight,
        );
        for &v in values {
            let b = h.int_index(0, v);
            let c = h.cell_of(&[b, (v % 2) as isize]).unwrap();
            h.add_at(c, 1.0 + v as f64);
        }
        h
    }

    #[test]
    fn categories_stay_sorted_and_sums_do_not_depend_on_the_split() {
        let values = [3, 0, 3, 1, 7, 0, 2];
        let mut whole = filled(&values);
        assert_eq!(whole.axes[0], cat(vec![0, 1, 2, 3, 7]));
        whole.settle();
        for split in 0..=values.len() {
            let mut sum = filled(&values[..split]);
            sum.add(&filled(&values[split..])).unwrap();
            sum.settle();
            assert_eq!(sum, whole, "split at {split}");
            let mut rev = filled(&values[split..]);
            rev.add(&filled(&values[..split])).unwrap();
            rev.settle();
            assert_eq!(rev, whole, "split at {split}, added the other way");
        }
    }

    #[test]
    fn relayout_moves_every_cell() {
        let mut h = filled(&[5, 2]);
        let before = h.clone();
        h.grow_int(0, [3, 9]);
        assert_eq!(h.axes[0], cat(vec![2, 3, 5, 9]));
        assert_eq!(h.total(), before.total());
        let at = |h: &Hist, c: i64, x: isize| {
            let b = h.axes[0].index_f64(c as f64);
            h.sumw[h.cell_of(&[b, x]).unwrap()]
        };
        assert_eq!(at(&h, 5, 1), 6.0);
        assert_eq!(at(&h, 2, 0), 3.0);
        assert_eq!(at(&h, 3, 1), 0.0);
        assert_eq!(at(&h, 9, 1), 0.0);
    }

    #[test]
    fn fixed_category_axes_do_not_merge() {
        let mut fixed = cat(vec![2]);
        fixed.kind = AxisKind::IntCategory {
            categories: vec![2],
            growth: false,
        };
        let mut a = Hist::new(vec![fixed.clone()], Storage::Weight);
        fixed.kind = AxisKind::IntCategory {
            categories: vec![1],
            growth: false,
        };
        let b = Hist::new(vec![fixed], Storage::Weight);
        assert!(a.add(&b).is_err());
    }
}
