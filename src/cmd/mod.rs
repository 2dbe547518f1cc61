//! One file per subcommand: its arguments, its help text and its `run`.

pub mod import;
pub mod status;
