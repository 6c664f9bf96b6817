//! Datasets from PocketCoffea fileset JSON files
//! (`{dataset: {"metadata": {...strings...}, "files": [...]}}`).

use std::collections::BTreeMap;
use std::path::Path;

use cortado_yaml::{ConfigError, Node, Pos, Value};

/// One dataset: its files and metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Dataset name (the fileset key).
    pub name: String,
    /// Sample the dataset belongs to.
    pub sample: String,
    /// Data-taking year.
    pub year: String,
    /// Simulation (true) or data.
    pub is_mc: bool,
    /// Cross section in pb (simulation).
    pub xsec: Option<f64>,
    /// Era (data).
    pub era: Option<String>,
    /// Primary dataset (data).
    pub primary_dataset: Option<String>,
    /// Sample part.
    pub part: Option<String>,
    /// Files (paths resolved against the fileset JSON's folder, or URLs).
    pub files: Vec<String>,
    /// All metadata, as strings (as PocketCoffea writes them).
    pub metadata: BTreeMap<String, String>,
    /// Where the dataset is defined.
    pub pos: Option<Pos>,
}

/// Reads the datasets of a fileset JSON (strict JSON: a trailing comma or a
/// comment is an error with its line and column; a `.yaml`/`.yml` fileset is YAML).
pub fn read_fileset(path: &Path) -> Result<Vec<Dataset>, ConfigError> {
    let node = crate::files::read_json(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (k, v) in node.as_map()? {
        v.check_keys(&["metadata", "files"], &format!("dataset '{}'", k.name))?;
        let meta_node = v.req("metadata")?;
        let mut metadata = BTreeMap::new();
        for (mk, mv) in meta_node.as_map()? {
            let text = match &mv.value {
                Value::Seq(_) | Value::Map(_) => format!("{:?}", cortado_yaml::to_yaml(mv).trim()),
                _ => mv.as_text()?,
            };
            metadata.insert(mk.name.clone(), text);
        }
        let get = |key: &str| metadata.get(key).cloned();
        let need = |key: &str| -> Result<String, ConfigError> {
            get(key).ok_or_else(|| {
                meta_node.error(format!("dataset '{}': metadata needs '{key}'", k.name))
            })
        };
        let is_mc = match need("isMC")?.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(meta_node.error(format!(
                    "dataset '{}': isMC must be True or False, not '{other}'",
                    k.name
                )))
            }
        };
        let xsec = if is_mc {
            let x = need("xsec")?;
            Some(x.trim().parse::<f64>().map_err(|_| {
                meta_node.error(format!("dataset '{}': xsec '{x}' is not a number", k.name))
            })?)
        } else {
            None
        };
        let files = v
            .req("files")?
            .as_seq()?
            .iter()
            .map(|f| {
                let s = f.as_str()?.to_string();
                Ok(if s.contains("://") || Path::new(&s).is_absolute() {
                    s
                } else {
                    base.join(&s).display().to_string()
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        if files.is_empty() {
            return Err(v.error(format!("dataset '{}' has no files", k.name)));
        }
        out.push(Dataset {
            name: k.name.clone(),
            sample: need("sample")?,
            year: need("year")?,
            is_mc,
            xsec,
            era: get("era"),
            primary_dataset: get("primaryDataset"),
            part: get("part"),
            files,
            metadata,
            pos: k.pos.clone(),
        });
    }
    Ok(out)
}

/// The dataset filter of the configuration (all conditions ANDed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Keep only these samples.
    pub samples: Option<Vec<String>>,
    /// Drop these samples.
    pub samples_exclude: Vec<String>,
    /// Keep only these years.
    pub year: Option<Vec<String>>,
}

impl Filter {
    /// Applies the filter; an empty result is an error that lists what exists.
    pub fn apply(&self, all: Vec<Dataset>, at: &Node) -> Result<Vec<Dataset>, ConfigError> {
        let samples: Vec<String> = {
            let mut s: Vec<String> = all.iter().map(|d| d.sample.clone()).collect();
            s.sort();
            s.dedup();
            s
        };
        if let Some(want) = &self.samples {
            for w in want {
                if !samples.contains(w) {
                    return Err(at
                        .error(format!(
                            "the filter asks for sample '{w}', which no fileset defines"
                        ))
                        .with_suggestions(w, samples.iter().map(String::as_str)));
                }
            }
        }
        let kept: Vec<Dataset> = all
            .into_iter()
            .filter(|d| self.samples.as_ref().is_none_or(|s| s.contains(&d.sample)))
            .filter(|d| !self.samples_exclude.contains(&d.sample))
            .filter(|d| self.year.as_ref().is_none_or(|y| y.contains(&d.year)))
            .collect();
        if kept.is_empty() {
            return Err(at.error(format!(
                "no dataset passes the filter (samples {:?}, excluded {:?}, years {:?}); the filesets have samples {}",
                self.samples.as_deref().unwrap_or(&[]),
                self.samples_exclude,
                self.year.as_deref().unwrap_or(&[]),
                samples.join(", ")
            )));
        }
        Ok(kept)
    }
}
