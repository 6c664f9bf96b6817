//! Parameters as PocketCoffea has them: a tree of YAML defaults shipped with
//! cortado (the same key paths and values as PocketCoffea 0.9.13), user YAML
//! files merged over it, and OmegaConf-style interpolation:
//!
//! - `${a.b.c}` (absolute), `${.x}` / `${..x}` (relative to the containing node);
//! - resolvers `${default_params_dir:}`, `${pico_to_femto:x}`, `${cvmfs:period,group,file[,tag]}`,
//!   `${oc.env:VAR[,default]}` and user-registered directories (`${config_dir:}`);
//! - `???` marks a mandatory value: it stays in the tree and is an error when used.
//!
//! ```
//! use cortado_params::{Parameters, Resolvers};
//! let res = Resolvers::new();
//! let mut p = Parameters::defaults(&res).unwrap();
//! p.merge_str("object_preselection: {Muon: {pt: 15}}\n", "user.yaml").unwrap();
//! let p = p.resolve(&res).unwrap();
//! assert_eq!(p.get("lumi.picobarns.2018.tot").unwrap().as_f64().unwrap(), 59832.47534);
//! ```

mod defaults;
mod interpolate;
mod pieces;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cortado_yaml::{ConfigError, Node, Value};

pub use defaults::default_params_dir;

/// Named resolvers that return directories (`${config_dir:}`), plus the built-in ones.
#[derive(Clone, Debug, Default)]
pub struct Resolvers {
    dirs: BTreeMap<String, PathBuf>,
}

impl Resolvers {
    /// The built-in resolvers only.
    pub fn new() -> Resolvers {
        Resolvers::default()
    }

    /// Registers `${name:}` → `dir` (PocketCoffea's `register_configuration_dir`).
    pub fn register_dir(&mut self, name: &str, dir: impl Into<PathBuf>) {
        self.dirs.insert(name.to_string(), dir.into());
    }

    /// The directory of a registered resolver.
    pub fn dir(&self, name: &str) -> Option<&Path> {
        self.dirs.get(name).map(PathBuf::as_path)
    }

    /// Names of all resolvers (for suggestions).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = ["default_params_dir", "pico_to_femto", "cvmfs", "oc.env"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(self.dirs.keys().cloned());
        v
    }
}

/// A parameter tree (resolved or not).
#[derive(Clone, Debug)]
pub struct Parameters {
    root: Node,
}

impl Parameters {
    /// An empty tree.
    pub fn empty() -> Parameters {
        Parameters {
            root: Node::empty_map(),
        }
    }

    /// The shipped defaults, merged and resolved as PocketCoffea's
    /// `get_default_parameters()` does.
    pub fn defaults(res: &Resolvers) -> Result<Parameters, ConfigError> {
        // the shipped files are parsed once per process
        static RAW: std::sync::OnceLock<Result<Node, ConfigError>> = std::sync::OnceLock::new();
        let root = RAW
            .get_or_init(|| {
                let mut root = Node::empty_map();
                for (name, text) in defaults::YAML_FILES {
                    let n = cortado_yaml::load_str(text, &format!("<cortado defaults>/{name}"))?;
                    deep_merge(&mut root, n);
                }
                Ok(root)
            })
            .clone()?;
        Parameters { root }.resolve(res)
    }

    /// Wraps a tree.
    pub fn from_node(root: Node) -> Parameters {
        Parameters { root }
    }

    /// The tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The node at a dotted path.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.root.path(path)
    }

    /// The node at a dotted path, or an error naming the closest existing keys.
    pub fn require(&self, path: &str) -> Result<&Node, ConfigError> {
        let n = self.root.lookup(path).map_err(|m| {
            ConfigError::new(
                m.pos.clone(),
                format!(
                    "parameter '{path}' not found: {}",
                    m.describe("the parameters")
                ),
            )
            .with_suggestions(&m.key, m.known.iter().map(String::as_str))
        })?;
        if n.value == Value::Missing {
            return Err(n.error(format!(
                "parameter '{path}' is mandatory (???) and has not been set: give it in a parameters file"
            )));
        }
        Ok(n)
    }

    /// Merges a YAML file over this tree with `update=True` semantics
    /// (PocketCoffea's `merge_parameters_from_files`).
    pub fn merge_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let n = cortado_yaml::load_file(path)?;
        self.merge_update(n)
    }

    /// Merges YAML text over this tree (`update=True`).
    pub fn merge_str(&mut self, text: &str, name: &str) -> Result<(), ConfigError> {
        let n = cortado_yaml::load_str(text, name)?;
        self.merge_update(n)
    }

    /// `merge_parameters(main, conf, update=True)`: for each top-level key of
    /// `conf`, mappings are merged recursively, everything else replaced.
    pub fn merge_update(&mut self, conf: Node) -> Result<(), ConfigError> {
        let Value::Map(entries) = conf.value else {
            return Err(ConfigError::new(
                conf.pos,
                "a parameters file must hold a mapping at its top level",
            ));
        };
        for (k, v) in entries {
            match self.root.get_mut(&k.name) {
                Some(existing) => deep_merge(existing, v),
                None => self.root.set(&k.name, v),
            }
        }
        Ok(())
    }

    /// `merge_parameters(main, conf, update=False)`: each top-level key of
    /// `conf` replaces the whole subtree.
    pub fn merge_replace(&mut self, conf: Node) -> Result<(), ConfigError> {
        let Value::Map(entries) = conf.value else {
            return Err(ConfigError::new(
                conf.pos,
                "a parameters file must hold a mapping at its top level",
            ));
        };
        for (k, v) in entries {
            self.root.set(&k.name, v);
        }
        Ok(())
    }

    /// Resolves every interpolation; `???` values stay (they fail when used).
    pub fn resolve(&self, res: &Resolvers) -> Result<Parameters, ConfigError> {
        Ok(Parameters {
            root: interpolate::resolve_tree(&self.root, res)?,
        })
    }

    /// The tree as YAML (for `parameters_dump.yaml`).
    pub fn to_yaml(&self) -> String {
        cortado_yaml::to_yaml(&self.root)
    }
}

/// OmegaConf merge: mappings merge key by key (recursively); any other value
/// (scalar, list, or a mapping over a non-mapping) replaces.
pub fn deep_merge(dst: &mut Node, src: Node) {
    match (&mut dst.value, src.value) {
        (Value::Map(d), Value::Map(s)) => {
            // where each key is (first occurrence), so that large mappings merge in linear time
            let mut at: HashMap<String, usize> = HashMap::with_capacity(d.len() + s.len());
            for (i, (k, _)) in d.iter().enumerate() {
                at.entry(k.name.clone()).or_insert(i);
            }
            for (k, v) in s {
                match at.get(&k.name) {
                    Some(&i) => deep_merge(&mut d[i].1, v),
                    None => {
                        at.insert(k.name.clone(), d.len());
                        d.push((k, v));
                    }
                }
            }
        }
        (_, v) => {
            dst.value = v;
            dst.pos = src.pos;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_pocketcoffea_values() {
        let res = Resolvers::new();
        let p = Parameters::defaults(&res).unwrap();
        assert_eq!(
            p.require("lumi.picobarns.2018.tot")
                .unwrap()
                .as_f64()
                .unwrap(),
            59832.47534
        );
        assert_eq!(
            p.require("btagging.working_point.2018.btagging_WP.M")
                .unwrap()
                .as_f64()
                .unwrap(),
            0.2783
        );
        assert_eq!(
            p.require("default_nano_version.2018")
                .unwrap()
                .as_i64()
                .unwrap(),
            9
        );
        let flags = p
            .require("event_flags.2018")
            .unwrap()
            .as_str_list()
            .unwrap();
        assert!(
            flags.contains(&"goodVertices".to_string())
                && flags.contains(&"BadPFMuonFilter".to_string())
        );
        assert_eq!(
            p.require("event_flags_data.2018")
                .unwrap()
                .as_str_list()
                .unwrap(),
            vec!["eeBadScFilter"]
        );
        let golden = p
            .require("lumi.goldenJSON.2018")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            golden.ends_with("datacert/Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt"),
            "{golden}"
        );
        assert!(Path::new(&golden).exists(), "{golden} must exist on disk");
        // pico_to_femto through a nested interpolation
        let fb = p
            .require("plotting_style.plot_upper_label.by_year.2018")
            .unwrap()
            .as_f64()
            .unwrap();
        assert!((fb - 59.83247534).abs() < 1e-12, "{fb}");
        // cvmfs paths are formatted, not checked
        let pu = p
            .require("pileupJSONfiles.2018.file")
            .unwrap()
            .as_str()
            .unwrap();
        assert!(
            pu.starts_with("/cvmfs/cms-griddata.cern.ch/cat/metadata/LUM/"),
            "{pu}"
        );
    }

    #[test]
    fn update_merge_semantics() {
        let mut p = Parameters::from_node(
            cortado_yaml::load_str("a: {x: 1, y: {z: 2}, l: [1, 2]}\nb: 3\n", "main").unwrap(),
        );
        p.merge_str("a: {y: {w: 4}, l: [9]}\nc: 5\n", "user")
            .unwrap();
        let r = p.resolve(&Resolvers::new()).unwrap();
        assert_eq!(r.require("a.x").unwrap().as_i64().unwrap(), 1);
        assert_eq!(r.require("a.y.z").unwrap().as_i64().unwrap(), 2);
        assert_eq!(r.require("a.y.w").unwrap().as_i64().unwrap(), 4);
        assert_eq!(r.require("a.l").unwrap().as_seq().unwrap().len(), 1);
        assert_eq!(r.require("c").unwrap().as_i64().unwrap(), 5);
        let mut q =
            Parameters::from_node(cortado_yaml::load_str("a: {x: 1, y: 2}\n", "main").unwrap());
        q.merge_replace(cortado_yaml::load_str("a: {y: 3}\n", "u").unwrap())
            .unwrap();
        assert!(q.get("a.x").is_none());
    }

    #[test]
    fn missing_and_unknown_parameters() {
        let p = Parameters::from_node(
            cortado_yaml::load_str(
                "HLT_triggers:\n  '2017': ???\n  '2018': {SingleMuon: [IsoMu24]}\n",
                "triggers.yaml",
            )
            .unwrap(),
        );
        let e = p.require("HLT_triggers.2017").unwrap_err().to_string();
        assert!(
            e.starts_with("triggers.yaml:2:11:") && e.contains("mandatory"),
            "{e}"
        );
        let e = p
            .require("HLT_triggers.2018.SingleMuom")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean 'SingleMuon'"), "{e}");
    }
}
