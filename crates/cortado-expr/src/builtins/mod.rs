//! Built-in functions of the expression language: maths, per-event
//! reductions, collection operations, physics (ΔR, cleaning, dilepton), and
//! PocketCoffea's cut library and object functions (`get_nObj_min`,
//! `eventFlags`, `goldenJson`, `get_HLTsel`, `lepton_selection`,
//! `jet_selection`, `btagging`, `get_dilepton`, ...), which are rewritten
//! into ordinary expressions using the parameters.
//!
//! Key design decision: **a built-in is one value implementing [`Builtin`]**
//! — its names, its type rules, its evaluation and the fields it reads —
//! listed once in [`table`], like a [`crate::user::UserFunction`]. Adding
//! one is adding one type and one line in the table: the checker, the
//! evaluator and the planner's branch list all ask the trait, so a function
//! that type-checks cannot reach the event loop without its evaluation or
//! without the branches it reads.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use cortado_yaml::Node;

use crate::ast::{Expr, ExprKind, Span};
use crate::check::{CheckError, Checker, Func, TExpr, TKind};
use crate::eval::{Env, EvalError};
use crate::parser::{parse, strip_parens};
use crate::types::{Prim, Ty};
use crate::value::{Lit, Val};

mod colls;
mod combos;
mod cuts;
mod events;
mod fourvec;
mod golden;
mod maths;
mod physics;

pub(crate) use fourvec::p4_add;
pub use golden::{load_golden, parse_golden, LumiRanges};

pub(crate) type R<T> = Result<T, CheckError>;

/// A built-in function: its names, type rules, evaluation and the fields it
/// reads from its arguments' objects.
pub trait Builtin: Send + Sync + fmt::Debug {
    /// The names it is called by (aliases included).
    fn names(&self) -> &'static [&'static str];
    /// Checks a call (its arguments are not checked yet): argument types and
    /// constants, before any event is read. Returns the typed call — an
    /// instance of this function, configured by the call, in
    /// [`TKind::Call`] (made by `typed_call`) — or, for PocketCoffea's cut and
    /// object functions, the expression the call stands for.
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr>;
    /// Evaluates a checked call on the values of its arguments, for the
    /// events of a chunk (`ty`: the result type `check` gave).
    fn eval(&self, args: &[Val], ty: &Ty, env: &Env) -> Result<Val, EvalError> {
        let _ = (args, ty, env);
        Err(EvalError(format!(
            "internal error: {} is not evaluated",
            self.names().first().copied().unwrap_or("a built-in")
        )))
    }
    /// The fields it reads from the objects of its arguments, as (argument
    /// index, field): read from the files with the collections' counters.
    fn reads(&self, args: &[TExpr]) -> Vec<(usize, String)> {
        let _ = args;
        Vec::new()
    }
    /// The arguments whose objects make up the objects of its result
    /// (`concat`: all of them; `sort_by`: the first), so that fields read
    /// later from the result are read from their collections.
    fn passes_objects(&self, args: &[TExpr]) -> Vec<usize> {
        let _ = args;
        Vec::new()
    }
    /// For a function making tuples (`combinations`, `cartesian`): each
    /// member's name and the argument whose objects it holds, so that
    /// fields read later from a member are read from that argument's
    /// collections.
    fn members(&self, args: &[TExpr]) -> Vec<(String, usize)> {
        let _ = args;
        Vec::new()
    }
}

/// A checked call's function (compared and printed by its `Debug` form,
/// which includes how the call configured it).
#[derive(Clone)]
pub struct BuiltinFn(pub Arc<dyn Builtin>);

impl fmt::Debug for BuiltinFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for BuiltinFn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}

/// The typed call of built-in `f` on checked `args`.
pub(crate) fn typed_call(f: impl Builtin + 'static, ty: Ty, args: Vec<TExpr>, span: Span) -> TExpr {
    TExpr {
        ty,
        kind: TKind::Call(Func::Builtin(BuiltinFn(Arc::new(f))), args),
        span,
    }
}

/// Every built-in function, by name.
pub fn table() -> &'static BTreeMap<&'static str, Arc<dyn Builtin>> {
    static TABLE: OnceLock<BTreeMap<&'static str, Arc<dyn Builtin>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let all: Vec<Arc<dyn Builtin>> = [
            maths::all(),
            events::all(),
            colls::all(),
            physics::all(),
            fourvec::all(),
            combos::all(),
            cuts::all(),
            vec![Arc::new(golden::GoldenJson::default()) as Arc<dyn Builtin>],
        ]
        .concat();
        let mut t = BTreeMap::new();
        for b in all {
            for n in b.names() {
                let old = t.insert(*n, b.clone());
                assert!(old.is_none(), "built-in '{n}' defined twice");
            }
        }
        t
    })
}

/// Names of all built-in functions (for suggestions and documentation).
pub fn names() -> Vec<&'static str> {
    table().keys().copied().collect()
}

/// coffea's functions asked for and not there yet (their error says so).
const NOT_YET: &[&str] = &["argsort", "argcombinations", "argcartesian"];

/// Checks a call of a built-in (or of the analysis's Rust) function.
pub(crate) fn call(
    c: &mut Checker<'_>,
    name: &str,
    args: &[Expr],
    kwargs: &[(String, Expr)],
    span: Span,
) -> R<TExpr> {
    let builtin = table().get(name);
    if let Some(u) = c
        .registry
        .filter(|_| builtin.is_none())
        .and_then(|r| r.get(name))
    {
        return user_call(c, u, args, kwargs, span);
    }
    let a = Args {
        name: name.to_string(),
        pos: args.iter().collect(),
        kw: kwargs.iter().map(|(k, v)| (k.clone(), v)).collect(),
        span,
    };
    if let Some(b) = builtin {
        return b.check(c, &a);
    }
    let user = c.registry.map(|r| r.names()).unwrap_or_default();
    let mut e = CheckError::new(format!("unknown function '{name}'"), span)
        .suggest(name, names().into_iter().chain(user));
    let more = if NOT_YET.contains(&name) {
        "this function of coffea's is not in the expression language yet: the tuples of \
         combinations(C, n) and cartesian(A, B) hold their objects themselves, and sort_by, \
         argmin and argmax order and choose them; or write it in Rust as a UserFunction, \
         see docs/library-api.md"
    } else {
        "the functions are listed in docs/configuration.md, section Functions; one \
         written in Rust is registered as a UserFunction, see docs/library-api.md"
    };
    e.hint = Some(match e.hint.take() {
        Some(h) => format!("{h} {more}"),
        None => more.to_string(),
    });
    Err(e)
}

/// Arguments of a call, by position or keyword.
pub struct Args<'e> {
    /// The name it was called by.
    pub name: String,
    /// Positional arguments.
    pub pos: Vec<&'e Expr>,
    /// Keyword arguments.
    pub kw: Vec<(String, &'e Expr)>,
    /// Where the call is written.
    pub span: Span,
}

impl<'e> Args<'e> {
    /// Argument `i`, or keyword `key`, or `None`.
    pub fn get(&self, i: usize, key: &str) -> Option<&'e Expr> {
        self.pos
            .get(i)
            .copied()
            .or_else(|| self.kw.iter().find(|(k, _)| k == key).map(|(_, v)| *v))
    }

    /// Argument `i` or keyword `key`, which must be given.
    pub fn req(&self, i: usize, key: &str) -> R<&'e Expr> {
        self.get(i, key).ok_or_else(|| {
            CheckError::new(
                format!("{}() needs the argument '{key}'", self.name),
                self.span,
            )
        })
    }

    /// Errors on arguments beyond `allowed` (positional count and keyword names).
    pub fn only(&self, allowed: &[&str]) -> R<()> {
        if self.pos.len() > allowed.len() {
            return Err(CheckError::new(
                format!(
                    "{}() takes at most {} arguments ({}), {} given",
                    self.name,
                    allowed.len(),
                    allowed.join(", "),
                    self.pos.len()
                ),
                self.span,
            ));
        }
        for (k, v) in &self.kw {
            if !allowed.contains(&k.as_str()) {
                return Err(CheckError::new(
                    format!("{}() has no argument '{k}'", self.name),
                    v.span,
                )
                .suggest(k, allowed.iter().copied()));
            }
        }
        Ok(())
    }
}

/// A constant argument as text (a string, or a bare name: `coll=Muon`).
pub(crate) fn text_arg(c: &mut Checker<'_>, e: &Expr) -> R<String> {
    match &e.kind {
        ExprKind::Name(n) => Ok(n.clone()),
        ExprKind::Str(s) => Ok(s.clone()),
        _ => match c.check(e)?.kind {
            TKind::Str(s) => Ok(s),
            _ => Err(CheckError::new("expected a name or a string", e.span)),
        },
    }
}

pub(crate) fn num_arg(c: &mut Checker<'_>, e: &Expr) -> R<Option<f64>> {
    let t = c.check(e)?;
    match t.kind {
        TKind::Lit(Lit::Bool(_)) => Err(CheckError::new("expected a number", e.span)),
        TKind::Lit(l) => Ok(Some(l.f64())),
        TKind::Name(n) if n == "None" => Ok(None),
        _ => Err(CheckError::new("expected a constant number", e.span)),
    }
}

pub(crate) fn bool_arg(c: &mut Checker<'_>, e: Option<&Expr>, default: bool) -> R<bool> {
    match e {
        None => Ok(default),
        Some(e) => match c.check(e)?.kind {
            TKind::Lit(Lit::Bool(b)) => Ok(b),
            _ => Err(CheckError::new("expected True or False", e.span)),
        },
    }
}

pub(crate) fn str_list(c: &mut Checker<'_>, e: &Expr) -> R<Vec<String>> {
    match c.check(e)?.kind {
        TKind::List(items) => items
            .into_iter()
            .map(|i| match i.kind {
                TKind::Str(s) => Ok(s),
                _ => Err(CheckError::new("expected a list of strings", i.span)),
            })
            .collect(),
        TKind::Str(s) => Ok(vec![s]),
        _ => Err(CheckError::new("expected a list of strings", e.span)),
    }
}

/// A float constant written so that it parses back to the same value.
pub(crate) fn lit(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x:?}")
    }
}

/// Checks generated source text; errors point at the call.
pub(crate) fn expand(c: &mut Checker<'_>, what: &str, src: &str, span: Span) -> R<TExpr> {
    let e = parse(src).map_err(|e| {
        CheckError::new(
            format!(
                "{what}: internal expansion '{src}' does not parse: {}",
                e.message
            ),
            span,
        )
    })?;
    let e = relocate(strip_parens(e), span);
    c.check(&e).map_err(|mut err| {
        err.message = format!("{what} (expands to `{src}`): {}", err.message);
        err.span = span;
        err
    })
}

fn relocate(e: Expr, span: Span) -> Expr {
    let kind = match e.kind {
        ExprKind::Attr(x, f) => ExprKind::Attr(Box::new(relocate(*x, span)), f),
        ExprKind::Index(x, i) => {
            ExprKind::Index(Box::new(relocate(*x, span)), Box::new(relocate(*i, span)))
        }
        ExprKind::Slice(x, a, b) => ExprKind::Slice(Box::new(relocate(*x, span)), a, b),
        ExprKind::Call(n, a, k) => ExprKind::Call(
            n,
            a.into_iter().map(|x| relocate(x, span)).collect(),
            k.into_iter().map(|(n, v)| (n, relocate(v, span))).collect(),
        ),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(
            op,
            Box::new(relocate(*l, span)),
            Box::new(relocate(*r, span)),
        ),
        ExprKind::Unary(op, x) => ExprKind::Unary(op, Box::new(relocate(*x, span))),
        ExprKind::List(items) => {
            ExprKind::List(items.into_iter().map(|x| relocate(x, span)).collect())
        }
        k => k,
    };
    Expr::new(kind, span)
}

pub(crate) fn param<'n>(c: &Checker<'n>, path: &str, span: Span) -> R<&'n Node> {
    let Some(root) = c.params else {
        return Err(CheckError::new(
            format!("this function needs the analysis parameters ('{path}')"),
            span,
        ));
    };
    let n = root.lookup(path).map_err(|m| {
        CheckError::new(
            format!("this function needs the parameter '{path}', which is not set"),
            span,
        )
        .suggest(&m.key, m.known.iter().map(String::as_str))
    })?;
    if n.value == cortado_yaml::Value::Missing {
        return Err(CheckError::new(
            format!("the parameter '{path}' is mandatory (???) and not set"),
            span,
        ));
    }
    Ok(n)
}

/// The b-tagging discriminator and its cut at working point `wp` for `year`
/// (parameters `btagging.working_point`).
pub(crate) fn btag_wp(c: &Checker<'_>, year: &str, wp: &str, span: Span) -> R<(String, f64)> {
    let base = format!("btagging.working_point.{year}");
    let algo = param_str(c, &format!("{base}.btagging_algorithm"), span)?;
    let cut = param_f64(c, &format!("{base}.btagging_WP.{wp}"), span)?;
    Ok((algo, cut))
}

pub(crate) fn param_f64(c: &Checker<'_>, path: &str, span: Span) -> R<f64> {
    param(c, path, span)?
        .as_f64()
        .map_err(|e| CheckError::new(format!("parameter '{path}': {}", e.message), span))
}

pub(crate) fn param_str(c: &Checker<'_>, path: &str, span: Span) -> R<String> {
    param(c, path, span)?
        .as_text()
        .map_err(|e| CheckError::new(format!("parameter '{path}': {}", e.message), span))
}

/// Checks a call of a function of the analysis's Rust code.
fn user_call(
    c: &mut Checker<'_>,
    u: crate::user::UserFn,
    args: &[Expr],
    kwargs: &[(String, Expr)],
    span: Span,
) -> R<TExpr> {
    if let Some((k, _)) = kwargs.first() {
        return Err(CheckError::new(
            format!("{}(): keyword arguments ('{k}=') are not supported for Rust functions; pass it by position", u.0),
            span,
        ));
    }
    let targs = args.iter().map(|a| c.check(a)).collect::<R<Vec<_>>>()?;
    let tys: Vec<Ty> = targs.iter().map(|a| a.ty.clone()).collect();
    let ty =
        u.1.signature(&tys, c.schema)
            .map_err(|m| CheckError::new(format!("{}(): {m}", u.0), span))?;
    Ok(TExpr {
        ty,
        kind: TKind::Call(Func::User(u), targs),
        span,
    })
}

pub(crate) fn bool_like(e: &TExpr) -> TExpr {
    let ty = match &e.ty {
        Ty::Lit(_) => Ty::Lit(Prim::Bool),
        Ty::Event(_) => Ty::Event(Prim::Bool),
        Ty::Opt(_) => Ty::Opt(Prim::Bool),
        Ty::Obj(_, c) => Ty::Obj(Prim::Bool, *c),
        t => t.clone(),
    };
    TExpr {
        ty,
        kind: TKind::Lit(Lit::Bool(true)),
        span: e.span,
    }
}

pub(crate) fn same_shape(t: &Ty, p: Prim) -> Ty {
    match t {
        Ty::Lit(_) => Ty::Lit(p),
        Ty::Event(_) => Ty::Event(p),
        Ty::Opt(_) => Ty::Opt(p),
        Ty::Obj(_, c) => Ty::Obj(p, *c),
        other => other.clone(),
    }
}

/// Shape of a kinematic function of two things with eta/phi.
pub(crate) fn kin_shape(c: &Checker<'_>, x: &TExpr, y: &TExpr, span: Span) -> R<Ty> {
    match (&x.ty, &y.ty) {
        (Ty::Coll(a), Ty::Coll(b)) if c.schema.same_objects(*a, *b) => {
            Ok(Ty::Obj(Prim::F32, c.schema.root(*a)))
        }
        // per object against one thing per event (a record such as MET,
        // or a single object: NaN for the objects of events without it)
        (Ty::Coll(a), Ty::Rec(_) | Ty::OptObj(_)) | (Ty::Rec(_) | Ty::OptObj(_), Ty::Coll(a)) => {
            Ok(Ty::Obj(Prim::F32, c.schema.root(*a)))
        }
        (Ty::OptObj(_), Ty::OptObj(_) | Ty::Rec(_)) | (Ty::Rec(_), Ty::OptObj(_)) => {
            Ok(Ty::Opt(Prim::F32))
        }
        (Ty::Rec(_), Ty::Rec(_)) => Ok(Ty::Event(Prim::F32)),
        _ => Err(CheckError::new(
            format!(
                "needs two objects of the same collection (or of the same tuples), or objects and \
                 one object or record per event; got {} and {}",
                c.schema.describe(&x.ty),
                c.schema.describe(&y.ty)
            ),
            span,
        )),
    }
}

pub(crate) fn need_fields(c: &Checker<'_>, v: &TExpr, fields: &[&str]) -> R<()> {
    let have = match &v.ty {
        Ty::Coll(id) | Ty::OptObj(id) => &c.schema.colls[*id].fields,
        Ty::Rec(id) => &c.schema.recs[*id].fields,
        _ => return Err(CheckError::new("expected objects", v.span)),
    };
    for f in fields {
        if !have.contains_key(*f) {
            return Err(CheckError::new(
                format!("{} has no field '{f}'", c.schema.describe(&v.ty)),
                v.span,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_round_trip() {
        for x in [0.06, 2.4, 15.0, 1.566, 0.2783, 1e20, -3.5] {
            assert_eq!(lit(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn every_builtin_is_listed_once_under_each_of_its_names() {
        let t = table();
        for (name, b) in t {
            assert!(b.names().contains(name), "{name}");
        }
        for n in [
            "sqrt", "min", "max", "sum", "count", "concat", "sort_by", "delta_r",
        ] {
            assert!(t.contains_key(n), "{n}");
        }
        assert!(t.len() >= 60, "{} names", t.len());
    }
}
