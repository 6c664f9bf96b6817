//! The functions and operators of the formula language, evaluated as
//! correctionlib's C++ does.

/// Functions of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fn1 {
    Neg,
    Log,
    Log10,
    Exp,
    Erf,
    Sqrt,
    Abs,
    Cos,
    Sin,
    Tan,
    Acos,
    Asin,
    Atan,
    Cosh,
    Sinh,
    Tanh,
    Acosh,
    Asinh,
    Atanh,
}

/// Operators and functions of two arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fn2 {
    Or,
    And,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Minus,
    Plus,
    Div,
    Times,
    Pow,
    Atan2,
    Max,
    Min,
}

/// The C math library's functions that Rust's standard library implements
/// itself (differently, in the last bit) or lacks.
mod cmath {
    extern "C" {
        pub fn erf(x: f64) -> f64;
        pub fn acosh(x: f64) -> f64;
        pub fn asinh(x: f64) -> f64;
        pub fn atanh(x: f64) -> f64;
    }
}

impl Fn1 {
    pub(super) fn from_name(name: &str) -> Option<Fn1> {
        Some(match name {
            "log" => Fn1::Log,
            "log10" => Fn1::Log10,
            "exp" => Fn1::Exp,
            "erf" => Fn1::Erf,
            "sqrt" => Fn1::Sqrt,
            "abs" => Fn1::Abs,
            "cos" => Fn1::Cos,
            "sin" => Fn1::Sin,
            "tan" => Fn1::Tan,
            "acos" => Fn1::Acos,
            "asin" => Fn1::Asin,
            "atan" => Fn1::Atan,
            "cosh" => Fn1::Cosh,
            "sinh" => Fn1::Sinh,
            "tanh" => Fn1::Tanh,
            "acosh" => Fn1::Acosh,
            "asinh" => Fn1::Asinh,
            "atanh" => Fn1::Atanh,
            _ => return None,
        })
    }

    /// The value; `log`, `exp`, `sin`, … are the C library's (Rust's `f64`
    /// methods call it), the others are called directly.
    #[inline]
    pub(crate) fn apply(self, a: f64) -> f64 {
        match self {
            Fn1::Neg => -a,
            Fn1::Log => a.ln(),
            Fn1::Log10 => a.log10(),
            Fn1::Exp => a.exp(),
            // SAFETY: pure C math functions of one double, no pointers involved.
            Fn1::Erf => unsafe { cmath::erf(a) },
            Fn1::Sqrt => a.sqrt(),
            Fn1::Abs => a.abs(),
            Fn1::Cos => a.cos(),
            Fn1::Sin => a.sin(),
            Fn1::Tan => a.tan(),
            Fn1::Acos => a.acos(),
            Fn1::Asin => a.asin(),
            Fn1::Atan => a.atan(),
            Fn1::Cosh => a.cosh(),
            Fn1::Sinh => a.sinh(),
            Fn1::Tanh => a.tanh(),
            // SAFETY: as above.
            Fn1::Acosh => unsafe { cmath::acosh(a) },
            // SAFETY: as above.
            Fn1::Asinh => unsafe { cmath::asinh(a) },
            // SAFETY: as above.
            Fn1::Atanh => unsafe { cmath::atanh(a) },
        }
    }
}

impl Fn2 {
    pub(super) fn from_name(name: &str) -> Option<Fn2> {
        Some(match name {
            "atan2" => Fn2::Atan2,
            "pow" => Fn2::Pow,
            "max" => Fn2::Max,
            "min" => Fn2::Min,
            _ => return None,
        })
    }

    /// Precedence (higher binds tighter) and right associativity of an operator.
    pub(super) fn precedence(self) -> (u8, bool) {
        match self {
            Fn2::Or => (1, false),
            Fn2::And => (2, false),
            Fn2::Eq | Fn2::Ne => (3, false),
            Fn2::Gt | Fn2::Lt | Fn2::Ge | Fn2::Le => (4, false),
            Fn2::Minus | Fn2::Plus => (5, false),
            Fn2::Div | Fn2::Times => (6, false),
            Fn2::Pow => (7, true),
            Fn2::Atan2 | Fn2::Max | Fn2::Min => (8, false),
        }
    }

    #[inline]
    pub(crate) fn apply(self, a: f64, b: f64) -> f64 {
        let truth = |c: bool| if c { 1.0 } else { 0.0 };
        match self {
            Fn2::Or => truth(a != 0.0 || b != 0.0),
            Fn2::And => truth(a != 0.0 && b != 0.0),
            Fn2::Eq => truth(a == b),
            Fn2::Ne => truth(a != b),
            Fn2::Gt => truth(a > b),
            Fn2::Lt => truth(a < b),
            Fn2::Ge => truth(a >= b),
            Fn2::Le => truth(a <= b),
            Fn2::Minus => a - b,
            Fn2::Plus => a + b,
            Fn2::Div => a / b,
            Fn2::Times => a * b,
            Fn2::Pow => a.powf(b),
            Fn2::Atan2 => a.atan2(b),
            // std::max(a, b) = (a < b) ? b : a; std::min(a, b) = (b < a) ? b : a
            Fn2::Max => {
                if a < b {
                    b
                } else {
                    a
                }
            }
            Fn2::Min => {
                if b < a {
                    b
                } else {
                    a
                }
            }
        }
    }
}
