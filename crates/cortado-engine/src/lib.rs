//! The cortado analysis engine.
//!
//! - [`plan`]: the configuration compiled and checked per dataset, with the
//!   exact list of branches to read;
//! - [`process`]: one chunk of events through PocketCoffea's steps;
//! - [`output`]: the accumulated result, merging and normalisation;
//! - [`run`]: chunking, parallel processing and deterministic merging.

pub mod ext;
pub mod output;
pub mod plan;
pub mod process;
pub mod run;

pub use output::Output;
pub use plan::{plan_dataset, DatasetPlan};
