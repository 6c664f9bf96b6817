//! Calibrators in the chunk pipeline (PocketCoffea §9): which collections a
//! dataset calibrates, which shape variations it runs, and the branches
//! they read — planned before any event is read (`plan_calibration`);
//! the per-chunk calibration and the calibrated collections of each pass
//! are in `chunk`.
//!
//! The calibrated `Jet` (and `FatJet`, `CorrT1METJet`) replace the NanoAOD
//! collections of the same name for everything after the skim: their pt,
//! mass and rawFactor are float64 (as PocketCoffea's calibrated
//! collections), their objects re-sorted by pt when the parameters say so.
//! The MET record's pt and phi are the type-1 MET's.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cortado_calibration::{
    jet_calibrations, met_calibration, DatasetKind, JetCalibSpec, JetCalibrator, MetCalibSpec,
    MET_VARIATIONS,
};
use cortado_config::{AnalysisConfig, Dataset};
use cortado_expr::types::{Prim, Schema, Ty};
use cortado_yaml::ConfigError;

use crate::ext::Extensions;

pub(crate) mod btag;
pub(crate) mod chunk;
pub(crate) mod deps;
mod user;

pub use user::UserCalib;
use user::{check_one_calibrator_each, check_unique_variations, plan_user};

/// The calibrated fields of a jet collection.
pub(crate) const JET_FIELDS: [&str; 3] = ["pt", "mass", "rawFactor"];

/// One jet collection to calibrate.
#[derive(Debug, Clone)]
pub struct JetColl {
    /// The collection (`Jet`).
    pub collection: String,
    /// Its counter branch (`nJet`).
    pub counter: String,
    /// The calibration.
    pub spec: JetCalibSpec,
    /// The calibrator (corrections found and checked), built for the
    /// collections the analysis reads (`finish`): a collection it never
    /// reads needs no correction file.
    pub calibrator: Option<Arc<JetCalibrator>>,
    /// The stored pt is raw (`CorrT1METJet_rawPt`) rather than corrected
    /// with a rawFactor.
    pub raw_pt: bool,
    /// `rawMass` is stored (with `raw_pt`).
    pub raw_mass: bool,
    /// `muonSubtrDeltaPhi` is stored.
    pub muon_dphi: bool,
    /// Jets are matched to `GenJet` through `genJetIdx` (simulation with
    /// JER smearing).
    pub gen: bool,
}

/// The type-1 MET of a dataset.
#[derive(Debug, Clone)]
pub struct MetPlan {
    /// The parameters' `met_calibration[year]`.
    pub spec: MetCalibSpec,
    /// Indices in [`CalibPlan::jets`] of the collections summed in the
    /// type-1 MET (none when the calibration is off: the MET is then the
    /// raw MET, as PocketCoffea's).
    pub jets: Vec<usize>,
    /// How the MET collection stores its unclustered-energy shifts.
    pub unclustered: UnclusteredKind,
}

/// How a MET collection stores its unclustered-energy shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnclusteredKind {
    /// `MetUnclustEnUpDeltaX/Y` (`MET`).
    Deltas,
    /// `ptUnclusteredUp/Down`, `phiUnclusteredUp/Down` beside `pt`, `phi`
    /// (`PuppiMET`).
    Shifted,
    /// Neither (the unclustered variations cannot run).
    None,
}

impl UnclusteredKind {
    /// The MET fields it reads.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            UnclusteredKind::Deltas | UnclusteredKind::None => {
                &["MetUnclustEnUpDeltaX", "MetUnclustEnUpDeltaY"]
            }
            UnclusteredKind::Shifted => &[
                "pt",
                "phi",
                "ptUnclusteredUp",
                "phiUnclusteredUp",
                "ptUnclusteredDown",
                "phiUnclusteredDown",
            ],
        }
    }
}

/// A shape variation a dataset runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeVariation {
    /// Its name on the `variation` axis (`AK4PFchs_JES_TotalUp`, `unclust_EnUp`).
    pub name: String,
    /// The calibrator providing it.
    pub calibrator: String,
    /// The categories it fills (`None`: all).
    pub categories: Option<BTreeSet<String>>,
}

/// The calibrations of one dataset.
#[derive(Debug, Clone, Default)]
pub struct CalibPlan {
    /// The jet collections, in the parameters' order.
    pub jets: Vec<JetColl>,
    /// The MET, when `met_type1_calibration` runs.
    pub met: Option<MetPlan>,
    /// The shape variations, in the order they run (after the nominal pass).
    pub variations: Vec<ShapeVariation>,
    /// The rho branch.
    pub rho: String,
    /// The calibrators written in Rust, in the configuration's order (they
    /// run after the built-in ones).
    pub user: Vec<UserCalib>,
}

impl CalibPlan {
    /// A description for `cortado check`: what is calibrated and how.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .jets
            .iter()
            .map(|j| {
                let s = &j.spec;
                let mut steps = vec!["JEC".to_string()];
                if s.smears() {
                    steps.push(format!("JER ({})", s.jer.as_deref().unwrap_or("?")));
                }
                if s.sort_by_pt {
                    steps.push("re-sorted by pt".into());
                }
                format!("{} as {}: {}", j.collection, s.jet_type, steps.join(", "))
            })
            .collect();
        if let Some(m) = &self.met {
            let from: Vec<&str> = m
                .jets
                .iter()
                .map(|&i| self.jets[i].collection.as_str())
                .collect();
            out.push(if from.is_empty() {
                format!(
                    "{}: the raw MET ({}; the MET calibration is off)",
                    m.spec.met, m.spec.raw_met
                )
            } else {
                format!(
                    "{}: type-1 from {} and {}",
                    m.spec.met,
                    m.spec.raw_met,
                    from.join(", ")
                )
            });
        }
        for u in &self.user {
            let colls: Vec<&str> = u.collections.iter().map(String::as_str).collect();
            let met = match &self.met {
                Some(m) if u.calibrator.shifts_met() => format!("; {} follows it", m.spec.met),
                _ => String::new(),
            };
            out.push(format!(
                "{}: calibrator '{}' (Rust{met})",
                colls.join(", "),
                u.calibrator.name()
            ));
        }
        out
    }

    /// The names the calibration replaces (calibrated collections, MET).
    pub fn replaced_names(&self) -> BTreeSet<String> {
        let mut s: BTreeSet<String> = self.jets.iter().map(|j| j.collection.clone()).collect();
        if let Some(m) = &self.met {
            s.insert(m.spec.met.clone());
        }
        for u in &self.user {
            s.extend(u.collections.iter().cloned());
        }
        s
    }
}

/// The calibrators a sample's shape variations ask for, each with the
/// categories it fills (`None`: every category).
fn requested(cfg: &AnalysisConfig, sample: &str) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut out: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    let sets = std::iter::once(&cfg.shape_variations.common)
        .chain(cfg.shape_variations.bysample.get(sample));
    for set in sets {
        for (name, _) in &set.inclusive {
            out.insert(name.clone(), None);
        }
        for (cat, list) in &set.bycategory {
            for (name, _) in list {
                match out.entry(name.clone()) {
                    Entry::Vacant(v) => {
                        v.insert(Some(BTreeSet::from([cat.clone()])));
                    }
                    Entry::Occupied(mut o) => {
                        if let Some(c) = o.get_mut() {
                            c.insert(cat.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

/// The shape variations dataset `ds` asks for, with their calibrator, from
/// the configuration and parameters alone (every collection of
/// `jets_calibration.collection[year]`, whether the files have it or not):
/// at most what [`plan_calibration`] runs. Empty on a parameter error (it is
/// reported when the dataset is planned).
pub(crate) fn shape_variation_names(
    cfg: &AnalysisConfig,
    ds: &Dataset,
    ext: &Extensions,
) -> Vec<(String, String)> {
    if !ds.is_mc || cfg.calibrators.is_empty() {
        return Vec::new();
    }
    let wanted = requested(cfg, &ds.sample);
    let mut out: Vec<(String, String)> = Vec::new();
    if wanted.contains_key("jet_calibration")
        && cfg.calibrators.iter().any(|c| c == "jet_calibration")
    {
        let kind = DatasetKind {
            year: &ds.year,
            is_mc: true,
            era: ds.era.as_deref(),
            do_variations: true,
        };
        for c in jet_calibrations(&cfg.params, kind).unwrap_or_default() {
            for name in c.spec.variation_names() {
                if !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, "jet_calibration".into()));
                }
            }
        }
    }
    if wanted.contains_key("met_type1_calibration")
        && cfg.calibrators.iter().any(|c| c == "met_type1_calibration")
    {
        out.extend(
            MET_VARIATIONS
                .iter()
                .map(|n| (n.to_string(), "met_type1_calibration".into())),
        );
    }
    for name in cfg.calibrators.iter().filter(|n| wanted.contains_key(*n)) {
        if let Some(c) = ext.calibrator(name) {
            let v = c.variations(cfg, ds).unwrap_or_default();
            out.extend(v.into_iter().map(|v| (v, name.clone())));
        }
    }
    out
}

/// The calibration of dataset `ds` (`None` without calibrators), with the
/// calibrated fields' types (float64) set in `schema`. Every correction is
/// found and checked here; a collection the file lacks is not calibrated.
pub(crate) fn plan_calibration(
    cfg: &AnalysisConfig,
    ds: &Dataset,
    schema: &mut Schema,
    ext: &Extensions,
) -> Result<Option<CalibPlan>, ConfigError> {
    if cfg.calibrators.is_empty() {
        return Ok(None);
    }
    let ctx = |e: ConfigError| e.context(format!("dataset {}", ds.name));
    let wanted = requested(cfg, &ds.sample);
    let mut plan = CalibPlan {
        rho: if schema.branches.contains_key("Rho_fixedGridRhoFastjetAll") {
            "Rho_fixedGridRhoFastjetAll".into()
        } else {
            "fixedGridRhoFastjetAll".into()
        },
        ..CalibPlan::default()
    };
    if cfg.calibrators.iter().any(|c| c == "jet_calibration") {
        let kind = DatasetKind {
            year: &ds.year,
            is_mc: ds.is_mc,
            era: ds.era.as_deref(),
            do_variations: ds.is_mc && wanted.contains_key("jet_calibration"),
        };
        for c in jet_calibrations(&cfg.params, kind).map_err(ctx)? {
            let Some(Ty::Coll(id)) = schema.names.get(&c.collection).cloned() else {
                continue; // the files have no such collection
            };
            let Some((counter, _)) = schema.base_of(id).cloned() else {
                continue;
            };
            let fields = &mut schema.colls[id].fields;
            let raw_pt = !fields.contains_key("pt") && fields.contains_key("rawPt");
            let gen = ds.is_mc && c.spec.apply_jer && fields.contains_key("genJetIdx");
            let raw_mass = fields.contains_key("rawMass");
            let muon_dphi = fields.contains_key("muonSubtrDeltaPhi");
            for f in JET_FIELDS {
                fields.insert(f.to_string(), Prim::F64);
            }
            plan.jets.push(JetColl {
                collection: c.collection,
                counter,
                spec: c.spec,
                calibrator: None,
                raw_pt,
                raw_mass,
                muon_dphi,
                gen,
            });
        }
    }
    if cfg.calibrators.iter().any(|c| c == "met_type1_calibration") {
        let spec = met_calibration(&cfg.params, &ds.year, ds.is_mc).map_err(ctx)?;
        if let Some(Ty::Rec(id)) = schema.names.get(&spec.met).cloned() {
            let jets = if spec.active {
                [&spec.jet, &spec.corr_t1_met_jet]
                    .iter()
                    .filter_map(|name| plan.jets.iter().position(|j| &j.collection == *name))
                    .collect()
            } else {
                Vec::new()
            };
            let fields = &mut schema.recs[id].fields;
            let unclustered = if fields.contains_key("MetUnclustEnUpDeltaX") {
                UnclusteredKind::Deltas
            } else if fields.contains_key("ptUnclusteredUp") {
                UnclusteredKind::Shifted
            } else {
                UnclusteredKind::None
            };
            for f in ["pt", "phi"] {
                fields.insert(f.to_string(), Prim::F64);
            }
            plan.met = Some(MetPlan {
                spec,
                jets,
                unclustered,
            });
        }
    }
    for name in &cfg.calibrators {
        if let Some(c) = ext.calibrator(name) {
            if ds.is_mc || !c.mc_only() {
                plan.user.push(plan_user(c, cfg, ds, schema, &wanted)?);
            }
        }
    }
    check_one_calibrator_each(&plan, ds)?;
    if ds.is_mc {
        plan.variations = variations(&plan, &wanted);
        check_unique_variations(&plan, ds)?;
    }
    Ok(Some(plan))
}

/// The shape variations of a dataset, in order: each jet calibrator's
/// (collections merged for variations share their names), then the MET's.
fn variations(
    plan: &CalibPlan,
    wanted: &BTreeMap<String, Option<BTreeSet<String>>>,
) -> Vec<ShapeVariation> {
    let mut out: Vec<ShapeVariation> = Vec::new();
    let mut push = |name: String, calibrator: &str| {
        if let Some(cats) = wanted.get(calibrator) {
            if !out
                .iter()
                .any(|v| v.name == name && v.calibrator == calibrator)
            {
                out.push(ShapeVariation {
                    name,
                    calibrator: calibrator.to_string(),
                    categories: cats.clone(),
                });
            }
        }
    };
    for j in &plan.jets {
        for name in j.spec.variation_names() {
            push(name, "jet_calibration");
        }
    }
    if plan.met.is_some() {
        for name in MET_VARIATIONS {
            push(name.to_string(), "met_type1_calibration");
        }
    }
    for u in &plan.user {
        for name in &u.variations {
            push(name.clone(), u.calibrator.name());
        }
    }
    out
}

/// Keeps the calibrations the analysis uses (`branches`: what it reads):
/// a jet collection it reads, or one the type-1 MET of a MET it reads sums;
/// then adds the branches the calibrations read. An input branch the files
/// lack is an error naming it and the calibration.
pub(crate) fn finish(
    plan: &mut CalibPlan,
    branches: &mut BTreeSet<String>,
    schema: &Schema,
    ds: &Dataset,
) -> Result<(), ConfigError> {
    let reads = |prefix: &str| {
        let p = format!("{prefix}_");
        branches.iter().any(|b| b.starts_with(&p))
    };
    if plan.met.as_ref().is_some_and(|m| !reads(&m.spec.met)) {
        plan.met = None;
    }
    let met_jets: BTreeSet<usize> = plan.met.iter().flat_map(|m| m.jets.clone()).collect();
    let keep: Vec<bool> = (0..plan.jets.len())
        .map(|i| met_jets.contains(&i) || reads(&plan.jets[i].collection))
        .collect();
    let new_index: Vec<Option<usize>> = keep
        .iter()
        .scan(0usize, |n, &k| {
            let r = k.then_some(*n);
            *n += k as usize;
            Some(r)
        })
        .collect();
    if let Some(m) = plan.met.as_mut() {
        m.jets = m.jets.iter().filter_map(|&i| new_index[i]).collect();
    }
    let mut i = 0;
    plan.jets.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    let provided: BTreeSet<String> = plan
        .jets
        .iter()
        .flat_map(|j| j.spec.variation_names())
        .chain(
            plan.met
                .iter()
                .flat_map(|_| MET_VARIATIONS.iter().map(|s| s.to_string())),
        )
        .chain(plan.user.iter().flat_map(|u| u.variations.iter().cloned()))
        .collect();
    plan.variations.retain(|v| provided.contains(&v.name));
    for (name, what) in input_branches(plan, schema, ds) {
        if !schema.branches.contains_key(&name) && !schema.has_jagged_branch(&name) {
            return Err(ConfigError::new(
                ds.pos.clone(),
                format!(
                    "dataset {}: {what} needs branch '{name}', which the dataset's files do not have",
                    ds.name
                ),
            ));
        }
        branches.insert(name);
    }
    for j in &mut plan.jets {
        let c = JetCalibrator::new(&j.spec).map_err(|e| {
            let hint = if j.spec.file.exists() {
                String::new()
            } else {
                format!(
                    " (the file is the parameter jets_calibration.jet_types.{}.{}.json_path: set it \
                     to a local copy when /cvmfs is not mounted)",
                    j.spec.jet_type, ds.year
                )
            };
            ConfigError::new(ds.pos.clone(), format!("dataset {}: {e}{hint}", ds.name))
        })?;
        j.calibrator = Some(Arc::new(c));
    }
    Ok(())
}

/// The branches the calibrations read, each with the calibration reading it.
fn input_branches(plan: &CalibPlan, schema: &Schema, ds: &Dataset) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let needs_event = plan.jets.iter().any(|j| j.spec.smears());
    for j in &plan.jets {
        let what = j.spec.context();
        let c = &j.collection;
        let mut names: Vec<String> = vec![j.counter.clone()];
        if j.raw_pt {
            names.push(format!("{c}_rawPt"));
            if j.raw_mass {
                names.push(format!("{c}_rawMass"));
            }
        } else {
            names.extend(["pt", "mass", "rawFactor"].map(|f| format!("{c}_{f}")));
        }
        names.extend(["eta", "phi", "area"].map(|f| format!("{c}_{f}")));
        names.push(plan.rho.clone());
        if j.gen {
            names.extend([
                format!("{c}_genJetIdx"),
                "nGenJet".into(),
                "GenJet_pt".into(),
            ]);
        }
        names.push("run".into());
        if needs_event {
            names.push("event".into());
        }
        out.extend(names.into_iter().map(|n| (n, what.clone())));
    }
    if let Some(m) = &plan.met {
        let what = "the type-1 MET calibration (met_type1_calibration)".to_string();
        let (raw, met) = (&m.spec.raw_met, &m.spec.met);
        let mut names = vec![format!("{raw}_pt"), format!("{raw}_phi")];
        let varies = plan
            .variations
            .iter()
            .any(|v| v.calibrator == "met_type1_calibration");
        if m.unclustered != UnclusteredKind::None || varies {
            // the unclustered variations need one kind; MET's is required when neither is stored
            names.extend(m.unclustered.fields().iter().map(|f| format!("{met}_{f}")));
        }
        for &i in &m.jets {
            let c = &plan.jets[i].collection;
            names.push(format!("{c}_muonSubtrFactor"));
            if *c == m.spec.jet {
                names.push(format!("{c}_chEmEF"));
                names.push(format!("{c}_neEmEF"));
            }
            if plan.jets[i].muon_dphi {
                names.push(format!("{c}_muonSubtrDeltaPhi"));
            }
        }
        out.extend(names.into_iter().map(|n| (n, what.clone())));
    }
    for u in &plan.user {
        let what = format!("calibrator '{}'", u.calibrator.name());
        // the counters of its collections (their objects are made from them)
        let counters = u
            .collections
            .iter()
            .filter_map(|c| match schema.names.get(c) {
                Some(Ty::Coll(id)) => schema.base_of(*id).map(|(counter, _)| counter.clone()),
                _ => None,
            });
        let mut names: Vec<String> = counters.chain(u.calibrator.branches(ds)).collect();
        if plan.met.as_ref().is_some_and(|m| m.spec.active) && u.calibrator.shifts_met() {
            // the MET follows its objects' momenta
            for c in &u.collections {
                if matches!(schema.names.get(c), Some(Ty::Coll(_))) {
                    names.extend(["pt", "phi"].map(|f| format!("{c}_{f}")));
                }
            }
        }
        out.extend(names.into_iter().map(|n| (n, what.clone())));
    }
    out
}
