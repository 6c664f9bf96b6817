//! `cortado correction`: what a correctionlib file holds (`summary`), and
//! the value of one of its corrections (`eval`), like correctionlib's
//! `correction` command.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use cortado_correction::{CorrectionSet, Value, VarType};

/// Arguments of `cortado correction`.
#[derive(Args, Debug)]
pub struct CorrectionArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CorrectionCommand,
}

/// The subcommands of `cortado correction`.
#[derive(Subcommand, Debug)]
pub enum CorrectionCommand {
    /// Every correction of a file: its inputs (types, ranges or keys),
    /// output, version and description, and the compound corrections.
    ///
    /// Example:
    ///   cortado correction summary muon_Z.json.gz
    #[command(verbatim_doc_comment)]
    Summary {
        /// The correction file (.json or .json.gz).
        file: PathBuf,
    },
    /// The value of one correction (or compound correction) for one set of
    /// inputs, in the order of its inputs. Prints the value alone; a refused
    /// input (out of range, unknown key) is an error on stderr, exit code 1.
    ///
    /// Example:
    ///   cortado correction eval muon_Z.json.gz NUM_TightID_DEN_TrackerMuons 1.2 40 nominal
    #[command(verbatim_doc_comment)]
    Eval {
        /// The correction file (.json or .json.gz).
        file: PathBuf,
        /// The correction's name.
        name: String,
        /// One value per input (real: a number, int: an integer, string: text).
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Runs the subcommand.
pub fn run(args: &CorrectionArgs) -> Result<()> {
    match &args.command {
        CorrectionCommand::Summary { file } => {
            let set = CorrectionSet::from_file(file)?;
            print!("{}", cortado_correction::summary_text(&set));
            Ok(())
        }
        CorrectionCommand::Eval { file, name, args } => {
            let set = CorrectionSet::from_file(file)?;
            let corr = set.any(name)?;
            let inputs = corr.inputs();
            if args.len() != inputs.len() {
                let sig: Vec<String> = inputs
                    .iter()
                    .map(|v| format!("{} ({})", v.name, v.kind.name()))
                    .collect();
                bail!(
                    "correction '{name}' takes {} inputs: {}; got {}",
                    inputs.len(),
                    sig.join(", "),
                    args.len()
                );
            }
            let values = inputs
                .iter()
                .zip(args)
                .map(|(v, a)| parse_arg(a, v.kind).with_context(|| format!("input '{}'", v.name)))
                .collect::<Result<Vec<Value>>>()?;
            println!("{}", corr.evaluate(&values)?);
            Ok(())
        }
    }
}

/// One argument as a value of the input's type.
fn parse_arg(text: &str, kind: VarType) -> Result<Value<'_>> {
    Ok(match kind {
        VarType::Real => Value::Real(
            text.parse()
                .map_err(|_| anyhow::anyhow!("'{text}' is not a number (the input is real)"))?,
        ),
        VarType::Int => Value::Int(
            text.parse()
                .map_err(|_| anyhow::anyhow!("'{text}' is not an integer (the input is int)"))?,
        ),
        VarType::String => Value::Str(text),
    })
}
