//! `cortado dump`: print an output.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use cortado_engine::runner::outdir::read_merged;
use serde_json::json;

use crate::output::{emit, wln};

/// Arguments of `cortado dump`.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// An output file (output_all.cortado), or a run folder: its output, or
    /// the outputs of a --process-separately run, merged.
    pub output: PathBuf,
    /// Print the whole output as JSON, in this project's JSON layout (the one
    /// shared/tools/export_output_json.py writes for a PocketCoffea output, as
    /// in shared/reference/*/output.json), for compare_outputs.py.
    #[arg(long)]
    pub json: bool,
    /// Print the histograms in UHI JSON (readable by Python `hist`/`uhi`),
    /// keyed "histogram/sample/dataset", with category and variation axes.
    #[arg(long, conflicts_with = "json")]
    pub uhi: bool,
}

/// Runs the subcommand.
pub fn run(args: &DumpArgs) -> Result<()> {
    let (out, files) = read_merged(&args.output).map_err(anyhow::Error::msg)?;
    if args.json {
        return Ok(emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&out.to_reference_json())?
        ))?);
    }
    if args.uhi {
        let mut m = serde_json::Map::new();
        for (name, by_sample) in &out.variables {
            for (sample, by_ds) in by_sample {
                for (ds, hs) in by_ds {
                    m.insert(format!("{name}/{sample}/{ds}"), uhi_with_categories(hs));
                }
            }
        }
        return Ok(emit(&format!("{}\n", serde_json::to_string(&m)?))?);
    }
    let mut s = String::new();
    if let [one] = &files[..] {
        wln!(s, "output: {}", one.display());
    } else {
        wln!(s, "outputs ({}, merged):", files.len());
        for f in &files {
            wln!(s, "  {}", f.display());
        }
    }
    wln!(s, "normalised: {}", normalisation_text(&out));
    wln!(s, "\ncutflow");
    let datasets: Vec<&String> = out.cutflow.initial.keys().collect();
    // columns as wide as their longest name
    let w0 = out
        .cutflow
        .categories
        .keys()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .max(14);
    let widths: Vec<usize> = datasets.iter().map(|d| d.chars().count().max(12)).collect();
    let row = |label: &str, cells: Vec<String>| -> String {
        let cells: String = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("  {c:>w$}"))
            .collect();
        format!("  {label:<w0$}{cells}")
    };
    wln!(
        s,
        "{}",
        row("step", datasets.iter().map(|d| d.to_string()).collect())
    );
    let count = |m: Option<u64>| m.unwrap_or(0).to_string();
    for (step, m) in [
        ("initial", &out.cutflow.initial),
        ("skim", &out.cutflow.skim),
    ] {
        let cells = datasets.iter().map(|d| count(m.get(*d).copied())).collect();
        wln!(s, "{}", row(step, cells));
    }
    let presel = datasets
        .iter()
        .map(|d| {
            count(
                out.cutflow
                    .presel
                    .get(*d)
                    .and_then(|m| m.get("nominal"))
                    .copied(),
            )
        })
        .collect();
    wln!(s, "{}", row("presel", presel));
    for (cat, by_ds) in &out.cutflow.categories {
        let cells = datasets
            .iter()
            .map(|d| {
                count(
                    by_ds
                        .get(*d)
                        .and_then(|m| m.values().filter_map(|v| v.get("nominal")).max().copied()),
                )
            })
            .collect();
        wln!(s, "{}", row(cat, cells));
    }
    wln!(
        s,
        "\nsum of genWeight: {}",
        serde_json::to_string(&out.sum_genweights)?
    );
    wln!(s, "\nhistograms ({}):", out.variables.len());
    for (name, by_sample) in &out.variables {
        wln!(
            s,
            "  {name}: {}",
            by_sample.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    emit(&s)?;
    Ok(())
}

/// One PocketCoffea histogram in UHI form: axes `cat`, `variation` (MC), then the configured ones.
fn uhi_with_categories(hs: &cortado_engine::output::HistSet) -> serde_json::Value {
    use cortado_hist::{Axis, AxisKind, Hist, Storage};
    let cats: Vec<String> = hs.hists.keys().cloned().collect();
    // every variation of any category (a shape variation may fill some only)
    let vars: Vec<String> = hs
        .hists
        .values()
        .flat_map(|m| m.keys().cloned())
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    let Some(first) = hs.hists.values().next().and_then(|m| m.values().next()) else {
        return json!(null);
    };
    let cat_axis = Axis {
        name: "cat".into(),
        label: String::new(),
        kind: AxisKind::StrCategory {
            categories: cats.clone(),
            growth: false,
        },
        underflow: false,
        overflow: true,
    };
    let mut axes = vec![cat_axis];
    if hs.has_variation_axis {
        axes.push(Axis {
            name: "variation".into(),
            label: String::new(),
            kind: AxisKind::StrCategory {
                categories: vars.clone(),
                growth: false,
            },
            underflow: false,
            overflow: true,
        });
    }
    axes.extend(first.axes.iter().cloned());
    let mut full = Hist::new(
        axes,
        if first.sumw2.is_empty() {
            Storage::Double
        } else {
            Storage::Weight
        },
    );
    let inner = first.sumw.len();
    let nvar_cells = if hs.has_variation_axis {
        vars.len() + 1
    } else {
        1
    };
    for (ci, cat) in cats.iter().enumerate() {
        for (vi, var) in vars.iter().enumerate() {
            if let Some(h) = hs.hists.get(cat).and_then(|m| m.get(var)) {
                let base = (ci * nvar_cells + if hs.has_variation_axis { vi } else { 0 }) * inner;
                full.sumw[base..base + inner].copy_from_slice(&h.sumw);
                if !h.sumw2.is_empty() {
                    full.sumw2[base..base + inner].copy_from_slice(&h.sumw2);
                }
            }
        }
    }
    cortado_hist::uhi::to_uhi(&full)
}

/// What normalisation did: which datasets were divided by their sum of
/// generator weights, and which were not (data, or simulation without
/// genWeight or signOf_genWeight among its inclusive weights: PocketCoffea
/// scales only those).
fn normalisation_text(out: &cortado_engine::Output) -> String {
    let Some(scaled) = &out.scaled else {
        return "no (a raw output: not postprocessed)".into();
    };
    let (divided, kept): (Vec<&String>, Vec<&String>) = out
        .cutflow
        .initial
        .keys()
        .partition(|d| scaled.contains_key(*d));
    let list = |v: &[&String]| v.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    if !divided.is_empty() {
        parts.push(format!(
            "divided by their sum of genWeight (or of its sign, with signOf_genWeight): {}",
            list(&divided)
        ));
    }
    if !kept.is_empty() {
        parts.push(format!(
            "not scaled (data, or simulation without genWeight or signOf_genWeight among its \
             inclusive weights, as in PocketCoffea): {}",
            list(&kept)
        ));
    }
    format!("postprocessed; {}", parts.join("; "))
}
