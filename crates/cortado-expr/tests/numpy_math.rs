//! The float32 maths of `cortado_expr::math` against NumPy 1.26 outputs
//! recorded on an AVX-512 machine (the platform of the PocketCoffea reference):
//! `sin`, `cos`, `sinh`, `cosh` must be bit-exact; the others must agree almost always.

use cortado_expr::math::*;
use serde_json::Value;

fn load() -> Value {
    let t = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/numpy_f32_math.json"
    ))
    .unwrap();
    serde_json::from_str(&t).unwrap()
}

fn col(v: &Value, k: &str) -> Vec<f32> {
    v[k].as_array()
        .unwrap()
        .iter()
        .map(|x| f32::from_bits(x.as_u64().unwrap() as u32))
        .collect()
}

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn sin_cos_sinh_cosh_bit_exact() {
    let v = load();
    let (x, eta) = (col(&v, "x"), col(&v, "eta"));
    for (name, f, input, exp) in [
        ("sin", sin_f32 as fn(f32) -> f32, &x, col(&v, "sin")),
        ("cos", cos_f32, &x, col(&v, "cos")),
        ("sinh", sinh_f32, &eta, col(&v, "sinh")),
        ("cosh", cosh_f32, &eta, col(&v, "cosh")),
    ] {
        let bad: Vec<_> = input
            .iter()
            .zip(&exp)
            .filter(|(&x, &e)| !same(f(x), e))
            .map(|(x, e)| (*x, f(*x), *e))
            .take(5)
            .collect();
        assert!(bad.is_empty(), "{name} (input, cortado, numpy): {bad:?}");
    }
}

#[test]
fn other_functions_agree_mostly() {
    let v = load();
    let eta = col(&v, "eta");
    let exp = col(&v, "arcsinh");
    let agree = eta
        .iter()
        .zip(&exp)
        .filter(|(&x, &e)| same(asinh_f32(x), e))
        .count();
    let ulp = eta
        .iter()
        .zip(&exp)
        .map(|(&x, &e)| (asinh_f32(x).to_bits() as i64 - e.to_bits() as i64).abs())
        .max()
        .unwrap();
    eprintln!(
        "arcsinh: {agree}/{} bit-identical, max {ulp} ulp",
        eta.len()
    );
    assert!(
        ulp <= 2 && agree * 10 >= eta.len() * 6,
        "arcsinh: {agree}, {ulp} ulp"
    );
    let (y, x, exp) = (col(&v, "y"), col(&v, "xx"), col(&v, "arctan2"));
    let agree = (0..y.len())
        .filter(|&i| same(atan2_f32(y[i], x[i]), exp[i]))
        .count();
    let ulp = (0..y.len())
        .map(|i| (atan2_f32(y[i], x[i]).to_bits() as i64 - exp[i].to_bits() as i64).abs())
        .max()
        .unwrap();
    eprintln!("arctan2: {agree}/{} bit-identical, max {ulp} ulp", y.len());
    assert!(ulp <= 2, "atan2 {ulp}");
}

#[test]
fn dilepton_mass_like_coffea() {
    let v = load();
    let (pt1, pt2, e1, e2, p1, p2) = (
        col(&v, "pt1"),
        col(&v, "pt2"),
        col(&v, "eta1"),
        col(&v, "eta2"),
        col(&v, "phi1"),
        col(&v, "phi2"),
    );
    let (mass, pt) = (col(&v, "mass"), col(&v, "pt"));
    let m = 0.10566f32;
    let mut bad = Vec::new();
    for i in 0..pt1.len() {
        let s = P4::from_ptetaphim(pt1[i], e1[i], p1[i], m)
            .sum(P4::from_ptetaphim(pt2[i], e2[i], p2[i], m));
        if !same(s.mass(), mass[i]) || !same(s.pt(), pt[i]) {
            bad.push((i, s.mass(), mass[i]));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} dilepton masses differ: {:?}",
        bad.len(),
        pt1.len(),
        &bad[..bad.len().min(5)]
    );
}
