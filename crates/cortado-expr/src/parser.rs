//! Pratt parser for the expression language (tokens come from the lexer).
//!
//! Python-like syntax: literals (`1`, `2.5`, `1e3`, `True`, `"text"`), names,
//! attributes (`Muon.pt`), indexing and slicing (`Muon[0]`, `Muon[:2]`,
//! `Muon[Muon.pt > 20]`), calls with keyword arguments, lists, `+ - * / // % **`,
//! comparisons (chained: `25 < ll.mass < 2000`), and boolean `and`/`or`/`not`
//! (also written `&`, `|`, `~`). Unlike NumPy, `&` and `|` bind *looser* than
//! comparisons, so `Muon.pt > 15 & abs(Muon.eta) < 2.4` means what it says.

use crate::ast::{BinOp, Expr, ExprKind, Span, UnOp};
use crate::lexer::{describe, err, Lexer, Tok};

/// The deepest an expression may nest: levels of parentheses, operators
/// (a chain `a + b + c` is two levels), unary signs, calls, lists, fields and
/// indices. Real analyses stay far below; the limit keeps every recursive pass
/// over the tree (parsing, checking, evaluating, dropping) within a thread's stack.
pub const MAX_DEPTH: usize = 256;

/// The name of the call node that marks a parenthesised expression (so that
/// chained comparisons do not reach inside); no name written in an expression
/// can be it.
pub const PAREN: &str = "()";

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// Parses an expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut lex = Lexer::new(src);
    let mut toks = Vec::new();
    loop {
        let t = lex.next()?;
        let eof = t.0 == Tok::Eof;
        toks.push(t);
        if eof {
            break;
        }
    }
    let mut p = Parser {
        toks,
        i: 0,
        nesting: 0,
    };
    let e = p.expr(0)?.e;
    match p.peek() {
        Tok::Eof => Ok(e),
        t => Err(err(
            format!("unexpected {} after the end of the expression", describe(t)),
            p.span(),
        )),
    }
}

/// Positional arguments, keyword arguments, the span of the closing
/// parenthesis, and the depth of the deepest argument.
type CallArgs = (Vec<Expr>, Vec<(String, Expr)>, Span, usize);

struct Parser {
    toks: Vec<(Tok, Span)>,
    i: usize,
    /// Current recursion depth of `expr` (bounded by [`MAX_DEPTH`]).
    nesting: usize,
}

/// A parsed subexpression and the depth of its tree.
struct Sub {
    e: Expr,
    depth: usize,
}

fn too_deep(span: Span) -> ParseError {
    err(
        format!(
            "the expression is nested too deeply (more than {MAX_DEPTH} levels of parentheses, \
             operators, signs, calls, fields or indices); split it into definitions"
        ),
        span,
    )
}

/// A node over children of the given depths; an error at `at` when too deep.
fn node(kind: ExprKind, span: Span, children: usize, at: Span) -> Result<Sub, ParseError> {
    let depth = children + 1;
    if depth > MAX_DEPTH {
        return Err(too_deep(at));
    }
    Ok(Sub {
        e: Expr::new(kind, span),
        depth,
    })
}

/// Binding powers: or < and < not < comparison < + - < * / // % < unary - < ** < postfix.
fn infix(t: &Tok) -> Option<(BinOp, u8, u8)> {
    Some(match t {
        Tok::Ident(s) if s == "or" => (BinOp::Or, 1, 2),
        Tok::Op("|") | Tok::Op("||") => (BinOp::Or, 1, 2),
        Tok::Ident(s) if s == "and" => (BinOp::And, 3, 4),
        Tok::Op("&") | Tok::Op("&&") => (BinOp::And, 3, 4),
        Tok::Op("==") => (BinOp::Eq, 7, 8),
        Tok::Op("!=") => (BinOp::Ne, 7, 8),
        Tok::Op("<") => (BinOp::Lt, 7, 8),
        Tok::Op("<=") => (BinOp::Le, 7, 8),
        Tok::Op(">") => (BinOp::Gt, 7, 8),
        Tok::Op(">=") => (BinOp::Ge, 7, 8),
        Tok::Op("+") => (BinOp::Add, 9, 10),
        Tok::Op("-") => (BinOp::Sub, 9, 10),
        Tok::Op("*") => (BinOp::Mul, 11, 12),
        Tok::Op("/") => (BinOp::Div, 11, 12),
        Tok::Op("//") => (BinOp::FloorDiv, 11, 12),
        Tok::Op("%") => (BinOp::Mod, 11, 12),
        Tok::Op("**") => (BinOp::Pow, 16, 15),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].0
    }

    fn span(&self) -> Span {
        self.toks[self.i].1
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn expect(&mut self, op: &str) -> Result<Span, ParseError> {
        match self.peek() {
            Tok::Op(o) if *o == op => Ok(self.bump().1),
            t => Err(err(
                format!("expected '{op}', found {}", describe(t)),
                self.span(),
            )),
        }
    }

    fn expr(&mut self, min_bp: u8) -> Result<Sub, ParseError> {
        if self.nesting >= MAX_DEPTH {
            return Err(too_deep(self.span()));
        }
        self.nesting += 1;
        let r = self.expr_inner(min_bp);
        self.nesting -= 1;
        r
    }

    fn expr_inner(&mut self, min_bp: u8) -> Result<Sub, ParseError> {
        let mut lhs = self.prefix()?;
        while let Some((op, l_bp, r_bp)) = infix(self.peek()) {
            if l_bp < min_bp {
                break;
            }
            let op_span = self.bump().1;
            let rhs = self.expr(r_bp)?;
            // Chained comparisons: a < b < c  ==  (a < b) and (b < c)
            if op.is_comparison() {
                if let ExprKind::Binary(prev, _, ref mid) = lhs.e.kind {
                    if prev.is_comparison() && lhs_is_unparenthesized(&lhs.e) {
                        let mid = (**mid).clone();
                        let span = lhs.e.span.to(rhs.e.span);
                        // `mid` is a child of `lhs`: no deeper than it
                        let right = node(
                            ExprKind::Binary(op, Box::new(mid), Box::new(rhs.e)),
                            span,
                            rhs.depth.max(lhs.depth),
                            op_span,
                        )?;
                        lhs = node(
                            ExprKind::Binary(BinOp::And, Box::new(lhs.e), Box::new(right.e)),
                            span,
                            lhs.depth.max(right.depth),
                            op_span,
                        )?;
                        continue;
                    }
                }
            }
            let span = lhs.e.span.to(rhs.e.span);
            let depth = lhs.depth.max(rhs.depth);
            lhs = node(
                ExprKind::Binary(op, Box::new(lhs.e), Box::new(rhs.e)),
                span,
                depth,
                op_span,
            )?;
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Sub, ParseError> {
        let (t, span) = self.bump();
        match t {
            Tok::Op("-") => {
                let x = self.expr(13)?;
                let s = span.to(x.e.span);
                Ok(match x.e.kind {
                    ExprKind::Int(i) => node(ExprKind::Int(-i), s, 0, span)?,
                    ExprKind::Float(f) => node(ExprKind::Float(-f), s, 0, span)?,
                    kind => node(
                        ExprKind::Unary(UnOp::Neg, Box::new(Expr::new(kind, x.e.span))),
                        s,
                        x.depth,
                        span,
                    )?,
                })
            }
            Tok::Op("+") => self.expr(13),
            Tok::Op("~") | Tok::Op("!") => self.not(span),
            Tok::Ident(ref s) if s == "not" => self.not(span),
            _ => {
                let atom = self.atom(t, span)?;
                self.postfix(atom)
            }
        }
    }

    fn not(&mut self, span: Span) -> Result<Sub, ParseError> {
        let x = self.expr(5)?;
        let s = span.to(x.e.span);
        node(ExprKind::Unary(UnOp::Not, Box::new(x.e)), s, x.depth, span)
    }

    fn atom(&mut self, t: Tok, span: Span) -> Result<Sub, ParseError> {
        let leaf = |kind| node(kind, span, 0, span);
        match t {
            Tok::Int(i) => leaf(ExprKind::Int(i)),
            Tok::Float(f) => leaf(ExprKind::Float(f)),
            Tok::Str(s) => leaf(ExprKind::Str(s)),
            Tok::Param(p) => leaf(ExprKind::Param(p)),
            Tok::Ident(name) => match name.as_str() {
                "True" | "true" => leaf(ExprKind::Bool(true)),
                "False" | "false" => leaf(ExprKind::Bool(false)),
                "and" | "or" | "not" => {
                    Err(err(format!("'{name}' needs an operand before it"), span))
                }
                _ => {
                    if *self.peek() == Tok::Op("(") {
                        self.bump();
                        let (args, kwargs, end, depth) = self.call_args()?;
                        node(
                            ExprKind::Call(name, args, kwargs),
                            span.to(end),
                            depth,
                            span,
                        )
                    } else {
                        leaf(ExprKind::Name(name))
                    }
                }
            },
            Tok::Op("(") => {
                let mut x = self.expr(0)?;
                let end = self.expect(")")?;
                x.e.span = span.to(end);
                // mark as parenthesised so chained comparisons do not reach inside
                node(
                    ExprKind::Call(PAREN.into(), vec![x.e], Vec::new()),
                    span.to(end),
                    x.depth,
                    span,
                )
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                let mut depth = 0;
                if *self.peek() != Tok::Op("]") {
                    loop {
                        let x = self.expr(0)?;
                        depth = depth.max(x.depth);
                        items.push(x.e);
                        if *self.peek() == Tok::Op(",") {
                            self.bump();
                            if *self.peek() == Tok::Op("]") {
                                break;
                            }
                        } else {
                            break;
                        }
                    }
                }
                let end = self.expect("]")?;
                node(ExprKind::List(items), span.to(end), depth, span)
            }
            t => Err(err(
                format!("expected a value, found {}", describe(&t)),
                span,
            )),
        }
    }

    fn call_args(&mut self) -> Result<CallArgs, ParseError> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        let mut depth = 0;
        if *self.peek() != Tok::Op(")") {
            loop {
                let is_kw = matches!(self.peek(), Tok::Ident(_))
                    && self.toks.get(self.i + 1).map(|t| &t.0) == Some(&Tok::Op("="));
                if is_kw {
                    let (Tok::Ident(k), kspan) = self.bump() else {
                        unreachable!()
                    };
                    self.bump();
                    let v = self.expr(0)?;
                    if kwargs.iter().any(|(n, _): &(String, Expr)| *n == k) {
                        return Err(err(format!("keyword argument '{k}' given twice"), kspan));
                    }
                    depth = depth.max(v.depth);
                    kwargs.push((k, v.e));
                } else {
                    if !kwargs.is_empty() {
                        return Err(err(
                            "positional argument after keyword arguments",
                            self.span(),
                        ));
                    }
                    let v = self.expr(0)?;
                    depth = depth.max(v.depth);
                    args.push(v.e);
                }
                if *self.peek() == Tok::Op(",") {
                    self.bump();
                    if *self.peek() == Tok::Op(")") {
                        break;
                    }
                } else {
                    break;
                }
            }
        }
        let end = self.expect(")")?;
        Ok((args, kwargs, end, depth))
    }

    fn postfix(&mut self, mut x: Sub) -> Result<Sub, ParseError> {
        loop {
            match self.peek() {
                Tok::Op(".") => {
                    let dot = self.bump().1;
                    let (t, span) = self.bump();
                    let name = match t {
                        Tok::Ident(n) => n,
                        // `x.2018` in parameter paths
                        Tok::Int(i) => i.to_string(),
                        t => {
                            return Err(err(
                                format!("expected a field name after '.', found {}", describe(&t)),
                                span,
                            ))
                        }
                    };
                    let s = x.e.span.to(span);
                    x = node(ExprKind::Attr(Box::new(x.e), name), s, x.depth, dot)?;
                }
                Tok::Op("[") => {
                    let open = self.bump().1;
                    if *self.peek() == Tok::Op(":") || self.is_slice_ahead() {
                        let a = self.slice_bound()?;
                        self.expect(":")?;
                        let b = self.slice_bound()?;
                        let end = self.expect("]")?;
                        let s = x.e.span.to(end);
                        x = node(ExprKind::Slice(Box::new(x.e), a, b), s, x.depth, open)?;
                    } else {
                        let idx = self.expr(0)?;
                        let end = self.expect("]")?;
                        let s = x.e.span.to(end);
                        let depth = x.depth.max(idx.depth);
                        x = node(
                            ExprKind::Index(Box::new(x.e), Box::new(idx.e)),
                            s,
                            depth,
                            open,
                        )?;
                    }
                }
                _ => return Ok(x),
            }
        }
    }

    /// `[int :` or `[-int :`
    fn is_slice_ahead(&self) -> bool {
        let t = |k: usize| self.toks.get(self.i + k).map(|t| &t.0);
        matches!((t(0), t(1)), (Some(Tok::Int(_)), Some(Tok::Op(":"))))
            || matches!(
                (t(0), t(1), t(2)),
                (Some(Tok::Op("-")), Some(Tok::Int(_)), Some(Tok::Op(":")))
            )
    }

    fn slice_bound(&mut self) -> Result<Option<i64>, ParseError> {
        match self.peek().clone() {
            Tok::Int(i) => {
                self.bump();
                Ok(Some(i))
            }
            Tok::Op("-") => {
                self.bump();
                match self.bump() {
                    (Tok::Int(i), _) => Ok(Some(-i)),
                    (t, s) => Err(err(
                        format!("expected an integer slice bound, found {}", describe(&t)),
                        s,
                    )),
                }
            }
            _ => Ok(None),
        }
    }
}

fn lhs_is_unparenthesized(e: &Expr) -> bool {
    !matches!(&e.kind, ExprKind::Call(n, _, _) if n == PAREN)
}

/// Removes the parenthesis markers the parser leaves for chained comparisons.
pub fn strip_parens(e: Expr) -> Expr {
    let span = e.span;
    let kind = match e.kind {
        ExprKind::Call(n, mut a, _) if n == PAREN && a.len() == 1 => {
            return strip_parens(a.remove(0))
        }
        ExprKind::Attr(x, f) => ExprKind::Attr(Box::new(strip_parens(*x)), f),
        ExprKind::Index(x, i) => {
            ExprKind::Index(Box::new(strip_parens(*x)), Box::new(strip_parens(*i)))
        }
        ExprKind::Slice(x, a, b) => ExprKind::Slice(Box::new(strip_parens(*x)), a, b),
        ExprKind::Call(n, a, k) => ExprKind::Call(
            n,
            a.into_iter().map(strip_parens).collect(),
            k.into_iter().map(|(n, v)| (n, strip_parens(v))).collect(),
        ),
        ExprKind::Binary(op, l, r) => {
            ExprKind::Binary(op, Box::new(strip_parens(*l)), Box::new(strip_parens(*r)))
        }
        ExprKind::Unary(op, x) => ExprKind::Unary(op, Box::new(strip_parens(*x))),
        ExprKind::List(items) => ExprKind::List(items.into_iter().map(strip_parens).collect()),
        k => k,
    };
    Expr::new(kind, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        strip_parens(parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}")))
    }

    fn show(e: &Expr) -> String {
        e.to_string()
    }

    #[test]
    fn precedence_and_chaining() {
        assert_eq!(
            show(&p("Muon.pt > 15 & abs(Muon.eta) < 2.4")),
            "((Muon.pt > 15) and (abs(Muon.eta) < 2.4))"
        );
        assert_eq!(
            show(&p("25 < ll.mass < 2000")),
            "((25 < ll.mass) and (ll.mass < 2000))"
        );
        assert_eq!(show(&p("(a < b) < c")), "((a < b) < c)");
        assert_eq!(
            show(&p("a + b * c ** 2 ** 3")),
            "(a + (b * (c ** (2 ** 3))))"
        );
        assert_eq!(show(&p("not a or b and c")), "((not a) or (b and c))");
        assert_eq!(show(&p("-x.pt")), "(-x.pt)");
        assert_eq!(show(&p("-2.5")), "-2.5");
        assert_eq!(show(&p("~(etaSC >= 1.4442)")), "(not (etaSC >= 1.4442))");
    }

    #[test]
    fn numbers_too_large_are_errors() {
        for (text, msg) in [
            ("1e400 + x", "number '1e400' is too large for a float64"),
            (
                "99999999999999999999",
                "integer '99999999999999999999' is too large",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(format!("{e:?}").contains(msg), "{text}: {e:?}");
        }
        assert_eq!(show(&p("1.7e308")), "1.7e308");
    }

    #[test]
    fn postfix_calls_and_slices() {
        assert_eq!(
            show(&p("Muon[Muon.pt > 20][:2].eta")),
            "Muon[(Muon.pt > 20)][None:Some(2)].eta"
        );
        assert_eq!(show(&p("MuonGood[0].pt")), "MuonGood[0].pt");
        assert_eq!(show(&p("x[-1:]")), "x[Some(-1):None]");
        assert_eq!(
            show(&p("get_nObj_min(1, 18., \"Muon\")")),
            "get_nObj_min(1, 18.0, \"Muon\")"
        );
        assert_eq!(
            show(&p("f(a, coll=Muon, wp='M')")),
            "f(a, coll=Muon, wp=\"M\")"
        );
        assert_eq!(
            show(&p("hlt([\"IsoMu24\", 'Mu50'])")),
            "hlt([\"IsoMu24\", \"Mu50\"])"
        );
        assert_eq!(show(&p("params.mll.low")), "params.mll.low");
        assert_eq!(show(&p("1e3 + 2.5e-2 + .5")), "((1000.0 + 0.025) + 0.5)");
        assert_eq!(
            show(&p("Muon.pt > ${object_preselection.Muon.pt}")),
            "(Muon.pt > ${object_preselection.Muon.pt})"
        );
    }

    #[test]
    fn errors_have_spans() {
        let e = parse("Muon.pt >").unwrap_err();
        assert!(e.message.contains("expected a value"), "{e:?}");
        let e = parse("Muon.pt $ 3").unwrap_err();
        assert_eq!(e.span.start, 8);
        assert!(parse("f(a=1, 2)").is_err());
        assert!(parse("(a").is_err());
        assert!(parse("a b")
            .unwrap_err()
            .message
            .contains("unexpected name 'b'"));
        assert!(parse("'abc").is_err());
        // a function the user calls `__paren` is just an (unknown) function
        let e = p("__paren(x=False)");
        assert_eq!(show(&e), "__paren(x=false)");
        // a character of several bytes is named and spanned whole
        let e = parse("pt > €3").unwrap_err();
        assert_eq!(e.message, "unexpected character '€'");
        assert_eq!((e.span.start, e.span.end), (5, 8));
    }
}
