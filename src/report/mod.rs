//! The manager's report (docs/report.md) as pure code: `Report` holds the period's figures (and is
//! the `--json` output), `tally` and `hand_calls` make them from the rows the database gives,
//! `html::render` turns them into one self-contained page. The queries (`db/report.rs`) and the
//! command (`cmd/report.rs`) live elsewhere; nothing here reads a file, a clock or a database.

pub mod chart;
mod days;
mod example;
pub mod hand_calls;
pub mod html;
pub mod model;
pub mod tally;
pub mod waitlist;

pub use html::render;
pub use model::{Day, Funnel, HandCall, OptOuts, Price, Rate, Reason, Report, Usage};

#[cfg(test)]
mod browser_test;
#[cfg(test)]
mod chromium;
#[cfg(test)]
mod tests;
