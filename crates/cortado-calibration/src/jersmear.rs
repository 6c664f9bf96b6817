//! The JER smearing factor: the `JERSmear` correction that PocketCoffea
//! (`lib/jets.py::get_jer_correction_set`) appends to the JERC correction set
//! and evaluates with correctionlib, after the recipe of correctionlib's
//! issue #130 and the JME example `jer_smear.json`.
//!
//! The method is chosen by the bin of `GenPt` (edges −1, 0, 1, flow clamp):
//!
//! - `GenPt < 0` (no usable gen match): *stochastic* smearing,
//!   `1 + sqrt(max(JERsf² − 1, 0)) · JER · N`, where `N` is a standard normal
//!   number drawn by correctionlib's HashPRNG seeded from
//!   `(JetPt, JetEta, Rho, EventID)`;
//! - `GenPt ≥ 0`: *deterministic* scaling, `1 + (JERsf − 1)(JetPt − GenPt)/JetPt`.
//!
//! The correction is written here as the same correctionlib document and
//! evaluated with cortado's bit-identical evaluator, so that the formulas
//! (their evaluation order) and the random numbers are exactly those of
//! correctionlib.

use std::sync::{Arc, OnceLock};

use cortado_correction::{Column, Correction, CorrectionSet};

/// The correctionlib document of `JERSmear` (inputs in PocketCoffea's order).
const JERSMEAR_JSON: &str = r#"{
  "schema_version": 2,
  "description": "JER smearing as PocketCoffea 0.9.13 defines it (lib/jets.py)",
  "corrections": [{
    "name": "JERSmear",
    "description": "Jet smearing tool",
    "version": 1,
    "inputs": [
      {"name": "JetPt", "type": "real"},
      {"name": "JetEta", "type": "real"},
      {"name": "GenPt", "type": "real", "description": "matched GenJet pt, or -1 if no match"},
      {"name": "Rho", "type": "real", "description": "entropy source"},
      {"name": "EventID", "type": "int", "description": "entropy source"},
      {"name": "JER", "type": "real", "description": "Jet energy resolution"},
      {"name": "JERsf", "type": "real", "description": "Jet energy resolution scale factor"}
    ],
    "output": {"name": "smear", "type": "real"},
    "data": {
      "nodetype": "binning",
      "input": "GenPt",
      "edges": [-1.0, 0.0, 1.0],
      "flow": "clamp",
      "content": [
        {
          "nodetype": "transform",
          "input": "GenPt",
          "rule": {
            "nodetype": "hashprng",
            "inputs": ["JetPt", "JetEta", "Rho", "EventID"],
            "distribution": "normal"
          },
          "content": {
            "nodetype": "formula",
            "expression": "1+sqrt(max(x*x - 1, 0)) * y * z",
            "parser": "TFormula",
            "variables": ["JERsf", "JER", "GenPt"]
          }
        },
        {
          "nodetype": "formula",
          "expression": "1+(x-1)*(y-z)/y",
          "parser": "TFormula",
          "variables": ["JERsf", "JetPt", "GenPt"]
        }
      ]
    }
  }]
}"#;

/// The `JERSmear` correction, built once per process.
pub(crate) fn jersmear() -> &'static Arc<Correction> {
    static CELL: OnceLock<Arc<Correction>> = OnceLock::new();
    CELL.get_or_init(|| {
        let set = CorrectionSet::from_slice(JERSMEAR_JSON.as_bytes(), "JERSmear (built in)")
            .expect("the built-in JERSmear document is valid (tested)");
        set.get_arc("JERSmear")
            .expect("the built-in document holds JERSmear (tested)")
            .clone()
    })
}

/// The per-jet inputs of the smearing, in `JERSmear`'s order.
pub(crate) struct SmearInputs<'a> {
    /// Jet pt after JEC (the `JetPt` of the formulas and of the seed).
    pub pt: &'a [f64],
    /// Jet eta.
    pub eta: &'a [f32],
    /// Matched GenJet pt after the 3σ check, or −1.
    pub gen_pt: &'a [f64],
    /// The event's rho, per jet.
    pub rho: &'a [f32],
    /// The event number, per jet.
    pub event: &'a [i64],
    /// The relative pt resolution.
    pub resolution: &'a [f64],
}

/// The smearing factors for the scale factors `sf`, into `out`.
pub(crate) fn smear_into(
    inp: &SmearInputs,
    sf: &[f64],
    out: &mut Vec<f64>,
) -> Result<(), cortado_correction::Error> {
    jersmear().evaluate_columns_into(
        &[
            Column::F64(inp.pt),
            Column::F32(inp.eta),
            Column::F64(inp.gen_pt),
            Column::F32(inp.rho),
            Column::I64(inp.event),
            Column::F64(inp.resolution),
            Column::F64(sf),
        ],
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pt: f64, gen: f64, res: f64, sf: f64) -> f64 {
        let mut out = Vec::new();
        smear_into(
            &SmearInputs {
                pt: &[pt],
                eta: &[0.5],
                gen_pt: &[gen],
                rho: &[20.0],
                event: &[12345],
                resolution: &[res],
            },
            &[sf],
            &mut out,
        )
        .unwrap();
        out[0]
    }

    #[test]
    fn deterministic_when_matched() {
        // 1 + (1.1 - 1)(50 - 40)/50 = 1.02
        assert!((one(50.0, 40.0, 0.1, 1.1) - 1.02).abs() < 1e-15);
        // GenPt in [0, 1) is still the deterministic branch: factor = sf
        assert!((one(50.0, 0.0, 0.1, 1.1) - 1.1).abs() < 1e-15);
        // above the last edge: clamped into the deterministic bin
        assert!((one(50.0, 1000.0, 0.1, 1.0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn stochastic_when_unmatched() {
        // sf <= 1: no smearing at all
        assert_eq!(one(50.0, -1.0, 0.1, 0.9), 1.0);
        assert_eq!(one(50.0, -1.0, 0.1, 1.0), 1.0);
        // sf > 1: 1 + sqrt(sf²-1)·σ·N, N drawn from the seed; the same seed
        // gives the same number, and N is a plausible normal number
        let a = one(50.0, -1.0, 0.1, 1.2);
        assert_eq!(a, one(50.0, -1.0, 0.1, 1.2));
        let n = (a - 1.0) / ((1.2f64 * 1.2 - 1.0).sqrt() * 0.1);
        assert!(n.abs() < 6.0 && n != 0.0, "{n}");
        // the seed includes JetPt: another pt, another number
        let b = one(50.5, -1.0, 0.1, 1.2);
        assert_ne!(a, b);
        // below -1 is clamped into the stochastic bin
        assert_eq!(one(50.0, -7.0, 0.1, 1.2), a);
    }
}
