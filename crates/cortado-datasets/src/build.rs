//! Building the filesets of a definition file, and checking them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::das::{self, Services, SiteFilter};
use crate::definition::{self, py_quote, Definition, Part};
use crate::listing::{self, FileInfo, Source};

/// What `cortado build-datasets` was asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The definition JSON.
    pub cfg: PathBuf,
    /// The keys to build (empty: all).
    pub keys: Vec<String>,
    /// Replace the datasets of the keys built in existing outputs.
    pub overwrite: bool,
    /// One output per year (`<json_output>_<year>.json`).
    pub split_by_year: bool,
    /// Threads listing and reading files.
    pub parallelize: usize,
    /// `-l`: the prefix of a local copy of DAS datasets (`_local.json`).
    pub local_prefix: Option<String>,
    /// The site choice for DAS datasets.
    pub sites: SiteFilter,
}

/// Which of a dataset's filesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `json_output`: the files where they are read (a site's PFNs for DAS).
    Main,
    /// `_redirector.json`: the global redirector and the LFNs.
    Redirector,
    /// `_local.json`: the `-l` prefix and the LFNs.
    Local,
}

/// One dataset built (for one of its filesets).
#[derive(Debug, Clone)]
pub struct Built {
    /// The files `--download` copies (the main fileset of DAS datasets).
    pub downloads: Vec<Download>,
    /// The local prefix the copies go to (`-l` or `storage_prefix`).
    pub local_prefix: Option<String>,
    /// Which fileset.
    pub kind: Kind,
    /// The definition key it comes from.
    pub key: String,
    /// Its name in the fileset.
    pub name: String,
    /// The output it went to.
    pub output: PathBuf,
    /// Metadata, as written (strings).
    pub metadata: Vec<(String, String)>,
    /// Its files.
    pub files: Vec<FileInfo>,
}

/// A file that could not be read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadFile {
    /// The dataset.
    pub dataset: String,
    /// Path or URL.
    pub file: String,
    /// The reason.
    pub reason: String,
}

/// The definitions `opts` selects; an unknown key is an error with the closest names.
fn selected(opts: &Options) -> Result<Vec<Definition>, String> {
    let defs = definition::read(&opts.cfg).map_err(|e| e.to_string())?;
    for k in &opts.keys {
        if !defs.iter().any(|d| &d.key == k) {
            let known: Vec<&str> = defs.iter().map(|d| d.key.as_str()).collect();
            return Err(format!(
                "{}: no key '{k}' (the keys are {})",
                opts.cfg.display(),
                known.join(", ")
            ));
        }
    }
    Ok(defs
        .into_iter()
        .filter(|d| opts.keys.is_empty() || opts.keys.contains(&d.key))
        .collect())
}

/// The output a part of `d` goes to.
fn output_of(d: &Definition, part: &Part, base: &Path, split_by_year: bool) -> PathBuf {
    let p = if d.json_output.is_absolute() {
        d.json_output.clone()
    } else {
        base.join(&d.json_output)
    };
    if !split_by_year {
        return p;
    }
    let year = part.meta("year").unwrap_or_default();
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    p.with_file_name(format!("{stem}_{year}.json"))
}

/// The outputs the selected definitions write (for `--check`).
pub fn outputs(opts: &Options) -> Result<Vec<PathBuf>, String> {
    let base = opts.cfg.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut out: Vec<PathBuf> = Vec::new();
    for d in selected(opts)? {
        for part in &d.parts {
            let p = output_of(&d, part, &base, opts.split_by_year);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The files of one part: where they are read, the LFNs of its DAS
/// datasets (for the redirector and local outputs), events and bytes.
#[derive(Default)]
struct Listed {
    files: Vec<FileInfo>,
    lfns: Vec<String>,
    events: u64,
    size: u64,
    downloads: Vec<Download>,
}

/// A file of a DAS dataset to copy for `--download`.
#[derive(Debug, Clone)]
pub struct Download {
    /// Where it is read (the chosen site's PFN).
    pub url: String,
    /// Its LFN (the local copy is the local prefix and the LFN).
    pub lfn: String,
    /// Its size according to DBS.
    pub size: u64,
    /// Its Adler-32 according to DBS.
    pub adler32: Option<String>,
}

/// Lists the files of every `das_names` entry of `part`; what fails is
/// added to `bad` under dataset `name`.
fn list_part(
    part: &Part,
    name: &str,
    base: &Path,
    pool: &rayon::ThreadPool,
    opts: &Options,
    bad: &mut Vec<BadFile>,
) -> Listed {
    let services = Services::from_env();
    let mut l = Listed::default();
    for das in &part.das_names {
        let src = Source::of(das, base);
        let listed = match &src {
            Source::Das(dataset) => das::resolve(
                dataset,
                part.dbs_instance.as_deref(),
                &services,
                &opts.sites,
            )
            .map(|r| {
                l.events += r.files.iter().map(|f| f.events).sum::<u64>();
                l.size += r.files.iter().map(|f| f.size).sum::<u64>();
                l.lfns.extend(r.files.iter().map(|f| f.lfn.clone()));
                for (lfn, pfn, _) in &r.replicas {
                    if let Some(f) = r.files.iter().find(|f| &f.lfn == lfn) {
                        l.downloads.push(Download {
                            url: pfn.clone(),
                            lfn: lfn.clone(),
                            size: f.size,
                            adler32: f.adler32.clone(),
                        });
                    }
                }
                r.replicas
                    .into_iter()
                    .map(|(_, pfn, _)| FileInfo {
                        location: pfn,
                        size: 0,
                        events: 0,
                    })
                    .collect()
            })
            .map_err(|e| vec![(dataset.clone(), e)]),
            _ => listing::list(&src, pool).inspect(|f| {
                l.events += f.iter().map(|x| x.events).sum::<u64>();
                l.size += f.iter().map(|x| x.size).sum::<u64>();
            }),
        };
        match listed {
            Ok(f) => l.files.extend(f),
            Err(reasons) => bad.extend(reasons.into_iter().map(|(file, reason)| BadFile {
                dataset: name.to_string(),
                file,
                reason,
            })),
        }
    }
    l
}

/// The metadata PocketCoffea writes: `das_names`, `sample`, the part's
/// metadata, `nevents`, `size`.
fn metadata_of(d: &Definition, part: &Part, l: &Listed) -> Vec<(String, String)> {
    let das_list = format!(
        "[{}]",
        part.das_names
            .iter()
            .map(|s| py_quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut metadata = vec![
        ("das_names".to_string(), das_list),
        ("sample".to_string(), d.sample.clone()),
    ];
    metadata.extend(
        part.metadata
            .iter()
            .filter(|(k, _)| !["das_names", "sample", "nevents", "size"].contains(&k.as_str()))
            .cloned(),
    );
    metadata.push(("nevents".into(), l.events.to_string()));
    metadata.push(("size".into(), l.size.to_string()));
    metadata
}

/// Lists every part's files and counts their events; every file that
/// cannot be read is reported (all of them, not only the first).
pub fn build_all(opts: &Options) -> Result<(Vec<Built>, Vec<BadFile>), String> {
    let defs = selected(opts)?;
    let base = opts.cfg.parent().unwrap_or(Path::new(".")).to_path_buf();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.parallelize.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let mut built = Vec::new();
    let mut bad = Vec::new();
    for d in &defs {
        for part in &d.parts {
            let name = part.dataset_name(&d.key);
            let l = list_part(part, &name, &base, &pool, opts, &mut bad);
            let metadata = metadata_of(d, part, &l);
            let main = output_of(d, part, &base, opts.split_by_year);
            let local_prefix = opts
                .local_prefix
                .clone()
                .or_else(|| d.storage_prefix.clone());
            let one = |kind, output, files| Built {
                downloads: Vec::new(),
                local_prefix: local_prefix.clone(),
                kind,
                key: d.key.clone(),
                name: name.clone(),
                output,
                metadata: metadata.clone(),
                files,
            };
            if !l.lfns.is_empty() {
                let with_suffix = |suffix: &str| {
                    let stem = main
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    main.with_file_name(format!("{stem}_{suffix}.json"))
                };
                let at = |prefix: &str| -> Vec<FileInfo> {
                    l.lfns
                        .iter()
                        .map(|lfn| FileInfo {
                            location: das::join_prefix(prefix, lfn),
                            size: 0,
                            events: 0,
                        })
                        .collect()
                };
                built.push(one(
                    Kind::Redirector,
                    with_suffix("redirector"),
                    at(das::REDIRECTOR),
                ));
                if let Some(p) = opts.local_prefix.as_deref().or(d.storage_prefix.as_deref()) {
                    built.push(one(Kind::Local, with_suffix("local"), at(p)));
                }
            }
            let mut b = one(Kind::Main, main.clone(), l.files);
            b.downloads = l.downloads;
            built.push(b);
        }
    }
    Ok((built, bad))
}

/// A dataset of a fileset file: name, metadata (strings), files.
type Entry = (String, Vec<(String, String)>, Vec<String>);

/// The fileset JSON text of `datasets` (two-space indent, as
/// PocketCoffea's `json.dump(..., indent=2)`; keys in the given order).
fn fileset_text(datasets: &[Entry]) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let mut out = String::from("{\n");
    for (i, (name, meta, files)) in datasets.iter().enumerate() {
        out.push_str(&format!("  {}: {{\n    \"metadata\": {{\n", q(name)));
        for (j, (k, v)) in meta.iter().enumerate() {
            let comma = if j + 1 < meta.len() { "," } else { "" };
            out.push_str(&format!("      {}: {}{comma}\n", q(k), q(v)));
        }
        out.push_str("    },\n    \"files\": [\n");
        for (j, f) in files.iter().enumerate() {
            let comma = if j + 1 < files.len() { "," } else { "" };
            out.push_str(&format!("      {}{comma}\n", q(f)));
        }
        let comma = if i + 1 < datasets.len() { "," } else { "" };
        out.push_str(&format!("    ]\n  }}{comma}\n"));
    }
    out.push_str("}\n");
    out
}

/// A previous output's datasets, in name order: (name, metadata, files).
fn read_previous(path: &Path) -> Result<Vec<Entry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not valid JSON ({e}); remove it or fix it",
            path.display()
        )
    })?;
    let Value::Object(map) = v else {
        return Err(format!("{}: not a fileset (a JSON object)", path.display()));
    };
    let mut out = Vec::new();
    for (name, ds) in map {
        let meta = ds["metadata"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let files = ds["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.push((name, meta, files));
    }
    Ok(out)
}

/// Writes the outputs of `built`. An output that exists keeps its other
/// datasets; one of the datasets built already in it is an error without
/// `overwrite`, and with it the keys built are replaced whole (their
/// datasets no longer produced are removed, not left stale). Written
/// atomically. Returns the outputs written.
pub fn write_outputs(
    built: &[Built],
    all_keys: &[String],
    overwrite: bool,
) -> Result<Vec<PathBuf>, String> {
    let mut building: Vec<&str> = built.iter().map(|b| b.key.as_str()).collect();
    building.dedup();
    // the key a dataset name belongs to: the longest key of the definition
    // file it starts with (`DY_M10_2018` is `DY_M10`'s, not `DY`'s)
    let owner = |name: &str| {
        all_keys
            .iter()
            .filter(|k| name.starts_with(&format!("{k}_")))
            .max_by_key(|k| k.len())
            .cloned()
    };
    let mut by_output: BTreeMap<&Path, Vec<&Built>> = BTreeMap::new();
    for b in built {
        by_output.entry(&b.output).or_default().push(b);
    }
    // every output checked before any is written
    let mut contents = Vec::new();
    for (path, list) in by_output {
        let mut datasets = Vec::new();
        if path.exists() {
            for (name, meta, files) in read_previous(path)? {
                let rebuilt = list.iter().any(|b| b.name == name);
                if rebuilt && !overwrite {
                    return Err(format!(
                        "{} already has dataset '{name}': use -o/--overwrite to replace it",
                        path.display()
                    ));
                }
                let of_a_key_built = owner(&name).is_some_and(|k| building.contains(&k.as_str()));
                if !(rebuilt || (overwrite && of_a_key_built)) {
                    datasets.push((name, meta, files));
                }
            }
        }
        for b in &list {
            let files = b.files.iter().map(|f| f.location.clone()).collect();
            datasets.push((b.name.clone(), b.metadata.clone(), files));
        }
        contents.push((path, datasets));
    }
    let mut written = Vec::new();
    for (path, datasets) in contents {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
        std::fs::write(&tmp, fileset_text(&datasets))
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path.to_path_buf());
    }
    Ok(written)
}

/// Every key of the definition file of `opts` (selected or not).
pub fn all_keys(opts: &Options) -> Result<Vec<String>, String> {
    Ok(definition::read(&opts.cfg)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| d.key)
        .collect())
}

/// Checks a fileset: every file opens, and each dataset's events equal its
/// `nevents`. Returns the bad files (a dataset whose count differs is
/// reported as one entry naming the difference).
pub fn check_fileset(path: &Path, threads: usize) -> Result<(usize, Vec<BadFile>), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let mut bad = Vec::new();
    let mut n = 0;
    for (name, meta, files) in read_previous(path)? {
        use rayon::prelude::*;
        n += files.len();
        let infos: Vec<Result<FileInfo, String>> =
            pool.install(|| files.par_iter().map(|f| listing::file_info(f)).collect());
        let mut events = 0;
        let mut all = true;
        for (f, r) in files.iter().zip(infos) {
            match r {
                Ok(i) => events += i.events,
                Err(reason) => {
                    all = false;
                    bad.push(BadFile {
                        dataset: name.clone(),
                        file: f.clone(),
                        reason,
                    });
                }
            }
        }
        let want = meta
            .iter()
            .find(|(k, _)| k == "nevents")
            .and_then(|(_, v)| v.parse::<u64>().ok());
        if let (true, Some(want)) = (all, want) {
            if want != events {
                bad.push(BadFile {
                    dataset: name.clone(),
                    file: path.display().to_string(),
                    reason: format!(
                        "the files hold {events} events, the metadata says nevents {want}"
                    ),
                });
            }
        }
    }
    Ok((n, bad))
}
