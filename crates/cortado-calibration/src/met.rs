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

/// The fields of one jet collection entering the type-1 sum (everything
/// but the calibrated pt and rawFactor), in input order (before any
/// re-sorting).
#[derive(Debug, Clone, Copy)]
pub struct Type1Collection<'a> {
    /// The collection's offsets.
    pub offsets: &'a [u32],
    /// The raw pt.
    pub raw: RawPt<'a>,
    /// `phi`.
    pub phi: &'a [f32],
    /// `muonSubtrFactor`.
    pub muon_subtr_factor: &'a [f32],
    /// `muonSubtrDeltaPhi` where stored.
    pub muon_subtr_delta_phi: Option<&'a [f32]>,
    /// The electromagnetic-fraction cut.
    pub em: EmFraction<'a>,
    /// The L1 factor of each jet, or `None` for 1.
    pub l1: Option<&'a [f64]>,
}

/// One jet collection entering the type-1 sum, with its calibrated jets
/// (for the one-shot [`type1_met`]).
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

impl<'a> Type1Jets<'a> {
    /// The fields without the jets.
    pub fn collection(&self) -> Type1Collection<'a> {
        Type1Collection {
            offsets: self.offsets,
            raw: self.raw,
            phi: self.phi,
            muon_subtr_factor: self.muon_subtr_factor,
            muon_subtr_delta_phi: self.muon_subtr_delta_phi,
            em: self.em,
            l1: self.l1,
        }
    }
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

/// The one-shot type-1 MET of every event from the calibrated `jets`
/// collections (summed in their order), the lepton `shifts`, and the
/// unclustered shift. With no collection this is the raw MET
/// (PocketCoffea's MET when `apply_MC`/`apply_data` is off). For several
/// variations of one chunk, prepare a [`Type1Met`] once instead.
pub fn type1_met(
    met: &MetInputs,
    jets: &[Type1Jets],
    shifts: &[ObjectShift],
    shift: MetShift,
) -> Result<Met> {
    let colls: Vec<Type1Collection> = jets.iter().map(Type1Jets::collection).collect();
    let outs: Vec<&JetsOut> = jets.iter().map(|j| j.jets).collect();
    Type1Met::new(met, &colls, shifts)?.compute(&outs, shift)
}

/// What the type-1 MET of a chunk needs besides the calibrated jets,
/// computed once per chunk (angles, muon fractions, EM cuts, raw MET,
/// lepton and unclustered shifts): [`Type1Met::compute`] then costs one pass
/// over the jets per variation.
#[derive(Debug, Clone)]
pub struct Type1Met {
    raw_x: Vec<f64>,
    raw_y: Vec<f64>,
    colls: Vec<Prepared>,
    /// Σ (p_after − p_before) of each lepton shift, per event.
    shifts: Vec<(Vec<f64>, Vec<f64>)>,
    /// Up and Down unclustered shifts, per event.
    unclustered: Option<[(Vec<f64>, Vec<f64>); 2]>,
}

/// One collection's per-jet quantities (input order).
#[derive(Debug, Clone)]
struct Prepared {
    offsets: Vec<u32>,
    cos: Vec<f64>,
    sin: Vec<f64>,
    one_minus_mu: Vec<f32>,
    em_ok: Vec<bool>,
    raw: Option<Vec<f32>>,
    l1: Option<Vec<f64>>,
}

impl Type1Met {
    /// Prepares the type-1 MET of a chunk: `met` per event, the jet
    /// collections' fields (in input order), the lepton `shifts`.
    pub fn new(
        met: &MetInputs,
        colls: &[Type1Collection],
        shifts: &[ObjectShift],
    ) -> Result<Type1Met> {
        let n = met.raw_pt.len();
        check_met(met, n)?;
        let (mut raw_x, mut raw_y) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (&pt, &phi) in met.raw_pt.iter().zip(met.raw_phi) {
            let (pt, phi) = (pt as f64, phi as f64);
            raw_x.push(pt * phi.cos());
            raw_y.push(pt * phi.sin());
        }
        let colls = colls
            .iter()
            .enumerate()
            .map(|(c, coll)| prepare(coll, c, n))
            .collect::<Result<_>>()?;
        let shifts = shifts
            .iter()
            .enumerate()
            .map(|(c, s)| shift_sum(s, c, n))
            .collect::<Result<_>>()?;
        Ok(Type1Met {
            raw_x,
            raw_y,
            colls,
            shifts,
            unclustered: unclustered(met, n),
        })
    }

    /// The MET with the calibrated `jets` of each collection (in the order
    /// of the collections given to [`Type1Met::new`]).
    pub fn compute(&self, jets: &[&JetsOut], shift: MetShift) -> Result<Met> {
        if jets.len() != self.colls.len() {
            return Err(columns(
                CTX,
                format!(
                    "{} jet collections given, {} prepared",
                    jets.len(),
                    self.colls.len()
                ),
            ));
        }
        let (mut x, mut y) = (self.raw_x.clone(), self.raw_y.clone());
        for (c, (p, j)) in self.colls.iter().zip(jets).enumerate() {
            subtract_jets(p, j, c, &mut x, &mut y)?;
        }
        for (sx, sy) in &self.shifts {
            for e in 0..x.len() {
                x[e] -= sx[e];
                y[e] -= sy[e];
            }
        }
        let which = match shift {
            MetShift::Nominal => None,
            MetShift::UnclusteredUp => Some(0),
            MetShift::UnclusteredDown => Some(1),
        };
        if let (Some(i), Some(u)) = (which, &self.unclustered) {
            let (dx, dy) = &u[i];
            for e in 0..x.len() {
                x[e] += dx[e];
                y[e] += dy[e];
            }
        }
        let pt = x.iter().zip(&y).map(|(a, b)| a.hypot(*b)).collect();
        let phi = x.iter().zip(&y).map(|(a, b)| b.atan2(*a)).collect();
        Ok(Met { pt, phi })
    }
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

/// Checks a collection's fields and computes its per-jet quantities.
fn prepare(coll: &Type1Collection, c: usize, n_events: usize) -> Result<Prepared> {
    let what = format!("jet collection {c}");
    check_offsets(CTX, &what, coll.offsets)?;
    if coll.offsets.len() != n_events + 1 {
        return Err(columns(
            CTX,
            format!(
                "{what} has offsets for {} events, the MET {n_events}",
                coll.offsets.len().saturating_sub(1)
            ),
        ));
    }
    let nj = coll.offsets.last().copied().unwrap_or(0) as usize;
    let mut lens = vec![
        ("phi", coll.phi.len()),
        ("muonSubtrFactor", coll.muon_subtr_factor.len()),
    ];
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
    let (mut sin, mut cos) = (Vec::with_capacity(nj), Vec::with_capacity(nj));
    for s in 0..nj {
        let phi = match coll.muon_subtr_delta_phi {
            Some(d) => d[s] + coll.phi[s],
            None => coll.phi[s],
        } as f64;
        sin.push(phi.sin());
        cos.push(phi.cos());
    }
    // NumPy compares float32 with 0.9 in float32
    let em_ok = (0..nj)
        .map(|s| match coll.em {
            EmFraction::None => true,
            EmFraction::Sum(a, b) => a[s] + b[s] < 0.9f32,
            EmFraction::Single(a) => a[s] < 0.9f32,
        })
        .collect();
    Ok(Prepared {
        offsets: coll.offsets.to_vec(),
        cos,
        sin,
        one_minus_mu: coll.muon_subtr_factor.iter().map(|&m| 1.0f32 - m).collect(),
        em_ok,
        raw: match coll.raw {
            RawPt::FromCalibrated => None,
            RawPt::Stored(r) => Some(r.to_vec()),
        },
        l1: coll.l1.map(<[f64]>::to_vec),
    })
}

/// `x, y −= Σ (pt_L1L2L3 − pt_L1)` over the selected jets of one collection.
fn subtract_jets(p: &Prepared, j: &JetsOut, c: usize, x: &mut [f64], y: &mut [f64]) -> Result<()> {
    let nj = p.cos.len();
    let order_len = j.order.as_ref().map_or(nj, Vec::len);
    if j.pt.len() != nj || j.raw_factor.len() != nj || order_len != nj {
        return Err(columns(
            CTX,
            format!(
                "jet collection {c}: {} calibrated jets ({} rawFactors, {} order indices) for {nj} jets",
                j.pt.len(),
                j.raw_factor.len(),
                order_len
            ),
        ));
    }
    if let Some(bad) = j.order.iter().flatten().find(|&&o| o as usize >= nj) {
        return Err(columns(
            CTX,
            format!("jet collection {c}: order index {bad} is not a jet"),
        ));
    }
    for (e, w) in p.offsets.windows(2).enumerate() {
        let (mut sx, mut sy) = (0.0f64, 0.0f64);
        for k in w[0] as usize..w[1] as usize {
            let s = j.source(k);
            if !p.em_ok[s] {
                continue;
            }
            let rf = j.raw_factor[k];
            // PocketCoffea's float types: (1 - muonSubtrFactor) is float32
            let raw_nomu = match &p.raw {
                None => j.pt[k] * (1.0 - rf) * p.one_minus_mu[s] as f64,
                Some(r) => (r[s] * p.one_minus_mu[s]) as f64,
            };
            let l1l2l3 = raw_nomu * (1.0 / (1.0 - rf));
            if l1l2l3 <= 15.0 || l1l2l3.is_nan() {
                continue;
            }
            let l1 = raw_nomu * p.l1.as_ref().map_or(1.0, |l| l[s]);
            sx += l1l2l3 * p.cos[s] - l1 * p.cos[s];
            sy += l1l2l3 * p.sin[s] - l1 * p.sin[s];
        }
        x[e] -= sx;
        y[e] -= sy;
    }
    Ok(())
}

/// Σ (p_after − p_before) over the objects of `s`, per event.
fn shift_sum(s: &ObjectShift, c: usize, n_events: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let what = format!("object shift {c}");
    check_offsets(CTX, &what, s.offsets)?;
    let n = s.offsets.last().copied().unwrap_or(0) as usize;
    if s.phi.len() != n || s.pt_before.len() != n || s.pt_after.len() != n {
        return Err(columns(CTX, format!("{what}: fields of unequal lengths")));
    }
    if s.offsets.len() != n_events + 1 {
        return Err(columns(
            CTX,
            format!("{what}: offsets for another number of events"),
        ));
    }
    let (mut xs, mut ys) = (Vec::with_capacity(n_events), Vec::with_capacity(n_events));
    for w in s.offsets.windows(2) {
        let (mut sx, mut sy) = (0.0f64, 0.0f64);
        for k in w[0] as usize..w[1] as usize {
            let (sin, cos) = (s.phi[k] as f64).sin_cos();
            let b = s.pt_before[k] as f64;
            sx += s.pt_after[k] * cos - b * cos;
            sy += s.pt_after[k] * sin - b * sin;
        }
        xs.push(sx);
        ys.push(sy);
    }
    Ok((xs, ys))
}

/// The Up and Down unclustered shifts (x, y) per event.
fn unclustered(met: &MetInputs, n: usize) -> Option<[(Vec<f64>, Vec<f64>); 2]> {
    match met.unclustered {
        Unclustered::None => None,
        Unclustered::Deltas { dx, dy } => {
            let f = |sign: f64| -> (Vec<f64>, Vec<f64>) {
                (
                    dx.iter().map(|&d| sign * d as f64).collect(),
                    dy.iter().map(|&d| sign * d as f64).collect(),
                )
            };
            Some([f(1.0), f(-1.0)])
        }
        Unclustered::Shifted { pt, phi, up, down } => {
            let f = |(vpt, vphi): (&[f32], &[f32])| -> (Vec<f64>, Vec<f64>) {
                let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
                for e in 0..n {
                    let (s1, c1) = (vphi[e] as f64).sin_cos();
                    let (s0, c0) = (phi[e] as f64).sin_cos();
                    xs.push(vpt[e] as f64 * c1 - pt[e] as f64 * c0);
                    ys.push(vpt[e] as f64 * s1 - pt[e] as f64 * s0);
                }
                (xs, ys)
            };
            Some([f(up), f(down)])
        }
    }
}
