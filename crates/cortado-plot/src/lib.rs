//! CMS-style plots of cortado outputs: `cortado make-plots` (data/MC stacks
//! with the uncertainty band and the ratio panel, systematic shifts,
//! comparisons of two outputs, 2-D colour maps) and `cortado plot-cutflow`,
//! as PNG, SVG or PDF.
//!
//! Key design decision: a figure is first built as a [`scene::Scene`] — a
//! flat list of filled/stroked paths, text and hatched areas in points,
//! laid out as matplotlib lays out PocketCoffea's figure (mplhep's CMS
//! style, matplotlib's tick locators and legend placement) — and only then
//! drawn by one of three small back ends ([`raster`] with tiny-skia,
//! [`svg`], [`pdf`]). The layout is written once and every format shows the
//! same figure; text is drawn from the TeX Gyre Heros outlines built into
//! the binary, so the files are the same on every machine. The numbers of
//! a figure ([`shape`], [`stats`]) are computed apart from drawing, to be
//! tested against PocketCoffea's. The output is streamed one histogram at a
//! time to worker threads ([`run`]), so memory stays flat with the number
//! of plots.
#![deny(missing_docs)]
pub mod axes;
pub mod compare;
pub mod cutflow;
pub mod figure;
pub mod font;
pub mod hist2d;
pub mod legend;
pub mod output;
pub mod pdf;
pub mod raster;
pub mod run;
pub mod scene;
pub mod shape;
pub mod shifts;
pub mod stats;
pub mod style;
pub mod svg;
pub mod ticks;
