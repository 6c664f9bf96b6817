//! Jet and MET calibrations from PocketCoffea's parameters
//! (`jets_calibration`, `met_calibration`), read as PocketCoffea 0.9.13's
//! `JetsCalibrator.initialize` and `METCalibrator.__init__` read them.

use std::path::PathBuf;

use cortado_params::Parameters;
use cortado_yaml::{ConfigError, Node, Value};

use crate::spec::{JecData, JetCalibSpec, JetVariation};

/// The dataset a calibration is for.
#[derive(Debug, Clone, Copy)]
pub struct DatasetKind<'a> {
    /// The year key of the parameters (`2018`, `2022_preEE`, …).
    pub year: &'a str,
    /// Simulation or data.
    pub is_mc: bool,
    /// The era of data (chooses a per-era `jec_data` tag).
    pub era: Option<&'a str>,
    /// Whether the dataset asks for the jet shape variations.
    pub do_variations: bool,
}

/// One collection to calibrate.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionCalib {
    /// The key in `jets_calibration.collection[year]`, e.g. `AK4CorrT1METJetchs`.
    pub jet_type: String,
    /// The collection, e.g. `CorrT1METJet`.
    pub collection: String,
    /// The calibration.
    pub spec: JetCalibSpec,
}

/// The jet calibrations of a dataset: one per collection of
/// `jets_calibration.collection[year]` that `apply_jec_MC` (`apply_jec_Data`)
/// turns on, with PocketCoffea's aliases (`collection_name_alias`), tags
/// (`jet_types[alias][year]`), JER switch, sorting, variations and the
/// variation name shared by merged types (`merge_collections_for_variations`).
pub fn jet_calibrations(
    params: &Parameters,
    ds: DatasetKind,
) -> Result<Vec<CollectionCalib>, ConfigError> {
    let year = ds.year;
    let base = "jets_calibration";
    let colls = params.require(&format!("{base}.collection.{year}"))?;
    let mut out: Vec<CollectionCalib> = Vec::new();
    for (key, node) in colls.as_map()? {
        let jet_type = key.name.as_str();
        if node.value == Value::Null {
            continue;
        }
        let collection = node.as_text()?;
        let alias = match params.get(&format!("{base}.collection_name_alias.{year}.{jet_type}")) {
            Some(a) => a.as_text()?,
            None => jet_type.to_string(),
        };
        let switch = |what: &str| -> Result<bool, ConfigError> {
            params
                .require(&format!("{base}.{what}.{year}.{alias}"))?
                .as_bool()
        };
        let regr = if ds.is_mc {
            "apply_pt_regr_MC"
        } else {
            "apply_pt_regr_Data"
        };
        if params
            .get(&format!("{base}.{regr}.{year}.{alias}"))
            .is_some()
            && switch(regr)?
        {
            return Err(params
                .require(&format!("{base}.{regr}.{year}.{alias}"))?
                .error(format!(
                    "the pt regression of {alias} is not supported by cortado yet"
                )));
        }
        let jec = if ds.is_mc {
            "apply_jec_MC"
        } else {
            "apply_jec_Data"
        };
        if !switch(jec)? {
            continue;
        }
        if let Some(prev) = out.iter().find(|c| c.collection == collection) {
            return Err(node.error(format!(
                "the collection {collection} is calibrated twice: as {} and as {jet_type}",
                prev.jet_type
            )));
        }
        let spec = spec_for(params, ds, &alias, jet_type)?;
        out.push(CollectionCalib {
            jet_type: jet_type.to_string(),
            collection,
            spec,
        });
    }
    Ok(out)
}

/// The calibration of jet type `alias` (listed as `jet_type`).
fn spec_for(
    params: &Parameters,
    ds: DatasetKind,
    alias: &str,
    jet_type: &str,
) -> Result<JetCalibSpec, ConfigError> {
    let (base, year) = ("jets_calibration", ds.year);
    let tags = params.require(&format!("{base}.jet_types.{alias}.{year}"))?;
    let text = |k: &str| -> Result<String, ConfigError> { tags.req(k)?.as_text() };
    let jec_data = match tags.get("jec_data") {
        Some(n) if n.entries().is_some() => JecData::PerEra(
            n.as_map()?
                .iter()
                .map(|(k, v)| Ok((k.name.clone(), v.as_text()?)))
                .collect::<Result<_, ConfigError>>()?,
        ),
        Some(n) => JecData::Single(n.as_text()?),
        None if ds.is_mc => JecData::Single(String::new()),
        None => return Err(tags.error("missing required key 'jec_data'")),
    };
    let jer = match tags.get("jer") {
        Some(n) if n.value != Value::Null => Some(n.as_text()?),
        _ => None,
    };
    let apply_jer = ds.is_mc
        && params
            .require(&format!("{base}.apply_jer_MC.{year}.{alias}"))?
            .as_bool()?;
    let sort_by_pt = match params.get(&format!("{base}.sort_by_pt.{year}.{alias}")) {
        Some(n) => n.as_bool()?,
        None => false,
    };
    let variations = match params.get(&format!("{base}.variations.{alias}.{year}")) {
        Some(n) => parse_variations(n)?,
        None => Vec::new(),
    };
    Ok(JetCalibSpec {
        file: PathBuf::from(text("json_path")?),
        jet_type: alias.to_string(),
        variation_prefix: merged_type(params, year, alias)?.unwrap_or_else(|| jet_type.to_string()),
        jec_mc: text("jec_mc")?,
        jec_data,
        jer,
        level: text("level")?,
        apply_jer,
        variations,
        do_variations: ds.do_variations,
        sort_by_pt,
        is_mc: ds.is_mc,
        year: year.to_string(),
        era: ds.era.map(str::to_string),
        l1_for_met: false,
    })
}

/// The `JES_<source>` / `JER` entries of a variations list.
fn parse_variations(n: &Node) -> Result<Vec<JetVariation>, ConfigError> {
    let mut out = Vec::new();
    for item in n.as_seq()? {
        let s = item.as_text()?;
        match JetVariation::parse(&s) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => {
                return Err(item.error(format!(
                    "unknown jet variation '{s}': expected 'JER' or 'JES_<source>' \
                     (e.g. JES_Total, JES_Regrouped_Absolute)"
                )))
            }
        }
    }
    Ok(out)
}

/// The type whose variations `alias` shares (`merge_collections_for_variations`).
fn merged_type(
    params: &Parameters,
    year: &str,
    alias: &str,
) -> Result<Option<String>, ConfigError> {
    let Some(m) = params.get(&format!(
        "jets_calibration.merge_collections_for_variations.{year}"
    )) else {
        return Ok(None);
    };
    for (k, members) in m.as_map()? {
        if members.as_str_list()?.iter().any(|x| x == alias) {
            return Ok(Some(k.name.clone()));
        }
    }
    Ok(None)
}

/// The MET calibration of a dataset (`met_calibration[year]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetCalibSpec {
    /// Whether the type-1 MET is recomputed (`apply_MC` / `apply_data`); when
    /// off, PocketCoffea's MET is the raw MET.
    pub active: bool,
    /// `RawMET` (`RawPuppiMET`).
    pub raw_met: String,
    /// `MET` (`PuppiMET`).
    pub met: String,
    /// `CorrT1METJet`.
    pub corr_t1_met_jet: String,
    /// `Jet`.
    pub jet: String,
}

/// `met_calibration[year]` of the parameters.
pub fn met_calibration(
    params: &Parameters,
    year: &str,
    is_mc: bool,
) -> Result<MetCalibSpec, ConfigError> {
    let n = params.require(&format!("met_calibration.{year}"))?;
    let text = |k: &str| -> Result<String, ConfigError> { n.req(k)?.as_text() };
    Ok(MetCalibSpec {
        active: n
            .req(if is_mc { "apply_MC" } else { "apply_data" })?
            .as_bool()?,
        raw_met: text("RawMET_collection")?,
        met: text("MET_collection")?,
        corr_t1_met_jet: text("CorrT1METJet_collection")?,
        jet: text("Jet_collection")?,
    })
}

/// The name of NanoAOD's rho branch: `fixedGridRhoFastjetAll` before
/// NanoAOD v12, `Rho_fixedGridRhoFastjetAll` from v12 on (PocketCoffea's
/// `get_rho`).
pub fn rho_branch(nano_version: u32) -> &'static str {
    if nano_version >= 12 {
        "Rho_fixedGridRhoFastjetAll"
    } else {
        "fixedGridRhoFastjetAll"
    }
}
