//! What a run is made of before any event is read: the request's options
//! over the run-options file, the datasets the filters keep, the
//! fingerprints of the analysis and of the run, the configuration dump and
//! the groups of datasets that get one output each.

use cortado_config::run_options::{load_run_options, RunOptionsFile};
use cortado_config::AnalysisConfig;
use serde_json::{json, Value};

use super::{Executor, RunRequest};
use crate::batch::jobs::Filters;
use crate::checkpoint;
use crate::ext::Extensions;
use crate::output::provenance::AnalysisFingerprint;
use crate::plan::DatasetPlan;
use crate::run::RunOptions;

/// The run options: the run-options file (if any) with the request over it.
pub fn run_options(req: &RunRequest) -> Result<(RunOptionsFile, RunOptions), String> {
    let file = match &req.run_options {
        Some(p) => load_run_options(p).map_err(|e| e.to_string())?,
        None => RunOptionsFile::default(),
    };
    let limit = |flag: Option<usize>, file: Option<usize>| {
        flag.or(file).or(if req.test { Some(2) } else { None })
    };
    let opts = RunOptions {
        chunksize: req.chunksize.unwrap_or(file.chunksize).max(1),
        limit_files: limit(req.limit_files, file.limit_files),
        limit_chunks: limit(req.limit_chunks, file.limit_chunks),
        sequential: req.executor == Executor::Iterative,
        skip_bad_files: req.skip_bad_files || file.skip_bad_files,
        retries: req.retries.unwrap_or(file.retries),
        read_only: req.read_only,
        cache: match &req.cache {
            Some((dir, limit)) => Some(std::sync::Arc::new(cortado_cache::ColumnCache::open(
                dir, *limit,
            )?)),
            None => None,
        },
    };
    Ok((file, opts))
}

/// Keeps the datasets the filters name; unknown names are errors.
pub fn filter_datasets(cfg: &mut AnalysisConfig, f: &Filters) -> Result<(), String> {
    let check = |wanted: &[String], known: Vec<String>, what: &str| -> Result<(), String> {
        for w in wanted {
            if !known.contains(w) {
                let hint = cortado_yaml::did_you_mean(w, known.iter().map(String::as_str));
                return Err(format!(
                    "--filter-{what}s: no {what} '{w}' in the configuration{hint} (known: {})",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    };
    let uniq = |f: &dyn Fn(&cortado_config::Dataset) -> String| -> Vec<String> {
        let mut v: Vec<String> = cfg.datasets.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    check(&f.years, uniq(&|d| d.year.clone()), "year")?;
    check(&f.samples, uniq(&|d| d.sample.clone()), "sample")?;
    check(&f.datasets, uniq(&|d| d.name.clone()), "dataset")?;
    cfg.datasets.retain(|d| {
        (f.years.is_empty() || f.years.contains(&d.year))
            && (f.samples.is_empty() || f.samples.contains(&d.sample))
            && (f.datasets.is_empty() || f.datasets.contains(&d.name))
    });
    if cfg.datasets.is_empty() {
        return Err("the --filter-* options leave no dataset to process".into());
    }
    Ok(())
}

/// The fingerprints of what gives the histograms their meaning: the
/// configuration without its choice of datasets, the parameters, and the
/// Rust code (functions, workflow hooks) of the program.
pub fn analysis_fingerprint(cfg: &AnalysisConfig, ext: &Extensions) -> AnalysisFingerprint {
    let mut raw = yaml_to_json(&cfg.raw);
    if let Some(m) = raw.as_object_mut() {
        m.remove("datasets");
    }
    let code = json!({
        "functions": ext.functions.names(),
        "workflow": ext.workflow.name(),
    });
    AnalysisFingerprint {
        configuration: checkpoint::fingerprint(&raw.to_string()),
        parameters: checkpoint::fingerprint(&cfg.params.to_yaml()),
        code: checkpoint::fingerprint(&code.to_string()),
    }
}

/// The fingerprint of what determines a run's result: the analysis, its
/// datasets and files, the chunking and cortado's version (checked by
/// `--resume`, by batch jobs and by the readers of an output folder).
pub fn run_fingerprint(
    cfg: &AnalysisConfig,
    plans: &[DatasetPlan],
    opts: &RunOptions,
    ext: &Extensions,
) -> String {
    let text = json!({
        "cortado": env!("CARGO_PKG_VERSION"),
        "config": config_dump(cfg, plans),
        "parameters": cfg.params.to_yaml(),
        "chunksize": opts.chunksize,
        "limit_files": opts.limit_files,
        "limit_chunks": opts.limit_chunks,
        "functions": ext.functions.names(),
        "workflow": ext.workflow.name(),
    });
    checkpoint::fingerprint(&text.to_string())
}

/// `config.json` of an output folder: the configuration, its datasets as
/// planned (files, branches read, categories, histograms, variations).
pub fn config_dump(cfg: &AnalysisConfig, plans: &[DatasetPlan]) -> Value {
    let datasets: Vec<Value> = plans
        .iter()
        .map(|p| {
            json!({
                "name": p.dataset.name,
                "sample": p.dataset.sample,
                "year": p.dataset.year,
                "isMC": p.dataset.is_mc,
                "files": p.dataset.files,
                "metadata": p.dataset.metadata,
                "branches_read": p.branches,
                "categories": p.categories.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "subsamples": p.subsamples.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "histograms": p.hists.iter().map(|h| &h.def.name).collect::<Vec<_>>(),
                "weight_variations": p.weights.variations.keys().collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "cortado_version": env!("CARGO_PKG_VERSION"),
        "configuration_file": cfg.path.display().to_string(),
        "parameter_files": cfg.params_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "configuration": yaml_to_json(&cfg.raw),
        "datasets": datasets,
    })
}

/// A YAML tree as JSON.
pub fn yaml_to_json(n: &cortado_yaml::Node) -> Value {
    use cortado_yaml::Value as V;
    match &n.value {
        V::Null | V::Missing => Value::Null,
        V::Bool(b) => (*b).into(),
        V::Int(i) => (*i).into(),
        V::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        V::Str(s) => s.clone().into(),
        V::Seq(items) => items.iter().map(yaml_to_json).collect(),
        V::Map(m) => m
            .iter()
            .map(|(k, v)| (k.name.clone(), yaml_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// One output of a run: its name and its datasets.
#[derive(Clone, Debug)]
pub struct Group {
    /// `all`, a dataset's name, or a group of `group-samples`.
    pub name: String,
    /// Its datasets.
    pub plans: Vec<DatasetPlan>,
}

/// The groups of a run: one (`all`), or with `separately` one per group of
/// samples (`group-samples`) and one per remaining dataset.
pub fn groups(plans: &[DatasetPlan], file: &RunOptionsFile, separately: bool) -> Vec<Group> {
    if !separately {
        return vec![Group {
            name: "all".into(),
            plans: plans.to_vec(),
        }];
    }
    let mut out: Vec<Group> = Vec::new();
    let mut used = vec![false; plans.len()];
    for (g, samples) in &file.group_samples {
        let members: Vec<DatasetPlan> = plans
            .iter()
            .enumerate()
            .filter(|(_, p)| samples.contains(&p.dataset.sample))
            .map(|(i, p)| {
                used[i] = true;
                p.clone()
            })
            .collect();
        if !members.is_empty() {
            out.push(Group {
                name: g.clone(),
                plans: members,
            });
        }
    }
    for (i, p) in plans.iter().enumerate() {
        if !used[i] {
            out.push(Group {
                name: p.dataset.name.clone(),
                plans: vec![p.clone()],
            });
        }
    }
    out
}
