//! The lexer of the expression language: numbers, strings, names, `${...}`
//! parameters and operators, each with its byte span.

use crate::ast::Span;
use crate::parser::ParseError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    Param(String),
    Op(&'static str),
    Eof,
}

pub(crate) struct Lexer<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    /// The last token ended a value (a name, a number, `)`, `]`): a `.`
    /// after it is an attribute access even before digits (`pair.0`).
    after_value: bool,
    /// The last token was such a `.`: digits are a member number (`0` in
    /// `pair.0.pt`), never the start of a float.
    after_dot: bool,
}

const OPS: &[&str] = &[
    "**", "//", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "(", ")",
    "[", "]", ",", ".", ":", "=", "&", "|", "~", "!",
];

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            after_value: false,
            after_dot: false,
        }
    }

    /// The next token and its span.
    pub(crate) fn next(&mut self) -> Result<(Tok, Span), ParseError> {
        let member = self.after_dot;
        let t = self.token(member)?;
        self.after_dot = self.after_value && t.0 == Tok::Op(".");
        self.after_value = matches!(
            t.0,
            Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) | Tok::Op(")") | Tok::Op("]")
        );
        Ok(t)
    }

    fn token(&mut self, member: bool) -> Result<(Tok, Span), ParseError> {
        let b = self.src.as_bytes();
        while self.pos < b.len() && (b[self.pos] as char).is_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        if self.pos >= b.len() {
            return Ok((Tok::Eof, Span { start, end: start }));
        }
        let c = b[self.pos] as char;
        let span = |end| Span { start, end };
        if member && c.is_ascii_digit() {
            let mut end = self.pos;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            let text = &self.src[start..end];
            self.pos = end;
            let i = text
                .parse()
                .map_err(|_| err(format!("member number '{text}' is too large"), span(end)))?;
            return Ok((Tok::Int(i), span(end)));
        }
        if c == '.' && self.after_value {
            self.pos += 1;
            return Ok((Tok::Op("."), span(self.pos)));
        }
        if c.is_ascii_digit()
            || (c == '.' && b.get(self.pos + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut end = self.pos;
            let mut is_float = false;
            while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'_') {
                end += 1;
            }
            if end < b.len()
                && b[end] == b'.'
                && !(b
                    .get(end + 1)
                    .is_some_and(|x| x.is_ascii_alphabetic() || *x == b'_'))
            {
                is_float = true;
                end += 1;
                while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'_') {
                    end += 1;
                }
            }
            if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
                let mut e = end + 1;
                if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
                    e += 1;
                }
                if e < b.len() && b[e].is_ascii_digit() {
                    while e < b.len() && b[e].is_ascii_digit() {
                        e += 1;
                    }
                    end = e;
                    is_float = true;
                }
            }
            let text = self.src[start..end].replace('_', "");
            self.pos = end;
            let tok = if is_float {
                let x: f64 = text
                    .parse()
                    .map_err(|_| err(format!("bad number '{text}'"), span(end)))?;
                if !x.is_finite() {
                    return Err(err(
                        format!("number '{text}' is too large for a float64"),
                        span(end),
                    ));
                }
                Tok::Float(x)
            } else {
                Tok::Int(
                    text.parse()
                        .map_err(|_| err(format!("integer '{text}' is too large"), span(end)))?,
                )
            };
            return Ok((tok, span(end)));
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = self.pos;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            self.pos = end;
            return Ok((Tok::Ident(self.src[start..end].to_string()), span(end)));
        }
        if c == '$' && b.get(self.pos + 1) == Some(&b'{') {
            let Some(close) = self.src[self.pos..].find('}') else {
                return Err(err("unterminated '${'", span(b.len())));
            };
            let end = self.pos + close + 1;
            let path = self.src[self.pos + 2..end - 1].trim().to_string();
            self.pos = end;
            return Ok((Tok::Param(path), span(end)));
        }
        if c == '"' || c == '\'' {
            let mut end = self.pos + 1;
            while end < b.len() && b[end] as char != c {
                end += 1;
            }
            if end >= b.len() {
                return Err(err("unterminated string", span(end)));
            }
            self.pos = end + 1;
            return Ok((
                Tok::Str(self.src[start + 1..end].to_string()),
                span(end + 1),
            ));
        }
        for op in OPS {
            if self.src[self.pos..].starts_with(op) {
                self.pos += op.len();
                return Ok((Tok::Op(op), span(self.pos)));
            }
        }
        // the whole character (`c` is its first byte only)
        let c = self.src[self.pos..].chars().next().unwrap_or(c);
        Err(err(
            format!("unexpected character '{c}'"),
            span(self.pos + c.len_utf8()),
        ))
    }
}

pub(crate) fn err(message: impl Into<String>, span: Span) -> ParseError {
    ParseError {
        message: message.into(),
        span,
    }
}

pub(crate) fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(i) => format!("number {i}"),
        Tok::Float(f) => format!("number {f}"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Ident(s) => format!("name '{s}'"),
        Tok::Param(p) => format!("parameter ${{{p}}}"),
        Tok::Op(o) => format!("'{o}'"),
        Tok::Eof => "end of expression".to_string(),
    }
}
