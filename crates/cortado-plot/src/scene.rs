//! What a figure is made of, independent of the output format: filled and
//! stroked paths and placed text, in points (1/72 in) with y downwards.
//! The PNG and SVG writers draw exactly these items, so both formats show
//! the same figure.

use crate::font::{self, Face3, Line, Seg};

/// A colour with alpha, components in 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba(pub f32, pub f32, pub f32, pub f32);

impl Rgba {
    /// Opaque black.
    pub const BLACK: Rgba = Rgba(0.0, 0.0, 0.0, 1.0);
    /// Opaque white.
    pub const WHITE: Rgba = Rgba(1.0, 1.0, 1.0, 1.0);

    /// `#rrggbb` (alpha not included).
    pub fn hex(&self) -> String {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.0), c(self.1), c(self.2))
    }

    /// The same colour with another alpha.
    pub fn with_alpha(self, a: f32) -> Rgba {
        Rgba(self.0, self.1, self.2, a)
    }
}

/// A stroke.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub color: Rgba,
    /// Width in points.
    pub width: f32,
    /// Dash pattern in points (on, off, …); empty for a solid line.
    pub dash: Vec<f32>,
}

impl Stroke {
    /// A solid stroke.
    pub fn solid(color: Rgba, width: f32) -> Stroke {
        Stroke {
            color,
            width,
            dash: Vec::new(),
        }
    }
}

/// A rectangle in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
}

impl Rect {
    /// The smallest rectangle holding both.
    pub fn union(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// Width.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }
}

/// A path with its fill and stroke, optionally clipped to another path.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// The outline, in points.
    pub segs: Vec<Seg>,
    /// Fill colour.
    pub fill: Option<Rgba>,
    /// Stroke.
    pub stroke: Option<Stroke>,
    /// Index of the clip path in [`Scene::clips`].
    pub clip: Option<usize>,
}

/// Horizontal alignment of text relative to its anchor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HAlign {
    /// The anchor is the left end.
    Left,
    /// The anchor is the centre.
    Center,
    /// The anchor is the right end.
    Right,
}

/// Vertical alignment of text relative to its anchor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VAlign {
    /// The anchor is the top of the line ("lp" at least).
    Top,
    /// The anchor is the middle of the line.
    Center,
    /// The anchor is on the baseline.
    Baseline,
    /// The anchor is the bottom of the line (descenders included).
    Bottom,
}

/// A line of text placed in the figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// The laid-out line.
    pub line: Line,
    /// The baseline origin in points (after alignment).
    pub x: f32,
    /// The baseline origin in points (after alignment), y down.
    pub y: f32,
    /// Rotation in degrees, counter-clockwise (90: y-axis labels).
    pub angle: f32,
    /// Colour.
    pub color: Rgba,
}

/// Rectangles filled with diagonal hatch lines ("////", going up to the
/// right), anchored to the figure so that neighbours continue each other.
#[derive(Clone, Debug, PartialEq)]
pub struct Hatch {
    /// The rectangles, in points.
    pub rects: Vec<Rect>,
    /// Line colour.
    pub color: Rgba,
    /// Horizontal distance between lines, in points.
    pub spacing: f32,
    /// Line width, in points.
    pub width: f32,
}

/// One item of a scene.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A path.
    Shape(Shape),
    /// A line of text.
    Text(Text),
    /// Hatched rectangles.
    Hatch(Hatch),
}

/// A figure: its size in points and items drawn in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
    /// The items, back to front.
    pub items: Vec<Item>,
    /// Clip paths (non-zero rule) shapes refer to.
    pub clips: Vec<Vec<Seg>>,
}

impl Scene {
    /// An empty figure of `width` × `height` inches.
    pub fn new(width_in: f32, height_in: f32) -> Scene {
        Scene {
            width: width_in * 72.0,
            height: height_in * 72.0,
            items: Vec::new(),
            clips: Vec::new(),
        }
    }

    /// Adds hatched rectangles (empty ones are left out).
    pub fn hatch(&mut self, rects: Vec<Rect>, color: Rgba, spacing: f32, width: f32) {
        let rects: Vec<Rect> = rects
            .into_iter()
            .filter(|r| r.width() > 0.0 && r.height() > 0.0)
            .collect();
        if !rects.is_empty() {
            self.items.push(Item::Hatch(Hatch {
                rects,
                color,
                spacing,
                width,
            }));
        }
    }

    /// Registers a clip path; returns its index.
    pub fn clip(&mut self, segs: Vec<Seg>) -> usize {
        self.clips.push(segs);
        self.clips.len() - 1
    }

    /// Adds a path clipped to clip `clip`.
    pub fn clipped(
        &mut self,
        segs: Vec<Seg>,
        fill: Option<Rgba>,
        stroke: Option<Stroke>,
        clip: usize,
    ) {
        self.items.push(Item::Shape(Shape {
            segs,
            fill,
            stroke,
            clip: Some(clip),
        }));
    }

    /// Adds a path.
    pub fn shape(&mut self, segs: Vec<Seg>, fill: Option<Rgba>, stroke: Option<Stroke>) {
        self.items.push(Item::Shape(Shape {
            segs,
            fill,
            stroke,
            clip: None,
        }));
    }

    /// Adds text at (x, y) with the alignment given; returns its extent.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        s: &str,
        face: Face3,
        size: f32,
        (x, y): (f32, f32),
        h: HAlign,
        v: VAlign,
        vertical: bool,
    ) -> Rect {
        let line = font::layout(s, face, size);
        let dx = match h {
            HAlign::Left => 0.0,
            HAlign::Center => -line.width / 2.0,
            HAlign::Right => -line.width,
        };
        let dy = match v {
            VAlign::Top => line.ascent,
            VAlign::Center => (line.ascent - line.descent) / 2.0,
            VAlign::Baseline => 0.0,
            VAlign::Bottom => -line.descent,
        };
        // along the line (dx) and across it (dy), in the figure's frame
        let (bx, by) = if vertical {
            (x + dy, y - dx)
        } else {
            (x + dx, y + dy)
        };
        let t = Text {
            line,
            x: bx,
            y: by,
            angle: if vertical { 90.0 } else { 0.0 },
            color: Rgba::BLACK,
        };
        let r = text_rect(&t);
        self.items.push(Item::Text(t));
        r
    }

    /// Adds text rotated by `angle` degrees, aligned by its rotated extent
    /// (matplotlib's default rotation mode: `ha="right"` puts the right end
    /// of the rotated box at the anchor); returns that extent.
    #[allow(clippy::too_many_arguments)]
    pub fn text_rotated(
        &mut self,
        s: &str,
        face: Face3,
        size: f32,
        (x, y): (f32, f32),
        angle: f32,
        h: HAlign,
        v: VAlign,
    ) -> Rect {
        let mut t = Text {
            line: font::layout(s, face, size),
            x: 0.0,
            y: 0.0,
            angle,
            color: Rgba::BLACK,
        };
        let r = text_rect(&t);
        let ax = match h {
            HAlign::Left => r.x0,
            HAlign::Center => 0.5 * (r.x0 + r.x1),
            HAlign::Right => r.x1,
        };
        let ay = match v {
            VAlign::Top => r.y0,
            VAlign::Center | VAlign::Baseline => 0.5 * (r.y0 + r.y1),
            VAlign::Bottom => r.y1,
        };
        t.x = x - ax;
        t.y = y - ay;
        let r = text_rect(&t);
        self.items.push(Item::Text(t));
        r
    }

    /// The extent of everything drawn.
    pub fn bounds(&self) -> Option<Rect> {
        let mut r: Option<Rect> = None;
        for it in &self.items {
            let b = match it {
                Item::Shape(s) => {
                    let pad = s.stroke.as_ref().map_or(0.0, |s| s.width / 2.0);
                    let b = segs_rect(&s.segs);
                    let c = s.clip.and_then(|c| segs_rect(&self.clips[c]));
                    let b = match (b, c) {
                        (Some(b), Some(c)) => Some(Rect {
                            x0: b.x0.max(c.x0),
                            y0: b.y0.max(c.y0),
                            x1: b.x1.min(c.x1),
                            y1: b.y1.min(c.y1),
                        }),
                        (b, _) => b,
                    };
                    match b {
                        Some(b) if b.x1 >= b.x0 && b.y1 >= b.y0 => Rect {
                            x0: b.x0 - pad,
                            y0: b.y0 - pad,
                            x1: b.x1 + pad,
                            y1: b.y1 + pad,
                        },
                        _ => continue,
                    }
                }
                Item::Text(t) => text_rect(t),
                Item::Hatch(h) => match h.rects.iter().copied().reduce(Rect::union) {
                    Some(b) => b,
                    None => continue,
                },
            };
            r = Some(r.map_or(b, |r| r.union(b)));
        }
        r
    }
}

/// Maps a point of a text's own frame (along the baseline, up) into the figure.
fn text_point(t: &Text, a: f32, b: f32) -> (f32, f32) {
    let (sn, cs) = t.angle.to_radians().sin_cos();
    (t.x + a * cs - b * sn, t.y - a * sn - b * cs)
}

/// The extent of a placed text line.
pub fn text_rect(t: &Text) -> Rect {
    let l = &t.line;
    let mut r: Option<Rect> = None;
    for (a, b) in [
        (0.0, l.ascent),
        (l.width, l.ascent),
        (0.0, -l.descent),
        (l.width, -l.descent),
    ] {
        let (x, y) = text_point(t, a, b);
        let p = Rect {
            x0: x,
            y0: y,
            x1: x,
            y1: y,
        };
        r = Some(r.map_or(p, |r| r.union(p)));
    }
    r.unwrap_or(Rect {
        x0: t.x,
        y0: t.y,
        x1: t.x,
        y1: t.y,
    })
}

fn segs_rect(segs: &[Seg]) -> Option<Rect> {
    let mut r: Option<Rect> = None;
    let mut add = |x: f32, y: f32| {
        let p = Rect {
            x0: x,
            y0: y,
            x1: x,
            y1: y,
        };
        r = Some(r.map_or(p, |r| r.union(p)));
    };
    for s in segs {
        match *s {
            Seg::Move(x, y) | Seg::Line(x, y) => add(x, y),
            Seg::Quad(_, _, x, y) => add(x, y),
            Seg::Cubic(_, _, _, _, x, y) => add(x, y),
            Seg::Close => {}
        }
    }
    r
}

/// A rectangle as a closed path.
pub fn rect_path(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Seg> {
    vec![
        Seg::Move(x0, y0),
        Seg::Line(x1, y0),
        Seg::Line(x1, y1),
        Seg::Line(x0, y1),
        Seg::Close,
    ]
}

/// A straight line.
pub fn line_path(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Seg> {
    vec![Seg::Move(x0, y0), Seg::Line(x1, y1)]
}

/// A circle of radius `r` (four cubic arcs).
pub fn circle_path(cx: f32, cy: f32, r: f32) -> Vec<Seg> {
    const K: f32 = 0.552_284_8;
    let k = K * r;
    vec![
        Seg::Move(cx + r, cy),
        Seg::Cubic(cx + r, cy + k, cx + k, cy + r, cx, cy + r),
        Seg::Cubic(cx - k, cy + r, cx - r, cy + k, cx - r, cy),
        Seg::Cubic(cx - r, cy - k, cx - k, cy - r, cx, cy - r),
        Seg::Cubic(cx + k, cy - r, cx + r, cy - k, cx + r, cy),
        Seg::Close,
    ]
}

/// The glyph outlines of a text item in figure points (y down), one path per glyph.
pub fn glyph_paths(t: &Text) -> impl Iterator<Item = Vec<Seg>> + '_ {
    t.line.glyphs.iter().map(move |g| {
        let s = g.size / font::units_per_em(g.face);
        // point in the text frame (along, up) → figure
        let map = |u: f32, v: f32| -> (f32, f32) { text_point(t, g.x + u * s, g.y + v * s) };
        font::outline(g.face, g.id)
            .into_iter()
            .map(|seg| seg.map(map))
            .collect()
    })
}
