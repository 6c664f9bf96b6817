//! A native evaluator of [correctionlib](https://cms-nanoaod.github.io/correctionlib/)
//! corrections (schema v2): the JSON files in which the CMS Physics Object
//! Groups publish scale factors, jet energy corrections and resolutions,
//! pileup weights, MET corrections and veto maps.
//!
//! **Purpose.** Analyses weight and calibrate events with these files; no
//! Rust crate evaluated them. This one reads them (plain or gzipped JSON),
//! checks them when they are loaded, and evaluates any correction or
//! compound correction on one set of inputs or on whole columns.
//!
//! **Key design decision: our own evaluator, bit-identical to
//! correctionlib.** Rather than binding the C++ library, this crate
//! reimplements it, following its evaluator's semantics exactly, down to the
//! corner cases (a value on a bin edge, clamping, the default slot of a
//! uniform binning, `std::max` on NaN, the rounding of a transformed integer):
//! it parses numbers the way correctionlib's JSON parser does (rapidjson's
//! normal-precision mode, which is not always correctly rounded), calls the
//! same C math functions, and draws HashPRNG numbers from the same hash
//! (XXH64), generator (PCG32) and distributions (libstdc++'s). A test
//! evaluates every correction of the real CMS files at many points with the
//! Python `correctionlib` and requires equal results (see
//! `docs/corrections.md`). Files are checked when loaded: an unknown input
//! name, a formula with too few parameters or a compound correction whose
//! component lacks an input is an error naming the place in the file, not a
//! failure while events are processed.
//!
//! **Use.** [`load`] returns a process-wide shared [`CorrectionSet`] (parsed
//! once per file); [`CorrectionSet::get`] finds a correction (the error
//! suggests close names); [`Correction::evaluate_columns`] evaluates it on
//! columns, one per input ([`Column`]: `f64`/`f32`/`i64`/`i32`/string
//! slices, or a scalar for every row), and [`Correction::evaluate`] on one
//! row. A refused value (out of range with flow "error", an unknown category
//! key) is an [`Error::Refused`] naming the file, the correction, the row,
//! the input, its value and what is allowed.
//!
//! ```no_run
//! use cortado_correction::{load, Column, Value};
//! let set = load("muon_Z.json.gz")?;
//! let sf = set.get("NUM_TightID_DEN_TrackerMuons")?;
//! let (abseta, pt) = (vec![0.3, 1.2], vec![35.0, 60.0]);
//! let w = sf.evaluate_columns(&[
//!     Column::F64(&abseta),
//!     Column::F64(&pt),
//!     Column::Scalar(Value::Str("nominal")),
//! ])?;
//! # Ok::<(), cortado_correction::Error>(())
//! ```
//!
//! Not supported: the `lwtnn` node (a neural network) and the `numexpr`
//! formula parser, which correctionlib itself does not implement; both are
//! refused when the file is loaded.

#![warn(missing_docs)]

mod build;
mod compound;
mod correction;
mod error;
mod eval;
mod formula;
mod hashprng;
mod json;
mod nodes;
mod schema;
mod set;
mod summary;

pub use compound::{CompoundCorrection, UpdateOp};
pub use correction::Correction;
pub use error::{Error, Key, Result};
pub use eval::{Column, Value};
pub use schema::{VarType, Variable};
pub use set::{clear_cache, load, AnyCorrection, CorrectionSet};
pub use summary::{summary_text, InputSummary};

#[cfg(test)]
mod tests {
    /// The engine shares sets between threads.
    #[test]
    fn sets_are_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<super::CorrectionSet>();
        shared::<std::sync::Arc<super::Correction>>();
        shared::<super::CompoundCorrection>();
        shared::<super::Error>();
    }
}
