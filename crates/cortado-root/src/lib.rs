//! A native, columnar reader of ROOT files, made for CMS NanoAOD.
//!
//! Layers, from bytes to columns:
//! - [`rbuf`]: a bounds-checked big-endian cursor;
//! - [`compression`]: ROOT's block framing with ZLIB, LZMA, LZ4, ZSTD and old `CS`;
//! - [`file`](mod@file): file header, keys and directories ([`RootFile`]);
//! - [`objects`] and [`streamers`]: ROOT's object graph and `TStreamerInfo`;
//! - [`tree`]: `TTree` metadata, basket decoding and parallel columnar reads.
//!
//! ```no_run
//! let file = cortado_root::RootFile::open("nano.root")?;
//! let events = file.tree("Events")?;
//! let cols = events.read(&["nMuon", "Muon_pt"], 0..events.entries())?;
//! println!("{} muons", cols[1].values.len());
//! # Ok::<(), cortado_root::Error>(())
//! ```

pub mod compression;
pub mod error;
pub mod file;
pub mod objects;
pub mod rbuf;
pub mod streamers;
pub mod tree;

pub use compression::Algorithm;
pub use error::{Error, ErrorKind, Located, Result};
pub use file::{Directory, FileHeader, Key, RootFile};
pub use streamers::{StreamerElement, StreamerInfo};
pub use tree::read::BranchShape;
pub use tree::{Branch, Leaf, Tree};
