//! JSON numbers, converted exactly as rapidjson converts them in correctionlib
//! (normal precision, NaN and infinities allowed).

use std::sync::OnceLock;

use super::{Number, Parser, SyntaxError};

/// The state of rapidjson's number parser: the significand in a u32 (`i`),
/// a u64 (`i64v`, once `use64`) or a double (`d`, once `use_double`), the
/// count of significant digits and the decimal exponent of the fraction.
#[derive(Default)]
struct Accumulator {
    i: u32,
    i64v: u64,
    use64: bool,
    use_double: bool,
    d: f64,
    significant: i32,
    exp_frac: i64,
}

impl Parser<'_> {
    /// A number, converted exactly as rapidjson's `ParseNumber` does without
    /// `kParseFullPrecisionFlag` (correctionlib's setting), with NaN and
    /// infinities allowed (`kParseNanAndInfFlag`).
    pub(super) fn number(&mut self) -> Result<Number, SyntaxError> {
        let start = self.i;
        let minus = self.eat(b'-');
        if let Some(special) = self.nan_or_inf(minus)? {
            return Ok(Number {
                f: special,
                int: None,
            });
        }
        let mut acc = Accumulator::default();
        self.integer_part(&mut acc, minus, start)?;
        self.fraction(&mut acc)?;
        let exp = self.exponent(&mut acc, start)?;
        if acc.use_double {
            let d = strtod_normal_precision(acc.d, exp + acc.exp_frac);
            if d > f64::MAX {
                self.i = start;
                return Err(self.err("number too big for a double"));
            }
            return Ok(Number {
                f: if minus { -d } else { d },
                int: None,
            });
        }
        Ok(integer_number(minus, acc.use64, acc.i, acc.i64v))
    }

    /// Integer part: in a u32, then a u64, then a double.
    fn integer_part(
        &mut self,
        acc: &mut Accumulator,
        minus: bool,
        start: usize,
    ) -> Result<(), SyntaxError> {
        match self.digit() {
            Some(0) => self.i += 1,
            Some(first) => {
                acc.i = u32::from(first);
                self.i += 1;
                let (limit, last) = if minus {
                    (214_748_364, 8)
                } else {
                    (429_496_729, 5)
                };
                while let Some(c) = self.digit() {
                    if acc.i >= limit && (acc.i != limit || c > last) {
                        acc.i64v = u64::from(acc.i);
                        acc.use64 = true;
                        break;
                    }
                    acc.i = acc.i * 10 + u32::from(c);
                    self.i += 1;
                    acc.significant += 1;
                }
            }
            None => {
                self.i = start;
                return Err(self.err(
                    "expected a value (a number, string, array, object, true, false or null)",
                ));
            }
        }
        if acc.use64 {
            let (limit, last) = if minus {
                (0x0CCC_CCCC_CCCC_CCCC_u64, 8)
            } else {
                (0x1999_9999_9999_9999_u64, 5)
            };
            while let Some(c) = self.digit() {
                if acc.i64v >= limit && (acc.i64v != limit || c > last) {
                    acc.d = acc.i64v as f64;
                    acc.use_double = true;
                    break;
                }
                acc.i64v = acc.i64v * 10 + u64::from(c);
                self.i += 1;
                acc.significant += 1;
            }
        }
        if acc.use_double {
            while let Some(c) = self.digit() {
                acc.d = acc.d * 10.0 + f64::from(c);
                self.i += 1;
            }
        }
        Ok(())
    }

    /// Fraction: digits into the u64 up to 2^53, then into the double while
    /// fewer than 17 significant digits are held; the rest are dropped.
    fn fraction(&mut self, acc: &mut Accumulator) -> Result<(), SyntaxError> {
        if !self.eat(b'.') {
            return Ok(());
        }
        if self.digit().is_none() {
            return Err(self.err("a number's fraction has no digits"));
        }
        if !acc.use_double {
            if !acc.use64 {
                acc.i64v = u64::from(acc.i);
            }
            while let Some(c) = self.digit() {
                if acc.i64v > 0x1F_FFFF_FFFF_FFFF {
                    break;
                }
                acc.i64v = acc.i64v * 10 + u64::from(c);
                self.i += 1;
                acc.exp_frac -= 1;
                if acc.i64v != 0 {
                    acc.significant += 1;
                }
            }
            acc.d = acc.i64v as f64;
            acc.use_double = true;
        }
        while let Some(c) = self.digit() {
            if acc.significant < 17 {
                acc.d = acc.d * 10.0 + f64::from(c);
                acc.exp_frac -= 1;
                if acc.d > 0.0 {
                    acc.significant += 1;
                }
            }
            self.i += 1;
        }
        Ok(())
    }

    /// Exponent (0 if none).
    fn exponent(&mut self, acc: &mut Accumulator, start: usize) -> Result<i64, SyntaxError> {
        if !(self.eat(b'e') || self.eat(b'E')) {
            return Ok(0);
        }
        if !acc.use_double {
            acc.d = if acc.use64 {
                acc.i64v as f64
            } else {
                f64::from(acc.i)
            };
            acc.use_double = true;
        }
        let minus = if self.eat(b'+') {
            false
        } else {
            self.eat(b'-')
        };
        let Some(first) = self.digit() else {
            return Err(self.err("a number's exponent has no digits"));
        };
        let mut exp = i64::from(first);
        self.i += 1;
        if minus {
            let max_exp = (acc.exp_frac + 2_147_483_639) / 10;
            while let Some(c) = self.digit() {
                exp = exp * 10 + i64::from(c);
                self.i += 1;
                if exp > max_exp {
                    while self.digit().is_some() {
                        self.i += 1;
                    }
                }
            }
            Ok(-exp)
        } else {
            let max_exp = 308 - acc.exp_frac;
            while let Some(c) = self.digit() {
                exp = exp * 10 + i64::from(c);
                self.i += 1;
                if exp > max_exp {
                    self.i = start;
                    return Err(self.err("number too big for a double"));
                }
            }
            Ok(exp)
        }
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
    use super::super::{parse, Json};
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
}
