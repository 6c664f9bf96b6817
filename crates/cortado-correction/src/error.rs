//! Errors: every one names the file (or the origin of the JSON text), and where
//! it applies the correction, the input and the value concerned.

use std::fmt;

/// Everything that can go wrong loading or evaluating corrections.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The file cannot be read or decompressed.
    #[error("{path}: cannot read: {message}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The text is not JSON (or nests too deeply).
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file (or origin of the text).
        origin: String,
        /// 1-based line of the offending character.
        line: usize,
        /// 1-based column (in bytes) of the offending character.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Valid JSON that is not a correctionlib schema-v2 document.
    #[error("{origin}: {at}: {message}")]
    Schema {
        /// The file (or origin of the text).
        origin: String,
        /// Where in the document, e.g. `corrections[2] 'deepJet_shape': data.content[0].value`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A correction name that the set does not hold.
    #[error("{origin}: no correction named '{name}'{hint}")]
    UnknownCorrection {
        /// The file.
        origin: String,
        /// The name asked for.
        name: String,
        /// " (did you mean 'x'?)" or the list of names the file holds.
        hint: String,
    },
    /// Arguments that do not fit the correction's inputs (count, type, length).
    #[error("{origin}: correction '{correction}': {message}")]
    Inputs {
        /// The file.
        origin: String,
        /// The correction.
        correction: String,
        /// What does not fit.
        message: String,
    },
    /// The correction refuses an input value: out of its range with flow
    /// "error", a key its category lacks, a NaN where no bin can hold it.
    #[error("{origin}: correction '{correction}'{}: {message}", RowSuffix(*row))]
    Refused {
        /// The file.
        origin: String,
        /// The correction (for a compound correction: "compound → component").
        correction: String,
        /// The row of a column evaluation.
        row: Option<usize>,
        /// Which input, which value, and what is allowed.
        message: String,
    },
}

/// " (row N)" or nothing.
struct RowSuffix(Option<usize>);

impl fmt::Display for RowSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(r) => write!(f, " (row {r})"),
            None => Ok(()),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A key of a category, for error messages and summaries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// An integer key.
    Int(i64),
    /// A string key.
    Str(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "{i}"),
            Key::Str(s) => write!(f, "\"{s}\""),
        }
    }
}

/// Why a node refused a row (turned into [`Error::Refused`] by the caller,
/// who knows the input names).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// A value outside the edges of a binning with flow "error".
    OutOfRange {
        input: usize,
        value: f64,
        low: f64,
        high: f64,
    },
    /// NaN in a uniform binning (correctionlib's behaviour is undefined there).
    NanInUniform { input: usize },
    /// A value that a "wrap" binning cannot bring back inside its edges.
    Unwrappable { input: usize, value: f64 },
    /// A key that a category without default lacks.
    NoKey {
        input: usize,
        key: Key,
        keys: Vec<Key>,
    },
    /// A component of a compound correction refused (its message is made
    /// with the component's input names).
    InComponent { component: String, message: String },
}

/// The most keys an error message lists.
const MAX_KEYS_LISTED: usize = 12;

impl Refusal {
    /// The message, with the inputs' names.
    pub(crate) fn message(&self, names: &dyn Fn(usize) -> String) -> String {
        match self {
            Refusal::OutOfRange {
                input,
                value,
                low,
                high,
            } => {
                let side = if value < low { "below" } else { "above" };
                format!(
                    "input '{}' = {value} is {side} the range [{low}, {high}) of its binning (flow \"error\")",
                    names(*input)
                )
            }
            Refusal::NanInUniform { input } => format!(
                "input '{}' is NaN, which no bin of its uniform binning holds",
                names(*input)
            ),
            Refusal::Unwrappable { input, value } => format!(
                "input '{}' = {value} cannot be wrapped into its binning (flow \"wrap\")",
                names(*input)
            ),
            Refusal::NoKey { input, key, keys } => {
                let listed: Vec<String> = keys
                    .iter()
                    .take(MAX_KEYS_LISTED)
                    .map(|k| k.to_string())
                    .collect();
                let more = if keys.len() > MAX_KEYS_LISTED {
                    format!(", … {} in all", keys.len())
                } else {
                    String::new()
                };
                let hint = match key {
                    Key::Str(s) => {
                        let strs: Vec<&str> = keys
                            .iter()
                            .filter_map(|k| match k {
                                Key::Str(s) => Some(s.as_str()),
                                Key::Int(_) => None,
                            })
                            .collect();
                        cortado_yaml::did_you_mean(s, strs)
                    }
                    Key::Int(_) => String::new(),
                };
                format!(
                    "input '{}' = {key} is not a key of its category{hint} (valid: {}{more})",
                    names(*input),
                    listed.join(", ")
                )
            }
            Refusal::InComponent { component, message } => {
                format!("in component '{component}': {message}")
            }
        }
    }
}
