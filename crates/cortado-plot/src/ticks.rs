//! Tick positions and labels as matplotlib chooses them (`MaxNLocator` with
//! steps 1, 2, 2.5, 5, 10, `AutoMinorLocator`, `ScalarFormatter`,
//! `LogLocator`/`LogFormatterSciNotation`), so that axes read like mplhep's.

/// Major and minor ticks of one axis and the labels of the major ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// Major tick positions inside the view.
    pub major: Vec<f64>,
    /// Their labels (TeX subset, see [`crate::font`]).
    pub labels: Vec<String>,
    /// Minor tick positions inside the view.
    pub minor: Vec<f64>,
    /// Common factor shown at the end of the axis (`×10^{6}`), if any.
    pub offset: Option<String>,
}

fn in_view(x: f64, lo: f64, hi: f64) -> bool {
    let eps = 1e-10 * (hi - lo).abs().max(f64::MIN_POSITIVE);
    x >= lo - eps && x <= hi + eps
}

/// matplotlib's `MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10])` major ticks (may
/// extend beyond the view by one step).
fn raw_ticks(lo: f64, hi: f64, nbins: usize) -> (Vec<f64>, f64) {
    let dv = hi - lo;
    let scale = 10f64.powf((dv / nbins as f64).log10().floor());
    let steps: Vec<f64> = [0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
        .iter()
        .map(|s| s * scale)
        .collect();
    let raw = dv / nbins as f64;
    let istep = steps
        .iter()
        .position(|&s| s >= raw * (1.0 - 1e-12))
        .unwrap_or(steps.len() - 1);
    let mut best = (Vec::new(), steps[istep]);
    for &step in steps[..=istep].iter().rev() {
        let base = (lo / step).floor() * step;
        let low = ((lo - base) / step - 1e-10).floor();
        let high = ((hi - base) / step + 1e-10).ceil();
        let ticks: Vec<f64> = (low as i64..=high as i64)
            .map(|i| i as f64 * step + base)
            .collect();
        let n = ticks.iter().filter(|&&t| in_view(t, lo, hi)).count();
        best = (ticks, step);
        if n >= 2 {
            break;
        }
    }
    best
}

/// `ScalarFormatter`'s number of decimals for a set of ticks.
fn decimals(locs: &[f64], lo: f64, hi: f64) -> usize {
    let mut all = locs.to_vec();
    if all.len() < 2 {
        all.extend([lo, hi]);
    }
    let (mn, mx) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let range = mx - mn;
    if range <= 0.0 || !range.is_finite() {
        return 0;
    }
    let oom = range.log10().floor() as i32;
    let mut sig = (3 - oom).max(0);
    let thresh = 1e-3 * 10f64.powi(oom);
    while sig >= 0 {
        let p = 10f64.powi(sig);
        let err = locs
            .iter()
            .map(|&x| (x - (x * p).round() / p).abs())
            .fold(0.0, f64::max);
        if err < thresh {
            sig -= 1;
        } else {
            break;
        }
    }
    (sig + 1).max(0) as usize
}

/// Linear ticks for the view `[lo, hi]`, with at most `nbins` intervals.
pub fn linear(lo: f64, hi: f64, nbins: usize) -> Ticks {
    let nbins = nbins.clamp(1, 9);
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return Ticks {
            major: Vec::new(),
            labels: Vec::new(),
            minor: Vec::new(),
            offset: None,
        };
    }
    let (raw, step) = raw_ticks(lo, hi, nbins);
    let major: Vec<f64> = raw
        .iter()
        .copied()
        .filter(|&t| in_view(t, lo, hi))
        .collect();
    // scientific notation outside 1e-5 ≤ |x| < 1e6 (axes.formatter.limits)
    let amax = major.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
    let oom = if amax > 0.0 {
        amax.log10().floor() as i32
    } else {
        0
    };
    let (factor, offset) = if oom <= -5 || oom >= 6 {
        (10f64.powi(oom), Some(format!("$×10^{{{oom}}}$")))
    } else {
        (1.0, None)
    };
    let scaled: Vec<f64> = major.iter().map(|x| x / factor).collect();
    let dec = decimals(&scaled, lo / factor, hi / factor);
    let labels = scaled
        .iter()
        .map(|&x| {
            let s = format!("{:.*}", dec, x);
            // "-0" and "-0.0" read as zero
            if s.trim_start_matches('-')
                .chars()
                .all(|c| c == '0' || c == '.')
            {
                s.trim_start_matches('-').to_string()
            } else {
                s
            }
        })
        .collect();
    // AutoMinorLocator: 5 divisions for steps 1, 2.5, 5, 10 and 4 for 2
    let mant = 10f64.powf(step.log10().rem_euclid(1.0));
    let ndiv = if [1.0, 2.5, 5.0, 10.0]
        .iter()
        .any(|m| (mant - m).abs() < 1e-6)
    {
        5
    } else {
        4
    };
    let ms = step / ndiv as f64;
    let first = raw.first().copied().unwrap_or(lo);
    let mut minor = Vec::new();
    let n = ((hi - first) / ms).ceil() as i64 + 1;
    for i in 0..n.min(10_000) {
        if i % ndiv == 0 {
            continue;
        }
        let x = first + i as f64 * ms;
        if in_view(x, lo, hi) {
            minor.push(x);
        }
    }
    Ticks {
        major,
        labels,
        minor,
        offset,
    }
}

/// Logarithmic ticks for the view `[lo, hi]` (both > 0), with at most
/// `numticks` labelled decades.
pub fn log(lo: f64, hi: f64, numticks: usize) -> Ticks {
    let numticks = numticks.clamp(2, 9);
    let (a, b) = (lo.log10(), hi.log10());
    let (d0, d1) = (a.floor() as i64, b.ceil() as i64);
    let numdec = (d1 - d0) as f64;
    let stride = ((numdec / (numticks as f64 - 1.0)).ceil() as i64).max(1);
    let mut major = Vec::new();
    let mut labels = Vec::new();
    let mut minor = Vec::new();
    for d in d0..=d1 {
        let x = 10f64.powi(d as i32);
        if d % stride == 0 && in_view(x, lo, hi) {
            major.push(x);
            labels.push(format!("$10^{{{d}}}$"));
        } else if in_view(x, lo, hi) {
            minor.push(x);
        }
        if numdec <= 10.0 {
            for s in 2..10 {
                let m = s as f64 * x;
                if in_view(m, lo, hi) {
                    minor.push(m);
                }
            }
        }
    }
    Ticks {
        major,
        labels,
        minor,
        offset: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_as_matplotlib() {
        // values read off matplotlib 3.11 plots with the same view and tick space
        let t = linear(0.0, 120.0, 9);
        assert_eq!(t.labels, ["0", "20", "40", "60", "80", "100", "120"]);
        // step 20: four divisions, three minor ticks per interval
        assert_eq!(t.minor.len(), 6 * 3);
        let t = linear(0.5, 1.5, 3);
        assert_eq!(t.labels, ["0.5", "1.0", "1.5"]);
        let t = linear(-2.5, 2.5, 9);
        assert_eq!(t.labels, ["-2", "-1", "0", "1", "2"]);
        let t = linear(0.0, 0.034, 9);
        assert_eq!(t.labels[..3], ["0.000", "0.005", "0.010"]);
        let t = linear(0.0, 3.0e6, 9);
        assert_eq!(t.offset.as_deref(), Some("$×10^{6}$"));
        assert_eq!(t.labels[1], "0.5");
    }

    #[test]
    fn log_ticks() {
        let t = log(0.01, 10f64.powf(3.5), 9);
        assert_eq!(
            t.labels,
            [
                "$10^{-2}$",
                "$10^{-1}$",
                "$10^{0}$",
                "$10^{1}$",
                "$10^{2}$",
                "$10^{3}$"
            ]
        );
        assert_eq!(t.minor.len(), 8 * 5 + 2);
    }
}
