//! `calibrators:` (the calibrator sequence) and `variations.shape` (which
//! calibrators' variations run), with PocketCoffea's calibrator names.

use cortado_yaml::{ConfigError, Node, Value};

use crate::WeightsConfig;

/// The calibrators cortado runs, by PocketCoffea's `name`, with the class
/// name PocketCoffea's Python configuration lists.
pub const CALIBRATORS: &[(&str, &str)] = &[
    ("jet_calibration", "JetsCalibrator"),
    ("met_type1_calibration", "METCalibrator"),
];

/// PocketCoffea's other calibrators, which cortado does not have yet.
const NOT_YET: &[(&str, &str)] = &[
    ("msoftdrop_calibration", "MSoftDropCalibrator"),
    ("electron_scale_and_smearing", "ElectronsScaleCalibrator"),
    ("muons_scale_and_resolution", "MuonsCalibrator"),
    ("muons_rochester", "MuonsRochesterCalibrator"),
    ("jet_calibration_legacy", "JetsCalibratorLegacy"),
];

/// The `calibrators:` list: names (or PocketCoffea class names) of the
/// calibrators to run, in order. `met_type1_calibration` needs
/// `jet_calibration` before it (it sums the calibrated jets). `user` names
/// the calibrators a binary built on cortado adds (written in Rust).
pub(crate) fn parse_calibrators(
    n: Option<&Node>,
    user: &[String],
) -> Result<Vec<String>, ConfigError> {
    for (i, u) in user.iter().enumerate() {
        let builtin = CALIBRATORS
            .iter()
            .chain(NOT_YET)
            .any(|(n, c)| n == u || c == u);
        if builtin || user[..i].contains(u) {
            return Err(ConfigError::new(
                None,
                format!(
                    "the analysis binary adds a calibrator named '{u}', which is {}; give it \
                     another name",
                    if builtin {
                        "a built-in calibrator's name"
                    } else {
                        "the name of another of its calibrators"
                    }
                ),
            ));
        }
    }
    let Some(n) = n.filter(|n| n.value != Value::Null) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<String> = Vec::new();
    for item in n.as_seq()? {
        let text = item.as_text()?;
        if let Some(u) = user.iter().find(|u| **u == text) {
            if out.contains(u) {
                return Err(item.error(format!("calibrators: '{u}' is listed twice")));
            }
            out.push(u.clone());
            continue;
        }
        if let Some(u) = out.iter().find(|o| user.contains(o)) {
            return Err(item.error(format!(
                "calibrators: '{text}' is listed after '{u}', a calibrator of the analysis \
                 binary; those run after the built-in ones: list them last"
            )));
        }
        let known = CALIBRATORS
            .iter()
            .find(|(name, class)| *name == text || *class == text);
        let Some((name, _)) = known else {
            if let Some((name, class)) = NOT_YET
                .iter()
                .find(|(name, class)| *name == text || *class == text)
            {
                return Err(item.error(format!(
                    "calibrators: '{name}' ({class}) is not in cortado yet; it has {} — or \
                     write it in Rust as a calibrator of your analysis's binary \
                     (docs/library-api.md, \"Calibrators\")",
                    CALIBRATORS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            return Err(item
                .error(format!("calibrators: unknown calibrator '{text}'"))
                .with_suggestions(
                    &text,
                    CALIBRATORS
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(user.iter().map(String::as_str)),
                ));
        };
        if out.iter().any(|x| x == name) {
            return Err(item.error(format!("calibrators: '{name}' is listed twice")));
        }
        if *name == "met_type1_calibration" && !out.iter().any(|x| x == "jet_calibration") {
            return Err(item.error(
                "calibrators: met_type1_calibration recomputes the MET from the calibrated \
                 jets; list jet_calibration before it",
            ));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// Every name in `variations.shape` is a calibrator of the sequence.
pub(crate) fn check_shape_variations(
    shape: &WeightsConfig,
    calibrators: &[String],
    user: &[String],
    at: Option<&Node>,
) -> Result<(), ConfigError> {
    let sets = std::iter::once(&shape.common).chain(shape.bysample.values());
    for set in sets {
        for (name, pos) in set
            .inclusive
            .iter()
            .chain(set.bycategory.values().flatten())
        {
            if calibrators.contains(name) {
                continue;
            }
            let at_pos = pos.clone().or_else(|| at.and_then(|n| n.pos.clone()));
            let known = CALIBRATORS.iter().any(|(n, _)| n == name) || user.contains(name);
            let msg = if known {
                format!(
                    "variations.shape: '{name}' is not in the calibrators (`calibrators: [{}]`); \
                     add it there",
                    calibrators
                        .iter()
                        .map(String::as_str)
                        .chain([name.as_str()])
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!(
                    "variations.shape: '{name}' is not a calibrator (shape variations name \
                     the calibrator whose variations run, e.g. jet_calibration)"
                )
            };
            return Err(ConfigError::new(at_pos, msg).with_suggestions(
                name,
                CALIBRATORS
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(user.iter().map(String::as_str)),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        cortado_yaml::load_str(text, "t.yaml").unwrap()
    }

    #[test]
    fn names_and_class_names_are_accepted_in_order() {
        let n = node("[JetsCalibrator, met_type1_calibration]");
        assert_eq!(
            parse_calibrators(Some(&n), &[]).unwrap(),
            ["jet_calibration", "met_type1_calibration"]
        );
    }

    #[test]
    fn user_calibrators_are_named_apart_and_listed_last() {
        let e = |user: &[&str], text: &str| {
            let user: Vec<String> = user.iter().map(|s| s.to_string()).collect();
            parse_calibrators(Some(&node(text)), &user)
                .unwrap_err()
                .to_string()
        };
        assert!(e(&["JetsCalibrator"], "[]").contains("a built-in calibrator's name"));
        assert!(e(&["a", "a"], "[]").contains("another of its calibrators"));
        assert!(e(&["mu"], "[mu, jet_calibration]").contains("list them last"));
    }

    #[test]
    fn user_calibrators_are_accepted_where_declared() {
        let user = ["muon_scale".to_string()];
        let n = node("[jet_calibration, muon_scale]");
        assert_eq!(
            parse_calibrators(Some(&n), &user).unwrap(),
            ["jet_calibration", "muon_scale"]
        );
        let e = parse_calibrators(Some(&node("[muon_scal]")), &user)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("did you mean") && e.contains("muon_scale"),
            "{e}"
        );
        let e = parse_calibrators(Some(&node("[muon_scale, muon_scale]")), &user)
            .unwrap_err()
            .to_string();
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn unknown_missing_and_misordered_calibrators_are_refused() {
        for (text, want) in [
            (
                "[jet_calibrations]",
                "unknown calibrator 'jet_calibrations'",
            ),
            ("[electron_scale_and_smearing]", "not in cortado yet"),
            ("[met_type1_calibration]", "list jet_calibration before it"),
            ("[jet_calibration, JetsCalibrator]", "listed twice"),
            ("[muon_scale]", "unknown calibrator 'muon_scale'"),
        ] {
            let e = parse_calibrators(Some(&node(text)), &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
