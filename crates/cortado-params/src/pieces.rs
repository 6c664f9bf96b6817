//! The text of an interpolated string: literal pieces and `${...}`
//! expressions, resolver calls and their arguments, key paths.

/// A piece of an interpolated string.
pub(crate) enum Piece {
    /// Literal text.
    Text(String),
    /// What is inside `${...}`.
    Interp(String),
}

/// Splits a string into literal text and `${...}` expressions (nested braces
/// allowed; `\${` is a literal `${`).
pub(crate) fn split_pieces(s: &str) -> Result<Vec<Piece>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'$') && b.get(i + 2) == Some(&b'{') {
            text.push_str("${");
            i += 3;
            continue;
        }
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            let start = i + 2;
            let mut depth = 1;
            let mut j = start;
            while j < b.len() && depth > 0 {
                if b[j] == b'{' {
                    depth += 1;
                } else if b[j] == b'}' {
                    depth -= 1;
                }
                j += 1;
            }
            if depth != 0 {
                return Err(format!("unterminated interpolation in '{s}'"));
            }
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            out.push(Piece::Interp(s[start..j - 1].to_string()));
            i = j;
            continue;
        }
        let ch = s[i..].chars().next().expect("char");
        text.push(ch);
        i += ch.len_utf8();
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// `name:args` when the expression is a resolver call.
pub(crate) fn split_resolver(expr: &str) -> Option<(&str, &str)> {
    let (name, args) = expr.split_once(':')?;
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    ok.then_some((name, args))
}

/// Splits resolver arguments at top-level commas.
pub(crate) fn split_args(args: &str) -> Vec<&str> {
    if args.trim().is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<u8>, 0);
    for (i, c) in args.bytes().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'{') => depth += 1,
            (None, b'}') => depth -= 1,
            (None, b',') if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&args[start..]);
    out
}

/// `a.b[c].d` → ["a", "b", "c", "d"].
pub(crate) fn parse_key_path(p: &str) -> Vec<String> {
    p.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect()
}
