//! correctionlib's TFormula-like expression language, compiled to a small
//! stack program.
//!
//! The grammar is correctionlib's (a PEG with precedence climbing):
//!
//! ```text
//! expression := atom (binop atom)*        precedence, low to high:
//!                                          || , && , == != , > < >= <= , - + , / * , ^ (right)
//! atom       := literal | '-'? (call | name | '(' expression ')')
//! literal    := '-'? [0-9]+ ('.' [0-9]*)? ('e' '-'? [0-9]+)?
//! call       := unary_fn '(' expression ')' | binary_fn '(' expression ',' expression ')'
//! name       := '[' [0-9]+ ']' (parameter) | x | y | z | t | 'x[' [0-9]+ ']' (variable)
//! ```
//!
//! Its quirks are kept: a literal's sign belongs to the literal (`-2^2` is
//! `(-2)^2`, as is `-x^2`), a unary minus is followed by a call, a name or a
//! parenthesis only, comparisons give 1 or 0, `max`/`min` are C++'s
//! `std::max`/`std::min` (which differ from Rust's on NaN). Functions call the
//! same C math library as correctionlib does, so results are bit-identical.

use std::fmt;

mod ops;

pub(crate) use ops::{Fn1, Fn2};

/// Deepest nesting of parentheses, calls, signs and `^` chains in a formula.
pub(crate) const MAX_FORMULA_DEPTH: usize = 100;

/// One instruction of a compiled formula.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Const(f64),
    /// The formula's k-th variable (x = 0, y = 1, z = 2, t = 3, x[k] = k).
    Var(u32),
    /// Parameter `[k]`.
    Param(u32),
    Unary(Fn1),
    Binary(Fn2),
}

/// A compiled formula: a postfix program over a value stack.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    code: Vec<Op>,
    /// Number of variables the formula needs (highest index + 1).
    pub n_vars: usize,
    /// Number of parameters the formula needs (highest index + 1).
    pub n_params: usize,
    /// Highest stack depth during evaluation.
    pub max_stack: usize,
}

/// A formula that does not parse: position (in characters) and reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormulaError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position + 1, self.message)
    }
}

impl Expr {
    /// Parses and compiles an expression.
    pub(crate) fn parse(text: &str) -> Result<Expr, FormulaError> {
        let mut p = FormulaParser {
            s: text.as_bytes(),
            i: 0,
            code: Vec::new(),
        };
        p.expression(0, 0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("unexpected character (expected an operator or the end)"));
        }
        let (mut depth, mut max_stack, mut n_vars, mut n_params) = (0usize, 0usize, 0, 0);
        for op in &p.code {
            match op {
                Op::Const(_) => depth += 1,
                Op::Var(k) => {
                    depth += 1;
                    n_vars = n_vars.max(*k as usize + 1);
                }
                Op::Param(k) => {
                    depth += 1;
                    n_params = n_params.max(*k as usize + 1);
                }
                Op::Unary(_) => {}
                Op::Binary(_) => depth -= 1,
            }
            max_stack = max_stack.max(depth);
        }
        Ok(Expr {
            code: p.code,
            n_vars,
            n_params,
            max_stack,
        })
    }

    /// The value, with `var(k)` the k-th variable and `params` the parameters
    /// (at least `n_params` of them, which the loader checks).
    #[inline]
    pub(crate) fn eval(
        &self,
        var: impl Fn(usize) -> f64,
        params: &[f64],
        stack: &mut Vec<f64>,
    ) -> f64 {
        stack.clear();
        for op in &self.code {
            let v = match *op {
                Op::Const(c) => c,
                Op::Var(k) => var(k as usize),
                Op::Param(k) => params.get(k as usize).copied().unwrap_or(f64::NAN),
                Op::Unary(f) => {
                    let a = stack.pop().unwrap_or(f64::NAN);
                    f.apply(a)
                }
                Op::Binary(f) => {
                    let b = stack.pop().unwrap_or(f64::NAN);
                    let a = stack.pop().unwrap_or(f64::NAN);
                    f.apply(a, b)
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap_or(f64::NAN)
    }
}

struct FormulaParser<'a> {
    s: &'a [u8],
    i: usize,
    code: Vec<Op>,
}

impl FormulaParser<'_> {
    fn err(&self, message: &str) -> FormulaError {
        FormulaError {
            position: self.i,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), FormulaError> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    /// The binary operator at the cursor (longest match) and its length.
    fn binop(&self) -> Option<(Fn2, usize)> {
        let two = self.s.get(self.i..self.i + 2);
        let op2 = match two {
            Some(b"||") => Some(Fn2::Or),
            Some(b"&&") => Some(Fn2::And),
            Some(b"==") => Some(Fn2::Eq),
            Some(b"!=") => Some(Fn2::Ne),
            Some(b">=") => Some(Fn2::Ge),
            Some(b"<=") => Some(Fn2::Le),
            _ => None,
        };
        if let Some(op) = op2 {
            return Some((op, 2));
        }
        let op1 = match self.peek()? {
            b'>' => Fn2::Gt,
            b'<' => Fn2::Lt,
            b'-' => Fn2::Minus,
            b'+' => Fn2::Plus,
            b'/' => Fn2::Div,
            b'*' => Fn2::Times,
            b'^' => Fn2::Pow,
            _ => return None,
        };
        Some((op1, 1))
    }

    /// Precedence climbing: an atom, then operators of precedence >= `min`.
    fn expression(&mut self, min: u8, depth: usize) -> Result<(), FormulaError> {
        if depth > MAX_FORMULA_DEPTH {
            return Err(self.err(&format!(
                "the formula nests more than {MAX_FORMULA_DEPTH} deep"
            )));
        }
        self.atom(depth)?;
        loop {
            self.ws();
            let Some((op, len)) = self.binop() else {
                return Ok(());
            };
            let (prec, right) = op.precedence();
            if prec < min {
                return Ok(());
            }
            self.i += len;
            self.expression(if right { prec } else { prec + 1 }, depth + 1)?;
            self.code.push(Op::Binary(op));
        }
    }

    fn atom(&mut self, depth: usize) -> Result<(), FormulaError> {
        self.ws();
        let starts_number = |j: usize| self.s.get(j).is_some_and(u8::is_ascii_digit);
        if starts_number(self.i) || (self.peek() == Some(b'-') && starts_number(self.i + 1)) {
            return self.literal();
        }
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
            self.ws();
        }
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                self.expression(0, depth + 1)?;
                self.expect(b')', "')'")?;
            }
            Some(b'[') => self.parameter()?,
            Some(c) if c.is_ascii_lowercase() => self.name(depth)?,
            _ => {
                return Err(self.err(if negative {
                    "expected a function, a variable, a parameter or '(' after '-'"
                } else {
                    "expected a number, a function, a variable, a parameter or '('"
                }))
            }
        }
        if negative {
            self.code.push(Op::Unary(Fn1::Neg));
        }
        Ok(())
    }

    fn literal(&mut self) -> Result<(), FormulaError> {
        let start = self.i;
        let digits = |p: &mut Self| {
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        digits(self);
        if self.peek() == Some(b'.') {
            self.i += 1;
            digits(self);
        }
        if self.peek() == Some(b'e') {
            let after = self.i + 1;
            let digit_at = after + usize::from(self.s.get(after) == Some(&b'-'));
            if self.s.get(digit_at).is_some_and(u8::is_ascii_digit) {
                self.i = digit_at;
                digits(self);
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let v: f64 = text.parse().map_err(|_| FormulaError {
            position: start,
            message: format!("invalid number '{text}'"),
        })?;
        self.code.push(Op::Const(v));
        Ok(())
    }

    fn index(&mut self) -> Result<u32, FormulaError> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err("expected an index (digits)"));
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|&k: &u32| k < 1 << 20)
            .ok_or_else(|| FormulaError {
                position: start,
                message: "index too large".into(),
            })
    }

    /// `[k]`
    fn parameter(&mut self) -> Result<(), FormulaError> {
        self.i += 1; // '['
        self.ws();
        let k = self.index()?;
        self.expect(b']', "']' after a parameter index")?;
        self.code.push(Op::Param(k));
        Ok(())
    }

    /// A function call or a variable.
    fn name(&mut self, depth: usize) -> Result<(), FormulaError> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            self.i += 1;
        }
        let name = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let after_name = self.i;
        self.ws();
        if self.peek() == Some(b'(') {
            return self.call(name, start, depth);
        }
        self.i = after_name;
        let var = match name {
            "x" if self.peek() == Some(b'[') => {
                self.i += 1;
                let k = self.index()?;
                if self.peek() != Some(b']') {
                    return Err(self.err("expected ']' after a variable index"));
                }
                self.i += 1;
                k
            }
            "x" => 0,
            "y" => 1,
            "z" => 2,
            "t" => 3,
            _ => {
                return Err(FormulaError {
                    position: start,
                    message: format!("unknown name '{name}' (variables are x, y, z, t and x[N])"),
                })
            }
        };
        self.code.push(Op::Var(var));
        Ok(())
    }

    fn call(&mut self, name: &str, start: usize, depth: usize) -> Result<(), FormulaError> {
        self.i += 1; // '('
        if let Some(f) = Fn1::from_name(name) {
            self.expression(0, depth + 1)?;
            self.expect(b')', "')' closing a function call")?;
            self.code.push(Op::Unary(f));
        } else if let Some(f) = Fn2::from_name(name) {
            self.expression(0, depth + 1)?;
            self.expect(b',', "',' between a function's two arguments")?;
            self.expression(0, depth + 1)?;
            self.expect(b')', "')' closing a function call")?;
            self.code.push(Op::Binary(f));
        } else {
            return Err(FormulaError {
                position: start,
                message: format!(
                    "unknown function '{name}' (known: log, log10, exp, erf, sqrt, abs, cos, sin, \
                     tan, acos, asin, atan, cosh, sinh, tanh, acosh, asinh, atanh, atan2, pow, max, min)"
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str, vars: &[f64], params: &[f64]) -> f64 {
        let e = Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        e.eval(|k| vars[k], params, &mut Vec::new())
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(ev("1-2-3", &[], &[]), -4.0);
        assert_eq!(ev("8/4/2", &[], &[]), 1.0);
        assert_eq!(ev("2^3^2", &[], &[]), 512.0);
        assert_eq!(ev("1+2*3^2", &[], &[]), 19.0);
        assert_eq!(ev("2*3-4/2+1", &[], &[]), 5.0);
        assert_eq!(ev("1<2==1", &[], &[]), 1.0);
        assert_eq!(ev("0||1&&0", &[], &[]), 0.0);
        assert_eq!(ev("1+1>=2&&3>2", &[], &[]), 1.0);
    }

    #[test]
    fn signs_belong_to_atoms() {
        assert_eq!(ev("-2^2", &[], &[]), 4.0);
        assert_eq!(ev("-x^2", &[3.0], &[]), 9.0);
        assert_eq!(ev("x*-2", &[3.0], &[]), -6.0);
        assert_eq!(ev("x--2", &[3.0], &[]), 5.0);
        assert_eq!(ev("-(x)", &[3.0], &[]), -3.0);
        assert!(Expr::parse("- 1").is_err());
        assert!(Expr::parse("--x").is_err());
    }

    #[test]
    fn variables_parameters_functions() {
        assert_eq!(ev("x+y*z-t", &[1.0, 2.0, 3.0, 4.0], &[]), 3.0);
        assert_eq!(ev("x[1]/x[0]", &[2.0, 8.0], &[]), 4.0);
        assert_eq!(ev("[0]+[1]*x", &[2.0], &[1.0, 10.0]), 21.0);
        assert_eq!(ev("[ 1 ]", &[], &[0.0, 7.0]), 7.0);
        assert_eq!(
            ev("max(min(x,[1]),[0])", &[5000.0], &[15.0, 3000.0]),
            3000.0
        );
        assert_eq!(ev("log10(100)", &[], &[]), 2.0);
        assert_eq!(ev("pow(2, 10)", &[], &[]), 1024.0);
        assert_eq!(ev("abs(-3)+sqrt(16)", &[], &[]), 7.0);
        assert_eq!(ev("atan2(0, -1)", &[], &[]), std::f64::consts::PI);
        assert_eq!(ev("exp (0)", &[], &[]), 1.0);
        assert_eq!(ev("1.e1+2.5e-1", &[], &[]), 10.25);
        let e = Expr::parse("[2]*x+y").unwrap();
        assert_eq!((e.n_vars, e.n_params), (2, 3));
    }

    #[test]
    fn max_min_are_cpp_on_nan() {
        let nan = f64::NAN;
        assert!(ev("max(x,1)", &[nan], &[]).is_nan());
        assert_eq!(ev("max(1,x)", &[nan], &[]), 1.0);
        assert!(ev("min(x,1)", &[nan], &[]).is_nan());
        assert_eq!(ev("min(1,x)", &[nan], &[]), 1.0);
    }

    #[test]
    fn refusals() {
        for bad in [
            "", "x+", "(x", "x)", "foo(x)", "xy", "x [0]", "2e+3", "pow(x)", "log(x,y)", "[a]",
            "x[ 0]", ".5", "x % 2", "exp2(x)", "1 2",
        ] {
            assert!(Expr::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let e = Expr::parse("x + foo(1)").unwrap_err();
        assert_eq!(e.position, 4);
        assert!(
            e.message.contains("unknown function 'foo'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "(".repeat(MAX_FORMULA_DEPTH + 5) + "x" + &")".repeat(MAX_FORMULA_DEPTH + 5);
        assert!(Expr::parse(&deep).unwrap_err().message.contains("nests"));
        let chain = vec!["2"; MAX_FORMULA_DEPTH + 5].join("^");
        assert!(Expr::parse(&chain).is_err());
        let long = vec!["x"; 10_000].join("+");
        let e = Expr::parse(&long).unwrap();
        assert_eq!(e.max_stack, 2);
    }
}
