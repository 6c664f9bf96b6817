//! The result of a jet calibration: the per-jet quantities computed once per
//! chunk ([`Calibration`]), from which the nominal jets and each variation's
//! jets ([`JetsOut`]) are produced on demand — a variation changes only pt,
//! mass, rawFactor and the order of the jets.

use crate::spec::{Direction, JetVariation};

/// Calibrated jets: pt, mass and rawFactor (float64, as PocketCoffea's
/// calibrated collections), in the order of [`JetsOut::order`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JetsOut {
    /// Calibrated pt.
    pub pt: Vec<f64>,
    /// Calibrated mass.
    pub mass: Vec<f64>,
    /// `1 − raw pt / pt` (0 where pt is 0), recomputed for every variation.
    pub raw_factor: Vec<f64>,
    /// The new order of the jets when they were re-sorted by pt: position
    /// `k` holds the input jet `order[k]` (a flat index; every event keeps
    /// its offsets). Apply it to every other field of the collection:
    /// `field_sorted[k] = field[order[k]]`. `None` when no event changed
    /// order (or sorting is off).
    pub order: Option<Vec<u32>>,
}

impl JetsOut {
    /// The input index of the jet at position `k`.
    #[inline]
    pub fn source(&self, k: usize) -> usize {
        match &self.order {
            Some(o) => o[k] as usize,
            None => k,
        }
    }

    /// `field` (one value per jet, input order) in this order (a copy;
    /// unchanged if the order is unchanged). Panics if `field` has fewer
    /// values than there are jets.
    pub fn permute<T: Copy>(&self, field: &[T]) -> Vec<T> {
        match &self.order {
            Some(o) => o.iter().map(|&i| field[i as usize]).collect(),
            None => field.to_vec(),
        }
    }
}

/// The nominal jets and every variation's, computed eagerly
/// ([`Calibration::into_calibrated`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Calibrated {
    /// The nominal jets.
    pub nominal: JetsOut,
    /// Each variation's name (`AK4PFchs_JES_TotalUp`, …) and jets.
    pub variations: Vec<(String, JetsOut)>,
}

/// What a variation does to the nominal jets.
#[derive(Debug, Clone)]
pub(crate) enum Shift {
    /// `pt_nominal · (1 ± Δ)` (JES source).
    Jes { delta: Vec<f64>, dir: Direction },
    /// `pt_JEC · smear(sf_up/down)` (JER).
    Jer { smear: Vec<f64> },
}

/// Everything a jet calibration computed for one chunk.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub(crate) offsets: Vec<u32>,
    pub(crate) raw_pt: Vec<f32>,
    /// Pt and mass after JEC (before smearing).
    pub(crate) jec_pt: Vec<f64>,
    pub(crate) jec_mass: Vec<f64>,
    /// Pt and mass after JEC and JER (the nominal).
    pub(crate) nom_pt: Vec<f64>,
    pub(crate) nom_mass: Vec<f64>,
    pub(crate) variations: Vec<(String, JetVariation, Shift)>,
    pub(crate) l1: Option<Vec<f64>>,
    pub(crate) sort: bool,
}

impl Calibration {
    /// Number of jets.
    pub fn n_jets(&self) -> usize {
        self.raw_pt.len()
    }

    /// The collection's offsets.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The raw pt of each jet (input order; float32 as PocketCoffea).
    pub fn raw_pt(&self) -> &[f32] {
        &self.raw_pt
    }

    /// The pt after JEC, before smearing (input order).
    pub fn jec_pt(&self) -> &[f64] {
        &self.jec_pt
    }

    /// The L1 (pileup offset) correction factor of each jet's raw pt (input
    /// order), when the calibration was asked for it
    /// ([`crate::JetCalibSpec::l1_for_met`]).
    pub fn l1_factor(&self) -> Option<&[f64]> {
        self.l1.as_deref()
    }

    /// The nominal jets (JEC, and JER smearing on simulation).
    pub fn nominal(&self) -> JetsOut {
        self.finish(self.nom_pt.clone(), self.nom_mass.clone())
    }

    /// The names of the variations, Up before Down, in the order of the
    /// specification's `variations`.
    pub fn variation_names(&self) -> impl Iterator<Item = &str> {
        self.variations.iter().map(|(n, _, _)| n.as_str())
    }

    /// The jets of variation `name`, or `None` if this calibration does not
    /// provide it (the caller then uses the nominal jets, as PocketCoffea
    /// does for variations of other calibrators).
    pub fn variation(&self, name: &str) -> Option<JetsOut> {
        let i = self.variations.iter().position(|(n, _, _)| n == name)?;
        self.variation_at(i)
    }

    /// The jets of the `i`-th variation (in [`Calibration::variation_names`]
    /// order), `None` if there are not that many.
    pub fn variation_at(&self, i: usize) -> Option<JetsOut> {
        let (pt, mass) = match &self.variations.get(i)?.2 {
            Shift::Jes { delta, dir } => {
                let sign = match dir {
                    Direction::Up => 1.0,
                    Direction::Down => -1.0,
                };
                // PocketCoffea: corr = 1 ± Δ; pt_var = pt · corr
                let f = |v: &[f64]| -> Vec<f64> {
                    v.iter()
                        .zip(delta)
                        .map(|(&x, &d)| x * (1.0 + sign * d))
                        .collect()
                };
                (f(&self.nom_pt), f(&self.nom_mass))
            }
            Shift::Jer { smear } => {
                let f =
                    |v: &[f64]| -> Vec<f64> { v.iter().zip(smear).map(|(&x, &s)| x * s).collect() };
                (f(&self.jec_pt), f(&self.jec_mass))
            }
        };
        Some(self.finish(pt, mass))
    }

    /// The nominal jets and every variation's.
    pub fn into_calibrated(self) -> Calibrated {
        let variations = (0..self.variations.len())
            .filter_map(|i| Some((self.variations[i].0.clone(), self.variation_at(i)?)))
            .collect();
        Calibrated {
            nominal: self.nominal(),
            variations,
        }
    }

    /// rawFactor, then the sort by pt.
    fn finish(&self, pt: Vec<f64>, mass: Vec<f64>) -> JetsOut {
        let raw_factor = pt
            .iter()
            .zip(&self.raw_pt)
            .map(|(&p, &r)| if p != 0.0 { 1.0 - r as f64 / p } else { 0.0 })
            .collect();
        let out = JetsOut {
            pt,
            mass,
            raw_factor,
            order: None,
        };
        if !self.sort {
            return out;
        }
        match sort_order(&self.offsets, &out.pt) {
            None => out,
            Some(order) => {
                let p = |v: &[f64]| -> Vec<f64> { order.iter().map(|&i| v[i as usize]).collect() };
                JetsOut {
                    pt: p(&out.pt),
                    mass: p(&out.mass),
                    raw_factor: p(&out.raw_factor),
                    order: Some(order),
                }
            }
        }
    }
}

/// The order that sorts each event's jets by decreasing pt (stable: equal
/// pts keep their order, as awkward's `argsort(ascending=False)`; NaN last),
/// or `None` if every event is already sorted.
pub fn sort_order(offsets: &[u32], pt: &[f64]) -> Option<Vec<u32>> {
    let before = |a: f64, b: f64| a > b || (b.is_nan() && !a.is_nan());
    let sorted = offsets.windows(2).all(|w| {
        (w[0] as usize..w[1] as usize)
            .zip(w[0] as usize + 1..w[1] as usize)
            .all(|(i, j)| !before(pt[j], pt[i]))
    });
    if sorted {
        return None;
    }
    let mut order: Vec<u32> = (0..pt.len() as u32).collect();
    for w in offsets.windows(2) {
        let ev = &mut order[w[0] as usize..w[1] as usize];
        // insertion sort: stable, and events have few jets
        for k in 1..ev.len() {
            let mut m = k;
            while m > 0 && before(pt[ev[m] as usize], pt[ev[m - 1] as usize]) {
                ev.swap(m, m - 1);
                m -= 1;
            }
        }
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_each_event_stably() {
        let offsets = [0, 3, 3, 6];
        let pt = [10.0, 30.0, 20.0, 5.0, 5.0, 7.0];
        let o = sort_order(&offsets, &pt).unwrap();
        assert_eq!(o, [1, 2, 0, 5, 3, 4]);
        assert_eq!(sort_order(&[0, 2], &[3.0, 1.0]), None);
        assert_eq!(sort_order(&[0, 2], &[1.0, 1.0]), None);
        assert_eq!(
            sort_order(&[0, 3], &[f64::NAN, 1.0, 2.0]).unwrap(),
            [2, 1, 0]
        );
        assert_eq!(sort_order(&[0], &[]), None);
    }

    fn calib() -> Calibration {
        Calibration {
            offsets: vec![0, 2],
            raw_pt: vec![40.0, 30.0],
            jec_pt: vec![44.0, 36.0],
            jec_mass: vec![4.0, 3.0],
            nom_pt: vec![45.0, 46.0],
            nom_mass: vec![4.5, 3.5],
            variations: vec![
                (
                    "J_JES_TotalUp".into(),
                    JetVariation::Jes("Total".into()),
                    Shift::Jes {
                        delta: vec![0.1, 0.0],
                        dir: Direction::Up,
                    },
                ),
                (
                    "J_JERDown".into(),
                    JetVariation::Jer,
                    Shift::Jer {
                        smear: vec![1.0, 0.5],
                    },
                ),
            ],
            l1: None,
            sort: true,
        }
    }

    #[test]
    fn variations_and_raw_factor() {
        let c = calib();
        let n = c.nominal();
        assert_eq!(n.pt, [46.0, 45.0]);
        assert_eq!(n.mass, [3.5, 4.5]);
        assert_eq!(n.order, Some(vec![1, 0]));
        assert_eq!(n.raw_factor, [1.0 - 30.0 / 46.0, 1.0 - 40.0 / 45.0]);
        assert_eq!(n.permute(&[7u8, 8]), [8, 7]);
        let up = c.variation("J_JES_TotalUp").unwrap();
        assert_eq!(up.pt, [45.0 * 1.1, 46.0]);
        assert_eq!(up.order, None);
        assert_eq!(up.raw_factor[0], 1.0 - 40.0 / (45.0 * 1.1));
        let jer = c.variation("J_JERDown").unwrap();
        assert_eq!(jer.pt, [44.0, 18.0]);
        assert_eq!(jer.mass, [4.0, 1.5]);
        assert!(c.variation("nominal").is_none());
        assert_eq!(c.variation_at(1).as_ref(), Some(&jer));
        assert!(c.variation_at(2).is_none());
        let all = c.clone().into_calibrated();
        assert_eq!(all.variations.len(), 2);
        assert_eq!(all.variations[1].1, jer);
        let unsorted = Calibration { sort: false, ..c };
        assert_eq!(unsorted.nominal().pt, [45.0, 46.0]);
        // a zero pt has rawFactor 0
        let z = Calibration {
            nom_pt: vec![0.0, 1.0],
            ..unsorted
        };
        assert_eq!(z.nominal().raw_factor[0], 0.0);
    }
}
