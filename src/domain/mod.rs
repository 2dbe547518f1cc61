//! Pure decisions, no I/O: every function takes the facts (including "now") and returns a verdict.

pub mod access;
pub mod attention;
pub mod channel;
pub mod columns;
pub mod contact_hours;
pub mod dates;
pub mod datetime;
pub mod dedupe;
pub mod keywords;
pub mod limits;
pub mod ordering;
pub mod outcome;
pub mod phone;
pub mod readiness;
pub mod reasons;
pub mod results;
pub mod row;
pub mod run_outcome;
pub mod schedule;
pub mod segments;
pub mod sites;
pub mod state;
pub mod templates;
pub mod twilio_errors;
pub mod values;
pub mod windows;
