//! `make-plots` as a library call: find the output and its parameters,
//! read the histograms one name at a time and render every figure of that
//! name on a pool of workers while the next name is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use cortado_engine::output::stream::{self, Histograms, Summary};
use regex::Regex;
use serde_json::Value;

use crate::compare;
use crate::figure::{self, FigOpts};
use crate::hist2d;
use crate::output::{self, Format};
use crate::shape::{self, DatasetInfo, Opts};
use crate::shifts;
use crate::style::Style;

/// What to plot and how (PocketCoffea's `make-plots` options).
#[derive(Clone, Debug)]
pub struct PlotOptions {
    /// The run's output folder, or an output file.
    pub input: PathBuf,
    /// Where the plots go (default: `<input folder>/plots`).
    pub outdir: Option<PathBuf>,
    /// Parameters file (default: `<input folder>/parameters_dump.yaml`).
    pub cfg: Option<PathBuf>,
    /// Parameter files merged over it (`-op`).
    pub overwrite_parameters: Vec<PathBuf>,
    /// Only these categories (empty: all).
    pub only_cat: Vec<String>,
    /// Only these years (empty: all).
    pub only_year: Vec<String>,
    /// Only histograms matching.
    pub only_hist: Option<Regex>,
    /// Not histograms matching.
    pub exclude_hist: Option<Regex>,
    /// Log x.
    pub log_x: bool,
    /// Log y.
    pub log_y: bool,
    /// Density.
    pub density: bool,
    /// No ratio panel.
    pub no_ratio: bool,
    /// No uncertainty band.
    pub no_syst: bool,
    /// Output formats.
    pub formats: Vec<Format>,
    /// Parallel workers.
    pub workers: usize,
    /// Write into a folder that already has files.
    pub overwrite: bool,
    /// Also plot each systematic's shifts.
    pub systematics_shifts: bool,
    /// Compare with another output (folder or file) instead of data/MC plots.
    pub compare: Option<PathBuf>,
}

impl PlotOptions {
    /// Defaults for an input.
    pub fn new(input: impl Into<PathBuf>) -> PlotOptions {
        PlotOptions {
            input: input.into(),
            outdir: None,
            cfg: None,
            overwrite_parameters: Vec::new(),
            only_cat: Vec::new(),
            only_year: Vec::new(),
            only_hist: None,
            exclude_hist: None,
            log_x: false,
            log_y: false,
            density: false,
            no_ratio: false,
            no_syst: false,
            formats: vec![Format::Png],
            workers: 8,
            overwrite: false,
            systematics_shifts: false,
            compare: None,
        }
    }
}

/// What a call produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotSummary {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Histograms read.
    pub histograms: usize,
    /// Notes (histograms skipped and why).
    pub notes: Vec<String>,
    /// The folder written.
    pub outdir: PathBuf,
}

/// The output file of a folder: `output_all.cortado`, else the only `output_*.cortado`.
pub fn find_output(input: &Path) -> Result<PathBuf, String> {
    if input.is_file() {
        return Ok(input.to_path_buf());
    }
    if !input.is_dir() {
        return Err(format!(
            "{}: no such output folder or file",
            input.display()
        ));
    }
    let all = input.join("output_all.cortado");
    if all.is_file() {
        return Ok(all);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(|e| format!("{}: {e}", input.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("output_") && n.ends_with(".cortado"))
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "{}: no output_*.cortado in this folder (is it a run's output folder?)",
            input.display()
        )),
        _ => {
            Err(format!(
            "{}: several outputs ({}): merge them with `cortado merge-outputs` or give one with -i",
            input.display(),
            found.iter().filter_map(|p| p.file_name()?.to_str()).collect::<Vec<_>>().join(", ")
        ))
        }
    }
}

/// Loads `plotting_style` from the parameters file and the `-op` files.
pub fn load_style(o: &PlotOptions, folder: &Path) -> Result<Style, String> {
    let cfg = o
        .cfg
        .clone()
        .unwrap_or_else(|| folder.join("parameters_dump.yaml"));
    if !cfg.is_file() {
        return Err(format!(
            "{}: no parameters file (the run writes parameters_dump.yaml into its output folder; give one with --cfg)",
            cfg.display()
        ));
    }
    let mut root = cortado_yaml::load_file(&cfg).map_err(|e| e.to_string())?;
    for p in &o.overwrite_parameters {
        let n = cortado_yaml::load_file(p).map_err(|e| e.to_string())?;
        cortado_params::deep_merge(&mut root, n);
    }
    Style::from_params(&root).map_err(|e| e.to_string())
}

/// Dataset → (year, simulation?) from the output's metadata.
pub fn datasets(summary: &Summary) -> BTreeMap<String, DatasetInfo> {
    let mut m = BTreeMap::new();
    if let Some(Value::Object(by)) = summary.datasets_metadata.get("by_dataset") {
        for (ds, meta) in by {
            let text = |k: &str| match meta.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            m.insert(
                ds.clone(),
                DatasetInfo {
                    year: text("year"),
                    is_mc: text("isMC") == "True" || text("isMC") == "true",
                },
            );
        }
    }
    m
}

struct Job {
    name: String,
    hists: Histograms,
    /// The same histogram in the output compared with (`--compare`).
    other: Option<Histograms>,
}

/// Everything a worker needs, shared.
struct Ctx {
    style: Style,
    datasets: BTreeMap<String, DatasetInfo>,
    years: Vec<String>,
    opts: PlotOptions,
    outdir: PathBuf,
    /// The datasets of the output compared with.
    other_datasets: BTreeMap<String, DatasetInfo>,
}

fn prefix(o: &PlotOptions) -> &'static str {
    match (o.log_x, o.log_y) {
        (true, true) => "logxy_",
        (true, false) => "logx_",
        (false, true) => "logy_",
        _ => "",
    }
}

fn compare_one(ctx: &Ctx, job: &Job) -> Result<(Vec<PathBuf>, Vec<String>), String> {
    let o = &ctx.opts;
    let empty = Histograms::new();
    let other = job.other.as_ref().unwrap_or(&empty);
    let mut files = Vec::new();
    for year in &ctx.years {
        let err = |e: String| format!("histogram {}: {e}", job.name);
        let a =
            shape::samples_for_year(&job.hists, &ctx.datasets, year, &ctx.style).map_err(err)?;
        let b =
            shape::samples_for_year(other, &ctx.other_datasets, year, &ctx.style).map_err(err)?;
        let mut cats: Vec<String> = a
            .iter()
            .chain(&b)
            .flat_map(|s| s.2.keys().cloned())
            .collect();
        cats.sort();
        cats.dedup();
        for cat in cats
            .iter()
            .filter(|c| o.only_cat.is_empty() || o.only_cat.contains(c))
        {
            let Some(scene) = compare::figure(&a, &b, cat, &ctx.style, year, o.log_y) else {
                continue;
            };
            let stem = format!("compare_{}{}_{year}_{cat}", prefix(o), job.name);
            for f in &o.formats {
                let path = ctx.outdir.join(cat).join(format!("{stem}.{}", f.ext()));
                output::write(&scene, *f, &path)?;
                files.push(path);
            }
        }
    }
    Ok((files, Vec::new()))
}

fn plot_one(ctx: &Ctx, job: &Job) -> Result<(Vec<PathBuf>, Vec<String>), String> {
    if ctx.opts.compare.is_some() {
        return compare_one(ctx, job);
    }
    let o = &ctx.opts;
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for year in &ctx.years {
        let samples = shape::samples_for_year(&job.hists, &ctx.datasets, year, &ctx.style)
            .map_err(|e| format!("histogram {}: {e}", job.name))?;
        let mut cats: Vec<String> = samples.iter().flat_map(|s| s.2.keys().cloned()).collect();
        cats.sort();
        cats.dedup();
        for cat in cats
            .iter()
            .filter(|c| o.only_cat.is_empty() || o.only_cat.contains(c))
        {
            let stem = format!("{}{}_{year}_{cat}", prefix(o), job.name);
            let dims = samples
                .iter()
                .find_map(|s| s.2.get(cat)?.values().next().map(|h| h.axes.len()))
                .unwrap_or(0);
            if dims == 2 {
                for (suffix, scene) in hist2d::figures(&samples, cat, &ctx.style, year, o.log_y) {
                    for f in &o.formats {
                        let path = ctx
                            .outdir
                            .join(cat)
                            .join(format!("{stem}_{suffix}.{}", f.ext()));
                        output::write(&scene, *f, &path)?;
                        files.push(path);
                    }
                }
                continue;
            }
            let nopts = Opts {
                log_y: o.log_y,
                no_syst: o.no_syst,
            };
            let Some(d) = shape::data_mc(&job.name, year, cat, &samples, &ctx.style, nopts) else {
                notes.push(format!("{}: {dims}-D histogram, not plotted", job.name));
                continue;
            };
            let fo = FigOpts {
                ratio: !o.no_ratio,
                log_x: o.log_x,
                log_y: o.log_y,
                density: o.density,
            };
            let scene = figure::data_mc(&d, &ctx.style, fo);
            for f in &o.formats {
                let path = ctx.outdir.join(cat).join(format!("{stem}.{}", f.ext()));
                output::write(&scene, *f, &path)?;
                files.push(path);
            }
            if o.systematics_shifts {
                for (syst, scene) in shifts::figures(&d, &samples, &ctx.style, o.log_y) {
                    for f in &o.formats {
                        let path = ctx
                            .outdir
                            .join(cat)
                            .join(&syst)
                            .join(format!("{stem}_{syst}.{}", f.ext()));
                        output::write(&scene, *f, &path)?;
                        files.push(path);
                    }
                }
            }
        }
    }
    notes.dedup();
    Ok((files, notes))
}

/// Makes every plot of an output.
pub fn make_plots(o: &PlotOptions) -> Result<PlotSummary, String> {
    let file = find_output(&o.input)?;
    let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let style = load_style(o, &folder)?;
    let summary = stream::read_summary(&file)?;
    let outdir = o.outdir.clone().unwrap_or_else(|| folder.join("plots"));
    if outdir.is_dir() && !o.overwrite {
        let busy = std::fs::read_dir(&outdir)
            .map_err(|e| format!("{}: {e}", outdir.display()))?
            .next()
            .is_some();
        if busy {
            return Err(format!(
                "{}: the folder has files already: use --overwrite to write into it",
                outdir.display()
            ));
        }
    }
    let datasets = datasets(&summary);
    let mut years: Vec<String> = match summary.datasets_metadata.get("by_datataking_period") {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if !o.only_year.is_empty() {
        for y in &o.only_year {
            if !years.contains(y) {
                return Err(format!(
                    "--only-year {y}: the output has the years {}",
                    years.join(", ")
                ));
            }
        }
        years.retain(|y| o.only_year.contains(y));
    }
    let other_file = o.compare.as_deref().map(find_output).transpose()?;
    let other_datasets = match &other_file {
        Some(f) => self::datasets(&stream::read_summary(f)?),
        None => BTreeMap::new(),
    };
    let ctx = Arc::new(Ctx {
        style,
        datasets,
        years,
        opts: o.clone(),
        outdir: outdir.clone(),
        other_datasets,
    });
    let workers = o.workers.max(1);
    let (tx, rx) = sync_channel::<Job>(workers);
    let rx = Arc::new(Mutex::new(rx));
    let results: Mutex<(Vec<PathBuf>, Vec<String>, Vec<String>)> = Mutex::default();
    let mut count = 0;
    let read = std::thread::scope(|s| {
        // the compared output is read alongside, in the same (sorted) order
        let (otx, orx) = sync_channel::<(String, Histograms)>(1);
        let other_reader = other_file.as_ref().map(|f| {
            s.spawn(move || {
                stream::for_each_histogram(f, &mut |name, h| {
                    otx.send((name, h)).map_err(|_| "stopped".to_string())
                })
            })
        });
        let mut pending: Option<(String, Histograms)> = None;
        let mut other_of = |name: &str| -> Option<Histograms> {
            other_reader.as_ref()?;
            loop {
                if pending.is_none() {
                    pending = orx.recv().ok();
                }
                match pending.as_ref() {
                    Some((n, _)) if n.as_str() < name => pending = None,
                    Some((n, _)) if n == name => return pending.take().map(|p| p.1),
                    _ => return None,
                }
            }
        };
        for _ in 0..workers {
            let (rx, ctx, results) = (rx.clone(), ctx.clone(), &results);
            s.spawn(move || loop {
                let job = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                // a bug in drawing one figure is reported with its histogram and
                // the others are still drawn; the reader never waits on a dead worker
                let r =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| plot_one(&ctx, &job)))
                        .unwrap_or_else(|p| Err(internal_error(&job.name, &p)));
                let mut res = results.lock().unwrap_or_else(|p| p.into_inner());
                match r {
                    Ok((f, n)) => {
                        res.0.extend(f);
                        res.1.extend(n);
                    }
                    Err(e) => res.2.push(e),
                }
            });
        }
        drop(rx);
        let read = stream::for_each_histogram(&file, &mut |name, hists| {
            let keep = o.only_hist.as_ref().is_none_or(|r| r.is_match(&name))
                && o.exclude_hist.as_ref().is_none_or(|r| !r.is_match(&name));
            if keep {
                count += 1;
                let other = other_of(&name);
                tx.send(Job { name, hists, other })
                    .map_err(|_| "the plot workers stopped".to_string())?;
            }
            Ok(())
        });
        drop(tx);
        drop(orx);
        if let Some(h) = other_reader {
            // a damaged compared output is an error; one stopped early is not
            match h.join() {
                Ok(Err(e)) if e != "stopped" && !e.ends_with("stopped") => return Err(e),
                _ => {}
            }
        }
        read
    });
    read?;
    let (mut files, notes, errors) = results.into_inner().unwrap_or_else(|p| p.into_inner());
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    files.sort();
    Ok(PlotSummary {
        files,
        histograms: count,
        notes,
        outdir,
    })
}

/// The error for a figure whose drawing panicked (a bug in cortado): names
/// the histogram and carries the panic's message.
fn internal_error(name: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("histogram {name}: internal error while drawing ({msg}); please report it")
}

/// The numbers of one data/MC figure (what `make-plots` would draw for
/// histogram `hist`, `year` and `category`), for checks and custom plots.
pub fn numbers(
    o: &PlotOptions,
    hist: &str,
    year: &str,
    category: &str,
) -> Result<shape::DataMc, String> {
    let file = find_output(&o.input)?;
    let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let style = load_style(o, &folder)?;
    let summary = stream::read_summary(&file)?;
    let datasets = datasets(&summary);
    let mut found = None;
    stream::for_each_histogram(&file, &mut |name, hists| {
        if name == hist {
            let samples = shape::samples_for_year(&hists, &datasets, year, &style)?;
            let opts = Opts {
                log_y: o.log_y,
                no_syst: o.no_syst,
            };
            found = shape::data_mc(hist, year, category, &samples, &style, opts);
        }
        Ok(())
    })?;
    found.ok_or_else(|| {
        format!(
            "no 1-D histogram {hist} with year {year} and category {category} in {}",
            file.display()
        )
    })
}
