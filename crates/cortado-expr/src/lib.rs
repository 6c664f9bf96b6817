//! Typed, vectorised expressions over NanoAOD collections.

pub mod ast;
pub mod builtins;
pub mod check;
mod column_data;
pub mod eval;
pub mod math;
pub mod parser;
pub mod shape;
pub mod types;
pub mod user;
pub mod value;
