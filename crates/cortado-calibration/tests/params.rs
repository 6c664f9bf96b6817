//! Calibrations from PocketCoffea's parameters (the shipped defaults and
//! user overrides), as PocketCoffea 0.9.13's `JetsCalibrator.initialize` and
//! `METCalibrator` read them.

use cortado_calibration::*;
use cortado_params::{Parameters, Resolvers};

fn params(user: &str) -> Parameters {
    let res = Resolvers::new();
    let mut p = Parameters::defaults(&res).unwrap();
    if !user.is_empty() {
        p.merge_str(user, "user.yaml").unwrap();
    }
    p.resolve(&res).unwrap()
}

fn mc(year: &str) -> DatasetKind<'_> {
    DatasetKind {
        year,
        is_mc: true,
        era: None,
        do_variations: true,
    }
}

#[test]
fn defaults_2018_mc() {
    let all = jet_calibrations(&params(""), mc("2018")).unwrap();
    let colls: Vec<(&str, &str)> = all
        .iter()
        .map(|c| (c.jet_type.as_str(), c.collection.as_str()))
        .collect();
    assert_eq!(
        colls,
        [
            ("AK4PFchs", "Jet"),
            ("AK8PFPuppi", "FatJet"),
            ("AK4CorrT1METJetchs", "CorrT1METJet")
        ]
    );
    let jet = &all[0].spec;
    assert!(jet.file.to_string_lossy().ends_with("jet_jerc.json.gz"));
    assert_eq!(jet.jec_mc, "Summer19UL18_V5_MC");
    assert_eq!(jet.jer.as_deref(), Some("Summer19UL18_JRV3_MC"));
    assert_eq!(jet.level, "L1L2L3Res");
    assert!(jet.apply_jer && jet.sort_by_pt);
    assert_eq!(
        jet.variation_names(),
        [
            "AK4PFchs_JES_TotalUp",
            "AK4PFchs_JES_TotalDown",
            "AK4PFchs_JERUp",
            "AK4PFchs_JERDown"
        ]
    );
    // CorrT1METJet: calibrated as AK4PFchs (alias), varied with it (merged)
    let low = &all[2].spec;
    assert_eq!(low.jet_type, "AK4PFchs");
    assert_eq!(low.variation_prefix, "AK4PFchs");
    assert_eq!(low.variation_names(), jet.variation_names());
    assert_eq!(all[1].spec.variation_names()[0], "AK8PFPuppi_JES_TotalUp");
    assert_eq!(
        jet.jec_data,
        JecData::PerEra(vec![
            ("A".into(), "Summer19UL18_RunA_V5_DATA".into()),
            ("B".into(), "Summer19UL18_RunB_V5_DATA".into()),
            ("C".into(), "Summer19UL18_RunC_V5_DATA".into()),
            ("D".into(), "Summer19UL18_RunD_V5_DATA".into()),
        ])
    );
}

#[test]
fn data_2018_is_not_calibrated_by_default_and_run3_data_is() {
    let data = |year, era| DatasetKind {
        year,
        is_mc: false,
        era,
        do_variations: true,
    };
    assert!(jet_calibrations(&params(""), data("2018", Some("A")))
        .unwrap()
        .is_empty());
    let p = params("jets_calibration:\n  apply_jec_Data:\n    \"2018\":\n      AK4PFchs: true\n");
    let all = jet_calibrations(&p, data("2018", Some("C"))).unwrap();
    assert_eq!(all[0].spec.jec_tag().unwrap(), "Summer19UL18_RunC_V5_DATA");
    assert!(all[0].spec.variation_names().is_empty());
    let run3 = jet_calibrations(&params(""), data("2022_preEE", None)).unwrap();
    assert_eq!(run3[0].collection, "Jet");
    assert_eq!(
        run3[0].spec.jec_tag().unwrap(),
        "Summer22_22Sep2023_V4_DATA"
    );
}

#[test]
fn user_variations_and_no_variations() {
    let p = params(
        "jets_calibration:\n  variations:\n    AK4PFchs:\n      \"2018\": [JES_Regrouped_Absolute, JES_FlavorQCD, JER]\n",
    );
    let all = jet_calibrations(&p, mc("2018")).unwrap();
    assert_eq!(
        all[0].spec.variations,
        [
            JetVariation::Jes("Regrouped_Absolute".into()),
            JetVariation::Jes("FlavorQCD".into()),
            JetVariation::Jer
        ]
    );
    let none = jet_calibrations(
        &p,
        DatasetKind {
            do_variations: false,
            ..mc("2018")
        },
    )
    .unwrap();
    assert!(none[0].spec.variation_names().is_empty());
}

#[test]
fn bad_parameters_are_errors_at_their_line() {
    let p = params(
        "jets_calibration:\n  variations:\n    AK4PFchs:\n      \"2018\": [JES_Total, JEX]\n",
    );
    let e = jet_calibrations(&p, mc("2018")).unwrap_err().to_string();
    assert!(
        e.contains("user.yaml:4") && e.contains("unknown jet variation 'JEX'"),
        "{e}"
    );
    let e = jet_calibrations(&params(""), mc("2019"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("jets_calibration.collection.2019"), "{e}");
    let p = params("jets_calibration:\n  collection:\n    \"2018\":\n      AK4PFchs: Jet\n      AK4CorrT1METJetchs: Jet\n");
    let e = jet_calibrations(&p, mc("2018")).unwrap_err().to_string();
    assert!(e.contains("calibrated twice"), "{e}");
}

#[test]
fn met_parameters() {
    let p = params("");
    let mc = met_calibration(&p, "2018", true).unwrap();
    assert!(mc.active);
    assert_eq!(
        (
            mc.raw_met.as_str(),
            mc.met.as_str(),
            mc.corr_t1_met_jet.as_str(),
            mc.jet.as_str()
        ),
        ("RawMET", "MET", "CorrT1METJet", "Jet")
    );
    assert!(!met_calibration(&p, "2018", false).unwrap().active);
    let run3 = met_calibration(&p, "2023_preBPix", false).unwrap();
    assert!(run3.active && run3.met == "PuppiMET");
    assert_eq!(rho_branch(9), "fixedGridRhoFastjetAll");
    assert_eq!(rho_branch(12), "Rho_fixedGridRhoFastjetAll");
    assert_eq!(MET_VARIATIONS, ["unclust_EnUp", "unclust_EnDown"]);
    assert_eq!(
        MetShift::from_variation("unclust_EnDown"),
        Some(MetShift::UnclusteredDown)
    );
    assert_eq!(MetShift::from_variation("AK4PFchs_JERUp"), None);
}
