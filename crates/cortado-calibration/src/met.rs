//! Type-1 MET recomputed from calibrated jets, as PocketCoffea's
//! `METCalibrator` (`met_type1_calibration`) after NanoAOD's recipe:
//!
//! `MET = RawMET − Σ_jets (pt_L1L2L3,noμ − pt_L1,noμ)` over jets of both the
//! `Jet` and the `CorrT1METJet` collections whose muon-subtracted corrected
//! pt is above 15 GeV and (for `Jet`) whose electromagnetic fraction
//! `chEmEF + neEmEF` is below 0.9; `pt_noμ = raw pt · (1 − muonSubtrFactor)`;
//! the L1L2L3 factor is `1/(1 − rawFactor)` of the calibrated jet; the L1
//! factor is 1 (PocketCoffea) or the L1FastJet correction when given.
//! The unclustered-energy variations add (Up) or subtract (Down)
//! `MET_MetUnclustEnUpDeltaX/Y` to the type-1 MET (or, for PuppiMET, the
//! stored shift `ptUnclusteredUp/Down` − `pt`).

use crate::error::{columns, Result};
use crate::inputs::check_offsets;
use crate::output::JetsOut;

/// The electromagnetic-fraction cut of a collection (`< 0.9`, compared in
/// float32 as NumPy does for PocketCoffea).
#[derive(Debug, Clone, Copy)]
pub enum EmFraction<'a> {
    /// No cut (`CorrT1METJet` in NanoAOD v9; PocketCoffea never cuts it).
    None,
    /// `chEmEF + neEmEF` (`Jet`).
    Sum(&'a [f32], &'a [f32]),
    /// One fraction (`CorrT1METJet_EmEF` of newer NanoAOD).
    Single(&'a [f32]),
}

/// Where the raw pt of a collection comes from.
#[derive(Debug, Clone, Copy)]
pub enum RawPt<'a> {
    /// `pt · (1 − rawFactor)` of the calibrated jets (`Jet`).
    FromCalibrated,
    /// The stored raw pt (`CorrT1METJet_rawPt`, input order).
    Stored(&'a [f32]),
}

/// One jet collection entering the type-1 sum.
#[derive(Debug, Clone, Copy)]
pub struct Type1Jets<'a> {
    /// The calibrated jets (nominal or a variation), possibly re-sorted.
    pub jets: &'a JetsOut,
    /// The collection's offsets.
    pub offsets: &'a [u32],
    /// The raw pt.
    pub raw: RawPt<'a>,
    /// `phi` (input order, before any re-sorting).
    pub phi: &'a [f32],
    /// `muonSubtrFactor` (input order).
    pub muon_subtr_factor: &'a [f32],
    /// `muonSubtrDeltaPhi` where stored (input order).
    pub muon_subtr_delta_phi: Option<&'a [f32]>,
    /// The electromagnetic-fraction cut (input order).
    pub em: EmFraction<'a>,
    /// The L1 factor of each jet (input order), or `None` for 1.
    pub l1: Option<&'a [f64]>,
}

/// A calibrated object collection whose pt change moves the MET (lepton
/// scale and smearing): `MET −= Σ (p_after − p_before)`.
#[derive(Debug, Clone, Copy)]
pub struct ObjectShift<'a> {
    /// The collection's offsets.
    pub offsets: &'a [u32],
    /// `phi`.
    pub phi: &'a [f32],
    /// The pt before calibration.
    pub pt_before: &'a [f32],
    /// The pt after calibration.
    pub pt_after: &'a [f64],
}

/// The unclustered-energy shifts of the MET collection.
#[derive(Debug, Clone, Copy)]
pub enum Unclustered<'a> {
    /// None stored.
    None,
    /// `MET_MetUnclustEnUpDeltaX/Y` (Up adds them, Down subtracts them).
    Deltas {
        /// `MetUnclustEnUpDeltaX`.
        dx: &'a [f32],
        /// `MetUnclustEnUpDeltaY`.
        dy: &'a [f32],
    },
    /// `PuppiMET_ptUnclusteredUp/Down`, `phiUnclusteredUp/Down` and the
    /// stored `pt`, `phi`: the shift is `p_Up/Down − p`.
    Shifted {
        /// Stored `pt`.
        pt: &'a [f32],
        /// Stored `phi`.
        phi: &'a [f32],
        /// `ptUnclusteredUp`, `phiUnclusteredUp`.
        up: (&'a [f32], &'a [f32]),
        /// `ptUnclusteredDown`, `phiUnclusteredDown`.
        down: (&'a [f32], &'a [f32]),
    },
}

/// The per-event MET inputs.
#[derive(Debug, Clone, Copy)]
pub struct MetInputs<'a> {
    /// `RawMET_pt` (`RawPuppiMET_pt`).
    pub raw_pt: &'a [f32],
    /// `RawMET_phi`.
    pub raw_phi: &'a [f32],
    /// The unclustered-energy shifts.
    pub unclustered: Unclustered<'a>,
}

/// Which MET is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetShift {
    /// The nominal (or a jet variation's, with the varied jets).
    Nominal,
    /// `unclust_EnUp`.
    UnclusteredUp,
    /// `unclust_EnDown`.
    UnclusteredDown,
}

impl MetShift {
    /// The shift of a variation name (`unclust_EnUp`, `unclust_EnDown`).
    pub fn from_variation(name: &str) -> Option<MetShift> {
        match name {
            "unclust_EnUp" => Some(MetShift::UnclusteredUp),
            "unclust_EnDown" => Some(MetShift::UnclusteredDown),
            _ => None,
        }
    }
}

/// The MET variations, as PocketCoffea names them.
pub const MET_VARIATIONS: [&str; 2] = ["unclust_EnUp", "unclust_EnDown"];

/// A recomputed MET.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Met {
    /// pt.
    pub pt: Vec<f64>,
    /// phi.
    pub phi: Vec<f64>,
}

const CTX: &str = "type-1 MET";

/// The type-1 MET of every event from the calibrated `jets` collections
/// (summed in their order), the lepton `shifts`, and the unclustered shift.
/// With no collection this is the raw MET (PocketCoffea's MET when
/// `apply_MC`/`apply_data` is off).
pub fn type1_met(
    met: &MetInputs,
    jets: &[Type1Jets],
    shifts: &[ObjectShift],
    shift: MetShift,
) -> Result<Met> {
    let n = met.raw_pt.len();
    check_met(met, n)?;
    let mut x: Vec<f64> = Vec::with_capacity(n);
    let mut y: Vec<f64> = Vec::with_capacity(n);
    for (&pt, &phi) in met.raw_pt.iter().zip(met.raw_phi) {
        let (pt, phi) = (pt as f64, phi as f64);
        x.push(pt * phi.cos());
        y.push(pt * phi.sin());
    }
    for (c, coll) in jets.iter().enumerate() {
        subtract_jets(coll, c, &mut x, &mut y)?;
    }
    for (c, s) in shifts.iter().enumerate() {
        subtract_shift(s, c, &mut x, &mut y)?;
    }
    add_unclustered(met, shift, &mut x, &mut y);
    let pt = x.iter().zip(&y).map(|(a, b)| a.hypot(*b)).collect();
    let phi = x.iter().zip(&y).map(|(a, b)| b.atan2(*a)).collect();
    Ok(Met { pt, phi })
}

fn check_met(met: &MetInputs, n: usize) -> Result<()> {
    let mut lens = vec![("RawMET phi", met.raw_phi.len())];
    match met.unclustered {
        Unclustered::None => {}
        Unclustered::Deltas { dx, dy } => lens.extend([("DeltaX", dx.len()), ("DeltaY", dy.len())]),
        Unclustered::Shifted { pt, phi, up, down } => lens.extend([
            ("pt", pt.len()),
            ("phi", phi.len()),
            ("ptUnclusteredUp", up.0.len()),
            ("phiUnclusteredUp", up.1.len()),
            ("ptUnclusteredDown", down.0.len()),
            ("phiUnclusteredDown", down.1.len()),
        ]),
    }
    match lens.iter().find(|(_, l)| *l != n) {
        Some((name, l)) => Err(columns(
            CTX,
            format!("the MET field '{name}' has {l} values for {n} events"),
        )),
        None => Ok(()),
    }
}

/// `x, y −= Σ (pt_L1L2L3 − pt_L1)` over the selected jets of `coll`.
fn subtract_jets(coll: &Type1Jets, c: usize, x: &mut [f64], y: &mut [f64]) -> Result<()> {
    let what = format!("jet collection {c}");
    check_offsets(CTX, &what, coll.offsets)?;
    let nj = coll.offsets.last().copied().unwrap_or(0) as usize;
    let j = coll.jets;
    let mut lens = vec![
        ("pt", j.pt.len()),
        ("rawFactor", j.raw_factor.len()),
        ("phi", coll.phi.len()),
        ("muonSubtrFactor", coll.muon_subtr_factor.len()),
    ];
    if let Some(o) = &j.order {
        lens.push(("order", o.len()));
    }
    if let RawPt::Stored(r) = coll.raw {
        lens.push(("rawPt", r.len()));
    }
    if let Some(d) = coll.muon_subtr_delta_phi {
        lens.push(("muonSubtrDeltaPhi", d.len()));
    }
    if let Some(l) = coll.l1 {
        lens.push(("L1 factor", l.len()));
    }
    match coll.em {
        EmFraction::None => {}
        EmFraction::Sum(a, b) => lens.extend([("chEmEF", a.len()), ("neEmEF", b.len())]),
        EmFraction::Single(a) => lens.push(("EmEF", a.len())),
    }
    if let Some((name, l)) = lens.iter().find(|(_, l)| *l != nj) {
        return Err(columns(
            CTX,
            format!("{what}: the field '{name}' has {l} values for {nj} jets"),
        ));
    }
    if coll.offsets.len() != x.len() + 1 {
        return Err(columns(
            CTX,
            format!(
                "{what} has offsets for {} events, the MET {}",
                coll.offsets.len().saturating_sub(1),
                x.len()
            ),
        ));
    }
    if let Some(bad) = j.order.iter().flatten().find(|&&o| o as usize >= nj) {
        return Err(columns(
            CTX,
            format!("{what}: order index {bad} is not a jet"),
        ));
    }
    for (e, w) in coll.offsets.windows(2).enumerate() {
        let (mut sx, mut sy) = (0.0f64, 0.0f64);
        for k in w[0] as usize..w[1] as usize {
            let s = j.source(k);
            let rf = j.raw_factor[k];
            let one_minus_mu = 1.0f32 - coll.muon_subtr_factor[s];
            let raw_nomu = match coll.raw {
                RawPt::FromCalibrated => j.pt[k] * (1.0 - rf) * one_minus_mu as f64,
                RawPt::Stored(r) => (r[s] * one_minus_mu) as f64,
            };
            let l1l2l3 = raw_nomu * (1.0 / (1.0 - rf));
            let l1 = raw_nomu * coll.l1.map_or(1.0, |l| l[s]);
            let em_ok = match coll.em {
                EmFraction::None => true,
                EmFraction::Sum(a, b) => a[s] + b[s] < 0.9f32,
                EmFraction::Single(a) => a[s] < 0.9f32,
            };
            if !(l1l2l3 > 15.0 && em_ok) {
                continue;
            }
            let phi = match coll.muon_subtr_delta_phi {
                Some(d) => d[s] + coll.phi[s],
                None => coll.phi[s],
            } as f64;
            let (sin, cos) = phi.sin_cos();
            sx += l1l2l3 * cos - l1 * cos;
            sy += l1l2l3 * sin - l1 * sin;
        }
        x[e] -= sx;
        y[e] -= sy;
    }
    Ok(())
}

/// `x, y −= Σ (p_after − p_before)` over the objects of `s`.
fn subtract_shift(s: &ObjectShift, c: usize, x: &mut [f64], y: &mut [f64]) -> Result<()> {
    let what = format!("object shift {c}");
    check_offsets(CTX, &what, s.offsets)?;
    let n = s.offsets.last().copied().unwrap_or(0) as usize;
    if s.phi.len() != n || s.pt_before.len() != n || s.pt_after.len() != n {
        return Err(columns(CTX, format!("{what}: fields of unequal lengths")));
    }
    if s.offsets.len() != x.len() + 1 {
        return Err(columns(
            CTX,
            format!("{what}: offsets for another number of events"),
        ));
    }
    for (e, w) in s.offsets.windows(2).enumerate() {
        let (mut sx, mut sy) = (0.0f64, 0.0f64);
        for k in w[0] as usize..w[1] as usize {
            let (sin, cos) = (s.phi[k] as f64).sin_cos();
            let b = s.pt_before[k] as f64;
            sx += s.pt_after[k] * cos - b * cos;
            sy += s.pt_after[k] * sin - b * sin;
        }
        x[e] -= sx;
        y[e] -= sy;
    }
    Ok(())
}

/// Adds the unclustered-energy shift.
fn add_unclustered(met: &MetInputs, shift: MetShift, x: &mut [f64], y: &mut [f64]) {
    let sign = match shift {
        MetShift::Nominal => return,
        MetShift::UnclusteredUp => 1.0,
        MetShift::UnclusteredDown => -1.0,
    };
    match met.unclustered {
        Unclustered::None => {}
        Unclustered::Deltas { dx, dy } => {
            for e in 0..x.len() {
                x[e] += sign * dx[e] as f64;
                y[e] += sign * dy[e] as f64;
            }
        }
        Unclustered::Shifted { pt, phi, up, down } => {
            let (vpt, vphi) = if sign > 0.0 { up } else { down };
            for e in 0..x.len() {
                let (s1, c1) = (vphi[e] as f64).sin_cos();
                let (s0, c0) = (phi[e] as f64).sin_cos();
                x[e] += vpt[e] as f64 * c1 - pt[e] as f64 * c0;
                y[e] += vpt[e] as f64 * s1 - pt[e] as f64 * s0;
            }
        }
    }
}
