//! Parsers for configuration values: each turns text into a value or says, in words, what the
//! value must look like.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::exit::usage;

pub fn positive_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("must be a number above 0".into()),
    }
}

pub fn whole<T: std::str::FromStr + PartialOrd + Copy + fmt::Display>(
    min: T,
    max: T,
) -> impl Fn(&str) -> std::result::Result<T, String> {
    move |s| match s.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

pub fn boolean(s: &str) -> std::result::Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

pub fn path(s: &str) -> std::result::Result<PathBuf, String> {
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(PathBuf::from(s))
    }
}

pub fn parse_now(raw: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            usage(format!(
                "environment variable REMINDERS_NOW: {e} (got {raw:?}; expected RFC 3339, e.g. 2026-11-24T19:00:00-05:00)"
            ))
        })
}

/// The public base URL Twilio reaches the listener at: signatures are computed over it, so it is
/// normalised once here (lower-case scheme and host, no trailing slash).
pub fn parse_public_url(raw: &str) -> std::result::Result<String, String> {
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or("must start with https:// or http://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err("must start with https:// or http://".into());
    }
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    if path.contains('?') || path.contains('#') {
        return Err("must not carry a query or fragment".into());
    }
    Ok(format!(
        "{scheme}://{}{}",
        host.to_ascii_lowercase(),
        path.trim_end_matches('/')
    ))
}

/// A template file's text: a regular file of at most 1 MiB (a named pipe would block the run,
/// holding its lock, until something wrote to it).
pub fn read_template(path: &Option<PathBuf>) -> Result<Option<String>> {
    match path {
        None => Ok(None),
        Some(p) => match super::file::read_small(p, "template") {
            Ok(text) => Ok(Some(text)),
            Err(super::file::Unreadable::Missing(e)) => {
                Err(e).with_context(|| format!("reading template {}", p.display()))
            }
            Err(super::file::Unreadable::Refused(why)) => Err(anyhow::anyhow!(why)),
        },
    }
}
