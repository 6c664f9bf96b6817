//! `sf_btag` in JES passes: the BTV shape SF file has a JES-varied central
//! SF per JES source (`up_jes`, `down_jesFlavorQCD`, …) for the jets of
//! that JES variation; it replaces the central SF of the non-c jets (c jets
//! keep theirs), as PocketCoffea's `sf_btag` intends (0.9.13 never applies
//! it: it tests the variation name for a `JES` prefix, which its jet
//! variation names, `AK4PFchs_JES_…`, do not have).

use std::sync::Arc;

use cortado_correction::Key;
use cortado_expr::check::TExpr;
use cortado_yaml::ConfigError;

use super::CalibPlan;
use crate::plan::{WeightPlan, WeightTerm};
use crate::weights::CorrVariation;

/// The `systematic` value of the JES-varied SF for jet variation `name`
/// (`AK4PFchs_JES_TotalUp` → `up_jes`, `AK4PFchs_JES_FlavorQCDDown` →
/// `down_jesFlavorQCD`); `None` for other variations and non-AK4 jets.
pub(crate) fn jes_key(name: &str) -> Option<String> {
    let (stem, dir) = if let Some(s) = name.strip_suffix("Up") {
        (s, "up")
    } else {
        (name.strip_suffix("Down")?, "down")
    };
    let (jet_type, source) = stem.split_once("_JES_")?;
    if !jet_type.starts_with("AK4") {
        return None;
    }
    Some(match source {
        "Total" => format!("{dir}_jes"),
        s => format!("{dir}_jes{s}"),
    })
}

/// Adds to every `sf_btag` term of `plan` its nominal in each JES pass of
/// `calib`, on the rows where `non_c` holds. A key the correction lacks is
/// an error naming the variation and the keys it has.
pub(crate) fn add_jes_nominals(
    plan: &mut WeightPlan,
    calib: &CalibPlan,
    non_c: &mut dyn FnMut() -> Result<TExpr, ConfigError>,
) -> Result<(), ConfigError> {
    let terms = plan
        .inclusive
        .iter_mut()
        .chain(plan.bycategory.values_mut().flatten());
    for term in terms {
        let WeightTerm::Correction(t) = term else {
            continue;
        };
        if t.name != "sf_btag" {
            continue;
        }
        let keys: Vec<String> = t
            .correction
            .input_summary()
            .into_iter()
            .find(|s| s.variable.name == "systematic")
            .map(|s| {
                s.keys
                    .iter()
                    .filter_map(|k| match k {
                        Key::Str(s) => Some(s.clone()),
                        Key::Int(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let only = non_c()?;
        let t = Arc::make_mut(t);
        for v in &calib.variations {
            let Some(key) = jes_key(&v.name) else {
                continue;
            };
            if !keys.contains(&key) {
                let jes: Vec<&str> = keys
                    .iter()
                    .map(String::as_str)
                    .filter(|k| k.contains("_jes"))
                    .collect();
                return Err(ConfigError::new(
                    None,
                    format!(
                        "sf_btag: the shape variation {} needs the JES-varied b-tag SF '{key}', \
                         which correction '{}' of {} does not have{}; it has: {}",
                        v.name,
                        t.correction.name(),
                        t.file,
                        cortado_yaml::did_you_mean(&key, jes.iter().copied()),
                        jes.join(", ")
                    ),
                ));
            }
            t.shape_nominal.insert(
                v.name.clone(),
                CorrVariation {
                    stem: v.name.clone(),
                    up: key.clone(),
                    down: key,
                    only: Some(only.clone()),
                },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::jes_key;

    #[test]
    fn jes_variations_name_the_btag_systematic() {
        assert_eq!(jes_key("AK4PFchs_JES_TotalUp").as_deref(), Some("up_jes"));
        assert_eq!(
            jes_key("AK4PFchs_JES_FlavorQCDDown").as_deref(),
            Some("down_jesFlavorQCD")
        );
        assert_eq!(jes_key("AK4PFchs_JERUp"), None);
        assert_eq!(jes_key("AK8PFPuppi_JES_TotalUp"), None);
        assert_eq!(jes_key("unclust_EnUp"), None);
    }
}
