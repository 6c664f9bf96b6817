//! Shared by the integration tests: paths, the parameters pointing at the
//! shared correction file, and NanoAOD branches read with cortado-root.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cortado_calibration::{jet_calibrations, CollectionCalib, DatasetKind};
use cortado_columns::{Column, Values};
use cortado_params::{Parameters, Resolvers};

/// `../shared` (fails, rather than skips, when it is missing).
pub fn shared() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        p.join("data").is_dir(),
        "{} is missing: these tests need the shared test data",
        p.display()
    );
    p
}

/// The real 2018 JERC file.
pub fn jerc() -> PathBuf {
    shared().join("data/corrections/2018_UL/jet_jerc.json.gz")
}

/// The JES sources the tests vary.
pub const SOURCES: [&str; 4] = ["Total", "AbsoluteStat", "FlavorQCD", "RelativeBal"];

/// PocketCoffea's default parameters with the JERC file and the JER tag of
/// the shared file (`Summer19UL18_JRV2_MC`) and the variations of the tests.
pub fn params(extra: &str) -> Parameters {
    let res = Resolvers::new();
    let mut p = Parameters::defaults(&res).unwrap();
    let vars: Vec<String> = SOURCES
        .iter()
        .map(|s| format!("JES_{s}"))
        .chain(["JER".to_string()])
        .collect();
    let text = format!(
        "jets_calibration:\n  jet_types:\n    AK4PFchs:\n      \"2018\":\n        json_path: {}\n        jer: Summer19UL18_JRV2_MC\n  variations:\n    AK4PFchs:\n      \"2018\": [{}]\n{extra}",
        jerc().display(),
        vars.join(", ")
    );
    p.merge_str(&text, "test.yaml").unwrap();
    p.resolve(&res).unwrap()
}

/// The calibrations of `Jet` and `CorrT1METJet` for a 2018 dataset (data
/// with JEC on: PocketCoffea's 2018 default leaves data jets alone).
pub fn calibrations(is_mc: bool, era: Option<&str>) -> Vec<CollectionCalib> {
    let p = params("  apply_jec_Data:\n    \"2018\":\n      AK4PFchs: true\n");
    let all = jet_calibrations(
        &p,
        DatasetKind {
            year: "2018",
            is_mc,
            era,
            do_variations: true,
        },
    )
    .unwrap();
    all.into_iter()
        .filter(|c| c.collection == "Jet" || c.collection == "CorrT1METJet")
        .collect()
}

/// Branches of one entry range, by name.
pub struct Branches(pub HashMap<String, Column>);

impl Branches {
    /// Reads the `names` that the file has.
    pub fn read(path: &Path, start: u64, stop: Option<u64>, names: &[&str]) -> Branches {
        let file = cortado_root::RootFile::open(path.to_str().unwrap()).unwrap();
        let tree = file.tree("Events").unwrap();
        let stop = stop.unwrap_or(tree.entries()).min(tree.entries());
        let have: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| tree.branch(n).is_some())
            .collect();
        let cols = tree.read(&have, start..stop).unwrap();
        Branches(have.iter().map(|n| n.to_string()).zip(cols).collect())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn col(&self, name: &str) -> &Column {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("branch {name} not read"))
    }

    pub fn f32(&self, name: &str) -> &[f32] {
        match &self.col(name).values {
            Values::F32(v) => v,
            v => panic!("{name}: {:?}", v.dtype()),
        }
    }

    pub fn i32(&self, name: &str) -> &[i32] {
        match &self.col(name).values {
            Values::I32(v) => v,
            v => panic!("{name}: {:?}", v.dtype()),
        }
    }

    pub fn u32(&self, name: &str) -> &[u32] {
        match &self.col(name).values {
            Values::U32(v) => v,
            v => panic!("{name}: {:?}", v.dtype()),
        }
    }

    pub fn u64(&self, name: &str) -> &[u64] {
        match &self.col(name).values {
            Values::U64(v) => v,
            v => panic!("{name}: {:?}", v.dtype()),
        }
    }

    pub fn offsets(&self, name: &str) -> &[u32] {
        self.col(name).offsets.as_deref().expect("jagged")
    }
}

/// Every branch the tests use.
pub const BRANCHES: [&str; 23] = [
    "Jet_pt",
    "Jet_mass",
    "Jet_rawFactor",
    "Jet_eta",
    "Jet_phi",
    "Jet_area",
    "Jet_genJetIdx",
    "GenJet_pt",
    "fixedGridRhoFastjetAll",
    "event",
    "run",
    "CorrT1METJet_rawPt",
    "CorrT1METJet_eta",
    "CorrT1METJet_phi",
    "CorrT1METJet_area",
    "CorrT1METJet_muonSubtrFactor",
    "RawMET_pt",
    "RawMET_phi",
    "MET_MetUnclustEnUpDeltaX",
    "MET_MetUnclustEnUpDeltaY",
    "Jet_muonSubtrFactor",
    "Jet_chEmEF",
    "Jet_neEmEF",
];
