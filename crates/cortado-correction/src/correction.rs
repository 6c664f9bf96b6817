//! A correction: its signature and its evaluation on one row or on columns.

use std::sync::Arc;

use crate::error::{Error, Refusal, Result};
use crate::eval::{check_columns, check_values, for_rows, refused, Column, Value};
use crate::nodes::{Node, Scratch};
use crate::schema::Variable;

/// One correction of a file: a function of its inputs, given by a tree of
/// content nodes.
#[derive(Debug)]
pub struct Correction {
    name: String,
    description: String,
    version: i64,
    inputs: Vec<Variable>,
    output: Variable,
    pub(crate) data: Node,
    origin: Arc<str>,
}

impl Correction {
    pub(crate) fn new(
        name: String,
        description: String,
        version: i64,
        inputs: Vec<Variable>,
        output: Variable,
        data: Node,
        origin: Arc<str>,
    ) -> Self {
        Correction {
            name,
            description,
            version,
            inputs,
            output,
            data,
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

    /// Its version.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Its inputs, in the order evaluation takes them.
    pub fn inputs(&self) -> &[Variable] {
        &self.inputs
    }

    /// Its output (always real).
    pub fn output(&self) -> &Variable {
        &self.output
    }

    /// The file it comes from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The value of the correction for one set of inputs (one per input, of
    /// its type), as correctionlib's `evaluate`.
    ///
    /// ```
    /// use cortado_correction::{CorrectionSet, Value};
    /// let json = r#"{"schema_version": 2, "corrections": [{"name": "sf", "version": 1,
    ///   "inputs": [{"name": "pt", "type": "real"}], "output": {"name": "w", "type": "real"},
    ///   "data": {"nodetype": "binning", "input": "pt", "edges": [0.0, 50.0, 100.0],
    ///            "content": [0.9, 1.1], "flow": "clamp"}}]}"#;
    /// let set = CorrectionSet::from_slice(json.as_bytes(), "example.json")?;
    /// assert_eq!(set.get("sf")?.evaluate(&[Value::Real(70.0)])?, 1.1);
    /// # Ok::<(), cortado_correction::Error>(())
    /// ```
    pub fn evaluate(&self, args: &[Value]) -> Result<f64> {
        check_values(&self.inputs, args).map_err(|m| self.inputs_error(m))?;
        self.eval_row(args, &mut Scratch::default())
            .map_err(|r| refused(&self.origin, &self.name, &self.inputs, None, &r))
    }

    /// The values of the correction on whole columns (one per input; a
    /// [`Column::Scalar`] stands for the same value on every row). The
    /// first row the correction refuses stops the evaluation with an
    /// error naming the row, the input, its value and what is allowed.
    pub fn evaluate_columns(&self, cols: &[Column]) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        self.evaluate_columns_into(cols, &mut out)?;
        Ok(out)
    }

    /// As [`Correction::evaluate_columns`], appending to `out`.
    pub fn evaluate_columns_into(&self, cols: &[Column], out: &mut Vec<f64>) -> Result<()> {
        let n = check_columns(&self.inputs, cols).map_err(|m| self.inputs_error(m))?;
        let mut scratch = Scratch::default();
        for_rows(cols, n, out, |row| self.eval_row(row, &mut scratch))
            .map_err(|(i, r)| refused(&self.origin, &self.name, &self.inputs, Some(i), &r))
    }

    /// One row, already checked.
    pub(crate) fn eval_row(&self, row: &[Value], s: &mut Scratch) -> Result<f64, Refusal> {
        self.data.eval(row, s)
    }

    fn inputs_error(&self, message: String) -> Error {
        Error::Inputs {
            origin: self.origin.to_string(),
            correction: self.name.clone(),
            message,
        }
    }
}
