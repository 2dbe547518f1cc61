//! The end-to-end tests: one binary, one module per capability, the shared helpers in `common`
//! (as xsv does). Each test runs the real `reminders` binary in its own temporary directory.

mod common;

mod access;
mod architecture;
mod backfill;
mod callback;
mod check;
mod check_cmd;
mod day;
mod docs;
mod drop_folder;
mod dry_run;
mod export_rules;
mod exports;
mod faults;
mod follow_ups;
mod history;
mod hours;
mod import;
mod languages;
mod limits;
mod messages;
mod moves;
mod ops;
mod opt_outs;
mod package;
mod report;
mod results;
mod run;
mod schedule;
mod send;
mod status;
mod terminal;
mod waitlist;
mod waitlist_import;
mod waitlist_recipes;
mod webhook;
