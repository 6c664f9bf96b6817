//! Text in TeX Gyre Heros (the font of mplhep's CMS style), shipped inside
//! the binary so that a plot looks the same on every machine.
//!
//! Text is laid out into glyphs with their advances and no kerning (the
//! fonts have only GPOS kerning, which matplotlib does not apply either), with
//! a small subset of TeX: `^{…}` superscripts (the `fb^{-1}` of the
//! luminosity, `10^{2}` on log axes), `_{…}` subscripts and `$…$` markers,
//! which are dropped.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId, OutlineBuilder};

/// The three faces used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Face3 {
    /// Regular: axis labels, ticks, legend.
    Regular,
    /// Bold: "CMS".
    Bold,
    /// Italic: "Preliminary".
    Italic,
}

static REGULAR: &[u8] = include_bytes!("../fonts/texgyreheros-regular.otf");
static BOLD: &[u8] = include_bytes!("../fonts/texgyreheros-bold.otf");
static ITALIC: &[u8] = include_bytes!("../fonts/texgyreheros-italic.otf");

/// The parsed face (parsed once per process).
pub fn face(f: Face3) -> &'static Face<'static> {
    static FACES: OnceLock<[Face<'static>; 3]> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        [REGULAR, BOLD, ITALIC].map(|b| Face::parse(b, 0).expect("the shipped fonts parse"))
    });
    &faces[f as usize]
}

/// One glyph placed on a line: offsets in points from the text's origin on
/// the baseline (y up), and its size in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glyph {
    /// The face.
    pub face: Face3,
    /// The glyph.
    pub id: u16,
    /// Offset along the baseline.
    pub x: f32,
    /// Offset above the baseline (superscripts).
    pub y: f32,
    /// Font size in points.
    pub size: f32,
}

/// A line of text laid out: glyphs, advance width, and the extent above and
/// below the baseline (at least that of "lp", as matplotlib does, so that
/// labels line up whatever their letters).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    /// The glyphs.
    pub glyphs: Vec<Glyph>,
    /// Advance width in points.
    pub width: f32,
    /// Height above the baseline in points.
    pub ascent: f32,
    /// Depth below the baseline in points (positive).
    pub descent: f32,
}

const SUPER_SHRINK: f32 = 0.7;
const SUPER_RAISE: f32 = 0.42;
const SUB_DROP: f32 = 0.18;

/// Lays out `text` in face `f` at `size` points.
pub fn layout(text: &str, f: Face3, size: f32) -> Line {
    let mut line = Line::default();
    let mut chars = text.chars().peekable();
    let mut x = 0.0f32;
    let mut math = false;
    // where the last script started and ended: a subscript and a superscript
    // in a row (`p_T^j`) stack at the same place, as in TeX
    let mut last_script: Option<(char, f32, f32)> = None;
    while let Some(c) = chars.next() {
        let mut script_now = None;
        match c {
            '$' => math = !math,
            // outside $…$ every character is itself, as in matplotlib
            _ if !math => x += place(&mut line, f, c, x, 0.0, size),
            '{' | '}' => {}
            '\\' => {
                if let Some(sym) = command(&mut chars) {
                    x += place(&mut line, f, sym, x, 0.0, size);
                }
            }
            '^' | '_' => {
                let script = untex(&take_group(&mut chars));
                let s = size * SUPER_SHRINK;
                let y = if c == '^' {
                    size * SUPER_RAISE
                } else {
                    -size * SUB_DROP
                };
                let (start, before) = match last_script {
                    Some((k, st, end)) if k != c && end == x => (st, end),
                    _ => (x, x),
                };
                let mut xs = start;
                for sc in script.chars() {
                    // in math, "-" is the minus sign
                    let sc = if math && sc == '-' { '\u{2212}' } else { sc };
                    xs += place(&mut line, f, sc, xs, y, s);
                }
                x = xs.max(before);
                script_now = Some((c, start, x));
            }
            '-' if math => x += place(&mut line, f, '\u{2212}', x, 0.0, size),
            _ => x += place(&mut line, f, c, x, 0.0, size),
        }
        last_script = script_now;
    }
    line.width = x;
    // matplotlib makes every line at least as high and deep as "lp"
    let fc = face(f);
    let scale = size / fc.units_per_em() as f32;
    for (c, top) in [('l', true), ('p', false)] {
        if let Some(b) = fc.glyph_index(c).and_then(|g| fc.glyph_bounding_box(g)) {
            if top {
                line.ascent = line.ascent.max(b.y_max as f32 * scale);
            } else {
                line.descent = line.descent.max(-(b.y_min as f32) * scale);
            }
        }
    }
    line
}

/// Reads a TeX command after its backslash: the character it stands for,
/// or `None` for font switches (`\\mathrm`, …) whose group is then set as is.
fn command(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<char> {
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if !c.is_ascii_alphabetic() {
            break;
        }
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        // `\,`, `\;`, `\ `, `\%`, `\#`, …
        return match chars.next() {
            Some(',' | ';' | ':' | ' ' | '!') => Some(' '),
            other => other,
        };
    }
    const SYMBOLS: &[(&str, char)] = &[
        ("alpha", 'α'),
        ("beta", 'β'),
        ("gamma", 'γ'),
        ("delta", 'δ'),
        ("epsilon", 'ε'),
        ("eta", 'η'),
        ("theta", 'θ'),
        ("lambda", 'λ'),
        ("mu", 'μ'),
        ("nu", 'ν'),
        ("pi", 'π'),
        ("rho", 'ρ'),
        ("sigma", 'σ'),
        ("tau", 'τ'),
        ("phi", 'φ'),
        ("varphi", 'φ'),
        ("chi", 'χ'),
        ("psi", 'ψ'),
        ("omega", 'ω'),
        ("Gamma", 'Γ'),
        ("Delta", 'Δ'),
        ("Sigma", 'Σ'),
        ("Phi", 'Φ'),
        ("Omega", 'Ω'),
        ("ell", 'ℓ'),
        ("pm", '±'),
        ("times", '×'),
        ("cdot", '·'),
        ("rightarrow", '→'),
        ("to", '→'),
        ("geq", '≥'),
        ("leq", '≤'),
        ("ge", '≥'),
        ("le", '≤'),
        ("sqrt", '√'),
        ("infty", '∞'),
        ("prime", '′'),
        ("quad", ' '),
        ("mathcal", '\0'),
    ];
    match SYMBOLS.iter().find(|(n, _)| *n == name) {
        Some((_, '\0')) | None => None,
        Some((_, c)) => Some(*c),
    }
}

/// The characters of a script group with its TeX commands replaced.
fn untex(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' | '$' => {}
            '\\' => out.extend(command(&mut chars)),
            _ => out.push(c),
        }
    }
    out
}

fn take_group(chars: &mut std::iter::Peekable<std::str::Chars>) -> String {
    let mut s = String::new();
    if chars.peek() == Some(&'{') {
        chars.next();
        for c in chars.by_ref() {
            if c == '}' {
                break;
            }
            s.push(c);
        }
    } else if let Some(c) = chars.next() {
        s.push(c);
    }
    s
}

fn place(line: &mut Line, f: Face3, c: char, x: f32, y: f32, size: f32) -> f32 {
    let fc = face(f);
    let id = fc
        .glyph_index(c)
        .or_else(|| fc.glyph_index('?'))
        .unwrap_or(GlyphId(0));
    let scale = size / fc.units_per_em() as f32;
    if let Some(b) = fc.glyph_bounding_box(id) {
        line.ascent = line.ascent.max(y + b.y_max as f32 * scale);
        line.descent = line.descent.max(-(y + b.y_min as f32 * scale));
    }
    line.glyphs.push(Glyph {
        face: f,
        id: id.0,
        x,
        y,
        size,
    });
    fc.glyph_hor_advance(id).unwrap_or(0) as f32 * scale
}

/// One segment of an outline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Seg {
    /// Start a contour.
    Move(f32, f32),
    /// Straight line.
    Line(f32, f32),
    /// Quadratic Bézier (control, end).
    Quad(f32, f32, f32, f32),
    /// Cubic Bézier (control 1, control 2, end).
    Cubic(f32, f32, f32, f32, f32, f32),
    /// Close the contour.
    Close,
}

struct Collect(Vec<Seg>);

impl OutlineBuilder for Collect {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Move(x, y));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Line(x, y));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.push(Seg::Quad(x1, y1, x, y));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.push(Seg::Cubic(x1, y1, x2, y2, x, y));
    }
    fn close(&mut self) {
        self.0.push(Seg::Close);
    }
}

impl Seg {
    /// The segment with every point mapped by `f`.
    pub fn map(self, f: impl Fn(f32, f32) -> (f32, f32)) -> Seg {
        match self {
            Seg::Move(x, y) => {
                let p = f(x, y);
                Seg::Move(p.0, p.1)
            }
            Seg::Line(x, y) => {
                let p = f(x, y);
                Seg::Line(p.0, p.1)
            }
            Seg::Quad(a, b, x, y) => {
                let (c, p) = (f(a, b), f(x, y));
                Seg::Quad(c.0, c.1, p.0, p.1)
            }
            Seg::Cubic(a, b, c, d, x, y) => {
                let (c1, c2, p) = (f(a, b), f(c, d), f(x, y));
                Seg::Cubic(c1.0, c1.1, c2.0, c2.1, p.0, p.1)
            }
            Seg::Close => Seg::Close,
        }
    }
}

/// The outline of a glyph in font units (y up); empty for a space.
pub fn outline(f: Face3, id: u16) -> Vec<Seg> {
    let mut c = Collect(Vec::new());
    face(f).outline_glyph(GlyphId(id), &mut c);
    c.0
}

/// Font units per em of a face.
pub fn units_per_em(f: Face3) -> f32 {
    face(f).units_per_em() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_advances_and_superscripts() {
        let a = layout("Data", Face3::Regular, 20.0);
        assert_eq!(a.glyphs.len(), 4);
        assert!(a.width > 30.0 && a.width < 60.0, "{}", a.width);
        let b = layout("$fb^{-1}$", Face3::Regular, 20.0);
        assert_eq!(b.glyphs.len(), 4);
        assert!(b.glyphs[2].y > 5.0 && b.glyphs[2].size < 20.0);
        // "$" is markup, not a glyph; TeX commands are their symbols
        assert_eq!(layout("$p_{T}$", Face3::Regular, 10.0).glyphs.len(), 2);
        let eta = layout("$\\eta_{j}$ for $\\mathrm{Obj.}$", Face3::Regular, 10.0);
        assert_eq!(eta.glyphs.len(), 2 + 5 + 4);
        // outside $…$ nothing is markup: sample names keep their underscores
        let name = layout("DATA_SingleMuon ^{x}", Face3::Regular, 10.0);
        assert_eq!(name.glyphs.len(), 20);
        assert!(name.glyphs.iter().all(|g| g.y == 0.0));
        assert_eq!(untex("{-1}"), "-1");
        // p_T^j: the superscript stands over the subscript
        let pt = layout("$p_{T}^{j}$", Face3::Regular, 10.0);
        assert_eq!(pt.glyphs[1].x, pt.glyphs[2].x);
        // in math "-" is the minus sign, outside it the hyphen
        let minus = face(Face3::Regular).glyph_index('\u{2212}').unwrap().0;
        assert_eq!(
            layout("$10^{-2}$", Face3::Regular, 10.0).glyphs[2].id,
            minus
        );
        assert_ne!(layout("-2", Face3::Regular, 10.0).glyphs[0].id, minus);
        // every line is at least as high as "lp"
        let lp = layout("lp", Face3::Regular, 10.0);
        let a = layout("a", Face3::Regular, 10.0);
        assert_eq!((a.ascent, a.descent), (lp.ascent, lp.descent));
        assert!(!outline(Face3::Bold, layout("C", Face3::Bold, 10.0).glyphs[0].id).is_empty());
    }
}
