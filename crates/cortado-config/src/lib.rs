//! The analysis configuration: what the physicist writes.
//!
//! A YAML file (see `docs/configuration.md`) with PocketCoffea's Configurator
//! fields: `parameters`, `datasets` (fileset JSONs, filter, subsamples),
//! `workflow` (object definitions, counts, variables), `skim`,
//! `preselections`, `categories` (standard or cartesian), `weights`,
//! `custom_weights`, `variations`, `histograms` (HistConf/Axis, factories),
//! `columns` and `workflow_options`. Relative paths resolve against the
//! configuration file's folder. Loading checks the structure (unknown keys,
//! types, references between sections) and reports `file:line:col` with the
//! closest valid name; expressions are checked later against the input files.

pub mod calibrators;
pub mod datasets;
mod files;
pub mod histograms;
mod load;
pub mod run_options;
mod weights;

pub use datasets::Dataset;
pub use files::read_json;
pub use histograms::{AxisDef, Bins, HistDef};
pub use load::{from_node, from_node_with, load, load_with};

use std::collections::BTreeMap;
use std::path::PathBuf;

use cortado_params::Parameters;
use cortado_yaml::{Node, Pos};

/// An expression as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprSrc {
    /// The text.
    pub text: String,
    /// Its position in the configuration.
    pub pos: Option<Pos>,
}

/// A cut: a named boolean expression, with optional parameters (`params.x`).
#[derive(Clone, Debug, PartialEq)]
pub struct CutDef {
    /// Name (for dumps and messages).
    pub name: String,
    /// The boolean expression.
    pub expr: ExprSrc,
    /// Parameters of the cut.
    pub params: Option<Node>,
}

/// When a definition is evaluated (PocketCoffea's processor hooks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// `apply_object_preselection`
    Objects,
    /// `count_objects`
    Counts,
    /// `define_common_variables_before_presel`
    BeforePresel,
    /// `define_common_variables_after_presel`
    AfterPresel,
}

impl Stage {
    /// The stages in processing order, after the skim (the preselection
    /// runs just before `AfterPresel`).
    pub const AFTER_SKIM: [Stage; 4] = [
        Stage::Objects,
        Stage::Counts,
        Stage::BeforePresel,
        Stage::AfterPresel,
    ];
}

/// A named value defined by the analysis (`MuonGood`, `nMuonGood`, `Electron.etaSC`).
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// Name; `Coll.field` adds a field to a collection.
    pub name: String,
    /// The expression.
    pub expr: ExprSrc,
    /// When it is evaluated.
    pub stage: Stage,
}

/// One dimension of a cartesian categorisation.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiCut {
    /// Name of the dimension.
    pub name: String,
    /// One cut (and its bin name) per bin.
    pub bins: Vec<(String, CutDef)>,
}

/// The categories.
#[derive(Clone, Debug, PartialEq)]
pub enum Categories {
    /// Each category is the AND of its cuts.
    Standard(Vec<(String, Vec<CutDef>)>),
    /// Common categories, then every combination of the multicuts' bins
    /// (`"<bin1>_<bin2>"`).
    Cartesian {
        /// The dimensions.
        multicuts: Vec<MultiCut>,
        /// Categories listed before the products.
        common: Vec<(String, Vec<CutDef>)>,
    },
}

impl Categories {
    /// Every category with its cuts, in PocketCoffea's order.
    pub fn expanded(&self) -> Vec<(String, Vec<CutDef>)> {
        match self {
            Categories::Standard(v) => v.clone(),
            Categories::Cartesian { multicuts, common } => {
                let mut out = common.clone();
                let mut combos: Vec<(Vec<String>, Vec<CutDef>)> = vec![(Vec::new(), Vec::new())];
                for mc in multicuts {
                    let mut next = Vec::new();
                    for (names, cuts) in &combos {
                        for (bin, cut) in &mc.bins {
                            let mut n = names.clone();
                            n.push(bin.clone());
                            let mut c = cuts.clone();
                            c.push(cut.clone());
                            next.push((n, c));
                        }
                    }
                    combos = next;
                }
                out.extend(combos.into_iter().map(|(n, c)| (n.join("_"), c)));
                out
            }
        }
    }
}

/// Weights applied everywhere (`inclusive`) or in some categories (`bycategory`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightSet {
    /// Applied to every event.
    pub inclusive: Vec<(String, Option<Pos>)>,
    /// Applied in the named category only.
    pub bycategory: BTreeMap<String, Vec<(String, Option<Pos>)>>,
}

/// PocketCoffea's weights configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightsConfig {
    /// For every sample.
    pub common: WeightSet,
    /// For one sample (or `sample__subsample`).
    pub bysample: BTreeMap<String, WeightSet>,
}

/// A weight defined in the configuration (PocketCoffea's `WeightLambda`).
#[derive(Clone, Debug, PartialEq)]
pub struct CustomWeight {
    /// Name.
    pub name: String,
    /// How it is computed.
    pub kind: WeightKind,
    /// Only applied to simulation.
    pub is_mc_only: bool,
}

impl CustomWeight {
    /// Whether it has up and down variations.
    pub fn has_variations(&self) -> bool {
        match &self.kind {
            WeightKind::Expr { up, .. } => up.is_some(),
            WeightKind::Correction(c) => c.variation.is_some(),
        }
    }

    /// The stems of its variations' names (`{stem}Up`, `{stem}Down`): the
    /// weight's name, or `{name}_{source}` for each named source of a
    /// correction weight (PocketCoffea's `WeightDataMultiVariation`).
    pub fn variation_stems(&self) -> Vec<String> {
        match &self.kind {
            WeightKind::Expr { up: Some(_), .. } => vec![self.name.clone()],
            WeightKind::Expr { .. } => Vec::new(),
            WeightKind::Correction(c) => c.variation_stems(&self.name),
        }
    }
}

/// How a weight is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum WeightKind {
    /// Per-event expressions: nominal and optional up/down values.
    Expr {
        /// Nominal value.
        nominal: ExprSrc,
        /// Up variation (with `down`).
        up: Option<ExprSrc>,
        /// Down variation.
        down: Option<ExprSrc>,
    },
    /// A correctionlib correction evaluated per event, or per object with the
    /// product over each event's objects.
    Correction(CorrectionWeight),
}

/// A weight from a correctionlib correction.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectionWeight {
    /// The correction file (plain or gzipped JSON).
    pub file: PathBuf,
    /// Where the file was named.
    pub file_pos: Option<Pos>,
    /// The correction's name in the file.
    pub correction: String,
    /// Where the name was written.
    pub correction_pos: Option<Pos>,
    /// The correction's inputs by name.
    pub inputs: Vec<(String, CorrInputSrc)>,
    /// The rows (events, or objects of the inputs' collection) the weight
    /// applies to (`where:`); the others count 1 and are not evaluated.
    pub only: Option<ExprSrc>,
    /// The string input that selects nominal and the variations.
    pub variation: Option<VariationKeys>,
}

impl CorrectionWeight {
    /// Every text it gives as an input's value (expressions, and the fixed
    /// values of string inputs), condition of a chosen string, and `where`.
    pub fn exprs(&self) -> Vec<&ExprSrc> {
        let mut out: Vec<&ExprSrc> = Vec::new();
        for (_, i) in &self.inputs {
            match i {
                CorrInputSrc::Value(e) => out.push(e),
                CorrInputSrc::Choice(cases) => out.extend(cases.iter().map(|(_, c)| c)),
            }
        }
        out.extend(self.only.iter());
        let sets = self.variation.iter().flat_map(|v| &v.sets);
        out.extend(sets.filter_map(|s| s.only.as_ref()));
        out
    }

    /// The stems of the variations' names of weight `name`
    /// ([`CustomWeight::variation_stems`]).
    pub fn variation_stems(&self, name: &str) -> Vec<String> {
        self.variation
            .iter()
            .flat_map(|v| &v.sets)
            .map(|s| match &s.source {
                Some(src) => format!("{name}_{src}"),
                None => name.to_string(),
            })
            .collect()
    }
}

/// An input of a correction weight.
#[derive(Clone, Debug, PartialEq)]
pub enum CorrInputSrc {
    /// A number as an expression (per event, or per object of one
    /// collection), or the text itself for a string input.
    Value(ExprSrc),
    /// A string input chosen per row: the first value whose condition (a
    /// boolean expression) holds; a row where none holds counts 1, as
    /// PocketCoffea's electron reco SF by pt range.
    Choice(Vec<(String, ExprSrc)>),
}

/// The values of a correction's string input for the nominal weight and its
/// variations (`nominal`/`systup`/`systdown`, `sf`/`sfup`/`sfdown`,
/// `central`/`up_hf`/`down_hf`).
#[derive(Clone, Debug, PartialEq)]
pub struct VariationKeys {
    /// The input's name.
    pub input: String,
    /// Its value for the nominal weight.
    pub nominal: String,
    /// The up/down pairs: one without a source (`{weight}Up`/`Down`), or
    /// named sources (`{weight}_{source}Up`/`Down`).
    pub sets: Vec<VariationSet>,
    /// Where it was written.
    pub pos: Option<Pos>,
}

/// One up/down pair of a correction weight's variations.
#[derive(Clone, Debug, PartialEq)]
pub struct VariationSet {
    /// The source (`hf`, `cferr1`), `None` for the weight's only pair.
    pub source: Option<String>,
    /// The input's value for the up variation.
    pub up: String,
    /// For the down variation.
    pub down: String,
    /// The rows where the varied values apply (`where:`); the others keep
    /// their nominal value (b-tag: `cferr*` only on c jets).
    pub only: Option<ExprSrc>,
}

/// A stored per-event column set (PocketCoffea's `ColOut`).
#[derive(Clone, Debug, PartialEq)]
pub struct ColOut {
    /// Collection (or `events`).
    pub collection: String,
    /// Fields.
    pub columns: Vec<String>,
    /// Flatten jagged values (with `<coll>_N` counts when `store_size`).
    pub flatten: bool,
    /// Store the number of objects per event.
    pub store_size: bool,
    /// Replace missing values.
    pub fill_none: bool,
    /// The value used for missing values.
    pub fill_value: f64,
    /// First object kept.
    pub pos_start: Option<i64>,
    /// One past the last object kept.
    pub pos_end: Option<i64>,
}

/// Column sets for all categories, and per category.
pub type ColumnSet = (Vec<ColOut>, BTreeMap<String, Vec<ColOut>>);

/// Columns to store: common and by sample, inclusive and by category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnsConfig {
    /// For every sample.
    pub common: ColumnSet,
    /// Per sample (or subsample).
    pub bysample: BTreeMap<String, ColumnSet>,
}

/// The whole analysis configuration, loaded and checked for structure.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// The configuration file.
    pub path: PathBuf,
    /// Its folder (relative paths resolve against it).
    pub dir: PathBuf,
    /// The resolved parameters.
    pub params: Parameters,
    /// The parameter files merged over the defaults.
    pub params_files: Vec<PathBuf>,
    /// The datasets selected by the filter, in fileset order.
    pub datasets: Vec<Dataset>,
    /// Subsamples by sample: name and cuts (ANDed).
    pub subsamples: BTreeMap<String, Vec<(String, Vec<CutDef>)>>,
    /// Definitions of the workflow, in evaluation order.
    pub definitions: Vec<Definition>,
    /// Skim cuts.
    pub skim: Vec<CutDef>,
    /// Preselection cuts.
    pub preselections: Vec<CutDef>,
    /// Categories.
    pub categories: Categories,
    /// Weights.
    pub weights: WeightsConfig,
    /// Weights defined by the configuration.
    pub custom_weights: BTreeMap<String, CustomWeight>,
    /// Weight variations (same shape as `weights`).
    pub weight_variations: WeightsConfig,
    /// The calibrators run on every chunk after the skim (`calibrators:`),
    /// in order, by PocketCoffea's name (`jet_calibration`,
    /// `met_type1_calibration`); empty: none.
    pub calibrators: Vec<String>,
    /// Shape variations (`variations.shape`): the calibrators whose
    /// variations run, for every sample or some, inclusively or in some
    /// categories (same shape as `weights`).
    pub shape_variations: WeightsConfig,
    /// Histograms, factories expanded, in configuration order.
    pub histograms: Vec<HistDef>,
    /// Stored columns.
    pub columns: ColumnsConfig,
    /// Free-form workflow options.
    pub workflow_options: Node,
    /// The configuration as written (for `config.json`).
    pub raw: Node,
}

/// The weights cortado knows without configuration: PocketCoffea's common
/// weights (those from correction files read their files and correction names
/// from the parameters, as PocketCoffea's do), and `sf_L1prefiring`,
/// `sf_qcd_renorm_scale`, `sf_qcd_factor_scale` (defined by PocketCoffea
/// outside its list of common weights).
pub const BUILTIN_WEIGHTS: &[&str] = &[
    "genWeight",
    "signOf_genWeight",
    "lumi",
    "XS",
    "pileup",
    "sf_mu_id",
    "sf_mu_iso",
    "sf_mu_trigger",
    "sf_ele_reco",
    "sf_ele_id",
    "sf_ele_trigger",
    "sf_btag",
    "sf_jet_puId",
    "sf_L1prefiring",
    "sf_partonshower_isr",
    "sf_partonshower_fsr",
    "sf_qcd_renorm_scale",
    "sf_qcd_factor_scale",
];

/// The built-in weights with variations (all but genWeight,
/// signOf_genWeight, lumi and XS): `{name}Up`/`Down`, and for `sf_btag`
/// `sf_btag_{source}Up`/`Down` for each source of the parameters'
/// `systematic_variations.weight_variations.sf_btag.<year>`.
pub const BUILTIN_WITH_VARIATIONS: &[&str] = &[
    "pileup",
    "sf_mu_id",
    "sf_mu_iso",
    "sf_mu_trigger",
    "sf_ele_reco",
    "sf_ele_id",
    "sf_ele_trigger",
    "sf_btag",
    "sf_jet_puId",
    "sf_L1prefiring",
    "sf_partonshower_isr",
    "sf_partonshower_fsr",
    "sf_qcd_renorm_scale",
    "sf_qcd_factor_scale",
];

/// PocketCoffea's common weights that cortado does not have yet: named in
/// a configuration, they are an error that says so.
pub const NOT_YET_WEIGHTS: &[&str] = &[
    "sf_ele_promptMVA",
    "sf_mu_promptMVA",
    "sf_pho_pxseed",
    "sf_pho_id",
    "sf_btag_calib",
    "sf_ctag",
    "sf_ctag_calib",
];
