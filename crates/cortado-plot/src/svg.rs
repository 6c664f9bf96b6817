//! SVG output: the scene's paths, text as glyph outlines (so that the file
//! needs no font and looks the same everywhere), clip paths for hatching.

use std::fmt::Write;

use crate::font::Seg;
use crate::scene::{glyph_paths, Item, Rect, Rgba, Scene};

fn d(segs: &[Seg], ox: f32, oy: f32) -> String {
    let mut s = String::with_capacity(segs.len() * 16);
    let f = |v: f32| (v * 100.0).round() / 100.0;
    for seg in segs {
        let _ = match *seg {
            Seg::Move(x, y) => write!(s, "M{} {}", f(x - ox), f(y - oy)),
            Seg::Line(x, y) => write!(s, "L{} {}", f(x - ox), f(y - oy)),
            Seg::Quad(a, b, x, y) => {
                write!(
                    s,
                    "Q{} {} {} {}",
                    f(a - ox),
                    f(b - oy),
                    f(x - ox),
                    f(y - oy)
                )
            }
            Seg::Cubic(a, b, c, e, x, y) => write!(
                s,
                "C{} {} {} {} {} {}",
                f(a - ox),
                f(b - oy),
                f(c - ox),
                f(e - oy),
                f(x - ox),
                f(y - oy)
            ),
            Seg::Close => write!(s, "Z"),
        };
    }
    s
}

fn color_attr(name: &str, c: Rgba) -> String {
    if c.3 < 1.0 {
        format!(r#" {name}="{}" {name}-opacity="{}""#, c.hex(), c.3)
    } else {
        format!(r#" {name}="{}""#, c.hex())
    }
}

/// The part `area` (points) of a scene as an SVG document (1 unit = 1 pt).
pub fn render(scene: &Scene, area: Rect) -> String {
    let (ox, oy) = (area.x0, area.y0);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}">
<rect width="{w}" height="{h}" fill="#ffffff"/>
"##,
        w = area.width(),
        h = area.height()
    );
    for (i, c) in scene.clips.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<clipPath id="c{i}"><path d="{}"/></clipPath>"#,
            d(c, ox, oy)
        );
    }
    for it in &scene.items {
        match it {
            Item::Shape(sh) => {
                let mut attrs = String::new();
                if let Some(c) = sh.clip {
                    let _ = write!(attrs, r#" clip-path="url(#c{c})""#);
                }
                match sh.fill {
                    Some(f) => attrs.push_str(&color_attr("fill", f)),
                    None => attrs.push_str(r#" fill="none""#),
                }
                if let Some(st) = &sh.stroke {
                    attrs.push_str(&color_attr("stroke", st.color));
                    let _ = write!(attrs, r#" stroke-width="{}""#, st.width);
                    if !st.dash.is_empty() {
                        let v: Vec<String> = st.dash.iter().map(|x| x.to_string()).collect();
                        let _ = write!(attrs, r#" stroke-dasharray="{}""#, v.join(" "));
                    }
                }
                let _ = writeln!(s, r#"<path d="{}"{attrs}/>"#, d(&sh.segs, ox, oy));
            }
            Item::Hatch(h) => {
                let lines = crate::legend::hatch_rects(&h.rects, h.spacing);
                let _ = writeln!(
                    s,
                    r#"<path d="{}" fill="none"{} stroke-width="{}"/>"#,
                    d(&lines, ox, oy),
                    color_attr("stroke", h.color),
                    h.width
                );
            }
            Item::Text(t) => {
                let mut all = String::new();
                for g in glyph_paths(t) {
                    all.push_str(&d(&g, ox, oy));
                }
                let _ = writeln!(s, r#"<path d="{all}"{}/>"#, color_attr("fill", t.color));
            }
        }
    }
    s.push_str("</svg>\n");
    s
}
