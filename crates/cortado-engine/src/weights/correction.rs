//! A correctionlib correction as a weight: its numeric inputs given by
//! expressions (per event, or per object of one collection, then multiplied
//! over each event's objects, 1 for an event without objects, as
//! PocketCoffea's `ak.prod(axis=1)`), its string inputs by fixed values or
//! chosen per row by conditions, and one string input that selects the
//! nominal value and the variations.
//!
//! The rows (events or objects) the weight applies to may be restricted
//! (`where`): the others count 1 and are never evaluated (the pileup jet ID
//! SF only on jets below its maximum pt); a string chosen by conditions
//! leaves the rows where none holds at 1 as well (the electron reco SF by pt
//! range). A variation may vary only some rows (`where` of a source), the
//! others keeping their nominal value (b-tag `cferr*` only on c jets).
//!
//! The configuration's correction weights and PocketCoffea's common weights
//! ([`super::builtin`](mod@super::builtin)) are planned the same way: the file is loaded, the
//! correction found, every input checked against the correction's signature
//! (name, type, the keys of string inputs) before any event is read.

use std::collections::BTreeMap;
use std::sync::Arc;

use cortado_config::{CorrInputSrc, CorrectionWeight, ExprSrc, VariationKeys};
use cortado_correction::{Correction, InputSummary, Key, VarType};
use cortado_expr::check::TExpr;
use cortado_expr::types::{CollId, Prim, Ty};
use cortado_yaml::{ConfigError, Pos};

pub use super::evaluate::evaluate;

/// One input of a planned correction weight, in the correction's order.
#[derive(Clone, Debug)]
pub enum CorrInput {
    /// A numeric input: an expression (per event, per object, or constant).
    Expr(TExpr),
    /// A string input with a fixed value.
    Str(String),
    /// A string input chosen per row: the first value whose condition holds.
    Choice(Vec<(String, TExpr)>),
    /// The string input that selects the nominal value and the variations.
    Variation,
}

/// One up/down pair of a planned correction weight.
#[derive(Clone, Debug)]
pub struct CorrVariation {
    /// The stem of the variations' names (`sf_mu_id`, `sf_btag_hf`).
    pub stem: String,
    /// The variation input's value for up.
    pub up: String,
    /// For down.
    pub down: String,
    /// The rows it varies (elsewhere the nominal value).
    pub only: Option<TExpr>,
}

/// A planned correction weight.
#[derive(Clone, Debug)]
pub struct CorrectionTerm {
    /// The weight's name.
    pub name: String,
    /// The correction.
    pub correction: Arc<Correction>,
    /// Its file (for messages).
    pub file: String,
    /// Its inputs.
    pub inputs: Vec<CorrInput>,
    /// The rows the weight applies to (the others count 1).
    pub only: Option<TExpr>,
    /// The variation input's value for the nominal weight.
    pub nominal: Option<String>,
    /// The variations.
    pub variations: Vec<CorrVariation>,
    /// Whether the rows are objects (the weight is a product over objects).
    pub per_object: bool,
    /// Per shape variation, the value that replaces the nominal (`up`) on
    /// the rows of `only`, the other rows keeping the nominal: `sf_btag`'s
    /// JES-varied central SF (`up_jesTotal`…) in a JES pass.
    pub shape_nominal: BTreeMap<String, CorrVariation>,
}

impl CorrectionTerm {
    /// Whether the weight has variations.
    pub fn has_variations(&self) -> bool {
        !self.variations.is_empty()
    }

    /// Every expression the weight evaluates.
    pub fn exprs(&self) -> Vec<&TExpr> {
        let mut out: Vec<&TExpr> = Vec::new();
        for i in &self.inputs {
            match i {
                CorrInput::Expr(e) => out.push(e),
                CorrInput::Choice(cases) => out.extend(cases.iter().map(|(_, c)| c)),
                _ => {}
            }
        }
        out.extend(self.only.iter());
        out.extend(self.variations.iter().filter_map(|v| v.only.as_ref()));
        out.extend(self.shape_nominal.values().filter_map(|v| v.only.as_ref()));
        out
    }
}

fn err(pos: &Option<Pos>, msg: String) -> ConfigError {
    ConfigError::new(pos.clone(), msg)
}

/// The shape every row expression of a weight must share: per event, or per
/// object of one collection.
struct Rows<'a> {
    coll: Option<CollId>,
    what: &'a str,
    describe: &'a dyn Fn(&Ty) -> String,
}

impl Rows<'_> {
    /// Accepts `t` (a number, or a boolean when `condition`) per event or
    /// per object of the collection of the others.
    fn accept(
        &mut self,
        t: &TExpr,
        src: &ExprSrc,
        label: &str,
        kind: Option<VarType>,
    ) -> Result<(), ConfigError> {
        let condition = kind.is_none();
        let fits = |p: Prim| (p == Prim::Bool) == condition;
        match t.ty {
            Ty::Lit(p) | Ty::Event(p) if fits(p) => Ok(()),
            Ty::Obj(p, id) if fits(p) => match self.coll {
                None => {
                    self.coll = Some(id);
                    Ok(())
                }
                Some(c) if c == id => Ok(()),
                Some(_) => Err(err(
                    &src.pos,
                    format!(
                        "{}: {label} is per object of another collection than the other inputs",
                        self.what
                    ),
                )),
            },
            ref other => Err(err(
                &src.pos,
                format!(
                    "{}: {label}{} needs {} per event or per object, this gives {}",
                    self.what,
                    kind.map_or(String::new(), |k| format!(" ({})", k.name())),
                    if condition { "a boolean" } else { "a number" },
                    (self.describe)(other)
                ),
            )),
        }
    }
}

/// Plans a correction weight: loads the file, finds the correction, and
/// checks every input (`check` type-checks an expression; `describe` names
/// a type).
pub fn plan(
    name: &str,
    spec: &CorrectionWeight,
    check: &mut dyn FnMut(&ExprSrc, &str) -> Result<TExpr, ConfigError>,
    describe: &dyn Fn(&Ty) -> String,
) -> Result<CorrectionTerm, ConfigError> {
    let what = format!("weight '{name}'");
    let file = spec.file.display().to_string();
    let set = cortado_correction::load(&spec.file)
        .map_err(|e| err(&spec.file_pos, format!("{what}: {e}")))?;
    let correction = set
        .get_arc(&spec.correction)
        .map_err(|e| err(&spec.correction_pos, format!("{what}: {e}")))?
        .clone();
    let summary = correction.input_summary();
    let names: Vec<&str> = summary.iter().map(|s| s.variable.name.as_str()).collect();
    let mut rows = Rows {
        coll: None,
        what: &what,
        describe,
    };
    let mut inputs = Vec::new();
    for s in &summary {
        let given = spec.inputs.iter().find(|(n, _)| n == &s.variable.name);
        let cx = InputCx {
            what: &what,
            file: &file,
            correction: &correction,
            spec,
        };
        inputs.push(plan_input(&cx, s, given.map(|(_, g)| g), &mut rows, check)?);
    }
    for (n, src) in &spec.inputs {
        if !names.contains(&n.as_str()) {
            let pos = match src {
                CorrInputSrc::Value(s) => s.pos.clone(),
                CorrInputSrc::Choice(c) => c.first().and_then(|(_, s)| s.pos.clone()),
            };
            return Err(err(
                &pos,
                format!(
                    "{what}: correction '{}' has no input '{n}'{} (inputs: {})",
                    correction.name(),
                    cortado_yaml::did_you_mean(n, names.iter().copied()),
                    names.join(", ")
                ),
            ));
        }
    }
    let mut condition = |src: &ExprSrc, label: &str| -> Result<TExpr, ConfigError> {
        let t = check(src, &format!("{what}, {label}"))?;
        rows.accept(&t, src, label, None)?;
        Ok(t)
    };
    let only = spec
        .only
        .as_ref()
        .map(|src| condition(src, "where"))
        .transpose()?;
    let (nominal, variations) = match &spec.variation {
        None => (None, Vec::new()),
        Some(var) => {
            if !names.contains(&var.input.as_str()) {
                return Err(err(
                    &var.pos,
                    format!(
                        "{what}: the variations' input '{}' is not an input of correction '{}'{} \
                         (inputs: {})",
                        var.input,
                        correction.name(),
                        cortado_yaml::did_you_mean(&var.input, names.iter().copied()),
                        names.join(", ")
                    ),
                ));
            }
            let out = var
                .sets
                .iter()
                .map(|set| variation(name, set, &mut condition))
                .collect::<Result<_, _>>()?;
            (Some(var.nominal.clone()), out)
        }
    };
    Ok(CorrectionTerm {
        name: name.to_string(),
        correction,
        file,
        inputs,
        only,
        nominal,
        variations,
        per_object: rows.coll.is_some(),
        shape_nominal: BTreeMap::new(),
    })
}

/// What planning one input needs to know.
struct InputCx<'a> {
    what: &'a str,
    file: &'a str,
    correction: &'a Correction,
    spec: &'a CorrectionWeight,
}

/// Plans the correction's input `s` from what the configuration gives for it.
fn plan_input(
    cx: &InputCx,
    s: &InputSummary,
    given: Option<&CorrInputSrc>,
    rows: &mut Rows,
    check: &mut dyn FnMut(&ExprSrc, &str) -> Result<TExpr, ConfigError>,
) -> Result<CorrInput, ConfigError> {
    let (what, file, correction) = (cx.what, cx.file, cx.correction);
    let v = &s.variable;
    let is_str = v.kind == VarType::String;
    Ok(match (&cx.spec.variation, given) {
        (Some(var), None) if var.input == v.name => {
            check_variation(what, file, correction, s, var)?;
            CorrInput::Variation
        }
        (_, None) => {
            return Err(err(
                &cx.spec.correction_pos,
                format!(
                    "{what}: correction '{}' of {file} needs input '{}' ({}{}); give it \
                     under inputs{}",
                    correction.name(),
                    v.name,
                    v.kind.name(),
                    if v.description.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", v.description)
                    },
                    if is_str {
                        ", or as the variations' input"
                    } else {
                        ""
                    }
                ),
            ))
        }
        (_, Some(CorrInputSrc::Value(src))) if is_str => {
            check_key(what, correction, s, &src.text, &src.pos)?;
            CorrInput::Str(src.text.clone())
        }
        (_, Some(CorrInputSrc::Choice(cases))) if is_str => {
            let mut out = Vec::new();
            for (value, cond) in cases {
                check_key(what, correction, s, value, &cond.pos)?;
                let label = format!("the condition of '{value}' (input '{}')", v.name);
                let t = check(cond, &format!("{what}, {label}"))?;
                rows.accept(&t, cond, &label, None)?;
                out.push((value.clone(), t));
            }
            CorrInput::Choice(out)
        }
        (_, Some(CorrInputSrc::Choice(cases))) => {
            return Err(err(
                &cases.first().and_then(|(_, c)| c.pos.clone()),
                format!(
                    "{what}: input '{}' is a number ({}): give it as an expression, not as \
                     values chosen by conditions",
                    v.name,
                    v.kind.name()
                ),
            ))
        }
        (_, Some(CorrInputSrc::Value(src))) => {
            let label = format!("input '{}'", v.name);
            let t = check(src, &format!("{what}, {label}"))?;
            rows.accept(&t, src, &label, Some(v.kind))?;
            CorrInput::Expr(t)
        }
    })
}

/// One planned up/down pair of weight `name` (`condition` checks its `where`).
fn variation(
    name: &str,
    set: &cortado_config::VariationSet,
    condition: &mut dyn FnMut(&ExprSrc, &str) -> Result<TExpr, ConfigError>,
) -> Result<CorrVariation, ConfigError> {
    let stem = match &set.source {
        Some(s) => format!("{name}_{s}"),
        None => name.to_string(),
    };
    let only = match &set.only {
        Some(src) => Some(condition(src, &format!("where of variation {stem}"))?),
        None => None,
    };
    Ok(CorrVariation {
        stem,
        up: set.up.clone(),
        down: set.down.clone(),
        only,
    })
}

fn keys_text(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| match k {
            Key::Str(s) => format!("\"{s}\""),
            Key::Int(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `value` must be a key of string input `s` (unless its category has a
/// default or it has no category).
fn check_key(
    what: &str,
    c: &Correction,
    s: &InputSummary,
    value: &str,
    pos: &Option<Pos>,
) -> Result<(), ConfigError> {
    if !s.keys.is_empty() && !s.has_default && !s.keys.contains(&Key::Str(value.to_string())) {
        return Err(err(
            pos,
            format!(
                "{what}: '{value}' is not a value of input '{}' of correction '{}' (values: {})",
                s.variable.name,
                c.name(),
                keys_text(&s.keys)
            ),
        ));
    }
    Ok(())
}

fn check_variation(
    what: &str,
    file: &str,
    c: &Correction,
    s: &InputSummary,
    var: &VariationKeys,
) -> Result<(), ConfigError> {
    if s.variable.kind != VarType::String {
        return Err(err(
            &var.pos,
            format!(
                "{what}: the variations' input '{}' of correction '{}' ({file}) is not a string",
                var.input,
                c.name()
            ),
        ));
    }
    check_key(what, c, s, &var.nominal, &var.pos)?;
    for set in &var.sets {
        for k in [&set.up, &set.down] {
            check_key(what, c, s, k, &var.pos)?;
        }
    }
    Ok(())
}
