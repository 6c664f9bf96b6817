//! What one jet calibration is: the correction file, the tags, the jet type,
//! the variations, and the dataset's kind (MC or data, year, era). Built by
//! hand or from PocketCoffea's parameters ([`crate::params`]).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The JEC tag of data: one for every era, or one per era (PocketCoffea's
/// `jec_data`, a string or a map era → tag).
#[derive(Debug, Clone, PartialEq)]
pub enum JecData {
    /// The same tag for every era.
    Single(String),
    /// A tag per era, e.g. `A → Summer19UL18_RunA_V5_DATA`.
    PerEra(Vec<(String, String)>),
}

/// One shape variation that a jet calibration provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JetVariation {
    /// A JES uncertainty source, e.g. `Total` or `Regrouped_Absolute_2018`
    /// (the correction `{jec_mc}_{source}_{jet_type}`).
    Jes(String),
    /// The JER scale factor's uncertainty.
    Jer,
}

impl JetVariation {
    /// Parses an entry of PocketCoffea's `jets_calibration.variations`
    /// lists: `JES_<source>` or `JER`.
    pub fn parse(entry: &str) -> Option<JetVariation> {
        if entry == "JER" {
            Some(JetVariation::Jer)
        } else {
            entry
                .strip_prefix("JES_")
                .filter(|s| !s.is_empty())
                .map(|s| JetVariation::Jes(s.to_string()))
        }
    }

    /// The entry as PocketCoffea writes it (`JES_Total`, `JER`).
    pub fn entry(&self) -> String {
        match self {
            JetVariation::Jes(s) => format!("JES_{s}"),
            JetVariation::Jer => "JER".to_string(),
        }
    }
}

/// Direction of a variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `…Up`.
    Up,
    /// `…Down`.
    Down,
}

impl Direction {
    /// `"Up"` or `"Down"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Direction::Up => "Up",
            Direction::Down => "Down",
        }
    }
}

/// Everything that defines one jet calibration of one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct JetCalibSpec {
    /// The correctionlib file with the JEC, JER and JES corrections
    /// (`jet_jerc.json.gz`).
    pub file: PathBuf,
    /// The jet type in the corrections' names, e.g. `AK4PFchs` (for
    /// `CorrT1METJet` too: PocketCoffea's `collection_name_alias`).
    pub jet_type: String,
    /// The prefix of the variation names, e.g. `AK4PFchs`: the jet type, or
    /// the type it is merged with for variations
    /// (`merge_collections_for_variations`).
    pub variation_prefix: String,
    /// The JEC tag of simulation, e.g. `Summer19UL18_V5_MC`.
    pub jec_mc: String,
    /// The JEC tag of data.
    pub jec_data: JecData,
    /// The JER tag, e.g. `Summer19UL18_JRV2_MC` (simulation only).
    pub jer: Option<String>,
    /// The JEC level, e.g. `L1L2L3Res`.
    pub level: String,
    /// Whether simulation is smeared (`apply_jer_MC`).
    pub apply_jer: bool,
    /// The variations (PocketCoffea's `jets_calibration.variations`), used
    /// when `do_variations` is set, on simulation only.
    pub variations: Vec<JetVariation>,
    /// Whether the variations are computed (the dataset asks for shape
    /// variations).
    pub do_variations: bool,
    /// Whether the jets are re-sorted by pt (nominal and variations).
    pub sort_by_pt: bool,
    /// Simulation (true) or data.
    pub is_mc: bool,
    /// The data-taking year, for messages (e.g. `2018`).
    pub year: String,
    /// The era of a data dataset (e.g. `A`), to choose its JEC tag.
    pub era: Option<String>,
    /// Also evaluate the L1 (pileup offset) correction
    /// `{jec}_L1FastJet_{jet_type}` on the raw jets, for a type-1 MET that
    /// subtracts it (CMSSW's recipe for CHS jets; PocketCoffea 0.9.13 uses 1).
    pub l1_for_met: bool,
}

impl JetCalibSpec {
    /// A description for messages: `jet calibration AK4PFchs (2018, MC)`.
    pub fn context(&self) -> String {
        let kind = if self.is_mc {
            "MC".to_string()
        } else {
            match &self.era {
                Some(e) => format!("data, era {e}"),
                None => "data".to_string(),
            }
        };
        format!("jet calibration {} ({}, {kind})", self.jet_type, self.year)
    }

    /// The JEC tag of this dataset: `jec_mc`, or the data tag of its era.
    pub fn jec_tag(&self) -> Result<&str> {
        if self.is_mc {
            return Ok(&self.jec_mc);
        }
        match &self.jec_data {
            JecData::Single(t) => Ok(t),
            JecData::PerEra(map) => {
                let eras: Vec<&str> = map.iter().map(|(e, _)| e.as_str()).collect();
                let Some(era) = &self.era else {
                    return Err(Error::Unusable {
                        context: self.context(),
                        message: format!(
                            "jec_data has a tag per era ({}) but the dataset has no era",
                            eras.join(", ")
                        ),
                    });
                };
                map.iter()
                    .find(|(e, _)| e == era)
                    .map(|(_, t)| t.as_str())
                    .ok_or_else(|| Error::Unusable {
                        context: self.context(),
                        message: format!(
                            "jec_data has no tag for era '{era}'{} (eras: {})",
                            cortado_yaml::did_you_mean(era, eras.iter().copied()),
                            eras.join(", ")
                        ),
                    })
            }
        }
    }

    /// Whether JER smearing is applied (simulation with `apply_jer`).
    pub fn smears(&self) -> bool {
        self.is_mc && self.apply_jer
    }

    /// Whether variations are computed (simulation with `do_variations`).
    pub fn varies(&self) -> bool {
        self.is_mc && self.do_variations && !self.variations.is_empty()
    }

    /// The names of the variations this calibration provides, as
    /// PocketCoffea names them, in the order of `variations` (Up before
    /// Down): `AK4PFchs_JES_TotalUp`, `AK4PFchs_JES_TotalDown`,
    /// `AK4PFchs_JERUp`, … (none when [`JetCalibSpec::varies`] is false).
    pub fn variation_names(&self) -> Vec<String> {
        if !self.varies() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(2 * self.variations.len());
        for v in &self.variations {
            for d in [Direction::Up, Direction::Down] {
                out.push(variation_name(&self.variation_prefix, v, d));
            }
        }
        out
    }
}

/// PocketCoffea's name of a jet variation: `{prefix}_{entry}{Up|Down}`.
pub fn variation_name(prefix: &str, v: &JetVariation, d: Direction) -> String {
    format!("{prefix}_{}{}", v.entry(), d.suffix())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn spec() -> JetCalibSpec {
        JetCalibSpec {
            file: PathBuf::from("jet_jerc.json.gz"),
            jet_type: "AK4PFchs".into(),
            variation_prefix: "AK4PFchs".into(),
            jec_mc: "Summer19UL18_V5_MC".into(),
            jec_data: JecData::PerEra(vec![
                ("A".into(), "Summer19UL18_RunA_V5_DATA".into()),
                ("B".into(), "Summer19UL18_RunB_V5_DATA".into()),
            ]),
            jer: Some("Summer19UL18_JRV2_MC".into()),
            level: "L1L2L3Res".into(),
            apply_jer: true,
            variations: vec![JetVariation::Jes("Total".into()), JetVariation::Jer],
            do_variations: true,
            sort_by_pt: true,
            is_mc: true,
            year: "2018".into(),
            era: None,
            l1_for_met: false,
        }
    }

    #[test]
    fn names_as_pocketcoffea() {
        let s = spec();
        assert_eq!(
            s.variation_names(),
            [
                "AK4PFchs_JES_TotalUp",
                "AK4PFchs_JES_TotalDown",
                "AK4PFchs_JERUp",
                "AK4PFchs_JERDown"
            ]
        );
        let data = JetCalibSpec {
            is_mc: false,
            ..spec()
        };
        assert!(data.variation_names().is_empty());
        assert_eq!(
            JetVariation::parse("JES_Regrouped_Absolute_2018"),
            Some(JetVariation::Jes("Regrouped_Absolute_2018".into()))
        );
        assert_eq!(JetVariation::parse("JES_"), None);
        assert_eq!(JetVariation::parse("JERx"), None);
    }

    #[test]
    fn data_tag_by_era() {
        let mut s = JetCalibSpec {
            is_mc: false,
            era: Some("B".into()),
            ..spec()
        };
        assert_eq!(s.jec_tag().unwrap(), "Summer19UL18_RunB_V5_DATA");
        s.era = Some("C".into());
        let e = s.jec_tag().unwrap_err().to_string();
        assert!(
            e.contains("no tag for era 'C'") && e.contains("eras: A, B"),
            "{e}"
        );
        s.era = None;
        assert!(s.jec_tag().unwrap_err().to_string().contains("no era"));
        s.jec_data = JecData::Single("X_DATA".into());
        assert_eq!(s.jec_tag().unwrap(), "X_DATA");
        assert_eq!(spec().jec_tag().unwrap(), "Summer19UL18_V5_MC");
    }
}
