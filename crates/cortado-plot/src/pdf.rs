//! PDF output (one page, 1 unit = 1 pt) written with `pdf-writer`: the same
//! items as the SVG — paths, text as glyph outlines (no font to embed, the
//! same on every viewer), clip paths for hatching, transparency through
//! graphics states — in a deflated content stream.

use std::collections::BTreeMap;
use std::io::Write;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Ref};

use crate::font::Seg;
use crate::scene::{glyph_paths, Item, Rect, Rgba, Scene};

/// Appends an outline to the content stream, moved by (`ox`, `oy`) and
/// flipped to PDF's upward y (`h` is the page height). Quadratic segments
/// become the equal cubic ones (PDF has only cubic Béziers).
fn path(c: &mut Content, segs: &[Seg], ox: f32, oy: f32, h: f32) {
    let p = |x: f32, y: f32| (x - ox, h - (y - oy));
    let mut cur = (0.0f32, 0.0f32);
    for seg in segs {
        match *seg {
            Seg::Move(x, y) => {
                cur = p(x, y);
                c.move_to(cur.0, cur.1);
            }
            Seg::Line(x, y) => {
                cur = p(x, y);
                c.line_to(cur.0, cur.1);
            }
            Seg::Quad(a, b, x, y) => {
                let (q, e) = (p(a, b), p(x, y));
                let c1 = (
                    cur.0 + 2.0 / 3.0 * (q.0 - cur.0),
                    cur.1 + 2.0 / 3.0 * (q.1 - cur.1),
                );
                let c2 = (e.0 + 2.0 / 3.0 * (q.0 - e.0), e.1 + 2.0 / 3.0 * (q.1 - e.1));
                c.cubic_to(c1.0, c1.1, c2.0, c2.1, e.0, e.1);
                cur = e;
            }
            Seg::Cubic(a, b, d, e, x, y) => {
                let (c1, c2, end) = (p(a, b), p(d, e), p(x, y));
                c.cubic_to(c1.0, c1.1, c2.0, c2.1, end.0, end.1);
                cur = end;
            }
            Seg::Close => {
                c.close_path();
            }
        }
    }
}

/// Graphics states for the opacities used, named `/A0`, `/A1`, … by the
/// opacity in thousandths.
#[derive(Default)]
struct Alphas(BTreeMap<u32, usize>);

impl Alphas {
    fn name(&mut self, a: f32) -> String {
        let key = (a.clamp(0.0, 1.0) * 1000.0).round() as u32;
        let n = self.0.len();
        format!("A{}", self.0.entry(key).or_insert(n))
    }
}

fn fill(c: &mut Content, col: Rgba, alphas: &mut Alphas) {
    if col.3 < 1.0 {
        let n = alphas.name(col.3);
        c.set_parameters(Name(n.as_bytes()));
    }
    c.set_fill_rgb(col.0, col.1, col.2);
}

fn stroke(c: &mut Content, col: Rgba, width: f32, dash: &[f32], alphas: &mut Alphas) {
    if col.3 < 1.0 {
        let n = alphas.name(col.3);
        c.set_parameters(Name(n.as_bytes()));
    }
    c.set_stroke_rgb(col.0, col.1, col.2);
    c.set_line_width(width);
    if !dash.is_empty() {
        c.set_dash_pattern(dash.iter().copied(), 0.0);
    }
}

/// The part `area` (points) of a scene as a one-page PDF document.
pub fn render(scene: &Scene, area: Rect) -> Result<Vec<u8>, String> {
    let (ox, oy, w, h) = (area.x0, area.y0, area.width(), area.height());
    let mut c = Content::new();
    let mut alphas = Alphas::default();
    c.set_fill_rgb(1.0, 1.0, 1.0);
    c.rect(0.0, 0.0, w, h);
    c.fill_nonzero();
    for it in &scene.items {
        // every item in its own graphics state: clips, opacities and dashes
        // never leak into the next
        c.save_state();
        match it {
            Item::Shape(sh) => {
                if let Some(clip) = sh.clip.and_then(|i| scene.clips.get(i)) {
                    path(&mut c, clip, ox, oy, h);
                    c.clip_nonzero();
                    c.end_path();
                }
                path(&mut c, &sh.segs, ox, oy, h);
                if let Some(f) = sh.fill {
                    fill(&mut c, f, &mut alphas);
                }
                if let Some(st) = &sh.stroke {
                    stroke(&mut c, st.color, st.width, &st.dash, &mut alphas);
                }
                match (sh.fill.is_some(), sh.stroke.is_some()) {
                    (true, true) => c.fill_nonzero_and_stroke(),
                    (true, false) => c.fill_nonzero(),
                    (false, true) => c.stroke(),
                    (false, false) => c.end_path(),
                };
            }
            Item::Hatch(hatch) => {
                let lines = crate::legend::hatch_rects(&hatch.rects, hatch.spacing);
                stroke(&mut c, hatch.color, hatch.width, &[], &mut alphas);
                path(&mut c, &lines, ox, oy, h);
                c.stroke();
            }
            Item::Text(t) => {
                fill(&mut c, t.color, &mut alphas);
                for g in glyph_paths(t) {
                    path(&mut c, &g, ox, oy, h);
                }
                c.fill_nonzero();
            }
        }
        c.restore_state();
    }
    let raw = c.finish();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    z.write_all(&raw)
        .map_err(|e| format!("compressing the PDF content: {e}"))?;
    let content = z
        .finish()
        .map_err(|e| format!("compressing the PDF content: {e}"))?;

    let (catalog, tree, page, content_id) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut pg = pdf.page(page);
    pg.parent(tree)
        .media_box(pdf_writer::Rect::new(0.0, 0.0, w, h))
        .contents(content_id);
    let mut res = pg.resources();
    let mut states = res.ext_g_states();
    for (&milli, &i) in &alphas.0 {
        let a = milli as f32 / 1000.0;
        let name = format!("A{i}");
        states
            .insert(Name(name.as_bytes()))
            .start::<pdf_writer::writers::ExtGraphicsState>()
            .non_stroking_alpha(a)
            .stroking_alpha(a);
    }
    states.finish();
    res.finish();
    pg.finish();
    pdf.stream(content_id, &content).filter(Filter::FlateDecode);
    pdf.document_info(Ref::new(5))
        .producer(pdf_writer::TextStr("cortado make-plots"));
    Ok(pdf.finish())
}
