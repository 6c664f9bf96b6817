//! The library API: what configuration cannot express, written in Rust.
//!
//! - [`Extensions::functions`]: functions callable from configuration
//!   expressions — custom cuts, weights, variables (see
//!   [`cortado_expr::user::UserFunction`]);
//! - [`Workflow`]: PocketCoffea's processor hooks (§5.3), run on the events of
//!   every chunk at their place in the processing order;
//! - [`Calibrator`]: calibrators with shape variations (lepton scale and
//!   smearing, ...), listed in the configuration's `calibrators:`.
//!
//! A binary built on cortado calls `cortado::cli::main_with(extensions)` and
//! gets the whole command line (`run`, `check`, `dump`, ...) with them; see
//! `examples/custom_workflow/`.

use std::sync::Arc;

use cortado_config::Stage;
use cortado_expr::eval::Env;
use cortado_expr::types::{Schema, Ty};
use cortado_expr::user::Registry;

pub use crate::calibrator::{CalibratedChunk, CalibratedField, Calibrator};

/// The processor hooks that define values, in processing order; a hook's
/// definitions are visible to everything after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hook {
    /// `process_extra_before_skim` (before the skim cuts)
    ProcessExtraBeforeSkim,
    /// `process_extra_after_skim`
    ProcessExtraAfterSkim,
    /// `apply_object_preselection`
    ApplyObjectPreselection,
    /// `count_objects`
    CountObjects,
    /// `define_common_variables_before_presel`
    DefineCommonVariablesBeforePresel,
    /// `process_extra_before_presel`
    ProcessExtraBeforePresel,
    /// `define_common_variables_after_presel`
    DefineCommonVariablesAfterPresel,
    /// `process_extra_after_presel`
    ProcessExtraAfterPresel,
}

impl Hook {
    /// The method's name (for messages).
    pub fn name(self) -> &'static str {
        match self {
            Hook::ProcessExtraBeforeSkim => "process_extra_before_skim",
            Hook::ProcessExtraAfterSkim => "process_extra_after_skim",
            Hook::ApplyObjectPreselection => "apply_object_preselection",
            Hook::CountObjects => "count_objects",
            Hook::DefineCommonVariablesBeforePresel => "define_common_variables_before_presel",
            Hook::ProcessExtraBeforePresel => "process_extra_before_presel",
            Hook::DefineCommonVariablesAfterPresel => "define_common_variables_after_presel",
            Hook::ProcessExtraAfterPresel => "process_extra_after_presel",
        }
    }

    /// The hooks that run right after the configuration's definitions of
    /// `stage` (and, for the last stage before the preselection, before it).
    pub fn after_stage(stage: Stage) -> &'static [Hook] {
        match stage {
            Stage::Objects => &[Hook::ApplyObjectPreselection],
            Stage::Counts => &[Hook::CountObjects],
            Stage::BeforePresel => &[
                Hook::DefineCommonVariablesBeforePresel,
                Hook::ProcessExtraBeforePresel,
            ],
            Stage::AfterPresel => &[
                Hook::DefineCommonVariablesAfterPresel,
                Hook::ProcessExtraAfterPresel,
            ],
        }
    }

    /// Calls this hook of `wf` on the events of `env`, then checks what it
    /// defined (one value per selected event, offsets over them, the type
    /// declared in [`Workflow::defines`]); an error names the hook.
    pub fn run(self, wf: &dyn Workflow, env: &mut Env) -> Result<(), String> {
        // (the definitions made before the hook are the engine's own)
        env.forget_definitions();
        let r = match self {
            Hook::ProcessExtraBeforeSkim => wf.process_extra_before_skim(env),
            Hook::ProcessExtraAfterSkim => wf.process_extra_after_skim(env),
            Hook::ApplyObjectPreselection => wf.apply_object_preselection(env),
            Hook::CountObjects => wf.count_objects(env),
            Hook::DefineCommonVariablesBeforePresel => {
                wf.define_common_variables_before_presel(env)
            }
            Hook::ProcessExtraBeforePresel => wf.process_extra_before_presel(env),
            Hook::DefineCommonVariablesAfterPresel => wf.define_common_variables_after_presel(env),
            Hook::ProcessExtraAfterPresel => wf.process_extra_after_presel(env),
        };
        r.and_then(|()| env.check_definitions())
            .map_err(|e| format!("workflow hook {}: {e}", self.name()))
    }
}

/// A value a workflow hook defines for the configuration's expressions.
#[derive(Clone, Debug)]
pub struct HookDef {
    /// Its name.
    pub name: String,
    /// Its type (for a new collection, add its type to the schema first:
    /// [`Schema::add_coll_like`]).
    pub ty: Ty,
    /// The hook that defines it.
    pub hook: Hook,
    /// For a collection: the NanoAOD collections its objects come from (such
    /// as `["Muon"]`), so that the fields the configuration reads through it
    /// are read from the files.
    pub from: Vec<String>,
}

impl HookDef {
    /// A value defined by `hook`.
    pub fn new(name: &str, ty: Ty, hook: Hook) -> HookDef {
        HookDef {
            name: name.to_string(),
            ty,
            hook,
            from: Vec::new(),
        }
    }

    /// A collection whose objects come from the NanoAOD collections `from`.
    pub fn collection(name: &str, ty: Ty, hook: Hook, from: &[&str]) -> HookDef {
        HookDef {
            from: from.iter().map(|s| s.to_string()).collect(),
            ..HookDef::new(name, ty, hook)
        }
    }
}

/// Histograms filled by [`Workflow::fill_histograms_extra`].
pub trait ExtraFill {
    /// The categories of the chunk's events (after the preselection) and their masks.
    fn categories(&self) -> Vec<(String, Vec<bool>)>;
    /// The samples the events are filled into: the dataset's sample (no mask)
    /// or, where it has subsamples, each subsample and its mask.
    fn samples(&self) -> Vec<(String, Option<Vec<bool>>)>;
    /// The variations histogram `hist` is filled for in this pass: in the
    /// nominal pass, `nominal` and the weight variations (only `nominal`
    /// for data); in a shape variation's pass, that variation.
    fn variations(&self, hist: &str) -> Vec<String>;
    /// The weight of every event for `sample` in `category` and `variation`
    /// (`nominal`, or a weight variation such as `pileupUp`; a shape
    /// variation gets the nominal weights; 1 for data).
    fn weights(&self, sample: &str, category: &str, variation: &str) -> Vec<f64>;
    /// The pass being filled: `nominal`, or a shape variation's name
    /// (`AK4PFchs_JES_TotalUp`); `fill_histograms_extra` runs once per pass,
    /// with that pass's calibrated jets and MET.
    fn pass(&self) -> &str;
    /// Fills histogram `hist` (declared in the configuration with
    /// `autofill: false`) for `sample` in `category` and `variation`: one slice
    /// of values per axis and one weight per entry.
    fn fill(
        &mut self,
        hist: &str,
        sample: &str,
        category: &str,
        variation: &str,
        values: &[&[f64]],
        weights: &[f64],
    ) -> Result<(), String>;
}

/// PocketCoffea's processor hooks. Every hook gets the events of a chunk and
/// may define values (`env.define(name, value)`); names used by configuration
/// expressions must be declared in [`Workflow::defines`] with their types.
#[allow(unused_variables)]
pub trait Workflow: Send + Sync {
    /// The workflow's name, recorded in the fingerprint of the outputs (by
    /// default the Rust type's name).
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
    /// Values the hooks define, with their types and the hook that defines
    /// them (new collection types are added to `schema`).
    fn defines(&self, schema: &mut Schema) -> Vec<HookDef> {
        Vec::new()
    }
    /// Input branches the hooks read.
    fn branches(&self) -> Vec<String> {
        Vec::new()
    }
    /// Before the skim (all events of the chunk).
    fn process_extra_before_skim(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the skim.
    fn process_extra_after_skim(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the configuration's `objects`.
    fn apply_object_preselection(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the configuration's `counts`.
    fn count_objects(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the configuration's `variables`.
    fn define_common_variables_before_presel(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// Just before the preselection.
    fn process_extra_before_presel(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the configuration's `variables_after_presel`.
    fn define_common_variables_after_presel(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the preselection and its variables.
    fn process_extra_after_presel(&self, env: &mut Env) -> Result<(), String> {
        Ok(())
    }
    /// After the automatic histograms: fill histograms declared with `autofill: false`.
    fn fill_histograms_extra(&self, env: &Env, fill: &mut dyn ExtraFill) -> Result<(), String> {
        Ok(())
    }
}

/// The workflow of a configuration without Rust code.
pub struct NoWorkflow;

impl Workflow for NoWorkflow {}

/// Everything a binary adds to cortado.
pub struct Extensions {
    /// Functions for expressions.
    pub functions: Registry,
    /// Processor hooks.
    pub workflow: Box<dyn Workflow>,
    /// Calibrators the configuration may list in `calibrators:`.
    pub calibrators: Vec<Arc<dyn Calibrator>>,
}

impl Extensions {
    /// The names of [`Extensions::calibrators`].
    pub fn calibrator_names(&self) -> Vec<String> {
        self.calibrators
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    }

    /// The calibrator named `name`.
    pub fn calibrator(&self, name: &str) -> Option<&Arc<dyn Calibrator>> {
        self.calibrators.iter().find(|c| c.name() == name)
    }

    /// Loads the analysis configuration at `path`, whose `calibrators:`
    /// may list these extensions' calibrators.
    pub fn load_config(
        &self,
        path: &std::path::Path,
    ) -> Result<cortado_config::AnalysisConfig, cortado_yaml::ConfigError> {
        cortado_config::load_with(path, &self.calibrator_names())
    }
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions {
            functions: Registry::new(),
            workflow: Box::new(NoWorkflow),
            calibrators: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Extensions({:?}, calibrators {:?})",
            self.functions,
            self.calibrator_names()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use cortado_columns::{Column, Values};
    use cortado_expr::types::Prim;
    use cortado_expr::value::{Arr, ColumnData, Val};

    use super::*;

    /// Three events with a counter and a jagged branch; `declared` names get
    /// their declared types in the schema (as `Workflow::defines` does).
    fn env(declared: &[(&str, Ty)]) -> Env {
        let mut c = HashMap::new();
        c.insert(
            "nMuon".to_string(),
            Column::flat(Values::I32(vec![1, 0, 2])),
        );
        c.insert(
            "Muon_pt".to_string(),
            Column::jagged(Values::F32(vec![1.0, 2.0, 3.0]), vec![0, 1, 1, 3]).unwrap(),
        );
        let mut schema = Schema::from_branches(&[
            ("nMuon".into(), Prim::Int, None),
            ("Muon_pt".into(), Prim::F32, Some("nMuon".into())),
        ]);
        for (name, ty) in declared {
            schema.names.insert(name.to_string(), ty.clone());
        }
        Env::new(Arc::new(ColumnData::new(3, c)), Arc::new(schema))
    }

    /// Defines `value` as `name` in `apply_object_preselection`.
    struct Defines(&'static str, Val);
    impl Workflow for Defines {
        fn apply_object_preselection(&self, env: &mut Env) -> Result<(), String> {
            env.define(self.0, self.1.clone());
            Ok(())
        }
    }

    fn per_event(v: Vec<f64>) -> Val {
        Val::Event(Arc::new(Arr::F64(v)))
    }

    #[test]
    fn a_hook_definition_of_the_wrong_length_is_an_error_naming_hook_and_value() {
        let run = |wf: Defines, declared: &[(&str, Ty)]| {
            Hook::ApplyObjectPreselection.run(&wf, &mut env(declared))
        };
        assert!(run(Defines("x", per_event(vec![1.0; 3])), &[]).is_ok());
        let e = run(Defines("x", per_event(vec![1.0; 2])), &[]).unwrap_err();
        assert_eq!(
            e,
            "workflow hook apply_object_preselection: 'x' has 2 values for 3 events (3 events selected)"
        );
        let e = run(Defines("x", per_event(vec![1.0; 4])), &[]).unwrap_err();
        assert!(e.contains("'x' has 4 values for 3 events"), "{e}");
        // per-object values whose offsets do not cover the events
        let obj = Val::Obj(Arc::new(Arr::F64(vec![1.0; 3])), Arc::new(vec![0, 1, 3]));
        let e = run(Defines("o", obj), &[]).unwrap_err();
        assert!(e.contains("'o' has 3 offsets for 3 events"), "{e}");
        // the type declared by `defines`
        let declared = [("x", Ty::Opt(Prim::F64))];
        let e = run(Defines("x", per_event(vec![1.0; 3])), &declared).unwrap_err();
        assert!(
            e.contains("'x' has one value per event where its type says one optional value"),
            "{e}"
        );
    }

    #[test]
    fn a_hook_collection_with_a_bad_field_is_an_error() {
        let mut e = env(&[]);
        let Val::Coll(muons) = e.get("Muon").unwrap() else {
            panic!("Muon is a collection")
        };
        let field = std::collections::BTreeMap::from([(
            "iso".to_string(),
            Arc::new(Arr::F64(vec![0.1; 2])),
        )]);
        let wf = Defines("MuonIso", Val::Coll(Arc::new(muons.with_fields(field))));
        let err = Hook::ApplyObjectPreselection.run(&wf, &mut e).unwrap_err();
        assert!(
            err.contains("'MuonIso' has a field 'iso' of 2 values for 3 objects"),
            "{err}"
        );
    }
}
