//! Typed, vectorised expressions over NanoAOD collections: the language of
//! cortado's configuration (selections, definitions, histogram values).
//!
//! An expression is parsed ([`parser`]), type-checked against the schema of
//! the input files ([`check`]: every name, field, shape and element type,
//! with an error pointing at the offending part before any event is read),
//! then evaluated a whole chunk at a time ([`eval`]): every node computes a
//! column for all events, never one event at a time.
//!
//! Key design decision: **a value is a column with a shape** ([`value::Val`]:
//! one value per event, optional per event, one per object with per-event
//! offsets, a collection, one optional object per event, a record), and a
//! collection is offsets plus fields read or computed on first use
//! ([`value::CollVal`]). Subsets, sorted copies and tuples of objects
//! (`combinations`, `cartesian`) are flat indices into the collections they
//! come from, so selecting, sorting and combining objects never copies a
//! field that is not used, and values nest at most one list per event —
//! the shape NanoAOD analyses need, checked statically, without the
//! recursive lists of awkward.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod coll;
mod column_data;
mod dilepton;
mod env;
pub mod eval;
mod kernels;
mod lexer;
pub mod math;
mod operators;
pub mod parser;
pub mod shape;
pub mod types;
pub mod user;
pub mod value;
