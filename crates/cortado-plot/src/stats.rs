//! The numbers drawn: Garwood (Poisson) intervals, the uncertainty band of
//! weight and shape variations and the Data/MC ratio, with PocketCoffea's
//! arithmetic (`plot_utils.py`, `SystManager`) and coffea's `poisson_interval`.

use statrs::function::gamma::{gamma_lr, ln_gamma};

/// Coverage of a ±1σ interval: Φ(1) − Φ(−1).
pub const COVERAGE: f64 = 0.682_689_492_137_085_9;

/// The `p` quantile of a Gamma(shape `a`, scale 1) distribution, i.e.
/// `chi2.ppf(p, 2a) / 2`, to about 1e-14 relative (safeguarded Newton).
pub fn gamma_quantile(a: f64, p: f64) -> f64 {
    if a.is_nan() || a <= 0.0 || !(0.0..1.0).contains(&p) || p == 0.0 {
        return if p == 0.0 { 0.0 } else { f64::NAN };
    }
    let (mut lo, mut hi) = (0.0f64, a.max(1.0));
    while gamma_lr(a, hi) < p {
        lo = hi;
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let lnga = ln_gamma(a);
    let mut x = 0.5 * (lo + hi);
    for _ in 0..200 {
        let f = gamma_lr(a, x) - p;
        if f > 0.0 {
            hi = x;
        } else {
            lo = x;
        }
        let dens = ((a - 1.0) * x.ln() - x - lnga).exp();
        let mut nx = if dens > 0.0 && dens.is_finite() {
            x - f / dens
        } else {
            f64::NAN
        };
        if !(nx > lo && nx < hi) {
            nx = 0.5 * (lo + hi);
        }
        if (nx - x).abs() <= 1e-15 * x.abs() || hi - lo <= 1e-15 * hi {
            return nx;
        }
        x = nx;
    }
    x
}

/// coffea's `poisson_interval(sumw, sumw2)`: the absolute (lower, upper)
/// edges of the Garwood interval of each bin, for weighted counts through
/// the effective count `sumw²/sumw2`. Bins with `sumw == 0` take the scale
/// `sumw2/sumw` of the nearest non-empty bin (the first on ties); the lower
/// edge of an empty bin is 0 (mplhep ≥ 1; 0.3 leaves NaN there).
pub fn poisson_interval(sumw: &[f64], sumw2: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (lo, hi) = poisson_interval_raw(sumw, sumw2, Borrow::Nearest);
    let zero_nan = |v: Vec<f64>| {
        v.into_iter()
            .map(|x| if x.is_nan() { 0.0 } else { x })
            .collect()
    };
    (zero_nan(lo), zero_nan(hi))
}

/// Which non-empty bin an empty bin takes its weight scale from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Borrow {
    /// The nearest (the first on ties): mplhep ≥ 1.
    Nearest,
    /// The first non-empty bin: mplhep 0.3, which PocketCoffea's figures use.
    First,
}

/// [`poisson_interval`] with NumPy's NaN semantics kept: a NaN bin counts
/// as non-empty (its NaN scale can be borrowed by an empty bin), and NaN
/// results stay NaN (the lower edge of an empty bin too).
pub fn poisson_interval_raw(sumw: &[f64], sumw2: &[f64], borrow: Borrow) -> (Vec<f64>, Vec<f64>) {
    let n = sumw.len();
    let alpha = 1.0 - COVERAGE;
    // `sumw != 0` is true for NaN, as `np.nonzero` sees it
    let nonzero: Vec<usize> = (0..n).filter(|&i| sumw[i] != 0.0).collect();
    if nonzero.is_empty() {
        return (sumw.to_vec(), sumw.to_vec());
    }
    let mut scale = vec![f64::NAN; n];
    for &i in &nonzero {
        scale[i] = sumw2[i] / sumw[i];
    }
    for i in 0..n {
        if sumw[i] == 0.0 {
            let j = match borrow {
                Borrow::First => nonzero[0],
                Borrow::Nearest => nonzero
                    .iter()
                    .copied()
                    .min_by_key(|&j| (j as i64 - i as i64).pow(2))
                    .unwrap_or(i),
            };
            scale[i] = scale[j];
        }
    }
    let mut lo = Vec::with_capacity(n);
    let mut hi = Vec::with_capacity(n);
    for i in 0..n {
        let s = scale[i];
        let counts = sumw[i] / s;
        lo.push(s * gamma_quantile(counts, alpha / 2.0));
        hi.push(s * gamma_quantile(counts + 1.0, 1.0 - alpha / 2.0));
    }
    (lo, hi)
}

/// One systematic's contribution, per bin: squared up and down shifts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shift2 {
    /// Squared upward shift per bin.
    pub up: Vec<f64>,
    /// Squared downward shift per bin.
    pub down: Vec<f64>,
}

/// Adds one sample's variation of one systematic to `acc` with
/// PocketCoffea's rules: the variation going up counts on the up side
/// whichever of Up/Down it is; when both go the same way (or one is zero)
/// the larger squared shift goes on that side only.
pub fn add_shift(acc: &mut Shift2, nom: &[f64], up: &[f64], down: &[f64]) {
    if acc.up.is_empty() {
        acc.up = vec![0.0; nom.len()];
        acc.down = vec![0.0; nom.len()];
    }
    for i in 0..nom.len() {
        let eu = up[i] - nom[i];
        let ed = down[i] - nom[i];
        let up_is_up = eu > 0.0;
        let down_is_down = ed < 0.0;
        let (u2, d2) = if up_is_up {
            (eu * eu, ed * ed)
        } else {
            (ed * ed, eu * eu)
        };
        let (u2, d2) = if up_is_up != down_is_down {
            let m = u2.max(d2);
            (
                if up_is_up { m } else { 0.0 },
                if down_is_down { m } else { 0.0 },
            )
        } else {
            (u2, d2)
        };
        acc.up[i] += u2;
        acc.down[i] += d2;
    }
}

/// The band around the MC total: `nom ± sqrt(Σ shift²)`, and relative to
/// the total (1 where the total is 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Upper edge per bin.
    pub up: Vec<f64>,
    /// Lower edge per bin.
    pub down: Vec<f64>,
    /// Upper edge / MC total.
    pub ratio_up: Vec<f64>,
    /// Lower edge / MC total.
    pub ratio_down: Vec<f64>,
}

/// The total band from the systematics' squared shifts.
pub fn band(total: &[f64], shifts: &[Shift2]) -> Band {
    let n = total.len();
    let mut e_up = vec![0.0; n];
    let mut e_dn = vec![0.0; n];
    for s in shifts {
        for i in 0..n {
            e_up[i] += s.up[i];
            e_dn[i] += s.down[i];
        }
    }
    let up: Vec<f64> = (0..n).map(|i| total[i] + e_up[i].sqrt()).collect();
    let down: Vec<f64> = (0..n).map(|i| total[i] - e_dn[i].sqrt()).collect();
    let rel = |v: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| {
                if total[i] == 0.0 {
                    1.0
                } else {
                    v[i] / total[i]
                }
            })
            .collect()
    };
    Band {
        ratio_up: rel(&up),
        ratio_down: rel(&down),
        up,
        down,
    }
}

/// NumPy's `nan_to_num`: NaN → 0, ±inf → ±f64::MAX.
fn nan_to_num(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else if x.is_infinite() {
        f64::MAX.copysign(x)
    } else {
        x
    }
}

/// Data/MC per bin with the Garwood error bars of the data alone
/// (PocketCoffea's `get_datamc_ratio` and `plot_datamc_ratio` with mplhep
/// 0.3): (ratio, lower error, upper error), with NumPy's NaN arithmetic, a
/// NaN error made infinite and `nan_to_num` at the end, so that every bar is
/// PocketCoffea's; an "infinite" (`f64::MAX`) bar is not drawn, as
/// matplotlib draws none.
pub fn ratio(data: &[f64], data_var: &[f64], mc: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let r: Vec<f64> = data.iter().zip(mc).map(|(d, m)| d / m).collect();
    let rv: Vec<f64> = data_var.iter().zip(mc).map(|(v, m)| v / (m * m)).collect();
    let (lo, hi) = poisson_interval_raw(&r, &rv, Borrow::First);
    let err = |x: f64| nan_to_num(if x.is_nan() { f64::INFINITY } else { x });
    let elo = (0..r.len()).map(|i| err((r[i] - lo[i]).abs())).collect();
    let ehi = (0..r.len()).map(|i| err((hi[i] - r[i]).abs())).collect();
    (r.into_iter().map(nan_to_num).collect(), elo, ehi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garwood_as_scipy() {
        // scipy.stats.chi2 via coffea's poisson_interval (docs/research/cms-plot-style.md)
        let n = [0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 100.0];
        let lo = [
            0.0, 0.172754, 0.708185, 1.367295, 2.840309, 6.891306, 90.016745,
        ];
        let hi = [
            1.841022, 3.299527, 4.637860, 5.918186, 8.382473, 14.266950, 111.033361,
        ];
        let (l, h) = poisson_interval(&n, &n);
        for i in 0..n.len() {
            assert!((l[i] - lo[i]).abs() < 2e-6, "lo {i}: {} vs {}", l[i], lo[i]);
            assert!((h[i] - hi[i]).abs() < 2e-6, "hi {i}: {} vs {}", h[i], hi[i]);
        }
        // weighted, with an empty bin borrowing its neighbour's scale
        let (l, h) = poisson_interval(&[4.5, 0.0, 2.0], &[4.5, 0.0, 4.0]);
        for (a, b) in h.iter().zip([7.775254, 1.841022, 6.599053]) {
            assert!((a - b).abs() < 2e-6, "{a} vs {b}");
        }
        for (a, b) in l.iter().zip([2.459305, 0.0, 0.345508]) {
            assert!((a - b).abs() < 2e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn one_sided_shifts() {
        let mut s = Shift2::default();
        // normal, swapped, both up, both down, one zero
        add_shift(
            &mut s,
            &[10.0; 5],
            &[12.0, 9.0, 13.0, 8.0, 10.0],
            &[9.0, 12.0, 11.0, 7.0, 8.0],
        );
        assert_eq!(s.up, [4.0, 4.0, 9.0, 0.0, 0.0]);
        assert_eq!(s.down, [1.0, 1.0, 0.0, 9.0, 4.0]);
        let b = band(
            &[10.0, 0.0],
            &[Shift2 {
                up: vec![9.0, 1.0],
                down: vec![4.0, 0.0],
            }],
        );
        assert_eq!(b.up, [13.0, 1.0]);
        assert_eq!(b.down, [8.0, 0.0]);
        assert_eq!(b.ratio_up, [1.3, 1.0]);
    }
}
