//! The memory the histograms of a run take, checked when planning, before any
//! event is read: a histogram of 10⁹ bins (or 10⁵ × 10⁵) would otherwise abort
//! the run with a failed allocation once the first chunk is filled.
//!
//! Every histogram is held once per category, variation, sample (or
//! subsample) and dataset in the result, each cell as a sum of weights and its
//! rounding error (and, with `weight` storage, the same for squared weights).

use std::collections::BTreeMap;

use cortado_config::{AnalysisConfig, HistDef};
use cortado_yaml::{ConfigError, Node, Value};

use crate::plan::{add_variations, hist_axis, WeightPlan};

/// The most memory the histograms of a run may take unless
/// `workflow_options: {max_histogram_memory: ...}` says otherwise: 16 GiB.
pub const DEFAULT_MAX_HISTOGRAM_MEMORY: u64 = 16 << 30;

/// The key of `workflow_options` that sets the limit.
pub const LIMIT_KEY: &str = "max_histogram_memory";

/// One histogram's share.
struct Need {
    cells: u128,
    cell_bytes: u128,
    copies: u128,
}

impl Need {
    fn bytes(&self) -> u128 {
        self.cells
            .saturating_mul(self.cell_bytes)
            .saturating_mul(self.copies)
    }
}

/// Checks that the histograms of the whole run (all datasets) fit the limit;
/// the error points at the largest histogram and says how to raise the limit.
pub(crate) fn check(cfg: &AnalysisConfig, ext: &crate::ext::Extensions) -> Result<(), ConfigError> {
    let limit = limit(&cfg.workflow_options)?;
    // datasets by (sample, simulation): they hold the same histograms
    let mut groups: BTreeMap<(&str, bool), (u128, &cortado_config::Dataset)> = BTreeMap::new();
    for d in &cfg.datasets {
        groups.entry((&d.sample, d.is_mc)).or_insert((0, d)).0 += 1;
    }
    let categories: Vec<String> = cfg
        .categories
        .expanded()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut total: u128 = 0;
    let mut largest: Option<(&HistDef, Need)> = None;
    for h in cfg.histograms.iter().filter(|h| !h.metadata_hist) {
        let mut cells: u128 = 1;
        for a in &h.axes {
            let axis = hist_axis(a).map_err(|m| {
                ConfigError::new(h.pos.clone(), format!("histogram '{}': {m}", h.name))
            })?;
            cells = cells.saturating_mul(axis.extent() as u128);
        }
        let cats = categories
            .iter()
            .filter(|c| h.only_categories.as_ref().is_none_or(|o| o.contains(c)))
            .filter(|c| h.exclude_categories.as_ref().is_none_or(|x| !x.contains(c)))
            .count() as u128;
        let mut copies: u128 = 0;
        for (&(sample, _), &(n, d)) in &groups {
            let wanted = h
                .only_samples
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == sample))
                && !h
                    .exclude_samples
                    .as_ref()
                    .is_some_and(|s| s.iter().any(|x| x == sample));
            if !wanted {
                continue;
            }
            let targets = cfg.subsamples.get(sample).map_or(1, |s| s.len().max(1)) as u128;
            let variations = variations(cfg, h, d, ext);
            copies = copies.saturating_add(
                n.saturating_mul(cats)
                    .saturating_mul(variations)
                    .saturating_mul(targets),
            );
        }
        let need = Need {
            cells,
            cell_bytes: if h.storage == "double" { 16 } else { 32 },
            copies,
        };
        total = total.saturating_add(need.bytes());
        if largest
            .as_ref()
            .is_none_or(|(_, l)| need.bytes() > l.bytes())
        {
            largest = Some((h, need));
        }
    }
    match largest {
        Some((h, need)) if total > limit as u128 => Err(ConfigError::new(
            h.pos.clone(),
            format!(
                "the histograms would take {} of memory, more than the limit of {}; the \
                 largest, '{}', has {} cells of {} bytes, held {} times (once per category, \
                 variation, sample and dataset): {}. Use fewer bins, or raise the limit: \
                 workflow_options: {{{LIMIT_KEY}: {}GiB}}",
                size(total),
                size(limit as u128),
                h.name,
                thousands(need.cells),
                need.cell_bytes,
                thousands(need.copies),
                size(need.bytes()),
                total.div_ceil(1 << 30),
            ),
        )),
        _ => Ok(()),
    }
}

/// Variations a histogram is filled for in a dataset (`nominal` included).
fn variations(
    cfg: &AnalysisConfig,
    h: &HistDef,
    d: &cortado_config::Dataset,
    ext: &crate::ext::Extensions,
) -> u128 {
    if !d.is_mc || !h.variations {
        return 1;
    }
    let mut plan = WeightPlan::default();
    // an error here (sf_btag's sources not in the parameters) is reported
    // when the weight is planned
    if add_variations(cfg, Some(&d.sample), &mut plan, d).is_err() {
        return 1;
    }
    let n = plan
        .variations
        .keys()
        .filter(|name| h.only_variations.as_ref().is_none_or(|o| o.contains(name)))
        .count();
    // the shape variations the sample asks for (at most: collections the
    // files lack are not run)
    let shape = crate::calib::shape_variation_names(cfg, d, ext)
        .into_iter()
        .filter(|(name, calibrator)| {
            h.only_variations
                .as_ref()
                .is_none_or(|o| o.contains(name) || o.contains(calibrator))
        })
        .count();
    1 + n as u128 + shape as u128
}

/// The limit: `workflow_options.max_histogram_memory` (bytes, or a size such
/// as `64GiB`, `500MB`), or [`DEFAULT_MAX_HISTOGRAM_MEMORY`].
fn limit(options: &Node) -> Result<u64, ConfigError> {
    let Some(n) = options.get(LIMIT_KEY) else {
        return Ok(DEFAULT_MAX_HISTOGRAM_MEMORY);
    };
    let bad = || {
        n.error(format!(
            "workflow_options.{LIMIT_KEY} must be a size in bytes, such as 64GiB or 500MB"
        ))
    };
    match &n.value {
        Value::Int(i) if *i > 0 => Ok(*i as u64),
        Value::Float(f) if *f >= 1.0 && f.is_finite() => Ok(*f as u64),
        Value::Str(s) => parse_size(s).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// `64GiB`, `64 GB`, `500M`, `1e12` → bytes (KB, MB, ... are powers of 1000,
/// KiB, MiB, ... of 1024, K, M, G, T alone of 1024).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let x: f64 = num.trim().parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        _ => return None,
    };
    let b = x * scale;
    (b.is_finite() && b >= 1.0 && b < u64::MAX as f64).then_some(b as u64)
}

/// Bytes in words: `29.8 GiB`.
fn size(b: u128) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < units.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{x:.1} {}", units[u])
    }
}

/// `1000000002` → `1,000,000,002`.
fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64GiB"), Some(64 << 30));
        assert_eq!(parse_size("64 GB"), Some(64_000_000_000));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("1e12"), Some(1_000_000_000_000));
        assert_eq!(parse_size("2.5 TiB"), Some(5 << 39));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-1GB"), None);
        assert_eq!(parse_size("1e30 TB"), None);
        assert_eq!(size(32_000_000_064), "29.8 GiB");
        assert_eq!(size(100), "100 bytes");
        assert_eq!(thousands(1_000_000_002), "1,000,000,002");
        assert_eq!(thousands(999), "999");
    }
}
