//! The files of a DAS name, folder, glob or `root://` directory, with
//! their sizes and events (read from the files themselves: the `Events`
//! tree's entries).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// Path or URL, as written into the fileset.
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// Entries of its `Events` tree.
    pub events: u64,
}

/// What a `das_names` entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A CMS DAS dataset name (`/Primary/Processed/NANOAOD[SIM]`).
    Das(String),
    /// A `root://` directory (or file).
    Xrootd(String),
    /// A local folder, file, or glob (`/data/dy/*.root`).
    Local(PathBuf),
}

/// Whether `s` has the shape of a DAS dataset name: three parts, the last
/// a data tier (`/DYJets.../RunIISummer20UL18.../NANOAODSIM`).
fn is_das_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    parts.len() == 4
        && parts[0].is_empty()
        && parts[1..].iter().all(|p| !p.is_empty())
        && parts[3]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && (parts[3].contains("AOD") || parts[3] == "USER")
}

impl Source {
    /// What `name` is; relative local paths resolve against `base`.
    pub fn of(name: &str, base: &Path) -> Source {
        if name.starts_with("root://") {
            Source::Xrootd(name.to_string())
        } else if is_das_name(name) && !Path::new(name).exists() {
            Source::Das(name.to_string())
        } else {
            let p = Path::new(name);
            Source::Local(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            })
        }
    }
}

/// The ROOT files of `src`, sorted by name (a folder: its `*.root` files;
/// a glob: the files it matches), with sizes and events counted on the
/// threads of `pool`. Every file that cannot be read is in the error, with
/// its reason (the folder or pattern when nothing can be listed).
pub fn list(
    src: &Source,
    pool: &rayon::ThreadPool,
) -> Result<Vec<FileInfo>, Vec<(String, String)>> {
    let listed = match src {
        Source::Das(name) => Err((
            name.clone(),
            "a DAS dataset is resolved through DBS and Rucio (crate::das), not listed".to_string(),
        )),
        Source::Local(p) => local_files(p).map_err(|e| (p.display().to_string(), e)),
        Source::Xrootd(url) => xrootd_files(url).map_err(|e| (url.clone(), e)),
    };
    let locations = listed.map_err(|e| vec![e])?;
    let results: Vec<Result<FileInfo, String>> =
        pool.install(|| locations.par_iter().map(|l| file_info(l)).collect());
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (l, r) in locations.iter().zip(results) {
        match r {
            Ok(i) => ok.push(i),
            Err(e) => bad.push((l.clone(), e)),
        }
    }
    if bad.is_empty() {
        Ok(ok)
    } else {
        Err(bad)
    }
}

/// The size and events of one file.
pub fn file_info(location: &str) -> Result<FileInfo, String> {
    let f = cortado_root::RootFile::open(location).map_err(|e| e.to_string())?;
    let t = f
        .tree("Events")
        .map_err(|e| e.in_file(location).to_string())?;
    Ok(FileInfo {
        location: location.to_string(),
        size: f.source().size(),
        events: t.entries(),
    })
}

/// The `*.root` files of a local folder, glob or file.
fn local_files(p: &Path) -> Result<Vec<String>, String> {
    let text = p.display().to_string();
    if text.contains(['*', '?', '[']) {
        return glob_files(&text);
    }
    let meta = std::fs::metadata(p).map_err(|e| e.to_string())?;
    if meta.is_file() {
        return Ok(vec![text]);
    }
    let mut out: Vec<String> = std::fs::read_dir(p)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|f| f.extension().is_some_and(|e| e == "root") && f.is_file())
        .map(|f| f.display().to_string())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err("no .root file in this folder".into());
    }
    Ok(out)
}

/// The files a glob matches (the pattern's folders before the first
/// wildcard are walked).
fn glob_files(pattern: &str) -> Result<Vec<String>, String> {
    let glob = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| e.to_string())?
        .compile_matcher();
    let wild = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let root = match pattern[..wild].rfind('/') {
        Some(i) => &pattern[..i.max(1)],
        None => ".",
    };
    // how deep the pattern reaches below its root (any depth with `**`);
    // links are not followed (a link to a parent folder would loop)
    let below = pattern[root.len()..].trim_start_matches('/');
    let depth = if below.contains("**") {
        usize::MAX
    } else {
        below.split('/').count()
    };
    let mut out = Vec::new();
    let mut stack = vec![(PathBuf::from(root), 1usize)];
    while let Some((dir, level)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                if level < depth {
                    stack.push((p, level + 1));
                }
            } else if glob.is_match(&p) {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err("no file matches".into());
    }
    Ok(out)
}

/// The `*.root` files of a `root://` directory (a URL ending in `.root`:
/// that file).
fn xrootd_files(url: &str) -> Result<Vec<String>, String> {
    if url.ends_with(".root") {
        return Ok(vec![url.to_string()]);
    }
    let entries = cortado_source::list_dir(url).map_err(|e| e.to_string())?;
    let base = url.trim_end_matches('/');
    let out: Vec<String> = entries
        .iter()
        .filter(|e| !e.is_dir && e.name.ends_with(".root"))
        .map(|e| format!("{base}/{}", e.name))
        .collect();
    if out.is_empty() {
        return Err("no .root file in this directory".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_stop_at_their_depth_and_do_not_follow_links() {
        let d = std::env::temp_dir().join(format!("cortado-glob-{}", std::process::id()));
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::write(d.join("a/x.root"), b"").unwrap();
        std::fs::write(d.join("a/b/y.root"), b"").unwrap();
        // a link back to the top: a walk that follows it never ends
        let _ = std::os::unix::fs::symlink(&d, d.join("a/loop"));
        let p = |s: &str| format!("{}/{s}", d.display());
        assert_eq!(glob_files(&p("a/*.root")).unwrap(), [p("a/x.root")]);
        assert_eq!(glob_files(&p("*/*/*.root")).unwrap(), [p("a/b/y.root")]);
        assert_eq!(
            glob_files(&p("**/*.root")).unwrap(),
            [p("a/b/y.root"), p("a/x.root")]
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn das_names_folders_and_urls_are_told_apart() {
        let base = Path::new("/defs");
        assert_eq!(
            Source::of(
                "/DYJetsToLL_M-50_TuneCP5/RunIISummer20UL18NanoAODv9-106X/NANOAODSIM",
                base
            ),
            Source::Das(
                "/DYJetsToLL_M-50_TuneCP5/RunIISummer20UL18NanoAODv9-106X/NANOAODSIM".into()
            )
        );
        assert_eq!(
            Source::of("root://eos.cms//store/user/a", base),
            Source::Xrootd("root://eos.cms//store/user/a".into())
        );
        assert_eq!(
            Source::of("data/*.root", base),
            Source::Local("/defs/data/*.root".into())
        );
        assert_eq!(
            Source::of("/abs/dir", base),
            Source::Local("/abs/dir".into())
        );
    }
}
