//! Calibrators written in Rust (PocketCoffea's `Calibrator` classes, §9):
//! a lepton scale and smearing, a Rochester correction, anything that
//! replaces fields of a collection and may have shape variations.
//!
//! A binary built on cortado adds them to
//! [`Extensions::calibrators`](crate::ext::Extensions); the configuration
//! then lists them by [`Calibrator::name`] in `calibrators:` (after the
//! built-in ones, which they run after) and in `variations.shape`. Per
//! chunk, the engine calls [`Calibrator::prepare`] once on the events after
//! the skim, as read (before any calibration), and
//! [`CalibratedChunk::apply`] once per pass — the nominal and every shape
//! variation of every calibrator — which defines the calibrated collections
//! for that pass. One calibrator per collection: two calibrating the same
//! collection (or one calibrating `Jet` with `jet_calibration`) is an error. Everything that reads them (object
//! selections, cuts, weights, histograms) is evaluated again in the
//! calibrator's variation passes, as for the jet calibration.

use cortado_config::{AnalysisConfig, Dataset};
use cortado_expr::eval::Env;
use cortado_expr::types::Prim;

/// A field a calibrator replaces on a collection or record (a field the
/// files do not have is an error: a new field is a definition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalibratedField {
    /// The collection or record, by the name expressions use (`Electron`, `MET`).
    pub collection: String,
    /// The field (`pt`).
    pub field: String,
    /// Its type after the calibration (usually [`Prim::F64`]).
    pub ty: Prim,
}

impl CalibratedField {
    /// Field `field` of `collection`, of type `ty`.
    pub fn new(collection: &str, field: &str, ty: Prim) -> CalibratedField {
        CalibratedField {
            collection: collection.to_string(),
            field: field.to_string(),
            ty,
        }
    }
}

/// A calibrator written in Rust.
#[allow(unused_variables)]
pub trait Calibrator: Send + Sync {
    /// The name the configuration lists in `calibrators:` and
    /// `variations.shape` (`muon_scale`).
    fn name(&self) -> &str;
    /// The fields it replaces, with their types after the calibration. The
    /// collections named here are the ones [`CalibratedChunk::apply`] may
    /// define; a collection the dataset's files lack is an error.
    fn calibrates(&self) -> Vec<CalibratedField>;
    /// The branches it reads for dataset `ds`, its collections' fields
    /// included (`Muon_pt`, `Muon_charge`; `GenPart_*` for simulation
    /// only): exactly these are read from the files (the counters of the
    /// collections it calibrates are added).
    fn branches(&self, ds: &Dataset) -> Vec<String> {
        Vec::new()
    }
    /// Whether it runs on simulation only (data keep the stored values).
    fn mc_only(&self) -> bool {
        false
    }
    /// Whether the type-1 MET follows what it changes, as PocketCoffea's MET
    /// calibrator follows the lepton calibrators: in every pass,
    /// `MET −= Σ (p_after − p_before)` over the objects of the collections
    /// it calibrates (pt and phi; before: as read, after: this pass's).
    /// Only where `met_type1_calibration` computes the MET (not for a raw
    /// MET, such as 2018 data's by default).
    fn shifts_met(&self) -> bool {
        false
    }
    /// The names of its shape variations for dataset `ds` (simulation),
    /// as the `variation` axis shows them (`muon_scaleUp`); they must not be
    /// another calibrator's or a weight variation's names.
    fn variations(&self, cfg: &AnalysisConfig, ds: &Dataset) -> Result<Vec<String>, String>;
    /// Prepares the calibration of one chunk from its events after the
    /// skim: evaluate corrections once here, and let
    /// [`CalibratedChunk::apply`] only pick the values of a pass.
    fn prepare(&self, ds: &Dataset, env: &Env) -> Result<Box<dyn CalibratedChunk>, String>;
}

/// One chunk calibrated by a [`Calibrator`].
pub trait CalibratedChunk: Send + Sync {
    /// Defines, in `env`, the calibrated collections for pass `pass`:
    /// `nominal`, one of this calibrator's variations, or another
    /// calibrator's variation (then this calibrator's nominal). Only the
    /// collections of [`Calibrator::calibrates`] may be defined; each is
    /// checked (one value per selected event, its declared fields' types).
    fn apply(&self, pass: &str, env: &mut Env) -> Result<(), String>;
}
