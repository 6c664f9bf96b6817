//! PocketCoffea's cut library (`passthrough`, `get_nObj_*`, `get_nPVgood`,
//! `get_nElectron`/`get_nMuon`, `get_nBtag*`, `eventFlags`, `get_HLTsel*`)
//! and object functions (`lepton_selection`, `jet_selection`, `btagging`):
//! each call is rewritten into the ordinary expression it stands for, with
//! the analysis parameters, and checked as that expression (errors point at
//! the call).

use std::sync::Arc;

use super::{
    bool_arg, btag_wp, expand, lit, num_arg, param, param_f64, param_str, str_list, text_arg, Args,
    Builtin, R,
};
use crate::ast::{ExprKind, Span};
use crate::check::{CheckError, Checker, TExpr, TKind};
use crate::types::{Prim, Ty};
use crate::value::Lit;

pub(super) fn all() -> Vec<Arc<dyn Builtin>> {
    vec![
        Arc::new(Passthrough),
        Arc::new(NObj),
        Arc::new(NPVgood),
        Arc::new(NLepton),
        Arc::new(NBtag),
        Arc::new(EventFlags),
        Arc::new(Hlt),
        Arc::new(HltCustom),
        Arc::new(LeptonSelection),
        Arc::new(JetSelection),
        Arc::new(Btagging),
    ]
}

/// The constant cut `True`.
pub(super) fn always(span: Span) -> TExpr {
    TExpr {
        ty: Ty::Lit(Prim::Bool),
        kind: TKind::Lit(Lit::Bool(true)),
        span,
    }
}

/// `passthrough`: every event.
#[derive(Debug)]
pub(super) struct Passthrough;

impl Builtin for Passthrough {
    fn names(&self) -> &'static [&'static str] {
        &["passthrough"]
    }
    fn check(&self, _: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        a.only(&[])?;
        Ok(always(a.span))
    }
}

/// `get_nObj_min/eq/less(N, minpt=None, coll="JetGood")`.
#[derive(Debug)]
pub(super) struct NObj;

impl Builtin for NObj {
    fn names(&self) -> &'static [&'static str] {
        &[
            "get_nObj_min",
            "get_nObj_eq",
            "get_nObj_less",
            "nObj_min",
            "nObj_eq",
            "nObj_less",
        ]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["N", "minpt", "coll", "name"])?;
        let n = num_arg(c, a.req(0, "N")?)?.unwrap_or(0.0) as i64;
        let minpt = match a.get(1, "minpt") {
            Some(e) => num_arg(c, e)?,
            None => None,
        };
        let coll = match a.get(2, "coll") {
            Some(e) => text_arg(c, e)?,
            None => "JetGood".to_string(),
        };
        let op = if name.ends_with("min") {
            ">="
        } else if name.ends_with("eq") {
            "=="
        } else {
            "<"
        };
        let count = match minpt {
            Some(pt) if !name.ends_with("less") => format!("sum({coll}.pt >= {})", lit(pt)),
            _ => {
                let ncoll = format!("n{coll}");
                if c.schema.names.contains_key(&ncoll) || c.schema.branches.contains_key(&ncoll) {
                    ncoll
                } else {
                    format!("count({coll})")
                }
            }
        };
        expand(c, name, &format!("{count} {op} {n}"), span)
    }
}

/// `get_nPVgood(N)`.
#[derive(Debug)]
pub(super) struct NPVgood;

impl Builtin for NPVgood {
    fn names(&self) -> &'static [&'static str] {
        &["get_nPVgood", "nPVgood"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["N"])?;
        let n = num_arg(c, a.req(0, "N")?)?.unwrap_or(1.0) as i64;
        expand(c, name, &format!("PV.npvsGood >= {n}"), span)
    }
}

/// `get_nElectron/get_nMuon(N, minpt, coll)`.
#[derive(Debug)]
pub(super) struct NLepton;

impl Builtin for NLepton {
    fn names(&self) -> &'static [&'static str] {
        &["get_nElectron", "get_nMuon"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["N", "minpt", "coll"])?;
        let n = num_arg(c, a.req(0, "N")?)?.unwrap_or(0.0) as i64;
        let minpt = match a.get(1, "minpt") {
            Some(e) => num_arg(c, e)?.unwrap_or(0.0),
            None => 0.0,
        };
        let flav = if name == "get_nElectron" {
            "Electron"
        } else {
            "Muon"
        };
        let coll = match a.get(2, "coll") {
            Some(e) => text_arg(c, e)?,
            None => format!("{flav}Good"),
        };
        // PocketCoffea 0.9.13 ignores minpt here (it tests n<coll> >= N); the
        // threshold is honoured, as in PocketCoffea's later versions.
        expand(
            c,
            name,
            &format!("sum({coll}.pt > {}) >= {n}", lit(minpt)),
            span,
        )
    }
}

/// `get_nBtagMin/Eq(N, minpt, coll, wp)`.
#[derive(Debug)]
pub(super) struct NBtag;

impl Builtin for NBtag {
    fn names(&self) -> &'static [&'static str] {
        &["get_nBtagMin", "get_nBtagEq"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["N", "minpt", "coll", "wp"])?;
        let n = num_arg(c, a.req(0, "N")?)?.unwrap_or(0.0) as i64;
        let minpt = match a.get(1, "minpt") {
            Some(e) => num_arg(c, e)?.unwrap_or(0.0),
            None => 0.0,
        };
        let coll = match a.get(2, "coll") {
            Some(e) => text_arg(c, e)?,
            None => "BJetGood".to_string(),
        };
        let wp = match a.get(3, "wp") {
            Some(e) => text_arg(c, e)?,
            None => "M".to_string(),
        };
        let op = if name.ends_with("Min") { ">=" } else { "==" };
        let year = c.meta.year.clone();
        let sel = if coll == "BJetGood" {
            if minpt > 0.0 {
                format!("sum({coll}.pt >= {})", lit(minpt))
            } else {
                format!("count({coll})")
            }
        } else {
            let (algo, cut) = btag_wp(c, &year, &wp, span)?;
            if minpt > 0.0 {
                format!(
                    "sum(({coll}.{algo} > {}) & ({coll}.pt >= {}))",
                    lit(cut),
                    lit(minpt)
                )
            } else {
                format!("sum({coll}.{algo} > {})", lit(cut))
            }
        };
        expand(c, name, &format!("{sel} {op} {n}"), span)
    }
}

/// `eventFlags`: the year's MET filters (parameters `event_flags`).
#[derive(Debug)]
pub(super) struct EventFlags;

impl Builtin for EventFlags {
    fn names(&self) -> &'static [&'static str] {
        &["eventFlags", "event_flags"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&[])?;
        let year = c.meta.year.clone();
        let mut flags = param(c, &format!("event_flags.{year}"), span)?
            .as_str_list()
            .map_err(|e| CheckError::new(e.message, span))?;
        if !c.meta.is_mc {
            if let Ok(n) = param(c, &format!("event_flags_data.{year}"), span) {
                flags.extend(
                    n.as_str_list()
                        .map_err(|e| CheckError::new(e.message, span))?,
                );
            }
        }
        if flags.is_empty() {
            return Ok(always(a.span));
        }
        let src: Vec<String> = flags.iter().map(|f| format!("Flag.{f}")).collect();
        expand(c, name, &src.join(" and "), span)
    }
}

/// `get_HLTsel(primaryDatasets=None, invert=False)` (parameters `HLT_triggers`).
#[derive(Debug)]
pub(super) struct Hlt;

impl Builtin for Hlt {
    fn names(&self) -> &'static [&'static str] {
        &["get_HLTsel", "HLTsel"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["primaryDatasets", "invert"])?;
        let pds = match a.get(0, "primaryDatasets") {
            Some(e) if !matches!(&e.kind, ExprKind::Name(n) if n == "None") => {
                Some(str_list(c, e)?)
            }
            _ => None,
        };
        let invert = bool_arg(c, a.get(1, "invert"), false)?;
        let year = c.meta.year.clone();
        let table = param(c, &format!("HLT_triggers.{year}"), span)?;
        let chosen: Vec<String> = match (&pds, c.meta.is_mc) {
            (Some(p), _) => p.clone(),
            (None, true) => table.keys().iter().map(|s| s.to_string()).collect(),
            (None, false) => vec![c.meta.primary_dataset.clone().ok_or_else(|| {
                CheckError::new(
                    "get_HLTsel() on data needs the dataset's primaryDataset metadata",
                    span,
                )
            })?],
        };
        let mut paths = Vec::new();
        for pd in &chosen {
            let n = table.get(pd).ok_or_else(|| {
                CheckError::new(
                    format!("HLT_triggers.{year} has no primary dataset '{pd}'"),
                    span,
                )
                .suggest(pd, table.keys())
            })?;
            if n.value == cortado_yaml::Value::Missing {
                return Err(CheckError::new(
                    format!("HLT_triggers.{year}.{pd} is mandatory (???) and not set"),
                    span,
                ));
            }
            paths.extend(
                n.as_str_list()
                    .map_err(|e| CheckError::new(e.message, span))?,
            );
        }
        hlt_or(c, name, &paths, invert, span)
    }
}

/// `get_HLTsel_custom(trigger_list, invert=False)`.
#[derive(Debug)]
pub(super) struct HltCustom;

impl Builtin for HltCustom {
    fn names(&self) -> &'static [&'static str] {
        &["get_HLTsel_custom"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["trigger_list", "invert"])?;
        let paths = str_list(c, a.req(0, "trigger_list")?)?;
        let invert = bool_arg(c, a.get(1, "invert"), false)?;
        hlt_or(c, name, &paths, invert, span)
    }
}

/// `lepton_selection(Muon|Electron)` (parameters `object_preselection`).
#[derive(Debug)]
pub(super) struct LeptonSelection;

impl Builtin for LeptonSelection {
    fn names(&self) -> &'static [&'static str] {
        &["lepton_selection"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["collection"])?;
        let flav = text_arg(c, a.req(0, "collection")?)?;
        let p = format!("object_preselection.{flav}");
        let pt = param_f64(c, &format!("{p}.pt"), span)?;
        let eta = param_f64(c, &format!("{p}.eta"), span)?;
        let id = param_str(c, &format!("{p}.id"), span)?;
        let src = match flav.as_str() {
            "Muon" => {
                let iso = param_f64(c, &format!("{p}.iso"), span)?;
                format!(
                    "Muon[(abs(Muon.eta) < {}) & (Muon.pt > {}) & (Muon.pfRelIso04_all < {}) & (Muon.{id} == True)]",
                    lit(eta),
                    lit(pt),
                    lit(iso)
                )
            }
            "Electron" => {
                let iso = match c.params.and_then(|n| n.path(&format!("{p}.iso"))) {
                    Some(_) => format!(
                        " & (Electron.pfRelIso03_all < {})",
                        lit(param_f64(c, &format!("{p}.iso"), span)?)
                    ),
                    None => String::new(),
                };
                format!(
                    "Electron[(abs(Electron.eta) < {}) & (Electron.pt > {}) & (not ((abs(Electron.deltaEtaSC + Electron.eta) >= 1.4442) & (abs(Electron.deltaEtaSC + Electron.eta) <= 1.566))){iso} & (Electron.{id} == True)]",
                    lit(eta),
                    lit(pt)
                )
            }
            other => {
                return Err(CheckError::new(
                    format!("lepton_selection() supports Muon and Electron, not '{other}'"),
                    span,
                ))
            }
        };
        expand(c, name, &src, span)
    }
}

/// `jet_selection(Jet, leptons)` (parameters `object_preselection`, `jet_scale_factors.jet_puId`).
#[derive(Debug)]
pub(super) struct JetSelection;

impl Builtin for JetSelection {
    fn names(&self) -> &'static [&'static str] {
        &["jet_selection"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["collection", "leptons"])?;
        let jet = text_arg(c, a.req(0, "collection")?)?;
        let leptons = match a.get(1, "leptons") {
            Some(e) => Some(text_arg(c, e)?),
            None => None,
        };
        let p = format!("object_preselection.{jet}");
        let year = c.meta.year.clone();
        let mut parts = vec![
            format!(
                "({jet}.pt > {})",
                lit(param_f64(c, &format!("{p}.pt"), span)?)
            ),
            format!(
                "(abs({jet}.eta) < {})",
                lit(param_f64(c, &format!("{p}.eta"), span)?)
            ),
            format!(
                "({jet}.jetId >= {})",
                lit(param_f64(c, &format!("{p}.jetId"), span)?)
            ),
        ];
        if let Some(l) = leptons {
            let dr = param_f64(c, &format!("{p}.dr_lepton"), span)?;
            parts.push(format!("delta_r_clean({jet}, {l}, {})", lit(dr)));
        }
        let run2 = ["2016_PreVFP", "2016_PostVFP", "2017", "2018"].contains(&year.as_str());
        let nano = c
            .params
            .and_then(|n| n.path(&format!("default_nano_version.{year}")))
            .and_then(|n| n.as_i64().ok())
            .unwrap_or(9);
        if jet == "Jet" && run2 && nano <= 9 {
            let wp = param_str(c, &format!("{p}.puId.wp"), span)?;
            let value = param_f64(
                c,
                &format!("jet_scale_factors.jet_puId.{year}.working_point.{wp}"),
                span,
            )?;
            let maxpt = param_f64(c, &format!("{p}.puId.maxpt"), span)?;
            parts.push(format!(
                "(({jet}.puId >= {}) | ({jet}.pt >= {}))",
                lit(value),
                lit(maxpt)
            ));
        }
        if jet == "FatJet" {
            parts.push(format!(
                "({jet}.msoftdrop > {})",
                lit(param_f64(c, &format!("{p}.msd"), span)?)
            ));
        }
        expand(c, name, &format!("{jet}[{}]", parts.join(" & ")), span)
    }
}

/// `btagging(Jets, wp, veto=False)` (parameters `btagging.working_point`).
#[derive(Debug)]
pub(super) struct Btagging;

impl Builtin for Btagging {
    fn names(&self) -> &'static [&'static str] {
        &["btagging"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&["collection", "wp", "veto"])?;
        let coll = text_arg(c, a.req(0, "collection")?)?;
        let wp = match a.get(1, "wp") {
            Some(e) => text_arg(c, e)?,
            None => "M".to_string(),
        };
        let veto = bool_arg(c, a.get(2, "veto"), false)?;
        let year = c.meta.year.clone();
        let (algo, cut) = btag_wp(c, &year, &wp, span)?;
        let op = if veto { "<" } else { ">" };
        expand(
            c,
            name,
            &format!("{coll}[{coll}.{algo} {op} {}]", lit(cut)),
            span,
        )
    }
}

/// OR of the HLT paths present in the input (missing ones are skipped, as
/// PocketCoffea does); paths are written without `HLT_` (a leading `HLT_` is removed).
fn hlt_or(c: &mut Checker<'_>, name: &str, paths: &[String], invert: bool, span: Span) -> R<TExpr> {
    let present: Vec<String> = paths
        .iter()
        .map(|p| p.strip_prefix("HLT_").unwrap_or(p).to_string())
        .filter(|p| c.schema.branches.contains_key(&format!("HLT_{p}")))
        .collect();
    let src = if present.is_empty() {
        "False".to_string()
    } else {
        present
            .iter()
            .map(|p| format!("HLT.{p}"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let src = if invert { format!("not ({src})") } else { src };
    expand(c, name, &src, span)
}
