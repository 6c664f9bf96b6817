//! The content nodes of a correction and their evaluation on one row.
//!
//! Lookups follow correctionlib's C++ evaluator exactly, including its
//! corner cases: a value on an edge belongs to the bin above it; clamping
//! uses the first or last bin; a uniform binning computes its bin as
//! `n · (x − low) / (high − low)` truncated, and if rounding gives `n` the
//! node's default slot is used (the flow value, or 0 for a `Binning`
//! without one; the last bin for a `MultiBinning`), as correctionlib does.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Key, Refusal};
use crate::eval::Value;
use crate::formula::Expr;
use crate::hashprng::{self, Distribution};

/// A content node.
#[derive(Debug)]
pub(crate) enum Node {
    Const(f64),
    Binning(Box<Binning>),
    MultiBinning(Box<MultiBinning>),
    Category(Box<Category>),
    Formula(Box<Formula>),
    FormulaRef(Box<FormulaRef>),
    Transform(Box<Transform>),
    HashPrng(Box<HashPrng>),
}

/// Bin edges of one axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Edges {
    /// `n` equal bins from `low` to `high`.
    Uniform { n: usize, low: f64, high: f64 },
    /// Increasing edges (at least two).
    List(Vec<f64>),
}

impl Edges {
    pub(crate) fn n_bins(&self) -> usize {
        match self {
            Edges::Uniform { n, .. } => *n,
            Edges::List(e) => e.len().saturating_sub(1),
        }
    }

    pub(crate) fn range(&self) -> (f64, f64) {
        match self {
            Edges::Uniform { low, high, .. } => (*low, *high),
            Edges::List(e) => (
                e.first().copied().unwrap_or(f64::NAN),
                e.last().copied().unwrap_or(f64::NAN),
            ),
        }
    }
}

/// What a binning does with values outside its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Clamp,
    Error,
    Wrap,
    /// Evaluate the flow content (a number or a node).
    Value,
}

#[derive(Debug)]
pub(crate) struct Binning {
    pub input: usize,
    pub edges: Edges,
    pub content: Vec<Node>,
    pub flow: Flow,
    /// The flow content, or 0 (correctionlib's default slot).
    pub default: Node,
}

#[derive(Debug)]
pub(crate) struct Axis {
    pub input: usize,
    pub stride: usize,
    pub edges: Edges,
}

#[derive(Debug)]
pub(crate) struct MultiBinning {
    pub axes: Vec<Axis>,
    pub content: Vec<Node>,
    pub flow: Flow,
    pub flow_value: Option<Node>,
}

/// Keys of a category (the first of duplicated keys wins, as in correctionlib).
#[derive(Debug)]
pub(crate) enum Keys {
    /// Sorted by key.
    Int(Vec<(i64, Node)>),
    /// In file order; `index` speeds up categories with many keys.
    Str {
        items: Vec<(Box<str>, Node)>,
        index: Option<HashMap<Box<str>, usize>>,
    },
}

#[derive(Debug)]
pub(crate) struct Category {
    pub input: usize,
    pub keys: Keys,
    pub default: Option<Node>,
}

/// A formula's program and the inputs its variables x, y, … are bound to.
#[derive(Debug)]
pub(crate) struct Bound {
    pub expr: Arc<Expr>,
    pub vars: Box<[usize]>,
}

#[derive(Debug)]
pub(crate) struct Formula {
    pub bound: Bound,
    pub params: Box<[f64]>,
}

#[derive(Debug)]
pub(crate) struct FormulaRef {
    pub generic: Arc<Bound>,
    pub params: Box<[f64]>,
}

#[derive(Debug)]
pub(crate) struct Transform {
    pub input: usize,
    pub rule: Node,
    pub content: Node,
}

#[derive(Debug)]
pub(crate) struct HashPrng {
    pub inputs: Box<[usize]>,
    pub distribution: Distribution,
}

/// Reusable buffers of an evaluation.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub stack: Vec<f64>,
}

impl Value<'_> {
    /// The number a binning or formula sees (an integer converted).
    #[inline]
    pub(crate) fn as_real(&self) -> f64 {
        match *self {
            Value::Real(f) => f,
            Value::Int(i) => i as f64,
            Value::Str(_) => f64::NAN,
        }
    }
}

/// The bin of `value` on `edges` with `flow`, as correctionlib's
/// `find_bin_idx`: `0..n` a bin, `n` the default slot.
pub(crate) fn find_bin(
    value: f64,
    edges: &Edges,
    flow: Flow,
    input: usize,
) -> Result<usize, Refusal> {
    let n = edges.n_bins();
    let (low, high) = edges.range();
    let out_of_range = || Refusal::OutOfRange {
        input,
        value,
        low,
        high,
    };
    match edges {
        Edges::Uniform { .. } => {
            if value.is_nan() {
                return Err(Refusal::NanInUniform { input });
            }
            if value < low || value >= high {
                match flow {
                    Flow::Value => return Ok(n),
                    Flow::Clamp => return Ok(if value < low { 0 } else { n - 1 }),
                    Flow::Error => return Err(out_of_range()),
                    Flow::Wrap => {}
                }
            }
            let mut norm = (value - low) / (high - low);
            if flow == Flow::Wrap {
                norm -= norm.floor();
                if !norm.is_finite() {
                    return Err(Refusal::Unwrappable { input, value });
                }
            }
            Ok(((n as f64 * norm) as usize).min(n))
        }
        Edges::List(e) => {
            let mut v = value;
            if flow == Flow::Wrap {
                let mut norm = (v - low) / (high - low);
                norm -= norm.floor();
                v = low + norm * (high - low);
            }
            // std::upper_bound: the first edge greater than v.
            // (`v >= edge` would differ for NaN, which belongs past the last edge.)
            let pos =
                e.partition_point(|&edge| v.partial_cmp(&edge) != Some(std::cmp::Ordering::Less));
            if pos == 0 || pos == e.len() {
                match flow {
                    Flow::Value => Ok(n),
                    Flow::Error => Err(out_of_range()),
                    Flow::Wrap => Err(Refusal::Unwrappable { input, value }),
                    Flow::Clamp => Ok(if pos == 0 { 0 } else { n - 1 }),
                }
            } else {
                Ok(pos - 1)
            }
        }
    }
}

impl Node {
    /// The node's value on one row (inputs already checked against the
    /// correction's signature).
    pub(crate) fn eval(&self, row: &[Value], s: &mut Scratch) -> Result<f64, Refusal> {
        match self {
            Node::Const(c) => Ok(*c),
            Node::Binning(b) => {
                let i = find_bin(row[b.input].as_real(), &b.edges, b.flow, b.input)?;
                b.content.get(i).unwrap_or(&b.default).eval(row, s)
            }
            Node::MultiBinning(m) => m.eval(row, s),
            Node::Category(c) => c.eval(row, s),
            Node::Formula(f) => {
                Ok(f.bound
                    .expr
                    .eval(|k| row[f.bound.vars[k]].as_real(), &f.params, &mut s.stack))
            }
            Node::FormulaRef(f) => Ok(f.generic.expr.eval(
                |k| row[f.generic.vars[k]].as_real(),
                &f.params,
                &mut s.stack,
            )),
            Node::Transform(t) => {
                let new = t.rule.eval(row, s)?;
                let mut changed: Vec<Value> = row.to_vec();
                changed[t.input] = match row[t.input] {
                    Value::Int(_) => Value::Int(new.round() as i64),
                    _ => Value::Real(new),
                };
                t.content.eval(&changed, s)
            }
            Node::HashPrng(h) => Ok(hashprng::draw(
                h.inputs.iter().map(|&i| &row[i]),
                h.distribution,
            )),
        }
    }
}

impl MultiBinning {
    fn eval(&self, row: &[Value], s: &mut Scratch) -> Result<f64, Refusal> {
        let mut idx = 0;
        for axis in &self.axes {
            let local = find_bin(
                row[axis.input].as_real(),
                &axis.edges,
                self.flow,
                axis.input,
            )?;
            if local == axis.edges.n_bins() {
                // correctionlib returns its content's last element: the flow
                // value if there is one, otherwise the last bin.
                let last = self.flow_value.as_ref().or(self.content.last());
                return match last {
                    Some(node) => node.eval(row, s),
                    None => Ok(0.0),
                };
            }
            idx += local * axis.stride;
        }
        match self.content.get(idx) {
            Some(node) => node.eval(row, s),
            None => Ok(0.0),
        }
    }
}

impl Category {
    fn eval(&self, row: &[Value], s: &mut Scratch) -> Result<f64, Refusal> {
        let found = match (&self.keys, &row[self.input]) {
            (Keys::Int(items), Value::Int(k)) => items
                .binary_search_by_key(k, |(key, _)| *key)
                .ok()
                .map(|i| &items[i].1),
            (Keys::Str { items, index }, Value::Str(k)) => match index {
                Some(map) => map.get(*k).map(|&i| &items[i].1),
                None => items.iter().find(|(key, _)| &**key == *k).map(|(_, n)| n),
            },
            _ => None,
        };
        match found.or(self.default.as_ref()) {
            Some(node) => node.eval(row, s),
            None => Err(Refusal::NoKey {
                input: self.input,
                key: match row[self.input] {
                    Value::Int(i) => Key::Int(i),
                    Value::Str(s) => Key::Str(s.to_string()),
                    Value::Real(f) => Key::Str(f.to_string()),
                },
                keys: self.key_list(),
            }),
        }
    }

    /// The keys, sorted.
    pub(crate) fn key_list(&self) -> Vec<Key> {
        let mut keys: Vec<Key> = match &self.keys {
            Keys::Int(items) => items.iter().map(|(k, _)| Key::Int(*k)).collect(),
            Keys::Str { items, .. } => items.iter().map(|(k, _)| Key::Str(k.to_string())).collect(),
        };
        keys.sort();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_binning_edges_and_flows() {
        let e = Edges::List(vec![0.0, 1.0, 2.0, 4.0]);
        let bin = |v: f64, f: Flow| find_bin(v, &e, f, 0);
        assert_eq!(bin(0.0, Flow::Error), Ok(0));
        assert_eq!(bin(0.999, Flow::Error), Ok(0));
        assert_eq!(bin(1.0, Flow::Error), Ok(1));
        assert_eq!(bin(3.9, Flow::Error), Ok(2));
        assert!(matches!(
            bin(4.0, Flow::Error),
            Err(Refusal::OutOfRange { .. })
        ));
        assert!(matches!(
            bin(-0.1, Flow::Error),
            Err(Refusal::OutOfRange { .. })
        ));
        assert_eq!(bin(4.0, Flow::Clamp), Ok(2));
        assert_eq!(bin(-5.0, Flow::Clamp), Ok(0));
        assert_eq!(bin(f64::NAN, Flow::Clamp), Ok(2));
        assert_eq!(bin(9.0, Flow::Value), Ok(3));
        assert_eq!(bin(-9.0, Flow::Value), Ok(3));
        // wrap: 5 → 1 (period 4), -1 → 3
        assert_eq!(bin(5.0, Flow::Wrap), Ok(1));
        assert_eq!(bin(-1.0, Flow::Wrap), Ok(2));
    }

    #[test]
    fn uniform_binning_edges_and_flows() {
        let e = Edges::Uniform {
            n: 4,
            low: 0.0,
            high: 2.0,
        };
        let bin = |v: f64, f: Flow| find_bin(v, &e, f, 0);
        assert_eq!(bin(0.0, Flow::Error), Ok(0));
        assert_eq!(bin(0.5, Flow::Error), Ok(1));
        assert_eq!(bin(1.99, Flow::Error), Ok(3));
        assert!(bin(2.0, Flow::Error).is_err());
        assert_eq!(bin(2.0, Flow::Clamp), Ok(3));
        assert_eq!(bin(-1.0, Flow::Clamp), Ok(0));
        assert_eq!(bin(7.0, Flow::Value), Ok(4));
        assert_eq!(bin(2.25, Flow::Wrap), Ok(0));
        assert_eq!(bin(-0.25, Flow::Wrap), Ok(3));
        assert!(matches!(
            bin(f64::NAN, Flow::Clamp),
            Err(Refusal::NanInUniform { .. })
        ));
        assert!(matches!(
            bin(f64::INFINITY, Flow::Wrap),
            Err(Refusal::Unwrappable { .. })
        ));
    }
}
