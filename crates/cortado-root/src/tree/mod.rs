//! `TTree` access: metadata ([`model`]), basket decoding ([`basket`]) and
//! columnar reads of entry ranges ([`read`]).

pub mod basket;
pub mod model;
pub mod read;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use cortado_source::Source;

use crate::compression::Algorithm;
use crate::error::{Error, Result};
use crate::file::{Key, RootFile};
use crate::rbuf::RBuf;
pub use model::{BasketLoc, Branch, EmbeddedBasket, Leaf, TreeMeta};

/// A tree ready for reading: its metadata, branches flattened (depth first) and
/// indexed by name, and the source its baskets are read from.
#[derive(Debug)]
pub struct Tree {
    meta: TreeMeta,
    branches: Vec<Branch>,
    by_name: HashMap<String, usize>,
    by_leaf: HashMap<String, usize>,
    source: Arc<dyn Source>,
}

impl RootFile {
    /// Opens the tree at `path` (`Events`, `dir/tree`, optional `;cycle`).
    pub fn tree(&self, path: &str) -> Result<Tree> {
        let key = self.key(path)?;
        if !matches!(key.class_name.as_str(), "TTree" | "TNtuple" | "TNtupleD") {
            return Err(Error::not_found(format!(
                "'{path}' in {} is a {}, not a TTree",
                self.location(),
                key.class_name
            )));
        }
        let bytes = self.read_object_bytes(&key)?;
        let meta = parse_tree_object(&key, &bytes).map_err(|e| {
            e.in_object(format!("TTree {}", key.name))
                .at_offset(key.seek_key)
                .in_file(self.location())
        })?;
        Ok(Tree::new(meta, self.source().clone()))
    }

    /// Names of the trees in the top directory (highest cycle of each).
    pub fn tree_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for k in &self.top_dir().keys {
            if k.class_name == "TTree" && !names.contains(&k.name) {
                names.push(k.name.clone());
            }
        }
        names
    }
}

fn parse_tree_object(key: &Key, bytes: &[u8]) -> Result<TreeMeta> {
    if key.class_name == "TTree" {
        model::parse_tree(bytes, key.key_len as u32)
    } else {
        // TNtuple/TNtupleD: a versioned wrapper around the TTree base.
        let mut b = RBuf::new(bytes);
        let h = b.version()?;
        let at = b.pos();
        let _ = h;
        model::parse_tree(&bytes[at..], key.key_len as u32 + at as u32)
    }
}

impl Tree {
    /// Wraps decoded metadata and the source of the baskets.
    pub fn new(mut meta: TreeMeta, source: Arc<dyn Source>) -> Tree {
        fn flatten(bs: Vec<Branch>, out: &mut Vec<Branch>) {
            for mut b in bs {
                let children = std::mem::take(&mut b.children);
                out.push(b);
                flatten(children, out);
            }
        }
        let mut branches = Vec::new();
        flatten(std::mem::take(&mut meta.branches), &mut branches);
        let mut by_name = HashMap::new();
        let mut by_leaf = HashMap::new();
        for (i, b) in branches.iter().enumerate() {
            by_name.entry(b.name.clone()).or_insert(i);
            for l in &b.leaves {
                by_leaf.entry(l.name.clone()).or_insert(i);
            }
        }
        Tree {
            meta,
            branches,
            by_name,
            by_leaf,
            source,
        }
    }

    /// Tree name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// Tree title.
    pub fn title(&self) -> &str {
        &self.meta.title
    }

    /// Number of entries.
    pub fn entries(&self) -> u64 {
        self.meta.entries
    }

    /// The decoded `TTree` metadata (its `branches` are empty: see [`Tree::branches`]).
    pub fn meta(&self) -> &TreeMeta {
        &self.meta
    }

    /// Location of the file the tree is read from.
    pub fn location(&self) -> &str {
        self.source.location()
    }

    /// All branches, depth first.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// The names of the branches this reader can read into columns (those
    /// with a supported leaf type and shape).
    pub fn readable_branches(&self) -> Vec<&str> {
        self.branches
            .iter()
            .filter(|b| self.shape(b).is_ok())
            .map(|b| b.name.as_str())
            .collect()
    }

    /// A branch by name.
    pub fn branch(&self, name: &str) -> Option<&Branch> {
        self.by_name.get(name).map(|&i| &self.branches[i])
    }

    /// The branch holding the counter leaf of a jagged branch.
    pub fn count_branch(&self, b: &Branch) -> Option<&Branch> {
        let leaf = b.leaves.first()?.count_leaf.as_ref()?;
        self.by_leaf.get(leaf).map(|&i| &self.branches[i])
    }

    /// Entry ranges of the tree's clusters (the unit of compression: reading a
    /// range aligned to clusters touches no basket twice).
    pub fn clusters(&self) -> Vec<Range<u64>> {
        let n = self.meta.entries;
        let mut out = Vec::new();
        let mut start = 0u64;
        for (i, &end) in self.meta.cluster_range_end.iter().enumerate() {
            let Ok(end_incl) = u64::try_from(end) else {
                continue;
            };
            let stop_range = (end_incl + 1).min(n);
            let size = self.meta.cluster_size.get(i).copied().unwrap_or(0);
            while start < stop_range {
                let step = if size > 0 {
                    size as u64
                } else {
                    stop_range - start
                };
                let stop = (start + step).min(stop_range);
                out.push(start..stop);
                start = stop;
            }
        }
        if start < n && self.meta.auto_flush > 0 {
            let step = self.meta.auto_flush as u64;
            while start < n {
                let stop = (start + step).min(n);
                out.push(start..stop);
                start = stop;
            }
        }
        if start < n {
            // No cluster size recorded: use the entries at which every data
            // branch starts a new basket.
            let mut common: Option<Vec<u64>> = None;
            for b in self.branches.iter().filter(|b| !b.leaves.is_empty()) {
                let mut starts: Vec<u64> = b
                    .baskets
                    .iter()
                    .map(|k| k.entry_start)
                    .chain(b.embedded.iter().map(|e| e.entry_start))
                    .filter(|&s| s > start && s < n)
                    .collect();
                starts.sort_unstable();
                common = Some(match common {
                    None => starts,
                    Some(c) => c
                        .into_iter()
                        .filter(|s| starts.binary_search(s).is_ok())
                        .collect(),
                });
            }
            for s in common.unwrap_or_default() {
                out.push(start..s);
                start = s;
            }
            out.push(start..n);
        }
        out
    }

    /// The compression algorithm of a branch's first basket, as found in the
    /// file (`None` when it is stored uncompressed or has no basket).
    pub fn branch_compression(&self, b: &Branch) -> Result<Option<Algorithm>> {
        let Some(loc) = b.baskets.first() else {
            return Ok(None);
        };
        let head = self
            .source
            .read_at(loc.seek, (loc.bytes as usize).min(512))
            .map_err(|e| Error::from(e).in_branch(&b.name))?;
        let key = Key::parse(&mut RBuf::new(&head)).map_err(|e| {
            e.in_branch(&b.name)
                .in_basket(loc.index)
                .at_offset(loc.seek)
        })?;
        if key.is_uncompressed() {
            return Ok(None);
        }
        let tag = head.get(key.key_len as usize..key.key_len as usize + 2);
        Ok(tag.and_then(|t| Algorithm::from_tag([t[0], t[1]])))
    }
}
