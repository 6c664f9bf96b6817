//! Reading and structurally checking the analysis configuration file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cortado_params::{Parameters, Resolvers};
use cortado_yaml::{ConfigError, Node, Value};

use crate::datasets::{read_fileset, Filter};
use crate::files::read_yaml;
use crate::histograms::parse_histogram;
use crate::{
    AnalysisConfig, Categories, ColOut, ColumnsConfig, CutDef, Definition, ExprSrc, MultiCut,
    Stage, WeightsConfig, BUILTIN_WEIGHTS,
};

const TOP_KEYS: &[&str] = &[
    "extends",
    "parameters",
    "datasets",
    "workflow",
    "skim",
    "preselections",
    "categories",
    "weights",
    "custom_weights",
    "variations",
    "calibrators",
    "histograms",
    "columns",
    "workflow_options",
];

fn resolve_path(dir: &Path, p: &str) -> PathBuf {
    let pb = PathBuf::from(p);
    if pb.is_absolute() {
        pb
    } else {
        dir.join(pb)
    }
}

/// A path written in the configuration, relative to the folder of the file it
/// was written in (which, with `extends`, may be a base configuration).
pub(crate) fn node_path(n: &Node, fallback: &Path) -> Result<PathBuf, ConfigError> {
    let dir = n
        .pos
        .as_ref()
        .and_then(|p| Path::new(&*p.file).parent().map(Path::to_path_buf))
        .unwrap_or_else(|| fallback.to_path_buf());
    Ok(resolve_path(&dir, &n.as_text()?))
}

/// Reads a configuration file and the files it `extends` (deep-merged: the
/// extending file's mappings merge into the base's, other values replace).
fn load_tree(path: &Path, depth: usize) -> Result<Node, ConfigError> {
    let mut n = read_yaml(path)?;
    let Some(base) = n.get("extends").cloned() else {
        return Ok(n);
    };
    if depth > 16 {
        return Err(base.error("'extends' is nested too deeply (a cycle?)"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let base_path = node_path(&base, dir)?;
    if !base_path.exists() {
        return Err(base.error(format!(
            "the configuration it extends, {}, does not exist",
            base_path.display()
        )));
    }
    let mut tree = load_tree(&base_path, depth + 1)?;
    if let Some(e) = n.entries_mut() {
        e.retain(|(k, _)| k.name != "extends");
    }
    cortado_params::deep_merge(&mut tree, n);
    Ok(tree)
}

/// Loads an analysis configuration file.
pub fn load(path: &Path) -> Result<AnalysisConfig, ConfigError> {
    load_with(path, &[])
}

/// Loads an analysis configuration file whose `calibrators:` may also name
/// `user_calibrators` (calibrators a binary built on cortado adds).
pub fn load_with(path: &Path, user_calibrators: &[String]) -> Result<AnalysisConfig, ConfigError> {
    from_node_with(load_tree(path, 0)?, path, user_calibrators)
}

/// The configuration from a YAML tree already read, as if it were the file at
/// `path` (paths in it resolve against that file's folder; `extends` is not
/// followed). For tools, and for fuzzing without files.
pub fn from_node(raw: Node, path: &Path) -> Result<AnalysisConfig, ConfigError> {
    from_node_with(raw, path, &[])
}

/// [`from_node`] with the names of user calibrators ([`load_with`]).
pub fn from_node_with(
    raw: Node,
    path: &Path,
    user_calibrators: &[String],
) -> Result<AnalysisConfig, ConfigError> {
    raw.check_keys(TOP_KEYS, "the analysis configuration")?;
    let dir = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();

    // ---- parameters
    let mut res = Resolvers::new();
    res.register_dir("config_dir", &dir);
    let mut params_files = Vec::new();
    if let Some(p) = raw.get("parameters") {
        let files_node =
            match &p.value {
                Value::Seq(_) => Some(p),
                Value::Map(_) => {
                    p.check_keys(&["files", "dirs"], "'parameters'")?;
                    if let Some(d) = p.get("dirs") {
                        for (k, v) in d.as_map()? {
                            res.register_dir(&k.name, node_path(v, &dir)?);
                        }
                    }
                    p.get("files")
                }
                Value::Null => None,
                _ => return Err(p.error(
                    "'parameters' is a list of YAML files, or {files: [...], dirs: {name: folder}}",
                )),
            };
        if let Some(f) = files_node {
            for n in f.as_seq()? {
                let fp = node_path(n, &dir)?;
                if !fp.exists() {
                    return Err(n.error(format!("parameter file {} does not exist", fp.display())));
                }
                params_files.push(fp);
            }
        }
    }
    let mut params = Parameters::defaults(&res)?;
    for f in &params_files {
        params.merge_file(f)?;
    }
    let params = params.resolve(&res)?;

    // ---- datasets
    let ds_node = raw.req("datasets")?;
    ds_node.check_keys(&["jsons", "filter", "subsamples"], "'datasets'")?;
    let mut all = Vec::new();
    for j in ds_node.req("jsons")?.as_seq()? {
        let fp = node_path(j, &dir)?;
        if !fp.exists() {
            return Err(j.error(format!("fileset {} does not exist", fp.display())));
        }
        for d in read_fileset(&fp)? {
            if let Some(prev) = all.iter().find(|x: &&crate::Dataset| x.name == d.name) {
                let _ = prev;
                return Err(j.error(format!("dataset '{}' is defined twice", d.name)));
            }
            all.push(d);
        }
    }
    let filter = match ds_node.get("filter") {
        Some(f) if f.value != Value::Null => {
            f.check_keys(
                &["samples", "samples_exclude", "year"],
                "the dataset filter",
            )?;
            Filter {
                samples: f.get("samples").map(|v| v.as_str_list()).transpose()?,
                samples_exclude: f
                    .get("samples_exclude")
                    .map(|v| v.as_str_list())
                    .transpose()?
                    .unwrap_or_default(),
                year: f.get("year").map(|v| v.as_str_list()).transpose()?,
            }
        }
        _ => Filter::default(),
    };
    let datasets = filter.apply(all, ds_node)?;
    let samples: Vec<String> = {
        let mut s: Vec<String> = datasets.iter().map(|d| d.sample.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let mut subsamples = BTreeMap::new();
    {
        for (k, v) in known_entries(ds_node.get("subsamples"), &samples, "subsamples", "sample")? {
            let mut subs = Vec::new();
            for (sk, sv) in v.as_map()? {
                subs.push((
                    sk.name.clone(),
                    parse_cuts(sv, &format!("subsample {}__{}", k.name, sk.name))?,
                ));
            }
            subsamples.insert(k.name.clone(), subs);
        }
    }

    // ---- workflow definitions
    let mut definitions = Vec::new();
    if let Some(w) = raw.get("workflow").filter(|n| n.value != Value::Null) {
        w.check_keys(
            &["objects", "counts", "variables", "variables_after_presel"],
            "'workflow'",
        )?;
        for (key, stage) in [
            ("objects", Stage::Objects),
            ("counts", Stage::Counts),
            ("variables", Stage::BeforePresel),
            ("variables_after_presel", Stage::AfterPresel),
        ] {
            if let Some(m) = w.get(key).filter(|n| n.value != Value::Null) {
                for (k, v) in m.as_map()? {
                    definitions.push(Definition {
                        name: k.name.clone(),
                        expr: expr_src(v)?,
                        stage,
                    });
                }
            }
        }
    }

    let skim = raw
        .get("skim")
        .map(|n| parse_cuts(n, "skim"))
        .transpose()?
        .unwrap_or_default();
    let preselections = raw
        .get("preselections")
        .map(|n| parse_cuts(n, "preselections"))
        .transpose()?
        .unwrap_or_default();
    let categories = match raw.get("categories").filter(|n| n.value != Value::Null) {
        None => Categories::Standard(vec![("baseline".into(), vec![passthrough()])]),
        Some(c) => parse_categories(c)?,
    };
    let cat_names: Vec<String> = categories.expanded().into_iter().map(|(n, _)| n).collect();
    {
        let mut seen = std::collections::BTreeSet::new();
        for n in &cat_names {
            if !seen.insert(n) {
                return Err(raw
                    .get("categories")
                    .unwrap_or(&raw)
                    .error(format!("category '{n}' is defined twice")));
            }
        }
    }

    // ---- weights
    let custom_weights = crate::weights::custom_weights(&raw)?;
    use crate::weights::{check_weights, parse_weights};
    let weight_names: Vec<String> = BUILTIN_WEIGHTS
        .iter()
        .map(|s| s.to_string())
        .chain(custom_weights.keys().cloned())
        .collect();
    let all_samples: Vec<String> = samples
        .iter()
        .cloned()
        .chain(
            subsamples
                .iter()
                .flat_map(|(s, subs)| subs.iter().map(move |(n, _)| format!("{s}__{n}"))),
        )
        .collect();
    let weights = match raw.get("weights").filter(|n| n.value != Value::Null) {
        Some(w) => parse_weights(w, &weight_names, &cat_names, &all_samples, "weights")?,
        None => WeightsConfig::default(),
    };
    let mut weight_variations = WeightsConfig::default();
    let mut shape_variations = WeightsConfig::default();
    let calibrators =
        crate::calibrators::parse_calibrators(raw.get("calibrators"), user_calibrators)?;
    if let Some(v) = raw.get("variations").filter(|n| n.value != Value::Null) {
        v.check_keys(&["weights", "shape"], "'variations'")?;
        if let Some(w) = v.get("weights").filter(|n| n.value != Value::Null) {
            weight_variations = parse_weights(
                w,
                &weight_names,
                &cat_names,
                &all_samples,
                "variations.weights",
            )?;
        }
        if let Some(s) = v.get("shape").filter(|n| n.value != Value::Null) {
            shape_variations = parse_weights(s, &[], &cat_names, &samples, "variations.shape")?;
        }
    }
    crate::calibrators::check_shape_variations(
        &shape_variations,
        &calibrators,
        user_calibrators,
        raw.get("variations"),
    )?;
    check_weights(
        &weights,
        &weight_variations,
        &custom_weights,
        raw.get("variations"),
    )?;

    // ---- histograms
    let mut histograms = Vec::new();
    if let Some(h) = raw.get("histograms").filter(|n| n.value != Value::Null) {
        for (k, v) in h.as_map()? {
            for hd in parse_histogram(&k.name, v)? {
                if histograms
                    .iter()
                    .any(|x: &crate::HistDef| x.name == hd.name)
                {
                    let hint = if v.get("factory").is_some() {
                        " (histogram factories name their histograms {name}_{field}[_{pos+1}] \
                         after their `name` option, by default the collection, as in \
                         PocketCoffea; give `name:` to tell two calls apart)"
                    } else {
                        ""
                    };
                    return Err(v.error(format!("histogram '{}' is defined twice{hint}", hd.name)));
                }
                for (key, list, known) in [
                    ("only_categories", &hd.only_categories, &cat_names),
                    ("exclude_categories", &hd.exclude_categories, &cat_names),
                    ("only_samples", &hd.only_samples, &samples),
                    ("exclude_samples", &hd.exclude_samples, &samples),
                ] {
                    for x in list.iter().flatten() {
                        if !known.contains(x) {
                            let at = v.get(key).unwrap_or(v);
                            return Err(at
                                .error(format!(
                                    "histogram '{}': {key} names unknown '{x}'",
                                    hd.name
                                ))
                                .with_suggestions(x, known.iter().map(String::as_str)));
                        }
                    }
                }
                histograms.push(hd);
            }
        }
    }

    // ---- columns
    let columns = match raw.get("columns").filter(|n| n.value != Value::Null) {
        Some(c) => parse_columns(c, &cat_names, &all_samples)?,
        None => ColumnsConfig::default(),
    };

    Ok(AnalysisConfig {
        path: path.to_path_buf(),
        dir,
        params,
        params_files,
        datasets,
        subsamples,
        definitions,
        skim,
        preselections,
        categories,
        weights,
        custom_weights,
        weight_variations,
        calibrators,
        shape_variations,
        histograms,
        columns,
        workflow_options: raw
            .get("workflow_options")
            .cloned()
            .unwrap_or_else(Node::empty_map),
        raw,
    })
}

pub(crate) fn expr_src(n: &Node) -> Result<ExprSrc, ConfigError> {
    let text = match &n.value {
        Value::Str(s) => s.clone(),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => n.as_text()?,
        _ => return Err(n.error(format!("expected an expression (text), found {}", n.kind()))),
    };
    Ok(ExprSrc {
        text,
        pos: n.pos.clone(),
    })
}

fn passthrough() -> CutDef {
    CutDef {
        name: "passthrough".into(),
        expr: ExprSrc {
            text: "passthrough()".into(),
            pos: None,
        },
        params: None,
    }
}

/// One cut: an expression string, or `{name, expr, params}`.
fn parse_cut(n: &Node) -> Result<CutDef, ConfigError> {
    match &n.value {
        Value::Str(s) => {
            let text = if [
                "passthrough",
                "eventFlags",
                "goldenJson",
                "event_flags",
                "golden_json",
            ]
            .contains(&s.trim())
            {
                format!("{}()", s.trim())
            } else {
                s.clone()
            };
            Ok(CutDef {
                name: s.trim().to_string(),
                expr: ExprSrc {
                    text,
                    pos: n.pos.clone(),
                },
                params: None,
            })
        }
        Value::Map(_) => {
            n.check_keys(&["name", "expr", "params"], "a cut")?;
            let expr = expr_src(n.req("expr")?)?;
            Ok(CutDef {
                name: n
                    .get("name")
                    .map(|v| v.as_text())
                    .transpose()?
                    .unwrap_or_else(|| expr.text.clone()),
                expr,
                params: n.get("params").cloned(),
            })
        }
        _ => Err(n.error(format!(
            "a cut is an expression or {{name, expr, params}}, found {}",
            n.kind()
        ))),
    }
}

fn parse_cuts(n: &Node, what: &str) -> Result<Vec<CutDef>, ConfigError> {
    match &n.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items.iter().map(parse_cut).collect(),
        Value::Str(_) | Value::Map(_) => Ok(vec![parse_cut(n)?]),
        _ => Err(n.error(format!("{what}: expected a list of cuts"))),
    }
}

fn parse_categories(c: &Node) -> Result<Categories, ConfigError> {
    if let Some(cart) = c.get("cartesian") {
        if c.as_map()?.len() != 1 {
            return Err(c.error("with 'cartesian', 'categories' holds nothing else"));
        }
        cart.check_keys(&["multicuts", "common"], "the cartesian categories")?;
        let mut multicuts = Vec::new();
        for m in cart.req("multicuts")?.as_seq()? {
            m.check_keys(&["name", "cuts", "names"], "a multicut")?;
            let cuts = parse_cuts(m.req("cuts")?, "multicut")?;
            let names = match m.get("names") {
                Some(n) => n.as_str_list()?,
                None => cuts.iter().map(|c| c.name.clone()).collect(),
            };
            if names.len() != cuts.len() {
                return Err(m.error(format!(
                    "a multicut has {} cuts but {} names",
                    cuts.len(),
                    names.len()
                )));
            }
            multicuts.push(MultiCut {
                name: m.req("name")?.as_text()?,
                bins: names.into_iter().zip(cuts).collect(),
            });
        }
        let mut common = Vec::new();
        if let Some(cm) = cart.get("common").filter(|n| n.value != Value::Null) {
            for (k, v) in cm.as_map()? {
                common.push((
                    k.name.clone(),
                    parse_cuts(v, &format!("category {}", k.name))?,
                ));
            }
        }
        return Ok(Categories::Cartesian { multicuts, common });
    }
    let mut out = Vec::new();
    for (k, v) in c.as_map()? {
        out.push((
            k.name.clone(),
            parse_cuts(v, &format!("category {}", k.name))?,
        ));
    }
    Ok(Categories::Standard(out))
}

fn colouts(n: &Node) -> Result<Vec<ColOut>, ConfigError> {
    let mut out = Vec::new();
    for c in n.as_seq()? {
        c.check_keys(
            &[
                "collection",
                "columns",
                "flatten",
                "store_size",
                "fill_none",
                "fill_value",
                "pos_start",
                "pos_end",
            ],
            "a column set",
        )?;
        out.push(ColOut {
            collection: c.req("collection")?.as_text()?,
            columns: c.req("columns")?.as_str_list()?,
            flatten: c
                .get("flatten")
                .map(|b| b.as_bool())
                .transpose()?
                .unwrap_or(true),
            store_size: c
                .get("store_size")
                .map(|b| b.as_bool())
                .transpose()?
                .unwrap_or(true),
            fill_none: c
                .get("fill_none")
                .map(|b| b.as_bool())
                .transpose()?
                .unwrap_or(true),
            fill_value: c
                .get("fill_value")
                .map(|b| b.as_f64())
                .transpose()?
                .unwrap_or(-999.0),
            pos_start: c
                .get("pos_start")
                .filter(|x| x.value != Value::Null)
                .map(|b| b.as_i64())
                .transpose()?,
            pos_end: c
                .get("pos_end")
                .filter(|x| x.value != Value::Null)
                .map(|b| b.as_i64())
                .transpose()?,
        });
    }
    Ok(out)
}

/// The entries of an optional mapping (`key: null` or absent: none) whose
/// keys must be among `known`; an unknown key is an error at its line, with
/// the closest known names (`"{what}: unknown {kind} 'x'"`).
pub(crate) fn known_entries<'a>(
    n: Option<&'a Node>,
    known: &[String],
    what: &str,
    kind: &str,
) -> Result<&'a [(cortado_yaml::Key, Node)], ConfigError> {
    let Some(n) = n.filter(|x| x.value != Value::Null) else {
        return Ok(&[]);
    };
    let entries = n.as_map()?;
    for (k, _) in entries {
        if !known.contains(&k.name) {
            return Err(ConfigError::new(
                k.pos.clone(),
                format!("{what}: unknown {kind} '{}'", k.name),
            )
            .with_suggestions(&k.name, known.iter().map(String::as_str)));
        }
    }
    Ok(entries)
}

fn colset(n: &Node, cats: &[String], what: &str) -> Result<crate::ColumnSet, ConfigError> {
    n.check_keys(&["inclusive", "bycategory"], what)?;
    let inc = n
        .get("inclusive")
        .filter(|x| x.value != Value::Null)
        .map(colouts)
        .transpose()?
        .unwrap_or_default();
    let mut by = BTreeMap::new();
    {
        for (k, v) in known_entries(n.get("bycategory"), cats, what, "category")? {
            by.insert(k.name.clone(), colouts(v)?);
        }
    }
    Ok((inc, by))
}

fn parse_columns(
    n: &Node,
    cats: &[String],
    samples: &[String],
) -> Result<ColumnsConfig, ConfigError> {
    n.check_keys(&["common", "bysample"], "'columns'")?;
    let common = n
        .get("common")
        .filter(|x| x.value != Value::Null)
        .map(|c| colset(c, cats, "columns.common"))
        .transpose()?
        .unwrap_or_default();
    let mut bysample = BTreeMap::new();
    {
        for (k, v) in known_entries(n.get("bysample"), samples, "columns.bysample", "sample")? {
            bysample.insert(k.name.clone(), colset(v, cats, "columns.bysample")?);
        }
    }
    Ok(ColumnsConfig { common, bysample })
}
