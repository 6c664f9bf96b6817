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
use crate::ext::{Extensions, Hook, HookDef};

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
    let f = RootFile::open(file).map_err(|e| e.to_string())?;
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
    let mut calib = crate::calib::plan_calibration(cfg, ds, &mut c.schema)?;
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
    crate::hist_memory::check(cfg)?;
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
        match t.ty {
            Ty::Obj(p, cid) if cid == id => {
                c.schema.colls[id].fields.insert(field.to_string(), p);
            }
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
        }
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

fn weight_terms(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    names: &[(String, Option<cortado_yaml::Pos>)],
    lumi: f64,
) -> Result<Vec<WeightTerm>, ConfigError> {
    let mut out = Vec::new();
    for (name, pos) in names {
        let term = match name.as_str() {
            "genWeight" => WeightTerm::GenWeight,
            "signOf_genWeight" => WeightTerm::SignOfGenWeight,
            "lumi" => WeightTerm::Const("lumi".into(), lumi),
            "XS" => WeightTerm::Const("XS".into(), ds.xsec.unwrap_or(1.0)),
            other => match cfg.custom_weights.get(other) {
                Some(cw) if cw.is_mc_only && !ds.is_mc => continue,
                Some(cw) => kind_term(c, ds, &cw.name, &cw.kind, false)?,
                None if !ds.is_mc => continue, // the common weights are for simulation
                None => match crate::weights::builtin(other, cfg, ds, pos) {
                    Some(kind) => kind_term(c, ds, other, &kind?, true)?,
                    None => {
                        return Err(ConfigError::new(
                            pos.clone(),
                            format!("unknown weight '{other}'"),
                        ))
                    }
                },
            },
        };
        // The built-in weights only apply to simulation (PocketCoffea: isMC_only).
        if !ds.is_mc
            && matches!(
                term,
                WeightTerm::GenWeight | WeightTerm::SignOfGenWeight | WeightTerm::Const(..)
            )
        {
            continue;
        }
        out.push(term);
    }
    Ok(out)
}

/// A weight of the configuration's `custom_weights`, or a built-in one
/// (whose per-event values may be missing, an error then).
fn kind_term(
    c: &mut Compiler<'_>,
    ds: &Dataset,
    name: &str,
    kind: &cortado_config::WeightKind,
    builtin: bool,
) -> Result<WeightTerm, ConfigError> {
    let (nominal, up, down) = match kind {
        cortado_config::WeightKind::Correction(spec) => return correction_term(c, name, spec),
        cortado_config::WeightKind::Expr { nominal, up, down } => (nominal, up, down),
    };
    let what = if builtin {
        format!("weight '{name}' (dataset {}, year {})", ds.name, ds.year)
    } else {
        format!("custom weight '{name}' (dataset {})", ds.name)
    };
    let nominal_t = c.check(nominal, None, &what)?;
    let updown = match (up, down) {
        (Some(u), Some(d)) => Some((c.check(u, None, &what)?, c.check(d, None, &what)?)),
        _ => None,
    };
    for t in std::iter::once(&nominal_t).chain(updown.iter().flat_map(|(u, d)| [u, d])) {
        let fits = match t.ty {
            Ty::Lit(p) | Ty::Event(p) => p != Prim::Bool,
            Ty::Opt(p) => builtin && p != Prim::Bool,
            _ => false,
        };
        if !fits {
            return Err(ConfigError::new(
                nominal.pos.clone(),
                format!(
                    "{what}: a weight gives one number per event, this gives {}",
                    c.schema.describe(&t.ty)
                ),
            ));
        }
    }
    Ok(WeightTerm::Custom {
        name: name.to_string(),
        nominal: Box::new(nominal_t),
        updown: updown.map(Box::new),
        builtin,
    })
}

/// A weight from a correctionlib correction ([`crate::weights::correction`]).
fn correction_term(
    c: &mut Compiler<'_>,
    name: &str,
    spec: &cortado_config::CorrectionWeight,
) -> Result<WeightTerm, ConfigError> {
    let schema = c.schema.clone();
    let term = crate::weights::plan(
        name,
        spec,
        &mut |src, what| c.check(src, None, what),
        &|t| schema.describe(t),
    )?;
    Ok(WeightTerm::Correction(Arc::new(term)))
}

fn add_set(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    set: &WeightSet,
    plan: &mut WeightPlan,
    lumi: f64,
) -> Result<(), ConfigError> {
    plan.inclusive
        .extend(weight_terms(c, cfg, ds, &set.inclusive, lumi)?);
    for (cat, list) in &set.bycategory {
        let terms = weight_terms(c, cfg, ds, list, lumi)?;
        plan.bycategory
            .entry(cat.clone())
            .or_default()
            .extend(terms);
    }
    Ok(())
}

/// The variations of the weights that `variations.weights` names (common,
/// and of sample or subsample `key`): `{stem}Up`/`{stem}Down` for each stem
/// of each weight ([`crate::weights::variation_stems`]); none for data.
pub(crate) fn add_variations(
    cfg: &AnalysisConfig,
    key: Option<&str>,
    plan: &mut WeightPlan,
    ds: &Dataset,
) -> Result<(), ConfigError> {
    if !ds.is_mc {
        return Ok(());
    }
    let sets: Vec<&WeightSet> = std::iter::once(&cfg.weight_variations.common)
        .chain(key.and_then(|k| cfg.weight_variations.bysample.get(k)))
        .collect();
    for set in sets {
        let lists = std::iter::once((None, &set.inclusive))
            .chain(set.bycategory.iter().map(|(cat, l)| (Some(cat), l)));
        for (cat, list) in lists {
            for (name, _) in list {
                for stem in crate::weights::variation_stems(name, cfg, ds)? {
                    for (suffix, up) in [("Up", true), ("Down", false)] {
                        let e = plan
                            .variations
                            .entry(format!("{stem}{suffix}"))
                            .or_insert_with(|| VariationRef {
                                weight: name.clone(),
                                stem: stem.clone(),
                                up,
                                categories: cat.map(|_| BTreeSet::new()),
                            });
                        match (cat, e.categories.as_mut()) {
                            (Some(cat), Some(cats)) => {
                                cats.insert(cat.clone());
                            }
                            // inclusive: every category
                            (None, _) => e.categories = None,
                            (Some(_), None) => {}
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn weight_plan(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    sample: &str,
    lumi: f64,
) -> Result<WeightPlan, ConfigError> {
    let mut plan = WeightPlan::default();
    add_set(c, cfg, ds, &cfg.weights.common, &mut plan, lumi)?;
    if let Some(s) = cfg.weights.bysample.get(sample) {
        add_set(c, cfg, ds, s, &mut plan, lumi)?;
    }
    add_variations(cfg, Some(sample), &mut plan, ds)?;
    Ok(plan)
}

fn weight_plan_only(
    c: &mut Compiler<'_>,
    cfg: &AnalysisConfig,
    ds: &Dataset,
    key: &str,
    lumi: f64,
) -> Result<WeightPlan, ConfigError> {
    let mut plan = WeightPlan::default();
    if let Some(s) = cfg.weights.bysample.get(key) {
        add_set(c, cfg, ds, s, &mut plan, lumi)?;
    }
    add_variations(cfg, Some(key), &mut plan, ds)?;
    plan.variations.retain(|_, v| {
        cfg.weights.bysample.get(key).is_some_and(|s| {
            s.inclusive
                .iter()
                .chain(s.bycategory.values().flatten())
                .any(|(n, _)| n == &v.weight)
        })
    });
    Ok(plan)
}

fn axis_value_text(a: &AxisDef) -> Result<String, String> {
    if let Some(e) = &a.expr {
        return Ok(e.clone());
    }
    match a.coll.as_str() {
        "events" => Ok(a.field.clone()),
        "metadata" | "custom" => Err(format!(
            "axis '{}': coll '{}' has no values to fill automatically: declare the histogram \
             with autofill: false and fill it in a Rust workflow's fill_histograms_extra \
             (the library API, see examples/custom_workflow)",
            a.name, a.coll
        )),
        coll => Ok(match a.pos {
            Some(k) => format!("{coll}[{k}].{}", a.field),
            None => format!("{coll}.{}", a.field),
        }),
    }
}

/// The axis a histogram's axis definition describes (checked).
pub(crate) fn hist_axis(a: &AxisDef) -> Result<Axis, String> {
    let kind = match (a.kind.as_str(), &a.bins) {
        ("regular", Some(Bins::Count(n))) => AxisKind::Regular {
            bins: *n,
            start: a.start.unwrap_or(0.0),
            stop: a.stop.unwrap_or(1.0),
            transform: match a.transform.as_deref() {
                Some("log") => Some(Transform::Log),
                Some("sqrt") => Some(Transform::Sqrt),
                _ => None,
            },
        },
        ("variable", Some(Bins::Edges(e))) | ("regular", Some(Bins::Edges(e))) => {
            AxisKind::Variable { edges: e.clone() }
        }
        ("int", _) => AxisKind::Integer {
            start: a.start.unwrap_or(0.0) as i64,
            stop: a.stop.unwrap_or(1.0) as i64,
        },
        ("intcat", _) => AxisKind::IntCategory {
            categories: Vec::new(),
            growth: a.growth,
        },
        ("strcat", _) => AxisKind::StrCategory {
            categories: Vec::new(),
            growth: a.growth,
        },
        _ => return Err(format!("axis '{}' has an invalid binning", a.name)),
    };
    let axis = Axis {
        name: a.name.clone(),
        label: a.label.clone(),
        kind,
        underflow: a.underflow,
        overflow: a.overflow,
    };
    axis.validate()
        .map_err(|m| format!("axis '{}': {m}", a.name))?;
    Ok(axis)
}

fn hist_plan(
    c: &mut Compiler<'_>,
    h: &HistDef,
    cats: &[String],
    weights: &WeightPlan,
    calib: Option<&CalibPlan>,
    ds: &Dataset,
) -> Result<HistPlan, ConfigError> {
    let what = format!("histogram '{}' (dataset {})", h.name, ds.name);
    let mut axes = Vec::new();
    let mut obj_coll = None;
    for a in &h.axes {
        let text = if h.autofill {
            axis_value_text(a)
                .map_err(|m| ConfigError::new(h.pos.clone(), format!("{what}: {m}")))?
        } else {
            "True".to_string() // filled by the workflow's fill_histograms_extra
        };
        let t = c.check_text(&text, h.pos.as_ref(), &format!("{what}, axis '{}'", a.name))?;
        match &t.ty {
            Ty::Lit(_) if !h.autofill => {}
            Ty::Event(_) | Ty::Opt(_) => {}
            Ty::Obj(_, id) => {
                if obj_coll.is_some_and(|o| o != *id) {
                    return Err(ConfigError::new(
                        h.pos.clone(),
                        format!("{what}: the per-object axes come from different collections"),
                    ));
                }
                obj_coll = Some(*id);
            }
            other => {
                return Err(ConfigError::new(
                    h.pos.clone(),
                    format!(
                        "{what}: axis '{}' must give numbers, `{text}` gives {}",
                        a.name,
                        c.schema.describe(other)
                    ),
                ))
            }
        }
        let axis =
            hist_axis(a).map_err(|m| ConfigError::new(h.pos.clone(), format!("{what}: {m}")))?;
        if h.autofill && a.kind == "int" && t.ty.prim().is_some_and(|p| p.is_float()) {
            return Err(ConfigError::new(
                h.pos.clone(),
                format!(
                    "{what}: the integer axis '{}' needs integer values, `{text}` gives floats",
                    a.name
                ),
            ));
        }
        axes.push((axis, h.autofill.then_some(t)));
    }
    let mut categories: Vec<String> = cats
        .iter()
        .filter(|c| h.only_categories.as_ref().is_none_or(|o| o.contains(c)))
        .filter(|c| h.exclude_categories.as_ref().is_none_or(|x| !x.contains(c)))
        .cloned()
        .collect();
    categories.sort();
    let variations = if ds.is_mc {
        let mut v: Vec<String> = vec!["nominal".to_string()];
        if h.variations {
            v.extend(
                weights
                    .variations
                    .keys()
                    .filter(|name| h.only_variations.as_ref().is_none_or(|o| o.contains(name)))
                    .cloned(),
            );
            // shape variations: `only_variations` may name the calibrator
            v.extend(
                calib
                    .iter()
                    .flat_map(|c| c.variations.iter())
                    .filter(|sv| {
                        h.only_variations
                            .as_ref()
                            .is_none_or(|o| o.contains(&sv.name) || o.contains(&sv.calibrator))
                    })
                    .map(|sv| sv.name.clone()),
            );
        }
        v.sort();
        Some(v)
    } else {
        None
    };
    Ok(HistPlan {
        def: h.clone(),
        axes,
        categories,
        variations,
    })
}

fn column_plans(c: &mut Compiler<'_>, co: &ColOut) -> Result<Vec<ColumnPlan>, ConfigError> {
    let mut out = Vec::new();
    for col in &co.columns {
        let text = if co.collection == "events" {
            col.clone()
        } else {
            format!("{}.{col}", co.collection)
        };
        let name = format!("{}_{col}", co.collection);
        let t = c.check_text(&text, None, &format!("column '{name}'"))?;
        match &t.ty {
            Ty::Event(_) | Ty::Opt(_) | Ty::Obj(_, _) => {}
            other => {
                return Err(ConfigError::new(
                    None,
                    format!(
                        "column '{name}': `{text}` gives {}, not values",
                        c.schema.describe(other)
                    ),
                ))
            }
        }
        let jagged = matches!(t.ty, Ty::Obj(_, _));
        out.push(ColumnPlan {
            name,
            expr: t.clone(),
            counts: false,
            colout: co.clone(),
        });
        if jagged
            && co.store_size
            && co.flatten
            && !out.iter().any(|p| p.name == format!("{}_N", co.collection))
        {
            out.push(ColumnPlan {
                name: format!("{}_N", co.collection),
                expr: t,
                counts: true,
                colout: co.clone(),
            });
        }
    }
    Ok(out)
}

/// The raw branches an analysis needs: fields of NanoAOD collections reached
/// through definitions, counters, event-level branches and records.
fn required_branches(
    defs: &[PlannedDef],
    skim: &[&TExpr],
    exprs: &[&TExpr],
    raw: &Schema,
    hook_defs: &[HookDef],
) -> BTreeSet<String> {
    let mut need = BTreeSet::new();
    // defined name -> the NanoAOD collections its objects come from
    let mut sources: HashMap<String, BTreeSet<String>> = HashMap::new();
    for h in hook_defs {
        let prefixes = h
            .from
            .iter()
            .filter_map(|c| match raw.names.get(c) {
                Some(Ty::Coll(id)) => raw.base.get(id).map(|(_, p)| p.clone()),
                _ => None,
            })
            .collect();
        sources.insert(h.name.clone(), prefixes);
    }
    // (collection, field) added by definitions
    let mut added: BTreeSet<(String, String)> = BTreeSet::new();
    let base_of = |name: &str| -> Option<(String, String)> {
        match raw.names.get(name) {
            Some(Ty::Coll(id)) => raw
                .base
                .get(id)
                .map(|(counter, prefix)| (counter.clone(), prefix.clone())),
            _ => None,
        }
    };
    fn srcs(
        e: &TExpr,
        sources: &HashMap<String, BTreeSet<String>>,
        base_of: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> BTreeSet<String> {
        match &e.kind {
            TKind::Name(n) => match sources.get(n) {
                Some(s) => s.clone(),
                None => base_of(n)
                    .map(|(_, p)| BTreeSet::from([p]))
                    .unwrap_or_default(),
            },
            TKind::JaggedBranch(_, _) => BTreeSet::new(),
            TKind::Select(c, _)
            | TKind::Slice(c, _, _)
            | TKind::Pick(c, _)
            | TKind::Field(c, _)
            | TKind::PickValue(c, _) => srcs(c, sources, base_of),
            TKind::Call(Func::Concat(_), parts) => parts
                .iter()
                .flat_map(|p| srcs(p, sources, base_of))
                .collect(),
            TKind::Call(Func::SortBy(_), args) => srcs(&args[0], sources, base_of),
            _ => BTreeSet::new(),
        }
    }
    let counter_of = |prefix: &str| -> Option<String> {
        raw.base
            .values()
            .find(|(_, p)| p == prefix)
            .map(|(c, _)| c.clone())
    };
    #[allow(clippy::too_many_arguments)]
    fn walk(
        e: &TExpr,
        need: &mut BTreeSet<String>,
        sources: &HashMap<String, BTreeSet<String>>,
        added: &BTreeSet<(String, String)>,
        base_of: &dyn Fn(&str) -> Option<(String, String)>,
        counter_of: &dyn Fn(&str) -> Option<String>,
        raw: &Schema,
    ) {
        let field_of = |x: &TExpr, f: &str, need: &mut BTreeSet<String>| {
            for s in srcs(x, sources, base_of) {
                if !added.contains(&(s.clone(), f.to_string())) {
                    need.insert(format!("{s}_{f}"));
                }
                if let Some(c) = counter_of(&s) {
                    need.insert(c);
                }
            }
        };
        match &e.kind {
            TKind::Branch(n) => {
                need.insert(n.clone());
            }
            TKind::JaggedBranch(n, id) => {
                need.insert(n.clone());
                if let Some((c, _)) = raw.base.get(id) {
                    need.insert(c.clone());
                }
            }
            TKind::Name(n) if !sources.contains_key(n) => {
                if let Some((c, _)) = base_of(n) {
                    need.insert(c);
                }
            }
            TKind::Field(x, f) => field_of(x, f, need),
            TKind::RecField(x, f) => {
                if let TKind::Name(n) = &x.kind {
                    if !sources.contains_key(n) {
                        if let Some(Ty::Rec(id)) = raw.names.get(n) {
                            if let Some(prefix) = raw.rec_prefix.get(id) {
                                need.insert(format!("{prefix}_{f}"));
                            }
                        }
                    }
                }
            }
            TKind::Call(
                Func::DeltaR | Func::DeltaPhi | Func::DeltaRClean | Func::MinDeltaR,
                args,
            ) => {
                for a in args.iter().take(2) {
                    if let TKind::Name(n) = &a.kind {
                        if let Some(Ty::Rec(id)) = raw.names.get(n) {
                            if let Some(prefix) = raw.rec_prefix.get(id) {
                                need.insert(format!("{prefix}_eta"));
                                need.insert(format!("{prefix}_phi"));
                            }
                        }
                    }
                    field_of(a, "eta", need);
                    field_of(a, "phi", need);
                }
            }
            TKind::Call(Func::Dilepton, args) => {
                for a in args {
                    for f in ["pt", "eta", "phi", "mass", "charge"] {
                        field_of(a, f, need);
                    }
                }
            }
            TKind::Call(Func::User(u), args) => {
                need.extend(u.1.branches());
                for a in args {
                    for f in u.1.fields() {
                        field_of(a, &f, need);
                    }
                }
            }
            TKind::Call(Func::SortBy(_), args) => {
                if let TKind::Str(f) = &args[1].kind {
                    field_of(&args[0], f, need);
                }
            }
            _ => {}
        }
        // children
        match &e.kind {
            TKind::List(items) => items
                .iter()
                .for_each(|i| walk(i, need, sources, added, base_of, counter_of, raw)),
            TKind::Field(x, _)
            | TKind::RecField(x, _)
            | TKind::Unary(_, x)
            | TKind::Cast(_, x)
            | TKind::Slice(x, _, _)
            | TKind::Pick(x, _)
            | TKind::PickValue(x, _) => walk(x, need, sources, added, base_of, counter_of, raw),
            TKind::Binary { lhs, rhs, .. } => {
                walk(lhs, need, sources, added, base_of, counter_of, raw);
                walk(rhs, need, sources, added, base_of, counter_of, raw);
            }
            TKind::Select(x, m) => {
                walk(x, need, sources, added, base_of, counter_of, raw);
                walk(m, need, sources, added, base_of, counter_of, raw);
            }
            TKind::Call(_, args) => args
                .iter()
                .for_each(|a| walk(a, need, sources, added, base_of, counter_of, raw)),
            _ => {}
        }
    }
    // the skim runs before every definition: it reads the files' fields
    for e in skim {
        walk(e, &mut need, &sources, &added, &base_of, &counter_of, raw);
    }
    for d in defs {
        walk(
            &d.expr,
            &mut need,
            &sources,
            &added,
            &base_of,
            &counter_of,
            raw,
        );
        match &d.field {
            Some(f) => {
                // Coll.field: the collection keeps its sources
                let s = sources.get(&d.name).cloned().unwrap_or_else(|| {
                    base_of(&d.name)
                        .map(|(_, p)| BTreeSet::from([p]))
                        .unwrap_or_default()
                });
                for p in &s {
                    added.insert((p.clone(), f.clone()));
                }
                sources.insert(d.name.clone(), s);
            }
            None => {
                let s = srcs(&d.expr, &sources, &base_of);
                sources.insert(d.name.clone(), s);
            }
        }
    }
    for e in exprs {
        walk(e, &mut need, &sources, &added, &base_of, &counter_of, raw);
    }
    need
}
