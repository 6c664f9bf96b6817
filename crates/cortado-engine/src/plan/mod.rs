//! Planning: the configuration compiled for one dataset, before any event is
//! read. Every expression is type-checked against the branches of the
//! dataset's first file; the plan knows exactly which branches to read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use cortado_config::{
    AnalysisConfig, AxisDef, Bins, ColOut, CutDef, Dataset, ExprSrc, HistDef, Stage, WeightSet,
};
use cortado_expr::check::{CheckError, Checker, Func, Meta, TExpr, TKind};
use cortado_expr::parser::{parse, strip_parens};
use cortado_expr::types::{Prim, Schema, Ty};
use cortado_hist::{Axis, AxisKind, Transform};
use cortado_root::RootFile;
use cortado_yaml::{ConfigError, Node};

use crate::calib::CalibPlan;

mod branches;
mod hists;
mod weights;

use crate::ext::{Extensions, Hook, HookDef};
use branches::required_branches;
pub(crate) use hists::hist_axis;
use hists::{column_plans, hist_plan};
pub(crate) use weights::add_variations;
use weights::{weight_plan, weight_plan_only};

/// A definition compiled: a named value, or a field added to a collection.
#[derive(Clone, Debug)]
pub struct PlannedDef {
    /// Name (or collection, for a field).
    pub name: String,
    /// For `Coll.field` definitions, the field.
    pub field: Option<String>,
    /// When it is evaluated.
    pub stage: Stage,
    /// The expression.
    pub expr: TExpr,
}

/// One weight factor.
#[derive(Clone, Debug)]
pub enum WeightTerm {
    /// `genWeight`
    GenWeight,
    /// `sign(genWeight)`
    SignOfGenWeight,
    /// A constant (lumi, XS).
    Const(String, f64),
    /// A correctionlib correction (PocketCoffea's common weights from
    /// correction files, and the configuration's correction weights).
    Correction(Arc<crate::weights::CorrectionTerm>),
    /// A weight from per-event expressions: nominal and optional up/down.
    Custom {
        /// Name.
        name: String,
        /// Nominal.
        nominal: Box<TExpr>,
        /// Up and down.
        updown: Option<Box<(TExpr, TExpr)>>,
        /// A built-in weight whose values may be missing (`PSWeight[2]`
        /// where an event has fewer entries): a missing value is an error,
        /// as in PocketCoffea. A configuration's weight gives a value for
        /// every event (checked when planning).
        builtin: bool,
    },
}

impl WeightTerm {
    /// The weight's name.
    pub fn name(&self) -> &str {
        match self {
            WeightTerm::GenWeight => "genWeight",
            WeightTerm::SignOfGenWeight => "signOf_genWeight",
            WeightTerm::Const(n, _) => n,
            WeightTerm::Custom { name, .. } => name,
            WeightTerm::Correction(c) => &c.name,
        }
    }
}

/// Weights of a sample (or subsample): applied everywhere and per category.
#[derive(Clone, Debug, Default)]
pub struct WeightPlan {
    /// Factors for every event, in configuration order.
    pub inclusive: Vec<WeightTerm>,
    /// Extra factors per category.
    pub bycategory: BTreeMap<String, Vec<WeightTerm>>,
    /// The variations by name (`pileupUp`, `sf_btag_hfDown`).
    pub variations: BTreeMap<String, VariationRef>,
}

/// What a weight variation changes.
#[derive(Clone, Debug, PartialEq)]
pub struct VariationRef {
    /// The weight.
    pub weight: String,
    /// The stem of the variation's name: the weight's name, or
    /// `{weight}_{source}` for a weight with several sources.
    pub stem: String,
    /// Up (or down).
    pub up: bool,
    /// The categories where it applies (`None`: all).
    pub categories: Option<BTreeSet<String>>,
}

/// A histogram compiled for a dataset.
#[derive(Clone, Debug)]
pub struct HistPlan {
    /// The definition.
    pub def: HistDef,
    /// Axes and the expressions filling them.
    pub axes: Vec<(Axis, Option<TExpr>)>,
    /// Categories it is filled in (sorted).
    pub categories: Vec<String>,
    /// Variations (simulation), `nominal` included; `None` for data.
    pub variations: Option<Vec<String>>,
}

/// One stored column.
#[derive(Clone, Debug)]
pub struct ColumnPlan {
    /// Output name (`ll_mass`, `MuonGood_pt`, `MuonGood_N`).
    pub name: String,
    /// Values.
    pub expr: TExpr,
    /// Store per-event counts instead of values.
    pub counts: bool,
    /// The column set.
    pub colout: ColOut,
}

/// Everything needed to process the chunks of one dataset.
#[derive(Clone, Debug)]
pub struct DatasetPlan {
    /// The dataset.
    pub dataset: Dataset,
    /// Facts used by built-ins.
    pub meta: Meta,
    /// The schema (input branches plus definitions).
    pub schema: Arc<Schema>,
    /// Skim cuts.
    pub skim: Vec<(String, TExpr)>,
    /// Definitions in evaluation order.
    pub defs: Vec<PlannedDef>,
    /// Preselection cuts.
    pub presel: Vec<(String, TExpr)>,
    /// Categories in configuration order, with their cuts.
    pub categories: Vec<(String, Vec<TExpr>)>,
    /// Subsamples (`sample__sub`) with their cuts.
    pub subsamples: Vec<(String, Vec<TExpr>)>,
    /// Weights of the sample.
    pub weights: WeightPlan,
    /// Extra weights per subsample.
    pub subsample_weights: BTreeMap<String, WeightPlan>,
    /// Histograms.
    pub hists: Vec<HistPlan>,
    /// Columns per category (all categories when the key is `*`).
    pub columns: BTreeMap<String, Vec<ColumnPlan>>,
    /// Columns per subsample and category.
    pub subsample_columns: BTreeMap<String, BTreeMap<String, Vec<ColumnPlan>>>,
    /// The branches to read.
    pub branches: Vec<String>,
    /// Integrated luminosity (pb⁻¹) of the year.
    pub lumi: f64,
    /// The calibrators and shape variations (`None`: no calibrators).
    pub calib: Option<Arc<CalibPlan>>,
    /// What a shape variation can change (definitions reading a calibrated
    /// collection or the MET, maybe through other definitions; cuts,
    /// weights and histograms reading those): the rest is evaluated once
    /// per chunk and shared by every pass.
    pub varies: crate::calib::deps::Varies,
}

impl DatasetPlan {
    /// Whether `name` is one of this dataset's shape variations.
    pub fn is_shape_variation(&self, name: &str) -> bool {
        self.calib
            .as_ref()
            .is_some_and(|c| c.variations.iter().any(|v| v.name == name))
    }
}

/// An expression error located in the configuration: the file, line and
/// column of the offending part (also inside folded or multi-line scalars),
/// and the line with a caret under it.
fn locate(e: CheckError, src: &ExprSrc, what: &str) -> ConfigError {
    let spot = src
        .pos
        .as_ref()
        .and_then(|p| cortado_yaml::locate_in_scalar(p, &src.text, e.span.start));
    let start = e.span.start.min(src.text.len());
    let end = e.span.end.clamp(start, src.text.len());
    let width = src.text[start..end].chars().count().max(1);
    let (pos, excerpt) = match spot {
        Some(s) => {
            let line = s.line_text.trim_start();
            let indent = s.line_text.chars().count() - line.chars().count();
            let col = (s.pos.col as usize).saturating_sub(1 + indent);
            let width = width.min(line.chars().count().saturating_sub(col)).max(1);
            let excerpt = format!("\n    {line}\n    {}{}", " ".repeat(col), "^".repeat(width));
            (Some(s.pos), excerpt)
        }
        None => {
            // a scalar not found in its file (or text made from it): the
            // expression on one line, the position of the scalar
            let mut pos = src.pos.clone();
            if let Some(p) = pos.as_mut() {
                if !src.text.contains('\n') {
                    p.col += e.span.start as u32;
                }
            }
            let excerpt = format!(
                "\n    {}\n    {}{}",
                src.text.replace('\n', " "),
                " ".repeat(src.text[..start].chars().count()),
                "^".repeat(width)
            );
            (pos, excerpt)
        }
    };
    let mut ce = ConfigError::new(pos, format!("{what}: {}", e.message));
    if let Some(h) = e.hint {
        ce.message = format!("{} ({h})", ce.message);
    }
    ce.message.push_str(&excerpt);
    ce
}

struct Compiler<'a> {
    cfg: &'a AnalysisConfig,
    schema: Schema,
    meta: Meta,
    ext: &'a Extensions,
}

impl<'a> Compiler<'a> {
    fn check(
        &mut self,
        src: &ExprSrc,
        cut_params: Option<&Node>,
        what: &str,
    ) -> Result<TExpr, ConfigError> {
        let ast = parse(&src.text).map_err(|e| {
            locate(
                CheckError {
                    message: e.message,
                    span: e.span,
                    hint: None,
                },
                src,
                what,
            )
        })?;
        let ast = strip_parens(ast);
        let mut ck = Checker {
            schema: &mut self.schema,
            params: Some(self.cfg.params.root()),
            cut_params,
            meta: &self.meta,
            registry: Some(&self.ext.functions),
        };
        ck.check(&ast).map_err(|e| locate(e, src, what))
    }

    fn check_text(
        &mut self,
        text: &str,
        pos: Option<&cortado_yaml::Pos>,
        what: &str,
    ) -> Result<TExpr, ConfigError> {
        self.check(
            &ExprSrc {
                text: text.to_string(),
                pos: pos.cloned(),
            },
            None,
            what,
        )
    }

    fn cut(&mut self, c: &CutDef, what: &str) -> Result<TExpr, ConfigError> {
        let t = self.check(&c.expr, c.params.as_ref(), &format!("{what} '{}'", c.name))?;
        match t.ty {
            Ty::Lit(Prim::Bool) | Ty::Event(Prim::Bool) | Ty::Opt(Prim::Bool) => Ok(t),
            ref other => Err(locate(
                CheckError::new(
                    format!(
                        "a cut must give one boolean per event, this gives {}",
                        self.schema.describe(other)
                    ),
                    t.span,
                ),
                &c.expr,
                &format!("{what} '{}'", c.name),
            )),
        }
    }
}

/// The branches of a tree as the schema sees them.
pub fn tree_schema(file: &str, tree: &str) -> Result<Schema, String> {
    let f = RootFile::open_shared(file).map_err(|e| e.to_string())?;
    let t = f.tree(tree).map_err(|e| e.to_string())?;
    let mut branches = Vec::new();
    for b in t.branches() {
        let Ok(shape) = t.shape(b) else { continue };
        let counter = if shape.jagged {
            t.count_branch(b).map(|c| c.name.clone())
        } else {
            None
        };
        if shape.jagged && counter.is_none() {
            continue;
        }
        if !shape.jagged && shape.len > 1 {
            continue; // fixed-size arrays are not part of NanoAOD's schema
        }
        branches.push((b.name.clone(), Prim::from_dtype(shape.dtype), counter));
    }
    Ok(Schema::from_branches(&branches))
}

/// Compiles the configuration for one dataset.
pub fn plan_dataset(
    cfg: &AnalysisConfig,
    ds: &Dataset,
    ext: &Extensions,
) -> Result<DatasetPlan, ConfigError> {
    if ds.files.is_empty() {
        return Err(ConfigError::new(
            ds.pos.clone(),
            format!("dataset {} has no files", ds.name),
        ));
    }
    // The schema of the first file that can be read (a bad file is reported,
    // or skipped, when its chunks are made).
    let mut first_error = None;
    let mut schema = None;
    let mut first = "";
    for f in &ds.files {
        match tree_schema(f, "Events") {
            Ok(s) => {
                schema = Some(s);
                first = f;
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let schema = schema.ok_or_else(|| {
        ConfigError::new(
            ds.pos.clone(),
            format!(
                "dataset {}: no file can be read: {}",
                ds.name,
                first_error.unwrap_or_default()
            ),
        )
    })?;
    let meta = Meta {
        year: ds.year.clone(),
        is_mc: ds.is_mc,
        primary_dataset: ds.primary_dataset.clone(),
        sample: ds.sample.clone(),
    };
    let mut c = Compiler {
        cfg,
        schema,
        meta,
        ext,
    };
    let raw_schema = c.schema.clone();
    let ctx = |what: &str| format!("{what} (dataset {})", ds.name);

    let mut defs = Vec::new();
    let mut presel = Vec::new();
    // Names defined by the Rust workflow, visible after their hook.
    let hook_defs = ext.workflow.defines(&mut c.schema);
    let declare_hook = |c: &mut Compiler<'_>, hooks: &[Hook]| {
        for d in &hook_defs {
            if hooks.contains(&d.hook) {
                if let Ty::Coll(id) = d.ty {
                    c.schema.colls[id].name = d.name.clone();
                }
                c.schema.names.insert(d.name.clone(), d.ty.clone());
            }
        }
    };
    declare_hook(&mut c, &[Hook::ProcessExtraBeforeSkim]);
    let mut skim = Vec::new();
    for cut in &cfg.skim {
        skim.push((cut.name.clone(), c.cut(cut, &ctx("skim cut"))?));
    }
    // the calibrators run after the skim: their fields (float64) are seen
    // by every expression after it
    let mut calib = crate::calib::plan_calibration(cfg, ds, &mut c.schema, ext)?;
    declare_hook(&mut c, &[Hook::ProcessExtraAfterSkim]);
    for stage in Stage::AFTER_SKIM {
        if stage == Stage::AfterPresel {
            for cut in &cfg.preselections {
                presel.push((cut.name.clone(), c.cut(cut, &ctx("preselection cut"))?));
            }
        }
        for d in cfg.definitions.iter().filter(|d| d.stage == stage) {
            defs.push(compile_definition(&mut c, d, &ctx)?);
        }
        declare_hook(&mut c, Hook::after_stage(stage));
    }
    let mut categories = Vec::new();
    for (name, cuts) in cfg.categories.expanded() {
        let mut v = Vec::new();
        for cut in &cuts {
            v.push(c.cut(cut, &ctx(&format!("category '{name}'")))?);
        }
        categories.push((name, v));
    }
    let mut subsamples = Vec::new();
    if let Some(subs) = cfg.subsamples.get(&ds.sample) {
        for (name, cuts) in subs {
            let mut v = Vec::new();
            for cut in cuts {
                v.push(c.cut(cut, &ctx(&format!("subsample '{name}'")))?);
            }
            subsamples.push((format!("{}__{name}", ds.sample), v));
        }
    }

    // ---- weights
    let lumi = cfg
        .params
        .require(&format!("lumi.picobarns.{}.tot", ds.year))
        .and_then(|n| n.as_f64())
        .map_err(|e| e.context(format!("dataset {}", ds.name)))?;
    let mut weights = weight_plan(&mut c, cfg, ds, &ds.sample, lumi)?;
    let mut subsample_weights = BTreeMap::new();
    for (sub, _) in &subsamples {
        if cfg.weights.bysample.contains_key(sub) {
            subsample_weights.insert(sub.clone(), weight_plan_only(&mut c, cfg, ds, sub, lumi)?);
        }
    }
    weights::check_expression_weights(&mut c, cfg, ds)?;

    // ---- histograms
    let cat_names: Vec<String> = categories.iter().map(|(n, _)| n.clone()).collect();
    let mut hists = Vec::new();
    for h in &cfg.histograms {
        if h.only_samples
            .as_ref()
            .is_some_and(|s| !s.contains(&ds.sample))
            || h.exclude_samples
                .as_ref()
                .is_some_and(|s| s.contains(&ds.sample))
        {
            continue;
        }
        if h.metadata_hist {
            continue;
        }
        hists.push(hist_plan(
            &mut c,
            h,
            &cat_names,
            &weights,
            calib.as_ref(),
            ds,
        )?);
    }

    // ---- columns
    let mut columns = BTreeMap::new();
    let add_cols = |c: &mut Compiler<'_>,
                    target: &mut BTreeMap<String, Vec<ColumnPlan>>,
                    key: &str,
                    list: &[ColOut]|
     -> Result<(), ConfigError> {
        for co in list {
            let plans = column_plans(c, co)?;
            target.entry(key.to_string()).or_default().extend(plans);
        }
        Ok(())
    };
    add_cols(&mut c, &mut columns, "*", &cfg.columns.common.0)?;
    for (cat, list) in &cfg.columns.common.1 {
        add_cols(&mut c, &mut columns, cat, list)?;
    }
    if let Some((inc, by)) = cfg.columns.bysample.get(&ds.sample) {
        add_cols(&mut c, &mut columns, "*", inc)?;
        for (cat, list) in by {
            add_cols(&mut c, &mut columns, cat, list)?;
        }
    }
    let mut subsample_columns = BTreeMap::new();
    for (sub, _) in &subsamples {
        if let Some((inc, by)) = cfg.columns.bysample.get(sub) {
            let mut m = BTreeMap::new();
            add_cols(&mut c, &mut m, "*", inc)?;
            for (cat, list) in by {
                add_cols(&mut c, &mut m, cat, list)?;
            }
            subsample_columns.insert(sub.clone(), m);
        }
    }

    // ---- the branches to read
    let mut exprs: Vec<&TExpr> = Vec::new();
    exprs.extend(presel.iter().map(|(_, t)| t));
    exprs.extend(categories.iter().flat_map(|(_, v)| v.iter()));
    exprs.extend(subsamples.iter().flat_map(|(_, v)| v.iter()));
    exprs.extend(
        hists
            .iter()
            .flat_map(|h| h.axes.iter().filter_map(|(_, t)| t.as_ref())),
    );
    exprs.extend(columns.values().flatten().map(|c| &c.expr));
    exprs.extend(
        subsample_columns
            .values()
            .flat_map(|m| m.values().flatten())
            .map(|c| &c.expr),
    );
    let weight_exprs: Vec<TExpr> = std::iter::once(&weights)
        .chain(subsample_weights.values())
        .flat_map(|w| w.inclusive.iter().chain(w.bycategory.values().flatten()))
        .flat_map(|t| match t {
            WeightTerm::Custom {
                nominal, updown, ..
            } => {
                let mut v = vec![(**nominal).clone()];
                if let Some(ud) = updown {
                    v.push(ud.0.clone());
                    v.push(ud.1.clone());
                }
                v
            }
            WeightTerm::Correction(c) => c.exprs().into_iter().cloned().collect(),
            _ => Vec::new(),
        })
        .collect();
    exprs.extend(weight_exprs.iter());
    let skim_exprs: Vec<&TExpr> = skim.iter().map(|(_, t)| t).collect();
    let mut branches = required_branches(&defs, &skim_exprs, &exprs, &raw_schema, &hook_defs);
    branches.extend(ext.workflow.branches());
    if ds.is_mc {
        branches.insert("genWeight".to_string());
    }
    let mut varies = crate::calib::deps::Varies::all(defs.len(), hists.len());
    if let Some(cp) = calib.as_mut() {
        let before: Vec<String> = cp.variations.iter().map(|v| v.name.clone()).collect();
        crate::calib::finish(cp, &mut branches, &raw_schema, ds)?;
        if let Some(v) = cp
            .variations
            .iter()
            .find(|v| weights.variations.contains_key(&v.name))
        {
            return Err(ConfigError::new(
                ds.pos.clone(),
                format!(
                    "dataset {}: calibrator '{}' has a shape variation '{}', which is also a \
                     weight variation's name",
                    ds.name, v.calibrator, v.name
                ),
            ));
        }
        // the variations of collections the analysis does not read are not run
        let dropped: BTreeSet<&String> = before
            .iter()
            .filter(|n| !cp.variations.iter().any(|v| &v.name == *n))
            .collect();
        for h in &mut hists {
            if let Some(v) = h.variations.as_mut() {
                v.retain(|name| !dropped.contains(name));
            }
        }
        let btag_coll = cfg
            .params
            .get("jet_scale_factors.jet_collection.btag")
            .and_then(|n| n.as_text().ok())
            .unwrap_or_else(|| "JetGood".into());
        let mut non_c =
            || c.check_text(&format!("{btag_coll}.hadronFlavour != 4"), None, "sf_btag");
        crate::calib::btag::add_jes_nominals(&mut weights, cp, &mut non_c)?;
        for wp in subsample_weights.values_mut() {
            crate::calib::btag::add_jes_nominals(wp, cp, &mut non_c)?;
        }
        crate::calib::deps::check_raw_branches(
            cp,
            &raw_schema,
            defs.iter()
                .map(|d| (format!("definition '{}'", d.name), &d.expr))
                .chain(
                    presel
                        .iter()
                        .map(|(n, e)| (format!("preselection '{n}'"), e)),
                )
                .chain(
                    categories
                        .iter()
                        .chain(subsamples.iter())
                        .flat_map(|(n, cuts)| {
                            cuts.iter().map(move |e| (format!("category '{n}'"), e))
                        }),
                )
                .chain(hists.iter().flat_map(|h| {
                    h.axes
                        .iter()
                        .filter_map(|(_, t)| t.as_ref())
                        .map(|e| (format!("histogram '{}'", h.def.name), e))
                }))
                .chain(weight_exprs.iter().map(|e| ("a weight".to_string(), e))),
        )?;
        let hook_names = hook_defs.iter().map(|d| d.name.clone());
        let (tainted, flags) = crate::calib::deps::varying(&defs, &cp.replaced_names(), hook_names);
        let reads = |e: &TExpr| crate::calib::deps::reads_any(e, &tainted);
        let own_nominal = std::iter::once(&weights)
            .chain(subsample_weights.values())
            .flat_map(|w| w.inclusive.iter().chain(w.bycategory.values().flatten()))
            .any(|t| matches!(t, WeightTerm::Correction(c) if !c.shape_nominal.is_empty()));
        varies = crate::calib::deps::Varies {
            defs: flags,
            presel: presel.iter().any(|(_, e)| reads(e)),
            categories: categories
                .iter()
                .chain(subsamples.iter())
                .any(|(_, cuts)| cuts.iter().any(reads)),
            weights: own_nominal || weight_exprs.iter().any(reads),
            hists: hists
                .iter()
                .map(|h| h.axes.iter().any(|(_, t)| t.as_ref().is_none_or(reads)))
                .collect(),
        };
    }
    for b in &branches {
        if !raw_schema.branches.contains_key(b) && !raw_schema.has_jagged_branch(b) {
            return Err(ConfigError::new(
                ds.pos.clone(),
                format!(
                    "dataset {}: the analysis needs branch '{b}', which {} does not have",
                    ds.name, first
                ),
            ));
        }
    }
    // the memory the run's histograms take (crate::hist_memory)
    crate::hist_memory::check(cfg, ext)?;
    Ok(DatasetPlan {
        dataset: ds.clone(),
        meta: c.meta.clone(),
        schema: Arc::new(c.schema),
        skim,
        defs,
        presel,
        categories,
        subsamples,
        weights,
        subsample_weights,
        hists,
        columns,
        subsample_columns,
        branches: branches.into_iter().collect(),
        lumi,
        calib: calib.map(Arc::new),
        varies,
    })
}

/// Compiles one definition of the workflow and adds its name (or field) to the schema.
fn compile_definition(
    c: &mut Compiler<'_>,
    d: &cortado_config::Definition,
    ctx: &dyn Fn(&str) -> String,
) -> Result<PlannedDef, ConfigError> {
    let t = c.check(&d.expr, None, &ctx(&format!("definition '{}'", d.name)))?;
    if let Some((coll, field)) = d.name.split_once('.') {
        let Some(Ty::Coll(id)) = c.schema.names.get(coll).cloned() else {
            return Err(ConfigError::new(
                d.expr.pos.clone(),
                format!("'{}': '{coll}' is not a collection", d.name),
            ));
        };
        if c.schema.colls[id].members.contains_key(field) {
            return Err(ConfigError::new(
                d.expr.pos.clone(),
                format!(
                    "'{}': '{field}' is a member of the tuples {coll}: name the field otherwise",
                    d.name
                ),
            ));
        }
        let prim = match t.ty {
            Ty::Obj(p, cid) if c.schema.same_objects(cid, id) => p,
            // a constant is the same for every object (`Muon.flavour: 13`)
            Ty::Lit(p) => p,
            ref other => {
                return Err(ConfigError::new(
                    d.expr.pos.clone(),
                    format!(
                        "'{}' must give one value per {coll} object, this gives {}",
                        d.name,
                        c.schema.describe(other)
                    ),
                ))
            }
        };
        let new = c.schema.with_field(id, field, prim);
        c.schema.names.insert(coll.to_string(), Ty::Coll(new));
        return Ok(PlannedDef {
            name: coll.to_string(),
            field: Some(field.to_string()),
            stage: d.stage,
            expr: t,
        });
    }
    if matches!(t.ty, Ty::Lit(_) | Ty::Str | Ty::List) {
        return Err(ConfigError::new(
            d.expr.pos.clone(),
            format!(
                "'{}' is a constant; definitions give values per event or per object",
                d.name
            ),
        ));
    }
    if let Ty::Coll(id) = t.ty {
        c.schema.colls[id].name = d.name.clone();
    }
    c.schema.names.insert(d.name.clone(), t.ty.clone());
    Ok(PlannedDef {
        name: d.name.clone(),
        field: None,
        stage: d.stage,
        expr: t,
    })
}
