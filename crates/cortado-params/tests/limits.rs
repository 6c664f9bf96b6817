//! Long interpolation chains resolve in linear time without deep recursion;
//! cycles, however long, are still errors; expansion bombs are refused; large
//! parameter files merge in linear time.

use cortado_params::{Parameters, Resolvers};
use cortado_yaml::{load_str, ConfigError, Node, Value};

/// Runs `f` in a thread with a 2 MiB stack: an overflow aborts the test binary.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn resolve(text: String) -> Result<Node, ConfigError> {
    small_stack(move || {
        let p = Parameters::from_node(load_str(&text, "p.yaml")?);
        Ok(p.resolve(&Resolvers::new())?.root().clone())
    })
}

/// `k0: start`, `k1: ${k0}`, ... `k{n-1}: ${k{n-2}}`, in `order`.
fn chain(n: usize, reversed: bool, last: &str) -> String {
    let mut lines: Vec<String> = (1..n).map(|i| format!("k{i}: ${{k{}}}\n", i - 1)).collect();
    lines.insert(0, format!("k0: {last}\n"));
    if reversed {
        lines.reverse();
    }
    lines.concat()
}

#[test]
fn a_20000_link_chain_resolves_once_per_link() {
    // before memoisation each link re-resolved the whole chain below it
    for reversed in [false, true] {
        let n = resolve(chain(20_000, reversed, "7")).unwrap();
        assert_eq!(n.get("k19999").unwrap().value, Value::Int(7));
        assert_eq!(n.get("k10000").unwrap().value, Value::Int(7));
        assert_eq!(n.get("k0").unwrap().value, Value::Int(7));
    }
    // chains through strings and resolvers too
    let mut text = String::from("s0: a\n");
    for i in (1..5_000).rev() {
        text.push_str(&format!("s{i}: x${{s{}}}\n", i - 1));
        text.push_str(&format!("f{i}: ${{pico_to_femto:${{f{}}}}}\n", i - 1));
    }
    text.push_str("f0: 1e300\n");
    let n = resolve(text).unwrap();
    assert_eq!(
        n.get("s4999").unwrap().as_str().unwrap(),
        format!("{}a", "x".repeat(4999))
    );
    let f3 = n.get("f3").unwrap().as_f64().unwrap();
    assert!((f3 / 1e291 - 1.0).abs() < 1e-12, "{f3}");
}

#[test]
fn a_shared_subtree_is_copied_where_referenced() {
    // every b_i points to the same large mapping (which itself interpolates)
    let mut text = String::from("big:\n");
    for i in 0..2_000 {
        text.push_str(&format!("  v{i}: ${{base}}\n"));
    }
    text.push_str("base: 1\n");
    for i in 0..200 {
        text.push_str(&format!("b{i}: ${{big}}\n"));
    }
    let n = resolve(text).unwrap();
    assert_eq!(n.path("b199.v1999").unwrap().value, Value::Int(1));
}

#[test]
fn cycles_are_errors_however_long() {
    for len in [1, 2, 100, 5_000] {
        let mut text = chain(len, true, "x");
        // close the chain: k0 points to the last link
        text = text.replace("k0: x", &format!("k0: ${{k{}}}", len - 1));
        let e = resolve(text).unwrap_err().to_string();
        assert!(e.contains("refers to itself (cycle)"), "{len}: {e}");
        assert!(e.starts_with("p.yaml:"), "{len}: {e}");
    }
}

#[test]
fn expansion_bombs_are_refused() {
    // each level doubles: 2^40 values
    let mut text = String::from("l0: [1, 2]\n");
    for i in 1..40 {
        text.push_str(&format!("l{i}: ['${{l{}}}', '${{l{}}}']\n", i - 1, i - 1));
    }
    let e = resolve(text).unwrap_err().to_string();
    assert!(e.contains("expand to more than"), "{e}");
    assert!(e.starts_with("p.yaml:"), "{e}");
    // each level nests the previous one
    let mut text = String::from("d0: 1\n");
    for i in 1..1_000 {
        text.push_str(&format!("d{i}: ['${{d{}}}']\n", i - 1));
    }
    let e = resolve(text).unwrap_err().to_string();
    assert!(e.contains("deeper than"), "{e}");
}

#[test]
fn large_parameter_files_merge_in_linear_time() {
    // keys were matched by scanning the mapping: 10^5 keys took minutes
    let keys: String = (0..100_000).map(|i| format!("  k{i}: {i}\n")).collect();
    let mut p = Parameters::defaults(&Resolvers::new()).unwrap();
    p.merge_str(&format!("big:\n{keys}"), "a.yaml").unwrap();
    let over: String = (0..100_000).map(|i| format!("  k{i}: -{i}\n")).collect();
    p.merge_str(&format!("big:\n{over}"), "b.yaml").unwrap();
    let p = p.resolve(&Resolvers::new()).unwrap();
    assert_eq!(p.require("big.k99999").unwrap().value, Value::Int(-99_999));
    assert_eq!(p.require("big").unwrap().as_map().unwrap().len(), 100_000);
}
