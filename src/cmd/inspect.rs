//! `cortado inspect`: what is inside a ROOT file, and branch sums for
//! cross-checking the reader.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use clap::Args;
use cortado_root::{Algorithm, Branch, RootFile, Tree};
use serde::Serialize;

use crate::output::wln;
use cortado_yaml::did_you_mean;

/// Arguments of `cortado inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The ROOT file (local path).
    pub file: String,
    /// The tree to describe.
    #[arg(long, default_value = "Events")]
    pub tree: String,
    /// Only list branches whose names match this glob (e.g. 'Muon_*').
    #[arg(long, value_name = "GLOB")]
    pub branches: Option<String>,
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Read these branches completely and print, per branch, the number of
    /// values (elements, for jagged branches) and their float64 sum
    /// (booleans count as 0/1; integer sums are exact).
    #[arg(long, num_args = 1.., value_name = "BRANCH")]
    pub sum: Vec<String>,
    /// Also list the file's TStreamerInfo records (class name and version).
    #[arg(long)]
    pub streamers: bool,
}

#[derive(Serialize)]
struct BranchInfo {
    name: String,
    class: String,
    title: String,
    /// NumPy-style element type, or null when not a plain number.
    dtype: Option<String>,
    /// ROOT leaf type code (`F`, `i`, `O`, ...).
    leaf_type: String,
    jagged: bool,
    counter: Option<String>,
    /// Values per entry (flat) or per counted item (jagged) from fixed dimensions.
    fixed_len: usize,
    baskets: usize,
    embedded_baskets: usize,
    compressed_bytes: i64,
    uncompressed_bytes: i64,
    compression: String,
}

#[derive(Serialize)]
struct TreeSummary {
    name: String,
    entries: u64,
    branches: usize,
}

#[derive(Serialize)]
struct StreamerSummary {
    class: String,
    version: i32,
    record_version: i16,
    elements: usize,
}

#[derive(Serialize)]
struct InspectJson {
    file: String,
    size_bytes: u64,
    root_version: String,
    big_file: bool,
    compression: String,
    trees: Vec<TreeSummary>,
    tree: String,
    title: String,
    entries: u64,
    clusters: Vec<[u64; 2]>,
    branches: Vec<BranchInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    streamers: Option<Vec<StreamerSummary>>,
}

/// Runs the subcommand.
pub fn run(args: &InspectArgs) -> Result<()> {
    let file = RootFile::open(&args.file)?;
    let tree = open_tree(&file, &args.tree)?;
    if !args.sum.is_empty() {
        return print_sums(&tree, &args.sum);
    }
    let matcher = match &args.branches {
        Some(g) => Some(
            globset::Glob::new(g)
                .with_context(|| format!("invalid --branches glob '{g}'"))?
                .compile_matcher(),
        ),
        None => None,
    };
    let file_setting = file.header().compress;
    let mut branches = Vec::new();
    for b in tree.branches() {
        if matcher.as_ref().is_some_and(|m| !m.is_match(&b.name)) {
            continue;
        }
        branches.push(branch_info(&tree, b, file_setting)?);
    }
    if matcher.is_some() && branches.is_empty() {
        bail!(
            "no branch of tree '{}' matches '{}'",
            tree.name(),
            args.branches.as_deref().unwrap_or_default()
        );
    }
    let mut trees = Vec::new();
    for name in file.tree_names() {
        let t = file.tree(&name)?;
        trees.push(TreeSummary {
            name,
            entries: t.entries(),
            branches: t.branches().len(),
        });
    }
    let streamers = if args.streamers {
        Some(
            file.streamer_infos()?
                .iter()
                .map(|s| StreamerSummary {
                    class: s.class_name.clone(),
                    version: s.class_version,
                    record_version: s.record_version,
                    elements: s.elements.len(),
                })
                .collect(),
        )
    } else {
        None
    };
    let v = file.header().version;
    let out = InspectJson {
        file: args.file.clone(),
        size_bytes: file.source().size(),
        root_version: format!("{}.{:02}/{:02}", v / 10000, (v / 100) % 100, v % 100),
        big_file: file.header().big,
        compression: setting_name(file_setting),
        trees,
        tree: tree.name().to_string(),
        title: tree.title().to_string(),
        entries: tree.entries(),
        clusters: tree
            .clusters()
            .into_iter()
            .map(|r| [r.start, r.end])
            .collect(),
        branches,
        streamers,
    };
    if args.json {
        crate::output::emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        crate::output::emit(&render_table(&out))?;
    }
    Ok(())
}

fn open_tree(file: &RootFile, name: &str) -> Result<Tree> {
    if file.key(name).is_err() {
        let names: Vec<String> = file.top_dir().keys.iter().map(|k| k.name.clone()).collect();
        bail!(
            "{}: no tree '{name}'{}; {}",
            file.location(),
            did_you_mean(name, names.iter().map(String::as_str)),
            file.top_dir().describe()
        );
    }
    Ok(file.tree(name)?)
}

/// Human name of a compression setting (`LZMA-9`, `uncompressed`).
fn setting_name(setting: i32) -> String {
    match Algorithm::from_setting(setting) {
        Some((a, level)) => format!("{}-{level}", a.name()),
        None if setting % 100 == 0 => "uncompressed".to_string(),
        None => format!("setting {setting}"),
    }
}

fn branch_info(tree: &Tree, b: &Branch, file_setting: i32) -> Result<BranchInfo> {
    let leaf = b.leaves.first();
    let dtype = if tree.shape(b).is_ok() {
        leaf.and_then(|l| l.dtype()).map(|d| d.name().to_string())
    } else {
        None
    };
    let setting = if b.compress < 0 {
        file_setting
    } else {
        b.compress
    };
    // The setting says what the writer asked for; a basket that did not
    // shrink is stored uncompressed, so look at the first one too.
    let compression = match (
        Algorithm::from_setting(setting),
        tree.branch_compression(b)?,
    ) {
        (Some((a, level)), Some(found)) if a == found => format!("{}-{level}", a.name()),
        (_, Some(found)) => found.name().to_string(),
        (Some((a, level)), None) => format!("{}-{level}", a.name()),
        (None, None) => "uncompressed".to_string(),
    };
    Ok(BranchInfo {
        name: b.name.clone(),
        class: b.class_name.clone(),
        title: b.title.clone(),
        dtype,
        leaf_type: leaf.map(|l| l.type_code().to_string()).unwrap_or_default(),
        jagged: leaf.is_some_and(|l| l.count_leaf.is_some()),
        counter: leaf.and_then(|l| l.count_leaf.clone()),
        fixed_len: leaf.map_or(1, |l| l.len),
        baskets: b.baskets.len(),
        embedded_baskets: b.embedded.len(),
        compressed_bytes: b.zip_bytes,
        uncompressed_bytes: b.tot_bytes,
        compression,
    })
}

fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.2} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

/// The cells of one branch's row in the table.
fn table_row(b: &BranchInfo) -> [String; 8] {
    let shape = match (&b.counter, if b.dtype.is_some() { b.fixed_len } else { 1 }) {
        (Some(c), 1) => format!("[{c}]"),
        (Some(c), n) => format!("[{c}][{n}]"),
        (None, 1) => "scalar".to_string(),
        (None, n) => format!("[{n}]"),
    };
    let ty = match (&b.dtype, b.leaf_type.as_str()) {
        (Some(d), _) => d.clone(),
        (None, "C") => "string".to_string(),
        (None, _) if b.class == "TBranch" => "(leaf list)".to_string(),
        (None, _) => format!("({})", b.class),
    };
    let ratio = if b.compressed_bytes > 0 {
        format!(
            "{:.2}",
            b.uncompressed_bytes as f64 / b.compressed_bytes as f64
        )
    } else {
        "-".to_string()
    };
    [
        b.name.clone(),
        ty,
        shape,
        (b.baskets + b.embedded_baskets).to_string(),
        human_bytes(b.compressed_bytes),
        human_bytes(b.uncompressed_bytes),
        ratio,
        b.compression.clone(),
    ]
}

fn render_table(out: &InspectJson) -> String {
    let mut s = String::new();
    wln!(s, "file:        {}", out.file);
    wln!(
        s,
        "             {} bytes, written by ROOT {}{}, compression {}",
        out.size_bytes,
        out.root_version,
        if out.big_file {
            " (big-file format)"
        } else {
            ""
        },
        out.compression
    );
    let trees: Vec<String> = out
        .trees
        .iter()
        .map(|t| {
            format!(
                "{} ({} entries, {} branches)",
                t.name, t.entries, t.branches
            )
        })
        .collect();
    wln!(s, "trees:       {}", trees.join(", "));
    wln!(s, "tree:        {} \"{}\"", out.tree, out.title);
    wln!(s, "entries:     {}", out.entries);
    let sizes: Vec<u64> = out.clusters.iter().map(|c| c[1] - c[0]).collect();
    let cluster_desc = match (sizes.iter().min(), sizes.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("{} of {a} entries", sizes.len()),
        (Some(a), Some(b)) => format!("{} of {a} to {b} entries", sizes.len()),
        _ => "none".to_string(),
    };
    wln!(s, "clusters:    {cluster_desc}");
    wln!(s, "branches:    {}", out.branches.len());
    let rows: Vec<[String; 8]> = out.branches.iter().map(table_row).collect();
    let header = [
        "branch",
        "type",
        "shape",
        "baskets",
        "compressed",
        "uncompressed",
        "ratio",
        "compression",
    ];
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let line = |r: &[String]| {
        format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {:>w4$}  {:>w5$}  {:>w6$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4],
            w5 = w[5],
            w6 = w[6]
        )
    };
    wln!(s, "");
    wln!(s, "{}", line(&header.map(String::from)));
    for r in &rows {
        wln!(s, "{}", line(r));
    }
    if let Some(infos) = &out.streamers {
        wln!(s, "\nstreamer infos: {}", infos.len());
        for i in infos {
            wln!(
                s,
                "  {} (class version {}, {} elements)",
                i.class,
                i.version,
                i.elements
            );
        }
    }
    s
}

/// Count and sum of a branch; integer sums are kept exact.
#[derive(Serialize)]
struct SumOut {
    count: u64,
    sum: serde_json::Value,
}

fn print_sums(tree: &Tree, names: &[String]) -> Result<()> {
    for n in names {
        let Some(b) = tree.branch(n) else {
            bail!(
                "{}: tree '{}' has no branch '{n}'{}",
                tree.location(),
                tree.name(),
                did_you_mean(n, tree.branches().iter().map(|b| b.name.as_str()))
            );
        };
        tree.shape(b)?;
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut counts = vec![0u64; names.len()];
    let mut float_sums = vec![0f64; names.len()];
    let mut int_sums: Vec<Option<i128>> = vec![Some(0); names.len()];
    for range in tree.clusters() {
        let cols = tree.read(&refs, range)?;
        for (i, c) in cols.iter().enumerate() {
            counts[i] += c.values.len() as u64;
            float_sums[i] += c.values.sum_f64();
            int_sums[i] = match (int_sums[i], c.values.sum_i128()) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
    }
    let mut branches = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        let sum = match int_sums[i] {
            Some(s) => match i64::try_from(s) {
                Ok(v) => serde_json::Value::from(v),
                Err(_) => match u64::try_from(s) {
                    Ok(v) => serde_json::Value::from(v),
                    Err(_) => serde_json::Value::from(s as f64),
                },
            },
            None => serde_json::Value::from(float_sums[i]),
        };
        branches.insert(
            n.clone(),
            SumOut {
                count: counts[i],
                sum,
            },
        );
    }
    let out = serde_json::json!({ "entries": tree.entries(), "branches": branches });
    crate::output::emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    Ok(())
}
