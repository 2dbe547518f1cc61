//! The manager's report (SPEC §12.3) as a pure renderer: `Report` holds the period's figures
//! (and is the `--json` output), `html::render` turns it into one self-contained page. Filling
//! the figures from the database, and the `report` command, live elsewhere; nothing here reads
//! a file, a clock or a database.

pub mod chart;
mod example;
pub mod html;
pub mod model;

pub use html::render;
pub use model::{Day, Funnel, HandCall, Price, Rate, Reason, Report, Usage};

#[cfg(test)]
mod browser_test;
#[cfg(test)]
mod chromium;
#[cfg(test)]
mod tests;
