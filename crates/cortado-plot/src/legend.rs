//! matplotlib's legend layout (`loc="upper right"`, `ncol=2`, no frame):
//! entries fill the columns top to bottom, the first columns taking one
//! more when they do not divide evenly; paddings in units of the font size.

use crate::font::{self, Face3, Seg};
use crate::scene::{circle_path, line_path, rect_path, HAlign, Rect, Rgba, Scene, Stroke, VAlign};

/// How an entry's key is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// A filled box (stacked sample).
    Fill(Rgba),
    /// A hatched box (uncertainty band).
    Hatch(Rgba),
    /// A horizontal line (signal, shifts).
    Line(Stroke),
    /// A marker with a vertical error bar (data).
    Marker {
        /// Colour.
        color: Rgba,
        /// Marker diameter in points.
        size: f32,
        /// Error bar width in points.
        width: f32,
    },
}

const BORDERAXESPAD: f32 = 0.5;
const BORDERPAD: f32 = 0.5;
const LABELSPACING: f32 = 0.5;
const HANDLELENGTH: f32 = 1.5;
const HANDLEHEIGHT: f32 = 0.7;
const HANDLETEXTPAD: f32 = 0.8;
const COLUMNSPACING: f32 = 2.0;

/// Diagonal hatch lines ("////", going up to the right) filling rectangles,
/// clipped to each exactly: lines `x + y = k·spacing` (y down), anchored to
/// the figure so that neighbouring rectangles continue each other's lines.
pub fn hatch_rects(rects: &[Rect], spacing: f32) -> Vec<Seg> {
    let mut v = Vec::new();
    for r in rects {
        if !(r.width() > 0.0 && r.height() > 0.0) {
            continue;
        }
        let first = ((r.x0 + r.y0) / spacing).ceil() as i64;
        let last = ((r.x1 + r.y1) / spacing).floor() as i64;
        for n in first..=last {
            let k = n as f32 * spacing;
            let xa = r.x0.max(k - r.y1);
            let xb = r.x1.min(k - r.y0);
            if xb > xa {
                v.extend(line_path(xa, k - xa, xb, k - xb));
            }
        }
    }
    v
}

/// Draws a legend in the upper right corner of `axes`.
pub fn draw(scene: &mut Scene, axes: Rect, entries: &[(Key, String)], fontsize: f32, ncol: usize) {
    if entries.is_empty() {
        return;
    }
    let fs = fontsize;
    let ncol = ncol.clamp(1, entries.len());
    let per = entries.len().div_ceil(ncol);
    let lines: Vec<_> = entries
        .iter()
        .map(|(_, l)| font::layout(l, Face3::Regular, fs))
        .collect();
    let row_h = lines
        .iter()
        .map(|l| l.ascent + l.descent)
        .fold(HANDLEHEIGHT * fs, f32::max);
    let hl = HANDLELENGTH * fs;
    let mut cols = Vec::new();
    for c in 0..ncol {
        let idx: Vec<usize> = (c * per..((c + 1) * per).min(entries.len())).collect();
        let tw = idx.iter().map(|&i| lines[i].width).fold(0.0, f32::max);
        cols.push((idx, hl + HANDLETEXTPAD * fs + tw));
    }
    let cols: Vec<_> = cols.into_iter().filter(|(i, _)| !i.is_empty()).collect();
    let width: f32 =
        cols.iter().map(|c| c.1).sum::<f32>() + COLUMNSPACING * fs * (cols.len() as f32 - 1.0);
    let x_right = axes.x1 - BORDERAXESPAD * fs - BORDERPAD * fs;
    let top = axes.y0 + BORDERAXESPAD * fs + BORDERPAD * fs;
    let mut x = x_right - width;
    for (idx, w) in &cols {
        for (row, &i) in idx.iter().enumerate() {
            let yc = top + row as f32 * (row_h + LABELSPACING * fs) + row_h / 2.0;
            let (x0, x1) = (x, x + hl);
            let (y0, y1) = (yc - HANDLEHEIGHT * fs / 2.0, yc + HANDLEHEIGHT * fs / 2.0);
            match &entries[i].0 {
                Key::Fill(c) => scene.shape(rect_path(x0, y0, x1, y1), Some(*c), None),
                Key::Hatch(c) => {
                    scene.hatch(vec![Rect { x0, y0, x1, y1 }], *c, 6.0, 1.0);
                }
                Key::Line(s) => scene.shape(line_path(x0, yc, x1, yc), None, Some(s.clone())),
                Key::Marker { color, size, width } => {
                    let xc = (x0 + x1) / 2.0;
                    scene.shape(
                        line_path(xc, y0, xc, y1),
                        None,
                        Some(Stroke::solid(*color, *width)),
                    );
                    scene.shape(circle_path(xc, yc, size / 2.0), Some(*color), None);
                }
            }
            scene.text(
                &entries[i].1,
                Face3::Regular,
                fs,
                (x1 + HANDLETEXTPAD * fs, yc),
                HAlign::Left,
                VAlign::Center,
                false,
            );
        }
        x += w + COLUMNSPACING * fs;
    }
}
