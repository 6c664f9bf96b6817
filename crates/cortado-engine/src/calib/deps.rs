//! What a shape variation changes: the definitions and cuts that read a
//! calibrated collection or the MET, directly or through other
//! definitions. The rest is evaluated once per chunk and shared by every
//! pass.

use std::collections::{BTreeMap, BTreeSet};

use cortado_expr::check::{TExpr, TKind};
use cortado_expr::types::{Schema, Ty};
use cortado_yaml::ConfigError;

use super::CalibPlan;

use crate::plan::PlannedDef;

/// Whether `e` reads any of `names`.
pub(crate) fn reads_any(e: &TExpr, names: &BTreeSet<String>) -> bool {
    let here = match &e.kind {
        TKind::Name(n) => names.contains(n),
        _ => false,
    };
    here || e.children().iter().any(|c| reads_any(c, names))
}

/// The first jagged branch named by its file name (`Jet_pt`) whose
/// collection is one of `colls` (the calibrated ones), if `e` reads one.
pub(crate) fn raw_jagged_branch(
    e: &TExpr,
    colls: &BTreeSet<cortado_expr::types::CollId>,
) -> Option<String> {
    if let TKind::JaggedBranch(name, id) = &e.kind {
        if colls.contains(id) {
            return Some(name.clone());
        }
    }
    e.children()
        .into_iter()
        .find_map(|c| raw_jagged_branch(c, colls))
}

/// The names whose values differ between passes: `replaced` (the calibrated
/// collections and MET), the names a workflow hook defines (a hook may read
/// anything), and every definition reading one of them, in order. Returns
/// them and, per definition of `defs`, whether it is one.
pub(crate) fn varying(
    defs: &[PlannedDef],
    replaced: &BTreeSet<String>,
    hook_names: impl IntoIterator<Item = String>,
) -> (BTreeSet<String>, Vec<bool>) {
    let mut tainted: BTreeSet<String> = replaced.clone();
    tainted.extend(hook_names);
    let mut flags = Vec::with_capacity(defs.len());
    for d in defs {
        // `Coll.field = …` extends a collection: it varies with it too
        let varies =
            reads_any(&d.expr, &tainted) || (d.field.is_some() && tainted.contains(&d.name));
        if varies {
            tainted.insert(d.name.clone());
        }
        flags.push(varies);
    }
    (tainted, flags)
}

/// What the shape variations of a dataset can change, decided before any
/// event is read: a pass whose events, categories and weights are the
/// nominal pass's copies the nominal histograms that read nothing varied,
/// and is skipped altogether when no histogram reads anything varied.
#[derive(Clone, Debug, Default)]
pub struct Varies {
    /// Per definition: whether a shape variation can change it.
    pub defs: Vec<bool>,
    /// Whether the preselection can change.
    pub presel: bool,
    /// Whether the categories or subsamples can change.
    pub categories: bool,
    /// Whether the weights can change (a weight reads a varied name, or
    /// takes a nominal of its own in some shape passes: `sf_btag`).
    pub weights: bool,
    /// Per histogram of the plan: whether its values can change (a
    /// histogram the workflow fills itself, `autofill: false`, counts as
    /// changing).
    pub hists: Vec<bool>,
}

impl Varies {
    /// Everything can change (no dependency analysis: no calibrators).
    pub fn all(defs: usize, hists: usize) -> Varies {
        Varies {
            defs: vec![true; defs],
            presel: true,
            categories: true,
            weights: true,
            hists: vec![true; hists],
        }
    }

    /// Whether every pass has the nominal pass's events, categories and
    /// weights.
    pub fn same_events_and_weights(&self) -> bool {
        !self.presel && !self.categories && !self.weights
    }
}

/// After the skim, a calibrated collection (`Jet`) is re-sorted and has new
/// pt, mass and rawFactor: its branches read by their file names (`Jet_pt`,
/// `Jet_eta`) would be the files' jets, in the files' order, and combine
/// silently with the calibrated ones. They are refused there (the skim,
/// before the calibration, may use them).
pub(crate) fn check_raw_branches<'a>(
    cp: &CalibPlan,
    raw: &Schema,
    exprs: impl Iterator<Item = (String, &'a TExpr)>,
) -> Result<(), ConfigError> {
    let by = |name: &str| format!("calibrator '{name}'");
    let calibrated = cp
        .jets
        .iter()
        .map(|j| (j.collection.as_str(), "the jet calibration".to_string()))
        .chain(cp.user.iter().flat_map(|u| {
            let who = by(u.calibrator.name());
            u.collections.iter().map(move |c| (c.as_str(), who.clone()))
        }));
    let mut who: BTreeMap<cortado_expr::types::CollId, String> = BTreeMap::new();
    for (c, w) in calibrated {
        if let Some(Ty::Coll(id)) = raw.names.get(c) {
            who.entry(*id).or_insert(w);
        }
    }
    let colls: BTreeSet<cortado_expr::types::CollId> = who.keys().copied().collect();
    for (what, e) in exprs {
        if let Some(b) = raw_jagged_branch(e, &colls) {
            let (coll, field) = b.split_once('_').unwrap_or((b.as_str(), ""));
            let calibrator = match raw.names.get(coll) {
                Some(Ty::Coll(id)) => who.get(id).cloned(),
                _ => None,
            }
            .unwrap_or_else(|| "a calibrator".into());
            return Err(ConfigError::new(
                None,
                format!(
                    "{what} reads '{b}', the files' {coll} — but {calibrator} replaces {coll} \
                     after the skim, so the two would not line up: write {coll}.{field}"
                ),
            ));
        }
    }
    Ok(())
}
