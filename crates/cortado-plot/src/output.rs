//! Writing a figure: cropped to what is drawn plus 0.1 in (matplotlib's
//! `bbox_inches="tight"`), as PNG at 150 dpi, SVG or PDF, atomically.

use std::path::Path;

use crate::scene::{Rect, Scene};
use crate::{pdf, raster, svg};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PNG (150 dpi).
    Png,
    /// SVG (vector, text as outlines).
    Svg,
    /// PDF (vector, text as outlines).
    Pdf,
}

impl Format {
    /// Parses `png`, `svg` or `pdf`.
    pub fn parse(s: &str) -> Result<Format, String> {
        match s {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            "pdf" => Ok(Format::Pdf),
            other => Err(format!(
                "unknown plot format '{other}': use png, svg or pdf"
            )),
        }
    }

    /// File extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
            Format::Pdf => "pdf",
        }
    }
}

/// Resolution of PNG files (PocketCoffea's `savefig(dpi=150)`).
pub const DPI: f32 = 150.0;

/// The drawn area plus 0.1 in on every side.
pub fn tight(scene: &Scene) -> Rect {
    let pad = 7.2;
    let b = scene.bounds().unwrap_or(Rect {
        x0: 0.0,
        y0: 0.0,
        x1: scene.width,
        y1: scene.height,
    });
    Rect {
        x0: b.x0 - pad,
        y0: b.y0 - pad,
        x1: b.x1 + pad,
        y1: b.y1 + pad,
    }
}

/// The bytes of a figure in a format.
pub fn encode(scene: &Scene, f: Format) -> Result<Vec<u8>, String> {
    let area = tight(scene);
    match f {
        Format::Png => {
            let (w, h, rgb) = raster::render(scene, area, DPI)?;
            raster::encode_png(w, h, &rgb, DPI)
        }
        Format::Svg => Ok(svg::render(scene, area).into_bytes()),
        Format::Pdf => pdf::render(scene, area),
    }
}

/// Writes a figure atomically, creating its folder.
pub fn write(scene: &Scene, f: Format, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let bytes = encode(scene, f)?;
    cortado_engine::output::write_atomic(path, &bytes)
}
