//! Weights beyond the plain factors (genWeight, lumi, XS): correctionlib
//! corrections ([`correction`]) and PocketCoffea's common weights built from
//! the parameters ([`builtin`](mod@builtin)), and the per-event values every weight gives
//! in a chunk ([`TermValues`]), with the modifiers coffea's `Weights` makes
//! of its variations ([`Varied::ratio`]).
//!
//! A weight has no variation, one (`{name}Up`/`{name}Down`), or several
//! named sources (`{name}_{source}Up`/`Down`, PocketCoffea's
//! `WeightDataMultiVariation`, e.g. `sf_btag_hfUp`); [`variation_stems`]
//! gives the stems of those names before any event is read.

pub mod builtin;
pub mod correction;
mod evaluate;
pub(crate) mod values;

pub use builtin::builtin;
pub use correction::{evaluate, plan, CorrInput, CorrVariation, CorrectionTerm};

use cortado_config::{AnalysisConfig, Dataset};
use cortado_yaml::ConfigError;

/// A weight's values for the events of a chunk.
#[derive(Clone, Debug, Default)]
pub struct TermValues {
    /// The nominal factor of each event.
    pub nominal: Vec<f64>,
    /// The variations, in their declared order.
    pub variations: Vec<Varied>,
}

/// One up/down pair of a weight's variations.
#[derive(Clone, Debug)]
pub struct Varied {
    /// The stem of the variations' names (`pileup`, `sf_btag_hf`).
    pub stem: String,
    /// The factor of each event with the up variation.
    pub up: Vec<f64>,
    /// With the down variation.
    pub down: Vec<f64>,
    /// Whether the up / down values are float32 arrays in PocketCoffea
    /// (`L1PreFiringWeight_Up`, `PSWeight[2]`): coffea divides them by the
    /// nominal in place, so their modifier is rounded to float32.
    pub single: [bool; 2],
}

impl Varied {
    /// The modifier of the up (or down) variation, as coffea 0.7's
    /// `Weights.add` stores it: value / nominal where the nominal is not 0,
    /// the value itself where it is (the varied weight is then 0 as the
    /// nominal one), in the value's precision.
    pub fn ratio(&self, nominal: &[f64], up: bool) -> Vec<f64> {
        let (values, single) = if up {
            (&self.up, self.single[0])
        } else {
            (&self.down, self.single[1])
        };
        values
            .iter()
            .zip(nominal)
            .map(|(&v, &n)| {
                let r = if n != 0.0 { v / n } else { v };
                if single {
                    // float32 / float32 in float64, rounded once: the
                    // correctly rounded float32 quotient
                    r as f32 as f64
                } else {
                    r
                }
            })
            .collect()
    }
}

/// The stems of the variations' names of weight `name` for dataset `ds`:
/// `[name]`, `{name}_{source}` for each source of `sf_btag` (the parameters'
/// `systematic_variations.weight_variations.sf_btag.<year>`) and of a
/// correction weight with sources, nothing for a weight without variations.
pub fn variation_stems(
    name: &str,
    cfg: &AnalysisConfig,
    ds: &Dataset,
) -> Result<Vec<String>, ConfigError> {
    if let Some(cw) = cfg.custom_weights.get(name) {
        return Ok(cw.variation_stems());
    }
    if name == "sf_btag" {
        return Ok(builtin::btag_sources(cfg, ds)?
            .into_iter()
            .map(|s| format!("{name}_{s}"))
            .collect());
    }
    Ok(if cortado_config::BUILTIN_WITH_VARIATIONS.contains(&name) {
        vec![name.to_string()]
    } else {
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_follow_coffea() {
        let v = Varied {
            stem: "w".into(),
            up: vec![1.5, 2.0, 0.3],
            down: vec![0.5, 0.0, 0.1],
            single: [false, true],
        };
        let nominal = [1.0, 0.0, 0.7];
        // where the nominal is 0 the modifier is the value itself, not inf/NaN
        assert_eq!(v.ratio(&nominal, true), vec![1.5, 2.0, 0.3 / 0.7]);
        // float32 values: the modifier is rounded to float32
        let d = v.ratio(&nominal, false);
        assert_eq!(d[2], (0.1f64 / 0.7) as f32 as f64);
        assert_ne!(d[2], 0.1 / 0.7);
    }
}
