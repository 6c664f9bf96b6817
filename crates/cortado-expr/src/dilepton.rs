//! PocketCoffea's `get_dilepton`: the dilepton system of each event.

use std::sync::Arc;

use crate::eval::{ee, R};
use crate::math::{self, P4};
use crate::types::Prim;
use crate::value::{Arr, CollVal, RecVal, Val};

/// PocketCoffea's `get_dilepton(electrons, muons)`: the two leading muons and
/// the two leading electrons (muons first); when exactly two leptons, their
/// sum's kinematics and charge, else 0 (and -1 for the pair quantities).
pub(crate) fn dilepton(e: &Val, m: &Val) -> R<Val> {
    let (Val::Coll(el), Val::Coll(mu)) = (e, m) else {
        return Err(ee("internal error: dilepton"));
    };
    let f32s = |c: &CollVal, f: &str| -> R<Vec<f32>> {
        match c.field(f).map_err(ee)?.cast(Prim::F32) {
            Arr::F32(v) => Ok(v),
            _ => unreachable!(),
        }
    };
    let ints = |c: &CollVal, f: &str| -> R<Vec<i64>> {
        match c.field(f).map_err(ee)?.cast(Prim::Int) {
            Arr::Int(v) => Ok(v),
            _ => unreachable!(),
        }
    };
    let (mpt, meta, mphi, mmass, mq) = (
        f32s(mu, "pt")?,
        f32s(mu, "eta")?,
        f32s(mu, "phi")?,
        f32s(mu, "mass")?,
        ints(mu, "charge")?,
    );
    let (ept, eeta, ephi, emass, eq) = (
        f32s(el, "pt")?,
        f32s(el, "eta")?,
        f32s(el, "phi")?,
        f32s(el, "mass")?,
        ints(el, "charge")?,
    );
    let n = mu.events();
    let names = [
        "pt", "eta", "phi", "mass", "charge", "deltaR", "deltaPhi", "deltaEta", "l1phi", "l2phi",
        "l1pt", "l2pt", "l1eta", "l2eta", "l1mass", "l2mass",
    ];
    // (`vec![v; n]` clones, and a clone does not keep the capacity)
    let mut cols: Vec<Vec<f64>> = (0..names.len()).map(|_| Vec::with_capacity(n)).collect();
    // inline(always): the loop must be compiled inside with_fma's FMA function
    math::with_fma(
        #[inline(always)]
        || {
            for ev in 0..n {
                // leptons: muons[:2] then electrons[:2]; only events with exactly two matter
                let (m0, m1) = (mu.offsets[ev] as usize, mu.offsets[ev + 1] as usize);
                let (e0, e1) = (el.offsets[ev] as usize, el.offsets[ev + 1] as usize);
                let (nm, ne) = ((m1 - m0).min(2), (e1 - e0).min(2));
                let mut leps = [(0f32, 0f32, 0f32, 0f32, 0i64); 2];
                if nm + ne == 2 {
                    for (k, i) in (m0..m0 + nm).enumerate() {
                        leps[k] = (mpt[i], meta[i], mphi[i], mmass[i], mq[i]);
                    }
                    for (k, i) in (e0..e0 + ne).enumerate() {
                        leps[nm + k] = (ept[i], eeta[i], ephi[i], emass[i], eq[i]);
                    }
                }
                let row: [f64; 16] = if nm + ne == 2 {
                    let (a, b) = (leps[0], leps[1]);
                    let s = P4::from_ptetaphim(a.0, a.1, a.2, a.3)
                        .sum(P4::from_ptetaphim(b.0, b.1, b.2, b.3));
                    [
                        s.pt() as f64,
                        s.eta() as f64,
                        s.phi() as f64,
                        s.mass() as f64,
                        (a.4 + b.4) as f64,
                        math::delta_r_f32(a.1, a.2, b.1, b.2) as f64,
                        math::delta_phi_f32(a.2, b.2).abs() as f64,
                        (a.1 - b.1).abs() as f64,
                        a.2 as f64,
                        b.2 as f64,
                        a.0 as f64,
                        b.0 as f64,
                        a.1 as f64,
                        b.1 as f64,
                        a.3 as f64,
                        b.3 as f64,
                    ]
                } else {
                    [
                        0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0,
                        -1.0, -1.0, -1.0,
                    ]
                };
                for (c, v) in cols.iter_mut().zip(row) {
                    c.push(v);
                }
            }
        },
    );
    let fields = names
        .iter()
        .zip(cols)
        .map(|(k, v)| (k.to_string(), Val::Event(Arc::new(Arr::F64(v)))))
        .collect();
    Ok(Val::Rec(Arc::new(RecVal::Fields(fields))))
}
