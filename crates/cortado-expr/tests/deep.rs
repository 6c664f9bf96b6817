//! Deeply nested and very long expressions: each gives a clear error, never a
//! stack overflow; expressions just under the limit are parsed, checked and
//! evaluated within the 2 MiB stack of an ordinary spawned thread.

use std::collections::HashMap;
use std::sync::Arc;

use cortado_columns::{Column, Values};
use cortado_expr::check::{Checker, Meta};
use cortado_expr::eval::{eval, Env};
use cortado_expr::parser::{parse, strip_parens, MAX_DEPTH};
use cortado_expr::types::{Prim, Schema};
use cortado_expr::value::ColumnData;

/// Runs `f` in a thread with a 2 MiB stack (Rust's default for spawned threads,
/// as rayon's workers use): an overflow aborts the test binary.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn too_deep(src: String) {
    let what: String = src.chars().take(40).collect();
    let e = small_stack(move || parse(&src).unwrap_err());
    assert!(
        e.message.contains("nested too deeply") && e.message.contains(&MAX_DEPTH.to_string()),
        "{what}...: {e:?}"
    );
}

#[test]
fn deep_parentheses_are_an_error() {
    let n = 10_000;
    too_deep(format!("{}x{}", "(".repeat(n), ")".repeat(n)));
    // unclosed: the depth is reached before the missing ')' is noticed
    too_deep("(".repeat(n));
    // the error points at the parenthesis one level below the limit
    let e = parse(&format!("{}x{}", "(".repeat(n), ")".repeat(n))).unwrap_err();
    assert_eq!(e.span.start, MAX_DEPTH, "{e:?}");
}

#[test]
fn long_chains_of_every_binary_operator_are_an_error() {
    for op in [
        "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "&",
        "|", "&&", "||",
    ] {
        too_deep(vec!["x"; 20_000].join(&format!(" {op} ")));
    }
}

#[test]
fn deep_unary_operators_are_an_error() {
    for op in ["-", "+", "not ", "~", "!"] {
        too_deep(format!("{}x", op.repeat(20_000)));
        too_deep(format!("{}1", op.repeat(20_000)));
    }
    too_deep(format!("{}x", "- ".repeat(20_000)));
}

#[test]
fn deep_calls_fields_indices_and_lists_are_an_error() {
    let n = 10_000;
    too_deep(format!("{}x{}", "abs(".repeat(n), ")".repeat(n)));
    too_deep(format!("{}x{}", "f(1, k=".repeat(n), ")".repeat(n)));
    too_deep(format!("{}1{}", "[".repeat(n), "]".repeat(n)));
    too_deep(format!("x{}", ".a".repeat(20_000)));
    too_deep(format!("x{}", "[0]".repeat(20_000)));
    too_deep(format!("x{}", "[:1]".repeat(20_000)));
    too_deep(format!("{}x{}", "x[".repeat(n), "]".repeat(n)));
    too_deep(vec!["x"; 20_000].join(" < "));
}

#[test]
fn wide_expressions_are_not_deep() {
    let list = format!("[{}]", vec!["1"; 100_000].join(", "));
    small_stack(move || parse(&list).unwrap());
    let call = format!("max({})", vec!["x"; 100_000].join(", "));
    small_stack(move || parse(&call).unwrap());
}

fn data() -> (Arc<ColumnData>, Schema) {
    let mut c: HashMap<String, Column> = HashMap::new();
    c.insert(
        "MET_pt".into(),
        Column::flat(Values::F32(vec![1.0, 2.0, 3.0])),
    );
    let schema = Schema::from_branches(&[("MET_pt".to_string(), Prim::F32, None)]);
    (Arc::new(ColumnData::new(3, c)), schema)
}

/// Parses, checks and evaluates in a small stack; gives the values.
fn evaluate(src: String) -> String {
    small_stack(move || {
        let (raw, mut schema) = data();
        let meta = Meta::default();
        let ast = strip_parens(parse(&src).unwrap_or_else(|e| panic!("{e:?}")));
        let mut ck = Checker::new(&mut schema, &meta);
        let t = ck.check(&ast).unwrap_or_else(|e| panic!("{e:?}"));
        let env = Env::new(raw, Arc::new(schema));
        format!("{:?}", eval(&t, &env).unwrap())
    })
}

#[test]
fn expressions_just_under_the_limit_work_in_a_small_stack() {
    let n = MAX_DEPTH;
    // a chain of n terms is n levels deep
    let v = evaluate(vec!["MET_pt"; n].join(" + "));
    assert!(v.contains(&format!("{:?}", n as f32)), "{v}");
    let v = evaluate(vec!["MET_pt"; n - 1].join(" ** 0 * "));
    assert!(v.contains("1.0, 2.0, 3.0"), "{v}");
    let v = evaluate(format!(
        "{}MET_pt > 1{}",
        "(".repeat(n - 3),
        ")".repeat(n - 3)
    ));
    assert!(v.contains("false, true, true"), "{v}");
    let v = evaluate(format!("{}MET_pt", "-".repeat(n - 1)));
    assert!(v.contains("-1.0, -2.0, -3.0"), "{v}");
    let v = evaluate(format!("{}MET_pt > 1", "not ".repeat(n - 3)));
    assert!(v.contains("true, false, false"), "{v}");
    let v = evaluate(format!(
        "{}MET_pt{}",
        "abs(".repeat(n - 1),
        ")".repeat(n - 1)
    ));
    assert!(v.contains("1.0, 2.0, 3.0"), "{v}");
    // one more level is an error
    too_deep(vec!["MET_pt"; n + 1].join(" + "));
}
