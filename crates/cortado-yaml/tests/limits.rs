//! Hostile documents: alias bombs and deep nesting give an error naming the
//! file and line, quickly and without exhausting memory or the stack.

use cortado_yaml::{load_file, load_str, Value, MAX_ALIAS_VALUES, MAX_DEPTH};

/// Runs `f` in a thread with a 2 MiB stack: an overflow aborts the test binary.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// `a0: &a0 [x, x, ...]`, `a1: &a1 [*a0, *a0, ...]`, ...: 10^levels values.
fn bomb(levels: usize) -> String {
    let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..levels {
        let p = format!("*a{}", i - 1);
        s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    s
}

#[test]
fn a_billion_laughs_is_refused_at_the_alias() {
    let dir = std::env::temp_dir().join(format!("cortado-yaml-bomb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bomb.yaml");
    std::fs::write(&path, bomb(9)).unwrap();
    let t = std::time::Instant::now();
    let e = load_file(&path).unwrap_err();
    eprintln!("refused in {:?}", t.elapsed());
    std::fs::remove_dir_all(&dir).ok();
    let p = e.pos.clone().expect("a position");
    assert!(p.file.ends_with("bomb.yaml"), "{e}");
    // line 6 (a5) copies 10 × 111,111 values: past the limit at one of its aliases
    assert_eq!(p.line, 6, "{e}");
    assert!(p.col > 9, "{e}");
    assert!(
        e.message
            .contains(&format!("copy more than {MAX_ALIAS_VALUES} values")),
        "{e}"
    );
}

#[test]
fn aliases_within_the_limit_are_expanded() {
    let n = load_str(&bomb(4), "ok.yaml").unwrap();
    let a3 = n.get("a3").unwrap().as_seq().unwrap();
    assert_eq!(a3.len(), 10);
    let leaf = n.path("a3.9.9.9.9").unwrap();
    assert_eq!(leaf.value, Value::Str("lol".into()));
}

#[test]
fn deep_nesting_is_refused() {
    for (doc, line) in [
        (
            format!("x: {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            1,
        ),
        (format!("x: {}1", "[".repeat(100_000)), 1),
        (format!("x: {}", "{a: ".repeat(100_000)), 1),
        (
            (0..1000)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
            MAX_DEPTH as u32,
        ),
    ] {
        let e = small_stack(move || load_str(&doc, "deep.yaml").unwrap_err());
        // the YAML parser has its own limit for flow collections
        assert!(
            e.message
                .contains(&format!("deeper than {MAX_DEPTH} levels"))
                || e.message.contains("recursion limit exceeded"),
            "{e}"
        );
        let p = e.pos.unwrap();
        assert_eq!((&*p.file, p.line), ("deep.yaml", line));
    }
    // aliases cannot stack depth: each anchor nests the previous one
    let mut doc = String::from("a0: &a0 [1]\n");
    for i in 1..400 {
        doc.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let e = small_stack(move || load_str(&doc, "deep.yaml").unwrap_err());
    assert!(e.message.contains("deeper than"), "{e}");
    // just under the limit is fine
    let n = MAX_DEPTH - 2;
    let doc = format!("x: {}1{}", "[".repeat(n), "]".repeat(n));
    small_stack(move || load_str(&doc, "ok.yaml").unwrap());
}

#[test]
fn an_empty_file_is_located() {
    for text in ["", "# only a comment\n", "---\n"] {
        let n = load_str(text, "empty.yaml").unwrap();
        let p = n.pos.clone().expect("a position");
        assert_eq!(&*p.file, "empty.yaml");
        let e = n.req("datasets").unwrap_err().to_string();
        assert!(e.starts_with("empty.yaml:"), "{text:?}: {e}");
    }
}

#[test]
fn a_mapping_with_many_keys_loads_in_linear_time() {
    // duplicate keys were looked for by scanning the entries: 2·10^10 comparisons
    let text: String = (0..200_000).map(|i| format!("k{i}: {i}\n")).collect();
    let n = load_str(&text, "t.yaml").unwrap();
    assert_eq!(n.get("k199999").unwrap().value, Value::Int(199_999));
    let dup = format!("{text}k7: again\n");
    let e = load_str(&dup, "t.yaml").unwrap_err().to_string();
    assert!(
        e.starts_with("t.yaml:200001:1: duplicate key 'k7' (first at line 8)"),
        "{e}"
    );
    // merges too
    let base: String = (0..100_000).map(|i| format!("  m{i}: {i}\n")).collect();
    let over: String = (0..100_000).map(|i| format!("  m{i}: -{i}\n")).collect();
    let text = format!("base: &b\n{base}d:\n  <<: *b\n{over}");
    let n = load_str(&text, "m.yaml").unwrap();
    assert_eq!(n.path("d.m99999").unwrap().value, Value::Int(-99_999));
    assert_eq!(n.get("d").unwrap().as_map().unwrap().len(), 100_000);
}

#[test]
fn merged_keys_are_overridden_in_order() {
    let n = load_str(
        "b: &b {x: 1, y: 2, z: 3}\nd:\n  <<: *b\n  x: 4\n  w: 5\n",
        "f.yaml",
    )
    .unwrap();
    let d = n.get("d").unwrap();
    assert_eq!(d.keys(), vec!["y", "z", "x", "w"]);
    assert_eq!(d.get("x").unwrap().value, Value::Int(4));
    let e = load_str("b: &b {x: 1}\nd:\n  <<: *b\n  x: 4\n  x: 5\n", "f.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("f.yaml:5:3: duplicate key 'x' (first at line 4)"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_directory_is_refused_without_blocking() {
    let dir = std::env::temp_dir().join(format!("cortado-yaml-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = load_file(&dir).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    let fifo = dir.join("pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    // opening a FIFO without a writer would block forever
    let e = load_file(&fifo).unwrap_err().to_string();
    assert!(e.contains("pipe.yaml: not a regular file"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
    let e = load_file(std::path::Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/zero: not a regular file"), "{e}");
}
