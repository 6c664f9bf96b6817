//! `cortado build-datasets`: PocketCoffea's dataset definition JSON in,
//! fileset JSONs out, in PocketCoffea's formats (dataset names
//! `{key}[_{part}]_{year}[_Era{era}]`, metadata values as Python's `str()`
//! writes them), so that `cortado run` and PocketCoffea read them unchanged.
//!
//! Key design decision: the file lists and event counts come from the
//! files themselves (a local folder or glob, a `root://` directory listed
//! with `kXR_dirlist`), each file opened and its `Events` tree read — so a
//! fileset never names a file that cannot be read, and every bad file is
//! reported at once (PocketCoffea's `--check` crashes). DAS datasets
//! (DBS/Rucio) are not supported yet and are refused with a clear error.

#![deny(missing_docs)]

pub mod build;
pub mod definition;
pub mod listing;

pub use build::{build_all, check_fileset, outputs, write_outputs, BadFile, Built, Options};
