//! The numbers of one data/MC figure, computed before anything is drawn
//! (and tested on their own): datasets summed per sample, sample groups,
//! exclusions and rescaling, flow bins folded into the edge bins, the stack
//! in PocketCoffea's order, the data, the uncertainty band and the ratio.

use std::collections::BTreeMap;

use cortado_engine::output::{HistSet, Map};
use cortado_hist::Hist;

use crate::scene::Rgba;
use crate::stats::{self, Band, Shift2};
use crate::style::{parse_color, Style, CMAP_10, CMAP_6};

/// Per-dataset facts from the output's `datasets_metadata`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetInfo {
    /// Data-taking period.
    pub year: String,
    /// Simulation (true) or data.
    pub is_mc: bool,
}

/// Values and variances of one 1-D histogram (in-range bins, flow folded
/// into the edge bins when asked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    /// Σw per bin.
    pub sumw: Vec<f64>,
    /// Σw² per bin.
    pub sumw2: Vec<f64>,
}

/// The variable axis of a figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Binning {
    /// Bin edges.
    pub edges: Vec<f64>,
    /// Axis label (TeX subset).
    pub label: String,
    /// For a category axis, each bin's centre and name (drawn as named x
    /// ticks, as mplhep draws a categorical axis); empty otherwise.
    pub names: Vec<(f64, String)>,
}

/// Bin centres and names of a category axis (empty for a numeric axis).
pub fn category_names(ax: &cortado_hist::Axis) -> Vec<(f64, String)> {
    use cortado_hist::AxisKind;
    let names: Vec<String> = match &ax.kind {
        AxisKind::StrCategory { categories, .. } => categories.clone(),
        AxisKind::IntCategory { categories, .. } => {
            categories.iter().map(|c| c.to_string()).collect()
        }
        _ => return Vec::new(),
    };
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (i as f64 + 0.5, n))
        .collect()
}

/// One sample of the stack (or a signal line).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Sample (or group) name.
    pub name: String,
    /// Legend label.
    pub label: String,
    /// Fill colour.
    pub color: Rgba,
    /// Nominal values.
    pub nominal: Values,
    /// Nominal Σw in range, unfolded (the yield the stack is ordered by).
    pub yield_in_range: f64,
}

/// Everything one data/MC figure shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DataMc {
    /// Histogram name.
    pub hist: String,
    /// Data-taking period.
    pub year: String,
    /// Category.
    pub category: String,
    /// The x axis.
    pub binning: Binning,
    /// MC samples, bottom of the stack first.
    pub stack: Vec<Sample>,
    /// Signal samples drawn as lines (values already multiplied by their scale).
    pub signals: Vec<(Sample, f64)>,
    /// Σ nominal MC per bin (flow folded).
    pub mc_total: Vec<f64>,
    /// Largest Σ nominal MC bin without flow (sets the linear y range).
    pub mc_max_in_range: f64,
    /// Data (flow folded, blinded bins 0).
    pub data: Option<Values>,
    /// Largest data bin without flow (−∞ without data; sets the log y range).
    pub data_max_in_range: f64,
    /// Uncertainty band (systematics + MC statistics), if drawn.
    pub band: Option<Band>,
    /// Names of the systematics in the band (`mcstat` included).
    pub systematics: Vec<String>,
    /// Data/MC: ratio, lower and upper error per bin.
    pub ratio: Option<(Vec<f64>, Vec<f64>, Vec<f64>)>,
}

/// Values of a 1-D histogram, flow folded into the edge bins if `fold` (a
/// category axis's "other" bin is never folded into its last category).
pub fn values(h: &Hist, fold: bool) -> Values {
    let ax = &h.axes[0];
    let fold = fold && !ax.is_category();
    let off = usize::from(ax.has_underflow());
    let n = ax.bins();
    let get = |v: &[f64]| -> Vec<f64> {
        if v.len() < off + n {
            return vec![0.0; n];
        }
        let mut out = v[off..off + n].to_vec();
        if fold && n > 0 {
            if off == 1 {
                out[0] += v[0];
            }
            if ax.overflow {
                out[n - 1] += v[off + n];
            }
        }
        out
    };
    let sumw2 = if h.sumw2.is_empty() {
        h.sumw.clone()
    } else {
        h.sumw2.clone()
    };
    Values {
        sumw: get(&h.sumw),
        sumw2: get(&sumw2),
    }
}

fn add(a: &mut Hist, b: &Hist, f: f64) -> Result<(), String> {
    let grown;
    let b = match a.united_axes(b).filter(|u| *u != a.axes || *u != b.axes) {
        // growing category axes: both on the union of their categories
        Some(axes) => {
            a.relayout(axes.clone());
            let mut c = b.clone();
            c.relayout(axes);
            grown = c;
            &grown
        }
        None => b,
    };
    if a.axes != b.axes || a.sumw.len() != b.sumw.len() {
        return Err("histograms of one name with different axes cannot be summed".into());
    }
    for (x, y) in a.sumw.iter_mut().zip(&b.sumw) {
        *x += f * y;
    }
    if a.sumw2.len() == b.sumw2.len() {
        for (x, y) in a.sumw2.iter_mut().zip(&b.sumw2) {
            *x += f * f * y;
        }
    }
    Ok(())
}

fn scaled(h: &Hist, f: f64) -> Hist {
    let mut h = h.clone();
    h.settle();
    if f != 1.0 {
        h.sumw.iter_mut().for_each(|x| *x *= f);
        h.sumw2.iter_mut().for_each(|x| *x *= f * f);
    }
    h
}

/// Puts the histograms of each category on common axes: growing category
/// axes get the union of the categories every sample has seen.
fn unite_categories(out: &mut [(String, bool, SampleHists)]) {
    let mut united: BTreeMap<String, Vec<cortado_hist::Axis>> = BTreeMap::new();
    for (_, _, hists) in out.iter() {
        for (cat, vars) in hists {
            for h in vars.values() {
                let axes = united.entry(cat.clone()).or_insert_with(|| h.axes.clone());
                let u: Option<Vec<_>> =
                    axes.iter().zip(&h.axes).map(|(a, b)| a.united(b)).collect();
                if let Some(u) = u.filter(|u| u.len() == h.axes.len()) {
                    *axes = u;
                }
            }
        }
    }
    for (_, _, hists) in out.iter_mut() {
        for (cat, vars) in hists.iter_mut() {
            if let Some(axes) = united.get(cat) {
                vars.values_mut().for_each(|h| h.relayout(axes.clone()));
            }
        }
    }
}

/// A sample's histograms for one year: category → variation → Hist.
pub type SampleHists = Map<Map<Hist>>;

/// Sums the datasets of each sample taken in `year`, applies
/// `samples_groups`, `exclude_samples`/`only_samples` and `rescale_samples`.
/// Returns (sample, is_mc, histograms) in the output's sample order.
pub fn samples_for_year(
    samples: &Map<Map<HistSet>>,
    datasets: &BTreeMap<String, DatasetInfo>,
    year: &str,
    style: &Style,
) -> Result<Vec<(String, bool, SampleHists)>, String> {
    let mut out: Vec<(String, bool, SampleHists)> = Vec::new();
    for (sample, by_ds) in samples {
        let mut acc: Option<(bool, SampleHists)> = None;
        for (ds, set) in by_ds {
            let Some(info) = datasets.get(ds) else {
                continue;
            };
            if info.year != year {
                continue;
            }
            let (_, hists) = acc.get_or_insert_with(|| (info.is_mc, Map::new()));
            for (cat, vars) in &set.hists {
                let dst = hists.entry(cat.clone()).or_default();
                for (var, h) in vars {
                    match dst.get_mut(var) {
                        Some(d) => add(d, &scaled(h, 1.0), 1.0)
                            .map_err(|e| format!("sample {sample}, dataset {ds}: {e}"))?,
                        None => {
                            dst.insert(var.clone(), scaled(h, 1.0));
                        }
                    }
                }
            }
        }
        if let Some((mc, h)) = acc {
            out.push((sample.clone(), mc, h));
        }
    }
    // groups: members summed into one entry, in the place of the first member
    for (group, members) in &style.samples_groups {
        let mut merged: Option<(bool, SampleHists)> = None;
        let mut first = None;
        let mut i = 0;
        while i < out.len() {
            if members.contains(&out[i].0) {
                let (_, mc, h) = out.remove(i);
                first.get_or_insert(i);
                match &mut merged {
                    None => merged = Some((mc, h)),
                    Some((m, acc)) => {
                        if *m != mc {
                            return Err(format!(
                                "samples_groups '{group}' mixes data and simulation"
                            ));
                        }
                        for (cat, vars) in h {
                            let dst = acc.entry(cat).or_default();
                            for (var, hv) in vars {
                                match dst.get_mut(&var) {
                                    Some(d) => add(d, &hv, 1.0)?,
                                    None => {
                                        dst.insert(var, hv);
                                    }
                                }
                            }
                        }
                    }
                }
            } else {
                i += 1;
            }
        }
        if let (Some((mc, h)), Some(at)) = (merged, first) {
            out.insert(at, (group.clone(), mc, h));
        }
    }
    unite_categories(&mut out);
    out.retain(|(s, _, _)| {
        !style.exclude_samples.contains(s)
            && style.only_samples.as_ref().is_none_or(|o| o.contains(s))
    });
    for (s, _, h) in &mut out {
        if let Some(&f) = style.rescale_samples.get(s) {
            for vars in h.values_mut() {
                for hv in vars.values_mut() {
                    *hv = scaled(hv, f);
                }
            }
        }
    }
    Ok(out)
}

/// Options of a data/MC figure that change its numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Opts {
    /// Log y: the stack is ordered by increasing yield.
    pub log_y: bool,
    /// No uncertainty band.
    pub no_syst: bool,
}

/// The numbers of the data/MC figure of one category.
pub fn data_mc(
    hist: &str,
    year: &str,
    category: &str,
    samples: &[(String, bool, SampleHists)],
    style: &Style,
    opts: Opts,
) -> Option<DataMc> {
    let nominal = |h: &SampleHists| -> Option<Hist> {
        let vars = h.get(category)?;
        vars.get("nominal")
            .or_else(|| vars.values().next())
            .cloned()
    };
    let first = samples.iter().find_map(|(_, _, h)| nominal(h))?;
    if first.axes.len() != 1 {
        return None;
    }
    let ax = &first.axes[0];
    let mut edges = ax.edges();
    if edges.is_empty() {
        edges = (0..=ax.bins()).map(|i| i as f64).collect();
    }
    let label = if ax.label.is_empty() {
        ax.name.clone()
    } else {
        ax.label.clone()
    };
    let mc: Vec<&(String, bool, SampleHists)> = samples.iter().filter(|s| s.1).collect();
    let cmap: &[&str] = if mc.len() <= 6 { &CMAP_6 } else { &CMAP_10 };
    let mut stack = Vec::new();
    for (i, (name, _, h)) in mc.iter().enumerate() {
        let Some(nom) = nominal(h) else { continue };
        let raw = values(&nom, false);
        let color = style
            .colors_mc
            .get(name)
            .copied()
            .or_else(|| parse_color(cmap[i % cmap.len()]))
            .unwrap_or(Rgba::BLACK);
        stack.push(Sample {
            name: name.clone(),
            label: style.label(name),
            color,
            nominal: values(&nom, true),
            // PocketCoffea orders by the yield rounded to 0.1
            yield_in_range: (raw.sumw.iter().sum::<f64>() * 10.0).round() / 10.0,
        });
    }
    // largest first at the bottom (linear), smallest first (log); stable
    stack.sort_by(|a, b| {
        let o = a.yield_in_range.total_cmp(&b.yield_in_range);
        if opts.log_y {
            o
        } else {
            o.reverse()
        }
    });
    if opts.log_y {
        let (rest, listed): (Vec<Sample>, Vec<Sample>) = stack
            .into_iter()
            .partition(|s| !style.order_mc.contains(&s.name));
        stack = rest.into_iter().chain(listed).collect();
    } else {
        for o in style.order_mc.iter().rev() {
            if let Some(i) = stack.iter().position(|s| &s.name == o) {
                let s = stack.remove(i);
                stack.insert(0, s);
            }
        }
    }
    let n = edges.len() - 1;
    let mut mc_total = vec![0.0; n];
    let mut mc_raw = vec![0.0; n];
    for (_, _, h) in &mc {
        if let Some(nom) = nominal(h) {
            let (f, r) = (values(&nom, true), values(&nom, false));
            for i in 0..n {
                mc_total[i] += f.sumw[i];
                mc_raw[i] += r.sumw[i];
            }
        }
    }
    let signals = style
        .signal_samples
        .iter()
        .filter_map(|(name, scale)| {
            let s = stack.iter().find(|s| &s.name == name)?;
            let mut s = s.clone();
            s.nominal.sumw.iter_mut().for_each(|v| *v *= scale);
            s.label = format!("{} x{}", s.label, *scale as i64);
            Some((s, *scale))
        })
        .collect();
    let data = data_values(hist, category, samples, &edges, style, true);
    let data_max_in_range = data_values(hist, category, samples, &edges, style, false)
        .map_or(f64::NEG_INFINITY, |v| {
            v.sumw.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        });
    let (band, systematics) = if opts.no_syst || mc.is_empty() || mc_total.iter().all(|v| *v == 0.0)
    {
        (None, Vec::new())
    } else {
        let (b, s) = uncertainty(category, &mc, &mc_total);
        (Some(b), s)
    };
    let ratio = match &data {
        Some(d) if !mc.is_empty() => Some(stats::ratio(&d.sumw, &d.sumw2, &mc_total)),
        _ => None,
    };
    Some(DataMc {
        hist: hist.to_string(),
        year: year.to_string(),
        category: category.to_string(),
        binning: Binning {
            edges,
            label,
            names: category_names(ax),
        },
        stack,
        signals,
        mc_total,
        mc_max_in_range: mc_raw.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        data,
        data_max_in_range,
        band,
        systematics,
        ratio,
    })
}

fn data_values(
    hist: &str,
    category: &str,
    samples: &[(String, bool, SampleHists)],
    edges: &[f64],
    style: &Style,
    fold: bool,
) -> Option<Values> {
    let mut data: Option<Values> = None;
    for (_, _, h) in samples.iter().filter(|s| !s.1) {
        let Some(vars) = h.get(category) else {
            continue;
        };
        let Some(hv) = vars.get("nominal").or_else(|| vars.values().next()) else {
            continue;
        };
        let v = values(hv, fold);
        match &mut data {
            None => data = Some(v),
            Some(d) => {
                for i in 0..d.sumw.len().min(v.sumw.len()) {
                    d.sumw[i] += v.sumw[i];
                    d.sumw2[i] += v.sumw2[i];
                }
            }
        }
    }
    let mut d = data?;
    if style.blind.categories.iter().any(|c| c == category) {
        for (prefix, lo, hi) in &style.blind.histograms {
            if hist.starts_with(prefix.as_str()) {
                for (i, e) in edges.iter().take(d.sumw.len()).enumerate() {
                    if *e >= *lo && *e < *hi {
                        d.sumw[i] = 0.0;
                        d.sumw2[i] = 0.0;
                    }
                }
            }
        }
    }
    Some(d)
}

/// The band: every systematic with an `Up` variation in some MC sample
/// (missing variations count as nominal), plus MC statistics.
fn uncertainty(
    category: &str,
    mc: &[&(String, bool, SampleHists)],
    total: &[f64],
) -> (Band, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    for (_, _, h) in mc {
        for v in h.get(category).map(|m| m.keys()).into_iter().flatten() {
            if let Some(s) = v.strip_suffix("Up") {
                if !names.iter().any(|n| n == s) {
                    names.push(s.to_string());
                }
            }
        }
    }
    names.sort();
    let mut shifts = Vec::new();
    for s in &names {
        let mut acc = Shift2::default();
        for (_, _, h) in mc {
            let Some(vars) = h.get(category) else {
                continue;
            };
            let Some(nom) = vars.get("nominal") else {
                continue;
            };
            let nv = values(nom, true).sumw;
            let get = |k: String| {
                vars.get(&k)
                    .map(|h| values(h, true).sumw)
                    .unwrap_or_else(|| nv.clone())
            };
            stats::add_shift(
                &mut acc,
                &nv,
                &get(format!("{s}Up")),
                &get(format!("{s}Down")),
            );
        }
        if !acc.up.is_empty() {
            shifts.push(acc);
        }
    }
    let mut stat = Shift2 {
        up: vec![0.0; total.len()],
        down: vec![0.0; total.len()],
    };
    for (_, _, h) in mc {
        if let Some(nom) = h.get(category).and_then(|v| v.get("nominal")) {
            let v = values(nom, true).sumw2;
            for (i, x) in v.iter().enumerate().take(total.len()) {
                stat.up[i] += x;
                stat.down[i] += x;
            }
        }
    }
    shifts.push(stat);
    names.push("mcstat".into());
    (stats::band(total, &shifts), names)
}
