//! From a place in a scalar's value back to the file: the value of a folded
//! (`>-`), literal (`|`), quoted or multi-line plain scalar is not the text of
//! the file (indentation and line breaks are folded away), so an offset into
//! the value is found in the file by walking both side by side.

use crate::node::Pos;

/// A place in a file, with the text of its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpot {
    /// File, line and column (1-based, in characters).
    pub pos: Pos,
    /// The whole line, without its line break.
    pub line_text: String,
}

/// Where the character at byte `offset` of `value` (the value of a scalar
/// written at `start`) is in the file `start` names, which is read again.
/// `None` when the file cannot be read or the value is not the scalar's.
pub fn locate_in_scalar(start: &Pos, value: &str, offset: usize) -> Option<SourceSpot> {
    let text = std::fs::read_to_string(&*start.file).ok()?;
    locate_in_text(&text, start, value, offset)
}

/// As [`locate_in_scalar`], with the file's text given.
pub fn locate_in_text(source: &str, start: &Pos, value: &str, offset: usize) -> Option<SourceSpot> {
    let src: Vec<char> = source.chars().collect();
    let mut j = index_of(source, start.line, start.col)?;
    let quote = match src.get(j) {
        Some(&q) if q == '\'' || q == '"' => {
            j += 1;
            Some(q)
        }
        _ => None,
    };
    // the source index of every character of the value, and one past the end
    let mut at = Vec::with_capacity(value.len() + 1);
    let mut found = None;
    for (byte, c) in value.char_indices() {
        if byte == offset {
            found = Some(at.len());
        }
        loop {
            let s = *src.get(j)?;
            if s == c || (c.is_whitespace() && s.is_whitespace()) {
                at.push(j);
                j += 1;
                break;
            }
            let escape = match quote {
                Some('"') => s == '\\',
                Some(_) => s == '\'',
                None => false,
            };
            if !(s.is_whitespace() || escape) {
                return None;
            }
            j += 1;
        }
    }
    if offset >= value.len() {
        found = Some(at.len());
    }
    at.push(j);
    let j = at[found?];
    Some(spot(&src, j, &start.file))
}

/// The index (in characters) of 1-based `line`, `col`.
fn index_of(source: &str, line: u32, col: u32) -> Option<usize> {
    let mut chars = 0;
    for (n, l) in source.split_inclusive('\n').enumerate() {
        if n + 1 == line as usize {
            let c = (col as usize).checked_sub(1)?;
            return (c <= l.chars().count()).then_some(chars + c);
        }
        chars += l.chars().count();
    }
    None
}

fn spot(src: &[char], j: usize, file: &std::sync::Arc<str>) -> SourceSpot {
    let j = j.min(src.len());
    let line_start = src[..j]
        .iter()
        .rposition(|&c| c == '\n')
        .map_or(0, |i| i + 1);
    let line_end = src[j..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(src.len(), |i| j + i);
    let line = src[..line_start].iter().filter(|&&c| c == '\n').count() + 1;
    let line_text: String = src[line_start..line_end].iter().collect();
    SourceSpot {
        pos: Pos {
            file: file.clone(),
            line: line as u32,
            col: (j - line_start + 1) as u32,
        },
        line_text: line_text.trim_end_matches('\r').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_str;

    /// (line, col) of the first occurrence of `token` in key `x`'s value.
    fn find(doc: &str, token: &str) -> Option<(u32, u32, String)> {
        let n = load_str(doc, "t.yaml").unwrap();
        let x = n.get("x").unwrap();
        let v = x.as_str().unwrap();
        let off = v.find(token).unwrap();
        let s = locate_in_text(doc, x.pos.as_ref().unwrap(), v, off)?;
        Some((s.pos.line, s.pos.col, s.line_text))
    }

    #[test]
    fn folded_literal_quoted_and_plain_scalars() {
        let t = |l, c, s: &str| Some((l, c, s.to_string()));
        assert_eq!(
            find("x: >-\n  a and\n  bad > 1\n", "bad"),
            t(3, 3, "  bad > 1")
        );
        assert_eq!(
            find("x: |\n    a and\n      bad > 1\n", "bad"),
            t(3, 7, "      bad > 1")
        );
        assert_eq!(
            find("x:   # c\n  >- # bad\n    a\n\n    bad\n", "bad"),
            t(5, 5, "    bad")
        );
        assert_eq!(find("x: a\n  or bad\n", "bad"), t(2, 6, "  or bad"));
        assert_eq!(find("x: 'it''s\n   bad'\n", "bad"), t(2, 4, "   bad'"));
        assert_eq!(
            find("x: \"a \\\" \\\n   bad\"\n", "bad"),
            t(2, 4, "   bad\"")
        );
        assert_eq!(find("x: a > bad\n", "bad"), t(1, 8, "x: a > bad"));
        assert_eq!(find("x: \"a > bad\"\n", "bad"), t(1, 9, "x: \"a > bad\""));
        assert_eq!(find("x: é > bad\n", "bad"), t(1, 8, "x: é > bad"));
    }

    #[test]
    fn a_value_not_from_the_file_is_not_located() {
        let pos = Pos {
            file: "t.yaml".into(),
            line: 1,
            col: 4,
        };
        assert_eq!(
            locate_in_text("x: passthrough\n", &pos, "passthrough()", 0),
            None
        );
        assert_eq!(locate_in_text("x: a\n", &pos, "a", 0).unwrap().pos.col, 4);
        let far = Pos { line: 9, ..pos };
        assert_eq!(locate_in_text("x: a\n", &far, "a", 0), None);
    }
}
