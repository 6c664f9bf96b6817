//! Content nodes from JSON: Binning, MultiBinning, Category, Formula,
//! FormulaRef, Transform, HashPRNG and numbers, checked against the
//! correction's inputs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::hashprng::Distribution;
use crate::json::{Json, Object, MAX_DEPTH};
use crate::nodes::{
    Axis, Binning, Bound, Category, Edges, Flow, Formula, FormulaRef, HashPrng, Keys, MultiBinning,
    Node, Transform,
};
use crate::schema::{Builder, VarType, Variable};

/// Categories with more keys than this get a hash index.
const INDEX_ABOVE: usize = 8;

/// What the nodes of one correction refer to.
pub(crate) struct CorrCtx<'a> {
    pub inputs: &'a [Variable],
    pub generic: &'a [Arc<Bound>],
}

/// The index of input `name`.
pub(crate) fn input_index(b: &Builder, name: &str, inputs: &[Variable]) -> Result<usize> {
    inputs.iter().position(|v| v.name == name).ok_or_else(|| {
        let names: Vec<&str> = inputs.iter().map(|v| v.name.as_str()).collect();
        b.err(format!(
            "'{name}' is not an input of the correction (inputs: {}){}",
            names.join(", "),
            cortado_yaml::did_you_mean(name, names.iter().copied())
        ))
    })
}

/// The index of input `name`, which a binning or transform uses as a number.
fn numeric_input(b: &Builder, name: &str, inputs: &[Variable], node: &str) -> Result<usize> {
    let i = input_index(b, name, inputs)?;
    if inputs[i].kind == VarType::String {
        return Err(b.err(format!("{node} cannot use the string input '{name}'")));
    }
    Ok(i)
}

impl Builder<'_> {
    /// A content node: a number or an object with a `nodetype`.
    pub(crate) fn content(&mut self, j: &Json, ctx: &CorrCtx, depth: usize) -> Result<Node> {
        if depth > MAX_DEPTH {
            return Err(self.err("content nodes nest too deeply"));
        }
        let o = match j {
            Json::Num(n) => return Ok(Node::Const(n.f)),
            Json::Obj(o) => o,
            other => {
                return Err(self.err(format!(
                    "expected a number or a content node (an object with a 'nodetype'), not {}",
                    other.kind()
                )))
            }
        };
        let kind = self.req_str(o, "nodetype")?;
        Ok(match kind {
            "binning" => Node::Binning(Box::new(self.binning(o, ctx, depth)?)),
            "multibinning" => Node::MultiBinning(Box::new(self.multibinning(o, ctx, depth)?)),
            "category" => Node::Category(Box::new(self.category(o, ctx, depth)?)),
            "formula" => {
                let (bound, params) = self.bound_formula(o, ctx.inputs)?;
                if bound.expr.n_params > params.len() {
                    return Err(self.err(format!(
                        "the formula uses {} parameters but 'parameters' holds {}",
                        bound.expr.n_params,
                        params.len()
                    )));
                }
                Node::Formula(Box::new(Formula {
                    bound,
                    params: params.into(),
                }))
            }
            "formularef" => Node::FormulaRef(Box::new(self.formularef(o, ctx)?)),
            "transform" => Node::Transform(Box::new(self.transform(o, ctx, depth)?)),
            "hashprng" => Node::HashPrng(Box::new(self.hashprng(o, ctx)?)),
            "lwtnn" => {
                return Err(
                    self.err("nodetype \"lwtnn\" (a neural network) is not supported by cortado")
                )
            }
            "switch" => {
                return Err(self.err(
                    "nodetype \"switch\" is not part of correctionlib's schema v2 (it is a \
                     proposal, cms-nanoAOD/correctionlib#318) and is not supported",
                ))
            }
            other => {
                const KNOWN: [&str; 7] = [
                    "binning",
                    "multibinning",
                    "category",
                    "formula",
                    "formularef",
                    "transform",
                    "hashprng",
                ];
                return Err(self.err(format!(
                    "unknown nodetype \"{other}\"{}",
                    cortado_yaml::did_you_mean(other, KNOWN)
                )));
            }
        })
    }

    fn edges(&mut self, j: &Json) -> Result<Edges> {
        match j {
            Json::Arr(items) => {
                let mut edges = Vec::with_capacity(items.len());
                for (i, e) in items.iter().enumerate() {
                    let v = match e {
                        // correctionlib refuses an edge written as an integer
                        // ("Invalid edge type"): so does cortado
                        Json::Num(n) if n.int.is_some() => {
                            return Err(self.err(format!(
                                "edge {i} is written as an integer ({}); correctionlib accepts \
                                 only real numbers here: write {}.0",
                                n.f, n.f
                            )))
                        }
                        Json::Num(n) => n.f,
                        Json::Str(s) if s == "inf" || s == "+inf" => f64::INFINITY,
                        Json::Str(s) if s == "-inf" => f64::NEG_INFINITY,
                        other => {
                            return Err(self.err(format!(
                                "edge {i} must be a number, \"inf\" or \"-inf\", not {}",
                                match other {
                                    Json::Str(s) => format!("\"{s}\""),
                                    o => o.kind().to_string(),
                                }
                            )))
                        }
                    };
                    if v.is_nan() {
                        return Err(self.err(format!("edge {i} is NaN")));
                    }
                    if let Some(&prev) = edges.last() {
                        if prev >= v {
                            return Err(self.err(format!(
                                "edges must increase: edge {} = {prev} is followed by {v}",
                                i - 1
                            )));
                        }
                    }
                    edges.push(v);
                }
                if edges.len() < 2 {
                    return Err(self.err("a binning needs at least two edges (one bin)"));
                }
                Ok(Edges::List(edges))
            }
            Json::Obj(o) => {
                let n = self.req_int(o, "n")?;
                let low = self.number(self.req(o, "low")?, "'low'")?;
                let high = self.number(self.req(o, "high")?, "'high'")?;
                if !(1..=i64::from(u32::MAX)).contains(&n) {
                    return Err(self.err(format!("uniform binning: n = {n} bins (must be ≥ 1)")));
                }
                if low >= high || !low.is_finite() || !high.is_finite() {
                    return Err(self.err(format!(
                        "uniform binning: low = {low} must be below high = {high}, both finite"
                    )));
                }
                Ok(Edges::Uniform {
                    n: n as usize,
                    low,
                    high,
                })
            }
            other => Err(self.err(format!(
                "'edges' must be an array of edges or an object {{n, low, high}}, not {}",
                other.kind()
            ))),
        }
    }

    /// The flow behaviour and, for a value or node, its content.
    fn flow(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<(Flow, Option<Node>)> {
        let j = self.req(o, "flow")?;
        Ok(match j {
            Json::Str(s) => match &**s {
                "clamp" => (Flow::Clamp, None),
                "error" => (Flow::Error, None),
                "wrap" => (Flow::Wrap, None),
                other => {
                    return Err(self.err(format!(
                        "'flow' \"{other}\" is not \"clamp\", \"error\", \"wrap\", a number or a node{}",
                        cortado_yaml::did_you_mean(other, ["clamp", "error", "wrap"])
                    )))
                }
            },
            _ => {
                let node = self.at(format_args!(".flow"), |b| b.content(j, ctx, depth + 1))?;
                (Flow::Value, Some(node))
            }
        })
    }

    fn contents(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<Vec<Node>> {
        let items = self.req_arr(o, "content")?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.at(format_args!(".content[{i}]"), |b| {
                b.content(item, ctx, depth + 1)
            })?);
        }
        Ok(out)
    }

    fn binning(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<Binning> {
        let input = numeric_input(self, self.req_str(o, "input")?, ctx.inputs, "a binning")?;
        let edges = self.at(format_args!(".edges"), |b| b.edges(b.req(o, "edges")?))?;
        let content = self.contents(o, ctx, depth)?;
        if content.len() != edges.n_bins() {
            return Err(self.err(format!(
                "{} bins but {} content items",
                edges.n_bins(),
                content.len()
            )));
        }
        let (flow, value) = self.flow(o, ctx, depth)?;
        Ok(Binning {
            input,
            edges,
            content,
            flow,
            default: value.unwrap_or(Node::Const(0.0)),
        })
    }

    fn multibinning(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<MultiBinning> {
        let names = self.strings(o, "inputs")?;
        let edge_items = self.req_arr(o, "edges")?;
        if names.is_empty() || names.len() != edge_items.len() {
            return Err(self.err(format!(
                "{} inputs but {} edge lists (one per input, at least one)",
                names.len(),
                edge_items.len()
            )));
        }
        let mut axes = Vec::with_capacity(names.len());
        for (d, (name, e)) in names.iter().zip(edge_items).enumerate() {
            let input = numeric_input(self, name, ctx.inputs, "a multibinning")?;
            let edges = self.at(format_args!(".edges[{d}]"), |b| b.edges(e))?;
            axes.push(Axis {
                input,
                stride: 0,
                edges,
            });
        }
        let mut stride = 1usize;
        for axis in axes.iter_mut().rev() {
            axis.stride = stride;
            stride = stride
                .checked_mul(axis.edges.n_bins())
                .filter(|&s| s <= 1 << 40)
                .ok_or_else(|| self.err("the multibinning has too many bins"))?;
        }
        let content = self.contents(o, ctx, depth)?;
        if content.len() != stride {
            return Err(self.err(format!(
                "{stride} bins (the product of the axes' bins) but {} content items",
                content.len()
            )));
        }
        let (flow, flow_value) = self.flow(o, ctx, depth)?;
        Ok(MultiBinning {
            axes,
            content,
            flow,
            flow_value,
        })
    }

    fn category(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<Category> {
        let name = self.req_str(o, "input")?;
        let input = input_index(self, name, ctx.inputs)?;
        let kind = ctx.inputs[input].kind;
        if kind == VarType::Real {
            return Err(self.err(format!(
                "a category cannot use the real input '{name}' (only int or string)"
            )));
        }
        let items = self.req_arr(o, "content")?;
        let mut ints: Vec<(i64, Node)> = Vec::new();
        let mut strs: Vec<(Box<str>, Node)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.at(format_args!(".content[{i}]"), |b| {
                let io = b.object(item, "a category item {key, value}")?;
                let key = b.req(io, "key")?;
                let value = b.at(format_args!(".value"), |b| {
                    b.content(b.req(io, "value")?, ctx, depth + 1)
                })?;
                match (key, kind) {
                    (Json::Str(s), VarType::String) => strs.push((Box::from(&**s), value)),
                    (Json::Num(n), VarType::Int) if n.int.is_some() => {
                        ints.push((n.int.unwrap_or(0), value))
                    }
                    (k, _) => {
                        return Err(b.err(format!(
                            "key {} does not fit the {} input '{name}'",
                            match k {
                                Json::Str(s) => format!("\"{s}\""),
                                Json::Num(n) => n.f.to_string(),
                                other => other.kind().to_string(),
                            },
                            kind.name()
                        )))
                    }
                }
                Ok(())
            })?;
        }
        let keys = if kind == VarType::Int {
            // Stable sort, then keep the first of equal keys (correctionlib's try_emplace).
            ints.sort_by_key(|(k, _)| *k);
            ints.dedup_by_key(|(k, _)| *k);
            Keys::Int(ints)
        } else {
            let mut seen = HashMap::new();
            strs.retain(|(k, _)| seen.insert(k.clone(), ()).is_none());
            let index = (strs.len() > INDEX_ABOVE).then(|| {
                strs.iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect()
            });
            Keys::Str { items: strs, index }
        };
        let default = match o.get("default") {
            None | Some(Json::Null) => None,
            Some(j) => Some(self.at(format_args!(".default"), |b| b.content(j, ctx, depth + 1))?),
        };
        Ok(Category {
            input,
            keys,
            default,
        })
    }

    fn formularef(&mut self, o: &Object, ctx: &CorrCtx) -> Result<FormulaRef> {
        let index = self.req_int(o, "index")?;
        let generic = usize::try_from(index)
            .ok()
            .and_then(|i| ctx.generic.get(i))
            .ok_or_else(|| {
                self.err(format!(
                    "formularef index {index}: the correction has {} generic formulas",
                    ctx.generic.len()
                ))
            })?
            .clone();
        let params = self
            .req_arr(o, "parameters")?
            .iter()
            .map(|j| self.number(j, "a parameter"))
            .collect::<Result<Vec<f64>>>()?;
        if generic.expr.n_params > params.len() {
            return Err(self.err(format!(
                "generic formula {index} uses {} parameters but this reference gives {}",
                generic.expr.n_params,
                params.len()
            )));
        }
        Ok(FormulaRef {
            generic,
            params: params.into(),
        })
    }

    fn transform(&mut self, o: &Object, ctx: &CorrCtx, depth: usize) -> Result<Transform> {
        let input = numeric_input(self, self.req_str(o, "input")?, ctx.inputs, "a transform")?;
        let rule = self.at(format_args!(".rule"), |b| {
            b.content(b.req(o, "rule")?, ctx, depth + 1)
        })?;
        let content = self.at(format_args!(".content"), |b| {
            b.content(b.req(o, "content")?, ctx, depth + 1)
        })?;
        Ok(Transform {
            input,
            rule,
            content,
        })
    }

    fn hashprng(&mut self, o: &Object, ctx: &CorrCtx) -> Result<HashPrng> {
        let names = self.strings(o, "inputs")?;
        if names.is_empty() {
            return Err(self.err("a hashprng needs at least one input"));
        }
        let inputs = names
            .iter()
            .map(|n| numeric_input(self, n, ctx.inputs, "a hashprng"))
            .collect::<Result<Vec<usize>>>()?;
        let dist = self.req_str(o, "distribution")?;
        let distribution = Distribution::from_name(dist).ok_or_else(|| {
            self.err(format!(
                "unknown distribution \"{dist}\" (stdflat, stdnormal or normal){}",
                cortado_yaml::did_you_mean(dist, ["stdflat", "stdnormal", "normal"])
            ))
        })?;
        Ok(HashPrng {
            inputs: inputs.into(),
            distribution,
        })
    }
}
