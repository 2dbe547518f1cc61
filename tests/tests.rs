//! The end-to-end tests: one binary, one module per capability, the shared helpers in `common`
//! (as xsv does). Each test runs the real `reminders` binary in its own temporary directory.

mod common;

mod day;
mod import;
mod messages;
mod report;
mod schedule;
mod send;
mod status;
mod webhook;
