//! Calibrators written in Rust ([`Calibrator`]) in a dataset's plan: the
//! fields they replace typed in the schema, their variations named.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cortado_config::{AnalysisConfig, Dataset};
use cortado_expr::types::{Schema, Ty};
use cortado_yaml::ConfigError;

use super::CalibPlan;
use crate::ext::{CalibratedField, Calibrator};

/// A calibrator written in Rust ([`Calibrator`]) in a dataset's plan.
#[derive(Clone)]
pub struct UserCalib {
    /// The calibrator.
    pub calibrator: Arc<dyn Calibrator>,
    /// The collections and records it replaces.
    pub collections: BTreeSet<String>,
    /// The fields it replaces, with their types.
    pub fields: Vec<CalibratedField>,
    /// Its shape variations for the dataset (none for data).
    pub variations: Vec<String>,
}

impl std::fmt::Debug for UserCalib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCalib")
            .field("name", &self.calibrator.name())
            .field("collections", &self.collections)
            .field("variations", &self.variations)
            .finish()
    }
}

/// A calibrator written in Rust for dataset `ds`: the types of the fields
/// it calibrates set in `schema`, its variations when the sample asks for
/// them.
pub(super) fn plan_user(
    c: &Arc<dyn Calibrator>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    schema: &mut Schema,
    wanted: &BTreeMap<String, Option<BTreeSet<String>>>,
) -> Result<UserCalib, ConfigError> {
    let err = |msg: String| {
        ConfigError::new(
            ds.pos.clone(),
            format!("dataset {}: calibrator '{}': {msg}", ds.name, c.name()),
        )
    };
    let mut collections = BTreeSet::new();
    let declared = c.calibrates();
    for f in declared.clone() {
        let fields = match schema.names.get(&f.collection) {
            Some(Ty::Coll(id)) => &mut schema.colls[*id].fields,
            Some(Ty::Rec(id)) => &mut schema.recs[*id].fields,
            _ => {
                return Err(err(format!(
                "it calibrates '{}', which is not a collection or record of the dataset's files",
                f.collection
            )))
            }
        };
        if !fields.contains_key(&f.field) {
            return Err(err(format!(
                "it calibrates '{}.{}', which the dataset's files do not have (a calibrator \
                 replaces fields; a new one is a definition)",
                f.collection, f.field
            )));
        }
        fields.insert(f.field, f.ty);
        collections.insert(f.collection);
    }
    let variations = if ds.is_mc && wanted.contains_key(c.name()) {
        c.variations(cfg, ds).map_err(err)?
    } else {
        Vec::new()
    };
    for (i, v) in variations.iter().enumerate() {
        if v.is_empty() || v == "nominal" || variations[..i].contains(v) {
            return Err(err(format!(
                "its variations {variations:?} name '{v}', which is empty, 'nominal' or listed twice"
            )));
        }
    }
    Ok(UserCalib {
        calibrator: c.clone(),
        collections,
        fields: declared,
        variations,
    })
}

/// Two calibrators calibrating the same collection or record (each would
/// replace the other's) is an error, as is one calibrating what a built-in
/// calibration replaces.
pub(super) fn check_one_calibrator_each(plan: &CalibPlan, ds: &Dataset) -> Result<(), ConfigError> {
    let mut owner: BTreeMap<String, String> = plan
        .jets
        .iter()
        .map(|j| (j.collection.clone(), "jet_calibration".to_string()))
        .chain(
            plan.met
                .iter()
                .map(|m| (m.spec.met.clone(), "met_type1_calibration".to_string())),
        )
        .collect();
    for u in &plan.user {
        for c in &u.collections {
            if let Some(other) = owner.insert(c.clone(), u.calibrator.name().to_string()) {
                return Err(ConfigError::new(
                    ds.pos.clone(),
                    format!(
                        "dataset {}: calibrators '{other}' and '{}' both calibrate '{c}'; one \
                         calibrator per collection (combine the two in one)",
                        ds.name,
                        u.calibrator.name()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Two calibrators giving a variation the same name is an error.
pub(super) fn check_unique_variations(plan: &CalibPlan, ds: &Dataset) -> Result<(), ConfigError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for v in &plan.variations {
        if let Some(other) = seen.insert(&v.name, &v.calibrator) {
            if other != v.calibrator {
                return Err(ConfigError::new(
                    ds.pos.clone(),
                    format!(
                        "dataset {}: shape variation '{}' is given by calibrators '{other}' and \
                         '{}'; a variation's name must be its calibrator's alone",
                        ds.name, v.name, v.calibrator
                    ),
                ));
            }
        }
    }
    Ok(())
}
