//! A small JSON reader into a document tree.
//!
//! Our own rather than serde_json for one reason: numbers. correctionlib reads
//! its files with rapidjson in *normal precision* mode, which is not always
//! correctly rounded for decimals of 16 or more significant digits (it
//! accumulates digits in a double and divides by a power of ten). To be
//! bit-identical to correctionlib, bin edges and constants must be the same
//! doubles, so [`Parser::number`] repeats rapidjson's algorithm step by step.
//! It also accepts `NaN`, `Infinity` and `-Infinity` as correctionlib does.
//! Nesting is limited to [`MAX_DEPTH`] so that no input can exhaust the stack.

use std::borrow::Cow;

mod number;

/// Deepest nesting of arrays and objects accepted.
pub(crate) const MAX_DEPTH: usize = 200;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Num(Number),
    /// Borrowed from the text unless it has escapes.
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Object<'a>),
}

/// A number: its double value as rapidjson gives it, and its integer value
/// when it was written as an integer that fits an `i64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number {
    pub f: f64,
    pub int: Option<i64>,
}

/// An object: members in file order (the first of duplicated keys wins, as
/// in rapidjson's `FindMember`) and its byte offset in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object<'a> {
    pub members: Vec<(Cow<'a, str>, Json<'a>)>,
    pub offset: usize,
}

impl<'a> Object<'a> {
    /// The member called `key`.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Json<'_> {
    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// A syntax error: byte offset and message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// 1-based line and column (in bytes) of `offset` in `text`.
pub(crate) fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// Parses a whole JSON text (one value, surrounded by whitespace only).
pub(crate) fn parse(text: &[u8]) -> Result<Json<'_>, SyntaxError> {
    let mut p = Parser {
        b: text,
        i: 0,
        depth: 0,
    };
    // A UTF-8 byte order mark is skipped.
    if p.b.starts_with(&[0xef, 0xbb, 0xbf]) {
        p.i = 3;
    }
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset: self.i,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn digit(&self) -> Option<u8> {
        match self.peek() {
            Some(c @ b'0'..=b'9') => Some(c - b'0'),
            _ => None,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> Result<Json<'a>, SyntaxError> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid value"))
        }
    }

    fn value(&mut self) -> Result<Json<'a>, SyntaxError> {
        match self.peek() {
            None => Err(self.err("unexpected end of the text")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(_) => Ok(Json::Num(self.number()?)),
        }
    }

    fn nested(
        &mut self,
        f: fn(&mut Self) -> Result<Json<'a>, SyntaxError>,
    ) -> Result<Json<'a>, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(format!(
                "arrays and objects nest more than {MAX_DEPTH} deep"
            )));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn object(&mut self) -> Result<Json<'a>, SyntaxError> {
        let offset = self.i;
        self.i += 1; // '{'
        let mut members = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(Json::Obj(Object { members, offset }));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string (an object's key)"));
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("expected ':' after an object's key"));
            }
            self.ws();
            let v = self.value()?;
            members.push((key, v));
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(Json::Obj(Object { members, offset }));
            }
            return Err(self.err("expected ',' or '}' in an object"));
        }
    }

    fn array(&mut self) -> Result<Json<'a>, SyntaxError> {
        self.i += 1; // '['
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Json::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(Json::Arr(items));
            }
            return Err(self.err("expected ',' or ']' in an array"));
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.i += 1; // '"'
        let start = self.i;
        let b: &'a [u8] = self.b;
        while let Some(&c) = b.get(self.i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            self.i += 1;
        }
        if self.peek() == Some(b'"') {
            // No escape: borrow the text.
            let s = std::str::from_utf8(&b[start..self.i]).map_err(|e| SyntaxError {
                offset: start + e.valid_up_to(),
                message: "invalid UTF-8 in a string".into(),
            })?;
            self.i += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut out: Vec<u8> = b[start..self.i].to_vec();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out)
                        .map(Cow::Owned)
                        .map_err(|e| SyntaxError {
                            offset: start + e.utf8_error().valid_up_to(),
                            message: "invalid UTF-8 in a string".into(),
                        });
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return Err(self.err("control character in a string")),
            }
            let from = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&b[from..self.i]);
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        self.i += 1; // '\'
        let c = self.peek().ok_or_else(|| self.err("unterminated string"))?;
        self.i += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.unicode_escape()?;
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => {
                self.i -= 1;
                return Err(self.err("invalid escape in a string"));
            }
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("incomplete \\u escape"))?;
        let mut v = 0;
        for &d in digits {
            let h = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v * 16 + h;
        }
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&hi) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.err("unpaired surrogate in a \\u escape"));
            }
            let lo = self.hex4()?;
            if !(0xdc00..0xe000).contains(&lo) {
                return Err(self.err("invalid low surrogate in a \\u escape"));
            }
            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse(b"{\"a\": [1, 2,]}").unwrap_err();
        assert_eq!(e.offset, 12);
        assert_eq!(line_column(b"{\n  x", 4), (2, 3));
        assert!(parse(b"01").is_err());
        assert!(parse(b"1.").is_err());
        assert!(parse(b"\"a\x01\"").is_err());
        assert!(parse(b"[1] 2").is_err());
    }

    #[test]
    fn strings_and_escapes() {
        let v = parse(br#"{"k": "a\"b\\c\u00e9\ud83d\ude00", "k": 2}"#).unwrap();
        let Json::Obj(o) = v else { panic!() };
        assert_eq!(o.get("k"), Some(&Json::Str("a\"b\\cé😀".into())));
        assert!(parse(br#""\ud83d""#).is_err());
        assert!(parse(br#""\x""#).is_err());
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("nest"), "{}", e.message);
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
