//! One file per subcommand: its arguments, its help text and its `run`.

pub mod backfill;
pub mod check;
pub mod completions;
pub mod demo;
pub mod export;
pub mod history;
pub mod import;
pub mod languages;
pub mod man;
pub mod opt_in;
pub mod opt_out;
pub mod prune;
pub mod reconcile;
pub mod report;
pub mod retry;
pub mod run;
pub mod send;
pub mod serve_webhook;
pub mod status;
pub mod withdraw;
