//! 2-D histograms as colour maps (PocketCoffea draws none): the MC total
//! and the data of each (histogram, year, category), viridis colours with
//! a colour bar, flow bins folded into the edge bins, empty bins left white.

use cortado_hist::Hist;

use crate::axes::{self, AxisText, Panel};
use crate::figure::cms_label;
use crate::font::Face3;
use crate::scene::{rect_path, HAlign, Rect, Rgba, Scene, VAlign};
use crate::shape::SampleHists;
use crate::style::Style;

/// viridis at 9 evenly spaced stops (matplotlib's table, interpolated linearly between).
const VIRIDIS: [(f32, f32, f32); 9] = [
    (0.267, 0.005, 0.329),
    (0.279, 0.175, 0.483),
    (0.230, 0.322, 0.546),
    (0.173, 0.449, 0.558),
    (0.128, 0.567, 0.551),
    (0.153, 0.680, 0.504),
    (0.361, 0.786, 0.388),
    (0.668, 0.862, 0.196),
    (0.993, 0.906, 0.144),
];

/// The viridis colour of `f` in [0, 1].
pub fn viridis(f: f64) -> Rgba {
    let f = f.clamp(0.0, 1.0) as f32 * 8.0;
    let i = (f.floor() as usize).min(7);
    let t = f - i as f32;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    Rgba(
        a.0 + t * (b.0 - a.0),
        a.1 + t * (b.1 - a.1),
        a.2 + t * (b.2 - a.2),
        1.0,
    )
}

/// The in-range values of a 2-D histogram (row-major, x outer), flow folded.
pub fn values2d(h: &Hist) -> (usize, usize, Vec<f64>) {
    let (ax, ay) = (&h.axes[0], &h.axes[1]);
    let (nx, ny) = (ax.bins(), ay.bins());
    let (ox, oy) = (
        usize::from(ax.has_underflow()),
        usize::from(ay.has_underflow()),
    );
    let (ex, ey) = (ax.extent(), ay.extent());
    let mut v = vec![0.0; nx * ny];
    if nx == 0 || ny == 0 || h.sumw.len() != ex * ey {
        return (nx, ny, v);
    }
    for cx in 0..ex {
        let ix = cx.saturating_sub(ox).min(nx - 1);
        for cy in 0..ey {
            let iy = cy.saturating_sub(oy).min(ny - 1);
            v[ix * ny + iy] += h.sumw[cx * ey + cy];
        }
    }
    (nx, ny, v)
}

fn edges(h: &Hist, i: usize) -> Vec<f64> {
    let e = h.axes[i].edges();
    if e.is_empty() {
        (0..=h.axes[i].bins()).map(|k| k as f64).collect()
    } else {
        e
    }
}

/// The colour map of one histogram.
pub fn figure(
    h: &Hist,
    vals: &[f64],
    style: &Style,
    year: &str,
    label: &str,
    log_z: bool,
) -> Scene {
    let fs = style.fontsize;
    let mut scene = Scene::new(12.0, 10.0);
    let (w, hh) = (scene.width, scene.height);
    let rect = Rect {
        x0: 0.125 * w,
        y0: 0.12 * hh,
        x1: 0.78 * w,
        y1: 0.89 * hh,
    };
    let bar = Rect {
        x0: 0.80 * w,
        y0: rect.y0,
        x1: 0.825 * w,
        y1: rect.y1,
    };
    let (ex, ey) = (edges(h, 0), edges(h, 1));
    let (nx, ny) = (ex.len() - 1, ey.len() - 1);
    let p = Panel {
        rect,
        xlim: (ex[0], ex[nx]),
        ylim: (ey[0], ey[ny]),
        logx: false,
        logy: false,
    };
    let max = vals.iter().copied().fold(0.0, f64::max);
    let minpos = vals
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let (zlo, zhi) = if log_z && minpos.is_finite() {
        (minpos, max.max(minpos * 10.0))
    } else {
        (0.0, if max > 0.0 { max } else { 1.0 })
    };
    let frac = |v: f64| {
        if log_z {
            (v.log10() - zlo.log10()) / (zhi.log10() - zlo.log10())
        } else {
            (v - zlo) / (zhi - zlo)
        }
    };
    for ix in 0..nx {
        for iy in 0..ny {
            let v = vals[ix * ny + iy];
            if v <= 0.0 || !v.is_finite() {
                continue;
            }
            let r = rect_path(
                p.px(ex[ix]),
                p.py(ey[iy + 1]),
                p.px(ex[ix + 1]),
                p.py(ey[iy]),
            );
            scene.shape(r, Some(viridis(frac(v))), None);
        }
    }
    let label_of = |i: usize| {
        let a = &h.axes[i];
        if a.label.is_empty() {
            a.name.clone()
        } else {
            a.label.clone()
        }
    };
    axes::draw(
        &mut scene,
        &p,
        &AxisText {
            x_ticklabels: true,
            xlabel: Some(&label_of(0)),
            ylabel: Some(&label_of(1)),
            ylabel_x: None,
            fontsize: fs,
            x_named: None,
        },
    );
    // colour bar: 64 strips and its own axis
    for k in 0..64 {
        let (a, b) = (k as f32 / 64.0, (k + 1) as f32 / 64.0);
        let (y0, y1) = (bar.y1 - b * bar.height(), bar.y1 - a * bar.height() + 0.3);
        scene.shape(
            rect_path(bar.x0, y0, bar.x1, y1),
            Some(viridis((a as f64 + b as f64) / 2.0)),
            None,
        );
    }
    let bp = Panel {
        rect: bar,
        xlim: (0.0, 1.0),
        ylim: (zlo.max(if log_z { 1e-300 } else { 0.0 }), zhi),
        logx: false,
        logy: log_z,
    };
    colorbar_axis(&mut scene, &bp, fs);
    cms_label(&mut scene, &p, style, year, label);
    scene
}

fn colorbar_axis(scene: &mut Scene, bp: &Panel, fs: f32) {
    let t = if bp.logy {
        crate::ticks::log(bp.ylim.0, bp.ylim.1, 9)
    } else {
        crate::ticks::linear(bp.ylim.0, bp.ylim.1, 9)
    };
    let r = bp.rect;
    let mut ticks = Vec::new();
    for &v in &t.major {
        let y = bp.py(v);
        ticks.extend(crate::scene::line_path(r.x1 - 6.0, y, r.x1, y));
    }
    scene.shape(
        ticks,
        None,
        Some(crate::scene::Stroke::solid(Rgba::BLACK, 0.8)),
    );
    scene.shape(
        rect_path(r.x0, r.y0, r.x1, r.y1),
        None,
        Some(crate::scene::Stroke::solid(Rgba::BLACK, 1.0)),
    );
    let mut right = r.x1;
    for (v, l) in t.major.iter().zip(&t.labels) {
        let b = scene.text(
            l,
            Face3::Regular,
            fs,
            (r.x1 + 3.5, bp.py(*v)),
            HAlign::Left,
            VAlign::Center,
            false,
        );
        right = right.max(b.x1);
    }
    if let Some(o) = &t.offset {
        scene.text(
            o,
            Face3::Regular,
            fs,
            (r.x0, r.y0 - 2.0),
            HAlign::Left,
            VAlign::Bottom,
            false,
        );
    }
    scene.text(
        "Counts",
        Face3::Regular,
        fs,
        (right + 4.0 + fs, r.y0),
        HAlign::Right,
        VAlign::Bottom,
        true,
    );
}

/// The MC-total and data colour maps of one category: (suffix, scene).
pub fn figures(
    samples: &[(String, bool, SampleHists)],
    category: &str,
    style: &Style,
    year: &str,
    log_z: bool,
) -> Vec<(String, Scene)> {
    let mut out = Vec::new();
    for (mc, suffix) in [(true, "MC"), (false, "Data")] {
        let mut total: Option<(Hist, Vec<f64>)> = None;
        for (_, _, h) in samples.iter().filter(|s| s.1 == mc) {
            let Some(vars) = h.get(category) else {
                continue;
            };
            let Some(hv) = vars.get("nominal").or_else(|| vars.values().next()) else {
                continue;
            };
            if hv.axes.len() != 2 {
                continue;
            }
            let (_, _, v) = values2d(hv);
            match &mut total {
                None => total = Some((hv.clone(), v)),
                Some((_, t)) if t.len() == v.len() => {
                    t.iter_mut().zip(&v).for_each(|(a, b)| *a += b)
                }
                Some(_) => {}
            }
        }
        if let Some((h, v)) = total {
            let label = if mc {
                "Simulation Preliminary"
            } else {
                "Preliminary"
            };
            out.push((
                suffix.to_string(),
                figure(&h, &v, style, year, label, log_z),
            ));
        }
    }
    out
}
