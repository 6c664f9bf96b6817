//! Typed, vectorised expressions over NanoAOD collections.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod eval;
mod lexer;
pub mod math;
pub mod parser;
pub mod types;
pub mod user;
pub mod value;
