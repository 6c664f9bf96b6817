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

pub mod datasets;
mod files;
pub mod histograms;
mod load;
pub mod run_options;
mod weights;

pub use datasets::Dataset;
pub use histograms::{AxisDef, Bins, HistDef};
pub use load::{from_node, load};

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
    /// Whether it has up and down variations (`<name>Up`/`<name>Down`).
    pub fn has_variations(&self) -> bool {
        match &self.kind {
            WeightKind::Expr { up, .. } => up.is_some(),
            WeightKind::Correction(c) => c.variation.is_some(),
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
    /// The correction's inputs by name: expressions for numeric inputs
    /// (per event, or per object of one collection), the text itself for
    /// string inputs.
    pub inputs: Vec<(String, ExprSrc)>,
    /// The string input that selects nominal, up and down.
    pub variation: Option<VariationKeys>,
}

/// The values of a correction's string input for the nominal weight and its
/// up and down variations (`nominal`/`systup`/`systdown`, `sf`/`sfup`/`sfdown`).
#[derive(Clone, Debug, PartialEq)]
pub struct VariationKeys {
    /// The input's name.
    pub input: String,
    /// Its value for the nominal weight.
    pub nominal: String,
    /// For the up variation.
    pub up: String,
    /// For the down variation.
    pub down: String,
    /// Where it was written.
    pub pos: Option<Pos>,
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
/// from the parameters, as PocketCoffea's do).
pub const BUILTIN_WEIGHTS: &[&str] = &[
    "genWeight",
    "signOf_genWeight",
    "lumi",
    "XS",
    "pileup",
    "sf_mu_id",
    "sf_mu_iso",
    "sf_mu_trigger",
];

/// The built-in weights with up and down variations.
pub const BUILTIN_WITH_VARIATIONS: &[&str] = &["pileup", "sf_mu_id", "sf_mu_iso", "sf_mu_trigger"];

/// PocketCoffea's common weights that cortado does not have yet: named in
/// a configuration, they are an error that says so.
pub const NOT_YET_WEIGHTS: &[&str] = &[
    "sf_ele_reco",
    "sf_ele_id",
    "sf_ele_trigger",
    "sf_ele_promptMVA",
    "sf_mu_promptMVA",
    "sf_pho_pxseed",
    "sf_pho_id",
    "sf_btag",
    "sf_btag_calib",
    "sf_ctag",
    "sf_ctag_calib",
    "sf_jet_puId",
    "sf_L1prefiring",
    "sf_partonshower_isr",
    "sf_partonshower_fsr",
    "sf_qcd_renorm_scale",
    "sf_qcd_factor_scale",
];
