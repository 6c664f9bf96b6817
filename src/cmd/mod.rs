//! One module per subcommand.

pub mod cache;
pub mod check;
pub mod correction;
pub mod datasets;
pub mod dump;
pub mod inspect;
pub mod job;
pub mod merge;
pub mod plots;
pub mod run;
