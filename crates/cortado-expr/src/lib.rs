//! Typed, vectorised expressions over NanoAOD collections.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod eval;
pub mod math;
pub mod parser;
pub mod types;
pub mod user;
pub mod value;
