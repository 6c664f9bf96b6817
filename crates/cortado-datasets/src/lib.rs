//! `cortado build-datasets`: PocketCoffea's dataset definition JSON in,
//! fileset JSONs out, in PocketCoffea's formats (dataset names
//! `{key}[_{part}]_{year}[_Era{era}]`, metadata values as Python's `str()`
//! writes them), so that `cortado run` and PocketCoffea read them unchanged.
//!
//! Sources: DAS dataset names (files and events from DBS, replicas from
//! Rucio, sites' XRootD prefixes from SITECONF — `das`), local folders and
//! globs, and `root://` directories (`listing`).
//!
//! Key design decision: where the files can be reached (local, XRootD),
//! the file lists and event counts come from the files themselves, each
//! opened and its `Events` tree read — so such a fileset never names a
//! file that cannot be read; and every bad file or dataset is reported at
//! once before anything is written (PocketCoffea stops at the first, and
//! its `--check` crashes).

#![deny(missing_docs)]

pub mod build;
pub mod das;
pub mod definition;
pub mod download;
pub mod listing;

pub use build::{
    all_keys, build_all, check_fileset, outputs, write_outputs, BadFile, Built, Download, Kind,
    Options,
};
pub use das::{Services, SiteFilter};
