//! `reminders`: appointment reminders by phone call and SMS through Twilio, driven by cron.
//! The binary (`main.rs`) parses and dispatches; everything else lives here so end-to-end tests
//! can drive the built-in Twilio simulator beside the real binary.

pub mod access;
pub mod backfill_file;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod db;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod exit;
pub mod files;
pub mod host;
pub mod import;
pub mod mask;
pub mod news;
pub mod outbox;
pub mod output;
pub mod progress;
pub mod report;
pub mod text;
pub mod twilio;
pub mod webhook;

#[cfg(test)]
mod message_lengths;
