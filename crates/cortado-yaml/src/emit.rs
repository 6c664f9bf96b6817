//! Writing a [`Node`] tree back as YAML (block style), for parameter dumps.

use crate::node::{python_float_repr, Node, Value};

/// The tree as YAML text.
pub fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(m) if !m.is_empty() => emit_map(m, 0, &mut out),
        Value::Seq(s) if !s.is_empty() => emit_seq(s, 0, &mut out),
        _ => {
            out.push_str(&scalar(node));
            out.push('\n');
        }
    }
    out
}

fn indent(n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn emit_map(m: &[(crate::node::Key, Node)], level: usize, out: &mut String) {
    for (k, v) in m {
        indent(level, out);
        out.push_str(&quote_if_needed(&k.name, true));
        out.push(':');
        emit_child(v, level, out);
    }
}

fn emit_seq(s: &[Node], level: usize, out: &mut String) {
    for v in s {
        indent(level, out);
        out.push('-');
        match &v.value {
            Value::Map(m) if !m.is_empty() => {
                // first entry on the dash line
                let mut sub = String::new();
                emit_map(m, level + 2, &mut sub);
                out.push(' ');
                out.push_str(sub.trim_start());
            }
            Value::Seq(items) if !items.is_empty() => {
                out.push('\n');
                emit_seq(items, level + 2, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&scalar(v));
                out.push('\n');
            }
        }
    }
}

fn emit_child(v: &Node, level: usize, out: &mut String) {
    match &v.value {
        Value::Map(m) if !m.is_empty() => {
            out.push('\n');
            emit_map(m, level + 2, out);
        }
        Value::Seq(s) if !s.is_empty() => {
            out.push('\n');
            emit_seq(s, level, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            if f.is_nan() {
                ".nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 { ".inf" } else { "-.inf" }.into()
            } else {
                python_float_repr(*f)
            }
        }
        Value::Str(s) => quote_if_needed(s, false),
        Value::Seq(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
        Value::Missing => "???".into(),
    }
}

/// Whether `k: s` reads back as the string `s`. Words of letters, digits and
/// `_ . / - +` need only their type checked (not a number, boolean, null);
/// anything else is parsed.
fn reads_back_as_string(s: &str) -> bool {
    let simple = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '+'));
    if simple {
        return matches!(crate::load::plain_scalar(s), Value::Str(ref t) if t == s);
    }
    matches!(
        crate::load::load_str(&format!("k: {s}"), "")
            .ok()
            .and_then(|n| n.get("k").cloned())
            .map(|n| n.value),
        Some(Value::Str(ref t)) if t == s
    )
}

/// Quotes a string when writing it plain would change its meaning.
fn quote_if_needed(s: &str, is_key: bool) -> String {
    let plain_ok = !s.is_empty()
        && reads_back_as_string(s)
        && !s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n')
        && !(is_key && s.contains(':'));
    if plain_ok {
        s.to_string()
    } else {
        let esc = s
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!("\"{esc}\"")
    }
}

#[cfg(test)]
mod tests {
    use crate::load::load_str;

    #[test]
    fn round_trip() {
        let text = "a:\n  b: 1\n  c: [x, 'y z', '2018', '???']\nlist:\n- {p: 1, q: 2.5}\n- plain\nm: ???\nfl: 59832.47534\ns: 'yes'\nk: 'a: b'\n";
        let n = load_str(text, "t").unwrap();
        let out = super::to_yaml(&n);
        let back = load_str(&out, "t2").unwrap();
        fn strip(n: &crate::Node) -> String {
            format!("{:?}", crate::to_yaml(n))
        }
        assert_eq!(strip(&back), strip(&n), "{out}");
        assert!(out.contains("s: \"yes\""), "{out}");
        assert!(out.contains("'2018'") || out.contains("\"2018\""), "{out}");
        // words that YAML would read as something else are quoted
        for w in [
            "true", "No", "null", "~", "1e5", "0x1F", ".inf", "-.5", "???", "+1",
        ] {
            assert!(!super::reads_back_as_string(w), "{w}");
        }
        for w in ["2018_UL", "a.b/c-d", "Muon", "x+y", "a b"] {
            assert!(super::reads_back_as_string(w), "{w}");
        }
    }
}
