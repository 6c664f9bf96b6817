//! Histogram definitions (PocketCoffea's `HistConf` and `Axis`) and the
//! histogram factories (`muon_hists`, `jet_hists`, `count_hist`, ...).

use std::sync::OnceLock;

use cortado_yaml::{ConfigError, Node, Pos, Value};

/// The binning of an axis.
#[derive(Clone, Debug, PartialEq)]
pub enum Bins {
    /// A number of bins (with `start`/`stop`).
    Count(usize),
    /// Bin edges.
    Edges(Vec<f64>),
}

/// One axis (PocketCoffea's `Axis`).
#[derive(Clone, Debug, PartialEq)]
pub struct AxisDef {
    /// Field of the collection.
    pub field: String,
    /// Axis label.
    pub label: String,
    /// Binning.
    pub bins: Option<Bins>,
    /// Lower edge.
    pub start: Option<f64>,
    /// Upper edge.
    pub stop: Option<f64>,
    /// Collection, record, `events`, `metadata` or `custom`.
    pub coll: String,
    /// Axis name (default `coll.field`).
    pub name: String,
    /// Object position (`None`: every object).
    pub pos: Option<i64>,
    /// `regular`, `variable`, `int`, `intcat`, `strcat`.
    pub kind: String,
    /// Transform of a regular axis (`log`, `sqrt`).
    pub transform: Option<String>,
    /// Underflow bin.
    pub underflow: bool,
    /// Overflow bin.
    pub overflow: bool,
    /// Growing axis.
    pub growth: bool,
    /// An expression giving the values instead of `coll.field` (cortado extension).
    pub expr: Option<String>,
    /// Where `expr` is written (errors in it point there).
    pub expr_pos: Option<Pos>,
}

/// One histogram (PocketCoffea's `HistConf`).
#[derive(Clone, Debug, PartialEq)]
pub struct HistDef {
    /// Histogram name.
    pub name: String,
    /// Axes.
    pub axes: Vec<AxisDef>,
    /// `weight` or `double`.
    pub storage: String,
    /// Filled automatically.
    pub autofill: bool,
    /// With the variation axis.
    pub variations: bool,
    /// Only these variations (plus nominal).
    pub only_variations: Option<Vec<String>>,
    /// Only for these samples.
    pub only_samples: Option<Vec<String>>,
    /// Not for these samples.
    pub exclude_samples: Option<Vec<String>>,
    /// Only in these categories.
    pub only_categories: Option<Vec<String>>,
    /// Not in these categories.
    pub exclude_categories: Option<Vec<String>>,
    /// Filled with weight 1.
    pub no_weights: bool,
    /// A processing-metadata histogram.
    pub metadata_hist: bool,
    /// Collapse per-object category masks to per-event ones.
    pub collapse_2d_masks: bool,
    /// `OR` or `AND`.
    pub collapse_2d_masks_mode: String,
    /// Where it is defined.
    pub pos: Option<Pos>,
}

const AXIS_KEYS: &[&str] = &[
    "field",
    "label",
    "bins",
    "start",
    "stop",
    "coll",
    "name",
    "pos",
    "type",
    "transform",
    "lim",
    "underflow",
    "overflow",
    "growth",
    "expr",
];
const HIST_KEYS: &[&str] = &[
    "axes",
    "storage",
    "autofill",
    "variations",
    "only_variations",
    "only_samples",
    "exclude_samples",
    "only_categories",
    "exclude_categories",
    "no_weights",
    "metadata_hist",
    "collapse_2D_masks",
    "collapse_2D_masks_mode",
];
/// The histogram factories.
pub const FACTORIES: &[&str] = &[
    "muon_hists",
    "ele_hists",
    "lepton_hists",
    "jet_hists",
    "jet_taggers_hists",
    "fatjet_hists",
    "fatjet_taggers_hists",
    "genjet_hists",
    "parton_hists",
    "met_hists",
    "sv_hists",
    "count_hist",
];

fn opt_list(n: &Node, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
    n.get(key)
        .filter(|v| v.value != Value::Null)
        .map(|v| v.as_str_list())
        .transpose()
}

fn opt_bool(n: &Node, key: &str, default: bool) -> Result<bool, ConfigError> {
    n.get(key)
        .map(|v| v.as_bool())
        .transpose()
        .map(|b| b.unwrap_or(default))
}

/// Parses one axis mapping.
pub fn parse_axis(n: &Node) -> Result<AxisDef, ConfigError> {
    n.check_keys(AXIS_KEYS, "an axis")?;
    let expr = n.get("expr").map(|v| v.as_text()).transpose()?;
    let expr_pos = n.get("expr").and_then(|v| v.pos.clone());
    // An axis filled by an expression is named by `name` (or `field`).
    let field = match (n.get("field"), &expr) {
        (None, Some(_)) => n.req("name")?.as_text()?,
        _ => n.req("field")?.as_text()?,
    };
    let coll = n
        .get("coll")
        .map(|c| c.as_text())
        .transpose()?
        .unwrap_or_else(|| "events".to_string());
    let bins = match n.get("bins") {
        None => None,
        Some(b) if b.value == Value::Null => None,
        Some(b) => Some(match &b.value {
            Value::Seq(items) => {
                Bins::Edges(items.iter().map(|i| i.as_f64()).collect::<Result<_, _>>()?)
            }
            _ => {
                let k = b.as_i64()?;
                if k <= 0 {
                    return Err(b.error("bins must be a positive number or a list of edges"));
                }
                Bins::Count(k as usize)
            }
        }),
    };
    let mut kind = n
        .get("type")
        .map(|t| t.as_text())
        .transpose()?
        .unwrap_or_else(|| "regular".to_string());
    if matches!(bins, Some(Bins::Edges(_))) && kind == "regular" {
        kind = "variable".to_string();
    }
    const KINDS: &[&str] = &["regular", "variable", "int", "intcat", "strcat"];
    if !KINDS.contains(&kind.as_str()) {
        let at = n.get("type").unwrap_or(n);
        return Err(at
            .error(format!("unknown axis type '{kind}'"))
            .with_suggestions(&kind, KINDS.iter().copied()));
    }
    let num = |k: &str| {
        n.get(k)
            .filter(|v| v.value != Value::Null)
            .map(|v| v.as_f64())
            .transpose()
    };
    let name = n
        .get("name")
        .map(|v| v.as_text())
        .transpose()?
        .unwrap_or_else(|| format!("{coll}.{field}"));
    let a = AxisDef {
        label: n
            .get("label")
            .map(|v| v.as_text())
            .transpose()?
            .unwrap_or_else(|| field.clone()),
        bins,
        start: num("start")?,
        stop: num("stop")?,
        name,
        pos: n
            .get("pos")
            .filter(|v| v.value != Value::Null)
            .map(|v| v.as_i64())
            .transpose()?,
        kind,
        transform: n
            .get("transform")
            .filter(|v| v.value != Value::Null)
            .map(|v| v.as_text())
            .transpose()?,
        underflow: opt_bool(n, "underflow", true)?,
        overflow: opt_bool(n, "overflow", true)?,
        growth: opt_bool(n, "growth", false)?,
        expr,
        expr_pos,
        field,
        coll,
    };
    match (&a.kind[..], &a.bins) {
        ("regular", Some(Bins::Count(_))) if a.start.is_some() && a.stop.is_some() => {}
        ("regular", _) => {
            return Err(n.error(format!(
                "axis '{}': a regular axis needs bins (a number), start and stop",
                a.name
            )))
        }
        ("variable", Some(Bins::Edges(e))) if e.len() >= 2 => {}
        ("variable", _) => {
            return Err(n.error(format!(
                "axis '{}': a variable axis needs bins as a list of at least two edges",
                a.name
            )))
        }
        ("int", _) if a.start.is_some() && a.stop.is_some() => {}
        ("int", _) => {
            return Err(n.error(format!(
                "axis '{}': an int axis needs start and stop",
                a.name
            )))
        }
        _ => {}
    }
    if let Some(t) = &a.transform {
        if !["log", "sqrt"].contains(&t.as_str()) {
            return Err(n
                .error(format!("axis '{}': unknown transform '{t}'", a.name))
                .with_suggestions(t, ["log", "sqrt"]));
        }
    }
    if a.growth && !matches!(a.kind.as_str(), "intcat" | "strcat") {
        return Err(n.error(format!(
            "axis '{}': growth is supported for category axes (intcat, strcat) only",
            a.name
        )));
    }
    Ok(a)
}

fn hist_options(name: &str, n: &Node, axes: Vec<AxisDef>) -> Result<HistDef, ConfigError> {
    let storage = n
        .get("storage")
        .map(|v| v.as_text())
        .transpose()?
        .unwrap_or_else(|| "weight".to_string());
    if !["weight", "double"].contains(&storage.as_str()) {
        return Err(n
            .error(format!("histogram '{name}': unknown storage '{storage}'"))
            .with_suggestions(&storage, ["weight", "double"]));
    }
    let mode = n
        .get("collapse_2D_masks_mode")
        .map(|v| v.as_text())
        .transpose()?
        .unwrap_or_else(|| "OR".to_string());
    if !["OR", "AND"].contains(&mode.as_str()) {
        return Err(n.error(format!(
            "histogram '{name}': collapse_2D_masks_mode must be OR or AND"
        )));
    }
    Ok(HistDef {
        name: name.to_string(),
        axes,
        storage,
        autofill: opt_bool(n, "autofill", true)?,
        variations: opt_bool(n, "variations", true)?,
        only_variations: opt_list(n, "only_variations")?,
        only_samples: opt_list(n, "only_samples")?,
        exclude_samples: opt_list(n, "exclude_samples")?,
        only_categories: opt_list(n, "only_categories")?,
        exclude_categories: opt_list(n, "exclude_categories")?,
        no_weights: opt_bool(n, "no_weights", false)?,
        metadata_hist: opt_bool(n, "metadata_hist", false)?,
        collapse_2d_masks: opt_bool(n, "collapse_2D_masks", false)?,
        collapse_2d_masks_mode: mode,
        pos: n.pos.clone(),
    })
}

struct FactoryData {
    settings: Node,
    fields: Node,
    taggers: Node,
}

fn factory_data() -> &'static FactoryData {
    static D: OnceLock<FactoryData> = OnceLock::new();
    D.get_or_init(|| {
        let n = cortado_yaml::load_str(
            include_str!("../data/hist_factories.json"),
            "<hist_factories.json>",
        )
        .expect("shipped JSON");
        FactoryData {
            settings: n.get("default_axis_settings").expect("settings").clone(),
            fields: n.get("collection_fields").expect("fields").clone(),
            taggers: n.get("taggers_fields").expect("taggers").clone(),
        }
    })
}

/// Parses one entry of `histograms:`: a HistConf named `name`, or a factory
/// call (`{factory: muon_hists, coll: MuonGood, pos: 0}`), which may give
/// several, named as PocketCoffea names them: `{name}_{field}[_{pos+1}]` with
/// `name` the factory's `name` option or else its collection (`n{coll}` for
/// `count_hist`); the entry's key `name` is then only a label.
pub fn parse_histogram(name: &str, n: &Node) -> Result<Vec<HistDef>, ConfigError> {
    let Some(f) = n.get("factory") else {
        n.check_keys(HIST_KEYS, &format!("histogram '{name}'"))?;
        let axes = n
            .req("axes")?
            .as_seq()?
            .iter()
            .map(parse_axis)
            .collect::<Result<Vec<_>, _>>()?;
        if axes.is_empty() {
            return Err(n.error(format!("histogram '{name}' has no axes")));
        }
        return Ok(vec![hist_options(name, n, axes)?]);
    };
    let factory = f.as_text()?;
    if !FACTORIES.contains(&factory.as_str()) {
        return Err(f
            .error(format!("unknown histogram factory '{factory}'"))
            .with_suggestions(&factory, FACTORIES.iter().copied()));
    }
    let mut allowed: Vec<&str> = HIST_KEYS.iter().copied().filter(|k| *k != "axes").collect();
    allowed.extend([
        "factory",
        "coll",
        "pos",
        "fields",
        "name",
        "axis_settings",
        "bins",
        "start",
        "stop",
        "label",
    ]);
    n.check_keys(&allowed, &format!("histogram factory '{factory}'"))?;
    // As in PocketCoffea, a factory names its histograms after its `name`
    // argument, by default after the collection; the configuration key only
    // labels the entry.
    let name_arg = n.get("name").map(|v| v.as_text()).transpose()?;
    if factory == "count_hist" {
        return count_hist(n, name_arg);
    }
    collection_hists(n, &factory, name_arg)
}

/// `count_hist(coll, bins=10, start=0, stop=9, label, name)`: one histogram
/// of `n{coll}`, named `name` or `n{coll}`.
fn count_hist(n: &Node, name_arg: Option<String>) -> Result<Vec<HistDef>, ConfigError> {
    let coll = n.req("coll")?.as_text()?;
    let hist_name = name_arg.unwrap_or_else(|| format!("n{coll}"));
    let bins = n.get("bins").map(|v| v.as_i64()).transpose()?.unwrap_or(10);
    let start = n
        .get("start")
        .map(|v| v.as_f64())
        .transpose()?
        .unwrap_or(0.0);
    let stop = n
        .get("stop")
        .map(|v| v.as_f64())
        .transpose()?
        .unwrap_or(9.0);
    let label = n
        .get("label")
        .map(|v| v.as_text())
        .transpose()?
        .unwrap_or_else(|| format!("$N_{{{coll}}}$"));
    let axis = AxisDef {
        field: format!("n{coll}"),
        label,
        bins: Some(Bins::Count(bins.max(1) as usize)),
        start: Some(start),
        stop: Some(stop),
        coll: "events".into(),
        name: format!("events.n{coll}"),
        pos: None,
        kind: "regular".into(),
        transform: None,
        underflow: true,
        overflow: true,
        growth: false,
        expr: None,
        expr_pos: None,
    };
    Ok(vec![hist_options(&hist_name, n, vec![axis])?])
}

/// The other factories: one histogram per field of the collection type,
/// named `{name or coll}_{field}[_{pos+1}]`.
fn collection_hists(
    n: &Node,
    factory: &str,
    name_arg: Option<String>,
) -> Result<Vec<HistDef>, ConfigError> {
    let ty = match factory {
        "muon_hists" => "muon",
        "ele_hists" => "electron",
        "lepton_hists" => "lepton",
        "jet_hists" | "jet_taggers_hists" => "jet",
        "fatjet_hists" | "fatjet_taggers_hists" => "fatjet",
        "genjet_hists" => "genjet",
        "parton_hists" => "parton",
        "met_hists" => "met",
        _ => "sv",
    };
    let default_coll = match ty {
        "muon" => "MuonGood",
        "electron" => "ElectronGood",
        "lepton" => "LeptonGood",
        "jet" => "JetGood",
        "fatjet" => "FatJetGood",
        "genjet" => "MyGenJets",
        "parton" => "PartonMatched",
        "met" => "MET",
        _ => "SV",
    };
    let coll = n
        .get("coll")
        .map(|v| v.as_text())
        .transpose()?
        .unwrap_or_else(|| default_coll.to_string());
    let hist_name = name_arg.unwrap_or_else(|| coll.clone());
    let pos = n
        .get("pos")
        .filter(|v| v.value != Value::Null)
        .map(|v| v.as_i64())
        .transpose()?;
    let only_fields = opt_list(n, "fields")?;
    let data = factory_data();
    let field_list = if factory.ends_with("taggers_hists") {
        data.taggers.get(ty)
    } else {
        data.fields.get(ty)
    };
    let field_list = field_list
        .map(|f| f.as_str_list())
        .transpose()?
        .unwrap_or_default();
    if let Some(fs) = &only_fields {
        for f in fs {
            if !field_list.contains(f) {
                return Err(n
                    .get("fields")
                    .unwrap_or(n)
                    .error(format!("{factory} has no field '{f}'"))
                    .with_suggestions(f, field_list.iter().map(String::as_str)));
            }
        }
    }
    let mut out = Vec::new();
    for field in &field_list {
        if only_fields.as_ref().is_some_and(|fs| !fs.contains(field)) {
            continue;
        }
        let key = format!("{ty}_{field}");
        let mut setting = data
            .settings
            .get(&key)
            .cloned()
            .ok_or_else(|| n.error(format!("no default axis settings for {key}")))?;
        if let Some(over) = n.get("axis_settings").and_then(|a| a.get(&key)) {
            cortado_params::deep_merge(&mut setting, over.clone());
        }
        setting.set("coll", Node::new(Value::Str(coll.clone())));
        if let Some(e) = setting.entries_mut() {
            e.retain(|(k, _)| k.name != "lim");
        }
        let mut hname = format!("{hist_name}_{field}");
        if let Some(p) = pos {
            setting.set("pos", Node::new(Value::Int(p)));
            hname.push_str(&format!("_{}", p + 1));
            let label = setting
                .get("label")
                .map(|l| l.as_text())
                .transpose()?
                .unwrap_or_default();
            setting.set(
                "label",
                Node::new(Value::Str(format!("{label} for Obj. #{}", p + 1))),
            );
        }
        let mut axis = parse_axis(&setting)?;
        if axis.pos.is_none() {
            axis.pos = pos;
        }
        out.push(hist_options(&hname, n, vec![axis])?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(y: &str) -> Result<Vec<HistDef>, ConfigError> {
        let n = cortado_yaml::load_str(y, "h.yaml").unwrap();
        let (k, v) = &n.as_map().unwrap()[0];
        parse_histogram(&k.name, v)
    }

    #[test]
    fn factories_expand_like_pocketcoffea() {
        let h = parse("MuonGood: {factory: muon_hists, pos: 0}\n").unwrap();
        let names: Vec<&str> = h.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["MuonGood_eta_1", "MuonGood_pt_1", "MuonGood_phi_1"]
        );
        assert_eq!(h[1].axes[0].name, "MuonGood.pt");
        assert_eq!(h[1].axes[0].label, "$p_{T}^{\\mu}$ [GeV] for Obj. #1");
        assert_eq!(h[2].axes[0].bins, Some(Bins::Count(64)));
        let c = parse("nJets: {factory: count_hist, coll: JetGood, bins: 8, start: 0, stop: 8}\n")
            .unwrap();
        assert_eq!(c[0].name, "nJetGood");
        assert_eq!(c[0].axes[0].field, "nJetGood");
        assert_eq!(c[0].axes[0].label, "$N_{JetGood}$");
        let e = parse("ElectronGood: {factory: ele_hists, pos: 0, fields: [pt, etaSC]}\n").unwrap();
        assert_eq!(e.len(), 2);
        assert!(matches!(&e[1].axes[0].bins, Some(Bins::Edges(v)) if v.len() == 27));
        let m = parse("MET: {factory: met_hists, fields: [pt], exclude_categories: [inclusive]}\n")
            .unwrap();
        assert_eq!(m[0].name, "MET_pt");
        assert_eq!(
            m[0].exclude_categories.as_deref(),
            Some(&["inclusive".to_string()][..])
        );
    }

    #[test]
    fn factories_name_histograms_after_the_collection_or_name() {
        // PocketCoffea's jet_hists(coll="JetGood", pos=0) gives JetGood_pt_1 ...;
        // the YAML key of the entry is not part of the names.
        let names =
            |y: &str| -> Vec<String> { parse(y).unwrap().into_iter().map(|h| h.name).collect() };
        assert_eq!(
            names("JetGood1: {factory: jet_hists, coll: JetGood, pos: 0, fields: [pt, eta]}\n"),
            ["JetGood_eta_1", "JetGood_pt_1"]
        );
        assert_eq!(
            names("leading: {factory: muon_hists, pos: 0, fields: [pt]}\n"),
            ["MuonGood_pt_1"]
        );
        assert_eq!(
            names("x: {factory: jet_hists, coll: JetGood, name: J, pos: 1, fields: [pt]}\n"),
            ["J_pt_2"]
        );
        assert_eq!(
            names("x: {factory: count_hist, coll: BJetGood}\n"),
            ["nBJetGood"]
        );
        assert_eq!(
            names("x: {factory: count_hist, coll: BJetGood, name: nB}\n"),
            ["nB"]
        );
        assert_eq!(
            names("mll: {axes: [{coll: ll, field: mass, bins: 2, start: 0, stop: 1}]}\n"),
            ["mll"]
        );
    }

    #[test]
    fn errors_point_and_suggest() {
        let e = parse("x: {factory: muon_hist}\n").unwrap_err().to_string();
        assert!(e.contains("did you mean 'muon_hists'"), "{e}");
        let e = parse("x: {axes: [{field: pt, coll: MuonGood, bins: 10, start: 0}]}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs bins (a number), start and stop"), "{e}");
        let e =
            parse("x: {axes: [{field: pt, bins: 10, start: 0, stop: 1}], only_categorie: [a]}\n")
                .unwrap_err()
                .to_string();
        assert!(
            e.starts_with("h.yaml:1:") && e.contains("did you mean 'only_categories'"),
            "{e}"
        );
        let e = parse("x: {axes: [{field: pt, type: regullar, bins: 10, start: 0, stop: 1}]}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean 'regular'"), "{e}");
    }
}
