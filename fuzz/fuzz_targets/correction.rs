//! correctionlib JSON from arbitrary bytes: loading (JSON, schema checks,
//! formulas) and evaluation of every correction at a few points. Must never
//! panic, overflow the stack or allocate without bound.
//!
//! The first byte chooses what the rest is: 0x01 a formula expression, 0x02
//! a content node (each put into a correction with inputs x (real),
//! n (int), s (string)); anything else a whole document (e.g. `{` …).
#![no_main]
use cortado_correction::{AnyCorrection, Column, CorrectionSet, Value, VarType};
use libfuzzer_sys::fuzz_target;

const HEAD: &str = r#"{"schema_version": 2, "corrections": [{"name": "c", "version": 1,
  "inputs": [{"name": "x", "type": "real"}, {"name": "y", "type": "real"},
             {"name": "n", "type": "int"}, {"name": "s", "type": "string"}],
  "output": {"name": "w", "type": "real"},
  "generic_formulas": [{"nodetype": "formula", "expression": "[0]+[1]*x", "parser": "TFormula",
                        "variables": ["x"]}],
  "data": "#;

fn document(data: &[u8]) -> Vec<u8> {
    match data.first() {
        Some(1) => {
            let expr = String::from_utf8_lossy(&data[1..]);
            let node = format!(
                r#"{{"nodetype": "formula", "expression": {}, "parser": "TFormula", "variables": ["x", "y"], "parameters": [1.5, -2.0, 0.5]}}"#,
                json_string(&expr)
            );
            [HEAD.as_bytes(), node.as_bytes(), b"}]}"].concat()
        }
        Some(2) => [HEAD.as_bytes(), &data[1..], b"}]}"].concat(),
        _ => data.to_vec(),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const REALS: [f64; 8] = [0.0, -1.5, 0.3, 2.5, 45.0, 1e9, f64::NAN, f64::NEG_INFINITY];
const INTS: [i64; 4] = [0, 5, -1, i64::MAX];
const STRS: [&str; 3] = ["nominal", "", "central"];

fn exercise(c: AnyCorrection) {
    let kinds: Vec<VarType> = c.inputs().iter().map(|v| v.kind).collect();
    for k in 0..8 {
        let row: Vec<Value> = kinds
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                VarType::Real => Value::Real(REALS[(k + i) % REALS.len()]),
                VarType::Int => Value::Int(INTS[(k + i) % INTS.len()]),
                VarType::String => Value::Str(STRS[(k + i) % STRS.len()]),
            })
            .collect();
        let _ = c.evaluate(&row);
    }
    let cols: Vec<Column> = kinds
        .iter()
        .map(|t| match t {
            VarType::Real => Column::F64(&REALS),
            VarType::Int => Column::Scalar(Value::Int(5)),
            VarType::String => Column::Scalar(Value::Str("nominal")),
        })
        .collect();
    let _ = c.evaluate_columns(&cols);
}

fuzz_target!(|data: &[u8]| {
    let doc = document(data);
    if let Ok(set) = CorrectionSet::from_slice(&doc, "fuzz.json") {
        for c in set.corrections() {
            exercise(AnyCorrection::Single(c));
            let _ = c.input_summary();
        }
        for c in set.compound_corrections() {
            exercise(AnyCorrection::Compound(c));
        }
        let _ = cortado_correction::summary_text(&set);
    }
});
