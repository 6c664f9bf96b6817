//! The Rust part of the `custom_workflow` example: what the Z → μμ analysis
//! of `examples/zmumu/` needs beyond configuration.
//!
//! - `cos_theta_cs(muons)`: the Collins–Soper angle of the two leading muons
//!   (a variable the expression language cannot write);
//! - `muon_id_sf(muons, shift)`: a per-event weight, the product of a binned
//!   scale factor of every muon, with its up (`shift=1`) and down (`shift=-1`)
//!   variations (the numbers are illustrative, not a CMS measurement);
//! - a [`Workflow`] with three of PocketCoffea's processor hooks: it defines a
//!   collection (`MuonTightIso`) after the object preselection, a variable
//!   (`dimuon_y`) after the preselection, and fills a 2D histogram
//!   (`mll_vs_cos_theta_cs`, declared with `autofill: false`) itself;
//! - a calibrator, `muon_scale` ([`calibrator::MuonScale`]): a muon momentum
//!   scale with up/down shape variations (`muon_scale.yaml`).

pub mod calibrator;

use std::sync::Arc;

use cortado::eval::Env;
use cortado::ext::{Extensions, ExtraFill, Hook, HookDef, Workflow};
use cortado::types::{Prim, Schema, Ty};
use cortado::user::{event_f64, UserFunction};
use cortado::value::{Arr, CollVal, Lit, Val};

/// The functions and hooks of this analysis.
pub fn extensions() -> Extensions {
    let mut ext = Extensions::default();
    ext.functions.add("cos_theta_cs", CosThetaCs);
    ext.functions.add("muon_id_sf", MuonIdSf);
    ext.workflow = Box::new(ZmumuHooks);
    ext.calibrators.push(Arc::new(calibrator::MuonScale));
    ext
}

/// A muon's kinematics.
#[derive(Clone, Copy, Debug)]
pub struct Lepton {
    /// Transverse momentum (GeV).
    pub pt: f64,
    /// Pseudorapidity.
    pub eta: f64,
    /// Azimuth.
    pub phi: f64,
    /// Mass (GeV).
    pub mass: f64,
    /// Electric charge.
    pub charge: i64,
}

impl Lepton {
    /// (E, px, py, pz).
    pub fn p4(&self) -> [f64; 4] {
        let (px, py, pz) = (
            self.pt * self.phi.cos(),
            self.pt * self.phi.sin(),
            self.pt * self.eta.sinh(),
        );
        let e = (px * px + py * py + pz * pz + self.mass * self.mass).sqrt();
        [e, px, py, pz]
    }
}

/// The Collins–Soper cos θ* of an opposite-charge lepton pair, or `None` for
/// a same-charge pair: `sign(Q_z) · 2 (P1⁺P2⁻ − P1⁻P2⁺) / (M √(M² + Q_T²))`
/// with lepton 1 the negative one and `P± = (E ± p_z)/√2`.
pub fn cos_theta_cs(a: &Lepton, b: &Lepton) -> Option<f64> {
    let (neg, pos) = match (a.charge, b.charge) {
        (qa, qb) if qa < 0 && qb > 0 => (a, b),
        (qa, qb) if qa > 0 && qb < 0 => (b, a),
        _ => return None,
    };
    let (p1, p2) = (neg.p4(), pos.p4());
    let q: Vec<f64> = (0..4).map(|i| p1[i] + p2[i]).collect();
    let m2 = q[0] * q[0] - q[1] * q[1] - q[2] * q[2] - q[3] * q[3];
    if m2 <= 0.0 {
        return None;
    }
    let qt2 = q[1] * q[1] + q[2] * q[2];
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let (p1p, p1m) = (s * (p1[0] + p1[3]), s * (p1[0] - p1[3]));
    let (p2p, p2m) = (s * (p2[0] + p2[3]), s * (p2[0] - p2[3]));
    let sign = if q[3] < 0.0 { -1.0 } else { 1.0 };
    Some(sign * 2.0 * (p1p * p2m - p1m * p2p) / (m2.sqrt() * (m2 + qt2).sqrt()))
}

/// The invariant mass and rapidity of two leptons.
pub fn mass_rapidity(a: &Lepton, b: &Lepton) -> (f64, f64) {
    let (p1, p2) = (a.p4(), b.p4());
    let q: Vec<f64> = (0..4).map(|i| p1[i] + p2[i]).collect();
    let m2 = q[0] * q[0] - q[1] * q[1] - q[2] * q[2] - q[3] * q[3];
    (
        m2.max(0.0).sqrt(),
        0.5 * ((q[0] + q[3]) / (q[0] - q[3])).ln(),
    )
}

/// The fields of a muon collection these functions read.
const MUON_FIELDS: [&str; 5] = ["pt", "eta", "phi", "mass", "charge"];

/// The muons of a collection value, event by event.
struct Muons {
    offsets: Arc<Vec<u32>>,
    fields: Vec<Arc<Arr>>,
}

impl Muons {
    fn of(v: &Val) -> Result<Muons, String> {
        let Val::Coll(c) = v else {
            return Err("expected a muon collection".into());
        };
        Muons::of_coll(c)
    }

    fn of_coll(c: &Arc<CollVal>) -> Result<Muons, String> {
        let fields = MUON_FIELDS
            .iter()
            .map(|f| c.field(f))
            .collect::<Result<_, _>>()?;
        Ok(Muons {
            offsets: c.offsets.clone(),
            fields,
        })
    }

    fn events(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The muons of event `e`.
    fn of_event(&self, e: usize) -> impl Iterator<Item = Lepton> + '_ {
        (self.offsets[e] as usize..self.offsets[e + 1] as usize).map(|i| Lepton {
            pt: self.fields[0].get_f64(i),
            eta: self.fields[1].get_f64(i),
            phi: self.fields[2].get_f64(i),
            mass: self.fields[3].get_f64(i),
            charge: self.fields[4].get_f64(i) as i64,
        })
    }

    /// The two leading muons of event `e` (the collection is sorted by pt).
    fn pair(&self, e: usize) -> Option<(Lepton, Lepton)> {
        let mut it = self.of_event(e);
        Some((it.next()?, it.next()?))
    }
}

/// The argument must be a collection with the muon fields.
fn muon_collection(t: &Ty, schema: &Schema, what: &str) -> Result<(), String> {
    let Ty::Coll(id) = t else {
        return Err(format!("{what} takes a muon collection (such as MuonGood)"));
    };
    let info = &schema.colls[*id];
    for f in MUON_FIELDS {
        if !info.fields.contains_key(f) {
            return Err(format!(
                "{what}: collection {} has no field '{f}'",
                info.name
            ));
        }
    }
    Ok(())
}

/// `cos_theta_cs(muons)`: Collins–Soper cos θ* of the two leading muons
/// (missing for events with fewer than two muons or a same-charge pair).
pub struct CosThetaCs;

impl UserFunction for CosThetaCs {
    fn signature(&self, args: &[Ty], schema: &Schema) -> Result<Ty, String> {
        match args {
            [c] => muon_collection(c, schema, "cos_theta_cs(muons)").map(|_| Ty::Opt(Prim::F64)),
            _ => Err("cos_theta_cs(muons) takes one argument".into()),
        }
    }

    fn eval(&self, args: &[Val], _env: &Env) -> Result<Val, String> {
        let mu = Muons::of(&args[0])?;
        let mut values = Vec::with_capacity(mu.events());
        let mut valid = Vec::with_capacity(mu.events());
        for e in 0..mu.events() {
            let c = mu.pair(e).and_then(|(a, b)| cos_theta_cs(&a, &b));
            values.push(c.unwrap_or(0.0));
            valid.push(c.is_some());
        }
        Ok(Val::Opt(Arc::new(Arr::F64(values)), Arc::new(valid)))
    }

    fn fields(&self) -> Vec<String> {
        MUON_FIELDS.iter().map(|s| s.to_string()).collect()
    }
}

/// Bin edges in |η| of the muon scale factor.
pub const SF_ABS_ETA_EDGES: [f64; 5] = [0.0, 0.9, 1.2, 2.1, 2.4];
/// Scale factor values (illustrative) and their uncertainties, per bin.
pub const SF_VALUES: [(f64, f64); 4] = [
    (0.991, 0.002),
    (0.985, 0.003),
    (0.978, 0.003),
    (0.962, 0.008),
];

/// The scale factor of one muon shifted by `shift` standard deviations
/// (|η| beyond the last edge uses the last bin).
pub fn muon_sf(abs_eta: f64, shift: f64) -> f64 {
    let bin = SF_ABS_ETA_EDGES[1..]
        .iter()
        .position(|&hi| abs_eta < hi)
        .unwrap_or(SF_VALUES.len() - 1);
    let (v, err) = SF_VALUES[bin];
    v + shift * err
}

/// `muon_id_sf(muons, shift)`: per event, the product of the scale factors of
/// the muons, shifted by `shift` (an integer constant: -1, 0 or 1).
pub struct MuonIdSf;

impl UserFunction for MuonIdSf {
    fn signature(&self, args: &[Ty], schema: &Schema) -> Result<Ty, String> {
        match args {
            [c, Ty::Lit(Prim::Int)] => {
                muon_collection(c, schema, "muon_id_sf(muons, shift)").map(|_| Ty::Event(Prim::F64))
            }
            _ => Err(
                "muon_id_sf(muons, shift) takes a muon collection and an integer (-1, 0, 1)".into(),
            ),
        }
    }

    fn eval(&self, args: &[Val], _env: &Env) -> Result<Val, String> {
        let mu = Muons::of(&args[0])?;
        let shift = match &args[1] {
            Val::Lit(Lit::Int(s)) if (-1..=1).contains(s) => *s as f64,
            other => return Err(format!("shift must be -1, 0 or 1, not {other:?}")),
        };
        Ok(event_f64(
            (0..mu.events())
                .map(|e| {
                    mu.of_event(e)
                        .map(|m| muon_sf(m.eta.abs(), shift))
                        .product()
                })
                .collect(),
        ))
    }

    fn fields(&self) -> Vec<String> {
        MUON_FIELDS.iter().map(|s| s.to_string()).collect()
    }
}

/// Relative isolation below which a muon enters `MuonTightIso`.
pub const TIGHT_ISO: f64 = 0.05;

/// The processor hooks of the analysis.
pub struct ZmumuHooks;

impl Workflow for ZmumuHooks {
    fn defines(&self, schema: &mut Schema) -> Vec<HookDef> {
        let mut defs = vec![HookDef::new(
            "dimuon_y",
            Ty::Opt(Prim::F64),
            Hook::DefineCommonVariablesAfterPresel,
        )];
        if let Ok(ty) = schema.add_coll_like("MuonTightIso", "Muon") {
            defs.push(HookDef::collection(
                "MuonTightIso",
                ty,
                Hook::ApplyObjectPreselection,
                &["Muon"],
            ));
        }
        defs
    }

    fn branches(&self) -> Vec<String> {
        // What the hooks read themselves (MuonGood's fields come from Muon).
        ["pt", "eta", "phi", "mass", "charge", "pfRelIso04_all"]
            .iter()
            .map(|f| format!("Muon_{f}"))
            .chain(["nMuon".to_string()])
            .collect()
    }

    /// `MuonTightIso`: the good muons with relative isolation below 0.05.
    fn apply_object_preselection(&self, env: &mut Env) -> Result<(), String> {
        let Val::Coll(good) = env.get("MuonGood").map_err(|e| e.0)? else {
            return Err("MuonGood is not a collection".into());
        };
        let iso = good.field("pfRelIso04_all")?;
        let mask: Vec<bool> = (0..iso.len()).map(|i| iso.get_f64(i) < TIGHT_ISO).collect();
        env.define("MuonTightIso", Val::Coll(Arc::new(good.select(&mask))));
        Ok(())
    }

    /// `dimuon_y`: rapidity of the two leading good muons.
    fn define_common_variables_after_presel(&self, env: &mut Env) -> Result<(), String> {
        let mu = muon_good(env)?;
        let mut y = Vec::with_capacity(mu.events());
        let mut valid = Vec::with_capacity(mu.events());
        for e in 0..mu.events() {
            let v = mu.pair(e).map(|(a, b)| mass_rapidity(&a, &b).1);
            y.push(v.unwrap_or(0.0));
            valid.push(v.is_some());
        }
        env.define("dimuon_y", Val::Opt(Arc::new(Arr::F64(y)), Arc::new(valid)));
        Ok(())
    }

    /// `mll_vs_cos_theta_cs`: (mass, cos θ*) of the muon pair, in every
    /// sample, category and variation, with the analysis's weights.
    fn fill_histograms_extra(&self, env: &Env, fill: &mut dyn ExtraFill) -> Result<(), String> {
        const HIST: &str = "mll_vs_cos_theta_cs";
        let mu = muon_good(env)?;
        let mut per_event: Vec<Option<(f64, f64)>> = Vec::with_capacity(mu.events());
        for e in 0..mu.events() {
            per_event.push(
                mu.pair(e)
                    .and_then(|(a, b)| Some((mass_rapidity(&a, &b).0, cos_theta_cs(&a, &b)?))),
            );
        }
        for (sample, sample_mask) in fill.samples() {
            for (category, cat_mask) in fill.categories() {
                for variation in fill.variations(HIST) {
                    let w = fill.weights(&sample, &category, &variation);
                    let (mut mll, mut cth, mut ws) = (Vec::new(), Vec::new(), Vec::new());
                    for (e, v) in per_event.iter().enumerate() {
                        let selected = cat_mask[e] && sample_mask.as_ref().is_none_or(|m| m[e]);
                        if let (true, Some((m, c))) = (selected, v) {
                            mll.push(*m);
                            cth.push(*c);
                            ws.push(w[e]);
                        }
                    }
                    fill.fill(HIST, &sample, &category, &variation, &[&mll, &cth], &ws)?;
                }
            }
        }
        Ok(())
    }
}

fn muon_good(env: &Env) -> Result<Muons, String> {
    match env.get("MuonGood").map_err(|e| e.0)? {
        Val::Coll(c) => Muons::of_coll(&c),
        _ => Err("MuonGood is not a collection".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lepton of mass `m` from (E, px, py, pz).
    fn lepton(p: [f64; 4], m: f64, charge: i64) -> Lepton {
        let pt = p[1].hypot(p[2]);
        Lepton {
            pt,
            eta: (p[3] / pt).asinh(),
            phi: p[2].atan2(p[1]),
            mass: m,
            charge,
        }
    }

    /// A pair decaying at angle θ in its rest frame (in the x–z plane),
    /// boosted along z: cos θ_CS is cos θ of the negative lepton (times the
    /// leptons' velocity β* in that frame, as the formula has it for massive leptons).
    #[test]
    fn collins_soper_of_a_boosted_pair_is_the_rest_frame_angle() {
        let (m, mass_z) = (0.105_658_f64, 91.0_f64);
        for &(cos_t, beta) in &[(0.3, 0.4), (-0.7, 0.2), (0.95, 0.6), (-0.1, -0.5)] {
            let sin_t = f64::sqrt(1.0 - cos_t * cos_t);
            let e = mass_z / 2.0;
            let p = (e * e - m * m).sqrt();
            let g = 1.0 / f64::sqrt(1.0 - beta * beta);
            let boost = |v: [f64; 4]| {
                [
                    g * (v[0] + beta * v[3]),
                    v[1],
                    v[2],
                    g * (v[3] + beta * v[0]),
                ]
            };
            let neg = boost([e, p * sin_t, 0.0, p * cos_t]);
            let pos = boost([e, -p * sin_t, 0.0, -p * cos_t]);
            let c = cos_theta_cs(&lepton(pos, m, 1), &lepton(neg, m, -1)).unwrap();
            // The CS axis is the beam axis oriented along the pair's p_z.
            let expected = if beta < 0.0 { -cos_t } else { cos_t } * p / e;
            assert!(
                (c - expected).abs() < 1e-9,
                "cos θ={cos_t} β={beta}: {c} vs {expected}"
            );
            let (mll, y) = mass_rapidity(&lepton(neg, m, -1), &lepton(pos, m, 1));
            assert!((mll - mass_z).abs() < 1e-9);
            assert!((y - beta.atanh()).abs() < 1e-9);
        }
    }

    #[test]
    fn same_charge_pairs_have_no_angle() {
        let a = Lepton {
            pt: 40.0,
            eta: 0.1,
            phi: 0.0,
            mass: 0.1,
            charge: 1,
        };
        assert!(cos_theta_cs(&a, &a).is_none());
    }

    #[test]
    fn scale_factor_bins_and_shifts() {
        assert_eq!(muon_sf(0.0, 0.0), 0.991);
        assert_eq!(muon_sf(0.9, 0.0), 0.985);
        assert_eq!(muon_sf(2.3, 1.0), 0.962 + 0.008);
        assert_eq!(muon_sf(3.0, -1.0), 0.962 - 0.008);
    }
}
