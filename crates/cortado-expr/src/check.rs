//! Type checking: a parsed expression becomes a typed expression ([`TExpr`])
//! against a [`Schema`], or an error that points at the offending part and
//! suggests the closest valid name.

use cortado_yaml::{Node, Value};

use crate::ast::{BinOp, Expr, ExprKind, Span, UnOp};
use crate::builtins;
pub(crate) use crate::operators::promote;
use crate::operators::{shape_of, with_shape};
use crate::types::{CollId, Prim, Schema, Ty};
use crate::value::Lit;

/// A type error (or an unknown name), with its place in the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckError {
    /// What is wrong.
    pub message: String,
    /// Where in the expression.
    pub span: Span,
    /// Suggestions or hints.
    pub hint: Option<String>,
}

impl CheckError {
    /// A new error.
    pub fn new(message: impl Into<String>, span: Span) -> CheckError {
        CheckError {
            message: message.into(),
            span,
            hint: None,
        }
    }

    /// Adds "did you mean" suggestions.
    pub fn suggest<'a>(
        mut self,
        name: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> CheckError {
        let known: Vec<&str> = known.into_iter().collect();
        let c = cortado_yaml::closest(name, known.iter().copied(), 3);
        if !c.is_empty() {
            let q: Vec<String> = c.iter().map(|s| format!("'{s}'")).collect();
            self.hint = Some(format!("did you mean {}?", q.join(", ")));
        } else if !known.is_empty() && known.len() <= 15 {
            let q: Vec<String> = known.iter().map(|s| format!("'{s}'")).collect();
            self.hint = Some(format!("known: {}", q.join(", ")));
        }
        self
    }
}

/// The function of a checked call.
#[derive(Clone, Debug, PartialEq)]
pub enum Func {
    /// A built-in function, configured by the call ([`crate::builtins::Builtin`]).
    Builtin(crate::builtins::BuiltinFn),
    /// A function written in Rust by the analyst.
    User(crate::user::UserFn),
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct TExpr {
    /// Its type.
    pub ty: Ty,
    /// What it computes.
    pub kind: TKind,
    /// Where it was written.
    pub span: Span,
}

impl TExpr {
    /// Its direct sub-expressions, in order (for walks over an expression:
    /// the branches it reads, the names it depends on).
    pub fn children(&self) -> Vec<&TExpr> {
        match &self.kind {
            TKind::List(items) => items.iter().collect(),
            TKind::Field(x, _)
            | TKind::RecField(x, _)
            | TKind::Unary(_, x)
            | TKind::Cast(_, x)
            | TKind::Slice(x, _, _)
            | TKind::Pick(x, _)
            | TKind::PickValue(x, _)
            | TKind::Member(x, _) => vec![x],
            TKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            TKind::Select(x, m) => vec![x, m],
            TKind::Call(_, args) => args.iter().collect(),
            TKind::Lit(_)
            | TKind::Str(_)
            | TKind::Branch(_)
            | TKind::JaggedBranch(_, _)
            | TKind::Name(_) => Vec::new(),
        }
    }
}

/// The kinds of typed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum TKind {
    /// A constant.
    Lit(Lit),
    /// A string constant.
    Str(String),
    /// A list of constants.
    List(Vec<TExpr>),
    /// An event-level branch of the input.
    Branch(String),
    /// A jagged branch of the input used by its full name.
    JaggedBranch(String, CollId),
    /// A named value: a defined variable or collection, or a NanoAOD collection/record.
    Name(String),
    /// A field of a collection (per object) or of a single optional object.
    Field(Box<TExpr>, String),
    /// A field of a record.
    RecField(Box<TExpr>, String),
    /// A member of a collection of tuples (`pairs.0`, `trijet.j1`), or of
    /// one optional tuple: a view of the member objects, one per tuple.
    Member(Box<TExpr>, String),
    /// Unary operation.
    Unary(UnOp, Box<TExpr>),
    /// Binary operation; operands are converted to `operand` first.
    Binary {
        /// The operator.
        op: BinOp,
        /// The type both operands are converted to.
        operand: Prim,
        /// Left operand.
        lhs: Box<TExpr>,
        /// Right operand.
        rhs: Box<TExpr>,
    },
    /// Conversion of the element type.
    Cast(Prim, Box<TExpr>),
    /// `C[mask]`
    Select(Box<TExpr>, Box<TExpr>),
    /// `C[a:b]` (also on object values).
    Slice(Box<TExpr>, Option<i64>, Option<i64>),
    /// `C[i]` → one optional object.
    Pick(Box<TExpr>, i64),
    /// `values[i]` → one optional value.
    PickValue(Box<TExpr>, i64),
    /// A built-in function.
    Call(Func, Vec<TExpr>),
}

/// Facts about the dataset being processed, which some built-ins need.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// Data-taking year (`2018`).
    pub year: String,
    /// Simulation or data.
    pub is_mc: bool,
    /// Primary dataset of data (`SingleMuon`).
    pub primary_dataset: Option<String>,
    /// Sample name.
    pub sample: String,
}

/// What an expression is checked against.
pub struct Checker<'a> {
    /// The names that exist (new collection types are added while checking).
    pub schema: &'a mut Schema,
    /// The resolved analysis parameters, for `${...}` and the built-ins.
    pub params: Option<&'a Node>,
    /// The parameters of the cut being checked, for `params.x`.
    pub cut_params: Option<&'a Node>,
    /// The dataset.
    pub meta: &'a Meta,
    /// Functions added by the analyst.
    pub registry: Option<&'a crate::user::Registry>,
}

type R<T> = Result<T, CheckError>;

impl<'a> Checker<'a> {
    /// A checker against `schema` for `meta`'s dataset, without analysis
    /// parameters or Rust functions (tests, tools).
    pub fn new(schema: &'a mut Schema, meta: &'a Meta) -> Checker<'a> {
        Checker {
            schema,
            params: None,
            cut_params: None,
            meta,
            registry: None,
        }
    }

    /// Checks an expression.
    pub fn check(&mut self, e: &Expr) -> R<TExpr> {
        let span = e.span;
        let t = |ty, kind| TExpr { ty, kind, span };
        match &e.kind {
            ExprKind::Int(i) => Ok(t(Ty::Lit(Prim::Int), TKind::Lit(Lit::Int(*i)))),
            ExprKind::Float(f) => Ok(t(Ty::Lit(Prim::F64), TKind::Lit(Lit::F64(*f)))),
            ExprKind::Bool(b) => Ok(t(Ty::Lit(Prim::Bool), TKind::Lit(Lit::Bool(*b)))),
            ExprKind::Str(s) => Ok(t(Ty::Str, TKind::Str(s.clone()))),
            ExprKind::List(items) => {
                let items = items.iter().map(|i| self.check(i)).collect::<R<Vec<_>>>()?;
                if let Some(bad) = items.iter().find(|i| !matches!(i.ty, Ty::Lit(_) | Ty::Str)) {
                    return Err(CheckError::new("lists may only hold constants", bad.span));
                }
                Ok(t(Ty::List, TKind::List(items)))
            }
            ExprKind::Param(path) => self.param(path, span),
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Attr(x, field) => self.attr(x, field, span),
            ExprKind::Index(x, i) => self.index(x, i, span),
            ExprKind::Slice(x, a, b) => {
                let x = self.check(x)?;
                match x.ty {
                    Ty::Coll(c) => {
                        let id = self.derived(c, "slice");
                        Ok(t(Ty::Coll(id), TKind::Slice(Box::new(x), *a, *b)))
                    }
                    _ => Err(CheckError::new(
                        format!(
                            "only collections can be sliced, this is {}",
                            self.schema.describe(&x.ty)
                        ),
                        span,
                    )),
                }
            }
            ExprKind::Unary(op, x) => {
                let x = self.check(x)?;
                let p = x.ty.prim().ok_or_else(|| self.not_value(&x))?;
                let s = shape_of(&x.ty).expect("value");
                match op {
                    UnOp::Not => {
                        if p != Prim::Bool {
                            return Err(CheckError::new(
                                format!(
                                    "'not' needs booleans, this is {}",
                                    self.schema.describe(&x.ty)
                                ),
                                span,
                            ));
                        }
                        if let TKind::Lit(Lit::Bool(b)) = x.kind {
                            return Ok(t(Ty::Lit(Prim::Bool), TKind::Lit(Lit::Bool(!b))));
                        }
                        Ok(t(
                            with_shape(s, Prim::Bool),
                            TKind::Unary(UnOp::Not, Box::new(x)),
                        ))
                    }
                    UnOp::Neg => {
                        let p = if p == Prim::Bool { Prim::Int } else { p };
                        Ok(t(with_shape(s, p), TKind::Unary(UnOp::Neg, Box::new(x))))
                    }
                }
            }
            ExprKind::Binary(op, l, r) => {
                let l = self.check(l)?;
                let r = self.check(r)?;
                self.binary(*op, l, r, span)
            }
            ExprKind::Call(name, args, kwargs) => {
                if let (crate::parser::PAREN, [x]) = (name.as_str(), args.as_slice()) {
                    return self.check(x);
                }
                builtins::call(self, name, args, kwargs, span)
            }
        }
    }

    pub(crate) fn not_value(&self, x: &TExpr) -> CheckError {
        CheckError::new(
            format!("expected values, found {}", self.schema.describe(&x.ty)),
            x.span,
        )
    }

    /// A new collection type with the fields (and tuple members) of
    /// `from`: some of its objects, or its objects in another order.
    pub(crate) fn derived(&mut self, from: CollId, how: &str) -> CollId {
        let info = self.schema.colls[from].clone();
        let name = if how.is_empty() {
            info.name.clone()
        } else {
            format!("{}[{how}]", info.name)
        };
        self.schema.add_coll_info(crate::types::CollInfo {
            name,
            fields: info.fields,
            members: info.members,
            view_of: None,
        })
    }

    fn param(&self, path: &str, span: Span) -> R<TExpr> {
        let Some(params) = self.params else {
            return Err(CheckError::new(
                format!("'${{{path}}}': no parameters are available here"),
                span,
            ));
        };
        let n = params.lookup(path).map_err(|m| {
            CheckError::new(
                format!(
                    "parameter '{path}' not found: {}",
                    m.describe("the parameters")
                ),
                span,
            )
            .suggest(&m.key, m.known.iter().map(String::as_str))
        })?;
        node_to_const(n, span)
            .map_err(|m| CheckError::new(format!("parameter '{path}': {m}"), span))
    }

    fn name(&mut self, n: &str, span: Span) -> R<TExpr> {
        let t = |ty, kind| TExpr { ty, kind, span };
        if n == "params" {
            return Err(CheckError::new(
                "'params' must be followed by a field: params.<name>",
                span,
            ));
        }
        if let Some(ty) = self.schema.names.get(n) {
            return Ok(t(ty.clone(), TKind::Name(n.to_string())));
        }
        if let Some(p) = self.schema.branches.get(n) {
            return Ok(t(Ty::Event(*p), TKind::Branch(n.to_string())));
        }
        // A plain jagged array (PSWeight), values per entry.
        if let Some((p, id)) = self.schema.plain_array(n) {
            return Ok(t(Ty::Obj(p, id), TKind::JaggedBranch(n.to_string(), id)));
        }
        // A jagged branch by its full name (Muon_pt).
        for (id, info) in self.schema.colls.iter().enumerate() {
            if let Some((_, prefix)) = self.schema.base.get(&id) {
                if let Some(field) = n.strip_prefix(&format!("{prefix}_")) {
                    if let Some(p) = info.fields.get(field) {
                        return Ok(t(Ty::Obj(*p, id), TKind::JaggedBranch(n.to_string(), id)));
                    }
                }
            }
        }
        Err(CheckError::new(format!("unknown name '{n}'"), span)
            .suggest(n, self.schema.all_names()))
    }

    fn attr(&mut self, x: &Expr, field: &str, span: Span) -> R<TExpr> {
        // params.<path> (cut parameters)
        if let Some(path) = params_path(x, field) {
            let Some(cp) = self.cut_params else {
                return Err(CheckError::new("'params' refers to the parameters of a cut, and this cut has none (use ${...} for analysis parameters)", span));
            };
            let mut n = cp;
            for part in path.split('.') {
                n = n.get(part).ok_or_else(|| {
                    CheckError::new(format!("the cut has no parameter '{path}'"), span)
                        .suggest(part, n.keys())
                })?;
            }
            return node_to_const(n, span).map_err(|m| CheckError::new(m, span));
        }
        let x = self.check(x)?;
        self.attr_on(x, field, span)
    }

    fn index(&mut self, x: &Expr, i: &Expr, span: Span) -> R<TExpr> {
        let x = self.check(x)?;
        let i = self.check(i)?;
        let t = |ty, kind| TExpr { ty, kind, span };
        match (&x.ty, &i.ty, &i.kind) {
            // C["pt"] / C[${...id}]: a field by name
            (Ty::Coll(_) | Ty::OptObj(_) | Ty::Rec(_), Ty::Str, TKind::Str(name)) => {
                let name = name.clone();
                self.attr_on(x, &name, span)
            }
            (Ty::Coll(c), Ty::Lit(Prim::Int), TKind::Lit(Lit::Int(k))) => {
                let c = *c;
                Ok(t(Ty::OptObj(c), TKind::Pick(Box::new(x), *k)))
            }
            (Ty::Obj(p, _), Ty::Lit(Prim::Int), TKind::Lit(Lit::Int(k))) => Ok(t(Ty::Opt(*p), TKind::PickValue(Box::new(x.clone()), *k))),
            (Ty::Coll(c), Ty::Obj(Prim::Bool, m), _) if self.schema.same_objects(*c, *m) => {
                let id = self.derived(*c, "");
                Ok(t(Ty::Coll(id), TKind::Select(Box::new(x), Box::new(i))))
            }
            (Ty::Coll(c), Ty::Obj(Prim::Bool, m), _) => Err(CheckError::new(
                format!(
                    "the mask is made from {} and cannot select objects of {}: build the mask from the same collection",
                    self.schema.colls[*m].name, self.schema.colls[*c].name
                ),
                i.span,
            )),
            (Ty::Coll(_), _, _) => Err(CheckError::new(
                format!("a collection is indexed by an object mask, an integer or a field name; this is {}", self.schema.describe(&i.ty)),
                i.span,
            )),
            _ => Err(CheckError::new(format!("{} cannot be indexed", self.schema.describe(&x.ty)), x.span)),
        }
    }

    /// Field access on an already checked value.
    pub(crate) fn attr_on(&mut self, x: TExpr, field: &str, span: Span) -> R<TExpr> {
        let t = |ty, kind| TExpr { ty, kind, span };
        match &x.ty {
            Ty::Coll(c) | Ty::OptObj(c) => {
                let c = *c;
                if let Some(&m) = self.schema.colls[c].members.get(field) {
                    return Ok(self.member(x, c, m, field, span));
                }
                let Some(p) = self.schema.colls[c].fields.get(field).copied() else {
                    let info = &self.schema.colls[c];
                    let known = info.fields.keys().chain(info.members.keys());
                    let mut e = CheckError::new(
                        format!("collection {} has no field '{field}'", info.name),
                        span,
                    )
                    .suggest(field, known.map(String::as_str));
                    if let Some(name) = self.schema.field_added_later(c, field) {
                        e.hint = Some(format!(
                            "'{name}.{field}' is defined after these objects were taken from \
                             {name}: define it first"
                        ));
                    }
                    return Err(e);
                };
                let ty = if matches!(x.ty, Ty::Coll(_)) {
                    Ty::Obj(p, self.schema.root(c))
                } else {
                    Ty::Opt(p)
                };
                Ok(t(ty, TKind::Field(Box::new(x), field.to_string())))
            }
            Ty::Rec(r) => {
                let info = &self.schema.recs[*r];
                let Some(p) = info.fields.get(field).copied() else {
                    return Err(CheckError::new(
                        format!("{} has no field '{field}'", info.name),
                        span,
                    )
                    .suggest(field, info.fields.keys().map(String::as_str)));
                };
                Ok(t(
                    Ty::Event(p),
                    TKind::RecField(Box::new(x), field.to_string()),
                ))
            }
            other => Err(CheckError::new(
                format!("'.{field}': {} has no fields", self.schema.describe(other)),
                span,
            )),
        }
    }

    /// Member `name` (objects of collection type `of`) of the tuples `x`
    /// (of collection type `c`): a view of the member objects, one per
    /// tuple, whose values per object are values per tuple.
    fn member(&mut self, x: TExpr, c: CollId, of: CollId, name: &str, span: Span) -> TExpr {
        let member = self.schema.colls[of].clone();
        let view = self.schema.add_coll_info(crate::types::CollInfo {
            name: format!("{}.{name}", self.schema.colls[c].name),
            fields: member.fields,
            members: member.members,
            view_of: Some(self.schema.root(c)),
        });
        let ty = match x.ty {
            Ty::Coll(_) => Ty::Coll(view),
            _ => Ty::OptObj(view),
        };
        TExpr {
            ty,
            kind: TKind::Member(Box::new(x), name.to_string()),
            span,
        }
    }
}

fn params_path(x: &Expr, field: &str) -> Option<String> {
    match &x.kind {
        ExprKind::Name(n) if n == "params" => Some(field.to_string()),
        ExprKind::Attr(inner, f) => params_path(inner, f).map(|p| format!("{p}.{field}")),
        _ => None,
    }
}

/// A parameter value as a constant of the expression language.
pub(crate) fn node_to_const(n: &Node, span: Span) -> Result<TExpr, String> {
    let t = |ty, kind| TExpr { ty, kind, span };
    Ok(match &n.value {
        Value::Int(i) => t(Ty::Lit(Prim::Int), TKind::Lit(Lit::Int(*i))),
        Value::Float(f) => t(Ty::Lit(Prim::F64), TKind::Lit(Lit::F64(*f))),
        Value::Bool(b) => t(Ty::Lit(Prim::Bool), TKind::Lit(Lit::Bool(*b))),
        Value::Str(s) => t(Ty::Str, TKind::Str(s.clone())),
        Value::Seq(items) => t(
            Ty::List,
            TKind::List(
                items
                    .iter()
                    .map(|i| node_to_const(i, span))
                    .collect::<Result<_, _>>()?,
            ),
        ),
        Value::Null => return Err("the value is null".into()),
        Value::Missing => return Err("the value is mandatory (???) and not set".into()),
        Value::Map(_) => {
            return Err(format!(
                "the value is a mapping (keys: {}), not a number or string",
                n.keys().join(", ")
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn schema() -> Schema {
        let b = |n: &str, p, c: Option<&str>| (n.to_string(), p, c.map(String::from));
        Schema::from_branches(&[
            b("nMuon", Prim::Int, None),
            b("Muon_pt", Prim::F32, Some("nMuon")),
            b("Muon_eta", Prim::F32, Some("nMuon")),
            b("Muon_charge", Prim::Int, Some("nMuon")),
            b("Muon_tightId", Prim::Bool, Some("nMuon")),
            b("nJet", Prim::Int, None),
            b("Jet_pt", Prim::F32, Some("nJet")),
            b("MET_pt", Prim::F32, None),
            b("genWeight", Prim::F32, None),
        ])
    }

    fn ty(src: &str) -> Result<Ty, String> {
        let mut s = schema();
        let meta = Meta::default();
        let mut c = Checker::new(&mut s, &meta);
        c.check(&parse(src).unwrap())
            .map(|t| t.ty)
            .map_err(|e| format!("{} {:?}", e.message, e.hint))
    }

    #[test]
    fn numpy_casting() {
        let muon = |p| Ty::Obj(p, 0);
        assert_eq!(ty("Muon.pt > 15").unwrap(), muon(Prim::Bool));
        assert_eq!(ty("Muon.pt * 2.5").unwrap(), muon(Prim::F32));
        assert_eq!(ty("Muon.pt + Muon.charge").unwrap(), muon(Prim::F64));
        assert_eq!(ty("Muon.charge / 2").unwrap(), muon(Prim::F64));
        assert_eq!(ty("genWeight * 2").unwrap(), Ty::Event(Prim::F32));
        assert_eq!(ty("Muon.pt > MET.pt").unwrap(), muon(Prim::Bool));
        assert_eq!(ty("1 + 2").unwrap(), Ty::Lit(Prim::Int));
        assert_eq!(
            ty("nMuon >= 2 and MET.pt > 20").unwrap(),
            Ty::Event(Prim::Bool)
        );
    }

    #[test]
    fn errors_name_and_suggest() {
        let e = ty("Muon.ptt > 3").unwrap_err();
        assert!(e.contains("no field 'ptt'") && e.contains("'pt'"), "{e}");
        let e = ty("Muonn.pt").unwrap_err();
        assert!(
            e.contains("unknown name 'Muonn'") && e.contains("Muon"),
            "{e}"
        );
        let e = ty("Muon.pt + Jet.pt").unwrap_err();
        assert!(e.contains("different numbers of objects"), "{e}");
        let e = ty("Muon.pt and nMuon").unwrap_err();
        assert!(e.contains("needs booleans"), "{e}");
        let e = ty("Muon[Jet.pt > 3]").unwrap_err();
        assert!(e.contains("cannot select objects of Muon"), "{e}");
        // the parser's parenthesis marker cannot be written (found by fuzzing: a panic)
        let e = ty("__paren(cgascing=False)").unwrap_err();
        assert!(e.contains("unknown function '__paren'"), "{e}");
        assert!(ty("__paren()").is_err());
    }

    #[test]
    fn collections_and_fields() {
        assert!(matches!(ty("Muon[Muon.pt > 20]").unwrap(), Ty::Coll(_)));
        assert_eq!(ty("Muon[0].pt").unwrap(), Ty::Opt(Prim::F32));
        assert!(matches!(ty("Muon[:2]").unwrap(), Ty::Coll(_)));
        assert_eq!(ty("Muon_pt").unwrap(), Ty::Obj(Prim::F32, 0));
        assert_eq!(ty("Muon['tightId']").unwrap(), Ty::Obj(Prim::Bool, 0));
    }
}
