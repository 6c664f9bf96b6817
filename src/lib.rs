//! `cortado`: declarative CMS NanoAOD analysis, as a library for analysis
//! binaries that add Rust code to what configuration can say.
//!
//! A configuration that needs custom logic (a cut, a weight or a variable the
//! expression language cannot write, or PocketCoffea-style processor hooks)
//! is run by a small binary of the analysis's own:
//!
//! ```no_run
//! use cortado::ext::Extensions;
//! fn main() -> std::process::ExitCode {
//!     let ext = Extensions::default(); // add functions and a workflow here
//!     cortado::cli::main_with(ext)
//! }
//! ```
//!
//! It has the whole `cortado` command line (`run`, `check`, `dump`, ...).
//! A program can also run an analysis without the command line:
//! [`runner::run`] takes a [`runner::RunRequest`] (the options of `cortado
//! run`) and does everything `cortado run` does.
//! See `examples/custom_workflow/` for a complete analysis.

pub mod cli;
mod cmd;
mod memory;
mod output;
mod progress;

pub use cortado_config as config;
pub use cortado_correction as correction;
pub use cortado_engine::ext;
pub use cortado_engine::runner;
pub use cortado_expr::{eval, types, user, value};
