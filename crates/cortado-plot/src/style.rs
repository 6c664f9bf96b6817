//! PocketCoffea's `plotting_style` parameters, typed: read from the run's
//! `parameters_dump.yaml` (with `-op` files merged over it), every value
//! checked with its file and line before any plot is drawn.

use std::collections::BTreeMap;

use cortado_yaml::{ConfigError, Node, Value};

use crate::scene::Rgba;

/// CMS palette for up to 6 samples (mplhep `cmap_petroff`).
pub const CMAP_6: [&str; 6] = [
    "#5790fc", "#f89c20", "#e42536", "#964a8b", "#9c9ca1", "#7a21dd",
];
/// CMS palette for 7–10 samples (PocketCoffea's `CMAP_10`).
pub const CMAP_10: [&str; 10] = [
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6", "#a96b59", "#e76300", "#b9ac70",
    "#717581", "#92dadd",
];
const ALIASES: [&str; 10] = [
    "CMS_blue",
    "CMS_orange",
    "CMS_red",
    "CMS_gray",
    "CMS_purple",
    "CMS_brown",
    "CMS_dark_orange",
    "CMS_beige",
    "CMS_dark_gray",
    "CMS_light_blue",
];
const NAMED: &[(&str, &str)] = &[
    ("black", "#000000"),
    ("k", "#000000"),
    ("white", "#ffffff"),
    ("w", "#ffffff"),
    ("red", "#ff0000"),
    ("r", "#ff0000"),
    ("blue", "#0000ff"),
    ("b", "#0000ff"),
    ("green", "#008000"),
    ("g", "#008000"),
    ("orange", "#ffa500"),
    ("purple", "#800080"),
    ("gray", "#808080"),
    ("grey", "#808080"),
    ("darkgray", "#a9a9a9"),
    ("lightgray", "#d3d3d3"),
    ("yellow", "#ffff00"),
    ("y", "#bfbf00"),
    ("cyan", "#00ffff"),
    ("c", "#00bfbf"),
    ("magenta", "#ff00ff"),
    ("m", "#bf00bf"),
    ("brown", "#a52a2a"),
    ("pink", "#ffc0cb"),
    ("olive", "#808000"),
    ("navy", "#000080"),
    ("teal", "#008080"),
    ("gold", "#ffd700"),
    ("violet", "#ee82ee"),
    ("darkgreen", "#006400"),
    ("darkblue", "#00008b"),
    ("darkred", "#8b0000"),
    ("lightblue", "#add8e6"),
    ("skyblue", "#87ceeb"),
    ("tab:blue", "#1f77b4"),
    ("tab:orange", "#ff7f0e"),
    ("tab:green", "#2ca02c"),
    ("tab:red", "#d62728"),
    ("tab:purple", "#9467bd"),
    ("tab:brown", "#8c564b"),
    ("tab:pink", "#e377c2"),
    ("tab:gray", "#7f7f7f"),
    ("tab:olive", "#bcbd22"),
    ("tab:cyan", "#17becf"),
];

/// Parses `#rrggbb[aa]`, a matplotlib colour name, a `CMS_*` alias or `C0`…`C9`.
pub fn parse_color(s: &str) -> Option<Rgba> {
    if let Some(i) = ALIASES.iter().position(|a| *a == s) {
        return parse_color(CMAP_10[i]);
    }
    if let Some(d) = s.strip_prefix('C').and_then(|d| d.parse::<usize>().ok()) {
        return parse_color(CMAP_6[d % 6]);
    }
    if let Some((_, h)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
        return parse_color(h);
    }
    let h = s.strip_prefix('#')?;
    if !(h.len() == 6 || h.len() == 8) || !h.is_ascii() {
        return None;
    }
    let c = |i: usize| {
        u8::from_str_radix(&h[i..i + 2], 16)
            .ok()
            .map(|v| v as f32 / 255.0)
    };
    let a = if h.len() == 8 { c(6)? } else { 1.0 };
    Some(Rgba(c(0)?, c(2)?, c(4)?, a))
}

fn color_node(n: &Node) -> Result<Rgba, ConfigError> {
    if let Value::Seq(v) = &n.value {
        let f: Result<Vec<f64>, _> = v.iter().map(Node::as_f64).collect();
        let f = f?;
        if f.len() == 3 || f.len() == 4 {
            return Ok(Rgba(
                f[0] as f32,
                f[1] as f32,
                f[2] as f32,
                *f.get(3).unwrap_or(&1.0) as f32,
            ));
        }
    }
    let s = n.as_text()?;
    parse_color(&s).ok_or_else(|| {
        n.error(format!(
            "'{s}' is not a colour: use #rrggbb, a matplotlib colour name or one of {}",
            ALIASES.join(", ")
        ))
    })
}

/// A line style (`opts_syst`, `opts_sig`).
#[derive(Clone, Debug, PartialEq)]
pub struct LineStyle {
    /// Colour (None: the sample's).
    pub color: Option<Rgba>,
    /// Width in points.
    pub width: f32,
    /// Dash pattern in points.
    pub dash: Vec<f32>,
}

fn line_style(n: Option<&Node>, default: LineStyle) -> Result<LineStyle, ConfigError> {
    let Some(n) = n else { return Ok(default) };
    let mut s = default;
    if let Some(c) = n.get("color") {
        s.color = Some(color_node(c)?);
    }
    if let Some(w) = n.get("linewidth").or_else(|| n.get("lw")) {
        s.width = w.as_f64()? as f32;
    }
    if let Some(ls) = n.get("linestyle").or_else(|| n.get("ls")) {
        let w = s.width.max(0.5);
        // matplotlib's dash patterns, scaled by the line width
        s.dash = match ls.as_text()?.as_str() {
            "solid" | "-" => vec![],
            "dashed" | "--" => vec![3.7 * w, 1.6 * w],
            "dotted" | ":" => vec![w, 1.65 * w],
            "dashdot" | "-." => vec![6.4 * w, 1.6 * w, w, 1.6 * w],
            other => {
                return Err(ls.error(format!(
                    "unknown line style '{other}' (solid, dashed, dotted, dashdot)"
                )))
            }
        };
    }
    Ok(s)
}

/// Blinding: data bins of histograms starting with a prefix, in some categories.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Blind {
    /// Categories blinded.
    pub categories: Vec<String>,
    /// Histogram-name prefix → [lo, hi) range set to 0 in data.
    pub histograms: Vec<(String, f64, f64)>,
}

/// The typed `plotting_style`.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    /// Font size of labels and ticks (pt).
    pub fontsize: f32,
    /// Font size of the legend (pt).
    pub fontsize_legend: f32,
    /// Figure size with the ratio panel (in).
    pub figsize_ratio: (f32, f32),
    /// Main:ratio panel heights.
    pub height_ratios: (f32, f32),
    /// Figure size without the ratio panel (in).
    pub figsize: (f32, f32),
    /// Data marker size (pt) and error-bar width.
    pub data_markersize: f32,
    /// Data error-bar width (pt).
    pub data_elinewidth: f32,
    /// Band colour (hatch lines).
    pub band_color: Rgba,
    /// Signal line style.
    pub sig: LineStyle,
    /// Systematic-shift plot styles (nominal, up, down).
    pub syst: [LineStyle; 3],
    /// Log-y lower limit and optional upper limit (data/MC).
    pub ylim_log: (f64, Option<f64>),
    /// Log-y lower limit and optional upper limit (systematic shifts).
    pub ylim_log_syst: (f64, Option<f64>),
    /// Print "Year:" and "Cat:" on the plots.
    pub print_info: (bool, bool),
    /// Luminosity per year in fb⁻¹.
    pub lumi_by_year: BTreeMap<String, f64>,
    /// Legend labels of samples.
    pub labels_mc: BTreeMap<String, String>,
    /// Colours of samples.
    pub colors_mc: BTreeMap<String, Rgba>,
    /// Groups of samples drawn as one.
    pub samples_groups: Vec<(String, Vec<String>)>,
    /// Samples left out.
    pub exclude_samples: Vec<String>,
    /// Only these samples (if given).
    pub only_samples: Option<Vec<String>>,
    /// Sample → scale factor.
    pub rescale_samples: BTreeMap<String, f64>,
    /// Signal samples drawn as lines × scale.
    pub signal_samples: Vec<(String, f64)>,
    /// Samples put first in the stack.
    pub order_mc: Vec<String>,
    /// Blinded regions.
    pub blind: Blind,
    /// Custom experiment text instead of "Preliminary".
    pub cms_label: Option<String>,
    /// Reference sample of `--compare`.
    pub compare_ref: Option<String>,
}

fn pair(n: &Node) -> Result<(f32, f32), ConfigError> {
    let v = n.as_seq()?;
    if v.len() != 2 {
        return Err(n.error("expected two numbers"));
    }
    Ok((v[0].as_f64()? as f32, v[1].as_f64()? as f32))
}

fn str_map<T>(
    n: Option<&Node>,
    f: impl Fn(&Node) -> Result<T, ConfigError>,
) -> Result<Vec<(String, T)>, ConfigError> {
    let Some(n) = n else { return Ok(Vec::new()) };
    if n.value == Value::Null {
        return Ok(Vec::new());
    }
    n.as_map()?
        .iter()
        .map(|(k, v)| Ok((k.name.clone(), f(v)?)))
        .collect()
}

fn list(n: Option<&Node>) -> Result<Vec<String>, ConfigError> {
    match n {
        None => Ok(Vec::new()),
        Some(n) if n.value == Value::Null => Ok(Vec::new()),
        Some(n) => n.as_str_list(),
    }
}

fn ylim(n: Option<&Node>) -> Result<(f64, Option<f64>), ConfigError> {
    let lo = n
        .and_then(|n| n.get("lo"))
        .map(Node::as_f64)
        .transpose()?
        .unwrap_or(0.01);
    let hi = n.and_then(|n| n.get("hi")).map(Node::as_f64).transpose()?;
    if lo.is_nan() || lo <= 0.0 || hi.is_some_and(|h| h.is_nan() || h <= lo) {
        return Err(n.map_or_else(
            || ConfigError::new(None, "bad ylim_log"),
            |n| n.error("ylim_log needs 0 < lo < hi"),
        ));
    }
    Ok((lo, hi))
}

impl Style {
    /// Reads `plotting_style` from a parameter tree.
    pub fn from_params(root: &Node) -> Result<Style, ConfigError> {
        let empty = Node::empty_map();
        let ps = root.get("plotting_style").unwrap_or(&empty);
        let g = |p: &str| ps.path(p);
        let f32_or = |p: &str, d: f32| -> Result<f32, ConfigError> {
            g(p).map(|n| n.as_f64().map(|v| v as f32))
                .transpose()
                .map(|v| v.unwrap_or(d))
        };
        let solid = |c: Option<Rgba>, dash: Vec<f32>| LineStyle {
            color: c,
            width: 1.0,
            dash,
        };
        let syst = [
            line_style(g("opts_syst.nominal"), solid(Some(Rgba::BLACK), vec![]))?,
            line_style(g("opts_syst.up"), solid(parse_color("red"), vec![3.7, 1.6]))?,
            line_style(
                g("opts_syst.down"),
                solid(parse_color("blue"), vec![1.0, 1.65]),
            )?,
        ];
        let blind = match g("blind_hists") {
            Some(b) if b.value != Value::Null => Blind {
                categories: list(b.get("categories"))?,
                histograms: str_map(b.get("histograms"), |r| {
                    let (lo, hi) = pair(r)?;
                    Ok((lo as f64, hi as f64))
                })?
                .into_iter()
                .map(|(k, (lo, hi))| (k, lo, hi))
                .collect(),
            },
            _ => Blind::default(),
        };
        let figsize_ratio = g("opts_figure.datamc_ratio.figsize")
            .map(pair)
            .transpose()?
            .unwrap_or((12.0, 12.0));
        let height_ratios = g("opts_figure.datamc_ratio.gridspec_kw.height_ratios")
            .map(pair)
            .transpose()?
            .unwrap_or((3.0, 1.0));
        Ok(Style {
            fontsize: f32_or("fontsize", 22.0)?,
            fontsize_legend: f32_or("fontsize_legend", 18.0)?,
            figsize_ratio,
            height_ratios,
            figsize: g("opts_figure.datamc.figsize")
                .map(pair)
                .transpose()?
                .unwrap_or((12.0, 9.0)),
            data_markersize: f32_or("opts_data.markersize", 5.0)?,
            data_elinewidth: f32_or("opts_data.elinewidth", 1.0)?,
            band_color: g("opts_unc.total.color")
                .map(color_node)
                .transpose()?
                .unwrap_or(Rgba(0.0, 0.0, 0.0, 0.4)),
            sig: line_style(g("opts_sig"), solid(None, vec![]))?,
            syst,
            ylim_log: ylim(g("opts_ylim.datamc.ylim_log"))?,
            ylim_log_syst: ylim(g("opts_ylim.systematics.ylim_log"))?,
            print_info: (
                g("print_info.year")
                    .map(Node::as_bool)
                    .transpose()?
                    .unwrap_or(false),
                g("print_info.category")
                    .map(Node::as_bool)
                    .transpose()?
                    .unwrap_or(false),
            ),
            lumi_by_year: str_map(g("plot_upper_label.by_year"), Node::as_f64)?
                .into_iter()
                .collect(),
            labels_mc: str_map(g("labels_mc"), Node::as_text)?
                .into_iter()
                .collect(),
            colors_mc: str_map(g("colors_mc"), color_node)?.into_iter().collect(),
            samples_groups: str_map(g("samples_groups"), Node::as_str_list)?,
            exclude_samples: list(g("exclude_samples"))?,
            only_samples: g("only_samples").map(|n| list(Some(n))).transpose()?,
            rescale_samples: str_map(g("rescale_samples"), Node::as_f64)?
                .into_iter()
                .collect(),
            signal_samples: str_map(g("signal_samples"), Node::as_f64)?,
            order_mc: list(g("order_mc"))?,
            blind,
            cms_label: g("cms_label").map(Node::as_text).transpose()?,
            compare_ref: g("compare.ref").map(Node::as_text).transpose()?,
        })
    }

    /// The label of a sample in the legend.
    pub fn label(&self, sample: &str) -> String {
        self.labels_mc
            .get(sample)
            .cloned()
            .unwrap_or_else(|| sample.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_errors() {
        assert_eq!(parse_color("CMS_red").unwrap().hex(), "#bd1f01");
        assert_eq!(parse_color("#5790fc").unwrap().hex(), "#5790fc");
        assert!(parse_color("nocolour").is_none());
        let n = cortado_yaml::load_str(
            "plotting_style:\n  colors_mc:\n    DY: notacolour\n",
            "p.yaml",
        )
        .unwrap();
        let e = Style::from_params(&n).unwrap_err().to_string();
        assert!(
            e.starts_with("p.yaml:3:") && e.contains("'notacolour' is not a colour"),
            "{e}"
        );
        let n = cortado_yaml::load_str(
            "plotting_style:\n  labels_mc: {DY: Drell-Yan}\n  rescale_samples: {TT: 2}\n  fontsize: 20\n",
            "p.yaml",
        )
        .unwrap();
        let s = Style::from_params(&n).unwrap();
        assert_eq!(
            (s.label("DY").as_str(), s.label("TT").as_str()),
            ("Drell-Yan", "TT")
        );
        assert_eq!((s.fontsize, s.rescale_samples["TT"]), (20.0, 2.0));
    }
}
