//! Functions written in Rust by the analyst and called from configuration
//! expressions (custom cuts, weights, variables): the library API for what
//! the expression language cannot say.
//!
//! ```
//! use std::sync::Arc;
//! use cortado_expr::types::{Prim, Schema, Ty};
//! use cortado_expr::user::{Registry, UserFunction};
//! use cortado_expr::value::{Arr, Val};
//! use cortado_expr::eval::Env;
//!
//! /// `squared(x)`: x² per event, in float64.
//! struct Squared;
//! impl UserFunction for Squared {
//!     fn signature(&self, args: &[Ty], _: &Schema) -> Result<Ty, String> {
//!         match args {
//!             [Ty::Event(_)] => Ok(Ty::Event(Prim::F64)),
//!             _ => Err("squared(x) takes one value per event".into()),
//!         }
//!     }
//!     fn eval(&self, args: &[Val], _: &Env) -> Result<Val, String> {
//!         let x = cortado_expr::user::f64_values(&args[0])?;
//!         Ok(Val::Event(Arc::new(Arr::F64(x.iter().map(|v| v * v).collect()))))
//!     }
//! }
//! let mut r = Registry::new();
//! r.add("squared", Squared);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::eval::Env;
use crate::types::{Schema, Ty};
use crate::value::{Arr, Val};

/// A function callable from expressions.
pub trait UserFunction: Send + Sync {
    /// The result type for these argument types, or why they are not accepted
    /// (checked before any event is read).
    fn signature(&self, args: &[Ty], schema: &Schema) -> Result<Ty, String>;
    /// Computes the result for the events of a chunk.
    fn eval(&self, args: &[Val], env: &Env) -> Result<Val, String>;
    /// Fields it reads from collection arguments (so that they are read from the files).
    fn fields(&self) -> Vec<String> {
        Vec::new()
    }
    /// Input branches it reads directly through the environment.
    fn branches(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A registered function (compared by name).
#[derive(Clone)]
pub struct UserFn(pub String, pub Arc<dyn UserFunction>);

impl fmt::Debug for UserFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserFn({})", self.0)
    }
}

impl PartialEq for UserFn {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// The user functions available to expressions.
#[derive(Clone, Default)]
pub struct Registry {
    fns: BTreeMap<String, Arc<dyn UserFunction>>,
}

impl Registry {
    /// No functions.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds (or replaces) a function.
    pub fn add(&mut self, name: &str, f: impl UserFunction + 'static) {
        self.fns.insert(name.to_string(), Arc::new(f));
    }

    /// A function by name.
    pub fn get(&self, name: &str) -> Option<UserFn> {
        self.fns
            .get(name)
            .map(|f| UserFn(name.to_string(), f.clone()))
    }

    /// Names of the functions.
    pub fn names(&self) -> Vec<&str> {
        self.fns.keys().map(String::as_str).collect()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Registry({:?})", self.names())
    }
}

/// The values of a per-event (or per-object) value as `f64` (constants are
/// not expanded: use the environment's length).
pub fn f64_values(v: &Val) -> Result<Vec<f64>, String> {
    match v {
        Val::Event(a) | Val::Obj(a, _) | Val::Opt(a, _) => {
            Ok((0..a.len()).map(|i| a.get_f64(i)).collect())
        }
        other => Err(format!("expected values, found {other:?}")),
    }
}

/// A column of `f64` as a per-event value.
pub fn event_f64(v: Vec<f64>) -> Val {
    Val::Event(Arc::new(Arr::F64(v)))
}

/// A column of booleans as a per-event value (a cut).
pub fn event_bool(v: Vec<bool>) -> Val {
    Val::Event(Arc::new(Arr::Bool(v)))
}
