//! YAML for configuration files: every node keeps the file, line and column it
//! came from, so that an error can point at the exact place and suggest the
//! closest valid name.
//!
//! Scalars are typed like PyYAML's safe loader (as OmegaConf uses it): `null`/`~`,
//! YAML 1.1 booleans (`true`, `yes`, `on`, ...), integers (decimal, `0x`, `0o`, `0b`),
//! floats (also `1e5` without a dot, as OmegaConf allows, `.inf`, `.nan`), and
//! strings; quoted scalars are always strings; `???` is OmegaConf's "missing
//! mandatory value". Anchors, aliases and `<<` merge keys are supported.

pub mod diag;
mod emit;
mod load;
mod node;
mod source;

pub use diag::{closest, did_you_mean, edit_distance, ConfigError};
pub use emit::to_yaml;
pub use load::{load_file, load_str, read_text, MAX_ALIAS_VALUES, MAX_DEPTH};
pub use node::{Key, Node, PathMiss, Pos, Value};
pub use source::{locate_in_scalar, locate_in_text, SourceSpot};
