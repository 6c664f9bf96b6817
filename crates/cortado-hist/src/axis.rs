//! Axes and their binning.

use serde::{Deserialize, Serialize};

/// A transform of a regular axis (binning is uniform in the transformed value).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Natural logarithm.
    Log,
    /// Square root.
    Sqrt,
}

impl Transform {
    fn forward(self, x: f64) -> f64 {
        match self {
            Transform::Log => x.ln(),
            Transform::Sqrt => x.sqrt(),
        }
    }

    fn inverse(self, x: f64) -> f64 {
        match self {
            Transform::Log => x.exp(),
            Transform::Sqrt => x * x,
        }
    }
}

/// The kind of an axis and its binning parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AxisKind {
    /// `bins` equal bins between `start` and `stop`.
    Regular {
        /// Number of bins.
        bins: usize,
        /// Lower edge.
        start: f64,
        /// Upper edge.
        stop: f64,
        /// Optional transform.
        transform: Option<Transform>,
    },
    /// Bins between consecutive edges.
    Variable {
        /// Increasing edges.
        edges: Vec<f64>,
    },
    /// One bin per integer in `start..stop`.
    Integer {
        /// First value.
        start: i64,
        /// One past the last value.
        stop: i64,
    },
    /// One bin per integer category.
    IntCategory {
        /// The categories.
        categories: Vec<i64>,
        /// Whether unseen categories are added when filling.
        growth: bool,
    },
    /// One bin per string category.
    StrCategory {
        /// The categories.
        categories: Vec<String>,
        /// Whether unseen categories are added when filling.
        growth: bool,
    },
}

/// An axis: name, label, binning and flow bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Axis name (PocketCoffea: `coll.field`).
    pub name: String,
    /// Axis label.
    pub label: String,
    /// Binning.
    pub kind: AxisKind,
    /// Whether there is an underflow bin (numeric axes).
    pub underflow: bool,
    /// Whether there is an overflow bin (numeric axes; for categories: the "other" bin).
    pub overflow: bool,
}

impl Axis {
    /// The axis in words, with its binning and flow bins
    /// (`ll.mass: 100 regular bins in [0, 200)`), for messages.
    pub fn describe(&self) -> String {
        fn list<T: std::fmt::Display>(v: &[T]) -> String {
            let show = |s: &[T]| {
                s.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if v.len() <= 12 {
                format!("[{}]", show(v))
            } else {
                format!("[{}, ..., {}]", show(&v[..5]), show(&v[v.len() - 5..]))
            }
        }
        let binning = match &self.kind {
            AxisKind::Regular {
                bins,
                start,
                stop,
                transform,
            } => format!(
                "{bins} regular bins in [{start}, {stop}){}",
                match transform {
                    Some(Transform::Log) => " (log)",
                    Some(Transform::Sqrt) => " (sqrt)",
                    None => "",
                }
            ),
            AxisKind::Variable { edges } => {
                format!(
                    "{} variable bins, edges {}",
                    edges.len().saturating_sub(1),
                    list(edges)
                )
            }
            AxisKind::Integer { start, stop } => format!("integers in [{start}, {stop})"),
            AxisKind::IntCategory { categories, growth } => format!(
                "integer categories {}{}",
                list(categories),
                if *growth { " (growing)" } else { "" }
            ),
            AxisKind::StrCategory { categories, growth } => {
                let q: Vec<String> = categories.iter().map(|c| format!("{c:?}")).collect();
                format!(
                    "string categories {}{}",
                    list(&q),
                    if *growth { " (growing)" } else { "" }
                )
            }
        };
        let mut flow = Vec::new();
        if !self.is_category() {
            if !self.underflow {
                flow.push("no underflow");
            }
            if !self.overflow {
                flow.push("no overflow");
            }
        } else if !self.overflow {
            flow.push("no other bin");
        }
        let flow = if flow.is_empty() {
            String::new()
        } else {
            format!(" ({})", flow.join(", "))
        };
        let label = if self.label.is_empty() || self.label == self.name {
            String::new()
        } else {
            format!(" labelled {:?}", self.label)
        };
        format!("{}: {binning}{flow}{label}", self.name)
    }

    /// A regular axis with both flow bins.
    pub fn regular(name: &str, label: &str, bins: usize, start: f64, stop: f64) -> Axis {
        Axis {
            name: name.into(),
            label: label.into(),
            kind: AxisKind::Regular {
                bins,
                start,
                stop,
                transform: None,
            },
            underflow: true,
            overflow: true,
        }
    }

    /// A variable axis with both flow bins.
    pub fn variable(name: &str, label: &str, edges: Vec<f64>) -> Axis {
        Axis {
            name: name.into(),
            label: label.into(),
            kind: AxisKind::Variable { edges },
            underflow: true,
            overflow: true,
        }
    }

    /// An integer axis with both flow bins.
    pub fn integer(name: &str, label: &str, start: i64, stop: i64) -> Axis {
        Axis {
            name: name.into(),
            label: label.into(),
            kind: AxisKind::Integer { start, stop },
            underflow: true,
            overflow: true,
        }
    }

    /// Checks the binning parameters.
    pub fn validate(&self) -> Result<(), String> {
        match &self.kind {
            AxisKind::Regular {
                bins,
                start,
                stop,
                transform,
            } => {
                if *bins == 0 {
                    return Err("a regular axis needs at least one bin".into());
                }
                if !(start.is_finite() && stop.is_finite() && start < stop) {
                    return Err(format!(
                        "a regular axis needs start < stop (got {start} and {stop})"
                    ));
                }
                if let Some(t) = transform {
                    let (a, b) = (t.forward(*start), t.forward(*stop));
                    if !(a.is_finite() && b.is_finite()) {
                        return Err(format!(
                            "the {t:?} transform is undefined at the axis limits {start}, {stop}"
                        ));
                    }
                }
            }
            AxisKind::Variable { edges } => {
                if edges.len() < 2 {
                    return Err("a variable axis needs at least two edges".into());
                }
                if edges
                    .windows(2)
                    .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
                {
                    return Err("variable axis edges must be strictly increasing".into());
                }
            }
            AxisKind::Integer { start, stop } => {
                if start >= stop {
                    return Err(format!(
                        "an integer axis needs start < stop (got {start} and {stop})"
                    ));
                }
            }
            AxisKind::IntCategory { .. } | AxisKind::StrCategory { .. } => {}
        }
        Ok(())
    }

    /// Number of in-range bins.
    pub fn bins(&self) -> usize {
        match &self.kind {
            AxisKind::Regular { bins, .. } => *bins,
            AxisKind::Variable { edges } => edges.len().saturating_sub(1),
            AxisKind::Integer { start, stop } => {
                usize::try_from((*stop as i128 - *start as i128).max(0)).unwrap_or(usize::MAX)
            }
            AxisKind::IntCategory { categories, .. } => categories.len(),
            AxisKind::StrCategory { categories, .. } => categories.len(),
        }
    }

    /// True for category axes.
    pub fn is_category(&self) -> bool {
        matches!(
            self.kind,
            AxisKind::IntCategory { .. } | AxisKind::StrCategory { .. }
        )
    }

    /// Whether the axis has an underflow bin (category axes never do).
    pub fn has_underflow(&self) -> bool {
        self.underflow && !self.is_category()
    }

    /// Number of storage cells along this axis (bins plus flow bins).
    pub fn extent(&self) -> usize {
        self.bins()
            .saturating_add(usize::from(self.has_underflow()))
            .saturating_add(usize::from(self.overflow))
    }

    /// Bin edges of a numeric axis (`bins + 1` values), as boost-histogram computes them.
    pub fn edges(&self) -> Vec<f64> {
        match &self.kind {
            AxisKind::Regular {
                bins,
                start,
                stop,
                transform,
            } => {
                let n = *bins as f64;
                let (a, b) = match transform {
                    Some(t) => (t.forward(*start), t.forward(*stop)),
                    None => (*start, *stop),
                };
                (0..=*bins)
                    .map(|i| {
                        let z = i as f64 / n;
                        let v = (1.0 - z) * a + z * b;
                        match transform {
                            Some(t) => t.inverse(v),
                            None => v,
                        }
                    })
                    .collect()
            }
            AxisKind::Variable { edges } => edges.clone(),
            AxisKind::Integer { start, stop } => (*start..=*stop).map(|v| v as f64).collect(),
            _ => Vec::new(),
        }
    }

    /// The bin of `x` as an index in `0..bins` relative to the in-range bins:
    /// `-1` for underflow, `bins` for overflow (boost-histogram's convention).
    #[inline]
    pub fn index_f64(&self, x: f64) -> isize {
        match &self.kind {
            AxisKind::Regular {
                bins,
                start,
                stop,
                transform,
            } => {
                let (x, a, b) = match transform {
                    Some(t) => (t.forward(x), t.forward(*start), t.forward(*stop)),
                    None => (x, *start, *stop),
                };
                let z = (x - a) / (b - a);
                if z < 1.0 {
                    if z >= 0.0 {
                        (z * *bins as f64) as isize
                    } else {
                        -1
                    }
                } else {
                    *bins as isize
                }
            }
            AxisKind::Variable { edges } => {
                let n = edges.len() - 1;
                if x.is_nan() || x >= edges[n] {
                    return n as isize;
                }
                if x < edges[0] {
                    return -1;
                }
                // last edge <= x
                (edges.partition_point(|&e| e <= x) - 1) as isize
            }
            AxisKind::Integer { start, stop } => {
                if x.is_nan() {
                    return (stop - start) as isize;
                }
                let f = x.floor();
                if f < *start as f64 {
                    -1
                } else if f >= *stop as f64 {
                    (stop - start) as isize
                } else {
                    (f as i64 - start) as isize
                }
            }
            AxisKind::IntCategory { categories, .. } => {
                let v = x as i64;
                match categories.iter().position(|&c| c == v && x == v as f64) {
                    Some(i) => i as isize,
                    None => categories.len() as isize,
                }
            }
            AxisKind::StrCategory { categories, .. } => categories.len() as isize,
        }
    }

    /// The storage cell along this axis for a bin index from [`Axis::index_f64`],
    /// or `None` when the value falls in a flow bin the axis does not have.
    #[inline]
    pub fn cell(&self, index: isize) -> Option<usize> {
        let uf = usize::from(self.has_underflow());
        if index < 0 {
            return self.has_underflow().then_some(0);
        }
        let i = index as usize;
        if i >= self.bins() {
            return self.overflow.then_some(uf + self.bins());
        }
        Some(uf + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_binning_like_boost() {
        let a = Axis::regular("x", "", 50, 0.0, 150.0);
        assert_eq!(a.index_f64(0.0), 0);
        assert_eq!(a.index_f64(2.999999), 0);
        assert_eq!(a.index_f64(3.0), 1);
        assert_eq!(a.index_f64(150.0), 50);
        assert_eq!(a.index_f64(-0.1), -1);
        assert_eq!(a.index_f64(f64::NAN), 50);
        assert_eq!(a.index_f64(f64::INFINITY), 50);
        assert_eq!(a.index_f64(f64::NEG_INFINITY), -1);
        let e = a.edges();
        assert_eq!(e[7], 21.000000000000004);
        assert_eq!(e[50], 150.0);
        let b = Axis::regular("x", "", 48, -2.4, 2.4);
        assert_eq!(b.edges()[24], 0.0);
        assert_eq!(a.cell(-1), Some(0));
        assert_eq!(a.cell(50), Some(51));
        assert_eq!(a.extent(), 52);
    }

    #[test]
    fn variable_and_integer() {
        let v = Axis::variable("x", "", vec![0.0, 1.0, 5.0, 10.0]);
        assert_eq!(v.index_f64(0.0), 0);
        assert_eq!(v.index_f64(1.0), 1);
        assert_eq!(v.index_f64(9.99), 2);
        assert_eq!(v.index_f64(10.0), 3);
        assert_eq!(v.index_f64(-1.0), -1);
        assert_eq!(v.index_f64(f64::NAN), 3);
        let i = Axis::integer("n", "", 0, 3);
        assert_eq!(i.index_f64(0.0), 0);
        assert_eq!(i.index_f64(2.0), 2);
        assert_eq!(i.index_f64(3.0), 3);
        assert_eq!(i.index_f64(-1.0), -1);
        assert_eq!(i.edges(), vec![0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn flow_bins_can_be_absent() {
        let mut a = Axis::regular("x", "", 10, 0.0, 1.0);
        a.underflow = false;
        a.overflow = false;
        assert_eq!(a.cell(-1), None);
        assert_eq!(a.cell(10), None);
        assert_eq!(a.cell(3), Some(3));
        assert_eq!(a.extent(), 10);
    }

    #[test]
    fn validation() {
        assert!(Axis::regular("x", "", 0, 0.0, 1.0).validate().is_err());
        assert!(Axis::regular("x", "", 1, 1.0, 1.0).validate().is_err());
        assert!(Axis::variable("x", "", vec![0.0, 0.0]).validate().is_err());
        assert!(Axis::integer("x", "", 3, 3).validate().is_err());
    }

    #[test]
    fn extreme_binnings_count_without_overflow() {
        // the widest integer axis: 2^64 - 1 bins, counted without overflow
        let a = Axis::integer("x", "", i64::MIN, i64::MAX);
        assert_eq!(a.bins(), usize::MAX);
        assert_eq!(a.extent(), usize::MAX);
        let empty = Axis::variable("x", "", Vec::new());
        assert_eq!(empty.bins(), 0);
        assert!(empty.validate().is_err());
    }
}
