//! The cortado analysis engine.
//!
//! - [`plan`]: the configuration compiled and checked per dataset, with the
//!   exact list of branches to read;
//! - [`hist_memory`]: the memory the histograms take, checked when planning;
//! - [`calibrator`]: calibrators written in Rust (lepton scale and smearing, ...);
//! - [`weights`]: correctionlib weights and PocketCoffea's common weights;
//! - [`process`]: one chunk of events through PocketCoffea's steps;
//! - [`output`]: the accumulated result, merging and normalisation;
//! - [`run`]: the work list (chunks along clusters), one chunk read and processed;
//! - [`local`]: execution on this machine's cores, merged in a fixed order;
//! - [`checkpoint`]: finished chunks on disk, for resuming interrupted runs.

pub mod batch;
pub mod calib;
pub mod calibrator;
pub mod checkpoint;
pub mod ext;
pub mod hist_memory;
pub mod identity;
pub mod local;
pub mod output;
pub mod plan;
pub mod process;
mod read;
pub mod run;
pub mod runner;
pub mod weights;

pub use output::Output;
pub use plan::{plan_dataset, DatasetPlan};
