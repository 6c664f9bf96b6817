//! PNG output: the scene drawn with tiny-skia (anti-aliased) and encoded
//! with png's fast deflate, as 8-bit RGB with the resolution recorded.

use tiny_skia::{FillRule, Mask, Paint, PathBuilder, Pixmap, StrokeDash, Transform};

use crate::font::Seg;
use crate::scene::{glyph_paths, Item, Rect, Rgba, Scene};

fn path(segs: &[Seg], k: f32, ox: f32, oy: f32) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let m = |x: f32, y: f32| ((x - ox) * k, (y - oy) * k);
    for s in segs {
        match *s {
            Seg::Move(x, y) => {
                let p = m(x, y);
                pb.move_to(p.0, p.1)
            }
            Seg::Line(x, y) => {
                let p = m(x, y);
                pb.line_to(p.0, p.1)
            }
            Seg::Quad(a, b, x, y) => {
                let (c, p) = (m(a, b), m(x, y));
                pb.quad_to(c.0, c.1, p.0, p.1)
            }
            Seg::Cubic(a, b, c, d, x, y) => {
                let (c1, c2, p) = (m(a, b), m(c, d), m(x, y));
                pb.cubic_to(c1.0, c1.1, c2.0, c2.1, p.0, p.1)
            }
            Seg::Close => pb.close(),
        }
    }
    pb.finish()
}

fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(
        (c.0 * 255.0).round() as u8,
        (c.1 * 255.0).round() as u8,
        (c.2 * 255.0).round() as u8,
        (c.3 * 255.0).round() as u8,
    );
    p.anti_alias = true;
    p
}

/// Draws the part `area` (points) of a scene at `dpi` into RGB pixels.
pub fn render(scene: &Scene, area: Rect, dpi: f32) -> Result<(u32, u32, Vec<u8>), String> {
    let k = dpi / 72.0;
    let w = (area.width() * k).round().max(1.0) as u32;
    let h = (area.height() * k).round().max(1.0) as u32;
    let mut pm = Pixmap::new(w, h).ok_or_else(|| format!("cannot draw a {w}×{h} image"))?;
    pm.fill(tiny_skia::Color::WHITE);
    let (ox, oy) = (area.x0, area.y0);
    let mut masks: Vec<Option<Mask>> = vec![None; scene.clips.len()];
    for it in &scene.items {
        match it {
            Item::Shape(s) => {
                let Some(p) = path(&s.segs, k, ox, oy) else {
                    continue;
                };
                if let Some(c) = s.clip {
                    if masks[c].is_none() {
                        let Some(cp) = path(&scene.clips[c], k, ox, oy) else {
                            continue;
                        };
                        let mut m = Mask::new(w, h).ok_or("cannot make a clip mask")?;
                        m.fill_path(&cp, FillRule::Winding, true, Transform::identity());
                        masks[c] = Some(m);
                    }
                }
                let mask = s.clip.and_then(|c| masks[c].as_ref());
                if let Some(f) = s.fill {
                    pm.fill_path(
                        &p,
                        &paint(f),
                        FillRule::Winding,
                        Transform::identity(),
                        mask,
                    );
                }
                if let Some(st) = &s.stroke {
                    if s.clip.is_none()
                        && st.dash.is_empty()
                        && draw_straight(&mut pm, &s.segs, st, k, ox, oy)
                    {
                        continue;
                    }
                    let mut sk = tiny_skia::Stroke {
                        width: st.width * k,
                        ..Default::default()
                    };
                    if !st.dash.is_empty() {
                        sk.dash = StrokeDash::new(st.dash.iter().map(|d| d * k).collect(), 0.0);
                    }
                    pm.stroke_path(&p, &paint(st.color), &sk, Transform::identity(), mask);
                }
            }
            Item::Hatch(hatch) => draw_hatch(&mut pm, hatch, k, ox, oy)?,
            Item::Text(t) if t.angle == 0.0 => draw_text_cached(&mut pm, t, k, ox, oy),
            Item::Text(t) => {
                let pt = paint(t.color);
                for g in glyph_paths(t) {
                    if let Some(p) = path(&g, k, ox, oy) {
                        pm.fill_path(&p, &pt, FillRule::Winding, Transform::identity(), None);
                    }
                }
            }
        }
    }
    // opaque: drop the alpha channel
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    for (d, s) in rgb.chunks_exact_mut(3).zip(pm.data().chunks_exact(4)) {
        d.copy_from_slice(&s[..3]);
    }
    Ok((w, h, rgb))
}

/// Hatching through a repeating tile of two lines (the spacing rounded so
/// that the tile has whole pixels): the rectangles are then plain fills.
fn draw_hatch(
    pm: &mut Pixmap,
    h: &crate::scene::Hatch,
    k: f32,
    ox: f32,
    oy: f32,
) -> Result<(), String> {
    let tile = (2.0 * h.spacing * k).round().max(2.0) as u32;
    let mut t = Pixmap::new(tile, tile).ok_or("cannot make a hatch tile")?;
    let ts = tile as f32;
    let mut pb = PathBuilder::new();
    // lines x + y = c for c = 0, ts/2, ts, 3ts/2, 2ts: they repeat across tiles
    for i in 0..5 {
        let c = i as f32 * ts / 2.0;
        pb.move_to(c + 1.0, -1.0);
        pb.line_to(c - ts - 1.0, ts + 1.0);
    }
    if let Some(p) = pb.finish() {
        let sk = tiny_skia::Stroke {
            width: h.width * k,
            ..Default::default()
        };
        t.stroke_path(&p, &paint(h.color), &sk, Transform::identity(), None);
    }
    // source-over of the (premultiplied) tile, pixel by pixel: far cheaper
    // than a pattern shader for these mostly transparent tiles
    let tile_px = t.data();
    let (pw, ph) = (pm.width() as i64, pm.height() as i64);
    let (tx, ty) = ((ox * k).round() as i64, (oy * k).round() as i64);
    let data = pm.data_mut();
    for r in &h.rects {
        let x0 = (((r.x0 - ox) * k).round() as i64).clamp(0, pw);
        let y0 = (((r.y0 - oy) * k).round() as i64).clamp(0, ph);
        let x1 = (((r.x1 - ox) * k).round() as i64).clamp(0, pw);
        let y1 = (((r.y1 - oy) * k).round() as i64).clamp(0, ph);
        for y in y0..y1 {
            let trow = ((y + ty).rem_euclid(tile as i64) as usize) * tile as usize;
            for x in x0..x1 {
                let ti = (trow + (x + tx).rem_euclid(tile as i64) as usize) * 4;
                let a = tile_px[ti + 3] as u32;
                if a == 0 {
                    continue;
                }
                let di = ((y * pw + x) * 4) as usize;
                for c in 0..4 {
                    let d = data[di + c] as u32;
                    data[di + c] = (tile_px[ti + c] as u32 + (d * (255 - a) + 127) / 255) as u8;
                }
            }
        }
    }
    Ok(())
}

/// Draws a stroke made only of horizontal and vertical segments as
/// anti-aliased rectangles (butt caps), much cheaper than stroking a path;
/// returns false (drawing nothing) for any other stroke.
fn draw_straight(
    pm: &mut Pixmap,
    segs: &[Seg],
    st: &crate::scene::Stroke,
    k: f32,
    ox: f32,
    oy: f32,
) -> bool {
    if !segs.len().is_multiple_of(2) {
        return false;
    }
    let mut rects = Vec::with_capacity(segs.len() / 2);
    let hw = st.width * k / 2.0;
    for pair in segs.chunks_exact(2) {
        let (Seg::Move(x0, y0), Seg::Line(x1, y1)) = (pair[0], pair[1]) else {
            return false;
        };
        let (x0, y0, x1, y1) = ((x0 - ox) * k, (y0 - oy) * k, (x1 - ox) * k, (y1 - oy) * k);
        let r = if x0 == x1 {
            tiny_skia::Rect::from_ltrb(x0 - hw, y0.min(y1), x0 + hw, y0.max(y1))
        } else if y0 == y1 {
            tiny_skia::Rect::from_ltrb(x0.min(x1), y0 - hw, x0.max(x1), y0 + hw)
        } else {
            return false;
        };
        rects.push(r);
    }
    let p = paint(st.color);
    for r in rects.into_iter().flatten() {
        pm.fill_rect(r, &p, Transform::identity(), None);
    }
    true
}

/// Rendered glyphs, per thread: (face, glyph, size, colour, sub-pixel
/// phase) → an image and its offset from the pixel the origin falls in.
type GlyphKey = (u8, u16, u32, [u8; 4], u8, u8);
/// A rendered glyph and its offset (None: nothing to draw, a space).
type GlyphImage = Option<(Pixmap, i32, i32)>;

thread_local! {
    static GLYPHS: std::cell::RefCell<std::collections::HashMap<GlyphKey, GlyphImage>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Sub-pixel positions kept per pixel (in x and y).
const PHASES: f32 = 4.0;

/// Draws unrotated text from cached glyph images, each rendered once per
/// size and quarter-pixel position (the same coverage as drawing its path
/// at that position, to a quarter pixel).
fn draw_text_cached(pm: &mut Pixmap, t: &crate::scene::Text, k: f32, ox: f32, oy: f32) {
    let c = t.color;
    let rgba = [c.0, c.1, c.2, c.3].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
    GLYPHS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 20_000 {
            cache.clear();
        }
        for g in &t.line.glyphs {
            let gx = (t.x + g.x - ox) * k;
            let gy = (t.y - g.y - oy) * k;
            let (px, py) = (gx.floor(), gy.floor());
            let phx = ((gx - px) * PHASES).floor().min(PHASES - 1.0);
            let phy = ((gy - py) * PHASES).floor().min(PHASES - 1.0);
            let key = (
                g.face as u8,
                g.id,
                (g.size * k * 64.0).round() as u32,
                rgba,
                phx as u8,
                phy as u8,
            );
            let entry = cache
                .entry(key)
                .or_insert_with(|| render_glyph(g, k, phx / PHASES, phy / PHASES, paint(c)));
            if let Some((img, dx, dy)) = entry {
                pm.draw_pixmap(
                    px as i32 + *dx,
                    py as i32 + *dy,
                    img.as_ref(),
                    &tiny_skia::PixmapPaint::default(),
                    Transform::identity(),
                    None,
                );
            }
        }
    });
}

/// One glyph drawn at sub-pixel offset (fx, fy) into its own small image.
fn render_glyph(
    g: &crate::font::Glyph,
    k: f32,
    fx: f32,
    fy: f32,
    pt: Paint<'static>,
) -> Option<(Pixmap, i32, i32)> {
    let s = g.size * k / crate::font::units_per_em(g.face);
    let outline = crate::font::outline(g.face, g.id);
    let segs: Vec<Seg> = outline
        .iter()
        .map(|seg| seg.map(|x, y| (fx + x * s, fy - y * s)))
        .collect();
    let p = path(&segs, 1.0, 0.0, 0.0)?;
    let b = p.bounds();
    let (x0, y0) = (b.left().floor() as i32 - 1, b.top().floor() as i32 - 1);
    let (w, h) = (
        (b.right().ceil() as i32 + 1 - x0) as u32,
        (b.bottom().ceil() as i32 + 1 - y0) as u32,
    );
    let mut img = Pixmap::new(w, h)?;
    img.fill_path(
        &p,
        &pt,
        FillRule::Winding,
        Transform::from_translate(-x0 as f32, -y0 as f32),
        None,
    );
    Some((img, x0, y0))
}

/// Encodes RGB pixels as PNG, recording `dpi`.
pub fn encode_png(w: u32, h: u32, rgb: &[u8], dpi: f32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_deflate_compression(png::DeflateCompression::Level(2));
        // deflate level 2 with one filter for every row: plots are flat areas
        // and lines, which "up" compresses to about matplotlib's sizes in half
        // the time of level 6 with the adaptive filter (examples/pngtune.rs)
        enc.set_filter(png::Filter::Up);
        let ppm = (dpi / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(rgb).map_err(|e| e.to_string())?;
        wr.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Decodes an 8-bit RGB or RGBA PNG into RGB pixels (for comparisons).
pub fn decode_png(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut rd = dec.read_info().map_err(|e| e.to_string())?;
    let size = rd.output_buffer_size().ok_or("PNG too large")?;
    let mut buf = vec![0; size];
    let info = rd.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let rgb = match (info.color_type, info.bit_depth) {
        (png::ColorType::Rgb, png::BitDepth::Eight) => buf,
        (png::ColorType::Rgba, png::BitDepth::Eight) => buf
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        (c, d) => return Err(format!("unsupported PNG ({c:?}, {d:?})")),
    };
    Ok((info.width, info.height, rgb))
}
