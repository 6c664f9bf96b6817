//! The jet calibrator: JEC from the compound correction on raw pt, JER
//! smearing, JES uncertainty sources and JER Up/Down, as PocketCoffea's
//! `lib/jets.py::jet_correction_corrlib` (with the fixes listed in
//! `docs/calibration.md`).

use std::sync::Arc;

use cortado_correction::{
    load, Column, CompoundCorrection, Correction, CorrectionSet, Value, VarType, Variable,
};

use crate::error::{corr, Error, Result};
use crate::inputs::JetInputs;
use crate::jersmear::{smear_into, SmearInputs};
use crate::output::{Calibration, Shift};
use crate::spec::{variation_name, Direction, JetCalibSpec, JetVariation};

/// The inputs (by name) that the calibration supplies to the JERC
/// corrections: PocketCoffea's `eval_dict`.
const SUPPLIED: [(&str, VarType); 6] = [
    ("JetA", VarType::Real),
    ("JetEta", VarType::Real),
    ("JetPhi", VarType::Real),
    ("JetPt", VarType::Real),
    ("Rho", VarType::Real),
    ("run", VarType::Int),
];

/// The JEC: a compound correction (`…_L1L2L3Res_…`) or a single level.
#[derive(Debug, Clone)]
enum Jec {
    Compound(Arc<CompoundCorrection>),
    Single(Arc<Correction>),
}

impl Jec {
    fn inputs(&self) -> &[Variable] {
        match self {
            Jec::Compound(c) => c.inputs(),
            Jec::Single(c) => c.inputs(),
        }
    }
}

/// How JER Up/Down get their scale factors.
#[derive(Debug, Clone)]
enum SfSyst {
    /// The scale factor takes `systematic` = `nom`/`up`/`down` (Run 2 UL).
    Input,
    /// A separate uncertainty, `sf · (1 ± unc)` (PocketCoffea's
    /// `…_SFUncertainty_…`).
    Uncertainty(Arc<Correction>),
    /// Neither: only the nominal can be computed (no JER variation asked).
    None,
}

/// JER corrections.
#[derive(Debug, Clone)]
struct Jer {
    resolution: Arc<Correction>,
    sf: Arc<Correction>,
    syst: SfSyst,
}

/// A jet calibration for one dataset: its corrections found and checked
/// once, then [`JetCalibrator::calibrate`] per chunk.
#[derive(Debug, Clone)]
pub struct JetCalibrator {
    spec: JetCalibSpec,
    context: String,
    jec: Jec,
    jer: Option<Jer>,
    jes: Vec<(JetVariation, Arc<Correction>)>,
    l1: Option<Arc<Correction>>,
    needs_run: bool,
}

impl JetCalibrator {
    /// Loads the file (shared with other users of `cortado_correction::load`)
    /// and finds every correction the specification needs: an unknown name
    /// (with the closest names), an input the calibration cannot supply or
    /// a missing JER uncertainty is an error here, before any event is read.
    pub fn new(spec: &JetCalibSpec) -> Result<JetCalibrator> {
        let context = spec.context();
        for v in &spec.variations {
            if let JetVariation::Jer = v {
                if spec.is_mc && spec.do_variations && !spec.apply_jer {
                    return Err(Error::Unusable {
                        context,
                        message: "the JER variation needs the nominal JER smearing, which \
                                  apply_jer_MC turns off"
                            .into(),
                    });
                }
            }
        }
        let set = load(&spec.file).map_err(corr(&context))?;
        Self::with_set(spec, &set)
    }

    /// As [`JetCalibrator::new`], with an already loaded set.
    pub fn with_set(spec: &JetCalibSpec, set: &CorrectionSet) -> Result<JetCalibrator> {
        let context = spec.context();
        let jt = &spec.jet_type;
        let tag = spec.jec_tag()?;
        let jec_name = format!("{tag}_{}_{jt}", spec.level);
        let jec = match set.compound(&jec_name) {
            Ok(c) => Jec::Compound(c.clone()),
            Err(_) => Jec::Single(
                set.get_arc(&jec_name)
                    .map_err(corr(&format!("{context}: JEC")))?
                    .clone(),
            ),
        };
        check_inputs(&context, &jec_name, jec.inputs(), false)?;
        let jer = if spec.smears() {
            Some(find_jer(spec, set, &context)?)
        } else {
            None
        };
        let mut jes = Vec::new();
        if spec.varies() {
            for v in &spec.variations {
                if let JetVariation::Jes(source) = v {
                    let name = format!("{tag}_{source}_{jt}");
                    let c = set
                        .get_arc(&name)
                        .map_err(corr(&format!("{context}: JES source {source}")))?;
                    check_inputs(&context, &name, c.inputs(), false)?;
                    jes.push((v.clone(), c.clone()));
                }
            }
        }
        let l1 = if spec.l1_for_met {
            let name = format!("{tag}_L1FastJet_{jt}");
            let c = set
                .get_arc(&name)
                .map_err(corr(&format!("{context}: L1 for type-1 MET")))?;
            check_inputs(&context, &name, c.inputs(), false)?;
            Some(c.clone())
        } else {
            None
        };
        let mut all: Vec<&[Variable]> = vec![jec.inputs()];
        all.extend(jes.iter().map(|(_, c)| c.inputs()));
        all.extend(l1.iter().map(|c| c.inputs()));
        if let Some(j) = &jer {
            all.extend([j.resolution.inputs(), j.sf.inputs()]);
            if let SfSyst::Uncertainty(u) = &j.syst {
                all.push(u.inputs());
            }
        }
        let needs_run = all.iter().any(|i| i.iter().any(|v| v.name == "run"));
        Ok(JetCalibrator {
            spec: spec.clone(),
            context,
            jec,
            jer,
            jes,
            l1,
            needs_run,
        })
    }

    /// The specification.
    pub fn spec(&self) -> &JetCalibSpec {
        &self.spec
    }

    /// The variation names this calibrator provides (see
    /// [`JetCalibSpec::variation_names`]).
    pub fn variation_names(&self) -> Vec<String> {
        self.spec.variation_names()
    }

    /// Calibrates one chunk: JEC on raw pt, JER smearing (simulation), and
    /// the inputs of every variation. The jets themselves come from
    /// [`Calibration::nominal`] and [`Calibration::variation`].
    pub fn calibrate(&self, inp: &JetInputs) -> Result<Calibration> {
        let ctx = &self.context;
        inp.check(ctx)?;
        let (raw_pt, raw_mass) = inp.raw();
        let rho = inp.broadcast(inp.rho, |x| x);
        let run = if self.needs_run {
            inp.broadcast(inp.run, i64::from)
        } else {
            Vec::new()
        };
        let cols = Cols {
            eta: inp.eta,
            phi: inp.phi,
            area: inp.area,
            rho: &rho,
            run: &run,
        };
        // JEC: factor at the raw pt; pt = factor · raw (float64)
        let jec_cols = cols.columns(self.jec.inputs(), Column::F32(&raw_pt), None);
        let mut jec = Vec::new();
        match &self.jec {
            Jec::Compound(c) => c.evaluate_columns_into(&jec_cols, &mut jec),
            Jec::Single(c) => c.evaluate_columns_into(&jec_cols, &mut jec),
        }
        .map_err(corr(&format!("{ctx}: JEC")))?;
        let scale = |f: &[f64], v: &[f32]| -> Vec<f64> {
            f.iter().zip(v).map(|(&a, &b)| a * b as f64).collect()
        };
        let jec_pt = scale(&jec, &raw_pt);
        let jec_mass = scale(&jec, &raw_mass);
        let l1 = match &self.l1 {
            Some(c) => {
                let l1_cols = cols.columns(c.inputs(), Column::F32(&raw_pt), None);
                Some(
                    c.evaluate_columns(&l1_cols)
                        .map_err(corr(&format!("{ctx}: L1 for type-1 MET")))?,
                )
            }
            None => None,
        };
        let mut variations = Vec::new();
        let (nom_pt, nom_mass) = match &self.jer {
            Some(jer) => {
                let smear = self.smear(jer, inp, &cols, &jec_pt, &mut variations)?;
                let f = |v: &[f64]| -> Vec<f64> {
                    v.iter().zip(&smear).map(|(&x, &s)| x * s).collect()
                };
                (f(&jec_pt), f(&jec_mass))
            }
            None => (jec_pt.clone(), jec_mass.clone()),
        };
        for (v, c) in &self.jes {
            let jes_cols = cols.columns(c.inputs(), Column::F64(&nom_pt), None);
            let delta = c
                .evaluate_columns(&jes_cols)
                .map_err(corr(&format!("{ctx}: JES source {}", v.entry())))?;
            for dir in [Direction::Up, Direction::Down] {
                let name = variation_name(&self.spec.variation_prefix, v, dir);
                let shift = Shift::Jes {
                    delta: delta.clone(),
                    dir,
                };
                variations.push((name, v.clone(), shift));
            }
        }
        // the variations in the order of the specification
        let order = |v: &JetVariation| self.spec.variations.iter().position(|x| x == v);
        variations.sort_by_key(|(_, v, _)| order(v));
        Ok(Calibration {
            offsets: inp.offsets.to_vec(),
            raw_pt,
            jec_pt,
            jec_mass,
            nom_pt,
            nom_mass,
            variations,
            l1,
            sort: self.spec.sort_by_pt,
        })
    }

    /// The nominal smearing factors; pushes JER Up/Down when varied.
    fn smear(
        &self,
        jer: &Jer,
        inp: &JetInputs,
        cols: &Cols,
        jec_pt: &[f64],
        variations: &mut Vec<(String, JetVariation, Shift)>,
    ) -> Result<Vec<f64>> {
        let ctx = format!("{}: JER", self.context);
        let res_cols = cols.columns(jer.resolution.inputs(), Column::F64(jec_pt), None);
        let resolution = jer
            .resolution
            .evaluate_columns(&res_cols)
            .map_err(corr(&ctx))?;
        // PocketCoffea: GenPt kept if |pt − genpt| < 3·pt·σ, else −1
        let gen_pt: Vec<f64> = inp
            .gen_pt()
            .iter()
            .zip(jec_pt)
            .zip(&resolution)
            .map(|((&g, &pt), &s)| {
                let g = g as f64;
                if (pt - g).abs() < 3.0 * pt * s {
                    g
                } else {
                    -1.0
                }
            })
            .collect();
        let event = inp.broadcast(inp.event, |e| e as i64);
        let sm = SmearInputs {
            pt: jec_pt,
            eta: inp.eta,
            gen_pt: &gen_pt,
            rho: cols.rho,
            event: &event,
            resolution: &resolution,
        };
        let sf_of = |syst: &str| -> Result<Vec<f64>> {
            let c = cols.columns(jer.sf.inputs(), Column::F64(jec_pt), Some(syst));
            jer.sf.evaluate_columns(&c).map_err(corr(&ctx))
        };
        let sf = sf_of("nom")?;
        let mut smear = Vec::new();
        smear_into(&sm, &sf, &mut smear).map_err(corr(&ctx))?;
        let varied = self.spec.varies() && self.spec.variations.contains(&JetVariation::Jer);
        if varied {
            let (up, down) =
                match &jer.syst {
                    SfSyst::Input => (sf_of("up")?, sf_of("down")?),
                    SfSyst::Uncertainty(u) => {
                        let c = cols.columns(u.inputs(), Column::F64(jec_pt), None);
                        let unc = u.evaluate_columns(&c).map_err(corr(&ctx))?;
                        let f = |sign: f64| -> Vec<f64> {
                            sf.iter()
                                .zip(&unc)
                                .map(|(&s, &u)| s * (1.0 + sign * u))
                                .collect()
                        };
                        (f(1.0), f(-1.0))
                    }
                    SfSyst::None => return Err(Error::Unusable {
                        context: ctx,
                        message:
                            "no JER scale-factor uncertainty (internal error: checked when built)"
                                .into(),
                    }),
                };
            for (dir, sfv) in [(Direction::Up, up), (Direction::Down, down)] {
                let mut s = Vec::new();
                smear_into(&sm, &sfv, &mut s).map_err(corr(&ctx))?;
                let name = variation_name(&self.spec.variation_prefix, &JetVariation::Jer, dir);
                variations.push((name, JetVariation::Jer, Shift::Jer { smear: s }));
            }
        }
        Ok(smear)
    }
}

/// Finds the JER resolution, scale factor and (if needed) its uncertainty.
fn find_jer(spec: &JetCalibSpec, set: &CorrectionSet, context: &str) -> Result<Jer> {
    let jt = &spec.jet_type;
    let Some(tag) = &spec.jer else {
        return Err(Error::Unusable {
            context: context.to_string(),
            message: "JER smearing is on (apply_jer_MC) but no JER tag ('jer') is given".into(),
        });
    };
    let what = format!("{context}: JER");
    let res_name = format!("{tag}_PtResolution_{jt}");
    let resolution = set.get_arc(&res_name).map_err(corr(&what))?.clone();
    check_inputs(context, &res_name, resolution.inputs(), false)?;
    let sf_name = format!("{tag}_ScaleFactor_{jt}");
    let sf = set.get_arc(&sf_name).map_err(corr(&what))?.clone();
    check_inputs(context, &sf_name, sf.inputs(), true)?;
    let wants_var = spec.varies() && spec.variations.contains(&JetVariation::Jer);
    let syst = if sf.inputs().iter().any(|v| v.name == "systematic") {
        SfSyst::Input
    } else if wants_var {
        let unc_name = format!("{tag}_SFUncertainty_{jt}");
        let u = set.get_arc(&unc_name).map_err(|e| Error::Unusable {
            context: context.to_string(),
            message: format!(
                "the JER variation needs '{sf_name}' to take a 'systematic' input or a \
                 correction '{unc_name}': {e}"
            ),
        })?;
        check_inputs(context, &unc_name, u.inputs(), false)?;
        SfSyst::Uncertainty(u.clone())
    } else {
        SfSyst::None
    };
    Ok(Jer {
        resolution,
        sf,
        syst,
    })
}

/// Every input of `name` must be one the calibration supplies, with its type
/// (`systematic`, a string, only where `systematic` is true).
fn check_inputs(context: &str, name: &str, inputs: &[Variable], systematic: bool) -> Result<()> {
    for v in inputs {
        let want = SUPPLIED
            .iter()
            .find(|(n, _)| *n == v.name)
            .map(|(_, t)| *t)
            .or_else(|| (systematic && v.name == "systematic").then_some(VarType::String));
        match want {
            Some(t) if t == v.kind => {}
            Some(t) => {
                return Err(Error::Unusable {
                    context: context.to_string(),
                    message: format!(
                        "correction '{name}': input '{}' is {}, the calibration supplies it as {}",
                        v.name,
                        v.kind.name(),
                        t.name()
                    ),
                })
            }
            None => {
                let mut names: Vec<&str> = SUPPLIED.iter().map(|(n, _)| *n).collect();
                if systematic {
                    names.push("systematic");
                }
                return Err(Error::Unusable {
                    context: context.to_string(),
                    message: format!(
                        "correction '{name}': input '{}' is not one the jet calibration \
                         supplies ({})",
                        v.name,
                        names.join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The per-jet columns, by input name.
struct Cols<'a> {
    eta: &'a [f32],
    phi: &'a [f32],
    area: &'a [f32],
    rho: &'a [f32],
    run: &'a [i64],
}

impl<'a> Cols<'a> {
    /// The columns of `inputs` (checked in [`check_inputs`]), with `pt` as
    /// `JetPt` and `syst` as `systematic`.
    fn columns(
        &self,
        inputs: &[Variable],
        pt: Column<'a>,
        syst: Option<&'a str>,
    ) -> Vec<Column<'a>> {
        inputs
            .iter()
            .map(|v| match v.name.as_str() {
                "JetA" => Column::F32(self.area),
                "JetEta" => Column::F32(self.eta),
                "JetPhi" => Column::F32(self.phi),
                "JetPt" => pt,
                "Rho" => Column::F32(self.rho),
                "run" => Column::I64(self.run),
                // "systematic" (the only other input check_inputs lets through)
                _ => Column::Scalar(Value::Str(syst.unwrap_or("nom"))),
            })
            .collect()
    }
}
