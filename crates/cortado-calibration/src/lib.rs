//! Jet energy calibration and its shape variations, and the type-1 MET
//! recomputed from the calibrated jets, as PocketCoffea's calibrators
//! `jet_calibration` (`JetsCalibrator`) and `met_type1_calibration`
//! (`METCalibrator`) compute them, on plain columns.
//!
//! **Purpose.** A CMS analysis re-applies the jet energy corrections (JEC)
//! to NanoAOD jets, smears simulated jets to the resolution of data (JER),
//! and propagates the JES uncertainty sources and the JER uncertainty as
//! shape variations, with the MET recomputed from each variation's jets.
//! This crate computes these quantities; the engine decides which variations
//! run and re-evaluates what depends on the jets.
//!
//! **Key design decisions.**
//! - *Columns in, columns out, no engine types*: a jet collection is its
//!   offsets (`n_events + 1`) and one slice per field ([`JetInputs`]); the
//!   result is float64 pt, mass and rawFactor per jet plus the permutation
//!   that re-sorts each event's jets by pt ([`JetsOut::order`]), which the
//!   caller applies to the collection's other fields.
//! - *Compute once, vary cheaply*: [`JetCalibrator::calibrate`] evaluates
//!   every correction once per chunk (JEC, resolution, scale factors,
//!   smearing, each JES source) into a [`Calibration`]; the nominal and each
//!   variation's jets are then a multiplication and a sort
//!   ([`Calibration::variation`]), so the engine computes only the
//!   variations it runs; likewise the type-1 MET is prepared once per chunk
//!   ([`Type1Met::new`]) and computed per variation ([`Type1Met::compute`]).
//! - *Exactly correctionlib's numbers*: corrections are evaluated by
//!   `cortado-correction` (bit-identical to the Python correctionlib), the
//!   JER smearing is PocketCoffea's own `JERSmear` correctionlib document
//!   (same formulas, same HashPRNG seed), and the float32/float64 steps
//!   follow PocketCoffea's NumPy arithmetic; a test compares every jet pt and
//!   MET with a Python correctionlib reference (`docs/calibration.md`).
//! - *PocketCoffea's known bugs fixed*, each listed in
//!   `docs/pocketcoffea-differences.md`: unmatched jets smear
//!   stochastically (GenPt −1, PocketCoffea PR #571), rawFactor follows every
//!   variation (PR #535), the JER scale factor's `systematic` input is
//!   supplied (2018 `JRV2`), nominal jets are re-sorted too.
//!
//! ```no_run
//! use cortado_calibration::*;
//! # fn main() -> Result<()> {
//! # let (offsets, pt, mass, rf, eta, phi, area) = (vec![0u32], vec![], vec![], vec![], vec![], vec![], vec![]);
//! # let (rho, event, run): (Vec<f32>, Vec<u64>, Vec<u32>) = (vec![], vec![], vec![]);
//! # let spec: JetCalibSpec = todo!();
//! let calibrator = JetCalibrator::new(&spec)?;          // once per dataset
//! let calibration = calibrator.calibrate(&JetInputs {   // once per chunk
//!     offsets: &offsets,
//!     pt: PtInput::Corrected { pt: &pt, mass: &mass, raw_factor: &rf },
//!     eta: &eta, phi: &phi, area: &area,
//!     gen: None, rho: &rho, event: &event, run: &run,
//! })?;
//! let nominal = calibration.nominal();
//! let jes_up = calibration.variation("AK4PFchs_JES_TotalUp");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod error;
mod inputs;
mod jersmear;
mod jets;
mod met;
mod output;
mod params;
mod spec;

pub use error::{Error, Result};
pub use inputs::{GenMatch, JetInputs, PtInput};
pub use jets::JetCalibrator;
pub use met::{
    type1_met, EmFraction, Met, MetInputs, MetShift, ObjectShift, RawPt, Type1Collection,
    Type1Jets, Type1Met, Unclustered, MET_VARIATIONS,
};
pub use output::{sort_order, Calibrated, Calibration, JetsOut};
pub use params::{
    jet_calibrations, met_calibration, rho_branch, CollectionCalib, DatasetKind, MetCalibSpec,
};
pub use spec::{variation_name, Direction, JecData, JetCalibSpec, JetVariation};

#[cfg(test)]
mod tests {
    /// The engine shares calibrators between threads.
    #[test]
    fn calibrators_are_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<super::JetCalibrator>();
        shared::<super::Calibration>();
        shared::<super::Error>();
    }
}
