//! Correction weights beyond one number per object: a string input chosen
//! per object by conditions (PocketCoffea's electron reco SF by pt range),
//! `where` (the rows a weight applies to; the others count 1 and are never
//! evaluated, as the pileup jet ID SF), named variation sources with their
//! own rows (`{name}_{source}Up/Down`, b-tag cferr only on c jets) — each
//! the same numbers as the weight written as expressions; coffea's modifier
//! where the nominal is 0; errors naming the event and object, or the
//! weight and parameter, for what cannot be computed. On the repository's
//! own files (the Z->mumu example, toy corrections), no ../shared needed.

mod common;

use std::path::{Path, PathBuf};

use common::{close, cortado, root};
use serde_json::Value;

fn toy() -> String {
    root()
        .join("tests/data/corrections/toy_rows.json")
        .display()
        .to_string()
}

/// The Z->mumu example with `body` appended.
/// The example with `body` over it; without its weight variations unless
/// `body` sets its own (the example varies its pileup and muon weights).
fn config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    let reset = if body.contains("\nvariations:") || body.starts_with("variations:") {
        ""
    } else {
        "variations:\n  weights:\n    common: {inclusive: []}\n"
    };
    let text = format!(
        "extends: {}\n{reset}{body}",
        root().join("examples/zmumu/analysis.yaml").display()
    );
    std::fs::write(&p, text).unwrap();
    p
}

const APPLY: &str = "weights:
  common:
    inclusive: [genWeight, lumi, XS, toy_wp, toy_flavour, toy_flavour_a, toy_flavour_c]
    bycategory: {}
  bysample: {}
variations:
  weights:
    common: {inclusive: [toy_wp, toy_flavour, toy_flavour_a, toy_flavour_c], bycategory: {}}
    bysample: {}
";

/// `toy_flavour`'s value of `key` for each jet, as an expression.
fn flavour(up: f64, c: f64, b: f64) -> String {
    format!("where(JetGood.hadronFlavour == 5, {b}, where(JetGood.hadronFlavour == 4, {c}, {up}))")
}

#[test]
fn chosen_strings_where_and_sources_equal_the_same_weights_as_expressions() {
    let dir = common::tmpdir("corrrows", "same");
    let f = toy();
    // muons: [20, 30) "low", [30, 45) "high", from 45 none (1), below 20 not
    // evaluated (the correction refuses pt outside [20, 45))
    let corr = config(
        &dir,
        "corr",
        &format!(
            "custom_weights:
  toy_wp:
    correction: {{file: {f}, name: toy_wp}}
    inputs:
      pt: MuonGood.pt
      wp: {{low: MuonGood.pt < 30, high: (MuonGood.pt >= 30) & (MuonGood.pt < 45)}}
    where: MuonGood.pt >= 20
    variations: {{input: syst, nominal: nominal, up: up, down: down}}
  toy_flavour:
    correction: {{file: {f}, name: toy_flavour}}
    inputs: {{flavour: JetGood.hadronFlavour}}
    variations:
      input: systematic
      nominal: central
      sources:
        a: {{up: up_a, down: down_a, where: JetGood.hadronFlavour != 4}}
        c: {{up: up_c, down: down_c, where: JetGood.hadronFlavour == 4}}
  toy_flavour_a: \"1.0\"
  toy_flavour_c: \"1.0\"
{APPLY}"
        ),
    );
    let wp = |lo: f64, hi: f64| {
        format!(
            "prod(where(MuonGood.pt >= 20, where(MuonGood.pt < 30, {lo}, \
             where(MuonGood.pt < 45, {hi}, 1.0)), 1.0))"
        )
    };
    let central = flavour(1.0, 0.9, 1.1);
    let varied = |mask: &str, v: String| {
        format!("prod(where(JetGood.hadronFlavour {mask} 4, {v}, {central})) / prod({central})")
    };
    let expr = config(
        &dir,
        "expr",
        &format!(
            "custom_weights:
  toy_wp: {{nominal: \"{}\", up: \"{}\", down: \"{}\"}}
  toy_flavour: \"prod({central})\"
  toy_flavour_a: {{nominal: \"1.0\", up: \"{}\", down: \"{}\"}}
  toy_flavour_c: {{nominal: \"1.0\", up: \"{}\", down: \"{}\"}}
{APPLY}",
            wp(0.8, 1.2),
            wp(0.85, 1.3),
            wp(0.75, 1.1),
            varied("!=", flavour(1.05, 0.95, 1.2)),
            varied("!=", flavour(0.97, 0.85, 1.0)),
            varied("==", flavour(1.5, 1.0, 1.5)),
            varied("==", flavour(0.5, 0.8, 0.5)),
        )
        // the correction's toy_flavour has the sources; the expressions'
        // has none (toy_flavour_a/_c carry them)
        .replace(
            "inclusive: [toy_wp, toy_flavour, toy_flavour_a, toy_flavour_c], bycategory",
            "inclusive: [toy_wp, toy_flavour_a, toy_flavour_c], bycategory",
        ),
    );
    let corr_text = std::fs::read_to_string(&corr).unwrap().replace(
        "inclusive: [toy_wp, toy_flavour, toy_flavour_a, toy_flavour_c], bycategory",
        "inclusive: [toy_wp, toy_flavour], bycategory",
    );
    std::fs::write(&corr, corr_text).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    common::run_ok(corr.to_str().unwrap(), a.to_str().unwrap(), &[]);
    common::run_ok(expr.to_str().unwrap(), b.to_str().unwrap(), &[]);
    let da: Value = serde_json::from_str(&common::dump(&a)).unwrap();
    let db: Value = serde_json::from_str(&common::dump(&b)).unwrap();
    let vars = da["histograms"]["mll"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"]
        .as_object()
        .unwrap();
    assert_eq!(
        vars.keys().collect::<Vec<_>>(),
        [
            "nominal",
            "toy_flavour_aDown",
            "toy_flavour_aUp",
            "toy_flavour_cDown",
            "toy_flavour_cUp",
            "toy_wpDown",
            "toy_wpUp"
        ]
    );
    // every variation changes the numbers
    for v in vars.keys().filter(|v| *v != "nominal") {
        assert_ne!(vars["nominal"]["sumw"], vars[v]["sumw"], "{v}");
    }
    let mut diffs = Vec::new();
    close(&da, &db, "", 1e-12, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_nominal_of_zero_gives_a_varied_weight_of_zero_as_coffea() {
    // coffea 0.7 stores the modifier up/nominal only where the nominal is
    // not 0 (the value itself elsewhere): the varied weight is then 0, not NaN
    let dir = common::tmpdir("corrrows", "zero");
    let cfg = config(
        &dir,
        "zero",
        &format!(
            "custom_weights:
  toy_zero:
    correction: {{file: {}, name: toy_zero}}
    inputs: {{npv: PV_npvsGood}}
    variations: {{input: syst, nominal: nominal, up: up, down: down}}
weights: {{common: {{inclusive: [toy_zero]}}}}
variations: {{weights: {{common: {{inclusive: [toy_zero]}}}}}}
columns: {{common: {{inclusive: [{{collection: events, columns: [PV_npvsGood]}}]}}}}
",
            toy()
        ),
    );
    let out = dir.join("out");
    common::run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    let d: Value = serde_json::from_str(&common::dump(&out)).unwrap();
    let cols = &d["columns"]["DYJetsToLL"]["DYJetsToLL_M-50_2018"]["baseline"]["nominal"];
    let npv = cols["events_PV_npvsGood"].as_array().unwrap();
    let (mut zeros, mut others) = (0, 0);
    for (i, n) in npv.iter().enumerate() {
        let w = cols["weight"][i].as_f64().unwrap();
        let up = cols["weight_variation_toy_zeroUp"][i].as_f64();
        let down = cols["weight_variation_toy_zeroDown"][i].as_f64();
        if n.as_i64().unwrap() < 30 {
            zeros += 1;
            assert_eq!((w, up, down), (0.0, Some(0.0), Some(0.0)), "event {i}");
        } else {
            others += 1;
            assert_eq!((w, up, down), (1.0, Some(1.5), Some(0.5)), "event {i}");
        }
    }
    assert!(
        zeros > 10 && others > 10,
        "{zeros} events below 30 vertices, {others} above"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_value_the_correction_refuses_names_the_event_and_the_object() {
    let dir = common::tmpdir("corrrows", "refused");
    // without `where`, the muons below 20 GeV reach the correction
    let cfg = config(
        &dir,
        "refused",
        &format!(
            "custom_weights:
  toy_wp:
    correction: {{file: {}, name: toy_wp}}
    inputs: {{pt: MuonGood.pt, wp: low}}
    variations: {{input: syst, nominal: nominal, up: up, down: down}}
weights: {{common: {{inclusive: [toy_wp]}}}}
",
            toy()
        ),
    );
    let o = common::run(
        cfg.to_str().unwrap(),
        dir.join("out").to_str().unwrap(),
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    for needle in [
        "weight 'toy_wp'",
        "toy_rows.json",
        "correction 'toy_wp'",
        "of event ",
        "object ",
        "pt",
    ] {
        assert!(err.contains(needle), "no {needle:?} in:\n{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_parton_shower_weight_is_an_error_naming_the_weight() {
    // pfnano.root stores one PSWeight per event: PocketCoffea's PSWeight[:, 2] fails too
    let dir = common::tmpdir("corrrows", "psweight");
    std::fs::write(
        dir.join("fileset.json"),
        format!(
            "{{\"pf_2018\": {{\"metadata\": {{\"sample\": \"pf\", \"year\": \"2018\", \
             \"isMC\": \"True\", \"xsec\": \"1.0\"}}, \"files\": [\"{}\"]}}}}",
            root().join("tests/data/nanoaod/pfnano.root").display()
        ),
    )
    .unwrap();
    let cfg = dir.join("ps.yaml");
    std::fs::write(
        &cfg,
        "datasets: {jsons: [fileset.json]}
weights: {common: {inclusive: [genWeight, sf_L1prefiring, sf_partonshower_isr]}}
variations: {weights: {common: {inclusive: [sf_L1prefiring, sf_partonshower_isr]}}}
histograms:
  nJet: {axes: [{coll: events, field: nJet, bins: 10, start: 0, stop: 10}]}
",
    )
    .unwrap();
    let o = common::run(
        cfg.to_str().unwrap(),
        dir.join("out").to_str().unwrap(),
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("pfnano.root")
            && err.contains("weight 'sf_partonshower_isr': 10 events have no value")
            && err.contains("nPSWeight < 3"),
        "{err}"
    );
    // the L1 prefiring weight alone runs: Up <= Nom <= Dn, as NanoAOD stores them
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(", sf_partonshower_isr]", "]");
    std::fs::write(&cfg, text).unwrap();
    let out = dir.join("out2");
    common::run_ok(cfg.to_str().unwrap(), out.to_str().unwrap(), &[]);
    let d: Value = serde_json::from_str(&common::dump(&out)).unwrap();
    let h = &d["histograms"]["nJet"]["pf"]["pf_2018"]["baseline"];
    let sum = |v: &str| -> f64 {
        h[v]["sumw"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .sum()
    };
    let (up, nom, dn) = (
        sum("sf_L1prefiringUp"),
        sum("nominal"),
        sum("sf_L1prefiringDown"),
    );
    assert!(up < nom && nom < dn, "{up} {nom} {dn}");
    std::fs::remove_dir_all(&dir).ok();
}

fn check_fails(dir: &Path, name: &str, body: &str, needles: &[&str]) {
    let cfg = config(dir, name, body);
    let o = cortado(&["check", "--cfg", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{name}: accepted");
    for n in needles {
        assert!(err.contains(n), "{name}: no {n:?} in:\n{err}");
    }
}

#[test]
fn mistakes_in_chosen_strings_where_and_sources_are_errors_at_their_line() {
    let dir = common::tmpdir("corrrows", "errors");
    let f = toy();
    let apply = "weights: {common: {inclusive: [toy]}}\n";
    let wp = |inputs: &str, rest: &str| {
        format!(
            "custom_weights:\n  toy:\n    correction: {{file: {f}, name: toy_wp}}\n    inputs: \
             {inputs}\n{rest}{apply}"
        )
    };
    let var = "    variations: {input: syst, nominal: nominal, up: up, down: down}\n";
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "chosen value not a key",
            wp("{pt: MuonGood.pt, wp: {lowest: MuonGood.pt < 30}}", var),
            vec!["'lowest' is not a value of input 'wp'", "\"high\", \"low\""],
        ),
        (
            "a number chosen by conditions",
            wp("{pt: {low: MuonGood.pt < 30}, wp: low}", var),
            vec!["input 'pt' is a number (real)", "not as values chosen by conditions"],
        ),
        (
            "condition not boolean",
            wp("{pt: MuonGood.pt, wp: {low: MuonGood.pt}}", var),
            vec!["the condition of 'low' (input 'wp') needs a boolean per event or per object"],
        ),
        (
            "where of another collection",
            wp("{pt: MuonGood.pt, wp: low}", &format!("    where: JetGood.pt > 0\n{var}")),
            vec!["where is per object of another collection"],
        ),
        (
            "variations input unknown",
            wp(
                "{pt: MuonGood.pt, wp: low, syst: nominal}",
                "    variations: {input: sys, nominal: nominal, up: up, down: down}\n",
            ),
            vec![
                "the variations' input 'sys' is not an input of correction 'toy_wp'",
                "did you mean 'syst'",
            ],
        ),
        (
            "up and down beside sources",
            wp(
                "{pt: MuonGood.pt, wp: low}",
                "    variations: {input: syst, nominal: nominal, up: up, down: down, sources: {a: {up: up, down: down}}}\n",
            ),
            vec!["give either up and down, or sources"],
        ),
        (
            "source key not a value",
            wp(
                "{pt: MuonGood.pt, wp: low}",
                "    variations: {input: syst, nominal: nominal, sources: {a: {up: up_a, down: down}}}\n",
            ),
            vec!["'up_a' is not a value of input 'syst'"],
        ),
    ];
    for (name, body, needles) in cases {
        check_fails(&dir, &name.replace(' ', "_"), &body, &needles);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn common_weights_say_which_parameter_is_wrong() {
    let dir = common::tmpdir("corrrows", "params");
    let params = |name: &str, yaml: &str| -> String {
        let p = dir.join(format!("{name}.params.yaml"));
        std::fs::write(&p, yaml).unwrap();
        format!(
            "parameters:\n  files: [{}, {}, {}]\n",
            root()
                .join("examples/zmumu/params/object_preselection.yaml")
                .display(),
            root().join("examples/zmumu/params/triggers.yaml").display(),
            p.display()
        )
    };
    let apply = |w: &str| format!("weights: {{common: {{inclusive: [genWeight, {w}]}}}}\n");
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "btag JES source",
            params(
                "jes",
                "systematic_variations: {weight_variations: {sf_btag: {'2018': [hf, JES_Total_AK4PFchs]}}}\n",
            ) + &apply("sf_btag"),
            vec![
                "weight 'sf_btag'",
                "'JES_Total_AK4PFchs' in systematic_variations.weight_variations.sf_btag.2018",
                "JES shape variations",
            ],
        ),
        (
            "btag file of another layout",
            params(
                "layout",
                &format!(
                    "jet_scale_factors: {{btagSF: {{'2018': {{file: {}, name: toy_flavour}}}}}}\n",
                    toy()
                ),
            ) + &apply("sf_btag"),
            vec!["correction 'toy_flavour'", "has inputs (systematic, flavour), PocketCoffea gives 5"],
        ),
        (
            "electron id without a scale factor",
            params("eleid", "object_preselection: {Electron: {id: cutBased}}\n")
                + &apply("sf_ele_id"),
            vec!["weight 'sf_ele_id'", "lepton_scale_factors.electron_sf.id.cutBased"],
        ),
        (
            "electron trigger file not set",
            params("trigger", "{}\n") + &apply("sf_ele_trigger"),
            vec![
                "weight 'sf_ele_trigger'",
                "lepton_scale_factors.electron_sf.trigger_sf.2018.file",
                "mandatory (???)",
            ],
        ),
    ];
    for (name, body, needles) in cases {
        check_fails(&dir, &name.replace(' ', "_"), &body, &needles);
    }
    std::fs::remove_dir_all(&dir).ok();
}
