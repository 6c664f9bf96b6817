//! `muon_scale`: a calibrator written in Rust — the shape PocketCoffea's
//! lepton scale and smearing calibrators (`MuonsCalibrator`,
//! `ElectronsScaleCalibrator`) have in cortado.
//!
//! It replaces `Muon.pt` after the skim by `pt · (1 + κ·q)` (a
//! charge-dependent momentum scale, as a sagitta bias gives) with
//! κ = 0.001, and has two shape variations, `muon_scaleUp` (κ = 0.0015)
//! and `muon_scaleDown` (κ = 0.0005); with `met_type1_calibration`, the
//! type-1 MET follows the muons' momenta. The numbers are illustrative, not a
//! CMS measurement; a real calibrator would evaluate a correctionlib file
//! here (`cortado::correction`).

use std::collections::BTreeMap;
use std::sync::Arc;

use cortado::config::{AnalysisConfig, Dataset};
use cortado::eval::Env;
use cortado::ext::{CalibratedChunk, CalibratedField, Calibrator};
use cortado::types::Prim;
use cortado::value::{Arr, CollVal, Val};

/// κ of the nominal scale and of its up and down variations.
pub const KAPPA: [(&str, f64); 3] = [
    ("nominal", 0.001),
    ("muon_scaleUp", 0.0015),
    ("muon_scaleDown", 0.0005),
];

/// The calibrator.
pub struct MuonScale;

impl Calibrator for MuonScale {
    fn name(&self) -> &str {
        "muon_scale"
    }

    fn calibrates(&self) -> Vec<CalibratedField> {
        vec![CalibratedField::new("Muon", "pt", Prim::F64)]
    }

    fn branches(&self, _ds: &Dataset) -> Vec<String> {
        vec!["Muon_pt".into(), "Muon_charge".into()]
    }

    fn shifts_met(&self) -> bool {
        true // with met_type1_calibration, the MET follows the muons
    }

    fn variations(&self, _cfg: &AnalysisConfig, _ds: &Dataset) -> Result<Vec<String>, String> {
        Ok(KAPPA[1..].iter().map(|(n, _)| n.to_string()).collect())
    }

    fn prepare(&self, _ds: &Dataset, env: &Env) -> Result<Box<dyn CalibratedChunk>, String> {
        let Val::Coll(muons) = env.get("Muon").map_err(|e| e.0)? else {
            return Err("'Muon' is not a collection".into());
        };
        let pt = muons.field("pt")?;
        let charge = muons.field("charge")?;
        // one column per κ, computed once for the chunk
        let scaled = KAPPA
            .iter()
            .map(|&(name, k)| {
                let v: Vec<f64> = (0..pt.len())
                    .map(|i| pt.get_f64(i) * (1.0 + k * charge.get_f64(i)))
                    .collect();
                (name.to_string(), Arc::new(Arr::F64(v)))
            })
            .collect();
        Ok(Box::new(ScaledMuons { muons, scaled }))
    }
}

/// The muons of one chunk and their pt for each κ.
struct ScaledMuons {
    muons: Arc<CollVal>,
    scaled: BTreeMap<String, Arc<Arr>>,
}

impl CalibratedChunk for ScaledMuons {
    fn apply(&self, pass: &str, env: &mut Env) -> Result<(), String> {
        // another calibrator's variation: this one's nominal
        let pt = self
            .scaled
            .get(pass)
            .or_else(|| self.scaled.get("nominal"))
            .ok_or("no nominal scale")?;
        let fields = BTreeMap::from([("pt".to_string(), pt.clone())]);
        env.define("Muon", Val::Coll(Arc::new(self.muons.with_fields(fields))));
        Ok(())
    }
}
