//! Files that are not valid correctionlib documents: each is refused when
//! loaded, with a message naming the file, the place and the fault; deep,
//! cyclic-looking or huge inputs give errors, never a crash.

use cortado_correction::CorrectionSet;

/// A document with one correction `c` of inputs `pt` (real), `syst`
/// (string), `flav` (int) and the given data node.
fn doc(data: &str) -> String {
    format!(
        r#"{{"schema_version": 2, "corrections": [{{"name": "c", "version": 1,
          "inputs": [{{"name": "pt", "type": "real"}}, {{"name": "syst", "type": "string"}},
                     {{"name": "flav", "type": "int"}}],
          "output": {{"name": "w", "type": "real"}},
          "data": {data}}}]}}"#
    )
}

fn error(text: &str) -> String {
    match CorrectionSet::from_slice(text.as_bytes(), "bad.json") {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(data: &str, expected: &str) {
    let e = error(&doc(data));
    assert!(e.contains(expected), "expected {expected:?} in:\n{e}");
    assert!(e.starts_with("bad.json: corrections[0] 'c'"), "{e}");
}

#[test]
fn json_syntax_errors_have_line_and_column() {
    let e = error("{\"schema_version\": 2,\n \"corrections\": [}");
    assert_eq!(
        e,
        "bad.json:2:18: invalid JSON: expected a value (a number, string, array, object, true, false or null)"
    );
    let e = error("{\"a\": 1 \"b\": 2}");
    assert_eq!(
        e,
        "bad.json:1:9: invalid JSON: expected ',' or '}' in an object"
    );
    let e = error("");
    assert!(e.starts_with("bad.json:1:1: invalid JSON"), "{e}");
}

#[test]
fn document_level_errors() {
    let e = error(r#"{"schema_version": 1, "corrections": []}"#);
    assert!(e.contains("schema_version 1 is not supported"), "{e}");
    let e = error(r#"{"corrections": []}"#);
    assert_eq!(e, "bad.json: top level: missing the field 'schema_version'");
    let two = doc("1.0").replace("}]}", "}, {\"name\": \"c\", \"version\": 1, \"inputs\": [], \"output\": {\"name\": \"w\", \"type\": \"real\"}, \"data\": 1.0}]}");
    let e = error(&two);
    assert!(
        e.contains("corrections[0] and corrections[1] are both named 'c'"),
        "{e}"
    );
    let e = error(&doc("1.0").replace(
        "\"name\": \"w\", \"type\": \"real\"",
        "\"name\": \"w\", \"type\": \"int\"",
    ));
    assert!(
        e.contains("the output 'w' is int: correctionlib outputs are real"),
        "{e}"
    );
    let e = error(&doc("1.0").replace("\"version\": 1,", ""));
    assert!(
        e.contains("corrections[0] 'c': missing the field 'version'"),
        "{e}"
    );
}

#[test]
fn node_errors_name_the_place() {
    assert_error(
        r#"{"nodetype": "binnig", "input": "pt"}"#,
        "'c': data: unknown nodetype \"binnig\" (did you mean 'binning'?)",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "pT", "edges": [0.0, 1.0], "content": [1.0], "flow": "clamp"}"#,
        "'pT' is not an input of the correction (inputs: pt, syst, flav) (did you mean 'pt'?)",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "syst", "edges": [0.0, 1.0], "content": [1.0], "flow": "clamp"}"#,
        "a binning cannot use the string input 'syst'",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "pt", "edges": [0.0, 2.0, 1.0], "content": [1.0, 2.0], "flow": "clamp"}"#,
        "data.edges: edges must increase: edge 1 = 2 is followed by 1",
    );
    // correctionlib: "Invalid edge type"
    assert_error(
        r#"{"nodetype": "binning", "input": "pt", "edges": [0.0, 40, "inf"], "content": [1.0, 2.0], "flow": "clamp"}"#,
        "edge 1 is written as an integer (40); correctionlib accepts only real numbers here: write 40.0",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "pt", "edges": [0.0, 1.0], "content": [1.0, 2.0], "flow": "clamp"}"#,
        "1 bins but 2 content items",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "pt", "edges": [0.0, 1.0], "content": [1.0], "flow": "clmap"}"#,
        "'flow' \"clmap\" is not \"clamp\", \"error\", \"wrap\", a number or a node (did you mean 'clamp'?)",
    );
    assert_error(
        r#"{"nodetype": "binning", "input": "pt", "edges": {"n": 0, "low": 0.0, "high": 1.0}, "content": [], "flow": "clamp"}"#,
        "uniform binning: n = 0 bins",
    );
    assert_error(
        r#"{"nodetype": "category", "input": "syst", "content": [{"key": "a", "value": 1.0}, {"key": 3, "value": {"nodetype": "x"}}]}"#,
        "data.content[1].value: unknown nodetype \"x\"",
    );
    assert_error(
        r#"{"nodetype": "category", "input": "flav", "content": [{"key": "a", "value": 1.0}]}"#,
        "data.content[0]: key \"a\" does not fit the int input 'flav'",
    );
    assert_error(
        r#"{"nodetype": "category", "input": "pt", "content": []}"#,
        "a category cannot use the real input 'pt'",
    );
    assert_error(
        r#"{"nodetype": "hashprng", "inputs": ["pt"], "distribution": "gauss"}"#,
        "unknown distribution \"gauss\"",
    );
    assert_error(r#""text""#, "expected a number or a content node");
}

#[test]
fn formula_errors() {
    let f = |expr: &str, vars: &str, params: &str| {
        format!(
            r#"{{"nodetype": "formula", "expression": "{expr}", "parser": "TFormula", "variables": {vars}, "parameters": {params}}}"#
        )
    };
    assert_error(
        &f("x + foo(1)", r#"["pt"]"#, "null"),
        "formula \"x + foo(1)\": at character 5: unknown function 'foo'",
    );
    assert_error(
        &f("[0]*x+[2]", r#"["pt"]"#, "[1.0, 2.0]"),
        "the formula uses 3 parameters but 'parameters' holds 2",
    );
    assert_error(
        &f("x*y", r#"["pt"]"#, "null"),
        "uses 2 variables but 'variables' lists 1",
    );
    assert_error(
        &f("x", r#"["flav"]"#, "null"),
        "formula variable 'flav' is int: formulas take real inputs only",
    );
    assert_error(
        r#"{"nodetype": "formula", "expression": "x", "parser": "numexpr", "variables": ["pt"]}"#,
        "formula parser \"numexpr\" is not supported",
    );
    assert_error(
        r#"{"nodetype": "formularef", "index": 0, "parameters": []}"#,
        "formularef index 0: the correction has 0 generic formulas",
    );
    let deep = "(".repeat(1000) + "x" + &")".repeat(1000);
    assert_error(
        &f(&deep, r#"["pt"]"#, "null"),
        "the formula nests more than 100 deep",
    );
}

#[test]
fn unsupported_nodes_are_refused_clearly() {
    assert_error(
        r#"{"nodetype": "lwtnn"}"#,
        "\"lwtnn\" (a neural network) is not supported",
    );
    assert_error(
        r#"{"nodetype": "switch"}"#,
        "\"switch\" is not part of correctionlib's schema v2",
    );
}

#[test]
fn compound_errors() {
    let base = doc("1.0");
    let with = |compound: &str| {
        base.replacen(
            "]}",
            &format!("], \"compound_corrections\": [{compound}]}}"),
            1,
        )
    };
    let comp = |stack: &str, inputs: &str| {
        format!(
            r#"{{"name": "cc", "inputs": [{inputs}], "output": {{"name": "w", "type": "real"}},
               "inputs_update": ["pt"], "input_op": "*", "output_op": "*", "stack": [{stack}]}}"#
        )
    };
    let all = r#"{"name": "pt", "type": "real"}, {"name": "syst", "type": "string"}, {"name": "flav", "type": "int"}"#;
    let e = error(&with(&comp(r#""d""#, all)));
    assert!(
        e.contains(
            "compound_corrections[0] 'cc': stack component 'd' is not a correction of the file"
        ),
        "{e}"
    );
    let e = error(&with(&comp(r#""c""#, r#"{"name": "pt", "type": "real"}"#)));
    assert!(
        e.contains("component 'c' input 'syst' is not an input of the compound correction"),
        "{e}"
    );
    let e = error(&with(
        &comp(r#""c""#, all).replace("\"input_op\": \"*\"", "\"input_op\": \"last\""),
    ));
    assert!(e.contains("'input_op' \"last\" is not one of"), "{e}");
}

#[test]
fn deep_and_huge_inputs_are_errors_not_crashes() {
    // JSON nesting beyond the limit
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let e = error(&deep);
    assert!(e.contains("nest more than 200 deep"), "{e}");
    // categories inside categories, as deep as JSON allows
    let mut node = "1.0".to_string();
    for _ in 0..80 {
        node = format!(
            r#"{{"nodetype": "category", "input": "syst", "content": [{{"key": "a", "value": {node}}}]}}"#
        );
    }
    let e = error(&doc(&node));
    assert!(e.contains("nest more than 200 deep"), "{e}");
    // a multibinning claiming 2^32 × 2^32 bins
    let e = error(&doc(
        r#"{"nodetype": "multibinning", "inputs": ["pt", "flav"],
            "edges": [{"n": 4294967295, "low": 0.0, "high": 1.0}, {"n": 4294967295, "low": 0.0, "high": 1.0}],
            "content": [], "flow": "clamp"}"#,
    ));
    assert!(e.contains("the multibinning has too many bins"), "{e}");
    // a truncated gzip file
    let e = match CorrectionSet::from_slice(&[0x1f, 0x8b, 8, 0, 0, 0], "bad.json.gz") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    assert!(e.starts_with("bad.json.gz: cannot read: gzip data"), "{e}");
}
