//! The columns a jet calibration reads, as plain slices: a jagged collection
//! is its per-event `offsets` (`n_events + 1`, NanoAOD's layout in
//! `cortado-columns`) and one slice per field; per-event quantities are one
//! value per event.

use crate::error::{columns, Result};

/// The jets' momentum as NanoAOD stores it.
#[derive(Debug, Clone, Copy)]
pub enum PtInput<'a> {
    /// Corrected pt and mass with `rawFactor` (`Jet`, `FatJet`): the raw
    /// values are `(1 − rawFactor)·pt` and `(1 − rawFactor)·mass`, in
    /// float32 as PocketCoffea computes them.
    Corrected {
        /// `Jet_pt`.
        pt: &'a [f32],
        /// `Jet_mass`.
        mass: &'a [f32],
        /// `Jet_rawFactor`.
        raw_factor: &'a [f32],
    },
    /// Raw pt, and raw mass where stored (`CorrT1METJet_rawPt`; its mass is 0
    /// when `rawMass` is absent, as in PocketCoffea).
    Raw {
        /// `CorrT1METJet_rawPt`.
        pt: &'a [f32],
        /// `CorrT1METJet_rawMass`, if any.
        mass: Option<&'a [f32]>,
    },
}

/// The generator-level match of the jets (simulation).
#[derive(Debug, Clone, Copy)]
pub struct GenMatch<'a> {
    /// `Jet_genJetIdx`: index of the matched GenJet within the event, or −1.
    /// An index at or beyond the event's number of GenJets (real NanoAOD has
    /// some: the GenJet collection is cut after matching) counts as no match,
    /// as in coffea's `matched_gen`.
    pub gen_jet_idx: &'a [i32],
    /// Offsets of the `GenJet` collection.
    pub gen_offsets: &'a [u32],
    /// `GenJet_pt`.
    pub gen_pt: &'a [f32],
}

/// Everything a jet calibration reads for one chunk.
#[derive(Debug, Clone, Copy)]
pub struct JetInputs<'a> {
    /// Offsets of the jet collection (`n_events + 1`, from 0).
    pub offsets: &'a [u32],
    /// Pt and mass.
    pub pt: PtInput<'a>,
    /// `Jet_eta`.
    pub eta: &'a [f32],
    /// `Jet_phi`.
    pub phi: &'a [f32],
    /// `Jet_area`.
    pub area: &'a [f32],
    /// The gen match, for JER smearing (`None`: no jet is matched, e.g.
    /// `CorrT1METJet`).
    pub gen: Option<GenMatch<'a>>,
    /// `fixedGridRhoFastjetAll` (`Rho_fixedGridRhoFastjetAll` from
    /// NanoAOD v12), per event.
    pub rho: &'a [f32],
    /// `event`, per event (the seed of the stochastic smearing).
    pub event: &'a [u64],
    /// `run`, per event (an input of some newer JEC files).
    pub run: &'a [u32],
}

impl<'a> JetInputs<'a> {
    /// Number of events.
    pub fn n_events(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of jets.
    pub fn n_jets(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0) as usize
    }

    /// Checks that the columns fit together; `ctx` names the calibration.
    pub fn check(&self, ctx: &str) -> Result<()> {
        check_offsets(ctx, "jet", self.offsets)?;
        let (ne, nj) = (self.n_events(), self.n_jets());
        let mut per_jet: Vec<(&str, usize)> = vec![
            ("eta", self.eta.len()),
            ("phi", self.phi.len()),
            ("area", self.area.len()),
        ];
        match self.pt {
            PtInput::Corrected {
                pt,
                mass,
                raw_factor,
            } => {
                per_jet.extend([
                    ("pt", pt.len()),
                    ("mass", mass.len()),
                    ("rawFactor", raw_factor.len()),
                ]);
            }
            PtInput::Raw { pt, mass } => {
                per_jet.push(("rawPt", pt.len()));
                if let Some(m) = mass {
                    per_jet.push(("rawMass", m.len()));
                }
            }
        }
        for (name, len) in per_jet {
            if len != nj {
                return Err(columns(
                    ctx,
                    format!("the jet field '{name}' has {len} values for {nj} jets"),
                ));
            }
        }
        for (name, len) in [
            ("rho", self.rho.len()),
            ("event", self.event.len()),
            ("run", self.run.len()),
        ] {
            if len != ne {
                return Err(columns(
                    ctx,
                    format!("the event field '{name}' has {len} values for {ne} events"),
                ));
            }
        }
        if let Some(g) = &self.gen {
            check_offsets(ctx, "GenJet", g.gen_offsets)?;
            if g.gen_offsets.len() != self.offsets.len() {
                return Err(columns(
                    ctx,
                    format!(
                        "GenJet offsets are for {} events, the jets for {ne}",
                        g.gen_offsets.len().saturating_sub(1)
                    ),
                ));
            }
            let ng = g.gen_offsets.last().copied().unwrap_or(0) as usize;
            if g.gen_pt.len() != ng || g.gen_jet_idx.len() != nj {
                return Err(columns(
                    ctx,
                    format!(
                        "GenJet_pt has {} values for {ng} GenJets, genJetIdx {} for {nj} jets",
                        g.gen_pt.len(),
                        g.gen_jet_idx.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A per-event value repeated for each jet of the event.
    pub(crate) fn broadcast<T: Copy, U: Copy>(
        &self,
        per_event: &[T],
        f: impl Fn(T) -> U,
    ) -> Vec<U> {
        let mut out = Vec::with_capacity(self.n_jets());
        for (e, w) in self.offsets.windows(2).enumerate() {
            let v = f(per_event[e]);
            out.extend((w[0]..w[1]).map(|_| v));
        }
        out
    }

    /// The raw pt and raw mass, as PocketCoffea computes them (float32).
    pub(crate) fn raw(&self) -> (Vec<f32>, Vec<f32>) {
        match self.pt {
            PtInput::Corrected {
                pt,
                mass,
                raw_factor,
            } => {
                // awkward: (1 - rawFactor) is float32, times pt float32
                let f = |v: &[f32]| -> Vec<f32> {
                    v.iter()
                        .zip(raw_factor)
                        .map(|(&x, &rf)| (1.0f32 - rf) * x)
                        .collect()
                };
                (f(pt), f(mass))
            }
            PtInput::Raw { pt, mass } => (
                pt.to_vec(),
                mass.map_or_else(|| vec![0.0; pt.len()], <[f32]>::to_vec),
            ),
        }
    }

    /// The matched GenJet pt of each jet, or −1 without a (valid) match.
    pub(crate) fn gen_pt(&self) -> Vec<f32> {
        let Some(g) = &self.gen else {
            return vec![-1.0; self.n_jets()];
        };
        let mut out = Vec::with_capacity(self.n_jets());
        for (e, w) in self.offsets.windows(2).enumerate() {
            let (g0, g1) = (g.gen_offsets[e] as usize, g.gen_offsets[e + 1] as usize);
            for j in w[0] as usize..w[1] as usize {
                let idx = g.gen_jet_idx[j];
                let v = usize::try_from(idx)
                    .ok()
                    .filter(|&i| i < g1 - g0)
                    .map_or(-1.0, |i| g.gen_pt[g0 + i]);
                out.push(v);
            }
        }
        out
    }
}

/// Offsets start at 0 and never decrease.
pub(crate) fn check_offsets(ctx: &str, what: &str, offsets: &[u32]) -> Result<()> {
    if offsets.first() != Some(&0) {
        return Err(columns(
            ctx,
            format!("the {what} offsets must start at 0 (n_events + 1 values)"),
        ));
    }
    if let Some(i) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return Err(columns(
            ctx,
            format!("the {what} offsets decrease at event {i}"),
        ));
    }
    Ok(())
}
