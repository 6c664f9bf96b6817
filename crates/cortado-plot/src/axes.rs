//! One panel of a figure: its box, data ranges and scales, and its frame,
//! drawn as mplhep's CMS style draws axes (2 pt frame, ticks pointing in on
//! all four sides, minor ticks, labels at the right/top ends).

use crate::font::{Face3, Seg};
use crate::scene::{line_path, rect_path, HAlign, Rect, Rgba, Scene, Stroke, VAlign};
use crate::ticks::{self, Ticks};

/// Frame width (`axes.linewidth`).
const FRAME: f32 = 2.0;
/// Major and minor tick lengths and widths (pt).
const MAJOR: (f32, f32) = (12.0, 0.8);
const MINOR: (f32, f32) = (6.0, 0.6);
/// Tick label pads (pt): x and y.
const PAD: (f32, f32) = (6.0, 3.5);
/// Axis label pad (pt).
const LABELPAD: f32 = 4.0;

/// A panel: box in points (y down) and the data range on each axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// The box.
    pub rect: Rect,
    /// x range.
    pub xlim: (f64, f64),
    /// y range.
    pub ylim: (f64, f64),
    /// Logarithmic x.
    pub logx: bool,
    /// Logarithmic y.
    pub logy: bool,
}

fn frac(v: f64, (lo, hi): (f64, f64), log: bool) -> f64 {
    if log {
        let v = if v > 0.0 { v.log10() } else { -1e3 };
        (v - lo.log10()) / (hi.log10() - lo.log10())
    } else {
        (v - lo) / (hi - lo)
    }
}

impl Panel {
    /// x in points.
    pub fn px(&self, x: f64) -> f32 {
        let f = frac(x, self.xlim, self.logx).clamp(-10.0, 10.0);
        self.rect.x0 + (f as f32) * self.rect.width()
    }

    /// y in points (clamped a little outside the box, the box clips).
    pub fn py(&self, y: f64) -> f32 {
        let f = frac(y, self.ylim, self.logy);
        let f = if f.is_nan() {
            -10.0
        } else {
            f.clamp(-10.0, 10.0)
        };
        self.rect.y1 - (f as f32) * self.rect.height()
    }

    /// A point from axes fractions.
    pub fn at(&self, fx: f32, fy: f32) -> (f32, f32) {
        (
            self.rect.x0 + fx * self.rect.width(),
            self.rect.y1 - fy * self.rect.height(),
        )
    }

    /// The box as a clip path.
    pub fn clip_path(&self) -> Vec<Seg> {
        let r = self.rect;
        rect_path(r.x0, r.y0, r.x1, r.y1)
    }

    fn ticks(&self, x: bool, fontsize: f32) -> Ticks {
        let (lim, log, len, per) = if x {
            (self.xlim, self.logx, self.rect.width(), 3.0)
        } else {
            (self.ylim, self.logy, self.rect.height(), 2.0)
        };
        // matplotlib's tick space: the axis length over 3 (x) or 2 (y) label heights
        let space = (len / (fontsize * per)).floor().max(1.0) as usize;
        if log {
            ticks::log(lim.0, lim.1, space)
        } else {
            ticks::linear(lim.0, lim.1, space)
        }
    }
}

/// What to write around a panel.
pub struct AxisText<'a> {
    /// Draw the x tick labels.
    pub x_ticklabels: bool,
    /// x-axis label (right-aligned under the axis).
    pub xlabel: Option<&'a str>,
    /// y-axis label (top-aligned left of the axis).
    pub ylabel: Option<&'a str>,
    /// Place the y label at this axes-fraction x instead of after the tick labels.
    pub ylabel_x: Option<f32>,
    /// Label and tick font size.
    pub fontsize: f32,
    /// Named x ticks instead of numbers (categories), with their labels'
    /// rotation in degrees; no minor x ticks then.
    pub x_named: Option<(&'a [(f64, String)], f32)>,
}

/// Draws the frame, ticks and labels of a panel.
pub fn draw(scene: &mut Scene, p: &Panel, t: &AxisText) {
    let r = p.rect;
    let black = Rgba::BLACK;
    let xt = match t.x_named {
        Some((named, _)) => Ticks {
            major: named.iter().map(|n| n.0).collect(),
            labels: named.iter().map(|n| n.1.clone()).collect(),
            minor: Vec::new(),
            offset: None,
        },
        None => p.ticks(true, t.fontsize),
    };
    let yt = p.ticks(false, t.fontsize);
    let mut major = Vec::new();
    let mut minor = Vec::new();
    for (list, len, xs) in [
        (&xt.major, MAJOR.0, &mut major),
        (&xt.minor, MINOR.0, &mut minor),
    ] {
        for &v in list {
            let x = p.px(v);
            xs.extend(line_path(x, r.y1, x, r.y1 - len));
            xs.extend(line_path(x, r.y0, x, r.y0 + len));
        }
    }
    for (list, len, ys) in [
        (&yt.major, MAJOR.0, &mut major),
        (&yt.minor, MINOR.0, &mut minor),
    ] {
        for &v in list {
            let y = p.py(v);
            ys.extend(line_path(r.x0, y, r.x0 + len, y));
            ys.extend(line_path(r.x1, y, r.x1 - len, y));
        }
    }
    scene.shape(minor, None, Some(Stroke::solid(black, MINOR.1)));
    scene.shape(major, None, Some(Stroke::solid(black, MAJOR.1)));
    scene.shape(
        rect_path(r.x0, r.y0, r.x1, r.y1),
        None,
        Some(Stroke::solid(black, FRAME)),
    );
    let fs = t.fontsize;
    let mut bottom = r.y1;
    if t.x_ticklabels {
        let angle = t.x_named.map_or(0.0, |n| n.1);
        for (v, l) in xt.major.iter().zip(&xt.labels) {
            let at = (p.px(*v), r.y1 + PAD.0);
            let b = if angle == 0.0 {
                scene.text(
                    l,
                    Face3::Regular,
                    fs,
                    at,
                    HAlign::Center,
                    VAlign::Top,
                    false,
                )
            } else {
                scene.text_rotated(l, Face3::Regular, fs, at, angle, HAlign::Right, VAlign::Top)
            };
            bottom = bottom.max(b.y1);
        }
    }
    let mut left = r.x0;
    for (v, l) in yt.major.iter().zip(&yt.labels) {
        let b = scene.text(
            l,
            Face3::Regular,
            fs,
            (r.x0 - PAD.1, p.py(*v)),
            HAlign::Right,
            VAlign::Center,
            false,
        );
        left = left.min(b.x0);
    }
    if let Some(o) = &yt.offset {
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
    if let Some(l) = t.xlabel {
        scene.text(
            l,
            Face3::Regular,
            fs,
            (r.x1, bottom + LABELPAD),
            HAlign::Right,
            VAlign::Top,
            false,
        );
    }
    if let Some(l) = t.ylabel {
        let x = match t.ylabel_x {
            Some(f) => r.x0 + f * r.width(),
            None => left - LABELPAD,
        };
        scene.text(
            l,
            Face3::Regular,
            fs,
            (x, r.y0),
            HAlign::Right,
            VAlign::Bottom,
            true,
        );
    }
}
