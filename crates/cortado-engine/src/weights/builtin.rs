//! PocketCoffea's common weights (`lib/weights/common/common.py`,
//! `lib/scale_factors.py` and `weights_run2_UL.py` of PocketCoffea 0.9.13),
//! built from the parameters: a correction weight with the files,
//! correction names, keys and inputs PocketCoffea uses, or per-event
//! expressions for the weights NanoAOD stores (L1 prefiring, parton shower,
//! QCD scales).

use cortado_config::{
    AnalysisConfig, CorrInputSrc, CorrectionWeight, Dataset, ExprSrc, VariationKeys, VariationSet,
    WeightKind,
};
use cortado_yaml::{ConfigError, Node, Pos, Value};

/// The parameter at `path`, or an error naming the weight.
fn param<'a>(cfg: &'a AnalysisConfig, path: &str, what: &str) -> Result<&'a Node, ConfigError> {
    cfg.params
        .require(path)
        .map_err(|e| ConfigError::new(e.pos.clone(), format!("{what}: {}", e.message)))
}

/// The parameter at `path` as text.
fn text(cfg: &AnalysisConfig, path: &str, what: &str) -> Result<String, ConfigError> {
    param(cfg, path, what)?
        .as_text()
        .map_err(|e| ConfigError::new(e.pos.clone(), format!("{what}: {path}: {}", e.message)))
}

fn src(text: &str) -> ExprSrc {
    ExprSrc {
        text: text.to_string(),
        pos: None,
    }
}

/// One input of a correction, in the correction's order.
enum Arg {
    /// A number: an expression.
    Num(String),
    /// A fixed string.
    Str(String),
    /// A string chosen per row: (value, condition).
    Choice(Vec<(String, String)>),
    /// The string that selects the nominal value and the variations.
    Var,
}

/// What a common weight from a correction file needs.
struct Spec<'a> {
    /// The file and the parameter that names it.
    file: (&'a str, &'a str),
    corr: &'a str,
    args: Vec<Arg>,
    nominal: &'a str,
    sets: Vec<VariationSet>,
    only: Option<String>,
}

/// One up/down pair without a source.
fn updown(up: &str, down: &str) -> Vec<VariationSet> {
    vec![VariationSet {
        source: None,
        up: up.into(),
        down: down.into(),
        only: None,
    }]
}

/// The common weight `name` for dataset `ds` (`None` when `name` is not one
/// of them). `pos` is where the weight is named in the configuration.
pub fn builtin(
    name: &str,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    pos: &Option<Pos>,
) -> Option<Result<WeightKind, ConfigError>> {
    let b = Builder {
        cfg,
        ds,
        year: &ds.year,
        what: format!("weight '{name}' (dataset {}, year {})", ds.name, ds.year),
        pos,
    };
    let expr = |nominal: &str, up: &str, down: &str| {
        Ok(WeightKind::Expr {
            nominal: src(nominal),
            up: Some(src(up)),
            down: Some(src(down)),
        })
    };
    Some(match name {
        "pileup" => b.pileup(),
        "sf_mu_id" => b.muon("id", "{coll}.pt"),
        "sf_mu_iso" => b.muon("iso", "{coll}.pt"),
        // PocketCoffea clips pt to [26, 9999] for the trigger SF
        "sf_mu_trigger" => b.muon("trigger", &clip("{coll}.pt", "26.0", "9999.0")),
        "sf_ele_reco" => b.electron("reco"),
        "sf_ele_id" => b.electron("id"),
        "sf_ele_trigger" => b.electron_trigger(),
        "sf_btag" => b.btag(),
        "sf_jet_puId" => b.jet_puid(),
        // NanoAOD's per-event weights (float32, as PocketCoffea reads them)
        "sf_L1prefiring" => expr(
            "L1PreFiringWeight_Nom",
            "L1PreFiringWeight_Up",
            "L1PreFiringWeight_Dn",
        ),
        // PSWeight: [0] ISR=2 FSR=1, [1] ISR=1 FSR=2, [2] ISR=0.5 FSR=1, [3] ISR=1 FSR=0.5
        "sf_partonshower_isr" => expr("1.0", "PSWeight[2]", "PSWeight[0]"),
        "sf_partonshower_fsr" => expr("1.0", "PSWeight[3]", "PSWeight[1]"),
        // LHEScaleWeight[3 iR + iF], muR, muF in (0.5, 1, 2)
        "sf_qcd_renorm_scale" => expr(
            "1.0",
            "LHEScaleWeight[7] / LHEScaleWeight[4]",
            "LHEScaleWeight[1] / LHEScaleWeight[4]",
        ),
        "sf_qcd_factor_scale" => expr(
            "1.0",
            "LHEScaleWeight[5] / LHEScaleWeight[4]",
            "LHEScaleWeight[3] / LHEScaleWeight[4]",
        ),
        _ => return None,
    })
}

/// `x` clipped to [lo, hi] as NumPy's `clip` (NaN stays NaN).
fn clip(x: &str, lo: &str, hi: &str) -> String {
    format!("where({x} < {lo}, {lo}, where({x} > {hi}, {hi}, {x}))")
}

/// The b-tag SF's sources for the dataset's year
/// (`systematic_variations.weight_variations.sf_btag.<year>`).
pub fn btag_sources(cfg: &AnalysisConfig, ds: &Dataset) -> Result<Vec<String>, ConfigError> {
    let what = format!("weight 'sf_btag' (dataset {}, year {})", ds.name, ds.year);
    let path = format!(
        "systematic_variations.weight_variations.sf_btag.{}",
        ds.year
    );
    let list = param(cfg, &path, &what)?;
    let mut out = Vec::new();
    for item in list
        .as_seq()
        .map_err(|e| ConfigError::new(e.pos.clone(), format!("{what}: {path}: {}", e.message)))?
    {
        let s = item.as_text()?;
        if s.starts_with("JES") && s.contains("AK4") {
            return Err(item.error(format!(
                "{what}: '{s}' in {path}: the JES-varied b-tag SFs go with the JES shape \
                 variations, which cortado does not have yet"
            )));
        }
        out.push(s);
    }
    Ok(out)
}

struct Builder<'a> {
    cfg: &'a AnalysisConfig,
    ds: &'a Dataset,
    year: &'a str,
    what: String,
    pos: &'a Option<Pos>,
}

impl Builder<'_> {
    fn text(&self, path: &str) -> Result<String, ConfigError> {
        text(self.cfg, path, &self.what)
    }

    fn pileup(&self) -> Result<WeightKind, ConfigError> {
        let file_key = format!("pileupJSONfiles.{}.file", self.year);
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("pileupJSONfiles.{}.name", self.year))?;
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args: vec![Arg::Num("Pileup_nTrueInt".into()), Arg::Var],
            nominal: "nominal",
            sets: updown("up", "down"),
            only: None,
        })
    }

    /// MUO `(eta, pt, "nominal"/"systup"/"systdown")`, product over
    /// `muon_sf.collection`; |eta| for Run 2 and 2022, signed from 2023 on.
    fn muon(&self, key: &str, pt: &str) -> Result<WeightKind, ConfigError> {
        let base = "lepton_scale_factors.muon_sf";
        let coll = self.text(&format!("{base}.collection"))?;
        let signed = ["2023", "2024", "2025", "2026"]
            .iter()
            .any(|y| self.year.starts_with(y));
        let eta = if signed {
            format!("{coll}.eta")
        } else {
            format!("abs({coll}.eta)")
        };
        let file_key = format!("{base}.JSONfiles.{}.file", self.year);
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("{base}.sf_name.{}.{key}", self.year))?;
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args: vec![
                Arg::Num(eta),
                Arg::Num(pt.replace("{coll}", &coll)),
                Arg::Var,
            ],
            nominal: "nominal",
            sets: updown("systup", "systdown"),
            only: None,
        })
    }

    /// EGM `(era, "sf"/"sfup"/"sfdown", working point, etaSC, pt[, phi in
    /// 2023])`, product over `electron_sf.collection`, with etaSC = eta +
    /// deltaEtaSC. Reco: the working point by pt range (Run 2: below 20,
    /// from 20; Run 3: below 20, 20 to 75, from 75), an electron in none
    /// counting 1. ID: the working point of `object_preselection.Electron.id`.
    fn electron(&self, key: &str) -> Result<WeightKind, ConfigError> {
        let base = "lepton_scale_factors.electron_sf";
        let y = self.year;
        let coll = self.text(&format!("{base}.collection"))?;
        let era = self.text(&format!("{base}.era_mapping.{y}.{key}"))?;
        let file_key = format!("{base}.JSONfiles.{y}.files.{key}");
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("{base}.JSONfiles.{y}.name"))?;
        let pt = format!("{coll}.pt");
        let wp = if key == "reco" {
            let ranges: Vec<(&str, String)> = match y {
                "2016_PreVFP" | "2016_PostVFP" | "2017" | "2018" => vec![
                    ("pt_lt_20", format!("{pt} < 20")),
                    ("pt_gt_20", format!("{pt} >= 20")),
                ],
                "2022_preEE" | "2022_postEE" | "2023_preBPix" | "2023_postBPix" | "2024"
                | "2025" | "2026" => vec![
                    ("pt_lt_20", format!("{pt} < 20")),
                    ("pt_gt_20_lt_75", format!("({pt} >= 20) & ({pt} < 75)")),
                    ("pt_gt_75", format!("{pt} >= 75")),
                ],
                _ => {
                    return Err(ConfigError::new(
                        self.pos.clone(),
                        format!(
                            "{}: PocketCoffea has no electron reco SF for year {y}",
                            self.what
                        ),
                    ))
                }
            };
            let mut cases = Vec::new();
            for (range, cond) in ranges {
                cases.push((
                    self.text(&format!("{base}.JSONfiles.{y}.reco.{range}"))?,
                    cond,
                ));
            }
            Arg::Choice(cases)
        } else {
            let id = param(self.cfg, "object_preselection.Electron.id", &self.what)?;
            let id_key = match &id.value {
                Value::Map(_) => self.text(&format!("object_preselection.Electron.id.{y}"))?,
                _ => self.text("object_preselection.Electron.id")?,
            };
            Arg::Str(self.text(&format!("{base}.id.{id_key}"))?)
        };
        let mut args = vec![
            Arg::Str(era),
            Arg::Var,
            wp,
            Arg::Num(format!("{coll}.eta + {coll}.deltaEtaSC")),
            Arg::Num(pt),
        ];
        if y == "2023_preBPix" || y == "2023_postBPix" {
            args.push(Arg::Num(format!("{coll}.phi")));
        }
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args,
            nominal: "sf",
            sets: updown("sfup", "sfdown"),
            only: None,
        })
    }

    /// EGM trigger SF `trigger_sf.<year>` `(era, "sf"/"sfup"/"sfdown", path,
    /// etaSC, pt clipped to [25, 9999])`; etaSC is the collection's field
    /// `etaSC`, which the analysis defines (as in PocketCoffea).
    fn electron_trigger(&self) -> Result<WeightKind, ConfigError> {
        let base = "lepton_scale_factors.electron_sf";
        let y = self.year;
        let coll = self.text(&format!("{base}.collection"))?;
        let era = self.text(&format!("{base}.era_mapping.{y}.trigger"))?;
        let file_key = format!("{base}.trigger_sf.{y}.file");
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("{base}.trigger_sf.{y}.name"))?;
        let path = self.text(&format!("{base}.trigger_sf.{y}.path"))?;
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args: vec![
                Arg::Str(era),
                Arg::Var,
                Arg::Str(path),
                Arg::Num(format!("{coll}.etaSC")),
                Arg::Num(clip(&format!("{coll}.pt"), "25.0", "9999.0")),
            ],
            nominal: "sf",
            sets: updown("sfup", "sfdown"),
            only: None,
        })
    }

    /// BTV shape SF `btagSF.<year>` `(systematic, hadronFlavour, |eta|, pt,
    /// discriminant)`, product over `jet_collection.btag`; its sources vary
    /// `up_{s}`/`down_{s}` on c jets (cferr*) or on the other jets (the
    /// rest), the other jets keeping their central SF.
    fn btag(&self) -> Result<WeightKind, ConfigError> {
        let y = self.year;
        let coll = self.text("jet_scale_factors.jet_collection.btag")?;
        let file_key = format!("jet_scale_factors.btagSF.{y}.file");
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("jet_scale_factors.btagSF.{y}.name"))?;
        let discr = self.text(&format!("btagging.working_point.{y}.btagging_algorithm"))?;
        let sets = btag_sources(self.cfg, self.ds)?
            .into_iter()
            .map(|s| VariationSet {
                only: Some(src(&format!(
                    "{coll}.hadronFlavour {} 4",
                    if s.contains("cferr") { "==" } else { "!=" }
                ))),
                up: format!("up_{s}"),
                down: format!("down_{s}"),
                source: Some(s),
            })
            .collect();
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args: vec![
                Arg::Var,
                Arg::Num(format!("{coll}.hadronFlavour")),
                Arg::Num(format!("abs({coll}.eta)")),
                Arg::Num(format!("{coll}.pt")),
                Arg::Num(format!("{coll}.{discr}")),
            ],
            nominal: "central",
            sets,
            only: None,
        })
    }

    /// JME `PUJetID_eff` `(eta, pt, "nom"/"up"/"down", wp)` on the jets of
    /// `jet_collection.puId` with pt < maxpt, puId >= value and a GenJet
    /// (`object_preselection.Jet.puId`); the other jets count 1.
    fn jet_puid(&self) -> Result<WeightKind, ConfigError> {
        let y = self.year;
        let coll = self.text("jet_scale_factors.jet_collection.puId")?;
        let file_key = format!("jet_scale_factors.jet_puId.{y}.file");
        let file = self.text(&file_key)?;
        let corr = self.text(&format!("jet_scale_factors.jet_puId.{y}.name"))?;
        let cfg_key = "object_preselection.Jet.puId";
        for k in ["maxpt", "value"] {
            param(self.cfg, &format!("{cfg_key}.{k}"), &self.what)?.as_f64()?;
        }
        let wp = self.text(&format!("{cfg_key}.wp"))?;
        self.correction(Spec {
            file: (&file, &file_key),
            corr: &corr,
            args: vec![
                Arg::Num(format!("{coll}.eta")),
                Arg::Num(format!("{coll}.pt")),
                Arg::Var,
                Arg::Str(wp),
            ],
            nominal: "nom",
            sets: updown("up", "down"),
            only: Some(format!(
                "({coll}.pt < ${{{cfg_key}.maxpt}}) & ({coll}.puId >= ${{{cfg_key}.value}}) & \
                 ({coll}.genJetIdx >= 0)"
            )),
        })
    }

    /// The correction weight of `spec`: its arguments are matched to the
    /// correction's inputs by position.
    fn correction(&self, spec: Spec) -> Result<WeightKind, ConfigError> {
        let (file, file_key) = spec.file;
        let (what, pos) = (&self.what, self.pos);
        let set = cortado_correction::load(file).map_err(|e| {
            ConfigError::new(
                pos.clone(),
                format!(
                    "{what}: {e} (the file is the parameter {file_key}: set it in your parameter \
                     files to a local copy when /cvmfs is not mounted)"
                ),
            )
        })?;
        let c = set
            .get(spec.corr)
            .map_err(|e| ConfigError::new(pos.clone(), format!("{what}: {e}")))?;
        let names: Vec<String> = c.inputs().iter().map(|v| v.name.clone()).collect();
        if names.len() != spec.args.len() {
            return Err(ConfigError::new(
                pos.clone(),
                format!(
                    "{what}: correction '{}' of {file} has inputs ({}), PocketCoffea gives {}",
                    spec.corr,
                    names.join(", "),
                    spec.args.len()
                ),
            ));
        }
        let mut inputs = Vec::new();
        let mut var_input = None;
        for (n, a) in names.iter().zip(spec.args) {
            match a {
                Arg::Num(e) | Arg::Str(e) => inputs.push((n.clone(), CorrInputSrc::Value(src(&e)))),
                Arg::Choice(cases) => inputs.push((
                    n.clone(),
                    CorrInputSrc::Choice(cases.iter().map(|(v, c)| (v.clone(), src(c))).collect()),
                )),
                Arg::Var => var_input = Some(n.clone()),
            }
        }
        Ok(WeightKind::Correction(CorrectionWeight {
            file: file.into(),
            file_pos: pos.clone(),
            correction: spec.corr.to_string(),
            correction_pos: pos.clone(),
            inputs,
            only: spec.only.as_deref().map(src),
            variation: var_input.map(|input| VariationKeys {
                input,
                nominal: spec.nominal.into(),
                sets: spec.sets,
                pos: pos.clone(),
            }),
        }))
    }
}
