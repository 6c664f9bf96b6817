//! The data/MC figure (PocketCoffea's `Shape.plot_datamc`): stacked MC,
//! data points, hatched uncertainty band, Data/MC ratio panel, CMS label,
//! luminosity, legend — laid out as PocketCoffea's 12 × 12 in figure.

use crate::axes::{self, AxisText, Panel};
use crate::font::{Face3, Seg};
use crate::legend::{self, Key};
use crate::scene::{circle_path, line_path, HAlign, Rect, Rgba, Scene, Stroke, VAlign};
use crate::shape::DataMc;
use crate::style::Style;

/// Options of the drawing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FigOpts {
    /// Draw the ratio panel (needs data and MC).
    pub ratio: bool,
    /// Log x.
    pub log_x: bool,
    /// Log y.
    pub log_y: bool,
    /// Divide by the integral and the bin width.
    pub density: bool,
}

/// matplotlib's subplot box: left, right, bottom, top fractions.
const SUBPLOT: (f32, f32, f32, f32) = (0.125, 0.9, 0.11, 0.88);
const HSPACE: f32 = 0.06;
/// Hatch line spacing (pt) of "////".
pub const HATCH: f32 = 6.0;

/// The panels of a figure with an optional ratio panel below.
pub fn panels(scene: &Scene, ratios: Option<(f32, f32)>) -> (Rect, Option<Rect>) {
    let (w, h) = (scene.width, scene.height);
    let (l, r, b, t) = SUBPLOT;
    let x0 = l * w;
    let x1 = r * w;
    let top = (1.0 - t) * h;
    let bottom = (1.0 - b) * h;
    match ratios {
        None => (
            Rect {
                x0,
                y0: top,
                x1,
                y1: bottom,
            },
            None,
        ),
        Some((a, c)) => {
            let avail = bottom - top;
            let gap = HSPACE * avail / (2.0 + HSPACE);
            let rest = avail - gap;
            let hm = rest * a / (a + c);
            (
                Rect {
                    x0,
                    y0: top,
                    x1,
                    y1: top + hm,
                },
                Some(Rect {
                    x0,
                    y0: top + hm + gap,
                    x1,
                    y1: bottom,
                }),
            )
        }
    }
}

/// Stairs polygon between two per-bin curves (in points).
fn stairs_between(p: &Panel, edges: &[f64], lo: &[f64], hi: &[f64]) -> Vec<Seg> {
    let clamp = |y: f32| y.clamp(p.rect.y0, p.rect.y1);
    let n = lo.len();
    let mut v = Vec::with_capacity(4 * n + 2);
    v.push(Seg::Move(p.px(edges[0]), clamp(p.py(lo[0]))));
    for i in 0..n {
        v.push(Seg::Line(p.px(edges[i]), clamp(p.py(hi[i]))));
        v.push(Seg::Line(p.px(edges[i + 1]), clamp(p.py(hi[i]))));
    }
    for i in (0..n).rev() {
        v.push(Seg::Line(p.px(edges[i + 1]), clamp(p.py(lo[i]))));
        v.push(Seg::Line(p.px(edges[i]), clamp(p.py(lo[i]))));
    }
    v.push(Seg::Close);
    v
}

/// An open stairs line (signal samples, shifts).
pub fn stairs_line(p: &Panel, edges: &[f64], y: &[f64]) -> Vec<Seg> {
    let clamp = |v: f32| v.clamp(p.rect.y0, p.rect.y1);
    let mut v = Vec::new();
    for i in 0..y.len() {
        let yy = clamp(p.py(y[i]));
        if i == 0 {
            v.push(Seg::Move(p.px(edges[0]), yy));
        } else {
            v.push(Seg::Line(p.px(edges[i]), yy));
        }
        v.push(Seg::Line(p.px(edges[i + 1]), yy));
    }
    v
}

/// A hatched band between two per-bin curves, cut to the panel.
pub fn hatched(scene: &mut Scene, p: &Panel, edges: &[f64], lo: &[f64], hi: &[f64], color: Rgba) {
    let r = p.rect;
    let rects: Vec<Rect> = (0..lo.len())
        .map(|i| {
            let (a, b) = (p.py(lo[i]), p.py(hi[i]));
            Rect {
                x0: p.px(edges[i]).max(r.x0),
                x1: p.px(edges[i + 1]).min(r.x1),
                y0: a.min(b).clamp(r.y0, r.y1),
                y1: a.max(b).clamp(r.y0, r.y1),
            }
        })
        .collect();
    scene.hatch(rects, color, HATCH, 1.0);
}

/// Adds a marker: to `dots`, or to `edge` when the frame cuts it (as
/// matplotlib clips to the axes); none outside the panel.
fn marker(dots: &mut Vec<Seg>, edge: &mut Vec<Seg>, p: &Panel, xc: f32, y: f64, rad: f32) {
    let r = p.rect;
    let yc = p.py(y);
    if yc < r.y0 - rad || yc > r.y1 + rad {
        return;
    }
    if yc - rad < r.y0 || yc + rad > r.y1 || xc - rad < r.x0 || xc + rad > r.x1 {
        edge.extend(circle_path(xc, yc, rad));
    } else {
        dots.extend(circle_path(xc, yc, rad));
    }
}

/// Error-bar points: markers and vertical bars, clipped to the panel.
#[allow(clippy::too_many_arguments)]
pub fn points(
    scene: &mut Scene,
    p: &Panel,
    x: &[f64],
    y: &[f64],
    lo: &[f64],
    hi: &[f64],
    size: f32,
    width: f32,
    color: Rgba,
) {
    let r = p.rect;
    let rad = size / 2.0;
    let mut bars = Vec::new();
    let mut dots = Vec::new();
    let mut edge_dots = Vec::new();
    for i in 0..y.len() {
        if !y[i].is_finite() || (p.logy && y[i] <= 0.0) {
            continue;
        }
        let xc = p.px(x[i]);
        // matplotlib draws no bar reaching ±1.8e308 (an infinite error)
        if lo[i] >= f64::MAX / 2.0 || hi[i] >= f64::MAX / 2.0 {
            // the marker alone
            marker(&mut dots, &mut edge_dots, p, xc, y[i], rad);
            continue;
        }
        let (a, b) = (p.py(y[i] - lo[i]), p.py(y[i] + hi[i]));
        let (a, b) = (a.clamp(r.y0, r.y1), b.clamp(r.y0, r.y1));
        if (a - b).abs() > 0.01 {
            bars.extend(line_path(xc, a, xc, b));
        }
        marker(&mut dots, &mut edge_dots, p, xc, y[i], rad);
    }
    scene.shape(bars, None, Some(Stroke::solid(color, width)));
    scene.shape(dots, Some(color), None);
    if !edge_dots.is_empty() {
        let clip = scene.clip(p.clip_path());
        scene.clipped(edge_dots, Some(color), None, clip);
    }
}

fn density(v: &[f64], widths: &[f64], total: f64) -> Vec<f64> {
    v.iter()
        .zip(widths)
        .map(|(x, w)| if total != 0.0 { x / (total * w) } else { *x })
        .collect()
}

/// The luminosity label: `59.83 fb^{-1} (13 TeV)`.
pub fn lumi_text(style: &Style, year: &str) -> String {
    let energy = if year.starts_with("202") {
        "13.6"
    } else {
        "13"
    };
    match style.lumi_by_year.get(year) {
        Some(l) => format!("{l:.2} $fb^{{-1}}$ ({energy} TeV)"),
        None => format!("{year} ({energy} TeV)"),
    }
}

/// The experiment label inside the top left corner (mplhep `loc=2`) and
/// the luminosity above the right end of the panel.
pub fn cms_label(scene: &mut Scene, p: &Panel, style: &Style, year: &str, text: &str) {
    let fs = style.fontsize;
    let (x, y) = p.at(0.05, 0.95);
    let r = scene.text(
        "CMS",
        Face3::Bold,
        fs * 1.3,
        (x, y),
        HAlign::Left,
        VAlign::Top,
        false,
    );
    let (_, y2) = p.at(0.05, 0.945);
    scene.text(
        text,
        Face3::Italic,
        fs,
        (x, y2 + r.height()),
        HAlign::Left,
        VAlign::Top,
        false,
    );
    let (lx, ly) = p.at(1.0, 1.005);
    let lumi = lumi_text(style, year);
    scene.text(
        &lumi,
        Face3::Regular,
        fs * 0.95,
        (lx, ly),
        HAlign::Right,
        VAlign::Bottom,
        false,
    );
}

/// The main panel's y range, as PocketCoffea's `format_figure` sets it:
/// linear (0, 2 × the largest MC bin, flow bins not counted; data when
/// there is no MC); log (lo, 10^(1.75 × ⌊log10 M⌋)) with M the largest data
/// or MC bin, unless `opts_ylim.datamc.ylim_log.hi` is set.
pub fn main_ylim(d: &DataMc, style: &Style, o: FigOpts) -> (f64, f64) {
    let e = &d.binning.edges;
    let n = e.len() - 1;
    let widths: Vec<f64> = (0..n).map(|i| e[i + 1] - e[i]).collect();
    let mc_int: f64 = d.mc_total.iter().sum();
    if o.log_y {
        let m = if d.stack.is_empty() {
            d.data_max_in_range
        } else {
            d.data_max_in_range.max(d.mc_max_in_range)
        };
        let m = if m > 0.0 { m } else { 100.0 };
        let hi = style
            .ylim_log
            .1
            .unwrap_or_else(|| 10f64.powf(m.log10().floor() * 1.75));
        let hi = if hi > style.ylim_log.0 {
            hi
        } else {
            style.ylim_log.0 * 1e3
        };
        (style.ylim_log.0, hi)
    } else {
        let reference = if d.stack.is_empty() {
            d.data.as_ref().map(|v| v.sumw.clone()).unwrap_or_default()
        } else if o.density {
            density(&d.mc_total, &widths, mc_int)
        } else {
            vec![d.mc_max_in_range]
        };
        let m = reference.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let m = if m == 0.0 || !m.is_finite() { 1.0 } else { m };
        (0.0, 2.0 * m)
    }
}

/// Draws the data/MC figure.
pub fn data_mc(d: &DataMc, style: &Style, o: FigOpts) -> Scene {
    let fs = style.fontsize;
    let ratio = o.ratio && d.ratio.is_some();
    let (fw, fh) = if ratio {
        style.figsize_ratio
    } else {
        style.figsize
    };
    let mut scene = Scene::new(fw, fh);
    let (main_r, ratio_r) = panels(&scene, ratio.then_some(style.height_ratios));
    let e = &d.binning.edges;
    let n = e.len() - 1;
    let widths: Vec<f64> = (0..n).map(|i| e[i + 1] - e[i]).collect();
    let centers: Vec<f64> = (0..n).map(|i| 0.5 * (e[i] + e[i + 1])).collect();
    let mc_int: f64 = d.mc_total.iter().sum();
    let scale_mc = |v: &[f64]| {
        if o.density {
            density(v, &widths, mc_int)
        } else {
            v.to_vec()
        }
    };
    let ylim = main_ylim(d, style, o);
    let xlim = (e[0], e[n]);
    let main = Panel {
        rect: main_r,
        xlim,
        ylim,
        logx: o.log_x,
        logy: o.log_y,
    };
    // the stack, bottom first
    let mut below = vec![0.0; n];
    for s in &d.stack {
        let v = scale_mc(&s.nominal.sumw);
        let top: Vec<f64> = below.iter().zip(&v).map(|(a, b)| a + b).collect();
        let lo = if o.log_y {
            below
                .iter()
                .map(|b| if *b > 0.0 { *b } else { 1e-300 })
                .collect()
        } else {
            below.clone()
        };
        scene.shape(stairs_between(&main, e, &lo, &top), Some(s.color), None);
        below = top;
    }
    let mut entries: Vec<(Key, String)> = d
        .stack
        .iter()
        .rev()
        .map(|s| (Key::Fill(s.color), s.label.clone()))
        .collect();
    for (s, _) in &d.signals {
        let v = scale_mc(&s.nominal.sumw);
        let st = Stroke {
            color: style.sig.color.unwrap_or(s.color),
            width: style.sig.width,
            dash: style.sig.dash.clone(),
        };
        scene.shape(stairs_line(&main, e, &v), None, Some(st.clone()));
        entries.push((Key::Line(st), s.label.clone()));
    }
    let black = Rgba::BLACK;
    let msize = 0.5 * style.data_markersize + 1.0;
    if let Some(data) = &d.data {
        let int: f64 = data.sumw.iter().sum();
        let err: Vec<f64> = data.sumw.iter().map(|v| v.max(0.0).sqrt()).collect();
        let (y, err) = if o.density {
            (
                density(&data.sumw, &widths, int),
                density(&err, &widths, int),
            )
        } else {
            (data.sumw.clone(), err)
        };
        points(
            &mut scene,
            &main,
            &centers,
            &y,
            &err,
            &err,
            msize,
            style.data_elinewidth,
            black,
        );
    }
    if let Some(b) = &d.band {
        hatched(
            &mut scene,
            &main,
            e,
            &scale_mc(&b.down),
            &scale_mc(&b.up),
            style.band_color,
        );
        entries.push((Key::Hatch(style.band_color), "syst. unc.".into()));
    }
    if d.data.is_some() {
        entries.push((
            Key::Marker {
                color: black,
                size: msize,
                width: style.data_elinewidth,
            },
            "Data".into(),
        ));
    }
    if o.log_y {
        let keep = if d.data.is_some() { 2 } else { 1 }.min(entries.len());
        let split = entries.len() - keep;
        entries[..split].reverse();
    }
    let ylabel = if o.density { "A.U." } else { "Counts" };
    axes::draw(
        &mut scene,
        &main,
        &AxisText {
            x_ticklabels: !ratio,
            xlabel: (!ratio).then_some(d.binning.label.as_str()),
            ylabel: Some(ylabel),
            ylabel_x: None,
            fontsize: fs,
            x_named: (!d.binning.names.is_empty()).then_some((&d.binning.names, 0.0)),
        },
    );
    legend::draw(&mut scene, main_r, &entries, style.fontsize_legend, 2);
    let text = style.cms_label.clone().unwrap_or_else(|| {
        if d.data.is_none() {
            "Simulation Preliminary".into()
        } else {
            "Preliminary".into()
        }
    });
    cms_label(&mut scene, &main, style, &d.year, &text);
    if style.print_info.0 {
        scene.text(
            &format!("Year: {}", d.year),
            Face3::Regular,
            0.7 * fs,
            main.at(0.04, 0.75),
            HAlign::Left,
            VAlign::Baseline,
            false,
        );
    }
    if style.print_info.1 {
        scene.text(
            &format!("Cat: {}", d.category),
            Face3::Regular,
            0.7 * fs,
            main.at(0.04, 0.70),
            HAlign::Left,
            VAlign::Baseline,
            false,
        );
    }
    if let (Some(rr), Some((r, lo, hi))) = (ratio_r, &d.ratio) {
        let rp = Panel {
            rect: rr,
            xlim,
            ylim: (0.5, 1.5),
            logx: o.log_x,
            logy: false,
        };
        points(
            &mut scene,
            &rp,
            &centers,
            r,
            lo,
            hi,
            msize,
            style.data_elinewidth,
            black,
        );
        let one = |c: Rgba| Stroke {
            color: c,
            width: 1.5,
            dash: vec![5.55, 2.4],
        };
        let y1 = rp.py(1.0);
        scene.shape(line_path(rr.x0, y1, rr.x1, y1), None, Some(one(black)));
        if let Some(b) = &d.band {
            hatched(
                &mut scene,
                &rp,
                e,
                &b.ratio_down,
                &b.ratio_up,
                style.band_color,
            );
            scene.shape(
                line_path(rr.x0, y1, rr.x1, y1),
                None,
                Some(one(Rgba(0.5, 0.5, 0.5, 1.0))),
            );
        }
        axes::draw(
            &mut scene,
            &rp,
            &AxisText {
                x_ticklabels: true,
                xlabel: Some(d.binning.label.as_str()),
                ylabel: Some("Data / MC"),
                ylabel_x: Some(-0.075),
                fontsize: fs,
                x_named: (!d.binning.names.is_empty()).then_some((&d.binning.names, 0.0)),
            },
        );
    }
    scene
}
