//! CMS-style plots of cortado outputs.
pub mod axes;
pub mod compare;
pub mod cutflow;
pub mod figure;
pub mod font;
pub mod hist2d;
pub mod legend;
pub mod output;
pub mod raster;
pub mod run;
pub mod scene;
pub mod shape;
pub mod shifts;
pub mod stats;
pub mod style;
pub mod svg;
pub mod ticks;
