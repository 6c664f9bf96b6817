//! From a JSON document to checked corrections (correctionlib schema v2):
//! the document's structure, the variables, corrections and compound
//! corrections. Content nodes are built in [`crate::build`].
//!
//! Everything that correctionlib would only find while evaluating (an input
//! name that does not exist, a formula with too few parameters, a compound
//! correction whose component lacks an input) is an error here, when the file
//! is loaded, naming the place in the document.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use crate::build::CorrCtx;
use crate::compound::{CompoundCorrection, UpdateOp};
use crate::correction::Correction;
use crate::error::{Error, Result};
use crate::formula::Expr;
use crate::json::{Json, Object};
use crate::nodes::Bound;

/// The type of an input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// A double.
    Real,
    /// A 64-bit integer.
    Int,
    /// A string.
    String,
}

impl VarType {
    /// correctionlib's name of the type: "real", "int" or "string".
    pub fn name(self) -> &'static str {
        match self {
            VarType::Real => "real",
            VarType::Int => "int",
            VarType::String => "string",
        }
    }
}

/// An input or the output of a correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: VarType,
    /// Its description (empty if none).
    pub description: String,
}

/// A document's description, corrections and compound corrections.
pub(crate) type Document = (String, Vec<Arc<Correction>>, Vec<Arc<CompoundCorrection>>);

/// Builds corrections from a document, keeping the place it is at for
/// error messages and the formulas already compiled (by expression).
pub(crate) struct Builder<'a> {
    pub origin: &'a str,
    path: String,
    exprs: HashMap<String, Arc<Expr>, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(origin: &'a str) -> Self {
        Builder {
            origin,
            path: String::new(),
            exprs: HashMap::default(),
        }
    }

    /// An error at the current place.
    pub(crate) fn err(&self, message: impl Into<String>) -> Error {
        Error::Schema {
            origin: self.origin.to_string(),
            at: match self.path.trim_end_matches(": ") {
                "" => "top level".to_string(),
                p => p.to_string(),
            },
            message: message.into(),
        }
    }

    /// Runs `f` one step deeper in the document (`seg` appended to the place).
    pub(crate) fn at<T>(
        &mut self,
        seg: std::fmt::Arguments,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let len = self.path.len();
        let _ = self.path.write_fmt(seg);
        // "corrections[0] 'c': data", not "corrections[0] 'c': .data"
        if self.path[..len].ends_with(": ") && self.path[len..].starts_with('.') {
            self.path.remove(len);
        }
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// The compiled formula of an expression (compiled once per file).
    pub(crate) fn expr(&mut self, text: &str) -> Result<Arc<Expr>> {
        if let Some(e) = self.exprs.get(text) {
            return Ok(e.clone());
        }
        let e = Arc::new(
            Expr::parse(text)
                .map_err(|e| self.err(format!("formula \"{}\": {e}", clip(text, 200))))?,
        );
        self.exprs.insert(text.to_string(), e.clone());
        Ok(e)
    }

    /// The member `key` of `o`, which must be there.
    pub(crate) fn req<'j, 't>(&self, o: &'j Object<'t>, key: &str) -> Result<&'j Json<'t>> {
        o.get(key)
            .ok_or_else(|| self.err(format!("missing the field '{key}'")))
    }

    pub(crate) fn req_str<'j>(&self, o: &'j Object<'_>, key: &str) -> Result<&'j str> {
        match self.req(o, key)? {
            Json::Str(s) => Ok(&**s),
            other => Err(self.err(format!("'{key}' must be a string, not {}", other.kind()))),
        }
    }

    pub(crate) fn req_arr<'j, 't>(&self, o: &'j Object<'t>, key: &str) -> Result<&'j [Json<'t>]> {
        match self.req(o, key)? {
            Json::Arr(a) => Ok(a),
            other => Err(self.err(format!("'{key}' must be an array, not {}", other.kind()))),
        }
    }

    /// An optional string member (absent or null: empty).
    pub(crate) fn opt_str(&self, o: &Object, key: &str) -> Result<String> {
        match o.get(key) {
            None | Some(Json::Null) => Ok(String::new()),
            Some(Json::Str(s)) => Ok(s.to_string()),
            Some(other) => Err(self.err(format!(
                "'{key}' must be a string or null, not {}",
                other.kind()
            ))),
        }
    }

    /// An integer member.
    pub(crate) fn req_int(&self, o: &Object, key: &str) -> Result<i64> {
        match self.req(o, key)? {
            Json::Num(n) if n.int.is_some() => Ok(n.int.unwrap_or(0)),
            other => Err(self.err(format!("'{key}' must be an integer, not {}", other.kind()))),
        }
    }

    /// A number.
    pub(crate) fn number(&self, j: &Json, what: &str) -> Result<f64> {
        match j {
            Json::Num(n) => Ok(n.f),
            other => Err(self.err(format!("{what} must be a number, not {}", other.kind()))),
        }
    }

    /// An array of strings.
    pub(crate) fn strings<'j>(&self, o: &'j Object<'_>, key: &str) -> Result<Vec<&'j str>> {
        self.req_arr(o, key)?
            .iter()
            .map(|j| match j {
                Json::Str(s) => Ok(&**s),
                other => Err(self.err(format!("'{key}' must hold strings, not {}", other.kind()))),
            })
            .collect()
    }

    /// An object.
    pub(crate) fn object<'j, 't>(&self, j: &'j Json<'t>, what: &str) -> Result<&'j Object<'t>> {
        match j {
            Json::Obj(o) => Ok(o),
            other => Err(self.err(format!("{what} must be an object, not {}", other.kind()))),
        }
    }

    fn variable(&self, j: &Json) -> Result<Variable> {
        let o = self.object(j, "a variable")?;
        let name = self.req_str(o, "name")?.to_string();
        let kind = match self.req_str(o, "type")? {
            "real" => VarType::Real,
            "int" => VarType::Int,
            "string" => VarType::String,
            other => {
                return Err(self.err(format!(
                    "variable '{name}': unknown type \"{other}\" (real, int or string)"
                )))
            }
        };
        Ok(Variable {
            name,
            kind,
            description: self.opt_str(o, "description")?,
        })
    }

    fn inputs_and_output(&mut self, o: &Object) -> Result<(Vec<Variable>, Variable)> {
        let inputs = self.at(format_args!(".inputs"), |b| {
            let arr = b.req_arr(o, "inputs")?;
            arr.iter()
                .map(|j| b.variable(j))
                .collect::<Result<Vec<_>>>()
        })?;
        let output = self.at(format_args!(".output"), |b| b.variable(b.req(o, "output")?))?;
        if output.kind != VarType::Real {
            return Err(self.err(format!(
                "the output '{}' is {}: correctionlib outputs are real",
                output.name,
                output.kind.name()
            )));
        }
        Ok((inputs, output))
    }

    /// One correction.
    fn correction(&mut self, j: &Json, origin: &Arc<str>) -> Result<Correction> {
        let o = self.object(j, "a correction")?;
        let name = self.req_str(o, "name")?.to_string();
        let _ = write!(self.path, " '{name}': ");
        let description = self.opt_str(o, "description")?;
        let version = self.req_int(o, "version")?;
        let (inputs, output) = self.inputs_and_output(o)?;
        let generic = match o.get("generic_formulas") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Arr(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let g = self.at(format_args!(".generic_formulas[{i}]"), |b| {
                        let fo = b.object(item, "a generic formula")?;
                        b.bound_formula(fo, &inputs)
                    })?;
                    out.push(Arc::new(g.0));
                }
                out
            }
            Some(other) => {
                return Err(self.err(format!(
                    "'generic_formulas' must be an array, not {}",
                    other.kind()
                )))
            }
        };
        let ctx = CorrCtx {
            inputs: &inputs,
            generic: &generic,
        };
        let data = self.at(format_args!(".data"), |b| {
            b.content(b.req(o, "data")?, &ctx, 0)
        })?;
        Ok(Correction::new(
            name,
            description,
            version,
            inputs,
            output,
            data,
            origin.clone(),
        ))
    }

    /// A formula object's compiled expression and variables, and its
    /// parameters (empty when absent or null).
    pub(crate) fn bound_formula(
        &mut self,
        o: &Object,
        inputs: &[Variable],
    ) -> Result<(Bound, Vec<f64>)> {
        let parser = self.req_str(o, "parser")?;
        if parser != "TFormula" {
            return Err(self.err(format!(
                "formula parser \"{parser}\" is not supported (only \"TFormula\", as in correctionlib)"
            )));
        }
        let text = self.req_str(o, "expression")?;
        let expr = self.expr(text)?;
        let mut vars = Vec::new();
        for name in self.strings(o, "variables")? {
            let idx = crate::build::input_index(self, name, inputs)?;
            if inputs[idx].kind != VarType::Real {
                return Err(self.err(format!(
                    "formula variable '{name}' is {}: formulas take real inputs only",
                    inputs[idx].kind.name()
                )));
            }
            vars.push(idx);
        }
        if expr.n_vars > vars.len() {
            return Err(self.err(format!(
                "formula \"{}\" uses {} variables but 'variables' lists {}",
                clip(text, 200),
                expr.n_vars,
                vars.len()
            )));
        }
        let params = match o.get("parameters") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Arr(a)) => a
                .iter()
                .map(|j| self.number(j, "a parameter"))
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(self.err(format!(
                    "'parameters' must be an array of numbers, not {}",
                    other.kind()
                )))
            }
        };
        Ok((
            Bound {
                expr,
                vars: vars.into(),
            },
            params,
        ))
    }

    /// One compound correction (its components already built).
    fn compound(
        &mut self,
        j: &Json,
        corrections: &[Arc<Correction>],
        origin: &Arc<str>,
    ) -> Result<CompoundCorrection> {
        let o = self.object(j, "a compound correction")?;
        let name = self.req_str(o, "name")?.to_string();
        let _ = write!(self.path, " '{name}': ");
        let description = self.opt_str(o, "description")?;
        let (inputs, output) = self.inputs_and_output(o)?;
        let find = |b: &Self, n: &str, what: &str| {
            inputs.iter().position(|v| v.name == n).ok_or_else(|| {
                let names: Vec<&str> = inputs.iter().map(|v| v.name.as_str()).collect();
                b.err(format!(
                    "{what} '{n}' is not an input of the compound correction (inputs: {}){}",
                    names.join(", "),
                    cortado_yaml::did_you_mean(n, names.iter().copied())
                ))
            })
        };
        let mut update = Vec::new();
        for n in self.strings(o, "inputs_update")? {
            let i = find(self, n, "'inputs_update' names")?;
            if inputs[i].kind != VarType::Real {
                return Err(self.err(format!("updated input '{n}' must be real")));
            }
            update.push(i);
        }
        let op = |b: &Self, key: &str, last: bool| match (b.req_str(o, key)?, last) {
            ("+", _) => Ok(UpdateOp::Add),
            ("*", _) => Ok(UpdateOp::Multiply),
            ("/", _) => Ok(UpdateOp::Divide),
            ("last", true) => Ok(UpdateOp::Last),
            (other, _) => Err(b.err(format!(
                "'{key}' \"{other}\" is not one of \"+\", \"*\", \"/\"{}",
                if last { ", \"last\"" } else { "" }
            ))),
        };
        let input_op = op(self, "input_op", false)?;
        let output_op = op(self, "output_op", true)?;
        let mut stack = Vec::new();
        for n in self.strings(o, "stack")? {
            let Some(c) = corrections.iter().find(|c| c.name() == n) else {
                let names: Vec<&str> = corrections.iter().map(|c| c.name()).collect();
                return Err(self.err(format!(
                    "stack component '{n}' is not a correction of the file{}",
                    cortado_yaml::did_you_mean(n, names)
                )));
            };
            let mut map = Vec::new();
            for v in c.inputs() {
                let i = find(self, &v.name, &format!("component '{n}' input"))?;
                if inputs[i].kind != v.kind {
                    return Err(self.err(format!(
                        "input '{}' is {} in the compound correction but {} in component '{n}'",
                        v.name,
                        inputs[i].kind.name(),
                        v.kind.name()
                    )));
                }
                map.push(i);
            }
            stack.push((c.clone(), map));
        }
        Ok(CompoundCorrection::new(
            name,
            description,
            inputs,
            output,
            update,
            input_op,
            output_op,
            stack,
            origin.clone(),
        ))
    }

    /// The whole document: (description, corrections, compound corrections).
    pub(crate) fn document(&mut self, doc: &Json) -> Result<Document> {
        let origin: Arc<str> = Arc::from(self.origin);
        let o = self.object(doc, "a correction set")?;
        match self.req(o, "schema_version")? {
            Json::Num(n) if n.int == Some(2) => {}
            Json::Num(n) => {
                return Err(self.err(format!(
                    "schema_version {} is not supported (only 2, as correctionlib 2.x)",
                    n.f
                )))
            }
            other => {
                return Err(self.err(format!("'schema_version' must be 2, not {}", other.kind())))
            }
        }
        let description = self.opt_str(o, "description")?;
        let items = self.req_arr(o, "corrections")?;
        let mut corrections: Vec<Arc<Correction>> = Vec::with_capacity(items.len());
        let mut seen = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let c = self.at(format_args!("corrections[{i}]"), |b| {
                b.correction(item, &origin)
            })?;
            if let Some(first) = seen.insert(c.name().to_string(), i) {
                return Err(self.err(format!(
                    "corrections[{first}] and corrections[{i}] are both named '{}'",
                    c.name()
                )));
            }
            corrections.push(Arc::new(c));
        }
        let mut compounds: Vec<Arc<CompoundCorrection>> = Vec::new();
        match o.get("compound_corrections") {
            None | Some(Json::Null) => {}
            Some(Json::Arr(items)) => {
                let mut seen = HashMap::new();
                for (i, item) in items.iter().enumerate() {
                    let c = self.at(format_args!("compound_corrections[{i}]"), |b| {
                        b.compound(item, &corrections, &origin)
                    })?;
                    if let Some(first) = seen.insert(c.name().to_string(), i) {
                        return Err(self.err(format!(
                            "compound_corrections[{first}] and [{i}] are both named '{}'",
                            c.name()
                        )));
                    }
                    compounds.push(Arc::new(c));
                }
            }
            Some(other) => {
                return Err(self.err(format!(
                    "'compound_corrections' must be an array, not {}",
                    other.kind()
                )))
            }
        }
        Ok((description, corrections, compounds))
    }
}

/// `s` cut to `n` characters (with "…").
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}
