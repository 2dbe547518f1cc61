//! One file per subcommand: its arguments, its help text and its `run`.

pub mod import;
pub mod serve_webhook;
pub mod status;
