//! Arguments of an evaluation (one value per input, or one column per
//! input), their checks against a correction's signature, and the loop over
//! the rows of columns.

use crate::error::{Error, Refusal};
use crate::schema::{VarType, Variable};

/// One input value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// For a `real` input.
    Real(f64),
    /// For an `int` input.
    Int(i64),
    /// For a `string` input.
    Str(&'a str),
}

impl Value<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Real(_) => "real",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
        }
    }

    fn fits(&self, t: VarType) -> bool {
        matches!(
            (self, t),
            (Value::Real(_), VarType::Real)
                | (Value::Int(_), VarType::Int)
                | (Value::Str(_), VarType::String)
        )
    }
}

/// One input of a column evaluation: a column (all array columns have the
/// same length) or a single value used for every row.
///
/// `real` inputs take `F64` or `F32` columns (`f32` values are converted to
/// `f64`, as numpy does when correctionlib evaluates a `float32` array),
/// `int` inputs `I64` or `I32`, `string` inputs `Str`.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// Real values.
    F64(&'a [f64]),
    /// Real values stored as `f32` (NanoAOD's floats).
    F32(&'a [f32]),
    /// Integer values.
    I64(&'a [i64]),
    /// Integer values stored as `i32` (NanoAOD's ints).
    I32(&'a [i32]),
    /// Strings.
    Str(&'a [&'a str]),
    /// One value for every row (e.g. the systematic `"nominal"`).
    Scalar(Value<'a>),
}

impl<'a> Column<'a> {
    /// Number of rows, `None` for a scalar.
    pub fn len(&self) -> Option<usize> {
        match self {
            Column::F64(v) => Some(v.len()),
            Column::F32(v) => Some(v.len()),
            Column::I64(v) => Some(v.len()),
            Column::I32(v) => Some(v.len()),
            Column::Str(v) => Some(v.len()),
            Column::Scalar(_) => None,
        }
    }

    /// Whether the column has no rows (a scalar has one).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    fn type_name(&self) -> &'static str {
        match self {
            Column::F64(_) => "an f64 column",
            Column::F32(_) => "an f32 column",
            Column::I64(_) => "an i64 column",
            Column::I32(_) => "an i32 column",
            Column::Str(_) => "a string column",
            Column::Scalar(v) => match v {
                Value::Real(_) => "a real value",
                Value::Int(_) => "an int value",
                Value::Str(_) => "a string value",
            },
        }
    }

    fn fits(&self, t: VarType) -> bool {
        match self {
            Column::F64(_) | Column::F32(_) => t == VarType::Real,
            Column::I64(_) | Column::I32(_) => t == VarType::Int,
            Column::Str(_) => t == VarType::String,
            Column::Scalar(v) => v.fits(t),
        }
    }

    /// The value at `row` (in bounds: checked by [`check_columns`]).
    #[inline]
    fn get(&self, row: usize) -> Value<'a> {
        match *self {
            Column::F64(v) => Value::Real(v[row]),
            Column::F32(v) => Value::Real(f64::from(v[row])),
            Column::I64(v) => Value::Int(v[row]),
            Column::I32(v) => Value::Int(i64::from(v[row])),
            Column::Str(v) => Value::Str(v[row]),
            Column::Scalar(v) => v,
        }
    }
}

/// The signature "(pt: real, eta: real, syst: string)".
pub(crate) fn signature(inputs: &[Variable]) -> String {
    let parts: Vec<String> = inputs
        .iter()
        .map(|v| format!("{}: {}", v.name, v.kind.name()))
        .collect();
    format!("({})", parts.join(", "))
}

/// Checks one row of arguments against the inputs.
pub(crate) fn check_values(inputs: &[Variable], args: &[Value]) -> Result<(), String> {
    if args.len() != inputs.len() {
        return Err(format!(
            "takes {} inputs {}, got {}",
            inputs.len(),
            signature(inputs),
            args.len()
        ));
    }
    for (var, arg) in inputs.iter().zip(args) {
        if !arg.fits(var.kind) {
            return Err(format!(
                "input '{}' is {}, got a {} value",
                var.name,
                var.kind.name(),
                arg.type_name()
            ));
        }
    }
    Ok(())
}

/// Checks columns against the inputs; returns the number of rows (1 when
/// every argument is a scalar).
pub(crate) fn check_columns(inputs: &[Variable], cols: &[Column]) -> Result<usize, String> {
    if cols.len() != inputs.len() {
        return Err(format!(
            "takes {} inputs {}, got {} columns",
            inputs.len(),
            signature(inputs),
            cols.len()
        ));
    }
    let mut rows: Option<(usize, &str)> = None;
    for (var, col) in inputs.iter().zip(cols) {
        if !col.fits(var.kind) {
            return Err(format!(
                "input '{}' is {}, got {}",
                var.name,
                var.kind.name(),
                col.type_name()
            ));
        }
        if let Some(n) = col.len() {
            match rows {
                None => rows = Some((n, &var.name)),
                Some((m, first)) if m != n => {
                    return Err(format!(
                        "columns of different lengths: '{first}' has {m} rows, '{}' has {n}",
                        var.name
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(rows.map_or(1, |r| r.0))
}

/// Evaluates `f` on every row of `cols` (already checked, `n` rows),
/// appending to `out`; stops at the first refusal, with its row.
pub(crate) fn for_rows<'a>(
    cols: &[Column<'a>],
    n: usize,
    out: &mut Vec<f64>,
    mut f: impl FnMut(&[Value<'a>]) -> Result<f64, Refusal>,
) -> Result<(), (usize, Refusal)> {
    out.reserve(n);
    if n == 0 {
        return Ok(());
    }
    let mut row: Vec<Value<'a>> = cols.iter().map(|c| c.get(0)).collect();
    for i in 0..n {
        for (slot, col) in row.iter_mut().zip(cols) {
            *slot = col.get(i);
        }
        out.push(f(&row).map_err(|r| (i, r))?);
    }
    Ok(())
}

/// The error of a refusal, with the correction's input names.
pub(crate) fn refused(
    origin: &str,
    correction: &str,
    inputs: &[Variable],
    row: Option<usize>,
    r: &Refusal,
) -> Error {
    let names = |i: usize| {
        inputs
            .get(i)
            .map_or_else(|| format!("#{i}"), |v| v.name.clone())
    };
    Error::Refused {
        origin: origin.to_string(),
        correction: correction.to_string(),
        row,
        message: r.message(&names),
    }
}
