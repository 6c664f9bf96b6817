//! Typed, vectorised expressions over NanoAOD collections.

pub mod ast;
pub mod builtins;
pub mod check;
mod coll;
mod column_data;
mod dilepton;
mod env;
pub mod eval;
mod kernels;
mod lexer;
pub mod math;
pub mod parser;
pub mod shape;
pub mod types;
pub mod user;
pub mod value;
