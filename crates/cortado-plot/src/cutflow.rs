//! `plot-cutflow` (PocketCoffea's `plot_cutflow.py`): per year and sample,
//! bar charts of the events after each step and in each category, the same
//! as a ratio to the initial count, and the Σ weights per category.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cortado_engine::output::stream::{self, Summary};

use crate::axes::{self, AxisText, Panel};
use crate::figure::{lumi_text, panels};
use crate::font::Face3;
use crate::output::{self, Format};
use crate::run::{datasets, find_output, load_style, PlotOptions, PlotSummary};
use crate::scene::{line_path, rect_path, HAlign, Rgba, Scene, Stroke, VAlign};
use crate::style::{parse_color, Style};

/// Options of `plot-cutflow`.
#[derive(Clone, Debug)]
pub struct CutflowOptions {
    /// The run's output folder, or an output file.
    pub input: PathBuf,
    /// Where the plots go (default: `<input folder>/cutflow_plots`).
    pub outdir: Option<PathBuf>,
    /// Steps and categories left out.
    pub exclude_categories: Vec<String>,
    /// Only these samples (empty: all).
    pub only_samples: Vec<String>,
    /// Output formats.
    pub formats: Vec<Format>,
    /// Logarithmic y.
    pub log_y: bool,
    /// Write into a folder that already has files.
    pub overwrite: bool,
}

/// year → sample → [(step or category, value)], in cutflow order.
type Table = BTreeMap<String, BTreeMap<String, Vec<(String, f64)>>>;

/// The cutflow (counts) and Σw tables of an output.
pub fn tables(s: &Summary, o: &CutflowOptions) -> (Table, Table) {
    let ds = datasets(s);
    let sample_of = |d: &str| -> String {
        s.datasets_metadata
            .pointer(&format!(
                "/by_dataset/{}/sample",
                d.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(|v| v.as_str())
            .unwrap_or(d)
            .to_string()
    };
    let mut counts: Table = BTreeMap::new();
    let push = |t: &mut Table, year: &str, sample: &str, step: &str, v: f64| {
        let row = t
            .entry(year.to_string())
            .or_default()
            .entry(sample.to_string())
            .or_default();
        match row.iter_mut().find(|(k, _)| k == step) {
            Some((_, x)) => *x += v,
            None => row.push((step.to_string(), v)),
        }
    };
    let keep = |step: &str, sample: &str| {
        !o.exclude_categories.iter().any(|c| c == step)
            && (o.only_samples.is_empty() || o.only_samples.iter().any(|x| x == sample))
    };
    let year = |d: &str| ds.get(d).map(|i| i.year.clone()).unwrap_or_default();
    let cf = &s.cutflow;
    for (step, m) in [("initial", &cf.initial), ("skim", &cf.skim)] {
        for (d, n) in m {
            let smp = sample_of(d);
            if keep(step, &smp) {
                push(&mut counts, &year(d), &smp, step, *n as f64);
            }
        }
    }
    for (d, by_var) in &cf.presel {
        let smp = sample_of(d);
        let n = by_var
            .get("nominal")
            .or_else(|| by_var.values().next())
            .copied()
            .unwrap_or(0);
        if keep("presel", &smp) {
            push(&mut counts, &year(d), &smp, "presel", n as f64);
        }
    }
    for (cat, by_ds) in &cf.categories {
        for (d, by_sample) in by_ds {
            for (smp, by_var) in by_sample {
                let n = by_var
                    .get("nominal")
                    .or_else(|| by_var.values().next())
                    .copied()
                    .unwrap_or(0);
                if keep(cat, smp) {
                    push(&mut counts, &year(d), smp, cat, n as f64);
                }
            }
        }
    }
    let mut sumw: Table = BTreeMap::new();
    for (cat, by_ds) in &s.sumw {
        for (d, by_sample) in by_ds {
            for (smp, by_var) in by_sample {
                if let Some(v) = by_var.get("nominal") {
                    if keep(cat, smp) {
                        push(&mut sumw, &year(d), smp, cat, v.value());
                    }
                }
            }
        }
    }
    (counts, sumw)
}

fn number(v: f64) -> String {
    if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2e}")
    }
}

/// One bar chart (with the ratio to the first bar below if `ratio`).
pub fn bars(
    rows: &[(String, f64)],
    ylabel: &str,
    color: Rgba,
    ratio: bool,
    log_y: bool,
    top: &str,
    is_mc: bool,
) -> Scene {
    let fs = 20.0;
    let mut scene = Scene::new(10.0, if ratio { 8.0 } else { 6.0 });
    let (mr, rr) = panels(&scene, ratio.then_some((3.0, 1.0)));
    let n = rows.len();
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let ylim = if log_y {
        let m = if max > 0.0 { max } else { 100.0 };
        (0.01, 10f64.powf(m.log10().floor() * 1.75).max(1.0))
    } else {
        (0.0, if max > 0.0 { 1.2 * max } else { 1.0 })
    };
    let xlim = (-0.6, n as f64 - 0.4);
    let main = Panel {
        rect: mr,
        xlim,
        ylim,
        logx: false,
        logy: log_y,
    };
    let fill = color.with_alpha(0.7);
    let named: Vec<(f64, String)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, r.0.clone()))
        .collect();
    for (i, (_, v)) in rows.iter().enumerate() {
        let x = i as f64;
        let base = if log_y { ylim.0 } else { 0.0 };
        scene.shape(
            rect_path(
                main.px(x - 0.4),
                main.py(*v),
                main.px(x + 0.4),
                main.py(base),
            ),
            Some(fill),
            None,
        );
        scene.text(
            &number(*v),
            Face3::Regular,
            12.0,
            (main.px(x), main.py(*v) - 2.0),
            HAlign::Center,
            VAlign::Bottom,
            false,
        );
    }
    axes::draw(
        &mut scene,
        &main,
        &AxisText {
            x_ticklabels: !ratio,
            xlabel: (!ratio).then_some("Category"),
            ylabel: Some(ylabel),
            ylabel_x: None,
            fontsize: fs,
            x_named: Some((&named, 45.0)),
        },
    );
    let (x, y) = main.at(0.0, 1.0);
    let r = scene.text(
        "CMS",
        Face3::Bold,
        fs * 1.3,
        (x, y - 2.0),
        HAlign::Left,
        VAlign::Baseline,
        false,
    );
    let label = if is_mc {
        "Simulation Preliminary"
    } else {
        "Preliminary"
    };
    scene.text(
        label,
        Face3::Italic,
        fs,
        (r.x1 + 6.0, y - 2.0),
        HAlign::Left,
        VAlign::Baseline,
        false,
    );
    let (x, y) = main.at(1.0, 1.0);
    scene.text(
        top,
        Face3::Regular,
        fs * 0.95,
        (x, y - 2.0),
        HAlign::Right,
        VAlign::Baseline,
        false,
    );
    if let Some(rr) = rr {
        let first = rows.first().map_or(0.0, |r| r.1);
        let ratios: Vec<f64> = rows
            .iter()
            .map(|r| if first > 0.0 { r.1 / first } else { 0.0 })
            .collect();
        let rmax = ratios.iter().copied().fold(0.0, f64::max);
        let rp = Panel {
            rect: rr,
            xlim,
            ylim: (0.0, (rmax * 1.2).max(1.2)),
            logx: false,
            logy: false,
        };
        for (i, v) in ratios.iter().enumerate() {
            let x = i as f64;
            scene.shape(
                rect_path(rp.px(x - 0.4), rp.py(*v), rp.px(x + 0.4), rp.py(0.0)),
                Some(fill),
                None,
            );
            scene.text(
                &format!("{v:.3}"),
                Face3::Regular,
                12.0,
                (rp.px(x), rp.py(*v) - 2.0),
                HAlign::Center,
                VAlign::Bottom,
                false,
            );
        }
        let y1 = rp.py(1.0);
        scene.shape(
            line_path(rr.x0, y1, rr.x1, y1),
            None,
            Some(Stroke {
                color: Rgba(0.0, 0.0, 0.0, 0.5),
                width: 1.5,
                dash: vec![5.55, 2.4],
            }),
        );
        let ylab = format!(
            "Ratio to {}",
            rows.first().map_or("initial", |r| r.0.as_str())
        );
        axes::draw(
            &mut scene,
            &rp,
            &AxisText {
                x_ticklabels: true,
                xlabel: Some("Category"),
                ylabel: Some(&ylab),
                ylabel_x: None,
                fontsize: fs,
                x_named: Some((&named, 45.0)),
            },
        );
    }
    scene
}

fn write(
    scene: &Scene,
    dir: &Path,
    stem: &str,
    formats: &[Format],
    files: &mut Vec<PathBuf>,
) -> Result<(), String> {
    for f in formats {
        let p = dir.join(format!("{stem}.{}", f.ext()));
        output::write(scene, *f, &p)?;
        files.push(p);
    }
    Ok(())
}

/// Makes the cutflow plots of an output.
pub fn plot_cutflow(o: &CutflowOptions) -> Result<PlotSummary, String> {
    let file = find_output(&o.input)?;
    let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
    // the luminosity labels come from the parameters when the folder has them
    let style = load_style(&PlotOptions::new(&folder), &folder).or_else(|_| {
        Style::from_params(&cortado_yaml::Node::empty_map()).map_err(|e| e.to_string())
    })?;
    let summary = stream::read_summary(&file)?;
    let outdir = o
        .outdir
        .clone()
        .unwrap_or_else(|| folder.join("cutflow_plots"));
    if outdir.is_dir()
        && !o.overwrite
        && std::fs::read_dir(&outdir)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!(
            "{}: the folder has files already: use --overwrite to write into it",
            outdir.display()
        ));
    }
    let (counts, sumw) = tables(&summary, o);
    let ds = datasets(&summary);
    let is_mc = |sample: &str| {
        summary
            .datasets_metadata
            .get("by_dataset")
            .and_then(|m| m.as_object())
            .map(|m| {
                m.iter().any(|(d, meta)| {
                    meta.get("sample").and_then(|s| s.as_str())
                        == Some(sample.split("__").next().unwrap_or(sample))
                        && ds.get(d).is_some_and(|i| i.is_mc)
                })
            })
            .unwrap_or(true)
    };
    let blue = parse_color("CMS_blue").unwrap_or(Rgba::BLACK);
    let orange = parse_color("CMS_orange").unwrap_or(Rgba::BLACK);
    let mut files = Vec::new();
    for (year, by_sample) in &counts {
        for (sample, rows) in by_sample {
            let clean = sample.replace('/', "_").replace("__", "_");
            let top = lumi_text(&style, year);
            let mc = is_mc(sample);
            write(
                &bars(rows, "Number of Events", blue, false, o.log_y, &top, mc),
                &outdir,
                &format!("cutflow_{clean}_{year}"),
                &o.formats,
                &mut files,
            )?;
            write(
                &bars(rows, "Number of Events", blue, true, o.log_y, &top, mc),
                &outdir,
                &format!("cutflow_with_ratio_{clean}_{year}"),
                &o.formats,
                &mut files,
            )?;
        }
    }
    for (year, by_sample) in &sumw {
        for (sample, rows) in by_sample {
            let clean = sample.replace('/', "_").replace("__", "_");
            let top = lumi_text(&style, year);
            write(
                &bars(
                    rows,
                    "Weighted Number of Events",
                    orange,
                    false,
                    o.log_y,
                    &top,
                    true,
                ),
                &outdir,
                &format!("sum_of_weights_{clean}_{year}"),
                &o.formats,
                &mut files,
            )?;
        }
    }
    files.sort();
    Ok(PlotSummary {
        files,
        histograms: 0,
        notes: Vec::new(),
        outdir,
    })
}
