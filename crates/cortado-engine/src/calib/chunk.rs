//! The calibration of one chunk: every correction evaluated once after the
//! skim ([`ChunkCalib::prepare`]), then, for each pass (the nominal and each
//! shape variation), the calibrated collections and MET defined in a copy
//! of the events ([`ChunkCalib::apply`]): a multiplication and a gather.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use cortado_calibration::{
    Calibration, EmFraction, GenMatch, JetInputs, JetsOut, MetInputs, MetShift, PtInput, RawPt,
    Type1Collection, Type1Met, Unclustered,
};
use cortado_expr::eval::Env;
use cortado_expr::types::Prim;
use cortado_expr::value::{Arr, CollVal, RecVal, Val};

use cortado_config::Dataset;

use super::{CalibPlan, JetColl};
use crate::ext::CalibratedChunk;

type R<T> = Result<T, String>;

/// The element type of a column, for messages.
fn kind(a: &Arr) -> &'static str {
    match a {
        Arr::Bool(_) => "booleans",
        Arr::Int(_) => "integers",
        Arr::F32(_) => "float32 values",
        Arr::F64(_) => "float64 values",
    }
}

/// The float32 values of a column; another type is an error naming it.
fn f32s<'a>(a: &'a Arr, name: &str) -> R<&'a [f32]> {
    match a {
        Arr::F32(v) => Ok(v),
        other => Err(format!(
            "branch '{name}' holds {}, the calibration needs float32 values",
            kind(other)
        )),
    }
}

/// Integer column values converted to `T`; a value that does not fit (or a
/// non-integer column) is an error naming the column.
fn ints<T: TryFrom<i64>>(a: &Arr, name: &str) -> R<Vec<T>> {
    let Arr::Int(v) = a else {
        return Err(format!(
            "branch '{name}' holds {}, the calibration needs integers",
            kind(a)
        ));
    };
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            T::try_from(x).map_err(|_| {
                format!("branch '{name}': value {x} (entry {i} of the chunk's selected events) is out of range")
            })
        })
        .collect()
}

/// One calibrated collection of the chunk.
struct Jets {
    /// The collection as read (selected events).
    base: Arc<CollVal>,
    calibration: Calibration,
    nominal: JetsOut,
}

/// Everything calibrated in one chunk.
pub(crate) struct ChunkCalib {
    jets: Vec<Jets>,
    met: Option<Type1Met>,
    /// The calibrators written in Rust ([`CalibPlan::user`]).
    user: Vec<Box<dyn CalibratedChunk>>,
    /// Per calibrator written in Rust that shifts the MET: Σ px, Σ py of
    /// the objects of its collections as read, per event.
    met_before: Vec<Option<(Vec<f64>, Vec<f64>)>>,
}

/// A branch of the selected events.
fn branch(env: &Env, name: &str) -> R<Arc<Arr>> {
    env.branch(name).map_err(|e| e.0)
}

/// A field of a base collection of the selected events.
fn field(base: &CollVal, coll: &str, f: &str) -> R<Arc<Arr>> {
    base.field(f).map_err(|e| format!("{coll}.{f}: {e}"))
}

impl ChunkCalib {
    /// Calibrates the events of `env` (after the skim): every jet
    /// collection of `plan`, and the type-1 MET's per-chunk inputs.
    pub(crate) fn prepare(plan: &CalibPlan, ds: &Dataset, env: &Env) -> R<ChunkCalib> {
        let mut jets = Vec::new();
        if !plan.jets.is_empty() {
            let rho = branch(env, &plan.rho)?;
            let rho = f32s(&rho, &plan.rho)?;
            let run: Vec<u32> = ints(&*branch(env, "run")?, "run")?;
            let needs_event = plan.jets.iter().any(|j| j.spec.smears());
            let event: Vec<u64> = if needs_event {
                ints(&*branch(env, "event")?, "event")?
            } else {
                vec![0; env.len()]
            };
            for j in &plan.jets {
                jets.push(calibrate(j, env, rho, &run, &event)?);
            }
        }
        let met = match &plan.met {
            None => None,
            Some(m) => Some(type1(plan, m, env, &jets)?),
        };
        let user = plan
            .user
            .iter()
            .map(|u| {
                let name = u.calibrator.name();
                u.calibrator
                    .prepare(ds, env)
                    .map_err(|e| format!("calibrator '{name}': {e}"))
            })
            .collect::<R<_>>()?;
        let met_before = plan
            .user
            .iter()
            .map(|u| {
                // (the MET follows only a type-1 MET that is computed)
                let shifts =
                    plan.met.as_ref().is_some_and(|m| m.spec.active) && u.calibrator.shifts_met();
                shifts
                    .then(|| momentum_sum(env, &u.collections))
                    .transpose()
            })
            .collect::<R<_>>()?;
        Ok(ChunkCalib {
            jets,
            met,
            user,
            met_before,
        })
    }

    /// Defines, in `env`, the calibrated collections and MET of pass
    /// `variation` (`"nominal"` or a shape variation's name).
    pub(crate) fn apply(&self, plan: &CalibPlan, variation: &str, env: &mut Env) -> R<()> {
        let outs: Vec<Cow<JetsOut>> = self
            .jets
            .iter()
            .map(|j| match j.calibration.variation(variation) {
                Some(v) => Cow::Owned(v),
                None => Cow::Borrowed(&j.nominal),
            })
            .collect();
        for ((j, plan_j), out) in self.jets.iter().zip(&plan.jets).zip(&outs) {
            let base = match &out.order {
                Some(order) => Arc::new(
                    j.base
                        .gather(order.clone(), j.base.offsets.as_ref().clone()),
                ),
                None => j.base.clone(),
            };
            let fields: BTreeMap<String, Arc<Arr>> = [
                ("pt", &out.pt),
                ("mass", &out.mass),
                ("rawFactor", &out.raw_factor),
            ]
            .into_iter()
            .map(|(f, v)| (f.to_string(), Arc::new(Arr::F64(v.clone()))))
            .collect();
            env.define(
                &plan_j.collection,
                Val::Coll(Arc::new(base.with_fields(fields))),
            );
        }
        if let (Some(t1), Some(m)) = (&self.met, &plan.met) {
            let shift = MetShift::from_variation(variation).unwrap_or(MetShift::Nominal);
            let summed: Vec<&JetsOut> = m.jets.iter().map(|&i| outs[i].as_ref()).collect();
            let met = t1
                .compute(&summed, shift)
                .map_err(|e| format!("{variation}: {e}"))?;
            let fields = BTreeMap::from([
                ("pt".to_string(), Val::Event(Arc::new(Arr::F64(met.pt)))),
                ("phi".to_string(), Val::Event(Arc::new(Arr::F64(met.phi)))),
            ]);
            env.define(
                &m.spec.met,
                Val::Rec(Arc::new(RecVal::Over(m.spec.met.clone(), fields))),
            );
        }
        env.forget_definitions();
        for ((u, c), before) in plan.user.iter().zip(&self.user).zip(&self.met_before) {
            let name = u.calibrator.name();
            let events = env.len();
            c.apply(variation, env)
                .map_err(|e| format!("calibrator '{name}' ({variation}): {e}"))?;
            if env.len() != events {
                return Err(format!(
                    "calibrator '{name}' ({variation}) changed the number of events ({events} → \
                     {}); a calibrator replaces collections, it does not select events",
                    env.len()
                ));
            }
            // its collections checked whatever it defined (or forgot it defined)
            for coll in &u.collections {
                let v = env.get(coll).map_err(|e| e.0)?;
                v.check(None, events)
                    .map_err(|e| format!("calibrator '{name}' ({variation}): '{coll}' has {e}"))?;
            }
            if let Some(other) = env.defined_names().find(|n| !u.collections.contains(*n)) {
                return Err(format!(
                    "calibrator '{name}' ({variation}) defined '{other}', which is not among \
                     the collections it calibrates ({})",
                    u.collections
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            env.check_definitions()
                .map_err(|e| format!("calibrator '{name}' ({variation}): {e}"))?;
            for f in &u.fields {
                let found = field_prim(env, &f.collection, &f.field)?;
                if found != Some(f.ty) {
                    return Err(format!(
                        "calibrator '{name}' ({variation}): {}.{} holds {} where the calibrator \
                         declares {}",
                        f.collection,
                        f.field,
                        found.map_or("nothing", |p| p.name()),
                        f.ty.name()
                    ));
                }
            }
            if let (Some(before), Some(m)) = (before, &plan.met) {
                let after = momentum_sum(env, &u.collections)?;
                shift_met(env, &m.spec.met, before, &after)
                    .map_err(|e| format!("calibrator '{name}' ({variation}): {e}"))?;
                env.forget_definitions();
            }
        }
        Ok(())
    }
}

/// Σ px and Σ py per event over the objects of the collections `colls`
/// (records are skipped) in `env`.
fn momentum_sum(env: &Env, colls: &std::collections::BTreeSet<String>) -> R<(Vec<f64>, Vec<f64>)> {
    let n = env.len();
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    for c in colls {
        let Val::Coll(coll) = env.get(c).map_err(|e| e.0)? else {
            continue;
        };
        let (pt, phi) = (field(&coll, c, "pt")?, field(&coll, c, "phi")?);
        for e in 0..n {
            for i in coll.offsets[e] as usize..coll.offsets[e + 1] as usize {
                let (p, f) = (pt.get_f64(i), phi.get_f64(i));
                x[e] += p * f.cos();
                y[e] += p * f.sin();
            }
        }
    }
    Ok((x, y))
}

/// Redefines the MET record `met` of `env` (the type-1 MET of the pass) as
/// `MET − (after − before)` (Σ px, Σ py per event).
fn shift_met(
    env: &mut Env,
    met: &str,
    before: &(Vec<f64>, Vec<f64>),
    after: &(Vec<f64>, Vec<f64>),
) -> R<()> {
    let Val::Rec(r) = env.get(met).map_err(|e| e.0)? else {
        return Err(format!("'{met}' is not a record"));
    };
    let RecVal::Over(prefix, fields) = &*r else {
        return Err(format!("'{met}' is not the calibrated MET"));
    };
    let get = |f: &str| match fields.get(f) {
        Some(Val::Event(a)) => Ok(a.clone()),
        _ => Err(format!("the calibrated {met} has no per-event '{f}'")),
    };
    let (pt, phi) = (get("pt")?, get("phi")?);
    let n = env.len();
    let (mut new_pt, mut new_phi) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for e in 0..n {
        let (p, f) = (pt.get_f64(e), phi.get_f64(e));
        let x = p * f.cos() - (after.0[e] - before.0[e]);
        let y = p * f.sin() - (after.1[e] - before.1[e]);
        new_pt.push(x.hypot(y));
        new_phi.push(y.atan2(x));
    }
    let mut fields = fields.clone();
    fields.insert("pt".into(), Val::Event(Arc::new(Arr::F64(new_pt))));
    fields.insert("phi".into(), Val::Event(Arc::new(Arr::F64(new_phi))));
    env.define(
        met,
        Val::Rec(Arc::new(RecVal::Over(prefix.clone(), fields))),
    );
    Ok(())
}

/// The element type of field `field` of collection or record `coll` in
/// `env` (`None`: no such field).
fn field_prim(env: &Env, coll: &str, field: &str) -> R<Option<Prim>> {
    Ok(match env.get(coll).map_err(|e| e.0)? {
        Val::Coll(c) => c.field(field).ok().map(|a| a.prim()),
        Val::Rec(r) => match &*r {
            RecVal::Fields(m) | RecVal::Over(_, m) if m.contains_key(field) => match &m[field] {
                Val::Event(a) | Val::Opt(a, _) => Some(a.prim()),
                _ => None,
            },
            RecVal::Fields(_) => None,
            RecVal::Branches(p) | RecVal::Over(p, _) => {
                env.branch(&format!("{p}_{field}")).ok().map(|a| a.prim())
            }
        },
        _ => None,
    })
}

/// Calibrates one jet collection of the chunk.
fn calibrate(j: &JetColl, env: &Env, rho: &[f32], run: &[u32], event: &[u64]) -> R<Jets> {
    let c = &j.collection;
    // the collection as the events have it (a hook after the skim may have
    // redefined it)
    let base = match env.get(c).map_err(|e| e.0)? {
        Val::Coll(coll) => coll,
        _ => return Err(format!("'{c}' is not a collection")),
    };
    let get = |f: &str| field(&base, c, f);
    let (eta, phi, area) = (get("eta")?, get("phi")?, get("area")?);
    let name = |f: &str| format!("{c}_{f}");
    let (a, b, r) = if j.raw_pt {
        let mass = j.raw_mass.then(|| get("rawMass")).transpose()?;
        (get("rawPt")?, mass, None)
    } else {
        (get("pt")?, Some(get("mass")?), Some(get("rawFactor")?))
    };
    let pt = match (&r, &b) {
        (Some(r), Some(m)) => PtInput::Corrected {
            pt: f32s(&a, &name("pt"))?,
            mass: f32s(m, &name("mass"))?,
            raw_factor: f32s(r, &name("rawFactor"))?,
        },
        _ => PtInput::Raw {
            pt: f32s(&a, &name("rawPt"))?,
            mass: b
                .as_deref()
                .map(|m| f32s(m, &name("rawMass")))
                .transpose()?,
        },
    };
    let gen_parts = if j.gen {
        let gen = env.base_coll("GenJet", "nGenJet").map_err(|e| e.0)?;
        let idx: Vec<i32> = ints(&*get("genJetIdx")?, &name("genJetIdx"))?;
        Some((idx, gen.offsets.clone(), field(&gen, "GenJet", "pt")?))
    } else {
        None
    };
    let gen = match &gen_parts {
        Some((idx, off, gpt)) => Some(GenMatch {
            gen_jet_idx: idx,
            gen_offsets: off,
            gen_pt: f32s(gpt, "GenJet_pt")?,
        }),
        None => None,
    };
    let inputs = JetInputs {
        offsets: &base.offsets,
        pt,
        eta: f32s(&eta, &name("eta"))?,
        phi: f32s(&phi, &name("phi"))?,
        area: f32s(&area, &name("area"))?,
        gen,
        rho,
        event,
        run,
    };
    let calibrator = j
        .calibrator
        .as_ref()
        .ok_or("internal error: a jet calibrator was not built")?;
    let calibration = calibrator.calibrate(&inputs).map_err(|e| e.to_string())?;
    let nominal = calibration.nominal();
    Ok(Jets {
        base,
        calibration,
        nominal,
    })
}

/// The columns of one collection summed in the type-1 MET.
struct MetCols {
    phi: Arc<Arr>,
    mu: Arc<Arr>,
    dphi: Option<Arc<Arr>>,
    em: Option<(Arc<Arr>, Arc<Arr>)>,
    raw: Option<Arc<Arr>>,
}

/// The type-1 MET's per-chunk inputs.
fn type1(plan: &CalibPlan, m: &super::MetPlan, env: &Env, jets: &[Jets]) -> R<Type1Met> {
    let (raw, met) = (&m.spec.raw_met, &m.spec.met);
    let raw_pt = branch(env, &format!("{raw}_pt"))?;
    let raw_phi = branch(env, &format!("{raw}_phi"))?;
    // the unclustered shifts' columns, in UnclusteredKind::fields order
    let uncl: Vec<(String, Arc<Arr>)> = match m.unclustered {
        super::UnclusteredKind::None => Vec::new(),
        kind => kind
            .fields()
            .iter()
            .map(|f| {
                let name = format!("{met}_{f}");
                Ok((name.clone(), branch(env, &name)?))
            })
            .collect::<R<_>>()?,
    };
    let mut cols: Vec<MetCols> = Vec::new();
    for &i in &m.jets {
        let (j, pj) = (&jets[i], &plan.jets[i]);
        let c = &pj.collection;
        let get = |f: &str| field(&j.base, c, f);
        cols.push(MetCols {
            phi: get("phi")?,
            mu: get("muonSubtrFactor")?,
            dphi: pj.muon_dphi.then(|| get("muonSubtrDeltaPhi")).transpose()?,
            em: (*c == m.spec.jet)
                .then(|| Ok::<_, String>((get("chEmEF")?, get("neEmEF")?)))
                .transpose()?,
            raw: pj.raw_pt.then(|| get("rawPt")).transpose()?,
        });
    }
    let mut colls = Vec::new();
    for (v, &i) in cols.iter().zip(&m.jets) {
        let (j, c) = (&jets[i], &plan.jets[i].collection);
        let name = |f: &str| format!("{c}_{f}");
        colls.push(Type1Collection {
            offsets: j.calibration.offsets(),
            raw: match &v.raw {
                Some(r) => RawPt::Stored(f32s(r, &name("rawPt"))?),
                None => RawPt::FromCalibrated,
            },
            phi: f32s(&v.phi, &name("phi"))?,
            muon_subtr_factor: f32s(&v.mu, &name("muonSubtrFactor"))?,
            muon_subtr_delta_phi: v
                .dphi
                .as_deref()
                .map(|d| f32s(d, &name("muonSubtrDeltaPhi")))
                .transpose()?,
            em: match &v.em {
                Some((ch, ne)) => {
                    EmFraction::Sum(f32s(ch, &name("chEmEF"))?, f32s(ne, &name("neEmEF"))?)
                }
                None => EmFraction::None,
            },
            l1: j.calibration.l1_factor(),
        });
    }
    let u = |i: usize| f32s(&uncl[i].1, &uncl[i].0);
    let unclustered = match m.unclustered {
        super::UnclusteredKind::Deltas => Unclustered::Deltas {
            dx: u(0)?,
            dy: u(1)?,
        },
        super::UnclusteredKind::Shifted => Unclustered::Shifted {
            pt: u(0)?,
            phi: u(1)?,
            up: (u(2)?, u(3)?),
            down: (u(4)?, u(5)?),
        },
        super::UnclusteredKind::None => Unclustered::None,
    };
    let inputs = MetInputs {
        raw_pt: f32s(&raw_pt, &format!("{raw}_pt"))?,
        raw_phi: f32s(&raw_phi, &format!("{raw}_phi"))?,
        unclustered,
    };
    Type1Met::new(&inputs, &colls, &[]).map_err(|e| e.to_string())
}
