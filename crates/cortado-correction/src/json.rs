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
use std::sync::OnceLock;

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

    /// A number, converted exactly as rapidjson's `ParseNumber` does without
    /// `kParseFullPrecisionFlag` (correctionlib's setting), with NaN and
    /// infinities allowed (`kParseNanAndInfFlag`).
    fn number(&mut self) -> Result<Number, SyntaxError> {
        let start = self.i;
        let minus = self.eat(b'-');
        if let Some(special) = self.nan_or_inf(minus)? {
            return Ok(Number {
                f: special,
                int: None,
            });
        }
        // Integer part: in a u32, then a u64, then a double.
        let mut i: u32;
        let mut i64v: u64 = 0;
        let mut use64 = false;
        let mut use_double = false;
        let mut d = 0.0f64;
        let mut significant: i32 = 0;
        match self.digit() {
            Some(0) => {
                i = 0;
                self.i += 1;
            }
            Some(first) => {
                i = u32::from(first);
                self.i += 1;
                let (limit, last) = if minus {
                    (214_748_364, 8)
                } else {
                    (429_496_729, 5)
                };
                while let Some(c) = self.digit() {
                    if i >= limit && (i != limit || c > last) {
                        i64v = u64::from(i);
                        use64 = true;
                        break;
                    }
                    i = i * 10 + u32::from(c);
                    self.i += 1;
                    significant += 1;
                }
            }
            None => {
                self.i = start;
                return Err(self.err("invalid value"));
            }
        }
        if use64 {
            let (limit, last) = if minus {
                (0x0CCC_CCCC_CCCC_CCCC_u64, 8)
            } else {
                (0x1999_9999_9999_9999_u64, 5)
            };
            while let Some(c) = self.digit() {
                if i64v >= limit && (i64v != limit || c > last) {
                    d = i64v as f64;
                    use_double = true;
                    break;
                }
                i64v = i64v * 10 + u64::from(c);
                self.i += 1;
                significant += 1;
            }
        }
        if use_double {
            while let Some(c) = self.digit() {
                d = d * 10.0 + f64::from(c);
                self.i += 1;
            }
        }
        // Fraction.
        let mut exp_frac: i64 = 0;
        if self.eat(b'.') {
            if self.digit().is_none() {
                return Err(self.err("a number's fraction has no digits"));
            }
            if !use_double {
                if !use64 {
                    i64v = u64::from(i);
                }
                while let Some(c) = self.digit() {
                    if i64v > 0x1F_FFFF_FFFF_FFFF {
                        break;
                    }
                    i64v = i64v * 10 + u64::from(c);
                    self.i += 1;
                    exp_frac -= 1;
                    if i64v != 0 {
                        significant += 1;
                    }
                }
                d = i64v as f64;
                use_double = true;
            }
            while let Some(c) = self.digit() {
                if significant < 17 {
                    d = d * 10.0 + f64::from(c);
                    exp_frac -= 1;
                    if d > 0.0 {
                        significant += 1;
                    }
                }
                self.i += 1;
            }
        }
        // Exponent.
        let mut exp: i64 = 0;
        if self.eat(b'e') || self.eat(b'E') {
            if !use_double {
                d = if use64 { i64v as f64 } else { f64::from(i) };
                use_double = true;
            }
            let exp_minus = if self.eat(b'+') {
                false
            } else {
                self.eat(b'-')
            };
            let Some(first) = self.digit() else {
                return Err(self.err("a number's exponent has no digits"));
            };
            exp = i64::from(first);
            self.i += 1;
            if exp_minus {
                let max_exp = (exp_frac + 2_147_483_639) / 10;
                while let Some(c) = self.digit() {
                    exp = exp * 10 + i64::from(c);
                    self.i += 1;
                    if exp > max_exp {
                        while self.digit().is_some() {
                            self.i += 1;
                        }
                    }
                }
                exp = -exp;
            } else {
                let max_exp = 308 - exp_frac;
                while let Some(c) = self.digit() {
                    exp = exp * 10 + i64::from(c);
                    self.i += 1;
                    if exp > max_exp {
                        self.i = start;
                        return Err(self.err("number too big for a double"));
                    }
                }
            }
        }
        if use_double {
            let d = strtod_normal_precision(d, exp + exp_frac);
            if d > f64::MAX {
                self.i = start;
                return Err(self.err("number too big for a double"));
            }
            return Ok(Number {
                f: if minus { -d } else { d },
                int: None,
            });
        }
        Ok(integer_number(minus, use64, i, i64v))
    }

    /// `NaN`, `Inf`, `Infinity` (after an optional '-').
    fn nan_or_inf(&mut self, minus: bool) -> Result<Option<f64>, SyntaxError> {
        let rest = &self.b[self.i..];
        if rest.starts_with(b"NaN") {
            self.i += 3;
            return Ok(Some(f64::NAN));
        }
        if rest.starts_with(b"Inf") {
            self.i += 3;
            if self.peek() == Some(b'i') {
                if self.b[self.i..].starts_with(b"inity") {
                    self.i += 5;
                } else {
                    return Err(self.err("invalid value"));
                }
            }
            return Ok(Some(if minus {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }));
        }
        if matches!(rest.first(), Some(b'N' | b'I')) {
            return Err(self.err("invalid value"));
        }
        Ok(None)
    }
}

/// An integer without fraction or exponent, as rapidjson stores it
/// (Int, Uint, Int64 or Uint64) and converts it with `GetDouble`.
fn integer_number(minus: bool, use64: bool, i: u32, i64v: u64) -> Number {
    if use64 {
        if minus {
            let v = (!i64v).wrapping_add(1) as i64;
            Number {
                f: v as f64,
                int: Some(v),
            }
        } else {
            Number {
                f: i64v as f64,
                int: i64::try_from(i64v).ok(),
            }
        }
    } else if minus {
        let v = (!i).wrapping_add(1) as i32;
        Number {
            f: f64::from(v),
            int: Some(i64::from(v)),
        }
    } else {
        Number {
            f: f64::from(i),
            int: Some(i64::from(i)),
        }
    }
}

/// Powers of ten 1e0..=1e308, correctly rounded (as C++ literals are).
fn pow10(n: i64) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=308)
            .map(|k| format!("1e{k}").parse().unwrap_or(f64::INFINITY))
            .collect()
    });
    usize::try_from(n)
        .ok()
        .and_then(|k| t.get(k))
        .copied()
        .unwrap_or(f64::INFINITY)
}

/// rapidjson's `FastPath`.
fn fast_path(significand: f64, exp: i64) -> f64 {
    if exp < -308 {
        0.0
    } else if exp >= 0 {
        significand * pow10(exp)
    } else {
        significand / pow10(-exp)
    }
}

/// rapidjson's `StrtodNormalPrecision`.
fn strtod_normal_precision(d: f64, p: i64) -> f64 {
    if p < -308 {
        fast_path(fast_path(d, -308), p + 308)
    } else {
        fast_path(d, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Number {
        match parse(s.as_bytes()).unwrap() {
            Json::Num(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_short_decimals_are_correctly_rounded() {
        for s in [
            "0.1", "2.5", "-1.25", "3.0e2", "1e-5", "123.456", "0.3", "2.1",
        ] {
            assert_eq!(num(s).f, s.parse::<f64>().unwrap(), "{s}");
            assert_eq!(num(s).int, None);
        }
    }

    #[test]
    fn numbers_integers() {
        assert_eq!(
            num("42"),
            Number {
                f: 42.0,
                int: Some(42)
            }
        );
        assert_eq!(
            num("-7"),
            Number {
                f: -7.0,
                int: Some(-7)
            }
        );
        assert_eq!(num("-2147483648").int, Some(-2_147_483_648));
        assert_eq!(num("4294967296").int, Some(4_294_967_296));
        assert_eq!(num("-9223372036854775808").int, Some(i64::MIN));
        assert_eq!(num("18446744073709551615").int, None);
        assert_eq!(num("18446744073709551615").f, u64::MAX as f64);
        // rapidjson keeps "-0" as the integer 0, whose double is +0.
        assert!(num("-0").f.is_sign_positive());
        assert!(num("-0.0").f.is_sign_negative());
    }

    #[test]
    fn numbers_long_decimals_follow_rapidjson_not_correct_rounding() {
        // 0.1 + 0.2 printed with 17 digits: rapidjson accumulates
        // 30000000000000004 (< 2^63, exact in the u64) → double (rounded) / 1e17.
        let s = "0.30000000000000004";
        let expected = (30000000000000004u64 as f64) / 1e17;
        assert_eq!(num(s).f, expected);
        // The 2^53 cut: after 9007199254740993 (> 2^53 - 1) the next digit goes
        // through the double accumulator.
        let s = "0.90071992547409931";
        let d = 9007199254740993u64 as f64;
        assert_eq!(num(s).f, (d * 10.0 + 1.0) / 1e17);
    }

    #[test]
    fn numbers_special_values() {
        assert!(num("NaN").f.is_nan());
        assert_eq!(num("Infinity").f, f64::INFINITY);
        assert_eq!(num("-Infinity").f, f64::NEG_INFINITY);
        assert_eq!(num("-Inf").f, f64::NEG_INFINITY);
        assert!(parse(b"Infinit").is_err());
        assert!(parse(b"1e400").is_err());
        assert_eq!(num("1e-400").f, 0.0);
    }

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
