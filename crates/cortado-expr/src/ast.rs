//! The syntax tree of an expression.

/// A byte range in the expression text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (true division)
    Div,
    /// `//` (floor division)
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and` / `&`
    And,
    /// `or` / `|`
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// True for comparisons.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x` / `~x`
    Not,
}

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is in the text.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// `True` / `False`.
    Bool(bool),
    /// A string literal.
    Str(String),
    /// A name (`Muon`, `nMuon`, `genWeight`, `params`).
    Name(String),
    /// `x.field`
    Attr(Box<Expr>, String),
    /// `x[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `x[a:b]`
    Slice(Box<Expr>, Option<i64>, Option<i64>),
    /// `f(args, key=value)`
    Call(String, Vec<Expr>, Vec<(String, Expr)>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Unary operation.
    Unary(UnOp, Box<Expr>),
    /// A list `[a, b]` (arguments of some functions).
    List(Vec<Expr>),
    /// `${a.b.c}`: a value of the analysis parameters.
    Param(String),
}

impl Expr {
    /// A new node.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// Canonical source text, fully parenthesised (used in dumps and messages).
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Float(x) => write!(f, "{x:?}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Str(s) => write!(f, "{s:?}"),
            ExprKind::Name(n) => write!(f, "{n}"),
            ExprKind::Attr(x, a) => write!(f, "{x}.{a}"),
            ExprKind::Index(x, i) => write!(f, "{x}[{i}]"),
            ExprKind::Slice(x, a, b) => write!(f, "{x}[{a:?}:{b:?}]"),
            ExprKind::Call(n, a, k) => {
                let mut parts: Vec<String> = a.iter().map(|e| e.to_string()).collect();
                parts.extend(k.iter().map(|(k, v)| format!("{k}={v}")));
                write!(f, "{n}({})", parts.join(", "))
            }
            ExprKind::Binary(op, l, r) => write!(f, "({l} {} {r})", op.symbol()),
            ExprKind::Unary(UnOp::Neg, x) => write!(f, "(-{x})"),
            ExprKind::Unary(UnOp::Not, x) => write!(f, "(not {x})"),
            ExprKind::List(items) => {
                let parts: Vec<String> = items.iter().map(|e| e.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            ExprKind::Param(p) => write!(f, "${{{p}}}"),
        }
    }
}
