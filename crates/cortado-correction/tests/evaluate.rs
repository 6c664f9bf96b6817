//! Evaluation of the hand-written files of tests/data, with values computed
//! by hand (no Python needed), column evaluation, and the errors' texts.

use std::path::PathBuf;

use cortado_correction::{load, Column, CorrectionSet, Error, Value};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn set(name: &str) -> CorrectionSet {
    CorrectionSet::from_file(data(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn ev(set: &CorrectionSet, name: &str, args: &[Value]) -> f64 {
    set.get(name)
        .and_then(|c| c.evaluate(args))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn refusal(set: &CorrectionSet, name: &str, args: &[Value]) -> String {
    match set.get(name).unwrap().evaluate(args) {
        Err(e @ Error::Refused { .. }) => e.to_string(),
        other => panic!("{name}{args:?}: expected a refusal, got {other:?}"),
    }
}

use Value::{Int, Real, Str};

#[test]
fn uniform_binning_flows() {
    let s = set("nodes.json");
    let u = |x: f64, flow: &str| ev(&s, "uniform_flows", &[Real(x), Str(flow)]);
    // 5 bins of width 2 on [0, 10): x = 2 is the first edge of bin 1.
    assert_eq!(u(0.0, "clamp"), 1.0);
    assert_eq!(u(2.0, "clamp"), 2.0);
    assert_eq!(u(9.99, "clamp"), 5.0);
    assert_eq!(u(10.0, "clamp"), 5.0);
    assert_eq!(u(-3.0, "clamp"), 1.0);
    assert_eq!(u(11.0, "value"), 0.5);
    assert_eq!(u(12.0, "node"), 24.0);
    // wrap on [-1.5, 1.5) in 3 bins: 2.0 → -1.0 (bin 0), -2.0 → 1.0 (bin 2)
    assert_eq!(u(2.0, "wrap"), 10.0);
    assert_eq!(u(-2.0, "wrap"), 30.0);
    let e = refusal(&s, "uniform_flows", &[Real(10.0), Str("error")]);
    assert!(e.contains("nodes.json"), "{e}");
    assert!(e.contains("correction 'uniform_flows'"), "{e}");
    assert!(
        e.contains("input 'x' = 10 is above the range [0, 10)"),
        "{e}"
    );
    let e = refusal(&s, "uniform_flows", &[Real(f64::NAN), Str("clamp")]);
    assert!(e.contains("input 'x' is NaN"), "{e}");
}

#[test]
fn edge_list_flows() {
    let s = set("nodes.json");
    let l = |y: f64, flow: &str| ev(&s, "list_flows", &[Real(y), Str(flow)]);
    // edges -2.5, -1, 0, 0.3, 1.7, 4
    assert_eq!(l(-2.5, "error"), 1.0);
    assert_eq!(l(0.0, "error"), 3.0);
    assert_eq!(l(0.29, "error"), 3.0);
    assert_eq!(l(4.0, "clamp"), 5.0);
    assert_eq!(l(f64::NAN, "clamp"), 5.0);
    assert_eq!(l(-7.0, "value"), -7.25);
    // the flow node is itself a binning: (-inf, -2.5) → 100, [4, inf) → 300
    assert_eq!(l(-3.0, "node"), 100.0);
    assert_eq!(l(4.0, "node"), 300.0);
    // wrap with period 6.5: 5.0 → -1.5 (bin 0), -3.0 → 3.5 (bin 4)
    assert_eq!(l(5.0, "wrap"), 1.0);
    assert_eq!(l(-3.0, "wrap"), 5.0);
    assert_eq!(l(0.0, "infinite"), 1.0);
    assert_eq!(l(-1e300, "infinite"), -1.0);
    let e = refusal(&s, "list_flows", &[Real(-2.6), Str("error")]);
    assert!(
        e.contains("input 'y' = -2.6 is below the range [-2.5, 4)"),
        "{e}"
    );
    let e = refusal(&s, "list_flows", &[Real(f64::INFINITY), Str("wrap")]);
    assert!(e.contains("cannot be wrapped"), "{e}");
}

#[test]
fn multibinning_strides_and_flows() {
    let s = set("nodes.json");
    let m = |a: f64, b: f64, c: i64| ev(&s, "multibinning_mixed", &[Real(a), Real(b), Int(c)]);
    // a: 3 uniform bins on [0, 3), b: -1, 0, 1, 5, c (int): 0, 1, 2; content[i] = i + 0.5
    assert_eq!(m(0.5, 0.5, 1), (2 + 1) as f64 + 0.5);
    assert_eq!(m(2.5, 4.0, 0), (2 * 6 + 2 * 2) as f64 + 0.5);
    // outside: the flow formula a + b
    assert_eq!(m(7.0, 0.5, 1), 7.5);
    assert_eq!(m(1.0, 0.5, 5), 1.5);
    let f =
        |a: f64, b: f64, flow: &str| ev(&s, "multibinning_flows", &[Real(a), Real(b), Str(flow)]);
    assert_eq!(f(3.0, -5.0, "clamp"), 3.0);
    assert_eq!(f(3.0, -5.0, "value"), 99.0);
    let e = refusal(
        &s,
        "multibinning_flows",
        &[Real(0.5), Real(1.0), Str("error")],
    );
    assert!(
        e.contains("input 'b' = 1 is above the range [-1, 1)"),
        "{e}"
    );
}

#[test]
fn categories_keys_and_defaults() {
    let s = set("nodes.json");
    let c = |f: i64, syst: &str, pt: f64| ev(&s, "categories", &[Int(f), Str(syst), Real(pt)]);
    assert_eq!(c(5, "central", 30.0), 1.1);
    assert_eq!(c(5, "central", 70.0), 1.2);
    assert_eq!(c(5, "central", 5.0), 1.1);
    assert_eq!(c(5, "up", 30.0), 1.3);
    assert_eq!(c(4, "up_cferr", 30.0), 1.15);
    assert_eq!(c(4, "anything", 30.0), 1.0);
    assert_eq!(c(-3, "central", 30.0), 7.0);
    assert_eq!(c(7, " spaced key ", 0.0), 0.25);
    assert_eq!(c(7, "ünïcode", 0.0), 0.125);
    let e = refusal(&s, "categories", &[Int(5), Str("centrl"), Real(30.0)]);
    assert!(
        e.contains("input 'syst' = \"centrl\" is not a key of its category (did you mean 'central'?) (valid: \"central\", \"down\", \"up\")"),
        "{e}"
    );
    let e = refusal(&s, "categories", &[Int(0), Str("central"), Real(5000.0)]);
    assert!(
        e.contains("input 'pt' = 5000 is above the range [20, 1000)"),
        "{e}"
    );
    let many = |k: &str, i: i64| ev(&s, "many_keys", &[Str(k), Int(i)]);
    assert_eq!(many("key13", 7), 1307.0);
    assert_eq!(many("key0", -5), -5.0);
    assert_eq!(many("key19", 12), -1.0);
    let e = refusal(&s, "many_keys", &[Str("key20"), Int(0)]);
    assert!(e.contains("… 20 in all"), "{e}");
}

#[test]
fn transforms() {
    let s = set("nodes.json");
    // |eta| = 1.5 (bin 1), pt 50 (bin 0) → content[1·2 + 0]
    assert_eq!(ev(&s, "transform_real", &[Real(-1.5), Real(50.0)]), 1.2);
    // pt clamped to 20 by the rule
    assert_eq!(ev(&s, "transform_real", &[Real(0.5), Real(3.0)]), 1.0);
    let t = |flav: i64, x: f64| ev(&s, "transform_int", &[Int(flav), Real(x)]);
    assert_eq!(t(5, 0.0), 1.0); // 4.6 → 5
    assert_eq!(t(0, 0.0), 2.0); // -0.5 → -1 (half away from zero)
    assert_eq!(t(1, 0.0), 3.0); // 0.5 → 1
    assert_eq!(t(2, 0.0), 4.0); // 2.4999999999999996 → 2
    assert_eq!(t(3, 0.0), 5.0); // -2.5 → -3
    assert_eq!(t(9, 5.0), 6.0); // default binning: 2.5 → 3
    assert_eq!(t(9, 20.0), 4.0); // its flow: 1.5 → 2
                                 // x' = x + y, then y' = x' · y, then x' − y'
    assert_eq!(
        ev(&s, "nested_transform", &[Real(2.0), Real(3.0)]),
        5.0 - 15.0
    );
}

#[test]
fn formulas_by_hand() {
    let s = set("formulas.json");
    let f = |k: usize, x: f64, y: f64, z: f64, t: f64| {
        ev(
            &s,
            "formulas",
            &[Real(x), Real(y), Real(z), Real(t), Str(&format!("f{k}"))],
        )
    };
    assert_eq!(f(24, 1.0, 2.0, 3.0, 0.0), -4.0); // x-y-z
    assert_eq!(f(25, 8.0, 2.0, 3.0, 0.0), 12.0); // x/y*z
    assert_eq!(f(27, 3.0, 0.0, 0.0, 0.0), 9.0); // -x^2 = (-x)^2
    assert_eq!(f(28, 1.0, 0.0, 0.0, 0.0), 5.0); // -2^2+x
    assert_eq!(f(31, 2.0, 1.0, 0.0, 0.0), 1.0); // x>y
    assert_eq!(f(41, 1.0, 2.0, 3.0, 4.0), 3.0); // x[0]+x[1]*x[2]-x[3]
    assert_eq!(f(48, 2.0, 0.0, 0.0, 0.0), 1.5 - 0.5 + 8.0); // [0]+[1]*x+[2]*x*x
    assert!(f(20, f64::NAN, 1.0, 0.0, 0.0).is_nan()); // max(x,y), std::max
    assert_eq!(f(22, f64::NAN, 1.0, 0.0, 0.0), 1.0); // max(y,x)
    let r = |x: f64, y: f64| ev(&s, "formularefs", &[Real(x), Real(y)]);
    assert_eq!(r(3.0, -5.0), 1.0 + 2.0 * 3.0);
    assert_eq!(r(5000.0, 5.0), 0.5 * 3000.0 + 0.1);
    assert_eq!(r(2.0, 50.0), 2.0 * 50.0 * 3.0);
    assert_eq!(r(4.0, 500.0), -1.0 + 0.5 * 4.0); // flow
}

#[test]
fn hashprng_values_equal_correctionlibs() {
    // Recorded with the Python correctionlib 2.9.0:
    // CorrectionSet.from_file("hashprng.json")["hashprng"].evaluate(30.5, 1.2, 12345, d)
    let s = set("hashprng.json");
    let h = |d: &str| ev(&s, "hashprng", &[Real(30.5), Real(1.2), Int(12345), Str(d)]);
    assert_eq!(h("stdflat"), 0.06281696336027937);
    assert_eq!(h("stdnormal"), -0.9491561691502117);
    assert_eq!(h("normal"), -0.08794435669374782);
    let smear = ev(
        &s,
        "jer_like_smearing",
        &[Real(50.0), Real(-0.7), Int(987654321), Real(0.0)],
    );
    assert_eq!(smear, -11.082825779685944);
}

#[test]
fn numbers_are_parsed_as_correctionlib_parses_them() {
    // Recorded with the Python correctionlib 2.9.0; each differs from the
    // correctly rounded value of the decimal in the file.
    let s = set("numbers.json");
    let c = |k: i64| ev(&s, "constants", &[Int(k)]);
    assert_eq!(c(2), 0.9007199254740992); // "0.90071992547409931"
    assert_eq!(c(3), 1.2345678901234566e29); // "123456789012345678901234567890"
    assert_eq!(c(7), 2.2250738585072014e-308); // "2.2250738585072011e-308"
    assert_eq!(c(17), 12345678901234.57); // "12345678901234567.89e-3"
    assert_eq!(c(31), 1.0); // "0.9999999999999999"
    assert!(c(40).is_nan());
    assert_eq!(c(42), f64::NEG_INFINITY);
}

#[test]
fn compound_corrections_by_hand() {
    let s = set("compound.json");
    let (x, y, z) = (50.0f64, 2.0f64, 0.0f64);
    let l1 = |x: f64| {
        if x < 10.0 {
            1.2
        } else if x < 100.0 {
            1.1
        } else {
            1.05
        }
    };
    let l2 = |x: f64, y: f64| 1.0 + 0.001 * x * y;
    let l3 = |x: f64| 1.0 / (1.0 + x / 1000.0);
    let l4 = |x: f64| 1.0 + 0.0001 * x;
    let (a, x1) = (l1(x), x * l1(x));
    let (b, x2) = (l2(x1, y), x1 * l2(x1, y));
    let (c, x3) = (l3(x2), x2 * l3(x2));
    let d = l4(x3);
    let args = [Real(x), Real(y), Real(z)];
    let cc = |name: &str| s.compound(name).unwrap().evaluate(&args).unwrap();
    assert_eq!(cc("mult_mult"), a * b * c * d);
    let (a, x1) = (l1(x), x + l1(x));
    let (_, x2) = (l2(x1, y), x1 + l2(x1, y));
    let (_, x3) = (l3(x2), x2 + l3(x2));
    assert_eq!(cc("add_last"), l4(x3));
    assert!(a > 0.0);
    let err = s
        .compound("mult_mult")
        .unwrap()
        .evaluate(&[Real(x), Real(y), Real(5.0)]);
    let msg = err.unwrap_err().to_string();
    assert!(
        msg.contains(
            "correction 'mult_mult': in component 'L4': input 'z' = 5 is above the range [-1, 1)"
        ),
        "{msg}"
    );
}

#[test]
fn columns_equal_rows_and_broadcast_scalars() {
    let s = set("nodes.json");
    let c = s.get("categories").unwrap();
    let flav = [5i32, 4, 0, -3, 99];
    let pt = [30.0f32, 70.0, 500.0, 1.0, 2.0];
    let out = c
        .evaluate_columns(&[
            Column::I32(&flav),
            Column::Scalar(Str("central")),
            Column::F32(&pt),
        ])
        .unwrap();
    let rows: Vec<f64> = flav
        .iter()
        .zip(&pt)
        .map(|(&f, &p)| {
            c.evaluate(&[Int(f.into()), Str("central"), Real(p.into())])
                .unwrap()
        })
        .collect();
    assert_eq!(out, rows);
    assert_eq!(out, vec![1.1, 1.05, 0.95, 7.0, 0.5]);
    // all scalars: one row; empty columns: no row
    let one = c
        .evaluate_columns(&[
            Column::Scalar(Int(5)),
            Column::Scalar(Str("up")),
            Column::Scalar(Real(1.0)),
        ])
        .unwrap();
    assert_eq!(one, vec![1.3]);
    let none = c
        .evaluate_columns(&[Column::I64(&[]), Column::Str(&[]), Column::F64(&[])])
        .unwrap();
    assert!(none.is_empty());
    // the first refused row is named
    let pts = [30.0, 2000.0];
    let e = c
        .evaluate_columns(&[
            Column::I64(&[0, 0]),
            Column::Scalar(Str("central")),
            Column::F64(&pts),
        ])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("correction 'categories' (row 1): input 'pt' = 2000"),
        "{e}"
    );
}

#[test]
fn wrong_arguments_are_errors() {
    let s = set("nodes.json");
    let c = s.get("categories").unwrap();
    let e = c
        .evaluate(&[Int(5), Str("central")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("takes 3 inputs (flavour: int, syst: string, pt: real), got 2"),
        "{e}"
    );
    let e = c
        .evaluate(&[Real(5.0), Str("central"), Real(1.0)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input 'flavour' is int, got a real value"),
        "{e}"
    );
    let e = c
        .evaluate_columns(&[
            Column::I64(&[1, 2]),
            Column::Scalar(Str("up")),
            Column::F64(&[1.0]),
        ])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'flavour' has 2 rows, 'pt' has 1"), "{e}");
    let e = c
        .evaluate_columns(&[
            Column::F64(&[1.0]),
            Column::Scalar(Str("up")),
            Column::F64(&[1.0]),
        ])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input 'flavour' is int, got an f64 column"),
        "{e}"
    );
}

#[test]
fn unknown_names_suggest_the_closest() {
    let s = set("nodes.json");
    let e = s.get("categoris").unwrap_err().to_string();
    assert!(
        e.ends_with("no correction named 'categoris' (did you mean 'categories'?)"),
        "{e}"
    );
    let e = s.get("zzz").unwrap_err().to_string();
    assert!(
        e.contains("(the file holds: uniform_flows, list_flows,"),
        "{e}"
    );
    let c = set("compound.json");
    let e = c.get("mult_mult").unwrap_err().to_string();
    assert!(e.contains("it is a compound correction"), "{e}");
    assert!(c.any("mult_mult").is_ok() && c.any("L1").is_ok());
}

#[test]
fn the_cache_shares_a_set_and_sees_changes() {
    let dir = std::env::temp_dir().join(format!("cortado-correction-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("c.json");
    std::fs::copy(data("compound.json"), &f).unwrap();
    let a = load(&f).unwrap();
    let b = load(&f).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    // a different file content (size) is loaded again
    std::fs::copy(data("hashprng.json"), &f).unwrap();
    let c = load(&f).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&a, &c));
    assert!(c.get("hashprng").is_ok());
    let e = load(dir.join("missing.json")).unwrap_err().to_string();
    assert!(e.contains("missing.json: cannot read"), "{e}");
}
