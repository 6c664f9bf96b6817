//! Compound corrections: a stack of corrections applied in turn, each one's
//! output updating some inputs of the next (`input_op`) and accumulating
//! into the result (`output_op`), e.g. the JEC levels L1 × L2 × L3 × residual
//! where each level sees the pt corrected by the previous ones.

use std::sync::Arc;

use crate::correction::Correction;
use crate::error::{Error, Refusal, Result};
use crate::eval::{check_columns, check_values, for_rows, refused, Column, Value};
use crate::nodes::Scratch;
use crate::schema::Variable;

/// How a compound correction accumulates a component's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOp {
    /// `x + c`
    Add,
    /// `x · c`
    Multiply,
    /// `x / c`
    Divide,
    /// `c` (the last component's output; `output_op` only)
    Last,
}

impl UpdateOp {
    /// The operator as the file writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            UpdateOp::Add => "+",
            UpdateOp::Multiply => "*",
            UpdateOp::Divide => "/",
            UpdateOp::Last => "last",
        }
    }

    #[inline]
    fn apply(self, x: f64, c: f64) -> f64 {
        match self {
            UpdateOp::Add => x + c,
            UpdateOp::Multiply => x * c,
            UpdateOp::Divide => x / c,
            UpdateOp::Last => c,
        }
    }
}

/// A compound correction of a file.
#[derive(Debug)]
pub struct CompoundCorrection {
    name: String,
    description: String,
    inputs: Vec<Variable>,
    output: Variable,
    update: Vec<usize>,
    input_op: UpdateOp,
    output_op: UpdateOp,
    /// Components, with the positions of their inputs among ours.
    stack: Vec<(Arc<Correction>, Vec<usize>)>,
    origin: Arc<str>,
}

/// Reusable buffers of a compound evaluation.
#[derive(Default)]
struct Buffers<'a> {
    updated: Vec<Value<'a>>,
    component: Vec<Value<'a>>,
    scratch: Scratch,
}

impl CompoundCorrection {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        name: String,
        description: String,
        inputs: Vec<Variable>,
        output: Variable,
        update: Vec<usize>,
        input_op: UpdateOp,
        output_op: UpdateOp,
        stack: Vec<(Arc<Correction>, Vec<usize>)>,
        origin: Arc<str>,
    ) -> Self {
        CompoundCorrection {
            name,
            description,
            inputs,
            output,
            update,
            input_op,
            output_op,
            stack,
            origin,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its description (empty if none).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Its inputs.
    pub fn inputs(&self) -> &[Variable] {
        &self.inputs
    }

    /// Its output.
    pub fn output(&self) -> &Variable {
        &self.output
    }

    /// The file it comes from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The components, in order.
    pub fn stack(&self) -> impl Iterator<Item = &Correction> {
        self.stack.iter().map(|(c, _)| &**c)
    }

    /// The inputs that each component's output updates.
    pub fn inputs_update(&self) -> impl Iterator<Item = &Variable> {
        self.update.iter().map(|&i| &self.inputs[i])
    }

    /// How the updated inputs are changed by each output.
    pub fn input_op(&self) -> UpdateOp {
        self.input_op
    }

    /// How the outputs are combined.
    pub fn output_op(&self) -> UpdateOp {
        self.output_op
    }

    /// The value for one set of inputs, as correctionlib's `evaluate`.
    pub fn evaluate(&self, args: &[Value]) -> Result<f64> {
        check_values(&self.inputs, args).map_err(|m| self.inputs_error(m))?;
        self.eval_row(args, &mut Buffers::default())
            .map_err(|r| refused(&self.origin, &self.name, &self.inputs, None, &r))
    }

    /// The values on whole columns (see [`Correction::evaluate_columns`]).
    pub fn evaluate_columns(&self, cols: &[Column]) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        self.evaluate_columns_into(cols, &mut out)?;
        Ok(out)
    }

    /// As [`CompoundCorrection::evaluate_columns`], appending to `out`.
    pub fn evaluate_columns_into(&self, cols: &[Column], out: &mut Vec<f64>) -> Result<()> {
        let n = check_columns(&self.inputs, cols).map_err(|m| self.inputs_error(m))?;
        let mut buf = Buffers::default();
        for_rows(cols, n, out, |row| self.eval_row(row, &mut buf))
            .map_err(|(i, r)| refused(&self.origin, &self.name, &self.inputs, Some(i), &r))
    }

    fn eval_row<'a>(&self, row: &[Value<'a>], buf: &mut Buffers<'a>) -> Result<f64, Refusal> {
        buf.updated.clear();
        buf.updated.extend_from_slice(row);
        let mut out = 0.0;
        for (k, (corr, map)) in self.stack.iter().enumerate() {
            buf.component.clear();
            buf.component.extend(map.iter().map(|&i| buf.updated[i]));
            let c = corr
                .eval_row(&buf.component, &mut buf.scratch)
                .map_err(|r| {
                    let names = |i: usize| {
                        corr.inputs()
                            .get(i)
                            .map_or_else(|| format!("#{i}"), |v| v.name.clone())
                    };
                    Refusal::InComponent {
                        component: corr.name().to_string(),
                        message: r.message(&names),
                    }
                })?;
            for &i in &self.update {
                if let Value::Real(x) = buf.updated[i] {
                    buf.updated[i] = Value::Real(self.input_op.apply(x, c));
                }
            }
            out = if k == 0 {
                c
            } else {
                self.output_op.apply(out, c)
            };
        }
        Ok(out)
    }

    fn inputs_error(&self, message: String) -> Error {
        Error::Inputs {
            origin: self.origin.to_string(),
            correction: self.name.clone(),
            message,
        }
    }
}
