//! Histograms that bin exactly like boost-histogram (which `hist`, and so
//! PocketCoffea, use): regular, variable, integer and category axes, optional
//! under/overflow bins, weighted storage (sum of weights and of squared weights).
//!
//! Binning rules reproduced from boost-histogram:
//! - regular: `z = (x - start) / (stop - start)`; `z >= 1` or NaN → overflow,
//!   `z < 0` → underflow, else bin `floor(z * bins)`; edge `i` is
//!   `(1 - i/bins) * start + (i/bins) * stop`;
//! - variable: the last edge belongs to the overflow, NaN → overflow;
//! - integer: `floor(x) - start`;
//! - categories: the index of the value, or the overflow ("other") bin; a
//!   growing axis keeps its categories sorted (see `grow.rs`).
//!
//! Values outside an axis without the matching flow bin are not counted.

mod axis;
mod grow;
mod hist;
pub mod json_float;
pub mod sum;
pub mod uhi;

pub use axis::{Axis, AxisKind, Transform};
pub use hist::{Hist, Storage};
pub use sum::Sum;
