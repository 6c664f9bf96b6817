//! What a correction expects of its inputs (ranges, keys), found by walking
//! its nodes, and the text of `cortado correction summary`, in the spirit of
//! correctionlib's `correction summary`.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::compound::CompoundCorrection;
use crate::correction::Correction;
use crate::error::Key;
use crate::nodes::{Flow, Node};
use crate::schema::{VarType, Variable};
use crate::set::CorrectionSet;

/// What a correction's nodes do with one input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    /// The input.
    pub variable: Variable,
    /// Whether any node reads it.
    pub used: bool,
    /// For a binned input: the lowest low edge and the highest high edge.
    pub range: Option<(f64, f64)>,
    /// Whether every binning of it accepts values outside its edges (no flow "error").
    pub overflow_ok: bool,
    /// The keys of the categories on it, sorted.
    pub keys: Vec<Key>,
    /// Whether a category on it has a default.
    pub has_default: bool,
    /// Whether a transform rewrites it.
    pub transformed: bool,
}

impl Correction {
    /// For each input, what the nodes do with it.
    pub fn input_summary(&self) -> Vec<InputSummary> {
        let mut w = Walk::new(self.inputs());
        w.node(&self.data);
        w.finish()
    }

    /// How many nodes of each type the correction has, by type name.
    pub fn node_counts(&self) -> Vec<(&'static str, usize)> {
        let mut w = Walk::new(self.inputs());
        w.node(&self.data);
        w.counts.into_iter().filter(|(_, n)| *n > 0).collect()
    }
}

struct Walk {
    summaries: Vec<InputSummary>,
    keys: Vec<BTreeSet<Key>>,
    counts: Vec<(&'static str, usize)>,
}

impl Walk {
    fn new(inputs: &[Variable]) -> Self {
        let names = [
            "Binning",
            "MultiBinning",
            "Category",
            "Formula",
            "FormulaRef",
            "Transform",
            "HashPRNG",
        ];
        Walk {
            summaries: inputs
                .iter()
                .map(|v| InputSummary {
                    variable: v.clone(),
                    used: false,
                    range: None,
                    overflow_ok: true,
                    keys: Vec::new(),
                    has_default: false,
                    transformed: false,
                })
                .collect(),
            keys: vec![BTreeSet::new(); inputs.len()],
            counts: names.iter().map(|n| (*n, 0)).collect(),
        }
    }

    fn count(&mut self, k: usize) {
        self.counts[k].1 += 1;
    }

    fn binned(&mut self, input: usize, range: (f64, f64), flow: Flow) {
        let s = &mut self.summaries[input];
        s.used = true;
        s.overflow_ok &= flow != Flow::Error;
        s.range = Some(match s.range {
            None => range,
            Some((lo, hi)) => (lo.min(range.0), hi.max(range.1)),
        });
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::Const(_) => {}
            Node::Binning(b) => {
                self.count(0);
                self.binned(b.input, b.edges.range(), b.flow);
                b.content.iter().for_each(|c| self.node(c));
                if b.flow == Flow::Value {
                    self.node(&b.default);
                }
            }
            Node::MultiBinning(m) => {
                self.count(1);
                for a in &m.axes {
                    self.binned(a.input, a.edges.range(), m.flow);
                }
                m.content.iter().for_each(|c| self.node(c));
                m.flow_value.iter().for_each(|c| self.node(c));
            }
            Node::Category(c) => {
                self.count(2);
                self.summaries[c.input].used = true;
                self.summaries[c.input].has_default |= c.default.is_some();
                self.keys[c.input].extend(c.key_list());
                match &c.keys {
                    crate::nodes::Keys::Int(items) => items.iter().for_each(|(_, v)| self.node(v)),
                    crate::nodes::Keys::Str { items, .. } => {
                        items.iter().for_each(|(_, v)| self.node(v))
                    }
                }
                c.default.iter().for_each(|d| self.node(d));
            }
            Node::Formula(f) => {
                self.count(3);
                for &v in f.bound.vars.iter() {
                    self.summaries[v].used = true;
                }
            }
            Node::FormulaRef(f) => {
                self.count(4);
                for &v in f.generic.vars.iter() {
                    self.summaries[v].used = true;
                }
            }
            Node::Transform(t) => {
                self.count(5);
                self.summaries[t.input].used = true;
                self.summaries[t.input].transformed = true;
                self.node(&t.rule);
                self.node(&t.content);
            }
            Node::HashPrng(h) => {
                self.count(6);
                for &v in h.inputs.iter() {
                    self.summaries[v].used = true;
                }
            }
        }
    }

    /// The summaries, with the keys collected.
    fn finish(mut self) -> Vec<InputSummary> {
        for (s, k) in self.summaries.iter_mut().zip(self.keys) {
            s.keys = k.into_iter().collect();
        }
        self.summaries
    }
}

fn variable_line(out: &mut String, v: &Variable) {
    let _ = write!(out, "    {} ({})", v.name, v.kind.name());
    if !v.description.is_empty() {
        let _ = write!(out, ": {}", v.description);
    }
    out.push('\n');
}

fn correction_text(out: &mut String, c: &Correction) {
    let _ = writeln!(out, "correction {} (v{})", c.name(), c.version());
    if !c.description().is_empty() {
        let _ = writeln!(out, "  {}", c.description());
    }
    let counts: Vec<String> = c
        .node_counts()
        .iter()
        .map(|(n, k)| format!("{n} {k}"))
        .collect();
    let _ = writeln!(out, "  nodes: {}", counts.join(", "));
    let _ = writeln!(out, "  inputs:");
    for s in c.input_summary() {
        variable_line(out, &s.variable);
        let mut facts = Vec::new();
        if !s.used {
            facts.push("unused".to_string());
        }
        if s.variable.kind == VarType::Real || s.range.is_some() {
            if let Some((lo, hi)) = s.range {
                facts.push(format!("range [{lo}, {hi})"));
                facts.push(
                    if s.overflow_ok {
                        "overflow ok"
                    } else {
                        "out of range is an error"
                    }
                    .into(),
                );
            }
        }
        if !s.keys.is_empty() {
            let keys: Vec<String> = s.keys.iter().map(|k| k.to_string()).collect();
            facts.push(format!("values {}", keys.join(", ")));
        }
        if s.has_default {
            facts.push("has default".into());
        }
        if s.transformed {
            facts.push("has transform".into());
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "      {}", facts.join("; "));
        }
    }
    let _ = writeln!(out, "  output:");
    variable_line(out, c.output());
}

fn compound_text(out: &mut String, c: &CompoundCorrection) {
    let _ = writeln!(out, "compound correction {}", c.name());
    if !c.description().is_empty() {
        let _ = writeln!(out, "  {}", c.description());
    }
    let stack: Vec<&str> = c.stack().map(|s| s.name()).collect();
    let _ = writeln!(out, "  stack: {}", stack.join(", "));
    let _ = writeln!(out, "  inputs:");
    let updated: Vec<&str> = c.inputs_update().map(|v| v.name.as_str()).collect();
    for v in c.inputs() {
        variable_line(out, v);
        if updated.contains(&v.name.as_str()) {
            let _ = writeln!(
                out,
                "      updated by each component with ({})",
                c.input_op().symbol()
            );
        }
    }
    let _ = writeln!(
        out,
        "  output (components combined with {}):",
        c.output_op().symbol()
    );
    variable_line(out, c.output());
}

/// The text of `cortado correction summary`: every correction with its
/// inputs (types, ranges, keys), output, version and description.
pub fn summary_text(set: &CorrectionSet) -> String {
    let mut out = String::new();
    let n = set.corrections().count();
    let m = set.compound_corrections().count();
    let _ = writeln!(out, "{} (schema v{})", set.origin(), set.schema_version());
    if !set.description().is_empty() {
        let _ = writeln!(out, "{}", set.description());
    }
    let _ = writeln!(out, "{n} corrections, {m} compound corrections");
    for c in set.corrections() {
        out.push('\n');
        correction_text(&mut out, c);
    }
    for c in set.compound_corrections() {
        out.push('\n');
        compound_text(&mut out, c);
    }
    out
}
