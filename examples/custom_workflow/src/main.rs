//! `zmumu-custom`: the cortado command line with this analysis's Rust code.
//!
//! ```text
//! cargo run --release -p cortado-example-custom-workflow -- \
//!     run --cfg examples/custom_workflow/analysis.yaml -o custom_out
//! ```

fn main() -> std::process::ExitCode {
    cortado::cli::main_with(cortado_example_custom_workflow::extensions())
}
