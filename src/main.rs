//! `cortado`: declarative CMS NanoAOD analysis. This binary is a thin layer of
//! command-line parsing over the library crates in `crates/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    cortado::cli::main_with(cortado::ext::Extensions::default())
}
