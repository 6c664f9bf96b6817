//! `--compare OTHER`: each sample of this output (solid) and of another
//! output (dashed) overlaid, with their ratio Other / Ref per sample — to
//! see what a change of selection, corrections or version did.

use crate::axes::{self, AxisText, Panel};
use crate::figure::{cms_label, panels, stairs_line};
use crate::legend::{self, Key};
use crate::scene::{line_path, Rgba, Scene, Stroke};
use crate::shape::{values, SampleHists};
use crate::style::{parse_color, Style, CMAP_10, CMAP_6};

/// One sample's nominal values (flow folded) in a category, if it has them.
fn nominal(h: &SampleHists, category: &str) -> Option<(Vec<f64>, Vec<f64>, String)> {
    let hv = h
        .get(category)?
        .get("nominal")
        .or_else(|| h.get(category)?.values().next())?;
    if hv.axes.len() != 1 {
        return None;
    }
    let ax = &hv.axes[0];
    let mut e = ax.edges();
    if e.is_empty() {
        e = (0..=ax.bins()).map(|i| i as f64).collect();
    }
    let label = if ax.label.is_empty() {
        ax.name.clone()
    } else {
        ax.label.clone()
    };
    Some((values(hv, true).sumw, e, label))
}

/// The comparison figure of one category, or None when neither output has
/// a 1-D histogram there.
pub fn figure(
    reference: &[(String, bool, SampleHists)],
    other: &[(String, bool, SampleHists)],
    category: &str,
    style: &Style,
    year: &str,
    log_y: bool,
) -> Option<Scene> {
    let mut names: Vec<(&str, bool)> = reference.iter().map(|s| (s.0.as_str(), s.1)).collect();
    for s in other {
        if !names.iter().any(|n| n.0 == s.0) {
            names.push((&s.0, s.1));
        }
    }
    let find = |set: &[(String, bool, SampleHists)], n: &str| {
        set.iter()
            .find(|s| s.0 == n)
            .and_then(|s| nominal(&s.2, category))
    };
    let mut curves = Vec::new();
    let mut edges = None;
    let mut xlabel = String::new();
    let n_mc = names.iter().filter(|n| n.1).count();
    let cmap: &[&str] = if n_mc <= 6 { &CMAP_6 } else { &CMAP_10 };
    let mut k = 0;
    for (n, mc) in &names {
        let (a, b) = (find(reference, n), find(other, n));
        if let Some((_, e, l)) = a.as_ref().or(b.as_ref()) {
            if edges.is_none() {
                edges = Some(e.clone());
                xlabel = l.clone();
            }
        }
        let color = if *mc {
            k += 1;
            style
                .colors_mc
                .get(*n)
                .copied()
                .or_else(|| parse_color(cmap[(k - 1) % cmap.len()]))
        } else {
            Some(Rgba::BLACK)
        };
        curves.push((
            style.label(n),
            color.unwrap_or(Rgba::BLACK),
            a.map(|x| x.0),
            b.map(|x| x.0),
        ));
    }
    let e = edges?;
    let n = e.len() - 1;
    let fs = style.fontsize;
    let mut scene = Scene::new(style.figsize_ratio.0, style.figsize_ratio.1);
    let (mr, rr) = panels(&scene, Some(style.height_ratios));
    let max = curves
        .iter()
        .flat_map(|c| c.2.iter().chain(c.3.iter()).flatten())
        .copied()
        .fold(0.0, f64::max);
    let ylim = if log_y {
        let m = if max > 0.0 { max } else { 100.0 };
        (
            style.ylim_log.0,
            10f64
                .powf(m.log10().floor() * 1.75)
                .max(style.ylim_log.0 * 1e3),
        )
    } else {
        (0.0, if max > 0.0 { 1.5 * max } else { 1.0 })
    };
    let main = Panel {
        rect: mr,
        xlim: (e[0], e[n]),
        ylim,
        logx: false,
        logy: log_y,
    };
    let rr = rr.unwrap_or(mr);
    let mut ratios = Vec::new();
    let mut entries = Vec::new();
    for (label, color, a, b) in &curves {
        let solid = Stroke::solid(*color, 1.5);
        let dashed = Stroke {
            color: *color,
            width: 1.5,
            dash: vec![5.55, 2.4],
        };
        if let Some(a) = a {
            scene.shape(stairs_line(&main, &e, a), None, Some(solid.clone()));
            entries.push((Key::Line(solid.clone()), label.clone()));
        }
        if let Some(b) = b {
            scene.shape(stairs_line(&main, &e, b), None, Some(dashed.clone()));
            entries.push((Key::Line(dashed.clone()), format!("{label} (other)")));
        }
        if let (Some(a), Some(b)) = (a, b) {
            let r: Vec<f64> = a
                .iter()
                .zip(b)
                .map(|(x, y)| if *x != 0.0 { y / x } else { 1.0 })
                .collect();
            ratios.push((r, solid));
        }
    }
    axes::draw(
        &mut scene,
        &main,
        &AxisText {
            x_ticklabels: false,
            xlabel: None,
            ylabel: Some("Counts"),
            ylabel_x: None,
            fontsize: fs,
            x_named: None,
        },
    );
    legend::draw(&mut scene, mr, &entries, style.fontsize_legend, 2);
    let text = if names.iter().any(|n| !n.1) {
        "Preliminary"
    } else {
        "Simulation Preliminary"
    };
    cms_label(&mut scene, &main, style, year, text);
    let dev = ratios
        .iter()
        .flat_map(|r| r.0.iter())
        .map(|r| (r - 1.0).abs())
        .filter(|d| d.is_finite())
        .fold(0.0, f64::max);
    let lim = ((dev * 1.1 * 20.0).ceil() / 20.0).clamp(0.05, 1.0);
    let rp = Panel {
        rect: rr,
        xlim: (e[0], e[n]),
        ylim: (1.0 - lim, 1.0 + lim),
        logx: false,
        logy: false,
    };
    let y1 = rp.py(1.0);
    scene.shape(
        line_path(rr.x0, y1, rr.x1, y1),
        None,
        Some(Stroke {
            color: Rgba(0.5, 0.5, 0.5, 1.0),
            width: 1.5,
            dash: vec![5.55, 2.4],
        }),
    );
    for (r, st) in &ratios {
        scene.shape(stairs_line(&rp, &e, r), None, Some(st.clone()));
    }
    axes::draw(
        &mut scene,
        &rp,
        &AxisText {
            x_ticklabels: true,
            xlabel: Some(&xlabel),
            ylabel: Some("Other / Ref"),
            ylabel_x: Some(-0.075),
            fontsize: fs,
            x_named: None,
        },
    );
    Some(scene)
}
