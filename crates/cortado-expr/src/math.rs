//! Float32 mathematics as NumPy 1.26 (and so coffea) computes it, so that
//! derived quantities such as a dilepton mass land in the same histogram bin.
//!
//! - `sin`/`cos`: NumPy's own SIMD algorithm (Cody-Waite reduction and
//!   minimax polynomials with fused multiply-adds), bit-exact.
//! - `sinh`, `cosh`: NumPy uses Intel SVML on AVX-512 machines (the machines
//!   of the reference outputs), which is not correctly rounded; the same
//!   algorithm is reproduced here, bit-exact.
//! - `asinh`, `atan2`, `exp`, `log`: computed in double precision and rounded
//!   once, which agrees with SVML for the vast majority of inputs (a value
//!   within an ulp of a bin edge may land in the neighbouring bin).
//! - `hypot`: the C library's `hypotf`, as NumPy.
//! - four-vector sums and ΔR with coffea's formulas and operation order.

fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}

/// NumPy's float32 sine/cosine (`loops_trigonometric.dispatch.c.src`).
#[inline(always)]
fn np_sincos(x: f32, cos: bool) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let max_cody = if cos { 71_476.06_f32 } else { 117_435.99_f32 };
    if x.abs() > max_cody {
        let d = x as f64;
        return if cos { d.cos() as f32 } else { d.sin() as f32 };
    }
    let magic = f(0x4b40_0000);
    let q = (x * f(0x3f22_f983) + magic) - magic;
    let mut r = q.mul_add(f(0xbfc9_0fd8), x);
    r = q.mul_add(f(0xb4a8_885a), r);
    r = q.mul_add(f(0xa7c2_34c4), r);
    let r2 = r * r;
    let mut c = f(0x37cc_730b).mul_add(r2, f(0xbab6_036e));
    c = c.mul_add(r2, f(0x3d2a_aa9e));
    c = c.mul_add(r2, -0.5);
    c = c.mul_add(r2, 1.0);
    let mut s = f(0x363e_9dde).mul_add(r2, f(0xb950_35dd));
    s = s.mul_add(r2, f(0x3c08_88cd));
    s = s.mul_add(r2, f(0xbe2a_aaab));
    s = s.mul_add(r2, 0.0);
    s = s.mul_add(r, r);
    let iq = (q.round_ties_even() as i32) + i32::from(cos);
    let mut out = if iq & 1 == 0 { s } else { c };
    if iq & 2 == 2 {
        out = 0.0 - out;
    }
    out
}

/// `np.sin` on float32.
#[inline(always)]
pub fn sin_f32(x: f32) -> f32 {
    np_sincos(x, false)
}

/// `np.cos` on float32.
#[inline(always)]
pub fn cos_f32(x: f32) -> f32 {
    np_sincos(x, true)
}

/// `np.sinh` on float32 as NumPy computes it on AVX-512 machines (Intel SVML's
/// low-accuracy `sinhf`: x = N·ln2 + r, 2^±N from the exponent bits, and
/// sinh(N ln2 + r) = sinh(N ln2)·cosh r + cosh(N ln2)·sinh r with short
/// polynomials, every step a float32 fused multiply-add).
#[inline(always)]
pub fn sinh_f32(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let ax = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    if ax.to_bits() > 0x42ae_ac4e {
        // beyond ~87.3 (overflow) and NaN: SVML's scalar path
        return (x as f64).sinh() as f32;
    }
    let shifter = f(0x4b40_0000); // 1.5·2^23: rounds x/ln2 to an integer
    let m = ax.mul_add(f(0x3fb8_aa3b), shifter);
    let ib = m.to_bits() << 23;
    let n = m - shifter;
    let t1 = f32::from_bits(0x3f00_0000u32.wrapping_add(ib)); // 2^(N-1)
    let t2 = f32::from_bits(0x3f00_0000u32.wrapping_sub(ib)); // 2^(-N-1)
    let g1 = t1 + t2; // cosh(N ln2)
    let g2 = t1 - t2; // sinh(N ln2)
    let mut r = (-n).mul_add(f(0x3f31_7000), ax); // ln2 high part
    r = (-n).mul_add(f(0x3805_fdf4), r); // ln2 low part
    let r2 = r * r;
    let s = f(0x3c09_1461).mul_add(r2, f(0x3e2a_aa57));
    let sinh_r = r.mul_add(r2 * s, r);
    let c = f(0x3ab6_a8a3).mul_add(r2, f(0x3d2a_aa72));
    let c = r2.mul_add(c, 0.5);
    let out = sinh_r.mul_add(g1, g2 * (r2 * c)) + g2;
    f32::from_bits(out.to_bits() | sign)
}

/// `0.5·2^(j/32)` and `0.5·2^(-j/32)` in float32, `j = 0..32`.
fn half_pow2_tables() -> &'static ([f32; 32], [f32; 32]) {
    static T: std::sync::OnceLock<([f32; 32], [f32; 32])> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut plus = [0f32; 32];
        let mut minus = [0f32; 32];
        for j in 0..32 {
            plus[j] = (0.5 * (j as f64 / 32.0).exp2()) as f32;
            minus[j] = (0.5 * (-(j as f64) / 32.0).exp2()) as f32;
        }
        (plus, minus)
    })
}

/// `np.cosh` on float32 as NumPy computes it on AVX-512 machines (Intel SVML's
/// low-accuracy `coshf`: x = (k/32)·ln2 + r with 2^(±k/32) from a table).
#[inline(always)]
pub fn cosh_f32(x: f32) -> f32 {
    let ax = x.abs();
    if ax.to_bits() >= 0x42ae_ac4e {
        return (x as f64).cosh() as f32;
    }
    let (plus, minus) = half_pow2_tables();
    let shifter = f(0x48c0_0000); // 1.5·2^18: rounds x/ln2 to a multiple of 1/32
    let m = ax.mul_add(f(0x3fb8_aa3b), shifter);
    let mb = m.to_bits();
    let g = (mb << 18) & 0x7f80_0000;
    let j = (mb & 31) as usize;
    let t1 = f32::from_bits(plus[j].to_bits().wrapping_add(g));
    let t2 = f32::from_bits(minus[j].to_bits().wrapping_sub(g));
    let n = m - shifter;
    let mut r = (-n).mul_add(f(0x3f31_7000), ax);
    r = (-n).mul_add(f(0x3805_fdf4), r);
    let r2 = r * r;
    let sinh_r = r.mul_add(f(0x3e2a_aacd) * r2, r);
    let g2 = t1 + t2;
    let g1 = t1 - t2;
    let c = g2.mul_add(f(0x3f00_010f) * r2, g2);
    sinh_r.mul_add(g1, c)
}

/// `np.arcsinh` on float32.
#[inline(always)]
pub fn asinh_f32(x: f32) -> f32 {
    (x as f64).asinh() as f32
}

/// `np.arctan2` on float32.
#[inline(always)]
pub fn atan2_f32(y: f32, x: f32) -> f32 {
    (y as f64).atan2(x as f64) as f32
}

/// `np.hypot` on float32, as glibc's `hypotf` computes it (NumPy calls the C
/// library): in double precision, where the squares of floats are exact,
/// rounded once (a test compares it with the C library's over random inputs).
#[inline(always)]
pub fn hypot_f32(a: f32, b: f32) -> f32 {
    if a.is_infinite() || b.is_infinite() {
        return f32::INFINITY;
    }
    let (x, y) = (a as f64, b as f64);
    (x * x + y * y).sqrt() as f32
}

/// coffea's ΔΦ: `(a - b + π) % 2π - π`, with `a - b` in float32, the rest in
/// float64 (Python's modulo) and the result rounded to float32.
#[inline(always)]
pub fn delta_phi_f32(a: f32, b: f32) -> f32 {
    use std::f64::consts::PI;
    let d = (a - b) as f64 + PI;
    let two_pi = 2.0 * PI;
    // fmod without the library call where the answer is exact anyway (angles
    // within [-π, π] give d within (-π, 3π]): d - 2π is exact for d in
    // [2π, 4π) (Sterbenz), and fmod returns d itself within (-2π, 2π).
    let mut m = if d.abs() < two_pi {
        d
    } else if (two_pi..2.0 * two_pi).contains(&d) {
        d - two_pi
    } else {
        d % two_pi
    };
    if m != 0.0 && m < 0.0 {
        m += two_pi;
    }
    (m - PI) as f32
}

/// coffea's ΔR: `hypot(Δη, ΔΦ)` in float32.
#[inline(always)]
pub fn delta_r_f32(eta1: f32, phi1: f32, eta2: f32, phi2: f32) -> f32 {
    hypot_f32(eta1 - eta2, delta_phi_f32(phi1, phi2))
}

/// The float64 cartesian components (px, py, pz, E) of an object with
/// (pt, η, φ, mass): px = pt cos φ, py = pt sin φ, pz = pt sinh η,
/// E = √(px² + py² + pz² + m²). cortado's `a + b` of objects and `p4sum`.
#[inline]
pub fn p4_cartesian(pt: f64, eta: f64, phi: f64, mass: f64) -> [f64; 4] {
    let (x, y, z) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh());
    [x, y, z, (x * x + y * y + z * z + mass * mass).sqrt()]
}

/// pt of a float64 vector: hypot(px, py).
#[inline]
pub fn p4_pt(px: f64, py: f64) -> f64 {
    px.hypot(py)
}

/// η of a float64 vector: asinh(pz / pt), 0 when pt = 0.
#[inline]
pub fn p4_eta(px: f64, py: f64, pz: f64) -> f64 {
    let pt = p4_pt(px, py);
    if pt > 0.0 {
        (pz / pt).asinh()
    } else {
        0.0
    }
}

/// φ of a float64 vector: atan2(py, px).
#[inline]
pub fn p4_phi(px: f64, py: f64) -> f64 {
    py.atan2(px)
}

/// Mass of a float64 vector: √max(E² − p², 0), NaN for a NaN vector (as
/// NumPy's `maximum`; Rust's `f64::max` would give 0).
#[inline]
pub fn p4_mass(px: f64, py: f64, pz: f64, e: f64) -> f64 {
    let m2 = e * e - (px * px + py * py + pz * pz);
    if m2 < 0.0 {
        0.0
    } else {
        m2.sqrt()
    }
}

/// A Lorentz vector in cartesian float32 components, as coffea adds them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct P4 {
    /// x
    pub x: f32,
    /// y
    pub y: f32,
    /// z
    pub z: f32,
    /// t (energy)
    pub t: f32,
}

impl P4 {
    /// From (pt, eta, phi, mass) as coffea's `PtEtaPhiMLorentzVector`.
    #[inline(always)]
    pub fn from_ptetaphim(pt: f32, eta: f32, phi: f32, mass: f32) -> P4 {
        P4 {
            x: pt * cos_f32(phi),
            y: pt * sin_f32(phi),
            z: pt * sinh_f32(eta),
            t: hypot_f32(pt * cosh_f32(eta), mass),
        }
    }

    /// Component-wise sum.
    #[inline(always)]
    pub fn sum(self, o: P4) -> P4 {
        P4 {
            x: self.x + o.x,
            y: self.y + o.y,
            z: self.z + o.z,
            t: self.t + o.t,
        }
    }

    /// Transverse momentum `sqrt(x² + y²)`.
    #[inline(always)]
    pub fn pt(self) -> f32 {
        (self.x * self.x + self.y * self.y).sqrt()
    }

    /// Azimuth `atan2(y, x)`.
    #[inline(always)]
    pub fn phi(self) -> f32 {
        atan2_f32(self.y, self.x)
    }

    /// Pseudorapidity `asinh(z / pt)`.
    #[inline(always)]
    pub fn eta(self) -> f32 {
        asinh_f32(self.z / self.pt())
    }

    /// Mass `sqrt(((t² - x²) - y²) - z²)` (NaN when negative, as coffea).
    #[inline(always)]
    pub fn mass(self) -> f32 {
        (((self.t * self.t - self.x * self.x) - self.y * self.y) - self.z * self.z).sqrt()
    }
}

/// Runs `f` compiled with fused multiply-add instructions when the CPU has
/// them: the float32 kernels above are written with `mul_add` (NumPy's
/// algorithms fuse), which without the instruction is a library call per
/// operation. Same results either way (a fused multiply-add is exact to one
/// rounding in both), only faster. The kernels are `#[inline(always)]` so that
/// they are compiled into `f` with the instruction set of the caller, and `f`
/// itself must be an `#[inline(always)]` closure with plain loops: a closure
/// the optimiser leaves out of line is compiled without the instructions, and
/// every `mul_add` in it becomes a call of `fmaf` (this happened when the
/// dilepton kernel moved to another module: 10 % more time on the benchmark).
#[inline(always)]
pub fn with_fma<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "fma")]
        fn fused<T>(f: impl FnOnce() -> T) -> T {
            f()
        }
        if std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the FMA instructions (checked just above).
            return unsafe { fused(f) };
        }
    }
    f()
}

/// NumPy's float32 `np.sum` (pairwise in blocks of 8192), for reference.
pub fn np_sum_f32(a: &[f32]) -> f32 {
    fn pairwise(a: &[f32]) -> f32 {
        let n = a.len();
        if n < 8 {
            let mut r = -0.0f32;
            for &v in a {
                r += v;
            }
            r
        } else if n <= 128 {
            let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
            let mut i = 8;
            while i < n - n % 8 {
                for j in 0..8 {
                    r[j] += a[i + j];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            while i < n {
                res += a[i];
                i += 1;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pairwise(&a[..n2]) + pairwise(&a[n2..])
        }
    }
    let mut acc = 0.0f32;
    for blk in a.chunks(8192) {
        acc += pairwise(blk);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_phi_matches_coffea_examples() {
        let pi = std::f32::consts::PI;
        assert_eq!(delta_phi_f32(pi, -pi), 1.7484555e-07);
        assert_eq!(delta_phi_f32(0.5, 0.25), 0.25);
        assert!(
            (delta_phi_f32(3.0, -3.0) - (6.0 - 2.0 * std::f64::consts::PI) as f32).abs() < 1e-6
        );
    }

    #[test]
    fn hypot_equals_the_c_library() {
        // a simple generator: no dependency needed for uniform bits
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = [
            0.0f32,
            -0.0,
            1.0,
            f32::MIN_POSITIVE,
            1e-45,
            f32::MAX,
            3.4e38,
        ];
        for &a in &specials {
            for &b in &specials {
                assert_eq!(hypot_f32(a, b).to_bits(), a.hypot(b).to_bits(), "{a} {b}");
            }
        }
        assert_eq!(hypot_f32(f32::INFINITY, f32::NAN), f32::INFINITY);
        assert!(hypot_f32(1.0, f32::NAN).is_nan());
        for i in 0..1_000_000 {
            let r = next();
            let (a, b) = if i % 2 == 0 {
                // any finite bit patterns
                (f32::from_bits(r as u32), f32::from_bits((r >> 32) as u32))
            } else {
                // physics-sized values: momenta and masses
                let u = |x: u64| (x & 0xffffff) as f32 / 16_777_216.0;
                (u(r) * 500.0, u(r >> 24) * 100.0)
            };
            if a.is_finite() && b.is_finite() {
                assert_eq!(hypot_f32(a, b).to_bits(), a.hypot(b).to_bits(), "{a} {b}");
            }
        }
    }

    #[test]
    fn delta_phi_equals_fmod_everywhere() {
        use std::f64::consts::PI;
        let reference = |a: f32, b: f32| {
            let d = (a - b) as f64 + PI;
            let mut m = d % (2.0 * PI);
            if m != 0.0 && m < 0.0 {
                m += 2.0 * PI;
            }
            (m - PI) as f32
        };
        let steps = 2001;
        for i in 0..steps {
            for j in 0..steps {
                let a = -7.0 + 14.0 * i as f32 / (steps - 1) as f32;
                let b = -7.0 + 14.0 * j as f32 / (steps - 1) as f32;
                assert_eq!(delta_phi_f32(a, b).to_bits(), reference(a, b).to_bits());
            }
        }
        let pi = std::f32::consts::PI;
        for (a, b) in [
            (pi, -pi),
            (-pi, pi),
            (pi, pi),
            (1e30, -1e30),
            (f32::NAN, 0.0),
        ] {
            assert_eq!(delta_phi_f32(a, b).to_bits(), reference(a, b).to_bits());
        }
    }

    #[test]
    fn fused_and_unfused_paths_agree() {
        for i in 0..20000 {
            let x = -9.0 + i as f32 * 0.0009;
            assert_eq!(with_fma(|| sinh_f32(x)).to_bits(), sinh_f32(x).to_bits());
            assert_eq!(with_fma(|| cosh_f32(x)).to_bits(), cosh_f32(x).to_bits());
            assert_eq!(
                with_fma(|| sin_f32(x * 40.0)).to_bits(),
                sin_f32(x * 40.0).to_bits()
            );
        }
    }

    #[test]
    fn np_sum_blocks() {
        let v: Vec<f32> = (0..20000)
            .map(|i| if i % 7 == 0 { -26331.2 } else { 26331.2 })
            .collect();
        let seq: f32 = v.iter().sum();
        let np = np_sum_f32(&v);
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        assert!((np as f64 - exact).abs() <= (seq as f64 - exact).abs());
    }
}
